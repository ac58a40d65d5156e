/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "monitor.h"
#include "ns/idmap.h"
#include "runplan.h"
#include "strv.h"

/* systemd's container interface: container, container_uuid, container_ttys, NOTIFY_SOCKET. */
static char **build_env(const BerthConfig *c, const char *uuid, InitKind kind)
{
        char **env = NULL;
        strv_extend(&env, "container=berth");
        if (uuid)
                strv_push(&env, xasprintf("container_uuid=%s", uuid));
        strv_extend(&env, "NOTIFY_SOCKET=/run/host/notify");
        if (kind == INIT_KIND_SYSTEMD && c->console_ttys > 0) {
                /* pts 0 is the console; the ttys follow in order in the container's devpts. */
                _cleanup_strv_free_ char **ttys = NULL;
                for (unsigned i = 1; i <= c->console_ttys; i++)
                        strv_push(&ttys, xasprintf("pts/%u", i));
                _cleanup_free_ char *list = strv_join(ttys, " ");
                strv_push(&env, xasprintf("container_ttys=%s", list));
        }
        strv_extend(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        strv_extend(&env, "TERM=linux");
        STRV_FOREACH(e, c->environment)
                strv_extend(&env, *e);
        return env;
}

static int plan_ids(const BerthConfig *c, RunPlan *p, BerthError **reterr)
{
        p->tty_gid = MOUNT_TTY_GID;
        if (c->privileged)
                return 0;
        p->idmap = idmap_effective(c, &p->n_idmap);
        _cleanup_free_ char *text = NULL;
        int r = idmap_format(p->idmap, p->n_idmap, &text, reterr);
        if (r < 0)
                return r;
        p->host_root = idmap_host_root(p->idmap, p->n_idmap);
        p->tty_gid = idmap_to_host(p->idmap, p->n_idmap, MOUNT_TTY_GID);
        if (p->tty_gid == (gid_t)-1)
                return berth_error_setf(reterr, EINVAL,
                                        "key 'idmap': container gid %d (tty) is not mapped",
                                        MOUNT_TTY_GID);
        return 0;
}

int run_plan_build(const RunPlanInput *in, RunPlan **ret, BerthError **reterr)
{
        const BerthConfig *c = in->config;
        if (c->console_ttys > MONITOR_TTYS_MAX)
                return berth_error_setf(reterr, EINVAL, "key 'console.ttys': at most %d",
                                        MONITOR_TTYS_MAX);

        _cleanup_(run_plan_freep) RunPlan *p = xcalloc(1, sizeof(*p));
        int r = plan_ids(c, p, reterr);
        if (r < 0)
                return r;
        p->bind_ttys = in->init_kind != INIT_KIND_SYSTEMD;

        MountPlanOptions mopts = {
                .cgroup_unified = in->cgroup_unified,
                .cgroup_v1_hierarchies = in->cgroup_v1,
                .ttys = p->bind_ttys ? c->console_ttys : 0,
                .userns = !c->privileged,
                .tty_gid = p->tty_gid,
        };
        r = mount_plan_build(c, &mopts, &p->mounts, reterr);
        if (r >= 0)
                r = caps_plan_build(c, &p->caps, reterr);
        if (r >= 0)
                r = seccomp_plan_build(c, &p->seccomp, reterr);
        if (r < 0)
                return r;
        if (in->lsm && in->lsm != &lsm_none_ops)
                p->lsm_profile = c->apparmor ? c->apparmor : "berth-default";
        p->env = build_env(c, in->uuid, in->init_kind);
        *ret = TAKE_PTR(p);
        return 0;
}

RunPlan *run_plan_free(RunPlan *p)
{
        if (!p)
                return NULL;
        mount_plan_free(p->mounts);
        seccomp_plan_done(&p->seccomp);
        strv_free(p->env);
        free(p);
        return NULL;
}
