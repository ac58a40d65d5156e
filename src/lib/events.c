/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The live event source. Two kinds of things push events, and nothing is polled:
 *
 *   the store and the runtime dir, through inotify: a container directory renamed into or out
 *   of the store (create, clone, destroy), its config.yaml replaced, its snapshots directory
 *   changed, and a monitor socket renamed into place (the monitor binds it under a temporary
 *   name and renames it once it listens);
 *
 *   each running container's monitor, through a subscription on its command socket: the state
 *   at subscription, then every state change, in order. A socket that closes without STOPPED
 *   means the monitor died; the runtime dir then tells an orphan from a stopped container.
 *
 * All of it sits behind one epoll fd, so a caller polls a single descriptor. */
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "container-internal.h"
#include "fd-util.h"
#include "monitor/monitor.h"
#include "path-util.h"
#include "strv.h"

#define INOTIFY_BUF_SIZE (64 * 1024)

#define STORE_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)
/* config.yaml is always replaced by a rename; a write to a log beside it is no event. */
#define DIR_MASK (IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)
#define SNAP_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)
#define RUN_MASK (IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)

static const char *const event_type_table[_BERTH_EVENT_TYPE_MAX] = {
        [BERTH_EVENT_DEFINED] = "defined",   [BERTH_EVENT_REMOVED] = "removed",
        [BERTH_EVENT_STATE] = "state",       [BERTH_EVENT_READY] = "ready",
        [BERTH_EVENT_ORPHANED] = "orphaned", [BERTH_EVENT_ADOPTED] = "adopted",
        [BERTH_EVENT_CHANGED] = "changed",
};
DEFINE_STRING_TABLE_LOOKUP(berth_event_type, BerthEventType, event_type_table)

typedef enum SourceKind {
        SOURCE_INOTIFY,
        SOURCE_MONITOR,
} SourceKind;

typedef struct Watch Watch;

/* What an epoll entry points at. */
typedef struct Source {
        SourceKind kind;
        Watch *watch; /* SOURCE_MONITOR */
} Source;

struct Watch {
        char *name;
        bool defined;
        int wd_dir;  /* <store>/NAME */
        int wd_snap; /* <store>/NAME/snapshots */
        int wd_run;  /* <rundir>/NAME */
        int sock;    /* subscription to the monitor, or -EBADF */
        Source sock_source;
        BerthState state;
        pid_t init_pid;
        bool ready;
        bool orphaned;
        bool changed; /* a CHANGED event is due at the end of this batch */
        Watch *next;
};

struct BerthEvents {
        BerthContext *ctx;
        char **filter; /* NULL: every container */
        int epfd;
        int inotify_fd;
        Source inotify_source;
        int wd_store, wd_rundir;
        Watch *watches;
};

typedef struct Dispatch {
        BerthEventFunc func;
        void *userdata;
        int r; /* < 0 once the callback asked to stop */
} Dispatch;

static void emit(Dispatch *d, BerthEventType type, const Watch *w, uint64_t timestamp)
{
        if (d->r < 0)
                return;
        BerthEvent ev = {
                .type = type,
                .name = w->name,
                .state = w->state,
                .init_pid = w->init_pid,
                .timestamp_usec = timestamp ? timestamp : realtime_usec(),
        };
        int r = d->func(&ev, d->userdata);
        if (r < 0)
                d->r = r;
}

static bool wanted(const BerthEvents *e, const char *name)
{
        return berth_name_is_valid(name) && (!e->filter || strv_contains(e->filter, name));
}

static Watch *watch_find(BerthEvents *e, const char *name)
{
        for (Watch *w = e->watches; w; w = w->next)
                if (streq(w->name, name))
                        return w;
        return NULL;
}

static Watch *watch_find_wd(BerthEvents *e, int wd)
{
        for (Watch *w = e->watches; w; w = w->next)
                if (w->wd_dir == wd || w->wd_snap == wd || w->wd_run == wd)
                        return w;
        return NULL;
}

