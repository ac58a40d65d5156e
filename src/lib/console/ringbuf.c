/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "console.h"

RingBuffer *ring_buffer_new(size_t size)
{
        RingBuffer *rb = xcalloc(1, sizeof(*rb));
        /* A zero-sized ring is legal (console log disabled): it keeps nothing. */
        rb->data = size > 0 ? xmalloc(size) : NULL;
        rb->size = size;
        return rb;
}

RingBuffer *ring_buffer_free(RingBuffer *rb)
{
        if (rb) {
                free(rb->data);
                free(rb);
        }
        return NULL;
}

void ring_buffer_write(RingBuffer *rb, const void *data, size_t len)
{
        const uint8_t *p = data;

        if (!rb || rb->size == 0 || len == 0)
                return;

        /* Only the last size bytes of a large write can survive: skip the rest up front. */
        if (len >= rb->size) {
                memcpy(rb->data, p + (len - rb->size), rb->size);
                rb->start = 0;
                rb->used = rb->size;
                return;
        }

        size_t end = (rb->start + rb->used) % rb->size;
        size_t first = MIN(len, rb->size - end);
        memcpy(rb->data + end, p, first);
        memcpy(rb->data, p + first, len - first);

        if (rb->used + len > rb->size) {
                size_t overwritten = rb->used + len - rb->size;
                rb->start = (rb->start + overwritten) % rb->size;
                rb->used = rb->size;
        } else
                rb->used += len;
}

size_t ring_buffer_read_all(const RingBuffer *rb, uint8_t **ret)
{
        size_t used = rb ? rb->used : 0;
        /* Always hand back an allocation, so callers can free() without checking the size. */
        uint8_t *buf = xmalloc(used + 1);

        if (used > 0) {
                size_t first = MIN(used, rb->size - rb->start);
                memcpy(buf, rb->data + rb->start, first);
                memcpy(buf + first, rb->data, used - first);
        }
        buf[used] = 0;
        *ret = buf;
        return used;
}
