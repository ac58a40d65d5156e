/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What one start of a container needs, computed from its config and from what the host
 * offers, as plain data: no file, process or namespace is touched, so it is unit-tested. */

#include "config/config.h"
#include "init.h"
#include "mount/mount.h"
#include "security/security.h"

typedef struct RunPlanInput {
        const BerthConfig *config;
        InitKind init_kind;     /* what init.cmd resolves to in the rootfs */
        bool cgroup_unified;    /* the host's cgroup layout (cgroup_layout_mount_spec) */
        char **cgroup_v1;
        const LsmOps *lsm;      /* what the kernel offers (lsm_detect) */
        const char *uuid;       /* container_uuid */
} RunPlanInput;

typedef struct RunPlan {
        MountPlan *mounts;
        CapsPlan caps;
        SeccompPlan seccomp;
        char **env;               /* init's whole environment */
        const BerthIdmap *idmap;  /* NULL: privileged, no user namespace */
        size_t n_idmap;
        uid_t host_root;          /* host uid of container root (0 when privileged) */
        gid_t tty_gid;            /* host gid of the container's tty group */
        bool bind_ttys;           /* ptys over /dev/ttyN (not for systemd: container_ttys) */
        const char *lsm_profile;  /* NULL: none */
} RunPlan;

/* The plan references in (its config's idmap) and must not outlive it. */
int run_plan_build(const RunPlanInput *in, RunPlan **ret, BerthError **reterr);
RunPlan *run_plan_free(RunPlan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(RunPlan *, run_plan_free);
