/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount plan (pure), the in-root path resolution (a temp dir, no root), and, as root, a real
 * application in a child's private namespaces: mounts, ptys, pivot_root and symlink attacks. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "../lib/tap.h"
#include "fileio.h"
#include "mount/mount-internal.h"
#include "mount/mount.h"
#include "path-util.h"
#include "strv.h"

#define skip(...)                                                                                  \
        ({                                                                                         \
                tap_n++;                                                                           \
                printf("ok %d # SKIP ", tap_n);                                                    \
                printf(__VA_ARGS__);                                                               \
                printf("\n");                                                                      \
        })

static char *mfree_path(char *old, const char *a, const char *b)
{
        free(old);
        return path_join(a, b);
}

static const MountEntry *find_entry(const MountPlan *p, MountKind kind, const char *target)
{
        for (size_t i = 0; i < p->n_entries; i++)
                if (p->entries[i].kind == kind && streq(p->entries[i].target, target))
                        return &p->entries[i];
        return NULL;
}

static size_t index_of(const MountPlan *p, MountKind kind, const char *target)
{
        const MountEntry *e = find_entry(p, kind, target);
        return e ? (size_t)(e - p->entries) : (size_t)-1;
}

static size_t count_kind(const MountPlan *p, MountKind kind, const char *fstype)
{
        size_t n = 0;
        for (size_t i = 0; i < p->n_entries; i++)
                if (p->entries[i].kind == kind &&
                    (!fstype || streq_ptr(p->entries[i].fstype, fstype)))
                        n++;
        return n;
}

static void test_kind_table(void)
{
        for (int k = 0; k < _MOUNT_KIND_MAX; k++) {
                const char *s = mount_kind_to_string((MountKind)k);
                ok(s != NULL, "mount kind %d has a name", k);
                is_int(mount_kind_from_string(s), k, "mount kind '%s' round-trips", s);
                for (int j = 0; j < k; j++)
                        if (streq(s, mount_kind_to_string((MountKind)j)))
                                ok(false, "mount kind names %d and %d differ", j, k);
        }
        is_str(mount_kind_to_string(MOUNT_KIND_BIND), "bind", "bind is named 'bind'");
        ok(mount_kind_to_string(_MOUNT_KIND_MAX) == NULL, "kind _MAX has no name");
        ok(mount_kind_to_string(_MOUNT_KIND_INVALID) == NULL, "kind -1 has no name");
        is_int(mount_kind_from_string("nope"), _MOUNT_KIND_INVALID, "unknown kind name");
        is_int(mount_kind_from_string(NULL), _MOUNT_KIND_INVALID, "NULL kind name");
        is_int(mount_kind_from_string("BIND"), _MOUNT_KIND_INVALID, "kind names are exact");
        ok(mount_plan_free(NULL) == NULL, "mount_plan_free(NULL)");
}

static MountPlan *build(const BerthConfig *c, const MountPlanOptions *o)
{
        MountPlan *p = NULL;
        BerthError *err = NULL;
        int r = mount_plan_build(c, o, &p, &err);
        if (!ok(r == 0 && p, "plan builds"))
                printf("#   %s\n", berth_error_message(err, r));
        berth_error_free(err);
        return p;
}

