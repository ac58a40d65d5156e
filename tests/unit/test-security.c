/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capabilities, seccomp and LSM: the plans are tested deeply as data; applying them happens in
 * forked children (capabilities need root, seccomp does not), which report back over a pipe. */
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/userfaultfd.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "fileio.h"
#include "path-util.h"
#include "security/security.h"
#include "tap.h"

#define BIT(n) (UINT64_C(1) << (n))

static void skip(const char *why)
{
        printf("ok %d # SKIP %s\n", ++tap_n, why);
        fflush(stdout);
}

/* ---- helpers ------------------------------------------------------------------------------ */

static uint64_t default_drop_mask(void)
{
        return BIT(CAP_SYS_MODULE) | BIT(CAP_SYS_RAWIO) | BIT(CAP_SYS_TIME) | BIT(CAP_MAC_ADMIN) |
               BIT(CAP_MAC_OVERRIDE) | BIT(CAP_AUDIT_CONTROL) | BIT(CAP_AUDIT_READ) |
               BIT(CAP_AUDIT_WRITE) | BIT(CAP_WAKE_ALARM) | BIT(CAP_BLOCK_SUSPEND) |
               BIT(CAP_SYSLOG);
}

static uint64_t all_caps_mask(void)
{
        cap_value_t n = cap_max_bits();
        return n >= 64 ? UINT64_MAX : BIT(n) - 1;
}

static bool have_effective_cap(cap_value_t cap)
{
        cap_t caps = cap_get_proc();
        cap_flag_value_t v = CAP_CLEAR;
        if (caps) {
                (void)cap_get_flag(caps, cap, CAP_EFFECTIVE, &v);
                cap_free(caps);
        }
        return v == CAP_SET;
}

static int drop_effective_cap(cap_value_t cap)
{
        cap_t caps = cap_get_proc();
        if (!caps)
                return -errno;
        int r = cap_set_flag(caps, CAP_EFFECTIVE, 1, &cap, CAP_CLEAR) < 0 || cap_set_proc(caps) < 0
                        ? -errno
                        : 0;
        cap_free(caps);
        return r;
}

/* "CapBnd:\t000001fffeffffff" from /proc/self/status. */
static uint64_t status_hex(const char *field)
{
        _cleanup_free_ char *text = NULL;
        if (read_full_file_at(AT_FDCWD, "/proc/self/status", 1 << 16, &text, NULL) < 0)
                return UINT64_MAX;
        _cleanup_free_ char *key = xasprintf("\n%s:", field);
        const char *p = strstr(text, key);
        if (!p)
                return UINT64_MAX;
        return strtoull(p + strlen(key), NULL, 16);
}

/* What a child reports: its return code, up to 16 values and the error message. */
typedef struct ChildResult {
        int r;
        long v[16];
        char msg[256];
} ChildResult;

typedef void (*ChildFn)(const void *arg, ChildResult *res);

/* Runs fn in a forked child; returns the raw wait status, fills *res from the child (zeroed
 * when the child died before reporting). */
static int run_child(ChildFn fn, const void *arg, ChildResult *res)
{
        int p[2];
        *res = (ChildResult){.r = -9999};
        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                close(p[0]);
                ChildResult cr = {};
                fn(arg, &cr);
                (void)loop_write(p[1], &cr, sizeof(cr));
                _exit(0);
        }
        close(p[1]);
        ChildResult got;
        if (loop_read(p[0], &got, sizeof(got)) == (ssize_t)sizeof(got))
                *res = got;
        close(p[0]);
        int status;
        if (waitpid(pid, &status, 0) < 0)
                return -1;
        return status;
}

static void set_msg(ChildResult *res, BerthError *e)
{
        if (e)
                snprintf(res->msg, sizeof(res->msg), "%s", e->message);
}

/* ---- capabilities: plan ------------------------------------------------------------------- */

static void test_caps_plan(void)
{
        CapsPlan plan;
        BerthError *e = NULL;
        uint64_t all = all_caps_mask();

        size_t n = 0;
        while (security_default_cap_drop[n])
                n++;
        is_int(n, 11, "default drop list has 11 names");

        /* Defaults, with no config and with an empty one. */
        is_int(caps_plan_build(NULL, &plan, &e), 0, "caps plan without config");
        ok(!e, "no error object on success");
        is_int(plan.keep, all & ~default_drop_mask(), "default plan keeps all but the drop list");
        ok(!(plan.keep & BIT(CAP_SYS_MODULE)), "sys_module dropped by default");
        ok(!(plan.keep & BIT(CAP_SYSLOG)), "syslog dropped by default");
        ok(!(plan.keep & BIT(CAP_AUDIT_WRITE)), "audit_write dropped by default");
        ok(plan.keep & BIT(CAP_SYS_ADMIN), "sys_admin kept by default");
        ok(plan.keep & BIT(CAP_SYS_BOOT), "sys_boot kept by default");
        ok(plan.keep & BIT(CAP_SYS_NICE), "sys_nice kept by default");
        ok(plan.keep & BIT(CAP_NET_ADMIN), "net_admin kept by default");

        BerthConfig c = {};
        is_int(caps_plan_build(&c, &plan, &e), 0, "caps plan with empty config");
        is_int(plan.keep, all & ~default_drop_mask(), "empty config gives the default plan");

        char *empty[] = {NULL};
        c.cap_keep = empty;
        is_int(caps_plan_build(&c, &plan, &e), 0, "empty keep list");
        is_int(plan.keep, all & ~default_drop_mask(), "empty keep list means no keep list");
        c.cap_keep = NULL;

        /* Extra drops, in every spelling. */
        char *drop[] = {"net_raw", "CAP_SYS_ADMIN", "Sys_Ptrace", "cap_mknod", "sys_module", NULL};
        c.cap_drop = drop;
        is_int(caps_plan_build(&c, &plan, &e), 0, "caps plan with extra drops");
        is_int(plan.keep,
               all & ~default_drop_mask() &
                       ~(BIT(CAP_NET_RAW) | BIT(CAP_SYS_ADMIN) | BIT(CAP_SYS_PTRACE) |
                         BIT(CAP_MKNOD)),
               "extra drops (any case, with or without CAP_) removed on top of defaults");
        ok(plan.keep & BIT(CAP_CHOWN), "chown still kept");
        c.cap_drop = NULL;

        /* Keep only. */
        char *keep[] = {"chown", "CAP_KILL", "Net_Bind_Service", "sys_module", NULL};
        c.cap_keep = keep;
        is_int(caps_plan_build(&c, &plan, &e), 0, "caps plan with keep list");
        is_int(plan.keep,
               BIT(CAP_CHOWN) | BIT(CAP_KILL) | BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_SYS_MODULE),
               "keep list is exactly the kept set, default drops do not apply");
        char *drop2[] = {"chown", NULL};
        c.cap_drop = drop2;
        is_int(caps_plan_build(&c, &plan, &e), 0, "keep list with a drop list");
        ok(plan.keep & BIT(CAP_CHOWN), "keep list wins over drop");
        c.cap_drop = NULL;
        c.cap_keep = NULL;

        /* Unknown names: an error naming the capability, and the plan left alone. */
        static const char *const bad[] = {
                "sys_foo",
                "",
                "cap_",
                "CAP_",
                "21",
                "sys admin",
                "sys_admin ",
                "cap_cap_sys_admin",
                "sys_adminxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *list[] = {(char *)bad[i], NULL};
                _cleanup_free_ char *want = xasprintf("capability '%s': unknown", bad[i]);

                c.cap_drop = list;
                plan.keep = 42;
                is_int(caps_plan_build(&c, &plan, &e), -EINVAL, "drop '%s' refused", bad[i]);
                is_str(e ? e->message : NULL, want, "message for drop '%s'", bad[i]);
                is_int(e ? e->code : 0, EINVAL, "error code for '%s'", bad[i]);
                is_int(plan.keep, 42, "plan untouched after a bad drop");
                e = berth_error_free(e);
                c.cap_drop = NULL;

                c.cap_keep = list;
                is_int(caps_plan_build(&c, &plan, &e), -EINVAL, "keep '%s' refused", bad[i]);
                is_str(e ? e->message : NULL, want, "message for keep '%s'", bad[i]);
                e = berth_error_free(e);
                c.cap_keep = NULL;
        }

        /* A typo in drop is caught even when keep decides. */
        char *keep3[] = {"chown", NULL}, *drop3[] = {"sys_admn", NULL};
        c.cap_keep = keep3;
        c.cap_drop = drop3;
        is_int(caps_plan_build(&c, &plan, &e), -EINVAL, "bad drop with keep list refused");
        is_str(e ? e->message : NULL, "capability 'sys_admn': unknown", "bad drop named");
        e = berth_error_free(e);

        /* No error object requested: still -EINVAL. */
        is_int(caps_plan_build(&c, &plan, NULL), -EINVAL, "bad name without an error object");
}

