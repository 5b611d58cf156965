/*
 * export_docs.c - the ECS (_bulk NDJSON) and Timesketch (JSONL) profiles of
 * `procstage export` (docs/exports.md): one document per creation, finding
 * and process, streamed from three queries.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/util.h"
#include "model/severity.h"
#include "reports/export.h"
#include "reports/report.h"

static const char *const STAGE_KEYS[6] = {"open_image",          "create_process_object", "create_initial_thread",
                                          "notify_subsystem",    "start_initial_thread",  "user_init"};

/* ---- times ---------------------------------------------------------------------- */

typedef struct doc_time {
    bool dated;              /* false: no value, or a time of day only */
    char iso[72];            /* ISO 8601 (Z when UTC is known) */
    int64_t unix_us;         /* microseconds since 1970 (dated only) */
} doc_time;

/* The time of column `col` in the trace's basis (columns `basis` and
 * `tz` give time_basis and tz_offset_min). */
static void doc_time_of(sqlite3_stmt *st, int col, int basis_col, int tz_col, doc_time *t)
{
    const char *basis = (const char *)sqlite3_column_text(st, basis_col);
    int64_t ts;
    bool utc;
    char tmp[64];

    memset(t, 0, sizeof *t);
    if (sqlite3_column_type(st, col) != SQLITE_INTEGER || !basis || !strcmp(basis, "time-of-day"))
        return;
    ts = sqlite3_column_int64(st, col);
    utc = !strcmp(basis, "utc");
    if (!utc && sqlite3_column_type(st, tz_col) == SQLITE_INTEGER) {
        ts -= sqlite3_column_int64(st, tz_col) * 60 * PS_TICKS_PER_SEC;
        utc = true;
    }
    ps_format_filetime(ts, tmp, sizeof tmp);
    tmp[10] = 'T';
    snprintf(t->iso, sizeof t->iso, "%s%s", tmp, utc ? "Z" : "");
    t->unix_us = (ts - PS_FILETIME_UNIX_EPOCH) / 10;
    t->dated = true;
}

/* ---- small writers ---------------------------------------------------------------- */

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static bool has(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) != SQLITE_NULL;
}

static void kv_text(ps_json *j, const char *k, sqlite3_stmt *st, int i)
{
    if (has(st, i))
        ps_json_kv_str(j, k, col(st, i));
}

static void kv_int(ps_json *j, const char *k, sqlite3_stmt *st, int i)
{
    if (has(st, i))
        ps_json_kv_int(j, k, sqlite3_column_int64(st, i));
}

static void kv_ms(ps_json *j, const char *k, sqlite3_stmt *st, int i)
{
    if (has(st, i)) {
        ps_json_key(j, k);
        ps_json_double(j, sqlite3_column_double(st, i), 4);
    }
}

static void kv_array1(ps_json *j, const char *k, const char *v)
{
    ps_json_key(j, k);
    ps_json_begin_array(j);
    ps_json_string(j, v);
    ps_json_end_array(j);
}

static void kv_basename(ps_json *j, const char *k, sqlite3_stmt *st, int i)
{
    if (has(st, i))
        ps_json_kv_str(j, k, ps_path_basename(col(st, i)));
}

/* A flat list of fields (the Timesketch profile): key, column, and 't'
 * text, 'i' integer, 'm' milliseconds; NULL columns are left out. */
typedef struct flat_field {
    const char *key;
    int col;
    char kind;
} flat_field;

static void kv_flat(ps_json *j, sqlite3_stmt *st, const flat_field *f)
{
    for (; f->key; f++) {
        if (f->kind == 'i')
            kv_int(j, f->key, st, f->col);
        else if (f->kind == 'm')
            kv_ms(j, f->key, st, f->col);
        else
            kv_text(j, f->key, st, f->col);
    }
}

/* "name": {"key": integer column i}, when the column is not NULL. */
static void kv_obj_int(ps_json *j, const char *name, const char *key, sqlite3_stmt *st, int i)
{
    if (!has(st, i))
        return;
    ps_json_key(j, name);
    ps_json_begin_object(j);
    kv_int(j, key, st, i);
    ps_json_end_object(j);
}

/* "event": {kind, category [process], type [type], action, dataset}, left open
 * for more keys; then "host": {"name"} after ecs_event_end. */
