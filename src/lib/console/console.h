/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "../../shared/error.h"

/* A fixed-size ring of the most recent console output. */
typedef struct RingBuffer {
        uint8_t *data;
        size_t size;  /* capacity */
        size_t start; /* index of the oldest byte */
        size_t used;
} RingBuffer;

RingBuffer *ring_buffer_new(size_t size);
RingBuffer *ring_buffer_free(RingBuffer *rb);
DEFINE_TRIVIAL_CLEANUP_FUNC(RingBuffer *, ring_buffer_free);
/* Appends; the oldest bytes are overwritten when full. */
void ring_buffer_write(RingBuffer *rb, const void *data, size_t len);
/* Copies the contents, oldest first, into a new buffer. */
size_t ring_buffer_read_all(const RingBuffer *rb, uint8_t **ret);

#define CONSOLE_ESCAPE_CHAR 0x01 /* Ctrl-a */

/* Relays between the user's terminal (in_fd, out_fd) and peer_fd (a pty master or a socket)
 * until the user types Ctrl-a q, or peer_fd hangs up. Puts in_fd in raw mode when it is a tty
 * and always restores it. Ctrl-a Ctrl-a sends one Ctrl-a. When peer_fd is a pty master the
 * terminal size is copied to it, also on SIGWINCH. Returns 0 on detach or hang-up. */
int console_relay(int in_fd, int out_fd, int peer_fd, BerthError **reterr);

/* Pure: feeds input bytes through the escape state machine. Copies what should reach the peer
 * into out (capacity >= 2*len) and returns its length; sets *ret_detach when Ctrl-a q was seen
 * (bytes after it are dropped). state persists across calls (starts at 0). */
size_t console_escape_filter(int *state, const uint8_t *in, size_t len, uint8_t *out,
                             bool *ret_detach);
