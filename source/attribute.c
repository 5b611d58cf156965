/*
 * attribute.c - stack attribution (see attribute.h).
 */
#include "source/attribute.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"
#include "source/catalogue.h"

#define MAX_FRAMES 4096          /* frames looked at per stack */

typedef struct sym {
    char *module;                /* lower-case file name */
    uint64_t start, end;
    char *function;
} sym;

struct ps_attr {
    const ps_stage_map *map;
    sym *syms;
    size_t nsyms, symcap;
    ps_map done;                 /* stack_id -> stage + 1 | depth << 8 (computed) */
    ps_store *store;
    sqlite3_stmt *ins;
    uint64_t counts[7];
    /* per stack: the resolved name of every frame */
    const char **names;
    size_t *lens;
    bool *by_sym;
    size_t namecap;
    bool oom;                    /* ensure_names failed: ps_attr_event reports it */
};

int ps_attr_new(const ps_stage_map *map, ps_attr **out, ps_error *err)
{
    ps_attr *a = calloc(1, sizeof *a);
    *out = NULL;
    if (!a)
        return ps_error_nomem(err);
    a->map = map;
    ps_map_init(&a->done);
    *out = a;
    return 0;
}

void ps_attr_free(ps_attr *a)
{
    size_t i;
    if (!a)
        return;
    for (i = 0; i < a->nsyms; i++) {
        free(a->syms[i].module);
        free(a->syms[i].function);
    }
    free(a->syms);
    ps_map_release(&a->done);
    sqlite3_finalize(a->ins);
    free(a->names);
    free(a->lens);
    free(a->by_sym);
    free(a);
}

size_t ps_attr_symbol_count(const ps_attr *a)
{
    return a->nsyms;
}

/* ---- the symbol file ------------------------------------------------------------- */

static int sym_cmp(const void *x, const void *y)
{
    const sym *a = x, *b = y;
    int c = strcmp(a->module, b->module);
    if (c)
        return c;
    return a->start < b->start ? -1 : a->start > b->start;
}

static bool parse_num(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long x;
    if (!*s || *s == '-')
        return false;
    errno = 0;
    x = strtoull(s, &end, (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10);
    if (errno || *end)
        return false;
    *v = x;
    return true;
}

int ps_attr_load_symbols(ps_attr *a, const char *path, ps_error *err)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    unsigned long ln = 0;
    int rc = 0;

    if (!f)
        return ps_error_set(err, errno == ENOENT ? PS_ERR_INPUT : PS_ERR_IO, "cannot open '%s': %s", path,
                            errno == ENOENT ? "no such file" : ps_errno_text(errno));
    while (fgets(line, sizeof line, f)) {
        char *fld[5], *p = line, *save = NULL, *hash;
        size_t nf = 0;
        sym *s;
        ln++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %lu: longer than %zu bytes", path, ln, sizeof line - 1);
            break;
        }
        if ((hash = strchr(line, '#')) != NULL)
            *hash = '\0';
        for (p = strtok_r(line, " \t,\r\n", &save); p && nf < 5; p = strtok_r(NULL, " \t,\r\n", &save))
            fld[nf++] = p;
        if (nf == 0)
            continue;
        if (nf != 4) {
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %lu: expected MODULE START END FUNCTION", path, ln);
            break;
        }
        if (a->nsyms == a->symcap) {
            size_t nc = a->symcap ? a->symcap * 2 : 256;
            sym *ns = realloc(a->syms, nc * sizeof *ns);
            if (!ns) {
                rc = ps_error_nomem(err);
                break;
            }
            a->syms = ns;
            a->symcap = nc;
        }
        s = &a->syms[a->nsyms];
        if (!parse_num(fld[1], &s->start) || !parse_num(fld[2], &s->end) || s->end <= s->start) {
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': line %lu: START and END must be numbers, START below END",
                              path, ln);
            break;
        }
        s->module = ps_strdup(ps_path_basename(fld[0]));
        s->function = ps_strdup(fld[3]);
        if (!s->module || !s->function) {
            free(s->module);
            free(s->function);
            rc = ps_error_nomem(err);
            break;
        }
        for (p = s->module; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        a->nsyms++;
    }
    if (!rc && ferror(f))
        rc = ps_error_set(err, PS_ERR_IO, "cannot read '%s': %s", path, ps_errno_text(errno));
    fclose(f);
    if (!rc)
        qsort(a->syms, a->nsyms, sizeof *a->syms, sym_cmp);
    return rc;
}

