/*
 * csv_reader.c - Procmon's "Save... CSV" export.
 *
 * Any subset and order of columns; UTF-8 with or without BOM; quoted fields
 * with doubled quotes and embedded newlines; locale-formatted times.  A final
 * record cut off inside a quoted field is a warning, the rows before it are
 * kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "parsers/csv.h"
#include "parsers/procmon/procmon.h"
#include "parsers/reader.h"

typedef struct pm_csv_reader {
    ps_reader base;
    ps_csv csv;
    ps_pm_conv conv;
    int colmap[PS_CSV_MAX_FIELDS];   /* field index -> ps_pm_col or -1 */
    size_t ncols;
    const char *val[PM_COL__COUNT];
    ps_event ev;
    bool done;
} pm_csv_reader;

/* A Procmon CSV starts (after an optional BOM) with a quoted header naming
 * Procmon's columns. */
static int csv_probe(const uint8_t *p, size_t n)
{
    char line[4096];
    size_t i = 0, k = 0;
    int hits = 0;
    static const char *const names[] = {"\"Time of Day\"", "\"Process Name\"", "\"PID\"",
                                        "\"Operation\"", "\"Path\"", "\"Result\"", "\"Detail\"",
                                        "\"Date & Time\"", "\"TID\""};

    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n && p[i] != '\n' && k + 1 < sizeof line)
        line[k++] = (char)p[i++];
    line[k] = '\0';
    if (line[0] != '"')
        return 0;
    for (i = 0; i < PS_ARRAY_LEN(names); i++)
        if (strstr(line, names[i]))
            hits++;
    if (!strstr(line, "\"Operation\""))
        return hits >= 3 ? 20 : 0;
    return hits >= 3 ? 90 : 40;
}

static int csv_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err);
static int csv_next(ps_reader *r, ps_record *rec, ps_error *err);
static void csv_close(ps_reader *r);

const ps_reader_ops ps_procmon_csv_reader = {
    .name = "procmon-csv",
    .summary = "Process Monitor CSV export (File > Save > CSV), any columns",
    .detects = "a quoted header line naming Procmon columns (\"Time of Day\", \"Operation\", ...)",
    .family = PS_FAMILY_PROCMON,
    .probe = csv_probe,
    .open = csv_open,
    .next = csv_next,
    .close = csv_close,
};

static int csv_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err)
{
    pm_csv_reader *r;
    char where[512];
    size_t i;
    int rc;

    *out = NULL;
    r = calloc(1, sizeof *r);
    if (!r)
        return ps_error_nomem(err);
    ps_reader_base_init(&r->base, &ps_procmon_csv_reader, in, opts);
    ps_csv_init(&r->csv, in);
    ps_pm_conv_init(&r->conv, &r->base);

    rc = ps_csv_next(&r->csv, err);
    if (rc < 0)
        goto fail;
    if (rc == 0) {
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': no CSV header", ps_input_name(in));
        goto fail;
    }
    r->ncols = r->csv.nfields;
    for (i = 0; i < r->ncols; i++) {
        ps_pm_col c = ps_pm_col_from_name(r->csv.fields[i]);
        if (c != PM_COL_UNKNOWN && r->conv.present[c])
            c = PM_COL_UNKNOWN;   /* a repeated column: the first one wins */
        r->colmap[i] = c;
        if (c != PM_COL_UNKNOWN)
            r->conv.present[c] = true;
    }
    snprintf(where, sizeof where, "'%s': line 1", ps_input_name(in));
    if ((rc = ps_pm_conv_setup(&r->conv, where, err)) < 0)
        goto fail;
    *out = &r->base;
    return 0;
fail:
    csv_close(&r->base);
    return rc;
}

static int csv_next(ps_reader *base, ps_record *rec, ps_error *err)
{
    pm_csv_reader *r = (pm_csv_reader *)base;
    char where[512];
    size_t i;
    int rc;

    if (r->done)
        return 0;
    for (;;) {
        rc = ps_csv_next(&r->csv, err);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            r->done = true;
            if (r->csv.truncated)
                ps_reader_warn(base,
                               "'%s': truncated at line %llu (offset %llu): the last record ends "
                               "inside a quoted field; %llu events read before it",
                               ps_input_name(base->in), (unsigned long long)r->csv.line,
                               (unsigned long long)(r->csv.base_offset + r->csv.pos),
                               (unsigned long long)r->conv.seq);
            return 0;
        }
        /* skip blank lines */
        if (r->csv.nfields == 1 && r->csv.fields[0][0] == '\0')
            continue;
        break;
    }
    snprintf(where, sizeof where, "'%s': line %llu", ps_input_name(base->in),
             (unsigned long long)r->csv.rec_line);
    if (r->csv.nfields != r->ncols) {
        if (r->csv.nfields < r->ncols && r->csv.unterminated) {
            r->done = true;
            ps_reader_warn(base,
                           "'%s': truncated at line %llu (offset %llu): the last record has %zu of "
                           "%zu fields; %llu events read before it",
                           ps_input_name(base->in), (unsigned long long)r->csv.rec_line,
                           (unsigned long long)r->csv.rec_offset, r->csv.nfields, r->ncols,
                           (unsigned long long)r->conv.seq);
            return 0;
        }
        return ps_error_set(err, PS_ERR_INPUT, "%s: %zu fields where the header has %zu", where,
                            r->csv.nfields, r->ncols);
    }
    memset(r->val, 0, sizeof r->val);
    for (i = 0; i < r->ncols; i++)
        if (r->colmap[i] >= 0)
            r->val[r->colmap[i]] = r->csv.fields[i];
    rc = ps_pm_row_to_event(&r->conv, r->val, &r->ev, where, err);
    if (rc < 0)
        return rc;
    r->ev.src_line = r->csv.rec_line;
    r->ev.src_offset = r->csv.rec_offset;
    rec->type = PS_REC_EVENT;
    rec->event = &r->ev;
    rec->process = NULL;
    return 1;
}

static void csv_close(ps_reader *base)
{
    pm_csv_reader *r = (pm_csv_reader *)base;
    if (!r)
        return;
    ps_csv_release(&r->csv);
    ps_pm_conv_release(&r->conv);
    free(r);
}
