/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "berth.h"

struct BerthContext {
        char *store;
        char *rundir;
        char *cgroup_parent;
        char *cache;
        char *templates_dir; /* $BERTH_TEMPLATES_DIR or $(datadir)/berth/templates */
        char *monitor_path;  /* $BERTH_MONITOR or $(libexecdir)/berth/berth-monitor */
};

/* <store>/<name>, <store>/<name>/config.yaml, <rundir>/<name>, <rundir>/<name>/monitor.sock */
char *context_container_dir(const BerthContext *ctx, const char *name);
char *context_config_path(const BerthContext *ctx, const char *name);
char *context_run_dir(const BerthContext *ctx, const char *name);
char *context_socket_path(const BerthContext *ctx, const char *name);
