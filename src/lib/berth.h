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

/* Error numbers are part of the API: a front end maps them to its own error names (D-Bus
 * errors, exit statuses) from the errno alone, and shows BerthError's one-line message.
 *
 *   ENOENT      no such container (or snapshot, for snapshot calls)
 *   EEXIST      a container (or snapshot) of that name already exists
 *   EINVAL      invalid name or argument
 *   EBADMSG     invalid configuration or composition file (the message has file:line:col)
 *   EALREADY    already running (start), already frozen (freeze)
 *   ESRCH       not running
 *   EBUSY       busy: locked by another operation, or running where it must be stopped
 *   EPERM       not allowed (EACCES likewise)
 *   ETIMEDOUT   a wait or call ran past its timeout
 *   EOPNOTSUPP  the host or the backend cannot do it
 *   ENOSPC      out of space; nothing partial was registered
 *
 * Any other errno is passed through from the operation that failed. */

typedef struct BerthContextOptions {
        const char *store;         /* NULL: $BERTH_STORE, else the configured default */
        const char *rundir;        /* NULL: $BERTH_RUNDIR, else the configured default */
        const char *cgroup_parent; /* NULL: $BERTH_CGROUP, else "berth" */
        const char *config_file;   /* NULL: $BERTH_CONFIG, else <sysconfdir>/berth/berth.yaml */
} BerthContextOptions;

int berth_context_new(const BerthContextOptions *opts, BerthContext **ret, BerthError **reterr);
BerthContext *berth_context_free(BerthContext *ctx);
DEFINE_TRIVIAL_CLEANUP_FUNC(BerthContext *, berth_context_free);
const char *berth_context_store(const BerthContext *ctx);
const char *berth_context_rundir(const BerthContext *ctx);

/* Progress of long operations (template runs, copies, snapshots): one line of text, and the
 * fraction done (0..1, or < 0 when unknown). Called synchronously from the operation; the
 * library itself never writes to stdout or stderr. */
typedef void (*BerthProgressFunc)(const char *line, double fraction, void *userdata);
void berth_context_set_progress(BerthContext *ctx, BerthProgressFunc f, void *userdata);
/* The timeout of one request to a container's monitor (default 10 s). Calls that wait for
 * something by nature (stop, wait) take their own timeout. */
void berth_context_set_call_timeout(BerthContext *ctx, uint64_t usec);

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
        char *ipv4;              /* first IPv4 address: live when running, else configured; or NULL */

        uint64_t started_usec;   /* CLOCK_REALTIME when the current init started; 0 when stopped */
        bool ready;              /* init reported READY=1 (systemd), or runs (other inits) */
        bool orphaned;           /* init runs but its monitor died: adopted by the next
                                    state-changing call or berth_adopt() */
        bool privileged;
        char **addresses;        /* live addresses "IFNAME ADDRESS/PREFIX", NULL-terminated (may
                                    be NULL); read from inside the container's network namespace */
        char *backend;           /* rootfs storage backend: "dir", "overlay", "btrfs" */
        size_t n_snapshots;
        int64_t autostart_order;
        char *autostart_group;   /* or NULL */
        bool ephemeral;          /* destroyed (or its throw-away layer dropped) when it stops */
        char *rootfs;            /* the rootfs directory on the host (absolute), or NULL */
} BerthInfo;

void berth_info_clear(BerthInfo *info);

/* Sorted names of every container in the store. */
int berth_list(BerthContext *ctx, char ***ret_names, BerthError **reterr);
/* A query only: never forks, spawns or takes anything over. */
int berth_info(BerthContext *ctx, const char *name, BerthInfo *ret, BerthError **reterr);
/* Every container's info, sorted by name, in one pass over the store and runtime dir (no
 * request to any monitor); for dashboards that refresh often. */
int berth_info_all(BerthContext *ctx, BerthInfo **ret, size_t *ret_n, BerthError **reterr);
void berth_info_array_free(BerthInfo *infos, size_t n);
/* Takes an orphaned container (init alive, monitor dead) back under a new monitor. 0 when
 * there was nothing to adopt (stopped, or a monitor is there). */
