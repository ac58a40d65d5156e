/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "proto/proto.h"
#include "socket-util.h"
#include "tap.h"
#include "time-util.h"

static void skip(const char *why)
{
        tap_n++;
        printf("ok %d # skip %s\n", tap_n, why);
        fflush(stdout);
}

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        if (!d)
                return -1;
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

/* ---- a raw wire builder, to craft what the encoder would never produce ---- */

typedef struct Raw {
        uint8_t b[PROTO_MESSAGE_MAX + 64];
        size_t n;
} Raw;

static void raw_u16(Raw *r, uint16_t v)
{
        v = htole16(v);
        memcpy(r->b + r->n, &v, 2);
        r->n += 2;
}

static void raw_u32(Raw *r, uint32_t v)
{
        v = htole32(v);
        memcpy(r->b + r->n, &v, 4);
        r->n += 4;
}

static void raw_u64(Raw *r, uint64_t v)
{
        v = htole64(v);
        memcpy(r->b + r->n, &v, 8);
        r->n += 8;
}

static void raw_bytes(Raw *r, const void *p, size_t n)
{
        memcpy(r->b + r->n, p, n);
        r->n += n;
}

static void raw_header(Raw *r, uint16_t command)
{
        r->n = 0;
        raw_u32(r, PROTO_MAGIC);
        raw_u16(r, PROTO_VERSION);
        raw_u16(r, command);
        raw_u32(r, 0);
        raw_u32(r, 0); /* fixed by raw_finish */
}

static void raw_field(Raw *r, uint16_t tag, uint16_t type, uint32_t length)
{
        raw_u16(r, tag);
        raw_u16(r, type);
        raw_u32(r, length);
}

static void raw_finish(Raw *r)
{
        uint32_t v = htole32((uint32_t)(r->n - PROTO_HEADER_SIZE));
        memcpy(r->b + 12, &v, 4);
}

static int decode_raw(const Raw *r)
{
        ProtoMessage *m = NULL;
        int k = proto_decode(r->b, r->n, &m);
        /* Failure must leave nothing behind. */
        if (k < 0 && m)
                return -9999;
        proto_message_free(m);
        return k;
}

/* ---- pure parts ---- */

static void test_command_table(void)
{
        bool all = true;
        for (int i = -2; i <= _PROTO_CMD_MAX + 2; i++) {
                const char *s = proto_command_to_string((ProtoCommand)i);
                if (i >= 1 && i < _PROTO_CMD_MAX) {
                        if (!s || proto_command_from_string(s) != i) {
                                all = false;
                                printf("# command %d: '%s'\n", i, s ? s : "(null)");
                        }
                } else if (s) {
                        all = false;
                        printf("# command %d unexpectedly named '%s'\n", i, s);
                }
        }
        ok(all, "command table round trips over its whole range, nothing outside it");
        is_str(proto_command_to_string(PROTO_CMD_STATE), "state", "STATE is 'state'");
        is_str(proto_command_to_string(PROTO_CMD_INIT_PIDFD), "init-pidfd", "INIT_PIDFD name");
        is_str(proto_command_to_string(PROTO_CMD_CONSOLE_LOG), "console-log", "CONSOLE_LOG name");
        is_str(proto_command_to_string(PROTO_CMD_STATS), "stats", "STATS name");
        is_str(proto_command_to_string(PROTO_CMD_SET_LIMITS), "set-limits", "SET_LIMITS name");
        is_int(PROTO_CMD_SET_LIMITS, 11, "SET_LIMITS keeps its number");
        is_int(proto_command_from_string("junk"), _PROTO_CMD_INVALID, "junk is invalid");
        is_int(proto_command_from_string(""), _PROTO_CMD_INVALID, "empty is invalid");
        is_int(proto_command_from_string(NULL), _PROTO_CMD_INVALID, "NULL is invalid");
        is_int(proto_command_from_string("STATE"), _PROTO_CMD_INVALID, "names are lower case");
        is_int(proto_command_from_string("state "), _PROTO_CMD_INVALID, "no trailing junk");
}

static void test_wire_layout(void)
{
        _cleanup_(proto_message_freep) ProtoMessage *m = proto_message_new(PROTO_CMD_STOP, -5);
        is_int(proto_put_u32(m, PROTO_TAG_FLAGS, 0x01020304), 0, "put u32");
        is_int(proto_put_string(m, PROTO_TAG_ERROR, "abcde"), 0, "put string");
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size = 0;
        is_int(proto_encode(m, &buf, &size), 0, "encode");
        /* clang-format off */
        static const uint8_t want[] = {
                'B', 'R', 'T', '1', 1, 0, 3, 0, 0xfb, 0xff, 0xff, 0xff, 28, 0, 0, 0, /* header */
                5, 0, 1, 0, 4, 0, 0, 0, 4, 3, 2, 1,                                  /* u32 */
                8, 0, 3, 0, 5, 0, 0, 0, 'a', 'b', 'c', 'd', 'e', 0, 0, 0,            /* string */
        };
        /* clang-format on */
        is_int(size, sizeof(want), "encoded size includes padding");
        ok(size == sizeof(want) && memcmp(buf, want, size) == 0,
           "wire image is little endian with zero padding");
}

