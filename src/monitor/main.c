/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-monitor: started by `berth start` as "[berth monitor] NAME" with its settings in the
 * environment (BERTH_STORE, BERTH_RUNDIR, BERTH_CGROUP, BERTH_STATUS_FD); also runnable by
 * hand as `berth-monitor NAME`. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "berth.h"
#include "context.h"
#include "log.h"
#include "monitor/monitor.h"
#include "parse.h"
#include "path-util.h"

static const char *name_from_argv(int argc, char **argv)
{
        static const char prefix[] = "[berth monitor] ";
        if (argc >= 2)
                return argv[argc - 1];
        if (argc == 1 && strncmp(argv[0], prefix, sizeof(prefix) - 1) == 0)
                return argv[0] + sizeof(prefix) - 1;
        return NULL;
}

int main(int argc, char **argv)
{
        log_set_prefix("berth-monitor");
        const char *name = name_from_argv(argc, argv);
        if (!name || streq(name, "--help") || streq(name, "-h")) {
                log_error("usage: berth-monitor NAME (normally started by 'berth start')");
                return 2;
        }
        (void)prctl(PR_SET_NAME, "berth-monitor");
        /* Replies go out with MSG_NOSIGNAL; this is for any other write to a dead peer. */
        signal(SIGPIPE, SIG_IGN);

        int status_fd = -EBADF;
        const char *s = getenv("BERTH_STATUS_FD");
        uint64_t fd;
        if (s && parse_uint64(s, &fd) >= 0 && fd >= 3 && fd < 1024)
                status_fd = (int)fd;

        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_(berth_context_freep) BerthContext *ctx = NULL;
        int r = berth_context_new(NULL, &ctx, &err);
        if (r < 0) {
                if (status_fd >= 0)
                        monitor_status_write(status_fd, r, "%s", berth_error_message(err, r));
                log_error("%s", berth_error_message(err, r));
                return 1;
        }

        /* The monitor's own log sits beside the container's config. */
        if (berth_name_is_valid(name)) {
                _cleanup_free_ char *path = xasprintf("%s/%s/monitor.log", ctx->store, name);
                int lfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (lfd >= 0) {
                        if (getenv("BERTH_DEBUG"))
                                log_set_file_fd(lfd);
                        else
                                close(lfd);
                }
        }

        unsigned flags = 0;
        const char *e = getenv("BERTH_START_EPHEMERAL");
        if (e && streq(e, "1"))
                flags |= BERTH_MONITOR_EPHEMERAL;
        r = berth_monitor_run(ctx, name, flags, status_fd, &err);
        if (r < 0) {
                log_error("%s", berth_error_message(err, r));
                return 1;
        }
        return 0;
}
