/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The config key table, enum tables, value checks, and BerthConfig's life cycle. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "config-internal.h"
#include "parse.h"
#include "path-util.h"
#include "strv.h"

static const char *const init_kind_table[_INIT_KIND_MAX] = {
        [INIT_KIND_AUTO] = "auto",         [INIT_KIND_SYSTEMD] = "systemd",
        [INIT_KIND_SYSVINIT] = "sysvinit", [INIT_KIND_BUSYBOX] = "busybox",
        [INIT_KIND_OPENRC] = "openrc",     [INIT_KIND_OTHER] = "other",
};

DEFINE_STRING_TABLE_LOOKUP(init_kind, InitKind, init_kind_table)

static const char *const net_type_table[_BERTH_NET_TYPE_MAX] = {
        [BERTH_NET_NONE] = "none",       [BERTH_NET_EMPTY] = "empty", [BERTH_NET_VETH] = "veth",
        [BERTH_NET_MACVLAN] = "macvlan", [BERTH_NET_PHYS] = "phys",
};

DEFINE_STRING_TABLE_LOOKUP(berth_net_type, BerthNetType, net_type_table)

static const char *const backend_table[_BERTH_BACKEND_MAX] = {
        [BERTH_BACKEND_DIR] = "dir",
        [BERTH_BACKEND_OVERLAY] = "overlay",
        [BERTH_BACKEND_BTRFS] = "btrfs",
};

DEFINE_STRING_TABLE_LOOKUP(berth_backend, BerthBackend, backend_table)

/* ---- value checks ------------------------------------------------------------------------- */

/* True when s is 1..max characters, each accepted by ok(), the first also by first(). */
static bool chars_ok(const char *s, size_t max, int (*first)(int), bool (*ok)(char))
{
        if (!s || !*s || strlen(s) > max)
                return false;
        if (first && !first((unsigned char)s[0]))
                return false;
        for (const char *p = s; *p; p++)
                if (!ok(*p))
                        return false;
        return true;
}

static bool is_lower_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_name_char(char c)
{
        return is_lower_alnum(c) || c == '-';
}

bool config_name_is_valid(const char *name)
{
        return name && is_lower_alnum(name[0]) && chars_ok(name, 63, NULL, is_name_char);
}

static bool is_hostname_char(char c)
{
        return isascii((unsigned char)c) && (isalnum((unsigned char)c) || c == '-');
}

bool config_hostname_is_valid(const char *s)
{
        if (!chars_ok(s, 63, NULL, is_hostname_char))
                return false;
        return s[0] != '-' && s[strlen(s) - 1] != '-';
}

static bool is_ifname_char(char c)
{
        /* The kernel refuses '/', ':' and whitespace; stay within printable ASCII too. */
        return c > ' ' && c < 0x7f && c != '/' && c != ':';
}

bool config_ifname_is_valid(const char *s)
{
        if (!chars_ok(s, 15, NULL, is_ifname_char))
                return false;
        return !streq(s, ".") && !streq(s, "..");
}

bool config_hwaddr_is_valid(const char *s)
{
        if (!s || strlen(s) != 17)
                return false;
        for (size_t i = 0; i < 17; i++) {
                if (i % 3 == 2) {
                        if (s[i] != ':')
                                return false;
                } else if (!isxdigit((unsigned char)s[i]))
                        return false;
        }
        return true;
}

bool config_ipv4_addr_is_valid(const char *s)
{
        return in_addr_parse(s, AF_INET, NULL, NULL) >= 0;
}

bool config_ipv4_cidr_is_valid(const char *s)
{
        return in_addr_prefix_parse(s, AF_INET, NULL, NULL, NULL) >= 0;
}

bool config_ipv6_addr_is_valid(const char *s)
{
        return in_addr_parse(s, AF_INET6, NULL, NULL) >= 0;
}

bool config_ipv6_cidr_is_valid(const char *s)
{
        return in_addr_prefix_parse(s, AF_INET6, NULL, NULL, NULL) >= 0;
}

/* ---- publish: "[HOSTADDR:]HOSTPORT:PORT[/PROTO]" --------------------------------------------- */

static int parse_port(const char *s, size_t len, uint16_t *ret)
{
        char buf[8];
        uint64_t v;
        /* Digits only, no leading zero: "080" is a typo more often than a port. */
        if (len == 0 || len > 5 || s[0] == '0')
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = 0;
        if (parse_uint64(buf, &v) < 0 || v < 1 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t)v;
        return 0;
}

