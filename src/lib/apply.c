/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth create -f: a composition file applied idempotently. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "compose.h"
#include "container-internal.h"
#include "ns/idmap.h"
#include "path-util.h"
#include "strv.h"

#define APPLY_READY_TIMEOUT_USEC (300 * 1000000ULL)

void berth_apply_result_clear(BerthApplyResult *r)
{
        strv_free(r->created);
        strv_free(r->existing);
        strv_free(r->started);
        *r = (BerthApplyResult){};
}

static bool container_exists(BerthContext *ctx, const char *name)
{
        _cleanup_free_ char *cfg = context_config_path(ctx, name);
        return access(cfg, F_OK) >= 0;
}

/* Everything that can be known wrong is checked before the first change. */
static int apply_check(BerthContext *ctx, const char *path, const Compose *c,
                       BerthError **reterr)
{
        for (size_t i = 0; i < c->n_entries; i++) {
                const ComposeEntry *e = &c->entries[i];
                if (container_exists(ctx, e->config->name))
                        continue;
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                int r = template_check(ctx, e->config->template_name, e->config->name,
                                       e->config->template_options, &err);
                if (r < 0)
                        return berth_error_setf(reterr, -r, "%s:%u:%u: container '%s': %s", path,
                                                e->line, e->column, e->config->name,
                                                berth_error_message(err, r));
        }
        return 0;
}

/* A volume berth creates belongs to the root of the first unprivileged container that mounts
 * it (host root when none does), so that container can write to it; the others, with ranges
 * of their own, get what the modes give everybody. The container exists by now: its host ids
 * are the ones recorded in its config. */
static uid_t volume_owner(BerthContext *ctx, const Compose *c, const char *volume)
{
        for (size_t i = 0; i < c->n_entries; i++) {
                const BerthConfig *decl = c->entries[i].config;
                for (size_t j = 0; j < decl->n_mounts; j++) {
                        if (!decl->mounts[j].bind || !streq_ptr(decl->mounts[j].source, volume))
                                continue;
                        _cleanup_free_ char *path = context_config_path(ctx, decl->name);
                        _cleanup_(config_freep) BerthConfig *cfg = NULL;
                        if (config_load_file(path, &cfg, NULL) < 0 || cfg->privileged)
                                break;
                        size_t n;
                        const BerthIdmap *map = idmap_effective(cfg, &n);
                        return idmap_host_root(map, n);
                }
        }
        return 0;
}

int berth_apply(BerthContext *ctx, const char *path, BerthApplyResult *ret, BerthError **reterr)
{
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r = config_read_file(path, "", &text, &size, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "apply");

        _cleanup_(compose_freep) Compose *c = NULL;
        r = compose_parse(text, size, path, &c, reterr);
        if (r >= 0)
                r = apply_check(ctx, path, c, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "apply");

        BerthApplyResult res = {};
        for (size_t i = 0; i < c->n_entries; i++) {
                const ComposeEntry *e = &c->entries[i];
                const char *name = e->config->name;
                if (container_exists(ctx, name)) {
                        strv_extend(&res.existing, name);
                        continue;
                }
                CreateRequest req = {
                        .template_name = e->config->template_name,
                        .template_args = e->config->template_options,
                        .settings = e->text,
                        .settings_name = path,
                };
                r = container_create(ctx, name, &req, reterr);
                if (r < 0) {
                        berth_apply_result_clear(&res);
                        return berth_error_prefix(reterr, r, "apply");
                }
                strv_extend(&res.created, name);
        }
        STRV_FOREACH(v, c->volumes) {
                bool existed = access(*v, F_OK) >= 0;
                r = mkdir_p_at(AT_FDCWD, *v, 0755);
                uid_t owner = volume_owner(ctx, c, *v);
                if (r >= 0 && !existed && owner != 0 && owner != (uid_t)-1 &&
                    chown(*v, owner, owner) < 0)
                        r = negative_errno();
                if (r < 0) {
                        berth_apply_result_clear(&res);
                        return berth_error_set(reterr, r, "apply: create volume '%s'", *v);
                }
        }
        STRV_FOREACH(s, c->start) {
                BerthInfo info = {};
                r = berth_info(ctx, *s, &info, reterr);
                bool running = r >= 0 && info.state != BERTH_STATE_STOPPED;
                berth_info_clear(&info);
                if (r < 0) {
                        berth_apply_result_clear(&res);
                        return berth_error_prefix(reterr, r, "apply");
                }
                if (running)
                        continue;
                /* In order, each ready before the next: the order is the dependency order. */
                r = berth_start(ctx, *s, NULL, reterr);
                if (r >= 0)
                        r = berth_wait_ready(ctx, *s, APPLY_READY_TIMEOUT_USEC, reterr);
                if (r < 0) {
                        berth_apply_result_clear(&res);
                        return berth_error_prefix(reterr, r, "apply");
                }
                strv_extend(&res.started, *s);
        }
        if (ret)
                *ret = res;
        else
                berth_apply_result_clear(&res);
        return 0;
}
