/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth doctor: what berth needs of the host, each check with the package, kernel option or
 * command that fixes it. The facts come from files under roots the caller gives (so a test can
 * fake a kernel without user namespaces), and from live probes of the running kernel; the
 * verdicts are a pure function of the facts. */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "context.h"
#include "doctor.h"
#include "idalloc.h"
#include "fileio.h"
#include "parse.h"
#include "path-util.h"
#include "strv.h"

#define DOCTOR_FILE_MAX (4U << 20)

const char *const doctor_ns_names[DOCTOR_N_NS] = {"user", "pid", "net", "ipc",
                                                  "uts",  "mnt", "cgroup", "time"};

static const char *const verdict_table[_BERTH_DOCTOR_VERDICT_MAX] = {
        [BERTH_DOCTOR_OK] = "ok",
        [BERTH_DOCTOR_WARN] = "warn",
        [BERTH_DOCTOR_FAIL] = "fail",
        [BERTH_DOCTOR_UNKNOWN] = "unknown",
};
DEFINE_STRING_TABLE_LOOKUP(berth_doctor_verdict, BerthDoctorVerdict, verdict_table)

/* The host tools, and what needs them. */
typedef struct DoctorTool {
        const char *name;
        const char *package;
        const char *needed_by;
} DoctorTool;

static const DoctorTool doctor_tools[] = {
        {"busybox", "busybox-static", "the busybox template"},
        {"debootstrap", "debootstrap", "the debian and ubuntu templates"},
        {"chroot", "coreutils", "the debian and ubuntu templates"},
        {"tar", "tar", "the download template"},
        {"sha256sum", "coreutils", "the download template"},
        {"curl", "curl", "the download template's http(s) URLs"},
        {"dnsmasq", "dnsmasq-base", "the managed bridge, berth network up"},
        {"nft", "nftables", "the managed bridge, berth network up"},
};
_Static_assert(ELEMENTSOF(doctor_tools) <= ELEMENTSOF(((DoctorFacts *)0)->tools),
               "room for every tool");

void doctor_facts_done(DoctorFacts *f)
{
        free(f->kernel);
        free(f->seccomp_actions);
        cgroup_layout_free(f->layout);
        for (size_t i = 0; i < f->n_controllers; i++)
                free(f->controllers[i].name);
        free(f->controllers);
        strv_free(f->v2_controllers);
        strv_free(f->filesystems);
        free(f->subuids);
        free(f->subgids);
        for (size_t i = 0; i < ELEMENTSOF(f->tools); i++)
                free(f->tools[i]);
        free(f->store);
        free(f->store_existing);
        free(f->idmap_detail);
        free(f->cgroup_detail);
        *f = (DoctorFacts){};
}

void berth_doctor_checks_free(BerthDoctorCheck *c, size_t n)
{
        for (size_t i = 0; c && i < n; i++) {
                free(c[i].id);
                free(c[i].title);
                free(c[i].detail);
                free(c[i].fix);
        }
        free(c);
}

/* ---- reading the files ------------------------------------------------------------------------ */

static char *read_text(const char *root, const char *rel)
{
        _cleanup_free_ char *p = path_join(root, rel);
        char *text = NULL;
        if (read_full_file_at(AT_FDCWD, p, DOCTOR_FILE_MAX, &text, NULL) < 0)
                return NULL;
        return text;
}

static char **words(const char *text)
{
        char **l = NULL;
        for (const char *p = text; p && *p;) {
                p += strspn(p, " \t\n");
                size_t n = strcspn(p, " \t\n");
                if (n > 0)
                        strv_push(&l, xstrndup(p, n));
                p += n;
        }
        return l;
}

