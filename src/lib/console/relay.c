/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>

#include "console.h"
#include "fileio.h"
#include "parse.h"
#include "time-util.h"

#define RELAY_BUF_SIZE 4096
/* After the input ends, keep copying the peer's output until it is quiet for this long ... */
#define RELAY_DRAIN_QUIET_MSEC 100
/* ... but never longer than this, so a chatty peer cannot keep a scripted caller forever. */
#define RELAY_DRAIN_MAX_USEC (2 * 1000 * 1000ULL)

static const char detach_notice[] = "\r\n[detached]\r\n";

enum {
        ESCAPE_STATE_NORMAL = 0,
        ESCAPE_STATE_PENDING = 1, /* the previous byte was the escape character */
};

size_t console_escape_filter(int *state, const uint8_t *in, size_t len, uint8_t *out,
                             bool *ret_detach)
{
        size_t n = 0;

        if (ret_detach)
                *ret_detach = false;

        for (size_t i = 0; i < len; i++) {
                uint8_t c = in[i];

                if (*state != ESCAPE_STATE_PENDING) {
                        if (c == CONSOLE_ESCAPE_CHAR)
                                *state = ESCAPE_STATE_PENDING;
                        else
                                out[n++] = c;
                        continue;
                }

                *state = ESCAPE_STATE_NORMAL;
                if (c == 'q') {
                        /* Whatever was typed after the detach request is not meant for the
                         * container any more. */
                        if (ret_detach)
                                *ret_detach = true;
                        return n;
                }
                if (c == CONSOLE_ESCAPE_CHAR) {
                        out[n++] = CONSOLE_ESCAPE_CHAR;
                        continue;
                }
                out[n++] = CONSOLE_ESCAPE_CHAR;
                out[n++] = c;
        }
        return n;
}

typedef struct Channel {
        RelayChannel spec;
        int src, dst; /* -EBADF once closed */
        bool done;    /* src ended (or the channel was dropped) */
        int escape_state;
        size_t off, len; /* pending bytes buf[off..len) not yet written to dst */
        uint8_t buf[2 * RELAY_BUF_SIZE];
} Channel;

typedef struct Relay {
        const RelaySpec *spec;
        Channel *ch;
        size_t n_ch;
        int signal_fd;
        bool raw; /* raw_fd was put in raw mode; saved_termios holds the original */
        struct termios saved_termios;
        bool mask_changed;
        bool drain_sigpipe; /* we blocked SIGPIPE and must swallow a pending one on exit */
        sigset_t saved_mask;
        bool draining;       /* the input is over or the peer's process is gone */
        uint64_t drain_deadline;
        bool finished;       /* a detach or a hang-up ended the relay */
} Relay;

static void relay_done(Relay *r)
{
        /* The terminal first: a signal delivered once the mask is restored may end the
         * process, and it must not leave the user's terminal raw. */
        if (r->raw) {
                (void)tcsetattr(r->spec->raw_fd, TCSANOW, &r->saved_termios);
                r->raw = false;
        }
        r->signal_fd = safe_close(r->signal_fd);
        if (r->drain_sigpipe) {
                sigset_t pipe_set;
                const struct timespec zero = {0, 0};
                sigemptyset(&pipe_set);
                sigaddset(&pipe_set, SIGPIPE);
                while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
                        ;
                r->drain_sigpipe = false;
        }
        if (r->mask_changed) {
                (void)sigprocmask(SIG_SETMASK, &r->saved_mask, NULL);
                r->mask_changed = false;
        }
}

static void relay_signal_set(const Relay *r, sigset_t *set)
{
        sigemptyset(set);
        sigaddset(set, SIGINT);
        sigaddset(set, SIGTERM);
        sigaddset(set, SIGHUP);
        sigaddset(set, SIGWINCH);
        /* Only when forwarding: for the console, SIGQUIT keeps its default action. */
        if (r->spec->signal_pidfd >= 0)
                sigaddset(set, SIGQUIT);
}

static int relay_setup_signals(Relay *r, BerthError **reterr)
{
        sigset_t set;

        relay_signal_set(r, &set);

        /* Block before creating the signalfd, so a signal arriving in between stays queued
         * for it instead of taking its default action. SIGPIPE is blocked rather than read: a
         * closed output then shows up as EPIPE from write(). */
        sigset_t block = set;
        sigaddset(&block, SIGPIPE);
        if (sigprocmask(SIG_BLOCK, &block, &r->saved_mask) < 0)
                return berth_error_set(reterr, errno, "%s: block signals", r->spec->label);
        r->mask_changed = true;
        r->drain_sigpipe = sigismember(&r->saved_mask, SIGPIPE) == 0;

        r->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (r->signal_fd < 0)
                return berth_error_set(reterr, errno, "%s: create signalfd", r->spec->label);
        return 0;
}

