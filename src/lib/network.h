/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The network as the start path and the monitor see it: the managed network's settings from the
 * global config, and what must happen before a container starts. */

#include "berth.h"
#include "net/net.h"

/* The global config's 'network:' section over the defaults (berth0, 10.0.3.1/24, ...). */
int network_global(BerthContext *ctx, NetGlobal *ret, BerthError **reterr);

/* For berth_start, once it knows the container is not running and before the monitor is
 * spawned: what a dead run left is removed (net_container_cleanup), every network check is made
 * (net_container_check: nothing is created when one fails), then, when the container uses the
 * managed bridge and that is down, net_network_up, so dnsmasq is not started from the monitor
 * (it would live in the monitor's cgroup). */
int network_prepare_start(BerthContext *ctx, const char *name, const BerthConfig *c,
                          BerthError **reterr);
