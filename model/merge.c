/*
 * merge.c - one model into another, every table, ids remapped by offsets
 * (merge.h).  The source is attached to the destination's connection and
 * each table is copied with one INSERT ... SELECT, so a merge streams at
 * SQLite's speed with flat memory.  The statements are generated from the
 * destination's columns (a column the source lacks gets its default), with
 * the id columns of the table below shifted.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "model/merge.h"

/* the id offsets, each bound as a named parameter */
enum { O_TRACE, O_PROCESS, O_CREATION, O_EVENT, O_STRING, O_STACK, O_FRAME, O_FINDING, O_FILE, O_FUNCTION, O__COUNT };

static const struct {
    const char *param;
    const char *sql;
} offsets[O__COUNT] = {
    [O_TRACE] = {":ot", "SELECT max(trace_id) FROM main.traces"},
    [O_PROCESS] = {":op", "SELECT max(process_id) FROM main.processes"},
    [O_CREATION] = {":oc", "SELECT max(creation_id) FROM main.creations"},
    [O_EVENT] = {":oe", "SELECT max(event_id) FROM main.event_rows"},
    [O_STRING] = {":ostr", "SELECT max(string_id) FROM main.strings"},
    [O_STACK] = {":ostk", "SELECT max(stack_id) FROM main.stacks"},
    [O_FRAME] = {":ofr", "SELECT max(frame_id) FROM main.frame_values"},
    [O_FINDING] = {":ofi", "SELECT max(finding_id) FROM main.findings"},
    [O_FILE] = {":ofile", "SELECT max(file_id) FROM main.src_files"},
    [O_FUNCTION] = {":ofn", "SELECT max(function_id) FROM main.src_functions"},
};

/* a column and what it becomes */
typedef struct remap {
    const char *column;
    const char *expr;
} remap;

enum { ST_NONE, ST_TRACES, ST_EVENTS, ST_PROCESSES, ST_CREATIONS, ST_FINDINGS, ST_FILES };

#define KEEP "(SELECT trace_id FROM temp.ps_merge_keep)"
#define KEEP_FILES "(SELECT file_id FROM temp.ps_merge_files)"
#define KEEP_FNS "(SELECT function_id FROM ps_src.src_functions WHERE file_id IN " KEEP_FILES ")"
#define KEEP_STACKS "(SELECT stack_id FROM ps_src.event_rows WHERE trace_id IN " KEEP ")"

typedef struct table {
    const char *name;
    const char *where;           /* over the source's rows; :all is 1 when every trace is carried */
    remap map[10];
    int stat;
    bool catalogue;              /* part of the source catalogue (may be absent) */
} table;

