/*
 * compile.c - one YAML document into a rule (see internal.h).
 *
 * A document is a Sigma detection rule (logsource + detection), a Sigma
 * correlation rule (correlation), or something procstage cannot run, which
 * becomes a problem with the reason.  Values are compiled here once:
 * escapes and wildcards parsed, modifiers applied in the order written,
 * case folded, regular expressions compiled.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/severity.h"
#include "rules_engine/internal.h"

#define BADRULE (-1000)

/* ---- compile context ------------------------------------------------------------------ */

typedef struct cctx {
    ps_ruleset *rs;
    const ps_ydoc *doc;
    rule *r;
    char msg[600];
    const char *kind;
    int line, col;
    size_t bytes;            /* the rule's value bytes so far (PS_RULE_MAX_COMPILED) */
} cctx;

static int fail(cctx *c, const ps_ynode *at, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(cctx *c, const ps_ynode *at, const char *kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->kind = kind;
    if (at) {
        c->line = at->line;
        c->col = at->col;
    }
    return BADRULE;
}

static int nomem(cctx *c)
{
    (void)c;
    return PS_ERR_NOMEM;
}

static const char *scalar(const ps_ynode *n)
{
    return n && n->type == PS_Y_SCALAR ? n->value : NULL;
}

/* ---- Sigma strings ----------------------------------------------------------------------- */

typedef struct sval {
    char *b;
    uint8_t *w;       /* 0 literal, 1 '*', 2 '?' */
    size_t n;
} sval;

typedef struct svlist {
    sval *v;
    size_t n, cap;
} svlist;

static void sval_free(sval *s)
{
    free(s->b);
    free(s->w);
    s->b = NULL;
    s->w = NULL;
    s->n = 0;
}

static void svlist_free(svlist *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        sval_free(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* On failure nothing is left allocated in s. */
static int sval_alloc(sval *s, size_t n)
{
    s->b = malloc(n + 1);
    s->w = calloc(n + 1, 1);
    s->n = 0;
    if (s->b && s->w)
        return 0;
    sval_free(s);
    return PS_ERR_NOMEM;
}

/* Moves s into l; on failure s is freed. */
static int svlist_push(svlist *l, sval *s)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 8;
        sval *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv) {
            sval_free(s);
            return PS_ERR_NOMEM;
        }
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = *s;
    memset(s, 0, sizeof *s);
    return 0;
}

/* Sigma's escapes: backslash before '*', '?' or '\' makes it literal; any
 * other backslash is itself. */
static int sval_parse(sval *s, const char *text)
{
    size_t n = strlen(text), i;
    if (sval_alloc(s, n) < 0)
        return PS_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        char ch = text[i];
        if (ch == '\\' && i + 1 < n && (text[i + 1] == '*' || text[i + 1] == '?' || text[i + 1] == '\\')) {
            s->b[s->n] = text[++i];
            s->w[s->n++] = 0;
        } else if (ch == '*' || ch == '?') {
            s->b[s->n] = ch;
            s->w[s->n++] = ch == '*' ? 1 : 2;
        } else {
            s->b[s->n] = ch;
            s->w[s->n++] = 0;
        }
    }
    s->b[s->n] = '\0';
    return 0;
}

static bool sval_has_wild(const sval *s)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (s->w[i])
            return true;
    return false;
}

static int sval_wrap(sval *s, bool front, bool back)
{
    sval t;
    size_t k = 0;
    bool add_front = front && !(s->n && s->w[0] == 1), add_back = back && !(s->n && s->w[s->n - 1] == 1);

    if (!add_front && !add_back)
        return 0;
    if (sval_alloc(&t, s->n + 2) < 0)
        return PS_ERR_NOMEM;
    if (add_front) {
        t.b[k] = '*';
        t.w[k++] = 1;
    }
    memcpy(t.b + k, s->b, s->n);
    memcpy(t.w + k, s->w, s->n);
    k += s->n;
    if (add_back) {
        t.b[k] = '*';
        t.w[k++] = 1;
    }
    t.b[k] = '\0';
    t.n = k;
    sval_free(s);
    *s = t;
    return 0;
}

/* windash: a '-' or '/' after a non-word character (or at the start) and
 * before a word character takes the forms - / U+2013 U+2014 U+2015. */
static bool is_word(const sval *s, size_t i)
{
    unsigned char c;
    if (i >= s->n || s->w[i])
        return false;
    c = (unsigned char)s->b[i];
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

static int windash(svlist *in, svlist *out, size_t *count, size_t *bytes)
{
    static const char *const forms[] = {"-", "/", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95"};
    size_t vi;

    for (vi = 0; vi < in->n; vi++) {
        sval *s = &in->v[vi];
        size_t pos[8], np = 0, i, combos = 1, c;
        for (i = 0; i < s->n; i++)
            if (!s->w[i] && (s->b[i] == '-' || s->b[i] == '/') && (i == 0 || !is_word(s, i - 1)) && is_word(s, i + 1)) {
                if (np == 8)
                    return -2;
                pos[np++] = i;
            }
        for (i = 0; i < np; i++)
            combos *= 5;
        if (*count + combos > PS_RULE_MAX_VALUES)
            return -2;
        *bytes += combos * (s->n + 2 * np);
        if (*bytes > PS_RULE_MAX_COMPILED)
            return -4;   /* before allocating them */
        *count += combos;
        for (c = 0; c < combos; c++) {
            sval t;
            size_t k = 0, p = 0, sel = c;
            if (sval_alloc(&t, s->n + 2 * np) < 0)
                return PS_ERR_NOMEM;
            for (i = 0; i < s->n; i++) {
                if (p < np && pos[p] == i) {
                    const char *f = forms[sel % 5];
                    sel /= 5;
                    p++;
                    while (*f) {
                        t.b[k] = *f++;
                        t.w[k++] = 0;
                    }
                } else {
                    t.b[k] = s->b[i];
                    t.w[k++] = s->w[i];
                }
            }
            t.b[k] = '\0';
            t.n = k;
            if (svlist_push(out, &t) < 0) {
                sval_free(&t);
                return PS_ERR_NOMEM;
            }
        }
    }
    return 0;
}

/* UTF-8 -> UTF-16 (LE or BE) bytes; wildcards stay single markers. */
static int utf16(sval *s, bool be, bool bom)
{
    sval t;
    size_t i = 0, k = 0;

    if (sval_alloc(&t, s->n * 4 + 2) < 0)
        return PS_ERR_NOMEM;
    if (bom) {
        t.b[k++] = be ? (char)0xFE : (char)0xFF;
        t.b[k++] = be ? (char)0xFF : (char)0xFE;
    }
    while (i < s->n) {
        uint32_t cp;
        unsigned char c = (unsigned char)s->b[i];
        if (s->w[i]) {
            t.b[k] = s->b[i];
            t.w[k++] = s->w[i];
            i++;
            continue;
        }
        if (c < 0x80) {
            cp = c;
            i++;
        } else if (c >= 0xE0 && c < 0xF0 && i + 2 < s->n) {
            cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s->b[i + 1] & 0x3F) << 6) | (s->b[i + 2] & 0x3F);
            i += 3;
        } else if (c >= 0xC0 && c < 0xE0 && i + 1 < s->n) {
            cp = ((uint32_t)(c & 0x1F) << 6) | (s->b[i + 1] & 0x3F);
            i += 2;
        } else {
            cp = 0xFFFD;   /* 4-byte sequences: outside what Sigma values use */
            i += c >= 0xF0 ? 4 : 1;
        }
        t.b[k++] = (char)(be ? cp >> 8 : cp & 0xff);
        t.b[k++] = (char)(be ? cp & 0xff : cp >> 8);
    }
    t.b[k] = '\0';
    t.n = k;
    sval_free(s);
    *s = t;
    return 0;
}

