/*
 * cond.c - Sigma conditions: identifiers (with * wildcards in "of"),
 * and, or, not, parentheses, "1 of X", "all of X", "N of X", "any of X",
 * "them" (every identifier not starting with '_').  Precedence: not, and,
 * or.  Nesting is limited (PS_RULE_MAX_COND_DEPTH) so that a hostile rule
 * cannot exhaust the stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_engine/internal.h"

enum { T_END, T_LP, T_RP, T_WORD };

typedef struct lexer {
    const char *p;
    int tok;
    const char *w;
    size_t wn;
    const sel *sels;
    size_t nsels;
    cond *c;
    char *msg;
    size_t cap;
    int depth;
    int err;
} lexer;

static void next(lexer *l)
{
    while (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r')
        l->p++;
    if (!*l->p) {
        l->tok = T_END;
        return;
    }
    if (*l->p == '(') {
        l->tok = T_LP;
        l->p++;
        return;
    }
    if (*l->p == ')') {
        l->tok = T_RP;
        l->p++;
        return;
    }
    l->w = l->p;
    while (*l->p && *l->p != ' ' && *l->p != '\t' && *l->p != '\n' && *l->p != '\r' && *l->p != '(' && *l->p != ')')
        l->p++;
    l->wn = (size_t)(l->p - l->w);
    l->tok = T_WORD;
}

static bool word_is(const lexer *l, const char *kw)
{
    return l->tok == T_WORD && strlen(kw) == l->wn && ps_strneq_ci(l->w, kw, l->wn);
}

static int bad(lexer *l, int code, const char *fmt, const char *arg, size_t n)
{
    if (!l->err) {
        char tmp[200];
        snprintf(tmp, sizeof tmp, "%.*s", (int)(n < 150 ? n : 150), arg ? arg : "");
        snprintf(l->msg, l->cap, fmt, tmp);
        l->err = code;
    }
    return -1;
}

static int add(lexer *l, const cnode *n)
{
    cond *c = l->c;
    if (c->nn == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        cnode *nn = realloc(c->n, nc * sizeof *nn);
        if (!nn) {
            l->err = PS_ERR_NOMEM;
            return -1;
        }
        c->n = nn;
        c->cap = nc;
    }
    c->n[c->nn] = *n;
    return (int)c->nn++;
}

static bool name_match(const char *pat, size_t pn, const char *name)
{
    uint8_t wild[256];
    size_t i;
    if (pn >= sizeof wild)
        return false;
    for (i = 0; i < pn; i++)
        wild[i] = pat[i] == '*' ? 1 : 0;
    return ps_glob_match(pat, wild, pn, name, strlen(name));
}

static int parse_or(lexer *l);

static int parse_primary(lexer *l)
{
    cnode n;
    memset(&n, 0, sizeof n);
    if (++l->depth > PS_RULE_MAX_COND_DEPTH)
        return bad(l, PS_ERR_LIMIT, "nested deeper than %s levels", "64", 2);
    if (l->tok == T_LP) {
        int r;
        next(l);
        r = parse_or(l);
        if (r < 0)
            return -1;
        if (l->tok != T_RP)
            return bad(l, PS_ERR_INPUT, "missing ')'%s", "", 0);
        next(l);
        l->depth--;
        return r;
    }
    if (l->tok != T_WORD)
        return bad(l, PS_ERR_INPUT, "expected an identifier%s", l->tok == T_RP ? " before ')'" : " at the end", 0);
    if (word_is(l, "not")) {
        int a;
        next(l);
        a = parse_primary(l);
        if (a < 0)
            return -1;
        n.op = C_NOT;
        n.a = a;
        l->depth--;
        return add(l, &n);
    }
    if (word_is(l, "and") || word_is(l, "or") || word_is(l, "of"))
        return bad(l, PS_ERR_INPUT, "unexpected '%s'", l->w, l->wn);
    {
        /* quantifier? */
        const char *w = l->w;
        size_t wn = l->wn;
        const char *save = l->p;
        int need = 0;
        bool quant = false;
        if (wn == 3 && ps_strneq_ci(w, "all", 3)) {
            need = -1;
            quant = true;
        } else if (wn == 3 && ps_strneq_ci(w, "any", 3)) {
            need = 1;
            quant = true;
        } else if (wn > 0 && wn < 6) {
            size_t i;
            quant = true;
            for (i = 0; i < wn; i++)
                if (w[i] < '0' || w[i] > '9')
                    quant = false;
            if (quant)
                need = atoi(w);
        }
        if (quant) {
            next(l);
            if (!word_is(l, "of")) {
                /* not a quantifier after all: an identifier called "1" or "all" */
                l->p = save;
                l->tok = T_WORD;
                l->w = w;
                l->wn = wn;
                quant = false;
            }
        }
        if (quant) {
            size_t i;
            bool them;
            next(l);
            if (l->tok != T_WORD)
                return bad(l, PS_ERR_INPUT, "'of' needs identifiers or 'them'%s", "", 0);
            if (need == 0)
                return bad(l, PS_ERR_INPUT, "'0 of' never matches%s", "", 0);
            them = word_is(l, "them");
            n.op = C_OF;
            n.need = need;
            n.sels = calloc(l->nsels ? l->nsels : 1, sizeof *n.sels);
            if (!n.sels) {
                l->err = PS_ERR_NOMEM;
                return -1;
            }
            for (i = 0; i < l->nsels; i++)
                if (them ? l->sels[i].name[0] != '_' : name_match(l->w, l->wn, l->sels[i].name))
                    n.sels[n.nsels++] = (int)i;
            if (!n.nsels) {
                free(n.sels);
                return bad(l, PS_ERR_INPUT, "'%s' matches no detection identifier", l->w, l->wn);
            }
            if (need > 0 && (size_t)need > n.nsels) {
                free(n.sels);
                return bad(l, PS_ERR_INPUT, "asks for more identifiers than '%s' matches", l->w, l->wn);
            }
            next(l);
            l->depth--;
            {
                int r = add(l, &n);
                if (r < 0)
                    free(n.sels);
                return r;
            }
        }
    }
    {
        size_t i;
        for (i = 0; i < l->nsels; i++)
            if (strlen(l->sels[i].name) == l->wn && !strncmp(l->sels[i].name, l->w, l->wn))
                break;
        if (i == l->nsels)
            return bad(l, PS_ERR_INPUT, "unknown identifier '%s'", l->w, l->wn);
        n.op = C_SEL;
        n.sel = (int)i;
        next(l);
        l->depth--;
        return add(l, &n);
    }
}

