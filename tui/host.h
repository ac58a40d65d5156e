/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Host totals for the header: CPU use over the last interval and memory, from /proc. */

#include <stdint.h>

typedef struct HostSample {
        uint64_t cpu_total; /* jiffies of the "cpu" line, all fields */
        uint64_t cpu_idle;  /* idle + iowait */
        uint64_t mem_total; /* bytes */
        uint64_t mem_available;
        double load1;
        unsigned n_cpus;
} HostSample;

/* Pure parsers of /proc/stat, /proc/meminfo and /proc/loadavg text. */
int host_parse_stat(const char *text, uint64_t *ret_total, uint64_t *ret_idle,
                    unsigned *ret_n_cpus);
int host_parse_meminfo(const char *text, uint64_t *ret_total, uint64_t *ret_available);
int host_parse_loadavg(const char *text, double *ret_load1);

/* Reads all three; what cannot be read stays 0. */
void host_sample(HostSample *ret);
/* Percent of all CPUs busy between two samples; < 0 when unknown. */
double host_cpu_percent(const HostSample *prev, const HostSample *cur);