/* ---- capabilities: apply ------------------------------------------------------------------ */

static void child_caps_default(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        CapsPlan plan;

        /* Something in the inheritable and ambient sets that must not survive. */
        cap_t caps = cap_get_proc();
        cap_value_t inh[] = {CAP_SYS_MODULE, CAP_NET_RAW};
        if (caps && cap_set_flag(caps, CAP_INHERITABLE, 2, inh, CAP_SET) == 0 &&
            cap_set_proc(caps) == 0)
                res->v[8] = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0);
        if (caps)
                cap_free(caps);
        res->v[9] = (long)status_hex("CapAmb");

        res->r = caps_plan_build(NULL, &plan, &e);
        if (res->r >= 0)
                res->r = caps_plan_apply(&plan, &e);
        set_msg(res, e);
        res->v[0] = (long)status_hex("CapBnd");
        res->v[1] = (long)status_hex("CapEff");
        res->v[2] = (long)status_hex("CapPrm");
        res->v[3] = (long)status_hex("CapInh");
        res->v[4] = (long)status_hex("CapAmb");
        res->v[5] = prctl(PR_CAPBSET_READ, CAP_SYS_MODULE, 0, 0, 0);
        res->v[6] = prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0);
        /* Applying again is harmless: nothing left to drop. */
        res->v[7] = caps_plan_apply(&plan, NULL);
}

static void child_caps_keep_only(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        const CapsPlan *plan = arg;

        res->r = caps_plan_apply(plan, &e);
        set_msg(res, e);
        res->v[0] = (long)status_hex("CapBnd");
        res->v[1] = (long)status_hex("CapEff");
        res->v[2] = (long)status_hex("CapPrm");
}

static void child_caps_no_setpcap(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        CapsPlan plan;

        res->v[0] = drop_effective_cap(CAP_SETPCAP);
        res->r = caps_plan_build(NULL, &plan, &e);
        if (res->r >= 0)
                res->r = caps_plan_apply(&plan, &e);
        set_msg(res, e);
        res->v[1] = prctl(PR_CAPBSET_READ, CAP_SYS_MODULE, 0, 0, 0);
}

static void test_caps_apply(void)
{
        ChildResult res;
        int status;

        /* Without CAP_SETPCAP the bounding set cannot shrink: a clear error, nothing dropped.
         * This needs no privilege, so it runs everywhere. */
        int module_bnd = prctl(PR_CAPBSET_READ, CAP_SYS_MODULE, 0, 0, 0);
        status = run_child(child_caps_no_setpcap, NULL, &res);
        is_int(res.v[0], 0, "CAP_SETPCAP dropped from the child's effective set");
        if (module_bnd == 1) {
                is_int(res.r, -EPERM, "apply without CAP_SETPCAP fails with EPERM");
                like(res.msg, "drop capability 'sys_module' from the bounding set: ",
                     "message names the capability");
        } else {
                skip("sys_module is not in this test's bounding set");
                skip("sys_module is not in this test's bounding set");
        }
        is_int(res.v[1], module_bnd, "bounding set unchanged after the failure");

        if (geteuid() != 0 || !have_effective_cap(CAP_SETPCAP) || module_bnd != 1) {
                for (int i = 0; i < 18; i++)
                        skip("capability apply needs root with CAP_SETPCAP and CAP_SYS_MODULE");
                return;
        }
        uint64_t bnd0 = status_hex("CapBnd");

        status = run_child(child_caps_default, NULL, &res);
        is_int(status, 0, "caps child exited cleanly");
        is_int(res.r, 0, "default caps applied (%s)", res.msg);
        is_int((uint64_t)res.v[0] & default_drop_mask(), 0, "CapBnd lacks every dropped cap");
        is_int((uint64_t)res.v[0], bnd0 & ~default_drop_mask(), "CapBnd lost nothing else");
        is_int((uint64_t)res.v[1] & default_drop_mask(), 0, "CapEff lacks every dropped cap");
        ok((uint64_t)res.v[1] & BIT(CAP_SYS_ADMIN), "CapEff keeps sys_admin");
        is_int((uint64_t)res.v[2] & default_drop_mask(), 0, "CapPrm lacks every dropped cap");
        is_int((uint64_t)res.v[3] & default_drop_mask(), 0, "CapInh lacks sys_module");
        is_int(res.v[8], 0, "ambient net_raw was raised before apply");
        is_int((uint64_t)res.v[9], BIT(CAP_NET_RAW), "CapAmb held net_raw before apply");
        is_int((uint64_t)res.v[4], 0, "CapAmb cleared");
        is_int(res.v[5], 0, "PR_CAPBSET_READ(CAP_SYS_MODULE) == 0");
        is_int(res.v[6], 1, "PR_CAPBSET_READ(CAP_SYS_ADMIN) == 1");
        is_int(res.v[7], 0, "second apply is a no-op success");

        CapsPlan keep = {.keep = BIT(CAP_CHOWN) | BIT(CAP_SETPCAP) | BIT(CAP_KILL)};
        status = run_child(child_caps_keep_only, &keep, &res);
        ok(status == 0 && res.r == 0, "keep-only plan applied (%s)", res.msg);
        is_int((uint64_t)res.v[0], keep.keep & bnd0, "CapBnd is exactly the keep list");
        is_int((uint64_t)res.v[1], keep.keep & bnd0, "CapEff is exactly the keep list");
        is_int((uint64_t)res.v[2], keep.keep & bnd0, "CapPrm is exactly the keep list");
}

