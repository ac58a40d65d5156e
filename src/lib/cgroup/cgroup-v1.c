/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup v1 (and hybrid hosts): one directory per hierarchy; the v2 mount of a hybrid host only
 * tracks the processes, it enforces nothing. */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>

#include "../../shared/fileio.h"
#include "../../shared/path-util.h"
#include "../../shared/strv.h"
#include "cgroup-internal.h"

/* memory.limit_in_bytes reads back PAGE_COUNTER_MAX * PAGE_SIZE (about 2^63) when unset. */
#define V1_UNLIMITED_FROM (1ULL << 62)
#define V1_CFS_PERIOD_USEC UINT64_C(100000)

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
        return v < lo ? lo : v > hi ? hi : v;
}

/* A new cpuset cgroup starts with empty cpus and mems and then refuses every task (ENOSPC on
 * attach) unless the parent's sets are copied down, level by level. */
static int seed_cpuset(const char *dir, BerthError **reterr)
{
        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
        _cleanup_free_ char *parent = xstrdup(dir);
        char *slash = strrchr(parent, '/');
        if (!slash || slash == parent)
                return 0;
        *slash = 0;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *own = NULL, *from = NULL, *p = path_join(dir, files[i]);
                _cleanup_free_ char *pp = path_join(parent, files[i]);
                int r = read_one_line_at(AT_FDCWD, p, &own);
                if (r < 0 && r != -ENOENT)
                        return berth_error_set(reterr, r, "read '%s'", p);
                if (r >= 0 && own[strspn(own, " \t")] != 0)
                        continue; /* already set (cgroup.clone_children) */
                r = read_one_line_at(AT_FDCWD, pp, &from);
                if (r < 0)
                        return berth_error_set(reterr, r, "read '%s'", pp);
                /* O_CREAT never creates anything on cgroupfs, where the file always exists; it
                 * lets a test tree stand in for the kernel. */
                _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
                if (fd < 0)
                        return berth_error_set(reterr, errno, "open '%s'", p);
                size_t n = strlen(from);
                ssize_t k = write(fd, from, n);
                if (k < 0 || (size_t)k != n)
                        return berth_error_set(reterr, k < 0 ? errno : EIO, "write '%s' to '%s'",
                                               from, p);
        }
        return 0;
}

static bool hierarchy_has(const Cgroup *cg, size_t i, const char *controller)
{
        return strv_contains(cg->layout->v1[i].controllers, controller);
}

static int v1_create(Cgroup *cg, BerthError **reterr)
{
        _cleanup_strv_free_ char **created = NULL;
        int r;
        for (size_t i = 0; i < cg->layout->n_v1; i++) {
                size_t before = strv_length(created);
                r = cgroup_mkdir_levels(cg->layout->v1[i].mountpoint, cg->relpath, &created,
                                        reterr);
                if (r < 0)
                        goto fail;
                if (!hierarchy_has(cg, i, "cpuset"))
                        continue;
                for (size_t j = before; created && created[j]; j++) {
                        r = seed_cpuset(created[j], reterr);
                        if (r < 0)
                                goto fail;
                }
        }
        /* The hybrid v2 directory only tracks membership: failing to make it costs nothing. */
        if (cg->layout->unified_mount) {
                _cleanup_(berth_error_freep) BerthError *ignored = NULL;
                (void)cgroup_mkdir_levels(cg->layout->unified_mount, cg->relpath, &created,
                                          &ignored);
        }
        return 0;
fail:
        cgroup_rmdir_created(created);
        return r;
}

/* Unset limits are lifted: the kernel's value for "no limit", or its default weight. */
#define V1_UNLIMITED "-1"
#define V1_DEFAULT_SHARES 1024
#define V1_DEFAULT_BLKIO_WEIGHT 500
#define V1_DEFAULT_BFQ_WEIGHT 100

static void plan_memsw(CgroupLimitPlan *plan, const char *mem, const BerthLimits *l,
                       uint64_t total)
{
        if (l->swap > 0)
                cgroup_plan_add(plan, "limits.swap", "memory", mem, "memory.memsw.limit_in_bytes",
                                "%" PRIu64, total);
        else
                cgroup_plan_add(plan, "limits.swap", "memory", mem, "memory.memsw.limit_in_bytes",
                                V1_UNLIMITED);
}