int config_publish_parse(const char *s, BerthPublish *ret)
{
        BerthPublish p = {.family = AF_UNSPEC, .protocol = IPPROTO_TCP};
        if (!s || strlen(s) > 128)
                return -EINVAL;

        const char *rest = s;
        if (rest[0] == '[') {
                /* "[v6addr]:HOSTPORT:PORT" */
                const char *close = strchr(rest, ']');
                if (!close || close[1] != ':' || (size_t)(close - rest - 1) >= INET6_ADDRSTRLEN)
                        return -EINVAL;
                char addr[INET6_ADDRSTRLEN];
                memcpy(addr, rest + 1, close - rest - 1);
                addr[close - rest - 1] = 0;
                if (in_addr_parse(addr, AF_INET6, NULL, &p.host_addr) < 0)
                        return -EINVAL;
                p.family = AF_INET6;
                rest = close + 2;
        }

        const char *slash = strchr(rest, '/');
        size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
        if (slash) {
                if (streq(slash + 1, "tcp"))
                        p.protocol = IPPROTO_TCP;
                else if (streq(slash + 1, "udp"))
                        p.protocol = IPPROTO_UDP;
                else
                        return -EINVAL;
        }

        /* What is left: [v4addr:]HOSTPORT:PORT */
        const char *c1 = memchr(rest, ':', len);
        if (!c1)
                return -EINVAL;
        const char *c2 = memchr(c1 + 1, ':', len - (c1 + 1 - rest));
        const char *host_port = rest;
        if (c2) {
                if (p.family != AF_UNSPEC || memchr(c2 + 1, ':', len - (c2 + 1 - rest)))
                        return -EINVAL;
                char addr[INET_ADDRSTRLEN];
                if ((size_t)(c1 - rest) >= sizeof(addr))
                        return -EINVAL;
                memcpy(addr, rest, c1 - rest);
                addr[c1 - rest] = 0;
                if (in_addr_parse(addr, AF_INET, NULL, &p.host_addr) < 0)
                        return -EINVAL;
                p.family = AF_INET;
                host_port = c1 + 1;
                c1 = c2;
        }
        if (parse_port(host_port, c1 - host_port, &p.host_port) < 0 ||
            parse_port(c1 + 1, rest + len - (c1 + 1), &p.port) < 0)
                return -EINVAL;
        if (ret)
                *ret = p;
        return 0;
}

char *config_publish_to_string(const BerthPublish *p)
{
        const char *proto = p->protocol == IPPROTO_UDP ? "udp" : "tcp";
        char buf[INET6_ADDRSTRLEN];
        if (p->family == AF_INET)
                return xasprintf("%s:%u:%u/%s", in_addr_to_string(AF_INET, &p->host_addr, buf),
                                 p->host_port, p->port, proto);
        if (p->family == AF_INET6)
                return xasprintf("[%s]:%u:%u/%s", in_addr_to_string(AF_INET6, &p->host_addr, buf),
                                 p->host_port, p->port, proto);
        return xasprintf("%u:%u/%s", p->host_port, p->port, proto);
}

bool config_publish_conflict(const BerthPublish *a, const BerthPublish *b)
{
        if (a->protocol != b->protocol || a->host_port != b->host_port)
                return false;
        if (a->family == AF_UNSPEC || b->family == AF_UNSPEC)
                return true;
        return a->family == b->family && in_addr_equal(a->family, &a->host_addr, &b->host_addr);
}

static bool valid_publish(const char *s)
{
        return config_publish_parse(s, NULL) >= 0;
}

bool config_env_name_is_valid(const char *s, size_t len)
{
        if (!s || len == 0 || len > 255)
                return false;
        if (!(isalpha((unsigned char)s[0]) || s[0] == '_') || !isascii((unsigned char)s[0]))
                return false;
        for (size_t i = 1; i < len; i++)
                if (!isascii((unsigned char)s[i]) || !(isalnum((unsigned char)s[i]) || s[i] == '_'))
                        return false;
        return true;
}

static bool valid_schedule(const char *s)
{
        uint64_t t;
        return config_schedule_last(s, 0, &t) >= 0;
}

static bool valid_path(const char *s)
{
        return strlen(s) < PATH_MAX && path_is_normalized(s);
}

static bool valid_abs_path(const char *s)
{
        return path_is_absolute(s) && valid_path(s);
}

static bool valid_nonempty(const char *s)
{
        return *s != 0;
}

static bool valid_source(const char *s)
{
        return *s && strlen(s) < PATH_MAX;
}

static bool is_fstype_char(char c)
{
        return isascii((unsigned char)c) && (isalnum((unsigned char)c) || strchr("._-", c));
}

static bool valid_fstype(const char *s)
{
        return chars_ok(s, 64, NULL, is_fstype_char);
}

static bool is_cap_char(char c)
{
        return is_lower_alnum(c) || c == '_';
}

static int is_lower(int c)
{
        return c >= 'a' && c <= 'z';
}

static bool valid_cap(const char *s)
{
        return chars_ok(s, 32, is_lower, is_cap_char);
}

