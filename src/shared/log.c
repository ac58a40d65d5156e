/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static LogLevel max_level = LOG_LEVEL_INFO;
static const char *log_prefix = "berth";
static int log_file_fd = -1;

void log_set_max_level(LogLevel l)
{
        max_level = l;
}

void log_set_prefix(const char *prefix)
{
        log_prefix = prefix;
}

void log_set_file_fd(int fd)
{
        log_file_fd = fd;
}

int log_internal(LogLevel level, int error, const char *fmt, ...)
{
        int saved = errno;
        if (error < 0)
                error = -error;

        if (level <= max_level || (log_file_fd >= 0 && level <= LOG_LEVEL_DEBUG)) {
                char buf[2048];
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(buf, sizeof(buf), fmt, ap);
                va_end(ap);

                if (level <= max_level)
                        fprintf(stderr, "%s: %s\n", log_prefix, buf);
                if (log_file_fd >= 0) {
                        static const char *names[] = {"error", "warning", "info", "debug"};
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        dprintf(log_file_fd, "%lld.%06ld %s: %s\n", (long long)ts.tv_sec,
                                ts.tv_nsec / 1000, names[level], buf);
                }
        }
        errno = saved;
        return error ? -error : 0;
}
