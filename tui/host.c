/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "host.h"

/* /proc/stat grows with the number of CPUs; meminfo and loadavg are small. */
#define PROC_FILE_MAX (1024 * 1024)

int host_parse_stat(const char *text, uint64_t *ret_total, uint64_t *ret_idle,
                    unsigned *ret_n_cpus)
{
        uint64_t v[10] = {};

        if (strncmp(text, "cpu ", 4) != 0)
                return -EBADMSG;
        int n = sscanf(text + 4, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                                 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
        if (n < 4)
                return -EBADMSG;
        /* guest and guest_nice (fields 9 and 10) are already counted in user and nice. */
        uint64_t total = 0;
        for (int i = 0; i < MIN(n, 8); i++)
                total += v[i];
        unsigned cpus = 0;
        for (const char *p = strchr(text, '\n'); p; p = strchr(p + 1, '\n'))
                if (strncmp(p + 1, "cpu", 3) == 0 && p[4] >= '0' && p[4] <= '9')
                        cpus++;
        *ret_total = total;
        *ret_idle = v[3] + v[4];
        *ret_n_cpus = MAX(cpus, 1U);
        return 0;
}

static int meminfo_field(const char *text, const char *key, uint64_t *ret)
{
        size_t klen = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                uint64_t kib;
                if (strncmp(p, key, klen) == 0 && p[klen] == ':' &&
                    sscanf(p + klen + 1, " %" SCNu64 " kB", &kib) == 1) {
                        if (kib > UINT64_MAX / 1024)
                                return -ERANGE;
                        *ret = kib * 1024;
                        return 0;
                }
        }
        return -ENOENT;
}

int host_parse_meminfo(const char *text, uint64_t *ret_total, uint64_t *ret_available)
{
        uint64_t total, avail;
        int r = meminfo_field(text, "MemTotal", &total);
        if (r < 0)
                return r;
        r = meminfo_field(text, "MemAvailable", &avail);
        if (r < 0)
                return r;
        *ret_total = total;
        *ret_available = MIN(avail, total);
        return 0;
}

int host_parse_loadavg(const char *text, double *ret_load1)
{
        double l;
        if (sscanf(text, "%lf", &l) != 1 || l < 0)
                return -EBADMSG;
        *ret_load1 = l;
        return 0;
}

void host_sample(HostSample *ret)
{
        HostSample s = {};
        char *text = NULL;

        if (read_full_file_at(AT_FDCWD, "/proc/stat", PROC_FILE_MAX, &text, NULL) >= 0)
                (void)host_parse_stat(text, &s.cpu_total, &s.cpu_idle, &s.n_cpus);
        text = mfree(text);
        if (read_full_file_at(AT_FDCWD, "/proc/meminfo", PROC_FILE_MAX, &text, NULL) >= 0)
                (void)host_parse_meminfo(text, &s.mem_total, &s.mem_available);
        text = mfree(text);
        if (read_full_file_at(AT_FDCWD, "/proc/loadavg", PROC_FILE_MAX, &text, NULL) >= 0)
                (void)host_parse_loadavg(text, &s.load1);
        free(text);
        *ret = s;
}

double host_cpu_percent(const HostSample *prev, const HostSample *cur)
{
        if (cur->cpu_total <= prev->cpu_total || cur->cpu_idle < prev->cpu_idle)
                return -1;
        uint64_t total = cur->cpu_total - prev->cpu_total;
        uint64_t idle = cur->cpu_idle - prev->cpu_idle;
        if (idle > total)
                return 0;
        return 100.0 * (double)(total - idle) / (double)total;
}
