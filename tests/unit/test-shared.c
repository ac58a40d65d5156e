/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "error.h"
#include "fd-util.h"
#include "fileio.h"
#include "parse.h"
#include "path-util.h"
#include "proc-util.h"
#include "time-util.h"
#include "strv.h"
#include "tap.h"

static void test_parse_size(void)
{
        uint64_t v = 0;
        ok(parse_size("4096", &v) == 0 && v == 4096, "plain bytes");
        ok(parse_size("512M", &v) == 0 && v == 512ULL << 20, "512M");
        ok(parse_size("1G", &v) == 0 && v == 1ULL << 30, "1G");
        ok(parse_size("1.5G", &v) == 0 && v == 3ULL << 29, "1.5G");
        ok(parse_size("2k", &v) == 0 && v == 2048, "lower-case unit");
        is_int(parse_size("", &v), -EINVAL, "empty size");
        is_int(parse_size("M", &v), -EINVAL, "unit alone");
        is_int(parse_size("12X", &v), -EINVAL, "unknown unit");
        is_int(parse_size("1.5", &v), -EINVAL, "fraction of bytes");
        is_int(parse_size("-1M", &v), -EINVAL, "negative");
        is_int(parse_size("99999999999999999999", &v), -ERANGE, "overflow");
        is_int(parse_size("99999999999T", &v), -ERANGE, "unit overflow");
}

static void test_parse_numbers(void)
{
        uint64_t u;
        int64_t i;
        ok(parse_uint64("18446744073709551615", &u) == 0 && u == UINT64_MAX, "uint64 max");
        is_int(parse_uint64("18446744073709551616", &u), -ERANGE, "uint64 overflow");
        is_int(parse_uint64("1a", &u), -EINVAL, "trailing junk");
        is_int(parse_uint64("+1", &u), -EINVAL, "sign");
        ok(parse_int64("-5", &i) == 0 && i == -5, "negative int64");
        ok(parse_int64("-9223372036854775808", &i) == 0 && i == INT64_MIN, "int64 min");
        is_int(parse_int64("9223372036854775808", &i), -ERANGE, "int64 overflow");
        ok(parse_milli("1.5", &u) == 0 && u == 1500, "1.5 -> 1500");
        ok(parse_milli("2", &u) == 0 && u == 2000, "2 -> 2000");
        ok(parse_milli("0.001", &u) == 0 && u == 1, "0.001 -> 1");
        is_int(parse_milli("0.0001", &u), -EINVAL, "too precise");
        is_int(parse_milli("1.", &u), -EINVAL, "dangling dot");
        ok(parse_duration_usec("10", &u) == 0 && u == 10000000, "10 s");
        ok(parse_duration_usec("500ms", &u) == 0 && u == 500000, "500ms");
        ok(parse_duration_usec("2m", &u) == 0 && u == 120000000, "2m");
        ok(parse_duration_usec("1.5s", &u) == 0 && u == 1500000, "1.5s");
        is_int(parse_duration_usec("x", &u), -EINVAL, "bad duration");
}

static void test_parse_signal(void)
{
        int s = 0;
        char buf[16];
        ok(parse_signal("SIGTERM", &s) == 0 && s == SIGTERM, "SIGTERM");
        ok(parse_signal("USR1", &s) == 0 && s == SIGUSR1, "USR1");
        ok(parse_signal("9", &s) == 0 && s == 9, "numeric");
        ok(parse_signal("SIGRTMIN+3", &s) == 0 && s == SIGRTMIN + 3, "SIGRTMIN+3");
        ok(parse_signal("RTMIN", &s) == 0 && s == SIGRTMIN, "RTMIN");
        is_int(parse_signal("SIGFOO", &s), -EINVAL, "unknown name");
        is_int(parse_signal("0", &s), -ERANGE, "zero");
        is_int(parse_signal("65", &s), -ERANGE, "past SIGRTMAX");
        is_int(parse_signal("SIGRTMIN+99", &s), -EINVAL, "rt offset too large");
        is_str(signal_to_string(SIGPWR, buf), "SIGPWR", "SIGPWR name");
        is_str(signal_to_string(SIGRTMIN + 3, buf), "SIGRTMIN+3", "rt name");
        for (int sig = 1; sig <= SIGRTMAX; sig++) {
                if (sig == 32 || sig == 33)
                        continue; /* glibc-internal real-time signals */
                int back = 0;
                if (parse_signal(signal_to_string(sig, buf), &back) < 0 || back != sig) {
                        ok(false, "signal %d round trips", sig);
                        return;
                }
        }
        ok(true, "every signal round trips through its name");
}

