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
 *
 * Text, JSON and CSV.  `analyze` prints traces + timing + findings (text) or
 * one JSON document holding all of them.
 */
#ifndef PS_REPORT_H
#define PS_REPORT_H

#include "common/error.h"
#include "model/store.h"
#include "reports/output.h"

int ps_report_traces(ps_store *s, const ps_report_opts *o, ps_error *err);
int ps_report_timing(ps_store *s, const ps_report_opts *o, ps_error *err);
int ps_report_findings(ps_store *s, const ps_report_opts *o, ps_error *err);
int ps_report_creations(ps_store *s, const ps_report_opts *o, ps_error *err);
/* The combined document of `analyze --format json`. */
int ps_report_analysis_json(ps_store *s, const ps_report_opts *o, ps_error *err);

/* Findings at or above a severity rank (for --fail-on). */
int ps_report_count_findings(ps_store *s, int64_t trace_id, int min_rank, int64_t *count, ps_error *err);

/* JSON fragments shared by the documents (written as values). */
struct ps_json;
int ps_report_traces_json(ps_store *s, const ps_report_opts *o, struct ps_json *j, ps_error *err);
int ps_report_timing_json(ps_store *s, const ps_report_opts *o, struct ps_json *j, ps_error *err);
int ps_report_per_image_json(ps_store *s, const ps_report_opts *o, struct ps_json *j, ps_error *err);
int ps_report_findings_json(ps_store *s, const ps_report_opts *o, struct ps_json *j, ps_error *err);

#endif
