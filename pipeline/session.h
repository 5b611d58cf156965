/*
 * session.h - one trace file into the model: input -> reader -> store +
 * reconstruction engine + detectors, in one streaming pass.
 *
 * Ownership: everything passed in is borrowed.
 */
#ifndef PS_SESSION_H
#define PS_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "recon/config.h"
#include "model/store.h"
#include "parsers/input.h"
#include "parsers/reader.h"
#include "rules_engine/detect.h"

struct ps_rules_run;

typedef void (*ps_progress_fn)(void *ctx, const char *name, uint64_t raw_pos, uint64_t raw_size,
                               uint64_t events, bool done);

typedef struct ps_ingest_opts {
    const char *format;              /* reader name, or NULL / "auto" to detect */
    ps_input_opts input;
    bool no_stacks;
    const ps_recon_config *config;   /* required */
    ps_detect *detect;               /* may be NULL */
    ps_warn_fn warn;                 /* reader warnings; may be NULL */
    void *warn_ctx;
    ps_progress_fn progress;         /* may be NULL */
    void *progress_ctx;
    struct ps_rules_run *rules;      /* the rule engine (rules_engine/rules.h); may be NULL */
    struct ps_attr *attr;            /* stack attribution (source/attribute.h); may be NULL */
} ps_ingest_opts;

typedef struct ps_ingest_stats {
    int64_t trace_id;
    const char *format;              /* static reader name */
    uint64_t events, processes, creations, creations_complete, creations_partial, creations_failed;
    uint64_t warnings, undecoded, stacks;
    char time_basis[16];
    char time_note[256];
    uint64_t frame_staged;           /* events given a stage by their stack */
} ps_ingest_stats;

int ps_ingest_trace(ps_store *store, const char *path, const ps_ingest_opts *o, ps_ingest_stats *st,
                    ps_error *err);
/* The same over an input already open (borrowed; not closed); `path` is
 * what traces.path records. */
int ps_ingest_input(ps_store *store, ps_input *in, const char *path, const ps_ingest_opts *o,
                    ps_ingest_stats *st, ps_error *err);

#endif
