/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <limits.h>

#include "berth-tool.h"

static const char stop_help[] =
        "Usage: berth stop NAME [--timeout SEC] [--kill]\n"
        "\n"
        "Stop container NAME: send its init the halt signal, wait for it to exit, then kill\n"
        "whatever is left.\n"
        "\n"
        "Options:\n"
        "  -t, --timeout SEC  how long to wait for init (default: the container's\n"
        "                     init.stop_timeout)\n"
        "  -k, --kill         kill at once, without asking init to halt\n"
        "  -h, --help         show this help\n";

static const char restart_help[] =
        "Usage: berth restart NAME [--timeout SEC]\n"
        "\n"
        "Stop container NAME as 'berth stop' does, then start it again.\n"
        "\n"
        "Options:\n"
        "  -t, --timeout SEC  how long to wait for init to halt (default: the container's\n"
        "                     init.stop_timeout)\n"
        "  -h, --help         show this help\n";

/* Seconds for the library, rounded up so "--timeout 500ms" still waits. */
static int timeout_to_sec(const char *verb, const char *s, int *ret)
{
        uint64_t usec;
        int r = tool_parse_timeout(verb, s, &usec);
        if (r != 0)
                return r;
        uint64_t sec = usec / 1000000 + (usec % 1000000 != 0);
        if (sec > INT_MAX)
                return tool_usage_error("%s: timeout '%s' is too large", verb, s);
        *ret = (int)sec;
        return 0;
}

static int stop_or_restart(int argc, char *argv[], bool restart)
{
        static const struct option stop_options[] = {
                {"timeout", required_argument, NULL, 't'},
                {"kill", no_argument, NULL, 'k'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        static const struct option restart_options[] = {
                {"timeout", required_argument, NULL, 't'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *verb = restart ? "restart" : "stop";
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int timeout_sec = -1;
        bool kill = false;
        int c, r;

        while ((c = getopt_long(argc, argv, restart ? ":t:h" : ":t:kh",
                                restart ? restart_options : stop_options, NULL)) >= 0) {
                switch (c) {
                case 't':
                        r = timeout_to_sec(verb, optarg, &timeout_sec);
                        if (r != 0)
                                return r;
                        break;
                case 'k':
                        kill = true;
                        break;
                case 'h':
                        return tool_help(restart ? restart_help : stop_help);
                default:
                        return tool_option_error(verb, c, argv);
                }
        }
        const char *name;
        BerthContext *ctx;
        r = tool_name_and_context(verb, argc, argv, &name, &ctx);
        if (r != 0)
                return r;
        if (restart)
                r = berth_restart(ctx, name, timeout_sec, &err);
        else
                r = berth_stop(ctx, name, timeout_sec, kill, &err);
        if (r < 0)
                return tool_fail(err, r);
        if (restart)
                tool_warn_if_privileged(ctx, name);
        return EXIT_SUCCESS;
}

int verb_stop(int argc, char *argv[])
{
        return stop_or_restart(argc, argv, false);
}

int verb_restart(int argc, char *argv[])
{
        return stop_or_restart(argc, argv, true);
}
