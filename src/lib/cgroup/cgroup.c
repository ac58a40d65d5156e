/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../../shared/fileio.h"
#include "../../shared/parse.h"
#include "../../shared/path-util.h"
#include "../../shared/strv.h"
#include "cgroup-internal.h"
#include "fd-util.h"

/* ---- layout ---------------------------------------------------------------------------------- */

static const char *const known_controllers[] = {
        "cpu",      "cpuacct", "cpuset",     "memory", "devices", "freezer", "net_cls",
        "net_prio", "blkio",   "perf_event", "pids",   "hugetlb", "rdma",    "misc",
};

static bool is_known_controller(const char *s)
{
        for (size_t i = 0; i < ELEMENTSOF(known_controllers); i++)
                if (streq(s, known_controllers[i]))
                        return true;
        return false;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape_mountinfo(const char *s)
{
        char *out = xmalloc(strlen(s) + 1), *o = out;
        while (*s) {
                if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
                    s[3] >= '0' && s[3] <= '7') {
                        *o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
                        s += 4;
                } else
                        *o++ = *s++;
        }
        *o = 0;
        return out;
}

/* Keeps controllers and name=X out of a cgroup v1 super-options field; everything else (rw,
 * xattr, release_agent=..., clone_children, noprefix) is mount policy, not a controller. */
static char **parse_v1_controllers(const char *superopts)
{
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *copy = xstrdup(superopts);
        char *save = NULL;
        for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
                bool named = strncmp(w, "name=", 5) == 0 && w[5] && strlen(w) <= 5 + NAME_MAX;
                if (!named && !is_known_controller(w))
                        continue;
                if (strv_contains(l, w))
                        continue;
                if (strv_length(l) >= CGROUP_MAX_CONTROLLERS)
                        break;
                strv_extend(&l, w);
        }
        return TAKE_PTR(l);
}

static void hierarchy_done(CgroupHierarchy *h)
{
        free(h->mountpoint);
        strv_free(h->controllers);
}

/* The cgroup v2 path of pid ("0::/a/b" in /proc/PID/cgroup) without its leading slash. */
static int proc_unified_cgroup(pid_t pid, char **ret)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        _cleanup_free_ char *text = NULL;
        int r = read_full_file_at(AT_FDCWD, path, CGROUP_MAX_SMALL_FILE, &text, NULL);
        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (strncmp(line, "0::/", 4) == 0 && line[4]) {
                        *ret = xstrdup(line + 4);
                        return 0;
                }
        }
        return -ENOENT;
}

int cgroup_for_joining(const CgroupLayout *layout, const char *ns_relpath, pid_t init_pid,
                       Cgroup **ret)
{
        if (!layout || !ns_relpath || !ret)
                return -EINVAL;
        _cleanup_free_ char *init_cg = NULL;
        size_t len = strlen(ns_relpath);
        if (layout->unified && proc_unified_cgroup(init_pid, &init_cg) >= 0 &&
            strncmp(init_cg, ns_relpath, len) == 0 && (init_cg[len] == 0 || init_cg[len] == '/'))
                return cgroup_new(layout, init_cg, ret);
        return cgroup_new(layout, ns_relpath, ret);
}

int cgroup_layout_mount_spec(const CgroupLayout *l, bool *ret_unified, char ***ret_v1)
{
        if (!l || !ret_unified || !ret_v1)
                return -EINVAL;
        char **v1 = NULL;
        for (size_t i = 0; i < l->n_v1; i++)
                strv_push(&v1, strv_join(l->v1[i].controllers, ","));
        *ret_unified = l->unified;
        *ret_v1 = v1;
        return 0;
}

CgroupLayout *cgroup_layout_free(CgroupLayout *l)
{
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n_v1; i++)
                hierarchy_done(&l->v1[i]);
        free(l->v1);
        free(l->unified_mount);
        free(l);
        return NULL;
}

