/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
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

typedef struct Relay {
        int in_fd, out_fd, peer_fd;
        int signal_fd;
        bool raw; /* in_fd was put in raw mode; saved_termios holds the original */
        struct termios saved_termios;
        bool mask_changed;
        bool drain_sigpipe; /* we blocked SIGPIPE and must swallow a pending one on exit */
        sigset_t saved_mask;
} Relay;

static void relay_done(Relay *r)
{
        /* The terminal first: a signal delivered once the mask is restored may end the
         * process, and it must not leave the user's terminal raw. */
        if (r->raw) {
                (void)tcsetattr(r->in_fd, TCSANOW, &r->saved_termios);
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

static int relay_setup_signals(Relay *r, BerthError **reterr)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGWINCH);

        /* Block before creating the signalfd, so a signal arriving in between stays queued
         * for it instead of taking its default action. SIGPIPE is blocked rather than read: a
         * closed output then shows up as EPIPE from write(). */
        sigset_t block = set;
        sigaddset(&block, SIGPIPE);
        if (sigprocmask(SIG_BLOCK, &block, &r->saved_mask) < 0)
                return berth_error_set(reterr, errno, "relay console: block signals");
        r->mask_changed = true;
        r->drain_sigpipe = sigismember(&r->saved_mask, SIGPIPE) == 0;

        r->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        if (r->signal_fd < 0)
                return berth_error_set(reterr, errno, "relay console: create signalfd");
        return 0;
}

static int relay_make_raw(Relay *r, BerthError **reterr)
{
        if (!isatty(r->in_fd))
                return 0;

        if (tcgetattr(r->in_fd, &r->saved_termios) < 0)
                return berth_error_set(reterr, errno, "relay console: get terminal attributes");

        struct termios raw = r->saved_termios;
        cfmakeraw(&raw);
        /* cfmakeraw() clears OPOST; the container's tty does the output processing. */
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        if (tcsetattr(r->in_fd, TCSANOW, &raw) < 0)
                return berth_error_set(reterr, errno, "relay console: set terminal raw mode");
        r->raw = true;
        return 0;
}

/* Best effort: a missing size (in_fd is no terminal) just leaves the peer's as it is. */
static void relay_copy_winsize(Relay *r)
{
        struct winsize ws;

        if (!isatty(r->peer_fd))
                return;
        if (ioctl(r->in_fd, TIOCGWINSZ, &ws) < 0)
                return;
        (void)ioctl(r->peer_fd, TIOCSWINSZ, &ws);
}

/* Returns 1 when a terminating signal arrived, 0 otherwise, < 0 on error. */
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
                *ret_sig = (int)si.ssi_signo;
                return 1;
        }
}

/* Reads what the peer has and copies it to out_fd. Returns 1 when the peer hung up. */
static int relay_peer_to_out(Relay *r, BerthError **reterr)
{
        uint8_t buf[RELAY_BUF_SIZE];

        ssize_t k = read(r->peer_fd, buf, sizeof(buf));
        if (k < 0) {
                if (errno == EINTR || errno == EAGAIN)
                        return 0;
                /* A pty master reports EIO once the last slave fd is closed. */
                if (errno == EIO)
                        return 1;
                return berth_error_set(reterr, errno, "relay console: read from console");
        }
        if (k == 0)
                return 1;

        int q = loop_write(r->out_fd, buf, (size_t)k);
        if (q < 0)
                return berth_error_set(reterr, q, "relay console: write to terminal");
        return 0;
}

/* After the input ended: copy what the peer already sent, until it is quiet or hangs up. */
static int relay_drain(Relay *r, BerthError **reterr)
{
        uint64_t deadline = now_usec() + RELAY_DRAIN_MAX_USEC;

        while (now_usec() < deadline) {
                struct pollfd p = {.fd = r->peer_fd, .events = POLLIN};
                int n = poll(&p, 1, RELAY_DRAIN_QUIET_MSEC);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return berth_error_set(reterr, errno, "relay console: poll");
                }
                if (n == 0)
                        return 0;
                if (p.revents & POLLNVAL)
                        return berth_error_setf(reterr, EBADF,
                                                "relay console: console fd is not open");
                int q = relay_peer_to_out(r, reterr);
                if (q != 0)
                        return q < 0 ? q : 0;
        }
        return 0;
}

