/*
 * catalogue.c - the source catalogue in the model (see catalogue.h).
 */
#define _GNU_SOURCE
#include "config.h"

#include "source/catalogue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "model/embedded.h"

#define MAX_DEPTH 64           /* directory nesting */

enum { S_FILE, S_FN, S_PARAM, S_CALL, S_TAG, S_LINE, S__COUNT };

static const char *const sqls[S__COUNT] = {
    [S_FILE] = "INSERT INTO src_files (path, scanned_by) VALUES (?1, ?2)",
    [S_FN] = "INSERT INTO src_functions (file_id, name, line_start, line_end, signature, description, stage, "
             "stage_source, kind, return_type, returns, remarks, status, doc_style, stage_label, stage_attrs, "
             "note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    [S_PARAM] = "INSERT INTO src_params (function_id, position, name, type, direction, optional, annotation, "
                "description) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_CALL] = "INSERT INTO src_calls (caller_id, callee, line, seq, stage) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_TAG] = "INSERT INTO src_stage_tags (file_id, function_id, kind, stage, label, attrs, line_start, line_end) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_LINE] = "INSERT INTO src_lines (file_id, function_id, line, code, commentary) VALUES (?1, NULL, ?2, ?3, ?4)",
};

struct ps_src_store {
    ps_store *s;
    sqlite3 *db;
    const ps_stage_map *map;
    ps_src_store_opts o;
    sqlite3_stmt *st[S__COUNT];
    int64_t file_id;
    uint32_t file_functions;
    ps_src_summary sum;
};

/* ---- small SQL helpers --------------------------------------------------------- */

static int db_fail(ps_src_store *ss, ps_error *err, const char *what)
{
    return ps_store_fail(ss->s, err, what);
}

