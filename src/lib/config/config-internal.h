/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to the config module: the key table that drives both the parser and the emitter. */

#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef enum ConfigKind {
        CK_STRING,    /* char *; checked by valid() */
        CK_BOOL,      /* bool */
        CK_UINT,      /* unsigned integer of `size` bytes, min..max */
        CK_INT64,     /* int64_t */
        CK_SIZE,      /* uint64_t bytes, "512M" */
        CK_MILLI,     /* uint64_t thousandths, "1.5" */
        CK_DURATION,  /* uint64_t usec, seconds in YAML */
        CK_SIGNAL,    /* int, by name */
        CK_INIT_KIND, /* InitKind */
        CK_NET_TYPE,  /* BerthNetType */
        CK_BACKEND,   /* BerthBackend */
        CK_SPAN,      /* uint64_t usec, "30d" in YAML */
        CK_STRV,      /* char **, a list of strings */
        CK_ENV,       /* char ** of KEY=VALUE, a mapping in YAML */
        CK_LIST,      /* an array of structs, a list of mappings in YAML */
} ConfigKind;

enum {
        CKF_NULLABLE = 1 << 0,  /* null accepted: NULL for strings, 0 ("unset") for numbers */
        CKF_NONEMPTY = 1 << 1,  /* CK_STRV: at least one entry */
        CKF_ABS_FIRST = 1 << 2, /* CK_STRV: the first entry is an absolute path (a command) */
        CKF_REQUIRED = 1 << 3,  /* a list item key that must be present */
};

/* A list of structs (idmap, network, mounts): where it sits in BerthConfig and how items go. */
typedef struct ConfigList {
        const char *prefix; /* "network[]": table keys of its items start with this and a dot */
        size_t item_size;
        size_t max;          /* entries */
        size_t offset_array; /* of the array pointer in BerthConfig */
        size_t offset_count; /* of the size_t count in BerthConfig */
        void (*item_init)(void *item);
        void (*item_done)(void *item);
        void (*item_copy)(void *dst, const void *src);
} ConfigList;

typedef struct ConfigKey {
        const char *key;  /* dotted; "x[].y" for a field of an item of list x */
        const char *type; /* for config_key_table() */
        ConfigKind kind;
        size_t offset; /* of the field in BerthConfig, or in the list item */
        size_t size;   /* CK_UINT: sizeof the field (4 or 8) */
        uint64_t min, max;
        unsigned flags;
        bool (*valid)(const char *s); /* CK_STRING and CK_STRV entries; NULL accepts anything */
        const char *what;             /* names a bad value: "invalid hostname 'x'" */
        const ConfigList *list;       /* CK_LIST */
} ConfigKey;

#define CONFIG_KEYS_MAX 64 /* bound for per-item "seen" arrays; checked against the table */

extern const ConfigKey config_keys[];
extern const size_t config_keys_n;

/* The entry for a table key ("limits.memory", "network[].mtu"), or NULL. */
const ConfigKey *config_key_find(const char *key);
/* True when some key lies below prefix ("limits" for "limits.memory"). */
bool config_key_is_section(const char *prefix);

/* Frees what dst holds, moves src's contents into dst and frees the empty src. */
void config_move(BerthConfig *dst, BerthConfig *src);
/* Deep comparison; an empty list equals NULL. */
bool config_equal(const BerthConfig *a, const BerthConfig *b);

void berth_mount_done(BerthMount *m);

/* Value checks shared by parser and validation. */
bool config_hostname_is_valid(const char *s);
bool config_hwaddr_is_valid(const char *s);
bool config_ipv4_cidr_is_valid(const char *s);
bool config_ipv4_addr_is_valid(const char *s);
bool config_ipv6_cidr_is_valid(const char *s);
bool config_ipv6_addr_is_valid(const char *s);
bool config_env_name_is_valid(const char *s, size_t len);


/* The YAML text of a snapshots.expiry span ("30d"). */
char *config_format_span(uint64_t usec);

/* Fixed-point text of v / 10^digits with trailing zeros dropped ("1.5", "30", "0.001"). */
char *config_format_fixed(uint64_t v, unsigned digits);

#define CONFIG_FIELD(base, k, type) ((type *)((char *)(base) + (k)->offset))
#define CONFIG_CFIELD(base, k, type)                                                               \
        ((const __typeof__(type) *)((const char *)(base) + (k)->offset))
