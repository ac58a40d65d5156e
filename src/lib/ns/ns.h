/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "../../shared/macro.h"

/* The namespaces a container gets, in the order a joiner must enter them (user first, so the
 * others are entered with the capabilities it grants; mnt last but one, time last). */
typedef struct NsInfo {
        const char *name; /* as in /proc/PID/ns/ */
        int flag;         /* CLONE_NEW* */
} NsInfo;

const NsInfo *ns_table(size_t *ret_n);
/* Joins every namespace of the process behind pidfd that differs from ours, in one setns()
 * when the kernel supports pidfd namespaces, else one by one through /proc/PID/ns. */
int ns_enter_all(int pidfd, pid_t pid);
