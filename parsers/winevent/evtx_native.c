/*
 * evtx_native.c - Windows XML Event Log files (.evtx), read natively: the
 * file and chunk format here, the binary XML in parsers/winevent/binxml.c,
 * straight into a ps_evx and through parsers/winevent/map.c, with no XML
 * text on the way.  libevtx stays as the second reader (evtx-libevtx,
 * evtx.c), the oracle tests/realdata/evtx_native.test compares against.
 *
 * Layout (libyal's "Windows XML Event Log (EVTX)" document): a 4096-byte
 * file header ("ElfFile\0", chunk count at 42, flags at 120 - 1 dirty, 2
 * full -, CRC-32 of its first 120 bytes at 124), then 64 KiB chunks.  A
 * chunk header ("ElfChnk\0") holds the offset of its free space at 48, the
 * CRC-32 of the record data [512, free) at 52 and the CRC-32 of its bytes
 * [0, 120) and [128, 512) at 124; the records follow from 512, each
 * "**\0\0", size (4), record identifier (8), written time (8), binary XML,
 * and the size again in its last four bytes.
 *
 * Chunks are decoded in parallel (pthreads, one worker per available core,
 * PROCSTAGE_THREADS to override; one chunk or one core decodes inline) into
 * a ring of slots and handed out strictly in file order, so the records come
 * out as libevtx gives them; memory is the ring, whatever the file's size.
 *
 * Damage: a chunk whose header or record checksum is wrong, or whose
 * signature is missing, is reported with its file offset and skipped; a
 * record that is broken or cannot be decoded is reported with its offset and
 * skipped, the walk going on with the next record signature.  Chunks of
 * zeros (space Windows allocated and has not used yet) are skipped silently.
 * A file whose header says it was not closed cleanly (or counts fewer chunks
 * than the file holds) is read as far as its chunks are valid, with a
 * warning.  Records in the slack of a chunk (after its free-space offset:
 * deleted or overwritten) are counted in a warning (every plausible record
 * header: signature, size and its copy); with ps_reader_opts.recovered
 * (--recovered) they are decoded strictly (binxml.h) and given too,
 * after the chunk's live records, with ps_event.recovered set and the extra
 * field Recovered = "true" (so the model tells them apart).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/util.h"
#include "parsers/reader.h"
#include "parsers/winevent/binxml.h"
#include "parsers/winevent/evx.h"
#include "parsers/winevent/map.h"

#define HEADER_SIZE 4096u
#define CHUNK_SIZE 65536u
#define CHUNK_HEADER 512u
#define MAX_SHOWN_WARNINGS 20
#define MAX_THREADS 16
#define SLOTS_PER_THREAD 3

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- one chunk's records ----------------------------------------------------------- */

typedef struct rec_out {
    ps_evx x;
    uint64_t offset;            /* file offset of the record */
    bool recovered;
} rec_out;

enum { SLOT_FREE, SLOT_BUSY, SLOT_READY };

typedef struct slot {
    uint64_t chunk;             /* its chunk index */
    int state;
    ps_arena arena;             /* the records' strings */
    rec_out *recs;
    uint32_t n, cap, next;
    ps_buf msgs;                /* warnings, NUL-separated, shown in order */
    int fatal;                  /* PS_ERR_NOMEM while decoding */
    bool shown;                 /* its warnings shown (the consumer's) */
    uint32_t slack;             /* records found in its slack */
} slot;

typedef struct decoder {
    ps_binxml *bx;
    pthread_t thread;
    bool started;
    struct native_reader *r;
} decoder;

