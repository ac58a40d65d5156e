/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <string.h>

#include "berth-tool.h"
#include "parse.h"
#include "strv.h"

/* A command line is no place for more than this; it keeps a runaway script bounded. */
#define ATTACH_ENV_MAX 1024

static const char attach_help[] =
        "Usage: berth attach NAME [OPTIONS...] -- CMD [ARGS...]\n"
        "\n"
        "Run CMD inside running container NAME (all its namespaces and its cgroup). Where this\n"
        "terminal is CMD's stdin, stdout or stderr, CMD gets a pty of the container, relayed\n"
        "here; pipes and files reach it as pipes. Exits with CMD's exit status (128+N when it\n"
        "was killed by signal N), or 1 when CMD could not be started.\n"
        "\n"
        "Options:\n"
        "  -c, --cwd DIR     working directory inside the container (default: /)\n"
        "  -e, --env K=V     set an environment variable (repeatable)\n"
        "  -u, --uid N       run as user id N inside the container (default: 0)\n"
        "  -g, --gid N       run as group id N inside the container (default: 0)\n"
        "  -h, --help        show this help\n";

static int parse_id(const char *what, const char *s, uint32_t *ret)
{
        uint64_t v;
        /* (uid_t) -1 means "unchanged" to the kernel: never a real id. */
        if (parse_uint64(s, &v) < 0 || v >= UINT32_MAX)
                return tool_usage_error("attach: invalid %s '%s'", what, s);
        *ret = (uint32_t)v;
        return 0;
}

int verb_attach(int argc, char *argv[])
{
        static const struct option options[] = {
                {"cwd", required_argument, NULL, 'c'},
                {"env", required_argument, NULL, 'e'},
                {"uid", required_argument, NULL, 'u'},
                {"gid", required_argument, NULL, 'g'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_strv_free_ char **env = NULL;
        BerthAttachOptions opts = {};
        uint32_t id = 0;
        size_t n_env = 0;
        int c, r;

        /* Everything after "--" is the command, options included. */
        char **command = tool_split_dashdash(&argc, argv);

        while ((c = getopt_long(argc, argv, ":c:e:u:g:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        if (optarg[0] != '/')
                                return tool_usage_error("attach: invalid directory '%s': use "
                                                        "an absolute path", optarg);
                        opts.cwd = optarg;
                        break;
                case 'e': {
                        const char *eq = strchr(optarg, '=');
                        if (!eq || eq == optarg)
                                return tool_usage_error("attach: invalid environment "
                                                        "variable '%s': use KEY=VALUE", optarg);
                        if (++n_env > ATTACH_ENV_MAX)
                                return tool_usage_error("attach: too many --env options (at "
                                                        "most %d)", ATTACH_ENV_MAX);
                        strv_extend(&env, optarg);
                        break;
                }
                case 'u':
                        r = parse_id("user id", optarg, &id);
                        if (r != 0)
                                return r;
                        opts.uid = (uid_t)id;
                        break;
                case 'g':
                        r = parse_id("group id", optarg, &id);
                        if (r != 0)
                                return r;
                        opts.gid = (gid_t)id;
                        break;
                case 'h':
                        return tool_help(attach_help);
                default:
                        return tool_option_error("attach", c, argv);
                }
        }

        r = tool_check_args("attach", argc, argv, optind, 1, command ? 1 : -1, "container name");
        if (r != 0)
                return r;
        const char *name = argv[optind];
        r = tool_check_name(name);
        if (r != 0)
                return r;
        /* Without "--", the words after NAME are the command. */
        if (!command)
                command = argv + optind + 1;
        if (!command[0])
                return tool_usage_error("attach: missing command: use berth attach NAME -- CMD "
                                        "[ARGS...]");
        if (!command[0][0])
                return tool_usage_error("attach: invalid command ''");
        opts.env = env;

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;

        int status = 0;
        fflush(stdout);
        r = berth_attach(ctx, name, command, &opts, &status, &err);
        if (r < 0)
                return tool_fail(err, r);
        return status < 0 || status > 255 ? 255 : status;
}