static void test_default_order(void)
{
        char *v1[] = {"memory", "cpu,cpuacct", "name=systemd", NULL};
        MountPlanOptions o = {.cgroup_v1_hierarchies = v1, .ttys = 2};
        static const struct {
                MountKind kind;
                const char *target;
        } want[] = {
                {MOUNT_KIND_FS, "/proc"},
                {MOUNT_KIND_BIND, "/proc/sys"},
                {MOUNT_KIND_REMOUNT, "/proc/sys"},
                {MOUNT_KIND_BIND, "/proc/sysrq-trigger"},
                {MOUNT_KIND_REMOUNT, "/proc/sysrq-trigger"},
                {MOUNT_KIND_BIND, "/proc/irq"},
                {MOUNT_KIND_REMOUNT, "/proc/irq"},
                {MOUNT_KIND_BIND, "/proc/bus"},
                {MOUNT_KIND_REMOUNT, "/proc/bus"},
                {MOUNT_KIND_BIND, "/proc/kcore"},
                {MOUNT_KIND_BIND, "/proc/keys"},
                {MOUNT_KIND_BIND, "/proc/timer_list"},
                {MOUNT_KIND_BIND, "/proc/sched_debug"},
                {MOUNT_KIND_FS, "/sys"},
                {MOUNT_KIND_FS, "/sys/fs/cgroup"},
                {MOUNT_KIND_MKDIR, "/sys/fs/cgroup/memory"},
                {MOUNT_KIND_FS, "/sys/fs/cgroup/memory"},
                {MOUNT_KIND_MKDIR, "/sys/fs/cgroup/cpu,cpuacct"},
                {MOUNT_KIND_FS, "/sys/fs/cgroup/cpu,cpuacct"},
                {MOUNT_KIND_SYMLINK, "/sys/fs/cgroup/cpu"},
                {MOUNT_KIND_SYMLINK, "/sys/fs/cgroup/cpuacct"},
                {MOUNT_KIND_MKDIR, "/sys/fs/cgroup/systemd"},
                {MOUNT_KIND_FS, "/sys/fs/cgroup/systemd"},
                {MOUNT_KIND_MKDIR, "/sys/fs/cgroup/unified"},
                {MOUNT_KIND_FS, "/sys/fs/cgroup/unified"},
                {MOUNT_KIND_REMOUNT, "/sys/fs/cgroup"},
                {MOUNT_KIND_FS, "/dev"},
                {MOUNT_KIND_MKNOD, "/dev/null"},
                {MOUNT_KIND_MKNOD, "/dev/zero"},
                {MOUNT_KIND_MKNOD, "/dev/full"},
                {MOUNT_KIND_MKNOD, "/dev/random"},
                {MOUNT_KIND_MKNOD, "/dev/urandom"},
                {MOUNT_KIND_MKNOD, "/dev/tty"},
                {MOUNT_KIND_SYMLINK, "/dev/fd"},
                {MOUNT_KIND_SYMLINK, "/dev/stdin"},
                {MOUNT_KIND_SYMLINK, "/dev/stdout"},
                {MOUNT_KIND_SYMLINK, "/dev/stderr"},
                {MOUNT_KIND_SYMLINK, "/dev/ptmx"},
                {MOUNT_KIND_MKDIR, "/dev/pts"},
                {MOUNT_KIND_MKDIR, "/dev/shm"},
                {MOUNT_KIND_MKDIR, "/dev/mqueue"},
                {MOUNT_KIND_FS, "/dev/pts"},
                {MOUNT_KIND_FS, "/dev/shm"},
                {MOUNT_KIND_FS, "/dev/mqueue"},
                {MOUNT_KIND_FS, "/run"},
                {MOUNT_KIND_FILE, "/dev/console"},
                {MOUNT_KIND_FILE, "/dev/tty1"},
                {MOUNT_KIND_FILE, "/dev/tty2"},
        };

        _cleanup_(mount_plan_freep) MountPlan *p = build(NULL, &o);
        if (!p)
                return;
        is_int(p->n_entries, ELEMENTSOF(want), "default plan has %zu entries", ELEMENTSOF(want));
        bool same = true;
        for (size_t i = 0; i < MIN(p->n_entries, ELEMENTSOF(want)); i++)
                if (p->entries[i].kind != want[i].kind ||
                    !streq(p->entries[i].target, want[i].target)) {
                        printf("#   entry %zu: got %s '%s', want %s '%s'\n", i,
                               mount_kind_to_string(p->entries[i].kind), p->entries[i].target,
                               mount_kind_to_string(want[i].kind), want[i].target);
                        same = false;
                }
        ok(same, "default plan: exact order and kinds");

        const MountEntry *e = &p->entries[0];
        is_str(e->fstype, "proc", "proc fstype");
        is_str(e->source, "proc", "proc source");
        is_int(e->flags, MS_NOSUID | MS_NODEV | MS_NOEXEC, "proc: nosuid,nodev,noexec");
        is_int(e->create, MOUNT_CREATE_DIR, "proc: /proc made when missing");
        ok(!e->optional, "proc is not optional");

        e = find_entry(p, MOUNT_KIND_BIND, "/proc/sys");
        ok(e && e->source_in_root && streq(e->source, "/proc/sys") && e->optional &&
                   (e->flags & MS_BIND),
           "/proc/sys: optional bind of the container's own /proc/sys");
        e = find_entry(p, MOUNT_KIND_REMOUNT, "/proc/sys");
        ok(e && (e->flags & (MS_BIND | MS_REMOUNT | MS_RDONLY)) ==
                           (MS_BIND | MS_REMOUNT | MS_RDONLY),
           "/proc/sys: bind remount read-only");
        ok(e && (e->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)) ==
                           (MS_NOSUID | MS_NODEV | MS_NOEXEC),
           "/proc/sys: remount keeps nosuid,nodev,noexec");
        e = find_entry(p, MOUNT_KIND_REMOUNT, "/proc/sysrq-trigger");
        ok(e && (e->flags & MS_RDONLY) && e->optional, "/proc/sysrq-trigger read-only, optional");
        e = find_entry(p, MOUNT_KIND_BIND, "/proc/kcore");
        ok(e && streq(e->source, "/dev/null") && !e->source_in_root && e->optional &&
                   e->flags == MS_BIND,
           "/proc/kcore masked by the host's /dev/null");
        ok(!find_entry(p, MOUNT_KIND_REMOUNT, "/proc/kcore"), "masks need no remount");

        e = find_entry(p, MOUNT_KIND_FS, "/sys");
        ok(e && streq(e->fstype, "sysfs") &&
                   e->flags == (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC),
           "sysfs read-only, nosuid,nodev,noexec");

        e = find_entry(p, MOUNT_KIND_FS, "/sys/fs/cgroup");
        ok(e && streq(e->fstype, "tmpfs") && streq_ptr(e->data, "mode=755") &&
                   e->flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC),
           "cgroup tmpfs mode 755");
        e = find_entry(p, MOUNT_KIND_REMOUNT, "/sys/fs/cgroup");
        ok(e &&
                   (e->flags & (MS_BIND | MS_REMOUNT | MS_RDONLY)) ==
                           (MS_BIND | MS_REMOUNT | MS_RDONLY) &&
                   !e->optional,
           "cgroup tmpfs remounted read-only");
        is_int(count_kind(p, MOUNT_KIND_FS, "cgroup"), 3, "one cgroup mount per v1 hierarchy");
        e = find_entry(p, MOUNT_KIND_FS, "/sys/fs/cgroup/memory");
        ok(e && streq(e->fstype, "cgroup") && streq_ptr(e->data, "memory") &&
                   e->flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC) && !e->optional,
           "memory hierarchy: options 'memory', nosuid,nodev,noexec");
        e = find_entry(p, MOUNT_KIND_FS, "/sys/fs/cgroup/cpu,cpuacct");
        is_str(e ? e->data : NULL, "cpu,cpuacct", "co-mounted hierarchy keeps its options");
        e = find_entry(p, MOUNT_KIND_SYMLINK, "/sys/fs/cgroup/cpuacct");
        is_str(e ? e->source : NULL, "cpu,cpuacct", "cpuacct -> cpu,cpuacct");
        e = find_entry(p, MOUNT_KIND_FS, "/sys/fs/cgroup/systemd");
        is_str(e ? e->data : NULL, "none,name=systemd", "named hierarchy gets 'none,'");
        ok(!find_entry(p, MOUNT_KIND_SYMLINK, "/sys/fs/cgroup/systemd"), "no link for a named one");
        e = find_entry(p, MOUNT_KIND_FS, "/sys/fs/cgroup/unified");
        ok(e && streq(e->fstype, "cgroup2") && e->optional, "hybrid: optional cgroup2 at unified");

        e = find_entry(p, MOUNT_KIND_FS, "/dev");
        ok(e && streq(e->fstype, "tmpfs") && e->flags == (MS_NOSUID | MS_NOEXEC) && e->data &&
                   strstr(e->data, "mode=755") && strstr(e->data, "size="),
           "/dev: tmpfs, nosuid,noexec (not nodev), mode 755, small size");
        e = find_entry(p, MOUNT_KIND_MKNOD, "/dev/null");
        ok(e && e->major == 1 && e->minor == 3 && e->mode == 0666, "/dev/null 1:3 0666");
        e = find_entry(p, MOUNT_KIND_MKNOD, "/dev/urandom");
        ok(e && e->major == 1 && e->minor == 9 && e->mode == 0666, "/dev/urandom 1:9");
        e = find_entry(p, MOUNT_KIND_MKNOD, "/dev/tty");
        ok(e && e->major == 5 && e->minor == 0, "/dev/tty 5:0");
        is_int(count_kind(p, MOUNT_KIND_MKNOD, NULL), 6, "six device nodes");
        e = find_entry(p, MOUNT_KIND_SYMLINK, "/dev/fd");
        is_str(e ? e->source : NULL, "/proc/self/fd", "/dev/fd -> /proc/self/fd");
        e = find_entry(p, MOUNT_KIND_SYMLINK, "/dev/stderr");
        is_str(e ? e->source : NULL, "/proc/self/fd/2", "/dev/stderr -> /proc/self/fd/2");
        e = find_entry(p, MOUNT_KIND_SYMLINK, "/dev/ptmx");
        is_str(e ? e->source : NULL, "pts/ptmx", "/dev/ptmx -> pts/ptmx");
        ok(!find_entry(p, MOUNT_KIND_SYMLINK, "/dev/core"), "no /dev/core");

        e = find_entry(p, MOUNT_KIND_FS, "/dev/pts");
        ok(e && streq(e->fstype, "devpts") && e->flags == (MS_NOSUID | MS_NOEXEC), "devpts flags");
        is_str(e ? e->data : NULL, "newinstance,ptmxmode=0666,mode=0620,gid=5", "devpts options");
        e = find_entry(p, MOUNT_KIND_FS, "/dev/shm");
        ok(e && streq(e->fstype, "tmpfs") && streq_ptr(e->data, "mode=1777") &&
                   e->flags == (MS_NOSUID | MS_NODEV),
           "/dev/shm tmpfs 1777 nosuid,nodev");
        e = find_entry(p, MOUNT_KIND_FS, "/dev/mqueue");
        ok(e && streq(e->fstype, "mqueue") && e->optional, "/dev/mqueue optional");
        e = find_entry(p, MOUNT_KIND_FS, "/run");
        ok(e && streq(e->fstype, "tmpfs") && streq_ptr(e->data, "mode=755") &&
                   e->flags == (MS_NOSUID | MS_NODEV),
           "/run tmpfs 755 nosuid,nodev");
        ok(index_of(p, MOUNT_KIND_FS, "/dev/pts") > index_of(p, MOUNT_KIND_MKDIR, "/dev/pts"),
           "/dev/pts made before devpts is mounted");
        ok(!find_entry(p, MOUNT_KIND_FILE, "/dev/tty3"), "no tty3 with ttys=2");
}

