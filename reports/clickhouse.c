/*
 * clickhouse.c - `procstage export --clickhouse URL`: the model's traces,
 * processes, creations, stages, events and findings as MergeTree tables,
 * streamed over ClickHouse's HTTP interface as JSONEachRow batches
 * (docs/exports.md, "ClickHouse").
 *
 * Idempotence, per trace (keyed by traces.sha256, a column of every table):
 *   1. a trace whose row is in <db>.traces is complete: skipped;
 *   2. otherwise rows of it left in the other tables by an interrupted run
 *      are deleted (ALTER TABLE ... DELETE, waited for in system.mutations);
 *   3. its rows are sent, each table in batches; a failed request is sent
 *      again (connection errors, 5xx) after a growing pause;
 *   4. the rows now in each table are counted: when a batch was applied
 *      twice (a retry after a lost response) the trace is deleted and sent
 *      once more;
 *   5. its traces row is inserted last: the mark that it is complete.
 * Two exporters writing the same trace at the same time are not guarded.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "common/json.h"
#include "common/util.h"
#include "reports/export.h"
#include "reports/report.h"

#define CH_MAX_RESPONSE (1u << 20)
#define CH_MAX_BODY (8u << 20)
#define CH_MUTATION_WAIT_S 300

typedef struct ch_table {
    const char *name;
    const char *columns;     /* ClickHouse column definitions */
    const char *order_by;
    const char *names;       /* JSON keys, space separated, in the SELECT's order */
    const char *select;      /* SQLite; ?1 = trace_id, ?2 = procstage version */
} ch_table;

#define HOST_SHA "t.sha256, ifnull(t.host, '') "
#define HOST_SHA_COLS "trace_sha256 String, host String, "

