/*
 * evtxcmp - reads EVTX logs with both readers (the native "evtx" and libevtx's
 * "evtx-libevtx") and compares them record by record and field by field:
 *   evtxcmp [-v] FILE...
 * Records are paired by position (libevtx gives no record offsets; both
 * read the chunks in file order; EventRecordID is among the fields compared, so a
 * shifted pairing shows).  Compared: the time, pid,
 * operation, path, detail, Sysmon subject time and GUID, and every field
 * (EventID, Provider_Name, Channel, Computer, TimeCreated, ..., each payload
 * value) by name, value and position.  Prints one line per difference
 * (FILE<TAB>offset<TAB>what<TAB>native<TAB>libevtx) and a summary on stderr;
 * exit 0 when both agree everywhere, 1 on a difference, 2 on an error.
 * Recovered records (chunk slack) are not compared: libevtx does not render
 * them through the reader.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "parsers/input.h"
#include "parsers/reader.h"

typedef struct rec {
    uint64_t off;
    int64_t ts, subject_ts;
    bool has_subject_ts;
    uint32_t pid;
    char *operation, *path, *detail, *subject_guid;
    uint32_t nfields;
    char **names, **values;
} rec;

static char *dup(const char *s)
{
    char *r = strdup(s ? s : "(null)");
    if (!r) {
        fprintf(stderr, "evtxcmp: out of memory\n");
        exit(2);
    }
    return r;
}

static void take(rec *r, const ps_event *e)
{
    uint32_t i;
    r->off = e->src_offset;
    r->ts = e->ts;
    r->pid = e->pid;
    r->has_subject_ts = e->has_subject_ts;
    r->subject_ts = e->subject_ts;
    r->operation = dup(e->operation);
    r->path = dup(e->path);
    r->detail = dup(e->detail);
    r->subject_guid = dup(e->subject_guid);
    r->nfields = e->nfields;
    r->names = calloc(e->nfields + 1, sizeof *r->names);
    r->values = calloc(e->nfields + 1, sizeof *r->values);
    if (!r->names || !r->values)
        exit(2);
    for (i = 0; i < e->nfields; i++) {
        r->names[i] = dup(e->fields[i].name);
        r->values[i] = dup(e->fields[i].value);
    }
}

static void drop(rec *r)
{
    uint32_t i;
    free(r->operation);
    free(r->path);
    free(r->detail);
    free(r->subject_guid);
    for (i = 0; i < r->nfields; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
}

typedef struct side {
    rec *v;
    size_t n, cap;
    uint64_t warnings;
} side;

static void quiet(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

static int read_all(const char *path, const char *reader, side *s)
{
    ps_input *in = NULL;
    ps_reader *r = NULL;
    ps_reader_opts ro;
    ps_input_opts io;
    ps_error err;
    const ps_reader_ops *ops = ps_reader_find(reader);
    int rc;

    ps_error_clear(&err);
    memset(&ro, 0, sizeof ro);
    ro.warn = quiet;
    ps_input_opts_init(&io);
    if (!ops || (rc = ps_input_open(path, &io, &in, &err)) < 0 || (rc = ops->open(in, &ro, &r, &err)) < 0) {
        fprintf(stderr, "evtxcmp: %s: %s\n", reader, err.msg);
        ps_input_close(in);
        return -1;
    }
    for (;;) {
        ps_record rec;
        int n = ps_reader_next(r, &rec, &err);
        if (n < 0) {
            fprintf(stderr, "evtxcmp: %s: %s\n", reader, err.msg);
            break;
        }
        if (n == 0)
            break;
        if (rec.type != PS_REC_EVENT || rec.event->recovered)
            continue;
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 256;
            s->v = realloc(s->v, s->cap * sizeof *s->v);
            if (!s->v)
                exit(2);
        }
        take(&s->v[s->n++], rec.event);
    }
    s->warnings = r->warnings;
    ps_reader_close(r);
    ps_input_close(in);
    return 0;
}

static unsigned long diffs;

static void diff(const char *file, uint64_t off, const char *what, const char *a, const char *b)
{
    diffs++;
    printf("%s\t0x%" PRIx64 "\t%s\t%s\t%s\n", file, off, what, a, b);
}

static void cmp_rec(const char *file, const rec *a, const rec *b)
{
    char x[64], y[64];
    uint32_t i;

    if (a->ts != b->ts) {
        snprintf(x, sizeof x, "%" PRId64, a->ts);
        snprintf(y, sizeof y, "%" PRId64, b->ts);
        diff(file, a->off, "ts", x, y);
    }
    if (a->pid != b->pid) {
        snprintf(x, sizeof x, "%u", a->pid);
        snprintf(y, sizeof y, "%u", b->pid);
        diff(file, a->off, "pid", x, y);
    }
    if (a->has_subject_ts != b->has_subject_ts || a->subject_ts != b->subject_ts) {
        snprintf(x, sizeof x, "%" PRId64, a->has_subject_ts ? a->subject_ts : -1);
        snprintf(y, sizeof y, "%" PRId64, b->has_subject_ts ? b->subject_ts : -1);
        diff(file, a->off, "subject_ts", x, y);
    }
    if (strcmp(a->operation, b->operation))
        diff(file, a->off, "operation", a->operation, b->operation);
    if (strcmp(a->path, b->path))
        diff(file, a->off, "path", a->path, b->path);
    if (strcmp(a->detail, b->detail))
        diff(file, a->off, "detail", a->detail, b->detail);
    if (strcmp(a->subject_guid, b->subject_guid))
        diff(file, a->off, "subject_guid", a->subject_guid, b->subject_guid);
    for (i = 0; i < a->nfields || i < b->nfields; i++) {
        const char *an = i < a->nfields ? a->names[i] : "(none)", *bn = i < b->nfields ? b->names[i] : "(none)";
        const char *av = i < a->nfields ? a->values[i] : "", *bv = i < b->nfields ? b->values[i] : "";
        if (strcmp(an, bn)) {
            snprintf(x, sizeof x, "field %u name", i + 1);
            diff(file, a->off, x, an, bn);
        } else if (strcmp(av, bv)) {
            snprintf(x, sizeof x, "field %s", an);
            diff(file, a->off, x, av, bv);
        }
    }
}

int main(int argc, char **argv)
{
    int i, first = 1;
    unsigned long records = 0, only_native = 0, only_lib = 0, files = 0;
    bool verbose = false;

    if (argc > 1 && !strcmp(argv[1], "-v")) {
        verbose = true;
        first = 2;
    }
    if (argc <= first) {
        fprintf(stderr, "usage: evtxcmp [-v] FILE...\n");
        return 2;
    }
    for (i = first; i < argc; i++) {
        side a = {0}, b = {0};
        size_t ia = 0, ib = 0;
        unsigned long before = diffs;
        if (read_all(argv[i], "evtx", &a) < 0 || read_all(argv[i], "evtx-libevtx", &b) < 0)
            return 2;
        files++;
        /* libevtx gives no record offsets: records are paired by position
         * (both read the chunks in file order), checked by EventRecordID */
        for (ia = 0; ia < a.n && ia < b.n; ia++) {
            cmp_rec(argv[i], &a.v[ia], &b.v[ia]);
            records++;
        }
        for (; ia < a.n; ia++) {
            diff(argv[i], a.v[ia].off, "record", "read", "not read");
            only_native++;
        }
        for (ib = ia; ib < b.n; ib++) {
            diff(argv[i], b.v[ib].off, "record", "not read", "read");
            only_lib++;
        }
        if (verbose)
            fprintf(stderr, "%s: %zu native, %zu libevtx records, %lu differences\n", argv[i], a.n, b.n,
                    diffs - before);
        for (ia = 0; ia < a.n; ia++)
            drop(&a.v[ia]);
        for (ib = 0; ib < b.n; ib++)
            drop(&b.v[ib]);
        free(a.v);
        free(b.v);
    }
    fprintf(stderr, "evtxcmp: %lu files, %lu records in both, %lu only native, %lu only libevtx, %lu differences\n",
            files, records, only_native, only_lib, diffs);
    return diffs ? 1 : 0;
}