static void test_variants(void)
{
        char *v1[] = {"memory", NULL};
        MountPlanOptions o = {.cgroup_unified = true, .cgroup_v1_hierarchies = v1};
        _cleanup_(mount_plan_freep) MountPlan *p = build(NULL, &o);
        if (p) {
                const MountEntry *e = find_entry(p, MOUNT_KIND_FS, "/sys/fs/cgroup");
                ok(e && streq(e->fstype, "cgroup2") &&
                           e->flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC),
                   "unified: cgroup2 on /sys/fs/cgroup");
                is_int(count_kind(p, MOUNT_KIND_FS, "cgroup"), 0, "unified: no v1 mounts");
                is_int(count_kind(p, MOUNT_KIND_FS, "tmpfs"), 3,
                       "unified: tmpfs only for /dev, /dev/shm, /run");
                ok(!find_entry(p, MOUNT_KIND_REMOUNT, "/sys/fs/cgroup"), "unified: no ro remount");
                ok(!find_entry(p, MOUNT_KIND_FS, "/sys/fs/cgroup/unified"), "unified: no unified/");
                ok(find_entry(p, MOUNT_KIND_FILE, "/dev/console") &&
                           !find_entry(p, MOUNT_KIND_FILE, "/dev/tty1"),
                   "ttys=0: console only");
        }
        p = mount_plan_free(p);

        o = (MountPlanOptions){.userns = true, .ttys = 5};
        p = build(NULL, &o);
        if (p) {
                is_int(count_kind(p, MOUNT_KIND_MKNOD, NULL), 0, "userns: no mknod");
                static const char *const nodes[] = {"null",   "zero",    "full",
                                                    "random", "urandom", "tty"};
                bool all = true;
                for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                        _cleanup_free_ char *t = xasprintf("/dev/%s", nodes[i]);
                        const MountEntry *f = find_entry(p, MOUNT_KIND_FILE, t);
                        const MountEntry *b = find_entry(p, MOUNT_KIND_BIND, t);
                        if (!f || !b || f > b || !streq(b->source, t) || b->source_in_root ||
                            b->flags != MS_BIND || f->mode != 0666) {
                                printf("#   node %s wrong\n", t);
                                all = false;
                        }
                }
                ok(all, "userns: every node is an empty file, then a bind of the host's node");
                ok(index_of(p, MOUNT_KIND_BIND, "/dev/null") > index_of(p, MOUNT_KIND_FS, "/dev"),
                   "userns: node binds after the /dev tmpfs");
                size_t n = 0;
                for (unsigned i = 1; i <= 6; i++) {
                        _cleanup_free_ char *t = xasprintf("/dev/tty%u", i);
                        if (find_entry(p, MOUNT_KIND_FILE, t))
                                n++;
                }
                is_int(n, 5, "ttys=5: five tty files");
                const MountEntry *e = find_entry(p, MOUNT_KIND_FILE, "/dev/tty5");
                ok(e && e->mode == 0620, "tty file mode 0620");
                e = find_entry(p, MOUNT_KIND_FILE, "/dev/console");
                ok(e && e->mode == 0600, "console file mode 0600");
                is_int(count_kind(p, MOUNT_KIND_FS, "cgroup"), 0, "no hierarchies: no v1 mounts");
                ok(find_entry(p, MOUNT_KIND_REMOUNT, "/sys/fs/cgroup") != NULL,
                   "no hierarchies: tmpfs still read-only");
        }
        p = mount_plan_free(p);

        /* "none,name=x" as given, and the explicit options are not doubled. */
        char *v1b[] = {"none,name=foo", "cpuset", NULL};
        o = (MountPlanOptions){.cgroup_v1_hierarchies = v1b};
        p = build(NULL, &o);
        if (p) {
                const MountEntry *e = find_entry(p, MOUNT_KIND_FS, "/sys/fs/cgroup/foo");
                is_str(e ? e->data : NULL, "none,name=foo", "'none,name=foo' kept as is");
                e = find_entry(p, MOUNT_KIND_FS, "/sys/fs/cgroup/cpuset");
                is_str(e ? e->data : NULL, "cpuset", "single controller");
        }
        p = mount_plan_free(p);

        p = build(NULL, NULL);
        ok(p && find_entry(p, MOUNT_KIND_FS, "/proc") &&
                   find_entry(p, MOUNT_KIND_FILE, "/dev/console"),
           "NULL options: defaults");
}

static BerthMount mnt(const char *source, const char *target, const char *type)
{
        return (BerthMount){.source = (char *)source,
                            .target = (char *)target,
                            .type = (char *)type,
                            .bind = !type};
}

static void test_user_mounts(void)
{
        BerthMount m[6];
        m[0] = mnt("/srv/data", "/data", NULL);
        m[0].readonly = true;
        m[0].create = 1;
        m[1] = mnt("/srv/tree", "/tree", NULL);
        m[1].recursive = true;
        m[1].flags = MS_NOSUID | MS_NODEV | MS_MOVE | MS_SHARED | MS_BIND; /* junk filtered */
        m[2] = mnt("/srv/plain", "/plain", NULL);
        m[3] = mnt(NULL, "/scratch", "tmpfs");
        m[3].data = "size=10M,mode=1777";
        m[3].flags = MS_NOEXEC;
        m[3].create = 1;
        m[4] = mnt("/dev/sdz1", "/mnt/disk", "ext4");
        m[4].readonly = true;
        m[4].optional = true;
        m[5] = mnt("/etc/resolv.conf", "/etc/resolv.conf", NULL);
        m[5].create = 2;
        m[5].optional = true;
        m[5].readonly = true;
        BerthConfig c = {.mounts = m, .n_mounts = ELEMENTSOF(m)};

        _cleanup_(mount_plan_freep) MountPlan *p = build(&c, NULL);
        if (!p)
                return;
        size_t i = index_of(p, MOUNT_KIND_BIND, "/data");
        ok(i != (size_t)-1 && i > index_of(p, MOUNT_KIND_FILE, "/dev/console"),
           "user mounts come last");
        if (i == (size_t)-1 || i + 9 > p->n_entries) {
                ok(false, "user mount entries present");
                return;
        }
        const MountEntry *e = &p->entries[i];
        ok(e->flags == MS_BIND && streq(e->source, "/srv/data") && !e->source_in_root &&
                   e->create == MOUNT_CREATE_DIR && !e->optional,
           "bind ro: plain MS_BIND, create=dir");
        e++;
        ok(e->kind == MOUNT_KIND_REMOUNT && streq(e->target, "/data") &&
                   e->flags == (MS_BIND | MS_REMOUNT | MS_RDONLY),
           "bind ro: then REMOUNT MS_BIND|MS_REMOUNT|MS_RDONLY");
        e++;
        ok(e->kind == MOUNT_KIND_BIND && streq(e->target, "/tree") &&
                   e->flags == (MS_BIND | MS_REC),
           "rbind: MS_BIND|MS_REC");
        e++;
        ok(e->kind == MOUNT_KIND_REMOUNT &&
                   e->flags == (MS_BIND | MS_REMOUNT | MS_REC | MS_NOSUID | MS_NODEV),
           "rbind nosuid,nodev: recursive remount, MS_MOVE/MS_SHARED dropped");
        e++;
        ok(e->kind == MOUNT_KIND_BIND && streq(e->target, "/plain") && e->flags == MS_BIND &&
                   e->create == MOUNT_CREATE_NONE,
           "plain bind");
        e++;
        ok(e->kind == MOUNT_KIND_FS && streq(e->target, "/scratch"), "plain bind: no remount");
        is_str(e->fstype, "tmpfs", "tmpfs fstype");
        is_str(e->source, "tmpfs", "fs source defaults to the type");
        is_str(e->data, "size=10M,mode=1777", "tmpfs data");
        is_int(e->flags, MS_NOEXEC, "tmpfs flags");
        is_int(e->create, MOUNT_CREATE_DIR, "tmpfs create=dir");
        e++;
        ok(e->kind == MOUNT_KIND_FS && streq(e->source, "/dev/sdz1") && streq(e->fstype, "ext4") &&
                   e->flags == MS_RDONLY && e->optional && !e->data,
           "ext4 ro optional: flags in the mount itself");
        e++;
        ok(e->kind == MOUNT_KIND_BIND && e->create == MOUNT_CREATE_FILE && e->optional &&
                   e->mode == 0644,
           "create=file optional bind");
        e++;
        ok(e->kind == MOUNT_KIND_REMOUNT && e->optional && streq(e->target, "/etc/resolv.conf"),
           "remount of an optional bind is optional too");
        is_int(p->n_entries - i, 9, "no entries after the user mounts");
}

static void expect_plan_error(const BerthConfig *c, const MountPlanOptions *o, int code,
                              const char *msg, const char *what)
{
        MountPlan *p = NULL;
        BerthError *err = NULL;
        int r = mount_plan_build(c, o, &p, &err);
        is_int(r, -code, "%s: fails", what);
        ok(p == NULL, "%s: no plan", what);
        ok(err && err->code == code, "%s: error code", what);
        like(err ? err->message : NULL, msg, "%s: message", what);
        mount_plan_free(p);
        berth_error_free(err);
}

