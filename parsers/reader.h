/*
 * reader.h - the one interface every input format implements.
 *
 * A reader is described by a ps_reader_ops entry in the static table of
 * readers.c: a name ("procmon-csv"), a one-line summary, what its probe looks
 * for, the source family (which selects the reconstruction rules of
 * stages.md), and four functions:
 *
 *   probe(head, len)  -> 0 (not mine) .. 100 (certainly mine), looking only at
 *                        the first bytes of the (decompressed) content;
 *   open(in, opts, &r, err);
 *   next(r, &rec, err) -> 1 with a record, 0 at the end, < 0 on error;
 *   close(r).
 *
 * A reader fills r->info (host, OS, time basis, thread ids present, ...) no
 * later than its first next(); it may refine it until the end of the input.
 * Damage after valid data may be reported as a warning (ps_reader_warn) with
 * the records read so far kept, instead of an error.
 *
 * Ownership: open() returns a reader owned by the caller, released with
 * close(); the reader does not own the ps_input.  Records are owned by the
 * reader (see model/event.h).
 */
#ifndef PS_READER_H
#define PS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "model/event.h"
#include "model/trace.h"
#include "parsers/input.h"

typedef void (*ps_warn_fn)(void *ctx, const char *msg);

typedef struct ps_reader_opts {
    bool no_stacks;              /* skip stack frames */
    bool recovered;              /* EVTX: also give the records found in chunk slack */
    ps_warn_fn warn;             /* may be NULL */
    void *warn_ctx;
} ps_reader_opts;

typedef struct ps_reader ps_reader;
typedef struct ps_reader_ops ps_reader_ops;

struct ps_reader_ops {
    const char *name;
    const char *summary;
    const char *detects;
    ps_source_family family;
    int (*probe)(const uint8_t *head, size_t len);
    int (*open)(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err);
    int (*next)(ps_reader *r, ps_record *rec, ps_error *err);
    void (*close)(ps_reader *r);
};

/* The common head of every reader's state; readers embed it first. */
struct ps_reader {
    const ps_reader_ops *ops;
    ps_input *in;
    ps_trace_info info;
    ps_reader_opts opts;
    uint64_t warnings;
};

/* The static table. */
const ps_reader_ops *const *ps_readers(size_t *count);
const ps_reader_ops *ps_reader_find(const char *name);
/* Probes the first bytes of `in` against every reader; PS_ERR_INPUT naming the
 * file when none claims it. */
int ps_reader_detect(ps_input *in, const ps_reader_ops **ops, ps_error *err);

/* Helpers for reader implementations. */
void ps_reader_base_init(ps_reader *r, const ps_reader_ops *ops, ps_input *in,
                         const ps_reader_opts *opts);
void ps_reader_warn(ps_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Convenience wrappers. */
static inline int ps_reader_next(ps_reader *r, ps_record *rec, ps_error *err)
{
    return r->ops->next(r, rec, err);
}
static inline void ps_reader_close(ps_reader *r)
{
    if (r)
        r->ops->close(r);
}

#endif
