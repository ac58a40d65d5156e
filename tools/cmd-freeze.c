/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"

static const char freeze_help[] =
        "Usage: berth freeze NAME\n"
        "\n"
        "Freeze every process of container NAME (the cgroup freezer).\n"
        "\n"
        "Options:\n"
        "  -h, --help  show this help\n";

static const char thaw_help[] =
        "Usage: berth thaw NAME\n"
        "\n"
        "Thaw a frozen container NAME.\n"
        "\n"
        "Options:\n"
        "  -h, --help  show this help\n";

static int freeze_or_thaw(int argc, char *argv[], bool thaw)
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *verb = thaw ? "thaw" : "freeze";
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (c == 'h')
                        return tool_help(thaw ? thaw_help : freeze_help);
                return tool_option_error(verb, c, argv);
        }
        const char *name;
        BerthContext *ctx;
        r = tool_name_and_context(verb, argc, argv, &name, &ctx);
        if (r != 0)
                return r;
        r = thaw ? berth_thaw(ctx, name, &err) : berth_freeze(ctx, name, &err);
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}

int verb_freeze(int argc, char *argv[])
{
        return freeze_or_thaw(argc, argv, false);
}

int verb_thaw(int argc, char *argv[])
{
        return freeze_or_thaw(argc, argv, true);
}
