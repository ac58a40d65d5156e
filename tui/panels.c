/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The screen's layout and its small panels: the header with host totals, the event log line,
 * the status line (or an open prompt), the key bar, the help view and the sort menu.
 *
 *   0        berth-tui  CPU[|||   5.1%]  Mem[||||  1.2G/7.8G]  Load 0.52      12:03:04
 *   1        Containers 12: 3 running, 1 frozen, 8 stopped   Sort name   Filter 'web'
 *   2..h-4   the table (header line, rows), the detail view or the help
 *   h-3      Events  12:03:01 web1 running  12:02:59 db stopped
 *   h-2      the status line or a prompt
 *   h-1      the key bar
 */
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "format.h"
#include "keys.h"
#include "panels.h"
#include "strv.h"
#include "time-util.h"

#define HEADER_LINES 2
#define FOOTER_LINES 3

void panel_bar(Frame *f, int y, int x, int width, double fraction, const char *text)
{
        int inner = width - 2;
        if (inner < 1)
                return;
        fraction = fraction < 0 ? 0 : fraction > 1 ? 1 : fraction;
        Role role = fraction < 0.6 ? ROLE_BAR_LOW : fraction < 0.85 ? ROLE_BAR_MID : ROLE_BAR_HIGH;
        int filled = (int)(fraction * inner + 0.5);
        if (fraction > 0 && filled == 0)
                filled = 1; /* something is used: show it */
        frame_put(f, y, x, 1, ROLE_LABEL, "[");
        frame_fill(f, y, x + 1, filled, role, '|');
        frame_fill(f, y, x + 1 + filled, inner - filled, ROLE_NORMAL, ' ');
        int tw = MIN(text_width(text), inner);
        frame_put(f, y, x + 1 + inner - tw, tw, ROLE_DIM, text);
        frame_put(f, y, x + 1 + inner, 1, ROLE_LABEL, "]");
}

static void draw_host_line(App *app, Frame *f, int y, int height, uint64_t now_real)
{
        char text[48], a[16], b[16], clock[16];
        int x = frame_put(f, y, 0, -1, ROLE_TITLE, "berth-tui");
        int bar = MAX(10, MIN(30, (f->width - 9 - 10 - 12 - 10) / 2));

        x += frame_put(f, y, x, -1, ROLE_LABEL, "  CPU");
        if (app->host_cpu >= 0)
                snprintf(text, sizeof(text), "%.1f%%", app->host_cpu);
        else
                snprintf(text, sizeof(text), "-");
        panel_bar(f, y, x, bar, app->host_cpu / 100, text);
        x += bar;

        x += frame_put(f, y, x, -1, ROLE_LABEL, "  Mem");
        const HostSample *h = &app->host;
        uint64_t used = h->mem_total - MIN(h->mem_available, h->mem_total);
        snprintf(text, sizeof(text), "%s/%s", format_size(a, sizeof(a), used),
                 format_size(b, sizeof(b), h->mem_total));
        panel_bar(f, y, x, bar, h->mem_total ? (double)used / (double)h->mem_total : 0, text);
        x += bar;

        x += frame_put(f, y, x, -1, ROLE_LABEL, "  Load ");
        x += frame_printf(f, y, x, -1, ROLE_VALUE, "%.2f", h->load1);
        format_clock(clock, sizeof(clock), now_real);
        if (x + 2 + (int)strlen(clock) <= f->width)
                frame_put(f, y, f->width - (int)strlen(clock), -1, ROLE_NORMAL, clock);
}