typedef struct native_reader {
    ps_reader base;
    const uint8_t *data;
    uint64_t size;
    uint64_t nchunks;           /* whole chunks in the file */
    bool recover_slack;

    slot *slots;
    unsigned nslots;
    decoder *dec;
    unsigned ndec;
    bool threaded;

    pthread_mutex_t mu;
    pthread_cond_t ready, freed;
    bool sync_ready;
    uint64_t next_claim;        /* the next chunk a decoder takes */
    uint64_t consumed;          /* chunks handed out completely */
    bool stop;

    uint64_t released;
    ps_winevent *mapper;
    ps_event ev;
    uint64_t seq;
    uint64_t chunk_warnings;    /* warnings beyond the shown ones */
    uint64_t slack;             /* records found in chunk slack */
    bool slack_told;
    ps_field *fields;           /* a recovered record's fields and "Recovered" */
    uint32_t fields_cap;
} native_reader;

static int native_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err);
static int native_next(ps_reader *r, ps_record *rec, ps_error *err);
static void native_close(ps_reader *r);

static int native_probe(const uint8_t *p, size_t n)
{
    return n >= 8 && memcmp(p, "ElfFile\0", 8) == 0 ? 100 : 0;
}

const ps_reader_ops ps_evtx_reader = {
    .name = "evtx",
    .summary = "Windows event log (.evtx), read natively: Sysmon, Security and any other channel",
    .detects = "the signature \"ElfFile\" at offset 0",
    .family = PS_FAMILY_EVENTLOG,
    .probe = native_probe,
    .open = native_open,
    .next = native_next,
    .close = native_close,
};

