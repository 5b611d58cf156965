/*
 * findings.c - the findings report and the trace summary.
 */
#include <stdlib.h>
#include <string.h>

#include "model/severity.h"
#include "common/escape.h"
#include "common/json.h"
#include "reports/report.h"

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

static const char *const FINDING_SQL =
    "SELECT f.finding_id, f.trace_id, f.severity, f.rule_id, f.title, f.technique, f.creation_id, "
    "f.event_id, f.evidence, c.image_path, c.requested_image, c.parent_pid, c.child_pid, "
    "CASE WHEN c.creator_pid <> c.parent_pid THEN (SELECT p.process_name FROM processes p "
    "  WHERE p.trace_id = c.trace_id AND p.pid = c.parent_pid ORDER BY p.process_id LIMIT 1) "
    "ELSE coalesce(cp.process_name, (SELECT p.process_name FROM processes p WHERE p.trace_id = c.trace_id "
    "  AND p.pid = c.parent_pid ORDER BY p.process_id LIMIT 1)) END, c.create_ts, t.time_basis, "
    "c.creator_pid, cp.process_name, json_valid(f.evidence), "
    "coalesce((SELECT e.ts FROM events e WHERE e.event_id = f.event_id), c.create_ts), t.host, t.path "
    "FROM findings f JOIN traces t ON t.trace_id = f.trace_id "
    "LEFT JOIN creations c ON c.creation_id = f.creation_id "
    "LEFT JOIN processes cp ON cp.process_id = c.creator_process_id "
    "WHERE (?1 = 0 OR f.trace_id = ?1) AND "
    "  (CASE f.severity WHEN 'info' THEN 0 WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 "
    "   WHEN 'critical' THEN 4 ELSE 0 END) >= ?2 "
    "  AND ps_in_range(coalesce((SELECT e.ts FROM events e WHERE e.event_id = f.event_id), c.create_ts)) "
    "ORDER BY (CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 "
    "  WHEN 'low' THEN 3 ELSE 4 END), f.trace_id, f.finding_id";

int ps_report_count_findings(ps_store *s, int64_t trace_id, int min_rank, int64_t *count, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;

    *count = 0;
    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT count(*) FROM findings f WHERE (?1 = 0 OR trace_id = ?1) AND "
                           "(CASE severity WHEN 'info' THEN 0 WHEN 'low' THEN 1 WHEN 'medium' THEN 2 "
                           "WHEN 'high' THEN 3 WHEN 'critical' THEN 4 ELSE 0 END) >= ?2 AND "
                           "ps_in_range(coalesce((SELECT e.ts FROM events e WHERE e.event_id = f.event_id), "
                           "(SELECT c.create_ts FROM creations c WHERE c.creation_id = f.creation_id)))",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, trace_id);
    sqlite3_bind_int(st, 2, min_rank);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : ps_report_db_error(s, err);
}

/* The summary before the detail, one line per rule and level: how many,
 * first and last seen (the evidence event's time, else the creation's), the
 * rule (Hayabusa's and Chainsaw's habit). */
static const char *const SUMMARY_SQL =
    "SELECT f.severity, count(*), min(coalesce(e.ts, c.create_ts)), max(coalesce(e.ts, c.create_ts)), "
    "  max(t.time_basis), f.rule_id, max(f.title), count(DISTINCT f.trace_id) "
    "FROM findings f JOIN traces t ON t.trace_id = f.trace_id "
    "LEFT JOIN event_rows e ON e.event_id = f.event_id LEFT JOIN creations c ON c.creation_id = f.creation_id "
    "WHERE (?1 = 0 OR f.trace_id = ?1) AND "
    "  (CASE f.severity WHEN 'info' THEN 0 WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 "
    "   WHEN 'critical' THEN 4 ELSE 0 END) >= ?2 AND ps_in_range(coalesce(e.ts, c.create_ts)) "
    "GROUP BY f.rule_id, f.severity "
    "ORDER BY (CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 "
    "  WHEN 'low' THEN 3 ELSE 4 END), count(*) DESC, f.rule_id";

/* The severity in capitals, as the text reports show it. */
static void upper(const char *sev, char *up, size_t cap)
{
    size_t i;
    for (i = 0; sev[i] && i < cap - 1; i++)
        up[i] = (char)(sev[i] >= 'a' && sev[i] <= 'z' ? sev[i] - 32 : sev[i]);
    up[i] = '\0';
}

