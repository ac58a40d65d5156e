/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzzes the monitor protocol decoder. Whatever decodes must re-encode to the very same bytes
 * (the wire format is canonical: fixed header, exact lengths, zero padding) and decode again to
 * the same message. */
#include <stdint.h>
#include <string.h>

#include "proto/proto.h"

const char fuzz_target_name[] = "proto";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool fields_equal(const ProtoField *x, const ProtoField *y)
{
        if (x->tag != y->tag || x->type != y->type || x->length != y->length)
                return false;
        switch (x->type) {
        case PROTO_TYPE_U32:
                return x->u32 == y->u32;
        case PROTO_TYPE_U64:
                return x->u64 == y->u64;
        default:
                return x->length == 0 || memcmp(x->data, y->data, x->length) == 0;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_(proto_message_freep) ProtoMessage *m = NULL;
        if (proto_decode(data, size, &m) < 0)
                return 0;

        /* Walk every field through its getter, as a consumer would. */
        for (size_t i = 0; i < m->n_fields; i++) {
                const ProtoField *f = &m->fields[i];
                _cleanup_free_ char *s = NULL;
                const void *p;
                size_t len;
                int r = 0;
                switch (f->type) {
                case PROTO_TYPE_U32:
                        r = proto_get_u32(m, f->tag, NULL);
                        break;
                case PROTO_TYPE_U64:
                        r = proto_get_u64(m, f->tag, NULL);
                        break;
                case PROTO_TYPE_STRING:
                        r = proto_get_string(m, f->tag, &s);
                        if (r >= 0 && strlen(s) != f->length)
                                abort();
                        break;
                case PROTO_TYPE_BYTES:
                        r = proto_get_bytes(m, f->tag, &p, &len);
                        if (r >= 0 && len != f->length)
                                abort();
                        break;
                default:
                        abort();
                }
                if (r < 0)
                        abort();
        }

        _cleanup_free_ uint8_t *buf = NULL;
        size_t n = 0;
        if (proto_encode(m, &buf, &n) < 0)
                abort();
        if (n != size || memcmp(buf, data, size) != 0)
                abort();

        _cleanup_(proto_message_freep) ProtoMessage *m2 = NULL;
        if (proto_decode(buf, n, &m2) < 0)
                abort();
        if (m2->command != m->command || m2->status != m->status || m2->n_fields != m->n_fields)
                abort();
        for (size_t i = 0; i < m->n_fields; i++)
                if (!fields_equal(&m->fields[i], &m2->fields[i]))
                        abort();
        return 0;
}
