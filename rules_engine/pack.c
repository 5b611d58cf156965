/*
 * pack.c - rulesets: where rules come from (the built-in pack, files,
 * directories), and finishing a ruleset (correlations linked, the dispatch
 * index by logsource).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules_engine/embedded_pack.h"
#include "rules_engine/internal.h"

int ps_ruleset_new(ps_ruleset **out, ps_error *err)
{
    ps_ruleset *rs = calloc(1, sizeof *rs);

    *out = NULL;
    if (!rs)
        return ps_error_nomem(err);
    ps_map_init(&rs->dict.by_hash);
    rs->cctx = pcre2_compile_context_create(NULL);
    if (!rs->cctx) {
        free(rs);
        return ps_error_nomem(err);
    }
    pcre2_set_max_pattern_length(rs->cctx, PS_RULE_MAX_VALUE_LEN);
    *out = rs;
    return 0;
}

void ps_ruleset_free(ps_ruleset *rs)
{
    size_t i;

    if (!rs)
        return;
    for (i = 0; i < rs->n; i++)
        ps_rule_release(&rs->rules[i]);
    free(rs->rules);
    for (i = 0; i < rs->nproblems; i++) {
        ps_rule_problem *p = &rs->problems[i];
        free((char *)p->file);
        free((char *)p->title);
        free((char *)p->id);
        free((char *)p->reason);
        free((char *)p->kind);
    }
    free(rs->problems);
    fdict_release(&rs->dict);
    for (i = 0; i < PS_ARRAY_LEN(rs->bucket); i++) {
        free(rs->bucket[i]);
        free(rs->bdeferred[i]);
        free(rs->bpre_first[i]);
        free(rs->bpre_n[i]);
    }
    free(rs->pre_pool);
    for (i = 0; i < rs->nacms; i++)
        ps_acm_free(rs->acms[i]);
    free(rs->acms);
    free(rs->acm_field);
    free(rs->field_acm);
    if (rs->cctx)
        pcre2_compile_context_free(rs->cctx);
    free(rs);
}

/* rules/reconstruct.yml lives next to the rule pack: not a rule */
static bool is_recon_config(const ps_ynode *root)
{
    return root && root->type == PS_Y_MAP && ps_ymap_get(root, "procmon") && ps_ymap_get(root, "etw") &&
           !ps_ymap_get(root, "title");
}

int ps_ruleset_add_text(ps_ruleset *rs, const char *text, size_t len, const char *name, bool builtin,
                        ps_error *err)
{
    ps_ydoc *doc = NULL;
    ps_error yerr;
    size_t i;
    int rc;

    if (rs->finished)
        return ps_error_set(err, PS_ERR_INTERNAL, "rules added to a finished ruleset");
    rs->files++;
    ps_error_clear(&yerr);
    rc = ps_yaml_load_all(text, len, name, &doc, &yerr);
    if (rc == PS_ERR_NOMEM)
        return ps_error_nomem(err);
    if (rc < 0) {
        /* the YAML message names the file first: keep the rest */
        const char *msg = yerr.msg;
        size_t nl = strlen(name);
        if (msg[0] == '\'' && !strncmp(msg + 1, name, nl) && !strncmp(msg + 1 + nl, "': ", 3))
            msg += nl + 4;
        rs->documents++;
        return ps_ruleset_problem(rs, name, 0, 0, NULL, NULL, rc == PS_ERR_LIMIT ? "limit exceeded" : "bad YAML",
                                  "%s", msg) < 0
                   ? ps_error_nomem(err)
                   : 0;
    }
    for (i = 0; i < doc->nroots; i++) {
        const ps_ynode *root = doc->roots[i];
        if (!root || (root->type == PS_Y_SCALAR && ps_yscalar_is_null(root)))
            continue;   /* an empty document */
        if (is_recon_config(root))
            continue;
        if ((rc = ps_rule_compile_doc(rs, doc, root, builtin, err)) < 0)
            break;
    }
    ps_yaml_free(doc);
    return rc < 0 ? rc : 0;
}

