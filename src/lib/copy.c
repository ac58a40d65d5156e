/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth cp: files and directory trees copied into and out of a container.
 *
 * The container's tree is hostile. Every path in it is resolved from its root with
 * openat2(RESOLVE_IN_ROOT) (mount_open_in_root()), so a symlink there resolves inside the
 * container, never on the host; below that, the copy walks with O_PATH|O_NOFOLLOW fds and *at()
 * calls only, copies symlinks as symlinks, creates every entry under a temporary name and renames
 * it into place (never writing through a link planted at the destination), does not cross into
 * other file systems, and skips device nodes, fifos and sockets.
 *
 * The root is the container's rootfs as its storage backend opens it while it is stopped, and
 * /proc/INIT/root while it runs (its own view, with its mounts). Ownership: what is copied in belongs to container root.
 * On disk, an unprivileged container's tree is unmapped (container root is uid 0 there), so a
 * stopped one is written as host root; a running one is reached through its idmapped mount,
 * where only mapped ids can create files, so the copy acts with container root's host uid and
 * gid as fsuid and fsgid (keeping the capabilities to read and write any file). What is copied
 * out belongs to the caller (host root), without set-user-ID and set-group-ID bits: a container
 * must not be able to hand the host a root-owned setuid program.
 *
 * The copy runs in a child process: fsuid and capabilities are per process state that a
 * long-lived caller (berthd) must not see changed, and the child's own mount namespace is where a
 * stopped container's rootfs can be mounted when its backend needs that. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "container-internal.h"
#include "fd-util.h"
#include "fileio.h"
#include "monitor/monitor.h"
#include "mount/mount-internal.h"
#include "ns/idmap.h"
#include "path-util.h"
#include "storage/storage.h"

#define COPY_MAX_DEPTH 256
#define COPY_TMP_PREFIX ".berth-cp-"

typedef struct Copy {
        const char *name; /* the container, for messages */
        bool into;        /* host -> container */
        dev_t dev;        /* the file system the walk stays on */
        BerthCopyResult stats;
} Copy;

/* ---- the walk --------------------------------------------------------------------------------- */

static void tmp_name(char buf[static 32])
{
        static unsigned counter;
        uint64_t r = (uint64_t)now_usec() ^ ((uint64_t)getpid() << 20) ^ (++counter * 0x9e3779b9ULL);
        snprintf(buf, 32, COPY_TMP_PREFIX "%012llx", (unsigned long long)(r & 0xffffffffffffULL));
}

/* The mode a copy gets: set-id bits stay only inside the container. */
static mode_t copy_mode(const Copy *cc, const struct stat *st)
{
        mode_t m = st->st_mode & 07777;
        if (!cc->into && !S_ISDIR(st->st_mode))
                m &= ~(mode_t)(S_ISUID | S_ISGID);
        return m;
}

static int copy_data(int in, int out)
{
        bool plain = false;
        for (;;) {
                ssize_t n;
                if (!plain) {
                        n = copy_file_range(in, NULL, out, NULL, 1U << 30, 0);
                        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                                      errno == EOPNOTSUPP || errno == EBADF)) {
                                plain = true;
                                continue;
                        }
                } else {
                        char buf[65536];
                        n = read(in, buf, sizeof(buf));
                        if (n > 0) {
                                int r = loop_write(out, buf, n);
                                if (r < 0)
                                        return r;
                        }
                }
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        return 0;
        }
}

/* Puts the finished temporary entry in place of dst_name (replacing a file or a symlink there,
 * never following one). */
static int put_in_place(int dst_dir, const char *tmp, const char *dst_name, const char *what,
                        BerthError **reterr)
{
        if (renameat(dst_dir, tmp, dst_dir, dst_name) >= 0)
                return 0;
        int e = errno;
        (void)unlinkat(dst_dir, tmp, 0);
        if (e == EISDIR || e == ENOTEMPTY || e == EEXIST)
                return berth_error_setf(reterr, EISDIR,
                                        "copy '%s': a directory of that name is in the way", what);
        return berth_error_set(reterr, e, "copy '%s': rename into place", what);
}

static int copy_entry(Copy *cc, int src, const struct stat *st, int dst_dir, const char *dst_name,
                      const char *what, unsigned depth, BerthError **reterr);

