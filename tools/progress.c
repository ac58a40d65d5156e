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

static void draw(const char *line, double fraction, void *userdata)
{
        uint64_t now = now_usec();
        if (started == 0 || fraction <= 0.0)
                started = started ?: now;
        bool done = fraction >= 1.0;
        if (done) {
                if (drawn)
                        fputs("\r\033[K", stderr);
                drawn = false;
                started = 0;
                return;
        }
        if (now - started < USEC_PER_SEC)
                return;
        char bar[BAR_WIDTH + 1];
        int fill = fraction < 0 ? 0 : (int)(fraction * BAR_WIDTH);
        for (int i = 0; i < BAR_WIDTH; i++)
                bar[i] = i < fill ? '#' : ' ';
        bar[BAR_WIDTH] = 0;
        if (fraction < 0)
                fprintf(stderr, "\r\033[K%.40s ...", line);
        else
                fprintf(stderr, "\r\033[K%.40s [%s] %3d%%", line, bar, (int)(fraction * 100));
        fflush(stderr);
        drawn = true;
}

void tool_progress_attach(BerthContext *ctx)
{
        if (!arg_quiet && isatty(STDERR_FILENO))
                berth_context_set_progress(ctx, draw, NULL);
}
