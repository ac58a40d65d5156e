/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berth doctor's verdicts over fake /proc, /sys and host trees: a good v2 host, a good v1 host,
 * and one thing broken at a time, each naming its fix. */
#include <elf.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "tap.h"

#include "doctor.h"
#include "fileio.h"
#include "path-util.h"
#include "strv.h"

static char tmp[] = "/tmp/test-doctor-XXXXXX";

static void put(const char *rel, const char *content)
{
        _cleanup_free_ char *p = path_join(tmp, rel);
        _cleanup_free_ char *dir = xstrdup(p);
        *strrchr(dir, '/') = 0;
        if (mkdir_p_at(AT_FDCWD, dir, 0755) < 0 ||
            write_file_atomic_at(AT_FDCWD, p, content, strlen(content), 0755) < 0) {
                printf("Bail out! cannot write %s\n", p);
                exit(1);
        }
}

static void rm(const char *rel)
{
        _cleanup_free_ char *p = path_join(tmp, rel);
        (void)rm_rf_at(AT_FDCWD, p);
}

/* A minimal ELF file: static, or asking for an interpreter. */
static void put_elf(const char *rel, bool dynamic)
{
        char buf[sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 1] = {};
        Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
        memcpy(eh->e_ident, ELFMAG, SELFMAG);
        eh->e_ident[EI_CLASS] = ELFCLASS64;
        eh->e_phoff = sizeof(Elf64_Ehdr);
        eh->e_phentsize = sizeof(Elf64_Phdr);
        eh->e_phnum = 1;
        Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));
        ph->p_type = dynamic ? PT_INTERP : PT_LOAD;
        _cleanup_free_ char *p = path_join(tmp, rel);
        _cleanup_free_ char *dir = xstrdup(p);
        *strrchr(dir, '/') = 0;
        (void)mkdir_p_at(AT_FDCWD, dir, 0755);
        (void)write_file_atomic_at(AT_FDCWD, p, buf, sizeof(buf) - 1, 0755);
}

static const char v2_mountinfo[] =
        "25 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
        "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
static const char v1_mountinfo[] =
        "25 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
        "31 25 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct\n"
        "33 31 0:30 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "34 31 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
        "35 31 0:32 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
        "36 31 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n"
        "37 31 0:34 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n"
        "38 31 0:35 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
static const char cgroups_v1[] = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                                 "cpu\t2\t1\t1\ncpuacct\t2\t1\t1\nmemory\t3\t1\t1\n"
                                 "pids\t4\t1\t1\nfreezer\t5\t1\t1\ndevices\t6\t1\t1\n"
                                 "blkio\t0\t1\t1\n";
static const char cgroups_v2[] = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                                 "cpu\t0\t1\t1\nmemory\t0\t1\t1\npids\t0\t1\t1\nio\t0\t1\t1\n"
                                 "freezer\t0\t1\t1\ndevices\t0\t1\t1\n";

/* A healthy host: every namespace, user namespaces allowed, seccomp, cgroup v2 with every
 * controller, root's ids, the tools. */