static int relay_in_to_peer(Relay *r, int *escape_state, bool *ret_detach, bool *ret_eof,
                            BerthError **reterr)
{
        uint8_t buf[RELAY_BUF_SIZE], filtered[2 * RELAY_BUF_SIZE];

        ssize_t k = read(r->in_fd, buf, sizeof(buf));
        if (k < 0) {
                if (errno == EINTR || errno == EAGAIN)
                        return 0;
                /* The user's terminal went away (hang-up): same as end of input. */
                if (errno == EIO) {
                        *ret_eof = true;
                        return 0;
                }
                return berth_error_set(reterr, errno, "relay console: read from terminal");
        }
        if (k == 0) {
                *ret_eof = true;
                return 0;
        }

        size_t n = console_escape_filter(escape_state, buf, (size_t)k, filtered, ret_detach);
        if (n > 0) {
                int q = loop_write(r->peer_fd, filtered, n);
                if (q == -EIO || q == -EPIPE || q == -ECONNRESET)
                        return 1; /* peer hung up while we wrote */
                if (q < 0)
                        return berth_error_set(reterr, q, "relay console: write to console");
        }
        return 0;
}

static int relay_loop(Relay *r, BerthError **reterr)
{
        int escape_state = 0;

        for (;;) {
                struct pollfd p[3] = {
                        {.fd = r->signal_fd, .events = POLLIN},
                        {.fd = r->peer_fd, .events = POLLIN},
                        {.fd = r->in_fd, .events = POLLIN},
                };
                int n = poll(p, ELEMENTSOF(p), -1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return berth_error_set(reterr, errno, "relay console: poll");
                }

                if (p[0].revents) {
                        int sig = 0;
                        int q = relay_handle_signals(r, &sig);
                        if (q < 0)
                                return berth_error_set(reterr, q, "relay console: read signal");
                        if (q > 0) {
                                char name[16];
                                return berth_error_setf(reterr, EINTR,
                                                        "relay console: interrupted by %s",
                                                        signal_to_string(sig, name));
                        }
                }

                if (p[1].revents & POLLNVAL)
                        return berth_error_setf(reterr, EBADF,
                                                "relay console: console fd is not open");
                if (p[2].revents & POLLNVAL)
                        return berth_error_setf(reterr, EBADF,
                                                "relay console: terminal fd is not open");

                /* Output first, so what the peer said before hanging up still reaches the user. */
                if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                        int q = relay_peer_to_out(r, reterr);
                        if (q != 0)
                                return q < 0 ? q : 0;
                }

                if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
                        bool detach = false, eof = false;
                        int q = relay_in_to_peer(r, &escape_state, &detach, &eof, reterr);
                        if (q != 0)
                                return q < 0 ? q : 0;
                        if (detach) {
                                q = loop_write(r->out_fd, detach_notice, strlen(detach_notice));
                                if (q < 0 && q != -EPIPE)
                                        return berth_error_set(reterr, q,
                                                               "relay console: write to terminal");
                                return 0;
                        }
                        if (eof)
                                return relay_drain(r, reterr);
                }
        }
}

int console_relay(int in_fd, int out_fd, int peer_fd, BerthError **reterr)
{
        Relay r = {
                .in_fd = in_fd,
                .out_fd = out_fd,
                .peer_fd = peer_fd,
                .signal_fd = -EBADF,
        };
        int q;

        if (in_fd < 0 || out_fd < 0 || peer_fd < 0)
                return berth_error_setf(reterr, EBADF, "relay console: invalid file descriptor");

        q = relay_setup_signals(&r, reterr);
        if (q >= 0)
                q = relay_make_raw(&r, reterr);
        if (q >= 0) {
                relay_copy_winsize(&r);
                q = relay_loop(&r, reterr);
        }
        relay_done(&r);
        return q < 0 ? q : 0;
}
