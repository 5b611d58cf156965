#include "common/yamltree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/util.h"

typedef struct anchor {
    char *name;
    ps_ynode *node;
} anchor;

typedef struct builder {
    ps_ydoc *doc;
    ps_ynode *stack[PS_YAML_MAX_DEPTH + 1];
    int depth;
    anchor *anchors;
    size_t nanchors, acap;
    ps_error *err;
    int last_rc;
    ps_map keys;    /* hash of (map, key text) -> 1: duplicate keys found in O(1) */
} builder;

static ps_ynode *new_node(builder *b, ps_ynode_type t, const yaml_mark_t *m)
{
    ps_ydoc *d = b->doc;
    ps_ynode *n;

    if (d->nnodes >= PS_YAML_MAX_NODES) {
        b->last_rc = ps_error_set(b->err, PS_ERR_LIMIT, "'%s': line %zu: more than %d YAML nodes",
                                  d->name, m->line + 1, PS_YAML_MAX_NODES);
        return NULL;
    }
    if (d->nnodes == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 64;
        ps_ynode **nn = realloc(d->nodes, nc * sizeof *nn);
        if (!nn) {
            b->last_rc = ps_error_nomem(b->err);
            return NULL;
        }
        d->nodes = nn;
        d->cap = nc;
    }
    n = calloc(1, sizeof *n);
    if (!n) {
        b->last_rc = ps_error_nomem(b->err);
        return NULL;
    }
    n->type = t;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    d->nodes[d->nnodes++] = n;
    return n;
}

static int grow_items(builder *b, ps_ynode *p, size_t need)
{
    if (need > p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 8;
        ps_ynode **ni;
        while (nc < need)
            nc *= 2;
        ni = realloc(p->items, nc * sizeof *ni);
        if (!ni)
            return ps_error_nomem(b->err);
        p->items = ni;
        p->cap = nc;
    }
    return 0;
}

/* Adds a finished child to the node on top of the stack. */
static int attach(builder *b, ps_ynode *child)
{
    ps_ynode *p;

    if (b->depth == 0) {
        b->doc->root = child;
        return 0;
    }
    p = b->stack[b->depth - 1];
    if (child->weight == 0)
        child->weight = 1;
    p->weight += child->weight;
    if (p->weight > PS_YAML_MAX_NODES)
        return ps_error_set(b->err, PS_ERR_LIMIT,
                            "'%s': line %d: the YAML expands to more than %d nodes through aliases",
                            b->doc->name, child->line, PS_YAML_MAX_NODES);
    if (p->type == PS_Y_SEQ) {
        if (grow_items(b, p, p->n + 1) < 0)
            return PS_ERR_NOMEM;
        p->items[p->n++] = child;
        return 0;
    }
    /* map: items alternate key, value */
    if (grow_items(b, p, p->n * 2 + 2) < 0)
        return PS_ERR_NOMEM;
    if (!p->key_pending) {
        if (child->type == PS_Y_SCALAR && child->value && strcmp(child->value, "<<") != 0) {
            /* a key given twice: YAML forbids it, and a rule whose second
             * `condition:` silently replaced the first would not be the rule
             * its author reviewed */
            uint64_t h = ps_hash_mix(ps_hash_bytes(child->value, strlen(child->value), 0x9e37u),
                                     (uint64_t)(uintptr_t)p);
            uint64_t v;
            if (ps_map_get(&b->keys, h, &v)) {
                size_t i;
                for (i = 0; i < p->n; i++) {
                    const ps_ynode *k = p->items[2 * i];
                    if (k->type == PS_Y_SCALAR && k->value && !strcmp(k->value, child->value))
                        return ps_error_set(b->err, PS_ERR_INPUT,
                                            "'%s': line %d: duplicate key '%.200s' (first at line %d)",
                                            b->doc->name, child->line, child->value, k->line);
                }
            } else if (ps_map_put(&b->keys, h, 1) < 0) {
                return ps_error_nomem(b->err);
            }
        }
        p->items[p->n * 2] = child;
        p->key_pending = true;
    } else {
        p->items[p->n * 2 + 1] = child;
        p->n++;
        p->key_pending = false;
    }
    return 0;
}

