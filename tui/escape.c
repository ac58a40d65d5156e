/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "escape.h"
#include "macro.h"

static bool unicode_ok = false;

void escape_set_unicode(bool on)
{
        unicode_ok = on;
}

bool escape_get_unicode(void)
{
        return unicode_ok;
}

typedef struct Buf {
        char *p;
        size_t n, cap;
} Buf;

static void buf_add(Buf *b, const char *s, size_t n)
{
        if (b->n + n + 1 > b->cap) {
                b->cap = MAX(b->cap * 2, b->n + n + 1);
                b->p = xrealloc(b->p, b->cap);
        }
        memcpy(b->p + b->n, s, n);
        b->n += n;
        b->p[b->n] = 0;
}

/* Decodes one UTF-8 sequence at s (n bytes available). Returns its length and the code point,
 * or 0 when the bytes are not a valid, shortest-form, non-surrogate sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret)
{
        uint32_t cp;
        size_t len;

        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0) {
                len = 2;
                cp = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                len = 3;
                cp = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                len = 4;
                cp = s[0] & 0x07;
        } else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret = cp;
        return len;
}

/* A character the terminal draws in exactly one column with no other effect. wcwidth() is 0
 * for combining and format characters (bidi overrides, zero-width joiners) and 2 for wide
 * ones: both would shift the columns of the table, so both are escaped. */
static bool unicode_printable(uint32_t cp)
{
        if (cp < 0xa0)
                return false; /* C0, DEL and C1 controls; ASCII is handled by the caller */
        return wcwidth((wchar_t)cp) == 1;
}

char *escape_text(const char *s, size_t len, EscapeFlags flags)
{
        Buf b = {};
        size_t col = 0;

        buf_add(&b, "", 0);
        for (size_t i = 0; i < len;) {
                unsigned char c = (unsigned char)s[i];
                char esc[16];

                if (c >= 0x20 && c < 0x7f && c != '\\') {
                        buf_add(&b, (const char *)&c, 1);
                        col++;
                        i++;
                        continue;
                }
                if (c == '\t' && (flags & ESCAPE_EXPAND_TABS)) {
                        size_t spaces = 8 - col % 8;
                        buf_add(&b, "        ", spaces);
                        col += spaces;
                        i++;
                        continue;
                }
                if (c >= 0x80) {
                        uint32_t cp;
                        size_t l = utf8_decode((const unsigned char *)s + i, len - i, &cp);
                        if (l > 0 && unicode_ok && unicode_printable(cp)) {
                                buf_add(&b, s + i, l);
                                col++;
                                i += l;
                                continue;
                        }
                        if (l > 1) {
                                /* Valid but not shown as itself: name the code point, so a
                                 * bidi override or a zero-width space is visible. */
                                int m = snprintf(esc, sizeof(esc),
                                                 cp > 0xffff ? "\\U%08x" : "\\u%04x", cp);
                                buf_add(&b, esc, (size_t)m);
                                col += (size_t)m;
                                i += l;
                                continue;
                        }
                }
                const char *named = NULL;
                switch (c) {
                case '\\':
                        named = "\\\\";
                        break;
                case '\n':
                        named = "\\n";
                        break;
                case '\r':
                        named = "\\r";
                        break;
                case '\t':
                        named = "\\t";
                        break;
                case '\a':
                        named = "\\a";
                        break;
                case '\b':
                        named = "\\b";
                        break;
                case 0x1b:
                        named = "\\e";
                        break;
                }
                if (named)
                        buf_add(&b, named, strlen(named));
                else {
                        snprintf(esc, sizeof(esc), "\\x%02x", c);
                        buf_add(&b, esc, 4);
                }
                col += named ? strlen(named) : 4;
                i++;
        }
        return b.p;
}

char *escape_str(const char *s)
{
        return escape_text(strempty(s), s ? strlen(s) : 0, 0);
}
