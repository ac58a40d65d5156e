/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "macro.h"
#include "conf.h"

Conf *conf_free(Conf *c)
{
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n; i++) {
                free(c->entries[i].path);
                free(c->entries[i].value);
        }
        free(c->entries);
        free(c);
        return NULL;
}

/* One level of the walk: a mapping waiting for its next key or value, or a sequence counting
 * its items. */
typedef struct Level {
        char *path; /* of the node itself ("" at the top) */
        bool mapping;
        char *key;    /* mapping: the key whose value comes next; NULL: a key comes next */
        size_t index; /* sequence: the next item's index */
} Level;

static char *child_path(Level *l)
{
        char *p;
        if (l->mapping)
                p = *l->path ? xasprintf("%s.%s", l->path, l->key) : xstrdup(l->key);
        else
                p = *l->path ? xasprintf("%s.%zu", l->path, l->index) : xasprintf("%zu", l->index);
        /* The value is consumed: the mapping waits for a key, the sequence for the next item. */
        if (l->mapping)
                l->key = mfree(l->key);
        else
                l->index++;
        return p;
}

int conf_parse(const char *yaml, size_t len, Conf **ret)
{
        yaml_parser_t parser;
        Level levels[CONF_DEPTH_MAX + 1] = {};
        int depth = -1, r = 0;
        Conf *c = xcalloc(1, sizeof(*c));
        bool done = false;

        if (!yaml_parser_initialize(&parser))
                oom();
        yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);

        while (!done && r == 0) {
                yaml_event_t ev;
                if (!yaml_parser_parse(&parser, &ev)) {
                        r = -EBADMSG;
                        break;
                }
                Level *top = depth >= 0 ? &levels[depth] : NULL;
                switch (ev.type) {
                case YAML_SCALAR_EVENT: {
                        const char *v = (const char *)ev.data.scalar.value;
                        if (!top)
                                break; /* a bare scalar document: nothing to look up */
                        if (top->mapping && !top->key) {
                                top->key = xstrdup(v);
                                break;
                        }
                        if (c->n >= CONF_ENTRIES_MAX) {
                                r = -E2BIG;
                                break;
                        }
                        c->entries = xreallocarray(c->entries, c->n + 1, sizeof(ConfEntry));
                        c->entries[c->n++] = (ConfEntry){child_path(top), xstrdup(v)};
                        break;
                }
                case YAML_MAPPING_START_EVENT:
                case YAML_SEQUENCE_START_EVENT:
                        if (depth + 1 > CONF_DEPTH_MAX) {
                                r = -E2BIG;
                                break;
                        }
                        if (top && top->mapping && !top->key) {
                                r = -EBADMSG; /* a complex key: not a configuration */
                                break;
                        }
                        depth++;
                        levels[depth] = (Level){
                                .path = top ? child_path(top) : xstrdup(""),
                                .mapping = ev.type == YAML_MAPPING_START_EVENT,
                        };
                        break;
                case YAML_MAPPING_END_EVENT:
                case YAML_SEQUENCE_END_EVENT:
                        if (depth >= 0) {
                                free(levels[depth].path);
                                free(levels[depth].key);
                                depth--;
                        }
                        break;
                case YAML_ALIAS_EVENT:
                        /* The library emits no aliases; refusing them keeps the walk linear. */
                        r = -EBADMSG;
                        break;
                case YAML_DOCUMENT_END_EVENT:
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                default:
                        break;
                }
                yaml_event_delete(&ev);
        }
        for (; depth >= 0; depth--) {
                free(levels[depth].path);
                free(levels[depth].key);
        }
        yaml_parser_delete(&parser);
        if (r < 0) {
                conf_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

static bool is_null(const char *v)
{
        return !*v || streq(v, "null") || streq(v, "~") || streq(v, "Null") || streq(v, "NULL");
}

const char *conf_get(const Conf *c, const char *path)
{
        for (size_t i = 0; c && i < c->n; i++)
                if (streq(c->entries[i].path, path))
                        return is_null(c->entries[i].value) ? NULL : c->entries[i].value;
        return NULL;
}

size_t conf_count(const Conf *c, const char *path)
{
        size_t n = 0, plen = strlen(path);
        for (size_t i = 0; c && i < c->n; i++) {
                const char *p = c->entries[i].path;
                unsigned long idx;
                char *end;
                if (strncmp(p, path, plen) != 0 || p[plen] != '.')
                        continue;
                idx = strtoul(p + plen + 1, &end, 10);
                if (end != p + plen + 1 && (*end == '.' || !*end))
                        n = MAX(n, (size_t)idx + 1);
        }
        return n;
}
