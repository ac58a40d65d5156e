/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The managed network as the public API shows it: the global config's 'network:' section, and
 * the network module doing the work. */
#include <string.h>

#include "context.h"
#include "global.h"
#include "network.h"

int network_global(BerthContext *ctx, NetGlobal *ret, BerthError **reterr)
{
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int r = global_read(ctx, &text, &size, reterr);
        if (r < 0)
                return r;
        return net_global_parse(text, size, ctx->config_file, global_sections, ret, reterr);
}

int network_prepare_start(BerthContext *ctx, const char *name, const BerthConfig *c,
                          BerthError **reterr)
{
        /* What a dead run of this container left (its monitor killed with it) goes first: its
         * host veth would otherwise look like a name clash, its address like a duplicate. */
        int r = net_container_cleanup(ctx->rundir, name, reterr);
        if (r < 0)
                return r;
        if (c->n_network == 0 && !c->publish)
                return 0;
        NetGlobal g;
        r = network_global(ctx, &g, reterr);
        if (r < 0)
                return r;
        r = net_container_check(ctx->rundir, name, c, &g, reterr);
        if (r >= 0 && net_config_uses_managed(c, &g) && !net_network_is_up(ctx->rundir, g.bridge))
                r = net_network_up(ctx->rundir, &g, reterr);
        net_global_done(&g);
        return r;
}

static int managed(BerthContext *ctx, const char *bridge, NetGlobal *ret, BerthError **reterr)
{
        int r = network_global(ctx, ret, reterr);
        if (r < 0)
                return r;
        if (bridge && !streq(bridge, ret->bridge)) {
                r = berth_error_setf(reterr, EINVAL,
                                     "network '%s': not berth's managed bridge (that is '%s')",
                                     bridge, ret->bridge);
                net_global_done(ret);
                return r;
        }
        return 0;
}

int berth_network_up(BerthContext *ctx, const char *bridge, BerthError **reterr)
{
        NetGlobal g;
        int r = managed(ctx, bridge, &g, reterr);
        if (r < 0)
                return r;
        r = net_network_up(ctx->rundir, &g, reterr);
        net_global_done(&g);
        return r;
}

int berth_network_down(BerthContext *ctx, const char *bridge, bool force, BerthError **reterr)
{
        NetGlobal g;
        int r = managed(ctx, bridge, &g, reterr);
        if (r < 0)
                return r;
        r = net_network_down(ctx->rundir, g.bridge, force, reterr);
        net_global_done(&g);
        return r;
}

int berth_network_status(BerthContext *ctx, const char *bridge, BerthNetworkStatus *ret,
                         BerthError **reterr)
{
        NetGlobal g;
        int r = managed(ctx, bridge, &g, reterr);
        if (r < 0)
                return r;
        r = net_network_status(ctx->rundir, &g, ret, reterr);
        net_global_done(&g);
        return r;
}
