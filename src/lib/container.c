/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public lifecycle API. Everything about a running container is asked of its monitor over
 * the command socket; the store holds what persists. */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "console/console.h"
#include "container-internal.h"
#include "net/net.h"
#include "network.h"
#include "fd-util.h"
#include "fileio.h"
#include "global.h"
#include "idalloc.h"
#include "monitor/monitor.h"
#include "path-util.h"
#include "storage/storage.h"
#include "strv.h"

#define CONSOLE_LOG_TAIL (128 * 1024)

static int name_error(BerthError **reterr, const char *action, const char *name)
{
        _cleanup_free_ char *esc = berth_escape(name);
        return berth_error_setf(reterr, EINVAL,
                                "%s: invalid container name '%s': use [a-z0-9][a-z0-9-]{0,62}",
                                action, esc);
}

int container_check(BerthContext *ctx, const char *name, const char *action, BerthError **reterr)
{
        if (!berth_name_is_valid(name))
                return name_error(reterr, action, name);
        _cleanup_free_ char *cfg = context_config_path(ctx, name);
        if (access(cfg, F_OK) < 0)
                return berth_error_setf(reterr, ENOENT, "%s '%s': no such container", action, name);
        return 0;
}

int container_load_config(BerthContext *ctx, const char *name, const char *action,
                          BerthConfig **ret, BerthError **reterr)
{
        int r = container_check(ctx, name, action, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *cfg = context_config_path(ctx, name);
        r = config_load_file(cfg, ret, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "%s '%s'", action, name);
        return 0;
}

static bool container_orphaned(BerthContext *ctx, const char *name);
static int spawn_monitor(BerthContext *ctx, const char *name, bool ephemeral,
                         BerthError **reterr);
static int container_lock(BerthContext *ctx, const char *name, int *ret_fd, BerthError **reterr);

/* With the container lock held: a new monitor for an init whose monitor died. Returns 1 when
 * one was started, 0 when there was nothing to adopt. */
static int adopt_locked(BerthContext *ctx, const char *name, BerthError **reterr)
{
        if (!container_orphaned(ctx, name))
                return 0;
        int r = spawn_monitor(ctx, name, false, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "adopt '%s'", name);
        return 1;
}

/* The prologue of every call that changes what runs: the container exists, its lock is held
 * (returned in *ret_lock), and an orphaned init is under a monitor again. Returns 1 when it
 * took one over. */
int container_lock_adopted(BerthContext *ctx, const char *name, const char *action,
                           int *ret_lock, BerthError **reterr)
{
        int r = container_check(ctx, name, action, reterr);
        if (r < 0)
                return r;
        _cleanup_close_ int lock = -EBADF;
        r = container_lock(ctx, name, &lock, reterr);
        if (r < 0)
                return r;
        r = adopt_locked(ctx, name, reterr);
        if (r < 0)
                return r;
        *ret_lock = TAKE_FD(lock);
        return r;
}

int berth_adopt(BerthContext *ctx, const char *name, BerthError **reterr)
{
        _cleanup_close_ int lock = -EBADF;
        int r = container_lock_adopted(ctx, name, "adopt", &lock, reterr);
        return r < 0 ? r : 0;
}

int container_connect(BerthContext *ctx, const char *name, bool adopt, int *ret_fd)
{
        _cleanup_free_ char *sock = context_socket_path(ctx, name);
        int r = proto_connect(sock, ret_fd);
        if (r != -ENOENT && r != -ECONNREFUSED)
                return r;
        if (!adopt || !container_orphaned(ctx, name))
                return -ESRCH;

        /* The container outlived its monitor: the first state-changing call brings a new one,
         * under the container lock, which takes the running init over. */
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_close_ int lock = -EBADF;
        if (container_lock(ctx, name, &lock, &err) < 0)
                return -ESRCH;
        (void)adopt_locked(ctx, name, &err);
        lock = safe_close(lock);
        r = proto_connect(sock, ret_fd);
        return r == -ENOENT || r == -ECONNREFUSED ? -ESRCH : r;
}

int container_call(BerthContext *ctx, const char *name, const char *action, ProtoMessage *req,
                   uint64_t timeout_usec, ProtoMessage **ret_reply, int *fds, size_t *ret_n_fds,
                   BerthError **reterr)
{
        _cleanup_close_ int fd = -EBADF;
        int r = container_connect(ctx, name, true, &fd);
        if (r == -ESRCH)
                return berth_error_setf(reterr, ESRCH, "%s '%s': not running", action, name);
        if (r < 0)
                return berth_error_set(reterr, r, "%s '%s': connect to monitor", action, name);
        if (timeout_usec == 0)
                timeout_usec = ctx->call_timeout_usec;
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        r = proto_call(fd, req, timeout_usec, ret_reply, fds, ret_n_fds, &err);
        if (r == -ECONNRESET)
                /* The monitor went away without answering: the container stopped under us. */
                return berth_error_setf(reterr, ESRCH, "%s '%s': not running", action, name);
        if (r < 0) {
                if (reterr && !*reterr)
                        *reterr = TAKE_PTR(err);
                return berth_error_prefix(reterr, r, "%s '%s'", action, name);
        }
        return 0;
}

static int container_lock(BerthContext *ctx, const char *name, int *ret_fd, BerthError **reterr)
{
        /* The store directory itself is the lock. Start, destroy, adoption and the storage
         * operations take it, so two concurrent starts cannot both spawn a monitor. Stop does
         * not: it may wait for the whole stop timeout, and a second stop (--kill, to cut a
         * slow shutdown short) must get through meanwhile. Stops need no lock of their own:
         * the container's one monitor serialises them, and a later request only escalates the
         * stop under way. */
        _cleanup_free_ char *dir = context_container_dir(ctx, name);
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_error_set(reterr, errno, "lock '%s'", name);
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return berth_error_set(reterr, errno, "lock '%s'", name);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

bool container_running(BerthContext *ctx, const char *name)
{
        RuntimeState s;
        (void)container_runtime_view(ctx, name, &s, NULL);
        bool running = s.state != BERTH_STATE_STOPPED;
        runtime_state_done(&s);
        return running;
}

/* An init that outlived its monitor: the state file names it, it is still the same process,
 * and the monitor that wrote the file is gone. */
static bool container_orphaned(BerthContext *ctx, const char *name)
{
        _cleanup_free_ char *run_dir = context_run_dir(ctx, name);
        RuntimeState s;
        if (runtime_state_read(run_dir, &s) < 0)
                return false;
        bool init = runtime_init_alive(&s), monitor = runtime_monitor_alive(&s);
        runtime_state_done(&s);
        if (!init)
                return false;
        if (!monitor)
                return true;
        /* A monitor killed a moment ago may not be a zombie yet while its files are already
         * closed: if nobody listens on its socket, it is gone all the same. */
        _cleanup_free_ char *sock = context_socket_path(ctx, name);
        _cleanup_close_ int fd = -EBADF;
        int r = proto_connect(sock, &fd);
        return r == -ECONNREFUSED || r == -ENOENT;
}

/* ---- start ------------------------------------------------------------------------------- */

/* A monitor that just announced STOPPED may still be exiting: it holds its lock until its
 * cleanup is done, so taking the lock once means it is out of the way. */
static int wait_monitor_gone(BerthContext *ctx, const char *name)
{
        _cleanup_free_ char *run_dir = context_run_dir(ctx, name);
        _cleanup_free_ char *path = path_join(run_dir, "monitor.lock");
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return 0;
        uint64_t deadline = now_usec() + ctx->call_timeout_usec;
        while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return negative_errno();
                if (now_usec() >= deadline)
                        return -ETIMEDOUT;
                usleep(2000);
        }
        return 0;
}

static _noreturn_ void exec_monitor(BerthContext *ctx, const char *name, bool ephemeral,
                                    int status_fd)
{
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0)
                for (int i = 0; i < 3; i++)
                        (void)dup2(null, i);
        if (fd_move_to(status_fd, 3) < 0)
                _exit(127);
        int keep = 3;
        close_all_fds_except(&keep, 1);

        /* The title is the whole command line, so ps shows "[berth monitor] NAME". */
        _cleanup_free_ char *title = xasprintf("[berth monitor] %s", name);
        char *argv[] = {title, NULL};
        char **env = NULL;
        strv_push(&env, xasprintf("BERTH_STORE=%s", ctx->store));
        strv_push(&env, xasprintf("BERTH_RUNDIR=%s", ctx->rundir));
        strv_push(&env, xasprintf("BERTH_CGROUP=%s", ctx->cgroup_parent));
        strv_push(&env, xasprintf("BERTH_CACHE=%s", ctx->cache));
        strv_push(&env, xasprintf("BERTH_CONFIG=%s", ctx->config_file));
        if (getenv("BERTH_NET_HELPER"))
                strv_push(&env, xasprintf("BERTH_NET_HELPER=%s", getenv("BERTH_NET_HELPER")));
        strv_push(&env, xstrdup("BERTH_STATUS_FD=3"));
        if (ephemeral)
                strv_push(&env, xstrdup("BERTH_START_EPHEMERAL=1"));
        strv_push(&env, xstrdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"));
        if (getenv("BERTH_DEBUG"))
                strv_push(&env, xstrdup("BERTH_DEBUG=1"));
        execve(ctx->monitor_path, argv, env);
        monitor_status_write(3, -errno, "run monitor '%s': %s", ctx->monitor_path,
                             strerror(errno));
        _exit(127);
}

static int spawn_monitor(BerthContext *ctx, const char *name, bool ephemeral,
                         BerthError **reterr)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return berth_error_set(reterr, errno, "start '%s': create pipe", name);
        _cleanup_close_ int rd = pfd[0], wr = pfd[1];

        pid_t pid = fork();
        if (pid < 0)
                return berth_error_set(reterr, errno, "start '%s': fork", name);
        if (pid == 0) {
                /* Its own session, and not our child: the monitor outlives whoever started it
                 * and never becomes a zombie of a long-running caller such as berthd. */
                rd = safe_close(rd);
                (void)setsid();
                pid_t p = fork();
                if (p != 0)
                        _exit(p < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
                exec_monitor(ctx, name, ephemeral, TAKE_FD(wr));
        }
        wr = safe_close(wr);
        (void)waitpid(pid, NULL, 0);

        char buf[MONITOR_STATUS_MAX];
        ssize_t n = loop_read(rd, buf, sizeof(buf) - 1);
        if (n < 0)
                return berth_error_set(reterr, (int)n, "start '%s': read monitor status", name);
        buf[n] = 0;
        int r = monitor_status_parse(buf, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "start '%s'", name);
        return 0;
}

int berth_start(BerthContext *ctx, const char *name, const BerthStartOptions *opts,
                BerthError **reterr)
{
        _cleanup_(config_freep) BerthConfig *c = NULL;
        int r = container_load_config(ctx, name, "start", &c, reterr);
        if (r < 0)
                return r;
        r = config_validate(c, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "start '%s'", name);

        r = store_secure_container(ctx, name, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "start '%s'", name);

        /* An init that lost its monitor is taken over, and is running. */
        _cleanup_close_ int lock = -EBADF;
        r = container_lock_adopted(ctx, name, "start", &lock, reterr);
        if (r < 0)
                return r;
        if (r > 0 || container_running(ctx, name))
                return berth_error_setf(reterr, EALREADY, "start '%s': already running", name);
        r = wait_monitor_gone(ctx, name);
        if (r < 0)
                return berth_error_set(reterr, r, "start '%s': wait for the previous monitor",
                                       name);
        r = network_prepare_start(ctx, name, c, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "start '%s'", name);
        return spawn_monitor(ctx, name, opts && opts->ephemeral, reterr);
}

/* ---- stop, freeze, thaw, wait -------------------------------------------------------------- */

int berth_stop(BerthContext *ctx, const char *name, int timeout_sec, bool kill,
               BerthError **reterr)
{
        int r = container_check(ctx, name, "stop", reterr);
        if (r < 0)
                return r;
        _cleanup_(proto_message_freep) ProtoMessage *req = proto_message_new(PROTO_CMD_STOP, 0);
        if (timeout_sec >= 0)
                proto_put_u64(req, PROTO_TAG_TIMEOUT, (uint64_t)timeout_sec * 1000000);
        proto_put_u32(req, PROTO_TAG_FLAGS, kill ? PROTO_STOP_KILL : 0);
        /* No client timeout: the monitor bounds the stop by the init timeout plus the kill. */
        return container_call(ctx, name, "stop", req, UINT64_MAX, NULL, NULL, NULL, reterr);
}

int berth_restart(BerthContext *ctx, const char *name, int timeout_sec, BerthError **reterr)
{
        int r = container_check(ctx, name, "restart", reterr);
        if (r < 0)
                return r;
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        r = berth_stop(ctx, name, timeout_sec, false, &err);
        if (r < 0 && r != -ESRCH) {
                if (reterr && !*reterr)
                        *reterr = TAKE_PTR(err);
                return berth_error_prefix(reterr, r, "restart '%s'", name);
        }
        return berth_start(ctx, name, NULL, reterr);
}

static int simple_call(BerthContext *ctx, const char *name, const char *action,
                       ProtoCommand cmd, BerthError **reterr)
{
        int r = container_check(ctx, name, action, reterr);
        if (r < 0)
                return r;
        _cleanup_(proto_message_freep) ProtoMessage *req = proto_message_new(cmd, 0);
        return container_call(ctx, name, action, req, 3 * ctx->call_timeout_usec, NULL, NULL, NULL,
                              reterr);
}

int berth_freeze(BerthContext *ctx, const char *name, BerthError **reterr)
{
        return simple_call(ctx, name, "freeze", PROTO_CMD_FREEZE, reterr);
}

int berth_thaw(BerthContext *ctx, const char *name, BerthError **reterr)
{
        return simple_call(ctx, name, "thaw", PROTO_CMD_THAW, reterr);
}

typedef struct WaitState {
        BerthState state;
        bool ready;
} WaitState;

static int wait_track(const BerthEvent *ev, void *userdata)
{
        WaitState *w = userdata;
        if (ev->type == BERTH_EVENT_STATE) {
                w->state = ev->state;
                if (ev->state != BERTH_STATE_RUNNING)
                        w->ready = false;
        } else if (ev->type == BERTH_EVENT_READY)
                w->ready = true;
        else if (ev->type == BERTH_EVENT_REMOVED)
                w->state = BERTH_STATE_STOPPED;
        return 0;
}

/* Follows the container through the event source until done() says so (> 0, or < 0 to fail
 * with that) or the deadline passes (-ETIMEDOUT). done() first sees the state as it is now. */
typedef int (*WaitDone)(BerthState state, bool ready, void *userdata);

static int wait_for(BerthContext *ctx, const char *name, uint64_t timeout_usec, WaitDone done,
                    void *userdata, BerthError **reterr)
{
        uint64_t deadline = timeout_usec == UINT64_MAX ? UINT64_MAX : now_usec() + timeout_usec;
        char *names[] = {(char *)name, NULL};
        _cleanup_(berth_events_freep) BerthEvents *e = NULL;
        int r = berth_events_new(ctx, names, &e, reterr);
        if (r < 0)
                return r;

        /* Read after the source exists, so no change can fall between the two. */
        RuntimeState s;
        (void)container_runtime_view(ctx, name, &s, NULL);
        WaitState w = {.state = s.state, .ready = s.ready};
        runtime_state_done(&s);

        for (;;) {
                r = done(w.state, w.ready, userdata);
                if (r != 0)
                        return r < 0 ? r : 0;
                struct pollfd p = {.fd = berth_events_get_fd(e), .events = POLLIN};
                int ms = deadline_to_poll_ms(deadline);
                if (ms == 0)
                        return -ETIMEDOUT;
                r = poll(&p, 1, ms);
                if (r < 0 && errno != EINTR)
                        return berth_error_set(reterr, errno, "wait for '%s'", name);
                if (r <= 0)
                        continue;
                r = berth_events_dispatch(e, wait_track, &w, reterr);
                if (r < 0)
                        return r;
        }
}

static int state_reached(BerthState state, bool ready, void *userdata)
{
        return state == *(const BerthState *)userdata;
}

int berth_wait(BerthContext *ctx, const char *name, BerthState want, uint64_t timeout_usec,
               BerthError **reterr)
{
        int r = container_check(ctx, name, "wait", reterr);
        if (r < 0)
                return r;
        if (want < 0 || want >= _BERTH_STATE_MAX)
                return berth_error_setf(reterr, EINVAL, "wait '%s': invalid state", name);
        r = wait_for(ctx, name, timeout_usec, state_reached, &want, reterr);
        if (r == -ETIMEDOUT)
                return berth_error_setf(reterr, ETIMEDOUT, "wait '%s': timed out waiting for %s",
                                        name, berth_state_to_string(want));
        return r;
}

static int ready_reached(BerthState state, bool ready, void *userdata)
{
        if (ready && state != BERTH_STATE_STOPPED)
                return 1;
        if (state == BERTH_STATE_STOPPING || state == BERTH_STATE_STOPPED ||
            state == BERTH_STATE_ABORTING)
                return -ECANCELED;
        return 0;
}

int berth_wait_ready(BerthContext *ctx, const char *name, uint64_t timeout_usec,
                     BerthError **reterr)
{
        int r = container_check(ctx, name, "wait for ready", reterr);
        if (r < 0)
                return r;
        RuntimeState s;
        (void)container_runtime_view(ctx, name, &s, NULL);
        bool stopped = s.state == BERTH_STATE_STOPPED;
        runtime_state_done(&s);
        if (stopped)
                return berth_error_setf(reterr, ESRCH, "wait for ready '%s': not running", name);
        r = wait_for(ctx, name, timeout_usec, ready_reached, NULL, reterr);
        if (r == -ETIMEDOUT)
                return berth_error_setf(reterr, ETIMEDOUT, "wait for ready '%s': timed out",
                                        name);
        if (r == -ECANCELED)
                return berth_error_setf(reterr, ESRCH,
                                        "wait for ready '%s': init stopped before it was ready",
                                        name);
        return r;
}

/* ---- create, destroy ------------------------------------------------------------------------ */

/* Whether the container will get host ids, before its template runs for minutes: the final
 * allocation, after the template, is the one that counts. */
static int idmap_precheck(BerthContext *ctx, const BerthConfig *defaults,
                          const CreateRequest *req, BerthError **reterr)
{
        _cleanup_(config_freep) BerthConfig *c = config_copy(defaults);
        if (req->settings) {
                int r = config_parse_into(c, req->settings, strlen(req->settings),
                                          req->settings_name, reterr);
                if (r < 0)
                        return r;
        }
        if (c->privileged)
                return 0;
        _cleanup_close_ int lock = -EBADF;
        int r = idmap_lock_store(ctx, &lock, reterr);
        if (r < 0)
                return r;
        return c->n_idmap > 0 ? idmap_check_free(ctx, c, NULL, reterr)
                              : idmap_allocate(ctx, c, NULL, reterr);
}

/* The backend: asked for, else the settings' rootfs.backend, else the store's default. */
static int create_backend(BerthContext *ctx, const CreateRequest *req, BerthBackend *ret,
                          BerthError **reterr)
{
        if (req->backend) {
                *ret = berth_backend_from_string(req->backend);
                if (*ret < 0) {
                        _cleanup_free_ char *esc = berth_escape(req->backend);
                        return berth_error_setf(reterr, EINVAL,
                                                "invalid backend '%s' (dir, overlay or btrfs)",
                                                esc);
                }
                return 0;
        }
        _cleanup_(config_freep) BerthConfig *scratch = config_new();
        scratch->rootfs_backend = _BERTH_BACKEND_INVALID;
        if (req->settings &&
            config_parse_into(scratch, req->settings, strlen(req->settings), req->settings_name,
                              NULL) >= 0 &&
            scratch->rootfs_backend >= 0) {
                *ret = scratch->rootfs_backend;
                return 0;
        }
        *ret = storage_default_backend(ctx->store);
        return 0;
}

/* Builds the container in tmp. Returns with the store's id lock held (*ret_lock), so the
 * range recorded in its config stays reserved until it is renamed into place. */
static int create_in(BerthContext *ctx, const char *name, const CreateRequest *req,
                     const char *tmp, BerthConfig *c, int *ret_lock, BerthError **reterr)
{
        BerthBackend backend;
        int r = create_backend(ctx, req, &backend, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *fragment = NULL;
        r = container_storage_populate(ctx, backend, req, name, tmp, &fragment, reterr);
        if (r < 0)
                return r;

        /* The global defaults first, then the template's fragment, the user's settings on
         * top. */
        c->name = xstrdup(name);
        _cleanup_free_ char *what = xasprintf("template '%s' output", req->template_name);
        r = config_parse_into(c, fragment, strlen(fragment), what, reterr);
        if (r >= 0 && req->settings)
                r = config_parse_into(c, req->settings, strlen(req->settings),
                                      req->settings_name, reterr);
        STRV_FOREACH(a, req->assignments) {
                const char *eq = strchr(*a, '=');
                _cleanup_free_ char *key = eq ? xstrndup(*a, eq - *a) : NULL;
                if (r >= 0)
                        r = key ? config_assign(c, key, eq + 1, reterr)
                                : berth_error_setf(reterr, EINVAL, "invalid assignment");
        }
        if (r < 0)
                return r;
        free(c->name);
        c->name = xstrdup(name);
        free(c->template_name);
        c->template_name = xstrdup(req->template_name);
        strv_free(c->template_options);
        c->template_options = strv_copy(req->template_args);
        c->rootfs_backend = backend;
        free(c->rootfs_path);
        c->rootfs_path = xstrdup("rootfs");
        if (req->ephemeral)
                c->ephemeral = true;
        r = config_validate(c, reterr);
        if (r < 0)
                return r;

        /* Its own host ids, allocated and recorded under the store's id lock, so no other
         * create can pick the same block meanwhile. */
        _cleanup_close_ int lock = -EBADF;
        r = idmap_lock_store(ctx, &lock, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *self = xstrdup(strrchr(tmp, '/') + 1);
        if (!c->privileged && c->n_idmap == 0)
                r = idmap_allocate(ctx, c, self, reterr);
        else
                r = idmap_check_free(ctx, c, self, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *cfg = path_join(tmp, "config.yaml");
        r = config_save(c, cfg, reterr);
        if (r < 0)
                return r;
        *ret_lock = TAKE_FD(lock);
        return 0;
}

int container_create(BerthContext *ctx, const char *name, const CreateRequest *req,
                     BerthError **reterr)
{
        _cleanup_free_ char *dir = context_container_dir(ctx, name);
        if (access(dir, F_OK) >= 0)
                return berth_error_setf(reterr, EEXIST, "create '%s': already exists", name);
        /* A broken global config fails the create before anything is built. */
        _cleanup_(config_freep) BerthConfig *c = NULL;
        int r = global_defaults(ctx, &c, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "create '%s'", name);
        r = store_prepare(ctx, reterr);
        if (r >= 0)
                r = idmap_precheck(ctx, c, req, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "create '%s'", name);

        /* Built under a temporary name and renamed into place: an interrupted create never
         * leaves a half-built container under its real name. */
        _cleanup_free_ char *tmp = xasprintf("%s/.%s.create-XXXXXX", ctx->store, name);
        if (!mkdtemp(tmp))
                return berth_error_set(reterr, errno, "create '%s': create '%s'", name, tmp);
        /* Locked while it is built: crash recovery removes only leftovers nobody holds. */
        _cleanup_close_ int tmp_lock = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp_lock < 0 || flock(tmp_lock, LOCK_EX) < 0) {
                r = berth_error_set(reterr, errno, "create '%s': lock '%s'", name, tmp);
                (void)rmdir(tmp);
                return r;
        }
        _cleanup_close_ int idlock = -EBADF;
        r = create_in(ctx, name, req, tmp, c, &idlock, reterr);
        if (r >= 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) < 0)
                r = errno == EEXIST ? berth_error_setf(reterr, EEXIST, "already exists")
                                    : berth_error_set(reterr, errno, "rename into place");
        if (r < 0) {
                (void)container_remove_dir(ctx, tmp, NULL);
                return berth_error_prefix(reterr, r, "create '%s'", name);
        }
        return 0;
}

int berth_create(BerthContext *ctx, const char *name, const BerthCreateOptions *opts,
                 BerthError **reterr)
{
        if (!berth_name_is_valid(name))
                return name_error(reterr, "create", name);
        if (!opts || !opts->template_name)
                return berth_error_setf(reterr, EINVAL, "create '%s': no template given", name);
        _cleanup_free_ char *dir = context_container_dir(ctx, name);
        if (access(dir, F_OK) >= 0)
                return berth_error_setf(reterr, EEXIST, "create '%s': already exists", name);

        /* Settings are checked before anything is built, so a typo costs nothing. */
        _cleanup_free_ char *settings = NULL;
        size_t size = 0;
        int r;
        if (opts->config_path) {
                r = config_read_file(opts->config_path, "", &settings, &size, reterr);
                _cleanup_(config_freep) BerthConfig *scratch = config_new();
                if (r >= 0)
                        r = config_parse_into(scratch, settings, size, opts->config_path, reterr);
                if (r >= 0)
                        r = config_validate(scratch, reterr);
                if (r < 0)
                        return berth_error_prefix(reterr, r, "create '%s'", name);
        }
        CreateRequest req = {
                .backend = opts->backend,
                .ephemeral = opts->ephemeral,
                .template_name = opts->template_name,
                .template_args = opts->template_args,
                .settings = settings,
                .settings_name = opts->config_path,
        };
        return container_create(ctx, name, &req, reterr);
}

int berth_destroy(BerthContext *ctx, const char *name, unsigned flags, BerthError **reterr)
{
        bool force = flags & BERTH_DESTROY_FORCE;
        _cleanup_close_ int lock = -EBADF;
        int r = container_lock_adopted(ctx, name, "destroy", &lock, reterr);
        if (r < 0)
                return r;
        size_t n_snaps = container_snapshot_count(ctx, name);
        if (n_snaps > 0 && !(flags & BERTH_DESTROY_SNAPSHOTS))
                return berth_error_setf(reterr, EBUSY,
                                        "destroy '%s': it has %zu snapshot%s; delete them first "
                                        "or use --snapshots",
                                        name, n_snaps, n_snaps == 1 ? "" : "s");
        if (container_running(ctx, name)) {
                if (!force)
                        return berth_error_setf(reterr, EBUSY,
                                                "destroy '%s': running; stop it first or use "
                                                "--force",
                                                name);
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                _cleanup_(proto_message_freep) ProtoMessage *req =
                        proto_message_new(PROTO_CMD_STOP, 0);
                proto_put_u32(req, PROTO_TAG_FLAGS, PROTO_STOP_KILL);
                r = container_call(ctx, name, "destroy", req, UINT64_MAX, NULL, NULL, NULL,
                                   reterr);
                if (r < 0 && r != -ESRCH)
                        return r;
                if (r == -ESRCH && reterr)
                        *reterr = berth_error_free(*reterr);
        }

        /* Moved aside first, so a crash half way leaves no half-deleted container under its
         * name. */
        _cleanup_free_ char *dir = context_container_dir(ctx, name);
        _cleanup_free_ char *trash = xasprintf("%s/.%s.destroy-%d", ctx->store, name, (int)getpid());
        if (rename(dir, trash) < 0)
                return berth_error_set(reterr, errno, "destroy '%s': rename '%s'", name, dir);
        /* The lock (on the directory, now the trash) stays held while it is removed: crash
         * recovery leaves a locked leftover to its live owner. */
        r = container_remove_dir(ctx, trash, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "destroy '%s'", name);
        /* What a dead run left on the host (links, nft rules, DNS entries) goes with it. */
        (void)net_container_cleanup(ctx->rundir, name, NULL);
        _cleanup_free_ char *run_dir = context_run_dir(ctx, name);
        (void)rm_rf_at(AT_FDCWD, run_dir);
        return 0;
}

/* ---- console, config ----------------------------------------------------------------------- */

int berth_console(BerthContext *ctx, const char *name, unsigned tty, int in_fd, int out_fd,
                  BerthError **reterr)
{
        int r = container_check(ctx, name, "console", reterr);
        if (r < 0)
                return r;
        _cleanup_(proto_message_freep) ProtoMessage *req = proto_message_new(PROTO_CMD_CONSOLE, 0);
        proto_put_u32(req, PROTO_TAG_TTY, tty);
        int fds[PROTO_FDS_MAX];
        size_t n = 0;
        r = container_call(ctx, name, "console", req, 0, NULL, fds, &n, reterr);
        if (r < 0)
                return r;
        if (n != 1) {
                for (size_t i = 0; i < n; i++)
                        close(fds[i]);
                return berth_error_setf(reterr, EPROTO, "console '%s': no terminal received",
                                        name);
        }
        _cleanup_close_ int peer = fds[0];
        r = console_relay(in_fd, out_fd, peer, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "console '%s'", name);
        return 0;
}

int berth_console_log(BerthContext *ctx, const char *name, char **ret, size_t *ret_size,
                      BerthError **reterr)
{
        int r = container_check(ctx, name, "console log", reterr);
        if (r < 0)
                return r;
        _cleanup_(proto_message_freep) ProtoMessage *req =
                proto_message_new(PROTO_CMD_CONSOLE_LOG, 0);
        _cleanup_(proto_message_freep) ProtoMessage *reply = NULL;
        r = container_call(ctx, name, "console log", req, 0, &reply, NULL, NULL,
                           NULL);
        if (r >= 0) {
                const void *data = NULL;
                size_t len = 0;
                (void)proto_get_bytes(reply, PROTO_TAG_DATA, &data, &len);
                char *buf = xmalloc(len + 1);
                if (len)
                        memcpy(buf, data, len);
                buf[len] = 0;
                *ret = buf;
                *ret_size = len;
                return 0;
        }

        /* Not running: the tail of the console log file. */
        _cleanup_free_ char *path = xasprintf("%s/%s/console.log", ctx->store, name);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                if (errno != ENOENT)
                        return berth_error_set(reterr, errno, "console log '%s': open '%s'",
                                               name, path);
                *ret = xstrdup("");
                *ret_size = 0;
                return 0;
        }
        off_t end = lseek(fd, 0, SEEK_END);
        off_t start = end > CONSOLE_LOG_TAIL ? end - CONSOLE_LOG_TAIL : 0;
        char *buf = xmalloc(CONSOLE_LOG_TAIL + 1);
        ssize_t k = pread(fd, buf, CONSOLE_LOG_TAIL, start);
        if (k < 0) {
                free(buf);
                return berth_error_set(reterr, errno, "console log '%s': read '%s'", name, path);
        }
        buf[k] = 0;
        *ret = buf;
        *ret_size = k;
        return 0;
}

int berth_config_validate(BerthContext *ctx, const char *name, BerthError **reterr)
{
        _cleanup_(config_freep) BerthConfig *c = NULL;
        int r = container_load_config(ctx, name, "validate", &c, reterr);
        if (r < 0)
                return r;
        r = config_validate(c, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "validate '%s'", name);
        return 0;
}

int berth_config_show(BerthContext *ctx, const char *name, char **ret_yaml, BerthError **reterr)
{
        _cleanup_(config_freep) BerthConfig *c = NULL;
        int r = container_load_config(ctx, name, "show", &c, reterr);
        if (r < 0)
                return r;
        *ret_yaml = config_to_yaml(c);
        return 0;
}
