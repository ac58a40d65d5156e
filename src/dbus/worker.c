/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Workers: every call that changes something runs in a forked child, which makes its own
 * libberth context, calls one libberth function and reports progress and the result over a
 * SOCK_SEQPACKET socket (wire.h). The bus loop never waits for a container, a template or a
 * copy. Long kinds are jobs: the call is answered at once with the job's object, progress is
 * the job's property, and JobRemoved tells the end. The short kinds answer the call itself when
 * the worker is done. A worker outlives berthd if berthd dies: the operation completes, only
 * its report is lost. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "berthd.h"
#include "fd-util.h"
#include "fileio.h"
#include "log.h"
#include "parse.h"
#include "strv.h"
#include "wire.h"

struct Worker {
        Worker *next;
        Manager *manager;
        WorkerKind kind;
        uint32_t id;  /* jobs only */
        char *path;   /* jobs only: the object */
        char *name;   /* the container; "" for apply */
        bool enoent_is_snapshot;
        sd_bus_message *call; /* short kinds: answered when done */
        pid_t pid;
        int fd;
        sd_event_source *io_source;
        sd_event_source *child_source;
        double progress;
        char *progress_text;
        bool have_result;
        int error;
        char *message;
        char *data;
};

static const struct {
        const char *type;
        bool job;
} kinds[_WORKER_KIND_MAX] = {
        [WORKER_START] = {"start", false},
        [WORKER_STOP] = {"stop", true},
        [WORKER_KILL] = {"kill", false},
        [WORKER_RESTART] = {"restart", true},
        [WORKER_FREEZE] = {"freeze", false},
        [WORKER_THAW] = {"thaw", false},
        [WORKER_DESTROY] = {"destroy", false},
        [WORKER_CREATE] = {"create", true},
        [WORKER_APPLY] = {"apply", true},
        [WORKER_SNAPSHOT] = {"snapshot", true},
        [WORKER_RESTORE] = {"restore", true},
        [WORKER_DELETE_SNAPSHOT] = {"delete-snapshot", false},
        [WORKER_CLONE] = {"clone", true},
        [WORKER_ADOPT] = {"adopt", false},
};

/* ---- the child ------------------------------------------------------------------------------ */

static void child_send(int fd, const uint8_t *buf, size_t n)
{
        /* berthd may be gone: the work goes on, only the report is lost (no SIGPIPE). */
        while (send(fd, buf, n, MSG_NOSIGNAL) < 0 && errno == EINTR)
                ;
}

static void child_progress(const char *line, double fraction, void *userdata)
{
        uint8_t buf[WIRE_RECORD_MAX];
        child_send(*(int *)userdata, buf, wire_encode_progress(buf, fraction, line));
}

static void child_data(int fd, const char *text)
{
        uint8_t buf[WIRE_RECORD_MAX];
        child_send(fd, buf, wire_encode_data(buf, text));
}

/* The caller's YAML as a file for libberth, in a private directory made the working directory,
 * so the messages name it "config.yaml:3:11", not a temporary path. */
