/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <sys/un.h>

#include "socket-util.h"

int send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds)
{
        if (n_fds > SOCKET_MAX_FDS)
                return -E2BIG;
        struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
        union {
                struct cmsghdr hdr;
                char buf[CMSG_SPACE(sizeof(int) * SOCKET_MAX_FDS)];
        } control;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

        if (n_fds > 0) {
                memset(&control, 0, sizeof(control));
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        for (;;) {
                ssize_t k = sendmsg(sock, &mh, MSG_NOSIGNAL);
                if (k >= 0)
                        return (size_t)k == len ? 0 : -EIO;
                if (errno != EINTR)
                        return negative_errno();
        }
}

ssize_t recv_with_fds(int sock, void *buf, size_t len, int *fds, size_t max_fds,
                      size_t *ret_n_fds)
{
        struct iovec iov = {.iov_base = buf, .iov_len = len};
        union {
                struct cmsghdr hdr;
                char buf[CMSG_SPACE(sizeof(int) * SOCKET_MAX_FDS)];
        } control;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                            .msg_controllen = sizeof(control)};
        ssize_t k;
        size_t n = 0;

        do
                k = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return negative_errno();

        bool bad = mh.msg_flags & MSG_CTRUNC;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *in = (int *)CMSG_DATA(c);
                for (size_t i = 0; i < cnt; i++) {
                        if (n < max_fds && fds)
                                fds[n++] = in[i];
                        else {
                                close(in[i]);
                                bad = true;
                        }
                }
        }
        if (bad) {
                for (size_t i = 0; i < n; i++)
                        close(fds[i]);
                return -EPROTO;
        }
        if (ret_n_fds)
                *ret_n_fds = n;
        return k;
}

int socket_peer_cred(int sock, struct ucred *ret)
{
        socklen_t l = sizeof(*ret);
        if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, ret, &l) < 0)
                return negative_errno();
        return l == sizeof(*ret) ? 0 : -EIO;
}

static int sockaddr_un_set(struct sockaddr_un *sa, const char *path)
{
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        if (strlen(path) >= sizeof(sa->sun_path))
                return -ENAMETOOLONG;
        strcpy(sa->sun_path, path);
        return 0;
}

int socket_listen_unix(const char *path, int backlog, int *ret_fd)
{
        struct sockaddr_un sa;
        int r = sockaddr_un_set(&sa, path);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return negative_errno();
        (void)unlink(path);
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return negative_errno();
        if (listen(fd, backlog) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int socket_connect_unix(const char *path, int *ret_fd)
{
        struct sockaddr_un sa;
        int r = sockaddr_un_set(&sa, path);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return negative_errno();
        *ret_fd = TAKE_FD(fd);
        return 0;
}