/* A time to the second (the detail gives the full precision). */
static void seconds(const char *basis, int64_t ts, char *buf, size_t cap)
{
    char *dot;
    ps_format_ts(basis, ts, buf, cap);
    if ((dot = strchr(buf, '.')) != NULL) {
        char *end = dot + 1;
        while (*end >= '0' && *end <= '9')
            end++;
        memmove(dot, end, strlen(end) + 1);
    }
}

static int findings_summary(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    FILE *f = o->out;
    int rc, rows = 0;

    if (sqlite3_prepare_v2(ps_store_db(s), SUMMARY_SQL, -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    sqlite3_bind_int(st, 2, o->min_severity);
    fprintf(f, "  %-8s  %5s  %-20s  %-20s  %s\n", "level", "count", "first seen", "last seen", "rule");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *sev = col_text(st, 0), *basis = col_text(st, 4) ? col_text(st, 4) : "utc";
        char up[16], first[64] = "-", last[64] = "-", traces[32] = "";
        upper(sev, up, sizeof up);
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            seconds(basis, sqlite3_column_int64(st, 2), first, sizeof first);
        if (sqlite3_column_type(st, 3) != SQLITE_NULL)
            seconds(basis, sqlite3_column_int64(st, 3), last, sizeof last);
        if (sqlite3_column_int64(st, 7) > 1)
            snprintf(traces, sizeof traces, "  (%lld traces)", (long long)sqlite3_column_int64(st, 7));
        fprintf(f, "  %s%-8s%s  %5lld  %-20s  %-20s  %s%s\n", ps_color(o, ps_severity_color(sev)), up,
                ps_color(o, PS_C_RESET), (long long)sqlite3_column_int64(st, 1), first, last, ps_tx(col_text(st, 6)),
                traces);
        rows++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ps_report_db_error(s, err);
    fputc('\n', f);
    (void)rows;
    return 0;
}

/* Appends "name: value" (newlines and tabs as spaces) to the details line,
 * separated by " \xc2\xa6 ", unless the name is there already. */
static int detail_add(ps_buf *b, const char *name, const char *value)
{
    char key[140];
    const char *p;
    int bad = 0;

    if (!name || !value || !*value || !strcmp(value, "-"))
        return 0;
    snprintf(key, sizeof key, "%s: ", name);
    if (b->len && !strncmp(ps_buf_cstr(b), key, strlen(key)))
        return 0;
    snprintf(key, sizeof key, " \xc2\xa6 %s: ", name);
    if (b->len && strstr(ps_buf_cstr(b), key))
        return 0;
    if (b->len)
        bad |= ps_buf_puts(b, " \xc2\xa6 ");
    bad |= ps_buf_puts(b, name);
    bad |= ps_buf_puts(b, ": ");
    for (p = value; *p; p++)
        bad |= ps_buf_putc(b, *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p);
    return bad ? PS_ERR_NOMEM : 0;
}

/* "details:" - the fields the rule matched (evidence.fields), then those of
 * PS_REPORT_DETAIL_FIELDS the record has, cut to the width with an ellipsis. */
static int details_line(const ps_report_opts *o, sqlite3_stmt *mst, sqlite3_stmt *fst, const char *evidence,
                        bool has_event, int64_t event_id, ps_error *err)
{
    ps_buf b;
    int width = o->width > 0 ? o->width : 160, rc = 0;
    size_t room, cut = 0, cols = 0;

    ps_buf_init(&b);
    if (evidence) {
        sqlite3_bind_text(mst, 1, evidence, -1, SQLITE_STATIC);
        while (!rc && sqlite3_step(mst) == SQLITE_ROW)
            rc = detail_add(&b, (const char *)sqlite3_column_text(mst, 0), (const char *)sqlite3_column_text(mst, 1));
        sqlite3_reset(mst);
    }
    if (has_event && !rc) {
        sqlite3_bind_int64(fst, 1, event_id);
        while (!rc && sqlite3_step(fst) == SQLITE_ROW) {
            rc = detail_add(&b, (const char *)sqlite3_column_text(fst, 0), (const char *)sqlite3_column_text(fst, 1));
        }
        sqlite3_reset(fst);
    }
    if (rc) {
        ps_buf_release(&b);
        return ps_error_nomem(err);
    }
    if (b.len) {
        /* cut to the width at a character boundary (the line starts 15 in) */
        room = width - 16 < 40 ? 40 : (size_t)width - 16;   /* the last column left free: no wrap */
        while (cut < b.len && cols < room) {
            cut++;
            while (cut < b.len && ((unsigned char)b.data[cut] & 0xC0) == 0x80)
                cut++;
            cols++;
        }
        if (cut < b.len) {
            /* one column for the ellipsis */
            do
                cut--;
            while (cut > 0 && ((unsigned char)b.data[cut] & 0xC0) == 0x80);
            b.data[cut] = '\0';
            fprintf(o->out, "    %-10s %s\xe2\x80\xa6\n", "details:", ps_tx(b.data));
        } else {
            fprintf(o->out, "    %-10s %s\n", "details:", ps_tx(b.data));
        }
    }
    ps_buf_release(&b);
    return 0;
}

static void event_line(ps_store *s, const ps_report_opts *o, sqlite3_stmt *est, int64_t id,
                       const char *basis, bool first)
{
    FILE *f = o->out;
    sqlite3_bind_int64(est, 1, id);
    if (sqlite3_step(est) == SQLITE_ROW) {
        char ts[64];
        const char *pname = col_text(est, 6);
        ps_format_ts(basis, sqlite3_column_int64(est, 1), ts, sizeof ts);
        fprintf(f, "    %-10s event %lld  %s  %s (%lld) %s %s  %s\n", first ? "evidence:" : "",
                (long long)id, ts, pname ? ps_tx(pname) : "?", (long long)sqlite3_column_int64(est, 2),
                col_text(est, 3) ? ps_tx(col_text(est, 3)) : "", col_text(est, 4) ? ps_tx(col_text(est, 4)) : "",
                col_text(est, 5) ? ps_tx(col_text(est, 5)) : "");
    }
    sqlite3_reset(est);
    (void)s;
}

static int findings_text(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st = NULL, *est = NULL, *mst = NULL, *fst = NULL;
    FILE *f = o->out;
    int64_t total = 0;
    int rc;
    bool many_traces = false;

    /* evidence keys worth a line of their own, after image and debugger */
    static const struct {
        const char *key, *label;
    } shown[] = {
        {"real_name", "real name:"},
        {"dll", "dll:"},
        {"reported_by", "by:"},
    };

    if ((rc = ps_report_count_findings(s, o->trace_id, o->min_severity, &total, err)) < 0)
        return rc;
    fprintf(f, "%sFINDINGS (%lld)%s\n", ps_color(o, PS_C_BOLD), (long long)total, ps_color(o, PS_C_RESET));
    if (!total) {
        fprintf(f, "  none\n\n");
        return 0;
    }
    if (total > 1 && (rc = findings_summary(s, o, err)) < 0)
        return rc;
    {
        /* several traces: each finding says where it came from */
        sqlite3_stmt *nt;
        if (!o->trace_id && sqlite3_prepare_v2(ps_store_db(s), "SELECT count(*) > 1 FROM traces", -1, &nt, NULL) == SQLITE_OK) {
            if (sqlite3_step(nt) == SQLITE_ROW)
                many_traces = sqlite3_column_int(nt, 0) != 0;
            sqlite3_finalize(nt);
        }
    }
    if (sqlite3_prepare_v2(ps_store_db(s), FINDING_SQL, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT e.event_id, e.ts, e.pid, e.operation, e.path, e.result, "
                           "p.process_name FROM events e LEFT JOIN processes p USING (process_id) "
                           "WHERE e.event_id = ?1",
                           -1, &est, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT key, CAST(value AS TEXT) FROM json_each(CASE WHEN json_valid(?1) THEN ?1 ELSE '{}' END, "
                           "'$.fields') WHERE type IN ('text', 'integer', 'real')",
                           -1, &mst, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT f.value ->> 0, f.value ->> 1 FROM event_field_sets s, json_each(s.fields) f "
                           "WHERE s.event_id = ?1 AND (f.value ->> 0) IN " PS_REPORT_DETAIL_FIELDS,
                           -1, &fst, NULL) != SQLITE_OK) {
        rc = ps_report_db_error(s, err);
        goto out;
    }
    sqlite3_bind_int64(st, 1, o->trace_id);
    sqlite3_bind_int(st, 2, o->min_severity);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *sev = col_text(st, 2), *ev = col_text(st, 8), *basis = col_text(st, 15);
        char up[16];
        size_t i;
        int64_t ids[16];
        size_t nids;
        char *dbg = ps_evidence_string(ev, "debugger"), *img = ps_evidence_string(ev, "image");

        upper(sev, up, sizeof up);
        if (!basis)
            basis = "utc";
        fprintf(f, "  %s%-8s%s  %s%s%s  %s", ps_color(o, ps_severity_color(sev)), up, ps_color(o, PS_C_RESET),
                ps_color(o, PS_C_BOLD), ps_tx(col_text(st, 3)), ps_color(o, PS_C_RESET), ps_tx(col_text(st, 4)));
        if (col_text(st, 5))
            fprintf(f, "  [%s]", ps_tx(col_text(st, 5)));
        fputc('\n', f);
        if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
            const char *req = col_text(st, 10), *img_path = col_text(st, 9);
            fprintf(f, "    %-10s #%lld  %s (%lld) \xe2\x86\x92 %s (%lld)\n", "creation:",
                    (long long)sqlite3_column_int64(st, 6), col_text(st, 13) ? ps_tx(col_text(st, 13)) : "?",
                    (long long)sqlite3_column_int64(st, 11),
                    img_path ? ps_tx(ps_path_basename(img_path)) : "?", (long long)sqlite3_column_int64(st, 12));
            if (req && img_path && strcmp(req, img_path) != 0)
                fprintf(f, "    %-10s %s, ran %s\n", "requested:", ps_tx(req), ps_tx(img_path));
            if (sqlite3_column_type(st, 16) != SQLITE_NULL && sqlite3_column_type(st, 11) != SQLITE_NULL &&
                sqlite3_column_int64(st, 16) != sqlite3_column_int64(st, 11))
                fprintf(f, "    %-10s %s (%lld), not the recorded parent\n", "creator:",
                        col_text(st, 17) ? ps_tx(col_text(st, 17)) : "?", (long long)sqlite3_column_int64(st, 16));
        } else if (img) {
            fprintf(f, "    %-10s %s\n", "image:", ps_tx(img));
        }
        if (many_traces)
            fprintf(f, "    %-10s #%lld %s%s%s%s\n", "trace:", (long long)sqlite3_column_int64(st, 1),
                    ps_tx(col_text(st, 21) ? col_text(st, 21) : "?"), col_text(st, 20) ? " (" : "",
                    col_text(st, 20) ? ps_tx(col_text(st, 20)) : "", col_text(st, 20) ? ")" : "");
        if (dbg)
            fprintf(f, "    %-10s %s\n", "debugger:", ps_tx(dbg));
        for (i = 0; i < PS_ARRAY_LEN(shown); i++) {
            char *v = ps_evidence_string(ev, shown[i].key);
            if (v)
                fprintf(f, "    %-10s %s\n", shown[i].label, ps_tx(v));
            free(v);
        }
        if (details_line(o, mst, fst, ev, sqlite3_column_type(st, 7) != SQLITE_NULL, sqlite3_column_int64(st, 7),
                         err) < 0) {
            free(dbg);
            free(img);
            rc = PS_ERR_NOMEM;
            goto out;
        }
        nids = ps_evidence_event_ids(ev, ids, 16);
        if (!nids && sqlite3_column_type(st, 7) != SQLITE_NULL) {
            ids[0] = sqlite3_column_int64(st, 7);
            nids = 1;
        }
        for (i = 0; i < nids; i++)
            event_line(s, o, est, ids[i], basis, i == 0);
        free(dbg);
        free(img);
    }
    fputc('\n', f);
    rc = rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
out:
    sqlite3_finalize(st);
    sqlite3_finalize(est);
    sqlite3_finalize(mst);
    sqlite3_finalize(fst);
    return rc;
}

int ps_report_findings_json(ps_store *s, const ps_report_opts *o, ps_json *j, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;
    int range_rc = ps_report_range_function(s, o, err);   /* --from/--to, for ps_in_range() */

    if (range_rc < 0)
        return range_rc;

    if (sqlite3_prepare_v2(ps_store_db(s), FINDING_SQL, -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    sqlite3_bind_int(st, 2, o->min_severity);
    ps_json_begin_array(j);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ps_json_begin_object(j);
        ps_json_kv_int(j, "finding_id", sqlite3_column_int64(st, 0));
        ps_json_kv_int(j, "trace_id", sqlite3_column_int64(st, 1));
        ps_json_kv_str(j, "severity", col_text(st, 2));
        ps_json_kv_str(j, "rule_id", col_text(st, 3));
        ps_json_kv_str(j, "title", col_text(st, 4));
        ps_json_kv_str(j, "technique", col_text(st, 5));
        ps_json_key(j, "creation_id");
        ps_json_column(j, st, 6);
        ps_json_key(j, "event_id");
        ps_json_column(j, st, 7);
        ps_json_kv_str(j, "requested_image", col_text(st, 10));
        ps_json_kv_str(j, "image_path", col_text(st, 9));
        ps_json_key(j, "time");
        if (sqlite3_column_type(st, 19) != SQLITE_NULL) {
            char ts[64];
            ps_format_ts(col_text(st, 15) ? col_text(st, 15) : "utc", sqlite3_column_int64(st, 19), ts, sizeof ts);
            ps_json_string(j, ts);
        } else {
            ps_json_null(j);
        }
        ps_json_kv_str(j, "host", col_text(st, 20));
        ps_json_kv_str(j, "trace", col_text(st, 21));
        ps_json_key(j, "evidence");
        if (sqlite3_column_int(st, 18))
            ps_json_raw(j, col_text(st, 8));
        else   /* not JSON (a model written by something else): a string */
            ps_json_string(j, col_text(st, 8));
        ps_json_end_object(j);
    }
    ps_json_end_array(j);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

static int findings_csv(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    FILE *f = o->out;
    int rc;
    static const int cols[] = {0, 1, 2, 3, 4, 5, 6, 7, 10, 9, 8};

    if (sqlite3_prepare_v2(ps_store_db(s), FINDING_SQL, -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    sqlite3_bind_int(st, 2, o->min_severity);
    fputs("finding_id,trace_id,severity,rule_id,title,technique,creation_id,event_id,requested_image,"
          "image_path,evidence,time,host,trace\n",
          f);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t i;
        char ts[64] = "";
        for (i = 0; i < PS_ARRAY_LEN(cols); i++)
            ps_csv_column(f, st, cols[i], i == 0);
        if (sqlite3_column_type(st, 19) != SQLITE_NULL)
            ps_format_ts(col_text(st, 15) ? col_text(st, 15) : "utc", sqlite3_column_int64(st, 19), ts, sizeof ts);
        ps_csv_field(f, ts, false);
        ps_csv_column(f, st, 20, false);
        ps_csv_column(f, st, 21, false);
        fputc('\n', f);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

int ps_report_findings(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    int range_rc = ps_report_range_function(s, o, err);   /* --from/--to, for ps_in_range() */

    if (range_rc < 0)
        return range_rc;
    if (o->format == PS_FMT_CSV)
        return findings_csv(s, o, err);
    if (o->format == PS_FMT_NDJSON)
        return ps_report_json_rows(s, o, "findings", ps_report_findings_json, err);
    if (o->format == PS_FMT_JSON) {
        static const ps_json_section sections[] = {{"findings", ps_report_findings_json}};
        return ps_report_json_document(s, o, sections, 1, err);
    }
    return findings_text(s, o, err);
}

/* ---- traces -------------------------------------------------------------------------- */

static const char *const TRACE_SQL =
    "SELECT trace_id, path, format, sha256, host, os_version, first_ts, last_ts, event_count, "
    "process_count, creation_count, time_basis, time_note, tz_offset_min, has_tid, has_stacks, "
    "events_lost, undecoded_count, warning_count, compressed, case_name "
    "FROM traces WHERE ?1 = 0 OR trace_id = ?1 ORDER BY trace_id";

int ps_report_traces_json(ps_store *s, const ps_report_opts *o, ps_json *j, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(ps_store_db(s), TRACE_SQL, -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    ps_json_begin_array(j);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *basis = col_text(st, 11);
        char ts[64];
        ps_json_begin_object(j);
        ps_json_kv_int(j, "trace_id", sqlite3_column_int64(st, 0));
        ps_json_kv_str(j, "path", col_text(st, 1));
        ps_json_kv_str(j, "format", col_text(st, 2));
        ps_json_kv_str(j, "sha256", col_text(st, 3));
        ps_json_kv_str(j, "host", col_text(st, 4));
        ps_json_kv_str(j, "case", col_text(st, 20));
        ps_json_kv_str(j, "os_version", col_text(st, 5));
        ps_json_key(j, "first_time");
        if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
            ps_format_ts(basis, sqlite3_column_int64(st, 6), ts, sizeof ts);
            ps_json_string(j, ts);
        } else {
            ps_json_null(j);
        }
        ps_json_key(j, "last_time");
        if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
            ps_format_ts(basis, sqlite3_column_int64(st, 7), ts, sizeof ts);
            ps_json_string(j, ts);
        } else {
            ps_json_null(j);
        }
        ps_json_kv_int(j, "events", sqlite3_column_int64(st, 8));
        ps_json_kv_int(j, "processes", sqlite3_column_int64(st, 9));
        ps_json_kv_int(j, "creations", sqlite3_column_int64(st, 10));
        ps_json_kv_str(j, "time_basis", basis);
        ps_json_kv_str(j, "time_note", col_text(st, 12));
        ps_json_key(j, "tz_offset_min");
        ps_json_column(j, st, 13);
        ps_json_key(j, "has_tid");
        ps_json_bool(j, sqlite3_column_int(st, 14));
        ps_json_key(j, "has_stacks");
        ps_json_bool(j, sqlite3_column_int(st, 15));
        ps_json_kv_int(j, "events_lost", sqlite3_column_int64(st, 16));
        ps_json_kv_int(j, "undecoded", sqlite3_column_int64(st, 17));
        ps_json_kv_int(j, "warnings", sqlite3_column_int64(st, 18));
        ps_json_end_object(j);
    }
    ps_json_end_array(j);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

/* Text: when the traces come from more than one machine, a line per host
 * (the traces' host, or "unknown") with what came from it. */
static int report_hosts(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    static const char sql[] =
        "SELECT h, count(*), sum(event_count), sum(creation_count), "
        "(SELECT count(*) FROM findings f JOIN traces u ON u.trace_id = f.trace_id "
        " WHERE coalesce(u.host, '') = h AND (?1 = 0 OR u.trace_id = ?1)) "
        "FROM (SELECT coalesce(host, '') AS h, event_count, creation_count FROM traces "
        "      WHERE ?1 = 0 OR trace_id = ?1) "
        "GROUP BY h ORDER BY h = '', h";
    sqlite3_stmt *st;
    FILE *f = o->out;
    int rc, n = 0;

    if (sqlite3_prepare_v2(ps_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *h = col_text(st, 0);
        long long nt = sqlite3_column_int64(st, 1), ne = sqlite3_column_int64(st, 2),
                  nc = sqlite3_column_int64(st, 3), nf = sqlite3_column_int64(st, 4);
        if (n++ == 0) {
            /* one host: the trace lines say it */
            if (sqlite3_step(st) != SQLITE_ROW) {
                rc = SQLITE_DONE;
                break;
            }
            sqlite3_reset(st);
            fprintf(f, "%sHOSTS%s\n", ps_color(o, PS_C_BOLD), ps_color(o, PS_C_RESET));
            continue;
        }
        fprintf(f, "  %-32s %lld trace%s, %lld event%s, %lld creation%s, %lld finding%s\n",
                h && *h ? ps_tx(h) : "(not recorded)", nt, nt == 1 ? "" : "s", ne, ne == 1 ? "" : "s", nc,
                nc == 1 ? "" : "s", nf, nf == 1 ? "" : "s");
    }
    if (rc == SQLITE_DONE && n > 1)
        fputc('\n', f);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

int ps_report_traces(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    FILE *f = o->out;
    int rc;

    if (o->format == PS_FMT_JSON || o->format == PS_FMT_NDJSON)
        return ps_report_json_rows(s, o, "traces", ps_report_traces_json, err);
    if (sqlite3_prepare_v2(ps_store_db(s), TRACE_SQL, -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    if (o->format == PS_FMT_CSV)
        fputs("trace_id,path,format,events,processes,creations,time_basis,first_ts,last_ts,sha256\n", f);
    else
        fprintf(f, "%sTRACES%s\n", ps_color(o, PS_C_BOLD), ps_color(o, PS_C_RESET));
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *basis = col_text(st, 11) ? col_text(st, 11) : "utc";
        char a[64] = "-", b[64] = "-";
        if (sqlite3_column_type(st, 6) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(st, 6), a, sizeof a);
        if (sqlite3_column_type(st, 7) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(st, 7), b, sizeof b);
        if (o->format == PS_FMT_CSV) {
            ps_csv_int(f, sqlite3_column_int64(st, 0), true);
            ps_csv_field(f, col_text(st, 1), false);
            ps_csv_field(f, col_text(st, 2), false);
            ps_csv_int(f, sqlite3_column_int64(st, 8), false);
            ps_csv_int(f, sqlite3_column_int64(st, 9), false);
            ps_csv_int(f, sqlite3_column_int64(st, 10), false);
            ps_csv_field(f, basis, false);
            ps_csv_field(f, a, false);
            ps_csv_field(f, b, false);
            ps_csv_field(f, col_text(st, 3), false);
            fputc('\n', f);
            continue;
        }
        fprintf(f, "  #%lld  %s  (%s%s)\n", (long long)sqlite3_column_int64(st, 0), ps_tx(col_text(st, 1)),
                ps_tx(col_text(st, 2)), sqlite3_column_int(st, 19) ? ", zstd" : "");
        {
            long long ne = sqlite3_column_int64(st, 8), np = sqlite3_column_int64(st, 9),
                      nc = sqlite3_column_int64(st, 10);
            fprintf(f, "       %lld event%s, %lld process%s, %lld creation%s", ne, ne == 1 ? "" : "s", np,
                    np == 1 ? "" : "es", nc, nc == 1 ? "" : "s");
        }
        if (col_text(st, 4) || col_text(st, 5))
            fprintf(f, "; host %s, %s", col_text(st, 4) ? ps_tx(col_text(st, 4)) : "?",
                    col_text(st, 5) ? ps_tx(col_text(st, 5)) : "?");
        if (col_text(st, 20))
            fprintf(f, "; case %s", ps_tx(col_text(st, 20)));
        fputc('\n', f);
        fprintf(f, "       %s \xe2\x80\x93 %s (%s)\n", a, b, basis);
        if (col_text(st, 12))
            fprintf(f, "       %stime: %s%s\n", ps_color(o, PS_C_DIM), ps_tx(col_text(st, 12)), ps_color(o, PS_C_RESET));
        if (!sqlite3_column_int(st, 14))
            fprintf(f, "       %sno thread ids: thread-dependent boundaries are inferred%s\n",
                    ps_color(o, PS_C_YELLOW), ps_color(o, PS_C_RESET));
        if (sqlite3_column_int64(st, 16))
            fprintf(f, "       %s%lld events lost: a stage can look missing only because its events were lost%s\n",
                    ps_color(o, PS_C_YELLOW), (long long)sqlite3_column_int64(st, 16), ps_color(o, PS_C_RESET));
        if (sqlite3_column_int64(st, 18))
            fprintf(f, "       %s%lld warnings while reading%s\n", ps_color(o, PS_C_YELLOW),
                    (long long)sqlite3_column_int64(st, 18), ps_color(o, PS_C_RESET));
    }
    if (o->format == PS_FMT_TEXT)
        fputc('\n', f);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ps_report_db_error(s, err);
    return o->format == PS_FMT_TEXT ? report_hosts(s, o, err) : 0;
}

int ps_report_analysis_json(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    static const ps_json_section sections[] = {{"traces", ps_report_traces_json},
                                               {"creations", ps_report_timing_json},
                                               {"per_image", ps_report_per_image_json},
                                               {"findings", ps_report_findings_json}};
    int range_rc = ps_report_range_function(s, o, err);   /* --from/--to, for ps_in_range() */

    if (range_rc < 0)
        return range_rc;
    return ps_report_json_document(s, o, sections, PS_ARRAY_LEN(sections), err);
}
