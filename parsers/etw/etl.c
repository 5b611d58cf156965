/*
 * etl.c - the ETW binary log (.etl) reader (../shared/reference/formats.md
 * section 4; docs/model.md "ETW").
 *
 * The file is a chain of buffers, each with a 0x48-byte WMI_BUFFER_HEADER;
 * the next buffer starts BufferSize bytes later.  Every buffer belongs to
 * one processor, and file order is not time order, so the reader:
 *
 *   1. walks the chain once to index the buffers (offset, size, processor,
 *      sequence number, flags: 24 bytes per buffer, the only memory that
 *      grows with the file);
 *   2. makes one stream per processor, its buffers in sequence order, and
 *      merges the streams by record timestamp with a heap: one buffer per
 *      processor is held at a time (decompressed for compressed logs:
 *      [MS-XCA] plain LZ77, parsers/etw/lz77.c);
 *   3. decodes each record's header (SYSTEM, COMPACT, PERFINFO with its
 *      extension, FULL/INSTANCE classic headers, EVENT_HEADER 32/64 with
 *      extended data items; WPP messages are counted), the payload fields of
 *      the kernel events process creation needs (pointer size from each
 *      record's header type), and hands them to parsers/etw/kernel.c for
 *      mapping to the model.  A StackWalk record right after its event on
 *      the same processor becomes that event's frames.
 *
 * Timestamps become FILETIME UTC for the three clock types of the logfile
 * header (QPC, system time, CPU cycles).  Damage never stops the valid part:
 * a broken buffer chain ends the index with a warning, a corrupt compressed
 * buffer or a record overrunning its buffer skips (the rest of) that buffer
 * with a warning naming the byte offsets.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/util.h"
#include "parsers/etw/kernel.h"
#include "parsers/etw/lz77.h"
#include "parsers/reader.h"

#define BUF_HDR 0x48
#define MAX_BUFFER (16u << 20)       /* the largest buffer accepted (on disk or decompressed) */
#define MAX_WARNINGS 20              /* damage reports printed; the rest are counted */
#define MAX_EXT_ITEMS 64
#define NO_PID 0xFFFFFFFFu
#define RELEASE_STEP (8u << 20)      /* mapped file given back in steps of this */

/* header types (byte 2 of a record's first word) */
enum {
    HT_SYSTEM32 = 0x01, HT_SYSTEM64 = 0x02, HT_COMPACT32 = 0x03, HT_COMPACT64 = 0x04,
    HT_FULL32 = 0x0A, HT_INSTANCE32 = 0x0B, HT_PERFINFO32 = 0x10, HT_PERFINFO64 = 0x11,
    HT_EVENT32 = 0x12, HT_EVENT64 = 0x13, HT_FULL64 = 0x14, HT_INSTANCE64 = 0x15
};

typedef struct etl_buffer {
    uint64_t off;          /* in the file */
    uint32_t size;         /* on disk */
    uint32_t saved;        /* SavedOffset */
    uint32_t filled;       /* Offset */
    uint16_t cpu;
    uint16_t flag;
    int64_t seq;
} etl_buffer;

/* A record's header, decoded. */
typedef struct etl_rec {
    const uint8_t *p;      /* record start */
    uint32_t size;
    uint32_t hdr;          /* header size (payload starts here, after extended data) */
    uint8_t type;
    bool message;          /* a WPP message */
    int ptr;               /* pointer size of the record: 4 or 8 */
    int64_t raw_ts;
    uint64_t buf_off;      /* file offset of its buffer */
    uint32_t at;           /* offset in the (decompressed) buffer */
} etl_rec;

typedef struct etl_stream {
    uint16_t cpu;
    size_t *bufs;          /* indexes into r->bufs, in sequence order */
    size_t nbufs, next;
    uint8_t *data;         /* decompression buffer */
    size_t cap;
    const uint8_t *cur;    /* the current buffer's bytes */
    size_t end;            /* records end here */
    size_t pos;            /* the next record */
    uint64_t buf_off;
    bool has_rec;
    etl_rec rec;           /* the stream's next record */
    size_t skip[8];        /* StackWalk records of this buffer already joined to their event */
    unsigned nskip;
} etl_stream;

typedef struct etl_reader {
    ps_reader base;
    const uint8_t *data;
    uint64_t size;

    /* logfile header */
    uint32_t buffer_size, os_build, ncpu, log_ptr, clock, cpu_mhz, mode;
    uint32_t events_lost, buffers_lost, buffers_written;
    uint8_t os_major, os_minor;
    int64_t start_time, end_time, perf_freq, ref_raw;

    etl_buffer *bufs;
    size_t nbufs;
    size_t buffers_begun;   /* buffers loaded so far, for the progress bar */
    etl_stream *streams;
    size_t nstreams;
    size_t *heap;          /* stream indexes, min-heap on (raw_ts, stream) */
    size_t nheap;

    ps_etw_state *map;
    ps_etw_kevent k;
    ps_arena arena;        /* per record */
    ps_buf tmp;
    uint64_t *stack;       /* addresses of the current record */
    size_t stackcap;
    uint64_t *joined;      /* addresses from StackWalk records joined to it */
    size_t joinedcap;
    uint64_t seq;
    uint64_t released;     /* the mapped file below this offset was released */
    bool has_stackwalk;    /* a StackWalk record was seen: look for them after events */
    bool oom;              /* an allocation failed while decoding the record */
    uint64_t damaged;      /* damage reports, printed or not */
    bool done;
} etl_reader;

static int etl_probe(const uint8_t *p, size_t n);
static int etl_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err);
static int etl_next(ps_reader *r, ps_record *rec, ps_error *err);
static void etl_close(ps_reader *r);

const ps_reader_ops ps_etl_reader = {
    .name = "etw-etl",
    .summary = "ETW binary log (.etl: xperf, WPR, tracelog, logman), plain or compressed",
    .detects = "a WMI buffer header whose first record is the logfile header (SYSTEM header, hook 0x0000)",
    .family = PS_FAMILY_ETW,
    .probe = etl_probe,
    .open = etl_open,
    .next = etl_next,
    .close = etl_close,
};

/* ---- little-endian access ---------------------------------------------------- */

static uint16_t u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t u64(const uint8_t *p)
{
    return (uint64_t)u32(p) | (uint64_t)u32(p + 4) << 32;
}