static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, k = 0;
    for (i = 0; i + 2 < n; i += 3) {
        out[k++] = tab[in[i] >> 2];
        out[k++] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        out[k++] = tab[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
        out[k++] = tab[in[i + 2] & 63];
    }
    if (i < n) {
        out[k++] = tab[in[i] >> 2];
        if (i + 1 < n) {
            out[k++] = tab[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
            out[k++] = tab[(in[i + 1] & 15) << 2];
        } else {
            out[k++] = tab[(in[i] & 3) << 4];
            out[k++] = '=';
        }
        out[k++] = '=';
    }
    out[k] = '\0';
}

static int sval_from_text(sval *t, const char *text, size_t n)
{
    if (sval_alloc(t, n) < 0)
        return PS_ERR_NOMEM;
    memcpy(t->b, text, n);
    t->b[n] = '\0';
    t->n = n;
    return 0;
}

/* base64 (offset = false) or the three base64offset variants. */
static int base64(svlist *in, svlist *out, bool offset, size_t *count)
{
    size_t vi;
    for (vi = 0; vi < in->n; vi++) {
        sval *s = &in->v[vi];
        size_t len = s->n, i;
        unsigned char *buf;
        char *enc;
        if (sval_has_wild(s))
            return -3;
        buf = malloc(len + 3);
        enc = malloc((len + 3) / 3 * 4 + 8);
        if (!buf || !enc) {
            free(buf);
            free(enc);
            return PS_ERR_NOMEM;
        }
        if (!offset) {
            sval t;
            b64((const unsigned char *)s->b, len, enc);
            if (sval_from_text(&t, enc, strlen(enc)) < 0 || svlist_push(out, &t) < 0) {
                free(buf);
                free(enc);
                return PS_ERR_NOMEM;
            }
            ++*count;
        } else {
            static const int start[3] = {0, 2, 3};
            static const int end[3] = {0, -3, -2};   /* 0: to the end */
            for (i = 0; i < 3; i++) {
                sval t;
                size_t elen, from, to;
                int e = end[(len + i) % 3];
                memset(buf, ' ', i);
                memcpy(buf + i, s->b, len);
                b64(buf, len + i, enc);
                elen = strlen(enc);
                from = (size_t)start[i];
                to = e ? (elen >= (size_t)-e ? elen - (size_t)-e : 0) : elen;
                if (to < from)
                    to = from;
                if (sval_from_text(&t, enc + from, to - from) < 0 || svlist_push(out, &t) < 0) {
                    free(buf);
                    free(enc);
                    return PS_ERR_NOMEM;
                }
                ++*count;
            }
        }
        free(buf);
        free(enc);
    }
    return 0;
}

/* ---- items ------------------------------------------------------------------------------- */

enum { M_STR, M_RE, M_NUM, M_CIDR, M_EXISTS, M_REF };

static void lower_ascii(char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char)(s[i] + 32);
}

static int add_field_ref(cctx *c, int id)
{
    rule *r = c->r;
    size_t i;
    int *nf;
    for (i = 0; i < r->nfields; i++)
        if (r->fields[i] == id)
            return 0;
    nf = realloc(r->fields, (r->nfields + 1) * sizeof *nf);
    if (!nf)
        return PS_ERR_NOMEM;
    r->fields = nf;
    r->fields[r->nfields++] = id;
    return 0;
}

static bool is_dist_field(const char *name)
{
    size_t n = strlen(name);
    if (ps_streq_ci(name, "image_creations"))
        return true;
    return n > 12 && ps_strneq_ci(name, "stage", 5) && name[5] >= '1' && name[5] <= '6' &&
           ps_strneq_ci(name + 6, "_image_", 7);
}

static int intern_field(cctx *c, const char *name, const ps_ynode *at, int *id)
{
    *id = fdict_intern(&c->rs->dict, name);
    if (*id < 0)
        return nomem(c);
    if (is_dist_field(name)) {
        if (c->r->lskey != LS_STAGES)
            return fail(c, at, "invalid rule", "field '%s' exists only in the logsource process_creation_stages",
                        name);
        c->r->deferred = true;
    }
    return add_field_ref(c, *id);
}

/* Turns the final strings into tests. */
static int build_str_tests(cctx *c, item *it, svlist *vals, bool cased)
{
    size_t i, j;

    it->v = calloc(vals->n ? vals->n : 1, sizeof *it->v);
    if (!it->v)
        return nomem(c);
    for (i = 0; i < vals->n; i++) {
        sval *s = &vals->v[i];
        vtest *t = &it->v[it->nv];
        bool lead = s->n && s->w[0] == 1, trail = s->n > (size_t)lead && s->w[s->n - 1] == 1;
        size_t inner_from = lead ? 1 : 0, inner_to = s->n - (trail ? 1 : 0);
        bool inner_wild = false;
        for (j = inner_from; j < inner_to; j++)
            if (s->w[j])
                inner_wild = true;
        if (s->n > PS_RULE_MAX_VALUE_LEN)
            return fail(c, NULL, "limit exceeded", "a value longer than %d bytes", PS_RULE_MAX_VALUE_LEN);
        t->kind = V_STR;
        t->cased = cased;
        it->nv++;   /* item_release frees what is allocated below */
        if (inner_wild || (s->n == 1 && lead)) {
            t->mode = S_GLOB;
            t->lit = malloc(s->n + 1);
            t->wild = malloc(s->n + 1);
            if (!t->lit || !t->wild)
                return nomem(c);
            memcpy(t->lit, s->b, s->n);
            memcpy(t->wild, s->w, s->n);
            t->len = s->n;
        } else {
            t->mode = lead && trail ? S_CONTAINS : lead ? S_SUFFIX : trail ? S_PREFIX : S_EQ;
            t->len = inner_to - inner_from;
            t->lit = malloc(t->len + 1);
            if (!t->lit)
                return nomem(c);
            memcpy(t->lit, s->b + inner_from, t->len);
        }
        t->lit[t->len] = '\0';
        if (!cased)
            lower_ascii(t->lit, t->len);
    }
    /* many plain case-insensitive equalities: a hash lookup instead of a scan */
    if (it->nv >= 8 && !it->all && !cased) {
        bool plain = true;
        for (i = 0; i < it->nv; i++)
            if (it->v[i].mode != S_EQ)
                plain = false;
        if (plain) {
            it->eq = calloc(1, sizeof *it->eq);
            if (!it->eq)
                return nomem(c);
            ps_map_init(it->eq);
            for (i = 0; i < it->nv; i++)
                if (ps_map_put(it->eq, ps_hash_bytes(it->v[i].lit, it->v[i].len, 0x51), i + 1) < 0)
                    return nomem(c);
        }
    }
    return 0;
}

/* ---- value modifiers ---------------------------------------------------------------------
 *
 * Every modifier Sigma defines is one row of `modifiers`, applied in the
 * order a key writes them to the state of the item being compiled.  Rows
 * without a function are refused with their reason (docs/rules.md lists
 * the table; tests/cli/tables.sh checks that it does). */

typedef struct mstate {
    cctx *c;
    const char *key;
    const ps_ynode *kn;
    item *it;
    svlist vals, tmp;
    int mode;                /* M_* */
    bool cased, re_start, re_end, ref_front, ref_back;
    bool value_mod_seen;     /* a modifier that changes or reads the values came already */
    char reflags[8];
    int cmp;
} mstate;

typedef int (*mod_fn)(mstate *m, const char *name);

