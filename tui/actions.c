/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The key table: every key of the dashboard maps here to one action, which changes the App and
 * returns what must happen next (a redraw, a refresh, a session). The help view is generated
 * from this table, so a key cannot exist without being listed. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "escape.h"
#include "keys.h"

#define V(v) (1U << (v))
#define V_TABLE V(VIEW_TABLE)
#define V_DETAIL V(VIEW_DETAIL)
#define V_HELP V(VIEW_HELP)
#define V_CONTAINER (V_TABLE | V_DETAIL)
#define V_ALL (V_CONTAINER | V_HELP)

const char *tui_key_name(int key, char buf[static 8])
{
        switch (key) {
        case TK_UP:
                return "Up";
        case TK_DOWN:
                return "Down";
        case TK_LEFT:
                return "Left";
        case TK_RIGHT:
                return "Right";
        case TK_PPAGE:
                return "PgUp";
        case TK_NPAGE:
                return "PgDn";
        case TK_HOME:
                return "Home";
        case TK_END:
                return "End";
        case TK_DELETE:
                return "Del";
        case TK_ENTER:
                return "Enter";
        case TK_ESC:
                return "Esc";
        case TK_CTRL_L:
                return "^L";
        case TK_BACKSPACE:
                return "Bksp";
        }
        if (key >= TK_F(1) && key <= TK_F(12))
                snprintf(buf, 8, "F%d", key - TK_F0);
        else if (key > 0x20 && key < 0x7f)
                snprintf(buf, 8, "%c", key);
        else
                snprintf(buf, 8, "#%d", key);
        return buf;
}

/* The container an action applies to: the detail view's, or the selected row's. */
static Row *current_row(App *app)
{
        if (app->view == VIEW_DETAIL)
                return app->detail.name ? table_find(app->table, app->detail.name) : NULL;
        return table_selected(app->table);
}

static Reaction no_container(App *app)
{
        app_status(app, true, "no container selected");
        return REACT_REDRAW;
}

/* Starts req unless another action of the same container still runs. */
static Reaction run_checked(App *app, const ActionRequest *req)
{
        Job *busy = jobs_find(&app->jobs, req->name, _ACTION_INVALID);
        if (busy && busy->req.kind != ACTION_HOSTNAME) {
                app_status(app, true, "%s '%s': %s is still running",
                           action_to_string(req->kind), req->name,
                           action_to_string(busy->req.kind));
                return REACT_REDRAW;
        }
        return app_run(app, req);
}

/* Runs kind on the current container. */
static Reaction run_simple(App *app, ActionKind kind)
{
        Row *row = current_row(app);
        if (!row)
                return no_container(app);
        ActionRequest req = {.kind = kind, .name = row->info.name};
        return run_checked(app, &req);
}

/* ---- navigation --------------------------------------------------------------------------- */

static Reaction move_by(App *app, long delta)
{
        if (app->view == VIEW_HELP) {
                /* Clamped when drawn. */
                long t = (long)app->help_top + MAX(MIN(delta, 1000L), -1000L);
                app->help_top = (int)MAX(t, 0L);
        } else if (app->view == VIEW_DETAIL) {
                Detail *d = &app->detail;
                long s = (long)d->snap_selected + delta;
                s = MIN(s, (long)d->n_snaps - 1);
                d->snap_selected = (size_t)MAX(s, 0L);
        } else
                table_move(app->table, delta, app->table_height);
        return REACT_REDRAW;
}

static Reaction act_up(App *app)
{
        return move_by(app, -1);
}
static Reaction act_down(App *app)
{
        return move_by(app, 1);
}
static Reaction act_page_up(App *app)
{
        return move_by(app, -MAX(app->table_height - 1, 1));
}
static Reaction act_page_down(App *app)
{
        return move_by(app, MAX(app->table_height - 1, 1));
}
static Reaction act_home(App *app)
{
        return move_by(app, -(long)(app->table->n_view + app->detail.n_snaps));
}
static Reaction act_end(App *app)
{
        return move_by(app, (long)(app->table->n_view + app->detail.n_snaps));
}

static Reaction act_scroll_left(App *app)
{
        app->hscroll = MAX(app->hscroll - 1, 0);
        return REACT_REDRAW;
}

static Reaction act_scroll_right(App *app)
{
        /* Clamped by the table panel, which knows how many columns fit. */
        app->hscroll = MIN(app->hscroll + 1, _COL_MAX - 2);
        return REACT_REDRAW;
}

