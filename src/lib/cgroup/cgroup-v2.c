/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup v2: one hierarchy; controllers are switched on from the root down through
 * cgroup.subtree_control, and state changes are announced on cgroup.events. */
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>

#include "../../shared/fileio.h"
#include "../../shared/path-util.h"
#include "../../shared/strv.h"
#include "cgroup-internal.h"

#define V2_CPU_PERIOD_USEC UINT64_C(100000)
/* poll() on cgroup.events wakes us on every change; the cap only matters where it does not
 * (a kernel without notification, a test tree of plain files). */
#define V2_POLL_MAX_MSEC 10

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
        return v < lo ? lo : v > hi ? hi : v;
}

static char **split_words(const char *s)
{
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *copy = xstrdup(s);
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
                if (strv_length(l) < CGROUP_MAX_CONTROLLERS && !strv_contains(l, w))
                        strv_extend(&l, w);
        return TAKE_PTR(l);
}

static int read_words(const char *dir, const char *file, char ***ret)
{
        _cleanup_free_ char *p = path_join(dir, file), *text = NULL;
        int r = read_full_file_at(AT_FDCWD, p, CGROUP_MAX_SMALL_FILE, &text, NULL);
        if (r < 0)
                return r;
        *ret = split_words(text);
        return 0;
}

/* Enables in dir's subtree_control every controller dir may hand down that is not on yet. */
static int enable_controllers(const char *dir, char *const *root_controllers, BerthError **reterr)
{
        _cleanup_strv_free_ char **avail = NULL, **on = NULL, **want = NULL;
        int r = read_words(dir, "cgroup.controllers", &avail);
        if (r == -ENOENT)
                avail = strv_copy(root_controllers);
        else if (r < 0)
                return berth_error_set(reterr, r, "read '%s/cgroup.controllers'", dir);
        r = read_words(dir, "cgroup.subtree_control", &on);
        if (r < 0 && r != -ENOENT)
                return berth_error_set(reterr, r, "read '%s/cgroup.subtree_control'", dir);

        for (char **c = avail; c && *c; c++)
                if (!strv_contains(on, *c))
                        strv_push(&want, xasprintf("+%s", *c));
        if (!want)
                return 0;

        _cleanup_free_ char *all = strv_join(want, " ");
        r = cgroup_write_attr(dir, "cgroup.subtree_control", all, NULL);
        if (r >= 0)
                return 0;
        /* One controller the kernel refuses (cpu next to realtime tasks) must not cost the
         * others; a limit that then cannot be set fails later, naming its key. */
        bool any = false;
        int first = r;
        for (char **c = want; c && *c; c++)
                if (cgroup_write_attr(dir, "cgroup.subtree_control", *c, NULL) >= 0)
                        any = true;
        if (!any)
                return berth_error_set(reterr, first, "write '%s' to '%s/cgroup.subtree_control'",
                                       all, dir);
        return 0;
}

/* From the root down to the parent of relpath; never in the cgroup itself, which holds the
 * processes (a cgroup that hands controllers down may hold none). */
static int enable_ancestors(const char *root, const char *relpath, char *const *root_controllers,
                            BerthError **reterr)
{
        _cleanup_free_ char *rel = xstrdup(relpath);
        for (char *s = rel, *end = NULL;; s = end + 1) {
                end = strchr(s, '/');
                /* The ancestor is root joined with everything before s. */
                _cleanup_free_ char *dir = NULL;
                if (s == rel)
                        dir = xstrdup(root);
                else {
                        s[-1] = 0;
                        dir = path_join(root, rel);
                        s[-1] = '/';
                }
                int r = enable_controllers(dir, root_controllers, reterr);
                if (r < 0)
                        return r;
                if (!end)
                        return 0;
        }
}

