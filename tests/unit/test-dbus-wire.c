/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* berthd's pure parts: the worker records, the text rules for the bus (checked against glibc's
 * own UTF-8 decoder), the errno -> error name table, and container object paths. */
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "berthd.h"
#include "tap.h"
#include "wire.h"

/* glibc's verdict: every character decodes and none is a control character. */
static bool glibc_clean(const char *s, size_t n)
{
        mbstate_t st = {};
        for (size_t i = 0; i < n;) {
                wchar_t wc;
                size_t k = mbrtowc(&wc, s + i, n - i, &st);
                if (k == (size_t)-1 || k == (size_t)-2 || k == 0)
                        return false;
                if (iswcntrl((wint_t)wc))
                        return false;
                i += k;
        }
        return true;
}

static void test_records(void)
{
        uint8_t buf[WIRE_RECORD_MAX];
        WireRecord r;

        static const struct {
                double in, out;
        } fractions[] = {
                {0.0, 0.0}, {0.5, 0.5}, {1.0, 1.0}, {2.5, 1.0}, {-1.0, -1.0}, {-0.25, -1.0},
                {NAN, -1.0}, {INFINITY, -1.0}, {-INFINITY, -1.0},
        };
        for (size_t i = 0; i < ELEMENTSOF(fractions); i++) {
                size_t n = wire_encode_progress(buf, fractions[i].in, "copying");
                bool good = wire_decode(buf, n, &r) == 0 && r.type == WIRE_PROGRESS &&
                            r.fraction == fractions[i].out && streq(r.text, "copying");
                ok(good, "progress %g decodes as %g", fractions[i].in, fractions[i].out);
                wire_record_done(&r);
        }

        static const struct {
                int in, out;
        } errors[] = {{0, 0}, {ENOENT, ENOENT}, {EBADMSG, EBADMSG}, {4095, 4095}, {4096, EIO},
                      {-3, EIO}, {1 << 30, EIO}};
        for (size_t i = 0; i < ELEMENTSOF(errors); i++) {
                size_t n = wire_encode_result(buf, errors[i].in, "start 'a': no");
                ok(wire_decode(buf, n, &r) == 0 && r.type == WIRE_RESULT &&
                           r.error == errors[i].out && streq(r.text, "start 'a': no"),
                   "result %d decodes as %d", errors[i].in, errors[i].out);
                wire_record_done(&r);
        }

        size_t n = wire_encode_data(buf, "snap3");
        ok(wire_decode(buf, n, &r) == 0 && r.type == WIRE_DATA && streq(r.text, "snap3"),
           "data decodes");
        wire_record_done(&r);
        buf[1] = 1;
        is_int(wire_decode(buf, n, &r), -EBADMSG, "data with a value is malformed");

        n = wire_encode_data(buf, "x");
        buf[0] = 'Z';
        is_int(wire_decode(buf, n, &r), -EBADMSG, "an unknown type is malformed");
        buf[0] = 0;
        is_int(wire_decode(buf, n, &r), -EBADMSG, "type 0 is malformed");
        for (size_t k = 0; k < WIRE_HEADER_SIZE; k++) {
                n = wire_encode_data(buf, "");
                if (wire_decode(buf, k, &r) != -EBADMSG) {
                        ok(false, "a record of %zu bytes is malformed", k);
                        break;
                }
                if (k == WIRE_HEADER_SIZE - 1)
                        ok(true, "records shorter than the header (0..%zu bytes) are malformed", k);
        }
        is_int(wire_decode(buf, WIRE_RECORD_MAX + 1, &r), -EBADMSG,
               "a record past WIRE_RECORD_MAX is malformed");

        char *big = xmalloc(WIRE_RECORD_MAX * 2);
        memset(big, 'a', WIRE_RECORD_MAX * 2 - 1);
        big[WIRE_RECORD_MAX * 2 - 1] = 0;
        n = wire_encode_progress(buf, 0.1, big);
        is_int(n, WIRE_RECORD_MAX, "a long line is cut to one record");
        ok(wire_decode(buf, n, &r) == 0 && strlen(r.text) == WIRE_TEXT_MAX,
           "and decodes to WIRE_TEXT_MAX bytes");
        wire_record_done(&r);
        free(big);

        n = wire_encode_progress(buf, 0.3, "bad \xff\xfe line\n\x1b[31m");
        ok(wire_decode(buf, n, &r) == 0 && bus_text_is_clean(r.text, strlen(r.text)) &&
                   glibc_clean(r.text, strlen(r.text)),
           "a line with invalid UTF-8 and escapes decodes to clean text");
        is_str(r.text, "bad \xef\xbf\xbd\xef\xbf\xbd line  [31m", "  replaced as specified");
        wire_record_done(&r);
}