static void ecs_event(ps_json *j, const char *kind, const char *type, const char *action, const char *dataset)
{
    ps_json_key(j, "event");
    ps_json_begin_object(j);
    ps_json_kv_str(j, "kind", kind);
    kv_array1(j, "category", "process");
    kv_array1(j, "type", type);
    ps_json_kv_str(j, "action", action);
    ps_json_kv_str(j, "dataset", dataset);
}

/* Closes "event" and writes "host": {"name": column i} when known. */
static void ecs_event_end(ps_json *j, sqlite3_stmt *st, int host_col)
{
    ps_json_end_object(j);
    if (has(st, host_col)) {
        ps_json_key(j, "host");
        ps_json_begin_object(j);
        kv_text(j, "name", st, host_col);
        ps_json_end_object(j);
    }
}

/* ECS severity: a number; the scale of Elastic's detection rules. */
static int ecs_severity(const char *sev)
{
    static const int score[] = {1, 21, 47, 73, 99};
    int r = sev ? ps_severity_rank(sev) : -1;
    return r >= 0 && r < 5 ? score[r] : 0;
}

/* The _bulk action line: {"index":{"_index":...,"_id":...}} */
static void action(ps_json *j, const ps_doc_opts *o, const char *sha, const char *kind, int64_t ordinal)
{
    char id[128];

    snprintf(id, sizeof id, "%s:%s:%lld", sha ? sha : "", kind, (long long)ordinal);
    ps_json_begin_object(j);
    ps_json_key(j, "index");
    ps_json_begin_object(j);
    if (o->index)
        ps_json_kv_str(j, "_index", o->index);
    ps_json_kv_str(j, "_id", id);
    ps_json_end_object(j);
    ps_json_end_object(j);
}

static void time_fields(ps_json *j, const ps_doc_opts *o, const doc_time *t, const char *desc, ps_export_counts *n)
{
    if (!t->dated) {
        n->undated++;
        if (o->profile == PS_DOC_TIMESKETCH)
            ps_json_kv_str(j, "timestamp_desc", desc);
        return;
    }
    if (o->profile == PS_DOC_ECS) {
        ps_json_kv_str(j, "@timestamp", t->iso);
        return;
    }
    ps_json_kv_str(j, "datetime", t->iso);
    ps_json_kv_int(j, "timestamp", t->unix_us);
    ps_json_kv_str(j, "timestamp_desc", desc);
}

/* ---- creations ------------------------------------------------------------------------ */

/* columns: 0 creation_id, 1 ordinal, 2 sha256, 3 host, 4 time_basis, 5 tz_offset_min, 6 create_ts,
 * 7 status, 8 parent_pid, 9 creator_pid, 10 child_pid, 11 requested_image, 12 image_path,
 * 13 command_line, 14 current_dir, 15 creator name, 16 creator image, 17..22 stage1..6 ms,
 * 23 total_ms, 24 confidence, 25 trace_id, 26 result, 27 creator_tid, 28 initial_tid, 29 case_name */
static const char CREATIONS_SQL[] =
    "SELECT c.creation_id, row_number() OVER (PARTITION BY c.trace_id ORDER BY c.creation_id), t.sha256, t.host, "
    "t.time_basis, t.tz_offset_min, c.create_ts, c.status, c.parent_pid, c.creator_pid, c.child_pid, "
    "c.requested_image, c.image_path, c.command_line, c.current_dir, cp.process_name, cp.image_path, "
    "v.stage1_ms, v.stage2_ms, v.stage3_ms, v.stage4_ms, v.stage5_ms, v.stage6_ms, v.total_ms, v.confidence, "
    "c.trace_id, c.result, c.creator_tid, c.initial_tid, t.case_name "
    "FROM creations c JOIN traces t USING (trace_id) LEFT JOIN v_stage_timing v USING (creation_id) "
    "LEFT JOIN processes cp ON cp.process_id = c.creator_process_id "
    "WHERE ?1 = 0 OR c.trace_id = ?1 ORDER BY c.trace_id, c.creation_id";

static const char *outcome(const char *status)
{
    if (!status)
        return "unknown";
    return !strcmp(status, "complete") ? "success" : !strcmp(status, "failed") ? "failure" : "unknown";
}

