/*
 * build.h - a model built from a list of traces: ps_session_build, the
 * whole of `procstage ingest` and `analyze` before they report.
 *
 * With one job the traces go through one session (pipeline/session.h) one
 * after the other.  With o->jobs > 1 (procstage ingest -j N):
 *
 * consecutive traces are grouped into parts (about a quarter of each
 * worker's share of the bytes, at least 1 MiB, at most 64 traces), and up to
 * `jobs` parts are ingested at once, each by a worker thread with its own
 * session into a scratch model in $TMPDIR.  The calling
 * thread merges the parts into the destination in input order
 * (ps_store_merge_flags with PS_MERGE_KEEP_DUPLICATES), replays each
 * trace's warnings in the order they came and calls trace_done with the
 * trace's id in the destination, so callbacks see what a run with one job
 * gives, and the model is the same whatever the number of jobs
 * (tests/cli/parallel.sh, tests/realdata/parallel.test).  A part is merged as
 * soon as it and the ones before it are ready; workers run at most
 * 2 x jobs parts ahead of the merge, which bounds the disk the parts take.
 * One part in all, or a model with a source catalogue, is ingested as with
 * one job.
 * The first trace (in input order) that fails ends the run with its error
 * (the traces of its part before it are ingested again into the
 * destination, for their callbacks); the others are abandoned.
 *
 * Progress callbacks are not called (bars of concurrent traces would
 * interleave).
 *
 * Ownership: the options are borrowed; *store, on success, is an open store
 * owned by the caller (ps_store_close).
 */
#ifndef PS_BUILD_H
#define PS_BUILD_H

#include "pipeline/session.h"

/* Opens the model (`out`, created or appended to; a temporary one removed
 * at close when NULL), ingests every path and commits, all or nothing.
 * With o->jobs > 1 and several paths, up to o->jobs traces are ingested at
 * once (below) unless the model holds a source catalogue; the
 * model and the callbacks are the same as with one job.  On
 * success *store is open for reporting; tot may be NULL. */
int ps_session_build(const char *out, char *const *paths, int n, const ps_session_opts *o, ps_store **store,
                     ps_session_totals *tot, ps_error *err);

#endif