static void plan_memory(CgroupLimitPlan *plan, const char *mem, const BerthLimits *from,
                        const BerthLimits *l, uint64_t total)
{
        /* memsw is written when swap is or was limited; where it never was, the file may be
         * missing (no swap accounting) without harm. */
        bool memsw = l->swap > 0 || from->swap > 0;
        /* The kernel keeps memsw >= memory at every step: raising memory above the current
         * memsw limit needs memsw raised first. */
        bool memsw_first = false;
        uint64_t cur;
        if (memsw && mem && cgroup_read_u64(mem, "memory.memsw.limit_in_bytes", &cur) >= 0)
                memsw_first = cur < (l->memory ?: UINT64_MAX);

        if (memsw && memsw_first)
                plan_memsw(plan, mem, l, total);
        if (l->memory > 0)
                cgroup_plan_add(plan, "limits.memory", "memory", mem, "memory.limit_in_bytes",
                                "%" PRIu64, l->memory);
        else
                cgroup_plan_add(plan, "limits.memory", "memory", mem, "memory.limit_in_bytes",
                                V1_UNLIMITED);
        if (memsw && !memsw_first)
                plan_memsw(plan, mem, l, total);
}

static void plan_io_weight(CgroupLimitPlan *plan, const char *blk, uint64_t w)
{
        /* blkio.weight (CFQ, 10..1000, default 500) is gone from modern kernels; BFQ brings its
         * own file. */
        if (blk && cgroup_file_exists(blk, "blkio.bfq.weight") >= 0 &&
            cgroup_file_exists(blk, "blkio.weight") < 0)
                cgroup_plan_add(plan, "limits.io_weight", "blkio", blk, "blkio.bfq.weight",
                                "%" PRIu64,
                                w ? clamp_u64(w / 10, 1, 1000) : V1_DEFAULT_BFQ_WEIGHT);
        else /* or let the plan check name the missing controller, directory or file */
                cgroup_plan_add(plan, "limits.io_weight", "blkio", blk, "blkio.weight",
                                "%" PRIu64,
                                w ? clamp_u64(w * 5, 10, 1000) : V1_DEFAULT_BLKIO_WEIGHT);
}

static int v1_change_limits(Cgroup *cg, const BerthLimits *from, const BerthLimits *l,
                            BerthError **reterr)
{
        CgroupLimitPlan plan = {};
        const char *mem = cgroup_path_for(cg, "memory"), *cpu = cgroup_path_for(cg, "cpu");

        if (l->swap > 0 && l->memory == 0)
                return berth_error_setf(reterr, EINVAL,
                                        "set 'limits.swap': cgroup v1 needs 'limits.memory' too");
        if (l->memory != from->memory || l->swap != from->swap) {
                if (l->swap > UINT64_MAX - l->memory)
                        return berth_error_set(reterr, ERANGE, "set 'limits.swap': memory plus swap");
                plan_memory(&plan, mem, from, l, l->memory + l->swap);
        }
        if (l->cpus_milli != from->cpus_milli) {
                if (l->cpus_milli > UINT64_MAX / 100)
                        return berth_error_set(reterr, ERANGE, "set 'limits.cpus'");
                if (l->cpus_milli > 0) {
                        cgroup_plan_add(&plan, "limits.cpus", "cpu", cpu, "cpu.cfs_period_us",
                                        "%" PRIu64, V1_CFS_PERIOD_USEC);
                        cgroup_plan_add(&plan, "limits.cpus", "cpu", cpu, "cpu.cfs_quota_us",
                                        "%" PRIu64, l->cpus_milli * (V1_CFS_PERIOD_USEC / 1000));
                } else
                        cgroup_plan_add(&plan, "limits.cpus", "cpu", cpu, "cpu.cfs_quota_us",
                                        V1_UNLIMITED);
        }
        if (l->cpu_weight != from->cpu_weight) {
                if (l->cpu_weight > UINT64_MAX / 1024)
                        return berth_error_set(reterr, ERANGE, "set 'limits.cpu_weight'");
                cgroup_plan_add(&plan, "limits.cpu_weight", "cpu", cpu, "cpu.shares", "%" PRIu64,
                                l->cpu_weight ? MAX(2, l->cpu_weight * 1024 / 100)
                                              : V1_DEFAULT_SHARES);
        }
        if (l->pids != from->pids) {
                if (l->pids > 0)
                        cgroup_plan_add(&plan, "limits.pids", "pids", cgroup_path_for(cg, "pids"),
                                        "pids.max", "%" PRIu64, l->pids);
                else
                        cgroup_plan_add(&plan, "limits.pids", "pids", cgroup_path_for(cg, "pids"),
                                        "pids.max", "max");
        }
        if (l->io_weight != from->io_weight) {
                const char *blk = cgroup_path_for(cg, "blkio");
                if (blk && access(blk, F_OK) >= 0 && cgroup_file_exists(blk, "blkio.weight") < 0 &&
                    cgroup_file_exists(blk, "blkio.bfq.weight") < 0)
                        return berth_error_set(reterr, ENOENT,
                                               "set 'limits.io_weight': no blkio.weight or "
                                               "blkio.bfq.weight on this host");
                plan_io_weight(&plan, blk, l->io_weight);
        }
        return cgroup_plan_apply(&plan, reterr);
}

