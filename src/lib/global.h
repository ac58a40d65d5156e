/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The global config file (BerthContext.config_file). */

#include "berth.h"
#include "config/config.h"

/* Its top-level keys; anything else in the file is an error. */
extern const char *const global_sections[];

/* The file's text, or NULL (and 0) when there is none. */
int global_read(BerthContext *ctx, char **ret_text, size_t *ret_size, BerthError **reterr);
/* What a new container starts from: built-in defaults (pids and memory limits) with the
 * file's 'defaults' section on top. */
int global_defaults(BerthContext *ctx, BerthConfig **ret, BerthError **reterr);
