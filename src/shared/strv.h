/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* NULL-terminated string vectors. */
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char *const *l);
/* Appends a copy of s. */
void strv_extend(char ***l, const char *s);
/* Appends s, taking ownership. */
void strv_push(char ***l, char *s);
char **strv_copy(char *const *l);
bool strv_contains(char *const *l, const char *s);
char *strv_join(char *const *l, const char *sep);
#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