/* ---- seccomp: profile parser -------------------------------------------------------------- */

static void check_rule(const SeccompPlan *p, size_t i, const char *name, int errno_value)
{
        if (i >= p->n_rules) {
                ok(false, "rule %zu exists", i);
                return;
        }
        is_str(p->rules[i].syscall, name, "rule %zu is '%s'", i, name);
        is_int(p->rules[i].errno_value, errno_value, "rule %zu action", i);
}

static void test_seccomp_parse_valid(void)
{
        SeccompPlan p = {};
        BerthError *e = NULL;

        static const char text[] = "# berth seccomp profile\n"
                                   "\n"
                                   "keyctl\n"
                                   "  getpriority errno EACCES   # trailing comment\n"
                                   "\tsetpriority\terrno\t13\r\n"
                                   "mount errno eperm\n"
                                   "umount2 errno ENOSYS\n"
                                   "reboot kill\n"
                                   "   # indented comment with \x01 control characters\n"
                                   "vm86 errno 4095\n"
                                   "ptrace errno 1";
        is_int(seccomp_profile_parse(text, strlen(text), "t.profile", &p, &e), 0,
               "valid profile parses");
        ok(!e, "no error object");
        ok(p.enabled, "parsed plan is enabled");
        is_int(p.n_rules, 8, "8 rules");
        check_rule(&p, 0, "keyctl", EPERM);
        check_rule(&p, 1, "getpriority", EACCES);
        check_rule(&p, 2, "setpriority", 13);
        check_rule(&p, 3, "mount", EPERM);
        check_rule(&p, 4, "umount2", ENOSYS);
        check_rule(&p, 5, "reboot", 0);
        check_rule(&p, 6, "vm86", 4095);
        check_rule(&p, 7, "ptrace", 1);
        seccomp_plan_done(&p);
        ok(!p.rules && p.n_rules == 0 && !p.enabled, "done resets the plan");
        seccomp_plan_done(&p);
        seccomp_plan_done(NULL);
        ok(true, "done is idempotent and NULL-safe");

        /* Nothing but comments: a filter with no rules. */
        is_int(seccomp_profile_parse("# nothing\n\n", 11, "t", &p, &e), 0, "comment-only profile");
        ok(p.enabled && p.n_rules == 0, "comment-only profile: enabled, no rules");
        seccomp_plan_done(&p);
        is_int(seccomp_profile_parse(NULL, 0, "t", &p, &e), 0, "empty profile");
        ok(p.enabled && p.n_rules == 0, "empty profile: enabled, no rules");
        seccomp_plan_done(&p);

        /* Only len counts: text past it is not read. */
        is_int(seccomp_profile_parse("keyctl\nbogus line here", 6, "t", &p, &e), 0,
               "parser stops at len");
        is_int(p.n_rules, 1, "one rule before len");
        seccomp_plan_done(&p);

        /* A NUL in a comment is fine. */
        static const char nul_comment[] = "keyctl # a\0b\nbpf\n";
        is_int(seccomp_profile_parse(nul_comment, sizeof(nul_comment) - 1, "t", &p, &e), 0,
               "NUL inside a comment is ignored");
        is_int(p.n_rules, 2, "both rules around the commented NUL");
        seccomp_plan_done(&p);

        /* Conditions on arguments. */
        static const char cond[] = "ioctl arg1&0xffffffff==0x5412\n"
                                   "ioctl errno EPERM arg1&0xFFFFFFFF==21532 arg0!=3\n"
                                   "personality kill arg0==0xffffffffffffffff\n"
                                   "socket errno EACCES arg0==16 arg2==0\n";
        is_int(seccomp_profile_parse(cond, strlen(cond), "c", &p, &e), 0, "conditions parse");
        is_int(p.n_rules, 4, "4 conditional rules");
        if (p.n_rules == 4) {
                const SeccompRule *r = p.rules;
                ok(r[0].n_args == 1 && r[0].args[0].index == 1 &&
                           r[0].args[0].cmp == SECCOMP_CMP_MASKED_EQ &&
                           r[0].args[0].mask == 0xffffffffU && r[0].args[0].value == 0x5412 &&
                           r[0].errno_value == EPERM,
                   "arg1&0xffffffff==0x5412");
                ok(r[1].n_args == 2 && r[1].args[0].value == 21532 &&
                           r[1].args[1].index == 0 && r[1].args[1].cmp == SECCOMP_CMP_NE &&
                           r[1].args[1].value == 3,
                   "decimal value and a second condition");
                ok(r[2].errno_value == 0 && r[2].n_args == 1 &&
                           r[2].args[0].cmp == SECCOMP_CMP_EQ &&
                           r[2].args[0].value == UINT64_MAX,
                   "kill with a 64-bit value");
                ok(r[3].errno_value == EACCES && r[3].n_args == 2 && r[3].args[1].index == 2,
                   "errno with two conditions");
        }
        seccomp_plan_done(&p);

        /* The built-in default is a profile like any other. */
        is_int(seccomp_profile_parse(seccomp_default_profile, strlen(seccomp_default_profile),
                                     "default", &p, &e),
               0, "the default profile parses (%s)", e ? e->message : "");
        seccomp_plan_done(&p);

        /* A syscall only some other architecture has is accepted. */
        is_int(seccomp_profile_parse("vm86old\n", 8, "t", &p, &e), 0, "i386-only syscall accepted");
        seccomp_plan_done(&p);
        ok(!e, "still no error object");
}