static bool valid_seccomp(const char *s)
{
        return streq(s, "default") || streq(s, "unconfined") || valid_abs_path(s);
}

static bool is_profile_char(char c)
{
        return isascii((unsigned char)c) && (isalnum((unsigned char)c) || strchr("._/:-", c));
}

static int is_alnum_ascii(int c)
{
        return isascii(c) && isalnum(c);
}

static bool valid_apparmor(const char *s)
{
        return chars_ok(s, 255, is_alnum_ascii, is_profile_char);
}

static bool is_group_char(char c)
{
        return isascii((unsigned char)c) && (isalnum((unsigned char)c) || c == '-' || c == '_');
}

/* Label names: "berth.compose", "team/owner". Dots and slashes namespace them. */
static bool is_label_char(char c)
{
        return is_lower_alnum(c) || strchr("._/-", c);
}

bool config_label_name_is_valid(const char *s)
{
        return s && is_lower_alnum(s[0]) && chars_ok(s, 128, NULL, is_label_char);
}

void config_label_drop(BerthConfig *c, const char *name)
{
        size_t n = strlen(name);
        char **w = c->labels;
        STRV_FOREACH(l, c->labels) {
                if (strncmp(*l, name, n) == 0 && (*l)[n] == '=')
                        free(*l);
                else
                        *w++ = *l;
        }
        if (w)
                *w = NULL;
}

bool config_group_is_valid(const char *s)
{
        return chars_ok(s, 64, NULL, is_group_char);
}

bool config_template_name_is_valid(const char *s)
{
        /* A file name part: templates_dir/berth-<name>. */
        if (!s || !*s || strlen(s) > 64 || *s == '-')
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(s);
}

static bool valid_mount_option(const char *s)
{
        /* The options are joined with ',' into the mount data, so one entry is one option. */
        return *s && !strchr(s, ',') && strlen(s) < 4096;
}

/* ---- list items ----------------------------------------------------------------------------- */

static void idmap_init(void *item)
{
        memset(item, 0, sizeof(BerthIdmap));
}

static void idmap_done(void *item)
{
}

static void idmap_copy(void *dst, const void *src)
{
        memcpy(dst, src, sizeof(BerthIdmap));
}

static void net_init(void *item)
{
        /* Invalid until the item names its type: "type" is required. */
        *(BerthNet *)item = (BerthNet){.type = _BERTH_NET_TYPE_INVALID};
}

void berth_net_done(BerthNet *n)
{
        free(n->name);
        free(n->bridge);
        free(n->link);
        free(n->hwaddr);
        free(n->ipv4);
        free(n->gateway);
        free(n->ipv6);
        free(n->gateway6);
        *n = (BerthNet){};
}

static void net_done(void *item)
{
        berth_net_done(item);
}

static char *strdup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

void berth_net_copy(BerthNet *dst, const BerthNet *s)
{
        *dst = (BerthNet){
                .type = s->type,
                .name = strdup_or_null(s->name),
                .bridge = strdup_or_null(s->bridge),
                .link = strdup_or_null(s->link),
                .hwaddr = strdup_or_null(s->hwaddr),
                .ipv4 = strdup_or_null(s->ipv4),
                .gateway = strdup_or_null(s->gateway),
                .ipv6 = strdup_or_null(s->ipv6),
                .gateway6 = strdup_or_null(s->gateway6),
                .dhcp = s->dhcp,
                .mtu = s->mtu,
        };
}

static void net_copy(void *dst, const void *src)
{
        berth_net_copy(dst, src);
}

static void mount_init(void *item)
{
        *(BerthMount *)item = (BerthMount){};
}

void berth_mount_done(BerthMount *m)
{
        free(m->source);
        free(m->target);
        free(m->type);
        strv_free(m->options);
        free(m->data);
        *m = (BerthMount){};
}

static void mount_done(void *item)
{
        berth_mount_done(item);
}

static void mount_copy(void *dst, const void *src)
{
        const BerthMount *s = src;
        BerthMount *d = dst;
        *d = *s;
        d->source = strdup_or_null(s->source);
        d->target = strdup_or_null(s->target);
        d->type = strdup_or_null(s->type);
        d->options = s->options ? strv_copy(s->options) : NULL;
        d->data = strdup_or_null(s->data);
}

static const ConfigList list_idmap = {
        .prefix = "idmap[]",
        .item_size = sizeof(BerthIdmap),
        .max = 64,
        .offset_array = offsetof(BerthConfig, idmap),
        .offset_count = offsetof(BerthConfig, n_idmap),
        .item_init = idmap_init,
        .item_done = idmap_done,
        .item_copy = idmap_copy,
};

static const ConfigList list_network = {
        .prefix = "network[]",
        .item_size = sizeof(BerthNet),
        .max = CONFIG_MAX_LIST,
        .offset_array = offsetof(BerthConfig, network),
        .offset_count = offsetof(BerthConfig, n_network),
        .item_init = net_init,
        .item_done = net_done,
        .item_copy = net_copy,
};

