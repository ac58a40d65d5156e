/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "berth-tool.h"
#include "parse.h"

static const char snapshot_help[] =
        "Usage: berth snapshot NAME [SNAP] [--comment TEXT]\n"
        "       berth snapshot NAME --list [--json]\n"
        "       berth snapshot NAME --restore SNAP [--as NEWNAME] [--force]\n"
        "       berth snapshot NAME --delete SNAP | --all\n"
        "       berth snapshot --scheduled [--at SECONDS]\n"
        "\n"
        "Take a snapshot of container NAME's rootfs (a running container is frozen for a\n"
        "consistent copy and thawed again), list, restore or delete its snapshots. Without\n"
        "SNAP the snapshot is named snapN. --scheduled takes the snapshots that are due by\n"
        "each container's snapshots.schedule and applies its retention (keep, expiry); a\n"
        "systemd timer or cron runs it.\n"
        "\n"
        "Options:\n"
        "  -c, --comment TEXT    a comment kept with the snapshot\n"
        "  -l, --list            list the snapshots, oldest first\n"
        "      --json            list as JSON\n"
        "  -r, --restore SNAP    replace the rootfs by the snapshot's (atomically)\n"
        "      --as NEWNAME      restore into a new container instead\n"
        "  -f, --force           restore a running container (it is stopped first)\n"
        "  -d, --delete SNAP     delete a snapshot\n"
        "      --all             delete every snapshot\n"
        "      --scheduled       take due scheduled snapshots of every container\n"
        "      --at SECONDS      with --scheduled: act as if the time were SECONDS since\n"
        "                        the epoch (for tests and catching up)\n"
        "  -h, --help            show this help\n";

enum {
        ARG_JSON = 0x100,
        ARG_AS,
        ARG_ALL,
        ARG_SCHEDULED,
        ARG_AT,
};