static int child_write_yaml(const char *yaml, const char *filename, char **ret_dir,
                            BerthError **err)
{
        _cleanup_free_ char *dir = xstrdup("/tmp/berthd-XXXXXX");
        if (!mkdtemp(dir))
                return berth_error_set(err, errno, "create a private directory in /tmp");
        _cleanup_close_ int fd = -EBADF;
        int r = 0;
        if (chdir(dir) < 0)
                r = negative_errno();
        if (r >= 0) {
                fd = open(filename, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                r = fd < 0 ? negative_errno() : loop_write(fd, yaml, strlen(yaml));
        }
        if (r < 0) {
                (void)unlinkat(AT_FDCWD, filename, 0);
                (void)rmdir(dir);
                return berth_error_set(err, r, "write '%s' in '%s'", filename, dir);
        }
        *ret_dir = TAKE_PTR(dir);
        return 0;
}

static void child_remove_yaml(const char *dir, const char *filename)
{
        (void)unlinkat(AT_FDCWD, filename, 0);
        if (chdir("/") < 0)
                return; /* cannot happen for "/"; the directory would stay behind */
        (void)rmdir(dir);
}

static int child_create(BerthContext *ctx, const WorkerArgs *a, BerthError **err)
{
        _cleanup_free_ char *dir = NULL;
        int r;
        if (a->yaml) {
                r = child_write_yaml(a->yaml, "config.yaml", &dir, err);
                if (r < 0)
                        return berth_error_prefix(err, r, "create '%s'", a->name);
        }
        BerthCreateOptions opts = {
                .template_name = a->template_name,
                .template_args = a->template_args,
                .config_path = a->yaml ? "config.yaml" : NULL,
        };
        r = berth_create(ctx, a->name, &opts, err);
        if (dir)
                child_remove_yaml(dir, "config.yaml");
        return r;
}

static int child_apply(BerthContext *ctx, const WorkerArgs *a, int fd, BerthError **err)
{
        _cleanup_free_ char *dir = NULL;
        int r = child_write_yaml(a->yaml, "composition.yaml", &dir, err);
        if (r < 0)
                return berth_error_prefix(err, r, "apply");
        BerthApplyResult res = {};
        r = berth_apply(ctx, "composition.yaml", &res, err);
        child_remove_yaml(dir, "composition.yaml");
        if (r >= 0) {
                _cleanup_free_ char *created = strv_join(res.created, " ");
                _cleanup_free_ char *started = strv_join(res.started, " ");
                _cleanup_free_ char *text =
                        xasprintf("created: %s; started: %s", strempty(created), strempty(started));
                child_data(fd, text);
        }
        berth_apply_result_clear(&res);
        return r;
}

static int child_run(BerthContext *ctx, WorkerKind kind, const WorkerArgs *a, int fd,
                     BerthError **err)
{
        switch (kind) {
        case WORKER_START:
                return berth_start(ctx, a->name, NULL, err);
        case WORKER_STOP:
                return berth_stop(ctx, a->name, a->timeout_sec, false, err);
        case WORKER_KILL:
                return berth_stop(ctx, a->name, 0, true, err);
        case WORKER_RESTART:
                return berth_restart(ctx, a->name, -1, err);
        case WORKER_FREEZE:
                return berth_freeze(ctx, a->name, err);
        case WORKER_THAW:
                return berth_thaw(ctx, a->name, err);
        case WORKER_DESTROY:
                return berth_destroy(ctx, a->name, a->force ? BERTH_DESTROY_FORCE : 0, err);
        case WORKER_CREATE:
                return child_create(ctx, a, err);
        case WORKER_APPLY:
                return child_apply(ctx, a, fd, err);
        case WORKER_SNAPSHOT: {
                _cleanup_free_ char *snap = NULL;
                int r = berth_snapshot_create(ctx, a->name, a->snap, a->comment, &snap, err);
                if (r >= 0 && snap)
                        child_data(fd, snap);
                return r;
        }
        case WORKER_RESTORE:
                return berth_snapshot_restore(ctx, a->name, a->snap, NULL, false, err);
        case WORKER_DELETE_SNAPSHOT:
                return berth_snapshot_delete(ctx, a->name, a->snap, err);
        case WORKER_CLONE:
                return berth_clone(ctx, a->name, a->name2, &(BerthCloneOptions){.snapshot = a->snap},
                                   err);
        case WORKER_ADOPT:
                return berth_adopt(ctx, a->name, err);
        default:
                return berth_error_setf(err, EINVAL, "unknown operation");
        }
}

static _noreturn_ void child_main(Manager *m, WorkerKind kind, const WorkerArgs *a, int fd)
{
        /* What berthd blocked for sd-event must not reach libberth's children (the monitor, a
         * template), and a terminal's signals for berthd are not for the work. */
        sigset_t none;
        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
        (void)setsid();
        /* Nothing of berthd (the bus connection, the event source's fds) stays open in here. */
        (void)close_all_fds_except(&fd, 1);

        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthContext *ctx = NULL;
        int r = berth_context_new(&m->options, &ctx, &err);
        if (r >= 0) {
                berth_context_set_progress(ctx, child_progress, &fd);
                r = child_run(ctx, kind, a, fd, &err);
        }
        uint8_t buf[WIRE_RECORD_MAX];
        child_send(fd, buf,
                   wire_encode_result(buf, r < 0 ? -r : 0, r < 0 ? berth_error_message(err, r) : ""));
        _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

/* ---- the parent ----------------------------------------------------------------------------- */

static Worker *worker_free(Worker *w)
{
        if (!w)
                return NULL;
        sd_event_source_disable_unref(w->io_source);
        sd_event_source_disable_unref(w->child_source);
        safe_close(w->fd);
        sd_bus_message_unref(w->call);
        free(w->path);
        free(w->name);
        free(w->progress_text);
        free(w->message);
        free(w->data);
        free(w);
        return NULL;
}

static void worker_unlink(Worker *w)
{
        Manager *m = w->manager;
        for (Worker **p = &m->workers; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        m->n_workers--;
                        return;
                }
}

void workers_free(Manager *m)
{
        /* The children are left to finish their work. */
        while (m->workers) {
                Worker *w = m->workers;
                m->workers = w->next;
                worker_free(w);
        }
        m->n_workers = 0;
}

static void worker_handle_record(Worker *w, WireRecord *rec)
{
        Manager *m = w->manager;
        switch (rec->type) {
        case WIRE_PROGRESS:
                w->progress = rec->fraction;
                free(w->progress_text);
                w->progress_text = TAKE_PTR(rec->text);
                if (w->path)
                        (void)sd_bus_emit_properties_changed(m->bus, w->path, JOB_IFACE,
                                                             "Progress", "ProgressText", NULL);
                break;
        case WIRE_RESULT:
                w->have_result = true;
                w->error = rec->error;
                free(w->message);
                w->message = TAKE_PTR(rec->text);
                break;
        case WIRE_DATA:
                free(w->data);
                w->data = TAKE_PTR(rec->text);
                break;
        }
}

/* Reads every record waiting; false once the socket is done (EOF or broken). */
static bool worker_read(Worker *w)
{
        for (;;) {
                uint8_t buf[WIRE_RECORD_MAX + 1];
                ssize_t n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN;
                }
                if (n == 0)
                        return false;
                WireRecord rec;
                if ((size_t)n > WIRE_RECORD_MAX || wire_decode(buf, (size_t)n, &rec) < 0) {
                        log_warning("%s '%s': worker %d sent a malformed record", kinds[w->kind].type,
                                    w->name, (int)w->pid);
                        continue;
                }
                worker_handle_record(w, &rec);
                wire_record_done(&rec);
        }
}

static int worker_on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
        Worker *w = userdata;
        if (!worker_read(w))
                w->io_source = sd_event_source_disable_unref(w->io_source);
        return 0;
}

