/*
 * run.c - rules applied to a trace as it is ingested (see rules.h).
 *
 * Per event: the logsources it belongs to select the rules to try (rules are
 * indexed by logsource when the ruleset is finished); the view is filled
 * only when some rule applies.  Each rule's condition is evaluated with each
 * detection identifier computed at most once.  Matches become findings with
 * their evidence, and feed the correlations that use the rule.
 *
 * Per finished creation: process_creation_stages rules, and process_creation
 * rules for sources whose process creations are not events of their own
 * (Procmon, ETW).  Rules over the per-image distribution of stage durations
 * wait for the end of the trace with a copy of the fields they need.
 *
 * Memory is bounded: correlation groups (PS_RULE_CORR_STATES, oldest evicted),
 * the image loads kept for user_init_modules (processes whose creation is
 * still open, a few hundred loads each).
 */
#define _GNU_SOURCE   /* memmem */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/recon.h"
#include "rules_engine/detect.h"
#include "common/json.h"
#include "rules_engine/internal.h"
#include "rules_engine/view.h"

#define WATCH_MAX 4096          /* processes whose image loads are kept */
#define WATCH_LOADS 256         /* loads kept per process */
#define HITS_MAX 10001          /* hits kept per correlation group */
#define EVIDENCE_VALUE_MAX 2048

typedef struct hit {
    int64_t ts, event_id, creation_id;
    uint64_t vhash;
    int ref;
} hit;

typedef struct cstate {
    uint64_t hash;
    int rule;                   /* the correlation */
    char *key;                  /* group-by values, \x1f-separated */
    int64_t max_ts;
    hit *hits;
    size_t n, cap;
    bool used;
} cstate;

typedef struct watch {
    uint32_t pid;
    bool used;
    uint64_t stamp;
    int64_t *event_ids;
    size_t *offs;
    size_t n, cap;
    ps_buf paths;               /* NUL-separated */
} watch;

typedef struct snapval {
    int field;
    char *s;
} snapval;

typedef struct snap {
    int64_t creation_id, event_id, ts;
    char *image;                /* lower-case file name */
    double dur[PS_NSTAGES];
    bool has[PS_NSTAGES];
    size_t first, n;            /* its values in run->svals */
} snap;

struct ps_rules_run {
    const ps_ruleset *rs;
    /* the automata's results for the subject being matched */
    uint32_t epoch;             /* one per subject (event, creation) */
    uint32_t *acm_scanned;      /* per automaton: the epoch it last scanned */
    uint32_t **pstamp;          /* per automaton, per pattern */
    uint8_t **pflags;
    uint32_t *istamp;           /* per item: the epoch one of its values matched */
    ps_store *store;
    ps_rule_match_fn hook;
    void *hook_ctx;
    int wk[WK__COUNT];
    view v, cv;                 /* the subject; a fired correlation */
    int8_t *memo;               /* per detection identifier of the rule being evaluated */
    size_t memo_cap;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
    ps_buf json;
    uint64_t findings, regex_limited;
    uint64_t *matches;
    /* the trace */
    int64_t trace_id;
    const ps_trace_info *info;
    struct ps_recon *recon;
    bool in_trace;
    ps_vctx x;
    /* correlations */
    cstate *states;
    size_t nstates, states_cap;
    ps_map state_by_hash;
    size_t *free_states;
    size_t nfree;
    int depth;                  /* chained correlations */
    /* user_init modules */
    bool want_modules;
    watch *watches;
    size_t nwatches;
    ps_map watch_by_pid;
    uint64_t watch_clock;
    const char **modv;
    size_t modcap;
    /* deferred rules */
    bool any_deferred;
    uint8_t *snap_field;        /* fields a deferred rule reads */
    snap *snaps;
    size_t nsnaps, snapcap;
    snapval *svals;
    size_t nsvals, svalcap;
    ps_arena snap_arena;
};

/* ---- matching -------------------------------------------------------------------- */

/* A new subject: the automata's results of the previous one no longer count. */
static void next_subject(ps_rules_run *rr)
{
    size_t i;
    if (++rr->epoch != 0)
        return;
    /* wrapped: clear every stamp */
    memset(rr->acm_scanned, 0, rr->rs->nacms * sizeof *rr->acm_scanned);
    for (i = 0; i < rr->rs->nacms; i++)
        memset(rr->pstamp[i], 0, ps_acm_patterns(rr->rs->acms[i]) * sizeof **rr->pstamp);
    memset(rr->istamp, 0, rr->rs->nitems * sizeof *rr->istamp);
    rr->epoch = 1;
}

typedef struct scanctx {
    ps_rules_run *rr;
    int ai;
} scanctx;

static uint8_t want_flag(uint8_t mode)
{
    switch (mode) {
    case S_EQ: return AC_EQ;
    case S_PREFIX: return AC_START;
    case S_SUFFIX: return AC_END;
    default: return AC_ANY;
    }
}

static void on_hit(void *ctx, int pat, uint8_t flags, const acuser *users, int32_t u)
{
    scanctx *sc = ctx;
    ps_rules_run *rr = sc->rr;
    uint32_t e = rr->epoch;

    if (rr->pstamp[sc->ai][pat] != e) {
        rr->pstamp[sc->ai][pat] = e;
        rr->pflags[sc->ai][pat] = flags;
    } else if ((rr->pflags[sc->ai][pat] & flags) == flags) {
        return;   /* seen with these flags already: its users are marked */
    } else {
        rr->pflags[sc->ai][pat] |= flags;
    }
    for (; u >= 0; u = users[u].next)
        if (flags & want_flag(users[u].mode))
            rr->istamp[users[u].item] = e;
}

/* Runs the field's automaton over its values once per subject. */
static void ensure_scanned(ps_rules_run *rr, view *v, int ai, fv *f)
{
    scanctx sc;
    if (rr->acm_scanned[ai] == rr->epoch)
        return;
    rr->acm_scanned[ai] = rr->epoch;
    sc.rr = rr;
    sc.ai = ai;
    for (; f; f = f->next >= 0 ? &v->pool[f->next] : NULL) {
        const char *lc = view_lc(v, f);
        if (lc)
            ps_acm_scan(rr->rs->acms[ai], lc, f->n, on_hit, &sc);
    }
}