static const ConfigList list_mounts = {
        .prefix = "mounts[]",
        .item_size = sizeof(BerthMount),
        .max = CONFIG_MAX_LIST,
        .offset_array = offsetof(BerthConfig, mounts),
        .offset_count = offsetof(BerthConfig, n_mounts),
        .item_init = mount_init,
        .item_done = mount_done,
        .item_copy = mount_copy,
};

/* ---- the key table -------------------------------------------------------------------------- */

#define USEC_PER_SEC 1000000ULL
/* One key per entry reads better than one field per line. */
/* clang-format off */
#define C(f) offsetof(BerthConfig, f)
#define STR(k, f, v, w, fl)                                                                        \
        {.key = k, .type = "string", .kind = CK_STRING, .offset = f, .valid = v, .what = w,        \
         .flags = fl}
#define UINT(k, t, f, sz, lo, hi, fl)                                                              \
        {.key = k, .type = t, .kind = CK_UINT, .offset = f, .size = sz, .min = lo, .max = hi,      \
         .flags = fl}
#define STRV(k, f, v, w, fl)                                                                       \
        {.key = k, .type = "list", .kind = CK_STRV, .offset = f, .valid = v, .what = w, .flags = fl}

/* Order matters: it is the order of config_to_yaml(), and the keys of one section stay together. */
const ConfigKey config_keys[] = {
        STR("name", C(name), config_name_is_valid, "name", CKF_NULLABLE),
        {.key = "rootfs.backend", .type = "enum", .kind = CK_BACKEND, .offset = C(rootfs_backend)},
        {.key = "rootfs.path", .type = "path", .kind = CK_STRING, .offset = C(rootfs_path),
         .valid = valid_path, .what = "path"},
        STRV("init.cmd", C(init_cmd), NULL, "argument", CKF_NONEMPTY | CKF_ABS_FIRST),
        {.key = "init.kind", .type = "enum", .kind = CK_INIT_KIND, .offset = C(init_kind)},
        {.key = "init.halt_signal", .type = "signal", .kind = CK_SIGNAL,
         .offset = C(halt_signal), .flags = CKF_NULLABLE},
        {.key = "init.reboot_signal", .type = "signal", .kind = CK_SIGNAL,
         .offset = C(reboot_signal), .flags = CKF_NULLABLE},
        {.key = "init.stop_timeout", .type = "duration", .kind = CK_DURATION,
         .offset = C(stop_timeout_usec), .min = 0, .max = 86400 * USEC_PER_SEC},
        STR("hostname", C(hostname), config_hostname_is_valid, "hostname", CKF_NULLABLE),
        {.key = "privileged", .type = "bool", .kind = CK_BOOL, .offset = C(privileged)},

        {.key = "idmap", .type = "list", .kind = CK_LIST, .list = &list_idmap},
        UINT("idmap[].container", "uint", offsetof(BerthIdmap, container), 4, 0, UINT32_MAX,
             CKF_REQUIRED),
        UINT("idmap[].host", "uint", offsetof(BerthIdmap, host), 4, 0, UINT32_MAX, CKF_REQUIRED),
        UINT("idmap[].count", "uint", offsetof(BerthIdmap, count), 4, 1, UINT32_MAX,
             CKF_REQUIRED),

        {.key = "limits.memory", .type = "size", .kind = CK_SIZE, .offset = C(limits.memory),
         .min = 1024 * 1024, .max = UINT64_MAX, .flags = CKF_NULLABLE},
        {.key = "limits.swap", .type = "size", .kind = CK_SIZE, .offset = C(limits.swap),
         .min = 1, .max = UINT64_MAX, .flags = CKF_NULLABLE},
        {.key = "limits.cpus", .type = "decimal", .kind = CK_MILLI,
         .offset = C(limits.cpus_milli), .min = 1, .max = 4096 * 1000, .flags = CKF_NULLABLE},
        UINT("limits.cpu_weight", "uint", C(limits.cpu_weight), 8, 1, 10000, CKF_NULLABLE),
        UINT("limits.pids", "uint", C(limits.pids), 8, 1, 4194304, CKF_NULLABLE),
        UINT("limits.io_weight", "uint", C(limits.io_weight), 8, 1, 10000, CKF_NULLABLE),

        {.key = "network", .type = "list", .kind = CK_LIST, .list = &list_network},
        {.key = "network[].type", .type = "enum", .kind = CK_NET_TYPE,
         .offset = offsetof(BerthNet, type), .flags = CKF_REQUIRED},
        STR("network[].name", offsetof(BerthNet, name), config_ifname_is_valid, "interface name",
            CKF_NULLABLE),
        STR("network[].bridge", offsetof(BerthNet, bridge), config_ifname_is_valid,
            "interface name", CKF_NULLABLE),
        STR("network[].link", offsetof(BerthNet, link), config_ifname_is_valid, "interface name",
            CKF_NULLABLE),
        STR("network[].hwaddr", offsetof(BerthNet, hwaddr), config_hwaddr_is_valid,
            "hardware address", CKF_NULLABLE),
        STR("network[].ipv4", offsetof(BerthNet, ipv4), config_ipv4_cidr_is_valid,
            "IPv4 address/prefix", CKF_NULLABLE),
        STR("network[].gateway", offsetof(BerthNet, gateway), config_ipv4_addr_is_valid,
            "IPv4 address", CKF_NULLABLE),
        STR("network[].ipv6", offsetof(BerthNet, ipv6), config_ipv6_cidr_is_valid,
            "IPv6 address/prefix", CKF_NULLABLE),
        STR("network[].gateway6", offsetof(BerthNet, gateway6), config_ipv6_addr_is_valid,
            "IPv6 address", CKF_NULLABLE),
        {.key = "network[].dhcp", .type = "bool", .kind = CK_BOOL,
         .offset = offsetof(BerthNet, dhcp)},
        UINT("network[].mtu", "uint", offsetof(BerthNet, mtu), 4, 68, 65535, CKF_NULLABLE),
        STRV("publish", C(publish), valid_publish,
             "port ([ADDRESS:]HOSTPORT:PORT[/tcp|/udp])", 0),

        {.key = "mounts", .type = "list", .kind = CK_LIST, .list = &list_mounts},
        STR("mounts[].source", offsetof(BerthMount, source), valid_source, "source",
            CKF_NULLABLE),
        {.key = "mounts[].target", .type = "path", .kind = CK_STRING,
         .offset = offsetof(BerthMount, target), .valid = valid_abs_path,
         .what = "target (not an absolute normalised path)", .flags = CKF_REQUIRED},
        STR("mounts[].type", offsetof(BerthMount, type), valid_fstype, "filesystem type",
            CKF_NULLABLE),
        STRV("mounts[].options", offsetof(BerthMount, options), valid_mount_option,
             "mount option", 0),

        STRV("security.capabilities.drop", C(cap_drop), valid_cap, "capability name", 0),
        STRV("security.capabilities.keep", C(cap_keep), valid_cap, "capability name", 0),
        STR("security.seccomp", C(seccomp), valid_seccomp, "seccomp profile", 0),
        STR("security.apparmor", C(apparmor), valid_apparmor, "AppArmor profile", CKF_NULLABLE),
        {.key = "security.no_new_privs", .type = "bool", .kind = CK_BOOL,
         .offset = C(no_new_privs)},

        UINT("console.ttys", "uint", C(console_ttys), sizeof(unsigned), 0, 64, 0),
        {.key = "console.log", .type = "bool", .kind = CK_BOOL, .offset = C(console_log)},

        {.key = "autostart.enabled", .type = "bool", .kind = CK_BOOL, .offset = C(autostart)},
        {.key = "autostart.order", .type = "int", .kind = CK_INT64, .offset = C(autostart_order)},
        {.key = "autostart.delay", .type = "duration", .kind = CK_DURATION,
         .offset = C(autostart_delay_usec), .min = 0, .max = 86400 * USEC_PER_SEC},
        STR("autostart.group", C(autostart_group), config_group_is_valid, "group", CKF_NULLABLE),

        {.key = "environment", .type = "map", .kind = CK_ENV, .offset = C(environment)},
        {.key = "labels", .type = "map", .kind = CK_ENV, .offset = C(labels),
         .valid = config_label_name_is_valid, .what = "label name"},

        STRV("hooks.pre_start", C(hooks_pre_start), valid_nonempty, "hook", 0),
        STRV("hooks.post_stop", C(hooks_post_stop), valid_nonempty, "hook", 0),

        {.key = "ephemeral", .type = "bool", .kind = CK_BOOL, .offset = C(ephemeral)},
        STR("snapshots.schedule", C(snapshot_schedule), valid_schedule, "schedule", CKF_NULLABLE),
        UINT("snapshots.keep", "uint", C(snapshot_keep), 8, 1, 100000, CKF_NULLABLE),
        {.key = "snapshots.expiry", .type = "span", .kind = CK_SPAN,
         .offset = C(snapshot_expiry_usec), .min = 1, .max = 100ULL * 366 * 86400 * USEC_PER_SEC,
         .flags = CKF_NULLABLE},

        STR("template.name", C(template_name), config_template_name_is_valid, "template name",
            CKF_NULLABLE),
        STRV("template.options", C(template_options), NULL, "option", 0),
};
/* clang-format on */
const size_t config_keys_n = ELEMENTSOF(config_keys);
_Static_assert(ELEMENTSOF(config_keys) <= CONFIG_KEYS_MAX, "raise CONFIG_KEYS_MAX");

