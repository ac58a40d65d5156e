/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshots, restores, clones and scheduled snapshots, on top of the storage backends.
 *
 * Layout: <store>/NAME/snapshots/SNAP/{rootfs,meta,config.yaml}: the volume, its metadata
 * (created, expires, scheduled, size, comment; key=value lines) and the container's config at
 * the time. Every operation builds under a temporary name that is flock()ed while it runs
 * (snapshots/.SNAP.tmp-*, <store>/.NAME.create-*, NAME/.rootfs.restore-*) and renames into
 * place last; storage_recover() removes what a killed operation left, at the start of the next
 * one. A running container is frozen for the copy and thawed after. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config-internal.h"
#include "container-internal.h"
#include "idalloc.h"
#include "fileio.h"
#include "parse.h"
#include "path-util.h"
#include "storage/storage.h"
#include "strv.h"
#include "time-util.h"

#define SNAPSHOTS_DIR "snapshots"
#define COMMENT_MAX 1024
#define META_MAX (8 * 1024)

void berth_snapshots_free(BerthSnapshot *snaps, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(snaps[i].name);
                free(snaps[i].comment);
        }
        free(snaps);
}

static bool comment_is_valid(const char *s)
{
        if (strlen(s) > COMMENT_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p < ' ' || *p == 0x7f)
                        return false;
        return true;
}

/* ---- where things are ---------------------------------------------------------------------- */