static void rm_watch(BerthEvents *e, int *wd)
{
        if (*wd >= 0)
                (void)inotify_rm_watch(e->inotify_fd, *wd);
        *wd = -1;
}

static void monitor_close(BerthEvents *e, Watch *w)
{
        if (w->sock < 0)
                return;
        (void)epoll_ctl(e->epfd, EPOLL_CTL_DEL, w->sock, NULL);
        w->sock = safe_close(w->sock);
}

static void watch_free(BerthEvents *e, Watch *w)
{
        for (Watch **p = &e->watches; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        monitor_close(e, w);
        rm_watch(e, &w->wd_dir);
        rm_watch(e, &w->wd_snap);
        rm_watch(e, &w->wd_run);
        free(w->name);
        free(w);
}

static Watch *watch_get(BerthEvents *e, const char *name)
{
        Watch *w = watch_find(e, name);
        if (w)
                return w;
        w = xcalloc(1, sizeof(*w));
        *w = (Watch){
                .name = xstrdup(name),
                .wd_dir = -1,
                .wd_snap = -1,
                .wd_run = -1,
                .sock = -EBADF,
                .sock_source = {.kind = SOURCE_MONITOR, .watch = w},
                .state = BERTH_STATE_STOPPED,
        };
        w->next = e->watches;
        e->watches = w;
        return w;
}

/* Subscribes to the container's monitor, if one listens. The reply arrives like an event, so
 * a monitor that is slow to answer never blocks the caller. A monitor that appears for a
 * stopped container is starting it: that is reported at once, because the monitor answers
 * only once init runs. */
static void monitor_subscribe(BerthEvents *e, Dispatch *d, Watch *w)
{
        if (w->sock >= 0)
                return;
        _cleanup_free_ char *path = context_socket_path(e->ctx, w->name);
        _cleanup_close_ int fd = -EBADF;
        if (proto_connect(path, &fd) < 0 || fd_set_nonblock(fd, true) < 0)
                return;
        _cleanup_(proto_message_freep) ProtoMessage *req =
                proto_message_new(PROTO_CMD_SUBSCRIBE, 0);
        if (proto_send(fd, req, NULL, 0) < 0)
                return;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->sock_source};
        if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return;
        w->sock = TAKE_FD(fd);
        if (d && w->state == BERTH_STATE_STOPPED && !w->orphaned) {
                w->state = BERTH_STATE_STARTING;
                w->init_pid = 0;
                w->ready = false;
                emit(d, BERTH_EVENT_STATE, w, 0);
        }
}

static void watch_run_dir(BerthEvents *e, Dispatch *d, Watch *w)
{
        if (w->wd_run < 0) {
                _cleanup_free_ char *dir = context_run_dir(e->ctx, w->name);
                w->wd_run = inotify_add_watch(e->inotify_fd, dir, RUN_MASK);
        }
        /* The socket may have appeared before the watch did. */
        monitor_subscribe(e, d, w);
}

static void watch_snapshots(BerthEvents *e, Watch *w)
{
        if (w->wd_snap >= 0)
                return;
        _cleanup_free_ char *dir = xasprintf("%s/%s/snapshots", e->ctx->store, w->name);
        w->wd_snap = inotify_add_watch(e->inotify_fd, dir, SNAP_MASK);
}

static bool config_present(BerthEvents *e, const char *name)
{
        _cleanup_free_ char *cfg = context_config_path(e->ctx, name);
        return access(cfg, F_OK) >= 0;
}

/* The container's directory is (again) in the store: watch it, and it is defined once its
 * config.yaml is there. */