static void worker_finish(Worker *w)
{
        Manager *m = w->manager;
        const char *type = kinds[w->kind].type;
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        if (w->error) {
                const char *msg = strempty(w->message);
                if (w->enoent_is_snapshot && w->error == ENOENT)
                        sd_bus_error_set(&e, "org.berth.Berth1.Error.NoSuchSnapshot", msg);
                else
                        sd_bus_error_set(&e, bus_error_name(w->error), msg);
                log_info("%s", msg);
        } else
                log_info("%s '%s': done%s%s", type, w->name, w->data ? ": " : "", strempty(w->data));

        if (w->path) {
                int r = sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_IFACE, "JobRemoved",
                                           "uosss", w->id, w->path, w->name,
                                           w->error ? e.name : "done", w->error ? e.message : "");
                if (r >= 0)
                        r = sd_bus_emit_object_removed(m->bus, w->path);
                if (r < 0)
                        log_warning_errno(r, "announce the end of job %u: %s", w->id, strerror(-r));
        } else if (w->call) {
                /* The caller may have gone away meanwhile: nothing to do about that. */
                if (w->error)
                        (void)sd_bus_reply_method_error(w->call, &e);
                else
                        (void)sd_bus_reply_method_return(w->call, NULL);
        }

        /* Containers appear and go with these; the event source tells too, and the registry
         * makes the announcement happen once either way. */
        if (w->kind == WORKER_CREATE || w->kind == WORKER_APPLY || w->kind == WORKER_CLONE ||
            w->kind == WORKER_DESTROY)
                (void)manager_refresh(m, NULL);
        worker_unlink(w);
        worker_free(w);
}

static int worker_on_exit(sd_event_source *s, const siginfo_t *si, void *userdata)
{
        Worker *w = userdata;
        /* Whatever it wrote before exiting is in the socket now. */
        if (w->io_source)
                (void)worker_read(w);
        if (!w->have_result) {
                char sig[16];
                w->error = EIO;
                free(w->message);
                w->message = si->si_code == CLD_EXITED
                                     ? xasprintf("%s '%s': worker exited with status %d",
                                                 kinds[w->kind].type, w->name, si->si_status)
                                     : xasprintf("%s '%s': worker killed by %s",
                                                 kinds[w->kind].type, w->name,
                                                 signal_to_string(si->si_status, sig));
        }
        worker_finish(w);
        return 0;
}

