/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"

int parse_uint64(const char *s, uint64_t *ret)
{
        if (!s || !isdigit((unsigned char)s[0]))
                return -EINVAL;
        uint64_t v = 0;
        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char)*p))
                        return -EINVAL;
                unsigned d = *p - '0';
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int parse_int64(const char *s, int64_t *ret)
{
        if (!s)
                return -EINVAL;
        bool neg = s[0] == '-';
        uint64_t u;
        int r = parse_uint64(s + neg, &u);
        if (r < 0)
                return r;
        if (u > (uint64_t)INT64_MAX + neg)
                return -ERANGE;
        *ret = neg ? (int64_t)(0 - u) : (int64_t)u;
        return 0;
}

/* Parses "W[.F]" into whole and fractional parts scaled by 'scale' (a power of ten). */
static int parse_fixed(const char *s, size_t len, uint64_t scale, uint64_t *ret)
{
        uint64_t whole = 0, frac = 0, f = scale;
        size_t i = 0;
        if (len == 0 || !isdigit((unsigned char)s[0]))
                return -EINVAL;
        for (; i < len && isdigit((unsigned char)s[i]); i++) {
                if (whole > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                whole = whole * 10 + (s[i] - '0');
        }
        if (i < len && s[i] == '.') {
                i++;
                if (i == len)
                        return -EINVAL;
                for (; i < len && isdigit((unsigned char)s[i]); i++) {
                        f /= 10;
                        if (f == 0)
                                return -EINVAL; /* more precision than the unit allows */
                        frac += (s[i] - '0') * f;
                }
        }
        if (i != len)
                return -EINVAL;
        if (whole > (UINT64_MAX - frac) / scale)
                return -ERANGE;
        *ret = whole * scale + frac;
        return 0;
}

int parse_milli(const char *s, uint64_t *ret)
{
        if (!s)
                return -EINVAL;
        return parse_fixed(s, strlen(s), 1000, ret);
}

int parse_size(const char *s, uint64_t *ret)
{
        if (!s || !*s)
                return -EINVAL;
        size_t len = strlen(s);
        uint64_t mult = 1;
        switch (toupper((unsigned char)s[len - 1])) {
        case 'K': mult = 1ULL << 10; break;
        case 'M': mult = 1ULL << 20; break;
        case 'G': mult = 1ULL << 30; break;
        case 'T': mult = 1ULL << 40; break;
        default: break;
        }
        if (mult != 1)
                len--;
        if (mult == 1) /* plain byte counts take no fraction */
                return memchr(s, '.', len) ? -EINVAL : parse_uint64(s, ret);

        /* Scale by 1000 to keep up to three decimals exact, then apply the unit. */
        uint64_t milli;
        int r = parse_fixed(s, len, 1000, &milli);
        if (r < 0)
                return r;
        if (milli > UINT64_MAX / mult)
                return -ERANGE;
        *ret = milli * mult / 1000;
        return 0;
}

int parse_duration_usec(const char *s, uint64_t *ret)
{
        if (!s || !*s)
                return -EINVAL;
        size_t len = strlen(s);
        uint64_t unit = 1000000;
        if (len > 2 && streq(s + len - 2, "ms")) {
                unit = 1000;
                len -= 2;
        } else if (len > 2 && streq(s + len - 2, "us")) {
                unit = 1;
                len -= 2;
        } else if (len > 1 && s[len - 1] == 's') {
                len -= 1;
        } else if (len > 1 && s[len - 1] == 'm') {
                unit = 60 * 1000000ULL;
                len -= 1;
        }
        uint64_t milli;
        int r = parse_fixed(s, len, 1000, &milli);
        if (r < 0)
                return r;
        if (milli > UINT64_MAX / unit)
                return -ERANGE;
        *ret = milli * unit / 1000;
        return 0;
}

static const struct {
        const char *name;
        int sig;
} signal_table[] = {
        {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"ILL", SIGILL},
        {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},   {"BUS", SIGBUS},   {"FPE", SIGFPE},
        {"KILL", SIGKILL}, {"USR1", SIGUSR1},   {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
        {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},   {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
        {"CHLD", SIGCHLD}, {"CONT", SIGCONT},   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
        {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},   {"URG", SIGURG},   {"XCPU", SIGXCPU},
        {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
        {"IO", SIGIO},     {"PWR", SIGPWR},     {"SYS", SIGSYS},
};

int parse_signal(const char *s, int *ret)
{
        if (!s || !*s)
                return -EINVAL;
        uint64_t n;
        if (parse_uint64(s, &n) >= 0) {
                if (n < 1 || n > (uint64_t)SIGRTMAX)
                        return -ERANGE;
                *ret = (int)n;
                return 0;
        }
        if (strncmp(s, "SIG", 3) == 0)
                s += 3;
        if (strncmp(s, "RTMIN", 5) == 0) {
                int off = 0;
                if (s[5] == '+') {
                        if (parse_uint64(s + 6, &n) < 0 || n > (uint64_t)(SIGRTMAX - SIGRTMIN))
                                return -EINVAL;
                        off = (int)n;
                } else if (s[5])
                        return -EINVAL;
                *ret = SIGRTMIN + off;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
                if (streq(s, signal_table[i].name)) {
                        *ret = signal_table[i].sig;
                        return 0;
                }
        return -EINVAL;
}

const char *signal_to_string(int sig, char buf[static 16])
{
        for (size_t i = 0; i < ELEMENTSOF(signal_table); i++)
                if (signal_table[i].sig == sig) {
                        snprintf(buf, 16, "SIG%s", signal_table[i].name);
                        return buf;
                }
        if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
                if (sig == SIGRTMIN)
                        snprintf(buf, 16, "SIGRTMIN");
                else
                        snprintf(buf, 16, "SIGRTMIN+%d", sig - SIGRTMIN);
                return buf;
        }
        snprintf(buf, 16, "%d", sig);
        return buf;
}

bool next_kv_line(char **cursor, char **ret_key, char **ret_value)
{
        for (char *line = *cursor; line && *line; line = *cursor) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = 0;
                *cursor = next;
                char *eq = strchr(line, '=');
                if (!eq)
                        continue;
                *eq = 0;
                *ret_key = line;
                *ret_value = eq + 1;
                return true;
        }
        return false;
}
