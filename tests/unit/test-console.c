/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "console/console.h"
#include "tap.h"

#define skip(why)                                                                                  \
        do {                                                                                       \
                tap_n++;                                                                           \
                printf("ok %d # SKIP %s\n", tap_n, why);                                           \
                fflush(stdout);                                                                    \
        } while (0)

static uint64_t now_msec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reads what arrives on fd within timeout_ms (stops early once `want` bytes are there). */
static size_t read_for(int fd, char *buf, size_t size, size_t want, int timeout_ms)
{
        size_t n = 0;
        uint64_t end = now_msec() + (uint64_t)timeout_ms;

        while (n < size - 1 && n < want) {
                uint64_t now = now_msec();
                if (now >= end)
                        break;
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, (int)(end - now)) <= 0)
                        break;
                ssize_t k = read(fd, buf + n, size - 1 - n);
                if (k <= 0)
                        break;
                n += (size_t)k;
        }
        buf[n] = 0;
        return n;
}

/* ---- ring buffer ---- */

static uint8_t *mfree_u8(uint8_t *p)
{
        free(p);
        return NULL;
}

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
        rng_state = rng_state * 1103515245u + 12345u;
        return rng_state >> 8;
}

static void test_ring_basic(void)
{
        _cleanup_(ring_buffer_freep) RingBuffer *rb = ring_buffer_new(8);
        _cleanup_free_ uint8_t *out = NULL;

        is_int(ring_buffer_read_all(rb, &out), 0, "ring: empty buffer reads nothing");
        ok(out != NULL, "ring: empty read still returns an allocation");
        out = mfree_u8(out);

        ring_buffer_write(rb, "abc", 3);
        is_int(ring_buffer_read_all(rb, &out), 3, "ring: three bytes");
        is_str((char *)out, "abc", "ring: contents before wrap");
        out = mfree_u8(out);

        ring_buffer_write(rb, "defgh", 5);
        is_int(ring_buffer_read_all(rb, &out), 8, "ring: exactly full");
        is_str((char *)out, "abcdefgh", "ring: contents when exactly full");
        is_int(rb->start, 0, "ring: start unchanged when exactly full");
        out = mfree_u8(out);

        ring_buffer_write(rb, "ij", 2);
        is_int(ring_buffer_read_all(rb, &out), 8, "ring: still full after wrap");
        is_str((char *)out, "cdefghij", "ring: oldest bytes overwritten");
        is_int(rb->start, 2, "ring: start moved by the overwritten bytes");
        out = mfree_u8(out);

        ring_buffer_write(rb, "0123456789ABCDEF", 16);
        is_int(ring_buffer_read_all(rb, &out), 8, "ring: write larger than capacity");
        is_str((char *)out, "89ABCDEF", "ring: keeps only the tail of a large write");
        out = mfree_u8(out);

        ring_buffer_write(rb, "", 0);
        is_int(ring_buffer_read_all(rb, &out), 8, "ring: empty write changes nothing");
        is_str((char *)out, "89ABCDEF", "ring: contents after empty write");
        out = mfree_u8(out);

        _cleanup_(ring_buffer_freep) RingBuffer *zero = ring_buffer_new(0);
        ring_buffer_write(zero, "abc", 3);
        is_int(ring_buffer_read_all(zero, &out), 0, "ring: zero-sized ring keeps nothing");
        out = mfree_u8(out);

        is_int(ring_buffer_read_all(NULL, &out), 0, "ring: NULL ring reads nothing");
        ok(ring_buffer_free(NULL) == NULL, "ring: free(NULL) is a no-op");
}

/* Random writes against a reference that keeps everything: the ring must equal its tail. */
static void test_ring_random(void)
{
        static const size_t sizes[] = {1, 2, 3, 5, 7, 8, 13, 16, 31, 64, 100, 255, 256, 1000, 4096};
        uint8_t *ref = xmalloc(64 * 1024);

        for (size_t s = 0; s < ELEMENTSOF(sizes); s++) {
                size_t size = sizes[s], total = 0;
                bool good = true;
                _cleanup_(ring_buffer_freep) RingBuffer *rb = ring_buffer_new(size);

                for (int step = 0; step < 200 && good; step++) {
                        uint8_t chunk[300];
                        size_t len = rng() % (MIN(size * 2 + 2, sizeof(chunk)));
                        for (size_t i = 0; i < len; i++)
                                chunk[i] = (uint8_t)rng();
                        if (total + len > 64 * 1024)
                                break;
                        memcpy(ref + total, chunk, len);
                        total += len;
                        ring_buffer_write(rb, chunk, len);

                        _cleanup_free_ uint8_t *out = NULL;
                        size_t want = MIN(total, size);
                        size_t got = ring_buffer_read_all(rb, &out);
                        if (got != want || memcmp(out, ref + total - want, want) != 0) {
                                printf("# size %zu step %d: got %zu bytes, want %zu\n", size, step,
                                       got, want);
                                good = false;
                        }
                }
                ok(good, "ring: random writes match the reference tail for size %zu", size);
        }
        free(ref);
}

