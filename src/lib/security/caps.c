/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capabilities: the plan is a bit mask of the capabilities that stay in the bounding set; applying
 * it drops the rest from the bounding, ambient, inheritable, permitted and effective sets. */
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "log.h"
#include "security.h"

static inline void cap_freep(cap_t *p)
{
        if (*p)
                cap_free(*p);
}

/* Dropped unless the config keeps them explicitly (security.capabilities.keep):
 *   sys_module     loading kernel modules changes the host kernel, nothing is namespaced
 *   sys_rawio      iopl/ioperm and raw device I/O reach the host hardware
 *   sys_time       the clock is host-wide (the time namespace only offsets monotonic/boottime)
 *   mac_admin      AppArmor/SELinux policy is host-wide; a container must not rewrite it
 *   mac_override   nor bypass it
 *   audit_control  the audit subsystem is not namespaced: its rules and state are the host's
 *   audit_read     reading the host's audit stream via multicast netlink
 *   audit_write    the audit log is the host's too; systemd's container interface asks for the
 *                  audit capabilities to be gone, and libaudit reads the refusal as "no audit"
 *   wake_alarm     alarm timers wake the host from suspend
 *   block_suspend  epoll wakeups and wake locks keep the host from suspending
 *   syslog         the kernel ring buffer is the host's (dmesg -c clears it for everyone)
 * sys_boot stays: reboot() in a pid namespace only signals the namespace's init, which is how
 * the container's init asks the monitor for a reboot or halt. sys_nice stays: services of a
 * system container renice themselves, and the cgroup's cpu limits bound what that can take. */
const char *const security_default_cap_drop[] = {
        "sys_module", "sys_rawio",   "sys_time",   "mac_admin",     "mac_override", "audit_control",
        "audit_read", "audit_write", "wake_alarm", "block_suspend", "syslog",       NULL,
};

/* libcap names every capability it knows "cap_xxx"; beyond that it returns the number. */
#define CAPS_NAME_MAX 64

static bool cap_known_name(cap_value_t cap, char ret[static CAPS_NAME_MAX])
{
        char *n = cap_to_name(cap);
        if (!n)
                oom();
        bool known = strncmp(n, "cap_", 4) == 0 && strlen(n + 4) < CAPS_NAME_MAX;
        if (known)
                strcpy(ret, n + 4);
        cap_free(n);
        return known;
}

/* "sys_admin", "CAP_SYS_ADMIN", "Cap_Sys_Admin": the capability's number, or -EINVAL. */
static int cap_parse(const char *name, cap_value_t *ret)
{
        if (strncasecmp(name, "cap_", 4) == 0)
                name += 4;
        if (name[0] == '\0' || strlen(name) >= CAPS_NAME_MAX)
                return -EINVAL;

        /* Every value libcap has a name for, known to the running kernel or not: a config that
         * drops checkpoint_restore must still load on a kernel that predates it. */
        for (cap_value_t cap = 0; cap < 64; cap++) {
                char known[CAPS_NAME_MAX];
                if (!cap_known_name(cap, known))
                        continue;
                if (strcasecmp(known, name) == 0) {
                        *ret = cap;
                        return 0;
                }
        }
        return -EINVAL;
}

static uint64_t caps_all_mask(void)
{
        cap_value_t n = cap_max_bits();
        if (n <= 0)
                return 0;
        if (n >= 64)
                return UINT64_MAX;
        return (UINT64_C(1) << n) - 1;
}

static int caps_mask_from_names(char *const *names, uint64_t *mask, bool set, BerthError **reterr)
{
        for (char *const *n = names; n && *n; n++) {
                cap_value_t cap;
                if (cap_parse(*n, &cap) < 0)
                        return berth_error_setf(reterr, EINVAL, "capability '%s': unknown", *n);
                if (set)
                        *mask |= UINT64_C(1) << cap;
                else
                        *mask &= ~(UINT64_C(1) << cap);
        }
        return 0;
}

