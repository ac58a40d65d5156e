/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "escape.h"
#include "time-util.h"

/* How often countdowns of running jobs are redrawn. */
#define JOB_TICK_USEC (250 * USEC_PER_MSEC)
#define EVENT_REFRESH_DELAY_USEC (50 * USEC_PER_MSEC)
#define HOSTNAME_TIMEOUT_USEC (5 * USEC_PER_SEC)

App *app_new(Backend *b, uint64_t interval_usec)
{
        App *app = xcalloc(1, sizeof(*app));
        app->backend = b;
        app->table = table_new();
        app->interval_usec = interval_usec;
        app->host_cpu = -1;
        app->table_height = 1;
        return app;
}

static void detail_clear(Detail *d)
{
        free(d->name);
        conf_free(d->conf);
        free(d->conf_error);
        berth_snapshots_free(d->snaps, d->n_snaps);
        free(d->snaps_error);
        free(d->log);
        free(d->log_error);
        free(d->hostname);
        *d = (Detail){};
}

void prompt_free(Prompt *p)
{
        if (!p)
                return;
        free(p->question);
        action_request_done(&p->req);
        free(p);
}

Prompt *app_prompt_open(App *app, const char *question, PromptDone done)
{
        prompt_free(app->prompt);
        app->prompt = xcalloc(1, sizeof(Prompt));
        app->prompt->question = xstrdup(question);
        app->prompt->done = done;
        return app->prompt;
}

void app_prompt_close(App *app)
{
        prompt_free(TAKE_PTR(app->prompt));
}

App *app_free(App *app)
{
        if (!app)
                return NULL;
        table_free(app->table);
        jobs_done(&app->jobs);
        detail_clear(&app->detail);
        prompt_free(app->prompt);
        free(app->status);
        for (size_t i = 0; i < app->n_log; i++) {
                free(app->log[i].name);
                free(app->log[i].what);
        }
        free(app->events_error);
        free(app->refresh_error);
        action_request_done(&app->pending_session);
        free(app);
        return NULL;
}

void app_status(App *app, bool error, const char *fmt, ...)
{
        va_list ap;
        free(app->status);
        va_start(ap, fmt);
        if (vasprintf(&app->status, fmt, ap) < 0)
                oom();
        va_end(ap);
        app->status_error = error;
        app->status_usec = now_usec();
}

void app_log_event(App *app, uint64_t timestamp_usec, const char *name, const char *what)
{
        if (app->n_log == EVENT_LOG_MAX) {
                free(app->log[EVENT_LOG_MAX - 1].name);
                free(app->log[EVENT_LOG_MAX - 1].what);
                app->n_log--;
        }
        memmove(app->log + 1, app->log, app->n_log * sizeof(EventLogEntry));
        app->log[0] = (EventLogEntry){
                .timestamp_usec = timestamp_usec ? timestamp_usec : realtime_usec(),
                .name = xstrdup(name),
                .what = xstrdup(what),
        };
        app->n_log++;
}

static char *lowercase(const char *s)
{
        char *l = xstrdup(strempty(s));
        for (char *p = l; *p; p++)
                *p = (char)tolower((unsigned char)*p);
        return l;
}

/* Without a live event source, state changes are found by comparing refreshes; they are
 * logged with the time they were noticed. Both lists are sorted by name: one merge pass. */
static void log_polled_changes(App *app, const BerthInfo *infos, size_t n)
{
        Table *t = app->table;
        size_t i = 0, j = 0;
        while (i < n || j < t->n_rows) {
                int c = i == n             ? 1
                        : j == t->n_rows   ? -1
                                           : strcmp(infos[i].name, t->rows[j]->info.name);
                if (c < 0)
                        app_log_event(app, 0, infos[i++].name, "defined");
                else if (c > 0)
                        app_log_event(app, 0, t->rows[j++]->info.name, "removed");
                else {
                        if (infos[i].state != t->rows[j]->info.state) {
                                _cleanup_free_ char *s =
                                        lowercase(berth_state_to_string(infos[i].state));
                                app_log_event(app, 0, infos[i].name, s);
                        }
                        i++;
                        j++;
                }
        }
}