static void creation_ecs(ps_json *j, sqlite3_stmt *st)
{
    int i;

    ecs_event(j, "event", "start", "process-creation", "procstage.creation");
    ps_json_kv_str(j, "outcome", outcome(col(st, 7)));
    if (has(st, 23))
        ps_json_kv_int(j, "duration", (int64_t)(sqlite3_column_double(st, 23) * 1e6 + 0.5));
    ecs_event_end(j, st, 3);
    ps_json_key(j, "process");
    ps_json_begin_object(j);
    kv_int(j, "pid", st, 10);
    kv_basename(j, "name", st, 12);
    kv_text(j, "executable", st, 12);
    kv_text(j, "command_line", st, 13);
    kv_text(j, "working_directory", st, 14);
    kv_obj_int(j, "thread", "id", st, 28);
    ps_json_key(j, "parent");
    ps_json_begin_object(j);
    kv_int(j, "pid", st, 8);
    ps_json_end_object(j);
    ps_json_end_object(j);
    ps_json_key(j, "procstage");
    ps_json_begin_object(j);
    ps_json_kv_str(j, "kind", "creation");
    kv_text(j, "trace_sha256", st, 2);
    kv_int(j, "trace_id", st, 25);
    kv_text(j, "case", st, 29);
    kv_int(j, "creation_id", st, 0);
    kv_text(j, "time_basis", st, 4);
    kv_text(j, "status", st, 7);
    kv_text(j, "result", st, 26);
    kv_text(j, "requested_image", st, 11);
    ps_json_key(j, "creator");
    ps_json_begin_object(j);
    kv_int(j, "pid", st, 9);
    kv_int(j, "tid", st, 27);
    kv_text(j, "name", st, 15);
    kv_text(j, "executable", st, 16);
    ps_json_end_object(j);
    ps_json_key(j, "stages");
    ps_json_begin_object(j);
    for (i = 0; i < 6; i++) {
        char k[48];
        snprintf(k, sizeof k, "%s_ms", STAGE_KEYS[i]);
        kv_ms(j, k, st, 17 + i);
    }
    kv_ms(j, "total_ms", st, 23);
    kv_text(j, "confidence", st, 24);
    ps_json_end_object(j);
    ps_json_end_object(j);
}

static const flat_field CREATION_FLAT[] = {
    {"host", 3, 't'},           {"trace_sha256", 2, 't'},   {"trace_id", 25, 'i'},       {"creation_id", 0, 'i'},
    {"time_basis", 4, 't'},     {"status", 7, 't'},         {"result", 26, 't'},         {"parent_pid", 8, 'i'},
    {"creator_pid", 9, 'i'},    {"creator_tid", 27, 'i'},   {"creator_name", 15, 't'},   {"creator_image", 16, 't'},
    {"pid", 10, 'i'},           {"initial_tid", 28, 'i'},   {"requested_image", 11, 't'}, {"image_path", 12, 't'},
    {"command_line", 13, 't'},  {"current_dir", 14, 't'},   {"case", 29, 't'},           {NULL, 0, 0},
};

static void creation_timesketch(ps_json *j, sqlite3_stmt *st)
{
    char msg[1024], ms[32] = "?";
    const char *img = col(st, 12) ? col(st, 12) : col(st, 11);
    int i;

    if (has(st, 23))
        snprintf(ms, sizeof ms, "%.3f", sqlite3_column_double(st, 23));
    snprintf(msg, sizeof msg, "process creation: %s (%lld) -> %s (%lld), %s, %s ms", col(st, 15) ? col(st, 15) : "?",
             (long long)sqlite3_column_int64(st, 9), img ? ps_path_basename(img) : "?",
             (long long)sqlite3_column_int64(st, 10), col(st, 7) ? col(st, 7) : "?", ms);
    ps_json_kv_str(j, "message", msg);
    ps_json_kv_str(j, "data_type", "procstage:creation");
    kv_flat(j, st, CREATION_FLAT);
    for (i = 0; i < 6; i++) {
        char k[56];
        snprintf(k, sizeof k, "stage%d_%s_ms", i + 1, STAGE_KEYS[i]);
        kv_ms(j, k, st, 17 + i);
    }
    kv_ms(j, "total_ms", st, 23);
    kv_text(j, "stage_confidence", st, 24);
}

/* ---- findings ---------------------------------------------------------------------------- */

