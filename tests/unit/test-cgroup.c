/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cgroup: mountinfo parsing (pure), both backends against a fake tree of plain files, and the
 * real kernel when we are root. */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "fileio.h"
#include "path-util.h"
#include "strv.h"
#include "tap.h"
#include "time-util.h"

/* A stable copy of a formatted path (the P() ring is reused). */
#define LOCAL(name, ...)                                                                           \
        char name[1024];                                                                           \
        if (snprintf(name, sizeof(name), __VA_ARGS__) >= (int)sizeof(name))                        \
        abort()

#define skip(...)                                                                                  \
        do {                                                                                       \
                tap_n++;                                                                           \
                printf("ok %d - # SKIP ", tap_n);                                                  \
                printf(__VA_ARGS__);                                                               \
                printf("\n");                                                                      \
        } while (0)

/* ---- small helpers --------------------------------------------------------------------------- */

/* A ring of buffers so helpers can return formatted strings without leaking. */
static const char *P(const char *fmt, ...) _printf_(1, 2);
static const char *P(const char *fmt, ...)
{
        static char ring[16][4096];
        static unsigned i;
        char *b = ring[i++ % ELEMENTSOF(ring)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b, sizeof(ring[0]), fmt, ap);
        va_end(ap);
        return b;
}

static void put(const char *path, const char *content)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
                printf("Bail out! cannot write %s: %m\n", path);
                exit(1);
        }
        close(fd);
}

/* The file's content with one trailing newline dropped, or "(missing)". */
static const char *get(const char *path)
{
        char *text = NULL;
        if (read_full_file_at(AT_FDCWD, path, 1 << 16, &text, NULL) < 0)
                return "(missing)";
        size_t n = strlen(text);
        if (n > 0 && text[n - 1] == '\n')
                text[n - 1] = 0;
        const char *r = P("%s", text);
        free(text);
        return r;
}

static bool exists(const char *path)
{
        return access(path, F_OK) == 0;
}

static const char *msg(BerthError *e)
{
        return e ? e->message : "(no error object)";
}

/* Removes the regular files (fake control files) below dir, keeping the directories. */
static void unlink_files(const char *dir)
{
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                _cleanup_free_ char *p = path_join(dir, de->d_name);
                if (de->d_type == DT_DIR)
                        unlink_files(p);
                else
                        unlink(p);
        }
        closedir(d);
}

static pid_t fork_sleeper(void)
{
        pid_t pid = fork();
        if (pid == 0) {
                for (;;)
                        pause();
        }
        return pid;
}

/* Reaps pid; returns the signal that killed it, 0 for a normal exit, -1 on timeout. */
static int reap(pid_t pid, unsigned timeout_ms)
{
        for (unsigned i = 0; i < timeout_ms; i++) {
                int st;
                pid_t r = waitpid(pid, &st, WNOHANG);
                if (r == pid)
                        return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
                if (r < 0)
                        return -1;
                usleep(1000);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
}

/* ---- mountinfo ------------------------------------------------------------------------------- */

/* This host's /proc/self/mountinfo, verbatim. */
static const char host_mountinfo[] =
        "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
        "23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
        "24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs "
        "rw,size=12334460k,nr_inodes=3083615,mode=755\n"
        "25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684084k\n"
        "26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000\n"
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda "
        "rw,discard,resv_strict,resuid=65534,resgid=65534\n"
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
        "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
        "38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
        "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

/* A stock Debian 12 in pure v2 mode. */
static const char v2_mountinfo[] =
        "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
        "26 22 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
        "rw,nsdelegate,memory_recursiveprot\n"
        "28 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n";

/* systemd hybrid with combined hierarchies, optional fields, a bind mount of a hierarchy, an
 * escaped mount point and a container's view (root field not "/"). */
static const char hybrid_mountinfo[] =
        "25 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
        "26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 "
        "cgroup2 rw,nsdelegate\n"
        "27 25 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup "
        "cgroup rw,xattr,name=systemd\n"
        "30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - "
        "cgroup cgroup rw,cpu,cpuacct\n"
        "31 25 0:29 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:15 master:3 - cgroup "
        "cgroup rw,net_cls,net_prio\n"
        "32 25 0:30 /lxc/c1 /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - "
        "cgroup cgroup rw,memory,clone_children\n"
        "33 25 0:31 / /sys/fs/cgroup/my\\040pids rw,relatime - cgroup cgroup "
        "rw,pids,release_agent=/run/x,noprefix\n"
        "34 25 0:28 / /mnt/again rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
        "35 25 0:40 / /mnt/second2 rw,relatime - cgroup2 cgroup2 rw\n";

static const CgroupHierarchy *find_hierarchy(const CgroupLayout *l, const char *controller)
{
        for (size_t i = 0; i < l->n_v1; i++)
                if (strv_contains(l->v1[i].controllers, controller))
                        return &l->v1[i];
        return NULL;
}

static void test_mountinfo(void)
{
        _cleanup_(cgroup_layout_freep) CgroupLayout *l = NULL;

        is_int(cgroup_layout_from_mountinfo(host_mountinfo, &l), 0, "host mountinfo parses");
        ok(l && !l->unified, "host: not unified");
        is_str(l ? l->unified_mount : NULL, "/sys/fs/cgroup/unified", "host: unified mount kept");
        is_int(l ? l->n_v1 : 0, 9, "host: nine v1 hierarchies");
        const CgroupHierarchy *h = l ? find_hierarchy(l, "cpu") : NULL;
        ok(h && strv_length(h->controllers) == 1 && streq(h->mountpoint, "/sys/fs/cgroup/cpu"),
           "host: cpu alone in /sys/fs/cgroup/cpu");
        h = l ? find_hierarchy(l, "cpuacct") : NULL;
        ok(h && strv_length(h->controllers) == 1 && streq(h->mountpoint, "/sys/fs/cgroup/cpuacct"),
           "host: cpuacct is its own hierarchy");
        h = l ? find_hierarchy(l, "name=systemd") : NULL;
        ok(h && streq(h->mountpoint, "/sys/fs/cgroup/systemd"), "host: name=systemd kept");
        ok(l && !find_hierarchy(l, "rw"), "host: the rw option is no controller");
        bool unified = true;
        char **v1 = NULL;
        is_int(cgroup_layout_mount_spec(l, &unified, &v1), 0, "host: mount spec");
        ok(!unified && strv_length(v1) == 9 && strv_contains(v1, "cpu") &&
                   strv_contains(v1, "name=systemd"),
           "host: one mount per v1 hierarchy, named ones included");
        strv_free(v1);
        l = cgroup_layout_free(l);

        is_int(cgroup_layout_from_mountinfo(v2_mountinfo, &l), 0, "pure v2 parses");
        ok(l && l->unified && l->n_v1 == 0, "pure v2: unified, no v1");
        v1 = NULL;
        is_int(cgroup_layout_mount_spec(l, &unified, &v1), 0, "pure v2: mount spec");
        ok(unified && strv_length(v1) == 0, "pure v2: one cgroup2 mount, no v1 ones");
        strv_free(v1);
        is_int(cgroup_layout_mount_spec(NULL, &unified, &v1), -EINVAL, "mount spec of nothing");
        is_str(l ? l->unified_mount : NULL, "/sys/fs/cgroup", "pure v2: mount point");
        l = cgroup_layout_free(l);

        is_int(cgroup_layout_from_mountinfo(hybrid_mountinfo, &l), 0, "hybrid parses");
        ok(l && !l->unified, "hybrid: not unified");
        is_str(l ? l->unified_mount : NULL, "/sys/fs/cgroup/unified",
               "hybrid: first cgroup2 mount wins");
        is_int(l ? l->n_v1 : 0, 5, "hybrid: bind mount of cpu,cpuacct not counted twice");
        h = l ? find_hierarchy(l, "cpuacct") : NULL;
        ok(h && h == find_hierarchy(l, "cpu") && strv_length(h->controllers) == 2,
           "hybrid: cpu,cpuacct is one hierarchy");
        is_str(h ? h->mountpoint : NULL, "/sys/fs/cgroup/cpu,cpuacct", "hybrid: its mount point");
        h = l ? find_hierarchy(l, "name=systemd") : NULL;
        ok(h && strv_length(h->controllers) == 1, "hybrid: xattr dropped from name=systemd");
        h = l ? find_hierarchy(l, "net_prio") : NULL;
        ok(h && strv_contains(h->controllers, "net_cls"), "hybrid: optional fields skipped");
        h = l ? find_hierarchy(l, "memory") : NULL;
        ok(h && strv_length(h->controllers) == 1 && streq(h->mountpoint, "/sys/fs/cgroup/memory"),
           "hybrid: container view (root /lxc/c1) keeps the mount point, drops clone_children");
        h = l ? find_hierarchy(l, "pids") : NULL;
        is_str(h ? h->mountpoint : NULL, "/sys/fs/cgroup/my pids", "hybrid: \\040 unescaped");
        ok(h && strv_length(h->controllers) == 1, "hybrid: release_agent and noprefix dropped");
        l = cgroup_layout_free(l);

        static const char garbage[] =
                "\n"
                "garbage\n"
                "1 2 3\n"
                "36 31 0:33 / /sys/fs/cgroup/nosep rw,relatime cgroup cgroup rw,devices x y z\n"
                "36 31 0:34 / /sys/fs/cgroup/short rw - cgroup\n"
                "37 31 0:35 / /sys/fs/cgroup/opts rw,relatime - cgroup cgroup rw,xattr,bogus\n"
                "38 31 0:36 / relative rw,relatime - cgroup cgroup rw,memory\n"
                "39 31 nodev / /x rw,relatime - cgroup cgroup rw,memory\n"
                "40 31 0:37 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
                "- - - - - - - - - - - -\n";
        is_int(cgroup_layout_from_mountinfo(garbage, &l), 0, "garbage lines are skipped");
        ok(l && l->n_v1 == 1 && find_hierarchy(l, "freezer") && !l->unified_mount,
           "garbage: only the one good line is used");
        l = cgroup_layout_free(l);

        is_int(cgroup_layout_from_mountinfo("garbage\n1 2 3\n", &l), -ENOMEDIUM,
               "no cgroup mount at all is -ENOMEDIUM");
        ok(!l, "no layout returned on failure");
        is_int(cgroup_layout_from_mountinfo("", &l), -ENOMEDIUM, "empty text is -ENOMEDIUM");
        is_int(cgroup_layout_from_mountinfo(NULL, &l), -EINVAL, "NULL text is -EINVAL");

        /* More distinct hierarchies than the cap. */
        _cleanup_free_ char *many = xstrdup("");
        for (int i = 0; i < 70; i++) {
                char *n = xasprintf("%s%d 1 0:%d / /cg/%d rw - cgroup cgroup rw,name=h%d\n", many,
                                    100 + i, 100 + i, i, i);
                free(many);
                many = n;
        }
        is_int(cgroup_layout_from_mountinfo(many, &l), -E2BIG, "too many hierarchies: -E2BIG");

        l = NULL;
        int r = cgroup_layout_detect(&l);
        ok(r == 0 && l && (l->n_v1 > 0 || l->unified), "detect on this host");
}

/* ---- object ---------------------------------------------------------------------------------- */

static void test_new(void)
{
        _cleanup_(cgroup_layout_freep) CgroupLayout *l = NULL;
        if (cgroup_layout_from_mountinfo(host_mountinfo, &l) < 0)
                return (void)ok(false, "host fixture parses");
        Cgroup *cg = NULL;

        is_int(cgroup_new(l, "/berth/web1", &cg), -EINVAL, "absolute relpath refused");
        is_int(cgroup_new(l, "berth/../web1", &cg), -EINVAL, "'..' refused");
        is_int(cgroup_new(l, "..", &cg), -EINVAL, "bare '..' refused");
        is_int(cgroup_new(l, "", &cg), -EINVAL, "empty relpath refused");
        is_int(cgroup_new(l, "./", &cg), -EINVAL, "relpath of only '.' refused");
        is_int(cgroup_new(l, "a\nb", &cg), -EINVAL, "newline refused");
        is_int(cgroup_new(l, NULL, &cg), -EINVAL, "NULL relpath refused");
        is_int(cgroup_new(NULL, "x", &cg), -EINVAL, "NULL layout refused");
        char longname[300];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = 0;
        is_int(cgroup_new(l, longname, &cg), -ENAMETOOLONG, "component over NAME_MAX refused");
        ok(!cg, "nothing returned on failure");

        CgroupLayout empty = {};
        is_int(cgroup_new(&empty, "x", &cg), -ENOMEDIUM, "a layout without hierarchies refused");
        CgroupLayout bad = {.unified = true};
        is_int(cgroup_new(&bad, "x", &cg), -ENOMEDIUM, "unified layout without mount refused");

        is_int(cgroup_new(l, "./berth//web1/", &cg), 0, "relpath with '.', '//' and '/' accepted");
        is_str(cgroup_relpath(cg), "berth/web1", "relpath normalised");
        is_str(cgroup_path_for(cg, "cpu"), "/sys/fs/cgroup/cpu/berth/web1",
               "host cgroup: a v1 path per controller");
        is_str(cgroup_path_for(cg, "memory"), "/sys/fs/cgroup/memory/berth/web1", "memory path");
        is_str(cgroup_path_for(cg, "cpuacct"), "/sys/fs/cgroup/cpuacct/berth/web1",
               "cpuacct path (own hierarchy)");
        is_str(cgroup_path_for(cg, "name=systemd"), "/sys/fs/cgroup/systemd/berth/web1",
               "name=systemd path");
        is_str(cgroup_path_for(cg, NULL), "/sys/fs/cgroup/unified/berth/web1", "unified path");
        ok(!cgroup_path_for(cg, "hugetlb"), "no v1 hugetlb hierarchy: NULL");
        ok(!cgroup_path_for(NULL, "memory"), "NULL cgroup: NULL path");
        cg = cgroup_free(cg);
        ok(!cgroup_free(NULL), "cgroup_free(NULL)");
        ok(!cgroup_relpath(NULL) && !cgroup_path_for(NULL, NULL), "getters are NULL-safe");

        _cleanup_(cgroup_layout_freep) CgroupLayout *v2 = NULL;
        if (cgroup_layout_from_mountinfo(v2_mountinfo, &v2) < 0)
                return (void)ok(false, "v2 fixture parses");
        is_int(cgroup_new(v2, "berth/web1", &cg), 0, "v2 cgroup");
        is_str(cgroup_path_for(cg, "memory"), "/sys/fs/cgroup/berth/web1", "v2: memory is unified");
        is_str(cgroup_path_for(cg, NULL), "/sys/fs/cgroup/berth/web1", "v2: NULL is unified");
        ok(!cgroup_path_for(cg, "name=systemd"), "v2: no named hierarchies");
        cg = cgroup_free(cg);

        /* Public calls refuse a NULL cgroup with an error, not a crash. */
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        bool b;
        CgroupStats st;
        BerthLimits lim = {};
        is_int(cgroup_create(NULL, &e), -EINVAL, "create(NULL)");
        ok(e && e->message, "create(NULL) fills the error");
        is_int(cgroup_apply_limits(NULL, &lim, NULL), -EINVAL, "apply_limits(NULL)");
        is_int(cgroup_attach(NULL, 1, NULL), -EINVAL, "attach(NULL)");
        is_int(cgroup_freeze(NULL, 0, NULL), -EINVAL, "freeze(NULL)");
        is_int(cgroup_thaw(NULL, NULL), -EINVAL, "thaw(NULL)");
        is_int(cgroup_kill_all(NULL, 0, NULL), -EINVAL, "kill_all(NULL)");
        is_int(cgroup_signal_all(NULL, SIGTERM, NULL), -EINVAL, "signal_all(NULL)");
        is_int(cgroup_destroy(NULL, NULL), -EINVAL, "destroy(NULL)");
        is_int(cgroup_is_frozen(NULL, &b), -EINVAL, "is_frozen(NULL)");
        is_int(cgroup_is_empty(NULL, &b), -EINVAL, "is_empty(NULL)");
        is_int(cgroup_get_stats(NULL, &st), -EINVAL, "get_stats(NULL)");
}

/* ---- fake v1 tree ---------------------------------------------------------------------------- */

static const char *const fake_v1[][2] = {
        {"cpu", "cpu"},     {"cpuacct", "cpuacct"},      {"memory", "memory"},
        {"pids", "pids"},   {"cpuset", "cpuset"},        {"freezer", "freezer"},
        {"blkio", "blkio"}, {"systemd", "name=systemd"},
};

/* A hybrid layout on root: one directory per v1 hierarchy and "unified", minus skip. */
static CgroupLayout *fake_v1_layout(const char *root, const char *skip, bool with_unified)
{
        CgroupLayout *l = xcalloc(1, sizeof(*l));
        l->v1 = xcalloc(ELEMENTSOF(fake_v1), sizeof(CgroupHierarchy));
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++) {
                if (skip && streq(skip, fake_v1[i][1]))
                        continue;
                CgroupHierarchy *h = &l->v1[l->n_v1++];
                h->mountpoint = path_join(root, fake_v1[i][0]);
                strv_extend(&h->controllers, fake_v1[i][1]);
                (void)mkdir(h->mountpoint, 0755);
        }
        if (with_unified) {
                l->unified_mount = path_join(root, "unified");
                (void)mkdir(l->unified_mount, 0755);
        }
        return l;
}