static int add_file(ps_ruleset *rs, const char *path, ps_error *err)
{
    FILE *f = fopen(path, "rb");
    ps_buf buf;
    char chunk[65536];
    size_t n;
    int rc;

    if (!f) {
        rs->files++;
        rs->documents++;
        return ps_ruleset_problem(rs, path, 0, 0, NULL, NULL, "unreadable file", "cannot open it: %s",
                                  ps_errno_text(errno)) < 0
                   ? ps_error_nomem(err)
                   : 0;
    }
    ps_buf_init(&buf);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf.len + n > PS_RULE_MAX_FILE) {
            fclose(f);
            ps_buf_release(&buf);
            rs->files++;
            rs->documents++;
            return ps_ruleset_problem(rs, path, 0, 0, NULL, NULL, "limit exceeded", "larger than %u bytes",
                                      PS_RULE_MAX_FILE) < 0
                       ? ps_error_nomem(err)
                       : 0;
        }
        if (ps_buf_append(&buf, chunk, n) < 0) {
            fclose(f);
            ps_buf_release(&buf);
            return ps_error_nomem(err);
        }
    }
    fclose(f);
    rc = ps_ruleset_add_text(rs, ps_buf_cstr(&buf), buf.len, path, false, err);
    ps_buf_release(&buf);
    return rc;
}

