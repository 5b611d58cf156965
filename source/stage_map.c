/*
 * stage_map.c - loads rules/stages.yml (see stage_map.h).
 */
#include "source/stage_map.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/yamltree.h"
#include "model/creation.h"
#include "model/embedded.h"

static void strv_free(char **v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void ps_stage_map_release(ps_stage_map *m)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        ps_stage_entry *e = &m->entries[i];
        free(e->function);
        free(e->label);
        strv_free(e->modules, e->nmodules);
        strv_free(e->under, e->nunder);
        strv_free(e->identify, e->nidentify);
    }
    free(m->entries);
    strv_free(m->stop, m->nstop);
    for (i = 0; i < m->naliases; i++) {
        free(m->aliases[i].alias);
        free(m->aliases[i].canonical);
    }
    free(m->aliases);
    ps_map_release(&m->by_name);
    free(m->next);
    free(m->source);
    memset(m, 0, sizeof *m);
}

static char *lower_dup(const char *s)
{
    char *d = ps_strdup(s), *p;
    for (p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

int ps_stage_parse(const char *s, size_t len)
{
    int k;

    if (len == 1 && s[0] >= '0' && s[0] <= '6')
        return s[0] - '0';
    if (len == 4 && !strncmp(s, "none", 4))
        return 0;
    for (k = 1; k <= 6; k++) {
        const char *n = ps_stage_name(k);
        if (strlen(n) == len && !strncmp(n, s, len))
            return k;
    }
    return -1;
}

void ps_symbol_undecorate(const char *s, size_t n, const char **start, size_t *len)
{
    size_t k;

    if (n >= 2 && (s[0] == '_' || s[0] == '@') && isalpha((unsigned char)s[1])) {
        s++;
        n--;
    }
    k = n;
    while (k > 0 && isdigit((unsigned char)s[k - 1]))
        k--;
    if (k > 0 && k < n && s[k - 1] == '@')
        n = k - 1;
    *start = s;
    *len = n;
}

static uint64_t name_key(const char *s, size_t n)
{
    return ps_hash_bytes(s, n, 0x5354414745ULL);
}

static int grow_entries(ps_stage_map *m)
{
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        ps_stage_entry *ne = realloc(m->entries, nc * sizeof *ne);
        size_t *nx;
        if (!ne)
            return PS_ERR_NOMEM;
        m->entries = ne;
        nx = realloc(m->next, nc * sizeof *nx);
        if (!nx)
            return PS_ERR_NOMEM;
        m->next = nx;
        m->cap = nc;
    }
    return 0;
}

/* Links entry i into the name index (after the entries already there, so
 * that lookups return entries in file order). */
static int index_entry(ps_stage_map *m, size_t i)
{
    const char *f = m->entries[i].function;
    uint64_t key = name_key(f, strlen(f)), v;

    m->next[i] = 0;
    if (!ps_map_get(&m->by_name, key, &v))
        return ps_map_put(&m->by_name, key, i + 1) < 0 ? PS_ERR_NOMEM : 0;
    while (m->next[v - 1])
        v = m->next[v - 1];
    m->next[v - 1] = i + 1;
    return 0;
}

int ps_stage_map_add(ps_stage_map *m, const char *function, const char *module, int stage, const char *label,
                     const char *origin, ps_error *err)
{
    ps_stage_entry *e;

    if (grow_entries(m) < 0)
        return ps_error_nomem(err);
    e = &m->entries[m->n];
    memset(e, 0, sizeof *e);
    e->function = ps_strdup(function);
    e->label = label && *label ? ps_strdup(label) : NULL;
    e->stage = stage;
    e->origin = origin;
    if (module && *module) {
        e->modules = calloc(1, sizeof *e->modules);
        if (e->modules && (e->modules[0] = lower_dup(module)) != NULL)
            e->nmodules = 1;
    }
    if (!e->function || (module && *module && !e->nmodules)) {
        free(e->function);
        strv_free(e->modules, e->nmodules);
        free(e->label);
        return ps_error_nomem(err);
    }
    m->n++;
    if (index_entry(m, m->n - 1) < 0)
        return ps_error_nomem(err);
    return 0;
}

int ps_stage_map_add_stop(ps_stage_map *m, const char *name, ps_error *err)
{
    if (m->nstop == m->stopcap) {
        size_t nc = m->stopcap ? m->stopcap * 2 : 32;
        char **ns = realloc(m->stop, nc * sizeof *ns);
        if (!ns)
            return ps_error_nomem(err);
        m->stop = ns;
        m->stopcap = nc;
    }
    if (!(m->stop[m->nstop] = ps_strdup(name)))
        return ps_error_nomem(err);
    m->nstop++;
    return 0;
}

bool ps_stage_map_is_stop(const ps_stage_map *m, const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < m->nstop; i++)
        if (strlen(m->stop[i]) == len && !memcmp(m->stop[i], name, len))
            return true;
    return false;
}

