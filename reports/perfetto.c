/*
 * perfetto.c - the model as Chrome trace-event JSON (the "JSON Object
 * Format" that ui.perfetto.dev and chrome://tracing load).
 *
 *   - one process track per process instance (pid = processes.process_id,
 *     unique even when Windows reused the PID), named "image (PID)", with a
 *     "process" slice for its lifetime on thread 0 (clamped to the trace);
 *   - stages 1-4 as slices on the creator thread of the creating process,
 *     stages 5-6 on the initial thread of the created process; a stage is
 *     drawn only when both its ends are known; names carry " (inferred)" or
 *     " (missing)" so that Perfetto colours them apart;
 *   - findings as instant events on the process of their evidence event;
 *   - timestamps in microseconds from the first event of each trace (every
 *     trace starts at 0; otherData says where each one starts).
 * A creator that is not in the trace gets a stand-in track.  Slices that
 * would overlap on one thread (inferred boundaries can) move to an extra
 * lane, a thread track named "... (lane N)".
 *
 * Thread ids: Perfetto keys threads by tid alone (as on Linux, where tids are
 * unique system-wide), so every thread track gets a tid of its own, unique in
 * the file and apart from the pids; its name carries the Windows TID.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "model/creation.h"
#include "common/json.h"
#include "reports/report.h"

/* thread keys besides Windows TIDs (multiples of 4, never these) */
#define KEY_LIFETIME -1        /* the process lifetime track */
#define KEY_UNKNOWN -2         /* exports without thread ids */
#define TID_BASE 0x40000000LL  /* synthetic tids: above every pid */

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

typedef struct trace_origin {
    int64_t trace_id, origin;
} trace_origin;

typedef struct lanes {
    int64_t end[8];            /* the end of the last slice group of each lane */
    int64_t tid[8];            /* the lane's synthetic tid, 0 until used */
    int n;
} lanes;

typedef struct pf {
    ps_json j;
    ps_store *s;
    trace_origin *traces;
    size_t ntraces;
    bool multi;                /* more than one trace: name tracks with it */
    int64_t next_pid;          /* stand-in process tracks */
    ps_map standins;           /* (trace, pid) -> stand-in track */
    ps_map tracks;             /* (track pid, thread key) -> index in lv */
    lanes *lv;
    size_t nl, lcap;
    int64_t next_tid;
    bool oom;                  /* an allocation failed: the export is incomplete */
} pf;

static int64_t origin_of(const pf *p, int64_t trace_id)
{
    size_t i;
    for (i = 0; i < p->ntraces; i++)
        if (p->traces[i].trace_id == trace_id)
            return p->traces[i].origin;
    return 0;
}

/* microseconds since the trace origin, exact: ticks are 100 ns */
static void kv_us(pf *p, const char *key, int64_t ticks)
{
    char buf[40];
    int64_t a = ticks < 0 ? -ticks : ticks;
    snprintf(buf, sizeof buf, "%s%lld.%d", ticks < 0 ? "-" : "", (long long)(a / 10), (int)(a % 10));
    ps_json_key(&p->j, key);
    ps_json_raw(&p->j, buf);
}

/* an exact map key for two ids: track pids, trace ids and lane numbers are
 * small; Windows PIDs and TIDs are 32-bit */
static uint64_t key2(int64_t a, int64_t b)
{
    return (uint64_t)a << 32 ^ (uint32_t)b;
}

static void meta(pf *p, const char *what, int64_t pid, int64_t tid, const char *argkey, const char *name,
                 int64_t num)
{
    ps_json_begin_object(&p->j);
    ps_json_kv_str(&p->j, "name", what);
    ps_json_kv_str(&p->j, "ph", "M");
    ps_json_kv_int(&p->j, "pid", pid);
    if (tid >= 0)   /* process metadata: no tid (Perfetto then takes the pid) */
        ps_json_kv_int(&p->j, "tid", tid);
    ps_json_key(&p->j, "args");
    ps_json_begin_object(&p->j);
    if (name)
        ps_json_kv_str(&p->j, argkey, name);
    else
        ps_json_kv_int(&p->j, argkey, num);
    ps_json_end_object(&p->j);
    ps_json_end_object(&p->j);
}

