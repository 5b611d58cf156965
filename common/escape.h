/*
 * escape.h - strings from a trace made safe for where a report writes them.
 *
 * Every string that comes from a trace (process names, paths, command lines,
 * registry data) is attacker-controlled.  Besides the syntax of the output
 * (HTML, a terminal), three kinds of characters are made visible instead of
 * being passed through:
 *   - C0 controls and DEL (ESC sequences drive terminals; XML and HTML forbid
 *     them) become their Control Pictures, U+2400 + c and U+2421 ("␛", "␊");
 *   - C1 controls (U+0080..U+009F) and the bidirectional formatting
 *     characters (U+200E, U+200F, U+202A..U+202E, U+2066..U+2069, which can
 *     make a command line read backwards) become "\u202e"-style text;
 *   - invalid UTF-8 bytes and the noncharacters U+FFFE/U+FFFF become U+FFFD.
 *
 * Ownership: the functions append to a caller's ps_buf or write to a FILE,
 * and allocate nothing else.  ps_tx returns either its argument or one of
 * eight fixed per-thread buffers, valid until eight more calls of ps_tx in
 * the same thread.
 */
#ifndef PS_ESCAPE_H
#define PS_ESCAPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/util.h"

/* HTML (and XML) text and attribute values: & < > " ' as references and the
 * characters above made visible.  The result is well-formed in both. */
void ps_html_escape(ps_buf *out, const char *s);
/* The same, written to a FILE (streaming, no allocation); NULL writes
 * nothing.  ps_html_putn: at most n bytes of s. */
void ps_html_put(FILE *f, const char *s);
void ps_html_putn(FILE *f, const char *s, size_t n);

/* s itself when it needs no change (the usual case), else an escaped copy
 * of at most PS_TX_MAX bytes (a longer one is cut and ends with "…"); NULL
 * gives NULL.  For printf arguments: printf("%s", ps_tx(path)). */
#define PS_TX_MAX 16384
const char *ps_tx(const char *s);

/* CSV cells.  Where the CSV goes decides what is done to a cell's text:
 *   PS_CSV_TERMINAL (the stream is a terminal): what ps_tx does, so that no
 *     escape sequence from a trace reaches the terminal;
 *   PS_CSV_FILE (a file or a pipe): a cell that a spreadsheet would take for
 *     a formula (starting with = + - @, a tab or a carriage return, and not a
 *     plain number such as -5 or +1.5) gets a leading ' (OWASP's advice on
 *     CSV injection); nothing else changes;
 *   PS_CSV_RAW (PROCSTAGE_CSV=raw in the environment): the text unchanged.
 * ps_csv_mode_of decides for a stream; ps_csv_formula says whether s needs
 * the leading '. */
typedef enum { PS_CSV_RAW, PS_CSV_FILE, PS_CSV_TERMINAL } ps_csv_mode;
ps_csv_mode ps_csv_mode_of(FILE *f);
int ps_csv_formula(const char *s);

/* Standard base64 (RFC 4648, with padding). */
void ps_base64(ps_buf *out, const uint8_t *p, size_t n);

#endif
