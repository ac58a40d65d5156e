/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tests' client of org.berth.Berth1 on the bus in $DBUS_SYSTEM_BUS_ADDRESS, with what busctl
 * does not give: error names, replies as JSON, timestamped signals, and job calls that wait for
 * their JobRemoved.
 *
 *   dbus-client [OPTIONS] call PATH IFACE MEMBER [SIG [ARGS...]]
 *       prints the reply's arguments as one JSON array; on an error prints
 *       "ERROR <name>: <message>" and exits 1
 *   dbus-client [OPTIONS] job PATH IFACE MEMBER [SIG [ARGS...]]
 *       calls a method that returns a job and waits for its JobRemoved: prints "JOB <path>",
 *       "PROGRESS <fraction> <text>" for each change of its progress, "RESULT <result> <error>";
 *       exits 0 when the result is "done"
 *   dbus-client watch
 *       prints "READY" once subscribed, then per signal of berthd a line
 *       "<CLOCK_REALTIME µs> <member> <path> <JSON arguments>"
 *   dbus-client bench-call N PATH IFACE MEMBER [SIG [ARGS...]]
 *       makes the call N times on one connection; prints its round trip in µs per call
 *   dbus-client wait-name
 *       waits until org.berth.Berth1 has an owner
 *
 * Options: --interactive (allow interactive authorization), --timeout SEC (default 60),
 * --dest NAME (default org.berth.Berth1). ARGS follow busctl: an array is its count and the
 * elements, a struct its fields; a string "@FILE" is the contents of FILE (for strings larger
 * than an argument may be). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

static const char *arg_dest = "org.berth.Berth1";
static bool arg_interactive = false;
static uint64_t arg_timeout_usec = 60ULL * 1000000ULL;

static uint64_t now_realtime_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

static uint64_t now_monotonic_usec(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

static _Noreturn void die(const char *what, int r)
{
        fprintf(stderr, "dbus-client: %s: %s\n", what, strerror(r < 0 ? -r : r));
        exit(2);
}

static char *read_file(const char *path)
{
        FILE *f = fopen(path, "re");
        if (!f)
                die(path, errno);
        size_t cap = 4096, n = 0;
        char *buf = malloc(cap);
        size_t k;
        while (buf && (k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
                n += k;
                if (cap - n - 1 == 0)
                        buf = realloc(buf, cap *= 2);
        }
        fclose(f);
        if (!buf)
                die("read", ENOMEM);
        buf[n] = 0;
        return buf;
}

/* ---- arguments: busctl's notation ---- */

static int append_arg(sd_bus_message *m, const char **sig, char ***argv, int *argc);

static const char *next_word(char ***argv, int *argc)
{
        if (*argc <= 0) {
                fprintf(stderr, "dbus-client: too few arguments for the signature\n");
                exit(2);
        }
        (*argc)--;
        return *(*argv)++;
}

/* The complete type starting at s: its length. */
static size_t complete_type_len(const char *s)
{
        if (*s == 'a')
                return 1 + complete_type_len(s + 1);
        if (*s == '(' || *s == '{') {
                char open = *s, close = open == '(' ? ')' : '}';
                int depth = 0;
                size_t i = 0;
                do {
                        if (s[i] == open)
                                depth++;
                        else if (s[i] == close)
                                depth--;
                        i++;
                } while (depth > 0 && s[i]);
                return i;
        }
        return 1;
}

/* A container of type t holding n times the complete types of contents. */
static int append_container(sd_bus_message *m, char t, const char *contents, unsigned n,
                            char ***argv, int *argc)
{
        int r = sd_bus_message_open_container(m, t, contents);
        for (unsigned i = 0; r >= 0 && i < n; i++)
                for (const char *e = contents; r >= 0 && *e;)
                        r = append_arg(m, &e, argv, argc);
        return r < 0 ? r : sd_bus_message_close_container(m);
}

static int append_arg(sd_bus_message *m, const char **sig, char ***argv, int *argc)
{
        char t = **sig;
        int r;
        switch (t) {
        case 's':
        case 'o':
        case 'g': {
                const char *w = next_word(argv, argc);
                char *contents = NULL;
                if (w[0] == '@')
                        w = contents = read_file(w + 1);
                r = sd_bus_message_append_basic(m, t, w);
                free(contents);
                (*sig)++;
                return r;
        }
        case 'b': {
                const char *w = next_word(argv, argc);
                int b = strcmp(w, "true") == 0 || strcmp(w, "1") == 0 || strcmp(w, "yes") == 0;
                (*sig)++;
                return sd_bus_message_append_basic(m, 'b', &b);
        }
        case 'y': case 'n': case 'q': case 'i': case 'u': case 'x': case 't': {
                const char *w = next_word(argv, argc);
                union { uint8_t y; int16_t n; uint16_t q; int32_t i; uint32_t u; int64_t x; uint64_t t; } v;
                long long s = strtoll(w, NULL, 0);
                unsigned long long u = strtoull(w, NULL, 0);
                switch (t) {
                case 'y': v.y = (uint8_t)u; break;
                case 'n': v.n = (int16_t)s; break;
                case 'q': v.q = (uint16_t)u; break;
                case 'i': v.i = (int32_t)s; break;
                case 'u': v.u = (uint32_t)u; break;
                case 'x': v.x = s; break;
                default: v.t = u; break;
                }
                (*sig)++;
                return sd_bus_message_append_basic(m, t, &v);
        }
        case 'd': {
                double d = strtod(next_word(argv, argc), NULL);
                (*sig)++;
                return sd_bus_message_append_basic(m, 'd', &d);
        }
        case 'a': {
                size_t len = complete_type_len(*sig + 1);
                char *elem = strndup(*sig + 1, len);
                unsigned n = (unsigned)strtoul(next_word(argv, argc), NULL, 0);
                r = append_container(m, 'a', elem, n, argv, argc);
                free(elem);
                *sig += 1 + len;
                return r;
        }
        case '(': {
                size_t len = complete_type_len(*sig);
                char *inner = strndup(*sig + 1, len - 2);
                r = append_container(m, 'r', inner, 1, argv, argc);
                free(inner);
                *sig += len;
                return r;
        }
        case 'v':
                /* "v TYPE VALUE...", as busctl */
                (*sig)++;
                return append_container(m, 'v', next_word(argv, argc), 1, argv, argc);
        default:
                fprintf(stderr, "dbus-client: type '%c' not supported\n", t);
                exit(2);
        }
}

/* ---- output: JSON ---- */

static void print_json_string(const char *s, size_t n)
{
        putchar('"');
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '"' || c == '\\')
                        printf("\\%c", c);
                else if (c < 0x20 || c >= 0x7f)
                        printf("\\u%04x", c); /* bytes: an "ay" shows as text this way too */
                else
                        putchar(c);
        }
        putchar('"');
}