static int copy_symlink(Copy *cc, int src, const struct stat *st, int dst_dir,
                        const char *dst_name, const char *what, BerthError **reterr)
{
        char target[PATH_MAX];
        ssize_t n = readlinkat(src, "", target, sizeof(target));
        if (n < 0 || (size_t)n >= sizeof(target))
                return berth_error_set(reterr, n < 0 ? errno : ENAMETOOLONG, "copy '%s': read link",
                                       what);
        target[n] = 0;
        char tmp[32];
        tmp_name(tmp);
        if (symlinkat(target, dst_dir, tmp) < 0)
                return berth_error_set(reterr, errno, "copy '%s': create link", what);
        cc->stats.symlinks++;
        return put_in_place(dst_dir, tmp, dst_name, what, reterr);
}

static int copy_file(Copy *cc, int src, const struct stat *st, int dst_dir, const char *dst_name,
                     const char *what, BerthError **reterr)
{
        /* Reopened for reading from the O_PATH fd itself: the same inode that was checked. */
        char p[64];
        snprintf(p, sizeof(p), "/proc/self/fd/%d", src);
        _cleanup_close_ int in = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (in < 0)
                return berth_error_set(reterr, errno, "copy '%s': open", what);

        char tmp[32];
        tmp_name(tmp);
        _cleanup_close_ int out =
                openat(dst_dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return berth_error_set(reterr, errno, "copy '%s': create", what);
        int r = copy_data(in, out);
        if (r < 0) {
                (void)unlinkat(dst_dir, tmp, 0);
                return berth_error_set(reterr, r, "copy '%s'", what);
        }
        struct timespec times[2] = {st->st_atim, st->st_mtim};
        if (fchmod(out, copy_mode(cc, st)) < 0 || futimens(out, times) < 0) {
                r = berth_error_set(reterr, errno, "copy '%s': set mode and times", what);
                (void)unlinkat(dst_dir, tmp, 0);
                return r;
        }
        cc->stats.files++;
        cc->stats.bytes += st->st_size;
        return put_in_place(dst_dir, tmp, dst_name, what, reterr);
}

static int copy_dir(Copy *cc, int src, const struct stat *st, int dst_dir, const char *dst_name,
                    const char *what, unsigned depth, BerthError **reterr)
{
        if (depth >= COPY_MAX_DEPTH)
                return berth_error_setf(reterr, ELOOP, "copy '%s': nested deeper than %d levels",
                                        what, COPY_MAX_DEPTH);
        /* Into an existing directory the contents merge, and its own owner and mode stay. */
        bool created = mkdirat(dst_dir, dst_name, 0700) >= 0;
        if (!created && errno != EEXIST)
                return berth_error_set(reterr, errno, "copy '%s': create directory", what);
        _cleanup_close_ int out =
                openat(dst_dir, dst_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (out < 0)
                return berth_error_set(reterr, errno == ELOOP ? ENOTDIR : errno,
                                       "copy '%s': open the directory to copy into", what);
        int in = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (in < 0)
                return berth_error_set(reterr, errno, "copy '%s': open", what);
        _cleanup_closedir_ DIR *d = fdopendir_consume(in);
        if (!d)
                return berth_error_set(reterr, errno, "copy '%s': open", what);

        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return berth_error_set(reterr, errno, "copy '%s': read", what);
                        break;
                }
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *child_what = xasprintf("%s/%s", what, de->d_name);
                _cleanup_close_ int c =
                        openat(dirfd(d), de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat cst;
                if (c < 0 || fstat(c, &cst) < 0) {
                        if (errno == ENOENT)
                                continue; /* gone meanwhile */
                        return berth_error_set(reterr, errno, "copy '%s'", child_what);
                }
                int r = copy_entry(cc, c, &cst, out, de->d_name, child_what, depth + 1, reterr);
                if (r < 0)
                        return r;
        }
        if (created) {
                struct timespec times[2] = {st->st_atim, st->st_mtim};
                if (fchmod(out, copy_mode(cc, st)) < 0 || futimens(out, times) < 0)
                        return berth_error_set(reterr, errno, "copy '%s': set mode", what);
        }
        cc->stats.dirs++;
        return 0;
}

static int copy_entry(Copy *cc, int src, const struct stat *st, int dst_dir, const char *dst_name,
                      const char *what, unsigned depth, BerthError **reterr)
{
        if (depth > 0 && st->st_dev != cc->dev) {
                /* Another file system below the one copied (a mount point): not walked. */
                cc->stats.skipped++;
                return 0;
        }
        if (S_ISLNK(st->st_mode))
                return copy_symlink(cc, src, st, dst_dir, dst_name, what, reterr);
        if (S_ISREG(st->st_mode))
                return copy_file(cc, src, st, dst_dir, dst_name, what, reterr);
        if (S_ISDIR(st->st_mode))
                return copy_dir(cc, src, st, dst_dir, dst_name, what, depth, reterr);
        /* Device nodes, fifos, sockets: a copy could open a device on the host. */
        if (depth == 0)
                return berth_error_setf(reterr, EINVAL,
                                        "copy '%s': not a file, directory or symlink", what);
        cc->stats.skipped++;
        return 0;
}

/* ---- the two ends ------------------------------------------------------------------------------ */

static char *last_component(const char *path)
{
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
                n--;
        const char *start = path + n;
        while (start > path && start[-1] != '/')
                start--;
        return xstrndup(start, path + n - start);
}

static char *parent_of(const char *path)
{
        _cleanup_free_ char *copy = xstrdup(path);
        size_t n = strlen(copy);
        while (n > 1 && copy[n - 1] == '/')
                copy[--n] = 0;
        char *slash = strrchr(copy, '/');
        if (!slash)
                return xstrdup(".");
        if (slash == copy)
                return xstrdup("/");
        *slash = 0;
        return TAKE_PTR(copy);
}

/* "/a/b/" -> "/a/b" (and "/" stays), for mount_open_in_root(), which wants no trailing slash. */
static int container_path(const char *name, const char *path, char **ret, BerthError **reterr)
{
        _cleanup_free_ char *p = xstrdup(path ?: "");
        size_t n = strlen(p);
        while (n > 1 && p[n - 1] == '/')
                p[--n] = 0;
        if (!path_is_absolute(p) || !path_is_normalized(p)) {
                _cleanup_free_ char *esc = berth_escape(path ?: "");
                return berth_error_setf(reterr, EINVAL,
                                        "cp '%s': '%s' is not an absolute path in the container "
                                        "(without '.' or '..')",
                                        name, esc);
        }
        *ret = TAKE_PTR(p);
        return 0;
}

typedef struct Source {
        int fd; /* O_PATH of the entry */
        struct stat st;
        char *name; /* what the copy is called when it goes into a directory */
} Source;

static void source_done(Source *s)
{
        safe_close(s->fd);
        free(s->name);
}

static int host_source(const char *path, bool follow, Source *ret, BerthError **reterr)
{
        int fd = open(path, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
        if (fd < 0)
                return berth_error_set(reterr, errno, "open '%s'", path);
        *ret = (Source){.fd = fd, .name = last_component(path)};
        if (fstat(fd, &ret->st) < 0)
                return berth_error_set(reterr, errno, "open '%s'", path);
        return 0;
}

static int container_source(int rootfd, const char *cname, const char *path, bool follow,
                            Source *ret, BerthError **reterr)
{
        int fd = -EBADF, r;
        if (streq(path, "/") || follow)
                r = mount_open_in_root(rootfd, path, O_PATH, &fd, reterr);
        else {
                /* The parent resolved inside the root, the entry itself not followed. */
                _cleanup_free_ char *parent = parent_of(path), *last = last_component(path);
                _cleanup_close_ int pfd = -EBADF;
                r = mount_open_in_root(rootfd, parent, O_PATH | O_DIRECTORY, &pfd, reterr);
                if (r >= 0) {
                        fd = openat(pfd, last, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                        if (fd < 0)
                                r = berth_error_set(reterr, errno, "resolve '%s' in the container",
                                                    path);
                }
        }
        if (r < 0)
                return r;
        *ret = (Source){.fd = fd, .name = streq(path, "/") ? xstrdup(cname) : last_component(path)};
        if (fstat(fd, &ret->st) < 0)
                return berth_error_set(reterr, errno, "resolve '%s' in the container", path);
        return 0;
}

typedef struct Target {
        int dir;    /* the directory the copy goes into */
        char *name; /* under this name */
} Target;

static void target_done(Target *t)
{
        safe_close(t->dir);
        free(t->name);
}

/* As cp and docker cp: into an existing directory under the source's name, else as path (whose
 * parent must exist); a path ending in '/' must be a directory. */
static int host_target(const char *path, const char *src_name, Target *ret, BerthError **reterr)
{
        struct stat st;
        size_t n = strlen(path);
        if (stat(path, &st) >= 0 && S_ISDIR(st.st_mode)) {
                ret->dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (ret->dir < 0)
                        return berth_error_set(reterr, errno, "open '%s'", path);
                ret->name = xstrdup(src_name);
                return 0;
        }
        if (n > 0 && path[n - 1] == '/')
                return berth_error_set(reterr, ENOENT, "open directory '%s'", path);
        _cleanup_free_ char *parent = parent_of(path);
        ret->dir = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ret->dir < 0)
                return berth_error_set(reterr, errno, "open directory '%s'", parent);
        ret->name = last_component(path);
        return 0;
}

static int container_target(int rootfd, const char *path, bool dir_wanted, const char *src_name,
                            Target *ret, BerthError **reterr)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int fd = -EBADF;
        int r = mount_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, &fd, &err);
        if (r >= 0) {
                ret->dir = fd;
                ret->name = xstrdup(src_name);
                return 0;
        }
        if (dir_wanted || (r != -ENOENT && r != -ENOTDIR) || streq(path, "/")) {
                if (reterr && !*reterr)
                        *reterr = TAKE_PTR(err);
                return r;
        }
        _cleanup_free_ char *parent = parent_of(path);
        r = mount_open_in_root(rootfd, parent, O_RDONLY | O_DIRECTORY, &ret->dir, reterr);
        if (r < 0)
                return r;
        ret->name = last_component(path);
        return 0;
}