static void container_appeared(BerthEvents *e, Dispatch *d, const char *name)
{
        Watch *w = watch_get(e, name);
        if (w->wd_dir < 0) {
                _cleanup_free_ char *dir = context_container_dir(e->ctx, name);
                w->wd_dir = inotify_add_watch(e->inotify_fd, dir, DIR_MASK);
        }
        watch_snapshots(e, w);
        if (!w->defined && config_present(e, name)) {
                w->defined = true;
                if (d)
                        emit(d, BERTH_EVENT_DEFINED, w, 0);
        }
        watch_run_dir(e, d, w);
}

static void container_gone(BerthEvents *e, Dispatch *d, Watch *w)
{
        /* A directory renamed away keeps its watches: drop them, it is not ours any more. */
        rm_watch(e, &w->wd_dir);
        rm_watch(e, &w->wd_snap);
        if (w->defined) {
                w->defined = false;
                emit(d, BERTH_EVENT_REMOVED, w, 0);
        }
}

/* ---- the monitors -------------------------------------------------------------------------- */

static void monitor_message(BerthEvents *e, Dispatch *d, Watch *w, const ProtoMessage *msg)
{
        uint32_t st = w->state, pid = 0, ready = 0;
        uint64_t since = 0;
        (void)proto_get_u32(msg, PROTO_TAG_STATE, &st);
        (void)proto_get_u32(msg, PROTO_TAG_INIT_PID, &pid);
        (void)proto_get_u32(msg, PROTO_TAG_READY, &ready);
        (void)proto_get_u64(msg, PROTO_TAG_SINCE, &since);
        if (st >= _BERTH_STATE_MAX)
                return;
        if (w->orphaned) {
                w->orphaned = false;
                emit(d, BERTH_EVENT_ADOPTED, w, 0);
        }
        if ((BerthState)st != w->state || (pid_t)pid != w->init_pid) {
                bool restarted = (BerthState)st == w->state && (pid_t)pid != w->init_pid;
                w->state = st;
                w->init_pid = pid;
                if (restarted)
                        w->ready = false;
                emit(d, BERTH_EVENT_STATE, w, since);
        }
        if (w->state == BERTH_STATE_STOPPED || w->state == BERTH_STATE_STARTING)
                w->ready = false;
        if (ready && !w->ready && w->state != BERTH_STATE_STOPPED) {
                w->ready = true;
                emit(d, BERTH_EVENT_READY, w, 0);
        }
}

/* The subscription ended without STOPPED: the monitor died (it may still be exiting, so only
 * its init is asked about). */
static void monitor_lost(BerthEvents *e, Dispatch *d, Watch *w)
{
        monitor_close(e, w);
        if (w->state == BERTH_STATE_STOPPED)
                return;
        _cleanup_free_ char *run_dir = context_run_dir(e->ctx, w->name);
        RuntimeState s;
        bool orphaned = runtime_state_read(run_dir, &s) >= 0 && runtime_init_alive(&s);
        if (orphaned)
                runtime_state_done(&s);
        if (orphaned) {
                if (!w->orphaned) {
                        w->orphaned = true;
                        emit(d, BERTH_EVENT_ORPHANED, w, 0);
                }
                return;
        }
        w->state = BERTH_STATE_STOPPED;
        w->init_pid = 0;
        w->ready = false;
        emit(d, BERTH_EVENT_STATE, w, 0);
}

static void monitor_readable(BerthEvents *e, Dispatch *d, Watch *w)
{
        /* Everything queued, so one wakeup handles a burst of state changes. */
        while (w->sock >= 0 && d->r >= 0) {
                _cleanup_(proto_message_freep) ProtoMessage *msg = NULL;
                int r = proto_recv(w->sock, &msg, NULL, NULL);
                if (r == -EAGAIN)
                        return;
                if (r < 0) {
                        monitor_lost(e, d, w);
                        return;
                }
                if (msg->status < 0) {
                        monitor_close(e, w);
                        return;
                }
                monitor_message(e, d, w, msg);
        }
}

/* ---- inotify ------------------------------------------------------------------------------- */

