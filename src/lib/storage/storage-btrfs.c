/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The btrfs backend: a volume is a subvolume, a snapshot a (read-only) subvolume snapshot, both
 * O(1). Through the ioctls of <linux/btrfs.h>, so the statically linked monitor needs no
 * library and nothing shells out to btrfs(8). */
#include <dirent.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "storage-internal.h"

/* The inode number of every subvolume's root directory (BTRFS_FIRST_FREE_OBJECTID). */
#define BTRFS_SUBVOL_ROOT_INO 256

static bool fd_on_btrfs(int fd)
{
        struct statfs sfs;
        return fstatfs(fd, &sfs) >= 0 && sfs.f_type == BTRFS_SUPER_MAGIC;
}

bool btrfs_is_subvolume(int dfd, const char *name, const struct stat *st)
{
        if (!S_ISDIR(st->st_mode) || st->st_ino != BTRFS_SUBVOL_ROOT_INO)
                return false;
        _cleanup_close_ int fd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd >= 0 && fd_on_btrfs(fd);
}

static int set_name(struct btrfs_ioctl_vol_args_v2 *a, const char *name)
{
        if (strlen(name) > BTRFS_SUBVOL_NAME_MAX || strchr(name, '/'))
                return -EINVAL;
        strncpy(a->name, name, sizeof(a->name) - 1);
        return 0;
}

static int btrfs_check(Storage *s, int dfd, BerthError **reterr)
{
        if (!fd_on_btrfs(dfd))
                return berth_error_setf(reterr, EOPNOTSUPP,
                                        "backend 'btrfs': the store is not on a btrfs filesystem");
        return 0;
}

static int btrfs_create(Storage *s, int dfd, const char *name, BerthError **reterr)
{
        struct btrfs_ioctl_vol_args a = {};
        if (strlen(name) > BTRFS_PATH_NAME_MAX || strchr(name, '/'))
                return berth_error_setf(reterr, EINVAL, "create subvolume '%s': invalid name",
                                        name);
        strncpy(a.name, name, sizeof(a.name) - 1);
        if (ioctl(dfd, BTRFS_IOC_SUBVOL_CREATE, &a) < 0)
                return berth_error_set(reterr, errno, "create subvolume '%s'", name);
        /* A new subvolume is 0700 on some kernels; a rootfs is 0755. */
        if (fchmodat(dfd, name, 0755, 0) < 0)
                return berth_error_set(reterr, errno, "chmod subvolume '%s'", name);
        return 0;
}

static int btrfs_copy(Storage *s, int src_dfd, const char *src, int dst_dfd, const char *dst,
                      unsigned flags, BerthError **reterr)
{
        _cleanup_close_ int sfd = openat(src_dfd, src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0)
                return berth_error_set(reterr, errno, "open '%s'", src);
        struct stat st;
        if (fstat(sfd, &st) < 0)
                return berth_error_set(reterr, errno, "stat '%s'", src);
        if (btrfs_is_subvolume(src_dfd, src, &st)) {
                struct btrfs_ioctl_vol_args_v2 a = {
                        .fd = sfd,
                        .flags = (flags & STORAGE_COPY_SNAPSHOT) ? BTRFS_SUBVOL_RDONLY : 0,
                };
                if (set_name(&a, dst) < 0)
                        return berth_error_setf(reterr, EINVAL, "snapshot '%s': invalid name",
                                                dst);
                if (ioctl(dst_dfd, BTRFS_IOC_SNAP_CREATE_V2, &a) >= 0)
                        return 0;
                if (errno != EXDEV)
                        return berth_error_set(reterr, errno, "snapshot subvolume '%s'", src);
        }
        /* Not a subvolume (a tree made by hand, an import) or on another filesystem: a new
         * subvolume filled by a copy, which shares data by reflink on btrfs. */
        int r = btrfs_create(s, dst_dfd, dst, reterr);
        if (r < 0)
                return r;
        CopyOptions o = {.merge = true, .reflink_only = flags & STORAGE_COPY_COW,
                         .progress = s->progress, .userdata = s->userdata, .what = "copying"};
        return copy_tree(src_dfd, src, dst_dfd, dst, &o, reterr);
}

static uint64_t btrfs_size(Storage *s, int dfd, const char *name)
{
        return UINT64_MAX; /* shared extents: only qgroups know, and they are usually off */
}

static int subvol_destroy(int dfd, const char *name)
{
        struct btrfs_ioctl_vol_args a = {};
        if (strlen(name) > BTRFS_PATH_NAME_MAX)
                return -EINVAL;
        strncpy(a.name, name, sizeof(a.name) - 1);
        return ioctl(dfd, BTRFS_IOC_SNAP_DESTROY, &a) < 0 ? -errno : 0;
}

/* Deletes every subvolume nested anywhere below the directory fd. */
static void remove_nested(int fd, int depth)
{
        int dup_fd = dup(fd);
        DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        if (!d) {
                safe_close(dup_fd);
                return;
        }
        struct stat self;
        if (depth > 256 || fstat(fd, &self) < 0) {
                closedir(d);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (btrfs_is_subvolume(fd, de->d_name, &st)) {
                        (void)btrfs_subvol_remove(fd, de->d_name);
                        continue;
                }
                if (st.st_dev != self.st_dev)
                        continue; /* a mount point: not ours to walk */
                _cleanup_close_ int cfd =
                        openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (cfd >= 0)
                        remove_nested(cfd, depth + 1);
        }
        closedir(d);
}

int btrfs_subvol_remove(int dfd, const char *name)
{
        int r = subvol_destroy(dfd, name);
        if (r >= 0 || r == -ENOENT)
                return 0;
        if (r != -ENOTEMPTY && r != -EPERM && r != -EROFS)
                return r;
        /* Nested subvolumes (a guest's systemd makes /var/lib/machines one) or a read-only
         * snapshot that destroy refused: writable first, then each nested one, then again. */
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        uint64_t fl = 0;
        if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &fl) >= 0 && (fl & BTRFS_SUBVOL_RDONLY)) {
                fl &= ~(uint64_t)BTRFS_SUBVOL_RDONLY;
                (void)ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &fl);
        }
        remove_nested(fd, 0);
        return subvol_destroy(dfd, name);
}

static int btrfs_seal(Storage *s, int dfd, const char *name, BerthError **reterr)
{
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        uint64_t fl = 0;
        if (fd < 0 || ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &fl) < 0)
                return 0; /* not a subvolume (an imported plain tree): nothing to seal */
        fl |= BTRFS_SUBVOL_RDONLY;
        if (ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &fl) < 0)
                return berth_error_set(reterr, errno, "make subvolume '%s' read-only", name);
        return 0;
}

const StorageOps storage_btrfs_ops = {
        .backend = BERTH_BACKEND_BTRFS,
        .check = btrfs_check,
        .create = btrfs_create,
        .tree_path = storage_plain_tree_path,
        .copy = btrfs_copy,
        .size = btrfs_size,
        .open_tree = storage_plain_open_tree,
        .seal = btrfs_seal,
        .open_parent = storage_plain_open_parent,
};
