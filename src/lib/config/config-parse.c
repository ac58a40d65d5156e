/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* YAML text into a BerthConfig: libyaml events into a small checked tree (no aliases, no tags,
 * no duplicate keys, bounded depth and list length), then the tree through the key table. */
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <yaml.h>

#include "config-internal.h"
#include "fileio.h"
#include "parse.h"
#include "strv.h"

typedef enum NodeType {
        NODE_SCALAR,
        NODE_SEQ,
        NODE_MAP,
} NodeType;

typedef struct Node {
        NodeType type;
        unsigned line, column; /* 1-based */
        char *value;           /* scalar text */
        bool null;             /* a plain null scalar: "", "~", "null" */
        struct Node **items;   /* sequence: the entries; mapping: key, value, key, value, … */
        size_t n_items;
        size_t n_alloc;
} Node;

static Node *node_free(Node *n)
{
        if (!n)
                return NULL;
        for (size_t i = 0; i < n->n_items; i++)
                node_free(n->items[i]);
        free(n->items);
        free(n->value);
        free(n);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Node *, node_free);

static void node_append(Node *parent, Node *child)
{
        if (parent->n_items == parent->n_alloc) {
                parent->n_alloc = parent->n_alloc ? parent->n_alloc * 2 : 8;
                parent->items = xreallocarray(parent->items, parent->n_alloc, sizeof(Node *));
        }
        parent->items[parent->n_items++] = child;
}

static const Node *map_get(const Node *map, const char *key)
{
        for (size_t i = 0; map && i + 1 < map->n_items; i += 2)
                if (streq(map->items[i]->value, key))
                        return map->items[i + 1];
        return NULL;
}

typedef struct Parser {
        const char *filename;
        BerthError **reterr;
} Parser;

/* "FILE:LINE:COL: key 'a.b': what", or without the key part when key is NULL. */
_printf_(4, 5) static int node_error(Parser *p, const Node *n, const char *key, const char *fmt,
                                     ...)
{
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                oom();
        va_end(ap);
        /* No file (a KEY=VALUE from the command line): a position would mean nothing. */
        if (!p->filename)
                return key ? berth_error_setf(p->reterr, EBADMSG, "key '%s': %s", key, msg)
                           : berth_error_setf(p->reterr, EBADMSG, "%s", msg);
        if (key)
                return berth_error_setf(p->reterr, EBADMSG, "%s:%u:%u: key '%s': %s", p->filename,
                                        n->line, n->column, key, msg);
        return berth_error_setf(p->reterr, EBADMSG, "%s:%u:%u: %s", p->filename, n->line, n->column,
                                msg);
}

static const char *node_kind(const Node *n)
{
        if (n->type == NODE_SEQ)
                return "a list";
        if (n->type == NODE_MAP)
                return "a mapping";
        return n->null ? "null" : "a scalar";
}

/* ---- events into a tree --------------------------------------------------------------------- */

typedef struct Builder {
        Parser *p;
        Node *root;
        Node *stack[CONFIG_MAX_DEPTH]; /* open collections, outermost first */
        size_t depth;
        unsigned documents;
} Builder;

/* The dotted key of what is being built at the top of the stack, plus key when non-NULL. */
static char *builder_path(const Builder *b, const char *key)
{
        _cleanup_free_ char *path = xstrdup("");
        for (size_t i = 1; i <= b->depth; i++) {
                const Node *parent = b->stack[i - 1];
                char *seg;
                if (i == b->depth && !key)
                        break;
                if (i == b->depth) {
                        _cleanup_free_ char *esc = config_escape(key);
                        seg = xasprintf("%s%s%s", path, *path ? "." : "", esc);
                } else if (parent->type == NODE_MAP) {
                        _cleanup_free_ char *esc =
                                config_escape(parent->items[parent->n_items - 2]->value);
                        seg = xasprintf("%s%s%s", path, *path ? "." : "", esc);
                } else
                        seg = xasprintf("%s[%zu]", path, parent->n_items - 1);
                free(path);
                path = seg;
        }
        return TAKE_PTR(path);
}

static int builder_add(Builder *b, Node *n)
{
        if (b->depth == 0) {
                b->root = n;
                return 0;
        }
        Node *parent = b->stack[b->depth - 1];
        if (parent->type == NODE_SEQ) {
                if (parent->n_items >= CONFIG_MAX_LIST) {
                        _cleanup_free_ char *path = builder_path(b, NULL);
                        int r = node_error(b->p, n, path, "list longer than %d entries",
                                           CONFIG_MAX_LIST);
                        node_free(n);
                        return r;
                }
                node_append(parent, n);
                return 0;
        }

        if (parent->n_items % 2 == 0) { /* n is a key */
                if (n->type != NODE_SCALAR) {
                        int r = node_error(b->p, n, NULL, "keys must be scalars, not %s",
                                           node_kind(n));
                        node_free(n);
                        return r;
                }
                for (size_t i = 0; i < parent->n_items; i += 2)
                        if (streq(parent->items[i]->value, n->value)) {
                                _cleanup_free_ char *path = builder_path(b, n->value);
                                int r = node_error(b->p, n, NULL, "duplicate key '%s'", path);
                                node_free(n);
                                return r;
                        }
                if (parent->n_items / 2 >= CONFIG_MAX_LIST) {
                        _cleanup_free_ char *path = builder_path(b, NULL);
                        int r = node_error(b->p, n, path, "mapping with more than %d keys",
                                           CONFIG_MAX_LIST);
                        node_free(n);
                        return r;
                }
        }
        node_append(parent, n);
        return 0;
}