static void draw_count_line(App *app, Frame *f, int y, int height, uint64_t now_real)
{
        TableCounts c;
        table_counts(app->table, &c);
        int x = frame_put(f, y, 0, -1, ROLE_LABEL, "Containers ");
        x += frame_printf(f, y, x, -1, ROLE_VALUE, "%u", c.total);
        x += frame_put(f, y, x, -1, ROLE_NORMAL, ": ");
        x += frame_printf(f, y, x, -1, ROLE_STATE_RUNNING, "%u running", c.running);
        x += frame_put(f, y, x, -1, ROLE_NORMAL, ", ");
        x += frame_printf(f, y, x, -1, ROLE_STATE_FROZEN, "%u frozen", c.frozen);
        x += frame_put(f, y, x, -1, ROLE_NORMAL, ", ");
        x += frame_printf(f, y, x, -1, ROLE_STATE_STOPPED, "%u stopped", c.stopped);
        if (c.other)
                x += frame_printf(f, y, x, -1, ROLE_STATE_BUSY, ", %u changing", c.other);

        x += frame_put(f, y, x, -1, ROLE_LABEL, "   Sort ");
        x += frame_printf(f, y, x, -1, ROLE_VALUE, "%s%s", column_title(app->table->sort),
                          app->table->sort_reverse ? " (rev)" : "");
        if (app->table->filter) {
                x += frame_put(f, y, x, -1, ROLE_LABEL, "   Filter ");
                /* The filter only ever holds name characters. */
                x += frame_printf(f, y, x, -1, ROLE_VALUE, "'%s'", app->table->filter);
        }
        if (!app->table->show_stopped)
                frame_put(f, y, x, -1, ROLE_DIM, "   stopped hidden");
}

static void draw_event_line(App *app, Frame *f, int y, int height, uint64_t now_real)
{
        int x = frame_put(f, y, 0, -1, ROLE_LABEL, app->events_live ? "Events" : "Changes");
        if (!app->events_live)
                x += frame_printf(f, y, x, -1, ROLE_DIM, " (polled every %.1fs)",
                                  (double)app->interval_usec / USEC_PER_SEC);
        if (app->n_log == 0) {
                frame_put(f, y, x, -1, ROLE_DIM, "  none yet");
                return;
        }
        for (size_t i = 0; i < app->n_log && x < f->width; i++) {
                char clock[16];
                _cleanup_free_ char *name = escape_str(app->log[i].name);
                _cleanup_free_ char *what = escape_str(app->log[i].what);
                x += frame_printf(f, y, x, -1, ROLE_DIM, "  %s ",
                                  format_clock(clock, sizeof(clock), app->log[i].timestamp_usec));
                x += frame_printf(f, y, x, -1, ROLE_EVENT, "%s %s", name, what);
        }
}

/* One running job as a status text: a countdown for stops, progress for the rest. */
static char *job_summary(const Job *j, uint64_t now)
{
        const char *verb = action_to_string(j->req.kind);
        uint64_t elapsed = (now - j->started_usec) / USEC_PER_SEC;

        if (j->deadline_usec) {
                if (now < j->deadline_usec) {
                        uint64_t left = (j->deadline_usec - now + USEC_PER_SEC - 1) / USEC_PER_SEC;
                        return xasprintf("%s '%s': killing in %llus (S again: kill now)", verb,
                                         j->req.name, (unsigned long long)left);
                }
                return xasprintf("%s '%s': timeout reached, killing", verb, j->req.name);
        }
        if (j->progress) {
                _cleanup_free_ char *p = escape_str(j->progress);
                if (j->fraction >= 0)
                        return xasprintf("%s '%s': %.0f%% %s", verb, j->req.name,
                                         j->fraction * 100, p);
                return xasprintf("%s '%s': %s", verb, j->req.name, p);
        }
        return xasprintf("%s '%s': running (%llus)", verb, j->req.name,
                         (unsigned long long)elapsed);
}

