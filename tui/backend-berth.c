/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dashboard's backend over libberth. Only berth.h: no mount, clone, cgroup file or monitor
 * socket is touched here; each operation is one library call. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"
#include "fileio.h"

/* The library's default timeout of one request to a monitor, for actions. */
#define ACTION_CALL_TIMEOUT_USEC (10 * 1000 * 1000ULL)
/* What a hostname read may return at most (the kernel's limit is 64 bytes). */
#define HOSTNAME_OUTPUT_MAX 256

typedef struct BerthBackend {
        Backend backend;
        BerthContext *ctx;
        BerthEvents *events;
        BackendProgressFunc progress;
        void *progress_userdata;
} BerthBackend;

static BerthBackend *B(Backend *b)
{
        return (BerthBackend *)b;
}

static int bb_infos(Backend *b, BerthInfo **ret, size_t *ret_n, BerthError **reterr)
{
        return berth_info_all(B(b)->ctx, ret, ret_n, reterr);
}

static int bb_events_open(Backend *b, BerthError **reterr)
{
        BerthBackend *bb = B(b);
        if (bb->events)
                return 0;
        return berth_events_new(bb->ctx, NULL, &bb->events, reterr);
}

static int bb_events_fd(Backend *b)
{
        BerthBackend *bb = B(b);
        return bb->events ? berth_events_get_fd(bb->events) : -EBADF;
}

static int bb_events_dispatch(Backend *b, BerthEventFunc f, void *userdata, BerthError **reterr)
{
        BerthBackend *bb = B(b);
        if (!bb->events)
                return -EBADF;
        return berth_events_dispatch(bb->events, f, userdata, reterr);
}

static int bb_config_show(Backend *b, const char *name, char **ret_yaml, BerthError **reterr)
{
        return berth_config_show(B(b)->ctx, name, ret_yaml, reterr);
}

static int bb_snapshots(Backend *b, const char *name, BerthSnapshot **ret, size_t *ret_n,
                        BerthError **reterr)
{
        return berth_snapshot_list(B(b)->ctx, name, ret, ret_n, reterr);
}

static int bb_console_log(Backend *b, const char *name, char **ret, size_t *ret_size,
                          BerthError **reterr)
{
        return berth_console_log(B(b)->ctx, name, ret, ret_size, reterr);
}

static void bb_progress(const char *line, double fraction, void *userdata)
{
        BerthBackend *bb = userdata;
        if (bb->progress)
                bb->progress(line, fraction, bb->progress_userdata);
}

/* The live hostname: what the container's UTS namespace says now, which its root may have set
 * to anything. Read by the container's own cat with stdout in a memfd; the caller escapes it. */
static int read_hostname(BerthContext *ctx, const char *name, char **ret, BerthError **reterr)
{
        _cleanup_close_ int fd = memfd_create("berth-tui-hostname", MFD_CLOEXEC);
        if (fd < 0)
                return berth_error_set(reterr, errno, "hostname '%s': create memfd", name);
        if (dup2(fd, STDOUT_FILENO) < 0)
                return berth_error_set(reterr, errno, "hostname '%s': redirect output", name);
        char *argv[] = {(char *)"cat", (char *)"/proc/sys/kernel/hostname", NULL};
        int status = 0;
        int r = berth_attach(ctx, name, argv, NULL, &status, reterr);
        if (r < 0)
                return r;
        if (status != 0)
                return berth_error_setf(reterr, EIO, "hostname '%s': cat exited with status %d",
                                        name, status);
        char buf[HOSTNAME_OUTPUT_MAX + 1];
        ssize_t n = pread(fd, buf, HOSTNAME_OUTPUT_MAX, 0);
        if (n < 0)
                return berth_error_set(reterr, errno, "hostname '%s': read output", name);
        buf[n] = 0;
        /* Through a pty the line may end in "\r\n". */
        buf[strcspn(buf, "\r\n")] = 0;
        *ret = xstrdup(buf);
        return 0;
}

