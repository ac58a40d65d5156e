/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "init.h"

InitSignals init_signals_for(InitKind kind)
{
        switch (kind) {
        case INIT_KIND_SYSTEMD:
                /* SIGRTMIN+3 is systemd's "halt" and SIGINT its ctrl-alt-del (reboot). */
                return (InitSignals){SIGRTMIN + 3, SIGINT};
        case INIT_KIND_BUSYBOX:
                /* busybox init: USR1 halt, USR2 poweroff, TERM reboot. */
                return (InitSignals){SIGUSR1, SIGTERM};
        case INIT_KIND_SYSVINIT:
        case INIT_KIND_OPENRC:
                /* sysvinit runs the powerfail entries on SIGPWR and ctrlaltdel on SIGINT. */
                return (InitSignals){SIGPWR, SIGINT};
        default:
                return (InitSignals){SIGTERM, SIGINT};
        }
}

static int open_in_root(int rootfd, const char *path, int flags)
{
        struct open_how how = {
                .flags = flags | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        return fd < 0 ? negative_errno() : fd;
}

static bool exists_in_root(int rootfd, const char *path)
{
        int fd = open_in_root(rootfd, path, O_PATH);
        if (fd < 0)
                return false;
        close(fd);
        return true;
}

InitKind init_detect(const char *rootfs, const char *cmd0)
{
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0 || !cmd0)
                return INIT_KIND_OTHER;

        /* Resolve the init binary inside the root, then ask the kernel where it ended up. */
        _cleanup_close_ int fd = open_in_root(rootfd, cmd0, O_PATH);
        if (fd < 0)
                return INIT_KIND_OTHER;
        char link[64], target[4096];
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
                return INIT_KIND_OTHER;
        target[n] = 0;
        const char *base = strrchr(target, '/');
        base = base ? base + 1 : target;

        if (streq(base, "systemd"))
                return INIT_KIND_SYSTEMD;
        if (streq(base, "busybox"))
                return INIT_KIND_BUSYBOX;
        if (streq(base, "openrc-init") || exists_in_root(rootfd, "/sbin/openrc"))
                return INIT_KIND_OPENRC;
        if (exists_in_root(rootfd, "/etc/inittab"))
                return INIT_KIND_SYSVINIT;
        return INIT_KIND_OTHER;
}

InitSignals init_signals_resolve(const BerthConfig *c, const char *rootfs, InitKind *ret_kind)
{
        InitKind kind = c->init_kind;
        if (kind == INIT_KIND_AUTO)
                kind = init_detect(rootfs, c->init_cmd ? c->init_cmd[0] : NULL);
        InitSignals s = init_signals_for(kind);
        if (c->halt_signal > 0)
                s.halt = c->halt_signal;
        if (c->reboot_signal > 0)
                s.reboot = c->reboot_signal;
        if (ret_kind)
                *ret_kind = kind;
        return s;
}