static bool str_test(const vtest *t, const char *s, size_t n)
{
    switch (t->mode) {
    case S_EQ:
        return n == t->len && !memcmp(s, t->lit, n);
    case S_PREFIX:
        return n >= t->len && !memcmp(s, t->lit, t->len);
    case S_SUFFIX:
        return n >= t->len && !memcmp(s + n - t->len, t->lit, t->len);
    case S_CONTAINS:
        return t->len == 0 || (n >= t->len && memmem(s, n, t->lit, t->len) != NULL);
    default:
        return ps_glob_match(t->lit, t->wild, t->len, s, n);
    }
}

static bool re_test(ps_rules_run *rr, const vtest *t, const char *s, size_t n)
{
    uint32_t opts = t->mode == S_PREFIX || t->mode == S_EQ ? PCRE2_ANCHORED : 0;
    int rc;
    if (t->mode == S_SUFFIX || t->mode == S_EQ)
        opts |= PCRE2_ENDANCHORED;
    rc = pcre2_match(t->re, (PCRE2_SPTR)s, n, 0, opts, rr->md, rr->mctx);
    if (rc >= 0)
        return true;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT)
        rr->regex_limited++;
    return false;
}

static bool ref_test(view *v, const vtest *t, fv *f)
{
    fv *o = view_get(v, t->ref);
    const char *a = view_lc(v, f), *b;
    if (!o || !a)
        return false;
    b = view_lc(v, o);
    if (!b)
        return false;
    switch (t->mode) {
    case S_PREFIX:
        return f->n >= o->n && !memcmp(a, b, o->n);
    case S_SUFFIX:
        return f->n >= o->n && !memcmp(a + f->n - o->n, b, o->n);
    case S_CONTAINS:
        return o->n == 0 || memmem(a, f->n, b, o->n) != NULL;
    default:
        return f->n == o->n && !memcmp(a, b, f->n);
    }
}

/* One test against one value of the field. */
static bool value_test(ps_rules_run *rr, view *v, const vtest *t, fv *f)
{
    switch (t->kind) {
    case V_STR:
        if (t->cased)
            return str_test(t, f->s, f->n);
        {
            const char *lc = view_lc(v, f);
            return lc && str_test(t, lc, f->n);
        }
    case V_RE:
        return re_test(rr, t, f->s, f->n);
    case V_NUM: {
        double d;
        if (!view_num(f, &d))
            return false;
        switch (t->cmp) {
        case CMP_LT: return d < t->num;
        case CMP_LTE: return d <= t->num;
        case CMP_GT: return d > t->num;
        default: return d >= t->num;
        }
    }
    case V_CIDR: {
        uint8_t ip[16];
        int fam, i;
        if (!ps_parse_ip(f->s, f->n, ip, &fam) || fam != t->family)
            return false;
        for (i = 0; i < t->bits / 8; i++)
            if (ip[i] != t->net[i])
                return false;
        if (t->bits % 8)
            return (ip[i] & (uint8_t)(0xff << (8 - t->bits % 8))) == t->net[i];
        return true;
    }
    case V_REF:
        return ref_test(v, t, f);
    default:
        return false;
    }
}

/* A test against a field (any of its values); ai is the field's
 * automaton, already run, or -1. */
static bool field_test(ps_rules_run *rr, view *v, const vtest *t, fv *f, int ai)
{
    if (t->kind == V_EXISTS)
        return (f != NULL) == t->exists;
    if (t->kind == V_NULL)
        return !f || (f->n == 0 && f->next < 0);
    if (t->pat >= 0 && ai >= 0)
        return f && rr->pstamp[ai][t->pat] == rr->epoch && (rr->pflags[ai][t->pat] & want_flag(t->mode));
    for (; f; f = f->next >= 0 ? &v->pool[f->next] : NULL)
        if (value_test(rr, v, t, f))
            return true;
    return false;
}

/* Keywords: a test against every value of the view. */
static bool keyword_test(ps_rules_run *rr, view *v, const vtest *t)
{
    size_t i;
    for (i = 0; i < v->npool; i++)
        if (value_test(rr, v, t, &v->pool[i]))
            return true;
    return false;
}

static bool item_match(ps_rules_run *rr, view *v, const item *it)
{
    bool res;
    size_t i;

    if (it->field < 0) {
        res = it->all;
        for (i = 0; i < it->nv; i++) {
            bool m = keyword_test(rr, v, &it->v[i]);
            if (it->all && !m) {
                res = false;
                break;
            }
            if (!it->all && m) {
                res = true;
                break;
            }
        }
        return it->neg ? !res : res;
    }
    {
        fv *f = view_get(v, it->field);
        int ai = (size_t)it->field < rr->rs->dict.n ? rr->rs->field_acm[it->field] : -1;
        if (ai >= 0 && f)
            ensure_scanned(rr, v, ai, f);
        if (it->ac_full) {
            res = f && rr->istamp[it->gid] == rr->epoch;
        } else if (it->eq && ai < 0) {
            res = false;
            for (; f && !res; f = f->next >= 0 ? &v->pool[f->next] : NULL) {
                const char *lc = view_lc(v, f);
                uint64_t idx;
                if (lc && ps_map_get(it->eq, ps_hash_bytes(lc, f->n, 0x51), &idx)) {
                    const vtest *t = &it->v[idx - 1];
                    res = t->len == f->n && !memcmp(t->lit, lc, f->n);
                }
            }
        } else if (it->all) {
            res = true;
            for (i = 0; i < it->nv && res; i++)
                res = field_test(rr, v, &it->v[i], f, ai);
        } else {
            res = false;
            for (i = 0; i < it->nv && !res; i++)
                res = field_test(rr, v, &it->v[i], f, ai);
        }
    }
    return it->neg ? !res : res;
}

static bool sel_match(ps_rules_run *rr, view *v, const sel *s)
{
    size_t g, i;
    for (g = 0; g < s->ng; g++) {
        bool all = true;
        for (i = 0; i < s->g[g].n && all; i++)
            all = item_match(rr, v, &s->g[g].items[i]);
        if (all)
            return true;
    }
    return false;
}

static bool sel_memo(ps_rules_run *rr, view *v, const rule *r, int s)
{
    if (rr->memo[s] < 0)
        rr->memo[s] = sel_match(rr, v, &r->sels[s]) ? 1 : 0;
    return rr->memo[s] == 1;
}