/* "#subsys_name hierarchy num_cgroups enabled" lines. */
static void parse_proc_cgroups(const char *text, DoctorFacts *f)
{
        for (const char *line = text; line && *line;) {
                const char *end = strchrnul(line, '\n');
                _cleanup_free_ char *l = xstrndup(line, end - line);
                line = *end ? end + 1 : end;
                char name[64];
                unsigned hier, n, enabled;
                if (l[0] == '#' || sscanf(l, "%63s %u %u %u", name, &hier, &n, &enabled) != 4)
                        continue;
                f->controllers = xreallocarray(f->controllers, f->n_controllers + 1,
                                               sizeof(DoctorController));
                f->controllers[f->n_controllers++] = (DoctorController){
                        .name = xstrdup(name), .enabled = enabled != 0, .v1 = hier != 0};
        }
}

/* A mount point from mountinfo ("/sys/fs/cgroup/memory") under the sys root the caller gave. */
static char *under_sys(const char *sys, const char *mountpoint)
{
        if (strncmp(mountpoint, "/sys/", 5) == 0)
                return path_join(sys, mountpoint + 5);
        return xstrdup(mountpoint);
}

/* Whether a direct child directory of dir has file (the root cgroup lacks per-cgroup files). */
static Tristate child_has(const char *dir, const char *file)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d)
                return -1;
        Tristate seen = -1;
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                        continue;
                _cleanup_free_ char *p = xasprintf("%s/%s/%s", dir, de->d_name, file);
                if (access(p, F_OK) >= 0)
                        return 1;
                seen = 0;
        }
        return seen;
}

static void gather_cgroups(const DoctorRoots *roots, DoctorFacts *f)
{
        _cleanup_free_ char *cg = read_text(roots->proc, "cgroups");
        parse_proc_cgroups(cg, f);
        _cleanup_free_ char *mi = read_text(roots->proc, "self/mountinfo");
        if (!mi || cgroup_layout_from_mountinfo(mi, &f->layout) < 0)
                f->layout = NULL;
        f->v2_freeze = -1;
        f->memsw = -1;
        if (!f->layout)
                return;
        if (f->layout->unified_mount) {
                _cleanup_free_ char *root = under_sys(roots->sys, f->layout->unified_mount);
                _cleanup_free_ char *text = read_text(root, "cgroup.controllers");
                f->v2_controllers = words(text);
                f->v2_freeze = child_has(root, "cgroup.freeze");
        }
        for (size_t i = 0; i < f->layout->n_v1; i++)
                if (strv_contains(f->layout->v1[i].controllers, "memory")) {
                        _cleanup_free_ char *root = under_sys(roots->sys,
                                                              f->layout->v1[i].mountpoint);
                        _cleanup_free_ char *p = path_join(root, "memory.memsw.limit_in_bytes");
                        f->memsw = access(p, F_OK) >= 0;
                }
}

static void gather_subids(const char *path, IdRange **ret, size_t *ret_n, bool *ret_file)
{
        _cleanup_free_ char *text = NULL;
        *ret_file = read_full_file_at(AT_FDCWD, path, DOCTOR_FILE_MAX, &text, NULL) >= 0;
        (void)subid_parse(text ?: "", "root", 0, ret, ret_n);
}

/* Whether an ELF file asks for a program interpreter (is dynamically linked). -1: not ELF. */
static Tristate elf_is_static(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        unsigned char ident[EI_NIDENT];
        if (fd < 0 || pread(fd, ident, sizeof(ident), 0) != sizeof(ident) ||
            memcmp(ident, ELFMAG, SELFMAG) != 0)
                return -1;
        bool is64 = ident[EI_CLASS] == ELFCLASS64;
        uint64_t phoff;
        unsigned phnum, phentsize;
        if (is64) {
                Elf64_Ehdr eh;
                if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
                        return -1;
                phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
        } else {
                Elf32_Ehdr eh;
                if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
                        return -1;
                phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
        }
        for (unsigned i = 0; i < phnum && i < 256; i++) {
                uint32_t type;
                if (pread(fd, &type, sizeof(type), (off_t)(phoff + (uint64_t)i * phentsize)) !=
                    sizeof(type))
                        return -1;
                if (type == PT_INTERP)
                        return 0;
        }
        return 1;
}

