/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes what berthd parses: a worker's records (wire_decode), the text it puts on the bus
 * (bus_text_sanitize) and container object paths (container_name_from_path). The first byte
 * picks the parser, the rest is its input. Whatever comes in, a decoded record holds clean,
 * bounded text and in-range values and encodes back to itself; sanitized text is clean and
 * bounded; a path that names a container is exactly that container's path. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "berth.h"
#include "wire.h"

const char fuzz_target_name[] = "dbus";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_record(const uint8_t *data, size_t size)
{
        WireRecord r;
        if (wire_decode(data, size, &r) < 0)
                return;
        size_t n = strlen(r.text);
        if (n > WIRE_TEXT_MAX || !bus_text_is_clean(r.text, n))
                abort();
        uint8_t buf[WIRE_RECORD_MAX];
        size_t k;
        switch (r.type) {
        case WIRE_PROGRESS:
                if (!(r.fraction == -1 || (r.fraction >= 0 && r.fraction <= 1)))
                        abort();
                k = wire_encode_progress(buf, r.fraction, r.text);
                break;
        case WIRE_RESULT:
                if (r.error < 0 || r.error >= 4096)
                        abort();
                k = wire_encode_result(buf, r.error, r.text);
                break;
        case WIRE_DATA:
                k = wire_encode_data(buf, r.text);
                break;
        default:
                abort();
        }
        /* What was decoded is already normal: it survives a round trip unchanged. */
        WireRecord again;
        if (wire_decode(buf, k, &again) < 0 || again.type != r.type || again.error != r.error ||
            again.fraction != r.fraction || strcmp(again.text, r.text) != 0)
                abort();
        wire_record_done(&again);
        wire_record_done(&r);
}

static void check_text(const uint8_t *data, size_t size)
{
        /* The cap from the input too, small ones included. */
        size_t max = size ? data[0] : 0;
        char *s = bus_text_sanitize((const char *)data, size, max);
        size_t n = strlen(s);
        if (n > max || !bus_text_is_clean(s, n))
                abort();
        if (bus_text_is_clean((const char *)data, size) && !memchr(data, 0, size) && size <= max &&
            (n != size || memcmp(s, data, size) != 0))
                abort();
        free(s);
}

static void check_path(const uint8_t *data, size_t size)
{
        char *path = strndup((const char *)data, size);
        char *name = NULL;
        if (container_name_from_path(path, &name) == 0) {
                char *back = container_path(name);
                if (!berth_name_is_valid(name) || strcmp(back, path) != 0)
                        abort();
                free(back);
                free(name);
        }
        free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        switch (data[0] % 3) {
        case 0:
                check_record(data + 1, size - 1);
                break;
        case 1:
                check_text(data + 1, size - 1);
                break;
        default:
                check_path(data + 1, size - 1);
                break;
        }
        return 0;
}
