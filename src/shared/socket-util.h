/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include "macro.h"

#define SOCKET_MAX_FDS 16

/* sendmsg() of buf plus up to SOCKET_MAX_FDS fds in one SCM_RIGHTS message. */
int send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds);
/* recvmsg() into buf; received fds land in fds[] (O_CLOEXEC), count in *ret_n_fds. Extra or
 * truncated control data is an error (-EPROTO) and every received fd is closed. Returns bytes. */
ssize_t recv_with_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds,
                      size_t *ret_n_fds);
int socket_peer_cred(int sock, struct ucred *ret);
/* Binds and listens on a path socket (removing a stale one). */
int socket_listen_unix(const char *path, int backlog, int *ret_fd);
int socket_connect_unix(const char *path, int *ret_fd);
