/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mount plan as plain data: no syscalls here, so every decision is unit-tested without root. */
#include <string.h>
#include <sys/mount.h>

#include "mount.h"
#include "path-util.h"
#include "strv.h"

/* Caps on what the caller hands us: a plan is small, anything larger is a bug or an attack. */
#define MOUNT_MAX_HIERARCHIES 64
#define MOUNT_MAX_HIERARCHY_LEN 256
#define MOUNT_MAX_USER_MOUNTS CONFIG_MAX_LIST
#define MOUNT_MAX_PATH 4096
#define MOUNT_MAX_DATA 4095 /* mount(2) copies at most one page of data */

/* Per-mount flags a user mount may ask for; propagation, MS_MOVE and friends are never taken
 * from a config. */
#define MOUNT_USER_FLAGS                                                                           \
        (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | \
         MS_STRICTATIME)

static const char *const mount_kind_table[_MOUNT_KIND_MAX] = {
        [MOUNT_KIND_FS] = "fs",           [MOUNT_KIND_BIND] = "bind",
        [MOUNT_KIND_REMOUNT] = "remount", [MOUNT_KIND_MKDIR] = "mkdir",
        [MOUNT_KIND_SYMLINK] = "symlink", [MOUNT_KIND_MKNOD] = "mknod",
        [MOUNT_KIND_FILE] = "file",
};

DEFINE_STRING_TABLE_LOOKUP(mount_kind, MountKind, mount_kind_table)

static void mount_entry_done(MountEntry *e)
{
        free(e->source);
        free(e->target);
        free(e->fstype);
        free(e->data);
}

MountPlan *mount_plan_free(MountPlan *p)
{
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_entries; i++)
                mount_entry_done(&p->entries[i]);
        free(p->entries);
        free(p);
        return NULL;
}

/* Appends an entry and returns it, so the caller can set the less common fields. */
static MountEntry *plan_add(MountPlan *p, MountKind kind, const char *source, const char *target,
                            const char *fstype, unsigned long flags, const char *data)
{
        p->entries = xreallocarray(p->entries, p->n_entries + 1, sizeof(MountEntry));
        MountEntry *e = &p->entries[p->n_entries++];
        *e = (MountEntry){
                .kind = kind,
                .source = source ? xstrdup(source) : NULL,
                .target = xstrdup(target),
                .fstype = fstype ? xstrdup(fstype) : NULL,
                .flags = flags,
                .data = data ? xstrdup(data) : NULL,
        };
        return e;
}

static MountEntry *plan_add_fs(MountPlan *p, const char *fstype, const char *source,
                               const char *target, unsigned long flags, const char *data)
{
        MountEntry *e = plan_add(p, MOUNT_KIND_FS, source, target, fstype, flags, data);
        e->create = MOUNT_CREATE_DIR;
        e->mode = 0755;
        return e;
}

static MountEntry *plan_add_mkdir(MountPlan *p, const char *target, mode_t mode)
{
        MountEntry *e = plan_add(p, MOUNT_KIND_MKDIR, NULL, target, NULL, 0, NULL);
        e->mode = mode;
        return e;
}

/* Bind-mounts a path of the container's own /proc onto itself, then makes it read-only. Optional:
 * not every kernel has every file. */