static void damage(etl_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void damage(etl_reader *r, const char *fmt, ...)
{
    char msg[768];
    va_list ap;

    r->damaged++;
    if (r->damaged > MAX_WARNINGS) {
        r->base.warnings++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ps_reader_warn(&r->base, "'%s': %s%s", ps_input_name(r->base.in), msg,
                   r->damaged == MAX_WARNINGS ? " (further damage is counted, not shown)" : "");
}

/* ---- probe and logfile header ---------------------------------------------------- */

static int etl_probe(const uint8_t *p, size_t n)
{
    uint32_t size, filled, w;

    if (n < BUF_HDR + 0x20)
        return 0;
    size = u32(p);
    filled = u32(p + 0x30);
    w = u32(p + BUF_HDR);
    if (size < BUF_HDR + 0x20 || size > MAX_BUFFER || filled > size)
        return 0;
    if ((w >> 24) != 0xC0 || (((w >> 16) & 0xFF) != HT_SYSTEM32 && ((w >> 16) & 0xFF) != HT_SYSTEM64))
        return 0;
    if (u16(p + BUF_HDR + 6) != 0x0000)   /* HookId of the logfile header */
        return 0;
    return u16(p + 0x36) == 4 ? 95 : 70;  /* BufferType header */
}

/* TRACE_LOGFILE_HEADER after the first record's SYSTEM header. */
static int parse_logfile_header(etl_reader *r, ps_error *err)
{
    const uint8_t *b = r->data, *rec = b + BUF_HDR, *h;
    uint32_t w = u32(rec), rsize = u16(rec + 4);
    int ptr = ((w >> 16) & 0xFF) == HT_SYSTEM32 ? 4 : 8;
    size_t need = ptr == 8 ? 0x118 : 0x110, tz, o;

    if (rsize < 0x20 + need || BUF_HDR + (uint64_t)rsize > r->size || BUF_HDR + rsize > u32(b))
        return ps_error_set(err, PS_ERR_INPUT,
                            "'%s': the logfile header at offset 0x48 is cut short (%u bytes, %zu needed)",
                            ps_input_name(r->base.in), rsize, 0x20 + need);
    h = rec + 0x20;
    r->ref_raw = (int64_t)u64(rec + 0x10);
    r->buffer_size = u32(h);
    r->os_major = h[4];
    r->os_minor = h[5];
    r->os_build = u32(h + 0x08);
    r->ncpu = u32(h + 0x0C);
    r->end_time = (int64_t)u64(h + 0x10);
    r->mode = u32(h + 0x20);
    r->buffers_written = u32(h + 0x24);
    r->log_ptr = u32(h + 0x2C);
    r->events_lost = u32(h + 0x30);
    r->cpu_mhz = u32(h + 0x34);
    /* two pointers, TIME_ZONE_INFORMATION (172 bytes), 8-aligned */
    tz = 0x38 + 2 * (size_t)ptr;
    o = (tz + 172 + 7) & ~(size_t)7;
    r->perf_freq = (int64_t)u64(h + o + 8);
    r->start_time = (int64_t)u64(h + o + 16);
    r->clock = u32(h + o + 24);
    r->buffers_lost = u32(h + o + 28);
    if (r->log_ptr != 4 && r->log_ptr != 8)
        r->log_ptr = (uint32_t)ptr;
    if (r->clock == 1 && r->perf_freq <= 0)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': the logfile header gives a QPC clock without a frequency",
                            ps_input_name(r->base.in));
    if (r->clock == 3 && r->cpu_mhz == 0)
        return ps_error_set(err, PS_ERR_INPUT,
                            "'%s': the logfile header gives a CPU-cycle clock without a CPU speed",
                            ps_input_name(r->base.in));
    if (r->clock < 1 || r->clock > 3) {
        /* older loggers leave it 0: QPC when a frequency is given, else system time */
        r->clock = r->perf_freq > 0 ? 1 : 2;
    }
    return 0;
}

/* FILETIMEs past this (the year 16,216) are damage: keeping every
 * timestamp in [0, ETL_TS_MAX] means no difference of two of them
 * overflows further on. */
#define ETL_TS_MAX (INT64_C(1) << 62)

/* Raw clock value -> FILETIME UTC; false when the value, the log's clock
 * parameters or the result are out of range (a damaged record or header:
 * every step is checked, none overflows). */
static bool to_filetime(const etl_reader *r, int64_t raw, int64_t *ft)
{
    int64_t d, freq, q, rem, t;

    if (r->clock == 2) {
        t = raw;
    } else {
        freq = r->clock == 1 ? r->perf_freq : (int64_t)r->cpu_mhz * 1000000;
        if (freq <= 0 || __builtin_sub_overflow(raw, r->ref_raw, &d))
            return false;
        q = d / freq;
        rem = d % freq;
        if (__builtin_mul_overflow(q, (int64_t)PS_TICKS_PER_SEC, &q) || __builtin_add_overflow(r->start_time, q, &t))
            return false;
        /* |rem| < freq: rem * 10^7 overflows only for a frequency above
         * 9.2e11 Hz, which no clock has; divide first then */
        if (__builtin_mul_overflow(rem, (int64_t)PS_TICKS_PER_SEC, &rem))
            rem = (int64_t)((double)rem * ((double)PS_TICKS_PER_SEC / (double)freq));
        else
            rem /= freq;
        if (__builtin_add_overflow(t, rem, &t))
            return false;
    }
    if (t < 0 || t > ETL_TS_MAX)
        return false;
    *ft = t;
    return true;
}

/* ---- the buffer index ---------------------------------------------------------------- */

static int index_buffers(etl_reader *r, ps_error *err)
{
    uint64_t off = 0;
    size_t cap = 0;
    uint64_t flagged_lost = 0, flagged_buffers = 0;

    while (off < r->size) {
        const uint8_t *b = r->data + off;
        etl_buffer *e;
        uint32_t size, saved, filled;
        uint16_t flag;
        bool compressed;

        if (r->size - off < BUF_HDR) {
            if (r->nbufs == 0)
                return ps_error_set(err, PS_ERR_INPUT, "'%s': the file ends at offset 0x%llx inside the first buffer header",
                                    ps_input_name(r->base.in), (unsigned long long)r->size);
            damage(r, "the file ends inside a buffer header at offset 0x%llx (%llu bytes); the buffers before are kept",
                   (unsigned long long)off, (unsigned long long)(r->size - off));
            break;
        }
        size = u32(b);
        saved = u32(b + 4);
        filled = u32(b + 0x30);
        flag = u16(b + 0x34);
        compressed = (flag & 0x40) != 0;
        if (size < BUF_HDR || size > MAX_BUFFER) {
            if (r->nbufs == 0)
                return ps_error_set(err, PS_ERR_INPUT, "'%s': buffer at offset 0x%llx: impossible size %u",
                                    ps_input_name(r->base.in), (unsigned long long)off, size);
            damage(r, "buffer at offset 0x%llx: impossible size %u (%s); the %zu buffers before are kept",
                   (unsigned long long)off, size, size > MAX_BUFFER ? "larger than 16 MiB" : "smaller than its header",
                   r->nbufs);
            break;
        }
        if (size > r->size - off) {
            if (r->nbufs == 0)
                return ps_error_set(err, PS_ERR_INPUT,
                                    "'%s': buffer at offset 0x%llx: size %u runs past the end of the file",
                                    ps_input_name(r->base.in), (unsigned long long)off, size);
            damage(r, "buffer at offset 0x%llx: size %u runs past the end of the file (%llu bytes left); the %zu "
                      "buffers before are kept",
                   (unsigned long long)off, size, (unsigned long long)(r->size - off), r->nbufs);
            break;
        }
        if (r->nbufs == cap) {
            size_t nc = cap ? cap * 2 : 256;
            etl_buffer *nb = realloc(r->bufs, nc * sizeof *nb);
            if (!nb)
                return ps_error_nomem(err);
            r->bufs = nb;
            cap = nc;
        }
        e = &r->bufs[r->nbufs++];
        e->off = off;
        e->size = size;
        e->saved = saved;
        e->filled = compressed ? (filled > saved ? filled : saved) : filled;
        e->cpu = u16(b + 0x28);
        e->flag = flag;
        e->seq = (int64_t)u64(b + 0x18);
        if (flag & 0x02)
            flagged_lost++;
        if (flag & 0x04)
            flagged_buffers++;
        off += size;
        if (off >= r->released + RELEASE_STEP) {
            /* reading the headers maps the pages around them: give them back */
            ps_input_release(r->base.in, r->released, off);
            r->released = off;
        }
    }
    ps_input_release(r->base.in, 0, r->size);
    r->released = 0;
    r->base.info.events_lost = r->events_lost > flagged_lost ? r->events_lost : flagged_lost;
    if (r->buffers_lost || flagged_buffers)
        ps_reader_warn(&r->base, "'%s': the log reports %llu lost buffer%s: their events are not in the file",
                       ps_input_name(r->base.in),
                       (unsigned long long)(r->buffers_lost > flagged_buffers ? r->buffers_lost : flagged_buffers),
                       (r->buffers_lost > flagged_buffers ? r->buffers_lost : flagged_buffers) == 1 ? "" : "s");
    return 0;
}

static int cmp_seq(const void *a, const void *b, void *ctx)
{
    const etl_buffer *bufs = ctx;
    const etl_buffer *x = &bufs[*(const size_t *)a], *y = &bufs[*(const size_t *)b];
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int make_streams(etl_reader *r, ps_error *err)
{
    size_t i, j;
    ps_map idx;   /* cpu -> stream index + 1 */
    uint64_t v;

    ps_map_init(&idx);
    for (i = 0; i < r->nbufs; i++) {
        if (!ps_map_get(&idx, r->bufs[i].cpu, &v)) {
            etl_stream *ns = realloc(r->streams, (r->nstreams + 1) * sizeof *ns);
            if (!ns)
                goto nomem;
            r->streams = ns;
            memset(&ns[r->nstreams], 0, sizeof ns[0]);
            ns[r->nstreams].cpu = r->bufs[i].cpu;
            r->nstreams++;
            v = r->nstreams;
            if (ps_map_put(&idx, r->bufs[i].cpu, v) < 0)
                goto nomem;
        }
        r->streams[v - 1].nbufs++;
    }
    for (j = 0; j < r->nstreams; j++) {
        r->streams[j].bufs = malloc(r->streams[j].nbufs * sizeof(size_t));
        if (!r->streams[j].bufs)
            goto nomem;
        r->streams[j].nbufs = 0;
    }
    for (i = 0; i < r->nbufs; i++) {
        etl_stream *s;
        ps_map_get(&idx, r->bufs[i].cpu, &v);
        s = &r->streams[v - 1];
        s->bufs[s->nbufs++] = i;
    }
    for (j = 0; j < r->nstreams; j++)
        qsort_r(r->streams[j].bufs, r->streams[j].nbufs, sizeof(size_t), cmp_seq, r->bufs);
    ps_map_release(&idx);
    r->heap = malloc((r->nstreams ? r->nstreams : 1) * sizeof *r->heap);
    if (!r->heap)
        return ps_error_nomem(err);
    return 0;
nomem:
    ps_map_release(&idx);
    return ps_error_nomem(err);
}

/* ---- records ----------------------------------------------------------------------- */

/* Decodes the header of the record at pos.  1: a record, 0: the buffer
 * ends here (or is damaged: reported). */
static int parse_rec(etl_reader *r, etl_stream *s, size_t pos, etl_rec *rec, bool quiet)
{
    const uint8_t *p;
    size_t left;
    uint32_t w, size, hdr;
    uint8_t type, flags;

    if (pos + 4 > s->end)
        return 0;
    p = s->cur + pos;
    left = s->end - pos;
    w = u32(p);
    if (w == 0xFFFFFFFFu)
        return 0;
    type = (uint8_t)(w >> 16);
    flags = (uint8_t)(w >> 24);
    memset(rec, 0, sizeof *rec);
    rec->p = p;
    rec->type = type;
    rec->buf_off = s->buf_off;
    rec->at = (uint32_t)pos;
    if (!(flags & 0x80)) {
        if (!quiet)
            if (!quiet)
                damage(r, "buffer at offset 0x%llx, record at +0x%zx: not a trace record (marker 0x%08x); the rest of "
                  "the buffer is skipped",
               (unsigned long long)s->buf_off, pos, w);
        return 0;
    }
    if ((flags & 0x10) && !(flags & 0x40)) {
        /* a WPP (TraceMessage) record: counted, not decoded */
        size = w & 0xFFFF;
        hdr = 8;
        rec->message = true;
    } else {
        switch (type) {
        case HT_SYSTEM32: case HT_SYSTEM64: hdr = 0x20; size = u16(p + 4); break;
        case HT_COMPACT32: case HT_COMPACT64: hdr = 0x18; size = u16(p + 4); break;
        case HT_PERFINFO32: case HT_PERFINFO64: {
            uint16_t ver = u16(p);
            hdr = 0x10 + ((ver & 0x8000) ? 8 : 0) + ((ver & 0x0700) >> 8) * 8u;
            size = u16(p + 4);
            break;
        }
        case HT_FULL32: case HT_FULL64: hdr = 0x30; size = u16(p); break;
        case HT_INSTANCE32: case HT_INSTANCE64: hdr = 0x48; size = u16(p); break;
        case HT_EVENT32: case HT_EVENT64: hdr = 0x50; size = u16(p); break;
        default:
            if (!quiet)
            if (!quiet)
                damage(r, "buffer at offset 0x%llx, record at +0x%zx: impossible header type 0x%02x; the rest of the "
                      "buffer is skipped",
                   (unsigned long long)s->buf_off, pos, type);
            return 0;
        }
    }
    if (size < hdr || size > left) {
        if (!quiet)
            if (!quiet)
                damage(r, "buffer at offset 0x%llx, record at +0x%zx: size %u %s; the rest of the buffer is skipped",
               (unsigned long long)s->buf_off, pos, size,
               size < hdr ? "is smaller than its header" : "overruns the buffer");
        return 0;
    }
    rec->size = size;
    rec->hdr = hdr;
    rec->ptr = (type == HT_SYSTEM32 || type == HT_COMPACT32 || type == HT_PERFINFO32 || type == HT_FULL32 ||
                type == HT_INSTANCE32 || type == HT_EVENT32)
                   ? 4
                   : 8;
    if (!quiet && type <= HT_PERFINFO64 && (type <= HT_COMPACT64 || type >= HT_PERFINFO32) && !rec->message &&
        u16(p + 6) == 0x1820)
        r->has_stackwalk = true;
    if (rec->message)
        rec->raw_ts = INT64_MIN;   /* merged at once */
    else if (type == HT_PERFINFO32 || type == HT_PERFINFO64)
        rec->raw_ts = (int64_t)u64(p + 8);
    else
        rec->raw_ts = (int64_t)u64(p + 0x10);
    return 1;
}

/* Loads the stream's next buffer that has records.  0: none left. */
static int load_buffer(etl_reader *r, etl_stream *s, ps_error *err)
{
    while (s->next < s->nbufs) {
        const etl_buffer *b = &r->bufs[s->bufs[s->next++]];
        const uint8_t *src = r->data + b->off;

        /* the progress bar: the share of the buffers begun, as bytes */
        r->buffers_begun++;
        if (r->nbufs)
            ps_input_map_progress(r->base.in, (uint64_t)((double)r->size * r->buffers_begun / r->nbufs));

        s->buf_off = b->off;
        s->pos = BUF_HDR;
        s->nskip = 0;
        if (b->flag & 0x40) {
            size_t want = b->filled > BUF_HDR ? b->filled - BUF_HDR : 0, bad;
            long got;
            if (b->filled <= BUF_HDR)
                continue;   /* nothing but the header */
            if (b->filled > MAX_BUFFER) {
                damage(r, "buffer at offset 0x%llx: decompressed size %u larger than 16 MiB; the buffer is skipped",
                       (unsigned long long)b->off, b->filled);
                continue;
            }
            if (s->cap < b->filled) {
                uint8_t *nd = realloc(s->data, b->filled);
                if (!nd)
                    return ps_error_nomem(err);
                s->data = nd;
                s->cap = b->filled;
            }
            memcpy(s->data, src, BUF_HDR);
            got = ps_lz77_decompress(src + BUF_HDR, b->size - BUF_HDR, s->data + BUF_HDR, want, &bad);
            if (got < 0) {
                damage(r, "buffer at offset 0x%llx: corrupt compressed data at file offset 0x%llx; the buffer is "
                          "skipped",
                       (unsigned long long)b->off, (unsigned long long)(b->off + BUF_HDR + bad));
                continue;
            }
            if ((size_t)got < want)
                damage(r, "buffer at offset 0x%llx: decompressed to %ld of %zu bytes; the records after are lost",
                       (unsigned long long)b->off, got, want);
            s->cur = s->data;
            s->end = BUF_HDR + (size_t)got;
        } else {
            s->cur = src;
            s->end = b->filled;
            if (b->filled > b->size) {
                damage(r, "buffer at offset 0x%llx: filled size %u past its size %u; read to its end",
                       (unsigned long long)b->off, b->filled, b->size);
                s->end = b->size;
            }
        }
        if (s->end > BUF_HDR)
            return 1;
    }
    return 0;
}

static void step(etl_stream *s)
{
    s->pos += ((size_t)s->rec.size + 7) & ~(size_t)7;
}

/* Gives back the pages of the mapped file behind every processor's current
 * buffer (each stream moves forward through the file), so that resident
 * memory does not grow with the trace. */
static void release_behind(etl_reader *r)
{
    uint64_t low = UINT64_MAX;
    size_t i;

    for (i = 0; i < r->nstreams; i++) {
        const etl_stream *s = &r->streams[i];
        if (s->cur && s->buf_off < low)
            low = s->buf_off;
    }
    if (low != UINT64_MAX && low >= r->released + RELEASE_STEP) {
        ps_input_release(r->base.in, r->released, low);
        r->released = low;
    }
}

/* Moves the stream to its next record (across buffers).  Sets s->has_rec. */
static int advance(etl_reader *r, etl_stream *s, ps_error *err)
{
    int rc;

    for (;;) {
        if (s->cur && parse_rec(r, s, s->pos, &s->rec, false)) {
            unsigned i;
            for (i = 0; i < s->nskip && s->skip[i] != s->pos; i++)
                ;
            if (i < s->nskip) {
                step(s);   /* joined to its event already */
                continue;
            }
            s->has_rec = true;
            return 0;
        }
        if ((rc = load_buffer(r, s, err)) < 0)
            return rc;
        if (rc == 0) {
            s->has_rec = false;
            s->cur = NULL;
            return 0;
        }
        release_behind(r);
    }
}


/* ---- the heap of streams --------------------------------------------------------------- */

static bool before(const etl_reader *r, size_t a, size_t b)
{
    const etl_rec *x = &r->streams[a].rec, *y = &r->streams[b].rec;
    if (x->raw_ts != y->raw_ts)
        return x->raw_ts < y->raw_ts;
    return a < b;
}

static void heap_down(etl_reader *r, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i, t;
        if (l < r->nheap && before(r, r->heap[l], r->heap[m]))
            m = l;
        if (l + 1 < r->nheap && before(r, r->heap[l + 1], r->heap[m]))
            m = l + 1;
        if (m == i)
            return;
        t = r->heap[i];
        r->heap[i] = r->heap[m];
        r->heap[m] = t;
        i = m;
    }
}

static void heap_up(etl_reader *r, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2, t;
        if (!before(r, r->heap[i], r->heap[p]))
            return;
        t = r->heap[i];
        r->heap[i] = r->heap[p];
        r->heap[p] = t;
        i = p;
    }
}