static void test_fake_v1(const char *tmp)
{
        LOCAL(root, "%s/v1", tmp);
        mkdir(root, 0755);
        _cleanup_(cgroup_layout_freep) CgroupLayout *l = fake_v1_layout(root, NULL, true);
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        const char *h = root; /* shorthand in P() */

        put(P("%s/cpuset/cpuset.cpus", h), "0-3\n");
        put(P("%s/cpuset/cpuset.mems", h), "0\n");

        is_int(cgroup_new(l, "berth/web1", &cg), 0, "v1: new");
        ok(cgroup_path_for(cg, "memory") && cgroup_path_for(cg, "freezer") &&
                   !streq(cgroup_path_for(cg, "memory"), cgroup_path_for(cg, "freezer")),
           "v1: a directory per hierarchy");

        /* create */
        is_int(cgroup_create(cg, &e), 0, "v1: create");
        bool all = true;
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++)
                all = all && exists(P("%s/%s/berth/web1", h, fake_v1[i][0]));
        ok(all, "v1: the cgroup exists in every hierarchy");
        ok(exists(P("%s/unified/berth/web1", h)), "v1: hybrid unified directory created too");
        is_str(get(P("%s/cpuset/berth/cpuset.cpus", h)), "0-3", "v1: cpuset.cpus seeded (level 1)");
        is_str(get(P("%s/cpuset/berth/web1/cpuset.cpus", h)), "0-3",
               "v1: cpuset.cpus seeded (level 2)");
        is_str(get(P("%s/cpuset/berth/web1/cpuset.mems", h)), "0", "v1: cpuset.mems seeded");
        is_int(cgroup_create(cg, &e), 0, "v1: create again is fine");

        /* A level that already has cpus keeps them. */
        {
                _cleanup_(cgroup_freep) Cgroup *c2 = NULL;
                mkdir(P("%s/cpuset/keep", h), 0755);
                put(P("%s/cpuset/keep/cpuset.cpus", h), "1\n");
                put(P("%s/cpuset/keep/cpuset.mems", h), "0\n");
                cgroup_new(l, "keep/x", &c2);
                is_int(cgroup_create(c2, &e), 0, "v1: create below an existing cpuset");
                is_str(get(P("%s/cpuset/keep/x/cpuset.cpus", h)), "1",
                       "v1: seeded from its parent");
                unlink_files(P("%s/cpuset/keep", h));
                is_int(cgroup_destroy(c2, &e), 0, "v1: destroy keep/x");
                ok(!exists(P("%s/cpuset/keep/x", h)), "v1: keep/x removed");
        }

        /* Partial failure: pids/broken is a file, so mkdir below it fails after the cpu, cpuacct
         * and memory hierarchies got their directories. */
        {
                _cleanup_(cgroup_freep) Cgroup *c2 = NULL;
                put(P("%s/pids/broken", h), "");
                cgroup_new(l, "broken/x", &c2);
                is_int(cgroup_create(c2, &e), -ENOTDIR, "v1: create fails on a file in the way");
                is_str(msg(e),
                       P("create cgroup 'broken/x': mkdir '%s/pids/broken/x': Not a directory", h),
                       "v1: the error names the cgroup and the directory");
                e = berth_error_free(e);
                ok(!exists(P("%s/cpu/broken", h)) && !exists(P("%s/memory/broken", h)) &&
                           !exists(P("%s/cpuacct/broken", h)),
                   "v1: partial failure removed what it created");
                ok(exists(P("%s/pids/broken", h)), "v1: but not what was there before");
                unlink(P("%s/pids/broken", h));
        }

        /* cpuset seeding failure: the parent has no cpuset.cpus to copy. */
        {
                _cleanup_(cgroup_freep) Cgroup *c2 = NULL;
                mkdir(P("%s/cpuset/noseed", h), 0755);
                cgroup_new(l, "noseed/x", &c2);
                is_int(cgroup_create(c2, &e), -ENOENT, "v1: create fails when seeding fails");
                like(msg(e), P("read '%s/cpuset/noseed/cpuset.cpus'", h),
                     "v1: seeding error names the parent's file");
                e = berth_error_free(e);
                ok(!exists(P("%s/cpuset/noseed/x", h)) && !exists(P("%s/cpu/noseed", h)) &&
                           !exists(P("%s/pids/noseed", h)),
                   "v1: seeding failure rolled back");
                rmdir(P("%s/cpuset/noseed", h));
        }

        /* apply_limits: the exact values into the right files. */
        LOCAL(mem, "%s/memory/berth/web1", h);
        LOCAL(cpu, "%s/cpu/berth/web1", h);
        LOCAL(pids, "%s/pids/berth/web1", h);
        LOCAL(blk, "%s/blkio/berth/web1", h);
        put(P("%s/memory.limit_in_bytes", mem), "");
        put(P("%s/memory.memsw.limit_in_bytes", mem), "");
        put(P("%s/cpu.cfs_period_us", cpu), "");
        put(P("%s/cpu.cfs_quota_us", cpu), "");
        put(P("%s/cpu.shares", cpu), "");
        put(P("%s/pids.max", pids), "");
        put(P("%s/blkio.bfq.weight", blk), "");

        BerthLimits lim = {.memory = 64ULL << 20,
                           .swap = 64ULL << 20,
                           .cpus_milli = 1500,
                           .cpu_weight = 100,
                           .pids = 16,
                           .io_weight = 100};
        is_int(cgroup_apply_limits(cg, &lim, &e), 0, "v1: apply_limits");
        if (e)
                printf("# %s\n", e->message);
        is_str(get(P("%s/memory.limit_in_bytes", mem)), "67108864", "v1: memory.limit_in_bytes");
        is_str(get(P("%s/memory.memsw.limit_in_bytes", mem)), "134217728",
               "v1: memsw = memory + swap");
        is_str(get(P("%s/cpu.cfs_period_us", cpu)), "100000", "v1: cfs period");
        is_str(get(P("%s/cpu.cfs_quota_us", cpu)), "150000", "v1: cfs quota for 1.5 cpus");
        is_str(get(P("%s/cpu.shares", cpu)), "1024", "v1: weight 100 is 1024 shares");
        is_str(get(P("%s/pids.max", pids)), "16", "v1: pids.max");
        is_str(get(P("%s/blkio.bfq.weight", blk)), "10", "v1: bfq weight = weight/10");

        put(P("%s/blkio.weight", blk), "");
        put(P("%s/cpu.shares", cpu), "");
        lim = (BerthLimits){.io_weight = 100, .cpu_weight = 1};
        is_int(cgroup_apply_limits(cg, &lim, &e), 0, "v1: apply io and cpu weight");
        is_str(get(P("%s/blkio.weight", blk)), "500", "v1: blkio.weight preferred, weight*5");
        is_str(get(P("%s/cpu.shares", cpu)), "10", "v1: weight 1 is 10 shares");
        lim = (BerthLimits){.io_weight = 1};
        put(P("%s/blkio.weight", blk), "");
        cgroup_apply_limits(cg, &lim, &e);
        is_str(get(P("%s/blkio.weight", blk)), "10", "v1: blkio.weight clamped to 10");
        lim = (BerthLimits){.io_weight = 10000};
        put(P("%s/blkio.weight", blk), "");
        cgroup_apply_limits(cg, &lim, &e);
        is_str(get(P("%s/blkio.weight", blk)), "1000", "v1: blkio.weight clamped to 1000");
        unlink(P("%s/blkio.weight", blk));
        put(P("%s/blkio.bfq.weight", blk), "");
        lim = (BerthLimits){.io_weight = 5};
        cgroup_apply_limits(cg, &lim, &e);
        is_str(get(P("%s/blkio.bfq.weight", blk)), "1", "v1: bfq weight clamped to 1");

        /* Unset fields are left alone. */
        put(P("%s/pids.max", pids), "untouched");
        lim = (BerthLimits){};
        is_int(cgroup_apply_limits(cg, &lim, &e), 0, "v1: no limits set");
        is_str(get(P("%s/pids.max", pids)), "untouched", "v1: unset limits write nothing");

        /* Missing files name the key, and nothing is written before the check fails. */
        unlink(P("%s/blkio.bfq.weight", blk));
        put(P("%s/memory.limit_in_bytes", mem), "");
        lim = (BerthLimits){.memory = 1 << 20, .io_weight = 100};
        is_int(cgroup_apply_limits(cg, &lim, &e), -ENOENT, "v1: no blkio weight file");
        is_str(msg(e),
               "apply limits to cgroup 'berth/web1': set 'limits.io_weight': no blkio.weight or "
               "blkio.bfq.weight on this host: No such file or directory",
               "v1: the error names limits.io_weight");
        e = berth_error_free(e);
        is_str(get(P("%s/memory.limit_in_bytes", mem)), "", "v1: no partial write before it");

        unlink(P("%s/memory.memsw.limit_in_bytes", mem));
        lim = (BerthLimits){.memory = 1 << 20, .swap = 1 << 20};
        is_int(cgroup_apply_limits(cg, &lim, &e), -ENOENT, "v1: no memsw file");
        like(msg(e), "set 'limits.swap': no memory.memsw.limit_in_bytes on this host",
             "v1: the error names limits.swap");
        e = berth_error_free(e);
        is_str(get(P("%s/memory.limit_in_bytes", mem)), "", "v1: memory not written either");

        lim = (BerthLimits){.swap = 1 << 20};
        is_int(cgroup_apply_limits(cg, &lim, &e), -EINVAL, "v1: swap without memory");
        like(msg(e), "set 'limits.swap': cgroup v1 needs 'limits.memory' too",
             "v1: swap without memory explained");
        e = berth_error_free(e);

        unlink(P("%s/cpu.cfs_quota_us", cpu));
        lim = (BerthLimits){.cpus_milli = 500};
        is_int(cgroup_apply_limits(cg, &lim, &e), -ENOENT, "v1: no cfs quota file");
        like(msg(e), "set 'limits.cpus': no cpu.cfs_quota_us on this host",
             "v1: the error names limits.cpus");
        e = berth_error_free(e);
        put(P("%s/cpu.cfs_quota_us", cpu), "");

        lim = (BerthLimits){.cpus_milli = UINT64_MAX / 10};
        is_int(cgroup_apply_limits(cg, &lim, &e), -ERANGE, "v1: absurd cpus");
        e = berth_error_free(e);
        lim = (BerthLimits){.memory = UINT64_MAX - 5, .swap = 10};
        is_int(cgroup_apply_limits(cg, &lim, &e), -ERANGE, "v1: memory+swap overflow");
        e = berth_error_free(e);

        /* A write the "kernel" refuses: a directory where the file should be. */
        unlink(P("%s/pids.max", pids));
        mkdir(P("%s/pids.max", pids), 0755);
        lim = (BerthLimits){.pids = 7};
        int r = cgroup_apply_limits(cg, &lim, &e);
        ok(r < 0, "v1: refused write fails");
        like(msg(e), P("set 'limits.pids': write '7' to '%s/pids.max'", pids),
             "v1: refused write names key, value and file");
        e = berth_error_free(e);
        rmdir(P("%s/pids.max", pids));
        put(P("%s/pids.max", pids), "");

        /* Layout without a pids hierarchy. */
        {
                _cleanup_(cgroup_layout_freep) CgroupLayout *nl =
                        fake_v1_layout(root, "pids", false);
                _cleanup_(cgroup_freep) Cgroup *c2 = NULL;
                cgroup_new(nl, "berth/web1", &c2);
                lim = (BerthLimits){.pids = 7};
                is_int(cgroup_apply_limits(c2, &lim, &e), -ENOENT, "v1: no pids hierarchy");
                like(msg(e), "set 'limits.pids': no pids controller on this host",
                     "v1: missing controller named");
                e = berth_error_free(e);
                /* And no freezer: freeze is unsupported, kill still works by signals. */
                _cleanup_(cgroup_layout_freep) CgroupLayout *nf =
                        fake_v1_layout(root, "freezer", false);
                _cleanup_(cgroup_freep) Cgroup *c3 = NULL;
                cgroup_new(nf, "berth/web1", &c3);
                is_int(cgroup_freeze(c3, 1000, &e), -EOPNOTSUPP, "v1: no freezer hierarchy");
                like(msg(e), "freeze cgroup 'berth/web1': no freezer hierarchy on this host",
                     "v1: missing freezer explained");
                e = berth_error_free(e);
                bool b;
                is_int(cgroup_is_frozen(c3, &b), -EOPNOTSUPP, "v1: is_frozen without freezer");
                is_int(cgroup_kill_all(c3, 100000, &e), 0, "v1: kill without freezer, empty");
        }

        /* A cgroup that was never created. */
        {
                _cleanup_(cgroup_freep) Cgroup *c2 = NULL;
                cgroup_new(l, "nothere", &c2);
                lim = (BerthLimits){.memory = 1 << 20};
                is_int(cgroup_apply_limits(c2, &lim, &e), -ENOENT, "v1: limits on no cgroup");
                like(msg(e), P("set 'limits.memory': open cgroup '%s/memory/nothere'", h),
                     "v1: the missing cgroup is named");
                e = berth_error_free(e);
                bool b = false;
                is_int(cgroup_is_empty(c2, &b), 0, "v1: is_empty on no cgroup");
                ok(b, "v1: no cgroup is empty");
                is_int(cgroup_destroy(c2, &e), 0, "v1: destroy of no cgroup is fine");
        }

        /* attach */
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++)
                put(P("%s/%s/berth/web1/cgroup.procs", h, fake_v1[i][0]), "");
        put(P("%s/unified/berth/web1/cgroup.procs", h), "");
        is_int(cgroup_attach(cg, 4242, &e), 0, "v1: attach");
        all = true;
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++)
                all = all &&
                      streq(get(P("%s/%s/berth/web1/cgroup.procs", h, fake_v1[i][0])), "4242");
        ok(all, "v1: pid written to cgroup.procs of every hierarchy");
        is_str(get(P("%s/unified/berth/web1/cgroup.procs", h)), "4242",
               "v1: and to the hybrid unified directory");
        unlink(P("%s/unified/berth/web1/cgroup.procs", h));
        is_int(cgroup_attach(cg, 4243, &e), 0, "v1: unified attach is best effort");
        unlink(P("%s/freezer/berth/web1/cgroup.procs", h));
        is_int(cgroup_attach(cg, 4244, &e), -ENOENT, "v1: attach fails on a missing file");
        like(msg(e),
             P("attach pid 4244 to cgroup 'berth/web1': write '4244' to "
               "'%s/freezer/berth/web1/cgroup.procs'",
               h),
             "v1: attach error names pid, cgroup and file");
        e = berth_error_free(e);
        is_int(cgroup_attach(cg, 0, &e), -EINVAL, "v1: attach of pid 0 refused");
        like(msg(e), "invalid pid", "v1: invalid pid explained");
        e = berth_error_free(e);
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++)
                put(P("%s/%s/berth/web1/cgroup.procs", h, fake_v1[i][0]), "");

        /* attach_root: back to the root of every hierarchy. */
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++)
                put(P("%s/%s/cgroup.procs", h, fake_v1[i][0]), "");
        put(P("%s/unified/cgroup.procs", h), "");
        is_int(cgroup_attach_root(l, 555), 0, "v1: attach_root");
        all = true;
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++)
                all = all && streq(get(P("%s/%s/cgroup.procs", h, fake_v1[i][0])), "555");
        ok(all, "v1: attach_root wrote every hierarchy's root cgroup.procs");
        is_str(get(P("%s/unified/cgroup.procs", h)), "555", "v1: and the hybrid unified root");
        unlink(P("%s/unified/cgroup.procs", h));
        is_int(cgroup_attach_root(l, 556), 0, "v1: attach_root: hybrid unified is best effort");
        unlink(P("%s/pids/cgroup.procs", h));
        is_int(cgroup_attach_root(l, 557), -ENOENT, "v1: attach_root fails on a missing root");
        is_str(get(P("%s/systemd/cgroup.procs", h)), "557",
               "v1: attach_root still left the other hierarchies");
        is_int(cgroup_attach_root(NULL, 1), -EINVAL, "attach_root(NULL)");
        is_int(cgroup_attach_root(l, 0), -EINVAL, "attach_root of pid 0");
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++)
                unlink(P("%s/%s/cgroup.procs", h, fake_v1[i][0]));

        /* freeze / thaw */
        LOCAL(fz, "%s/freezer/berth/web1/freezer.state", h);
        put(fz, "THAWED\n");
        bool b = true;
        is_int(cgroup_is_frozen(cg, &b), 0, "v1: is_frozen");
        ok(!b, "v1: THAWED is not frozen");
        uint64_t t0 = now_usec();
        is_int(cgroup_freeze(cg, 1000000, &e), 0, "v1: freeze");
        ok(now_usec() - t0 < 100000, "v1: freeze returned at once");
        is_str(get(fz), "FROZEN", "v1: FROZEN written");
        is_int(cgroup_is_frozen(cg, &b), 0, "v1: is_frozen after freeze");
        ok(b, "v1: frozen");
        is_int(cgroup_thaw(cg, &e), 0, "v1: thaw");
        is_str(get(fz), "THAWED", "v1: THAWED written");

        /* A freezer stuck in FREEZING: our FROZEN over "FREEZING" reads "FROZENNG". */
        put(fz, "FREEZING");
        t0 = now_usec();
        is_int(cgroup_freeze(cg, 30000, &e), -ETIMEDOUT, "v1: freeze times out");
        uint64_t took = now_usec() - t0;
        ok(took >= 30000 && took < 300000, "v1: after the timeout, not a 1 s tick (%" PRIu64 " us)",
           took);
        like(msg(e), "freeze cgroup 'berth/web1': timed out waiting for", "v1: timeout explained");
        e = berth_error_free(e);
        ok(strncmp(get(fz), "THAWED", 6) == 0, "v1: a failed freeze thaws again");
        put(fz, "THAWED\n");

        /* stats */
        CgroupStats st;
        unlink(P("%s/memory.limit_in_bytes", mem));
        unlink(P("%s/pids.max", pids));
        is_int(cgroup_get_stats(cg, &st), 0, "v1: stats with no files");
        ok(st.cpu_usec == UINT64_MAX && st.memory_current == UINT64_MAX &&
                   st.memory_max == UINT64_MAX && st.pids_current == UINT64_MAX &&
                   st.pids_max == UINT64_MAX,
           "v1: missing files are unknown");
        put(P("%s/cpuacct/berth/web1/cpuacct.usage", h), "123456789\n");
        put(P("%s/memory.usage_in_bytes", mem), "1000\n");
        put(P("%s/memory.limit_in_bytes", mem), "9223372036854771712\n");
        put(P("%s/pids.current", pids), "3\n");
        put(P("%s/pids.max", pids), "max\n");
        is_int(cgroup_get_stats(cg, &st), 0, "v1: stats");
        is_int(st.cpu_usec, 123456, "v1: cpuacct.usage ns -> us, from the cpuacct hierarchy");
        is_int(st.memory_current, 1000, "v1: memory.usage_in_bytes");
        ok(st.memory_max == UINT64_MAX, "v1: huge limit_in_bytes is unlimited");
        is_int(st.pids_current, 3, "v1: pids.current");
        ok(st.pids_max == UINT64_MAX, "v1: pids.max 'max' is unlimited");
        put(P("%s/memory.limit_in_bytes", mem), "67108864\n");
        put(P("%s/pids.max", pids), "16\n");
        cgroup_get_stats(cg, &st);
        is_int(st.memory_max, 67108864, "v1: real memory limit");
        is_int(st.pids_max, 16, "v1: real pids.max");
        unlink(P("%s/cpuacct/berth/web1/cpuacct.usage", h));
        put(P("%s/unified/berth/web1/cpu.stat", h), "usage_usec 42\nuser_usec 40\n");
        cgroup_get_stats(cg, &st);
        is_int(st.cpu_usec, 42, "v1: hybrid falls back to the unified cpu.stat");
        put(P("%s/pids.current", pids), "lots\n");
        is_int(cgroup_get_stats(cg, &st), -EBADMSG, "v1: garbage in a stats file");
        is_int(st.memory_max, 67108864, "v1: other fields still filled");
        unlink(P("%s/pids.current", pids));

        /* signal_all, kill_all and is_empty with real children listed in the fake files. */
        mkdir(P("%s/pids/berth/web1/sub", h), 0755);
        pid_t child = fork_sleeper();
        put(P("%s/pids/berth/web1/sub/cgroup.procs", h), P("%d\n", (int)child));
        is_int(cgroup_is_empty(cg, &b), 0, "v1: is_empty");
        ok(!b, "v1: a pid in a child cgroup makes it non-empty");
        is_int(cgroup_signal_all(cg, SIGTERM, &e), 0, "v1: signal_all");
        is_int(reap(child, 2000), SIGTERM, "v1: the child in a sub-cgroup got SIGTERM");
        put(P("%s/pids/berth/web1/sub/cgroup.procs", h), P("%d\n", (int)getpid()));
        is_int(cgroup_signal_all(cg, SIGTERM, &e), 0, "v1: signal_all never signals ourselves");
        put(P("%s/pids/berth/web1/sub/cgroup.procs", h), "12abc\n");
        is_int(cgroup_signal_all(cg, SIGTERM, &e), -EBADMSG, "v1: garbage in cgroup.procs");
        like(msg(e), "signal processes of cgroup 'berth/web1'", "v1: signal error names cgroup");
        e = berth_error_free(e);
        is_int(cgroup_signal_all(cg, 12345, &e), -EINVAL, "v1: invalid signal refused");
        e = berth_error_free(e);
        put(P("%s/pids/berth/web1/sub/cgroup.procs", h), "");

        /* kill_all: the pid is listed only in the memory hierarchy, the emptiness check reads
         * pids, so it completes once the kill went out. */
        child = fork_sleeper();
        put(P("%s/memory/berth/web1/cgroup.procs", h), P("%d\n", (int)child));
        is_int(cgroup_kill_all(cg, 1000000, &e), 0, "v1: kill_all");
        if (e)
                printf("# %s\n", e->message);
        is_int(reap(child, 2000), SIGKILL, "v1: the child got SIGKILL");
        is_str(get(fz), "THAWED", "v1: kill_all froze and thawed again");
        put(P("%s/memory/berth/web1/cgroup.procs", h), "");

        /* A pid that stays listed: timeout. */
        child = fork_sleeper();
        put(P("%s/pids/berth/web1/cgroup.procs", h), P("%d\n", (int)child));
        t0 = now_usec();
        is_int(cgroup_kill_all(cg, 50000, &e), -ETIMEDOUT, "v1: kill_all times out");
        took = now_usec() - t0;
        ok(took >= 50000 && took < 500000, "v1: kill_all timeout honoured (%" PRIu64 " us)", took);
        like(msg(e), "kill processes of cgroup 'berth/web1': timed out",
             "v1: kill timeout explained");
        e = berth_error_free(e);
        is_int(reap(child, 2000), SIGKILL, "v1: the child was still killed");
        put(P("%s/pids/berth/web1/cgroup.procs", h), "");

        /* destroy */
        mkdir(P("%s/memory/berth/web1/sub", h), 0755);
        mkdir(P("%s/memory/berth/web1/sub/deeper", h), 0755);
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++)
                unlink_files(P("%s/%s/berth/web1", h, fake_v1[i][0]));
        unlink_files(P("%s/unified/berth/web1", h));
        put(P("%s/cpu/berth/web1/stray", h), "x");
        is_int(cgroup_destroy(cg, &e), -ENOTEMPTY, "v1: destroy fails on a non-cgroup file");
        like(msg(e), P("destroy cgroup 'berth/web1': remove '%s/cpu/berth/web1'", h),
             "v1: destroy error names the directory");
        e = berth_error_free(e);
        ok(!exists(P("%s/memory/berth/web1", h)) && !exists(P("%s/unified/berth/web1", h)),
           "v1: destroy went on with the other hierarchies");
        unlink(P("%s/cpu/berth/web1/stray", h));
        is_int(cgroup_destroy(cg, &e), 0, "v1: destroy");
        all = true;
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++)
                all = all && !exists(P("%s/%s/berth/web1", h, fake_v1[i][0]));
        ok(all, "v1: the cgroup is gone from every hierarchy");
        ok(exists(P("%s/memory/berth", h)), "v1: the parent stays");
        is_int(cgroup_destroy(cg, &e), 0, "v1: destroy twice is fine");
}