static void test_strv(void)
{
        _cleanup_strv_free_ char **l = NULL;
        is_int(strv_length(l), 0, "empty strv");
        strv_extend(&l, "a");
        strv_extend(&l, "b");
        strv_push(&l, xstrdup("c"));
        is_int(strv_length(l), 3, "three entries");
        ok(strv_contains(l, "b") && !strv_contains(l, "d"), "contains");
        _cleanup_free_ char *j = strv_join(l, ",");
        is_str(j, "a,b,c", "join");
        _cleanup_strv_free_ char **c = strv_copy(l);
        is_str(c[2], "c", "copy");
}

static void test_paths(void)
{
        ok(path_is_normalized("/a/b"), "normalised absolute");
        ok(path_is_normalized("a/b"), "normalised relative");
        ok(path_is_normalized("/"), "root");
        ok(!path_is_normalized("/a/../b"), "dot-dot");
        ok(!path_is_normalized("/a//b"), "double slash");
        ok(!path_is_normalized("./a"), "dot");
        ok(!path_is_normalized(""), "empty");
        _cleanup_free_ char *j = path_join("/a/", "/b");
        is_str(j, "/a/b", "join");

        char tmpl[] = "/tmp/berth-test-shared-XXXXXX";
        ok(mkdtemp(tmpl) != NULL, "mkdtemp");
        _cleanup_close_ int dfd = open(tmpl, O_PATH | O_DIRECTORY | O_CLOEXEC);
        is_int(mkdir_p_at(dfd, "x/y/z", 0755), 0, "mkdir -p");
        is_int(mkdir_p_at(dfd, "x/y/z", 0755), 0, "mkdir -p again");
        struct stat st;
        ok(fstatat(dfd, "x/y/z", &st, 0) == 0 && S_ISDIR(st.st_mode), "created");

        /* rm -rf must remove a symlink, not what it points to. */
        char outside[] = "/tmp/berth-test-outside-XXXXXX";
        ok(mkdtemp(outside) != NULL, "outside dir");
        _cleanup_free_ char *keep = path_join(outside, "keep");
        int kfd = open(keep, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        close(kfd);
        ok(symlinkat(outside, dfd, "x/link") == 0, "symlink out of the tree");
        is_int(write_file_atomic_at(dfd, "x/y/file", "data", 4, 0600), 0, "atomic write");
        _cleanup_free_ char *back = NULL;
        ok(read_full_file_at(dfd, "x/y/file", 100, &back, NULL) == 0 && streq(back, "data"),
           "read back");
        _cleanup_free_ char *big = NULL;
        is_int(read_full_file_at(dfd, "x/y/file", 2, &big, NULL), -EFBIG, "read cap");
        is_int(rm_rf_at(dfd, "x"), 0, "rm -rf");
        ok(access(keep, F_OK) == 0, "symlink target untouched");
        ok(fstatat(dfd, "x", &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT, "tree gone");
        is_int(rm_rf_at(dfd, "x"), 0, "rm -rf of nothing");
        unlink(keep);
        rmdir(outside);
        rmdir(tmpl);
}

static void test_error(void)
{
        BerthError *e = NULL;
        is_int(berth_error_set(&e, ENOENT, "open '%s'", "/x"), -ENOENT, "set returns -code");
        is_str(e->message, "open '/x': No such file or directory", "message with strerror");
        is_int(berth_error_prefix(&e, 0, "start '%s'", "web"), -ENOENT, "prefix keeps code");
        is_str(e->message, "start 'web': open '/x': No such file or directory", "prefixed");
        is_int(berth_error_set(&e, EINVAL, "ignored"), -EINVAL, "second set keeps the first");
        is_str(e->message, "start 'web': open '/x': No such file or directory", "first kept");
        e = berth_error_free(e);
        is_int(berth_error_setf(&e, -EBUSY, "already running"), -EBUSY, "negative code");
        is_str(berth_error_message(e, 0), "already running", "setf message");
        e = berth_error_free(e);
        is_int(berth_error_prefix(&e, EPERM, "mount 'proc'"), -EPERM, "prefix without object");
        is_str(e->message, "mount 'proc': Operation not permitted", "prefix creates");
        berth_error_free(e);
        is_int(berth_error_set(NULL, EIO, "x"), -EIO, "NULL error pointer");
}

static void test_fds(void)
{
        int p[2];
        ok(pipe(p) == 0, "pipe");
        int keep = p[1];
        pid_t pid = fork();
        if (pid == 0) {
                close_all_fds_except(&keep, 1);
                bool ok1 = fcntl(p[0], F_GETFD) < 0 && errno == EBADF;
                bool ok2 = fcntl(p[1], F_GETFD) >= 0;
                _exit(ok1 && ok2 ? 0 : 1);
        }
        int st;
        waitpid(pid, &st, 0);
        ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "close_all_fds_except keeps only the listed fd");
        close(p[0]);
        close(p[1]);
}

static void test_proc_stat(void)
{
        ProcStat st = {};
        const char *line = "4242 (a) b) (c) S 17 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 "
                           "0 987654 1000 10 18446744073709551615\n";
        is_int(proc_stat_parse(line, &st), 0, "proc stat: a command name with ') ('");
        ok(st.state == 'S' && st.ppid == 17 && st.starttime == 987654,
           "proc stat: state, ppid and starttime");
        is_int(proc_stat_parse("1 (x) S", &st), -EBADMSG, "proc stat: truncated");
        is_int(proc_stat_parse("1 x S 1", &st), -EBADMSG, "proc stat: no command name");
        is_int(proc_stat_parse("1 (x) S -3 1 1 0 -1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 5", &st),
               -EBADMSG, "proc stat: a negative ppid");
        is_int(proc_stat_read(getpid(), &st), 0, "proc stat: of this process");
        ok(st.ppid == getppid() && st.starttime > 0, "proc stat: its ppid and start time");
        is_int(proc_stat_read(0, &st), -ENOENT, "proc stat: of no process");
}

static void test_kv_lines(void)
{
        char text[] = "a=1\nno equals here\nb=x=y\n\nempty=\nlast=9";
        char *cursor = text, *k, *v;
        const char *want[][2] = {{"a", "1"}, {"b", "x=y"}, {"empty", ""}, {"last", "9"}};
        size_t n = 0;
        bool same = true;
        while (next_kv_line(&cursor, &k, &v)) {
                same = same && n < ELEMENTSOF(want) && streq(k, want[n][0]) &&
                       streq(v, want[n][1]);
                n++;
        }
        ok(same && n == ELEMENTSOF(want), "key=value lines: pairs in order, junk skipped");
        cursor = NULL;
        ok(!next_kv_line(&cursor, &k, &v), "key=value lines: nothing to walk");
}

static void test_time(void)
{
        uint64_t a = now_usec(), b = realtime_usec();
        ok(a > 0 && b > 1600000000ULL * USEC_PER_SEC, "clocks read");
        is_int(deadline_to_poll_ms(UINT64_MAX), -1, "no deadline: poll forever");
        is_int(deadline_to_poll_ms(a), 0, "a past deadline: poll returns at once");
        int ms = deadline_to_poll_ms(now_usec() + 1500);
        ok(ms == 2 || ms == 1, "a deadline 1.5 ms ahead rounds up (%d ms)", ms);
}

int main(void)
{
        test_parse_size();
        test_parse_numbers();
        test_parse_signal();
        test_strv();
        test_paths();
        test_error();
        test_fds();
        test_proc_stat();
        test_time();
        test_kv_lines();
        return tap_done();
}
