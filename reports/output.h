/*
 * output.h - what every report shares: output formats, colour, CSV quoting,
 * times formatted in their trace's basis, durations, and reading trace facts
 * back from the model.
 *
 * Ownership: ps_report_opts borrows its FILE.  ps_trace_times is a plain value.
 */
#ifndef PS_OUTPUT_H
#define PS_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/util.h"
#include "model/store.h"

typedef enum ps_out_format {
    PS_FMT_TEXT = 0,
    PS_FMT_JSON,
    PS_FMT_CSV,
    PS_FMT_NDJSON            /* one JSON object per line */
} ps_out_format;

typedef struct ps_report_opts {
    FILE *out;
    ps_out_format format;
    bool color;              /* ANSI colour in text output */
    int64_t trace_id;        /* 0 = all traces */
    int min_severity;        /* findings: lowest severity shown (rank) */
    int width;               /* text: the terminal's columns, long values cut to it; 0 = 160 */
    /* timing and findings: only creations (by B2) and findings (by their
     * time) within [from_ts, to_ts], each in its trace's own time basis */
    bool has_from, has_to;
    int64_t from_ts, to_ts;
    bool unicode;            /* box drawing in text trees (else ASCII) */
} ps_report_opts;

int ps_out_format_parse(const char *s, ps_out_format *f);
const char *ps_out_format_name(ps_out_format f);

/* ANSI sequences, or "" when colour is off. */
const char *ps_color(const ps_report_opts *o, const char *code);
#define PS_C_RESET "0"
#define PS_C_BOLD "1"
#define PS_C_DIM "2"
#define PS_C_RED "31"
#define PS_C_BOLDRED "1;31"
#define PS_C_YELLOW "33"
#define PS_C_CYAN "36"
#define PS_C_GREEN "32"
const char *ps_severity_color(const char *severity);

/* CSV: writes one field, quoted when needed (RFC 4180). */
void ps_csv_field(FILE *f, const char *s, bool first);
void ps_csv_int(FILE *f, int64_t v, bool first);
void ps_csv_null(FILE *f, bool first);
/* Writes column `col` of the current row of st as a CSV field. */
void ps_csv_column(FILE *f, sqlite3_stmt *st, int col, bool first);

/* Time basis of each trace, for formatting. */
typedef struct ps_trace_times {
    int64_t trace_id;
    char basis[16];
} ps_trace_times;

/* Formats a FILETIME in the basis: "2020-07-31T07:37:18.2093997Z" (utc),
 * without the Z (local), "07:37:18.2093997" or "07:37:18.2093997+1d"
 * (time-of-day). */
void ps_format_ts(const char *basis, int64_t ts, char *buf, size_t cap);
/* The basis of a trace ("utc" if unknown). */
void ps_trace_basis(ps_store *s, int64_t trace_id, char *basis, size_t cap);
/* Durations: 100 ns ticks to milliseconds text with 3 decimals. */
void ps_format_ms(int64_t ticks, char *buf, size_t cap);

/* A JSON document made of keyed sections, each written by a function. */
struct ps_json;
typedef struct ps_json_section {
    const char *key;
    int (*write)(ps_store *s, const ps_report_opts *o, struct ps_json *j, ps_error *err);
} ps_json_section;
int ps_report_json_document(ps_store *s, const ps_report_opts *o, const ps_json_section *sections, size_t n,
                            ps_error *err);
/* Writes column `col` as a JSON value of its SQLite type (null, integer,
 * real, text). */
void ps_json_column(struct ps_json *j, sqlite3_stmt *st, int col);
/* A list of records: JSON {"key": [...]} or NDJSON (one record per line),
 * the array written by `write`. */
int ps_report_json_rows(ps_store *s, const ps_report_opts *o, const char *key,
                        int (*write)(ps_store *s, const ps_report_opts *o, struct ps_json *j, ps_error *err),
                        ps_error *err);

/* A SQLite error while reporting. */
int ps_report_db_error(ps_store *s, ps_error *err);

/* Mini reader for the evidence JSON that procstage writes: the string value
 * of a top-level key (allocated; NULL if absent) and the event ids listed. */
char *ps_evidence_string(const char *json, const char *key);
size_t ps_evidence_event_ids(const char *json, int64_t *ids, size_t max);

#endif
