/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BerthConfig into normalised YAML through libyaml's emitter, key by key in table order, so that
 * parsing the output reproduces the config exactly. */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "config-internal.h"
#include "fileio.h"
#include "parse.h"
#include "strv.h"

typedef struct Emitter {
        yaml_emitter_t e;
        bool failed;
        char *buf;
        size_t len, alloc;
} Emitter;

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
        Emitter *em = data;
        if (em->len + size + 1 > em->alloc) {
                em->alloc = MAX(em->alloc * 2, em->len + size + 1);
                em->buf = xrealloc(em->buf, em->alloc);
        }
        memcpy(em->buf + em->len, buffer, size);
        em->len += size;
        em->buf[em->len] = 0;
        return 1;
}

/* Emits an initialised event; after the first failure everything is a no-op. */
static void emit(Emitter *em, yaml_event_t *ev, int initialised)
{
        if (!initialised) {
                /* Only invalid UTF-8 (or lack of memory) makes an event fail to initialise. */
                em->failed = true;
                return;
        }
        if (em->failed) {
                yaml_event_delete(ev);
                return;
        }
        /* The emitter owns the event from here, whether it succeeds or not. */
        if (!yaml_emitter_emit(&em->e, ev))
                em->failed = true;
}

static void emit_scalar(Emitter *em, const char *s, yaml_scalar_style_t style)
{
        yaml_event_t ev;
        emit(em, &ev,
             yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
                                          style));
}

/* Would a plain scalar with this text read back as something other than a string? The parser
 * only cares about null, but other YAML readers see booleans and numbers too. */
static bool needs_quotes(const char *s)
{
        static const char *const words[] = {"",   "~",  "null", "true", "false", "yes",
                                            "no", "on", "off",  "y",    "n"};
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (strcasecmp(s, words[i]) == 0)
                        return true;
        /* YAML 1.1 readers take "12:30" as a base-60 number. */
        if (strspn(s, "0123456789:._") == strlen(s))
                return true;
        if (strchr("0123456789+-.", s[0])) {
                char *end;
                (void)strtod(s, &end);
                if (*end == 0)
                        return true;
        }
        return false;
}

static void emit_null(Emitter *em)
{
        emit_scalar(em, "null", YAML_PLAIN_SCALAR_STYLE);
}

static void emit_string(Emitter *em, const char *s)
{
        if (!s)
                emit_null(em);
        else
                emit_scalar(em, s,
                            needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
                                            : YAML_ANY_SCALAR_STYLE);
}

static void emit_text(Emitter *em, char *s) /* takes s */
{
        emit_scalar(em, s, YAML_PLAIN_SCALAR_STYLE);
        free(s);
}

