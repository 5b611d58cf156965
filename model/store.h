/*
 * store.h - the SQLite model (model/schema.sql, docs/model.md).
 *
 * Writes are atomic.  ps_store_open_write never touches the named database:
 * it works on a temporary file in the same directory (a copy of the existing
 * database when appending) inside one transaction, and ps_store_commit
 * renames it into place.  Closing an uncommitted store deletes the temporary
 * file, so a failed ingest leaves an existing database untouched and creates
 * no new one.
 *
 * Bulk loading: prepared statements run on a writer thread of their own
 * (model/writer.h) so that reading and reconstruction keep the other core,
 * events go in multi-row INSERTs as compact integer rows (texts interned in
 * `strings`, stacks as lists of distinct frames), one transaction, no journal
 * on the temporary file, and the indexes of model/indexes.sql built at commit
 * (they already exist when appending).  Writes are queued: an error surfaces
 * at a later call or at commit, and the transaction is then abandoned as
 * before.  ps_store_db waits for the writer, so the connection it returns can
 * be used directly.
 *
 * Ownership: every ps_store returned by an open function is owned by the
 * caller and released with ps_store_close.  Strings passed to the insert
 * functions are copied by SQLite before they return.
 */
#ifndef PS_STORE_H
#define PS_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "model/creation.h"
#include "model/event.h"

#define PS_SCHEMA_VERSION 4

typedef struct ps_store ps_store;

/* Create `path` or append to it (atomically, see above).  Every writer of
 * `path` holds an exclusive lock on the companion file `path`.lock (created
 * when missing, kept: removing it would let two writers lock two files) from
 * before the model is read until its copy has replaced it, so concurrent
 * writers run one after the other and none loses another's traces. */
int ps_store_open_write(const char *path, ps_store **out, ps_error *err);
typedef struct ps_store_write_opts {
    bool no_wait;   /* another writer holds the lock: fail (PS_ERR_IO) instead of waiting */
    /* called once before waiting for another writer; may be NULL */
    void (*waiting)(void *ctx, const char *path);
    void *ctx;
} ps_store_write_opts;
/* The same, with options (o may be NULL). */
int ps_store_open_write_opts(const char *path, const ps_store_write_opts *o, ps_store **out, ps_error *err);
/* A scratch model in $TMPDIR, unlinked as soon as it is open: nothing to
 * remove, whatever ends the process; ps_store_file gives NULL for it. */
int ps_store_open_temp(ps_store **out, ps_error *err);
/* A scratch model that another connection will read by its name (a part of
 * the parallel ingest, merged from ps_store_file): named in $TMPDIR until
 * ps_store_close deletes it (an interrupting signal does too), and committed
 * without indexes. */
int ps_store_open_part(ps_store **out, ps_error *err);
/* A scratch model in memory (tests, fuzzing): no file at all. */
int ps_store_open_memory(ps_store **out, ps_error *err);
/* Read-only access to an existing model, for reports. */
int ps_store_open_read(const char *path, ps_store **out, ps_error *err);
/* Creates the indexes, commits, and (write mode) moves the file into place.
 * The store stays open for reading afterwards. */
int ps_store_commit(ps_store *s, ps_error *err);
void ps_store_close(ps_store *s);

sqlite3 *ps_store_db(ps_store *s);
/* The name used in messages. */
const char *ps_store_name(const ps_store *s);
/* The database file (a temporary model's too: valid until ps_store_close;
 * NULL for a model in memory). */
const char *ps_store_file(const ps_store *s);
/* Reports a SQLite failure as PS_ERR_DB with the store's name. */
int ps_store_fail(ps_store *s, ps_error *err, const char *what);

/* ---- loading ---------------------------------------------------------- */

typedef struct ps_store_trace {
    const char *path, *format, *host, *os_version, *time_basis, *time_note;
    const char *case_name;   /* NULL: none */
    bool compressed;
    int64_t size;
    int pointer_size, cpu_count;
    bool has_tid, has_stacks;
} ps_store_trace;

int ps_store_begin_trace(ps_store *s, const ps_store_trace *t, int64_t *trace_id, ps_error *err);

typedef struct ps_store_trace_end {
    const char *sha256;
    int64_t first_ts, last_ts;
    bool have_ts;
    uint64_t events, processes, creations, events_lost, undecoded, warnings;
    const char *time_basis, *time_note;
    bool has_tz;
    int tz_offset_min;
    bool has_tid, has_stacks;
    const char *host, *os_version;
} ps_store_trace_end;

int ps_store_end_trace(ps_store *s, int64_t trace_id, const ps_store_trace_end *t, ps_error *err);

