/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The container table: one Row per container, merged from each refresh and patched by
 * events, and the view of it the user sees (filtered, sorted, a selection kept by name). */

#include <stdbool.h>
#include <stdint.h>

#include "berth.h"

typedef struct Row {
        BerthInfo info;         /* the latest info; state and init_pid also follow events */
        double cpu_percent;     /* of one CPU over the last interval; < 0 unknown */
        uint64_t cpu_sample;    /* info.cpu_usec at the last sample (UINT64_MAX: none) */
        uint64_t sample_usec;   /* CLOCK_MONOTONIC of that sample */
} Row;

typedef enum ColumnId {
        COL_NAME,
        COL_STATE,
        COL_PID,
        COL_CPU,
        COL_MEMORY,
        COL_PIDS,
        COL_IPV4,
        COL_UPTIME,
        COL_AUTOSTART,
        COL_SNAPSHOTS,
        _COL_MAX,
        _COL_INVALID = -1,
} ColumnId;

const char *column_to_string(ColumnId c);
ColumnId column_from_string(const char *s);

typedef struct Table {
        Row **rows; /* every container, sorted by name */
        size_t n_rows;
        Row **view; /* what is shown: filtered and sorted; points into rows */
        size_t n_view;
        size_t selected; /* index into view */
        size_t top;      /* first view index on screen */
        char *selected_name;

        ColumnId sort;
        bool sort_reverse;
        char *filter;      /* substring of the name; NULL: none */
        bool show_stopped; /* false: hide STOPPED containers */
} Table;

Table *table_new(void);
Table *table_free(Table *t);

/* Merges a refresh: infos (sorted by name, as berth_info_all and berth_list give them) are
 * moved into the table and the array's contents left cleared; containers no longer listed
 * are dropped. now_usec is CLOCK_MONOTONIC, for the CPU percentages. */
void table_update(Table *t, BerthInfo *infos, size_t n, uint64_t now_usec);
/* A state event: the row's state and init pid change at once, before the next refresh.
 * Returns false when no such row exists (a refresh will bring it). */
bool table_apply_state(Table *t, const char *name, BerthState state, pid_t init_pid,
                       uint64_t timestamp_usec);
Row *table_find(Table *t, const char *name);

/* Recomputes the view after a change of rows, filter, sort or show_stopped; the selection
 * stays on the same container when it is still shown. */
void table_rebuild_view(Table *t);
Row *table_selected(Table *t);
/* Moves the selection by delta rows (clamped), keeping it within a window of height rows. */
void table_move(Table *t, long delta, int height);
void table_select_name(Table *t, const char *name);
void table_set_filter(Table *t, const char *filter);
int row_compare(const Row *a, const Row *b, ColumnId col);

typedef struct TableCounts {
        unsigned running, frozen, stopped, other, total;
} TableCounts;
void table_counts(const Table *t, TableCounts *ret);
