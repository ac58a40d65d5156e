/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Composition files: "berth create -f FILE" declares one container, or several with shared host
 * directories and a start order, and applying the file twice changes nothing.
 *
 *   volumes: [/srv/shared]                  # host directories, created when missing
 *   containers:
 *     - {name: db, template: {name: busybox}, limits: {memory: 64M}}
 *     - name: web
 *       template: {name: debian, options: [--release, bookworm]}
 *       mounts: [{source: /srv/shared, target: /shared, options: [bind]}]
 *   start: [db, web]                        # started in this order (waiting for each to be ready)
 *   project: shop                           # the label of what it creates (default: its path)
 *
 * A file without "containers" is a single container's config with "name" and "template".
 *
 * Only the top level is read here (libyaml events with their marks). Each container entry's
 * text is handed to the config parser padded with the newlines and spaces that preceded it, so
 * every error keeps the file's own line and column. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <yaml.h>

#include "compose.h"
#include "container-internal.h"
#include "fileio.h"
#include "path-util.h"
#include "strv.h"

#define COMPOSE_MAX_CONTAINERS 256
#define COMPOSE_PROJECT_MAX 256

void compose_free(Compose *c)
{
        if (!c)
                return;
        for (size_t i = 0; i < c->n_entries; i++) {
                free(c->entries[i].text);
                config_free(c->entries[i].config);
        }
        free(c->entries);
        strv_free(c->volumes);
        strv_free(c->start);
        free(c->project);
        free(c);
}

typedef struct Reader {
        yaml_parser_t parser;
        yaml_event_t ev;
        bool have_event;
        const char *filename;
        const char *text;
        BerthError **reterr;
} Reader;

static int reader_error(Reader *r, const yaml_mark_t *m, const char *fmt, ...)
        _printf_(3, 4);
static int reader_error(Reader *r, const yaml_mark_t *m, const char *fmt, ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                oom();
        va_end(ap);
        return berth_error_setf(r->reterr, EBADMSG, "%s:%zu:%zu: %s", r->filename, m->line + 1,
                                m->column + 1, msg);
}

static int reader_next(Reader *r)
{
        if (r->have_event)
                yaml_event_delete(&r->ev);
        r->have_event = false;
        if (!yaml_parser_parse(&r->parser, &r->ev)) {
                yaml_mark_t m = r->parser.problem_mark;
                return reader_error(r, &m, "invalid YAML: %s",
                                    r->parser.problem ? r->parser.problem : "parse error");
        }
        r->have_event = true;
        if (r->ev.type == YAML_ALIAS_EVENT)
                return reader_error(r, &r->ev.start_mark, "YAML aliases are not allowed");
        return 0;
}

/* Skips the node whose start event is current, leaving its end event current. */
static int reader_skip(Reader *r)
{
        int depth = 0;
        for (;;) {
                switch (r->ev.type) {
                case YAML_MAPPING_START_EVENT:
                case YAML_SEQUENCE_START_EVENT:
                        depth++;
                        break;
                case YAML_MAPPING_END_EVENT:
                case YAML_SEQUENCE_END_EVENT:
                        depth--;
                        break;
                default:
                        break;
                }
                if (depth <= 0)
                        return 0;
                if (depth > CONFIG_MAX_DEPTH)
                        return reader_error(r, &r->ev.start_mark, "nested too deeply (max %d)",
                                            CONFIG_MAX_DEPTH);
                int k = reader_next(r);
                if (k < 0)
                        return k;
        }
}

/* The text of [start, end) with the lines and columns before it blanked out, so a parser of
 * the result reports the positions of the original file. */
static char *padded_span(const char *text, const yaml_mark_t *start, const yaml_mark_t *end)
{
        size_t len = end->index - start->index;
        char *s = xmalloc(start->line + start->column + len + 1), *p = s;
        memset(p, '\n', start->line);
        p += start->line;
        memset(p, ' ', start->column);
        p += start->column;
        memcpy(p, text + start->index, len);
        p[len] = 0;
        return s;
}

static int read_string_list(Reader *r, const char *key, char ***ret)
{
        int k = reader_next(r);
        if (k < 0)
                return k;
        if (r->ev.type != YAML_SEQUENCE_START_EVENT)
                return reader_error(r, &r->ev.start_mark, "key '%s': expected a list", key);
        for (size_t n = 0;; n++) {
                k = reader_next(r);
                if (k < 0)
                        return k;
                if (r->ev.type == YAML_SEQUENCE_END_EVENT)
                        return 0;
                if (r->ev.type != YAML_SCALAR_EVENT)
                        return reader_error(r, &r->ev.start_mark,
                                            "key '%s[%zu]': expected a string", key, n);
                if (n >= CONFIG_MAX_LIST)
                        return reader_error(r, &r->ev.start_mark,
                                            "key '%s': more than %d entries", key,
                                            CONFIG_MAX_LIST);
                strv_extend(ret, (const char *)r->ev.data.scalar.value);
        }
}

