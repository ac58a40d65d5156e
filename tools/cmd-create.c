/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"

static const char create_help[] =
        "Usage: berth create NAME -t TEMPLATE [--config FILE] [--backend B] [--ephemeral]\n"
        "                    [-- TEMPLATE-OPTIONS...]\n"
        "       berth create -f FILE\n"
        "\n"
        "Create container NAME with a rootfs built by TEMPLATE (busybox, debian, ...).\n"
        "Everything after '--' is passed to the template.\n"
        "With -f, apply a file that declares one or more containers (template, options,\n"
        "settings), shared host directories and a start order; applying it again changes\n"
        "nothing.\n"
        "\n"
        "Options:\n"
        "  -t, --template TEMPLATE  the template to build the rootfs with (required)\n"
        "  -c, --config FILE        YAML settings applied on top of the template's\n"
        "  -f, --file FILE          apply a composition file\n"
        "  -b, --backend B          rootfs storage: dir, overlay or btrfs (default: btrfs\n"
        "                           when the store is on btrfs, else dir)\n"
        "  -e, --ephemeral          destroy the container when it stops\n"
        "  -h, --help               show this help\n";

static int apply_file(const char *path)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        BerthApplyResult res = {};
        int r = berth_apply(ctx, path, &res, &err);
        if (r < 0)
                return tool_fail(err, r);
        for (char **s = res.created; s && *s; s++) {
                printf("created %s\n", *s);
                fflush(stdout);
                tool_warn_if_privileged(ctx, *s);
        }
        for (char **s = res.existing; s && *s; s++)
                printf("unchanged %s (exists)\n", *s);
        for (char **s = res.started; s && *s; s++) {
                printf("started %s\n", *s);
                fflush(stdout);
                tool_warn_if_privileged(ctx, *s);
        }
        berth_apply_result_clear(&res);
        return EXIT_SUCCESS;
}

int verb_create(int argc, char *argv[])
{
        static const struct option options[] = {
                {"template", required_argument, NULL, 't'},
                {"config", required_argument, NULL, 'c'},
                {"file", required_argument, NULL, 'f'},
                {"backend", required_argument, NULL, 'b'},
                {"ephemeral", no_argument, NULL, 'e'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthCreateOptions opts = {};
        const char *file = NULL;
        int c, r;

        /* The template's options are not ours: cut them off before parsing. */
        char **template_args = tool_split_dashdash(&argc, argv);

        while ((c = getopt_long(argc, argv, ":t:c:f:b:eh", options, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        if (!*optarg)
                                return tool_usage_error("create: invalid file ''");
                        file = optarg;
                        break;
                case 't':
                        if (!*optarg)
                                return tool_usage_error("create: invalid template name ''");
                        opts.template_name = optarg;
                        break;
                case 'c':
                        if (!*optarg)
                                return tool_usage_error("create: invalid config file ''");
                        opts.config_path = optarg;
                        break;
                case 'b':
                        if (!*optarg)
                                return tool_usage_error("create: invalid backend ''");
                        opts.backend = optarg;
                        break;
                case 'e':
                        opts.ephemeral = true;
                        break;
                case 'h':
                        return tool_help(create_help);
                default:
                        return tool_option_error("create", c, argv);
                }
        }
        if (file) {
                if (opts.template_name || opts.config_path || opts.backend || opts.ephemeral ||
                    optind < argc ||
                    (template_args && *template_args))
                        return tool_usage_error("create: -f takes no name, template or options: "
                                                "the file declares them");
                return apply_file(file);
        }
        r = tool_check_args("create", argc, argv, optind, 1, 1, "container name");
        if (r != 0)
                return r;
        const char *name = argv[optind];
        r = tool_check_name(name);
        if (r != 0)
                return r;
        if (!opts.template_name)
                return tool_usage_error("create: missing template: use -t TEMPLATE");
        opts.template_args = template_args && *template_args ? template_args : NULL;

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        r = berth_create(ctx, name, &opts, &err);
        if (r < 0)
                return tool_fail(err, r);
        tool_warn_if_privileged(ctx, name);
        return EXIT_SUCCESS;
}
