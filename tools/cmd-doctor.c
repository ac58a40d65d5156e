/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <string.h>

#include "berth-tool.h"

static const char doctor_help[] =
        "Usage: berth doctor [--json]\n"
        "\n"
        "Check what berth needs of this host: namespaces (time included), user namespaces\n"
        "allowed, openat2, clone3, pidfd, seccomp, the cgroup layout and each controller,\n"
        "cgroup creation with limits and device lists, idmapped mounts on the store's file\n"
        "system, root's subordinate ids, overlayfs, and the tools of the templates and the\n"
        "managed network. Each line is ok, warn (a feature berth can do without), fail or\n"
        "unknown, with the fix for what is not ok. The exit status is 1 when a check fails.\n"
        "\n"
        "Options:\n"
        "  -j, --json  one JSON object: {\"checks\": [...], \"fail\": N, \"warn\": N}\n"
        "  -h, --help  show this help\n";

static void print_json(const BerthDoctorCheck *c, size_t n, size_t fails, size_t warns)
{
        fputs("{\"checks\": [", stdout);
        for (size_t i = 0; i < n; i++) {
                fputs(i ? ",\n  {\"id\": " : "\n  {\"id\": ", stdout);
                json_print_string(stdout, c[i].id);
                fputs(", \"title\": ", stdout);
                json_print_string(stdout, c[i].title);
                fputs(", \"verdict\": ", stdout);
                json_print_string(stdout, berth_doctor_verdict_to_string(c[i].verdict));
                fputs(", \"detail\": ", stdout);
                json_print_string(stdout, c[i].detail);
                fputs(", \"fix\": ", stdout);
                json_print_string(stdout, c[i].fix);
                fputc('}', stdout);
        }
        printf("\n], \"fail\": %zu, \"warn\": %zu}\n", fails, warns);
}

int verb_doctor(int argc, char *argv[])
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
                        return tool_help(doctor_help);
                default:
                        return tool_option_error("doctor", c, argv);
                }
        }
        r = tool_check_args("doctor", argc, argv, optind, 0, 0, NULL);
        if (r != 0)
                return r;
        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;

        BerthDoctorCheck *checks = NULL;
        size_t n = 0, fails = 0, warns = 0;
        r = berth_doctor(ctx, NULL, &checks, &n, &err);
        if (r < 0)
                return tool_fail(err, r);
        for (size_t i = 0; i < n; i++) {
                fails += checks[i].verdict == BERTH_DOCTOR_FAIL;
                warns += checks[i].verdict == BERTH_DOCTOR_WARN;
        }
        if (json)
                print_json(checks, n, fails, warns);
        else {
                for (size_t i = 0; i < n; i++) {
                        printf("%-7s %-18s %s: %s\n",
                               berth_doctor_verdict_to_string(checks[i].verdict), checks[i].id,
                               checks[i].title, checks[i].detail);
                        if (checks[i].fix)
                                printf("%-7s %-18s fix: %s\n", "", "", checks[i].fix);
                }
                printf("%zu checks: %zu failed, %zu warnings\n", n, fails, warns);
        }
        berth_doctor_checks_free(checks, n);
        return fails > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