static const ch_table TABLES[] = {
    {"events",
     HOST_SHA_COLS "event_id Int64, seq Int64, ts Nullable(Int64), pid Nullable(Int64), tid Nullable(Int64), "
                   "process_id Nullable(Int64), class String, operation Nullable(String), path Nullable(String), "
                   "result Nullable(String), detail Nullable(String), duration Nullable(Int64), "
                   "category Nullable(String), creation_id Nullable(Int64), stage Nullable(UInt8)",
     "trace_sha256, seq",
     "trace_sha256 host event_id seq ts pid tid process_id class operation path result detail duration category "
     "creation_id stage",
     "SELECT " HOST_SHA ", e.event_id, e.seq, e.ts, e.pid, e.tid, e.process_id, e.class, e.operation, e.path, "
     "e.result, e.detail, e.duration, e.category, e.creation_id, e.stage "
     "FROM events e JOIN traces t USING (trace_id) WHERE e.trace_id = ?1 ORDER BY e.event_id"},
    {"processes",
     HOST_SHA_COLS "process_id Int64, pid Int64, parent_pid Nullable(Int64), parent_process_id Nullable(Int64), "
                   "process_name Nullable(String), image_path Nullable(String), command_line Nullable(String), "
                   "current_dir Nullable(String), start_ts Nullable(Int64), end_ts Nullable(Int64), "
                   "exit_status Nullable(Int64), user Nullable(String), integrity Nullable(String), "
                   "session Nullable(Int64), source String",
     "host, trace_sha256, process_id",
     "trace_sha256 host process_id pid parent_pid parent_process_id process_name image_path command_line "
     "current_dir start_ts end_ts exit_status user integrity session source",
     "SELECT " HOST_SHA ", p.process_id, p.pid, p.parent_pid, p.parent_process_id, p.process_name, p.image_path, "
     "p.command_line, p.current_dir, p.start_ts, p.end_ts, p.exit_status, p.user, p.integrity, p.session, "
     "p.source FROM processes p JOIN traces t USING (trace_id) WHERE p.trace_id = ?1 ORDER BY p.process_id"},
    {"creations",
     HOST_SHA_COLS "creation_id Int64, image_name String, parent_pid Nullable(Int64), creator_pid Nullable(Int64), "
                   "creator_tid Nullable(Int64), child_pid Nullable(Int64), initial_tid Nullable(Int64), "
                   "requested_image Nullable(String), image_path Nullable(String), command_line Nullable(String), "
                   "current_dir Nullable(String), create_ts Nullable(Int64), status String, "
                   "result Nullable(String), anchor String, creator_process_id Nullable(Int64), "
                   "child_process_id Nullable(Int64), creator_image Nullable(String), "
                   "stage1_ms Nullable(Float64), stage2_ms Nullable(Float64), stage3_ms Nullable(Float64), "
                   "stage4_ms Nullable(Float64), stage5_ms Nullable(Float64), stage6_ms Nullable(Float64), "
                   "total_ms Nullable(Float64), confidence Nullable(String)",
     "image_name, host, trace_sha256, creation_id",
     "trace_sha256 host creation_id image_name parent_pid creator_pid creator_tid child_pid initial_tid "
     "requested_image image_path command_line current_dir create_ts status result anchor creator_process_id "
     "child_process_id creator_image stage1_ms stage2_ms stage3_ms stage4_ms stage5_ms stage6_ms total_ms "
     "confidence",
     "SELECT " HOST_SHA ", c.creation_id, ps_image_name(coalesce(c.image_path, c.requested_image)), c.parent_pid, "
     "c.creator_pid, c.creator_tid, c.child_pid, c.initial_tid, c.requested_image, c.image_path, c.command_line, "
     "c.current_dir, c.create_ts, c.status, c.result, c.anchor, c.creator_process_id, c.child_process_id, "
     "(SELECT p.image_path FROM processes p WHERE p.process_id = c.creator_process_id), "
     "v.stage1_ms, v.stage2_ms, v.stage3_ms, v.stage4_ms, v.stage5_ms, v.stage6_ms, v.total_ms, v.confidence "
     "FROM creations c JOIN traces t USING (trace_id) LEFT JOIN v_stage_timing v USING (creation_id) "
     "WHERE c.trace_id = ?1 ORDER BY c.creation_id"},
    {"stages",
     HOST_SHA_COLS "creation_id Int64, stage UInt8, name String, image_name String, start_ts Nullable(Int64), "
                   "end_ts Nullable(Int64), duration Nullable(Int64), confidence String, "
                   "start_event_id Nullable(Int64), end_event_id Nullable(Int64), evidence Nullable(String)",
     "stage, image_name, trace_sha256, creation_id",
     "trace_sha256 host creation_id stage name image_name start_ts end_ts duration confidence start_event_id "
     "end_event_id evidence",
     "SELECT " HOST_SHA ", s.creation_id, s.stage, s.name, ps_image_name(coalesce(c.image_path, c.requested_image)), "
     "s.start_ts, s.end_ts, s.duration, s.confidence, s.start_event_id, s.end_event_id, s.evidence "
     "FROM stages s JOIN creations c USING (creation_id) JOIN traces t ON t.trace_id = c.trace_id "
     "WHERE c.trace_id = ?1 ORDER BY s.creation_id, s.stage"},
    {"findings",
     HOST_SHA_COLS "finding_id Int64, rule_id String, title String, severity String, technique Nullable(String), "
                   "creation_id Nullable(Int64), event_id Nullable(Int64), image_name String, "
                   "evidence Nullable(String)",
     "rule_id, host, trace_sha256, finding_id",
     "trace_sha256 host finding_id rule_id title severity technique creation_id event_id image_name evidence",
     "SELECT " HOST_SHA ", f.finding_id, f.rule_id, f.title, f.severity, f.technique, f.creation_id, f.event_id, "
     "ps_image_name((SELECT coalesce(c.image_path, c.requested_image) FROM creations c "
     "  WHERE c.creation_id = f.creation_id)), f.evidence "
     "FROM findings f JOIN traces t USING (trace_id) WHERE f.trace_id = ?1 ORDER BY f.finding_id"},
    /* last: its row marks the trace complete */
    {"traces",
     HOST_SHA_COLS "path String, format String, time_basis String, tz_offset_min Nullable(Int32), "
                   "first_ts Nullable(Int64), last_ts Nullable(Int64), event_count UInt64, process_count UInt64, "
                   "creation_count UInt64, events_lost UInt64, ingested_by String, exported_by String, "
                   "case_name String",
     "trace_sha256",
     "trace_sha256 host path format time_basis tz_offset_min first_ts last_ts event_count process_count "
     "creation_count events_lost ingested_by exported_by case_name",
     "SELECT " HOST_SHA ", t.path, t.format, t.time_basis, t.tz_offset_min, t.first_ts, t.last_ts, t.event_count, "
     "t.process_count, t.creation_count, t.events_lost, ifnull(t.ingested_by, ''), ?2, ifnull(t.case_name, '') "
     "FROM traces t WHERE t.trace_id = ?1"},
};
#define N_DATA (PS_ARRAY_LEN(TABLES) - 1)

