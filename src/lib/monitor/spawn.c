/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting the container's init, as an ordered list of steps.
 *
 * Every mount the container gets is built by host root in a private mount namespace (M1) and
 * reaches the container as a copy made for the container's user namespace, which the kernel
 * locks: container root cannot make a read-only mount writable, uncover a masked /proc file or
 * mount a fresh proc or sysfs. The processes and their sync messages:
 *
 *   monitor                           init (C)                     tree builder (S, then S2)
 *   unshare(NEWNS): M1
 *   clone C: user, pid, uts, ipc, net, time namespaces; C sits in M1
 *   fork S (in M1); the monitor goes back to its own mount namespace
 *   join C to its cgroup, map its ids
 *   'G' ------------------------->   unshare(NEWCGROUP), root of its user namespace
 *   <-------------------------------- 'C'
 *   'B' ----------------------------------------------------------> S enters C's pid namespace
 *   host hooks (network links)                                       and forks S2, which enters
 *                                                                    C's net, ipc and cgroup ones,
 *                                                                    and builds the tree: rootfs,
 *                                                                    mount plan, ptys, /run/host,
 *                                                                    pivot_root (C's root follows)
 *   <----------------------------------------------------------------- 'P' + masters, 'N' + notify
 *                                                                      socket, 'T' (or 'E' errno
 *                                                                      message)
 *   'T' ------------------------->   unshare(NEWNS): the locked copy
 *                                    console, hostname, capabilities, no_new_privs, LSM, seccomp
 *   <-------------------------------- 'X' (about to exec; EOF follows), or 'E' errno message
 *
 * S2 is host root (in C's pid namespace, so the proc it mounts is the container's). While it
 * works on the rootfs it acts with the container root's host ids as fsuid and fsgid, so what
 * it creates belongs to container root and a bind source is reached only if container root
 * could reach it; it keeps CAP_SYS_ADMIN for the mounts, and every path inside the rootfs is
 * resolved without leaving it (see mount-apply.c). No container code runs before S2 is gone:
 * C waits for 'T'. */
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fd-util.h"
#include "log.h"
#include "monitor.h"
#include "ns/idmap.h"
#include "socket-util.h"
#include "storage/storage.h"
#include "strv.h"

#define SYNC_MSG_MAX 4096

/* One start in progress, as the monitor sees it. */
typedef struct Spawn {
        const SpawnParams *p;
        SpawnResult res;
        char *stage;       /* where S2 builds the tree (inside M1 only) */
        int csync;         /* to C */
        int ssync;         /* to S and S2 */
        pid_t setup_pid;   /* S */
        int own_mntns;     /* the monitor's mount namespace, to return to */
} Spawn;

typedef struct SpawnStep {
        const char *name;
        int (*run)(Spawn *s, BerthError **reterr);
} SpawnStep;

/* ---- messages ---------------------------------------------------------------------------- */

static int send_byte(int sock, char c)
{
        return send(sock, &c, 1, MSG_NOSIGNAL) == 1 ? 0 : negative_errno();
}

static int send_error(int sock, int r, const BerthError *err)
{
        char msg[SYNC_MSG_MAX];
        int code = err ? err->code : (r < 0 ? -r : r);
        int n = snprintf(msg, sizeof(msg), "E%d %s", code ? code : EIO,
                         berth_error_message(err, r));
        return send(sock, msg, MIN((size_t)n, sizeof(msg) - 1), MSG_NOSIGNAL) >= 0
                       ? 0
                       : negative_errno();
}

static _noreturn_ void fail_exit(int sync, int r, BerthError *err)
{
        (void)send_error(sync, r, err);
        _exit(EXIT_FAILURE);
}

/* A peer's 'E' message: its errno and message become ours. */
static int peer_error(const char *msg, BerthError **reterr)
{
        unsigned code = 0;
        int off = 0;
        if (sscanf(msg, "%u %n", &code, &off) != 1 || off == 0 || !errno_is_valid(code))
                return berth_error_setf(reterr, EPROTO, "container setup sent a malformed error");
        return berth_error_setf(reterr, (int)code, "%s", msg + off);
}

/* Waits for byte want (or an error message) from a peer. */
static int expect(int sock, char want, const char *who, BerthError **reterr)
{
        char buf[SYNC_MSG_MAX];
        int fds[SOCKET_MAX_FDS];
        size_t nfds = 0;
        ssize_t k = recv_with_fds(sock, buf, sizeof(buf) - 1, fds, SOCKET_MAX_FDS, &nfds);
        for (size_t i = 0; i < nfds; i++)
                close(fds[i]);
        if (k < 0)
                return berth_error_set(reterr, (int)k, "read from %s", who);
        if (k == 0)
                return berth_error_setf(reterr, EIO, "%s exited during setup", who);
        buf[k] = 0;
        if (buf[0] == 'E')
                return peer_error(buf + 1, reterr);
        if (buf[0] != want)
                return berth_error_setf(reterr, EPROTO, "%s sent an unexpected message", who);
        return 0;
}

/* ---- the container's init (C) ------------------------------------------------------------ */

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

static void child_reset_signals(void)
{
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (int s = 1; s < _NSIG; s++)
                if (s != SIGKILL && s != SIGSTOP)
                        (void)signal(s, SIG_DFL);
}

/* Until 'T': its own cgroup namespace, and root of its user namespace. */
static int child_enter(const SpawnParams *p, BerthError **reterr)
{
        /* Only now, inside its own cgroup, so the namespace's root is the container's cgroup
         * and not the monitor's. */
        if (unshare(CLONE_NEWCGROUP) < 0)
                return berth_error_set(reterr, errno, "create cgroup namespace");
        if (p->idmap &&
            (setgroups(0, NULL) < 0 || setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                return berth_error_set(reterr, errno, "become root of the user namespace");
        return 0;
}

/* After 'T': the tree is built and is our root; take the locked copy and become init. */
static int child_finish(const SpawnParams *p, BerthError **reterr)
{
        /* A copy made by a process of the container's user namespace: the kernel locks every
         * mount in it against that namespace. */
        if (unshare(CLONE_NEWNS) < 0)
                return berth_error_set(reterr, errno, "create the container's mount namespace");
        if (chdir("/") < 0)
                return berth_error_set(reterr, errno, "enter the container's root");

        const char *hostname = p->config->hostname ? p->config->hostname : p->name;
        if (sethostname(hostname, strlen(hostname)) < 0)
                return berth_error_set(reterr, errno, "set hostname '%s'", hostname);

        int r = child_setup_console(reterr);
        if (r >= 0)
                r = caps_plan_apply(p->caps, reterr);
        if (r < 0)
                return r;
        if (p->config->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return berth_error_set(reterr, errno, "set no_new_privs");
        if (p->lsm && p->lsm_profile) {
                r = p->lsm->exec_profile(p->lsm_profile, reterr);
                if (r < 0)
                        return r;
        }
        /* Last: the filter also applies to everything we would still do here. */
        return seccomp_plan_apply(p->seccomp, reterr);
}

static _noreturn_ void child_main(const SpawnParams *p, int sync)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r;

        /* Die with the monitor while still in setup; cleared right before exec so that the
         * running container outlives its monitor. */
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        close_all_fds_except(&sync, 1);
        child_reset_signals();

        char go;
        if (recv(sync, &go, 1, 0) != 1 || go != 'G')
                _exit(EXIT_FAILURE);
        r = child_enter(p, &err);
        if (r < 0 || send_byte(sync, 'C') < 0)
                fail_exit(sync, r, err);

        if (recv(sync, &go, 1, 0) != 1 || go != 'T')
                _exit(EXIT_FAILURE);
        r = child_finish(p, &err);
        if (r < 0)
                fail_exit(sync, r, err);

        if (send_byte(sync, 'X') < 0)
                _exit(EXIT_FAILURE);
        (void)prctl(PR_SET_PDEATHSIG, 0);

        char *const *argv = p->config->init_cmd;
        execve(argv[0], argv, p->env);
        r = berth_error_set(&err, errno, "exec init '%s'", argv[0]);
        fail_exit(sync, r, err);
}

/* ---- the tree builder (S2) --------------------------------------------------------------- */

static int send_masters(int sync, const int *masters, size_t n)
{
        for (size_t off = 0; off < n; off += SOCKET_MAX_FDS) {
                size_t k = MIN((size_t)SOCKET_MAX_FDS, n - off);
                int r = send_with_fds(sync, "P", 1, masters + off, k);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Container root's host ids, which S2 takes as fsuid and fsgid. */
static void host_root_ids(const SpawnParams *p, uid_t *ret_uid, gid_t *ret_gid)
{
        *ret_uid = p->idmap ? idmap_host_root(p->idmap, p->n_idmap) : 0;
        *ret_gid = *ret_uid;
}

static int tree_build(const SpawnParams *p, const char *stage, pid_t init_pid, int sync,
                      BerthError **reterr)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)init_pid);
        _cleanup_close_ int userns = p->idmap ? open(path, O_RDONLY | O_CLOEXEC) : -EBADF;
        if (p->idmap && userns < 0)
                return berth_error_set(reterr, errno, "open '%s'", path);
        /* From here on files are created as container root (see the top of this file). */
        uid_t uid;
        gid_t gid;
        host_root_ids(p, &uid, &gid);
        if (setgroups(0, NULL) < 0)
                return berth_error_set(reterr, errno, "drop supplementary groups");
        (void)setfsgid(gid);
        (void)setfsuid(uid);
        if ((gid_t)setfsgid((gid_t)-1) != gid || (uid_t)setfsuid((uid_t)-1) != uid)
                return berth_error_setf(reterr, EPERM, "act as host uid %u", (unsigned)uid);

        /* The storage backend's tree (an overlay of layers, a subvolume, a directory), idmapped
         * for the container's user namespace, with the throw-away layer of an ephemeral start
         * on top. It is made with container root's file ids, because overlayfs works in its
         * upper layer with its mounter's, and through an idmapped layer only a mapped id can
         * create anything; and with the right to reach into the 0700 store, which the ids
         * alone do not give. That right is dropped again before the container's own paths are
         * touched. */
        _cleanup_close_ int tree = -EBADF;
        bool acting = uid != 0;
        int r = acting ? caps_raise_dac(true, reterr) : 0;
        if (r >= 0)
                r = storage_rootfs_open(p->container_dir, p->config, userns, p->ephemeral_dir,
                                        &tree, reterr);
        int k = acting ? caps_raise_dac(false, r < 0 ? NULL : reterr) : 0;
        if (r < 0)
                return r;
        if (k < 0)
                return k;

        if (move_mount(tree, "", AT_FDCWD, stage, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return berth_error_set(reterr, errno, "attach rootfs at '%s'", stage);
        r = mount_plan_apply(p->plan, stage, reterr);
        if (r < 0)
                return r;

        size_t n = p->config->console_ttys + 1;
        int masters[MONITOR_TTYS_MAX + 1];
        r = mount_setup_ptys_full(stage, p->config->console_ttys, p->bind_ttys, p->tty_gid,
                                  masters, reterr);
        if (r < 0)
                return r;
        r = send_masters(sync, masters, n);
        for (size_t i = 0; i < n; i++)
                close(masters[i]);
        if (r < 0)
                return berth_error_set(reterr, r, "hand the console over");

        _cleanup_close_ int notify = -EBADF;
        r = mount_setup_run_host(stage, p->os_release, p->uuid, &notify, reterr);
        if (r < 0)
                return r;
        r = send_with_fds(sync, "N", 1, &notify, 1);
        if (r < 0)
                return berth_error_set(reterr, r, "hand the notify socket over");

        /* The root of M1 becomes the tree, and C's root (the old one) follows. */
        return mount_pivot_root(stage, reterr);
}

static _noreturn_ void tree_builder_main(const SpawnParams *p, const char *stage, pid_t init_pid,
                                         int init_pidfd, int sync)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r;

        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        int keep[] = {sync, init_pidfd};
        close_all_fds_except(keep, ELEMENTSOF(keep));
        child_reset_signals();

        char go;
        if (recv(sync, &go, 1, 0) != 1 || go != 'B')
                _exit(EXIT_FAILURE);

        /* The proc it mounts belongs to the pid namespace it is in: C's. */
        if (setns(init_pidfd, CLONE_NEWPID) < 0) {
                r = berth_error_set(&err, errno, "enter the container's pid namespace");
                fail_exit(sync, r, err);
        }
        pid_t pid = fork();
        if (pid < 0) {
                r = berth_error_set(&err, errno, "fork into the container's pid namespace");
                fail_exit(sync, r, err);
        }
        if (pid == 0) {
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                /* sysfs, mqueue and the cgroup mounts belong to these. */
                if (setns(init_pidfd, CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWCGROUP) < 0) {
                        r = berth_error_set(&err, errno, "enter the container's namespaces");
                        fail_exit(sync, r, err);
                }
                safe_close(init_pidfd);
                r = tree_build(p, stage, init_pid, sync, &err);
                if (r < 0)
                        fail_exit(sync, r, err);
                if (send_byte(sync, 'T') < 0)
                        _exit(EXIT_FAILURE);
                _exit(EXIT_SUCCESS);
        }
        /* S2 lives in C's pid namespace: if S went away first, C would inherit it. */
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        _exit(EXIT_FAILURE);
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_FAILURE);
}

/* ---- the steps --------------------------------------------------------------------------- */

static pid_t clone_init(bool userns, int *ret_pidfd)
{
        int pidfd = -EBADF;
        struct clone_args args = {
                .flags = CLONE_PIDFD | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
                         CLONE_NEWTIME | (userns ? CLONE_NEWUSER : 0),
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

/* In M1, a private mount namespace: C and S are born there; the monitor returns at once. */
static int step_clone(Spawn *s, BerthError **reterr)
{
        int csv[2], ssv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, csv) < 0)
                return berth_error_set(reterr, errno, "create sync socket");
        s->csync = csv[0];
        _cleanup_close_ int c_end = csv[1];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ssv) < 0)
                return berth_error_set(reterr, errno, "create sync socket");
        s->ssync = ssv[0];
        _cleanup_close_ int s_end = ssv[1];

        s->own_mntns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        if (s->own_mntns < 0)
                return berth_error_set(reterr, errno, "open own mount namespace");
        if (unshare(CLONE_NEWNS) < 0)
                return berth_error_set(reterr, errno, "create a private mount namespace");

        int r = 0;
        pid_t pid = -1;
        /* Nothing mounted in M1 may propagate back to the host. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                r = berth_error_set(reterr, errno, "make '/' a slave mount");
        else {
                pid = clone_init(s->p->idmap != NULL, &s->res.pidfd);
                if (pid < 0)
                        r = berth_error_set(reterr, errno, "clone container init");
        }
        if (pid == 0) {
                s->csync = safe_close(s->csync);
                s->ssync = safe_close(s->ssync);
                child_main(s->p, c_end);
        }
        if (pid > 0) {
                s->res.pid = pid;
                s->setup_pid = fork();
                if (s->setup_pid == 0) {
                        s->csync = safe_close(s->csync);
                        s->ssync = safe_close(s->ssync);
                        tree_builder_main(s->p, s->stage, pid, s->res.pidfd, s_end);
                }
                if (s->setup_pid < 0)
                        r = berth_error_set(reterr, errno, "fork the tree builder");
        }
        /* Back in any case: the monitor itself never stays in M1. */
        if (setns(s->own_mntns, CLONE_NEWNS) < 0) {
                int e = errno;
                if (r >= 0)
                        r = berth_error_set(reterr, e, "return to own mount namespace");
        }
        return r;
}

