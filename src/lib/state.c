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

const char *berth_state_to_string(BerthState s)
{
        if (s < 0 || s >= _BERTH_STATE_MAX)
                return NULL;
        return state_table[s];
}

BerthState berth_state_from_string(const char *s)
{
        if (!s)
                return _BERTH_STATE_INVALID;
        for (int i = 0; i < _BERTH_STATE_MAX; i++)
                if (strcasecmp(s, state_table[i]) == 0)
                        return i;
        return _BERTH_STATE_INVALID;
}

bool berth_name_is_valid(const char *name)
{
        return config_name_is_valid(name);
}

char *berth_escape(const char *s)
{
        return config_escape(strempty(s));
}
