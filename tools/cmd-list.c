/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "berth-tool.h"
#include "strv.h"

static const char list_help[] =
        "Usage: berth ls [--fancy | --json]\n"
        "\n"
        "List the containers of the store, one name per line.\n"
        "\n"
        "Options:\n"
        "  -f, --fancy  a table: NAME STATE PID CPU MEMORY PIDS AUTOSTART\n"
        "  -j, --json   a JSON array of objects like 'berth info --json'\n"
        "  -h, --help   show this help\n";

enum {
        COL_NAME,
        COL_STATE,
        COL_PID,
        COL_CPU,
        COL_MEMORY,
        COL_PIDS,
        COL_AUTOSTART,
        _COL_MAX,
};

static const char *const col_headers[_COL_MAX] = {
        "NAME", "STATE", "PID", "CPU", "MEMORY", "PIDS", "AUTOSTART",
};

typedef struct Row {
        char *cols[_COL_MAX];
} Row;

static void row_fill(Row *row, const BerthInfo *info)
{
        bool stopped = info->state == BERTH_STATE_STOPPED;
        char cur[32], lim[32];

        row->cols[COL_NAME] = xstrdup(info->name);
        row->cols[COL_STATE] = xstrdup(strempty(berth_state_to_string(info->state)));
        row->cols[COL_PID] = info->init_pid > 0 ? xasprintf("%d", (int)info->init_pid)
                                                : xstrdup("-");

        if (stopped || info->cpu_usec == UINT64_MAX)
                row->cols[COL_CPU] = xstrdup("-");
        else
                row->cols[COL_CPU] = xasprintf("%.2fs", (double)info->cpu_usec / 1e6);

        if (stopped || info->memory_current == UINT64_MAX)
                row->cols[COL_MEMORY] = xstrdup("-");
        else
                row->cols[COL_MEMORY] = xasprintf(
                        "%s/%s", format_bytes(cur, sizeof(cur), info->memory_current, ""),
                        info->memory_limit == UINT64_MAX
                                ? "-"
                                : format_bytes(lim, sizeof(lim), info->memory_limit, ""));

        if (stopped || info->pids_current == UINT64_MAX)
                row->cols[COL_PIDS] = xstrdup("-");
        else if (info->pids_limit == UINT64_MAX)
                row->cols[COL_PIDS] = xasprintf("%" PRIu64 "/-", info->pids_current);
        else
                row->cols[COL_PIDS] =
                        xasprintf("%" PRIu64 "/%" PRIu64, info->pids_current, info->pids_limit);

        row->cols[COL_AUTOSTART] = xstrdup(info->autostart ? "YES" : "NO");
}

static void print_row(char *const cols[], const size_t widths[])
{
        for (size_t i = 0; i < _COL_MAX; i++) {
                if (i + 1 < _COL_MAX)
                        printf("%-*s  ", (int)widths[i], cols[i]);
                else
                        printf("%s\n", cols[i]);
        }
}

/* Info of one container; a container removed since the listing is silently left out. */
static int get_info(BerthContext *ctx, const char *name, BerthInfo *ret, bool *failed)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = berth_info(ctx, name, ret, &err);
        if (r == -ENOENT)
                return r;
        if (r < 0) {
                tool_fail(err, r);
                *failed = true;
        }
        return r;
}

static void list_fancy(BerthContext *ctx, char **names, bool *failed)
{
        size_t n = strv_length(names), n_rows = 0;
        Row *rows = xcalloc(n + 1, sizeof(Row));
        size_t widths[_COL_MAX];

        for (size_t i = 0; i < _COL_MAX; i++)
                widths[i] = strlen(col_headers[i]);

        for (size_t i = 0; i < n; i++) {
                BerthInfo info = {};
                if (get_info(ctx, names[i], &info, failed) < 0)
                        continue;
                row_fill(&rows[n_rows], &info);
                berth_info_clear(&info);
                for (size_t j = 0; j < _COL_MAX; j++)
                        widths[j] = MAX(widths[j], strlen(rows[n_rows].cols[j]));
                n_rows++;
        }

        print_row((char *const *)col_headers, widths);
        for (size_t i = 0; i < n_rows; i++) {
                print_row(rows[i].cols, widths);
                for (size_t j = 0; j < _COL_MAX; j++)
                        free(rows[i].cols[j]);
        }
        free(rows);
}

static void list_json(BerthContext *ctx, char **names, bool *failed)
{
        bool first = true;

        fputc('[', stdout);
        STRV_FOREACH(name, names) {
                BerthInfo info = {};
                if (get_info(ctx, *name, &info, failed) < 0)
                        continue;
                fputs(first ? "\n  " : ",\n  ", stdout);
                json_print_info(stdout, &info);
                berth_info_clear(&info);
                first = false;
        }
        fputs(first ? "]\n" : "\n]\n", stdout);
}

int verb_list(int argc, char *argv[])
{
        static const struct option options[] = {
                {"fancy", no_argument, NULL, 'f'},
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_strv_free_ char **names = NULL;
        bool fancy = false, json = false, failed = false;
        int c, r;

        while ((c = getopt_long(argc, argv, ":fjh", options, NULL)) >= 0) {
                switch (c) {
                case 'f':
                        fancy = true;
                        break;
                case 'j':
                        json = true;
                        break;
                case 'h':
                        return tool_help(list_help);
                default:
                        return tool_option_error(argv[0], c, argv);
                }
        }
        r = tool_check_args(argv[0], argc, argv, optind, 0, 0, "");
        if (r != 0)
                return r;
        if (fancy && json)
                return tool_usage_error("%s: --fancy and --json cannot be combined", argv[0]);

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        r = berth_list(ctx, &names, &err);
        if (r < 0)
                return tool_fail(err, r);

        if (fancy)
                list_fancy(ctx, names, &failed);
        else if (json)
                list_json(ctx, names, &failed);
        else
                STRV_FOREACH(name, names)
                        puts(*name);

        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
