/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Path resolution inside a hostile rootfs, exposed for the unit test (not for other modules). */

#include "mount.h"

/* Forces the openat(O_NOFOLLOW) walk as if openat2() returned ENOSYS, so the test exercises the
 * fallback on a kernel that has openat2. */
void mount_resolve_force_fallback(bool force);

/* Opens the absolute, normalized container path below rootfd with oflags (O_PATH, or O_RDWR for
 * a device), never leaving rootfd: openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), or a walk
 * that refuses every symlink with -ELOOP. */
int mount_open_in_root(int rootfd, const char *path, int oflags, int *ret_fd, BerthError **reterr);

/* Creates the missing parent directories of path (mode 0755) the same way and returns an O_PATH
 * fd of the parent and the last component (pointing into path). */
int mount_open_parent_in_root(int rootfd, const char *path, int *ret_fd, const char **ret_name,
                              BerthError **reterr);
