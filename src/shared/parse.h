/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "macro.h"

/* "512M", "1G", "4096", "1.5G": bytes, base 1024 (K M G T), -ERANGE on overflow. */
int parse_size(const char *s, uint64_t *ret);
/* Decimal unsigned, no sign, no trailing junk. */
int parse_uint64(const char *s, uint64_t *ret);
int parse_int64(const char *s, int64_t *ret);
/* "1.5" -> 1500 (thousandths), at most 3 decimals. */
int parse_milli(const char *s, uint64_t *ret);
/* "SIGTERM", "TERM", "15", "SIGRTMIN+3", "RTMIN+3". */
int parse_signal(const char *s, int *ret);
/* Signal number to its name ("SIGRTMIN+3"); a static string or buffer-backed. */
const char *signal_to_string(int sig, char buf[static 16]);
/* "10", "10s", "500ms", "2m" -> microseconds. */
int parse_duration_usec(const char *s, uint64_t *ret);

/* Walks "KEY=VALUE" lines of text, which it modifies in place: each call returns the next pair
 * (lines without '=' are skipped), false at the end. Start with *cursor = text. */
bool next_kv_line(char **cursor, char **ret_key, char **ret_value);