/* The function at module + offset, or NULL. */
static const sym *sym_find(const ps_attr *a, const char *module, uint64_t off)
{
    const char *base = ps_path_basename(module);
    size_t lo = 0, hi = a->nsyms;

    /* the last symbol of the module starting at or below off */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const sym *s = &a->syms[mid];
        int c = strcasecmp(s->module, base);
        if (c < 0 || (c == 0 && s->start <= off))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    {
        const sym *s = &a->syms[lo - 1];
        if (strcasecmp(s->module, base) || off >= s->end)
            return NULL;
        return s;
    }
}

/* ---- attribution -------------------------------------------------------------------- */

static int ensure_names(ps_attr *a, size_t n)
{
    if (n <= a->namecap)
        return 0;
    free(a->names);
    free(a->lens);
    free(a->by_sym);
    a->names = calloc(n, sizeof *a->names);
    a->lens = calloc(n, sizeof *a->lens);
    a->by_sym = calloc(n, sizeof *a->by_sym);
    if (!a->names || !a->lens || !a->by_sym) {
        a->namecap = 0;
        return PS_ERR_NOMEM;
    }
    a->namecap = n;
    return 0;
}

/* The function of a frame: its symbol, or the symbol file's name for
 * module + offset. */
static void resolve(const ps_attr *a, const ps_frame *f, const char **name, size_t *len, bool *by_sym)
{
    *name = NULL;
    *len = 0;
    *by_sym = false;
    if (f->symbol && *f->symbol) {
        *name = f->symbol;
        *len = strlen(f->symbol);
        return;
    }
    if (a->nsyms && f->module && *f->module) {
        const sym *s = sym_find(a, f->module, f->offset);
        if (s) {
            *name = s->function;
            *len = strlen(s->function);
            *by_sym = true;
        }
    }
}

/* Map entries for a name as the frame shows it, or without x86 decorations. */
static const ps_stage_entry *lookup(const ps_stage_map *m, const char *name, size_t len)
{
    const ps_stage_entry *e = ps_stage_map_first(m, name, len);
    if (!e) {
        const char *u;
        size_t ul;
        ps_symbol_undecorate(name, len, &u, &ul);
        if (ul != len)
            e = ps_stage_map_first(m, u, ul);
    }
    return e;
}

static bool name_is(const char *n, size_t len, const char *s)
{
    const char *u;
    size_t ul;
    if (strlen(s) == len && !memcmp(n, s, len))
        return true;
    ps_symbol_undecorate(n, len, &u, &ul);
    return strlen(s) == ul && !memcmp(u, s, ul);
}

bool ps_attr_frames(ps_attr *a, const ps_frame *frames, uint32_t n, ps_attr_hit *hit)
{
    uint32_t d, k, lim = n < MAX_FRAMES ? n : MAX_FRAMES;

    memset(hit, 0, sizeof *hit);
    if (!lim)
        return false;
    if (ensure_names(a, lim) < 0) {
        a->oom = true;
        return false;
    }
    for (d = 0; d < lim; d++)
        resolve(a, &frames[d], &a->names[d], &a->lens[d], &a->by_sym[d]);
    for (d = 0; d < lim; d++) {
        const ps_stage_entry *e;
        if (!a->names[d])
            continue;
        for (e = lookup(a->map, a->names[d], a->lens[d]); e; e = ps_stage_map_next(a->map, e)) {
            const char *mod = frames[d].module;
            if (mod && *mod && !ps_stage_entry_module_ok(a->map, e, mod))
                continue;
            if (e->nunder) {
                bool under = false;
                size_t u;
                for (k = d + 1; k < lim && !under; k++)
                    for (u = 0; a->names[k] && u < e->nunder && !under; u++)
                        under = name_is(a->names[k], a->lens[k], e->under[u]);
                if (!under)
                    continue;
            }
            if (e->stage == 0)
                return false;   /* code that is not creation work */
            hit->stage = e->stage;
            hit->depth = d;
            hit->module = frames[d].module;
            hit->function = a->names[d];
            hit->function_len = a->lens[d];
            hit->by_symbols = a->by_sym[d];
            return true;
        }
    }
    return false;
}

int ps_attr_bind(ps_attr *a, ps_store *s, ps_error *err)
{
    int rc;

    if ((rc = ps_src_write_stage_map(s, a->map, err)) < 0)
        return rc;
    ps_attr_end_trace(a);
    a->store = s;
    ps_map_clear(&a->done);
    return 0;
}