static int builder_event(Builder *b, const yaml_event_t *ev, bool *ret_done)
{
        Node probe = {.line = ev->start_mark.line + 1, .column = ev->start_mark.column + 1};
        const yaml_char_t *anchor = NULL, *tag = NULL;
        NodeType type;

        switch (ev->type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
        case YAML_NO_EVENT:
                return 0;
        case YAML_STREAM_END_EVENT:
                *ret_done = true;
                return 0;
        case YAML_DOCUMENT_START_EVENT:
                if (b->documents++ > 0)
                        return node_error(b->p, &probe, NULL,
                                          "multiple documents in one config file");
                return 0;
        case YAML_ALIAS_EVENT:
                return node_error(b->p, &probe, NULL, "aliases are not supported");
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                b->depth--;
                return 0;
        case YAML_SCALAR_EVENT:
                anchor = ev->data.scalar.anchor;
                tag = ev->data.scalar.tag;
                type = NODE_SCALAR;
                break;
        case YAML_SEQUENCE_START_EVENT:
                anchor = ev->data.sequence_start.anchor;
                tag = ev->data.sequence_start.tag;
                type = NODE_SEQ;
                break;
        case YAML_MAPPING_START_EVENT:
                anchor = ev->data.mapping_start.anchor;
                tag = ev->data.mapping_start.tag;
                type = NODE_MAP;
                break;
        default:
                return node_error(b->p, &probe, NULL, "unexpected YAML event");
        }

        if (anchor)
                return node_error(b->p, &probe, NULL, "anchors are not supported");
        if (tag)
                return node_error(b->p, &probe, NULL, "tags are not supported");

        Node *n = xcalloc(1, sizeof(Node));
        *n = probe;
        n->type = type;
        if (type == NODE_SCALAR) {
                const char *v = (const char *)ev->data.scalar.value;
                size_t len = ev->data.scalar.length;
                if (strnlen(v, len) != len) {
                        node_free(n);
                        return node_error(b->p, &probe, NULL, "NUL byte in a string");
                }
                n->value = xstrndup(v, len);
                n->null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                          (len == 0 || streq(n->value, "~") || streq(n->value, "null") ||
                           streq(n->value, "Null") || streq(n->value, "NULL"));
        } else if (b->depth >= CONFIG_MAX_DEPTH) {
                node_free(n);
                return node_error(b->p, &probe, NULL, "nesting deeper than %d levels",
                                  CONFIG_MAX_DEPTH);
        }

        int r = builder_add(b, n);
        if (r < 0)
                return r;
        if (type != NODE_SCALAR)
                b->stack[b->depth++] = n;
        return 0;
}

/* Line and column of a byte offset, for reader errors that carry no mark. */
static void offset_position(const char *text, size_t len, size_t offset, unsigned *ret_line,
                            unsigned *ret_col)
{
        unsigned line = 1, col = 1;
        for (size_t i = 0; i < offset && i < len; i++) {
                if (text[i] == '\n') {
                        line++;
                        col = 1;
                } else
                        col++;
        }
        *ret_line = line;
        *ret_col = col;
}

static int build_tree(Parser *p, const char *text, size_t len, Node **ret)
{
        yaml_parser_t yp;
        if (!yaml_parser_initialize(&yp))
                oom();
        yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);

        Builder b = {.p = p};
        int r = 0;
        for (bool done = false; !done && r >= 0;) {
                yaml_event_t ev;
                if (!yaml_parser_parse(&yp, &ev)) {
                        if (yp.error == YAML_MEMORY_ERROR)
                                oom();
                        Node at = {.line = yp.problem_mark.line + 1,
                                   .column = yp.problem_mark.column + 1};
                        if (yp.error == YAML_READER_ERROR)
                                offset_position(text, len, yp.problem_offset, &at.line, &at.column);
                        r = node_error(p, &at, NULL, "invalid YAML: %s",
                                       yp.problem ? yp.problem : "parse error");
                        break;
                }
                r = builder_event(&b, &ev, &done);
                yaml_event_delete(&ev);
        }
        yaml_parser_delete(&yp);
        if (r < 0) {
                node_free(b.root);
                return r;
        }
        *ret = b.root;
        return 0;
}

/* ---- the tree through the key table --------------------------------------------------------- */

static int get_string(Parser *p, const Node *v, const char *key, const char **ret)
{
        if (v->type != NODE_SCALAR || v->null)
                return node_error(p, v, key, "expected a string, got %s", node_kind(v));
        *ret = v->value;
        return 0;
}