static int v2_create(Cgroup *cg, BerthError **reterr)
{
        const char *root = cg->layout->unified_mount;
        _cleanup_strv_free_ char **created = NULL, **root_controllers = NULL;
        int r = read_words(root, "cgroup.controllers", &root_controllers);
        if (r < 0 && r != -ENOENT)
                return berth_error_set(reterr, r, "read '%s/cgroup.controllers'", root);

        r = cgroup_mkdir_levels(root, cg->relpath, &created, reterr);
        if (r >= 0)
                r = enable_ancestors(root, cg->relpath, root_controllers, reterr);
        if (r < 0)
                cgroup_rmdir_created(created);
        return r;
}

/* Unset limits are lifted: "max", or the kernel's default weight. */
#define V2_DEFAULT_WEIGHT 100

static int v2_change_limits(Cgroup *cg, const BerthLimits *from, const BerthLimits *l,
                            BerthError **reterr)
{
        CgroupLimitPlan plan = {};
        const char *dir = cg->unified_path;

        if (l->memory != from->memory) {
                if (l->memory > 0)
                        cgroup_plan_add(&plan, "limits.memory", "memory", dir, "memory.max",
                                        "%" PRIu64, l->memory);
                else
                        cgroup_plan_add(&plan, "limits.memory", "memory", dir, "memory.max", "max");
        }
        if (l->swap != from->swap) {
                if (l->swap > 0)
                        cgroup_plan_add(&plan, "limits.swap", "memory", dir, "memory.swap.max",
                                        "%" PRIu64, l->swap);
                else
                        cgroup_plan_add(&plan, "limits.swap", "memory", dir, "memory.swap.max",
                                        "max");
        }
        if (l->cpus_milli != from->cpus_milli) {
                if (l->cpus_milli > UINT64_MAX / 100)
                        return berth_error_set(reterr, ERANGE, "set 'limits.cpus'");
                if (l->cpus_milli > 0)
                        cgroup_plan_add(&plan, "limits.cpus", "cpu", dir, "cpu.max",
                                        "%" PRIu64 " %" PRIu64,
                                        l->cpus_milli * (V2_CPU_PERIOD_USEC / 1000),
                                        V2_CPU_PERIOD_USEC);
                else
                        cgroup_plan_add(&plan, "limits.cpus", "cpu", dir, "cpu.max",
                                        "max %" PRIu64, V2_CPU_PERIOD_USEC);
        }
        if (l->cpu_weight != from->cpu_weight)
                cgroup_plan_add(&plan, "limits.cpu_weight", "cpu", dir, "cpu.weight", "%" PRIu64,
                                l->cpu_weight ?: V2_DEFAULT_WEIGHT);
        if (l->pids != from->pids) {
                if (l->pids > 0)
                        cgroup_plan_add(&plan, "limits.pids", "pids", dir, "pids.max", "%" PRIu64,
                                        l->pids);
                else
                        cgroup_plan_add(&plan, "limits.pids", "pids", dir, "pids.max", "max");
        }
        if (l->io_weight != from->io_weight) {
                /* io.weight belongs to the io.cost model; BFQ keeps its own 1..1000 scale with
                 * the same default of 100. */
                uint64_t w = l->io_weight ?: V2_DEFAULT_WEIGHT;
                if (cgroup_file_exists(dir, "io.weight") >= 0)
                        cgroup_plan_add(&plan, "limits.io_weight", "io", dir, "io.weight",
                                        "default %" PRIu64, w);
                else if (cgroup_file_exists(dir, "io.bfq.weight") >= 0)
                        cgroup_plan_add(&plan, "limits.io_weight", "io", dir, "io.bfq.weight",
                                        "%" PRIu64, clamp_u64(w, 1, 1000));
                else if (access(dir, F_OK) >= 0)
                        return berth_error_set(reterr, ENOENT,
                                               "set 'limits.io_weight': no io.weight or "
                                               "io.bfq.weight on this host");
                else
                        cgroup_plan_add(&plan, "limits.io_weight", "io", dir, "io.weight",
                                        "default %" PRIu64, w);
        }
        return cgroup_plan_apply(&plan, reterr);
}