static int v1_attach(Cgroup *cg, pid_t pid, BerthError **reterr)
{
        char buf[16];
        snprintf(buf, sizeof(buf), "%d", (int)pid);
        for (size_t i = 0; i < cg->layout->n_v1; i++) {
                int r = cgroup_write_attr(cg->v1_paths[i], "cgroup.procs", buf, reterr);
                if (r < 0)
                        return r;
        }
        if (cg->unified_path) {
                _cleanup_(berth_error_freep) BerthError *ignored = NULL;
                (void)cgroup_write_attr(cg->unified_path, "cgroup.procs", buf, &ignored);
        }
        return 0;
}

/* The devices controller where the host has it; a hybrid host without it still runs the BPF
 * program of the unified hierarchy's cgroup for every device access. */
static int v1_apply_devices(Cgroup *cg, BerthError **reterr)
{
        const char *dir = cgroup_path_for(cg, "devices");
        if (dir)
                return cgroup_devices_v1_apply(dir, reterr);
        if (cg->unified_path)
                return cgroup_devices_bpf_apply(cg->unified_path, reterr);
        return berth_error_setf(reterr, EOPNOTSUPP,
                                "no devices hierarchy and no cgroup2 mount on this host");
}

static const char *freezer_dir(Cgroup *cg, BerthError **reterr)
{
        const char *dir = cgroup_path_for(cg, "freezer");
        if (!dir)
                berth_error_set(reterr, EOPNOTSUPP, "no freezer hierarchy on this host");
        return dir;
}

static int v1_thaw(Cgroup *cg, BerthError **reterr)
{
        const char *dir = freezer_dir(cg, reterr);
        if (!dir)
                return -EOPNOTSUPP;
        return cgroup_write_attr(dir, "freezer.state", "THAWED", reterr);
}

static int v1_freeze(Cgroup *cg, uint64_t deadline, BerthError **reterr)
{
        const char *dir = freezer_dir(cg, reterr);
        if (!dir)
                return -EOPNOTSUPP;
        _cleanup_free_ char *p = path_join(dir, "freezer.state");
        uint64_t delay = CGROUP_BACKOFF_MIN_USEC;
        int r;
        for (;;) {
                /* Writing FROZEN again retries the tasks that were busy (in a syscall, being
                 * forked) on the previous attempt, which the kernel does not do by itself. */
                r = write_string_file_at(AT_FDCWD, p, "FROZEN");
                if (r < 0)
                        return berth_error_set(reterr, r, "write 'FROZEN' to '%s'", p);
                _cleanup_free_ char *state = NULL;
                r = read_one_line_at(AT_FDCWD, p, &state);
                if (r < 0) {
                        r = berth_error_set(reterr, r, "read '%s'", p);
                        break;
                }
                if (streq(state, "FROZEN"))
                        return 0;
                if (!cgroup_backoff(deadline, &delay, CGROUP_BACKOFF_MAX_USEC)) {
                        r = berth_error_setf(reterr, ETIMEDOUT,
                                             "timed out waiting for '%s' to say FROZEN (it says "
                                             "'%s')",
                                             p, state);
                        break;
                }
        }
        /* A half-frozen container is worse than a running one. */
        (void)write_string_file_at(AT_FDCWD, p, "THAWED");
        return r;
}

static int v1_is_frozen(Cgroup *cg, bool *ret)
{
        const char *dir = cgroup_path_for(cg, "freezer");
        if (!dir)
                return -EOPNOTSUPP;
        _cleanup_free_ char *p = path_join(dir, "freezer.state"), *state = NULL;
        int r = read_one_line_at(AT_FDCWD, p, &state);
        if (r < 0)
                return r;
        *ret = streq(state, "FROZEN");
        return 0;
}

/* The hierarchy whose cgroup.procs we trust to list the container's processes: one that a
 * process inside cannot leave without leaving the others too in practice, and that every host
 * with limits has. -1: none of them, use all. */
