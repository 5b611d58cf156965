/*
 * test_evtx.c - the native EVTX reader (parsers/winevent/evtx_native.c) on a
 * log fixtures/evtxgen writes (300 Sysmon records as template instances,
 * five chunks), clean and damaged in memory the ways real logs are: a chunk
 * whose record or header checksum is wrong, a broken record header, a record
 * whose binary XML points outside its chunk, a record left in chunk slack,
 * a dirty header, a header behind its chunks, a file cut inside a chunk, and
 * a header that is not an EVTX header.  Each with one and with two decoding
 * threads: the same records in the same order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "parsers/input.h"
#include "parsers/reader.h"
#include "parsers/winevent/binxml.h"
#include "tap.h"

#define HDR 4096u
#define CHUNK 65536u
#define NREC 300

typedef struct result {
    int rc;                       /* open or next's error, 0 */
    unsigned events, recovered;
    uint64_t offsets[NREC + 8];
    char ids[NREC + 8][24];       /* EventRecordID */
    bool flag_field[NREC + 8];    /* the field Recovered = true */
    char warnings[8192];
} result;

static void on_warn(void *ctx, const char *msg)
{
    result *r = ctx;
    size_t n = strlen(r->warnings);
    snprintf(r->warnings + n, sizeof r->warnings - n, "%s\n", msg);
}

