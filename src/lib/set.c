/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth set, berth config edit: a container's config changed in place, checked as the file is,
 * with changed limits applied to the running container through its monitor, and saved; both
 * or neither. */
#include <fcntl.h>
#include <string.h>

#include "config-change.h"
#include "container-internal.h"
#include "fileio.h"
#include "idalloc.h"
#include "live-limits.h"
#include "monitor/monitor.h"
#include "strv.h"

void berth_config_change_clear(BerthConfigChange *c)
{
        if (!c)
                return;
        strv_free(c->changed);
        strv_free(c->live);
        strv_free(c->next_start);
        *c = (BerthConfigChange){};
}

static bool has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* What a key's change needs: applied to the cgroup now, nothing (read when used), or a start. */
typedef enum KeyEffect {
        KEY_LIVE,
        KEY_NO_START,
        KEY_NEXT_START,
} KeyEffect;

static KeyEffect key_effect(const char *key)
{
        if (has_prefix(key, "limits."))
                return KEY_LIVE;
        /* Read by berth autostart, berth create -f, the snapshot schedule: not by a start. */
        if (has_prefix(key, "autostart.") || streq(key, "labels") || has_prefix(key, "template.") ||
            has_prefix(key, "snapshots."))
                return KEY_NO_START;
        return KEY_NEXT_START;
}

/* Keys a config change cannot touch, and what to do instead. */
static const char *key_refusal(const char *key)
{
        if (streq(key, "name"))
                return "the name is the container's directory: use 'berth rename'";
        if (has_prefix(key, "rootfs."))
                return "the rootfs stays where its backend put it";
        return NULL;
}

static int check_idmap(BerthContext *ctx, const char *name, BerthConfig *c, char **changed,
                       bool dry_run, int *ret_lock, BerthError **reterr)
{
        if (c->privileged || (!strv_contains(changed, "idmap") &&
                              !strv_contains(changed, "privileged")))
                return 0;
        /* An allocation may add root's entries to the subordinate id files: not in a dry run. */
        if (dry_run && c->n_idmap == 0)
                return 0;
        /* Held until the config that records the range is saved. */
        int r = idmap_lock_store(ctx, ret_lock, reterr);
        if (r < 0)
                return r;
        return c->n_idmap == 0 ? idmap_allocate(ctx, c, name, reterr)
                               : idmap_check_free(ctx, c, name, reterr);
}

static int save(const char *path, const BerthConfig *c, const char *text, BerthError **reterr)
{
        if (!text)
                return config_save(c, path, reterr);
        /* 0600 as config_save: the environment may carry secrets. */
        int r = write_file_atomic_at(AT_FDCWD, path, text, strlen(text), 0600);
        if (r < 0)
                return berth_error_set(reterr, r, "save config '%s'", path);
        return 0;
}

int config_change(BerthContext *ctx, const char *name, const ConfigChangeRequest *req,
                  BerthConfigChange *ret, BerthError **reterr)
{
        const char *action = req->action;
        _cleanup_close_ int lock = -EBADF, idlock = -EBADF;
        int r = container_lock_adopted(ctx, name, action, &lock, reterr);
        if (r < 0)
                return r;
        _cleanup_(config_freep) BerthConfig *old = NULL;
        r = container_load_config(ctx, name, action, &old, reterr);
        if (r < 0)
                return r;

        _cleanup_(config_freep) BerthConfig *c = config_copy(old);
        r = req->edit(&c, req->userdata, reterr);
        if (r >= 0)
                r = config_validate(c, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "%s '%s'", action, name);

        _cleanup_strv_free_ char **changed = config_changed_keys(old, c);
        STRV_FOREACH(k, changed) {
                const char *why = key_refusal(*k);
                if (why)
                        return berth_error_setf(reterr, EINVAL, "%s '%s': key '%s': %s", action,
                                                name, *k, why);
        }
        r = check_idmap(ctx, name, c, changed, req->dry_run, &idlock, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "%s '%s'", action, name);

        bool running = container_running(ctx, name);
        bool limits = false;
        STRV_FOREACH(k, changed)
                limits = limits || key_effect(*k) == KEY_LIVE;

        BerthLimits previous = {};
        bool applied = false;
        if (!req->dry_run && running && limits) {
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                r = container_change_limits(ctx, name, action, &c->limits, &previous, &err);
                if (r == -ESRCH)
                        running = false; /* it stopped meanwhile: the next start reads the file */
                else if (r < 0) {
                        if (reterr && !*reterr)
                                *reterr = TAKE_PTR(err);
                        return r;
                } else
                        applied = true;
        }

        if (!req->dry_run && (changed || req->text)) {
                _cleanup_free_ char *path = context_config_path(ctx, name);
                /* An id range allocated here is not in the text: then the whole config. */
                bool text_ok = req->text && !(c->n_idmap > 0 && strv_contains(changed, "idmap") &&
                                              idlock >= 0 && old->n_idmap == 0);
                r = save(path, c, text_ok ? req->text : NULL, reterr);
                if (r < 0) {
                        if (applied)
                                (void)container_change_limits(ctx, name, action, &previous, NULL,
                                                              NULL);
                        return berth_error_prefix(reterr, r, "%s '%s'", action, name);
                }
        }

        if (ret) {
                BerthConfigChange res = {};
                STRV_FOREACH(k, changed) {
                        strv_extend(&res.changed, *k);
                        KeyEffect e = key_effect(*k);
                        if (e == KEY_LIVE && running)
                                strv_extend(&res.live, *k);
                        else if (e == KEY_NEXT_START && running)
                                strv_extend(&res.next_start, *k);
                }
                *ret = res;
        }
        return 0;
}

