/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <string.h>

#include "berth-tool.h"
#include "strv.h"

static const char set_help[] =
        "Usage: berth set NAME KEY=VALUE...\n"
        "\n"
        "Set keys of container NAME's config.yaml, checked exactly as the file is:\n"
        "  berth set web limits.memory=1G limits.cpus=2 environment.TZ=UTC\n"
        "VALUE is YAML (a list or mapping in flow style: security.capabilities.drop=[sys_nice]);\n"
        "empty or null unsets a key. On a running container, changed limits.* apply at once\n"
        "(refused, naming the key, if the host cannot apply one) and the rest at its next start;\n"
        "the config is saved only when the limits applied, and the limits stay as they were if\n"
        "it cannot be saved.\n"
        "\n"
        "Options:\n"
        "  -h, --help  show this help\n";

void tool_print_config_change(const char *name, const BerthConfigChange *c)
{
        if (arg_quiet)
                return;
        if (!c->changed) {
                printf("%s: nothing changed\n", name);
                return;
        }
        STRV_FOREACH(k, c->changed) {
                if (strv_contains(c->live, *k))
                        printf("%s: %s: applied to the running container\n", name, *k);
                else if (strv_contains(c->next_start, *k))
                        printf("%s: %s: saved; takes effect at the next start\n", name, *k);
                else
                        printf("%s: %s: saved\n", name, *k);
        }
}

int verb_set(int argc, char *argv[])
{
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int c, r;

        /* "+": a VALUE may start with '-' (autostart.order=-5). */
        while ((c = getopt_long(argc, argv, "+:h", options, NULL)) >= 0) {
                if (c == 'h')
                        return tool_help(set_help);
                return tool_option_error("set", c, argv);
        }
        r = tool_check_args("set", argc, argv, optind, 1, -1, "container name");
        if (r != 0)
                return r;
        const char *name = argv[optind];
        r = tool_check_name(name);
        if (r != 0)
                return r;
        r = tool_check_args("set", argc, argv, optind + 1, 1, -1, "KEY=VALUE");
        if (r != 0)
                return r;
        for (int i = optind + 1; i < argc; i++)
                if (!strchr(argv[i], '=') || argv[i][0] == '=') {
                        _cleanup_free_ char *esc = berth_escape(argv[i]);
                        return tool_usage_error("set: invalid assignment '%s': use KEY=VALUE",
                                                esc);
                }

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        BerthConfigChange change = {};
        r = berth_set(ctx, name, argv + optind + 1, &change, &err);
        if (r < 0)
                return tool_fail(err, r);
        tool_print_config_change(name, &change);
        berth_config_change_clear(&change);
        return EXIT_SUCCESS;
}
