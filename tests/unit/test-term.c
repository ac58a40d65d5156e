/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* term_filter(): a container's console output made safe for the admin's terminal. */
#include "tap.h"

#include "macro.h"
#include "term-util.h"

/* Filters s in chunks of `chunk` bytes (0: all at once) and returns the result. */
static char *filter(const char *s, size_t len, size_t chunk)
{
        TermFilter f = {};
        char *out = xmalloc(len * 2 + TERM_SEQ_MAX + 1);
        size_t o = 0;
        if (chunk == 0)
                chunk = len ? len : 1;
        for (size_t i = 0; i < len; i += chunk) {
                size_t n = MIN(chunk, len - i);
                o += term_filter(&f, s + i, n, out + o);
        }
        out[o] = 0;
        return out;
}

static void check(const char *in, size_t len, const char *want, const char *what)
{
        /* Whole, and split at every byte: a sequence split over two reads is the same. */
        for (size_t chunk = 0; chunk <= 1; chunk++) {
                char *got = filter(in, len, chunk);
                is_str(got, want, "%s%s", what, chunk ? " (byte by byte)" : "");
                free(got);
        }
}
#define CHECK(in, want, what) check(in, sizeof(in) - 1, want, what)

int main(void)
{
        CHECK("login: root\r\n", "login: root\r\n", "text, CR and LF pass");
        CHECK("a\tb\bc", "a\tb\bc", "tab and backspace pass");
        CHECK("\033[1;31mred\033[0m", "\033[1;31mred\033[0m", "colours (SGR) pass");
        CHECK("\033[mplain", "\033[mplain", "an SGR reset without parameters passes");
        CHECK("\033]0;owned\007x", "x", "a window title (OSC, BEL) is dropped");
        CHECK("\033]52;c;cm0gLXJmIC8K\033\\y", "y", "an OSC 52 clipboard write (ST) is dropped");
        CHECK("\033P+q544e\033\\z", "z", "a DCS request is dropped");
        CHECK("\033[2J\033[Hclear", "clear", "screen clearing and cursor moves are dropped");
        CHECK("\033[6n", "", "a cursor position request (answered into the input) is dropped");
        CHECK("\033[?1049h", "", "private modes are dropped");
        CHECK("\033[38:2:255:0:0m", "", "an SGR with ':' parameters is dropped, not guessed");
        CHECK("\033c", "", "a terminal reset (two-byte ESC sequence) is dropped");
        CHECK("\033[31\nm", "m", "a CSI broken by a control byte is dropped");
        CHECK("bell\007", "bell?", "BEL becomes '?'");
        CHECK("nul\001\177", "nul??", "other C0 controls and DEL become '?'");
        CHECK("\302\233" "2J", "?2J", "a UTF-8 C1 control (CSI as U+009B) becomes '?'");
        CHECK("caf\303\251 \302\240", "caf\303\251 \302\240", "UTF-8 text (and U+00A0) passes");
        CHECK("\302", "", "a lone 0xC2 at the end waits for its next byte");
        char long_csi[200] = "\033[";
        memset(long_csi + 2, '1', 150);
        strcpy(long_csi + 152, "mX");
        check(long_csi, strlen(long_csi), "X", "an overlong SGR is dropped");
        return tap_done();
}