static Reaction act_detail(App *app)
{
        Row *row = table_selected(app->table);
        if (!row)
                return no_container(app);
        app_open_detail(app, row->info.name);
        return REACT_REDRAW;
}

static Reaction act_back(App *app)
{
        if (app->view == VIEW_TABLE) {
                /* Esc in the table clears the filter, like leaving a search. */
                if (app->table->filter) {
                        table_set_filter(app->table, NULL);
                        return REACT_REVIEW;
                }
                return REACT_NONE;
        }
        app->view = VIEW_TABLE;
        return REACT_REDRAW;
}

static Reaction act_help(App *app)
{
        app->view = VIEW_HELP;
        return REACT_REDRAW;
}

static Reaction act_quit(App *app)
{
        if (app->view != VIEW_TABLE)
                return act_back(app);
        return REACT_QUIT;
}

static Reaction act_quit_now(App *app)
{
        return REACT_QUIT;
}

static Reaction act_redraw(App *app)
{
        return REACT_REFRESH;
}

/* ---- the table's view --------------------------------------------------------------------- */

static Reaction sort_by(App *app, int col)
{
        app->table->sort = (ColumnId)((col + _COL_MAX) % _COL_MAX);
        table_rebuild_view(app->table);
        return REACT_REVIEW;
}

static Reaction act_sort_prev(App *app)
{
        return sort_by(app, (int)app->table->sort - 1);
}

static Reaction act_sort_next(App *app)
{
        return sort_by(app, (int)app->table->sort + 1);
}

static Reaction act_sort_menu(App *app)
{
        app->sort_menu = true;
        app->sort_menu_selected = (int)app->table->sort;
        return REACT_REDRAW;
}

static Reaction act_reverse(App *app)
{
        app->table->sort_reverse = !app->table->sort_reverse;
        table_rebuild_view(app->table);
        return REACT_REVIEW;
}

static Reaction act_toggle_stopped(App *app)
{
        app->table->show_stopped = !app->table->show_stopped;
        app_status(app, false, "stopped containers %s",
                   app->table->show_stopped ? "shown" : "hidden");
        table_rebuild_view(app->table);
        return REACT_REVIEW;
}

static Reaction filter_done(App *app, Prompt *p, const char *answer)
{
        table_set_filter(app->table, answer);
        return REACT_REVIEW;
}

static Reaction act_filter(App *app)
{
        Prompt *p = app_prompt_open(app, "filter by name: ", filter_done);
        p->names_only = true;
        p->live_filter = true;
        if (app->table->filter) {
                snprintf(p->input, sizeof(p->input), "%s", app->table->filter);
                p->len = strlen(p->input);
        }
        return REACT_REDRAW;
}

/* ---- actions on a container --------------------------------------------------------------- */

static Reaction act_start(App *app)
{
        return run_simple(app, ACTION_START);
}

static Reaction act_stop(App *app)
{
        Row *row = current_row(app);
        if (!row)
                return no_container(app);
        /* Stop again while a stop (or restart) waits: kill now. */
        if (jobs_find(&app->jobs, row->info.name, ACTION_STOP) ||
            jobs_find(&app->jobs, row->info.name, ACTION_RESTART)) {
                ActionRequest req = {.kind = ACTION_KILL, .name = row->info.name};
                return app_run(app, &req);
        }
        return run_simple(app, ACTION_STOP);
}

/* Asks a y/N question about the current container; done() runs req on "y". */
static Reaction ask_yes_no(App *app, const ActionRequest *req, const char *question)
{
        Prompt *p = app_prompt_open(app, question, NULL);
        p->yes_no = true;
        action_request_copy(&p->req, req);
        return REACT_REDRAW;
}

static Reaction act_kill(App *app)
{
        Row *row = current_row(app);
        if (!row)
                return no_container(app);
        _cleanup_free_ char *q = xasprintf("kill '%s' without a clean shutdown? [y/N] ",
                                           row->info.name);
        ActionRequest req = {.kind = ACTION_KILL, .name = row->info.name};
        return ask_yes_no(app, &req, q);
}

static Reaction act_restart(App *app)
{
        return run_simple(app, ACTION_RESTART);
}

static Reaction act_adopt(App *app)
{
        Row *row = current_row(app);
        if (!row)
                return no_container(app);
        if (!row->info.orphaned) {
                app_status(app, false, "adopt '%s': it has its monitor (nothing to adopt)",
                           row->info.name);
                return REACT_REDRAW;
        }
        return run_simple(app, ACTION_ADOPT);
}

