/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Seccomp: the plan is a list of (syscall name, errno or kill), from the built-in deny list or a
 * profile file; applying it compiles an allow-by-default filter with libseccomp and loads it. */
#include <fcntl.h>
#include <seccomp.h>
#include <string.h>
#include <strings.h>

#include "fileio.h"
#include "log.h"
#include "parse.h"
#include "path-util.h"
#include "security.h"

#define SECCOMP_PROFILE_MAX_BYTES (1024 * 1024)
#define SECCOMP_PROFILE_MAX_RULES 1024
#define SECCOMP_SYSCALL_NAME_MAX 64
#define SECCOMP_ERRNO_MAX 4095 /* MAX_ERRNO: the kernel reads larger values as pointers */

/* The default profile. Every call fails with EPERM, which software handles as "not allowed
 * here" rather than ENOSYS's "try the old interface". Names this architecture lacks are skipped
 * when the filter is built; on x86_64 the filter covers the i386 and x32 entry points too. */
const char seccomp_default_profile[] =
        "# Replace or extend the host kernel.\n"
        "kexec_load\n"
        "kexec_file_load\n"
        "init_module\n"
        "finit_module\n"
        "delete_module\n"
        "# File handles bypass the mount namespace: a handle names any inode on the fs.\n"
        "open_by_handle_at\n"
        "# Raw port I/O and the vm86 mode reach the host hardware.\n"
        "iopl\n"
        "ioperm\n"
        "vm86\n"
        "vm86old\n"
        "# Host-wide state: swap, process accounting, the dcookie and nfsd interfaces, a.out\n"
        "# libraries.\n"
        "swapon\n"
        "swapoff\n"
        "acct\n"
        "lookup_dcookie\n"
        "nfsservctl\n"
        "uselib\n"
        "# The kernel keyring is not namespaced: a container would see and fill the host's.\n"
        "add_key\n"
        "keyctl\n"
        "request_key\n"
        "# eBPF programs and perf events observe the whole host.\n"
        "bpf\n"
        "perf_event_open\n"
        "# userfaultfd stalls the kernel on a page fault at a moment of the caller's choosing,\n"
        "# the usual lever of kernel race exploits.\n"
        "userfaultfd\n"
        "# The wall clock is host-wide (CAP_SYS_TIME is dropped too; belt and braces). The\n"
        "# *64 calls are the i386 entry's 64-bit time versions.\n"
        "clock_settime\n"
        "clock_settime64\n"
        "clock_adjtime\n"
        "clock_adjtime64\n"
        "settimeofday\n"
        "adjtimex\n"
        "# The kernel log is the host's.\n"
        "syslog\n"
        "# Typing into a terminal (TIOCSTI 0x5412) and the console's TIOCLINUX (0x541c): with a\n"
        "# terminal of someone outside, pushed input runs as them. The kernel takes ioctl's\n"
        "# request as an unsigned int, so only its low 32 bits are compared: 0x100005412 is\n"
        "# TIOCSTI to the kernel, and must be to the filter.\n"
        "ioctl arg1&0xffffffff==0x5412\n"
        "ioctl arg1&0xffffffff==0x541c\n";

static const char *profile_label(const char *filename)
{
        return filename ? filename : "seccomp profile";
}

void seccomp_plan_done(SeccompPlan *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n_rules; i++)
                free((char *)p->rules[i].syscall);
        free(p->rules);
        *p = (SeccompPlan){};
}

static void plan_add(SeccompPlan *p, const SeccompRule *rule)
{
        p->rules = xreallocarray(p->rules, p->n_rules + 1, sizeof(SeccompRule));
        p->rules[p->n_rules] = *rule;
        p->rules[p->n_rules++].syscall = xstrdup(rule->syscall);
}

/* A name libseccomp knows on at least one architecture a profile might be shared across. This
 * catches typos ("getpriorty") that would otherwise be skipped silently at load time, while a
 * profile naming an x86-only call still loads on arm64. */
