/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* config_assign() (berth set NAME key=value) and config_changed_keys(): the same checks as a
 * file, errors without a position, nothing changed on error. */
#include <errno.h>

#include "tap.h"

#include "config/config.h"
#include "strv.h"

static BerthConfig *base(void)
{
        static const char yaml[] = "name: web\n"
                                   "limits: {memory: 512M, pids: 100}\n"
                                   "environment: {TZ: UTC, LANG: C}\n"
                                   "labels: {team: ops}\n";
        BerthConfig *c = config_new();
        if (config_parse_into(c, yaml, strlen(yaml), "base.yaml", NULL) < 0)
                abort();
        return c;
}

static void assign_ok(BerthConfig *c, const char *key, const char *value)
{
        BerthError *err = NULL;
        int r = config_assign(c, key, value, &err);
        if (!is_int(r, 0, "assign %s=%s", key, value))
                printf("#   %s\n", berth_error_message(err, r));
        berth_error_free(err);
}

/* Assigns on top of base(): the error message, and checks the config did not change. */
static char *assign_fail(const char *key, const char *value)
{
        _cleanup_(config_freep) BerthConfig *c = base();
        _cleanup_free_ char *before = config_to_yaml(c);
        BerthError *err = NULL;
        int r = config_assign(c, key, value, &err);
        _cleanup_free_ char *after = config_to_yaml(c);
        _cleanup_free_ char *k = config_escape(key), *v = config_escape(value);
        ok(r == -EBADMSG && err && err->code == EBADMSG, "%s=%s refused with EBADMSG (%d)", k, v,
           r);
        ok(streq(before, after), "%s=%s changes nothing", k, v);
        char *m = err ? xstrdup(err->message) : xstrdup("(no error)");
        berth_error_free(err);
        return m;
}

static void test_assign_values(void)
{
        _cleanup_(config_freep) BerthConfig *c = base();

        assign_ok(c, "limits.memory", "1G");
        is_int(c->limits.memory, 1ULL << 30, "limits.memory=1G");
        assign_ok(c, "limits.cpus", "2");
        is_int(c->limits.cpus_milli, 2000, "limits.cpus=2");
        assign_ok(c, "limits.cpus", "0.25");
        is_int(c->limits.cpus_milli, 250, "limits.cpus=0.25");
        assign_ok(c, "limits.pids", "null");
        is_int(c->limits.pids, 0, "limits.pids=null unsets");
        assign_ok(c, "limits.memory", "");
        is_int(c->limits.memory, 0, "limits.memory= (empty) unsets");
        assign_ok(c, "limits", "{memory: 64M, pids: 32}");
        is_int(c->limits.memory, 64ULL << 20, "a section with a mapping: memory");
        is_int(c->limits.pids, 32, "a section with a mapping: pids");
        is_int(c->limits.cpus_milli, 250, "a section assignment keeps the keys it does not name");

        assign_ok(c, "hostname", "yes");
        is_str(c->hostname, "yes", "a string that YAML 1.1 reads as a boolean stays a string");
        assign_ok(c, "autostart.enabled", "true");
        ok(c->autostart, "autostart.enabled=true");
        assign_ok(c, "autostart.order", "-5");
        is_int(c->autostart_order, -5, "autostart.order=-5");
        assign_ok(c, "autostart.delay", "1.5");
        is_int(c->autostart_delay_usec, 1500000, "autostart.delay=1.5");
        assign_ok(c, "security.capabilities.drop", "[sys_nice, net_raw]");
        is_int(strv_length(c->cap_drop), 2, "a flow list");
        assign_ok(c, "mounts", "[{type: tmpfs, target: /scratch, options: [size=1M]}]");
        is_int(c->n_mounts, 1, "a list of mappings");
        ok(c->n_mounts == 1 && c->mounts[0].data && streq(c->mounts[0].data, "size=1M"),
           "list items are derived as in a file (mount data)");

        assign_ok(c, "environment.TZ", "Europe/Berlin");
        ok(strv_contains(c->environment, "TZ=Europe/Berlin"), "environment.TZ replaced");
        ok(!strv_contains(c->environment, "TZ=UTC"), "the old TZ is gone");
        ok(strv_contains(c->environment, "LANG=C"), "other variables kept");
        assign_ok(c, "environment.LANG", "null");
        ok(!strv_contains(c->environment, "LANG=C"), "environment.LANG=null removes it");
        assign_ok(c, "labels.berth.compose", "/srv/app.yaml");
        ok(strv_contains(c->labels, "berth.compose=/srv/app.yaml"), "a dotted label name");
        ok(strv_contains(c->labels, "team=ops"), "other labels kept");
        assign_ok(c, "environment", "{A: b}");
        ok(strv_length(c->environment) == 1 && streq(c->environment[0], "A=b"),
           "the whole mapping replaced");

        /* The result saves and loads back the same. */
        _cleanup_free_ char *yaml = config_to_yaml(c);
        _cleanup_(config_freep) BerthConfig *back = config_new();
        ok(config_parse_into(back, yaml, strlen(yaml), "saved", NULL) == 0, "saved text parses");
        _cleanup_strv_free_ char **diff = config_changed_keys(c, back);
        ok(!diff, "and reads back unchanged");
}