static void test_plan_errors(void)
{
        static const struct {
                const char *target;
                const char *why;
        } bad_targets[] = {
                {"data", "relative target"},  {"/data/../etc", "target with '..'"},
                {"/", "target '/'"},          {"/data/", "trailing slash"},
                {"/a//b", "empty component"}, {"/a/./b", "'.' component"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad_targets); i++) {
                BerthMount m = mnt("/srv", bad_targets[i].target, NULL);
                BerthConfig c = {.mounts = &m, .n_mounts = 1};
                expect_plan_error(&c, NULL, EINVAL, "target must be an absolute path",
                                  bad_targets[i].why);
        }
        BerthMount m = mnt("/srv", NULL, NULL);
        BerthConfig c = {.mounts = &m, .n_mounts = 1};
        expect_plan_error(&c, NULL, EINVAL, "plan mount 0 '/srv' on ''", "NULL target");

        m = mnt("srv", "/data", NULL);
        expect_plan_error(&c, NULL, EINVAL, "source must be an absolute host path",
                          "relative bind source");
        m = mnt(NULL, "/data", NULL);
        expect_plan_error(&c, NULL, EINVAL, "source must be an absolute host path",
                          "bind without source");
        m = mnt("x", "/data", NULL);
        m.bind = false;
        expect_plan_error(&c, NULL, EINVAL, "no filesystem type and not a bind", "no type");
        m = mnt(NULL, "/data", "tmpfs");
        m.create = 7;
        expect_plan_error(&c, NULL, EINVAL, "invalid create mode 7", "create=7");
        _cleanup_free_ char *big = xmalloc(5000);
        memset(big, 'a', 4999);
        big[4999] = 0;
        m = mnt(NULL, "/data", "tmpfs");
        m.data = big;
        expect_plan_error(&c, NULL, E2BIG, "options longer than 4095 bytes", "huge data");

        BerthMount m2[2] = {mnt(NULL, "/ok", "tmpfs"), mnt(NULL, "rel", "tmpfs")};
        c = (BerthConfig){.mounts = m2, .n_mounts = 2};
        expect_plan_error(&c, NULL, EINVAL, "plan mount 1 'tmpfs' on 'rel'", "second mount bad");

        c = (BerthConfig){.mounts = m2, .n_mounts = CONFIG_MAX_LIST + 1};
        expect_plan_error(&c, NULL, E2BIG, "at most 1024", "too many mounts");
        c = (BerthConfig){.mounts = NULL, .n_mounts = 1};
        expect_plan_error(&c, NULL, EINVAL, "mount list missing", "NULL mount list");

        MountPlanOptions o = {.ttys = 65};
        expect_plan_error(NULL, &o, EINVAL, "65 ttys, at most 64", "65 ttys");
        o.ttys = 64;
        MountPlan *p = build(NULL, &o);
        ok(p && find_entry(p, MOUNT_KIND_FILE, "/dev/tty64"), "64 ttys accepted");
        mount_plan_free(p);

        static const char *const bad_h[] = {"",        "../x",    "a/b",     "none", "a,,b",
                                            ",memory", "memory,", "mem ory", "x..y"};
        for (size_t i = 0; i < ELEMENTSOF(bad_h); i++) {
                char *v1[] = {"memory", (char *)bad_h[i], NULL};
                o = (MountPlanOptions){.cgroup_v1_hierarchies = v1};
                _cleanup_free_ char *what = xasprintf("hierarchy '%s'", bad_h[i]);
                expect_plan_error(NULL, &o, EINVAL, "invalid hierarchy options", what);
        }
        _cleanup_strv_free_ char **many = NULL;
        for (int i = 0; i < 65; i++)
                strv_push(&many, xasprintf("name=h%d", i));
        o = (MountPlanOptions){.cgroup_v1_hierarchies = many};
        expect_plan_error(NULL, &o, E2BIG, "65 hierarchies, at most 64", "65 hierarchies");

        BerthError *err = NULL;
        is_int(mount_plan_build(NULL, NULL, NULL, &err), -EINVAL, "NULL ret refused");
        like(err ? err->message : NULL, "no place for the result", "NULL ret message");
        berth_error_free(err);
}

/* ---- resolution below a root fd (a temp dir, no privileges needed) ------------------------ */

static char *tmpdir;

static bool have_openat2(void)
{
        struct open_how how = {.flags = O_PATH | O_CLOEXEC};
        long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
        if (fd >= 0)
                close((int)fd);
        return fd >= 0;
}