int cgroup_layout_copy(const CgroupLayout *l, CgroupLayout **ret)
{
        if (!l || !ret || (l->n_v1 > 0 && !l->v1))
                return -EINVAL;
        _cleanup_(cgroup_layout_freep) CgroupLayout *c = xcalloc(1, sizeof(*c));
        c->unified = l->unified;
        c->unified_mount = l->unified_mount ? xstrdup(l->unified_mount) : NULL;
        if (l->n_v1 > 0)
                c->v1 = xcalloc(l->n_v1, sizeof(CgroupHierarchy));
        for (size_t i = 0; i < l->n_v1; i++) {
                if (!l->v1[i].mountpoint)
                        return -EINVAL;
                c->v1[i].mountpoint = xstrdup(l->v1[i].mountpoint);
                c->v1[i].controllers = strv_copy(l->v1[i].controllers);
                c->n_v1++;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

/* Splits a line on spaces in place; returns the field count or -E2BIG past max. */
static int split_fields(char *line, char **fields, size_t max)
{
        size_t n = 0;
        char *save = NULL;
        for (char *w = strtok_r(line, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                if (n >= max)
                        return -E2BIG;
                fields[n++] = w;
        }
        return (int)n;
}

int cgroup_layout_from_mountinfo(const char *mountinfo, CgroupLayout **ret)
{
        if (!mountinfo || !ret)
                return -EINVAL;
        if (strlen(mountinfo) > CGROUP_MAX_MOUNTINFO)
                return -EFBIG;

        _cleanup_(cgroup_layout_freep) CgroupLayout *l = xcalloc(1, sizeof(*l));
        _cleanup_free_ char *text = xstrdup(mountinfo);
        _cleanup_strv_free_ char **devs = NULL; /* one per v1 entry: the hierarchy's st_dev */
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *f[64];
                int n = split_fields(line, f, ELEMENTSOF(f));
                if (n < 10)
                        continue; /* garbage, or a line with too many optional fields */

                /* id parent maj:min root mountpoint options [optional...] - fstype source super */
                int sep = -1;
                for (int i = 6; i < n; i++)
                        if (streq(f[i], "-")) {
                                sep = i;
                                break;
                        }
                if (sep < 0 || n - sep < 4)
                        continue;
                const char *dev = f[2], *mountpoint = f[4], *fstype = f[sep + 1],
                           *superopts = f[sep + 3];
                if (mountpoint[0] != '/' || !strchr(dev, ':'))
                        continue;

                if (streq(fstype, "cgroup2")) {
                        if (!l->unified_mount)
                                l->unified_mount = unescape_mountinfo(mountpoint);
                        continue;
                }
                if (!streq(fstype, "cgroup"))
                        continue;

                /* The same hierarchy mounted twice (a bind mount) shares its device: the
                 * first mount wins. */
                if (strv_contains(devs, dev))
                        continue;
                _cleanup_strv_free_ char **ctrl = parse_v1_controllers(superopts);
                if (!ctrl)
                        continue;
                if (l->n_v1 >= CGROUP_MAX_HIERARCHIES)
                        return -E2BIG;
                l->v1 = xreallocarray(l->v1, l->n_v1 + 1, sizeof(CgroupHierarchy));
                l->v1[l->n_v1++] = (CgroupHierarchy){
                        .mountpoint = unescape_mountinfo(mountpoint),
                        .controllers = TAKE_PTR(ctrl),
                };
                strv_extend(&devs, dev);
        }

        if (l->n_v1 == 0 && !l->unified_mount)
                return -ENOMEDIUM;
        l->unified = l->n_v1 == 0;
        *ret = TAKE_PTR(l);
        return 0;
}

int cgroup_layout_detect(CgroupLayout **ret)
{
        if (!ret)
                return -EINVAL;
        _cleanup_free_ char *text = NULL;
        int r = read_full_file_at(AT_FDCWD, "/proc/self/mountinfo", CGROUP_MAX_MOUNTINFO, &text,
                                  NULL);
        if (r < 0)
                return r;
        return cgroup_layout_from_mountinfo(text, ret);
}

/* ---- object ---------------------------------------------------------------------------------- */

/* Drops empty and "." components; refuses "..", absolute paths, control characters and
 * over-long names, so the result is one safe directory name chain below every root. */
static int normalize_relpath(const char *relpath, char **ret)
{
        if (!relpath || path_is_absolute(relpath))
                return -EINVAL;
        if (strlen(relpath) > CGROUP_MAX_RELPATH)
                return -ENAMETOOLONG;

        _cleanup_free_ char *out = xcalloc(1, strlen(relpath) + 1);
        size_t len = 0;
        for (const char *s = relpath; *s;) {
                size_t n = strcspn(s, "/");
                if (n > NAME_MAX)
                        return -ENAMETOOLONG;
                bool dot = n == 1 && s[0] == '.', dotdot = n == 2 && s[0] == '.' && s[1] == '.';
                if (dotdot)
                        return -EINVAL;
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                                return -EINVAL;
                if (n > 0 && !dot) {
                        if (len > 0)
                                out[len++] = '/';
                        memcpy(out + len, s, n);
                        len += n;
                }
                s += n;
                if (*s == '/')
                        s++;
        }
        if (len == 0)
                return -EINVAL;
        out[len] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

int cgroup_new(const CgroupLayout *layout, const char *relpath, Cgroup **ret)
{
        if (!layout || !ret)
                return -EINVAL;
        if (layout->unified ? !layout->unified_mount : layout->n_v1 == 0)
                return -ENOMEDIUM;

        _cleanup_free_ char *rel = NULL;
        int r = normalize_relpath(relpath, &rel);
        if (r < 0)
                return r;

        _cleanup_(cgroup_freep) Cgroup *cg = xcalloc(1, sizeof(*cg));
        r = cgroup_layout_copy(layout, &cg->layout);
        if (r < 0)
                return r;
        cg->relpath = TAKE_PTR(rel);
        cg->ops = layout->unified ? &cgroup_v2_ops : &cgroup_v1_ops;
        cg->v1_paths = xcalloc(cg->layout->n_v1 + 1, sizeof(char *));
        for (size_t i = 0; i < cg->layout->n_v1; i++)
                cg->v1_paths[i] = path_join(cg->layout->v1[i].mountpoint, cg->relpath);
        if (cg->layout->unified_mount)
                cg->unified_path = path_join(cg->layout->unified_mount, cg->relpath);
        *ret = TAKE_PTR(cg);
        return 0;
}

Cgroup *cgroup_free(Cgroup *cg)
{
        if (!cg)
                return NULL;
        cgroup_layout_free(cg->layout);
        free(cg->relpath);
        strv_free(cg->v1_paths);
        free(cg->unified_path);
        free(cg);
        return NULL;
}

const char *cgroup_relpath(const Cgroup *cg)
{
        return cg ? cg->relpath : NULL;
}

const char *cgroup_path_for(const Cgroup *cg, const char *controller)
{
        if (!cg)
                return NULL;
        if (!controller)
                return cg->unified_path;
        /* On pure v2 every controller lives in the one hierarchy; named v1 hierarchies do not
         * exist there. */
        if (cg->layout->unified)
                return strncmp(controller, "name=", 5) == 0 ? NULL : cg->unified_path;
        for (size_t i = 0; i < cg->layout->n_v1; i++)
                if (strv_contains(cg->layout->v1[i].controllers, controller))
                        return cg->v1_paths[i];
        return NULL;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

int cgroup_create(Cgroup *cg, BerthError **reterr)
{
        if (!cg)
                return berth_error_setf(reterr, EINVAL, "create cgroup: no cgroup given");
        int r = cg->ops->create(cg, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "create cgroup '%s'", cg->relpath);
        return 0;
}

int cgroup_apply_limits(Cgroup *cg, const BerthLimits *limits, BerthError **reterr)
{
        if (!cg || !limits)
                return berth_error_setf(reterr, EINVAL, "apply cgroup limits: no cgroup given");
        /* A fresh cgroup has no limits: from none, only the set ones are written. */
        static const BerthLimits none = {};
        int r = cg->ops->change_limits(cg, &none, limits, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "apply limits to cgroup '%s'", cg->relpath);
        return 0;
}

int cgroup_change_limits(Cgroup *cg, const BerthLimits *from, const BerthLimits *to,
                         BerthError **reterr)
{
        if (!cg || !from || !to)
                return berth_error_setf(reterr, EINVAL, "change cgroup limits: no cgroup given");
        int r = cg->ops->change_limits(cg, from, to, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "change limits of cgroup '%s'", cg->relpath);
        return 0;
}

int cgroup_attach(Cgroup *cg, pid_t pid, BerthError **reterr)
{
        if (!cg)
                return berth_error_setf(reterr, EINVAL, "attach to cgroup: no cgroup given");
        if (pid <= 0)
                return berth_error_setf(reterr, EINVAL, "attach pid %d to cgroup '%s': invalid pid",
                                        (int)pid, cg->relpath);
        int r = cg->ops->attach(cg, pid, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "attach pid %d to cgroup '%s'", (int)pid,
                                          cg->relpath);
        return 0;
}

int cgroup_apply_devices(Cgroup *cg, BerthError **reterr)
{
        if (!cg)
                return berth_error_setf(reterr, EINVAL, "restrict devices: no cgroup given");
        int r = cg->ops->apply_devices(cg, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "restrict devices of cgroup '%s'",
                                          cg->relpath);
        return 0;
}

int cgroup_freeze(Cgroup *cg, uint64_t timeout_usec, BerthError **reterr)
{
        if (!cg)
                return berth_error_setf(reterr, EINVAL, "freeze cgroup: no cgroup given");
        int r = cg->ops->freeze(cg, cgroup_deadline(timeout_usec), reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "freeze cgroup '%s'", cg->relpath);
        return 0;
}

int cgroup_thaw(Cgroup *cg, BerthError **reterr)
{
        if (!cg)
                return berth_error_setf(reterr, EINVAL, "thaw cgroup: no cgroup given");
        int r = cg->ops->thaw(cg, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "thaw cgroup '%s'", cg->relpath);
        return 0;
}

int cgroup_is_frozen(Cgroup *cg, bool *ret)
{
        if (!cg || !ret)
                return -EINVAL;
        return cg->ops->is_frozen(cg, ret);
}

int cgroup_kill_all(Cgroup *cg, uint64_t timeout_usec, BerthError **reterr)
{
        if (!cg)
                return berth_error_setf(reterr, EINVAL, "kill cgroup: no cgroup given");
        int r = cg->ops->kill_all(cg, cgroup_deadline(timeout_usec), reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "kill processes of cgroup '%s'", cg->relpath);
        return 0;
}

int cgroup_signal_all(Cgroup *cg, int sig, BerthError **reterr)
{
        if (!cg)
                return berth_error_setf(reterr, EINVAL, "signal cgroup: no cgroup given");
        if (sig < 0 || sig >= _NSIG)
                return berth_error_setf(reterr, EINVAL, "signal cgroup '%s': invalid signal %d",
                                        cg->relpath, sig);
        int r = cg->ops->signal_all(cg, sig, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "signal processes of cgroup '%s'",
                                          cg->relpath);
        return 0;
}

int cgroup_is_empty(Cgroup *cg, bool *ret)
{
        if (!cg || !ret)
                return -EINVAL;
        return cg->ops->is_empty(cg, ret);
}

int cgroup_get_stats(Cgroup *cg, CgroupStats *ret)
{
        if (!cg || !ret)
                return -EINVAL;
        *ret = (CgroupStats){
                .cpu_usec = UINT64_MAX,
                .memory_current = UINT64_MAX,
                .memory_max = UINT64_MAX,
                .pids_current = UINT64_MAX,
                .pids_max = UINT64_MAX,
        };
        return cg->ops->get_stats(cg, ret);
}

int cgroup_destroy(Cgroup *cg, BerthError **reterr)
{
        if (!cg)
                return berth_error_setf(reterr, EINVAL, "destroy cgroup: no cgroup given");
        int r = cg->ops->destroy(cg, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "destroy cgroup '%s'", cg->relpath);
        return 0;
}

uint64_t cgroup_deadline(uint64_t timeout_usec)
{
        if (timeout_usec == 0)
                timeout_usec = CGROUP_DEFAULT_TIMEOUT_USEC;
        if (timeout_usec == UINT64_MAX)
                return UINT64_MAX;
        uint64_t now = now_usec();
        return timeout_usec > UINT64_MAX - now ? UINT64_MAX : now + timeout_usec;
}

bool cgroup_backoff(uint64_t deadline, uint64_t *delay, uint64_t max_usec)
{
        uint64_t now = now_usec();
        if (now >= deadline)
                return false;
        uint64_t d = MIN(*delay, deadline - now);
        struct timespec ts = {.tv_sec = (time_t)(d / 1000000ULL),
                              .tv_nsec = (long)(d % 1000000ULL) * 1000L};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        *delay = MIN(*delay * 2, max_usec);
        return true;
}

/* ---- directories ----------------------------------------------------------------------------- */

int cgroup_mkdir_levels(const char *root, const char *relpath, char ***created, BerthError **reterr)
{
        _cleanup_free_ char *rel = xstrdup(relpath);
        for (char *s = rel;; s++) {
                if (*s != '/' && *s != 0)
                        continue;
                char c = *s;
                *s = 0;
                _cleanup_free_ char *p = path_join(root, rel);
                if (mkdir(p, 0755) >= 0)
                        strv_extend(created, p);
                else if (errno != EEXIST)
                        return berth_error_set(reterr, errno, "mkdir '%s'", p);
                *s = c;
                if (c == 0)
                        return 0;
        }
}

void cgroup_rmdir_created(char **created)
{
        for (size_t n = strv_length(created); n > 0; n--)
                (void)rmdir(created[n - 1]);
}

/* rmdir with EBUSY retried: a killed process leaves its cgroup only once it is fully gone. */
static int rmdir_retry(int dfd, const char *name, const char *path, uint64_t deadline,
                       BerthError **reterr)
{
        uint64_t delay = CGROUP_BACKOFF_MIN_USEC;
        for (;;) {
                if (unlinkat(dfd, name, AT_REMOVEDIR) >= 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || !cgroup_backoff(deadline, &delay, CGROUP_BACKOFF_MAX_USEC))
                        return berth_error_set(reterr, errno, "remove '%s'", path);
        }
}

static int rmdir_children(int dfd, const char *path, unsigned depth, uint64_t deadline,
                          BerthError **reterr)
{
        if (depth >= CGROUP_MAX_DEPTH)
                return berth_error_setf(reterr, ELOOP, "remove '%s': nested deeper than %u levels",
                                        path, CGROUP_MAX_DEPTH);
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(reterr, errno, "open '%s'", path);
        _cleanup_closedir_ DIR *d = fdopendir_consume(fd);
        if (!d)
                return berth_error_set(reterr, errno, "open '%s'", path);
        int ret = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                        continue; /* control files go away with their directory */
                _cleanup_close_ int cfd = openat(dirfd(d), de->d_name,
                                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue;
                        ret = berth_error_set(reterr, errno, "open '%s/%s'", path, de->d_name);
                        break;
                }
                _cleanup_free_ char *child = path_join(path, de->d_name);
                ret = rmdir_children(cfd, child, depth + 1, deadline, reterr);
                if (ret < 0)
                        break;
                ret = rmdir_retry(dirfd(d), de->d_name, child, deadline, reterr);
                if (ret < 0)
                        break;
        }
        return ret;
}

int cgroup_rmdir_tree(const char *dir, uint64_t deadline, BerthError **reterr)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                return berth_error_set(reterr, errno, "open '%s'", dir);
        }
        int r = rmdir_children(fd, dir, 0, deadline, reterr);
        if (r < 0)
                return r;
        return rmdir_retry(AT_FDCWD, dir, dir, deadline, reterr);
}

/* ---- processes ------------------------------------------------------------------------------- */

static int pid_from_line(const char *line, pid_t *ret)
{
        uint64_t v;
        if (parse_uint64(line, &v) < 0 || v == 0 || v > INT_MAX)
                return -EBADMSG;
        *ret = (pid_t)v;
        return 0;
}

/* Streams cgroup.procs: a busy cgroup can list many thousand pids, never held in memory. */
static int walk_procs_fd(int fd, CgroupPidFunc f, void *userdata, size_t *count)
{
        char buf[4096];
        size_t have = 0;
        for (;;) {
                ssize_t k = read(fd, buf + have, sizeof(buf) - 1 - have);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                bool eof = k == 0;
                have += (size_t)k;
                buf[have] = 0;

                char *start = buf;
                for (;;) {
                        char *nl = memchr(start, '\n', buf + have - start);
                        if (!nl && !(eof && start < buf + have))
                                break;
                        if (nl)
                                *nl = 0;
                        if (*start) {
                                pid_t pid;
                                if (pid_from_line(start, &pid) < 0)
                                        return -EBADMSG;
                                (*count)++;
                                int r = f ? f(pid, userdata) : 0;
                                if (r < 0)
                                        return r;
                        }
                        start = nl ? nl + 1 : buf + have;
                }
                have = (size_t)(buf + have - start);
                memmove(buf, start, have);
                if (eof)
                        return 0;
                if (have >= sizeof(buf) - 1)
                        return -EBADMSG; /* no pid is that long */
        }
}

static int walk_pids_fd(int dfd, unsigned depth, CgroupPidFunc f, void *userdata, size_t *count)
{
        if (depth >= CGROUP_MAX_DEPTH)
                return -ELOOP;

        /* Closed before descending, so a deep tree costs two fds per level, not three. */
        int pfd = openat(dfd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (pfd >= 0) {
                int r = walk_procs_fd(pfd, f, userdata, count);
                safe_close(pfd);
                if (r < 0)
                        return r;
        } else if (errno != ENOENT)
                return negative_errno();

        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        _cleanup_closedir_ DIR *d = fdopendir_consume(fd);
        if (!d)
                return negative_errno();
        int ret = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
                        continue;
                _cleanup_close_ int cfd = openat(dirfd(d), de->d_name,
                                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd < 0) {
                        if (errno == ENOENT || errno == ENOTDIR)
                                continue; /* removed while we walk, or not a directory */
                        ret = negative_errno();
                        break;
                }
                ret = walk_pids_fd(cfd, depth + 1, f, userdata, count);
                if (ret < 0)
                        break;
        }
        return ret;
}

int cgroup_walk_pids(const char *dir, CgroupPidFunc f, void *userdata)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno();
        size_t count = 0;
        int r = walk_pids_fd(fd, 0, f, userdata, &count);
        if (r < 0)
                return r;
        return (int)MIN(count, (size_t)INT_MAX);
}