int berth_adopt(BerthContext *ctx, const char *name, BerthError **reterr);

typedef struct BerthCreateOptions {
        const char *template_name;  /* "busybox"; resolved in the templates dir */
        char **template_args;       /* extra template options (after "--") */
        const char *config_path;    /* YAML settings to apply on top of the template's fragment */
        const char *backend;        /* "dir", "overlay", "btrfs"; NULL: btrfs when the store is
                                       on btrfs, else dir */
        bool ephemeral;             /* destroyed when it stops */
} BerthCreateOptions;

int berth_create(BerthContext *ctx, const char *name, const BerthCreateOptions *opts,
                 BerthError **reterr);

typedef struct BerthStartOptions {
        bool ephemeral;             /* run on a throw-away copy-on-write layer; the container's
                                       own rootfs is left untouched */
} BerthStartOptions;

/* Returns once init runs inside (or the start failed, with the child's error). opts may be
 * NULL. */
int berth_start(BerthContext *ctx, const char *name, const BerthStartOptions *opts,
                BerthError **reterr);
/* timeout_sec < 0: the container's init.stop_timeout. kill: skip the halt signal. */
int berth_stop(BerthContext *ctx, const char *name, int timeout_sec, bool kill, BerthError **reterr);
int berth_restart(BerthContext *ctx, const char *name, int timeout_sec, BerthError **reterr);
int berth_freeze(BerthContext *ctx, const char *name, BerthError **reterr);
int berth_thaw(BerthContext *ctx, const char *name, BerthError **reterr);
/* Waits until the container is in state; -ETIMEDOUT after timeout_usec (UINT64_MAX: forever). */
int berth_wait(BerthContext *ctx, const char *name, BerthState state, uint64_t timeout_usec,
               BerthError **reterr);
#define BERTH_DESTROY_FORCE 0x1U     /* stop (kill) a running container first */
#define BERTH_DESTROY_SNAPSHOTS 0x2U /* also delete its snapshots (refused otherwise: EBUSY) */
int berth_destroy(BerthContext *ctx, const char *name, unsigned flags, BerthError **reterr);
/* Waits until init reported READY=1 over NOTIFY_SOCKET (systemd), or at once for inits that do
 * not notify; fails when init goes away first, -ETIMEDOUT after timeout_usec. */
int berth_wait_ready(BerthContext *ctx, const char *name, uint64_t timeout_usec,
                     BerthError **reterr);

/* What a change of a container's config did, key by key (dotted names, in the order of the
 * config's keys). */
typedef struct BerthConfigChange {
        char **changed;    /* every key whose value changed */
        char **live;       /* of those, applied to the running container at once (limits.*) */
        char **next_start; /* of those, in effect when it next starts (it is running now) */
} BerthConfigChange;
void berth_config_change_clear(BerthConfigChange *c);

typedef enum BerthApplyAction {
        BERTH_APPLY_REMOVE,    /* --prune: created by the file, no longer declared */
        BERTH_APPLY_CREATE,
        BERTH_APPLY_UPDATE,    /* exists; declared settings differ (change says which, how) */
        BERTH_APPLY_UNCHANGED, /* exists with the declared settings */
        BERTH_APPLY_START,     /* in 'start' and not running */
        _BERTH_APPLY_ACTION_MAX,
        _BERTH_APPLY_ACTION_INVALID = -1,
} BerthApplyAction;
const char *berth_apply_action_to_string(BerthApplyAction a);
BerthApplyAction berth_apply_action_from_string(const char *s);

typedef struct BerthApplyStep {
        BerthApplyAction action;
        char *name;
        BerthConfigChange change; /* UPDATE */
} BerthApplyStep;

typedef struct BerthApplyResult {
        char **created;  /* containers this run created */
        char **existing; /* declared and already there (updated where they differed) */
        char **started;  /* started by this run (the others of 'start' were running) */
        BerthApplyStep *steps; /* the plan, in the order it is carried out: remove, create,
                                  update or unchanged, start */
        size_t n_steps;
} BerthApplyResult;

void berth_apply_result_clear(BerthApplyResult *r);

