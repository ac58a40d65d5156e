/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The overlay backend. Layers live once in <root>/.layers/<id>/ (tree/, work/, refs/) and are
 * shared: a volume is a directory with its own "id" and a "layers" file naming its writable
 * upper ("rw ID") and its read-only lowers ("ro ID", top first). A volume takes a reference
 * (an empty file refs/<volume id>) on every layer it lists; a layer nobody references is
 * deleted.
 *
 * A snapshot or clone never changes its source: it copies the source's upper into a new
 * read-only layer (small: an upper holds only what changed since the lowers; skipped when
 * empty) and shares the lowers. So snapshots of snapshots, restores and deletes work in any
 * order, and a running (frozen) container can be snapshotted: its mounted upper is only read.
 *
 * Crash safety: a new volume writes its "layers" file first and takes its references after, so
 * whatever an interrupted operation left under a temporary name lists every layer it may hold
 * a reference on; removing it drops them. A layer is built under .new-<id> (locked while it is
 * built) and renamed into place with its first reference already inside. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "path-util.h"
#include "storage-internal.h"

#define LAYERS_DIR ".layers"
#define LAYERS_MAX 64 /* lowers of one volume: the mount options must fit in a page */
#define ID_LEN 16

typedef struct OvlVolume {
        char id[ID_LEN + 1];
        char rw[ID_LEN + 1]; /* empty: none (a snapshot) */
        char ro[LAYERS_MAX][ID_LEN + 1];
        size_t n_ro;
} OvlVolume;

static bool id_is_valid(const char *s)
{
        if (strlen(s) != ID_LEN)
                return false;
        for (const char *p = s; *p; p++)
                if (!strchr("0123456789abcdef", *p))
                        return false;
        return true;
}

