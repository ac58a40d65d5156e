/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth-probe: the escape battery's probe, run as root inside a container through `berth
 * attach` (tests/security/escape.sh copies it into the rootfs; it is static, because a busybox
 * container has no libc). Each probe tries one way out, as an attacker holding container root
 * would, and prints one line:
 *
 *     NAME blocked|ESCAPED detail
 *
 * ESCAPED means the attempt got through (a mount changed, a host file opened, a call reached
 * the kernel past seccomp and the capability checks), blocked that it was refused. Every attempt
 * is harmless to the host even when it succeeds: sysctls and cgroup files are written with the
 * value they already hold, mounts are changed in a private mount namespace of the probe's own,
 * device nodes are opened read-only, kexec gets flags the kernel refuses.
 *
 * Usage: berth-probe [all | PROBE...]; berth-probe list; berth-probe euid (prints the effective
 * uid: the setuid check runs a copy of it on the host); berth-probe inject TEXT (pushes TEXT into
 * every terminal it can reach: the attach check in tmux); berth-probe read-file PATH (the shared
 * volume check); berth-probe host-file PATH (looks for a host path through /proc/PID/root);
 * berth-probe as-user UID PROGRAM ARGS... (on the host: runs PROGRAM as UID).
 * Environment: BERTH_PROBE_RO, a read-only bind mount of the container (default /ro). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define DEVPTS_MAGIC 0x1cd1
#define X32_BIT 0x40000000L

static void report(const char *name, bool escaped, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void report(const char *name, bool escaped, const char *fmt, ...)
{
        char detail[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        for (char *p = detail; *p; p++)
                if (*p == '\n' || *p == '\r')
                        *p = ' ';
        printf("%s %s %s\n", name, escaped ? "ESCAPED" : "blocked", detail);
        fflush(stdout);
}

/* Raw i386 entry (int 0x80): arguments in ebx, ecx, edx, esi, edi, 32 bits each, so pointers
 * must lie below 4 GiB. The kernel zeroes r8-r11 on the way back. */
static long i386_call(long nr, long a, long b, long c, long d, long e)
{
        long r;
        __asm__ volatile("int $0x80"
                         : "=a"(r)
                         : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e)
                         : "memory", "r8", "r9", "r10", "r11");
        return r;
}

static void *low_page(void)
{
        static void *p;
        if (!p) {
                p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
                if (p == MAP_FAILED)
                        p = NULL;
                else
                        memset(p, 0, 65536);
        }
        return p;
}

/* A syscall's outcome: refused (EPERM, EACCES: seccomp or a capability check; ENOSYS: no such
 * entry) or through to the kernel (success or any other error). */
static void report_call(const char *name, long r, int err)
{
        if (r >= 0)
                report(name, true, "succeeded (%ld)", r);
        else if (err == EPERM || err == EACCES || err == ENOSYS)
                report(name, false, "%s", strerrorname_np(err));
        else
                report(name, true, "reached the kernel past seccomp and capabilities: %s",
                       strerrorname_np(err));
}

/* Runs fn in a child in a private copy of our mount namespace, so a mount change it makes
 * (when the probe escapes) lives and dies with the child. Returns fn's exit status, or -1. */
static int in_private_mounts(int (*fn)(const void *), const void *arg, char *why, size_t n)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                        dprintf(p[1], "private mount namespace: %s", strerrorname_np(errno));
                        _exit(100);
                }
                dup2(p[1], 3);
                _exit(fn(arg));
        }
        close(p[1]);
        size_t used = 0;
        for (ssize_t k; used < n - 1 && (k = read(p[0], why + used, n - 1 - used)) > 0;)
                used += (size_t)k;
        why[used] = 0;
        close(p[0]);
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
                return -1;
        return WEXITSTATUS(st);
}

/* For children of in_private_mounts: the detail goes to fd 3. */
#define WHY(...) dprintf(3, __VA_ARGS__)

/* ---- attach: what the attached process holds ------------------------------------------------ */

static bool fd_is_container_pty(int fd)
{
        struct stat st, pts;
        struct statfs sfs;
        char path[64];
        if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
                return false;
        /* The same inode as our devpts's node: a pty of the container's own instance. */
        snprintf(path, sizeof(path), "/dev/pts/%u", minor(st.st_rdev) + (major(st.st_rdev) - 136) * 256);
        if (stat(path, &pts) < 0 || statfs("/dev/pts", &sfs) < 0 || sfs.f_type != DEVPTS_MAGIC)
                return false;
        return pts.st_dev == st.st_dev && pts.st_ino == st.st_ino;
}

static void probe_attach_fds(void)
{
        char bad[256] = "";
        size_t used = 0;
        for (int fd = 0; fd < 3; fd++) {
                struct stat st;
                if (fstat(fd, &st) < 0)
                        continue; /* closed: nothing of the host */
                if (S_ISFIFO(st.st_mode) || fd_is_container_pty(fd))
                        continue;
                char link[64], target[128] = "?";
                snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                ssize_t k = readlink(link, target, sizeof(target) - 1);
                target[k > 0 ? k : 0] = 0;
                used += (size_t)snprintf(bad + used, sizeof(bad) - used, "fd %d is %s; ", fd,
                                         target);
                if (used >= sizeof(bad))
                        break;
        }
        /* Nothing else may be open: the probe itself opened none yet but this directory. */
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                int fd = atoi(de->d_name);
                if (de->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
                        continue;
                char link[64], target[128] = "?";
                snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                ssize_t k = readlink(link, target, sizeof(target) - 1);
                target[k > 0 ? k : 0] = 0;
                if (used < sizeof(bad))
                        used += (size_t)snprintf(bad + used, sizeof(bad) - used,
                                                 "fd %d leaked: %s; ", fd, target);
        }
        if (d)
                closedir(d);
        report("attach-fds", bad[0] != 0, "%s",
               bad[0] ? bad : "fds 0-2 are pipes or ptys of the container's devpts, no other fd");
}

static void probe_attach_cwd(void)
{
        char cwd[4096];
        struct stat a, b;
        if (!getcwd(cwd, sizeof(cwd))) {
                report("attach-cwd", true, "getcwd: %s (outside the root?)",
                       strerrorname_np(errno));
                return;
        }
        /* The kernel marks a cwd outside the root "(unreachable)"; the root must be ours. */
        bool outside = strncmp(cwd, "(unreachable)", 13) == 0 || cwd[0] != '/';
        bool root_ok = stat("/proc/self/root/", &a) == 0 && stat("/", &b) == 0 &&
                       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        report("attach-cwd", outside || !root_ok, "cwd '%s'%s", cwd,
               root_ok ? "" : ", root differs from /");
}

/* TIOCSTI and TIOCLINUX paste on every terminal we hold or can open. */
static int terminals(int *fds, size_t max)
{
        size_t n = 0;
        for (int fd = 0; fd < 3 && n < max; fd++)
                if (isatty(fd))
                        fds[n++] = fd;
        int t = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (t >= 0 && n < max)
                fds[n++] = t;
        return (int)n;
}

static void probe_tiocsti(const char *name, unsigned long cmd, bool i386)
{
        int fds[4], n = terminals(fds, ELEMENTSOF(fds));
        char *c = low_page();
        if (n == 0) {
                report(name, false, "no terminal reachable at all");
                return;
        }
        c[0] = '#';
        for (int i = 0; i < n; i++) {
                long r = i386 ? i386_call(54, fds[i], (long)cmd, (long)c, 0, 0)
                              : syscall(SYS_ioctl, fds[i], cmd, c);
                int err = i386 ? (r < 0 ? (int)-r : 0) : (r < 0 ? errno : 0);
                if (r >= 0 || (err != EPERM && err != EACCES && err != ENOSYS && err != EINVAL &&
                               err != ENOTTY)) {
                        report(name, true, "ioctl 0x%lx on fd %d: %s", cmd, fds[i],
                               r >= 0 ? "pushed a byte" : strerrorname_np(err));
                        return;
                }
        }
        report(name, false, "every terminal refused 0x%lx", cmd);
}

static void probe_tioclinux(void)
{
        int fds[4], n = terminals(fds, ELEMENTSOF(fds));
        char *sub = low_page();
        sub[0] = 3; /* TIOCL_PASTESEL */
        for (int i = 0; i < n; i++)
                if (ioctl(fds[i], TIOCLINUX, sub) == 0) {
                        report("tioclinux", true, "TIOCLINUX paste on fd %d worked", fds[i]);
                        return;
                }
        report("tioclinux", false, "%s",
               n ? "refused on every terminal" : "no terminal reachable at all");
}

/* The attach check in tmux: push a command into whatever terminal we reach. */
static int cmd_inject(const char *text)
{
        int fds[4], n = terminals(fds, ELEMENTSOF(fds));
        char *low = low_page();
        int pushed = 0;
        for (int i = 0; i < n; i++)
                for (const char *p = text; *p; p++) {
                        low[0] = *p;
                        if (ioctl(fds[i], TIOCSTI, low) == 0 ||
                            syscall(SYS_ioctl, fds[i], 0x100005412UL, low) == 0 ||
                            i386_call(54, fds[i], TIOCSTI, (long)low, 0, 0) == 0)
                                pushed++;
                }
        printf("inject: %d bytes pushed into %d terminals\n", pushed, n);
        return 0;
}

/* ---- mounts --------------------------------------------------------------------------------- */

static bool mount_is_readonly(const char *path)
{
        struct statvfs sv;
        return statvfs(path, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

/* Read-write again, by the mount's flags (remount,bind) or the file system's (remount). */
static int do_remount(const void *arg)
{
        const char *path = arg;
        int e1 = 0, e2 = 0;
        if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND, NULL) < 0)
                e1 = errno;
        if (mount_is_readonly(path) && mount(NULL, path, NULL, MS_REMOUNT, NULL) < 0)
                e2 = errno;
        if (mount_is_readonly(path)) {
                WHY("mount -o remount,bind,rw %s: %s; mount -o remount,rw: %s", path,
                    e1 ? strerrorname_np(e1) : "still read-only",
                    e2 ? strerrorname_np(e2) : "still read-only");
                return 0;
        }
        WHY("remounted %s read-write", path);
        return 1;
}

static void probe_remount(const char *name, const char *path)
{
        char why[512];
        struct stat st;
        if (stat(path, &st) < 0) {
                report(name, false, "no %s here", path);
                return;
        }
        int r = in_private_mounts(do_remount, path, why, sizeof(why));
        report(name, r != 0, "%s", why[0] ? why : "probe failed");
}

static int do_umount_mask(const void *arg)
{
        (void)arg;
        static const char *const masks[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list",
                                            "/proc/sched_debug"};
        for (size_t i = 0; i < ELEMENTSOF(masks); i++) {
                if (access(masks[i], F_OK) < 0)
                        continue;
                if (umount2(masks[i], MNT_DETACH) == 0) {
                        WHY("unmounted the mask on %s", masks[i]);
                        return 1;
                }
                WHY("umount %s: %s; ", masks[i], strerrorname_np(errno));
        }
        return 0;
}

static void probe_umount_mask(void)
{
        char why[512];
        int r = in_private_mounts(do_umount_mask, NULL, why, sizeof(why));
        report("umount-proc-mask", r != 0, "%s", why[0] ? why : "no masked file here");
}

static int do_mount_fresh(const void *arg)
{
        const char *fstype = arg;
        char dir[64] = "/tmp/berth-probe-XXXXXX";
        if (!mkdtemp(dir)) {
                WHY("mkdtemp in /tmp: %s", strerrorname_np(errno));
                return 2;
        }
        int r = mount(fstype, dir, fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        int err = errno;
        if (r == 0) {
                WHY("mounted a fresh %s", fstype);
                umount2(dir, MNT_DETACH);
        } else
                WHY("mount -t %s: %s", fstype, strerrorname_np(err));
        rmdir(dir);
        return r == 0;
}

static void probe_mount_fresh(const char *name, const char *fstype)
{
        char why[512];
        int r = in_private_mounts(do_mount_fresh, fstype, why, sizeof(why));
        report(name, r == 1, "%s", why);
}

/* ---- sysctls and cgroups: written with the value they hold ---------------------------------- */

/* Reads path and writes the same bytes back: the write is what a kernel would refuse. */
static int write_back(const char *path, char *detail, size_t n)
{
        char buf[4096];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t k = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
        if (fd >= 0)
                close(fd);
        if (k < 0) {
                snprintf(detail, n, "read %s: %s", path, strerrorname_np(errno));
                return 0;
        }
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                snprintf(detail, n, "open %s for writing: %s", path, strerrorname_np(errno));
                return 0;
        }
        ssize_t w = write(fd, buf, (size_t)(k > 0 ? k : 1));
        int err = errno;
        close(fd);
        if (w < 0) {
                snprintf(detail, n, "write %s: %s", path, strerrorname_np(err));
                return 0;
        }
        snprintf(detail, n, "wrote %s (its own value back)", path);
        return 1;
}

static void probe_core_pattern(void)
{
        char d[512];
        int r = write_back("/proc/sys/kernel/core_pattern", d, sizeof(d));
        report("core-pattern", r, "%s", d);
}

static int do_core_pattern_remount(const void *arg)
{
        (void)arg;
        char d[512];
        if (mount(NULL, "/proc/sys", NULL, MS_REMOUNT | MS_BIND, NULL) < 0)
                WHY("remount /proc/sys rw: %s; ", strerrorname_np(errno));
        int r = write_back("/proc/sys/kernel/core_pattern", d, sizeof(d));
        WHY("%s", d);
        return r;
}

static int do_core_pattern_fresh_proc(const void *arg)
{
        (void)arg;
        char dir[64] = "/tmp/berth-probe-XXXXXX", path[128], d[512];
        if (!mkdtemp(dir))
                return 0;
        int r = 0;
        if (mount("proc", dir, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                WHY("mount a fresh proc: %s", strerrorname_np(errno));
        else {
                snprintf(path, sizeof(path), "%s/sys/kernel/core_pattern", dir);
                r = write_back(path, d, sizeof(d));
                WHY("fresh proc: %s", d);
                umount2(dir, MNT_DETACH);
        }
        rmdir(dir);
        return r;
}

static void probe_core_pattern_remount(void)
{
        char why[1024];
        int r = in_private_mounts(do_core_pattern_remount, NULL, why, sizeof(why));
        if (r == 1) {
                report("core-pattern-remount", true, "%s", why);
                return;
        }
        char why2[512];
        int r2 = in_private_mounts(do_core_pattern_fresh_proc, NULL, why2, sizeof(why2));
        report("core-pattern-remount", r2 == 1, "%s; %s", why, why2);
}

static const char *const sysfs_files[] = {"/sys/kernel/uevent_helper", "/sys/kernel/mm/ksm/run",
                                          "/sys/kernel/profiling"};

static int do_sysfs_write_remount(const void *arg)
{
        (void)arg;
        char d[512] = "no candidate file exists";
        (void)do_remount("/sys");
        for (size_t i = 0; i < ELEMENTSOF(sysfs_files); i++)
                if (access(sysfs_files[i], F_OK) == 0) {
                        int r = write_back(sysfs_files[i], d, sizeof(d));
                        WHY("; %s", d);
                        return r;
                }
        WHY("; %s", d);
        return 0;
}

static void probe_sysfs_write_remount(void)
{
        char why[1024];
        int r = in_private_mounts(do_sysfs_write_remount, NULL, why, sizeof(why));
        report("sysfs-write-remount", r == 1, "%s", why);
}

static void probe_sysfs_write(void)
{
        char d[512] = "no writable candidate file exists";
        for (size_t i = 0; i < ELEMENTSOF(sysfs_files); i++) {
                if (access(sysfs_files[i], F_OK) < 0)
                        continue;
                if (write_back(sysfs_files[i], d, sizeof(d))) {
                        report("sysfs-write", true, "%s", d);
                        return;
                }
                break;
        }
        report("sysfs-write", false, "%s", d);
}

static int do_release_agent(const void *arg)
{
        (void)arg;
        char d[512];
        /* An existing hierarchy root's release_agent, as the container sees them. */
        DIR *dir = opendir("/sys/fs/cgroup");
        struct dirent *de;
        while (dir && (de = readdir(dir))) {
                char p[512];
                snprintf(p, sizeof(p), "/sys/fs/cgroup/%s/release_agent", de->d_name);
                if (de->d_name[0] == '.' || access(p, F_OK) < 0)
                        continue;
                if (write_back(p, d, sizeof(d))) {
                        WHY("%s", d);
                        closedir(dir);
                        return 1;
                }
        }
        if (dir)
                closedir(dir);
        /* A hierarchy of our own: CVE-2022-0492's way to a release_agent. */
        char mnt[64] = "/tmp/berth-probe-XXXXXX", p[128];
        if (!mkdtemp(mnt))
                return 0;
        int r = 0;
        /* A named one, then controllers this host may have left unmounted. */
        static const char *const opts[] = {"none,name=berthprobe", "net_cls", "perf_event",
                                           "rdma", "misc"};
        bool mounted = false;
        for (size_t i = 0; i < ELEMENTSOF(opts) && !mounted; i++) {
                mounted = mount("cgroup", mnt, "cgroup", 0, opts[i]) == 0;
                if (!mounted)
                        WHY("mount -t cgroup -o %s: %s; ", opts[i], strerrorname_np(errno));
        }
        if (mounted) {
                snprintf(p, sizeof(p), "%s/release_agent", mnt);
                r = write_back(p, d, sizeof(d));
                WHY("own cgroup v1 hierarchy: %s", d);
                umount2(mnt, MNT_DETACH);
        }
        rmdir(mnt);
        return r;
}

static void probe_release_agent(void)
{
        char why[1024];
        int r = in_private_mounts(do_release_agent, NULL, why, sizeof(why));
        report("release-agent", r == 1, "%s", why);
}

/* ---- devices -------------------------------------------------------------------------------- */

static bool try_node(mode_t type, dev_t dev, char *detail, size_t n)
{
        char p[64] = "/tmp/berth-probe-node-XXXXXX";
        int t = mkstemp(p);
        if (t < 0)
                return false;
        close(t);
        unlink(p);
        if (mknod(p, type | 0600, dev) < 0) {
                snprintf(detail, n, "mknod %c %u:%u: %s", S_ISBLK(type) ? 'b' : 'c', major(dev),
                         minor(dev), strerrorname_np(errno));
                return false;
        }
        int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        int err = errno;
        unlink(p);
        if (fd < 0) {
                snprintf(detail, n, "mknod %c %u:%u worked, open: %s", S_ISBLK(type) ? 'b' : 'c',
                         major(dev), minor(dev), strerrorname_np(err));
                return false;
        }
        char c;
        ssize_t k = read(fd, &c, 1);
        close(fd);
        snprintf(detail, n, "mknod and open %c %u:%u (read: %zd)", S_ISBLK(type) ? 'b' : 'c',
                 major(dev), minor(dev), k);
        return true;
}

static void probe_mknod(void)
{
        char d[512] = "no host block device listed in /sys/dev/block";
        /* Every block device the host's sysfs lists, then /dev/mem and /dev/kmsg. */
        DIR *dir = opendir("/sys/dev/block");
        struct dirent *de;
        while (dir && (de = readdir(dir))) {
                unsigned ma, mi;
                if (sscanf(de->d_name, "%u:%u", &ma, &mi) != 2)
                        continue;
                if (try_node(S_IFBLK, makedev(ma, mi), d, sizeof(d))) {
                        closedir(dir);
                        report("mknod-host-dev", true, "%s", d);
                        return;
                }
        }
        if (dir)
                closedir(dir);
        char d2[256];
        static const unsigned chr[][2] = {{1, 1}, {1, 11}, {4, 1}};
        for (size_t i = 0; i < ELEMENTSOF(chr); i++)
                if (try_node(S_IFCHR, makedev(chr[i][0], chr[i][1]), d2, sizeof(d2))) {
                        report("mknod-host-dev", true, "%s", d2);
                        return;
                }
        report("mknod-host-dev", false, "%s; %s", d, d2);
}

/* ---- /proc ---------------------------------------------------------------------------------- */

static void probe_proc_read(const char *name, const char *path)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                report(name, false, "open %s: %s", path, strerrorname_np(errno));
                return;
        }
        char buf[256];
        ssize_t k = read(fd, buf, sizeof(buf));
        int err = errno;
        close(fd);
        if (k > 0)
                report(name, true, "read %zd bytes from %s", k, path);
        else
                report(name, false, "%s reads %s", path, k == 0 ? "nothing (masked)" :
                                                                  strerrorname_np(err));
}

static void probe_proc_root(void)
{
        struct stat self;
        if (stat("/", &self) < 0) {
                report("proc-root", false, "stat /: %s", strerrorname_np(errno));
                return;
        }
        DIR *d = opendir("/proc");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                char p[300];
                struct stat st;
                snprintf(p, sizeof(p), "/proc/%s/root/", de->d_name);
                if (stat(p, &st) < 0)
                        continue;
                if (st.st_dev != self.st_dev || st.st_ino != self.st_ino) {
                        report("proc-root", true, "/proc/%s/root is another root", de->d_name);
                        closedir(d);
                        return;
                }
        }
        if (d)
                closedir(d);
        report("proc-root", false, "every visible process shares our root");
}

/* A host file, named by the driver, looked for through every /proc/PID/root. */
static int cmd_host_file(const char *path)
{
        DIR *d = opendir("/proc");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                char p[4400];
                snprintf(p, sizeof(p), "/proc/%s/root%s", de->d_name, path);
                if (access(p, F_OK) == 0) {
                        report("proc-root-host-file", true, "%s exists", p);
                        closedir(d);
                        return 0;
                }
        }
        if (d)
                closedir(d);
        report("proc-root-host-file", false, "%s is in no visible process's root", path);
        return 0;
}

static void probe_uid_map(void)
{
        char buf[256] = "";
        int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
        ssize_t k = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (fd >= 0)
                close(fd);
        buf[k > 0 ? k : 0] = 0;
        unsigned long in, out, count;
        if (sscanf(buf, "%lu %lu %lu", &in, &out, &count) != 3) {
                report("uid-map", true, "unreadable uid_map '%s'", buf);
                return;
        }
        /* Root inside must not be root outside, and the map must not be writable again. */
        if (in == 0 && out == 0) {
                report("uid-map", true, "container root is host root (%lu %lu %lu)", in, out,
                       count);
                return;
        }
        fd = open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
        bool rewritten = fd >= 0 && write(fd, "0 0 1\n", 6) == 6;
        if (fd >= 0)
                close(fd);
        report("uid-map", rewritten, "container root is host uid %lu (%lu ids)%s", out, count,
               rewritten ? ", and the map could be rewritten" : "");
}

/* ---- syscalls ------------------------------------------------------------------------------- */

typedef struct Call {
        const char *name;
        long nr64, nr32, nrx32; /* x86_64, i386 and x32 (without its bit) numbers */
} Call;

static void run_call(const Call *c, int abi)
{
        char *low = low_page();
        long a[5] = {0};
        char name[64];
        static const char *const prefix[] = {"sys-", "i386-", "x32-"};

        /* Arguments that get past the capability checks to a harmless refusal. */
        if (!strcmp(c->name, "kexec_load"))
                a[3] = 0x7fff0000; /* flags the kernel refuses after its permission checks */
        else if (!strcmp(c->name, "init_module"))
                a[2] = (long)low; /* "" params, NULL image */
        else if (!strcmp(c->name, "finit_module")) {
                a[0] = -1;
                a[1] = (long)low;
        } else if (!strcmp(c->name, "open_by_handle_at")) {
                /* The shocker attack: a handle of the file system's root inode. */
                struct {
                        unsigned int bytes;
                        int type;
                        unsigned char f[8];
                } *h = (void *)(low + 1024);
                h->bytes = 8;
                h->type = 1; /* FILEID_INO32_GEN */
                uint32_t ino = 2, gen = 0;
                memcpy(h->f, &ino, 4);
                memcpy(h->f + 4, &gen, 4);
                a[0] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                a[1] = (long)h;
                a[2] = O_RDONLY;
        } else if (!strcmp(c->name, "keyctl")) {
                a[0] = KEYCTL_GET_KEYRING_ID;
                a[1] = KEY_SPEC_SESSION_KEYRING;
        } else if (!strcmp(c->name, "bpf")) {
                union bpf_attr *attr = (void *)(low + 2048);
                memset(attr, 0, sizeof(*attr));
                attr->map_type = BPF_MAP_TYPE_ARRAY;
                attr->key_size = 4;
                attr->value_size = 4;
                attr->max_entries = 1;
                a[0] = BPF_MAP_CREATE;
                a[1] = (long)attr;
                a[2] = sizeof(*attr);
        } else if (!strcmp(c->name, "perf_event_open")) {
                struct perf_event_attr *pa = (void *)(low + 4096);
                memset(pa, 0, sizeof(*pa));
                pa->type = PERF_TYPE_SOFTWARE;
                pa->size = sizeof(*pa);
                pa->config = PERF_COUNT_SW_CPU_CLOCK;
                pa->disabled = 1;
                pa->exclude_kernel = 1;
                pa->exclude_hv = 1;
                a[0] = (long)pa;
                a[1] = 0;  /* this process */
                a[2] = -1; /* any cpu */
                a[3] = -1;
        } else if (!strcmp(c->name, "userfaultfd"))
                a[0] = O_CLOEXEC | UFFD_USER_MODE_ONLY;

        long r;
        int err;
        if (abi == 1) {
                r = i386_call(c->nr32, a[0], a[1], a[2], a[3], a[4]);
                err = r < 0 ? (int)-r : 0;
        } else {
                long nr = abi == 2 ? (X32_BIT | c->nrx32) : c->nr64;
                r = syscall(nr, a[0], a[1], a[2], a[3], a[4]);
                err = r < 0 ? errno : 0;
        }
        if (r >= 0 && strcmp(c->name, "kexec_load") != 0)
                close((int)r);
        if (!strcmp(c->name, "open_by_handle_at") && a[0] >= 0)
                close((int)a[0]);
        snprintf(name, sizeof(name), "%s%s", prefix[abi], c->name);
        report_call(name, r, err);
}

static const Call calls[] = {
        {"kexec_load", SYS_kexec_load, 283, 528},
        {"init_module", SYS_init_module, 128, SYS_init_module},
        {"finit_module", SYS_finit_module, 350, SYS_finit_module},
        {"open_by_handle_at", SYS_open_by_handle_at, 342, SYS_open_by_handle_at},
        {"keyctl", SYS_keyctl, 288, SYS_keyctl},
        {"bpf", SYS_bpf, 357, SYS_bpf},
        {"perf_event_open", SYS_perf_event_open, 336, SYS_perf_event_open},
        {"userfaultfd", SYS_userfaultfd, 374, SYS_userfaultfd},
};

/* ---- the list ------------------------------------------------------------------------------- */

static const char *ro_path(void)
{
        const char *p = getenv("BERTH_PROBE_RO");
        return p && *p ? p : "/ro";
}

static void p_attach_fds(void) { probe_attach_fds(); }
static void p_attach_cwd(void) { probe_attach_cwd(); }
static void p_tiocsti(void) { probe_tiocsti("tiocsti", TIOCSTI, false); }
static void p_tiocsti_wide(void) { probe_tiocsti("tiocsti-wide", 0x100005412UL, false); }
static void p_tiocsti_i386(void) { probe_tiocsti("tiocsti-i386", TIOCSTI, true); }
static void p_remount_ro_bind(void) { probe_remount("remount-ro-bind", ro_path()); }
static void p_remount_proc_sys(void) { probe_remount("remount-proc-sys", "/proc/sys"); }
static void p_remount_sys(void) { probe_remount("remount-sys", "/sys"); }
static void p_mount_proc(void) { probe_mount_fresh("mount-proc", "proc"); }
static void p_mount_sysfs(void) { probe_mount_fresh("mount-sysfs", "sysfs"); }
static void p_mount_debugfs(void) { probe_mount_fresh("mount-debugfs", "debugfs"); }
static void p_kcore(void) { probe_proc_read("proc-kcore", "/proc/kcore"); }
static void p_keys(void) { probe_proc_read("proc-keys", "/proc/keys"); }
static void p_timer_list(void) { probe_proc_read("proc-timer-list", "/proc/timer_list"); }
static void p_calls(void)
{
        for (int abi = 0; abi < 3; abi++)
                for (size_t i = 0; i < ELEMENTSOF(calls); i++)
                        run_call(&calls[i], abi);
}

static const struct {
        const char *name;
        void (*fn)(void);
} probes[] = {
        /* The attach checks first: later probes open fds of their own. */
        {"attach-fds", p_attach_fds},
        {"attach-cwd", p_attach_cwd},
        {"tiocsti", p_tiocsti},
        {"tiocsti-wide", p_tiocsti_wide},
        {"tiocsti-i386", p_tiocsti_i386},
        {"tioclinux", probe_tioclinux},
        {"remount-ro-bind", p_remount_ro_bind},
        {"remount-proc-sys", p_remount_proc_sys},
        {"remount-sys", p_remount_sys},
        {"umount-proc-mask", probe_umount_mask},
        {"core-pattern", probe_core_pattern},
        {"core-pattern-remount", probe_core_pattern_remount},
        {"sysfs-write", probe_sysfs_write},
        {"sysfs-write-remount", probe_sysfs_write_remount},
        {"mount-proc", p_mount_proc},
        {"mount-sysfs", p_mount_sysfs},
        {"mount-debugfs", p_mount_debugfs},
        {"release-agent", probe_release_agent},
        {"mknod-host-dev", probe_mknod},
        {"proc-kcore", p_kcore},
        {"proc-keys", p_keys},
        {"proc-timer-list", p_timer_list},
        {"proc-root", probe_proc_root},
        {"uid-map", probe_uid_map},
        {"syscalls", p_calls},
};

int main(int argc, char *argv[])
{
        if (argc >= 2 && !strcmp(argv[1], "euid")) {
                printf("euid=%u\n", (unsigned)geteuid());
                return 0;
        }
        if (argc == 3 && !strcmp(argv[1], "inject"))
                return cmd_inject(argv[2]);
        if (argc == 3 && !strcmp(argv[1], "host-file"))
                return cmd_host_file(argv[2]);
        if (argc == 3 && !strcmp(argv[1], "read-file")) {
                int fd = open(argv[2], O_RDWR | O_CLOEXEC);
                if (fd < 0)
                        fd = open(argv[2], O_RDONLY | O_CLOEXEC);
                report("shared-volume", fd >= 0, "open %s: %s", argv[2],
                       fd >= 0 ? "opened another container's 0600 file" :
                                 strerrorname_np(errno));
                return 0;
        }
        /* Host side: run a program as an unprivileged user (the setuid check). */
        if (argc >= 4 && !strcmp(argv[1], "as-user")) {
                unsigned id = (unsigned)strtoul(argv[2], NULL, 10);
                if (setgroups(0, NULL) < 0 || setresgid(id, id, id) < 0 ||
                    setresuid(id, id, id) < 0) {
                        perror("berth-probe: as-user");
                        return 125;
                }
                execv(argv[3], argv + 3);
                fprintf(stderr, "berth-probe: exec %s: %s\n", argv[3], strerrorname_np(errno));
                return 126;
        }
        if (argc >= 2 && !strcmp(argv[1], "list")) {
                for (size_t i = 0; i < ELEMENTSOF(probes); i++)
                        printf("%s\n", probes[i].name);
                return 0;
        }
        bool all = argc < 2 || !strcmp(argv[1], "all");
        int ran = 0;
        for (size_t i = 0; i < ELEMENTSOF(probes); i++) {
                bool want = all;
                for (int a = 1; a < argc && !want; a++)
                        want = !strcmp(argv[a], probes[i].name);
                if (want) {
                        probes[i].fn();
                        ran++;
                }
        }
        if (ran == 0) {
                fprintf(stderr, "berth-probe: no such probe; try 'berth-probe list'\n");
                return 2;
        }
        return 0;
}
