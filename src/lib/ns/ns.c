/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>

#include "ns.h"

static const NsInfo table[] = {
        {"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
        {"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID},
        {"mnt", CLONE_NEWNS},    {"time", CLONE_NEWTIME},
};

const NsInfo *ns_table(size_t *ret_n)
{
        *ret_n = ELEMENTSOF(table);
        return table;
}

static bool ns_differs(pid_t pid, const char *name)
{
        char a[64], b[64];
        struct stat sa, sb;
        snprintf(a, sizeof(a), "/proc/%d/ns/%s", (int)pid, name);
        snprintf(b, sizeof(b), "/proc/self/ns/%s", name);
        if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
                return false;
        return sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev;
}

int ns_enter_all(int pidfd, pid_t pid)
{
        int flags = 0;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (ns_differs(pid, table[i].name))
                        flags |= table[i].flag;
        if (flags == 0)
                return 0;
        if (setns(pidfd, flags) >= 0)
                return 0;
        if (errno != EINVAL)
                return negative_errno();

        /* Kernels before 5.8 take only namespace fds. */
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                if (!(flags & table[i].flag))
                        continue;
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, table[i].name);
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, table[i].flag) < 0)
                        return negative_errno();
        }
        return 0;
}