static void test_seccomp_parse_invalid(void)
{
        static const struct {
                const char *text;
                int err;
                const char *message;
        } cases[] = {
                {"keyctl\n\ngetpriority errno EFOO\n", -EINVAL, "p:3: unknown errno 'EFOO'"},
                {"keyctl errno\n", -EINVAL, "p:1: 'errno' needs a name or number"},
                {"keyctl errno 0\n", -EINVAL, "p:1: errno '0' not in 1..4095"},
                {"keyctl errno 4096\n", -EINVAL, "p:1: errno '4096' not in 1..4095"},
                {"keyctl errno 99999999999999999999999\n", -EINVAL,
                 "p:1: errno '99999999999999999999999' not in 1..4095"},
                {"keyctl errno -1\n", -EINVAL, "p:1: unknown errno '-1'"},
                {"keyctl errno 12abc\n", -EINVAL, "p:1: unknown errno '12abc'"},
                {"keyctl errno EPERMEPERMEPERMEPERMEPERMEPERMEPERM\n", -EINVAL,
                 "p:1: unknown errno 'EPERMEPERMEPERMEPERMEPERMEPERMEPERM'"},
                {"keyctl errno EPERM extra\n", -EINVAL, "p:1: unexpected 'extra'"},
                {"keyctl kill now\n", -EINVAL, "p:1: unexpected 'now' after 'kill'"},
                {"keyctl deny\n", -EINVAL,
                 "p:1: unknown action 'deny' (expected 'errno' or 'kill')"},
                {"keyctl Kill\n", -EINVAL,
                 "p:1: unknown action 'Kill' (expected 'errno' or 'kill')"},
                {"Keyctl\n", -EINVAL, "p:1: invalid syscall name 'Keyctl'"},
                {"open-at\n", -EINVAL, "p:1: invalid syscall name 'open-at'"},
                {"keyctl\xc3\xa9\n", -EINVAL, "p:1: invalid syscall name 'keyctl\xc3\xa9'"},
                {"getpriorty\n", -EINVAL, "p:1: unknown syscall 'getpriorty'"},
                {"x"
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                 "\n",
                 -EINVAL,
                 "p:1: syscall name 'xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' longer than 64 "
                 "characters"},
                {"keyctl\nbpf\n# c\nkeyctl errno EACCES\n", -EINVAL,
                 "p:4: duplicate syscall 'keyctl' (first on line 1)"},
                {"ioctl arg1==1\nioctl arg1==1\n", -EINVAL,
                 "p:2: duplicate syscall 'ioctl' (first on line 1)"},
                {"ioctl arg1==1\nioctl\n", -EINVAL,
                 "p:2: duplicate syscall 'ioctl' (first on line 1)"},
                {"ioctl\nioctl arg1==2\n", -EINVAL,
                 "p:2: duplicate syscall 'ioctl' (first on line 1)"},
                {"ioctl arg1==1\nioctl kill arg1==2\n", -EINVAL,
                 "p:2: another action for 'ioctl' than on line 1"},
                {"ioctl arg1==1 arg1==2\n", -EINVAL, "p:1: two conditions on arg1"},
                {"ioctl arg6==1\n", -EINVAL,
                 "p:1: invalid condition 'arg6==1' (expected argN==V, argN!=V or argN&M==V, N "
                 "0..5)"},
                {"ioctl arg1=1\n", -EINVAL,
                 "p:1: invalid condition 'arg1=1' (expected argN==V, argN!=V or argN&M==V, N "
                 "0..5)"},
                {"ioctl arg1==0x\n", -EINVAL,
                 "p:1: invalid condition 'arg1==0x' (expected argN==V, argN!=V or argN&M==V, N "
                 "0..5)"},
                {"ioctl arg1==18446744073709551616\n", -EINVAL,
                 "p:1: invalid condition 'arg1==18446744073709551616' (expected argN==V, "
                 "argN!=V or argN&M==V, N 0..5)"},
                {"ioctl arg1&==1\n", -EINVAL,
                 "p:1: invalid condition 'arg1&==1' (expected argN==V, argN!=V or argN&M==V, N "
                 "0..5)"},
                {"ioctl arg1&0xff==0x5412\n", -EINVAL,
                 "p:1: condition 'arg1&0xff==0x5412' can never hold: the value has bits the "
                 "mask clears"},
                {"ioctl errno EPERM arg1==1 junk\n", -EINVAL, "p:1: unexpected 'junk'"},
                {"ioctl errno EPERM arg0==1 arg1==1 arg2==1 arg3==1 arg4==1 arg5==1 x\n",
                 -EINVAL, "p:1: unexpected 'x'"},
                {"ioctl arg0==1 arg1==1 arg2==1 arg3==1 arg4==1 arg5==1 arg0==2\n", -EINVAL,
                 "p:1: two conditions on arg0"},
                {"keyctl\x1b[31m\n", -EINVAL, "p:1: invalid character 0x1b"},
                {"key\0ctl\n", -EINVAL, "p:1: invalid character 0x00"},
                {"keyctl errno EP\x7fRM\n", -EINVAL, "p:1: invalid character 0x7f"},
        };
        static const size_t lens[] = {[33] = 8}; /* the case with an embedded NUL */

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                SeccompPlan p = {.n_rules = 77};
                BerthError *e = NULL;
                size_t len = i < ELEMENTSOF(lens) && lens[i] ? lens[i] : strlen(cases[i].text);

                is_int(seccomp_profile_parse(cases[i].text, len, "p", &p, &e), cases[i].err,
                       "invalid profile %zu refused", i);
                is_str(e ? e->message : NULL, cases[i].message, "message for profile %zu", i);
                is_int(p.n_rules, 77, "plan untouched on error (%zu)", i);
                berth_error_free(e);
        }

        /* The size cap. */
        size_t big = 1024 * 1024 + 1;
        _cleanup_free_ char *text = xmalloc(big);
        memset(text, '#', big);
        SeccompPlan p = {};
        BerthError *e = NULL;
        is_int(seccomp_profile_parse(text, big, "big", &p, &e), -EFBIG, "profile over 1 MiB");
        is_str(e ? e->message : NULL, "big: larger than 1048576 bytes", "size cap message");
        e = berth_error_free(e);
        is_int(seccomp_profile_parse(text, big - 1, "big", &p, &e), 0, "profile of exactly 1 MiB");
        seccomp_plan_done(&p);

        /* No filename: a generic label, still a line number. */
        is_int(seccomp_profile_parse("bogus_call\n", 11, NULL, &p, &e), -EINVAL, "no filename");
        is_str(e ? e->message : NULL, "seccomp profile:1: unknown syscall 'bogus_call'",
               "generic label without a filename");
        e = berth_error_free(e);

        /* A very long line is quoted only in part. */
        _cleanup_free_ char *lng = xmalloc(5000);
        memcpy(lng, "keyctl ", 7);
        memset(lng + 7, 'z', 5000 - 7);
        is_int(seccomp_profile_parse(lng, 5000, "p", &p, &e), -EINVAL, "long action refused");
        ok(e && strlen(e->message) < 200, "message quotes a bounded part of the line");
        e = berth_error_free(e);
}

/* ---- seccomp: plan from config ------------------------------------------------------------ */

static bool plan_has(const SeccompPlan *p, const char *name, int errno_value)
{
        for (size_t i = 0; i < p->n_rules; i++)
                if (streq(p->rules[i].syscall, name))
                        return p->rules[i].errno_value == errno_value;
        return false;
}

