/*
 * scan.h - reads annotated C source in the WRK and ReactOS styles
 * (docs/source.md): function definitions and prototypes with their line
 * ranges, signatures and parameters (SAL 1, SAL 2 and IN/OUT/OPTIONAL
 * annotations as direction and optionality), their comment blocks (WRK
 * "Routine Description" blocks, ReactOS/Doxygen @name/@param/@return), the
 * calls of each body in order, and @stage tags and regions.  Annotated
 * excerpts ("#070 code" lines interleaved with commentary) are read too.
 *
 * A small lexer that knows comments, strings, character literals,
 * preprocessor lines (with continuations) and braces - no compiler.  Bad
 * input never stops the scan: unbalanced braces or comments, binary files,
 * absurd nesting give a warning naming the file and line, and the scan goes
 * on with the next function or file.  Functions are handed to a callback as
 * they end, so memory does not grow with the size of a file.
 *
 * Ownership: everything a callback receives belongs to the scanner and is
 * valid only during the call.  ps_src_file_info is a plain value.
 */
#ifndef PS_SOURCE_SCAN_H
#define PS_SOURCE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "source/stage_map.h"

typedef enum ps_src_dir {
    PS_SRC_DIR_NONE = 0,     /* the source does not say */
    PS_SRC_DIR_IN,
    PS_SRC_DIR_OUT,
    PS_SRC_DIR_INOUT
} ps_src_dir;

typedef enum ps_src_kind {
    PS_SRC_DEFINITION = 0,
    PS_SRC_PROTOTYPE,
    PS_SRC_EXCERPT           /* from an annotated excerpt */
} ps_src_kind;

typedef struct ps_src_param {
    const char *name;        /* NULL when the declaration has none */
    const char *type;
    ps_src_dir dir;
    bool optional;
    const char *annotation;  /* as written ("__in_opt", "IN OUT", "_Out_writes_bytes_(Length)"); NULL none */
    const char *doc;         /* from the comment block; NULL none */
} ps_src_param;

typedef struct ps_src_call {
    const char *callee;
    uint32_t line;
    int stage;               /* 1..6 from an @stage line tag or region around the call; 0 none */
} ps_src_call;

/* An @stage tag: kind "function", "line" or "region". */
typedef struct ps_src_tag {
    const char *kind;
    int stage;
    const char *label;       /* NULL none */
    const char *attrs;       /* "key=value key=value"; NULL none */
    uint32_t line_start, line_end;
} ps_src_tag;

typedef struct ps_src_function {
    ps_src_kind kind;
    const char *name;        /* NULL: an excerpt body without its header */
    uint32_t line_start, line_end;
    const char *signature;   /* declaration up to the parameter list's ')' */
    const char *return_type;
    const char *description; /* "Routine Description" / @brief / free text */
    const char *returns;     /* "Return Value" / @return */
    const char *remarks;     /* "Notes" / "Environment" / @remarks */
    const char *status;      /* @implemented, @unimplemented ... (word and rest of the line) */
    const char *doc_style;   /* "wrk", "doxygen" or NULL */
    int stage;               /* from an @stage tag before it or a file-level region; 0 none */
    const char *stage_label, *stage_attrs;
    const char *note;        /* what the scanner had to repair; NULL none */
    const ps_src_param *params;
    size_t nparams;
    const ps_src_call *calls;
    size_t ncalls;
    const ps_src_tag *tags;  /* the function's own tag, line tags and regions inside it */
    size_t ntags;
} ps_src_function;

/* One numbered line of an annotated excerpt. */
typedef struct ps_src_line {
    uint32_t line;           /* the original line number; 0: commentary after the last line */
    const char *code;        /* NULL for trailing commentary */
    const char *commentary;  /* the commentary lines before it, joined by '\n'; NULL none */
} ps_src_line;

typedef int (*ps_src_function_cb)(void *ctx, const ps_src_function *fn, ps_error *err);
typedef int (*ps_src_line_cb)(void *ctx, const ps_src_line *ln, ps_error *err);
typedef int (*ps_src_tag_cb)(void *ctx, const ps_src_tag *tag, ps_error *err);
typedef void (*ps_src_warn_cb)(void *ctx, const char *msg);

typedef struct ps_src_scan_opts {
    const ps_stage_map *map;       /* stop list; may be NULL */
    const char *const *stop;       /* more names that are not call edges */
    size_t nstop;
    ps_src_function_cb on_function;
    ps_src_line_cb on_line;        /* excerpt lines; may be NULL */
    ps_src_tag_cb on_tag;          /* regions outside functions; may be NULL */
    void *ctx;
    ps_src_warn_cb warn;           /* may be NULL */
    void *warn_ctx;
    uint64_t max_file_size;        /* 0: 1 GiB */
} ps_src_scan_opts;

typedef struct ps_src_file_info {
    char sha256[65];
    uint64_t size;
    uint32_t lines;
    bool excerpt;            /* an annotated excerpt ("#070 code" lines) */
    bool skipped;            /* binary or too large: nothing was scanned */
    uint32_t functions, prototypes, calls;
    uint32_t warnings;
} ps_src_file_info;

/* Scans text[0..len) named `name` (for messages; its extension tells C
 * from prose).  Fills *info (sha256, size and lines are left to the
 * caller).  Returns 0, or a negative code only when a callback failed or
 * memory ran out. */
int ps_src_scan_text(const char *name, const char *text, size_t len, const ps_src_scan_opts *o,
                     ps_src_file_info *info, ps_error *err);
/* Scans a file (memory-mapped); an unreadable file is an error, a binary or
 * oversized one a warning (info->skipped). */
int ps_src_scan_file(const char *path, const ps_src_scan_opts *o, ps_src_file_info *info, ps_error *err);

/* Whether the text holds an annotated excerpt: at least three lines
 * "#<digits> ..." (what no preprocessor line looks like) in its first 4 MiB. */
bool ps_src_is_excerpt(const char *text, size_t len);

/* Whether a file name has a C or C++ source extension (.c .h .cpp ...). */
bool ps_src_is_c_file(const char *name);

const char *ps_src_dir_name(ps_src_dir d);       /* "in", "out", "inout" or NULL */
const char *ps_src_kind_name(ps_src_kind k);     /* "definition", "prototype", "excerpt" */

#endif