/* ---- the child that copies ---------------------------------------------------------------------- */

typedef struct CopyJob {
        const char *name;
        bool into;
        const char *host_path;
        const char *container_path; /* normalised */
        bool container_dir_wanted;  /* the container path ended in '/' */
        const char *host_path_given;
        bool follow;
        pid_t init_pid;   /* > 0: running, the root is /proc/PID/root */
        const char *container_dir; /* stopped: the rootfs is opened through its backend */
        const BerthConfig *config;
        uid_t fsuid;      /* who creates entries in the container (its root's host uid) */
} CopyJob;

/* Acts as fsuid/fsgid, with the file capabilities kept: fsuid only decides who owns what the
 * copy creates. */
static int become(uid_t uid, BerthError **reterr)
{
        if (uid == 0)
                return 0;
        (void)setfsgid(uid);
        (void)setfsuid(uid);
        if ((uid_t)setfsuid((uid_t)-1) != uid || (gid_t)setfsgid((gid_t)-1) != (gid_t)uid)
                return berth_error_set(reterr, EPERM, "act as uid %u", (unsigned)uid);
        /* The kernel drops the file capabilities from the effective set when fsuid leaves 0. */
        static const cap_value_t caps[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
                                           CAP_FOWNER, CAP_FSETID};
        cap_t c = cap_get_proc();
        int r = 0;
        if (!c || cap_set_flag(c, CAP_EFFECTIVE, ELEMENTSOF(caps), caps, CAP_SET) < 0 ||
            cap_set_proc(c) < 0)
                r = berth_error_set(reterr, errno ?: EPERM, "keep capabilities as uid %u",
                                    (unsigned)uid);
        if (c)
                cap_free(c);
        return r;
}