/* ---- payloads ------------------------------------------------------------------------- */

typedef struct cur {
    const uint8_t *p;
    size_t n, i;
    int ptr;
    bool ok;
} cur;

static void cur_init(cur *c, const uint8_t *p, size_t n, int ptr)
{
    c->p = p;
    c->n = n;
    c->i = 0;
    c->ptr = ptr;
    c->ok = true;
}

static bool need(cur *c, size_t n)
{
    if (!c->ok || c->n - c->i < n) {
        c->ok = false;
        return false;
    }
    return true;
}

/* An unsigned little-endian field of n bytes (0 when it is not there). */
static uint64_t c_le(cur *c, unsigned n)
{
    uint64_t v = 0;
    unsigned k;
    if (!need(c, n))
        return 0;
    for (k = n; k-- > 0;)
        v = v << 8 | c->p[c->i + k];
    c->i += n;
    return v;
}

static uint32_t c_u32(cur *c)
{
    return (uint32_t)c_le(c, 4);
}

static uint16_t c_u16(cur *c)
{
    return (uint16_t)c_le(c, 2);
}

static uint64_t c_u64(cur *c)
{
    return c_le(c, 8);
}

static uint64_t c_ptr(cur *c)
{
    return c->ptr == 4 ? c_u32(c) : c_u64(c);
}

