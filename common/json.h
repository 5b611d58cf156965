/*
 * json.h - a small streaming JSON writer (to a FILE or a ps_buf) with correct
 * string escaping: control characters, quotes and backslashes are escaped,
 * invalid UTF-8 bytes become U+FFFD, and "</" is written "<\/" so that JSON
 * embedded in HTML can never close a script element.
 *
 * Ownership: ps_json borrows its FILE or ps_buf.
 */
#ifndef PS_JSON_H
#define PS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/util.h"

#define PS_JSON_MAX_DEPTH 64

typedef struct ps_json {
    FILE *f;
    ps_buf *b;
    bool pretty;
    int depth;
    bool first[PS_JSON_MAX_DEPTH];
    bool after_key;
    /* NDJSON: the top-level array is written without brackets, one element
     * per line (set with ps_json_init_ndjson) */
    bool ndjson;
} ps_json;

void ps_json_init_file(ps_json *j, FILE *f, bool pretty);
void ps_json_init_buf(ps_json *j, ps_buf *b);
/* NDJSON to a FILE: write one top-level array; each of its elements becomes
 * one line (nothing at all for an empty array). */
void ps_json_init_ndjson(ps_json *j, FILE *f);
void ps_json_begin_object(ps_json *j);
void ps_json_end_object(ps_json *j);
void ps_json_begin_array(ps_json *j);
void ps_json_end_array(ps_json *j);
void ps_json_key(ps_json *j, const char *key);
void ps_json_string(ps_json *j, const char *s);     /* NULL -> null */
void ps_json_int(ps_json *j, int64_t v);
void ps_json_double(ps_json *j, double v, int decimals);
void ps_json_bool(ps_json *j, bool v);
void ps_json_null(ps_json *j);
/* Writes already-serialised JSON (e.g. an evidence column) as a value. */
void ps_json_raw(ps_json *j, const char *json);
/* Ends the document (newline for files). */
void ps_json_finish(ps_json *j);

/* Shorthands: key + value. */
void ps_json_kv_str(ps_json *j, const char *k, const char *v);
void ps_json_kv_int(ps_json *j, const char *k, int64_t v);

#endif
