/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device access control: the device nodes a container may create and open, as one list of
 * rules, applied as the v1 devices controller's allow list (deny everything, then allow each)
 * or, on the unified hierarchy, as a BPF_PROG_TYPE_CGROUP_DEVICE program built here from the
 * same list (raw bpf(2): no libbpf for fifteen instructions per rule).
 *
 * Every container gets the list, privileged ones too: it is what keeps the root of a privileged
 * container from making a node for the host's disk and reading it, and an unprivileged one from
 * using a device node a bind mount brought in. */
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "../../shared/path-util.h"
#include "cgroup-internal.h"

/* The nodes the mount plan's /dev holds, and what stands behind its links (mount-plan.c):
 * null, zero, full, random, urandom and tty are made (or bound from the host) by the plan;
 * /dev/ptmx links to pts/ptmx of the container's devpts instance (5:2 there); /dev/console and
 * /dev/ttyN are bound to ptys (136:N), never the host's console (5:1) or its virtual consoles
 * (4:N), which are left out on purpose. mknod is granted only for these nodes. */
static const CgroupDeviceRule default_rules[] = {
        {'c', 1, 3, CGROUP_DEVICE_RWM},          /* null */
        {'c', 1, 5, CGROUP_DEVICE_RWM},          /* zero */
        {'c', 1, 7, CGROUP_DEVICE_RWM},          /* full */
        {'c', 1, 8, CGROUP_DEVICE_RWM},          /* random */
        {'c', 1, 9, CGROUP_DEVICE_RWM},          /* urandom */
        {'c', 5, 0, CGROUP_DEVICE_RWM},          /* tty: the caller's controlling terminal */
        {'c', 5, 2, CGROUP_DEVICE_RWM},          /* ptmx of the container's devpts */
        {'c', 136, CGROUP_DEVICE_ANY, CGROUP_DEVICE_RWM}, /* pts/N, console, ttyN */
};

const CgroupDeviceRule *cgroup_device_rules(size_t *ret_n)
{
        *ret_n = ELEMENTSOF(default_rules);
        return default_rules;
}

int cgroup_device_rule_format(const CgroupDeviceRule *rule, char *buf, size_t size)
{
        char major[16], minor[16], access[4];
        size_t n = 0;

        if (!rule || (rule->type != 'c' && rule->type != 'b' && rule->type != 'a') ||
            rule->access == 0 || (rule->access & ~CGROUP_DEVICE_RWM))
                return -EINVAL;
        if (rule->access & CGROUP_DEVICE_READ)
                access[n++] = 'r';
        if (rule->access & CGROUP_DEVICE_WRITE)
                access[n++] = 'w';
        if (rule->access & CGROUP_DEVICE_MKNOD)
                access[n++] = 'm';
        access[n] = 0;
        if (rule->major == CGROUP_DEVICE_ANY)
                snprintf(major, sizeof(major), "*");
        else
                snprintf(major, sizeof(major), "%d", rule->major);
        if (rule->minor == CGROUP_DEVICE_ANY)
                snprintf(minor, sizeof(minor), "*");
        else
                snprintf(minor, sizeof(minor), "%d", rule->minor);
        int k = snprintf(buf, size, "%c %s:%s %s", rule->type, major, minor, access);
        return k < 0 || (size_t)k >= size ? -ENOBUFS : 0;
}

/* ---- the BPF program ------------------------------------------------------------------------ */