static int mod_wrap(mstate *m, const char *name)
{
    bool front = name[0] != 's', back = name[0] != 'e';
    size_t k;

    if (m->mode == M_RE) {
        m->re_start |= name[0] == 's';
        m->re_end |= name[0] == 'e';
    } else if (m->mode == M_REF) {
        m->ref_front |= front;
        m->ref_back |= back;
    } else if (m->mode == M_STR) {
        for (k = 0; k < m->vals.n; k++)
            if (sval_wrap(&m->vals.v[k], front, back) < 0)
                return nomem(m->c);
    } else {
        return fail(m->c, m->kn, "invalid rule", "modifier '%s' after a non-string modifier in '%s'", name, m->key);
    }
    m->value_mod_seen = true;
    return 0;
}

static int mod_all(mstate *m, const char *name)
{
    (void)name;
    m->it->all = true;
    return 0;
}

static int mod_neq(mstate *m, const char *name)
{
    (void)name;
    m->it->neg = true;
    return 0;
}

static int strings_only(mstate *m, const char *name)
{
    return m->mode == M_STR ? 0
                            : fail(m->c, m->kn, "invalid rule", "'%s' applies to strings only ('%s')", name, m->key);
}

static int mod_cased(mstate *m, const char *name)
{
    int rc = strings_only(m, name);
    m->cased = true;
    return rc;
}

/* Replaces the values by an expansion (windash, base64, base64offset). */
static int expanded(mstate *m, int rc, size_t count, const char *name)
{
    if (rc == -2)
        rc = fail(m->c, m->kn, "limit exceeded", "'%s' expands '%s' to more than %d values", name, m->key,
                  PS_RULE_MAX_VALUES);
    else if (rc == -3)
        rc = fail(m->c, m->kn, "invalid rule", "'%s' of a value with wildcards ('%s')", name, m->key);
    else if (rc == -4)
        rc = fail(m->c, m->kn, "limit exceeded", "'%s' expands '%s' to more than %u MiB of values", name, m->key,
                  PS_RULE_MAX_COMPILED >> 20);
    else if (rc < 0)
        rc = nomem(m->c);
    svlist_free(&m->vals);
    m->vals = m->tmp;
    memset(&m->tmp, 0, sizeof m->tmp);
    m->c->r->nvalues += count;
    m->value_mod_seen = true;
    return rc;
}

static int mod_windash(mstate *m, const char *name)
{
    size_t count = 0;
    int rc;
    if ((rc = strings_only(m, name)) < 0)
        return rc;
    return expanded(m, windash(&m->vals, &m->tmp, &count, &m->c->bytes), count, name);
}

static int mod_base64(mstate *m, const char *name)
{
    size_t count = 0;
    int rc;
    if ((rc = strings_only(m, name)) < 0)
        return rc;
    return expanded(m, base64(&m->vals, &m->tmp, name[6] == 'o', &count), count, name);
}

static int mod_utf16(mstate *m, const char *name)
{
    size_t k;
    int rc;
    if ((rc = strings_only(m, name)) < 0)
        return rc;
    for (k = 0; k < m->vals.n; k++)
        if (utf16(&m->vals.v[k], !strcmp(name, "utf16be"), !strcmp(name, "utf16")) < 0)
            return nomem(m->c);
    m->value_mod_seen = true;
    return 0;
}

/* re, lt/lte/gt/gte, cidr, fieldref: the value kind, first of all value
 * modifiers */
static int value_kind(mstate *m, const char *name, int mode, const char *rule)
{
    int rc = 0;
    if (m->value_mod_seen || m->mode != M_STR)
        rc = fail(m->c, m->kn, "invalid rule", "'%s' must be %s value modifier ('%s')", name, rule, m->key);
    m->mode = mode;
    m->value_mod_seen = true;
    return rc;
}

static int mod_re(mstate *m, const char *name)
{
    return value_kind(m, name, M_RE, "the first");
}

static int mod_cidr(mstate *m, const char *name)
{
    return value_kind(m, name, M_CIDR, "the first");
}

static int mod_fieldref(mstate *m, const char *name)
{
    return value_kind(m, name, M_REF, "the first");
}

static int mod_cmp(mstate *m, const char *name)
{
    m->cmp = !strcmp(name, "lt") ? CMP_LT : !strcmp(name, "lte") ? CMP_LTE : !strcmp(name, "gt") ? CMP_GT : CMP_GTE;
    return value_kind(m, name, M_NUM, "the only");
}

static int mod_reflag(mstate *m, const char *name)
{
    size_t l = strlen(m->reflags);
    if (m->mode != M_RE)
        return fail(m->c, m->kn, "invalid rule", "regular expression flag '%s' without 're' ('%s')", name, m->key);
    if (l < sizeof m->reflags - 1) {
        m->reflags[l] = name[0] == 'd' ? 's' : name[0];
        m->reflags[l + 1] = '\0';
    }
    return 0;
}

static const struct modifier {
    const char *name;
    mod_fn apply;            /* NULL: refused with `refused` */
    const char *refused;
} modifiers[] = {
    {"contains", mod_wrap, NULL},
    {"startswith", mod_wrap, NULL},
    {"endswith", mod_wrap, NULL},
    {"all", mod_all, NULL},
    {"neq", mod_neq, NULL},
    {"cased", mod_cased, NULL},
    {"windash", mod_windash, NULL},
    {"wide", mod_utf16, NULL},
    {"utf16le", mod_utf16, NULL},
    {"utf16be", mod_utf16, NULL},
    {"utf16", mod_utf16, NULL},
    {"base64", mod_base64, NULL},
    {"base64offset", mod_base64, NULL},
    {"re", mod_re, NULL},
    {"i", mod_reflag, NULL},
    {"ignorecase", mod_reflag, NULL},
    {"m", mod_reflag, NULL},
    {"multiline", mod_reflag, NULL},
    {"s", mod_reflag, NULL},
    {"dotall", mod_reflag, NULL},
    {"lt", mod_cmp, NULL},
    {"lte", mod_cmp, NULL},
    {"gt", mod_cmp, NULL},
    {"gte", mod_cmp, NULL},
    {"cidr", mod_cidr, NULL},
    {"fieldref", mod_fieldref, NULL},
    /* `exists` is handled before the others: it takes no values */
    {"exists", NULL, NULL},
    {"expand", NULL, " (placeholders need a conversion pipeline)"},
    {"minute", NULL, " (time parts)"},
    {"hour", NULL, " (time parts)"},
    {"day", NULL, " (time parts)"},
    {"week", NULL, " (time parts)"},
    {"month", NULL, " (time parts)"},
    {"year", NULL, " (time parts)"},
};

static const struct modifier *find_modifier(const char *name)
{
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(modifiers); i++)
        if (!strcmp(modifiers[i].name, name))
            return &modifiers[i];
    return NULL;
}

const char *ps_rule_modifier(size_t i, bool *supported)
{
    if (i >= PS_ARRAY_LEN(modifiers))
        return NULL;
    *supported = modifiers[i].apply || !modifiers[i].refused;
    return modifiers[i].name;
}

