/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dir backend: a volume is a plain directory; copies share data by reflink when the
 * filesystem can (btrfs, XFS), else they are full copies. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path-util.h"
#include "storage-internal.h"

static int dir_create(Storage *s, int dfd, const char *name, BerthError **reterr)
{
        if (mkdirat(dfd, name, 0755) < 0)
                return berth_error_set(reterr, errno, "create '%s'", name);
        return 0;
}

/* The absolute path of dfd/name, for templates and messages. */
int storage_abs_path(int dfd, const char *name, char **ret, BerthError **reterr)
{
        _cleanup_free_ char *p = fd_path(dfd, ".");
        char buf[PATH_MAX];
        if (!realpath(p, buf))
                return berth_error_set(reterr, errno, "resolve '%s'", name);
        *ret = path_join(buf, name);
        return 0;
}

int storage_plain_tree_path(Storage *s, int dfd, const char *name, char **ret, BerthError **reterr)
{
        return storage_abs_path(dfd, name, ret, reterr);
}

static int dir_copy(Storage *s, int src_dfd, const char *src, int dst_dfd, const char *dst,
                    unsigned flags, BerthError **reterr)
{
        CopyOptions o = {
                .reflink_only = flags & STORAGE_COPY_COW,
                .progress = s->progress,
                .userdata = s->userdata,
                .what = "copying",
                .ret_bytes = &s->copied_bytes,
        };
        return copy_tree(src_dfd, src, dst_dfd, dst, &o, reterr);
}

static uint64_t dir_size(Storage *s, int dfd, const char *name)
{
        return tree_disk_usage(dfd, name);
}

/* dir and btrfs: the tree itself, with an overlay on top for an ephemeral start. */
int storage_plain_open_tree(Storage *s, int dfd, const char *name, int userns_fd,
                            const char *ephemeral_dir, int *ret_fd, BerthError **reterr)
{
        if (!ephemeral_dir)
                return storage_clone_tree(dfd, name, userns_fd, ret_fd, reterr);
        int r;
        if (userns_fd >= 0) {
                r = storage_idmap_over(dfd, name, userns_fd, reterr);
                if (r < 0)
                        return r;
        }
        _cleanup_free_ char *path = NULL;
        r = storage_abs_path(dfd, name, &path, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *lower = overlay_escape(path);
        r = storage_overlay_mount(-1, lower, ephemeral_dir, userns_fd, ret_fd, reterr);
        if (userns_fd >= 0)
                (void)umount2(path, MNT_DETACH);
        return r;
}

/* Opens each directory of path below dfd/name without following symlinks. */
int storage_open_parent_plain(int tree_fd, const char *path, int *ret_fd)
{
        _cleanup_close_ int cur = dup(tree_fd);
        if (cur < 0)
                return -errno;
        const char *p = path;
        for (;;) {
                size_t n = strcspn(p, "/");
                if (!p[n])
                        break; /* p is the last component */
                _cleanup_free_ char *comp = xstrndup(p, n);
                if (n == 0 || streq(comp, ".") || streq(comp, ".."))
                        return -EINVAL;
                int next = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                safe_close(cur);
                cur = next;
                p += n + 1;
        }
        *ret_fd = TAKE_FD(cur);
        return 0;
}

int storage_plain_open_parent(Storage *s, int dfd, const char *name, const char *path,
                           int *ret_read_dfd, int *ret_write_dfd, BerthError **reterr)
{
        _cleanup_close_ int tree = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (tree < 0)
                return berth_error_set(reterr, errno, "open '%s'", name);
        int fd;
        if (storage_open_parent_plain(tree, path, &fd) < 0)
                return 0;
        *ret_read_dfd = fd;
        *ret_write_dfd = dup(fd);
        if (*ret_write_dfd < 0)
                return berth_error_set(reterr, errno, "open '%s'", path);
        return 1;
}

const StorageOps storage_dir_ops = {
        .backend = BERTH_BACKEND_DIR,
        .create = dir_create,
        .tree_path = storage_plain_tree_path,
        .copy = dir_copy,
        .size = dir_size,
        .open_tree = storage_plain_open_tree,
        .open_parent = storage_plain_open_parent,
};