static int add_anchor(builder *b, const char *name, ps_ynode *n)
{
    if (b->nanchors == b->acap) {
        size_t nc = b->acap ? b->acap * 2 : 16;
        anchor *na = realloc(b->anchors, nc * sizeof *na);
        if (!na)
            return ps_error_nomem(b->err);
        b->anchors = na;
        b->acap = nc;
    }
    b->anchors[b->nanchors].name = ps_strdup(name);
    if (!b->anchors[b->nanchors].name)
        return ps_error_nomem(b->err);
    b->anchors[b->nanchors++].node = n;
    return 0;
}

static ps_ynode *find_anchor(builder *b, const char *name)
{
    size_t i = b->nanchors;
    while (i-- > 0)
        if (strcmp(b->anchors[i].name, name) == 0)
            return b->anchors[i].node;
    return NULL;
}

static int push_root(ps_ydoc *doc, ps_ynode *root)
{
    ps_ynode **nr = realloc(doc->roots, (doc->nroots + 1) * sizeof *nr);
    if (!nr)
        return PS_ERR_NOMEM;
    doc->roots = nr;
    doc->roots[doc->nroots++] = root;
    return 0;
}

static int load(const char *text, size_t len, const char *name, bool multi, ps_ydoc **out, ps_error *err)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    builder b;
    ps_ydoc *doc;
    int rc = 0, docs = 0;
    bool done = false;
    size_t i;

    *out = NULL;
    doc = calloc(1, sizeof *doc);
    if (!doc)
        return ps_error_nomem(err);
    doc->name = ps_strdup(name ? name : "<yaml>");
    memset(&b, 0, sizeof b);
    b.doc = doc;
    b.err = err;
    ps_map_init(&b.keys);
    if (!doc->name || !yaml_parser_initialize(&parser)) {
        ps_yaml_free(doc);
        return ps_error_nomem(err);
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    while (!done) {
        ps_ynode *n = NULL;
        if (!yaml_parser_parse(&parser, &ev)) {
            if (parser.error == YAML_MEMORY_ERROR) {   /* libyaml's allocation: not the file's fault */
                rc = ps_error_nomem(err);
                break;
            }
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %zu column %zu: %s%s%s", doc->name,
                              parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                              parser.problem ? parser.problem : "malformed YAML",
                              parser.context ? " " : "", parser.context ? parser.context : "");
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1 && !multi) {
                rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %zu: more than one YAML document",
                                  doc->name, ev.start_mark.line + 1);
            }
            if (multi) {
                /* anchors belong to their document */
                size_t k;
                for (k = 0; k < b.nanchors; k++)
                    free(b.anchors[k].name);
                b.nanchors = 0;
            }
            break;
        case YAML_DOCUMENT_END_EVENT:
            if (multi) {
                if (push_root(doc, doc->root) < 0)
                    rc = ps_error_nomem(err);
                doc->root = NULL;
            }
            break;
        case YAML_SCALAR_EVENT:
            n = new_node(&b, PS_Y_SCALAR, &ev.start_mark);
            if (!n) {
                rc = b.last_rc;
                break;
            }
            n->value = ps_strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            if (!n->value) {
                rc = ps_error_nomem(err);
                break;
            }
            n->quoted = ev.data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                        ev.data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
                        ev.data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                        ev.data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
            if (ev.data.scalar.anchor && add_anchor(&b, (const char *)ev.data.scalar.anchor, n) < 0) {
                rc = PS_ERR_NOMEM;
                break;
            }
            {
                int r2 = attach(&b, n);
                if (r2 < 0)
                    rc = r2;
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            bool seq = ev.type == YAML_SEQUENCE_START_EVENT;
            const unsigned char *anc = seq ? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor;
            if (b.depth >= PS_YAML_MAX_DEPTH) {
                rc = ps_error_set(err, PS_ERR_LIMIT, "'%s': line %zu: YAML nested deeper than %d levels",
                                  doc->name, ev.start_mark.line + 1, PS_YAML_MAX_DEPTH);
                break;
            }
            n = new_node(&b, seq ? PS_Y_SEQ : PS_Y_MAP, &ev.start_mark);
            if (!n) {
                rc = b.last_rc;
                break;
            }
            n->open = true;
            n->weight = 1;
            if (anc && add_anchor(&b, (const char *)anc, n) < 0) {
                rc = PS_ERR_NOMEM;
                break;
            }
            b.stack[b.depth++] = n;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            n = b.stack[--b.depth];
            n->open = false;
            {
                int r2 = attach(&b, n);
                if (r2 < 0)
                    rc = r2;
            }
            break;
        case YAML_ALIAS_EVENT:
            n = find_anchor(&b, (const char *)ev.data.alias.anchor);
            if (!n) {
                rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %zu: unknown YAML alias '*%s'",
                                  doc->name, ev.start_mark.line + 1, ev.data.alias.anchor);
                break;
            }
            if (n->open) {
                rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %zu: recursive YAML alias '*%s'",
                                  doc->name, ev.start_mark.line + 1, ev.data.alias.anchor);
                break;
            }
            {
                int r2 = attach(&b, n);
                if (r2 < 0)
                    rc = r2;
            }
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (rc < 0)
            break;
    }
    yaml_parser_delete(&parser);
    for (i = 0; i < b.nanchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    ps_map_release(&b.keys);
    if (rc < 0) {
        ps_yaml_free(doc);
        return rc;
    }
    if (multi)
        doc->root = doc->nroots ? doc->roots[0] : NULL;
    *out = doc;
    return 0;
}