/* in an order that keeps every reference pointing at a row already copied */
static const table tables[] = {
    {"traces", "trace_id IN " KEEP, {{"trace_id", "trace_id + :ot"}}, ST_TRACES, false},
    {"processes", ":all OR trace_id IN " KEEP,
     {{"process_id", "process_id + :op"}, {"trace_id", "trace_id + :ot"},
      {"parent_process_id", "parent_process_id + :op"}},
     ST_PROCESSES, false},
    {"modules", ":all OR process_id IN (SELECT process_id FROM ps_src.processes WHERE trace_id IN " KEEP ")",
     {{"process_id", "process_id + :op"}}, ST_NONE, false},
    {"strings",
     ":all OR string_id IN (SELECT operation_id FROM ps_src.event_rows WHERE trace_id IN " KEEP
     " UNION SELECT path_id FROM ps_src.event_rows WHERE trace_id IN " KEEP
     " UNION SELECT result_id FROM ps_src.event_rows WHERE trace_id IN " KEEP
     " UNION SELECT detail_id FROM ps_src.event_rows WHERE trace_id IN " KEEP
     " UNION SELECT category_id FROM ps_src.event_rows WHERE trace_id IN " KEEP ")",
     {{"string_id", "string_id + :ostr"}}, ST_NONE, false},
    {"frame_values",
     ":all OR frame_id IN (SELECT j.value FROM ps_src.stacks s, json_each(s.frame_ids) j WHERE s.stack_id IN "
     KEEP_STACKS ")",
     {{"frame_id", "frame_id + :ofr"}}, ST_NONE, false},
    {"stacks", ":all OR stack_id IN " KEEP_STACKS,
     {{"stack_id", "stack_id + :ostk"}, {"frame_ids", "ps_merge_shift(frame_ids, :ofr)"}}, ST_NONE, false},
    {"creations", ":all OR trace_id IN " KEEP,
     {{"creation_id", "creation_id + :oc"}, {"trace_id", "trace_id + :ot"},
      {"anchor_event_id", "anchor_event_id + :oe"}, {"creator_process_id", "creator_process_id + :op"},
      {"child_process_id", "child_process_id + :op"}, {"note", "ps_merge_note(note, :oe)"}},
     ST_CREATIONS, false},
    {"boundaries", ":all OR creation_id IN (SELECT creation_id FROM ps_src.creations WHERE trace_id IN " KEEP ")",
     {{"creation_id", "creation_id + :oc"}, {"event_id", "event_id + :oe"}}, ST_NONE, false},
    {"stages", ":all OR creation_id IN (SELECT creation_id FROM ps_src.creations WHERE trace_id IN " KEEP ")",
     {{"creation_id", "creation_id + :oc"}, {"start_event_id", "start_event_id + :oe"},
      {"end_event_id", "end_event_id + :oe"}},
     ST_NONE, false},
    {"event_rows", ":all OR trace_id IN " KEEP,
     {{"event_id", "event_id + :oe"}, {"trace_id", "trace_id + :ot"}, {"process_id", "process_id + :op"},
      {"operation_id", "operation_id + :ostr"}, {"path_id", "path_id + :ostr"}, {"result_id", "result_id + :ostr"},
      {"detail_id", "detail_id + :ostr"}, {"category_id", "category_id + :ostr"}, {"stack_id", "stack_id + :ostk"},
      {"creation_id", "creation_id + :oc"}},
     ST_EVENTS, false},
    {"event_field_sets", ":all OR event_id IN (SELECT event_id FROM ps_src.event_rows WHERE trace_id IN " KEEP ")",
     {{"event_id", "event_id + :oe"}}, ST_NONE, false},
    {"event_kinds", ":all OR trace_id IN " KEEP, {{"trace_id", "trace_id + :ot"}}, ST_NONE, false},
    {"findings", ":all OR trace_id IN " KEEP,
     {{"finding_id", "finding_id + :ofi"}, {"trace_id", "trace_id + :ot"}, {"creation_id", "creation_id + :oc"},
      {"event_id", "event_id + :oe"}, {"evidence", "ps_merge_evidence(evidence, :oe, :oc)"}},
     ST_FINDINGS, false},
    {"stack_stages", ":all OR stack_id IN " KEEP_STACKS, {{"stack_id", "stack_id + :ostk"}}, ST_NONE, true},
    {"src_files", "file_id IN " KEEP_FILES, {{"file_id", "file_id + :ofile"}}, ST_FILES, true},
    {"src_functions", "file_id IN " KEEP_FILES,
     {{"function_id", "function_id + :ofn"}, {"file_id", "file_id + :ofile"}}, ST_NONE, true},
    {"src_params", "function_id IN " KEEP_FNS, {{"function_id", "function_id + :ofn"}}, ST_NONE, true},
    {"src_calls", "caller_id IN " KEEP_FNS, {{"caller_id", "caller_id + :ofn"}}, ST_NONE, true},
    {"src_stage_tags", "file_id IN " KEEP_FILES,
     {{"file_id", "file_id + :ofile"}, {"function_id", "function_id + :ofn"}}, ST_NONE, true},
    {"src_lines", "file_id IN " KEEP_FILES, {{"file_id", "file_id + :ofile"}, {"function_id", "function_id + :ofn"}},
     ST_NONE, true},
    {"src_conflicts", "function_id IN " KEEP_FNS, {{"function_id", "function_id + :ofn"}}, ST_NONE, true},
    /* the stage map in effect: rows the destination lacks (where = NULL:
     * generated, every column compared) */
    {"stage_map", NULL, {{NULL, NULL}}, ST_NONE, true},
};

/* ---- SQL functions: ids inside JSON ------------------------------------------------------- */

