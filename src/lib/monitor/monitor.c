/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-monitor: owns one running container. One thread, one epoll loop: the init's pidfd,
 * the command socket and its clients, the console pty, and one timer for the stop deadline. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "console/console.h"
#include "context.h"
#include "fd-util.h"
#include "fileio.h"
#include "init.h"
#include "log.h"
#include "ns/idmap.h"
#include "monitor.h"
#include "path-util.h"
#include "proto/proto.h"
#include "socket-util.h"
#include "strv.h"

#define RING_SIZE (64 * 1024)
#define CONSOLE_LOG_MAX (1024 * 1024) /* console.log is restarted past this */
#define HALT_RETRY_USEC 5000          /* until init can take its halt signal */
#define ALONE_USEC 50000              /* init alone this long after the halt: shutdown done */
#define KILL_TIMEOUT_USEC (5 * 1000000ULL)
#define FREEZE_TIMEOUT_USEC (10 * 1000000ULL)

typedef enum ItemKind {
        ITEM_LISTEN,
        ITEM_INIT,
        ITEM_TIMER,
        ITEM_CONSOLE,
        ITEM_NOTIFY,
        ITEM_CLIENT,
} ItemKind;

typedef struct Item {
        ItemKind kind;
} Item;

typedef struct Client {
        Item item; /* first: the epoll pointer is the client */
        int fd;
        bool subscribed;
        bool stop_waiter;
        bool console_proxy; /* a stream socket relayed to the console */
        struct Client *next;
} Client;

typedef struct Monitor {
        BerthContext *ctx;
        const char *name;
        BerthConfig *config;
        char *container_dir;
        char *run_dir;
        char *rootfs;

        CgroupLayout *layout;
        Cgroup *payload, *ns, *own;

        MountPlan *plan;
        CapsPlan caps;
        SeccompPlan seccomp;
        const LsmOps *lsm;
        const char *lsm_profile;
        char **env;
        InitSignals signals;
        InitKind init_kind;

        int epfd, listen_fd, timer_fd, lock_fd, console_log_fd;
        size_t console_log_size;
        Item listen_item, init_item, timer_item, console_item, notify_item;
        char *uuid;
        char *os_release;
        bool ready; /* READY=1 seen (or an init that does not notify) */

        SpawnResult init;
        int slaves[MONITOR_TTYS_MAX + 1]; /* held so a closed console never hangs up the master */
        uint64_t init_starttime;
        uint64_t started;       /* CLOCK_REALTIME when the current init was started */
        uint64_t own_starttime; /* this monitor's, so readers can tell it is still alive */
        BerthState state;
        uint64_t since;

        RingBuffer *ring;
        Client *clients;

        uid_t host_root; /* host uid of the container's root (unprivileged), else 0 */
        gid_t tty_gid;   /* host gid of the container's tty group */
        bool adopted; /* took over a running init from a monitor that died */
        bool stop_requested, halt_sent, killed, done;
        uint64_t stop_deadline;
        uint64_t alone_since;
} Monitor;

static void monitor_write_state(Monitor *m)
{
        RuntimeState s = {
                .state = m->state,
                .init_pid = m->init.pid,
                .init_starttime = m->init_starttime,
                .since_usec = m->since,
                .started_usec = m->started,
                .ready = m->ready,
                .monitor_pid = getpid(),
                .monitor_starttime = m->own_starttime,
                .cgroup = (char *)cgroup_relpath(m->payload),
        };
        int r = runtime_state_write(m->run_dir, &s);
        if (r < 0)
                log_debug_errno(r, "write state file: %m");
}

static ProtoMessage *state_message(Monitor *m, uint16_t command)
{
        ProtoMessage *msg = proto_message_new(command, 0);
        proto_put_u32(msg, PROTO_TAG_STATE, m->state);
        proto_put_u32(msg, PROTO_TAG_INIT_PID, m->init.pid > 0 ? m->init.pid : 0);
        proto_put_u64(msg, PROTO_TAG_SINCE, m->since);
        proto_put_u32(msg, PROTO_TAG_READY, m->ready);
        return msg;
}

