/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The template contract: templates_dir/berth-<name> --name N --rootfs DIR --arch A [options],
 * a scrubbed environment with BERTH_CACHE_DIR, progress on stderr, a YAML config fragment on
 * stdout, and the exit status. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "container-internal.h"
#include "fd-util.h"
#include "fileio.h"
#include "path-util.h"
#include "storage/storage.h"
#include "strv.h"

#define FRAGMENT_MAX (64 * 1024)

/* A template's last words, fit for a one-line message: control characters shown as \xNN. */
static char *one_line(const char *s)
{
        char *r = xmalloc(strlen(s) * 4 + 1), *p = r;
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch < ' ' || ch == 0x7f)
                        p += sprintf(p, "\\x%02x", ch);
                else
                        *p++ = (char)ch;
        }
        *p = 0;
        return r;
}

/* A template's progress line, escaped (it is the template's text, not ours). */
static void report_line(BerthContext *ctx, const char *line)
{
        _cleanup_free_ char *said = one_line(line);
        context_progress(ctx, -1, "%s", said);
}

static _noreturn_ void template_exec(const char *path, char **argv, char **env, int out, int err)
{
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
                _exit(127);
        int keep[] = {0, 1, 2};
        close_all_fds_except(keep, 3);
        execve(path, argv, env);
        fprintf(stderr, "exec '%s': %s\n", path, strerror(errno));
        _exit(127);
}

/* rootfs NULL: a run that builds nothing: flag is --check-options (validates the options) or
 * --print-cache-tree (the storage extension: builds the cache and names it). With a rootfs, flag
 * may be --rootfs-ready (the rootfs holds the cached tree already: only configure it), and
 * mount_dir non-NULL runs the template in its own mount namespace with the volume
 * mount_dir/rootfs of that backend mounted on it (an overlay has no plain tree to write into). */
/* The command line of the contract: berth-<t> [flag] --name N [--rootfs DIR] --arch A [args]. */
static char **template_argv(const char *path, const char *flag, const char *name,
                            const char *rootfs, char **args)
{
        struct utsname u;
        uname(&u);
        char **argv = NULL;
        strv_extend(&argv, path);
        if (flag)
                strv_extend(&argv, flag);
        strv_extend(&argv, "--name");
        strv_extend(&argv, name);
        if (rootfs) {
                strv_extend(&argv, "--rootfs");
                strv_extend(&argv, rootfs);
        }
        strv_extend(&argv, "--arch");
        strv_extend(&argv, u.machine);
        STRV_FOREACH(a, args)
                strv_extend(&argv, *a);
        return argv;
}

/* Nothing of the caller's environment reaches a template. */
static char **template_env(const char *cache)
{
        char **env = NULL;
        strv_extend(&env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin");
        strv_extend(&env, "LC_ALL=C");
        strv_extend(&env, "HOME=/root");
        strv_push(&env, xasprintf("BERTH_CACHE_DIR=%s", cache));
        return env;
}

/* What a running template said: its config fragment on stdout, its progress on stderr. */
typedef struct TemplateOutput {
        char *fragment;
        size_t size;
        char last[512]; /* its last line of progress, kept for the error message */
        bool too_big;
} TemplateOutput;

/* Reads both pipes until the template closes them. Progress goes to the caller's progress
 * callback a line at a time (unless quiet: a check only speaks through our error); a fragment
 * past FRAGMENT_MAX kills the template. */
static void template_collect(BerthContext *ctx, pid_t pid, int out_r, int err_r, bool quiet,
                             TemplateOutput *o)
{
        char line[512];
        size_t line_n = 0;
        o->fragment = xmalloc(FRAGMENT_MAX + 1);
        while (out_r >= 0 || err_r >= 0) {
                struct pollfd p[2] = {{.fd = out_r, .events = POLLIN},
                                      {.fd = err_r, .events = POLLIN}};
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[0].revents) {
                        ssize_t k = read(out_r, o->fragment + o->size, FRAGMENT_MAX - o->size);
                        if (k > 0)
                                o->size += k;
                        if (o->size == FRAGMENT_MAX) {
                                o->too_big = true;
                                kill(pid, SIGKILL);
                        }
                        if (k <= 0 || o->too_big)
                                out_r = safe_close(out_r);
                }
                if (p[1].revents) {
                        char buf[4096];
                        ssize_t k = read(err_r, buf, sizeof(buf));
                        if (k <= 0) {
                                err_r = safe_close(err_r);
                                continue;
                        }
                        for (ssize_t i = 0; i < k; i++) {
                                if (buf[i] != '\n') {
                                        if (line_n < sizeof(line) - 1)
                                                line[line_n++] = buf[i];
                                        continue;
                                }
                                line[line_n] = 0;
                                if (line_n > 0) {
                                        memcpy(o->last, line, line_n + 1);
                                        if (!quiet)
                                                report_line(ctx, line);
                                }
                                line_n = 0;
                        }
                }
        }
        o->fragment[o->size] = 0;
}

