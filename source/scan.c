/*
 * scan.c - the C source scanner (see scan.h, docs/source.md).
 *
 * Layers:
 *   lexer    tokens with their line and column: identifiers, numbers,
 *            strings, character literals, punctuation, comments and whole
 *            preprocessor lines (continuations included).  Inactive
 *            conditional branches are skipped line by line: the branch
 *            after `#if 0` and every `#else`/`#elif` branch of a taken `#if`
 *            (the first live branch wins, so braces stay balanced).
 *   parser   at file scope, the tokens since the last `;`, `{` or `}` form a
 *            declaration; at `{` a declaration that is a function header
 *            starts a body, at `;` one that is a prototype is reported.
 *            In a body: brace depth, calls (an identifier before `(`), line
 *            tags and regions.  A `{` in column 0 inside a body whose
 *            preceding tokens form a function header means the previous body
 *            never closed: warn and start the new function.
 *   excerpts "#070 code" lines become the code, the commentary lines `//`
 *            comments before the line they describe.  An excerpt without its
 *            function header is read as one function body.
 *   prose    in files that are neither C nor excerpts (articles), lines of
 *            prose (non-ASCII text, runs of lower-case words) separate
 *            declarations, so that the code quoted in an article is found.
 */
#define _GNU_SOURCE
#include "source/scan.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/sha256.h"
#include "common/util.h"

#define MAX_STMT 8192           /* tokens of one declaration */
#define MAX_INNER 512           /* tokens kept of one statement in a body */
#define MAX_COND 256            /* nesting of preprocessor conditionals */
#define MAX_CALLS 200000        /* calls of one function */
#define MAX_TAGS 4096           /* tags of one function */
#define MAX_PARAMS 1024
#define MAX_REGIONS 64
#define MAX_WARNINGS 20         /* printed per file; all are counted */
#define MAX_DOC 65536           /* bytes of a comment block read as documentation */
#define MAX_SIG 4096
#define DROP_CHUNK (16u << 20)  /* memory-mapped input: pages read are dropped in steps of this */

/* ---- tokens ---------------------------------------------------------------- */

typedef enum { T_EOF = 0, T_IDENT, T_NUM, T_STR, T_CHR, T_PUNCT, T_COMMENT, T_PP } tkind;

typedef struct tok {
    tkind k;
    const char *p;
    uint32_t n;
    uint32_t line, end_line;   /* lines of the scanned text */
    uint32_t col;
    bool bol;                  /* first token of its line */
    bool prose;                /* on a line of prose (prose mode) */
    bool after_blank;          /* an empty line precedes it */
} tok;

static bool tok_is(const tok *t, const char *s)
{
    return t->n == strlen(s) && !memcmp(t->p, s, t->n);
}

static bool punct_is(const tok *t, char c)
{
    return t->k == T_PUNCT && t->n == 1 && t->p[0] == c;
}

static bool is_ident_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static bool is_ascii_ident(const tok *t)
{
    uint32_t i;
    for (i = 0; i < t->n; i++)
        if ((unsigned char)t->p[i] >= 0x80)
            return false;
    return true;
}

/* words that are never function names nor calls */
static const char *const keywords[] = {
    "if", "else", "while", "for", "do", "switch", "case", "default", "return", "goto", "break",
    "continue", "sizeof", "typedef", "struct", "union", "enum", "static", "extern", "const",
    "volatile", "register", "auto", "inline", "__inline", "__forceinline", "FORCEINLINE", "signed",
    "unsigned", "int", "char", "short", "long", "float", "double", "void", "_Bool", "bool", "try",
    "except", "finally", "leave", "__try", "__except", "__finally", "__leave", "catch", "throw",
    "defined", "__declspec", "__attribute__", "__asm", "__asm__", "asm", "_asm", "__pragma",
    "_Pragma", "__typeof__", "typeof", "alignof", "_Alignof", "__alignof", "_Static_assert",
    "static_assert", "__builtin_offsetof", "__noop", "new", "delete", "operator", "VOID", "namespace",
};

static bool is_keyword(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(keywords); i++)
        if (strlen(keywords[i]) == n && !memcmp(keywords[i], p, n))
            return true;
    return false;
}

/* C type words: a parameter "unsigned int" has no name */
static bool is_type_word(const char *p, size_t n)
{
    static const char *const w[] = {"int", "char", "short", "long", "float", "double", "void",
                                    "signed", "unsigned", "_Bool", "const", "volatile", "VOID"};
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(w); i++)
        if (strlen(w[i]) == n && !memcmp(w[i], p, n))
            return true;
    return false;
}

/* SAL 1 (__in, __drv_*), __declspec, __attribute__, SAL 2 (_In_, _IRQL_requires_max_) */
static bool is_annotation(const char *p, size_t n)
{
    if (n >= 3 && p[0] == '_' && p[1] == '_' && isalpha((unsigned char)p[2]))
        return true;
    return n >= 3 && p[0] == '_' && isupper((unsigned char)p[1]) && p[n - 1] == '_';
}

/* ---- the scanner state ------------------------------------------------------- */

typedef struct region {
    int stage;
    uint32_t line;
    const char *label, *attrs;   /* in the arena of their owner */
} region;

typedef struct cond {
    uint32_t line;
} cond;

typedef struct fnb {             /* the function being built */
    bool active;
    ps_src_function f;
    ps_src_param *params;
    size_t nparams, paramcap;
    ps_src_call *calls;
    size_t ncalls, callcap;
    bool calls_full;
    ps_src_tag *tags;
    size_t ntags, tagcap;
    region regions[MAX_REGIONS];
    size_t nregions;
    bool pending_line_tag;
    int plt_stage;
    const char *plt_label, *plt_attrs;
    bool seen_code;
    ps_buf note;
} fnb;

typedef struct scanner {
    const char *name;
    const ps_src_scan_opts *o;
    ps_src_file_info *info;
    ps_error *err;
    int rc;                      /* first callback failure */
    bool emit;                   /* false: a dry run counting definitions */
    bool prose_mode;
    uint32_t definitions;

    /* text and position */
    const char *s;
    size_t len, pos, line_begin;
    uint32_t line;
    bool at_bol;
    bool line_prose;
    bool saw_blank;              /* an empty line since the last token */
    const uint32_t *linemap;     /* excerpts: scanned line -> original line */
    const bool *code_line;       /* excerpts: the scanned line is a numbered line */
    uint32_t nmap;
    bool mapped;                 /* s is a file mapping: drop what was read */
    size_t dropped;              /* bytes of s dropped so far */

    /* conditionals */
    cond conds[MAX_COND];
    uint32_t nconds, cond_overflow;

    /* file scope */
    tok *stmt;
    size_t nstmt, stmtcap;
    bool stmt_overflow;
    uint32_t depth;              /* brace depth (0: file scope) */
    bool in_func;
    uint32_t skip_depth;         /* a non-function block at file scope */
    uint32_t linkage;            /* open extern "C" { blocks */
    tok doc;                     /* the last documentation comment at file scope */
    bool have_doc;
    bool pending_ftag;
    int ftag_stage;
    uint32_t ftag_line;
    char ftag_label[256], ftag_attrs[256];
    region fregions[MAX_REGIONS];
    char fregion_text[MAX_REGIONS][2][128];
    size_t nfregions;

    /* body */
    tok inner[MAX_INNER];        /* statement tokens since the last ; { } */
    size_t ninner;
    bool inner_overflow;
    size_t calls_at_inner;       /* calls recorded before the current statement */
    tok prev, prev2;             /* last two code tokens of the body */
    uint32_t last_code_line;

    fnb fb;
    ps_arena arena;              /* strings of the function being built */
    ps_buf tmp;
    bool oom;                    /* a buffer could not grow: the scan fails */
} scanner;

static uint32_t orig_line(const scanner *sc, uint32_t line)
{
    if (sc->linemap && line >= 1 && line <= sc->nmap)
        return sc->linemap[line - 1];
    return line;
}

