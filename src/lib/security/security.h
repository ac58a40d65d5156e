/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Capabilities (libcap), seccomp (libseccomp) and the LSM (AppArmor or nothing). Plans are
 * plain data computed from the config; applying them happens in the child, in this order:
 * capabilities, no_new_privs, LSM exec profile, seccomp last. */

#include <stdint.h>

#include "../../shared/error.h"
#include "../config/config.h"

/* The capabilities dropped by default, NULL-terminated: sys_module, sys_rawio, sys_time,
 * mac_admin, mac_override, audit_control, audit_read, audit_write, wake_alarm, block_suspend,
 * syslog (caps.c says why for each). sys_boot is kept: reboot() in a pid namespace only signals
 * the namespace's init. */
extern const char *const security_default_cap_drop[];

typedef struct CapsPlan {
        uint64_t keep; /* bit N = capability N stays in the bounding set */
} CapsPlan;

/* Names are "sys_admin" or "CAP_SYS_ADMIN", any case. -EINVAL names the bad capability. */
int caps_plan_build(const BerthConfig *c, CapsPlan *ret, BerthError **reterr);
/* Drops everything not in keep from the bounding, inheritable and ambient sets (uid 0 stays
 * uid 0 and keeps the rest in its permitted/effective sets). */
int caps_plan_apply(const CapsPlan *plan, BerthError **reterr);
/* Raises (or drops) CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER in the effective set
 * from the permitted one: a setfsuid() away from 0 drops them, and a host-root process acting
 * with another fsuid sometimes still has to reach into root's directories. */
int caps_raise_dac(bool raise, BerthError **reterr);

/* A condition on one argument of the call; a rule with several applies when all hold. */
#define SECCOMP_ARGS_MAX 6
typedef enum SeccompCmp {
        SECCOMP_CMP_EQ,        /* argN==V */
        SECCOMP_CMP_NE,        /* argN!=V */
        SECCOMP_CMP_MASKED_EQ, /* argN&M==V */
        _SECCOMP_CMP_MAX,
        _SECCOMP_CMP_INVALID = -1,
} SeccompCmp;

typedef struct SeccompArg {
        unsigned index; /* 0..5 */
        SeccompCmp cmp;
        uint64_t mask; /* SECCOMP_CMP_MASKED_EQ only */
        uint64_t value;
} SeccompArg;

typedef struct SeccompRule {
        const char *syscall; /* owned by the plan: seccomp_plan_done() frees it */
        int errno_value;     /* the call fails with this; 0 means kill */
        SeccompArg args[SECCOMP_ARGS_MAX];
        size_t n_args; /* 0: every call */
} SeccompRule;

typedef struct SeccompPlan {
        bool enabled;
        SeccompRule *rules;
        size_t n_rules;
} SeccompPlan;

/* "default" (the built-in deny list, seccomp_default_profile), "unconfined" (no filter), or the
 * path of a profile file: one rule per line, '#' comments:
 *
 *     SYSCALL [errno NAME|NUMBER | kill] [argN==V | argN!=V | argN&M==V]...
 *
 * The default action is errno EPERM. With conditions (numbers decimal or 0x hex, N 0..5, at
 * most one per argument) the rule applies only to calls whose arguments match all of them;
 * one call may have several conditional rules (with one action), or one rule without any.
 * Conditions compare the 64-bit register: an argument the kernel reads as 32 bits (ioctl's
 * request) needs the mask &0xffffffff, or a caller sets the upper bits and slips through. */
extern const char seccomp_default_profile[];
int seccomp_plan_build(const BerthConfig *c, SeccompPlan *ret, BerthError **reterr);
/* Pure parser of a profile file's text, for tests and the fuzzer. At most 1 MiB and 1024 rules;
 * every error reads "FILE:LINE: what". */
int seccomp_profile_parse(const char *text, size_t len, const char *filename, SeccompPlan *ret,
                          BerthError **reterr);
void seccomp_plan_done(SeccompPlan *p);
/* Loads the filter into the calling thread (the child, right before exec). Unknown syscall
 * names on this architecture are skipped. */
int seccomp_plan_apply(const SeccompPlan *p, BerthError **reterr);

/* LSM backends behind one ops table. */
#define LSM_SECURITYFS_ROOT "/sys/kernel/security"
/* The AppArmor profile used when the config names none (security.apparmor unset). */
#define LSM_APPARMOR_DEFAULT_PROFILE "berth-default"

typedef struct LsmOps {
        const char *name;
        /* True when the kernel has this LSM enabled. securityfs_root is normally
         * "/sys/kernel/security"; tests point it at a fake tree. */
        bool (*enabled)(const char *securityfs_root);
        /* Arranges for the next exec to run under profile (NULL: the default profile;
         * "unconfined": no change). */
        int (*exec_profile)(const char *profile, BerthError **reterr);
} LsmOps;

extern const LsmOps lsm_apparmor_ops;
extern const LsmOps lsm_none_ops;

/* The backend to use: AppArmor when compiled in and enabled, else none. *ret_notice is set to a
 * one-line notice when AppArmor was asked for (or its default profile would have been used) but
 * is not available (front ends print it), else to NULL; the text is valid until the next call.
 * securityfs_root NULL means LSM_SECURITYFS_ROOT. */
const LsmOps *lsm_detect(const char *securityfs_root, const BerthConfig *c, const char **ret_notice);