static void test_round_trip_types(void)
{
        static const uint8_t blob[] = {0, 1, 2, 0, 0xff};
        _cleanup_(proto_message_freep) ProtoMessage *m = proto_message_new(PROTO_CMD_STATS, 0);
        is_int(proto_put_u32(m, 1, 0), 0, "put u32 0");
        is_int(proto_put_u32(m, 2, UINT32_MAX), 0, "put u32 max");
        is_int(proto_put_u64(m, 3, UINT64_MAX), 0, "put u64 max");
        is_int(proto_put_u64(m, 4, 0x0102030405060708ULL), 0, "put u64");
        is_int(proto_put_string(m, 5, "hello"), 0, "put string");
        is_int(proto_put_string(m, 6, ""), 0, "put empty string");
        is_int(proto_put_bytes(m, 7, blob, sizeof(blob)), 0, "put bytes with NULs");
        is_int(proto_put_bytes(m, 8, NULL, 0), 0, "put empty bytes");
        is_int(proto_put_u32(m, 60000, 42), 0, "put an unknown tag");
        is_int(m->n_fields, 9, "nine fields");

        _cleanup_free_ uint8_t *buf = NULL;
        size_t size = 0;
        is_int(proto_encode(m, &buf, &size), 0, "encode every type");
        ok(size % 4 == 0, "encoded size is 4-aligned");

        _cleanup_(proto_message_freep) ProtoMessage *d = NULL;
        is_int(proto_decode(buf, size, &d), 0, "decode every type");
        if (!d)
                return;
        ok(d->buf != buf && d->buf_size == size && memcmp(d->buf, buf, size) == 0,
           "decoded message owns a copy of the buffer");
        is_int(d->command, PROTO_CMD_STATS, "command survives");
        is_int(d->status, 0, "status survives");
        is_int(d->n_fields, 9, "field count survives");

        uint32_t u32 = 7;
        uint64_t u64 = 7;
        is_int(proto_get_u32(d, 1, &u32), 0, "get u32 0");
        is_int(u32, 0, "u32 0 value");
        is_int(proto_get_u32(d, 2, &u32), 0, "get u32 max");
        ok(u32 == UINT32_MAX, "u32 max value");
        is_int(proto_get_u64(d, 3, &u64), 0, "get u64 max");
        ok(u64 == UINT64_MAX, "u64 max value");
        is_int(proto_get_u64(d, 4, &u64), 0, "get u64");
        ok(u64 == 0x0102030405060708ULL, "u64 value");
        is_int(proto_get_u32(d, 60000, &u32), 0, "get unknown tag");
        is_int(u32, 42, "unknown tag value");

        _cleanup_free_ char *s = NULL, *e = NULL;
        is_int(proto_get_string(d, 5, &s), 0, "get string");
        is_str(s, "hello", "string value");
        is_int(proto_get_string(d, 6, &e), 0, "get empty string");
        is_str(e, "", "empty string value");

        const void *p = NULL;
        size_t len = 99;
        is_int(proto_get_bytes(d, 7, &p, &len), 0, "get bytes");
        ok(len == sizeof(blob) && p && memcmp(p, blob, len) == 0, "bytes value");
        ok((const uint8_t *)p >= d->buf && (const uint8_t *)p < d->buf + d->buf_size,
           "bytes point into the message's own buffer");
        is_int(proto_get_bytes(d, 8, &p, &len), 0, "get empty bytes");
        is_int(len, 0, "empty bytes length");

        /* NULL outputs only test presence. */
        is_int(proto_get_u32(d, 1, NULL), 0, "get u32 with NULL ret");
        is_int(proto_get_u64(d, 3, NULL), 0, "get u64 with NULL ret");
        is_int(proto_get_string(d, 5, NULL), 0, "get string with NULL ret");
        is_int(proto_get_bytes(d, 7, NULL, NULL), 0, "get bytes with NULL rets");

        /* Canonical: re-encoding a decoded message gives the same bytes. */
        _cleanup_free_ uint8_t *buf2 = NULL;
        size_t size2 = 0;
        is_int(proto_encode(d, &buf2, &size2), 0, "re-encode");
        ok(size2 == size && memcmp(buf, buf2, size) == 0, "re-encoding is byte-identical");

        /* Negative status round trip. */
        _cleanup_(proto_message_freep) ProtoMessage *r = proto_message_new(PROTO_CMD_STOP, -EBUSY);
        _cleanup_free_ uint8_t *rb = NULL;
        _cleanup_(proto_message_freep) ProtoMessage *rd = NULL;
        is_int(proto_encode(r, &rb, &size), 0, "encode an empty error reply");
        is_int(size, PROTO_HEADER_SIZE, "an empty message is just the header");
        is_int(proto_decode(rb, size, &rd), 0, "decode an empty error reply");
        is_int(rd ? rd->status : 0, -EBUSY, "negative status survives");
        is_int(rd ? rd->n_fields : 99, 0, "no fields");
}

/* A typical message for each command, as the monitor and its clients will build them. */
static ProtoMessage *sample_message(uint16_t cmd)
{
        ProtoMessage *m = proto_message_new(cmd, 0);
        switch (cmd) {
        case PROTO_CMD_STATE:
        case PROTO_CMD_EVENT:
                (void)proto_put_u32(m, PROTO_TAG_STATE, 2);
                (void)proto_put_u32(m, PROTO_TAG_INIT_PID, 4242);
                (void)proto_put_u64(m, PROTO_TAG_SINCE, 1700000000123456ULL);
                break;
        case PROTO_CMD_INIT_PIDFD:
                (void)proto_put_u32(m, PROTO_TAG_INIT_PID, 4242);
                break;
        case PROTO_CMD_STOP:
                (void)proto_put_u64(m, PROTO_TAG_TIMEOUT, 30000000);
                (void)proto_put_u32(m, PROTO_TAG_FLAGS, PROTO_STOP_KILL);
                break;
        case PROTO_CMD_CONSOLE:
                (void)proto_put_u32(m, PROTO_TAG_TTY, 3);
                break;
        case PROTO_CMD_CONSOLE_LOG:
                (void)proto_put_bytes(m, PROTO_TAG_DATA, "login: \r\n\0x", 11);
                break;
        case PROTO_CMD_SET_LIMITS:
                (void)proto_put_u64(m, PROTO_TAG_LIMIT_MEMORY, 1ULL << 30);
                (void)proto_put_u64(m, PROTO_TAG_LIMIT_SWAP, 0);
                (void)proto_put_u64(m, PROTO_TAG_LIMIT_CPUS_MILLI, 2000);
                (void)proto_put_u64(m, PROTO_TAG_LIMIT_CPU_WEIGHT, 0);
                (void)proto_put_u64(m, PROTO_TAG_LIMIT_PIDS, 64);
                (void)proto_put_u64(m, PROTO_TAG_LIMIT_IO_WEIGHT, 0);
                break;
        case PROTO_CMD_STATS:
                (void)proto_put_u64(m, PROTO_TAG_CPU_USEC, 123456789);
                (void)proto_put_u64(m, PROTO_TAG_MEM_CURRENT, 1ULL << 33);
                (void)proto_put_u64(m, PROTO_TAG_MEM_MAX, UINT64_MAX);
                (void)proto_put_u64(m, PROTO_TAG_PIDS_CURRENT, 17);
                (void)proto_put_u64(m, PROTO_TAG_PIDS_MAX, 512);
                break;
        default:
                (void)proto_put_string(m, PROTO_TAG_ERROR, "x");
                break;
        }
        return m;
}

