/*
 * evtx.c - Windows XML Event Log files (.evtx), read with libevtx: the
 * reader "evtx-libevtx", kept as the independent oracle of the native one
 * (evtx_native.c, "evtx"), which auto-detection picks.
 *
 * The content is mapped (ps_input_map: mmap for a plain file, a spooled
 * temporary file for zstd or a pipe) and handed to libevtx through a libbfio
 * memory range, so compressed logs and standard input work like plain files
 * and memory stays flat: libevtx keeps a small cache of 64 KiB chunks.  Each
 * record's XML rendering goes through parsers/winevent/evx.c and
 * parsers/winevent/map.c, the code any other event-XML source shares.
 *
 * Damage: a record libevtx cannot read or render, or whose XML does not
 * parse, is skipped with a warning naming its index and offset; the records
 * before and after it are kept.  Records libevtx recovers from the slack of
 * chunks (deleted or overwritten) are counted in a warning, not read.
 */
#include <libbfio.h>
#include <libevtx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "parsers/winevent/evx.h"
#include "parsers/reader.h"
#include "parsers/winevent/map.h"

#define EVTX_HEADER_SIZE 4096
#define EVTX_CHUNK_SIZE 65536
#define EVTX_MAX_WARNINGS 20

typedef struct evtx_reader {
    ps_reader base;
    libbfio_handle_t *bfio;
    libevtx_file_t *file;
    int nrecords, next;
    ps_buf xml;
    ps_evx_parser *parser;
    ps_winevent *mapper;
    ps_event ev;
    uint64_t seq;
} evtx_reader;

static int evtx_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err);
static int evtx_next(ps_reader *r, ps_record *rec, ps_error *err);
static void evtx_close(ps_reader *r);

static int evtx_probe(const uint8_t *p, size_t n)
{
    /* below the native reader (evtx_native.c): chosen by name only */
    return n >= 8 && memcmp(p, "ElfFile\0", 8) == 0 ? 50 : 0;
}

const ps_reader_ops ps_evtx_libevtx_reader = {
    .name = "evtx-libevtx",
    .summary = "Windows event log (.evtx) read with libevtx (the native evtx reader's oracle)",
    .detects = "the signature \"ElfFile\" at offset 0",
    .family = PS_FAMILY_EVENTLOG,
    .probe = evtx_probe,
    .open = evtx_open,
    .next = evtx_next,
    .close = evtx_close,
};

/* The most specific line of a libevtx/libbfio error chain, lower-cased at
 * its first letter, without the function name prefix. */
static void lib_error_text(libevtx_error_t *e, char *buf, size_t cap)
{
    char tmp[2048], *line, *best = NULL, *save = NULL;

    buf[0] = '\0';
    if (!e || libevtx_error_sprint(e, tmp, sizeof tmp) < 0) {
        snprintf(buf, cap, "unknown libevtx error");
        return;
    }
    for (line = strtok_r(tmp, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (*line)
            best = line;
    if (!best) {
        snprintf(buf, cap, "unknown libevtx error");
        return;
    }
    {
        char *colon = strstr(best, ": ");
        if (colon && !memchr(best, ' ', (size_t)(colon - best)))
            best = colon + 2;
    }
    snprintf(buf, cap, "%s", best);
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] + 32);
    {
        size_t n = strlen(buf);
        while (n && (buf[n - 1] == '.' || buf[n - 1] == ' '))
            buf[--n] = '\0';
    }
}

/* libevtx's errors are libcerror's, whose domain and code are those of the
 * innermost failure (later levels only add messages); libevtx 20181227
 * exports libcerror_error_matches (weak: without it no error is taken for
 * an allocation failure).  No error object at all means that libcerror
 * could not allocate one. */
extern int libcerror_error_matches(void *error, int domain, int code) __attribute__((weak));

static bool lib_nomem(libevtx_error_t *e)
{
    if (!e)
        return true;
    return libcerror_error_matches &&
           libcerror_error_matches(e, LIBEVTX_ERROR_DOMAIN_MEMORY, LIBEVTX_MEMORY_ERROR_INSUFFICIENT) == 1;
}

/* The XML of record i into r->xml; 1 done, PS_ERR_NOMEM when libevtx or
 * procstage ran out of memory (never a record to skip), PS_ERR_INPUT with
 * the error text in msg. */
