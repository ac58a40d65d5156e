/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Queries: what a container is and how it runs, read from the store, the runtime dir and the
 * cgroup files. No monitor is asked, nothing forks, nothing is taken over: a dashboard that
 * refreshes a hundred containers every second costs one pass over a few small files each. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>

#include "container-internal.h"
#include "monitor/monitor.h"
#include "net/net.h"
#include "path-util.h"
#include "strv.h"

int container_runtime_view(BerthContext *ctx, const char *name, RuntimeState *ret,
                           bool *ret_orphaned)
{
        _cleanup_free_ char *run_dir = context_run_dir(ctx, name);
        RuntimeState s;
        bool orphaned = false;
        if (runtime_state_read(run_dir, &s) < 0)
                s = (RuntimeState){.state = BERTH_STATE_STOPPED};
        else if (!runtime_monitor_alive(&s)) {
                /* Without its monitor the file is only as good as the init it names. */
                if (runtime_init_alive(&s))
                        orphaned = true;
                else {
                        runtime_state_done(&s);
                        s = (RuntimeState){.state = BERTH_STATE_STOPPED};
                }
        }
        *ret = s;
        if (ret_orphaned)
                *ret_orphaned = orphaned;
        return 0;
}

static size_t count_snapshots(BerthContext *ctx, const char *name)
{
        _cleanup_free_ char *dir = xasprintf("%s/%s/snapshots", ctx->store, name);
        _cleanup_closedir_ DIR *d = opendir(dir);
        size_t n = 0;
        if (!d)
                return 0;
        /* Work in progress lives under dot names (see the storage layer). */
        for (struct dirent *de; (de = readdir(d));)
                if (de->d_name[0] != '.')
                        n++;
        return n;
}

static void info_fill_config(BerthInfo *info, const BerthConfig *c)
{
        info->memory_limit = c->limits.memory ? c->limits.memory : UINT64_MAX;
        info->pids_limit = c->limits.pids ? c->limits.pids : UINT64_MAX;
        info->autostart = c->autostart;
        info->autostart_order = c->autostart_order;
        info->autostart_group = c->autostart_group ? xstrdup(c->autostart_group) : NULL;
        info->privileged = c->privileged;
        info->backend = xstrdup(berth_backend_to_string(c->rootfs_backend) ?: "dir");
        info->ephemeral = c->ephemeral;
        /* The address, without the prefix the config writes it with. */
        for (size_t i = 0; i < c->n_network && !info->ipv4; i++)
                if (c->network[i].ipv4)
                        info->ipv4 = xstrndup(c->network[i].ipv4, strcspn(c->network[i].ipv4, "/"));
}

/* The addresses the container has now (DHCP leases too), read inside its network namespace
 * without forking; nothing when the caller may not enter it. */
static void info_fill_addresses(BerthInfo *info)
{
        char **l = NULL;
        if (info->init_pid <= 0 || net_container_addresses(info->init_pid, &l) < 0)
                return;
        info->addresses = l;
        char *v4 = net_addresses_first_ipv4(l);
        if (v4) {
                free(info->ipv4);
                info->ipv4 = v4;
        }
}

static void info_fill_runtime(BerthContext *ctx, BerthInfo *info, const RuntimeState *s)
{
        info->state = s->state;
        info->init_pid = s->init_pid > 0 ? s->init_pid : 0;
        info->since_usec = s->since_usec;
        info->started_usec = s->started_usec;
        info->ready = s->ready;
        if (info->state == BERTH_STATE_STOPPED || !s->cgroup)
                return;
        info_fill_addresses(info);

        const CgroupLayout *layout;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        CgroupStats st;
        if (context_cgroup_layout(ctx, &layout) < 0 || cgroup_new(layout, s->cgroup, &cg) < 0 ||
            cgroup_get_stats(cg, &st) < 0)
                return;
        info->cpu_usec = st.cpu_usec;
        info->memory_current = st.memory_current;
        info->pids_current = st.pids_current;
        /* The limits in force, which may differ from the file after a live change. */
        info->memory_limit = st.memory_max;
        info->pids_limit = st.pids_max;
}

/* One container's info; name is known to be valid and present. */
static void info_one(BerthContext *ctx, const char *name, BerthInfo *ret)
{
        BerthInfo info = {
                .name = xstrdup(name),
                .state = BERTH_STATE_STOPPED,
                .cpu_usec = UINT64_MAX,
                .memory_current = UINT64_MAX,
                .memory_limit = UINT64_MAX,
                .pids_current = UINT64_MAX,
                .pids_limit = UINT64_MAX,
        };

        /* A broken config.yaml does not hide the state: `berth config validate` reports it. */
        const BerthConfig *c = NULL;
        if (context_config_cached(ctx, name, &c, NULL) >= 0) {
                info_fill_config(&info, c);
                if (c->rootfs_path) {
                        _cleanup_free_ char *dir = context_container_dir(ctx, name);
                        info.rootfs = path_is_absolute(c->rootfs_path)
                                              ? xstrdup(c->rootfs_path)
                                              : path_join(dir, c->rootfs_path);
                }
        }
        info.n_snapshots = count_snapshots(ctx, name);

        RuntimeState s;
        (void)container_runtime_view(ctx, name, &s, &info.orphaned);
        info_fill_runtime(ctx, &info, &s);
        runtime_state_done(&s);
        *ret = info;
}

int berth_info(BerthContext *ctx, const char *name, BerthInfo *ret, BerthError **reterr)
{
        int r = container_check(ctx, name, "info", reterr);
        if (r < 0)
                return r;
        info_one(ctx, name, ret);
        return 0;
}

int berth_info_all(BerthContext *ctx, BerthInfo **ret, size_t *ret_n, BerthError **reterr)
{
        _cleanup_strv_free_ char **names = NULL;
        int r = berth_list(ctx, &names, reterr);
        if (r < 0)
                return r;
        size_t n = strv_length(names);
        BerthInfo *infos = xcalloc(n ? n : 1, sizeof(BerthInfo));
        for (size_t i = 0; i < n; i++)
                info_one(ctx, names[i], &infos[i]);
        *ret = infos;
        *ret_n = n;
        return 0;
}

void berth_info_clear(BerthInfo *info)
{
        free(info->name);
        free(info->ipv4);
        strv_free(info->addresses);
        free(info->backend);
        free(info->autostart_group);
        free(info->rootfs);
        *info = (BerthInfo){};
}

void berth_info_array_free(BerthInfo *infos, size_t n)
{
        for (size_t i = 0; i < n; i++)
                berth_info_clear(&infos[i]);
        free(infos);
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int berth_list(BerthContext *ctx, char ***ret_names, BerthError **reterr)
{
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_closedir_ DIR *d = opendir(ctx->store);
        if (!d) {
                if (errno == ENOENT) {
                        *ret_names = xcalloc(1, sizeof(char *));
                        return 0;
                }
                return berth_error_set(reterr, errno, "list '%s'", ctx->store);
        }
        int dfd = dirfd(d);
        for (struct dirent *de; (de = readdir(d));) {
                if (!berth_name_is_valid(de->d_name))
                        continue;
                _cleanup_free_ char *cfg = path_join(de->d_name, "config.yaml");
                if (faccessat(dfd, cfg, F_OK, AT_SYMLINK_NOFOLLOW) >= 0)
                        strv_extend(&names, de->d_name);
        }
        size_t n = strv_length(names);
        if (n > 1)
                qsort(names, n, sizeof(char *), cmp_names);
        *ret_names = names ? TAKE_PTR(names) : xcalloc(1, sizeof(char *));
        return 0;
}
