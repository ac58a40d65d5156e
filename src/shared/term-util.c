/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <string.h>

#include "term-util.h"

enum {
        TS_TEXT,
        TS_ESC,        /* after ESC */
        TS_CSI,        /* after ESC [ */
        TS_STRING,     /* OSC, DCS, SOS, PM, APC: up to BEL or ST */
        TS_STRING_ESC, /* ESC inside a string: ST (ESC \) ends it */
        TS_C2,         /* after 0xC2, the UTF-8 lead byte of U+0080..U+00BF */
};

/* An SGR sequence (ESC [ params m) with plain numeric parameters: colours and attributes only. */
static bool seq_is_sgr(const TermFilter *f)
{
        if (f->n_seq < 3 || f->seq[f->n_seq - 1] != 'm')
                return false;
        for (size_t i = 2; i + 1 < f->n_seq; i++)
                if (!strchr("0123456789;", f->seq[i]))
                        return false;
        return true;
}

size_t term_filter(TermFilter *f, const char *in, size_t n, char *out)
{
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)in[i];
                switch (f->state) {
                case TS_TEXT:
                        if (c == 0x1b) {
                                f->state = TS_ESC;
                                f->seq[0] = (char)c;
                                f->n_seq = 1;
                        } else if (c == 0xc2)
                                f->state = TS_C2;
                        else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c >= 0x20)
                                out[o++] = c == 0x7f ? '?' : (char)c;
                        else
                                out[o++] = '?';
                        break;
                case TS_C2:
                        f->state = TS_TEXT;
                        if (c >= 0x80 && c <= 0x9f)
                                out[o++] = '?'; /* a C1 control in UTF-8 */
                        else {
                                out[o++] = (char)0xc2;
                                i--; /* c again, as text */
                        }
                        break;
                case TS_ESC:
                        if (c == '[') {
                                f->seq[f->n_seq++] = (char)c;
                                f->state = TS_CSI;
                        } else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
                                f->state = TS_STRING;
                        else
                                f->state = TS_TEXT; /* a two-byte sequence: dropped */
                        break;
                case TS_CSI:
                        if (f->n_seq < TERM_SEQ_MAX)
                                f->seq[f->n_seq++] = (char)c;
                        if (c >= 0x40 && c <= 0x7e) {
                                if (f->n_seq < TERM_SEQ_MAX && seq_is_sgr(f)) {
                                        memcpy(out + o, f->seq, f->n_seq);
                                        o += f->n_seq;
                                }
                                f->state = TS_TEXT;
                        } else if (c < 0x20 || c > 0x7e)
                                f->state = TS_TEXT; /* no CSI after all: dropped */
                        break;
                case TS_STRING:
                        if (c == 0x07)
                                f->state = TS_TEXT;
                        else if (c == 0x1b)
                                f->state = TS_STRING_ESC;
                        break;
                case TS_STRING_ESC:
                        f->state = c == '\\' ? TS_TEXT : TS_STRING;
                        break;
                }
        }
        return o;
}
