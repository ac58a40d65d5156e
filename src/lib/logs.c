/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth logs: the console log a container's monitor keeps in <store>/NAME/console.log, read and
 * followed. Following is pushed by inotify (the file written, created for the first start,
 * restarted by the monitor past its size cap, the container gone), never a sleep loop. */
#include <fcntl.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "berth.h"
#include "container-internal.h"
#include "fd-util.h"

#define LOG_FILE "console.log"
#define DIR_MASK (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define FILE_MASK (IN_MODIFY | IN_CLOSE_WRITE)

struct BerthLog {
        char *name;
        bool follow;
        int dir_fd;     /* <store>/NAME */
        int fd;         /* console.log, or -EBADF until it exists */
        int inotify_fd; /* follow only */
        int wd_file;
        bool gone;      /* the container left the store */
        off_t offset;
};

BerthLog *berth_log_free(BerthLog *l)
{
        if (!l)
                return NULL;
        safe_close(l->dir_fd);
        safe_close(l->fd);
        safe_close(l->inotify_fd);
        free(l->name);
        free(l);
        return NULL;
}

/* Opens console.log when it is there (without following a link a container could not plant,
 * but an admin might). 0 when it is not there yet. */
static int log_open_file(BerthLog *l, BerthError **reterr)
{
        if (l->fd >= 0)
                return 1;
        int fd = openat(l->dir_fd, LOG_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                return berth_error_set(reterr, errno, "logs '%s': open '%s'", l->name, LOG_FILE);
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                safe_close(fd);
                return berth_error_setf(reterr, EBADF, "logs '%s': '%s' is not a regular file",
                                        l->name, LOG_FILE);
        }
        l->fd = fd;
        l->offset = 0;
        if (l->inotify_fd >= 0) {
                /* The open file itself, through its fd: not whatever the name points at later. */
                char p[64];
                snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
                l->wd_file = inotify_add_watch(l->inotify_fd, p, FILE_MASK);
                if (l->wd_file < 0)
                        return berth_error_set(reterr, errno, "logs '%s': watch '%s'", l->name,
                                               LOG_FILE);
        }
        return 1;
}

int berth_log_open(BerthContext *ctx, const char *name, bool follow, BerthLog **ret,
                   BerthError **reterr)
{
        int r = container_check(ctx, name, "logs", reterr);
        if (r < 0)
                return r;
        _cleanup_(berth_log_freep) BerthLog *l = xcalloc(1, sizeof(*l));
        *l = (BerthLog){.name = xstrdup(name), .follow = follow, .dir_fd = -EBADF, .fd = -EBADF,
                        .inotify_fd = -EBADF, .wd_file = -1};
        _cleanup_free_ char *dir = context_container_dir(ctx, name);
        l->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (l->dir_fd < 0)
                return berth_error_set(reterr, errno, "logs '%s': open '%s'", name, dir);
        if (follow) {
                l->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
                if (l->inotify_fd < 0)
                        return berth_error_set(reterr, errno, "logs '%s': inotify", name);
                /* Watched before the file is opened, so a file created in between is seen. */
                if (inotify_add_watch(l->inotify_fd, dir, DIR_MASK) < 0)
                        return berth_error_set(reterr, errno, "logs '%s': watch '%s'", name, dir);
        }
        r = log_open_file(l, reterr);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

int berth_log_get_fd(BerthLog *l)
{
        return l->inotify_fd;
}

/* Takes what inotify queued: the file appearing, or the container going. */
static int log_drain_inotify(BerthLog *l, BerthError **reterr)
{
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        for (;;) {
                ssize_t n = read(l->inotify_fd, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EAGAIN)
                                return 0;
                        if (errno == EINTR)
                                continue;
                        return berth_error_set(reterr, errno, "logs '%s': read inotify", l->name);
                }
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *)p;
                        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
                                l->gone = true;
                        p += sizeof(*ev) + ev->len;
                }
        }
}

ssize_t berth_log_read(BerthLog *l, void *buf, size_t size, BerthError **reterr)
{
        if (l->inotify_fd >= 0) {
                int r = log_drain_inotify(l, reterr);
                if (r < 0)
                        return r;
        }
        int r = log_open_file(l, reterr);
        if (r <= 0)
                return r;

        /* The monitor restarts the file past its size cap: read it again from the start. */
        struct stat st;
        if (fstat(l->fd, &st) >= 0 && st.st_size < l->offset)
                l->offset = 0;
        for (;;) {
                ssize_t n = pread(l->fd, buf, size, l->offset);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return berth_error_set(reterr, errno, "logs '%s': read '%s'", l->name,
                                               LOG_FILE);
                l->offset += n;
                return n;
        }
}

bool berth_log_gone(BerthLog *l)
{
        return l->gone;
}
