/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "strv.h"

char **strv_free(char **l)
{
        if (l) {
                for (char **p = l; *p; p++)
                        free(*p);
                free(l);
        }
        return NULL;
}

size_t strv_length(char *const *l)
{
        size_t n = 0;
        while (l && l[n])
                n++;
        return n;
}

void strv_push(char ***l, char *s)
{
        size_t n = strv_length(*l);
        *l = xreallocarray(*l, n + 2, sizeof(char *));
        (*l)[n] = s;
        (*l)[n + 1] = NULL;
}

void strv_extend(char ***l, const char *s)
{
        strv_push(l, xstrdup(s));
}

char **strv_copy(char *const *l)
{
        char **r = xcalloc(strv_length(l) + 1, sizeof(char *));
        size_t i = 0;
        STRV_FOREACH(s, l)
                r[i++] = xstrdup(*s);
        return r;
}

bool strv_contains(char *const *l, const char *s)
{
        STRV_FOREACH(p, l)
                if (streq(*p, s))
                        return true;
        return false;
}

char *strv_join(char *const *l, const char *sep)
{
        size_t len = 0, seplen = strlen(sep);
        STRV_FOREACH(s, l)
                len += strlen(*s) + seplen;
        char *r = xmalloc(len + 1), *p = r;
        *p = 0;
        STRV_FOREACH(s, l) {
                if (p != r)
                        p = stpcpy(p, sep);
                p = stpcpy(p, *s);
        }
        return r;
}
