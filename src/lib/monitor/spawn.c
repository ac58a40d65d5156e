/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cloning the container's init. The child runs the setup (cgroup namespace, hostname, mounts,
 * ptys, pivot_root, console, capabilities, LSM, seccomp) and execs init; the monitor steps it
 * through over a SOCK_SEQPACKET sync socket:
 *
 *   monitor -> child  'G' [+ fd]     joined the cgroup (and, with a user namespace: ids
 *                                    mapped; the fd is the idmapped rootfs): go on
 *   child -> monitor  'P' + fds      pty masters, up to SOCKET_MAX_FDS per message
 *   child -> monitor  'N' + fd       the notify socket bound at /run/host/notify
 *   child -> monitor  'X'            about to exec (the socket is O_CLOEXEC: EOF follows)
 *   child -> monitor  'E' errno ' ' message
 *                                    setup or exec failed (errno in decimal); the child exits
 */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fd-util.h"
#include "monitor.h"
#include "ns/idmap.h"
#include "socket-util.h"
#include "strv.h"

#define SYNC_MSG_MAX 4096

static _noreturn_ void child_fail(int sync, int r, BerthError *err)
{
        char msg[SYNC_MSG_MAX];
        int code = err ? err->code : (r < 0 ? -r : r);
        int n = snprintf(msg, sizeof(msg), "E%d %s", code ? code : EIO,
                         berth_error_message(err, r));
        (void)send(sync, msg, MIN((size_t)n, sizeof(msg) - 1), MSG_NOSIGNAL);
        _exit(EXIT_FAILURE);
}

/* The child's 'E' message: its errno and message become ours. */
static int child_error(const char *msg, BerthError **reterr)
{
        unsigned code = 0;
        int off = 0;
        if (sscanf(msg, "%u %n", &code, &off) != 1 || off == 0 || code == 0 || code >= 4096)
                return berth_error_setf(reterr, EPROTO, "container init sent a malformed error");
        return berth_error_setf(reterr, (int)code, "%s", msg + off);
}

