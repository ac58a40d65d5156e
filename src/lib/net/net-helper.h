/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the helper berth-net does (it links libmnl; nothing else does). Each call is the whole
 * of one helper run; errors are one-line BerthErrors. */

#include "net-internal.h"

/* <rundir>/NAME/net.plan applied to the namespace netns_fd; undone again on failure. */
int net_helper_setup(const char *rundir, const char *name, int netns_fd, BerthError **reterr);
/* Everything the plan made, removed; netns_fd may be -EBADF. */
int net_helper_teardown(const char *rundir, const char *name, int netns_fd, BerthError **reterr);

int net_helper_network_up(const char *rundir, const NetGlobal *g, BerthError **reterr);
int net_helper_network_down(const char *rundir, const char *bridge, bool force,
                            BerthError **reterr);

/* <rundir>/.net/lock, held exclusively (the fd; close to release). */
int net_lock(const char *rundir, int *ret_fd, BerthError **reterr);
/* Writes value to /proc/sys/PATH ("net/ipv4/conf/berth0/forwarding"). */
int net_sysctl_write(const char *path, const char *value);
int net_sysctl_read(const char *path, char **ret);
