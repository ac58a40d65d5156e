/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The container table and its columns. Each column is a small object: a title, a width and a
 * draw function for one cell. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "format.h"
#include "panels.h"

typedef struct CellContext {
        uint64_t now_real;
        uint64_t host_memory; /* bytes, for the bar of an unlimited container; 0 unknown */
} CellContext;

typedef void (*CellDraw)(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w);

typedef struct Column {
        const char *title;
        int width;
        bool right;
        CellDraw draw;
} Column;

Role state_role(BerthState s, bool orphaned)
{
        if (orphaned)
                return ROLE_STATE_BAD;
        switch (s) {
        case BERTH_STATE_RUNNING:
                return ROLE_STATE_RUNNING;
        case BERTH_STATE_STOPPED:
                return ROLE_STATE_STOPPED;
        case BERTH_STATE_FROZEN:
                return ROLE_STATE_FROZEN;
        case BERTH_STATE_ABORTING:
                return ROLE_STATE_BAD;
        default:
                return ROLE_STATE_BUSY;
        }
}

static bool stopped(const Row *row)
{
        return row->info.state == BERTH_STATE_STOPPED;
}

static void cell_text(Frame *f, int y, int x, int w, bool right, Role role, const char *s)
{
        frame_put_field(f, y, x, w, role, s, right);
}

static void draw_name(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w)
{
        /* Names are validated by the library, and escaped all the same. */
        _cleanup_free_ char *name = escape_str(row->info.name);
        cell_text(f, y, x, w, false, ROLE_NORMAL, name);
}

static void draw_state(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w)
{
        const char *s = berth_state_to_string(row->info.state);
        /* An orphan (init alive, monitor gone) is marked: any action takes it back over. */
        char buf[32];
        snprintf(buf, sizeof(buf), "%s%s", s ? s : "?", row->info.orphaned ? "!" : "");
        cell_text(f, y, x, w, false, state_role(row->info.state, row->info.orphaned), buf);
}

static void draw_pid(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w)
{
        char buf[16] = "-";
        if (row->info.init_pid > 0)
                snprintf(buf, sizeof(buf), "%d", (int)row->info.init_pid);
        cell_text(f, y, x, w, true, row->info.init_pid > 0 ? ROLE_NORMAL : ROLE_DIM, buf);
}

static void draw_cpu(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w)
{
        char buf[16] = "-";
        if (!stopped(row) && row->cpu_percent >= 0)
                snprintf(buf, sizeof(buf), "%.1f", MIN(row->cpu_percent, 9999.0));
        cell_text(f, y, x, w, true, streq(buf, "-") ? ROLE_DIM : ROLE_NORMAL, buf);
}

static void draw_memory(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w)
{
        const BerthInfo *i = &row->info;
        char cur[16], lim[16], text[40];
        bool known = !stopped(row) && i->memory_current != UINT64_MAX;
        bool limited = i->memory_limit != UINT64_MAX;

        snprintf(text, sizeof(text), "%s/%s",
                 known ? format_size(cur, sizeof(cur), i->memory_current) : "-",
                 limited ? format_size(lim, sizeof(lim), i->memory_limit) : "-");
        /* The bar measures against the limit, or the host's memory when there is none. */
        uint64_t of = limited ? i->memory_limit : cx->host_memory;
        double fraction = known && of > 0 ? (double)i->memory_current / (double)of : 0;
        int bar = MIN(7, w - 11);
        if (bar >= 3) {
                panel_bar(f, y, x, bar, fraction, "");
                cell_text(f, y, x + bar, w - bar, true, known ? ROLE_NORMAL : ROLE_DIM, text);
        } else
                cell_text(f, y, x, w, true, known ? ROLE_NORMAL : ROLE_DIM, text);
}

