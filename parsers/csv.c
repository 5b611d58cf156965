#include "parsers/csv.h"

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/util.h"

#define CHUNK (1u << 20)

void ps_csv_init(ps_csv *c, ps_input *in)
{
    memset(c, 0, sizeof *c);
    c->in = in;
    c->line = 1;
}

void ps_csv_release(ps_csv *c)
{
    free(c->buf);
    free(c->fields);
    memset(c, 0, sizeof *c);
}

/* Reads more input; keeps buf[pos..len). */
static int refill(ps_csv *c, ps_error *err)
{
    ssize_t n;

    if (c->pos > 0) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->base_offset += c->pos;
        c->pos = 0;
    }
    if (c->cap - c->len < CHUNK / 4) {
        size_t ncap = c->cap ? c->cap * 2 : CHUNK;
        char *nb;
        if (ncap > PS_CSV_MAX_RECORD + CHUNK)
            ncap = PS_CSV_MAX_RECORD + CHUNK;
        if (ncap <= c->cap)
            return ps_error_set(err, PS_ERR_LIMIT,
                                "'%s': line %llu: a record longer than %u MiB (the CSV record limit)",
                                ps_input_name(c->in), (unsigned long long)c->line,
                                PS_CSV_MAX_RECORD >> 20);
        nb = realloc(c->buf, ncap + 1);
        if (!nb)
            return ps_error_nomem(err);
        c->buf = nb;
        c->cap = ncap;
    }
    n = ps_input_read(c->in, c->buf + c->len, c->cap - c->len, err);
    if (n < 0)
        return (int)n;
    if (n == 0)
        c->eof = true;
    c->len += (size_t)n;
    return 0;
}

static int add_field(ps_csv *c, char *f, ps_error *err)
{
    if (c->nfields == c->fcap) {
        size_t ncap = c->fcap ? c->fcap * 2 : 32;
        char **nf;
        if (ncap > PS_CSV_MAX_FIELDS)
            return ps_error_set(err, PS_ERR_LIMIT, "'%s': line %llu: more than %u fields in a record",
                                ps_input_name(c->in), (unsigned long long)c->rec_line,
                                PS_CSV_MAX_FIELDS);
        nf = realloc(c->fields, ncap * sizeof *nf);
        if (!nf)
            return ps_error_nomem(err);
        c->fields = nf;
        c->fcap = ncap;
    }
    c->fields[c->nfields++] = f;
    return 0;
}

int ps_csv_next(ps_csv *c, ps_error *err)
{
    size_t scan, end;
    bool inq = false, complete = false;
    uint64_t newlines = 0;
    int rc;

    c->nfields = 0;
    if (!c->started) {
        c->started = true;
        while (c->len - c->pos < 3 && !c->eof)
            if ((rc = refill(c, err)) < 0)
                return rc;
        if (c->len - c->pos >= 3 && (unsigned char)c->buf[c->pos] == 0xEF &&
            (unsigned char)c->buf[c->pos + 1] == 0xBB && (unsigned char)c->buf[c->pos + 2] == 0xBF)
            c->pos += 3;
    }

    /* find the end of the record: an unquoted '\n' (or a CR alone) */
    scan = c->pos;
    for (;;) {
        if (scan == c->len) {
            if (c->eof)
                break;
            {
                size_t rel = scan - c->pos;
                if ((rc = refill(c, err)) < 0)
                    return rc;
                scan = c->pos + rel;
            }
            continue;
        }
        {
            /* fast skip to the next interesting byte */
            const char *p = c->buf + scan, *e = c->buf + c->len;
            while (p < e && *p != '"' && *p != '\n' && *p != '\r' && *p != '\0')
                p++;
            scan = (size_t)(p - c->buf);
            if (p == e)
                continue;
        }
        if (c->buf[scan] == '\r') {
            /* CRLF ends at its '\n'; a CR alone (old Mac line ends) ends the
             * record itself, so that such a file is read, not one record */
            if (scan + 1 == c->len && !c->eof) {
                size_t rel = scan - c->pos;
                if ((rc = refill(c, err)) < 0)
                    return rc;
                scan = c->pos + rel;
                continue;
            }
            if (scan + 1 < c->len && c->buf[scan + 1] == '\n') {
                scan++;
                continue;
            }
            if (!inq) {
                complete = true;
                break;
            }
            newlines++;
            scan++;
            continue;
        }
        if (c->buf[scan] == '\0') {
            uint64_t off = c->base_offset + scan;
            return ps_error_set(err, PS_ERR_INPUT,
                                "'%s': line %llu: unexpected NUL byte at offset %llu (binary data, "
                                "not a CSV text)",
                                ps_input_name(c->in), (unsigned long long)(c->line + newlines),
                                (unsigned long long)off);
        }
        if (c->buf[scan] == '"') {
            inq = !inq;
        } else { /* '\n' */
            if (!inq) {
                complete = true;
                break;
            }
            newlines++;
        }
        scan++;
    }
    end = scan;   /* index of '\n' (or the lone CR) or len */
    if (end == c->pos && !complete)
        return 0; /* clean end of input */
    if (!complete && inq) {
        c->truncated = true;
        return 0;
    }

    c->rec_line = c->line;
    c->unterminated = !complete;
    c->rec_offset = c->base_offset + c->pos;
    {
        size_t bad;
        if (!ps_utf8_valid(c->buf + c->pos, end - c->pos, &bad))
            return ps_error_set(err, PS_ERR_INPUT, "'%s': line %llu: invalid UTF-8 at byte offset %llu",
                                ps_input_name(c->in), (unsigned long long)c->line,
                                (unsigned long long)(c->rec_offset + bad));
    }

    /* split and unescape in place */
    {
        char *p = c->buf + c->pos, *e = c->buf + end;
        if (e > p && e[-1] == '\r')
            e--;
        *e = '\0';
        for (;;) {
            char *f = p, *w;
            if (*p == '"') {
                p++;
                f = w = p;
                while (p < e) {
                    if (*p == '"') {
                        if (p + 1 < e && p[1] == '"') {
                            *w++ = '"';
                            p += 2;
                            continue;
                        }
                        p++;
                        break;
                    }
                    *w++ = *p++;
                }
                /* tolerate junk between the closing quote and the separator */
                while (p < e && *p != ',')
                    *w++ = *p++;
                *w = '\0';
            } else {
                while (p < e && *p != ',')
                    p++;
            }
            if ((rc = add_field(c, f, err)) < 0)
                return rc;
            if (p >= e)
                break;
            *p++ = '\0';   /* the separator */
            if (p == e) {  /* trailing comma: an empty last field */
                if ((rc = add_field(c, e, err)) < 0)
                    return rc;
                break;
            }
        }
    }
    c->line += newlines + (complete ? 1 : 0);
    c->pos = end < c->len ? end + 1 : end;
    return 1;
}