/* The lanes of a thread (pid, key), made on first use; NULL without memory. */
static lanes *thread_of(pf *p, int64_t pid, int64_t key)
{
    uint64_t k = key2(pid, key), v;

    if (!ps_map_get(&p->tracks, k, &v)) {
        if (p->nl == p->lcap) {
            size_t nc = p->lcap ? p->lcap * 2 : 64;
            lanes *nv = realloc(p->lv, nc * sizeof *nv);
            if (!nv) {
                p->oom = true;
                return NULL;
            }
            p->lv = nv;
            p->lcap = nc;
        }
        memset(&p->lv[p->nl], 0, sizeof p->lv[p->nl]);
        v = p->nl++;
        if (ps_map_put(&p->tracks, k, v) < 0) {
            p->oom = true;
            return NULL;
        }
    }
    return &p->lv[v];
}

/* The tid of lane i of a thread, named on first use. */
static int64_t lane_tid(pf *p, lanes *l, int i, int64_t pid, const char *thread_name)
{
    char name[160];

    if (!l->tid[i]) {
        l->tid[i] = TID_BASE + p->next_tid++;
        if (i)
            snprintf(name, sizeof name, "%.140s (lane %d)", thread_name, i + 1);
        else
            snprintf(name, sizeof name, "%.150s", thread_name);
        meta(p, "thread_name", pid, l->tid[i], "name", name, 0);
    }
    return l->tid[i];
}

/* The tid for a group of slices [start, end] on thread (pid, key): its first
 * lane, or the first lane where the group does not overlap. */
static int64_t place(pf *p, int64_t pid, int64_t key, int64_t start, int64_t end, const char *thread_name)
{
    lanes *l = thread_of(p, pid, key);
    int i;

    if (!l)
        return TID_BASE - 1;   /* out of memory: one shared track */
    for (i = 0; i < l->n; i++)
        if (l->end[i] <= start)
            break;
    if (i == l->n) {
        if (l->n == (int)PS_ARRAY_LEN(l->end))
            i = l->n - 1;   /* more than 8 overlapping groups: share the last lane */
        else
            l->end[l->n++] = INT64_MIN;
    }
    if (end > l->end[i])
        l->end[i] = end;
    return lane_tid(p, l, i, pid, thread_name);
}

/* The lifetime thread of a process (stand-ins: where their findings go). */
static int64_t lifetime_tid(pf *p, int64_t pid, const char *name)
{
    lanes *l = thread_of(p, pid, KEY_LIFETIME);
    return l ? lane_tid(p, l, 0, pid, name) : TID_BASE - 1;
}

