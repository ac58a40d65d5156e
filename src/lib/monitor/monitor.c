/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-monitor: owns one running container. One thread, one epoll loop: the init's pidfd,
 * the command socket and its clients, the console pty, and one timer for the stop deadline.
 * Setting it up and tearing it down is monitor-setup.c. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "fd-util.h"
#include "fileio.h"
#include "live-limits.h"
#include "log.h"
#include "monitor-internal.h"
#include "proto/proto.h"

#define HALT_RETRY_USEC 5000          /* until init can take its halt signal */
#define ALONE_USEC 50000              /* init alone this long after the halt: shutdown done */
#define KILL_TIMEOUT_USEC (5 * 1000000ULL)
#define FREEZE_TIMEOUT_USEC (10 * 1000000ULL)

void monitor_write_state(Monitor *m)
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
                .ephemeral_dir = m->ephemeral_dir,
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

void monitor_client_free(Monitor *m, Client *c)
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

void monitor_broadcast_state(Monitor *m)
{
        _cleanup_(proto_message_freep) ProtoMessage *ev = state_message(m, PROTO_CMD_EVENT);
        for (Client *c = m->clients, *next; c; c = next) {
                next = c->next;
                if (c->subscribed && proto_send(c->fd, ev, NULL, 0) < 0)
                        monitor_client_free(m, c);
        }
}

void monitor_set_state(Monitor *m, BerthState s)
{
        if (m->state == s)
                return;
        m->state = s;
        m->since = realtime_usec();
        log_debug("state %s", berth_state_to_string(s));
        monitor_write_state(m);
        monitor_broadcast_state(m);
}

static int reply_status(int fd, uint16_t command, int status, const char *error)
{
        _cleanup_(proto_message_freep) ProtoMessage *msg = proto_message_new(command, status);
        if (error)
                proto_put_string(msg, PROTO_TAG_ERROR, error);
        return proto_send(fd, msg, NULL, 0);
}

int monitor_epoll_add(Monitor *m, int fd, uint32_t events, void *ptr)
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

void monitor_release_init(Monitor *m)
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
        (void)net_container_teardown(m->ctx->rundir, m->name, m->netns_fd, NULL);
        m->netns_fd = safe_close(m->netns_fd);
        spawn_result_done(&m->init);
        /* Console users of the old init see their relay end. */
        for (Client *c = m->clients, *next; c; c = next) {
                next = c->next;
                if (c->console_proxy)
                        monitor_client_free(m, c);
        }
}

static int network_hook(const SpawnParams *p, pid_t init_pid, int init_pidfd, void *userdata,
                        BerthError **reterr)
{
        Monitor *m = userdata;
        NetSetupParams np = {.rundir = m->ctx->rundir, .name = m->name, .config = m->config,
                             .global = &m->net, .init_pid = init_pid};
        return net_container_setup(&np, &m->netns_fd, reterr);
}

int monitor_spawn_init(Monitor *m, BerthError **reterr)
{
        const SpawnHook hooks[] = {{"set up network", network_hook, m}};
        const RunPlan *plan = m->plan;
        SpawnParams p = {
                .name = m->name,
                .config = m->config,
                .rootfs = m->rootfs,
                .container_dir = m->container_dir,
                .ephemeral_dir = m->ephemeral_dir,
                .plan = plan->mounts,
                .caps = &plan->caps,
                .seccomp = &plan->seccomp,
                .lsm = m->lsm,
                .lsm_profile = plan->lsm_profile,
                .env = plan->env,
                .ns_cgroup = m->ns,
                .idmap = plan->idmap,
                .n_idmap = plan->n_idmap,
                .tty_gid = plan->tty_gid,
                .uuid = m->uuid,
                .os_release = m->os_release,
                .bind_ttys = plan->bind_ttys,
                .hooks = hooks,
                .n_hooks = ELEMENTSOF(hooks),
        };
        int r = spawn_container(&p, &m->init, reterr);
        if (r < 0) {
                (void)net_container_teardown(m->ctx->rundir, m->name, m->netns_fd, NULL);
                m->netns_fd = safe_close(m->netns_fd);
                return r;
        }
        (void)proc_starttime(m->init.pid, &m->init_starttime);
        m->started = realtime_usec();

        for (size_t i = 0; i < m->init.n_masters; i++) {
                (void)fd_set_nonblock(m->init.masters[i], true);
                m->slaves[i] = ioctl(m->init.masters[i], TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        }
        r = monitor_epoll_add(m, m->init.pidfd, EPOLLIN, &m->init_item);
        if (r >= 0)
                r = monitor_epoll_add(m, m->init.masters[0], EPOLLIN, &m->console_item);
        if (r >= 0)
                r = monitor_epoll_add(m, m->init.notify_fd, EPOLLIN, &m->notify_item);
        if (r < 0)
                return berth_error_set(reterr, r, "watch container init");
        /* Only systemd is known to report READY=1; other inits count as ready once running. */
        m->ready = m->init_kind != INIT_KIND_SYSTEMD;
        m->halt_sent = m->killed = false;
        m->alone_since = 0;
        return 0;
}

void monitor_kill_container(Monitor *m)
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
        if (sig < 1 || sig > 64 || read_full_file_at(AT_FDCWD, path, SMALL_FILE_MAX, &text, NULL) < 0)
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
                monitor_kill_container(m);
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
                monitor_kill_container(m);
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
        monitor_kill_container(m);
        monitor_release_init(m);

        if (reboot) {
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                monitor_set_state(m, BERTH_STATE_STARTING);
                int r = monitor_spawn_init(m, &err);
                if (r >= 0) {
                        monitor_set_state(m, BERTH_STATE_RUNNING);
                        return;
                }
                log_debug("reboot: %s", berth_error_message(err, r));
                monitor_kill_container(m);
                monitor_release_init(m);
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
                        monitor_client_free(m, c);
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
                        monitor_broadcast_state(m);
                }
        }
}