/* ---- fake v2 tree ---------------------------------------------------------------------------- */

static void test_fake_v2(const char *tmp)
{
        LOCAL(root, "%s/v2", tmp);
        mkdir(root, 0755);
        CgroupLayout lv = {.unified = true, .unified_mount = (char *)root};
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        const char *h = root;

        put(P("%s/cgroup.controllers", h), "cpuset cpu io memory hugetlb pids rdma misc\n");
        put(P("%s/cgroup.subtree_control", h), "");
        mkdir(P("%s/berth", h), 0755);
        put(P("%s/berth/cgroup.controllers", h), "cpu memory pids\n");
        put(P("%s/berth/cgroup.subtree_control", h), "cpu\n");

        is_int(cgroup_new(&lv, "berth/web1", &cg), 0, "v2: new");
        ok(cgroup_path_for(cg, "memory") && cgroup_path_for(cg, "pids") &&
                   streq(cgroup_path_for(cg, "memory"), cgroup_path_for(cg, "pids")),
           "v2: one directory for every controller");
        is_int(cgroup_create(cg, &e), 0, "v2: create");
        if (e)
                printf("# %s\n", e->message);
        LOCAL(dir, "%s/berth/web1", h);
        ok(exists(dir), "v2: directory created");
        is_str(get(P("%s/cgroup.subtree_control", h)),
               "+cpuset +cpu +io +memory +hugetlb +pids +rdma +misc",
               "v2: root enables every controller it has");
        is_str(get(P("%s/berth/cgroup.subtree_control", h)), "+memory +pids",
               "v2: the parent enables what is available and not yet on");
        ok(!exists(P("%s/cgroup.subtree_control", dir)),
           "v2: nothing enabled in the cgroup itself");

        /* A new intermediate level whose subtree_control cannot be written: rolled back. */
        {
                _cleanup_(cgroup_freep) Cgroup *c2 = NULL;
                cgroup_new(&lv, "other/x", &c2);
                is_int(cgroup_create(c2, &e), -ENOENT, "v2: create fails on subtree_control");
                like(msg(e),
                     P("create cgroup 'other/x': write '+cpuset +cpu +io +memory +hugetlb +pids "
                       "+rdma +misc' to '%s/other/cgroup.subtree_control'",
                       h),
                     "v2: the error names what was written where");
                e = berth_error_free(e);
                ok(!exists(P("%s/other", h)), "v2: both created levels removed");
        }

        /* apply_limits */
        static const char *const files[] = {"memory.max", "memory.swap.max", "cpu.max",
                                            "cpu.weight", "pids.max",        "io.weight"};
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                put(P("%s/%s", dir, files[i]), "");
        BerthLimits lim = {.memory = 64ULL << 20,
                           .swap = 32ULL << 20,
                           .cpus_milli = 1500,
                           .cpu_weight = 200,
                           .pids = 16,
                           .io_weight = 300};
        is_int(cgroup_apply_limits(cg, &lim, &e), 0, "v2: apply_limits");
        is_str(get(P("%s/memory.max", dir)), "67108864", "v2: memory.max");
        is_str(get(P("%s/memory.swap.max", dir)), "33554432", "v2: memory.swap.max is swap alone");
        is_str(get(P("%s/cpu.max", dir)), "150000 100000", "v2: cpu.max");
        is_str(get(P("%s/cpu.weight", dir)), "200", "v2: cpu.weight");
        is_str(get(P("%s/pids.max", dir)), "16", "v2: pids.max");
        is_str(get(P("%s/io.weight", dir)), "default 300", "v2: io.weight");

        unlink(P("%s/io.weight", dir));
        put(P("%s/io.bfq.weight", dir), "");
        lim = (BerthLimits){.io_weight = 300};
        is_int(cgroup_apply_limits(cg, &lim, &e), 0, "v2: io weight through bfq");
        is_str(get(P("%s/io.bfq.weight", dir)), "300", "v2: io.bfq.weight");
        put(P("%s/io.bfq.weight", dir), "");
        lim = (BerthLimits){.io_weight = 5000};
        cgroup_apply_limits(cg, &lim, &e);
        is_str(get(P("%s/io.bfq.weight", dir)), "1000", "v2: io.bfq.weight clamped to 1000");
        unlink(P("%s/io.bfq.weight", dir));
        put(P("%s/memory.max", dir), "");
        lim = (BerthLimits){.memory = 4096, .io_weight = 100};
        is_int(cgroup_apply_limits(cg, &lim, &e), -ENOENT, "v2: no io weight file");
        is_str(msg(e),
               "apply limits to cgroup 'berth/web1': set 'limits.io_weight': no io.weight or "
               "io.bfq.weight on this host: No such file or directory",
               "v2: the error names limits.io_weight");
        e = berth_error_free(e);
        is_str(get(P("%s/memory.max", dir)), "", "v2: nothing written before the failure");
        unlink(P("%s/memory.swap.max", dir));
        lim = (BerthLimits){.swap = 4096};
        is_int(cgroup_apply_limits(cg, &lim, &e), -ENOENT, "v2: no swap file");
        like(msg(e), "set 'limits.swap': no memory.swap.max on this host", "v2: names limits.swap");
        e = berth_error_free(e);

        /* attach */
        put(P("%s/cgroup.procs", dir), "");
        is_int(cgroup_attach(cg, 777, &e), 0, "v2: attach");
        is_str(get(P("%s/cgroup.procs", dir)), "777", "v2: pid in cgroup.procs");
        put(P("%s/cgroup.procs", h), "");
        is_int(cgroup_attach_root(&lv, 778), 0, "v2: attach_root");
        is_str(get(P("%s/cgroup.procs", h)), "778", "v2: pid in the root's cgroup.procs");
        unlink(P("%s/cgroup.procs", h));
        is_int(cgroup_attach_root(&lv, 779), -ENOENT, "v2: attach_root needs the v2 root");

        /* freeze / thaw */
        bool b = true;
        ok(cgroup_freeze(cg, 10000, &e) == -EOPNOTSUPP, "v2: no cgroup.freeze: unsupported");
        like(msg(e), "no cgroup.freeze in", "v2: missing freezer explained");
        e = berth_error_free(e);
        put(P("%s/cgroup.freeze", dir), "0");
        put(P("%s/cgroup.events", dir), "populated 1\nfrozen 1\n");
        uint64_t t0 = now_usec();
        is_int(cgroup_freeze(cg, 1000000, &e), 0, "v2: freeze");
        ok(now_usec() - t0 < 100000, "v2: freeze returned at once");
        is_str(get(P("%s/cgroup.freeze", dir)), "1", "v2: 1 written to cgroup.freeze");
        is_int(cgroup_is_frozen(cg, &b), 0, "v2: is_frozen");
        ok(b, "v2: frozen 1 is frozen");
        is_int(cgroup_thaw(cg, &e), 0, "v2: thaw");
        is_str(get(P("%s/cgroup.freeze", dir)), "0", "v2: 0 written to cgroup.freeze");

        put(P("%s/cgroup.events", dir), "populated 1\nfrozen 0\n");
        is_int(cgroup_is_frozen(cg, &b), 0, "v2: is_frozen again");
        ok(!b, "v2: frozen 0 is not frozen");
        t0 = now_usec();
        is_int(cgroup_freeze(cg, 30000, &e), -ETIMEDOUT, "v2: freeze times out");
        uint64_t took = now_usec() - t0;
        ok(took >= 30000 && took < 300000, "v2: after the timeout (%" PRIu64 " us)", took);
        like(msg(e), "timed out waiting for 'frozen 1'", "v2: timeout explained");
        e = berth_error_free(e);
        is_str(get(P("%s/cgroup.freeze", dir)), "0", "v2: a failed freeze thaws again");
        put(P("%s/cgroup.events", dir), "populated 1\n");
        is_int(cgroup_freeze(cg, 30000, &e), -EOPNOTSUPP, "v2: events without 'frozen'");
        e = berth_error_free(e);

        /* is_empty, kill_all with cgroup.kill */
        put(P("%s/cgroup.events", dir), "populated 1\nfrozen 0\n");
        is_int(cgroup_is_empty(cg, &b), 0, "v2: is_empty");
        ok(!b, "v2: populated 1 is not empty");
        put(P("%s/cgroup.kill", dir), "");
        t0 = now_usec();
        is_int(cgroup_kill_all(cg, 30000, &e), -ETIMEDOUT, "v2: kill_all waits for populated 0");
        ok(now_usec() - t0 < 300000, "v2: and gives up at the timeout");
        is_str(get(P("%s/cgroup.kill", dir)), "1", "v2: 1 written to cgroup.kill");
        e = berth_error_free(e);
        put(P("%s/cgroup.events", dir), "populated 0\nfrozen 0\n");
        is_int(cgroup_kill_all(cg, 1000000, &e), 0, "v2: kill_all through cgroup.kill");
        is_int(cgroup_is_empty(cg, &b), 0, "v2: is_empty after");
        ok(b, "v2: populated 0 is empty");

        /* kill_all without cgroup.kill: freeze, kill, thaw. */
        unlink(P("%s/cgroup.kill", dir));
        put(P("%s/cgroup.events", dir), "populated 0\nfrozen 1\n");
        pid_t child = fork_sleeper();
        mkdir(P("%s/sub", dir), 0755);
        put(P("%s/sub/cgroup.procs", dir), P("%d\n", (int)child));
        is_int(cgroup_kill_all(cg, 1000000, &e), 0, "v2: kill_all by signals");
        is_int(reap(child, 2000), SIGKILL, "v2: the child in a sub-cgroup got SIGKILL");
        is_str(get(P("%s/cgroup.freeze", dir)), "0", "v2: frozen then thawed");

        child = fork_sleeper();
        put(P("%s/sub/cgroup.procs", dir), P("%d\n", (int)child));
        is_int(cgroup_signal_all(cg, SIGHUP, &e), 0, "v2: signal_all");
        is_int(reap(child, 2000), SIGHUP, "v2: the child got SIGHUP");
        put(P("%s/sub/cgroup.procs", dir), "");

        /* stats */
        CgroupStats st;
        put(P("%s/cpu.stat", dir), "usage_usec 5000\nuser_usec 10\nsystem_usec 4990\n");
        put(P("%s/memory.current", dir), "4096\n");
        put(P("%s/memory.max", dir), "max\n");
        put(P("%s/pids.current", dir), "2\n");
        put(P("%s/pids.max", dir), "16\n");
        is_int(cgroup_get_stats(cg, &st), 0, "v2: stats");
        is_int(st.cpu_usec, 5000, "v2: cpu.stat usage_usec");
        is_int(st.memory_current, 4096, "v2: memory.current");
        ok(st.memory_max == UINT64_MAX, "v2: memory.max 'max' is unlimited");
        is_int(st.pids_current, 2, "v2: pids.current");
        is_int(st.pids_max, 16, "v2: pids.max");
        put(P("%s/cpu.stat", dir), "user_usec 10\n");
        unlink(P("%s/memory.current", dir));
        is_int(cgroup_get_stats(cg, &st), 0, "v2: stats with gaps");
        ok(st.cpu_usec == UINT64_MAX && st.memory_current == UINT64_MAX,
           "v2: missing key and file are unknown");
        put(P("%s/cpu.stat", dir), "usage_usec twelve\n");
        is_int(cgroup_get_stats(cg, &st), -EBADMSG, "v2: garbage in cpu.stat");

        /* destroy */
        unlink_files(dir);
        is_int(cgroup_destroy(cg, &e), 0, "v2: destroy");
        ok(!exists(dir), "v2: the cgroup and its child are gone");
        ok(exists(P("%s/berth", h)), "v2: the parent stays");
}

