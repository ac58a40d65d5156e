/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth create -f: a composition file applied as desired state, idempotently. A plan first
 * (remove, create, update or unchanged, start), which --dry-run prints; then the same plan
 * carried out. What the file creates is labelled with its project (labels.berth.compose), so
 * that --prune can tell what the file once created from what someone else did. Existing
 * containers get the keys their entry declares through the path berth set takes (config-change.h):
 * limits live, the rest at the next start; keys an entry does not mention are left alone. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "compose.h"
#include "config-change.h"
#include "container-internal.h"
#include "ns/idmap.h"
#include "path-util.h"
#include "strv.h"

#define APPLY_READY_TIMEOUT_USEC (300 * 1000000ULL)

#define COMPOSE_LABEL CONFIG_LABEL_COMPOSE

static const char *const action_table[_BERTH_APPLY_ACTION_MAX] = {
        [BERTH_APPLY_REMOVE] = "remove",       [BERTH_APPLY_CREATE] = "create",
        [BERTH_APPLY_UPDATE] = "update",       [BERTH_APPLY_UNCHANGED] = "unchanged",
        [BERTH_APPLY_START] = "start",
};
DEFINE_STRING_TABLE_LOOKUP(berth_apply_action, BerthApplyAction, action_table)

void berth_apply_result_clear(BerthApplyResult *r)
{
        strv_free(r->created);
        strv_free(r->existing);
        strv_free(r->started);
        for (size_t i = 0; i < r->n_steps; i++) {
                free(r->steps[i].name);
                berth_config_change_clear(&r->steps[i].change);
        }
        free(r->steps);
        *r = (BerthApplyResult){};
}