static Reaction act_freeze(App *app)
{
        Row *row = current_row(app);
        if (!row)
                return no_container(app);
        bool frozen = row->info.state == BERTH_STATE_FROZEN ||
                      row->info.state == BERTH_STATE_FREEZING;
        return run_simple(app, frozen ? ACTION_THAW : ACTION_FREEZE);
}

static Reaction snapshot_comment_done(App *app, Prompt *p, const char *answer)
{
        free(p->req.comment);
        p->req.comment = *answer ? xstrdup(answer) : NULL;
        return run_checked(app, &p->req);
}

static Reaction snapshot_name_done(App *app, Prompt *p, const char *answer)
{
        _cleanup_free_ char *q = xasprintf("snapshot '%s': comment (optional): ", p->req.name);
        Prompt *next = app_prompt_open(app, q, snapshot_comment_done);
        action_request_copy(&next->req, &p->req);
        next->req.target = *answer ? xstrdup(answer) : NULL;
        return REACT_REDRAW;
}

static Reaction act_snapshot(App *app)
{
        Row *row = current_row(app);
        if (!row)
                return no_container(app);
        _cleanup_free_ char *q =
                xasprintf("snapshot '%s': name (empty: the next free snapN): ", row->info.name);
        Prompt *p = app_prompt_open(app, q, snapshot_name_done);
        p->names_only = true;
        p->req = (ActionRequest){.kind = ACTION_SNAPSHOT, .name = xstrdup(row->info.name)};
        return REACT_REDRAW;
}

static Reaction clone_done(App *app, Prompt *p, const char *answer)
{
        if (!berth_name_is_valid(answer)) {
                _cleanup_free_ char *esc = escape_str(answer);
                app_status(app, true, "clone '%s': invalid name '%s': use [a-z0-9][a-z0-9-]{0,62}",
                           p->req.name, esc);
                return REACT_REDRAW;
        }
        free(p->req.target);
        p->req.target = xstrdup(answer);
        return run_checked(app, &p->req);
}

static Reaction act_clone(App *app)
{
        Row *row = current_row(app);
        if (!row)
                return no_container(app);
        _cleanup_free_ char *q = xasprintf("clone '%s' as: ", row->info.name);
        Prompt *p = app_prompt_open(app, q, clone_done);
        p->names_only = true;
        p->req = (ActionRequest){.kind = ACTION_CLONE, .name = xstrdup(row->info.name)};
        return REACT_REDRAW;
}

static Reaction destroy_done(App *app, Prompt *p, const char *answer)
{
        if (!streq(answer, p->req.name)) {
                app_status(app, true, "destroy '%s': not confirmed (the name typed differs)",
                           p->req.name);
                return REACT_REDRAW;
        }
        Reaction r = run_checked(app, &p->req);
        if (app->view == VIEW_DETAIL)
                app->view = VIEW_TABLE;
        return r | REACT_REDRAW;
}

static Reaction act_destroy(App *app)
{
        Row *row = current_row(app);
        if (!row)
                return no_container(app);
        bool running = row->info.state != BERTH_STATE_STOPPED;
        size_t snaps = row->info.n_snapshots;
        char extra[96] = "";
        if (running && snaps)
                snprintf(extra, sizeof(extra), " (it is killed first; its %zu snapshot%s go too)",
                         snaps, snaps == 1 ? "" : "s");
        else if (running)
                snprintf(extra, sizeof(extra), " (it is killed first)");
        else if (snaps)
                snprintf(extra, sizeof(extra), " (its %zu snapshot%s go too)", snaps,
                         snaps == 1 ? "" : "s");
        _cleanup_free_ char *q = xasprintf("destroy '%s'%s: type its name to confirm: ",
                                           row->info.name, extra);
        Prompt *p = app_prompt_open(app, q, destroy_done);
        p->names_only = true;
        p->req = (ActionRequest){
                .kind = ACTION_DESTROY,
                .name = xstrdup(row->info.name),
                .force = running,
                .snapshots = snaps > 0,
        };
        return REACT_REDRAW;
}

/* Console and shell take the terminal: only for a container that runs. */
static Reaction run_session(App *app, ActionKind kind)
{
        Row *row = current_row(app);
        if (!row)
                return no_container(app);
        if (row->info.state == BERTH_STATE_STOPPED) {
                app_status(app, true, "%s '%s': not running", action_to_string(kind),
                           row->info.name);
                return REACT_REDRAW;
        }
        ActionRequest req = {.kind = kind, .name = row->info.name};
        return app_run(app, &req);
}