typedef struct SignalCtx {
        int sig;
        pid_t self;
        int sent;
        int error;
} SignalCtx;

static int signal_one(pid_t pid, void *userdata)
{
        SignalCtx *c = userdata;
        /* Never signal ourselves: a caller living in the cgroup would not survive to report. */
        if (pid == c->self)
                return 0;
        if (kill(pid, c->sig) >= 0)
                c->sent++;
        else if (errno != ESRCH && c->error == 0)
                c->error = -errno;
        return 0;
}

int cgroup_signal_tree(const char *dir, int sig)
{
        SignalCtx c = {.sig = sig, .self = getpid()};
        int r = cgroup_walk_pids(dir, signal_one, &c);
        if (r < 0)
                return r;
        if (c.error < 0)
                return c.error;
        return c.sent;
}

int cgroup_count_pids(const char *dir)
{
        return cgroup_walk_pids(dir, NULL, NULL);
}

/* ---- files ----------------------------------------------------------------------------------- */

int cgroup_write_attr(const char *dir, const char *file, const char *value, BerthError **reterr)
{
        _cleanup_free_ char *p = path_join(dir, file);
        int r = write_string_file_at(AT_FDCWD, p, value);
        if (r < 0)
                return berth_error_set(reterr, r, "write '%s' to '%s'", value, p);
        return 0;
}