int caps_plan_build(const BerthConfig *c, CapsPlan *ret, BerthError **reterr)
{
        uint64_t all = caps_all_mask(), keep;
        int r;

        if (c && c->cap_keep && c->cap_keep[0]) {
                /* An explicit keep list is the whole truth: the default drops and drop do not
                 * apply. Names the kernel does not know simply cannot be kept. */
                keep = 0;
                r = caps_mask_from_names(c->cap_keep, &keep, true, reterr);
                if (r < 0)
                        return r;
                /* drop is still validated, so a typo there is not silently ignored. */
                uint64_t unused = 0;
                r = caps_mask_from_names(c->cap_drop, &unused, false, reterr);
                if (r < 0)
                        return r;
        } else {
                keep = all;
                r = caps_mask_from_names((char **)security_default_cap_drop, &keep, false, reterr);
                if (r < 0)
                        return r;
                if (c) {
                        r = caps_mask_from_names(c->cap_drop, &keep, false, reterr);
                        if (r < 0)
                                return r;
                }
        }

        *ret = (CapsPlan){.keep = keep & all};
        return 0;
}

static const char *cap_display_name(cap_value_t cap, char buf[static CAPS_NAME_MAX])
{
        if (!cap_known_name(cap, buf))
                snprintf(buf, CAPS_NAME_MAX, "%d", (int)cap);
        return buf;
}

int caps_plan_apply(const CapsPlan *plan, BerthError **reterr)
{
        cap_value_t n = cap_max_bits();
        char name[CAPS_NAME_MAX];

        /* The bounding set first: dropping from it needs CAP_SETPCAP in the effective set, which
         * the last step may take away. */
        for (cap_value_t cap = 0; cap < n && cap < 64; cap++) {
                if (plan->keep & (UINT64_C(1) << cap))
                        continue;
                int in = prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0);
                if (in < 0)
                        return berth_error_set(reterr, errno, "read capability '%s' bounding bit",
                                               cap_display_name(cap, name));
                if (in == 0)
                        continue;
                if (cap_drop_bound(cap) < 0)
                        return berth_error_set(reterr, errno,
                                               "drop capability '%s' from the bounding set",
                                               cap_display_name(cap, name));
        }

        /* Ambient capabilities would survive the exec of init; none are wanted. Kernels before
         * 4.3 have no ambient set (EINVAL): nothing to clear then. */
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return berth_error_set(reterr, errno, "clear ambient capabilities");

        _cleanup_(cap_freep) cap_t caps = cap_get_proc();
        if (!caps)
                return berth_error_set(reterr, errno, "read process capabilities");

        bool changed = false;
        for (cap_value_t cap = 0; cap < n && cap < 64; cap++) {
                if (plan->keep & (UINT64_C(1) << cap))
                        continue;
                static const cap_flag_t flags[] = {CAP_EFFECTIVE, CAP_PERMITTED, CAP_INHERITABLE};
                for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
                        cap_flag_value_t v;
                        if (cap_get_flag(caps, cap, flags[i], &v) < 0)
                                return berth_error_set(reterr, errno, "read capability '%s' flag",
                                                       cap_display_name(cap, name));
                        if (v == CAP_CLEAR)
                                continue;
                        if (cap_set_flag(caps, flags[i], 1, &cap, CAP_CLEAR) < 0)
                                return berth_error_set(reterr, errno, "clear capability '%s' flag",
                                                       cap_display_name(cap, name));
                        changed = true;
                }
        }

        /* Lowering one's own sets needs no privilege, so this fails only on a broken system. */
        if (changed && cap_set_proc(caps) < 0)
                return berth_error_set(reterr, errno, "set process capabilities");

        log_debug("capabilities applied, bounding set 0x%llx", (unsigned long long)plan->keep);
        return 0;
}

int caps_raise_dac(bool raise, BerthError **reterr)
{
        static const cap_value_t dac[] = {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER};
        cap_t caps = cap_get_proc();
        if (!caps)
                return berth_error_set(reterr, errno, "read capabilities");
        int r = 0;
        if (cap_set_flag(caps, CAP_EFFECTIVE, ELEMENTSOF(dac), dac, raise ? CAP_SET : CAP_CLEAR) <
                    0 ||
            cap_set_proc(caps) < 0)
                r = berth_error_set(reterr, errno, "%s file access capabilities",
                                    raise ? "raise" : "drop");
        cap_free(caps);
        return r;
}
