/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"

static const char start_help[] =
        "Usage: berth start NAME [--wait [--timeout SEC]] [--ephemeral]\n"
        "\n"
        "Start container NAME. Returns once its init runs, or with the reason it could not\n"
        "start.\n"
        "\n"
        "Options:\n"
        "  -w, --wait         also wait until the guest reports it finished booting\n"
        "                     (READY=1 on NOTIFY_SOCKET, as systemd sends it)\n"
        "  -t, --timeout SEC  give up waiting after SEC (default: no limit)\n"
        "  -e, --ephemeral    run on a throw-away copy-on-write layer: the container's\n"
        "                     own rootfs is left untouched\n"
        "  -h, --help         show this help\n";

int verb_start(int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"wait", no_argument, NULL, 'w'},
                {"timeout", required_argument, NULL, 't'},
                {"ephemeral", no_argument, NULL, 'e'},
                {},
        };
        bool wait = false;
        BerthStartOptions opts = {};
        uint64_t timeout = UINT64_MAX;
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, ":hwt:e", options, NULL)) >= 0) {
                if (c == 'h')
                        return tool_help(start_help);
                if (c == 'e') {
                        opts.ephemeral = true;
                        continue;
                }
                if (c == 'w') {
                        wait = true;
                        continue;
                }
                if (c == 't') {
                        r = tool_parse_timeout("start", optarg, &timeout);
                        if (r != 0)
                                return r;
                        continue;
                }
                return tool_option_error("start", c, argv);
        }
        const char *name;
        BerthContext *ctx;
        r = tool_name_and_context("start", argc, argv, &name, &ctx);
        if (r != 0)
                return r;
        /* Asked before the start: then no monitor is there to be asked. */
        bool privileged = !arg_quiet && tool_is_privileged(ctx, name);
        r = berth_start(ctx, name, &opts, &err);
        if (r >= 0 && privileged)
                tool_warn_privileged(name);
        if (r >= 0 && wait)
                r = berth_wait_ready(ctx, name, timeout, &err);
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}
