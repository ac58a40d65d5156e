/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "berth-tool.h"
#include "parse.h"

int tool_fail(const BerthError *err, int r)
{
        fprintf(stderr, "berth: %s\n", berth_error_message(err, r));
        return EXIT_FAILURE;
}

bool tool_is_privileged(BerthContext *ctx, const char *name)
{
        BerthInfo info = {};

        if (berth_info(ctx, name, &info, NULL) < 0)
                return false;
        bool privileged = info.privileged;
        berth_info_clear(&info);
        return privileged;
}

void tool_warn_privileged(const char *name)
{
        if (!arg_quiet)
                fprintf(stderr,
                        "berth: warning: '%s' is privileged: its root is the host's root, and it "
                        "is no security boundary (see SECURITY.md)\n",
                        name);
}

void tool_warn_if_privileged(BerthContext *ctx, const char *name)
{
        if (!arg_quiet && tool_is_privileged(ctx, name))
                tool_warn_privileged(name);
}

int tool_usage_error(const char *fmt, ...)
{
        va_list ap;

        fputs("berth: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_USAGE;
}

int tool_option_error(const char *verb, int c, char *argv[])
{
        /* With opterr = 0 and a leading ':' in the option string, getopt returns ':' for a
         * missing argument and '?' for an unknown option. optopt holds the letter of a short
         * option (0 for an unknown long one); argv[optind - 1] is the word of a long one. */
        const char *word = optind > 0 && argv[optind - 1] ? argv[optind - 1] : "";
        char name[64];

        if (strncmp(word, "--", 2) == 0 && (c == ':' || optopt == 0))
                snprintf(name, sizeof(name), "%.*s", (int)strcspn(word, "="), word);
        else
                snprintf(name, sizeof(name), "-%c", optopt);

        const char *sep = verb ? ": " : "";
        if (c == ':')
                return tool_usage_error("%s%soption '%s' requires an argument", strempty(verb), sep,
                                        name);
        return tool_usage_error("%s%sunknown option '%s'", strempty(verb), sep, name);
}

int tool_help(const char *text)
{
        fputs(text, stdout);
        return EXIT_SUCCESS;
}

int tool_check_name(const char *name)
{
        if (berth_name_is_valid(name))
                return 0;
        _cleanup_free_ char *esc = berth_escape(name);
        return tool_usage_error("invalid container name '%s': use [a-z0-9][a-z0-9-]{0,62}", esc);
}

int tool_check_args(const char *verb, int argc, char *argv[], int optind_, int n_min, int n_max,
                    const char *what)
{
        int n = argc - optind_;

        if (n < n_min)
                return tool_usage_error("%s: missing %s", verb, what);
        if (n_max >= 0 && n > n_max)
                return tool_usage_error("%s: unexpected argument '%s'", verb,
                                        argv[optind_ + n_max]);
        return 0;
}

char **tool_split_dashdash(int *argc, char *argv[])
{
        for (int i = 1; i < *argc; i++)
                if (streq(argv[i], "--")) {
                        *argc = i;
                        return argv + i + 1;
                }
        return NULL;
}

int tool_name_and_context(const char *verb, int argc, char *argv[], const char **ret_name,
                          BerthContext **ret_ctx)
{
        int r = tool_check_args(verb, argc, argv, optind, 1, 1, "container name");
        if (r != 0)
                return r;
        r = tool_check_name(argv[optind]);
        if (r != 0)
                return r;
        BerthContext *ctx = tool_context();
        if (!ctx)
                return EXIT_FAILURE;
        *ret_name = argv[optind];
        *ret_ctx = ctx;
        return 0;
}

int tool_parse_timeout(const char *verb, const char *s, uint64_t *ret_usec)
{
        uint64_t usec;

        if (parse_duration_usec(s, &usec) < 0)
                return tool_usage_error("%s: invalid timeout '%s': use seconds, e.g. 10 or 1.5s",
                                        verb, s);
        *ret_usec = usec;
        return 0;
}

const char *format_bytes(char *buf, size_t size, uint64_t bytes, const char *sep)
{
        static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

        if (bytes < 1024) {
                snprintf(buf, size, "%" PRIu64 "%sB", bytes, sep);
                return buf;
        }

        double v = (double)bytes / 1024.0;
        size_t u = 0;
        while (v >= 1024.0 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024.0;
                u++;
        }
        snprintf(buf, size, "%.1f%s%s", v, sep, units[u]);
        return buf;
}

void json_print_string(FILE *f, const char *s)
{
        if (!s) {
                fputs("null", f);
                return;
        }

        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\b':
                        fputs("\\b", f);
                        break;
                case '\f':
                        fputs("\\f", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\r':
                        fputs("\\r", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        }
        fputc('"', f);
}

static void json_print_u64_or_null(FILE *f, uint64_t v, uint64_t null_value)
{
        if (v == null_value)
                fputs("null", f);
        else
                fprintf(f, "%" PRIu64, v);
}

void json_print_info(FILE *f, const BerthInfo *info)
{
        fputs("{\"name\": ", f);
        json_print_string(f, info->name);
        fputs(", \"state\": ", f);
        json_print_string(f, berth_state_to_string(info->state));
        fputs(", \"pid\": ", f);
        if (info->init_pid > 0)
                fprintf(f, "%d", (int)info->init_pid);
        else
                fputs("null", f);
        fputs(", \"since_usec\": ", f);
        json_print_u64_or_null(f, info->since_usec, 0);
        fputs(", \"cpu_usec\": ", f);
        json_print_u64_or_null(f, info->cpu_usec, UINT64_MAX);
        fputs(", \"memory_current\": ", f);
        json_print_u64_or_null(f, info->memory_current, UINT64_MAX);
        fputs(", \"memory_limit\": ", f);
        json_print_u64_or_null(f, info->memory_limit, UINT64_MAX);
        fputs(", \"pids_current\": ", f);
        json_print_u64_or_null(f, info->pids_current, UINT64_MAX);
        fputs(", \"pids_limit\": ", f);
        json_print_u64_or_null(f, info->pids_limit, UINT64_MAX);
        fprintf(f, ", \"autostart\": %s", info->autostart ? "true" : "false");
        fputs(", \"ipv4\": ", f);
        json_print_string(f, info->ipv4);
        fputs(", \"addresses\": [", f);
        for (char **a = info->addresses; a && *a; a++) {
                if (a != info->addresses)
                        fputs(", ", f);
                json_print_string(f, *a);
        }
        fputs("], \"started_usec\": ", f);
        json_print_u64_or_null(f, info->started_usec, 0);
        fprintf(f, ", \"ready\": %s, \"orphaned\": %s, \"privileged\": %s",
                info->ready ? "true" : "false", info->orphaned ? "true" : "false",
                info->privileged ? "true" : "false");
        fputs(", \"backend\": ", f);
        json_print_string(f, info->backend);
        fprintf(f, ", \"snapshots\": %zu", info->n_snapshots);
        fprintf(f, ", \"autostart_order\": %lld", (long long)info->autostart_order);
        fputs(", \"autostart_group\": ", f);
        json_print_string(f, info->autostart_group);
        fprintf(f, ", \"ephemeral\": %s}", info->ephemeral ? "true" : "false");
}
