/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "berth-tool.h"
#include "parse.h"
#include "strv.h"

static const char autostart_help[] =
        "Usage: berth autostart [--group G]... [--all] [--list | --stop | --kill] [--timeout SEC]\n"
        "\n"
        "Start the containers with autostart.enabled, as lxc-autostart does: by group, then\n"
        "autostart.order (lower first), then name, waiting each one's autostart.delay after its\n"
        "start before the next. With --stop or --kill, stop them in the reverse order, each\n"
        "within its stop timeout. Containers already in the wanted state are left alone; a\n"
        "failure does not stop the others (the exit status is 1 then). berth.service runs\n"
        "'berth autostart' at boot and 'berth autostart --stop' at shutdown.\n"
        "\n"
        "Options:\n"
        "  -g, --group G       only the containers of group G, groups in the order given\n"
        "                      (repeat it, or G1,G2; an empty name is the containers without\n"
        "                      a group: -g web, means web, then those); default: every group\n"
        "  -a, --all           also the containers without autostart.enabled\n"
        "  -L, --list          print NAME ORDER DELAY GROUP of each, in start order; act on none\n"
        "  -s, --stop          stop them, last started first\n"
        "  -k, --kill          kill them, last started first\n"
        "  -t, --timeout SEC   with --stop: each container's stop timeout\n"
        "                      (default: its init.stop_timeout)\n"
        "  -h, --help          show this help\n";

static void report(const char *name, BerthAutostartAction action, BerthAutostartOutcome outcome,
                   const BerthError *err, void *userdata)
{
        static const char *const done[] = {
                [BERTH_AUTOSTART_START] = "started",
                [BERTH_AUTOSTART_STOP] = "stopped",
                [BERTH_AUTOSTART_KILL] = "killed",
        };
        switch (outcome) {
        case BERTH_AUTOSTART_DONE:
                if (!arg_quiet)
                        printf("%s %s\n", done[action], name);
                break;
        case BERTH_AUTOSTART_ALREADY:
                if (!arg_quiet)
                        printf("%s: already %s\n", name,
                               action == BERTH_AUTOSTART_START ? "running" : "stopped");
                break;
        case BERTH_AUTOSTART_FAILED:
                fprintf(stderr, "berth: %s\n", berth_error_message(err, -EIO));
                break;
        }
        /* A unit's journal shows each container as it goes. */
        fflush(stdout);
}

static int list(BerthContext *ctx, const BerthAutostartOptions *opts)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthAutostartEntry *e = NULL;
        size_t n = 0;
        int r = berth_autostart_list(ctx, opts, &e, &n, &err);
        if (r < 0) {
                tool_fail(err, r);
                return r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE;
        }
        for (size_t i = 0; i < n; i++) {
                char delay[32];
                snprintf(delay, sizeof(delay), "%" PRIu64 ".%03" PRIu64,
                         e[i].delay_usec / 1000000, e[i].delay_usec % 1000000 / 1000);
                printf("%s %" PRId64 " %s %s\n", e[i].name, e[i].order, delay,
                       e[i].group ?: "-");
        }
        berth_autostart_entries_free(e, n);
        return EXIT_SUCCESS;
}

int verb_autostart(int argc, char *argv[])
{
        static const struct option options[] = {
                {"group", required_argument, NULL, 'g'},
                {"all", no_argument, NULL, 'a'},
                {"list", no_argument, NULL, 'L'},
                {"stop", no_argument, NULL, 's'},
                {"kill", no_argument, NULL, 'k'},
                {"timeout", required_argument, NULL, 't'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_strv_free_ char **groups = NULL;
        BerthAutostartOptions opts = {.timeout_sec = -1};
        BerthAutostartAction action = BERTH_AUTOSTART_START;
        bool do_list = false;
        int modes = 0, c, r;

        while ((c = getopt_long(argc, argv, ":g:aLskt:h", options, NULL)) >= 0) {
                switch (c) {
                case 'g': {
                        /* "a,b," is a, b and the containers without a group. */
                        const char *p = optarg;
                        for (;;) {
                                size_t len = strcspn(p, ",");
                                strv_push(&groups, xstrndup(p, len));
                                if (!p[len])
                                        break;
                                p += len + 1;
                        }
                        break;
                }
                case 'a':
                        opts.all = true;
                        break;
                case 'L':
                        do_list = true;
                        modes++;
                        break;
                case 's':
                        action = BERTH_AUTOSTART_STOP;
                        modes++;
                        break;
                case 'k':
                        action = BERTH_AUTOSTART_KILL;
                        modes++;
                        break;
                case 't': {
                        uint64_t usec;
                        r = tool_parse_timeout("autostart", optarg, &usec);
                        if (r != 0)
                                return r;
                        opts.timeout_sec = usec / 1000000 > INT_MAX ? INT_MAX
                                                                    : (int)(usec / 1000000);
                        break;
                }
                case 'h':
                        return tool_help(autostart_help);
                default:
                        return tool_option_error("autostart", c, argv);
                }
        }
        r = tool_check_args("autostart", argc, argv, optind, 0, 0, NULL);
        if (r != 0)
                return r;
        if (modes > 1)
                return tool_usage_error("autostart: --list, --stop and --kill exclude each other");
        if (opts.timeout_sec >= 0 && action != BERTH_AUTOSTART_STOP)
                return tool_usage_error("autostart: --timeout goes with --stop");
        opts.groups = groups;

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        if (do_list)
                return list(ctx, &opts);
        /* A group name that cannot be is a usage error, found before anything starts. */
        BerthAutostartEntry *e = NULL;
        size_t n = 0;
        r = berth_autostart_list(ctx, &opts, &e, &n, &err);
        berth_autostart_entries_free(e, n);
        if (r < 0) {
                tool_fail(err, r);
                return r == -EINVAL ? EXIT_USAGE : EXIT_FAILURE;
        }
        r = berth_autostart(ctx, action, &opts, report, NULL, &err);
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}
