/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libberth's error numbers (berth.h) as named D-Bus errors. */
#include <stdarg.h>
#include <string.h>

#include "berthd.h"
#include "wire.h"

#define E(x) "org.berth.Berth1.Error." x

/* The first entry of an errno is the name berthd sends; every entry is also what sd-bus maps
 * back to that errno in a client that registers this table. */
const sd_bus_error_map berth_error_map[] = {
        SD_BUS_ERROR_MAP(E("NoSuchContainer"), ENOENT),
        SD_BUS_ERROR_MAP(E("NoSuchSnapshot"), ENOENT),
        SD_BUS_ERROR_MAP(E("AlreadyExists"), EEXIST),
        SD_BUS_ERROR_MAP(E("InvalidName"), EINVAL),
        SD_BUS_ERROR_MAP(E("InvalidConfig"), EBADMSG),
        SD_BUS_ERROR_MAP(E("AlreadyRunning"), EALREADY),
        SD_BUS_ERROR_MAP(E("NotRunning"), ESRCH),
        SD_BUS_ERROR_MAP(E("Busy"), EBUSY),
        SD_BUS_ERROR_MAP(E("PermissionDenied"), EPERM),
        SD_BUS_ERROR_MAP(E("PermissionDenied"), EACCES),
        SD_BUS_ERROR_MAP(E("TimedOut"), ETIMEDOUT),
        SD_BUS_ERROR_MAP(E("NotSupported"), EOPNOTSUPP),
        SD_BUS_ERROR_MAP(E("NoSpace"), ENOSPC),
        SD_BUS_ERROR_MAP(E("Failed"), EIO),
        SD_BUS_ERROR_MAP_END,
};

const char *bus_error_name(int error)
{
        for (const sd_bus_error_map *e = berth_error_map; e->name; e++)
                if (e->code == error)
                        return e->name;
        /* Everything else libberth passes through from the operation that failed. */
        return E("Failed");
}

/* Messages come from libberth (one line, user text escaped) but may still hold bytes that are
 * not UTF-8, which the bus refuses: sanitized, and capped like a worker's record. */
static int set_message(sd_bus_error *e, const char *name, int error, const char *message)
{
        _cleanup_free_ char *clean = bus_text_sanitize(message, strlen(message), WIRE_TEXT_MAX);
        sd_bus_error_set(e, name, clean);
        return -error;
}

int bus_error_from_berth(sd_bus_error *e, int r, const BerthError *err)
{
        int error = r < 0 ? -r : EIO;
        return set_message(e, bus_error_name(error), error, berth_error_message(err, -error));
}

int bus_error_setf(sd_bus_error *e, int error, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        int k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                oom();
        _cleanup_free_ char *message = s;
        return set_message(e, bus_error_name(error), error, message);
}