static bool messages_equal(const ProtoMessage *a, const ProtoMessage *b)
{
        if (a->command != b->command || a->status != b->status || a->n_fields != b->n_fields)
                return false;
        for (size_t i = 0; i < a->n_fields; i++) {
                const ProtoField *x = &a->fields[i], *y = &b->fields[i];
                if (x->tag != y->tag || x->type != y->type || x->length != y->length)
                        return false;
                if (x->type == PROTO_TYPE_U32 && x->u32 != y->u32)
                        return false;
                if (x->type == PROTO_TYPE_U64 && x->u64 != y->u64)
                        return false;
                if ((x->type == PROTO_TYPE_STRING || x->type == PROTO_TYPE_BYTES) &&
                    x->length > 0 && memcmp(x->data, y->data, x->length) != 0)
                        return false;
        }
        return true;
}

static void test_round_trip_commands(void)
{
        for (uint16_t c = 1; c <= _PROTO_CMD_MAX; c++) {
                /* _PROTO_CMD_MAX itself stands for a command from a newer peer. */
                _cleanup_(proto_message_freep) ProtoMessage *m = sample_message(c);
                _cleanup_(proto_message_freep) ProtoMessage *d = NULL;
                _cleanup_free_ uint8_t *buf = NULL;
                size_t size = 0;
                int r = proto_encode(m, &buf, &size);
                if (r == 0)
                        r = proto_decode(buf, size, &d);
                ok(r == 0 && d && messages_equal(m, d), "round trip of command %u (%s)", c,
                   strempty(proto_command_to_string(c)));
        }

        _cleanup_(proto_message_freep) ProtoMessage *m = proto_message_new(65535, 0);
        _cleanup_(proto_message_freep) ProtoMessage *d = NULL;
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size = 0;
        is_int(proto_encode(m, &buf, &size), 0, "encode command 65535");
        is_int(proto_decode(buf, size, &d), 0, "an unknown command number decodes");
        is_int(d ? d->command : 0, 65535, "unknown command number kept");

        _cleanup_(proto_message_freep) ProtoMessage *z = proto_message_new(0, 0);
        _cleanup_free_ uint8_t *zb = NULL;
        is_int(proto_encode(z, &zb, &size), -EINVAL, "encoding command 0 is refused");
        ok(!zb, "nothing returned for command 0");

        /* Hand-built fields the put functions would refuse are not encoded either. */
        _cleanup_(proto_message_freep) ProtoMessage *h = proto_message_new(PROTO_CMD_STATE, 0);
        (void)proto_put_u32(h, 1, 1);
        (void)proto_put_string(h, 2, "a\x01c");
        h->fields[1].tag = 1;
        is_int(proto_encode(h, &zb, &size), -EINVAL, "encoding a duplicate tag is refused");
        h->fields[1].tag = 2;
        ((uint8_t *)h->fields[1].data)[1] = 0;
        is_int(proto_encode(h, &zb, &size), -EINVAL, "encoding a NUL in a string is refused");
        ((uint8_t *)h->fields[1].data)[1] = 'b';
        h->fields[0].length = 8;
        is_int(proto_encode(h, &zb, &size), -EINVAL, "encoding a u32 of length 8 is refused");
        h->fields[0].length = 4;
        h->fields[0].type = 9;
        is_int(proto_encode(h, &zb, &size), -EINVAL, "encoding an unknown type is refused");
        h->fields[0].type = PROTO_TYPE_U32;
        is_int(proto_encode(h, &zb, &size), 0, "repaired, it encodes");
}

static void test_getters(void)
{
        _cleanup_(proto_message_freep) ProtoMessage *m = proto_message_new(PROTO_CMD_STATE, 0);
        (void)proto_put_u32(m, 1, 1);
        (void)proto_put_u64(m, 2, 2);
        (void)proto_put_string(m, 3, "s");
        (void)proto_put_bytes(m, 4, "b", 1);

        uint32_t u32 = 77;
        uint64_t u64 = 77;
        char *s = NULL;
        const void *p = NULL;
        size_t len = 77;

        is_int(proto_get_u32(m, 99, &u32), -ENOENT, "get u32 absent -> ENOENT");
        is_int(proto_get_u64(m, 99, &u64), -ENOENT, "get u64 absent -> ENOENT");
        is_int(proto_get_string(m, 99, &s), -ENOENT, "get string absent -> ENOENT");
        is_int(proto_get_bytes(m, 99, &p, &len), -ENOENT, "get bytes absent -> ENOENT");

        is_int(proto_get_u32(m, 2, &u32), -EBADMSG, "get u32 of a u64 -> EBADMSG");
        is_int(proto_get_u64(m, 1, &u64), -EBADMSG, "get u64 of a u32 -> EBADMSG");
        is_int(proto_get_string(m, 4, &s), -EBADMSG, "get string of bytes -> EBADMSG");
        is_int(proto_get_bytes(m, 3, &p, &len), -EBADMSG, "get bytes of a string -> EBADMSG");
        ok(u32 == 77 && u64 == 77 && !s && !p && len == 77, "failed getters touch no output");

        is_int(proto_get_u32(NULL, 1, &u32), -EINVAL, "get from NULL message -> EINVAL");
}

