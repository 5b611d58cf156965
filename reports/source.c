/*
 * source.c - reports over the source catalogue (see source.h).
 */
#include "config.h"

#include "reports/source.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/creation.h"
#include "common/json.h"

#define MAX_TREE_DEPTH 8

typedef struct rparam {
    char *name, *type, *dir, *annotation;
    bool optional;
} rparam;

typedef struct rcall {
    char *callee;
    int line, stage;             /* stage: from a tag at the call; 0 none */
    long target;                 /* index of the function it names; -1 none */
} rcall;

typedef struct rfn {
    int64_t id;
    char *name, *kind, *source, *signature, *description, *path, *note;
    int stage;                   /* -1 none */
    int line_start, line_end;
    rparam *params;
    size_t nparams;
    rcall *calls;
    size_t ncalls, callcap;
    bool shadowed;               /* a prototype of a defined function */
} rfn;

typedef struct incall {
    size_t caller;               /* index of the calling function */
    size_t call;                 /* index into its calls */
} incall;

typedef struct cat {
    rfn *fns;
    size_t n;
    ps_map by_id;
    ps_map by_name;              /* name hash -> defining index + 1 */
    size_t files;
    /* calls into each function: in[in_first[f] .. in_first[f + 1]) */
    incall *in;
    size_t *in_first;
    /* the shortest chain from an entry point: parent (-1 entry point, -2 none) */
    long *parent;
    bool *oom;                   /* set when an output buffer could not grow */
} cat;

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? ps_strdup((const char *)t) : NULL;
}

static void cat_free(cat *c)
{
    size_t i, k;
    for (i = 0; i < c->n; i++) {
        rfn *f = &c->fns[i];
        free(f->name);
        free(f->kind);
        free(f->source);
        free(f->signature);
        free(f->description);
        free(f->path);
        free(f->note);
        for (k = 0; k < f->nparams; k++) {
            free(f->params[k].name);
            free(f->params[k].type);
            free(f->params[k].dir);
            free(f->params[k].annotation);
        }
        free(f->params);
        for (k = 0; k < f->ncalls; k++)
            free(f->calls[k].callee);
        free(f->calls);
    }
    free(c->fns);
    free(c->in);
    free(c->in_first);
    free(c->parent);
    ps_map_release(&c->by_id);
    ps_map_release(&c->by_name);
}

/* Incoming calls per function, and the shortest chains from the entry
 * points (functions nobody in the catalogue calls) by one breadth-first
 * search from all of them. */
static int cat_index(cat *c, ps_error *err)
{
    size_t i, k, total = 0, *fill, *queue, qh = 0, qt = 0;

    c->in_first = calloc(c->n + 1, sizeof *c->in_first);
    c->parent = malloc((c->n ? c->n : 1) * sizeof *c->parent);
    fill = calloc(c->n + 1, sizeof *fill);
    queue = malloc((c->n ? c->n : 1) * sizeof *queue);
    if (!c->in_first || !c->parent || !fill || !queue) {
        free(fill);
        free(queue);
        return ps_error_nomem(err);
    }
    for (i = 0; i < c->n; i++)
        for (k = 0; k < c->fns[i].ncalls; k++)
            if (c->fns[i].calls[k].target >= 0) {
                c->in_first[c->fns[i].calls[k].target + 1]++;
                total++;
            }
    for (i = 0; i < c->n; i++)
        c->in_first[i + 1] += c->in_first[i];
    c->in = malloc((total ? total : 1) * sizeof *c->in);
    if (!c->in) {
        free(fill);
        free(queue);
        return ps_error_nomem(err);
    }
    for (i = 0; i < c->n; i++)
        for (k = 0; k < c->fns[i].ncalls; k++) {
            long t = c->fns[i].calls[k].target;
            if (t >= 0) {
                incall *x = &c->in[c->in_first[t] + fill[t]++];
                x->caller = i;
                x->call = k;
            }
        }
    for (i = 0; i < c->n; i++) {
        bool called = false;
        for (k = c->in_first[i]; k < c->in_first[i + 1] && !called; k++)
            called = c->in[k].caller != i;
        c->parent[i] = called ? -2 : -1;
        if (!called)
            queue[qt++] = i;
    }
    while (qh < qt) {
        size_t x = queue[qh++];
        for (k = 0; k < c->fns[x].ncalls; k++) {
            long t = c->fns[x].calls[k].target;
            if (t >= 0 && c->parent[t] == -2) {
                c->parent[t] = (long)x;
                queue[qt++] = (size_t)t;
            }
        }
    }
    free(fill);
    free(queue);
    return 0;
}

