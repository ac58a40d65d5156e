/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "berth.h"
#include "cgroup/cgroup.h"

#define CALL_TIMEOUT_DEFAULT_USEC (10 * 1000000ULL)

struct BerthContext {
        char *store;
        char *rundir;
        char *cgroup_parent;
        char *cache;
        char *config_file;   /* the global config, /etc/berth/berth.yaml */
        char *subuid_path;   /* /etc/subuid ($BERTH_SUBUID) */
        char *subgid_path;   /* /etc/subgid ($BERTH_SUBGID) */
        char *templates_dir; /* $BERTH_TEMPLATES_DIR or $(datadir)/berth/templates */
        char *monitor_path;  /* $BERTH_MONITOR or $(libexecdir)/berth/berth-monitor */

        BerthProgressFunc progress;
        void *progress_userdata;
        uint64_t call_timeout_usec;

        CgroupLayout *layout; /* detected on first use */
};

/* The host's cgroup layout, detected once per context. */
int context_cgroup_layout(BerthContext *ctx, const CgroupLayout **ret);
/* Reports a line of progress through the caller's callback, if any. */
_printf_(3, 4) void context_progress(BerthContext *ctx, double fraction, const char *fmt, ...);

/* <store>/<name>, <store>/<name>/config.yaml, <rundir>/<name>, <rundir>/<name>/monitor.sock */
char *context_container_dir(const BerthContext *ctx, const char *name);
char *context_config_path(const BerthContext *ctx, const char *name);
char *context_run_dir(const BerthContext *ctx, const char *name);
char *context_socket_path(const BerthContext *ctx, const char *name);