static int relay_make_raw(Relay *r, BerthError **reterr)
{
        int fd = r->spec->raw_fd;

        if (fd < 0 || !isatty(fd))
                return 0;

        if (tcgetattr(fd, &r->saved_termios) < 0)
                return berth_error_set(reterr, errno, "%s: get terminal attributes",
                                       r->spec->label);

        struct termios raw = r->saved_termios;
        cfmakeraw(&raw);
        /* cfmakeraw() clears OPOST; the container's tty does the output processing, unless
         * some output reaches this terminal without passing through it. */
        if (r->spec->raw_keep_output)
                raw.c_oflag = r->saved_termios.c_oflag;
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(fd, TCSANOW, &raw) < 0)
                return berth_error_set(reterr, errno, "%s: set terminal raw mode", r->spec->label);
        r->raw = true;
        return 0;
}

/* Best effort: a missing size (no terminal) just leaves the pty's as it is. */
static void relay_copy_winsize(Relay *r)
{
        struct winsize ws;
        int from = r->spec->winsize_from, to = r->spec->winsize_to;

        if (from < 0 || to < 0 || !isatty(to))
                return;
        if (ioctl(from, TIOCGWINSZ, &ws) < 0)
                return;
        (void)ioctl(to, TIOCSWINSZ, &ws);
}

/* Returns 1 when a terminating signal arrived (not forwarded), 0 otherwise, < 0 on error. */
static int relay_handle_signals(Relay *r, int *ret_sig)
{
        for (;;) {
                struct signalfd_siginfo si;
                ssize_t k = read(r->signal_fd, &si, sizeof(si));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return negative_errno();
                }
                if (k != sizeof(si))
                        return -EIO;

                if (si.ssi_signo == SIGWINCH) {
                        relay_copy_winsize(r);
                        continue;
                }
                if (r->spec->signal_pidfd >= 0) {
                        /* The command decides what the signal means; it may already be gone. */
                        (void)syscall(SYS_pidfd_send_signal, r->spec->signal_pidfd,
                                      (int)si.ssi_signo, NULL, 0);
                        continue;
                }
                *ret_sig = (int)si.ssi_signo;
                return 1;
        }
}

static bool is_hangup(int e)
{
        return e == EIO || e == EPIPE || e == ECONNRESET;
}

static void channel_close_dst(Channel *c)
{
        if (c->spec.flags & RELAY_CHANNEL_OWN_DST)
                c->dst = safe_close(c->dst);
        else
                c->dst = -EBADF;
}

/* The channel is over: nothing more is read or written. */
static void channel_drop(Channel *c)
{
        c->done = true;
        c->off = c->len = 0;
        if (c->spec.flags & RELAY_CHANNEL_OWN_SRC)
                c->src = safe_close(c->src);
        channel_close_dst(c);
}

static void relay_start_drain(Relay *r)
{
        if (r->draining)
                return;
        r->draining = true;
        r->drain_deadline = now_usec() + RELAY_DRAIN_MAX_USEC;
}

/* Writes what is pending. Returns 0 (all written, or the rest waits for POLLOUT), 1 when the
 * relay is over, < 0 on error. */
static int channel_flush(Relay *r, Channel *c, BerthError **reterr)
{
        while (c->off < c->len) {
                if (c->dst < 0) {
                        /* Nobody to write to (an output nobody reads): drop it. */
                        c->off = c->len = 0;
                        return 0;
                }
                ssize_t k = write(c->dst, c->buf + c->off, c->len - c->off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        if (is_hangup(errno) && (c->spec.flags & RELAY_CHANNEL_INPUT)) {
                                /* The container side went away while we wrote to it. */
                                if (r->spec->end_on_hangup)
                                        return 1;
                                channel_drop(c);
                                return 0;
                        }
                        if (errno == EPIPE && (c->spec.flags & RELAY_CHANNEL_EPIPE_CLOSES_SRC)) {
                                /* Nobody reads our output any more: closing the command's pipe
                                 * gives it the same EPIPE (or SIGPIPE) it would get here. */
                                channel_drop(c);
                                return 0;
                        }
                        return berth_error_set(reterr, errno, "%s: write to %s", r->spec->label,
                                               c->spec.dst_name);
                }
                c->off += (size_t)k;
        }
        c->off = c->len = 0;
        return 0;
}

