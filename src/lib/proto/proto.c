/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The monitor protocol's pure half: the command table, message building and reading, and the
 * wire encoding. Nothing here does I/O, so the decoder can be fuzzed on its own. */
#include <endian.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "proto.h"

#define FIELD_HEADER_SIZE 8
#define ALIGN4(x) (((x) + 3) & ~(size_t)3)

static const char *const command_table[_PROTO_CMD_MAX] = {
        [PROTO_CMD_STATE] = "state",
        [PROTO_CMD_INIT_PIDFD] = "init-pidfd",
        [PROTO_CMD_STOP] = "stop",
        [PROTO_CMD_FREEZE] = "freeze",
        [PROTO_CMD_THAW] = "thaw",
        [PROTO_CMD_CONSOLE] = "console",
        [PROTO_CMD_CONSOLE_LOG] = "console-log",
        [PROTO_CMD_SUBSCRIBE] = "subscribe",
        [PROTO_CMD_EVENT] = "event",
        [PROTO_CMD_STATS] = "stats",
        [PROTO_CMD_SET_LIMITS] = "set-limits",
};

DEFINE_STRING_TABLE_LOOKUP(proto_command, ProtoCommand, command_table)

/* Unaligned little-endian accessors: the wire is LE whatever the host is. */
static void put_le16(uint8_t *p, uint16_t v)
{
        v = htole16(v);
        memcpy(p, &v, sizeof(v));
}

static void put_le32(uint8_t *p, uint32_t v)
{
        v = htole32(v);
        memcpy(p, &v, sizeof(v));
}

static void put_le64(uint8_t *p, uint64_t v)
{
        v = htole64(v);
        memcpy(p, &v, sizeof(v));
}

static uint16_t get_le16(const uint8_t *p)
{
        uint16_t v;
        memcpy(&v, p, sizeof(v));
        return le16toh(v);
}

static uint32_t get_le32(const uint8_t *p)
{
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return le32toh(v);
}

static uint64_t get_le64(const uint8_t *p)
{
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return le64toh(v);
}

ProtoMessage *proto_message_new(uint16_t command, int32_t status)
{
        ProtoMessage *m = xcalloc(1, sizeof(ProtoMessage));
        m->command = command;
        m->status = status;
        return m;
}

ProtoMessage *proto_message_free(ProtoMessage *m)
{
        if (!m)
                return NULL;
        free(m->buf);
        free(m);
        return NULL;
}

static size_t payload_size(const ProtoMessage *m)
{
        size_t n = 0;
        for (size_t i = 0; i < m->n_fields; i++)
                n += FIELD_HEADER_SIZE + ALIGN4((size_t)m->fields[i].length);
        return n;
}

static const ProtoField *find_field(const ProtoMessage *m, uint16_t tag)
{
        for (size_t i = 0; i < m->n_fields; i++)
                if (m->fields[i].tag == tag)
                        return &m->fields[i];
        return NULL;
}

/* Reserves a new field after checking the caps and the tag; the caller fills the value. */
static int field_add(ProtoMessage *m, uint16_t tag, uint16_t type, size_t length, ProtoField **ret)
{
        if (!m)
                return -EINVAL;
        if (find_field(m, tag))
                return -EEXIST;
        if (m->n_fields >= PROTO_FIELDS_MAX)
                return -E2BIG;
        if (length > PROTO_PAYLOAD_MAX ||
            payload_size(m) + FIELD_HEADER_SIZE + ALIGN4(length) > PROTO_PAYLOAD_MAX)
                return -E2BIG;

        ProtoField *f = &m->fields[m->n_fields++];
        *f = (ProtoField){.tag = tag, .type = type, .length = (uint32_t)length};
        *ret = f;
        return 0;
}

/* Copies a value into the message's own buffer, so data pointers stay valid for the message's
 * lifetime. Growing the buffer moves it: every data pointer is rebased on the new block. */
static const uint8_t *buf_append(ProtoMessage *m, const void *data, size_t len)
{
        size_t offsets[PROTO_FIELDS_MAX];
        for (size_t i = 0; i < m->n_fields; i++)
                offsets[i] = m->fields[i].data ? (size_t)(m->fields[i].data - m->buf) : 0;

        /* At least one byte, so an empty value still gets a non-NULL pointer. */
        uint8_t *nb = xrealloc(m->buf, m->buf_size + MAX(len, (size_t)1));
        for (size_t i = 0; i < m->n_fields; i++)
                if (m->fields[i].data)
                        m->fields[i].data = nb + offsets[i];
        m->buf = nb;

        uint8_t *p = nb + m->buf_size;
        if (len > 0)
                memcpy(p, data, len);
        m->buf_size += MAX(len, (size_t)1);
        return p;
}

int proto_put_u32(ProtoMessage *m, uint16_t tag, uint32_t v)
{
        ProtoField *f;
        int r = field_add(m, tag, PROTO_TYPE_U32, sizeof(uint32_t), &f);
        if (r < 0)
                return r;
        f->u32 = v;
        return 0;
}