typedef struct BerthApplyOptions {
        bool dry_run; /* the plan only: nothing is created, changed, started or removed */
        bool prune;   /* stop and destroy the containers the file created (labels.berth.compose
                         is its project) that it no longer declares */
} BerthApplyOptions;

/* Applies a composition file (berth create -f) as desired state: checks every container's
 * settings, template and template options first and changes nothing when any is wrong; then
 * (with prune) removes what the file created and no longer declares, creates the shared host
 * directories and the containers that do not exist yet (labelled labels.berth.compose = the
 * file's 'project', else its absolute path), brings existing ones to the settings the file
 * declares (limits live, the rest at their next start, as berth_set; keys the file does not
 * mention are left alone, a changed template rebuilds nothing), and starts the 'start' list in
 * order, each waiting until ready. Applying the same file twice changes nothing. opts may be
 * NULL. */
int berth_apply_with(BerthContext *ctx, const char *path, const BerthApplyOptions *opts,
                     BerthApplyResult *ret, BerthError **reterr);
/* berth_apply_with() without options. */
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

/* Sets keys of container name's config.yaml from "KEY=VALUE" assignments (berth set):
 * "limits.memory=1G", "environment.TZ=UTC", "limits={pids: 64}"; VALUE is YAML, empty or null
 * unsets. Every assignment is checked exactly as the config file is (the key table and the
 * cross-key checks), then, for a running container, changed limits.* are applied live to its
 * cgroup through its monitor (refused, naming the key, when the host cannot apply one), and the
 * config is saved: both happen or neither (the cgroup is changed back when the save fails).
 * Other keys take effect at the next start (listed in ret->next_start); autostart.*, labels and
 * template.* need no start. name, rootfs.* cannot be changed this way (EINVAL). ret may be
 * NULL. */
int berth_set(BerthContext *ctx, const char *name, char **assignments, BerthConfigChange *ret,
              BerthError **reterr);
/* The text of config.yaml as it is on disk (comments and all). */
int berth_config_text(BerthContext *ctx, const char *name, char **ret_text, BerthError **reterr);
/* Replaces config.yaml by text (berth config NAME edit), checked first as a whole file
 * (filename names it in errors: "FILE:LINE:COL: key ...") and written atomically as given;
 * limits and the rest as berth_set. An invalid text changes nothing. */
int berth_config_replace(BerthContext *ctx, const char *name, const char *text,
                         const char *filename, BerthConfigChange *ret, BerthError **reterr);

/* ---- rename ------------------------------------------------------------------------------------ */

/* Renames a stopped container (EBUSY while it runs) with its rootfs and snapshots. The hostname
 * follows when it was the old name (unset, or set to it), and so does /etc/hostname inside when
 * it held exactly the old name; otherwise both stay as configured. The MAC derived from the name
 * changes with it (set network[].hwaddr to keep one). A composition file's label is dropped: the
 * renamed container is no longer the one the file declares. Events: the old name removed, the
 * new one defined. */
int berth_rename(BerthContext *ctx, const char *name, const char *new_name, BerthError **reterr);

/* ---- preflight (berth doctor) ----------------------------------------------------------------- */

typedef enum BerthDoctorVerdict {
        BERTH_DOCTOR_OK,
        BERTH_DOCTOR_WARN, /* something berth can do without (a template, a limit, a backend) */
        BERTH_DOCTOR_FAIL, /* containers cannot run as berth runs them */
        BERTH_DOCTOR_UNKNOWN,
        _BERTH_DOCTOR_VERDICT_MAX,
        _BERTH_DOCTOR_VERDICT_INVALID = -1,
} BerthDoctorVerdict;
const char *berth_doctor_verdict_to_string(BerthDoctorVerdict v);
BerthDoctorVerdict berth_doctor_verdict_from_string(const char *s);

typedef struct BerthDoctorCheck {
        char *id;     /* "ns.user", "cgroup.memory", "idmap.store", "tool.debootstrap", ... */
        char *title;  /* "user namespaces" */
        BerthDoctorVerdict verdict;
        char *detail; /* what was found */
        char *fix;    /* the package, kernel option or command that fixes it; NULL when ok */
} BerthDoctorCheck;
void berth_doctor_checks_free(BerthDoctorCheck *c, size_t n);

