/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Composition files: structure, exact positions of errors, and the padding trick that hands
 * each entry to the config parser with the file's own line:col. */
#include "compose.h"
#include "strv.h"
#include "tap.h"

static int parse(const char *text, Compose **ret, BerthError **e)
{
        return compose_parse(text, strlen(text), "app.yaml", ret, e);
}

static void expect_error(const char *text, const char *needle, const char *what)
{
        Compose *c = NULL;
        BerthError *e = NULL;
        int r = parse(text, &c, &e);
        ok(r == -EBADMSG && !c, "%s: refused", what);
        like(e ? e->message : NULL, needle, "%s: message", what);
        berth_error_free(e);
        compose_free(c);
}

static void test_full(void)
{
        const char *text = "volumes: [/srv/shared]\n"
                           "containers:\n"
                           "  - name: db\n"
                           "    template: {name: busybox, options: [--ttys, '1']}\n"
                           "    limits: {memory: 64M}\n"
                           "  - {name: web, template: {name: debian}, hostname: www}\n"
                           "start: [db, web]\n";
        Compose *c = NULL;
        BerthError *e = NULL;
        is_int(parse(text, &c, &e), 0, "full file parses");
        if (!c) {
                printf("# %s\n", e ? e->message : "?");
                berth_error_free(e);
                return;
        }
        is_int(c->n_entries, 2, "two containers");
        is_str(c->entries[0].config->name, "db", "first name");
        is_str(c->entries[0].config->template_name, "busybox", "first template");
        is_str(c->entries[0].config->template_options[1], "1", "template options");
        ok(c->entries[0].config->limits.memory == 64ULL << 20, "settings of the first");
        is_int(c->entries[0].line, 3, "first entry's line");
        is_int(c->entries[0].column, 5, "first entry's column");
        is_str(c->entries[1].config->hostname, "www", "flow-style entry settings");
        is_int(c->entries[1].line, 6, "second entry's line");
        is_str(c->volumes[0], "/srv/shared", "volume");
        ok(strv_length(c->start) == 2 && streq(c->start[1], "web"), "start order");
        compose_free(c);
}

static void test_single(void)
{
        Compose *c = NULL;
        is_int(parse("name: one\ntemplate: {name: busybox}\nprivileged: true\n", &c, NULL), 0,
               "single container file");
        ok(c && c->n_entries == 1 && c->entries[0].config->privileged &&
                   streq(c->entries[0].config->name, "one"),
           "single entry with its settings");
        ok(c && !c->start && !c->volumes, "single file starts nothing");
        compose_free(c);
}

static void test_errors(void)
{
        /* The config parser reports the position in the file, not in the entry. */
        expect_error("containers:\n  - name: x\n    template: {name: busybox}\n"
                     "    limits: {memory: lots}\n",
                     "app.yaml:4:22: key 'limits.memory': invalid size 'lots'",
                     "bad value keeps the file's line:col");
        expect_error("containers:\n  - name: x\n    template: {name: busybox}\n    bogus: 1\n",
                     "app.yaml:4:5: unknown key 'bogus'", "unknown key inside an entry");
        expect_error("containers:\n  - template: {name: busybox}\n",
                     "app.yaml:2:5: containers[]: key 'name' is required", "name required");
        expect_error("containers:\n  - name: x\n", "key 'template.name' is required",
                     "template required");
        expect_error("name: x\n", "app.yaml:1:1: key 'template.name' is required",
                     "single file needs a template");
        expect_error("containers:\n  - {name: x, template: {name: busybox}}\n"
                     "  - {name: x, template: {name: busybox}}\n",
                     "app.yaml:3:5: container 'x' is declared twice", "duplicate name");
        expect_error("containers: []\nstart: [ghost]\n", "'ghost' is not declared",
                     "start names an undeclared container");
        expect_error("containers: []\nhostname: x\n", "app.yaml:2:1: unknown key 'hostname'",
                     "config keys beside containers");
        expect_error("volumes: [relative/dir]\ncontainers: []\n", "not an absolute",
                     "relative volume");
        expect_error("volumes: [/a]\n", "need a 'containers' list", "volumes without containers");
        expect_error("containers: {a: 1}\n", "app.yaml:1:13: key 'containers': expected a list",
                     "containers not a list");
        expect_error("containers:\n  - just-a-string\n", "containers[0]': expected a mapping",
                     "entry not a mapping");
        expect_error("containers: &a []\nstart: *a\n", "aliases are not allowed", "alias");
        expect_error("containers: []\n---\ncontainers: []\n", "only one YAML document",
                     "two documents");
        expect_error("containers: [\n", "invalid YAML", "broken YAML");
        expect_error("- a\n", "expected a mapping at the top level", "top-level list");
        expect_error("containers: []\ncontainers: []\n", "duplicate key 'containers'",
                     "duplicate containers");
        /* User text in a message is escaped: still one line. */
        Compose *c0 = NULL;
        BerthError *e0 = NULL;
        ok(parse("volumes: [\"rel\\nx\"]\ncontainers: []\n", &c0, &e0) == -EBADMSG && e0 &&
                   !strchr(e0->message, '\n') && strstr(e0->message, "rel\\x0ax"),
           "a newline in a volume path is escaped in the message");
        berth_error_free(e0);
        e0 = NULL;
        ok(parse("containers: []\nstart: [\"a\\rb\"]\n", &c0, &e0) == -EBADMSG && e0 &&
                   !strchr(e0->message, '\r') && strstr(e0->message, "a\\x0db"),
           "a control character in a start name is escaped");
        berth_error_free(e0);
        const char nul[] = "containers: []\0\n";
        Compose *c = NULL;
        BerthError *e = NULL;
        ok(compose_parse(nul, sizeof(nul) - 1, "app.yaml", &c, &e) == -EBADMSG &&
                   strstr(e->message, "NUL"),
           "NUL byte refused");
        berth_error_free(e);
}

static void test_project(void)
{
        Compose *c = NULL;
        BerthError *e = NULL;
        ok(parse("project: \"shop: front\"\ncontainers:\n  - {name: a, template: {name: busybox}}\n",
                 &c, &e) == 0 && c && c->project && streq(c->project, "shop: front"),
           "project: kept as written");
        compose_free(c);
        c = NULL;
        ok(parse("containers:\n  - {name: a, template: {name: busybox}}\n", &c, &e) == 0 && c &&
                   !c->project,
           "no project: NULL (the caller takes the file's path)");
        compose_free(c);
        berth_error_free(e);
        expect_error("project: \"\"\ncontainers: []\n", "app.yaml:1:10: key 'project': invalid project",
                     "an empty project");
        expect_error("project: \"a\\tb\"\ncontainers: []\n", "invalid project 'a\\x09b'",
                     "a control character in the project");
        expect_error("project: [a]\ncontainers: []\n", "key 'project': expected a string",
                     "a list as project");
        expect_error("project: a\nproject: b\ncontainers: []\n", "duplicate key 'project'",
                     "project twice");
        expect_error("project: a\nname: x\ntemplate: {name: busybox}\n",
                     "need a 'containers' list", "project in a single container's file");
}

int main(void)
{
        test_project();
        test_full();
        test_single();
        test_errors();
        return tap_done();
}
