/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The panels: each draws one part of the screen into a frame from the App. */

#include "app.h"

/* The table: a header line at y, then rows; returns the number of row lines it used. In batch
 * mode every column and every row is drawn and nothing is highlighted. */
int panel_table_draw(App *app, Frame *f, int y, int height, uint64_t now_real, bool batch);
/* Columns the whole table needs (every column at its base width). */
int panel_table_full_width(App *app);
/* The detail view of app->detail. */
void panel_detail_draw(App *app, Frame *f, int y, int height, uint64_t now_real);
/* A bar of width cells (brackets included) filled to fraction, with text inside at the
 * right, as htop's meters. */
void panel_bar(Frame *f, int y, int x, int width, double fraction, const char *text);
Role state_role(BerthState s, bool orphaned);
/* The table header's title of column c ("CPU%"). */
const char *column_title(ColumnId c);
/* The help view's lines, generated from the key table. */
size_t help_lines(char ***ret);