static void draw_pids(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w)
{
        const BerthInfo *i = &row->info;
        char cur[24] = "-", lim[24] = "-", text[64];
        if (!stopped(row) && i->pids_current != UINT64_MAX)
                snprintf(cur, sizeof(cur), "%" PRIu64, i->pids_current);
        if (i->pids_limit != UINT64_MAX)
                snprintf(lim, sizeof(lim), "%" PRIu64, i->pids_limit);
        snprintf(text, sizeof(text), "%s/%s", cur, lim);
        if ((int)strlen(text) > w)
                snprintf(text, sizeof(text), "%s", cur); /* the count matters more */
        cell_text(f, y, x, w, true, streq(cur, "-") ? ROLE_DIM : ROLE_NORMAL, text);
}

static void draw_ipv4(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w)
{
        const char *a = row->info.ipv4;
        if (!a) {
                cell_text(f, y, x, w, false, ROLE_DIM, "-");
                return;
        }
        /* The address without its prefix length: the column is for telling containers apart. */
        _cleanup_free_ char *addr = xstrndup(a, strcspn(a, "/"));
        _cleanup_free_ char *esc = escape_str(addr);
        cell_text(f, y, x, w, false, ROLE_NORMAL, esc);
}

static void draw_uptime(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w)
{
        const BerthInfo *i = &row->info;
        uint64_t since = i->started_usec;
        if (!since && i->state == BERTH_STATE_RUNNING)
                since = i->since_usec; /* until the library reports the start itself */
        char buf[16] = "-";
        if (!stopped(row) && since && cx->now_real >= since)
                format_duration(buf, sizeof(buf), cx->now_real - since);
        cell_text(f, y, x, w, true, streq(buf, "-") ? ROLE_DIM : ROLE_NORMAL, buf);
}

static void draw_autostart(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w)
{
        cell_text(f, y, x, w, false, row->info.autostart ? ROLE_NORMAL : ROLE_DIM,
                  row->info.autostart ? "yes" : "no");
}

static void draw_snapshots(const CellContext *cx, const Row *row, Frame *f, int y, int x, int w)
{
        char buf[24];
        snprintf(buf, sizeof(buf), "%zu", row->info.n_snapshots);
        cell_text(f, y, x, w, true, row->info.n_snapshots ? ROLE_NORMAL : ROLE_DIM, buf);
}

/* Widths: every column but the name fits in 80 columns up to IPV4; the rest scroll in. */
static const Column columns[_COL_MAX] = {
        [COL_NAME] = {"NAME", 12, false, draw_name},
        [COL_STATE] = {"STATE", 8, false, draw_state},
        [COL_PID] = {"PID", 7, true, draw_pid},
        [COL_CPU] = {"CPU%", 5, true, draw_cpu},
        [COL_MEMORY] = {"MEMORY", 18, false, draw_memory},
        [COL_PIDS] = {"PIDS", 9, true, draw_pids},
        [COL_IPV4] = {"IPV4", 15, false, draw_ipv4},
        [COL_UPTIME] = {"UPTIME", 7, true, draw_uptime},
        [COL_AUTOSTART] = {"AUTO", 4, false, draw_autostart},
        [COL_SNAPSHOTS] = {"SNAP", 4, true, draw_snapshots},
};

const char *column_title(ColumnId c)
{
        return c >= 0 && c < _COL_MAX ? columns[c].title : "?";
}

static int longest_name(App *app)
{
        int n = 0;
        for (size_t i = 0; i < app->table->n_rows; i++)
                n = MAX(n, (int)strlen(app->table->rows[i]->info.name));
        return n;
}

int panel_table_full_width(App *app)
{
        int w = MAX(columns[COL_NAME].width, longest_name(app));
        for (int c = 1; c < _COL_MAX; c++)
                w += 1 + columns[c].width;
        return w;
}

typedef struct Layout {
        int x[_COL_MAX]; /* < 0: not shown */
        int w[_COL_MAX];
        bool more_left, more_right;
} Layout;

