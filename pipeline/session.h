/*
 * session.h - an ingest session: every trace of one run into one model, the
 * whole of what `procstage ingest` and `analyze` do before they report.
 *
 *   input -> reader -> stack attribution -> store + reconstruction engine
 *         -> rule engine and built-in detectors (findings to the store)
 *
 * in one streaming pass per trace.  A session owns the built-in detectors,
 * the rule run and the stack attribution (stage map, the model's source
 * catalogue, symbols) for all its traces, so that the CLI, the benchmarks,
 * the tests and the fuzzers run the same code.  It never prints: warnings,
 * progress and per-trace results reach the caller through callbacks.
 *
 * Typical use (ps_session_build, pipeline/build.h, does it for a list of
 * paths, also several traces at once):
 *   ps_session_new(store, &o, &s, &err);
 *   ps_session_add(s, path, &res, &err) ...
 *   ps_session_free(s);  ps_store_commit(store, &err);
 *
 * Ownership: everything in ps_session_opts is borrowed and must outlive the
 * session; ps_session_new returns a session owned by the caller
 * (ps_session_free) that borrows the store.
 */
#ifndef PS_SESSION_H
#define PS_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "model/store.h"
#include "parsers/input.h"
#include "parsers/reader.h"
#include "recon/config.h"
#include "rules_engine/rules.h"

typedef void (*ps_progress_fn)(void *ctx, const char *name, uint64_t raw_pos, uint64_t raw_size,
                               uint64_t events, bool done);

/* What one trace gave. */
typedef struct ps_trace_result {
    int64_t trace_id;
    const char *path;
    const char *format;              /* static reader name */
    uint64_t events, processes, creations, creations_complete, creations_partial, creations_failed;
    uint64_t warnings, undecoded, stacks;
    uint64_t findings;               /* of this trace: rules and detectors */
    char time_basis[16];
    char time_note[256];
    uint64_t frame_staged;           /* events given a stage by their stack */
} ps_trace_result;

typedef void (*ps_trace_done_fn)(void *ctx, ps_store *store, const ps_trace_result *res);

typedef struct ps_session_opts {
    const char *input_format;        /* reader name, or NULL / "auto" to detect */
    ps_input_opts input;
    bool no_stacks;                  /* do not store stack frames */
    bool recovered;                  /* EVTX: read the records in chunk slack too */
    const ps_recon_config *config;   /* required */
    const ps_ruleset *rules;         /* a finished ruleset; NULL: no rule engine */
    bool detectors;                  /* run the built-in detectors (rules_engine/detect.h) */
    bool attribution;                /* stack attribution (source/attribute.h) */
    const char *stage_map;           /* its map: a file, NULL for the built-in one */
    const char *symbols;             /* names for module+offset frames; may be NULL */
    ps_warn_fn warn;                 /* reader warnings; may be NULL */
    void *warn_ctx;
    ps_progress_fn progress;         /* may be NULL */
    void *progress_ctx;
    const char *host;                /* the machine of every trace; NULL: what the data records */
    const char *case_name;           /* the case (investigation) of every trace; NULL: none */
    ps_trace_done_fn trace_done;     /* after each trace is in the model; may be NULL */
    void *trace_done_ctx;
    const ps_store_write_opts *store;   /* ps_session_build's writer lock options; may be NULL */
    int jobs;                        /* ps_session_build: traces ingested at once (pipeline/build.h);
                                      * 0 or 1: one after the other */
    bool force;                      /* ps_session_build: ingest files whose content the model
                                      * holds already (else they are left out, with a warning) */
} ps_session_opts;

/* The defaults of `procstage ingest`: detection, detectors and attribution
 * on, no ruleset (set o->rules), the built-in stage map. */
void ps_session_opts_init(ps_session_opts *o);

typedef struct ps_session ps_session;

int ps_session_new(ps_store *store, const ps_session_opts *o, ps_session **out, ps_error *err);
void ps_session_free(ps_session *s);

/* One trace: a path ("-" for standard input), or an input already open
 * (borrowed, not closed; `path` is what traces.path records).  res may be
 * NULL. */
int ps_session_add(ps_session *s, const char *path, ps_trace_result *res, ps_error *err);
int ps_session_add_input(ps_session *s, ps_input *in, const char *path, ps_trace_result *res, ps_error *err);

/* What a whole session did. */
typedef struct ps_session_totals {
    uint64_t traces;
    uint64_t findings;
    uint64_t regex_limited;          /* regular-expression matches stopped at the
                                      * match limit (counted as no match) */
    size_t symbols;                  /* symbols loaded for attribution */
} ps_session_totals;
void ps_session_get_totals(const ps_session *s, ps_session_totals *t);

#endif
