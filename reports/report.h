/*
 * report.h - the reports, all read back from the model with SQL so that any
 * database (fresh from analyze or built over weeks with ingest) reports the
 * same way.
 *
 *   traces     what was ingested (format, events, time basis)
 *   timing     per creation: parent -> child, six stage durations, total,
 *              confidence marks; then per image: count and p50/p95/max per stage
 *   findings   severity, rule, technique, the creation and the evidence events
 *   creations  one row per creation with identities, images and status
 *   stages     one row per creation and stage: times, confidence, evidence
 *   processes  one row per process instance
 *   tree       the process tree (text; reports/tree.h)
 *   html       one self-contained HTML page with all of the above (html.c)
 *   perfetto   Chrome trace-event JSON for ui.perfetto.dev (perfetto.c)
 *
 * Text, JSON and CSV.  `analyze` prints traces + timing + findings (text) or
 * one JSON document holding all of them.
 */
#ifndef PS_REPORT_H
#define PS_REPORT_H

#include "common/error.h"
#include "model/store.h"
#include "reports/output.h"

/* The report kinds (registry.c): one row per kind of `procstage report`.
 * formats says which output formats it writes: a set of 1 << PS_FMT_*,
 * or PS_FMTS_OWN for reports with a format of their own (HTML, trace
 * JSON), to which --format does not apply. */
#define PS_FMTS_ALL ((1u << PS_FMT_TEXT) | (1u << PS_FMT_JSON) | (1u << PS_FMT_CSV) | (1u << PS_FMT_NDJSON))
#define PS_FMTS_TEXT (1u << PS_FMT_TEXT)
#define PS_FMTS_OWN (1u << 16)
typedef struct ps_report_kind {
    const char *name;
    int (*run)(ps_store *s, const ps_report_opts *o, ps_error *err);
    const char *summary;
    unsigned formats;
} ps_report_kind;
/* The i-th kind (NULL past the last), or the kind called `name` (NULL). */
const ps_report_kind *ps_report_kind_at(size_t i);
const ps_report_kind *ps_report_kind_find(const char *name);

int ps_report_traces(ps_store *s, const ps_report_opts *o, ps_error *err);
int ps_report_timing(ps_store *s, const ps_report_opts *o, ps_error *err);
/* Whether any stage of the creations of o->trace_id (0: all) has a measured
 * (observed or inferred) duration: sources that record creations only
 * (Security 4688, Sysmon 1 without the core image loads) have none. */
int ps_report_stages_measured(ps_store *s, const ps_report_opts *o, bool *measured, ps_error *err);
int ps_report_findings(ps_store *s, const ps_report_opts *o, ps_error *err);
/* The fields of a record that say what happened (Hayabusa's Details): the
 * text and HTML findings show them after the fields a rule matched, as an
 * SQL list. */
#define PS_REPORT_DETAIL_FIELDS                                                                                 \
    "('CommandLine', 'ParentImage', 'ParentCommandLine', 'User', 'TargetObject', 'Details', 'TargetFilename', " \
    "'ImageLoaded', 'TargetImage', 'GrantedAccess', 'QueryName', 'DestinationIp', 'DestinationPort', "          \
    "'ScriptBlockText', 'ServiceName', 'ImagePath', 'TargetUserName', 'SubjectUserName', 'NewProcessName')"
int ps_report_creations(ps_store *s, const ps_report_opts *o, ps_error *err);
int ps_report_timeline(ps_store *s, const ps_report_opts *o, ps_error *err);   /* timeline.c */
/* The combined document of `analyze --format json`. */
int ps_report_analysis_json(ps_store *s, const ps_report_opts *o, ps_error *err);

/* Findings at or above a severity rank (for --fail-on). */
int ps_report_count_findings(ps_store *s, int64_t trace_id, int min_rank, int64_t *count, ps_error *err);

/* Added with the exports (exports.c, tree.c, html.c, perfetto.c).  stages
 * and processes write text, csv, json and ndjson; tree text; html and
 * perfetto their own format whatever o->format says. */
int ps_report_stages(ps_store *s, const ps_report_opts *o, ps_error *err);
int ps_report_processes(ps_store *s, const ps_report_opts *o, ps_error *err);
int ps_report_tree(ps_store *s, const ps_report_opts *o, ps_error *err);
int ps_report_html(ps_store *s, const ps_report_opts *o, ps_error *err);
int ps_report_perfetto(ps_store *s, const ps_report_opts *o, ps_error *err);

/* Per image (lower-case file name, in name order; failed creations left
 * out): the creations and, per stage, the measured (observed or inferred)
 * durations' count, p50, p95 and max in 100 ns ticks, as in `report timing`.
 * A non-zero return of fn stops and is returned. */
typedef struct ps_image_stats {
    const char *image;
    size_t count;
    size_t n[6];
    int64_t p50[6], p95[6], max[6];
} ps_image_stats;
typedef int (*ps_image_stats_fn)(void *ctx, const ps_image_stats *st);
int ps_report_each_image(ps_store *s, const ps_report_opts *o, ps_image_stats_fn fn, void *ctx, ps_error *err);

/* A record export: the rows of `sql` (?1 = trace id, 0 for all) as CSV
 * with a header of `names`, JSON {"key": [objects]} or NDJSON. */
typedef struct ps_export {
    const char *key;
    const char *sql;
    const char *const *names;
    size_t ncols;
} ps_export;
int ps_report_export(ps_store *s, const ps_report_opts *o, const ps_export *x, ps_error *err);
/* Registers ps_time(ts, basis) (a FILETIME formatted in its trace's basis)
 * on the store's connection. */
int ps_report_sql_functions(ps_store *s, ps_error *err);
/* Registers ps_in_range(ts): o's --from/--to range (always true without
 * one), for the timing and findings queries. */
int ps_report_range_function(ps_store *s, const ps_report_opts *o, ps_error *err);

/* JSON fragments shared by the documents (written as values). */
struct ps_json;
int ps_report_traces_json(ps_store *s, const ps_report_opts *o, struct ps_json *j, ps_error *err);
int ps_report_timing_json(ps_store *s, const ps_report_opts *o, struct ps_json *j, ps_error *err);
int ps_report_per_image_json(ps_store *s, const ps_report_opts *o, struct ps_json *j, ps_error *err);
int ps_report_findings_json(ps_store *s, const ps_report_opts *o, struct ps_json *j, ps_error *err);

#endif