static int child_send_masters(int sync, const int *masters, size_t n)
{
        for (size_t off = 0; off < n; off += SOCKET_MAX_FDS) {
                size_t k = MIN((size_t)SOCKET_MAX_FDS, n - off);
                int r = send_with_fds(sync, "P", 1, masters + off, k);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int child_setup_console(BerthError **reterr)
{
        /* init gets /dev/console as stdio but, as on a real boot, not as its controlling
         * terminal: a getty on the console must be able to take it. */
        _cleanup_close_ int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(reterr, errno, "open '/dev/console'");
        if (setsid() < 0)
                return berth_error_set(reterr, errno, "create session");
        for (int i = 0; i < 3; i++)
                if (dup2(fd, i) < 0)
                        return berth_error_set(reterr, errno, "duplicate console fd");
        return 0;
}

static _noreturn_ void child_main(const SpawnParams *p, int sync)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r;

        /* Die with the monitor while still in setup; cleared right before exec so that the
         * running container outlives its monitor. */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);

        close_all_fds_except(&sync, 1);

        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (int s = 1; s < _NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        (void)signal(s, SIG_DFL);

        char go;
        int rootfs_fd = -EBADF;
        size_t nfd = 0;
        ssize_t k = recv_with_fds(sync, &go, 1, &rootfs_fd, 1, &nfd);
        if (k != 1 || go != 'G')
                _exit(EXIT_FAILURE);

        /* Only now, inside its own cgroup, so the namespace's root is the container's cgroup and
         * not the monitor's. */
        if (unshare(CLONE_NEWCGROUP) < 0) {
                r = berth_error_set(&err, errno, "create cgroup namespace");
                child_fail(sync, r, err);
        }

        /* With a user namespace the rootfs is the idmapped copy of the tree, attached (in our
         * own mount namespace only) at a staging directory that any uid can traverse: from
         * here on this process is the container's root, whose host uid may not search the
         * store's parent directories. It has to be that early, because a filesystem mounted in
         * the user namespace refuses to create inodes for an unmapped uid. */
        const char *root = p->rootfs;
        if (p->idmap) {
                if (nfd != 1)
                        child_fail(sync, -EPROTO, NULL);
                if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                        r = berth_error_set(&err, errno, "make '/' a slave mount");
                        child_fail(sync, r, err);
                }
                if (move_mount(rootfs_fd, "", AT_FDCWD, p->stage, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
                        r = berth_error_set(&err, errno, "attach idmapped rootfs at '%s'",
                                            p->stage);
                        child_fail(sync, r, err);
                }
                safe_close(rootfs_fd);
                if (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
                        r = berth_error_set(&err, errno, "become root of the user namespace");
                        child_fail(sync, r, err);
                }
                root = p->stage;
        }

        const char *hostname = p->config->hostname ? p->config->hostname : p->name;
        if (sethostname(hostname, strlen(hostname)) < 0) {
                r = berth_error_set(&err, errno, "set hostname '%s'", hostname);
                child_fail(sync, r, err);
        }

        r = mount_plan_apply(p->plan, root, &err);
        if (r < 0)
                child_fail(sync, r, err);

        size_t n = p->config->console_ttys + 1;
        int masters[MONITOR_TTYS_MAX + 1];
        r = mount_setup_ptys_full(root, p->config->console_ttys, p->bind_ttys, masters, &err);
        if (r < 0)
                child_fail(sync, r, err);
        r = child_send_masters(sync, masters, n);
        if (r < 0)
                child_fail(sync, r, NULL);
        for (size_t i = 0; i < n; i++)
                close(masters[i]);

        int notify = -EBADF;
        r = mount_setup_run_host(root, p->os_release, p->uuid, &notify, &err);
        if (r < 0)
                child_fail(sync, r, err);
        r = send_with_fds(sync, "N", 1, &notify, 1);
        if (r < 0)
                child_fail(sync, r, NULL);
        safe_close(notify);

        r = mount_pivot_root(root, &err);
        if (r < 0)
                child_fail(sync, r, err);

        r = child_setup_console(&err);
        if (r < 0)
                child_fail(sync, r, err);

        r = caps_plan_apply(p->caps, &err);
        if (r < 0)
                child_fail(sync, r, err);
        if (p->config->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
                r = berth_error_set(&err, errno, "set no_new_privs");
                child_fail(sync, r, err);
        }
        if (p->lsm && p->lsm_profile) {
                r = p->lsm->exec_profile(p->lsm_profile, &err);
                if (r < 0)
                        child_fail(sync, r, err);
        }
        /* Last: the filter also applies to everything we would still do here. */
        r = seccomp_plan_apply(p->seccomp, &err);
        if (r < 0)
                child_fail(sync, r, err);

        if (send(sync, "X", 1, MSG_NOSIGNAL) != 1)
                _exit(EXIT_FAILURE);
        (void)prctl(PR_SET_PDEATHSIG, 0);

        char *const *argv = p->config->init_cmd;
        execve(argv[0], argv, p->env);
        r = berth_error_set(&err, errno, "exec init '%s'", argv[0]);
        child_fail(sync, r, err);
}

static void stage_removep(char **stage)
{
        if (*stage) {
                (void)rmdir(*stage);
                free(*stage);
        }
}

static pid_t clone_container(bool userns, int *ret_pidfd)
{
        int pidfd = -EBADF;
        struct clone_args args = {
                .flags = CLONE_PIDFD | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                         CLONE_NEWNET | CLONE_NEWTIME | (userns ? CLONE_NEWUSER : 0),
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        pid_t pid = syscall(SYS_clone3, &args, sizeof(args));
        if (pid < 0 && errno == EINVAL) {
                /* A kernel without time namespaces: everything else still applies. */
                args.flags &= ~(uint64_t)CLONE_NEWTIME;
                pid = syscall(SYS_clone3, &args, sizeof(args));
        }
        if (pid > 0)
                *ret_pidfd = pidfd;
        return pid;
}

void spawn_result_done(SpawnResult *r)
{
        for (size_t i = 0; i < r->n_masters; i++)
                safe_close(r->masters[i]);
        r->n_masters = 0;
        r->pidfd = safe_close(r->pidfd);
        r->notify_fd = safe_close(r->notify_fd);
        r->pid = 0;
}

static void kill_and_reap(pid_t pid, int pidfd)
{
        (void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        siginfo_t si;
        (void)waitid(P_PIDFD, pidfd, &si, WEXITED);
}

int spawn_container(const SpawnParams *p, SpawnResult *ret, BerthError **reterr)
{
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return berth_error_set(reterr, errno, "create sync socket");
        _cleanup_close_ int msync = sv[0], csync = sv[1];

        /* An empty directory in the host's /tmp: the idmapped rootfs is attached there inside
         * the child's mount namespace only, and the directory is gone again once init runs. */
        _cleanup_(stage_removep) char *stage = NULL;
        SpawnParams params = *p;
        if (p->idmap) {
                stage = xstrdup("/tmp/.berth-root-XXXXXX");
                if (!mkdtemp(stage) || chmod(stage, 0755) < 0) {
                        int e = errno;
                        stage = mfree(stage);
                        return berth_error_set(reterr, e, "create staging directory in '/tmp'");
                }
                params.stage = stage;
        }
        p = &params;

        SpawnResult res = {.pidfd = -EBADF, .notify_fd = -EBADF};
        pid_t pid = clone_container(p->idmap != NULL, &res.pidfd);
        if (pid < 0)
                return berth_error_set(reterr, errno, "clone container init");
        if (pid == 0) {
                msync = safe_close(msync);
                child_main(p, csync);
        }
        csync = safe_close(csync);
        res.pid = pid;

        int r = cgroup_attach(p->ns_cgroup, pid, reterr);
        if (r < 0)
                goto fail;
        _cleanup_close_ int rootfs_fd = -EBADF;
        if (p->idmap) {
                r = idmap_write(pid, p->idmap, p->n_idmap, reterr);
                if (r < 0)
                        goto fail;
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
                _cleanup_close_ int userns = open(path, O_RDONLY | O_CLOEXEC);
                if (userns < 0) {
                        r = berth_error_set(reterr, errno, "open '%s'", path);
                        goto fail;
                }
                r = idmap_mount_tree(p->rootfs, userns, &rootfs_fd, reterr);
                if (r < 0)
                        goto fail;
        }
        r = send_with_fds(msync, "G", 1, &rootfs_fd, rootfs_fd >= 0 ? 1 : 0);
        if (r < 0) {
                r = berth_error_set(reterr, r, "start container init");
                goto fail;
        }
        rootfs_fd = safe_close(rootfs_fd);

        size_t want = p->config->console_ttys + 1;
        bool exec_seen = false;
        for (;;) {
                char buf[SYNC_MSG_MAX];
                int fds[SOCKET_MAX_FDS];
                size_t nfds = 0;
                ssize_t k = recv_with_fds(msync, buf, sizeof(buf) - 1, fds, SOCKET_MAX_FDS, &nfds);
                if (k < 0) {
                        r = berth_error_set(reterr, (int)k, "read from container init");
                        goto fail;
                }
                if (k == 0)
                        break;
                buf[k] = 0;
                if (buf[0] == 'P' && res.n_masters + nfds <= want) {
                        for (size_t i = 0; i < nfds; i++)
                                res.masters[res.n_masters++] = fds[i];
                        continue;
                }
                if (buf[0] == 'N' && nfds == 1 && res.notify_fd < 0) {
                        res.notify_fd = fds[0];
                        continue;
                }
                for (size_t i = 0; i < nfds; i++)
                        close(fds[i]);
                if (buf[0] == 'X') {
                        exec_seen = true;
                        continue;
                }
                if (buf[0] == 'E') {
                        r = child_error(buf + 1, reterr);
                        goto fail;
                }
                r = berth_error_setf(reterr, EPROTO, "container init sent an unexpected message");
                goto fail;
        }
        if (!exec_seen || res.n_masters != want || res.notify_fd < 0) {
                r = berth_error_setf(reterr, EIO, "container init exited during setup");
                goto fail;
        }
        *ret = res;
        return 0;

fail:
        kill_and_reap(pid, res.pidfd);
        spawn_result_done(&res);
        return r;
}
