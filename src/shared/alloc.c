/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "macro.h"

void oom(void)
{
        static const char msg[] = "berth: out of memory\n";
        ssize_t _unused_ r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
        abort();
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t m)
{
        void *p = calloc(n ? n : 1, m ? m : 1);
        if (!p)
                oom();
        return p;
}

void *xrealloc(void *p, size_t n)
{
        p = realloc(p, n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xreallocarray(void *p, size_t n, size_t m)
{
        if (m && n > SIZE_MAX / m)
                oom();
        return xrealloc(p, n * m);
}

char *xstrdup(const char *s)
{
        char *r = strdup(s);
        if (!r)
                oom();
        return r;
}

char *xstrndup(const char *s, size_t n)
{
        char *r = strndup(s, n);
        if (!r)
                oom();
        return r;
}

char *xasprintf(const char *fmt, ...)
{
        va_list ap;
        char *r;

        va_start(ap, fmt);
        if (vasprintf(&r, fmt, ap) < 0)
                oom();
        va_end(ap);
        return r;
}
