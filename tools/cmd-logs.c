/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>

#include "berth-tool.h"
#include "fileio.h"
#include "term-util.h"

static const char logs_help[] =
        "Usage: berth logs NAME [--follow] [--raw]\n"
        "\n"
        "Print container NAME's console log (kept while console.log is true, across restarts,\n"
        "up to 1 MiB since it was last restarted).\n"
        "\n"
        "Options:\n"
        "  -f, --follow  go on printing as the container writes, until interrupted or the\n"
        "                container is destroyed\n"
        "  -r, --raw     the bytes as they are; by default, on a terminal, escape sequences\n"
        "                other than colours are dropped and control characters shown as '?'\n"
        "  -h, --help    show this help\n";

#define CHUNK 65536

/* Writes what the log gave, filtered for a terminal unless raw. */
static int emit(TermFilter *filter, const char *buf, size_t n)
{
        if (!filter)
                return loop_write(STDOUT_FILENO, buf, n);
        _cleanup_free_ char *out = xmalloc(n + TERM_SEQ_MAX);
        size_t k = term_filter(filter, buf, n, out);
        return loop_write(STDOUT_FILENO, out, k);
}

int verb_logs(int argc, char *argv[])
{
        static const struct option options[] = {
                {"follow", no_argument, NULL, 'f'},
                {"raw", no_argument, NULL, 'r'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        bool follow = false, raw = false;
        int c, r;

        while ((c = getopt_long(argc, argv, ":frh", options, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        follow = true;
                        break;
                case 'r':
                        raw = true;
                        break;
                case 'h':
                        return tool_help(logs_help);
                default:
                        return tool_option_error("logs", c, argv);
                }
        }
        const char *name;
        BerthContext *ctx;
        r = tool_name_and_context("logs", argc, argv, &name, &ctx);
        if (r != 0)
                return r;

        /* A container writes what it likes to its console: a terminal gets it filtered. */
        TermFilter filter = {};
        TermFilter *f = raw || !isatty(STDOUT_FILENO) ? NULL : &filter;

        /* SIGINT and SIGTERM end a follow through a signalfd, between two writes. */
        int sfd = -EBADF;
        if (follow) {
                sigset_t mask;
                sigemptyset(&mask);
                sigaddset(&mask, SIGINT);
                sigaddset(&mask, SIGTERM);
                if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
                    (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0)
                        return tool_fail(NULL, -errno);
        }

        _cleanup_(berth_log_freep) BerthLog *log = NULL;
        r = berth_log_open(ctx, name, follow, &log, &err);
        _cleanup_free_ char *buf = xmalloc(CHUNK);
        while (r >= 0) {
                ssize_t n = berth_log_read(log, buf, CHUNK, &err);
                if (n < 0) {
                        r = (int)n;
                        break;
                }
                if (n > 0) {
                        r = emit(f, buf, n);
                        if (r < 0) {
                                err = berth_error_free(err);
                                (void)berth_error_set(&err, r, "logs '%s': write output", name);
                        }
                        continue;
                }
                if (!follow || berth_log_gone(log))
                        break;
                struct pollfd p[2] = {
                        {.fd = berth_log_get_fd(log), .events = POLLIN},
                        {.fd = sfd, .events = POLLIN},
                };
                if (poll(p, 2, -1) < 0 && errno != EINTR) {
                        r = berth_error_set(&err, errno, "logs '%s': poll", name);
                        break;
                }
                if (p[1].revents)
                        break;
        }
        if (sfd >= 0)
                close(sfd);
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}
