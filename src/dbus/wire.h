/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a worker child tells berthd, one record per SOCK_SEQPACKET packet, and the text rules of
 * everything berthd puts on the bus. Pure functions: the fuzz target and the unit test drive
 * them without a bus. */

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define CONTAINER_PREFIX "/org/berth/Berth1/container"

/* Largest record and largest text in one: a progress line or a one-line error. */
#define WIRE_RECORD_MAX 4096U
#define WIRE_HEADER_SIZE 9U
#define WIRE_TEXT_MAX (WIRE_RECORD_MAX - WIRE_HEADER_SIZE)

typedef enum WireType {
        WIRE_PROGRESS = 'P', /* value: the fraction done (double) or -1; text: the line */
        WIRE_RESULT = 'R',   /* value: 0, or the positive errno of the failure; text: message */
        WIRE_DATA = 'D',     /* text: a value the job produced (a snapshot's name, ...) */
} WireType;

typedef struct WireRecord {
        WireType type;
        double fraction; /* WIRE_PROGRESS: 0..1, or -1 when unknown */
        int error;       /* WIRE_RESULT: 0 or a positive errno below 4096 */
        char *text;      /* valid UTF-8, one line, no control characters, at most WIRE_TEXT_MAX */
} WireRecord;

/* Encodes into buf (at least WIRE_RECORD_MAX bytes); returns the record's size. Text longer
 * than WIRE_TEXT_MAX is cut. */
size_t wire_encode_progress(uint8_t *buf, double fraction, const char *text);
size_t wire_encode_result(uint8_t *buf, int error, const char *text);
size_t wire_encode_data(uint8_t *buf, const char *text);

/* Decodes one packet: -EBADMSG for anything that is not a well-formed record. Out-of-range
 * values are brought into range and the text is made bus-safe (bus_text_sanitize). */
int wire_decode(const uint8_t *buf, size_t size, WireRecord *ret);
void wire_record_done(WireRecord *r);

/* s[0..n) as a string D-Bus accepts and a log line can show: invalid UTF-8 (overlong forms,
 * surrogates, beyond U+10FFFF, truncated sequences) becomes U+FFFD, control characters (C0,
 * DEL, C1) become a space, NUL ends nothing (it becomes a space too), and the result is cut at
 * a character boundary to at most max bytes. Always a new string. */
char *bus_text_sanitize(const char *s, size_t n, size_t max);
/* True when s[0..n) is valid UTF-8 without control characters (what bus_text_sanitize makes). */
bool bus_text_is_clean(const char *s, size_t n);

/* Container object paths: CONTAINER_PREFIX "/" and the bus-escaped name ("-" is "_2d"). */
char *container_path(const char *name);
/* The name in a container object path, checked with berth_name_is_valid(); -EINVAL for any
 * other path, including escapes other than container_path()'s own. */
int container_name_from_path(const char *path, char **ret);