int proto_put_u64(ProtoMessage *m, uint16_t tag, uint64_t v)
{
        ProtoField *f;
        int r = field_add(m, tag, PROTO_TYPE_U64, sizeof(uint64_t), &f);
        if (r < 0)
                return r;
        f->u64 = v;
        return 0;
}

static int put_blob(ProtoMessage *m, uint16_t tag, uint16_t type, const void *data, size_t len)
{
        if (len > 0 && !data)
                return -EINVAL;
        ProtoField *f;
        int r = field_add(m, tag, type, len, &f);
        if (r < 0)
                return r;
        /* f lives in m->fields, which does not move; its data is NULL until the copy exists,
         * so buf_append does not try to rebase it. */
        f->data = buf_append(m, data, len);
        return 0;
}

int proto_put_string(ProtoMessage *m, uint16_t tag, const char *s)
{
        if (!s)
                return -EINVAL;
        return put_blob(m, tag, PROTO_TYPE_STRING, s, strlen(s));
}

int proto_put_bytes(ProtoMessage *m, uint16_t tag, const void *data, size_t len)
{
        return put_blob(m, tag, PROTO_TYPE_BYTES, data, len);
}

static int get_typed(const ProtoMessage *m, uint16_t tag, uint16_t type, const ProtoField **ret)
{
        if (!m)
                return -EINVAL;
        const ProtoField *f = find_field(m, tag);
        if (!f)
                return -ENOENT;
        if (f->type != type)
                return -EBADMSG;
        *ret = f;
        return 0;
}

int proto_get_u32(const ProtoMessage *m, uint16_t tag, uint32_t *ret)
{
        const ProtoField *f;
        int r = get_typed(m, tag, PROTO_TYPE_U32, &f);
        if (r < 0)
                return r;
        if (ret)
                *ret = f->u32;
        return 0;
}

int proto_get_u64(const ProtoMessage *m, uint16_t tag, uint64_t *ret)
{
        const ProtoField *f;
        int r = get_typed(m, tag, PROTO_TYPE_U64, &f);
        if (r < 0)
                return r;
        if (ret)
                *ret = f->u64;
        return 0;
}

int proto_get_string(const ProtoMessage *m, uint16_t tag, char **ret)
{
        const ProtoField *f;
        int r = get_typed(m, tag, PROTO_TYPE_STRING, &f);
        if (r < 0)
                return r;
        if (ret) {
                /* The wire string has no NUL: copy exactly its length, never look past it. */
                char *copy = xmalloc(f->length + 1);
                if (f->length > 0)
                        memcpy(copy, f->data, f->length);
                copy[f->length] = 0;
                *ret = copy;
        }
        return 0;
}

int proto_get_bytes(const ProtoMessage *m, uint16_t tag, const void **ret, size_t *ret_len)
{
        const ProtoField *f;
        int r = get_typed(m, tag, PROTO_TYPE_BYTES, &f);
        if (r < 0)
                return r;
        if (ret)
                *ret = f->data;
        if (ret_len)
                *ret_len = f->length;
        return 0;
}

