/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Text from a hostile source (a container's console) made safe to show on a terminal: colours
 * (SGR: ESC [ digits and ';' m) and \n \r \t \b pass; every other escape sequence (cursor
 * movement, titles, OSC 52 clipboard writes, DCS, ...) is dropped, other C0 and C1 controls and
 * DEL become '?'. Streaming: a sequence split over two calls is handled. */
#define TERM_SEQ_MAX 64

typedef struct TermFilter {
        int state;
        char seq[TERM_SEQ_MAX];
        size_t n_seq;
} TermFilter;

/* Filters n bytes of in into out, which must hold n + TERM_SEQ_MAX bytes; returns how many
 * were written. */
size_t term_filter(TermFilter *f, const char *in, size_t n, char *out);
