/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#define USEC_PER_SEC 1000000ULL
#define USEC_PER_MSEC 1000ULL

/* CLOCK_MONOTONIC and CLOCK_REALTIME in microseconds. */
uint64_t now_usec(void);
uint64_t realtime_usec(void);
/* Milliseconds until deadline (CLOCK_MONOTONIC usec, UINT64_MAX: none) for poll(2): -1 for no
 * deadline, 0 once it has passed, rounded up otherwise. */
int deadline_to_poll_ms(uint64_t deadline);