/* Appends the integer at p (n bytes, "-"? digits) plus off. */
static int put_shifted(ps_buf *b, const char *p, size_t n, int64_t off)
{
    char num[32];
    int64_t v;
    if (n < sizeof num) {
        memcpy(num, p, n);
        num[n] = '\0';
        if (ps_parse_i64(num, &v))
            return ps_buf_printf(b, "%lld", (long long)(v + off));
    }
    return ps_buf_append(b, p, n);
}

/* The length of the JSON number at p; *integer says whether it has neither
 * a fraction nor an exponent. */
static size_t number_len(const char *p, bool *integer)
{
    size_t n = *p == '-' ? 1 : 0;
    *integer = true;
    while ((p[n] >= '0' && p[n] <= '9') || p[n] == '.' || p[n] == 'e' || p[n] == 'E' ||
           ((p[n] == '+' || p[n] == '-') && (p[n - 1] == 'e' || p[n - 1] == 'E'))) {
        if (p[n] < '0' || p[n] > '9')
            *integer = false;
        n++;
    }
    return n;
}

/* Rewrites the JSON text `j`: with `keys` NULL every integer (a stack's
 * frame id list) gets offs[0]; otherwise the integer value of an object
 * member named keys[i] gets offs[i].  Everything else is copied as it is.
 * Returns 1, 0 when a string is not terminated, or PS_ERR_NOMEM. */
static int shift_json(ps_buf *b, const char *j, const char *const *keys, const int64_t *offs, size_t nkeys)
{
    const char *p = j;
    int pending = -1;            /* the member whose value comes next */
    bool bad = false;

    while (*p) {
        char c = *p;
        if (c == '"') {
            const char *s = p++;
            size_t i, len;
            while (*p && *p != '"')
                p += *p == '\\' && p[1] ? 2 : 1;
            if (!*p)
                return 0;
            p++;
            len = (size_t)(p - s);
            bad |= ps_buf_append(b, s, len) < 0;
            pending = -1;
            if (keys) {
                const char *q = p;
                while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
                    q++;
                for (i = 0; *q == ':' && i < nkeys; i++)
                    if (len == strlen(keys[i]) + 2 && !memcmp(s + 1, keys[i], len - 2))
                        pending = (int)i;
            }
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            bool integer;
            size_t n = number_len(p, &integer);
            int which = keys ? pending : 0;
            if (integer && which >= 0)
                bad |= put_shifted(b, p, n, offs[which]) < 0;
            else
                bad |= ps_buf_append(b, p, n) < 0;
            p += n;
            pending = -1;
        } else {
            /* the value of a member follows its colon and blanks */
            if (c != ':' && c != ' ' && c != '\t' && c != '\n' && c != '\r')
                pending = -1;
            bad |= ps_buf_putc(b, c) < 0;
            p++;
        }
    }
    return bad ? PS_ERR_NOMEM : 1;
}

static void result_shifted(sqlite3_context *cx, sqlite3_value *v, const char *const *keys, const int64_t *offs,
                           size_t nkeys)
{
    const char *j = (const char *)sqlite3_value_text(v);
    ps_buf b;
    int rc;

    if (sqlite3_value_type(v) != SQLITE_TEXT || !j) {
        sqlite3_result_value(cx, v);
        return;
    }
    ps_buf_init(&b);
    rc = shift_json(&b, j, keys, offs, nkeys);
    if (rc <= 0) {
        ps_buf_release(&b);
        if (rc < 0)
            sqlite3_result_error_nomem(cx);
        else
            sqlite3_result_value(cx, v);   /* not JSON: kept as it was */
        return;
    }
    sqlite3_result_text(cx, ps_buf_cstr(&b), (int)b.len, SQLITE_TRANSIENT);
    ps_buf_release(&b);
}

/* ps_merge_shift(frame_ids, off): every id of a JSON list plus off (nulls stay) */
static void sql_shift(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    int64_t off = sqlite3_value_int64(argv[1]);
    (void)argc;
    result_shifted(cx, argv[0], NULL, &off, 1);
}

/* ps_merge_evidence(evidence, event_off, creation_off): the "event_id" and
 * "creation_id" members, wherever they are, shifted */
static void sql_evidence(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    static const char *const keys[] = {"event_id", "creation_id"};
    int64_t offs[2] = {sqlite3_value_int64(argv[1]), sqlite3_value_int64(argv[2])};
    (void)argc;
    result_shifted(cx, argv[0], keys, offs, 2);
}

