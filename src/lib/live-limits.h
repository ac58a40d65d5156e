/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Live limits: the monitor's SET_LIMITS request, spoken by the library (berth set) and served by
 * the monitor, which owns the container's cgroup. */

#include "berth.h"
#include "config/config.h"
#include "proto/proto.h"

/* Every field of l as its LIMIT_* tag (0: no limit). */
void limits_message_put(ProtoMessage *m, const BerthLimits *l);
/* -EBADMSG when a tag is missing or of another type: a request names every limit, so that a
 * limit it leaves out is never lifted by accident. */
int limits_message_get(const ProtoMessage *m, BerthLimits *ret);

/* Asks the monitor of running container name to change its cgroup to limits l; the limits it
 * had are returned in *ret_previous (may be NULL). -ESRCH (with an error) when it does not
 * run. Either every limit is applied or none. */
int container_change_limits(BerthContext *ctx, const char *name, const char *action,
                            const BerthLimits *l, BerthLimits *ret_previous, BerthError **reterr);