void app_refresh(App *app)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthInfo *infos = NULL;
        size_t n = 0;
        uint64_t now = now_usec();

        app->host_prev = app->host;
        host_sample(&app->host);
        app->host_cpu = host_cpu_percent(&app->host_prev, &app->host);

        int r = app->backend->ops->infos(app->backend, &infos, &n, &err);
        app->refresh_error = mfree(app->refresh_error);
        if (r < 0) {
                app->refresh_error = escape_str(berth_error_message(err, r));
                return;
        }
        if (!app->events_live && !app->batch && app->n_refreshes > 0)
                log_polled_changes(app, infos, n);
        table_update(app->table, infos, n, now);
        berth_info_array_free(infos, n);
        app->n_refreshes++;
        if (app->view == VIEW_DETAIL)
                app_load_detail(app);
}

/* ---- events ------------------------------------------------------------------------------- */

typedef struct EventResult {
        App *app;
        Reaction reaction;
} EventResult;

/* Events come in bursts (a start is STARTING, RUNNING, READY; a create DEFINED and CHANGED):
 * one refresh a moment later serves them all. */
static void refresh_soon(App *app)
{
        uint64_t soon = now_usec() + EVENT_REFRESH_DELAY_USEC;
        app->next_refresh_usec = MIN(app->next_refresh_usec, soon);
}

static int on_event(const BerthEvent *ev, void *userdata)
{
        EventResult *res = userdata;
        App *app = res->app;

        if (!ev->name)
                return 0;
        switch (ev->type) {
        case BERTH_EVENT_STATE: {
                _cleanup_free_ char *s = lowercase(berth_state_to_string(ev->state));
                app_log_event(app, ev->timestamp_usec, ev->name, s);
                /* The event has all the table shows of a state; the stats of the new state (a
                 * started init's pids) come with the next regular refresh. An unknown name
                 * is a container the list does not have yet. */
                if (!table_apply_state(app->table, ev->name, ev->state, ev->init_pid,
                                       ev->timestamp_usec))
                        refresh_soon(app);
                res->reaction |= REACT_REVIEW;
                break;
        }
        case BERTH_EVENT_DEFINED:
        case BERTH_EVENT_REMOVED:
        case BERTH_EVENT_ORPHANED:
        case BERTH_EVENT_ADOPTED:
        case BERTH_EVENT_READY:
        case BERTH_EVENT_CHANGED: {
                const char *what = berth_event_type_to_string(ev->type);
                _cleanup_free_ char *s = lowercase(what ? what : "changed");
                if (ev->type != BERTH_EVENT_CHANGED)
                        app_log_event(app, ev->timestamp_usec, ev->name, s);
                res->reaction |= REACT_REDRAW;
                refresh_soon(app);
                break;
        }
        default:
                break;
        }
        return 0;
}

Reaction app_dispatch_events(App *app)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        EventResult res = {.app = app};

        int r = app->backend->ops->events_dispatch(app->backend, on_event, &res, &err);
        if (r < 0) {
                /* The source broke: fall back to comparing refreshes, and say so. */
                app->events_live = false;
                free(app->events_error);
                app->events_error = escape_str(berth_error_message(err, r));
                return REACT_REFRESH;
        }
        return res.reaction;
}

/* ---- jobs --------------------------------------------------------------------------------- */