static int record_xml(evtx_reader *r, int i, uint64_t *offset, char *msg, size_t cap)
{
    libevtx_record_t *rec = NULL;
    libevtx_error_t *e = NULL;
    size_t size = 0;
    off64_t off = 0;
    int rc;

    if (libevtx_file_get_record_by_index(r->file, i, &rec, &e) != 1) {
        bool nomem = lib_nomem(e);
        lib_error_text(e, msg, cap);
        libevtx_error_free(&e);
        return nomem ? PS_ERR_NOMEM : PS_ERR_INPUT;
    }
    if (libevtx_record_get_offset(rec, &off, NULL) == 1 && off >= 0)
        *offset = (uint64_t)off;
    rc = libevtx_record_get_utf8_xml_string_size(rec, &size, &e);
    if (rc == 1 && size > 0 && size <= PS_EVX_MAX_XML) {
        ps_buf_reset(&r->xml);
        if (ps_buf_reserve(&r->xml, size + 1) < 0) {
            libevtx_record_free(&rec, NULL);
            snprintf(msg, cap, "out of memory");
            return PS_ERR_NOMEM;
        }
        rc = libevtx_record_get_utf8_xml_string(rec, (uint8_t *)r->xml.data, size, &e);
        if (rc == 1) {
            r->xml.len = strnlen(r->xml.data, size);
            r->xml.data[r->xml.len] = '\0';
        }
    } else if (rc == 1) {
        snprintf(msg, cap, size ? "rendered XML larger than %u bytes" : "no XML rendering", PS_EVX_MAX_XML);
        libevtx_record_free(&rec, NULL);
        return PS_ERR_INPUT;
    }
    if (rc != 1) {
        bool nomem = rc < 0 && lib_nomem(e);
        if (rc < 0)
            lib_error_text(e, msg, cap);
        else
            snprintf(msg, cap, "no XML rendering");
        libevtx_error_free(&e);
        libevtx_record_free(&rec, NULL);
        return nomem ? PS_ERR_NOMEM : PS_ERR_INPUT;
    }
    libevtx_record_free(&rec, NULL);
    return 1;
}

static void skip_warning(evtx_reader *r, int i, uint64_t off, const char *why)
{
    r->base.warnings++;
    if (r->base.warnings > EVTX_MAX_WARNINGS) {
        if (r->base.warnings == EVTX_MAX_WARNINGS + 1 && r->base.opts.warn)
            r->base.opts.warn(r->base.opts.warn_ctx, "further unreadable records are counted, not shown");
        return;
    }
    r->base.warnings--;
    ps_reader_warn(&r->base, "'%s': record %d at offset 0x%llx skipped: %s", ps_input_name(r->base.in), i + 1,
                   (unsigned long long)off, why);
}

