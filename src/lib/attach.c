/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running a command inside a running container: its namespaces, its cgroup, its capability
 * bounds and seccomp filter, and only binaries of the container (the exec happens after the
 * mount namespace is joined). */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "cgroup/cgroup.h"
#include "container-internal.h"
#include "fd-util.h"
#include "fileio.h"
#include "monitor/monitor.h"
#include "ns/ns.h"
#include "security/security.h"
#include "strv.h"

extern char **environ;

typedef struct AttachPlan {
        BerthConfig *config;
        Cgroup *cgroup;
        CapsPlan caps;
        SeccompPlan seccomp;
        char **env;
} AttachPlan;

static void attach_plan_done(AttachPlan *p)
{
        config_free(p->config);
        cgroup_free(p->cgroup);
        seccomp_plan_done(&p->seccomp);
        strv_free(p->env);
}

static int wait_status(pid_t pid)
{
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return 127;
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return 127;
}

/* The cgroup v2 path of pid ("0::/a/b" in /proc/PID/cgroup) without its leading slash. */
static int proc_unified_cgroup(pid_t pid, char **ret)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        _cleanup_free_ char *text = NULL;
        int r = read_full_file_at(AT_FDCWD, path, 64 * 1024, &text, NULL);
        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (strncmp(line, "0::/", 4) == 0 && line[4]) {
                        *ret = xstrdup(line + 4);
                        return 0;
                }
        }
        return -ENOENT;
}

static _noreturn_ void attach_exec(const AttachPlan *p, char **argv, const BerthAttachOptions *o)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r;
        if (chdir(o && o->cwd ? o->cwd : "/") < 0) {
                fprintf(stderr, "berth: attach: change directory to '%s': %s\n",
                        o && o->cwd ? o->cwd : "/", strerror(errno));
                _exit(127);
        }
        /* In a user namespace our host ids are unmapped there: become a mapped user. */
        uid_t uid = o ? o->uid : 0;
        gid_t gid = o ? o->gid : 0;
        if (!p->config->privileged || uid || gid) {
                if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
                    setresuid(uid, uid, uid) < 0) {
                        fprintf(stderr, "berth: attach: set uid %u gid %u: %s\n", uid, gid,
                                strerror(errno));
                        _exit(127);
                }
        }
        r = caps_plan_apply(&p->caps, &err);
        if (r >= 0 && p->config->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                r = berth_error_set(&err, errno, "set no_new_privs");
        if (r >= 0)
                r = seccomp_plan_apply(&p->seccomp, &err);
        if (r < 0) {
                fprintf(stderr, "berth: attach: %s\n", berth_error_message(err, r));
                _exit(127);
        }
        int keep[] = {0, 1, 2};
        close_all_fds_except(keep, 3);
        environ = p->env;
        execvp(argv[0], argv);
        fprintf(stderr, "berth: attach: exec '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
}

static _noreturn_ void attach_child(const AttachPlan *p, int pidfd, pid_t pid, char **argv,
                                    const BerthAttachOptions *o)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        /* Not dumpable: while this host binary still runs inside the container's namespaces
         * its /proc/PID/exe must not be reachable from the container. */
        (void)prctl(PR_SET_DUMPABLE, 0);
        int r = cgroup_attach(p->cgroup, getpid(), &err);
        if (r < 0) {
                fprintf(stderr, "berth: attach: %s\n", berth_error_message(err, r));
                _exit(127);
        }
        r = ns_enter_all(pidfd, pid);
        if (r < 0) {
                fprintf(stderr, "berth: attach: join namespaces of %d: %s\n", (int)pid,
                        strerror(-r));
                _exit(127);
        }
        /* The pid namespace applies to children only. */
        pid_t c = fork();
        if (c < 0)
                _exit(127);
        if (c == 0)
                attach_exec(p, argv, o);
        _exit(wait_status(c));
}