#define INSN(c, d, s, o, i)                                                                         \
        ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define MOV_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define JNE_IMM(d, i, o) INSN(BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers: r1 the context (struct bpf_cgroup_dev_ctx), r2 the access asked for, r3 the type,
 * r4 the major, r5 the minor, r6 scratch, r0 the verdict. */
#define R_TYPE 3
#define R_ACCESS 2
#define R_MAJOR 4
#define R_MINOR 5
#define R_TMP 6

static bool rule_valid(const CgroupDeviceRule *r)
{
        return (r->type == 'c' || r->type == 'b' || r->type == 'a') && r->access != 0 &&
               !(r->access & ~CGROUP_DEVICE_RWM) &&
               (r->major == CGROUP_DEVICE_ANY || r->major >= 0) &&
               (r->minor == CGROUP_DEVICE_ANY || r->minor >= 0);
}

int cgroup_device_program(const CgroupDeviceRule *rules, size_t n_rules, struct bpf_insn *insns,
                          size_t max, size_t *ret_n)
{
        size_t n = 0;

#define EMIT(x)                                                                                    \
        do {                                                                                       \
                if (n >= max)                                                                      \
                        return -ENOBUFS;                                                           \
                insns[n++] = (x);                                                                  \
        } while (0)

        /* access_type is (access << 16) | type. */
        EMIT(LDX_W(R_ACCESS, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, access_type)));
        EMIT(MOV_REG(R_TYPE, R_ACCESS));
        EMIT(ALU_IMM(BPF_AND, R_TYPE, 0xffff));
        EMIT(ALU_IMM(BPF_RSH, R_ACCESS, 16));
        EMIT(LDX_W(R_MAJOR, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, major)));
        EMIT(LDX_W(R_MINOR, BPF_REG_1, offsetof(struct bpf_cgroup_dev_ctx, minor)));

        for (size_t i = 0; i < n_rules; i++) {
                const CgroupDeviceRule *r = &rules[i];
                if (!rule_valid(r))
                        return -EINVAL;
                /* Each test jumps to the next rule when it fails: count this rule's length
                 * first, so the offsets are known. */
                int checks = (r->type != 'a') + (r->major != CGROUP_DEVICE_ANY) +
                             (r->minor != CGROUP_DEVICE_ANY);
                int len = checks + 3 /* access */ + 2 /* allow */;
                int left = len;

                if (r->type != 'a')
                        EMIT(JNE_IMM(R_TYPE,
                                     r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK,
                                     --left));
                if (r->major != CGROUP_DEVICE_ANY)
                        EMIT(JNE_IMM(R_MAJOR, r->major, --left));
                if (r->minor != CGROUP_DEVICE_ANY)
                        EMIT(JNE_IMM(R_MINOR, r->minor, --left));
                /* Every access asked for must be one the rule grants. */
                unsigned granted = ((r->access & CGROUP_DEVICE_READ) ? BPF_DEVCG_ACC_READ : 0) |
                                   ((r->access & CGROUP_DEVICE_WRITE) ? BPF_DEVCG_ACC_WRITE : 0) |
                                   ((r->access & CGROUP_DEVICE_MKNOD) ? BPF_DEVCG_ACC_MKNOD : 0);
                EMIT(MOV_REG(R_TMP, R_ACCESS));
                left--;
                EMIT(ALU_IMM(BPF_AND, R_TMP, (int32_t)~granted));
                left--;
                EMIT(JNE_IMM(R_TMP, 0, --left));
                EMIT(ALU_IMM(BPF_MOV, BPF_REG_0, 1));
                EMIT(EXIT());
        }
        EMIT(ALU_IMM(BPF_MOV, BPF_REG_0, 0));
        EMIT(EXIT());
#undef EMIT
        *ret_n = n;
        return 0;
}

/* ---- applying it ---------------------------------------------------------------------------- */

