/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static int error_code(int code)
{
        if (code < 0)
                code = -code;
        return code ? code : EIO;
}

static int error_vset(BerthError **reterr, int code, bool with_strerror, const char *fmt,
                      va_list ap)
{
        code = error_code(code);
        if (!reterr || *reterr)
                return -code;

        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                oom();

        BerthError *e = xcalloc(1, sizeof(*e));
        e->code = code;
        e->message = with_strerror ? xasprintf("%s: %s", msg, strerror(code)) : TAKE_PTR(msg);
        *reterr = e;
        return -code;
}

int berth_error_set(BerthError **reterr, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = error_vset(reterr, code, true, fmt, ap);
        va_end(ap);
        return r;
}

int berth_error_setf(BerthError **reterr, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = error_vset(reterr, code, false, fmt, ap);
        va_end(ap);
        return r;
}

int berth_error_prefix(BerthError **reterr, int code, const char *fmt, ...)
{
        code = error_code(code);
        if (!reterr)
                return -code;

        _cleanup_free_ char *ctx = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&ctx, fmt, ap) < 0)
                oom();
        va_end(ap);

        if (!*reterr)
                return berth_error_set(reterr, code, "%s", ctx);

        char *m = xasprintf("%s: %s", ctx, (*reterr)->message);
        free((*reterr)->message);
        (*reterr)->message = m;
        return -(*reterr)->code;
}

BerthError *berth_error_free(BerthError *e)
{
        if (e) {
                free(e->message);
                free(e);
        }
        return NULL;
}

const char *berth_error_message(const BerthError *e, int code)
{
        if (e && e->message)
                return e->message;
        return strerror(error_code(code));
}