static bool cond_eval(ps_rules_run *rr, view *v, const rule *r, int node)
{
    const cnode *n = &r->cond.n[node];
    size_t i;
    int hits = 0;

    switch (n->op) {
    case C_AND:
        return cond_eval(rr, v, r, n->a) && cond_eval(rr, v, r, n->b);
    case C_OR:
        return cond_eval(rr, v, r, n->a) || cond_eval(rr, v, r, n->b);
    case C_NOT:
        return !cond_eval(rr, v, r, n->a);
    case C_SEL:
        return sel_memo(rr, v, r, n->sel);
    default:
        for (i = 0; i < n->nsels; i++) {
            bool m = sel_memo(rr, v, r, n->sels[i]);
            if (n->need < 0 && !m)
                return false;
            if (m && n->need > 0 && ++hits >= n->need)
                return true;
        }
        return n->need < 0;
    }
}

static bool rule_match(ps_rules_run *rr, view *v, const rule *r)
{
    memset(rr->memo, 0xff, r->nsels);
    return cond_eval(rr, v, r, r->cond.root);
}

/* ---- findings ----------------------------------------------------------------------- */

static const char *rule_key(const rule *r)
{
    return r->id ? r->id : r->name ? r->name : r->title;
}

static void rule_info(const rule *r, ps_rule_info *out)
{
    memset(out, 0, sizeof *out);
    out->id = rule_key(r);
    out->title = r->title;
    out->level = ps_severity_name(r->level);
    out->status = r->status ? r->status : "";
    out->logsource = r->lsname ? r->lsname : "";
    out->technique = r->technique ? r->technique : "";
    out->file = r->file;
    out->line = r->line;
    out->builtin = r->builtin;
    out->generates = r->generates;
    out->description = r->description ? r->description : "";
}

void ps_ruleset_info(const ps_ruleset *rs, size_t i, ps_rule_info *out)
{
    rule_info(&rs->rules[i], out);
}

static void json_value(ps_json *j, const fv *f)
{
    char tmp[EVIDENCE_VALUE_MAX + 1];
    size_t n = f->n > EVIDENCE_VALUE_MAX ? EVIDENCE_VALUE_MAX : f->n;
    memcpy(tmp, f->s, n);
    tmp[n] = '\0';
    ps_json_string(j, tmp);
}

static int store_finding(ps_rules_run *rr, const rule *r, int level, const char *technique, int64_t event_id,
                         int64_t creation_id, ps_error *err)
{
    ps_rule_info info;
    const char *sev = ps_severity_name(level);

    rr->findings++;
    if (rr->store) {
        ps_store_finding f;
        int rc;
        memset(&f, 0, sizeof f);
        f.trace_id = rr->trace_id;
        f.creation_id = creation_id;
        f.event_id = event_id;
        f.rule_id = rule_key(r);
        f.title = r->title;
        f.severity = sev;
        f.technique = technique && *technique ? technique : NULL;
        f.evidence_json = ps_buf_cstr(&rr->json);
        if ((rc = ps_store_add_finding(rr->store, &f, err)) < 0)
            return rc;
    }
    if (rr->hook) {
        rule_info(r, &info);
        rr->hook(rr->hook_ctx, &info, sev, event_id, creation_id);
    }
    return 0;
}

static int detection_finding(ps_rules_run *rr, view *v, const rule *r, ps_error *err)
{
    ps_json j;
    size_t i;
    int level = r->level;
    const char *technique = r->technique;

    for (i = 0; i < r->nsev; i++)
        if (sel_match(rr, v, &r->sev[i].s)) {
            level = r->sev[i].level;
            technique = r->sev[i].technique;
            break;
        }
    ps_buf_reset(&rr->json);
    ps_json_init_buf(&j, &rr->json);
    ps_json_begin_object(&j);
    for (i = 0; i < r->nevk; i++) {
        fv *f = view_get(v, r->evk[i].field);
        if (!f)
            continue;
        if (r->evk[i].extract) {
            int rc = pcre2_match(r->evk[i].extract, (PCRE2_SPTR)f->s, f->n, 0, 0, rr->md, rr->mctx);
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rr->md);
            if (rc >= 2 && ov[2] != PCRE2_UNSET) {
                fv part = *f;
                part.s = f->s + ov[2];
                part.n = (uint32_t)(ov[3] - ov[2]);
                ps_json_key(&j, r->evk[i].key);
                json_value(&j, &part);
            }
            continue;
        }
        ps_json_key(&j, r->evk[i].key);
        json_value(&j, f);
    }
    ps_json_kv_str(&j, "logsource", r->lsname);
    ps_json_key(&j, "fields");
    ps_json_begin_object(&j);
    for (i = 0; i < r->nfields; i++) {
        fv *f = view_get(v, r->fields[i]);
        if (!f)
            continue;
        ps_json_key(&j, rr->rs->dict.names[r->fields[i]]);
        json_value(&j, f);
    }
    ps_json_end_object(&j);
    if (v->derived_field >= 0 && view_get(v, v->derived_field)) {
        ps_json_key(&j, "derived");
        ps_json_begin_object(&j);
        ps_json_kv_str(&j, rr->rs->dict.names[v->derived_field],
                       "from procstage's process table: the record does not name it");
        ps_json_end_object(&j);
    }
    ps_json_key(&j, "events");
    ps_json_begin_array(&j);
    if (r->neve) {
        for (i = 0; i < r->neve; i++) {
            fv *f = view_get(v, r->eve[i].field);
            double d;
            if (!f || !view_num(f, &d) || d <= 0)
                continue;
            ps_json_begin_object(&j);
            ps_json_kv_int(&j, "event_id", (int64_t)d);
            ps_json_kv_str(&j, "role", r->eve[i].role);
            ps_json_end_object(&j);
        }
    } else if (v->event_id > 0) {
        ps_json_begin_object(&j);
        ps_json_kv_int(&j, "event_id", v->event_id);
        ps_json_kv_str(&j, "role", v->creation_id ? "the creation's anchor event" : "the matching event");
        ps_json_end_object(&j);
    }
    ps_json_end_array(&j);
    ps_json_end_object(&j);
    return store_finding(rr, r, level, technique, v->event_id, v->creation_id, err);
}

/* ---- correlations ---------------------------------------------------------------------------- */

static int on_match(ps_rules_run *rr, view *v, size_t ri, ps_error *err);

static void state_clear(cstate *s)
{
    free(s->key);
    free(s->hits);
    memset(s, 0, sizeof *s);
}

