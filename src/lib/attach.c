/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running a command inside a running container: its namespaces, its cgroup, its capability
 * bounds and seccomp filter, and only binaries of the container (the exec happens after the
 * mount namespace is joined).
 *
 * Three processes. The caller forks a setup process, which joins the container's cgroup and
 * namespaces (it stays in the host's pid namespace, so nothing inside can name it) and forks
 * the command into the container's pid namespace, then waits for it and exits with its status.
 * The command starts a new session and never gets a file descriptor of the caller: where the
 * caller has a terminal the command gets a pty of the container's own devpts, whose master the
 * caller relays to its terminal (a container that could reach the caller's terminal could push
 * keystrokes into the caller's shell with TIOCSTI); where the caller has anything else (a pipe,
 * a file, a socket) the command gets a pipe the caller relays. Every setup failure reaches the
 * caller as errno and message over a close-on-exec socket; the socket closing without a report
 * means the exec succeeded. */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <termios.h>

#include "cgroup/cgroup.h"
#include "console/console.h"
#include "container-internal.h"
#include "fd-util.h"
#include "fileio.h"
#include "monitor/monitor.h"
#include "ns/ns.h"
#include "security/security.h"
#include "socket-util.h"
#include "strv.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef DEVPTS_SUPER_MAGIC
#define DEVPTS_SUPER_MAGIC 0x1cd1
#endif

extern char **environ;

/* What the command gets as one of its fds 0..2, besides a pipe end (>= 0). */
#define ATTACH_FD_PTY (-1)  /* the pty slave */
#define ATTACH_FD_NONE (-2) /* nothing: the caller's own fd is closed */

#define ATTACH_MESSAGE_MAX 512

typedef enum AttachReportKind {
        ATTACH_REPORT_READY = 1, /* from the setup process, with the command's pidfd [, master] */
        ATTACH_REPORT_ERROR = 2, /* from either child, right before it exits */
} AttachReportKind;

typedef struct AttachReport {
        int32_t kind;
        int32_t error; /* a positive errno */
        char message[ATTACH_MESSAGE_MAX];
} AttachReport;

typedef struct AttachPlan {
        BerthConfig *config;
        Cgroup *cgroup;
        CapsPlan caps;
        SeccompPlan seccomp;
        char **env;
        bool pty;
        bool have_winsize;
        struct winsize winsize;
        int child_fd[3]; /* the command's fds 0..2: a pipe end, ATTACH_FD_PTY or ATTACH_FD_NONE */
        int relay_fd[3]; /* the caller's end of each pipe, or -EBADF */
} AttachPlan;

static void attach_plan_done(AttachPlan *p)
{
        config_free(p->config);
        cgroup_free(p->cgroup);
        seccomp_plan_done(&p->seccomp);
        strv_free(p->env);
        for (int i = 0; i < 3; i++) {
                if (p->child_fd[i] >= 0)
                        safe_close(p->child_fd[i]);
                safe_close(p->relay_fd[i]);
        }
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

/* ---- the children ----------------------------------------------------------------------- */

/* Reports a setup failure to the caller and ends this child. Never prints: the caller owns
 * stderr, and the message is the caller's to present. */
_printf_(3, 4) static _noreturn_ void child_fail(int sock, int error, const char *fmt, ...)
{
        AttachReport rep = {.kind = ATTACH_REPORT_ERROR, .error = error > 0 ? error : EIO};
        va_list ap;

        va_start(ap, fmt);
        int n = vsnprintf(rep.message, sizeof(rep.message), fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof(rep.message))
                (void)snprintf(rep.message + n, sizeof(rep.message) - (size_t)n, ": %s",
                               strerror(rep.error));
        (void)send(sock, &rep, sizeof(rep), MSG_NOSIGNAL);
        _exit(127);
}

/* The same for an error object, whose message is complete already. */
static _noreturn_ void child_fail_error(int sock, int r, const BerthError *err)
{
        AttachReport rep = {.kind = ATTACH_REPORT_ERROR, .error = r < 0 ? -r : EIO};

        (void)snprintf(rep.message, sizeof(rep.message), "%s", berth_error_message(err, r));
        (void)send(sock, &rep, sizeof(rep), MSG_NOSIGNAL);
        _exit(127);
}

/* The same file at a number above 2, so installing fds 0..2 cannot overwrite it. */
static int fd_above_stdio(int fd)
{
        if (fd < 0 || fd > 2)
                return fd;
        int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (n < 0)
                return negative_errno();
        close(fd);
        return n;
}

/* The caller may have ignored or blocked signals; the command starts from the defaults. */
static void reset_signals(void)
{
        struct sigaction sa = {.sa_handler = SIG_DFL};
        sigset_t none;

        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)sigaction(sig, &sa, NULL);
        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the command, still as root of the container: installs fds 0..2. */
static void install_stdio(const AttachPlan *p, int sock, int slave)
{
        int src[3];

        for (int i = 0; i < 3; i++) {
                int fd = p->child_fd[i] == ATTACH_FD_PTY ? slave : p->child_fd[i];
                src[i] = fd >= 0 ? fd_above_stdio(fd) : fd;
                if (fd >= 0 && src[i] < 0)
                        child_fail(sock, -src[i], "set up standard file descriptors");
        }
        for (int i = 0; i < 3; i++) {
                if (src[i] < 0) {
                        close(i);
                        continue;
                }
                if (dup2(src[i], i) < 0)
                        child_fail(sock, errno, "set up standard file descriptors");
        }
}

/* The command: runs in the container's pid namespace. */
static _noreturn_ void attach_exec(const AttachPlan *p, int sock, int master, char **argv,
                                   const BerthAttachOptions *o)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        uid_t uid = o ? o->uid : 0;
        gid_t gid = o ? o->gid : 0;
        const char *cwd = o && o->cwd ? o->cwd : "/";
        int slave = -EBADF, r;

        reset_signals();
        sock = fd_above_stdio(sock);
        master = fd_above_stdio(master);
        if (sock < 0 || master < -EBADF)
                _exit(127);

        /* A session of its own: no terminal of the caller's session is its controlling
         * terminal, so even /dev/tty leads nowhere outside. */
        if (setsid() < 0)
                child_fail(sock, errno, "start a new session");
        if (master >= 0) {
                /* Opened through the master, not by a path the container could swap. */
                slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
                if (slave < 0)
                        child_fail(sock, errno, "open the terminal's slave");
                if (ioctl(slave, TIOCSCTTY, 0) < 0)
                        child_fail(sock, errno, "make the terminal the controlling terminal");
                /* The user owns its terminal, as after a login. */
                if (uid != 0 && fchown(slave, uid, (gid_t)-1) < 0)
                        child_fail(sock, errno, "give the terminal to uid %u", uid);
                master = safe_close(master);
        }
        install_stdio(p, sock, slave);
        slave = safe_close(slave);

        if (chdir(cwd) < 0)
                child_fail(sock, errno, "change directory to '%s'", cwd);
        /* The bounding set while we still hold CAP_SETPCAP; a non-zero uid below then loses
         * the rest. */
        r = caps_plan_apply(&p->caps, &err);
        if (r < 0)
                child_fail_error(sock, r, err);
        /* In a user namespace our host ids are unmapped there: become a mapped user. */
        if (!p->config->privileged || uid || gid) {
                if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
                    setresuid(uid, uid, uid) < 0)
                        child_fail(sock, errno, "set uid %u gid %u", uid, gid);
        }
        if (p->config->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(sock, errno, "set no_new_privs");
        r = seccomp_plan_apply(&p->seccomp, &err);
        if (r < 0)
                child_fail_error(sock, r, err);

        int keep[] = {sock};
        close_all_fds_except(keep, ELEMENTSOF(keep));
        environ = p->env;
        execvp(argv[0], argv);
        child_fail(sock, errno, "exec '%s'", argv[0]);
}

/* A pty of the container's own devpts: opened inside its mount namespace, where every path
 * resolves inside the container, and checked to be a devpts pty master whatever the container
 * put at that path. */
static int open_container_pty(const AttachPlan *p, int *ret)
{
        _cleanup_close_ int fd = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        struct statfs sfs;
        struct stat st;
        if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        unsigned n;
        if ((unsigned long)sfs.f_type != DEVPTS_SUPER_MAGIC || !S_ISCHR(st.st_mode) ||
            ioctl(fd, TIOCGPTN, &n) < 0)
                return -ENOTTY;
        int unlock = 0;
        if (ioctl(fd, TIOCSPTLCK, &unlock) < 0)
                return negative_errno();
        /* Before the command runs, so it starts with the caller's size. */
        if (p->have_winsize)
                (void)ioctl(fd, TIOCSWINSZ, &p->winsize);
        *ret = TAKE_FD(fd);
        return 0;
}

/* The setup process: joins the container, forks the command, waits for it. */
static _noreturn_ void attach_setup(const AttachPlan *p, int sock, int pidfd, pid_t pid,
                                    char **argv, const BerthAttachOptions *o)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;

        /* Not dumpable: while this host binary runs inside the container's namespaces its
         * memory and /proc/PID/exe must not be reachable from the container. The command
         * inherits this until its exec. */
        (void)prctl(PR_SET_DUMPABLE, 0);
        /* Only what the command needs: a library caller may hold any number of fds, and none
         * of them is the container's business. */
        int keep[] = {sock, pidfd, p->child_fd[0], p->child_fd[1], p->child_fd[2]};
        close_all_fds_except(keep, ELEMENTSOF(keep));
        /* Signals from the caller's terminal go to the caller, which forwards them to the
         * command; this process must outlive the command to report its status. */
        (void)signal(SIGINT, SIG_IGN);
        (void)signal(SIGQUIT, SIG_IGN);
        (void)signal(SIGHUP, SIG_IGN);
        (void)signal(SIGTSTP, SIG_IGN);

        int r = cgroup_attach(p->cgroup, getpid(), &err);
        if (r < 0)
                child_fail_error(sock, r, err);
        r = ns_enter_all(pidfd, pid);
        if (r < 0)
                child_fail(sock, -r, "join the namespaces of init (pid %d)", (int)pid);
        close(pidfd);

        _cleanup_close_ int master = -EBADF;
        if (p->pty) {
                r = open_container_pty(p, &master);
                if (r < 0)
                        child_fail(sock, -r, "allocate a terminal from the container's "
                                             "/dev/pts/ptmx");
        }

        /* The pid namespace applies to children only. */
        pid_t c = fork();
        if (c < 0)
                child_fail(sock, errno, "fork");
        if (c == 0)
                attach_exec(p, sock, master, argv, o);

        _cleanup_close_ int cmd = (int)syscall(SYS_pidfd_open, c, 0);
        if (cmd < 0) {
                int e = errno;
                (void)kill(c, SIGKILL);
                (void)wait_status(c);
                child_fail(sock, e, "open a pidfd of the command");
        }
        AttachReport rep = {.kind = ATTACH_REPORT_READY};
        int fds[] = {cmd, master};
        (void)send_with_fds(sock, &rep, sizeof(rep), fds, master >= 0 ? 2 : 1);
        /* From here on the command's socket end alone tells the caller how its exec went. */
        close(sock);
        master = safe_close(master);
        cmd = safe_close(cmd);
        for (int i = 0; i < 3; i++)
                if (p->child_fd[i] >= 0)
                        close(p->child_fd[i]);
        for (int i = 0; i < 3; i++)
                close(i);
        _exit(wait_status(c));
}

