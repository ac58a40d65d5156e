/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Host id ranges for unprivileged containers. Each container gets its own 65536 ids, a block
 * of root's subordinate ids (/etc/subuid and /etc/subgid), recorded in its config at create:
 * one container's root then owns nothing of another's, on disk or on a shared volume. The
 * rootfs is an idmapped mount, so giving a container (a clone, say) another range is a config
 * change, never a chown. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>

#include "container-internal.h"
#include "fileio.h"
#include "idalloc.h"
#include "ns/idmap.h"
#include "parse.h"
#include "path-util.h"
#include "strv.h"

#define SUBID_FILE_MAX (1024 * 1024)
/* Where an entry berth adds for root begins, and how many ids it holds: far above the
 * ranges adduser hands to users (from 100000 up), as LXD and Incus do. */
#define SUBID_ADD_START 1000000ULL
#define SUBID_ADD_COUNT 1000000000ULL

int subid_parse(const char *text, const char *user, uid_t uid, IdRange **ret, size_t *ret_n)
{
        _cleanup_free_ IdRange *ranges = NULL;
        size_t n = 0;
        char uid_s[16];
        snprintf(uid_s, sizeof(uid_s), "%u", (unsigned)uid);
        for (const char *line = text; line && *line;) {
                const char *end = strchrnul(line, '\n');
                _cleanup_free_ char *l = xstrndup(line, end - line);
                line = *end ? end + 1 : end;
                char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c1 || !c2 || strchr(c2 + 1, ':'))
                        continue; /* comments and junk: not ours to judge */
                *c1 = *c2 = 0;
                if (!streq(l, user) && !streq(l, uid_s))
                        continue;
                uint64_t start, count;
                if (parse_uint64(c1 + 1, &start) < 0 || parse_uint64(c2 + 1, &count) < 0 ||
                    count == 0 || start > UINT32_MAX || count > UINT32_MAX - start)
                        continue;
                ranges = xreallocarray(ranges, n + 1, sizeof(IdRange));
                ranges[n++] = (IdRange){start, count};
        }
        *ret = TAKE_PTR(ranges);
        *ret_n = n;
        return 0;
}

/* The highest end of any entry (any user) of a subid file's text. */
static uint64_t subid_end(const char *text)
{
        uint64_t end = 0;
        for (const char *line = text; line && *line;) {
                const char *nl = strchrnul(line, '\n');
                _cleanup_free_ char *l = xstrndup(line, nl - line);
                line = *nl ? nl + 1 : nl;
                char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                uint64_t start, count;
                if (c1 && c2 && (*c2 = 0, parse_uint64(c1 + 1, &start) >= 0) &&
                    parse_uint64(c2 + 1, &count) >= 0 && start + count > end)
                        end = start + count;
        }
        return end;
}

/* Root's ranges in path; when it has none, an entry is added (with a notice). */
static int subid_ensure(BerthContext *ctx, const char *path, IdRange **ret, size_t *ret_n,
                        BerthError **reterr)
{
        _cleanup_free_ char *text = NULL;
        int r = read_full_file_at(AT_FDCWD, path, SUBID_FILE_MAX, &text, NULL);
        if (r == -ENOENT)
                text = xstrdup("");
        else if (r < 0)
                return berth_error_set(reterr, r, "read '%s'", path);
        r = subid_parse(text, "root", 0, ret, ret_n);
        if (r < 0 || *ret_n > 0)
                return r;

        uint64_t start = MAX(SUBID_ADD_START, subid_end(text));
        if (start + SUBID_ADD_COUNT > UINT32_MAX)
                return berth_error_setf(reterr, ERANGE,
                                        "add subordinate ids for root to '%s': no room above %llu",
                                        path, (unsigned long long)start);
        size_t len = strlen(text);
        _cleanup_free_ char *entry = xasprintf("root:%llu:%llu\n", (unsigned long long)start,
                                               SUBID_ADD_COUNT);
        _cleanup_free_ char *updated = xasprintf("%s%s%s", text,
                                                 len && text[len - 1] != '\n' ? "\n" : "", entry);
        r = write_file_atomic_at(AT_FDCWD, path, updated, strlen(updated), 0644);
        if (r < 0)
                return berth_error_set(reterr, r, "add subordinate ids for root to '%s'", path);
        entry[strlen(entry) - 1] = 0;
        context_progress(ctx, -1, "notice: root had no subordinate ids: added '%s' to '%s'", entry,
                         path);
        free(*ret);
        *ret = xcalloc(1, sizeof(IdRange));
        (*ret)[0] = (IdRange){start, SUBID_ADD_COUNT};
        *ret_n = 1;
        return 0;
}

