/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "fileio.h"
#include "idmap.h"

static const BerthIdmap default_map = {0, IDMAP_DEFAULT_HOST, IDMAP_DEFAULT_COUNT};

const BerthIdmap *idmap_effective(const BerthConfig *c, size_t *ret_n)
{
        if (c->n_idmap > 0) {
                *ret_n = c->n_idmap;
                return c->idmap;
        }
        *ret_n = 1;
        return &default_map;
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
        return a < b + bn && b < a + an;
}

int idmap_format(const BerthIdmap *map, size_t n, char **ret, BerthError **reterr)
{
        if (n == 0 || n > 340) /* the kernel takes at most 340 lines */
                return berth_error_setf(reterr, EINVAL, "key 'idmap': needs 1 to 340 ranges");
        bool root = false;
        for (size_t i = 0; i < n; i++) {
                if (map[i].count == 0 ||
                    (uint64_t)map[i].container + map[i].count > (uint64_t)UINT32_MAX + 1 ||
                    (uint64_t)map[i].host + map[i].count > (uint64_t)UINT32_MAX + 1)
                        return berth_error_setf(reterr, EINVAL,
                                                "key 'idmap': range %zu is empty or overflows", i);
                if (map[i].container == 0)
                        root = true;
                for (size_t j = 0; j < i; j++)
                        if (overlaps(map[i].container, map[i].count, map[j].container,
                                     map[j].count) ||
                            overlaps(map[i].host, map[i].count, map[j].host, map[j].count))
                                return berth_error_setf(reterr, EINVAL,
                                                        "key 'idmap': ranges %zu and %zu overlap",
                                                        j, i);
        }
        if (!root)
                return berth_error_setf(reterr, EINVAL,
                                        "key 'idmap': container id 0 (root) is not mapped");
        size_t len = n * 40 + 1;
        char *s = xmalloc(len), *p = s;
        for (size_t i = 0; i < n; i++)
                p += snprintf(p, len - (p - s), "%u %u %u\n", map[i].container, map[i].host,
                              map[i].count);
        *ret = s;
        return 0;
}

uid_t idmap_to_host(const BerthIdmap *map, size_t n, uint32_t id)
{
        for (size_t i = 0; i < n; i++)
                if (id >= map[i].container && id - map[i].container < map[i].count)
                        return map[i].host + (id - map[i].container);
        return (uid_t)-1;
}

uid_t idmap_host_root(const BerthIdmap *map, size_t n)
{
        return idmap_to_host(map, n, 0);
}

int idmap_write(pid_t pid, const BerthIdmap *map, size_t n, BerthError **reterr)
{
        _cleanup_free_ char *text = NULL;
        int r = idmap_format(map, n, &text, reterr);
        if (r < 0)
                return r;
        static const char *const files[] = {"uid_map", "gid_map"};
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
                r = write_string_file_at(AT_FDCWD, path, text);
                if (r < 0)
                        return berth_error_set(reterr, r, "write '%s'", path);
        }
        return 0;
}

int idmap_mount_tree(const char *path, int userns_fd, int *ret_fd, BerthError **reterr)
{
        _cleanup_close_ int fd = syscall(SYS_open_tree, AT_FDCWD, path,
                                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (fd < 0)
                return berth_error_set(reterr, errno, "clone mount tree '%s'", path);
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_IDMAP,
                .userns_fd = (uint64_t)userns_fd,
        };
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                    sizeof(attr)) < 0) {
                if (errno == EINVAL)
                        return berth_error_setf(reterr, EINVAL,
                                                "idmap rootfs '%s': the filesystem does not "
                                                "support idmapped mounts; use privileged: true",
                                                path);
                return berth_error_set(reterr, errno, "idmap rootfs '%s'", path);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}