static void store_event(BerthEvents *e, Dispatch *d, const struct inotify_event *ev)
{
        if (!wanted(e, ev->name))
                return;
        if (ev->mask & (IN_CREATE | IN_MOVED_TO))
                container_appeared(e, d, ev->name);
        else if (ev->mask & (IN_MOVED_FROM | IN_DELETE)) {
                Watch *w = watch_find(e, ev->name);
                if (w)
                        container_gone(e, d, w);
        }
}

static void rundir_event(BerthEvents *e, Dispatch *d, const struct inotify_event *ev)
{
        if (!wanted(e, ev->name) || !(ev->mask & (IN_CREATE | IN_MOVED_TO)))
                return;
        Watch *w = watch_get(e, ev->name);
        rm_watch(e, &w->wd_run); /* a new directory of that name */
        watch_run_dir(e, d, w);
}

static void watch_event(BerthEvents *e, Dispatch *d, Watch *w, const struct inotify_event *ev)
{
        if (ev->mask & IN_IGNORED) {
                /* The watched directory is gone (the kernel removed the watch). */
                if (ev->wd == w->wd_dir)
                        w->wd_dir = -1;
                if (ev->wd == w->wd_snap)
                        w->wd_snap = -1;
                if (ev->wd == w->wd_run)
                        w->wd_run = -1;
                return;
        }
        if (ev->wd == w->wd_run) {
                if (streq(ev->name, "monitor.sock"))
                        monitor_subscribe(e, d, w);
        } else if (ev->wd == w->wd_snap)
                w->changed = true;
        else if (ev->wd == w->wd_dir) {
                if (streq(ev->name, "snapshots")) {
                        watch_snapshots(e, w);
                        w->changed = true;
                } else if (streq(ev->name, "config.yaml")) {
                        if (!w->defined)
                                container_appeared(e, d, w->name);
                        else
                                w->changed = true;
                }
        }
}

static void resync(BerthEvents *e, Dispatch *d);

static void inotify_readable(BerthEvents *e, Dispatch *d)
{
        _cleanup_free_ char *buf = xmalloc(INOTIFY_BUF_SIZE);
        bool overflow = false;
        for (;;) {
                ssize_t n = read(e->inotify_fd, buf, INOTIFY_BUF_SIZE);
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n && d->r >= 0;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        p += sizeof(*ev) + ev->len;
                        const char *name = ev->len ? ev->name : "";
                        if (ev->mask & IN_Q_OVERFLOW) {
                                overflow = true;
                                continue;
                        }
                        if (ev->wd == e->wd_store && *name)
                                store_event(e, d, ev);
                        else if (ev->wd == e->wd_rundir && *name)
                                rundir_event(e, d, ev);
                        else {
                                Watch *w = watch_find_wd(e, ev->wd);
                                if (w)
                                        watch_event(e, d, w, ev);
                        }
                }
        }
        if (overflow)
                resync(e, d);
        for (Watch *w = e->watches; w && d->r >= 0; w = w->next)
                if (w->changed) {
                        w->changed = false;
                        if (w->defined)
                                emit(d, BERTH_EVENT_CHANGED, w, 0);
                }
}

/* After an inotify overflow: compare what the store and runtime dir say now with what we
 * knew, and report the difference. */
static void resync(BerthEvents *e, Dispatch *d)
{
        _cleanup_strv_free_ char **names = NULL;
        if (berth_list(e->ctx, &names, NULL) < 0)
                return;
        for (Watch *w = e->watches, *next; w; w = next) {
                next = w->next;
                if (w->defined && !strv_contains(names, w->name))
                        container_gone(e, d, w);
        }
        STRV_FOREACH(n, names)
                if (wanted(e, *n)) {
                        container_appeared(e, d, *n);
                        watch_find(e, *n)->changed = true;
                }
}

/* ---- the API ------------------------------------------------------------------------------- */

