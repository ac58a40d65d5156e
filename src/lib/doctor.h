/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* berth doctor, split in what can be read from files (under roots a test can fake), what only a
 * live kernel can answer (probes), and the judgement over both (pure). */

#include "berth.h"
#include "cgroup/cgroup.h"
#include "idalloc.h"

/* 1 yes, 0 no, -1 not known (not probed). */
typedef int Tristate;

#define DOCTOR_N_NS 8
extern const char *const doctor_ns_names[DOCTOR_N_NS];

/* A controller as the kernel lists it in /proc/cgroups. */
typedef struct DoctorController {
        char *name;
        bool enabled;
        bool v1; /* bound to a v1 hierarchy (hierarchy id != 0) */
} DoctorController;

typedef struct DoctorFacts {
        char *kernel;                /* osrelease */
        bool ns[DOCTOR_N_NS];        /* <proc>/self/ns/<name> */
        int64_t max_user_namespaces; /* -1: unknown */
        char *seccomp_actions;       /* <proc>/sys/kernel/seccomp/actions_avail, or NULL */
        CgroupLayout *layout;        /* from <proc>/self/mountinfo, or NULL (no cgroup fs) */
        DoctorController *controllers; /* <proc>/cgroups */
        size_t n_controllers;
        char **v2_controllers;       /* cgroup.controllers of the v2 root */
        Tristate v2_freeze;          /* cgroup.freeze in the v2 root's children */
        Tristate memsw;              /* v1 memory.memsw.* (swap accounting) */
        char **filesystems;          /* <proc>/filesystems */
        IdRange *subuids, *subgids;  /* root's */
        size_t n_subuids, n_subgids;
        bool subuid_file, subgid_file;
        char *tools[16];             /* path of each of doctor_tools[], or NULL */
        Tristate busybox_static;
        char *store;                 /* the store, and the nearest existing directory of it */
        char *store_existing;

        /* live probes */
        Tristate openat2, clone3, pidfd;
        Tristate idmap_store;
        char *idmap_detail;          /* why not, or the file system */
        Tristate cgroup_create;
        char *cgroup_detail;
        Tristate bpf_devices;        /* v2 */
} DoctorFacts;

void doctor_facts_done(DoctorFacts *f);

typedef struct DoctorRoots {
        const char *proc, *sys, *root; /* "/proc", "/sys", "/" */
        const char *subuid, *subgid;
        const char *store;
} DoctorRoots;

/* Reads what the files under the roots say; the probes are left unknown. */
int doctor_gather(const DoctorRoots *roots, DoctorFacts *ret);
/* The live kernel: syscalls, an idmapped mount of the store, a cgroup of our own. */
void doctor_probe(BerthContext *ctx, DoctorFacts *f);
/* Pure: the verdicts, in a fixed order. */
void doctor_judge(const DoctorFacts *f, BerthDoctorCheck **ret, size_t *ret_n);
