/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LSM selection, and the backend for "no LSM": every operation succeeds and changes nothing. */
#include <stdio.h>

#include "security.h"

static bool lsm_none_enabled(const char *securityfs_root)
{
        return true;
}

static int lsm_none_exec_profile(const char *profile, BerthError **reterr)
{
        return 0;
}

const LsmOps lsm_none_ops = {
        .name = "none",
        .enabled = lsm_none_enabled,
        .exec_profile = lsm_none_exec_profile,
};

const LsmOps *lsm_detect(const char *securityfs_root, const BerthConfig *c, const char **ret_notice)
{
        /* The notice quotes a profile name from the config, so it needs storage. Nothing that
         * detects an LSM runs threads (STYLE.md); the text lives until the next call. */
        static char notice[320];
        const char *profile = c ? c->apparmor : NULL;

        if (ret_notice)
                *ret_notice = NULL;
        if (!securityfs_root)
                securityfs_root = LSM_SECURITYFS_ROOT;

        if (streq_ptr(profile, "unconfined"))
                return &lsm_none_ops;
        if (lsm_apparmor_ops.enabled(securityfs_root))
                return &lsm_apparmor_ops;

#ifdef HAVE_APPARMOR
        const char *why = "not enabled in this kernel";
#else
        const char *why = "not supported by this build of berth";
#endif
        if (profile)
                snprintf(notice, sizeof(notice), "apparmor: %s, profile '%.200s' not applied", why,
                         profile);
        else
                snprintf(notice, sizeof(notice), "apparmor: %s, skipping the default profile '%s'",
                         why, LSM_APPARMOR_DEFAULT_PROFILE);
        if (ret_notice)
                *ret_notice = notice;
        return &lsm_none_ops;
}
