/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

static const char *const column_names[_COL_MAX] = {
        [COL_NAME] = "name",       [COL_STATE] = "state",   [COL_PID] = "pid",
        [COL_CPU] = "cpu",         [COL_MEMORY] = "memory", [COL_PIDS] = "pids",
        [COL_IPV4] = "ipv4",       [COL_UPTIME] = "uptime", [COL_AUTOSTART] = "autostart",
        [COL_SNAPSHOTS] = "snapshots",
};

const char *column_to_string(ColumnId c)
{
        return c >= 0 && c < _COL_MAX ? column_names[c] : NULL;
}

ColumnId column_from_string(const char *s)
{
        for (int i = 0; s && i < _COL_MAX; i++)
                if (streq(column_names[i], s))
                        return (ColumnId)i;
        return _COL_INVALID;
}

Table *table_new(void)
{
        Table *t = xcalloc(1, sizeof(*t));
        t->sort = COL_NAME;
        t->show_stopped = true;
        return t;
}

static Row *row_free(Row *r)
{
        if (r) {
                berth_info_clear(&r->info);
                free(r);
        }
        return NULL;
}

Table *table_free(Table *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_rows; i++)
                row_free(t->rows[i]);
        free(t->rows);
        free(t->view);
        free(t->selected_name);
        free(t->filter);
        free(t);
        return NULL;
}

static int row_name_cmp(const void *a, const void *b)
{
        const Row *const *x = a, *const *y = b;
        return strcmp((*x)->info.name, (*y)->info.name);
}

Row *table_find(Table *t, const char *name)
{
        Row key = {.info.name = (char *)name}, *pkey = &key;
        Row **r = bsearch(&pkey, t->rows, t->n_rows, sizeof(Row *), row_name_cmp);
        return r ? *r : NULL;
}

static void row_take_info(Row *row, BerthInfo *info, uint64_t now_usec)
{
        /* CPU percent of one core: the cgroup's CPU time over wall time since the last
         * sample. A restarted container's counter starts again from zero. */
        bool running = info->state != BERTH_STATE_STOPPED;
        if (running && info->cpu_usec != UINT64_MAX && row->cpu_sample != UINT64_MAX &&
            info->cpu_usec >= row->cpu_sample && now_usec > row->sample_usec)
                row->cpu_percent = 100.0 * (double)(info->cpu_usec - row->cpu_sample) /
                                   (double)(now_usec - row->sample_usec);
        else if (!running)
                row->cpu_percent = -1;
        /* else: keep the last value until two samples exist again */
        row->cpu_sample = running ? info->cpu_usec : UINT64_MAX;
        row->sample_usec = now_usec;

        berth_info_clear(&row->info);
        row->info = *info;
        *info = (BerthInfo){};
}

void table_update(Table *t, BerthInfo *infos, size_t n, uint64_t now_usec)
{
        Row **rows = xcalloc(n + 1, sizeof(Row *));
        size_t n_rows = 0;

        /* Both lists are sorted by name: one merge pass. */
        size_t j = 0;
        for (size_t i = 0; i < n; i++) {
                if (!infos[i].name)
                        continue;
                for (; j < t->n_rows && strcmp(t->rows[j]->info.name, infos[i].name) < 0; j++)
                        t->rows[j] = row_free(t->rows[j]);
                Row *row;
                if (j < t->n_rows && streq(t->rows[j]->info.name, infos[i].name)) {
                        row = TAKE_PTR(t->rows[j]);
                        j++;
                } else {
                        row = xcalloc(1, sizeof(*row));
                        row->cpu_percent = -1;
                        row->cpu_sample = UINT64_MAX;
                }
                row_take_info(row, &infos[i], now_usec);
                rows[n_rows++] = row;
        }
        for (; j < t->n_rows; j++)
                row_free(t->rows[j]);
        free(t->rows);
        /* Defensive: a backend that does not sort must not break the bsearch. */
        qsort(rows, n_rows, sizeof(Row *), row_name_cmp);
        t->rows = rows;
        t->n_rows = n_rows;
        table_rebuild_view(t);
}

bool table_apply_state(Table *t, const char *name, BerthState state, pid_t init_pid,
                       uint64_t timestamp_usec)
{
        Row *row = table_find(t, name);
        if (!row)
                return false;
        if (row->info.state == BERTH_STATE_STOPPED && state != BERTH_STATE_STOPPED)
                row->info.started_usec = 0; /* a new init: the refresh brings its start time */
        row->info.state = state;
        row->info.init_pid = init_pid;
        if (timestamp_usec)
                row->info.since_usec = timestamp_usec;
        if (state == BERTH_STATE_STOPPED) {
                row->cpu_percent = -1;
                row->cpu_sample = UINT64_MAX;
        }
        return true;
}

/* Sort order of states: what needs attention and what runs first. */
static int state_rank(BerthState s)
{
        switch (s) {
        case BERTH_STATE_ABORTING:
                return 0;
        case BERTH_STATE_STARTING:
        case BERTH_STATE_STOPPING:
        case BERTH_STATE_FREEZING:
                return 1;
        case BERTH_STATE_RUNNING:
                return 2;
        case BERTH_STATE_FROZEN:
                return 3;
        default:
                return 4;
        }
}