static void test_put_errors(void)
{
        _cleanup_(proto_message_freep) ProtoMessage *m = proto_message_new(PROTO_CMD_STATE, 0);
        is_int(proto_put_u32(m, 1, 1), 0, "first tag 1");
        is_int(proto_put_u32(m, 1, 2), -EEXIST, "duplicate u32 tag -> EEXIST");
        is_int(proto_put_u64(m, 1, 2), -EEXIST, "duplicate tag of another type -> EEXIST");
        is_int(proto_put_string(m, 1, "x"), -EEXIST, "duplicate string tag -> EEXIST");
        is_int(proto_put_bytes(m, 1, "x", 1), -EEXIST, "duplicate bytes tag -> EEXIST");
        is_int(m->n_fields, 1, "failed puts add nothing");
        uint32_t v = 0;
        proto_get_u32(m, 1, &v);
        is_int(v, 1, "the first value stays");

        is_int(proto_put_string(m, 2, NULL), -EINVAL, "NULL string -> EINVAL");
        is_int(proto_put_bytes(m, 2, NULL, 3), -EINVAL, "NULL bytes with a length -> EINVAL");
        is_int(proto_put_u32(NULL, 2, 1), -EINVAL, "NULL message -> EINVAL");

        for (uint16_t t = 2; t <= PROTO_FIELDS_MAX; t++)
                if (proto_put_u32(m, t, t) < 0)
                        break;
        is_int(m->n_fields, PROTO_FIELDS_MAX, "PROTO_FIELDS_MAX fields fit");
        is_int(proto_put_u32(m, 1000, 1), -E2BIG, "one field more -> E2BIG");
        is_int(proto_put_string(m, 1001, ""), -E2BIG, "even an empty string -> E2BIG");
        is_int(proto_put_u32(m, 1, 1), -EEXIST, "a duplicate is still EEXIST when full");

        _cleanup_free_ uint8_t *big = xcalloc(1, PROTO_PAYLOAD_MAX + 1);
        _cleanup_(proto_message_freep) ProtoMessage *b = proto_message_new(PROTO_CMD_STATE, 0);
        is_int(proto_put_bytes(b, 1, big, PROTO_PAYLOAD_MAX), -E2BIG,
               "bytes of PROTO_PAYLOAD_MAX (plus field header) -> E2BIG");
        is_int(proto_put_bytes(b, 1, big, PROTO_PAYLOAD_MAX + 1), -E2BIG,
               "bytes past PROTO_PAYLOAD_MAX -> E2BIG");
        is_int(proto_put_bytes(b, 1, big, SIZE_MAX), -E2BIG, "SIZE_MAX bytes -> E2BIG");
        is_int(proto_put_bytes(b, 1, big, PROTO_PAYLOAD_MAX - 8 - 3), 0,
               "bytes filling the payload up to the padding fit");
        is_int(proto_put_bytes(b, 2, NULL, 0), -E2BIG, "then even an empty field -> E2BIG");

        _cleanup_(proto_message_freep) ProtoMessage *c = proto_message_new(PROTO_CMD_STATE, 0);
        is_int(proto_put_bytes(c, 1, big, PROTO_PAYLOAD_MAX - 8 - 12), 0, "a large field");
        is_int(proto_put_u32(c, 2, 1), 0, "and a u32 filling the payload exactly");
        is_int(proto_put_u32(c, 3, 1), -E2BIG, "then no more");
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size = 0;
        is_int(proto_encode(c, &buf, &size), 0, "a full payload encodes");
        is_int(size, PROTO_MESSAGE_MAX, "to exactly PROTO_MESSAGE_MAX");
        _cleanup_(proto_message_freep) ProtoMessage *d = NULL;
        is_int(proto_decode(buf, size, &d), 0, "and decodes");
}

static void test_put_after_decode(void)
{
        _cleanup_(proto_message_freep) ProtoMessage *m = proto_message_new(PROTO_CMD_STATE, 0);
        (void)proto_put_string(m, 1, "first");
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size = 0;
        (void)proto_encode(m, &buf, &size);
        _cleanup_(proto_message_freep) ProtoMessage *d = NULL;
        is_int(proto_decode(buf, size, &d), 0, "decode for appending");
        if (!d)
                return;

        /* Many appends grow (and move) the buffer; earlier data pointers must follow. */
        char chunk[1000];
        memset(chunk, 'z', sizeof(chunk));
        bool all = true;
        for (uint16_t t = 2; t < 40; t++)
                if (proto_put_bytes(d, t, chunk, sizeof(chunk)) < 0)
                        all = false;
        ok(all, "append 38 fields to a decoded message");
        _cleanup_free_ char *s = NULL;
        is_int(proto_get_string(d, 1, &s), 0, "the decoded string is still there");
        is_str(s, "first", "and intact after the buffer moved");
        const void *p = NULL;
        size_t len = 0;
        is_int(proto_get_bytes(d, 2, &p, &len), 0, "an appended field");
        ok(len == sizeof(chunk) && memcmp(p, chunk, len) == 0, "with its content");
}

