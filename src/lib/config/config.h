/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A container's configuration: YAML (libyaml) into this plain struct through a key table. */

#include <stdint.h>
#include <sys/types.h>

#include "../../shared/error.h"
#include "../../shared/in-addr-util.h"

#define CONFIG_MAX_BYTES (1024 * 1024) /* a config file larger than this is refused */
#define CONFIG_MAX_DEPTH 16            /* nesting of mappings/sequences */
#define CONFIG_MAX_LIST 1024           /* entries in any one list */

typedef enum InitKind {
        INIT_KIND_AUTO, /* detect from the rootfs */
        INIT_KIND_SYSTEMD,
        INIT_KIND_SYSVINIT,
        INIT_KIND_BUSYBOX,
        INIT_KIND_OPENRC,
        INIT_KIND_OTHER,
        _INIT_KIND_MAX,
        _INIT_KIND_INVALID = -1,
} InitKind;
const char *init_kind_to_string(InitKind k);
InitKind init_kind_from_string(const char *s);

/* rootfs.backend: how the container's rootfs is stored (src/lib/storage). */
typedef enum BerthBackend {
        BERTH_BACKEND_DIR,     /* a plain directory; copies use reflinks when the fs has them */
        BERTH_BACKEND_OVERLAY, /* overlayfs layers shared between snapshots and clones */
        BERTH_BACKEND_BTRFS,   /* a btrfs subvolume; snapshots are subvolume snapshots */
        _BERTH_BACKEND_MAX,
        _BERTH_BACKEND_INVALID = -1,
} BerthBackend;
const char *berth_backend_to_string(BerthBackend b);
BerthBackend berth_backend_from_string(const char *s);

typedef struct BerthIdmap {
        uint32_t container, host, count;
} BerthIdmap;

/* 0 means "not set" for every field: none of these accepts 0 as a value. */
typedef struct BerthLimits {
        uint64_t memory;     /* bytes (limits.memory) */
        uint64_t swap;       /* bytes of swap on top of memory (limits.swap); needs memory */
        uint64_t cpus_milli; /* 1500 = 1.5 CPUs (limits.cpus) */
        uint64_t cpu_weight; /* 1..10000, cgroup v2 scale (limits.cpu_weight) */
        uint64_t pids;       /* (limits.pids) */
        uint64_t io_weight;  /* 1..10000, cgroup v2 scale (limits.io_weight) */
} BerthLimits;

typedef enum BerthNetType {
        BERTH_NET_NONE,  /* share nothing: a new net namespace with only lo */
        BERTH_NET_EMPTY, /* same as none, kept for LXC users */
        BERTH_NET_VETH,
        BERTH_NET_MACVLAN,
        BERTH_NET_PHYS,
        _BERTH_NET_TYPE_MAX,
        _BERTH_NET_TYPE_INVALID = -1,
} BerthNetType;
const char *berth_net_type_to_string(BerthNetType t);
BerthNetType berth_net_type_from_string(const char *s);

typedef struct BerthNet {
        BerthNetType type;
        char *name;    /* interface name inside (eth0) */
        char *bridge;  /* veth: host bridge */
        char *link;    /* macvlan/phys: host interface */
        char *hwaddr;  /* NULL: derived from the container name */
        char *ipv4;     /* "10.0.3.10/24" */
        char *gateway;  /* "10.0.3.1" */
        char *ipv6;     /* "fd42::10/64" */
        char *gateway6; /* "fd42::1" */
        bool dhcp;      /* the guest asks for its address by DHCP (on berth's bridge: reserved) */
        uint32_t mtu;   /* 0: default */
} BerthNet;

void berth_net_done(BerthNet *n);
void berth_net_copy(BerthNet *dst, const BerthNet *src);
/* A Linux interface name: 1..15 printable characters, no '/', ':' or space, not "." or "..". */
bool config_ifname_is_valid(const char *s);

/* One entry of 'publish': "[HOSTADDR:]HOSTPORT:PORT[/tcp|/udp]" ("[::1]:8080:80" for IPv6). */
typedef struct BerthPublish {
        int family;        /* AF_UNSPEC: every local address; else host_addr's family */
        InAddr host_addr;
        uint16_t host_port;
        uint16_t port;     /* inside the container */
        int protocol;      /* IPPROTO_TCP (default) or IPPROTO_UDP */
} BerthPublish;

