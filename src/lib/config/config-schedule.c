/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* snapshots.schedule and snapshots.expiry: pure time arithmetic, so the scheduler can be driven
 * by a fake clock in tests. */
#include <string.h>
#include <time.h>

#include "config-internal.h"
#include "parse.h"
#include "strv.h"
#include "time-util.h"

/* "M H * * *" (cron's five fields, only minute and hour free): the minute and hour. */
static int parse_cron(const char *s, int *ret_min, int *ret_hour)
{
        _cleanup_strv_free_ char **f = NULL;
        for (const char *p = s; *p;) {
                p += strspn(p, " \t");
                size_t n = strcspn(p, " \t");
                if (n == 0)
                        break;
                if (strv_length(f) >= 5)
                        return -EINVAL;
                strv_push(&f, xstrndup(p, n));
                p += n;
        }
        if (strv_length(f) != 5 || !streq(f[2], "*") || !streq(f[3], "*") || !streq(f[4], "*"))
                return -EINVAL;
        uint64_t m, h;
        if (strlen(f[0]) > 2 || strlen(f[1]) > 2 || parse_uint64(f[0], &m) < 0 ||
            parse_uint64(f[1], &h) < 0 || m > 59 || h > 23)
                return -EINVAL;
        *ret_min = (int)m;
        *ret_hour = (int)h;
        return 0;
}

int config_schedule_last(const char *schedule, uint64_t now, uint64_t *ret)
{
        enum { HOURLY, DAILY, WEEKLY } kind;
        int min = 0, hour = 0;
        if (!schedule)
                return -EINVAL;
        if (streq(schedule, "hourly"))
                kind = HOURLY;
        else if (streq(schedule, "daily"))
                kind = DAILY;
        else if (streq(schedule, "weekly"))
                kind = WEEKLY;
        else if (parse_cron(schedule, &min, &hour) >= 0)
                kind = DAILY;
        else
                return -EINVAL;

        time_t t = (time_t)(now / USEC_PER_SEC);
        struct tm tm;
        if (!localtime_r(&t, &tm))
                return -EINVAL;
        tm.tm_sec = 0;
        tm.tm_min = min;
        if (kind != HOURLY)
                tm.tm_hour = hour;
        if (kind == WEEKLY) /* Monday 00:00, as systemd's "weekly" */
                tm.tm_mday -= (tm.tm_wday + 6) % 7;
        tm.tm_isdst = -1;
        time_t at = mktime(&tm);
        if (at == (time_t)-1)
                return -EINVAL;
        if (at > t) {
                /* Today's (this hour's) instant is still ahead: the previous one. Done through
                 * the broken-down time again, so a DST change in between is respected. */
                if (kind == HOURLY)
                        at -= 3600;
                else {
                        struct tm back;
                        localtime_r(&at, &back);
                        back.tm_mday -= kind == WEEKLY ? 7 : 1;
                        back.tm_isdst = -1;
                        at = mktime(&back);
                        if (at == (time_t)-1)
                                return -EINVAL;
                }
        }
        *ret = at < 0 ? 0 : (uint64_t)at * USEC_PER_SEC;
        return 0;
}

int config_parse_span(const char *s, uint64_t *ret)
{
        if (!s || !*s)
                return -EINVAL;
        size_t len = strlen(s);
        uint64_t unit = 1;
        switch (s[len - 1]) {
        case 's':
                unit = 1;
                break;
        case 'm':
                unit = 60;
                break;
        case 'h':
                unit = 3600;
                break;
        case 'd':
                unit = 86400;
                break;
        case 'w':
                unit = 7 * 86400;
                break;
        default:
                len++; /* no unit: seconds */
        }
        len--;
        if (len == 0 || len > 12)
                return -EINVAL;
        _cleanup_free_ char *num = xstrndup(s, len);
        uint64_t v;
        if (parse_uint64(num, &v) < 0)
                return -EINVAL;
        if (v > UINT64_MAX / unit / USEC_PER_SEC)
                return -ERANGE;
        *ret = v * unit * USEC_PER_SEC;
        return 0;
}

/* The YAML text of a span: the largest unit that divides it. */
char *config_format_span(uint64_t usec)
{
        static const struct {
                char c;
                uint64_t sec;
        } units[] = {{'w', 7 * 86400}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
        uint64_t sec = usec / USEC_PER_SEC;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (sec % units[i].sec == 0)
                        return xasprintf("%llu%c", (unsigned long long)(sec / units[i].sec),
                                         units[i].c);
        return xasprintf("%llus", (unsigned long long)sec);
}