/* ps_merge_note(note, event_off): the one event id procstage writes into a
 * creation's note (recon/eventlog.c: "IFEO Debugger of X (set by event N)
 * redirected the launch") shifted */
static void sql_note(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    static const char phrase[] = "(set by event ";
    const char *t = (const char *)sqlite3_value_text(argv[0]), *p;
    int64_t off = sqlite3_value_int64(argv[1]);
    bool integer;
    size_t n;
    ps_buf b;

    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || !t || !(p = strstr(t, phrase)) ||
        !(n = number_len(p + sizeof phrase - 1, &integer)) || !integer) {
        sqlite3_result_value(cx, argv[0]);
        return;
    }
    p += sizeof phrase - 1;
    ps_buf_init(&b);
    if (ps_buf_append(&b, t, (size_t)(p - t)) < 0 || put_shifted(&b, p, n, off) < 0 || ps_buf_puts(&b, p + n) < 0) {
        ps_buf_release(&b);
        sqlite3_result_error_nomem(cx);
        return;
    }
    sqlite3_result_text(cx, ps_buf_cstr(&b), (int)b.len, SQLITE_TRANSIENT);
    ps_buf_release(&b);
}

/* ---- the merge ------------------------------------------------------------------------------ */

typedef struct mctx {
    ps_store *dst;
    sqlite3 *db;
    int64_t off[O__COUNT];
    int all;
    ps_merge_stats *stats;
    const char *src;
    unsigned flags;
} mctx;

static int fail(mctx *m, ps_error *err, const char *what)
{
    return ps_error_set(err, PS_ERR_DB, "cannot merge '%s' into '%s': %s: %s", m->src, ps_store_name(m->dst), what,
                        sqlite3_errmsg(m->db));
}

static bool has_table(sqlite3 *db, const char *schema, const char *name)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.sqlite_master WHERE type = 'table' AND name = '%s'", schema,
             name);
    return ps_sql_int(db, sql, 0) > 0;
}

/* Opens the source on a connection of its own to check it is a model this
 * procstage can merge, before anything is attached. */
static int check_source(const char *path, bool *catalogue, ps_error *err)
{
    struct stat st;
    sqlite3 *db = NULL;
    int64_t v;
    int rc = 0;

    if (stat(path, &st) != 0)
        return ps_error_set(err, PS_ERR_IO, "cannot open '%s': %s", path,
                            errno == ENOENT ? "no such file" : ps_errno_text(errno));
    if (!S_ISREG(st.st_mode))
        return ps_error_set(err, PS_ERR_IO, "cannot merge '%s': not a regular file", path);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = ps_error_set(err, PS_ERR_DB, "cannot open '%s': %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    v = ps_sql_int(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1);
    if (v == 1 || v == 2)
        rc = ps_error_set(err, PS_ERR_DB,
                          "'%s': a procstage database of schema version %d; merge reads version 3 and %d databases "
                          "(%s)",
                          path, (int)v, PS_SCHEMA_VERSION,
                          v == 1 ? "ingest its traces into a new one"
                                 : "ingesting a trace into it upgrades it, or ingest its traces into a new one");
    else if (v != PS_SCHEMA_VERSION && v != 3)   /* 3: without traces.case_name, merged as NULL */
        rc = ps_error_set(err, PS_ERR_DB, "'%s': not a procstage database of schema version %d", path,
                          PS_SCHEMA_VERSION);
    *catalogue = has_table(db, "main", "src_files");
out:
    sqlite3_close(db);
    return rc;
}

/* The column list of a destination table, and the matching source
 * expressions (shifted ids, a source's missing column left to its
 * default). */
static int build_insert(mctx *m, const table *t, ps_buf *sql, ps_error *err)
{
    sqlite3_stmt *st;
    ps_buf cols, exprs, same;
    char q[320];
    bool bad = false;
    int rc, n = 0;

    ps_buf_init(&cols);
    ps_buf_init(&exprs);
    ps_buf_init(&same);
    snprintf(q, sizeof q, "SELECT d.name FROM pragma_table_info('%s', 'main') d JOIN pragma_table_info('%s', "
                          "'ps_src') s USING (name) ORDER BY d.cid",
             t->name, t->name);
    if (sqlite3_prepare_v2(m->db, q, -1, &st, NULL) != SQLITE_OK)
        return fail(m, err, "cannot read the columns");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0), *e = NULL;
        size_t k;
        for (k = 0; k < PS_ARRAY_LEN(t->map) && t->map[k].column; k++)
            if (!strcmp(t->map[k].column, c))
                e = t->map[k].expr;
        bad |= ps_buf_printf(&cols, "%s\"%s\"", n ? ", " : "", c) < 0;
        bad |= ps_buf_printf(&exprs, "%s%s%s%s", n ? ", " : "", e ? "" : "\"", e ? e : c, e ? "" : "\"") < 0;
        bad |= ps_buf_printf(&same, "%sd.\"%s\" IS s.\"%s\"", n ? " AND " : "", c, c) < 0;
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        rc = fail(m, err, "cannot read the columns");
        goto out;
    }
    if (!n) {
        rc = 0;
        goto out;
    }
    if (t->where)
        bad |= ps_buf_printf(sql, "INSERT INTO main.%s (%s) SELECT %s FROM ps_src.%s WHERE %s", t->name,
                             ps_buf_cstr(&cols), ps_buf_cstr(&exprs), t->name, t->where) < 0;
    else
        bad |= ps_buf_printf(sql,
                             "INSERT INTO main.%s (%s) SELECT DISTINCT %s FROM ps_src.%s s WHERE NOT EXISTS "
                             "(SELECT 1 FROM main.%s d WHERE %s)",
                             t->name, ps_buf_cstr(&cols), ps_buf_cstr(&exprs), t->name, t->name,
                             ps_buf_cstr(&same)) < 0;
    rc = bad ? ps_error_nomem(err) : 0;