static int exec_sql(ps_store *s, const char *sql, ps_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(ps_store_db(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = ps_error_set(err, PS_ERR_DB, "'%s': %s", ps_store_name(s), msg ? msg : "sql error");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static void bind_str(sqlite3_stmt *st, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static void bind_pos(sqlite3_stmt *st, int i, int64_t v)
{
    if (v > 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static int step(ps_src_store *ss, sqlite3_stmt *st, ps_error *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : db_fail(ss, err, what);
}

int ps_src_schema_ensure(ps_store *s, ps_error *err)
{
    return ps_store_ensure_catalogue(s, err);
}

/* ---- callbacks of the scanner ------------------------------------------------------------- */

typedef struct cbctx {
    ps_src_store *ss;
} cbctx;

/* A tag of function fid (0: outside functions). */
static int insert_tag(ps_src_store *ss, int64_t fid, const ps_src_tag *t, ps_error *err)
{
    sqlite3_stmt *st = ss->st[S_TAG];

    sqlite3_bind_int64(st, 1, ss->file_id);
    bind_pos(st, 2, fid);
    bind_str(st, 3, t->kind);
    sqlite3_bind_int(st, 4, t->stage);
    bind_str(st, 5, t->label);
    bind_str(st, 6, t->attrs);
    sqlite3_bind_int64(st, 7, t->line_start);
    sqlite3_bind_int64(st, 8, t->line_end);
    return step(ss, st, err, "cannot add a stage tag");
}

static int on_function(void *ctx, const ps_src_function *f, ps_error *err)
{
    ps_src_store *ss = ((cbctx *)ctx)->ss;
    sqlite3_stmt *st = ss->st[S_FN];
    int64_t fid;
    size_t i;
    char unnamed[64];
    int rc;

    sqlite3_bind_int64(st, 1, ss->file_id);
    if (f->name) {
        bind_str(st, 2, f->name);
    } else {
        snprintf(unnamed, sizeof unnamed, "<excerpt lines %u-%u>", f->line_start, f->line_end);
        bind_str(st, 2, unnamed);
    }
    sqlite3_bind_int64(st, 3, f->line_start);
    sqlite3_bind_int64(st, 4, f->line_end);
    bind_str(st, 5, f->signature);
    bind_str(st, 6, f->description);
    if (f->stage) {
        sqlite3_bind_int(st, 7, f->stage);
        bind_str(st, 8, "tag");
    }
    bind_str(st, 9, ps_src_kind_name(f->kind));
    bind_str(st, 10, f->return_type);
    bind_str(st, 11, f->returns);
    bind_str(st, 12, f->remarks);
    bind_str(st, 13, f->status);
    bind_str(st, 14, f->doc_style);
    bind_str(st, 15, f->stage_label);
    bind_str(st, 16, f->stage_attrs);
    bind_str(st, 17, f->note);
    if ((rc = step(ss, st, err, "cannot add a function")) < 0)
        return rc;
    fid = sqlite3_last_insert_rowid(ss->db);
    for (i = 0; i < f->nparams; i++) {
        const ps_src_param *p = &f->params[i];
        st = ss->st[S_PARAM];
        sqlite3_bind_int64(st, 1, fid);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        bind_str(st, 3, p->name);
        bind_str(st, 4, p->type);
        bind_str(st, 5, ps_src_dir_name(p->dir));
        sqlite3_bind_int(st, 6, p->optional);
        bind_str(st, 7, p->annotation);
        bind_str(st, 8, p->doc);
        if ((rc = step(ss, st, err, "cannot add a parameter")) < 0)
            return rc;
    }
    for (i = 0; i < f->ncalls; i++) {
        const ps_src_call *c = &f->calls[i];
        st = ss->st[S_CALL];
        sqlite3_bind_int64(st, 1, fid);
        bind_str(st, 2, c->callee);
        sqlite3_bind_int64(st, 3, c->line);
        sqlite3_bind_int64(st, 4, (int64_t)i);
        bind_pos(st, 5, c->stage);
        if ((rc = step(ss, st, err, "cannot add a call")) < 0)
            return rc;
    }
    for (i = 0; i < f->ntags; i++)
        if ((rc = insert_tag(ss, fid, &f->tags[i], err)) < 0)
            return rc;
    ss->file_functions++;
    return 0;
}

static int on_tag(void *ctx, const ps_src_tag *t, ps_error *err)
{
    return insert_tag(((cbctx *)ctx)->ss, 0, t, err);
}

static int on_line(void *ctx, const ps_src_line *ln, ps_error *err)
{
    ps_src_store *ss = ((cbctx *)ctx)->ss;
    sqlite3_stmt *st = ss->st[S_LINE];

    sqlite3_bind_int64(st, 1, ss->file_id);
    bind_pos(st, 2, ln->line);
    if (ln->code)
        sqlite3_bind_text(st, 3, ln->code, -1, SQLITE_TRANSIENT);
    bind_str(st, 4, ln->commentary);
    return step(ss, st, err, "cannot add an excerpt line");
}

/* ---- files ------------------------------------------------------------------------------- */

int ps_src_store_new(ps_store *s, const ps_stage_map *map, const ps_src_store_opts *o, ps_src_store **out,
                     ps_error *err)
{
    ps_src_store *ss;
    int i, rc;

    *out = NULL;
    if ((rc = ps_src_schema_ensure(s, err)) < 0)
        return rc;
    ss = calloc(1, sizeof *ss);
    if (!ss)
        return ps_error_nomem(err);
    ss->s = s;
    ss->db = ps_store_db(s);
    ss->map = map;
    if (o)
        ss->o = *o;
    for (i = 0; i < S__COUNT; i++)
        if (sqlite3_prepare_v2(ss->db, sqls[i], -1, &ss->st[i], NULL) != SQLITE_OK) {
            rc = db_fail(ss, err, "cannot prepare a statement");
            ps_src_store_free(ss);
            return rc;
        }
    *out = ss;
    return 0;
}

void ps_src_store_free(ps_src_store *ss)
{
    int i;
    if (!ss)
        return;
    for (i = 0; i < S__COUNT; i++)
        sqlite3_finalize(ss->st[i]);
    free(ss);
}

static int delete_file_rows(ps_src_store *ss, int64_t file_id, ps_error *err)
{
    static const char *const del[] = {
        "DELETE FROM src_params WHERE function_id IN (SELECT function_id FROM src_functions WHERE file_id = ?1)",
        "DELETE FROM src_calls WHERE caller_id IN (SELECT function_id FROM src_functions WHERE file_id = ?1)",
        "DELETE FROM src_stage_tags WHERE file_id = ?1",
        "DELETE FROM src_lines WHERE file_id = ?1",
        "DELETE FROM src_functions WHERE file_id = ?1",
        "DELETE FROM src_files WHERE file_id = ?1",
    };
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(del); i++) {
        sqlite3_stmt *st;
        int rc;
        if (sqlite3_prepare_v2(ss->db, del[i], -1, &st, NULL) != SQLITE_OK)
            return db_fail(ss, err, "cannot remove a file's rows");
        sqlite3_bind_int64(st, 1, file_id);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return db_fail(ss, err, "cannot remove a file's rows");
    }
    return 0;
}

/* An earlier scan of the same path: its id and sha256 (0 none). */
static int64_t earlier_scan(ps_src_store *ss, const char *path, int64_t except, char sha[65])
{
    sqlite3_stmt *st;
    int64_t id = 0;

    sha[0] = '\0';
    if (sqlite3_prepare_v2(ss->db, "SELECT file_id, sha256 FROM src_files WHERE path = ?1 AND file_id <> ?2 "
                                   "ORDER BY file_id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, except);
    if (sqlite3_step(st) == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        if (sqlite3_column_text(st, 1))
            ps_strlcpy(sha, (const char *)sqlite3_column_text(st, 1), 65);
    }
    sqlite3_finalize(st);
    return id;
}

/* Excerpt lines belong to the excerpt function around them; lines between
 * or after functions (and the commentary after the last line) to the one
 * before them, lines before the first to the first. */
static int assign_lines(ps_src_store *ss, ps_error *err)
{
    static const char *const sql =
        "UPDATE src_lines SET function_id = coalesce("
        " (SELECT f.function_id FROM src_functions f WHERE f.file_id = src_lines.file_id AND f.kind = 'excerpt' "
        "  AND src_lines.line BETWEEN f.line_start AND f.line_end ORDER BY f.line_start DESC LIMIT 1),"
        " (SELECT f.function_id FROM src_functions f WHERE f.file_id = src_lines.file_id AND f.kind = 'excerpt' "
        "  AND (src_lines.line IS NULL OR f.line_start <= src_lines.line) ORDER BY f.line_start DESC LIMIT 1),"
        " (SELECT f.function_id FROM src_functions f WHERE f.file_id = src_lines.file_id AND f.kind = 'excerpt' "
        "  ORDER BY f.line_start LIMIT 1)) "
        "WHERE file_id = ?1 AND function_id IS NULL";
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(ss->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_fail(ss, err, "cannot place the excerpt lines");
    sqlite3_bind_int64(st, 1, ss->file_id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(ss, err, "cannot place the excerpt lines");
}

static const char *file_kind(const ps_src_file_info *info, const char *path)
{
    if (info->skipped)
        return "skipped";
    if (info->excerpt)
        return "excerpt";
    return ps_src_is_c_file(path) ? "c" : "prose";
}

static int scan_one(ps_src_store *ss, const char *path, ps_error *err)
{
    ps_src_scan_opts so;
    ps_src_file_info info;
    cbctx cb = {ss};
    char old_sha[65];
    int64_t old;
    int rc;

    /* no savepoints: the model is written without a journal (store.h); a
     * failure discards the whole model, an unchanged file its own rows */
    sqlite3_bind_text(ss->st[S_FILE], 1, path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ss->st[S_FILE], 2, "procstage " PACKAGE_VERSION, -1, SQLITE_STATIC);
    if ((rc = step(ss, ss->st[S_FILE], err, "cannot add a file")) < 0)
        goto fail;
    ss->file_id = sqlite3_last_insert_rowid(ss->db);
    ss->file_functions = 0;
    memset(&so, 0, sizeof so);
    so.map = ss->map;
    so.stop = ss->o.stop;
    so.nstop = ss->o.nstop;
    so.on_function = on_function;
    so.on_line = on_line;
    so.on_tag = on_tag;
    so.ctx = &cb;
    so.warn = ss->o.warn;
    so.warn_ctx = ss->o.warn_ctx;
    so.max_file_size = ss->o.max_file_size;
    if ((rc = ps_src_scan_file(path, &so, &info, err)) < 0)
        goto fail;
    old = earlier_scan(ss, path, ss->file_id, old_sha);
    if (old && !info.skipped && !strcmp(old_sha, info.sha256)) {
        /* scanned before with the same content: keep that */
        if ((rc = delete_file_rows(ss, ss->file_id, err)) < 0)
            return rc;
        ss->sum.unchanged_files++;
        return 0;
    }
    if (old && (rc = delete_file_rows(ss, old, err)) < 0)
        goto fail;
    {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(ss->db,
                               "UPDATE src_files SET sha256 = ?1, lines = ?2, size = ?3, kind = ?4, functions = ?5, "
                               "warning_count = ?6 WHERE file_id = ?7",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = db_fail(ss, err, "cannot update a file");
            goto fail;
        }
        bind_str(st, 1, info.sha256);
        sqlite3_bind_int64(st, 2, info.lines);
        sqlite3_bind_int64(st, 3, (int64_t)info.size);
        bind_str(st, 4, file_kind(&info, path));
        sqlite3_bind_int64(st, 5, info.functions + info.prototypes);
        sqlite3_bind_int64(st, 6, info.warnings);
        sqlite3_bind_int64(st, 7, ss->file_id);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            rc = db_fail(ss, err, "cannot update a file");
            goto fail;
        }
    }
    if (info.excerpt && (rc = assign_lines(ss, err)) < 0)
        goto fail;
    ss->sum.files++;
    if (info.skipped)
        ss->sum.skipped_files++;
    ss->sum.warnings += info.warnings;
    return 0;
fail:
    return rc;
}

/* A text file in a directory counts when it holds an annotated excerpt. */
static bool excerpt_file(const char *path)
{
    static const char *const ext[] = {".txt", ".md", ".text"};
    char buf[262144];
    size_t i, n;
    int fd;
    bool text = false;

    for (i = 0; i < PS_ARRAY_LEN(ext); i++)
        if (ps_ends_with_ci(path, ext[i]))
            text = true;
    if (!text || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return false;
    n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        if (n == sizeof buf)
            break;
    }
    close(fd);
    return ps_src_is_excerpt(buf, n);
}

static int walk(ps_src_store *ss, const char *dir, int depth, ps_error *err)
{
    struct dirent **ents = NULL;
    int n, i, rc = 0;

    if (depth > MAX_DEPTH) {
        char msg[600];
        snprintf(msg, sizeof msg, "'%s': directories nested deeper than %d: not read", dir, MAX_DEPTH);
        if (ss->o.warn)
            ss->o.warn(ss->o.warn_ctx, msg);
        ss->sum.warnings++;
        return 0;
    }
    n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0)
        return ps_error_set(err, PS_ERR_IO, "cannot read the directory '%s': %s", dir, ps_errno_text(errno));
    for (i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        char *path;
        struct stat st;
        if (name[0] == '.' || rc < 0)
            continue;
        if (asprintf(&path, "%s/%s", dir, name) < 0) {
            rc = ps_error_nomem(err);
            continue;
        }
        if (lstat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = walk(ss, path, depth + 1, err);
            else if (S_ISREG(st.st_mode) && (ps_src_is_c_file(name) || excerpt_file(path)))
                rc = scan_one(ss, path, err);
        }
        free(path);
    }
    for (i = 0; i < n; i++)
        free(ents[i]);
    free(ents);
    return rc;
}

int ps_src_store_path(ps_src_store *ss, const char *path, ps_error *err)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return ps_error_set(err, errno == ENOENT ? PS_ERR_INPUT : PS_ERR_IO, "cannot open '%s': %s", path,
                            errno == ENOENT ? "no such file or directory" : ps_errno_text(errno));
    if (S_ISDIR(st.st_mode)) {
        char *d = ps_strdup(path);
        size_t n;
        int rc;
        if (!d)
            return ps_error_nomem(err);
        n = strlen(d);
        while (n > 1 && d[n - 1] == '/')
            d[--n] = '\0';
        rc = walk(ss, d, 0, err);
        free(d);
        return rc;
    }
    return scan_one(ss, path, err);
}

/* ---- naming excerpts ---------------------------------------------------------------------- */

typedef struct strset {
    char **v;
    size_t n, cap;
} strset;

static bool strset_has(const strset *s, const char *x)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x))
            return true;
    return false;
}

/* Adds x (the caller gives distinct names). */
static int strset_add(strset *s, const char *x)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 32;
        char **nv = realloc(s->v, nc * sizeof *nv);
        if (!nv)
            return PS_ERR_NOMEM;
        s->v = nv;
        s->cap = nc;
    }
    if (!(s->v[s->n] = ps_strdup(x)))
        return PS_ERR_NOMEM;
    s->n++;
    return 0;
}

static void strset_free(strset *s)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* Names one excerpt body after the map entry whose characteristic callees
 * it calls best (at least 60 % and 3 of them, one clear best). */
static int name_excerpt(ps_src_store *ss, int64_t fid, ps_error *err)
{
    sqlite3_stmt *st;
    strset callees = {0};
    const ps_stage_entry *best = NULL;
    size_t i, k, best_hits = 0, ties = 0;
    double best_ratio = 0;
    ps_buf noteb;
    bool bad = false;
    int rc = 0;

    if (sqlite3_prepare_v2(ss->db, "SELECT DISTINCT callee FROM src_calls WHERE caller_id = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(ss, err, "cannot read calls");
    sqlite3_bind_int64(st, 1, fid);
    while (sqlite3_step(st) == SQLITE_ROW)
        if (strset_add(&callees, (const char *)sqlite3_column_text(st, 0)) < 0) {
            sqlite3_finalize(st);
            strset_free(&callees);
            return ps_error_nomem(err);
        }
    sqlite3_finalize(st);
    for (i = 0; i < ss->map->n; i++) {
        const ps_stage_entry *e = &ss->map->entries[i];
        size_t hits = 0;
        double ratio;
        if (!e->nidentify)
            continue;
        for (k = 0; k < e->nidentify; k++)
            if (strset_has(&callees, e->identify[k]))
                hits++;
        ratio = (double)hits / (double)e->nidentify;
        if (hits < 3 || ratio < 0.6)
            continue;
        if (!best || ratio > best_ratio + 1e-9 || (ratio > best_ratio - 1e-9 && hits > best_hits)) {
            best = e;
            best_ratio = ratio;
            best_hits = hits;
            ties = 0;
        } else if (ratio > best_ratio - 1e-9 && hits == best_hits && strcmp(e->function, best->function)) {
            ties++;
        }
    }
    if (!best || ties) {
        strset_free(&callees);
        return 0;
    }
    ps_buf_init(&noteb);
    bad |= ps_buf_printf(&noteb, "named after the stage map: calls %zu of the %zu characteristic callees of %s (",
                  best_hits, best->nidentify, best->function) < 0;
    for (k = 0, i = 0; k < best->nidentify; k++)
        if (strset_has(&callees, best->identify[k]))
            bad |= ps_buf_printf(&noteb, "%s%s", i++ ? ", " : "", best->identify[k]) < 0;
    bad |= ps_buf_puts(&noteb, ")") < 0;
    if (bad) {
        rc = ps_error_nomem(err);
    } else if (sqlite3_prepare_v2(ss->db,
                           "UPDATE src_functions SET name = ?1, note = CASE WHEN note IS NULL THEN ?2 "
                           "ELSE ?2 || '; ' || note END WHERE function_id = ?3",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(ss, err, "cannot name an excerpt");
    } else {
        sqlite3_bind_text(st, 1, best->function, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, ps_buf_cstr(&noteb), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, fid);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(ss, err, "cannot name an excerpt");
        else
            ss->sum.named_excerpts++;
        sqlite3_finalize(st);
    }
    ps_buf_release(&noteb);
    strset_free(&callees);
    return rc;
}

static int name_excerpts(ps_src_store *ss, ps_error *err)
{
    sqlite3_stmt *st;
    int64_t ids[4096];
    size_t n = 0, i;
    int rc = 0;

    if (sqlite3_prepare_v2(ss->db, "SELECT function_id FROM src_functions WHERE kind = 'excerpt' AND "
                                   "name LIKE '<excerpt lines %' ORDER BY function_id LIMIT 4096",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(ss, err, "cannot read excerpts");
    while (sqlite3_step(st) == SQLITE_ROW && n < PS_ARRAY_LEN(ids))
        ids[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    for (i = 0; i < n && rc == 0; i++)
        rc = name_excerpt(ss, ids[i], err);
    return rc;
}

/* ---- stages ------------------------------------------------------------------------------- */

typedef struct sfn {
    int64_t id;
    char *name;
    int stage;                   /* -1 unknown */
    bool tagged, prototype, conflict, queued;
    size_t first_call, ncalls;   /* its own calls in graph.calls */
} sfn;

typedef struct scall {
    size_t caller;               /* index into fns */
    char *callee;
    int stage;                   /* from a tag at the call; 0 none */
} scall;

typedef struct graph {
    sfn *fns;
    size_t nfns;
    scall *calls;
    size_t ncalls;
    ps_map by_id;                /* function_id -> index + 1 */
    ps_map by_callee;            /* hash(callee) -> first call index + 1 */
    size_t *next_call;
    ps_map by_name;              /* hash(name) -> first function index + 1 */
    size_t *next_fn;
} graph;

static void graph_free(graph *g)
{
    size_t i;
    for (i = 0; i < g->nfns; i++)
        free(g->fns[i].name);
    for (i = 0; i < g->ncalls; i++)
        free(g->calls[i].callee);
    free(g->fns);
    free(g->calls);
    free(g->next_call);
    free(g->next_fn);
    ps_map_release(&g->by_id);
    ps_map_release(&g->by_callee);
    ps_map_release(&g->by_name);
}

static uint64_t hname(const char *s)
{
    return ps_hash_bytes(s, strlen(s), 0x43414c4cULL);
}

static int graph_load(ps_src_store *ss, graph *g, ps_error *err)
{
    sqlite3_stmt *st;
    size_t cap = 0;

    memset(g, 0, sizeof *g);
    ps_map_init(&g->by_id);
    ps_map_init(&g->by_callee);
    ps_map_init(&g->by_name);
    if (sqlite3_prepare_v2(ss->db, "SELECT function_id, name, stage, stage_source, kind FROM src_functions "
                                   "ORDER BY function_id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(ss, err, "cannot read functions");
    while (sqlite3_step(st) == SQLITE_ROW) {
        sfn *f;
        if (g->nfns == cap) {
            size_t nc = cap ? cap * 2 : 256;
            sfn *nf = realloc(g->fns, nc * sizeof *nf);
            if (!nf)
                goto nomem;
            g->fns = nf;
            cap = nc;
        }
        f = &g->fns[g->nfns];
        memset(f, 0, sizeof *f);
        f->id = sqlite3_column_int64(st, 0);
        /* a NOT NULL column reads NULL only when SQLite ran out of memory */
        if (!sqlite3_column_text(st, 4))
            goto nomem;
        f->prototype = !strcmp((const char *)sqlite3_column_text(st, 4), "prototype");
        f->tagged = sqlite3_column_text(st, 3) && !strcmp((const char *)sqlite3_column_text(st, 3), "tag");
        f->stage = f->tagged ? sqlite3_column_int(st, 2) : -1;
        if (!(f->name = ps_strdup((const char *)sqlite3_column_text(st, 1))))
            goto nomem;
        g->nfns++;
        if (ps_map_put(&g->by_id, (uint64_t)f->id, g->nfns) < 0)
            goto nomem;
    }
    sqlite3_finalize(st);
    cap = 0;
    if (sqlite3_prepare_v2(ss->db, "SELECT caller_id, callee, stage FROM src_calls ORDER BY caller_id, seq", -1,
                           &st, NULL) != SQLITE_OK)
        return db_fail(ss, err, "cannot read calls");
    while (sqlite3_step(st) == SQLITE_ROW) {
        scall *c;
        uint64_t v;
        if (!ps_map_get(&g->by_id, (uint64_t)sqlite3_column_int64(st, 0), &v))
            continue;
        if (g->ncalls == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            scall *ncs = realloc(g->calls, nc * sizeof *ncs);
            size_t *nx;
            if (!ncs)
                goto nomem;
            g->calls = ncs;
            nx = realloc(g->next_call, nc * sizeof *nx);
            if (!nx)
                goto nomem;
            g->next_call = nx;
            cap = nc;
        }
        c = &g->calls[g->ncalls];
        c->caller = v - 1;
        if (!g->fns[v - 1].ncalls++)
            g->fns[v - 1].first_call = g->ncalls;
        if (!(c->callee = ps_strdup((const char *)sqlite3_column_text(st, 1))))
            goto nomem;
        c->stage = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 2);
        g->next_call[g->ncalls] = 0;
        g->ncalls++;   /* counted before anything else can fail: graph_free frees it */
        {
            uint64_t h = hname(c->callee), first;
            if (ps_map_get(&g->by_callee, h, &first))
                g->next_call[g->ncalls - 1] = first;
            if (ps_map_put(&g->by_callee, h, g->ncalls) < 0)
                goto nomem;
        }
    }
    sqlite3_finalize(st);
    /* functions by name, for the callees of a function */
    if (!(g->next_fn = calloc(g->nfns ? g->nfns : 1, sizeof *g->next_fn)))
        return ps_error_nomem(err);
    {
        size_t i;
        for (i = 0; i < g->nfns; i++) {
            uint64_t h = hname(g->fns[i].name), first;
            if (ps_map_get(&g->by_name, h, &first))
                g->next_fn[i] = first;
            if (ps_map_put(&g->by_name, h, i + 1) < 0)
                return ps_error_nomem(err);
        }
    }
    return 0;
nomem:
    sqlite3_finalize(st);
    return ps_error_nomem(err);
}

/* The stages of the call sites of f: known stages as a bit set, and whether
 * a caller's stage is still unknown. */
static void site_stages(const graph *g, const sfn *f, unsigned *known, bool *unknown, size_t *ncallers)
{
    uint64_t v;
    *known = 0;
    *unknown = false;
    *ncallers = 0;
    if (!ps_map_get(&g->by_callee, hname(f->name), &v))
        return;
    for (; v; v = g->next_call[v - 1]) {
        const scall *c = &g->calls[v - 1];
        int s;
        if (strcmp(c->callee, f->name) || &g->fns[c->caller] == f)
            continue;
        (*ncallers)++;
        s = c->stage ? c->stage : g->fns[c->caller].conflict ? -1 : g->fns[c->caller].stage;
        if (s < 0)
            *unknown = true;
        else
            *known |= 1u << s;
    }
}

static int popcount(unsigned x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

static int lowest(unsigned x)
{
    int i;
    for (i = 0; i < 8; i++)
        if (x & (1u << i))
            return i;
    return -1;
}

static int add_conflict(ps_src_store *ss, const graph *g, const sfn *f, unsigned known, ps_error *err)
{
    sqlite3_stmt *st;
    ps_buf stages, detail;
    uint64_t v;
    bool bad = false;
    int s, rc = 0;

    ps_buf_init(&stages);
    ps_buf_init(&detail);
    for (s = 0; s < 8; s++) {
        if (!(known & (1u << s)))
            continue;
        bad |= ps_buf_printf(&stages, "%s%d", stages.len ? "," : "", s) < 0;
        bad |= ps_buf_printf(&detail, "%sstage %d from", detail.len ? "; " : "", s) < 0;
        if (ps_map_get(&g->by_callee, hname(f->name), &v)) {
            size_t shown[8], nshown = 0, j;
            for (; v; v = g->next_call[v - 1]) {
                const scall *c = &g->calls[v - 1];
                int cs;
                if (strcmp(c->callee, f->name))
                    continue;
                cs = c->stage ? c->stage : g->fns[c->caller].stage;
                if (cs != s)
                    continue;
                for (j = 0; j < nshown && shown[j] != c->caller; j++)
                    ;
                if (j < nshown)
                    continue;
                if (nshown == PS_ARRAY_LEN(shown)) {
                    bad |= ps_buf_puts(&detail, ", ...") < 0;
                    break;
                }
                bad |= ps_buf_printf(&detail, "%s %s", nshown ? "," : "", g->fns[c->caller].name) < 0;
                shown[nshown++] = c->caller;
            }
        }
    }
    if (bad) {
        rc = ps_error_nomem(err);
    } else if (sqlite3_prepare_v2(ss->db, "INSERT INTO src_conflicts (function_id, name, kind, stages, detail) "
                                          "VALUES (?1, ?2, 'callers', ?3, ?4)",
                                  -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(ss, err, "cannot add a conflict");
    } else {
        sqlite3_bind_int64(st, 1, f->id);
        sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, ps_buf_cstr(&stages), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, ps_buf_cstr(&detail), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(ss, err, "cannot add a conflict");
        sqlite3_finalize(st);
    }
    ps_buf_release(&stages);
    ps_buf_release(&detail);
    ss->sum.conflicts++;
    return rc;
}

/* Map stages first (functions without a tag), then inference to a fixpoint:
 * an unstaged function whose callers all have stage k gets k; callers of
 * two stages make a conflict.  A second, optimistic round lets cycles
 * (mutual recursion) take the stage of their known callers. */
static int infer(ps_src_store *ss, ps_error *err)
{
    graph g;
    sqlite3_stmt *upd = NULL;
    size_t i, *queue = NULL;
    int rc, round;

    if ((rc = graph_load(ss, &g, err)) < 0) {
        graph_free(&g);
        return rc;
    }
    if (sqlite3_prepare_v2(ss->db, "UPDATE src_functions SET stage = ?1, stage_source = ?2 WHERE function_id = ?3",
                           -1, &upd, NULL) != SQLITE_OK) {
        rc = db_fail(ss, err, "cannot set a stage");
        goto out;
    }
    /* the map */
    for (i = 0; i < g.nfns; i++) {
        sfn *f = &g.fns[i];
        const ps_stage_entry *e = ps_stage_map_first(ss->map, f->name, strlen(f->name));
        if (!e)
            continue;
        if (f->tagged) {
            if (e->stage != f->stage) {
                sqlite3_stmt *st;
                char stages[16], detail[160];
                snprintf(stages, sizeof stages, "%d,%d", f->stage, e->stage);
                snprintf(detail, sizeof detail, "@stage %d in the source, stage %d in the stage map (the tag wins)",
                         f->stage, e->stage);
                if (sqlite3_prepare_v2(ss->db, "INSERT INTO src_conflicts (function_id, name, kind, stages, detail) "
                                               "VALUES (?1, ?2, 'tag-map', ?3, ?4)",
                                       -1, &st, NULL) == SQLITE_OK) {
                    sqlite3_bind_int64(st, 1, f->id);
                    sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
                    sqlite3_bind_text(st, 3, stages, -1, SQLITE_STATIC);
                    sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
                    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(ss, err, "cannot add a conflict");
                    sqlite3_finalize(st);
                    if (rc < 0)
                        goto out;
                }
                ss->sum.conflicts++;
            }
            continue;
        }
        f->stage = e->stage;
        sqlite3_bind_int(upd, 1, e->stage);
        sqlite3_bind_text(upd, 2, "map", -1, SQLITE_STATIC);
        sqlite3_bind_int64(upd, 3, f->id);
        if ((rc = step(ss, upd, err, "cannot set a stage")) < 0)
            goto out;
    }
    /* inference: a work list of the functions without a stage; a function
     * that gets one (or a conflict) puts its callees back on the list */
    if (!(queue = malloc((g.nfns ? g.nfns : 1) * sizeof *queue))) {
        rc = ps_error_nomem(err);
        goto out;
    }
    for (round = 0; round < 2; round++) {
        size_t qh = 0, qn = 0;
        for (i = 0; i < g.nfns; i++)
            if (g.fns[i].stage < 0 && !g.fns[i].conflict && !g.fns[i].prototype) {
                g.fns[i].queued = true;
                queue[(qh + qn++) % g.nfns] = i;
            }
        while (qn) {
            sfn *f = &g.fns[queue[qh]];
            unsigned known;
            bool unknown;
            size_t ncallers, k;
            qh = (qh + 1) % g.nfns;
            qn--;
            f->queued = false;
            if (f->stage >= 0 || f->conflict)
                continue;
            site_stages(&g, f, &known, &unknown, &ncallers);
            if (!ncallers || !known)
                continue;
            if (popcount(known) > 1) {
                f->conflict = true;
                if ((rc = add_conflict(ss, &g, f, known, err)) < 0)
                    goto out;
            } else if (unknown && round == 0) {
                continue;
            } else {
                f->stage = lowest(known);
                sqlite3_bind_int(upd, 1, f->stage);
                sqlite3_bind_text(upd, 2, "inferred", -1, SQLITE_STATIC);
                sqlite3_bind_int64(upd, 3, f->id);
                if ((rc = step(ss, upd, err, "cannot set a stage")) < 0)
                    goto out;
            }
            /* its callees may now be decided */
            for (k = f->first_call; k < f->first_call + f->ncalls; k++) {
                uint64_t v;
                if (!ps_map_get(&g.by_name, hname(g.calls[k].callee), &v))
                    continue;
                for (; v; v = g.next_fn[v - 1]) {
                    sfn *c = &g.fns[v - 1];
                    if (c->queued || c->stage >= 0 || c->conflict || c->prototype ||
                        strcmp(c->name, g.calls[k].callee))
                        continue;
                    c->queued = true;
                    queue[(qh + qn++) % g.nfns] = (size_t)(c - g.fns);
                }
            }
        }
    }
    rc = 0;
out:
    free(queue);
    sqlite3_finalize(upd);
    graph_free(&g);
    return rc;
}

int ps_src_write_stage_map(ps_store *s, const ps_stage_map *map, ps_error *err)
{
    sqlite3_stmt *st;
    size_t i, k;
    int rc;

    if ((rc = ps_src_schema_ensure(s, err)) < 0 || (rc = exec_sql(s, "DELETE FROM stage_map", err)) < 0)
        return rc;
    if (sqlite3_prepare_v2(ps_store_db(s), "INSERT INTO stage_map (function, module, stage, label, under, origin, "
                                           "source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot write the stage map");
    for (i = 0; i < map->n; i++) {
        const ps_stage_entry *e = &map->entries[i];
        ps_buf under;
        bool bad = false;
        ps_buf_init(&under);
        for (k = 0; k < e->nunder; k++)
            bad |= ps_buf_printf(&under, "%s%s", k ? "," : "", e->under[k]) < 0;
        if (bad) {
            ps_buf_release(&under);
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
        for (k = 0; k < (e->nmodules ? e->nmodules : 1); k++) {
            sqlite3_bind_text(st, 1, e->function, -1, SQLITE_STATIC);
            bind_str(st, 2, e->nmodules ? e->modules[k] : NULL);
            sqlite3_bind_int(st, 3, e->stage);
            bind_str(st, 4, e->label);
            bind_str(st, 5, under.len ? ps_buf_cstr(&under) : NULL);
            sqlite3_bind_text(st, 6, e->origin ? e->origin : "map", -1, SQLITE_STATIC);
            bind_str(st, 7, map->source);
            rc = sqlite3_step(st);
            sqlite3_reset(st);
            if (rc != SQLITE_DONE) {
                ps_buf_release(&under);
                sqlite3_finalize(st);
                return ps_store_fail(s, err, "cannot write the stage map");
            }
        }
        ps_buf_release(&under);
    }
    sqlite3_finalize(st);
    return 0;
}

static int64_t count_sql(ps_src_store *ss, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(ss->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

int ps_src_store_finish(ps_src_store *ss, ps_src_summary *sum, ps_error *err)
{
    int rc;

    if ((rc = name_excerpts(ss, err)) < 0)
        return rc;
    if ((rc = exec_sql(ss->s,
                       "UPDATE src_functions SET stage = NULL, stage_source = NULL WHERE stage_source IN ('map', "
                       "'inferred'); DELETE FROM src_conflicts",
                       err)) < 0)
        return rc;
    ss->sum.conflicts = 0;
    if ((rc = infer(ss, err)) < 0)
        return rc;
    if ((rc = ps_src_write_stage_map(ss->s, ss->map, err)) < 0)
        return rc;
    ss->sum.functions = (uint64_t)count_sql(ss, "SELECT count(*) FROM src_functions WHERE kind = 'definition'");
    ss->sum.prototypes = (uint64_t)count_sql(ss, "SELECT count(*) FROM src_functions WHERE kind = 'prototype'");
    ss->sum.excerpts = (uint64_t)count_sql(ss, "SELECT count(*) FROM src_functions WHERE kind = 'excerpt'");
    ss->sum.calls = (uint64_t)count_sql(ss, "SELECT count(*) FROM src_calls");
    ss->sum.params = (uint64_t)count_sql(ss, "SELECT count(*) FROM src_params");
    ss->sum.staged_tag = (uint64_t)count_sql(ss, "SELECT count(*) FROM src_functions WHERE stage_source = 'tag'");
    ss->sum.staged_map = (uint64_t)count_sql(ss, "SELECT count(*) FROM src_functions WHERE stage_source = 'map'");
    ss->sum.staged_inferred =
        (uint64_t)count_sql(ss, "SELECT count(*) FROM src_functions WHERE stage_source = 'inferred'");
    if (sum)
        *sum = ss->sum;
    return 0;
}