static void test_seccomp_plan_build(const char *tmpdir)
{
        SeccompPlan p = {};
        BerthError *e = NULL;
        BerthConfig c = {};

        is_int(seccomp_plan_build(NULL, &p, &e), 0, "seccomp plan without config");
        ok(p.enabled, "default plan enabled");
        is_int(p.n_rules, 31, "default plan has 31 rules");
        ok(plan_has(&p, "keyctl", EPERM), "default plan denies keyctl with EPERM");
        ok(plan_has(&p, "kexec_load", EPERM), "default plan denies kexec_load");
        ok(plan_has(&p, "open_by_handle_at", EPERM), "default plan denies open_by_handle_at");
        ok(plan_has(&p, "vm86old", EPERM), "default plan denies vm86old");
        ok(!plan_has(&p, "personality", EPERM), "personality is allowed");
        ok(plan_has(&p, "userfaultfd", EPERM), "default plan denies userfaultfd");
        ok(plan_has(&p, "clock_settime64", EPERM), "and the i386 entry's clock_settime64");
        size_t n_ioctl = 0;
        for (size_t i = 0; i < p.n_rules; i++) {
                const SeccompRule *r = &p.rules[i];
                if (!streq(r->syscall, "ioctl"))
                        continue;
                n_ioctl++;
                /* The kernel reads the request as 32 bits: only those may be compared. */
                ok(r->n_args == 1 && r->args[0].index == 1 &&
                           r->args[0].cmp == SECCOMP_CMP_MASKED_EQ &&
                           r->args[0].mask == 0xffffffffU &&
                           (r->args[0].value == TIOCSTI || r->args[0].value == TIOCLINUX),
                   "default ioctl rule %zu: the low 32 bits of arg1 are TIOCSTI or TIOCLINUX", i);
        }
        is_int(n_ioctl, 2, "two ioctl rules (TIOCSTI, TIOCLINUX)");
        bool all_eperm = true;
        for (size_t i = 0; i < p.n_rules; i++)
                all_eperm = all_eperm && p.rules[i].errno_value == EPERM;
        ok(all_eperm, "every default rule fails with EPERM");
        seccomp_plan_done(&p);

        c.seccomp = "default";
        is_int(seccomp_plan_build(&c, &p, &e), 0, "seccomp 'default'");
        ok(p.enabled && p.n_rules == 31, "'default' is the built-in list");
        seccomp_plan_done(&p);

        c.seccomp = "unconfined";
        p.n_rules = 5;
        is_int(seccomp_plan_build(&c, &p, &e), 0, "seccomp 'unconfined'");
        ok(!p.enabled && p.n_rules == 0 && !p.rules, "'unconfined' disables the filter");
        seccomp_plan_done(&p);

        _cleanup_free_ char *path = path_join(tmpdir, "test.profile");
        is_int(write_file_atomic_at(AT_FDCWD, path, "bpf\ngetpriority errno EACCES\n", 29, 0644), 0,
               "write a profile file");
        c.seccomp = path;
        is_int(seccomp_plan_build(&c, &p, &e), 0, "seccomp from a path");
        is_int(p.n_rules, 2, "profile file rules");
        ok(plan_has(&p, "getpriority", EACCES), "profile file rule read");
        seccomp_plan_done(&p);

        _cleanup_free_ char *bad = path_join(tmpdir, "bad.profile");
        is_int(write_file_atomic_at(AT_FDCWD, bad, "bpf\nbpf kill\n", 13, 0644), 0,
               "write a broken profile file");
        c.seccomp = bad;
        is_int(seccomp_plan_build(&c, &p, &e), -EINVAL, "broken profile file refused");
        _cleanup_free_ char *want =
                xasprintf("%s:2: duplicate syscall 'bpf' (first on line 1)", bad);
        is_str(e ? e->message : NULL, want, "broken profile message has path and line");
        e = berth_error_free(e);

        _cleanup_free_ char *missing = path_join(tmpdir, "missing.profile");
        c.seccomp = missing;
        is_int(seccomp_plan_build(&c, &p, &e), -ENOENT, "missing profile file");
        _cleanup_free_ char *want2 =
                xasprintf("read seccomp profile '%s': %s", missing, strerror(ENOENT));
        is_str(e ? e->message : NULL, want2, "missing profile message");
        e = berth_error_free(e);

        _cleanup_free_ char *huge = path_join(tmpdir, "huge.profile");
        size_t n = 1024 * 1024 + 1;
        _cleanup_free_ char *text = xmalloc(n);
        memset(text, '\n', n);
        is_int(write_file_atomic_at(AT_FDCWD, huge, text, n, 0644), 0, "write a huge profile");
        c.seccomp = huge;
        is_int(seccomp_plan_build(&c, &p, &e), -EFBIG, "huge profile file refused");
        _cleanup_free_ char *want3 =
                xasprintf("read seccomp profile '%s': larger than 1048576 bytes", huge);
        is_str(e ? e->message : NULL, want3, "huge profile message");
        e = berth_error_free(e);

        static const char *const bad_values[] = {"relative.profile", "", "Default", "./x",
                                                 "unconfined "};
        for (size_t i = 0; i < ELEMENTSOF(bad_values); i++) {
                c.seccomp = (char *)bad_values[i];
                is_int(seccomp_plan_build(&c, &p, &e), -EINVAL, "seccomp '%s' refused",
                       bad_values[i]);
                _cleanup_free_ char *w = xasprintf(
                        "seccomp profile '%s': not 'default', 'unconfined' or an absolute path",
                        bad_values[i]);
                is_str(e ? e->message : NULL, w, "message for seccomp '%s'", bad_values[i]);
                ok(!p.enabled && !p.rules, "plan empty after error");
                e = berth_error_free(e);
        }
}

/* ---- seccomp: apply ----------------------------------------------------------------------- */

static long i386_syscall(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
        return r;
#else
        return -ENOSYS;
#endif
}

static void child_i386_probe(const void *arg, ChildResult *res)
{
        res->v[0] = i386_syscall(20 /* getpid */, 0, 0, 0);
        res->v[1] = getpid();
        res->v[2] = i386_syscall(166 /* vm86 */, 0, 0, 0);
}

static void child_seccomp_profile(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(seccomp_plan_done) SeccompPlan p = {};
        const char *text = arg;

        res->r = seccomp_profile_parse(text, strlen(text), "child", &p, &e);
        if (res->r >= 0)
                res->r = seccomp_plan_apply(&p, &e);
        set_msg(res, e);
        errno = 0;
        res->v[0] = syscall(SYS_getpriority, PRIO_PROCESS, 0);
        res->v[1] = errno;
        res->v[2] = syscall(SYS_getpid) == getpid();
        res->v[3] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        res->v[4] = (long)status_hex("Seccomp");
}