static cstate *state_get(ps_rules_run *rr, int rule, const char *key, size_t klen, uint64_t h)
{
    uint64_t v;
    size_t idx;

    if (ps_map_get(&rr->state_by_hash, h, &v)) {
        cstate *s = &rr->states[v - 1];
        if (s->used && s->rule == rule && strlen(s->key) == klen && !memcmp(s->key, key, klen))
            return s;
    }
    if (rr->nfree) {
        idx = rr->free_states[--rr->nfree];
    } else if (rr->nstates < PS_RULE_CORR_STATES) {
        if (rr->nstates == rr->states_cap) {
            size_t nc = rr->states_cap ? rr->states_cap * 2 : 64;
            cstate *ns = realloc(rr->states, nc * sizeof *ns);
            if (!ns)
                return NULL;
            rr->states = ns;
            rr->states_cap = nc;
        }
        idx = rr->nstates++;
    } else {
        /* evict the group that saw nothing for longest */
        size_t i, old = 0;
        for (i = 1; i < rr->nstates; i++)
            if (rr->states[i].max_ts < rr->states[old].max_ts)
                old = i;
        ps_map_del(&rr->state_by_hash, rr->states[old].hash);
        state_clear(&rr->states[old]);
        idx = old;
    }
    memset(&rr->states[idx], 0, sizeof rr->states[idx]);
    rr->states[idx].used = true;
    rr->states[idx].rule = rule;
    rr->states[idx].hash = h;
    rr->states[idx].key = ps_strndup(key, klen);
    if (!rr->states[idx].key || ps_map_put(&rr->state_by_hash, h, idx + 1) < 0)
        return NULL;
    return &rr->states[idx];
}

static void state_drop(ps_rules_run *rr, cstate *s)
{
    size_t idx = (size_t)(s - rr->states);
    uint64_t v;
    if (ps_map_get(&rr->state_by_hash, s->hash, &v) && v == idx + 1)
        ps_map_del(&rr->state_by_hash, s->hash);
    state_clear(s);
    if (rr->nfree < rr->nstates) {
        size_t *nf = realloc(rr->free_states, (rr->nfree + 1) * sizeof *nf);
        if (nf) {
            rr->free_states = nf;
            rr->free_states[rr->nfree++] = idx;
        }
    }
}

static int cmp_hit(const void *a, const void *b)
{
    const hit *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts ? 1 : x->ref - y->ref;
}

