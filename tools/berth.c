/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "berth-tool.h"
#include "log.h"

bool arg_quiet = false;
static BerthContextOptions arg_context_options = {};
static BerthContext *tool_ctx = NULL;

/* Long operations report progress: lines of text, shown on stderr, and fractions of a copy,
 * shown as a bar on a terminal (progress.c). */
static void print_progress(const char *line, double fraction, void *userdata)
{
        if (!arg_quiet)
                tool_progress(line, fraction);
}

BerthContext *tool_context(void)
{
        if (tool_ctx)
                return tool_ctx;

        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = berth_context_new(&arg_context_options, &tool_ctx, &err);
        if (r < 0) {
                tool_fail(err, r);
                tool_ctx = NULL;
                return NULL;
        }
        berth_context_set_progress(tool_ctx, print_progress, NULL);
        return tool_ctx;
}

static int verb_top(int argc, char *argv[])
{
        if (argc > 1 && (streq(argv[1], "--help") || streq(argv[1], "-h")))
                return tool_help("Usage: berth top [BERTH-TUI OPTIONS...]\n\n"
                                 "Run the berth-tui dashboard.\n");

        /* berth-tui builds its own context: hand it ours through the environment, which
         * berth_context_new() reads when no option is given. */
        if (arg_context_options.store)
                setenv("BERTH_STORE", arg_context_options.store, 1);
        if (arg_context_options.rundir)
                setenv("BERTH_RUNDIR", arg_context_options.rundir, 1);
        if (arg_context_options.cgroup_parent)
                setenv("BERTH_CGROUP", arg_context_options.cgroup_parent, 1);

        char **tui_argv = xcalloc((size_t)argc + 1, sizeof(char *));
        tui_argv[0] = (char *)"berth-tui";
        for (int i = 1; i < argc; i++)
                tui_argv[i] = argv[i];

        execvp(tui_argv[0], tui_argv);
        int e = errno;
        free(tui_argv);
        if (e == ENOENT)
                fprintf(stderr, "berth: top: berth-tui not installed\n");
        else
                fprintf(stderr, "berth: top: execute 'berth-tui': %s\n", strerror(e));
        return EXIT_FAILURE;
}

static int verb_help(int argc, char *argv[]);

typedef struct Verb {
        const char *name;
        VerbFunc run;
        const char *summary; /* NULL: an alias, not listed */
} Verb;

static const Verb verbs[] = {
        {"create", verb_create, "create a container from a template"},
        {"start", verb_start, "start a container"},
        {"stop", verb_stop, "stop a container"},
        {"restart", verb_restart, "stop and start a container"},
        {"freeze", verb_freeze, "freeze every process of a container"},
        {"thaw", verb_thaw, "thaw a frozen container"},
        {"wait", verb_wait, "wait until a container reaches a state"},
        {"events", verb_events, "print container events as they happen"},
        {"ls", verb_list, "list containers"},
        {"list", verb_list, NULL},
        {"info", verb_info, "show a container's state and resource use"},
        {"attach", verb_attach, "run a command inside a running container"},
        {"console", verb_console, "connect to a container's console or a tty"},
        {"destroy", verb_destroy, "delete a container and its rootfs"},
        {"config", verb_config, "validate, show or edit a container's configuration"},
        {"network", verb_network, "bring berth's bridge (DHCP, DNS, NAT) up or down"},
        {"snapshot", verb_snapshot, "take, list, restore or delete snapshots"},
        {"clone", verb_clone, "copy a container (or a snapshot) into a new one"},
        {"set", verb_set, "change keys of a container's configuration, limits live"},
        {"autostart", verb_autostart, "start or stop the containers marked for autostart"},
        {"logs", verb_logs, "print a container's console log, or follow it"},
        {"cp", verb_cp, "copy files into or out of a container"},
        {"doctor", verb_doctor, "check what berth needs of this host"},
        {"rename", verb_rename, "rename a stopped container"},
        {"top", verb_top, "run the berth-tui dashboard"},
        {"help", verb_help, "show this help"},
};