/* ---- real kernel ----------------------------------------------------------------------------- */

static bool in_proc_cgroup(pid_t pid, const char *needle)
{
        _cleanup_free_ char *text = NULL;
        if (read_full_file_at(AT_FDCWD, P("/proc/%d/cgroup", (int)pid), 1 << 16, &text, NULL) < 0)
                return false;
        return strstr(text, needle) != NULL;
}

/* Reaps every child we have (we are a subreaper), up to timeout_ms. */
static int reap_all(unsigned timeout_ms)
{
        int n = 0;
        for (unsigned i = 0; i < timeout_ms; i++) {
                pid_t r;
                while ((r = waitpid(-1, NULL, WNOHANG)) > 0)
                        n++;
                if (r < 0 && errno == ECHILD)
                        return n;
                usleep(1000);
        }
        return -1;
}

static bool gone_everywhere(const CgroupLayout *l, const char *rel)
{
        for (size_t i = 0; i < l->n_v1; i++)
                if (exists(P("%s/%s", l->v1[i].mountpoint, rel)))
                        return false;
        return !l->unified_mount || !exists(P("%s/%s", l->unified_mount, rel));
}

static void test_real_v1(void)
{
        _cleanup_(cgroup_layout_freep) CgroupLayout *l = NULL;
        if (cgroup_layout_detect(&l) < 0 || l->unified) {
                skip("real v1: not a v1/hybrid host");
                return;
        }
        for (const char *const *c = (const char *const[]){"memory", "pids", "freezer", NULL}; *c;
             c++)
                if (!find_hierarchy(l, *c)) {
                        skip("real v1: no %s hierarchy", *c);
                        return;
                }

        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL, *top = NULL;
        LOCAL(toprel, "berth-unit-%d", (int)getpid());
        LOCAL(rel, "%s/c1", toprel);
        pid_t a = -1, bomb = -1;
        is_int(cgroup_new(l, rel, &cg), 0, "real v1: new");
        cgroup_new(l, toprel, &top);

        is_int(cgroup_create(cg, &e), 0, "real v1: create");
        if (e) {
                printf("# %s\n", e->message);
                goto cleanup;
        }
        bool all = true;
        for (size_t i = 0; i < l->n_v1; i++)
                all = all && exists(P("%s/%s", l->v1[i].mountpoint, rel));
        ok(all, "real v1: the cgroup exists in every hierarchy");

        BerthLimits lim = {.memory = 64ULL << 20, .pids = 16};
        is_int(cgroup_apply_limits(cg, &lim, &e), 0, "real v1: memory 64M, pids 16");
        if (e)
                printf("# %s\n", e->message);
        is_str(get(P("%s/memory.limit_in_bytes", cgroup_path_for(cg, "memory"))), "67108864",
               "real v1: memory.limit_in_bytes");
        is_str(get(P("%s/pids.max", cgroup_path_for(cg, "pids"))), "16", "real v1: pids.max");

        const char *memdir = cgroup_path_for(cg, "memory"); /* owned by cg */
        if (exists(P("%s/memory.memsw.limit_in_bytes", memdir))) {
                lim = (BerthLimits){.memory = 64ULL << 20, .swap = 64ULL << 20};
                is_int(cgroup_apply_limits(cg, &lim, &e), 0, "real v1: swap 64M");
                is_str(get(P("%s/memory.memsw.limit_in_bytes", memdir)), "134217728",
                       "real v1: memsw = 128M");
                /* Raising memory above the old memsw limit needs memsw first. */
                lim = (BerthLimits){.memory = 256ULL << 20, .swap = 64ULL << 20};
                is_int(cgroup_apply_limits(cg, &lim, &e), 0, "real v1: raise memory to 256M");
                if (e)
                        printf("# %s\n", e->message);
                e = berth_error_free(e);
                is_str(get(P("%s/memory.limit_in_bytes", memdir)), "268435456",
                       "real v1: memory raised");
                lim = (BerthLimits){.memory = 128ULL << 20, .swap = 64ULL << 20};
                is_int(cgroup_apply_limits(cg, &lim, &e), 0, "real v1: lower memory to 128M");
                is_str(get(P("%s/memory.memsw.limit_in_bytes", memdir)), "201326592",
                       "real v1: memsw lowered");
        } else
                skip("real v1: no swap accounting");

        lim = (BerthLimits){.io_weight = 100};
        const char *blk = cgroup_path_for(cg, "blkio");
        if (blk && !exists(P("%s/blkio.weight", blk)) && !exists(P("%s/blkio.bfq.weight", blk))) {
                is_int(cgroup_apply_limits(cg, &lim, &e), -ENOENT,
                       "real v1: io_weight fails without a weight file");
                like(msg(e), "set 'limits.io_weight': no blkio.weight or blkio.bfq.weight",
                     "real v1: names limits.io_weight");
                e = berth_error_free(e);
        } else
                is_int(cgroup_apply_limits(cg, &lim, &e), 0, "real v1: io_weight");
        lim = (BerthLimits){.cpus_milli = 500, .cpu_weight = 50};
        if (cgroup_path_for(cg, "cpu")) {
                is_int(cgroup_apply_limits(cg, &lim, &e), 0, "real v1: cpus and cpu_weight");
                is_str(get(P("%s/cpu.cfs_quota_us", cgroup_path_for(cg, "cpu"))), "50000",
                       "real v1: cfs quota");
                e = berth_error_free(e);
        }

        a = fork_sleeper();
        is_int(cgroup_attach(cg, a, &e), 0, "real v1: attach");
        if (e)
                printf("# %s\n", e->message);
        ok(in_proc_cgroup(a, P(":memory:/%s\n", rel)) && in_proc_cgroup(a, P(":pids:/%s\n", rel)) &&
                   in_proc_cgroup(a, P(":freezer:/%s\n", rel)),
           "real v1: /proc/PID/cgroup shows the child in the cgroup");
        if (l->unified_mount)
                ok(in_proc_cgroup(a, P("0::/%s\n", rel)), "real v1: hybrid unified tracks it");

        bool b = false;
        uint64_t t0 = now_usec();
        is_int(cgroup_freeze(cg, 5000000, &e), 0, "real v1: freeze");
        uint64_t took = now_usec() - t0;
        ok(took < 100000, "real v1: freeze within 100 ms (%" PRIu64 " us)", took);
        is_str(get(P("%s/freezer.state", cgroup_path_for(cg, "freezer"))), "FROZEN",
               "real v1: freezer.state FROZEN");
        is_int(cgroup_is_frozen(cg, &b), 0, "real v1: is_frozen");
        ok(b, "real v1: frozen");
        is_int(cgroup_thaw(cg, &e), 0, "real v1: thaw");
        cgroup_is_frozen(cg, &b);
        ok(!b, "real v1: thawed");

        CgroupStats st;
        is_int(cgroup_get_stats(cg, &st), 0, "real v1: stats");
        ok(st.cpu_usec != UINT64_MAX, "real v1: cpu usage known");
        ok(st.memory_current != UINT64_MAX, "real v1: memory usage known");
        is_int(st.memory_max,
               exists(P("%s/memory.memsw.limit_in_bytes", memdir)) ? 128ULL << 20 : 64ULL << 20,
               "real v1: memory limit");
        is_int(st.pids_current, 1, "real v1: one process");
        is_int(st.pids_max, 16, "real v1: pids.max");
        is_int(cgroup_is_empty(cg, &b), 0, "real v1: is_empty");
        ok(!b, "real v1: not empty");

        /* A fork bomb (capped by pids.max) next to the sleeper. */
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC) < 0)
                goto cleanup;
        bomb = fork();
        if (bomb == 0) {
                char c;
                close(pfd[1]);
                if (read(pfd[0], &c, 1) != 1)
                        _exit(1);
                for (;;)
                        if (fork() < 0)
                                usleep(100);
        }
        close(pfd[0]);
        cgroup_attach(cg, bomb, &e);
        (void)!write(pfd[1], "x", 1);
        close(pfd[1]);
        usleep(50000);
        cgroup_get_stats(cg, &st);
        ok(st.pids_current > 2 && st.pids_current <= 16,
           "real v1: the bomb forked up to pids.max (%" PRIu64 ")", st.pids_current);

        t0 = now_usec();
        is_int(cgroup_kill_all(cg, 5000000, &e), 0, "real v1: kill_all");
        if (e)
                printf("# %s\n", e->message);
        printf("# kill_all took %" PRIu64 " us\n", now_usec() - t0);
        is_int(cgroup_is_empty(cg, &b), 0, "real v1: is_empty after kill");
        ok(b, "real v1: empty");
        is_int(reap(a, 2000), SIGKILL, "real v1: the sleeper was killed");
        a = -1;
        ok(reap_all(3000) >= 1, "real v1: the bomb and its children reaped");
        bomb = -1;