static void test_sanitize(void)
{
        static const struct {
                const char *in;
                size_t len;
                size_t max;
                const char *out;
                const char *what;
        } cases[] = {
                {"plain text", 10, 100, "plain text", "ASCII passes"},
                {"tab\there\nnl\r", 12, 100, "tab here nl ", "C0 controls become spaces"},
                {"a\x7f" "b", 3, 100, "a b", "DEL becomes a space"},
                {"a\xc2\x85" "b", 4, 100, "a b", "C1 (NEL) becomes a space"},
                {"a\0b", 3, 100, "a b", "NUL becomes a space"},
                {"caf\xc3\xa9", 5, 100, "caf\xc3\xa9", "two-byte UTF-8 passes"},
                {"\xf0\x9f\x90\xb3", 4, 100, "\xf0\x9f\x90\xb3", "four-byte UTF-8 passes"},
                {"\x80", 1, 100, "\xef\xbf\xbd", "a lone continuation byte is replaced"},
                {"\xc0\xaf", 2, 100, "\xef\xbf\xbd\xef\xbf\xbd", "an overlong form is replaced"},
                {"\xed\xa0\x80", 3, 100, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
                 "a surrogate is replaced"},
                {"\xf4\x90\x80\x80", 4, 100,
                 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "beyond U+10FFFF is replaced"},
                {"ab\xe2\x82", 4, 100, "ab\xef\xbf\xbd\xef\xbf\xbd", "a truncated sequence is replaced"},
                {"a\xc3\xa9", 3, 2, "a", "cut at a character boundary"},
                {"abcdef", 6, 3, "abc", "cut at max"},
                {"\xff", 1, 2, "", "a replacement that does not fit is left out"},
                {"", 0, 10, "", "empty stays empty"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = bus_text_sanitize(cases[i].in, cases[i].len, cases[i].max);
                is_str(s, cases[i].out, "sanitize: %s", cases[i].what);
        }

        /* Any bytes at all: the result is what glibc and our own check call clean. */
        uint32_t seed = 12345;
        int bad = 0;
        for (int round = 0; round < 20000; round++) {
                char in[24];
                size_t len = (seed = seed * 1103515245 + 12345) % sizeof(in);
                for (size_t k = 0; k < len; k++) {
                        seed = seed * 1103515245 + 12345;
                        /* Bias towards the interesting bytes. */
                        uint8_t b = (uint8_t)(seed >> 16);
                        in[k] = (char)(b & 1 ? b : 0x80 | (b & 0x3f) | (b & 2 ? 0x40 : 0));
                }
                _cleanup_free_ char *s = bus_text_sanitize(in, len, 16);
                size_t n = strlen(s);
                if (n > 16 || !bus_text_is_clean(s, n) || !glibc_clean(s, n) ||
                    (bus_text_is_clean(in, len) && !memchr(in, 0, len) && len <= 16 &&
                     (n != len || memcmp(s, in, len) != 0)))
                        bad++;
        }
        is_int(bad, 0, "20000 random byte strings: clean for glibc, at most max, clean text kept");
}

static void test_error_names(void)
{
        static const struct {
                int error;
                const char *name;
        } names[] = {
                {ENOENT, "org.berth.Berth1.Error.NoSuchContainer"},
                {EEXIST, "org.berth.Berth1.Error.AlreadyExists"},
                {EINVAL, "org.berth.Berth1.Error.InvalidName"},
                {EBADMSG, "org.berth.Berth1.Error.InvalidConfig"},
                {EALREADY, "org.berth.Berth1.Error.AlreadyRunning"},
                {ESRCH, "org.berth.Berth1.Error.NotRunning"},
                {EBUSY, "org.berth.Berth1.Error.Busy"},
                {EPERM, "org.berth.Berth1.Error.PermissionDenied"},
                {EACCES, "org.berth.Berth1.Error.PermissionDenied"},
                {ETIMEDOUT, "org.berth.Berth1.Error.TimedOut"},
                {EOPNOTSUPP, "org.berth.Berth1.Error.NotSupported"},
                {ENOSPC, "org.berth.Berth1.Error.NoSpace"},
                {EIO, "org.berth.Berth1.Error.Failed"},
                {ENOMEM, "org.berth.Berth1.Error.Failed"},
                {EXDEV, "org.berth.Berth1.Error.Failed"},
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                is_str(bus_error_name(names[i].error), names[i].name, "errno %d is %s",
                       names[i].error, names[i].name);

        /* Every name berthd can send is one sd-bus accepts and maps back to its errno. */
        int bad = 0;
        for (const sd_bus_error_map *e = berth_error_map; e->name; e++) {
                sd_bus_error err = SD_BUS_ERROR_NULL;
                sd_bus_error_set(&err, e->name, "x");
                if (!sd_bus_error_has_name(&err, e->name))
                        bad++;
                sd_bus_error_free(&err);
        }
        is_int(bad, 0, "every name of the map is a valid error name");
        (void)sd_bus_error_add_map(berth_error_map);
        sd_bus_error err = SD_BUS_ERROR_NULL;
        sd_bus_error_set(&err, "org.berth.Berth1.Error.NotRunning", "x");
        is_int(sd_bus_error_get_errno(&err), ESRCH, "a client with the map gets ESRCH back");
        sd_bus_error_free(&err);

        sd_bus_error_set(&err, NULL, NULL);
        int r = bus_error_setf(&err, EBUSY, "freeze '%s': \xff busy\n", "w");
        ok(r == -EBUSY && sd_bus_error_has_name(&err, "org.berth.Berth1.Error.Busy") &&
                   bus_text_is_clean(err.message, strlen(err.message)),
           "bus_error_setf: name from errno, message made bus-safe ('%s')", err.message);
        sd_bus_error_free(&err);

        BerthError be = {.code = EBADMSG, .message = (char *)"create 'a': config.yaml:1:2: bad"};
        r = bus_error_from_berth(&err, -EBADMSG, &be);
        ok(r == -EBADMSG && sd_bus_error_has_name(&err, "org.berth.Berth1.Error.InvalidConfig") &&
                   streq(err.message, be.message),
           "bus_error_from_berth keeps libberth's message");
        sd_bus_error_free(&err);
}

static void test_paths(void)
{
        static const struct {
                const char *name, *path;
        } ok_paths[] = {
                {"web", CONTAINER_PREFIX "/web"},
                {"web-1", CONTAINER_PREFIX "/web_2d1"},
                {"0a", CONTAINER_PREFIX "/_30a"},
                {"a-b-c", CONTAINER_PREFIX "/a_2db_2dc"},
        };
        for (size_t i = 0; i < ELEMENTSOF(ok_paths); i++) {
                _cleanup_free_ char *p = container_path(ok_paths[i].name);
                _cleanup_free_ char *n = NULL;
                is_str(p, ok_paths[i].path, "'%s' has object %s", ok_paths[i].name,
                       ok_paths[i].path);
                ok(container_name_from_path(p, &n) == 0 && streq(n, ok_paths[i].name),
                   "and %s names '%s'", p, ok_paths[i].name);
        }
        static const char *bad[] = {
                CONTAINER_PREFIX,
                CONTAINER_PREFIX "/",
                CONTAINER_PREFIX "/Web",
                CONTAINER_PREFIX "/_2e_2e",
                CONTAINER_PREFIX "/_2dweb",
                CONTAINER_PREFIX "/a/b",
                CONTAINER_PREFIX "/a_2fb",
                CONTAINER_PREFIX "/_00",
                CONTAINER_PREFIX "/0a",
                CONTAINER_PREFIX "/w_65b",
                "/org/berth/Berth1/job/1",
                "/org/berth/Berth1/containerx",
                "/",
                "",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *n = NULL;
                is_int(container_name_from_path(bad[i], &n), -EINVAL, "'%s' is no container",
                       bad[i]);
        }
        char *n = NULL;
        is_int(container_name_from_path(NULL, &n), -EINVAL, "NULL is no container");
}

int main(void)
{
        if (!setlocale(LC_CTYPE, "C.UTF-8"))
                return tap_skip_all("no C.UTF-8 locale to check UTF-8 against");
        test_records();
        test_sanitize();
        test_error_names();
        test_paths();
        return tap_done();
}
