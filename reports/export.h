/*
 * export.h - `procstage export`: the model as documents for other tools,
 * each a stable profile documented in docs/exports.md.
 *
 *   ECS        Elasticsearch / OpenSearch _bulk NDJSON (an action line, then
 *              the document), Elastic Common Schema names, procstage.* for
 *              the rest (stage timings, trace hash, ids)
 *   Timesketch JSONL: message, datetime, timestamp, timestamp_desc + fields
 *   ClickHouse tables over HTTP (JSONEachRow), idempotent per trace hash
 *
 * Every profile writes three kinds of record: one per creation (with its
 * six stage durations), one per finding and one per process.  Their keys
 * are stable: <trace sha256>:<kind>:<ordinal of the record in its trace>,
 * so that a model exported twice, or merged first, gives the same keys.
 *
 * Ownership: the option structures borrow their strings and FILE.
 */
#ifndef PS_EXPORT_H
#define PS_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "model/store.h"

typedef enum ps_doc_profile {
    PS_DOC_ECS = 0,
    PS_DOC_TIMESKETCH
} ps_doc_profile;

typedef struct ps_doc_opts {
    FILE *out;
    ps_doc_profile profile;
    int64_t trace_id;        /* 0 = all traces */
    const char *index;       /* ECS: the _index of the action lines (NULL: none) */
} ps_doc_opts;

typedef struct ps_export_counts {
    uint64_t creations, findings, processes, stages, events, traces;
    uint64_t traces_skipped; /* ClickHouse: already there (same sha256) */
    uint64_t undated;        /* records without a date (time-of-day traces) */
    uint64_t retries;        /* ClickHouse: requests sent again */
} ps_export_counts;

/* Writes the documents of the profile to o->out.  Records of a trace whose
 * times have no date (basis time-of-day) carry no @timestamp / datetime
 * and are counted in n->undated. */
int ps_export_docs(ps_store *s, const ps_doc_opts *o, ps_export_counts *n, ps_error *err);

/* ---- ClickHouse (reports/clickhouse.c) ---- */
typedef struct ps_ch_opts {
    const char *url;         /* http://[user:password@]host:port/ */
    const char *database;    /* created when missing */
    int64_t trace_id;        /* 0 = all traces */
    size_t batch_rows;       /* rows per INSERT (default 20000) */
    int retries;             /* attempts after a failed request (default 4) */
    /* progress / notes on stderr, or NULL */
    FILE *log;
} ps_ch_opts;

/* Creates the tables (IF NOT EXISTS) and sends every trace not already
 * complete in the database: its events, processes, creations, stages and
 * findings, then its traces row, which marks it complete.  A trace found
 * incomplete (an earlier run was interrupted) is deleted first.  Errors:
 * PS_ERR_IO for HTTP and server failures (with the server's message). */
int ps_export_clickhouse(ps_store *s, const ps_ch_opts *o, ps_export_counts *n, ps_error *err);
/* The DDL, for `procstage export --clickhouse-ddl` and docs/exports.md. */
void ps_clickhouse_ddl(FILE *f, const char *database);

#endif
