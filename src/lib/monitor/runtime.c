/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "monitor.h"
#include "parse.h"
#include "proc-util.h"

char *monitor_payload_cgroup(const char *parent, const char *name)
{
        return xasprintf("%s/%s", parent, name);
}

char *monitor_own_cgroup(const char *parent, const char *name)
{
        return xasprintf("%s/%s.monitor", parent, name);
}

void runtime_state_done(RuntimeState *s)
{
        free(s->cgroup);
        free(s->ephemeral_dir);
        *s = (RuntimeState){};
}

int runtime_state_write(const char *run_dir, const RuntimeState *s)
{
        _cleanup_free_ char *text = xasprintf(
                "state=%s\ninit_pid=%d\ninit_starttime=%llu\nsince=%llu\nstarted=%llu\n"
                "ready=%d\nmonitor_pid=%d\nmonitor_starttime=%llu\ncgroup=%s\nephemeral=%s\n",
                berth_state_to_string(s->state), (int)s->init_pid,
                (unsigned long long)s->init_starttime, (unsigned long long)s->since_usec,
                (unsigned long long)s->started_usec, s->ready, (int)s->monitor_pid,
                (unsigned long long)s->monitor_starttime, strempty(s->cgroup),
                strempty(s->ephemeral_dir));
        _cleanup_close_ int dfd = open(run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        /* The runtime dir does not outlive a reboot: no fsync on the start path. */
        return write_file_replace_at(dfd, "state", text, strlen(text), 0600);
}

int runtime_state_read(const char *run_dir, RuntimeState *ret)
{
        _cleanup_free_ char *path = xasprintf("%s/state", run_dir), *text = NULL;
        int r = read_full_file_at(AT_FDCWD, path, SMALL_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;

        RuntimeState s = {.state = _BERTH_STATE_INVALID};
        char *cursor = text, *line, *v;
        while (next_kv_line(&cursor, &line, &v)) {
                uint64_t u;
                if (streq(line, "state"))
                        s.state = berth_state_from_string(v);
                else if (streq(line, "init_pid") && parse_uint64(v, &u) >= 0 && u < INT32_MAX)
                        s.init_pid = (pid_t)u;
                else if (streq(line, "init_starttime") && parse_uint64(v, &u) >= 0)
                        s.init_starttime = u;
                else if (streq(line, "since") && parse_uint64(v, &u) >= 0)
                        s.since_usec = u;
                else if (streq(line, "started") && parse_uint64(v, &u) >= 0)
                        s.started_usec = u;
                else if (streq(line, "ready"))
                        s.ready = streq(v, "1");
                else if (streq(line, "monitor_starttime") && parse_uint64(v, &u) >= 0)
                        s.monitor_starttime = u;
                else if (streq(line, "monitor_pid") && parse_uint64(v, &u) >= 0 && u < INT32_MAX)
                        s.monitor_pid = (pid_t)u;
                else if (streq(line, "ephemeral") && *v) {
                        free(s.ephemeral_dir);
                        s.ephemeral_dir = xstrdup(v);
                } else if (streq(line, "cgroup") && *v) {
                        free(s.cgroup);
                        s.cgroup = xstrdup(v);
                }
        }
        /* Only a starting container has no init yet. */
        if (s.state < 0 || (s.init_pid <= 0 && s.state != BERTH_STATE_STARTING) || !s.cgroup) {
                runtime_state_done(&s);
                return -EBADMSG;
        }
        *ret = s;
        return 0;
}

int proc_starttime(pid_t pid, uint64_t *ret)
{
        ProcStat st;
        int r = proc_stat_read(pid, &st);
        if (r < 0)
                return r;
        *ret = st.starttime;
        return 0;
}

/* Alive and still the process that started at starttime. A zombie counts as dead: a monitor
 * killed with SIGKILL stays one until whoever inherited it reaps it. */
static bool process_is(pid_t pid, uint64_t starttime)
{
        ProcStat st;
        if (pid <= 0 || proc_stat_read(pid, &st) < 0)
                return false;
        return st.starttime == starttime && st.state != 'Z' && st.state != 'X';
}

bool runtime_init_alive(const RuntimeState *s)
{
        return process_is(s->init_pid, s->init_starttime);
}

bool runtime_monitor_alive(const RuntimeState *s)
{
        return process_is(s->monitor_pid, s->monitor_starttime);
}

void monitor_status_write(int fd, int error, const char *fmt, ...)
{
        char msg[MONITOR_STATUS_MAX - 32];
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        /* One line: a message never carries a newline into the protocol. */
        for (char *p = msg; *p; p++)
                if (*p == '\n')
                        *p = ' ';
        int code = error < 0 ? -error : error;
        (void)dprintf(fd, "error %d %s\n", code ? code : EIO, msg);
}

int monitor_status_parse(const char *line, BerthError **reterr)
{
        size_t len = strcspn(line, "\n");
        if (len == 2 && strncmp(line, "ok", 2) == 0)
                return 0;
        unsigned code = 0;
        int off = 0;
        if (sscanf(line, "error %u %n", &code, &off) == 1 && off > 0 && errno_is_valid(code) &&
            (size_t)off <= len)
                return berth_error_setf(reterr, (int)code, "%.*s", (int)(len - off), line + off);
        return berth_error_setf(reterr, EPROTO, "the monitor exited without reporting");
}

static bool uuid_is_valid(const char *s)
{
        if (strlen(s) != 36)
                return false;
        for (int i = 0; i < 36; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
                        return false;
        }
        return true;
}

int container_uuid_get(const char *container_dir, char **ret)
{
        _cleanup_close_ int dfd = open(container_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        char *uuid = NULL;
        if (read_one_line_at(dfd, "uuid", &uuid) >= 0 && uuid_is_valid(uuid)) {
                *ret = uuid;
                return 0;
        }
        free(uuid);
        int r = read_one_line_at(AT_FDCWD, "/proc/sys/kernel/random/uuid", &uuid);
        if (r < 0)
                return r;
        if (!uuid_is_valid(uuid)) {
                free(uuid);
                return -EBADMSG;
        }
        _cleanup_free_ char *line = xasprintf("%s\n", uuid);
        r = write_file_atomic_at(dfd, "uuid", line, strlen(line), 0644);
        if (r < 0) {
                free(uuid);
                return r;
        }
        *ret = uuid;
        return 0;
}