static void client_free(Monitor *m, Client *c)
{
        for (Client **p = &m->clients; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        (void)epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        safe_close(c->fd);
        free(c);
}

static void broadcast_state(Monitor *m)
{
        _cleanup_(proto_message_freep) ProtoMessage *ev = state_message(m, PROTO_CMD_EVENT);
        for (Client *c = m->clients, *next; c; c = next) {
                next = c->next;
                if (c->subscribed && proto_send(c->fd, ev, NULL, 0) < 0)
                        client_free(m, c);
        }
}

static void monitor_set_state(Monitor *m, BerthState s)
{
        if (m->state == s)
                return;
        m->state = s;
        m->since = realtime_usec();
        log_debug("state %s", berth_state_to_string(s));
        monitor_write_state(m);
        broadcast_state(m);
}

static int reply_status(int fd, uint16_t command, int status, const char *error)
{
        _cleanup_(proto_message_freep) ProtoMessage *msg = proto_message_new(command, status);
        if (error)
                proto_put_string(msg, PROTO_TAG_ERROR, error);
        return proto_send(fd, msg, NULL, 0);
}

static int epoll_add(Monitor *m, int fd, uint32_t events, void *ptr)
{
        struct epoll_event ev = {.events = events, .data.ptr = ptr};
        if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return negative_errno();
        return 0;
}

static void arm_timer(Monitor *m, uint64_t at_usec)
{
        struct itimerspec its = {};
        if (at_usec) {
                its.it_value.tv_sec = at_usec / 1000000;
                its.it_value.tv_nsec = (at_usec % 1000000) * 1000;
        }
        (void)timerfd_settime(m->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* ---- the container's init ---------------------------------------------------------------- */

static void release_init(Monitor *m)
{
        if (m->init.pidfd >= 0)
                (void)epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->init.pidfd, NULL);
        if (m->init.n_masters > 0)
                (void)epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->init.masters[0], NULL);
        if (m->init.notify_fd >= 0)
                (void)epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->init.notify_fd, NULL);
        m->ready = false;
        for (size_t i = 0; i < m->init.n_masters; i++)
                m->slaves[i] = safe_close(m->slaves[i]);
        spawn_result_done(&m->init);
        /* Console users of the old init see their relay end. */
        for (Client *c = m->clients, *next; c; c = next) {
                next = c->next;
                if (c->console_proxy)
                        client_free(m, c);
        }
}

static int spawn_init(Monitor *m, BerthError **reterr)
{
        SpawnParams p = {
                .name = m->name,
                .config = m->config,
                .rootfs = m->rootfs,
                .plan = m->plan,
                .caps = &m->caps,
                .seccomp = &m->seccomp,
                .lsm = m->lsm,
                .lsm_profile = m->lsm_profile,
                .env = m->env,
                .ns_cgroup = m->ns,
                .uuid = m->uuid,
                .os_release = m->os_release,
                .bind_ttys = m->init_kind != INIT_KIND_SYSTEMD,
                .tty_gid = m->tty_gid,
        };
        if (!m->config->privileged)
                p.idmap = idmap_effective(m->config, &p.n_idmap);
        int r = spawn_container(&p, &m->init, reterr);
        if (r < 0)
                return r;
        (void)proc_starttime(m->init.pid, &m->init_starttime);
        m->started = realtime_usec();

        for (size_t i = 0; i < m->init.n_masters; i++) {
                (void)fd_set_nonblock(m->init.masters[i], true);
                m->slaves[i] = ioctl(m->init.masters[i], TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        }
        r = epoll_add(m, m->init.pidfd, EPOLLIN, &m->init_item);
        if (r >= 0)
                r = epoll_add(m, m->init.masters[0], EPOLLIN, &m->console_item);
        if (r >= 0)
                r = epoll_add(m, m->init.notify_fd, EPOLLIN, &m->notify_item);
        if (r < 0)
                return berth_error_set(reterr, r, "watch container init");
        /* Only systemd is known to report READY=1; other inits count as ready once running. */
        m->ready = m->init_kind != INIT_KIND_SYSTEMD;
        m->halt_sent = m->killed = false;
        m->alone_since = 0;
        return 0;
}

static void kill_container(Monitor *m)
{
        if (m->killed)
                return;
        m->killed = true;
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = cgroup_kill_all(m->payload, KILL_TIMEOUT_USEC, &err);
        if (r < 0)
                log_debug("kill container: %s", berth_error_message(err, r));
}

/* A signal from outside the pid namespace reaches its init only when init catches it or has it
 * blocked (then it waits in the queue); otherwise it is dropped. So the halt signal waits for
 * that. An init sleeping in sigtimedwait() (busybox) has its blocked mask swapped out while it
 * waits (/proc shows it empty), so that state counts as ready too. */
static bool init_ready_for(pid_t pid, int sig)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        _cleanup_free_ char *text = NULL;
        if (sig < 1 || sig > 64 || read_full_file_at(AT_FDCWD, path, 64 * 1024, &text, NULL) < 0)
                return false;
        unsigned long long bit = 1ULL << (sig - 1);
        static const char *const fields[] = {"\nSigCgt:", "\nSigBlk:"};
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                const char *p = strstr(text, fields[i]);
                if (p && (strtoull(p + strlen(fields[i]), NULL, 16) & bit))
                        return true;
        }
        snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
        _cleanup_free_ char *wchan = NULL;
        return read_one_line_at(AT_FDCWD, path, &wchan) >= 0 && strstr(wchan, "sigtimedwait");
}

/* busybox init's halt runs the shutdown actions, signals everything, then sleeps two seconds
 * before reboot(). Once it is the container's only process for a moment, the shutdown is done:
 * the rest is the sleep, which berth skips. */