static void emit_map_start(Emitter *em)
{
        yaml_event_t ev;
        emit(em, &ev,
             yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

static void emit_map_end(Emitter *em)
{
        yaml_event_t ev;
        emit(em, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void emit_seq_start(Emitter *em, yaml_sequence_style_t style)
{
        yaml_event_t ev;
        emit(em, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, style));
}

static void emit_seq_end(Emitter *em)
{
        yaml_event_t ev;
        emit(em, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void emit_table(Emitter *em, const char *prefix, const void *base);

static void emit_value(Emitter *em, const ConfigKey *k, const void *base)
{
        bool nullable = k->flags & CKF_NULLABLE;

        switch (k->kind) {
        case CK_STRING:
                emit_string(em, *CONFIG_CFIELD(base, k, char *));
                return;
        case CK_BOOL:
                emit_scalar(em, *CONFIG_CFIELD(base, k, bool) ? "true" : "false",
                            YAML_PLAIN_SCALAR_STYLE);
                return;
        case CK_UINT: {
                uint64_t v = k->size == 8 ? *CONFIG_CFIELD(base, k, uint64_t)
                                          : *CONFIG_CFIELD(base, k, uint32_t);
                if (v == 0 && nullable)
                        emit_null(em);
                else
                        emit_text(em, xasprintf("%" PRIu64, v));
                return;
        }
        case CK_INT64:
                emit_text(em, xasprintf("%" PRId64, *CONFIG_CFIELD(base, k, int64_t)));
                return;
        case CK_SIZE:
        case CK_MILLI:
        case CK_DURATION: {
                uint64_t v = *CONFIG_CFIELD(base, k, uint64_t);
                if (v == 0 && nullable)
                        emit_null(em);
                else if (k->kind == CK_SIZE)
                        emit_text(em, xasprintf("%" PRIu64, v));
                else
                        emit_text(em, config_format_fixed(v, k->kind == CK_MILLI ? 3 : 6));
                return;
        }
        case CK_SIGNAL: {
                int sig = *CONFIG_CFIELD(base, k, int);
                char buf[16];
                if (sig == 0)
                        emit_null(em);
                else
                        emit_string(em, signal_to_string(sig, buf));
                return;
        }
        case CK_INIT_KIND:
                emit_string(em, init_kind_to_string(*CONFIG_CFIELD(base, k, InitKind)));
                return;
        case CK_NET_TYPE:
                emit_string(em, berth_net_type_to_string(*CONFIG_CFIELD(base, k, BerthNetType)));
                return;
        case CK_BACKEND:
                emit_string(em, berth_backend_to_string(*CONFIG_CFIELD(base, k, BerthBackend)));
                return;
        case CK_SPAN: {
                uint64_t v = *CONFIG_CFIELD(base, k, uint64_t);
                if (v == 0)
                        emit_null(em);
                else
                        emit_text(em, config_format_span(v));
                return;
        }
        case CK_STRV:
                emit_seq_start(em, YAML_FLOW_SEQUENCE_STYLE);
                STRV_FOREACH(s, *CONFIG_CFIELD(base, k, char **))
                emit_string(em, *s);
                emit_seq_end(em);
                return;
        case CK_ENV:
                emit_map_start(em);
                STRV_FOREACH(s, *CONFIG_CFIELD(base, k, char **))
                {
                        const char *eq = strchr(*s, '=');
                        _cleanup_free_ char *name = eq ? xstrndup(*s, eq - *s) : xstrdup(*s);
                        emit_string(em, name);
                        emit_string(em, eq ? eq + 1 : "");
                }
                emit_map_end(em);
                return;
        case CK_LIST: {
                const ConfigList *l = k->list;
                const char *array = *(char *const *)((const char *)base + l->offset_array);
                size_t n = *(const size_t *)((const char *)base + l->offset_count);
                emit_seq_start(em, YAML_BLOCK_SEQUENCE_STYLE);
                for (size_t i = 0; i < n; i++)
                        emit_table(em, l->prefix, array + i * l->item_size);
                emit_seq_end(em);
                return;
        }
        }
        abort(); /* a kind without an emitter */
}

/* The keys directly below prefix (NULL: the top level, not list items), in table order, as one
 * mapping; sections open and close as the dotted keys go in and out of them. */
static void emit_table(Emitter *em, const char *prefix, const void *base)
{
        size_t plen = prefix ? strlen(prefix) : 0;
        char *open[CONFIG_MAX_DEPTH];
        size_t n_open = 0;

        emit_map_start(em);
        for (size_t i = 0; i < config_keys_n; i++) {
                const ConfigKey *k = &config_keys[i];
                const char *rel = k->key;
                if (prefix) {
                        if (strncmp(rel, prefix, plen) != 0 || rel[plen] != '.')
                                continue;
                        rel += plen + 1;
                } else if (strstr(rel, "[]"))
                        continue;

                /* Split "a.b.leaf" into sections and the leaf. */
                _cleanup_strv_free_ char **parts = NULL;
                for (const char *p = rel;;) {
                        size_t n = strcspn(p, ".");
                        strv_push(&parts, xstrndup(p, n));
                        if (!p[n])
                                break;
                        p += n + 1;
                }
                size_t n_parts = strv_length(parts), common = 0;
                while (common < n_open && common + 1 < n_parts &&
                       streq(open[common], parts[common]))
                        common++;
                while (n_open > common) {
                        emit_map_end(em);
                        free(open[--n_open]);
                }
                while (n_open + 1 < n_parts && n_open < ELEMENTSOF(open)) {
                        emit_string(em, parts[n_open]);
                        emit_map_start(em);
                        open[n_open] = xstrdup(parts[n_open]);
                        n_open++;
                }
                emit_string(em, parts[n_parts - 1]);
                emit_value(em, k, base);
        }
        while (n_open > 0) {
                emit_map_end(em);
                free(open[--n_open]);
        }
        emit_map_end(em);
}

/* One document holding either the whole config (k NULL) or the value of key k. */
static char *emit_document(const BerthConfig *c, const ConfigKey *k)
{
        Emitter em = {};
        yaml_event_t ev;

        if (!yaml_emitter_initialize(&em.e))
                oom();
        yaml_emitter_set_output(&em.e, write_handler, &em);
        yaml_emitter_set_unicode(&em.e, 1);
        yaml_emitter_set_width(&em.e, -1); /* never fold long strings over lines */
        yaml_emitter_set_indent(&em.e, 2);

        emit(&em, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
        emit(&em, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
        if (k)
                emit_value(&em, k, c);
        else
                emit_table(&em, NULL, c);
        emit(&em, &ev, yaml_document_end_event_initialize(&ev, 1));
        emit(&em, &ev, yaml_stream_end_event_initialize(&ev));
        if (!em.failed && !yaml_emitter_flush(&em.e))
                em.failed = true;
        yaml_emitter_delete(&em.e);

        if (em.failed) {
                free(em.buf);
                return NULL;
        }
        return em.buf ?: xstrdup("");
}

char *config_to_yaml(const BerthConfig *c)
{
        return emit_document(c, NULL);
}

char **config_changed_keys(const BerthConfig *a, const BerthConfig *b)
{
        /* Compared as the text each value is saved as: what differs there differs on disk, and
         * every key of the table is covered without a comparison of its own. */
        char **changed = NULL;
        for (size_t i = 0; i < config_keys_n; i++) {
                const ConfigKey *k = &config_keys[i];
                if (strstr(k->key, "[]"))
                        continue;
                _cleanup_free_ char *ta = emit_document(a, k), *tb = emit_document(b, k);
                if (!streq_ptr(ta, tb))
                        strv_extend(&changed, k->key);
        }
        return changed;
}

int config_save(const BerthConfig *c, const char *path, BerthError **reterr)
{
        _cleanup_free_ char *yaml = config_to_yaml(c);
        if (!yaml)
                return berth_error_setf(reterr, EINVAL,
                                        "save config '%s': a string is not valid UTF-8", path);
        /* 0600: the environment may carry secrets. */
        int r = write_file_atomic_at(AT_FDCWD, path, yaml, strlen(yaml), 0600);
        if (r < 0)
                return berth_error_set(reterr, r, "save config '%s'", path);
        return 0;
}
