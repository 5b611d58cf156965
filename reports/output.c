#include "reports/output.h"

#include "common/escape.h"
#include "common/json.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int ps_out_format_parse(const char *s, ps_out_format *f)
{
    if (!strcmp(s, "text"))
        *f = PS_FMT_TEXT;
    else if (!strcmp(s, "json"))
        *f = PS_FMT_JSON;
    else if (!strcmp(s, "csv"))
        *f = PS_FMT_CSV;
    else if (!strcmp(s, "ndjson"))
        *f = PS_FMT_NDJSON;
    else
        return -1;
    return 0;
}

const char *ps_out_format_name(ps_out_format f)
{
    return f == PS_FMT_JSON ? "json" : f == PS_FMT_CSV ? "csv" : f == PS_FMT_NDJSON ? "ndjson" : "text";
}

const char *ps_color(const ps_report_opts *o, const char *code)
{
    static _Thread_local char buf[4][16];
    static _Thread_local int k;
    char *b;

    if (!o->color)
        return "";
    b = buf[k++ & 3];
    snprintf(b, sizeof buf[0], "\033[%sm", code);
    return b;
}

const char *ps_severity_color(const char *sev)
{
    if (!sev)
        return PS_C_RESET;
    if (!strcmp(sev, "critical"))
        return PS_C_BOLDRED;
    if (!strcmp(sev, "high"))
        return PS_C_RED;
    if (!strcmp(sev, "medium"))
        return PS_C_YELLOW;
    if (!strcmp(sev, "low"))
        return PS_C_CYAN;
    return PS_C_DIM;
}

void ps_csv_field(FILE *f, const char *s, bool first)
{
    static FILE *last;
    static int last_fd = -1;
    static ps_csv_mode mode;
    const char *p;
    bool quote = false, lead;

    if (!first)
        fputc(',', f);
    if (!s)
        return;
    if (f != last || fileno(f) != last_fd) {   /* isatty once per stream, not per cell */
        last = f;
        last_fd = fileno(f);
        mode = ps_csv_mode_of(f);
    }
    if (mode == PS_CSV_TERMINAL)
        s = ps_tx(s);
    lead = mode == PS_CSV_FILE && ps_csv_formula(s);
    for (p = s; *p; p++)
        if (*p == ',' || *p == '"' || *p == '\n' || *p == '\r')
            quote = true;
    if (!quote && !lead) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    if (lead)
        fputc('\'', f);
    for (p = s; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

void ps_csv_int(FILE *f, int64_t v, bool first)
{
    if (!first)
        fputc(',', f);
    fprintf(f, "%lld", (long long)v);
}

void ps_csv_null(FILE *f, bool first)
{
    if (!first)
        fputc(',', f);
}

void ps_csv_column(FILE *f, sqlite3_stmt *st, int col, bool first)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        ps_csv_null(f, first);
        break;
    case SQLITE_INTEGER:
        ps_csv_int(f, sqlite3_column_int64(st, col), first);
        break;
    default:
        ps_csv_field(f, (const char *)sqlite3_column_text(st, col), first);
    }
}

void ps_json_column(ps_json *j, sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        ps_json_null(j);
        break;
    case SQLITE_INTEGER:
        ps_json_int(j, sqlite3_column_int64(st, col));
        break;
    case SQLITE_FLOAT: {
        /* SQLite's shortest text form is a JSON number unless infinite */
        const char *t = (const char *)sqlite3_column_text(st, col);
        if (t && !strpbrk(t, "IiNn"))
            ps_json_raw(j, t);
        else
            ps_json_null(j);
        break;
    }
    default:
        ps_json_string(j, (const char *)sqlite3_column_text(st, col));
    }
}

int ps_report_json_rows(ps_store *s, const ps_report_opts *o, const char *key,
                        int (*write)(ps_store *s, const ps_report_opts *o, ps_json *j, ps_error *err),
                        ps_error *err)
{
    ps_json_section section = {key, write};
    ps_json j;

    if (o->format != PS_FMT_NDJSON)
        return ps_report_json_document(s, o, &section, 1, err);
    ps_json_init_ndjson(&j, o->out);
    return write(s, o, &j, err);
}

int ps_report_json_document(ps_store *s, const ps_report_opts *o, const ps_json_section *sections, size_t n,
                            ps_error *err)
{
    ps_json j;
    size_t i;
    int rc;

    ps_json_init_file(&j, o->out, true);
    ps_json_begin_object(&j);
    for (i = 0; i < n; i++) {
        ps_json_key(&j, sections[i].key);
        if ((rc = sections[i].write(s, o, &j, err)) < 0)
            return rc;
    }
    ps_json_end_object(&j);
    ps_json_finish(&j);
    return 0;
}