static void gather_tools(const char *root, DoctorFacts *f)
{
        static const char *const dirs[] = {"usr/sbin", "usr/bin", "sbin", "bin"};
        for (size_t t = 0; t < ELEMENTSOF(doctor_tools); t++) {
                /* The busybox template copies the host's /bin/busybox, and no other, into a tree
                 * without libraries: it must be that one, and static. */
                if (streq(doctor_tools[t].name, "busybox")) {
                        _cleanup_free_ char *bb = path_join(root, "bin/busybox");
                        if (access(bb, X_OK) >= 0) {
                                f->busybox_static = elf_is_static(bb);
                                f->tools[t] = TAKE_PTR(bb);
                        }
                        continue;
                }
                for (size_t d = 0; d < ELEMENTSOF(dirs) && !f->tools[t]; d++) {
                        _cleanup_free_ char *dir = path_join(root, dirs[d]);
                        _cleanup_free_ char *p = path_join(dir, doctor_tools[t].name);
                        if (access(p, X_OK) >= 0)
                                f->tools[t] = TAKE_PTR(p);
                }
        }
}

int doctor_gather(const DoctorRoots *roots, DoctorFacts *ret)
{
        DoctorFacts f = {.max_user_namespaces = -1, .openat2 = -1, .clone3 = -1, .pidfd = -1,
                         .idmap_store = -1, .cgroup_create = -1, .bpf_devices = -1,
                         .busybox_static = -1};

        f.kernel = read_text(roots->proc, "sys/kernel/osrelease");
        if (f.kernel)
                f.kernel[strcspn(f.kernel, "\n")] = 0;
        for (size_t i = 0; i < DOCTOR_N_NS; i++) {
                _cleanup_free_ char *p = xasprintf("%s/self/ns/%s", roots->proc, doctor_ns_names[i]);
                f.ns[i] = access(p, F_OK) >= 0 || faccessat(AT_FDCWD, p, F_OK, AT_SYMLINK_NOFOLLOW) >= 0;
        }
        _cleanup_free_ char *max = read_text(roots->proc, "sys/user/max_user_namespaces");
        int64_t v;
        if (max && (max[strcspn(max, "\n")] = 0, parse_int64(max, &v) >= 0))
                f.max_user_namespaces = v;
        f.seccomp_actions = read_text(roots->proc, "sys/kernel/seccomp/actions_avail");
        gather_cgroups(roots, &f);
        _cleanup_free_ char *fs = read_text(roots->proc, "filesystems");
        f.filesystems = words(fs); /* "nodev" words do no harm */
        gather_subids(roots->subuid, &f.subuids, &f.n_subuids, &f.subuid_file);
        gather_subids(roots->subgid, &f.subgids, &f.n_subgids, &f.subgid_file);
        gather_tools(roots->root, &f);

        f.store = xstrdup(roots->store);
        /* The store may not exist yet: its file system is that of its nearest parent. */
        _cleanup_free_ char *p = xstrdup(roots->store);
        while (access(p, F_OK) < 0 && !streq(p, "/")) {
                char *slash = strrchr(p, '/');
                if (slash == p)
                        slash[1] = 0;
                else
                        *slash = 0;
        }
        f.store_existing = TAKE_PTR(p);
        *ret = f;
        return 0;
}

/* ---- judging ------------------------------------------------------------------------------------ */

typedef struct Report {
        BerthDoctorCheck *c;
        size_t n;
} Report;

_printf_(5, 6) static void add(Report *r, const char *id, const char *title,
                               BerthDoctorVerdict v, const char *detail_fmt, ...)
{
        r->c = xreallocarray(r->c, r->n + 1, sizeof(BerthDoctorCheck));
        BerthDoctorCheck *c = &r->c[r->n++];
        *c = (BerthDoctorCheck){.id = xstrdup(id), .title = xstrdup(title), .verdict = v};
        va_list ap;
        va_start(ap, detail_fmt);
        if (vasprintf(&c->detail, detail_fmt, ap) < 0)
                oom();
        va_end(ap);
}

