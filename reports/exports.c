/*
 * exports.c - the stages and processes reports, and the SQL-driven record
 * export behind their CSV, JSON and NDJSON forms (column names documented in
 * docs/model.md, "Exports").
 */
#include <stdlib.h>
#include <string.h>

#include "model/creation.h"
#include "common/escape.h"
#include "common/json.h"
#include "reports/report.h"

/* ps_time(ts, basis): a FILETIME formatted in its trace's basis, for SQL. */
static void sql_time(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    char buf[64];
    const char *basis;

    (void)argc;
    if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER) {
        sqlite3_result_null(cx);
        return;
    }
    basis = (const char *)sqlite3_value_text(argv[1]);
    ps_format_ts(basis ? basis : "utc", sqlite3_value_int64(argv[0]), buf, sizeof buf);
    sqlite3_result_text(cx, buf, -1, SQLITE_TRANSIENT);
}

/* ps_in_range(ts): whether ts lies in the report's --from/--to range (1
 * without one; a NULL time is outside a range). */
typedef struct range {
    bool has_from, has_to;
    int64_t from, to;
} range;

static void sql_in_range(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    const range *r = sqlite3_user_data(cx);
    int64_t t;

    (void)argc;
    if (!r->has_from && !r->has_to) {
        sqlite3_result_int(cx, 1);
        return;
    }
    if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER) {
        sqlite3_result_int(cx, 0);
        return;
    }
    t = sqlite3_value_int64(argv[0]);
    sqlite3_result_int(cx, (!r->has_from || t >= r->from) && (!r->has_to || t <= r->to));
}