void ps_attr_end_trace(ps_attr *a)
{
    if (!a)
        return;
    sqlite3_finalize(a->ins);
    a->ins = NULL;
}

/* The insert statement, prepared on first use after bind or end_trace. */
static int insert_stmt(ps_attr *a, ps_error *err)
{
    if (a->ins)
        return 0;
    if (!a->store)
        return ps_error_set(err, PS_ERR_INTERNAL, "stack attribution used before ps_attr_bind");
    if (sqlite3_prepare_v2(ps_store_db(a->store), "INSERT OR IGNORE INTO stack_stages (stack_id, stage, depth, "
                                                  "module, function, resolved_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &a->ins, NULL) != SQLITE_OK)
        return ps_store_fail(a->store, err, "cannot prepare a statement");
    return 0;
}

int ps_attr_event(ps_attr *a, const ps_event *ev, int64_t stack_id, ps_attr_hit *hit, ps_error *err)
{
    uint64_t v;

    memset(hit, 0, sizeof *hit);
    if (!ev->nframes)
        return 0;
    if (stack_id > 0 && ps_map_get(&a->done, (uint64_t)stack_id, &v)) {
        /* known stack: only the name of its frame */
        if ((v & 0xFF) == 0)
            return 0;
        hit->stage = (int)(v & 0xFF) - 1;
        hit->depth = (uint32_t)(v >> 8);
        if (hit->depth < ev->nframes) {
            bool bs;
            resolve(a, &ev->frames[hit->depth], &hit->function, &hit->function_len, &bs);
            hit->module = ev->frames[hit->depth].module;
            hit->by_symbols = bs;
        }
    } else {
        ps_attr_frames(a, ev->frames, ev->nframes, hit);
        if (a->oom) {
            a->oom = false;
            return ps_error_nomem(err);
        }
        if (stack_id > 0) {
            if (ps_map_put(&a->done, (uint64_t)stack_id, hit->stage ? ((uint64_t)hit->depth << 8) | (uint64_t)(hit->stage + 1) : 0) < 0)
                return ps_error_nomem(err);
            if (hit->stage) {
                int rc = insert_stmt(a, err);
                if (rc < 0)
                    return rc;
                sqlite3_bind_int64(a->ins, 1, stack_id);
                sqlite3_bind_int(a->ins, 2, hit->stage);
                sqlite3_bind_int64(a->ins, 3, hit->depth);
                if (hit->module && *hit->module)
                    sqlite3_bind_text(a->ins, 4, hit->module, -1, SQLITE_TRANSIENT);
                else
                    sqlite3_bind_null(a->ins, 4);
                sqlite3_bind_text(a->ins, 5, hit->function, (int)hit->function_len, SQLITE_TRANSIENT);
                sqlite3_bind_text(a->ins, 6, hit->by_symbols ? "symbols" : "trace", -1, SQLITE_STATIC);
                if (sqlite3_step(a->ins) != SQLITE_DONE) {
                    sqlite3_reset(a->ins);
                    return ps_store_fail(a->store, err, "cannot store a stack's stage");
                }
                sqlite3_reset(a->ins);
            }
        }
    }
    if (hit->stage >= 1 && hit->stage <= 6)
        a->counts[hit->stage]++;
    return 0;
}

int ps_attr_add_catalogue(ps_stage_map *m, ps_store *s, ps_error *err)
{
    sqlite3_stmt *st;
    int n = 0, rc;

    if (sqlite3_prepare_v2(ps_store_db(s), "SELECT 1 FROM sqlite_master WHERE name = 'src_functions'", -1, &st,
                           NULL) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot read the schema");
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return 0;
    if (sqlite3_prepare_v2(ps_store_db(s), "SELECT DISTINCT name, stage, stage_source FROM src_functions "
                                           "WHERE stage_source IN ('tag', 'inferred') AND stage BETWEEN 1 AND 6 "
                                           "ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot read the source catalogue");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *source = (const char *)sqlite3_column_text(st, 2);
        char label[64];
        if (!name || !source) {   /* NOT NULL columns: SQLite ran out of memory */
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
        if (ps_stage_map_first(m, name, strlen(name)))
            continue;
        snprintf(label, sizeof label, "source catalogue (%s)", source);
        if ((rc = ps_stage_map_add(m, name, NULL, sqlite3_column_int(st, 1), label, "source", err)) < 0) {
            sqlite3_finalize(st);
            return rc;
        }
        n++;
    }
    sqlite3_finalize(st);
    return n;
}
