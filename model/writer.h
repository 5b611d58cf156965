/*
 * writer.h - runs a SQLite connection's prepared statements on a thread of
 * its own, so that parsing and reconstruction (the caller's thread) and the
 * database work (the writer's) use both cores.
 *
 * The caller marshals each statement execution as a command - the
 * statement's slot and its positional arguments, copied - into a batch; full
 * batches go to the writer thread through a small bounded queue (the caller
 * waits when it is full, so memory stays flat).  Commands run in the order
 * they were given.  Consecutive commands of a statement that has a
 * multi-row twin (ps_writer_set_multi) run as one multi-row INSERT.
 *
 * Errors: the first failing command stops the writer; its message is
 * returned by the next ps_writer_end or ps_writer_sync.  ps_writer_sync
 * waits until every command has run: afterwards, and until the next command,
 * the caller may use the connection itself.
 *
 * Ownership: ps_writer_new returns a writer owned by the caller; it borrows
 * the connection and the statements, which must outlive it.
 */
#ifndef PS_WRITER_H
#define PS_WRITER_H

#include <sqlite3.h>
#include <stdint.h>

#include "common/error.h"

typedef struct ps_writer ps_writer;

/* `name` is used in messages ("'case.db'"). */
int ps_writer_new(sqlite3 *db, sqlite3_stmt **stmts, int nstmts, const char *name, ps_writer **out,
                  ps_error *err);
/* Stops the thread (after running what is queued) and frees the writer. */
void ps_writer_free(ps_writer *w);

/* Commands of statement `single` that come in runs of `rows` execute through
 * `multi`, whose arguments are `rows` copies of single's. */
void ps_writer_set_multi(ps_writer *w, int single, int multi, int rows);

/* One command: begin, the arguments in order, end.  `what` names the
 * operation in an error message ("cannot add an event"). */
void ps_writer_begin(ps_writer *w, int stmt, const char *what);
void ps_writer_int(ps_writer *w, int64_t v);
void ps_writer_null(ps_writer *w);
/* NULL and "" are stored as NULL; the text is copied. */
void ps_writer_text(ps_writer *w, const char *s);
/* An int, or NULL when v <= 0 (ids). */
void ps_writer_id(ps_writer *w, int64_t v);
int ps_writer_end(ps_writer *w, ps_error *err);

/* A whole command of n integer arguments at once (argument i is NULL when
 * bit i of null_mask is set): the hot path for events. */
int ps_writer_ints(ps_writer *w, int stmt, const char *what, const int64_t *v, uint32_t null_mask, int n,
                   ps_error *err);

/* Waits until every command ran; returns the first error, if any. */
int ps_writer_sync(ps_writer *w, ps_error *err);

#endif
