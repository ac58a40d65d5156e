/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>

#include "berth-tool.h"

static const char create_help[] =
        "Usage: berth create NAME -t TEMPLATE [--config FILE] [--backend B] [--ephemeral]\n"
        "                    [-- TEMPLATE-OPTIONS...]\n"
        "       berth create -f FILE [--dry-run] [--prune]\n"
        "\n"
        "Create container NAME with a rootfs built by TEMPLATE (busybox, debian, ...).\n"
        "Everything after '--' is passed to the template.\n"
        "With -f, apply a file that declares one or more containers (template, options,\n"
        "settings), shared host directories and a start order, as desired state: missing\n"
        "containers are created, existing ones get the settings their entry declares\n"
        "(limits live, the rest at their next start), the start list is started; each step\n"
        "is one line (create, update, unchanged, start, remove). Applying it again changes\n"
        "nothing.\n"
        "\n"
        "Options:\n"
        "  -t, --template TEMPLATE  the template to build the rootfs with (required)\n"
        "  -c, --config FILE        YAML settings applied on top of the template's\n"
        "  -f, --file FILE          apply a composition file\n"
        "  -n, --dry-run            with -f: print the plan, change nothing\n"
        "      --prune              with -f: also stop and destroy the containers the file\n"
        "                           created and no longer declares\n"
        "  -b, --backend B          rootfs storage: dir, overlay or btrfs (default: btrfs\n"
        "                           when the store is on btrfs, else dir)\n"
        "  -e, --ephemeral          destroy the container when it stops\n"
        "  -h, --help               show this help\n";

/* "limits.memory applied live; hostname at the next start" (dry run: "limits.memory (live),
 * hostname (next start)"); a stopped container's keys are saved, nothing more to say. */
static void print_change(const BerthConfigChange *c, bool dry_run)
{
        const char *sep = "";
        for (char **k = c->changed; k && *k; k++) {
                bool live = false, next = false;
                for (char **l = c->live; l && *l && !live; l++)
                        live = streq(*l, *k);
                for (char **l = c->next_start; l && *l && !next; l++)
                        next = streq(*l, *k);
                if (dry_run)
                        printf("%s%s%s", sep, *k, live ? " (live)" : next ? " (next start)" : "");
                else
                        printf("%s%s%s", sep, *k,
                               live   ? " applied live"
                               : next ? " at the next start"
                                      : " saved");
                sep = dry_run ? ", " : "; ";
        }
}

static int apply_file(const char *path, const BerthApplyOptions *opts)
{
        static const char *const done[_BERTH_APPLY_ACTION_MAX] = {
                [BERTH_APPLY_REMOVE] = "removed",     [BERTH_APPLY_CREATE] = "created",
                [BERTH_APPLY_UPDATE] = "updated",     [BERTH_APPLY_UNCHANGED] = "unchanged",
                [BERTH_APPLY_START] = "started",
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        BerthApplyResult res = {};
        int r = berth_apply_with(ctx, path, opts, &res, &err);
        if (r < 0)
                return tool_fail(err, r);
        /* The plan, or what was done: one line per step, in the order it was carried out. */
        for (size_t i = 0; i < res.n_steps; i++) {
                const BerthApplyStep *s = &res.steps[i];
                const char *what = opts->dry_run ? berth_apply_action_to_string(s->action)
                                                 : done[s->action];
                printf("%s %s", what, s->name);
                if (s->action == BERTH_APPLY_UPDATE) {
                        fputs(": ", stdout);
                        print_change(&s->change, opts->dry_run);
                }
                putchar('\n');
                fflush(stdout);
                if (!opts->dry_run &&
                    (s->action == BERTH_APPLY_CREATE || s->action == BERTH_APPLY_START))
                        tool_warn_if_privileged(ctx, s->name);
        }
        berth_apply_result_clear(&res);
        return EXIT_SUCCESS;
}

enum {
        ARG_PRUNE = 0x100,
};

int verb_create(int argc, char *argv[])
{
        static const struct option options[] = {
                {"template", required_argument, NULL, 't'},
                {"config", required_argument, NULL, 'c'},
                {"file", required_argument, NULL, 'f'},
                {"backend", required_argument, NULL, 'b'},
                {"ephemeral", no_argument, NULL, 'e'},
                {"dry-run", no_argument, NULL, 'n'},
                {"prune", no_argument, NULL, ARG_PRUNE},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthCreateOptions opts = {};
        BerthApplyOptions apply = {};
        const char *file = NULL;
        int c, r;

        /* The template's options are not ours: cut them off before parsing. */
        char **template_args = tool_split_dashdash(&argc, argv);

        while ((c = getopt_long(argc, argv, ":t:c:f:b:enh", options, NULL)) >= 0) {
                switch (c) {
                case 'n':
                        apply.dry_run = true;
                        break;
                case ARG_PRUNE:
                        apply.prune = true;
                        break;
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
                return apply_file(file, &apply);
        }
        if (apply.dry_run || apply.prune)
                return tool_usage_error("create: --dry-run and --prune go with -f FILE");
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