out:
    ps_buf_release(&cols);
    ps_buf_release(&exprs);
    ps_buf_release(&same);
    return rc;
}

static int copy_table(mctx *m, const table *t, ps_error *err)
{
    sqlite3_stmt *st;
    ps_buf sql;
    size_t i;
    int rc;
    uint64_t changes;

    ps_buf_init(&sql);
    if ((rc = build_insert(m, t, &sql, err)) < 0 || !sql.len) {
        ps_buf_release(&sql);
        return rc;
    }
    if (sqlite3_prepare_v2(m->db, ps_buf_cstr(&sql), -1, &st, NULL) != SQLITE_OK) {
        rc = fail(m, err, t->name);
        ps_buf_release(&sql);
        return rc;
    }
    ps_buf_release(&sql);
    for (i = 0; i < O__COUNT; i++) {
        int k = sqlite3_bind_parameter_index(st, offsets[i].param);
        if (k > 0)
            sqlite3_bind_int64(st, k, m->off[i]);
    }
    if ((i = (size_t)sqlite3_bind_parameter_index(st, ":all")) > 0)
        sqlite3_bind_int(st, (int)i, m->all);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(m, err, t->name);
    changes = (uint64_t)sqlite3_changes64(m->db);
    switch (t->stat) {
    case ST_TRACES: m->stats->traces += changes; break;
    case ST_EVENTS: m->stats->events += changes; break;
    case ST_PROCESSES: m->stats->processes += changes; break;
    case ST_CREATIONS: m->stats->creations += changes; break;
    case ST_FINDINGS: m->stats->findings += changes; break;
    case ST_FILES: m->stats->src_files += changes; break;
    default: break;
    }
    return 0;
}