static int print_value(sd_bus_message *m, char type, const char *contents);

/* Every element up to the end of the current container, comma separated. */
static int print_elements(sd_bus_message *m, bool dict)
{
        bool first = true;
        for (;;) {
                char type;
                const char *contents;
                int r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                if (r == 0)
                        return 0;
                if (!first)
                        putchar(',');
                first = false;
                if (dict && type == 'e') {
                        r = sd_bus_message_enter_container(m, 'e', contents);
                        if (r < 0)
                                return r;
                        char kt;
                        const char *kc;
                        sd_bus_message_peek_type(m, &kt, &kc);
                        /* Keys as strings, as JSON wants. */
                        if (kt == 's' || kt == 'o' || kt == 'g') {
                                r = print_value(m, kt, kc);
                        } else {
                                putchar('"');
                                r = print_value(m, kt, kc);
                                putchar('"');
                        }
                        putchar(':');
                        sd_bus_message_peek_type(m, &kt, &kc);
                        if (r >= 0)
                                r = print_value(m, kt, kc);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else
                        r = print_value(m, type, contents);
                if (r < 0)
                        return r;
        }
}

static int print_value(sd_bus_message *m, char type, const char *contents)
{
        int r;
        switch (type) {
        case 'a':
                if (contents[0] == 'y') {
                        const void *p;
                        size_t n;
                        r = sd_bus_message_read_array(m, 'y', &p, &n);
                        if (r >= 0)
                                print_json_string(p, n);
                        return r;
                }
                r = sd_bus_message_enter_container(m, 'a', contents);
                if (r < 0)
                        return r;
                bool dict = contents[0] == '{';
                putchar(dict ? '{' : '[');
                r = print_elements(m, dict);
                putchar(dict ? '}' : ']');
                return r < 0 ? r : sd_bus_message_exit_container(m);
        case 'r':
        case 'v':
                r = sd_bus_message_enter_container(m, type, contents);
                if (r < 0)
                        return r;
                if (type == 'r')
                        putchar('[');
                r = print_elements(m, false);
                if (type == 'r')
                        putchar(']');
                return r < 0 ? r : sd_bus_message_exit_container(m);
        case 's':
        case 'o':
        case 'g': {
                const char *s;
                r = sd_bus_message_read_basic(m, type, &s);
                if (r >= 0)
                        print_json_string(s, strlen(s));
                return r;
        }
        case 'b': {
                int b;
                r = sd_bus_message_read_basic(m, 'b', &b);
                if (r >= 0)
                        printf(b ? "true" : "false");
                return r;
        }
        case 'd': {
                double d;
                r = sd_bus_message_read_basic(m, 'd', &d);
                if (r >= 0)
                        printf("%.17g", d);
                return r;
        }
        default: {
                union { uint8_t y; int16_t n; uint16_t q; int32_t i; uint32_t u; int64_t x; uint64_t t; int h; } v;
                r = sd_bus_message_read_basic(m, type, &v);
                if (r < 0)
                        return r;
                switch (type) {
                case 'y': printf("%u", v.y); break;
                case 'n': printf("%d", v.n); break;
                case 'q': printf("%u", v.q); break;
                case 'i': printf("%d", v.i); break;
                case 'u': printf("%u", v.u); break;
                case 'x': printf("%" PRId64, v.x); break;
                case 't': printf("%" PRIu64, v.t); break;
                default: printf("null"); break;
                }
                return 0;
        }
        }
}

static int print_message_args(sd_bus_message *m)
{
        putchar('[');
        int r = print_elements(m, false);
        putchar(']');
        return r;
}

/* ---- commands ---- */

static sd_bus *bus_open(void)
{
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                die("connect to the bus", r);
        return bus;
}

static sd_bus_message *build_call(sd_bus *bus, int argc, char **argv)
{
        if (argc < 3) {
                fprintf(stderr, "dbus-client: PATH IFACE MEMBER expected\n");
                exit(2);
        }
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, arg_dest, argv[0], argv[1], argv[2]);
        if (r < 0)
                die("new call", r);
        argc -= 3;
        argv += 3;
        if (argc > 0) {
                const char *sig = argv[0];
                argc--;
                argv++;
                while (*sig) {
                        r = append_arg(m, &sig, &argv, &argc);
                        if (r < 0)
                                die("append arguments", r);
                }
        }
        if (argc > 0) {
                fprintf(stderr, "dbus-client: too many arguments\n");
                exit(2);
        }
        sd_bus_message_set_allow_interactive_authorization(m, arg_interactive);
        return m;
}

