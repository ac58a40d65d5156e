/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <yaml.h>

#include "tap.h"

#include "config/config-internal.h"
#include "config/config.h"
#include "path-util.h"
#include "strv.h"

static const char full_yaml[] =
        "name: web1\n"
        "rootfs: {backend: overlay, path: images/web1}\n"
        "init: {cmd: [/sbin/init, --log-level=info], kind: systemd, halt_signal: SIGRTMIN+3,\n"
        "       reboot_signal: SIGINT, stop_timeout: 12.5}\n"
        "hostname: Web-1\n"
        "privileged: yes\n"
        "idmap: [{container: 0, host: 100000, count: 65536}, {container: 65536, host: 0, count: "
        "1}]\n"
        "limits: {memory: 512M, swap: 1G, cpus: 1.5, cpu_weight: 100, pids: 512, io_weight: 200}\n"
        "network:\n"
        "  - {type: veth, name: eth0, bridge: berth0, link: null, hwaddr: \"02:00:0A:00:03:0a\",\n"
        "     ipv4: 10.0.3.10/24, gateway: 10.0.3.1, ipv6: \"fd42::10/64\", gateway6: \"fd42::1\",\n"
        "     mtu: 1500}\n"
        "  - {type: macvlan, link: enp3s0, dhcp: true}\n"
        "publish: [\"8080:80\", \"127.0.0.1:5353:53/udp\", \"[::1]:8443:443/tcp\"]\n"
        "mounts:\n"
        "  - {source: /srv/data, target: /data, options: [bind, ro, create=dir, optional]}\n"
        "  - {target: /tmp, type: tmpfs, options: [nosuid, nodev, size=10M, mode=1777]}\n"
        "  - {source: /srv/x, target: /x, type: none, options: [rbind, noexec, create=file, ro, "
        "rw]}\n"
        "security:\n"
        "  capabilities: {drop: [sys_module, sys_time], keep: []}\n"
        "  seccomp: /etc/berth/seccomp/strict\n"
        "  apparmor: berth-default\n"
        "  no_new_privs: true\n"
        "console: {ttys: 6, log: false}\n"
        "autostart: {enabled: true, order: -10, delay: 5, group: web}\n"
        "environment: {TZ: UTC, LANG: \"C.UTF-8\", EMPTY: \"\"}\n"
        "hooks: {pre_start: [\"echo 'starting' >&2\"], post_stop: [\"true\", \"false\"]}\n"
        "ephemeral: true\n"
        "snapshots: {schedule: \"30 2 * * *\", keep: 7, expiry: 30d}\n"
        "template: {name: busybox, options: [\"--release\", \"x\"]}\n";

static BerthConfig *parse_ok(const char *yaml, const char *what)
{
        BerthConfig *c = config_new();
        BerthError *err = NULL;
        int r = config_parse_into(c, yaml, strlen(yaml), "t.yaml", &err);
        if (!is_int(r, 0, "parse %s", what))
                printf("#   %s\n", berth_error_message(err, r));
        ok(!err, "no error object after parsing %s", what);
        berth_error_free(err);
        if (r < 0)
                c = config_free(c);
        return c;
}

/* Parses on top of a full config; returns the error message and checks the config is unchanged. */
static char *parse_fail(const char *yaml, size_t len)
{
        _cleanup_(config_freep) BerthConfig *c = config_new();
        BerthError *err = NULL;
        if (config_parse_into(c, full_yaml, strlen(full_yaml), "t.yaml", NULL) < 0)
                return xstrdup("(base config did not parse)");
        _cleanup_free_ char *before = config_to_yaml(c);
        int r = config_parse_into(c, yaml, len, "t.yaml", &err);
        _cleanup_free_ char *after = config_to_yaml(c);
        if (r != -EBADMSG || !err || err->code != EBADMSG) {
                berth_error_free(err);
                return xasprintf("(unexpected result %d)", r);
        }
        if (!streq(before, after)) {
                berth_error_free(err);
                return xstrdup("(config changed on error)");
        }
        char *m = TAKE_PTR(err->message);
        berth_error_free(err);
        return m;
}

#define check_error(yaml, want)                                                                    \
        ({                                                                                         \
                _cleanup_free_ char *_m = parse_fail(yaml, strlen(yaml));                          \
                is_str(_m, want, "error: %s", want);                                               \
        })

static void test_defaults(void)
{
        _cleanup_(config_freep) BerthConfig *c = config_new();
        ok(c->name == NULL, "default name unset");
        ok(c->rootfs_backend == BERTH_BACKEND_DIR, "default backend");
        is_str(c->rootfs_path, "rootfs", "default rootfs path");
        is_int(strv_length(c->init_cmd), 1, "default init cmd has one entry");
        is_str(c->init_cmd[0], "/sbin/init", "default init cmd");
        is_int(c->init_kind, INIT_KIND_AUTO, "default init kind");
        is_int(c->halt_signal, 0, "default halt signal from the table");
        is_int(c->reboot_signal, 0, "default reboot signal from the table");
        is_int(c->stop_timeout_usec, 30000000, "default stop timeout 30 s");
        ok(!c->hostname, "default hostname unset");
        ok(!c->privileged, "default unprivileged");
        ok(!c->idmap && c->n_idmap == 0, "default no idmap");
        BerthLimits zero = {};
        ok(memcmp(&c->limits, &zero, sizeof(zero)) == 0, "default no limits");
        ok(c->n_network == 0 && c->n_mounts == 0, "default no network, no mounts");
        ok(!c->cap_drop && !c->cap_keep, "default no capability lists");
        is_str(c->seccomp, "default", "default seccomp");
        ok(!c->apparmor, "default apparmor unset");
        ok(!c->no_new_privs, "default no_new_privs false");
        is_int(c->console_ttys, 4, "default 4 ttys");
        ok(c->console_log, "default console log on");
        ok(!c->autostart && c->autostart_order == 0 && c->autostart_delay_usec == 0 &&
                   !c->autostart_group,
           "default no autostart");
        ok(!c->environment && !c->hooks_pre_start && !c->hooks_post_stop, "default no env/hooks");
        ok(!c->template_name && !c->template_options, "default no template");
        ok(config_validate(c, NULL) == 0, "defaults validate");
        ok(config_free(NULL) == NULL, "config_free(NULL)");
}

static void test_enums(void)
{
        for (int i = 0; i < _INIT_KIND_MAX; i++) {
                const char *s = init_kind_to_string(i);
                ok(s != NULL, "init kind %d has a name", i);
                is_int(init_kind_from_string(s), i, "init kind '%s' round trips", s);
        }
        is_str(init_kind_to_string(INIT_KIND_SYSTEMD), "systemd", "systemd name");
        is_str(init_kind_to_string(INIT_KIND_OPENRC), "openrc", "openrc name");
        ok(init_kind_to_string(_INIT_KIND_MAX) == NULL, "init kind MAX has no name");
        ok(init_kind_to_string(_INIT_KIND_INVALID) == NULL, "init kind INVALID has no name");
        is_int(init_kind_from_string("junk"), _INIT_KIND_INVALID, "init kind junk");
        is_int(init_kind_from_string(""), _INIT_KIND_INVALID, "init kind empty");
        is_int(init_kind_from_string("Systemd"), _INIT_KIND_INVALID, "init kind is case sensitive");
        is_int(init_kind_from_string(NULL), _INIT_KIND_INVALID, "init kind NULL");

        for (int i = 0; i < _BERTH_NET_TYPE_MAX; i++) {
                const char *s = berth_net_type_to_string(i);
                ok(s != NULL, "net type %d has a name", i);
                is_int(berth_net_type_from_string(s), i, "net type '%s' round trips", s);
        }
        is_str(berth_net_type_to_string(BERTH_NET_VETH), "veth", "veth name");
        is_str(berth_net_type_to_string(BERTH_NET_PHYS), "phys", "phys name");
        ok(berth_net_type_to_string(_BERTH_NET_TYPE_MAX) == NULL, "net type MAX has no name");
        ok(berth_net_type_to_string(_BERTH_NET_TYPE_INVALID) == NULL, "net type INVALID");
        is_int(berth_net_type_from_string("bridge"), _BERTH_NET_TYPE_INVALID, "net type junk");
        is_int(berth_net_type_from_string(NULL), _BERTH_NET_TYPE_INVALID, "net type NULL");

        for (int i = 0; i < _BERTH_BACKEND_MAX; i++) {
                const char *s = berth_backend_to_string(i);
                ok(s != NULL, "backend %d has a name", i);
                is_int(berth_backend_from_string(s), i, "backend '%s' round trips", s);
        }
        is_str(berth_backend_to_string(BERTH_BACKEND_DIR), "dir", "dir name");
        is_str(berth_backend_to_string(BERTH_BACKEND_OVERLAY), "overlay", "overlay name");
        is_str(berth_backend_to_string(BERTH_BACKEND_BTRFS), "btrfs", "btrfs name");
        ok(berth_backend_to_string(_BERTH_BACKEND_MAX) == NULL, "backend MAX has no name");
        ok(berth_backend_to_string(_BERTH_BACKEND_INVALID) == NULL, "backend INVALID");
        is_int(berth_backend_from_string("zfs"), _BERTH_BACKEND_INVALID, "backend junk");
        is_int(berth_backend_from_string("Dir"), _BERTH_BACKEND_INVALID, "backend case");
        is_int(berth_backend_from_string(NULL), _BERTH_BACKEND_INVALID, "backend NULL");
}

