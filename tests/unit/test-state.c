/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The core's pure parts: state names, container names, the init signal table and detection,
 * the runtime state file and the namespace table. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>

#include "berth.h"
#include "idalloc.h"
#include "init.h"
#include "monitor/monitor.h"
#include "monitor/runplan.h"
#include "ns/idmap.h"
#include "ns/ns.h"
#include "path-util.h"
#include "strv.h"
#include "tap.h"

static void test_states(void)
{
        for (int s = 0; s < _BERTH_STATE_MAX; s++) {
                const char *n = berth_state_to_string(s);
                ok(n && berth_state_from_string(n) == (BerthState)s, "state %d <-> %s", s, n);
        }
        ok(berth_state_from_string("running") == BERTH_STATE_RUNNING, "case-insensitive");
        ok(berth_state_from_string("bogus") == _BERTH_STATE_INVALID, "junk state");
        ok(berth_state_from_string(NULL) == _BERTH_STATE_INVALID, "NULL state");
        ok(berth_state_to_string(_BERTH_STATE_MAX) == NULL, "out of range");
        ok(berth_state_to_string(_BERTH_STATE_INVALID) == NULL, "invalid");

        for (int t = 0; t < _BERTH_EVENT_TYPE_MAX; t++) {
                const char *n = berth_event_type_to_string(t);
                ok(n && berth_event_type_from_string(n) == (BerthEventType)t, "event %d <-> %s",
                   t, n);
        }
        ok(berth_event_type_from_string("STATE") == _BERTH_EVENT_TYPE_INVALID,
           "event types are lower case");
        ok(berth_event_type_from_string(NULL) == _BERTH_EVENT_TYPE_INVALID, "NULL event type");
        ok(berth_event_type_to_string(_BERTH_EVENT_TYPE_MAX) == NULL, "event type out of range");
}

static void test_names(void)
{
        ok(berth_name_is_valid("demo"), "demo");
        ok(berth_name_is_valid("a"), "one char");
        ok(berth_name_is_valid("0web-1"), "digit first, dash inside");
        char n63[64];
        memset(n63, 'a', 63);
        n63[63] = 0;
        ok(berth_name_is_valid(n63), "63 chars");
        char n64[65];
        memset(n64, 'a', 64);
        n64[64] = 0;
        ok(!berth_name_is_valid(n64), "64 chars");
        ok(!berth_name_is_valid(""), "empty");
        ok(!berth_name_is_valid(NULL), "NULL");
        ok(!berth_name_is_valid("-x"), "leading dash");
        ok(!berth_name_is_valid("Bad"), "upper case");
        ok(!berth_name_is_valid("a_b"), "underscore");
        ok(!berth_name_is_valid("a.b"), "dot");
        ok(!berth_name_is_valid("../x"), "path");
}

static void test_init_signals(void)
{
        InitSignals s = init_signals_for(INIT_KIND_SYSTEMD);
        ok(s.halt == SIGRTMIN + 3 && s.reboot == SIGINT, "systemd halts on SIGRTMIN+3");
        s = init_signals_for(INIT_KIND_BUSYBOX);
        ok(s.halt == SIGUSR1 && s.reboot == SIGTERM, "busybox halts on SIGUSR1");
        s = init_signals_for(INIT_KIND_SYSVINIT);
        ok(s.halt == SIGPWR, "sysvinit halts on SIGPWR");
        s = init_signals_for(INIT_KIND_OTHER);
        ok(s.halt == SIGTERM, "unknown init gets SIGTERM");

        BerthConfig c = {.init_kind = INIT_KIND_BUSYBOX, .halt_signal = SIGUSR2};
        s = init_signals_resolve(&c, "/nonexistent", NULL);
        ok(s.halt == SIGUSR2 && s.reboot == SIGTERM, "config halt signal overrides the table");
}