static bool same_file(int fd, const char *path)
{
        struct stat a, b;
        return fd >= 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

static bool dir_empty(const char *path)
{
        DIR *d = opendir(path);
        if (!d)
                return false;
        struct dirent *de;
        int n = 0;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        closedir(d);
        return n == 0;
}

/* Opens path below rootfd; returns the fd or -errno, and the message in *ret_msg. */
static int try_open(int rootfd, const char *path, int oflags, char **ret_msg)
{
        BerthError *err = NULL;
        int fd = -EBADF;
        int r = mount_open_in_root(rootfd, path, oflags, &fd, &err);
        if (ret_msg)
                *ret_msg = err ? xstrdup(err->message) : NULL;
        ok((r < 0) == (err != NULL) && (r >= 0 || fd == -EBADF),
           "resolve '%s': error set exactly on failure", path);
        berth_error_free(err);
        return r < 0 ? r : fd;
}

static void test_resolve(void)
{
        _cleanup_free_ char *root = path_join(tmpdir, "res");
        _cleanup_free_ char *outside = path_join(tmpdir, "res-outside");
        _cleanup_free_ char *p = NULL;
        bool openat2 = have_openat2();

        ok(mkdir(root, 0755) == 0 && mkdir(outside, 0755) == 0, "resolve: temp tree");
        int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int rootfd_owner = rootfd;
        ok(mkdirat(rootfd, "a", 0755) == 0, "mkdir a");
        ok(write_file_atomic_at(rootfd, "a/b", "x", 1, 0644) == 0, "file a/b");
        ok(symlinkat(outside, rootfd, "esc") == 0, "esc -> absolute host path");
        ok(symlinkat("../res-outside", rootfd, "up") == 0, "up -> ../res-outside");
        ok(symlinkat("a", rootfd, "inside") == 0, "inside -> a");
        ok(symlinkat("/a", rootfd, "absin") == 0, "absin -> /a");
        ok(symlinkat("/proc/self/root", rootfd, "magic") == 0, "magic -> /proc/self/root");

        for (int mode = 0; mode < 2; mode++) {
                bool fallback = mode == 1;
                const char *m = fallback ? "fallback" : "openat2";
                if (!fallback && !openat2) {
                        skip("openat2() not available (valgrind?): openat2 resolution");
                        continue;
                }
                mount_resolve_force_fallback(fallback);
                _cleanup_free_ char *msg = NULL;
                int fd;

                p = mfree_path(p, root, "a");
                fd = try_open(rootfd, "/a", O_PATH, NULL);
                ok(same_file(fd, p), "%s: /a is root/a", m);
                safe_close(fd);
                fd = try_open(rootfd, "/", O_PATH | O_DIRECTORY, NULL);
                ok(same_file(fd, root), "%s: / is the root", m);
                safe_close(fd);
                fd = try_open(rootfd, "/a/b", O_RDONLY, NULL);
                char c = 0;
                ok(fd >= 0 && read(fd, &c, 1) == 1 && c == 'x', "%s: /a/b opened for reading", m);
                safe_close(fd);
                is_int(try_open(rootfd, "/missing", O_PATH, &msg), -ENOENT, "%s: missing", m);
                like(msg, "resolve '/missing' in the container: No such file", "%s: message", m);
                msg = mfree(msg);
                is_int(try_open(rootfd, "/a/b", O_PATH | O_DIRECTORY, NULL), -ENOTDIR,
                       "%s: file with O_DIRECTORY", m);
                is_int(try_open(rootfd, "/a/b/c", O_PATH, NULL), -ENOTDIR,
                       "%s: file as a directory", m);
                is_int(try_open(rootfd, "a", O_PATH, &msg), -EINVAL, "%s: relative path", m);
                like(msg, "not an absolute, normalized path", "%s: relative path message", m);
                msg = mfree(msg);
                is_int(try_open(rootfd, "/a/../esc", O_PATH, NULL), -EINVAL, "%s: '..'", m);
                is_int(try_open(rootfd, "/a/", O_PATH, NULL), -EINVAL, "%s: trailing slash", m);

                if (!fallback) {
                        p = mfree_path(p, root, "a/b");
                        fd = try_open(rootfd, "/inside/b", O_PATH, NULL);
                        ok(same_file(fd, p), "openat2: relative symlink followed inside");
                        safe_close(fd);
                        fd = try_open(rootfd, "/absin/b", O_PATH, NULL);
                        ok(same_file(fd, p), "openat2: absolute symlink resolved in the root");
                        safe_close(fd);
                        is_int(try_open(rootfd, "/esc", O_PATH, NULL), -ENOENT,
                               "openat2: absolute escape stays inside (missing there)");
                        is_int(try_open(rootfd, "/up", O_PATH, NULL), -ENOENT,
                               "openat2: '..' escape clamped at the root");
                        is_int(try_open(rootfd, "/magic/a", O_PATH, NULL), -ENOENT,
                               "openat2: /proc/self/root link is resolved in the root");
                        /* With root/res-outside present, "up" lands there, not on the host. */
                        ok(mkdirat(rootfd, "res-outside", 0755) == 0, "mkdir root/res-outside");
                        p = mfree_path(p, root, "res-outside");
                        fd = try_open(rootfd, "/up", O_PATH, NULL);
                        ok(same_file(fd, p) && !same_file(fd, outside),
                           "openat2: '../res-outside' is the one inside the root");
                        safe_close(fd);
                        ok(unlinkat(rootfd, "res-outside", AT_REMOVEDIR) == 0, "rmdir again");
                } else {
                        is_int(try_open(rootfd, "/inside/b", O_PATH, &msg), -ELOOP,
                               "fallback: symlink in the middle refused");
                        is_str(msg, "resolve '/inside' in the container: symlink not allowed here",
                               "fallback: message names the symlink");
                        msg = mfree(msg);
                        is_int(try_open(rootfd, "/esc", O_PATH, NULL), -ELOOP,
                               "fallback: final symlink refused (O_PATH)");
                        is_int(try_open(rootfd, "/esc", O_RDONLY, NULL), -ELOOP,
                               "fallback: final symlink refused (O_RDONLY)");
                        is_int(try_open(rootfd, "/up", O_PATH, NULL), -ELOOP,
                               "fallback: relative escape refused");
                }

                /* Parent creation: only ever inside the root. */
                BerthError *err = NULL;
                const char *name = NULL;
                int dfd = -EBADF;
                _cleanup_free_ char *t = xasprintf("/new-%s/d/e/file", m);
                int r = mount_open_parent_in_root(rootfd, t, &dfd, &name, &err);
                is_int(r, 0, "%s: parents created", m);
                p = mfree_path(p, root, t + 1);
                *strrchr(p, '/') = 0;
                ok(same_file(dfd, p), "%s: parent fd is root%s's directory", m, t);
                is_str(name, "file", "%s: last component returned", m);
                dfd = safe_close(dfd);
                err = berth_error_free(err);

                r = mount_open_parent_in_root(rootfd, "/esc/x/y", &dfd, &name, &err);
                ok(r < 0 && dfd == -EBADF, "%s: parents through an escaping link fail", m);
                if (fallback)
                        like(err ? err->message : NULL, "resolve '/esc' in the container: symlink",
                             "fallback: ELOOP message");
                err = berth_error_free(err);
                r = mount_open_parent_in_root(rootfd, "/up/x/y", &dfd, &name, &err);
                ok(r < 0, "%s: parents through a '..' link fail", m);
                err = berth_error_free(err);
                ok(dir_empty(outside), "%s: nothing created in the host directory", m);
                ok(faccessat(rootfd, "res-outside", F_OK, AT_SYMLINK_NOFOLLOW) < 0 || !fallback,
                   "%s: nothing created for the link either", m);

                r = mount_open_parent_in_root(rootfd, "/a/b/x", &dfd, &name, &err);
                is_int(r, -ENOTDIR, "%s: a file as a parent", m);
                err = berth_error_free(err);
                r = mount_open_parent_in_root(rootfd, "/", &dfd, &name, &err);
                is_int(r, -EINVAL, "%s: '/' has no parent", m);
                err = berth_error_free(err);
                r = mount_open_parent_in_root(rootfd, "/top", &dfd, &name, &err);
                ok(r == 0 && same_file(dfd, root) && streq(name, "top"), "%s: top level", m);
                dfd = safe_close(dfd);
                berth_error_free(err);
        }
        mount_resolve_force_fallback(false);
}

/* ---- as root: a real application in a child's private namespaces ------------------------- */

static int report_fd = -1;
static char **host_hierarchies;

/* The child cannot print TAP itself (its numbering would race the parent's): it sends one line
 * per assertion, '1' or '0' then the description, or '#' and a diagnostic. */
_printf_(2, 3) static bool creport(bool c, const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        for (char *q = buf; *q; q++)
                if (*q == '\n')
                        *q = ' ';
        dprintf(report_fd, "%c%s\n", c ? '1' : '0', buf);
        return c;
}

_printf_(1, 2) static void cdiag(const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        for (char *q = buf; *q; q++)
                if (*q == '\n')
                        *q = ' ';
        dprintf(report_fd, "#%s\n", buf);
}

#define cis_int(got, want, ...)                                                                    \
        ({                                                                                         \
                long long _g = (long long)(got), _w = (long long)(want);                           \
                bool _r = creport(_g == _w, __VA_ARGS__);                                          \
                if (!_r)                                                                           \
                        cdiag("got %lld, want %lld", _g, _w);                                      \
                _r;                                                                                \
        })
#define clike(got, needle, ...)                                                                    \
        ({                                                                                         \
                const char *_g = (got), *_nd = (needle);                                           \
                bool _r = creport(_g && strstr(_g, _nd), __VA_ARGS__);                             \
                if (!_r)                                                                           \
                        cdiag("'%s' does not contain '%s'", _g ? _g : "(null)", _nd);              \
                _r;                                                                                \
        })

/* The fstype and per-mount options of the topmost mount at path, from our mountinfo. */
static bool find_mount(const char *path, char **ret_fstype, char **ret_opts)
{
        _cleanup_free_ char *buf = NULL;
        bool found = false;

        if (read_full_file_at(AT_FDCWD, "/proc/self/mountinfo", 16 << 20, &buf, NULL) < 0)
                return false;
        for (char *sl = NULL, *line = strtok_r(buf, "\n", &sl); line;
             line = strtok_r(NULL, "\n", &sl)) {
                char *f[64];
                int n = 0;
                for (char *sf = NULL, *t = strtok_r(line, " ", &sf); t && n < 64;
                     t = strtok_r(NULL, " ", &sf))
                        f[n++] = t;
                if (n < 10 || !streq(f[4], path))
                        continue;
                int dash = 6;
                while (dash < n && !streq(f[dash], "-"))
                        dash++;
                if (dash + 1 >= n)
                        continue;
                if (ret_fstype) {
                        free(*ret_fstype);
                        *ret_fstype = xstrdup(f[dash + 1]);
                }
                if (ret_opts) {
                        free(*ret_opts);
                        *ret_opts = xstrdup(f[5]);
                }
                found = true;
        }
        return found;
}

static bool has_opt(const char *opts, const char *o)
{
        size_t n = strlen(o);
        for (const char *s = opts; s && *s;) {
                size_t k = strcspn(s, ",");
                if (k == n && strncmp(s, o, n) == 0)
                        return true;
                s += k + (s[k] == ',');
        }
        return false;
}

static void check_mount(const char *root, const char *path, const char *fstype, bool ro)
{
        _cleanup_free_ char *full = path_join(root, path), *t = NULL, *o = NULL;
        bool found = find_mount(full, &t, &o);
        creport(found && (!fstype || streq(t, fstype)), "%s is a %s mount", path,
                fstype ? fstype : "(any)");
        if (found && fstype && !streq(t, fstype))
                cdiag("it is %s", t);
        creport(found && has_opt(o, "ro") == ro, "%s is %s", path, ro ? "read-only" : "writable");
}

static int expect_apply(const MountPlan *p, const char *root, int code, const char *msg,
                        const char *what)
{
        BerthError *err = NULL;
        int r = mount_plan_apply(p, root, &err);
        cis_int(r, -code, "%s: apply returns %d", what, -code);
        if (code)
                clike(err ? err->message : NULL, msg, "%s: message", what);
        else if (err)
                cdiag("%s", err->message);
        creport((r < 0) == (err != NULL), "%s: error set exactly on failure", what);
        berth_error_free(err);
        return r;
}

static void make_rootfs(const char *root)
{
        static const char *const dirs[] = {"bin", "proc", "sys", "dev", "run", "tmp"};
        _cleanup_free_ char *data = NULL;
        size_t size = 0;

        mkdir_p_at(AT_FDCWD, root, 0755);
        int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                mkdirat(fd, dirs[i], 0755);
        if (read_full_file_at(AT_FDCWD, "/bin/busybox", 64 << 20, &data, &size) == 0)
                write_file_atomic_at(fd, "bin/busybox", data, size, 0755);
        write_file_atomic_at(fd, ".berth-marker", "m", 1, 0644);
        close(fd);
}

static MountPlan *hand_plan(MountKind kind, const char *source, const char *target,
                            const char *fstype, unsigned long flags, int create, bool optional)
{
        MountPlan *p = xcalloc(1, sizeof(*p));
        p->entries = xcalloc(1, sizeof(MountEntry));
        p->n_entries = 1;
        p->entries[0] = (MountEntry){
                .kind = kind,
                .source = source ? xstrdup(source) : NULL,
                .target = xstrdup(target),
                .fstype = fstype ? xstrdup(fstype) : NULL,
                .flags = flags,
                .create = create,
                .optional = optional,
                .mode = 0666,
                .major = 1,
                .minor = 3,
        };
        return p;
}

static void child_error_paths(const char *m)
{
        _cleanup_free_ char *scratch = xasprintf("%s/scratch-%s", tmpdir, m);
        mkdir(scratch, 0755);

        expect_apply(NULL, scratch, EINVAL, "rootfs is not an absolute path", "NULL plan");
        MountPlan empty = {};
        expect_apply(&empty, "relative", EINVAL, "rootfs is not an absolute path",
                     "relative rootfs");
        expect_apply(&empty, "/nonexistent-berth-rootfs", ENOENT,
                     "bind rootfs '/nonexistent-berth-rootfs' onto itself", "missing rootfs");
        expect_apply(&empty, scratch, 0, NULL, "empty plan");

        static const struct {
                MountKind kind;
                const char *source, *target, *fstype;
                unsigned long flags;
                int create;
                bool optional;
                int code;
                const char *msg;
        } cases[] = {
                {MOUNT_KIND_FS, "x", "/x", "nosuchfs-berth", 0, MOUNT_CREATE_DIR, false, ENODEV,
                 "mount 'nosuchfs-berth' on '/x': No such device"},
                {MOUNT_KIND_FS, "x", "/x2", "nosuchfs-berth", 0, MOUNT_CREATE_DIR, true, 0, NULL},
                {MOUNT_KIND_FS, "x", "/nodir", "tmpfs", 0, MOUNT_CREATE_NONE, false, ENOENT,
                 "mount 'tmpfs' on '/nodir': resolve '/nodir' in the container: No such file"},
                {MOUNT_KIND_FS, "x", "/x3", NULL, 0, MOUNT_CREATE_DIR, false, EINVAL,
                 "mount on '/x3': no filesystem type"},
                {MOUNT_KIND_BIND, "/nonexistent-berth", "/y", NULL, MS_BIND, MOUNT_CREATE_DIR,
                 false, ENOENT, "bind '/nonexistent-berth' on '/y': open source: No such file"},
                {MOUNT_KIND_BIND, "/nonexistent-berth", "/y2", NULL, MS_BIND, MOUNT_CREATE_DIR,
                 true, 0, NULL},
                {MOUNT_KIND_BIND, "rel", "/y3", NULL, MS_BIND, 0, false, EINVAL,
                 "source is not absolute"},
                {MOUNT_KIND_REMOUNT, NULL, "/nope", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, 0,
                 false, ENOENT, "remount '/nope': resolve '/nope' in the container"},
                {MOUNT_KIND_REMOUNT, NULL, "/bin", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, 0, false,
                 EINVAL, "remount '/bin': Invalid argument"},
                {MOUNT_KIND_MKNOD, NULL, "/bin", NULL, 0, 0, false, EEXIST,
                 "create device node '/bin' (1:3): File exists"},
                {MOUNT_KIND_SYMLINK, NULL, "/l", NULL, 0, 0, false, EINVAL, "no destination"},
                {MOUNT_KIND_SYMLINK, "/other", "/bin", NULL, 0, 0, false, EEXIST,
                 "create symlink '/bin' -> '/other': File exists"},
                {MOUNT_KIND_MKDIR, NULL, "/.berth-marker", NULL, 0, 0, false, ENOTDIR,
                 "resolve '/.berth-marker' in the container: Not a directory"},
                {MOUNT_KIND_FILE, NULL, "/.berth-marker/x", NULL, 0, 0, false, ENOTDIR,
                 "resolve '/.berth-marker' in the container: Not a directory"},
                {(MountKind)42, NULL, "/k", NULL, 0, 0, false, EINVAL, "invalid kind 42"},
                {MOUNT_KIND_FS, "x", "rel", "tmpfs", 0, 0, false, EINVAL,
                 "target is not an absolute, normalized path"},
                {MOUNT_KIND_FS, "x", "/", "tmpfs", 0, 0, false, EINVAL,
                 "apply fs entry '/': target is not"},
                {MOUNT_KIND_FS, "x", "/z", "tmpfs", 0, 9, false, EINVAL,
                 "create '/z': invalid create mode 9"},
        };
        int mfd = open(scratch, O_PATH | O_DIRECTORY | O_CLOEXEC);
        write_file_atomic_at(mfd, ".berth-marker", "m", 1, 0644);
        mkdirat(mfd, "bin", 0755);
        close(mfd);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                MountPlan *p =
                        hand_plan(cases[i].kind, cases[i].source, cases[i].target, cases[i].fstype,
                                  cases[i].flags, cases[i].create, cases[i].optional);
                _cleanup_free_ char *what =
                        xasprintf("%s: %s '%s'%s", m, strempty(mount_kind_to_string(cases[i].kind)),
                                  cases[i].target, cases[i].optional ? " (optional)" : "");
                expect_apply(p, scratch, cases[i].code, cases[i].msg, what);
                mount_plan_free(p);
        }
        _cleanup_free_ char *y2 = path_join(scratch, "y2");
        creport(access(y2, F_OK) < 0 && errno == ENOENT,
                "%s: a skipped optional bind creates no target", m);

        /* The same symlink twice is fine (a rootfs may ship /dev/fd). */
        MountPlan *p = hand_plan(MOUNT_KIND_SYMLINK, "/proc/self/fd", "/fdlink", NULL, 0, 0, false);
        expect_apply(p, scratch, 0, NULL, "symlink created");
        expect_apply(p, scratch, 0, NULL, "same symlink again");
        mount_plan_free(p);

        BerthError *err = NULL;
        int masters[2];
        cis_int(mount_setup_ptys(scratch, 65, masters, &err), -EINVAL, "65 ptys refused");
        err = berth_error_free(err);
        cis_int(mount_setup_ptys("rel", 1, masters, &err), -EINVAL, "ptys: relative rootfs");
        err = berth_error_free(err);
        cis_int(mount_setup_ptys(scratch, 1, masters, &err), -ENOENT, "ptys without devpts");
        clike(err ? err->message : NULL, "open pty for '/dev/console'", "ptys: message");
        err = berth_error_free(err);
        cis_int(mount_pivot_root("rel", &err), -EINVAL, "pivot_root: relative path");
        err = berth_error_free(err);
        cis_int(mount_pivot_root("/nonexistent-berth-rootfs", &err), -ENOENT,
                "pivot_root: missing rootfs");
        clike(err ? err->message : NULL, "pivot_root into '/nonexistent-berth-rootfs'",
              "pivot_root: message");
        berth_error_free(err);
}

