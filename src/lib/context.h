/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "berth.h"
#include <time.h>

#include "cgroup/cgroup.h"
#include "config/config.h"

#define CALL_TIMEOUT_DEFAULT_USEC (10 * 1000000ULL)

struct ConfigCacheEntry {
        char *name;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        BerthConfig *config;
};

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

        /* Parsed config.yaml files, kept while the file is the same (dev, inode, size,
         * mtime): a dashboard that lists every container each second parses only what
         * changed. */
        struct ConfigCacheEntry *config_cache;
        size_t n_config_cache;
};

/* The container's parsed config.yaml, from the cache when the file has not changed since;
 * owned by the context, valid until the next call for the same name. */
int context_config_cached(BerthContext *ctx, const char *name, const BerthConfig **ret,
                          BerthError **reterr);

/* The host's cgroup layout, detected once per context. */
int context_cgroup_layout(BerthContext *ctx, const CgroupLayout **ret);
/* Reports a line of progress through the caller's callback, if any. */
_printf_(3, 4) void context_progress(BerthContext *ctx, double fraction, const char *fmt, ...);

/* <store>/<name>, <store>/<name>/config.yaml, <rundir>/<name>, <rundir>/<name>/monitor.sock */
char *context_container_dir(const BerthContext *ctx, const char *name);
char *context_config_path(const BerthContext *ctx, const char *name);
char *context_run_dir(const BerthContext *ctx, const char *name);
char *context_socket_path(const BerthContext *ctx, const char *name);
