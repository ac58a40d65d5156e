/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "format.h"
#include "macro.h"

const char *format_size(char *buf, size_t size, uint64_t bytes)
{
        static const char units[] = "KMGTPE";
        double v = (double)bytes / 1024;
        size_t u = 0;

        /* Whole numbers up to 1023 of a unit, one decimal below 10. */
        while (v >= 1023.5 && u + 1 < sizeof(units) - 1) {
                v /= 1024;
                u++;
        }
        if (v < 9.95 && (u > 0 || bytes >= 1024))
                snprintf(buf, size, "%.1f%c", v, units[u]);
        else
                snprintf(buf, size, "%.0f%c", v, units[u]);
        return buf;
}

const char *format_duration(char *buf, size_t size, uint64_t usec)
{
        uint64_t s = usec / 1000000;
        if (s < 60)
                snprintf(buf, size, "%" PRIu64 "s", s);
        else if (s < 3600)
                snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
        else if (s < 86400)
                snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
        else if (s < 100 * 86400)
                snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
        else
                snprintf(buf, size, "%" PRIu64 "d", MIN(s / 86400, (uint64_t)9999));
        return buf;
}

static bool local_time(uint64_t realtime_usec, struct tm *ret)
{
        time_t t = (time_t)(realtime_usec / 1000000);
        return realtime_usec != 0 && localtime_r(&t, ret);
}

const char *format_clock(char *buf, size_t size, uint64_t realtime_usec)
{
        struct tm tm;
        if (!local_time(realtime_usec, &tm) || strftime(buf, size, "%H:%M:%S", &tm) == 0)
                snprintf(buf, size, "-");
        return buf;
}

const char *format_date(char *buf, size_t size, uint64_t realtime_usec)
{
        struct tm tm;
        if (!local_time(realtime_usec, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M", &tm) == 0)
                snprintf(buf, size, "-");
        return buf;
}