static uint64_t hname(const char *s)
{
    return ps_hash_bytes(s, strlen(s), 0x52455054ULL);
}

static bool has_table(ps_store *s)
{
    sqlite3_stmt *st;
    bool have = false;
    if (sqlite3_prepare_v2(ps_store_db(s), "SELECT 1 FROM sqlite_master WHERE name = 'src_functions'", -1, &st,
                           NULL) == SQLITE_OK)
        have = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return have;
}

static const rfn *target_of(const cat *c, const char *name)
{
    uint64_t v;
    if (ps_map_get(&c->by_name, hname(name), &v) && !strcmp(c->fns[v - 1].name, name))
        return &c->fns[v - 1];
    return NULL;
}

static int cat_load(ps_store *s, cat *c, bool *oom, ps_error *err)
{
    sqlite3 *db = ps_store_db(s);
    sqlite3_stmt *st;
    size_t cap = 0, i;

    memset(c, 0, sizeof *c);
    *oom = false;
    c->oom = oom;
    ps_map_init(&c->by_id);
    ps_map_init(&c->by_name);
    if (!has_table(s))
        return 0;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM src_files", -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    if (sqlite3_step(st) == SQLITE_ROW)
        c->files = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db,
                           "SELECT f.function_id, f.name, f.kind, f.stage, f.stage_source, f.signature, "
                           "f.description, f.line_start, f.line_end, s.path, f.note FROM src_functions f "
                           "JOIN src_files s USING (file_id) ORDER BY s.path, f.line_start, f.function_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    while (sqlite3_step(st) == SQLITE_ROW) {
        rfn *f;
        if (c->n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            rfn *nf = realloc(c->fns, nc * sizeof *nf);
            if (!nf) {
                sqlite3_finalize(st);
                return ps_error_nomem(err);
            }
            c->fns = nf;
            cap = nc;
        }
        f = &c->fns[c->n++];
        memset(f, 0, sizeof *f);
        f->id = sqlite3_column_int64(st, 0);
        f->name = col_dup(st, 1);
        f->kind = col_dup(st, 2);
        f->stage = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 3);
        f->source = col_dup(st, 4);
        f->signature = col_dup(st, 5);
        f->description = col_dup(st, 6);
        f->line_start = sqlite3_column_int(st, 7);
        f->line_end = sqlite3_column_int(st, 8);
        f->path = col_dup(st, 9);
        f->note = col_dup(st, 10);
        if (!f->name || !f->kind || !f->path || ps_map_put(&c->by_id, (uint64_t)f->id, c->n) < 0) {
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
    }
    sqlite3_finalize(st);
    /* names: a definition wins over a prototype; the first of each wins */
    for (i = 0; i < c->n; i++) {
        uint64_t v, h = hname(c->fns[i].name);
        bool proto = !strcmp(c->fns[i].kind, "prototype");
        if (ps_map_get(&c->by_name, h, &v)) {
            rfn *o = &c->fns[v - 1];
            if (!strcmp(o->name, c->fns[i].name) && !strcmp(o->kind, "prototype") && !proto) {
                o->shadowed = true;
                ps_map_put(&c->by_name, h, i + 1);
            } else if (!strcmp(o->name, c->fns[i].name) && proto) {
                c->fns[i].shadowed = true;
            }
            continue;
        }
        if (ps_map_put(&c->by_name, h, i + 1) < 0)
            return ps_error_nomem(err);
    }
    if (sqlite3_prepare_v2(db, "SELECT function_id, name, type, direction, optional, annotation FROM src_params "
                               "ORDER BY function_id, position",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint64_t v;
        rfn *f;
        rparam *np;
        if (!ps_map_get(&c->by_id, (uint64_t)sqlite3_column_int64(st, 0), &v))
            continue;
        f = &c->fns[v - 1];
        np = realloc(f->params, (f->nparams + 1) * sizeof *np);
        if (!np) {
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
        f->params = np;
        np = &f->params[f->nparams++];
        np->name = col_dup(st, 1);
        np->type = col_dup(st, 2);
        np->dir = col_dup(st, 3);
        np->optional = sqlite3_column_int(st, 4) != 0;
        np->annotation = col_dup(st, 5);
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(db, "SELECT caller_id, callee, line, stage FROM src_calls ORDER BY caller_id, seq", -1,
                           &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint64_t v;
        rfn *f;
        rcall *k;
        const rfn *t;
        if (!ps_map_get(&c->by_id, (uint64_t)sqlite3_column_int64(st, 0), &v))
            continue;
        f = &c->fns[v - 1];
        if (f->ncalls == f->callcap) {
            size_t nc = f->callcap ? f->callcap * 2 : 16;
            rcall *ncs = realloc(f->calls, nc * sizeof *ncs);
            if (!ncs) {
                sqlite3_finalize(st);
                return ps_error_nomem(err);
            }
            f->calls = ncs;
            f->callcap = nc;
        }
        k = &f->calls[f->ncalls++];
        k->callee = col_dup(st, 1);
        k->line = sqlite3_column_int(st, 2);
        k->stage = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 3);
        t = k->callee ? target_of(c, k->callee) : NULL;
        k->target = t ? (long)(t - c->fns) : -1;
        if (!k->callee) {
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
    }
    sqlite3_finalize(st);
    return cat_index(c, err);
}

/* Whether call k of f is the first call of its callee in f (a set of the
 * names seen, filled while walking the calls in order). */
static bool first_of_name(const rfn *f, size_t k, ps_map *seen)
{
    uint64_t h = hname(f->calls[k].callee), v;
    if (ps_map_get(seen, h, &v) && !strcmp(f->calls[v - 1].callee, f->calls[k].callee))
        return false;
    ps_map_put(seen, h, k + 1);
    return true;
}

/* A text column, "" for NULL. */
static const char *text_or(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* the stage a call site belongs to: its own tag, else its caller's */
static int site_stage(const rfn *caller, const rcall *k)
{
    return k->stage ? k->stage : caller->stage;
}

/* Whether f is called by a function of stage `stage` at a call site of
 * that stage (then it hangs in that function's tree). */
static bool called_in_stage(const cat *c, const rfn *f, int stage)
{
    size_t fi = (size_t)(f - c->fns), k;
    for (k = c->in_first[fi]; k < c->in_first[fi + 1]; k++) {
        const rfn *caller = &c->fns[c->in[k].caller];
        if (caller != f && caller->stage == stage && site_stage(caller, &caller->calls[c->in[k].call]) == stage)
            return true;
    }
    return false;
}

/* The chain from the nearest entry point down to f into chain[] (at most
 * cap, the ones nearest to f); *cut says that entries were left out. */
static size_t chain_to(const cat *c, size_t f, size_t *chain, size_t cap, bool *cut)
{
    size_t n = 0, i;
    long x = (long)f;

    *cut = false;
    if (c->parent[f] == -2) {   /* only reached through a cycle */
        chain[0] = f;
        return 1;
    }
    for (; x >= 0; x = c->parent[x]) {
        if (n == cap) {
            *cut = true;
            break;
        }
        chain[n++] = (size_t)x;
    }
    for (i = 0; i < n / 2; i++) {
        size_t t = chain[i];
        chain[i] = chain[n - 1 - i];
        chain[n - 1 - i] = t;
    }
    return n;
}

static void params_text(const cat *c, ps_buf *b, const rfn *f)
{
    size_t i;
    bool bad = ps_buf_putc(b, '(') < 0;
    for (i = 0; i < f->nparams; i++) {
        const rparam *p = &f->params[i];
        bad |= ps_buf_printf(b, "%s%s%s%s%s%s", i ? ", " : "", p->dir ? p->dir : "-", p->optional ? " opt" : "",
                             p->type ? " " : "", p->type ? p->type : "", p->name ? " " : "") < 0;
        if (p->name)
            bad |= ps_buf_puts(b, p->name) < 0;
    }
    bad |= ps_buf_putc(b, ')') < 0;
    if (bad)
        *c->oom = true;
}

/* ---- text ------------------------------------------------------------------------------ */

static void text_node(const cat *c, const ps_report_opts *o, size_t fi, int stage, int depth, bool *shown)
{
    FILE *out = o->out;
    const rfn *f = &c->fns[fi];
    ps_buf b;
    ps_map seen;
    size_t k;
    int ind = 2 + depth * 4;
    bool any = false;

    ps_buf_init(&b);
    params_text(c, &b, f);
    fprintf(out, "%*s%s%s%s%s  %s%s%s  %s:%d-%d%s%s%s\n", ind, "", depth ? "-> " : "", ps_color(o, PS_C_BOLD), f->name,
            ps_color(o, PS_C_RESET), ps_color(o, PS_C_DIM), f->source ? f->source : "-", ps_color(o, PS_C_RESET),
            f->path, f->line_start, f->line_end, strcmp(f->kind, "definition") ? " [" : "",
            strcmp(f->kind, "definition") ? f->kind : "", strcmp(f->kind, "definition") ? "]" : "");
    fprintf(out, "%*s%s%s\n", ind + (depth ? 3 : 0) + 2, "", f->name, ps_buf_cstr(&b));
    if (f->note && strstr(f->note, "named after"))
        fprintf(out, "%*s%s\n", ind + (depth ? 3 : 0) + 2, "", f->note);
    ps_buf_reset(&b);
    shown[fi] = true;
    /* callees not followed here: undefined, other stages, already shown */
    ps_map_init(&seen);
    for (k = 0; k < f->ncalls; k++) {
        const rcall *cl = &f->calls[k];
        if (cl->target >= 0 && c->fns[cl->target].stage == stage && site_stage(f, cl) == stage &&
            strcmp(c->fns[cl->target].kind, "prototype") && depth + 1 < MAX_TREE_DEPTH)
            continue;
        if (!first_of_name(f, k, &seen))
            continue;
        if (ps_buf_printf(&b, "%s%s", any ? ", " : "", cl->callee) < 0 ||
            (cl->stage && cl->stage != stage && ps_buf_printf(&b, " (@stage %d)", cl->stage) < 0) ||
            (!(cl->stage && cl->stage != stage) && cl->target >= 0 && c->fns[cl->target].stage >= 0 &&
             c->fns[cl->target].stage != stage && ps_buf_printf(&b, " (stage %d)", c->fns[cl->target].stage) < 0))
            *c->oom = true;
        any = true;
    }
    if (any)
        fprintf(out, "%*scalls: %s\n", ind + (depth ? 3 : 0) + 2, "", ps_buf_cstr(&b));
    ps_buf_release(&b);
    ps_map_clear(&seen);
    for (k = 0; k < f->ncalls; k++) {
        const rcall *cl = &f->calls[k];
        if (!(cl->target >= 0 && c->fns[cl->target].stage == stage && site_stage(f, cl) == stage &&
              strcmp(c->fns[cl->target].kind, "prototype") && depth + 1 < MAX_TREE_DEPTH))
            continue;
        if (!first_of_name(f, k, &seen))
            continue;
        if (shown[cl->target]) {
            fprintf(out, "%*s-> %s (shown above)\n", ind + 4, "", c->fns[cl->target].name);
            continue;
        }
        text_node(c, o, (size_t)cl->target, stage, depth + 1, shown);
    }
    ps_map_release(&seen);
}

static void text_chain(const cat *c, FILE *out, size_t fi)
{
    size_t chain[16], n, i;
    bool cut;
    n = chain_to(c, fi, chain, PS_ARRAY_LEN(chain), &cut);
    if (n < 2)
        return;
    fprintf(out, "    chain: %s", cut ? "... -> " : "");
    for (i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? " -> " : "", c->fns[chain[i]].name);
    fputc('\n', out);
}

static int summary_counts(ps_store *s, int64_t v[8])
{
    static const char *const q[8] = {
        "SELECT count(*) FROM src_functions WHERE kind = 'definition'",
        "SELECT count(*) FROM src_functions WHERE kind = 'excerpt'",
        "SELECT count(*) FROM src_functions WHERE kind = 'prototype'",
        "SELECT count(*) FROM src_calls",
        "SELECT count(*) FROM src_functions WHERE stage_source = 'tag'",
        "SELECT count(*) FROM src_functions WHERE stage_source = 'map'",
        "SELECT count(*) FROM src_functions WHERE stage_source = 'inferred'",
        "SELECT count(*) FROM src_conflicts",
    };
    int i;
    memset(v, 0, 8 * sizeof *v);
    if (!has_table(s))
        return 0;   /* a model from before the catalogue: nothing scanned */
    for (i = 0; i < 8; i++) {
        sqlite3_stmt *st;
        v[i] = 0;
        if (sqlite3_prepare_v2(ps_store_db(s), q[i], -1, &st, NULL) != SQLITE_OK)
            return -1;
        if (sqlite3_step(st) == SQLITE_ROW)
            v[i] = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return 0;
}

static bool is_root(const cat *c, const rfn *f, int stage)
{
    return f->stage == stage && !f->shadowed && !called_in_stage(c, f, stage);
}

static int report_text(ps_store *s, const cat *c, const ps_report_opts *o, int only, ps_error *err)
{
    FILE *out = o->out;
    int64_t v[8];
    bool *seen;
    size_t i;
    int st, shown = 0;

    if (summary_counts(s, v) < 0)
        return ps_report_db_error(s, err);
    fprintf(out, "%sSOURCE CATALOGUE%s  %zu file%s, %lld function%s, %lld excerpt%s, %lld prototype%s, %lld call%s\n",
            ps_color(o, PS_C_BOLD), ps_color(o, PS_C_RESET), c->files, c->files == 1 ? "" : "s", (long long)v[0],
            v[0] == 1 ? "" : "s", (long long)v[1], v[1] == 1 ? "" : "s", (long long)v[2], v[2] == 1 ? "" : "s",
            (long long)v[3], v[3] == 1 ? "" : "s");
    fprintf(out, "  stages: %lld from @stage tags, %lld from the stage map, %lld inferred; %lld conflict%s\n",
            (long long)v[4], (long long)v[5], (long long)v[6], (long long)v[7], v[7] == 1 ? "" : "s");
    if (!c->files) {
        fprintf(out, "  no source in this database: procstage source scan PATH... -o DB\n");
        return 0;
    }
    seen = calloc(c->n ? c->n : 1, sizeof *seen);
    if (!seen)
        return ps_error_nomem(err);
    for (st = 1; st <= 6; st++) {
        size_t count = 0;
        if (only && st != only)
            continue;
        for (i = 0; i < c->n; i++)
            if (c->fns[i].stage == st && !c->fns[i].shadowed)
                count++;
        fprintf(out, "\n%sSTAGE %d  %s%s  (%zu function%s)\n", ps_color(o, PS_C_BOLD), st, ps_stage_name(st),
                ps_color(o, PS_C_RESET), count, count == 1 ? "" : "s");
        memset(seen, 0, c->n * sizeof *seen);
        for (i = 0; i < c->n; i++) {
            if (!is_root(c, &c->fns[i], st))
                continue;
            text_node(c, o, i, st, 0, seen);
            text_chain(c, out, i);
            shown++;
        }
        /* functions of the stage reached only through cycles */
        for (i = 0; i < c->n; i++)
            if (c->fns[i].stage == st && !c->fns[i].shadowed && !seen[i]) {
                text_node(c, o, i, st, 0, seen);
                shown++;
            }
    }
    for (st = 0; !only && st >= -1; st--) {
        size_t n0 = 0;
        for (i = 0; i < c->n; i++)
            if (c->fns[i].stage == st && !c->fns[i].shadowed)
                n0++;
        if (n0) {
            fprintf(out, "\n%s%s%s  (%zu)\n", ps_color(o, PS_C_BOLD),
                    st == 0 ? "NOT CREATION WORK (stage 0 in the map, or called only from it)" : "WITHOUT A STAGE",
                    ps_color(o, PS_C_RESET), n0);
            for (i = 0; i < c->n; i++) {
                ps_buf b;
                if (c->fns[i].stage != st || c->fns[i].shadowed)
                    continue;
                ps_buf_init(&b);
                params_text(c, &b, &c->fns[i]);
                fprintf(out, "  %s%s  %s:%d-%d%s%s%s\n", c->fns[i].name, ps_buf_cstr(&b), c->fns[i].path,
                        c->fns[i].line_start, c->fns[i].line_end, strcmp(c->fns[i].kind, "definition") ? " [" : "",
                        strcmp(c->fns[i].kind, "definition") ? c->fns[i].kind : "",
                        strcmp(c->fns[i].kind, "definition") ? "]" : "");
                ps_buf_release(&b);
            }
        }
    }
    if (!only) {
        {
            sqlite3_stmt *q;
            bool head = false;
            if (sqlite3_prepare_v2(ps_store_db(s), "SELECT name, kind, stages, detail FROM src_conflicts "
                                                   "ORDER BY name, kind",
                                   -1, &q, NULL) != SQLITE_OK) {
                free(seen);
                return ps_report_db_error(s, err);
            }
            while (sqlite3_step(q) == SQLITE_ROW) {
                if (!head)
                    fprintf(out, "\n%sCONFLICTS%s  (not guessed)\n", ps_color(o, PS_C_BOLD), ps_color(o, PS_C_RESET));
                head = true;
                fprintf(out, "  %s  %s: %s\n", text_or(q, 0), text_or(q, 1), text_or(q, 3));
            }
            sqlite3_finalize(q);
        }
    }
    free(seen);
    return 0;
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void json_function(const cat *c, ps_json *j, size_t fi)
{
    const rfn *f = &c->fns[fi];
    size_t i, chain[64], n;
    bool cut;

    ps_json_begin_object(j);
    ps_json_kv_str(j, "name", f->name);
    ps_json_kv_str(j, "kind", f->kind);
    ps_json_kv_str(j, "file", f->path);
    ps_json_kv_int(j, "line_start", f->line_start);
    ps_json_kv_int(j, "line_end", f->line_end);
    ps_json_key(j, "stage");
    if (f->stage >= 0)
        ps_json_int(j, f->stage);
    else
        ps_json_null(j);
    ps_json_kv_str(j, "stage_source", f->source);
    ps_json_kv_str(j, "signature", f->signature);
    ps_json_kv_str(j, "description", f->description);
    ps_json_kv_str(j, "note", f->note);
    ps_json_key(j, "params");
    ps_json_begin_array(j);
    for (i = 0; i < f->nparams; i++) {
        const rparam *p = &f->params[i];
        ps_json_begin_object(j);
        ps_json_kv_int(j, "position", (int64_t)i);
        ps_json_kv_str(j, "name", p->name);
        ps_json_kv_str(j, "type", p->type);
        ps_json_kv_str(j, "direction", p->dir);
        ps_json_key(j, "optional");
        ps_json_bool(j, p->optional);
        ps_json_kv_str(j, "annotation", p->annotation);
        ps_json_end_object(j);
    }
    ps_json_end_array(j);
    ps_json_key(j, "calls");
    ps_json_begin_array(j);
    for (i = 0; i < f->ncalls; i++) {
        const rcall *k = &f->calls[i];
        ps_json_begin_object(j);
        ps_json_kv_str(j, "callee", k->callee);
        ps_json_kv_int(j, "line", k->line);
        ps_json_key(j, "stage");
        if (site_stage(f, k) >= 0)
            ps_json_int(j, site_stage(f, k));
        else
            ps_json_null(j);
        ps_json_key(j, "defined");
        ps_json_bool(j, k->target >= 0);
        ps_json_end_object(j);
    }
    ps_json_end_array(j);
    ps_json_key(j, "chain");
    ps_json_begin_array(j);
    n = chain_to(c, fi, chain, PS_ARRAY_LEN(chain), &cut);
    if (cut)
        ps_json_string(j, "...");
    for (i = 0; i < n; i++)
        ps_json_string(j, c->fns[chain[i]].name);
    ps_json_end_array(j);
    ps_json_end_object(j);
}

static int report_json(ps_store *s, const cat *c, const ps_report_opts *o, int only, ps_error *err)
{
    ps_json j;
    int64_t v[8];
    size_t i;
    int st;

    if (summary_counts(s, v) < 0)
        return ps_report_db_error(s, err);
    ps_json_init_file(&j, o->out, true);
    ps_json_begin_object(&j);
    ps_json_key(&j, "summary");
    ps_json_begin_object(&j);
    ps_json_kv_int(&j, "files", (int64_t)c->files);
    ps_json_kv_int(&j, "functions", v[0]);
    ps_json_kv_int(&j, "excerpts", v[1]);
    ps_json_kv_int(&j, "prototypes", v[2]);
    ps_json_kv_int(&j, "calls", v[3]);
    ps_json_kv_int(&j, "staged_by_tag", v[4]);
    ps_json_kv_int(&j, "staged_by_map", v[5]);
    ps_json_kv_int(&j, "staged_inferred", v[6]);
    ps_json_kv_int(&j, "conflicts", v[7]);
    ps_json_end_object(&j);
    ps_json_key(&j, "stages");
    ps_json_begin_array(&j);
    for (st = 1; st <= 6; st++) {
        if (only && st != only)
            continue;
        ps_json_begin_object(&j);
        ps_json_kv_int(&j, "stage", st);
        ps_json_kv_str(&j, "name", ps_stage_name(st));
        ps_json_key(&j, "entry_points");
        ps_json_begin_array(&j);
        for (i = 0; i < c->n; i++)
            if (is_root(c, &c->fns[i], st))
                ps_json_string(&j, c->fns[i].name);
        ps_json_end_array(&j);
        ps_json_key(&j, "functions");
        ps_json_begin_array(&j);
        for (i = 0; i < c->n; i++)
            if (c->fns[i].stage == st && !c->fns[i].shadowed)
                json_function(c, &j, i);
        ps_json_end_array(&j);
        ps_json_end_object(&j);
    }
    ps_json_end_array(&j);
    if (!only) {
        sqlite3_stmt *q;
        ps_json_key(&j, "not_creation");
        ps_json_begin_array(&j);
        for (i = 0; i < c->n; i++)
            if (c->fns[i].stage == 0 && !c->fns[i].shadowed)
                json_function(c, &j, i);
        ps_json_end_array(&j);
        ps_json_key(&j, "unstaged");
        ps_json_begin_array(&j);
        for (i = 0; i < c->n; i++)
            if (c->fns[i].stage < 0 && !c->fns[i].shadowed)
                json_function(c, &j, i);
        ps_json_end_array(&j);
        ps_json_key(&j, "conflicts");
        ps_json_begin_array(&j);
        if (sqlite3_prepare_v2(ps_store_db(s), "SELECT name, kind, stages, detail FROM src_conflicts "
                                               "ORDER BY name, kind",
                               -1, &q, NULL) != SQLITE_OK)
            return ps_report_db_error(s, err);
        while (sqlite3_step(q) == SQLITE_ROW) {
            ps_json_begin_object(&j);
            ps_json_kv_str(&j, "name", (const char *)sqlite3_column_text(q, 0));
            ps_json_kv_str(&j, "kind", (const char *)sqlite3_column_text(q, 1));
            ps_json_kv_str(&j, "stages", (const char *)sqlite3_column_text(q, 2));
            ps_json_kv_str(&j, "detail", (const char *)sqlite3_column_text(q, 3));
            ps_json_end_object(&j);
        }
        sqlite3_finalize(q);
        ps_json_end_array(&j);
    }
    ps_json_end_object(&j);
    ps_json_finish(&j);
    return 0;
}

int ps_report_source(ps_store *s, const ps_report_opts *o, int stage, ps_error *err)
{
    cat c;
    bool oom;
    int rc;

    if ((rc = cat_load(s, &c, &oom, err)) >= 0)
        rc = o->format == PS_FMT_JSON ? report_json(s, &c, o, stage, err) : report_text(s, &c, o, stage, err);
    cat_free(&c);
    if (rc >= 0 && oom)
        rc = ps_error_nomem(err);
    return rc;
}

/* ---- Graphviz ---------------------------------------------------------------------------- */

static void dot_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        if (*s == '\n') {
            fputs("\\n", out);
            continue;
        }
        fputc(*s, out);
    }
    fputc('"', out);
}

int ps_report_source_dot(ps_store *s, FILE *out, int stage, ps_error *err)
{
    cat c;
    size_t i, k, *edge_mark;
    bool oom, bad = false;
    int st, rc;

    if ((rc = cat_load(s, &c, &oom, err)) < 0) {
        cat_free(&c);
        return rc;
    }
    if (!(edge_mark = calloc(c.n ? c.n : 1, sizeof *edge_mark))) {
        cat_free(&c);
        return ps_error_nomem(err);
    }
    fprintf(out, "digraph procstage_source {\n"
                 "  rankdir=LR;\n"
                 "  node [shape=box, fontname=\"Helvetica\", fontsize=10];\n"
                 "  edge [fontsize=8];\n");
    for (st = 0; st <= 6; st++) {
        bool any = false;
        if (stage && st != stage)
            continue;
        for (i = 0; i < c.n; i++) {
            const rfn *f = &c.fns[i];
            ps_buf label;
            if (f->shadowed || (st ? f->stage != st : f->stage >= 1))
                continue;
            if (!any) {
                if (st)
                    fprintf(out, "  subgraph cluster_stage%d {\n    label=\"%d %s\";\n    style=rounded;\n", st, st,
                            ps_stage_name(st));
                else
                    fprintf(out, "  subgraph cluster_nostage {\n    label=\"no stage\";\n    style=dashed;\n");
                any = true;
            }
            ps_buf_init(&label);
            bad |= ps_buf_printf(&label, "%s\n", f->name) < 0;
            for (k = 0; k < f->nparams && k < 8; k++)
                bad |= ps_buf_printf(&label, "%s%s %s\n", f->params[k].dir ? f->params[k].dir : "-",
                                     f->params[k].optional ? " opt" : "", f->params[k].name ? f->params[k].name : "?") < 0;
            if (f->nparams > 8)
                bad |= ps_buf_printf(&label, "... %zu more\n", f->nparams - 8) < 0;
            if (label.len && label.data[label.len - 1] == '\n')
                label.data[--label.len] = '\0';
            fprintf(out, "    f%lld [label=", (long long)f->id);
            dot_str(out, ps_buf_cstr(&label));
            fprintf(out, ", tooltip=");
            dot_str(out, f->signature ? f->signature : f->name);
            fprintf(out, "%s];\n", f->source && !strcmp(f->source, "inferred") ? ", style=dashed" :
                                   f->source && !strcmp(f->source, "tag") ? ", style=bold" : "");
            ps_buf_release(&label);
        }
        if (any)
            fprintf(out, "  }\n");
    }
    for (i = 0; i < c.n; i++) {
        const rfn *f = &c.fns[i];
        for (k = 0; k < f->ncalls; k++) {
            const rcall *cl = &f->calls[k];
            const rfn *t;
            if (cl->target < 0)
                continue;
            t = &c.fns[cl->target];
            if (stage && f->stage != stage && t->stage != stage)
                continue;
            if (stage && (f->stage != stage || t->stage != stage) && (f->stage < 1 || t->stage < 1))
                continue;
            if (edge_mark[cl->target] == i + 1 || f->shadowed)
                continue;
            edge_mark[cl->target] = i + 1;
            fprintf(out, "  f%lld -> f%lld", (long long)f->id, (long long)t->id);
            if (cl->stage)
                fprintf(out, " [label=\"@stage %d\"]", cl->stage);
            fprintf(out, ";\n");
        }
    }
    fprintf(out, "}\n");
    free(edge_mark);
    cat_free(&c);
    return bad || oom ? ps_error_nomem(err) : 0;
}

/* ---- WPA stack tags ------------------------------------------------------------------------- */

static void xml_attr(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*s, out);
        }
    }
}

