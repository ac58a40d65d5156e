/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Template caches as backend images, so a create from a cached tree is a subvolume snapshot on
 * btrfs and an overlay on a shared lower on overlay, not a copy: the cached tree is imported
 * once into <root>/.images/<backend>-<tree>-<version>/rootfs (sealed read-only), and every
 * create copies that volume the backend's cheap way. A rebuilt cache (a new directory under
 * the same path) is a new version; the old image goes, and what its clones share stays with
 * them. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "path-util.h"
#include "storage-internal.h"

#define IMAGES_DIR ".images"

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
        const unsigned char *p = data;
        for (size_t i = 0; i < n; i++) {
                h ^= p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

int storage_seal(Storage *s, int dfd, const char *name, BerthError **reterr)
{
        return s->ops->seal ? s->ops->seal(s, dfd, name, reterr) : 0;
}

/* Removes the other versions of the image prefix* (stale caches of the same tree). */
static void remove_old_versions(Storage *s, int ifd, const char *prefix, const char *keep)
{
        int dup_fd = dup(ifd);
        DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        if (!d) {
                safe_close(dup_fd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && !streq(de->d_name, keep))
                        (void)storage_remove(s->root, ifd, de->d_name, NULL);
        closedir(d);
}

int storage_image(Storage *s, const char *tree, const char *lock_path, int *ret_dfd,
                  BerthError **reterr)
{
        struct stat st;
        if (lstat(tree, &st) < 0)
                return berth_error_set(reterr, errno, "cached tree '%s'", tree);
        if (!S_ISDIR(st.st_mode))
                return berth_error_setf(reterr, ENOTDIR, "cached tree '%s': not a directory", tree);
        const char *b = berth_backend_to_string(s->ops->backend);
        uint64_t where = fnv1a(0xcbf29ce484222325ULL, b, strlen(b));
        where = fnv1a(where, tree, strlen(tree));
        uint64_t version = fnv1a(where, &st.st_dev, sizeof(st.st_dev));
        version = fnv1a(version, &st.st_ino, sizeof(st.st_ino));
        version = fnv1a(version, &st.st_mtim, sizeof(st.st_mtim));
        _cleanup_free_ char *prefix = xasprintf("%s-%016llx-", b, (unsigned long long)where);
        _cleanup_free_ char *name = xasprintf("%s%016llx", prefix, (unsigned long long)version);

        if (mkdirat(s->root_fd, IMAGES_DIR, 0700) < 0 && errno != EEXIST)
                return berth_error_set(reterr, errno, "create '%s/" IMAGES_DIR "'", s->root);
        _cleanup_close_ int ifd = openat(s->root_fd, IMAGES_DIR, O_RDONLY | O_DIRECTORY |
                                                                         O_NOFOLLOW | O_CLOEXEC);
        if (ifd < 0)
                return berth_error_set(reterr, errno, "open '%s/" IMAGES_DIR "'", s->root);
        int fd = openat(ifd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
                *ret_dfd = fd;
                return 0;
        }

        /* Imported under the template's own cache lock, so the tree cannot be flushed or
         * rebuilt under the copy. */
        _cleanup_close_ int lock = -EBADF;
        if (lock_path) {
                lock = open(lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (lock < 0 || flock(lock, LOCK_EX) < 0)
                        return berth_error_set(reterr, errno, "lock '%s'", lock_path);
        }
        char id[17];
        random_id(id);
        _cleanup_free_ char *tmp = xasprintf(".%s.tmp-%s", name, id);
        if (mkdirat(ifd, tmp, 0700) < 0)
                return berth_error_set(reterr, errno, "create image '%s'", tmp);
        _cleanup_close_ int tfd = openat(ifd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int r = tfd < 0 || flock(tfd, LOCK_EX) < 0 ? berth_error_set(reterr, errno, "lock image") : 0;
        if (r >= 0)
                r = storage_import(s, tree, tfd, "rootfs", reterr);
        if (r >= 0)
                r = storage_seal(s, tfd, "rootfs", reterr);
        storage_crash_point("image imported");
        if (r >= 0 && renameat2(ifd, tmp, ifd, name, RENAME_NOREPLACE) < 0 && errno != EEXIST)
                r = berth_error_set(reterr, errno, "rename image into place");
        if (faccessat(ifd, tmp, F_OK, AT_SYMLINK_NOFOLLOW) >= 0) /* lost a race, or failed */
                (void)storage_remove(s->root, ifd, tmp, NULL);
        if (r < 0)
                return berth_error_prefix(reterr, r, "import '%s'", tree);
        remove_old_versions(s, ifd, prefix, name);
        fd = openat(ifd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(reterr, errno, "open image '%s'", name);
        *ret_dfd = fd;
        return 0;
}

int storage_mount_for_template(const char *dir, BerthBackend backend, int err_fd)
{
        if (backend != BERTH_BACKEND_OVERLAY)
                return 0; /* the volume is a plain tree: nothing to mount */
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = 0;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                r = berth_error_set(&err, errno, "private mount namespace for the template");
        _cleanup_(config_freep) BerthConfig *c = config_new();
        c->rootfs_backend = backend;
        _cleanup_close_ int tree = -EBADF;
        if (r >= 0)
                r = storage_rootfs_open(dir, c, -1, NULL, &tree, &err);
        _cleanup_free_ char *target = path_join(dir, "rootfs");
        if (r >= 0 && syscall(SYS_move_mount, tree, "", AT_FDCWD, target,
                              MOVE_MOUNT_F_EMPTY_PATH) < 0)
                r = berth_error_set(&err, errno, "mount the rootfs on '%s'", target);
        if (r < 0)
                dprintf(err_fd, "%s\n", berth_error_message(err, r));
        return r;
}