/* rootfs/etc -> an absolute host directory, rootfs/etc2 -> ../outside: mounts through them must
 * never touch the host directory. */
static void child_attacks(const char *m, bool fallback)
{
        _cleanup_free_ char *evil = xasprintf("%s/evil-%s", tmpdir, m);
        _cleanup_free_ char *outside = path_join(tmpdir, "outside");
        _cleanup_free_ char *hostdata = path_join(tmpdir, "hostdata");
        make_rootfs(evil);
        int efd = open(evil, O_PATH | O_DIRECTORY | O_CLOEXEC);
        creport(symlinkat(outside, efd, "etc") == 0 && symlinkat("../outside", efd, "etc2") == 0 &&
                        mkdirat(efd, "outside", 0755) == 0,
                "%s: rootfs with escaping symlinks", m);
        close(efd);

        static const struct {
                MountKind kind;
                const char *target;
                int create;
        } attacks[] = {
                {MOUNT_KIND_FS, "/etc/x", MOUNT_CREATE_DIR},
                {MOUNT_KIND_FS, "/etc", MOUNT_CREATE_NONE},
                {MOUNT_KIND_BIND, "/etc/y", MOUNT_CREATE_DIR},
                {MOUNT_KIND_FILE, "/etc/f", 0},
                {MOUNT_KIND_MKNOD, "/etc/n", 0},
                {MOUNT_KIND_FS, "/etc2/x", MOUNT_CREATE_DIR},
        };
        for (size_t i = 0; i < ELEMENTSOF(attacks); i++) {
                bool lands_inside = !fallback && streq(attacks[i].target, "/etc2/x");
                MountPlan *p = hand_plan(attacks[i].kind, hostdata, attacks[i].target, "tmpfs",
                                         attacks[i].kind == MOUNT_KIND_BIND ? MS_BIND : 0,
                                         attacks[i].create, false);
                BerthError *err = NULL;
                int r = mount_plan_apply(p, evil, &err);
                if (lands_inside) {
                        _cleanup_free_ char *in = path_join(evil, "outside/x"), *t = NULL;
                        creport(r == 0 && find_mount(in, &t, NULL) && streq(t, "tmpfs"),
                                "%s: mount through '../outside' lands inside the rootfs", m);
                } else if (fallback) {
                        cis_int(r, -ELOOP, "%s: %s '%s' refused", m,
                                mount_kind_to_string(attacks[i].kind), attacks[i].target);
                        clike(err ? err->message : NULL,
                              "in the container: symlink not allowed here", "%s: symlink message",
                              m);
                } else
                        creport(r < 0, "%s: %s '%s' through an absolute host link fails", m,
                                mount_kind_to_string(attacks[i].kind), attacks[i].target);
                if (err)
                        cdiag("%s", err->message);
                creport(dir_empty(outside), "%s: host directory untouched by '%s'", m,
                        attacks[i].target);
                berth_error_free(err);
                mount_plan_free(p);
        }
}

