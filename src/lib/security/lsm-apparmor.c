/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The AppArmor backend: the profile is attached on exec with aa_change_onexec(), so the monitor's
 * own setup code is never confined by the container's profile. */
#include <fcntl.h>
#include <sys/stat.h>

#ifdef HAVE_APPARMOR
#include <sys/apparmor.h>
#endif

#include "path-util.h"
#include "security.h"

static bool lsm_apparmor_enabled(const char *securityfs_root)
{
#ifdef HAVE_APPARMOR
        /* securityfs has an apparmor/ directory only when AppArmor is an active LSM; the policy
         * list must also be readable, or we could neither load nor verify a profile. */
        _cleanup_free_ char *dir = path_join(securityfs_root, "apparmor");
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return false;

        _cleanup_free_ char *profiles = path_join(dir, "profiles");
        _cleanup_close_ int fd = open(profiles, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        return fd >= 0;
#else
        return false;
#endif
}

static int lsm_apparmor_exec_profile(const char *profile, BerthError **reterr)
{
        if (!profile)
                profile = LSM_APPARMOR_DEFAULT_PROFILE;

        /* "unconfined" means: no profile of ours. The exec keeps whatever the monitor runs
         * under (normally unconfined), which is what the word promises; asking the kernel to
         * change to it would fail for a confined monitor anyway. */
        if (streq(profile, "unconfined"))
                return 0;

#ifdef HAVE_APPARMOR
        if (aa_change_onexec(profile) < 0)
                return berth_error_set(reterr, errno, "set apparmor exec profile '%s'", profile);
        return 0;
#else
        return berth_error_set(reterr, EOPNOTSUPP, "set apparmor exec profile '%s'", profile);
#endif
}

const LsmOps lsm_apparmor_ops = {
        .name = "apparmor",
        .enabled = lsm_apparmor_enabled,
        .exec_profile = lsm_apparmor_exec_profile,
};
