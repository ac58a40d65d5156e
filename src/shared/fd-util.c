/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "fd-util.h"

static int cmp_int(const void *a, const void *b)
{
        return *(const int *)a - *(const int *)b;
}

int close_all_fds_except(const int *keep, size_t n_keep)
{
        int sorted[64];
        size_t n = 0;
        if (n_keep > ELEMENTSOF(sorted))
                return -E2BIG;
        for (size_t i = 0; i < n_keep; i++)
                if (keep[i] >= 3)
                        sorted[n++] = keep[i];
        qsort(sorted, n, sizeof(int), cmp_int);

        /* close_range() closes the gaps between kept fds without walking /proc. */
        int from = 3;
        for (size_t i = 0; i <= n; i++) {
                int to = i < n ? sorted[i] - 1 : (int)(~0U >> 1);
                if (to >= from && syscall(SYS_close_range, (unsigned)from, (unsigned)to, 0) < 0) {
                        for (int fd = from; fd <= to && fd < 65536; fd++)
                                close(fd);
                }
                if (i < n)
                        from = sorted[i] + 1;
        }
        return 0;
}

int fd_set_cloexec(int fd, bool cloexec)
{
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0)
                return negative_errno();
        int nflags = cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
        if (nflags != flags && fcntl(fd, F_SETFD, nflags) < 0)
                return negative_errno();
        return 0;
}

int fd_set_nonblock(int fd, bool nonblock)
{
        int flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return negative_errno();
        int nflags = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
        if (nflags != flags && fcntl(fd, F_SETFL, nflags) < 0)
                return negative_errno();
        return 0;
}

int fd_move_to(int fd, int target)
{
        if (fd == target)
                return fd_set_cloexec(fd, false);
        if (dup2(fd, target) < 0)
                return negative_errno();
        close(fd);
        return 0;
}

DIR *fdopendir_consume(int fd)
{
        DIR *d = fdopendir(fd);
        if (!d)
                safe_close(fd);
        return d;
}
