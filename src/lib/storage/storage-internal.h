/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to the storage module: the backend ops and the tree copier they share. */

#include <sys/stat.h>

#include "storage.h"

typedef struct StorageOps {
        BerthBackend backend;
        int (*check)(Storage *s, int dfd, BerthError **reterr);
        int (*create)(Storage *s, int dfd, const char *name, BerthError **reterr);
        int (*tree_path)(Storage *s, int dfd, const char *name, char **ret, BerthError **reterr);
        int (*copy)(Storage *s, int src_dfd, const char *src, int dst_dfd, const char *dst,
                    unsigned flags, BerthError **reterr);
        uint64_t (*size)(Storage *s, int dfd, const char *name);
        /* In a private mount namespace: a detached tree of the volume (see storage.h). */
        int (*open_tree)(Storage *s, int dfd, const char *name, int userns_fd,
                         const char *ephemeral_dir, int *ret_fd, BerthError **reterr);
        /* Opens the directory holding path's last component for reading the current contents
         * (*ret_read_dfd) and for writing (*ret_write_dfd), creating the parents in the writable
         * tree when needed. No symlink is followed. */
        /* Read-only from now on (optional). */
        int (*seal)(Storage *s, int dfd, const char *name, BerthError **reterr);
        int (*open_parent)(Storage *s, int dfd, const char *name, const char *path,
                           int *ret_read_dfd, int *ret_write_dfd, BerthError **reterr);
} StorageOps;

struct Storage {
        const StorageOps *ops;
        char *root;   /* the store directory */
        int root_fd;
        BerthProgressFunc progress;
        void *userdata;
        uint64_t copied_bytes; /* size of what the last copy made, when it knows; else MAX */
};

extern const StorageOps storage_dir_ops;
extern const StorageOps storage_overlay_ops;
extern const StorageOps storage_btrfs_ops;

/* ---- tree copy (storage-copy.c) ------------------------------------------------------------ */

typedef struct CopyOptions {
        bool reflink_only;   /* fail with -EOPNOTSUPP when a file cannot be reflinked */
        bool merge;          /* dst exists: copy src's contents into it (and its attributes) */
        BerthProgressFunc progress;
        void *userdata;
        const char *what;    /* for progress lines */
        uint64_t *ret_bytes; /* when non-NULL: bytes the source's blocks take, each inode once */
} CopyOptions;

/* Copies the tree src_dfd/src to dst_dfd/dst keeping owners, modes, times, xattrs (ACLs and
 * security.capability included), device nodes, fifos, sockets, symlinks, hard links and holes;
 * file data by reflink (FICLONE) when the filesystem can, else copy_file_range, else read and
 * write. Never follows a symlink of the source. */
int copy_tree(int src_dfd, const char *src, int dst_dfd, const char *dst, const CopyOptions *o,
              BerthError **reterr);
/* Blocks used by the tree (st_blocks * 512, each inode once), not crossing into other
 * filesystems or subvolumes. */
uint64_t tree_disk_usage(int dfd, const char *name);
/* Whether the directory dfd/name holds no entry (a missing one counts as empty). */
bool dir_is_empty_at(int dfd, const char *name);

/* ---- shared helpers (storage.c) ------------------------------------------------------------ */

/* A plain recursive clone of the tree at dfd/name, idmapped when userns_fd >= 0. */
int storage_clone_tree(int dfd, const char *name, int userns_fd, int *ret_fd,
                       BerthError **reterr);
/* An overlay mount on top of lowerdirs ("a:b", escaped, relative to cwd_fd), with an upper and
 * work directory in ephemeral_dir (idmapped when userns_fd >= 0), as a detached tree. */
int storage_overlay_mount(int cwd_fd, const char *lowerdirs, const char *ephemeral_dir,
                          int userns_fd, int *ret_fd, BerthError **reterr);
/* path with ',', ':' and '\' escaped for overlayfs's mount options. */
char *overlay_escape(const char *path);
/* Takes (or waits for) an exclusive flock on dfd/name, created when missing. */
int lock_file_at(int dfd, const char *name, int *ret_fd);
/* Mounts an idmapped clone of dfd/name over itself (in the caller's private mount namespace). */
int storage_idmap_over(int dfd, const char *name, int userns_fd, BerthError **reterr);
/* mount -t overlay with opts (paths relative to cwd_fd when >= 0) on target, cloned into a
 * detached tree in *ret_fd; target is unmounted again. */
int overlay_mount_at(int cwd_fd, const char *opts, const char *target, int *ret_fd,
                     BerthError **reterr);

/* ---- backend internals the generic code needs ------------------------------------------------ */

/* st (of dfd/name) is the root of a btrfs subvolume. */
bool btrfs_is_subvolume(int dfd, const char *name, const struct stat *st);
/* Deletes the subvolume dfd/name (read-only or holding nested subvolumes too). */
int btrfs_subvol_remove(int dfd, const char *name);
/* <root>/.layers, created when asked; -errno when it is not there. */
int overlay_layers_open(const char *root, bool create);
/* When the directory vfd is an overlay volume: drops its references to its layers and deletes
 * the layers nobody references any more. */
int overlay_volume_release(int layers_fd, int vfd);
/* Deletes unreferenced layers and leftovers of interrupted layer creations. */
void overlay_layers_gc(const char *root);

/* ---- shared by dir and btrfs (storage-dir.c) ------------------------------------------------- */
int storage_abs_path(int dfd, const char *name, char **ret, BerthError **reterr);
int storage_plain_tree_path(Storage *s, int dfd, const char *name, char **ret,
                            BerthError **reterr);
int storage_plain_open_tree(Storage *s, int dfd, const char *name, int userns_fd,
                            const char *ephemeral_dir, int *ret_fd, BerthError **reterr);
/* The directory holding path's last component below the tree tree_fd, no symlink followed. */
int storage_open_parent_plain(int tree_fd, const char *path, int *ret_fd);
int storage_plain_open_parent(Storage *s, int dfd, const char *name, const char *path,
                              int *ret_read_dfd, int *ret_write_dfd, BerthError **reterr);
