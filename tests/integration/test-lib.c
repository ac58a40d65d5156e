/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libberth as a long-lived front end uses it, driven by tests/integration/lib-api.sh (which
 * provides the hermetic store, rundir and cgroup parent, and the teardown):
 *
 *   - the library writes nothing to fds 1 and 2 during create, start, stop and destroy;
 *   - a failure in the container's setup child reaches the caller with its real errno and
 *     message: a missing init binary is ENOENT naming it, a bind source the container's root
 *     cannot reach is EACCES naming it;
 *   - the errno conventions of berth.h: EALREADY for a second start, ESRCH for a stop of a
 *     stopped container, ENOENT for an unknown one, EINVAL for a bad name, EBADMSG for a broken
 *     config.
 *
 * Usage: test-lib PREFIX WORKDIR (TAP on stdout). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth.h"
#include "tap.h"

static const char *prefix, *workdir;
static BerthContext *ctx;

/* For a test's description: the error, or "ok". */
static const char *outcome(const BerthError *err, int r)
{
        return r < 0 ? berth_error_message(err, r) : "ok";
}

static char *cname(const char *what)
{
        return xasprintf("%s%s", prefix, what);
}

static char *write_config(const char *what, const char *text)
{
        char *path = xasprintf("%s/%s.yaml", workdir, what);
        FILE *f = fopen(path, "we");
        if (f) {
                fputs(text, f);
                fclose(f);
        }
        return path;
}

/* Runs one library call with fds 1 and 2 pointing at a memfd; returns the call's result and
 * how many bytes landed there. */
typedef int (*Call)(const char *name, BerthError **err);

static int call_quietly(Call call, const char *name, BerthError **err, size_t *ret_written)
{
        fflush(stdout);
        fflush(stderr);
        int sink = memfd_create("berth-output", MFD_CLOEXEC);
        int saved1 = dup(1), saved2 = dup(2);
        if (sink < 0 || saved1 < 0 || saved2 < 0 || dup2(sink, 1) < 0 || dup2(sink, 2) < 0)
                return -EIO;
        int r = call(name, err);
        fflush(stdout);
        fflush(stderr);
        dup2(saved1, 1);
        dup2(saved2, 2);
        close(saved1);
        close(saved2);
        struct stat st;
        *ret_written = fstat(sink, &st) == 0 ? (size_t)st.st_size : SIZE_MAX;
        close(sink);
        return r;
}

static int do_create(const char *name, BerthError **err)
{
        BerthCreateOptions o = {.template_name = "busybox"};
        return berth_create(ctx, name, &o, err);
}

static int do_start(const char *name, BerthError **err)
{
        return berth_start(ctx, name, NULL, err);
}

static int do_stop(const char *name, BerthError **err)
{
        return berth_stop(ctx, name, -1, false, err);
}

static int do_destroy(const char *name, BerthError **err)
{
        return berth_destroy(ctx, name, BERTH_DESTROY_FORCE, err);
}

static void test_quiet(void)
{
        _cleanup_free_ char *n = cname("quiet");
        static const struct {
                const char *what;
                Call call;
        } steps[] = {
                {"create", do_create},
                {"start", do_start},
                {"stop", do_stop},
                {"destroy", do_destroy},
        };
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
                BerthError *err = NULL;
                size_t written = SIZE_MAX;
                int r = call_quietly(steps[i].call, n, &err, &written);
                is_int(r, 0, "%s succeeds (%s)", steps[i].what, outcome(err, r));
                is_int((int)written, 0, "%s writes nothing to stdout or stderr", steps[i].what);
                berth_error_free(err);
        }
}

static void expect_error(int r, BerthError *err, int code, const char *needle, const char *what)
{
        is_int(r, -code, "%s: -%s", what, strerrorname_np(code));
        ok(err && err->code == code, "%s: the error object carries %s", what,
           strerrorname_np(code));
        const char *msg = berth_error_message(err, r);
        ok(strstr(msg, needle) != NULL, "%s: the message names the cause ('%s' in \"%s\")", what,
           needle, msg);
        ok(!strchr(msg, '\n'), "%s: the message is one line", what);
}

static void test_child_errors(void)
{
        BerthError *err = NULL;
        int r;

        /* A missing init binary fails in the child, at exec. */
        _cleanup_free_ char *n = cname("noinit");
        _cleanup_free_ char *cfg = write_config("noinit", "init: {cmd: [/sbin/no-such-init]}\n");
        BerthCreateOptions o = {.template_name = "busybox", .config_path = cfg};
        r = berth_create(ctx, n, &o, &err);
        is_int(r, 0, "create %s (%s)", n, outcome(err, r));
        err = berth_error_free(err);
        r = berth_start(ctx, n, NULL, &err);
        expect_error(r, err, ENOENT, "/sbin/no-such-init", "start with a missing init");
        err = berth_error_free(err);
        BerthInfo info = {};
        ok(berth_info(ctx, n, &info, NULL) == 0 && info.state == BERTH_STATE_STOPPED,
           "the failed start left it STOPPED");
        berth_info_clear(&info);
        (void)berth_destroy(ctx, n, BERTH_DESTROY_FORCE, NULL);

        /* A bind source the container's root (an unmapped host uid) may not enter. */
        _cleanup_free_ char *secret = xasprintf("%s/secret", workdir);
        _cleanup_free_ char *inner = xasprintf("%s/secret/data", workdir);
        (void)mkdir(secret, 0700);
        (void)mkdir(inner, 0755);
        _cleanup_free_ char *n2 = cname("nobind");
        _cleanup_free_ char *text =
                xasprintf("mounts: [{source: %s, target: /data, options: [bind, create=dir]}]\n",
                          inner);
        _cleanup_free_ char *cfg2 = write_config("nobind", text);
        BerthCreateOptions o2 = {.template_name = "busybox", .config_path = cfg2};
        r = berth_create(ctx, n2, &o2, &err);
        is_int(r, 0, "create %s (%s)", n2, outcome(err, r));
        err = berth_error_free(err);
        r = berth_start(ctx, n2, NULL, &err);
        expect_error(r, err, EACCES, inner, "start with an unreachable bind source");
        err = berth_error_free(err);
        (void)berth_destroy(ctx, n2, BERTH_DESTROY_FORCE, NULL);
}

