/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <time.h>

#include "time-util.h"

static uint64_t clock_usec(clockid_t id)
{
        struct timespec ts;
        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000U;
}

uint64_t now_usec(void)
{
        return clock_usec(CLOCK_MONOTONIC);
}

uint64_t realtime_usec(void)
{
        return clock_usec(CLOCK_REALTIME);
}

int deadline_to_poll_ms(uint64_t deadline)
{
        if (deadline == UINT64_MAX)
                return -1;
        uint64_t now = now_usec();
        if (now >= deadline)
                return 0;
        uint64_t ms = (deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
        return ms > INT_MAX ? INT_MAX : (int)ms;
}
