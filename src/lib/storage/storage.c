/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The storage interface: backend selection, the generic remover, the rootfs seam for the start,
 * ephemeral layers and crash recovery. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"
#include "ns/idmap.h"
#include "parse.h"
#include "path-util.h"
#include "storage-internal.h"

static const StorageOps *const backends[_BERTH_BACKEND_MAX] = {
        [BERTH_BACKEND_DIR] = &storage_dir_ops,
        [BERTH_BACKEND_OVERLAY] = &storage_overlay_ops,
        [BERTH_BACKEND_BTRFS] = &storage_btrfs_ops,
};

int storage_new(BerthBackend backend, const char *root, Storage **ret, BerthError **reterr)
{
        if (backend < 0 || backend >= _BERTH_BACKEND_MAX)
                return berth_error_setf(reterr, EINVAL, "invalid storage backend %d", backend);
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(reterr, errno, "open store '%s'", root);
        Storage *s = xcalloc(1, sizeof(*s));
        s->ops = backends[backend];
        s->root = xstrdup(root);
        s->root_fd = fd;
        s->copied_bytes = UINT64_MAX;
        *ret = s;
        return 0;
}

Storage *storage_free(Storage *s)
{
        if (s) {
                safe_close(s->root_fd);
                free(s->root);
                free(s);
        }
        return NULL;
}

BerthBackend storage_backend(const Storage *s)
{
        return s->ops->backend;
}

void storage_set_progress(Storage *s, BerthProgressFunc f, void *userdata)
{
        s->progress = f;
        s->userdata = userdata;
}

BerthBackend storage_default_backend(const char *root)
{
        struct statfs sfs;
        if (statfs(root, &sfs) >= 0 && sfs.f_type == BTRFS_SUPER_MAGIC)
                return BERTH_BACKEND_BTRFS;
        return BERTH_BACKEND_DIR;
}

int storage_check(Storage *s, int dfd, BerthError **reterr)
{
        return s->ops->check ? s->ops->check(s, dfd, reterr) : 0;
}

int storage_create(Storage *s, int dfd, const char *name, char **ret_tree, BerthError **reterr)
{
        int r = storage_check(s, dfd, reterr);
        if (r < 0)
                return r;
        r = s->ops->create(s, dfd, name, reterr);
        if (r < 0)
                return r;
        storage_crash_point("create volume");
        if (ret_tree)
                return s->ops->tree_path(s, dfd, name, ret_tree, reterr);
        return 0;
}

int storage_tree_path(Storage *s, int dfd, const char *name, char **ret, BerthError **reterr)
{
        return s->ops->tree_path(s, dfd, name, ret, reterr);
}

int storage_copy(Storage *s, int src_dfd, const char *src, int dst_dfd, const char *dst,
                 unsigned flags, BerthError **reterr)
{
        int r = storage_check(s, dst_dfd, reterr);
        if (r < 0)
                return r;
        s->copied_bytes = UINT64_MAX;
        return s->ops->copy(s, src_dfd, src, dst_dfd, dst, flags, reterr);
}

int storage_import(Storage *s, const char *src_path, int dst_dfd, const char *dst,
                   BerthError **reterr)
{
        _cleanup_free_ char *tree = NULL;
        int r = storage_create(s, dst_dfd, dst, &tree, reterr);
        if (r < 0)
                return r;
        CopyOptions o = {.merge = true, .progress = s->progress, .userdata = s->userdata,
                         .what = "importing"};
        return copy_tree(AT_FDCWD, src_path, AT_FDCWD, tree, &o, reterr);
}

uint64_t storage_size(Storage *s, int dfd, const char *name)
{
        return s->ops->size(s, dfd, name);
}

uint64_t storage_copied_size(const Storage *s)
{
        return s->copied_bytes;
}

/* ---- removal --------------------------------------------------------------------------------- */

/* Overlay volumes sit at fixed places: a container's rootfs (depth 1 below a container directory)
 * or a snapshot's (depth 3); deeper down is a container's own tree, where a look-alike is
 * ignored. */
#define VOLUME_DEPTH_MAX 3