/* Fires correlation `ci` for the group in state s with the hits in `used`. */
static int corr_fire(ps_rules_run *rr, size_t ci, cstate *s, const hit *used, size_t nused, ps_error *err)
{
    const rule *r = &rr->rs->rules[ci];
    const corr *k = r->corr;
    ps_json j;
    size_t i;
    int64_t event_id = 0, creation_id = 0, ts = 0;
    const char *p;
    int rc;

    for (i = 0; i < nused; i++) {
        if (used[i].event_id)
            event_id = used[i].event_id;
        if (used[i].creation_id)
            creation_id = used[i].creation_id;
        if (used[i].ts > ts)
            ts = used[i].ts;
    }
    ps_buf_reset(&rr->json);
    ps_json_init_buf(&j, &rr->json);
    ps_json_begin_object(&j);
    p = s->key;
    for (i = 0; i < k->ngroup; i++) {
        const char *e = strchr(p, '\x1f');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *val = ps_strndup(p, n);
        if (!val)
            return ps_error_nomem(err);
        ps_json_kv_str(&j, k->group[i], val);
        free(val);
        p = e ? e + 1 : p + n;
    }
    ps_json_kv_str(&j, "logsource", r->lsname);
    ps_json_key(&j, "events");
    ps_json_begin_array(&j);
    for (i = 0; i < nused && i < 32; i++) {
        const rule *b = &rr->rs->rules[k->rules[used[i].ref]];
        char role[300];
        if (!used[i].event_id)
            continue;
        snprintf(role, sizeof role, "%s", b->title);
        ps_json_begin_object(&j);
        ps_json_kv_int(&j, "event_id", used[i].event_id);
        ps_json_kv_str(&j, "role", role);
        ps_json_end_object(&j);
    }
    ps_json_end_array(&j);
    ps_json_end_object(&j);
    if (r->generates && (rc = store_finding(rr, r, r->level, r->technique, event_id, creation_id, err)) < 0)
        return rc;
    rr->matches[ci]++;
    /* a correlation of this correlation sees its group-by values */
    if (r->nconsumers && rr->depth < 8) {
        view *cv = &rr->cv;
        view_reset(cv);
        cv->ts = ts;
        cv->event_id = event_id;
        cv->creation_id = creation_id;
        p = s->key;
        for (i = 0; i < k->ngroup; i++) {
            const char *e = strchr(p, '\x1f');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char *val = ps_arena_strndup(&cv->arena, p, n);
            int id = fdict_find(&rr->rs->dict, k->group[i], strlen(k->group[i]));
            if (!val || view_set(cv, id, val, n) < 0)
                return ps_error_nomem(err);
            p = e ? e + 1 : p + n;
        }
        rr->depth++;
        rc = on_match(rr, cv, ci, err);
        rr->depth--;
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int corr_feed(ps_rules_run *rr, size_t ci, size_t ri, view *v, ps_error *err)
{
    const rule *r = &rr->rs->rules[ci];
    const corr *k = r->corr;
    ps_buf key;
    size_t ref, g, i;
    cstate *s;
    hit h;
    int rc = 0;
    uint64_t hash;

    for (ref = 0; ref < k->nrefs; ref++)
        if ((size_t)k->rules[ref] == ri)
            break;
    if (ref == k->nrefs)
        return 0;
    ps_buf_init(&key);
    for (g = 0; g < k->ngroup; g++) {
        fv *f = view_get(v, k->gfield[ref * k->ngroup + g]);
        if (g && ps_buf_putc(&key, '\x1f') < 0)
            goto oom;
        if (f) {
            const char *lc = view_lc(v, f);
            if (!lc || ps_buf_append(&key, lc, f->n) < 0)
                goto oom;
        }
    }
    ps_buf_cstr(&key);
    hash = ps_hash_mix(ps_hash_bytes(key.data ? key.data : "", key.len, 0xc0), ci);
    s = state_get(rr, (int)ci, key.data ? key.data : "", key.len, hash);
    ps_buf_release(&key);
    if (!s)
        return ps_error_nomem(err);

    memset(&h, 0, sizeof h);
    h.ts = v->ts;
    h.event_id = v->event_id;
    h.creation_id = v->creation_id;
    h.ref = (int)ref;
    if (0) {
oom:
        ps_buf_release(&key);
        return ps_error_nomem(err);
    }
    if (k->type == CT_VALUE_COUNT) {
        fv *f = view_get(v, k->value_field);
        const char *lc;
        if (!f)
            return 0;   /* no value to count */
        lc = view_lc(v, f);
        h.vhash = lc ? ps_hash_bytes(lc, f->n, 0x77) : 0;
    }
    if (h.ts > s->max_ts)
        s->max_ts = h.ts;
    /* forget what fell out of the window */
    for (i = 0; i < s->n;) {
        if (s->hits[i].ts < s->max_ts - k->timespan)
            s->hits[i] = s->hits[--s->n];
        else
            i++;
    }
    if (h.ts < s->max_ts - k->timespan)
        return 0;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 8;
        hit *nh;
        if (nc > HITS_MAX)
            nc = HITS_MAX;
        if (s->n == nc) {
            /* full: drop the oldest */
            size_t old = 0;
            for (i = 1; i < s->n; i++)
                if (s->hits[i].ts < s->hits[old].ts)
                    old = i;
            s->hits[old] = s->hits[--s->n];
        } else {
            nh = realloc(s->hits, nc * sizeof *nh);
            if (!nh)
                return ps_error_nomem(err);
            s->hits = nh;
            s->cap = nc;
        }
    }
    s->hits[s->n++] = h;

    switch (k->type) {
    case CT_EVENT_COUNT:
        if ((double)s->n >= k->min && (!k->has_max || (double)s->n <= k->max))
            rc = 1;
        break;
    case CT_VALUE_COUNT: {
        size_t distinct = 0, a, b;
        for (a = 0; a < s->n; a++) {
            for (b = 0; b < a; b++)
                if (s->hits[b].vhash == s->hits[a].vhash)
                    break;
            if (b == a)
                distinct++;
        }
        if ((double)distinct >= k->min && (!k->has_max || (double)distinct <= k->max))
            rc = 1;
        break;
    }
    case CT_TEMPORAL: {
        size_t distinct = 0;
        for (ref = 0; ref < k->nrefs; ref++)
            for (i = 0; i < s->n; i++)
                if ((size_t)s->hits[i].ref == ref) {
                    distinct++;
                    break;
                }
        if ((double)distinct >= k->min)
            rc = 1;
        break;
    }
    default: {
        /* the rules in order: greedy over the hits sorted by time */
        size_t want = 0;
        qsort(s->hits, s->n, sizeof *s->hits, cmp_hit);
        for (i = 0; i < s->n && want < k->nrefs; i++)
            if ((size_t)s->hits[i].ref == want)
                want++;
        if ((double)want >= k->min)
            rc = 1;
        break;
    }
    }
    if (rc == 1) {
        size_t n = s->n;
        hit *used = malloc((n ? n : 1) * sizeof *used);
        if (!used)
            return ps_error_nomem(err);
        memcpy(used, s->hits, n * sizeof *used);
        qsort(used, n, sizeof *used, cmp_hit);
        if (k->type == CT_TEMPORAL_ORDERED) {
            size_t want = 0, m = 0;
            for (i = 0; i < n && want < k->nrefs; i++)
                if ((size_t)used[i].ref == want) {
                    used[m++] = used[i];
                    want++;
                }
            n = m;
        }
        {
            /* fire once per completed group, then start over */
            char *keycopy = ps_strdup(s->key);
            cstate tmp;
            if (!keycopy) {
                free(used);
                return ps_error_nomem(err);
            }
            memset(&tmp, 0, sizeof tmp);
            tmp.key = keycopy;
            state_drop(rr, s);
            rc = corr_fire(rr, ci, &tmp, used, n, err);
            free(keycopy);
        }
        free(used);
        return rc < 0 ? rc : 0;
    }
    return 0;
}

/* A rule matched the subject in v. */
static int on_match(ps_rules_run *rr, view *v, size_t ri, ps_error *err)
{
    const rule *r = &rr->rs->rules[ri];
    size_t i;
    int rc;

    if (!r->corr) {
        rr->matches[ri]++;
        if (r->generates && (rc = detection_finding(rr, v, r, err)) < 0)
            return rc;
    }
    for (i = 0; i < r->nconsumers; i++)
        if ((rc = corr_feed(rr, (size_t)r->consumers[i], ri, v, err)) < 0)
            return rc;
    return 0;
}

/* Runs every automaton whose field the subject has, once. */
static void scan_all(ps_rules_run *rr, view *v)
{
    size_t i;
    for (i = 0; i < rr->rs->nacms; i++) {
        fv *f = view_get(v, rr->rs->acm_field[i]);
        if (f)
            ensure_scanned(rr, v, (int)i, f);
    }
}

static int run_bucket(ps_rules_run *rr, view *v, int key, bool deferred_only, ps_error *err)
{
    const ps_ruleset *rs = rr->rs;
    size_t i;
    int rc;

    const int32_t *pool = rs->pre_pool;
    const uint32_t *ist = rr->istamp, e = rr->epoch;

    for (i = 0; i < rs->nbucket[key]; i++) {
        size_t ri, n = rs->bpre_n[key][i];
        const rule *r;
        if ((bool)rs->bdeferred[key][i] != deferred_only)
            continue;
        if (n) {
            /* the prefilter (scan_all ran the automata): none of the
             * items the rule needs matched, so it cannot match */
            const int32_t *g = pool + rs->bpre_first[key][i];
            size_t k;
            for (k = 0; k < n && ist[g[k]] != e; k++)
                ;
            if (k == n)
                continue;
        }
        ri = (size_t)rs->bucket[key][i];
        r = &rs->rules[ri];
        if (rule_match(rr, v, r) && (rc = on_match(rr, v, ri, err)) < 0)
            return rc;
    }
    return 0;
}

/* ---- image loads during user_init ------------------------------------------------------------------ */

static watch *watch_get(ps_rules_run *rr, uint32_t pid, bool create)
{
    uint64_t v;
    size_t i, idx = 0;
    watch *w;

    if (ps_map_get(&rr->watch_by_pid, pid, &v))
        return &rr->watches[v - 1];
    if (!create)
        return NULL;
    for (i = 0; i < rr->nwatches; i++)
        if (!rr->watches[i].used)
            break;
    if (i == rr->nwatches) {
        if (rr->nwatches < WATCH_MAX) {
            watch *nw = realloc(rr->watches, (rr->nwatches + 1) * sizeof *nw);
            if (!nw)
                return NULL;
            rr->watches = nw;
            memset(&rr->watches[rr->nwatches], 0, sizeof *nw);
            ps_buf_init(&rr->watches[rr->nwatches].paths);
            i = rr->nwatches++;
        } else {
            /* the oldest watch goes */
            for (i = 1, idx = 0; i < rr->nwatches; i++)
                if (rr->watches[i].stamp < rr->watches[idx].stamp)
                    idx = i;
            i = idx;
            ps_map_del(&rr->watch_by_pid, rr->watches[i].pid);
        }
    }
    w = &rr->watches[i];
    w->used = true;
    w->pid = pid;
    w->n = 0;
    w->stamp = ++rr->watch_clock;
    ps_buf_reset(&w->paths);
    if (ps_map_put(&rr->watch_by_pid, pid, i + 1) < 0)
        return NULL;
    return w;
}

static void watch_drop(ps_rules_run *rr, uint32_t pid)
{
    watch *w = watch_get(rr, pid, false);
    if (!w)
        return;
    w->used = false;
    w->n = 0;
    ps_buf_reset(&w->paths);
    ps_map_del(&rr->watch_by_pid, pid);
}

static int watch_event(ps_rules_run *rr, int64_t event_id, const ps_event *ev)
{
    watch *w;

    if (ev->op == PS_OP_PROCESS_CREATE && ev->has_child_pid)
        return watch_get(rr, ev->child_pid, true) ? 0 : PS_ERR_NOMEM;
    if (ev->op == PS_OP_PROCESS_START && ev->nfields)   /* Sysmon 1 / Security 4688: the creation starts here */
        return watch_get(rr, ev->pid, true) ? 0 : PS_ERR_NOMEM;
    if (ev->op != PS_OP_LOAD_IMAGE || !ev->path || !*ev->path || !(w = watch_get(rr, ev->pid, false)))
        return 0;
    if (w->n == WATCH_LOADS)
        return 0;
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 16;
        int64_t *ne = realloc(w->event_ids, nc * sizeof *ne);
        size_t *no;
        if (!ne)
            return PS_ERR_NOMEM;
        w->event_ids = ne;
        no = realloc(w->offs, nc * sizeof *no);
        if (!no)
            return PS_ERR_NOMEM;
        w->offs = no;
        w->cap = nc;
    }
    w->event_ids[w->n] = event_id;
    w->offs[w->n] = w->paths.len;
    if (ps_buf_append(&w->paths, ev->path, strlen(ev->path) + 1) < 0)
        return PS_ERR_NOMEM;
    w->n++;
    return 0;
}

