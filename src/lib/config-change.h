/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Changing an existing container's config: berth set, berth config edit, and berth create -f on a
 * container that exists. One path, so each of them checks, applies live and saves alike. */

#include "berth.h"
#include "config/config.h"

/* Turns the current config (a copy, loaded under the container's lock) into the wanted one, in
 * place or by replacing *c. */
typedef int (*ConfigEditFunc)(BerthConfig **c, void *userdata, BerthError **reterr);

typedef struct ConfigChangeRequest {
        const char *action; /* "set", "edit", "apply": the start of every message */
        ConfigEditFunc edit;
        void *userdata;
        const char *text;   /* saved as it is instead of the normalised config (edit), or NULL */
        bool dry_run;       /* check and report, change nothing */
} ConfigChangeRequest;

/* With the container's lock held: edit, check (the cross-key checks, keys that cannot change,
 * the host id range), apply changed limits live when it runs, save; all or nothing. */
int config_change(BerthContext *ctx, const char *name, const ConfigChangeRequest *req,
                  BerthConfigChange *ret, BerthError **reterr);
