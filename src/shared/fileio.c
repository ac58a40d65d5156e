/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

int read_full_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();

        size_t alloc = 4096, n = 0;
        _cleanup_free_ char *buf = xmalloc(alloc + 1);
        for (;;) {
                if (n == alloc) {
                        if (alloc >= max)
                                return -EFBIG;
                        alloc = MIN(alloc * 2, max);
                        buf = xrealloc(buf, alloc + 1);
                }
                ssize_t k = read(fd, buf + n, alloc - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                n += k;
                if (n > max)
                        return -EFBIG;
        }
        buf[n] = 0;
        if (ret_size)
                *ret_size = n;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_one_line_at(int dirfd, const char *path, char **ret)
{
        char *buf;
        int r = read_full_file_at(dirfd, path, 1 << 20, &buf, NULL);
        if (r < 0)
                return r;
        buf[strcspn(buf, "\n")] = 0;
        *ret = buf;
        return 0;
}

int loop_write(int fd, const void *buf, size_t n)
{
        const char *p = buf;
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        return -EIO;
                p += k;
                n -= k;
        }
        return 0;
}

ssize_t loop_read(int fd, void *buf, size_t n)
{
        char *p = buf;
        size_t done = 0;
        while (done < n) {
                ssize_t k = read(fd, p + done, n - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (k == 0)
                        break;
                done += k;
        }
        return done;
}

int write_string_file_at(int dirfd, const char *path, const char *s)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        /* cgroup and proc files take one value per write(); never split it. */
        size_t n = strlen(s);
        ssize_t k = write(fd, s, n);
        if (k < 0)
                return negative_errno();
        if ((size_t)k != n)
                return -EIO;
        return 0;
}

static int write_atomic(int dirfd, const char *path, const void *data, size_t size, mode_t mode,
                        bool durable)
{
        _cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
        _cleanup_close_ int fd =
                openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return negative_errno();
        int r = loop_write(fd, data, size);
        if (r >= 0 && durable && fsync(fd) < 0)
                r = negative_errno();
        if (r >= 0 && renameat(dirfd, tmp, dirfd, path) < 0)
                r = negative_errno();
        if (r < 0)
                (void)unlinkat(dirfd, tmp, 0);
        return r;
}

int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t size, mode_t mode)
{
        return write_atomic(dirfd, path, data, size, mode, true);
}

int write_file_replace_at(int dirfd, const char *path, const void *data, size_t size, mode_t mode)
{
        return write_atomic(dirfd, path, data, size, mode, false);
}