static int mkfile(int dfd, const char *path)
{
        int fd = openat(dfd, path, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

static void test_init_detect(void)
{
        char root[] = "/tmp/berth-test-init-XXXXXX";
        ok(mkdtemp(root) != NULL, "fake root");
        int dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        mkdir_p_at(dfd, "bin", 0755);
        mkdir_p_at(dfd, "sbin", 0755);
        mkdir_p_at(dfd, "lib/systemd", 0755);
        mkdir_p_at(dfd, "etc", 0755);
        mkfile(dfd, "bin/busybox");
        mkfile(dfd, "lib/systemd/systemd");

        ok(symlinkat("../bin/busybox", dfd, "sbin/init") == 0, "plant link");
        is_int(init_detect(root, "/sbin/init"), INIT_KIND_BUSYBOX, "relative link to busybox");
        unlinkat(dfd, "sbin/init", 0);

        /* An absolute link is resolved inside the root, never on the host. */
        ok(symlinkat("/lib/systemd/systemd", dfd, "sbin/init") == 0, "plant link");
        is_int(init_detect(root, "/sbin/init"), INIT_KIND_SYSTEMD, "absolute link to systemd");
        unlinkat(dfd, "sbin/init", 0);

        mkfile(dfd, "sbin/init");
        is_int(init_detect(root, "/sbin/init"), INIT_KIND_OTHER, "plain init, no inittab");
        mkfile(dfd, "etc/inittab");
        is_int(init_detect(root, "/sbin/init"), INIT_KIND_SYSVINIT, "plain init with inittab");
        mkfile(dfd, "sbin/openrc");
        is_int(init_detect(root, "/sbin/init"), INIT_KIND_OPENRC, "openrc marker");
        is_int(init_detect(root, "/missing"), INIT_KIND_OTHER, "missing init");
        is_int(init_detect("/nonexistent-root", "/sbin/init"), INIT_KIND_OTHER, "missing root");

        /* A link pointing out of the root must not reach the host's files. */
        unlinkat(dfd, "sbin/init", 0);
        ok(symlinkat("../../../../../../usr/lib/systemd/systemd", dfd, "sbin/init") == 0, "plant link");
        ok(init_detect(root, "/sbin/init") != INIT_KIND_SYSTEMD,
           "dot-dot link stays inside the root");
        close(dfd);
        rm_rf_at(AT_FDCWD, root);
}

static void test_runtime_state(void)
{
        char dir[] = "/tmp/berth-test-rt-XXXXXX";
        ok(mkdtemp(dir) != NULL, "run dir");
        uint64_t st = 0;
        ok(proc_starttime(getpid(), &st) == 0 && st > 0, "own start time");
        RuntimeState s = {
                .state = BERTH_STATE_RUNNING,
                .init_pid = getpid(),
                .init_starttime = st,
                .since_usec = 1234567,
                .monitor_pid = getppid(),
                .cgroup = (char *)"berth/web",
        };
        is_int(runtime_state_write(dir, &s), 0, "write state");
        RuntimeState r = {};
        is_int(runtime_state_read(dir, &r), 0, "read state");
        ok(r.state == BERTH_STATE_RUNNING && r.init_pid == getpid() && r.init_starttime == st &&
                   r.since_usec == 1234567 && streq_ptr(r.cgroup, "berth/web"),
           "state round trips");
        ok(runtime_init_alive(&r), "live process is alive");
        r.init_starttime++;
        ok(!runtime_init_alive(&r), "a reused pid is not the init");
        runtime_state_done(&r);

        _cleanup_free_ char *path = path_join(dir, "state");
        int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        ok(write(fd, "garbage\n", 8) == 8, "corrupt state");
        close(fd);
        is_int(runtime_state_read(dir, &r), -EBADMSG, "corrupt state is rejected");
        unlink(path);
        is_int(runtime_state_read(dir, &r), -ENOENT, "missing state");
        rmdir(dir);
}

static void test_ns_and_paths(void)
{
        size_t n;
        const NsInfo *t = ns_table(&n);
        ok(n == 8, "eight namespaces");
        ok(streq(t[0].name, "user"), "user namespace first");
        int all = 0;
        for (size_t i = 0; i < n; i++)
                all |= t[i].flag;
        ok(all == (CLONE_NEWUSER | CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET |
                   CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWTIME),
           "every namespace flag once");
        _cleanup_free_ char *a = monitor_payload_cgroup("berth", "web");
        _cleanup_free_ char *c = monitor_own_cgroup("berth", "web");
        is_str(a, "berth/web", "payload cgroup");
        is_str(c, "berth/web.monitor", "monitor cgroup apart from the payload");
}

static void test_idmap(void)
{
        _cleanup_free_ char *t = NULL;
        BerthError *e = NULL;
        BerthIdmap one = {0, 100000, 65536};
        ok(idmap_format(&one, 1, &t, NULL) == 0 && streq(t, "0 100000 65536\n"), "one range");
        BerthIdmap two[] = {{0, 200000, 1000}, {1000, 300000, 64536}};
        free(t);
        t = NULL;
        ok(idmap_format(two, 2, &t, NULL) == 0 &&
                   streq(t, "0 200000 1000\n1000 300000 64536\n"),
           "two ranges");
        is_int(idmap_host_root(two, 2), 200000, "host uid of container root");
        BerthIdmap noroot = {1, 100000, 10};
        ok(idmap_format(&noroot, 1, &t, &e) == -EINVAL && strstr(e->message, "root"),
           "container root must be mapped");
        e = berth_error_free(e);
        BerthIdmap overlap[] = {{0, 100000, 100}, {50, 200000, 100}};
        ok(idmap_format(overlap, 2, &t, &e) == -EINVAL && strstr(e->message, "overlap"),
           "overlapping container ranges");
        e = berth_error_free(e);
        BerthIdmap hostoverlap[] = {{0, 100000, 100}, {100, 100050, 100}};
        ok(idmap_format(hostoverlap, 2, &t, &e) == -EINVAL, "overlapping host ranges");
        e = berth_error_free(e);
        BerthIdmap wrap = {0, UINT32_MAX, 2};
        ok(idmap_format(&wrap, 1, &t, &e) == -EINVAL && strstr(e->message, "overflows"),
           "range past 2^32");
        e = berth_error_free(e);
        BerthIdmap empty = {0, 100000, 0};
        ok(idmap_format(&empty, 1, &t, &e) == -EINVAL, "empty range");
        e = berth_error_free(e);
        BerthConfig c = {};
        size_t n;
        const BerthIdmap *def = idmap_effective(&c, &n);
        ok(n == 1 && def->container == 0 && def->host == IDMAP_DEFAULT_HOST &&
                   def->count == IDMAP_DEFAULT_COUNT,
           "default map when the config has none");
        c.idmap = two;
        c.n_idmap = 2;
        ok(idmap_effective(&c, &n) == two && n == 2, "the config's map when it has one");
}

static void test_subid(void)
{
        IdRange *r = NULL;
        size_t n = 0;
        const char *text = "# comment\nalice:100000:65536\nroot:1000000:131072\nbad line\n"
                           "root:x:1\n0:5000000:65536\nroot:3:0\nroot:4294967295:2\nroot:9:9:9";
        is_int(subid_parse(text, "root", 0, &r, &n), 0, "subid: parse");
        is_int((int)n, 2, "subid: root's two ranges (by name and by uid), junk skipped");
        ok(n == 2 && r[0].start == 1000000 && r[0].count == 131072 && r[1].start == 5000000,
           "subid: the ranges");
        free(r);
        is_int(subid_parse("", "root", 0, &r, &n), 0, "subid: empty file");
        is_int((int)n, 0, "subid: no range");
        free(r);

        IdRange uids[] = {{1000000, 3 * 65536}}, gids[] = {{1000000, 2 * 65536}};
        IdRange used[] = {{1000000 + 10, 5}}, got;
        is_int(idmap_pick(uids, 1, gids, 1, used, 1, &got), 0, "pick: a block");
        is_int((int)got.start, 1065536, "pick: the first block is taken, the second is free");
        is_int((int)got.count, 65536, "pick: 65536 ids");
        IdRange used2[] = {{1000000, 65536}, {1065536, 65536}};
        is_int(idmap_pick(uids, 1, gids, 1, used2, 2, &got), -ENOSPC,
               "pick: the third uid block has no gid block: ENOSPC");
        is_int(idmap_pick(uids, 1, gids, 1, NULL, 0, &got), 0, "pick: nothing used");
        is_int((int)got.start, 1000000, "pick: the first block");
        IdRange small[] = {{1000000, 1000}};
        is_int(idmap_pick(small, 1, small, 1, NULL, 0, &got), -ENOSPC, "pick: a range too small");
}

static void test_run_plan(void)
{
        BerthConfig *c = config_new();
        c->name = xstrdup("plan");
        BerthIdmap map[] = {{0, 2000000, 65536}};
        c->idmap = map;
        c->n_idmap = 1;
        RunPlanInput in = {.config = c, .init_kind = INIT_KIND_SYSTEMD, .lsm = &lsm_none_ops,
                           .uuid = "0a1b2c3d-0000-4000-8000-000000000001"};
        RunPlan *p = NULL;
        BerthError *err = NULL;
        is_int(run_plan_build(&in, &p, &err), 0, "plan: unprivileged systemd guest");
        ok(p && p->idmap == map && p->host_root == 2000000, "plan: container root's host uid");
        ok(p && p->tty_gid == 2000005, "plan: the tty group's host gid");
        ok(p && !p->bind_ttys, "plan: systemd gets container_ttys, no /dev/ttyN binds");
        ok(p && strv_contains(p->env, "container=berth") &&
                   strv_contains(p->env, "container_uuid=0a1b2c3d-0000-4000-8000-000000000001") &&
                   strv_contains(p->env, "container_ttys=pts/1 pts/2 pts/3 pts/4"),
           "plan: systemd's container interface in init's environment");
        ok(p && !p->lsm_profile, "plan: no LSM profile without an LSM");
        p = run_plan_free(p);

        in.init_kind = INIT_KIND_BUSYBOX;
        in.lsm = &lsm_apparmor_ops;
        is_int(run_plan_build(&in, &p, &err), 0, "plan: busybox guest");
        ok(p && p->bind_ttys, "plan: busybox gets its ttys bound");
        ok(p && p->lsm_profile && streq(p->lsm_profile, "berth-default"),
           "plan: the default AppArmor profile when the kernel has AppArmor");
        bool ttys = false;
        STRV_FOREACH(e, p ? p->env : NULL)
                ttys = ttys || strncmp(*e, "container_ttys=", 15) == 0;
        ok(p && !ttys, "plan: no container_ttys");
        p = run_plan_free(p);

        BerthIdmap narrow[] = {{0, 2000000, 3}};
        c->idmap = narrow;
        is_int(run_plan_build(&in, &p, &err), -EINVAL, "plan: the tty group unmapped is refused");
        like(err ? err->message : NULL, "gid 5 (tty) is not mapped", "plan: and says so");
        err = berth_error_free(err);

        c->idmap = NULL;
        c->n_idmap = 0;
        c->privileged = true;
        in.lsm = &lsm_none_ops;
        is_int(run_plan_build(&in, &p, &err), 0, "plan: privileged");
        ok(p && !p->idmap && p->host_root == 0 && p->tty_gid == 5,
           "plan: no user namespace, host ids as they are");
        p = run_plan_free(p);

        c->console_ttys = 65;
        is_int(run_plan_build(&in, &p, &err), -EINVAL, "plan: 65 ttys refused");
        err = berth_error_free(err);
        config_free(c);
}

int main(void)
{
        test_idmap();
        test_run_plan();
        test_subid();
        test_states();
        test_names();
        test_init_signals();
        test_init_detect();
        test_runtime_state();
        test_ns_and_paths();
        return tap_done();
}