static void c_skip(cur *c, size_t n)
{
    if (need(c, n))
        c->i += n;
}

/* Copies into the per-record arena; a failure is remembered (r->oom) and
 * fails the read rather than losing the text. */
static char *r_ndup(etl_reader *r, const char *s, size_t n)
{
    char *d = ps_arena_strndup(&r->arena, s, n);
    if (!d)
        r->oom = true;
    return d;
}

/* A NUL-terminated UTF-16 string (to the end of the payload when unterminated). */
static const char *c_wstr(cur *c, etl_reader *r)
{
    size_t units = 0, max;
    const uint8_t *p;

    if (!c->ok)
        return NULL;
    p = c->p + c->i;
    max = (c->n - c->i) / 2;
    while (units < max && (p[2 * units] | p[2 * units + 1]))
        units++;
    c->i += 2 * units + (units < max ? 2 : 0);
    if (units == max && (c->n - c->i) == 1)
        c->i++;
    {
        /* most names are ASCII: straight into the arena */
        size_t k;
        char *a;
        for (k = 0; k < units && p[2 * k] < 0x80 && !p[2 * k + 1]; k++)
            ;
        if (k == units && (a = ps_arena_alloc(&r->arena, units + 1)) != NULL) {
            for (k = 0; k < units; k++)
                a[k] = (char)p[2 * k];
            a[units] = '\0';
            return a;
        }
    }
    if (ps_utf16le_to_utf8(p, units, false, &r->tmp) < 0) {
        r->oom = true;
        return NULL;
    }
    return r_ndup(r, r->tmp.data ? r->tmp.data : "", r->tmp.len);
}