void ps_clickhouse_ddl(FILE *f, const char *database)
{
    size_t i;

    fprintf(f, "CREATE DATABASE IF NOT EXISTS %s;\n", database);
    for (i = 0; i < PS_ARRAY_LEN(TABLES); i++)
        fprintf(f, "CREATE TABLE IF NOT EXISTS %s.%s (%s) ENGINE = MergeTree() ORDER BY (%s);\n", database,
                TABLES[i].name, TABLES[i].columns, TABLES[i].order_by);
}

/* ps_image_name(path): the lower-case file name, '' for NULL (a sort key). */
static void sql_image_name(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    const char *p = (const char *)sqlite3_value_text(argv[0]);
    char *out;
    size_t i, n;

    (void)argc;
    if (!p) {
        sqlite3_result_text(cx, "", 0, SQLITE_STATIC);
        return;
    }
    p = ps_path_basename(p);
    n = strlen(p);
    if (!(out = malloc(n + 1))) {
        sqlite3_result_error_nomem(cx);
        return;
    }
    for (i = 0; i < n; i++)
        out[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] - 'A' + 'a') : p[i];
    out[n] = 0;
    sqlite3_result_text(cx, out, (int)n, free);
}

/* ---- HTTP ---------------------------------------------------------------------------- */

typedef struct ch {
    const ps_ch_opts *o;
    CURL *curl;
    ps_buf url, resp;
    char shown[512];         /* the URL for messages, without its password */
    bool resp_full;
    char curl_err[CURL_ERROR_SIZE];
    ps_export_counts *n;
} ch;

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    ch *c = ud;
    size_t n = size * nmemb;

    if (c->resp.len + n > CH_MAX_RESPONSE) {
        c->resp_full = true;
        return n;
    }
    if (ps_buf_append(&c->resp, p, n) < 0)
        return 0;
    return n;
}

static void pause_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The server's message, first line, for errors. */
static const char *server_message(ch *c)
{
    char *nl;
    if (!c->resp.len)
        return "no message";
    ps_buf_cstr(&c->resp);
    if ((nl = strchr(c->resp.data, '\n')))
        *nl = 0;
    if (strlen(c->resp.data) > 400)
        c->resp.data[400] = 0;
    return c->resp.data;
}

/* The URL as messages show it: a password (user:PASSWORD@, password=...)
 * replaced by "***". */
static void redact_url(const char *url, char *out, size_t size)
{
    const char *host = strstr(url, "://"), *at, *colon, *end;
    char tmp[512], *pw;

    ps_strlcpy(tmp, url, sizeof tmp);
    if (host) {
        host += 3;
        end = host + strcspn(host, "/?#");
        at = memchr(host, '@', (size_t)(end - host));
        colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
        if (colon && (size_t)(colon - url) < sizeof tmp)
            snprintf(tmp + (colon - url), sizeof tmp - (size_t)(colon - url), ":***%s", at);
    }
    if ((pw = strstr(tmp, "password=")) && (pw == tmp || pw[-1] == '?' || pw[-1] == '&')) {
        char rest[512];
        end = pw + 9 + strcspn(pw + 9, "&#");
        ps_strlcpy(rest, end, sizeof rest);
        snprintf(pw + 9, sizeof tmp - (size_t)(pw + 9 - tmp), "***%s", rest);
    }
    ps_strlcpy(out, tmp, size);
}

/* POSTs `body` to the server with `query` (or NULL: the body is the query);
 * the response is in c->resp. */
