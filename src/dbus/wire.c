/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "berth.h"

#include "wire.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes) and its code point, or 0 when the
 * bytes there are not one (the strict rules of RFC 3629: no overlong forms, no surrogates,
 * nothing beyond U+10FFFF). */
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *ret)
{
        uint32_t c = s[0];
        size_t len;
        uint32_t min;
        if (c < 0x80) {
                *ret = c;
                return 1;
        } else if ((c & 0xe0) == 0xc0) {
                len = 2, min = 0x80, c &= 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
                len = 3, min = 0x800, c &= 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
                len = 4, min = 0x10000, c &= 0x07;
        } else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *ret = c;
        return len;
}

static bool is_control(uint32_t c)
{
        return c < 0x20 || (c >= 0x7f && c < 0xa0);
}

char *bus_text_sanitize(const char *s, size_t n, size_t max)
{
        static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
        const uint8_t *p = (const uint8_t *)s;
        /* Each input byte becomes at most the 3 bytes of U+FFFD. */
        size_t cap = MIN(n, max) * 3 + 1;
        char *out = xmalloc(cap);
        size_t o = 0;
        for (size_t i = 0; i < n;) {
                uint32_t c;
                size_t len = utf8_decode(p + i, n - i, &c);
                const char *add;
                size_t add_len;
                if (len == 0) {
                        add = replacement, add_len = 3, len = 1;
                } else if (is_control(c)) {
                        add = " ", add_len = 1;
                } else {
                        add = (const char *)p + i, add_len = len;
                }
                if (o + add_len > max || o + add_len >= cap)
                        break;
                memcpy(out + o, add, add_len);
                o += add_len;
                i += len;
        }
        out[o] = 0;
        return out;
}

bool bus_text_is_clean(const char *s, size_t n)
{
        const uint8_t *p = (const uint8_t *)s;
        for (size_t i = 0; i < n;) {
                uint32_t c;
                size_t len = utf8_decode(p + i, n - i, &c);
                if (len == 0 || is_control(c))
                        return false;
                i += len;
        }
        return true;
}

static size_t encode(uint8_t *buf, WireType type, uint64_t value, const char *text)
{
        buf[0] = (uint8_t)type;
        for (size_t i = 0; i < 8; i++)
                buf[1 + i] = (uint8_t)(value >> (8 * i));
        size_t len = text ? strnlen(text, WIRE_TEXT_MAX) : 0;
        if (len)
                memcpy(buf + WIRE_HEADER_SIZE, text, len);
        return WIRE_HEADER_SIZE + len;
}

size_t wire_encode_progress(uint8_t *buf, double fraction, const char *text)
{
        uint64_t v;
        memcpy(&v, &fraction, sizeof(v));
        return encode(buf, WIRE_PROGRESS, v, text);
}

size_t wire_encode_result(uint8_t *buf, int error, const char *text)
{
        return encode(buf, WIRE_RESULT, (uint64_t)(int64_t)error, text);
}

size_t wire_encode_data(uint8_t *buf, const char *text)
{
        return encode(buf, WIRE_DATA, 0, text);
}

int wire_decode(const uint8_t *buf, size_t size, WireRecord *ret)
{
        if (size < WIRE_HEADER_SIZE || size > WIRE_RECORD_MAX)
                return -EBADMSG;
        uint64_t v = 0;
        for (size_t i = 0; i < 8; i++)
                v |= (uint64_t)buf[1 + i] << (8 * i);

        WireRecord r = {.type = buf[0], .fraction = -1};
        switch (buf[0]) {
        case WIRE_PROGRESS: {
                double f;
                memcpy(&f, &v, sizeof(f));
                /* NaN, infinities and negatives all mean "unknown"; past the end is done. */
                r.fraction = isfinite(f) && f >= 0 ? MIN(f, 1.0) : -1;
                break;
        }
        case WIRE_RESULT: {
                int64_t e = (int64_t)v;
                /* Only an errno can come here; anything else is a failure of unknown kind. */
                r.error = e == 0 ? 0 : e > 0 && e < 4096 ? (int)e : EIO;
                break;
        }
        case WIRE_DATA:
                if (v != 0)
                        return -EBADMSG;
                break;
        default:
                return -EBADMSG;
        }
        r.text = bus_text_sanitize((const char *)buf + WIRE_HEADER_SIZE, size - WIRE_HEADER_SIZE,
                                   WIRE_TEXT_MAX);
        *ret = r;
        return 0;
}

void wire_record_done(WireRecord *r)
{
        free(r->text);
        *r = (WireRecord){};
}

char *container_path(const char *name)
{
        char *p = NULL;
        if (sd_bus_path_encode(CONTAINER_PREFIX, name, &p) < 0)
                oom();
        return p;
}

int container_name_from_path(const char *path, char **ret)
{
        _cleanup_free_ char *name = NULL;
        if (!path || sd_bus_path_decode(path, CONTAINER_PREFIX, &name) <= 0)
                return -EINVAL;
        if (!berth_name_is_valid(name))
                return -EINVAL;
        /* One object per container: sd-bus also decodes forms it would not encode ("0" for
         * "_30"), which are refused. */
        _cleanup_free_ char *canonical = container_path(name);
        if (!streq(canonical, path))
                return -EINVAL;
        *ret = TAKE_PTR(name);
        return 0;
}