typedef struct pathlist {
    char **p;
    size_t n, cap;
} pathlist;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && !strcmp(name + n - 4, ".yml")) || (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static int collect(const char *dir, int depth, pathlist *out, ps_error *err)
{
    DIR *d;
    struct dirent *e;
    int rc = 0;

    if (depth > PS_RULE_MAX_DEPTH)
        return ps_error_set(err, PS_ERR_LIMIT, "'%s': directories nested deeper than %d levels", dir,
                            PS_RULE_MAX_DEPTH);
    d = opendir(dir);
    if (!d)
        return ps_error_set(err, errno == ENOENT ? PS_ERR_INPUT : PS_ERR_IO, "cannot read the rule directory '%s': %s",
                            dir, ps_errno_text(errno));
    while ((e = readdir(d)) != NULL && rc == 0) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
            continue;
        if (lstat(path, &st) < 0)
            continue;
        if (S_ISLNK(st.st_mode) && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            continue;   /* directory links could loop */
        if (S_ISDIR(st.st_mode)) {
            rc = collect(path, depth + 1, out, err);
        } else if (yaml_name(e->d_name)) {
            if (out->n >= PS_RULE_MAX_FILES) {
                rc = ps_error_set(err, PS_ERR_LIMIT, "'%s': more than %d rule files", dir, PS_RULE_MAX_FILES);
                break;
            }
            if (out->n == out->cap) {
                size_t nc = out->cap ? out->cap * 2 : 256;
                char **np = realloc(out->p, nc * sizeof *np);
                if (!np) {
                    rc = ps_error_nomem(err);
                    break;
                }
                out->p = np;
                out->cap = nc;
            }
            if (!(out->p[out->n] = ps_strdup(path))) {
                rc = ps_error_nomem(err);
                break;
            }
            out->n++;
        }
    }
    closedir(d);
    return rc;
}

int ps_ruleset_add_path(ps_ruleset *rs, const char *path, ps_error *err)
{
    struct stat st;
    pathlist l;
    size_t i;
    int rc;

    if (stat(path, &st) < 0)
        return ps_error_set(err, errno == ENOENT ? PS_ERR_INPUT : PS_ERR_IO, "cannot read rules from '%s': %s", path,
                            errno == ENOENT ? "no such file or directory" : ps_errno_text(errno));
    if (!S_ISDIR(st.st_mode))
        return add_file(rs, path, err);
    memset(&l, 0, sizeof l);
    rc = collect(path, 0, &l, err);
    if (rc == 0) {
        qsort(l.p, l.n, sizeof *l.p, cmp_str);
        for (i = 0; i < l.n && rc == 0; i++)
            rc = add_file(rs, l.p[i], err);
    }
    for (i = 0; i < l.n; i++)
        free(l.p[i]);
    free(l.p);
    return rc;
}

int ps_ruleset_add_default(ps_ruleset *rs, ps_error *err)
{
    size_t i;
    int rc;
    char name[256];

    for (i = 0; i < ps_embedded_rule_pack_count; i++) {
        snprintf(name, sizeof name, "built-in rules/%s", ps_embedded_rule_pack[i].name);
        if ((rc = ps_ruleset_add_text(rs, ps_embedded_rule_pack[i].data, ps_embedded_rule_pack[i].len, name, true,
                                      err)) < 0)
            return rc;
    }
    return 0;
}

/* ---- finishing ------------------------------------------------------------------------------- */

typedef int (*item_fn)(ps_ruleset *rs, item *it, void *ctx);

static int walk_items(ps_ruleset *rs, item_fn fn, void *ctx)
{
    size_t r, k, g, i;
    int rc;

    for (r = 0; r < rs->n; r++) {
        rule *ru = &rs->rules[r];
        for (k = 0; k < ru->nsels + ru->nsev; k++) {
            sel *s = k < ru->nsels ? &ru->sels[k] : &ru->sev[k - ru->nsels].s;
            for (g = 0; g < s->ng; g++)
                for (i = 0; i < s->g[g].n; i++)
                    if ((rc = fn(rs, &s->g[g].items[i], ctx)) < 0)
                        return rc;
        }
    }
    return 0;
}

static bool ac_eligible(const vtest *t)
{
    return t->kind == V_STR && !t->cased && t->mode != S_GLOB && t->len > 0;
}

/* pass 1: item ids, and how many literals each field has */
static int count_literals(ps_ruleset *rs, item *it, void *ctx)
{
    size_t *count = ctx, i;
    it->gid = (int)rs->nitems++;
    it->ac_full = false;
    it->shadow = -1;
    for (i = 0; i < it->nv; i++) {
        it->v[i].pat = -1;
        if (it->field >= 0 && ac_eligible(&it->v[i]))
            count[it->field]++;
    }
    return 0;
}

/* pass 2: the literals into their field's automaton.  Each value also
 * yields, when it can, a literal every match of it contains (the value
 * itself; the longest literal run of a wildcard pattern; a literal a
 * regular expression requires): an item all of whose values have one gets
 * a shadow id, marked when one of them occurs, for the prefilters. */
#define LIT_MIN 3

static int add_literals(ps_ruleset *rs, item *it, void *ctx)
{
    size_t i, covered = 0, have = 0;
    int ai, *lpat = NULL;
    uint8_t *lmode = NULL;
    size_t *llen = NULL;
    acm *a;
    int rc = 0;

    (void)ctx;
    if (it->field < 0 || (ai = rs->field_acm[it->field]) < 0 || it->neg)
        return 0;
    a = rs->acms[ai];
    lpat = malloc((it->nv + 1) * sizeof *lpat);
    lmode = malloc(it->nv + 1);
    llen = malloc((it->nv + 1) * sizeof *llen);
    if (!lpat || !lmode || !llen) {
        rc = PS_ERR_NOMEM;
        goto out;
    }
    for (i = 0; i < it->nv; i++) {
        vtest *t = &it->v[i];
        lpat[i] = -1;
        if (ac_eligible(t)) {
            if ((t->pat = ps_acm_add(a, t->lit, t->len)) < 0 ||
                (!it->all && ps_acm_user(a, t->pat, it->gid, t->mode) < 0)) {
                rc = PS_ERR_NOMEM;
                goto out;
            }
            lpat[i] = t->pat;
            lmode[i] = t->mode;
            llen[i] = t->len;
            covered++;
        } else if (t->kind == V_STR && !t->cased && t->mode == S_GLOB) {
            size_t from = 0, n = ps_glob_literal(t->lit, t->wild, t->len, &from);
            if (n >= LIT_MIN) {
                if ((lpat[i] = ps_acm_add(a, t->lit + from, n)) < 0) {
                    rc = PS_ERR_NOMEM;
                    goto out;
                }
                lmode[i] = S_CONTAINS;
                llen[i] = n;
            }
        } else if (t->kind == V_RE && t->lit) {
            char lit[256];
            size_t n = ps_re_literal(t->lit, lit, sizeof lit);
            if (n >= LIT_MIN) {
                if ((lpat[i] = ps_acm_add(a, lit, n)) < 0) {
                    rc = PS_ERR_NOMEM;
                    goto out;
                }
                lmode[i] = S_CONTAINS;
                llen[i] = n;
            }
        }
        if (lpat[i] >= 0)
            have++;
    }
    it->ac_full = !it->all && it->nv && covered == it->nv;
    if (it->all && have) {
        /* every value must match: the longest literal stands for the item */
        size_t best = it->nv;
        for (i = 0; i < it->nv; i++)
            if (lpat[i] >= 0 && (best == it->nv || llen[i] > llen[best]))
                best = i;
        it->shadow = (int)rs->nitems++;
        if (ps_acm_user(a, lpat[best], it->shadow, lmode[best]) < 0)
            rc = PS_ERR_NOMEM;
    } else if (!it->all && !it->ac_full && it->nv && have == it->nv) {
        /* any value may match: the item needs one of their literals */
        it->shadow = (int)rs->nitems++;
        for (i = 0; i < it->nv && rc == 0; i++)
            if (ps_acm_user(a, lpat[i], it->shadow, lmode[i]) < 0)
                rc = PS_ERR_NOMEM;
    }
out:
    free(lpat);
    free(lmode);
    free(llen);
    return rc;
}

/* Prefilters.  pf(node) is a set of (item gid, field) of which at least
 * one must have matched for the condition at node to be true, or "top"
 * (unknown: always evaluate).  AND keeps the smaller side, OR joins both,
 * NOT knows nothing; a selection needs one automaton item per group. */
#define PF_MAX 48

typedef struct pfset {
    bool top;
    size_t n;
    int gid[PF_MAX], field[PF_MAX];
} pfset;

static void pf_sel(const sel *s, pfset *out)
{
    size_t g, i;
    out->top = false;
    out->n = 0;
    for (g = 0; g < s->ng; g++) {
        const item *pick = NULL;
        int gid = -1;
        for (i = 0; i < s->g[g].n && !pick; i++) {
            const item *it = &s->g[g].items[i];
            if (it->neg)
                continue;
            if (it->ac_full)
                gid = it->gid;
            else if (it->shadow >= 0)
                gid = it->shadow;
            else
                continue;
            pick = it;
        }
        if (!pick || out->n == PF_MAX) {
            out->top = true;
            return;
        }
        out->gid[out->n] = gid;
        out->field[out->n++] = pick->field;
    }
}

static void pf_union(pfset *a, const pfset *b)
{
    size_t i;
    if (a->top || b->top || a->n + b->n > PF_MAX) {
        a->top = true;
        return;
    }
    for (i = 0; i < b->n; i++) {
        a->gid[a->n] = b->gid[i];
        a->field[a->n++] = b->field[i];
    }
}

static void pf(const rule *r, int node, int depth, pfset *out)
{
    const cnode *n = &r->cond.n[node];
    pfset b;
    size_t i;

    out->top = true;
    out->n = 0;
    if (depth > PS_RULE_MAX_COND_DEPTH + 2)
        return;
    switch (n->op) {
    case C_AND:
        pf(r, n->a, depth + 1, out);
        pf(r, n->b, depth + 1, &b);
        if (out->top || (!b.top && b.n < out->n))
            *out = b;
        break;
    case C_OR:
        pf(r, n->a, depth + 1, out);
        pf(r, n->b, depth + 1, &b);
        pf_union(out, &b);
        break;
    case C_SEL:
        pf_sel(&r->sels[n->sel], out);
        break;
    case C_OF:
        if (n->need < 0 || (size_t)n->need == n->nsels) {
            /* all of them: the smallest */
            for (i = 0; i < n->nsels; i++) {
                pf_sel(&r->sels[n->sels[i]], &b);
                if (!b.top && (out->top || b.n < out->n))
                    *out = b;
            }
        } else {
            /* any of them: the union */
            out->top = false;
            for (i = 0; i < n->nsels && !out->top; i++) {
                pf_sel(&r->sels[n->sels[i]], &b);
                pf_union(out, &b);
            }
        }
        break;
    default:
        break;
    }
}

/* realloc that keeps *p on failure */
static int grow(void **p, size_t size)
{
    void *n = realloc(*p, size);
    if (!n)
        return PS_ERR_NOMEM;
    *p = n;
    return 0;
}

static int build_prefilters(ps_ruleset *rs)
{
    size_t ri;
    pfset set;

    for (ri = 0; ri < rs->n; ri++) {
        rule *r = &rs->rules[ri];
        if (r->corr || !r->nsels || !r->cond.nn)
            continue;
        pf(r, r->cond.root, 0, &set);
        if (set.top || !set.n)
            continue;
        r->pre_gid = malloc(set.n * sizeof *r->pre_gid);
        r->pre_field = malloc(set.n * sizeof *r->pre_field);
        if (!r->pre_gid || !r->pre_field)
            return PS_ERR_NOMEM;
        memcpy(r->pre_gid, set.gid, set.n * sizeof *set.gid);
        memcpy(r->pre_field, set.field, set.n * sizeof *set.field);
        r->npre = set.n;
    }
    return 0;
}

static int build_automata(ps_ruleset *rs)
{
    size_t *count = calloc(rs->dict.n + 1, sizeof *count), f;
    int rc;

    if (!count)
        return PS_ERR_NOMEM;
    rs->nitems = 0;
    rs->field_acm = malloc((rs->dict.n + 1) * sizeof *rs->field_acm);
    if (!rs->field_acm || (rc = walk_items(rs, count_literals, count)) < 0) {
        free(count);
        return PS_ERR_NOMEM;
    }
    for (f = 0; f < rs->dict.n; f++) {
        rs->field_acm[f] = -1;
        if (count[f] < PS_ACM_MIN_PATTERNS)
            continue;
        {
            acm **na = realloc(rs->acms, (rs->nacms + 1) * sizeof *na);
            int *nf;
            if (!na) {
                free(count);
                return PS_ERR_NOMEM;
            }
            rs->acms = na;
            nf = realloc(rs->acm_field, (rs->nacms + 1) * sizeof *nf);
            if (!nf) {
                free(count);
                return PS_ERR_NOMEM;
            }
            rs->acm_field = nf;
            if (!(rs->acms[rs->nacms] = ps_acm_new())) {
                free(count);
                return PS_ERR_NOMEM;
            }
            rs->acm_field[rs->nacms] = (int)f;
            rs->field_acm[f] = (int)rs->nacms++;
        }
    }
    free(count);
    if ((rc = walk_items(rs, add_literals, NULL)) < 0)
        return rc;
    for (f = 0; f < rs->nacms; f++)
        if (ps_acm_build(rs->acms[f]) < 0)
            return PS_ERR_NOMEM;
    return 0;
}

static int find_rule(const ps_ruleset *rs, const char *ref)
{
    size_t i;
    for (i = 0; i < rs->n; i++)
        if (rs->rules[i].id && !strcmp(rs->rules[i].id, ref))
            return (int)i;
    for (i = 0; i < rs->n; i++)
        if (rs->rules[i].name && !strcmp(rs->rules[i].name, ref))
            return (int)i;
    return -1;
}

/* Drops rules marked dead (compacting the array). */
static void compact(ps_ruleset *rs, bool *dead)
{
    size_t i, k = 0;
    for (i = 0; i < rs->n; i++) {
        if (dead[i]) {
            ps_rule_release(&rs->rules[i]);
            continue;
        }
        rs->rules[k++] = rs->rules[i];
    }
    rs->n = k;
}

static int corr_depth(const ps_ruleset *rs, size_t i, int depth)
{
    const corr *k = rs->rules[i].corr;
    size_t j;
    int d, worst = depth;
    if (!k)
        return depth;
    if (depth > 8)
        return depth;
    for (j = 0; j < k->nrefs; j++) {
        int t = find_rule(rs, k->refs[j]);
        if (t < 0)
            continue;
        d = corr_depth(rs, (size_t)t, depth + 1);
        if (d > worst)
            worst = d;
    }
    return worst;
}

int ps_ruleset_finish(ps_ruleset *rs, ps_error *err)
{
    bool *dead, changed = true;
    size_t i, j;
    int rc = 0;

    if (rs->finished)
        return 0;
    /* the source fields the view reads, before the field tables are sized */
    if (ps_sf_intern(&rs->dict, rs->sf) < 0)
        return ps_error_nomem(err);
    dead = calloc(rs->n ? rs->n : 1, sizeof *dead);
    if (!dead)
        return ps_error_nomem(err);
    /* correlations whose rules are missing (or that go round in circles) cannot run;
     * a correlation over one of those cannot either */
    while (changed && rc == 0) {
        changed = false;
        for (i = 0; i < rs->n && rc == 0; i++) {
            const rule *r = &rs->rules[i];
            if (!r->corr || dead[i])
                continue;
            for (j = 0; j < r->corr->nrefs; j++) {
                int t = find_rule(rs, r->corr->refs[j]);
                const char *why = NULL;
                if (t < 0)
                    why = "names an unknown rule";
                else if (dead[t])
                    why = "names a rule that cannot run:";
                else if ((size_t)t == i || corr_depth(rs, i, 0) > 8)
                    why = "is circular or nested deeper than 8 correlations:";
                if (!why)
                    continue;
                if (ps_ruleset_problem(rs, r->file, r->line, 0, r->title, r->id, "unknown correlation rule",
                                       "the correlation %s '%s'", why, r->corr->refs[j]) < 0)
                    rc = ps_error_nomem(err);
                dead[i] = true;
                changed = true;
                break;
            }
        }
    }
    if (rc < 0) {
        free(dead);
        return rc;
    }
    compact(rs, dead);
    free(dead);

    for (i = 0; i < rs->n; i++) {
        rule *r = &rs->rules[i];
        corr *k = r->corr;
        size_t g;
        r->generates = true;
        if (!k)
            continue;
        k->rules = calloc(k->nrefs, sizeof *k->rules);
        k->gfield = calloc(k->nrefs * (k->ngroup ? k->ngroup : 1), sizeof *k->gfield);
        if (!k->rules || !k->gfield)
            return ps_error_nomem(err);
        for (j = 0; j < k->nrefs; j++) {
            const rule *t;
            k->rules[j] = find_rule(rs, k->refs[j]);
            t = &rs->rules[k->rules[j]];
            for (g = 0; g < k->ngroup; g++) {
                const char *fname = k->group[g];
                size_t a;
                for (a = 0; a < k->naliases; a++)
                    if (!strcmp(k->alias_name[a], k->group[g]) &&
                        ((t->name && !strcmp(k->alias_rule[a], t->name)) || (t->id && !strcmp(k->alias_rule[a], t->id)) ||
                         !strcmp(k->alias_rule[a], k->refs[j])))
                        fname = k->alias_field[a];
                k->gfield[j * k->ngroup + g] = fdict_find(&rs->dict, fname, strlen(fname));
            }
        }
    }
    /* consumers and who generates */
    for (i = 0; i < rs->n; i++) {
        const corr *k = rs->rules[i].corr;
        if (!k)
            continue;
        for (j = 0; j < k->nrefs; j++) {
            rule *t = &rs->rules[k->rules[j]];
            int *nc = realloc(t->consumers, (t->nconsumers + 1) * sizeof *nc);
            if (!nc)
                return ps_error_nomem(err);
            t->consumers = nc;
            t->consumers[t->nconsumers++] = (int)i;
        }
    }
    for (i = 0; i < rs->n; i++) {
        rule *r = &rs->rules[i];
        if (!r->nconsumers)
            continue;
        r->generates = false;
        for (j = 0; j < r->nconsumers; j++)
            if (rs->rules[r->consumers[j]].corr->generate)
                r->generates = true;
    }
    if (build_automata(rs) < 0 || build_prefilters(rs) < 0)
        return ps_error_nomem(err);
    /* the dispatch index, with each rule's prefilter in dense arrays */
    {
        size_t total = 0, k;
        for (i = 0; i < rs->n; i++)
            total += rs->rules[i].npre;
        rs->pre_pool = malloc((total ? total : 1) * sizeof *rs->pre_pool);
        if (!rs->pre_pool)
            return ps_error_nomem(err);
        for (i = 0; i < rs->n; i++) {
            const rule *r = &rs->rules[i];
            int key = r->lskey;
            size_t n;
            if (r->corr || key < 0)
                continue;
            n = rs->nbucket[key];
            if (grow((void **)&rs->bucket[key], (n + 1) * sizeof *rs->bucket[key]) < 0 ||
                grow((void **)&rs->bdeferred[key], n + 1) < 0 ||
                grow((void **)&rs->bpre_first[key], (n + 1) * sizeof *rs->bpre_first[key]) < 0 ||
                grow((void **)&rs->bpre_n[key], (n + 1) * sizeof *rs->bpre_n[key]) < 0)
                return ps_error_nomem(err);
            rs->bucket[key][n] = (int)i;
            rs->bdeferred[key][n] = r->deferred;
            rs->bpre_first[key][n] = (int32_t)rs->npre_pool;
            rs->bpre_n[key][n] = (uint16_t)r->npre;
            for (k = 0; k < r->npre; k++)
                rs->pre_pool[rs->npre_pool++] = r->pre_gid[k];
            rs->nbucket[key]++;
        }
    }
    rs->finished = true;
    return 0;
}

size_t ps_ruleset_count(const ps_ruleset *rs)
{
    return rs->n;
}

const ps_rule_problem *ps_ruleset_problems(const ps_ruleset *rs, size_t *n)
{
    *n = rs->nproblems;
    return rs->problems;
}

void ps_ruleset_stats(const ps_ruleset *rs, size_t *files, size_t *documents)
{
    *files = rs->files;
    *documents = rs->documents;
}

bool ps_ruleset_has_id(const ps_ruleset *rs, const char *id)
{
    size_t i;
    for (i = 0; i < rs->n; i++)
        if (rs->rules[i].id && !strcmp(rs->rules[i].id, id))
            return true;
    return false;
}