/* An interactive shell: bash when the container has it, else sh. */
static int run_shell(BerthContext *ctx, const char *name, BerthError **reterr)
{
        char *argv[] = {(char *)"/bin/sh", (char *)"-c",
                        (char *)"if command -v bash >/dev/null 2>&1; then exec bash -l; fi; "
                                "exec sh -l",
                        NULL};
        int status = 0;
        return berth_attach(ctx, name, argv, NULL, &status, reterr);
}

static int bb_act(Backend *b, const ActionRequest *req, BackendProgressFunc progress,
                  void *userdata, char **ret_output, BerthError **reterr)
{
        BerthBackend *bb = B(b);
        BerthContext *ctx = bb->ctx;
        const char *n = req->name;

        bb->progress = progress;
        bb->progress_userdata = userdata;
        berth_context_set_progress(ctx, bb_progress, bb);
        /* A job child may wait: it keeps the screen free, so the library's default applies. */
        berth_context_set_call_timeout(ctx, ACTION_CALL_TIMEOUT_USEC);

        switch (req->kind) {
        case ACTION_START:
                return berth_start(ctx, n, NULL, reterr);
        case ACTION_STOP:
                return berth_stop(ctx, n, -1, false, reterr);
        case ACTION_KILL:
                return berth_stop(ctx, n, -1, true, reterr);
        case ACTION_RESTART:
                return berth_restart(ctx, n, -1, reterr);
        case ACTION_FREEZE:
                return berth_freeze(ctx, n, reterr);
        case ACTION_THAW:
                return berth_thaw(ctx, n, reterr);
        case ACTION_SNAPSHOT:
                return berth_snapshot_create(ctx, n, req->target, req->comment, ret_output,
                                             reterr);
        case ACTION_RESTORE:
                return berth_snapshot_restore(ctx, n, req->target, NULL, req->force, reterr);
        case ACTION_SNAPSHOT_DELETE:
                return berth_snapshot_delete(ctx, n, req->target, reterr);
        case ACTION_CLONE:
                return berth_clone(ctx, n, req->target, NULL, reterr);
        case ACTION_DESTROY:
                return berth_destroy(ctx, n,
                                     (req->force ? BERTH_DESTROY_FORCE : 0) |
                                             (req->snapshots ? BERTH_DESTROY_SNAPSHOTS : 0),
                                     reterr);
        case ACTION_ADOPT:
                return berth_adopt(ctx, n, reterr);
        case ACTION_HOSTNAME:
                return read_hostname(ctx, n, ret_output, reterr);
        case ACTION_CONSOLE:
                return berth_console(ctx, n, 0, STDIN_FILENO, STDOUT_FILENO, reterr);
        case ACTION_SHELL:
                return run_shell(ctx, n, reterr);
        default:
                return berth_error_setf(reterr, EINVAL, "unknown action %d", (int)req->kind);
        }
}

static Backend *bb_free(Backend *b)
{
        BerthBackend *bb = B(b);
        if (!bb)
                return NULL;
        berth_events_free(bb->events);
        berth_context_free(bb->ctx);
        free(bb);
        return NULL;
}

static const BackendOps berth_backend_ops = {
        .infos = bb_infos,
        .events_open = bb_events_open,
        .events_fd = bb_events_fd,
        .events_dispatch = bb_events_dispatch,
        .config_show = bb_config_show,
        .snapshots = bb_snapshots,
        .console_log = bb_console_log,
        .act = bb_act,
        .free = bb_free,
};

/* Queries from the dashboard's own process wait this long for a monitor at most, so a stuck
 * monitor makes one detail view slow, not the whole screen. */
#define QUERY_CALL_TIMEOUT_USEC (2 * 1000 * 1000ULL)

int backend_berth_new(const BerthContextOptions *opts, Backend **ret, BerthError **reterr)
{
        BerthBackend *bb = xcalloc(1, sizeof(*bb));
        bb->backend.ops = &berth_backend_ops;
        int r = berth_context_new(opts, &bb->ctx, reterr);
        if (r < 0) {
                free(bb);
                return r;
        }
        berth_context_set_call_timeout(bb->ctx, QUERY_CALL_TIMEOUT_USEC);
        *ret = &bb->backend;
        return 0;
}
