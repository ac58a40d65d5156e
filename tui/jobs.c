/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "fd-util.h"
#include "jobs.h"
#include "time-util.h"

static const char *const action_names[_ACTION_MAX] = {
        [ACTION_START] = "start",
        [ACTION_STOP] = "stop",
        [ACTION_KILL] = "kill",
        [ACTION_RESTART] = "restart",
        [ACTION_FREEZE] = "freeze",
        [ACTION_THAW] = "thaw",
        [ACTION_SNAPSHOT] = "snapshot",
        [ACTION_RESTORE] = "restore",
        [ACTION_SNAPSHOT_DELETE] = "delete snapshot",
        [ACTION_CLONE] = "clone",
        [ACTION_DESTROY] = "destroy",
        [ACTION_ADOPT] = "adopt",
        [ACTION_HOSTNAME] = "hostname",
        [ACTION_CONSOLE] = "console",
        [ACTION_SHELL] = "shell",
};

const char *action_to_string(ActionKind k)
{
        return k >= 0 && k < _ACTION_MAX ? action_names[k] : NULL;
}

void action_request_done(ActionRequest *r)
{
        free(r->name);
        free(r->target);
        free(r->comment);
        *r = (ActionRequest){};
}

static char *strdup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

void action_request_copy(ActionRequest *dst, const ActionRequest *src)
{
        *dst = *src;
        dst->name = strdup_or_null(src->name);
        dst->target = strdup_or_null(src->target);
        dst->comment = strdup_or_null(src->comment);
}

/* ---- the child ---------------------------------------------------------------------------- */

/* Records: "P <permille> <len>\n<payload>" for progress (permille < 0: unknown) and
 * "R <result> <len>\n<payload>" for the result, always the last. */
static void send_all(int fd, const char *p, size_t n)
{
        /* MSG_NOSIGNAL: once the dashboard has quit, the action goes on to its end instead of
         * dying of SIGPIPE halfway (and no SIGPIPE disposition leaks into what it execs). */
        while (n > 0) {
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return;
                }
                p += k;
                n -= (size_t)k;
        }
}

static void write_record(int fd, char type, long value, const char *payload)
{
        size_t len = payload ? strnlen(payload, JOB_PAYLOAD_MAX) : 0;
        char head[64];
        int n = snprintf(head, sizeof(head), "%c %ld %zu\n", type, value, len);
        send_all(fd, head, (size_t)n);
        if (len)
                send_all(fd, payload, len);
}

static void child_progress(const char *line, double fraction, void *userdata)
{
        int fd = *(int *)userdata;
        write_record(fd, 'P', fraction < 0 ? -1 : (long)(fraction * 1000), line);
}

static void child_reset_signals(void)
{
        struct sigaction sa = {.sa_handler = SIG_DFL};
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void)sigaction(sig, &sa, NULL);
        sigset_t all;
        sigemptyset(&all);
        (void)sigprocmask(SIG_SETMASK, &all, NULL);
}

static _noreturn_ void job_child(Backend *b, const ActionRequest *req, int fd, bool session)
{
        /* Our own process group: a Ctrl-C typed at the dashboard does not end an action, and a
         * session's group gets the terminal (the dashboard waits in the background). */
        (void)setpgid(0, 0);
        if (session) {
                sigset_t ttou;
                sigemptyset(&ttou);
                sigaddset(&ttou, SIGTTOU);
                (void)sigprocmask(SIG_BLOCK, &ttou, NULL);
                (void)tcsetpgrp(STDIN_FILENO, getpgrp());
        } else {
                /* Nothing the action does may write to the dashboard's terminal. */
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null < 0)
                        _exit(127);
                for (int i = 0; i < 3; i++)
                        if (dup2(null, i) < 0)
                                _exit(127);
                if (null > 2)
                        close(null);
        }
        child_reset_signals();

        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_free_ char *output = NULL;
        int r = b->ops->act(b, req, child_progress, &fd, &output, &err);
        write_record(fd, 'R', r < 0 ? r : 0, r < 0 ? berth_error_message(err, r) : output);
        _exit(0);
}

/* ---- the dashboard's side ------------------------------------------------------------------ */