/* A NUL-terminated 8-bit string; bytes >= 0x80 read as Latin-1. */
static const char *c_astr(cur *c, etl_reader *r)
{
    size_t n = 0, i, max;
    const uint8_t *p;

    if (!c->ok)
        return NULL;
    p = c->p + c->i;
    max = c->n - c->i;
    while (n < max && p[n])
        n++;
    c->i += n + (n < max ? 1 : 0);
    ps_buf_reset(&r->tmp);
    if (ps_buf_reserve(&r->tmp, 2 * n + 1) < 0) {
        r->oom = true;
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (p[i] < 0x80) {
            r->tmp.data[r->tmp.len++] = (char)p[i];
        } else {
            r->tmp.data[r->tmp.len++] = (char)(0xC0 | p[i] >> 6);
            r->tmp.data[r->tmp.len++] = (char)(0x80 | (p[i] & 0x3F));
        }
    }
    return r_ndup(r, r->tmp.data ? r->tmp.data : "", r->tmp.len);
}

/* The UserSID field of process events: 4 zero bytes (no SID), or a
 * TOKEN_USER (two pointers) followed by the SID. */
static const char *c_sid(cur *c, etl_reader *r)
{
    uint8_t rev, cnt;
    uint64_t auth = 0;
    unsigned i;

    if (!need(c, 4))
        return NULL;
    if (u32(c->p + c->i) == 0) {
        c->i += 4;
        return NULL;
    }
    c_skip(c, 2 * (size_t)c->ptr);
    if (!need(c, 8))
        return NULL;
    rev = c->p[c->i];
    cnt = c->p[c->i + 1];
    for (i = 0; i < 6; i++)
        auth = auth << 8 | c->p[c->i + 2 + i];
    c->i += 8;
    if (cnt > 15 || !need(c, 4u * cnt)) {
        c->ok = false;
        return NULL;
    }
    ps_buf_reset(&r->tmp);
    if (ps_buf_printf(&r->tmp, "S-%u-%llu", rev, (unsigned long long)auth) < 0)
        r->oom = true;
    for (i = 0; i < cnt; i++)
        if (ps_buf_printf(&r->tmp, "-%u", u32(c->p + c->i + 4 * i)) < 0)
            r->oom = true;
    c->i += 4u * cnt;
    return r_ndup(r, ps_buf_cstr(&r->tmp), r->tmp.len);
}

static void dec_process(etl_reader *r, ps_etw_kevent *k, cur *c)
{
    if (k->opcode == 11) {   /* Terminate: the process id only */
        k->process_id = c_u32(c);
        if (c->ok)
            k->have |= PS_ETW_F_PID;
        return;
    }
    if (k->version < 2)
        return;
    c_ptr(c);   /* UniqueProcessKey */
    k->process_id = c_u32(c);
    k->parent_id = c_u32(c);
    k->session_id = c_u32(c);
    k->exit_status = (int32_t)c_u32(c);
    if (!c->ok)
        return;
    k->have |= PS_ETW_F_PID | PS_ETW_F_PARENT | PS_ETW_F_SESSION | PS_ETW_F_EXIT;
    if (k->version >= 3)
        c_ptr(c);   /* DirectoryTableBase */
    if (k->version >= 4) {
        k->flags = c_u32(c);
        if (c->ok)
            k->have |= PS_ETW_F_FLAGS;
    }
    k->user_sid = c_sid(c, r);
    k->image_name = c_astr(c, r);
    if (c->ok && c->i < c->n)
        k->command_line = c_wstr(c, r);
}

static void dec_image(etl_reader *r, ps_etw_kevent *k, cur *c)
{
    k->image_base = c_ptr(c);
    k->image_size = c_ptr(c);
    if (k->version >= 1) {
        k->process_id = c_u32(c);
        if (c->ok)
            k->have |= PS_ETW_F_PID;
    }
    if (k->version >= 2) {
        c_skip(c, 4 + 4 + 4);    /* checksum, TimeDateStamp, Reserved0/signature */
        c_ptr(c);                /* DefaultBase */
        c_skip(c, 16);           /* Reserved1..4 */
    }
    if (!c->ok)
        return;
    k->have |= PS_ETW_F_IMAGE_BASE | PS_ETW_F_IMAGE_SIZE;
    k->file_name = c_wstr(c, r);
}