BerthEvents *berth_events_free(BerthEvents *e)
{
        if (!e)
                return NULL;
        while (e->watches)
                watch_free(e, e->watches);
        safe_close(e->inotify_fd);
        safe_close(e->epfd);
        strv_free(e->filter);
        free(e);
        return NULL;
}

int berth_events_new(BerthContext *ctx, char **names, BerthEvents **ret, BerthError **reterr)
{
        STRV_FOREACH(n, names)
                if (!berth_name_is_valid(*n)) {
                        _cleanup_free_ char *esc = berth_escape(*n);
                        return berth_error_setf(reterr, EINVAL,
                                                "events: invalid container name '%s'", esc);
                }

        _cleanup_(berth_events_freep) BerthEvents *e = xcalloc(1, sizeof(*e));
        e->ctx = ctx;
        e->filter = names ? strv_copy(names) : NULL;
        e->wd_store = e->wd_rundir = -1;
        e->inotify_source.kind = SOURCE_INOTIFY;
        e->epfd = epoll_create1(EPOLL_CLOEXEC);
        e->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (e->epfd < 0 || e->inotify_fd < 0)
                return berth_error_set(reterr, errno, "events: create event source");
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &e->inotify_source};
        if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->inotify_fd, &ev) < 0)
                return berth_error_set(reterr, errno, "events: create event source");

        /* Both directories must exist to be watched; they are berth's own. */
        int r = mkdir_p_at(AT_FDCWD, ctx->store, 0700);
        if (r >= 0)
                r = mkdir_p_at(AT_FDCWD, ctx->rundir, 0755);
        if (r < 0)
                return berth_error_set(reterr, r, "events: create '%s' or '%s'", ctx->store,
                                       ctx->rundir);
        e->wd_store = inotify_add_watch(e->inotify_fd, ctx->store, STORE_MASK);
        if (e->wd_store < 0)
                return berth_error_set(reterr, errno, "events: watch '%s'", ctx->store);
        e->wd_rundir = inotify_add_watch(e->inotify_fd, ctx->rundir, RUN_MASK);
        if (e->wd_rundir < 0)
                return berth_error_set(reterr, errno, "events: watch '%s'", ctx->rundir);

        /* What is there now is the starting point: no events for it, but every watch and
         * subscription, and the state each container is in. */
        _cleanup_strv_free_ char **present = NULL;
        r = berth_list(ctx, &present, reterr);
        if (r < 0)
                return r;
        STRV_FOREACH(n, present) {
                if (!wanted(e, *n))
                        continue;
                RuntimeState s;
                Watch *w = watch_get(e, *n);
                (void)container_runtime_view(ctx, *n, &s, &w->orphaned);
                w->state = s.state;
                w->init_pid = s.init_pid;
                w->ready = s.ready;
                runtime_state_done(&s);
                container_appeared(e, NULL, *n);
        }
        *ret = TAKE_PTR(e);
        return 0;
}

int berth_events_get_fd(BerthEvents *e)
{
        return e ? e->epfd : -EBADF;
}

static int noop_handler(const BerthEvent *ev, void *userdata)
{
        return 0;
}

int berth_events_dispatch(BerthEvents *e, BerthEventFunc f, void *userdata, BerthError **reterr)
{
        if (!e)
                return berth_error_setf(reterr, EINVAL, "events: no event source");
        Dispatch d = {.func = f ? f : noop_handler, .userdata = userdata};
        struct epoll_event evs[32];
        int n = epoll_wait(e->epfd, evs, ELEMENTSOF(evs), 0);
        if (n < 0)
                return errno == EINTR ? 0 : berth_error_set(reterr, errno, "events: wait");
        for (int i = 0; i < n && d.r >= 0; i++) {
                Source *s = evs[i].data.ptr;
                if (s->kind == SOURCE_INOTIFY)
                        inotify_readable(e, &d);
                else
                        monitor_readable(e, &d, s->watch);
        }
        return d.r;
}