/* 0 finding_id, 1 ordinal, 2 sha256, 3 host, 4 time_basis, 5 tz, 6 ts, 7 rule_id, 8 title, 9 severity,
 * 10 technique, 11 creation_id, 12 image_path, 13 child_pid, 14 parent_pid, 15 command_line,
 * 16 event_id, 17 evidence, 18 trace_id, 19 case_name */
static const char FINDINGS_SQL[] =
    "SELECT f.finding_id, row_number() OVER (PARTITION BY f.trace_id ORDER BY f.finding_id), t.sha256, t.host, "
    "t.time_basis, t.tz_offset_min, coalesce(e.ts, c.create_ts, t.first_ts), f.rule_id, f.title, f.severity, "
    "f.technique, f.creation_id, coalesce(c.image_path, c.requested_image), c.child_pid, c.parent_pid, "
    "c.command_line, f.event_id, f.evidence, f.trace_id, t.case_name "
    "FROM findings f JOIN traces t USING (trace_id) LEFT JOIN creations c ON c.creation_id = f.creation_id "
    "LEFT JOIN event_rows e ON e.event_id = f.event_id "
    "WHERE ?1 = 0 OR f.trace_id = ?1 ORDER BY f.trace_id, f.finding_id";

/* "threat": ATT&CK ids of `list` ("T1546.012, T1546.008"): the techniques
 * (the part before a dot, once each) in threat.technique.id, the
 * sub-techniques in threat.technique.subtechnique.id. */
static void ecs_threat(ps_json *j, const char *list)
{
    char ids[16][16];
    size_t n = 0, i, k, len;
    const char *p = list;
    bool sub = false, seen;

    while (*p && n < PS_ARRAY_LEN(ids)) {
        while (*p == ',' || *p == ' ')
            p++;
        for (len = 0; p[len] && p[len] != ',' && p[len] != ' '; len++)
            ;
        if (len && len < sizeof ids[0]) {
            memcpy(ids[n], p, len);
            ids[n][len] = 0;
            sub |= strchr(ids[n], '.') != NULL;
            n++;
        }
        p += len;
    }
    if (!n)
        return;
    ps_json_key(j, "threat");
    ps_json_begin_object(j);
    ps_json_kv_str(j, "framework", "MITRE ATT&CK");
    ps_json_key(j, "technique");
    ps_json_begin_object(j);
    ps_json_key(j, "id");
    ps_json_begin_array(j);
    for (i = 0; i < n; i++) {
        size_t base = strcspn(ids[i], ".");
        for (seen = false, k = 0; k < i && !seen; k++)
            seen = strcspn(ids[k], ".") == base && !strncmp(ids[k], ids[i], base);
        if (!seen) {
            char t[16];
            memcpy(t, ids[i], base);
            t[base] = 0;
            ps_json_string(j, t);
        }
    }
    ps_json_end_array(j);
    if (sub) {
        ps_json_key(j, "subtechnique");
        ps_json_begin_object(j);
        ps_json_key(j, "id");
        ps_json_begin_array(j);
        for (i = 0; i < n; i++)
            if (strchr(ids[i], '.'))
                ps_json_string(j, ids[i]);
        ps_json_end_array(j);
        ps_json_end_object(j);
    }
    ps_json_end_object(j);
    ps_json_end_object(j);
}

/* the procstage.* fields of a finding's ECS document */
static const flat_field FINDING_ECS[] = {
    {"trace_sha256", 2, 't'}, {"trace_id", 18, 'i'}, {"finding_id", 0, 'i'},  {"creation_id", 11, 'i'},
    {"event_id", 16, 'i'},    {"severity", 9, 't'},  {"time_basis", 4, 't'}, {"evidence", 17, 't'},
    {"case", 19, 't'},        {NULL, 0, 0},
};

static void finding_ecs(ps_json *j, sqlite3_stmt *st)
{
    ecs_event(j, "alert", "info", "finding", "procstage.finding");
    ps_json_kv_int(j, "severity", ecs_severity(col(st, 9)));
    ecs_event_end(j, st, 3);
    ps_json_key(j, "rule");
    ps_json_begin_object(j);
    kv_text(j, "id", st, 7);
    kv_text(j, "name", st, 8);
    ps_json_end_object(j);
    if (has(st, 10))
        ecs_threat(j, col(st, 10));
    if (has(st, 11)) {
        ps_json_key(j, "process");
        ps_json_begin_object(j);
        kv_int(j, "pid", st, 13);
        kv_basename(j, "name", st, 12);
        kv_text(j, "executable", st, 12);
        kv_text(j, "command_line", st, 15);
        kv_obj_int(j, "parent", "pid", st, 14);
        ps_json_end_object(j);
    }
    ps_json_key(j, "procstage");
    ps_json_begin_object(j);
    ps_json_kv_str(j, "kind", "finding");
    kv_flat(j, st, FINDING_ECS);
    ps_json_end_object(j);
}

