/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "berth-tool.h"

static const char cp_help[] =
        "Usage: berth cp [--follow-link] SRC DST\n"
        "\n"
        "Copy a file or a directory tree into or out of a container (running or stopped). One\n"
        "of SRC and DST is NAME:PATH, an absolute path in container NAME; the other a host path:\n"
        "  berth cp ./site web:/srv/      berth cp web:/etc/hosts ./\n"
        "As cp -r: a directory DST gets the copy under SRC's name, else the copy is DST (its\n"
        "parent must exist). Paths in the container are resolved inside it: a symlink there\n"
        "never leads to the host. Symlinks are copied as symlinks; modes and times are kept;\n"
        "device nodes, fifos, sockets and other file systems below SRC are skipped. What goes\n"
        "in belongs to the container's root; what comes out belongs to you, without\n"
        "set-user-ID and set-group-ID bits.\n"
        "\n"
        "Options:\n"
        "  -L, --follow-link  when SRC itself is a symlink, copy what it points at\n"
        "  -h, --help         show this help\n";

/* "NAME:PATH" with a valid container name before the colon: *ret_name is a copy of NAME. A
 * host path with a colon can always be written so that it is not (./a:b). */
static const char *container_part(const char *arg, char **ret_name)
{
        const char *colon = strchr(arg, ':');
        if (!colon || colon == arg)
                return NULL;
        _cleanup_free_ char *name = xstrndup(arg, colon - arg);
        if (strchr(name, '/'))
                return NULL;
        *ret_name = TAKE_PTR(name);
        return colon + 1;
}

int verb_cp(int argc, char *argv[])
{
        static const struct option options[] = {
                {"follow-link", no_argument, NULL, 'L'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthCopyOptions opts = {};
        int c, r;

        while ((c = getopt_long(argc, argv, ":Lh", options, NULL)) >= 0) {
                switch (c) {
                case 'L':
                        opts.follow_link = true;
                        break;
                case 'h':
                        return tool_help(cp_help);
                default:
                        return tool_option_error("cp", c, argv);
                }
        }
        r = tool_check_args("cp", argc, argv, optind, 1, 2, "source");
        if (r != 0)
                return r;
        r = tool_check_args("cp", argc, argv, optind, 2, 2, "destination");
        if (r != 0)
                return r;
        const char *src = argv[optind], *dst = argv[optind + 1];
        _cleanup_free_ char *src_name = NULL, *dst_name = NULL;
        const char *src_path = container_part(src, &src_name);
        const char *dst_path = container_part(dst, &dst_name);
        if (src_path && dst_path)
                return tool_usage_error("cp: copying between containers is not supported: copy "
                                        "through the host");
        if (!src_path && !dst_path)
                return tool_usage_error("cp: one of SRC and DST must be NAME:PATH in a container");
        const char *name = src_name ?: dst_name;
        r = tool_check_name(name);
        if (r != 0)
                return r;
        const char *cpath = src_path ?: dst_path;
        if (cpath[0] != '/')
                return tool_usage_error("cp: '%s': the path in the container must be absolute",
                                        src_path ? src : dst);
        if (!*(src_path ? dst : src))
                return tool_usage_error("cp: the host path is empty");

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        BerthCopyResult res = {};
        if (src_path)
                r = berth_copy_from(ctx, name, src_path, dst, &opts, &res, &err);
        else
                r = berth_copy_to(ctx, name, src, dst_path, &opts, &res, &err);
        if (r < 0)
                return tool_fail(err, r);
        if (res.skipped > 0 && !arg_quiet)
                fprintf(stderr,
                        "berth: cp '%s': skipped %" PRIu64
                        " device nodes, fifos, sockets or mount points\n",
                        name, res.skipped);
        return EXIT_SUCCESS;
}