int cgroup_devices_v1_apply(const char *dir, BerthError **reterr)
{
        size_t n;
        const CgroupDeviceRule *rules = cgroup_device_rules(&n);

        /* Deny first: an allow written to a cgroup that allows everything changes nothing. */
        int r = cgroup_write_attr(dir, "devices.deny", "a", reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                char line[64];
                r = cgroup_device_rule_format(&rules[i], line, sizeof(line));
                if (r < 0)
                        return berth_error_set(reterr, r, "format device rule %zu", i);
                r = cgroup_write_attr(dir, "devices.allow", line, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

#define PROG_NAME "berth_devices"
#define PROG_MAX_INSNS 256

static int bpf(int cmd, union bpf_attr *attr)
{
        long r = syscall(SYS_bpf, cmd, attr, sizeof(*attr));
        return r < 0 ? negative_errno() : (int)r;
}

int cgroup_devices_bpf_query(int cgroup_fd, uint32_t *ids, size_t max)
{
        union bpf_attr q = {
                .query.target_fd = (uint32_t)cgroup_fd,
                .query.attach_type = BPF_CGROUP_DEVICE,
                .query.prog_ids = (uint64_t)(uintptr_t)ids,
                .query.prog_cnt = (uint32_t)max,
        };
        int r = bpf(BPF_PROG_QUERY, &q);
        return r < 0 ? r : (int)MIN((size_t)q.query.prog_cnt, max);
}

/* Detaches the berth programs attached to cgroup_fd before this one (keep_id), so applying the
 * list twice leaves one program. Best effort: a left-over copy only repeats the same rules. */
static void detach_older(int cgroup_fd, uint32_t keep_id)
{
        uint32_t ids[64];
        int n = cgroup_devices_bpf_query(cgroup_fd, ids, ELEMENTSOF(ids));
        for (int i = 0; i < n; i++) {
                if (ids[i] == keep_id)
                        continue;
                union bpf_attr g = {.prog_id = ids[i]};
                _cleanup_close_ int fd = bpf(BPF_PROG_GET_FD_BY_ID, &g);
                if (fd < 0)
                        continue;
                struct bpf_prog_info info = {};
                union bpf_attr ia = {
                        .info.bpf_fd = (uint32_t)fd,
                        .info.info_len = sizeof(info),
                        .info.info = (uint64_t)(uintptr_t)&info,
                };
                if (bpf(BPF_OBJ_GET_INFO_BY_FD, &ia) < 0 || !streq(info.name, PROG_NAME))
                        continue;
                union bpf_attr d = {
                        .target_fd = (uint32_t)cgroup_fd,
                        .attach_bpf_fd = (uint32_t)fd,
                        .attach_type = BPF_CGROUP_DEVICE,
                };
                (void)bpf(BPF_PROG_DETACH, &d);
        }
}

int cgroup_devices_bpf_apply(const char *dir, BerthError **reterr)
{
        size_t n_rules, n;
        const CgroupDeviceRule *rules = cgroup_device_rules(&n_rules);
        struct bpf_insn insns[PROG_MAX_INSNS];

        int r = cgroup_device_program(rules, n_rules, insns, ELEMENTSOF(insns), &n);
        if (r < 0)
                return berth_error_set(reterr, r, "build the device program");

        _cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgfd < 0)
                return berth_error_set(reterr, errno, "open cgroup '%s'", dir);

        union bpf_attr load = {
                .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
                .insns = (uint64_t)(uintptr_t)insns,
                .insn_cnt = (uint32_t)n,
                .license = (uint64_t)(uintptr_t) "LGPL-2.1-or-later",
        };
        memcpy(load.prog_name, PROG_NAME, sizeof(PROG_NAME));
        _cleanup_close_ int prog = bpf(BPF_PROG_LOAD, &load);
        if (prog == -EACCES || prog == -EINVAL) {
                /* Only now the verifier's log, which costs milliseconds to write: it says why. */
                char log[1024] = "";
                load.log_buf = (uint64_t)(uintptr_t)log;
                load.log_size = sizeof(log);
                load.log_level = 1;
                int again = bpf(BPF_PROG_LOAD, &load);
                safe_close(again);
                return berth_error_set(reterr, prog, "load the device program%s%.200s",
                                       log[0] ? ": " : "", log);
        }
        if (prog < 0)
                return berth_error_set(reterr, prog, "load the device program");

        /* ALLOW_MULTI: a program a privileged payload attaches below can only narrow the list;
         * ours keeps running for the whole subtree. */
        union bpf_attr att = {
                .target_fd = (uint32_t)cgfd,
                .attach_bpf_fd = (uint32_t)prog,
                .attach_type = BPF_CGROUP_DEVICE,
                .attach_flags = BPF_F_ALLOW_MULTI,
        };
        r = bpf(BPF_PROG_ATTACH, &att);
        if (r < 0)
                return berth_error_set(reterr, r, "attach the device program to '%s'", dir);

        struct bpf_prog_info info = {};
        union bpf_attr ia = {
                .info.bpf_fd = (uint32_t)prog,
                .info.info_len = sizeof(info),
                .info.info = (uint64_t)(uintptr_t)&info,
        };
        if (bpf(BPF_OBJ_GET_INFO_BY_FD, &ia) >= 0)
                detach_older(cgfd, info.id);
        /* The cgroup holds the program now; our fd can go. */
        return 0;
}
