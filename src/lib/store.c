/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store's own safety. An unprivileged container's rootfs holds files owned by host ids
 * that container root chose (a setuid-root binary, say): the store and every container
 * directory are 0700, so no other host user can reach into them. Created so, and repaired
 * (with a notice) when found otherwise. */
#include <fcntl.h>
#include <sys/stat.h>

#include "container-internal.h"
#include "path-util.h"

static int secure_dir(BerthContext *ctx, const char *what, const char *path, BerthError **reterr)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(reterr, errno, "open %s '%s'", what, path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return berth_error_set(reterr, errno, "stat %s '%s'", what, path);
        if (st.st_uid != geteuid())
                return berth_error_setf(reterr, EPERM,
                                        "%s '%s' belongs to uid %u, not to us: fix its owner",
                                        what, path, (unsigned)st.st_uid);
        if ((st.st_mode & 07777) == 0700)
                return 0;
        if (fchmod(fd, 0700) < 0)
                return berth_error_set(reterr, errno, "make %s '%s' 0700", what, path);
        context_progress(ctx, -1, "notice: %s '%s' was reachable by other users (mode %04o): "
                                  "made it 0700",
                         what, path, (unsigned)(st.st_mode & 07777));
        return 0;
}

int store_prepare(BerthContext *ctx, BerthError **reterr)
{
        int r = mkdir_p_at(AT_FDCWD, ctx->store, 0700);
        if (r < 0)
                return berth_error_set(reterr, r, "create store '%s'", ctx->store);
        return secure_dir(ctx, "store", ctx->store, reterr);
}

int store_secure_container(BerthContext *ctx, const char *name, BerthError **reterr)
{
        int r = store_prepare(ctx, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = context_container_dir(ctx, name);
        return secure_dir(ctx, "container directory", dir, reterr);
}