static void test_malformed(void)
{
        static Raw r;

        is_int(proto_decode(NULL, 0, &(ProtoMessage *){NULL}), -EBADMSG, "empty -> EBADMSG");
        raw_header(&r, PROTO_CMD_STATE);
        raw_finish(&r);
        is_int(decode_raw(&r), 0, "bare header is valid");
        r.n = 15;
        is_int(decode_raw(&r), -EBADMSG, "short header -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_finish(&r);
        r.b[3] = '2';
        is_int(decode_raw(&r), -EBADMSG, "bad magic -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_finish(&r);
        r.b[4] = 2;
        is_int(decode_raw(&r), -EPROTONOSUPPORT, "version 2 -> EPROTONOSUPPORT");
        r.b[4] = 0;
        is_int(decode_raw(&r), -EPROTONOSUPPORT, "version 0 -> EPROTONOSUPPORT");
        r.b[4] = 1;
        r.b[5] = 1;
        is_int(decode_raw(&r), -EPROTONOSUPPORT, "version 257 -> EPROTONOSUPPORT");

        raw_header(&r, 0);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "command 0 -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 1, PROTO_TYPE_U32, 4);
        raw_u32(&r, 7);
        raw_finish(&r);
        is_int(decode_raw(&r), 0, "one u32 field is valid");
        r.b[12]++;
        is_int(decode_raw(&r), -EBADMSG, "header length one more than follows -> EBADMSG");
        r.b[12] -= 2;
        is_int(decode_raw(&r), -EBADMSG, "header length one less than follows -> EBADMSG");
        r.b[12]++;
        r.n++;
        is_int(decode_raw(&r), -EBADMSG, "trailing byte after the payload -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_u32(&r, 0);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "truncated field header -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 7, PROTO_TYPE_BYTES, 9);
        raw_bytes(&r, "12345678", 8);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "field length overruns the payload -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 7, PROTO_TYPE_BYTES, UINT32_MAX);
        raw_bytes(&r, "12345678", 8);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "field length UINT32_MAX -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 7, PROTO_TYPE_BYTES, 5);
        raw_bytes(&r, "12345", 5);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "missing padding -> EBADMSG");
        raw_bytes(&r, "\0\0\0", 3);
        raw_finish(&r);
        is_int(decode_raw(&r), 0, "with zero padding it is valid");
        r.b[r.n - 1] = 1;
        is_int(decode_raw(&r), -EBADMSG, "nonzero last padding byte -> EBADMSG");
        r.b[r.n - 1] = 0;
        r.b[r.n - 3] = 0x80;
        is_int(decode_raw(&r), -EBADMSG, "nonzero first padding byte -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 1, PROTO_TYPE_U32, 8);
        raw_u64(&r, 7);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "u32 of length 8 -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 1, PROTO_TYPE_U32, 0);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "u32 of length 0 -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 1, PROTO_TYPE_U64, 4);
        raw_u32(&r, 7);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "u64 of length 4 -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 1, PROTO_TYPE_U64, 12);
        raw_u64(&r, 7);
        raw_u32(&r, 0);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "u64 of length 12 -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 8, PROTO_TYPE_STRING, 4);
        raw_bytes(&r, "ab\0d", 4);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "NUL inside a string -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 8, PROTO_TYPE_STRING, 3);
        raw_bytes(&r, "ab\0\0", 4);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "NUL at the end of a string -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 8, PROTO_TYPE_BYTES, 4);
        raw_bytes(&r, "ab\0d", 4);
        raw_finish(&r);
        is_int(decode_raw(&r), 0, "NUL inside bytes is fine");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 1, 0, 0);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "type 0 -> EBADMSG");
        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 1, 5, 4);
        raw_u32(&r, 0);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "type 5 -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 1, PROTO_TYPE_U32, 4);
        raw_u32(&r, 7);
        raw_field(&r, 1, PROTO_TYPE_U32, 4);
        raw_u32(&r, 8);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "duplicate tag -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        for (uint16_t t = 0; t < PROTO_FIELDS_MAX; t++) {
                raw_field(&r, t, PROTO_TYPE_BYTES, 0);
        }
        raw_finish(&r);
        is_int(decode_raw(&r), 0, "PROTO_FIELDS_MAX fields are valid");
        raw_field(&r, PROTO_FIELDS_MAX, PROTO_TYPE_BYTES, 0);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "one field more -> EBADMSG");

        raw_header(&r, PROTO_CMD_STATE);
        raw_field(&r, 7, PROTO_TYPE_BYTES, PROTO_PAYLOAD_MAX - 8);
        memset(r.b + r.n, 0, PROTO_PAYLOAD_MAX - 8);
        r.n += PROTO_PAYLOAD_MAX - 8;
        raw_finish(&r);
        is_int(decode_raw(&r), 0, "payload of exactly PROTO_PAYLOAD_MAX is valid");
        raw_field(&r, 8, PROTO_TYPE_BYTES, 0);
        raw_finish(&r);
        is_int(decode_raw(&r), -EBADMSG, "payload past PROTO_PAYLOAD_MAX -> EBADMSG");
}

/* ---- socket I/O ---- */

static bool pipe_works(int wfd, int rfd)
{
        char c = 0;
        return write(wfd, "x", 1) == 1 && read(rfd, &c, 1) == 1 && c == 'x';
}