typedef struct BerthDoctorOptions {
        const char *proc_root; /* NULL: /proc */
        const char *sys_root;  /* NULL: /sys */
        const char *root;      /* where host tools are looked for (its bin directories); NULL: / */
        bool no_probes;        /* only what the files say: no syscall, mount or cgroup probe */
} BerthDoctorOptions;

/* Everything berth needs of the host: namespaces (time included), user namespaces allowed,
 * openat2, clone3, pidfd, seccomp, the cgroup layout and each controller, cgroup creation and
 * delegation, idmapped mounts on the store's file system, root's subordinate ids, the tools the
 * templates and the managed network run. A failing check names its fix. opts may be NULL. */
int berth_doctor(BerthContext *ctx, const BerthDoctorOptions *opts, BerthDoctorCheck **ret,
                 size_t *ret_n, BerthError **reterr);

/* ---- files in and out (berth cp) ------------------------------------------------------------- */

typedef struct BerthCopyOptions {
        bool follow_link; /* the source itself a symlink: copy what it points at (for a container
                             path, resolved inside the container) instead of the link */
} BerthCopyOptions;

typedef struct BerthCopyResult {
        uint64_t files, dirs, symlinks;
        uint64_t bytes;   /* of the files */
        uint64_t skipped; /* device nodes, fifos, sockets, and other file systems below the
                             source: not copied */
} BerthCopyResult;

/* Copies a host file or directory tree into container name (running or stopped), as cp -r and
 * docker cp do: into container_dst when it is a directory, else as container_dst (whose parent
 * must exist). Every path in the container is resolved inside it (a symlink there never leads
 * to the host); symlinks are copied as symlinks, modes and times kept, and what is copied
 * belongs to container root. opts may be NULL; ret may be NULL. */
int berth_copy_to(BerthContext *ctx, const char *name, const char *host_src,
                  const char *container_dst, const BerthCopyOptions *opts, BerthCopyResult *ret,
                  BerthError **reterr);
/* The other way: container_src (resolved inside the container) to the host, owned by the caller,
 * modes kept without set-user-ID and set-group-ID bits. */
int berth_copy_from(BerthContext *ctx, const char *name, const char *container_src,
                    const char *host_dst, const BerthCopyOptions *opts, BerthCopyResult *ret,
                    BerthError **reterr);

/* ---- console log (berth logs) ------------------------------------------------------------------ */

typedef struct BerthLog BerthLog;

/* The console log the monitor keeps (<store>/NAME/console.log, when console.log is true), from
 * its start. With follow, reading goes on as the container writes, across its restarts (the file
 * is created at the first start and restarted past 1 MiB): berth_log_get_fd() turns readable
 * (POLLIN) when there may be more, pushed by inotify. */
int berth_log_open(BerthContext *ctx, const char *name, bool follow, BerthLog **ret,
                   BerthError **reterr);