static ConfigKeyInfo key_infos[ELEMENTSOF(config_keys)];
static pthread_once_t key_infos_once = PTHREAD_ONCE_INIT;

static void key_infos_fill(void)
{
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                key_infos[i] = (ConfigKeyInfo){config_keys[i].key, config_keys[i].type};
}

const ConfigKeyInfo *config_key_table(size_t *ret_n)
{
        (void)pthread_once(&key_infos_once, key_infos_fill);
        if (ret_n)
                *ret_n = ELEMENTSOF(key_infos);
        return key_infos;
}

const ConfigKey *config_key_find(const char *key)
{
        for (size_t i = 0; i < config_keys_n; i++)
                if (streq(config_keys[i].key, key))
                        return &config_keys[i];
        return NULL;
}

bool config_key_is_section(const char *prefix)
{
        size_t n = strlen(prefix);
        for (size_t i = 0; i < config_keys_n; i++)
                if (strncmp(config_keys[i].key, prefix, n) == 0 && config_keys[i].key[n] == '.')
                        return true;
        return false;
}

/* ---- life cycle ----------------------------------------------------------------------------- */

BerthConfig *config_new(void)
{
        BerthConfig *c = xcalloc(1, sizeof(*c));
        c->rootfs_backend = BERTH_BACKEND_DIR;
        c->rootfs_path = xstrdup("rootfs");
        strv_extend(&c->init_cmd, "/sbin/init");
        c->init_kind = INIT_KIND_AUTO;
        c->stop_timeout_usec = 30 * USEC_PER_SEC;
        c->privileged = false;
        c->console_ttys = 4;
        c->console_log = true;
        c->seccomp = xstrdup("default");
        return c;
}