static void warn(scanner *sc, uint32_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void warn(scanner *sc, uint32_t line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    int n;

    if (!sc->emit)
        return;
    sc->info->warnings++;
    if (!sc->o->warn || sc->info->warnings > MAX_WARNINGS + 1)
        return;
    if (sc->info->warnings == MAX_WARNINGS + 1) {
        snprintf(msg, sizeof msg, "'%s': more warnings not shown", sc->name);
        sc->o->warn(sc->o->warn_ctx, msg);
        return;
    }
    n = snprintf(msg, sizeof msg, "'%s': line %u: ", sc->name, orig_line(sc, line));
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    sc->o->warn(sc->o->warn_ctx, msg);
}

static void note(scanner *sc, const char *text)
{
    fnb *b = &sc->fb;
    if ((b->note.len && ps_buf_puts(&b->note, "; ") < 0) || ps_buf_puts(&b->note, text) < 0)
        sc->oom = true;
}

static char *adup(scanner *sc, const char *p, size_t n)
{
    char *d = ps_arena_strndup(&sc->arena, p ? p : "", p ? n : 0);
    if (!d && !sc->rc)
        sc->rc = ps_error_nomem(sc->err);
    return d;
}

/* ---- lexer --------------------------------------------------------------------- */

/* A line of prose: non-ASCII text, or two lower-case words in a row. */
static bool line_is_prose(const char *p, const char *end)
{
    int lower_run = 0;
    const char *q = p;

    while (q < end && *q != '\n') {
        unsigned char c = (unsigned char)*q;
        if (c == 0xC2 && q + 1 < end && (unsigned char)q[1] == 0xA0) {
            q += 2;   /* a no-break space */
            lower_run = 0;
            continue;
        }
        if (c >= 0x80)
            return true;
        if (isalpha(c)) {
            const char *w = q;
            bool all_lower = true, letters = true;
            while (q < end && is_ident_char((unsigned char)*q)) {
                if (!islower((unsigned char)*q))
                    all_lower = false;
                if (!isalpha((unsigned char)*q))
                    letters = false;
                q++;
            }
            if (letters && all_lower && q - w >= 2 && !is_type_word(w, (size_t)(q - w)))
                lower_run++;
            else
                lower_run = 0;
            if (lower_run >= 2)
                return true;
            if (q < end && *q == ' ' && q + 1 < end && isalpha((unsigned char)q[1]))
                q++;
            else
                lower_run = 0;
            continue;
        }
        lower_run = 0;
        q++;
    }
    return false;
}

static void newline(scanner *sc)
{
    if (sc->at_bol)
        sc->saw_blank = true;
    sc->line++;
    sc->line_begin = sc->pos + 1;
    sc->at_bol = true;
    if (sc->prose_mode)
        sc->line_prose = line_is_prose(sc->s + sc->pos + 1, sc->s + sc->len);
}

/* Skips a backslash-newline (\ \n or \ \r \n) at pos; true when it did. */
static bool line_splice(scanner *sc)
{
    size_t p = sc->pos;
    if (sc->s[p] != '\\')
        return false;
    p++;
    if (p < sc->len && sc->s[p] == '\r')
        p++;
    if (p < sc->len && sc->s[p] == '\n') {
        sc->pos = p;
        newline(sc);
        sc->pos = p + 1;
        return true;
    }
    return false;
}

/* The rest of a string or character literal opened at pos - 1. */
static void lex_literal(scanner *sc, char q, tok *t)
{
    while (sc->pos < sc->len) {
        char c = sc->s[sc->pos];
        if (c == '\\') {
            if (line_splice(sc))
                continue;
            sc->pos += sc->pos + 1 < sc->len ? 2 : 1;
            continue;
        }
        if (c == q) {
            sc->pos++;
            return;
        }
        if (c == '\n') {
            if (!sc->prose_mode)
                warn(sc, t->line, "unterminated %s literal", q == '"' ? "string" : "character");
            return;
        }
        sc->pos++;
    }
    if (!sc->prose_mode)
        warn(sc, t->line, "unterminated %s literal at the end of the file", q == '"' ? "string" : "character");
}

/* A block comment opened at pos; an unterminated one ends with its line. */
static void lex_block_comment(scanner *sc, tok *t)
{
    const char *end = memmem(sc->s + sc->pos + 2, sc->len - sc->pos - 2, "*/", 2);
    const char *q, *stop;

    if (!end) {
        const char *nl = memchr(sc->s + sc->pos, '\n', sc->len - sc->pos);
        warn(sc, t->line, "unterminated comment: read as ending with its line");
        sc->pos = nl ? (size_t)(nl - sc->s) : sc->len;
        return;
    }
    stop = end + 2;
    for (q = sc->s + sc->pos; q < stop; q++)
        if (*q == '\n') {
            sc->pos = (size_t)(q - sc->s);
            newline(sc);
        }
    sc->pos = (size_t)(stop - sc->s);
}

static void lex_line_comment(scanner *sc)
{
    while (sc->pos < sc->len && sc->s[sc->pos] != '\n') {
        if (sc->s[sc->pos] == '\\' && line_splice(sc))
            continue;
        sc->pos++;
    }
}

/* A preprocessor line from '#' to its unescaped end of line. */
static void lex_pp(scanner *sc)
{
    while (sc->pos < sc->len && sc->s[sc->pos] != '\n') {
        char c = sc->s[sc->pos];
        if (c == '\\' && line_splice(sc))
            continue;
        if (c == '/' && sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '*') {
            tok t = {0};
            t.line = sc->line;
            lex_block_comment(sc, &t);
            continue;
        }
        if (c == '/' && sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '/') {
            lex_line_comment(sc);
            break;
        }
        sc->pos++;
    }
}

/* Gives the pages of a file mapping back once the scan is well past them,
 * so that memory stays flat in the size of the file.  Tokens still
 * pointing there read them again from the file (a private, unmodified
 * mapping). */
static void drop_behind(const char *base, size_t *dropped, size_t pos)
{
    long pg = sysconf(_SC_PAGESIZE);
    size_t upto;

    if (pos < *dropped + 2 * (size_t)DROP_CHUNK || pg <= 0)
        return;
    upto = (pos - DROP_CHUNK) / (size_t)pg * (size_t)pg;
    if (upto > *dropped) {
        madvise((void *)(base + *dropped), upto - *dropped, MADV_DONTNEED);
        *dropped = upto;
    }
}

static void lex(scanner *sc, tok *t)
{
    if (sc->mapped)
        drop_behind(sc->s, &sc->dropped, sc->pos);
    memset(t, 0, sizeof *t);
    for (;;) {
        char c;
        if (sc->pos >= sc->len) {
            t->k = T_EOF;
            t->line = t->end_line = sc->line;
            return;
        }
        c = sc->s[sc->pos];
        if (c == '\n') {
            newline(sc);
            sc->pos++;
            continue;
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\0') {
            sc->pos++;
            continue;
        }
        if (c == '\xC2' && sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '\xA0') {
            sc->pos += 2;   /* a no-break space (articles) */
            continue;
        }
        if (c == '\\' && line_splice(sc))
            continue;
        break;
    }
    t->p = sc->s + sc->pos;
    t->line = sc->line;
    t->col = (uint32_t)(sc->pos - sc->line_begin);
    t->bol = sc->at_bol;
    t->prose = sc->prose_mode && sc->line_prose;
    t->after_blank = sc->saw_blank;
    sc->saw_blank = false;
    {
        const char c = sc->s[sc->pos];
        const char n = sc->pos + 1 < sc->len ? sc->s[sc->pos + 1] : '\0';
        if (c == '#' && sc->at_bol) {
            t->k = T_PP;
            lex_pp(sc);
        } else if (c == '/' && n == '/') {
            t->k = T_COMMENT;
            lex_line_comment(sc);
        } else if (c == '/' && n == '*') {
            t->k = T_COMMENT;
            lex_block_comment(sc, t);
        } else if (c == '"' || c == '\'') {
            t->k = c == '"' ? T_STR : T_CHR;
            sc->pos++;
            lex_literal(sc, c, t);
        } else if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)n))) {
            t->k = T_NUM;
            sc->pos++;
            while (sc->pos < sc->len) {
                unsigned char d = (unsigned char)sc->s[sc->pos];
                if (isalnum(d) || d == '.' || d == '_')
                    sc->pos++;
                else if (d == '\'' && sc->pos + 1 < sc->len && isalnum((unsigned char)sc->s[sc->pos + 1]))
                    sc->pos++;   /* a digit separator: 0x1'0000 */
                else if ((d == '+' || d == '-') && strchr("eEpP", sc->s[sc->pos - 1]))
                    sc->pos++;
                else
                    break;
            }
        } else if (is_ident_char((unsigned char)c)) {
            t->k = T_IDENT;
            while (sc->pos < sc->len && is_ident_char((unsigned char)sc->s[sc->pos]) &&
                   !(sc->s[sc->pos] == '\xC2' && sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '\xA0'))
                sc->pos++;
        } else {
            t->k = T_PUNCT;
            sc->pos += ((c == '-' && n == '>') || (c == ':' && n == ':')) ? 2 : 1;
        }
    }
    if (t->k != T_COMMENT)
        sc->at_bol = false;
    t->n = (uint32_t)(sc->s + sc->pos - t->p);
    t->end_line = sc->line;
}

/* ---- preprocessor conditionals --------------------------------------------------- */

/* The directive word of a preprocessor line ("if", "endif"). */
static size_t pp_word(const char *p, const char *end, const char **w)
{
    const char *q;
    p++;   /* '#' */
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    for (q = p; q < end && isalpha((unsigned char)*q); q++)
        ;
    *w = p;
    return (size_t)(q - p);
}

static bool word_is(const char *w, size_t n, const char *s)
{
    return n == strlen(s) && !memcmp(w, s, n);
}

/* Skips lines up to the #else/#elif (want_else) or #endif that belongs to
 * the conditional opened at `line`.  Returns 1 at an #else/#elif, 0 at the
 * #endif, -1 at the end of the text. */