int proto_encode(const ProtoMessage *m, uint8_t **ret, size_t *ret_size)
{
        if (!m || !ret || !ret_size)
                return -EINVAL;
        /* Command 0 is invalid on the wire; refusing it here keeps encode and decode symmetric. */
        if (m->command == 0 || m->n_fields > PROTO_FIELDS_MAX)
                return -EINVAL;
        size_t payload = payload_size(m);
        if (payload > PROTO_PAYLOAD_MAX)
                return -E2BIG;

        size_t size = PROTO_HEADER_SIZE + payload;
        /* Zeroed, so every padding byte goes out as zero. */
        _cleanup_free_ uint8_t *buf = xcalloc(1, size);
        put_le32(buf, PROTO_MAGIC);
        put_le16(buf + 4, PROTO_VERSION);
        put_le16(buf + 6, m->command);
        put_le32(buf + 8, (uint32_t)m->status);
        put_le32(buf + 12, (uint32_t)payload);

        uint8_t *p = buf + PROTO_HEADER_SIZE;
        for (size_t i = 0; i < m->n_fields; i++) {
                const ProtoField *f = &m->fields[i];
                /* The fields are public, so a hand-built message could hold what put refuses;
                 * never emit anything decode would reject. */
                for (size_t j = 0; j < i; j++)
                        if (m->fields[j].tag == f->tag)
                                return -EINVAL;
                put_le16(p, f->tag);
                put_le16(p + 2, f->type);
                put_le32(p + 4, f->length);
                switch (f->type) {
                case PROTO_TYPE_U32:
                        if (f->length != sizeof(uint32_t))
                                return -EINVAL;
                        put_le32(p + FIELD_HEADER_SIZE, f->u32);
                        break;
                case PROTO_TYPE_U64:
                        if (f->length != sizeof(uint64_t))
                                return -EINVAL;
                        put_le64(p + FIELD_HEADER_SIZE, f->u64);
                        break;
                case PROTO_TYPE_STRING:
                case PROTO_TYPE_BYTES:
                        if (f->type == PROTO_TYPE_STRING && f->length > 0 && f->data &&
                            memchr(f->data, 0, f->length))
                                return -EINVAL;
                        if (f->length > 0) {
                                if (!f->data)
                                        return -EINVAL;
                                memcpy(p + FIELD_HEADER_SIZE, f->data, f->length);
                        }
                        break;
                default:
                        return -EINVAL;
                }
                p += FIELD_HEADER_SIZE + ALIGN4((size_t)f->length);
        }

        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

static int decode_field(ProtoMessage *m, const uint8_t *p, size_t avail, size_t *ret_used)
{
        if (avail < FIELD_HEADER_SIZE)
                return log_debug_errno(-EBADMSG, "decode field %zu: truncated field header",
                                       m->n_fields);
        uint16_t tag = get_le16(p), type = get_le16(p + 2);
        uint32_t length = get_le32(p + 4);
        avail -= FIELD_HEADER_SIZE;
        if (length > avail || ALIGN4((size_t)length) > avail)
                return log_debug_errno(-EBADMSG,
                                       "decode field '%u': length %" PRIu32 " overruns the payload",
                                       tag, length);
        if (m->n_fields >= PROTO_FIELDS_MAX)
                return log_debug_errno(-EBADMSG, "decode field '%u': more than %d fields", tag,
                                       PROTO_FIELDS_MAX);
        if (find_field(m, tag))
                return log_debug_errno(-EBADMSG, "decode field '%u': duplicate tag", tag);

        const uint8_t *v = p + FIELD_HEADER_SIZE;
        for (size_t i = length; i < ALIGN4((size_t)length); i++)
                if (v[i] != 0)
                        return log_debug_errno(-EBADMSG, "decode field '%u': nonzero padding", tag);

        ProtoField f = {.tag = tag, .type = type, .length = length};
        switch (type) {
        case PROTO_TYPE_U32:
                if (length != sizeof(uint32_t))
                        return log_debug_errno(
                                -EBADMSG, "decode field '%u': u32 of length %" PRIu32, tag, length);
                f.u32 = get_le32(v);
                break;
        case PROTO_TYPE_U64:
                if (length != sizeof(uint64_t))
                        return log_debug_errno(
                                -EBADMSG, "decode field '%u': u64 of length %" PRIu32, tag, length);
                f.u64 = get_le64(v);
                break;
        case PROTO_TYPE_STRING:
                if (memchr(v, 0, length))
                        return log_debug_errno(-EBADMSG, "decode field '%u': NUL in string", tag);
                f.data = v;
                break;
        case PROTO_TYPE_BYTES:
                f.data = v;
                break;
        default:
                return log_debug_errno(-EBADMSG, "decode field '%u': unknown type %u", tag, type);
        }

        m->fields[m->n_fields++] = f;
        *ret_used = FIELD_HEADER_SIZE + ALIGN4((size_t)length);
        return 0;
}

int proto_decode(const uint8_t *buf, size_t size, ProtoMessage **ret)
{
        if ((!buf && size > 0) || !ret)
                return -EINVAL;
        if (size < PROTO_HEADER_SIZE)
                return log_debug_errno(-EBADMSG, "decode message: short header (%zu bytes)", size);
        if (size > PROTO_MESSAGE_MAX)
                return log_debug_errno(-EBADMSG, "decode message: %zu bytes exceed the cap", size);
        if (get_le32(buf) != PROTO_MAGIC)
                return log_debug_errno(-EBADMSG, "decode message: bad magic 0x%08" PRIx32,
                                       get_le32(buf));
        uint16_t version = get_le16(buf + 4);
        if (version != PROTO_VERSION)
                return log_debug_errno(-EPROTONOSUPPORT, "decode message: version %u", version);
        uint16_t command = get_le16(buf + 6);
        if (command == 0)
                return log_debug_errno(-EBADMSG, "decode message: command 0");
        uint32_t length = get_le32(buf + 12);
        if (length != size - PROTO_HEADER_SIZE)
                return log_debug_errno(-EBADMSG,
                                       "decode message: length %" PRIu32 " but %zu bytes follow",
                                       length, size - PROTO_HEADER_SIZE);

        _cleanup_(proto_message_freep) ProtoMessage *m =
                proto_message_new(command, (int32_t)get_le32(buf + 8));
        m->buf = xmalloc(size);
        memcpy(m->buf, buf, size);
        m->buf_size = size;

        /* Parse the owned copy, so the data pointers land in m->buf. */
        size_t off = PROTO_HEADER_SIZE;
        while (off < size) {
                size_t used = 0;
                int r = decode_field(m, m->buf + off, size - off, &used);
                if (r < 0)
                        return r;
                off += used;
        }

        *ret = TAKE_PTR(m);
        return 0;
}