cleanup:
        if (a > 0) {
                kill(a, SIGKILL);
                waitpid(a, NULL, 0);
        }
        if (bomb > 0)
                cgroup_kill_all(cg, 2000000, NULL);
        reap_all(2000);
        e = berth_error_free(e);
        is_int(cgroup_destroy(cg, &e), 0, "real v1: destroy");
        if (e)
                printf("# %s\n", e->message);
        all = true;
        for (size_t i = 0; i < l->n_v1; i++)
                all = all && !exists(P("%s/%s", l->v1[i].mountpoint, rel));
        ok(all, "real v1: the cgroup is gone from every hierarchy");
        is_int(cgroup_destroy(top, &e), 0, "real v1: destroy the test's parent");
        ok(gone_everywhere(l, toprel), "real v1: no directory left in any hierarchy");
}

/* v2 on the cgroup2 mount of this host, below a directory of our own that stands in for the
 * root: on a hybrid host that is the only way to exercise cgroup.freeze and cgroup.kill. */
static void test_real_v2(void)
{
        _cleanup_(cgroup_layout_freep) CgroupLayout *host = NULL;
        if (cgroup_layout_detect(&host) < 0 || !host->unified_mount) {
                skip("real v2: no cgroup2 mount");
                return;
        }

        LOCAL(subroot, "%s/berth-unit-v2-%d", host->unified_mount, (int)getpid());
        if (mkdir(subroot, 0755) < 0) {
                skip("real v2: cannot mkdir %s: %m", subroot);
                return;
        }
        if (!exists(P("%s/cgroup.freeze", subroot))) {
                rmdir(subroot);
                {
                        skip("real v2: kernel without cgroup.freeze");
                        return;
                }
        }

        CgroupLayout lv = {.unified = true, .unified_mount = (char *)subroot};
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        pid_t a = -1;
        is_int(cgroup_new(&lv, "c1/c2", &cg), 0, "real v2: new");
        is_int(cgroup_create(cg, &e), 0, "real v2: create");
        if (e) {
                printf("# %s\n", e->message);
                goto cleanup;
        }
        a = fork_sleeper();
        is_int(cgroup_attach(cg, a, &e), 0, "real v2: attach");
        const char *rel = P("0::/berth-unit-v2-%d/c1/c2\n", (int)getpid());
        ok(in_proc_cgroup(a, rel), "real v2: /proc/PID/cgroup shows the child in the cgroup");
        /* Our sub-root stands in for the root: attach_root never touches a cgroup not ours. */
        is_int(cgroup_attach_root(&lv, a), 0, "real v2: attach_root");
        ok(in_proc_cgroup(a, P("0::/berth-unit-v2-%d\n", (int)getpid())),
           "real v2: the child is in the root again");
        is_int(cgroup_attach(cg, a, &e), 0, "real v2: attach again");

        bool b = false;
        uint64_t t0 = now_usec();
        is_int(cgroup_freeze(cg, 5000000, &e), 0, "real v2: freeze");
        uint64_t took = now_usec() - t0;
        ok(took < 100000, "real v2: freeze within 100 ms (%" PRIu64 " us)", took);
        is_int(cgroup_is_frozen(cg, &b), 0, "real v2: is_frozen");
        ok(b, "real v2: frozen");
        is_int(cgroup_thaw(cg, &e), 0, "real v2: thaw");
        usleep(10000);
        cgroup_is_frozen(cg, &b);
        ok(!b, "real v2: thawed");

        CgroupStats st;
        is_int(cgroup_get_stats(cg, &st), 0, "real v2: stats");
        ok(st.cpu_usec != UINT64_MAX, "real v2: cpu.stat read");
        is_int(cgroup_is_empty(cg, &b), 0, "real v2: is_empty");
        ok(!b, "real v2: populated");

        if (exists(P("%s/c1/c2/cgroup.kill", subroot))) {
                t0 = now_usec();
                is_int(cgroup_kill_all(cg, 5000000, &e), 0, "real v2: kill_all via cgroup.kill");
                printf("# kill_all took %" PRIu64 " us\n", now_usec() - t0);
        } else
                is_int(cgroup_kill_all(cg, 5000000, &e), 0, "real v2: kill_all by signals");
        if (e)
                printf("# %s\n", e->message);
        is_int(reap(a, 2000), SIGKILL, "real v2: the child was killed");
        a = -1;
        cgroup_is_empty(cg, &b);
        ok(b, "real v2: empty");

cleanup:
        if (a > 0) {
                kill(a, SIGKILL);
                waitpid(a, NULL, 0);
        }
        e = berth_error_free(e);
        {
                _cleanup_(cgroup_freep) Cgroup *c1 = NULL;
                cgroup_new(&lv, "c1", &c1);
                is_int(cgroup_destroy(c1, &e), 0, "real v2: destroy (with its child)");
                if (e)
                        printf("# %s\n", e->message);
        }
        ok(rmdir(subroot) == 0, "real v2: nothing left below our sub-root");
}