static int open_root(const CopyJob *j, int *ret, BerthError **reterr)
{
        if (j->init_pid > 0) {
                char p[64];
                snprintf(p, sizeof(p), "/proc/%d/root", (int)j->init_pid);
                *ret = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (*ret < 0)
                        return berth_error_set(reterr, errno, "open the container's root");
                return 0;
        }
        /* A stopped container's tree as its backend makes it (an overlay is mounted), not
         * idmapped: on disk container root is uid 0. The mounts live in this child's own mount
         * namespace and die with it. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return berth_error_set(reterr, errno, "make a mount namespace");
        return storage_rootfs_open(j->container_dir, j->config, -EBADF, NULL, ret, reterr);
}

static int run_copy(const CopyJob *j, BerthCopyResult *ret, BerthError **reterr)
{
        _cleanup_close_ int root = -EBADF;
        int r = open_root(j, &root, reterr);
        if (r < 0)
                return r;
        r = become(j->into ? j->fsuid : 0, reterr);
        if (r < 0)
                return r;

        Source src = {.fd = -EBADF};
        Target dst = {.dir = -EBADF};
        if (j->into)
                r = host_source(j->host_path, j->follow, &src, reterr);
        else
                r = container_source(root, j->name, j->container_path, j->follow, &src, reterr);
        if (r >= 0) {
                if (j->into)
                        r = container_target(root, j->container_path, j->container_dir_wanted,
                                             src.name, &dst, reterr);
                else
                        r = host_target(j->host_path, src.name, &dst, reterr);
        }
        if (r >= 0) {
                Copy cc = {.name = j->name, .into = j->into, .dev = src.st.st_dev};
                _cleanup_free_ char *what =
                        xstrdup(j->into ? j->host_path : j->container_path);
                r = copy_entry(&cc, src.fd, &src.st, dst.dir, dst.name, what, 0, reterr);
                *ret = cc.stats;
        }
        source_done(&src);
        target_done(&dst);
        return r;
}

/* The child's answer: the counts, then the errno and message. */
typedef struct CopyReport {
        BerthCopyResult stats;
        int error;
        char message[2048];
} CopyReport;

static int copy_in_child(const CopyJob *j, BerthCopyResult *ret, BerthError **reterr)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return berth_error_set(reterr, errno, "create pipe");
        _cleanup_close_ int rd = p[0], wr = p[1];
        pid_t pid = fork();
        if (pid < 0)
                return berth_error_set(reterr, errno, "fork");
        if (pid == 0) {
                rd = safe_close(rd);
                CopyReport rep = {};
                BerthError *err = NULL;
                int r = run_copy(j, &rep.stats, &err);
                if (r < 0) {
                        rep.error = -r;
                        snprintf(rep.message, sizeof(rep.message), "%s",
                                 berth_error_message(err, r));
                }
                (void)loop_write(wr, &rep, sizeof(rep));
                _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
        }
        wr = safe_close(wr);
        CopyReport rep = {};
        ssize_t n = loop_read(rd, &rep, sizeof(rep));
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (n != (ssize_t)sizeof(rep))
                return berth_error_setf(reterr, EIO, "the copy process died (status %d)", status);
        rep.message[sizeof(rep.message) - 1] = 0;
        *ret = rep.stats;
        if (rep.error)
                return berth_error_setf(reterr, rep.error, "%s", rep.message);
        return 0;
}

