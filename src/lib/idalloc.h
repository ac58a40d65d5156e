/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Host id ranges for unprivileged containers: one disjoint block of root's subordinate ids
 * each. */

#include <stdint.h>
#include <sys/types.h>

#include "berth.h"
#include "config/config.h"

#define IDMAP_BLOCK 65536U

typedef struct IdRange {
        uint64_t start, count;
} IdRange;

/* Pure: the ranges of user (by name or numeric uid) in the text of /etc/subuid or
 * /etc/subgid ("user:start:count" lines; malformed lines are skipped). */
int subid_parse(const char *text, const char *user, uid_t uid, IdRange **ret, size_t *ret_n);
/* Pure: the first IDMAP_BLOCK-sized block (aligned to its uid range's start) inside both a uid
 * and a gid range that overlaps nothing in used; -ENOSPC when there is none. */
int idmap_pick(const IdRange *uids, size_t n_uids, const IdRange *gids, size_t n_gids,
               const IdRange *used, size_t n_used, IdRange *ret);

/* The store-wide lock for id bookkeeping: hold it from allocating (or checking) a range until
 * the config that records it is saved. */
int idmap_lock_store(BerthContext *ctx, int *ret_fd, BerthError **reterr);
/* With the lock held: gives c (unprivileged) a free block, replacing any idmap it had. Root's
 * entries of the subordinate id files are added when missing (with a notice). self: the
 * store entry (container directory name) whose own range counts as free, or NULL. */
int idmap_allocate(BerthContext *ctx, BerthConfig *c, const char *self, BerthError **reterr);
/* With the lock held: EBUSY when c's idmap overlaps another container's. */
int idmap_check_free(BerthContext *ctx, const BerthConfig *c, const char *self,
                     BerthError **reterr);