/* project: a name for what the file creates (the label berth.compose of each container). */
static int read_project(Reader *r, char **ret)
{
        int k = reader_next(r);
        if (k < 0)
                return k;
        if (r->ev.type != YAML_SCALAR_EVENT)
                return reader_error(r, &r->ev.start_mark, "key 'project': expected a string");
        const char *v = (const char *)r->ev.data.scalar.value;
        size_t n = r->ev.data.scalar.length;
        bool ok = n > 0 && n <= COMPOSE_PROJECT_MAX && strlen(v) == n;
        for (size_t i = 0; ok && i < n; i++)
                ok = (unsigned char)v[i] >= ' ' && v[i] != 0x7f;
        if (!ok) {
                _cleanup_free_ char *esc = config_escape(v);
                return reader_error(r, &r->ev.start_mark,
                                    "key 'project': invalid project '%s' (1 to %d printable "
                                    "characters)",
                                    esc, COMPOSE_PROJECT_MAX);
        }
        *ret = xstrdup(v);
        return 0;
}

static void compose_add(Compose *c, char *text, unsigned line, unsigned column)
{
        c->entries = xreallocarray(c->entries, c->n_entries + 1, sizeof(ComposeEntry));
        c->entries[c->n_entries++] = (ComposeEntry){.text = text, .line = line, .column = column};
}

static int read_containers(Reader *r, Compose *c)
{
        int k = reader_next(r);
        if (k < 0)
                return k;
        if (r->ev.type != YAML_SEQUENCE_START_EVENT)
                return reader_error(r, &r->ev.start_mark, "key 'containers': expected a list");
        for (;;) {
                k = reader_next(r);
                if (k < 0)
                        return k;
                if (r->ev.type == YAML_SEQUENCE_END_EVENT)
                        return 0;
                if (r->ev.type != YAML_MAPPING_START_EVENT)
                        return reader_error(r, &r->ev.start_mark,
                                            "key 'containers[%zu]': expected a mapping",
                                            c->n_entries);
                if (c->n_entries >= COMPOSE_MAX_CONTAINERS)
                        return reader_error(r, &r->ev.start_mark,
                                            "key 'containers': more than %d entries",
                                            COMPOSE_MAX_CONTAINERS);
                yaml_mark_t start = r->ev.start_mark;
                k = reader_skip(r);
                if (k < 0)
                        return k;
                compose_add(c, padded_span(r->text, &start, &r->ev.end_mark),
                            start.line + 1, start.column + 1);
        }
}

