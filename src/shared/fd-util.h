/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* Closes every fd >= 3 not listed in keep (the list need not be sorted). */
int close_all_fds_except(const int *keep, size_t n_keep);
int fd_set_cloexec(int fd, bool cloexec);
int fd_set_nonblock(int fd, bool nonblock);
/* fdopendir() that owns fd either way: closed on failure (errno kept), by closedir() after. */
DIR *fdopendir_consume(int fd);
/* Moves fd to target (dup2 + close), clearing O_CLOEXEC on target. */
int fd_move_to(int fd, int target);
