/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "macro.h"

Frame *frame_new(int width, int height)
{
        Frame *f = xcalloc(1, sizeof(*f));
        f->width = MAX(width, 1);
        f->height = MAX(height, 1);
        f->cells = xcalloc((size_t)f->width * (size_t)f->height, sizeof(Cell));
        frame_clear(f);
        return f;
}

Frame *frame_free(Frame *f)
{
        if (f) {
                free(f->cells);
                free(f);
        }
        return NULL;
}

void frame_clear(Frame *f)
{
        size_t n = (size_t)f->width * (size_t)f->height;
        for (size_t i = 0; i < n; i++)
                f->cells[i] = (Cell){.ch = ' ', .role = ROLE_NORMAL};
}

/* Next code point of display-safe text; malformed input yields '?' one byte at a time. */
static uint32_t next_char(const char **p)
{
        const unsigned char *s = (const unsigned char *)*p;
        uint32_t cp;
        size_t len;

        if (s[0] < 0x80) {
                cp = s[0];
                len = 1;
        } else if ((s[0] & 0xe0) == 0xc0 && (s[1] & 0xc0) == 0x80) {
                cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
                len = 2;
        } else if ((s[0] & 0xf0) == 0xe0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
                cp = ((uint32_t)(s[0] & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) |
                     (s[2] & 0x3f);
                len = 3;
        } else if ((s[0] & 0xf8) == 0xf0 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
                   (s[3] & 0xc0) == 0x80) {
                cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
                     ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
                len = 4;
        } else {
                cp = '?';
                len = 1;
        }
        *p += len;
        /* The last line of defence: no control character ever enters a cell. */
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
                cp = '?';
        return cp;
}

int text_width(const char *text)
{
        int n = 0;
        for (const char *p = text; *p; n++)
                (void)next_char(&p);
        return n;
}

int frame_put(Frame *f, int y, int x, int max_width, Role role, const char *text)
{
        if (y < 0 || y >= f->height || x >= f->width || !text)
                return 0;
        int limit = f->width - MAX(x, 0);
        if (max_width >= 0)
                limit = MIN(limit, max_width);
        int n = 0;
        for (const char *p = text; *p && n < limit; n++) {
                uint32_t cp = next_char(&p);
                if (x + n >= 0)
                        *frame_cell(f, y, x + n) = (Cell){.ch = cp, .role = (uint8_t)role};
        }
        return n;
}

void frame_put_field(Frame *f, int y, int x, int width, Role role, const char *text, bool right)
{
        if (width <= 0)
                return;
        int w = text_width(text);
        frame_fill(f, y, x, width, role, ' ');
        if (w > width) {
                frame_put(f, y, x, width - 1, role, text);
                frame_put(f, y, x + width - 1, 1, role, "~");
                return;
        }
        frame_put(f, y, right ? x + width - w : x, width, role, text);
}

int frame_printf(Frame *f, int y, int x, int max_width, Role role, const char *fmt, ...)
{
        _cleanup_free_ char *s = NULL;
        va_list ap;

        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                oom();
        return frame_put(f, y, x, max_width, role, s);
}

void frame_fill(Frame *f, int y, int x, int width, Role role, uint32_t ch)
{
        if (y < 0 || y >= f->height)
                return;
        for (int i = MAX(x, 0); i < x + width && i < f->width; i++)
                *frame_cell(f, y, i) = (Cell){.ch = ch, .role = (uint8_t)role};
}

void frame_set_role(Frame *f, int y, int x, int width, Role role)
{
        if (y < 0 || y >= f->height)
                return;
        for (int i = MAX(x, 0); i < x + width && i < f->width; i++)
                frame_cell(f, y, i)->role = (uint8_t)role;
}

static size_t utf8_encode(uint32_t cp, char out[static 4])
{
        if (cp < 0x80) {
                out[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xc0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xe0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char)(0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        return 4;
}

char *frame_row_text(const Frame *f, int y)
{
        char *s = xmalloc((size_t)f->width * 4 + 1);
        size_t n = 0, end = 0;

        for (int x = 0; x < f->width; x++) {
                const Cell *c = &f->cells[(size_t)y * (size_t)f->width + (size_t)x];
                n += utf8_encode(c->ch, s + n);
                if (c->ch != ' ')
                        end = n;
        }
        s[end] = 0;
        return s;
}