static ssize_t primary_hierarchy(const Cgroup *cg)
{
        static const char *const order[] = {"pids", "memory", "freezer"};
        for (size_t k = 0; k < ELEMENTSOF(order); k++)
                for (size_t i = 0; i < cg->layout->n_v1; i++)
                        if (hierarchy_has(cg, i, order[k]))
                                return (ssize_t)i;
        return -1;
}

static int v1_is_empty(Cgroup *cg, bool *ret)
{
        ssize_t p = primary_hierarchy(cg);
        for (size_t i = 0; i < cg->layout->n_v1; i++) {
                if (p >= 0 && (size_t)p != i)
                        continue;
                int r = cgroup_count_pids(cg->v1_paths[i]);
                if (r < 0)
                        return r;
                if (r > 0) {
                        *ret = false;
                        return 0;
                }
        }
        *ret = true;
        return 0;
}

static int v1_kill_all(Cgroup *cg, uint64_t deadline, BerthError **reterr)
{
        /* Every hierarchy: a process that moved itself in one of them is still ours. SIGKILL
         * twice is harmless. */
        return cgroup_kill_generic(cg, cg->v1_paths, deadline, reterr);
}

static int v1_signal_all(Cgroup *cg, int sig, BerthError **reterr)
{
        /* One hierarchy only, so no process gets the signal twice. */
        ssize_t p = primary_hierarchy(cg);
        const char *dir = cg->v1_paths[p >= 0 ? (size_t)p : 0];
        int r = cgroup_signal_tree(dir, sig);
        if (r < 0)
                return berth_error_set(reterr, r, "signal the processes in '%s'", dir);
        return 0;
}

static int stat_field(const char *dir, const char *file, uint64_t *field, int *ret)
{
        if (!dir)
                return 0;
        uint64_t v;
        int r = cgroup_read_u64(dir, file, &v);
        if (r >= 0)
                *field = v;
        else if (r != -ENOENT && *ret == 0)
                *ret = r;
        return r;
}

static int v1_get_stats(Cgroup *cg, CgroupStats *st)
{
        int ret = 0;
        const char *mem = cgroup_path_for(cg, "memory"), *pids = cgroup_path_for(cg, "pids");
        const char *acct = cgroup_path_for(cg, "cpuacct");

        uint64_t ns = UINT64_MAX;
        (void)stat_field(acct, "cpuacct.usage", &ns, &ret);
        if (ns != UINT64_MAX)
                st->cpu_usec = ns / 1000;
        else if (cg->unified_path) {
                /* Hybrid host without cpuacct: cgroup2 keeps cpu.stat in every cgroup. */
                uint64_t us;
                if (cgroup_read_keyed(cg->unified_path, "cpu.stat", "usage_usec", &us) >= 0)
                        st->cpu_usec = us;
        }
        (void)stat_field(mem, "memory.usage_in_bytes", &st->memory_current, &ret);
        if (stat_field(mem, "memory.limit_in_bytes", &st->memory_max, &ret) >= 0 &&
            st->memory_max >= V1_UNLIMITED_FROM)
                st->memory_max = UINT64_MAX;
        (void)stat_field(pids, "pids.current", &st->pids_current, &ret);
        (void)stat_field(pids, "pids.max", &st->pids_max, &ret);
        return ret;
}

static int v1_destroy(Cgroup *cg, BerthError **reterr)
{
        uint64_t deadline = cgroup_deadline(CGROUP_DESTROY_TIMEOUT_USEC);
        int ret = 0;
        /* Keep going after a failure: every hierarchy we can clean is one less leak. */
        for (size_t i = 0; i < cg->layout->n_v1; i++) {
                int r = cgroup_rmdir_tree(cg->v1_paths[i], deadline, reterr);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        if (cg->unified_path) {
                int r = cgroup_rmdir_tree(cg->unified_path, deadline, reterr);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

const CgroupOps cgroup_v1_ops = {
        .name = "v1",
        .create = v1_create,
        .change_limits = v1_change_limits,
        .attach = v1_attach,
        .apply_devices = v1_apply_devices,
        .freeze = v1_freeze,
        .thaw = v1_thaw,
        .is_frozen = v1_is_frozen,
        .kill_all = v1_kill_all,
        .signal_all = v1_signal_all,
        .is_empty = v1_is_empty,
        .get_stats = v1_get_stats,
        .destroy = v1_destroy,
};