static void child_seccomp_default(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(seccomp_plan_done) SeccompPlan p = {};

        res->r = seccomp_plan_build(NULL, &p, &e);
        if (res->r >= 0)
                res->r = seccomp_plan_apply(&p, &e);
        set_msg(res, e);
        errno = 0;
        res->v[0] = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
        res->v[1] = errno;
        errno = 0;
        res->v[2] = syscall(SYS_getpriority, PRIO_PROCESS, 0);
        if (arg) {
                /* The i386 entry point: keyctl is 288 there, vm86 166. */
                res->v[3] = i386_syscall(288, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
                res->v[4] = i386_syscall(166, 0, 0, 0);
        }
}

/* x32 numbers are x86_64's with this bit set. */
#define X32_SYSCALL_BIT 0x40000000L

/* Terminal injection, userfaultfd and the other entry points, with the default profile (arg
 * non-NULL) or without a filter (the baseline that shows what the kernel would do). Results
 * are errno values (0: it worked); the i386 ones are the raw -errno. */
static void child_seccomp_tty(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(seccomp_plan_done) SeccompPlan p = {};
        int master, slave;

        res->r = 0;
        if (openpty(&master, &slave, NULL, NULL, NULL) < 0) {
                res->r = -errno;
                return;
        }
        /* Raw, so FIONREAD counts what was pushed without waiting for a newline. */
        struct termios t;
        if (tcgetattr(slave, &t) == 0) {
                cfmakeraw(&t);
                (void)tcsetattr(slave, TCSANOW, &t);
        }
        /* Our controlling terminal: TIOCSTI needs no privilege then. */
        (void)setsid();
        (void)ioctl(slave, TIOCSCTTY, 0);
        if (arg) {
                res->r = seccomp_plan_build(NULL, &p, &e);
                if (res->r >= 0)
                        res->r = seccomp_plan_apply(&p, &e);
                set_msg(res, e);
                if (res->r < 0)
                        return;
        }
        char c = 'x', sub = 12 /* TIOCL_GETSHIFTSTATE */;
        struct winsize ws;
        res->v[0] = ioctl(slave, TIOCSTI, &c) < 0 ? errno : 0;
        /* What the kernel truncates to TIOCSTI. */
        res->v[1] = syscall(SYS_ioctl, slave, 0x100005412UL, &c) < 0 ? errno : 0;
        res->v[2] = ioctl(slave, TIOCLINUX, &sub) < 0 ? errno : 0;
        res->v[3] = ioctl(slave, TIOCGWINSZ, &ws) < 0 ? errno : 0;
        /* The i386 entry takes 32-bit pointers. */
        char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                         -1, 0);
        if (low != MAP_FAILED) {
                low[0] = 'y';
                low[1] = 12;
                res->v[4] = i386_syscall(54 /* ioctl */, slave, TIOCSTI, (long)low);
                res->v[5] = i386_syscall(54, slave, TIOCLINUX, (long)(low + 1));
        } else
                res->v[4] = res->v[5] = -ENOMEM;
        long fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
        res->v[6] = fd < 0 ? errno : 0;
        if (fd >= 0)
                close((int)fd);
        fd = i386_syscall(374 /* userfaultfd */, O_CLOEXEC | UFFD_USER_MODE_ONLY, 0, 0);
        res->v[7] = fd < 0 ? fd : 0;
        if (fd >= 0)
                close((int)fd);
        res->v[8] = syscall(X32_SYSCALL_BIT | SYS_keyctl, KEYCTL_GET_KEYRING_ID,
                            KEY_SPEC_SESSION_KEYRING, 0) < 0
                            ? errno
                            : 0;
        int queued = 0;
        (void)ioctl(slave, FIONREAD, &queued);
        res->v[9] = queued;
}

static void test_seccomp_tty(bool i386)
{
        ChildResult base, res;

        int status = run_child(child_seccomp_tty, NULL, &base);
        if (status != 0 || base.r < 0) {
                for (int i = 0; i < 12; i++)
                        skip("no pty for the terminal checks");
                return;
        }
        status = run_child(child_seccomp_tty, "", &res);
        is_int(status, 0, "tty seccomp child exited cleanly");
        is_int(res.r, 0, "default profile applied (%s)", res.msg);

        /* Without a filter TIOCSTI works on one's own terminal (unless the kernel's
         * dev.tty.legacy_tiocsti is 0), and 0x100005412 is TIOCSTI to the kernel. */
        if (base.v[0] == 0 && base.v[1] == 0) {
                ok(base.v[9] >= 2, "baseline: both TIOCSTI calls queued input (%ld bytes)",
                   base.v[9]);
                is_int(res.v[0], EPERM, "TIOCSTI fails with EPERM under the default profile");
                is_int(res.v[1], EPERM, "0x100005412 (TIOCSTI in the low 32 bits) fails too");
                is_int(res.v[9], 0, "nothing was queued under the filter");
        } else {
                skip("TIOCSTI refused without a filter (dev.tty.legacy_tiocsti=0?)");
                skip("TIOCSTI refused without a filter");
                skip("TIOCSTI refused without a filter");
                skip("TIOCSTI refused without a filter");
        }
        /* A pty is no virtual console: unfiltered TIOCLINUX is EINVAL, so EPERM is the filter. */
        ok(base.v[2] != EPERM && res.v[2] == EPERM,
           "TIOCLINUX fails with EPERM under the default profile (unfiltered: %ld)", base.v[2]);
        ok(base.v[3] == 0 && res.v[3] == 0, "other tty ioctls (TIOCGWINSZ) still work");
        if (i386 && base.v[4] == 0) {
                is_int(res.v[4], -EPERM, "i386 ioctl(TIOCSTI) fails with EPERM");
                is_int(res.v[5], -EPERM, "i386 ioctl(TIOCLINUX) fails with EPERM");
        } else {
                skip("no i386 entry, or TIOCSTI refused without a filter");
                skip("no i386 entry");
        }
        if (base.v[6] == 0)
                is_int(res.v[6], EPERM, "userfaultfd fails with EPERM under the default profile");
        else
                skip("userfaultfd refused without a filter already");
        if (i386 && base.v[7] == 0)
                is_int(res.v[7], -EPERM, "i386 userfaultfd fails with EPERM");
        else
                skip("no i386 entry, or userfaultfd refused without a filter");
        /* The filter covers x32 numbers whether or not the kernel has that ABI (without it,
         * the unfiltered call is ENOSYS). */
        is_int(res.v[8], EPERM, "x32 keyctl fails with EPERM (unfiltered: %s)",
               base.v[8] ? strerror((int)base.v[8]) : "works");
}

static void child_seccomp_kill(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(seccomp_plan_done) SeccompPlan p = {};

        res->r = seccomp_profile_parse("getppid kill\n", 13, "k", &p, &e);
        if (res->r >= 0)
                res->r = seccomp_plan_apply(&p, &e);
        set_msg(res, e);
        if (res->r < 0)
                return; /* reported, then a clean exit: the parent sees no SIGSYS */
        (void)syscall(SYS_getppid);
}