/* ---- berth set -------------------------------------------------------------------------------- */

static int assign_all(BerthConfig **c, void *userdata, BerthError **reterr)
{
        char **assignments = userdata;
        STRV_FOREACH(a, assignments) {
                const char *eq = strchr(*a, '=');
                if (!eq) {
                        _cleanup_free_ char *esc = berth_escape(*a);
                        return berth_error_setf(reterr, EINVAL,
                                                "invalid assignment '%s': use KEY=VALUE", esc);
                }
                _cleanup_free_ char *key = xstrndup(*a, eq - *a);
                int r = config_assign(*c, key, eq + 1, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

int berth_set(BerthContext *ctx, const char *name, char **assignments, BerthConfigChange *ret,
              BerthError **reterr)
{
        if (!assignments || !*assignments)
                return berth_error_setf(reterr, EINVAL, "set '%s': nothing to set", name);
        ConfigChangeRequest req = {.action = "set", .edit = assign_all, .userdata = assignments};
        return config_change(ctx, name, &req, ret, reterr);
}

/* ---- berth config NAME edit ------------------------------------------------------------------- */

typedef struct Replacement {
        const char *name;
        const char *text;
        const char *filename;
} Replacement;

static int replace_all(BerthConfig **c, void *userdata, BerthError **reterr)
{
        const Replacement *rp = userdata;
        _cleanup_(config_freep) BerthConfig *n = config_new();
        int r = config_parse_into(n, rp->text, strlen(rp->text), rp->filename, reterr);
        if (r < 0)
                return r;
        /* The name comes from the store; a file may leave it out. */
        if (!n->name)
                n->name = xstrdup(rp->name);
        config_free(*c);
        *c = TAKE_PTR(n);
        return 0;
}

int berth_config_text(BerthContext *ctx, const char *name, char **ret_text, BerthError **reterr)
{
        int r = container_check(ctx, name, "edit", reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = context_config_path(ctx, name);
        r = config_read_file(path, "config ", ret_text, NULL, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "edit '%s'", name);
        return 0;
}

int berth_config_replace(BerthContext *ctx, const char *name, const char *text,
                         const char *filename, BerthConfigChange *ret, BerthError **reterr)
{
        if (!text)
                return berth_error_setf(reterr, EINVAL, "edit '%s': no text given", name);
        if (strlen(text) > CONFIG_MAX_BYTES)
                return berth_error_setf(reterr, EBADMSG, "edit '%s': %s: file too large (max %d bytes)",
                                        name, filename ?: "<config>", CONFIG_MAX_BYTES);
        Replacement rp = {.name = name, .text = text, .filename = filename ?: "<config>"};
        ConfigChangeRequest req = {
                .action = "edit", .edit = replace_all, .userdata = &rp, .text = text};
        return config_change(ctx, name, &req, ret, reterr);
}