static BerthApplyStep *add_step(BerthApplyResult *r, BerthApplyAction a, const char *name)
{
        r->steps = xreallocarray(r->steps, r->n_steps + 1, sizeof(BerthApplyStep));
        BerthApplyStep *s = &r->steps[r->n_steps++];
        *s = (BerthApplyStep){.action = a, .name = xstrdup(name)};
        return s;
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

/* The label value of a project, as a YAML double-quoted scalar (config_assign takes YAML). */
static char *label_assignment(const char *project)
{
        _cleanup_free_ char *q = xmalloc(strlen(project) * 2 + 3);
        char *p = q;
        *p++ = '"';
        for (const char *s = project; *s; s++) {
                if (*s == '"' || *s == '\\')
                        *p++ = '\\';
                *p++ = *s;
        }
        *p++ = '"';
        *p = 0;
        return xasprintf("labels." COMPOSE_LABEL "=%s", q);
}

static char *label_of(const BerthConfig *c)
{
        size_t n = strlen(COMPOSE_LABEL);
        STRV_FOREACH(l, c->labels)
                if (strncmp(*l, COMPOSE_LABEL, n) == 0 && (*l)[n] == '=')
                        return *l + n + 1;
        return NULL;
}

/* What an existing container is to become: the keys its entry declares, on top of what it
 * has. Its template is only how it was built (a changed one rebuilds nothing), and the file's
 * label stays where the file put it. */
typedef struct Converge {
        const ComposeEntry *e;
        const char *path;
} Converge;

static int converge(BerthConfig **c, void *userdata, BerthError **reterr)
{
        const Converge *cv = userdata;
        _cleanup_(config_freep) BerthConfig *before = config_copy(*c);
        int r = config_parse_into(*c, cv->e->text, strlen(cv->e->text), cv->path, reterr);
        if (r < 0)
                return r;
        free((*c)->template_name);
        (*c)->template_name = before->template_name ? xstrdup(before->template_name) : NULL;
        strv_free((*c)->template_options);
        (*c)->template_options = before->template_options ? strv_copy(before->template_options)
                                                          : NULL;
        const char *label = label_of(before);
        if (label && !label_of(*c)) {
                _cleanup_free_ char *a = label_assignment(label);
                r = config_assign(*c, "labels." COMPOSE_LABEL, strchr(a, '=') + 1, reterr);
        }
        return r;
}

static bool is_running(BerthContext *ctx, const char *name)
{
        BerthInfo info = {};
        bool running = berth_info(ctx, name, &info, NULL) >= 0 &&
                       info.state != BERTH_STATE_STOPPED;
        berth_info_clear(&info);
        return running;
}

static bool declared(const Compose *c, const char *name)
{
        for (size_t i = 0; i < c->n_entries; i++)
                if (streq(c->entries[i].config->name, name))
                        return true;
        return false;
}

/* The containers of the store the file created (its label) and no longer declares. */
static int plan_prune(BerthContext *ctx, const Compose *c, const char *project,
                      BerthApplyResult *res, BerthError **reterr)
{
        _cleanup_strv_free_ char **names = NULL;
        int r = berth_list(ctx, &names, reterr);
        if (r < 0)
                return r;
        STRV_FOREACH(n, names) {
                if (declared(c, *n))
                        continue;
                _cleanup_free_ char *path = context_config_path(ctx, *n);
                _cleanup_(config_freep) BerthConfig *cfg = NULL;
                if (config_load_file(path, &cfg, NULL) < 0)
                        continue; /* unreadable: not known to be the file's */
                const char *label = label_of(cfg);
                if (label && streq(label, project))
                        add_step(res, BERTH_APPLY_REMOVE, *n);
        }
        return 0;
}

static int plan(BerthContext *ctx, const char *path, const Compose *c, const char *project,
                bool prune, BerthApplyResult *res, BerthError **reterr)
{
        int r;
        if (prune) {
                r = plan_prune(ctx, c, project, res, reterr);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_entries; i++) {
                const ComposeEntry *e = &c->entries[i];
                const char *name = e->config->name;
                if (!container_exists(ctx, name)) {
                        add_step(res, BERTH_APPLY_CREATE, name);
                        continue;
                }
                Converge cv = {.e = e, .path = path};
                ConfigChangeRequest req = {
                        .action = "apply", .edit = converge, .userdata = &cv, .dry_run = true};
                BerthConfigChange change = {};
                r = config_change(ctx, name, &req, &change, reterr);
                if (r < 0)
                        return r;
                BerthApplyStep *s = add_step(res, change.changed ? BERTH_APPLY_UPDATE
                                                                  : BERTH_APPLY_UNCHANGED, name);
                s->change = change;
        }
        STRV_FOREACH(n, c->start) {
                bool created = false;
                for (size_t i = 0; i < res->n_steps; i++)
                        created = created || (res->steps[i].action == BERTH_APPLY_CREATE &&
                                              streq(res->steps[i].name, *n));
                if (created || !is_running(ctx, *n))
                        add_step(res, BERTH_APPLY_START, *n);
        }
        return 0;
}

static int create_volumes(BerthContext *ctx, const Compose *c, BerthError **reterr)
{
        STRV_FOREACH(v, c->volumes) {
                bool existed = access(*v, F_OK) >= 0;
                int r = mkdir_p_at(AT_FDCWD, *v, 0755);
                uid_t owner = volume_owner(ctx, c, *v);
                if (r >= 0 && !existed && owner != 0 && owner != (uid_t)-1 &&
                    chown(*v, owner, owner) < 0)
                        r = negative_errno();
                if (r < 0)
                        return berth_error_set(reterr, r, "create volume '%s'", *v);
        }
        return 0;
}

/* One step of the plan, for real. */
static int carry_out(BerthContext *ctx, const char *path, const Compose *c, const char *project,
                     BerthApplyStep *s, BerthApplyResult *res, BerthError **reterr)
{
        const ComposeEntry *e = NULL;
        for (size_t i = 0; i < c->n_entries && !e; i++)
                if (streq(c->entries[i].config->name, s->name))
                        e = &c->entries[i];
        int r = 0;
        switch (s->action) {
        case BERTH_APPLY_REMOVE:
                return berth_destroy(ctx, s->name, BERTH_DESTROY_FORCE, reterr);
        case BERTH_APPLY_CREATE: {
                _cleanup_free_ char *label = label_assignment(project);
                char *assignments[] = {label, NULL};
                CreateRequest req = {
                        .template_name = e->config->template_name,
                        .template_args = e->config->template_options,
                        .settings = e->text,
                        .settings_name = path,
                        .assignments = assignments,
                };
                r = container_create(ctx, s->name, &req, reterr);
                if (r >= 0)
                        strv_extend(&res->created, s->name);
                return r;
        }
        case BERTH_APPLY_UPDATE:
        case BERTH_APPLY_UNCHANGED: {
                strv_extend(&res->existing, s->name);
                if (s->action == BERTH_APPLY_UNCHANGED)
                        return 0;
                /* Planned under another lock: what is done now is what is reported. */
                Converge cv = {.e = e, .path = path};
                ConfigChangeRequest req = {.action = "apply", .edit = converge, .userdata = &cv};
                berth_config_change_clear(&s->change);
                return config_change(ctx, s->name, &req, &s->change, reterr);
        }
        case BERTH_APPLY_START:
                /* In order, each ready before the next: the order is the dependency order. */
                if (is_running(ctx, s->name))
                        return 0;
                r = berth_start(ctx, s->name, NULL, reterr);
                if (r >= 0)
                        r = berth_wait_ready(ctx, s->name, APPLY_READY_TIMEOUT_USEC, reterr);
                if (r >= 0)
                        strv_extend(&res->started, s->name);
                return r;
        default:
                abort();
        }
}

int berth_apply_with(BerthContext *ctx, const char *path, const BerthApplyOptions *opts,
                     BerthApplyResult *ret, BerthError **reterr)
{
        static const BerthApplyOptions none = {};
        if (!opts)
                opts = &none;
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
        /* The file's identity: its project, else where it is (the same file from any cwd). */
        _cleanup_free_ char *project = c->project ? xstrdup(c->project) : realpath(path, NULL);
        if (!project)
                return berth_error_set(reterr, errno, "apply: resolve '%s'", path);

        BerthApplyResult res = {};
        r = plan(ctx, path, c, project, opts->prune, &res, reterr);
        if (r >= 0 && !opts->dry_run) {
                /* Removals first (they may free what a new container needs), then creations,
                 * the volumes (owned by the first container that binds them), updates, starts. */
                static const BerthApplyAction order[] = {BERTH_APPLY_REMOVE, BERTH_APPLY_CREATE,
                                                         BERTH_APPLY_UPDATE, BERTH_APPLY_START};
                for (size_t o = 0; o < ELEMENTSOF(order) && r >= 0; o++) {
                        if (order[o] == BERTH_APPLY_UPDATE)
                                r = create_volumes(ctx, c, reterr);
                        for (size_t i = 0; i < res.n_steps && r >= 0; i++) {
                                BerthApplyStep *s = &res.steps[i];
                                if (s->action == order[o] ||
                                    (order[o] == BERTH_APPLY_UPDATE &&
                                     s->action == BERTH_APPLY_UNCHANGED))
                                        r = carry_out(ctx, path, c, project, s, &res, reterr);
                        }
                }
        }
        if (r < 0) {
                berth_apply_result_clear(&res);
                return berth_error_prefix(reterr, r, "apply");
        }
        if (ret)
                *ret = res;
        else
                berth_apply_result_clear(&res);
        return 0;
}

int berth_apply(BerthContext *ctx, const char *path, BerthApplyResult *ret, BerthError **reterr)
{
        return berth_apply_with(ctx, path, NULL, ret, reterr);
}
