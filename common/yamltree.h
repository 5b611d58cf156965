/*
 * yamltree.h - loads a YAML document (libyaml) into a small tree of
 * scalars, sequences and mappings, keeping the line and column of every node
 * for messages.
 *
 * Limits: nesting depth (64), node count (1,000,000) and alias expansion:
 * aliases are resolved by reference, never copied, but the size of the tree
 * with every alias expanded may not exceed 1,000,000 nodes either (the
 * "billion laughs"), and an alias to a node that is still open - a recursive
 * alias - is an error.  Exceeding a limit is PS_ERR_LIMIT naming it.
 *
 * Ownership: ps_yaml_load returns a document owned by the caller, freed with
 * ps_yaml_free; every node belongs to the document.
 */
#ifndef PS_YAMLTREE_H
#define PS_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef enum ps_ynode_type {
    PS_Y_NULL = 0,      /* an empty document */
    PS_Y_SCALAR,
    PS_Y_SEQ,
    PS_Y_MAP
} ps_ynode_type;

typedef struct ps_ynode ps_ynode;
struct ps_ynode {
    ps_ynode_type type;
    int line, col;            /* 1-based */
    char *value;              /* scalars */
    bool quoted;              /* scalar written in quotes (so "null" is a string) */
    ps_ynode **items;         /* sequence items, or map keys/values interleaved */
    size_t n;                 /* items in a sequence; key/value pairs in a map */
    size_t cap;
    bool open;                /* under construction (recursive alias check) */
    bool key_pending;         /* maps under construction: a key waits for its value */
    size_t weight;            /* nodes in the subtree with aliases expanded */
};

typedef struct ps_ydoc {
    ps_ynode *root;
    char *name;               /* file name for messages */
    /* all nodes, for freeing */
    ps_ynode **nodes;
    size_t nnodes, cap;
    /* ps_yaml_load_all: the root of every document of the stream, in order
     * (root is the first); NULL roots are empty documents */
    ps_ynode **roots;
    size_t nroots;
} ps_ydoc;

#define PS_YAML_MAX_DEPTH 64
#define PS_YAML_MAX_NODES 1000000

/* Parses text[0..len).  `name` is used in messages ("rules/x.yml"). */
int ps_yaml_load(const char *text, size_t len, const char *name, ps_ydoc **out, ps_error *err);
int ps_yaml_load_file(const char *path, ps_ydoc **out, ps_error *err);
/* A stream of documents separated by "---" (Sigma rule files with
 * correlations): every root in doc->roots.  Anchors do not cross documents;
 * the limits apply to the whole stream. */
int ps_yaml_load_all(const char *text, size_t len, const char *name, ps_ydoc **out, ps_error *err);
void ps_yaml_free(ps_ydoc *doc);

/* Map lookup by key (NULL if absent or not a map). */
ps_ynode *ps_ymap_get(const ps_ynode *map, const char *key);
static inline ps_ynode *ps_ymap_key(const ps_ynode *map, size_t i) { return map->items[2 * i]; }
static inline ps_ynode *ps_ymap_val(const ps_ynode *map, size_t i) { return map->items[2 * i + 1]; }
/* True for an unquoted null, ~ or empty scalar. */
bool ps_yscalar_is_null(const ps_ynode *n);

#endif