int berth_attach(BerthContext *ctx, const char *name, char **argv, const BerthAttachOptions *opts,
                 int *ret_status, BerthError **reterr)
{
        if (!argv || !argv[0])
                return berth_error_setf(reterr, EINVAL, "attach '%s': no command given",
                                        strempty(name));
        _cleanup_(attach_plan_done) AttachPlan p = {};
        int r = container_load_config(ctx, name, "attach", &p.config, reterr);
        if (r < 0)
                return r;

        _cleanup_(proto_message_freep) ProtoMessage *req =
                proto_message_new(PROTO_CMD_INIT_PIDFD, 0);
        _cleanup_(proto_message_freep) ProtoMessage *reply = NULL;
        int fds[PROTO_FDS_MAX];
        size_t n = 0;
        r = container_call(ctx, name, "attach", req, 0, &reply, fds, &n, reterr);
        if (r < 0)
                return r;
        _cleanup_close_ int pidfd = n > 0 ? fds[0] : -EBADF;
        for (size_t i = 1; i < n; i++)
                close(fds[i]);
        uint32_t pid = 0, st = 0;
        (void)proto_get_u32(reply, PROTO_TAG_INIT_PID, &pid);
        (void)proto_get_u32(reply, PROTO_TAG_STATE, &st);
        if (pidfd < 0 || pid == 0)
                return berth_error_setf(reterr, ESRCH, "attach '%s': not running", name);
        if (st == BERTH_STATE_FROZEN || st == BERTH_STATE_FREEZING)
                return berth_error_setf(reterr, EBUSY, "attach '%s': frozen", name);

        _cleanup_free_ char *run_dir = context_run_dir(ctx, name);
        RuntimeState rs;
        r = runtime_state_read(run_dir, &rs);
        if (r < 0)
                return berth_error_set(reterr, r, "attach '%s': read runtime state", name);
        _cleanup_free_ char *cg = xasprintf("%s/ns", rs.cgroup);
        runtime_state_done(&rs);
        _cleanup_(cgroup_layout_freep) CgroupLayout *layout = NULL;
        r = cgroup_layout_detect(&layout);
        if (r >= 0 && layout->unified) {
                /* On v2 a cgroup with controllers enabled for its children takes no process
                 * (systemd enables them in the namespace root), but the one init lives in
                 * always does. */
                _cleanup_free_ char *init_cg = NULL;
                size_t len = strlen(cg);
                /* Only inside the container's own subtree, never anywhere init was moved to. */
                if (proc_unified_cgroup(pid, &init_cg) >= 0 && strncmp(init_cg, cg, len) == 0 &&
                    (init_cg[len] == 0 || init_cg[len] == '/')) {
                        free(cg);
                        cg = TAKE_PTR(init_cg);
                }
        }
        if (r >= 0)
                r = cgroup_new(layout, cg, &p.cgroup);
        if (r < 0)
                return berth_error_set(reterr, r, "attach '%s': cgroup '%s'", name, cg);

        r = caps_plan_build(p.config, &p.caps, reterr);
        if (r >= 0)
                r = seccomp_plan_build(p.config, &p.seccomp, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "attach '%s'", name);

        strv_extend(&p.env, "container=berth");
        strv_extend(&p.env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        strv_extend(&p.env, "HOME=/root");
        const char *term = getenv("TERM");
        _cleanup_free_ char *t = xasprintf("TERM=%s", term ? term : "linux");
        strv_extend(&p.env, t);
        STRV_FOREACH(e, p.config->environment)
                strv_extend(&p.env, *e);
        if (opts)
                STRV_FOREACH(e, opts->env)
                        strv_extend(&p.env, *e);

        pid_t child = fork();
        if (child < 0)
                return berth_error_set(reterr, errno, "attach '%s': fork", name);
        if (child == 0)
                attach_child(&p, pidfd, pid, argv, opts);
        int status = wait_status(child);
        if (ret_status)
                *ret_status = status;
        return 0;
}
