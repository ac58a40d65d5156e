/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The effective configuration (berth_config_show's YAML) as flat "path = value" pairs, for the
 * detail view and the stop countdown: "init.stop_timeout" = "30", "mounts.0.target" = "/data".
 * Only what the detail view shows is looked up; unknown keys are simply never asked for, so the
 * library can grow its configuration without this file. */

#include <stddef.h>

typedef struct ConfEntry {
        char *path;
        char *value; /* a scalar; never NULL ("null" stays "null") */
} ConfEntry;

typedef struct Conf {
        ConfEntry *entries;
        size_t n;
} Conf;

/* Bounded: at most CONF_ENTRIES_MAX scalars and CONF_DEPTH_MAX levels; -EBADMSG for
 * malformed YAML, -E2BIG beyond the bounds. */
#define CONF_ENTRIES_MAX 4096
#define CONF_DEPTH_MAX 16
int conf_parse(const char *yaml, size_t len, Conf **ret);
Conf *conf_free(Conf *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Conf *, conf_free);

/* The value at path, or NULL when absent or YAML null ("null", "~", ""). */
const char *conf_get(const Conf *c, const char *path);
/* How many items the sequence at path has (entries "path.N..."). */
size_t conf_count(const Conf *c, const char *path);