static Reaction job_finished(App *app, Job *j)
{
        const char *verb = action_to_string(j->req.kind);
        Reaction reaction = REACT_REFRESH;

        if (j == app->session)
                app->session = NULL;

        if (j->req.kind == ACTION_HOSTNAME) {
                /* Quiet: it only fills the detail view. */
                if (j->result >= 0 && app->detail.name && streq(app->detail.name, j->req.name)) {
                        free(app->detail.hostname);
                        app->detail.hostname = TAKE_PTR(j->message);
                }
                return REACT_REDRAW;
        }

        if (j->result < 0) {
                _cleanup_free_ char *msg =
                        escape_str(j->message ? j->message : strerror(-j->result));
                app_status(app, true, "%s", msg);
        } else {
                _cleanup_free_ char *out = escape_str(j->message);
                _cleanup_free_ char *target = escape_str(j->req.target);
                switch (j->req.kind) {
                case ACTION_SNAPSHOT:
                        app_status(app, false, "snapshot '%s': created '%s'", j->req.name,
                                   j->message ? out : target);
                        break;
                case ACTION_RESTORE:
                        app_status(app, false, "restore '%s': rootfs replaced by '%s'",
                                   j->req.name, target);
                        break;
                case ACTION_SNAPSHOT_DELETE:
                        app_status(app, false, "snapshot '%s': deleted '%s'", j->req.name, target);
                        break;
                case ACTION_CLONE:
                        app_status(app, false, "clone '%s': created '%s'", j->req.name, target);
                        break;
                case ACTION_CONSOLE:
                case ACTION_SHELL:
                        app_status(app, false, "%s '%s': detached", verb, j->req.name);
                        break;
                default:
                        app_status(app, false, "%s '%s': done", verb, j->req.name);
                }
        }
        if (app->view == VIEW_DETAIL)
                reaction |= REACT_DETAIL;
        return reaction;
}

Reaction app_process_jobs(App *app)
{
        Reaction reaction = REACT_NONE;
        for (size_t i = 0; i < app->jobs.n;) {
                Job *j = app->jobs.items[i];
                if (!job_read(j)) {
                        i++;
                        continue;
                }
                reaction |= job_finished(app, j);
                jobs_remove(&app->jobs, j);
        }
        return reaction;
}

static bool jobs_running(App *app)
{
        for (size_t i = 0; i < app->jobs.n; i++)
                if (!app->jobs.items[i]->done && app->jobs.items[i]->req.kind != ACTION_HOSTNAME)
                        return true;
        return false;
}

/* The container's init.stop_timeout in seconds, for the countdown; < 0 when unknown. */
static long stop_timeout(App *app, const char *name)
{
        _cleanup_free_ char *yaml = NULL;
        _cleanup_(conf_freep) Conf *c = NULL;
        if (app->backend->ops->config_show(app->backend, name, &yaml, NULL) < 0 ||
            conf_parse(yaml, strlen(yaml), &c) < 0)
                return -1;
        const char *v = conf_get(c, "init.stop_timeout");
        char *end;
        long t = v ? strtol(v, &end, 10) : -1;
        return v && *end == 0 && t >= 0 ? t : -1;
}

Reaction app_run(App *app, const ActionRequest *req)
{
        bool session = req->kind == ACTION_CONSOLE || req->kind == ACTION_SHELL;
        Job *j;

        if (app->session || app->pending_session.name)
                return REACT_NONE;
        if (session) {
                action_request_copy(&app->pending_session, req);
                return REACT_SESSION;
        }
        int r = jobs_start(&app->jobs, app->backend, req, false, &j);
        if (r < 0) {
                app_status(app, true, "%s '%s': start a process: %s", action_to_string(req->kind),
                           req->name, strerror(-r));
                return REACT_REDRAW;
        }
        if (req->kind == ACTION_STOP || req->kind == ACTION_RESTART) {
                long t = stop_timeout(app, req->name);
                if (t >= 0)
                        j->deadline_usec = j->started_usec + (uint64_t)t * USEC_PER_SEC;
        }
        /* The job's own line replaces an older message at once. */
        app->status_usec = 0;
        return REACT_REDRAW;
}

int app_start_session(App *app)
{
        Job *j;
        int r = jobs_start(&app->jobs, app->backend, &app->pending_session, true, &j);
        if (r < 0)
                app_status(app, true, "%s '%s': start a process: %s",
                           action_to_string(app->pending_session.kind), app->pending_session.name,
                           strerror(-r));
        else
                app->session = j;
        action_request_done(&app->pending_session);
        return r;
}

/* ---- timer -------------------------------------------------------------------------------- */

uint64_t app_next_wakeup(App *app, uint64_t now)
{
        uint64_t t = app->next_refresh_usec;
        if (jobs_running(app))
                t = MIN(t, now + JOB_TICK_USEC);
        if (app->status && app->status_usec && app->status_usec + STATUS_HOLD_USEC > now)
                t = MIN(t, app->status_usec + STATUS_HOLD_USEC);
        return t;
}

