/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* libberth: the public API. Every front end (berth, berth-tui, berthd, berth-monitor) goes
 * through these calls. Fallible calls return >= 0 on success and -errno on failure, and on
 * failure fill *reterr (when reterr is non-NULL) with a message carrying the context. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../shared/error.h"

typedef enum BerthState {
        BERTH_STATE_STOPPED,
        BERTH_STATE_STARTING,
        BERTH_STATE_RUNNING,
        BERTH_STATE_STOPPING,
        BERTH_STATE_FREEZING,
        BERTH_STATE_FROZEN,
        BERTH_STATE_ABORTING,
        _BERTH_STATE_MAX,
        _BERTH_STATE_INVALID = -1,
} BerthState;

const char *berth_state_to_string(BerthState s);
BerthState berth_state_from_string(const char *s);

/* Container names: [a-z0-9][a-z0-9-]{0,62}. */
bool berth_name_is_valid(const char *name);
/* s made safe to quote in a one-line message (control characters and quotes escaped, long
 * text cut); a newly allocated string. */
char *berth_escape(const char *s);

typedef struct BerthContext BerthContext;

typedef struct BerthContextOptions {
        const char *store;         /* NULL: $BERTH_STORE, else the configured default */
        const char *rundir;        /* NULL: $BERTH_RUNDIR, else the configured default */
        const char *cgroup_parent; /* NULL: $BERTH_CGROUP, else "berth" */
} BerthContextOptions;

int berth_context_new(const BerthContextOptions *opts, BerthContext **ret, BerthError **reterr);
BerthContext *berth_context_free(BerthContext *ctx);
DEFINE_TRIVIAL_CLEANUP_FUNC(BerthContext *, berth_context_free);
const char *berth_context_store(const BerthContext *ctx);
const char *berth_context_rundir(const BerthContext *ctx);

typedef struct BerthInfo {
        char *name;
        BerthState state;
        pid_t init_pid;          /* 0 when not running */
        uint64_t since_usec;     /* CLOCK_REALTIME of the last state change; 0 unknown */
        uint64_t cpu_usec;       /* UINT64_MAX: unknown */
        uint64_t memory_current; /* bytes; UINT64_MAX unknown */
        uint64_t memory_limit;   /* bytes; UINT64_MAX unlimited */
        uint64_t pids_current;   /* UINT64_MAX unknown */
        uint64_t pids_limit;     /* UINT64_MAX unlimited */
        bool autostart;
        char *ipv4;              /* first configured address, or NULL */
} BerthInfo;

void berth_info_clear(BerthInfo *info);

/* Sorted names of every container in the store. */
int berth_list(BerthContext *ctx, char ***ret_names, BerthError **reterr);
int berth_info(BerthContext *ctx, const char *name, BerthInfo *ret, BerthError **reterr);

typedef struct BerthCreateOptions {
        const char *template_name;  /* "busybox"; resolved in the templates dir */
        char **template_args;       /* extra template options (after "--") */
        const char *config_path;    /* YAML settings to apply on top of the template's fragment */
} BerthCreateOptions;

int berth_create(BerthContext *ctx, const char *name, const BerthCreateOptions *opts,
                 BerthError **reterr);
/* Returns once init runs inside (or the start failed, with the child's error). */
int berth_start(BerthContext *ctx, const char *name, BerthError **reterr);
/* timeout_sec < 0: the container's init.stop_timeout. kill: skip the halt signal. */
int berth_stop(BerthContext *ctx, const char *name, int timeout_sec, bool kill, BerthError **reterr);
int berth_restart(BerthContext *ctx, const char *name, int timeout_sec, BerthError **reterr);
int berth_freeze(BerthContext *ctx, const char *name, BerthError **reterr);
int berth_thaw(BerthContext *ctx, const char *name, BerthError **reterr);
/* Waits until the container is in state; -ETIMEDOUT after timeout_usec (UINT64_MAX: forever). */
int berth_wait(BerthContext *ctx, const char *name, BerthState state, uint64_t timeout_usec,
               BerthError **reterr);
int berth_destroy(BerthContext *ctx, const char *name, bool force, BerthError **reterr);
/* Waits until init reported READY=1 over NOTIFY_SOCKET (systemd), or at once for inits that do
 * not notify; fails when init goes away first, -ETIMEDOUT after timeout_usec. */
int berth_wait_ready(BerthContext *ctx, const char *name, uint64_t timeout_usec,
                     BerthError **reterr);

typedef struct BerthApplyResult {
        char **created;  /* containers this run created */
        char **existing; /* declared and already there: left as they are */
        char **started;  /* started by this run (the others of 'start' were running) */
} BerthApplyResult;

void berth_apply_result_clear(BerthApplyResult *r);
/* Applies a composition file (berth create -f): checks every container's settings, template and
 * template options first and creates nothing when any is wrong; then creates the shared host
 * directories, the containers that do not exist yet, and starts the 'start' list in order,
 * each waiting until ready. Applying the same file twice changes nothing. */
int berth_apply(BerthContext *ctx, const char *path, BerthApplyResult *ret, BerthError **reterr);

typedef struct BerthAttachOptions {
        char **env;   /* extra KEY=VALUE */
        const char *cwd;
        uid_t uid;
        gid_t gid;
} BerthAttachOptions;

/* Runs argv in all the container's namespaces and its cgroup with stdio inherited; waits and
 * returns the exit status in *ret_status (128+signal when killed). */
int berth_attach(BerthContext *ctx, const char *name, char **argv, const BerthAttachOptions *opts,
                 int *ret_status, BerthError **reterr);

/* Connects the terminal (in_fd/out_fd) to the console (tty 0) or tty N until Ctrl-a q. */
int berth_console(BerthContext *ctx, const char *name, unsigned tty, int in_fd, int out_fd,
                  BerthError **reterr);
/* The console ring buffer (recent console output). */
int berth_console_log(BerthContext *ctx, const char *name, char **ret, size_t *ret_size,
                      BerthError **reterr);

int berth_config_validate(BerthContext *ctx, const char *name, BerthError **reterr);
/* The effective configuration as YAML. */
int berth_config_show(BerthContext *ctx, const char *name, char **ret_yaml, BerthError **reterr);

/* The monitor's main: runs the container until it stops. status_fd receives a one-line
 * "ok\n" once init runs, or "error: <message>\n"; it is closed either way. */
int berth_monitor_run(BerthContext *ctx, const char *name, int status_fd, BerthError **reterr);