static const flat_field FINDING_FLAT[] = {
    {"host", 3, 't'},         {"trace_sha256", 2, 't'}, {"trace_id", 18, 'i'},    {"finding_id", 0, 'i'},
    {"rule_id", 7, 't'},      {"rule_name", 8, 't'},    {"severity", 9, 't'},     {"technique", 10, 't'},
    {"creation_id", 11, 'i'}, {"image_path", 12, 't'},  {"pid", 13, 'i'},         {"parent_pid", 14, 'i'},
    {"command_line", 15, 't'}, {"event_id", 16, 'i'},   {"time_basis", 4, 't'},   {"evidence", 17, 't'},
    {"case", 19, 't'},         {NULL, 0, 0},
};

static void finding_timesketch(ps_json *j, sqlite3_stmt *st)
{
    char msg[1024];
    const char *img = col(st, 12);

    snprintf(msg, sizeof msg, "[%s] %s%s%s", col(st, 9) ? col(st, 9) : "?", col(st, 8) ? col(st, 8) : "?",
             img ? ": " : "", img ? ps_path_basename(img) : "");
    ps_json_kv_str(j, "message", msg);
    ps_json_kv_str(j, "data_type", "procstage:finding");
    kv_flat(j, st, FINDING_FLAT);
}

/* ---- processes ------------------------------------------------------------------------------ */

/* 0 process_id, 1 ordinal, 2 sha256, 3 host, 4 time_basis, 5 tz, 6 start_ts (or first_ts), 7 pid,
 * 8 parent_pid, 9 process_name, 10 image_path, 11 command_line, 12 current_dir, 13 user, 14 exit_status,
 * 15 start_ts, 16 end_ts, 17 trace_id, 18 integrity, 19 session, 20 source, 21 case_name */
static const char PROCESSES_SQL[] =
    "SELECT p.process_id, row_number() OVER (PARTITION BY p.trace_id ORDER BY p.process_id), t.sha256, t.host, "
    "t.time_basis, t.tz_offset_min, coalesce(p.start_ts, t.first_ts), p.pid, p.parent_pid, p.process_name, "
    "p.image_path, p.command_line, p.current_dir, p.user, p.exit_status, p.start_ts, p.end_ts, p.trace_id, "
    "p.integrity, p.session, p.source, t.case_name "
    "FROM processes p JOIN traces t USING (trace_id) WHERE ?1 = 0 OR p.trace_id = ?1 "
    "ORDER BY p.trace_id, p.process_id";

/* the procstage.* fields of a process's ECS document */
static const flat_field PROCESS_ECS[] = {
    {"trace_sha256", 2, 't'}, {"trace_id", 17, 'i'},  {"process_id", 0, 'i'}, {"time_basis", 4, 't'},
    {"integrity", 18, 't'},   {"session", 19, 'i'},   {"source", 20, 't'},    {"case", 21, 't'},
    {NULL, 0, 0},
};

static void process_ecs(ps_json *j, sqlite3_stmt *st)
{
    doc_time a, b;

    ecs_event(j, "event", "info", "process", "procstage.process");
    ecs_event_end(j, st, 3);
    if (has(st, 13)) {
        ps_json_key(j, "user");
        ps_json_begin_object(j);
        kv_text(j, "name", st, 13);
        ps_json_end_object(j);
    }
    ps_json_key(j, "process");
    ps_json_begin_object(j);
    kv_int(j, "pid", st, 7);
    if (has(st, 9))
        kv_text(j, "name", st, 9);
    else
        kv_basename(j, "name", st, 10);
    kv_text(j, "executable", st, 10);
    kv_text(j, "command_line", st, 11);
    kv_text(j, "working_directory", st, 12);
    kv_int(j, "exit_code", st, 14);
    doc_time_of(st, 15, 4, 5, &a);
    doc_time_of(st, 16, 4, 5, &b);
    if (a.dated)
        ps_json_kv_str(j, "start", a.iso);
    if (b.dated)
        ps_json_kv_str(j, "end", b.iso);
    kv_obj_int(j, "parent", "pid", st, 8);
    ps_json_end_object(j);
    ps_json_key(j, "procstage");
    ps_json_begin_object(j);
    ps_json_kv_str(j, "kind", "process");
    kv_flat(j, st, PROCESS_ECS);
    if (!has(st, 15))
        ps_json_kv_str(j, "started", "before the trace");
    ps_json_end_object(j);
}