/* ---- the caller ------------------------------------------------------------------------- */

static bool fd_is_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

/* Decides what the command gets for each of fds 0..2: a pty when the caller's stdin or
 * stdout is a terminal (the slave for each fd that is one), pipes for the rest. */
static int attach_plan_stdio(AttachPlan *p)
{
        bool tty[3];

        for (int i = 0; i < 3; i++) {
                tty[i] = isatty(i);
                p->relay_fd[i] = -EBADF;
        }
        p->pty = tty[0] || tty[1];
        for (int i = 0; i < 3; i++) {
                if (p->pty && tty[i]) {
                        p->child_fd[i] = ATTACH_FD_PTY;
                        continue;
                }
                if (!fd_is_open(i)) {
                        p->child_fd[i] = ATTACH_FD_NONE;
                        continue;
                }
                int fds[2];
                if (pipe2(fds, O_CLOEXEC) < 0)
                        return negative_errno();
                /* Ours above 2, so the command's fd installation cannot hit them. */
                int mine = i == 0 ? fds[1] : fds[0];
                int theirs = i == 0 ? fds[0] : fds[1];
                p->child_fd[i] = fd_above_stdio(theirs);
                p->relay_fd[i] = fd_above_stdio(mine);
                if (p->child_fd[i] < 0 || p->relay_fd[i] < 0)
                        return p->child_fd[i] < 0 ? p->child_fd[i] : p->relay_fd[i];
                /* Only our ends: the command's stay as a command expects them. */
                int q = fd_set_nonblock(p->relay_fd[i], true);
                if (q < 0)
                        return q;
        }
        for (int i = 0; i < 3 && p->pty; i++)
                if (tty[i] && ioctl(i, TIOCGWINSZ, &p->winsize) == 0) {
                        p->have_winsize = true;
                        break;
                }
        return 0;
}

