/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _malloc_ __attribute__((malloc))
#define _warn_unused_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _p_ = (p);                                                           \
                (p) = NULL;                                                                        \
                _p_;                                                                               \
        })
#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _fd_ = (fd);                                                                   \
                (fd) = -EBADF;                                                                     \
                _fd_;                                                                              \
        })

/* Defines foop() for use with _cleanup_(foop) from a NULL-safe foo_free(). */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
        static inline void func##p(type *p)                                                        \
        {                                                                                          \
                if (*p)                                                                            \
                        func(*p);                                                                  \
        }

static inline void freep(void *p)
{
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

/* free() that returns NULL, for "p = mfree(p)". */
static inline void *mfree(void *p)
{
        free(p);
        return NULL;
}

static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                close(fd);
                errno = saved;
        }
        return -EBADF;
}
static inline void closep(int *fd)
{
        safe_close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Allocation failure is not a recoverable condition for a container manager. */
_noreturn_ void oom(void);
_malloc_ void *xmalloc(size_t n);
_malloc_ void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t m);
_malloc_ char *xstrdup(const char *s);
_malloc_ char *xstrndup(const char *s, size_t n);
_printf_(1, 2) _malloc_ char *xasprintf(const char *fmt, ...);

static inline const char *strempty(const char *s)
{
        return s ? s : "";
}
static inline bool streq_ptr(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return __builtin_strcmp(a, b) == 0;
}
#define streq(a, b) (__builtin_strcmp((a), (b)) == 0)

/* name_to_string() and name_from_string() over a table of strings indexed by an enum; NULL
 * entries are allowed. from_string returns -1 (the enum's _INVALID) for unknown text. Every
 * enum with a text form uses one of these, and its test walks the whole range. */
#define DEFINE_STRING_TABLE_LOOKUP_WITH(name, type, table, cmp)                                    \
        const char *name##_to_string(type i)                                                       \
        {                                                                                          \
                if ((int)i < 0 || (size_t)i >= ELEMENTSOF(table))                                  \
                        return NULL;                                                               \
                return table[i];                                                                   \
        }                                                                                          \
        type name##_from_string(const char *s)                                                     \
        {                                                                                          \
                if (!s)                                                                            \
                        return (type)-1;                                                           \
                for (size_t i = 0; i < ELEMENTSOF(table); i++)                                     \
                        if (table[i] && cmp(table[i], s) == 0)                                     \
                                return (type)i;                                                    \
                return (type)-1;                                                                   \
        }
#define DEFINE_STRING_TABLE_LOOKUP(name, type, table)                                              \
        DEFINE_STRING_TABLE_LOOKUP_WITH(name, type, table, __builtin_strcmp)

/* Negative errno from a libc call that set errno, never 0. */
static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}
