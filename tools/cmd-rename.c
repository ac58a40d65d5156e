/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"

static const char rename_help[] =
        "Usage: berth rename NAME NEW-NAME\n"
        "\n"
        "Rename a stopped container, with its rootfs and snapshots. Its hostname follows when\n"
        "it was the old name (and /etc/hostname inside when it held exactly that); a hostname\n"
        "set to something else stays. The MAC address derived from the name changes with it\n"
        "(set network[].hwaddr to keep one). A composition file's mark is dropped, so\n"
        "'berth create -f FILE --prune' leaves the renamed container alone.\n"
        "\n"
        "Options:\n"
        "  -h, --help  show this help\n";

int verb_rename(int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (c == 'h')
                        return tool_help(rename_help);
                return tool_option_error("rename", c, argv);
        }
        r = tool_check_args("rename", argc, argv, optind, 1, 2, "container name");
        if (r == 0)
                r = tool_check_args("rename", argc, argv, optind, 2, 2, "new name");
        if (r == 0)
                r = tool_check_name(argv[optind]);
        if (r == 0)
                r = tool_check_name(argv[optind + 1]);
        if (r != 0)
                return r;
        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        r = berth_rename(ctx, argv[optind], argv[optind + 1], &err);
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}