static void child_seccomp_nnp_fallback(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(seccomp_plan_done) SeccompPlan p = {};

        res->v[5] = drop_effective_cap(CAP_SYS_ADMIN);
        res->v[6] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        res->r = seccomp_profile_parse("getpriority errno EACCES\n", 25, "f", &p, &e);
        if (res->r >= 0)
                res->r = seccomp_plan_apply(&p, &e);
        set_msg(res, e);
        errno = 0;
        res->v[0] = syscall(SYS_getpriority, PRIO_PROCESS, 0);
        res->v[1] = errno;
        res->v[3] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
}

static void child_seccomp_disabled(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        SeccompPlan off = {};
        res->r = seccomp_plan_apply(&off, &e);
        res->v[0] = seccomp_plan_apply(NULL, &e);
        res->v[1] = (long)status_hex("Seccomp");
        /* A hand-made plan naming a call no architecture has: skipped, not an error. */
        SeccompRule rules[] = {{"no_such_call_anywhere", EPERM}, {"getpriority", EACCES}};
        SeccompPlan p = {.enabled = true, .rules = rules, .n_rules = 2};
        res->v[2] = seccomp_plan_apply(&p, &e);
        set_msg(res, e);
        errno = 0;
        res->v[3] = syscall(SYS_getpriority, PRIO_PROCESS, 0);
        res->v[4] = errno;
}

static void child_seccomp_load_fails(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        _cleanup_(seccomp_plan_done) SeccompPlan p1 = {};
        _cleanup_(seccomp_plan_done) SeccompPlan p2 = {};

        /* The first filter forbids installing another one. */
        res->v[0] = seccomp_profile_parse("seccomp errno EPERM\nprctl errno EPERM\n", 38, "a", &p1,
                                          NULL);
        if (res->v[0] >= 0)
                res->v[0] = seccomp_plan_apply(&p1, NULL);
        res->r = seccomp_plan_build(NULL, &p2, &e);
        if (res->r >= 0)
                res->r = seccomp_plan_apply(&p2, &e);
        set_msg(res, e);
}

static void test_seccomp_apply(void)
{
        ChildResult res;
        int status;

        /* Baselines: without a filter these calls succeed, so EPERM/EACCES below is the filter. */
        errno = 0;
        long prio = syscall(SYS_getpriority, PRIO_PROCESS, 0);
        ok(prio > 0, "unfiltered getpriority succeeds (%ld)", prio);
        /* An outer filter (a CI container's) may deny keyctl already; then EPERM proves
         * nothing and those checks are skipped. */
        long key = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
        bool key_ok = key > 0;

        /* The no_new_privs checks mean something only if this test does not have it already. */
        bool nnp0 = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0;
        bool root_admin = have_effective_cap(CAP_SYS_ADMIN) && nnp0;

        status = run_child(child_seccomp_profile, "getpriority errno EACCES\n", &res);
        is_int(status, 0, "seccomp child exited cleanly");
        is_int(res.r, 0, "profile applied (%s)", res.msg);
        is_int(res.v[0], -1, "getpriority fails under the filter");
        is_int(res.v[1], EACCES, "with EACCES");
        is_int(res.v[2], 1, "getpid still works");
        is_int(res.v[4], 2, "the child is in seccomp filter mode");
        if (root_admin)
                is_int(res.v[3], 0, "no_new_privs not set when loading with CAP_SYS_ADMIN");
        else
                skip("no_new_privs check needs CAP_SYS_ADMIN");

        /* Is the i386 entry point usable here (not under valgrind, IA32 emulation built in)? */
        status = run_child(child_i386_probe, NULL, &res);
        bool i386 = status == 0 && res.v[0] == res.v[1];
        long vm86_unfiltered = res.v[2];

        status = run_child(child_seccomp_default, i386 ? "" : NULL, &res);
        is_int(status, 0, "default seccomp child exited cleanly");
        is_int(res.r, 0, "default list applied (%s)", res.msg);
        if (key_ok) {
                is_int(res.v[0], -1, "keyctl fails under the default list");
                is_int(res.v[1], EPERM, "with EPERM");
        } else {
                skip("keyctl is denied outside the filter already");
                skip("keyctl is denied outside the filter already");
        }
        ok(res.v[2] > 0, "getpriority still works under the default list");
        if (i386 && key_ok)
                is_int(res.v[3], -EPERM, "i386 keyctl fails with EPERM too");
        else
                skip("the i386 syscall entry is not usable here, or keyctl is denied already");
        if (i386 && vm86_unfiltered != -EPERM)
                is_int(res.v[4], -EPERM, "i386 vm86 (a call x86_64 lacks) fails with EPERM");
        else
                skip("the i386 syscall entry is not usable here");

        test_seccomp_tty(i386);

        status = run_child(child_seccomp_kill, NULL, &res);
        ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
           "kill rule kills with SIGSYS (wait status 0x%x%s%s)", (unsigned)status,
           res.msg[0] ? ", " : "", res.msg);

        status = run_child(child_seccomp_nnp_fallback, NULL, &res);
        is_int(res.v[5], 0, "CAP_SYS_ADMIN dropped from the child's effective set");
        if (nnp0)
                is_int(res.v[6], 0, "no_new_privs not set before apply");
        else
                skip("this test runs with no_new_privs already");
        is_int(res.r, 0, "filter loads without CAP_SYS_ADMIN (%s)", res.msg);
        is_int(res.v[3], 1, "by falling back to no_new_privs");
        ok(res.v[0] == -1 && res.v[1] == EACCES, "and the filter works");

        status = run_child(child_seccomp_disabled, NULL, &res);
        is_int(res.r, 0, "disabled plan applies as a no-op");
        is_int(res.v[0], 0, "NULL plan applies as a no-op");
        is_int(res.v[1], 0, "no filter installed for a disabled plan");
        is_int(res.v[2], 0, "unknown syscall names are skipped (%s)", res.msg);
        ok(res.v[3] == -1 && res.v[4] == EACCES, "the rest of the plan still applies");

        status = run_child(child_seccomp_load_fails, NULL, &res);
        is_int(res.v[0], 0, "first filter applied");
        is_int(res.r, -EPERM, "second load refused");
        like(res.msg, "load seccomp filter: ", "load failure message");
}

/* ---- LSM ---------------------------------------------------------------------------------- */

static void child_apparmor_exec(const void *arg, ChildResult *res)
{
        _cleanup_(berth_error_freep) BerthError *e = NULL;
        res->r = lsm_apparmor_ops.exec_profile(arg, &e);
        set_msg(res, e);
        if (e)
                res->v[0] = e->code;
}