void ps_format_ts(const char *basis, int64_t ts, char *buf, size_t cap)
{
    char tmp[64];

    if (!strcmp(basis, "time-of-day")) {
        int64_t day = ts / PS_TICKS_PER_DAY;
        ps_format_tod(ts, tmp, sizeof tmp);
        if (day > 0)
            snprintf(buf, cap, "%s+%lldd", tmp, (long long)day);
        else
            snprintf(buf, cap, "%s", tmp);
        return;
    }
    ps_format_filetime(ts, tmp, sizeof tmp);
    tmp[10] = 'T';
    snprintf(buf, cap, "%s%s", tmp, !strcmp(basis, "utc") ? "Z" : "");
}

void ps_trace_basis(ps_store *s, int64_t trace_id, char *basis, size_t cap)
{
    sqlite3_stmt *st;

    ps_strlcpy(basis, "utc", cap);
    if (sqlite3_prepare_v2(ps_store_db(s), "SELECT time_basis FROM traces WHERE trace_id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, trace_id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        ps_strlcpy(basis, (const char *)sqlite3_column_text(st, 0), cap);
    sqlite3_finalize(st);
}

void ps_format_ms(int64_t ticks, char *buf, size_t cap)
{
    int64_t us = ticks / 10, frac;
    bool neg = ticks < 0;
    if (neg)
        us = -us;
    frac = us % 1000;
    snprintf(buf, cap, "%s%lld.%03lld", neg ? "-" : "", (long long)(us / 1000), (long long)frac);
}

int ps_report_db_error(ps_store *s, ps_error *err)
{
    return ps_store_fail(s, err, "cannot read the model");
}

/* ---- evidence mini reader ------------------------------------------------------ */

static const char *skip_ws(const char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

/* Parses a JSON string at p (after the opening quote); returns the end. */
static const char *read_string(const char *p, ps_buf *out)
{
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) {
            p++;
            switch (*p) {
            case 'n': ps_buf_putc(out, '\n'); break;
            case 't': ps_buf_putc(out, '\t'); break;
            case 'r': ps_buf_putc(out, '\r'); break;
            case 'u': {
                unsigned v = 0;
                int i;
                for (i = 1; i <= 4 && isxdigit((unsigned char)p[i]); i++)
                    v = v * 16 + (unsigned)(isdigit((unsigned char)p[i]) ? p[i] - '0' : (tolower(p[i]) - 'a' + 10));
                p += 4;
                if (v < 0x80) {
                    ps_buf_putc(out, (char)v);
                } else if (v < 0x800) {
                    ps_buf_putc(out, (char)(0xC0 | (v >> 6)));
                    ps_buf_putc(out, (char)(0x80 | (v & 0x3F)));
                } else {
                    ps_buf_putc(out, (char)(0xE0 | (v >> 12)));
                    ps_buf_putc(out, (char)(0x80 | ((v >> 6) & 0x3F)));
                    ps_buf_putc(out, (char)(0x80 | (v & 0x3F)));
                }
                break;
            }
            default: ps_buf_putc(out, *p); break;
            }
            p++;
            continue;
        }
        ps_buf_putc(out, *p++);
    }
    return *p == '"' ? p + 1 : p;
}

char *ps_evidence_string(const char *json, const char *key)
{
    const char *p;
    int depth = 0;
    ps_buf k, v;
    char *res = NULL;

    if (!json)
        return NULL;
    ps_buf_init(&k);
    ps_buf_init(&v);
    for (p = json; *p;) {
        if (*p == '{' || *p == '[') {
            depth++;
            p++;
        } else if (*p == '}' || *p == ']') {
            depth--;
            p++;
        } else if (*p == '"') {
            ps_buf_reset(&k);
            p = read_string(p + 1, &k);
            p = skip_ws(p);
            if (*p == ':' && depth == 1 && !strcmp(ps_buf_cstr(&k), key)) {
                p = skip_ws(p + 1);
                if (*p == '"') {
                    ps_buf_reset(&v);
                    read_string(p + 1, &v);
                    res = ps_strdup(ps_buf_cstr(&v));
                }
                break;
            }
        } else {
            p++;
        }
    }
    ps_buf_release(&k);
    ps_buf_release(&v);
    return res;
}

size_t ps_evidence_event_ids(const char *json, int64_t *ids, size_t max)
{
    const char *p = json;
    size_t n = 0;

    while (p && (p = strstr(p, "\"event_id\":")) != NULL && n < max) {
        p += 11;
        p = skip_ws(p);
        ids[n++] = strtoll(p, NULL, 10);
    }
    return n;
}