/* The directory holding the container's rootfs volume, and the volume's name in it. */
static int rootfs_location(BerthContext *ctx, const char *name, const BerthConfig *c,
                           int *ret_dfd, char **ret_vol, BerthError **reterr)
{
        _cleanup_free_ char *dir = context_container_dir(ctx, name);
        _cleanup_free_ char *path = path_is_absolute(c->rootfs_path)
                                            ? xstrdup(c->rootfs_path)
                                            : path_join(dir, c->rootfs_path);
        char *slash = strrchr(path, '/');
        *slash = 0;
        int fd = open(*path ? path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(reterr, errno, "open '%s'", path);
        *ret_dfd = fd;
        *ret_vol = xstrdup(slash + 1);
        return 0;
}

static int open_snapshots(BerthContext *ctx, const char *name, bool create, int *ret_fd)
{
        _cleanup_free_ char *dir = context_container_dir(ctx, name);
        _cleanup_close_ int cfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cfd < 0)
                return -errno;
        if (create && mkdirat(cfd, SNAPSHOTS_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;
        int fd = openat(cfd, SNAPSHOTS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

/* A temporary directory dfd/<prefix>XXXXXX, flock()ed for as long as *ret_lock is open, so
 * recovery leaves it alone while this operation runs. */
static int make_temp(int dfd, const char *prefix, char **ret_name, int *ret_lock,
                     BerthError **reterr)
{
        char id[17];
        random_id(id);
        _cleanup_free_ char *n = xasprintf("%s%s", prefix, id);
        if (mkdirat(dfd, n, 0700) < 0)
                return berth_error_set(reterr, errno, "create '%s'", n);
        int fd = openat(dfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX) < 0) {
                int r = berth_error_set(reterr, errno, "lock '%s'", n);
                safe_close(fd);
                (void)unlinkat(dfd, n, AT_REMOVEDIR);
                return r;
        }
        *ret_name = TAKE_PTR(n);
        *ret_lock = fd;
        return 0;
}

/* The backend (reporting progress through the context) and the rootfs volume's location. */
static int open_rootfs_storage(BerthContext *ctx, const char *name, const BerthConfig *c,
                               BerthBackend backend, Storage **ret, int *ret_vdfd,
                               char **ret_vol, BerthError **reterr)
{
        _cleanup_(storage_freep) Storage *s = NULL;
        int r = storage_new(backend, ctx->store, &s, reterr);
        if (r < 0)
                return r;
        if (ctx->progress)
                storage_set_progress(s, ctx->progress, ctx->progress_userdata);
        if (ret_vdfd) {
                r = rootfs_location(ctx, name, c, ret_vdfd, ret_vol, reterr);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* ---- running containers -------------------------------------------------------------------- */

/* Freezes a running container for a consistent copy; *ret_thaw says whether to thaw after
 * (not when it was frozen already). Returns whether it runs. */
static int freeze_if_running(BerthContext *ctx, const char *name, bool *ret_thaw,
                             BerthError **reterr)
{
        *ret_thaw = false;
        BerthInfo info = {};
        if (berth_info(ctx, name, &info, NULL) < 0)
                return 0;
        BerthState st = info.state;
        berth_info_clear(&info);
        if (st == BERTH_STATE_STOPPED)
                return 0;
        if (st == BERTH_STATE_FROZEN)
                return 1;
        int r = berth_freeze(ctx, name, reterr);
        if (r == -ESRCH)
                return 0; /* stopped in between */
        if (r < 0 && r != -EALREADY)
                return r;
        *ret_thaw = r >= 0;
        return 1;
}

static bool is_running(BerthContext *ctx, const char *name)
{
        BerthInfo info = {};
        if (berth_info(ctx, name, &info, NULL) < 0)
                return false;
        bool running = info.state != BERTH_STATE_STOPPED;
        berth_info_clear(&info);
        return running;
}

/* ---- metadata ------------------------------------------------------------------------------ */

static int meta_write(int dfd, const BerthSnapshot *m, BerthBackend backend)
{
        _cleanup_free_ char *text = xasprintf(
                "created=%" PRIu64 "\nexpires=%" PRIu64 "\nscheduled=%d\nsize=%" PRIu64
                "\nbackend=%s\ncomment=%s\n",
                m->created_usec, m->expires_usec, m->scheduled ? 1 : 0, m->size,
                berth_backend_to_string(backend), strempty(m->comment));
        return write_file_atomic_at(dfd, "meta", text, strlen(text), 0600);
}

static int meta_read(int sdfd, const char *snap, BerthSnapshot *ret)
{
        _cleanup_free_ char *path = xasprintf("%s/meta", snap), *text = NULL;
        int r = read_full_file_at(sdfd, path, META_MAX, &text, NULL);
        if (r < 0)
                return r;
        BerthSnapshot m = {.name = xstrdup(snap), .size = UINT64_MAX};
        char *cursor = text, *line, *v;
        while (next_kv_line(&cursor, &line, &v)) {
                uint64_t u;
                if (streq(line, "created") && parse_uint64(v, &u) >= 0)
                        m.created_usec = u;
                else if (streq(line, "expires") && parse_uint64(v, &u) >= 0)
                        m.expires_usec = u;
                else if (streq(line, "scheduled"))
                        m.scheduled = streq(v, "1");
                else if (streq(line, "size") && parse_uint64(v, &u) >= 0)
                        m.size = u;
                else if (streq(line, "comment") && *v && comment_is_valid(v)) {
                        free(m.comment);
                        m.comment = xstrdup(v);
                }
        }
        *ret = m;
        return 0;
}

static int cmp_snapshots(const void *a, const void *b)
{
        const BerthSnapshot *x = a, *y = b;
        if (x->created_usec != y->created_usec)
                return x->created_usec < y->created_usec ? -1 : 1;
        return strcmp(x->name, y->name);
}

static int list_snapshots(BerthContext *ctx, const char *name, BerthSnapshot **ret,
                          size_t *ret_n)
{
        *ret = NULL;
        *ret_n = 0;
        _cleanup_close_ int sfd = -EBADF;
        int r = open_snapshots(ctx, name, false, &sfd);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        DIR *d = fdopendir(dup(sfd));
        if (!d)
                return -errno;
        BerthSnapshot *list = NULL;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!berth_name_is_valid(de->d_name))
                        continue;
                BerthSnapshot m;
                if (meta_read(sfd, de->d_name, &m) < 0)
                        continue;
                list = xreallocarray(list, n + 1, sizeof(*list));
                list[n++] = m;
        }
        closedir(d);
        if (n > 1)
                qsort(list, n, sizeof(*list), cmp_snapshots);
        *ret = list;
        *ret_n = n;
        return 0;
}

size_t container_snapshot_count(BerthContext *ctx, const char *name)
{
        BerthSnapshot *l;
        size_t n;
        if (list_snapshots(ctx, name, &l, &n) < 0)
                return 0;
        berth_snapshots_free(l, n);
        return n;
}

int berth_snapshot_list(BerthContext *ctx, const char *name, BerthSnapshot **ret, size_t *ret_n,
                        BerthError **reterr)
{
        int r = container_check(ctx, name, "snapshot list", reterr);
        if (r < 0)
                return r;
        r = list_snapshots(ctx, name, ret, ret_n);
        if (r < 0)
                return berth_error_set(reterr, r, "snapshot list '%s'", name);
        return 0;
}

/* ---- create -------------------------------------------------------------------------------- */

static char *next_snapshot_name(BerthContext *ctx, const char *name)
{
        BerthSnapshot *l;
        size_t n;
        uint64_t max = 0;
        if (list_snapshots(ctx, name, &l, &n) >= 0) {
                for (size_t i = 0; i < n; i++) {
                        uint64_t k;
                        if (strncmp(l[i].name, "snap", 4) == 0 && parse_uint64(l[i].name + 4, &k) >= 0 &&
                            k > max)
                                max = k;
                }
                berth_snapshots_free(l, n);
        }
        return xasprintf("snap%" PRIu64, max + 1);
}

typedef struct SnapRequest {
        const char *snap;
        const char *comment;
        bool scheduled;
        uint64_t created_usec;
        uint64_t expires_usec;
} SnapRequest;

static int snapshot_take(BerthContext *ctx, const char *name, const SnapRequest *req,
                         char **ret_snap, BerthError **reterr)
{
        _cleanup_(config_freep) BerthConfig *c = NULL;
        int r = container_load_config(ctx, name, "snapshot", &c, reterr);
        if (r < 0)
                return r;
        if (req->comment && !comment_is_valid(req->comment))
                return berth_error_setf(reterr, EINVAL,
                                        "snapshot '%s': invalid comment (one line of at most %d "
                                        "printable characters)",
                                        name, COMMENT_MAX);
        _cleanup_free_ char *snap = req->snap ? xstrdup(req->snap) : NULL;
        if (snap && !berth_name_is_valid(snap)) {
                _cleanup_free_ char *esc = berth_escape(snap);
                return berth_error_setf(reterr, EINVAL,
                                        "snapshot '%s': invalid snapshot name '%s': use "
                                        "[a-z0-9][a-z0-9-]{0,62}",
                                        name, esc);
        }

        _cleanup_close_ int lock = -EBADF;
        r = container_lock_adopted(ctx, name, "snapshot", &lock, reterr);
        if (r < 0)
                return r;
        bool running = is_running(ctx, name);
        storage_recover(ctx->store, name, running);
        if (!snap)
                snap = next_snapshot_name(ctx, name);

        _cleanup_close_ int sfd = -EBADF;
        r = open_snapshots(ctx, name, true, &sfd);
        if (r < 0)
                return berth_error_set(reterr, r, "snapshot '%s': create '%s'", name,
                                       SNAPSHOTS_DIR);
        if (faccessat(sfd, snap, F_OK, AT_SYMLINK_NOFOLLOW) >= 0)
                return berth_error_setf(reterr, EEXIST, "snapshot '%s': create '%s': already exists",
                                        name, snap);

        _cleanup_(storage_freep) Storage *s = NULL;
        _cleanup_close_ int vdfd = -EBADF;
        _cleanup_free_ char *vol = NULL;
        r = open_rootfs_storage(ctx, name, c, c->rootfs_backend, &s, &vdfd, &vol, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "snapshot '%s'", name);

        _cleanup_free_ char *prefix = xasprintf(".%s.tmp-", snap), *tmp = NULL;
        _cleanup_close_ int tmp_lock = -EBADF;
        r = make_temp(sfd, prefix, &tmp, &tmp_lock, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "snapshot '%s': create '%s'", name, snap);
        storage_crash_point("snapshot temp made");

        bool thaw = false;
        r = freeze_if_running(ctx, name, &thaw, reterr);
        if (r >= 0) {
                unsigned flags = STORAGE_COPY_SNAPSHOT | (r > 0 ? STORAGE_COPY_LIVE : 0);
                r = storage_copy(s, vdfd, vol, tmp_lock, "rootfs", flags, reterr);
        }
        if (thaw) {
                _cleanup_(berth_error_freep) BerthError *e = NULL;
                int k = berth_thaw(ctx, name, &e);
                if (k < 0 && r >= 0)
                        r = berth_error_setf(reterr, -k, "%s", berth_error_message(e, k));
        }
        storage_crash_point("snapshot copied");
        if (r >= 0) {
                BerthSnapshot m = {
                        .created_usec = req->created_usec ?: realtime_usec(),
                        .expires_usec = req->expires_usec,
                        .scheduled = req->scheduled,
                        .size = storage_copied_size(s) != UINT64_MAX
                                        ? storage_copied_size(s)
                                        : storage_size(s, tmp_lock, "rootfs"),
                        .comment = (char *)req->comment,
                };
                /* The config first and without fsync: it only informs restore --as, which
                 * falls back to the container's config when it is unreadable. The meta file
                 * is synced: a snapshot is listed by it. */
                _cleanup_free_ char *yaml = config_to_yaml(c);
                _cleanup_close_ int cfd = openat(tmp_lock, "config.yaml",
                                                 O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                r = cfd < 0 ? -errno : yaml ? loop_write(cfd, yaml, strlen(yaml)) : -EINVAL;
                if (r >= 0)
                        r = meta_write(tmp_lock, &m, c->rootfs_backend);
                if (r < 0 && !(reterr && *reterr))
                        r = berth_error_set(reterr, r, "write metadata");
        }
        storage_crash_point("snapshot metadata written");
        if (r >= 0 && renameat2(sfd, tmp, sfd, snap, RENAME_NOREPLACE) < 0)
                r = berth_error_set(reterr, errno, "rename into place");
        if (r < 0) {
                (void)storage_remove(ctx->store, sfd, tmp, NULL);
                return berth_error_prefix(reterr, r, "snapshot '%s': create '%s'", name, snap);
        }
        if (ret_snap)
                *ret_snap = TAKE_PTR(snap);
        return 0;
}

int berth_snapshot_create(BerthContext *ctx, const char *name, const char *snap,
                          const char *comment, char **ret_snap, BerthError **reterr)
{
        SnapRequest req = {.snap = snap, .comment = comment};
        return snapshot_take(ctx, name, &req, ret_snap, reterr);
}

/* ---- delete -------------------------------------------------------------------------------- */

static int delete_one(BerthContext *ctx, int sfd, const char *name, const char *snap,
                      BerthError **reterr)
{
        /* Out of the way first (a leftover name recovery knows), then removed. */
        char id[17];
        random_id(id);
        _cleanup_free_ char *trash = xasprintf(".%s.trash-%s", snap, id);
        if (renameat(sfd, snap, sfd, trash) < 0) {
                if (errno == ENOENT)
                        return berth_error_setf(reterr, ENOENT,
                                                "snapshot '%s': delete '%s': no such snapshot",
                                                name, snap);
                return berth_error_set(reterr, errno, "snapshot '%s': delete '%s'", name, snap);
        }
        storage_crash_point("snapshot trashed");
        int r = storage_remove(ctx->store, sfd, trash, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "snapshot '%s': delete '%s'", name, snap);
        return 0;
}

int berth_snapshot_delete(BerthContext *ctx, const char *name, const char *snap,
                          BerthError **reterr)
{
        int r = container_check(ctx, name, "snapshot delete", reterr);
        if (r < 0)
                return r;
        if (snap && !berth_name_is_valid(snap)) {
                _cleanup_free_ char *esc = berth_escape(snap);
                return berth_error_setf(reterr, EINVAL,
                                        "snapshot '%s': delete '%s': invalid snapshot name", name,
                                        esc);
        }
        _cleanup_close_ int lock = -EBADF;
        r = container_lock_adopted(ctx, name, "snapshot delete", &lock, reterr);
        if (r < 0)
                return r;
        storage_recover(ctx->store, name, is_running(ctx, name));
        _cleanup_close_ int sfd = -EBADF;
        r = open_snapshots(ctx, name, false, &sfd);
        if (r == -ENOENT && !snap)
                return 0;
        if (r == -ENOENT)
                return berth_error_setf(reterr, ENOENT,
                                        "snapshot '%s': delete '%s': no such snapshot", name, snap);
        if (r < 0)
                return berth_error_set(reterr, r, "snapshot '%s': delete", name);
        if (snap)
                return delete_one(ctx, sfd, name, snap, reterr);
        BerthSnapshot *l;
        size_t n;
        r = list_snapshots(ctx, name, &l, &n);
        if (r < 0)
                return berth_error_set(reterr, r, "snapshot '%s': delete", name);
        for (size_t i = 0; i < n && r >= 0; i++)
                r = delete_one(ctx, sfd, name, l[i].name, reterr);
        berth_snapshots_free(l, n);
        return r;
}

/* ---- clone and restore --------------------------------------------------------------------- */

typedef struct CloneRequest {
        const char *src, *dst, *snapshot;
        bool cow;
        bool snapshot_config; /* the new container takes the snapshot's config (restore --as) */
        const char *action;
} CloneRequest;

/* The clone's own identity: its name as hostname, no explicit MAC (derived from the name), no
 * uuid (a new one at its first start), an empty machine-id (systemd seeds it from the uuid). */
static int clone_identity(Storage *s, int dfd, const char *vol, BerthConfig *c, const char *src,
                          const char *dst, BerthError **reterr)
{
        _cleanup_free_ char *old_host = xstrdup(c->hostname ?: src);
        free(c->name);
        c->name = xstrdup(dst);
        c->hostname = mfree(c->hostname);
        /* A composition file's --prune is for what the file created, not for copies of it. */
        config_label_drop(c, CONFIG_LABEL_COMPOSE);
        for (size_t i = 0; i < c->n_network; i++)
                c->network[i].hwaddr = mfree(c->network[i].hwaddr);
        free(c->rootfs_path);
        c->rootfs_path = xstrdup("rootfs");
        _cleanup_free_ char *line = xasprintf("%s\n", dst);
        int r = storage_rewrite_file(s, dfd, vol, "etc/hostname", old_host, line, reterr);
        if (r >= 0)
                r = storage_rewrite_file(s, dfd, vol, "etc/machine-id", NULL, "", reterr);
        return r < 0 ? r : 0;
}

static int clone_container(BerthContext *ctx, const CloneRequest *q, BerthError **reterr)
{
        const char *action = q->action;
        if (!berth_name_is_valid(q->dst)) {
                _cleanup_free_ char *esc = berth_escape(q->dst);
                return berth_error_setf(reterr, EINVAL,
                                        "%s '%s': invalid container name '%s': use "
                                        "[a-z0-9][a-z0-9-]{0,62}",
                                        action, q->src, esc);
        }
        _cleanup_(config_freep) BerthConfig *c = NULL;
        int r = container_load_config(ctx, q->src, action, &c, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *dst_dir = context_container_dir(ctx, q->dst);
        if (access(dst_dir, F_OK) >= 0)
                return berth_error_setf(reterr, EEXIST, "%s '%s': '%s' already exists", action,
                                        q->src, q->dst);
        if (q->snapshot && !berth_name_is_valid(q->snapshot))
                return berth_error_setf(reterr, EINVAL, "%s '%s': invalid snapshot name", action,
                                        q->src);

        _cleanup_close_ int lock = -EBADF;
        r = container_lock_adopted(ctx, q->src, action, &lock, reterr);
        if (r < 0)
                return r;
        bool running = is_running(ctx, q->src);
        storage_recover(ctx->store, q->src, running);

        /* The source volume: the container's rootfs, or a snapshot's. */
        _cleanup_close_ int sdfd = -EBADF;
        _cleanup_free_ char *svol = NULL;
        if (q->snapshot) {
                _cleanup_close_ int snaps = -EBADF;
                r = open_snapshots(ctx, q->src, false, &snaps);
                _cleanup_free_ char *p = xasprintf("%s/rootfs", q->snapshot);
                if (r >= 0 && faccessat(snaps, q->snapshot, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
                        r = -ENOENT;
                if (r < 0)
                        return berth_error_setf(reterr, ENOENT, "%s '%s': no snapshot '%s'",
                                                action, q->src, q->snapshot);
                sdfd = openat(snaps, q->snapshot, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sdfd < 0)
                        return berth_error_set(reterr, errno, "%s '%s': open snapshot '%s'",
                                               action, q->src, q->snapshot);
                svol = xstrdup("rootfs");
                if (q->snapshot_config) {
                        _cleanup_free_ char *cfg = fd_path(sdfd, "config.yaml");
                        BerthConfig *sc = NULL;
                        if (config_load_file(cfg, &sc, NULL) >= 0) {
                                config_free(c);
                                c = sc;
                        }
                }
        } else {
                r = rootfs_location(ctx, q->src, c, &sdfd, &svol, reterr);
                if (r < 0)
                        return berth_error_prefix(reterr, r, "%s '%s'", action, q->src);
        }

        _cleanup_(storage_freep) Storage *s = NULL;
        r = open_rootfs_storage(ctx, q->src, c, c->rootfs_backend, &s, NULL, NULL, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "%s '%s'", action, q->src);
        _cleanup_close_ int store_fd = open(ctx->store, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (store_fd < 0)
                return berth_error_set(reterr, errno, "%s '%s': open store", action, q->src);
        _cleanup_free_ char *prefix = xasprintf(".%s.create-", q->dst), *tmp = NULL;
        _cleanup_close_ int tmp_fd = -EBADF;
        r = make_temp(store_fd, prefix, &tmp, &tmp_fd, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "%s '%s'", action, q->src);
        storage_crash_point("clone temp made");

        bool thaw = false;
        r = q->snapshot ? 0 : freeze_if_running(ctx, q->src, &thaw, reterr);
        if (r >= 0) {
                unsigned flags = (q->cow ? STORAGE_COPY_COW : 0) | (r > 0 ? STORAGE_COPY_LIVE : 0);
                r = storage_copy(s, sdfd, svol, tmp_fd, "rootfs", flags, reterr);
        }
        if (thaw)
                (void)berth_thaw(ctx, q->src, NULL);
        storage_crash_point("clone copied");
        if (r >= 0)
                r = clone_identity(s, tmp_fd, "rootfs", c, q->src, q->dst, reterr);
        /* Host ids of its own (the rootfs is idmapped: a config change, no chown), taken and
         * recorded under the store's id lock, which is held until the clone is in place. */
        _cleanup_close_ int idlock = -EBADF;
        if (r >= 0 && !c->privileged) {
                r = idmap_lock_store(ctx, &idlock, reterr);
                if (r >= 0)
                        r = idmap_allocate(ctx, c, tmp, reterr);
        }
        if (r >= 0) {
                _cleanup_free_ char *cfg = fd_path(tmp_fd, "config.yaml");
                r = config_save(c, cfg, reterr);
        }
        storage_crash_point("clone configured");
        if (r >= 0 && renameat2(store_fd, tmp, store_fd, q->dst, RENAME_NOREPLACE) < 0)
                r = errno == EEXIST ? berth_error_setf(reterr, EEXIST, "'%s' already exists", q->dst)
                                    : berth_error_set(reterr, errno, "rename into place");
        if (r < 0) {
                (void)storage_remove(ctx->store, store_fd, tmp, NULL);
                return berth_error_prefix(reterr, r, "%s '%s'", action, q->src);
        }
        return 0;
}

int berth_clone(BerthContext *ctx, const char *src, const char *dst,
                const BerthCloneOptions *opts, BerthError **reterr)
{
        CloneRequest q = {
                .src = src,
                .dst = dst,
                .snapshot = opts ? opts->snapshot : NULL,
                .cow = opts && opts->cow,
                .action = "clone",
        };
        int r = container_check(ctx, src, "clone", reterr);
        if (r < 0)
                return r;
        return clone_container(ctx, &q, reterr);
}

int berth_snapshot_restore(BerthContext *ctx, const char *name, const char *snap,
                           const char *as_name, bool force, BerthError **reterr)
{
        int r = container_check(ctx, name, "restore", reterr);
        if (r < 0)
                return r;
        if (!snap || !berth_name_is_valid(snap)) {
                _cleanup_free_ char *esc = berth_escape(strempty(snap));
                return berth_error_setf(reterr, EINVAL, "restore '%s': invalid snapshot name '%s'",
                                        name, esc);
        }
        if (as_name) {
                CloneRequest q = {.src = name, .dst = as_name, .snapshot = snap,
                                  .snapshot_config = true, .action = "restore"};
                return clone_container(ctx, &q, reterr);
        }

        if (is_running(ctx, name)) {
                if (!force)
                        return berth_error_setf(reterr, EBUSY,
                                                "restore '%s': running; stop it first or use "
                                                "--force",
                                                name);
                r = berth_stop(ctx, name, -1, false, reterr);
                if (r < 0 && r != -ESRCH)
                        return berth_error_prefix(reterr, r, "restore '%s'", name);
        }
        _cleanup_(config_freep) BerthConfig *c = NULL;
        r = container_load_config(ctx, name, "restore", &c, reterr);
        if (r < 0)
                return r;
        _cleanup_close_ int lock = -EBADF;
        r = container_lock_adopted(ctx, name, "restore", &lock, reterr);
        if (r < 0)
                return r;
        if (is_running(ctx, name)) /* started again in between */
                return berth_error_setf(reterr, EBUSY, "restore '%s': running", name);
        storage_recover(ctx->store, name, false);

        _cleanup_close_ int snaps = -EBADF, sdfd = -EBADF;
        if (open_snapshots(ctx, name, false, &snaps) < 0 ||
            (sdfd = openat(snaps, snap, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                return berth_error_setf(reterr, ENOENT, "restore '%s': no snapshot '%s'", name,
                                        snap);
        /* The snapshot's backend, which a config edited since may no longer say. */
        _cleanup_free_ char *meta = NULL;
        BerthBackend backend = c->rootfs_backend;
        if (read_full_file_at(sdfd, "meta", META_MAX, &meta, NULL) >= 0) {
                char *b = strstr(meta, "\nbackend=");
                if (b) {
                        b += 9;
                        b[strcspn(b, "\n")] = 0;
                        BerthBackend k = berth_backend_from_string(b);
                        if (k >= 0)
                                backend = k;
                }
        }
        _cleanup_(storage_freep) Storage *s = NULL;
        _cleanup_close_ int vdfd = -EBADF;
        _cleanup_free_ char *vol = NULL;
        r = open_rootfs_storage(ctx, name, c, backend, &s, &vdfd, &vol, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "restore '%s'", name);

        /* Built beside the rootfs, then swapped with it in one rename: the container always has
         * a rootfs, the old one or the new one. */
        _cleanup_free_ char *prefix = xasprintf(".%s.restore-", vol), *tmp = NULL;
        _cleanup_close_ int tmp_fd = -EBADF;
        r = make_temp(vdfd, prefix, &tmp, &tmp_fd, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "restore '%s'", name);
        storage_crash_point("restore temp made");
        r = storage_copy(s, sdfd, "rootfs", tmp_fd, "rootfs", 0, reterr);
        storage_crash_point("restore copied");
        if (r >= 0) {
                _cleanup_free_ char *inner = xasprintf("%s/rootfs", tmp);
                if (renameat2(vdfd, inner, vdfd, vol, RENAME_EXCHANGE) < 0)
                        r = berth_error_set(reterr, errno, "swap in the restored rootfs");
        }
        storage_crash_point("restore swapped");
        /* Now tmp holds the old rootfs (or the failed copy). */
        int k = storage_remove(ctx->store, vdfd, tmp, r < 0 ? NULL : reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "restore '%s': '%s'", name, snap);
        if (k < 0)
                return berth_error_prefix(reterr, k, "restore '%s': remove the old rootfs", name);
        if (backend != c->rootfs_backend) {
                c->rootfs_backend = backend;
                _cleanup_free_ char *cfg = context_config_path(ctx, name);
                return config_save(c, cfg, reterr);
        }
        return 0;
}

/* ---- scheduled snapshots ------------------------------------------------------------------- */

static int schedule_one(BerthContext *ctx, const char *name, uint64_t now, BerthError **reterr)
{
        _cleanup_(config_freep) BerthConfig *c = NULL;
        int r = container_load_config(ctx, name, "scheduled snapshot", &c, reterr);
        if (r < 0)
                return r;
        BerthSnapshot *l = NULL;
        size_t n = 0;
        r = list_snapshots(ctx, name, &l, &n);
        if (r < 0)
                return berth_error_set(reterr, r, "scheduled snapshot '%s': list", name);

        uint64_t last_due, last_taken = 0;
        if (c->snapshot_schedule && config_schedule_last(c->snapshot_schedule, now, &last_due) >= 0) {
                for (size_t i = 0; i < n; i++)
                        if (l[i].scheduled && l[i].created_usec > last_taken)
                                last_taken = l[i].created_usec;
                if (last_taken < last_due) {
                        time_t t = (time_t)(now / USEC_PER_SEC);
                        struct tm tm;
                        char stamp[32] = "auto";
                        if (gmtime_r(&t, &tm))
                                strftime(stamp, sizeof(stamp), "auto-%Y%m%d-%H%M%S", &tm);
                        SnapRequest req = {
                                .snap = stamp,
                                .comment = "scheduled",
                                .scheduled = true,
                                .created_usec = now,
                                .expires_usec = c->snapshot_expiry_usec
                                                        ? now + c->snapshot_expiry_usec
                                                        : 0,
                        };
                        r = snapshot_take(ctx, name, &req, NULL, reterr);
                        if (r < 0 && r != -EEXIST) {
                                berth_snapshots_free(l, n);
                                return r;
                        }
                        berth_snapshots_free(l, n);
                        r = list_snapshots(ctx, name, &l, &n);
                        if (r < 0)
                                return berth_error_set(reterr, r, "scheduled snapshot '%s'", name);
                }
        }

        /* Retention: what expired goes; of the scheduled ones, only the newest 'keep' stay. */
        size_t scheduled = 0;
        for (size_t i = 0; i < n; i++)
                scheduled += l[i].scheduled;
        int ret = 0;
        for (size_t i = 0; i < n; i++) {
                bool expired = l[i].expires_usec != 0 && l[i].expires_usec <= now;
                bool surplus = l[i].scheduled && c->snapshot_keep > 0 &&
                               scheduled > c->snapshot_keep;
                if (!expired && !surplus)
                        continue;
                if (l[i].scheduled)
                        scheduled--;
                r = berth_snapshot_delete(ctx, name, l[i].name, ret < 0 ? NULL : reterr);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        berth_snapshots_free(l, n);
        return ret;
}

int berth_snapshot_scheduled(BerthContext *ctx, uint64_t now_usec, BerthError **reterr)
{
        if (now_usec == 0)
                now_usec = realtime_usec();
        _cleanup_strv_free_ char **names = NULL;
        int r = berth_list(ctx, &names, reterr);
        if (r < 0)
                return r;
        int ret = 0;
        STRV_FOREACH(n, names) {
                r = schedule_one(ctx, *n, now_usec, ret < 0 ? NULL : reterr);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

/* ---- create and destroy hooks -------------------------------------------------------------- */

/* "tree=PATH\nlock=PATH\n" from --print-cache-tree: absolute, normalised paths only. */
static int parse_cache_tree(char *text, char **ret_tree, char **ret_lock)
{
        _cleanup_free_ char *tree = NULL, *lock = NULL;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                char **slot = strncmp(line, "tree=", 5) == 0   ? &tree
                              : strncmp(line, "lock=", 5) == 0 ? &lock
                                                               : NULL;
                if (!slot || *slot || !path_is_absolute(line + 5) || !path_is_normalized(line + 5))
                        return -EBADMSG;
                *slot = xstrdup(line + 5);
        }
        if (!tree)
                return -EBADMSG;
        *ret_tree = TAKE_PTR(tree);
        *ret_lock = TAKE_PTR(lock);
        return 0;
}

int container_storage_populate(BerthContext *ctx, BerthBackend backend, const CreateRequest *req,
                               const char *name, const char *dir, char **ret_fragment,
                               BerthError **reterr)
{
        _cleanup_(storage_freep) Storage *s = NULL;
        int r = open_rootfs_storage(ctx, name, NULL, backend, &s, NULL, NULL, reterr);
        if (r < 0)
                return r;
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return berth_error_set(reterr, errno, "open '%s'", dir);
        r = storage_check(s, dfd, reterr);
        if (r < 0)
                return r;

        if (backend != BERTH_BACKEND_DIR) {
                _cleanup_free_ char *text = NULL, *tree = NULL, *lock = NULL;
                _cleanup_(berth_error_freep) BerthError *qerr = NULL;
                r = template_cache_tree(ctx, req->template_name, name, req->template_args, &text,
                                        &qerr);
                if (r >= 0) {
                        if (parse_cache_tree(text, &tree, &lock) < 0)
                                return berth_error_setf(reterr, EBADMSG,
                                                        "template '%s': invalid answer to "
                                                        "--print-cache-tree",
                                                        req->template_name);
                        _cleanup_close_ int img = -EBADF;
                        r = storage_image(s, tree, lock, &img, reterr);
                        if (r >= 0)
                                r = storage_copy(s, img, "rootfs", dfd, "rootfs", 0, reterr);
                        if (r < 0)
                                return r;
                        return template_run_storage(ctx, req->template_name, name, dir, backend,
                                                    true, req->template_args, ret_fragment,
                                                    reterr);
                }
                /* A template without the storage extension refuses the option: build as
                 * usual. Any other failure (its cache could not be built) is the create's. */
                if (!strstr(berth_error_message(qerr, r), "--print-cache-tree"))
                        return berth_error_setf(reterr, -r, "%s", berth_error_message(qerr, r));
        }
        r = storage_create(s, dfd, "rootfs", NULL, reterr);
        if (r < 0)
                return r;
        return template_run_storage(ctx, req->template_name, name, dir, backend, false,
                                    req->template_args, ret_fragment, reterr);
}

int container_remove_dir(BerthContext *ctx, const char *path, BerthError **reterr)
{
        return storage_remove(ctx->store, AT_FDCWD, path, reterr);
}

int container_destroy_if_ephemeral(BerthContext *ctx, const char *name, BerthError **reterr)
{
        _cleanup_(config_freep) BerthConfig *c = NULL;
        int r = container_load_config(ctx, name, "destroy", &c, reterr);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        if (!c->ephemeral)
                return 0;
        return berth_destroy(ctx, name, BERTH_DESTROY_SNAPSHOTS, reterr);
}