static void layout(App *app, int width, bool all, Layout *l)
{
        int rest = 0;
        for (int c = 1; c < _COL_MAX; c++)
                rest += 1 + columns[c].width;

        /* The name grows into what is left once everything fits. */
        int name_w = columns[COL_NAME].width;
        if (width - rest > name_w)
                name_w = MIN(width - rest, MAX(name_w, longest_name(app)));
        if (all)
                name_w = MAX(name_w, longest_name(app));

        /* Scrolling stops once the last column is in view. */
        int first = 1;
        if (!all) {
                int max_first = _COL_MAX - 1, used = name_w;
                for (int c = _COL_MAX - 1; c >= 1; c--) {
                        used += 1 + columns[c].width;
                        if (used > width)
                                break;
                        max_first = c;
                }
                app->hscroll = MIN(app->hscroll, max_first - 1);
                first = 1 + app->hscroll;
        }

        *l = (Layout){};
        l->x[COL_NAME] = 0;
        l->w[COL_NAME] = name_w;
        int x = name_w;
        for (int c = 1; c < _COL_MAX; c++) {
                l->x[c] = -1;
                if (c < first)
                        continue;
                if (!all && x + 1 + columns[c].width > width) {
                        l->more_right = true;
                        continue;
                }
                l->x[c] = x + 1;
                l->w[c] = columns[c].width;
                x += 1 + columns[c].width;
        }
        l->more_left = first > 1;
}

static void draw_header(App *app, Frame *f, int y, const Layout *l, bool batch)
{
        frame_fill(f, y, 0, f->width, ROLE_HEADER, ' ');
        for (int c = 0; c < _COL_MAX; c++) {
                if (l->x[c] < 0)
                        continue;
                Role role = !batch && c == (int)app->table->sort ? ROLE_HEADER_SORT : ROLE_HEADER;
                frame_put_field(f, y, l->x[c], l->w[c], role, columns[c].title, columns[c].right);
        }
        if (l->more_left)
                frame_put(f, y, l->w[COL_NAME], 1, ROLE_HEADER, "<");
        if (l->more_right)
                frame_put(f, y, f->width - 1, 1, ROLE_HEADER, ">");
}

int panel_table_draw(App *app, Frame *f, int y, int height, uint64_t now_real, bool batch)
{
        Table *t = app->table;
        Layout l;
        CellContext cx = {.now_real = now_real, .host_memory = app->host.mem_total};

        layout(app, f->width, batch, &l);
        draw_header(app, f, y, &l, batch);
        int rows = height - 1;
        if (rows <= 0)
                return 0;
        app->table_height = rows;

        if (t->n_view == 0) {
                const char *why = t->n_rows == 0   ? "no containers"
                                  : t->filter      ? "no container matches the filter"
                                                   : "every container is stopped (a: show them)";
                frame_put(f, y + 1, 1, -1, ROLE_DIM, why);
                return 1;
        }

        /* Keep the selection in the window. */
        if (batch)
                t->top = 0;
        else if (t->selected < t->top)
                t->top = t->selected;
        else if (t->selected >= t->top + (size_t)rows)
                t->top = t->selected - (size_t)rows + 1;
        if (t->top + (size_t)rows > t->n_view)
                t->top = t->n_view > (size_t)rows ? t->n_view - (size_t)rows : 0;

        int n = 0;
        for (size_t i = t->top; i < t->n_view && n < rows; i++, n++) {
                int ry = y + 1 + n;
                for (int c = 0; c < _COL_MAX; c++)
                        if (l.x[c] >= 0)
                                columns[c].draw(&cx, t->view[i], f, ry, l.x[c], l.w[c]);
                if (!batch && i == t->selected && !app->prompt)
                        frame_set_role(f, ry, 0, f->width, ROLE_SELECTED);
                else if (!batch && i == t->selected)
                        frame_set_role(f, ry, 0, l.w[COL_NAME], ROLE_SELECTED);
        }
        return n;
}