/* Delegation on a fake tree: directory and files change owner in every hierarchy. Needs root
 * (chown to another uid); counted as skipped otherwise. */
/* ---- live changes of limits (berth set) -------------------------------------------------------- */

static void test_fake_change_v1(const char *tmp)
{
        LOCAL(root, "%s/chg1", tmp);
        mkdir(root, 0755);
        _cleanup_(cgroup_layout_freep) CgroupLayout *l = fake_v1_layout(root, NULL, false);
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        const char *h = root;

        put(P("%s/cpuset/cpuset.cpus", h), "0\n");
        put(P("%s/cpuset/cpuset.mems", h), "0\n");
        cgroup_new(l, "berth/web1", &cg);
        is_int(cgroup_create(cg, &e), 0, "change v1: create");
        LOCAL(mem, "%s/memory/berth/web1", h);
        LOCAL(cpu, "%s/cpu/berth/web1", h);
        LOCAL(pids, "%s/pids/berth/web1", h);
        LOCAL(blk, "%s/blkio/berth/web1", h);
        put(P("%s/memory.limit_in_bytes", mem), "536870912");
        put(P("%s/memory.memsw.limit_in_bytes", mem), "9223372036854771712");
        put(P("%s/cpu.cfs_period_us", cpu), "100000");
        put(P("%s/cpu.cfs_quota_us", cpu), "-1");
        put(P("%s/cpu.shares", cpu), "1024");
        put(P("%s/pids.max", pids), "100");
        put(P("%s/blkio.weight", blk), "500");

        /* Plain files are not truncated by a write, as cgroup files need not be: empty them
         * before each change, so each check reads what that change wrote. */
#define BLANK_V1()                                                                                 \
        do {                                                                                       \
                put(P("%s/memory.limit_in_bytes", mem), "");                                       \
                put(P("%s/cpu.cfs_quota_us", cpu), "");                                            \
                put(P("%s/cpu.shares", cpu), "");                                                  \
                put(P("%s/pids.max", pids), "");                                                   \
                if (exists(P("%s/blkio.weight", blk)))                                             \
                        put(P("%s/blkio.weight", blk), "");                                        \
        } while (0)
        BerthLimits from = {.memory = 512ULL << 20, .pids = 100};
        BerthLimits to = from;
        to.memory = 1ULL << 30;
        BLANK_V1();
        to.cpus_milli = 2000;
        is_int(cgroup_change_limits(cg, &from, &to, &e), 0, "change v1: memory and cpus");
        is_str(get(P("%s/memory.limit_in_bytes", mem)), "1073741824", "change v1: memory raised");
        is_str(get(P("%s/cpu.cfs_quota_us", cpu)), "200000", "change v1: quota for 2 cpus");
        is_str(get(P("%s/pids.max", pids)), "", "change v1: pids untouched (unchanged)");
        is_str(get(P("%s/memory.memsw.limit_in_bytes", mem)), "9223372036854771712",
               "change v1: memsw untouched while swap was never limited");

        /* Unset limits are lifted to the kernel's "no limit" and default weights. */
        from = to;
        to = (BerthLimits){.cpu_weight = 50, .io_weight = 10};
        BLANK_V1();
        is_int(cgroup_change_limits(cg, &from, &to, &e), 0, "change v1: lift and weigh");
        is_str(get(P("%s/memory.limit_in_bytes", mem)), "-1", "change v1: memory lifted");
        is_str(get(P("%s/cpu.cfs_quota_us", cpu)), "-1", "change v1: quota lifted");
        is_str(get(P("%s/pids.max", pids)), "max", "change v1: pids lifted");
        is_str(get(P("%s/cpu.shares", cpu)), "512", "change v1: shares for weight 50");
        is_str(get(P("%s/blkio.weight", blk)), "50", "change v1: blkio.weight for 10");
        from = to;
        to = (BerthLimits){};
        BLANK_V1();
        is_int(cgroup_change_limits(cg, &from, &to, &e), 0, "change v1: weights unset");
        is_str(get(P("%s/cpu.shares", cpu)), "1024", "change v1: default shares");
        is_str(get(P("%s/blkio.weight", blk)), "500", "change v1: default blkio.weight");

        /* swap: memsw must stay >= memory at every step, so the order of the writes follows
         * the direction of the change. The fake tree records the order by the files' content
         * only, so check the result and that a limited memsw is lifted when swap goes. */
        from = to;
        to = (BerthLimits){.memory = 64ULL << 20, .swap = 64ULL << 20};
        put(P("%s/memory.memsw.limit_in_bytes", mem), "");
        BLANK_V1();
        is_int(cgroup_change_limits(cg, &from, &to, &e), 0, "change v1: memory with swap");
        is_str(get(P("%s/memory.memsw.limit_in_bytes", mem)), "134217728",
               "change v1: memsw = memory + swap");
        from = to;
        to = (BerthLimits){.memory = 64ULL << 20};
        put(P("%s/memory.memsw.limit_in_bytes", mem), "");
        BLANK_V1();
        is_int(cgroup_change_limits(cg, &from, &to, &e), 0, "change v1: swap unset");
        is_str(get(P("%s/memory.memsw.limit_in_bytes", mem)), "-1", "change v1: memsw lifted");
        is_str(get(P("%s/memory.limit_in_bytes", mem)), "67108864", "change v1: memory kept");

        /* A limit the host cannot apply is refused before anything is written. */
        unlink(P("%s/blkio.weight", blk));
        BLANK_V1();
        from = to;
        to.pids = 5;
        to.io_weight = 100;
        is_int(cgroup_change_limits(cg, &from, &to, &e), -ENOENT, "change v1: no io weight");
        like(msg(e), "change limits of cgroup 'berth/web1': set 'limits.io_weight'",
             "change v1: the error names the key");
        e = berth_error_free(e);
        is_str(get(P("%s/pids.max", pids)), "", "change v1: nothing written on refusal");
        unlink(P("%s/memory.memsw.limit_in_bytes", mem));
        to = from;
        to.swap = 1 << 20;
        is_int(cgroup_change_limits(cg, &from, &to, &e), -ENOENT, "change v1: no memsw");
        like(msg(e), "set 'limits.swap': no memory.memsw.limit_in_bytes on this host",
             "change v1: swap refused by name");
        e = berth_error_free(e);
        is_str(get(P("%s/memory.limit_in_bytes", mem)), "",
               "change v1: memory untouched when swap is refused");
#undef BLANK_V1
        unlink_files(mem);
        unlink_files(P("%s/cpuset/berth/web1", h));
        unlink_files(cpu);
        unlink_files(pids);
        unlink_files(blk);
        is_int(cgroup_destroy(cg, &e), 0, "change v1: destroy");
}

