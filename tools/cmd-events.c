/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>

#include "berth-tool.h"
#include "strv.h"

static const char events_help[] =
        "Usage: berth events [--json] [NAME...]\n"
        "\n"
        "Print every event of the named containers (default: all of them) as it happens, one\n"
        "line each: containers defined and removed, state changes, readiness, a monitor lost\n"
        "(orphaned) and taken back over (adopted), and config or snapshot changes. Runs until\n"
        "interrupted (Ctrl-C).\n"
        "\n"
        "Options:\n"
        "  -j, --json  one JSON object per line\n"
        "  -h, --help  show this help\n";

typedef struct Output {
        bool json;
} Output;

/* "2026-12-03T08:59:01.123456Z": UTC, microseconds, sortable. */
static const char *format_utc(char *buf, size_t size, uint64_t usec)
{
        time_t t = (time_t)(usec / 1000000);
        struct tm tm;
        if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
                snprintf(buf, size, "-");
                return buf;
        }
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, ".%06uZ", (unsigned)(usec % 1000000));
        return buf;
}

static int print_event(const BerthEvent *ev, void *userdata)
{
        const Output *o = userdata;
        const char *type = berth_event_type_to_string(ev->type);
        const char *state = berth_state_to_string(ev->state);
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        uint64_t received = (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000;

        if (o->json) {
                printf("{\"time_usec\": %llu, \"received_usec\": %llu, \"name\": ",
                       (unsigned long long)ev->timestamp_usec, (unsigned long long)received);
                json_print_string(stdout, ev->name);
                printf(", \"event\": ");
                json_print_string(stdout, type);
                printf(", \"state\": ");
                json_print_string(stdout, state);
                if (ev->init_pid > 0)
                        printf(", \"pid\": %d}\n", (int)ev->init_pid);
                else
                        printf(", \"pid\": null}\n");
        } else {
                char ts[64];
                printf("%s %s %s %s", format_utc(ts, sizeof(ts), ev->timestamp_usec), ev->name,
                       type, state);
                if (ev->init_pid > 0)
                        printf(" %d", (int)ev->init_pid);
                putchar('\n');
        }
        /* Whoever reads a pipe sees each event as it happens. */
        fflush(stdout);
        return 0;
}

int verb_events(int argc, char *argv[])
{
        static const struct option options[] = {
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        Output out = {};
        int c, r;

        while ((c = getopt_long(argc, argv, ":jh", options, NULL)) >= 0) {
                switch (c) {
                case 'j':
                        out.json = true;
                        break;
                case 'h':
                        return tool_help(events_help);
                default:
                        return tool_option_error("events", c, argv);
                }
        }
        for (int i = optind; i < argc; i++) {
                r = tool_check_name(argv[i]);
                if (r != 0)
                        return r;
        }

        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;

        /* SIGINT and SIGTERM end the loop through a signalfd: the output stays whole. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return tool_fail(NULL, -errno);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (sfd < 0)
                return tool_fail(NULL, -errno);

        _cleanup_(berth_events_freep) BerthEvents *e = NULL;
        r = berth_events_new(ctx, optind < argc ? argv + optind : NULL, &e, &err);
        if (r < 0) {
                close(sfd);
                return tool_fail(err, r);
        }
        for (;;) {
                struct pollfd p[2] = {
                        {.fd = berth_events_get_fd(e), .events = POLLIN},
                        {.fd = sfd, .events = POLLIN},
                };
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (p[1].revents) {
                        r = 0;
                        break;
                }
                r = berth_events_dispatch(e, print_event, &out, &err);
                if (r < 0)
                        break;
        }
        close(sfd);
        if (r < 0)
                return tool_fail(err, r);
        return EXIT_SUCCESS;
}