/* Waits for the setup's outcome: READY (with the command's pidfd and the pty master) and then
 * the socket's end (the exec succeeded), or an ERROR. */
static int attach_wait_exec(const char *name, int sock, int *ret_cmd, int *ret_master,
                            BerthError **reterr)
{
        _cleanup_close_ int cmd = -EBADF, master = -EBADF;
        bool ready = false;

        for (;;) {
                AttachReport rep = {};
                int fds[2];
                size_t n = 0;
                ssize_t k = recv_with_fds(sock, &rep, sizeof(rep), fds, ELEMENTSOF(fds), &n);
                if (k < 0)
                        return berth_error_set(reterr, (int)k, "attach '%s': read setup report",
                                               name);
                if (k == 0)
                        break;
                if ((size_t)k != sizeof(rep) || rep.kind != ATTACH_REPORT_READY) {
                        for (size_t i = 0; i < n; i++)
                                close(fds[i]);
                        if ((size_t)k != sizeof(rep) || rep.kind != ATTACH_REPORT_ERROR)
                                return berth_error_setf(reterr, EPROTO,
                                                        "attach '%s': invalid setup report", name);
                        rep.message[sizeof(rep.message) - 1] = 0;
                        int e = errno_is_valid(rep.error) ? rep.error : EIO;
                        return berth_error_setf(reterr, e, "attach '%s': %s", name, rep.message);
                }
                if (ready || n < 1) {
                        for (size_t i = 0; i < n; i++)
                                close(fds[i]);
                        return berth_error_setf(reterr, EPROTO, "attach '%s': invalid setup report",
                                                name);
                }
                ready = true;
                cmd = fds[0];
                if (n > 1)
                        master = fds[1];
        }
        if (!ready)
                return berth_error_setf(reterr, EIO, "attach '%s': the setup ended without a report",
                                        name);
        *ret_cmd = TAKE_FD(cmd);
        *ret_master = TAKE_FD(master);
        return 0;
}