/* The images the child loaded during user_init: loads after B5 up to B6. */
static int creation_modules(ps_rules_run *rr, const ps_creation *c)
{
    watch *w;
    size_t i;

    rr->x.modules = NULL;
    rr->x.nmodules = 0;
    if (!c->has_child_pid || !(w = watch_get(rr, c->child_pid, false)))
        return 0;
    if (c->b[5].found && c->b[6].found && c->b[6].event_id > c->b[5].event_id) {
        if (rr->modcap < w->n) {
            const char **nm = realloc(rr->modv, w->n * sizeof *nm);
            if (!nm)
                return PS_ERR_NOMEM;
            rr->modv = nm;
            rr->modcap = w->n;
        }
        for (i = 0; i < w->n; i++)
            if (w->event_ids[i] > c->b[5].event_id && w->event_ids[i] <= c->b[6].event_id)
                rr->modv[rr->x.nmodules++] = w->paths.data + w->offs[i];
        rr->x.modules = rr->modv;
    }
    return 0;
}

/* ---- deferred rules: the per-image distribution --------------------------------------------------- */

static int snapshot(ps_rules_run *rr, view *v, const ps_creation *c)
{
    snap *s;
    size_t i;
    const char *img = c->image_path ? ps_path_basename(c->image_path) : "";
    char *lc;

    if (rr->nsnaps == rr->snapcap) {
        size_t nc = rr->snapcap ? rr->snapcap * 2 : 64;
        snap *ns = realloc(rr->snaps, nc * sizeof *ns);
        if (!ns)
            return PS_ERR_NOMEM;
        rr->snaps = ns;
        rr->snapcap = nc;
    }
    s = &rr->snaps[rr->nsnaps];
    memset(s, 0, sizeof *s);
    s->creation_id = c->creation_id;
    s->event_id = c->anchor_event_id;
    s->ts = c->create_ts;
    lc = ps_arena_strdup(&rr->snap_arena, img);
    if (!lc)
        return PS_ERR_NOMEM;
    for (i = 0; lc[i]; i++)
        if (lc[i] >= 'A' && lc[i] <= 'Z')
            lc[i] = (char)(lc[i] + 32);
    s->image = lc;
    for (i = 0; i < PS_NSTAGES; i++)
        if (c->s[i].has_duration && c->s[i].conf != PS_CONF_MISSING && c->status != PS_STATUS_FAILED) {
            s->has[i] = true;
            s->dur[i] = (double)c->s[i].duration / 10000.0;
        }
    s->first = rr->nsvals;
    for (i = 0; i < v->nfields; i++) {
        fv *f;
        if (!rr->snap_field[i])
            continue;
        for (f = view_get(v, (int)i); f; f = f->next >= 0 ? &v->pool[f->next] : NULL) {
            if (rr->nsvals == rr->svalcap) {
                size_t nc = rr->svalcap ? rr->svalcap * 2 : 256;
                snapval *nv = realloc(rr->svals, nc * sizeof *nv);
                if (!nv)
                    return PS_ERR_NOMEM;
                rr->svals = nv;
                rr->svalcap = nc;
            }
            rr->svals[rr->nsvals].field = (int)i;
            rr->svals[rr->nsvals].s = ps_arena_strndup(&rr->snap_arena, f->s, f->n);
            if (!rr->svals[rr->nsvals].s)
                return PS_ERR_NOMEM;
            rr->nsvals++;
        }
    }
    s->n = rr->nsvals - s->first;
    rr->nsnaps++;
    return 0;
}

/* over pointers into the run's snaps: no state shared between runs, which
 * the parallel ingest's workers have one each of */
