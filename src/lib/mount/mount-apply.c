/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Applies a mount plan in the child's mount namespace, sets up the ptys, and pivots into the
 * rootfs.
 *
 * Threat model: the rootfs is the container's, so any path in it may be a symlink planted to make
 * us mount over, or create files in, the host. Every container path is resolved below an fd of
 * the rootfs with openat2(RESOLVE_IN_ROOT) (symlinks are followed, but ".." and absolute links
 * stay inside), or, without openat2, by a component walk that refuses every symlink. We then
 * mount onto /proc/self/fd/N of the O_PATH fd, so no path is looked up a second time. Bind
 * sources are host paths chosen by the admin and are opened from the host side. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "mount-internal.h"
#include "mount.h"
#include "path-util.h"

#define FD_PATH_MAX 32

static bool force_fallback;
static int openat2_works = -1; /* -1 unknown, 0 ENOSYS seen, 1 works */

void mount_resolve_force_fallback(bool force)
{
        force_fallback = force;
}

/* The magic link that names an fd, for mount(2), which takes paths only. */
static const char *fd_path(char buf[static FD_PATH_MAX], int fd)
{
        snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
        return buf;
}

static bool container_path_valid(const char *p)
{
        size_t n = p ? strlen(p) : 0;
        /* A trailing slash would make the "last component" empty. */
        return path_is_absolute(p) && path_is_normalized(p) && (n == 1 || p[n - 1] != '/') &&
               n < 4096;
}

static int open_openat2(int rootfd, const char *rel, int oflags)
{
        struct open_how how = {
                .flags = (uint64_t)(oflags | O_CLOEXEC),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };

        /* EAGAIN: a concurrent rename somewhere on the path; the kernel asks us to retry. */
        for (int i = 0; i < 16; i++) {
                long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
                if (fd >= 0)
                        return (int)fd;
                if (errno != EAGAIN)
                        return negative_errno();
        }
        return -EAGAIN;
}

/* Without openat2 we cannot follow a symlink and stay inside the root race-free, so none is
 * followed at all: a rootfs that needs one on a mount path gets a clear error instead. */
static int open_walk(int rootfd, const char *path, int oflags, BerthError **reterr)
{
        const char *p = path + strspn(path, "/");
        _cleanup_close_ int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return berth_error_set(reterr, errno, "resolve '%s' in the container: open root",
                                       path);
        if (!*p) {
                int fd = openat(rootfd, ".", oflags | O_CLOEXEC);
                if (fd < 0)
                        return berth_error_set(reterr, errno, "resolve '%s' in the container",
                                               path);
                return fd;
        }

        for (;;) {
                size_t n = strcspn(p, "/");
                _cleanup_free_ char *comp = xstrndup(p, n);
                bool last = p[n] == 0;
                bool want_path = !last || (oflags & O_PATH);
                int fl = want_path ? O_PATH | O_NOFOLLOW : oflags | O_NOFOLLOW;

                _cleanup_close_ int fd = openat(cur, comp, fl | O_CLOEXEC);
                bool symlink = fd < 0 && errno == ELOOP;
                if (fd < 0 && !symlink)
                        return berth_error_set(reterr, errno, "resolve '%s' in the container",
                                               path);
                if (fd >= 0 && want_path) {
                        struct stat st;
                        if (fstat(fd, &st) < 0)
                                return berth_error_set(reterr, errno,
                                                       "resolve '%s' in the container", path);
                        symlink = S_ISLNK(st.st_mode);
                        if (!symlink && !S_ISDIR(st.st_mode) && (!last || (oflags & O_DIRECTORY)))
                                return berth_error_set(reterr, ENOTDIR,
                                                       "resolve '%s' in the container", path);
                }
                if (symlink)
                        return berth_error_setf(reterr, ELOOP,
                                                "resolve '%.*s' in the container: symlink not "
                                                "allowed here",
                                                (int)(p + n - path), path);
                if (last)
                        return TAKE_FD(fd);
                safe_close(cur);
                cur = TAKE_FD(fd);
                p += n + 1;
        }
}