static int skip_inactive(scanner *sc, bool want_else, uint32_t line)
{
    uint32_t nest = 0;

    while (sc->pos < sc->len) {
        const char *p = sc->s + sc->pos, *end = sc->s + sc->len;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end, *q = p, *w;
        size_t wn;

        while (q < le && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\f'))
            q++;
        /* continuation lines of a skipped directive are skipped with it */
        while (nl && nl > p && (nl[-1] == '\\' || (nl[-1] == '\r' && nl - 1 > p && nl[-2] == '\\'))) {
            sc->pos = (size_t)(nl - sc->s);
            newline(sc);
            p = nl + 1;
            nl = memchr(p, '\n', (size_t)(end - p));
        }
        if (q < le && *q == '#') {
            wn = pp_word(q, le, &w);
            if (word_is(w, wn, "if") || word_is(w, wn, "ifdef") || word_is(w, wn, "ifndef")) {
                nest++;
            } else if (word_is(w, wn, "endif")) {
                if (nest == 0) {
                    sc->pos = nl ? (size_t)(nl - sc->s) : sc->len;
                    return 0;
                }
                nest--;
            } else if (want_else && nest == 0 && (word_is(w, wn, "else") || word_is(w, wn, "elif"))) {
                sc->pos = nl ? (size_t)(nl - sc->s) : sc->len;
                return 1;
            }
        }
        if (!nl) {
            sc->pos = sc->len;
            break;
        }
        sc->pos = (size_t)(nl - sc->s);
        newline(sc);
        sc->pos++;
    }
    warn(sc, line, "the conditional opened here has no #endif");
    return -1;
}

static void handle_pp(scanner *sc, const tok *t)
{
    const char *end = t->p + t->n, *w, *e;
    size_t wn = pp_word(t->p, end, &w);

    if (word_is(w, wn, "if") || word_is(w, wn, "ifdef") || word_is(w, wn, "ifndef")) {
        bool zero = false;
        if (word_is(w, wn, "if")) {
            e = w + wn;
            while (e < end && (*e == ' ' || *e == '\t' || *e == '('))
                e++;
            zero = e < end && *e == '0' && (e + 1 == end || !isalnum((unsigned char)e[1]));
        }
        if (zero) {
            int r = skip_inactive(sc, true, t->line);
            if (r <= 0)
                return;   /* #endif: nothing open; EOF: warned */
        }
        if (sc->nconds < MAX_COND) {
            sc->conds[sc->nconds++].line = t->line;
        } else {
            if (!sc->cond_overflow)
                warn(sc, t->line, "preprocessor conditionals nested deeper than %d: the deeper ones are read "
                     "as taken", MAX_COND);
            sc->cond_overflow++;
        }
    } else if (word_is(w, wn, "else") || word_is(w, wn, "elif")) {
        if (sc->cond_overflow)
            return;
        if (!sc->nconds) {
            warn(sc, t->line, "#%.*s without #if", (int)wn, w);
            return;
        }
        /* the taken branch ends here: skip the others up to #endif */
        skip_inactive(sc, false, sc->conds[sc->nconds - 1].line);
        sc->nconds--;
    } else if (word_is(w, wn, "endif")) {
        if (sc->cond_overflow)
            sc->cond_overflow--;
        else if (sc->nconds)
            sc->nconds--;
        else
            warn(sc, t->line, "#endif without #if");
    }
}

/* ---- @stage tags ------------------------------------------------------------------- */

typedef struct tagp {
    int kind;                /* 0 tag, 1 begin, 2 end */
    int stage;               /* -1 absent (end without a number) */
    uint32_t line;
    char label[256], attrs[256];
} tagp;

/* Parses the @stage tags of a comment, calling fn for each. */
static void comment_tags(scanner *sc, const tok *t, void (*fn)(scanner *, const tagp *))
{
    const char *p = t->p, *end = t->p + t->n;
    uint32_t line = t->line;

    while (p < end) {
        const char *at = memchr(p, '@', (size_t)(end - p)), *q, *le;
        tagp tg;
        size_t k;

        if (!at)
            break;
        for (q = p; q < at; q++)
            if (*q == '\n')
                line++;
        p = at + 1;
        if ((size_t)(end - p) < 5 || memcmp(p, "stage", 5) || (at > t->p && is_ident_char((unsigned char)at[-1])))
            continue;
        q = p + 5;
        memset(&tg, 0, sizeof tg);
        tg.line = line;
        if ((size_t)(end - q) >= 6 && !memcmp(q, "-begin", 6)) {
            tg.kind = 1;
            q += 6;
        } else if ((size_t)(end - q) >= 4 && !memcmp(q, "-end", 4)) {
            tg.kind = 2;
            q += 4;
        }
        if (q < end && !isspace((unsigned char)*q) && *q != '*')
            continue;   /* @stages, @stage-x: not a tag */
        le = q;
        while (le < end && *le != '\n' && !(le + 1 < end && le[0] == '*' && le[1] == '/'))
            le++;
        /* words of the rest of the line */
        tg.stage = -1;
        k = 0;
        while (q < le) {
            const char *ws;
            size_t wl;
            while (q < le && isspace((unsigned char)*q))
                q++;
            ws = q;
            while (q < le && !isspace((unsigned char)*q))
                q++;
            wl = (size_t)(q - ws);
            if (!wl)
                break;
            if (k++ == 0) {
                tg.stage = ps_stage_parse(ws, wl);
                if (tg.stage < 0 || (tg.stage == 0 && tg.kind != 2)) {
                    warn(sc, line, "@stage%s needs a stage 1..6 or a stage name, not '%.*s'",
                         tg.kind == 1 ? "-begin" : tg.kind == 2 ? "-end" : "", (int)(wl > 40 ? 40 : wl), ws);
                    tg.stage = -2;
                    break;
                }
                continue;
            }
            {
                char *dst = memchr(ws, '=', wl) ? tg.attrs : tg.label;
                size_t dl = strlen(dst);
                if (dl + wl + 2 < sizeof tg.label)
                    snprintf(dst + dl, sizeof tg.label - dl, "%s%.*s", dl ? " " : "", (int)wl, ws);
            }
        }
        p = le;
        if (tg.stage == -2)
            continue;
        if (tg.stage < 0 && tg.kind != 2) {
            warn(sc, line, "@stage%s without a stage", tg.kind == 1 ? "-begin" : "");
            continue;
        }
        fn(sc, &tg);
    }
}

/* Makes room for one more element in ptr (n used of cap): 0 or PS_ERR_NOMEM. */
#define GROW(ptr, cap, n, first)                                                          \
    __extension__({                                                                       \
        int r_ = 0;                                                                       \
        if ((n) >= (cap)) {                                                               \
            size_t nc_ = (cap) ? (cap) * 2 : (first);                                     \
            __typeof__(ptr) np_ = realloc((ptr), nc_ * sizeof *(ptr));                    \
            if (np_) {                                                                    \
                (ptr) = np_;                                                              \
                (cap) = nc_;                                                              \
            } else {                                                                      \
                r_ = PS_ERR_NOMEM;                                                        \
            }                                                                             \
        }                                                                                 \
        r_;                                                                               \
    })

static int push_tag(scanner *sc, const char *kind, int stage, const char *label, const char *attrs,
                    uint32_t l0, uint32_t l1)
{
    fnb *b = &sc->fb;
    ps_src_tag *t;

    if (b->ntags >= MAX_TAGS)
        return 0;
    if (GROW(b->tags, b->tagcap, b->ntags, 16) < 0)
        return sc->rc = ps_error_nomem(sc->err);
    t = &b->tags[b->ntags++];
    t->kind = kind;
    t->stage = stage;
    t->label = label && *label ? adup(sc, label, strlen(label)) : NULL;
    t->attrs = attrs && *attrs ? adup(sc, attrs, strlen(attrs)) : NULL;
    t->line_start = orig_line(sc, l0);
    t->line_end = orig_line(sc, l1);
    return 0;
}

/* a file-level tag (a region that closed at file scope) */
static void emit_file_tag(scanner *sc, const char *kind, int stage, const char *label, const char *attrs,
                          uint32_t l0, uint32_t l1)
{
    ps_src_tag t;

    if (!sc->emit || !sc->o->on_tag || sc->rc)
        return;
    t.kind = kind;
    t.stage = stage;
    t.label = label && *label ? label : NULL;
    t.attrs = attrs && *attrs ? attrs : NULL;
    t.line_start = orig_line(sc, l0);
    t.line_end = orig_line(sc, l1);
    if (sc->o->on_tag(sc->o->ctx, &t, sc->err) < 0)
        sc->rc = sc->err && sc->err->code ? sc->err->code : PS_ERR_INTERNAL;
}

static void tag_at_file_scope(scanner *sc, const tagp *tg)
{
    if (tg->kind == 0) {
        if (sc->pending_ftag)
            warn(sc, sc->ftag_line, "@stage %d is followed by another @stage before a function", sc->ftag_stage);
        sc->pending_ftag = true;
        sc->ftag_stage = tg->stage;
        sc->ftag_line = tg->line;
        ps_strlcpy(sc->ftag_label, tg->label, sizeof sc->ftag_label);
        ps_strlcpy(sc->ftag_attrs, tg->attrs, sizeof sc->ftag_attrs);
    } else if (tg->kind == 1) {
        if (sc->nfregions >= MAX_REGIONS) {
            warn(sc, tg->line, "@stage-begin regions nested deeper than %d", MAX_REGIONS);
            return;
        }
        ps_strlcpy(sc->fregion_text[sc->nfregions][0], tg->label, sizeof sc->fregion_text[0][0]);
        ps_strlcpy(sc->fregion_text[sc->nfregions][1], tg->attrs, sizeof sc->fregion_text[0][1]);
        sc->fregions[sc->nfregions].stage = tg->stage;
        sc->fregions[sc->nfregions].line = tg->line;
        sc->nfregions++;
    } else {
        region *r;
        if (!sc->nfregions) {
            warn(sc, tg->line, "@stage-end without @stage-begin");
            return;
        }
        r = &sc->fregions[sc->nfregions - 1];
        if (tg->stage >= 0 && tg->stage != r->stage)
            warn(sc, tg->line, "@stage-end %d closes the region @stage-begin %d of line %u", tg->stage, r->stage,
                 orig_line(sc, r->line));
        sc->nfregions--;
        emit_file_tag(sc, "region", r->stage, sc->fregion_text[sc->nfregions][0],
                      sc->fregion_text[sc->nfregions][1], r->line, tg->line);
    }
}

static void tag_in_body(scanner *sc, const tagp *tg)
{
    fnb *b = &sc->fb;

    if (tg->kind == 0) {
        if (!b->seen_code && !b->f.name && !b->f.stage) {
            /* an excerpt body: tags before its first line are the function's */
            b->f.stage = tg->stage;
            b->f.stage_label = tg->label[0] ? adup(sc, tg->label, strlen(tg->label)) : NULL;
            b->f.stage_attrs = tg->attrs[0] ? adup(sc, tg->attrs, strlen(tg->attrs)) : NULL;
            push_tag(sc, "function", tg->stage, tg->label, tg->attrs, tg->line, tg->line);
        } else if (sc->last_code_line == tg->line && b->seen_code) {
            push_tag(sc, "line", tg->stage, tg->label, tg->attrs, tg->line, tg->line);
        } else {
            b->pending_line_tag = true;
            b->plt_stage = tg->stage;
            b->plt_label = tg->label[0] ? adup(sc, tg->label, strlen(tg->label)) : NULL;
            b->plt_attrs = tg->attrs[0] ? adup(sc, tg->attrs, strlen(tg->attrs)) : NULL;
        }
    } else if (tg->kind == 1) {
        region *r;
        if (b->nregions >= MAX_REGIONS) {
            warn(sc, tg->line, "@stage-begin regions nested deeper than %d", MAX_REGIONS);
            return;
        }
        r = &b->regions[b->nregions++];
        r->stage = tg->stage;
        r->line = tg->line;
        r->label = tg->label[0] ? adup(sc, tg->label, strlen(tg->label)) : NULL;
        r->attrs = tg->attrs[0] ? adup(sc, tg->attrs, strlen(tg->attrs)) : NULL;
    } else {
        region *r;
        if (!b->nregions) {
            if (sc->nfregions) {
                warn(sc, tg->line, "@stage-end inside a function closes a region opened outside it");
                tag_at_file_scope(sc, tg);
            } else {
                warn(sc, tg->line, "@stage-end without @stage-begin");
            }
            return;
        }
        r = &b->regions[--b->nregions];
        if (tg->stage >= 0 && tg->stage != r->stage)
            warn(sc, tg->line, "@stage-end %d closes the region @stage-begin %d of line %u", tg->stage, r->stage,
                 orig_line(sc, r->line));
        push_tag(sc, "region", r->stage, r->label, r->attrs, r->line, tg->line);
    }
}

/* ---- documentation blocks ------------------------------------------------------------ */

static bool is_doc_comment(const tok *t)
{
    const char *p = t->p, *end = t->p + (t->n < MAX_DOC ? t->n : MAX_DOC);
    size_t n = (size_t)(end - p);

    if (n >= 3 && (!memcmp(p, "/**", 3) || !memcmp(p, "/*!", 3) || !memcmp(p, "///", 3) || !memcmp(p, "//!", 3)))
        return !(n >= 4 && !memcmp(p, "/***", 4));
    return memmem(p, n, "Routine Description:", 20) || memmem(p, n, "@name", 5) || memmem(p, n, "@param", 6) ||
           memmem(p, n, "@brief", 6) || memmem(p, n, "\\brief", 6) || memmem(p, n, "@return", 7);
}

typedef struct docp {
    ps_buf desc, ret, rem, status;
    struct { char name[128]; ps_buf text; } args[64];
    size_t nargs;
    bool wrk;
    bool oom;
} docp;

static void docp_init(docp *d)
{
    memset(d, 0, sizeof *d);
}

static void docp_release(docp *d)
{
    size_t i;
    ps_buf_release(&d->desc);
    ps_buf_release(&d->ret);
    ps_buf_release(&d->rem);
    ps_buf_release(&d->status);
    for (i = 0; i < PS_ARRAY_LEN(d->args); i++)
        ps_buf_release(&d->args[i].text);
}

/* Appends words to b: runs of white space become one space; an empty line
 * (para) starts a new paragraph. */
static bool add_words(ps_buf *b, const char *p, size_t n, bool para)
{
    size_t i;
    bool space = b->len > 0, bad = false;

    if (para && b->len) {
        bad |= ps_buf_putc(b, '\n') < 0;
        space = false;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (isspace(c)) {
            space = b->len > 0 && b->data[b->len - 1] != '\n';
            continue;
        }
        if (space)
            bad |= ps_buf_putc(b, ' ') < 0;
        space = false;
        bad |= ps_buf_putc(b, (char)c) < 0;
    }
    return bad;
}

/* One line of a comment without its decoration: leading '*' and '/', the
 * WRK markers. */
static void doc_line(const char **lp, size_t *ln)
{
    const char *p = *lp, *e = p + *ln;

    while (p < e && (isspace((unsigned char)*p) || *p == '/' || *p == '*' || *p == '+' || *p == '!'))
        p++;
    while (e > p && isspace((unsigned char)e[-1]))
        e--;
    while (e > p && (e[-1] == '/' || e[-1] == '*' || e[-1] == '-'))
        e--;
    while (e > p && isspace((unsigned char)e[-1]))
        e--;
    *lp = p;
    *ln = (size_t)(e - p);
}

static ps_buf *doc_arg(docp *d, const char *name, size_t n)
{
    size_t i;
    for (i = 0; i < d->nargs; i++)
        if (strlen(d->args[i].name) == n && !memcmp(d->args[i].name, name, n))
            return &d->args[i].text;
    if (d->nargs == PS_ARRAY_LEN(d->args) || n >= sizeof d->args[0].name)
        return NULL;
    memcpy(d->args[d->nargs].name, name, n);
    d->args[d->nargs].name[n] = '\0';
    return &d->args[d->nargs++].text;
}

/* "Routine Description:" -> section number; -1 not a heading, 0 ignored */
static int wrk_section(const char *p, size_t n)
{
    static const struct { const char *h; int s; } hs[] = {
        {"Routine Description:", 1}, {"Description:", 1}, {"Arguments:", 2}, {"Parameters:", 2},
        {"Return Value:", 3}, {"Return Values:", 3}, {"Environment:", 4}, {"Notes:", 4}, {"Note:", 4},
        {"Remarks:", 4}};
    size_t i;
    if (!n || p[n - 1] != ':')
        return -1;
    for (i = 0; i < PS_ARRAY_LEN(hs); i++)
        if (strlen(hs[i].h) == n && !memcmp(hs[i].h, p, n))
            return hs[i].s;
    /* another heading of one or two capitalised words */
    if (isupper((unsigned char)p[0]) && n < 32 && !memchr(p, '.', n) && !memchr(p, ',', n))
        return 0;
    return -1;
}

static void parse_doc(const tok *t, docp *d)
{
    const char *p = t->p, *end = t->p + (t->n < MAX_DOC ? t->n : MAX_DOC);
    int section = -1;           /* WRK: current section; Doxygen: 0 free text, 1 brief... */
    ps_buf *cur = NULL;
    bool para = false, fresh = false;

    d->wrk = memmem(p, (size_t)(end - p), "Routine Description:", 20) != NULL;
    if (!d->wrk)
        section = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *lp = p;
        size_t ln = (size_t)((nl ? nl : end) - p);
        p = nl ? nl + 1 : end;
        doc_line(&lp, &ln);
        if (!ln) {
            para = true;
            if (!d->wrk && cur && cur != &d->desc)
                cur = NULL;   /* a blank line ends a Doxygen tag */
            continue;
        }
        if (d->wrk) {
            int s = wrk_section(lp, ln);
            if (s >= 0) {
                section = s;
                cur = s == 1 ? &d->desc : s == 3 ? &d->ret : s == 4 ? &d->rem : NULL;
                if (s == 4 && d->rem.len)
                    d->oom |= ps_buf_putc(&d->rem, '\n') < 0;
                if (s == 4)
                    d->oom |= add_words(&d->rem, lp, ln, false);
                para = false;
                fresh = true;
                continue;
            }
            if (section == 2) {
                /* "Name - text" starts an argument */
                const char *q = lp, *e = lp + ln;
                while (q < e && is_ident_char((unsigned char)*q))
                    q++;
                if (q > lp && q + 2 < e && q[0] == ' ' && (q[1] == '-' || (q[1] == ' ' && q[2] == '-'))) {
                    const char *txt = q + (q[1] == '-' ? 2 : 3);
                    cur = doc_arg(d, lp, (size_t)(q - lp));
                    if (cur)
                        d->oom |= add_words(cur, txt, (size_t)(e - txt), false);
                    para = false;
                    continue;
                }
            }
            if (cur)
                d->oom |= add_words(cur, lp, ln, para && !fresh);
            para = fresh = false;
            continue;
        }
        /* Doxygen / ReactOS */
        if (lp[0] == '@' || lp[0] == '\\') {
            const char *w = lp + 1, *e = lp + ln, *q = w;
            size_t wl;
            while (q < e && (isalnum((unsigned char)*q) || *q == '_' || *q == '-'))
                q++;
            wl = (size_t)(q - w);
            if (q < e && *q == '[') {   /* @param[in] */
                const char *c = memchr(q, ']', (size_t)(e - q));
                q = c ? c + 1 : e;
            }
            while (q < e && isspace((unsigned char)*q))
                q++;
            cur = NULL;
            if (word_is(w, wl, "brief") || word_is(w, wl, "details")) {
                cur = &d->desc;
            } else if (word_is(w, wl, "param")) {
                const char *nm = q;
                while (q < e && is_ident_char((unsigned char)*q))
                    q++;
                cur = q > nm ? doc_arg(d, nm, (size_t)(q - nm)) : NULL;
            } else if (word_is(w, wl, "return") || word_is(w, wl, "returns") || word_is(w, wl, "retval")) {
                cur = &d->ret;
            } else if (word_is(w, wl, "remarks") || word_is(w, wl, "remark") || word_is(w, wl, "note")) {
                cur = &d->rem;
            } else if (word_is(w, wl, "implemented") || word_is(w, wl, "unimplemented") ||
                       word_is(w, wl, "halfplemented")) {
                ps_buf_reset(&d->status);
                d->oom |= add_words(&d->status, w, (size_t)(e - w), false);
                continue;
            }
            if (cur)
                d->oom |= add_words(cur, q, (size_t)(e - q), para && cur->len);
            para = false;
            continue;
        }
        if (!cur)
            cur = &d->desc;
        d->oom |= add_words(cur, lp, ln, para);
        para = false;
    }
}

