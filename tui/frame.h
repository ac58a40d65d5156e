/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A frame: the screen as a grid of cells, each a character and a role (what the text is, not
 * how it looks). Panels draw into a frame; screen.c maps roles to curses attributes and blits
 * the frame, batch mode prints it as plain text, and unit tests read it back. Cells only ever
 * hold printable characters of width one: text put here has passed through escape.c (or is a
 * literal of this program), and anything else is replaced by '?' as a last line of defence. */

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef enum Role {
        ROLE_NORMAL,
        ROLE_DIM,          /* secondary text, unknown values */
        ROLE_TITLE,        /* the program's name, view titles */
        ROLE_LABEL,        /* "CPU", "Mem", field labels */
        ROLE_VALUE,        /* numbers next to a label */
        ROLE_HEADER,       /* the table's column header line */
        ROLE_HEADER_SORT,  /* the sorted column's title */
        ROLE_SELECTED,     /* the selected row */
        ROLE_STATE_RUNNING,
        ROLE_STATE_STOPPED,
        ROLE_STATE_BUSY,   /* starting, stopping, freezing */
        ROLE_STATE_FROZEN,
        ROLE_STATE_BAD,    /* aborting, orphaned */
        ROLE_BAR_LOW,
        ROLE_BAR_MID,
        ROLE_BAR_HIGH,
        ROLE_KEY,          /* a key name in the key bar */
        ROLE_KEY_LABEL,    /* what the key does */
        ROLE_STATUS,       /* the status line */
        ROLE_ERROR,        /* a failed action's message */
        ROLE_PROMPT,       /* a question and its input */
        ROLE_EVENT,        /* the event log line */
        _ROLE_MAX,
} Role;

typedef struct Cell {
        uint32_t ch; /* a Unicode code point of width one */
        uint8_t role;
} Cell;

typedef struct Frame {
        int width, height;
        Cell *cells;
} Frame;

Frame *frame_new(int width, int height);
Frame *frame_free(Frame *f);
void frame_clear(Frame *f);
static inline Cell *frame_cell(Frame *f, int y, int x)
{
        return &f->cells[(size_t)y * (size_t)f->width + (size_t)x];
}

/* Puts display-safe UTF-8 text at (y, x), at most max_width columns (< 0: to the right edge);
 * returns the columns written. */
int frame_put(Frame *f, int y, int x, int max_width, Role role, const char *text);
/* Like frame_put, padded with spaces (or cut) to exactly width columns; right-aligned when
 * right is set. A cut text ends in '~' so that it does not pass for the whole value. */
void frame_put_field(Frame *f, int y, int x, int width, Role role, const char *text, bool right);
/* printf into the frame; the result is display-safe only if every argument is. */
__attribute__((format(printf, 6, 7))) int frame_printf(Frame *f, int y, int x, int max_width,
                                                        Role role, const char *fmt, ...);
void frame_fill(Frame *f, int y, int x, int width, Role role, uint32_t ch);
/* Gives cells a role without changing their text (the selection bar). */
void frame_set_role(Frame *f, int y, int x, int width, Role role);
/* Columns the display-safe text takes. */
int text_width(const char *text);

/* Row y as UTF-8 text without trailing spaces; newly allocated. */
char *frame_row_text(const Frame *f, int y);