static bool shutdown_complete(Monitor *m, uint64_t now)
{
        if (m->init_kind != INIT_KIND_BUSYBOX || !m->halt_sent)
                return false;
        size_t live;
        if (cgroup_count_live(m->payload, &live) < 0 || live != 1) {
                m->alone_since = 0;
                return false;
        }
        if (m->alone_since == 0)
                m->alone_since = now;
        return now - m->alone_since >= ALONE_USEC;
}

static void stop_progress(Monitor *m)
{
        uint64_t now = now_usec();
        if (!m->halt_sent && !m->killed && init_ready_for(m->init.pid, m->signals.halt)) {
                if (syscall(SYS_pidfd_send_signal, m->init.pidfd, m->signals.halt, NULL, 0) >= 0) {
                        m->halt_sent = true;
                        log_debug("sent halt signal %d to init %d", m->signals.halt,
                                  (int)m->init.pid);
                } else
                        log_debug_errno(errno, "send halt signal: %m");
        }
        if (!m->killed && (now >= m->stop_deadline || shutdown_complete(m, now))) {
                log_debug("%s: killing the container",
                          now >= m->stop_deadline ? "stop timeout reached" : "shutdown complete");
                kill_container(m);
                arm_timer(m, 0);
                return;
        }
        bool watch = !m->halt_sent || m->init_kind == INIT_KIND_BUSYBOX;
        arm_timer(m, watch ? MIN(m->stop_deadline, now + HALT_RETRY_USEC) : m->stop_deadline);
}

static void start_stop(Monitor *m, uint64_t timeout_usec, bool kill)
{
        if (m->state == BERTH_STATE_FROZEN || m->state == BERTH_STATE_FREEZING)
                (void)cgroup_thaw(m->payload, NULL);
        if (!m->stop_requested) {
                m->stop_requested = true;
                monitor_set_state(m, BERTH_STATE_STOPPING);
                m->stop_deadline = timeout_usec == UINT64_MAX ? now_usec() + m->config->stop_timeout_usec
                                                             : now_usec() + timeout_usec;
        }
        if (kill || timeout_usec == 0) {
                kill_container(m);
                return;
        }
        stop_progress(m);
}

/* The loop ends; STOPPED is announced by the teardown, once nothing of the container is left. */
static void finish(Monitor *m)
{
        arm_timer(m, 0);
        m->done = true;
}

static void handle_init_exit(Monitor *m)
{
        siginfo_t si = {};
        if (waitid(P_PIDFD, m->init.pidfd, &si, WEXITED | WNOHANG) < 0) {
                /* An adopted init is not our child: its exit status went to whoever reaped
                 * it, so this is an exit without a reboot request. */
                if (errno != ECHILD)
                        return;
                si = (siginfo_t){.si_code = CLD_EXITED};
        } else if (si.si_pid == 0)
                return;
        bool reboot = !m->stop_requested && si.si_code == CLD_KILLED && si.si_status == SIGHUP;
        log_debug("init %d exited (code %d status %d)%s", (int)m->init.pid, si.si_code,
                  si.si_status, reboot ? ": reboot" : "");

        /* Whatever init left behind goes with it, as on a real machine. */
        m->killed = false;
        kill_container(m);
        release_init(m);

        if (reboot) {
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                monitor_set_state(m, BERTH_STATE_STARTING);
                int r = spawn_init(m, &err);
                if (r >= 0) {
                        monitor_set_state(m, BERTH_STATE_RUNNING);
                        return;
                }
                log_debug("reboot: %s", berth_error_message(err, r));
                kill_container(m);
                release_init(m);
        }
        finish(m);
}

/* ---- console ----------------------------------------------------------------------------- */

static void console_log_write(Monitor *m, const void *buf, size_t n)
{
        if (m->console_log_fd < 0)
                return;
        if (m->console_log_size + n > CONSOLE_LOG_MAX) {
                if (ftruncate(m->console_log_fd, 0) >= 0)
                        m->console_log_size = 0;
        }
        if (loop_write(m->console_log_fd, buf, n) >= 0)
                m->console_log_size += n;
}