/* ---- declarations ----------------------------------------------------------------------- */

static bool need_space(const tok *a, const tok *b)
{
    if (!a)
        return false;
    if (b->k == T_PUNCT && (punct_is(b, ')') || punct_is(b, ']') || punct_is(b, ',') || punct_is(b, ';') ||
                            punct_is(b, '[') || punct_is(b, '.') || tok_is(b, "->") || tok_is(b, "::")))
        return false;
    if (a->k == T_PUNCT && (punct_is(a, '(') || punct_is(a, '[') || punct_is(a, '*') || punct_is(a, '&') ||
                            punct_is(a, '.') || tok_is(a, "->") || tok_is(a, "::") || punct_is(a, '~') ||
                            punct_is(a, '!')))
        return false;
    if (punct_is(b, '(') && a->k == T_IDENT)
        return false;
    return true;
}

/* Appends the tokens with normal spacing; true when the buffer could not grow. */
static bool join_tokens(ps_buf *b, const tok *t, size_t n)
{
    size_t i;
    const tok *prev = NULL;
    bool bad = false;
    for (i = 0; i < n; i++) {
        if (t[i].k == T_COMMENT || t[i].k == T_PP)
            continue;
        if (b->len >= MAX_SIG)
            break;
        if (need_space(prev, &t[i]))
            bad |= ps_buf_putc(b, ' ') < 0;
        bad |= ps_buf_append(b, t[i].p, t[i].n) < 0;
        prev = &t[i];
    }
    return bad;
}

/* index of the ')' matching the '(' at i, or n */
static size_t close_paren(const tok *t, size_t i, size_t n)
{
    int d = 0;
    for (; i < n; i++) {
        if (punct_is(&t[i], '(') || punct_is(&t[i], '['))
            d++;
        else if (punct_is(&t[i], ')') || punct_is(&t[i], ']')) {
            if (--d == 0)
                return i;
        }
    }
    return n;
}

typedef struct hdr {
    size_t name;                 /* index of the name */
    size_t open, close;          /* the parameter list */
    size_t limit;                /* end of the declarator (K&R declarations follow) */
} hdr;

static bool statement_word(const tok *t)
{
    static const char *const w[] = {"typedef", "return", "goto", "if", "else", "case", "default", "do",
                                    "while", "for", "switch", "break", "continue", "sizeof"};
    size_t i;
    if (t->k != T_IDENT)
        return false;
    for (i = 0; i < PS_ARRAY_LEN(w); i++)
        if (tok_is(t, w[i]))
            return true;
    return false;
}

/* Whether t[0..n) is a function header (definition: K&R declarations may
 * follow the parameter list). */
static bool is_stop(scanner *sc, const tok *t);