static void test_send_recv(void)
{
        int sp[2];
        if (!ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0, "socketpair"))
                return;
        int before = count_fds();

        _cleanup_(proto_message_freep) ProtoMessage *m = sample_message(PROTO_CMD_STATE);
        int fds[PROTO_FDS_MAX] = {-1, -1};
        size_t n = 99;

        /* 0 fds */
        is_int(proto_send(sp[0], m, NULL, 0), 0, "send without fds");
        ProtoMessage *d = NULL;
        is_int(proto_recv(sp[1], &d, fds, &n), 0, "recv without fds");
        is_int(n, 0, "no fds received");
        ok(d && messages_equal(m, d), "message survives the socket");
        d = proto_message_free(d);

        /* 1 fd: the write end of a pipe, used through the received copy */
        int p[2];
        ok(pipe2(p, O_CLOEXEC) == 0, "pipe");
        is_int(proto_send(sp[0], m, &p[1], 1), 0, "send one fd");
        is_int(proto_recv(sp[1], &d, fds, &n), 0, "recv one fd");
        is_int(n, 1, "one fd received");
        ok(n == 1 && fds[0] >= 0 && fds[0] != p[1], "a new descriptor");
        ok(n == 1 && pipe_works(fds[0], p[0]), "the received fd writes into the pipe");
        ok(n == 1 && (fcntl(fds[0], F_GETFD) & FD_CLOEXEC), "received fd is O_CLOEXEC");
        if (n == 1)
                safe_close(fds[0]);
        d = proto_message_free(d);

        /* 2 fds */
        int two[2] = {p[1], p[0]};
        is_int(proto_send(sp[0], m, two, 2), 0, "send two fds");
        is_int(proto_recv(sp[1], &d, fds, &n), 0, "recv two fds");
        is_int(n, 2, "two fds received");
        ok(n == 2 && pipe_works(fds[0], fds[1]), "both received fds work, in order");
        if (n == 2) {
                safe_close(fds[0]);
                safe_close(fds[1]);
        }
        d = proto_message_free(d);

        /* A receiver that wants no fds gets them closed, not leaked. */
        is_int(proto_send(sp[0], m, two, 2), 0, "send two fds to a receiver wanting none");
        is_int(proto_recv(sp[1], &d, NULL, NULL), 0, "recv with NULL fds");
        ok(d != NULL, "message still delivered");
        d = proto_message_free(d);
        is_int(count_fds(), before + 2, "unwanted fds closed (only the pipe remains)");

        /* send errors */
        int three[3] = {p[0], p[1], p[0]};
        is_int(proto_send(sp[0], m, three, 3), -E2BIG, "send of 3 fds -> E2BIG");
        is_int(proto_send(sp[0], m, NULL, 1), -EINVAL, "fd count without fds -> EINVAL");
        _cleanup_(proto_message_freep) ProtoMessage *z = proto_message_new(0, 0);
        is_int(proto_send(sp[0], z, NULL, 0), -EINVAL, "send of command 0 -> EINVAL");

        /* More than PROTO_FDS_MAX fds, sent around the encoder: rejected, all closed. */
        _cleanup_free_ uint8_t *buf = NULL;
        size_t size = 0;
        (void)proto_encode(m, &buf, &size);
        is_int(send_with_fds(sp[0], buf, size, three, 3), 0, "raw send with 3 fds");
        n = 99;
        is_int(proto_recv(sp[1], &d, fds, &n), -EBADMSG, "recv of 3 fds -> EBADMSG");
        is_int(n, 0, "no fds reported");
        ok(!d, "no message");
        is_int(count_fds(), before + 2, "every received fd closed");

        /* Garbage with an fd: the fd is closed too. */
        is_int(send_with_fds(sp[0], "garbage!", 8, &p[0], 1), 0, "raw send of garbage + fd");
        is_int(proto_recv(sp[1], &d, fds, &n), -EBADMSG, "recv of garbage -> EBADMSG");
        is_int(count_fds(), before + 2, "fd beside garbage closed");

        /* Another version is reported as such. */
        buf[4] = 9;
        is_int(send_with_fds(sp[0], buf, size, NULL, 0), 0, "raw send of version 9");
        is_int(proto_recv(sp[1], &d, fds, &n), -EPROTONOSUPPORT, "recv -> EPROTONOSUPPORT");

        /* Oversize datagram: one byte past PROTO_MESSAGE_MAX. */
        int sndbuf = 4 * PROTO_MESSAGE_MAX;
        (void)setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        _cleanup_free_ uint8_t *big = xcalloc(1, PROTO_MESSAGE_MAX + 100);
        ssize_t k = send(sp[0], big, PROTO_MESSAGE_MAX + 1, 0);
        if (k == PROTO_MESSAGE_MAX + 1)
                is_int(proto_recv(sp[1], &d, fds, &n), -EBADMSG,
                       "recv of a PROTO_MESSAGE_MAX+1 datagram -> EBADMSG");
        else
                skip("cannot send a datagram of PROTO_MESSAGE_MAX+1 bytes");
        k = send(sp[0], big, PROTO_MESSAGE_MAX + 100, 0);
        if (k == PROTO_MESSAGE_MAX + 100)
                is_int(proto_recv(sp[1], &d, fds, &n), -EBADMSG,
                       "recv of a truncated datagram -> EBADMSG");
        else
                skip("cannot send a datagram of PROTO_MESSAGE_MAX+100 bytes");

        /* A valid message of the largest size passes. */
        _cleanup_(proto_message_freep) ProtoMessage *full =
                proto_message_new(PROTO_CMD_CONSOLE_LOG, 0);
        (void)proto_put_bytes(full, PROTO_TAG_DATA, big, PROTO_PAYLOAD_MAX - 8);
        is_int(proto_send(sp[0], full, NULL, 0), 0, "send a PROTO_MESSAGE_MAX message");
        is_int(proto_recv(sp[1], &d, NULL, NULL), 0, "recv a PROTO_MESSAGE_MAX message");
        ok(d && d->buf_size == PROTO_MESSAGE_MAX, "all of it");
        d = proto_message_free(d);

        /* EOF */
        safe_close(sp[0]);
        is_int(proto_recv(sp[1], &d, fds, &n), -ECONNRESET, "recv after peer close -> ECONNRESET");
        is_int(proto_send(sp[1], m, NULL, 0), -EPIPE, "send after peer close -> EPIPE");
        safe_close(sp[1]);
        safe_close(p[0]);
        safe_close(p[1]);
        is_int(proto_recv(-1, &d, fds, &n), -EINVAL, "recv on fd -1 -> EINVAL");
}

static int queue(int fd, uint16_t cmd, int32_t status, const char *error, const int *fds,
                 size_t n_fds)
{
        _cleanup_(proto_message_freep) ProtoMessage *m = sample_message(cmd);
        m->status = status;
        if (error)
                (void)proto_put_string(m, PROTO_TAG_ERROR, error);
        return proto_send(fd, m, fds, n_fds);
}