/* ---- escape filter ---- */

static void filter_case(int *state, const char *in, size_t len, const char *want_out,
                        size_t want_len, bool want_detach, int want_state, const char *what)
{
        uint8_t out[64];
        bool detach = !want_detach;
        size_t n = console_escape_filter(state, (const uint8_t *)in, len, out, &detach);
        ok(n == want_len && memcmp(out, want_out, want_len) == 0 && detach == want_detach &&
                   *state == want_state,
           "escape: %s", what);
}

static void test_escape(void)
{
        int st = 0;

        filter_case(&st, "abc", 3, "abc", 3, false, 0, "plain bytes pass through");
        filter_case(&st, "", 0, "", 0, false, 0, "empty input");
        filter_case(&st, "a\x01qb", 4, "a", 1, true, 0, "ctrl-a q detaches, later bytes dropped");
        filter_case(&st, "\x01\x01", 2, "\x01", 1, false, 0, "ctrl-a ctrl-a sends one ctrl-a");
        filter_case(&st, "\x01x", 2, "\x01x", 2, false, 0, "ctrl-a x sends both bytes");
        filter_case(&st, "\x01\x01q", 3, "\x01q", 2, false, 0, "ctrl-a ctrl-a q is a literal q");
        filter_case(&st, "ab\x01", 3, "ab", 2, false, 1, "trailing ctrl-a is held back");
        filter_case(&st, "q", 1, "", 0, true, 0, "ctrl-a | q split across calls detaches");
        filter_case(&st, "\x01", 1, "", 0, false, 1, "lone ctrl-a is pending");
        filter_case(&st, "\x01", 1, "\x01", 1, false, 0, "ctrl-a | ctrl-a split sends one ctrl-a");
        filter_case(&st, "\x01", 1, "", 0, false, 1, "ctrl-a pending again");
        filter_case(&st, "z", 1, "\x01z", 2, false, 0, "ctrl-a | z split sends both bytes");
        filter_case(&st, "\x01\n", 2, "\x01\n", 2, false, 0, "ctrl-a newline sends both");
        filter_case(&st, "Q", 1, "Q", 1, false, 0, "q without ctrl-a does nothing special");

        /* NULL ret_detach is tolerated. */
        uint8_t out[8];
        st = 0;
        is_int(console_escape_filter(&st, (const uint8_t *)"a\x01q", 3, out, NULL), 1,
               "escape: NULL ret_detach");
}

/* ---- relay ---- */

static int count_fds(void)
{
        int n = 0;
        for (int fd = 0; fd < 1024; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        n++;
        return n;
}

static bool sigint_blocked(void)
{
        sigset_t cur;
        sigprocmask(SIG_SETMASK, NULL, &cur);
        return sigismember(&cur, SIGINT) == 1;
}

static void test_relay_detach(void)
{
        int in[2], out[2], peer[2];
        char buf[256];

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, peer) < 0) {
                ok(false, "relay: create pipes");
                return;
        }

        const char input[] = "hello\x01qjunk";
        (void)!write(in[1], input, sizeof(input) - 1);

        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int fds_before = count_fds();
        int r = console_relay(in[0], out[1], peer[0], &err);
        is_int(r, 0, "relay: detach returns 0");
        is_int(count_fds(), fds_before, "relay: no fd left open");
        ok(!err, "relay: no error on detach");

        ssize_t k = recv(peer[1], buf, sizeof(buf) - 1, MSG_DONTWAIT);
        buf[k > 0 ? k : 0] = 0;
        is_str(buf, "hello", "relay: peer receives the input before ctrl-a q");

        read_for(out[0], buf, sizeof(buf), 14, 500);
        is_str(buf, "\r\n[detached]\r\n", "relay: detach notice printed");
        ok(!sigint_blocked(), "relay: signal mask restored");

        for (int i = 0; i < 2; i++) {
                close(in[i]);
                close(out[i]);
                close(peer[i]);
        }
}

static void test_relay_split_detach(void)
{
        int in[2], out[2], peer[2];
        char buf[256];

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, peer) < 0) {
                ok(false, "relay: create pipes");
                return;
        }

        pid_t pid = fork();
        if (pid == 0) {
                /* Two separate writes, so the relay sees ctrl-a and q in two reads. */
                (void)!write(in[1], "ab\x01", 3);
                usleep(100 * 1000);
                (void)!write(in[1], "q", 1);
                _exit(0);
        }
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = console_relay(in[0], out[1], peer[0], &err);
        waitpid(pid, NULL, 0);
        is_int(r, 0, "relay: ctrl-a and q in two reads detach");
        ssize_t k = recv(peer[1], buf, sizeof(buf) - 1, MSG_DONTWAIT);
        buf[k > 0 ? k : 0] = 0;
        is_str(buf, "ab", "relay: held-back ctrl-a never reaches the peer");

        for (int i = 0; i < 2; i++) {
                close(in[i]);
                close(out[i]);
                close(peer[i]);
        }
}