const ps_stage_entry *ps_stage_map_first(const ps_stage_map *m, const char *function, size_t len)
{
    uint64_t v;

    if (!m->n || !ps_map_get(&m->by_name, name_key(function, len), &v))
        return NULL;
    for (; v; v = m->next[v - 1]) {
        const ps_stage_entry *e = &m->entries[v - 1];
        if (strlen(e->function) == len && !memcmp(e->function, function, len))
            return e;
    }
    return NULL;
}

const ps_stage_entry *ps_stage_map_next(const ps_stage_map *m, const ps_stage_entry *e)
{
    size_t v = m->next[(size_t)(e - m->entries)];
    size_t len = strlen(e->function);

    for (; v; v = m->next[v - 1]) {
        const ps_stage_entry *x = &m->entries[v - 1];
        if (strlen(x->function) == len && !memcmp(x->function, e->function, len))
            return x;
    }
    return NULL;
}

bool ps_stage_entry_module_ok(const ps_stage_map *m, const ps_stage_entry *e, const char *module)
{
    const char *base;
    size_t i, k;

    if (!e->nmodules)
        return true;
    if (!module || !*module)
        return false;
    base = ps_path_basename(module);
    for (i = 0; i < e->nmodules; i++) {
        if (ps_streq_ci(base, e->modules[i]))
            return true;
        for (k = 0; k < m->naliases; k++)
            if (ps_streq_ci(base, m->aliases[k].alias) && !strcmp(m->aliases[k].canonical, e->modules[i]))
                return true;
    }
    return false;
}

/* ---- loading ------------------------------------------------------------------ */

/* A scalar or a sequence of scalars into a string vector. */
static int str_list(const ps_ydoc *d, const ps_ynode *n, const char *key, bool lower, char ***out,
                    size_t *count, ps_error *err)
{
    size_t i, k = n->type == PS_Y_SEQ ? n->n : 1;

    *out = NULL;
    *count = 0;
    if (n->type != PS_Y_SEQ && n->type != PS_Y_SCALAR)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: '%s' must be a name or a list of names",
                            d->name, n->line, key);
    *out = calloc(k ? k : 1, sizeof **out);
    if (!*out)
        return ps_error_nomem(err);
    for (i = 0; i < k; i++) {
        const ps_ynode *it = n->type == PS_Y_SEQ ? n->items[i] : n;
        if (it->type != PS_Y_SCALAR || !it->value[0])
            return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: '%s' items must be names", d->name,
                                it->line, key);
        (*out)[i] = lower ? lower_dup(it->value) : ps_strdup(it->value);
        if (!(*out)[i])
            return ps_error_nomem(err);
        (*count)++;
    }
    return 0;
}

static int load_entry(ps_stage_map *m, const ps_ydoc *d, const ps_ynode *it, ps_error *err)
{
    const ps_ynode *fn, *st, *mod, *lab, *und, *idn;
    ps_stage_entry *e;
    int stage, rc;

    if (it->type != PS_Y_MAP)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: a function entry must be a mapping", d->name,
                            it->line);
    fn = ps_ymap_get(it, "function");
    st = ps_ymap_get(it, "stage");
    if (!fn || fn->type != PS_Y_SCALAR || !fn->value[0])
        return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: the entry has no 'function'", d->name, it->line);
    if (!st || st->type != PS_Y_SCALAR || (stage = ps_stage_parse(st->value, strlen(st->value))) < 0)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: '%s' needs a stage 0..6 or a stage name",
                            d->name, st ? st->line : it->line, fn->value);
    if (grow_entries(m) < 0)
        return ps_error_nomem(err);
    e = &m->entries[m->n];
    memset(e, 0, sizeof *e);
    m->n++;   /* counted now so that release frees what is filled in */
    e->stage = stage;
    e->line = it->line;
    e->origin = "map";
    if (!(e->function = ps_strdup(fn->value)))
        return ps_error_nomem(err);
    lab = ps_ymap_get(it, "label");
    if (lab && lab->type == PS_Y_SCALAR && lab->value[0] && !(e->label = ps_strdup(lab->value)))
        return ps_error_nomem(err);
    if ((mod = ps_ymap_get(it, "module")) && (rc = str_list(d, mod, "module", true, &e->modules, &e->nmodules, err)) < 0)
        return rc;
    if ((und = ps_ymap_get(it, "under")) && (rc = str_list(d, und, "under", false, &e->under, &e->nunder, err)) < 0)
        return rc;
    if ((idn = ps_ymap_get(it, "identify")) &&
        (rc = str_list(d, idn, "identify", false, &e->identify, &e->nidentify, err)) < 0)
        return rc;
    return index_entry(m, m->n - 1) < 0 ? ps_error_nomem(err) : 0;
}