/* The fix of the check added last. */
_printf_(2, 3) static void fix(Report *r, const char *fmt, ...)
{
        BerthDoctorCheck *c = &r->c[r->n - 1];
        va_list ap;
        va_start(ap, fmt);
        free(c->fix);
        if (vasprintf(&c->fix, fmt, ap) < 0)
                oom();
        va_end(ap);
}

static const char *const ns_options[DOCTOR_N_NS] = {
        "CONFIG_USER_NS", "CONFIG_PID_NS", "CONFIG_NET_NS", "CONFIG_IPC_NS",
        "CONFIG_UTS_NS",  "CONFIG_NAMESPACES", "CONFIG_CGROUPS", "CONFIG_TIME_NS",
};

static void judge_kernel(const DoctorFacts *f, Report *r)
{
        add(r, "kernel", "kernel", f->kernel ? BERTH_DOCTOR_OK : BERTH_DOCTOR_UNKNOWN, "%s",
            f->kernel ?: "osrelease not readable");
        for (size_t i = 0; i < DOCTOR_N_NS; i++) {
                _cleanup_free_ char *id = xasprintf("ns.%s", doctor_ns_names[i]);
                _cleanup_free_ char *title = xasprintf("%s namespaces", doctor_ns_names[i]);
                add(r, id, title, f->ns[i] ? BERTH_DOCTOR_OK : BERTH_DOCTOR_FAIL,
                    f->ns[i] ? "available" : "not in this kernel");
                if (!f->ns[i])
                        fix(r, "a kernel built with %s%s", ns_options[i],
                            streq(doctor_ns_names[i], "time") ? " (Linux 5.6 or later)" : "");
        }
        if (f->max_user_namespaces < 0)
                add(r, "userns.allowed", "user namespaces allowed", BERTH_DOCTOR_UNKNOWN,
                    "user.max_user_namespaces not readable");
        else if (f->max_user_namespaces == 0) {
                add(r, "userns.allowed", "user namespaces allowed", BERTH_DOCTOR_FAIL,
                    "user.max_user_namespaces is 0: no user namespace can be created");
                fix(r, "sysctl -w user.max_user_namespaces=15000 (and the same in "
                       "/etc/sysctl.d/ to keep it)");
        } else
                add(r, "userns.allowed", "user namespaces allowed", BERTH_DOCTOR_OK,
                    "user.max_user_namespaces = %" PRId64, f->max_user_namespaces);

        static const struct {
                const char *id, *title, *version;
        } calls[] = {
                {"syscall.openat2", "openat2 (paths resolved inside a rootfs)", "5.6"},
                {"syscall.clone3", "clone3 (init started with a pidfd)", "5.3"},
                {"syscall.pidfd", "pidfd_open (init watched without races)", "5.3"},
        };
        const Tristate have[] = {f->openat2, f->clone3, f->pidfd};
        for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                BerthDoctorVerdict v = have[i] > 0    ? BERTH_DOCTOR_OK
                                       : have[i] == 0 ? BERTH_DOCTOR_FAIL
                                                      : BERTH_DOCTOR_UNKNOWN;
                add(r, calls[i].id, calls[i].title, v, "%s",
                    have[i] > 0 ? "available" : have[i] == 0 ? "ENOSYS" : "not probed");
                if (have[i] == 0)
                        fix(r, "Linux %s or later", calls[i].version);
        }

        bool filter = f->seccomp_actions && strstr(f->seccomp_actions, "errno") &&
                      strstr(f->seccomp_actions, "kill_process");
        add(r, "seccomp", "seccomp filters", filter ? BERTH_DOCTOR_OK : BERTH_DOCTOR_FAIL,
            filter ? "actions: %s" : "%s",
            f->seccomp_actions ? f->seccomp_actions : "no seccomp filter support");
        if (filter)
                r->c[r->n - 1].detail[strcspn(r->c[r->n - 1].detail, "\n")] = 0;
        else
                fix(r, "a kernel built with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER");
}