int ps_report_sql_functions(ps_store *s, ps_error *err)
{
    if (sqlite3_create_function(ps_store_db(s), "ps_time", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_time,
                                NULL, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    return 0;
}

int ps_report_range_function(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    range *r = malloc(sizeof *r);
    if (!r)
        return ps_error_nomem(err);
    r->has_from = o->has_from;
    r->has_to = o->has_to;
    r->from = o->from_ts;
    r->to = o->to_ts;
    /* SQLite owns r from here (freed when the function is replaced or the
     * connection closes) */
    if (sqlite3_create_function_v2(ps_store_db(s), "ps_in_range", 1, SQLITE_UTF8, r, sql_in_range, NULL, NULL, free) !=
        SQLITE_OK)
        return ps_report_db_error(s, err);
    return 0;
}

int ps_report_export(ps_store *s, const ps_report_opts *o, const ps_export *x, ps_error *err)
{
    sqlite3_stmt *st;
    FILE *f = o->out;
    ps_json j;
    size_t c;
    int rc;

    if ((rc = ps_report_sql_functions(s, err)) < 0)
        return rc;
    if (sqlite3_prepare_v2(ps_store_db(s), x->sql, -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    if (o->format == PS_FMT_CSV) {
        for (c = 0; c < x->ncols; c++)
            ps_csv_field(f, x->names[c], c == 0);
        fputc('\n', f);
    } else if (o->format == PS_FMT_NDJSON) {
        ps_json_init_ndjson(&j, f);
        ps_json_begin_array(&j);
    } else {
        ps_json_init_file(&j, f, true);
        ps_json_begin_object(&j);
        ps_json_key(&j, x->key);
        ps_json_begin_array(&j);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (o->format == PS_FMT_CSV) {
            for (c = 0; c < x->ncols; c++)
                ps_csv_column(f, st, (int)c, c == 0);
            fputc('\n', f);
            continue;
        }
        ps_json_begin_object(&j);
        for (c = 0; c < x->ncols; c++) {
            ps_json_key(&j, x->names[c]);
            ps_json_column(&j, st, (int)c);
        }
        ps_json_end_object(&j);
    }
    if (o->format != PS_FMT_CSV) {
        ps_json_end_array(&j);
        if (o->format == PS_FMT_JSON)
            ps_json_end_object(&j);
        ps_json_finish(&j);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

/* ---- stages ------------------------------------------------------------------- */

static const char *const STAGE_NAMES[] = {"creation_id", "trace_id", "stage", "name", "start_ts", "end_ts",
                                          "duration", "duration_ms", "confidence", "start_event_id",
                                          "end_event_id", "evidence", "start_time", "end_time"};

static const ps_export STAGES = {
    "stages",
    "SELECT s.creation_id, c.trace_id, s.stage, s.name, s.start_ts, s.end_ts, s.duration, "
    "round(s.duration / 10000.0, 4), s.confidence, s.start_event_id, s.end_event_id, s.evidence, "
    "ps_time(s.start_ts, t.time_basis), ps_time(s.end_ts, t.time_basis) "
    "FROM stages s JOIN creations c USING (creation_id) JOIN traces t ON t.trace_id = c.trace_id "
    "WHERE ?1 = 0 OR c.trace_id = ?1 ORDER BY c.trace_id, c.create_ts, c.creation_id, s.stage",
    STAGE_NAMES, PS_ARRAY_LEN(STAGE_NAMES)};

static void put_conf(const ps_report_opts *o, const char *conf)
{
    const char *col = !strcmp(conf, "observed") ? PS_C_GREEN : !strcmp(conf, "inferred") ? PS_C_YELLOW : PS_C_DIM;
    fprintf(o->out, "%s%-8s%s", ps_color(o, col), conf, ps_color(o, PS_C_RESET));
}

static int stages_text(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    FILE *f = o->out;
    int64_t last = 0;
    int rc, n = 0;

    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT s.creation_id, s.stage, s.name, s.start_ts, s.end_ts, s.duration, s.confidence, "
                           "s.start_event_id, s.end_event_id, s.evidence, c.status, c.creator_pid, c.child_pid, "
                           "c.image_path, t.time_basis, "
                           "(SELECT p.process_name FROM processes p WHERE p.process_id = c.creator_process_id) "
                           "FROM stages s JOIN creations c USING (creation_id) JOIN traces t "
                           "ON t.trace_id = c.trace_id WHERE ?1 = 0 OR c.trace_id = ?1 "
                           "ORDER BY c.trace_id, c.create_ts, c.creation_id, s.stage",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    fprintf(f, "%sSTAGES%s  (ms; times in each trace's basis; events are events.event_id)\n",
            ps_color(o, PS_C_BOLD), ps_color(o, PS_C_RESET));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(st, 0);
        const char *basis = col_text(st, 14) ? col_text(st, 14) : "utc";
        char a[64] = "?", b[64] = "?", ms[32] = "-";
        const char *conf = col_text(st, 6) ? col_text(st, 6) : "missing";

        if (cid != last) {
            const char *creator = col_text(st, 15), *img = col_text(st, 13);
            n++;
            fprintf(f, "  %s#%lld%s  %s", ps_color(o, PS_C_BOLD), (long long)cid, ps_color(o, PS_C_RESET),
                    creator ? ps_tx(creator) : "?");
            if (sqlite3_column_type(st, 11) != SQLITE_NULL)
                fprintf(f, " (%lld)", (long long)sqlite3_column_int64(st, 11));
            fprintf(f, " \xe2\x86\x92 %s", img ? ps_tx(ps_path_basename(img)) : "?");
            if (sqlite3_column_type(st, 12) != SQLITE_NULL)
                fprintf(f, " (%lld)", (long long)sqlite3_column_int64(st, 12));
            fprintf(f, "  %s\n", col_text(st, 10) ? col_text(st, 10) : "?");
            last = cid;
        }
        if (sqlite3_column_type(st, 3) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(st, 3), a, sizeof a);
        if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(st, 4), b, sizeof b);
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            ps_format_ms(sqlite3_column_int64(st, 5), ms, sizeof ms);
        fprintf(f, "      %d %-22s %10s  ", sqlite3_column_int(st, 1), ps_tx(col_text(st, 2) ? col_text(st, 2) : "?"),
                ms);
        put_conf(o, conf);
        fprintf(f, "  %s \xe2\x80\x93 %s", a, b);
        if (sqlite3_column_type(st, 7) != SQLITE_NULL || sqlite3_column_type(st, 8) != SQLITE_NULL) {
            fputs("  events ", f);
            if (sqlite3_column_type(st, 7) != SQLITE_NULL)
                fprintf(f, "%lld", (long long)sqlite3_column_int64(st, 7));
            else
                fputc('?', f);
            fputs("\xe2\x80\x93", f);
            if (sqlite3_column_type(st, 8) != SQLITE_NULL)
                fprintf(f, "%lld", (long long)sqlite3_column_int64(st, 8));
            else
                fputc('?', f);
        }
        fputc('\n', f);
        if (col_text(st, 9))
            fprintf(f, "        %s%s%s\n", ps_color(o, PS_C_DIM), ps_tx(col_text(st, 9)), ps_color(o, PS_C_RESET));
    }
    if (!n)
        fprintf(f, "  none\n");
    fputc('\n', f);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

int ps_report_stages(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    if (o->format == PS_FMT_TEXT)
        return stages_text(s, o, err);
    return ps_report_export(s, o, &STAGES, err);
}

/* ---- processes ------------------------------------------------------------------ */

static const char *const PROCESS_NAMES[] = {
    "process_id", "trace_id", "pid", "parent_pid", "parent_process_id", "process_name", "image_path",
    "command_line", "current_dir", "start_ts", "end_ts", "exit_status", "user", "integrity", "session",
    "is64", "company", "version", "description", "source", "creation_id", "start_time", "end_time"};

static const ps_export PROCESSES = {
    "processes",
    "SELECT p.process_id, p.trace_id, p.pid, p.parent_pid, p.parent_process_id, p.process_name, p.image_path, "
    "p.command_line, p.current_dir, p.start_ts, p.end_ts, p.exit_status, p.user, p.integrity, p.session, "
    "p.is64, p.company, p.version, p.description, p.source, "
    "(SELECT min(c.creation_id) FROM creations c WHERE c.child_process_id = p.process_id), "
    "ps_time(p.start_ts, t.time_basis), ps_time(p.end_ts, t.time_basis) "
    "FROM processes p JOIN traces t USING (trace_id) WHERE ?1 = 0 OR p.trace_id = ?1 "
    "ORDER BY p.trace_id, p.process_id",
    PROCESS_NAMES, PS_ARRAY_LEN(PROCESS_NAMES)};

static int processes_text(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    FILE *f = o->out;
    int rc, n = 0;

    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT p.process_id, p.trace_id, p.pid, p.parent_pid, p.parent_process_id, "
                           "p.process_name, p.image_path, p.command_line, p.start_ts, p.end_ts, p.exit_status, "
                           "t.time_basis, (SELECT min(c.creation_id) FROM creations c "
                           "  WHERE c.child_process_id = p.process_id), p.source "
                           "FROM processes p JOIN traces t USING (trace_id) WHERE ?1 = 0 OR p.trace_id = ?1 "
                           "ORDER BY p.trace_id, p.process_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    fprintf(f, "%sPROCESSES%s\n", ps_color(o, PS_C_BOLD), ps_color(o, PS_C_RESET));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *basis = col_text(st, 11) ? col_text(st, 11) : "utc";
        const char *name = col_text(st, 5), *img = col_text(st, 6), *cmd = col_text(st, 7);
        char a[64] = "before the trace", b[64] = "running at the end";

        n++;
        if (sqlite3_column_type(st, 8) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(st, 8), a, sizeof a);
        if (sqlite3_column_type(st, 9) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(st, 9), b, sizeof b);
        fprintf(f, "  #%lld  %s%s%s (%lld)", (long long)sqlite3_column_int64(st, 0), ps_color(o, PS_C_BOLD),
                name ? ps_tx(name) : "?", ps_color(o, PS_C_RESET), (long long)sqlite3_column_int64(st, 2));
        if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
            fprintf(f, "  parent %lld", (long long)sqlite3_column_int64(st, 3));
            if (sqlite3_column_type(st, 4) != SQLITE_NULL)
                fprintf(f, " (#%lld)", (long long)sqlite3_column_int64(st, 4));
        }
        if (sqlite3_column_type(st, 12) != SQLITE_NULL)
            fprintf(f, "  creation #%lld", (long long)sqlite3_column_int64(st, 12));
        fputc('\n', f);
        fprintf(f, "       %s \xe2\x80\x93 %s", a, b);
        if (sqlite3_column_type(st, 10) != SQLITE_NULL)
            fprintf(f, ", exit status %lld", (long long)sqlite3_column_int64(st, 10));
        fprintf(f, "  %s(%s)%s\n", ps_color(o, PS_C_DIM), col_text(st, 13) ? ps_tx(col_text(st, 13)) : "?",
                ps_color(o, PS_C_RESET));
        if (img)
            fprintf(f, "       image    %s\n", ps_tx(img));
        if (cmd)
            fprintf(f, "       command  %s\n", ps_tx(cmd));
    }
    if (!n)
        fprintf(f, "  none\n");
    fputc('\n', f);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

int ps_report_processes(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    if (o->format == PS_FMT_TEXT)
        return processes_text(s, o, err);
    return ps_report_export(s, o, &PROCESSES, err);
}
