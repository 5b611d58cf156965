/*
 * readers.c - the table of input formats.  Adding a format means writing a
 * parsers/<family>/<name>.c with a ps_reader_ops and listing it here
 * (HACKING.md, "A reader").
 */
#include "parsers/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

extern const ps_reader_ops ps_procmon_csv_reader;
extern const ps_reader_ops ps_procmon_xml_reader;
extern const ps_reader_ops ps_etl_reader;
extern const ps_reader_ops ps_evtx_reader;
extern const ps_reader_ops ps_evtx_libevtx_reader;
extern const ps_reader_ops ps_procmon_pml_reader;
extern const ps_reader_ops ps_event_xml_reader;

static const ps_reader_ops *const reader_table[] = {
    &ps_procmon_csv_reader,
    &ps_procmon_xml_reader,
    &ps_etl_reader,
    &ps_evtx_reader,
    &ps_evtx_libevtx_reader,
    &ps_procmon_pml_reader,
    &ps_event_xml_reader,
};

const ps_reader_ops *const *ps_readers(size_t *count)
{
    *count = sizeof reader_table / sizeof reader_table[0];
    return reader_table;
}

const ps_reader_ops *ps_reader_find(const char *name)
{
    size_t i, n;
    const ps_reader_ops *const *t = ps_readers(&n);
    for (i = 0; i < n; i++)
        if (strcmp(t[i]->name, name) == 0)
            return t[i];
    return NULL;
}

#define PROBE_BYTES 65536

/* Archives and compressors analysts meet in triage collections, by their
 * magic bytes: named in the error instead of "unrecognised". */
static const char *packed_format(const uint8_t *p, size_t len)
{
    static const struct {
        const char *magic;
        size_t n;
        const char *what;
    } packs[] = {
        {"\x1f\x8b", 2, "compressed with gzip"},
        {"PK\x03\x04", 4, "a ZIP archive"},
        {"PK\x05\x06", 4, "an empty ZIP archive"},
        {"7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive"},
        {"\xfd" "7zXZ\x00", 6, "compressed with xz"},
        {"BZh", 3, "compressed with bzip2"},
        {"Rar!\x1a\x07", 6, "a RAR archive"},
        {"\x04\x22\x4d\x18", 4, "compressed with LZ4"},
        {"MSCF", 4, "a Windows cabinet (CAB)"},
    };
    size_t i;
    for (i = 0; i < sizeof packs / sizeof packs[0]; i++)
        if (len >= packs[i].n && !memcmp(p, packs[i].magic, packs[i].n))
            return packs[i].what;
    return NULL;
}

int ps_reader_detect(ps_input *in, const ps_reader_ops **ops, ps_error *err)
{
    const uint8_t *p;
    size_t len, i, n;
    const ps_reader_ops *const *t = ps_readers(&n);
    int best = 0, rc;

    *ops = NULL;
    rc = ps_input_peek(in, PROBE_BYTES, &p, &len, err);
    if (rc < 0)
        return rc;
    if (len == 0)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': the file is empty", ps_input_name(in));
    for (i = 0; i < n; i++) {
        int score = t[i]->probe(p, len);
        if (score > best) {
            best = score;
            *ops = t[i];
        }
    }
    if (!*ops) {
        const char *packed = packed_format(p, len);
        if (packed)
            return ps_error_set(err, PS_ERR_INPUT,
                                "'%s': %s, which procstage does not read: unpack it first (zstd-compressed "
                                "files are read as they are)",
                                ps_input_name(in), packed);
        return ps_error_set(err, PS_ERR_INPUT,
                            "'%s': unrecognised format at offset 0 (see 'procstage formats' for "
                            "what procstage reads)",
                            ps_input_name(in));
    }
    return 0;
}

void ps_reader_base_init(ps_reader *r, const ps_reader_ops *ops, ps_input *in,
                         const ps_reader_opts *opts)
{
    memset(r, 0, sizeof *r);
    r->ops = ops;
    r->in = in;
    if (opts)
        r->opts = *opts;
    r->info.format = ops->name;
    r->info.family = ops->family;
}

void ps_reader_warn(ps_reader *r, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    r->warnings++;
    if (!r->opts.warn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->opts.warn(r->opts.warn_ctx, msg);
}