Reaction app_tick(App *app, uint64_t now)
{
        Reaction reaction = REACT_NONE;
        if (now >= app->next_refresh_usec) {
                app_refresh(app);
                /* The second refresh comes soon, so CPU percentages show without waiting a
                 * whole interval. */
                uint64_t next = app->n_refreshes == 1 ? MIN(app->interval_usec, 200 * USEC_PER_MSEC)
                                                      : app->interval_usec;
                app->next_refresh_usec = now + next;
                reaction |= REACT_REVIEW;
        }
        if (jobs_running(app))
                reaction |= REACT_REDRAW;
        /* A hostname read that hangs (a container stuck in its init) is given up. */
        for (size_t i = 0; i < app->jobs.n; i++) {
                Job *j = app->jobs.items[i];
                if (j->req.kind == ACTION_HOSTNAME && !j->done &&
                    now > j->started_usec + HOSTNAME_TIMEOUT_USEC)
                        job_cancel(j);
        }
        if (app->status_usec && app->status_usec + STATUS_HOLD_USEC <= now) {
                app->status_usec = 0; /* expired: jobs may take the line over */
                reaction |= REACT_REDRAW;
        }
        return reaction;
}

/* ---- the detail view's data ------------------------------------------------------------------ */

static char *error_text(BerthError *err, int r)
{
        return escape_str(berth_error_message(err, r));
}

void app_load_detail(App *app)
{
        Detail *d = &app->detail;
        Backend *b = app->backend;
        if (!d->name)
                return;

        {
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                _cleanup_free_ char *yaml = NULL;
                conf_free(TAKE_PTR(d->conf));
                d->conf_error = mfree(d->conf_error);
                int r = b->ops->config_show(b, d->name, &yaml, &err);
                if (r >= 0) {
                        r = conf_parse(yaml, strlen(yaml), &d->conf);
                        if (r < 0)
                                d->conf_error = xasprintf("config '%s': unreadable YAML: %s",
                                                          d->name, strerror(-r));
                } else
                        d->conf_error = error_text(err, r);
        }
        {
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                BerthSnapshot *snaps = NULL;
                size_t n = 0;
                d->snaps_error = mfree(d->snaps_error);
                int r = b->ops->snapshots(b, d->name, &snaps, &n, &err);
                berth_snapshots_free(d->snaps, d->n_snaps);
                d->snaps = NULL;
                d->n_snaps = 0;
                if (r >= 0) {
                        d->snaps = snaps;
                        d->n_snaps = n;
                } else
                        d->snaps_error = error_text(err, r);
                if (d->snap_selected >= d->n_snaps)
                        d->snap_selected = d->n_snaps ? d->n_snaps - 1 : 0;
        }
        {
                _cleanup_(berth_error_freep) BerthError *err = NULL;
                char *log = NULL;
                size_t size = 0;
                d->log = mfree(d->log);
                d->log_error = mfree(d->log_error);
                int r = b->ops->console_log(b, d->name, &log, &size, &err);
                if (r >= 0) {
                        d->log = log;
                        d->log_size = size;
                } else
                        d->log_error = error_text(err, r);
        }

        /* The live hostname needs a process in the container: asked once per visit, and only
         * of a running container (a frozen one would keep the reader waiting). */
        Row *row = table_find(app->table, d->name);
        if (!d->hostname_asked && row && row->info.state == BERTH_STATE_RUNNING &&
            !jobs_find(&app->jobs, d->name, ACTION_HOSTNAME)) {
                ActionRequest req = {.kind = ACTION_HOSTNAME, .name = d->name};
                Job *j;
                if (jobs_start(&app->jobs, b, &req, false, &j) >= 0)
                        d->hostname_asked = true;
        }
}

void app_open_detail(App *app, const char *name)
{
        detail_clear(&app->detail);
        app->detail.name = xstrdup(name);
        app->view = VIEW_DETAIL;
        app_load_detail(app);
}
