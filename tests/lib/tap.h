/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A tiny TAP producer for unit tests run by automake's tap-driver. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                              \
        ({                                                                                         \
                bool _c = (cond);                                                                  \
                tap_n++;                                                                           \
                if (!_c)                                                                           \
                        tap_failed++;                                                              \
                printf("%s %d - ", _c ? "ok" : "not ok", tap_n);                                   \
                printf(__VA_ARGS__);                                                               \
                printf("\n");                                                                      \
                if (!_c)                                                                           \
                        printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
                fflush(stdout);                                                                    \
                _c;                                                                                \
        })

#define is_int(got, want, ...)                                                                     \
        ({                                                                                         \
                long long _g = (long long)(got), _w = (long long)(want);                           \
                bool _r = ok(_g == _w, __VA_ARGS__);                                               \
                if (!_r)                                                                           \
                        printf("#   got %lld, want %lld\n", _g, _w);                               \
                _r;                                                                                \
        })

#define is_str(got, want, ...)                                                                     \
        ({                                                                                         \
                const char *_g = (got), *_w = (want);                                              \
                bool _r = ok(_g && _w ? strcmp(_g, _w) == 0 : _g == _w, __VA_ARGS__);              \
                if (!_r)                                                                           \
                        printf("#   got '%s', want '%s'\n", _g ? _g : "(null)",                    \
                               _w ? _w : "(null)");                                                \
                _r;                                                                                \
        })

/* Substring match, for error messages. */
#define like(got, needle, ...)                                                                     \
        ({                                                                                         \
                const char *_g = (got), *_nd = (needle);                                           \
                bool _r = ok(_g && strstr(_g, _nd), __VA_ARGS__);                                  \
                if (!_r)                                                                           \
                        printf("#   '%s' does not contain '%s'\n", _g ? _g : "(null)", _nd);       \
                _r;                                                                                \
        })

static inline int tap_skip_all(const char *why)
{
        printf("1..0 # SKIP %s\n", why);
        return 0;
}

static inline int tap_done(void)
{
        printf("1..%d\n", tap_n);
        return tap_failed ? 1 : 0;
}
