/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

/* The largest errno the kernel uses: a "negative errno" below -ERRNO_MAX is no errno. */
#define ERRNO_MAX 4095
static inline bool errno_is_valid(long code)
{
        return code > 0 && code <= ERRNO_MAX;
}

/* An error with context, filled by library entry points exactly when they return < 0.
 * The message reads "start 'web1': mount 'proc' on '/proc': permission denied". */
typedef struct BerthError {
        int code; /* positive errno */
        char *message;
} BerthError;

/* Sets *reterr (if reterr is non-NULL and *reterr is NULL) to "<fmt>: strerror(code)" and
 * returns -abs(code). A code of 0 is treated as EIO. */
_printf_(3, 4) int berth_error_set(BerthError **reterr, int code, const char *fmt, ...);
/* Same without appending strerror: the message already says everything. */
_printf_(3, 4) int berth_error_setf(BerthError **reterr, int code, const char *fmt, ...);
/* Prepends "<fmt>: " to an existing error's message while unwinding; returns -code. If there is
 * no error object yet, creates one from code. */
_printf_(3, 4) int berth_error_prefix(BerthError **reterr, int code, const char *fmt, ...);
BerthError *berth_error_free(BerthError *e);
DEFINE_TRIVIAL_CLEANUP_FUNC(BerthError *, berth_error_free);
/* The message, or strerror of code when no object is present. */
const char *berth_error_message(const BerthError *e, int code);
