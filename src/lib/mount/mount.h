/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container's filesystem: a mount plan computed as plain data (unit-tested without root),
 * then applied in the child's new mount namespace, then pivot_root. */

#include <stdint.h>
#include <sys/types.h>

#include "../../shared/error.h"
#include "../config/config.h"

typedef enum MountKind {
        MOUNT_KIND_FS,       /* mount(source, target, fstype, flags, data) */
        MOUNT_KIND_BIND,     /* bind source (host path) onto target, then apply flags by remount */
        MOUNT_KIND_REMOUNT,  /* remount an existing mount point (read-only /proc/sys, …) */
        MOUNT_KIND_MKDIR,    /* make a directory */
        MOUNT_KIND_SYMLINK,  /* target -> source */
        MOUNT_KIND_MKNOD,    /* character device (major, minor) */
        MOUNT_KIND_FILE,     /* create an empty file (bind target) */
        _MOUNT_KIND_MAX,
        _MOUNT_KIND_INVALID = -1,
} MountKind;
const char *mount_kind_to_string(MountKind k);
MountKind mount_kind_from_string(const char *s);

/* What to create at an FS or BIND target that does not exist yet (BerthMount.create's values). */
typedef enum MountCreate {
        MOUNT_CREATE_NONE = 0, /* the target must exist */
        MOUNT_CREATE_DIR = 1,
        MOUNT_CREATE_FILE = 2,
} MountCreate;

typedef struct MountEntry {
        MountKind kind;
        char *source;
        char *target;        /* absolute, inside the container */
        char *fstype;
        unsigned long flags; /* MS_* */
        char *data;
        mode_t mode;
        unsigned major, minor;
        bool optional;       /* failure (missing source, unsupported fs) is skipped */
        bool source_in_root; /* BIND: source is a path inside the container (/proc/sys onto
                                itself), resolved like a target; else a host path */
        int create;          /* MountCreate for FS and BIND targets, made with mode */
} MountEntry;

typedef struct MountPlan {
        MountEntry *entries;
        size_t n_entries;
} MountPlan;

#define MOUNT_MAX_TTYS 64 /* /dev/tty1..64, as console.ttys allows */
#define MOUNT_TTY_GID 5   /* "tty" in every distribution */

typedef struct MountPlanOptions {
        bool cgroup_unified;            /* pure v2 host */
        char **cgroup_v1_hierarchies;   /* mount options per v1 hierarchy: "memory", "cpu,cpuacct",
                                           "name=systemd" (hybrid/v1 hosts) */
        unsigned ttys;                  /* /dev/tty1..N */
        bool userns;                    /* device nodes are bind-mounted from the host */
        gid_t tty_gid;                  /* host gid of the container's tty group; 0: 5 */
} MountPlanOptions;

/* Pure: the ordered plan for proc (with /proc/sys and other sensitive proc files read-only),
 * sys read-only, the cgroup tree (tmpfs + one mount per hierarchy, or cgroup2), tmpfs /dev with
 * the standard nodes and symlinks, a devpts instance (newinstance, ptmxmode=0666), /dev/shm,
 * /dev/mqueue, /run, and the user mounts of c, in that order. */
int mount_plan_build(const BerthConfig *c, const MountPlanOptions *opts, MountPlan **ret,
                     BerthError **reterr);
MountPlan *mount_plan_free(MountPlan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(MountPlan *, mount_plan_free);

/* In the child, in its new mount namespace: makes / a slave, bind-mounts rootfs on itself, and
 * applies each entry below it. Targets are resolved inside rootfs without following the
 * container's symlinks out of it (openat2 RESOLVE_IN_ROOT, with a tested fallback). */
int mount_plan_apply(const MountPlan *p, const char *rootfs, BerthError **reterr);

/* In the child after mount_plan_apply: opens n_ttys + 1 ptys from the container's own devpts
 * (rootfs/dev/pts/ptmx); bind-mounts pts 0 over /dev/console and pts N over /dev/ttyN.
 * ret_masters receives n_ttys + 1 master fds (O_CLOEXEC), index 0 the console. */
int mount_setup_ptys(const char *rootfs, unsigned n_ttys, int *ret_masters, BerthError **reterr);
/* The same; with bind_ttys false the ttys are only allocated (pts 1..N, in order, as systemd's
 * container_ttys names them) and nothing is bound over /dev/ttyN. The ttys get group tty_gid
 * (a host gid: the container's tty group mapped). */
int mount_setup_ptys_full(const char *rootfs, unsigned n_ttys, bool bind_ttys, gid_t tty_gid,
                          int *ret_masters, BerthError **reterr);

/* In the child after mount_plan_apply: fills /run/host (os-release of the host, container-manager,
 * container-uuid) and binds a datagram socket at /run/host/notify, returned in *ret_notify_fd
 * (the monitor reads sd_notify messages from it). os_release/uuid may be NULL. */
int mount_setup_run_host(const char *rootfs, const char *os_release, const char *uuid,
                         int *ret_notify_fd, BerthError **reterr);

/* pivot_root into rootfs and detach the old root. */
int mount_pivot_root(const char *rootfs, BerthError **reterr);