static int step_cgroup(Spawn *s, BerthError **reterr)
{
        return cgroup_attach(s->p->ns_cgroup, s->res.pid, reterr);
}

static int step_idmap(Spawn *s, BerthError **reterr)
{
        if (!s->p->idmap)
                return 0;
        return idmap_write(s->res.pid, s->p->idmap, s->p->n_idmap, reterr);
}

static int step_enter(Spawn *s, BerthError **reterr)
{
        int r = send_byte(s->csync, 'G');
        if (r < 0)
                return berth_error_set(reterr, r, "start container init");
        return expect(s->csync, 'C', "container init", reterr);
}

/* The tree builder works while the host hooks (network) run. */
static int step_tree_start(Spawn *s, BerthError **reterr)
{
        int r = send_byte(s->ssync, 'B');
        if (r < 0)
                return berth_error_set(reterr, r, "start the tree builder");
        return 0;
}

static int step_host_hooks(Spawn *s, BerthError **reterr)
{
        for (size_t i = 0; i < s->p->n_hooks; i++) {
                const SpawnHook *h = &s->p->hooks[i];
                int r = h->run(s->p, s->res.pid, s->res.pidfd, h->userdata, reterr);
                if (r < 0)
                        return berth_error_prefix(reterr, r, "%s", h->name);
        }
        return 0;
}