static int load_origins(pf *p, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(ps_store_db(p->s),
                           "SELECT t.trace_id, coalesce(t.first_ts, (SELECT min(e.ts) FROM events e "
                           "WHERE e.trace_id = t.trace_id), 0), t.path, t.time_basis, t.format "
                           "FROM traces t WHERE ?1 = 0 OR t.trace_id = ?1 ORDER BY t.trace_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(p->s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    ps_json_key(&p->j, "otherData");
    ps_json_begin_object(&p->j);
    ps_json_kv_str(&p->j, "generator", "procstage " PACKAGE_VERSION);
    ps_json_kv_str(&p->j, "time_unit", "microseconds since the first event of each trace");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        trace_origin *nt = realloc(p->traces, (p->ntraces + 1) * sizeof *nt);
        char key[48], val[1200], ts[64];
        const char *basis = col_text(st, 3) ? col_text(st, 3) : "utc";
        if (!nt) {
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
        p->traces = nt;
        nt[p->ntraces].trace_id = sqlite3_column_int64(st, 0);
        nt[p->ntraces].origin = sqlite3_column_int64(st, 1);
        p->ntraces++;
        ps_format_ts(basis, sqlite3_column_int64(st, 1), ts, sizeof ts);
        snprintf(key, sizeof key, "trace %lld", (long long)sqlite3_column_int64(st, 0));
        snprintf(val, sizeof val, "%.1000s (%.40s): 0 us = %s (%s)", col_text(st, 2) ? col_text(st, 2) : "?",
                 col_text(st, 4) ? col_text(st, 4) : "?", ts, basis);
        ps_json_kv_str(&p->j, key, val);
    }
    ps_json_end_object(&p->j);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ps_report_db_error(p->s, err);
    p->multi = p->ntraces > 1;
    return 0;
}

static void track_name(pf *p, char *buf, size_t cap, int64_t trace_id, const char *name, bool has_pid, int64_t pid)
{
    char pre[32] = "";
    if (p->multi)
        snprintf(pre, sizeof pre, "[trace %lld] ", (long long)trace_id);
    if (has_pid)
        snprintf(buf, cap, "%s%.200s (%lld)", pre, name ? name : "?", (long long)pid);
    else
        snprintf(buf, cap, "%s%.200s", pre, name ? name : "?");
}

static int write_processes(pf *p, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;
    int64_t sort = 0;

    if (sqlite3_prepare_v2(ps_store_db(p->s),
                           "SELECT p.process_id, p.trace_id, p.pid, p.parent_pid, p.process_name, p.image_path, "
                           "p.command_line, p.start_ts, p.end_ts, p.exit_status, t.first_ts, t.last_ts "
                           "FROM processes p JOIN traces t USING (trace_id) WHERE ?1 = 0 OR p.trace_id = ?1 "
                           "ORDER BY p.trace_id, p.start_ts IS NOT NULL, p.start_ts, p.process_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(p->s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), trace = sqlite3_column_int64(st, 1);
        int64_t origin = origin_of(p, trace), start, end, tid;
        bool start_known = sqlite3_column_type(st, 7) != SQLITE_NULL;
        bool end_known = sqlite3_column_type(st, 8) != SQLITE_NULL;
        char name[260];

        if (id >= p->next_pid)
            p->next_pid = id + 1;
        track_name(p, name, sizeof name, trace, col_text(st, 4), true, sqlite3_column_int64(st, 2));
        meta(p, "process_name", id, -1, "name", name, 0);
        meta(p, "process_sort_index", id, -1, "sort_index", NULL, ++sort);
        if (col_text(st, 6))
            meta(p, "process_labels", id, -1, "labels", col_text(st, 6), 0);
        tid = lifetime_tid(p, id, "process lifetime");
        /* lifetime, clamped to the trace */
        start = start_known ? sqlite3_column_int64(st, 7) : origin;
        if (start < origin)
            start = origin;
        end = end_known ? sqlite3_column_int64(st, 8)
                        : sqlite3_column_type(st, 11) != SQLITE_NULL ? sqlite3_column_int64(st, 11) : start;
        if (end < start)
            end = start;
        ps_json_begin_object(&p->j);
        ps_json_kv_str(&p->j, "name", col_text(st, 4) ? col_text(st, 4) : "process");
        ps_json_kv_str(&p->j, "cat", "process");
        ps_json_kv_str(&p->j, "ph", "X");
        ps_json_kv_int(&p->j, "pid", id);
        ps_json_kv_int(&p->j, "tid", tid);
        kv_us(p, "ts", start - origin);
        kv_us(p, "dur", end - start);
        ps_json_key(&p->j, "args");
        ps_json_begin_object(&p->j);
        ps_json_kv_int(&p->j, "process_id", id);
        ps_json_kv_int(&p->j, "trace_id", trace);
        ps_json_key(&p->j, "pid");
        ps_json_column(&p->j, st, 2);
        ps_json_key(&p->j, "parent_pid");
        ps_json_column(&p->j, st, 3);
        ps_json_kv_str(&p->j, "image_path", col_text(st, 5));
        ps_json_kv_str(&p->j, "command_line", col_text(st, 6));
        ps_json_key(&p->j, "started_in_trace");
        ps_json_bool(&p->j, start_known && sqlite3_column_int64(st, 7) >= origin);
        ps_json_key(&p->j, "exited_in_trace");
        ps_json_bool(&p->j, end_known);
        ps_json_key(&p->j, "exit_status");
        ps_json_column(&p->j, st, 9);
        ps_json_end_object(&p->j);
        ps_json_end_object(&p->j);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(p->s, err);
}

/* A stand-in process track for a creator that is not in the trace. */
static int64_t standin(pf *p, int64_t trace, bool has_pid, int64_t pid)
{
    uint64_t k = key2(trace, has_pid ? pid : -1), v;
    char name[260];

    if (ps_map_get(&p->standins, k, &v))
        return (int64_t)v;
    v = (uint64_t)p->next_pid++;
    if (ps_map_put(&p->standins, k, v) < 0)
        p->oom = true;
    track_name(p, name, sizeof name, trace, has_pid ? "creator not in the trace" : "unknown creator", has_pid,
               pid);
    meta(p, "process_name", (int64_t)v, -1, "name", name, 0);
    meta(p, "process_sort_index", (int64_t)v, -1, "sort_index", NULL, 1000000000LL + (int64_t)v);
    return (int64_t)v;
}

typedef struct stage_ends {
    bool known;
    int64_t start, end, duration, start_event, end_event;
    bool has_start_event, has_end_event;
    char conf[12];
    const char *evidence;
} stage_ends;

typedef struct creation_row {
    int64_t id, trace, create_ts;
    bool has_creator_proc, has_child_proc, has_creator_tid, has_initial_tid, has_creator_pid, has_child_pid;
    int64_t creator_proc, child_proc, creator_tid, initial_tid, creator_pid, child_pid;
    char image[600];
    char status[16];
    stage_ends st[6];
    ps_buf ev;                 /* evidence strings of the six stages, NUL-separated */
    bool ev_failed;
} creation_row;

static void stage_slice(pf *p, const creation_row *c, int k, int64_t pid, int64_t tid)
{
    const stage_ends *s = &c->st[k];
    int64_t origin = origin_of(p, c->trace);
    char name[64];

    snprintf(name, sizeof name, "%s%s", ps_stage_name(k + 1),
             !strcmp(s->conf, "inferred") ? " (inferred)" : !strcmp(s->conf, "missing") ? " (missing)" : "");
    ps_json_begin_object(&p->j);
    ps_json_kv_str(&p->j, "name", name);
    ps_json_kv_str(&p->j, "cat", "stage");
    ps_json_kv_str(&p->j, "ph", "X");
    ps_json_kv_int(&p->j, "pid", pid);
    ps_json_kv_int(&p->j, "tid", tid);
    kv_us(p, "ts", s->start - origin);
    kv_us(p, "dur", s->end - s->start);
    ps_json_key(&p->j, "args");
    ps_json_begin_object(&p->j);
    ps_json_kv_int(&p->j, "creation_id", c->id);
    ps_json_kv_int(&p->j, "stage", k + 1);
    ps_json_kv_str(&p->j, "confidence", s->conf);
    ps_json_key(&p->j, "duration_ms");
    ps_json_double(&p->j, (double)(s->end - s->start) / 10000.0, 4);
    ps_json_kv_str(&p->j, "image", c->image);
    ps_json_key(&p->j, "start_event_id");
    if (s->has_start_event)
        ps_json_int(&p->j, s->start_event);
    else
        ps_json_null(&p->j);
    ps_json_key(&p->j, "end_event_id");
    if (s->has_end_event)
        ps_json_int(&p->j, s->end_event);
    else
        ps_json_null(&p->j);
    ps_json_kv_str(&p->j, "evidence", s->evidence);
    ps_json_end_object(&p->j);
    ps_json_end_object(&p->j);
}

/* Stages a..b (0-based, inclusive) of a creation on one side. */
static void side(pf *p, const creation_row *c, int a, int b, int64_t pid, bool has_tid, int64_t tid,
                 const char *what)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN, track;
    char tname[128];
    int k;

    for (k = a; k <= b; k++)
        if (c->st[k].known) {
            if (c->st[k].start < lo)
                lo = c->st[k].start;
            if (c->st[k].end > hi)
                hi = c->st[k].end;
        }
    if (lo == INT64_MAX)
        return;
    if (has_tid)
        snprintf(tname, sizeof tname, "%s thread %lld", what, (long long)tid);
    else
        snprintf(tname, sizeof tname, "%s thread (no thread ids in the trace)", what);
    track = place(p, pid, has_tid ? tid : KEY_UNKNOWN, lo, hi, tname);
    for (k = a; k <= b; k++)
        if (c->st[k].known)
            stage_slice(p, c, k, pid, track);
}

static void flush_creation(pf *p, creation_row *c)
{
    int64_t creator, child;
    const char *ev;
    int k;

    /* stages without a row are missing; then the evidence pointers into the
     * buffer, now that it stopped growing (six strings, or none when memory
     * ran out while it was filled) */
    for (k = 0; k < 6; k++)
        if (!c->st[k].conf[0]) {
            ps_strlcpy(c->st[k].conf, "missing", sizeof c->st[k].conf);
            if (ps_buf_putc(&c->ev, '\0') < 0)
                c->ev_failed = true;
        }
    ev = c->ev_failed ? NULL : c->ev.data;
    for (k = 0; k < 6; k++) {
        c->st[k].evidence = ev && *ev ? ev : NULL;
        if (ev)
            ev += strlen(ev) + 1;
    }
    if (c->ev_failed)
        p->oom = true;
    creator = c->has_creator_proc ? c->creator_proc : standin(p, c->trace, c->has_creator_pid, c->creator_pid);
    side(p, c, 0, 3, creator, c->has_creator_tid, c->creator_tid, "creator");
    if (c->has_child_proc)
        child = c->child_proc;
    else
        child = standin(p, c->trace, c->has_child_pid, c->child_pid);
    side(p, c, 4, 5, child, c->has_initial_tid, c->initial_tid, "initial");
}

static int write_creations(pf *p, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    creation_row c;
    int rc;
    bool open = false;

    if (sqlite3_prepare_v2(ps_store_db(p->s),
                           "SELECT c.creation_id, c.trace_id, c.create_ts, c.creator_process_id, c.child_process_id, "
                           "c.creator_tid, c.initial_tid, c.creator_pid, c.child_pid, c.image_path, c.status, "
                           "s.stage, s.start_ts, s.end_ts, s.duration, s.confidence, s.start_event_id, "
                           "s.end_event_id, s.evidence "
                           "FROM creations c JOIN stages s USING (creation_id) "
                           "WHERE ?1 = 0 OR c.trace_id = ?1 ORDER BY c.trace_id, c.create_ts, c.creation_id, s.stage",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(p->s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    memset(&c, 0, sizeof c);
    ps_buf_init(&c.ev);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        int k = sqlite3_column_int(st, 11);
        stage_ends *s;
        int i;

        if (!open || id != c.id) {
            if (open)
                flush_creation(p, &c);
            ps_buf_reset(&c.ev);
            c.ev_failed = false;
            memset(c.st, 0, sizeof c.st);
            c.id = id;
            c.trace = sqlite3_column_int64(st, 1);
            c.create_ts = sqlite3_column_int64(st, 2);
            c.has_creator_proc = sqlite3_column_type(st, 3) != SQLITE_NULL;
            c.creator_proc = sqlite3_column_int64(st, 3);
            c.has_child_proc = sqlite3_column_type(st, 4) != SQLITE_NULL;
            c.child_proc = sqlite3_column_int64(st, 4);
            c.has_creator_tid = sqlite3_column_type(st, 5) != SQLITE_NULL;
            c.creator_tid = sqlite3_column_int64(st, 5);
            c.has_initial_tid = sqlite3_column_type(st, 6) != SQLITE_NULL;
            c.initial_tid = sqlite3_column_int64(st, 6);
            c.has_creator_pid = sqlite3_column_type(st, 7) != SQLITE_NULL;
            c.creator_pid = sqlite3_column_int64(st, 7);
            c.has_child_pid = sqlite3_column_type(st, 8) != SQLITE_NULL;
            c.child_pid = sqlite3_column_int64(st, 8);
            ps_strlcpy(c.image, col_text(st, 9) ? col_text(st, 9) : "", sizeof c.image);
            ps_strlcpy(c.status, col_text(st, 10) ? col_text(st, 10) : "", sizeof c.status);
            open = true;
        }
        if (k < 1 || k > 6)
            continue;
        /* evidence strings are appended in stage order; fill skipped stages */
        for (i = 0; i < k - 1; i++)
            if (!c.st[i].conf[0]) {
                ps_strlcpy(c.st[i].conf, "missing", sizeof c.st[i].conf);
                if (ps_buf_putc(&c.ev, '\0') < 0)
                    c.ev_failed = true;
            }
        s = &c.st[k - 1];
        if (s->conf[0])
            continue;   /* a duplicate stage row: keep the first */
        ps_strlcpy(s->conf, col_text(st, 15) ? col_text(st, 15) : "missing", sizeof s->conf);
        s->known = sqlite3_column_type(st, 12) != SQLITE_NULL && sqlite3_column_type(st, 13) != SQLITE_NULL &&
                   sqlite3_column_int64(st, 13) >= sqlite3_column_int64(st, 12);
        s->start = sqlite3_column_int64(st, 12);
        s->end = sqlite3_column_int64(st, 13);
        s->has_start_event = sqlite3_column_type(st, 16) != SQLITE_NULL;
        s->start_event = sqlite3_column_int64(st, 16);
        s->has_end_event = sqlite3_column_type(st, 17) != SQLITE_NULL;
        s->end_event = sqlite3_column_int64(st, 17);
        if ((col_text(st, 18) && ps_buf_puts(&c.ev, col_text(st, 18)) < 0) || ps_buf_putc(&c.ev, '\0') < 0)
            c.ev_failed = true;
    }
    if (rc == SQLITE_DONE && open)
        flush_creation(p, &c);
    ps_buf_release(&c.ev);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(p->s, err);
}

static int write_findings(pf *p, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(ps_store_db(p->s),
                           "SELECT f.finding_id, f.trace_id, f.severity, f.rule_id, f.title, f.technique, "
                           "f.creation_id, f.event_id, e.ts, e.process_id, c.create_ts, c.child_process_id, "
                           "CASE WHEN json_valid(f.evidence) THEN f.evidence END "
                           "FROM findings f LEFT JOIN event_rows e ON e.event_id = f.event_id "
                           "LEFT JOIN creations c ON c.creation_id = f.creation_id "
                           "WHERE (?1 = 0 OR f.trace_id = ?1) ORDER BY f.trace_id, f.finding_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(p->s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t trace = sqlite3_column_int64(st, 1), ts, pid;
        char name[300];
        bool global = false;

        /* where: the evidence event, else the creation's child, else the trace */
        if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
            ts = sqlite3_column_int64(st, 8);
        } else if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
            ts = sqlite3_column_int64(st, 10);
        } else {
            ts = origin_of(p, trace);
        }
        if (sqlite3_column_type(st, 9) != SQLITE_NULL)
            pid = sqlite3_column_int64(st, 9);
        else if (sqlite3_column_type(st, 11) != SQLITE_NULL)
            pid = sqlite3_column_int64(st, 11);
        else {
            pid = standin(p, trace, false, 0);
            global = true;
        }
        snprintf(name, sizeof name, "%s: %.260s", col_text(st, 2) ? col_text(st, 2) : "?",
                 col_text(st, 4) ? col_text(st, 4) : "?");
        ps_json_begin_object(&p->j);
        ps_json_kv_str(&p->j, "name", name);
        ps_json_kv_str(&p->j, "cat", "finding");
        ps_json_kv_str(&p->j, "ph", "i");
        ps_json_kv_str(&p->j, "s", global ? "g" : "p");
        ps_json_kv_int(&p->j, "pid", pid);
        ps_json_kv_int(&p->j, "tid", lifetime_tid(p, pid, global ? "findings" : "process lifetime"));
        kv_us(p, "ts", ts - origin_of(p, trace));
        ps_json_key(&p->j, "args");
        ps_json_begin_object(&p->j);
        ps_json_kv_int(&p->j, "finding_id", sqlite3_column_int64(st, 0));
        ps_json_kv_str(&p->j, "severity", col_text(st, 2));
        ps_json_kv_str(&p->j, "rule_id", col_text(st, 3));
        ps_json_kv_str(&p->j, "technique", col_text(st, 5));
        ps_json_key(&p->j, "creation_id");
        ps_json_column(&p->j, st, 6);
        ps_json_key(&p->j, "event_id");
        ps_json_column(&p->j, st, 7);
        ps_json_key(&p->j, "evidence");
        ps_json_raw(&p->j, col_text(st, 12));
        ps_json_end_object(&p->j);
        ps_json_end_object(&p->j);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(p->s, err);
}

int ps_report_perfetto(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    pf p;
    int rc;

    memset(&p, 0, sizeof p);
    p.s = s;
    p.next_pid = 1;
    ps_map_init(&p.standins);
    ps_map_init(&p.tracks);
    ps_json_init_file(&p.j, o->out, false);
    ps_json_begin_object(&p.j);
    ps_json_kv_str(&p.j, "displayTimeUnit", "ms");
    if ((rc = load_origins(&p, o, err)) < 0)
        goto out;
    ps_json_key(&p.j, "traceEvents");
    ps_json_begin_array(&p.j);
    if ((rc = write_processes(&p, o, err)) < 0 || (rc = write_creations(&p, o, err)) < 0 ||
        (rc = write_findings(&p, o, err)) < 0)
        goto out;
    ps_json_end_array(&p.j);
    ps_json_end_object(&p.j);
    ps_json_finish(&p.j);
    rc = p.oom ? ps_error_nomem(err) : 0;
out:
    free(p.traces);
    free(p.lv);
    ps_map_release(&p.standins);
    ps_map_release(&p.tracks);
    return rc;
}