/* 2026-03-04 (a Wednesday) 10:17:05 UTC; TZ is UTC for these. */
#define WED ((uint64_t)1772619425 * 1000000ULL)
#define HOUR (3600ULL * 1000000ULL)
#define DAY (24 * HOUR)

static void check_last(const char *sched, uint64_t now, uint64_t want, const char *what)
{
        uint64_t got = 0;
        is_int(config_schedule_last(sched, now, &got), 0, "schedule '%s' parses (%s)", sched,
               what);
        ok(got == want, "schedule '%s': %s (got %llu, want %llu)", sched, what,
           (unsigned long long)got, (unsigned long long)want);
}

static void test_snapshots(void)
{
        setenv("TZ", "UTC", 1);
        tzset();
        uint64_t midnight = WED - (10 * HOUR + 17 * 60 * 1000000ULL + 5 * 1000000ULL);
        check_last("hourly", WED, midnight + 10 * HOUR, "the start of this hour");
        check_last("daily", WED, midnight, "today's midnight");
        check_last("weekly", WED, midnight - 2 * DAY, "Monday's midnight");
        check_last("weekly", midnight - 2 * DAY, midnight - 2 * DAY, "exactly on Monday");
        check_last("weekly", midnight - 2 * DAY - 1, midnight - 9 * DAY, "just before Monday");
        check_last("30 2 * * *", WED, midnight + 2 * HOUR + 30 * 60 * 1000000ULL,
                   "earlier today");
        check_last("30 12 * * *", WED, midnight - DAY + 12 * HOUR + 30 * 60 * 1000000ULL,
                   "yesterday");
        check_last("0  0 * * *", WED, midnight, "extra blanks");
        check_last("hourly", midnight + 10 * HOUR, midnight + 10 * HOUR, "exactly on the hour");
        static const char *const bad[] = {"", "monthly", "60 1 * * *", "1 24 * * *",
                                          "1 1 1 * *", "1 1 * * * *", "* 1 * * *", "-1 1 * * *",
                                          "1 1 * *", "Daily", "001 1 * * *"};
        uint64_t t;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                is_int(config_schedule_last(bad[i], WED, &t), -EINVAL, "schedule '%s' refused",
                       bad[i]);

        static const struct {
                const char *s;
                uint64_t sec;
        } spans[] = {{"30d", 30 * 86400}, {"12h", 43200}, {"2w", 14 * 86400},
                     {"90m", 5400},       {"45s", 45},    {"3600", 3600}};
        for (size_t i = 0; i < ELEMENTSOF(spans); i++) {
                uint64_t u = 0;
                is_int(config_parse_span(spans[i].s, &u), 0, "span '%s' parses", spans[i].s);
                ok(u == spans[i].sec * 1000000ULL, "span '%s' value", spans[i].s);
        }
        static const char *const bad_spans[] = {"", "d", "1.5d", "-1d", "1y", "10 d", "99999999999999d"};
        for (size_t i = 0; i < ELEMENTSOF(bad_spans); i++) {
                uint64_t u;
                ok(config_parse_span(bad_spans[i], &u) < 0, "span '%s' refused", bad_spans[i]);
        }
        _cleanup_free_ char *f1 = config_format_span(30 * 86400 * 1000000ULL);
        is_str(f1, "30d", "span 30d formats back");
        _cleanup_free_ char *f2 = config_format_span(14 * 86400 * 1000000ULL);
        is_str(f2, "2w", "span of 14 days formats as weeks");
        _cleanup_free_ char *f3 = config_format_span(5400 * 1000000ULL);
        is_str(f3, "90m", "span 90m formats back");

        _cleanup_(config_freep) BerthConfig *c =
                parse_ok("snapshots: {schedule: weekly, keep: 3, expiry: 2w}\nephemeral: yes\n"
                         "rootfs: {backend: btrfs}\n",
                         "snapshots");
        if (c) {
                is_str(c->snapshot_schedule, "weekly", "snapshots.schedule");
                ok(c->snapshot_keep == 3, "snapshots.keep");
                ok(c->snapshot_expiry_usec == 14 * 86400 * 1000000ULL, "snapshots.expiry");
                ok(c->ephemeral, "ephemeral");
                ok(c->rootfs_backend == BERTH_BACKEND_BTRFS, "rootfs.backend btrfs");
        }
}

