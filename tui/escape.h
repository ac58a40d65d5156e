/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Display-safe text. Everything a container controls (names, hostnames, console output, the
 * library's messages that quote them) passes through here before it reaches a Frame: the result
 * holds printable ASCII and, when enabled, printable UTF-8 characters of width one, nothing
 * else. Control bytes, escape sequences, invalid UTF-8, C1 controls, zero-width and wide
 * characters come out as visible backslash escapes ("\e]0;x\a", "\x9b", "\u202e"), so no byte
 * sequence from a container can move the cursor, set a title or change colours. */

#include <stdbool.h>
#include <stddef.h>

/* Whether printable non-ASCII characters may pass: only when the terminal's locale is UTF-8
 * and the screen can draw them. Off by default (everything non-ASCII is escaped). */
void escape_set_unicode(bool on);
bool escape_get_unicode(void);

typedef enum EscapeFlags {
        ESCAPE_EXPAND_TABS = 1 << 0, /* a tab becomes spaces to the next multiple of 8 */
} EscapeFlags;

/* The display form of len bytes of s; a newly allocated NUL-terminated string. */
char *escape_text(const char *s, size_t len, EscapeFlags flags);
/* Same for a NUL-terminated string (NULL gives ""). */
char *escape_str(const char *s);
