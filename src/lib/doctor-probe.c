/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth doctor's live probes: what only the running kernel can answer. Each one does what berth
 * itself will do (a syscall, an idmapped mount of the store, a cgroup with its limits and device
 * list) and takes away whatever it made. */
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "context.h"
#include "doctor.h"
#include "fd-util.h"
#include "monitor/monitor.h"
#include "ns/idmap.h"
#include "path-util.h"
#include "strv.h"

static Tristate probe_syscall(long r)
{
        if (r >= 0) {
                (void)close((int)r);
                return 1;
        }
        return errno == ENOSYS ? 0 : 1;
}

static const char *fs_name(long type)
{
        static const struct {
                long type;
                const char *name;
        } names[] = {
                {EXT4_SUPER_MAGIC, "ext4"}, {XFS_SUPER_MAGIC, "xfs"},
                {BTRFS_SUPER_MAGIC, "btrfs"}, {TMPFS_MAGIC, "tmpfs"},
                {OVERLAYFS_SUPER_MAGIC, "overlayfs"}, {NFS_SUPER_MAGIC, "nfs"},
                {0x2fc12fc1, "zfs"}, {0x65735546, "fuse"}, {PROC_SUPER_MAGIC, "proc"},
                {SYSFS_MAGIC, "sysfs"}, {CGROUP_SUPER_MAGIC, "cgroup"},
                {CGROUP2_SUPER_MAGIC, "cgroup2"},
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i].type == type)
                        return names[i].name;
        return NULL;
}

/* A user namespace of a child that waits, with a map, for idmapped mounts to be tried against. */
static void probe_idmap(DoctorFacts *f)
{
        struct statfs sfs;
        char fsbuf[32];
        const char *fs = statfs(f->store_existing, &sfs) >= 0 ? fs_name(sfs.f_type) : NULL;
        if (!fs) {
                snprintf(fsbuf, sizeof(fsbuf), "fs type 0x%lx", (long)sfs.f_type);
                fs = fsbuf;
        }

        /* ready: the child reports its namespace; hold: it waits until the parent is done. */
        int ready[2], hold[2];
        if (pipe2(ready, O_CLOEXEC) < 0) {
                f->idmap_detail = xasprintf("cannot probe: pipe: %s", strerror(errno));
                return;
        }
        if (pipe2(hold, O_CLOEXEC) < 0) {
                f->idmap_detail = xasprintf("cannot probe: pipe: %s", strerror(errno));
                safe_close(ready[0]);
                safe_close(ready[1]);
                return;
        }
        pid_t pid = fork();
        if (pid == 0) {
                safe_close(ready[0]);
                safe_close(hold[1]);
                char c = unshare(CLONE_NEWUSER) < 0 ? 'E' : 'U';
                (void)!write(ready[1], &c, 1);
                (void)!read(hold[0], &c, 1); /* EOF when the parent is done */
                _exit(0);
        }
        safe_close(ready[1]);
        safe_close(hold[0]);
        char c = 0;
        if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 'U') {
                f->idmap_detail = xasprintf("cannot probe: no user namespace could be made");
                safe_close(ready[0]);
                safe_close(hold[1]);
                if (pid > 0)
                        (void)waitpid(pid, NULL, 0);
                return;
        }
        safe_close(ready[0]);

        static const BerthIdmap map = {.container = 0, .host = IDMAP_DEFAULT_HOST,
                                       .count = IDMAP_DEFAULT_COUNT};
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        _cleanup_free_ char *ns = xasprintf("/proc/%d/ns/user", (int)pid);
        int r = idmap_write(pid, &map, 1, &err);
        _cleanup_close_ int userns = r >= 0 ? open(ns, O_RDONLY | O_CLOEXEC) : -EBADF;
        if (r >= 0 && userns < 0)
                r = berth_error_set(&err, errno, "open '%s'", ns);
        int tree = -EBADF;
        if (r >= 0)
                r = idmap_mount_tree(f->store_existing, userns, &tree, &err);
        safe_close(tree); /* a detached mount: gone with its last fd */
        safe_close(hold[1]);
        (void)waitpid(pid, NULL, 0);

        if (r >= 0) {
                f->idmap_store = 1;
                f->idmap_detail = xasprintf("%s on %s", fs, f->store_existing);
        } else {
                f->idmap_store = 0;
                f->idmap_detail = xasprintf("%s on %s: %s", fs, f->store_existing,
                                            berth_error_message(err, r));
        }
}

/* What a start does to cgroups: berth's parent and a cgroup below it with limits and the
 * device list, in every hierarchy; then all of it removed again. */
static void probe_cgroups(BerthContext *ctx, DoctorFacts *f)
{
        const CgroupLayout *layout;
        if (context_cgroup_layout(ctx, &layout) < 0) {
                f->cgroup_create = 0;
                f->cgroup_detail = xstrdup("no cgroup layout");
                return;
        }
        _cleanup_(cgroup_freep) Cgroup *parent = NULL, *cg = NULL;
        _cleanup_free_ char *rel = xasprintf("%s/.doctor-%d", ctx->cgroup_parent, (int)getpid());
        if (cgroup_new(layout, ctx->cgroup_parent, &parent) < 0 ||
            cgroup_new(layout, rel, &cg) < 0) {
                f->cgroup_create = 0;
                f->cgroup_detail = xasprintf("invalid cgroup parent '%s'", ctx->cgroup_parent);
                return;
        }
        const char *pdir = cgroup_path_for(parent, "memory") ?: cgroup_path_for(parent, NULL);
        bool parent_existed = pdir && access(pdir, F_OK) >= 0;

        _cleanup_(berth_error_freep) BerthError *err = NULL;
        static const BerthLimits probe_limits = {.memory = 64ULL << 20, .pids = 64};
        int r = cgroup_create(cg, &err);
        if (r >= 0)
                r = cgroup_apply_limits(cg, &probe_limits, &err);
        if (r >= 0) {
                int d = cgroup_apply_devices(cg, &err);
                if (layout->unified)
                        f->bpf_devices = d >= 0;
                r = d;
        }
        f->cgroup_create = r >= 0;
        f->cgroup_detail = r >= 0 ? xasprintf("created '%s' with limits and a device list, and "
                                              "removed it",
                                              rel)
                                  : xstrdup(berth_error_message(err, r));
        (void)cgroup_destroy(cg, NULL);
        if (!parent_existed)
                (void)cgroup_destroy(parent, NULL);
}

void doctor_probe(BerthContext *ctx, DoctorFacts *f)
{
        struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
        f->openat2 = probe_syscall(syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how)));
        /* clone3 with no arguments fails with EINVAL or EFAULT where it exists. */
        long c3 = syscall(SYS_clone3, NULL, 0);
        f->clone3 = c3 < 0 && errno == ENOSYS ? 0 : 1;
        f->pidfd = probe_syscall(syscall(SYS_pidfd_open, getpid(), 0));
        probe_idmap(f);
        probe_cgroups(ctx, f);
}
