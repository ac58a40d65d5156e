/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the monitor (owner of a running container) and the library calls that find
 * and talk to it. */

#include <stdint.h>
#include <sys/types.h>

#include "berth.h"
#include "cgroup/cgroup.h"
#include "config/config.h"
#include "mount/mount.h"
#include "security/security.h"
#include "time-util.h"

#define MONITOR_TTYS_MAX 64

/* <rundir>/<name>/state: what a monitor (or its successor) needs to find the container again,
 * also when the monitor that wrote it is gone. */
typedef struct RuntimeState {
        BerthState state;
        pid_t init_pid;
        uint64_t init_starttime; /* field 22 of /proc/PID/stat: guards against pid reuse */
        uint64_t since_usec;
        uint64_t started_usec;   /* CLOCK_REALTIME when the current init started */
        bool ready;              /* READY=1 seen, or an init that does not notify */
        pid_t monitor_pid;
        uint64_t monitor_starttime;
        char *cgroup;            /* payload cgroup, relative to each hierarchy's root */
        char *ephemeral_dir;     /* the throw-away layer of an ephemeral start, or NULL */
} RuntimeState;

void runtime_state_done(RuntimeState *s);
int runtime_state_write(const char *run_dir, const RuntimeState *s);
/* -ENOENT when there is no state file. */
int runtime_state_read(const char *run_dir, RuntimeState *ret);
/* Field 22 of /proc/PID/stat (start time in clock ticks since boot). */
int proc_starttime(pid_t pid, uint64_t *ret);
/* True when pid is alive and still the process that started at starttime. */
bool runtime_init_alive(const RuntimeState *s);
/* True when the monitor that wrote s is still alive. */
bool runtime_monitor_alive(const RuntimeState *s);

/* Cgroup paths, relative to each hierarchy's root. */
char *monitor_payload_cgroup(const char *parent, const char *name);   /* parent/name */
char *monitor_own_cgroup(const char *parent, const char *name);       /* parent/name.monitor */

typedef struct SpawnParams SpawnParams;

/* Runs on the host while init waits, its namespaces made (network links are created and moved
 * in here). */
typedef struct SpawnHook {
        const char *name; /* context for its errors: "set up network" */
        int (*run)(const SpawnParams *p, pid_t init_pid, int init_pidfd, void *userdata,
                   BerthError **reterr);
        void *userdata;
} SpawnHook;

struct SpawnParams {
        const char *name;
        const BerthConfig *config;
        const char *rootfs;
        const char *container_dir;
        const char *ephemeral_dir; /* non-NULL: a throw-away layer on top (start --ephemeral) */
        const MountPlan *plan;
        const CapsPlan *caps;
        const SeccompPlan *seccomp;
        const LsmOps *lsm;
        const char *lsm_profile; /* NULL: none */
        char **env;              /* init's whole environment */
        Cgroup *ns_cgroup;       /* the child joins it before its cgroup namespace exists */
        const BerthIdmap *idmap; /* non-NULL: a user namespace with this map, idmapped rootfs */
        size_t n_idmap;
        gid_t tty_gid;           /* host gid of the container's tty group (5) */
        const char *uuid;        /* container_uuid, /run/host/container-uuid */
        const char *os_release;  /* the host's, for /run/host/os-release (may be NULL) */
        bool bind_ttys;          /* ptys over /dev/ttyN (not for systemd: container_ttys) */
        const SpawnHook *hooks;  /* in order */
        size_t n_hooks;
};

typedef struct SpawnResult {
        pid_t pid;
        int pidfd;
        int masters[MONITOR_TTYS_MAX + 1]; /* [0] console, [N] ttyN */
        size_t n_masters;
        int notify_fd; /* /run/host/notify, bound by the child */
} SpawnResult;

/* Clones the container's init into its namespaces, has its tree built and locked (see
 * spawn.c), and returns once init has exec'd; a failure in any process of the setup comes back
 * with its errno and message. */
int spawn_container(const SpawnParams *p, SpawnResult *ret, BerthError **reterr);
void spawn_result_done(SpawnResult *r);

/* The monitor's status line to whoever started it: "ok\n", or "error ERRNO MESSAGE\n", so the
 * start fails with the monitor's own errno and message. */
#define MONITOR_STATUS_MAX 4096
_printf_(3, 4) void monitor_status_write(int fd, int error, const char *fmt, ...);
/* 0 for "ok"; else the error, with its errno, in *reterr. */
int monitor_status_parse(const char *line, BerthError **reterr);

/* <container_dir>/uuid, created on first use: stable for the container's life. */
int container_uuid_get(const char *container_dir, char **ret);