static int copy_run(BerthContext *ctx, const char *name, bool into, const char *host_path,
                    const char *cpath, const BerthCopyOptions *opts, BerthCopyResult *ret,
                    BerthError **reterr)
{
        if (!host_path || !*host_path)
                return berth_error_setf(reterr, EINVAL, "cp '%s': no host path given", name);
        _cleanup_free_ char *path = NULL;
        int r = container_path(name, cpath, &path, reterr);
        if (r < 0)
                return r;
        size_t n = strlen(cpath);

        /* The lock keeps start, destroy and the storage operations out while the copy runs. */
        _cleanup_close_ int lock = -EBADF;
        r = container_lock_adopted(ctx, name, "cp", &lock, reterr);
        if (r < 0)
                return r;
        _cleanup_(config_freep) BerthConfig *c = NULL;
        r = container_load_config(ctx, name, "cp", &c, reterr);
        if (r < 0)
                return r;

        CopyJob j = {
                .name = name,
                .into = into,
                .host_path = host_path,
                .container_path = path,
                .container_dir_wanted = n > 1 && cpath[n - 1] == '/',
                .follow = opts && opts->follow_link,
        };
        RuntimeState s;
        (void)container_runtime_view(ctx, name, &s, NULL);
        _cleanup_close_ int pidfd = -EBADF;
        if (s.state != BERTH_STATE_STOPPED && s.init_pid > 0) {
                /* Held over the copy, and checked: the pid is still that container's init. */
                pidfd = (int)syscall(SYS_pidfd_open, s.init_pid, 0);
                if (pidfd < 0 || !runtime_init_alive(&s)) {
                        runtime_state_done(&s);
                        return berth_error_setf(reterr, ESRCH, "cp '%s': init went away", name);
                }
                j.init_pid = s.init_pid;
                if (!c->privileged) {
                        size_t nm;
                        const BerthIdmap *map = idmap_effective(c, &nm);
                        j.fsuid = idmap_host_root(map, nm);
                }
        }
        runtime_state_done(&s);
        _cleanup_free_ char *dir = context_container_dir(ctx, name);
        j.container_dir = dir;
        j.config = c;
        if (j.fsuid == (uid_t)-1)
                return berth_error_setf(reterr, EINVAL, "cp '%s': no host id for container root",
                                        name);

        BerthCopyResult res = {};
        r = copy_in_child(&j, &res, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "cp '%s'", name);
        if (ret)
                *ret = res;
        return 0;
}

int berth_copy_to(BerthContext *ctx, const char *name, const char *host_src,
                  const char *container_dst, const BerthCopyOptions *opts, BerthCopyResult *ret,
                  BerthError **reterr)
{
        return copy_run(ctx, name, true, host_src, container_dst, opts, ret, reterr);
}

int berth_copy_from(BerthContext *ctx, const char *name, const char *container_src,
                    const char *host_dst, const BerthCopyOptions *opts, BerthCopyResult *ret,
                    BerthError **reterr)
{
        return copy_run(ctx, name, false, host_dst, container_src, opts, ret, reterr);
}
