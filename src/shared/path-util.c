/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fd-util.h"
#include "path-util.h"

int mkdir_p_at(int dirfd, const char *path, mode_t mode)
{
        _cleanup_free_ char *p = xstrdup(path);
        for (char *s = p + (*p == '/'); ; s++) {
                bool end = *s == 0;
                if (*s == '/' || end) {
                        char c = *s;
                        *s = 0;
                        if (*p && mkdirat(dirfd, p, mode) < 0 && errno != EEXIST)
                                return negative_errno();
                        *s = c;
                }
                if (end)
                        break;
        }
        return 0;
}

static int rm_rf_children(int fd, dev_t dev)
{
        _cleanup_closedir_ DIR *d = fdopendir_consume(fd);
        if (!d)
                return negative_errno();
        int ret = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno != ENOENT && ret == 0)
                                ret = negative_errno();
                        continue;
                }
                if (S_ISDIR(st.st_mode)) {
                        if (st.st_dev != dev) {
                                ret = ret ?: -EBUSY;
                                continue;
                        }
                        int cfd = openat(dirfd(d), de->d_name,
                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (cfd < 0) {
                                ret = ret ?: negative_errno();
                                continue;
                        }
                        int r = rm_rf_children(cfd, dev);
                        if (r < 0 && ret == 0)
                                ret = r;
                        if (unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && ret == 0)
                                ret = negative_errno();
                } else if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && ret == 0)
                        ret = negative_errno();
        }
        return ret;
}

int rm_rf_at(int dirfd, const char *path)
{
        struct stat st;
        if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dirfd, path, 0) < 0 ? negative_errno() : 0;
        int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        int r = rm_rf_children(fd, st.st_dev);
        if (r < 0)
                return r;
        if (unlinkat(dirfd, path, AT_REMOVEDIR) < 0)
                return negative_errno();
        return 0;
}

char *path_join(const char *a, const char *b)
{
        size_t la = strlen(a);
        while (*b == '/')
                b++;
        if (la > 0 && a[la - 1] == '/')
                return xasprintf("%s%s", a, b);
        return xasprintf("%s/%s", a, b);
}

bool path_is_absolute(const char *p)
{
        return p && p[0] == '/';
}

bool path_is_normalized(const char *p)
{
        if (!p || !*p)
                return false;
        const char *s = p + (*p == '/');
        if (!*s)
                return *p == '/';
        for (;;) {
                size_t n = strcspn(s, "/");
                if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                        return false;
                s += n;
                if (!*s)
                        return true;
                s++;
                if (!*s)
                        return true; /* trailing slash */
        }
}