static void child_main(bool fallback)
{
        const char *m = fallback ? "fallback" : "openat2";
        _cleanup_free_ char *root = xasprintf("%s/rootfs-%s", tmpdir, m);
        _cleanup_free_ char *hostdata = path_join(tmpdir, "hostdata");
        _cleanup_free_ char *rb = path_join(tmpdir, "rb"), *rbsub = path_join(tmpdir, "rb/sub");
        _cleanup_free_ char *p = NULL, *t = NULL, *o = NULL;
        struct stat st;

        mount_resolve_force_fallback(fallback);
        child_error_paths(m);
        child_attacks(m, fallback);

        make_rootfs(root);
        /* A submount for the recursive read-only bind; in our private namespace only. */
        creport(mount("tmpfs", rbsub, "tmpfs", 0, "size=64k") == 0, "%s: submount for rbind", m);

        BerthMount um[4] = {
                {.source = hostdata,
                 .target = "/data",
                 .bind = true,
                 .readonly = true,
                 .create = 1},
                {.source = rb,
                 .target = "/rb",
                 .bind = true,
                 .recursive = true,
                 .readonly = true,
                 .create = 1},
                {.type = "tmpfs", .target = "/scratch", .data = "size=1m", .create = 1},
                {.source = "/nonexistent-berth",
                 .target = "/opt/missing",
                 .bind = true,
                 .readonly = true,
                 .optional = true,
                 .create = 1},
        };
        BerthConfig c = {.mounts = um, .n_mounts = ELEMENTSOF(um)};
        /* The fallback run also takes the user-namespace shape: nodes as binds. */
        MountPlanOptions opts = {
                .cgroup_v1_hierarchies = host_hierarchies, .ttys = 2, .userns = fallback};
        MountPlan *plan = NULL;
        BerthError *err = NULL;
        int r = mount_plan_build(&c, &opts, &plan, &err);
        creport(r == 0, "%s: real plan builds", m);
        r = mount_plan_apply(plan, root, &err);
        if (!creport(r == 0, "%s: real plan applies", m)) {
                cdiag("%s", berth_error_message(err, r));
                _exit(1);
        }
        mount_plan_free(plan);

        check_mount(root, "/proc", "proc", false);
        check_mount(root, "/proc/sys", "proc", true);
        check_mount(root, "/sys", "sysfs", true);
        check_mount(root, "/sys/fs/cgroup", "tmpfs", true);
        check_mount(root, "/dev", "tmpfs", false);
        check_mount(root, "/dev/pts", "devpts", false);
        check_mount(root, "/dev/shm", "tmpfs", false);
        check_mount(root, "/run", "tmpfs", false);
        check_mount(root, "/data", NULL, true);
        check_mount(root, "/dev/mqueue", "mqueue", false);
        check_mount(root, "/sys/fs/cgroup/unified", "cgroup2", false);
        check_mount(root, "/scratch", "tmpfs", false);
        STRV_FOREACH(h, host_hierarchies)
        {
                _cleanup_free_ char *d =
                        xasprintf("/sys/fs/cgroup/%s", strncmp(*h, "name=", 5) == 0 ? *h + 5 : *h);
                check_mount(root, d, "cgroup", false);
        }
        p = mfree_path(p, root, "proc/sys");
        t = mfree(t);
        o = mfree(o);
        if (find_mount(p, &t, &o))
                creport(has_opt(o, "nosuid") && has_opt(o, "nodev") && has_opt(o, "noexec"),
                        "%s: /proc/sys keeps nosuid,nodev,noexec", m);

        p = mfree_path(p, root, "proc/sys/kernel/hostname");
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        creport(fd < 0 && errno == EROFS, "%s: writing /proc/sys/kernel/hostname: EROFS", m);
        if (fd >= 0) {
                /* Our own UTS namespace: nothing on the host changes even if this was wrong. */
                close(fd);
        }
        p = mfree_path(p, root, "proc/self");
        char buf[256] = "";
        ssize_t n = readlink(p, buf, sizeof(buf) - 1);
        creport(n > 0 && streq(buf, "1"), "%s: the container's proc shows its own pid namespace",
                m);
        p = mfree_path(p, root, "dev/null");
        creport(stat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
                        (st.st_mode & 07777) == 0666,
                "%s: /dev/null is 1:3, 0666", m);
        fd = open(p, O_WRONLY | O_CLOEXEC);
        creport(fd >= 0 && write(fd, "x", 1) == 1, "%s: /dev/null works", m);
        safe_close(fd);
        p = mfree_path(p, root, "dev/urandom");
        creport(stat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 9),
                "%s: /dev/urandom is 1:9", m);
        p = mfree_path(p, root, "dev/fd");
        n = readlink(p, buf, sizeof(buf) - 1);
        buf[MAX(n, 0)] = 0;
        creport(streq(buf, "/proc/self/fd"), "%s: /dev/fd link", m);
        p = mfree_path(p, root, "dev/ptmx");
        n = readlink(p, buf, sizeof(buf) - 1);
        buf[MAX(n, 0)] = 0;
        creport(streq(buf, "pts/ptmx"), "%s: /dev/ptmx link", m);
        p = mfree_path(p, root, "proc/kcore");
        creport(stat(p, &st) < 0 || (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3)),
                "%s: /proc/kcore masked", m);
        p = mfree_path(p, root, "data/hello");
        creport(access(p, R_OK) == 0, "%s: the bind shows the host file", m);
        p = mfree_path(p, root, "data/new");
        fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        creport(fd < 0 && errno == EROFS, "%s: the ro bind refuses writes", m);
        safe_close(fd);
        p = mfree_path(p, root, "rb/sub/new");
        fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        creport(fd < 0 && errno == EROFS, "%s: the ro rbind's submount is read-only too", m);
        safe_close(fd);
        p = mfree_path(p, root, "opt/missing");
        creport(access(p, F_OK) < 0, "%s: skipped optional bind made no target", m);

        /* ptys */
        int masters[3] = {-1, -1, -1};
        r = mount_setup_ptys(root, 2, masters, &err);
        if (!creport(r == 0, "%s: ptys set up", m))
                cdiag("%s", berth_error_message(err, r));
        err = berth_error_free(err);
        static const char *const names[] = {"dev/console", "dev/tty1", "dev/tty2"};
        for (int i = 0; i < 3; i++) {
                unsigned ptn = 0;
                p = mfree_path(p, root, names[i]);
                creport(stat(p, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 136,
                        "%s: /%s is a pts device", m, names[i]);
                creport(masters[i] >= 0 && ioctl(masters[i], TIOCGPTN, &ptn) == 0 &&
                                minor(st.st_rdev) == ptn,
                        "%s: /%s belongs to master %d", m, names[i], i);
                creport(masters[i] >= 0 && (fcntl(masters[i], F_GETFD) & FD_CLOEXEC),
                        "%s: master %d is O_CLOEXEC", m, i);
                creport((st.st_mode & 0777) == (i == 0 ? 0600 : 0620), "%s: /%s mode", m, names[i]);
                if (i > 0)
                        cis_int(st.st_gid, 5, "%s: /%s group tty", m, names[i]);
        }
        p = mfree_path(p, root, "dev/tty1");
        fd = open(p, O_RDWR | O_NOCTTY | O_CLOEXEC);
        memset(buf, 0, sizeof(buf));
        creport(fd >= 0 && write(masters[1], "hi\n", 3) == 3 &&
                        read(fd, buf, sizeof(buf) - 1) > 0 && strncmp(buf, "hi", 2) == 0,
                "%s: data written to master 1 arrives on /dev/tty1", m);
        safe_close(fd);
        for (int i = 0; i < 3; i++)
                safe_close(masters[i]);

        /* pivot_root */
        r = mount_pivot_root(root, &err);
        if (!creport(r == 0, "%s: pivot_root", m))
                cdiag("%s", berth_error_message(err, r));
        err = berth_error_free(err);
        creport(access("/.berth-marker", F_OK) == 0 && access("/bin/busybox", X_OK) == 0,
                "%s: / is the rootfs", m);
        creport(getcwd(buf, sizeof(buf)) && streq(buf, "/"), "%s: cwd is /", m);
        creport(access(tmpdir, F_OK) < 0, "%s: the host tree is gone", m);
        creport(stat("/proc/self/fd", &st) == 0 && stat("/dev/null", &st) == 0 &&
                        S_ISCHR(st.st_mode),
                "%s: /proc and /dev usable after pivot_root", m);
        t = mfree(t);
        creport(find_mount("/", &t, NULL), "%s: mountinfo shows the new /", m);
        _exit(0);
}