static void draw_status_line(App *app, Frame *f, int y, int height, uint64_t now_real)
{
        uint64_t now = now_usec();

        if (app->prompt) {
                Prompt *p = app->prompt;
                int x = frame_put(f, y, 0, -1, ROLE_PROMPT, p->question);
                /* The input is printable ASCII (prompt_key accepts nothing else). */
                int room = f->width - x - 1;
                const char *in = p->input;
                if ((int)p->len > room && room > 0)
                        in += p->len - (size_t)room;
                frame_put(f, y, x, -1, ROLE_NORMAL, in);
                return;
        }

        bool fresh = app->status && app->status_usec && now < app->status_usec + STATUS_HOLD_USEC;
        _cleanup_strv_free_ char **jobs = NULL;
        for (size_t i = 0; i < app->jobs.n; i++) {
                const Job *j = app->jobs.items[i];
                if (!j->done && j->req.kind != ACTION_HOSTNAME && !j->session)
                        strv_push(&jobs, job_summary(j, now));
        }
        if (jobs && !fresh) {
                _cleanup_free_ char *s = strv_join(jobs, " | ");
                frame_put(f, y, 0, -1, ROLE_STATUS, s);
        } else if (app->status)
                frame_put(f, y, 0, -1, app->status_error ? ROLE_ERROR : ROLE_STATUS,
                          app->status);
        else if (app->refresh_error)
                frame_put(f, y, 0, -1, ROLE_ERROR, app->refresh_error);
}

typedef struct KeyHint {
        const char *key, *label;
} KeyHint;

static const KeyHint table_hints[] = {
        {"F1", "Help"},  {"/", "Filter"}, {"F6", "Sort"},     {"s", "Start"},
        {"S", "Stop"},   {"f", "Freeze"}, {"n", "Snap"},      {"c", "Console"},
        {"e", "Shell"},  {"D", "Destroy"}, {"q", "Quit"},
};
static const KeyHint detail_hints[] = {
        {"Esc", "Back"}, {"Up/Dn", "Snapshot"}, {"r", "Restore"}, {"x", "Delete"},
        {"n", "Snap"},   {"s", "Start"},        {"S", "Stop"},    {"c", "Console"},
        {"e", "Shell"},
};
static const KeyHint help_hints[] = {
        {"Up/Dn", "Scroll"},
        {"Esc", "Back"},
};

static void draw_key_bar(App *app, Frame *f, int y, int height, uint64_t now_real)
{
        const KeyHint *h = table_hints;
        size_t n = ELEMENTSOF(table_hints);
        if (app->view == VIEW_DETAIL) {
                h = detail_hints;
                n = ELEMENTSOF(detail_hints);
        } else if (app->view == VIEW_HELP) {
                h = help_hints;
                n = ELEMENTSOF(help_hints);
        }
        int x = 0;
        for (size_t i = 0; i < n; i++) {
                int w = (int)(strlen(h[i].key) + strlen(h[i].label)) + (i ? 1 : 0);
                if (x + w > f->width)
                        break;
                if (i)
                        x += frame_put(f, y, x, -1, ROLE_NORMAL, " ");
                x += frame_put(f, y, x, -1, ROLE_KEY, h[i].key);
                x += frame_put(f, y, x, -1, ROLE_KEY_LABEL, h[i].label);
        }
        frame_fill(f, y, x, f->width - x, ROLE_KEY_LABEL, ' ');
}

size_t help_lines(char ***ret)
{
        char **lines = NULL;
        for (size_t i = 0; i < key_table_size; i++) {
                const KeyBinding *b = &key_table[i];
                char keys[40] = "";
                for (size_t k = 0; k < ELEMENTSOF(b->keys) && b->keys[k]; k++) {
                        char buf[8];
                        size_t l = strlen(keys);
                        snprintf(keys + l, sizeof(keys) - l, "%s%s", k ? " " : "",
                                 tui_key_name(b->keys[k], buf));
                }
                const char *where = b->views == (1U << VIEW_DETAIL) ? "details: " : "";
                strv_push(&lines, xasprintf("  %-12s %s%s", keys, where, b->help));
        }
        *ret = lines;
        return strv_length(lines);
}

static void draw_help(App *app, Frame *f, int y, int height, uint64_t now_real)
{
        _cleanup_strv_free_ char **lines = NULL;
        size_t n = help_lines(&lines);
        frame_put(f, y, 0, -1, ROLE_TITLE, "Keys");
        frame_put(f, y, 6, -1, ROLE_DIM,
                  "(the selected container, or the one in the detail view; any key: back)");
        int rows = height - 1;
        int max_top = MAX((int)n - rows, 0);
        app->help_top = MIN(app->help_top, max_top);
        for (int i = 0; i < rows && (size_t)(app->help_top + i) < n; i++)
                frame_put(f, y + 1 + i, 0, -1, ROLE_NORMAL, lines[app->help_top + i]);
}