static void slot_msg(slot *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void slot_msg(slot *s, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1;
    if (ps_buf_append(&s->msgs, msg, (size_t)n + 1) < 0)
        s->fatal = PS_ERR_NOMEM;
}

static rec_out *slot_push(slot *s)
{
    if (s->n == s->cap) {
        uint32_t nc = s->cap ? s->cap * 2 : 256;
        rec_out *nr = realloc(s->recs, nc * sizeof *nr);
        if (!nr)
            return NULL;
        s->recs = nr;
        s->cap = nc;
    }
    return &s->recs[s->n++];
}

static bool all_zero(const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* A record header at chunk offset o that is plausible: signature, a size
 * that fits before `limit` and its copy at the end. */
static bool record_at(const uint8_t *c, uint32_t o, uint32_t limit, uint32_t *size)
{
    uint32_t s;
    if ((uint64_t)o + 28 > limit || memcmp(c + o, "**\0\0", 4) != 0)
        return false;
    s = rd32(c + o + 4);
    if (s < 28 || (uint64_t)o + s > limit || rd32(c + o + s - 4) != s)
        return false;
    *size = s;
    return true;
}

/* The next plausible record signature in [from, limit). */
static uint32_t resync(const uint8_t *c, uint32_t from, uint32_t limit)
{
    uint32_t o, s;
    for (o = from; o + 28 <= limit; o++) {
        const uint8_t *hit = memchr(c + o, '*', limit - 28 + 1 - o);
        if (!hit)
            break;
        o = (uint32_t)(hit - c);
        if (record_at(c, o, limit, &s))
            return o;
    }
    return limit;
}

/* Decodes chunk `ci` into s with the decoder's binary XML state. */
static void decode_chunk(native_reader *r, ps_binxml *bx, uint64_t ci, slot *s)
{
    const char *name = ps_input_name(r->base.in);
    uint64_t foff = HEADER_SIZE + ci * CHUNK_SIZE;
    const uint8_t *c = r->data + foff;
    uint32_t free_off, o, size, crc;
    char why[600];

    s->chunk = ci;
    s->n = s->next = 0;
    s->slack = 0;
    s->fatal = 0;
    ps_buf_reset(&s->msgs);
    ps_arena_reset(&s->arena);
    if (memcmp(c, "ElfChnk\0", 8) != 0) {
        if (!all_zero(c, CHUNK_SIZE))
            slot_msg(s, "'%s': chunk %llu at offset 0x%llx skipped: no chunk signature", name,
                     (unsigned long long)ci + 1, (unsigned long long)foff);
        return;
    }
    crc = ps_evtx_crc32(ps_evtx_crc32(0, c, 120), c + 128, CHUNK_HEADER - 128);
    if (crc != rd32(c + 124)) {
        slot_msg(s, "'%s': chunk %llu at offset 0x%llx skipped: header checksum 0x%08x, computed 0x%08x", name,
                 (unsigned long long)ci + 1, (unsigned long long)foff, rd32(c + 124), crc);
        return;
    }
    free_off = rd32(c + 48);
    if (free_off < CHUNK_HEADER || free_off > CHUNK_SIZE) {
        slot_msg(s, "'%s': chunk %llu at offset 0x%llx skipped: free space offset 0x%x outside the chunk", name,
                 (unsigned long long)ci + 1, (unsigned long long)foff, free_off);
        return;
    }
    crc = ps_evtx_crc32(0, c + CHUNK_HEADER, free_off - CHUNK_HEADER);
    if (crc != rd32(c + 52)) {
        slot_msg(s, "'%s': chunk %llu at offset 0x%llx skipped: record checksum 0x%08x, computed 0x%08x", name,
                 (unsigned long long)ci + 1, (unsigned long long)foff, rd32(c + 52), crc);
        return;
    }
    ps_binxml_begin_chunk(bx, c, CHUNK_SIZE, foff);
    o = CHUNK_HEADER;
    while (o + 28 <= free_off) {
        rec_out *ro;
        int rc;
        if (!record_at(c, o, free_off, &size)) {
            uint32_t nx = resync(c, o + 1, free_off);
            slot_msg(s, "'%s': offset 0x%llx: broken record header in chunk %llu; %u bytes skipped", name,
                     (unsigned long long)(foff + o), (unsigned long long)ci + 1, nx - o);
            o = nx;
            continue;
        }
        if (!(ro = slot_push(s))) {
            s->fatal = PS_ERR_NOMEM;
            return;
        }
        rc = ps_binxml_decode(bx, o + 24, size - 28, false, &s->arena, &ro->x, why, sizeof why);
        if (rc == PS_ERR_NOMEM) {
            s->fatal = rc;
            return;
        }
        if (rc < 0) {
            s->n--;
            slot_msg(s, "'%s': record %llu at offset 0x%llx skipped: %s", name,
                     (unsigned long long)(rd32(c + o + 8) | (uint64_t)rd32(c + o + 12) << 32),
                     (unsigned long long)(foff + o), why);
        } else {
            ro->offset = foff + o;
            ro->recovered = false;
        }
        o += size;
    }
    /* the slack: records deleted or overwritten, decoded strictly when they
     * are asked for; otherwise the plausible record headers are counted */
    o = free_off;
    while (o + 28 <= CHUNK_SIZE) {
        rec_out *ro;
        int rc;
        o = resync(c, o, CHUNK_SIZE);
        if (o + 28 > CHUNK_SIZE || !record_at(c, o, CHUNK_SIZE, &size))
            break;
        if (!r->recover_slack) {
            s->slack++;
            o += size;
            continue;
        }
        if (!(ro = slot_push(s))) {
            s->fatal = PS_ERR_NOMEM;
            return;
        }
        rc = ps_binxml_decode(bx, o + 24, size - 28, true, &s->arena, &ro->x, why, sizeof why);
        if (rc == PS_ERR_NOMEM) {
            s->fatal = rc;
            return;
        }
        if (rc < 0) {
            s->n--;
            o++;
            continue;
        }
        ro->offset = foff + o;
        ro->recovered = true;
        s->slack++;
        o += size;
    }
}

/* ---- the decoders ------------------------------------------------------------------------- */

static void *decoder_main(void *arg)
{
    decoder *d = arg;
    native_reader *r = d->r;

    pthread_mutex_lock(&r->mu);
    while (!r->stop && r->next_claim < r->nchunks) {
        uint64_t ci = r->next_claim;
        slot *s = &r->slots[ci % r->nslots];
        if (ci >= r->consumed + r->nslots || s->state != SLOT_FREE) {
            pthread_cond_wait(&r->freed, &r->mu);
            continue;
        }
        r->next_claim++;
        s->state = SLOT_BUSY;
        pthread_mutex_unlock(&r->mu);
        decode_chunk(r, d->bx, ci, s);
        pthread_mutex_lock(&r->mu);
        s->state = SLOT_READY;
        pthread_cond_broadcast(&r->ready);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static unsigned thread_count(void)
{
    const char *e = getenv("PROCSTAGE_THREADS");
    long n = 0;
    if (e && *e) {
        n = strtol(e, NULL, 10);
    } else {
#ifdef _SC_NPROCESSORS_ONLN
        n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    }
    if (n < 1)
        n = 1;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    return (unsigned)n;
}

/* ---- open ------------------------------------------------------------------------------------ */

static void host_of(native_reader *r, ps_binxml *bx)
{
    uint64_t ci;
    slot tmp;

    memset(&tmp, 0, sizeof tmp);
    ps_arena_init(&tmp.arena, 16384);
    ps_buf_init(&tmp.msgs);
    for (ci = 0; ci < r->nchunks && ci < 4; ci++) {
        uint32_t i;
        decode_chunk(r, bx, ci, &tmp);
        for (i = 0; i < tmp.n; i++)
            if (!tmp.recs[i].recovered && tmp.recs[i].x.computer[0]) {
                ps_strlcpy(r->base.info.host, tmp.recs[i].x.computer, sizeof r->base.info.host);
                ci = r->nchunks;
                break;
            }
    }
    free(tmp.recs);
    ps_arena_release(&tmp.arena);
    ps_buf_release(&tmp.msgs);
}

static int native_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err)
{
    native_reader *r;
    const uint8_t *data;
    uint64_t size, tail;
    unsigned i, nthreads;
    int rc;

    *out = NULL;
    if ((rc = ps_input_map(in, &data, &size, err)) < 0)
        return rc;
    if (size < HEADER_SIZE || memcmp(data, "ElfFile\0", 8) != 0)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': offset 0: not an EVTX file (%s)", ps_input_name(in),
                            size < HEADER_SIZE ? "shorter than its 4096-byte header" : "no ElfFile signature");
    r = calloc(1, sizeof *r);
    if (!r)
        return ps_error_nomem(err);
    ps_reader_base_init(&r->base, &ps_evtx_reader, in, opts);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->ready, NULL);
    pthread_cond_init(&r->freed, NULL);
    r->sync_ready = true;
    r->data = data;
    r->size = size;
    r->nchunks = (size - HEADER_SIZE) / CHUNK_SIZE;
    r->recover_slack = r->base.opts.recovered;
    if ((rc = ps_winevent_new(&r->mapper, err)) < 0)
        goto fail;

    /* the header */
    if (rd32(data + 32) != 128 || rd16(data + 38) != 3 || rd16(data + 40) != HEADER_SIZE) {
        rc = ps_error_set(err, PS_ERR_INPUT,
                          "'%s': offset 0x20: not an EVTX file header (header size %u, version %u.%u, block "
                          "size %u; want 128, 3.x, 4096)",
                          ps_input_name(in), rd32(data + 32), rd16(data + 38), rd16(data + 36), rd16(data + 40));
        goto fail;
    }
    {
        uint32_t crc = ps_evtx_crc32(0, data, 120), flags = rd32(data + 120);
        unsigned hchunks = rd16(data + 42);
        if (crc != rd32(data + 124))
            ps_reader_warn(&r->base, "'%s': offset 0x7c: file header checksum 0x%08x, computed 0x%08x; the chunks are "
                           "read regardless", ps_input_name(in), rd32(data + 124), crc);
        if (flags & 1)
            ps_reader_warn(&r->base,
                           "'%s': offset 0x78: the log was not closed cleanly (dirty flag); read as far as its "
                           "chunks are valid", ps_input_name(in));
        else if (r->nchunks > hchunks) {
            uint64_t ci;
            for (ci = hchunks; ci < r->nchunks; ci++)
                if (memcmp(data + HEADER_SIZE + ci * CHUNK_SIZE, "ElfChnk\0", 8) == 0)
                    break;
            if (ci < r->nchunks)
                ps_reader_warn(&r->base,
                               "'%s': offset 0x2a: the header counts %u chunks, the file holds more (header "
                               "behind the chunks); read as far as its chunks are valid",
                               ps_input_name(in), hchunks);
        }
    }
    tail = (size - HEADER_SIZE) % CHUNK_SIZE;
    if (tail)
        ps_reader_warn(&r->base,
                       "'%s': offset 0x%llx: the file ends %llu bytes into a 64 KiB chunk (truncated?): the "
                       "records of that chunk are not read",
                       ps_input_name(in), (unsigned long long)(size - tail), (unsigned long long)tail);

    nthreads = thread_count();
    if (r->nchunks < 2)
        nthreads = 1;
    r->threaded = nthreads > 1;
    r->ndec = nthreads;
    r->nslots = r->threaded ? nthreads * SLOTS_PER_THREAD : 1;
    r->dec = calloc(r->ndec, sizeof *r->dec);
    r->slots = calloc(r->nslots, sizeof *r->slots);
    if (!r->dec || !r->slots) {
        rc = ps_error_nomem(err);
        goto fail;
    }
    for (i = 0; i < r->nslots; i++) {
        ps_arena_init(&r->slots[i].arena, 65536);
        ps_buf_init(&r->slots[i].msgs);
    }
    for (i = 0; i < r->ndec; i++) {
        r->dec[i].r = r;
        if ((rc = ps_binxml_new(&r->dec[i].bx, err)) < 0)
            goto fail;
    }

    r->base.info.time_basis = PS_TIME_UTC;
    snprintf(r->base.info.time_note, sizeof r->base.info.time_note,
             "each record's TimeCreated (UTC, 100 ns); Sysmon boundaries from UtcTime (1 ms)");
    r->base.info.has_tid = false;
    r->base.info.has_stacks = false;
    host_of(r, r->dec[0].bx);

    if (r->threaded) {
        for (i = 0; i < r->ndec; i++) {
            if (pthread_create(&r->dec[i].thread, NULL, decoder_main, &r->dec[i]) != 0)
                break;
            r->dec[i].started = true;
        }
        if (i == 0)
            r->threaded = false;   /* no thread: decode inline */
    }
    *out = &r->base;
    return 0;
fail:
    native_close(&r->base);
    return rc;
}

/* ---- next ------------------------------------------------------------------------------------- */

static void show_warnings(native_reader *r, const slot *s)
{
    size_t at = 0;
    while (at < s->msgs.len) {
        const char *m = s->msgs.data + at;
        size_t n = strlen(m);
        if (r->base.warnings < MAX_SHOWN_WARNINGS) {
            ps_reader_warn(&r->base, "%s", m);
        } else {
            r->base.warnings++;
            if (++r->chunk_warnings == 1 && r->base.opts.warn)
                r->base.opts.warn(r->base.opts.warn_ctx, "further damage in the log is counted, not shown");
        }
        at += n + 1;
    }
}

/* The slot of chunk r->consumed, decoded; NULL at the end. */
static slot *current(native_reader *r, ps_error *err, int *rc)
{
    slot *s;

    *rc = 0;
    if (r->consumed >= r->nchunks)
        return NULL;
    if (!r->threaded) {
        s = &r->slots[0];
        if (r->sync_ready) {
            decode_chunk(r, r->dec[0].bx, r->consumed, s);
            r->sync_ready = false;
            s->state = SLOT_READY;
            show_warnings(r, s);
        }
    } else {
        s = &r->slots[r->consumed % r->nslots];
        if (!s->shown) {
            pthread_mutex_lock(&r->mu);
            while (s->state != SLOT_READY || s->chunk != r->consumed)
                pthread_cond_wait(&r->ready, &r->mu);
            pthread_mutex_unlock(&r->mu);
            s->shown = true;
            show_warnings(r, s);
        }
    }
    if (s->fatal) {
        *rc = s->fatal == PS_ERR_NOMEM ? ps_error_nomem(err) : s->fatal;
        return NULL;
    }
    return s;
}

static void finish_slot(native_reader *r, slot *s)
{
    uint64_t end = HEADER_SIZE + (r->consumed + 1) * CHUNK_SIZE;

    r->slack += s->slack;

    if (r->threaded) {
        pthread_mutex_lock(&r->mu);
        s->state = SLOT_FREE;
        s->shown = false;
        r->consumed++;
        pthread_cond_broadcast(&r->freed);
        pthread_mutex_unlock(&r->mu);
    } else {
        s->state = SLOT_FREE;
        r->consumed++;
        r->sync_ready = true;
    }
    /* the chunks behind leave memory; progress follows */
    ps_input_release(r->base.in, r->released, end);
    r->released = end;
    ps_input_map_progress(r->base.in, end);
}

static int native_next(ps_reader *base, ps_record *rec, ps_error *err)
{
    native_reader *r = (native_reader *)base;

    for (;;) {
        int rc;
        slot *s = current(r, err, &rc);
        const rec_out *ro;
        if (!s) {
            if (rc == 0 && r->slack && !r->recover_slack && !r->slack_told) {
                r->slack_told = true;
                ps_reader_warn(base,
                               "'%s': %llu recovered record%s (deleted or overwritten, found in chunk slack) not "
                               "read (--recovered reads those that still decode)",
                               ps_input_name(base->in), (unsigned long long)r->slack, r->slack == 1 ? "" : "s");
            }
            return rc;
        }
        if (s->next >= s->n) {
            finish_slot(r, s);
            continue;
        }
        ro = &s->recs[s->next++];
        if ((rc = ps_winevent_map(r->mapper, &ro->x, ++r->seq, &r->ev, err)) < 0)
            return rc;
        r->ev.src_offset = ro->offset;
        r->ev.recovered = ro->recovered;
        if (ro->recovered) {
            /* flagged in the model by the field Recovered */
            if (r->ev.nfields + 1 > r->fields_cap) {
                uint32_t nc = r->ev.nfields + 16;
                ps_field *nf = realloc(r->fields, nc * sizeof *nf);
                if (!nf)
                    return ps_error_nomem(err);
                r->fields = nf;
                r->fields_cap = nc;
            }
            if (r->ev.nfields)
                memcpy(r->fields, r->ev.fields, r->ev.nfields * sizeof *r->fields);
            r->fields[r->ev.nfields].name = "Recovered";
            r->fields[r->ev.nfields].value = "true";
            r->ev.fields = r->fields;
            r->ev.nfields++;
        }
        if (!ro->x.has_ts)
            base->info.undecoded++;
        rec->type = PS_REC_EVENT;
        rec->event = &r->ev;
        rec->process = NULL;
        return 1;
    }
}

static void native_close(ps_reader *base)
{
    native_reader *r = (native_reader *)base;
    unsigned i;

    if (!r)
        return;
    if (r->dec) {
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        pthread_cond_broadcast(&r->freed);
        pthread_mutex_unlock(&r->mu);
        for (i = 0; i < r->ndec; i++) {
            if (r->dec[i].started)
                pthread_join(r->dec[i].thread, NULL);
            ps_binxml_free(r->dec[i].bx);
        }
        free(r->dec);
    }
    if (r->slots) {
        for (i = 0; i < r->nslots; i++) {
            free(r->slots[i].recs);
            ps_arena_release(&r->slots[i].arena);
            ps_buf_release(&r->slots[i].msgs);
        }
        free(r->slots);
    }
    ps_winevent_free(r->mapper);
    free(r->fields);
    pthread_cond_destroy(&r->ready);
    pthread_cond_destroy(&r->freed);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