int cgroup_write_limit(const char *dir, const char *file, const char *key, const char *value,
                       BerthError **reterr)
{
        _cleanup_free_ char *p = path_join(dir, file);
        int r = write_string_file_at(AT_FDCWD, p, value);
        if (r == -ENOENT) {
                if (access(dir, F_OK) < 0)
                        return berth_error_set(reterr, ENOENT, "set '%s': open cgroup '%s'", key,
                                               dir);
                return berth_error_set(reterr, ENOENT, "set '%s': no %s on this host", key, file);
        }
        /* v1 refuses a memory limit below what the cgroup uses and cannot give back. */
        if (r == -EBUSY && strncmp(file, "memory.", 7) == 0)
                return berth_error_setf(reterr, EBUSY,
                                        "set '%s': write '%s' to '%s': the container uses more "
                                        "than that and the kernel could not reclaim it",
                                        key, value, p);
        if (r < 0)
                return berth_error_set(reterr, r, "set '%s': write '%s' to '%s'", key, value, p);
        return 0;
}

int cgroup_read_u64(const char *dir, const char *file, uint64_t *ret)
{
        _cleanup_free_ char *p = path_join(dir, file), *line = NULL;
        int r = read_one_line_at(AT_FDCWD, p, &line);
        if (r < 0)
                return r;
        if (streq(line, "max")) {
                *ret = UINT64_MAX;
                return 0;
        }
        return parse_uint64(line, ret) < 0 ? -EBADMSG : 0;
}