static bool syscall_name_known(const char *name)
{
        static const uint32_t arches[] = {
                SCMP_ARCH_NATIVE,  SCMP_ARCH_X86_64, SCMP_ARCH_X86,
                SCMP_ARCH_X32,     SCMP_ARCH_ARM,    SCMP_ARCH_AARCH64,
                SCMP_ARCH_PPC64LE, SCMP_ARCH_S390X,  SCMP_ARCH_RISCV64,
        };
        for (size_t i = 0; i < ELEMENTSOF(arches); i++)
                if (seccomp_syscall_resolve_name_arch(arches[i], name) != __NR_SCMP_ERROR)
                        return true;
        return false;
}

/* "EPERM" (any case) or a number 1..4095. */
static int errno_parse(const char *s, int *ret)
{
        if (s[0] != '\0' && strspn(s, "0123456789") == strlen(s)) {
                uint64_t v;
                if (parse_uint64(s, &v) < 0 || v < 1 || v > SECCOMP_ERRNO_MAX)
                        return -ERANGE;
                *ret = (int)v;
                return 0;
        }
        /* glibc knows every name; errno values stop well below 256. */
        for (int e = 1; e < 256; e++) {
                const char *n = strerrorname_np(e);
                if (n && strcasecmp(n, s) == 0) {
                        *ret = e;
                        return 0;
                }
        }
        return -EINVAL;
}

typedef struct Token {
        const char *s;
        size_t len;
} Token;

/* The name, an action of up to two words, one condition per argument, and one more to say
 * "unexpected". */
#define LINE_MAX_TOKENS (3 + SECCOMP_ARGS_MAX + 1)

static bool token_is(const Token *t, const char *word)
{
        return t->len == strlen(word) && memcmp(t->s, word, t->len) == 0;
}

/* "arg" and a digit: meant as a condition, whatever follows. */
static bool token_is_condition(const Token *t)
{
        return t->len >= 4 && memcmp(t->s, "arg", 3) == 0 && t->s[3] >= '0' && t->s[3] <= '9';
}