static void test_lsm(const char *tmpdir)
{
        BerthError *e = NULL;
        const char *notice = "unset";
        BerthConfig c = {};

        is_str(lsm_none_ops.name, "none", "none backend name");
        ok(lsm_none_ops.enabled("/nonexistent"), "none backend is always enabled");
        is_int(lsm_none_ops.exec_profile("berth-default", &e), 0, "none exec_profile succeeds");
        is_int(lsm_none_ops.exec_profile(NULL, &e), 0, "none exec_profile(NULL) succeeds");
        ok(!e, "none exec_profile sets no error");
        is_str(lsm_apparmor_ops.name, "apparmor", "apparmor backend name");

        _cleanup_free_ char *root = path_join(tmpdir, "securityfs");
        _cleanup_free_ char *aa = path_join(root, "apparmor");
        _cleanup_free_ char *profiles = path_join(aa, "profiles");
        is_int(mkdir(root, 0755), 0, "fake securityfs");

        /* No apparmor/: none, with a notice. */
        ok(lsm_detect(root, NULL, &notice) == &lsm_none_ops, "no apparmor dir: none");
#ifdef HAVE_APPARMOR
        const char *why = "not enabled in this kernel";
#else
        const char *why = "not supported by this build of berth";
#endif
        _cleanup_free_ char *want_default =
                xasprintf("apparmor: %s, skipping the default profile 'berth-default'", why);
        is_str(notice, want_default, "notice for the default profile");
        notice = "unset";
        ok(lsm_detect(root, &c, &notice) == &lsm_none_ops, "empty config: none");
        is_str(notice, want_default, "empty config: default profile notice");

        c.apparmor = "myprofile";
        ok(lsm_detect(root, &c, &notice) == &lsm_none_ops, "profile asked, no apparmor: none");
        _cleanup_free_ char *want_named =
                xasprintf("apparmor: %s, profile 'myprofile' not applied", why);
        is_str(notice, want_named, "notice names the profile");

        c.apparmor = "unconfined";
        ok(lsm_detect(root, &c, &notice) == &lsm_none_ops, "unconfined: none");
        ok(notice == NULL, "unconfined: no notice");

        char long_name[1000];
        memset(long_name, 'p', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        c.apparmor = long_name;
        ok(lsm_detect(root, &c, &notice) == &lsm_none_ops, "long profile name: none");
        ok(notice && strlen(notice) < 320 && strstr(notice, "profile 'ppp"),
           "long profile name: bounded notice");
        ok(lsm_detect(root, &c, NULL) == &lsm_none_ops, "notice pointer is optional");

        /* apparmor as a file, as an empty dir, then with its policy list. */
        is_int(write_file_atomic_at(AT_FDCWD, aa, "", 0, 0644), 0, "fake apparmor file");
        c.apparmor = NULL;
        ok(lsm_detect(root, &c, &notice) == &lsm_none_ops, "apparmor as a file: none");
        ok(!lsm_apparmor_ops.enabled(root), "apparmor as a file: not enabled");
        is_int(unlink(aa), 0, "remove fake apparmor file");

        is_int(mkdir(aa, 0755), 0, "fake apparmor dir");
        ok(lsm_detect(root, &c, &notice) == &lsm_none_ops, "apparmor without profiles: none");
        ok(!lsm_apparmor_ops.enabled(root), "apparmor without profiles: not enabled");
        is_str(notice, want_default, "apparmor without profiles: notice");

        is_int(write_file_atomic_at(AT_FDCWD, profiles, "", 0, 0444), 0, "fake profiles file");
#ifdef HAVE_APPARMOR
        notice = "unset";
        ok(lsm_apparmor_ops.enabled(root), "apparmor with profiles: enabled");
        ok(lsm_detect(root, &c, &notice) == &lsm_apparmor_ops, "apparmor with profiles: apparmor");
        ok(notice == NULL, "apparmor chosen: no notice");
        c.apparmor = "myprofile";
        ok(lsm_detect(root, &c, &notice) == &lsm_apparmor_ops, "named profile: apparmor");
        ok(notice == NULL, "named profile: no notice");
#else
        ok(!lsm_apparmor_ops.enabled(root), "apparmor compiled out: never enabled");
        ok(lsm_detect(root, &c, &notice) == &lsm_none_ops, "apparmor compiled out: none");
        is_str(notice, want_default, "apparmor compiled out: notice says so");
        skip("apparmor compiled out");
        skip("apparmor compiled out");
#endif
        c.apparmor = "unconfined";
        ok(lsm_detect(root, &c, &notice) == &lsm_none_ops, "unconfined wins over apparmor");
        ok(notice == NULL, "unconfined with apparmor: no notice");

        (void)unlink(profiles);
        (void)rmdir(aa);
        (void)rmdir(root);

        /* The real securityfs of this host. */
        if (access("/sys/kernel/security/apparmor", F_OK) < 0 &&
            access("/sys/module/apparmor", F_OK) < 0) {
                ok(lsm_detect(LSM_SECURITYFS_ROOT, NULL, &notice) == &lsm_none_ops,
                   "host without apparmor: none");
                is_str(notice, want_default, "host without apparmor: notice");
                ok(lsm_detect(NULL, NULL, &notice) == &lsm_none_ops, "NULL root: the host's");

                /* exec_profile against a kernel without AppArmor: a clear error. In a child, so
                 * a surprise success cannot confine this test's later execs. */
                ChildResult res;
                run_child(child_apparmor_exec, NULL, &res);
                ok(res.r < 0, "apparmor exec_profile fails without apparmor");
#ifdef HAVE_APPARMOR
                like(res.msg, "set apparmor exec profile 'berth-default': ",
                     "message names the default profile");
#else
                is_int(res.r, -EOPNOTSUPP, "compiled out: EOPNOTSUPP");
                like(res.msg, "set apparmor exec profile 'berth-default': ",
                     "message names the default profile");
#endif
                run_child(child_apparmor_exec, "other", &res);
                like(res.msg, "set apparmor exec profile 'other': ", "message names the profile");
        } else {
                for (int i = 0; i < 6; i++)
                        skip("this host has apparmor");
        }

        ChildResult res;
        run_child(child_apparmor_exec, "unconfined", &res);
        is_int(res.r, 0, "apparmor exec_profile('unconfined') is a no-op");
}

int main(void)
{
        char tmpdir[] = "/tmp/test-security-XXXXXX";
        if (!mkdtemp(tmpdir)) {
                printf("Bail out! mkdtemp: %s\n", strerror(errno));
                return 1;
        }

        test_caps_plan();
        test_caps_apply();
        test_seccomp_parse_valid();
        test_seccomp_parse_invalid();
        test_seccomp_plan_build(tmpdir);
        test_seccomp_apply();
        test_lsm(tmpdir);

        (void)rm_rf_at(AT_FDCWD, tmpdir);
        return tap_done();
}
