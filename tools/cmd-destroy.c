/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"

static const char destroy_help[] =
        "Usage: berth destroy NAME [--force]\n"
        "\n"
        "Delete container NAME: its configuration, rootfs, snapshots and logs.\n"
        "\n"
        "Options:\n"
        "  -f, --force  stop the container first when it is running\n"
        "  -h, --help   show this help\n";

int verb_destroy(int argc, char *argv[])
{
        static const struct option options[] = {
                {"force", no_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        bool force = false;
        int c, r;

        while ((c = getopt_long(argc, argv, ":fh", options, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        force = true;
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
        r = berth_destroy(ctx, name, force ? BERTH_DESTROY_FORCE : 0, &err);
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}
