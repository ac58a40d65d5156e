/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "berth.h"
#include "config/config.h"

static const char *const state_table[_BERTH_STATE_MAX] = {
        [BERTH_STATE_STOPPED] = "STOPPED",   [BERTH_STATE_STARTING] = "STARTING",
        [BERTH_STATE_RUNNING] = "RUNNING",   [BERTH_STATE_STOPPING] = "STOPPING",
        [BERTH_STATE_FREEZING] = "FREEZING", [BERTH_STATE_FROZEN] = "FROZEN",
        [BERTH_STATE_ABORTING] = "ABORTING",
};

DEFINE_STRING_TABLE_LOOKUP_WITH(berth_state, BerthState, state_table, strcasecmp)

bool berth_name_is_valid(const char *name)
{
        return config_name_is_valid(name);
}

char *berth_escape(const char *s)
{
        return config_escape(strempty(s));
}