static int cmp_snap(const void *a, const void *b)
{
    const snap *x = *(const snap *const *)a, *y = *(const snap *const *)b;
    int c = strcmp(x->image, y->image);
    return c ? c : (x->creation_id < y->creation_id ? -1 : 1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *d, size_t n)
{
    qsort(d, n, sizeof *d, cmp_double);
    return n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
}

static int run_deferred(ps_rules_run *rr, ps_error *err)
{
    const snap **order;
    size_t i, j, k;
    double *tmp;
    int rc = 0;

    if (!rr->nsnaps)
        return 0;
    order = malloc(rr->nsnaps * sizeof *order);
    tmp = malloc(rr->nsnaps * sizeof *tmp);
    if (!order || !tmp) {
        free(order);
        free(tmp);
        return ps_error_nomem(err);
    }
    for (i = 0; i < rr->nsnaps; i++)
        order[i] = &rr->snaps[i];
    qsort(order, rr->nsnaps, sizeof *order, cmp_snap);
    for (i = 0; i < rr->nsnaps && rc == 0;) {
        double med[PS_NSTAGES], mad[PS_NSTAGES];
        bool have[PS_NSTAGES];
        size_t end = i, st;
        while (end < rr->nsnaps && !strcmp(order[end]->image, order[i]->image))
            end++;
        for (st = 0; st < PS_NSTAGES; st++) {
            size_t n = 0;
            for (j = i; j < end; j++)
                if (order[j]->has[st])
                    tmp[n++] = order[j]->dur[st];
            have[st] = n > 0;
            if (!n)
                continue;
            med[st] = median(tmp, n);
            for (k = 0; k < n; k++)
                tmp[k] = fabs(tmp[k] - med[st]);
            mad[st] = median(tmp, n);
        }
        for (j = i; j < end && rc == 0; j++) {
            const snap *s = order[j];
            view *v = &rr->v;
            view_reset(v);
            next_subject(rr);
            v->ts = s->ts;
            v->event_id = s->event_id;
            v->creation_id = s->creation_id;
            for (k = 0; k < s->n; k++) {
                const snapval *sv = &rr->svals[s->first + k];
                if (view_set(v, sv->field, sv->s, strlen(sv->s)) < 0)
                    rc = ps_error_nomem(err);
            }
            rc |= view_setf(v, rr->wk[WK_IMAGE_CREATIONS], "%zu", end - i);
            for (st = 0; st < PS_NSTAGES; st++) {
                double scale;
                if (!have[st] || !s->has[st])
                    continue;
                rc |= view_setf(v, rr->wk[WK_STAGE_MEDIAN + st], "%.4f", med[st]);
                if (med[st] > 0)
                    rc |= view_setf(v, rr->wk[WK_STAGE_RATIO + st], "%.4f", s->dur[st] / med[st]);
                /* robust z-score; the spread never below 1 % of the median or 1 us */
                scale = 1.4826 * mad[st];
                if (scale < 0.01 * med[st])
                    scale = 0.01 * med[st];
                if (scale < 0.001)
                    scale = 0.001;
                rc |= view_setf(v, rr->wk[WK_STAGE_SCORE + st], "%.4f", (s->dur[st] - med[st]) / scale);
            }
            if (rc < 0) {
                rc = ps_error_nomem(err);
                break;
            }
            scan_all(rr, v);
            rc = run_bucket(rr, v, LS_STAGES, true, err);
        }
        i = end;
    }
    free(order);
    free(tmp);
    return rc;
}

/* ---- the run ---------------------------------------------------------------------------------- */

int ps_rules_run_new(const ps_ruleset *rs, ps_store *store, ps_rules_run **out, ps_error *err)
{
    ps_rules_run *rr;
    size_t i, j, maxsel = 1;

    *out = NULL;
    if (!rs->finished)
        return ps_error_set(err, PS_ERR_INTERNAL, "the ruleset is not finished");
    rr = calloc(1, sizeof *rr);
    if (!rr)
        return ps_error_nomem(err);
    rr->rs = rs;
    rr->store = store;
    ps_buf_init(&rr->json);
    ps_map_init(&rr->state_by_hash);
    ps_map_init(&rr->watch_by_pid);
    ps_arena_init(&rr->snap_arena, 65536);
    ps_wk_resolve(&rs->dict, rr->wk);
    for (i = 0; i < rs->n; i++) {
        if (rs->rules[i].nsels > maxsel)
            maxsel = rs->rules[i].nsels;
        for (j = 0; j < rs->rules[i].nsev; j++)
            if (rs->rules[i].sev[j].s.ng > maxsel)
                maxsel = rs->rules[i].sev[j].s.ng;
    }
    rr->memo = malloc(maxsel);
    rr->matches = calloc(rs->n ? rs->n : 1, sizeof *rr->matches);
    rr->snap_field = calloc(rs->dict.n + 1, 1);
    rr->md = pcre2_match_data_create(4, NULL);
    rr->mctx = pcre2_match_context_create(NULL);
    rr->jit = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    if (!rr->memo || !rr->matches || !rr->snap_field || !rr->md || !rr->mctx || !rr->jit ||
        view_init(&rr->v, &rs->dict, rs->has_keywords) < 0 || view_init(&rr->cv, &rs->dict, false) < 0) {
        ps_rules_run_free(rr);
        return ps_error_nomem(err);
    }
    rr->acm_scanned = calloc(rs->nacms + 1, sizeof *rr->acm_scanned);
    rr->pstamp = calloc(rs->nacms + 1, sizeof *rr->pstamp);
    rr->pflags = calloc(rs->nacms + 1, sizeof *rr->pflags);
    rr->istamp = calloc(rs->nitems + 1, sizeof *rr->istamp);
    if (!rr->acm_scanned || !rr->pstamp || !rr->pflags || !rr->istamp) {
        ps_rules_run_free(rr);
        return ps_error_nomem(err);
    }
    for (i = 0; i < rs->nacms; i++) {
        size_t np = ps_acm_patterns(rs->acms[i]) + 1;
        rr->pstamp[i] = calloc(np, sizeof **rr->pstamp);
        rr->pflags[i] = calloc(np, 1);
        if (!rr->pstamp[i] || !rr->pflags[i]) {
            ps_rules_run_free(rr);
            return ps_error_nomem(err);
        }
    }
    pcre2_set_match_limit(rr->mctx, PS_RULE_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(rr->mctx, PS_RULE_REGEX_DEPTH_LIMIT);
    pcre2_jit_stack_assign(rr->mctx, NULL, rr->jit);
    rr->want_modules = rr->wk[WK_USER_INIT_MODULES] >= 0;
    for (i = 0; i < rs->n; i++) {
        const rule *r = &rs->rules[i];
        if (!r->deferred)
            continue;
        rr->any_deferred = true;
        for (j = 0; j < r->nfields; j++)
            rr->snap_field[r->fields[j]] = 1;
        for (j = 0; j < r->nevk; j++)
            rr->snap_field[r->evk[j].field] = 1;
        for (j = 0; j < r->neve; j++)
            rr->snap_field[r->eve[j].field] = 1;
        for (j = 0; j < r->nconsumers; j++) {
            const corr *k = rs->rules[r->consumers[j]].corr;
            size_t g;
            for (g = 0; g < k->nrefs * k->ngroup; g++)
                if (k->gfield[g] >= 0)
                    rr->snap_field[k->gfield[g]] = 1;
        }
    }
    *out = rr;
    return 0;
}

void ps_rules_run_free(ps_rules_run *rr)
{
    size_t i;
    if (!rr)
        return;
    for (i = 0; i < rr->rs->nacms; i++) {
        if (rr->pstamp)
            free(rr->pstamp[i]);
        if (rr->pflags)
            free(rr->pflags[i]);
    }
    free(rr->pstamp);
    free(rr->pflags);
    free(rr->acm_scanned);
    free(rr->istamp);
    view_release(&rr->v);
    view_release(&rr->cv);
    free(rr->memo);
    free(rr->matches);
    free(rr->snap_field);
    if (rr->md)
        pcre2_match_data_free(rr->md);
    if (rr->mctx)
        pcre2_match_context_free(rr->mctx);
    if (rr->jit)
        pcre2_jit_stack_free(rr->jit);
    ps_buf_release(&rr->json);
    for (i = 0; i < rr->nstates; i++)
        state_clear(&rr->states[i]);
    free(rr->states);
    free(rr->free_states);
    ps_map_release(&rr->state_by_hash);
    for (i = 0; i < rr->nwatches; i++) {
        free(rr->watches[i].event_ids);
        free(rr->watches[i].offs);
        ps_buf_release(&rr->watches[i].paths);
    }
    free(rr->watches);
    ps_map_release(&rr->watch_by_pid);
    free(rr->modv);
    free(rr->snaps);
    free(rr->svals);
    ps_arena_release(&rr->snap_arena);
    free(rr);
}

void ps_rules_set_hook(ps_rules_run *rr, ps_rule_match_fn fn, void *ctx)
{
    rr->hook = fn;
    rr->hook_ctx = ctx;
}

static void forget_trace(ps_rules_run *rr);

int ps_rules_begin_trace(ps_rules_run *rr, int64_t trace_id, const ps_trace_info *info, struct ps_recon *recon,
                         ps_error *err)
{
    (void)err;
    forget_trace(rr);   /* a trace that failed half-way leaves nothing behind */
    rr->trace_id = trace_id;
    rr->info = info;
    rr->recon = recon;
    rr->in_trace = true;
    memset(&rr->x, 0, sizeof rr->x);
    rr->x.wk = rr->wk;
    rr->x.sf = rr->rs->sf;
    rr->x.info = info;
    rr->x.recon = recon;
    return 0;
}

static void forget_trace(ps_rules_run *rr)
{
    size_t i;
    for (i = 0; i < rr->nstates; i++)
        state_clear(&rr->states[i]);
    rr->nstates = 0;
    rr->nfree = 0;
    ps_map_clear(&rr->state_by_hash);
    for (i = 0; i < rr->nwatches; i++) {
        rr->watches[i].used = false;
        rr->watches[i].n = 0;
        ps_buf_reset(&rr->watches[i].paths);
    }
    ps_map_clear(&rr->watch_by_pid);
    rr->nsnaps = rr->nsvals = 0;
    ps_arena_reset(&rr->snap_arena);
    rr->in_trace = false;
    rr->recon = NULL;
    rr->x.recon = NULL;
}

int ps_rules_event(ps_rules_run *rr, int64_t event_id, const ps_event *ev, ps_error *err)
{
    const ps_ruleset *rs = rr->rs;
    view *v = &rr->v;
    int i, rc;
    bool any = false;

    if (rr->want_modules && (rc = watch_event(rr, event_id, ev)) < 0)
        return ps_error_nomem(err);
    ps_view_classify(v, ev);
    for (i = 0; i < v->nls && !any; i++)
        any = rs->nbucket[v->lskeys[i]] > 0;
    if (!any)
        return 0;
    {
        int keys[8], n = v->nls;
        memcpy(keys, v->lskeys, sizeof keys);
        view_reset(v);
        next_subject(rr);
        memcpy(v->lskeys, keys, sizeof keys);
        v->nls = n;
    }
    v->event_id = event_id;
    if (ps_view_event(v, &rr->x, ev) < 0)
        return ps_error_nomem(err);
    scan_all(rr, v);
    for (i = 0; i < v->nls; i++)
        if ((rc = run_bucket(rr, v, v->lskeys[i], false, err)) < 0)
            return rc;
    return 0;
}

int ps_rules_creation(ps_rules_run *rr, const ps_creation *c, ps_error *err)
{
    const ps_ruleset *rs = rr->rs;
    view *v = &rr->v;
    bool proc_creation = rr->info && rr->info->family != PS_FAMILY_EVENTLOG &&
                         (c->status != PS_STATUS_FAILED || c->b[3].found) &&   /* a death while loading ran */
                         rs->nbucket[LS_PROCESS_CREATION];
    int rc = 0;

    if (rr->want_modules && (rc = creation_modules(rr, c)) < 0)
        return ps_error_nomem(err);
    if (!rs->nbucket[LS_STAGES] && !proc_creation)
        goto done;
    view_reset(v);
    next_subject(rr);
    if (ps_view_creation(v, &rr->x, c, proc_creation) < 0) {
        rc = ps_error_nomem(err);
        goto done;
    }
    scan_all(rr, v);
    if ((rc = run_bucket(rr, v, LS_STAGES, false, err)) < 0)
        goto done;
    if (proc_creation && (rc = run_bucket(rr, v, LS_PROCESS_CREATION, false, err)) < 0)
        goto done;
    if (rr->any_deferred && (rc = snapshot(rr, v, c)) < 0)
        rc = ps_error_nomem(err);
done:
    if (rr->want_modules && c->has_child_pid)
        watch_drop(rr, c->child_pid);
    rr->x.modules = NULL;
    rr->x.nmodules = 0;
    return rc;
}

int ps_rules_end_trace(ps_rules_run *rr, ps_error *err)
{
    int rc = 0;
    if (rr->any_deferred)
        rc = run_deferred(rr, err);
    forget_trace(rr);
    return rc;
}

uint64_t ps_rules_findings(const ps_rules_run *rr)
{
    return rr->findings;
}

uint64_t ps_rules_regex_limited(const ps_rules_run *rr)
{
    return rr->regex_limited;
}