static Reaction act_console(App *app)
{
        return run_session(app, ACTION_CONSOLE);
}

static Reaction act_shell(App *app)
{
        return run_session(app, ACTION_SHELL);
}

/* ---- the detail view's snapshot list ------------------------------------------------------ */

static const BerthSnapshot *selected_snapshot(App *app)
{
        Detail *d = &app->detail;
        return d->snap_selected < d->n_snaps ? &d->snaps[d->snap_selected] : NULL;
}

static Reaction act_restore(App *app)
{
        Row *row = current_row(app);
        const BerthSnapshot *s = selected_snapshot(app);
        if (!row || !s) {
                app_status(app, true, "restore: no snapshot selected");
                return REACT_REDRAW;
        }
        bool running = row->info.state != BERTH_STATE_STOPPED;
        _cleanup_free_ char *snap = escape_str(s->name);
        _cleanup_free_ char *q = xasprintf("restore '%s' from '%s'%s? [y/N] ", row->info.name,
                                           snap, running ? " (it is stopped first)" : "");
        ActionRequest req = {
                .kind = ACTION_RESTORE, .name = row->info.name, .target = s->name,
                .force = running,
        };
        return ask_yes_no(app, &req, q);
}

static Reaction act_delete_snapshot(App *app)
{
        Row *row = current_row(app);
        const BerthSnapshot *s = selected_snapshot(app);
        if (!row || !s) {
                app_status(app, true, "delete snapshot: no snapshot selected");
                return REACT_REDRAW;
        }
        _cleanup_free_ char *snap = escape_str(s->name);
        _cleanup_free_ char *q =
                xasprintf("delete snapshot '%s' of '%s'? [y/N] ", snap, row->info.name);
        ActionRequest req = {
                .kind = ACTION_SNAPSHOT_DELETE, .name = row->info.name, .target = s->name,
        };
        return ask_yes_no(app, &req, q);
}

/* ---- the table ---------------------------------------------------------------------------- */

const KeyBinding key_table[] = {
        {{TK_UP, 0}, V_ALL, act_up, "the previous container (details: snapshot)"},
        {{TK_DOWN}, V_ALL, act_down, "the next container (details: snapshot)"},
        {{TK_PPAGE}, V_ALL, act_page_up, "one page up"},
        {{TK_NPAGE}, V_ALL, act_page_down, "one page down"},
        {{TK_HOME}, V_ALL, act_home, "the first one"},
        {{TK_END}, V_ALL, act_end, "the last one"},
        {{TK_LEFT}, V_TABLE, act_scroll_left, "scroll the columns left"},
        {{TK_RIGHT}, V_TABLE, act_scroll_right, "scroll the columns right"},
        {{TK_ENTER}, V_TABLE, act_detail, "details: config, limits, mounts, snapshots, log"},
        {{TK_ESC, TK_BACKSPACE}, V_DETAIL | V_HELP, act_back, "back to the table"},
        {{TK_ESC}, V_TABLE, act_back, "clear the filter"},
        {{'<'}, V_TABLE, act_sort_prev, "sort by the previous column"},
        {{'>'}, V_TABLE, act_sort_next, "sort by the next column"},
        {{TK_F(6)}, V_TABLE, act_sort_menu, "choose the sort column"},
        {{'r'}, V_TABLE, act_reverse, "reverse the sort order"},
        {{'/', TK_F(4)}, V_TABLE, act_filter, "filter by name (Esc clears)"},
        {{'a'}, V_TABLE, act_toggle_stopped, "show or hide stopped containers"},
        {{'s'}, V_CONTAINER, act_start, "start"},
        {{'S'}, V_CONTAINER, act_stop, "stop cleanly, with a countdown; again: kill now"},
        {{'k', TK_F(9)}, V_CONTAINER, act_kill, "kill (asks first)"},
        {{'R'}, V_CONTAINER, act_restart, "restart"},
        {{'A'}, V_CONTAINER, act_adopt, "adopt an orphan (state ending in '!': its monitor died)"},
        {{'f'}, V_CONTAINER, act_freeze, "freeze, or thaw a frozen one"},
        {{'n'}, V_CONTAINER, act_snapshot, "take a snapshot (asks for a name and a comment)"},
        {{'C'}, V_CONTAINER, act_clone, "clone into a new container (asks for its name)"},
        {{'D'}, V_CONTAINER, act_destroy, "destroy (type the name to confirm)"},
        {{'c'}, V_CONTAINER, act_console, "console; Ctrl-a q comes back"},
        {{'e'}, V_CONTAINER, act_shell, "a shell inside; exit comes back"},
        {{'r'}, V_DETAIL, act_restore, "restore the selected snapshot (asks first)"},
        {{'x', TK_DELETE}, V_DETAIL, act_delete_snapshot, "delete the selected snapshot"},
        {{'?', TK_F(1), 'h'}, V_CONTAINER, act_help, "this help"},
        {{TK_CTRL_L}, V_CONTAINER, act_redraw, "refresh and redraw now"},
        {{'q'}, V_CONTAINER | V_HELP, act_quit, "quit (in details and help: back)"},
        {{TK_F(10)}, V_CONTAINER | V_HELP, act_quit_now, "quit"},
};
const size_t key_table_size = ELEMENTSOF(key_table);