/* The template's exit, judged: its own words quoted (never trusted to be one clean line). */
static int template_verdict(const char *template_name, bool check, int st,
                            const TemplateOutput *o, BerthError **reterr)
{
        if (o->too_big)
                return berth_error_setf(reterr, EFBIG,
                                        "template '%s' printed more than %d bytes of config",
                                        template_name, FRAGMENT_MAX);
        _cleanup_free_ char *said = one_line(o->last);
        if (check && WIFEXITED(st) && WEXITSTATUS(st) != 0 && *o->last)
                return berth_error_setf(reterr, EINVAL, "template '%s': %s", template_name,
                                        said);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                _cleanup_free_ char *how = WIFEXITED(st)
                                                   ? xasprintf("exit status %d", WEXITSTATUS(st))
                                                   : xasprintf("killed by signal %d", WTERMSIG(st));
                if (*o->last)
                        return berth_error_setf(reterr, EIO, "template '%s' failed (%s): %s",
                                                template_name, how, said);
                return berth_error_setf(reterr, EIO, "template '%s' failed (%s)", template_name,
                                        how);
        }
        if (memchr(o->fragment, 0, o->size))
                return berth_error_setf(reterr, EINVAL, "template '%s' printed binary output",
                                        template_name);
        return 0;
}

static int template_invoke(BerthContext *ctx, const char *template_name, const char *name,
                           const char *rootfs, char **args, const char *flag,
                           const char *mount_dir, BerthBackend mount_backend,
                           char **ret_fragment, BerthError **reterr)
{
        if (!config_template_name_is_valid(template_name))
                return berth_error_setf(reterr, EINVAL, "invalid template name '%s'",
                                        strempty(template_name));
        _cleanup_free_ char *path = xasprintf("%s/berth-%s", ctx->templates_dir, template_name);
        if (access(path, X_OK) < 0)
                return berth_error_setf(reterr, ENOENT, "template '%s' not found in '%s'",
                                        template_name, ctx->templates_dir);
        _cleanup_free_ char *cache = xasprintf("%s/%s", ctx->cache, template_name);
        int r = mkdir_p_at(AT_FDCWD, cache, 0755);
        if (r < 0)
                return berth_error_set(reterr, r, "create cache dir '%s'", cache);
        _cleanup_strv_free_ char **argv = template_argv(path, flag, name, rootfs, args);
        _cleanup_strv_free_ char **env = template_env(cache);

        int op[2], ep[2];
        if (pipe2(op, O_CLOEXEC) < 0)
                return berth_error_set(reterr, errno, "create pipe");
        if (pipe2(ep, O_CLOEXEC) < 0) {
                safe_close(op[0]);
                safe_close(op[1]);
                return berth_error_set(reterr, errno, "create pipe");
        }
        _cleanup_close_ int out_r = op[0], out_w = op[1], err_r = ep[0], err_w = ep[1];

        pid_t pid = fork();
        if (pid < 0)
                return berth_error_set(reterr, errno, "fork");
        if (pid == 0) {
                if (mount_dir && storage_mount_for_template(mount_dir, mount_backend, err_w) < 0)
                        _exit(127);
                template_exec(path, argv, env, out_w, err_w);
        }
        out_w = safe_close(out_w);
        err_w = safe_close(err_w);

        bool check = flag && streq(flag, "--check-options");
        TemplateOutput o = {};
        template_collect(ctx, pid, TAKE_FD(out_r), TAKE_FD(err_r), check, &o);
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        _cleanup_free_ char *fragment = o.fragment;
        r = template_verdict(template_name, !rootfs, st, &o, reterr);
        if (r < 0)
                return r;
        if (ret_fragment)
                *ret_fragment = TAKE_PTR(fragment);
        return 0;
}

int template_run(BerthContext *ctx, const char *template_name, const char *name,
                 const char *rootfs, char **args, char **ret_fragment, BerthError **reterr)
{
        return template_invoke(ctx, template_name, name, rootfs, args, NULL, NULL, 0,
                               ret_fragment, reterr);
}

int template_run_storage(BerthContext *ctx, const char *template_name, const char *name,
                         const char *dir, BerthBackend backend, bool ready, char **args,
                         char **ret_fragment, BerthError **reterr)
{
        _cleanup_free_ char *rootfs = path_join(dir, "rootfs");
        return template_invoke(ctx, template_name, name, rootfs, args,
                               ready ? "--rootfs-ready" : NULL, dir, backend, ret_fragment,
                               reterr);
}

int template_cache_tree(BerthContext *ctx, const char *template_name, const char *name,
                        char **args, char **ret_text, BerthError **reterr)
{
        return template_invoke(ctx, template_name, name, NULL, args, "--print-cache-tree", NULL,
                               0, ret_text, reterr);
}

int template_check(BerthContext *ctx, const char *template_name, const char *name, char **args,
                   BerthError **reterr)
{
        return template_invoke(ctx, template_name, name, NULL, args, "--check-options", NULL, 0,
                               NULL, reterr);
}