static void test_assign_errors(void)
{
        char *m = NULL;

        m = assign_fail("limits.memory", "lots");
        is_str(m, "key 'limits.memory': invalid size 'lots'", "bad size: the file's message, no position");
        free(m);
        m = assign_fail("limits.memory", "512");
        like(m, "key 'limits.memory': size '512' too small", "below the minimum");
        free(m);
        m = assign_fail("limits.cpus", "0");
        like(m, "key 'limits.cpus': 0 out of range", "cpus 0");
        free(m);
        m = assign_fail("limits.pids", "-1");
        like(m, "key 'limits.pids': invalid number '-1'", "negative pids");
        free(m);
        m = assign_fail("limits.memroy", "1G");
        is_str(m, "unknown key 'limits.memroy'", "a typo names the key");
        free(m);
        m = assign_fail("limits", "1G");
        is_str(m, "key 'limits': expected a mapping, got a scalar", "a section needs a mapping");
        free(m);
        m = assign_fail("limits", "{memory: 1G, cpu: 2}");
        like(m, "unknown key 'limits.cpu'", "an unknown key inside a section");
        free(m);
        m = assign_fail("mounts[].target", "/x");
        is_str(m, "unknown key 'mounts[].target'", "list item fields are not keys");
        free(m);
        m = assign_fail("hostname", "[a, b]");
        like(m, "key 'hostname': expected a string value, got a list", "a list for a string");
        free(m);
        m = assign_fail("hostname", "web_1");
        is_str(m, "key 'hostname': invalid hostname 'web_1'", "an invalid hostname");
        free(m);
        m = assign_fail("init.cmd", "[sbin/init]");
        like(m, "is not an absolute path", "a relative init command");
        free(m);
        m = assign_fail("limits.memory", "[1G");
        like(m, "key 'limits.memory': invalid YAML", "broken YAML names the key");
        free(m);
        m = assign_fail("limits.memory", "&a 1G");
        like(m, "anchors are not supported", "anchors refused as in a file");
        free(m);
        m = assign_fail("environment.1X", "y");
        is_str(m, "key 'environment.1X': invalid variable name '1X'", "a bad variable name");
        free(m);
        m = assign_fail("environment.X", "{a: b}");
        like(m, "key 'environment.X': expected a string", "a mapping for a variable");
        free(m);
        m = assign_fail("labels.Team", "x");
        is_str(m, "key 'labels.Team': invalid label name 'Team'", "label names are lower case");
        free(m);
        m = assign_fail("name.x", "y");
        is_str(m, "unknown key 'name.x'", "a dot below a scalar key");
        free(m);
        m = assign_fail("", "y");
        is_str(m, "unknown key ''", "an empty key");
        free(m);
        m = assign_fail("limits..memory", "1G");
        is_str(m, "unknown key 'limits..memory'", "an empty key part");
        free(m);
        m = assign_fail("limits.memory\n", "1G");
        is_str(m, "unknown key 'limits.memory\\x0a'", "control characters escaped in the key");
        free(m);
}

static void test_changed_keys(void)
{
        _cleanup_(config_freep) BerthConfig *a = base(), *b = base();
        ok(config_changed_keys(a, b) == NULL, "equal configs: nothing changed");

        assign_ok(b, "limits.memory", "1G");
        assign_ok(b, "hostname", "other");
        assign_ok(b, "environment.TZ", "CET");
        assign_ok(b, "mounts", "[{type: tmpfs, target: /t}]");
        _cleanup_strv_free_ char **l = config_changed_keys(a, b);
        _cleanup_free_ char *joined = l ? strv_join(l, " ") : xstrdup("");
        is_str(joined, "hostname limits.memory mounts environment",
               "changed keys in table order, lists and mappings by their own key");

        assign_ok(b, "limits.memory", "512M");
        assign_ok(b, "hostname", "null");
        assign_ok(b, "environment.TZ", "UTC");
        assign_ok(b, "mounts", "[]");
        ok(config_changed_keys(a, b) == NULL, "set back: nothing changed (an empty list is none)");
}

int main(void)
{
        test_assign_values();
        test_assign_errors();
        test_changed_keys();
        return tap_done();
}
