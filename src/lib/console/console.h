/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
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

/* A relay moves bytes along channels, each from one fd to another, until it is over. */
#define RELAY_MAX_CHANNELS 5

enum {
        /* From the user to the container. Not read any more once the relay drains. */
        RELAY_CHANNEL_INPUT = 1 << 0,
        /* Ctrl-a q detaches (ends the relay), Ctrl-a Ctrl-a sends one Ctrl-a. */
        RELAY_CHANNEL_ESCAPE = 1 << 1,
        /* At the end of src, dst is closed: a command reading a pipe sees its end. */
        RELAY_CHANNEL_CLOSE_DST_AT_EOF = 1 << 2,
        /* When dst refuses with EPIPE (nobody reads it), src is closed instead of failing, so
         * the writer gets the EPIPE in turn. */
        RELAY_CHANNEL_EPIPE_CLOSES_SRC = 1 << 3,
        /* The relay owns src / dst: it closes them when the channel ends and on return. */
        RELAY_CHANNEL_OWN_SRC = 1 << 4,
        RELAY_CHANNEL_OWN_DST = 1 << 5,
};

typedef struct RelayChannel {
        int src, dst;        /* dst < 0: what src says is read and dropped */
        const char *src_name, *dst_name; /* "terminal", "console": for error messages */
        unsigned flags;      /* RELAY_CHANNEL_* */
} RelayChannel;

typedef struct RelaySpec {
        const char *label; /* "relay console": the prefix of every error message */
        RelayChannel channels[RELAY_MAX_CHANNELS];
        size_t n_channels;
        int raw_fd;                   /* a terminal put in raw mode while relaying (or < 0) */
        bool raw_keep_output;         /* ... for input only: its output processing stays */
        int winsize_from, winsize_to; /* the terminal size is copied to this pty, also on
                                         SIGWINCH (either < 0: never) */
        /* Readable once the other side's process is gone: the relay copies what the output
         * channels still have (until they end or are quiet for 100 ms, at most 2 s) and
         * returns. < 0: none. */
        int stop_fd;
        /* SIGINT, SIGTERM, SIGHUP and SIGQUIT are sent to this process (a pidfd) instead of
         * ending the relay with -EINTR. < 0: they end it. */
        int signal_pidfd;
        int notice_fd; /* where the detach notice goes */
        const char *notice_name;
        bool end_on_hangup;    /* an output channel's end (or a refused input) ends the relay */
        bool end_on_input_eof; /* the end of an input channel ends it, after draining */
} RelaySpec;

/* Runs the relay. Signals are blocked and read from a signalfd while it runs, SIGPIPE is
 * swallowed (a closed output is EPIPE), raw mode and the signal mask are restored on every
 * return. Returns 0 when the relay is over (detach, hang-up, drained), < 0 on errors. */
int console_relay_run(const RelaySpec *spec, BerthError **reterr);

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