static void list_free(const ConfigList *l, void *array, size_t n)
{
        for (size_t i = 0; i < n; i++)
                l->item_done((char *)array + i * l->item_size);
        free(array);
}

static void config_done(BerthConfig *c)
{
        free(c->name);
        free(c->rootfs_path);
        strv_free(c->init_cmd);
        free(c->hostname);
        list_free(&list_idmap, c->idmap, c->n_idmap);
        list_free(&list_network, c->network, c->n_network);
        strv_free(c->publish);
        list_free(&list_mounts, c->mounts, c->n_mounts);
        strv_free(c->cap_drop);
        strv_free(c->cap_keep);
        free(c->seccomp);
        free(c->apparmor);
        free(c->autostart_group);
        strv_free(c->environment);
        strv_free(c->labels);
        strv_free(c->hooks_pre_start);
        strv_free(c->hooks_post_stop);
        free(c->snapshot_schedule);
        free(c->template_name);
        strv_free(c->template_options);
        *c = (BerthConfig){};
}

BerthConfig *config_free(BerthConfig *c)
{
        if (c) {
                config_done(c);
                free(c);
        }
        return NULL;
}

static void *list_copy(const ConfigList *l, const void *array, size_t n)
{
        if (n == 0)
                return NULL;
        char *r = xcalloc(n, l->item_size);
        for (size_t i = 0; i < n; i++)
                l->item_copy(r + i * l->item_size, (const char *)array + i * l->item_size);
        return r;
}

static char **strv_copy_or_null(char *const *l)
{
        return l ? strv_copy(l) : NULL;
}

BerthConfig *config_copy(const BerthConfig *c)
{
        BerthConfig *d = xmalloc(sizeof(*d));
        *d = *c;
        d->name = strdup_or_null(c->name);
        d->rootfs_path = strdup_or_null(c->rootfs_path);
        d->init_cmd = strv_copy_or_null(c->init_cmd);
        d->hostname = strdup_or_null(c->hostname);
        d->idmap = list_copy(&list_idmap, c->idmap, c->n_idmap);
        d->network = list_copy(&list_network, c->network, c->n_network);
        d->publish = strv_copy_or_null(c->publish);
        d->mounts = list_copy(&list_mounts, c->mounts, c->n_mounts);
        d->cap_drop = strv_copy_or_null(c->cap_drop);
        d->cap_keep = strv_copy_or_null(c->cap_keep);
        d->seccomp = strdup_or_null(c->seccomp);
        d->apparmor = strdup_or_null(c->apparmor);
        d->autostart_group = strdup_or_null(c->autostart_group);
        d->environment = strv_copy_or_null(c->environment);
        d->labels = strv_copy_or_null(c->labels);
        d->hooks_pre_start = strv_copy_or_null(c->hooks_pre_start);
        d->hooks_post_stop = strv_copy_or_null(c->hooks_post_stop);
        d->snapshot_schedule = strdup_or_null(c->snapshot_schedule);
        d->template_name = strdup_or_null(c->template_name);
        d->template_options = strv_copy_or_null(c->template_options);
        return d;
}