static void dec_classic(etl_reader *r, ps_etw_kevent *k, cur *c)
{
    switch (k->group) {
    case PS_ETW_G_PROCESS:
        if (k->opcode == 10)
            dec_image(r, k, c);
        else if (k->opcode <= 4 || k->opcode == 11 || k->opcode == 39)
            dec_process(r, k, c);
        break;
    case PS_ETW_G_THREAD:
        if (c->ok)
            ps_etw_kevent_fixed_payload(k, c->p + c->i, c->n - c->i);
        break;
    case PS_ETW_G_IMAGE:
        if (k->opcode == 10 || (k->opcode >= 2 && k->opcode <= 4))
            dec_image(r, k, c);
        break;
    case PS_ETW_G_FILEIO:
        if (k->opcode == 64) {
            c_ptr(c);   /* IrpPtr */
            if (k->version <= 2) {
                k->thread_id = (uint32_t)c_ptr(c);
                c_ptr(c);   /* FileObject */
            } else {
                c_ptr(c);
                k->thread_id = c_u32(c);
            }
            k->create_options = c_u32(c);
            c_skip(c, 8);   /* FileAttributes, ShareAccess */
            if (!c->ok)
                break;
            k->have |= PS_ETW_F_TID | PS_ETW_F_OPTIONS;
            k->file_name = c_wstr(c, r);
        } else if (k->opcode == 0 || k->opcode == 32 || k->opcode == 35 || k->opcode == 36) {
            c_ptr(c);   /* FileObject */
            k->file_name = c_wstr(c, r);
        }
        break;
    case PS_ETW_G_REGISTRY:
        if (k->version >= 2) {
            c_u64(c);   /* InitialTime */
            k->status = c_u32(c);
            c_u32(c);   /* Index */
            k->key_handle = c_ptr(c);
            if (!c->ok)
                break;
            k->have |= PS_ETW_F_STATUS | PS_ETW_F_KEY;
            k->key_name = c_wstr(c, r);
        }
        break;
    case PS_ETW_G_ALPC:
        if (k->opcode == 33 || k->opcode == 34) {
            k->message_id = c_u32(c);
            if (c->ok)
                k->have |= PS_ETW_F_MESSAGE;
        }
        break;
    case PS_ETW_G_STACKWALK:
        if (k->opcode == 32) {
            uint32_t i, n;
            k->event_ts = c_u64(c);
            k->process_id = c_u32(c);
            k->thread_id = c_u32(c);
            if (!c->ok)
                break;
            k->have |= PS_ETW_F_EVENT_TS | PS_ETW_F_PID | PS_ETW_F_TID;
            n = (uint32_t)((c->n - c->i) / (size_t)c->ptr);
            if (r->stackcap < n) {
                uint64_t *ns = realloc(r->stack, n * sizeof *ns);
                if (!ns) {
                    r->oom = true;
                    break;
                }
                r->stack = ns;
                r->stackcap = n;
            }
            for (i = 0; i < n; i++)
                r->stack[i] = c_ptr(c);
            k->stack = r->stack;
            k->nstack = n;
        }
        break;
    }
}

static void dec_manifest(etl_reader *r, ps_etw_kevent *k, cur *c)
{
    if (k->prov == PS_ETW_KERNEL_PROCESS) {
        switch (k->id) {
        case 1: case 15:   /* ProcessStart, ProcessRundown */
            k->process_id = c_u32(c);
            k->create_time = (int64_t)c_u64(c);
            k->parent_id = c_u32(c);
            k->session_id = c_u32(c);
            if (!c->ok)
                return;
            k->have |= PS_ETW_F_PID | PS_ETW_F_CREATE_TIME | PS_ETW_F_PARENT | PS_ETW_F_SESSION;
            if (k->version >= 1 || k->id == 15) {
                k->flags = c_u32(c);
                if (c->ok)
                    k->have |= PS_ETW_F_FLAGS;
            }
            k->image_name = c_wstr(c, r);
            return;
        case 2:            /* ProcessStop */
            k->process_id = c_u32(c);
            c_skip(c, 16);   /* CreateTime, ExitTime */
            k->exit_status = (int32_t)c_u32(c);
            if (c->ok)
                k->have |= PS_ETW_F_PID | PS_ETW_F_EXIT;
            return;
        case 3: case 4:    /* ThreadStart, ThreadStop */
            k->process_id = c_u32(c);
            k->thread_id = c_u32(c);
            if (c->ok)
                k->have |= PS_ETW_F_PID | PS_ETW_F_TID;
            return;
        case 5: case 6:    /* ImageLoad, ImageUnload */
            k->image_base = c_ptr(c);
            k->image_size = c_ptr(c);
            k->process_id = c_u32(c);
            c_skip(c, 8);    /* ImageCheckSum, TimeDateStamp */
            c_ptr(c);        /* DefaultBase */
            if (!c->ok)
                return;
            k->have |= PS_ETW_F_PID | PS_ETW_F_IMAGE_BASE | PS_ETW_F_IMAGE_SIZE;
            k->file_name = c_wstr(c, r);
            return;
        }
        return;
    }
    if (k->prov == PS_ETW_KERNEL_REGISTRY) {
        uint16_t captured;
        if (k->id == 1 || k->id == 2) {
            k->base_object = c_ptr(c);
            k->key_handle = c_ptr(c);
            k->status = c_u32(c);
            c_u32(c);   /* Disposition */
            if (!c->ok)
                return;
            k->have |= PS_ETW_F_BASE_OBJECT | PS_ETW_F_KEY | PS_ETW_F_STATUS;
            k->base_name = c_wstr(c, r);
            k->relative_name = c_wstr(c, r);
            return;
        }
        k->key_handle = c_ptr(c);
        k->status = c_u32(c);
        if (!c->ok)
            return;
        k->have |= PS_ETW_F_KEY | PS_ETW_F_STATUS;
        switch (k->id) {
        case 3: case 6:      /* DeleteKey, DeleteValueKey */
            k->key_name = c_wstr(c, r);
            if (k->id == 6)
                k->value_name = c_wstr(c, r);
            return;
        case 4: case 7:      /* QueryKey, QueryValueKey */
            k->info_class = c_u32(c);
            c_u32(c);        /* DataSize */
            if (!c->ok)
                return;
            k->have |= PS_ETW_F_INFO_CLASS;
            k->key_name = c_wstr(c, r);
            if (k->id == 7)
                k->value_name = c_wstr(c, r);
            break;
        case 5:              /* SetValueKey */
            k->reg_type = c_u32(c);
            c_u32(c);        /* DataSize */
            if (!c->ok)
                return;
            k->have |= PS_ETW_F_REG_TYPE;
            k->key_name = c_wstr(c, r);
            k->value_name = c_wstr(c, r);
            break;
        default:
            return;
        }
        captured = c_u16(c);
        if (c->ok && need(c, captured)) {
            /* copied: the record's buffer may be reused before the mapping */
            uint8_t *d = ps_arena_alloc(&r->arena, captured ? captured : 1);
            if (d) {
                memcpy(d, c->p + c->i, captured);
                k->data = d;
                k->data_len = captured;
            } else {
                r->oom = true;
            }
            c->i += captured;
        }
        return;
    }
    if (k->prov == PS_ETW_KERNEL_FILE) {
        if (k->id == 12 || k->id == 30) {   /* Create, CreateNewFile */
            c_ptr(c);   /* Irp */
            c_ptr(c);   /* FileObject */
            k->thread_id = c_u32(c);
            k->create_options = c_u32(c);
            c_skip(c, 8);   /* CreateAttributes, ShareAccess */
            if (!c->ok)
                return;
            k->have |= PS_ETW_F_TID | PS_ETW_F_OPTIONS;
            k->file_name = c_wstr(c, r);
        } else if (k->id == 10 || k->id == 11) {
            c_ptr(c);   /* FileKey */
            k->file_name = c_wstr(c, r);
        }
    }
}

/* Extended data items of an EVENT_HEADER record: sets *payload to the
 * offset after the last one; stack traces become the event's stack.
 * false when the chain is malformed. */
