/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

/* The fields of /proc/PID/stat that berth uses. */
typedef struct ProcStat {
        char state;         /* field 3: R, S, D, Z, X, ... */
        pid_t ppid;         /* field 4 */
        uint64_t starttime; /* field 22: clock ticks since boot; with the pid, names a process */
} ProcStat;

/* Pure: parses the text of /proc/PID/stat. The command name may hold spaces and parentheses:
 * the fields start after the last ')'. */
int proc_stat_parse(const char *text, ProcStat *ret);
/* Reads and parses /proc/PID/stat; -ENOENT (or -ESRCH) when the process is gone. */
int proc_stat_read(pid_t pid, ProcStat *ret);