int mount_open_in_root(int rootfd, const char *path, int oflags, int *ret_fd, BerthError **reterr)
{
        if (!container_path_valid(path))
                return berth_error_setf(reterr, EINVAL,
                                        "resolve '%s' in the container: not an absolute, "
                                        "normalized path",
                                        strempty(path));

        if (!force_fallback && openat2_works != 0) {
                const char *rel = path + strspn(path, "/");
                int fd = open_openat2(rootfd, *rel ? rel : ".", oflags);
                if (fd != -ENOSYS) {
                        openat2_works = 1;
                        if (fd < 0)
                                return berth_error_set(reterr, fd, "resolve '%s' in the container",
                                                       path);
                        *ret_fd = fd;
                        return 0;
                }
                log_debug("openat2() not available, resolving container paths without symlinks");
                openat2_works = 0;
        }

        int fd = open_walk(rootfd, path, oflags, reterr);
        if (fd < 0)
                return fd;
        *ret_fd = fd;
        return 0;
}

int mount_open_parent_in_root(int rootfd, const char *path, int *ret_fd, const char **ret_name,
                              BerthError **reterr)
{
        if (!container_path_valid(path) || streq(path, "/"))
                return berth_error_setf(reterr, EINVAL,
                                        "resolve '%s' in the container: not an absolute, "
                                        "normalized path below '/'",
                                        strempty(path));

        const char *name = strrchr(path, '/') + 1;
        _cleanup_close_ int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return berth_error_set(reterr, errno, "resolve '%s' in the container: open root",
                                       path);

        /* Component by component, each prefix resolved from the root again: a directory we just
         * created is looked up by the same rules as one the container planted. */
        for (const char *p = path + 1; p < name;) {
                size_t n = strcspn(p, "/");
                _cleanup_free_ char *prefix = xstrndup(path, p + n - path);
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                int fd = -EBADF;

                int r = mount_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, &fd, &err);
                if (r == -ENOENT) {
                        _cleanup_free_ char *comp = xstrndup(p, n);
                        if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
                                return berth_error_set(reterr, errno,
                                                       "create directory '%s' in the container",
                                                       prefix);
                        err = berth_error_free(err);
                        r = mount_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, &fd, &err);
                }
                if (r < 0) {
                        if (reterr && !*reterr)
                                *reterr = TAKE_PTR(err);
                        return r;
                }
                safe_close(cur);
                cur = fd;
                p += n + 1;
        }

        *ret_fd = TAKE_FD(cur);
        *ret_name = name;
        return 0;
}

