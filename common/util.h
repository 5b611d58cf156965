/*
 * util.h - small building blocks shared by every part of procstage:
 * growable byte buffers, a 64-bit hash map, case-insensitive string helpers for
 * Windows paths, UTF-8/UTF-16 helpers and FILETIME formatting.
 *
 * Ownership: ps_buf and ps_map own their storage; release them with
 * ps_buf_release / ps_map_release.  Functions returning `char *` documented as
 * "allocated" hand ownership to the caller (free()).
 */
#ifndef PS_UTIL_H
#define PS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define PS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- growable buffer ------------------------------------------------- */

typedef struct ps_buf {
    char *data;   /* always NUL-terminated when len > 0 or after ps_buf_cstr */
    size_t len;
    size_t cap;
} ps_buf;

void ps_buf_init(ps_buf *b);
void ps_buf_release(ps_buf *b);
void ps_buf_reset(ps_buf *b);
int ps_buf_reserve(ps_buf *b, size_t extra);
int ps_buf_append(ps_buf *b, const void *p, size_t n);
int ps_buf_puts(ps_buf *b, const char *s);
int ps_buf_putc(ps_buf *b, char c);
int ps_buf_printf(ps_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns a NUL-terminated view ("" when empty); valid until the next change. */
const char *ps_buf_cstr(ps_buf *b);

/* ---- hash map: uint64 key -> uint64 value ------------------------------ */

typedef struct ps_map {
    uint64_t *keys;
    uint64_t *vals;
    uint8_t *used;
    size_t cap;   /* power of two */
    size_t count;
} ps_map;

void ps_map_init(ps_map *m);
void ps_map_release(ps_map *m);
int ps_map_put(ps_map *m, uint64_t key, uint64_t val);
bool ps_map_get(const ps_map *m, uint64_t key, uint64_t *val);
bool ps_map_del(ps_map *m, uint64_t key);
void ps_map_clear(ps_map *m);

/* ---- hashing ------------------------------------------------------------ */

uint64_t ps_hash_bytes(const void *p, size_t n, uint64_t seed);
/* Hash of an ASCII-case-folded string; equal for "C:\A.EXE" and "c:\a.exe". */
uint64_t ps_hash_ci(const char *s, size_t n);
uint64_t ps_hash_mix(uint64_t a, uint64_t b);

/* ---- strings (ASCII case folding; UTF-8 bytes pass through) ------------- */

char *ps_strdup(const char *s);                 /* allocated; NULL in, NULL out */
char *ps_strndup(const char *s, size_t n);      /* allocated */
bool ps_streq_ci(const char *a, const char *b);
bool ps_strneq_ci(const char *a, const char *b, size_t n);
const char *ps_strstr_ci(const char *hay, const char *needle);
bool ps_ends_with_ci(const char *s, const char *suffix);
bool ps_starts_with_ci(const char *s, const char *prefix);
/* Last component of a Windows or POSIX path ("" for NULL). */
const char *ps_path_basename(const char *path);
/* Copies at most cap-1 bytes, always terminates; returns strlen(src). */
size_t ps_strlcpy(char *dst, const char *src, size_t cap);

/* ---- UTF-8 / UTF-16 --------------------------------------------------- */

/* True when s[0..n) is valid UTF-8; else *bad is the offset of the first bad byte. */
bool ps_utf8_valid(const char *s, size_t n, size_t *bad);
/* Converts UTF-16LE (n code units) to UTF-8 into out (reset first).  Unpaired
 * surrogates become U+FFFD.  Stops at the first NUL when stop_at_nul. */
int ps_utf16le_to_utf8(const uint8_t *p, size_t n_units, bool stop_at_nul, ps_buf *out);
/* Writes the UTF-8 encoding of code point cp (at most U+10FFFF) into out;
 * returns its length (1 to 4). */
size_t ps_utf8_encode(uint32_t cp, char out[4]);
/* The code point of the UTF-16LE unit u found at index *i of p (n_units
 * units): a high surrogate followed by a low one gives the pair's code
 * point and advances *i to the low one; an unpaired surrogate is U+FFFD. */
uint32_t ps_utf16_code_point(uint32_t u, const uint8_t *p, size_t n_units, size_t *i);

/* ---- numbers ------------------------------------------------------------ */

/* Parses a decimal or 0x-hex unsigned number that may carry thousands
 * separators (',', '.', ' ', U+00A0, U+202F) as Procmon prints them.  Returns
 * the number of bytes consumed (0 if none). */
size_t ps_parse_uint_loose(const char *s, uint64_t *out);
/* Strict full-string parses. */
bool ps_parse_u64(const char *s, uint64_t *out);
bool ps_parse_i64(const char *s, int64_t *out);

/* ---- FILETIME ----------------------------------------------------------- */

#define PS_TICKS_PER_SEC 10000000LL
#define PS_TICKS_PER_DAY (86400LL * PS_TICKS_PER_SEC)
/* FILETIME of 1970-01-01 */
#define PS_FILETIME_UNIX_EPOCH 116444736000000000LL

/* Days since 1601-01-01 for a proleptic Gregorian date; month 1..12. */
int64_t ps_days_from_civil(int64_t y, unsigned m, unsigned d);
void ps_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* "2020-07-31 07:37:18.2093997" into buf (>= 32 bytes). */
void ps_format_filetime(int64_t ft, char *buf, size_t cap);
/* "07:37:18.2093997" (time of day only). */
void ps_format_tod(int64_t ft, char *buf, size_t cap);

/* strerror(e) with a lower-case first letter, as procstage messages are
 * written ("permission denied").  Returns a pointer to static storage. */
const char *ps_errno_text(int e);

#endif