static int parse_and(lexer *l)
{
    int a = parse_primary(l);
    while (a >= 0 && word_is(l, "and")) {
        cnode n;
        int b;
        next(l);
        b = parse_primary(l);
        if (b < 0)
            return -1;
        memset(&n, 0, sizeof n);
        n.op = C_AND;
        n.a = a;
        n.b = b;
        a = add(l, &n);
    }
    return a;
}

static int parse_or(lexer *l)
{
    int a = parse_and(l);
    while (a >= 0 && word_is(l, "or")) {
        cnode n;
        int b;
        next(l);
        b = parse_and(l);
        if (b < 0)
            return -1;
        memset(&n, 0, sizeof n);
        n.op = C_OR;
        n.a = a;
        n.b = b;
        a = add(l, &n);
    }
    return a;
}

int ps_cond_parse(cond *c, const char *text, const sel *sels, size_t nsels, char *msg, size_t cap)
{
    lexer l;
    int root;

    memset(&l, 0, sizeof l);
    l.p = text;
    l.sels = sels;
    l.nsels = nsels;
    l.c = c;
    l.msg = msg;
    l.cap = cap;
    msg[0] = '\0';
    next(&l);
    if (l.tok == T_END) {
        snprintf(msg, cap, "empty");
        return PS_ERR_INPUT;
    }
    root = parse_or(&l);
    if (root >= 0 && l.tok != T_END)
        bad(&l, PS_ERR_INPUT, "unexpected '%s'", l.tok == T_RP ? ")" : l.w, l.tok == T_RP ? 1 : l.wn);
    if (l.err)
        return l.err;
    c->root = root;
    return 0;
}

void ps_cond_release(cond *c)
{
    size_t i;
    for (i = 0; i < c->nn; i++)
        if (c->n[i].op == C_OF)
            free(c->n[i].sels);
    free(c->n);
    memset(c, 0, sizeof *c);
}
