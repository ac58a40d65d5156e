/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One interface over cgroup v1/hybrid and v2. Callers never branch on the backend. Every path
 * is relative to a CgroupLayout, so unit tests point it at a fake tree. */

#include <stdint.h>
#include <sys/types.h>

#include "../../shared/error.h"
#include "../config/config.h"

typedef struct CgroupHierarchy {
        char *mountpoint;   /* /sys/fs/cgroup/memory */
        char **controllers; /* {"memory"}, {"cpu","cpuacct"}, {"name=systemd"} */
} CgroupHierarchy;

typedef struct CgroupLayout {
        bool unified;          /* pure v2: every controller in unified_mount */
        char *unified_mount;   /* v2 mount point (also set on hybrid hosts), or NULL */
        CgroupHierarchy *v1;   /* v1 hierarchies (empty when unified) */
        size_t n_v1;
} CgroupLayout;

/* Pure: builds the layout from the text of /proc/self/mountinfo. */
int cgroup_layout_from_mountinfo(const char *mountinfo, CgroupLayout **ret);
/* Reads /proc/self/mountinfo. */
int cgroup_layout_detect(CgroupLayout **ret);
CgroupLayout *cgroup_layout_free(CgroupLayout *l);
/* What a container's /sys/fs/cgroup needs: whether the host is pure v2, else the mount
 * options of each v1 hierarchy ("memory", "cpu,cpuacct", "name=systemd"). */
int cgroup_layout_mount_spec(const CgroupLayout *l, bool *ret_unified, char ***ret_v1);
DEFINE_TRIVIAL_CLEANUP_FUNC(CgroupLayout *, cgroup_layout_free);

typedef struct CgroupStats {
        uint64_t cpu_usec;       /* UINT64_MAX unknown */
        uint64_t memory_current; /* UINT64_MAX unknown */
        uint64_t memory_max;     /* UINT64_MAX unlimited */
        uint64_t pids_current;   /* UINT64_MAX unknown */
        uint64_t pids_max;       /* UINT64_MAX unlimited */
} CgroupStats;

typedef struct Cgroup Cgroup; /* one cgroup, in every hierarchy of the layout */

/* relpath: "berth/web1" below each hierarchy's root. The layout is copied. */
int cgroup_new(const CgroupLayout *layout, const char *relpath, Cgroup **ret);
Cgroup *cgroup_free(Cgroup *cg);
DEFINE_TRIVIAL_CLEANUP_FUNC(Cgroup *, cgroup_free);
const char *cgroup_relpath(const Cgroup *cg);

/* Creates the cgroup (and missing parents) in every hierarchy; on v2 enables the available
 * controllers in the parents' subtree_control; on v1 seeds cpuset.cpus/mems from the parent. */
int cgroup_create(Cgroup *cg, BerthError **reterr);
/* A limit that cannot be applied on this host fails and names the key ("limits.swap"). */
int cgroup_apply_limits(Cgroup *cg, const BerthLimits *limits, BerthError **reterr);
/* Changes a live cgroup's limits from `from` (what it has) to `to`: only what differs is
 * written, and a limit `to` leaves unset is lifted (no limit, or the default weight). A limit
 * this host cannot apply fails before anything is written, naming its key; a write the kernel
 * refuses half way (memory below what cannot be reclaimed, on v1) leaves the earlier writes
 * done: the caller changes back from `to` to `from`. */
int cgroup_change_limits(Cgroup *cg, const BerthLimits *from, const BerthLimits *to,
                         BerthError **reterr);
int cgroup_attach(Cgroup *cg, pid_t pid, BerthError **reterr);
/* Restricts the device nodes the subtree may create and open to the container's standard ones
 * (cgroup_device_rules() in cgroup-devices.c): on v1 the devices controller's list (deny all,
 * then allow each), on v2 a BPF device program attached to the cgroup. Call it on the payload
 * cgroup once it is created, before any process of the container runs in it; calling it again
 * changes nothing. -EOPNOTSUPP when the host can do neither (no devices hierarchy, no cgroup2),
 * so a container never runs without the list. */
int cgroup_apply_devices(Cgroup *cg, BerthError **reterr);
/* timeout_usec below: 0 picks a default of 10 s, UINT64_MAX waits without limit. */
/* Freezes the whole subtree and returns once it is frozen (v2: cgroup.events; v1: freezer.state
 * polled with a short back-off starting at 100 us). -ETIMEDOUT after timeout_usec. */
int cgroup_freeze(Cgroup *cg, uint64_t timeout_usec, BerthError **reterr);
int cgroup_thaw(Cgroup *cg, BerthError **reterr);
int cgroup_is_frozen(Cgroup *cg, bool *ret);
/* SIGKILLs every process of the subtree (v2 cgroup.kill when present, else freeze, kill, thaw)
 * and returns once the subtree is empty or timeout_usec passed (-ETIMEDOUT). */
int cgroup_kill_all(Cgroup *cg, uint64_t timeout_usec, BerthError **reterr);
/* Sends sig to every process of the subtree. */
int cgroup_signal_all(Cgroup *cg, int sig, BerthError **reterr);
int cgroup_is_empty(Cgroup *cg, bool *ret);
int cgroup_get_stats(Cgroup *cg, CgroupStats *ret);
/* Removes the cgroup and every child below it, deepest first, in every hierarchy. Missing
 * directories are fine. */
int cgroup_destroy(Cgroup *cg, BerthError **reterr);
/* The cgroup directory in the hierarchy that holds controller ("memory", "name=systemd"; NULL
 * for the unified one), or NULL when there is none. */
const char *cgroup_path_for(const Cgroup *cg, const char *controller);
/* The cgroup a process joining a running container (attach) enters: the container's cgroup
 * namespace root ns_relpath, or, where a cgroup with controllers enabled for its children takes
 * no process (v2, once systemd inside enabled them), the cgroup init_pid lives in, when that is
 * below ns_relpath (never anywhere init was moved out to). */
int cgroup_for_joining(const CgroupLayout *layout, const char *ns_relpath, pid_t init_pid,
                       Cgroup **ret);
/* Moves pid to the root cgroup of every hierarchy of layout (the monitor leaves its own cgroup
 * this way before removing it). */
int cgroup_attach_root(const CgroupLayout *layout, pid_t pid);
/* Counts the processes of the subtree that are alive (zombies not counted: an init that is
 * not reaping still holds them, and pids.current counts them). */
int cgroup_count_live(Cgroup *cg, size_t *ret);
/* Delegates the cgroup to uid/gid (the container's root, for an unprivileged container): its
 * directory and the files in it, in every hierarchy, so that root inside can create and manage
 * its own sub-cgroups. The limits stay with the parent, which the container cannot see. */
int cgroup_chown(Cgroup *cg, uid_t uid, gid_t gid, BerthError **reterr);