/* Relays between the caller's fds 0..2 and the command's pty and pipes until the command (the
 * setup process, stop_fd) is gone. */
static int attach_relay(AttachPlan *p, int master, int cmd, int stop_fd, BerthError **reterr)
{
        RelaySpec spec = {
                .label = "relay",
                .raw_fd = -EBADF,
                .winsize_from = -EBADF,
                .winsize_to = -EBADF,
                .stop_fd = stop_fd,
                .signal_pidfd = cmd,
                .notice_fd = -EBADF,
        };
        static const char *const names[3] = {"standard input", "standard output",
                                             "standard error"};
        size_t n = 0;

        if (master >= 0) {
                int term = -EBADF;
                /* The pty's output goes to the terminal: stdout, else stderr, else stdin's
                 * terminal when it was opened for writing too; else nowhere. */
                for (int i = 1; i <= 3 && term < 0; i++) {
                        int fd = i % 3;
                        if (p->child_fd[fd] != ATTACH_FD_PTY)
                                continue;
                        int fl = fcntl(fd, F_GETFL);
                        if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY)
                                term = fd;
                }
                if (p->child_fd[0] == ATTACH_FD_PTY) {
                        spec.channels[n++] = (RelayChannel){0, master, "terminal", "pty",
                                                            RELAY_CHANNEL_INPUT};
                        spec.raw_fd = 0;
                        /* The command's stdout does not pass through the pty: the terminal
                         * still has to turn its newlines into CR LF. */
                        spec.raw_keep_output = p->child_fd[1] != ATTACH_FD_PTY;
                }
                spec.channels[n++] = (RelayChannel){master, term, "pty", "terminal", 0};
                for (int i = 0; i < 3 && spec.winsize_from < 0; i++)
                        if (p->child_fd[i] == ATTACH_FD_PTY)
                                spec.winsize_from = i;
                spec.winsize_to = master;
        }
        if (p->relay_fd[0] >= 0)
                spec.channels[n++] = (RelayChannel){
                        0, TAKE_FD(p->relay_fd[0]), names[0], "command's standard input",
                        RELAY_CHANNEL_INPUT | RELAY_CHANNEL_CLOSE_DST_AT_EOF |
                                RELAY_CHANNEL_OWN_DST};
        for (int i = 1; i < 3; i++)
                if (p->relay_fd[i] >= 0)
                        spec.channels[n++] = (RelayChannel){
                                TAKE_FD(p->relay_fd[i]), i, "command's output", names[i],
                                RELAY_CHANNEL_EPIPE_CLOSES_SRC | RELAY_CHANNEL_OWN_SRC};
        spec.n_channels = n;
        return console_relay_run(&spec, reterr);
}