/* Sets the exact mode of something we just created: mknodat() and friends apply the umask. */
static int fix_mode(int dirfd, const char *name, mode_t mode)
{
        if (fchmodat(dirfd, name, mode, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        return 0;
}

static int make_dir(int rootfd, const char *path, mode_t mode, BerthError **reterr)
{
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        const char *name;

        int r = mount_open_parent_in_root(rootfd, path, &dfd, &name, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "create directory '%s'", path);
        if (mkdirat(dfd, name, mode) >= 0)
                r = fix_mode(dfd, name, mode);
        else if (errno == EEXIST) {
                /* Fine if it is a directory (or, with openat2, leads to one inside the root). */
                r = mount_open_in_root(rootfd, path, O_PATH | O_DIRECTORY, &fd, reterr);
                if (r < 0)
                        return berth_error_prefix(reterr, r, "create directory '%s'", path);
                return 0;
        } else
                r = negative_errno();
        if (r < 0)
                return berth_error_set(reterr, r, "create directory '%s'", path);
        return 0;
}

static int make_file(int rootfd, const char *path, mode_t mode, BerthError **reterr)
{
        _cleanup_close_ int dfd = -EBADF;
        const char *name;

        int r = mount_open_parent_in_root(rootfd, path, &dfd, &name, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "create file '%s'", path);
        /* mknodat() never follows a symlink at name; an existing entry is left to the later
         * resolution of the target. */
        if (mknodat(dfd, name, S_IFREG | mode, 0) >= 0)
                r = fix_mode(dfd, name, mode);
        else
                r = errno == EEXIST ? 0 : negative_errno();
        if (r < 0)
                return berth_error_set(reterr, r, "create file '%s'", path);
        return 0;
}

static int make_node(int rootfd, const MountEntry *e, BerthError **reterr)
{
        _cleanup_close_ int dfd = -EBADF;
        const char *name;

        int r = mount_open_parent_in_root(rootfd, e->target, &dfd, &name, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "create device node '%s'", e->target);
        if (mknodat(dfd, name, S_IFCHR | (e->mode & 07777), makedev(e->major, e->minor)) >= 0)
                r = fix_mode(dfd, name, e->mode & 07777);
        else
                r = negative_errno();
        if (r < 0)
                return berth_error_set(reterr, r, "create device node '%s' (%u:%u)", e->target,
                                       e->major, e->minor);
        return 0;
}

static int make_symlink(int rootfd, const MountEntry *e, BerthError **reterr)
{
        _cleanup_close_ int dfd = -EBADF;
        const char *name;

        if (!e->source || !*e->source)
                return berth_error_setf(reterr, EINVAL, "create symlink '%s': no destination",
                                        e->target);
        int r = mount_open_parent_in_root(rootfd, e->target, &dfd, &name, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "create symlink '%s'", e->target);
        if (symlinkat(e->source, dfd, name) >= 0)
                return 0;
        r = negative_errno();
        if (r == -EEXIST) {
                /* The same link already there (a rootfs that ships /dev/fd) is fine. */
                char buf[4096];
                ssize_t n = readlinkat(dfd, name, buf, sizeof(buf) - 1);
                if (n >= 0) {
                        buf[n] = 0;
                        if (streq(buf, e->source))
                                return 0;
                }
        }
        return berth_error_set(reterr, r, "create symlink '%s' -> '%s'", e->target, e->source);
}

static int make_target(int rootfd, const MountEntry *e, BerthError **reterr)
{
        switch (e->create) {
        case MOUNT_CREATE_NONE:
                return 0;
        case MOUNT_CREATE_DIR:
                return make_dir(rootfd, e->target, e->mode ? e->mode & 07777 : 0755, reterr);
        case MOUNT_CREATE_FILE:
                return make_file(rootfd, e->target, e->mode ? e->mode & 07777 : 0644, reterr);
        default:
                return berth_error_setf(reterr, EINVAL, "create '%s': invalid create mode %d",
                                        e->target, e->create);
        }
}

/* The per-mount flags a bind remount must repeat: the kernel replaces them all, and in a user
 * namespace dropping a locked one (nosuid, ro, an atime mode) is refused with EPERM. */
static int mount_flags_of(int fd, unsigned long asked, unsigned long *ret)
{
        struct statvfs sv;
        if (fstatvfs(fd, &sv) < 0)
                return negative_errno();

        unsigned long f = 0;
        if (sv.f_flag & ST_RDONLY)
                f |= MS_RDONLY;
        if (sv.f_flag & ST_NOSUID)
                f |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                f |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                f |= MS_NOEXEC;
        if (sv.f_flag & ST_NODIRATIME)
                f |= MS_NODIRATIME;
        if (!(asked & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))) {
                if (sv.f_flag & ST_NOATIME)
                        f |= MS_NOATIME;
                else if (sv.f_flag & ST_RELATIME)
                        f |= MS_RELATIME;
                else
                        f |= MS_STRICTATIME;
        }
        *ret = f;
        return 0;
}

/* A recursive bind remount is not recursive with mount(2): a ro rbind would leave its submounts
 * writable. mount_setattr(AT_RECURSIVE) covers the whole tree, and only sets what is asked. */
static int remount_recursive(int fd, unsigned long flags)
{
        struct mount_attr attr = {};

        if (flags & MS_RDONLY)
                attr.attr_set |= MOUNT_ATTR_RDONLY;
        if (flags & MS_NOSUID)
                attr.attr_set |= MOUNT_ATTR_NOSUID;
        if (flags & MS_NODEV)
                attr.attr_set |= MOUNT_ATTR_NODEV;
        if (flags & MS_NOEXEC)
                attr.attr_set |= MOUNT_ATTR_NOEXEC;
        if (flags & MS_NODIRATIME)
                attr.attr_set |= MOUNT_ATTR_NODIRATIME;
        if (flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) {
                attr.attr_clr |= MOUNT_ATTR__ATIME;
                attr.attr_set |= flags & MS_NOATIME    ? MOUNT_ATTR_NOATIME
                                 : flags & MS_RELATIME ? MOUNT_ATTR_RELATIME
                                                       : MOUNT_ATTR_STRICTATIME;
        }
        if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return negative_errno();
        return 0;
}

static int remount_fd(int fd, unsigned long flags, const char *data)
{
        char p[FD_PATH_MAX];
        unsigned long keep = 0;
        int r;

        flags |= MS_REMOUNT;
        if ((flags & MS_BIND) && (flags & MS_REC))
                return remount_recursive(fd, flags);
        if (flags & MS_BIND) {
                r = mount_flags_of(fd, flags, &keep);
                if (r < 0)
                        return r;
        }
        if (mount(NULL, fd_path(p, fd), NULL, flags | keep, data) < 0)
                return negative_errno();
        return 0;
}

static int apply_fs(int rootfd, const MountEntry *e, BerthError **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        char p[FD_PATH_MAX];
        int r;

        if (!e->fstype)
                return berth_error_setf(reterr, EINVAL, "mount on '%s': no filesystem type",
                                        e->target);
        r = make_target(rootfd, e, reterr);
        if (r >= 0)
                r = mount_open_in_root(rootfd, e->target, O_PATH, &fd, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "mount '%s' on '%s'", e->fstype, e->target);
        if (mount(e->source ? e->source : e->fstype, fd_path(p, fd), e->fstype, e->flags, e->data) <
            0)
                return berth_error_set(reterr, errno, "mount '%s' on '%s'", e->fstype, e->target);
        return 0;
}

static int apply_bind(int rootfd, const MountEntry *e, BerthError **reterr)
{
        _cleanup_close_ int sfd = -EBADF, tfd = -EBADF;
        char sp[FD_PATH_MAX], tp[FD_PATH_MAX];
        int r;

        if (!e->source || !path_is_absolute(e->source))
                return berth_error_setf(reterr, EINVAL, "bind '%s' on '%s': source is not absolute",
                                        strempty(e->source), e->target);
        /* The source first: an optional bind of a missing source must not create the target. */
        if (e->source_in_root) {
                r = mount_open_in_root(rootfd, e->source, O_PATH, &sfd, reterr);
                if (r < 0)
                        return berth_error_prefix(reterr, r, "bind '%s' on '%s'", e->source,
                                                  e->target);
        } else {
                sfd = open(e->source, O_PATH | O_CLOEXEC);
                if (sfd < 0)
                        return berth_error_set(reterr, errno, "bind '%s' on '%s': open source",
                                               e->source, e->target);
        }
        r = make_target(rootfd, e, reterr);
        if (r >= 0)
                r = mount_open_in_root(rootfd, e->target, O_PATH, &tfd, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "bind '%s' on '%s'", e->source, e->target);

        if (mount(fd_path(sp, sfd), fd_path(tp, tfd), NULL, MS_BIND | (e->flags & MS_REC), NULL) <
            0)
                return berth_error_set(reterr, errno, "bind '%s' on '%s'", e->source, e->target);

        unsigned long rest = e->flags & ~(MS_BIND | MS_REC);
        if (rest == 0)
                return 0;
        /* tfd still names the directory under the new mount; look the target up again. */
        tfd = safe_close(tfd);
        r = mount_open_in_root(rootfd, e->target, O_PATH, &tfd, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "remount '%s'", e->target);
        r = remount_fd(tfd, MS_BIND | (e->flags & MS_REC) | rest, NULL);
        if (r < 0)
                return berth_error_set(reterr, r, "remount '%s'", e->target);
        return 0;
}

static int apply_remount(int rootfd, const MountEntry *e, BerthError **reterr)
{
        _cleanup_close_ int fd = -EBADF;

        int r = mount_open_in_root(rootfd, e->target, O_PATH, &fd, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "remount '%s'", e->target);
        r = remount_fd(fd, e->flags, e->data);
        if (r < 0)
                return berth_error_set(reterr, r, "remount '%s'", e->target);
        return 0;
}

static int apply_entry(int rootfd, const MountEntry *e, BerthError **reterr)
{
        if (!container_path_valid(e->target) ||
            (streq(e->target, "/") && e->kind != MOUNT_KIND_REMOUNT))
                return berth_error_setf(reterr, EINVAL,
                                        "apply %s entry '%s': target is not an absolute, "
                                        "normalized path",
                                        strempty(mount_kind_to_string(e->kind)),
                                        strempty(e->target));

        switch (e->kind) {
        case MOUNT_KIND_FS:
                return apply_fs(rootfd, e, reterr);
        case MOUNT_KIND_BIND:
                return apply_bind(rootfd, e, reterr);
        case MOUNT_KIND_REMOUNT:
                return apply_remount(rootfd, e, reterr);
        case MOUNT_KIND_MKDIR:
                return make_dir(rootfd, e->target, e->mode & 07777, reterr);
        case MOUNT_KIND_SYMLINK:
                return make_symlink(rootfd, e, reterr);
        case MOUNT_KIND_MKNOD:
                return make_node(rootfd, e, reterr);
        case MOUNT_KIND_FILE:
                return make_file(rootfd, e->target, e->mode & 07777, reterr);
        default:
                return berth_error_setf(reterr, EINVAL, "apply entry '%s': invalid kind %d",
                                        e->target, (int)e->kind);
        }
}

int mount_plan_apply(const MountPlan *p, const char *rootfs, BerthError **reterr)
{
        _cleanup_close_ int rootfd = -EBADF;
        const char *skipped = NULL;

        if (!p || !rootfs || !path_is_absolute(rootfs))
                return berth_error_setf(reterr, EINVAL,
                                        "apply mount plan on '%s': rootfs is not an absolute path",
                                        strempty(rootfs));

        /* Nothing we mount may propagate back into the host's namespace. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return berth_error_set(reterr, errno, "make '/' a slave mount");
        /* pivot_root needs a mount point, and the rootfs may be a plain directory. */
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return berth_error_set(reterr, errno, "bind rootfs '%s' onto itself", rootfs);
        /* Opened after the bind, so it names the new mount, not the directory beneath. */
        rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return berth_error_set(reterr, errno, "open rootfs '%s'", rootfs);

        for (size_t i = 0; i < p->n_entries; i++) {
                const MountEntry *e = &p->entries[i];
                _cleanup_(berth_error_freep) BerthError *err = NULL;

                /* The remount of an optional bind that was skipped has nothing to act on. */
                if (e->kind == MOUNT_KIND_REMOUNT && e->optional && skipped &&
                    streq_ptr(e->target, skipped))
                        continue;

                int r = apply_entry(rootfd, e, &err);
                if (r >= 0) {
                        skipped = NULL;
                        continue;
                }
                if (e->optional && (r == -ENOENT || r == -ENODEV)) {
                        log_debug("skipping optional mount entry: %s", berth_error_message(err, r));
                        skipped = e->target;
                        continue;
                }
                if (reterr && !*reterr)
                        *reterr = TAKE_PTR(err);
                return r;
        }
        return 0;
}

static void close_many(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                fds[i] = safe_close(fds[i]);
}

/* One pty: opens a master from the container's devpts and binds its slave onto target. */
static int setup_pty(int rootfd, const char *target, mode_t mode, gid_t gid, int *ret_master,
                     BerthError **reterr)
{
        _cleanup_close_ int master = -EBADF, sfd = -EBADF, tfd = -EBADF;
        char sp[FD_PATH_MAX], tp[FD_PATH_MAX];
        unsigned n;
        int r;

        r = mount_open_in_root(rootfd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, &master, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "open pty for '%s'", strempty(target));
        if (unlockpt(master) < 0)
                return berth_error_set(reterr, errno, "unlock pty for '%s'", strempty(target));
        if (ioctl(master, TIOCGPTN, &n) < 0)
                return berth_error_set(reterr, errno, "get pty number for '%s'", strempty(target));

        _cleanup_free_ char *slave = xasprintf("/dev/pts/%u", n);
        r = mount_open_in_root(rootfd, slave, O_PATH, &sfd, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "open pty '%s'", slave);
        if (chmod(fd_path(sp, sfd), mode) < 0 ||
            (gid != (gid_t)-1 && fchownat(sfd, "", (uid_t)-1, gid, AT_EMPTY_PATH) < 0))
                return berth_error_set(reterr, errno, "set owner and mode of pty '%s'", slave);

        if (!target) { /* named by its pts path only (systemd's container_ttys) */
                *ret_master = TAKE_FD(master);
                return 0;
        }
        r = make_file(rootfd, target, 0600, reterr);
        if (r >= 0)
                r = mount_open_in_root(rootfd, target, O_PATH, &tfd, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "bind pty '%s' on '%s'", slave, target);
        if (mount(sp, fd_path(tp, tfd), NULL, MS_BIND, NULL) < 0)
                return berth_error_set(reterr, errno, "bind pty '%s' on '%s'", slave, target);

        *ret_master = TAKE_FD(master);
        return 0;
}

int mount_setup_ptys(const char *rootfs, unsigned n_ttys, int *ret_masters, BerthError **reterr)
{
        return mount_setup_ptys_full(rootfs, n_ttys, true, MOUNT_TTY_GID, ret_masters, reterr);
}

int mount_setup_ptys_full(const char *rootfs, unsigned n_ttys, bool bind_ttys, gid_t tty_gid,
                          int *ret_masters, BerthError **reterr)
{
        _cleanup_close_ int rootfd = -EBADF;
        int masters[MOUNT_MAX_TTYS + 1];

        if (!rootfs || !path_is_absolute(rootfs) || !ret_masters)
                return berth_error_setf(reterr, EINVAL, "set up ptys in '%s': invalid arguments",
                                        strempty(rootfs));
        if (n_ttys > MOUNT_MAX_TTYS)
                return berth_error_setf(reterr, EINVAL, "set up ptys: %u ttys, at most %d", n_ttys,
                                        MOUNT_MAX_TTYS);

        rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return berth_error_set(reterr, errno, "open rootfs '%s'", rootfs);

        for (unsigned i = 0; i <= n_ttys; i++)
                masters[i] = -EBADF;
        for (unsigned i = 0; i <= n_ttys; i++) {
                _cleanup_free_ char *target =
                        i == 0 ? xstrdup("/dev/console")
                               : bind_ttys ? xasprintf("/dev/tty%u", i) : NULL;
                /* The console belongs to root alone; ttys are group tty, as getty leaves them. */
                int r = setup_pty(rootfd, target, i == 0 ? 0600 : 0620,
                                  i == 0 ? (gid_t)-1 : tty_gid, &masters[i], reterr);
                if (r < 0) {
                        close_many(masters, i);
                        return r;
                }
        }
        memcpy(ret_masters, masters, (n_ttys + 1) * sizeof(int));
        return 0;
}

int mount_pivot_root(const char *rootfs, BerthError **reterr)
{
        if (!rootfs || !path_is_absolute(rootfs))
                return berth_error_setf(reterr, EINVAL,
                                        "pivot_root into '%s': not an absolute path",
                                        strempty(rootfs));
        if (chdir(rootfs) < 0)
                return berth_error_set(reterr, errno, "pivot_root into '%s': enter it", rootfs);
        /* new_root and put_old the same: the old root ends up stacked on "." and is detached
         * below, with no directory in the container needed for it. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return berth_error_set(reterr, errno, "pivot_root into '%s'", rootfs);
        /* The detach must not propagate into the host, even if / was still shared. */
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return berth_error_set(reterr, errno, "make the old root a slave mount");
        if (umount2(".", MNT_DETACH) < 0)
                return berth_error_set(reterr, errno, "detach the old root");
        if (chdir("/") < 0)
                return berth_error_set(reterr, errno, "enter the new root");
        return 0;
}