static void test_names(void)
{
        char n63[64], n64[65];
        memset(n63, 'a', 63);
        n63[63] = 0;
        memset(n64, 'a', 64);
        n64[64] = 0;
        static const char *const good[] = {"a", "0", "web1", "web-1", "1-a", "a-", "a--b"};
        static const char *const bad[] = {"",    "-a",  "A",        "web_1", "web.1",
                                          "a/b", "a b", "\xc3\xa9", "a\tb"};
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                ok(config_name_is_valid(good[i]), "name '%s' is valid", good[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                ok(!config_name_is_valid(bad[i]), "name '%s' is invalid", bad[i]);
        ok(config_name_is_valid(n63), "63-character name is valid");
        ok(!config_name_is_valid(n64), "64-character name is invalid");
        ok(!config_name_is_valid(NULL), "NULL name is invalid");

        ok(config_hostname_is_valid("Web-1"), "hostname Web-1");
        ok(config_hostname_is_valid(n63), "63-character hostname");
        ok(!config_hostname_is_valid(n64), "64-character hostname");
        ok(!config_hostname_is_valid("-web"), "hostname starting with -");
        ok(!config_hostname_is_valid("web-"), "hostname ending with -");
        ok(!config_hostname_is_valid("a.b"), "hostname with a dot");
        ok(!config_hostname_is_valid(""), "empty hostname");
}

static void test_parse_full(void)
{
        _cleanup_(config_freep) BerthConfig *c = parse_ok(full_yaml, "the full config");
        if (!c)
                return;
        is_str(c->name, "web1", "name");
        ok(c->rootfs_backend == BERTH_BACKEND_OVERLAY, "rootfs.backend");
        is_str(c->rootfs_path, "images/web1", "rootfs.path");
        is_int(strv_length(c->init_cmd), 2, "init.cmd length");
        is_str(c->init_cmd[1], "--log-level=info", "init.cmd[1]");
        is_int(c->init_kind, INIT_KIND_SYSTEMD, "init.kind");
        is_int(c->halt_signal, SIGRTMIN + 3, "init.halt_signal");
        is_int(c->reboot_signal, SIGINT, "init.reboot_signal");
        is_int(c->stop_timeout_usec, 12500000, "init.stop_timeout 12.5 s");
        is_str(c->hostname, "Web-1", "hostname");
        ok(c->privileged, "privileged: yes");
        is_int(c->n_idmap, 2, "two idmap entries");
        ok(c->idmap[0].container == 0 && c->idmap[0].host == 100000 && c->idmap[0].count == 65536,
           "idmap[0]");
        ok(c->idmap[1].container == 65536 && c->idmap[1].host == 0 && c->idmap[1].count == 1,
           "idmap[1]");
        is_int(c->limits.memory, 512ULL << 20, "limits.memory");
        is_int(c->limits.swap, 1ULL << 30, "limits.swap");
        is_int(c->limits.cpus_milli, 1500, "limits.cpus");
        is_int(c->limits.cpu_weight, 100, "limits.cpu_weight");
        is_int(c->limits.pids, 512, "limits.pids");
        is_int(c->limits.io_weight, 200, "limits.io_weight");

        is_int(c->n_network, 2, "two interfaces");
        const BerthNet *n = &c->network[0];
        is_int(n->type, BERTH_NET_VETH, "network[0].type");
        is_str(n->name, "eth0", "network[0].name");
        is_str(n->bridge, "berth0", "network[0].bridge");
        ok(!n->link, "network[0].link null");
        is_str(n->hwaddr, "02:00:0A:00:03:0a", "network[0].hwaddr");
        is_str(n->ipv4, "10.0.3.10/24", "network[0].ipv4");
        is_str(n->gateway, "10.0.3.1", "network[0].gateway");
        is_str(n->ipv6, "fd42::10/64", "network[0].ipv6");
        is_str(n->gateway6, "fd42::1", "network[0].gateway6");
        ok(!n->dhcp, "network[0].dhcp unset");
        is_int(n->mtu, 1500, "network[0].mtu");
        n = &c->network[1];
        is_int(n->type, BERTH_NET_MACVLAN, "network[1].type");
        is_str(n->link, "enp3s0", "network[1].link");
        ok(n->dhcp, "network[1].dhcp");
        ok(!n->name && !n->bridge && !n->hwaddr && !n->ipv4 && !n->gateway && !n->ipv6 &&
                   !n->gateway6 && n->mtu == 0,
           "network[1] unset fields");
        is_int(strv_length(c->publish), 3, "publish");
        is_str(c->publish[1], "127.0.0.1:5353:53/udp", "publish[1] kept as written");

        is_int(c->n_mounts, 3, "three mounts");
        const BerthMount *m = &c->mounts[0];
        is_str(m->source, "/srv/data", "mounts[0].source");
        is_str(m->target, "/data", "mounts[0].target");
        ok(!m->type, "mounts[0].type NULL for bind");
        is_int(strv_length(m->options), 4, "mounts[0].options kept as written");
        is_int(m->flags, MS_BIND | MS_RDONLY, "mounts[0] flags bind|ro");
        ok(m->bind && !m->recursive && m->readonly && m->optional, "mounts[0] booleans");
        is_int(m->create, 1, "mounts[0] create=dir");
        ok(!m->data, "mounts[0] no data");
        m = &c->mounts[1];
        ok(!m->source, "mounts[1].source unset");
        is_str(m->type, "tmpfs", "mounts[1].type");
        is_int(m->flags, MS_NOSUID | MS_NODEV, "mounts[1] flags");
        is_str(m->data, "size=10M,mode=1777", "mounts[1] data");
        ok(!m->bind && !m->readonly && !m->optional && m->create == 0, "mounts[1] booleans");
        m = &c->mounts[2];
        ok(!m->type, "mounts[2] type none dropped for a bind mount");
        is_int(m->flags, MS_BIND | MS_REC | MS_NOEXEC, "mounts[2] rbind, noexec, rw after ro");
        ok(m->bind && m->recursive && !m->readonly, "mounts[2] booleans");
        is_int(m->create, 2, "mounts[2] create=file");

        is_int(strv_length(c->cap_drop), 2, "cap drop");
        is_str(c->cap_drop[1], "sys_time", "cap drop[1]");
        ok(!c->cap_keep, "empty keep list is unset");
        is_str(c->seccomp, "/etc/berth/seccomp/strict", "seccomp path");
        is_str(c->apparmor, "berth-default", "apparmor");
        ok(c->no_new_privs, "no_new_privs");
        is_int(c->console_ttys, 6, "console.ttys");
        ok(!c->console_log, "console.log");
        ok(c->autostart, "autostart.enabled");
        is_int(c->autostart_order, -10, "autostart.order");
        is_int(c->autostart_delay_usec, 5000000, "autostart.delay");
        is_str(c->autostart_group, "web", "autostart.group");
        is_int(strv_length(c->environment), 3, "environment");
        is_str(c->environment[0], "TZ=UTC", "environment[0]");
        is_str(c->environment[1], "LANG=C.UTF-8", "environment[1]");
        is_str(c->environment[2], "EMPTY=", "environment[2]");
        is_str(c->hooks_pre_start[0], "echo 'starting' >&2", "hooks.pre_start");
        is_int(strv_length(c->hooks_post_stop), 2, "hooks.post_stop");
        is_str(c->template_name, "busybox", "template.name");
        is_str(c->template_options[0], "--release", "template.options");
        ok(config_validate(c, NULL) == 0, "full config validates");
}

static void test_values(void)
{
        static const struct {
                const char *yaml;
                uint64_t usec;
        } durations[] = {
                {"init: {stop_timeout: 0}", 0},
                {"init: {stop_timeout: 86400}", 86400000000ULL},
                {"init: {stop_timeout: 0.000001}", 1},
                {"init: {stop_timeout: 500ms}", 500000},
                {"init: {stop_timeout: 2m}", 120000000},
        };
        for (size_t i = 0; i < ELEMENTSOF(durations); i++) {
                _cleanup_(config_freep) BerthConfig *c = parse_ok(durations[i].yaml, "duration");
                if (c)
                        is_int(c->stop_timeout_usec, durations[i].usec, "%s", durations[i].yaml);
        }

        _cleanup_(config_freep) BerthConfig *c =
                parse_ok("limits: {memory: 1M, cpus: 4096, pids: 4194304, cpu_weight: 10000}\n"
                         "init: {halt_signal: 10, reboot_signal: RTMIN}\n"
                         "privileged: FALSE\nconsole: {ttys: 0, log: No}\n"
                         "autostart: {order: -9223372036854775808}\n",
                         "edge values");
        if (c) {
                is_int(c->limits.memory, 1 << 20, "memory 1M is the minimum");
                is_int(c->limits.cpus_milli, 4096000, "cpus 4096 is the maximum");
                is_int(c->limits.pids, 4194304, "pids maximum");
                is_int(c->limits.cpu_weight, 10000, "weight maximum");
                is_int(c->halt_signal, 10, "numeric signal");
                is_int(c->reboot_signal, SIGRTMIN, "RTMIN");
                ok(!c->privileged, "FALSE");
                is_int(c->console_ttys, 0, "0 ttys");
                ok(!c->console_log, "No");
                is_int(c->autostart_order, INT64_MIN, "order INT64_MIN");
        }

        /* Null unsets what the file underneath set; the empty document changes nothing. */
        _cleanup_(config_freep) BerthConfig *d = parse_ok(full_yaml, "full");
        if (d) {
                static const char overlay[] = "limits: {memory: ~, swap: null}\nname: NULL\n"
                                              "hostname:\ninit: {halt_signal: null}\n";
                is_int(config_parse_into(d, overlay, strlen(overlay), "o.yaml", NULL), 0,
                       "overlay with nulls");
                ok(d->limits.memory == 0 && d->limits.swap == 0, "null unsets sizes");
                is_int(d->limits.pids, 512, "keys not present are kept");
                ok(!d->name && !d->hostname, "null unsets strings");
                is_int(d->halt_signal, 0, "null unsets a signal");
                is_int(d->reboot_signal, SIGINT, "sibling key kept");
                static const char lists[] = "network: [{type: none}]\nmounts: []\n";
                is_int(config_parse_into(d, lists, strlen(lists), "o.yaml", NULL), 0,
                       "overlay with lists");
                ok(d->n_network == 1 && d->network[0].type == BERTH_NET_NONE,
                   "lists are replaced whole");
                ok(d->n_mounts == 0 && !d->mounts, "an empty list empties");
                is_int(config_parse_into(d, "", 0, "e.yaml", NULL), 0, "empty text");
                is_int(config_parse_into(d, "---\n", 4, "e.yaml", NULL), 0, "empty document");
                is_int(config_parse_into(d, "# just a comment\n", 17, "e.yaml", NULL), 0,
                       "comment only");
                is_int(d->n_network, 1, "an empty document changes nothing");
                static const char none[] = "network: none\n";
                is_int(config_parse_into(d, none, strlen(none), "n.yaml", NULL), 0,
                       "network: none");
                ok(d->n_network == 1 && d->network[0].type == BERTH_NET_NONE && !d->network[0].name,
                   "network: none is [{type: none}]");
                static const char quoted[] = "name: \"null\"\n";
                is_int(config_parse_into(d, quoted, strlen(quoted), "q.yaml", NULL), 0,
                       "quoted null");
                is_str(d->name, "null", "a quoted null is a string");
        }
}

static void test_errors(void)
{
        check_error("foo: 1\n", "t.yaml:1:1: unknown key 'foo'");
        check_error("limits:\n  memory: 1G\n  foo: 1\n", "t.yaml:3:3: unknown key 'limits.foo'");
        check_error("security: {capabilities: {add: [x]}}\n",
                    "t.yaml:1:27: unknown key 'security.capabilities.add'");
        check_error("network: [{type: veth, nam: x}]\n",
                    "t.yaml:1:24: unknown key 'network[0].nam'");
        check_error("limits.memory: 1G\n", "t.yaml:1:1: unknown key 'limits.memory'");
        check_error("idmap[]: 1\n", "t.yaml:1:1: unknown key 'idmap[]'");
        check_error("limits: {memory: abc}\n",
                    "t.yaml:1:18: key 'limits.memory': invalid size 'abc'");
        check_error(
                "limits: {memory: 1K}\n",
                "t.yaml:1:18: key 'limits.memory': size '1K' too small (minimum 1048576 bytes)");
        check_error("limits: {swap: 0}\n",
                    "t.yaml:1:16: key 'limits.swap': size '0' too small (minimum 1 bytes)");
        check_error("limits: {memory: 99999999999T}\n",
                    "t.yaml:1:18: key 'limits.memory': size '99999999999T' too large");
        check_error("limits: {cpu_weight: 0}\n",
                    "t.yaml:1:22: key 'limits.cpu_weight': 0 out of range 1..10000");
        check_error("limits:\n  io_weight: 10001\n",
                    "t.yaml:2:14: key 'limits.io_weight': 10001 out of range 1..10000");
        check_error("limits: {pids: 4194305}\n",
                    "t.yaml:1:16: key 'limits.pids': 4194305 out of range 1..4194304");
        check_error("limits: {pids: 99999999999999999999999}\n",
                    "t.yaml:1:16: key 'limits.pids': 99999999999999999999999 out of range "
                    "1..4194304");
        check_error("limits: {pids: -1}\n", "t.yaml:1:16: key 'limits.pids': invalid number '-1'");
        check_error("limits: {cpus: 0}\n",
                    "t.yaml:1:16: key 'limits.cpus': 0 out of range 0.001..4096");
        check_error("limits: {cpus: 4096.001}\n",
                    "t.yaml:1:16: key 'limits.cpus': 4096.001 out of range 0.001..4096");
        check_error("limits: {cpus: 1.2345}\n",
                    "t.yaml:1:16: key 'limits.cpus': invalid number '1.2345'");
        check_error("limits: {cpus: [1]}\n",
                    "t.yaml:1:16: key 'limits.cpus': expected a decimal value, got a list");
        check_error("limits: 5\n", "t.yaml:1:9: key 'limits': expected a mapping, got a scalar");
        check_error("limits:\n", "t.yaml:1:8: key 'limits': expected a mapping, got null");
        check_error("init: {cmd: /sbin/init}\n",
                    "t.yaml:1:13: key 'init.cmd': expected a list, got a scalar");
        check_error("init: {cmd: []}\n", "t.yaml:1:13: key 'init.cmd': expected a non-empty list");
        check_error("init: {cmd: [sbin/init]}\n",
                    "t.yaml:1:14: key 'init.cmd[0]': command 'sbin/init' is not an absolute path");
        check_error("init: {cmd: [/sbin/init, [x]]}\n",
                    "t.yaml:1:26: key 'init.cmd[1]': expected a string, got a list");
        check_error("init: {cmd: [/sbin/init, null]}\n",
                    "t.yaml:1:26: key 'init.cmd[1]': expected a string, got null");
        check_error("init: {kind: upstart}\n",
                    "t.yaml:1:14: key 'init.kind': invalid init kind 'upstart' (auto, systemd, "
                    "sysvinit, busybox, openrc or other)");
        check_error("init: {halt_signal: SIGFOO}\n",
                    "t.yaml:1:21: key 'init.halt_signal': invalid signal 'SIGFOO'");
        check_error("init: {reboot_signal: 0}\n",
                    "t.yaml:1:23: key 'init.reboot_signal': invalid signal '0'");
        check_error("init: {stop_timeout: 86401}\n",
                    "t.yaml:1:22: key 'init.stop_timeout': 86401 out of range 0..86400 seconds");
        check_error("init: {stop_timeout: abc}\n",
                    "t.yaml:1:22: key 'init.stop_timeout': invalid duration 'abc'");
        check_error("init: {stop_timeout: 1.0000001}\n",
                    "t.yaml:1:22: key 'init.stop_timeout': invalid duration '1.0000001'");
        check_error("init: {stop_timeout: null}\n",
                    "t.yaml:1:22: key 'init.stop_timeout': expected a duration value, got null");
        check_error("name: Web1\n", "t.yaml:1:7: key 'name': invalid name 'Web1'");
        check_error("name: {a: 1}\n",
                    "t.yaml:1:7: key 'name': expected a string value, got a mapping");
        check_error("name: \"a\\nb\"\n", "t.yaml:1:7: key 'name': invalid name 'a\\x0ab'");
        check_error("hostname: -web\n", "t.yaml:1:11: key 'hostname': invalid hostname '-web'");
        check_error(
                "privileged: maybe\n",
                "t.yaml:1:13: key 'privileged': invalid boolean 'maybe' (true, false, yes or no)");
        check_error("rootfs: {backend: zfs}\n",
                    "t.yaml:1:19: key 'rootfs.backend': invalid backend 'zfs' (dir, overlay or btrfs)");
        check_error("snapshots: {schedule: monthly}\n",
                    "t.yaml:1:23: key 'snapshots.schedule': invalid schedule 'monthly'");
        check_error("snapshots: {keep: 0}\n",
                    "t.yaml:1:19: key 'snapshots.keep': 0 out of range 1..100000");
        check_error("snapshots: {expiry: 30y}\n",
                    "t.yaml:1:21: key 'snapshots.expiry': invalid time span '30y' (a number "
                    "with s, m, h, d or w)");
        check_error("ephemeral: maybe\n",
                    "t.yaml:1:12: key 'ephemeral': invalid boolean 'maybe' (true, false, yes or "
                    "no)");
        check_error("rootfs: {path: ../x}\n",
                    "t.yaml:1:16: key 'rootfs.path': invalid path '../x'");
        check_error("rootfs: {backend: null}\n",
                    "t.yaml:1:19: key 'rootfs.backend': expected an enum value, got null");

        check_error("idmap: {container: 0}\n",
                    "t.yaml:1:8: key 'idmap': expected a list, got a mapping");
        check_error("idmap: [5]\n", "t.yaml:1:9: key 'idmap[0]': expected a mapping, got a scalar");
        check_error("idmap: [{container: 0, host: 1}]\n",
                    "t.yaml:1:9: key 'idmap[0]': missing key 'count'");
        check_error("idmap: [{container: 0, host: 1, count: 0}]\n",
                    "t.yaml:1:40: key 'idmap[0].count': 0 out of range 1..4294967295");
        check_error("idmap: [{container: 4294967296, host: 1, count: 1}]\n",
                    "t.yaml:1:21: key 'idmap[0].container': 4294967296 out of range 0..4294967295");
        check_error("idmap: [{container: 0, host: 4294967295, count: 2}]\n",
                    "t.yaml:1:9: key 'idmap[0]': host range 4294967295+2 overflows 32 bits");
        check_error("idmap: [{container: 4294967295, host: 0, count: 2}]\n",
                    "t.yaml:1:9: key 'idmap[0]': container range 4294967295+2 overflows 32 bits");

        check_error("network: [{name: eth0}]\n",
                    "t.yaml:1:11: key 'network[0]': missing key 'type'");
        check_error("network: [{type: bridge}]\n",
                    "t.yaml:1:18: key 'network[0].type': invalid network type 'bridge' (none, "
                    "empty, veth, macvlan or phys)");
        check_error(
                "network: [{type: veth, name: eth0123456789abc}]\n",
                "t.yaml:1:30: key 'network[0].name': invalid interface name 'eth0123456789abc'");
        check_error("network: [{type: veth, bridge: \"a b\"}]\n",
                    "t.yaml:1:32: key 'network[0].bridge': invalid interface name 'a b'");
        check_error(
                "network: [{type: veth, hwaddr: \"02:00:00:00:00\"}]\n",
                "t.yaml:1:32: key 'network[0].hwaddr': invalid hardware address '02:00:00:00:00'");
        check_error(
                "network: [{type: veth, ipv4: 10.0.3.300/24}]\n",
                "t.yaml:1:30: key 'network[0].ipv4': invalid IPv4 address/prefix '10.0.3.300/24'");
        check_error("network: [{type: veth, ipv4: 10.0.3.3}]\n",
                    "t.yaml:1:30: key 'network[0].ipv4': invalid IPv4 address/prefix '10.0.3.3'");
        check_error(
                "network: [{type: veth, ipv4: 10.0.3.3/33}]\n",
                "t.yaml:1:30: key 'network[0].ipv4': invalid IPv4 address/prefix '10.0.3.3/33'");
        check_error("network: [{type: veth, gateway: 10.0.3}]\n",
                    "t.yaml:1:33: key 'network[0].gateway': invalid IPv4 address '10.0.3'");
        check_error("network: [{type: veth, ipv6: \"fd42::1\"}]\n",
                    "t.yaml:1:30: key 'network[0].ipv6': invalid IPv6 address/prefix 'fd42::1'");
        check_error("network: [{type: veth, ipv6: 10.0.3.1/24}]\n",
                    "t.yaml:1:30: key 'network[0].ipv6': invalid IPv6 address/prefix "
                    "'10.0.3.1/24'");
        check_error("network: [{type: veth, ipv6: \"fd42::1/129\"}]\n",
                    "t.yaml:1:30: key 'network[0].ipv6': invalid IPv6 address/prefix "
                    "'fd42::1/129'");
        check_error("network: [{type: veth, gateway6: 10.0.3.1}]\n",
                    "t.yaml:1:34: key 'network[0].gateway6': invalid IPv6 address '10.0.3.1'");
        check_error("network: [{type: veth, dhcp: maybe}]\n",
                    "t.yaml:1:30: key 'network[0].dhcp': invalid boolean 'maybe' (true, false, "
                    "yes or no)");
        check_error("network: all\n",
                    "t.yaml:1:10: key 'network': expected a list, got a scalar");
        check_error("publish: \"8080\"\n", "t.yaml:1:10: key 'publish': expected a list, got a "
                                            "scalar");
        check_error("publish: [\"8080\"]\n",
                    "t.yaml:1:11: key 'publish[0]': invalid port "
                    "([ADDRESS:]HOSTPORT:PORT[/tcp|/udp]) '8080'");
        check_error("publish: [\"80:80\", \"0:80\"]\n",
                    "t.yaml:1:20: key 'publish[1]': invalid port "
                    "([ADDRESS:]HOSTPORT:PORT[/tcp|/udp]) '0:80'");
        check_error("network: [{type: veth, mtu: 67}]\n",
                    "t.yaml:1:29: key 'network[0].mtu': 67 out of range 68..65535");
        check_error("network:\n- {type: veth}\n- {type: veth, mtu: 65536}\n",
                    "t.yaml:3:21: key 'network[1].mtu': 65536 out of range 68..65535");

        check_error("mounts: [{source: /a, options: [bind]}]\n",
                    "t.yaml:1:10: key 'mounts[0]': missing key 'target'");
        check_error("mounts: [{source: /a, target: data, options: [bind]}]\n",
                    "t.yaml:1:31: key 'mounts[0].target': invalid target (not an absolute "
                    "normalised path) 'data'");
        check_error("mounts: [{source: /a, target: /x/../y, options: [bind]}]\n",
                    "t.yaml:1:31: key 'mounts[0].target': invalid target (not an absolute "
                    "normalised path) '/x/../y'");
        check_error("mounts: [{source: a, target: /a, options: [bind]}]\n",
                    "t.yaml:1:10: key 'mounts[0]': a bind mount needs an absolute source");
        check_error("mounts: [{target: /a, options: [rbind]}]\n",
                    "t.yaml:1:10: key 'mounts[0]': a bind mount needs an absolute source");
        check_error("mounts: [{target: /a}]\n",
                    "t.yaml:1:10: key 'mounts[0]': a mount needs a type or the bind option");
        check_error("mounts: [{source: /a, target: /a, type: tmpfs, options: [bind]}]\n",
                    "t.yaml:1:10: key 'mounts[0]': a bind mount takes no type, got 'tmpfs'");
        check_error("mounts: [{source: /a, target: /a, options: [bind, size=1M]}]\n",
                    "t.yaml:1:44: key 'mounts[0].options': unknown option 'size=1M' for a bind "
                    "mount");
        check_error("mounts: [{source: /a, target: /a, options: [bind, frobnicate]}]\n",
                    "t.yaml:1:44: key 'mounts[0].options': unknown option 'frobnicate' for a "
                    "bind mount");
        check_error("mounts: [{target: /a, type: tmpfs, options: [create=link]}]\n",
                    "t.yaml:1:45: key 'mounts[0].options': invalid option 'create=link' "
                    "(create=dir or create=file)");
        check_error("mounts: [{target: /a, type: tmpfs, options: [\"size=1M,mode=700\"]}]\n",
                    "t.yaml:1:46: key 'mounts[0].options[0]': invalid mount option "
                    "'size=1M,mode=700'");
        check_error("mounts: [{target: /a, type: \"tmp fs\"}]\n",
                    "t.yaml:1:29: key 'mounts[0].type': invalid filesystem type 'tmp fs'");

        check_error("security: {capabilities: {drop: [CAP_SYS_ADMIN]}}\n",
                    "t.yaml:1:34: key 'security.capabilities.drop[0]': invalid capability name "
                    "'CAP_SYS_ADMIN'");
        check_error("security: {seccomp: profiles/x}\n",
                    "t.yaml:1:21: key 'security.seccomp': invalid seccomp profile 'profiles/x'");
        check_error("security: {apparmor: \"bad profile\"}\n",
                    "t.yaml:1:22: key 'security.apparmor': invalid AppArmor profile 'bad profile'");
        check_error("console: {ttys: 65}\n",
                    "t.yaml:1:17: key 'console.ttys': 65 out of range 0..64");
        check_error("console: {ttys: null}\n",
                    "t.yaml:1:17: key 'console.ttys': expected a uint value, got null");
        check_error("autostart: {order: 9223372036854775808}\n",
                    "t.yaml:1:20: key 'autostart.order': 9223372036854775808 out of range");
        check_error("autostart: {order: ten}\n",
                    "t.yaml:1:20: key 'autostart.order': invalid number 'ten'");
        check_error("autostart: {group: \"a/b\"}\n",
                    "t.yaml:1:20: key 'autostart.group': invalid group 'a/b'");
        check_error("environment: [TZ=UTC]\n",
                    "t.yaml:1:14: key 'environment': expected a mapping, got a list");
        check_error("environment: {1TZ: UTC}\n",
                    "t.yaml:1:15: key 'environment.1TZ': invalid variable name '1TZ'");
        check_error("environment: {TZ: [UTC]}\n",
                    "t.yaml:1:19: key 'environment.TZ': expected a string, got a list");
        check_error("environment: {TZ: }\n",
                    "t.yaml:1:19: key 'environment.TZ': expected a string, got null");
        check_error("hooks: {pre_start: [\"\"]}\n",
                    "t.yaml:1:21: key 'hooks.pre_start[0]': invalid hook ''");
        check_error("template: {name: ../x}\n",
                    "t.yaml:1:18: key 'template.name': invalid template name '../x'");

        /* YAML structure */
        check_error("name: [web\n", "t.yaml:2:1: invalid YAML: did not find expected ',' or ']'");
        check_error("a: b: c\n",
                    "t.yaml:1:5: invalid YAML: mapping values are not allowed in this context");
        check_error("name: \"\xff\"\n", "t.yaml:1:8: invalid YAML: invalid leading UTF-8 octet");
        check_error("name: web1\n---\nname: web2\n",
                    "t.yaml:2:1: multiple documents in one config file");
        check_error("limits: &l {memory: 1G}\n", "t.yaml:1:9: anchors are not supported");
        check_error("name: *x\n", "t.yaml:1:7: aliases are not supported");
        check_error("name: !!str web1\n", "t.yaml:1:7: tags are not supported");
        check_error("web1\n", "t.yaml:1:1: expected a mapping at the top level, got a scalar");
        check_error("- a\n", "t.yaml:1:1: expected a mapping at the top level, got a list");
        check_error("name: a\nname: b\n", "t.yaml:2:1: duplicate key 'name'");
        check_error("limits: {memory: 1G, memory: 2G}\n",
                    "t.yaml:1:22: duplicate key 'limits.memory'");
        check_error("network: [{type: veth}, {type: veth, type: none}]\n",
                    "t.yaml:1:38: duplicate key 'network[1].type'");
        check_error("? [a]\n: b\n", "t.yaml:1:3: keys must be scalars, not a list");
        check_error("name: \"a\\0b\"\n", "t.yaml:1:7: NUL byte in a string");

        /* Nesting: 16 levels are parsed (and the key is then unknown); 17 are refused. */
        _cleanup_free_ char *deep16 = xstrdup("x: "), *deep17 = NULL;
        for (int i = 0; i < 15; i++) {
                char *s = xasprintf("%s[", deep16);
                free(deep16);
                deep16 = s;
        }
        deep17 = xasprintf("%s[1", deep16);
        char *s = xasprintf("%s1", deep16);
        free(deep16);
        deep16 = s;
        for (int i = 0; i < 15; i++) {
                s = xasprintf("%s]", deep16);
                free(deep16);
                deep16 = s;
                s = xasprintf("%s]", deep17);
                free(deep17);
                deep17 = s;
        }
        s = xasprintf("%s]\n", deep17);
        free(deep17);
        deep17 = s;
        check_error(deep16, "t.yaml:1:1: unknown key 'x'");
        check_error(deep17, "t.yaml:1:19: nesting deeper than 16 levels");

        /* List and mapping caps. */
        _cleanup_free_ char *list = xstrdup("init:\n  cmd:\n");
        for (int i = 0; i <= CONFIG_MAX_LIST; i++) {
                s = xasprintf("%s  - /x\n", list);
                free(list);
                list = s;
        }
        check_error(list, "t.yaml:1027:5: key 'init.cmd': list longer than 1024 entries");
        _cleanup_free_ char *env = xstrdup("environment:\n");
        for (int i = 0; i <= CONFIG_MAX_LIST; i++) {
                s = xasprintf("%s  V%d: x\n", env, i);
                free(env);
                env = s;
        }
        check_error(env, "t.yaml:1026:3: key 'environment': mapping with more than 1024 keys");
        _cleanup_free_ char *idmap = xstrdup("idmap:\n");
        for (int i = 0; i < 65; i++) {
                s = xasprintf("%s- {container: %d, host: %d, count: 1}\n", idmap, i, i);
                free(idmap);
                idmap = s;
        }
        check_error(idmap, "t.yaml:2:1: key 'idmap': 65 entries, at most 64 allowed");

        /* Size cap, before any parsing. */
        _cleanup_free_ char *big = xmalloc(CONFIG_MAX_BYTES + 2);
        memset(big, '#', CONFIG_MAX_BYTES + 1);
        big[CONFIG_MAX_BYTES + 1] = 0;
        _cleanup_free_ char *m = parse_fail(big, CONFIG_MAX_BYTES + 1);
        is_str(m, "t.yaml: file too large (max 1048576 bytes)", "text over the cap");

        /* Error objects: none set when reterr is NULL, an existing one is not overwritten. */
        _cleanup_(config_freep) BerthConfig *c = config_new();
        is_int(config_parse_into(c, "foo: 1", 6, NULL, NULL), -EBADMSG, "error without reterr");
        BerthError *err = NULL;
        is_int(config_parse_into(c, "foo: 1", 6, NULL, &err), -EBADMSG, "error without filename");
        is_str(err ? err->message : NULL, "<config>:1:1: unknown key 'foo'", "default file name");
        berth_error_free(err);
}

static void test_validate(void)
{
        static const struct {
                const char *yaml, *error;
        } cases[] = {
                {"name: web1\nlimits: {swap: 1G}\n",
                 "validate 'web1': key 'limits.swap': needs limits.memory"},
                {"limits: {swap: 1G}\n",
                 "validate '(unnamed)': key 'limits.swap': needs limits.memory"},
                {"name: n\nnetwork: [{type: veth}, {type: macvlan}]\n",
                 "validate 'n': key 'network[1].link': type macvlan needs a host link"},
                {"name: n\nnetwork: [{type: phys, name: eth0}]\n",
                 "validate 'n': key 'network[0].link': type phys needs a host link"},
                {"name: n\nnetwork: [{type: none, name: eth0}]\n",
                 "validate 'n': key 'network[0]': type none takes no other key"},
                {"name: n\nnetwork: [{type: macvlan, link: eth0, bridge: br0}]\n",
                 "validate 'n': key 'network[0].bridge': only for type veth"},
                {"name: n\nnetwork: [{type: veth, link: eth0}]\n",
                 "validate 'n': key 'network[0].link': not for type veth (use bridge)"},
                {"name: n\nnetwork: [{type: veth, dhcp: true, ipv4: 10.0.0.2/24}]\n",
                 "validate 'n': key 'network[0].dhcp': excludes a static ipv4"},
                {"name: n\nnetwork: [{type: veth, gateway: 10.0.0.1}]\n",
                 "validate 'n': key 'network[0].gateway': needs ipv4"},
                {"name: n\nnetwork: [{type: veth, gateway6: \"fd00::1\"}]\n",
                 "validate 'n': key 'network[0].gateway6': needs ipv6"},
                {"name: n\nnetwork: [{type: veth, name: lo}]\n",
                 "validate 'n': key 'network[0].name': 'lo' is the container's loopback"},
                {"name: n\npublish: [\"8080:80\", \"127.0.0.1:8080:81\"]\n",
                 "validate 'n': key 'publish[1]': '127.0.0.1:8080:81/tcp' clashes with "
                 "publish[0]"},
                {"name: n\npublish: [\"[::1]:53:53/udp\", \"53:5353/udp\"]\n",
                 "validate 'n': key 'publish[1]': '53:5353/udp' clashes with publish[0]"},
                {"name: n\nnetwork: [{type: veth, name: eth0}, {type: none}, "
                 "{type: veth, name: eth0}]\n",
                 "validate 'n': key 'network[2].name': duplicate interface name 'eth0' (also "
                 "network[0])"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(config_freep) BerthConfig *c = parse_ok(cases[i].yaml, "validate case");
                if (!c)
                        continue;
                BerthError *err = NULL;
                is_int(config_validate(c, &err), -EBADMSG, "validate fails: %s", cases[i].error);
                is_str(err ? err->message : NULL, cases[i].error, "validate message");
                is_int(err ? err->code : 0, EBADMSG, "validate code");
                berth_error_free(err);
        }
        _cleanup_(config_freep) BerthConfig *c =
                parse_ok("name: n\nlimits: {memory: 1G, swap: 1G}\nnetwork: [{type: veth}, "
                         "{type: veth}, {type: macvlan, link: eth0, name: eth1}]\n",
                         "valid network");
        BerthError *err = NULL;
        is_int(c ? config_validate(c, &err) : -1, 0, "veth needs nothing, unnamed do not clash");
        ok(!err, "no error object on success");
        _cleanup_(config_freep) BerthConfig *p =
                parse_ok("name: n\npublish: [\"8080:80\", \"8080:80/udp\", "
                         "\"127.0.0.1:8081:80\", \"127.0.0.2:8081:80\", \"[::1]:8081:80\"]\n",
                         "ports that do not clash");
        is_int(p ? config_validate(p, NULL) : -1, 0,
               "other protocol, other host address, other family: no clash");
}

static void test_publish(void)
{
        static const struct {
                const char *in, *canonical;
                int family;
                unsigned host_port, port;
                int protocol;
        } good[] = {
                {"8080:80", "8080:80/tcp", AF_UNSPEC, 8080, 80, IPPROTO_TCP},
                {"1:65535/udp", "1:65535/udp", AF_UNSPEC, 1, 65535, IPPROTO_UDP},
                {"127.0.0.1:5353:53/udp", "127.0.0.1:5353:53/udp", AF_INET, 5353, 53, IPPROTO_UDP},
                {"[::1]:8080:80", "[::1]:8080:80/tcp", AF_INET6, 8080, 80, IPPROTO_TCP},
                {"[fd42::0:1]:443:8443/tcp", "[fd42::1]:443:8443/tcp", AF_INET6, 443, 8443,
                 IPPROTO_TCP},
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                BerthPublish p;
                if (!is_int(config_publish_parse(good[i].in, &p), 0, "publish '%s' parses",
                            good[i].in))
                        continue;
                is_int(p.family, good[i].family, "'%s' family", good[i].in);
                is_int(p.host_port, good[i].host_port, "'%s' host port", good[i].in);
                is_int(p.port, good[i].port, "'%s' port", good[i].in);
                is_int(p.protocol, good[i].protocol, "'%s' protocol", good[i].in);
                _cleanup_free_ char *text = config_publish_to_string(&p);
                is_str(text, good[i].canonical, "'%s' canonical text", good[i].in);
        }
        static const char *const bad[] = {
                "", "80", ":80", "80:", "8080:80/sctp", "8080:80/", "8080:80/TCP", "0:80",
                "80:0", "65536:80", "080:80", "+80:80", "-1:80", "8080:80:90",
                "1.2.3:80:80", "1.2.3.4.5:80:80", "::1:80:80", "[::1:80:80", "[::1]80:80",
                "[1.2.3.4]:80:80", "[::1]:1.2.3.4:80:80", "a:b", "80 :80", "80: 80",
                "127.0.0.1:80:80/tcp/udp",
                "1111111111111111111111111111111111111111111111111111111111111111111111111111111111"
                "1111111111111111111111111111111111111111111111111111:80",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                is_int(config_publish_parse(bad[i], NULL), -EINVAL, "publish '%s' refused", bad[i]);

        BerthPublish a, b;
        ok(config_publish_parse("8080:80", &a) == 0 &&
                   config_publish_parse("10.0.0.1:8080:90", &b) == 0 &&
                   config_publish_conflict(&a, &b) && config_publish_conflict(&b, &a),
           "any address clashes with one address");
        ok(config_publish_parse("10.0.0.2:8080:90", &a) == 0 && !config_publish_conflict(&a, &b),
           "two addresses do not clash");
        ok(config_publish_parse("10.0.0.1:8080:90/udp", &a) == 0 &&
                   !config_publish_conflict(&a, &b),
           "two protocols do not clash");
        ok(config_publish_parse("10.0.0.1:8081:90", &a) == 0 && !config_publish_conflict(&a, &b),
           "two ports do not clash");
}

/* ---- round trip --------------------------------------------------------------------------- */

static void check_round_trip(const BerthConfig *c, const char *what)
{
        _cleanup_free_ char *yaml = config_to_yaml(c);
        if (!ok(yaml != NULL, "emit %s", what))
                return;
        _cleanup_(config_freep) BerthConfig *d = config_new();
        BerthError *err = NULL;
        int r = config_parse_into(d, yaml, strlen(yaml), "emitted", &err);
        if (!is_int(r, 0, "re-parse %s", what))
                printf("#   %s\n%s", berth_error_message(err, r), yaml);
        berth_error_free(err);
        if (!ok(config_equal(c, d), "round trip reproduces %s", what))
                printf("%s", yaml);
        _cleanup_free_ char *again = config_to_yaml(d);
        is_str(again, yaml, "emitted YAML of %s is a fixed point", what);
}

static void test_round_trip(void)
{
        _cleanup_(config_freep) BerthConfig *def = config_new();
        check_round_trip(def, "the defaults");

        _cleanup_(config_freep) BerthConfig *full = parse_ok(full_yaml, "full");
        if (full)
                check_round_trip(full, "the full config");

        /* Strings that plain YAML would misread, or that need escapes. */
        static const char *const tricky[] = {
                "null",
                "~",
                "",
                "true",
                "no",
                "Yes",
                "12",
                "1.5",
                "0x1f",
                "1e3",
                "12:30",
                "-",
                "- a",
                "a: b",
                "a #c",
                "#x",
                "[x]",
                "{y}",
                "*star",
                "&amp",
                "!bang",
                "%pct",
                "@at",
                "`tick",
                "|pipe",
                ">gt",
                "? q",
                "'single'",
                "\"double\"",
                " lead",
                "trail ",
                "line\nbreak",
                "tab\there",
                "back\\slash",
                "\x01\x7f",
                "\xc3\xbcnic\xc3\xb6"
                "de \xe2\x82\xac",
                "a,b",
                "--- doc",
                "...",
        };
        _cleanup_(config_freep) BerthConfig *t = config_new();
        for (size_t i = 0; i < ELEMENTSOF(tricky); i++) {
                strv_extend(&t->init_cmd, tricky[i]);
                strv_extend(&t->template_options, tricky[i]);
                strv_push(&t->environment, xasprintf("V%zu=%s", i, tricky[i]));
                if (tricky[i][0])
                        strv_extend(&t->hooks_post_stop, tricky[i]);
        }
        strv_push(&t->environment, xstrdup("Y=yes"));
        strv_push(&t->environment, xstrdup("ON=1"));
        t->stop_timeout_usec = 1234567;
        t->autostart_delay_usec = 1;
        t->autostart_order = INT64_MIN;
        t->halt_signal = SIGRTMIN + 5;
        t->reboot_signal = SIGKILL;
        t->limits.memory = UINT64_MAX;
        t->limits.swap = 1;
        t->limits.cpus_milli = 1;
        t->console_ttys = 64;
        t->idmap = xcalloc(1, sizeof(BerthIdmap));
        t->idmap[0] = (BerthIdmap){.container = 0, .host = UINT32_MAX, .count = 1};
        t->n_idmap = 1;
        check_round_trip(t, "tricky strings and extreme numbers");

        _cleanup_(config_freep) BerthConfig *n = parse_ok(
                "network: [{type: none}, {type: empty}, {type: phys, link: eth9, name: eth1},\n"
                "          {type: veth, mtu: 68, hwaddr: \"12:34:56:78:90:12\"}]\n"
                "mounts: [{source: proc, target: /proc, type: proc, options: []},\n"
                "         {source: /a, target: /, options: [rbind, rw, relatime, noatime]}]\n",
                "network and mounts");
        if (n)
                check_round_trip(n, "network types and mounts");

        _cleanup_(config_freep) BerthConfig *odd = config_new();
        strv_push(&odd->hooks_pre_start, xstrdup("\xff invalid UTF-8"));
        ok(config_to_yaml(odd) == NULL, "invalid UTF-8 cannot be emitted");

        /* config_equal itself must see differences, or the round trip checks prove nothing. */
        _cleanup_(config_freep) BerthConfig *a = parse_ok(full_yaml, "full");
        _cleanup_(config_freep) BerthConfig *b = parse_ok(full_yaml, "full");
        if (a && b) {
                ok(config_equal(a, b), "equal configs compare equal");
                b->mounts[1].flags |= MS_NOEXEC;
                ok(!config_equal(a, b), "a mount flag difference is seen");
                b->mounts[1].flags = a->mounts[1].flags;
                b->network[0].mtu = 9000;
                ok(!config_equal(a, b), "an mtu difference is seen");
                b->network[0].mtu = a->network[0].mtu;
                free(b->environment[2]);
                b->environment[2] = xstrdup("EMPTY=x");
                ok(!config_equal(a, b), "an environment difference is seen");
        }
}

/* ---- key table ---------------------------------------------------------------------------- */

static const ConfigKeyInfo *table_find(const char *key)
{
        size_t n;
        const ConfigKeyInfo *t = config_key_table(&n);
        for (size_t i = 0; i < n; i++)
                if (streq(t[i].key, key))
                        return &t[i];
        return NULL;
}

/* Collects the dotted keys of a YAML document, "x[].y" for the fields of list x's items, and stops
 * at keys the table types as a map or a scalar list. */
static void collect_keys(yaml_document_t *doc, yaml_node_t *node, const char *path, char ***keys)
{
        const ConfigKeyInfo *info = *path ? table_find(path) : NULL;
        if (info)
                strv_extend(keys, path);
        if (info && streq(info->type, "list") && node->type == YAML_SEQUENCE_NODE) {
                _cleanup_free_ char *item = xasprintf("%s[]", path);
                for (yaml_node_item_t *i = node->data.sequence.items.start;
                     i < node->data.sequence.items.top; i++) {
                        yaml_node_t *n = yaml_document_get_node(doc, *i);
                        if (n->type == YAML_MAPPING_NODE)
                                collect_keys(doc, n, item, keys);
                }
                return;
        }
        if (info || node->type != YAML_MAPPING_NODE) {
                if (!info)
                        strv_extend(keys, path);
                return;
        }
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
             p++) {
                yaml_node_t *k = yaml_document_get_node(doc, p->key);
                _cleanup_free_ char *sub = xasprintf("%s%s%s", path, *path ? "." : "",
                                                     (const char *)k->data.scalar.value);
                collect_keys(doc, yaml_document_get_node(doc, p->value), sub, keys);
        }
}

static char **yaml_keys(const char *text)
{
        yaml_parser_t parser;
        yaml_document_t doc;
        char **keys = NULL;
        yaml_parser_initialize(&parser);
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
        if (yaml_parser_load(&parser, &doc)) {
                yaml_node_t *root = yaml_document_get_root_node(&doc);
                if (root)
                        collect_keys(&doc, root, "", &keys);
                yaml_document_delete(&doc);
        }
        yaml_parser_delete(&parser);
        return keys;
}

/* "a.b" -> "a: {b: V}", "x[].y" -> "x: [{y: V}]" */
static char *yaml_setting(const char *key, const char *value)
{
        const char *dot = strchr(key, '.');
        if (!dot)
                return xasprintf("{%s: %s}", key, value);
        _cleanup_free_ char *head = xstrndup(key, dot - key);
        _cleanup_free_ char *rest = yaml_setting(dot + 1, value);
        size_t hl = strlen(head);
        if (hl > 2 && streq(head + hl - 2, "[]")) {
                head[hl - 2] = 0;
                return xasprintf("{%s: [%s]}", head, rest);
        }
        return xasprintf("{%s: %s}", head, rest);
}

static void test_key_table(void)
{
        size_t n = 0;
        const ConfigKeyInfo *t = config_key_table(&n);
        ok(n > 40 && t == config_key_table(NULL), "key table has %zu keys", n);
        for (size_t i = 0; i < n; i++)
                ok(t[i].key && t[i].type && *t[i].type, "key %zu '%s' has a type", i, t[i].key);

        /* Every key appears in the defaults' YAML (list item fields: once the lists have items). */
        _cleanup_(config_freep) BerthConfig *def = config_new();
        _cleanup_free_ char *def_yaml = config_to_yaml(def);
        _cleanup_strv_free_ char **def_keys = yaml_keys(def_yaml);
        _cleanup_(config_freep) BerthConfig *full = parse_ok(full_yaml, "full");
        _cleanup_free_ char *full_yaml_out = full ? config_to_yaml(full) : NULL;
        _cleanup_strv_free_ char **full_keys = yaml_keys(full_yaml_out ?: "");
        for (size_t i = 0; i < n; i++) {
                if (!strstr(t[i].key, "[]"))
                        ok(strv_contains(def_keys, t[i].key), "'%s' in the defaults' YAML",
                           t[i].key);
                ok(strv_contains(full_keys, t[i].key), "'%s' in the full config's YAML", t[i].key);
        }
        /* ...and nothing else does. */
        STRV_FOREACH(k, full_keys)
        ok(table_find(*k) != NULL, "emitted key '%s' is in the table", *k);
        STRV_FOREACH(k, def_keys)
        ok(table_find(*k) != NULL, "emitted default key '%s' is in the table", *k);

        /* The parser knows every key: a value of the wrong shape is an error about that key, not
         * an unknown key. */
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *yaml = yaml_setting(t[i].key, "[[1]]");
                _cleanup_free_ char *m = parse_fail(yaml, strlen(yaml));
                _cleanup_free_ char *display = xstrdup(t[i].key);
                char *p = strstr(display, "[]");
                if (p) {
                        _cleanup_free_ char *d =
                                xasprintf("%.*s[0]%s", (int)(p - display), display, p + 2);
                        free(display);
                        display = TAKE_PTR(d);
                }
                _cleanup_free_ char *want = xasprintf("key '%s", display);
                ok(m && strstr(m, want) && !strstr(m, "unknown key"), "parser knows '%s' (%s)",
                   t[i].key, m);
        }

        /* ...and refuses a key next to each section's keys that is not in the table. */
        for (size_t i = 0; i < n; i++) {
                const char *dot = strrchr(t[i].key, '.');
                _cleanup_free_ char *bogus =
                        dot ? xasprintf("%.*s.bogus", (int)(dot - t[i].key), t[i].key)
                            : xstrdup("bogus");
                _cleanup_free_ char *yaml = yaml_setting(bogus, "1");
                _cleanup_free_ char *m = parse_fail(yaml, strlen(yaml));
                ok(m && strstr(m, "unknown key '"), "parser refuses '%s' (%s)", bogus, m);
        }
}

/* ---- files -------------------------------------------------------------------------------- */

static void test_files(void)
{
        char dir[] = "/tmp/test-config-XXXXXX";
        if (!ok(mkdtemp(dir) != NULL, "temporary directory"))
                return;
        _cleanup_free_ char *path = path_join(dir, "config.yaml");
        _cleanup_free_ char *big = path_join(dir, "big.yaml");
        _cleanup_free_ char *edge = path_join(dir, "edge.yaml");
        _cleanup_free_ char *missing = path_join(dir, "missing.yaml");
        _cleanup_free_ char *nodir = path_join(dir, "nodir/config.yaml");

        _cleanup_(config_freep) BerthConfig *c = parse_ok(full_yaml, "full");
        BerthError *err = NULL;
        is_int(c ? config_save(c, path, &err) : -1, 0, "save");
        struct stat st;
        ok(stat(path, &st) == 0 && (st.st_mode & 077) == 0, "saved file is private");
        BerthConfig *l = NULL;
        is_int(config_load_file(path, &l, &err), 0, "load");
        ok(l && c && config_equal(c, l), "load reproduces what was saved");
        config_free(l);
        l = NULL;

        is_int(config_save(c, nodir, &err), -ENOENT, "save into a missing directory");
        _cleanup_free_ char *want_nodir =
                xasprintf("save config '%s': %s", nodir, strerror(ENOENT));
        is_str(err ? err->message : NULL, want_nodir, "save error message");
        err = berth_error_free(err);

        _cleanup_(config_freep) BerthConfig *odd = config_new();
        strv_push(&odd->hooks_pre_start, xstrdup("\xff"));
        is_int(config_save(odd, path, &err), -EINVAL, "save of unrepresentable config");
        like(err ? err->message : NULL, "not valid UTF-8", "save emit error message");
        err = berth_error_free(err);

        is_int(config_load_file(missing, &l, &err), -ENOENT, "load a missing file");
        _cleanup_free_ char *want_missing =
                xasprintf("read config '%s': %s", missing, strerror(ENOENT));
        is_str(err ? err->message : NULL, want_missing, "missing file message");
        err = berth_error_free(err);
        ok(l == NULL, "nothing returned on failure");

        /* Exactly CONFIG_MAX_BYTES loads; one more byte does not. */
        _cleanup_free_ char *text = xmalloc(CONFIG_MAX_BYTES + 1);
        memset(text, '#', CONFIG_MAX_BYTES + 1);
        text[CONFIG_MAX_BYTES - 1] = '\n';
        int fd = open(edge, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ok(fd >= 0 && write(fd, text, CONFIG_MAX_BYTES) == CONFIG_MAX_BYTES, "write edge file");
        safe_close(fd);
        is_int(config_load_file(edge, &l, &err), 0, "a file of exactly the cap loads");
        l = config_free(l);
        err = berth_error_free(err);
        fd = open(big, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ok(fd >= 0 && write(fd, text, CONFIG_MAX_BYTES + 1) == CONFIG_MAX_BYTES + 1,
           "write big file");
        safe_close(fd);
        is_int(config_load_file(big, &l, &err), -EBADMSG, "a file over the cap is refused");
        _cleanup_free_ char *want_big = xasprintf("%s: file too large (max 1048576 bytes)", big);
        is_str(err ? err->message : NULL, want_big, "too large message");
        err = berth_error_free(err);

        static const char bad[] = "name: web1\nlimits:\n  memory: lots\n";
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        ok(fd >= 0 && write(fd, bad, sizeof(bad) - 1) == (ssize_t)sizeof(bad) - 1, "write bad");
        safe_close(fd);
        is_int(config_load_file(path, &l, &err), -EBADMSG, "load a bad file");
        _cleanup_free_ char *want_bad =
                xasprintf("%s:3:11: key 'limits.memory': invalid size 'lots'", path);
        is_str(err ? err->message : NULL, want_bad, "bad file message names the file");
        err = berth_error_free(err);

        ok(rm_rf_at(AT_FDCWD, dir) == 0, "clean up");
}

int main(void)
{
        test_defaults();
        test_enums();
        test_snapshots();
        test_names();
        test_parse_full();
        test_values();
        test_errors();
        test_validate();
        test_publish();
        test_round_trip();
        test_key_table();
        test_files();
        return tap_done();
}
