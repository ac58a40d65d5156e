/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The monitor protocol over a SOCK_SEQPACKET unix socket: one message per datagram, file
 * descriptors beside it as SCM_RIGHTS. */
#include <inttypes.h>
#include <string.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "proto.h"
#include "socket-util.h"
#include "time-util.h"

/* Anything below this is a plausible -errno; a peer-supplied status beyond it is nonsense (and
 * negating INT32_MIN would overflow in the caller). */

static void close_fds(int *fds, size_t n)
{
        for (size_t i = 0; i < n; i++)
                fds[i] = safe_close(fds[i]);
}

int proto_send(int fd, const ProtoMessage *m, const int *fds, size_t n_fds)
{
        if (fd < 0 || !m || (n_fds > 0 && !fds))
                return -EINVAL;
        if (n_fds > PROTO_FDS_MAX)
                return -E2BIG;

        _cleanup_free_ uint8_t *buf = NULL;
        size_t size;
        int r = proto_encode(m, &buf, &size);
        if (r < 0)
                return r;
        return send_with_fds(fd, buf, size, fds, n_fds);
}

int proto_recv(int fd, ProtoMessage **ret, int *fds, size_t *ret_n_fds)
{
        if (fd < 0 || !ret)
                return -EINVAL;
        if (ret_n_fds)
                *ret_n_fds = 0;

        /* One byte more than the largest valid message: a datagram that fills it was larger
         * than allowed, whether or not the kernel truncated it. */
        _cleanup_free_ uint8_t *buf = xmalloc(PROTO_MESSAGE_MAX + 1);
        int got[PROTO_FDS_MAX];
        size_t n_got = 0;
        ssize_t k = recv_with_fds(fd, buf, PROTO_MESSAGE_MAX + 1, got, PROTO_FDS_MAX, &n_got);
        if (k == -EPROTO)
                return log_debug_errno(-EBADMSG, "receive message: more than %d fds attached",
                                       PROTO_FDS_MAX);
        if (k < 0)
                return (int)k;
        if (k == 0) {
                close_fds(got, n_got);
                return -ECONNRESET;
        }
        if (k > PROTO_MESSAGE_MAX) {
                close_fds(got, n_got);
                return log_debug_errno(-EBADMSG, "receive message: datagram exceeds %d bytes",
                                       PROTO_MESSAGE_MAX);
        }

        ProtoMessage *m = NULL;
        int r = proto_decode(buf, (size_t)k, &m);
        if (r < 0) {
                close_fds(got, n_got);
                return r;
        }

        /* A caller that asked for no fds gets none: unexpected ones are closed, not leaked. */
        if (fds && ret_n_fds) {
                for (size_t i = 0; i < n_got; i++)
                        fds[i] = got[i];
                *ret_n_fds = n_got;
        } else
                close_fds(got, n_got);

        *ret = m;
        return 0;
}

int proto_connect(const char *socket_path, int *ret_fd)
{
        if (!socket_path || !ret_fd)
                return -EINVAL;
        return socket_connect_unix(socket_path, ret_fd);
}

/* Waits until fd is readable or the deadline (UINT64_MAX: none) passes. Polls at least once,
 * so a zero timeout still picks up a reply that is already queued. */
static int wait_readable(int fd, uint64_t deadline)
{
        for (;;) {
                int timeout_ms = -1;
                if (deadline != UINT64_MAX) {
                        uint64_t n = now_usec();
                        /* Round up, so we never wake just before the deadline and spin. */
                        uint64_t ms = n >= deadline ? 0 : (deadline - n + 999) / 1000;
                        timeout_ms = ms > INT32_MAX ? INT32_MAX : (int)ms;
                }
                struct pollfd p = {.fd = fd, .events = POLLIN};
                int r = poll(&p, 1, timeout_ms);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (r == 0) {
                        if (deadline != UINT64_MAX && now_usec() >= deadline)
                                return -ETIMEDOUT;
                        continue;
                }
                if (p.revents & POLLNVAL)
                        return -EBADF;
                /* POLLHUP/POLLERR: let recv report what happened. */
                return 0;
        }
}