static int read_top(Reader *r, Compose *c, bool *ret_single)
{
        int k;
        do
                k = reader_next(r);
        while (k >= 0 && (r->ev.type == YAML_STREAM_START_EVENT ||
                          r->ev.type == YAML_DOCUMENT_START_EVENT));
        if (k < 0)
                return k;
        if (r->ev.type != YAML_MAPPING_START_EVENT)
                return reader_error(r, &r->ev.start_mark, "expected a mapping at the top level");

        bool seen_containers = false, seen_other = false;
        yaml_mark_t other_mark = {};
        char other[512] = "";
        for (;;) {
                k = reader_next(r);
                if (k < 0)
                        return k;
                if (r->ev.type == YAML_MAPPING_END_EVENT)
                        break;
                if (r->ev.type != YAML_SCALAR_EVENT)
                        return reader_error(r, &r->ev.start_mark, "keys must be strings");
                const char *key = (const char *)r->ev.data.scalar.value;
                yaml_mark_t km = r->ev.start_mark;
                if (streq(key, "containers")) {
                        if (seen_containers)
                                return reader_error(r, &km, "duplicate key 'containers'");
                        seen_containers = true;
                        k = read_containers(r, c);
                } else if (streq(key, "volumes")) {
                        if (c->volumes)
                                return reader_error(r, &km, "duplicate key 'volumes'");
                        k = read_string_list(r, "volumes", &c->volumes);
                        if (k >= 0 && !c->volumes)
                                c->volumes = xcalloc(1, sizeof(char *));
                        STRV_FOREACH(v, c->volumes)
                                if (k >= 0 && (!path_is_absolute(*v) || !path_is_normalized(*v))) {
                                        _cleanup_free_ char *esc = config_escape(*v);
                                        k = reader_error(r, &km,
                                                         "key 'volumes': '%s' is not an "
                                                         "absolute, normalised path",
                                                         esc);
                                }
                } else if (streq(key, "project")) {
                        if (c->project)
                                return reader_error(r, &km, "duplicate key 'project'");
                        k = read_project(r, &c->project);
                } else if (streq(key, "start")) {
                        if (c->start)
                                return reader_error(r, &km, "duplicate key 'start'");
                        k = read_string_list(r, "start", &c->start);
                        if (k >= 0 && !c->start)
                                c->start = xcalloc(1, sizeof(char *));
                } else {
                        /* A single container's config: its keys are checked by the config
                         * parser; here only where the first one is, for the message. */
                        if (!seen_other) {
                                seen_other = true;
                                other_mark = km;
                                _cleanup_free_ char *esc = config_escape(key);
                                snprintf(other, sizeof(other), "%s", esc);
                        }
                        k = reader_next(r);
                        if (k >= 0)
                                k = reader_skip(r);
                }
                if (k < 0)
                        return k;
        }
        if (seen_containers && seen_other)
                return reader_error(r, &other_mark,
                                    "unknown key '%s' (a file with 'containers' takes only "
                                    "'containers', 'volumes', 'start' and 'project')",
                                    other);
        if (!seen_containers && (c->volumes || c->start || c->project))
                return berth_error_setf(r->reterr, EBADMSG,
                                        "%s: 'volumes', 'start' and 'project' need a "
                                        "'containers' list",
                                        r->filename);
        k = reader_next(r);
        if (k >= 0 && r->ev.type == YAML_DOCUMENT_END_EVENT)
                k = reader_next(r);
        if (k >= 0 && r->ev.type != YAML_STREAM_END_EVENT)
                return reader_error(r, &r->ev.start_mark, "only one YAML document is allowed");
        *ret_single = !seen_containers;
        return k;
}

int compose_parse(const char *text, size_t len, const char *filename, Compose **ret,
                  BerthError **reterr)
{
        if (len > CONFIG_MAX_BYTES)
                return berth_error_setf(reterr, EBADMSG, "%s: file too large (max %d bytes)",
                                        filename, CONFIG_MAX_BYTES);
        if (memchr(text, 0, len))
                return berth_error_setf(reterr, EBADMSG, "%s: contains a NUL byte", filename);

        Compose *c = xcalloc(1, sizeof(*c));
        Reader r = {.filename = filename, .text = text, .reterr = reterr};
        yaml_parser_initialize(&r.parser);
        yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
        bool single = false;
        int k = read_top(&r, c, &single);
        if (r.have_event)
                yaml_event_delete(&r.ev);
        yaml_parser_delete(&r.parser);
        if (k < 0) {
                compose_free(c);
                return k;
        }
        if (single)
                compose_add(c, xstrndup(text, len), 1, 1);

        /* Each entry through the config parser: every key, type and value is checked with the
         * file's own positions, and name and template are required. */
        for (size_t i = 0; i < c->n_entries; i++) {
                ComposeEntry *e = &c->entries[i];
                e->config = config_new();
                k = config_parse_into(e->config, e->text, strlen(e->text), filename, reterr);
                if (k >= 0)
                        k = config_validate(e->config, reterr);
                const char *what = single ? "" : "containers[]: ";
                if (k >= 0 && !e->config->name)
                        k = berth_error_setf(reterr, EBADMSG, "%s:%u:%u: %skey 'name' is required",
                                             filename, e->line, e->column, what);
                if (k >= 0 && !e->config->template_name)
                        k = berth_error_setf(reterr, EBADMSG,
                                             "%s:%u:%u: %skey 'template.name' is required",
                                             filename, e->line, e->column, what);
                for (size_t j = 0; k >= 0 && j < i; j++)
                        if (streq(c->entries[j].config->name, e->config->name))
                                k = berth_error_setf(reterr, EBADMSG,
                                                     "%s:%u:%u: container '%s' is declared twice",
                                                     filename, e->line, e->column,
                                                     e->config->name);
                if (k < 0) {
                        compose_free(c);
                        return k;
                }
        }
        STRV_FOREACH(s, c->start) {
                bool found = false;
                for (size_t i = 0; i < c->n_entries && !found; i++)
                        found = streq(c->entries[i].config->name, *s);
                if (!found) {
                        _cleanup_free_ char *esc = config_escape(*s);
                        k = berth_error_setf(reterr, EBADMSG,
                                             "%s: key 'start': '%s' is not declared in "
                                             "'containers'",
                                             filename, esc);
                        compose_free(c);
                        return k;
                }
        }
        *ret = c;
        return 0;
}
