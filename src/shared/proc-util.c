/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "parse.h"
#include "proc-util.h"

#define PROC_STAT_MAX 4096

int proc_stat_parse(const char *text, ProcStat *ret)
{
        const char *p = text ? strrchr(text, ')') : NULL;
        if (!p)
                return -EBADMSG;
        ProcStat st = {};
        /* Fields are single-space separated after the command name; some may be negative. */
        p++;
        for (int field = 3; field <= 22; field++) {
                if (*p != ' ')
                        return -EBADMSG;
                p++;
                size_t n = strcspn(p, " \n");
                if (n == 0 || n > 24)
                        return -EBADMSG;
                char tok[32];
                memcpy(tok, p, n);
                tok[n] = 0;
                p += n;
                uint64_t v;
                if (field == 3) {
                        if (n != 1)
                                return -EBADMSG;
                        st.state = tok[0];
                } else if (field == 4) {
                        if (parse_uint64(tok, &v) < 0 || v > INT32_MAX)
                                return -EBADMSG;
                        st.ppid = (pid_t)v;
                } else if (field == 22) {
                        if (parse_uint64(tok, &v) < 0)
                                return -EBADMSG;
                        st.starttime = v;
                }
        }
        *ret = st;
        return 0;
}

int proc_stat_read(pid_t pid, ProcStat *ret)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        _cleanup_free_ char *text = NULL;
        int r = read_full_file_at(AT_FDCWD, path, PROC_STAT_MAX, &text, NULL);
        if (r < 0)
                return r;
        return proc_stat_parse(text, ret);
}