static bool parse_header(scanner *sc, const tok *t, size_t n, bool definition, hdr *h)
{
    size_t i, limit = n, best = n;
    int d = 0;

    if (!n || statement_word(&t[0]) || t[0].k != T_IDENT)
        return false;
    for (i = 0; i < n; i++) {
        if (punct_is(&t[i], '(') || punct_is(&t[i], '['))
            d++;
        else if (punct_is(&t[i], ')') || punct_is(&t[i], ']'))
            d--;
        else if (d == 0 && punct_is(&t[i], ';')) {
            limit = i;
            break;
        }
        if (d == 0 && (punct_is(&t[i], '=') || punct_is(&t[i], ':') || punct_is(&t[i], ',') ||
                       punct_is(&t[i], '{') || punct_is(&t[i], '}')))
            return false;
    }
    if (limit < n && !definition)
        return false;
    /* the last parenthesised group before the limit whose name is no annotation */
    for (i = 0; i < limit; i++) {
        if (punct_is(&t[i], '(')) {
            size_t c = close_paren(t, i, limit);
            if (c >= limit)
                return false;
            if (i > 0 && t[i - 1].k == T_IDENT && is_ascii_ident(&t[i - 1]) &&
                !is_keyword(t[i - 1].p, t[i - 1].n) && !is_annotation(t[i - 1].p, t[i - 1].n))
                best = i;
            i = c;
        } else if (t[i].k == T_PUNCT && !punct_is(&t[i], '*') && !punct_is(&t[i], '&') &&
                   !tok_is(&t[i], "::") && !punct_is(&t[i], ')')) {
            return false;
        } else if (t[i].k == T_NUM || t[i].k == T_CHR) {
            return false;
        } else if (t[i].k == T_STR && !(i > 0 && tok_is(&t[i - 1], "extern"))) {
            return false;
        }
    }
    if (best == n || best < 2 || is_stop(sc, &t[best - 1]))
        return false;   /* no return type, or a macro: not a declaration */
    h->name = best - 1;
    h->open = best;
    h->close = close_paren(t, best, limit);
    h->limit = limit;
    /* between the parameter list and the limit: only words and groups (and,
     * before K&R declarations, the first declaration's '*' and '[n]') */
    for (i = h->close + 1; i < limit; i++) {
        if (punct_is(&t[i], '(')) {
            i = close_paren(t, i, limit);
            continue;
        }
        if (t[i].k != T_IDENT && !(limit < n && (punct_is(&t[i], '*') || punct_is(&t[i], '[') ||
                                                 punct_is(&t[i], ']') || t[i].k == T_NUM)))
            return false;
    }
    return true;
}

/* direction and optionality of one annotation word */
static void annotation_dir(const char *p, size_t n, ps_src_dir *dir, bool *opt, bool *seen)
{
    char w[96];
    char *parts[16], *save = NULL, *x;
    size_t np = 0, i = 0;
    ps_src_dir dd = PS_SRC_DIR_NONE;

    if (n >= sizeof w)
        return;
    memcpy(w, p, n);
    w[n] = '\0';
    for (x = strtok_r(w, "_", &save); x && np < PS_ARRAY_LEN(parts); x = strtok_r(NULL, "_", &save))
        parts[np++] = x;
    if (!np)
        return;
    if (!strcasecmp(parts[0], "deref")) {
        i = 1;
        if (i < np && !strcasecmp(parts[i], "opt"))
            i++;
    }
    if (i < np) {
        if (!strcasecmp(parts[i], "in"))
            dd = PS_SRC_DIR_IN;
        else if (!strcasecmp(parts[i], "out") || !strcasecmp(parts[i], "outptr") || !strcasecmp(parts[i], "outref"))
            dd = PS_SRC_DIR_OUT;
        else if (!strcasecmp(parts[i], "inout"))
            dd = PS_SRC_DIR_INOUT;
        else if (!strcasecmp(parts[i], "reserved"))
            dd = PS_SRC_DIR_IN;
    }
    if (dd == PS_SRC_DIR_NONE)
        return;
    if (!*seen) {
        *dir = dd;
        *seen = true;
    }
    for (i = 0; i < np; i++)
        if (!strcasecmp(parts[i], "opt"))
            *opt = true;
}

static void parse_param(scanner *sc, const tok *t, size_t n, ps_src_param *p)
{
    ps_buf *ann = &sc->tmp;
    ps_buf type;
    size_t i, name = n;
    bool sal_seen = false, in_m = false, out_m = false, opt_m = false, sal_opt = false;
    ps_src_dir sal_dir = PS_SRC_DIR_NONE;
    size_t typetoks = 0;
    tok keep[256];
    size_t nkeep = 0;

    memset(p, 0, sizeof *p);
    ps_buf_reset(ann);
    ps_buf_init(&type);
    for (i = 0; i < n && nkeep < PS_ARRAY_LEN(keep); i++) {
        const tok *x = &t[i];
        if (x->k == T_COMMENT || x->k == T_PP)
            continue;
        if (x->k == T_IDENT && (is_annotation(x->p, x->n) || tok_is(x, "IN") || tok_is(x, "OUT") ||
                                tok_is(x, "OPTIONAL"))) {
            size_t end = i;
            if (i + 1 < n && punct_is(&t[i + 1], '('))
                end = close_paren(t, i + 1, n);
            if (ann->len && ps_buf_putc(ann, ' ') < 0)
                sc->oom = true;
            if (join_tokens(ann, x, (end < n ? end : n - 1) - i + 1))
                sc->oom = true;
            if (tok_is(x, "IN"))
                in_m = true;
            else if (tok_is(x, "OUT"))
                out_m = true;
            else if (tok_is(x, "OPTIONAL"))
                opt_m = true;
            else
                annotation_dir(x->p[1] == '_' ? x->p + 2 : x->p + 1,
                               x->n - (x->p[1] == '_' ? 2 : 1) - (x->p[1] != '_' && x->p[x->n - 1] == '_'),
                               &sal_dir, &sal_opt, &sal_seen);
            i = end;
            continue;
        }
        keep[nkeep++] = *x;
    }
    /* the name: the last identifier (not a type word) after at least one type
     * token, followed only by array brackets; or (*Name) of a function pointer */
    for (i = 0; i + 2 < nkeep; i++)
        if (punct_is(&keep[i], '(') && punct_is(&keep[i + 1], '*') && keep[i + 2].k == T_IDENT) {
            name = i + 2;
            break;
        }
    if (name == n) {
        size_t j = nkeep;
        while (j > 0 && (punct_is(&keep[j - 1], ']') || punct_is(&keep[j - 1], '['))) {
            /* step over a [...] group */
            int d = 0;
            while (j > 0) {
                if (punct_is(&keep[j - 1], ']'))
                    d++;
                else if (punct_is(&keep[j - 1], '['))
                    d--;
                j--;
                if (d == 0)
                    break;
            }
        }
        if (j > 1 && keep[j - 1].k == T_IDENT && !is_type_word(keep[j - 1].p, keep[j - 1].n))
            name = j - 1;
    }
    for (i = 0; i < nkeep; i++)
        if (i != name)
            typetoks++;
    if (name != n)
        p->name = adup(sc, keep[name].p, keep[name].n);
    if (typetoks) {
        const tok *prev = NULL;
        for (i = 0; i < nkeep; i++) {
            if (i == name)
                continue;
            if ((need_space(prev, &keep[i]) && ps_buf_putc(&type, ' ') < 0) ||
                ps_buf_append(&type, keep[i].p, keep[i].n) < 0)
                sc->oom = true;
            prev = &keep[i];
        }
        p->type = adup(sc, type.data, type.len);
    }
    ps_buf_release(&type);
    if (ann->len)
        p->annotation = adup(sc, ann->data, ann->len);
    if (sal_seen) {
        p->dir = sal_dir;
        p->optional = sal_opt || opt_m;
    } else {
        p->dir = in_m && out_m ? PS_SRC_DIR_INOUT : in_m ? PS_SRC_DIR_IN : out_m ? PS_SRC_DIR_OUT : PS_SRC_DIR_NONE;
        p->optional = opt_m || sal_opt;
    }
}

static int add_param(scanner *sc, const ps_src_param *p)
{
    fnb *b = &sc->fb;
    if (b->nparams >= MAX_PARAMS)
        return 0;
    if (GROW(b->params, b->paramcap, b->nparams, 16) < 0)
        return sc->rc = ps_error_nomem(sc->err);
    b->params[b->nparams++] = *p;
    return 0;
}

/* K&R: "int a; char *b, c;" between the parameter list and the body */
static void knr_types(scanner *sc, const tok *t, size_t from, size_t to)
{
    size_t i = from;
    while (i < to) {
        size_t e = i, k, base_end = i;
        while (e < to && !punct_is(&t[e], ';'))
            e++;
        /* base type: the tokens before the first declarator (the last
         * identifier before the first ',' or the end) */
        for (k = i; k < e && !punct_is(&t[k], ','); k++)
            ;
        base_end = k;
        while (base_end > i && (t[base_end - 1].k != T_IDENT))
            base_end--;
        if (base_end > i)
            base_end--;   /* the first declarator's name */
        while (base_end > i && punct_is(&t[base_end - 1], '*'))
            base_end--;
        {
            size_t d0 = base_end;
            while (d0 < e) {
                size_t d1 = d0, stars = 0, nm = e, j;
                while (d1 < e && !punct_is(&t[d1], ','))
                    d1++;
                for (j = d0; j < d1; j++) {
                    if (punct_is(&t[j], '*'))
                        stars++;
                    else if (t[j].k == T_IDENT && nm == e)
                        nm = j;
                }
                if (nm < e)
                    for (j = 0; j < sc->fb.nparams; j++) {
                        ps_src_param *p = &sc->fb.params[j];
                        if (p->name && !p->type && strlen(p->name) == t[nm].n && !memcmp(p->name, t[nm].p, t[nm].n)) {
                            ps_buf_reset(&sc->tmp);
                            if (join_tokens(&sc->tmp, &t[i], base_end - i) ||
                                (stars && ps_buf_putc(&sc->tmp, ' ') < 0))
                                sc->oom = true;
                            for (k = 0; k < stars; k++)
                                if (ps_buf_putc(&sc->tmp, '*') < 0)
                                    sc->oom = true;
                            p->type = adup(sc, sc->tmp.data, sc->tmp.len);
                        }
                    }
                d0 = d1 + 1;
            }
        }
        i = e + 1;
    }
}