static int v2_attach(Cgroup *cg, pid_t pid, BerthError **reterr)
{
        char buf[16];
        snprintf(buf, sizeof(buf), "%d", (int)pid);
        return cgroup_write_attr(cg->unified_path, "cgroup.procs", buf, reterr);
}

/* v2 has no devices controller file: a BPF program attached to the cgroup decides. */
static int v2_apply_devices(Cgroup *cg, BerthError **reterr)
{
        return cgroup_devices_bpf_apply(cg->unified_path, reterr);
}

/* Waits until key in cgroup.events has the value want. The kernel flags a change with POLLPRI;
 * the read after each wake-up re-arms it. */
static int wait_events(const char *dir, const char *key, uint64_t want, uint64_t deadline,
                       BerthError **reterr)
{
        _cleanup_free_ char *p = path_join(dir, "cgroup.events");
        _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return berth_error_set(reterr, errno, "open '%s'", p);

        int poll_ms = 1;
        for (;;) {
                char buf[4096];
                if (lseek(fd, 0, SEEK_SET) < 0)
                        return berth_error_set(reterr, errno, "seek '%s'", p);
                ssize_t n = loop_read(fd, buf, sizeof(buf) - 1);
                if (n < 0)
                        return berth_error_set(reterr, (int)n, "read '%s'", p);
                buf[n] = 0;
                uint64_t v;
                int r = cgroup_parse_keyed(buf, key, &v);
                if (r == -ENOENT)
                        return berth_error_set(reterr, EOPNOTSUPP, "no '%s' in '%s'", key, p);
                if (r < 0)
                        return berth_error_set(reterr, r, "parse '%s'", p);
                if (v == want)
                        return 0;

                uint64_t now = now_usec();
                if (now >= deadline)
                        return berth_error_setf(reterr, ETIMEDOUT,
                                                "timed out waiting for '%s %" PRIu64 "' in '%s'",
                                                key, want, p);
                uint64_t left_ms = (deadline - now + 999) / 1000;
                struct pollfd pfd = {.fd = fd, .events = POLLPRI};
                r = poll(&pfd, 1, (int)MIN((uint64_t)poll_ms, left_ms));
                if (r < 0 && errno != EINTR)
                        return berth_error_set(reterr, errno, "poll '%s'", p);
                if (r == 0)
                        poll_ms = MIN(poll_ms * 2, V2_POLL_MAX_MSEC);
        }
}

/* ENOENT on a core file of an existing cgroup means the kernel lacks the feature. */
static int feature_error(const char *dir, const char *file, int r, const char *value,
                         BerthError **reterr)
{
        if (r == -ENOENT && access(dir, F_OK) >= 0)
                return berth_error_set(reterr, EOPNOTSUPP, "no %s in '%s'", file, dir);
        _cleanup_free_ char *p = path_join(dir, file);
        return berth_error_set(reterr, r, "write '%s' to '%s'", value, p);
}

static int v2_thaw(Cgroup *cg, BerthError **reterr)
{
        _cleanup_free_ char *p = path_join(cg->unified_path, "cgroup.freeze");
        int r = write_string_file_at(AT_FDCWD, p, "0");
        if (r < 0)
                return feature_error(cg->unified_path, "cgroup.freeze", r, "0", reterr);
        return 0;
}

static int v2_freeze(Cgroup *cg, uint64_t deadline, BerthError **reterr)
{
        _cleanup_free_ char *p = path_join(cg->unified_path, "cgroup.freeze");
        int r = write_string_file_at(AT_FDCWD, p, "1");
        if (r < 0)
                return feature_error(cg->unified_path, "cgroup.freeze", r, "1", reterr);
        r = wait_events(cg->unified_path, "frozen", 1, deadline, reterr);
        if (r < 0)
                /* A half-frozen container is worse than a running one. */
                (void)write_string_file_at(AT_FDCWD, p, "0");
        return r;
}