static int cmp_u64(uint64_t a, uint64_t b)
{
        return a < b ? -1 : a > b;
}

/* Unknown values sort below every known one. */
static uint64_t known(uint64_t v)
{
        return v == UINT64_MAX ? 0 : v;
}

static uint64_t ipv4_key(const char *s)
{
        char buf[INET_ADDRSTRLEN];
        struct in_addr a;
        if (!s)
                return 0;
        snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(s, "/"), s);
        if (inet_pton(AF_INET, buf, &a) != 1)
                return 0;
        return (uint64_t)ntohl(a.s_addr) + 1;
}

int row_compare(const Row *a, const Row *b, ColumnId col)
{
        const BerthInfo *x = &a->info, *y = &b->info;
        int r = 0;

        switch (col) {
        case COL_STATE:
                r = state_rank(x->state) - state_rank(y->state);
                break;
        case COL_PID:
                r = cmp_u64((uint64_t)x->init_pid, (uint64_t)y->init_pid);
                break;
        case COL_CPU:
                r = a->cpu_percent < b->cpu_percent ? -1 : a->cpu_percent > b->cpu_percent;
                break;
        case COL_MEMORY:
                r = cmp_u64(known(x->memory_current), known(y->memory_current));
                break;
        case COL_PIDS:
                r = cmp_u64(known(x->pids_current), known(y->pids_current));
                break;
        case COL_IPV4:
                r = cmp_u64(ipv4_key(x->ipv4), ipv4_key(y->ipv4));
                break;
        case COL_UPTIME:
                /* Longest up first when ascending; stopped ones last. */
                r = cmp_u64(x->started_usec ? x->started_usec : UINT64_MAX,
                            y->started_usec ? y->started_usec : UINT64_MAX);
                break;
        case COL_AUTOSTART:
                r = (int)y->autostart - (int)x->autostart;
                break;
        case COL_SNAPSHOTS:
                r = cmp_u64(x->n_snapshots, y->n_snapshots);
                break;
        default:
                break;
        }
        return r != 0 ? r : strcmp(x->name, y->name);
}

/* qsort has no user data; the sort runs in this single-threaded program only. */
static const Table *sorting;

static int view_cmp(const void *a, const void *b)
{
        const Row *const *x = a, *const *y = b;
        int r = row_compare(*x, *y, sorting->sort);
        return sorting->sort_reverse ? -r : r;
}

static bool row_visible(const Table *t, const Row *r)
{
        if (!t->show_stopped && r->info.state == BERTH_STATE_STOPPED)
                return false;
        return !t->filter || strstr(r->info.name, t->filter);
}

void table_rebuild_view(Table *t)
{
        free(t->view);
        t->view = xcalloc(t->n_rows + 1, sizeof(Row *));
        t->n_view = 0;
        for (size_t i = 0; i < t->n_rows; i++)
                if (row_visible(t, t->rows[i]))
                        t->view[t->n_view++] = t->rows[i];
        sorting = t;
        qsort(t->view, t->n_view, sizeof(Row *), view_cmp);
        sorting = NULL;

        /* Keep the selection on its container; if it went away, stay at the same place. */
        if (t->selected_name)
                for (size_t i = 0; i < t->n_view; i++)
                        if (streq(t->view[i]->info.name, t->selected_name)) {
                                t->selected = i;
                                return;
                        }
        if (t->selected >= t->n_view)
                t->selected = t->n_view ? t->n_view - 1 : 0;
        free(t->selected_name);
        t->selected_name = t->n_view ? xstrdup(t->view[t->selected]->info.name) : NULL;
}

Row *table_selected(Table *t)
{
        return t->selected < t->n_view ? t->view[t->selected] : NULL;
}

void table_move(Table *t, long delta, int height)
{
        if (t->n_view == 0)
                return;
        long s = (long)t->selected + delta;
        s = MAX(s, 0L);
        s = MIN(s, (long)t->n_view - 1);
        t->selected = (size_t)s;
        free(t->selected_name);
        t->selected_name = xstrdup(t->view[t->selected]->info.name);
        if (height > 0) {
                if (t->selected < t->top)
                        t->top = t->selected;
                else if (t->selected >= t->top + (size_t)height)
                        t->top = t->selected - (size_t)height + 1;
        }
}

void table_select_name(Table *t, const char *name)
{
        free(t->selected_name);
        t->selected_name = name ? xstrdup(name) : NULL;
        table_rebuild_view(t);
}

void table_set_filter(Table *t, const char *filter)
{
        free(t->filter);
        t->filter = filter && *filter ? xstrdup(filter) : NULL;
        table_rebuild_view(t);
}

void table_counts(const Table *t, TableCounts *ret)
{
        TableCounts c = {};
        for (size_t i = 0; i < t->n_rows; i++) {
                switch (t->rows[i]->info.state) {
                case BERTH_STATE_RUNNING:
                        c.running++;
                        break;
                case BERTH_STATE_FROZEN:
                        c.frozen++;
                        break;
                case BERTH_STATE_STOPPED:
                        c.stopped++;
                        break;
                default:
                        c.other++;
                }
                c.total++;
        }
        *ret = c;
}