/* Fills the function builder from a header. */
static void build_header(scanner *sc, const tok *t, size_t n, const hdr *h)
{
    fnb *b = &sc->fb;
    size_t i, a;

    b->f.name = adup(sc, t[h->name].p, t[h->name].n);
    b->f.line_start = orig_line(sc, t[0].line);
    ps_buf_reset(&sc->tmp);
    if (join_tokens(&sc->tmp, t, h->close + 1))
        sc->oom = true;
    b->f.signature = adup(sc, sc->tmp.data, sc->tmp.len);
    /* return type: the tokens before the name without annotations */
    ps_buf_reset(&sc->tmp);
    {
        const tok *prev = NULL;
        for (i = 0; i < h->name; i++) {
            if (t[i].k == T_IDENT && is_annotation(t[i].p, t[i].n)) {
                if (i + 1 < h->name && punct_is(&t[i + 1], '('))
                    i = close_paren(t, i + 1, h->name);
                continue;
            }
            if ((need_space(prev, &t[i]) && ps_buf_putc(&sc->tmp, ' ') < 0) ||
                ps_buf_append(&sc->tmp, t[i].p, t[i].n) < 0)
                sc->oom = true;
            prev = &t[i];
        }
    }
    if (sc->tmp.len)
        b->f.return_type = adup(sc, sc->tmp.data, sc->tmp.len);
    /* parameters */
    a = h->open + 1;
    for (i = h->open + 1; i <= h->close; i++) {
        if (punct_is(&t[i], '(') || punct_is(&t[i], '[')) {
            i = close_paren(t, i, h->close);
            continue;
        }
        if (punct_is(&t[i], ',') || i == h->close) {
            ps_src_param p;
            if (i > a) {
                parse_param(sc, &t[a], i - a, &p);
                if (!(b->nparams == 0 && i == h->close && !p.name && p.type &&
                      (!strcmp(p.type, "void") || !strcmp(p.type, "VOID"))))
                    add_param(sc, &p);
            }
            a = i + 1;
        }
    }
    if (h->limit < n) {
        /* K&R: the list holds only names; their types follow */
        for (i = 0; i < b->nparams; i++) {
            ps_src_param *p = &b->params[i];
            if (!p->name && p->type && !strchr(p->type, ' ') && !strchr(p->type, '*')) {
                p->name = p->type;
                p->type = NULL;
            }
        }
        knr_types(sc, t, h->close + 1, n);
    }
}

static void attach_doc(scanner *sc)
{
    fnb *b = &sc->fb;
    docp d;
    size_t i, k;

    if (!sc->have_doc)
        return;
    docp_init(&d);
    parse_doc(&sc->doc, &d);
    if (d.oom)
        sc->oom = true;
    b->f.doc_style = d.wrk ? "wrk" : "doxygen";
    if (d.desc.len)
        b->f.description = adup(sc, d.desc.data, d.desc.len);
    if (d.ret.len)
        b->f.returns = adup(sc, d.ret.data, d.ret.len);
    if (d.rem.len)
        b->f.remarks = adup(sc, d.rem.data, d.rem.len);
    if (d.status.len)
        b->f.status = adup(sc, d.status.data, d.status.len);
    for (k = 0; k < d.nargs; k++)
        for (i = 0; i < b->nparams; i++)
            if (b->params[i].name && !strcmp(b->params[i].name, d.args[k].name) && d.args[k].text.len)
                b->params[i].doc = adup(sc, d.args[k].text.data, d.args[k].text.len);
    docp_release(&d);
    sc->have_doc = false;
}

/* The stage of a new function: its pending @stage tag, or the innermost
 * file-level region around it. */
static void attach_stage(scanner *sc)
{
    fnb *b = &sc->fb;

    if (sc->pending_ftag) {
        b->f.stage = sc->ftag_stage;
        b->f.stage_label = sc->ftag_label[0] ? adup(sc, sc->ftag_label, strlen(sc->ftag_label)) : NULL;
        b->f.stage_attrs = sc->ftag_attrs[0] ? adup(sc, sc->ftag_attrs, strlen(sc->ftag_attrs)) : NULL;
        push_tag(sc, "function", sc->ftag_stage, sc->ftag_label, sc->ftag_attrs, sc->ftag_line, sc->ftag_line);
        sc->pending_ftag = false;
    } else if (sc->nfregions) {
        size_t r = sc->nfregions - 1;
        b->f.stage = sc->fregions[r].stage;
        b->f.stage_label = sc->fregion_text[r][0][0] ? adup(sc, sc->fregion_text[r][0], strlen(sc->fregion_text[r][0])) : NULL;
        b->f.stage_attrs = sc->fregion_text[r][1][0] ? adup(sc, sc->fregion_text[r][1], strlen(sc->fregion_text[r][1])) : NULL;
    }
}

static void fb_reset(scanner *sc)
{
    fnb *b = &sc->fb;
    memset(&b->f, 0, sizeof b->f);
    b->nparams = b->ncalls = b->ntags = b->nregions = 0;
    b->calls_full = false;
    b->pending_line_tag = false;
    b->seen_code = false;
    b->active = false;
    ps_buf_reset(&b->note);
    ps_arena_reset(&sc->arena);
}

/* Hands a finished function or prototype to the callback. */
static void emit_function(scanner *sc)
{
    fnb *b = &sc->fb;
    size_t i, k;

    if (sc->oom && !sc->rc)
        sc->rc = ps_error_nomem(sc->err);
    if (sc->emit && !sc->rc) {
        /* call stages: the innermost region around the call, else a line tag */
        for (i = 0; i < b->ncalls; i++) {
            uint32_t best_start = 0;
            int st = 0;
            for (k = 0; k < b->ntags; k++) {
                const ps_src_tag *t = &b->tags[k];
                if (!strcmp(t->kind, "region") && b->calls[i].line >= t->line_start &&
                    b->calls[i].line <= t->line_end && t->line_start >= best_start) {
                    best_start = t->line_start;
                    st = t->stage;
                }
            }
            if (!st)
                for (k = 0; k < b->ntags; k++)
                    if (!strcmp(b->tags[k].kind, "line") && b->tags[k].line_start == b->calls[i].line)
                        st = b->tags[k].stage;
            b->calls[i].stage = st;
        }
        b->f.params = b->params;
        b->f.nparams = b->nparams;
        b->f.calls = b->calls;
        b->f.ncalls = b->ncalls;
        b->f.tags = b->tags;
        b->f.ntags = b->ntags;
        if (b->note.len)
            b->f.note = adup(sc, b->note.data, b->note.len);
        if (b->f.kind == PS_SRC_PROTOTYPE)
            sc->info->prototypes++;
        else
            sc->info->functions++;
        sc->info->calls += (uint32_t)b->ncalls;
        if (sc->o->on_function && sc->o->on_function(sc->o->ctx, &b->f, sc->err) < 0)
            sc->rc = sc->err && sc->err->code ? sc->err->code : PS_ERR_INTERNAL;
    }
    fb_reset(sc);
}

/* ---- the parser -------------------------------------------------------------------------- */

static void stmt_clear(scanner *sc)
{
    sc->nstmt = 0;
    sc->stmt_overflow = false;
}

static void stmt_push(scanner *sc, const tok *t)
{
    if (sc->stmt_overflow)
        return;
    if (sc->nstmt == MAX_STMT) {
        warn(sc, t->line, "a declaration longer than %d tokens: skipped", MAX_STMT);
        sc->stmt_overflow = true;
        sc->nstmt = 0;
        return;
    }
    if (GROW(sc->stmt, sc->stmtcap, sc->nstmt, 256) < 0) {
        sc->rc = ps_error_nomem(sc->err);
        return;
    }
    sc->stmt[sc->nstmt++] = *t;
}

static void inner_clear(scanner *sc)
{
    sc->ninner = 0;
    sc->inner_overflow = false;
    sc->calls_at_inner = sc->fb.ncalls;
}

static void inner_push(scanner *sc, const tok *t)
{
    if (sc->inner_overflow)
        return;
    if (sc->ninner == MAX_INNER) {
        sc->inner_overflow = true;
        return;
    }
    sc->inner[sc->ninner++] = *t;
}

/* Starts a function body after its header t[0..n). */
static void start_function(scanner *sc, const tok *t, size_t n, const hdr *h)
{
    fb_reset(sc);
    sc->fb.active = true;
    sc->fb.f.kind = sc->linemap ? PS_SRC_EXCERPT : PS_SRC_DEFINITION;
    if (sc->emit) {
        build_header(sc, t, n, h);
        attach_doc(sc);
        attach_stage(sc);
    }
    sc->have_doc = false;
    sc->pending_ftag = false;
    sc->definitions++;
    sc->in_func = true;
    sc->depth = 1;
    sc->prev.k = sc->prev2.k = T_EOF;
    sc->last_code_line = 0;
    inner_clear(sc);
}

static void end_function(scanner *sc, uint32_t line)
{
    fnb *b = &sc->fb;

    while (b->nregions) {
        region *r = &b->regions[--b->nregions];
        warn(sc, r->line, "@stage-begin %d is not closed in its function: closed at its end", r->stage);
        push_tag(sc, "region", r->stage, r->label, r->attrs, r->line, line);
    }
    b->f.line_end = orig_line(sc, line);
    sc->in_func = false;
    sc->depth = 0;
    emit_function(sc);
    stmt_clear(sc);
}

static void add_call(scanner *sc, const tok *name)
{
    fnb *b = &sc->fb;
    ps_src_call *c;

    if (!sc->emit)
        return;
    if (b->ncalls >= MAX_CALLS) {
        if (!b->calls_full)
            warn(sc, name->line, "more than %d calls in one function: the rest are not recorded", MAX_CALLS);
        b->calls_full = true;
        return;
    }
    if (GROW(b->calls, b->callcap, b->ncalls, 64) < 0) {
        sc->rc = ps_error_nomem(sc->err);
        return;
    }
    c = &b->calls[b->ncalls++];
    c->callee = adup(sc, name->p, name->n);
    c->line = orig_line(sc, name->line);
    c->stage = 0;
}

static bool is_stop(scanner *sc, const tok *t)
{
    size_t i;
    if (sc->o->map && ps_stage_map_is_stop(sc->o->map, t->p, t->n))
        return true;
    for (i = 0; i < sc->o->nstop; i++)
        if (strlen(sc->o->stop[i]) == t->n && !memcmp(sc->o->stop[i], t->p, t->n))
            return true;
    return false;
}