/* After the detach request: what was typed before it still goes out, then the notice. */
static int relay_detach(Relay *r, Channel *c, BerthError **reterr)
{
        if (c->dst >= 0 && c->off < c->len) {
                int q = loop_write(c->dst, c->buf + c->off, c->len - c->off);
                if (q < 0 && !is_hangup(-q))
                        return berth_error_set(reterr, q, "%s: write to %s", r->spec->label,
                                               c->spec.dst_name);
        }
        if (r->spec->notice_fd >= 0) {
                int q = loop_write(r->spec->notice_fd, detach_notice, strlen(detach_notice));
                if (q < 0 && q != -EPIPE)
                        return berth_error_set(reterr, q, "%s: write to %s", r->spec->label,
                                               r->spec->notice_name);
        }
        return 1;
}

/* Reads what src has and passes it on. Returns 0 to go on, 1 when the relay is over. */
static int channel_read(Relay *r, Channel *c, BerthError **reterr)
{
        uint8_t buf[RELAY_BUF_SIZE];
        bool input = c->spec.flags & RELAY_CHANNEL_INPUT;

        ssize_t k = read(c->src, buf, sizeof(buf));
        if (k < 0) {
                if (errno == EINTR || errno == EAGAIN)
                        return 0;
                /* A pty master reports EIO once the last slave fd is closed; a terminal that
                 * went away (hang-up) does too. Both are an end of data. */
                if (errno != EIO)
                        return berth_error_set(reterr, errno, "%s: read from %s", r->spec->label,
                                               c->spec.src_name);
                k = 0;
        }
        if (k == 0) {
                c->done = true;
                if (c->spec.flags & RELAY_CHANNEL_CLOSE_DST_AT_EOF)
                        channel_close_dst(c);
                if (input) {
                        if (r->spec->end_on_input_eof)
                                relay_start_drain(r);
                        return 0;
                }
                return r->spec->end_on_hangup ? 1 : 0;
        }

        bool detach = false;
        if (c->spec.flags & RELAY_CHANNEL_ESCAPE)
                c->len = console_escape_filter(&c->escape_state, buf, (size_t)k, c->buf, &detach);
        else {
                memcpy(c->buf, buf, (size_t)k);
                c->len = (size_t)k;
        }
        c->off = 0;
        if (detach)
                return relay_detach(r, c, reterr);
        return channel_flush(r, c, reterr);
}

/* One pollfd per live channel: its dst while bytes are pending, else its src. */
typedef struct PollMap {
        struct pollfd p[2 + RELAY_MAX_CHANNELS];
        Channel *ch[2 + RELAY_MAX_CHANNELS]; /* NULL for the signalfd and stop_fd */
        size_t n;
} PollMap;

static void relay_build_poll(Relay *r, PollMap *m)
{
        m->n = 0;
        m->p[m->n] = (struct pollfd){.fd = r->signal_fd, .events = POLLIN};
        m->ch[m->n++] = NULL;
        if (r->spec->stop_fd >= 0 && !r->draining) {
                m->p[m->n] = (struct pollfd){.fd = r->spec->stop_fd, .events = POLLIN};
                m->ch[m->n++] = NULL;
        }
        for (size_t i = 0; i < r->n_ch; i++) {
                Channel *c = &r->ch[i];
                if (c->done && c->off >= c->len)
                        continue;
                if (r->draining && (c->spec.flags & RELAY_CHANNEL_INPUT))
                        continue;
                if (c->off < c->len)
                        m->p[m->n] = (struct pollfd){.fd = c->dst, .events = POLLOUT};
                else
                        m->p[m->n] = (struct pollfd){.fd = c->src, .events = POLLIN};
                m->ch[m->n++] = c;
        }
}