static int call_error(BerthError **reterr, const ProtoMessage *req, int r, const char *what)
{
        return berth_error_set(reterr, r, "%s %s",
                               strempty(proto_command_to_string(req->command)), what);
}

int proto_call(int fd, const ProtoMessage *req, uint64_t timeout_usec, ProtoMessage **ret_reply,
               int *fds, size_t *ret_n_fds, BerthError **reterr)
{
        if (ret_reply)
                *ret_reply = NULL;
        if (ret_n_fds)
                *ret_n_fds = 0;
        if (fd < 0 || !req)
                return berth_error_setf(reterr, EINVAL, "call: invalid arguments");

        uint64_t deadline = UINT64_MAX;
        if (timeout_usec != UINT64_MAX) {
                uint64_t n = now_usec();
                deadline = timeout_usec >= UINT64_MAX - n ? UINT64_MAX - 1 : n + timeout_usec;
        }

        int r = proto_send(fd, req, NULL, 0);
        if (r < 0)
                return call_error(reterr, req, r, "send request");

        for (;;) {
                r = wait_readable(fd, deadline);
                if (r < 0)
                        return call_error(reterr, req, r, "wait for reply");

                _cleanup_(proto_message_freep) ProtoMessage *reply = NULL;
                int got[PROTO_FDS_MAX];
                size_t n_got = 0;
                r = proto_recv(fd, &reply, got, &n_got);
                if (r < 0)
                        return call_error(reterr, req, r, "receive reply");

                /* A subscriber may see state events before the answer to its own request. */
                if (reply->command == PROTO_CMD_EVENT && req->command != PROTO_CMD_EVENT) {
                        close_fds(got, n_got);
                        continue;
                }
                if (reply->command != req->command) {
                        close_fds(got, n_got);
                        return berth_error_setf(reterr, EBADMSG, "%s: reply for command %u",
                                                strempty(proto_command_to_string(req->command)),
                                                reply->command);
                }
                if (reply->status < 0) {
                        close_fds(got, n_got);
                        if (reply->status < -ERRNO_MAX)
                                return berth_error_setf(reterr, EBADMSG,
                                                        "%s: reply status %" PRId32,
                                                        strempty(proto_command_to_string(
                                                                req->command)),
                                                        reply->status);
                        _cleanup_free_ char *text = NULL;
                        if (proto_get_string(reply, PROTO_TAG_ERROR, &text) >= 0 && *text)
                                return berth_error_setf(reterr, -reply->status, "%s", text);
                        return berth_error_setf(reterr, -reply->status, "%s",
                                                strerror(-reply->status));
                }

                if (fds && ret_n_fds) {
                        for (size_t i = 0; i < n_got; i++)
                                fds[i] = got[i];
                        *ret_n_fds = n_got;
                } else
                        close_fds(got, n_got);
                if (ret_reply)
                        *ret_reply = TAKE_PTR(reply);
                return 0;
        }
}

int proto_accept(int listen_fd, int *ret_fd)
{
        if (listen_fd < 0 || !ret_fd)
                return -EINVAL;

        _cleanup_close_ int fd = -EBADF;
        do
                fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        while (fd < 0 && errno == EINTR);
        if (fd < 0)
                return negative_errno();

        struct ucred cred;
        int r = socket_peer_cred(fd, &cred);
        if (r < 0)
                return log_debug_errno(r, "accept connection: read peer credentials");
        /* The socket directory is 0700 already; this is the second lock on the door. */
        if (cred.uid != 0 && cred.uid != geteuid())
                return log_debug_errno(-EPERM, "accept connection: peer uid %u (pid %d) refused",
                                       (unsigned)cred.uid, (int)cred.pid);

        *ret_fd = TAKE_FD(fd);
        return 0;
}