static bool ext_items(etl_reader *r, const etl_rec *rec, ps_etw_kevent *k, uint32_t *payload)
{
    uint32_t at = 0x50, n;

    for (n = 0; n < MAX_EXT_ITEMS; n++) {
        uint16_t isize, type, link, dsize;
        if (at + 8 > rec->size)
            return false;
        isize = u16(rec->p + at);
        type = u16(rec->p + at + 2);
        link = u16(rec->p + at + 4);
        dsize = u16(rec->p + at + 6);
        if (isize < 8 || (uint32_t)dsize + 8 > isize || at + isize > rec->size)
            return false;
        if ((type == 5 || type == 6) && dsize >= 8 && !r->base.opts.no_stacks) {
            /* stack trace: MatchId, then 32- or 64-bit addresses */
            unsigned w = type == 5 ? 4 : 8;
            uint32_t i, cnt = (dsize - 8u) / w;
            if (r->stackcap < cnt) {
                uint64_t *ns = realloc(r->stack, cnt * sizeof *ns);
                if (!ns) {
                    r->oom = true;   /* not damage: the read fails */
                    return true;
                }
                r->stack = ns;
                r->stackcap = cnt;
            }
            for (i = 0; i < cnt; i++)
                r->stack[i] = w == 4 ? u32(rec->p + at + 16 + 4 * i) : u64(rec->p + at + 16 + 8 * i);
            k->stack = r->stack;
            k->nstack = cnt;
        }
        at += isize;
        if (!(link & 1)) {
            *payload = at;
            return true;
        }
    }
    return false;   /* too many items: a loop or garbage */
}

/* Fills r->k from a record.  false when the record is damaged (reported). */
static bool decode(etl_reader *r, const etl_rec *rec)
{
    ps_etw_kevent *k = &r->k;
    const uint8_t *p = rec->p;
    uint32_t payload = rec->hdr;
    cur c;

    ps_etw_kevent_reset(k);
    k->pointer_size = rec->ptr;
    if (!to_filetime(r, rec->raw_ts, &k->ts)) {
        damage(r, "buffer at offset 0x%llx, record at +0x%x: timestamp 0x%llx is out of range for the log's clock; "
                  "the record is skipped",
               (unsigned long long)rec->buf_off, rec->at, (unsigned long long)rec->raw_ts);
        return false;
    }
    switch (rec->type) {
    case HT_SYSTEM32: case HT_SYSTEM64: case HT_COMPACT32: case HT_COMPACT64:
    case HT_PERFINFO32: case HT_PERFINFO64: {
        uint16_t hook = u16(p + 6);
        k->prov = PS_ETW_CLASSIC;
        k->group = hook >> 8;
        k->opcode = hook & 0xFF;
        k->version = u16(p) & (rec->type >= HT_PERFINFO32 ? 0x78FFu : 0xFFFFu);
        if (rec->type < HT_PERFINFO32) {
            k->has_tid = k->has_pid = true;
            k->tid = u32(p + 8);
            k->pid = u32(p + 12);
        }
        break;
    }
    case HT_FULL32: case HT_FULL64: case HT_INSTANCE32: case HT_INSTANCE64:
        ps_etw_kevent_identify(k, p + 0x18, p[4], 0, u16(p + 6));
        k->has_tid = k->has_pid = true;
        k->tid = u32(p + 8);
        k->pid = u32(p + 12);
        break;
    case HT_EVENT32: case HT_EVENT64:
        ps_etw_kevent_identify(k, p + 0x18, p[0x2D], u16(p + 0x28), p[0x2A]);
        k->has_id = true;
        k->has_tid = k->has_pid = true;
        k->tid = u32(p + 8);
        k->pid = u32(p + 12);
        if ((u16(p + 4) & 0x0001) && !ext_items(r, rec, k, &payload)) {
            damage(r, "buffer at offset 0x%llx, record at +0x%x: a broken chain of extended data items; the "
                      "record is skipped",
                   (unsigned long long)rec->buf_off, rec->at);
            return false;
        }
        if (u16(p + 4) & 0x0004)   /* a string-only event */
            return true;
        break;
    }
    if (k->tid == NO_PID)
        k->has_tid = false;
    cur_init(&c, p + payload, rec->size - payload, rec->ptr);
    if (k->prov == PS_ETW_CLASSIC)
        dec_classic(r, k, &c);
    else
        dec_manifest(r, k, &c);
    return true;
}

/* ---- open / next / close ------------------------------------------------------------------ */

static int etl_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err)
{
    etl_reader *r;
    ps_etw_state_opts so;
    size_t i;
    int rc;
    const char *clock;

    *out = NULL;
    r = calloc(1, sizeof *r);
    if (!r)
        return ps_error_nomem(err);
    ps_reader_base_init(&r->base, &ps_etl_reader, in, opts);
    ps_arena_init(&r->arena, 65536);
    ps_buf_init(&r->tmp);
    if ((rc = ps_input_map(in, &r->data, &r->size, err)) < 0)
        goto fail;
    if (r->size < BUF_HDR) {
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': the file ends at offset 0x%llx, inside the first buffer header",
                          ps_input_name(in), (unsigned long long)r->size);
        goto fail;
    }
    if (u32(r->data) < BUF_HDR + 0x20 || u32(r->data) > MAX_BUFFER) {
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': buffer at offset 0x0: impossible size %u", ps_input_name(in),
                          u32(r->data));
        goto fail;
    }
    if (r->size < BUF_HDR + 0x20 || etl_probe(r->data, (size_t)(r->size < 4096 ? r->size : 4096)) == 0) {
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': not an ETW log: no logfile header at offset 0x48",
                          ps_input_name(in));
        goto fail;
    }
    if ((rc = parse_logfile_header(r, err)) < 0 || (rc = index_buffers(r, err)) < 0 || (rc = make_streams(r, err)) < 0)
        goto fail;
    memset(&so, 0, sizeof so);
    so.log_pointer_size = (int)r->log_ptr;
    so.no_stacks = r->base.opts.no_stacks;
    if ((rc = ps_etw_state_new(&so, &r->map, err)) < 0)
        goto fail;

    r->base.info.time_basis = PS_TIME_UTC;
    r->base.info.has_tid = true;
    r->base.info.pointer_size = (int)r->log_ptr;
    r->base.info.cpu_count = (int)r->ncpu;
    snprintf(r->base.info.os_version, sizeof r->base.info.os_version, "Windows %u.%u build %u", r->os_major,
             r->os_minor, r->os_build);
    clock = r->clock == 1 ? "QPC" : r->clock == 2 ? "system time" : "CPU cycle counter";
    if (r->clock == 2)
        snprintf(r->base.info.time_note, sizeof r->base.info.time_note,
                 "FILETIME UTC: the log's clock is the system time; %zu buffer%s on %zu processor%s%s",
                 r->nbufs, r->nbufs == 1 ? "" : "s", r->nstreams, r->nstreams == 1 ? "" : "s",
                 (r->mode & 0x04000000) ? ", compressed" : "");
    else
        snprintf(r->base.info.time_note, sizeof r->base.info.time_note,
                 "FILETIME UTC from the %s clock (%lld Hz) relative to the logfile header's start time; %zu "
                 "buffer%s on %zu processor%s%s",
                 clock, (long long)(r->clock == 1 ? r->perf_freq : (int64_t)r->cpu_mhz * 1000000), r->nbufs,
                 r->nbufs == 1 ? "" : "s", r->nstreams, r->nstreams == 1 ? "" : "s",
                 (r->mode & 0x04000000) ? ", compressed" : "");

    for (i = 0; i < r->nstreams; i++) {
        if ((rc = advance(r, &r->streams[i], err)) < 0)
            goto fail;
        if (r->streams[i].has_rec) {
            r->heap[r->nheap++] = i;
            heap_up(r, r->nheap - 1);
        }
    }
    *out = &r->base;
    return 0;
