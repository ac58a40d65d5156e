/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The monitor command protocol, spoken over <rundir>/<name>/monitor.sock (SOCK_SEQPACKET: one
 * message per datagram). A message is a 16-byte header followed by TLV fields:
 *
 *   header: u32 magic "BRT1" | u16 version | u16 command | i32 status | u32 payload length
 *   field:  u16 tag | u16 type | u32 length | value (padded to 4 bytes)
 *
 * all little endian. Requests carry status 0; replies echo the command and carry 0 or -errno
 * (with an optional PROTO_TAG_ERROR text). File descriptors travel as SCM_RIGHTS beside the
 * datagram. Command and tag numbers are never reused: a changed command gets a new number.
 * Encode and decode are pure functions (fuzzed in tests/fuzz). */

#include <stdint.h>
#include <sys/types.h>

#include "../../shared/error.h"
#include "../../shared/macro.h"

#define PROTO_MAGIC 0x31545242U /* "BRT1" */
#define PROTO_VERSION 1
#define PROTO_HEADER_SIZE 16
#define PROTO_PAYLOAD_MAX (128 * 1024)
#define PROTO_MESSAGE_MAX (PROTO_HEADER_SIZE + PROTO_PAYLOAD_MAX)
#define PROTO_FIELDS_MAX 64
#define PROTO_FDS_MAX 2

typedef enum ProtoCommand {
        PROTO_CMD_STATE = 1,       /* -> STATE, INIT_PID, SINCE */
        PROTO_CMD_INIT_PIDFD = 2,  /* -> INIT_PID + pidfd (SCM_RIGHTS) */
        PROTO_CMD_STOP = 3,        /* TIMEOUT, FLAGS(PROTO_STOP_KILL) -> replied once init is gone */
        PROTO_CMD_FREEZE = 4,      /* -> replied once frozen */
        PROTO_CMD_THAW = 5,
        PROTO_CMD_CONSOLE = 6,     /* TTY -> fd: tty 0 a socket proxied to the console, N>0 the pty */
        PROTO_CMD_CONSOLE_LOG = 7, /* -> DATA (recent console output) */
        PROTO_CMD_SUBSCRIBE = 8,   /* -> reply, then an EVENT message on every state change */
        PROTO_CMD_EVENT = 9,       /* monitor -> subscriber: STATE, INIT_PID, SINCE */
        PROTO_CMD_STATS = 10,      /* -> CPU_USEC, MEM_CURRENT, MEM_MAX, PIDS_CURRENT, PIDS_MAX */
        PROTO_CMD_SET_LIMITS = 11, /* LIMIT_* (every one; 0 = none) -> applied to the payload
                                      cgroup and kept for the rest of the run, or an error
                                      naming the key, with nothing changed */
        _PROTO_CMD_MAX,
        _PROTO_CMD_INVALID = -1,
} ProtoCommand;
const char *proto_command_to_string(ProtoCommand c);
ProtoCommand proto_command_from_string(const char *s);

typedef enum ProtoTag {
        PROTO_TAG_STATE = 1,       /* u32 BerthState */
        PROTO_TAG_INIT_PID = 2,    /* u32 */
        PROTO_TAG_SINCE = 3,       /* u64 usec, CLOCK_REALTIME */
        PROTO_TAG_TIMEOUT = 4,     /* u64 usec */
        PROTO_TAG_FLAGS = 5,       /* u32 */
        PROTO_TAG_TTY = 6,         /* u32 */
        PROTO_TAG_DATA = 7,        /* bytes */
        PROTO_TAG_ERROR = 8,       /* string */
        PROTO_TAG_CPU_USEC = 9,    /* u64 */
        PROTO_TAG_MEM_CURRENT = 10, /* u64 */
        PROTO_TAG_MEM_MAX = 11,    /* u64 */
        PROTO_TAG_PIDS_CURRENT = 12, /* u64 */
        PROTO_TAG_PIDS_MAX = 13,   /* u64 */
        PROTO_TAG_READY = 14,      /* u32: 1 once init reported READY=1 (or needs no notify) */
        PROTO_TAG_LIMIT_MEMORY = 15,     /* u64 bytes; the BerthLimits fields, 0 = no limit */
        PROTO_TAG_LIMIT_SWAP = 16,       /* u64 bytes */
        PROTO_TAG_LIMIT_CPUS_MILLI = 17, /* u64 thousandths of a CPU */
        PROTO_TAG_LIMIT_CPU_WEIGHT = 18, /* u64 */
        PROTO_TAG_LIMIT_PIDS = 19,       /* u64 */
        PROTO_TAG_LIMIT_IO_WEIGHT = 20,  /* u64 */
        _PROTO_TAG_MAX,
} ProtoTag;

