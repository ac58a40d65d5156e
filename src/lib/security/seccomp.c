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

/* The default deny list. Every call fails with EPERM, which software handles as "not allowed
 * here" rather than ENOSYS's "try the old interface". Names this architecture lacks are
 * skipped when the filter is built. */
static const char *const seccomp_default_deny[] = {
        /* Replace or extend the host kernel. */
        "kexec_load",
        "kexec_file_load",
        "init_module",
        "finit_module",
        "delete_module",
        /* File handles bypass the mount namespace: a handle names any inode on the fs. */
        "open_by_handle_at",
        /* Raw port I/O and the vm86 mode reach the host hardware. */
        "iopl",
        "ioperm",
        "vm86",
        "vm86old",
        /* Host-wide state: swap, process accounting, the dcookie and nfsd interfaces, a.out
         * libraries. */
        "swapon",
        "swapoff",
        "acct",
        "lookup_dcookie",
        "nfsservctl",
        "uselib",
        /* The kernel keyring is not namespaced: a container would see and fill the host's. */
        "add_key",
        "keyctl",
        "request_key",
        /* eBPF programs and perf events observe the whole host. */
        "bpf",
        "perf_event_open",
        /* The wall clock is host-wide (CAP_SYS_TIME is dropped too; belt and braces). */
        "clock_settime",
        "clock_adjtime",
        "settimeofday",
        "adjtimex",
        /* The kernel log is the host's. */
        "syslog",
};

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

static void plan_add(SeccompPlan *p, const char *syscall, size_t len, int errno_value)
{
        p->rules = xreallocarray(p->rules, p->n_rules + 1, sizeof(SeccompRule));
        p->rules[p->n_rules++] = (SeccompRule){
                .syscall = xstrndup(syscall, len),
                .errno_value = errno_value,
        };
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

#define LINE_MAX_TOKENS 4

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

        int errno_value = EPERM;
        if (n >= 2) {
                const Token *act = &tok[1];
                if (act->len == 4 && memcmp(act->s, "kill", 4) == 0) {
                        if (n > 2)
                                return berth_error_setf(reterr, EINVAL,
                                                        "%s:%u: unexpected '%.*s' after 'kill'", fn,
                                                        lineno, (int)MIN(tok[2].len, 64), tok[2].s);
                        errno_value = 0;
                } else if (act->len == 5 && memcmp(act->s, "errno", 5) == 0) {
                        if (n < 3)
                                return berth_error_setf(reterr, EINVAL,
                                                        "%s:%u: 'errno' needs a name or number", fn,
                                                        lineno);
                        char e[32];
                        int r = -EINVAL;
                        if (tok[2].len < sizeof(e)) {
                                memcpy(e, tok[2].s, tok[2].len);
                                e[tok[2].len] = '\0';
                                r = errno_parse(e, &errno_value);
                        }
                        if (r == -ERANGE)
                                return berth_error_setf(reterr, EINVAL,
                                                        "%s:%u: errno '%.*s' not in 1..%d", fn,
                                                        lineno, (int)MIN(tok[2].len, 64), tok[2].s,
                                                        SECCOMP_ERRNO_MAX);
                        if (r < 0)
                                return berth_error_setf(reterr, EINVAL,
                                                        "%s:%u: unknown errno '%.*s'", fn, lineno,
                                                        (int)MIN(tok[2].len, 64), tok[2].s);
                } else
                        return berth_error_setf(reterr, EINVAL,
                                                "%s:%u: unknown action '%.*s' (expected 'errno' "
                                                "or 'kill')",
                                                fn, lineno, (int)MIN(act->len, 64), act->s);
        }

        /* Two rules for one call would depend on libseccomp's precedence; refuse instead. */
        for (size_t i = 0; i < p->n_rules; i++)
                if (streq(p->rules[i].syscall, name))
                        return berth_error_setf(reterr, EINVAL,
                                                "%s:%u: duplicate syscall '%s' (first on line %u)",
                                                fn, lineno, name, rule_lines[i]);

        if (p->n_rules >= SECCOMP_PROFILE_MAX_RULES)
                return berth_error_setf(reterr, EINVAL, "%s:%u: more than %d rules", fn, lineno,
                                        SECCOMP_PROFILE_MAX_RULES);

        rule_lines[p->n_rules] = lineno;
        plan_add(p, name, sc->len, errno_value);
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

static void seccomp_plan_default(SeccompPlan *ret)
{
        SeccompPlan p = {.enabled = true};
        for (size_t i = 0; i < ELEMENTSOF(seccomp_default_deny); i++)
                plan_add(&p, seccomp_default_deny[i], strlen(seccomp_default_deny[i]), EPERM);
        *ret = p;
}

int seccomp_plan_build(const BerthConfig *c, SeccompPlan *ret, BerthError **reterr)
{
        const char *v = c ? c->seccomp : NULL;
        int r;

        *ret = (SeccompPlan){};

        if (!v || streq(v, "default")) {
                seccomp_plan_default(ret);
                return 0;
        }
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
                /* A negative nr is a call the native ABI lacks (vm86 on x86_64): libseccomp
                 * still adds it for the i386 ABI of the same filter. */
                r = seccomp_rule_add(ctx, action, nr, 0);
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