fail:
    etl_close(&r->base);
    return rc;
}

static void publish_counts(etl_reader *r)
{
    r->base.info.kinds = ps_etw_kinds(r->map, &r->base.info.nkinds);
    r->base.info.undecoded = ps_etw_undecoded(r->map);
}

#define STACK_LOOKAHEAD 8

/* Frames from the StackWalk records among the next few records of the
 * processor's buffer that name the current record's time and thread: they
 * are copied into r->joined and skipped when the stream reaches them. */
static int join_stacks(etl_reader *r, etl_stream *s, int64_t raw_ts, uint32_t tid, bool has_tid,
                       uint32_t *nframes, ps_error *err)
{
    size_t pos = s->pos;
    unsigned seen;
    int rc;

    *nframes = 0;
    /* (the stream's next record is parsed before this is called: a stack
     * walk right after the first event that has one is seen in time) */
    if (!s->has_rec || !r->has_stackwalk)
        return 0;
    for (seen = 0; seen < STACK_LOOKAHEAD && s->nskip < PS_ARRAY_LEN(s->skip); seen++) {
        etl_rec q;
        const uint8_t *pl;
        uint32_t n, i;
        unsigned j;
        if (!parse_rec(r, s, pos, &q, true))
            break;
        pos += ((size_t)q.size + 7) & ~(size_t)7;
        for (j = 0; j < s->nskip && s->skip[j] != q.at; j++)
            ;
        if (j < s->nskip)
            continue;   /* joined to an earlier event */
        if (q.message || q.size < q.hdr + 16 || q.type > HT_PERFINFO64 ||
            (q.type > HT_COMPACT64 && q.type < HT_PERFINFO32) || u16(q.p + 6) != 0x1820)
            continue;
        pl = q.p + q.hdr;
        if ((int64_t)u64(pl) != raw_ts || (has_tid && u32(pl + 12) != tid))
            continue;
        n = (q.size - q.hdr - 16) / (uint32_t)q.ptr;
        if (!r->base.opts.no_stacks) {
            if (r->joinedcap < (size_t)*nframes + n) {
                size_t nc = ((size_t)*nframes + n) * 2;
                uint64_t *nf = realloc(r->joined, nc * sizeof *nf);
                if (!nf)
                    return ps_error_nomem(err);
                r->joined = nf;
                r->joinedcap = nc;
            }
            for (i = 0; i < n; i++)
                r->joined[*nframes + i] = q.ptr == 4 ? u32(pl + 16 + 4 * i) : u64(pl + 16 + 8 * i);
            *nframes += n;
        }
        s->skip[s->nskip++] = q.at;
        if ((rc = ps_etw_count(r->map, "MSNT_SystemTrace", "StackWalk/Stack (joined to its event)", true, err)) < 0)
            return rc;
    }
    /* the stream's next record may be one of them */
    if (s->nskip) {
        unsigned i;
        for (i = 0; i < s->nskip && s->skip[i] != s->rec.at; i++)
            ;
        if (i < s->nskip) {
            step(s);
            if ((rc = advance(r, s, err)) < 0)
                return rc;
        }
    }
    return 0;
}

static int etl_next(ps_reader *base, ps_record *out, ps_error *err)
{
    etl_reader *r = (etl_reader *)base;
    int rc;

    while (r->nheap) {
        etl_stream *s = &r->streams[r->heap[0]];
        etl_rec rec = s->rec;
        uint32_t njoined = 0;
        bool ok = true;

        /* decode first: moving on may reuse the buffer the record is in */
        ps_arena_reset(&r->arena);
        r->oom = false;
        if (!rec.message)
            ok = decode(r, &rec);
        if (r->oom)
            return ps_error_nomem(err);
        step(s);
        if ((rc = advance(r, s, err)) < 0)
            return rc;
        /* stack walks follow classic kernel events (manifest events carry
         * theirs as extended data) */
        if (ok && !rec.message && rec.type <= HT_PERFINFO64 && (rec.type <= HT_COMPACT64 || rec.type >= HT_PERFINFO32) &&
            !(r->k.prov == PS_ETW_CLASSIC && r->k.group == PS_ETW_G_STACKWALK)) {
            if ((rc = join_stacks(r, s, rec.raw_ts, r->k.tid, r->k.has_tid, &njoined, err)) < 0)
                return rc;
            if (njoined && !r->k.nstack) {
                r->k.stack = r->joined;
                r->k.nstack = njoined;
            }
        }
        /* the stream's next record decides its place in the heap */
        if (s->has_rec) {
            heap_down(r, 0);
        } else {
            r->heap[0] = r->heap[--r->nheap];
            if (r->nheap)
                heap_down(r, 0);
        }
        if (rec.message) {
            if ((rc = ps_etw_count(r->map, "WPP", "message", false, err)) < 0)
                return rc;
            continue;
        }
        if (!ok)
            continue;
        rc = ps_etw_map(r->map, &r->k, out, err);
        if (rc < 0)
            return rc;
        if (rc == 0)
            continue;
        if (out->type == PS_REC_EVENT) {
            ps_event *ev = (ps_event *)out->event;
            ev->seq = ++r->seq;
            ev->src_offset = rec.buf_off + rec.at;
            if (ev->nframes)
                r->base.info.has_stacks = true;
        }
        publish_counts(r);
        return 1;
    }
    publish_counts(r);
    return 0;
}

static void etl_close(ps_reader *base)
{
    etl_reader *r = (etl_reader *)base;
    size_t i;

    if (!r)
        return;
    for (i = 0; i < r->nstreams; i++) {
        free(r->streams[i].bufs);
        free(r->streams[i].data);
    }
    free(r->streams);
    free(r->bufs);
    free(r->heap);
    free(r->stack);
    free(r->joined);
    ps_etw_state_free(r->map);
    ps_arena_release(&r->arena);
    ps_buf_release(&r->tmp);
    free(r);
}