static int step_tree_wait(Spawn *s, BerthError **reterr)
{
        size_t want = s->p->config->console_ttys + 1;
        for (;;) {
                char buf[SYNC_MSG_MAX];
                int fds[SOCKET_MAX_FDS];
                size_t nfds = 0;
                ssize_t k = recv_with_fds(s->ssync, buf, sizeof(buf) - 1, fds, SOCKET_MAX_FDS,
                                          &nfds);
                if (k < 0)
                        return berth_error_set(reterr, (int)k, "read from the tree builder");
                if (k == 0)
                        return berth_error_setf(reterr, EIO, "the tree builder exited early");
                buf[k] = 0;
                if (buf[0] == 'P' && s->res.n_masters + nfds <= want) {
                        for (size_t i = 0; i < nfds; i++)
                                s->res.masters[s->res.n_masters++] = fds[i];
                        continue;
                }
                if (buf[0] == 'N' && nfds == 1 && s->res.notify_fd < 0) {
                        s->res.notify_fd = fds[0];
                        continue;
                }
                for (size_t i = 0; i < nfds; i++)
                        close(fds[i]);
                if (buf[0] == 'E')
                        return peer_error(buf + 1, reterr);
                if (buf[0] != 'T')
                        return berth_error_setf(reterr, EPROTO,
                                                "the tree builder sent an unexpected message");
                if (s->res.n_masters != want || s->res.notify_fd < 0)
                        return berth_error_setf(reterr, EPROTO,
                                                "the tree builder left out the console");
                break;
        }
        int status;
        while (waitpid(s->setup_pid, &status, 0) < 0)
                if (errno != EINTR)
                        return berth_error_set(reterr, errno, "wait for the tree builder");
        s->setup_pid = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return berth_error_setf(reterr, EIO, "the tree builder failed");
        return 0;
}