int jobs_start(Jobs *jobs, Backend *b, const ActionRequest *req, bool session, Job **ret)
{
        int pfd[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pfd) < 0)
                return negative_errno();
        pid_t pid = fork();
        if (pid < 0) {
                int r = negative_errno();
                close(pfd[0]);
                close(pfd[1]);
                return r;
        }
        if (pid == 0) {
                close(pfd[0]);
                job_child(b, req, pfd[1], session);
        }
        close(pfd[1]);
        /* Also here, so that the group exists before the dashboard hands it the terminal or
         * signals it, whichever runs first. */
        (void)setpgid(pid, pid);
        (void)fd_set_nonblock(pfd[0], true);

        Job *j = xcalloc(1, sizeof(*j));
        action_request_copy(&j->req, req);
        j->pid = pid;
        j->fd = pfd[0];
        j->session = session;
        j->started_usec = now_usec();
        j->fraction = -1;
        jobs->items = xreallocarray(jobs->items, jobs->n + 1, sizeof(Job *));
        jobs->items[jobs->n++] = j;
        if (ret)
                *ret = j;
        return 0;
}

size_t job_parse_records(Job *j, const char *buf, size_t len)
{
        size_t used = 0;

        while (used < len) {
                const char *p = buf + used;
                const char *nl = memchr(p, '\n', len - used);
                if (!nl)
                        break;
                char type;
                long value;
                size_t plen;
                char head[64];
                size_t hlen = (size_t)(nl - p);
                if (hlen >= sizeof(head))
                        return len; /* garbage: drop it all */
                memcpy(head, p, hlen);
                head[hlen] = 0;
                if (sscanf(head, "%c %ld %zu", &type, &value, &plen) != 3 ||
                    plen > JOB_PAYLOAD_MAX)
                        return len;
                if ((size_t)(nl + 1 - buf) + plen > len)
                        break; /* the payload is not all here yet */
                char *payload = xstrndup(nl + 1, plen);
                used = (size_t)(nl + 1 - buf) + plen;
                if (type == 'P') {
                        free(j->progress);
                        j->progress = payload;
                        j->fraction = value < 0 ? -1 : (double)value / 1000;
                } else if (type == 'R') {
                        free(j->message);
                        j->message = plen ? payload : mfree(payload);
                        j->result = value < 0 ? (int)MAX(value, -4095L) : 0;
                        j->done = true;
                } else
                        free(payload);
        }
        return used;
}

static void job_reap(Job *j)
{
        int st;
        while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
                ;
        j->fd = safe_close(j->fd);
}

bool job_read(Job *j)
{
        if (j->fd < 0)
                return true;
        for (;;) {
                if (j->len == sizeof(j->buf))
                        j->len = 0; /* a child that floods the socket loses its records */
                ssize_t n = read(j->fd, j->buf + j->len, sizeof(j->buf) - j->len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return false;
                        n = 0; /* treat as end */
                }
                if (n == 0) {
                        job_reap(j);
                        if (!j->done) {
                                j->done = true;
                                j->result = -ECHILD;
                                free(j->message);
                                j->message = xasprintf("%s '%s': the action's process ended "
                                                       "without a result",
                                                       action_to_string(j->req.kind),
                                                       j->req.name);
                        }
                        return true;
                }
                j->len += (size_t)n;
                size_t used = job_parse_records(j, j->buf, j->len);
                memmove(j->buf, j->buf + used, j->len - used);
                j->len -= used;
        }
}

void job_cancel(Job *j)
{
        if (j->fd < 0)
                return;
        (void)kill(-j->pid, SIGKILL);
        (void)kill(j->pid, SIGKILL);
        job_reap(j);
        if (!j->done) {
                j->done = true;
                j->result = -ECANCELED;
        }
}

Job *jobs_find(Jobs *jobs, const char *name, ActionKind kind)
{
        for (size_t i = 0; i < jobs->n; i++) {
                Job *j = jobs->items[i];
                if (!j->done && streq(j->req.name, name) &&
                    (kind == _ACTION_INVALID || j->req.kind == kind))
                        return j;
        }
        return NULL;
}

static Job *job_free(Job *j)
{
        if (!j)
                return NULL;
        safe_close(j->fd);
        action_request_done(&j->req);
        free(j->progress);
        free(j->message);
        free(j);
        return NULL;
}

void jobs_remove(Jobs *jobs, Job *j)
{
        for (size_t i = 0; i < jobs->n; i++)
                if (jobs->items[i] == j) {
                        memmove(jobs->items + i, jobs->items + i + 1,
                                (jobs->n - i - 1) * sizeof(Job *));
                        jobs->n--;
                        break;
                }
        job_free(j);
}

void jobs_done(Jobs *jobs)
{
        /* Running actions go on without the dashboard: a stop the user asked for still
         * happens. Their sockets close here; the children are reparented. */
        for (size_t i = 0; i < jobs->n; i++)
                job_free(jobs->items[i]);
        free(jobs->items);
        *jobs = (Jobs){};
}