static const flat_field PROCESS_FLAT[] = {
    {"host", 3, 't'},          {"trace_sha256", 2, 't'}, {"trace_id", 17, 'i'},   {"process_id", 0, 'i'},
    {"pid", 7, 'i'},           {"parent_pid", 8, 'i'},   {"process_name", 9, 't'}, {"image_path", 10, 't'},
    {"command_line", 11, 't'}, {"current_dir", 12, 't'}, {"user", 13, 't'},        {"exit_status", 14, 'i'},
    {"integrity", 18, 't'},    {"session", 19, 'i'},     {"time_basis", 4, 't'},   {"case", 21, 't'},
    {NULL, 0, 0},
};

static void process_timesketch(ps_json *j, sqlite3_stmt *st)
{
    char msg[1024];
    const char *name = col(st, 9) ? col(st, 9) : col(st, 10) ? ps_path_basename(col(st, 10)) : "?";

    snprintf(msg, sizeof msg, "process %s (%lld)%s", name, (long long)sqlite3_column_int64(st, 7),
             has(st, 15) ? " started" : " running when the trace began");
    ps_json_kv_str(j, "message", msg);
    ps_json_kv_str(j, "data_type", "procstage:process");
    kv_flat(j, st, PROCESS_FLAT);
}

/* ---- driver ------------------------------------------------------------------------------------ */

typedef struct doc_kind {
    const char *sql;
    const char *key;         /* in the document id */
    const char *desc;        /* Timesketch timestamp_desc */
    void (*ecs)(ps_json *j, sqlite3_stmt *st);
    void (*timesketch)(ps_json *j, sqlite3_stmt *st);
    size_t counter;          /* offset in ps_export_counts */
} doc_kind;

static const doc_kind KINDS[] = {
    {CREATIONS_SQL, "c", "Process Creation", creation_ecs, creation_timesketch,
     offsetof(ps_export_counts, creations)},
    {FINDINGS_SQL, "f", "Finding", finding_ecs, finding_timesketch, offsetof(ps_export_counts, findings)},
    {PROCESSES_SQL, "p", "Process Start", process_ecs, process_timesketch, offsetof(ps_export_counts, processes)},
};

int ps_export_docs(ps_store *s, const ps_doc_opts *o, ps_export_counts *n, ps_error *err)
{
    size_t k;

    memset(n, 0, sizeof *n);
    for (k = 0; k < PS_ARRAY_LEN(KINDS); k++) {
        const doc_kind *d = &KINDS[k];
        sqlite3_stmt *st;
        ps_json j;
        int rc;

        if (sqlite3_prepare_v2(ps_store_db(s), d->sql, -1, &st, NULL) != SQLITE_OK)
            return ps_report_db_error(s, err);
        sqlite3_bind_int64(st, 1, o->trace_id);
        ps_json_init_ndjson(&j, o->out);
        ps_json_begin_array(&j);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            doc_time t;

            doc_time_of(st, 6, 4, 5, &t);
            if (o->profile == PS_DOC_ECS)
                action(&j, o, col(st, 2), d->key, sqlite3_column_int64(st, 1));
            ps_json_begin_object(&j);
            time_fields(&j, o, &t, d->desc, n);
            if (o->profile == PS_DOC_ECS) {
                ps_json_key(&j, "ecs");
                ps_json_begin_object(&j);
                ps_json_kv_str(&j, "version", "8.11.0");
                ps_json_end_object(&j);
                d->ecs(&j, st);
            } else {
                d->timesketch(&j, st);
            }
            ps_json_end_object(&j);
            (*(uint64_t *)((char *)n + d->counter))++;
        }
        ps_json_end_array(&j);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return ps_report_db_error(s, err);
    }
    if (fflush(o->out) != 0 || ferror(o->out))
        return ps_error_set(err, PS_ERR_IO, "cannot write the export: %s", ps_errno_text(errno));
    return 0;
}
