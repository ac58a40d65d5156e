/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Compact numbers for narrow columns. Each returns buf. */

#include <stddef.h>
#include <stdint.h>

/* At most 5 columns: "512K", "1.5M", "12M", "1023M", "2.0G", "16G". */
const char *format_size(char *buf, size_t size, uint64_t bytes);
/* At most 7 columns: "42s", "12m03s", "5h07m", "12d04h", "9999d". */
const char *format_duration(char *buf, size_t size, uint64_t usec);
/* "HH:MM:SS" of a CLOCK_REALTIME time in local time. */
const char *format_clock(char *buf, size_t size, uint64_t realtime_usec);
/* "2024-05-01 12:34" in local time. */
const char *format_date(char *buf, size_t size, uint64_t realtime_usec);