BerthLog *berth_log_free(BerthLog *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(BerthLog *, berth_log_free);
/* -EBADF without follow. */
int berth_log_get_fd(BerthLog *l);
/* Bytes read into buf; 0 when there is nothing more now (without follow: the end). Never
 * blocks. */
ssize_t berth_log_read(BerthLog *l, void *buf, size_t size, BerthError **reterr);
/* The container left the store (destroyed or renamed) while it was followed: nothing more
 * will come. */
bool berth_log_gone(BerthLog *l);

/* ---- autostart (berth autostart, berth.service) ----------------------------------------------- */

typedef struct BerthAutostartEntry {
        char *name;
        bool enabled;         /* autostart.enabled */
        int64_t order;        /* autostart.order: lower starts first */
        uint64_t delay_usec;  /* autostart.delay: the wait after its start, before the next */
        char *group;          /* autostart.group, or NULL */
        int timeout_sec;      /* init.stop_timeout */
} BerthAutostartEntry;
void berth_autostart_entries_free(BerthAutostartEntry *e, size_t n);

typedef struct BerthAutostartOptions {
        char **groups;   /* NULL: every group; else only these, in this order ("" stands for the
                            containers without a group) */
        bool all;        /* also the containers without autostart.enabled */
        int timeout_sec; /* stop: per container; < 0: its init.stop_timeout */
} BerthAutostartOptions;

typedef enum BerthAutostartAction {
        BERTH_AUTOSTART_START,
        BERTH_AUTOSTART_STOP,
        BERTH_AUTOSTART_KILL,
        _BERTH_AUTOSTART_ACTION_MAX,
        _BERTH_AUTOSTART_ACTION_INVALID = -1,
} BerthAutostartAction;

typedef enum BerthAutostartOutcome {
        BERTH_AUTOSTART_DONE,    /* started, or stopped */
        BERTH_AUTOSTART_ALREADY, /* it was running (start) or stopped (stop) already */
        BERTH_AUTOSTART_FAILED,  /* err says why */
} BerthAutostartOutcome;

/* Called after each container, in the order acted on. */
typedef void (*BerthAutostartFunc)(const char *name, BerthAutostartAction action,
                                   BerthAutostartOutcome outcome, const BerthError *err,
                                   void *userdata);

/* The containers autostart acts on, in start order: by group (in the order of opts->groups),
 * then autostart.order, then name. opts may be NULL. */
int berth_autostart_list(BerthContext *ctx, const BerthAutostartOptions *opts,
                         BerthAutostartEntry **ret, size_t *ret_n, BerthError **reterr);
/* As lxc-autostart: START starts them in that order, waiting each one's autostart.delay after
 * its start before the next; STOP (or KILL) stops them in the reverse order, each within its
 * stop timeout. Goes on past a failure; fails at the end naming how many failed, with the errno
 * of the first. */
int berth_autostart(BerthContext *ctx, BerthAutostartAction action,
                    const BerthAutostartOptions *opts, BerthAutostartFunc report, void *userdata,
                    BerthError **reterr);

/* The monitor's main: runs the container until it stops. status_fd receives a one-line
 * "ok\n" once init runs, or "error: <message>\n"; it is closed either way. */
#define BERTH_MONITOR_EPHEMERAL 0x1U /* run on a throw-away layer (berth start --ephemeral) */
int berth_monitor_run(BerthContext *ctx, const char *name, unsigned flags, int status_fd,
                      BerthError **reterr);

/* ---- events ------------------------------------------------------------------------------- */

typedef enum BerthEventType {
        BERTH_EVENT_DEFINED,  /* a container appeared in the store (create, clone, rename) */
        BERTH_EVENT_REMOVED,  /* a container left the store */
        BERTH_EVENT_STATE,    /* a state change: state, init_pid */
        BERTH_EVENT_READY,    /* init reported READY=1 */
        BERTH_EVENT_ORPHANED, /* the monitor died; init still runs */
        BERTH_EVENT_ADOPTED,  /* a new monitor took an orphaned init over */
        BERTH_EVENT_CHANGED,  /* config.yaml or the snapshot list changed */
        _BERTH_EVENT_TYPE_MAX,
        _BERTH_EVENT_TYPE_INVALID = -1,
} BerthEventType;
const char *berth_event_type_to_string(BerthEventType t);
BerthEventType berth_event_type_from_string(const char *s);

typedef struct BerthEvent {
        BerthEventType type;
        const char *name;
        BerthState state;        /* the state after the event (STOPPED for DEFINED/REMOVED) */
        pid_t init_pid;          /* 0 when not running */
        uint64_t timestamp_usec; /* CLOCK_REALTIME */
} BerthEvent;

/* Return < 0 to stop dispatching; that value is returned by berth_events_dispatch(). */
typedef int (*BerthEventFunc)(const BerthEvent *ev, void *userdata);

typedef struct BerthEvents BerthEvents;

/* A live source of events for every container (names NULL) or the named ones, including
 * containers driven by other processes. Pushed by the store (inotify) and the monitors (their
 * subscription sockets); nothing is polled, so an idle source causes no wakeups. */
int berth_events_new(BerthContext *ctx, char **names, BerthEvents **ret, BerthError **reterr);
BerthEvents *berth_events_free(BerthEvents *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(BerthEvents *, berth_events_free);
/* Readable (POLLIN) when berth_events_dispatch() has something to do. */
int berth_events_get_fd(BerthEvents *e);
/* Handles what is pending without blocking, calling f for each event in order. */
int berth_events_dispatch(BerthEvents *e, BerthEventFunc f, void *userdata, BerthError **reterr);

/* ---- snapshots and clones ----------------------------------------------------------------- */

typedef struct BerthSnapshot {
        char *name;
        uint64_t created_usec; /* CLOCK_REALTIME */
        uint64_t size;         /* bytes the snapshot holds on its own; UINT64_MAX unknown */
        char *comment;         /* or NULL */
        uint64_t expires_usec; /* 0: never */
        bool scheduled;        /* made by the schedule (subject to its retention) */
} BerthSnapshot;

void berth_snapshots_free(BerthSnapshot *snaps, size_t n);

/* A running container is frozen for a consistent copy and thawed again. snap NULL: the next
 * free "snapN"; the name used is returned in *ret_snap (may be NULL). */
int berth_snapshot_create(BerthContext *ctx, const char *name, const char *snap,
                          const char *comment, char **ret_snap, BerthError **reterr);
/* Oldest first. */
int berth_snapshot_list(BerthContext *ctx, const char *name, BerthSnapshot **ret, size_t *ret_n,
                        BerthError **reterr);
/* Replaces the container's rootfs by the snapshot's, atomically; refused (EBUSY) while it runs
 * unless force, which stops it first. as_name non-NULL: a new container from the snapshot
 * instead, the original untouched. */
int berth_snapshot_restore(BerthContext *ctx, const char *name, const char *snap,
                           const char *as_name, bool force, BerthError **reterr);
/* snap NULL: every snapshot. */
int berth_snapshot_delete(BerthContext *ctx, const char *name, const char *snap,
                          BerthError **reterr);
/* Takes the snapshots that are due by each container's snapshots.schedule at now_usec
 * (CLOCK_REALTIME; 0: now) and applies retention (keep, expiry). */
int berth_snapshot_scheduled(BerthContext *ctx, uint64_t now_usec, BerthError **reterr);

typedef struct BerthCloneOptions {
        const char *snapshot; /* clone this snapshot instead of the current rootfs */
        bool cow;             /* copy-on-write where the backend can (EOPNOTSUPP otherwise) */
} BerthCloneOptions;

/* A new container dst with its own name, hostname, uuid and MAC. opts may be NULL. */
int berth_clone(BerthContext *ctx, const char *src, const char *dst,
                const BerthCloneOptions *opts, BerthError **reterr);

/* ---- networking --------------------------------------------------------------------------- */

/* The managed bridge: the global config's 'network:' section (berth0, 10.0.3.1/24 by default).
 * Up makes the bridge with its address, dnsmasq (DHCP, and DNS where every running container on
 * it resolves as NAME.DOMAIN and by bare name) and the NAT rules; it is idempotent and repairs a
 * half-up network. Down removes all of it; it refuses (EBUSY) while running containers use the
 * network, unless force. bridge: NULL, or the managed bridge's name (EINVAL otherwise). */
int berth_network_up(BerthContext *ctx, const char *bridge, BerthError **reterr);
int berth_network_down(BerthContext *ctx, const char *bridge, bool force, BerthError **reterr);

typedef struct BerthNetworkStatus {
        char *bridge;
        bool up;              /* recorded as up, and the bridge exists */
        char *ipv4;           /* the bridge's address and prefix */
        char *ipv6;           /* or NULL */
        char *domain;
        pid_t dnsmasq_pid;    /* 0: not running */
        bool nat;             /* the masquerade table is loaded */
        char **containers;    /* "NAME ADDRESS" of the running containers on it (may be NULL) */
        char **leases;        /* "MAC ADDRESS HOSTNAME" of dnsmasq's leases (may be NULL) */
} BerthNetworkStatus;

void berth_network_status_clear(BerthNetworkStatus *s);
int berth_network_status(BerthContext *ctx, const char *bridge, BerthNetworkStatus *ret,
                         BerthError **reterr);
