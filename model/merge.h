/*
 * merge.h - combining procstage models (procstage merge; docs/model.md,
 * "Merging models").
 *
 * ps_store_merge copies every table of the model at `src_path` into `dst`, a
 * store open for writing (ps_store_open_write: a new model or a copy of an
 * existing one, committed atomically by ps_store_commit).  Ids are remapped
 * by offsets: every id of the source is increased by the largest id of its
 * kind already in `dst`, so ids stay unique and keep their order, and the
 * references between tables (events to processes, creations, stacks and
 * strings; stacks to frames; findings and their evidence JSON to events and
 * creations; the source catalogue's files and functions) follow.
 *
 * De-duplication: a trace whose traces.sha256 is already in `dst` (from an
 * earlier merge, the model appended to, or earlier in the same source) is
 * skipped with everything that belongs to it; texts, stacks and frames are
 * then carried only when a carried event uses them.  A source file of the
 * catalogue is skipped when `dst` holds the same path with the same sha256;
 * stage map rows are carried when `dst` has no identical row.
 *
 * Merging the models of traces A and B gives what ingesting A and B into
 * one model gives (tests/cli/merge.sh, tests/realdata/merge.test), except
 * for the storage ids of texts, stacks and frames (which the views hide).
 *
 * Ownership: dst is borrowed; the source is opened read-only and closed
 * before returning.
 */
#ifndef PS_MERGE_H
#define PS_MERGE_H

#include <stdint.h>

#include "common/error.h"
#include "model/store.h"

typedef struct ps_merge_stats {
    uint64_t traces;             /* carried */
    uint64_t traces_skipped;     /* already in the model (same sha256) */
    uint64_t events, processes, creations, findings;
    uint64_t src_files;          /* source catalogue files carried */
    uint64_t src_files_skipped;  /* same path and sha256 already there */
} ps_merge_stats;

int ps_store_merge(ps_store *dst, const char *src_path, ps_merge_stats *stats, ps_error *err);

/* The same with flags.  PS_MERGE_KEEP_DUPLICATES carries every trace of the
 * source, also one whose sha256 is already in dst: what ingest does with a
 * trace given twice, and so what the parallel ingest's parts need
 * (pipeline/parallel.h). */
#define PS_MERGE_KEEP_DUPLICATES 1u
int ps_store_merge_flags(ps_store *dst, const char *src_path, unsigned flags, ps_merge_stats *stats,
                         ps_error *err);

/* Names the case of every trace of dst that has none (traces.case_name),
 * in dst's open transaction. */
int ps_store_name_case(ps_store *dst, const char *case_name, ps_error *err);

#endif
