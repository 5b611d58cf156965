/*
 * csv.h - a streaming RFC 4180 tokenizer over a ps_input.
 *
 * Handles a UTF-8 byte-order mark, quoted fields with doubled quotes and
 * embedded newlines, CRLF, LF or CR-only line ends, and a final line without a
 * line end.  Each record is validated as UTF-8 and must not contain NUL bytes.
 * Fields are unescaped in place in the tokenizer's buffer.
 *
 * Ownership: ps_csv is caller-owned (init/release).  Field pointers stay
 * valid until the next ps_csv_next.
 */
#ifndef PS_CSV_H
#define PS_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "parsers/input.h"

#define PS_CSV_MAX_RECORD (64u << 20)
#define PS_CSV_MAX_FIELDS 4096

typedef struct ps_csv {
    ps_input *in;
    char *buf;
    size_t cap, len, pos;        /* unread bytes are buf[pos..len) */
    bool eof;
    bool started;
    uint64_t line;               /* line number at buf[pos] */
    uint64_t base_offset;        /* content offset of buf[0] */
    char **fields;
    size_t nfields, fcap;
    uint64_t rec_line;           /* first line of the current record */
    uint64_t rec_offset;         /* content offset of the current record */
    bool truncated;              /* the last record was cut off (unterminated quote) */
    bool unterminated;           /* the current record ended at end of input, not at a line end */
} ps_csv;

void ps_csv_init(ps_csv *c, ps_input *in);
void ps_csv_release(ps_csv *c);
/* 1 = a record is in c->fields[0..nfields), 0 = end of input, < 0 error.
 * A final record with an unterminated quoted field is returned as the end
 * with c->truncated set (the caller decides whether that is an error). */
int ps_csv_next(ps_csv *c, ps_error *err);

#endif
