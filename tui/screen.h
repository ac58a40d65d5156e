/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The terminal. The only file that talks to curses: it sets the terminal up and always puts it
 * back, maps a frame's roles to attributes and copies the frame to the screen, and turns key
 * presses into the dashboard's key codes (keys.h). */

#include <stdbool.h>

#include "frame.h"

/* Takes the terminal (stdin/stdout). color: use colours when the terminal has them. On
 * failure (not a terminal, unknown TERM) the terminal is untouched and a message is in
 * *ret_error (static). */
int screen_init(bool color, const char **ret_error);
/* Gives the terminal back as it was; safe to call more than once, and when not initialised. */
void screen_done(void);
/* What the terminal can draw: non-ASCII only with a wide-character curses in a UTF-8 locale. */
bool screen_unicode(void);
void screen_size(int *ret_rows, int *ret_cols);
/* After SIGWINCH: asks the kernel for the new size and tells curses. */
void screen_resize(void);
/* Draws the frame; the cursor is shown at (cursor_y, cursor_x) or hidden when cursor_y < 0. */
void screen_blit(const Frame *f, int cursor_y, int cursor_x);
/* The next key press, or TK_NONE when nothing is waiting. */
int screen_read_key(void);
/* Leaves curses mode for a session (the terminal is the shell's again), and comes back. */
void screen_suspend(void);
void screen_resume(void);
/* For crash signal handlers: async-signal-safe restore of the terminal modes and screen. */
void screen_emergency_restore(void);