static int relay_loop(Relay *r, BerthError **reterr)
{
        for (;;) {
                PollMap m;
                relay_build_poll(r, &m);

                int timeout = -1;
                if (r->draining) {
                        /* Only the signalfd left: every output has ended. */
                        if (m.n == 1)
                                return 0;
                        uint64_t now = now_usec();
                        if (now >= r->drain_deadline)
                                return 0;
                        timeout = (int)MIN((uint64_t)RELAY_DRAIN_QUIET_MSEC,
                                           (r->drain_deadline - now + 999) / 1000);
                }

                int n = poll(m.p, m.n, timeout);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return berth_error_set(reterr, errno, "%s: poll", r->spec->label);
                }
                if (n == 0)
                        return 0; /* quiet while draining */

                if (m.p[0].revents) {
                        int sig = 0;
                        int q = relay_handle_signals(r, &sig);
                        if (q < 0)
                                return berth_error_set(reterr, q, "%s: read signal",
                                                       r->spec->label);
                        if (q > 0) {
                                char name[16];
                                return berth_error_setf(reterr, EINTR, "%s: interrupted by %s",
                                                        r->spec->label,
                                                        signal_to_string(sig, name));
                        }
                }
                if (m.n > 1 && !m.ch[1] && m.p[1].revents)
                        relay_start_drain(r);

                for (size_t i = 0; i < m.n; i++)
                        if (m.ch[i] && (m.p[i].revents & POLLNVAL))
                                return berth_error_setf(reterr, EBADF, "%s: %s fd is not open",
                                                        r->spec->label,
                                                        m.p[i].events == POLLOUT
                                                                ? m.ch[i]->spec.dst_name
                                                                : m.ch[i]->spec.src_name);

                /* Output first, so what the peer said before hanging up still reaches the user;
                 * then input. */
                for (int pass = 0; pass < 2; pass++)
                        for (size_t i = 0; i < m.n; i++) {
                                Channel *c = m.ch[i];
                                if (!c || !m.p[i].revents ||
                                    !!(c->spec.flags & RELAY_CHANNEL_INPUT) != (pass == 1))
                                        continue;
                                int q = m.p[i].events == POLLOUT ? channel_flush(r, c, reterr)
                                                                 : channel_read(r, c, reterr);
                                if (q != 0)
                                        return q < 0 ? q : 0;
                        }
        }
}

int console_relay_run(const RelaySpec *spec, BerthError **reterr)
{
        if (!spec || spec->n_channels > RELAY_MAX_CHANNELS)
                return berth_error_setf(reterr, EINVAL, "relay: invalid channel list");

        Channel ch[RELAY_MAX_CHANNELS];
        Relay r = {
                .spec = spec,
                .ch = ch,
                .n_ch = spec->n_channels,
                .signal_fd = -EBADF,
        };
        for (size_t i = 0; i < spec->n_channels; i++) {
                const RelayChannel *c = &spec->channels[i];
                if (c->src < 0)
                        return berth_error_setf(reterr, EBADF, "%s: invalid file descriptor",
                                                spec->label);
                ch[i] = (Channel){.spec = *c, .src = c->src, .dst = c->dst};
        }

        int q = relay_setup_signals(&r, reterr);
        if (q >= 0)
                q = relay_make_raw(&r, reterr);
        if (q >= 0) {
                relay_copy_winsize(&r);
                q = relay_loop(&r, reterr);
        }
        relay_done(&r);
        for (size_t i = 0; i < r.n_ch; i++) {
                if (ch[i].spec.flags & RELAY_CHANNEL_OWN_SRC)
                        safe_close(ch[i].src);
                if (ch[i].spec.flags & RELAY_CHANNEL_OWN_DST)
                        safe_close(ch[i].dst);
        }
        return q < 0 ? q : 0;
}

int console_relay(int in_fd, int out_fd, int peer_fd, BerthError **reterr)
{
        if (in_fd < 0 || out_fd < 0 || peer_fd < 0)
                return berth_error_setf(reterr, EBADF, "relay console: invalid file descriptor");

        RelaySpec spec = {
                .label = "relay console",
                .channels = {
                        {in_fd, peer_fd, "terminal", "console",
                         RELAY_CHANNEL_INPUT | RELAY_CHANNEL_ESCAPE},
                        {peer_fd, out_fd, "console", "terminal", 0},
                },
                .n_channels = 2,
                .raw_fd = in_fd,
                .winsize_from = in_fd,
                .winsize_to = peer_fd,
                .stop_fd = -EBADF,
                .signal_pidfd = -EBADF,
                .notice_fd = out_fd,
                .notice_name = "terminal",
                .end_on_hangup = true,
                .end_on_input_eof = true,
        };
        return console_relay_run(&spec, reterr);
}