static int v2_is_frozen(Cgroup *cg, bool *ret)
{
        uint64_t v;
        int r = cgroup_read_keyed(cg->unified_path, "cgroup.events", "frozen", &v);
        if (r < 0)
                return r;
        *ret = v == 1;
        return 0;
}

static int v2_is_empty(Cgroup *cg, bool *ret)
{
        uint64_t v;
        int r = cgroup_read_keyed(cg->unified_path, "cgroup.events", "populated", &v);
        if (r >= 0) {
                *ret = v == 0;
                return 0;
        }
        if (r != -ENOENT)
                return r;
        /* No cgroup.events (or no cgroup at all): count. */
        r = cgroup_count_pids(cg->unified_path);
        if (r < 0)
                return r;
        *ret = r == 0;
        return 0;
}

static int v2_kill_all(Cgroup *cg, uint64_t deadline, BerthError **reterr)
{
        _cleanup_free_ char *p = path_join(cg->unified_path, "cgroup.kill");
        int r = write_string_file_at(AT_FDCWD, p, "1");
        if (r >= 0)
                /* cgroup.kill reaches every process of the subtree atomically, forks
                 * included: only the wait is left. */
                return wait_events(cg->unified_path, "populated", 0, deadline, reterr);
        if (r != -ENOENT)
                return berth_error_set(reterr, r, "write '1' to '%s'", p);
        if (access(cg->unified_path, F_OK) < 0)
                return 0; /* no cgroup, no processes */
        /* Before Linux 5.14: freeze, kill, thaw. */
        char *dirs[] = {cg->unified_path, NULL};
        return cgroup_kill_generic(cg, dirs, deadline, reterr);
}

static int v2_signal_all(Cgroup *cg, int sig, BerthError **reterr)
{
        int r = cgroup_signal_tree(cg->unified_path, sig);
        if (r < 0)
                return berth_error_set(reterr, r, "signal the processes in '%s'", cg->unified_path);
        return 0;
}

/* A missing file or key leaves the field unknown; anything unreadable is reported. */
static void stat_field(int r, uint64_t v, uint64_t *field, int *ret)
{
        if (r >= 0)
                *field = v;
        else if (r != -ENOENT && *ret == 0)
                *ret = r;
}

static int v2_get_stats(Cgroup *cg, CgroupStats *st)
{
        const char *dir = cg->unified_path;
        int ret = 0, r;
        uint64_t v = 0;
        r = cgroup_read_keyed(dir, "cpu.stat", "usage_usec", &v);
        stat_field(r, v, &st->cpu_usec, &ret);
        r = cgroup_read_u64(dir, "memory.current", &v);
        stat_field(r, v, &st->memory_current, &ret);
        r = cgroup_read_u64(dir, "memory.max", &v);
        stat_field(r, v, &st->memory_max, &ret);
        r = cgroup_read_u64(dir, "pids.current", &v);
        stat_field(r, v, &st->pids_current, &ret);
        r = cgroup_read_u64(dir, "pids.max", &v);
        stat_field(r, v, &st->pids_max, &ret);
        return ret;
}

static int v2_destroy(Cgroup *cg, BerthError **reterr)
{
        return cgroup_rmdir_tree(cg->unified_path, cgroup_deadline(CGROUP_DESTROY_TIMEOUT_USEC),
                                 reterr);
}

const CgroupOps cgroup_v2_ops = {
        .name = "v2",
        .create = v2_create,
        .change_limits = v2_change_limits,
        .attach = v2_attach,
        .apply_devices = v2_apply_devices,
        .freeze = v2_freeze,
        .thaw = v2_thaw,
        .is_frozen = v2_is_frozen,
        .kill_all = v2_kill_all,
        .signal_all = v2_signal_all,
        .is_empty = v2_is_empty,
        .get_stats = v2_get_stats,
        .destroy = v2_destroy,
};
