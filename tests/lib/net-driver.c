/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net-driver: drives libberth's network calls the way the monitor and the start path do, so
 * tests/integration/network.sh can exercise them on real namespaces before (and besides) the
 * monitor wiring. Test code only.
 *
 *   net-driver [NETWORK OPTIONS] up|down [--force]|status RUNDIR
 *   net-driver [NETWORK OPTIONS] check RUNDIR NAME CONFIG
 *   net-driver [NETWORK OPTIONS] run [--userns] RUNDIR NAME CONFIG -- CMD [ARGS...]
 *   net-driver cleanup RUNDIR NAME
 *   net-driver addresses PID
 *
 * run: clones CMD into a new network (and, with --userns, user) namespace, where it waits;
 * checks, sets up the network (net_container_setup with init's pid), lets CMD go, waits for it
 * to exit, and tears down with the namespace fd it kept (net_container_teardown) — the
 * monitor's order. It prints "ready PID" on stdout once CMD runs with its network.
 *
 * NETWORK OPTIONS: --bridge B --ipv4 A/P --dhcp-range S,E --ipv6 A/P --uplink IF
 * --no-dns-upstream --no-nat: the managed network's settings (else berth's defaults). */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "config/config.h"
#include "net/net.h"
#include "path-util.h"
#include "strv.h"

static int die(BerthError *err, int r)
{
        fprintf(stderr, "net-driver: %s\n", berth_error_message(err, r));
        berth_error_free(err);
        return 1;
}

static void set(char **f, const char *v)
{
        free(*f);
        *f = xstrdup(v);
}

static int load(const char *path, const char *name, BerthConfig **ret, BerthError **err)
{
        int r = config_load_file(path, ret, err);
        if (r >= 0)
                r = config_validate(*ret, err);
        if (r >= 0) {
                free((*ret)->name);
                (*ret)->name = xstrdup(name);
        }
        return r;
}

static int write_file(const char *path, const char *s)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, s, strlen(s));
        close(fd);
        return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

static int run(const char *rundir, const char *name, const char *cfg, bool userns, char **cmd,
               const NetGlobal *g)
{
        BerthError *err = NULL;
        _cleanup_(config_freep) BerthConfig *c = NULL;
        int r = load(cfg, name, &c, &err);
        if (r < 0)
                return die(err, r);
        /* The monitor's runtime dir, where the plan is recorded. */
        _cleanup_free_ char *dir = path_join(rundir, name);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return die(NULL, -errno);
        r = net_container_check(rundir, name, c, g, &err);
        if (r < 0)
                return die(err, r);
        if (net_config_uses_managed(c, g) && !net_network_is_up(rundir, g->bridge)) {
                r = net_network_up(rundir, g, &err);
                if (r < 0)
                        return die(err, r);
        }

        int go[2];
        if (pipe2(go, O_CLOEXEC) < 0)
                return die(NULL, -errno);
        struct clone_args args = {
                .flags = CLONE_NEWNET | (userns ? CLONE_NEWUSER : 0),
                .exit_signal = SIGCHLD,
        };
        pid_t pid = syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0)
                return die(NULL, -errno);
        if (pid == 0) {
                char b;
                close(go[1]);
                if (read(go[0], &b, 1) != 1)
                        _exit(126);
                if (userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                        _exit(126);
                execvp(cmd[0], cmd);
                _exit(127);
        }
        close(go[0]);
        if (userns) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
                (void)write_file(path, "deny");
                snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
                r = write_file(path, "0 100000 65536\n");
                snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
                if (r >= 0)
                        r = write_file(path, "0 100000 65536\n");
                if (r < 0) {
                        kill(pid, SIGKILL);
                        return die(NULL, r);
                }
        }

        /* Where the monitor does it: init cloned, waiting, not yet reaped. */
        NetSetupParams p = {.rundir = rundir, .name = name, .config = c, .global = g,
                            .init_pid = pid};
        int netns = -EBADF;
        r = net_container_setup(&p, &netns, &err);
        if (r < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return die(err, r);
        }
        if (write(go[1], "g", 1) != 1)
                kill(pid, SIGKILL);
        close(go[1]);
        printf("ready %d\n", (int)pid);
        fflush(stdout);

        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        r = net_container_teardown(rundir, name, netns, &err);
        safe_close(netns);
        if (r < 0)
                return die(err, r);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
        BerthError *err = NULL;
        NetGlobal g;
        net_global_init(&g);
        int i = 1, r;
        for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
                const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (streq(o, "--no-dns-upstream"))
                        g.dns_upstream = false;
                else if (streq(o, "--no-nat"))
                        g.nat = false;
                else if (!v)
                        break;
                else if (streq(o, "--bridge")) {
                        set(&g.bridge, v);
                        i++;
                } else if (streq(o, "--ipv4")) {
                        set(&g.ipv4, v);
                        i++;
                } else if (streq(o, "--dhcp-range") && strchr(v, ',')) {
                        free(g.dhcp_start);
                        g.dhcp_start = xstrndup(v, strchr(v, ',') - v);
                        set(&g.dhcp_end, strchr(v, ',') + 1);
                        i++;
                } else if (streq(o, "--ipv6")) {
                        set(&g.ipv6, v);
                        i++;
                } else if (streq(o, "--uplink")) {
                        set(&g.uplink, v);
                        i++;
                } else
                        break;
        }
        if (i >= argc)
                return die(NULL, -EINVAL);
        const char *verb = argv[i++];
        char **rest = argv + i;
        int n = argc - i;

        if (streq(verb, "up") && n == 1)
                r = net_network_up(rest[0], &g, &err);
        else if (streq(verb, "down") && n >= 1)
                r = net_network_down(rest[n - 1], g.bridge, n == 2 && streq(rest[0], "--force"),
                                     &err);
        else if (streq(verb, "status") && n == 1) {
                BerthNetworkStatus s;
                r = net_network_status(rest[0], &g, &s, &err);
                if (r >= 0) {
                        printf("bridge %s up %d dnsmasq %d nft %d\n", s.bridge, s.up,
                               (int)s.dnsmasq_pid, s.nat);
                        STRV_FOREACH(c, s.containers)
                                printf("container %s\n", *c);
                        STRV_FOREACH(l, s.leases)
                                printf("lease %s\n", *l);
                        berth_network_status_clear(&s);
                }
        } else if (streq(verb, "check") && n == 3) {
                _cleanup_(config_freep) BerthConfig *c = NULL;
                r = load(rest[2], rest[1], &c, &err);
                if (r >= 0)
                        r = net_container_check(rest[0], rest[1], c, &g, &err);
        } else if (streq(verb, "run") && n >= 5) {
                bool userns = streq(rest[0], "--userns");
                rest += userns;
                n -= userns;
                if (n < 5 || !streq(rest[3], "--"))
                        r = -EINVAL;
                else {
                        r = run(rest[0], rest[1], rest[2], userns, rest + 4, &g);
                        net_global_done(&g);
                        return r;
                }
        } else if (streq(verb, "cleanup") && n == 2) {
                r = net_container_cleanup(rest[0], rest[1], &err);
                if (r > 0)
                        printf("cleaned\n");
        } else if (streq(verb, "addresses") && n == 1) {
                char **l = NULL;
                r = net_container_addresses(atoi(rest[0]), &l);
                STRV_FOREACH(a, l)
                        printf("%s\n", *a);
                strv_free(l);
        } else
                r = -EINVAL;
        net_global_done(&g);
        if (r < 0)
                return die(err, r);
        return 0;
}