static int print_error(const sd_bus_error *e)
{
        printf("ERROR %s: %s\n", e->name ? e->name : "?", e->message ? e->message : "");
        return 1;
}

static int cmd_call(int argc, char **argv)
{
        sd_bus *bus = bus_open();
        sd_bus_message *m = build_call(bus, argc, argv), *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call(bus, m, arg_timeout_usec, &error, &reply);
        if (r < 0)
                return print_error(&error);
        if (print_message_args(reply) < 0)
                die("read the reply", -EBADMSG);
        putchar('\n');
        return 0;
}

typedef struct JobWait {
        const char *path; /* NULL until the reply came */
        char result[256];
        char error[4096];
        bool done;
} JobWait;

static int on_job_signal(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
        JobWait *w = userdata;
        if (sd_bus_message_is_signal(m, "org.berth.Berth1.Manager", "JobRemoved")) {
                uint32_t id;
                const char *path, *name, *result, *error;
                if (sd_bus_message_read(m, "uosss", &id, &path, &name, &result, &error) < 0)
                        return 0;
                if (w->path && strcmp(path, w->path) == 0) {
                        snprintf(w->result, sizeof(w->result), "%s", result);
                        snprintf(w->error, sizeof(w->error), "%s", error);
                        w->done = true;
                }
        } else if (w->path && strcmp(sd_bus_message_get_path(m), w->path) == 0) {
                printf("PROGRESS ");
                print_message_args(m);
                putchar('\n');
                fflush(stdout);
        }
        return 0;
}