static void body_token(scanner *sc, const tok *t)
{
    fnb *b = &sc->fb;

    if (sc->prose_mode && t->prose) {
        /* the article goes on: the quoted code ended inside the body */
        if (sc->emit)
            note(sc, "the quoted code ends inside the body");
        end_function(sc, sc->last_code_line ? sc->last_code_line : t->line);
        return;
    }
    if (b->pending_line_tag) {
        push_tag(sc, "line", b->plt_stage, b->plt_label, b->plt_attrs, t->line, t->line);
        b->pending_line_tag = false;
    }
    b->seen_code = true;
    if (punct_is(t, '{')) {
        hdr h;
        if (t->col == 0 && sc->ninner && !sc->inner_overflow &&
            parse_header(sc, sc->inner, sc->ninner, true, &h)) {
            /* the previous body never closed */
            uint32_t hl = sc->inner[0].line;
            tok saved[MAX_INNER];
            size_t ns = sc->ninner;
            warn(sc, hl, "unbalanced braces: the body of %s (line %u) does not close before the function that "
                 "starts here", b->f.name ? b->f.name : "the excerpt", b->f.line_start);
            if (sc->emit)
                note(sc, "body not closed (unbalanced braces); ended before the next function");
            b->ncalls = sc->calls_at_inner < b->ncalls ? sc->calls_at_inner : b->ncalls;
            memcpy(saved, sc->inner, ns * sizeof *saved);
            end_function(sc, hl > 1 ? hl - 1 : hl);
            start_function(sc, saved, ns, &h);
            return;
        }
        sc->depth++;
        inner_clear(sc);
    } else if (punct_is(t, '}')) {
        if (--sc->depth == 0) {
            end_function(sc, t->line);
            return;
        }
        inner_clear(sc);
    } else if (punct_is(t, ';')) {
        inner_clear(sc);
    } else {
        if (punct_is(t, '(') && sc->prev.k == T_IDENT && is_ascii_ident(&sc->prev) &&
            !is_keyword(sc->prev.p, sc->prev.n) && !is_stop(sc, &sc->prev) &&
            !(sc->prev2.k == T_PUNCT && (punct_is(&sc->prev2, '.') || tok_is(&sc->prev2, "->"))))
            add_call(sc, &sc->prev);
        inner_push(sc, t);
    }
    sc->prev2 = sc->prev;
    sc->prev = *t;
    sc->last_code_line = t->end_line;
}

/* "int f(a, b) int a" (K&R): an identifier list followed by declarations */
static bool knr_pending(const tok *t, size_t n)
{
    size_t i, c, k;

    for (i = 1; i < n; i++) {
        if (!punct_is(&t[i], '('))
            continue;
        if (t[i - 1].k != T_IDENT || is_keyword(t[i - 1].p, t[i - 1].n) || is_annotation(t[i - 1].p, t[i - 1].n))
            return false;
        c = close_paren(t, i, n);
        if (c >= n || c == i + 1 || c + 1 >= n)
            return false;
        for (k = i + 1; k < c; k++)
            if (!(t[k].k == T_IDENT || punct_is(&t[k], ',')))
                return false;
        /* what follows is a declaration, not another parameter list
         * (PyAPI_FUNC(int) f(int, int) is a prototype) */
        for (k = c + 1; k < n; k++)
            if (punct_is(&t[k], '('))
                return false;
        return t[c + 1].k == T_IDENT && !is_annotation(t[c + 1].p, t[c + 1].n);
    }
    return false;
}

static void file_token(scanner *sc, const tok *t)
{
    hdr h;

    if (t->prose || (t->k == T_IDENT && !is_ascii_ident(t)) || (sc->prose_mode && t->after_blank)) {
        /* prose between quoted code (articles): a declaration boundary */
        stmt_clear(sc);
        sc->skip_depth = 0;
        if (t->prose || (t->k == T_IDENT && !is_ascii_ident(t)))
            return;
    }
    if (sc->skip_depth) {
        if (punct_is(t, '{')) {
            if (t->col == 0 && sc->ninner && !sc->inner_overflow && parse_header(sc, sc->inner, sc->ninner, true, &h)) {
                tok saved[MAX_INNER];
                size_t ns = sc->ninner;
                warn(sc, sc->inner[0].line, "unbalanced braces: a block opened before does not close before the "
                     "function that starts here");
                memcpy(saved, sc->inner, ns * sizeof *saved);
                sc->skip_depth = 0;
                stmt_clear(sc);
                start_function(sc, saved, ns, &h);
                return;
            }
            sc->skip_depth++;
            inner_clear(sc);
        } else if (punct_is(t, '}')) {
            if (--sc->skip_depth == 0)
                stmt_clear(sc);
            inner_clear(sc);
        } else if (punct_is(t, ';')) {
            inner_clear(sc);
        } else {
            inner_push(sc, t);
        }
        return;
    }
    if (punct_is(t, ';')) {
        if (knr_pending(sc->stmt, sc->nstmt)) {
            stmt_push(sc, t);   /* a K&R parameter declaration: the body follows */
            return;
        }
        if (sc->nstmt && !sc->stmt_overflow && parse_header(sc, sc->stmt, sc->nstmt, false, &h)) {
            if (sc->emit) {
                fb_reset(sc);
                sc->fb.f.kind = PS_SRC_PROTOTYPE;
                build_header(sc, sc->stmt, sc->nstmt, &h);
                sc->fb.f.line_end = orig_line(sc, t->line);
                attach_doc(sc);
                attach_stage(sc);
                emit_function(sc);
            }
        }
        sc->have_doc = false;
        stmt_clear(sc);
        return;
    }
    if (punct_is(t, '{')) {
        if ((sc->nstmt == 2 && tok_is(&sc->stmt[0], "extern") && sc->stmt[1].k == T_STR) ||
            (sc->nstmt >= 1 && tok_is(&sc->stmt[0], "namespace"))) {
            /* extern "C" { and C++ namespaces: their contents are at file scope */
            sc->linkage++;
            stmt_clear(sc);
            return;
        }
        if (sc->nstmt && !sc->stmt_overflow && parse_header(sc, sc->stmt, sc->nstmt, true, &h)) {
            tok *copy = sc->stmt;
            size_t n = sc->nstmt;
            start_function(sc, copy, n, &h);
            stmt_clear(sc);
            return;
        }
        sc->skip_depth = 1;
        inner_clear(sc);
        return;
    }
    if (punct_is(t, '}')) {
        if (sc->linkage)
            sc->linkage--;
        else if (!sc->prose_mode)
            warn(sc, t->line, "unbalanced braces: '}' outside any block");
        stmt_clear(sc);
        return;
    }
    stmt_push(sc, t);
}

static void on_comment(scanner *sc, const tok *t)
{
    if (sc->in_func) {
        comment_tags(sc, t, tag_in_body);
        return;
    }
    comment_tags(sc, t, tag_at_file_scope);
    if (!sc->skip_depth && is_doc_comment(t)) {
        sc->doc = *t;
        sc->have_doc = true;
    }
}

static void run(scanner *sc, bool body_mode)
{
    tok t;

    if (body_mode) {
        fb_reset(sc);
        sc->fb.active = true;
        sc->fb.f.kind = PS_SRC_EXCERPT;
        sc->in_func = true;
        sc->depth = 1;
        sc->definitions++;
        sc->prev.k = sc->prev2.k = T_EOF;
        inner_clear(sc);
        /* the body starts with the first numbered line */
        {
            uint32_t i;
            for (i = 0; i < sc->nmap; i++)
                if (sc->code_line[i]) {
                    sc->fb.f.line_start = sc->linemap[i];
                    break;
                }
        }
    }
    for (;;) {
        lex(sc, &t);
        if (sc->rc)
            return;
        if (t.k == T_EOF)
            break;
        if (t.k == T_PP) {
            handle_pp(sc, &t);
            continue;
        }
        if (t.k == T_COMMENT) {
            on_comment(sc, &t);
            continue;
        }
        if (sc->in_func)
            body_token(sc, &t);
        else
            file_token(sc, &t);
    }
    if (sc->in_func) {
        if (sc->linemap && !sc->fb.f.name) {
            if (sc->emit)
                note(sc, "the excerpt ends inside the body");
        } else {
            warn(sc, sc->last_code_line ? sc->last_code_line : t.line, "unbalanced braces: the body of %s (line %u) does not "
                 "close before the end of the file", sc->fb.f.name ? sc->fb.f.name : "the function",
                 sc->fb.f.line_start);
            if (sc->emit)
                note(sc, "body not closed at the end of the file");
        }
        end_function(sc, sc->last_code_line ? sc->last_code_line : t.line);
    } else if (sc->skip_depth && !sc->prose_mode) {
        warn(sc, t.line, "unbalanced braces: %u block%s open at the end of the file", sc->skip_depth,
             sc->skip_depth == 1 ? "" : "s");
    }
    while (sc->nfregions) {
        region *r = &sc->fregions[--sc->nfregions];
        warn(sc, r->line, "@stage-begin %d is not closed: closed at the end of the file", r->stage);
        emit_file_tag(sc, "region", r->stage, sc->fregion_text[sc->nfregions][0],
                      sc->fregion_text[sc->nfregions][1], r->line, t.line);
    }
    if (sc->pending_ftag)
        warn(sc, sc->ftag_line, "@stage %d is not followed by a function", sc->ftag_stage);
    if (sc->nconds && !sc->cond_overflow)
        warn(sc, sc->conds[sc->nconds - 1].line, "#if without #endif");
}

/* ---- excerpts ------------------------------------------------------------------------------ */

/* "#070 code" -> 70 and the code after one blank; false for other lines */
static bool excerpt_line(const char *p, const char *e, uint32_t *num, const char **code)
{
    const char *q;
    uint64_t v = 0;

    if (p >= e || *p != '#')
        return false;
    for (q = p + 1; q < e && isdigit((unsigned char)*q) && q - p <= 9; q++)
        v = v * 10 + (uint64_t)(*q - '0');
    if (q == p + 1 || q - p > 9 || (q < e && *q != ' ' && *q != '\t' && *q != '\r'))
        return false;
    if (q < e && (*q == ' ' || *q == '\t'))
        q++;
    *num = (uint32_t)v;
    *code = q;
    return true;
}

bool ps_src_is_excerpt(const char *text, size_t len)
{
    /* the start of the text decides (articles are small) */
    const char *p = text, *end = text + (len < (4u << 20) ? len : (4u << 20));
    int hits = 0;
    size_t lines = 0;

    while (p < end && lines < 100000) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *c;
        uint32_t num;
        if (excerpt_line(p, nl ? nl : end, &num, &c) && ++hits >= 3)
            return true;
        lines++;
        if (!nl)
            break;
        p = nl + 1;
    }
    return false;
}