static void run(const uint8_t *data, size_t len, bool recovered, result *res)
{
    ps_input *in = NULL;
    ps_reader *rd = NULL;
    ps_reader_opts ro;
    ps_error err;
    const ps_reader_ops *ops = ps_reader_find("evtx");

    memset(res, 0, sizeof *res);
    memset(&ro, 0, sizeof ro);
    ro.recovered = recovered;
    ro.warn = on_warn;
    ro.warn_ctx = res;
    ps_error_clear(&err);
    if ((res->rc = ps_input_open_mem(data, len, "t.evtx", NULL, &in, &err)) < 0 ||
        (res->rc = ops->open(in, &ro, &rd, &err)) < 0) {
        on_warn(res, err.msg);
        ps_input_close(in);
        return;
    }
    for (;;) {
        ps_record rec;
        uint32_t i;
        int n = ps_reader_next(rd, &rec, &err);
        if (n <= 0) {
            res->rc = n;
            break;
        }
        if (res->events < NREC + 8) {
            const ps_event *e = rec.event;
            res->offsets[res->events] = e->src_offset;
            for (i = 0; i < e->nfields; i++) {
                if (!strcmp(e->fields[i].name, "EventRecordID"))
                    ps_strlcpy(res->ids[res->events], e->fields[i].value, sizeof res->ids[0]);
                if (!strcmp(e->fields[i].name, "Recovered") && !strcmp(e->fields[i].value, "true"))
                    res->flag_field[res->events] = true;
            }
        }
        res->events++;
        if (rec.event->recovered)
            res->recovered++;
    }
    ps_reader_close(rd);
    ps_input_close(in);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* Recomputes chunk k's checksums (records, then header). */
static void fix_chunk(uint8_t *f, unsigned k)
{
    uint8_t *c = f + HDR + (size_t)k * CHUNK;
    wr32(c + 52, ps_evtx_crc32(0, c + 512, rd32(c + 48) - 512));
    wr32(c + 124, ps_evtx_crc32(ps_evtx_crc32(0, c, 120), c + 128, 384));
}

static void fix_header(uint8_t *f)
{
    wr32(f + 124, ps_evtx_crc32(0, f, 120));
}

/* The records of chunk k in a clean result. */
static unsigned in_chunk(const result *r, unsigned k, unsigned *first)
{
    unsigned i, n = 0;
    for (i = 0; i < r->events; i++)
        if (r->offsets[i] >= HDR + (uint64_t)k * CHUNK && r->offsets[i] < HDR + (uint64_t)(k + 1) * CHUNK) {
            if (!n)
                *first = i;
            n++;
        }
    return n;
}

static bool has(const result *r, const char *s)
{
    bool y = strstr(r->warnings, s) != NULL;
    if (!y)
        printf("#   warnings: %s\n#   wanted: %s\n", r->warnings[0] ? r->warnings : "(none)", s);
    return y;
}

/* the records of b are those of a without [skip, skip + n) */
static bool same_but(const result *a, const result *b, unsigned skip, unsigned n)
{
    unsigned i, j = 0;
    if (b->events + n != a->events)
        return false;
    for (i = 0; i < a->events; i++) {
        if (i >= skip && i < skip + n)
            continue;
        if (strcmp(a->ids[i], b->ids[j]) || a->offsets[i] != b->offsets[j])
            return false;
        j++;
    }
    return true;
}

int main(void)
{
    const char *gen = getenv("EVTXGEN");
    char path[256], cmd[600];
    static result clean, r;
    uint8_t *f, *w;
    size_t len;
    FILE *fp;
    unsigned n2, first2 = 0, n1, first1 = 0, threads;

    if (!gen || !*gen)
        tap_skip_all("EVTXGEN not set");
    snprintf(path, sizeof path, "%s/procstage-test-evtx-%d.evtx", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    snprintf(cmd, sizeof cmd, "'%s' bulk %d '%s'", gen, NREC, path);
    if (system(cmd) != 0)
        tap_skip_all("evtxgen failed");
    fp = fopen(path, "rb");
    if (!fp)
        return 99;
    fseek(fp, 0, SEEK_END);
    len = (size_t)ftell(fp);
    rewind(fp);
    f = malloc(len);
    w = malloc(len);
    if (!f || !w || fread(f, 1, len, fp) != len)
        return 99;
    fclose(fp);
    remove(path);
    ok(len >= HDR + 4 * CHUNK, "evtxgen wrote at least four chunks (%zu bytes)", len);

    for (threads = 1; threads <= 2; threads++) {
        char t[8];
        snprintf(t, sizeof t, "%u", threads);
        setenv("PROCSTAGE_THREADS", t, 1);
        printf("# %u decoding thread%s\n", threads, threads > 1 ? "s" : "");

        run(f, len, false, &clean);
        is_int(clean.rc, 0, "clean: read to the end");
        is_int(clean.events, NREC, "clean: every record");
        ok(!clean.warnings[0], "clean: no warning");
        ok(!strcmp(clean.ids[0], "1") && !strcmp(clean.ids[NREC - 1], "300"), "clean: in record order (%s..%s)",
           clean.ids[0], clean.ids[NREC - 1]);
        n1 = in_chunk(&clean, 0, &first1);
        n2 = in_chunk(&clean, 1, &first2);
        ok(n1 > 3 && n2 > 3, "clean: %u and %u records in the first two chunks", n1, n2);

        /* a byte of chunk 2's records changed: its record checksum fails */
        memcpy(w, f, len);
        w[HDR + CHUNK + 2000] ^= 0x55;
        run(w, len, false, &r);
        ok(has(&r, "chunk 2 at offset 0x11000 skipped: record checksum"), "record checksum: reported with the offset");
        ok(same_but(&clean, &r, first2, n2), "record checksum: that chunk skipped, the others read");

        /* chunk 2's header changed: its header checksum fails */
        memcpy(w, f, len);
        w[HDR + CHUNK + 200] ^= 0x01;
        run(w, len, false, &r);
        ok(has(&r, "chunk 2 at offset 0x11000 skipped: header checksum"), "header checksum: reported");
        ok(same_but(&clean, &r, first2, n2), "header checksum: that chunk skipped, the others read");

        /* the second record of chunk 1: its size copy broken */
        memcpy(w, f, len);
        {
            uint64_t o = clean.offsets[first1 + 1];
            uint32_t size = rd32(w + o + 4);
            wr32(w + o + size - 4, size + 8);
            fix_chunk(w, 0);
        }
        run(w, len, false, &r);
        ok(has(&r, "broken record header in chunk 1"), "broken record: reported");
        ok(same_but(&clean, &r, first1 + 1, 1), "broken record: only it lost");

        /* the third record of chunk 1: its template instance points past the chunk */
        memcpy(w, f, len);
        {
            uint64_t o = clean.offsets[first1 + 2];
            ok(w[o + 24] == 0x0f && w[o + 28] == 0x0c, "the third record is a template instance");
            wr32(w + o + 24 + 10, 0xFFFF00u);
            fix_chunk(w, 0);
        }
        run(w, len, false, &r);
        ok(has(&r, "record 3 at offset") && has(&r, "skipped: offset"), "undecodable record: reported");
        ok(same_but(&clean, &r, first1 + 2, 1), "undecodable record: only it lost");

        /* the last record of chunk 1 left in the slack (the free space moved back) */
        memcpy(w, f, len);
        {
            uint8_t *c = w + HDR;
            uint64_t o = clean.offsets[first1 + n1 - 1];
            wr32(c + 48, (uint32_t)(o - HDR));
            fix_chunk(w, 0);
        }
        run(w, len, false, &r);
        ok(has(&r, "1 recovered record (deleted or overwritten, found in chunk slack) not read (--recovered reads those"),
           "slack: counted in a warning");
        ok(same_but(&clean, &r, first1 + n1 - 1, 1), "slack: not read by default");
        run(w, len, true, &r);
        is_int(r.events, NREC, "slack with recovered: every record");
        is_int(r.recovered, 1, "slack with recovered: one flagged recovered");
        ok(r.flag_field[first1 + n1 - 1] && !r.flag_field[first1], "slack: the field Recovered on it alone");
        ok(same_but(&clean, &r, 0, 0), "slack: in its place, with its values");

        /* dirty, header behind */
        memcpy(w, f, len);
        w[120] |= 1;
        fix_header(w);
        run(w, len, false, &r);
        ok(has(&r, "not closed cleanly"), "dirty flag: a warning");
        ok(same_but(&clean, &r, 0, 0), "dirty flag: every record");
        memcpy(w, f, len);
        w[42] = 2, w[43] = 0;
        fix_header(w);
        run(w, len, false, &r);
        ok(has(&r, "the header counts 2 chunks, the file holds more"), "header behind: a warning");
        ok(same_but(&clean, &r, 0, 0), "header behind: every record");
        memcpy(w, f, len);
        w[124] ^= 1;
        run(w, len, false, &r);
        ok(has(&r, "file header checksum"), "header checksum: a warning");
        ok(same_but(&clean, &r, 0, 0), "header checksum: every record");

        /* cut inside the second chunk */
        run(f, HDR + CHUNK + 1000, false, &r);
        ok(has(&r, "offset 0x11000: the file ends 1000 bytes into a 64 KiB chunk"), "cut: a warning");
        ok(same_but(&clean, &r, n1, NREC - n1), "cut: the first chunk's records");

        /* not an EVTX header */
        memcpy(w, f, len);
        w[38] = 2;
        run(w, len, false, &r);
        is_int(r.rc, PS_ERR_INPUT, "version 2 header: an input error");
        ok(has(&r, "offset 0x20: not an EVTX file header"), "version 2 header: says why");
    }
    free(f);
    free(w);
    return tap_done();
}