/* One "Field|mod|mod: value(s)" entry. */
static int compile_item(cctx *c, const char *key, const ps_ynode *kn, const ps_ynode *val, item *it)
{
    char fieldname[512];
    const char *bar = strchr(key, '|');
    char mods[32][24];
    size_t nmods = 0, i;
    int rc = 0;
    mstate ms;
    const ps_ynode **raw = NULL, **vraw = NULL;
    size_t nraw = 0, nvraw = 0;

    memset(it, 0, sizeof *it);
    memset(&ms, 0, sizeof ms);
    ms.c = c;
    ms.key = key;
    ms.kn = kn;
    ms.it = it;
    ms.mode = M_STR;
    it->line = kn->line;
    snprintf(fieldname, sizeof fieldname, "%.*s", (int)(bar ? (size_t)(bar - key) : strlen(key)), key);
    /* modifiers */
    while (bar) {
        const char *next = strchr(bar + 1, '|');
        size_t len = next ? (size_t)(next - bar - 1) : strlen(bar + 1);
        if (nmods == 32 || len >= sizeof mods[0])
            return fail(c, kn, "invalid rule", "too many or too long modifiers in '%s'", key);
        memcpy(mods[nmods], bar + 1, len);
        mods[nmods++][len] = '\0';
        bar = next;
    }
    for (i = 0; i < nmods; i++) {
        const struct modifier *md = find_modifier(mods[i]);
        if (md && md->refused)
            return fail(c, kn, "unsupported modifier", "unsupported modifier '%s'%s", mods[i], md->refused);
    }

    /* the raw values */
    if (val->type == PS_Y_SEQ) {
        if (!val->n)
            return fail(c, val, "invalid rule", "empty list of values for '%s'", key);
        raw = calloc(val->n, sizeof *raw);
        if (!raw)
            return nomem(c);
        for (i = 0; i < val->n; i++) {
            if (val->items[i]->type != PS_Y_SCALAR) {
                free(raw);
                return fail(c, val->items[i], "invalid rule", "values of '%s' must be scalars", key);
            }
            raw[nraw++] = val->items[i];
        }
    } else if (val->type == PS_Y_SCALAR || val->type == PS_Y_NULL) {
        raw = calloc(1, sizeof *raw);
        if (!raw)
            return nomem(c);
        raw[nraw++] = val;
    } else {
        return fail(c, val, "invalid rule", "the value of '%s' is a mapping", key);
    }
    c->r->nvalues += nraw;
    /* the compiled size: a YAML alias costs its whole value every time it is used */
    for (i = 0; i < nraw; i++) {
        const char *v = scalar(raw[i]);
        c->bytes += v ? strlen(v) + 1 : 1;
    }
    if (c->bytes > PS_RULE_MAX_COMPILED) {
        rc = fail(c, kn, "limit exceeded", "the values of the rule come to more than %u MiB (each use of a YAML "
                  "alias counted)", PS_RULE_MAX_COMPILED >> 20);
        goto out;
    }

    /* field */
    if (fieldname[0]) {
        if ((rc = intern_field(c, fieldname, kn, &it->field)) < 0)
            goto out;
    } else {
        it->field = -1;
        c->rs->has_keywords = true;
    }

    /* exists / null shortcuts */
    for (i = 0; i < nmods; i++)
        if (!strcmp(mods[i], "exists")) {
            const char *v = scalar(raw[0]);
            if (nmods != 1 || nraw != 1 || !v || (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "yes") &&
                                                  strcmp(v, "no")))
                rc = fail(c, kn, "invalid rule", "'exists' takes a single true or false and no other modifier");
            else if (it->field < 0)
                rc = fail(c, kn, "invalid rule", "'exists' needs a field");
            else {
                it->v = calloc(1, sizeof *it->v);
                if (!it->v) {
                    rc = nomem(c);
                    goto out;
                }
                it->v[0].kind = V_EXISTS;
                it->v[0].exists = !strcmp(v, "true") || !strcmp(v, "yes");
                it->nv = 1;
            }
            goto out;
        }

    /* strings, in order; null values stay aside */
    it->v = calloc(nraw + 1, sizeof *it->v);
    vraw = calloc(nraw + 1, sizeof *vraw);
    if (!it->v || !vraw) {
        rc = nomem(c);
        goto out;
    }
    for (i = 0; i < nraw; i++) {
        sval s;
        if (ps_yscalar_is_null(raw[i])) {
            it->v[it->nv++].kind = V_NULL;
            continue;
        }
        if (sval_parse(&s, raw[i]->value) < 0 || svlist_push(&ms.vals, &s) < 0) {
            rc = nomem(c);
            goto out;
        }
        vraw[nvraw++] = raw[i];
    }
    for (i = 0; i < nmods && rc == 0; i++) {
        const struct modifier *md = find_modifier(mods[i]);
        if (!md)
            rc = fail(c, kn, "unknown modifier", "unknown modifier '%s'", mods[i]);
        else if (!md->apply)
            rc = fail(c, kn, "invalid rule", "'%s' takes no other modifier", mods[i]);
        else
            rc = md->apply(&ms, mods[i]);
    }
    if (rc < 0)
        goto out;
    if (c->r->nvalues > PS_RULE_MAX_VALUES) {
        rc = fail(c, kn, "limit exceeded", "more than %d values in the rule", PS_RULE_MAX_VALUES);
        goto out;
    }
    if (it->field < 0 && ms.mode == M_STR)
        for (i = 0; i < ms.vals.n; i++)
            if (sval_wrap(&ms.vals.v[i], true, true) < 0) {
                rc = nomem(c);
                goto out;
            }

    /* build the tests */
    if (ms.mode == M_STR) {
        size_t nulls = it->nv;
        vtest *keep = it->v;
        it->v = NULL;
        it->nv = 0;
        if ((rc = build_str_tests(c, it, &ms.vals, ms.cased)) < 0) {
            free(keep);
            goto out;
        }
        if (nulls) {
            vtest *nv = realloc(it->v, (it->nv + nulls) * sizeof *nv);
            if (!nv) {
                free(keep);
                rc = nomem(c);
                goto out;
            }
            it->v = nv;
            memcpy(it->v + it->nv, keep, nulls * sizeof *keep);
            it->nv += nulls;
            if (it->eq && nulls) {
                /* a null among the values: scan rather than look up */
                ps_map_release(it->eq);
                free(it->eq);
                it->eq = NULL;
            }
        }
        free(keep);
        goto out;
    }
    /* the other kinds read the values as written (a regular expression keeps
     * its backslashes); no modifier before them changed the list */
    for (i = 0; i < ms.vals.n && i < nvraw; i++) {
        vtest *t = &it->v[it->nv];
        char *plain = ps_strdup(vraw[i]->value);
        if (!plain) {
            rc = nomem(c);
            goto out;
        }
        if (ms.mode == M_RE) {
            char msg[300];
            const char *src = plain;
            t->kind = V_RE;
            t->mode = ms.re_start && ms.re_end ? S_EQ : ms.re_start ? S_PREFIX : ms.re_end ? S_SUFFIX : S_CONTAINS;
            t->re = ps_re_compile(c->rs, src, ms.reflags, msg, sizeof msg);
            t->lit = ps_strdup(src);   /* the source, for the prefilter's literal */
            if (!t->lit)
                rc = nomem(c);
            c->r->has_regex = true;
            if (!t->re)
                rc = fail(c, vraw[i], "bad regular expression", "regular expression '%.80s' does not compile: %s",
                          src, msg);
        } else if (ms.mode == M_NUM) {
            t->kind = V_NUM;
            t->cmp = (uint8_t)ms.cmp;
            if (!ps_parse_num(plain, strlen(plain), &t->num))
                rc = fail(c, vraw[i], "invalid rule", "'%s' is not a number ('%s')", plain, key);
        } else if (ms.mode == M_CIDR) {
            t->kind = V_CIDR;
            if (!ps_parse_cidr(plain, t->net, &t->family, &t->bits))
                rc = fail(c, vraw[i], "invalid rule", "'%s' is not an IP network ('%s')", plain, key);
        } else {
            t->kind = V_REF;
            t->mode = ms.ref_front && ms.ref_back ? S_CONTAINS : ms.ref_front ? S_SUFFIX : ms.ref_back ? S_PREFIX : S_EQ;
            if (sval_has_wild(&ms.vals.v[i]))
                rc = fail(c, vraw[i], "invalid rule", "a field reference with wildcards ('%s')", key);
            else if (it->field < 0)
                rc = fail(c, kn, "invalid rule", "'fieldref' needs a field");
            else
                rc = intern_field(c, plain, vraw[i], &t->ref);
        }
        free(plain);
        it->nv++;
        if (rc < 0)
            goto out;
    }
