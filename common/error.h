/*
 * error.h - procstage error convention
 *
 * Every function that can fail returns 0 (or a positive count) on success and
 * one of the negative PS_ERR_* codes on failure.  When the caller passes a
 * ps_error, the callee fills it with a one-line message that names the file and
 * the line or byte offset where that applies.  Messages are lower-case and carry
 * no final period: "cannot open 'x.pml': no such file".
 *
 * Ownership: a ps_error is a plain value owned by the caller; it holds no heap
 * memory and needs no release.
 */
#ifndef PS_ERROR_H
#define PS_ERROR_H

#include <stdarg.h>

enum {
    PS_OK = 0,
    PS_ERR_NOMEM = -1,    /* allocation failed */
    PS_ERR_USAGE = -2,    /* bad command line or API misuse */
    PS_ERR_INPUT = -3,    /* the trace (or rule, config) is malformed */
    PS_ERR_LIMIT = -4,    /* the input exceeds a documented limit */
    PS_ERR_IO = -5,       /* reading or writing a file failed */
    PS_ERR_DB = -6,       /* SQLite reported an error */
    PS_ERR_INTERNAL = -7  /* an invariant of procstage itself was broken */
};

#define PS_ERROR_MAX 1024

typedef struct ps_error {
    int code;
    char msg[PS_ERROR_MAX];
} ps_error;

/* Clears err (err may be NULL). */
void ps_error_clear(ps_error *err);

/* Sets code and message; returns code so callers can `return ps_error_set(...)`.
 * err may be NULL, in which case only the code is returned. */
int ps_error_set(ps_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int ps_error_vset(ps_error *err, int code, const char *fmt, va_list ap);

/* Out-of-memory shortcut. */
int ps_error_nomem(ps_error *err);

/* Human words for a code: "input error", "database error", ... */
const char *ps_error_kind(int code);

/* The process exit status documented in procstage(1) for an error code. */
int ps_error_exit_status(int code);

#endif