/* A scalar for a typed value; *ret NULL when it is null and null is allowed. */
static int get_scalar(Parser *p, const ConfigKey *k, const Node *v, const char *key,
                      const char **ret)
{
        if (v->type != NODE_SCALAR || (v->null && !(k->flags & CKF_NULLABLE)))
                return node_error(p, v, key, "expected %s %s value, got %s",
                                  strchr("aeio", k->type[0]) ? "an" : "a", k->type, node_kind(v));
        *ret = v->null ? NULL : v->value;
        return 0;
}

int config_parse_bool(const char *s, bool *ret)
{
        if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0)
                *ret = true;
        else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0)
                *ret = false;
        else
                return -EINVAL;
        return 0;
}

/* "W[.F]" with at most `digits` decimals, scaled by 10^digits. */
static int parse_decimal(const char *s, unsigned digits, uint64_t *ret)
{
        uint64_t scale = 1;
        for (unsigned i = 0; i < digits; i++)
                scale *= 10;
        const char *dot = strchr(s, '.');
        _cleanup_free_ char *whole_s = dot ? xstrndup(s, dot - s) : xstrdup(s);
        uint64_t whole, frac = 0;
        int r = parse_uint64(whole_s, &whole);
        if (r < 0)
                return r;
        if (dot) {
                size_t n = strlen(dot + 1);
                if (n == 0 || n > digits)
                        return -EINVAL;
                r = parse_uint64(dot + 1, &frac);
                if (r < 0)
                        return r;
                for (size_t i = n; i < digits; i++)
                        frac *= 10;
        }
        if (whole > (UINT64_MAX - frac) / scale)
                return -ERANGE;
        *ret = whole * scale + frac;
        return 0;
}

/* Seconds as "30" or "1.5" (to the microsecond), or with a unit ("500ms", "2m"). */
static int parse_seconds(const char *s, uint64_t *ret)
{
        if (s[strspn(s, "0123456789.")] == 0)
                return parse_decimal(s, 6, ret);
        return parse_duration_usec(s, ret);
}

static void store_uint(void *base, const ConfigKey *k, uint64_t v)
{
        switch (k->size) {
        case 8:
                *CONFIG_FIELD(base, k, uint64_t) = v;
                break;
        case 4:
                *CONFIG_FIELD(base, k, uint32_t) = (uint32_t)v;
                break;
        default:
                abort(); /* a table bug */
        }
}

static int parse_number(Parser *p, const ConfigKey *k, const Node *v, const char *key, void *base)
{
        const char *s;
        int r = get_scalar(p, k, v, key, &s);
        if (r < 0)
                return r;
        if (!s) {
                store_uint(base, k, 0);
                return 0;
        }
        _cleanup_free_ char *esc = config_escape(s);
        uint64_t u;
        r = parse_uint64(s, &u);
        if (r == -ERANGE || (r >= 0 && (u < k->min || u > k->max)))
                return node_error(p, v, key, "%s out of range %" PRIu64 "..%" PRIu64, esc, k->min,
                                  k->max);
        if (r < 0)
                return node_error(p, v, key, "invalid number '%s'", esc);
        store_uint(base, k, u);
        return 0;
}