typedef enum ProtoType {
        PROTO_TYPE_U32 = 1,
        PROTO_TYPE_U64 = 2,
        PROTO_TYPE_STRING = 3, /* no NUL on the wire; no embedded NUL allowed */
        PROTO_TYPE_BYTES = 4,
} ProtoType;

#define PROTO_STOP_KILL 0x1U

typedef struct ProtoField {
        uint16_t tag;
        uint16_t type;
        uint32_t length;
        union {
                uint32_t u32;
                uint64_t u64;
        };
        const uint8_t *data; /* STRING/BYTES: points into the message's own buffer */
} ProtoField;

typedef struct ProtoMessage {
        uint16_t command;
        int32_t status;
        size_t n_fields;
        ProtoField fields[PROTO_FIELDS_MAX];
        uint8_t *buf; /* owned copy backing data pointers */
        size_t buf_size;
} ProtoMessage;

ProtoMessage *proto_message_new(uint16_t command, int32_t status);
ProtoMessage *proto_message_free(ProtoMessage *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(ProtoMessage *, proto_message_free);
/* Appending fails with -E2BIG past PROTO_FIELDS_MAX or PROTO_PAYLOAD_MAX, -EEXIST on a
 * duplicate tag. */
int proto_put_u32(ProtoMessage *m, uint16_t tag, uint32_t v);
int proto_put_u64(ProtoMessage *m, uint16_t tag, uint64_t v);
int proto_put_string(ProtoMessage *m, uint16_t tag, const char *s);
int proto_put_bytes(ProtoMessage *m, uint16_t tag, const void *data, size_t len);
/* -ENOENT when absent, -EBADMSG when present with another type. */
int proto_get_u32(const ProtoMessage *m, uint16_t tag, uint32_t *ret);
int proto_get_u64(const ProtoMessage *m, uint16_t tag, uint64_t *ret);
/* Returns a newly allocated copy. */
int proto_get_string(const ProtoMessage *m, uint16_t tag, char **ret);
int proto_get_bytes(const ProtoMessage *m, uint16_t tag, const void **ret, size_t *ret_len);

/* Pure. encode: a newly allocated wire image. decode: validates magic, version, lengths,
 * alignment, types, duplicate tags and caps; -EBADMSG on any malformation, -EPROTONOSUPPORT
 * on another version. The decoded message owns a copy of buf. */
int proto_encode(const ProtoMessage *m, uint8_t **ret, size_t *ret_size);
int proto_decode(const uint8_t *buf, size_t size, ProtoMessage **ret);

/* Socket I/O on a SOCK_SEQPACKET fd. send: fds may be NULL. recv: fds received are stored in
 * fds (up to PROTO_FDS_MAX, O_CLOEXEC); a message with more is rejected (-EBADMSG, every fd
 * closed). With fds or ret_n_fds NULL, received fds are closed. A datagram over
 * PROTO_MESSAGE_MAX is -EBADMSG. recv returns -ECONNRESET on orderly EOF. */
int proto_send(int fd, const ProtoMessage *m, const int *fds, size_t n_fds);
int proto_recv(int fd, ProtoMessage **ret, int *fds, size_t *ret_n_fds);

/* Client: connect to a monitor socket, then one request/reply round trip with a timeout
 * (UINT64_MAX: none; -ETIMEDOUT). EVENT messages before the reply are skipped; a reply to
 * another command, or a status below -4095, is -EBADMSG. A reply with status < 0 is returned as
 * that status, and *reterr carries the reply's ERROR text (or the errno's text when it has
 * none): the monitor's error, errno and message, is the caller's error. Transport failures fill
 * *reterr too. ret_reply, fds/ret_n_fds and reterr may be NULL. After a timeout the late reply
 * may still arrive: drop the connection. */
int proto_connect(const char *socket_path, int *ret_fd);
int proto_call(int fd, const ProtoMessage *req, uint64_t timeout_usec, ProtoMessage **ret_reply,
               int *fds, size_t *ret_n_fds, BerthError **reterr);

/* Server: accepts a connection and checks the peer with SO_PEERCRED; only uid 0 or the
 * monitor's own uid is let in (-EPERM otherwise, the connection closed). */
int proto_accept(int listen_fd, int *ret_fd);