out:
    svlist_free(&ms.vals);
    svlist_free(&ms.tmp);
    free(raw);
    free(vraw);
    return rc;
}

static void item_release(item *it)
{
    size_t i;
    for (i = 0; i < it->nv; i++)
        ps_vtest_release(&it->v[i]);
    free(it->v);
    if (it->eq) {
        ps_map_release(it->eq);
        free(it->eq);
    }
    memset(it, 0, sizeof *it);
}

static void sel_release(sel *s)
{
    size_t i, j;
    for (i = 0; i < s->ng; i++) {
        for (j = 0; j < s->g[i].n; j++)
            item_release(&s->g[i].items[j]);
        free(s->g[i].items);
    }
    free(s->g);
    free(s->name);
    memset(s, 0, sizeof *s);
}

static int group_from_map(cctx *c, const ps_ynode *m, group *g)
{
    size_t i;
    int rc;

    g->items = calloc(m->n ? m->n : 1, sizeof *g->items);
    if (!g->items)
        return nomem(c);
    for (i = 0; i < m->n; i++) {
        const ps_ynode *k = ps_ymap_key(m, i), *v = ps_ymap_val(m, i);
        if (k->type != PS_Y_SCALAR)
            return fail(c, k, "invalid rule", "a field name must be a string");
        if ((rc = compile_item(c, k->value, k, v, &g->items[g->n])) < 0) {
            item_release(&g->items[g->n]);
            return rc;
        }
        g->n++;
    }
    return 0;
}

/* A keyword list (or one keyword) as one group of one item. */
static int group_keywords(cctx *c, const ps_ynode *n, group *g)
{
    g->items = calloc(1, sizeof *g->items);
    if (!g->items)
        return nomem(c);
    g->n = 1;
    return compile_item(c, "", n, n, &g->items[0]);
}

