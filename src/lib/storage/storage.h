/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Container storage: one interface, three backends (dir, overlay, btrfs) behind an ops struct
 * chosen at run time. Callers never branch on the backend.
 *
 * A *volume* is what a container's rootfs (or a snapshot of it) is on disk, an entry NAME in a
 * directory:
 *   dir      a plain directory tree
 *   btrfs    a subvolume (read-only for snapshots)
 *   overlay  a small directory holding "id" and "layers": the ids of the overlayfs layers,
 *            writable upper first; the layers themselves live in <root>/.layers/<id>/ and are
 *            shared by every volume that lists them (reference files in <id>/refs/)
 *
 * Every backend works on (dirfd, name) pairs and takes its root (the store directory: where
 * overlay keeps its shared layers) as a parameter, so the unit tests run it in a temporary
 * directory. Every operation that creates something creates it under the name it is given,
 * which callers make a temporary one and rename into place: an interrupted operation leaves a
 * temporary entry that storage_remove() takes away, never a damaged original. */

#include <stdbool.h>
#include <stdint.h>

#include "../berth.h"
#include "../config/config.h"

typedef struct Storage Storage;

/* A backend bound to its root (the store directory). */
int storage_new(BerthBackend backend, const char *root, Storage **ret, BerthError **reterr);
Storage *storage_free(Storage *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(Storage *, storage_free);
BerthBackend storage_backend(const Storage *s);
/* Progress of long copies: a line and a fraction (see BerthProgressFunc). */
void storage_set_progress(Storage *s, BerthProgressFunc f, void *userdata);

/* The backend a new container gets when none is asked for: btrfs when root is on btrfs, else
 * dir. */
BerthBackend storage_default_backend(const char *root);
/* Whether the backend can keep volumes in the directory dfd: -EOPNOTSUPP with a message saying
 * why not (btrfs on another filesystem, no overlayfs in the kernel). */
int storage_check(Storage *s, int dfd, BerthError **reterr);

/* A new empty volume dfd/name; *ret_tree (may be NULL) is the absolute path of the directory to
 * fill (what a template gets as --rootfs). */
int storage_create(Storage *s, int dfd, const char *name, char **ret_tree, BerthError **reterr);
/* The absolute path of the volume's own writable tree (dir and btrfs: the volume; overlay: its
 * upper layer, which is the whole tree only for a volume without lower layers). */
int storage_tree_path(Storage *s, int dfd, const char *name, char **ret, BerthError **reterr);

enum {
        STORAGE_COPY_SNAPSHOT = 1U << 0, /* the copy is a snapshot: read-only where possible */
        STORAGE_COPY_COW = 1U << 1,      /* copy-on-write or fail with EOPNOTSUPP */
        STORAGE_COPY_LIVE = 1U << 2,     /* the source is mounted by a running (frozen)
                                            container: never change it, not even its metadata */
};
/* A new volume dst_dfd/dst with the contents of src_dfd/src: a subvolume snapshot on btrfs,
 * shared layers on overlay, a reflink or full copy on dir. */
int storage_copy(Storage *s, int src_dfd, const char *src, int dst_dfd, const char *dst,
                 unsigned flags, BerthError **reterr);
/* A new volume dst_dfd/dst filled from the plain directory tree src_path (a template cache). */
int storage_import(Storage *s, const char *src_path, int dst_dfd, const char *dst,
                   BerthError **reterr);
/* Makes dfd/name read-only where the backend can (an overlay volume's upper becomes a lower, a
 * btrfs subvolume gets its read-only flag): it is only ever copied from after this. */
int storage_seal(Storage *s, int dfd, const char *name, BerthError **reterr);
/* The sealed image of the plain tree (a template's cache) in <root>/.images/, imported on first
 * use while lock_path (the template's cache lock; may be NULL) is flock()ed; its directory is
 * returned in *ret_dfd, the volume in it is "rootfs". */
int storage_image(Storage *s, const char *tree, const char *lock_path, int *ret_dfd,
                  BerthError **reterr);
/* In a forked template process: for backends whose volume is not a plain tree (overlay), a
 * private mount namespace with the volume dir/rootfs mounted on dir/rootfs. An error is
 * written to err_fd as one line. */
int storage_mount_for_template(const char *dir, BerthBackend backend, int err_fd);
/* Bytes the volume holds on its own (blocks of its files, each inode once; overlay: its own
 * layers that no other volume lists); UINT64_MAX when unknown. */
uint64_t storage_size(Storage *s, int dfd, const char *name);
/* The size of what the last storage_copy() made when the copy counted it on the way (dir), so
 * no second walk is needed; UINT64_MAX otherwise. */
uint64_t storage_copied_size(const Storage *s);

/* Removes dfd/name whatever it is: a volume of any backend, or a directory holding volumes (a
 * container directory with its snapshots, a leftover of an interrupted operation). Drops
 * overlay layer references and deletes btrfs subvolumes on the way; root is the store (for the
 * layers). Missing is fine. */
int storage_remove(const char *root, int dfd, const char *name, BerthError **reterr);

/* Rewrites the file path (relative to the tree's root, e.g. "etc/hostname") inside the volume
 * with data, but only when it exists as a regular file and (when only_if is non-NULL) holds
 * exactly only_if followed by an optional newline. The tree is hostile: no symlink is followed.
 * Returns 1 when rewritten, 0 when left alone. */
int storage_rewrite_file(Storage *s, int dfd, const char *name, const char *path,
                         const char *only_if, const char *data, BerthError **reterr);

/* "/proc/self/fd/N/name": a path for calls that take no dirfd. */
char *fd_path(int dfd, const char *name);
/* 16 random hex digits (names of temporary entries, layer and volume ids). */
void random_id(char ret[static 17]);

/* ---- the seam for the container start ------------------------------------------------------ */

/* In a process that is host root inside its own private mount namespace (mounts made here are
 * never seen by the host and vanish with the namespace): a detached mount tree of the
 * container's rootfs (open_tree(OPEN_TREE_CLONE|AT_RECURSIVE) of what the backend mounted),
 * ready for move_mount().
 *
 * userns_fd >= 0: idmapped for that user namespace (unprivileged containers). The caller then
 * acts with container root's host ids as fsuid and fsgid, and with CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH raised (to reach into the store): overlayfs works in its upper layer
 * with its mounter's credentials, and through an idmapped layer only a mapped id can create. The overlay
 * backend idmaps each layer (an idmapped clone of the layer's directory mounted over itself in
 * this namespace) and mounts the overlay on those, which works from kernel 5.19 on; the
 * overlay mount itself is never idmapped (older kernels refuse that).
 *
 * ephemeral_dir non-NULL: a throw-away writable layer kept in that directory (made by
 * storage_ephemeral_new()) is put on top: the container's own rootfs is only read.
 *
 * The process's working directory is kept (it is changed and restored while mounting). */
int storage_rootfs_open(const char *container_dir, const BerthConfig *c, int userns_fd,
                        const char *ephemeral_dir, int *ret_tree_fd, BerthError **reterr);

/* berth start --ephemeral: a new empty directory for the throw-away layer,
 * <container_dir>/.ephemeral-XXXXXX. It is on the store's filesystem (not tmpfs) because tmpfs
 * cannot be idmapped before kernel 6.3. The monitor calls storage_ephemeral_new() before the
 * start and storage_ephemeral_release() once the container has stopped and its mount namespace
 * is gone; a leftover of a monitor killed in between is removed by storage_recover(). */
int storage_ephemeral_new(const char *container_dir, char **ret_dir, BerthError **reterr);
int storage_ephemeral_release(const char *ephemeral_dir, BerthError **reterr);

/* ---- crash recovery -------------------------------------------------------------------------- */

/* Removes what interrupted operations left in the store (root) and, when name is non-NULL, in
 * that container's directory: temporary containers, snapshots and restores, trashed volumes,
 * unreferenced overlay layers, ephemeral layers of containers that do not run. An entry still
 * locked by a live operation is left alone. Errors are ignored: recovery is best effort and
 * runs again with the next command. */
void storage_recover(const char *root, const char *name, bool running);

/* A test hook for crash tests: with BERTH_TEST_CRASH_AT=N in the environment, the N-th call
 * (counting from 1 in this process) kills the process with SIGKILL. Every multi-step operation
 * calls it between its steps. */
void storage_crash_point(const char *what);
