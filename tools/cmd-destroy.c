/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"

static const char destroy_help[] =
        "Usage: berth destroy NAME [--force] [--snapshots]\n"
        "\n"
        "Delete container NAME: its configuration, rootfs, snapshots and logs.\n"
        "\n"
        "Options:\n"
        "  -f, --force      stop the container first when it is running\n"
        "  -s, --snapshots  also delete its snapshots (refused otherwise)\n"
        "  -h, --help       show this help\n";

int verb_destroy(int argc, char *argv[])
{
        static const struct option options[] = {
                {"force", no_argument, NULL, 'f'},
                {"snapshots", no_argument, NULL, 's'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        unsigned flags = 0;
        int c, r;

        while ((c = getopt_long(argc, argv, ":fsh", options, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        flags |= BERTH_DESTROY_FORCE;
                        break;
                case 's':
                        flags |= BERTH_DESTROY_SNAPSHOTS;
                        break;
                case 'h':
                        return tool_help(destroy_help);
                default:
                        return tool_option_error("destroy", c, argv);
                }
        }
        const char *name;
        BerthContext *ctx;
        r = tool_name_and_context("destroy", argc, argv, &name, &ctx);
        if (r != 0)
                return r;
        r = berth_destroy(ctx, name, flags, &err);
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}
