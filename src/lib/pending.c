/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Entry points declared in berth.h whose implementation has not landed yet. Each fails with
 * EOPNOTSUPP and a message saying so, and is deleted from here by the change that implements
 * it. This file must be empty (and then removed) before the issues that own these calls are
 * resolved. */
#include "berth.h"

#define PENDING(what) berth_error_setf(reterr, EOPNOTSUPP, "%s: not implemented yet", what)







void berth_snapshots_free(BerthSnapshot *snaps, size_t n)
{
}

int berth_snapshot_create(BerthContext *ctx, const char *name, const char *snap,
                          const char *comment, char **ret_snap, BerthError **reterr)
{
        return PENDING("snapshot");
}

int berth_snapshot_list(BerthContext *ctx, const char *name, BerthSnapshot **ret, size_t *ret_n,
                        BerthError **reterr)
{
        return PENDING("snapshot list");
}

int berth_snapshot_restore(BerthContext *ctx, const char *name, const char *snap,
                           const char *as_name, bool force, BerthError **reterr)
{
        return PENDING("snapshot restore");
}

int berth_snapshot_delete(BerthContext *ctx, const char *name, const char *snap,
                          BerthError **reterr)
{
        return PENDING("snapshot delete");
}

int berth_snapshot_scheduled(BerthContext *ctx, uint64_t now_usec, BerthError **reterr)
{
        return PENDING("scheduled snapshots");
}

int berth_clone(BerthContext *ctx, const char *src, const char *dst,
                const BerthCloneOptions *opts, BerthError **reterr)
{
        return PENDING("clone");
}