/* -EINVAL for anything but the form above with ports 1..65535. */
int config_publish_parse(const char *s, BerthPublish *ret);
/* Canonical text of p ("127.0.0.1:5353:53/udp"), for messages and comparisons. */
char *config_publish_to_string(const BerthPublish *p);
/* True when a and b cannot both be bound: same protocol and host port, and the same host
 * address or either one on every address. */
bool config_publish_conflict(const BerthPublish *a, const BerthPublish *b);

typedef struct BerthMount {
        char *source;    /* host path (bind) or fs source */
        char *target;    /* absolute path inside the container */
        char *type;      /* NULL for bind mounts, else fs type ("tmpfs") */
        char **options;  /* as written: "bind", "rbind", "ro", "rw", "nosuid", "nodev", "noexec",
                            "create=dir", "create=file", "optional", or fs data ("size=10M") */
        unsigned long flags; /* MS_* derived from options */
        char *data;          /* fs data joined with ',' (NULL when none) */
        bool bind;
        bool recursive;
        bool readonly;
        bool optional;   /* a missing source is skipped, not an error */
        int create;      /* 0 none, 1 dir, 2 file: create the target when missing */
} BerthMount;

typedef struct BerthConfig {
        char *name;
        BerthBackend rootfs_backend; /* rootfs.backend, default dir */
        char *rootfs_path;    /* relative to the container dir, or absolute; default "rootfs" */

        char **init_cmd;             /* default: [/sbin/init] */
        InitKind init_kind;          /* init.kind, default auto */
        int halt_signal;             /* 0: from init_kind's table */
        int reboot_signal;           /* 0: from init_kind's table */
        uint64_t stop_timeout_usec;  /* init.stop_timeout (seconds in YAML), default 30 s */

        char *hostname;              /* default: name */
        bool privileged;             /* default false: user namespace + idmap */
        BerthIdmap *idmap;
        size_t n_idmap;

        BerthLimits limits;

        /* Empty: the default interfaces of the global config (network.default in
         * /etc/berth/berth.yaml); [{type: none}] (or "network: none"): loopback only. */
        BerthNet *network;
        size_t n_network;
        char **publish;     /* host ports forwarded to the container: see BerthPublish */

        BerthMount *mounts;
        size_t n_mounts;

        char **cap_drop;    /* security.capabilities.drop: names without CAP_, lower case */
        char **cap_keep;    /* security.capabilities.keep: when set, everything else is dropped */
        char *seccomp;      /* "default", "unconfined", or a profile path */
        char *apparmor;     /* profile name, "unconfined", or NULL for the default */
        bool no_new_privs;

        unsigned console_ttys; /* console.ttys, default 4, max 64 */
        bool console_log;      /* console.log, default true */

        bool autostart;
        int64_t autostart_order;
        uint64_t autostart_delay_usec;
        char *autostart_group;

        char **environment; /* KEY=VALUE */
        char **labels;      /* NAME=VALUE: what tools record about the container ("berth.compose") */

        char **hooks_pre_start; /* shell command lines */
        char **hooks_post_stop;

        bool ephemeral;          /* destroyed when it stops (berth create --ephemeral) */

        char *snapshot_schedule;      /* snapshots.schedule: hourly|daily|weekly|"M H * * *" */
        uint64_t snapshot_keep;       /* snapshots.keep: scheduled snapshots kept; 0 all */
        uint64_t snapshot_expiry_usec; /* snapshots.expiry: "30d"; 0 never */

        char *template_name;     /* template.name: provenance, and for "create -f" */
        char **template_options; /* template.options */
} BerthConfig;

/* Container names: [a-z0-9][a-z0-9-]{0,62} (a path component, a hostname label, a cgroup name). */
bool config_name_is_valid(const char *name);
/* Template names: [a-z0-9][a-z0-9-]{0,63}, the part after "berth-" of its executable. */
bool config_template_name_is_valid(const char *s);