static size_t trim_cr(const char *p, size_t n)
{
    while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return n;
}

/* Builds the code of an excerpt (commentary as // comments mapped to the
 * next code line) and reports its numbered lines.  map[i] is the original
 * number of scanned line i + 1, iscode[i] whether it is a numbered line. */
static int excerpt_build(scanner *sc, const char *text, size_t len, ps_buf *code, uint32_t **map, bool **iscode,
                         uint32_t *nmap)
{
    const char *p = text, *end = text + len;
    ps_buf comm;
    size_t cap = 0, pend_from = 0;
    uint32_t last = 0, n = 0;
    int rc = 0;

    ps_buf_init(&comm);
    *map = NULL;
    *iscode = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *c;
        uint32_t num;
        size_t ll = trim_cr(p, (size_t)(le - p));
        bool is_code = excerpt_line(p, le, &num, &c);

        if (!is_code && ll == 0) {
            p = nl ? nl + 1 : end;
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            uint32_t *nm = realloc(*map, nc * sizeof *nm);
            bool *nb;
            if (nm)
                *map = nm;
            nb = nm ? realloc(*iscode, nc * sizeof *nb) : NULL;
            if (!nb) {
                rc = ps_error_nomem(sc->err);
                goto out;
            }
            *iscode = nb;
            cap = nc;
        }
        (*iscode)[n] = is_code;
        if (is_code) {
            size_t cl = trim_cr(c, (size_t)(le - c));
            size_t k;
            ps_src_line ln;
            for (k = pend_from; k < n; k++)
                (*map)[k] = num;
            pend_from = n + 1;
            (*map)[n++] = num;
            if (ps_buf_append(code, c, cl) < 0 || ps_buf_putc(code, '\n') < 0) {
                rc = ps_error_nomem(sc->err);
                goto out;
            }
            last = num;
            ln.line = num;
            ps_buf_reset(&sc->tmp);
            if (ps_buf_append(&sc->tmp, c, cl) < 0) {
                rc = ps_error_nomem(sc->err);
                goto out;
            }
            ln.code = ps_buf_cstr(&sc->tmp);
            ln.commentary = comm.len ? ps_buf_cstr(&comm) : NULL;
            if (sc->o->on_line && (rc = sc->o->on_line(sc->o->ctx, &ln, sc->err)) < 0)
                goto out;
            ps_buf_reset(&comm);
        } else {
            (*map)[n++] = last;
            if (ps_buf_puts(code, "// ") < 0 || ps_buf_append(code, p, ll) < 0 ||
                (ll && p[ll - 1] == '\\' && ps_buf_putc(code, ' ') < 0) || ps_buf_putc(code, '\n') < 0 ||
                (comm.len && ps_buf_putc(&comm, '\n') < 0) || ps_buf_append(&comm, p, ll) < 0) {
                rc = ps_error_nomem(sc->err);
                goto out;
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (comm.len && sc->o->on_line) {
        ps_src_line ln = {0, NULL, ps_buf_cstr(&comm)};
        if ((rc = sc->o->on_line(sc->o->ctx, &ln, sc->err)) < 0)
            goto out;
    }
    *nmap = n;
out:
    ps_buf_release(&comm);
    return rc;
}

/* ---- entry points ---------------------------------------------------------------------------- */

static void scanner_init(scanner *sc, const char *name, const ps_src_scan_opts *o, ps_src_file_info *info,
                         ps_error *err)
{
    memset(sc, 0, sizeof *sc);
    sc->name = name;
    sc->o = o;
    sc->info = info;
    sc->err = err;
    ps_arena_init(&sc->arena, 16384);
    ps_buf_init(&sc->tmp);
    ps_buf_init(&sc->fb.note);
}

static void scanner_reset_text(scanner *sc, const char *s, size_t len, bool emit)
{
    sc->s = s;
    sc->len = len;
    sc->pos = 0;
    sc->line = 1;
    sc->line_begin = 0;
    sc->at_bol = true;
    sc->emit = emit;
    sc->definitions = 0;
    sc->nconds = sc->cond_overflow = 0;
    sc->depth = sc->skip_depth = sc->linkage = 0;
    sc->in_func = sc->have_doc = sc->pending_ftag = false;
    sc->nfregions = 0;
    stmt_clear(sc);
    fb_reset(sc);
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        sc->pos = 3;
    sc->line_prose = sc->prose_mode && line_is_prose(s + sc->pos, s + len);
}

static void scanner_release(scanner *sc)
{
    free(sc->stmt);
    free(sc->fb.params);
    free(sc->fb.calls);
    free(sc->fb.tags);
    ps_buf_release(&sc->fb.note);
    ps_buf_release(&sc->tmp);
    ps_arena_release(&sc->arena);
}

bool ps_src_is_c_file(const char *name)
{
    static const char *const ext[] = {".c", ".h", ".cpp", ".cc", ".cxx", ".hpp", ".hh", ".hxx", ".inl"};
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(ext); i++)
        if (ps_ends_with_ci(name, ext[i]))
            return true;
    return false;
}

static int scan_text(const char *name, const char *text, size_t len, const ps_src_scan_opts *o,
                     ps_src_file_info *info, ps_error *err, bool mapped)
{
    scanner sc;
    int rc = 0;

    memset(info, 0, sizeof *info);
    scanner_init(&sc, name, o, info, err);
    info->excerpt = ps_src_is_excerpt(text, len);
    if (info->excerpt) {
        ps_buf code;
        uint32_t *map = NULL, nmap = 0;
        bool *iscode = NULL;
        ps_buf_init(&code);
        sc.emit = true;
        if ((rc = excerpt_build(&sc, text, len, &code, &map, &iscode, &nmap)) < 0) {
            free(map);
            free(iscode);
            ps_buf_release(&code);
            scanner_release(&sc);
            return rc;
        }
        sc.linemap = map;
        sc.code_line = iscode;
        sc.nmap = nmap;
        /* a dry run: does the excerpt hold function headers? */
        scanner_reset_text(&sc, code.data ? code.data : "", code.len, false);
        run(&sc, false);
        {
            bool body = sc.definitions == 0;
            scanner_reset_text(&sc, code.data ? code.data : "", code.len, true);
            run(&sc, body);
        }
        free(map);
        free(iscode);
        ps_buf_release(&code);
    } else {
        sc.prose_mode = !ps_src_is_c_file(name);
        scanner_reset_text(&sc, text, len, true);
        sc.mapped = mapped;
        run(&sc, false);
    }
    if (sc.oom && !sc.rc)
        sc.rc = ps_error_nomem(err);
    rc = sc.rc;
    scanner_release(&sc);
    return rc;
}

int ps_src_scan_text(const char *name, const char *text, size_t len, const ps_src_scan_opts *o,
                     ps_src_file_info *info, ps_error *err)
{
    return scan_text(name, text, len, o, info, err, false);
}

int ps_src_scan_file(const char *path, const ps_src_scan_opts *o, ps_src_file_info *info, ps_error *err)
{
    struct stat st;
    uint64_t max = o->max_file_size ? o->max_file_size : (1ULL << 30);
    const char *text = "";
    void *map = NULL;
    ps_sha256 h;
    size_t probe;
    int fd, rc;

    memset(info, 0, sizeof *info);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ps_error_set(err, PS_ERR_IO, "cannot open '%s': %s", path,
                            errno == ENOENT ? "no such file" : ps_errno_text(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return ps_error_set(err, PS_ERR_IO, "cannot read '%s': not a regular file", path);
    }
    info->size = (uint64_t)st.st_size;
    if (info->size > max) {
        char msg[600];
        close(fd);
        info->skipped = true;
        info->warnings++;
        snprintf(msg, sizeof msg, "'%s': %llu bytes, larger than the limit of %llu: skipped", path,
                 (unsigned long long)info->size, (unsigned long long)max);
        if (o->warn)
            o->warn(o->warn_ctx, msg);
        return 0;
    }
    if (info->size) {
        map = mmap(NULL, (size_t)info->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            rc = ps_error_set(err, PS_ERR_IO, "cannot read '%s': %s", path, ps_errno_text(errno));
            close(fd);
            return rc;
        }
        madvise(map, (size_t)info->size, MADV_SEQUENTIAL);
        text = map;
    }
    close(fd);
    ps_sha256_init(&h);
    {
        size_t off = 0, dropped = 0;
        while (off < info->size) {
            size_t n = info->size - off < DROP_CHUNK ? (size_t)(info->size - off) : DROP_CHUNK;
            const char *p = text + off, *e = p + n;
            ps_sha256_update(&h, p, n);
            while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
                info->lines++;
                p++;
            }
            off += n;
            if (map)
                drop_behind(text, &dropped, off);
        }
    }
    ps_sha256_final_hex(&h, info->sha256);
    if (info->size && text[info->size - 1] != '\n')
        info->lines++;
    /* binary: a NUL byte near the start */
    probe = info->size < 65536 ? (size_t)info->size : 65536;
    if (memchr(text, '\0', probe)) {
        char msg[600];
        info->skipped = true;
        info->warnings++;
        snprintf(msg, sizeof msg, "'%s': a binary file (a NUL byte at offset %zu): skipped", path,
                 (size_t)((const char *)memchr(text, '\0', probe) - text));
        if (o->warn)
            o->warn(o->warn_ctx, msg);
        munmap(map, (size_t)info->size);
        return 0;
    }
    {
        ps_src_file_info keep = *info;
        rc = scan_text(path, text, (size_t)info->size, o, info, err, map != NULL);
        info->size = keep.size;
        info->lines = keep.lines;
        memcpy(info->sha256, keep.sha256, sizeof info->sha256);
    }
    if (map)
        munmap(map, (size_t)info->size);
    return rc;
}

const char *ps_src_dir_name(ps_src_dir d)
{
    switch (d) {
    case PS_SRC_DIR_IN: return "in";
    case PS_SRC_DIR_OUT: return "out";
    case PS_SRC_DIR_INOUT: return "inout";
    case PS_SRC_DIR_NONE: break;
    }
    return NULL;
}

const char *ps_src_kind_name(ps_src_kind k)
{
    switch (k) {
    case PS_SRC_DEFINITION: return "definition";
    case PS_SRC_PROTOTYPE: return "prototype";
    case PS_SRC_EXCERPT: return "excerpt";
    }
    return "definition";
}