static int merge_attached(mctx *m, bool catalogue, ps_error *err)
{
    int64_t src_traces, kept;
    size_t i;
    int rc;

    for (i = 0; i < O__COUNT; i++)
        m->off[i] = ps_sql_int(m->db, offsets[i].sql, 0);
    /* the traces carried: not in the destination, the first of equal ones */
    if ((rc = ps_store_exec(m->dst,
                   "DROP TABLE IF EXISTS temp.ps_merge_keep; DROP TABLE IF EXISTS temp.ps_merge_files;"
                   "CREATE TEMP TABLE ps_merge_keep (trace_id INTEGER PRIMARY KEY);"
                   "CREATE TEMP TABLE ps_merge_files (file_id INTEGER PRIMARY KEY);",
                   err)) < 0 ||
        (rc = ps_store_exec(m->dst,
                   m->flags & PS_MERGE_KEEP_DUPLICATES
                       ? "INSERT INTO temp.ps_merge_keep SELECT trace_id FROM ps_src.traces"
                       : "INSERT INTO temp.ps_merge_keep SELECT t.trace_id FROM ps_src.traces t WHERE t.sha256 IS NULL "
                         "OR (NOT EXISTS (SELECT 1 FROM main.traces d WHERE d.sha256 = t.sha256) AND t.trace_id = "
                         "(SELECT min(u.trace_id) FROM ps_src.traces u WHERE u.sha256 = t.sha256))",
                   err)) < 0)
        return rc;
    src_traces = ps_sql_int(m->db, "SELECT count(*) FROM ps_src.traces", 0);
    kept = ps_sql_int(m->db, "SELECT count(*) FROM temp.ps_merge_keep", 0);
    m->all = kept == src_traces;
    m->stats->traces_skipped += (uint64_t)(src_traces - kept);
    if (catalogue) {
        int64_t files;
        if ((rc = ps_store_ensure_catalogue(m->dst, err)) < 0)
            return rc;
        if ((rc = ps_store_exec(m->dst,
                       "INSERT INTO temp.ps_merge_files SELECT f.file_id FROM ps_src.src_files f WHERE NOT EXISTS "
                       "(SELECT 1 FROM main.src_files d WHERE d.path = f.path AND d.sha256 IS f.sha256)",
                       err)) < 0)
            return rc;
        files = ps_sql_int(m->db, "SELECT count(*) FROM ps_src.src_files", 0);
        m->stats->src_files_skipped += (uint64_t)(files - ps_sql_int(m->db, "SELECT count(*) FROM temp.ps_merge_files", 0));
    }
    for (i = 0; i < PS_ARRAY_LEN(tables); i++) {
        if (tables[i].catalogue && (!catalogue || !has_table(m->db, "ps_src", tables[i].name)))
            continue;
        if (!has_table(m->db, "ps_src", tables[i].name))
            continue;
        if ((rc = copy_table(m, &tables[i], err)) < 0)
            return rc;
    }
    return ps_store_exec(m->dst, "DROP TABLE temp.ps_merge_keep; DROP TABLE temp.ps_merge_files", err);
}

int ps_store_merge(ps_store *dst, const char *src_path, ps_merge_stats *stats, ps_error *err)
{
    return ps_store_merge_flags(dst, src_path, 0, stats, err);
}

int ps_store_merge_flags(ps_store *dst, const char *src_path, unsigned flags, ps_merge_stats *stats, ps_error *err)
{
    ps_merge_stats local;
    sqlite3_stmt *st;
    mctx m;
    bool catalogue = false;
    int rc;

    memset(&m, 0, sizeof m);
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    m.dst = dst;
    m.db = ps_store_db(dst);
    m.stats = stats;
    m.src = src_path;
    m.flags = flags;
    if ((rc = check_source(src_path, &catalogue, err)) < 0)
        return rc;
    if (sqlite3_create_function(m.db, "ps_merge_shift", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_shift, NULL,
                                NULL) != SQLITE_OK ||
        sqlite3_create_function(m.db, "ps_merge_evidence", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_evidence,
                                NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(m.db, "ps_merge_note", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_note, NULL,
                                NULL) != SQLITE_OK)
        return fail(&m, err, "cannot register the merge functions");
    if (sqlite3_prepare_v2(m.db, "ATTACH ?1 AS ps_src", -1, &st, NULL) != SQLITE_OK)
        return fail(&m, err, "cannot attach");
    sqlite3_bind_text(st, 1, src_path, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(&m, err, "cannot attach");
    rc = merge_attached(&m, catalogue, err);
    /* the source stays locked until the transaction ends */
    if (rc == 0)
        rc = ps_store_restart_txn(dst, err);
    if (ps_store_exec(m.dst, "DETACH ps_src", rc < 0 ? NULL : err) < 0 && rc == 0)
        rc = PS_ERR_DB;
    ps_store_reload_ids(dst);
    return rc;
}

int ps_store_name_case(ps_store *dst, const char *case_name, ps_error *err)
{
    sqlite3 *db = ps_store_db(dst);
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(db, "UPDATE traces SET case_name = ?1 WHERE case_name IS NULL", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, case_name, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        rc = ps_store_fail(dst, err, "cannot name the case");
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    return 0;
}