static int cmd_job(int argc, char **argv)
{
        sd_bus *bus = bus_open();
        JobWait w = {};
        /* Subscribed before the call: the job may end before the reply is read. */
        int r = sd_bus_match_signal(bus, NULL, arg_dest, "/org/berth/Berth1",
                                    "org.berth.Berth1.Manager", "JobRemoved", on_job_signal, &w);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, arg_dest, NULL,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        on_job_signal, &w);
        if (r < 0)
                die("subscribe", r);
        sd_bus_message *m = build_call(bus, argc, argv), *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        r = sd_bus_call(bus, m, arg_timeout_usec, &error, &reply);
        if (r < 0)
                return print_error(&error);
        const char *path;
        if (sd_bus_message_read(reply, "o", &path) < 0)
                die("read the job", -EBADMSG);
        w.path = path;
        printf("JOB %s\n", path);
        fflush(stdout);
        uint64_t deadline = now_monotonic_usec() + arg_timeout_usec;
        while (!w.done) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        die("process", r);
                if (r > 0)
                        continue;
                uint64_t now = now_monotonic_usec();
                if (now >= deadline) {
                        printf("RESULT timeout waiting for JobRemoved\n");
                        return 1;
                }
                r = sd_bus_wait(bus, deadline - now);
                if (r < 0)
                        die("wait", r);
        }
        printf("RESULT %s %s\n", w.result, w.error);
        return strcmp(w.result, "done") == 0 ? 0 : 1;
}

static int on_any_signal(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
        uint64_t t = now_realtime_usec();
        printf("%" PRIu64 " %s %s ", t, sd_bus_message_get_member(m), sd_bus_message_get_path(m));
        print_message_args(m);
        putchar('\n');
        fflush(stdout);
        return 0;
}

static int cmd_watch(void)
{
        sd_bus *bus = bus_open();
        char match[512];
        snprintf(match, sizeof(match), "type='signal',sender='%s'", arg_dest);
        int r = sd_bus_add_match(bus, NULL, match, on_any_signal, NULL);
        if (r < 0)
                die("subscribe", r);
        printf("READY\n");
        fflush(stdout);
        for (;;) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        die("process", r);
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0)
                        die("wait", r);
        }
}

static int cmd_bench_call(int n, int argc, char **argv)
{
        sd_bus *bus = bus_open();
        for (int i = 0; i < n; i++) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *m = build_call(bus, argc, argv), *reply = NULL;
                uint64_t t0 = now_monotonic_usec();
                int r = sd_bus_call(bus, m, arg_timeout_usec, &error, &reply);
                uint64_t t1 = now_monotonic_usec();
                if (r < 0)
                        return print_error(&error);
                printf("%" PRIu64 "\n", t1 - t0);
                sd_bus_message_unref(reply);
                sd_bus_message_unref(m);
        }
        return 0;
}

static int cmd_wait_name(void)
{
        sd_bus *bus = bus_open();
        uint64_t deadline = now_monotonic_usec() + arg_timeout_usec;
        for (;;) {
                int has = 0;
                sd_bus_message *reply = NULL;
                int r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "NameHasOwner", NULL, &reply,
                                           "s", arg_dest);
                if (r >= 0 && sd_bus_message_read(reply, "b", &has) >= 0 && has)
                        return 0;
                sd_bus_message_unref(reply);
                if (now_monotonic_usec() >= deadline) {
                        fprintf(stderr, "dbus-client: %s did not appear on the bus\n", arg_dest);
                        return 1;
                }
                struct timespec ts = {0, 5 * 1000 * 1000};
                nanosleep(&ts, NULL);
        }
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
                {"interactive", no_argument, NULL, 'I'},
                {"timeout", required_argument, NULL, 'T'},
                {"dest", required_argument, NULL, 'D'},
                {},
        };
        int c;
        while ((c = getopt_long(argc, argv, "+", options, NULL)) >= 0) {
                switch (c) {
                case 'I':
                        arg_interactive = true;
                        break;
                case 'T':
                        arg_timeout_usec = strtoull(optarg, NULL, 10) * 1000000ULL;
                        break;
                case 'D':
                        arg_dest = optarg;
                        break;
                default:
                        return 2;
                }
        }
        argc -= optind;
        argv += optind;
        if (argc < 1) {
                fprintf(stderr, "dbus-client: command expected (call, job, watch, bench-call, "
                                "wait-name)\n");
                return 2;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (strcmp(argv[0], "call") == 0)
                return cmd_call(argc - 1, argv + 1);
        if (strcmp(argv[0], "job") == 0)
                return cmd_job(argc - 1, argv + 1);
        if (strcmp(argv[0], "watch") == 0)
                return cmd_watch();
        if (strcmp(argv[0], "bench-call") == 0 && argc >= 5)
                return cmd_bench_call(atoi(argv[1]), argc - 2, argv + 2);
        if (strcmp(argv[0], "wait-name") == 0)
                return cmd_wait_name();
        fprintf(stderr, "dbus-client: unknown command '%s'\n", argv[0]);
        return 2;
}