static const DoctorController *controller(const DoctorFacts *f, const char *name)
{
        for (size_t i = 0; i < f->n_controllers; i++)
                if (streq(f->controllers[i].name, name))
                        return &f->controllers[i];
        return NULL;
}

static bool v1_has(const DoctorFacts *f, const char *name)
{
        for (size_t i = 0; f->layout && i < f->layout->n_v1; i++)
                if (strv_contains(f->layout->v1[i].controllers, name))
                        return true;
        return false;
}

/* One controller: where berth will find it, or why not and what to do. */
static void judge_controller(const DoctorFacts *f, Report *r, const char *name,
                             const char *v2_name, const char *option, const char *use,
                             BerthDoctorVerdict missing)
{
        _cleanup_free_ char *id = xasprintf("cgroup.%s", name);
        _cleanup_free_ char *title = xasprintf("%s controller (%s)", name, use);
        if (v1_has(f, name)) {
                add(r, id, title, BERTH_DOCTOR_OK, "cgroup v1 hierarchy");
                return;
        }
        if (v2_name && f->layout && f->layout->unified && strv_contains(f->v2_controllers, v2_name)) {
                add(r, id, title, BERTH_DOCTOR_OK, "cgroup v2");
                return;
        }
        const DoctorController *c = controller(f, name);
        if (!c && v2_name)
                c = controller(f, v2_name);
        bool unified = f->layout && f->layout->unified;
        if (!c) {
                add(r, id, title, missing, "not in this kernel");
                fix(r, "a kernel built with %s", option);
        } else if (!c->enabled) {
                add(r, id, title, missing, "disabled on the kernel command line");
                fix(r, "boot without cgroup_disable=%s", c->name);
        } else if (unified && c->v1) {
                add(r, id, title, missing, "bound to a v1 hierarchy, not available in cgroup v2");
                fix(r, "unmount its v1 hierarchy, or boot with cgroup_no_v1=%s", c->name);
        } else if (unified) {
                add(r, id, title, missing, "not offered by the cgroup v2 root");
                fix(r, "a kernel built with %s", option);
        } else {
                add(r, id, title, missing, "in the kernel, but no v1 hierarchy is mounted");
                fix(r, "mount -t cgroup -o %s cgroup /sys/fs/cgroup/%s (or install cgroupfs-mount)",
                    c->name, c->name);
        }
}