static void entrypoint(FILE *out, const char *module, const char *method)
{
    fputs("      <Entrypoint Module=\"", out);
    xml_attr(out, module);
    fputs("\" Method=\"", out);
    xml_attr(out, method);
    fputs("\"/>\n", out);
}

int ps_export_stacktags(const ps_stage_map *m, FILE *out, ps_error *err)
{
    size_t i, k, a;
    int st;
    bool skipped = false;

    (void)err;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                 "<!-- The six CreateProcess stages as WPA stack tags, written by procstage %s from %s.\n"
                 "     WPA gives a stack the tag of its innermost tagged frame, as procstage's stack\n"
                 "     attribution does (docs/source.md). -->\n"
                 "<Tags>\n"
                 "  <Tag Name=\"CreateProcess\">\n",
            PACKAGE_VERSION, m->source ? m->source : "the stage map");
    for (st = 1; st <= 7; st++) {
        int stage = st == 7 ? 0 : st;
        bool any = false;
        for (i = 0; i < m->n; i++) {
            const ps_stage_entry *e = &m->entries[i];
            if (e->stage != stage || e->nunder)
                continue;
            if (!any) {
                if (stage)
                    fprintf(out, "    <Tag Name=\"%d %s\">\n", stage, ps_stage_name(stage));
                else
                    fprintf(out, "    <Tag Name=\"not creation\">\n");
                any = true;
            }
            if (!e->nmodules)
                entrypoint(out, "*", e->function);
            for (k = 0; k < e->nmodules; k++) {
                entrypoint(out, e->modules[k], e->function);
                for (a = 0; a < m->naliases; a++)
                    if (!strcmp(m->aliases[a].canonical, e->modules[k]))
                        entrypoint(out, m->aliases[a].alias, e->function);
            }
        }
        if (any)
            fprintf(out, "    </Tag>\n");
    }
    fprintf(out, "  </Tag>\n");
    for (i = 0; i < m->n; i++) {
        const ps_stage_entry *e = &m->entries[i];
        if (!e->nunder)
            continue;
        if (!skipped)
            fprintf(out, "  <!-- Not exported: a stack tag cannot require a caller; procstage counts these only\n"
                         "       under the functions named:\n");
        skipped = true;
        fprintf(out, "       ");
        xml_attr(out, e->function);
        fprintf(out, " (stage %d) under ", e->stage);
        for (k = 0; k < e->nunder; k++) {
            fprintf(out, "%s", k ? ", " : "");
            xml_attr(out, e->under[k]);
        }
        fputc('\n', out);
    }
    if (skipped)
        fprintf(out, "  -->\n");
    fprintf(out, "</Tags>\n");
    return 0;
}
