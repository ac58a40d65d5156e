/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "context.h"
#include "path-util.h"

static char *pick(const char *opt, const char *env, const char *def)
{
        if (opt && *opt)
                return xstrdup(opt);
        const char *e = env ? getenv(env) : NULL;
        if (e && *e)
                return xstrdup(e);
        return xstrdup(def);
}

/* Only absolute, normalised paths: a relative store would change meaning with the cwd of
 * whichever front end or monitor uses it. */
static int check_dir(const char *what, const char *p, BerthError **reterr)
{
        if (!path_is_absolute(p) || !path_is_normalized(p))
                return berth_error_setf(reterr, EINVAL, "set %s '%s': not an absolute path", what,
                                        p);
        return 0;
}

int berth_context_new(const BerthContextOptions *opts, BerthContext **ret, BerthError **reterr)
{
        BerthContextOptions none = {};
        if (!opts)
                opts = &none;

        _cleanup_(berth_context_freep) BerthContext *ctx = xcalloc(1, sizeof(*ctx));
        ctx->store = pick(opts->store, "BERTH_STORE", BERTH_STORE_DEFAULT);
        ctx->rundir = pick(opts->rundir, "BERTH_RUNDIR", BERTH_RUNDIR_DEFAULT);
        ctx->cgroup_parent = pick(opts->cgroup_parent, "BERTH_CGROUP", "berth");
        ctx->cache = pick(NULL, "BERTH_CACHE", BERTH_CACHE_DEFAULT);
        ctx->config_file = pick(opts->config_file, "BERTH_CONFIG", BERTH_SYSCONFDIR "/berth.yaml");
        ctx->subuid_path = pick(NULL, "BERTH_SUBUID", "/etc/subuid");
        ctx->subgid_path = pick(NULL, "BERTH_SUBGID", "/etc/subgid");
        ctx->call_timeout_usec = CALL_TIMEOUT_DEFAULT_USEC;
        ctx->templates_dir = pick(NULL, "BERTH_TEMPLATES_DIR", BERTH_TEMPLATES_DIR);
        ctx->monitor_path = pick(NULL, "BERTH_MONITOR", BERTH_MONITOR_PATH);

        int r = check_dir("store", ctx->store, reterr);
        if (r >= 0)
                r = check_dir("rundir", ctx->rundir, reterr);
        if (r >= 0)
                r = check_dir("cache", ctx->cache, reterr);
        if (r >= 0)
                r = check_dir("global config", ctx->config_file, reterr);
        if (r >= 0)
                r = check_dir("subordinate uid file", ctx->subuid_path, reterr);
        if (r >= 0)
                r = check_dir("subordinate gid file", ctx->subgid_path, reterr);
        if (r < 0)
                return r;
        if (!path_is_normalized(ctx->cgroup_parent) || path_is_absolute(ctx->cgroup_parent) ||
            strchr(ctx->cgroup_parent, '.'))
                return berth_error_setf(reterr, EINVAL,
                                        "set cgroup parent '%s': not a relative cgroup path "
                                        "without '.'",
                                        ctx->cgroup_parent);
        *ret = TAKE_PTR(ctx);
        return 0;
}

BerthContext *berth_context_free(BerthContext *ctx)
{
        if (ctx) {
                free(ctx->store);
                free(ctx->rundir);
                free(ctx->cgroup_parent);
                free(ctx->cache);
                for (size_t i = 0; i < ctx->n_config_cache; i++) {
                        free(ctx->config_cache[i].name);
                        config_free(ctx->config_cache[i].config);
                }
                free(ctx->config_cache);
                free(ctx->config_file);
                free(ctx->subuid_path);
                free(ctx->subgid_path);
                cgroup_layout_free(ctx->layout);
                free(ctx->templates_dir);
                free(ctx->monitor_path);
                free(ctx);
        }
        return NULL;
}

void berth_context_set_progress(BerthContext *ctx, BerthProgressFunc f, void *userdata)
{
        ctx->progress = f;
        ctx->progress_userdata = userdata;
}

void berth_context_set_call_timeout(BerthContext *ctx, uint64_t usec)
{
        ctx->call_timeout_usec = usec ? usec : CALL_TIMEOUT_DEFAULT_USEC;
}

void context_progress(BerthContext *ctx, double fraction, const char *fmt, ...)
{
        if (!ctx->progress)
                return;
        _cleanup_free_ char *line = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                oom();
        va_end(ap);
        ctx->progress(line, fraction, ctx->progress_userdata);
}

int context_config_cached(BerthContext *ctx, const char *name, const BerthConfig **ret,
                          BerthError **reterr)
{
        _cleanup_free_ char *path = context_config_path(ctx, name);
        struct stat st;
        if (stat(path, &st) < 0)
                return berth_error_set(reterr, errno, "read config '%s'", path);

        struct ConfigCacheEntry *e = NULL;
        for (size_t i = 0; i < ctx->n_config_cache && !e; i++)
                if (streq(ctx->config_cache[i].name, name))
                        e = &ctx->config_cache[i];
        /* A rename into place gives a new inode; an edit in place a new size or mtime. */
        if (e && e->dev == st.st_dev && e->ino == st.st_ino && e->size == st.st_size &&
            e->mtime.tv_sec == st.st_mtim.tv_sec && e->mtime.tv_nsec == st.st_mtim.tv_nsec) {
                *ret = e->config;
                return 0;
        }
        BerthConfig *c = NULL;
        int r = config_load_file(path, &c, reterr);
        if (r < 0)
                return r;
        if (!e) {
                ctx->config_cache = xreallocarray(ctx->config_cache, ctx->n_config_cache + 1,
                                                  sizeof(struct ConfigCacheEntry));
                e = &ctx->config_cache[ctx->n_config_cache++];
                *e = (struct ConfigCacheEntry){.name = xstrdup(name)};
        }
        config_free(e->config);
        e->config = c;
        e->dev = st.st_dev;
        e->ino = st.st_ino;
        e->size = st.st_size;
        e->mtime = st.st_mtim;
        *ret = c;
        return 0;
}

int context_cgroup_layout(BerthContext *ctx, const CgroupLayout **ret)
{
        if (!ctx->layout) {
                int r = cgroup_layout_detect(&ctx->layout);
                if (r < 0)
                        return r;
        }
        *ret = ctx->layout;
        return 0;
}

const char *berth_context_store(const BerthContext *ctx)
{
        return ctx->store;
}

const char *berth_context_rundir(const BerthContext *ctx)
{
        return ctx->rundir;
}

char *context_container_dir(const BerthContext *ctx, const char *name)
{
        return path_join(ctx->store, name);
}

char *context_config_path(const BerthContext *ctx, const char *name)
{
        return xasprintf("%s/%s/config.yaml", ctx->store, name);
}

char *context_run_dir(const BerthContext *ctx, const char *name)
{
        return path_join(ctx->rundir, name);
}

char *context_socket_path(const BerthContext *ctx, const char *name)
{
        return xasprintf("%s/%s/monitor.sock", ctx->rundir, name);
}