static int step_exec(Spawn *s, BerthError **reterr)
{
        int r = send_byte(s->csync, 'T');
        if (r < 0)
                return berth_error_set(reterr, r, "start container init");
        r = expect(s->csync, 'X', "container init", reterr);
        if (r < 0)
                return r;
        /* EOF once the exec closed the socket; an exec failure sends its error first. */
        char buf[SYNC_MSG_MAX];
        ssize_t k = recv(s->csync, buf, sizeof(buf) - 1, 0);
        if (k < 0)
                return berth_error_set(reterr, errno, "read from container init");
        if (k > 0) {
                buf[k] = 0;
                return buf[0] == 'E' ? peer_error(buf + 1, reterr)
                                     : berth_error_setf(reterr, EPROTO,
                                                        "container init sent an unexpected "
                                                        "message");
        }
        return 0;
}

static const SpawnStep spawn_steps[] = {
        {"clone init", step_clone},
        {"join cgroup", step_cgroup},
        {"map ids", step_idmap},
        {"enter namespaces", step_enter},
        {"build the tree", step_tree_start},
        {"host hooks", step_host_hooks},
        {"wait for the tree", step_tree_wait},
        {"exec init", step_exec},
};

/* ---- the whole ----------------------------------------------------------------------------- */

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
        if (pidfd >= 0) {
                (void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
                siginfo_t si;
                (void)waitid(P_PIDFD, pidfd, &si, WEXITED);
        } else if (pid > 0) {
                (void)kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
        }
}

