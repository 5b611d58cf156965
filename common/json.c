#include "common/json.h"

#include <string.h>

static void put(ps_json *j, const char *s, size_t n)
{
    if (j->f)
        fwrite(s, 1, n, j->f);
    else
        ps_buf_append(j->b, s, n);
}

static void puts_(ps_json *j, const char *s)
{
    put(j, s, strlen(s));
}

static void newline(ps_json *j)
{
    int i;
    if (!j->pretty)
        return;
    put(j, "\n", 1);
    for (i = 0; i < j->depth; i++)
        put(j, "  ", 2);
}

/* separator before a value or key */
static void pre(ps_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0) {
        if (!j->first[j->depth])
            put(j, j->ndjson && j->depth == 1 ? "\n" : ",", 1);
        j->first[j->depth] = false;
        newline(j);
    }
}

void ps_json_init_file(ps_json *j, FILE *f, bool pretty)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->pretty = pretty;
}

void ps_json_init_buf(ps_json *j, ps_buf *b)
{
    memset(j, 0, sizeof *j);
    j->b = b;
}

void ps_json_init_ndjson(ps_json *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->ndjson = true;
}

static void open_(ps_json *j, const char *c)
{
    pre(j);
    if (!(j->ndjson && j->depth == 0))
        puts_(j, c);
    if (j->depth + 1 < PS_JSON_MAX_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
}

static void close_(ps_json *j, const char *c)
{
    bool empty = j->first[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (j->ndjson && j->depth == 0) {
        if (!empty)
            put(j, "\n", 1);
        return;
    }
    if (!empty)
        newline(j);
    puts_(j, c);
}

void ps_json_begin_object(ps_json *j) { open_(j, "{"); }
void ps_json_end_object(ps_json *j) { close_(j, "}"); }
void ps_json_begin_array(ps_json *j) { open_(j, "["); }
void ps_json_end_array(ps_json *j) { close_(j, "]"); }

/* Escapes s as a JSON string body, streamed to out (no allocation). */
static void escape_to(ps_json *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;
    char u[8];

    while (*p) {
        unsigned char c = *p;
        size_t len = 1;
        const char *rep = NULL;

        if (c == '"')
            rep = "\\\"";
        else if (c == '\\')
            rep = "\\\\";
        else if (c == '<' && p[1] == '/') {
            rep = "<\\/";
            len = 2;
        } else if (c < 0x20 || c == 0x7F) {
            switch (c) {
            case '\n': rep = "\\n"; break;
            case '\r': rep = "\\r"; break;
            case '\t': rep = "\\t"; break;
            default:
                snprintf(u, sizeof u, "\\u%04x", c);
                rep = u;
                break;
            }
        } else if (c >= 0x80) {
            size_t bad = 0, n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            size_t avail = strnlen((const char *)p, n);
            if (avail == n && ps_utf8_valid((const char *)p, n, &bad)) {
                /* U+2028/2029 break JavaScript string literals */
                if (n == 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
                    rep = p[2] == 0xA8 ? "\\u2028" : "\\u2029";
                    len = 3;
                } else {
                    p += n;
                    continue;
                }
            } else {
                rep = "\\ufffd";
            }
        } else {
            p++;
            continue;
        }
        put(out, (const char *)run, (size_t)(p - run));
        puts_(out, rep);
        p += len;
        run = p;
    }
    put(out, (const char *)run, (size_t)(p - run));
}

void ps_json_key(ps_json *j, const char *key)
{
    pre(j);
    put(j, "\"", 1);
    escape_to(j, key);
    puts_(j, j->pretty ? "\": " : "\":");
    j->after_key = true;
}

void ps_json_string(ps_json *j, const char *s)
{
    if (!s) {
        ps_json_null(j);
        return;
    }
    pre(j);
    put(j, "\"", 1);
    escape_to(j, s);
    put(j, "\"", 1);
}

void ps_json_int(ps_json *j, int64_t v)
{
    char tmp[32];
    pre(j);
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    puts_(j, tmp);
}

void ps_json_double(ps_json *j, double v, int decimals)
{
    char tmp[64];
    pre(j);
    snprintf(tmp, sizeof tmp, "%.*f", decimals, v);
    puts_(j, tmp);
}

void ps_json_bool(ps_json *j, bool v)
{
    pre(j);
    puts_(j, v ? "true" : "false");
}

void ps_json_null(ps_json *j)
{
    pre(j);
    puts_(j, "null");
}

void ps_json_raw(ps_json *j, const char *json)
{
    if (!json || !*json) {
        ps_json_null(j);
        return;
    }
    pre(j);
    puts_(j, json);
}

void ps_json_finish(ps_json *j)
{
    if (j->f && !j->ndjson)
        put(j, "\n", 1);
}

void ps_json_kv_str(ps_json *j, const char *k, const char *v)
{
    ps_json_key(j, k);
    ps_json_string(j, v);
}

void ps_json_kv_int(ps_json *j, const char *k, int64_t v)
{
    ps_json_key(j, k);
    ps_json_int(j, v);
}
