/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth-tool.h"

static const char info_help[] =
        "Usage: berth info NAME [--json]\n"
        "\n"
        "Show container NAME's state, init PID, resource use and limits.\n"
        "\n"
        "Options:\n"
        "  -j, --json  print one JSON object (unknown values are null)\n"
        "  -h, --help  show this help\n";

/* ISO 8601 in local time with the UTC offset: "2024-05-01T12:34:56+02:00". */
static const char *format_timestamp(char *buf, size_t size, uint64_t usec)
{
        time_t t = (time_t)(usec / 1000000);
        struct tm tm;
        char zone[8];

        if (usec == 0 || !localtime_r(&t, &tm) ||
            strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0 ||
            strftime(zone, sizeof(zone), "%z", &tm) != 5) {
                snprintf(buf, size, "-");
                return buf;
        }
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, "%.3s:%.2s", zone, zone + 3);
        return buf;
}

static void print_info(const BerthInfo *info)
{
        bool stopped = info->state == BERTH_STATE_STOPPED;
        char since[64], cur[32], lim[32];

        printf("Name: %s\n", info->name);
        printf("State: %s\n", strempty(berth_state_to_string(info->state)));
        if (info->init_pid > 0)
                printf("PID: %d\n", (int)info->init_pid);
        else
                printf("PID: -\n");
        printf("Since: %s\n", format_timestamp(since, sizeof(since), info->since_usec));
        if (info->orphaned)
                printf("Monitor: lost (the next command that changes the container takes it "
                       "back over)\n");

        if (stopped || info->cpu_usec == UINT64_MAX)
                printf("CPU use: -\n");
        else
                printf("CPU use: %.2f s\n", (double)info->cpu_usec / 1e6);

        if (stopped)
                printf("Memory use: -\n");
        else
                printf("Memory use: %s / %s\n",
                       info->memory_current == UINT64_MAX
                               ? "-"
                               : format_bytes(cur, sizeof(cur), info->memory_current, " "),
                       info->memory_limit == UINT64_MAX
                               ? "-"
                               : format_bytes(lim, sizeof(lim), info->memory_limit, " "));

        if (stopped)
                printf("Pids: -\n");
        else {
                printf("Pids: ");
                if (info->pids_current == UINT64_MAX)
                        printf("-");
                else
                        printf("%" PRIu64, info->pids_current);
                if (info->pids_limit == UINT64_MAX)
                        printf(" / -\n");
                else
                        printf(" / %" PRIu64 "\n", info->pids_limit);
        }

        printf("Autostart: %s\n", info->autostart ? "yes" : "no");
        printf("IPv4: %s\n", info->ipv4 ? info->ipv4 : "-");
        for (char **a = info->addresses; a && *a; a++)
                printf("Address: %s\n", *a);
        printf("Backend: %s\n", info->backend ? info->backend : "-");
        printf("Snapshots: %zu\n", info->n_snapshots);
}

int verb_info(int argc, char *argv[])
{
        static const struct option options[] = {
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        bool json = false;
        int c, r;

        while ((c = getopt_long(argc, argv, ":jh", options, NULL)) >= 0) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'h':
                        return tool_help(info_help);
                default:
                        return tool_option_error("info", c, argv);
                }
        }
        const char *name;
        BerthContext *ctx;
        r = tool_name_and_context("info", argc, argv, &name, &ctx);
        if (r != 0)
                return r;

        BerthInfo info = {};
        r = berth_info(ctx, name, &info, &err);
        if (r < 0)
                return tool_fail(err, r);

        if (json) {
                json_print_info(stdout, &info);
                fputc('\n', stdout);
        } else
                print_info(&info);
        berth_info_clear(&info);
        return EXIT_SUCCESS;
}
