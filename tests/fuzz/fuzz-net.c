/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the network module's parsers: a container's network record (net.plan), the recorded
 * state of a managed bridge, a 'publish' entry and the global config's 'network:' section. Each
 * either refuses its input or reads it into something whose text reads back the same. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net-internal.h"

const char fuzz_target_name[] = "net";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void plan_round_trip(const char *text)
{
        _cleanup_(net_plan_freep) NetPlan *p = NULL;
        if (net_plan_from_string(text, &p) < 0) {
                if (p)
                        abort(); /* nothing half read */
                return;
        }
        _cleanup_free_ char *again = net_plan_to_string(p);
        _cleanup_(net_plan_freep) NetPlan *q = NULL;
        if (net_plan_from_string(again, &q) < 0)
                abort();
        _cleanup_free_ char *third = net_plan_to_string(q);
        if (!streq(again, third))
                abort();
}

static void state_round_trip(const char *text)
{
        NetGlobal g;
        if (net_global_from_string(text, &g) < 0)
                return;
        _cleanup_free_ char *again = net_global_to_string(&g);
        NetGlobal h;
        if (net_global_from_string(again, &h) < 0)
                abort();
        _cleanup_free_ char *third = net_global_to_string(&h);
        if (!streq(again, third))
                abort();
        net_global_done(&g);
        net_global_done(&h);
}

static void publish_round_trip(const char *line)
{
        BerthPublish p, q;
        if (config_publish_parse(line, &p) < 0)
                return;
        _cleanup_free_ char *text = config_publish_to_string(&p);
        if (config_publish_parse(text, &q) < 0 || !config_publish_conflict(&p, &q))
                abort();
        _cleanup_free_ char *again = config_publish_to_string(&q);
        if (!streq(text, again))
                abort();
}

static void section(const char *text, size_t size)
{
        static const char *const sections[] = {"defaults", "network", NULL};
        NetGlobal g;
        _cleanup_(berth_error_freep) BerthError *err = NULL;
        int r = net_global_parse(text, size, "fuzz", sections, &g, &err);
        if (r < 0) {
                if (r != -EBADMSG || !err || !err->message || strchr(err->message, '\n'))
                        abort();
                return;
        }
        if (err || net_global_validate(&g, NULL) < 0)
                abort();
        net_global_done(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = xstrndup((const char *)data, size);
        plan_round_trip(text);
        state_round_trip(text);
        _cleanup_free_ char *line = xstrndup(text, strcspn(text, "\n"));
        publish_round_trip(line);
        section((const char *)data, size);
        return 0;
}