int overlay_layers_open(const char *root, bool create)
{
        _cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rfd < 0)
                return -errno;
        if (create && mkdirat(rfd, LAYERS_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        int fd = openat(rfd, LAYERS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

static int layers_fd(Storage *s, BerthError **reterr)
{
        int fd = overlay_layers_open(s->root, true);
        if (fd < 0)
                return berth_error_set(reterr, fd, "open layer store '%s/" LAYERS_DIR "'",
                                       s->root);
        return fd;
}

/* ---- volume metadata ----------------------------------------------------------------------- */

static int volume_read(int vfd, OvlVolume *ret)
{
        _cleanup_free_ char *id = NULL, *text = NULL;
        int r = read_one_line_at(vfd, "id", &id);
        if (r < 0)
                return r;
        r = read_full_file_at(vfd, "layers", SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        if (!id_is_valid(id))
                return -EBADMSG;
        OvlVolume v = {};
        memcpy(v.id, id, ID_LEN + 1);
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (strlen(line) != 3 + ID_LEN || line[2] != ' ' || !id_is_valid(line + 3))
                        return -EBADMSG;
                if (strncmp(line, "rw", 2) == 0 && !*v.rw && v.n_ro == 0)
                        memcpy(v.rw, line + 3, ID_LEN + 1);
                else if (strncmp(line, "ro", 2) == 0 && v.n_ro < LAYERS_MAX)
                        memcpy(v.ro[v.n_ro++], line + 3, ID_LEN + 1);
                else
                        return -EBADMSG;
        }
        *ret = v;
        return 0;
}

static int volume_write(int vfd, const OvlVolume *v)
{
        size_t cap = (LAYERS_MAX + 1) * (ID_LEN + 4) + 1;
        _cleanup_free_ char *text = xmalloc(cap);
        char *p = text;
        if (*v->rw)
                p += sprintf(p, "rw %s\n", v->rw);
        for (size_t i = 0; i < v->n_ro; i++)
                p += sprintf(p, "ro %s\n", v->ro[i]);
        return write_file_atomic_at(vfd, "layers", text, p - text, 0600);
}

static int volume_open(int dfd, const char *name, OvlVolume *ret, BerthError **reterr)
{
        _cleanup_close_ int vfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (vfd < 0)
                return berth_error_set(reterr, errno, "open volume '%s'", name);
        int r = volume_read(vfd, ret);
        if (r < 0)
                return berth_error_set(reterr, r, "read overlay volume '%s'", name);
        return 0;
}

/* A volume that has a writable upper (a container's, not a snapshot's). */
static int volume_open_rw(int dfd, const char *name, OvlVolume *ret, BerthError **reterr)
{
        int r = volume_open(dfd, name, ret, reterr);
        if (r < 0)
                return r;
        if (!*ret->rw)
                return berth_error_setf(reterr, EROFS, "volume '%s' is read-only", name);
        return 0;
}

/* ---- layers -------------------------------------------------------------------------------- */

/* The new layer id, referenced by vol_id, with an empty tree or a copy of src_dfd/src. The
 * volume lists id before this is called. */
static int layer_new(Storage *s, int lfd, const char *vol_id, int src_dfd, const char *src,
                     const char *id, BerthError **reterr)
{
        _cleanup_free_ char *tmp = xasprintf(".new-%s", id);
        if (mkdirat(lfd, tmp, 0700) < 0)
                return berth_error_set(reterr, errno, "create layer '%s'", id);
        _cleanup_close_ int fd = openat(lfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX) < 0) {
                int r = berth_error_set(reterr, errno, "create layer '%s'", id);
                (void)rm_rf_at(lfd, tmp);
                return r;
        }
        int r = 0;
        if (mkdirat(fd, "refs", 0700) < 0 || mkdirat(fd, "work", 0700) < 0)
                r = berth_error_set(reterr, errno, "create layer '%s'", id);
        if (r >= 0) {
                _cleanup_close_ int ref = openat(fd, "refs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (ref < 0 || mknodat(ref, vol_id, S_IFREG | 0600, 0) < 0)
                        r = berth_error_set(reterr, errno, "reference layer '%s'", id);
        }
        if (r >= 0) {
                if (src) {
                        CopyOptions o = {.progress = s->progress, .userdata = s->userdata,
                                         .what = "copying layer"};
                        r = copy_tree(src_dfd, src, fd, "tree", &o, reterr);
                } else if (mkdirat(fd, "tree", 0755) < 0)
                        r = berth_error_set(reterr, errno, "create layer '%s'", id);
        }
        storage_crash_point("layer built");
        if (r >= 0 && renameat(lfd, tmp, lfd, id) < 0)
                r = berth_error_set(reterr, errno, "create layer '%s'", id);
        if (r < 0) {
                (void)rm_rf_at(lfd, tmp);
                return r;
        }
        return 0;
}

static int refs_lock(int lfd, int *ret_fd)
{
        return lock_file_at(lfd, ".lock", ret_fd);
}

/* Adds vol_id's reference to an existing layer (under the store lock, so the layer cannot be
 * collected in between). */
static int layer_ref(int lfd, const char *id, const char *vol_id, BerthError **reterr)
{
        _cleanup_close_ int lock = -EBADF;
        int r = refs_lock(lfd, &lock);
        if (r < 0)
                return berth_error_set(reterr, r, "lock layer store");
        _cleanup_free_ char *refs = xasprintf("%s/refs", id);
        _cleanup_close_ int fd = openat(lfd, refs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(reterr, errno, "reference layer '%s'", id);
        if (mknodat(fd, vol_id, S_IFREG | 0600, 0) < 0 && errno != EEXIST)
                return berth_error_set(reterr, errno, "reference layer '%s'", id);
        return 0;
}

/* Drops vol_id's reference; deletes the layer when it was the last. Missing is fine. */
static int layer_unref(int lfd, const char *id, const char *vol_id)
{
        _cleanup_close_ int lock = -EBADF;
        int r = refs_lock(lfd, &lock);
        if (r < 0)
                return r;
        _cleanup_free_ char *refs = xasprintf("%s/refs", id);
        _cleanup_close_ int fd = openat(lfd, refs, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (unlinkat(fd, vol_id, 0) < 0 && errno != ENOENT)
                return -errno;
        if (!dir_is_empty_at(lfd, refs))
                return 0;
        /* Out of the way under the lock, deleted after it. */
        _cleanup_free_ char *dead = xasprintf(".dead-%s", id);
        if (renameat(lfd, id, lfd, dead) < 0)
                return -errno;
        lock = safe_close(lock);
        return rm_rf_at(lfd, dead);
}

int overlay_volume_release(int layers_fd, int vfd)
{
        OvlVolume v;
        if (volume_read(vfd, &v) < 0)
                return 0; /* not an overlay volume (or never got as far as its layers file) */
        int ret = 0;
        if (*v.rw) {
                int r = layer_unref(layers_fd, v.rw, v.id);
                if (r < 0)
                        ret = r;
        }
        for (size_t i = 0; i < v.n_ro; i++) {
                int r = layer_unref(layers_fd, v.ro[i], v.id);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        if (ret >= 0)
                (void)unlinkat(vfd, "layers", 0);
        return ret;
}

void overlay_layers_gc(const char *root)
{
        _cleanup_close_ int lfd = overlay_layers_open(root, false);
        if (lfd < 0)
                return;
        int dup_fd = dup(lfd);
        DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
        if (!d) {
                safe_close(dup_fd);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *n = de->d_name;
                bool dead = strncmp(n, ".dead-", 6) == 0, fresh = strncmp(n, ".new-", 5) == 0;
                if (dead || fresh) {
                        /* A layer being built is locked by its builder. */
                        _cleanup_close_ int fd = openat(lfd, n, O_RDONLY | O_DIRECTORY |
                                                                        O_NOFOLLOW | O_CLOEXEC);
                        if (fd >= 0 && (dead || flock(fd, LOCK_EX | LOCK_NB) >= 0))
                                (void)rm_rf_at(lfd, n);
                        continue;
                }
                if (!id_is_valid(n))
                        continue;
                _cleanup_close_ int lock = -EBADF;
                if (refs_lock(lfd, &lock) < 0)
                        continue;
                _cleanup_free_ char *refs = xasprintf("%s/refs", n);
                if (!dir_is_empty_at(lfd, refs))
                        continue;
                _cleanup_free_ char *dead_name = xasprintf(".dead-%s", n);
                if (renameat(lfd, n, lfd, dead_name) >= 0) {
                        lock = safe_close(lock);
                        (void)rm_rf_at(lfd, dead_name);
                }
        }
        closedir(d);
}

/* ---- ops ------------------------------------------------------------------------------------- */

static int ovl_check(Storage *s, int dfd, BerthError **reterr)
{
        _cleanup_free_ char *text = NULL;
        if (read_full_file_at(AT_FDCWD, "/proc/filesystems", SMALL_FILE_MAX, &text, NULL) >= 0 &&
            !strstr(text, "\toverlay\n"))
                return berth_error_setf(reterr, EOPNOTSUPP,
                                        "backend 'overlay': the kernel has no overlayfs");
        return 0;
}

/* Writes the new volume dfd/name for v (its layers file before any reference is taken). */
static int volume_make(int dfd, const char *name, const OvlVolume *v, int *ret_vfd,
                       BerthError **reterr)
{
        if (mkdirat(dfd, name, 0700) < 0)
                return berth_error_set(reterr, errno, "create volume '%s'", name);
        _cleanup_close_ int vfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (vfd < 0)
                return berth_error_set(reterr, errno, "create volume '%s'", name);
        _cleanup_free_ char *line = xasprintf("%s\n", v->id);
        int r = write_file_atomic_at(vfd, "id", line, strlen(line), 0600);
        if (r >= 0)
                r = volume_write(vfd, v);
        if (r < 0)
                return berth_error_set(reterr, r, "write volume '%s'", name);
        *ret_vfd = TAKE_FD(vfd);
        return 0;
}

static int ovl_create(Storage *s, int dfd, const char *name, BerthError **reterr)
{
        _cleanup_close_ int lfd = layers_fd(s, reterr);
        if (lfd < 0)
                return lfd;
        OvlVolume v = {};
        random_id(v.id);
        random_id(v.rw);
        _cleanup_close_ int vfd = -EBADF;
        int r = volume_make(dfd, name, &v, &vfd, reterr);
        if (r < 0)
                return r;
        storage_crash_point("overlay volume listed");
        return layer_new(s, lfd, v.id, -1, NULL, v.rw, reterr);
}

static int ovl_tree_path(Storage *s, int dfd, const char *name, char **ret, BerthError **reterr)
{
        OvlVolume v;
        int r = volume_open_rw(dfd, name, &v, reterr);
        if (r < 0)
                return r;
        *ret = xasprintf("%s/" LAYERS_DIR "/%s/tree", s->root, v.rw);
        return 0;
}

static int ovl_copy(Storage *s, int src_dfd, const char *src, int dst_dfd, const char *dst,
                    unsigned flags, BerthError **reterr)
{
        _cleanup_close_ int lfd = layers_fd(s, reterr);
        if (lfd < 0)
                return lfd;
        OvlVolume sv;
        int r = volume_open(src_dfd, src, &sv, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *upper = *sv.rw ? xasprintf("%s/tree", sv.rw) : NULL;
        bool copy_upper = upper && !dir_is_empty_at(lfd, upper);

        OvlVolume dv = {};
        random_id(dv.id);
        /* The lowers: the source's upper (copied into a new layer, filled below) and the
         * source's lowers, shared. */
        size_t n = sv.n_ro + (copy_upper ? 1 : 0) + ((flags & STORAGE_COPY_SNAPSHOT) ? 0 : 1);
        if (n > LAYERS_MAX)
                return berth_error_setf(reterr, E2BIG,
                                        "copy '%s': more than %d overlay layers; make a full "
                                        "copy with the dir backend first",
                                        src, LAYERS_MAX);
        if (copy_upper)
                random_id(dv.ro[dv.n_ro++]);
        for (size_t i = 0; i < sv.n_ro; i++)
                memcpy(dv.ro[dv.n_ro++], sv.ro[i], ID_LEN + 1);
        if (!(flags & STORAGE_COPY_SNAPSHOT))
                random_id(dv.rw);
        _cleanup_close_ int vfd = -EBADF;
        r = volume_make(dst_dfd, dst, &dv, &vfd, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sv.n_ro; i++) {
                r = layer_ref(lfd, sv.ro[i], dv.id, reterr);
                if (r < 0)
                        return r;
        }
        storage_crash_point("overlay lowers referenced");
        if (copy_upper) {
                r = layer_new(s, lfd, dv.id, lfd, upper, dv.ro[0], reterr);
                if (r < 0)
                        return r;
        }
        if (*dv.rw)
                return layer_new(s, lfd, dv.id, -1, NULL, dv.rw, reterr);
        return 0;
}

static uint64_t ovl_size(Storage *s, int dfd, const char *name)
{
        OvlVolume v;
        _cleanup_close_ int lfd = overlay_layers_open(s->root, false);
        if (lfd < 0 || volume_open(dfd, name, &v, NULL) < 0)
                return UINT64_MAX;
        uint64_t sum = 0;
        for (size_t i = 0; i < v.n_ro + 1; i++) {
                const char *id = i == 0 ? v.rw : v.ro[i - 1];
                if (!*id)
                        continue;
                /* Only what no other volume shares. */
                _cleanup_free_ char *refs = xasprintf("%s/refs", id);
                _cleanup_close_ int rfd = openat(lfd, refs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                DIR *d = rfd >= 0 ? fdopendir(rfd) : NULL;
                if (!d)
                        continue;
                rfd = -EBADF;
                size_t count = 0;
                struct dirent *de;
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.')
                                count++;
                closedir(d);
                if (count == 1) {
                        _cleanup_free_ char *tree = xasprintf("%s/tree", id);
                        uint64_t u = tree_disk_usage(lfd, tree);
                        if (u != UINT64_MAX)
                                sum += u;
                }
        }
        return sum;
}

static int ovl_open_tree(Storage *s, int dfd, const char *name, int userns_fd,
                         const char *ephemeral_dir, int *ret_fd, BerthError **reterr)
{
        OvlVolume v;
        int r = volume_open(dfd, name, &v, reterr);
        if (r < 0)
                return r;
        if (!*v.rw && !ephemeral_dir)
                return berth_error_setf(reterr, EROFS, "mount volume '%s': it is read-only", name);
        _cleanup_close_ int lfd = layers_fd(s, reterr);
        if (lfd < 0)
                return lfd;

        /* A volume that is only its upper needs no overlay at all. */
        if (v.n_ro == 0 && !ephemeral_dir) {
                _cleanup_free_ char *tree = xasprintf("%s/tree", v.rw);
                return storage_clone_tree(lfd, tree, userns_fd, ret_fd, reterr);
        }

        /* Idmapped layers, each mounted over its own directory in this private namespace. */
        _cleanup_free_ char *lower = xstrdup("");
        size_t n_mounted = 0;
        const char *ids[LAYERS_MAX + 1];
        size_t n_ids = 0;
        if (*v.rw)
                ids[n_ids++] = v.rw;
        for (size_t i = 0; i < v.n_ro; i++)
                ids[n_ids++] = v.ro[i];
        if (userns_fd >= 0)
                for (; n_mounted < n_ids; n_mounted++) {
                        r = storage_idmap_over(lfd, ids[n_mounted], userns_fd, reterr);
                        if (r < 0)
                                goto out;
                }

        /* With an ephemeral layer the volume's own upper becomes the top lower. */
        size_t first_lower = ephemeral_dir ? 0 : (*v.rw ? 1 : 0);
        for (size_t i = first_lower; i < n_ids; i++) {
                char *l = xasprintf("%s%s%s/tree", lower, *lower ? ":" : "", ids[i]);
                free(lower);
                lower = l;
        }
        if (ephemeral_dir)
                r = storage_overlay_mount(lfd, lower, ephemeral_dir, userns_fd, ret_fd, reterr);
        else {
                _cleanup_free_ char *work = xasprintf("%s/work", v.rw);
                if (mkdirat(lfd, work, 0700) < 0 && errno != EEXIST) {
                        r = berth_error_set(reterr, errno, "create '%s'", work);
                        goto out;
                }
                _cleanup_free_ char *opts = xasprintf(
                        "lowerdir=%s,upperdir=%s/tree,workdir=%s/work", lower, v.rw, v.rw);
                _cleanup_free_ char *target = fd_path(dfd, name);
                r = overlay_mount_at(lfd, opts, target, ret_fd, reterr);
        }
out:
        for (size_t i = 0; i < n_mounted; i++) {
                _cleanup_free_ char *p = fd_path(lfd, ids[i]);
                (void)umount2(p, MNT_DETACH);
        }
        return r;
}

static int ovl_seal(Storage *s, int dfd, const char *name, BerthError **reterr)
{
        _cleanup_close_ int vfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (vfd < 0)
                return berth_error_set(reterr, errno, "open volume '%s'", name);
        OvlVolume v;
        int r = volume_read(vfd, &v);
        if (r < 0)
                return berth_error_set(reterr, r, "read overlay volume '%s'", name);
        if (!*v.rw)
                return 0;
        if (v.n_ro >= LAYERS_MAX)
                return berth_error_setf(reterr, E2BIG, "seal '%s': too many layers", name);
        /* The upper becomes the top lower: one rewrite of the layers file. */
        memmove(v.ro[1], v.ro[0], v.n_ro * sizeof(v.ro[0]));
        memcpy(v.ro[0], v.rw, ID_LEN + 1);
        v.n_ro++;
        *v.rw = 0;
        r = volume_write(vfd, &v);
        if (r < 0)
                return berth_error_set(reterr, r, "seal '%s'", name);
        return 0;
}

/* /etc/hostname and friends: read through the layers (top first, a whiteout hides), written in
 * the upper, whose missing parent directories are created with the attributes of the file's
 * directory in the layer it was found in (exact for the one-level paths berth rewrites). */
static int ovl_open_parent(Storage *s, int dfd, const char *name, const char *path,
                           int *ret_read_dfd, int *ret_write_dfd, BerthError **reterr)
{
        OvlVolume v;
        int r = volume_open_rw(dfd, name, &v, reterr);
        if (r < 0)
                return r;
        _cleanup_close_ int lfd = layers_fd(s, reterr);
        if (lfd < 0)
                return lfd;
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        _cleanup_close_ int rfd = -EBADF;
        for (size_t i = 0; i <= v.n_ro && rfd < 0; i++) {
                const char *id = i == 0 ? v.rw : v.ro[i - 1];
                _cleanup_free_ char *tree = xasprintf("%s/tree", id);
                _cleanup_close_ int tfd =
                        openat(lfd, tree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int pfd;
                if (tfd < 0 || storage_open_parent_plain(tfd, path, &pfd) < 0)
                        continue;
                struct stat st;
                if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        close(pfd);
                        continue;
                }
                if (S_ISCHR(st.st_mode) && st.st_rdev == 0) { /* a whiteout: gone */
                        close(pfd);
                        return 0;
                }
                rfd = pfd;
        }
        if (rfd < 0)
                return 0;

        /* The parents in the upper, as in the layer the file was found in. */
        _cleanup_free_ char *utree = xasprintf("%s/tree", v.rw);
        _cleanup_close_ int wfd = openat(lfd, utree, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (wfd < 0)
                return berth_error_set(reterr, errno, "open upper of '%s'", name);
        for (const char *p = path;;) {
                size_t n = strcspn(p, "/");
                if (!p[n])
                        break;
                _cleanup_free_ char *comp = xstrndup(p, n);
                if (mkdirat(wfd, comp, 0755) >= 0) {
                        struct stat st;
                        if (fstat(rfd, &st) < 0 ||
                            fchownat(wfd, comp, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
                            fchmodat(wfd, comp, st.st_mode & 07777, 0) < 0)
                                return berth_error_set(reterr, errno, "create '%s' in the upper",
                                                       comp);
                } else if (errno != EEXIST)
                        return berth_error_set(reterr, errno, "create '%s' in the upper", comp);
                int next = openat(wfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return 0;
                safe_close(wfd);
                wfd = next;
                p += n + 1;
        }
        *ret_read_dfd = TAKE_FD(rfd);
        *ret_write_dfd = TAKE_FD(wfd);
        return 1;
}

const StorageOps storage_overlay_ops = {
        .backend = BERTH_BACKEND_OVERLAY,
        .check = ovl_check,
        .create = ovl_create,
        .tree_path = ovl_tree_path,
        .copy = ovl_copy,
        .size = ovl_size,
        .open_tree = ovl_open_tree,
        .seal = ovl_seal,
        .open_parent = ovl_open_parent,
};