static void test_fake_change_v2(const char *tmp)
{
        LOCAL(root, "%s/chg2", tmp);
        mkdir(root, 0755);
        CgroupLayout lv = {.unified = true, .unified_mount = (char *)root};
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        const char *h = root;

        put(P("%s/cgroup.controllers", h), "cpu io memory pids\n");
        put(P("%s/cgroup.subtree_control", h), "");
        cgroup_new(&lv, "web1", &cg);
        is_int(cgroup_create(cg, &e), 0, "change v2: create");
        LOCAL(dir, "%s/web1", h);
        static const char *const files[] = {"memory.max", "memory.swap.max", "cpu.max",
                                            "cpu.weight", "pids.max",        "io.weight"};
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                put(P("%s/%s", dir, files[i]), "");
#define BLANK_V2()                                                                                 \
        do {                                                                                       \
                for (size_t i = 0; i < ELEMENTSOF(files); i++)                                     \
                        if (exists(P("%s/%s", dir, files[i])))                                     \
                                put(P("%s/%s", dir, files[i]), "");                                \
        } while (0)

        BerthLimits from = {.memory = 512ULL << 20, .pids = 100};
        BerthLimits to = {.memory = 32ULL << 20, .pids = 100, .cpus_milli = 500, .swap = 1 << 20};
        is_int(cgroup_change_limits(cg, &from, &to, &e), 0, "change v2: lower memory, add cpus");
        is_str(get(P("%s/memory.max", dir)), "33554432", "change v2: memory.max");
        is_str(get(P("%s/memory.swap.max", dir)), "1048576", "change v2: memory.swap.max");
        is_str(get(P("%s/cpu.max", dir)), "50000 100000", "change v2: cpu.max");
        is_str(get(P("%s/pids.max", dir)), "", "change v2: unchanged pids not written");
        is_str(get(P("%s/cpu.weight", dir)), "", "change v2: unchanged weight not written");

        from = to;
        to = (BerthLimits){.cpu_weight = 300, .io_weight = 300};
        BLANK_V2();
        is_int(cgroup_change_limits(cg, &from, &to, &e), 0, "change v2: lift everything");
        is_str(get(P("%s/memory.max", dir)), "max", "change v2: memory.max lifted");
        is_str(get(P("%s/memory.swap.max", dir)), "max", "change v2: memory.swap.max lifted");
        is_str(get(P("%s/cpu.max", dir)), "max 100000", "change v2: cpu.max lifted");
        is_str(get(P("%s/pids.max", dir)), "max", "change v2: pids.max lifted");
        is_str(get(P("%s/cpu.weight", dir)), "300", "change v2: cpu.weight");
        is_str(get(P("%s/io.weight", dir)), "default 300", "change v2: io.weight");
        from = to;
        to = (BerthLimits){};
        BLANK_V2();
        is_int(cgroup_change_limits(cg, &from, &to, &e), 0, "change v2: weights unset");
        is_str(get(P("%s/cpu.weight", dir)), "100", "change v2: default cpu.weight");
        is_str(get(P("%s/io.weight", dir)), "default 100", "change v2: default io.weight");

        unlink(P("%s/pids.max", dir));
        BLANK_V2();
        to = (BerthLimits){.memory = 1ULL << 30, .pids = 7};
        is_int(cgroup_change_limits(cg, &from, &to, &e), -ENOENT, "change v2: no pids.max");
        like(msg(e), "set 'limits.pids': no pids.max on this host", "change v2: key named");
        e = berth_error_free(e);
        is_str(get(P("%s/memory.max", dir)), "", "change v2: nothing written on refusal");
#undef BLANK_V2
        is_int(cgroup_change_limits(NULL, &from, &to, &e), -EINVAL, "change: NULL cgroup");
        e = berth_error_free(e);
        unlink_files(dir);
        is_int(cgroup_destroy(cg, &e), 0, "change v2: destroy");
}