static void test_call(void)
{
        int sp[2];
        if (!ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0, "socketpair"))
                return;
        _cleanup_(proto_message_freep) ProtoMessage *req = proto_message_new(PROTO_CMD_STATE, 0);
        ProtoMessage *reply = NULL;
        BerthError *error = NULL;
        int fds[PROTO_FDS_MAX] = {-1, -1};
        size_t n = 0;

        /* Silent peer */
        uint64_t t0 = now_usec();
        is_int(proto_call(sp[0], req, 50000, &reply, fds, &n, &error), -ETIMEDOUT,
               "silent peer -> ETIMEDOUT");
        uint64_t dt = now_usec() - t0;
        ok(dt >= 50000 && dt < 2000000, "timed out after the timeout (%llu usec)",
           (unsigned long long)dt);
        ok(!reply && n == 0, "no outputs on timeout");
        ok(error && error->code == ETIMEDOUT, "a timeout error");
        error = berth_error_free(error);
        is_int(proto_call(sp[0], req, 0, NULL, NULL, NULL, NULL), -ETIMEDOUT,
               "zero timeout with nothing queued -> ETIMEDOUT");

        /* Drain the two requests the silent peer never read. */
        ProtoMessage *got = NULL;
        for (int i = 0; i < 2; i++) {
                is_int(proto_recv(sp[1], &got, NULL, NULL), 0, "peer has request %d", i);
                got = proto_message_free(got);
        }

        /* Events before the reply are skipped. Replies queued ahead of the call are read back
         * the same way, without needing a second process. */
        is_int(queue(sp[1], PROTO_CMD_EVENT, 0, NULL, NULL, 0), 0, "queue an event");
        is_int(queue(sp[1], PROTO_CMD_EVENT, 0, NULL, NULL, 0), 0, "queue another event");
        is_int(queue(sp[1], PROTO_CMD_STATE, 0, NULL, NULL, 0), 0, "queue the reply");
        is_int(proto_call(sp[0], req, 1000000, &reply, fds, &n, &error), 0,
               "call skips events and gets the reply");
        ok(reply && reply->command == PROTO_CMD_STATE, "the reply is the STATE reply");
        uint32_t pid = 0;
        is_int(reply ? proto_get_u32(reply, PROTO_TAG_INIT_PID, &pid) : -1, 0, "reply field");
        is_int(pid, 4242, "reply field value");
        ok(!error, "no error text on success");
        reply = proto_message_free(reply);
        got = NULL;
        is_int(proto_recv(sp[1], &got, NULL, NULL), 0, "peer sees the request");
        is_int(got ? got->command : 0, PROTO_CMD_STATE, "request command");
        got = proto_message_free(got);

        /* Error reply with text */
        is_int(queue(sp[1], PROTO_CMD_STATE, -ENOENT, "no container 'x'", NULL, 0), 0,
               "queue an error reply");
        is_int(proto_call(sp[0], req, UINT64_MAX, &reply, fds, &n, &error), -ENOENT,
               "error reply returns its status");
        is_str(error ? error->message : NULL, "no container 'x'", "error text handed back");
        is_int(error ? error->code : 0, ENOENT, "with its errno");
        ok(!reply, "no reply message on error");
        error = berth_error_free(error);

        /* Error reply without text, with an fd: the fd is closed */
        int before = count_fds();
        int p[2];
        ok(pipe2(p, O_CLOEXEC) == 0, "pipe");
        is_int(queue(sp[1], PROTO_CMD_STATE, -EBUSY, NULL, &p[0], 1), 0, "queue error + fd");
        is_int(proto_call(sp[0], req, UINT64_MAX, &reply, fds, &n, &error), -EBUSY,
               "error reply without text");
        ok(error && error->code == EBUSY && n == 0, "the errno's text, no fds");
        is_str(error ? error->message : NULL, strerror(EBUSY), "errno text as the message");
        error = berth_error_free(error);
        is_int(count_fds(), before + 2, "fd of an error reply closed");

        /* Reply with an fd */
        is_int(queue(sp[1], PROTO_CMD_STATE, 0, NULL, &p[1], 1), 0, "queue reply + fd");
        is_int(proto_call(sp[0], req, UINT64_MAX, &reply, fds, &n, NULL), 0, "call with fd");
        is_int(n, 1, "fd handed back");
        ok(n == 1 && pipe_works(fds[0], p[0]), "the fd works");
        if (n == 1)
                safe_close(fds[0]);
        reply = proto_message_free(reply);

        /* Nonsense replies */
        is_int(queue(sp[1], PROTO_CMD_STATS, 0, NULL, NULL, 0), 0, "queue a wrong reply");
        is_int(proto_call(sp[0], req, UINT64_MAX, NULL, NULL, NULL, NULL), -EBADMSG,
               "reply to another command -> EBADMSG");
        is_int(queue(sp[1], PROTO_CMD_STATE, INT32_MIN, "x", NULL, 0), 0, "queue INT32_MIN");
        is_int(proto_call(sp[0], req, UINT64_MAX, NULL, NULL, NULL, &error), -EBADMSG,
               "status INT32_MIN -> EBADMSG");
        ok(error && error->code == EBADMSG, "a nonsense status is a protocol error");
        error = berth_error_free(error);
        is_int(queue(sp[1], PROTO_CMD_STATE, 7, NULL, NULL, 0), 0, "queue a positive status");
        is_int(proto_call(sp[0], req, UINT64_MAX, NULL, NULL, NULL, NULL), 0,
               "positive status is success");

        /* An EVENT request (never sent in practice) is not skipped as an event. */
        _cleanup_(proto_message_freep) ProtoMessage *ev = proto_message_new(PROTO_CMD_EVENT, 0);
        is_int(queue(sp[1], PROTO_CMD_EVENT, 0, NULL, NULL, 0), 0, "queue an event reply");
        is_int(proto_call(sp[0], ev, UINT64_MAX, NULL, NULL, NULL, NULL), 0,
               "an EVENT call takes the EVENT reply");

        /* Peer gone while waiting */
        is_int(queue(sp[1], PROTO_CMD_EVENT, 0, NULL, NULL, 0), 0, "queue an event, then close");
        safe_close(sp[1]);
        int r = proto_call(sp[0], req, 1000000, NULL, NULL, NULL, NULL);
        /* The kernel says ECONNRESET instead of EPIPE when the peer died with unread data. */
        ok(r == -EPIPE || r == -ECONNRESET, "call to a closed peer -> EPIPE/ECONNRESET (%d)", r);
        safe_close(sp[0]);

        ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0, "socketpair");
        is_int(queue(sp[1], PROTO_CMD_EVENT, 0, NULL, NULL, 0), 0, "queue an event");
        shutdown(sp[1], SHUT_WR);
        is_int(proto_call(sp[0], req, 1000000, NULL, NULL, NULL, NULL), -ECONNRESET,
               "peer hangs up after an event -> ECONNRESET");
        safe_close(sp[0]);
        safe_close(sp[1]);
        safe_close(p[0]);
        safe_close(p[1]);

        is_int(proto_call(-1, req, 0, NULL, NULL, NULL, NULL), -EINVAL, "call on fd -1");
}