void config_move(BerthConfig *dst, BerthConfig *src)
{
        config_done(dst);
        *dst = *src;
        free(src);
}

static bool strv_equal_loose(char *const *a, char *const *b)
{
        size_t n = strv_length(a);
        if (n != strv_length(b))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

static bool net_equal(const BerthNet *a, const BerthNet *b)
{
        return a->type == b->type && streq_ptr(a->name, b->name) &&
               streq_ptr(a->bridge, b->bridge) && streq_ptr(a->link, b->link) &&
               streq_ptr(a->hwaddr, b->hwaddr) && streq_ptr(a->ipv4, b->ipv4) &&
               streq_ptr(a->gateway, b->gateway) && streq_ptr(a->ipv6, b->ipv6) &&
               streq_ptr(a->gateway6, b->gateway6) && a->dhcp == b->dhcp && a->mtu == b->mtu;
}

static bool mount_equal(const BerthMount *a, const BerthMount *b)
{
        return streq_ptr(a->source, b->source) && streq_ptr(a->target, b->target) &&
               streq_ptr(a->type, b->type) && strv_equal_loose(a->options, b->options) &&
               a->flags == b->flags && streq_ptr(a->data, b->data) && a->bind == b->bind &&
               a->recursive == b->recursive && a->readonly == b->readonly &&
               a->optional == b->optional && a->create == b->create;
}

bool config_equal(const BerthConfig *a, const BerthConfig *b)
{
        if (!streq_ptr(a->name, b->name) || a->rootfs_backend != b->rootfs_backend ||
            !streq_ptr(a->rootfs_path, b->rootfs_path) ||
            !strv_equal_loose(a->init_cmd, b->init_cmd) || a->init_kind != b->init_kind ||
            a->halt_signal != b->halt_signal || a->reboot_signal != b->reboot_signal ||
            a->stop_timeout_usec != b->stop_timeout_usec || !streq_ptr(a->hostname, b->hostname) ||
            a->privileged != b->privileged)
                return false;

        if (a->n_idmap != b->n_idmap)
                return false;
        for (size_t i = 0; i < a->n_idmap; i++)
                if (a->idmap[i].container != b->idmap[i].container ||
                    a->idmap[i].host != b->idmap[i].host || a->idmap[i].count != b->idmap[i].count)
                        return false;

        if (memcmp(&a->limits, &b->limits, sizeof(a->limits)) != 0)
                return false;

        if (a->n_network != b->n_network)
                return false;
        for (size_t i = 0; i < a->n_network; i++)
                if (!net_equal(&a->network[i], &b->network[i]))
                        return false;

        if (!strv_equal_loose(a->publish, b->publish))
                return false;

        if (a->n_mounts != b->n_mounts)
                return false;
        for (size_t i = 0; i < a->n_mounts; i++)
                if (!mount_equal(&a->mounts[i], &b->mounts[i]))
                        return false;

        return strv_equal_loose(a->cap_drop, b->cap_drop) &&
               strv_equal_loose(a->cap_keep, b->cap_keep) && streq_ptr(a->seccomp, b->seccomp) &&
               streq_ptr(a->apparmor, b->apparmor) && a->no_new_privs == b->no_new_privs &&
               a->console_ttys == b->console_ttys && a->console_log == b->console_log &&
               a->autostart == b->autostart && a->autostart_order == b->autostart_order &&
               a->autostart_delay_usec == b->autostart_delay_usec &&
               streq_ptr(a->autostart_group, b->autostart_group) &&
               strv_equal_loose(a->environment, b->environment) &&
               strv_equal_loose(a->labels, b->labels) &&
               strv_equal_loose(a->hooks_pre_start, b->hooks_pre_start) &&
               strv_equal_loose(a->hooks_post_stop, b->hooks_post_stop) &&
               a->ephemeral == b->ephemeral &&
               streq_ptr(a->snapshot_schedule, b->snapshot_schedule) &&
               a->snapshot_keep == b->snapshot_keep &&
               a->snapshot_expiry_usec == b->snapshot_expiry_usec &&
               streq_ptr(a->template_name, b->template_name) &&
               strv_equal_loose(a->template_options, b->template_options);
}

/* ---- cross-key checks ----------------------------------------------------------------------- */

int config_validate(const BerthConfig *c, BerthError **reterr)
{
        _cleanup_free_ char *name = c->name ? config_escape(c->name) : xstrdup("(unnamed)");

        if (c->limits.swap > 0 && c->limits.memory == 0)
                return berth_error_setf(reterr, EBADMSG,
                                        "validate '%s': key 'limits.swap': needs limits.memory",
                                        name);

        for (size_t i = 0; i < c->n_network; i++) {
                const BerthNet *n = &c->network[i];
                const char *type = berth_net_type_to_string(n->type);
                if ((n->type == BERTH_NET_MACVLAN || n->type == BERTH_NET_PHYS) && !n->link)
                        return berth_error_setf(reterr, EBADMSG,
                                                "validate '%s': key 'network[%zu].link': "
                                                "type %s needs a host link",
                                                name, i, type);
                if ((n->type == BERTH_NET_NONE || n->type == BERTH_NET_EMPTY) &&
                    (n->name || n->bridge || n->link || n->hwaddr || n->ipv4 || n->gateway ||
                     n->ipv6 || n->gateway6 || n->dhcp || n->mtu))
                        return berth_error_setf(reterr, EBADMSG,
                                                "validate '%s': key 'network[%zu]': type %s "
                                                "takes no other key",
                                                name, i, type);
                if (n->bridge && n->type != BERTH_NET_VETH)
                        return berth_error_setf(reterr, EBADMSG,
                                                "validate '%s': key 'network[%zu].bridge': only "
                                                "for type veth",
                                                name, i);
                if (n->link && n->type == BERTH_NET_VETH)
                        return berth_error_setf(reterr, EBADMSG,
                                                "validate '%s': key 'network[%zu].link': not for "
                                                "type veth (use bridge)",
                                                name, i);
                if (n->dhcp && n->ipv4)
                        return berth_error_setf(reterr, EBADMSG,
                                                "validate '%s': key 'network[%zu].dhcp': "
                                                "excludes a static ipv4",
                                                name, i);
                if (n->gateway && !n->ipv4)
                        return berth_error_setf(reterr, EBADMSG,
                                                "validate '%s': key 'network[%zu].gateway': "
                                                "needs ipv4",
                                                name, i);
                if (n->gateway6 && !n->ipv6)
                        return berth_error_setf(reterr, EBADMSG,
                                                "validate '%s': key 'network[%zu].gateway6': "
                                                "needs ipv6",
                                                name, i);
                /* The namespace has its loopback already. */
                if (streq_ptr(n->name, "lo"))
                        return berth_error_setf(reterr, EBADMSG,
                                                "validate '%s': key 'network[%zu].name': 'lo' is "
                                                "the container's loopback",
                                                name, i);
                if (!n->name)
                        continue;
                for (size_t j = 0; j < i; j++)
                        if (streq_ptr(c->network[j].name, n->name)) {
                                _cleanup_free_ char *ifname = config_escape(n->name);
                                return berth_error_setf(reterr, EBADMSG,
                                                        "validate '%s': key 'network[%zu].name': "
                                                        "duplicate interface name '%s' "
                                                        "(also network[%zu])",
                                                        name, i, ifname, j);
                        }
        }

        size_t n_publish = strv_length(c->publish);
        _cleanup_free_ BerthPublish *pub = xcalloc(n_publish + 1, sizeof(BerthPublish));
        for (size_t i = 0; i < n_publish; i++) {
                if (config_publish_parse(c->publish[i], &pub[i]) < 0) {
                        _cleanup_free_ char *esc = config_escape(c->publish[i]);
                        return berth_error_setf(reterr, EBADMSG,
                                                "validate '%s': key 'publish[%zu]': invalid port "
                                                "'%s'",
                                                name, i, esc);
                }
                for (size_t j = 0; j < i; j++)
                        if (config_publish_conflict(&pub[i], &pub[j])) {
                                _cleanup_free_ char *text = config_publish_to_string(&pub[i]);
                                return berth_error_setf(reterr, EBADMSG,
                                                        "validate '%s': key 'publish[%zu]': "
                                                        "'%s' clashes with publish[%zu]",
                                                        name, i, text, j);
                        }
        }
        return 0;
}

/* ---- helpers -------------------------------------------------------------------------------- */

char *config_escape(const char *s)
{
        static const size_t max = 64;
        size_t n = 0;
        char *r = xmalloc(max * 4 + 4), *p = r;
        for (; *s && n < max; s++, n++) {
                unsigned char ch = (unsigned char)*s;
                if (ch < ' ' || ch == 0x7f || ch == '\'' || ch == '\\')
                        p += sprintf(p, "\\x%02x", ch);
                else
                        *p++ = (char)ch;
        }
        if (*s)
                p = stpcpy(p, "...");
        *p = 0;
        return r;
}

char *config_format_fixed(uint64_t v, unsigned digits)
{
        uint64_t scale = 1;
        for (unsigned i = 0; i < digits; i++)
                scale *= 10;
        uint64_t whole = v / scale, frac = v % scale;
        if (frac == 0)
                return xasprintf("%" PRIu64, whole);
        while (frac % 10 == 0) {
                frac /= 10;
                digits--;
        }
        return xasprintf("%" PRIu64 ".%0*" PRIu64, whole, (int)digits, frac);
}
