/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The backend ops table and the helpers both backends share. Nothing outside src/lib/cgroup
 * includes this file. */

#include <signal.h>
#include <stdint.h>

#include "cgroup.h"
#include "proc-util.h"
#include "time-util.h"

/* Hard caps on what the kernel or a container can make us walk. cgroup.max.depth is unlimited
 * by default, so a hostile payload could nest cgroups until we run out of fds. */
#define CGROUP_MAX_DEPTH 64U
#define CGROUP_MAX_HIERARCHIES 64U
#define CGROUP_MAX_CONTROLLERS 32U
#define CGROUP_MAX_RELPATH 4095U
#define CGROUP_MAX_MOUNTINFO (16U << 20)
/* Small keyed files (cgroup.events, cpu.stat, cgroup.controllers) are far below this. */
#define CGROUP_MAX_SMALL_FILE (64U << 10)

/* timeout_usec 0 picks this default; UINT64_MAX waits forever. */
#define CGROUP_DEFAULT_TIMEOUT_USEC (10ULL * 1000 * 1000)
/* How long destroy retries an EBUSY rmdir while the last processes are still exiting. */
#define CGROUP_DESTROY_TIMEOUT_USEC (1000ULL * 1000)
/* Back-off for polling a state the kernel does not notify: start short, never a 1 s tick. */
#define CGROUP_BACKOFF_MIN_USEC 100ULL
#define CGROUP_BACKOFF_MAX_USEC 10000ULL

typedef struct CgroupOps {
        const char *name;
        int (*create)(Cgroup *cg, BerthError **reterr);
        /* Writes what differs between from and to; what to leaves unset is lifted. */
        int (*change_limits)(Cgroup *cg, const BerthLimits *from, const BerthLimits *to,
                             BerthError **reterr);
        int (*attach)(Cgroup *cg, pid_t pid, BerthError **reterr);
        int (*apply_devices)(Cgroup *cg, BerthError **reterr);
        int (*freeze)(Cgroup *cg, uint64_t deadline, BerthError **reterr);
        int (*thaw)(Cgroup *cg, BerthError **reterr);
        int (*is_frozen)(Cgroup *cg, bool *ret);
        int (*kill_all)(Cgroup *cg, uint64_t deadline, BerthError **reterr);
        int (*signal_all)(Cgroup *cg, int sig, BerthError **reterr);
        int (*is_empty)(Cgroup *cg, bool *ret);
        int (*get_stats)(Cgroup *cg, CgroupStats *ret);
        int (*destroy)(Cgroup *cg, BerthError **reterr);
} CgroupOps;

struct Cgroup {
        CgroupLayout *layout; /* private deep copy */
        char *relpath;        /* normalised, relative */
        const CgroupOps *ops;
        char **v1_paths;    /* v1_paths[i] is the cgroup in layout->v1[i] */
        char *unified_path; /* the cgroup in layout->unified_mount, or NULL */
};

extern const CgroupOps cgroup_v1_ops;
extern const CgroupOps cgroup_v2_ops;

/* CLOCK_MONOTONIC in microseconds, and deadlines built on it (UINT64_MAX: never). */
uint64_t cgroup_deadline(uint64_t timeout_usec);
/* Sleeps min(*delay, time left) and doubles *delay up to max_usec. Returns false (without
 * sleeping) once the deadline has passed. */
bool cgroup_backoff(uint64_t deadline, uint64_t *delay, uint64_t max_usec);

/* mkdir of every missing level of relpath below root; the paths of the directories this call
 * created are appended to *created, parents first, so a failure can undo exactly those. */
int cgroup_mkdir_levels(const char *root, const char *relpath, char ***created,
                        BerthError **reterr);
/* rmdir of created, last first (best effort: used while unwinding). */
void cgroup_rmdir_created(char **created);
/* Depth-first rmdir of dir and everything below it; ENOENT is fine, EBUSY is retried until
 * deadline. */
int cgroup_rmdir_tree(const char *dir, uint64_t deadline, BerthError **reterr);

/* Calls f for each pid in cgroup.procs of dir and of every cgroup below it. A negative return
 * from f stops the walk. A missing dir has no pids. Returns the number of pids seen. */
typedef int (*CgroupPidFunc)(pid_t pid, void *userdata);
int cgroup_walk_pids(const char *dir, CgroupPidFunc f, void *userdata);
/* Sends sig to every pid of the subtree but our own; ESRCH is fine. Returns how many were
 * signalled. */