int idmap_lock_store(BerthContext *ctx, int *ret_fd, BerthError **reterr)
{
        int r = store_prepare(ctx, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = path_join(ctx->store, ".idmap.lock");
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return berth_error_set(reterr, errno, "open '%s'", path);
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return berth_error_set(reterr, errno, "lock '%s'", path);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

typedef struct Used {
        IdRange range;
        char *owner; /* the container's name */
} Used;

static void used_free(Used *u, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(u[i].owner);
        free(u);
}

/* The host ranges of every container but self, also of creates in progress (their config is
 * saved, under the lock, before they are renamed into place). */
static int used_ranges(BerthContext *ctx, const char *self, Used **ret, size_t *ret_n,
                       BerthError **reterr)
{
        Used *used = NULL;
        size_t n = 0;
        _cleanup_closedir_ DIR *d = opendir(ctx->store);
        if (!d)
                return berth_error_set(reterr, errno, "list '%s'", ctx->store);
        for (struct dirent *de; (de = readdir(d));) {
                const char *dn = de->d_name;
                _cleanup_free_ char *owner = NULL;
                if (berth_name_is_valid(dn))
                        owner = xstrdup(dn);
                else if (dn[0] == '.' && strstr(dn, ".create-"))
                        owner = xstrndup(dn + 1, strstr(dn, ".create-") - dn - 1);
                else
                        continue;
                if (self && streq(dn, self))
                        continue;
                _cleanup_free_ char *cfg = xasprintf("%s/%s/config.yaml", ctx->store, dn);
                _cleanup_(config_freep) BerthConfig *c = NULL;
                if (config_load_file(cfg, &c, NULL) < 0 || c->privileged)
                        continue;
                size_t k;
                const BerthIdmap *map = idmap_effective(c, &k);
                for (size_t i = 0; i < k; i++) {
                        used = xreallocarray(used, n + 1, sizeof(Used));
                        used[n++] = (Used){{map[i].host, map[i].count}, xstrdup(owner)};
                }
        }
        *ret = used;
        *ret_n = n;
        return 0;
}

static bool overlap(IdRange a, IdRange b)
{
        return a.start < b.start + b.count && b.start < a.start + a.count;
}

static bool inside(IdRange a, const IdRange *ranges, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (a.start >= ranges[i].start &&
                    a.start + a.count <= ranges[i].start + ranges[i].count)
                        return true;
        return false;
}

int idmap_pick(const IdRange *uids, size_t n_uids, const IdRange *gids, size_t n_gids,
               const IdRange *used, size_t n_used, IdRange *ret)
{
        for (size_t i = 0; i < n_uids; i++)
                for (uint64_t s = uids[i].start; s + IDMAP_BLOCK <= uids[i].start + uids[i].count;
                     s += IDMAP_BLOCK) {
                        IdRange cand = {s, IDMAP_BLOCK};
                        if (!inside(cand, gids, n_gids))
                                continue;
                        bool taken = false;
                        for (size_t j = 0; j < n_used && !taken; j++)
                                taken = overlap(cand, used[j]);
                        if (!taken) {
                                *ret = cand;
                                return 0;
                        }
                }
        return -ENOSPC;
}

int idmap_allocate(BerthContext *ctx, BerthConfig *c, const char *self, BerthError **reterr)
{
        _cleanup_free_ IdRange *uids = NULL, *gids = NULL;
        size_t n_uids = 0, n_gids = 0;
        int r = subid_ensure(ctx, ctx->subuid_path, &uids, &n_uids, reterr);
        if (r >= 0)
                r = subid_ensure(ctx, ctx->subgid_path, &gids, &n_gids, reterr);
        if (r < 0)
                return r;
        Used *used = NULL;
        size_t n_used = 0;
        r = used_ranges(ctx, self, &used, &n_used, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ IdRange *taken = xcalloc(n_used + 1, sizeof(IdRange));
        for (size_t i = 0; i < n_used; i++)
                taken[i] = used[i].range;
        used_free(used, n_used);

        IdRange got;
        if (idmap_pick(uids, n_uids, gids, n_gids, taken, n_used, &got) < 0)
                return berth_error_setf(reterr, ENOSPC,
                                        "allocate host ids: no free block of %u ids left in "
                                        "root's ranges of '%s' and '%s'",
                                        IDMAP_BLOCK, ctx->subuid_path, ctx->subgid_path);
        free(c->idmap);
        c->idmap = xcalloc(1, sizeof(BerthIdmap));
        c->idmap[0] = (BerthIdmap){.container = 0, .host = (uint32_t)got.start,
                                   .count = IDMAP_BLOCK};
        c->n_idmap = 1;
        return 0;
}

int idmap_check_free(BerthContext *ctx, const BerthConfig *c, const char *self,
                     BerthError **reterr)
{
        if (c->privileged)
                return 0;
        Used *used = NULL;
        size_t n_used = 0;
        int r = used_ranges(ctx, self, &used, &n_used, reterr);
        if (r < 0)
                return r;
        size_t k;
        const BerthIdmap *map = idmap_effective(c, &k);
        for (size_t i = 0; i < k && r >= 0; i++)
                for (size_t j = 0; j < n_used && r >= 0; j++)
                        if (overlap((IdRange){map[i].host, map[i].count}, used[j].range))
                                r = berth_error_setf(reterr, EBUSY,
                                                     "key 'idmap': host ids %u-%llu overlap "
                                                     "those of container '%s'",
                                                     map[i].host,
                                                     (unsigned long long)map[i].host +
                                                             map[i].count - 1,
                                                     used[j].owner);
        used_free(used, n_used);
        return r;
}
