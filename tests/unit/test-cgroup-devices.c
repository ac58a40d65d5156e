/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device access control: the rule list and the BPF program built from it as pure data (the
 * program run by a small interpreter of the instructions it uses, against a reference matcher),
 * then both backends on the real kernel when we are root: the v1 devices controller, and the
 * BPF program on a cgroup of the cgroup2 mount, each with a child that opens and mknods. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "cgroup/cgroup-internal.h"
#include "fileio.h"
#include "path-util.h"
#include "tap.h"

static void skip(const char *fmt, ...) _printf_(1, 2);
static void skip(const char *fmt, ...)
{
        va_list ap;
        printf("ok %d # SKIP ", ++tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
}

/* ---- the list -------------------------------------------------------------------------------- */

static void test_rules(void)
{
        static const char *const want[] = {
                "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",
                "c 1:9 rwm", "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm",
        };
        size_t n;
        const CgroupDeviceRule *rules = cgroup_device_rules(&n);
        is_int(n, ELEMENTSOF(want), "the default list has %zu rules", ELEMENTSOF(want));
        for (size_t i = 0; i < n && i < ELEMENTSOF(want); i++) {
                char buf[64];
                is_int(cgroup_device_rule_format(&rules[i], buf, sizeof(buf)), 0, "format rule %zu",
                       i);
                is_str(buf, want[i], "rule %zu is '%s'", i, want[i]);
        }
        bool no_block = true, no_any = true;
        for (size_t i = 0; i < n; i++) {
                no_block = no_block && rules[i].type == 'c';
                no_any = no_any && rules[i].major != CGROUP_DEVICE_ANY;
        }
        ok(no_block, "no block device and no 'a' rule in the default list");
        ok(no_any, "no rule for every major");

        char buf[64];
        CgroupDeviceRule r = {'b', CGROUP_DEVICE_ANY, CGROUP_DEVICE_ANY, CGROUP_DEVICE_MKNOD};
        is_int(cgroup_device_rule_format(&r, buf, sizeof(buf)), 0, "format b *:* m");
        is_str(buf, "b *:* m", "b *:* m");
        r = (CgroupDeviceRule){'a', 4, 64, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE};
        cgroup_device_rule_format(&r, buf, sizeof(buf));
        is_str(buf, "a 4:64 rw", "a 4:64 rw");
        r = (CgroupDeviceRule){'x', 1, 3, CGROUP_DEVICE_RWM};
        is_int(cgroup_device_rule_format(&r, buf, sizeof(buf)), -EINVAL, "type 'x' refused");
        r = (CgroupDeviceRule){'c', 1, 3, 0};
        is_int(cgroup_device_rule_format(&r, buf, sizeof(buf)), -EINVAL, "no access refused");
        r = (CgroupDeviceRule){'c', 1, 3, 8};
        is_int(cgroup_device_rule_format(&r, buf, sizeof(buf)), -EINVAL, "unknown access refused");
        r = (CgroupDeviceRule){'c', 1, 3, CGROUP_DEVICE_RWM};
        is_int(cgroup_device_rule_format(&r, buf, 5), -ENOBUFS, "short buffer refused");
}

/* ---- the program, run by an interpreter ------------------------------------------------------ */

/* Runs the subset of eBPF the builder emits; -1 for anything else (the test then fails). */
static int run_program(const struct bpf_insn *insns, size_t n, uint32_t access_type,
                       uint32_t major, uint32_t minor)
{
        struct bpf_cgroup_dev_ctx ctx = {access_type, major, minor};
        uint64_t reg[11] = {0};
        size_t pc = 0;

        for (size_t steps = 0; pc < n && steps < 10000; steps++) {
                const struct bpf_insn *i = &insns[pc++];
                uint64_t imm = (uint64_t)(int64_t)i->imm; /* ALU64/JMP sign-extend */
                switch (i->code) {
                case BPF_LDX | BPF_MEM | BPF_W:
                        if (i->src_reg != BPF_REG_1 || i->off < 0 ||
                            (size_t)i->off + 4 > sizeof(ctx))
                                return -1;
                        uint32_t v;
                        memcpy(&v, (const char *)&ctx + i->off, 4);
                        reg[i->dst_reg] = v;
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_X:
                        reg[i->dst_reg] = reg[i->src_reg];
                        break;
                case BPF_ALU64 | BPF_MOV | BPF_K:
                        reg[i->dst_reg] = imm;
                        break;
                case BPF_ALU64 | BPF_AND | BPF_K:
                        reg[i->dst_reg] &= imm;
                        break;
                case BPF_ALU64 | BPF_RSH | BPF_K:
                        reg[i->dst_reg] >>= i->imm;
                        break;
                case BPF_JMP | BPF_JNE | BPF_K:
                        if (reg[i->dst_reg] != imm) {
                                if (i->off < 0)
                                        return -1; /* no loops */
                                pc += (size_t)i->off;
                        }
                        break;
                case BPF_JMP | BPF_EXIT:
                        return (int)reg[0];
                default:
                        return -1;
                }
        }
        return -1;
}

static bool reference_allows(const CgroupDeviceRule *rules, size_t n, char type, int major,
                             int minor, unsigned access)
{
        for (size_t i = 0; i < n; i++) {
                const CgroupDeviceRule *r = &rules[i];
                if (r->type != 'a' && r->type != type)
                        continue;
                if (r->major != CGROUP_DEVICE_ANY && r->major != major)
                        continue;
                if (r->minor != CGROUP_DEVICE_ANY && r->minor != minor)
                        continue;
                if ((access & ~r->access) == 0)
                        return true;
        }
        return false;
}

static uint32_t ctx_access(char type, unsigned access)
{
        unsigned a = ((access & CGROUP_DEVICE_READ) ? BPF_DEVCG_ACC_READ : 0) |
                     ((access & CGROUP_DEVICE_WRITE) ? BPF_DEVCG_ACC_WRITE : 0) |
                     ((access & CGROUP_DEVICE_MKNOD) ? BPF_DEVCG_ACC_MKNOD : 0);
        return (a << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
}

static uint32_t rng_state = 2463534242U;
static uint32_t rng(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 17;
        rng_state ^= rng_state << 5;
        return rng_state;
}

static void test_program(void)
{
        size_t n_rules, n;
        const CgroupDeviceRule *rules = cgroup_device_rules(&n_rules);
        struct bpf_insn insns[256];
        is_int(cgroup_device_program(rules, n_rules, insns, ELEMENTSOF(insns), &n), 0,
               "program built (%zu instructions)", n);

        static const struct {
                char type;
                int major, minor;
                unsigned access;
                int want;
                const char *what;
        } cases[] = {
                {'c', 1, 3, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE, 1, "open /dev/null rw"},
                {'c', 1, 3, CGROUP_DEVICE_MKNOD, 1, "mknod /dev/null"},
                {'c', 1, 9, CGROUP_DEVICE_READ, 1, "read /dev/urandom"},
                {'c', 5, 2, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE, 1, "open ptmx"},
                {'c', 136, 7, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE, 1, "open pts/7"},
                {'c', 136, 1048575, CGROUP_DEVICE_READ, 1, "the last pts minor"},
                {'b', 8, 0, CGROUP_DEVICE_READ, 0, "read the host's /dev/sda"},
                {'b', 8, 0, CGROUP_DEVICE_MKNOD, 0, "mknod the host's /dev/sda"},
                {'b', 1, 3, CGROUP_DEVICE_READ, 0, "a block device with null's numbers"},
                {'b', 136, 0, CGROUP_DEVICE_READ, 0, "a block device with a pts's numbers"},
                {'c', 1, 1, CGROUP_DEVICE_READ, 0, "read /dev/mem"},
                {'c', 1, 2, CGROUP_DEVICE_READ, 0, "read /dev/kmem"},
                {'c', 1, 4, CGROUP_DEVICE_READ | CGROUP_DEVICE_WRITE, 0, "/dev/port"},
                {'c', 1, 11, CGROUP_DEVICE_WRITE, 0, "/dev/kmsg"},
                {'c', 5, 1, CGROUP_DEVICE_WRITE, 0, "the host's /dev/console"},
                {'c', 4, 1, CGROUP_DEVICE_WRITE, 0, "the host's /dev/tty1"},
                {'c', 10, 229, CGROUP_DEVICE_READ, 0, "/dev/fuse"},
                {'c', 10, 232, CGROUP_DEVICE_READ, 0, "/dev/kvm"},
                {'c', 137, 0, CGROUP_DEVICE_READ, 0, "major 137"},
                {'c', 0, 0, CGROUP_DEVICE_READ, 0, "0:0"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                is_int(run_program(insns, n, ctx_access(cases[i].type, cases[i].access),
                                   (uint32_t)cases[i].major, (uint32_t)cases[i].minor),
                       cases[i].want, "program: %s: %s", cases[i].what,
                       cases[i].want ? "allowed" : "denied");

        /* Random rule lists against the reference, including 'a', '*' and partial access. */
        bool all = true;
        for (int round = 0; round < 200 && all; round++) {
                CgroupDeviceRule rr[6];
                size_t nr = 1 + rng() % ELEMENTSOF(rr);
                for (size_t i = 0; i < nr; i++) {
                        static const char types[] = {'a', 'b', 'c'};
                        rr[i] = (CgroupDeviceRule){
                                .type = types[rng() % 3],
                                .major = rng() % 4 == 0 ? CGROUP_DEVICE_ANY : (int)(rng() % 4),
                                .minor = rng() % 4 == 0 ? CGROUP_DEVICE_ANY : (int)(rng() % 4),
                                .access = 1 + rng() % CGROUP_DEVICE_RWM,
                        };
                }
                struct bpf_insn prog[256];
                size_t np;
                if (cgroup_device_program(rr, nr, prog, ELEMENTSOF(prog), &np) < 0) {
                        all = false;
                        break;
                }
                for (int q = 0; q < 50; q++) {
                        char type = rng() % 2 ? 'c' : 'b';
                        int major = (int)(rng() % 5), minor = (int)(rng() % 5);
                        unsigned access = 1 + rng() % CGROUP_DEVICE_RWM;
                        int got = run_program(prog, np, ctx_access(type, access), (uint32_t)major,
                                              (uint32_t)minor);
                        if (got != reference_allows(rr, nr, type, major, minor, access)) {
                                printf("# round %d: %c %d:%d access %u: program %d\n", round,
                                       type, major, minor, access, got);
                                all = false;
                                break;
                        }
                }
        }
        ok(all, "program: 200 random rule lists agree with the reference matcher");

        size_t small;
        is_int(cgroup_device_program(rules, n_rules, insns, 10, &small), -ENOBUFS,
               "program: too small a buffer refused");
        CgroupDeviceRule bad = {'c', -5, 0, CGROUP_DEVICE_READ};
        is_int(cgroup_device_program(&bad, 1, insns, ELEMENTSOF(insns), &small), -EINVAL,
               "program: a negative major refused");
}

/* ---- the real kernel ------------------------------------------------------------------------- */

/* A block device node of this host that we can open ourselves (a sandbox may refuse some, such
 * as the root disk): what a container must not reach. */
static bool host_block_device(char *path, size_t size, dev_t *ret)
{
        DIR *d = opendir("/dev");
        struct dirent *de;
        bool found = false;
        while (d && !found && (de = readdir(d))) {
                char p[sizeof(de->d_name) + 8];
                struct stat st;
                snprintf(p, sizeof(p), "/dev/%s", de->d_name);
                if (stat(p, &st) < 0 || !S_ISBLK(st.st_mode))
                        continue;
                int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                if (fd < 0)
                        continue;
                close(fd);
                snprintf(path, size, "%s", p);
                *ret = st.st_rdev;
                found = true;
        }
        if (d)
                closedir(d);
        return found;
}

/* In a child moved into the cgroup: what it may open and create. Bits: 1 /dev/null opens,
 * 2 the block device opens, 4 mknod of a block node works, 8 mknod of a null node works,
 * 16 the block node made by the parent opens. */
static int probe_in_cgroup(Cgroup *cg, const char *blockdev, dev_t rdev, const char *tmp,
                           const char *label)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        char node[4096], made[4096], nullnode[4096];
        snprintf(node, sizeof(node), "%s/%s-blk", tmp, label);
        snprintf(made, sizeof(made), "%s/%s-made", tmp, label);
        snprintf(nullnode, sizeof(nullnode), "%s/%s-null", tmp, label);
        /* Made outside the cgroup, so the child's open is the only check of it. */
        (void)unlink(made);
        if (mknod(made, S_IFBLK | 0600, rdev) < 0)
                return -1;
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                /* Until the parent has moved us and closed its end. */
                close(p[1]);
                char go;
                if (read(p[0], &go, 1) < 0)
                        _exit(100);
                int bits = 0, fd;
                if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
                        bits |= 1;
                        close(fd);
                }
                if ((fd = open(blockdev, O_RDONLY | O_CLOEXEC)) >= 0) {
                        bits |= 2;
                        close(fd);
                }
                if (mknod(node, S_IFBLK | 0600, rdev) == 0) {
                        bits |= 4;
                        unlink(node);
                }
                if (mknod(nullnode, S_IFCHR | 0666, makedev(1, 3)) == 0) {
                        bits |= 8;
                        unlink(nullnode);
                }
                if ((fd = open(made, O_RDONLY | O_CLOEXEC)) >= 0) {
                        bits |= 16;
                        close(fd);
                }
                _exit(bits);
        }
        close(p[0]);
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        /* The child is forked first and moved then, as the monitor moves init. */
        int r = cgroup_attach(cg, pid, &e);
        close(p[1]);
        int status;
        (void)waitpid(pid, &status, 0);
        (void)unlink(made);
        if (r < 0) {
                printf("# %s\n", e ? e->message : "attach failed");
                return -1;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_real_v1(const char *tmp, const char *blockdev, dev_t rdev)
{
        _cleanup_(cgroup_layout_freep) CgroupLayout *l = NULL;
        if (cgroup_layout_detect(&l) < 0 || l->unified) {
                skip("real v1: not a v1/hybrid host");
                return;
        }
        bool have = false;
        for (size_t i = 0; i < l->n_v1; i++)
                for (char **c = l->v1[i].controllers; c && *c; c++)
                        have = have || streq(*c, "devices");
        if (!have) {
                skip("real v1: no devices hierarchy");
                return;
        }
        char rel[64];
        snprintf(rel, sizeof(rel), "berth-unit-dev-%d/payload", (int)getpid());
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        is_int(cgroup_new(l, rel, &cg), 0, "real v1: new");
        is_int(cgroup_create(cg, &e), 0, "real v1: create");
        is_int(cgroup_apply_devices(cg, &e), 0, "real v1: apply devices (%s)",
               e ? e->message : "");

        _cleanup_free_ char *list = NULL;
        _cleanup_free_ char *lp = path_join(cgroup_path_for(cg, "devices"), "devices.list");
        (void)read_full_file_at(AT_FDCWD, lp, 65536, &list, NULL);
        is_str(list,
               "c 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:2 rwm\n"
               "c 136:* rwm\n",
               "real v1: devices.list is exactly the list");
        is_int(cgroup_apply_devices(cg, &e), 0, "real v1: applying again works");

        /* The baseline: a sibling without the list reaches the block device. */
        _cleanup_(cgroup_freep) Cgroup *open_cg = NULL;
        char open_rel[64];
        snprintf(open_rel, sizeof(open_rel), "berth-unit-dev-%d/baseline", (int)getpid());
        cgroup_new(l, open_rel, &open_cg);
        cgroup_create(open_cg, &e);
        int base = probe_in_cgroup(open_cg, blockdev, rdev, tmp, "v1base");
        ok(base >= 0 && (base & 2) && (base & 4) && (base & 16),
           "real v1: baseline: without the list %s opens and mknod works", blockdev);

        int bits = probe_in_cgroup(cg, blockdev, rdev, tmp, "v1");
        ok(bits >= 0 && (bits & 1), "real v1: /dev/null opens in the cgroup");
        ok(bits >= 0 && !(bits & 2), "real v1: the host's %s does not open", blockdev);
        ok(bits >= 0 && !(bits & 4), "real v1: mknod of a block node is refused");
        ok(bits >= 0 && (bits & 8), "real v1: mknod of a null node works");
        ok(bits >= 0 && !(bits & 16), "real v1: a block node made outside does not open");

        _cleanup_(cgroup_freep) Cgroup *top = NULL;
        char toprel[64];
        snprintf(toprel, sizeof(toprel), "berth-unit-dev-%d", (int)getpid());
        cgroup_new(l, toprel, &top);
        e = berth_error_free(e);
        is_int(cgroup_destroy(top, &e), 0, "real v1: destroy");
}

static int prog_count(const char *dir)
{
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint32_t ids[16];
        return fd < 0 ? -1 : cgroup_devices_bpf_query(fd, ids, ELEMENTSOF(ids));
}

/* The BPF program on a cgroup of this host's cgroup2 mount, below a directory of our own that
 * stands in for the root (as test-cgroup's real v2 test does). It works on any cgroup2
 * directory: device programs need no controller, so a hybrid host whose unified hierarchy has
 * no controller at all runs them too. */
static void test_real_v2(const char *tmp, const char *blockdev, dev_t rdev)
{
        _cleanup_(cgroup_layout_freep) CgroupLayout *host = NULL;
        if (cgroup_layout_detect(&host) < 0 || !host->unified_mount) {
                skip("real v2: no cgroup2 mount");
                return;
        }
        char subroot[4096];
        snprintf(subroot, sizeof(subroot), "%s/berth-unit-dev-%d", host->unified_mount,
                 (int)getpid());
        if (mkdir(subroot, 0755) < 0) {
                skip("real v2: cannot mkdir %s: %s", subroot, strerror(errno));
                return;
        }
        CgroupLayout lv = {.unified = true, .unified_mount = subroot};
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(cgroup_freep) Cgroup *cg = NULL;
        is_int(cgroup_new(&lv, "payload", &cg), 0, "real v2: new");
        is_int(cgroup_create(cg, &e), 0, "real v2: create");
        int r = cgroup_apply_devices(cg, &e);
        if (r == -EPERM || r == -ENOSYS || r == -EINVAL) {
                skip("real v2: the kernel refuses BPF device programs here (%s)",
                     e ? e->message : "");
                goto cleanup;
        }
        is_int(r, 0, "real v2: apply devices (%s)", e ? e->message : "");
        const char *dir = cgroup_path_for(cg, NULL);
        is_int(prog_count(dir), 1, "real v2: one device program attached");
        is_int(cgroup_apply_devices(cg, &e), 0, "real v2: applying again works");
        is_int(prog_count(dir), 1, "real v2: applying again leaves one program");

        _cleanup_(cgroup_freep) Cgroup *open_cg = NULL;
        cgroup_new(&lv, "baseline", &open_cg);
        cgroup_create(open_cg, &e);
        int base = probe_in_cgroup(open_cg, blockdev, rdev, tmp, "v2base");
        ok(base >= 0 && (base & 2) && (base & 4) && (base & 16),
           "real v2: baseline: without the program %s opens and mknod works", blockdev);
        (void)cgroup_destroy(open_cg, NULL);

        int bits = probe_in_cgroup(cg, blockdev, rdev, tmp, "v2");
        ok(bits >= 0 && (bits & 1), "real v2: /dev/null opens in the cgroup");
        ok(bits >= 0 && !(bits & 2), "real v2: the host's %s does not open", blockdev);
        ok(bits >= 0 && !(bits & 4), "real v2: mknod of a block node is refused");
        ok(bits >= 0 && (bits & 8), "real v2: mknod of a null node works");
        ok(bits >= 0 && !(bits & 16), "real v2: a block node made outside does not open");

cleanup:
        e = berth_error_free(e);
        is_int(cgroup_destroy(cg, &e), 0, "real v2: destroy");
        ok(rmdir(subroot) == 0, "real v2: nothing left below our sub-root");
}

int main(void)
{
        test_rules();
        test_program();

        char blockdev[300];
        dev_t rdev;
        char tmp[] = "/tmp/test-cgroup-devices-XXXXXX";
        if (geteuid() != 0) {
                skip("real kernel: needs root");
        } else if (!host_block_device(blockdev, sizeof(blockdev), &rdev)) {
                skip("real kernel: no block device node on this host to try");
        } else if (!mkdtemp(tmp)) {
                skip("real kernel: mkdtemp failed");
        } else {
                test_real_v1(tmp, blockdev, rdev);
                test_real_v2(tmp, blockdev, rdev);
                (void)rmdir(tmp);
        }
        return tap_done();
}
