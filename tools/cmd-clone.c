/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"

static const char clone_help[] =
        "Usage: berth clone SRC DST [--snapshot SNAP] [--cow]\n"
        "\n"
        "Create container DST as a copy of SRC (or of SRC's snapshot SNAP), with its own\n"
        "name, hostname, uuid (so its machine-id differs) and MAC address. The copy is a\n"
        "subvolume snapshot on btrfs, shares read-only layers on overlay and is a reflink\n"
        "or full copy on dir. A running SRC is frozen for the copy.\n"
        "\n"
        "Options:\n"
        "  -s, --snapshot SNAP  clone this snapshot instead of the current rootfs\n"
        "      --cow            copy-on-write only: fail where the backend cannot share\n"
        "                       data (dir on a filesystem without reflinks)\n"
        "  -h, --help           show this help\n";

enum { ARG_COW = 0x100 };

int verb_clone(int argc, char *argv[])
{
        static const struct option options[] = {
                {"snapshot", required_argument, NULL, 's'},
                {"cow", no_argument, NULL, ARG_COW},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        BerthCloneOptions opts = {};
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, ":s:h", options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        opts.snapshot = optarg;
                        break;
                case ARG_COW:
                        opts.cow = true;
                        break;
                case 'h':
                        return tool_help(clone_help);
                default:
                        return tool_option_error("clone", c, argv);
                }
        }
        r = tool_check_args("clone", argc, argv, optind, 2, 2, "source container name");
        if (r != 0)
                return r;
        if ((r = tool_check_name(argv[optind])) != 0 || (r = tool_check_name(argv[optind + 1])) != 0)
                return r;
        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        r = berth_clone(ctx, argv[optind], argv[optind + 1], &opts, &err);
        return r < 0 ? tool_fail(err, r) : EXIT_SUCCESS;
}