static void handle_console_client(Monitor *m, Client *c)
{
        char buf[4096];
        ssize_t n = read(c->fd, buf, sizeof(buf));
        if (n <= 0) {
                monitor_client_free(m, c);
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
        if (monitor_epoll_add(m, proxy->fd, EPOLLIN, proxy) < 0) {
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

/* berth set: new limits for the payload cgroup, all or none. The reply carries the limits it had,
 * so a caller that cannot save its config can put them back exactly. */
static int handle_set_limits(Monitor *m, Client *c, const ProtoMessage *req)
{
        BerthLimits to, from = m->config->limits;
        if (limits_message_get(req, &to) < 0)
                return reply_status(c->fd, PROTO_CMD_SET_LIMITS, -EINVAL,
                                    "every limit must be given");
        if (m->init.pid <= 0 || m->stop_requested)
                return reply_status(c->fd, PROTO_CMD_SET_LIMITS, -ESRCH, "not running");

        /* The same cross-key checks as the config file. */
        _cleanup_(config_freep) BerthConfig *next = config_copy(m->config);
        next->limits = to;
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = config_validate(next, &err);
        if (r < 0)
                return reply_status(c->fd, PROTO_CMD_SET_LIMITS, r, berth_error_message(err, r));
        r = cgroup_change_limits(m->payload, &from, &to, &err);
        if (r < 0) {
                /* A write the kernel refused half way: the earlier ones go back. */
                (void)cgroup_change_limits(m->payload, &to, &from, NULL);
                return reply_status(c->fd, PROTO_CMD_SET_LIMITS, r, berth_error_message(err, r));
        }
        m->config->limits = to;
        log_debug("limits changed");
        _cleanup_(proto_message_freep) ProtoMessage *msg =
                proto_message_new(PROTO_CMD_SET_LIMITS, 0);
        limits_message_put(msg, &from);
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
        case PROTO_CMD_SET_LIMITS:
                return handle_set_limits(m, c, req);
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
                monitor_client_free(m, c);
}

static void handle_accept(Monitor *m)
{
        int fd;
        if (proto_accept(m->listen_fd, &fd) < 0)
                return;
        Client *c = xcalloc(1, sizeof(*c));
        c->item.kind = ITEM_CLIENT;
        c->fd = fd;
        if (monitor_epoll_add(m, fd, EPOLLIN, c) < 0) {
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

int monitor_run_loop(Monitor *m)
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

void monitor_farewell(Monitor *m)
{
        if (m->state != BERTH_STATE_STOPPED) {
                m->state = BERTH_STATE_STOPPED;
                m->since = realtime_usec();
                monitor_broadcast_state(m);
        }
        for (Client *c = m->clients, *next; c; c = next) {
                next = c->next;
                if (c->stop_waiter)
                        (void)reply_status(c->fd, PROTO_CMD_STOP, 0, NULL);
                monitor_client_free(m, c);
        }
}
