/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The calls the monitor and the start path make: thin wrappers that run the helper berth-net,
 * plus what needs no netlink library (live addresses through getifaddrs, the status). */
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "fd-util.h"
#include "fileio.h"
#include "net-internal.h"
#include "path-util.h"
#include "proc-util.h"
#include "strv.h"

#ifndef BERTH_NET_HELPER_PATH
#define BERTH_NET_HELPER_PATH "/usr/local/libexec/berth/berth-net"
#endif

#define HELPER_ERR_MAX 1024

const char *net_helper_path(void)
{
        const char *e = getenv("BERTH_NET_HELPER");
        return e && *e ? e : BERTH_NET_HELPER_PATH;
}

static _noreturn_ void spawn_exec(const char *path, char **argv, int in_fd, int out_fd,
                                  int err_fd, int keep_fd)
{
        /* Out of the way of 0..3 first, so no dup2 below clobbers another. */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
                _exit(127);
        int fds[4] = {in_fd >= 0 ? in_fd : null, out_fd >= 0 ? out_fd : null, err_fd, keep_fd};
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                if (fds[i] >= 0 && (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
                        _exit(127);
        for (int i = 0; i < 4; i++)
                if (fds[i] >= 0 && dup2(fds[i], i) < 0)
                        _exit(127);
        int keep[] = {0, 1, 2, 3};
        close_all_fds_except(keep, keep_fd >= 0 ? 4 : 3);
        /* Nothing of the caller's environment: these run as root on the host. */
        char *env[] = {(char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", (char *)"LC_ALL=C", NULL};
        execve(path, argv, env);
        dprintf(2, "run '%s': %s\n", path, strerror(errno));
        _exit(127);
}

int net_spawn(const char *path, char **args, const char *input, int out_fd, int keep_fd,
              int *ret_status, char **ret_last_line)
{
        _cleanup_strv_free_ char **argv = NULL;
        strv_extend(&argv, path);
        STRV_FOREACH(a, args)
                strv_extend(&argv, *a);

        _cleanup_close_ int in_fd = -EBADF;
        if (input) {
                /* A memfd, not a pipe: the child reads it at its own pace, nothing blocks. */
                in_fd = memfd_create("berth-net-input", MFD_CLOEXEC);
                if (in_fd < 0)
                        return negative_errno();
                int r = loop_write(in_fd, input, strlen(input));
                if (r < 0)
                        return r;
                if (lseek(in_fd, 0, SEEK_SET) < 0)
                        return negative_errno();
        }
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return negative_errno();
        _cleanup_close_ int err_r = p[0], err_w = p[1];
        pid_t pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0)
                spawn_exec(path, argv, in_fd, out_fd, err_w, keep_fd);
        err_w = safe_close(err_w);

        /* The last line on stderr is what a failure says. */
        char buf[HELPER_ERR_MAX], last[HELPER_ERR_MAX] = "";
        size_t n = 0;
        for (;;) {
                ssize_t k = read(err_r, buf + n, sizeof(buf) - 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += k;
                buf[n] = 0;
                char *nl;
                while ((nl = memchr(buf, '\n', n))) {
                        *nl = 0;
                        if (nl > buf)
                                snprintf(last, sizeof(last), "%s", buf);
                        n -= nl + 1 - buf;
                        memmove(buf, nl + 1, n);
                }
                if (n == sizeof(buf) - 1)
                        n = 0; /* a line too long to quote: dropped */
        }
        if (n > 0) {
                buf[n] = 0;
                snprintf(last, sizeof(last), "%s", buf);
        }
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        for (char *c = last; *c; c++)
                if ((unsigned char)*c < ' ' || *c == 0x7f)
                        *c = '?';
        *ret_status = st;
        if (ret_last_line)
                *ret_last_line = xstrdup(last);
        return 0;
}

int net_helper_run(char **args, int keep_fd, BerthError **reterr)
{
        const char *path = net_helper_path();
        _cleanup_free_ char *last = NULL;
        int st;
        int r = net_spawn(path, args, NULL, -EBADF, keep_fd, &st, &last);
        if (r < 0)
                return berth_error_set(reterr, r, "run '%s'", path);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
                return 0;
        /* The helper exits with the errno of what failed. */
        int code = WIFEXITED(st) && WEXITSTATUS(st) != 127 ? WEXITSTATUS(st) : EIO;
        if (!*last)
                return berth_error_setf(reterr, code, "'%s' failed (%s %d)", path,
                                        WIFEXITED(st) ? "exit status" : "signal",
                                        WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        return berth_error_setf(reterr, code, "%s", last);
}

/* ---- the container -------------------------------------------------------------------------- */

static int open_netns(pid_t pid, int *ret)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        *ret = fd;
        return 0;
}

int net_container_setup(const NetSetupParams *p, int *ret_netns_fd, BerthError **reterr)
{
        *ret_netns_fd = -EBADF;
        _cleanup_(net_plan_freep) NetPlan *plan = NULL;
        int r = net_plan_build(p->name, p->config, p->global, &plan, reterr);
        if (r < 0)
                return r;
        /* Loopback only: the fresh namespace is all there is, and no helper runs. */
        if (plan->n_ifaces == 0)
                return 0;

        _cleanup_close_ int netns = -EBADF;
        r = open_netns(p->init_pid, &netns);
        if (r < 0)
                return berth_error_set(reterr, r, "open the network namespace of pid %d",
                                       (int)p->init_pid);
        ProcStat st;
        r = proc_stat_read(p->init_pid, &st);
        if (r < 0)
                return berth_error_set(reterr, r, "read /proc/%d/stat", (int)p->init_pid);
        plan->pid = p->init_pid;
        plan->starttime = st.starttime;
        /* Recorded before anything exists, so a crash at any point leaves a record. */
        r = net_plan_write(p->rundir, plan);
        if (r < 0)
                return berth_error_set(reterr, r, "write '%s/%s/" NET_PLAN_FILE "'", p->rundir,
                                       p->name);

        char *args[] = {(char *)"setup", (char *)"--rundir", (char *)p->rundir,
                        (char *)p->name, NULL};
        r = net_helper_run(args, netns, reterr);
        if (r < 0) {
                /* The helper undoes its own work; this catches a helper that was killed. */
                (void)net_container_teardown(p->rundir, p->name, netns, NULL);
                return r;
        }
        *ret_netns_fd = TAKE_FD(netns);
        return 0;
}

int net_container_teardown(const char *rundir, const char *name, int netns_fd,
                           BerthError **reterr)
{
        _cleanup_free_ char *path = net_plan_path(rundir, name);
        if (access(path, F_OK) < 0 && errno == ENOENT)
                return 0;
        char *args[] = {(char *)"teardown", (char *)"--rundir", (char *)rundir, (char *)name,
                        NULL};
        return net_helper_run(args, netns_fd, reterr);
}

int net_container_cleanup(const char *rundir, const char *name, BerthError **reterr)
{
        _cleanup_(net_plan_freep) NetPlan *p = NULL;
        int r = net_plan_read(rundir, name, &p);
        if (r == -ENOENT)
                return 0;
        if (r >= 0 && net_plan_alive(p))
                return berth_error_setf(reterr, EBUSY,
                                        "clean up the network of '%s': its init %d still runs",
                                        name, (int)p->pid);
        r = net_container_teardown(rundir, name, -EBADF, reterr);
        return r < 0 ? r : 1;
}

/* ---- live addresses ------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **collect_addresses(void)
{
        struct ifaddrs *ifa = NULL;
        char **l = NULL;
        if (getifaddrs(&ifa) < 0)
                return NULL;
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
                if (!i->ifa_addr || !i->ifa_netmask || (i->ifa_flags & IFF_LOOPBACK))
                        continue;
                int family = i->ifa_addr->sa_family;
                InAddr a = {};
                const uint8_t *m;
                if (family == AF_INET) {
                        a.in = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
                        m = (const uint8_t *)&((struct sockaddr_in *)i->ifa_netmask)->sin_addr;
                } else if (family == AF_INET6) {
                        a.in6 = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
                        if (IN6_IS_ADDR_LINKLOCAL(&a.in6))
                                continue;
                        m = (const uint8_t *)&((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr;
                } else
                        continue;
                unsigned prefix = 0;
                for (size_t b = 0; b < in_addr_size(family); b++)
                        prefix += (unsigned)__builtin_popcount(m[b]);
                char buf[INET6_ADDRSTRLEN];
                /* "4"/"6" sorts IPv4 first within an interface; stripped below. */
                strv_push(&l, xasprintf("%s %c%s/%u", i->ifa_name, family == AF_INET ? '4' : '6',
                                        in_addr_to_string(family, &a, buf), prefix));
        }
        freeifaddrs(ifa);
        size_t n = strv_length(l);
        if (n > 1)
                qsort(l, n, sizeof(char *), cmp_str);
        STRV_FOREACH(s, l)
        {
                char *sp = strchr(*s, ' ');
                memmove(sp + 1, sp + 2, strlen(sp + 2) + 1);
        }
        return l;
}

int net_container_addresses(pid_t init_pid, char ***ret)
{
        _cleanup_close_ int target = -EBADF, self = -EBADF;
        int r = open_netns(init_pid, &target);
        if (r < 0)
                return r;
        /* This thread's own namespace, to come back to. */
        self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0)
                return negative_errno();
        if (setns(target, CLONE_NEWNET) < 0)
                return negative_errno();
        char **l = collect_addresses();
        if (setns(self, CLONE_NEWNET) < 0)
                /* Going on in the container's namespace would be far worse than stopping. */
                abort();
        *ret = l;
        return 0;
}

char *net_addresses_first_ipv4(char *const *addresses)
{
        STRV_FOREACH(a, addresses)
        {
                const char *sp = strchr(*a, ' ');
                if (!sp || !strchr(sp + 1, '.'))
                        continue;
                return xstrndup(sp + 1, strcspn(sp + 1, "/"));
        }
        return NULL;
}

/* ---- the managed network -------------------------------------------------------------------- */

static void push_opt(char ***l, const char *opt, const char *value)
{
        strv_extend(l, opt);
        strv_extend(l, value);
}

static char **network_args(const char *verb, const char *rundir, const NetGlobal *g)
{
        char **l = NULL;
        strv_extend(&l, verb);
        push_opt(&l, "--rundir", rundir);
        push_opt(&l, "--bridge", g->bridge);
        push_opt(&l, "--ipv4", g->ipv4);
        push_opt(&l, "--dhcp-start", g->dhcp_start);
        push_opt(&l, "--dhcp-end", g->dhcp_end);
        if (g->ipv6)
                push_opt(&l, "--ipv6", g->ipv6);
        push_opt(&l, "--domain", g->domain);
        push_opt(&l, "--nat", g->nat ? "1" : "0");
        if (g->uplink)
                push_opt(&l, "--uplink", g->uplink);
        push_opt(&l, "--dns-upstream", g->dns_upstream ? "1" : "0");
        strv_push(&l, xasprintf("--mtu=%" PRIu32, g->mtu));
        return l;
}

int net_network_up(const char *rundir, const NetGlobal *g, BerthError **reterr)
{
        int r = net_global_validate(g, reterr);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **args = network_args("up", rundir, g);
        return net_helper_run(args, -EBADF, reterr);
}

int net_network_down(const char *rundir, const char *bridge, bool force, BerthError **reterr)
{
        char *args[] = {(char *)"down", (char *)"--rundir", (char *)rundir, (char *)"--bridge",
                        (char *)bridge, force ? (char *)"--force" : NULL, NULL};
        return net_helper_run(args, -EBADF, reterr);
}

bool net_network_is_up(const char *rundir, const char *bridge)
{
        NetGlobal g;
        if (net_network_read(rundir, bridge, &g) < 0)
                return false;
        net_global_done(&g);
        _cleanup_free_ char *dir = net_network_dir(rundir, bridge);
        return if_nametoindex(bridge) > 0 && net_dnsmasq_pid(dir) > 0;
}