/* A real server in a child process: reads the request, sends an event, then the reply. */
static void test_call_forked(void)
{
        int sp[2];
        if (!ok(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == 0, "socketpair"))
                return;
        pid_t pid = fork();
        if (pid == 0) {
                safe_close(sp[0]);
                ProtoMessage *req = NULL;
                if (proto_recv(sp[1], &req, NULL, NULL) < 0)
                        _exit(1);
                int c = req->command;
                proto_message_free(req);
                usleep(20000);
                if (queue(sp[1], PROTO_CMD_EVENT, 0, NULL, NULL, 0) < 0)
                        _exit(2);
                usleep(20000);
                int p[2];
                if (pipe2(p, O_CLOEXEC) < 0 || queue(sp[1], c, 0, NULL, &p[0], 1) < 0)
                        _exit(3);
                if (write(p[1], "y", 1) != 1)
                        _exit(4);
                _exit(0);
        }
        safe_close(sp[1]);
        _cleanup_(proto_message_freep) ProtoMessage *req =
                proto_message_new(PROTO_CMD_INIT_PIDFD, 0);
        _cleanup_(proto_message_freep) ProtoMessage *reply = NULL;
        int fds[PROTO_FDS_MAX] = {-1, -1};
        size_t n = 0;
        is_int(proto_call(sp[0], req, 5000000, &reply, fds, &n, NULL), 0,
               "call a forked server through an event");
        is_int(n, 1, "one fd");
        char c = 0;
        ok(n == 1 && read(fds[0], &c, 1) == 1 && c == 'y', "fd from the child works");
        if (n == 1)
                safe_close(fds[0]);
        int st = -1;
        waitpid(pid, &st, 0);
        ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server child exited cleanly");
        safe_close(sp[0]);
}

static void test_accept(void)
{
        char dir[] = "/tmp/test-proto-XXXXXX";
        if (!ok(mkdtemp(dir), "mkdtemp"))
                return;
        /* On the stack: the forked child below _exit()s without freeing anything. */
        char path[sizeof(dir) + 16];
        snprintf(path, sizeof(path), "%s/monitor.sock", dir);
        int lfd = -EBADF, cfd = -EBADF, sfd = -EBADF;

        is_int(proto_connect(path, &cfd), -ENOENT, "connect to a missing socket -> ENOENT");
        is_int(socket_listen_unix(path, 8, &lfd), 0, "listen");
        is_int(proto_accept(lfd, &sfd), -EAGAIN, "accept with nobody waiting -> EAGAIN");
        is_int(proto_connect(path, &cfd), 0, "connect");
        is_int(proto_accept(lfd, &sfd), 0, "accept our own uid");
        ok(sfd >= 0 && (fcntl(sfd, F_GETFD) & FD_CLOEXEC), "accepted fd is O_CLOEXEC");

        /* Freed before the fork below, so the child holds no heap of ours when it _exit()s. */
        ProtoMessage *m = sample_message(PROTO_CMD_STOP);
        ProtoMessage *d = NULL;
        is_int(proto_send(cfd, m, NULL, 0), 0, "client sends");
        is_int(proto_recv(sfd, &d, NULL, NULL), 0, "server receives");
        ok(d && messages_equal(m, d), "same message");
        d = proto_message_free(d);
        m = proto_message_free(m);
        cfd = safe_close(cfd);
        is_int(proto_recv(sfd, &d, NULL, NULL), -ECONNRESET, "client gone -> ECONNRESET");
        sfd = safe_close(sfd);

        if (geteuid() != 0) {
                skip("rejecting another uid needs root");
        } else {
                /* Let uid 65534 reach the socket, so only the credential check stops it. */
                (void)chmod(dir, 0711);
                (void)chmod(path, 0666);
                int before = count_fds();
                pid_t pid = fork();
                if (pid == 0) {
                        int fd = -EBADF;
                        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                            setresuid(65534, 65534, 65534) < 0)
                                _exit(10);
                        if (proto_connect(path, &fd) < 0)
                                _exit(11);
                        /* The server closes on us: recv sees EOF. */
                        ProtoMessage *x = NULL;
                        _exit(proto_recv(fd, &x, NULL, NULL) == -ECONNRESET ? 0 : 12);
                }
                struct pollfd pf = {.fd = lfd, .events = POLLIN};
                (void)poll(&pf, 1, 5000);
                is_int(proto_accept(lfd, &sfd), -EPERM, "uid 65534 is refused with EPERM");
                is_int(count_fds(), before, "the refused connection is closed");
                int st = -1;
                waitpid(pid, &st, 0);
                ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                   "the refused client saw the connection closed (exit %d)",
                   WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        }

        is_int(proto_accept(-1, &sfd), -EINVAL, "accept on fd -1 -> EINVAL");
        safe_close(lfd);
        (void)unlink(path);
        (void)rmdir(dir);
}

int main(void)
{
        test_command_table();
        test_wire_layout();
        test_round_trip_types();
        test_round_trip_commands();
        test_getters();
        test_put_errors();
        test_put_after_decode();
        test_malformed();
        test_send_recv();
        test_call();
        test_call_forked();
        test_accept();
        return tap_done();
}