static void test_relay_hangup(void)
{
        int in[2], out[2], peer[2];
        char buf[256];

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, peer) < 0) {
                ok(false, "relay: create pipes");
                return;
        }

        /* The peer says goodbye and hangs up; the input stays open and silent. */
        (void)!write(peer[1], "bye", 3);
        close(peer[1]);

        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = console_relay(in[0], out[1], peer[0], &err);
        is_int(r, 0, "relay: peer hang-up returns 0");
        read_for(out[0], buf, sizeof(buf), 3, 500);
        is_str(buf, "bye", "relay: output sent before the hang-up is relayed");
        read_for(out[0], buf, sizeof(buf), 1, 50);
        is_str(buf, "", "relay: no detach notice on hang-up");

        close(peer[0]);
        for (int i = 0; i < 2; i++) {
                close(in[i]);
                close(out[i]);
        }
}

static void test_relay_input_eof(void)
{
        int in[2], out[2], peer[2];
        char buf[256];

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, peer) < 0) {
                ok(false, "relay: create pipes");
                return;
        }

        (void)!write(in[1], "abc", 3);
        close(in[1]);
        (void)!write(peer[1], "xyz", 3);

        _cleanup_(berth_error_freep) BerthError *err = NULL;
        uint64_t t0 = now_msec();
        int r = console_relay(in[0], out[1], peer[0], &err);
        uint64_t took = now_msec() - t0;
        is_int(r, 0, "relay: input EOF returns 0");
        ok(took < 1500, "relay: input EOF returns promptly (%llu ms)", (unsigned long long)took);

        ssize_t k = recv(peer[1], buf, sizeof(buf) - 1, MSG_DONTWAIT);
        buf[k > 0 ? k : 0] = 0;
        is_str(buf, "abc", "relay: input before EOF reaches the peer");
        read_for(out[0], buf, sizeof(buf), 3, 500);
        is_str(buf, "xyz", "relay: pending peer output drained after input EOF");

        close(in[0]);
        close(peer[0]);
        close(peer[1]);
        close(out[0]);
        close(out[1]);
}

static void test_relay_errors(void)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int in[2], out[2], peer[2];

        is_int(console_relay(-1, 1, 2, &err), -EBADF, "relay: negative fd refused");
        like(berth_error_message(err, 0), "invalid file descriptor", "relay: negative fd message");
        err = berth_error_free(err);

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, peer) < 0) {
                ok(false, "relay: create pipes");
                return;
        }

        /* A peer fd that is not open at all. */
        /* Far above anything open, so the relay's own signalfd cannot take the number. */
        int dead = 900;
        while (fcntl(dead, F_GETFD) >= 0)
                dead++;
        is_int(console_relay(in[0], out[1], dead, &err), -EBADF, "relay: closed peer fd");
        like(berth_error_message(err, 0), "console fd is not open", "relay: closed peer message");
        err = berth_error_free(err);

        /* The user's output is gone: EPIPE, not death by SIGPIPE. */
        close(out[0]);
        (void)!write(peer[1], "data", 4);
        is_int(console_relay(in[0], out[1], peer[0], &err), -EPIPE,
               "relay: closed output reported as EPIPE");
        like(berth_error_message(err, 0), "relay console: write to terminal",
             "relay: closed output message");
        err = berth_error_free(err);
        ok(!sigint_blocked(), "relay: signal mask restored after an error");

        sigset_t pending;
        sigpending(&pending);
        ok(!sigismember(&pending, SIGPIPE), "relay: no SIGPIPE left pending");

        close(out[1]);
        for (int i = 0; i < 2; i++) {
                close(in[i]);
                close(peer[i]);
        }
}

static void test_relay_pty_hangup(void)
{
        int master, slave, in[2], out[2];

        if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
                skip("openpty not available");
                return;
        }
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
                ok(false, "relay: create pipes");
                return;
        }
        close(slave);

        _cleanup_(berth_error_freep) BerthError *err = NULL;
        is_int(console_relay(in[0], out[1], master, &err), 0,
               "relay: pty master whose slave closed ends the relay with 0");

        close(master);
        for (int i = 0; i < 2; i++) {
                close(in[i]);
                close(out[i]);
        }
}

static bool wait_for_winsize(int fd, unsigned short rows, unsigned short cols)
{
        uint64_t end = now_msec() + 3000;
        do {
                struct winsize ws;
                if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row == rows && ws.ws_col == cols)
                        return true;
                usleep(10 * 1000);
        } while (now_msec() < end);
        return false;
}