static void handle_console(Monitor *m)
{
        char buf[4096];
        ssize_t n = read(m->init.masters[0], buf, sizeof(buf));
        if (n <= 0)
                return;
        ring_buffer_write(m->ring, buf, n);
        console_log_write(m, buf, n);
        for (Client *c = m->clients, *next; c; c = next) {
                next = c->next;
                /* A slow console reader loses output rather than stalling the monitor. */
                if (c->console_proxy && send(c->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
                    errno != EAGAIN)
                        client_free(m, c);
        }
}

/* sd_notify datagrams: newline-separated assignments; READY=1 is the one that matters. */
static void handle_notify(Monitor *m)
{
        char buf[4097];
        ssize_t n = recv(m->init.notify_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (n <= 0)
                return;
        buf[n] = 0;
        for (char *line = buf, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                if (streq(line, "READY=1") && !m->ready) {
                        m->ready = true;
                        log_debug("init reported READY=1");
                        monitor_write_state(m);
                        broadcast_state(m);
                }
        }
}

static void handle_console_client(Monitor *m, Client *c)
{
        char buf[4096];
        ssize_t n = read(c->fd, buf, sizeof(buf));
        if (n <= 0) {
                client_free(m, c);
                return;
        }
        /* Input nobody reads is dropped (the master is non-blocking). */
        if (m->init.n_masters > 0 && write(m->init.masters[0], buf, n) < 0)
                log_debug_errno(errno, "write to console: %m");
}

static int console_connect(Monitor *m, Client *c, uint32_t tty)
{
        if (m->init.n_masters == 0)
                return reply_status(c->fd, PROTO_CMD_CONSOLE, -ENOTTY, "no console");
        if (tty >= m->init.n_masters) {
                _cleanup_free_ char *e = xasprintf("tty %u does not exist (the container has %zu)",
                                                   tty, m->init.n_masters - 1);
                return reply_status(c->fd, PROTO_CMD_CONSOLE, -ENXIO, e);
        }
        _cleanup_(proto_message_freep) ProtoMessage *msg = proto_message_new(PROTO_CMD_CONSOLE, 0);
        proto_put_u32(msg, PROTO_TAG_TTY, tty);
        if (tty > 0) {
                int fd = m->init.masters[tty];
                return proto_send(c->fd, msg, &fd, 1);
        }

        /* The console master is read here for the log, so a user gets a relayed socket. */
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return reply_status(c->fd, PROTO_CMD_CONSOLE, negative_errno(), NULL);
        Client *proxy = xcalloc(1, sizeof(*proxy));
        proxy->item.kind = ITEM_CLIENT;
        proxy->fd = sv[0];
        proxy->console_proxy = true;
        (void)fd_set_nonblock(proxy->fd, true);
        if (epoll_add(m, proxy->fd, EPOLLIN, proxy) < 0) {
                safe_close(sv[0]);
                safe_close(sv[1]);
                free(proxy);
                return reply_status(c->fd, PROTO_CMD_CONSOLE, -EIO, NULL);
        }
        proxy->next = m->clients;
        m->clients = proxy;
        int r = proto_send(c->fd, msg, &sv[1], 1);
        safe_close(sv[1]);
        return r;
}

/* ---- commands ---------------------------------------------------------------------------- */

static int handle_freeze(Monitor *m, Client *c)
{
        if (m->state == BERTH_STATE_FROZEN)
                return reply_status(c->fd, PROTO_CMD_FREEZE, -EALREADY, "already frozen");
        if (m->state != BERTH_STATE_RUNNING)
                return reply_status(c->fd, PROTO_CMD_FREEZE, -EBUSY, "not running");
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        monitor_set_state(m, BERTH_STATE_FREEZING);
        int r = cgroup_freeze(m->payload, FREEZE_TIMEOUT_USEC, &err);
        if (r < 0) {
                (void)cgroup_thaw(m->payload, NULL);
                monitor_set_state(m, BERTH_STATE_RUNNING);
                return reply_status(c->fd, PROTO_CMD_FREEZE, r, berth_error_message(err, r));
        }
        monitor_set_state(m, BERTH_STATE_FROZEN);
        return reply_status(c->fd, PROTO_CMD_FREEZE, 0, NULL);
}

static int handle_thaw(Monitor *m, Client *c)
{
        if (m->state != BERTH_STATE_FROZEN && m->state != BERTH_STATE_FREEZING)
                return reply_status(c->fd, PROTO_CMD_THAW, -EALREADY, "not frozen");
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = cgroup_thaw(m->payload, &err);
        if (r < 0)
                return reply_status(c->fd, PROTO_CMD_THAW, r, berth_error_message(err, r));
        monitor_set_state(m, BERTH_STATE_RUNNING);
        return reply_status(c->fd, PROTO_CMD_THAW, 0, NULL);
}

static int handle_stats(Monitor *m, Client *c)
{
        CgroupStats st;
        int r = cgroup_get_stats(m->payload, &st);
        if (r < 0)
                return reply_status(c->fd, PROTO_CMD_STATS, r, "read cgroup statistics");
        _cleanup_(proto_message_freep) ProtoMessage *msg = proto_message_new(PROTO_CMD_STATS, 0);
        proto_put_u64(msg, PROTO_TAG_CPU_USEC, st.cpu_usec);
        proto_put_u64(msg, PROTO_TAG_MEM_CURRENT, st.memory_current);
        proto_put_u64(msg, PROTO_TAG_MEM_MAX, st.memory_max);
        proto_put_u64(msg, PROTO_TAG_PIDS_CURRENT, st.pids_current);
        proto_put_u64(msg, PROTO_TAG_PIDS_MAX, st.pids_max);
        return proto_send(c->fd, msg, NULL, 0);
}

static int handle_request(Monitor *m, Client *c, const ProtoMessage *req)
{
        _cleanup_(proto_message_freep) ProtoMessage *msg = NULL;
        uint32_t u32 = 0;
        uint64_t u64 = UINT64_MAX;

        switch (req->command) {
        case PROTO_CMD_STATE:
                msg = state_message(m, PROTO_CMD_STATE);
                return proto_send(c->fd, msg, NULL, 0);
        case PROTO_CMD_SUBSCRIBE:
                c->subscribed = true;
                msg = state_message(m, PROTO_CMD_SUBSCRIBE);
                return proto_send(c->fd, msg, NULL, 0);
        case PROTO_CMD_INIT_PIDFD:
                if (m->init.pidfd < 0)
                        return reply_status(c->fd, req->command, -ESRCH, "not running");
                msg = state_message(m, PROTO_CMD_INIT_PIDFD);
                return proto_send(c->fd, msg, &m->init.pidfd, 1);
        case PROTO_CMD_STOP:
                (void)proto_get_u64(req, PROTO_TAG_TIMEOUT, &u64);
                (void)proto_get_u32(req, PROTO_TAG_FLAGS, &u32);
                c->stop_waiter = true;
                start_stop(m, u64, u32 & PROTO_STOP_KILL);
                return 0; /* answered once init is gone */
        case PROTO_CMD_FREEZE:
                return handle_freeze(m, c);
        case PROTO_CMD_THAW:
                return handle_thaw(m, c);
        case PROTO_CMD_CONSOLE:
                (void)proto_get_u32(req, PROTO_TAG_TTY, &u32);
                return console_connect(m, c, u32);
        case PROTO_CMD_CONSOLE_LOG: {
                _cleanup_free_ uint8_t *data = NULL;
                size_t n = ring_buffer_read_all(m->ring, &data);
                size_t cap = PROTO_PAYLOAD_MAX - 64;
                msg = proto_message_new(PROTO_CMD_CONSOLE_LOG, 0);
                proto_put_bytes(msg, PROTO_TAG_DATA, n > cap ? data + (n - cap) : data, MIN(n, cap));
                return proto_send(c->fd, msg, NULL, 0);
        }
        case PROTO_CMD_STATS:
                return handle_stats(m, c);
        default:
                return reply_status(c->fd, req->command, -EOPNOTSUPP, "unknown command");
        }
}

static void handle_client(Monitor *m, Client *c)
{
        if (c->console_proxy) {
                handle_console_client(m, c);
                return;
        }
        _cleanup_(proto_message_freep) ProtoMessage *req = NULL;
        int fds[PROTO_FDS_MAX];
        size_t nfds = 0;
        int r = proto_recv(c->fd, &req, fds, &nfds);
        for (size_t i = 0; i < nfds; i++)
                close(fds[i]); /* clients have no business sending fds */
        if (r < 0 || handle_request(m, c, req) < 0)
                client_free(m, c);
}

static void handle_accept(Monitor *m)
{
        int fd;
        if (proto_accept(m->listen_fd, &fd) < 0)
                return;
        Client *c = xcalloc(1, sizeof(*c));
        c->item.kind = ITEM_CLIENT;
        c->fd = fd;
        if (epoll_add(m, fd, EPOLLIN, c) < 0) {
                safe_close(fd);
                free(c);
                return;
        }
        c->next = m->clients;
        m->clients = c;
}

static void handle_timer(Monitor *m)
{
        uint64_t ticks;
        if (read(m->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                log_debug_errno(errno, "read timer: %m");
        if (m->stop_requested && m->init.pid > 0)
                stop_progress(m);
}

static int run_loop(Monitor *m)
{
        while (!m->done) {
                struct epoll_event evs[16];
                int n = epoll_wait(m->epfd, evs, ELEMENTSOF(evs), -1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                for (int i = 0; i < n && !m->done; i++) {
                        Item *it = evs[i].data.ptr;
                        switch (it->kind) {
                        case ITEM_LISTEN:
                                handle_accept(m);
                                break;
                        case ITEM_INIT:
                                handle_init_exit(m);
                                /* Later events of this batch may point at freed clients. */
                                i = n;
                                break;
                        case ITEM_TIMER:
                                handle_timer(m);
                                break;
                        case ITEM_CONSOLE:
                                handle_console(m);
                                break;
                        case ITEM_NOTIFY:
                                handle_notify(m);
                                break;
                        case ITEM_CLIENT:
                                handle_client(m, (Client *)it);
                                i = n; /* a client may have freed another one */
                                break;
                        }
                }
        }
        return 0;
}

/* ---- setup and teardown ------------------------------------------------------------------ */

static int monitor_adopt(Monitor *m, const RuntimeState *rs, BerthError **reterr)
{
        int fd = syscall(SYS_pidfd_open, rs->init_pid, 0);
        if (fd < 0)
                return berth_error_set(reterr, errno, "take over init %d", (int)rs->init_pid);
        m->init.pid = rs->init_pid;
        m->init.pidfd = fd;
        /* Checked again with the pidfd held, so the pid cannot be reused in between. */
        if (!runtime_init_alive(rs))
                return berth_error_setf(reterr, ESRCH, "take over init %d: it exited",
                                        (int)rs->init_pid);
        m->init_starttime = rs->init_starttime;
        m->state = rs->state == BERTH_STATE_FROZEN ? BERTH_STATE_FROZEN : BERTH_STATE_RUNNING;
        m->since = rs->since_usec;
        m->started = rs->started_usec;
        m->ready = rs->ready;
        return 0;
}

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

/* Keys the format accepts but this version does not act on yet: refused by name rather than
 * silently ignored. */
static int check_supported(const BerthConfig *c, BerthError **reterr)
{
        if (c->rootfs_backend && !streq(c->rootfs_backend, "dir"))
                return berth_error_setf(reterr, EOPNOTSUPP,
                                        "key 'rootfs.backend': '%s' is not supported yet (only "
                                        "'dir')",
                                        c->rootfs_backend);
        for (size_t i = 0; i < c->n_network; i++)
                if (c->network[i].type != BERTH_NET_NONE && c->network[i].type != BERTH_NET_EMPTY)
                        return berth_error_setf(reterr, EOPNOTSUPP,
                                                "key 'network[%zu].type': '%s' is not supported "
                                                "yet (only 'none' and 'empty')",
                                                i, berth_net_type_to_string(c->network[i].type));
        if (c->hooks_pre_start || c->hooks_post_stop)
                return berth_error_setf(reterr, EOPNOTSUPP, "key 'hooks': not supported yet");
        return 0;
}

static int monitor_setup(Monitor *m, BerthError **reterr)
{
        int r;

        m->container_dir = context_container_dir(m->ctx, m->name);
        m->run_dir = context_run_dir(m->ctx, m->name);

        r = mkdir_p_at(AT_FDCWD, m->ctx->rundir, 0755);
        if (r < 0)
                return berth_error_set(reterr, r, "create runtime dir '%s'", m->ctx->rundir);
        if (mkdir(m->run_dir, 0700) < 0 && errno != EEXIST)
                return berth_error_set(reterr, errno, "create runtime dir '%s'", m->run_dir);
        (void)chmod(m->run_dir, 0700);

        _cleanup_free_ char *lock = path_join(m->run_dir, "monitor.lock");
        m->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (m->lock_fd < 0)
                return berth_error_set(reterr, errno, "open '%s'", lock);
        if (flock(m->lock_fd, LOCK_EX | LOCK_NB) < 0)
                return berth_error_setf(reterr, EBUSY, "already running");

        (void)proc_starttime(getpid(), &m->own_starttime);

        _cleanup_free_ char *cfg = context_config_path(m->ctx, m->name);
        r = config_load_file(cfg, &m->config, reterr);
        if (r >= 0)
                r = config_validate(m->config, reterr);
        if (r >= 0)
                r = check_supported(m->config, reterr);
        if (r < 0)
                return r;
        if (!m->config->privileged) {
                size_t n;
                const BerthIdmap *map = idmap_effective(m->config, &n);
                _cleanup_free_ char *text = NULL;
                r = idmap_format(map, n, &text, reterr);
                if (r < 0)
                        return r;
                m->host_root = idmap_host_root(map, n);
                m->tty_gid = idmap_to_host(map, n, MOUNT_TTY_GID);
                if (m->tty_gid == (gid_t)-1)
                        return berth_error_setf(reterr, EINVAL,
                                                "key 'idmap': container gid %d (tty) is not "
                                                "mapped",
                                                MOUNT_TTY_GID);
        } else
                m->tty_gid = MOUNT_TTY_GID;
        if (m->config->console_ttys > MONITOR_TTYS_MAX)
                return berth_error_setf(reterr, EINVAL, "key 'console.ttys': at most %d",
                                        MONITOR_TTYS_MAX);
        m->rootfs = path_is_absolute(m->config->rootfs_path)
                            ? xstrdup(m->config->rootfs_path)
                            : path_join(m->container_dir, m->config->rootfs_path);
        m->signals = init_signals_resolve(m->config, m->rootfs, &m->init_kind);
        log_debug("init kind %s, halt signal %d", init_kind_to_string(m->init_kind),
                  m->signals.halt);

        r = cgroup_layout_detect(&m->layout);
        if (r < 0)
                return berth_error_set(reterr, r, "detect cgroup layout");

        /* An init whose monitor died: the state file names it, and it is still the same
         * process. Take it over instead of starting another. */
        RuntimeState rs = {};
        if (runtime_state_read(m->run_dir, &rs) >= 0 && runtime_init_alive(&rs))
                m->adopted = true;

        _cleanup_free_ char *own = monitor_own_cgroup(m->ctx->cgroup_parent, m->name);
        _cleanup_free_ char *payload = m->adopted ? xstrdup(rs.cgroup)
                                                  : monitor_payload_cgroup(m->ctx->cgroup_parent, m->name);
        _cleanup_free_ char *ns = xasprintf("%s/ns", payload);
        if (cgroup_new(m->layout, own, &m->own) < 0 || cgroup_new(m->layout, payload, &m->payload) < 0 ||
            cgroup_new(m->layout, ns, &m->ns) < 0) {
                runtime_state_done(&rs);
                return berth_error_setf(reterr, EINVAL, "invalid cgroup path '%s'", payload);
        }
        r = cgroup_create(m->own, reterr);
        if (r >= 0)
                r = cgroup_attach(m->own, getpid(), reterr);
        if (r < 0) {
                runtime_state_done(&rs);
                return r;
        }

        if (m->adopted) {
                r = monitor_adopt(m, &rs, reterr);
                runtime_state_done(&rs);
                if (r < 0)
                        return r;
        } else {
                runtime_state_done(&rs);
                /* A payload cgroup left by a crashed run is only reused when nothing lives in
                 * it. */
                bool empty = true;
                if (cgroup_is_empty(m->payload, &empty) >= 0 && !empty)
                        return berth_error_setf(reterr, EBUSY, "cgroup '%s' still has processes",
                                                payload);
                (void)cgroup_destroy(m->payload, NULL);
                r = cgroup_create(m->payload, reterr);
                if (r >= 0)
                        r = cgroup_apply_limits(m->payload, &m->config->limits, reterr);
                if (r >= 0)
                        r = cgroup_create(m->ns, reterr);
                if (r >= 0 && !m->config->privileged)
                        r = cgroup_chown(m->ns, m->host_root, m->host_root, reterr);
                if (r < 0)
                        return r;
        }

        _cleanup_strv_free_ char **hier = NULL;
        bool unified = false;
        r = cgroup_layout_mount_spec(m->layout, &unified, &hier);
        if (r < 0)
                return berth_error_set(reterr, r, "plan cgroup mounts");
        MountPlanOptions mopts = {
                .cgroup_unified = unified,
                .cgroup_v1_hierarchies = hier,
                .ttys = m->init_kind == INIT_KIND_SYSTEMD ? 0 : m->config->console_ttys,
                .userns = !m->config->privileged,
                .tty_gid = m->tty_gid,
        };
        r = mount_plan_build(m->config, &mopts, &m->plan, reterr);
        if (r >= 0)
                r = caps_plan_build(m->config, &m->caps, reterr);
        if (r >= 0)
                r = seccomp_plan_build(m->config, &m->seccomp, reterr);
        if (r < 0)
                return r;
        const char *notice = NULL;
        m->lsm = lsm_detect("/sys/kernel/security", m->config, &notice);
        if (notice)
                log_debug("%s", notice);
        if (m->lsm != &lsm_none_ops)
                m->lsm_profile = m->config->apparmor ? m->config->apparmor : "berth-default";
        r = container_uuid_get(m->container_dir, &m->uuid);
        if (r < 0)
                return berth_error_set(reterr, r, "read or create '%s/uuid'", m->container_dir);
        if (read_full_file_at(AT_FDCWD, "/etc/os-release", 64 * 1024, &m->os_release, NULL) < 0)
                (void)read_full_file_at(AT_FDCWD, "/usr/lib/os-release", 64 * 1024,
                                        &m->os_release, NULL);
        m->env = build_env(m->config, m->uuid, m->init_kind);

        m->ring = ring_buffer_new(RING_SIZE);
        if (m->config->console_log) {
                _cleanup_free_ char *path = path_join(m->container_dir, "console.log");
                m->console_log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
                struct stat st;
                if (m->console_log_fd >= 0 && fstat(m->console_log_fd, &st) >= 0)
                        m->console_log_size = st.st_size;
        }

        m->epfd = epoll_create1(EPOLL_CLOEXEC);
        m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (m->epfd < 0 || m->timer_fd < 0)
                return berth_error_set(reterr, errno, "create event loop");
        if (!m->adopted) {
                /* Whoever connects from now on sees the start in progress. */
                m->state = BERTH_STATE_STARTING;
                m->since = realtime_usec();
        }
        /* Bound under a temporary name and renamed into place once it listens: a watcher
         * (the library's event source) that sees monitor.sock appear can connect at once. */
        _cleanup_free_ char *sock = context_socket_path(m->ctx, m->name);
        _cleanup_free_ char *sock_tmp = xasprintf("%s.new", sock);
        r = socket_listen_unix(sock_tmp, 16, &m->listen_fd);
        if (r >= 0 && rename(sock_tmp, sock) < 0)
                r = negative_errno();
        if (r < 0)
                return berth_error_set(reterr, r, "listen on '%s'", sock);
        r = epoll_add(m, m->listen_fd, EPOLLIN, &m->listen_item);
        if (r >= 0)
                r = epoll_add(m, m->timer_fd, EPOLLIN, &m->timer_item);
        if (r < 0)
                return berth_error_set(reterr, r, "create event loop");

        if (m->adopted) {
                r = epoll_add(m, m->init.pidfd, EPOLLIN, &m->init_item);
                if (r < 0)
                        return berth_error_set(reterr, r, "watch container init");
                monitor_write_state(m);
                log_debug("adopted init %d", (int)m->init.pid);
                return 0;
        }
        monitor_write_state(m);
        r = spawn_init(m, reterr);
        if (r < 0)
                return r;
        monitor_set_state(m, BERTH_STATE_RUNNING);
        return 0;
}

static void monitor_teardown(Monitor *m)
{
        if (m->init.pid > 0) {
                kill_container(m);
                release_init(m);
        }
        if (m->payload)
                (void)cgroup_destroy(m->payload, NULL);
        if (m->own) {
                /* The monitor leaves its own cgroup so that it can be removed. */
                (void)cgroup_attach_root(m->layout, getpid());
                (void)cgroup_destroy(m->own, NULL);
        }
        m->listen_fd = safe_close(m->listen_fd);
        if (m->run_dir && m->lock_fd >= 0) {
                _cleanup_close_ int dfd = open(m->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0) {
                        (void)unlinkat(dfd, "monitor.sock", 0);
                        (void)unlinkat(dfd, "state", 0);
                        (void)unlinkat(dfd, "monitor.lock", 0);
                }
                (void)rmdir(m->run_dir);
        }
        m->lock_fd = safe_close(m->lock_fd);

        /* Subscribers and stop waiters hear of the end only now, when nothing of this run is
         * left that a new start could trip over. (No state file any more: it is gone, and a
         * new monitor may already own the directory.) */
        if (m->state != BERTH_STATE_STOPPED) {
                m->state = BERTH_STATE_STOPPED;
                m->since = realtime_usec();
                broadcast_state(m);
        }
        for (Client *c = m->clients, *next; c; c = next) {
                next = c->next;
                if (c->stop_waiter)
                        (void)reply_status(c->fd, PROTO_CMD_STOP, 0, NULL);
                client_free(m, c);
        }
        safe_close(m->timer_fd);
        safe_close(m->epfd);
        safe_close(m->console_log_fd);
        cgroup_free(m->payload);
        cgroup_free(m->ns);
        cgroup_free(m->own);
        cgroup_layout_free(m->layout);
        mount_plan_free(m->plan);
        seccomp_plan_done(&m->seccomp);
        strv_free(m->env);
        ring_buffer_free(m->ring);
        config_free(m->config);
        free(m->container_dir);
        free(m->run_dir);
        free(m->rootfs);
        free(m->uuid);
        free(m->os_release);
}


int berth_monitor_run(BerthContext *ctx, const char *name, int status_fd, BerthError **reterr)
{
        if (!berth_name_is_valid(name))
                return berth_error_setf(reterr, EINVAL, "invalid container name '%s'", name);

        Monitor m = {
                .ctx = ctx,
                .name = name,
                .epfd = -EBADF,
                .listen_fd = -EBADF,
                .timer_fd = -EBADF,
                .lock_fd = -EBADF,
                .console_log_fd = -EBADF,
                .init = {.pidfd = -EBADF, .notify_fd = -EBADF},
                .listen_item = {ITEM_LISTEN},
                .init_item = {ITEM_INIT},
                .timer_item = {ITEM_TIMER},
                .console_item = {ITEM_CONSOLE},
                .notify_item = {ITEM_NOTIFY},
        };
        for (size_t i = 0; i < ELEMENTSOF(m.slaves); i++)
                m.slaves[i] = -EBADF;

        /* Every send to a client is MSG_NOSIGNAL: a client that goes away mid-reply must not
         * kill the monitor, and the process's signal dispositions are the caller's. */
        BerthError *err = NULL;
        int r = monitor_setup(&m, &err);
        if (r < 0) {
                /* Cleaned up before the starter hears of the failure, so that when berth start
                 * returns nothing of the attempt is left. The starter adds its own "start
                 * 'NAME'" context. */
                monitor_teardown(&m);
                if (status_fd >= 0)
                        monitor_status_write(status_fd, r, "%s", berth_error_message(err, r));
                safe_close(status_fd);
                berth_error_prefix(&err, r, "start '%s'", name);
                if (reterr)
                        *reterr = err;
                else
                        berth_error_free(err);
                return r;
        }
        if (status_fd >= 0)
                (void)loop_write(status_fd, "ok\n", 3);
        safe_close(status_fd);
        r = run_loop(&m);
        monitor_teardown(&m);
        if (r < 0)
                return berth_error_set(reterr, r, "monitor '%s'", name);
        return 0;
}
