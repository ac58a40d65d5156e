/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Key codes of the dashboard: bytes as themselves, special keys above 0xff. screen.c
 * translates curses' codes to these, so nothing else needs curses. */

enum {
        TK_NONE = -1,
        TK_CTRL_C = 0x03,
        TK_BACKSPACE_CTRL_H = 0x08,
        TK_TAB = '\t',
        TK_ENTER = '\n',
        TK_CTRL_L = 0x0c,
        TK_CTRL_U = 0x15,
        TK_ESC = 0x1b,
        TK_BACKSPACE = 0x7f,
        TK_UP = 0x100,
        TK_DOWN,
        TK_LEFT,
        TK_RIGHT,
        TK_PPAGE,
        TK_NPAGE,
        TK_HOME,
        TK_END,
        TK_DELETE,
        TK_RESIZE,
        TK_F0 = 0x200, /* TK_F(n) = TK_F0 + n */
};
#define TK_F(n) (TK_F0 + (n))

/* "Up", "F6", "Enter", "a": for the help view. A static string or buf. */
const char *tui_key_name(int key, char buf[static 8]);