int ps_yaml_load(const char *text, size_t len, const char *name, ps_ydoc **out, ps_error *err)
{
    return load(text, len, name, false, out, err);
}

int ps_yaml_load_all(const char *text, size_t len, const char *name, ps_ydoc **out, ps_error *err)
{
    return load(text, len, name, true, out, err);
}

int ps_yaml_load_file(const char *path, ps_ydoc **out, ps_error *err)
{
    FILE *f = fopen(path, "rb");
    ps_buf buf;
    char chunk[65536];
    size_t n;
    int rc;

    *out = NULL;
    if (!f)
        return ps_error_set(err, errno == ENOENT ? PS_ERR_INPUT : PS_ERR_IO, "cannot open '%s': %s",
                            path, errno == ENOENT ? "no such file" : ps_errno_text(errno));
    ps_buf_init(&buf);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf.len + n > (64u << 20)) {
            fclose(f);
            ps_buf_release(&buf);
            return ps_error_set(err, PS_ERR_LIMIT, "'%s': larger than 64 MiB", path);
        }
        if (ps_buf_append(&buf, chunk, n) < 0) {
            fclose(f);
            ps_buf_release(&buf);
            return ps_error_nomem(err);
        }
    }
    fclose(f);
    rc = ps_yaml_load(ps_buf_cstr(&buf), buf.len, path, out, err);
    ps_buf_release(&buf);
    return rc;
}

void ps_yaml_free(ps_ydoc *doc)
{
    size_t i;
    if (!doc)
        return;
    for (i = 0; i < doc->nnodes; i++) {
        ps_ynode *n = doc->nodes[i];
        if (n->type == PS_Y_SCALAR)
            free(n->value);
        free(n->items);
        free(n);
    }
    free(doc->nodes);
    free(doc->roots);
    free(doc->name);
    free(doc);
}

ps_ynode *ps_ymap_get(const ps_ynode *map, const char *key)
{
    size_t i;
    if (!map || map->type != PS_Y_MAP)
        return NULL;
    for (i = 0; i < map->n; i++) {
        ps_ynode *k = map->items[2 * i];
        if (k->type == PS_Y_SCALAR && strcmp(k->value, key) == 0)
            return map->items[2 * i + 1];
    }
    return NULL;
}

bool ps_yscalar_is_null(const ps_ynode *n)
{
    if (!n || n->type == PS_Y_NULL)
        return true;
    if (n->type != PS_Y_SCALAR || n->quoted)
        return false;
    return !n->value[0] || strcmp(n->value, "~") == 0 || strcmp(n->value, "null") == 0 ||
           strcmp(n->value, "Null") == 0 || strcmp(n->value, "NULL") == 0;
}