static void spawn_done(Spawn *s)
{
        if (s->setup_pid > 0)
                kill_and_reap(s->setup_pid, -EBADF);
        safe_close(s->csync);
        safe_close(s->ssync);
        safe_close(s->own_mntns);
        if (s->stage) {
                (void)rmdir(s->stage);
                free(s->stage);
        }
}

int spawn_container(const SpawnParams *p, SpawnResult *ret, BerthError **reterr)
{
        Spawn s = {
                .p = p,
                .res = {.pidfd = -EBADF, .notify_fd = -EBADF},
                .csync = -EBADF,
                .ssync = -EBADF,
                .own_mntns = -EBADF,
        };

        /* An empty directory of the host's: the tree is built there inside M1 only, and it is
         * gone again once init runs. */
        s.stage = xstrdup("/tmp/.berth-root-XXXXXX");
        /* 0755: S2 reaches it with container root's ids. */
        if (!mkdtemp(s.stage) || chmod(s.stage, 0755) < 0) {
                int e = errno;
                s.stage = mfree(s.stage);
                return berth_error_set(reterr, e, "create staging directory in '/tmp'");
        }

        int r = 0;
        for (size_t i = 0; i < ELEMENTSOF(spawn_steps) && r >= 0; i++) {
                uint64_t t0 = now_usec();
                r = spawn_steps[i].run(&s, reterr);
                log_debug("spawn step '%s': %d (%llu us)", spawn_steps[i].name, r,
                          (unsigned long long)(now_usec() - t0));
        }
        if (r < 0) {
                /* C is the pid namespace's init: its death takes S2 along. */
                if (s.res.pid > 0)
                        kill_and_reap(s.res.pid, s.res.pidfd);
                spawn_result_done(&s.res);
                spawn_done(&s);
                return r;
        }
        *ret = s.res;
        spawn_done(&s);
        return 0;
}