static int ch_post(ch *c, const char *query, const char *body, size_t len, ps_error *err)
{
    const char *base = c->o->url, *shown = c->shown;
    char *esc = NULL;
    int attempt;
    long code = 0;

    ps_buf_reset(&c->url);
    if (ps_buf_puts(&c->url, base) < 0)
        return ps_error_set(err, PS_ERR_NOMEM, "out of memory");
    if (query) {
        if (!(esc = curl_easy_escape(c->curl, query, 0)))
            return ps_error_set(err, PS_ERR_NOMEM, "out of memory");
        if (ps_buf_printf(&c->url, "%squery=%s", strchr(base, '?') ? "&" : "?", esc) < 0) {
            curl_free(esc);
            return ps_error_set(err, PS_ERR_NOMEM, "out of memory");
        }
        curl_free(esc);
    }
    curl_easy_setopt(c->curl, CURLOPT_URL, ps_buf_cstr(&c->url));
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    for (attempt = 0;; attempt++) {
        CURLcode cc;

        ps_buf_reset(&c->resp);
        c->resp_full = false;
        c->curl_err[0] = 0;
        cc = curl_easy_perform(c->curl);
        code = 0;
        if (cc == CURLE_OK) {
            curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
            if (code == 200)
                return 0;
            /* the request itself is wrong: sending it again cannot help */
            if (code >= 400 && code < 500 && code != 408 && code != 429)
                break;
        }
        if (attempt >= c->o->retries) {
            if (cc != CURLE_OK)
                return ps_error_set(err, PS_ERR_IO, "clickhouse at %s: %s", shown,
                                    c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc));
            break;
        }
        c->n->retries++;
        if (c->o->log)
            fprintf(c->o->log, "procstage: clickhouse: %s, sending again\n",
                    cc != CURLE_OK ? (c->curl_err[0] ? c->curl_err : curl_easy_strerror(cc)) : "server error");
        pause_ms(200L << (attempt < 5 ? attempt : 5));
    }
    return ps_error_set(err, PS_ERR_IO, "clickhouse at %s: HTTP %ld: %s", shown, code, server_message(c));
}

static int ch_exec(ch *c, const char *sql, ps_error *err)
{
    return ch_post(c, NULL, sql, strlen(sql), err);
}

static int ch_count(ch *c, const char *sql, int64_t *v, ps_error *err)
{
    char *end;
    int rc;

    if ((rc = ch_exec(c, sql, err)) < 0)
        return rc;
    ps_buf_cstr(&c->resp);
    *v = c->resp.len ? strtoll(c->resp.data, &end, 10) : -1;
    if (!c->resp.len || end == c->resp.data)
        return ps_error_set(err, PS_ERR_IO, "clickhouse at %s: unexpected answer to a count: %s", c->shown,
                            server_message(c));
    return 0;
}

/* ---- one trace ------------------------------------------------------------------------- */

static int delete_trace(ch *c, const char *sha, ps_error *err)
{
    char sql[512];
    int64_t rows, pending;
    size_t i;
    int rc, waited;

    for (i = 0; i < N_DATA; i++) {
        snprintf(sql, sizeof sql, "SELECT count() FROM %s.%s WHERE trace_sha256 = '%s'", c->o->database,
                 TABLES[i].name, sha);
        if ((rc = ch_count(c, sql, &rows, err)) < 0)
            return rc;
        if (!rows)
            continue;
        snprintf(sql, sizeof sql, "ALTER TABLE %s.%s DELETE WHERE trace_sha256 = '%s'", c->o->database,
                 TABLES[i].name, sha);
        if ((rc = ch_exec(c, sql, err)) < 0)
            return rc;
        snprintf(sql, sizeof sql,
                 "SELECT count() FROM system.mutations WHERE database = '%s' AND table = '%s' AND is_done = 0",
                 c->o->database, TABLES[i].name);
        for (waited = 0;; waited++) {
            if ((rc = ch_count(c, sql, &pending, err)) < 0)
                return rc;
            if (!pending)
                break;
            if (waited >= CH_MUTATION_WAIT_S * 10)
                return ps_error_set(err, PS_ERR_IO, "clickhouse at %s: the deletion of trace %.12s from %s did "
                                    "not finish in %d s", c->shown, sha, TABLES[i].name, CH_MUTATION_WAIT_S);
            pause_ms(100);
        }
    }
    return 0;
}