static void test_fake_chown(const char *tmp)
{
        if (geteuid() != 0) {
                skip("chown: needs root");
                return;
        }
        LOCAL(root, "%s/chown", tmp);
        mkdir(root, 0755);
        _cleanup_(cgroup_layout_freep) CgroupLayout *l = fake_v1_layout(root, NULL, true);
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        is_int(cgroup_new(l, "berth/d/ns", &cg), 0, "chown: new");
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++) {
                LOCAL(dir, "%s/%s/berth/d/ns", root, fake_v1[i][0]);
                (void)mkdir_p_at(AT_FDCWD, dir, 0755);
                LOCAL(file, "%s/cgroup.procs", dir);
                put(file, "");
        }
        (void)mkdir_p_at(AT_FDCWD, P("%s/unified/berth/d/ns", root), 0755);
        is_int(cgroup_chown(cg, 100000, 100001, &e), 0, "chown: delegate");
        bool all = true;
        for (size_t i = 0; i < ELEMENTSOF(fake_v1); i++) {
                struct stat d, f;
                LOCAL(dir, "%s/%s/berth/d/ns", root, fake_v1[i][0]);
                LOCAL(file, "%s/cgroup.procs", dir);
                all = all && stat(dir, &d) == 0 && stat(file, &f) == 0 && d.st_uid == 100000 &&
                      d.st_gid == 100001 && f.st_uid == 100000 && f.st_gid == 100001;
        }
        ok(all, "chown: directory and files owned by the container's root in every hierarchy");
        struct stat parent;
        ok(stat(P("%s/memory/berth/d", root), &parent) == 0 && parent.st_uid == 0,
           "chown: the parent (with the limits) stays root's");
        _cleanup_(cgroup_freep) Cgroup *missing = NULL;
        is_int(cgroup_new(l, "berth/none", &missing), 0, "chown: new (missing)");
        ok(cgroup_chown(missing, 1, 1, &e) < 0 && e && strstr(e->message, "delegate cgroup"),
           "chown: a missing cgroup is an error naming it");
}

int main(void)
{
        test_mountinfo();
        test_new();

        char tmpl[] = "/tmp/test-cgroup-XXXXXX";
        if (!mkdtemp(tmpl)) {
                printf("Bail out! mkdtemp: %m\n");
                return 1;
        }
        test_fake_v1(tmpl);
        test_fake_v2(tmpl);
        test_fake_chown(tmpl);
        test_fake_change_v1(tmpl);
        test_fake_change_v2(tmpl);
        rm_rf_at(AT_FDCWD, tmpl);

        if (geteuid() != 0)
                skip("real kernel: needs root");
        else {
                /* Orphans of the fork bomb come back to us to be reaped. */
                (void)prctl(PR_SET_CHILD_SUBREAPER, 1);
                test_real_v1();
                test_real_v2();
        }
        return tap_done();
}
