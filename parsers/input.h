/*
 * input.h - where trace bytes come from.
 *
 * A ps_input is one trace file (or standard input for the path "-").  It hides
 * transparent zstd decompression, decided by the magic number, never by the
 * file name; it hashes the raw bytes for traces.sha256 while they stream past;
 * and it offers two ways to consume the content:
 *
 *   - streaming: ps_input_peek / ps_input_read (text readers: CSV, XML);
 *   - random access: ps_input_map (binary readers: PML, ETL).  A plain regular
 *     file is mmap'ed; compressed data or a pipe is spooled to an unlinked
 *     temporary file first, so memory stays flat whatever the trace's size.
 *
 * Limits (ps_input_opts): the zstd window (against decompression bombs that
 * ask for huge buffers) and the total decompressed size.  Exceeding one is a
 * PS_ERR_LIMIT error naming the limit.
 *
 * Ownership: ps_input_open returns an object owned by the caller, released with
 * ps_input_close.  Pointers returned by peek and map stay valid until the next
 * call on the same input (peek) or until close (map).
 */
#ifndef PS_INPUT_H
#define PS_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

typedef struct ps_input ps_input;

typedef struct ps_input_opts {
    unsigned zstd_window_log_max;   /* default 27 (128 MiB) */
    uint64_t max_decompressed;      /* bytes; 0 = default (1 TiB) */
    uint64_t max_spool;             /* bytes spooled for ps_input_map; 0 = default (8 GiB) */
} ps_input_opts;

#define PS_INPUT_DEFAULT_WINDOW_LOG 27
#define PS_INPUT_DEFAULT_MAX_OUT (1ULL << 40)
#define PS_INPUT_DEFAULT_MAX_SPOOL (8ULL << 30)

void ps_input_opts_init(ps_input_opts *o);

int ps_input_open(const char *path, const ps_input_opts *opts, ps_input **out, ps_error *err);
/* The same over bytes in memory (fuzzing, tests); `data` is borrowed and
 * must outlive the input; `name` is used in messages. */
int ps_input_open_mem(const void *data, size_t len, const char *name, const ps_input_opts *opts,
                      ps_input **out, ps_error *err);
void ps_input_close(ps_input *in);

/* The name used in messages: the path, or "<stdin>". */
const char *ps_input_name(const ps_input *in);
bool ps_input_is_compressed(const ps_input *in);

/* Makes at least `want` content bytes available without consuming them
 * (fewer at end of input).  *len receives how many are available. */
int ps_input_peek(ps_input *in, size_t want, const uint8_t **p, size_t *len, ps_error *err);

/* Reads up to n content bytes; returns the count (0 at end) or an error. */
ssize_t ps_input_read(ps_input *in, void *buf, size_t n, ps_error *err);

/* The whole content for random access.  May be called once, before any read. */
int ps_input_map(ps_input *in, const uint8_t **data, uint64_t *size, ps_error *err);
/* Before ps_input_map: a reader that knows from the first bytes that the
 * content is at least `need` bytes long refuses it now when it would be
 * spooled (compressed or standard input) and that exceeds the spool limit
 * (PS_ERR_LIMIT) or the free space of the spool directory (PS_ERR_IO).
 * Spooling itself stops at the smaller of the two, as does ps_input_map. */
int ps_input_spool_need(ps_input *in, uint64_t need, ps_error *err);

/* Tells the input that the mapped content in [from, to) will not be read
 * again soon: its pages leave the process's resident memory (they are read
 * from the file again if touched).  Whole pages: the page holding `from` is
 * included, so that a reader releasing behind it in small steps leaves no
 * page behind.  Binary readers call it behind them so that memory stays
 * flat however large the mapped file.  No effect without a mapping. */
void ps_input_release(ps_input *in, uint64_t from, uint64_t to);

/* Tells the input that a reader of its mapping has got to `offset`: for a
 * plain file mapped directly (no raw reads), ps_input_raw_pos reports it,
 * so that progress advances with what the reader has read. */
void ps_input_map_progress(ps_input *in, uint64_t offset);

/* Content bytes consumed so far (decompressed offset). */
uint64_t ps_input_offset(const ps_input *in);
/* Raw (on-disk) bytes consumed so far and the raw size (0 when unknown): progress. */
uint64_t ps_input_raw_pos(const ps_input *in);
uint64_t ps_input_raw_size(const ps_input *in);

/* Reads the rest of the raw input (without decoding it) so that the hash
 * covers the whole file, then writes the SHA-256 in hex. */
int ps_input_finish(ps_input *in, char sha256_hex[65], ps_error *err);

#endif