/* Sends the rows of table t for one trace; *sent = rows sent. */
static int send_table(ch *c, ps_store *s, const ch_table *t, int64_t trace_id, uint64_t *sent, ps_error *err)
{
    char insert[256], names[1024], *keys[40], *p;
    size_t nk = 0, k, rows = 0;
    sqlite3_stmt *st;
    ps_buf body;
    ps_json j;
    int rc = 0, step;

    ps_strlcpy(names, t->names, sizeof names);
    for (p = strtok(names, " "); p && nk < PS_ARRAY_LEN(keys); p = strtok(NULL, " "))
        keys[nk++] = p;
    snprintf(insert, sizeof insert, "INSERT INTO %s.%s FORMAT JSONEachRow", c->o->database, t->name);
    if (sqlite3_prepare_v2(ps_store_db(s), t->select, -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    if ((int)nk != sqlite3_column_count(st)) {
        sqlite3_finalize(st);
        return ps_error_set(err, PS_ERR_INTERNAL, "clickhouse table %s: %zu names for %d columns", t->name, nk,
                            sqlite3_column_count(st));
    }
    sqlite3_bind_int64(st, 1, trace_id);
    sqlite3_bind_text(st, 2, "procstage " PACKAGE_VERSION, -1, SQLITE_STATIC);
    ps_buf_init(&body);
    *sent = 0;
    for (;;) {
        step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            if (!rows) {
                ps_buf_reset(&body);
                ps_json_init_buf(&j, &body);
                j.ndjson = true;
                ps_json_begin_array(&j);
            }
            ps_json_begin_object(&j);
            for (k = 0; k < nk; k++) {
                ps_json_key(&j, keys[k]);
                ps_json_column(&j, st, (int)k);
            }
            ps_json_end_object(&j);
            rows++;
        }
        if (rows && (step != SQLITE_ROW || rows >= c->o->batch_rows || body.len >= CH_MAX_BODY)) {
            ps_json_end_array(&j);
            if ((rc = ch_post(c, insert, body.data, body.len, err)) < 0)
                goto out;
            *sent += rows;
            rows = 0;
        }
        if (step != SQLITE_ROW)
            break;
    }
    if (step != SQLITE_DONE)
        rc = ps_report_db_error(s, err);
out:
    sqlite3_finalize(st);
    ps_buf_release(&body);
    return rc;
}

static int send_trace(ch *c, ps_store *s, int64_t trace_id, const char *sha, ps_error *err)
{
    uint64_t sent[PS_ARRAY_LEN(TABLES)];
    char sql[512];
    int64_t have;
    size_t i;
    int rc, round;
    bool again;

    for (round = 0;; round++) {
        again = false;
        for (i = 0; i < N_DATA; i++)
            if ((rc = send_table(c, s, &TABLES[i], trace_id, &sent[i], err)) < 0)
                return rc;
        for (i = 0; i < N_DATA; i++) {
            snprintf(sql, sizeof sql, "SELECT count() FROM %s.%s WHERE trace_sha256 = '%s'", c->o->database,
                     TABLES[i].name, sha);
            if ((rc = ch_count(c, sql, &have, err)) < 0)
                return rc;
            if ((uint64_t)have != sent[i])
                again = true;
        }
        if (!again)
            break;
        if (round >= 1)
            return ps_error_set(err, PS_ERR_IO, "clickhouse at %s: trace %.12s: the rows stored differ from the "
                                "rows sent, twice", c->shown, sha);
        if (c->o->log)
            fprintf(c->o->log, "procstage: clickhouse: trace %.12s: a batch was stored twice, sending the trace "
                    "again\n", sha);
        if ((rc = delete_trace(c, sha, err)) < 0)
            return rc;
    }
    if ((rc = send_table(c, s, &TABLES[N_DATA], trace_id, &sent[N_DATA], err)) < 0)
        return rc;
    c->n->events += sent[0];
    c->n->processes += sent[1];
    c->n->creations += sent[2];
    c->n->stages += sent[3];
    c->n->findings += sent[4];
    c->n->traces++;
    return 0;
}

static bool valid_sha(const char *h)
{
    size_t i;
    if (!h || strlen(h) != 64)
        return false;
    for (i = 0; i < 64; i++)
        if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
            return false;
    return true;
}

static bool valid_name(const char *d)
{
    size_t i;
    if (!d || !*d || strlen(d) > 64)
        return false;
    for (i = 0; d[i]; i++)
        if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'z') || (d[i] >= 'A' && d[i] <= 'Z') ||
              d[i] == '_'))
            return false;
    return !(d[0] >= '0' && d[0] <= '9');
}

