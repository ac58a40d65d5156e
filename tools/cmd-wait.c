/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"

static const char wait_help[] =
        "Usage: berth wait NAME STATE [--timeout SEC]\n"
        "\n"
        "Wait until container NAME is in STATE (STOPPED, STARTING, RUNNING, STOPPING,\n"
        "FREEZING, FROZEN or ABORTING; any case). Exits 1 when the timeout passes first.\n"
        "\n"
        "Options:\n"
        "  -t, --timeout SEC  give up after SEC seconds (default: wait forever)\n"
        "  -h, --help         show this help\n";

int verb_wait(int argc, char *argv[])
{
        static const struct option options[] = {
                {"timeout", required_argument, NULL, 't'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        uint64_t timeout_usec = UINT64_MAX;
        int c, r;

        while ((c = getopt_long(argc, argv, ":t:h", options, NULL)) >= 0) {
                switch (c) {
                case 't':
                        r = tool_parse_timeout("wait", optarg, &timeout_usec);
                        if (r != 0)
                                return r;
                        break;
                case 'h':
                        return tool_help(wait_help);
                default:
                        return tool_option_error("wait", c, argv);
                }
        }
        r = tool_check_args("wait", argc, argv, optind, 1, 2, "container name");
        if (r != 0)
                return r;
        r = tool_check_args("wait", argc, argv, optind, 2, 2, "state");
        if (r != 0)
                return r;
        const char *name = argv[optind], *state_name = argv[optind + 1];
        r = tool_check_name(name);
        if (r != 0)
                return r;
        BerthState state = berth_state_from_string(state_name);
        if (state < 0)
                return tool_usage_error("wait: invalid state '%s': use STOPPED, STARTING, "
                                        "RUNNING, STOPPING, FREEZING, FROZEN or ABORTING",
                                        state_name);

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        r = berth_wait(ctx, name, state, timeout_usec, &err);
        if (r == -ETIMEDOUT) {
                fprintf(stderr, "berth: wait '%s': timed out\n", name);
                return EXIT_FAILURE;
        }
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}