static bool wait_for_raw(int fd)
{
        uint64_t end = now_msec() + 3000;
        do {
                struct termios t;
                if (tcgetattr(fd, &t) == 0 && !(t.c_lflag & (ICANON | ECHO)))
                        return true;
                usleep(10 * 1000);
        } while (now_msec() < end);
        return false;
}

static bool same_termios(const struct termios *a, const struct termios *b)
{
        return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_cflag == b->c_cflag &&
               a->c_lflag == b->c_lflag;
}

/* The user's terminal is pty A (slave side), the container's console is pty B (master side). */
static void test_relay_tty(void)
{
        int ma, sa, mb, sb;
        struct winsize ws = {.ws_row = 30, .ws_col = 100};
        struct winsize zero = {0};
        char buf[256];

        if (openpty(&ma, &sa, NULL, NULL, &ws) < 0 || openpty(&mb, &sb, NULL, NULL, &zero) < 0) {
                skip("openpty not available");
                skip("openpty not available");
                skip("openpty not available");
                skip("openpty not available");
                skip("openpty not available");
                skip("openpty not available");
                skip("openpty not available");
                skip("openpty not available");
                return;
        }

        struct termios orig, raw_b;
        tcgetattr(sa, &orig);
        /* The container side in raw mode too, so the test can read bytes as they come. */
        tcgetattr(sb, &raw_b);
        cfmakeraw(&raw_b);
        tcsetattr(sb, TCSANOW, &raw_b);

        pid_t pid = fork();
        if (pid == 0) {
                BerthError *err = NULL;
                int r = console_relay(sa, sa, mb, &err);
                _exit(r == 0 ? 0 : 10);
        }

        ok(wait_for_raw(sa), "relay tty: user terminal put in raw mode");
        ok(wait_for_winsize(mb, 30, 100), "relay tty: window size copied to the pty peer");

        struct winsize ws2 = {.ws_row = 40, .ws_col = 120};
        ioctl(ma, TIOCSWINSZ, &ws2);
        kill(pid, SIGWINCH);
        ok(wait_for_winsize(mb, 40, 120), "relay tty: window size copied again on SIGWINCH");

        (void)!write(ma, "hi", 2);
        read_for(sb, buf, sizeof(buf), 2, 2000);
        is_str(buf, "hi", "relay tty: typed bytes reach the container tty");

        (void)!write(sb, "out", 3);
        read_for(ma, buf, sizeof(buf), 3, 2000);
        is_str(buf, "out", "relay tty: container output reaches the user terminal");

        (void)!write(ma, "\x01q", 2);
        read_for(ma, buf, sizeof(buf), 14, 2000);
        like(buf, "[detached]", "relay tty: detach notice on the user terminal");

        int status = -1;
        waitpid(pid, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "relay tty: relay returned 0");

        struct termios after;
        tcgetattr(sa, &after);
        ok(same_termios(&orig, &after), "relay tty: terminal mode restored after detach");

        close(ma);
        close(sa);
        close(mb);
        close(sb);
}

static void test_relay_signal(void)
{
        int ma, sa, in[2];

        if (openpty(&ma, &sa, NULL, NULL, NULL) < 0) {
                skip("openpty not available");
                skip("openpty not available");
                skip("openpty not available");
                return;
        }
        if (pipe2(in, O_CLOEXEC) < 0) {
                ok(false, "relay: create pipe");
                return;
        }
        int peer[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, peer) < 0) {
                ok(false, "relay: create socketpair");
                return;
        }

        struct termios orig;
        tcgetattr(sa, &orig);

        pid_t pid = fork();
        if (pid == 0) {
                BerthError *err = NULL;
                int r = console_relay(sa, sa, peer[0], &err);
                bool good = r == -EINTR && strstr(berth_error_message(err, r), "SIGTERM");
                _exit(good ? 0 : 10);
        }

        ok(wait_for_raw(sa), "relay signal: terminal raw before the signal");
        kill(pid, SIGTERM);
        int status = -1;
        waitpid(pid, &status, 0);
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "relay signal: SIGTERM makes the relay return -EINTR naming the signal");

        struct termios after;
        tcgetattr(sa, &after);
        ok(same_termios(&orig, &after), "relay signal: terminal mode restored after SIGTERM");

        close(ma);
        close(sa);
        close(in[0]);
        close(in[1]);
        close(peer[0]);
        close(peer[1]);
}

int main(void)
{
        test_ring_basic();
        test_ring_random();
        test_escape();
        test_relay_detach();
        test_relay_split_detach();
        test_relay_hangup();
        test_relay_input_eof();
        test_relay_errors();
        test_relay_pty_hangup();
        test_relay_tty();
        test_relay_signal();
        return tap_done();
}
