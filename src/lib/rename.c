/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth rename: a stopped container under a new name. The container directory is the name: it
 * is renamed in one step (RENAME_NOREPLACE), with everything in it (the rootfs volume, its
 * snapshots, the console log, the uuid). Nothing else names it: overlay layers are referenced by
 * volume ids, btrfs subvolumes move with their directory, snapshot metadata holds no paths, the
 * host id range is recorded in the config. Then the config follows: its name, a hostname that
 * was the old name, and the label of a composition file (a renamed container is no longer the
 * one the file declares, so --prune leaves it alone); and /etc/hostname inside when it held the
 * old name. The event source sees the old name removed and the new one defined. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "container-internal.h"
#include "path-util.h"
#include "storage/storage.h"
#include "strv.h"

/* The config and the tree of the container now called new_name. */
static int follow_name(BerthContext *ctx, const char *old_name, const char *new_name,
                       BerthConfig *c, BerthError **reterr)
{
        bool host_was_name = !c->hostname || streq(c->hostname, old_name);
        free(c->name);
        c->name = xstrdup(new_name);
        if (c->hostname && streq(c->hostname, old_name)) {
                free(c->hostname);
                c->hostname = xstrdup(new_name);
        }
        config_label_drop(c, CONFIG_LABEL_COMPOSE);
        _cleanup_free_ char *cfg = context_config_path(ctx, new_name);
        int r = config_save(c, cfg, reterr);
        if (r < 0 || !host_was_name)
                return r;

        /* Inside, only a file that holds exactly the old name, never through a link. A rootfs
         * outside the container directory did not move, but its hostname is the container's. */
        _cleanup_(storage_freep) Storage *s = NULL;
        _cleanup_free_ char *dir = context_container_dir(ctx, new_name);
        _cleanup_free_ char *vol = path_is_absolute(c->rootfs_path) ? xstrdup(c->rootfs_path)
                                                                    : path_join(dir, c->rootfs_path);
        char *slash = strrchr(vol, '/');
        *slash = 0;
        _cleanup_close_ int dfd = open(*vol ? vol : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return berth_error_set(reterr, errno, "open '%s'", vol);
        r = storage_new(c->rootfs_backend, ctx->store, &s, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *line = xasprintf("%s\n", new_name);
        r = storage_rewrite_file(s, dfd, slash + 1, "etc/hostname", old_name, line, reterr);
        return r < 0 ? r : 0;
}

int berth_rename(BerthContext *ctx, const char *name, const char *new_name, BerthError **reterr)
{
        if (!berth_name_is_valid(new_name)) {
                _cleanup_free_ char *esc = berth_escape(new_name);
                return berth_error_setf(reterr, EINVAL,
                                        "rename '%s': invalid container name '%s': use "
                                        "[a-z0-9][a-z0-9-]{0,62}",
                                        name, esc);
        }
        _cleanup_close_ int lock = -EBADF;
        int r = container_lock_adopted(ctx, name, "rename", &lock, reterr);
        if (r < 0)
                return r;
        if (streq(name, new_name))
                return berth_error_setf(reterr, EEXIST, "rename '%s': that is its name", name);
        if (container_running(ctx, name))
                return berth_error_setf(reterr, EBUSY, "rename '%s': running; stop it first",
                                        name);
        _cleanup_(config_freep) BerthConfig *c = NULL;
        r = container_load_config(ctx, name, "rename", &c, reterr);
        if (r < 0)
                return r;
        /* A runtime directory of that name would be the new container's: one of a container
         * that was destroyed while it ran must not be taken for it. */
        _cleanup_free_ char *run_dir = context_run_dir(ctx, new_name);
        if (access(run_dir, F_OK) >= 0)
                return berth_error_setf(reterr, EBUSY,
                                        "rename '%s': runtime directory '%s' is in the way", name,
                                        run_dir);

        _cleanup_free_ char *from = context_container_dir(ctx, name);
        _cleanup_free_ char *to = context_container_dir(ctx, new_name);
        if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) < 0) {
                if (errno == EEXIST)
                        return berth_error_setf(reterr, EEXIST, "rename '%s': '%s' already exists",
                                                name, new_name);
                return berth_error_set(reterr, errno, "rename '%s' to '%s'", name, new_name);
        }
        _cleanup_(config_freep) BerthConfig *original = config_copy(c);
        r = follow_name(ctx, name, new_name, c, reterr);
        if (r < 0) {
                _cleanup_free_ char *cfg = context_config_path(ctx, new_name);
                (void)config_save(original, cfg, NULL);
                /* Back under the old name: the container stays as it was. */
                if (renameat2(AT_FDCWD, to, AT_FDCWD, from, RENAME_NOREPLACE) < 0)
                        return berth_error_prefix(reterr, r,
                                                  "rename '%s' to '%s' (it is now '%s')", name,
                                                  new_name, new_name);
                return berth_error_prefix(reterr, r, "rename '%s' to '%s'", name, new_name);
        }
        /* A runtime directory left by the last run (its monitor.lock) goes with the old name. */
        _cleanup_free_ char *old_run = context_run_dir(ctx, name);
        (void)rm_rf_at(AT_FDCWD, old_run);
        return 0;
}