/* A decimal or 0x hex number of at most 64 bits, all of [s, s+len). */
static int number_parse(const char *s, size_t len, uint64_t *ret)
{
        char buf[24];
        uint64_t v = 0;
        unsigned base = 10;

        if (len == 0 || len >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = 0;
        const char *d = buf;
        if (len > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) {
                base = 16;
                d += 2;
        }
        for (; *d; d++) {
                unsigned digit;
                if (*d >= '0' && *d <= '9')
                        digit = (unsigned)(*d - '0');
                else if (base == 16 && *d >= 'a' && *d <= 'f')
                        digit = (unsigned)(*d - 'a' + 10);
                else if (base == 16 && *d >= 'A' && *d <= 'F')
                        digit = (unsigned)(*d - 'A' + 10);
                else
                        return -EINVAL;
                if (v > (UINT64_MAX - digit) / base)
                        return -ERANGE;
                v = v * base + digit;
        }
        *ret = v;
        return 0;
}

/* "argN==V", "argN!=V" or "argN&M==V". */
static int condition_parse(const Token *t, SeccompArg *ret)
{
        const char *s = t->s, *end = t->s + t->len;

        if (t->len < 7 || memcmp(s, "arg", 3) != 0 || s[3] < '0' || s[3] > '5')
                return -EINVAL;
        SeccompArg a = {.index = (unsigned)(s[3] - '0')};
        s += 4;

        if (*s == '&') {
                const char *op = NULL;
                for (const char *q = s + 1; q + 1 < end; q++)
                        if (q[0] == '=' && q[1] == '=') {
                                op = q;
                                break;
                        }
                if (!op || number_parse(s + 1, (size_t)(op - s - 1), &a.mask) < 0)
                        return -EINVAL;
                a.cmp = SECCOMP_CMP_MASKED_EQ;
                s = op + 2;
        } else if (end - s > 2 && (s[0] == '=' || s[0] == '!') && s[1] == '=') {
                a.cmp = s[0] == '=' ? SECCOMP_CMP_EQ : SECCOMP_CMP_NE;
                s += 2;
        } else
                return -EINVAL;

        if (number_parse(s, (size_t)(end - s), &a.value) < 0)
                return -EINVAL;
        /* Bits the mask clears can never be equal: a rule that never applies is a mistake. */
        if (a.cmp == SECCOMP_CMP_MASKED_EQ && (a.value & ~a.mask))
                return -EDOM;
        *ret = a;
        return 0;
}

static bool same_conditions(const SeccompRule *a, const SeccompRule *b)
{
        if (a->n_args != b->n_args)
                return false;
        for (size_t i = 0; i < a->n_args; i++)
                if (a->args[i].index != b->args[i].index || a->args[i].cmp != b->args[i].cmp ||
                    a->args[i].mask != b->args[i].mask || a->args[i].value != b->args[i].value)
                        return false;
        return true;
}

/* The action tokens at tok[*i]: nothing, "kill", or "errno X". */
static int action_parse(const Token *tok, size_t n, size_t *i, const char *fn, unsigned lineno,
                        int *ret_errno, BerthError **reterr)
{
        *ret_errno = EPERM;
        if (*i >= n || token_is_condition(&tok[*i]))
                return 0;

        const Token *act = &tok[*i];
        if (token_is(act, "kill")) {
                if (*i + 1 < n && !token_is_condition(&tok[*i + 1]))
                        return berth_error_setf(reterr, EINVAL,
                                                "%s:%u: unexpected '%.*s' after 'kill'", fn, lineno,
                                                (int)MIN(tok[*i + 1].len, 64), tok[*i + 1].s);
                *ret_errno = 0;
                (*i)++;
                return 0;
        }
        if (!token_is(act, "errno"))
                return berth_error_setf(reterr, EINVAL,
                                        "%s:%u: unknown action '%.*s' (expected 'errno' or 'kill')",
                                        fn, lineno, (int)MIN(act->len, 64), act->s);
        if (*i + 1 >= n)
                return berth_error_setf(reterr, EINVAL, "%s:%u: 'errno' needs a name or number",
                                        fn, lineno);
        const Token *val = &tok[*i + 1];
        char e[32];
        int r = -EINVAL;
        if (val->len < sizeof(e)) {
                memcpy(e, val->s, val->len);
                e[val->len] = '\0';
                r = errno_parse(e, ret_errno);
        }
        if (r == -ERANGE)
                return berth_error_setf(reterr, EINVAL, "%s:%u: errno '%.*s' not in 1..%d", fn,
                                        lineno, (int)MIN(val->len, 64), val->s, SECCOMP_ERRNO_MAX);
        if (r < 0)
                return berth_error_setf(reterr, EINVAL, "%s:%u: unknown errno '%.*s'", fn, lineno,
                                        (int)MIN(val->len, 64), val->s);
        *i += 2;
        return 0;
}

/* Parses one line (no newline, no comment) into rules of p. Messages quote tokens with a length
 * cap, since they come from the file. */
static int parse_line(const char *line, size_t len, const char *fn, unsigned lineno,
                      unsigned *rule_lines, SeccompPlan *p, BerthError **reterr)
{
        Token tok[LINE_MAX_TOKENS];
        size_t n = 0;

        for (size_t i = 0; i < len;) {
                unsigned char ch = (unsigned char)line[i];
                if (ch == ' ' || ch == '\t' || ch == '\r') {
                        i++;
                        continue;
                }
                size_t start = i;
                while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') {
                        ch = (unsigned char)line[i];
                        if (ch < 0x20 || ch == 0x7f)
                                return berth_error_setf(reterr, EINVAL,
                                                        "%s:%u: invalid character 0x%02x", fn,
                                                        lineno, ch);
                        i++;
                }
                if (n == LINE_MAX_TOKENS - 1)
                        return berth_error_setf(reterr, EINVAL, "%s:%u: unexpected '%.*s'", fn,
                                                lineno, (int)MIN(i - start, 64), line + start);
                tok[n++] = (Token){line + start, i - start};
        }
        if (n == 0)
                return 0;

        const Token *sc = &tok[0];
        if (sc->len > SECCOMP_SYSCALL_NAME_MAX)
                return berth_error_setf(reterr, EINVAL,
                                        "%s:%u: syscall name '%.*s...' longer than %d characters",
                                        fn, lineno, 32, sc->s, SECCOMP_SYSCALL_NAME_MAX);
        for (size_t i = 0; i < sc->len; i++) {
                char ch = sc->s[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_'))
                        return berth_error_setf(reterr, EINVAL,
                                                "%s:%u: invalid syscall name '%.*s'", fn, lineno,
                                                (int)sc->len, sc->s);
        }
        char name[SECCOMP_SYSCALL_NAME_MAX + 1];
        memcpy(name, sc->s, sc->len);
        name[sc->len] = '\0';
        if (!syscall_name_known(name))
                return berth_error_setf(reterr, EINVAL, "%s:%u: unknown syscall '%s'", fn, lineno,
                                        name);

        SeccompRule rule = {.syscall = name};
        size_t i = 1;
        int r = action_parse(tok, n, &i, fn, lineno, &rule.errno_value, reterr);
        if (r < 0)
                return r;
        for (; i < n; i++) {
                const Token *t = &tok[i];
                SeccompArg a;
                r = condition_parse(t, &a);
                if (r == -EDOM)
                        return berth_error_setf(reterr, EINVAL,
                                                "%s:%u: condition '%.*s' can never hold: the value "
                                                "has bits the mask clears",
                                                fn, lineno, (int)MIN(t->len, 64), t->s);
                if (r < 0 && token_is_condition(t))
                        return berth_error_setf(reterr, EINVAL,
                                                "%s:%u: invalid condition '%.*s' (expected "
                                                "argN==V, argN!=V or argN&M==V, N 0..5)",
                                                fn, lineno, (int)MIN(t->len, 64), t->s);
                if (r < 0)
                        return berth_error_setf(reterr, EINVAL, "%s:%u: unexpected '%.*s'", fn,
                                                lineno, (int)MIN(t->len, 64), t->s);
                for (size_t j = 0; j < rule.n_args; j++)
                        if (rule.args[j].index == a.index)
                                return berth_error_setf(reterr, EINVAL,
                                                        "%s:%u: two conditions on arg%u", fn,
                                                        lineno, a.index);
                rule.args[rule.n_args++] = a;
        }

        /* Rules for one call must not depend on libseccomp's precedence: one unconditional
         * rule, or conditional ones that share their action. */
        for (size_t j = 0; j < p->n_rules; j++) {
                const SeccompRule *o = &p->rules[j];
                if (!streq(o->syscall, name))
                        continue;
                if (o->n_args == 0 || rule.n_args == 0 || same_conditions(o, &rule))
                        return berth_error_setf(reterr, EINVAL,
                                                "%s:%u: duplicate syscall '%s' (first on line %u)",
                                                fn, lineno, name, rule_lines[j]);
                if (o->errno_value != rule.errno_value)
                        return berth_error_setf(reterr, EINVAL,
                                                "%s:%u: another action for '%s' than on line %u",
                                                fn, lineno, name, rule_lines[j]);
        }

        if (p->n_rules >= SECCOMP_PROFILE_MAX_RULES)
                return berth_error_setf(reterr, EINVAL, "%s:%u: more than %d rules", fn, lineno,
                                        SECCOMP_PROFILE_MAX_RULES);

        rule_lines[p->n_rules] = lineno;
        plan_add(p, &rule);
        return 0;
}

int seccomp_profile_parse(const char *text, size_t len, const char *filename, SeccompPlan *ret,
                          BerthError **reterr)
{
        const char *fn = profile_label(filename);
        _cleanup_(seccomp_plan_done) SeccompPlan p = {.enabled = true};
        _cleanup_free_ unsigned *rule_lines = NULL;
        int r;

        if (len > SECCOMP_PROFILE_MAX_BYTES)
                return berth_error_setf(reterr, EFBIG, "%s: larger than %d bytes", fn,
                                        SECCOMP_PROFILE_MAX_BYTES);
        if (!text && len > 0)
                return berth_error_setf(reterr, EINVAL, "%s: no text", fn);

        rule_lines = xcalloc(SECCOMP_PROFILE_MAX_RULES, sizeof(unsigned));

        unsigned lineno = 0;
        for (size_t pos = 0; pos < len;) {
                const char *line = text + pos;
                const char *nl = memchr(line, '\n', len - pos);
                size_t line_len = nl ? (size_t)(nl - line) : len - pos;
                pos += line_len + (nl ? 1 : 0);
                lineno++;

                /* Control characters (a NUL included) outside comments are refused in
                 * parse_line(): nothing after us should have to guess where a name ends. */
                const char *hash = memchr(line, '#', line_len);
                size_t content_len = hash ? (size_t)(hash - line) : line_len;

                r = parse_line(line, content_len, fn, lineno, rule_lines, &p, reterr);
                if (r < 0)
                        return r;
        }

        *ret = p;
        p = (SeccompPlan){};
        return 0;
}


int seccomp_plan_build(const BerthConfig *c, SeccompPlan *ret, BerthError **reterr)
{
        const char *v = c ? c->seccomp : NULL;
        int r;

        *ret = (SeccompPlan){};

        if (!v || streq(v, "default"))
                return seccomp_profile_parse(seccomp_default_profile,
                                             sizeof(seccomp_default_profile) - 1,
                                             "default seccomp profile", ret, reterr);
        if (streq(v, "unconfined"))
                return 0;
        if (!path_is_absolute(v))
                return berth_error_setf(reterr, EINVAL,
                                        "seccomp profile '%s': not 'default', 'unconfined' or an "
                                        "absolute path",
                                        v);

        _cleanup_free_ char *text = NULL;
        size_t size;
        r = read_full_file_at(AT_FDCWD, v, SECCOMP_PROFILE_MAX_BYTES, &text, &size);
        if (r == -EFBIG)
                return berth_error_setf(reterr, EFBIG,
                                        "read seccomp profile '%s': larger than %d "
                                        "bytes",
                                        v, SECCOMP_PROFILE_MAX_BYTES);
        if (r < 0)
                return berth_error_set(reterr, r, "read seccomp profile '%s'", v);

        return seccomp_profile_parse(text, size, v, ret, reterr);
}

static inline void seccomp_releasep(scmp_filter_ctx *ctx)
{
        if (*ctx)
                seccomp_release(*ctx);
}

static int seccomp_build_filter(const SeccompPlan *p, scmp_filter_ctx *ret, BerthError **reterr)
{
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r;

        if (!ctx)
                return berth_error_set(reterr, ENOMEM, "create seccomp filter");

        /* A 64-bit x86 process can still enter the kernel through the i386 (int 0x80) and x32
         * entry points; without these the deny list would be one far jump away. */
        if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
                static const uint32_t extra[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
                for (size_t i = 0; i < ELEMENTSOF(extra); i++) {
                        r = seccomp_arch_add(ctx, extra[i]);
                        if (r < 0 && r != -EEXIST)
                                return berth_error_set(reterr, r,
                                                       "add architecture to seccomp filter");
                }
        }

        /* Return the kernel's own error codes from seccomp_load() rather than -ECANCELED. */
        (void)seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);

        /* API level 3 means the kernel has SECCOMP_RET_KILL_PROCESS (4.14). Before that only
         * the calling thread can be killed; for a single-threaded process (a container's init
         * right after exec) that is the same thing. */
        uint32_t kill_action =
                seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_KILL_THREAD;

        for (size_t i = 0; i < p->n_rules; i++) {
                const SeccompRule *rule = &p->rules[i];
                int nr = seccomp_syscall_resolve_name(rule->syscall);
                if (nr == __NR_SCMP_ERROR) {
                        log_debug("seccomp: syscall '%s' unknown here, skipped", rule->syscall);
                        continue;
                }
                uint32_t action =
                        rule->errno_value > 0 ? SCMP_ACT_ERRNO(rule->errno_value) : kill_action;
                struct scmp_arg_cmp cmp[SECCOMP_ARGS_MAX];
                for (size_t j = 0; j < rule->n_args && j < SECCOMP_ARGS_MAX; j++) {
                        const SeccompArg *a = &rule->args[j];
                        static const enum scmp_compare ops[_SECCOMP_CMP_MAX] = {
                                [SECCOMP_CMP_EQ] = SCMP_CMP_EQ,
                                [SECCOMP_CMP_NE] = SCMP_CMP_NE,
                                [SECCOMP_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
                        };
                        cmp[j] = (struct scmp_arg_cmp){
                                .arg = a->index,
                                .op = ops[a->cmp],
                                /* libseccomp: datum_a is the mask for MASKED_EQ, the value
                                 * otherwise. */
                                .datum_a = a->cmp == SECCOMP_CMP_MASKED_EQ ? a->mask : a->value,
                                .datum_b = a->cmp == SECCOMP_CMP_MASKED_EQ ? a->value : 0,
                        };
                }
                /* A negative nr is a call the native ABI lacks (vm86 on x86_64): libseccomp
                 * still adds it for the i386 ABI of the same filter. */
                r = seccomp_rule_add_array(ctx, action, nr, (unsigned)MIN(rule->n_args,
                                                                         SECCOMP_ARGS_MAX),
                                           cmp);
                if (r < 0 && nr < 0) {
                        log_debug("seccomp: syscall '%s' not on any ABI here, skipped",
                                  rule->syscall);
                        continue;
                }
                if (r < 0)
                        return berth_error_set(reterr, r, "add seccomp rule for '%s'",
                                               rule->syscall);
        }

        *ret = TAKE_PTR(ctx);
        return 0;
}

/* libseccomp folds every kernel error it does not list (EPERM from an outer filter, E2BIG from a
 * full filter stack, …) into EFAULT; the kernel's errno is still there and says more. */
static int seccomp_load_errno(scmp_filter_ctx ctx)
{
        errno = 0;
        int r = seccomp_load(ctx);
        if (r == -EFAULT && errno > 0)
                r = -errno;
        return r;
}

int seccomp_plan_apply(const SeccompPlan *p, BerthError **reterr)
{
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        int r;

        if (!p || !p->enabled)
                return 0;

        r = seccomp_build_filter(p, &ctx, reterr);
        if (r < 0)
                return r;

        /* no_new_privs is the config's choice (security.no_new_privs), set by the caller: a
         * privileged loader does not need it. Without CAP_SYS_ADMIN (it was dropped, or we are
         * root of a user namespace that lacks it) the kernel refuses the filter with EACCES,
         * and then no_new_privs is the price of having the filter at all. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return berth_error_set(reterr, r, "configure seccomp filter");

        r = seccomp_load_errno(ctx);
        if (r == -EACCES) {
                log_debug("seccomp: loading without no_new_privs refused, setting it");
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
                if (r < 0)
                        return berth_error_set(reterr, r, "configure seccomp filter");
                r = seccomp_load_errno(ctx);
        }
        if (r < 0)
                return berth_error_set(reterr, r, "load seccomp filter");

        return 0;
}
