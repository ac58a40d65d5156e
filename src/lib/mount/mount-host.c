/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /run/host: what systemd's container interface says a container manager leaves for the
 * payload (the host's os-release, the manager's name, the container's UUID, the notify
 * socket). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fileio.h"
#include "mount-internal.h"
#include "mount.h"

static int write_file_in(int dfd, const char *name, const char *text, BerthError **reterr)
{
        _cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                                           O_CLOEXEC, 0444);
        if (fd < 0)
                return berth_error_set(reterr, errno, "create '/run/host/%s'", name);
        int r = loop_write(fd, text, strlen(text));
        if (r < 0)
                return berth_error_set(reterr, r, "write '/run/host/%s'", name);
        return 0;
}

int mount_setup_run_host(const char *rootfs, const char *os_release, const char *uuid,
                         int *ret_notify_fd, BerthError **reterr)
{
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return berth_error_set(reterr, errno, "open rootfs '%s'", rootfs);
        /* /run is the tmpfs the plan mounted; it is resolved inside the root all the same, in
         * case the tree made /run a link. */
        _cleanup_close_ int run = -EBADF;
        int r = mount_open_in_root(rootfd, "/run", O_PATH | O_DIRECTORY, &run, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "set up '/run/host'");
        if (mkdirat(run, "host", 0755) < 0 && errno != EEXIST)
                return berth_error_set(reterr, errno, "create '/run/host'");
        _cleanup_close_ int host = openat(run, "host", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (host < 0)
                return berth_error_set(reterr, errno, "open '/run/host'");

        if (os_release && (r = write_file_in(host, "os-release", os_release, reterr)) < 0)
                return r;
        if ((r = write_file_in(host, "container-manager", "berth\n", reterr)) < 0)
                return r;
        if (uuid) {
                _cleanup_free_ char *line = xasprintf("%s\n", uuid);
                if ((r = write_file_in(host, "container-uuid", line, reterr)) < 0)
                        return r;
        }

        /* Each boot of the container is its own boot (journald keys boots by it), but
         * /proc/sys/kernel/random/boot_id is the host's: a fresh one is bound over it. */
        _cleanup_free_ char *boot_id = NULL;
        r = read_one_line_at(AT_FDCWD, "/proc/sys/kernel/random/uuid", &boot_id);
        if (r < 0)
                return berth_error_set(reterr, r, "make a boot id");
        _cleanup_free_ char *line = xasprintf("%s\n", boot_id);
        if ((r = write_file_in(host, ".boot-id", line, reterr)) < 0)
                return r;
        _cleanup_close_ int src = openat(host, ".boot-id", O_PATH | O_NOFOLLOW | O_CLOEXEC);
        _cleanup_close_ int dst = -EBADF;
        if (src < 0)
                return berth_error_set(reterr, errno, "open '/run/host/.boot-id'");
        r = mount_open_in_root(rootfd, "/proc/sys/kernel/random/boot_id", O_PATH, &dst, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "bind a boot id");
        char sp[64], dp[64];
        snprintf(sp, sizeof(sp), "/proc/self/fd/%d", src);
        snprintf(dp, sizeof(dp), "/proc/self/fd/%d", dst);
        if (mount(sp, dp, NULL, MS_BIND, NULL) < 0)
                return berth_error_set(reterr, errno, "bind a boot id on "
                                                      "'/proc/sys/kernel/random/boot_id'");
        /* Reopened: the old fd still names the proc file under the new mount. /run's flags
         * stay, since a user namespace may not drop them. */
        dst = safe_close(dst);
        r = mount_open_in_root(rootfd, "/proc/sys/kernel/random/boot_id", O_PATH, &dst, reterr);
        if (r < 0)
                return berth_error_prefix(reterr, r, "bind a boot id");
        snprintf(dp, sizeof(dp), "/proc/self/fd/%d", dst);
        if (mount(NULL, dp, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV |
                                          MS_NOEXEC, NULL) < 0)
                return berth_error_set(reterr, errno, "make the boot id read-only");

        /* Bound through the directory's fd: the path is short and cannot be redirected. */
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (sock < 0)
                return berth_error_set(reterr, errno, "create notify socket");
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/notify", host);
        if (bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return berth_error_set(reterr, errno, "bind '/run/host/notify'");
        *ret_notify_fd = TAKE_FD(sock);
        return 0;
}