static void print_usage(FILE *f)
{
        fputs("Usage: berth [GLOBAL OPTIONS] COMMAND [ARGS...]\n"
              "\n"
              "Manage system containers.\n"
              "\n"
              "Global options:\n"
              "  --store DIR           container store\n"
              "                        (default: $BERTH_STORE or " BERTH_STORE_DEFAULT ")\n"
              "  --rundir DIR          runtime directory\n"
              "                        (default: $BERTH_RUNDIR or " BERTH_RUNDIR_DEFAULT ")\n"
              "  --cgroup-parent NAME  parent cgroup of the containers\n"
              "                        (default: $BERTH_CGROUP or berth)\n"
              "  --debug               log debug messages\n"
              "  -q, --quiet           print only errors\n"
              "  -h, --help            show this help\n"
              "  --version             show the version\n"
              "\n"
              "Commands:\n",
              f);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (verbs[i].summary)
                        fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
        fputs("\nRun 'berth COMMAND --help' for a command's options.\n", f);
}

static int verb_help(int argc, char *argv[])
{
        print_usage(stdout);
        return EXIT_SUCCESS;
}

static const Verb *find_verb(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];
        return NULL;
}

enum {
        ARG_STORE = 0x100,
        ARG_RUNDIR,
        ARG_CGROUP_PARENT,
        ARG_DEBUG,
        ARG_VERSION,
};

static int parse_global(int argc, char *argv[])
{
        static const struct option options[] = {
                {"store", required_argument, NULL, ARG_STORE},
                {"rundir", required_argument, NULL, ARG_RUNDIR},
                {"cgroup-parent", required_argument, NULL, ARG_CGROUP_PARENT},
                {"debug", no_argument, NULL, ARG_DEBUG},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, ARG_VERSION},
                {},
        };
        int c;

        opterr = 0;
        /* "+": stop at the subcommand, whose options are its own. */
        while ((c = getopt_long(argc, argv, "+:qh", options, NULL)) >= 0) {
                switch (c) {
                case ARG_STORE:
                        if (!*optarg)
                                return tool_usage_error("invalid store directory ''");
                        arg_context_options.store = optarg;
                        break;
                case ARG_RUNDIR:
                        if (!*optarg)
                                return tool_usage_error("invalid runtime directory ''");
                        arg_context_options.rundir = optarg;
                        break;
                case ARG_CGROUP_PARENT:
                        if (!*optarg)
                                return tool_usage_error("invalid cgroup parent ''");
                        arg_context_options.cgroup_parent = optarg;
                        break;
                case ARG_DEBUG:
                        log_set_max_level(LOG_LEVEL_DEBUG);
                        break;
                case 'q':
                        arg_quiet = true;
                        log_set_max_level(LOG_LEVEL_ERR);
                        break;
                case 'h':
                        print_usage(stdout);
                        return -1;
                case ARG_VERSION:
                        printf("berth %s\n", PACKAGE_VERSION);
                        return -1;
                default:
                        return tool_option_error(NULL, c, argv);
                }
        }
        return 0;
}

int main(int argc, char *argv[])
{
        int r;

        log_set_prefix("berth");

        r = parse_global(argc, argv);
        if (r < 0)
                return EXIT_SUCCESS; /* --help or --version */
        if (r > 0)
                return r;

        if (optind >= argc) {
                print_usage(stderr);
                return EXIT_USAGE;
        }

        const Verb *v = find_verb(argv[optind]);
        if (!v)
                return tool_usage_error("unknown command '%s': see 'berth --help'", argv[optind]);

        /* Each subcommand parses its own options from a fresh getopt state. */
        int verb_argc = argc - optind;
        char **verb_argv = argv + optind;
        optind = 0;
        r = v->run(verb_argc, verb_argv);

        tool_ctx = berth_context_free(tool_ctx);
        if (fflush(stdout) != 0 && r == EXIT_SUCCESS) {
                fprintf(stderr, "berth: write output: %s\n", strerror(errno));
                r = EXIT_FAILURE;
        }
        return r;
}
