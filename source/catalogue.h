/*
 * catalogue.h - the source catalogue in the model (src_* tables and
 * stage_map, model/schema.sql, docs/source.md): scans files and directories
 * into it, names annotated excerpts, and gives every function its stage -
 * from an @stage tag, from the stage map, or inferred over the call graph
 * (a function called only from functions of stage k belongs to k; callers of
 * different stages are a conflict, reported in src_conflicts, never a guess).
 *
 * Call order: ps_src_store_new, ps_src_store_path for every file or
 * directory, ps_src_store_finish (naming, stages, inference), free; then
 * commit the store.
 *
 * Ownership: ps_src_store_new returns an object owned by the caller; it
 * borrows the store and the map, which must outlive it.
 */
#ifndef PS_SOURCE_CATALOGUE_H
#define PS_SOURCE_CATALOGUE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "source/scan.h"
#include "source/stage_map.h"
#include "model/store.h"

typedef struct ps_src_store ps_src_store;

typedef struct ps_src_store_opts {
    const char *const *stop;         /* more scanner stop names */
    size_t nstop;
    uint64_t max_file_size;          /* 0: 1 GiB */
    ps_src_warn_cb warn;             /* warnings (file and line); may be NULL */
    void *warn_ctx;
} ps_src_store_opts;

typedef struct ps_src_summary {
    uint64_t files, skipped_files, unchanged_files;
    uint64_t functions, prototypes, excerpts, calls, params;
    uint64_t warnings;
    uint64_t staged_tag, staged_map, staged_inferred, conflicts;
    uint64_t named_excerpts;         /* excerpts named from the map's characteristic calls */
} ps_src_summary;

/* Makes sure the source tables exist (models from before them). */
int ps_src_schema_ensure(ps_store *s, ps_error *err);

int ps_src_store_new(ps_store *s, const ps_stage_map *map, const ps_src_store_opts *o, ps_src_store **out,
                     ps_error *err);
void ps_src_store_free(ps_src_store *ss);
/* A file, or a directory read recursively (C sources, and text files that
 * hold annotated excerpts).  A path scanned before with the same content is
 * skipped; with other content it is replaced. */
int ps_src_store_path(ps_src_store *ss, const char *path, ps_error *err);
/* Names excerpts, applies tags and the map, infers stages, writes the
 * stage_map table.  Recomputes over every function of the model. */
int ps_src_store_finish(ps_src_store *ss, ps_src_summary *sum, ps_error *err);

/* Writes the map into the stage_map table (replacing what was there). */
int ps_src_write_stage_map(ps_store *s, const ps_stage_map *map, ps_error *err);

#endif
