/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/config.h"

typedef struct ComposeEntry {
        char *text;          /* the entry's YAML, padded to keep the file's line:col */
        unsigned line, column;
        BerthConfig *config; /* parsed and validated (name and template present) */
} ComposeEntry;

typedef struct Compose {
        ComposeEntry *entries;
        size_t n_entries;
        char **volumes; /* absolute host directories */
        char **start;   /* names, in start order */
        char *project;  /* "project:", what the containers it creates are labelled with; NULL:
                           the caller uses the file's path */
} Compose;

/* Pure: parses a composition file (or a single container's config with name and template);
 * every error names file:line:col. */
int compose_parse(const char *text, size_t len, const char *filename, Compose **ret,
                  BerthError **reterr);
void compose_free(Compose *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Compose *, compose_free);