static int parse_strv(Parser *p, const ConfigKey *k, const Node *v, const char *key, char ***ret)
{
        if (v->type != NODE_SEQ)
                return node_error(p, v, key, "expected a list, got %s", node_kind(v));
        if (v->n_items == 0 && (k->flags & CKF_NONEMPTY))
                return node_error(p, v, key, "expected a non-empty list");

        _cleanup_strv_free_ char **l = NULL;
        for (size_t i = 0; i < v->n_items; i++) {
                const Node *e = v->items[i];
                _cleanup_free_ char *ekey = xasprintf("%s[%zu]", key, i);
                const char *s = NULL;
                int r = get_string(p, e, ekey, &s);
                if (r < 0)
                        return r;
                if (k->valid && !k->valid(s)) {
                        _cleanup_free_ char *esc = config_escape(s);
                        return node_error(p, e, ekey, "invalid %s '%s'", k->what, esc);
                }
                if (i == 0 && (k->flags & CKF_ABS_FIRST) && s[0] != '/') {
                        _cleanup_free_ char *esc = config_escape(s);
                        return node_error(p, e, ekey, "command '%s' is not an absolute path", esc);
                }
                strv_extend(&l, s);
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* Names of the entries of a mapping-valued key: environment variables, or what the key's own
 * check accepts (labels). */
static bool map_entry_name_is_valid(const ConfigKey *k, const char *name)
{
        return k->valid ? k->valid(name) : config_env_name_is_valid(name, strlen(name));
}

static const char *map_entry_what(const ConfigKey *k)
{
        return k->what ?: "variable name";
}

static int parse_env(Parser *p, const ConfigKey *k, const Node *v, const char *key, char ***ret)
{
        if (v->type != NODE_MAP)
                return node_error(p, v, key, "expected a mapping, got %s", node_kind(v));
        _cleanup_strv_free_ char **l = NULL;
        for (size_t i = 0; i + 1 < v->n_items; i += 2) {
                const Node *kn = v->items[i], *vn = v->items[i + 1];
                _cleanup_free_ char *esc = config_escape(kn->value);
                _cleanup_free_ char *ekey = xasprintf("%s.%s", key, esc);
                if (!map_entry_name_is_valid(k, kn->value))
                        return node_error(p, kn, ekey, "invalid %s '%s'", map_entry_what(k), esc);
                const char *s = NULL;
                int r = get_string(p, vn, ekey, &s);
                if (r < 0)
                        return r;
                strv_push(&l, xasprintf("%s=%s", kn->value, s));
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int parse_mapping(Parser *p, const Node *map, const char *tprefix, const char *dprefix,
                         void *base, bool *seen);

static int check_idmap(Parser *p, const Node *item, const char *key, const BerthIdmap *m)
{
        if ((uint64_t)m->container + m->count > (uint64_t)UINT32_MAX + 1)
                return node_error(p, item, key,
                                  "container range %" PRIu32 "+%" PRIu32 " overflows 32 bits",
                                  m->container, m->count);
        if ((uint64_t)m->host + m->count > (uint64_t)UINT32_MAX + 1)
                return node_error(p, item, key,
                                  "host range %" PRIu32 "+%" PRIu32 " overflows 32 bits", m->host,
                                  m->count);
        return 0;
}

/* Derives a mount's flags and fields from its options; unknown words are fs data, except on a
 * bind mount, which has no data to carry them. */
static int check_mount(Parser *p, const Node *item, const char *key, BerthMount *m)
{
        const Node *opts = map_get(item, "options") ?: item;
        _cleanup_free_ char *okey = xasprintf("%s.options", key);
        bool bind = strv_contains(m->options, "bind") || strv_contains(m->options, "rbind");
        _cleanup_strv_free_ char **data = NULL;

        m->flags = 0;
        m->bind = bind;
        m->recursive = m->readonly = m->optional = false;
        m->create = 0;
        STRV_FOREACH(o, m->options)
        {
                if (streq(*o, "bind"))
                        m->flags |= MS_BIND;
                else if (streq(*o, "rbind")) {
                        m->flags |= MS_BIND | MS_REC;
                        m->recursive = true;
                } else if (streq(*o, "ro")) {
                        m->flags |= MS_RDONLY;
                        m->readonly = true;
                } else if (streq(*o, "rw")) {
                        m->flags &= ~(unsigned long)MS_RDONLY;
                        m->readonly = false;
                } else if (streq(*o, "nosuid"))
                        m->flags |= MS_NOSUID;
                else if (streq(*o, "nodev"))
                        m->flags |= MS_NODEV;
                else if (streq(*o, "noexec"))
                        m->flags |= MS_NOEXEC;
                else if (streq(*o, "relatime"))
                        m->flags |= MS_RELATIME;
                else if (streq(*o, "noatime"))
                        m->flags |= MS_NOATIME;
                else if (streq(*o, "optional"))
                        m->optional = true;
                else if (streq(*o, "create=dir"))
                        m->create = 1;
                else if (streq(*o, "create=file"))
                        m->create = 2;
                else if (strncmp(*o, "create=", 7) == 0) {
                        _cleanup_free_ char *esc = config_escape(*o);
                        return node_error(p, opts, okey,
                                          "invalid option '%s' (create=dir or create=file)", esc);
                } else if (bind) {
                        _cleanup_free_ char *esc = config_escape(*o);
                        return node_error(p, opts, okey, "unknown option '%s' for a bind mount",
                                          esc);
                } else
                        strv_extend(&data, *o);
        }

        if (bind) {
                /* "none" is what fstab and LXC users write for a bind mount's type. */
                if (m->type && !streq(m->type, "none")) {
                        _cleanup_free_ char *esc = config_escape(m->type);
                        return node_error(p, item, key, "a bind mount takes no type, got '%s'",
                                          esc);
                }
                free(m->type);
                m->type = NULL;
                if (!m->source || m->source[0] != '/')
                        return node_error(p, item, key, "a bind mount needs an absolute source");
        } else if (!m->type)
                return node_error(p, item, key, "a mount needs a type or the bind option");

        free(m->data);
        m->data = data ? strv_join(data, ",") : NULL;
        return 0;
}

static int parse_list(Parser *p, const ConfigKey *k, const Node *v, const char *key, BerthConfig *c)
{
        const ConfigList *l = k->list;
        if (l->offset_array == offsetof(BerthConfig, network) && v->type == NODE_SCALAR &&
            !v->null && streq(v->value, "none")) {
                /* "network: none", the way people say it, for [{type: none}]. */
                BerthNet *none = xcalloc(1, sizeof(BerthNet));
                l->item_init(none);
                none->type = BERTH_NET_NONE;
                for (size_t i = 0; i < c->n_network; i++)
                        l->item_done(&c->network[i]);
                free(c->network);
                c->network = none;
                c->n_network = 1;
                return 0;
        }
        if (v->type != NODE_SEQ)
                return node_error(p, v, key, "expected a list, got %s", node_kind(v));
        if (v->n_items > l->max)
                return node_error(p, v, key, "%zu entries, at most %zu allowed", v->n_items,
                                  l->max);

        size_t n = 0;
        char *array = v->n_items ? xcalloc(v->n_items, l->item_size) : NULL;
        int r = 0;
        for (size_t i = 0; i < v->n_items; i++) {
                const Node *item = v->items[i];
                void *it = array + i * l->item_size;
                _cleanup_free_ char *ikey = xasprintf("%s[%zu]", key, i);
                bool seen[CONFIG_KEYS_MAX] = {};

                if (item->type != NODE_MAP) {
                        r = node_error(p, item, ikey, "expected a mapping, got %s",
                                       node_kind(item));
                        break;
                }
                l->item_init(it);
                n++;
                r = parse_mapping(p, item, l->prefix, ikey, it, seen);
                if (r < 0)
                        break;

                size_t plen = strlen(l->prefix);
                for (size_t j = 0; j < config_keys_n && r >= 0; j++) {
                        const ConfigKey *f = &config_keys[j];
                        if ((f->flags & CKF_REQUIRED) && !seen[j] &&
                            strncmp(f->key, l->prefix, plen) == 0 && f->key[plen] == '.')
                                r = node_error(p, item, ikey, "missing key '%s'",
                                               f->key + plen + 1);
                }
                if (r < 0)
                        break;

                if (l->offset_array == offsetof(BerthConfig, idmap))
                        r = check_idmap(p, item, ikey, it);
                else if (l->offset_array == offsetof(BerthConfig, mounts))
                        r = check_mount(p, item, ikey, it);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        l->item_done(array + i * l->item_size);
                free(array);
                return r;
        }

        void **slot = (void **)((char *)c + l->offset_array);
        size_t *count = (size_t *)((char *)c + l->offset_count);
        for (size_t i = 0; i < *count; i++)
                l->item_done((char *)*slot + i * l->item_size);
        free(*slot);
        *slot = array;
        *count = v->n_items;
        return 0;
}

/* A number with a unit: an integer, a size, a decimal, a duration or a time span. */
static int parse_quantity(Parser *p, const ConfigKey *k, const Node *v, const char *key,
                          const char *s, const char *esc, void *base)
{
        int r;
        switch (k->kind) {
        case CK_INT64:
                r = parse_int64(s, CONFIG_FIELD(base, k, int64_t));
                if (r == -ERANGE)
                        return node_error(p, v, key, "%s out of range", esc);
                if (r < 0)
                        return node_error(p, v, key, "invalid number '%s'", esc);
                return 0;
        case CK_SIZE: {
                uint64_t u = 0;
                if (s) {
                        r = parse_size(s, &u);
                        if (r == -ERANGE)
                                return node_error(p, v, key, "size '%s' too large", esc);
                        if (r < 0)
                                return node_error(p, v, key, "invalid size '%s'", esc);
                        if (u < k->min)
                                return node_error(p, v, key,
                                                  "size '%s' too small (minimum %" PRIu64 " bytes)",
                                                  esc, k->min);
                }
                *CONFIG_FIELD(base, k, uint64_t) = u;
                return 0;
        }
        case CK_MILLI:
        case CK_DURATION: {
                uint64_t u = 0;
                bool milli = k->kind == CK_MILLI;
                if (s) {
                        r = milli ? parse_milli(s, &u) : parse_seconds(s, &u);
                        if (r == -EINVAL)
                                return node_error(p, v, key, "invalid %s '%s'",
                                                  milli ? "number" : "duration", esc);
                        if (r < 0 || u < k->min || u > k->max) {
                                _cleanup_free_ char *lo =
                                        config_format_fixed(k->min, milli ? 3 : 6);
                                _cleanup_free_ char *hi =
                                        config_format_fixed(k->max, milli ? 3 : 6);
                                return node_error(p, v, key, "%s out of range %s..%s%s", esc, lo,
                                                  hi, milli ? "" : " seconds");
                        }
                }
                *CONFIG_FIELD(base, k, uint64_t) = u;
                return 0;
        }
        case CK_SPAN: {
                uint64_t u = 0;
                if (s) {
                        r = config_parse_span(s, &u);
                        if (r < 0 || u < k->min || u > k->max)
                                return node_error(p, v, key,
                                                  "invalid time span '%s' (a number with s, m, "
                                                  "h, d or w)",
                                                  esc);
                }
                *CONFIG_FIELD(base, k, uint64_t) = u;
                return 0;
        }
        default:
                abort(); /* only the kinds above come here */
        }
}

/* A name from a fixed set: a signal, an init kind, a network type, a storage backend. */
static int parse_named(Parser *p, const ConfigKey *k, const Node *v, const char *key,
                       const char *s, const char *esc, void *base)
{
        switch (k->kind) {
        case CK_SIGNAL: {
                int sig = 0;
                if (s && parse_signal(s, &sig) < 0)
                        return node_error(p, v, key, "invalid signal '%s'", esc);
                *CONFIG_FIELD(base, k, int) = sig;
                return 0;
        }
        case CK_INIT_KIND: {
                InitKind kind = init_kind_from_string(s);
                if (kind < 0)
                        return node_error(p, v, key,
                                          "invalid init kind '%s' (auto, systemd, sysvinit, "
                                          "busybox, openrc or other)",
                                          esc);
                *CONFIG_FIELD(base, k, InitKind) = kind;
                return 0;
        }
        case CK_NET_TYPE: {
                BerthNetType t = berth_net_type_from_string(s);
                if (t < 0)
                        return node_error(p, v, key,
                                          "invalid network type '%s' (none, empty, veth, "
                                          "macvlan or phys)",
                                          esc);
                *CONFIG_FIELD(base, k, BerthNetType) = t;
                return 0;
        }
        case CK_BACKEND: {
                BerthBackend b = berth_backend_from_string(s);
                if (b < 0)
                        return node_error(p, v, key,
                                          "invalid backend '%s' (dir, overlay or btrfs)", esc);
                *CONFIG_FIELD(base, k, BerthBackend) = b;
                return 0;
        }
        default:
                abort(); /* only the kinds above come here */
        }
}

static int parse_value(Parser *p, const ConfigKey *k, const Node *v, const char *key, void *base)
{
        const char *s = NULL;
        _cleanup_free_ char *esc = NULL;
        int r;

        switch (k->kind) {
        case CK_STRV:
        case CK_ENV: {
                char **l = NULL;
                r = k->kind == CK_STRV ? parse_strv(p, k, v, key, &l)
                                        : parse_env(p, k, v, key, &l);
                if (r < 0)
                        return r;
                char ***field = CONFIG_FIELD(base, k, char **);
                strv_free(*field);
                *field = l;
                return 0;
        }
        case CK_LIST:
                return parse_list(p, k, v, key, base);
        case CK_UINT:
                return parse_number(p, k, v, key, base);
        default:
                break;
        }

        /* The rest are scalars. */
        r = get_scalar(p, k, v, key, &s);
        if (r < 0)
                return r;
        if (s)
                esc = config_escape(s);

        switch (k->kind) {
        case CK_STRING: {
                if (s && k->valid && !k->valid(s))
                        return node_error(p, v, key, "invalid %s '%s'", k->what, esc);
                char **field = CONFIG_FIELD(base, k, char *);
                free(*field);
                *field = s ? xstrdup(s) : NULL;
                return 0;
        }
        case CK_BOOL:
                if (config_parse_bool(s, CONFIG_FIELD(base, k, bool)) < 0)
                        return node_error(p, v, key,
                                          "invalid boolean '%s' (true, false, yes or no)", esc);
                return 0;
        case CK_INT64:
        case CK_SIZE:
        case CK_MILLI:
        case CK_DURATION:
        case CK_SPAN:
                return parse_quantity(p, k, v, key, s, esc, base);
        default:
                return parse_named(p, k, v, key, s, esc, base);
        }
}

static bool key_is_plain(const char *k)
{
        /* Dots and brackets are the table's own syntax; "limits.memory: 1G" is not a key. */
        return *k && !strpbrk(k, ".[]");
}

static int parse_mapping(Parser *p, const Node *map, const char *tprefix, const char *dprefix,
                         void *base, bool *seen)
{
        for (size_t i = 0; i + 1 < map->n_items; i += 2) {
                const Node *kn = map->items[i], *vn = map->items[i + 1];
                _cleanup_free_ char *esc = config_escape(kn->value);
                _cleanup_free_ char *dkey =
                        dprefix ? xasprintf("%s.%s", dprefix, esc) : xstrdup(esc);
                _cleanup_free_ char *tkey =
                        tprefix ? xasprintf("%s.%s", tprefix, kn->value) : xstrdup(kn->value);
                bool plain = key_is_plain(kn->value);
                int r;

                const ConfigKey *k = plain ? config_key_find(tkey) : NULL;
                if (k) {
                        if (seen)
                                seen[k - config_keys] = true;
                        r = parse_value(p, k, vn, dkey, base);
                } else if (plain && config_key_is_section(tkey)) {
                        if (vn->type != NODE_MAP)
                                return node_error(p, vn, dkey, "expected a mapping, got %s",
                                                  node_kind(vn));
                        r = parse_mapping(p, vn, tkey, dkey, base, seen);
                } else
                        return node_error(p, kn, NULL, "unknown key '%s'", dkey);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The document's top-level mapping; *ret NULL for an empty document. */
static int parse_root(Parser *p, const char *text, size_t len, Node **ret)
{
        if (len > CONFIG_MAX_BYTES)
                return berth_error_setf(p->reterr, EBADMSG, "%s: file too large (max %d bytes)",
                                        p->filename, CONFIG_MAX_BYTES);
        _cleanup_(node_freep) Node *root = NULL;
        int r = build_tree(p, text ?: "", text ? len : 0, &root);
        if (r < 0)
                return r;
        if (!root || (root->type == NODE_SCALAR && root->null)) {
                *ret = NULL; /* an empty file (or an empty document) is an empty config */
                return 0;
        }
        if (root->type != NODE_MAP)
                return node_error(p, root, NULL, "expected a mapping at the top level, got %s",
                                  node_kind(root));
        *ret = TAKE_PTR(root);
        return 0;
}

/* Parses map into a copy of c, so a failure halfway leaves c as it was. */
static int parse_into_copy(Parser *p, BerthConfig *c, const Node *map, const char *dprefix)
{
        _cleanup_(config_freep) BerthConfig *copy = config_copy(c);
        int r = parse_mapping(p, map, NULL, dprefix, copy, NULL);
        if (r < 0)
                return r;
        config_move(c, TAKE_PTR(copy));
        return 0;
}

int config_parse_into(BerthConfig *c, const char *text, size_t len, const char *filename,
                      BerthError **reterr)
{
        Parser p = {.filename = filename ?: "<config>", .reterr = reterr};
        _cleanup_(node_freep) Node *root = NULL;
        int r = parse_root(&p, text, len, &root);
        if (r < 0 || !root)
                return r;
        return parse_into_copy(&p, c, root, NULL);
}

/* The value under top-level key section (NULL when absent or null); top-level keys not in
 * sections are errors. */
static int find_section(Parser *p, const Node *root, const char *section,
                        const char *const *sections, const Node **ret)
{
        const Node *want = NULL;
        for (size_t i = 0; i + 1 < root->n_items; i += 2) {
                const Node *kn = root->items[i];
                bool known = false;
                for (const char *const *sp = sections; *sp && !known; sp++)
                        known = streq(*sp, kn->value);
                if (!known) {
                        _cleanup_free_ char *esc = config_escape(kn->value);
                        return node_error(p, kn, NULL, "unknown key '%s'", esc);
                }
                if (streq(kn->value, section))
                        want = root->items[i + 1];
        }
        if (want && want->type == NODE_SCALAR && want->null)
                want = NULL;
        if (want && want->type != NODE_MAP)
                return node_error(p, want, section, "expected a mapping, got %s", node_kind(want));
        *ret = want;
        return 0;
}

void config_scalars_free(ConfigScalar *s, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(s[i].key);
                free(s[i].value);
        }
        free(s);
}

int config_section_scalars(const char *text, size_t len, const char *filename,
                           const char *section, const char *const *sections, ConfigScalar **ret,
                           size_t *ret_n, BerthError **reterr)
{
        Parser p = {.filename = filename ?: "<config>", .reterr = reterr};
        _cleanup_(node_freep) Node *root = NULL;
        const Node *want = NULL;
        *ret = NULL;
        *ret_n = 0;
        int r = parse_root(&p, text, len, &root);
        if (r >= 0 && root)
                r = find_section(&p, root, section, sections, &want);
        if (r < 0 || !want)
                return r;

        size_t n = want->n_items / 2;
        ConfigScalar *l = xcalloc(n + 1, sizeof(ConfigScalar));
        for (size_t i = 0; i < n; i++) {
                const Node *kn = want->items[2 * i], *vn = want->items[2 * i + 1];
                if (vn->type != NODE_SCALAR) {
                        _cleanup_free_ char *esc = config_escape(kn->value);
                        _cleanup_free_ char *key = xasprintf("%s.%s", section, esc);
                        config_scalars_free(l, i);
                        return node_error(&p, vn, key, "expected a scalar, got %s",
                                          node_kind(vn));
                }
                l[i] = (ConfigScalar){.key = xstrdup(kn->value),
                                      .value = vn->null ? NULL : xstrdup(vn->value),
                                      .key_line = kn->line, .key_column = kn->column,
                                      .line = vn->line, .column = vn->column};
        }
        *ret = l;
        *ret_n = n;
        return 0;
}

int config_parse_section(BerthConfig *c, const char *text, size_t len, const char *filename,
                         const char *section, const char *const *sections, BerthError **reterr)
{
        Parser p = {.filename = filename ?: "<config>", .reterr = reterr};
        _cleanup_(node_freep) Node *root = NULL;
        int r = parse_root(&p, text, len, &root);
        if (r < 0 || !root)
                return r;
        const Node *want = NULL;
        r = find_section(&p, root, section, sections, &want);
        if (r < 0 || !want)
                return r;
        return parse_into_copy(&p, c, want, section);
}

int config_read_file(const char *path, const char *what, char **ret, size_t *ret_size,
                     BerthError **reterr)
{
        _cleanup_free_ char *text = NULL;
        size_t size;
        /* One byte over the cap, so a file of exactly CONFIG_MAX_BYTES still loads. */
        int r = read_full_file_at(AT_FDCWD, path, CONFIG_MAX_BYTES + 1, &text, &size);
        if (r == -EFBIG || (r >= 0 && size > CONFIG_MAX_BYTES))
                return berth_error_setf(reterr, EBADMSG, "%s: file too large (max %d bytes)", path,
                                        CONFIG_MAX_BYTES);
        if (r < 0)
                return berth_error_set(reterr, r, "read %s'%s'", strempty(what), path);
        *ret = TAKE_PTR(text);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int config_load_file(const char *path, BerthConfig **ret, BerthError **reterr)
{
        _cleanup_free_ char *text = NULL;
        size_t size;
        int r = config_read_file(path, "config ", &text, &size, reterr);
        if (r < 0)
                return r;

        _cleanup_(config_freep) BerthConfig *c = config_new();
        r = config_parse_into(c, text, size, path, reterr);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

/* ---- one key from the command line ---------------------------------------------------------- */

/* An entry of a mapping-valued key (environment.TZ): set to a string, or removed by null. */
static int assign_map_entry(Parser *p, const ConfigKey *k, const char *name, const char *dkey,
                            const Node *v, BerthConfig *c)
{
        _cleanup_free_ char *esc = config_escape(name);
        if (!map_entry_name_is_valid(k, name))
                return node_error(p, v, dkey, "invalid %s '%s'", map_entry_what(k), esc);
        if (v->type != NODE_SCALAR)
                return node_error(p, v, dkey, "expected a string, got %s", node_kind(v));

        /* An entry keeps its place; a new one goes last. */
        char ***field = CONFIG_FIELD(c, k, char **);
        _cleanup_strv_free_ char **l = NULL;
        size_t n = strlen(name);
        bool found = false;
        STRV_FOREACH(e, *field) {
                if (strncmp(*e, name, n) != 0 || (*e)[n] != '=')
                        strv_extend(&l, *e);
                else if (!v->null && !found)
                        strv_push(&l, xasprintf("%s=%s", name, v->value));
                found = found || (strncmp(*e, name, n) == 0 && (*e)[n] == '=');
        }
        if (!v->null && !found)
                strv_push(&l, xasprintf("%s=%s", name, v->value));
        if (strv_length(l) > CONFIG_MAX_LIST)
                return node_error(p, v, k->key, "mapping with more than %d keys", CONFIG_MAX_LIST);
        strv_free(*field);
        *field = TAKE_PTR(l);
        return 0;
}

int config_assign(BerthConfig *c, const char *key, const char *value, BerthError **reterr)
{
        Parser p = {.filename = NULL, .reterr = reterr};
        _cleanup_free_ char *esc = config_escape(key);
        const ConfigKey *map = NULL;
        const char *entry = NULL;

        /* environment.TZ, labels.berth.compose: one entry of a mapping-valued key; the rest
         * of the key is the entry's name, checked by assign_map_entry(). */
        for (size_t i = 0; i < config_keys_n && !map; i++) {
                size_t n = strlen(config_keys[i].key);
                if (config_keys[i].kind == CK_ENV && strncmp(key, config_keys[i].key, n) == 0 &&
                    key[n] == '.') {
                        map = &config_keys[i];
                        entry = key + n + 1;
                }
        }
        /* Otherwise a key or a section of the table; the fields of list items ("mounts[].type")
         * are set through their list. */
        bool plain = *key && key[strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_.")] == 0 &&
                     key[0] != '.' && key[strlen(key) - 1] != '.' && !strstr(key, "..");
        const ConfigKey *k = plain && !map ? config_key_find(key) : NULL;
        bool section = plain && !map && !k && config_key_is_section(key);
        if ((!k && !map && !section) || (k && strchr(k->key, '[')))
                return berth_error_setf(reterr, EBADMSG, "unknown key '%s'", esc);

        _cleanup_(node_freep) Node *root = NULL;
        size_t len = strlen(value);
        int r = len > CONFIG_MAX_BYTES ? berth_error_setf(reterr, EBADMSG, "value too long")
                                       : build_tree(&p, value, len, &root);
        if (r < 0)
                return berth_error_prefix(reterr, r, "key '%s'", esc);
        if (!root) {
                /* An empty value is null, as in a file. */
                root = xcalloc(1, sizeof(Node));
                *root = (Node){.type = NODE_SCALAR, .line = 1, .column = 1, .null = true,
                               .value = xstrdup("")};
        }

        _cleanup_(config_freep) BerthConfig *copy = config_copy(c);
        if (map)
                r = assign_map_entry(&p, map, entry, esc, root, copy);
        else if (k)
                r = parse_value(&p, k, root, esc, copy);
        else if (root->type != NODE_MAP)
                r = node_error(&p, root, esc, "expected a mapping, got %s", node_kind(root));
        else
                r = parse_mapping(&p, root, key, esc, copy, NULL);
        if (r < 0)
                return r;
        config_move(c, TAKE_PTR(copy));
        return 0;
}
