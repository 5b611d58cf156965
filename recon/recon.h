/*
 * recon.h - the reconstruction engine: turns the normalised event
 * stream of one trace into processes and process creations split into the six
 * CreateProcess stages, following ../shared/reference/stages.md (and the
 * refinements documented in docs/model.md).
 *
 * It works in one streaming pass.  Memory holds only what is still open: the
 * recent image/IFEO events of each thread (at most b0_window old), the
 * creations whose later boundaries are not yet known, and one row per process
 * of the trace.  Finished creations are written to the store at once, with
 * the events that make up each stage attributed to it.
 *
 * Call order per trace:
 *   ps_recon_new
 *   for every record:
 *     process record -> ps_recon_process_record
 *     event          -> ps_recon_resolve (process row for the event),
 *                       store the event, ps_recon_event
 *   ps_recon_finish
 *   ps_recon_free
 *
 * Ownership: ps_recon_new returns an engine owned by the caller.  It borrows
 * the store, the config, the trace info and the detector, which must outlive
 * it.
 */
#ifndef PS_RECON_H
#define PS_RECON_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "recon/config.h"
#include "model/creation.h"
#include "model/event.h"
#include "model/store.h"
#include "model/trace.h"

typedef struct ps_recon ps_recon;

/* Called for every finished creation, after it is stored. */
typedef int (*ps_creation_hook)(void *ctx, const ps_creation *c, ps_error *err);

typedef struct ps_recon_summary {
    uint64_t processes;
    uint64_t creations;
    uint64_t creations_complete, creations_partial, creations_failed;
    bool anchored;               /* local times were anchored to UTC */
    int64_t shift;               /* ticks added to the trace's times */
    int tz_offset_min;           /* local - UTC */
    uint64_t anchor_votes, anchor_total;
} ps_recon_summary;

int ps_recon_new(ps_store *store, const ps_recon_config *cfg, int64_t trace_id,
                 ps_trace_info *info, ps_creation_hook hook, void *hook_ctx, ps_recon **out,
                 ps_error *err);
void ps_recon_free(ps_recon *r);

int ps_recon_process_record(ps_recon *r, const ps_process_rec *p, ps_error *err);
int ps_recon_resolve(ps_recon *r, const ps_event *ev, int64_t *process_id, ps_error *err);
int ps_recon_event(ps_recon *r, const ps_event *ev, int64_t event_id, ps_error *err);
/* Ends the trace: finishes open creations, writes the processes, anchors
 * local times to UTC when the process table allows it (updating *info). */
int ps_recon_finish(ps_recon *r, ps_recon_summary *sum, ps_error *err);

/* What the engine knows of one process, for rules that need the context of
 * an event or a creation (the image of the process behind a registry write).
 * Strings are borrowed from the engine and valid until its next call; NULL
 * when unknown. */
typedef struct ps_recon_proc {
    int64_t process_id;
    uint32_t pid;
    bool has_parent_pid;
    uint32_t parent_pid;
    int64_t parent_process_id;    /* 0 unknown */
    const char *name, *image_path, *command_line, *current_dir, *user, *integrity;
    const char *company, *version, *description;
    int32_t session;              /* -1 unknown */
} ps_recon_proc;

/* The process an event belongs to: by the source's process index, else the
 * live process with that PID.  False when the engine has none. */
bool ps_recon_lookup_pid(ps_recon *r, uint32_t pid, int64_t proc_index, ps_recon_proc *out);
/* A process row by its process_id. */
bool ps_recon_lookup_id(ps_recon *r, int64_t process_id, ps_recon_proc *out);

/* Exposed for tests: whether an event of a new process counts as the
 * loader's own work (stages.md B6 rule 2). */
bool ps_recon_is_loader_event(const ps_recon_config *cfg, const ps_event *ev, const char *current_dir);

#endif