static int compile_sel(cctx *c, const char *name, const ps_ynode *v, sel *s)
{
    size_t i;
    int rc;

    s->name = ps_strdup(name);
    if (!s->name)
        return nomem(c);
    if (v->type == PS_Y_MAP) {
        s->g = calloc(1, sizeof *s->g);
        if (!s->g)
            return nomem(c);
        s->ng = 1;
        return group_from_map(c, v, &s->g[0]);
    }
    if (v->type == PS_Y_SCALAR && !ps_yscalar_is_null(v)) {
        s->g = calloc(1, sizeof *s->g);
        if (!s->g)
            return nomem(c);
        s->ng = 1;
        return group_keywords(c, v, &s->g[0]);
    }
    if (v->type != PS_Y_SEQ || v->n == 0)
        return fail(c, v, "invalid rule", "detection '%s' is empty", name);
    {
        bool all_scalars = true;
        for (i = 0; i < v->n; i++)
            if (v->items[i]->type != PS_Y_SCALAR)
                all_scalars = false;
        s->g = calloc(v->n, sizeof *s->g);
        if (!s->g)
            return nomem(c);
        if (all_scalars) {
            s->ng = 1;
            return group_keywords(c, v, &s->g[0]);
        }
        for (i = 0; i < v->n; i++) {
            const ps_ynode *it = v->items[i];
            if (it->type == PS_Y_MAP)
                rc = group_from_map(c, it, &s->g[s->ng]);
            else if (it->type == PS_Y_SCALAR)
                rc = group_keywords(c, it, &s->g[s->ng]);
            else
                rc = fail(c, it, "invalid rule", "detection '%s' nests lists", name);
            s->ng++;
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* ---- rule metadata ------------------------------------------------------------------------------ */

static char *dup_scalar(const ps_ynode *map, const char *key)
{
    const char *v = scalar(ps_ymap_get(map, key));
    return v ? ps_strdup(v) : NULL;
}

static int level_rank(const char *s)
{
    if (!s)
        return 2;
    if (!strcmp(s, "informational"))
        return 0;
    return ps_severity_rank(s);
}

/* "T1546.012, T1546.008" from attack.t1546.012 tags */
static int techniques(const ps_ynode *tags, const ps_ynode *extra, char **out)
{
    ps_buf b;
    const ps_ynode *lists[2] = {tags, extra};
    size_t l, i;

    ps_buf_init(&b);
    for (l = 0; l < 2; l++) {
        const ps_ynode *t = lists[l];
        if (!t || t->type != PS_Y_SEQ)
            continue;
        for (i = 0; i < t->n; i++) {
            const char *v = scalar(t->items[i]);
            char tech[32];
            size_t k;
            if (!v || strlen(v) < 9 || !ps_strneq_ci(v, "attack.t", 8) || v[8] < '0' || v[8] > '9')
                continue;
            snprintf(tech, sizeof tech, "T%s", v + 8);
            for (k = 1; tech[k]; k++)
                if (tech[k] >= 'a' && tech[k] <= 'z')
                    tech[k] = (char)(tech[k] - 32);
            if (b.len && strstr(ps_buf_cstr(&b), tech))
                continue;
            if ((b.len && ps_buf_puts(&b, ", ") < 0) || ps_buf_puts(&b, tech) < 0) {
                ps_buf_release(&b);
                return PS_ERR_NOMEM;
            }
        }
    }
    *out = ps_strdup(ps_buf_cstr(&b));
    ps_buf_release(&b);
    return *out ? 0 : PS_ERR_NOMEM;
}

static int compile_logsource(cctx *c, const ps_ynode *ls)
{
    rule *r = c->r;
    const char *product, *category, *service;
    char buf[128];

    if (!ls || ls->type != PS_Y_MAP)
        return fail(c, ls ? ls : c->doc->root, "invalid rule", "no logsource");
    product = scalar(ps_ymap_get(ls, "product"));
    category = scalar(ps_ymap_get(ls, "category"));
    service = scalar(ps_ymap_get(ls, "service"));
    if (product && strcmp(product, "windows") != 0)
        return fail(c, ps_ymap_get(ls, "product"), "unsupported logsource",
                    "logsource product '%s': procstage reads Windows traces", product);
    if (category) {
        int k = ps_ls_category_key(category);
        if (k < 0)
            return fail(c, ps_ymap_get(ls, "category"), "unknown logsource", "unknown logsource category '%s'",
                        category);
        r->lskey = k;
        snprintf(buf, sizeof buf, "%s", category);
    } else if (service) {
        size_t n, i;
        const ps_ls_service *t = ps_ls_services(&n);
        for (i = 0; i < n; i++)
            if (!strcmp(t[i].name, service))
                break;
        if (i == n)
            return fail(c, ps_ymap_get(ls, "service"), "unknown logsource", "unknown logsource service '%s'",
                        service);
        r->lskey = LS_SERVICE_FIRST + (int)i;
        snprintf(buf, sizeof buf, "service:%s", service);
    } else if (product) {
        r->lskey = LS_ANY;
        snprintf(buf, sizeof buf, "product:windows");
    } else {
        return fail(c, ls, "invalid rule", "logsource without product, category or service");
    }
    r->lsname = ps_strdup(buf);
    return r->lsname ? 0 : nomem(c);
}

static int compile_procstage(cctx *c, const ps_ynode *ext, const ps_ynode *tags)
{
    rule *r = c->r;
    const ps_ynode *sev, *evd, *evs;
    size_t i;
    int rc;

    if (ext->type != PS_Y_MAP)
        return fail(c, ext, "invalid rule", "'procstage' must be a mapping");
    for (i = 0; i < ext->n; i++) {
        const char *k = scalar(ps_ymap_key(ext, i));
        if (!k || (strcmp(k, "severity") && strcmp(k, "evidence") && strcmp(k, "events")))
            return fail(c, ps_ymap_key(ext, i), "invalid rule", "unknown procstage key '%s'", k ? k : "?");
    }
    sev = ps_ymap_get(ext, "severity");
    if (sev) {
        if (sev->type != PS_Y_SEQ)
            return fail(c, sev, "invalid rule", "'procstage.severity' must be a list");
        r->sev = calloc(sev->n ? sev->n : 1, sizeof *r->sev);
        if (!r->sev)
            return nomem(c);
        for (i = 0; i < sev->n; i++) {
            const ps_ynode *e = sev->items[i], *m = ps_ymap_get(e, "match");
            const char *lv = scalar(ps_ymap_get(e, "level"));
            sev_override *o = &r->sev[r->nsev];
            if (!m || !lv)
                return fail(c, e, "invalid rule", "a procstage.severity entry needs 'match' and 'level'");
            o->level = level_rank(lv);
            if (o->level < 0)
                return fail(c, e, "invalid rule", "unknown level '%s'", lv);
            r->nsev++;
            if ((rc = compile_sel(c, "procstage.severity", m, &o->s)) < 0)
                return rc;
            if (techniques(tags, ps_ymap_get(e, "tags"), &o->technique) < 0)
                return nomem(c);
        }
    }
    evd = ps_ymap_get(ext, "evidence");
    if (evd) {
        if (evd->type != PS_Y_MAP)
            return fail(c, evd, "invalid rule", "'procstage.evidence' must be a mapping");
        r->evk = calloc(evd->n ? evd->n : 1, sizeof *r->evk);
        if (!r->evk)
            return nomem(c);
        for (i = 0; i < evd->n; i++) {
            const char *k = scalar(ps_ymap_key(evd, i));
            const ps_ynode *v = ps_ymap_val(evd, i);
            const char *field = scalar(v), *extract = NULL;
            ev_key *e = &r->evk[r->nevk];
            if (v->type == PS_Y_MAP) {
                field = scalar(ps_ymap_get(v, "field"));
                extract = scalar(ps_ymap_get(v, "extract"));
            }
            if (!k || !field)
                return fail(c, v, "invalid rule", "a procstage.evidence entry is KEY: FIELD or KEY: {field, extract}");
            if (!strcmp(k, "events") || !strcmp(k, "fields") || !strcmp(k, "logsource"))
                return fail(c, v, "invalid rule", "procstage.evidence key '%s' is reserved", k);
            e->key = ps_strdup(k);
            e->field = fdict_intern(&c->rs->dict, field);
            r->nevk++;
            if (!e->key || e->field < 0)
                return nomem(c);
            if (extract) {
                char msg[300];
                e->extract = ps_re_compile(c->rs, extract, "", msg, sizeof msg);
                if (!e->extract)
                    return fail(c, v, "bad regular expression", "regular expression '%.80s' does not compile: %s",
                                extract, msg);
            }
        }
    }
    evs = ps_ymap_get(ext, "events");
    if (evs) {
        if (evs->type != PS_Y_SEQ)
            return fail(c, evs, "invalid rule", "'procstage.events' must be a list");
        r->eve = calloc(evs->n ? evs->n : 1, sizeof *r->eve);
        if (!r->eve)
            return nomem(c);
        for (i = 0; i < evs->n; i++) {
            const ps_ynode *e = evs->items[i];
            const char *f = scalar(ps_ymap_get(e, "field")), *role = scalar(ps_ymap_get(e, "role"));
            if (!f || !role)
                return fail(c, e, "invalid rule", "a procstage.events entry needs 'field' and 'role'");
            r->eve[r->neve].field = fdict_intern(&c->rs->dict, f);
            r->eve[r->neve].role = ps_strdup(role);
            r->neve++;
            if (r->eve[r->neve - 1].field < 0 || !r->eve[r->neve - 1].role)
                return nomem(c);
        }
    }
    return 0;
}

static int compile_detection(cctx *c, const ps_ynode *det)
{
    rule *r = c->r;
    const ps_ynode *cn;
    size_t i, nsel = 0;
    int rc;

    if (!det || det->type != PS_Y_MAP)
        return fail(c, det ? det : c->doc->root, "invalid rule", "no detection");
    r->sels = calloc(det->n ? det->n : 1, sizeof *r->sels);
    if (!r->sels)
        return nomem(c);
    for (i = 0; i < det->n; i++) {
        const char *k = scalar(ps_ymap_key(det, i));
        if (!k)
            return fail(c, ps_ymap_key(det, i), "invalid rule", "a detection key must be a string");
        if (!strcmp(k, "condition") || !strcmp(k, "timeframe"))
            continue;
        if ((rc = compile_sel(c, k, ps_ymap_val(det, i), &r->sels[nsel])) < 0) {
            r->nsels = nsel + 1;
            return rc;
        }
        nsel++;
        r->nsels = nsel;
    }
    cn = ps_ymap_get(det, "condition");
    if (!cn)
        return fail(c, det, "invalid rule", "no condition");
    if (cn->type == PS_Y_SCALAR || cn->type == PS_Y_SEQ) {
        size_t nconds = cn->type == PS_Y_SEQ ? cn->n : 1;
        int prev = -1;
        if (!nconds)
            return fail(c, cn, "invalid rule", "empty condition list");
        for (i = 0; i < nconds; i++) {
            const ps_ynode *one = cn->type == PS_Y_SEQ ? cn->items[i] : cn;
            char msg[300];
            const char *text = scalar(one);
            if (!text)
                return fail(c, one, "invalid rule", "a condition must be a string");
            if (strlen(text) > PS_RULE_MAX_COND_LEN)
                return fail(c, one, "limit exceeded", "condition longer than %d characters", PS_RULE_MAX_COND_LEN);
            if (strchr(text, '|'))
                return fail(c, one, "unsupported condition",
                            "aggregation in the condition ('|'): write it as a correlation rule");
            rc = ps_cond_parse(&r->cond, text, r->sels, r->nsels, msg, sizeof msg);
            if (rc == PS_ERR_NOMEM)
                return nomem(c);
            if (rc < 0)
                return fail(c, one, rc == PS_ERR_LIMIT ? "limit exceeded" : "invalid condition", "condition: %s",
                            msg);
            if (prev >= 0) {
                /* several conditions: any of them */
                cnode *nn;
                if (r->cond.nn == r->cond.cap) {
                    size_t ncap = r->cond.cap ? r->cond.cap * 2 : 16;
                    nn = realloc(r->cond.n, ncap * sizeof *nn);
                    if (!nn)
                        return nomem(c);
                    r->cond.n = nn;
                    r->cond.cap = ncap;
                }
                nn = &r->cond.n[r->cond.nn];
                memset(nn, 0, sizeof *nn);
                nn->op = C_OR;
                nn->a = prev;
                nn->b = r->cond.root;
                r->cond.root = (int)r->cond.nn++;
            }
            prev = r->cond.root;
        }
    } else {
        return fail(c, cn, "invalid rule", "a condition must be a string or a list of strings");
    }
    return 0;
}

static int parse_timespan(const char *s, int64_t *ticks)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    int64_t unit;

    if (end == s || v <= 0 || !end[0] || end[1])
        return -1;
    switch (end[0]) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return -1;
    }
    if (v > 3650LL * 86400 / unit)
        return -1;
    *ticks = v * unit * PS_TICKS_PER_SEC;
    return 0;
}

static int compile_correlation(cctx *c, const ps_ynode *root, const ps_ynode *cn)
{
    rule *r = c->r;
    corr *k;
    const ps_ynode *t, *rules, *gb, *ts, *cond, *al, *gen;
    const char *type;
    size_t i, j;

    if (cn->type != PS_Y_MAP)
        return fail(c, cn, "invalid rule", "'correlation' must be a mapping");
    k = r->corr = calloc(1, sizeof *r->corr);
    if (!k)
        return nomem(c);
    k->value_field = -1;
    t = ps_ymap_get(cn, "type");
    type = scalar(t);
    if (!type)
        return fail(c, cn, "invalid rule", "correlation without a type");
    if (!strcmp(type, "event_count"))
        k->type = CT_EVENT_COUNT;
    else if (!strcmp(type, "value_count"))
        k->type = CT_VALUE_COUNT;
    else if (!strcmp(type, "temporal"))
        k->type = CT_TEMPORAL;
    else if (!strcmp(type, "temporal_ordered"))
        k->type = CT_TEMPORAL_ORDERED;
    else
        return fail(c, t, "unsupported correlation", "unsupported correlation type '%s'", type);
    {
        char buf[64];
        snprintf(buf, sizeof buf, "correlation:%s", type);
        r->lsname = ps_strdup(buf);
        if (!r->lsname)
            return nomem(c);
    }
    r->lskey = -1;
    rules = ps_ymap_get(cn, "rules");
    if (rules && rules->type == PS_Y_SCALAR) {
        k->refs = calloc(1, sizeof *k->refs);
        if (!k->refs || !(k->refs[0] = ps_strdup(rules->value)))
            return nomem(c);
        k->nrefs = 1;
    } else if (rules && rules->type == PS_Y_SEQ && rules->n) {
        k->refs = calloc(rules->n, sizeof *k->refs);
        if (!k->refs)
            return nomem(c);
        for (i = 0; i < rules->n; i++) {
            if (!scalar(rules->items[i]))
                return fail(c, rules->items[i], "invalid rule", "correlation rules are ids or names");
            if (!(k->refs[k->nrefs++] = ps_strdup(rules->items[i]->value)))
                return nomem(c);
        }
    } else {
        return fail(c, cn, "invalid rule", "correlation without rules");
    }
    if ((k->type == CT_TEMPORAL || k->type == CT_TEMPORAL_ORDERED) && k->nrefs < 2)
        return fail(c, rules, "invalid rule", "a %s correlation needs at least two rules", type);
    gb = ps_ymap_get(cn, "group-by");
    if (gb) {
        const ps_ynode *one = gb;
        size_t n = gb->type == PS_Y_SEQ ? gb->n : 1;
        k->group = calloc(n ? n : 1, sizeof *k->group);
        if (!k->group)
            return nomem(c);
        for (i = 0; i < n; i++) {
            one = gb->type == PS_Y_SEQ ? gb->items[i] : gb;
            if (!scalar(one))
                return fail(c, one, "invalid rule", "group-by takes field names");
            if (!(k->group[k->ngroup++] = ps_strdup(one->value)))
                return nomem(c);
        }
    }
    ts = ps_ymap_get(cn, "timespan");
    if (!ts)
        ts = ps_ymap_get(cn, "timeframe");
    if (!scalar(ts) || parse_timespan(ts->value, &k->timespan) < 0)
        return fail(c, ts ? ts : cn, "invalid rule", "timespan must be a number and s, m, h, d or w ('5m')");
    cond = ps_ymap_get(cn, "condition");
    if (cond) {
        if (cond->type != PS_Y_MAP)
            return fail(c, cond, "invalid rule", "a correlation condition is a mapping ('gte: 10')");
        for (i = 0; i < cond->n; i++) {
            const char *op = scalar(ps_ymap_key(cond, i)), *v = scalar(ps_ymap_val(cond, i));
            double d;
            if (op && !strcmp(op, "field")) {
                if (!v)
                    return fail(c, cond, "invalid rule", "condition field must be a field name");
                k->value_name = ps_strdup(v);
                k->value_field = fdict_intern(&c->rs->dict, v);
                if (!k->value_name || k->value_field < 0)
                    return nomem(c);
                continue;
            }
            if (!op || !v || !ps_parse_num(v, strlen(v), &d))
                return fail(c, ps_ymap_key(cond, i), "invalid rule", "a correlation condition compares with a number");
            if (!strcmp(op, "gte")) {
                k->has_min = true;
                k->min = d;
            } else if (!strcmp(op, "gt")) {
                k->has_min = true;
                k->min = d + 1;
            } else if (!strcmp(op, "eq")) {
                k->has_min = k->has_max = true;
                k->min = k->max = d;
            } else if (!strcmp(op, "lte")) {
                k->has_max = true;
                k->max = d;
            } else if (!strcmp(op, "lt")) {
                k->has_max = true;
                k->max = d - 1;
            } else {
                return fail(c, ps_ymap_key(cond, i), "invalid rule", "unknown correlation condition '%s'", op);
            }
        }
    }
    if ((k->type == CT_EVENT_COUNT || k->type == CT_VALUE_COUNT) && !k->has_min)
        return fail(c, cond ? cond : cn, "unsupported correlation",
                    "a %s correlation without a lower bound (gt, gte, eq) can only fire at the end of a "
                    "time window, which procstage does not evaluate",
                    type);
    if (k->type == CT_VALUE_COUNT && k->value_field < 0)
        return fail(c, cond ? cond : cn, "invalid rule", "value_count needs condition.field");
    if (k->type == CT_TEMPORAL || k->type == CT_TEMPORAL_ORDERED) {
        if (!k->has_min) {
            k->has_min = true;
            k->min = (double)k->nrefs;
        }
        if (k->min < 1 || k->min > (double)k->nrefs)
            return fail(c, cond, "invalid rule", "a temporal condition counts 1 to %zu rules", k->nrefs);
    }
    if (k->has_min && k->min > 10000)
        return fail(c, cond, "limit exceeded", "a correlation count above 10000");
    al = ps_ymap_get(cn, "aliases");
    if (al) {
        if (al->type != PS_Y_MAP)
            return fail(c, al, "invalid rule", "aliases must be a mapping");
        for (i = 0; i < al->n; i++) {
            const ps_ynode *m = ps_ymap_val(al, i);
            if (!scalar(ps_ymap_key(al, i)) || m->type != PS_Y_MAP)
                return fail(c, m, "invalid rule", "an alias maps rule names to field names");
            for (j = 0; j < m->n; j++) {
                const char *rn = scalar(ps_ymap_key(m, j)), *fn = scalar(ps_ymap_val(m, j));
                size_t n = k->naliases + 1;
                char **a1;
                if (!(a1 = realloc(k->alias_name, n * sizeof *a1)))
                    return nomem(c);
                k->alias_name = a1;
                if (!(a1 = realloc(k->alias_rule, n * sizeof *a1)))
                    return nomem(c);
                k->alias_rule = a1;
                if (!(a1 = realloc(k->alias_field, n * sizeof *a1)))
                    return nomem(c);
                k->alias_field = a1;
                if (!rn || !fn)
                    return fail(c, m, "invalid rule", "an alias maps rule names to field names");
                k->alias_name[k->naliases] = ps_strdup(ps_ymap_key(al, i)->value);
                k->alias_rule[k->naliases] = ps_strdup(rn);
                k->alias_field[k->naliases] = ps_strdup(fn);
                k->naliases++;
                if (!k->alias_name[k->naliases - 1] || !k->alias_rule[k->naliases - 1] ||
                    !k->alias_field[k->naliases - 1] || fdict_intern(&c->rs->dict, fn) < 0)
                    return nomem(c);
            }
        }
    }
    for (i = 0; i < k->ngroup; i++)
        if (fdict_intern(&c->rs->dict, k->group[i]) < 0)
            return nomem(c);
    gen = ps_ymap_get(root, "generate");
    if (!gen)
        gen = ps_ymap_get(cn, "generate");
    if (gen) {
        const char *g = scalar(gen);
        if (!g || (strcmp(g, "true") && strcmp(g, "false")))
            return fail(c, gen, "invalid rule", "generate is true or false");
        k->generate = !strcmp(g, "true");
    }
    return 0;
}

/* ---- rules --------------------------------------------------------------------------------- */

void ps_rule_release(rule *r)
{
    size_t i;

    free(r->id);
    free(r->name);
    free(r->title);
    free(r->status);
    free(r->file);
    free(r->description);
    free(r->technique);
    free(r->lsname);
    for (i = 0; i < r->nsels; i++)
        sel_release(&r->sels[i]);
    free(r->sels);
    ps_cond_release(&r->cond);
    free(r->fields);
    for (i = 0; i < r->nsev; i++) {
        sel_release(&r->sev[i].s);
        free(r->sev[i].technique);
    }
    free(r->sev);
    for (i = 0; i < r->nevk; i++) {
        free(r->evk[i].key);
        if (r->evk[i].extract)
            pcre2_code_free(r->evk[i].extract);
    }
    free(r->evk);
    for (i = 0; i < r->neve; i++)
        free(r->eve[i].role);
    free(r->eve);
    if (r->corr) {
        corr *k = r->corr;
        for (i = 0; i < k->nrefs; i++)
            free(k->refs[i]);
        free(k->refs);
        free(k->rules);
        for (i = 0; i < k->ngroup; i++)
            free(k->group[i]);
        free(k->group);
        free(k->gfield);
        free(k->value_name);
        for (i = 0; i < k->naliases; i++) {
            free(k->alias_name[i]);
            free(k->alias_rule[i]);
            free(k->alias_field[i]);
        }
        free(k->alias_name);
        free(k->alias_rule);
        free(k->alias_field);
        free(k);
    }
    free(r->consumers);
    free(r->pre_gid);
    free(r->pre_field);
    memset(r, 0, sizeof *r);
}

int ps_ruleset_problem(ps_ruleset *rs, const char *file, int line, int col, const char *title, const char *id,
                       const char *kind, const char *fmt, ...)
{
    ps_rule_problem *p;
    char msg[800];
    va_list ap;

    if (rs->nproblems == rs->pcap) {
        size_t nc = rs->pcap ? rs->pcap * 2 : 32;
        ps_rule_problem *np = realloc(rs->problems, nc * sizeof *np);
        if (!np)
            return PS_ERR_NOMEM;
        rs->problems = np;
        rs->pcap = nc;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p = &rs->problems[rs->nproblems];
    memset(p, 0, sizeof *p);
    p->file = ps_strdup(file ? file : "?");
    p->title = title ? ps_strdup(title) : NULL;
    p->id = id ? ps_strdup(id) : NULL;
    p->reason = ps_strdup(msg);
    p->kind = ps_strdup(kind);
    p->line = line;
    p->col = col;
    rs->nproblems++;
    if (!p->file || !p->reason || !p->kind)
        return PS_ERR_NOMEM;
    return 0;
}

int ps_rule_compile_doc(ps_ruleset *rs, const ps_ydoc *doc, const ps_ynode *root, bool builtin, ps_error *err)
{
    cctx c;
    rule r;
    const ps_ynode *lvl, *tags, *corrn;
    const char *title, *action;
    int rc = 0;
    size_t i;

    memset(&c, 0, sizeof c);
    memset(&r, 0, sizeof r);
    c.rs = rs;
    c.doc = doc;
    c.r = &r;
    r.lskey = -1;
    rs->documents++;
    title = scalar(ps_ymap_get(root, "title"));
    if (!root || root->type != PS_Y_MAP) {
        rc = fail(&c, root, "invalid rule", "a rule is a YAML mapping");
        goto bad;
    }
    r.title = title ? ps_strdup(title) : NULL;
    r.id = dup_scalar(root, "id");
    r.name = dup_scalar(root, "name");
    r.status = dup_scalar(root, "status");
    r.description = dup_scalar(root, "description");
    r.file = ps_strdup(doc->name);
    r.line = root->line;
    r.builtin = builtin;
    if (!r.file || (title && !r.title) || (scalar(ps_ymap_get(root, "id")) && !r.id) ||
        (scalar(ps_ymap_get(root, "name")) && !r.name) || (scalar(ps_ymap_get(root, "status")) && !r.status) ||
        (scalar(ps_ymap_get(root, "description")) && !r.description))
        goto oom;
    action = scalar(ps_ymap_get(root, "action"));
    if (action) {
        rc = fail(&c, ps_ymap_get(root, "action"), "unsupported rule",
                  "rule collections ('action: %s') are Sigma 1.0 syntax procstage does not read", action);
        goto bad;
    }
    if (ps_ymap_get(root, "filter") && !ps_ymap_get(root, "detection")) {
        rc = fail(&c, ps_ymap_get(root, "filter"), "unsupported rule", "Sigma filters (meta filter rules)");
        goto bad;
    }
    if (!title) {
        rc = fail(&c, root, "invalid rule", "no title");
        goto bad;
    }
    lvl = ps_ymap_get(root, "level");
    r.level = level_rank(scalar(lvl));
    if (r.level < 0) {
        rc = fail(&c, lvl, "invalid rule", "unknown level '%s'", scalar(lvl) ? scalar(lvl) : "?");
        goto bad;
    }
    tags = ps_ymap_get(root, "tags");
    if (techniques(tags, NULL, &r.technique) < 0)
        goto oom;
    corrn = ps_ymap_get(root, "correlation");
    if (corrn) {
        if ((rc = compile_correlation(&c, root, corrn)) < 0)
            goto bad;
    } else {
        if ((rc = compile_logsource(&c, ps_ymap_get(root, "logsource"))) < 0 ||
            (rc = compile_detection(&c, ps_ymap_get(root, "detection"))) < 0)
            goto bad;
        if (ps_ymap_get(root, "procstage") &&
            (rc = compile_procstage(&c, ps_ymap_get(root, "procstage"), tags)) < 0)
            goto bad;
        if (r.nvalues > PS_RULE_MAX_VALUES) {
            rc = fail(&c, ps_ymap_get(root, "detection"), "limit exceeded", "more than %d values in the rule",
                      PS_RULE_MAX_VALUES);
            goto bad;
        }
    }
    if (rs->bytes_file != rs->files) {
        rs->bytes_file = rs->files;
        rs->file_bytes = 0;
    }
    if (rs->file_bytes + c.bytes > PS_RULE_MAX_COMPILED_FILE) {
        rc = fail(&c, root, "limit exceeded", "the rules of the file come to more than %u MiB of values",
                  PS_RULE_MAX_COMPILED_FILE >> 20);
        goto bad;
    }
    rs->file_bytes += c.bytes;
    /* duplicate ids: the first one wins */
    if (r.id)
        for (i = 0; i < rs->n; i++)
            if (rs->rules[i].id && !strcmp(rs->rules[i].id, r.id)) {
                rc = fail(&c, ps_ymap_get(root, "id"), "duplicate id", "id '%s' is already used by '%s' (%s)", r.id,
                          rs->rules[i].title, rs->rules[i].file);
                goto bad;
            }
    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 64;
        rule *nr = realloc(rs->rules, nc * sizeof *nr);
        if (!nr)
            goto oom;
        rs->rules = nr;
        rs->cap = nc;
    }
    rs->rules[rs->n++] = r;
    return 0;
bad:
    if (rc == PS_ERR_NOMEM)
        goto oom;
    rc = ps_ruleset_problem(rs, doc->name, c.line ? c.line : (root ? root->line : 0), c.col, title,
                            scalar(ps_ymap_get(root, "id")), c.kind ? c.kind : "invalid rule", "%s", c.msg);
    ps_rule_release(&r);
    return rc == PS_ERR_NOMEM ? ps_error_nomem(err) : 0;
oom:
    ps_rule_release(&r);
    return ps_error_nomem(err);
}