static void plan_add_proc_readonly(MountPlan *p, const char *target)
{
        MountEntry *e = plan_add(p, MOUNT_KIND_BIND, target, target, NULL, MS_BIND | MS_REC, NULL);
        e->source_in_root = true;
        e->optional = true;
        e = plan_add(p, MOUNT_KIND_REMOUNT, NULL, target, NULL,
                     MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        e->optional = true;
}

static void plan_proc(MountPlan *p)
{
        static const char *const readonly[] = {
                "/proc/sys",
                "/proc/sysrq-trigger",
                "/proc/irq",
                "/proc/bus",
        };
        static const char *const masked[] = {
                "/proc/kcore",
                "/proc/keys",
                "/proc/timer_list",
                "/proc/sched_debug",
        };

        plan_add_fs(p, "proc", "proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        for (size_t i = 0; i < ELEMENTSOF(readonly); i++)
                plan_add_proc_readonly(p, readonly[i]);
        /* Hiding by a bind of the host's /dev/null: reads return nothing, writes go nowhere. */
        for (size_t i = 0; i < ELEMENTSOF(masked); i++)
                plan_add(p, MOUNT_KIND_BIND, "/dev/null", masked[i], NULL, MS_BIND, NULL)
                        ->optional = true;
}

static bool hierarchy_valid(const char *h)
{
        size_t n = strlen(h);
        if (n == 0 || n > MOUNT_MAX_HIERARCHY_LEN)
                return false;
        if (h[0] == ',' || h[n - 1] == ',' || strstr(h, ",,"))
                return false;
        /* Used as a directory name too, so nothing that could walk out of /sys/fs/cgroup. */
        if (strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_,=-.") != n)
                return false;
        if (streq(h, "none") || strstr(h, ".."))
                return false;
        return true;
}

/* The v1 hierarchy "cpu,cpuacct" gives the dir "cpu,cpuacct", its controllers for symlinks, and
 * mount options "cpu,cpuacct"; a named one "name=systemd" gives the dir "systemd" and the options
 * "none,name=systemd", because without "none" the kernel would bind every free controller to
 * a new named hierarchy. */
static void hierarchy_split(const char *h, char **ret_dir, char **ret_options,
                            char ***ret_controllers)
{
        _cleanup_strv_free_ char **controllers = NULL;
        _cleanup_strv_free_ char **dir = NULL;
        _cleanup_free_ char *copy = xstrdup(h);
        bool any_controller = false, has_none = false;

        for (char *state = NULL, *tok = strtok_r(copy, ",", &state); tok;
             tok = strtok_r(NULL, ",", &state)) {
                if (streq(tok, "none")) {
                        has_none = true;
                        continue;
                }
                if (strncmp(tok, "name=", 5) == 0) {
                        strv_extend(&dir, tok + 5);
                        continue;
                }
                any_controller = true;
                strv_extend(&controllers, tok);
                strv_extend(&dir, tok);
        }

        *ret_dir = strv_join(dir, ",");
        *ret_options = !any_controller && !has_none ? xasprintf("none,%s", h) : xstrdup(h);
        *ret_controllers = TAKE_PTR(controllers);
}

static int plan_cgroup(MountPlan *p, const MountPlanOptions *opts, BerthError **reterr)
{
        const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;

        if (opts->cgroup_unified) {
                /* With the cgroup namespace the container sees only its own subtree. */
                plan_add_fs(p, "cgroup2", "cgroup2", "/sys/fs/cgroup", fl, NULL);
                return 0;
        }

        size_t n = strv_length(opts->cgroup_v1_hierarchies);
        if (n > MOUNT_MAX_HIERARCHIES)
                return berth_error_setf(reterr, E2BIG,
                                        "plan cgroup mounts: %zu hierarchies, at most %d", n,
                                        MOUNT_MAX_HIERARCHIES);
        STRV_FOREACH(h, opts->cgroup_v1_hierarchies)
        if (!hierarchy_valid(*h))
                return berth_error_setf(reterr, EINVAL,
                                        "plan cgroup mount '%.64s': invalid hierarchy options", *h);

        plan_add_fs(p, "tmpfs", "tmpfs", "/sys/fs/cgroup", fl, "mode=755");
        STRV_FOREACH(h, opts->cgroup_v1_hierarchies)
        {
                _cleanup_free_ char *dir = NULL, *options = NULL, *target = NULL;
                _cleanup_strv_free_ char **controllers = NULL;

                hierarchy_split(*h, &dir, &options, &controllers);
                target = xasprintf("/sys/fs/cgroup/%s", dir);
                plan_add_mkdir(p, target, 0755);
                plan_add(p, MOUNT_KIND_FS, "cgroup", target, "cgroup", fl, options);

                /* Co-mounted controllers ("cpu,cpuacct") are also reachable by each name, as
                 * on the host, so tools that look for /sys/fs/cgroup/cpu find it. */
                if (strv_length(controllers) > 1)
                        STRV_FOREACH(ctl, controllers)
                        {
                                _cleanup_free_ char *link = xasprintf("/sys/fs/cgroup/%s", *ctl);
                                plan_add(p, MOUNT_KIND_SYMLINK, dir, link, NULL, 0, NULL);
                        }
        }

        /* Hybrid hosts keep a (mostly empty) v2 hierarchy next to the v1 ones; systemd in the
         * container looks for it there. Absent on a pure v1 kernel build, hence optional. */
        plan_add_mkdir(p, "/sys/fs/cgroup/unified", 0755);
        plan_add(p, MOUNT_KIND_FS, "cgroup2", "/sys/fs/cgroup/unified", "cgroup2", fl, NULL)
                ->optional = true;

        /* Only the tmpfs holding the mount points: the hierarchies stay writable, the cgroup
         * namespace already confines them to the container's subtree. */
        plan_add(p, MOUNT_KIND_REMOUNT, NULL, "/sys/fs/cgroup", NULL,
                 MS_BIND | MS_REMOUNT | MS_RDONLY | fl, NULL);
        return 0;
}

static void plan_dev(MountPlan *p, const MountPlanOptions *opts)
{
        static const struct {
                const char *name;
                unsigned major, minor;
        } nodes[] = {
                {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
        };
        static const struct {
                const char *name, *dest;
        } links[] = {
                {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"},
                {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
                {"ptmx", "pts/ptmx"},
        };

        /* Small: /dev holds only nodes and symlinks; pts, shm and mqueue are their own mounts. */
        plan_add_fs(p, "tmpfs", "tmpfs", "/dev", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k");

        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                _cleanup_free_ char *target = xasprintf("/dev/%s", nodes[i].name);
                if (opts->userns) {
                        /* mknod is refused in a user namespace (and a tmpfs mounted there is
                         * nodev anyway): bind the host's node onto an empty file instead. */
                        plan_add(p, MOUNT_KIND_FILE, NULL, target, NULL, 0, NULL)->mode = 0666;
                        plan_add(p, MOUNT_KIND_BIND, target, target, NULL, MS_BIND, NULL);
                } else {
                        MountEntry *e = plan_add(p, MOUNT_KIND_MKNOD, NULL, target, NULL, 0, NULL);
                        e->mode = 0666;
                        e->major = nodes[i].major;
                        e->minor = nodes[i].minor;
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(links); i++) {
                _cleanup_free_ char *target = xasprintf("/dev/%s", links[i].name);
                plan_add(p, MOUNT_KIND_SYMLINK, links[i].dest, target, NULL, 0, NULL);
        }
        plan_add_mkdir(p, "/dev/pts", 0755);
        plan_add_mkdir(p, "/dev/shm", 01777);
        plan_add_mkdir(p, "/dev/mqueue", 0755);

        /* A private devpts instance: the container's ptys are not the host's. Its gid option is
         * read in the mounter's user namespace: the host gid of the container's tty group. */
        _cleanup_free_ char *devpts = xasprintf("newinstance,ptmxmode=0666,mode=0620,gid=%u",
                                                opts->tty_gid ? (unsigned)opts->tty_gid
                                                              : MOUNT_TTY_GID);
        plan_add_fs(p, "devpts", "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, devpts);
        plan_add_fs(p, "tmpfs", "shm", "/dev/shm", MS_NOSUID | MS_NODEV, "mode=1777");
        plan_add_fs(p, "mqueue", "mqueue", "/dev/mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)
                ->optional = true;
}

static bool target_valid(const char *t)
{
        size_t n = strlen(t);
        return path_is_absolute(t) && path_is_normalized(t) && n > 1 && t[n - 1] != '/' &&
               n < MOUNT_MAX_PATH;
}

static int plan_user_mount(MountPlan *p, size_t i, const BerthMount *m, BerthError **reterr)
{
        const char *what = m->bind ? strempty(m->source) : strempty(m->type);

        if (!m->target || !target_valid(m->target))
                return berth_error_setf(reterr, EINVAL,
                                        "plan mount %zu '%.64s' on '%.256s': target must be an "
                                        "absolute path without '.' or '..' components",
                                        i, what, strempty(m->target));
        if (m->create < 0 || m->create > MOUNT_CREATE_FILE)
                return berth_error_setf(reterr, EINVAL,
                                        "plan mount %zu on '%s': invalid create mode %d", i,
                                        m->target, m->create);
        if (m->data && strlen(m->data) > MOUNT_MAX_DATA)
                return berth_error_setf(reterr, E2BIG,
                                        "plan mount %zu on '%s': options longer than %d bytes", i,
                                        m->target, MOUNT_MAX_DATA);

        unsigned long extra = (m->flags & MOUNT_USER_FLAGS) | (m->readonly ? MS_RDONLY : 0);

        if (m->bind) {
                if (!m->source || !path_is_absolute(m->source) ||
                    strlen(m->source) >= MOUNT_MAX_PATH)
                        return berth_error_setf(reterr, EINVAL,
                                                "plan bind mount %zu on '%s': source must be an "
                                                "absolute host path",
                                                i, m->target);
                MountEntry *e = plan_add(p, MOUNT_KIND_BIND, m->source, m->target, NULL,
                                         MS_BIND | (m->recursive ? MS_REC : 0), NULL);
                e->optional = m->optional;
                e->create = m->create;
                e->mode = m->create == MOUNT_CREATE_FILE ? 0644 : 0755;
                /* A bind ignores every flag but MS_BIND/MS_REC: ro, nosuid, … need a remount, and
                 * for a recursive bind the remount covers the submounts too. */
                if (extra) {
                        e = plan_add(p, MOUNT_KIND_REMOUNT, NULL, m->target, NULL,
                                     MS_BIND | MS_REMOUNT | (m->recursive ? MS_REC : 0) | extra,
                                     NULL);
                        e->optional = m->optional;
                }
                return 0;
        }

        if (!m->type || !*m->type || strlen(m->type) > 64)
                return berth_error_setf(reterr, EINVAL,
                                        "plan mount %zu on '%s': no filesystem type and not a bind",
                                        i, m->target);
        if (m->source && strlen(m->source) >= MOUNT_MAX_PATH)
                return berth_error_setf(reterr, EINVAL, "plan mount %zu on '%s': source too long",
                                        i, m->target);
        MountEntry *e = plan_add(p, MOUNT_KIND_FS, m->source ? m->source : m->type, m->target,
                                 m->type, extra, m->data);
        e->optional = m->optional;
        e->create = m->create;
        e->mode = m->create == MOUNT_CREATE_FILE ? 0644 : 0755;
        return 0;
}

int mount_plan_build(const BerthConfig *c, const MountPlanOptions *opts, MountPlan **ret,
                     BerthError **reterr)
{
        static const MountPlanOptions no_opts = {};
        _cleanup_(mount_plan_freep) MountPlan *p = NULL;
        int r;

        if (!ret)
                return berth_error_setf(reterr, EINVAL, "plan mounts: no place for the result");
        if (!opts)
                opts = &no_opts;
        if (opts->ttys > MOUNT_MAX_TTYS)
                return berth_error_setf(reterr, EINVAL, "plan mounts: %u ttys, at most %d",
                                        opts->ttys, MOUNT_MAX_TTYS);
        if (c && c->n_mounts > MOUNT_MAX_USER_MOUNTS)
                return berth_error_setf(reterr, E2BIG, "plan mounts: %zu mounts, at most %d",
                                        c->n_mounts, MOUNT_MAX_USER_MOUNTS);
        if (c && c->n_mounts > 0 && !c->mounts)
                return berth_error_setf(reterr, EINVAL, "plan mounts: mount list missing");

        p = xcalloc(1, sizeof(*p));

        plan_proc(p);
        plan_add_fs(p, "sysfs", "sysfs", "/sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    NULL);
        r = plan_cgroup(p, opts, reterr);
        if (r < 0)
                return r;
        plan_dev(p, opts);
        plan_add_fs(p, "tmpfs", "tmpfs", "/run", MS_NOSUID | MS_NODEV, "mode=755");

        /* Empty files as targets for the pty bind mounts made by mount_setup_ptys(). */
        plan_add(p, MOUNT_KIND_FILE, NULL, "/dev/console", NULL, 0, NULL)->mode = 0600;
        for (unsigned i = 1; i <= opts->ttys; i++) {
                _cleanup_free_ char *t = xasprintf("/dev/tty%u", i);
                plan_add(p, MOUNT_KIND_FILE, NULL, t, NULL, 0, NULL)->mode = 0620;
        }

        for (size_t i = 0; c && i < c->n_mounts; i++) {
                r = plan_user_mount(p, i, &c->mounts[i], reterr);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(p);
        return 0;
}