int cgroup_parse_keyed(const char *text, const char *key, uint64_t *ret)
{
        size_t klen = strlen(key);
        for (const char *s = text; s && *s;) {
                const char *eol = strchrnul(s, '\n');
                if ((size_t)(eol - s) > klen && strncmp(s, key, klen) == 0 && s[klen] == ' ') {
                        _cleanup_free_ char *v = xstrndup(s + klen + 1, eol - s - klen - 1);
                        return parse_uint64(v, ret) < 0 ? -EBADMSG : 0;
                }
                s = *eol ? eol + 1 : eol;
        }
        return -ENOENT;
}

int cgroup_read_keyed(const char *dir, const char *file, const char *key, uint64_t *ret)
{
        _cleanup_free_ char *p = path_join(dir, file), *text = NULL;
        int r = read_full_file_at(AT_FDCWD, p, CGROUP_MAX_SMALL_FILE, &text, NULL);
        if (r < 0)
                return r;
        return cgroup_parse_keyed(text, key, ret);
}

/* ---- kill ------------------------------------------------------------------------------------ */

static int kill_pass(char *const *dirs)
{
        int ret = 0;
        for (char *const *d = dirs; d && *d; d++) {
                int r = cgroup_signal_tree(*d, SIGKILL);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

int cgroup_kill_generic(Cgroup *cg, char *const *dirs, uint64_t deadline, BerthError **reterr)
{
        /* Frozen processes cannot fork, so one pass over cgroup.procs reaches all of them, and
         * they cannot exit on their own either, so no pid we read is recycled before the kill.
         * A freezer that does not settle quickly (tasks in D state) must not eat the whole
         * timeout: kill anyway and let the repeated passes below catch what forks. */
        uint64_t now = now_usec();
        uint64_t freeze_deadline =
                deadline > now && deadline - now > 1000000ULL ? now + 1000000ULL : deadline;
        _cleanup_(berth_error_freep) BerthError *ferr = NULL;
        bool frozen = cg->ops->freeze(cg, freeze_deadline, &ferr) >= 0;

        int r = kill_pass(dirs);
        if (frozen) {
                _cleanup_(berth_error_freep) BerthError *terr = NULL;
                int k = cg->ops->thaw(cg, &terr);
                if (k < 0) {
                        /* Killed but frozen processes never die: nothing to wait for. */
                        if (reterr && !*reterr)
                                *reterr = TAKE_PTR(terr);
                        return k;
                }
        }
        if (r < 0)
                return berth_error_set(reterr, r, "send SIGKILL");

        uint64_t delay = CGROUP_BACKOFF_MIN_USEC;
        for (;;) {
                bool empty;
                r = cg->ops->is_empty(cg, &empty);
                if (r < 0)
                        return berth_error_set(reterr, r, "read the processes of the cgroup");
                if (empty)
                        return 0;
                if (!cgroup_backoff(deadline, &delay, CGROUP_BACKOFF_MAX_USEC))
                        return berth_error_setf(reterr, ETIMEDOUT,
                                                "timed out waiting for the processes to exit");
                /* Without a working freezer a forking process may have escaped the first
                 * pass. */
                r = kill_pass(dirs);
                if (r < 0)
                        return berth_error_set(reterr, r, "send SIGKILL");
        }
}

/* ---- limits ---------------------------------------------------------------------------------- */

int cgroup_file_exists(const char *dir, const char *file)
{
        _cleanup_free_ char *p = path_join(dir, file);
        return access(p, F_OK) < 0 ? negative_errno() : 0;
}

void cgroup_plan_add(CgroupLimitPlan *plan, const char *key, const char *controller,
                     const char *dir, const char *file, const char *fmt, ...)
{
        /* The backends add a fixed handful of writes: running out is a bug, not input. */
        if (plan->n >= CGROUP_MAX_LIMIT_WRITES)
                abort();
        CgroupLimitWrite *w = &plan->w[plan->n++];
        *w = (CgroupLimitWrite){.key = key, .controller = controller, .dir = dir, .file = file};
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->value, sizeof(w->value), fmt, ap);
        va_end(ap);
}

int cgroup_plan_check(const CgroupLimitPlan *plan, BerthError **reterr)
{
        for (size_t i = 0; i < plan->n; i++) {
                const CgroupLimitWrite *w = &plan->w[i];
                if (!w->dir)
                        return berth_error_set(reterr, ENOENT,
                                               "set '%s': no %s controller on this host", w->key,
                                               w->controller);
                if (access(w->dir, F_OK) < 0)
                        return berth_error_set(reterr, errno, "set '%s': open cgroup '%s'", w->key,
                                               w->dir);
                int r = cgroup_file_exists(w->dir, w->file);
                if (r == -ENOENT)
                        return berth_error_set(reterr, ENOENT, "set '%s': no %s on this host",
                                               w->key, w->file);
                if (r < 0)
                        return berth_error_set(reterr, r, "set '%s': access '%s/%s'", w->key,
                                               w->dir, w->file);
        }
        return 0;
}

int cgroup_plan_apply(const CgroupLimitPlan *plan, BerthError **reterr)
{
        int r = cgroup_plan_check(plan, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < plan->n; i++) {
                const CgroupLimitWrite *w = &plan->w[i];
                r = cgroup_write_limit(w->dir, w->file, w->key, w->value, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- leaving --------------------------------------------------------------------------------- */

int cgroup_attach_root(const CgroupLayout *layout, pid_t pid)
{
        if (!layout || pid <= 0)
                return -EINVAL;
        char buf[16];
        snprintf(buf, sizeof(buf), "%d", (int)pid);
        int ret = 0;
        /* Every hierarchy even after a failure: each one left is one cgroup less kept busy. */
        for (size_t i = 0; i < layout->n_v1; i++) {
                _cleanup_free_ char *p = path_join(layout->v1[i].mountpoint, "cgroup.procs");
                int r = write_string_file_at(AT_FDCWD, p, buf);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        if (layout->unified_mount) {
                _cleanup_free_ char *p = path_join(layout->unified_mount, "cgroup.procs");
                int r = write_string_file_at(AT_FDCWD, p, buf);
                /* On a hybrid host the v2 tree only tracks: best effort there, as in attach. */
                if (r < 0 && layout->unified && ret == 0)
                        ret = r;
        }
        return ret;
}

/* ---- live processes ---------------------------------------------------------------------- */

static int count_live_one(pid_t pid, void *userdata)
{
        ProcStat st;
        if (proc_stat_read(pid, &st) < 0)
                return 0; /* gone meanwhile */
        if (st.state != 'Z' && st.state != 'X')
                (*(size_t *)userdata)++;
        return 0;
}

int cgroup_count_live(Cgroup *cg, size_t *ret)
{
        if (!cg || !ret)
                return -EINVAL;
        static const char *const prefer[] = {"pids", "memory", "freezer", NULL};
        const char *dir = NULL;
        for (size_t i = 0; i < ELEMENTSOF(prefer) && !dir; i++)
                dir = cgroup_path_for(cg, prefer[i]);
        if (!dir)
                return -ENOENT;
        size_t n = 0;
        int r = cgroup_walk_pids(dir, count_live_one, &n);
        if (r < 0)
                return r;
        *ret = n;
        return 0;
}

/* ---- delegation -------------------------------------------------------------------------- */

static int chown_dir_and_files(const char *dir, uid_t uid, gid_t gid)
{
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        if (fchown(dfd, uid, gid) < 0)
                return negative_errno();
        int fd2 = dup(dfd);
        if (fd2 < 0)
                return negative_errno();
        _cleanup_closedir_ DIR *d = fdopendir_consume(fd2);
        if (!d)
                return negative_errno();
        int r = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_type != DT_REG)
                        continue;
                if (fchownat(dfd, de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && r == 0)
                        r = negative_errno();
        }
        return r;
}

int cgroup_chown(Cgroup *cg, uid_t uid, gid_t gid, BerthError **reterr)
{
        if (!cg)
                return berth_error_setf(reterr, EINVAL, "delegate cgroup: no cgroup given");
        for (size_t i = 0; i < cg->layout->n_v1; i++) {
                int r = chown_dir_and_files(cg->v1_paths[i], uid, gid);
                if (r < 0)
                        return berth_error_set(reterr, r, "delegate cgroup '%s' to uid %u",
                                               cg->v1_paths[i], (unsigned)uid);
        }
        if (cg->unified_path) {
                int r = chown_dir_and_files(cg->unified_path, uid, gid);
                /* On hybrid hosts the unified directory is only for tracking, best effort. */
                if (r < 0 && cg->layout->unified)
                        return berth_error_set(reterr, r, "delegate cgroup '%s' to uid %u",
                                               cg->unified_path, (unsigned)uid);
        }
        return 0;
}