int ps_store_add_event(ps_store *s, int64_t trace_id, const ps_event *ev, int64_t process_id,
                       int64_t stack_id, int64_t *event_id, ps_error *err);
/* Returns the id of an identical stack already stored, or stores it.
 * Identical stacks share an id as long as the store's (bounded) stack cache
 * still holds them: within a trace in practice. */
int ps_store_add_stack(ps_store *s, const ps_frame *frames, uint32_t n, int64_t *stack_id,
                       ps_error *err);
/* The same with the reader's stack identity (ps_event.stack_hash; 0 = let
 * the store hash the frames). */
int ps_store_add_stack_hashed(ps_store *s, const ps_frame *frames, uint32_t n, uint64_t hash,
                              int64_t *stack_id, ps_error *err);

typedef struct ps_store_process {
    int64_t process_id;          /* assigned with ps_store_next_process_id */
    int64_t trace_id;
    uint32_t pid;
    bool has_parent_pid;
    uint32_t parent_pid;
    int64_t parent_process_id;   /* 0 unknown */
    const char *process_name, *image_path, *command_line, *current_dir, *user, *integrity;
    const char *company, *version, *description;
    bool has_start, has_end, has_exit_status;
    int64_t start_ts, end_ts, exit_status;
    int32_t session;             /* -1 unknown */
    int is64;                    /* -1 unknown */
    const char *source;          /* "process-table" | "events" */
} ps_store_process;

int64_t ps_store_next_process_id(ps_store *s);
int ps_store_add_process(ps_store *s, const ps_store_process *p, ps_error *err);
int ps_store_add_module(ps_store *s, int64_t process_id, const ps_module *m, ps_error *err);

int64_t ps_store_next_creation_id(ps_store *s);
/* Writes the creation, its seven boundaries and six stages (derive first). */
int ps_store_add_creation(ps_store *s, const ps_creation *c, ps_error *err);

/* Marks events [from, to] of one process (and thread, when tid >= 0) that
 * belong to no creation yet as belonging to `creation_id`, `stage`. */
int ps_store_attribute(ps_store *s, int64_t creation_id, int stage, int64_t from_event,
                       int64_t to_event, uint32_t pid, int64_t tid, ps_error *err);
/* Marks one event. */
int ps_store_attribute_one(ps_store *s, int64_t creation_id, int stage, int64_t event_id,
                           ps_error *err);

typedef struct ps_store_finding {
    int64_t trace_id;
    int64_t creation_id;         /* 0 none */
    int64_t event_id;            /* 0 none */
    const char *rule_id, *title, *severity, *technique;
    const char *evidence_json;
} ps_store_finding;

int ps_store_add_finding(ps_store *s, const ps_store_finding *f, ps_error *err);

/* The per-kind counts of a trace's source events (event_kinds). */
int ps_store_add_event_kinds(ps_store *s, int64_t trace_id, const ps_event_kind *kinds, size_t n,
                             ps_error *err);

/* Adds `delta` ticks to every event/creation/boundary/stage time of a trace
 * (used when a trace's local times are anchored to UTC at its end). */
int ps_store_shift_trace_times(ps_store *s, int64_t trace_id, int64_t delta, ps_error *err);
/* Fills creations.crosscheck_delta from the child's process-table CreateTime. */
int ps_store_crosscheck(ps_store *s, int64_t trace_id, ps_error *err);
/* Gives the trace's findings without a creation whose event is a creation's
 * anchor (a rule matching a Sysmon 1 or 4688 record) that creation. */
int ps_store_link_findings(ps_store *s, int64_t trace_id, ps_error *err);

/* ---- bulk SQL (model/merge.c) ------------------------------------------ */

/* Runs SQL (several statements) on the store's connection. */
int ps_store_exec(ps_store *s, const char *sql, ps_error *err);
/* The integer of the first row and column of sql on db, or dflt. */
int64_t ps_sql_int(sqlite3 *db, const char *sql, int64_t dflt);

/* Creates the source catalogue tables (the @source-catalogue part of
 * schema.sql) when the model predates them. */
int ps_store_ensure_catalogue(ps_store *s, ps_error *err);
/* After rows were added with SQL of one's own (ps_store_db): the next ids
 * the store assigns are read again from the tables. */
void ps_store_reload_ids(ps_store *s);
/* Commits what was written so far to the store's (still temporary) file and
 * opens a new transaction, releasing the locks of attached databases; the
 * model is still moved into place only by ps_store_commit. */
int ps_store_restart_txn(ps_store *s, ps_error *err);

#endif