/* Fills m from a loaded document; on failure m is released. */
static int load_doc(ps_stage_map *m, ps_ydoc *d, const char *name, ps_error *err)
{
    const ps_ynode *fns, *al, *sc, *stop;
    size_t i;
    int rc = 0;

    if (!d->root || d->root->type != PS_Y_MAP) {
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': not a YAML mapping", name);
        goto out;
    }
    fns = ps_ymap_get(d->root, "functions");
    if (!fns || fns->type != PS_Y_SEQ) {
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': needs a 'functions' list", name);
        goto out;
    }
    for (i = 0; i < fns->n; i++)
        if ((rc = load_entry(m, d, fns->items[i], err)) < 0)
            goto out;
    if ((al = ps_ymap_get(d->root, "module_aliases")) != NULL) {
        if (al->type != PS_Y_MAP) {
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: 'module_aliases' must be a mapping", name,
                              al->line);
            goto out;
        }
        for (i = 0; i < al->n; i++) {
            char **names = NULL;
            size_t k, nn = 0;
            const ps_ynode *key = ps_ymap_key(al, i);
            ps_stage_alias *na;
            if (key->type != PS_Y_SCALAR) {
                rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: a module name is expected", name, key->line);
                goto out;
            }
            if ((rc = str_list(d, ps_ymap_val(al, i), key->value, true, &names, &nn, err)) < 0) {
                strv_free(names, nn);
                goto out;
            }
            na = realloc(m->aliases, (m->naliases + nn + 1) * sizeof *na);
            if (!na) {
                strv_free(names, nn);
                rc = ps_error_nomem(err);
                goto out;
            }
            m->aliases = na;
            for (k = 0; k < nn; k++) {
                na[m->naliases].alias = names[k];
                na[m->naliases].canonical = lower_dup(key->value);
                if (!na[m->naliases].canonical) {
                    size_t j;
                    for (j = k; j < nn; j++)   /* the names not handed over yet */
                        free(names[j]);
                    rc = ps_error_nomem(err);
                    free(names);
                    goto out;
                }
                m->naliases++;
            }
            free(names);
        }
    }
    sc = ps_ymap_get(d->root, "scanner");
    stop = sc ? ps_ymap_get(sc, "stop_calls") : NULL;
    if (stop) {
        if (stop->type != PS_Y_SEQ) {
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: 'stop_calls' must be a list", name, stop->line);
            goto out;
        }
        for (i = 0; i < stop->n; i++) {
            const ps_ynode *it = stop->items[i];
            if (it->type != PS_Y_SCALAR || !it->value[0]) {
                rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: 'stop_calls' items must be names", name,
                                  it->line);
                goto out;
            }
            if ((rc = ps_stage_map_add_stop(m, it->value, err)) < 0)
                goto out;
        }
    }
    if (!(m->source = ps_strdup(name)))
        rc = ps_error_nomem(err);
out:
    if (rc < 0)
        ps_stage_map_release(m);
    return rc;
}

int ps_stage_map_load_text(ps_stage_map *m, const char *text, size_t len, const char *name, ps_error *err)
{
    ps_ydoc *d = NULL;
    int rc;

    memset(m, 0, sizeof *m);
    ps_map_init(&m->by_name);
    if ((rc = ps_yaml_load(text, len, name, &d, err)) < 0)
        return rc;
    rc = load_doc(m, d, name, err);
    ps_yaml_free(d);
    return rc;
}

int ps_stage_map_load_default(ps_stage_map *m, ps_error *err)
{
    return ps_stage_map_load_text(m, ps_embedded_stages_yml, ps_embedded_stages_yml_len,
                                  "built-in rules/stages.yml", err);
}

int ps_stage_map_load_file(ps_stage_map *m, const char *path, ps_error *err)
{
    ps_ydoc *d = NULL;
    int rc;

    memset(m, 0, sizeof *m);
    ps_map_init(&m->by_name);
    if ((rc = ps_yaml_load_file(path, &d, err)) < 0)
        return rc;
    rc = load_doc(m, d, path, err);
    ps_yaml_free(d);
    return rc;
}