int worker_spawn(Manager *m, WorkerKind kind, const WorkerArgs *a, sd_bus_message *msg,
                 sd_bus_error *error)
{
        const char *type = kinds[kind].type;
        if (m->n_workers >= BERTHD_WORKERS_MAX)
                return bus_error_setf(error, EBUSY, "%s '%s': too many operations running (%u)",
                                      type, a->name, BERTHD_WORKERS_MAX);
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return bus_error_setf(error, errno, "%s '%s': socketpair: %s", type, a->name,
                                      strerror(errno));
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                safe_close(pair[0]);
                safe_close(pair[1]);
                return bus_error_setf(error, e, "%s '%s': fork: %s", type, a->name, strerror(e));
        }
        if (pid == 0) {
                safe_close(pair[0]);
                child_main(m, kind, a, pair[1]);
        }
        safe_close(pair[1]);

        Worker *w = xcalloc(1, sizeof(*w));
        *w = (Worker){
                .manager = m,
                .kind = kind,
                .name = xstrdup(kind == WORKER_CLONE ? a->name2 : a->name),
                .enoent_is_snapshot = (kind == WORKER_RESTORE || kind == WORKER_DELETE_SNAPSHOT ||
                                       (kind == WORKER_CLONE && a->snap)),
                .pid = pid,
                .fd = pair[0],
                .progress = -1,
        };
        int r = sd_event_add_io(m->event, &w->io_source, w->fd, EPOLLIN, worker_on_io, w);
        if (r >= 0)
                r = sd_event_add_child(m->event, &w->child_source, pid, WEXITED, worker_on_exit, w);
        if (r < 0) {
                /* Without a child source nobody would ever reap it or report its result. */
                (void)kill(pid, SIGKILL);
                (void)waitpid(pid, NULL, 0);
                worker_free(w);
                return bus_error_setf(error, -r, "%s '%s': watch the worker: %s", type, a->name,
                                      strerror(-r));
        }
        w->next = m->workers;
        m->workers = w;
        m->n_workers++;
        log_debug("%s '%s': worker %d", type, w->name, (int)pid);

        if (kinds[kind].job) {
                if (++m->last_job_id == 0)
                        m->last_job_id = 1;
                w->id = m->last_job_id;
                w->path = xasprintf(JOB_PREFIX "/%u", w->id);
                if (msg)
                        (void)sd_bus_reply_method_return(msg, "o", w->path);
                r = sd_bus_emit_signal(m->bus, MANAGER_PATH, MANAGER_IFACE, "JobNew", "uo", w->id,
                                       w->path);
                if (r >= 0)
                        r = sd_bus_emit_object_added(m->bus, w->path);
                if (r < 0)
                        log_warning_errno(r, "announce job %u: %s", w->id, strerror(-r));
        } else if (msg)
                w->call = sd_bus_message_ref(msg);
        return 1;
}

/* ---- job objects ---------------------------------------------------------------------------- */

static Worker *job_find(Manager *m, const char *path)
{
        size_t n = strlen(JOB_PREFIX "/");
        uint64_t id;
        if (strncmp(path, JOB_PREFIX "/", n) != 0 || parse_uint64(path + n, &id) < 0)
                return NULL;
        for (Worker *w = m->workers; w; w = w->next)
                if (w->path && w->id == id)
                        return w;
        return NULL;
}

int job_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                    void **ret_found, sd_bus_error *error)
{
        Worker *w = job_find(userdata, path);
        if (!w)
                return 0;
        *ret_found = w;
        return 1;
}

int job_node_enumerator(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes,
                        sd_bus_error *error)
{
        Manager *m = userdata;
        char **nodes = NULL;
        for (Worker *w = m->workers; w; w = w->next)
                if (w->path)
                        strv_extend(&nodes, w->path);
        *ret_nodes = nodes ? nodes : xcalloc(1, sizeof(char *));
        return 0;
}

static int job_property(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
        Worker *w = userdata;
        if (streq(property, "Id"))
                return sd_bus_message_append(reply, "u", w->id);
        if (streq(property, "Type"))
                return sd_bus_message_append(reply, "s", kinds[w->kind].type);
        if (streq(property, "Container"))
                return sd_bus_message_append(reply, "s", w->name);
        if (streq(property, "Progress"))
                return sd_bus_message_append(reply, "d", w->progress);
        return sd_bus_message_append(reply, "s", strempty(w->progress_text));
}

const sd_bus_vtable job_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "u", job_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Type", "s", job_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Container", "s", job_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Progress", "d", job_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ProgressText", "s", job_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};