int cgroup_signal_tree(const char *dir, int sig);
/* The pid count of the subtree (0 when dir does not exist). */
int cgroup_count_pids(const char *dir);

/* Writes value to dir/file for the config key (a "limits.*" name): a missing file reads
 * "set 'key': no FILE on this host", a refused write names the value and the path. */
int cgroup_write_limit(const char *dir, const char *file, const char *key, const char *value,
                       BerthError **reterr);
/* Writes a cgroup file; the error names the value and the path. */
int cgroup_write_attr(const char *dir, const char *file, const char *value, BerthError **reterr);
/* apply_limits first builds the list of writes and checks that every file exists, so a limit
 * this host cannot apply fails before anything is written. */
#define CGROUP_MAX_LIMIT_WRITES 16U
typedef struct CgroupLimitWrite {
        const char *key;        /* "limits.memory" */
        const char *controller; /* "memory", for the error when the host lacks it */
        const char *dir;        /* NULL: no such controller on this host */
        const char *file;
        char value[48];
} CgroupLimitWrite;
typedef struct CgroupLimitPlan {
        CgroupLimitWrite w[CGROUP_MAX_LIMIT_WRITES];
        size_t n;
} CgroupLimitPlan;
/* Appends a write of the formatted value to dir/file. */
_printf_(6, 7) void cgroup_plan_add(CgroupLimitPlan *plan, const char *key, const char *controller,
                                    const char *dir, const char *file, const char *fmt, ...);
/* Fails naming the key when a controller or a file of the plan is missing on this host. */
int cgroup_plan_check(const CgroupLimitPlan *plan, BerthError **reterr);
int cgroup_plan_apply(const CgroupLimitPlan *plan, BerthError **reterr);
/* 0 when dir/file exists, -ENOENT when not, other -errno on failure. */
int cgroup_file_exists(const char *dir, const char *file);

/* Reads a single-number file; "max" gives UINT64_MAX. -ENOENT when the file is missing,
 * -EBADMSG when it holds something else. */
int cgroup_read_u64(const char *dir, const char *file, uint64_t *ret);
/* Reads "key value" from a keyed file (cgroup.events, cpu.stat); -ENOENT when the file or the
 * key is missing. */
int cgroup_read_keyed(const char *dir, const char *file, const char *key, uint64_t *ret);
/* Finds key in the text of a keyed file. */
int cgroup_parse_keyed(const char *text, const char *key, uint64_t *ret);

/* Shared kill: freeze (when the backend can), SIGKILL every pid of dirs' subtrees, thaw, and
 * repeat the kill while waiting for the subtree to empty. */
int cgroup_kill_generic(Cgroup *cg, char *const *dirs, uint64_t deadline, BerthError **reterr);

int cgroup_layout_copy(const CgroupLayout *l, CgroupLayout **ret);

/* ---- device access (cgroup-devices.c) ---- */

#define CGROUP_DEVICE_READ 0x1U
#define CGROUP_DEVICE_WRITE 0x2U
#define CGROUP_DEVICE_MKNOD 0x4U
#define CGROUP_DEVICE_RWM (CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE | CGROUP_DEVICE_MKNOD)
#define CGROUP_DEVICE_ANY (-1) /* any major or minor: "*" */

typedef struct CgroupDeviceRule {
        char type; /* 'c', 'b' or 'a' (both) */
        int major, minor;
        unsigned access; /* CGROUP_DEVICE_* */
} CgroupDeviceRule;

/* The allow list every container gets (pure data). */
const CgroupDeviceRule *cgroup_device_rules(size_t *ret_n);
/* "c 1:3 rwm", as the v1 devices.allow file takes it. */
int cgroup_device_rule_format(const CgroupDeviceRule *rule, char *buf, size_t size);
struct bpf_insn;
/* Pure: the BPF_PROG_TYPE_CGROUP_DEVICE program that allows exactly what the rules allow and
 * denies everything else. -ENOBUFS when max instructions do not suffice. */
int cgroup_device_program(const CgroupDeviceRule *rules, size_t n_rules, struct bpf_insn *insns,
                          size_t max, size_t *ret_n);
/* v1: writes the list to dir's devices.deny / devices.allow. */
int cgroup_devices_v1_apply(const char *dir, BerthError **reterr);
/* The ids of the device programs attached to the cgroup directly (at most max); -errno. */
int cgroup_devices_bpf_query(int cgroup_fd, uint32_t *ids, size_t max);
/* v2: loads the program and attaches it to the cgroup dir (replacing one attached before). */
int cgroup_devices_bpf_apply(const char *dir, BerthError **reterr);