/* ---- key dispatch ------------------------------------------------------------------------- */

static bool name_char(int key)
{
        return (key >= 'a' && key <= 'z') || (key >= '0' && key <= '9') || key == '-';
}

static Reaction prompt_key(App *app, int key)
{
        Prompt *p = app->prompt;

        if (p->yes_no) {
                Prompt *closed = TAKE_PTR(app->prompt);
                Reaction r = REACT_REDRAW;
                if (key == 'y' || key == 'Y')
                        r |= run_checked(app, &closed->req);
                else
                        app_status(app, false, "%s '%s': cancelled",
                                   action_to_string(closed->req.kind), closed->req.name);
                prompt_free(closed);
                return r;
        }

        switch (key) {
        case TK_ENTER: {
                Prompt *closed = TAKE_PTR(app->prompt);
                Reaction r = closed->done(app, closed, closed->input) | REACT_REDRAW;
                prompt_free(closed);
                return r;
        }
        case TK_ESC:
        case TK_CTRL_C: {
                bool filter = p->live_filter;
                app_prompt_close(app);
                if (filter) {
                        table_set_filter(app->table, NULL);
                        return REACT_REVIEW;
                }
                return REACT_REDRAW;
        }
        case TK_BACKSPACE:
        case TK_BACKSPACE_CTRL_H:
                if (p->len > 0)
                        p->input[--p->len] = 0;
                break;
        case TK_CTRL_U:
                p->len = 0;
                p->input[0] = 0;
                break;
        default:
                if (key < 0x20 || key >= 0x7f || (p->names_only && !name_char(key)))
                        return REACT_NONE;
                if (p->len + 1 >= sizeof(p->input))
                        return REACT_NONE;
                p->input[p->len++] = (char)key;
                p->input[p->len] = 0;
        }
        if (p->live_filter) {
                table_set_filter(app->table, p->input);
                return REACT_REVIEW;
        }
        return REACT_REDRAW;
}

static Reaction sort_menu_key(App *app, int key)
{
        switch (key) {
        case TK_UP:
                app->sort_menu_selected = MAX(app->sort_menu_selected - 1, 0);
                return REACT_REDRAW;
        case TK_DOWN:
                app->sort_menu_selected = MIN(app->sort_menu_selected + 1, _COL_MAX - 1);
                return REACT_REDRAW;
        case TK_HOME:
                app->sort_menu_selected = 0;
                return REACT_REDRAW;
        case TK_END:
                app->sort_menu_selected = _COL_MAX - 1;
                return REACT_REDRAW;
        case TK_ENTER:
                app->sort_menu = false;
                return sort_by(app, app->sort_menu_selected);
        case TK_ESC:
        case TK_F(6):
        case 'q':
                app->sort_menu = false;
                return REACT_REDRAW;
        default:
                return REACT_NONE;
        }
}

Reaction app_handle_key(App *app, int key)
{
        if (key == TK_RESIZE)
                return REACT_REDRAW;
        if (app->prompt)
                return prompt_key(app, key);
        if (app->sort_menu)
                return sort_menu_key(app, key);

        for (size_t i = 0; i < key_table_size; i++) {
                const KeyBinding *b = &key_table[i];
                if (!(b->views & V(app->view)))
                        continue;
                for (size_t k = 0; k < ELEMENTSOF(b->keys) && b->keys[k]; k++)
                        if (b->keys[k] == key)
                                return b->func(app);
        }
        /* In the help view, any other key goes back, as in htop. */
        if (app->view == VIEW_HELP) {
                app->view = VIEW_TABLE;
                return REACT_REDRAW;
        }
        return REACT_NONE;
}
