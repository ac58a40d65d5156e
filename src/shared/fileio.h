/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "macro.h"

/* The cap for reading the small files of /proc, /sys, cgroups and berth's own state. */
#define SMALL_FILE_MAX (64 * 1024)

/* Reads a whole file (relative to dirfd, AT_FDCWD for cwd) into a NUL-terminated buffer; fails
 * with -EFBIG beyond max bytes. */
int read_full_file_at(int dirfd, const char *path, size_t max, char **ret, size_t *ret_size);
/* Reads the first line, newline stripped. */
int read_one_line_at(int dirfd, const char *path, char **ret);
/* Writes s to an existing file (no O_CREAT, for cgroup and proc files) in one write(). */
int write_string_file_at(int dirfd, const char *path, const char *s);
/* Creates or replaces a file atomically: writes a temporary sibling, fsyncs, renames. */
int write_file_atomic_at(int dirfd, const char *path, const void *data, size_t size, mode_t mode);
/* The same without the fsync, for files that do not outlive a reboot (the runtime dir): readers
 * still see the old or the new content, never a part. */
int write_file_replace_at(int dirfd, const char *path, const void *data, size_t size,
                          mode_t mode);
/* Loops over partial writes and EINTR. */
int loop_write(int fd, const void *buf, size_t n);
/* Reads exactly n bytes unless EOF; returns bytes read. */
ssize_t loop_read(int fd, void *buf, size_t n);
