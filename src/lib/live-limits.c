/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Live limits, the library's half: the SET_LIMITS request to a container's monitor. The monitor
 * applies them (monitor.c), because it owns the payload cgroup for the whole run: it keeps the
 * limits in its own copy of the config, tears the cgroup down at the end, and serialises a
 * change against a stop in progress. */
#include <stddef.h>

#include "container-internal.h"
#include "live-limits.h"

static const struct {
        uint16_t tag;
        size_t offset;
} limit_tags[] = {
        {PROTO_TAG_LIMIT_MEMORY, offsetof(BerthLimits, memory)},
        {PROTO_TAG_LIMIT_SWAP, offsetof(BerthLimits, swap)},
        {PROTO_TAG_LIMIT_CPUS_MILLI, offsetof(BerthLimits, cpus_milli)},
        {PROTO_TAG_LIMIT_CPU_WEIGHT, offsetof(BerthLimits, cpu_weight)},
        {PROTO_TAG_LIMIT_PIDS, offsetof(BerthLimits, pids)},
        {PROTO_TAG_LIMIT_IO_WEIGHT, offsetof(BerthLimits, io_weight)},
};
_Static_assert(sizeof(BerthLimits) == ELEMENTSOF(limit_tags) * sizeof(uint64_t),
               "every field of BerthLimits has its tag");

void limits_message_put(ProtoMessage *m, const BerthLimits *l)
{
        for (size_t i = 0; i < ELEMENTSOF(limit_tags); i++)
                (void)proto_put_u64(m, limit_tags[i].tag,
                                    *(const uint64_t *)((const char *)l + limit_tags[i].offset));
}

int limits_message_get(const ProtoMessage *m, BerthLimits *ret)
{
        BerthLimits l = {};
        for (size_t i = 0; i < ELEMENTSOF(limit_tags); i++) {
                int r = proto_get_u64(m, limit_tags[i].tag,
                                      (uint64_t *)((char *)&l + limit_tags[i].offset));
                if (r < 0)
                        return -EBADMSG;
        }
        *ret = l;
        return 0;
}

int container_change_limits(BerthContext *ctx, const char *name, const char *action,
                            const BerthLimits *l, BerthLimits *ret_previous, BerthError **reterr)
{
        _cleanup_(proto_message_freep) ProtoMessage *req =
                proto_message_new(PROTO_CMD_SET_LIMITS, 0);
        _cleanup_(proto_message_freep) ProtoMessage *reply = NULL;
        limits_message_put(req, l);
        int r = container_call(ctx, name, action, req, 0, &reply, NULL, NULL, reterr);
        if (r < 0)
                return r;
        if (ret_previous && limits_message_get(reply, ret_previous) < 0)
                return berth_error_setf(reterr, EBADMSG,
                                        "%s '%s': the monitor's answer lacks the previous limits",
                                        action, name);
        return 0;
}