static int evtx_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err)
{
    evtx_reader *r;
    const uint8_t *data;
    uint64_t size;
    libevtx_error_t *e = NULL;
    libbfio_error_t *be = NULL;
    char why[512];
    int rc, n = 0;

    *out = NULL;
    if ((rc = ps_input_map(in, &data, &size, err)) < 0)
        return rc;
    if (size < EVTX_HEADER_SIZE || memcmp(data, "ElfFile\0", 8) != 0)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': offset 0: not an EVTX file (%s)", ps_input_name(in),
                            size < EVTX_HEADER_SIZE ? "shorter than its 4096-byte header" : "no ElfFile signature");
    r = calloc(1, sizeof *r);
    if (!r)
        return ps_error_nomem(err);
    ps_reader_base_init(&r->base, &ps_evtx_libevtx_reader, in, opts);
    ps_buf_init(&r->xml);
    if ((rc = ps_evx_parser_new(&r->parser, err)) < 0 || (rc = ps_winevent_new(&r->mapper, err)) < 0)
        goto fail;
    if (libbfio_memory_range_initialize(&r->bfio, &be) != 1 ||
        libbfio_memory_range_set(r->bfio, (uint8_t *)(uintptr_t)data, (size_t)size, &be) != 1) {
        libbfio_error_free(&be);
        rc = ps_error_nomem(err);
        goto fail;
    }
    if (libevtx_file_initialize(&r->file, &e) != 1) {
        libevtx_error_free(&e);
        rc = ps_error_nomem(err);
        goto fail;
    }
    if (libevtx_file_open_file_io_handle(r->file, r->bfio, LIBEVTX_OPEN_READ, &e) != 1) {
        if (lib_nomem(e)) {
            libevtx_error_free(&e);
            rc = ps_error_nomem(err);
            goto fail;
        }
        lib_error_text(e, why, sizeof why);
        libevtx_error_free(&e);
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': offset 0: libevtx cannot open the log: %s", ps_input_name(in),
                          why);
        goto fail;
    }
    if (libevtx_file_get_number_of_records(r->file, &n, &e) != 1) {
        if (lib_nomem(e)) {
            libevtx_error_free(&e);
            rc = ps_error_nomem(err);
            goto fail;
        }
        lib_error_text(e, why, sizeof why);
        libevtx_error_free(&e);
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': cannot count the records: %s", ps_input_name(in), why);
        goto fail;
    }
    r->nrecords = n;
    {
        int rec_n = 0;
        if (libevtx_file_get_number_of_recovered_records(r->file, &rec_n, NULL) == 1 && rec_n > 0)
            ps_reader_warn(&r->base,
                           "'%s': %d recovered record%s (deleted or overwritten, found in chunk slack) not read",
                           ps_input_name(in), rec_n, rec_n == 1 ? "" : "s");
        if ((size - EVTX_HEADER_SIZE) % EVTX_CHUNK_SIZE)
            ps_reader_warn(&r->base,
                           "'%s': offset 0x%llx: the file ends %llu bytes into a 64 KiB chunk (truncated?): "
                           "libevtx does not read the records of that chunk",
                           ps_input_name(in),
                           (unsigned long long)(size - (size - EVTX_HEADER_SIZE) % EVTX_CHUNK_SIZE),
                           (unsigned long long)((size - EVTX_HEADER_SIZE) % EVTX_CHUNK_SIZE));
        else if (libevtx_file_is_corrupted(r->file, NULL) == 1)
            ps_reader_warn(&r->base, "'%s': libevtx reports the log as corrupted; readable records are kept",
                           ps_input_name(in));
    }
    r->base.info.time_basis = PS_TIME_UTC;
    snprintf(r->base.info.time_note, sizeof r->base.info.time_note,
             "each record's TimeCreated (UTC, 100 ns); Sysmon boundaries from UtcTime (1 ms)");
    r->base.info.has_tid = false;
    r->base.info.has_stacks = false;
    /* the host: the first readable record's Computer */
    {
        int i;
        for (i = 0; i < n && i < 16; i++) {
            uint64_t off = 0;
            const ps_evx *x;
            ps_error perr;
            int hrc = record_xml(r, i, &off, why, sizeof why);
            if (hrc == 1)
                hrc = ps_evx_parse(r->parser, r->xml.data, r->xml.len, "host", &x, &perr);
            if (hrc == PS_ERR_NOMEM) {
                rc = ps_error_nomem(err);
                goto fail;
            }
            if (hrc == 0) {
                ps_strlcpy(r->base.info.host, x->computer, sizeof r->base.info.host);
                break;
            }
        }
    }
    *out = &r->base;
    return 0;
fail:
    evtx_close(&r->base);
    return rc;
}

static int evtx_next(ps_reader *base, ps_record *rec, ps_error *err)
{
    evtx_reader *r = (evtx_reader *)base;
    char why[512];

    while (r->next < r->nrecords) {
        int i = r->next++;
        uint64_t off = 0;
        const ps_evx *x;
        ps_error perr;
        int rc;

        rc = record_xml(r, i, &off, why, sizeof why);
        ps_input_map_progress(r->base.in, off);   /* the progress bar */
        if (rc != 1) {
            if (rc == PS_ERR_NOMEM)
                return ps_error_nomem(err);
            skip_warning(r, i, off, why);
            continue;
        }
        ps_error_clear(&perr);
        if ((rc = ps_evx_parse(r->parser, r->xml.data, r->xml.len, "its rendered XML", &x, &perr)) < 0) {
            if (rc == PS_ERR_NOMEM)
                return ps_error_nomem(err);
            skip_warning(r, i, off, perr.msg);
            continue;
        }
        if ((rc = ps_winevent_map(r->mapper, x, ++r->seq, &r->ev, err)) < 0)
            return rc;
        r->ev.src_offset = off;
        if (!x->has_ts)
            base->info.undecoded++;
        rec->type = PS_REC_EVENT;
        rec->event = &r->ev;
        rec->process = NULL;
        return 1;
    }
    return 0;
}

static void evtx_close(ps_reader *base)
{
    evtx_reader *r = (evtx_reader *)base;

    if (!r)
        return;
    if (r->file) {
        libevtx_file_close(r->file, NULL);
        libevtx_file_free(&r->file, NULL);
    }
    if (r->bfio)
        libbfio_handle_free(&r->bfio, NULL);
    ps_evx_parser_free(r->parser);
    ps_winevent_free(r->mapper);
    ps_buf_release(&r->xml);
    free(r);
}
