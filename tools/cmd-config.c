/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <string.h>

#include "berth-tool.h"

static const char config_help[] =
        "Usage: berth config NAME validate|show\n"
        "\n"
        "validate  check container NAME's config.yaml; errors name file, line and column\n"
        "show      print the effective configuration as YAML\n"
        "\n"
        "Options:\n"
        "  -h, --help  show this help\n";

int verb_config(int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, ":h", options, NULL)) >= 0) {
                if (c == 'h')
                        return tool_help(config_help);
                return tool_option_error("config", c, argv);
        }
        r = tool_check_args("config", argc, argv, optind, 1, 2, "container name");
        if (r != 0)
                return r;
        r = tool_check_args("config", argc, argv, optind, 2, 2, "action: validate or show");
        if (r != 0)
                return r;
        const char *name = argv[optind], *action = argv[optind + 1];
        r = tool_check_name(name);
        if (r != 0)
                return r;
        if (!streq(action, "validate") && !streq(action, "show"))
                return tool_usage_error("config: unknown action '%s': use validate or show",
                                        action);

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;

        if (streq(action, "validate")) {
                r = berth_config_validate(ctx, name, &err);
                if (r < 0)
                        return tool_fail(err, r);
                if (!arg_quiet)
                        printf("config of '%s' is valid\n", name);
                return EXIT_SUCCESS;
        }

        _cleanup_free_ char *yaml = NULL;
        r = berth_config_show(ctx, name, &yaml, &err);
        if (r < 0)
                return tool_fail(err, r);
        fputs(yaml, stdout);
        if (*yaml && yaml[strlen(yaml) - 1] != '\n')
                fputc('\n', stdout);
        return EXIT_SUCCESS;
}
