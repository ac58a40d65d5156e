/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"

static const char create_help[] =
        "Usage: berth create NAME -t TEMPLATE [--config FILE] [-- TEMPLATE-OPTIONS...]\n"
        "\n"
        "Create container NAME with a rootfs built by TEMPLATE (busybox, debian, ...).\n"
        "Everything after '--' is passed to the template.\n"
        "\n"
        "Options:\n"
        "  -t, --template TEMPLATE  the template to build the rootfs with (required)\n"
        "  -c, --config FILE        YAML settings applied on top of the template's\n"
        "  -h, --help               show this help\n";

int verb_create(int argc, char *argv[])
{
        static const struct option options[] = {
                {"template", required_argument, NULL, 't'},
                {"config", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthCreateOptions opts = {};
        int c, r;

        /* The template's options are not ours: cut them off before parsing. */
        char **template_args = tool_split_dashdash(&argc, argv);

        while ((c = getopt_long(argc, argv, ":t:c:h", options, NULL)) >= 0) {
                switch (c) {
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
                case 'h':
                        return tool_help(create_help);
                default:
                        return tool_option_error("create", c, argv);
                }
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
        return EXIT_SUCCESS;
}
