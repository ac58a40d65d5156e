/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* mkdir -p relative to dirfd; existing directories are fine. */
int mkdir_p_at(int dirfd, const char *path, mode_t mode);
/* Removes a tree below dirfd without following symlinks and without crossing mount points
 * (a bind mount left inside is an error, -EBUSY, not a walk into the host). */
int rm_rf_at(int dirfd, const char *path);
char *path_join(const char *a, const char *b);
bool path_is_absolute(const char *p);
/* True for a relative or absolute path with no "..", "." or empty components. */
bool path_is_normalized(const char *p);