static void judge_cgroups(const DoctorFacts *f, Report *r)
{
        if (!f->layout) {
                add(r, "cgroup.layout", "cgroup file system", BERTH_DOCTOR_FAIL,
                    "no cgroup or cgroup2 file system is mounted");
                fix(r, "mount -t cgroup2 cgroup2 /sys/fs/cgroup (systemd does it at boot)");
                return;
        }
        add(r, "cgroup.layout", "cgroup file system", BERTH_DOCTOR_OK, "%s",
            f->layout->unified        ? "cgroup v2 (unified)"
            : f->layout->unified_mount ? "cgroup v1 and v2 (hybrid)"
                                      : "cgroup v1");

        judge_controller(f, r, "memory", "memory", "CONFIG_MEMCG", "limits.memory",
                         BERTH_DOCTOR_FAIL);
        judge_controller(f, r, "pids", "pids", "CONFIG_CGROUP_PIDS", "limits.pids",
                         BERTH_DOCTOR_FAIL);
        judge_controller(f, r, "cpu", "cpu", "CONFIG_CGROUP_SCHED and CONFIG_CFS_BANDWIDTH",
                         "limits.cpus, limits.cpu_weight", BERTH_DOCTOR_FAIL);
        judge_controller(f, r, "cpuacct", "cpu", "CONFIG_CGROUP_CPUACCT", "CPU usage",
                         BERTH_DOCTOR_WARN);
        judge_controller(f, r, "blkio", "io", "CONFIG_BLK_CGROUP", "limits.io_weight",
                         BERTH_DOCTOR_WARN);
        if (f->layout->unified) {
                BerthDoctorVerdict v = f->v2_freeze > 0    ? BERTH_DOCTOR_OK
                                       : f->v2_freeze == 0 ? BERTH_DOCTOR_FAIL
                                                           : BERTH_DOCTOR_UNKNOWN;
                add(r, "cgroup.freezer", "freezer (berth freeze, snapshots of running containers)",
                    v, "%s",
                    f->v2_freeze > 0    ? "cgroup.freeze"
                    : f->v2_freeze == 0 ? "no cgroup.freeze"
                                        : "no cgroup to look at");
                if (f->v2_freeze == 0)
                        fix(r, "Linux 5.2 or later");
                v = f->bpf_devices > 0    ? BERTH_DOCTOR_OK
                    : f->bpf_devices == 0 ? BERTH_DOCTOR_FAIL
                                          : BERTH_DOCTOR_UNKNOWN;
                add(r, "cgroup.devices", "device access control (BPF)", v, "%s",
                    f->bpf_devices > 0    ? "BPF device programs"
                    : f->bpf_devices == 0 ? "no BPF device programs"
                                          : "not probed");
                if (f->bpf_devices == 0)
                        fix(r, "a kernel built with CONFIG_CGROUP_BPF and CONFIG_BPF_SYSCALL");
        } else {
                judge_controller(f, r, "freezer", NULL, "CONFIG_CGROUP_FREEZER",
                                 "berth freeze, snapshots of running containers",
                                 BERTH_DOCTOR_FAIL);
                judge_controller(f, r, "devices", NULL, "CONFIG_CGROUP_DEVICE",
                                 "device access control", BERTH_DOCTOR_FAIL);
                judge_controller(f, r, "name=systemd", NULL, "CONFIG_CGROUPS",
                                 "systemd guests", BERTH_DOCTOR_WARN);
                BerthDoctorCheck *c = &r->c[r->n - 1];
                if (c->verdict != BERTH_DOCTOR_OK) {
                        free(c->fix);
                        c->fix = xstrdup("mkdir -p /sys/fs/cgroup/systemd && mount -t cgroup -o "
                                         "none,name=systemd cgroup /sys/fs/cgroup/systemd");
                }
                if (f->memsw >= 0) {
                        add(r, "cgroup.swap", "swap accounting (limits.swap)",
                            f->memsw ? BERTH_DOCTOR_OK : BERTH_DOCTOR_WARN, "%s",
                            f->memsw ? "memory.memsw.*" : "no memory.memsw.*");
                        if (!f->memsw)
                                fix(r, "boot with swapaccount=1");
                }
        }

        BerthDoctorVerdict v = f->cgroup_create > 0    ? BERTH_DOCTOR_OK
                               : f->cgroup_create == 0 ? BERTH_DOCTOR_FAIL
                                                       : BERTH_DOCTOR_UNKNOWN;
        add(r, "cgroup.delegation", "cgroups of berth's own, with controllers", v, "%s",
            f->cgroup_detail ?: "not probed");
        if (f->cgroup_create == 0)
                fix(r, "run berth as root with a writable cgroup tree; under systemd, in a unit "
                       "with Delegate=yes");
}

static uint64_t total(const IdRange *r, size_t n)
{
        uint64_t t = 0;
        for (size_t i = 0; i < n; i++)
                t += r[i].count;
        return t;
}