static void format_time(char *buf, size_t size, uint64_t usec)
{
        time_t t = (time_t)(usec / 1000000);
        struct tm tm;
        if (usec == 0 || !localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
                snprintf(buf, size, "-");
}

static int list(BerthContext *ctx, const char *name, bool json)
{
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        BerthSnapshot *snaps = NULL;
        size_t n = 0;
        int r = berth_snapshot_list(ctx, name, &snaps, &n, &err);
        if (r < 0)
                return tool_fail(err, r);
        if (json) {
                printf("[");
                for (size_t i = 0; i < n; i++) {
                        printf("%s{\"name\": ", i ? ", " : "");
                        json_print_string(stdout, snaps[i].name);
                        printf(", \"created_usec\": %" PRIu64 ", \"size\": ", snaps[i].created_usec);
                        if (snaps[i].size == UINT64_MAX)
                                printf("null");
                        else
                                printf("%" PRIu64, snaps[i].size);
                        printf(", \"comment\": ");
                        if (snaps[i].comment)
                                json_print_string(stdout, snaps[i].comment);
                        else
                                printf("null");
                        printf(", \"expires_usec\": ");
                        if (snaps[i].expires_usec)
                                printf("%" PRIu64, snaps[i].expires_usec);
                        else
                                printf("null");
                        printf(", \"scheduled\": %s}", snaps[i].scheduled ? "true" : "false");
                }
                printf("]\n");
        } else {
                if (!arg_quiet)
                        printf("%-20s %-19s %10s  %-19s %s\n", "NAME", "CREATED", "SIZE",
                               "EXPIRES", "COMMENT");
                for (size_t i = 0; i < n; i++) {
                        char created[32], expires[32], size[32];
                        format_time(created, sizeof(created), snaps[i].created_usec);
                        format_time(expires, sizeof(expires), snaps[i].expires_usec);
                        if (snaps[i].size == UINT64_MAX)
                                snprintf(size, sizeof(size), "-");
                        else
                                format_bytes(size, sizeof(size), snaps[i].size, " ");
                        printf("%-20s %-19s %10s  %-19s %s\n", snaps[i].name, created, size,
                               expires, snaps[i].comment ? snaps[i].comment : "");
                }
        }
        berth_snapshots_free(snaps, n);
        return EXIT_SUCCESS;
}

int verb_snapshot(int argc, char *argv[])
{
        static const struct option options[] = {
                {"comment", required_argument, NULL, 'c'},
                {"list", no_argument, NULL, 'l'},
                {"json", no_argument, NULL, ARG_JSON},
                {"restore", required_argument, NULL, 'r'},
                {"as", required_argument, NULL, ARG_AS},
                {"force", no_argument, NULL, 'f'},
                {"delete", required_argument, NULL, 'd'},
                {"all", no_argument, NULL, ARG_ALL},
                {"scheduled", no_argument, NULL, ARG_SCHEDULED},
                {"at", required_argument, NULL, ARG_AT},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *comment = NULL, *restore = NULL, *as = NULL, *del = NULL;
        bool do_list = false, json = false, force = false, all = false, scheduled = false;
        uint64_t at = 0;
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int c, r;

        while ((c = getopt_long(argc, argv, ":c:lr:fd:h", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        comment = optarg;
                        break;
                case 'l':
                        do_list = true;
                        break;
                case ARG_JSON:
                        json = true;
                        break;
                case 'r':
                        restore = optarg;
                        break;
                case ARG_AS:
                        as = optarg;
                        break;
                case 'f':
                        force = true;
                        break;
                case 'd':
                        del = optarg;
                        break;
                case ARG_ALL:
                        all = true;
                        break;
                case ARG_SCHEDULED:
                        scheduled = true;
                        break;
                case ARG_AT:
                        if (parse_uint64(optarg, &at) < 0 || at == 0 || at > UINT64_MAX / 1000000)
                                return tool_usage_error("snapshot: invalid time '%s': use seconds "
                                                        "since the epoch",
                                                        optarg);
                        at *= 1000000;
                        break;
                case 'h':
                        return tool_help(snapshot_help);
                default:
                        return tool_option_error("snapshot", c, argv);
                }
        }
        int modes = do_list + !!restore + !!del + all + scheduled;
        if (modes > 1)
                return tool_usage_error("snapshot: use one of --list, --restore, --delete, --all "
                                        "and --scheduled");
        if (json && !do_list)
                return tool_usage_error("snapshot: --json goes with --list");
        if ((as || force) && !restore)
                return tool_usage_error("snapshot: --as and --force go with --restore");
        if (comment && modes > 0)
                return tool_usage_error("snapshot: --comment goes with taking a snapshot");
        if (at && !scheduled)
                return tool_usage_error("snapshot: --at goes with --scheduled");

        if (scheduled) {
                r = tool_check_args("snapshot", argc, argv, optind, 0, 0, NULL);
                if (r != 0)
                        return r;
                BerthContext *ctx = tool_context();
                if (!ctx)
                        return EXIT_FAILURE;
                r = berth_snapshot_scheduled(ctx, at, &err);
                return r < 0 ? tool_fail(err, r) : EXIT_SUCCESS;
        }
        r = tool_check_args("snapshot", argc, argv, optind, 1, modes == 0 ? 2 : 1,
                            "container name");
        if (r != 0)
                return r;
        const char *name = argv[optind];
        r = tool_check_name(name);
        if (r != 0)
                return r;
        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        if (do_list)
                return list(ctx, name, json);
        if (restore)
                r = berth_snapshot_restore(ctx, name, restore, as, force, &err);
        else if (del || all)
                r = berth_snapshot_delete(ctx, name, del, &err);
        else {
                _cleanup_free_ char *made = NULL;
                r = berth_snapshot_create(ctx, name, optind + 1 < argc ? argv[optind + 1] : NULL,
                                          comment, &made, &err);
                if (r >= 0 && !arg_quiet)
                        printf("%s\n", made);
        }
        return r < 0 ? tool_fail(err, r) : EXIT_SUCCESS;
}