/* Defaults filled in; name NULL. */
BerthConfig *config_new(void);
BerthConfig *config_free(BerthConfig *c);
/* A deep copy. */
BerthConfig *config_copy(const BerthConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(BerthConfig *, config_free);

/* Parses YAML text on top of c: keys present replace what c holds (lists are replaced whole).
 * filename is used in messages only. Every error reads "FILE:LINE:COL: key 'a.b': what", and on
 * error c is left unchanged. */
int config_parse_into(BerthConfig *c, const char *text, size_t len, const char *filename,
                      BerthError **reterr);
/* Like config_parse_into(), for one top-level section of a file made of sections (the global
 * config, /etc/berth/berth.yaml): the mapping under key `section` is parsed as a container
 * config, and a top-level key not in the NULL-terminated `sections` is an error. Errors name
 * keys as "section.a.b". A missing or null section leaves c unchanged. */
int config_parse_section(BerthConfig *c, const char *text, size_t len, const char *filename,
                         const char *section, const char *const *sections, BerthError **reterr);
/* "true"/"yes" and "false"/"no", any case, as config files take them. */
int config_parse_bool(const char *s, bool *ret);
/* One "key: value" of a section made of scalars (the global config's 'network:'), with the
 * positions of both for messages. */
typedef struct ConfigScalar {
        char *key;
        char *value; /* NULL for a null value */
        unsigned key_line, key_column;
        unsigned line, column;
} ConfigScalar;
void config_scalars_free(ConfigScalar *s, size_t n);
/* The mapping under top-level key `section` of a file of sections, as scalars in file order; a
 * value that is a list or mapping is an error (FILE:LINE:COL), and so is a top-level key not in
 * `sections`. A missing or null section gives none. */
int config_section_scalars(const char *text, size_t len, const char *filename,
                           const char *section, const char *const *sections, ConfigScalar **ret,
                           size_t *ret_n, BerthError **reterr);
/* Reads a config-sized file (at most CONFIG_MAX_BYTES, a NUL-terminated copy). Errors read
 * "FILE: file too large (max N bytes)" or "read <what>'FILE': <errno>" (what: "config " or ""). */
int config_read_file(const char *path, const char *what, char **ret, size_t *ret_size,
                     BerthError **reterr);
/* config_new() + config_parse_into() from a file (capped at CONFIG_MAX_BYTES). */
int config_load_file(const char *path, BerthConfig **ret, BerthError **reterr);
/* Cross-key checks: swap needs memory, macvlan/phys need a link, interface names are unique.
 * An unprivileged config without idmap passes: the caller allocates a default range. */
int config_validate(const BerthConfig *c, BerthError **reterr);
/* Normalised YAML of every key (what `berth config NAME show` prints, and what is saved). */
char *config_to_yaml(const BerthConfig *c);
/* Writes config_to_yaml() atomically to path. */
int config_save(const BerthConfig *c, const char *path, BerthError **reterr);

/* snapshots.schedule: the latest scheduled instant at or before now_usec (CLOCK_REALTIME, local
 * time of day), in *ret; -EINVAL for a schedule that does not parse. Pure. */
int config_schedule_last(const char *schedule, uint64_t now_usec, uint64_t *ret);
/* "30d", "12h", "2w", "90m", "3600s", "3600": microseconds. */
int config_parse_span(const char *s, uint64_t *ret);
/* Sets one key from text, as `berth set NAME key=value` does: key is a table key
 * ("limits.memory"), a section ("limits", with a mapping as value) or an entry of a mapping-valued
 * key ("environment.TZ", "labels.team"); value is YAML (a scalar, or a flow list or mapping;
 * empty or null unsets, and removes a mapping entry). Checked exactly as in a file; errors read
 * "key 'limits.memory': invalid size 'lots'" and leave c unchanged. */
int config_assign(BerthConfig *c, const char *key, const char *value, BerthError **reterr);
/* The top-level table keys ("limits.memory", "mounts", "environment") whose values differ
 * between a and b, in table order; NULL when none does. */
char **config_changed_keys(const BerthConfig *a, const BerthConfig *b);
/* autostart.group names: [A-Za-z0-9_-]{1,64}. */
bool config_group_is_valid(const char *s);
/* Removes label name from c->labels (if it is there). */
void config_label_drop(BerthConfig *c, const char *name);
/* The label a composition file puts on what it creates: its project. A container made from
 * one (clone, rename) is no longer the file's, and loses it. */
#define CONFIG_LABEL_COMPOSE "berth.compose"
/* Label names: [a-z0-9][a-z0-9._/-]{0,127}. */
bool config_label_name_is_valid(const char *s);

/* s made safe for a one-line message: non-printable bytes escaped, cut after 64 characters.
 * Every value a user or a peer controls goes through it before it is quoted in an error. */
char *config_escape(const char *s);

/* The key table, for completeness tests and documentation: dotted key names. */
typedef struct ConfigKeyInfo {
        const char *key;  /* "limits.memory" */
        const char *type; /* "size", "string", "bool", "uint", "signal", "list", "map", … */
} ConfigKeyInfo;
const ConfigKeyInfo *config_key_table(size_t *ret_n);