static void test_root_run(bool fallback)
{
        const char *m = fallback ? "fallback" : "openat2";
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0) {
                ok(false, "%s: pipe", m);
                return;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                report_fd = fds[1];
                close(fds[0]);
                if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
                            CLONE_NEWNET | CLONE_NEWCGROUP) < 0) {
                        creport(false, "%s: unshare namespaces: %m", m);
                        _exit(1);
                }
                /* Belt and braces: nothing below may reach the host, whatever apply does. */
                if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                        creport(false, "%s: make / a slave: %m", m);
                        _exit(1);
                }
                pid_t init = fork();
                if (init == 0)
                        child_main(fallback); /* never returns */
                int status = 0;
                if (init < 0 || waitpid(init, &status, 0) < 0)
                        _exit(1);
                if (!WIFEXITED(status))
                        creport(false, "%s: namespace init died with signal %d", m,
                                WTERMSIG(status));
                _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
        }
        close(fds[1]);
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;
        for (;;) {
                if (size + 4096 > alloc)
                        buf = xrealloc(buf, alloc = alloc * 2 + 8192);
                ssize_t k = read(fds[0], buf + size, alloc - size - 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                size += k;
        }
        close(fds[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        if (buf) {
                buf[size] = 0;
                for (char *sl = NULL, *line = strtok_r(buf, "\n", &sl); line;
                     line = strtok_r(NULL, "\n", &sl)) {
                        if (line[0] == '#')
                                printf("#   %s\n", line + 1);
                        else
                                ok(line[0] == '1', "%s", line + 1);
                }
        }
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: root child finished cleanly", m);
}

static size_t host_mounts_under(const char *dir)
{
        _cleanup_free_ char *buf = NULL;
        if (read_full_file_at(AT_FDCWD, "/proc/self/mountinfo", 16 << 20, &buf, NULL) < 0)
                return (size_t)-1;
        size_t n = 0;
        for (char *s = buf; (s = strstr(s, dir)); s++)
                n++;
        return n;
}

static void test_root(void)
{
        if (geteuid() != 0) {
                /* Safe unprivileged: the very first step, making / a slave, is refused. */
                MountPlan empty = {};
                BerthError *err = NULL;
                is_int(mount_plan_apply(&empty, tmpdir, &err), -EPERM, "not root: apply refused");
                like(err ? err->message : NULL, "make '/' a slave mount", "not root: message");
                berth_error_free(err);
                skip("not root: real mount plan application");
                return;
        }
        if (getenv("BERTH_TEST_NO_ROOT")) {
                skip("BERTH_TEST_NO_ROOT set: real mount plan application");
                return;
        }
        /* valgrind knows neither openat2 nor mount_setattr, and flags mount(2)'s legitimate NULL
         * type: the pure part is what runs under it. */
        const char *preload = getenv("LD_PRELOAD");
        if (preload && strstr(preload, "vgpreload")) {
                skip("running under valgrind: real mount plan application");
                return;
        }

        /* This host's v1 hierarchies, as the monitor would pass them. */
        _cleanup_free_ char *cg = NULL;
        if (read_full_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 20, &cg, NULL) == 0)
                for (char *sl = NULL, *line = strtok_r(cg, "\n", &sl); line;
                     line = strtok_r(NULL, "\n", &sl)) {
                        char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
                        if (!a || !b || b == a + 1 || strncmp(line, "0:", 2) == 0)
                                continue;
                        *b = 0;
                        strv_extend(&host_hierarchies, a + 1);
                }
        printf("# v1 hierarchies: %zu\n", strv_length(host_hierarchies));

        _cleanup_free_ char *outside = path_join(tmpdir, "outside");
        _cleanup_free_ char *hostdata = path_join(tmpdir, "hostdata");
        _cleanup_free_ char *rbsub = path_join(tmpdir, "rb/sub");
        ok(mkdir(outside, 0755) == 0 && mkdir(hostdata, 0755) == 0 &&
                   mkdir_p_at(AT_FDCWD, rbsub, 0755) == 0,
           "root: host-side directories");
        int hfd = open(hostdata, O_PATH | O_DIRECTORY | O_CLOEXEC);
        ok(write_file_atomic_at(hfd, "hello", "hello\n", 6, 0644) == 0, "root: host data file");
        close(hfd);

        if (have_openat2())
                test_root_run(false);
        else
                skip("openat2() not available: real application with openat2");
        test_root_run(true);

        ok(dir_empty(outside), "root: the host directory behind the symlinks is still empty");
        is_int(host_mounts_under(tmpdir), 0, "root: no mount leaked into the host's table");
        host_hierarchies = strv_free(host_hierarchies);
}

int main(void)
{
        char tmpl[] = "/tmp/test-mount-plan-XXXXXX";
        tmpdir = mkdtemp(tmpl);
        if (!tmpdir)
                return tap_skip_all("mkdtemp failed");

        test_kind_table();
        test_default_order();
        test_variants();
        test_user_mounts();
        test_plan_errors();
        test_resolve();
        test_root();

        ok(rm_rf_at(AT_FDCWD, tmpdir) == 0, "temp tree removed");
        return tap_done();
}