int ps_export_clickhouse(ps_store *s, const ps_ch_opts *o, ps_export_counts *n, ps_error *err)
{
    ch c;
    sqlite3_stmt *st = NULL;
    char sql[4096];
    size_t i;
    int rc = 0, step;

    memset(n, 0, sizeof *n);
    if (!valid_name(o->database))
        return ps_error_set(err, PS_ERR_USAGE, "'%s' is not a database name (letters, digits, _)", o->database);
    if (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8))
        return ps_error_set(err, PS_ERR_USAGE, "'%s' is not an http:// or https:// url", o->url);
    if (sqlite3_create_function(ps_store_db(s), "ps_image_name", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                sql_image_name, NULL, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    memset(&c, 0, sizeof c);
    c.o = o;
    c.n = n;
    redact_url(o->url, c.shown, sizeof c.shown);
    ps_buf_init(&c.url);
    ps_buf_init(&c.resp);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(c.curl = curl_easy_init())) {
        rc = ps_error_set(err, PS_ERR_NOMEM, "cannot start libcurl");
        goto out;
    }
    curl_easy_setopt(c.curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c.curl, CURLOPT_WRITEDATA, &c);
    curl_easy_setopt(c.curl, CURLOPT_ERRORBUFFER, c.curl_err);
    curl_easy_setopt(c.curl, CURLOPT_CONNECTTIMEOUT, 10L);
    /* a server that stops answering mid-request fails the request (and it is
     * retried) instead of hanging the export */
    curl_easy_setopt(c.curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c.curl, CURLOPT_LOW_SPEED_TIME, 300L);
    curl_easy_setopt(c.curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c.curl, CURLOPT_USERAGENT, "procstage/" PACKAGE_VERSION);

    snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", o->database);
    if ((rc = ch_exec(&c, sql, err)) < 0)
        goto out;
    for (i = 0; i < PS_ARRAY_LEN(TABLES); i++) {
        snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS %s.%s (%s) ENGINE = MergeTree() ORDER BY (%s)",
                 o->database, TABLES[i].name, TABLES[i].columns, TABLES[i].order_by);
        if ((rc = ch_exec(&c, sql, err)) < 0)
            goto out;
    }
    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT trace_id, sha256, path FROM traces WHERE ?1 = 0 OR trace_id = ?1 ORDER BY trace_id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = ps_report_db_error(s, err);
        goto out;
    }
    sqlite3_bind_int64(st, 1, o->trace_id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), done;
        char sha[65];

        if (!valid_sha((const char *)sqlite3_column_text(st, 1))) {
            rc = ps_error_set(err, PS_ERR_INPUT, "trace %lld ('%s') has no sha256 in the model: the ClickHouse "
                              "export keys traces by content", (long long)id, sqlite3_column_text(st, 2));
            goto out;
        }
        ps_strlcpy(sha, (const char *)sqlite3_column_text(st, 1), sizeof sha);
        snprintf(sql, sizeof sql, "SELECT count() FROM %s.traces WHERE trace_sha256 = '%s'", o->database, sha);
        if ((rc = ch_count(&c, sql, &done, err)) < 0)
            goto out;
        if (done) {
            n->traces_skipped++;
            continue;
        }
        if ((rc = delete_trace(&c, sha, err)) < 0 || (rc = send_trace(&c, s, id, sha, err)) < 0)
            goto out;
    }
    if (step != SQLITE_DONE)
        rc = ps_report_db_error(s, err);
out:
    sqlite3_finalize(st);
    if (c.curl)
        curl_easy_cleanup(c.curl);
    curl_global_cleanup();
    ps_buf_release(&c.url);
    ps_buf_release(&c.resp);
    return rc;
}