int berth_attach(BerthContext *ctx, const char *name, char **argv, const BerthAttachOptions *opts,
                 int *ret_status, BerthError **reterr)
{
        if (!argv || !argv[0])
                return berth_error_setf(reterr, EINVAL, "attach '%s': no command given",
                                        strempty(name));
        _cleanup_(attach_plan_done) AttachPlan p = {
                .child_fd = {ATTACH_FD_NONE, ATTACH_FD_NONE, ATTACH_FD_NONE},
                .relay_fd = {-EBADF, -EBADF, -EBADF},
        };
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
        const CgroupLayout *layout;
        r = context_cgroup_layout(ctx, &layout);
        if (r >= 0)
                r = cgroup_for_joining(layout, cg, pid, &p.cgroup);
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

        r = attach_plan_stdio(&p);
        if (r < 0)
                return berth_error_set(reterr, r, "attach '%s': create pipes", name);

        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return berth_error_set(reterr, errno, "attach '%s': create socket pair", name);
        _cleanup_close_ int sock = fd_above_stdio(sv[0]);
        int child_sock = fd_above_stdio(sv[1]);
        if (sock < 0 || child_sock < 0) {
                safe_close(child_sock);
                return berth_error_set(reterr, sock < 0 ? sock : child_sock,
                                       "attach '%s': create socket pair", name);
        }

        pid_t child = fork();
        if (child < 0) {
                safe_close(child_sock);
                return berth_error_set(reterr, errno, "attach '%s': fork", name);
        }
        if (child == 0)
                attach_setup(&p, child_sock, pidfd, pid, argv, opts);
        safe_close(child_sock);
        pidfd = safe_close(pidfd);
        for (int i = 0; i < 3; i++)
                if (p.child_fd[i] >= 0)
                        p.child_fd[i] = safe_close(p.child_fd[i]);

        _cleanup_close_ int setup = (int)syscall(SYS_pidfd_open, child, 0);
        _cleanup_close_ int cmd = -EBADF, master = -EBADF;
        r = setup < 0 ? berth_error_set(reterr, errno, "attach '%s': open a pidfd", name)
                      : attach_wait_exec(name, sock, &cmd, &master, reterr);
        if (r < 0) {
                (void)wait_status(child);
                return r;
        }
        sock = safe_close(sock);

        r = attach_relay(&p, master, cmd, setup, reterr);
        if (r < 0) {
                /* The command cannot be talked to any more: it must not linger. */
                (void)syscall(SYS_pidfd_send_signal, cmd, SIGKILL, NULL, 0);
                (void)wait_status(child);
                return berth_error_prefix(reterr, r, "attach '%s'", name);
        }
        int status = wait_status(child);
        if (ret_status)
                *ret_status = status;
        return 0;
}
