/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A progress bar on stderr for long copies: drawn only on a terminal, and only once an
 * operation has run for a second, so quick ones print nothing. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth-tool.h"
#include "time-util.h"

#define BAR_WIDTH 30

static uint64_t started;
static bool drawn;

static void bar(const char *line, double fraction)
{
        uint64_t now = now_usec();
        if (started == 0)
                started = now;
        if (fraction >= 1.0) {
                if (drawn)
                        fputs("\r\033[K", stderr);
                drawn = false;
                started = 0;
                return;
        }
        if (now - started < USEC_PER_SEC || !isatty(STDERR_FILENO))
                return;
        char b[BAR_WIDTH + 1];
        int fill = (int)(fraction * BAR_WIDTH);
        for (int i = 0; i < BAR_WIDTH; i++)
                b[i] = i < fill ? '#' : ' ';
        b[BAR_WIDTH] = 0;
        fprintf(stderr, "\r\033[K%.40s [%s] %3d%%", line, b, (int)(fraction * 100));
        fflush(stderr);
        drawn = true;
}

void tool_progress(const char *line, double fraction)
{
        if (fraction >= 0) {
                bar(line, fraction);
                return;
        }
        if (drawn) {
                fputs("\r\033[K", stderr);
                drawn = false;
        }
        fprintf(stderr, "%s\n", line);
}