static void judge_ids(const DoctorFacts *f, Report *r)
{
        static const struct {
                const char *id, *file, *flag;
        } files[] = {{"subid.uid", "/etc/subuid", "--add-subuids"},
                     {"subid.gid", "/etc/subgid", "--add-subgids"}};
        for (size_t i = 0; i < 2; i++) {
                uint64_t t = i == 0 ? total(f->subuids, f->n_subuids)
                                    : total(f->subgids, f->n_subgids);
                _cleanup_free_ char *title = xasprintf("root's subordinate ids (%s)", files[i].file);
                if (t >= IDMAP_BLOCK)
                        add(r, files[i].id, title, BERTH_DOCTOR_OK,
                            "%" PRIu64 " ids: %" PRIu64 " containers of 65536", t,
                            t / IDMAP_BLOCK);
                else if (t == 0) {
                        add(r, files[i].id, title, BERTH_DOCTOR_WARN,
                            "none: berth adds root:1000000:1000000000 at the first unprivileged "
                            "create");
                        fix(r, "usermod %s 1000000-1000999999 root, or let berth add it",
                            files[i].flag);
                } else {
                        add(r, files[i].id, title, BERTH_DOCTOR_FAIL,
                            "%" PRIu64 " ids: fewer than one container's 65536", t);
                        fix(r, "usermod %s 1000000-1000999999 root", files[i].flag);
                }
        }

        BerthDoctorVerdict v = f->idmap_store > 0    ? BERTH_DOCTOR_OK
                               : f->idmap_store == 0 ? BERTH_DOCTOR_FAIL
                                                     : BERTH_DOCTOR_UNKNOWN;
        _cleanup_free_ char *title = xasprintf("idmapped mounts on the store (%s)", f->store);
        add(r, "idmap.store", title, v, "%s", f->idmap_detail ?: "not probed");
        if (f->idmap_store == 0)
                fix(r, "Linux 5.12 or later, and the store on a file system that supports "
                       "idmapped mounts (ext4, xfs, btrfs; tmpfs from 6.3): --store or "
                       "BERTH_STORE; or privileged: true containers");
}

static void judge_host(const DoctorFacts *f, Report *r)
{
        bool overlay = strv_contains(f->filesystems, "overlay");
        add(r, "fs.overlay", "overlayfs (the overlay backend)",
            overlay ? BERTH_DOCTOR_OK : BERTH_DOCTOR_WARN, "%s",
            overlay ? "available" : "not in /proc/filesystems");
        if (!overlay)
                fix(r, "modprobe overlay, or a kernel built with CONFIG_OVERLAY_FS");

        for (size_t t = 0; t < ELEMENTSOF(doctor_tools); t++) {
                const DoctorTool *d = &doctor_tools[t];
                _cleanup_free_ char *id = xasprintf("tool.%s", d->name);
                _cleanup_free_ char *title = xasprintf("%s, for %s", d->name, d->needed_by);
                if (!f->tools[t]) {
                        add(r, id, title, BERTH_DOCTOR_WARN, "not found");
                        fix(r, "apt-get install %s", d->package);
                } else if (streq(d->name, "busybox") && f->busybox_static == 0) {
                        add(r, id, title, BERTH_DOCTOR_WARN, "%s is dynamically linked",
                            f->tools[t]);
                        fix(r, "apt-get install busybox-static");
                } else
                        add(r, id, title, BERTH_DOCTOR_OK, "%s", f->tools[t]);
        }
}

void doctor_judge(const DoctorFacts *f, BerthDoctorCheck **ret, size_t *ret_n)
{
        Report r = {};
        judge_kernel(f, &r);
        judge_cgroups(f, &r);
        judge_ids(f, &r);
        judge_host(f, &r);
        *ret = r.c;
        *ret_n = r.n;
}

int berth_doctor(BerthContext *ctx, const BerthDoctorOptions *opts, BerthDoctorCheck **ret,
                 size_t *ret_n, BerthError **reterr)
{
        static const BerthDoctorOptions none = {};
        if (!opts)
                opts = &none;
        DoctorRoots roots = {
                .proc = opts->proc_root ?: "/proc",
                .sys = opts->sys_root ?: "/sys",
                .root = opts->root ?: "/",
                .subuid = ctx->subuid_path,
                .subgid = ctx->subgid_path,
                .store = ctx->store,
        };
        DoctorFacts f;
        int r = doctor_gather(&roots, &f);
        if (r < 0)
                return berth_error_set(reterr, r, "doctor");
        if (!opts->no_probes)
                doctor_probe(ctx, &f);
        doctor_judge(&f, ret, ret_n);
        doctor_facts_done(&f);
        return 0;
}