static void draw_sort_menu(App *app, Frame *f, int y, int height)
{
        int w = 14;
        frame_fill(f, y, 0, w, ROLE_HEADER, ' ');
        frame_put(f, y, 1, -1, ROLE_HEADER, "Sort by");
        for (int c = 0; c < _COL_MAX && c + 1 < height; c++) {
                Role r = c == app->sort_menu_selected ? ROLE_SELECTED : ROLE_NORMAL;
                frame_fill(f, y + 1 + c, 0, w, r, ' ');
                frame_printf(f, y + 1 + c, 1, w - 1, r, "%c %s",
                             c == (int)app->table->sort ? '*' : ' ', column_title((ColumnId)c));
        }
}

static void draw_table(App *app, Frame *f, int y, int height, uint64_t now_real)
{
        panel_table_draw(app, f, y, height, now_real, false);
        if (app->sort_menu)
                draw_sort_menu(app, f, y, height);
}

static void draw_table_batch(App *app, Frame *f, int y, int height, uint64_t now_real)
{
        panel_table_draw(app, f, y, height, now_real, true);
}

/* A panel: a band of the screen, a fixed number of lines or (0) what the others leave. */
typedef struct Panel {
        int height;
        void (*draw)(App *app, Frame *f, int y, int height, uint64_t now_real);
} Panel;

static const Panel host_panel = {1, draw_host_line};
static const Panel count_panel = {1, draw_count_line};
static const Panel table_panel = {0, draw_table};
static const Panel batch_table_panel = {0, draw_table_batch};
static const Panel detail_panel = {0, panel_detail_draw};
static const Panel help_panel = {0, draw_help};
static const Panel event_panel = {1, draw_event_line};
static const Panel status_panel = {1, draw_status_line};
static const Panel key_panel = {1, draw_key_bar};

/* Each view, top to bottom. The status line is second to last in every interactive view
 * (app_cursor relies on it). */
static const Panel *const views[_VIEW_MAX][8] = {
        [VIEW_TABLE] = {&host_panel, &count_panel, &table_panel, &event_panel, &status_panel,
                        &key_panel},
        [VIEW_DETAIL] = {&host_panel, &count_panel, &detail_panel, &event_panel, &status_panel,
                         &key_panel},
        [VIEW_HELP] = {&host_panel, &count_panel, &help_panel, &event_panel, &status_panel,
                       &key_panel},
};
static const Panel *const batch_view[8] = {&host_panel, &count_panel, &batch_table_panel};

static void draw_panels(App *app, Frame *f, const Panel *const *panels, uint64_t now_real)
{
        int fixed = 0;
        for (size_t i = 0; panels[i]; i++)
                fixed += panels[i]->height;
        int y = 0;
        for (size_t i = 0; panels[i]; i++) {
                int h = panels[i]->height ? panels[i]->height : f->height - fixed;
                panels[i]->draw(app, f, y, h, now_real);
                y += h;
        }
}

void app_draw(App *app, Frame *f, uint64_t now_real)
{
        frame_clear(f);
        if (f->height < HEADER_LINES + FOOTER_LINES + 2 || f->width < 20) {
                frame_put(f, 0, 0, -1, ROLE_ERROR, "berth-tui: the terminal is too small");
                return;
        }
        draw_panels(app, f, views[app->view], now_real);
}

int app_batch_height(App *app)
{
        return HEADER_LINES + 1 + (int)MAX(app->table->n_view, (size_t)1);
}

void app_draw_batch(App *app, Frame *f, uint64_t now_real)
{
        frame_clear(f);
        draw_panels(app, f, batch_view, now_real);
}

bool app_cursor(App *app, Frame *f, int *ret_y, int *ret_x)
{
        if (!app->prompt)
                return false;
        Prompt *p = app->prompt;
        int x = text_width(p->question) + (int)p->len;
        *ret_y = f->height - 2;
        *ret_x = MIN(x, f->width - 1);
        return true;
}