static void test_errnos(void)
{
        BerthError *err = NULL;
        int r;
        _cleanup_free_ char *n = cname("errno");
        BerthCreateOptions o = {.template_name = "busybox"};
        r = berth_create(ctx, n, &o, &err);
        is_int(r, 0, "create %s (%s)", n, outcome(err, r));
        err = berth_error_free(err);

        r = berth_create(ctx, n, &o, &err);
        expect_error(r, err, EEXIST, n, "create of an existing name");
        err = berth_error_free(err);
        r = berth_stop(ctx, n, -1, false, &err);
        expect_error(r, err, ESRCH, "not running", "stop of a stopped container");
        err = berth_error_free(err);
        r = berth_start(ctx, n, NULL, &err);
        is_int(r, 0, "start (%s)", outcome(err, r));
        err = berth_error_free(err);
        r = berth_start(ctx, n, NULL, &err);
        expect_error(r, err, EALREADY, "already running", "a second start");
        err = berth_error_free(err);
        r = berth_destroy(ctx, n, 0, &err);
        expect_error(r, err, EBUSY, "running", "destroy of a running container");
        err = berth_error_free(err);
        r = berth_destroy(ctx, n, BERTH_DESTROY_FORCE, &err);
        is_int(r, 0, "destroy --force (%s)", outcome(err, r));
        err = berth_error_free(err);

        _cleanup_free_ char *ghost = cname("ghost");
        r = berth_start(ctx, ghost, NULL, &err);
        expect_error(r, err, ENOENT, "no such container", "start of an unknown container");
        err = berth_error_free(err);
        r = berth_start(ctx, "Bad/Name", NULL, &err);
        expect_error(r, err, EINVAL, "invalid container name", "a bad name");
        err = berth_error_free(err);

        _cleanup_free_ char *bad = write_config("bad", "limits: {memory: lots}\n");
        BerthCreateOptions ob = {.template_name = "busybox", .config_path = bad};
        _cleanup_free_ char *nb = cname("badcfg");
        r = berth_create(ctx, nb, &ob, &err);
        expect_error(r, err, EBADMSG, "limits.memory", "a broken config");
        err = berth_error_free(err);
        BerthInfo info = {};
        is_int(berth_info(ctx, nb, &info, NULL), -ENOENT, "the broken config created nothing");
}

/* berth_info_all keeps parsed configs while their files are unchanged; a change, by rename or
 * in place, is seen at once. */
static void test_config_cache(void)
{
        BerthError *err = NULL;
        _cleanup_free_ char *n = cname("cache");
        _cleanup_free_ char *cfg = write_config("cache", "limits: {pids: 100}\n");
        BerthCreateOptions o = {.template_name = "busybox", .config_path = cfg};
        int r = berth_create(ctx, n, &o, &err);
        is_int(r, 0, "create %s (%s)", n, outcome(err, r));
        err = berth_error_free(err);
        BerthInfo info = {};
        ok(berth_info(ctx, n, &info, NULL) == 0 && info.pids_limit == 100, "info: pids 100");
        berth_info_clear(&info);

        char *yaml = NULL;
        ok(berth_config_show(ctx, n, &yaml, NULL) == 0 && strstr(yaml, "pids: 100"),
           "config shows pids 100");
        /* In place, same size: only the mtime tells. */
        char *p = yaml ? strstr(yaml, "pids: 100") : NULL;
        if (p)
                memcpy(p, "pids: 200", 9);
        _cleanup_free_ char *path = xasprintf("%s/%s/config.yaml", getenv("BERTH_STORE"), n);
        usleep(20000);
        FILE *f = fopen(path, "r+e");
        if (f) {
                fputs(yaml, f);
                fclose(f);
        }
        free(yaml);
        ok(berth_info(ctx, n, &info, NULL) == 0 && info.pids_limit == 200,
           "an edit in place of the same size is seen (pids %llu)",
           (unsigned long long)info.pids_limit);
        berth_info_clear(&info);

        BerthInfo *all = NULL;
        size_t k = 0;
        ok(berth_info_all(ctx, &all, &k, NULL) == 0 && k >= 1, "info of every container");
        bool seen = false;
        for (size_t i = 0; i < k; i++)
                seen = seen || (streq(all[i].name, n) && all[i].pids_limit == 200);
        ok(seen, "info_all shows the edit too");
        berth_info_array_free(all, k);
        (void)berth_destroy(ctx, n, BERTH_DESTROY_FORCE, NULL);
}

int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: test-lib PREFIX WORKDIR\n");
                return 2;
        }
        prefix = argv[1];
        workdir = argv[2];
        BerthError *err = NULL;
        int r = berth_context_new(NULL, &ctx, &err);
        if (r < 0) {
                printf("Bail out! context: %s\n", berth_error_message(err, r));
                return 1;
        }
        test_quiet();
        test_child_errors();
        test_errnos();
        test_config_cache();
        berth_context_free(ctx);
        return tap_done();
}