static int remove_entry(int layers_fd, int dfd, const char *name, dev_t parent_dev, int depth)
{
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (btrfs_is_subvolume(dfd, name, &st))
                return btrfs_subvol_remove(dfd, name);
        if (parent_dev != 0 && st.st_dev != parent_dev)
                return -EBUSY; /* a mount point: never walk into it */
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (depth <= VOLUME_DEPTH_MAX && layers_fd >= 0) {
                int r = overlay_volume_release(layers_fd, fd);
                if (r < 0)
                        return r;
        }
        int dup_fd = dup(fd);
        if (dup_fd < 0)
                return -errno;
        DIR *d = fdopendir(dup_fd);
        if (!d) {
                close(dup_fd);
                return -errno;
        }
        int ret = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                int r = remove_entry(layers_fd, fd, de->d_name, st.st_dev, depth + 1);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        closedir(d);
        if (ret < 0)
                return ret;
        return unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

int storage_remove(const char *root, int dfd, const char *name, BerthError **reterr)
{
        _cleanup_close_ int layers_fd = -EBADF;
        if (root)
                layers_fd = overlay_layers_open(root, false);
        int r = remove_entry(layers_fd, dfd, name, 0, 0);
        if (r < 0)
                return berth_error_set(reterr, r, "remove '%s'", name);
        return 0;
}

/* ---- files inside a volume ------------------------------------------------------------------- */

int storage_rewrite_file(Storage *s, int dfd, const char *name, const char *path,
                         const char *only_if, const char *data, BerthError **reterr)
{
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        if (!*base || streq(base, ".") || streq(base, ".."))
                return berth_error_setf(reterr, EINVAL, "rewrite '%s': invalid path", path);
        _cleanup_close_ int rfd = -EBADF, wfd = -EBADF;
        int r = s->ops->open_parent(s, dfd, name, path, &rfd, &wfd, reterr);
        if (r <= 0)
                return r; /* the parent is not there (or not a plain directory): nothing to do */

        struct stat st;
        if (fstatat(rfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                return 0;
        if (only_if) {
                _cleanup_close_ int fd = openat(rfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
                char text[4096];
                ssize_t k = fd < 0 ? -1 : loop_read(fd, text, sizeof(text) - 1);
                if (k < 0)
                        return 0;
                text[k] = 0;
                size_t n = strlen(only_if);
                if (strncmp(text, only_if, n) != 0 || (text[n] && !streq(text + n, "\n")))
                        return 0;
        }
        /* Written beside and renamed over, keeping the old file's owner and mode. */
        _cleanup_free_ char *tmp = xasprintf(".%s.berth-XXXXXX", base);
        char id[17];
        random_id(id);
        memcpy(tmp + strlen(tmp) - 6, id, 6);
        _cleanup_close_ int fd = openat(wfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                        0600);
        if (fd < 0)
                return berth_error_set(reterr, errno, "rewrite '%s'", path);
        r = loop_write(fd, data, strlen(data));
        if (r >= 0 && (fchown(fd, st.st_uid, st.st_gid) < 0 || fchmod(fd, st.st_mode & 07777) < 0))
                r = -errno;
        if (r >= 0 && renameat(wfd, tmp, wfd, base) < 0)
                r = -errno;
        if (r < 0) {
                (void)unlinkat(wfd, tmp, 0);
                return berth_error_set(reterr, r, "rewrite '%s'", path);
        }
        return 1;
}

/* ---- the seam for the start ------------------------------------------------------------------ */

char *fd_path(int dfd, const char *name)
{
        if (dfd == AT_FDCWD)
                return xstrdup(name);
        return xasprintf("/proc/self/fd/%d/%s", dfd, name);
}

int storage_clone_tree(int dfd, const char *name, int userns_fd, int *ret_fd, BerthError **reterr)
{
        _cleanup_free_ char *p = fd_path(dfd, name);
        if (userns_fd >= 0)
                return idmap_mount_tree(p, userns_fd, ret_fd, reterr);
        int fd = (int)syscall(SYS_open_tree, dfd, name,
                              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (fd < 0)
                return berth_error_set(reterr, errno, "clone mount tree '%s'", name);
        *ret_fd = fd;
        return 0;
}

char *overlay_escape(const char *path)
{
        char *r = xmalloc(strlen(path) * 2 + 1), *p = r;
        for (; *path; path++) {
                if (strchr(",:\\", *path))
                        *p++ = '\\';
                *p++ = *path;
        }
        *p = 0;
        return r;
}

/* An idmapped clone of dfd/name mounted over itself (in this private namespace only). */
int storage_idmap_over(int dfd, const char *name, int userns_fd, BerthError **reterr)
{
        _cleanup_close_ int tree = -EBADF;
        int r = storage_clone_tree(dfd, name, userns_fd, &tree, reterr);
        if (r < 0)
                return r;
        if (syscall(SYS_move_mount, tree, "", dfd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return berth_error_set(reterr, errno, "attach idmapped '%s'", name);
        return 0;
}

int storage_overlay_mount(int cwd_fd, const char *lowerdirs, const char *ephemeral_dir,
                          int userns_fd, int *ret_fd, BerthError **reterr)
{
        _cleanup_close_ int efd = open(ephemeral_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (efd < 0)
                return berth_error_set(reterr, errno, "open '%s'", ephemeral_dir);
        /* The upper of an unprivileged container must be idmapped like its lowers, or files it
         * creates would belong to the wrong ids on disk. Its directories are made through that
         * idmapped mount, by the caller acting as container root (see storage_rootfs_open), so
         * they are root's on disk and container root's inside. */
        int r;
        if (userns_fd >= 0) {
                _cleanup_free_ char *parent = xstrdup(ephemeral_dir);
                char *slash = strrchr(parent, '/');
                if (!slash || slash == parent)
                        return berth_error_setf(reterr, EINVAL, "invalid ephemeral dir '%s'",
                                                ephemeral_dir);
                *slash = 0;
                _cleanup_close_ int pfd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (pfd < 0)
                        return berth_error_set(reterr, errno, "open '%s'", parent);
                r = storage_idmap_over(pfd, slash + 1, userns_fd, reterr);
                if (r < 0)
                        return r;
                safe_close(efd);
                efd = open(ephemeral_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (efd < 0)
                        return berth_error_set(reterr, errno, "open '%s'", ephemeral_dir);
        }
        static const char *const dirs[] = {"upper", "work", "root"};
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mkdirat(efd, dirs[i], 0755) < 0 && errno != EEXIST) {
                        r = berth_error_set(reterr, errno, "create '%s/%s'", ephemeral_dir,
                                            dirs[i]);
                        if (userns_fd >= 0)
                                (void)umount2(ephemeral_dir, MNT_DETACH);
                        return r;
                }
        _cleanup_free_ char *esc = overlay_escape(ephemeral_dir);
        _cleanup_free_ char *opts = xasprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work",
                                              lowerdirs, esc, esc);
        _cleanup_free_ char *target = path_join(ephemeral_dir, "root");
        r = overlay_mount_at(cwd_fd, opts, target, ret_fd, reterr);
        /* The overlay keeps its own references to its layers. */
        if (userns_fd >= 0)
                (void)umount2(ephemeral_dir, MNT_DETACH);
        return r;
}

int overlay_mount_at(int cwd_fd, const char *opts, const char *target, int *ret_fd,
                     BerthError **reterr)
{
        if (strlen(opts) >= 4000)
                return berth_error_setf(reterr, E2BIG, "mount overlay: too many layers");
        /* Relative layer paths keep the options short: the kernel takes one page. */
        _cleanup_close_ int saved = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (saved < 0)
                return berth_error_set(reterr, errno, "open the working directory");
        if (cwd_fd >= 0 && fchdir(cwd_fd) < 0)
                return berth_error_set(reterr, errno, "enter the layer directory");
        int r = 0;
        if (mount("overlay", target, "overlay", 0, opts) < 0)
                r = berth_error_set(reterr, errno, "mount overlay on '%s'", target);
        if (fchdir(saved) < 0 && r >= 0)
                r = berth_error_set(reterr, errno, "restore the working directory");
        if (r < 0)
                return r;
        int fd = (int)syscall(SYS_open_tree, AT_FDCWD, target,
                              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (fd < 0)
                r = berth_error_set(reterr, errno, "clone overlay mount '%s'", target);
        (void)umount2(target, MNT_DETACH);
        if (r < 0)
                return r;
        *ret_fd = fd;
        return 0;
}

int storage_rootfs_open(const char *container_dir, const BerthConfig *c, int userns_fd,
                        const char *ephemeral_dir, int *ret_tree_fd, BerthError **reterr)
{
        _cleanup_free_ char *root = xstrdup(container_dir);
        char *slash = strrchr(root, '/');
        if (!slash || slash == root || !c->rootfs_path)
                return berth_error_setf(reterr, EINVAL, "open rootfs of '%s': invalid path",
                                        container_dir);
        *slash = 0;
        _cleanup_(storage_freep) Storage *s = NULL;
        int r = storage_new(c->rootfs_backend, root, &s, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *vol = path_is_absolute(c->rootfs_path)
                                           ? xstrdup(c->rootfs_path)
                                           : path_join(container_dir, c->rootfs_path);
        char *vslash = strrchr(vol, '/');
        *vslash = 0;
        _cleanup_close_ int dfd = open(*vol ? vol : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return berth_error_set(reterr, errno, "open rootfs '%s/%s'", vol, vslash + 1);
        return s->ops->open_tree(s, dfd, vslash + 1, userns_fd, ephemeral_dir, ret_tree_fd,
                                 reterr);
}

/* ---- ephemeral layers ------------------------------------------------------------------------ */

#define EPHEMERAL_PREFIX ".ephemeral-"

int storage_ephemeral_new(const char *container_dir, char **ret_dir, BerthError **reterr)
{
        char id[17];
        random_id(id);
        _cleanup_free_ char *dir = xasprintf("%s/" EPHEMERAL_PREFIX "%s", container_dir, id);
        if (mkdir(dir, 0700) < 0)
                return berth_error_set(reterr, errno, "create ephemeral layer '%s'", dir);
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

int storage_ephemeral_release(const char *ephemeral_dir, BerthError **reterr)
{
        /* Any mount of it died with the start's mount namespace; a lazy unmount covers a
         * caller that still has one in its own. */
        _cleanup_free_ char *root = path_join(ephemeral_dir, "root");
        (void)umount2(root, MNT_DETACH);
        (void)umount2(ephemeral_dir, MNT_DETACH);
        int r = rm_rf_at(AT_FDCWD, ephemeral_dir);
        if (r < 0)
                return berth_error_set(reterr, r, "remove ephemeral layer '%s'", ephemeral_dir);
        return 0;
}

/* ---- crash recovery -------------------------------------------------------------------------- */

int lock_file_at(int dfd, const char *name, int *ret_fd)
{
        int fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
        *ret_fd = fd;
        return 0;
}

void random_id(char ret[static 17])
{
        uint8_t b[8];
        if (getrandom(b, sizeof(b), 0) != sizeof(b))
                oom(); /* cannot happen for 8 bytes once the pool is up */
        for (size_t i = 0; i < 8; i++)
                sprintf(ret + 2 * i, "%02x", b[i]);
}

/* A leftover is removed only when no live operation holds its lock: every temporary entry is
 * flock()ed by the operation that made it for as long as it runs. */
static bool entry_unlocked(int dfd, const char *name)
{
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        return flock(fd, LOCK_EX | LOCK_NB) >= 0;
}

static bool is_leftover(const char *n)
{
        return n[0] == '.' && (strstr(n, ".create-") || strstr(n, ".destroy-") ||
                               strstr(n, ".restore-") || strstr(n, ".tmp-") ||
                               strstr(n, ".trash-"));
}

static void recover_dir(const char *root, int dfd, bool ephemeral_too)
{
        _cleanup_close_ int fd = dup(dfd);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d)
                return;
        fd = -EBADF;
        struct dirent *de;
        while ((de = readdir(d))) {
                bool eph = ephemeral_too && strncmp(de->d_name, EPHEMERAL_PREFIX,
                                                    strlen(EPHEMERAL_PREFIX)) == 0;
                if (!eph && !is_leftover(de->d_name))
                        continue;
                if (!entry_unlocked(dirfd(d), de->d_name))
                        continue;
                (void)storage_remove(root, dirfd(d), de->d_name, NULL);
        }
        closedir(d);
}

void storage_recover(const char *root, const char *name, bool running)
{
        _cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rfd < 0)
                return;
        recover_dir(root, rfd, false);
        if (name) {
                _cleanup_close_ int cfd = openat(rfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                                                    O_CLOEXEC);
                if (cfd >= 0) {
                        recover_dir(root, cfd, !running);
                        _cleanup_close_ int sfd = openat(cfd, "snapshots", O_RDONLY | O_DIRECTORY |
                                                                               O_NOFOLLOW | O_CLOEXEC);
                        if (sfd >= 0)
                                recover_dir(root, sfd, false);
                }
        }
        _cleanup_close_ int ifd = openat(rfd, ".images", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                                                 O_CLOEXEC);
        if (ifd >= 0)
                recover_dir(root, ifd, false);
        overlay_layers_gc(root);
}

void storage_crash_point(const char *what)
{
        static unsigned count;
        const char *e = getenv("BERTH_TEST_CRASH_AT");
        uint64_t n;
        if (!e || parse_uint64(e, &n) < 0)
                return;
        if (++count == n) {
                const char *log = getenv("BERTH_TEST_CRASH_LOG");
                if (log) {
                        FILE *f = fopen(log, "ae");
                        if (f) {
                                fprintf(f, "%u %s\n", count, what);
                                fclose(f);
                        }
                }
                raise(SIGKILL);
        }
}
