/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"
#include "fileio.h"
#include "parse.h"

/* Matches no real configuration but keeps a typo from becoming a huge number. */
#define CONSOLE_TTY_MAX 1024

static const char console_help[] =
        "Usage: berth console NAME [--tty N]\n"
        "       berth console NAME --log\n"
        "\n"
        "Connect the terminal to container NAME's console (or tty N). Type Ctrl-a q to\n"
        "detach, Ctrl-a Ctrl-a to send a Ctrl-a.\n"
        "\n"
        "Options:\n"
        "  -t, --tty N  connect to tty N instead of the console (tty 0)\n"
        "  -l, --log    print the recent console output and exit\n"
        "  -h, --help   show this help\n";

int verb_console(int argc, char *argv[])
{
        static const struct option options[] = {
                {"tty", required_argument, NULL, 't'},
                {"log", no_argument, NULL, 'l'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        bool show_log = false, tty_set = false;
        unsigned tty = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, ":t:lh", options, NULL)) >= 0) {
                switch (c) {
                case 't': {
                        uint64_t n;
                        if (parse_uint64(optarg, &n) < 0 || n > CONSOLE_TTY_MAX)
                                return tool_usage_error("console: invalid tty '%s': use a "
                                                        "number from 0 to %d",
                                                        optarg, CONSOLE_TTY_MAX);
                        tty = (unsigned)n;
                        tty_set = true;
                        break;
                }
                case 'l':
                        show_log = true;
                        break;
                case 'h':
                        return tool_help(console_help);
                default:
                        return tool_option_error("console", c, argv);
                }
        }
        if (show_log && tty_set)
                return tool_usage_error("console: --log and --tty cannot be combined");
        const char *name;
        BerthContext *ctx;
        r = tool_name_and_context("console", argc, argv, &name, &ctx);
        if (r != 0)
                return r;

        if (show_log) {
                _cleanup_free_ char *log = NULL;
                size_t size = 0;
                r = berth_console_log(ctx, name, &log, &size, &err);
                if (r < 0)
                        return tool_fail(err, r);
                fflush(stdout);
                r = loop_write(STDOUT_FILENO, log, size);
                if (r < 0) {
                        fprintf(stderr, "berth: console '%s': write log: %s\n", name,
                                berth_error_message(NULL, r));
                        return EXIT_FAILURE;
                }
                return EXIT_SUCCESS;
        }

        /* Only for a person at a terminal: scripts get clean output, and a failure to
         * connect stays a single line. */
        if (!arg_quiet && isatty(STDIN_FILENO)) {
                if (tty == 0)
                        fprintf(stderr, "Connected to '%s' console; Ctrl-a q to detach\n", name);
                else
                        fprintf(stderr, "Connected to '%s' tty %u; Ctrl-a q to detach\n", name,
                                tty);
        }
        fflush(stdout);
        r = berth_console(ctx, name, tty, STDIN_FILENO, STDOUT_FILENO, &err);
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}