static void good_host(bool v2)
{
        rm("proc");
        rm("sys");
        rm("root");
        rm("etc");
        static const char *const ns[] = {"user", "pid", "net", "ipc", "uts", "mnt", "cgroup", "time"};
        for (size_t i = 0; i < ELEMENTSOF(ns); i++) {
                _cleanup_free_ char *rel = xasprintf("proc/self/ns/%s", ns[i]);
                put(rel, "");
        }
        put("proc/sys/kernel/osrelease", "6.1.0-test\n");
        put("proc/sys/user/max_user_namespaces", "63000\n");
        put("proc/sys/kernel/seccomp/actions_avail", "kill_process kill_thread trap errno log allow\n");
        put("proc/filesystems", "nodev\ttmpfs\nnodev\toverlay\n\text4\n");
        /* The fake mountinfo names /sys/...: the checks read those under the fake sys root. */
        if (v2) {
                put("proc/self/mountinfo", v2_mountinfo);
                put("proc/cgroups", cgroups_v2);
                put("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
                put("sys/fs/cgroup/init.scope/cgroup.freeze", "0\n");
        } else {
                put("proc/self/mountinfo", v1_mountinfo);
                put("proc/cgroups", cgroups_v1);
                put("sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", "9223372036854771712\n");
                put("sys/fs/cgroup/unified/cgroup.controllers", "\n");
        }
        put("etc/subuid", "root:1000000:1000000000\n");
        put("etc/subgid", "root:1000000:1000000000\n");
        put_elf("root/bin/busybox", false);
        static const char *const tools[] = {"usr/sbin/debootstrap", "usr/sbin/chroot",
                                            "usr/bin/tar", "usr/bin/sha256sum", "usr/bin/curl",
                                            "usr/sbin/dnsmasq", "usr/sbin/nft"};
        for (size_t i = 0; i < ELEMENTSOF(tools); i++) {
                _cleanup_free_ char *rel = xasprintf("root/%s", tools[i]);
                put(rel, "#!/bin/sh\n");
        }
}

/* Gathers from the fake tree, fills the probes as given, judges. */
static BerthDoctorCheck *judge(Tristate probes, size_t *ret_n)
{
        _cleanup_free_ char *proc = path_join(tmp, "proc"), *sys = path_join(tmp, "sys"),
                            *root = path_join(tmp, "root"), *subuid = path_join(tmp, "etc/subuid"),
                            *subgid = path_join(tmp, "etc/subgid"), *store = path_join(tmp, "store");
        DoctorRoots roots = {.proc = proc, .sys = sys, .root = root, .subuid = subuid,
                             .subgid = subgid, .store = store};
        DoctorFacts f;
        if (doctor_gather(&roots, &f) < 0)
                abort();
        f.openat2 = f.clone3 = f.pidfd = f.idmap_store = f.cgroup_create = f.bpf_devices = probes;
        if (probes >= 0) {
                f.idmap_detail = xstrdup(probes ? "ext4" : "nfs: invalid argument");
                f.cgroup_detail = xstrdup(probes ? "created" : "permission denied");
        }
        BerthDoctorCheck *c = NULL;
        doctor_judge(&f, &c, ret_n);
        doctor_facts_done(&f);
        return c;
}

static const BerthDoctorCheck *find(const BerthDoctorCheck *c, size_t n, const char *id)
{
        for (size_t i = 0; i < n; i++)
                if (streq(c[i].id, id))
                        return &c[i];
        return NULL;
}

/* The check id has verdict v and, when it is not ok, a fix containing fix_part. */
static void expect(Tristate probes, const char *id, BerthDoctorVerdict v, const char *fix_part,
                   const char *what)
{
        size_t n;
        BerthDoctorCheck *c = judge(probes, &n);
        const BerthDoctorCheck *k = find(c, n, id);
        if (!ok(k && k->verdict == v, "%s: %s is %s", what, id, berth_doctor_verdict_to_string(v)))
                printf("#   got %s (%s)\n", k ? berth_doctor_verdict_to_string(k->verdict) : "no check",
                       k ? k->detail : "");
        if (fix_part)
                like(k ? k->fix : NULL, fix_part, "%s: the fix names '%s'", what, fix_part);
        else
                ok(k && !k->fix, "%s: no fix when ok", what);
        berth_doctor_checks_free(c, n);
}

static size_t count(Tristate probes, BerthDoctorVerdict v)
{
        size_t n, k = 0;
        BerthDoctorCheck *c = judge(probes, &n);
        for (size_t i = 0; i < n; i++) {
                if (c[i].verdict == v)
                        printf("#   %s: %s (%s)\n", c[i].id, c[i].detail, c[i].fix ?: "");
                k += c[i].verdict == v;
        }
        berth_doctor_checks_free(c, n);
        return k;
}

int main(void)
{
        if (!mkdtemp(tmp))
                return printf("Bail out! mkdtemp\n"), 1;

        for (int i = -1; i <= _BERTH_DOCTOR_VERDICT_MAX; i++) {
                const char *s = berth_doctor_verdict_to_string(i);
                if (i >= 0 && i < _BERTH_DOCTOR_VERDICT_MAX)
                        ok(s && berth_doctor_verdict_from_string(s) == i, "verdict %d round trip", i);
                else
                        ok(!s, "verdict %d has no name", i);
        }

        good_host(true);
        is_int(count(1, BERTH_DOCTOR_FAIL), 0, "a good v2 host: nothing fails");
        is_int(count(1, BERTH_DOCTOR_WARN), 0, "and nothing warns");
        expect(1, "cgroup.layout", BERTH_DOCTOR_OK, NULL, "v2");
        expect(1, "cgroup.memory", BERTH_DOCTOR_OK, NULL, "v2 memory from cgroup.controllers");
        expect(1, "cgroup.blkio", BERTH_DOCTOR_OK, NULL, "v2 io");
        expect(1, "cgroup.freezer", BERTH_DOCTOR_OK, NULL, "v2 cgroup.freeze in a child");
        is_int(count(-1, BERTH_DOCTOR_UNKNOWN), 6, "without probes: the 6 probed checks unknown");
        is_int(count(-1, BERTH_DOCTOR_FAIL), 0, "and none failed");

        good_host(false);
        is_int(count(1, BERTH_DOCTOR_FAIL), 0, "a good v1 host: nothing fails");
        expect(1, "cgroup.swap", BERTH_DOCTOR_OK, NULL, "v1 swap accounting");
        expect(1, "cgroup.name=systemd", BERTH_DOCTOR_OK, NULL, "v1 name=systemd");

        /* ---- one thing broken at a time ---- */
        rm("proc/self/ns/time");
        expect(1, "ns.time", BERTH_DOCTOR_FAIL, "CONFIG_TIME_NS", "no time namespace");
        rm("proc/self/ns/user");
        expect(1, "ns.user", BERTH_DOCTOR_FAIL, "CONFIG_USER_NS", "no user namespace");
        good_host(false);
        put("proc/sys/user/max_user_namespaces", "0\n");
        expect(1, "userns.allowed", BERTH_DOCTOR_FAIL, "user.max_user_namespaces=", "userns 0");
        rm("proc/sys/kernel/seccomp");
        expect(1, "seccomp", BERTH_DOCTOR_FAIL, "CONFIG_SECCOMP_FILTER", "no seccomp");
        good_host(false);
        put("proc/cgroups", "#subsys\nmemory\t3\t1\t0\ncpu\t2\t1\t1\npids\t4\t1\t1\n"
                            "freezer\t5\t1\t1\ndevices\t6\t1\t1\n");
        put("proc/self/mountinfo", "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
                                   "34 31 0:31 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids\n"
                                   "36 31 0:33 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n");
        expect(1, "cgroup.memory", BERTH_DOCTOR_FAIL, "cgroup_disable=memory", "memory disabled");
        expect(1, "cgroup.freezer", BERTH_DOCTOR_FAIL, "mount -t cgroup -o freezer",
               "freezer not mounted");
        expect(1, "cgroup.blkio", BERTH_DOCTOR_WARN, "CONFIG_BLK_CGROUP", "no blkio: a warning");
        expect(1, "cgroup.name=systemd", BERTH_DOCTOR_WARN, "name=systemd", "no name=systemd");
        expect(1, "cgroup.pids", BERTH_DOCTOR_OK, NULL, "pids still fine");
        good_host(false);
        put("proc/cgroups", "#subsys\ncpu\t2\t1\t1\nmemory\t3\t1\t1\n");
        put("proc/self/mountinfo", "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
        expect(1, "cgroup.pids", BERTH_DOCTOR_FAIL, "CONFIG_CGROUP_PIDS", "no pids controller");
        put("proc/self/mountinfo", "25 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
        expect(1, "cgroup.layout", BERTH_DOCTOR_FAIL, "mount -t cgroup2", "no cgroup fs");
        good_host(false);
        rm("sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
        expect(1, "cgroup.swap", BERTH_DOCTOR_WARN, "swapaccount=1", "no swap accounting");

        good_host(true);
        put("sys/fs/cgroup/cgroup.controllers", "cpu io pids\n");
        put("proc/cgroups", "#subsys\ncpu\t0\t1\t1\nmemory\t7\t1\t1\npids\t0\t1\t1\n");
        expect(1, "cgroup.memory", BERTH_DOCTOR_FAIL, "cgroup_no_v1=memory",
               "v2: memory held by a v1 hierarchy");
        rm("sys/fs/cgroup/init.scope");
        put("sys/fs/cgroup/user.slice/cgroup.procs", "");
        expect(1, "cgroup.freezer", BERTH_DOCTOR_FAIL, "5.2", "v2: no cgroup.freeze");
        expect(0, "cgroup.devices", BERTH_DOCTOR_FAIL, "CONFIG_CGROUP_BPF", "v2: no BPF devices");

        good_host(true);
        expect(0, "syscall.openat2", BERTH_DOCTOR_FAIL, "5.6", "no openat2");
        expect(0, "syscall.clone3", BERTH_DOCTOR_FAIL, "5.3", "no clone3");
        expect(0, "idmap.store", BERTH_DOCTOR_FAIL, "idmapped mounts", "no idmapped mounts");
        expect(0, "cgroup.delegation", BERTH_DOCTOR_FAIL, "Delegate=yes", "no cgroup of our own");

        put("etc/subuid", "root:100000:1000\nuser:0:999999\n");
        expect(1, "subid.uid", BERTH_DOCTOR_FAIL, "--add-subuids", "too few subuids");
        rm("etc/subgid");
        expect(1, "subid.gid", BERTH_DOCTOR_WARN, "--add-subgids", "no subgid file: berth adds it");

        good_host(true);
        rm("root/usr/sbin/debootstrap");
        expect(1, "tool.debootstrap", BERTH_DOCTOR_WARN, "apt-get install debootstrap",
               "no debootstrap");
        put_elf("root/bin/busybox", true);
        expect(1, "tool.busybox", BERTH_DOCTOR_WARN, "busybox-static", "a dynamic busybox");
        rm("root/bin/busybox");
        expect(1, "tool.busybox", BERTH_DOCTOR_WARN, "busybox-static", "no busybox");
        rm("root/usr/sbin/nft");
        expect(1, "tool.nft", BERTH_DOCTOR_WARN, "nftables", "no nft");
        put("proc/filesystems", "nodev\ttmpfs\n\text4\n");
        expect(1, "fs.overlay", BERTH_DOCTOR_WARN, "CONFIG_OVERLAY_FS", "no overlayfs");
        is_int(count(1, BERTH_DOCTOR_FAIL), 0, "missing tools and overlayfs only warn");

        rm_rf_at(AT_FDCWD, tmp);
        return tap_done();
}
