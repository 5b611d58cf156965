#define _GNU_SOURCE
#include "config.h"

#include "model/store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/replace.h"
#include "common/tmpclean.h"
#include "common/util.h"
#include "model/embedded.h"
#include "model/writer.h"

enum {
    ST_EVENT, ST_EVENT_MULTI, ST_STRING, ST_STACK, ST_FRAME, ST_PROCESS, ST_MODULE, ST_CREATION,
    ST_BOUNDARY, ST_STAGE, ST_FINDING, ST_ATTR, ST_ATTR_ONE, ST_TRACE_BEGIN, ST_TRACE_END, ST_SHIFT_EVENTS,
    ST_SHIFT_CREATIONS, ST_SHIFT_BOUNDARIES, ST_SHIFT_STAGES, ST_SHIFT_PROCESSES, ST_CROSSCHECK, ST_EVENT_KIND,
    ST_FIELD, ST_LINK_FINDINGS,
    ST__COUNT
};

/* events go in runs of EVENT_ROWS rows per INSERT (docs/performance.md) */
#define EVENT_ROWS 16
#define EVENT_COLS "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_EVENT] = "INSERT INTO event_rows (event_id, trace_id, seq, ts, pid, tid, process_id, class, "
                 "operation_id, path_id, result_id, detail_id, duration, category_id, stack_id) VALUES " EVENT_COLS,
    [ST_EVENT_MULTI] = NULL,   /* built by prepare_all */
    [ST_STRING] = "INSERT INTO strings (string_id, text) VALUES (?1, ?2)",
    [ST_STACK] = "INSERT INTO stacks (stack_id, hash, depth, frame_ids) VALUES (?1, ?2, ?3, ?4)",
    [ST_FRAME] = "INSERT INTO frame_values (frame_id, address, module, symbol, offset) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_FIELD] = "INSERT INTO event_field_sets (event_id, fields) VALUES (?1, ?2)",
    [ST_PROCESS] = "INSERT INTO processes (process_id, trace_id, pid, parent_pid, parent_process_id, "
                   "process_name, image_path, command_line, current_dir, start_ts, end_ts, "
                   "exit_status, user, integrity, session, is64, company, version, description, "
                   "source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                   "?15, ?16, ?17, ?18, ?19, ?20)",
    [ST_MODULE] = "INSERT INTO modules (process_id, base, size, path, version, company, description, "
                  "timestamp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_CREATION] = "INSERT INTO creations (creation_id, trace_id, parent_pid, creator_pid, creator_tid, "
                    "child_pid, initial_tid, requested_image, image_path, command_line, current_dir, "
                    "create_ts, status, result, anchor, anchor_event_id, creator_process_id, "
                    "child_process_id, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                    "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
    [ST_BOUNDARY] = "INSERT INTO boundaries (creation_id, boundary, ts, event_id, confidence, rule) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_STAGE] = "INSERT INTO stages (creation_id, stage, name, start_ts, end_ts, duration, "
                 "start_event_id, end_event_id, confidence, evidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                 "?7, ?8, ?9, ?10)",
    [ST_FINDING] = "INSERT INTO findings (trace_id, creation_id, event_id, rule_id, title, severity, "
                   "technique, evidence, finding_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_ATTR] = "UPDATE event_rows SET creation_id = ?1, stage = ?2 WHERE event_id BETWEEN ?3 AND ?4 "
                "AND pid = ?5 AND (?6 < 0 OR tid = ?6) AND creation_id IS NULL",
    [ST_ATTR_ONE] = "UPDATE event_rows SET creation_id = ?1, stage = ?2 WHERE event_id = ?3",
    [ST_TRACE_BEGIN] = "INSERT INTO traces (trace_id, path, format, compressed, size, host, os_version, "
                       "pointer_size, cpu_count, time_basis, time_note, has_tid, has_stacks, "
                       "ingested_by, case_name) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                       "?15)",
    [ST_TRACE_END] = "UPDATE traces SET sha256 = ?2, first_ts = ?3, last_ts = ?4, event_count = ?5, "
                     "process_count = ?6, creation_count = ?7, events_lost = ?8, "
                     "undecoded_count = ?9, warning_count = ?10, time_basis = ?11, "
                     "time_note = ?12, tz_offset_min = ?13, has_tid = ?14, has_stacks = ?15, "
                     "host = coalesce(?16, host), os_version = coalesce(?17, os_version) "
                     "WHERE trace_id = ?1",
    [ST_SHIFT_EVENTS] = "UPDATE event_rows SET ts = ts + ?2 WHERE trace_id = ?1 AND ts IS NOT NULL",
    [ST_SHIFT_CREATIONS] = "UPDATE creations SET create_ts = create_ts + ?2 WHERE trace_id = ?1 AND "
                           "create_ts IS NOT NULL",
    [ST_SHIFT_BOUNDARIES] = "UPDATE boundaries SET ts = ts + ?2 WHERE ts IS NOT NULL AND creation_id IN "
                            "(SELECT creation_id FROM creations WHERE trace_id = ?1)",
    [ST_SHIFT_STAGES] = "UPDATE stages SET start_ts = start_ts + ?2, end_ts = end_ts + ?2 WHERE creation_id IN "
                        "(SELECT creation_id FROM creations WHERE trace_id = ?1)",
    [ST_SHIFT_PROCESSES] = "UPDATE processes SET start_ts = start_ts + ?2, end_ts = end_ts + ?2 "
                           "WHERE trace_id = ?1 AND source = 'events'",
    [ST_CROSSCHECK] = "UPDATE creations SET crosscheck_delta = create_ts - (SELECT p.start_ts FROM "
                      "processes p WHERE p.process_id = creations.child_process_id AND p.source = "
                      "'process-table') WHERE trace_id = ?1 AND anchor <> 'process-start'",
    /* a finding on the record a creation is anchored on (Sysmon 1, 4688)
     * is that creation's; SQLite joins through an automatic index, and only
     * the trace's own findings (ids from ?2 on) are looked at, so the cost
     * does not grow with the model */
    [ST_LINK_FINDINGS] = "UPDATE findings SET creation_id = c.creation_id FROM creations c WHERE findings.finding_id >= ?2 "
                         "AND findings.trace_id = ?1 AND findings.creation_id IS NULL AND c.trace_id = ?1 "
                         "AND c.anchor_event_id = findings.event_id",
    [ST_EVENT_KIND] = "INSERT INTO event_kinds (trace_id, provider, operation, decoded, count) "
                      "VALUES (?1, ?2, ?3, ?4, ?5)",
};

/* Bounded caches (memory independent of the trace's length): texts already
 * stored in `strings`, stacks and frames already stored.  A text, stack or
 * frame evicted from its cache and seen again is stored again under a new
 * id; the views read the same either way. */
#define STR_SLOTS (1u << 14)
#define STR_MAX 240
#define STACK_SLOTS (1u << 14)
#define FRAME_SLOTS (1u << 14)
#define FRAME_NAME 48

typedef struct str_slot {
    uint64_t hash;
    int64_t id;
    uint32_t len;
    char text[STR_MAX];
} str_slot;

typedef struct stack_slot {
    uint64_t hash;
    int64_t id;
} stack_slot;

typedef struct frame_slot {
    uint64_t address, offset;
    int64_t id;
    char module[FRAME_NAME];
    char symbol[FRAME_NAME];
} frame_slot;

typedef enum { MODE_WRITE, MODE_TEMP, MODE_READ } store_mode;

/* How long a model another program holds locked is waited for. */
#define PS_STORE_BUSY_MS 2000

struct ps_store {
    sqlite3 *db;
    store_mode mode;
    char *path;          /* final path (write), temp path (temp), path (read) */
    char *tmp;           /* temporary file (write, temp) */
    int lock_fd;         /* write mode: the lock on path.lock, held until the rename (-1: none) */
    bool committed;
    bool appending;
    bool no_indexes;     /* a part of the parallel ingest: merged, never queried */
    FILE *trace_sql;     /* PROCSTAGE_TRACE_SQL, closed with the store */
    bool in_txn;
    sqlite3_stmt *st[ST__COUNT];
    int64_t next_event, next_process, next_creation, next_stack, next_trace, next_string, next_frame;
    int64_t next_finding, trace_first_finding;   /* the current trace's first finding id */
    ps_writer *w;        /* runs the writes on its own thread (write and temp modes) */
    str_slot *strs;
    stack_slot *stacks;
    frame_slot *frames;
    ps_buf json;         /* a stack's frame ids */
    ps_buf fields;       /* an event's fields as JSON (add_fields) */
};

sqlite3 *ps_store_db(ps_store *s)
{
    /* the caller is about to use the connection: the writer must be idle */
    if (s->w)
        ps_writer_sync(s->w, NULL);
    return s->db;
}

const char *ps_store_name(const ps_store *s)
{
    return s->mode == MODE_TEMP ? "<temporary model>" : s->path;
}

const char *ps_store_file(const ps_store *s)
{
    return s->mode == MODE_TEMP ? s->tmp : s->path && strcmp(s->path, ":memory:") != 0 ? s->path : NULL;
}

int ps_store_fail(ps_store *s, ps_error *err, const char *what)
{
    return ps_error_set(err, PS_ERR_DB, "'%s': %s: %s", ps_store_name(s), what,
                        s->db ? sqlite3_errmsg(s->db) : "no database");
}

static int exec(ps_store *s, const char *sql, ps_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = ps_error_set(err, PS_ERR_DB, "'%s': %s", ps_store_name(s), msg ? msg : "sql error");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static int64_t query_int(sqlite3 *db, const char *sql, int64_t dflt)
{
    sqlite3_stmt *st;
    int64_t v = dflt;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return dflt;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void finalize_all(ps_store *s)
{
    int i;
    for (i = 0; i < ST__COUNT; i++) {
        if (s->st[i])
            sqlite3_finalize(s->st[i]);
        s->st[i] = NULL;
    }
}

/* Checks that db is a procstage model of a version we read (for_write: of
 * a version this procstage appends to: its own, or 2, which it upgrades);
 * *version is the model's. */
static int check_schema_v(sqlite3 *db, const char *name, bool for_write, int64_t *version, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;
    int64_t v = -1;

    rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        return ps_error_set(err, PS_ERR_DB,
                            "'%s': locked by another program (%s); try again when it has finished", name,
                            sqlite3_errstr(rc));
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        const char *why = sqlite3_errmsg(db);
        if (strstr(why, "no such table"))
            why = "no procstage meta table";
        return ps_error_set(err, PS_ERR_DB, "'%s': not a procstage database (%s)", name, why);
    }
    *version = v;
    if (v == PS_SCHEMA_VERSION || v == 3 || v == 2 || (!for_write && v == 1))
        return 0;
    if (for_write && v == 1)
        return ps_error_set(err, PS_ERR_DB,
                            "'%s': a procstage database of schema version 1; this procstage reads it but "
                            "appends only to versions 2 to %d (ingest into a new one)",
                            name, PS_SCHEMA_VERSION);
    return ps_error_set(err, PS_ERR_DB,
                        "'%s': a procstage database of schema version %lld; this procstage reads versions 1 "
                        "to %d",
                        name, (long long)v, PS_SCHEMA_VERSION);
}

/* Version 2 kept a row per event field; version 3 keeps a row per record
 * with its fields as JSON, and the view gives the rows of old.  Run on the
 * copy an append works on, so the model is upgraded only when the append
 * lands. */
static const char upgrade_v2_sql[] =
    "CREATE TABLE event_field_sets (event_id INTEGER PRIMARY KEY, fields TEXT NOT NULL);"
    "INSERT INTO event_field_sets (event_id, fields) "
    "SELECT event_id, json_group_array(json_array(name, value)) FROM "
    "(SELECT event_id, name, value FROM event_fields ORDER BY event_id, rowid) GROUP BY event_id;"
    "DROP TABLE event_fields;"
    "CREATE VIEW event_fields AS SELECT s.event_id, f.value ->> 0 AS name, f.value ->> 1 AS value "
    "FROM event_field_sets s, json_each(s.fields) f;"
    "UPDATE meta SET value = '3' WHERE key = 'schema_version';";

/* Version 4 names the case of every trace (traces.case_name). */
static const char upgrade_v3_sql[] =
    "ALTER TABLE traces ADD COLUMN case_name TEXT;"
    "UPDATE meta SET value = '4' WHERE key = 'schema_version';";

static int check_schema(ps_store *s, ps_error *err)
{
    int64_t v;
    int rc;

    if ((rc = check_schema_v(s->db, s->path, true, &v, err)) < 0)
        return rc;
    if (v == 2 && (rc = exec(s, upgrade_v2_sql, err)) < 0)
        return rc;
    return v == 2 || v == 3 ? exec(s, upgrade_v3_sql, err) : 0;
}

static int prepare_all(ps_store *s, ps_error *err)
{
    int i, k;
    ps_buf multi;

    ps_buf_init(&multi);
    ps_buf_puts(&multi, stmt_sql[ST_EVENT]);
    for (k = 1; k < EVENT_ROWS; k++)
        ps_buf_puts(&multi, ", " EVENT_COLS);
    for (i = 0; i < ST__COUNT; i++) {
        const char *sql = i == ST_EVENT_MULTI ? ps_buf_cstr(&multi) : stmt_sql[i];
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
            ps_buf_release(&multi);
            return ps_store_fail(s, err, "cannot prepare a statement");
        }
    }
    ps_buf_release(&multi);
    return 0;
}

static int setup_writable(ps_store *s, bool fresh, ps_error *err)
{
    int rc;

    sqlite3_extended_result_codes(s->db, 1);
    if (fresh && (rc = exec(s, "PRAGMA page_size = 8192", err)) < 0)
        return rc;
    if ((rc = exec(s, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                      "PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = 512; "
                      "PRAGMA temp_store = FILE;",
                   err)) < 0)
        return rc;
    if (fresh) {
        char meta[256];
        if ((rc = exec(s, ps_embedded_schema_sql, err)) < 0)
            return rc;
        snprintf(meta, sizeof meta,
                 "INSERT INTO meta (key, value) VALUES ('schema_version', '%d'), "
                 "('created_by', 'procstage %s')",
                 PS_SCHEMA_VERSION, PACKAGE_VERSION);
        if ((rc = exec(s, meta, err)) < 0)
            return rc;
    } else if ((rc = check_schema(s, err)) < 0) {
        return rc;
    }
    if (query_int(s->db, "SELECT json_valid('[1]')", 0) != 1)
        return ps_error_set(err, PS_ERR_DB, "'%s': this SQLite has no JSON functions (3.38 or later needed)",
                            ps_store_name(s));
    if ((rc = exec(s, "BEGIN", err)) < 0)
        return rc;
    s->in_txn = true;
    if ((rc = prepare_all(s, err)) < 0)
        return rc;
    ps_store_reload_ids(s);
    /* fixed-size caches, cleared (and so made resident) now: the store's
     * memory does not grow with the trace */
    s->strs = malloc(STR_SLOTS * sizeof *s->strs);
    s->stacks = malloc(STACK_SLOTS * sizeof *s->stacks);
    s->frames = malloc(FRAME_SLOTS * sizeof *s->frames);
    if (!s->strs || !s->stacks || !s->frames)
        return ps_error_nomem(err);
    memset(s->strs, 0, STR_SLOTS * sizeof *s->strs);
    memset(s->stacks, 0, STACK_SLOTS * sizeof *s->stacks);
    memset(s->frames, 0, FRAME_SLOTS * sizeof *s->frames);
    if ((rc = ps_writer_new(s->db, s->st, ST__COUNT, ps_store_name(s), &s->w, err)) < 0)
        return rc;
    ps_writer_set_multi(s->w, ST_EVENT, ST_EVENT_MULTI, EVENT_ROWS);
    return 0;
}

/* Creates s->tmp from a mkstemp template and opens it as the database.
 * `where` names the place in messages.  A model that will replace s->path
 * (`replaces`) gets its mode, owner and group now (common/replace.h): those
 * of the model it replaces when `exists` (st), else a new file's. */
static int open_tmp(ps_store *s, const char *template, const char *where, bool replaces, const struct stat *st,
                    bool exists, ps_error *err)
{
    int fd, rc;

    s->tmp = ps_strdup(template);
    if (!s->tmp)
        return ps_error_nomem(err);
    fd = ps_tmpclean_mkstemp(s->tmp);   /* removed by an interrupting signal */
    if (fd < 0) {
        int rc = ps_error_set(err, PS_ERR_IO, "cannot create a temporary file %s: %s", where,
                              ps_errno_text(errno));
        free(s->tmp);
        s->tmp = NULL;
        return rc;
    }
    if (replaces && (rc = ps_replace_attrs(fd, st, exists, s->path, err)) < 0) {
        close(fd);
        return rc;
    }
    close(fd);
    if (sqlite3_open_v2(s->tmp, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot open the temporary database");
    return 0;
}

/* The page cache of every connection, in pages of STORE_PAGE bytes: a pool
 * reserved (and touched) once, so that the store's memory does not grow with
 * the size of the model.  Pages beyond the pool come from malloc. */
#define STORE_PAGE 8192
#define STORE_CACHE_PAGES 512
#define STORE_SLOT (STORE_PAGE + 512)   /* a page and SQLite's header for it */

/* SQLite's memory statistics take a global mutex on every allocation; the
 * store does not read them.  Must run before SQLite initialises itself.  The
 * pool is static (never freed, never counted as a leak) and touched here so
 * that the store's resident memory is the same for every model size. */
static void sqlite_once(void)
{
    static _Alignas(16) unsigned char pool[(size_t)STORE_SLOT * STORE_CACHE_PAGES];
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    memset(pool, 0, sizeof pool);
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, pool, STORE_SLOT, STORE_CACHE_PAGES);
}

static ps_store *store_new(store_mode mode)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    ps_store *s;

    pthread_once(&once, sqlite_once);
    s = calloc(1, sizeof *s);
    if (s) {
        s->mode = mode;
        s->lock_fd = -1;
        ps_buf_init(&s->json);
        ps_buf_init(&s->fields);
    }
    return s;
}

/* Takes the writers' lock of s->path (see store.h). */
static int take_lock(ps_store *s, const ps_store_write_opts *o, ps_error *err)
{
    size_t n = strlen(s->path);
    char *lock = malloc(n + 6);
    int fd, rc = 0;

    if (!lock)
        return ps_error_nomem(err);
    memcpy(lock, s->path, n);
    memcpy(lock + n, ".lock", 6);
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        rc = ps_error_set(err, PS_ERR_IO, "cannot create the lock file '%s': %s", lock, ps_errno_text(errno));
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) {
            rc = ps_error_set(err, PS_ERR_IO, "cannot lock '%s': %s", lock, ps_errno_text(errno));
        } else if (o && o->no_wait) {
            rc = ps_error_set(err, PS_ERR_IO, "cannot write '%s': another procstage is writing it (lock file '%s')",
                              s->path, lock);
        } else {
            if (o && o->waiting)
                o->waiting(o->ctx, s->path);
            while (flock(fd, LOCK_EX) != 0)
                if (errno != EINTR) {
                    rc = ps_error_set(err, PS_ERR_IO, "cannot lock '%s': %s", lock, ps_errno_text(errno));
                    break;
                }
        }
    }
    if (rc < 0)
        close(fd);
    else
        s->lock_fd = fd;
out:
    free(lock);
    return rc;
}

int ps_store_open_write(const char *path, ps_store **out, ps_error *err)
{
    return ps_store_open_write_opts(path, NULL, out, err);
}

int ps_store_open_write_opts(const char *path, const ps_store_write_opts *o, ps_store **out, ps_error *err)
{
    ps_store *s;
    struct stat st;
    int64_t version;
    int rc;
    bool exists;

    *out = NULL;
    s = store_new(MODE_WRITE);
    if (!s)
        return ps_error_nomem(err);
    /* a symbolic link is written through: the model replaced is its target
     * (and the lock is the target's, whatever link a writer came through) */
    if ((rc = ps_replace_target(path, &s->path, err)) < 0) {
        ps_store_close(s);
        return rc;
    }
    /* the lock before anything of the model is read: a writer that waited
     * appends to what the one before it wrote */
    if ((rc = take_lock(s, o, err)) < 0) {
        ps_store_close(s);
        return rc;
    }
    if ((rc = ps_replace_check(s->path, path, &st, &exists, err)) < 0) {
        ps_store_close(s);
        return rc;
    }
    path = s->path;
    {
        char *tpl = malloc(strlen(path) + 16), where[600];
        if (!tpl) {
            ps_store_close(s);
            return ps_error_nomem(err);
        }
        sprintf(tpl, "%s.tmp-XXXXXX", path);
        snprintf(where, sizeof where, "next to '%.500s'", path);
        rc = open_tmp(s, tpl, where, true, &st, exists, err);
        free(tpl);
        if (rc < 0) {
            ps_store_close(s);
            return rc;
        }
    }
    if (exists) {
        sqlite3 *src = NULL;
        sqlite3_backup *bk;
        s->appending = true;
        if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
            sqlite3_busy_timeout(src, PS_STORE_BUSY_MS) != SQLITE_OK) {
            rc = ps_error_set(err, PS_ERR_DB, "cannot open '%s': %s", path,
                              src ? sqlite3_errmsg(src) : "out of memory");
            sqlite3_close(src);
            ps_store_close(s);
            return rc;
        }
        if ((rc = check_schema_v(src, path, true, &version, err)) < 0) {
            sqlite3_close(src);
            ps_store_close(s);
            return rc;
        }
        bk = sqlite3_backup_init(s->db, "main", src, "main");
        if (!bk || sqlite3_backup_step(bk, -1) != SQLITE_DONE) {
            rc = ps_error_set(err, PS_ERR_DB, "cannot copy '%s': %s", path, sqlite3_errmsg(s->db));
            if (bk)
                sqlite3_backup_finish(bk);
            sqlite3_close(src);
            ps_store_close(s);
            return rc;
        }
        sqlite3_backup_finish(bk);
        sqlite3_close(src);
    }
    if ((rc = setup_writable(s, !exists, err)) < 0) {
        ps_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* A scratch model in $TMPDIR; `named` keeps its name until ps_store_close
 * (recorded for the signal handler), else it is unlinked once open. */
static int open_temp(bool named, ps_store **out, ps_error *err)
{
    ps_store *s;
    const char *dir = getenv("TMPDIR");
    int rc;

    *out = NULL;
    s = store_new(MODE_TEMP);
    if (!s)
        return ps_error_nomem(err);
    if (!dir || !*dir)
        dir = "/tmp";
    {
        char *tpl = malloc(strlen(dir) + 32), where[600];
        if (!tpl) {
            ps_store_close(s);
            return ps_error_nomem(err);
        }
        sprintf(tpl, "%s/procstage-XXXXXX", dir);
        snprintf(where, sizeof where, "in %.500s", dir);
        rc = open_tmp(s, tpl, where, false, NULL, false, err);
        free(tpl);
        if (rc < 0) {
            ps_store_close(s);
            return rc;
        }
    }
    s->path = ps_strdup(s->tmp);
    if (!s->path) {
        ps_store_close(s);
        return ps_error_nomem(err);
    }
    if (!named) {
        /* nobody else opens it: unlinked now, it cannot outlive the process */
        unlink(s->tmp);
        ps_tmpclean_forget(s->tmp);
        free(s->tmp);
        s->tmp = NULL;
    } else {
        s->no_indexes = true;
    }
    if ((rc = setup_writable(s, true, err)) < 0) {
        ps_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int ps_store_open_temp(ps_store **out, ps_error *err)
{
    return open_temp(false, out, err);
}

int ps_store_open_part(ps_store **out, ps_error *err)
{
    return open_temp(true, out, err);
}

int ps_store_open_memory(ps_store **out, ps_error *err)
{
    ps_store *s;
    int rc;

    *out = NULL;
    s = store_new(MODE_TEMP);
    if (!s)
        return ps_error_nomem(err);
    s->path = ps_strdup(":memory:");
    if (!s->path) {
        ps_store_close(s);
        return ps_error_nomem(err);
    }
    if (sqlite3_open_v2(":memory:", &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = ps_store_fail(s, err, "cannot open an in-memory database");
        ps_store_close(s);
        return rc;
    }
    if ((rc = setup_writable(s, true, err)) < 0) {
        ps_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* PROCSTAGE_TRACE_SQL=FILE: every statement run on a model opened for
 * reading (the reports') is appended to FILE, one line each, so that a test
 * can look at their query plans (tests/cli/plans.sh). */
static int trace_sql_cb(unsigned type, void *ctx, void *p, void *x)
{
    const char *sql = sqlite3_sql((sqlite3_stmt *)p);
    FILE *f = ctx;
    (void)x;
    if (type == SQLITE_TRACE_STMT && sql) {
        for (; *sql; sql++)
            fputc(*sql == '\n' || *sql == '\r' ? ' ' : *sql, f);
        fputc('\n', f);
        fflush(f);
    }
    return 0;
}

static void trace_sql(ps_store *s)
{
    const char *path = getenv("PROCSTAGE_TRACE_SQL");
    if (!path || !*path || !(s->trace_sql = fopen(path, "a")))
        return;
    sqlite3_trace_v2(s->db, SQLITE_TRACE_STMT, trace_sql_cb, s->trace_sql);
}

int ps_store_open_read(const char *path, ps_store **out, ps_error *err)
{
    ps_store *s;
    struct stat st;
    int64_t version;
    int rc;

    *out = NULL;
    if (stat(path, &st) != 0)
        return ps_error_set(err, errno == ENOENT ? PS_ERR_IO : PS_ERR_IO, "cannot open '%s': %s", path,
                            errno == ENOENT ? "no such file" : ps_errno_text(errno));
    s = store_new(MODE_READ);
    if (!s)
        return ps_error_nomem(err);
    s->path = ps_strdup(path);
    if (!s->path) {
        ps_store_close(s);
        return ps_error_nomem(err);
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = ps_store_fail(s, err, "cannot open");
        ps_store_close(s);
        return rc;
    }
    /* another program's write lock: wait a little before saying so */
    sqlite3_busy_timeout(s->db, PS_STORE_BUSY_MS);
    if ((rc = check_schema_v(s->db, path, false, &version, err)) < 0) {
        ps_store_close(s);
        return rc;
    }
    /* older models: the columns of today, as NULL, so that every report
     * reads every version (a temporary view is found before the table) */
    if (version < 4 && (rc = exec(s, "CREATE TEMP VIEW traces AS SELECT *, NULL AS case_name FROM main.traces",
                                  err)) < 0) {
        ps_store_close(s);
        return rc;
    }
    trace_sql(s);
    s->committed = true;
    *out = s;
    return 0;
}

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC), rc;
    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

/* model/indexes.sql, one statement per line.  A temporary model (analyze
 * without -o) is read only by procstage's reports, which never look events
 * up by process: it skips the costliest index, events_pid_ts. */
static int build_indexes(ps_store *s, ps_error *err)
{
    const char *p = ps_embedded_indexes_sql;
    char line[512];
    int rc;

    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n < sizeof line && !(s->mode == MODE_TEMP && memmem(p, n, "events_pid_ts", 13))) {
            memcpy(line, p, n);
            line[n] = '\0';
            if (!strncmp(line, "CREATE", 6) && (rc = exec(s, line, err)) < 0)
                return rc;
        }
        p += n + (e ? 1 : 0);
    }
    return 0;
}

int ps_store_commit(ps_store *s, ps_error *err)
{
    int rc;

    if (s->mode == MODE_READ || s->committed)
        return 0;
    if ((rc = ps_writer_sync(s->w, err)) < 0)
        return rc;
    ps_writer_free(s->w);
    s->w = NULL;
    /* the indexes of a new model are built now, sorting with both cores: far
     * cheaper than keeping them up to date row by row (docs/performance.md) */
    if (!s->no_indexes && (rc = build_indexes(s, err)) < 0)
        return rc;
    if ((rc = exec(s, "COMMIT", err)) < 0)
        return rc;
    s->in_txn = false;
    finalize_all(s);
    if (s->mode == MODE_TEMP) {
        /* give up the exclusive lock (SQLite drops it at the next read), so
         * that other connections can read the model: the parallel ingest
         * merges its parts from the file */
        if ((rc = exec(s, "PRAGMA locking_mode = NORMAL; SELECT count(*) FROM meta", err)) < 0)
            return rc;
        s->committed = true;
        return 0;
    }
    /* write mode: close, sync, rename into place, reopen for reading */
    if (sqlite3_close(s->db) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot close the temporary database");
    s->db = NULL;
    if (fsync_path(s->tmp, O_RDONLY) != 0)
        return ps_error_set(err, PS_ERR_IO, "cannot sync '%s': %s", s->tmp, ps_errno_text(errno));
    if (rename(s->tmp, s->path) != 0)
        return ps_error_set(err, PS_ERR_IO, "cannot move '%s' to '%s': %s", s->tmp, s->path,
                            ps_errno_text(errno));
    ps_tmpclean_forget(s->tmp);
    free(s->tmp);
    s->tmp = NULL;
    {
        char *copy = ps_strdup(s->path);
        if (copy) {
            fsync_path(dirname(copy), O_RDONLY | O_DIRECTORY);
            free(copy);
        }
    }
    s->committed = true;
    s->mode = MODE_READ;
    /* opened before the lock goes: the next writer's rename cannot change
     * what this store reads */
    rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY, NULL);
    if (s->lock_fd >= 0) {
        close(s->lock_fd);
        s->lock_fd = -1;
    }
    if (rc != SQLITE_OK)
        return ps_store_fail(s, err, "cannot reopen");
    return 0;
}

void ps_store_close(ps_store *s)
{
    if (!s)
        return;
    ps_writer_free(s->w);
    s->w = NULL;
    free(s->strs);
    free(s->stacks);
    free(s->frames);
    ps_buf_release(&s->json);
    ps_buf_release(&s->fields);
    finalize_all(s);
    if (s->db)
        sqlite3_close(s->db);
    if (s->trace_sql)
        fclose(s->trace_sql);
    if (s->tmp) {
        unlink(s->tmp);
        ps_tmpclean_forget(s->tmp);
        free(s->tmp);
    }
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->path);
    free(s);
}

int ps_store_ensure_catalogue(ps_store *s, ps_error *err)
{
    const char *b = strstr(ps_embedded_schema_sql, "@source-catalogue-begin");
    const char *e = b ? strstr(b, "@source-catalogue-end") : NULL;
    char *part;
    int rc;

    if (query_int(ps_store_db(s), "SELECT count(*) FROM sqlite_master WHERE name = 'stack_stages'", 0) > 0)
        return 0;
    if (!b || !e || !(b = strchr(b, '\n')) || b > e)
        return ps_error_set(err, PS_ERR_INTERNAL, "the built-in schema has no source catalogue part");
    if (!(part = ps_strndup(b, (size_t)(e - b))))
        return ps_error_nomem(err);
    /* the end marker sits in a comment line: cut before its "--" */
    {
        char *dash = strrchr(part, '\n');
        if (dash)
            *dash = '\0';
    }
    rc = exec(s, part, err);
    free(part);
    return rc;
}

void ps_store_reload_ids(ps_store *s)
{
    sqlite3 *db = ps_store_db(s);
    s->next_event = query_int(db, "SELECT max(event_id) FROM event_rows", 0) + 1;
    s->next_process = query_int(db, "SELECT max(process_id) FROM processes", 0) + 1;
    s->next_creation = query_int(db, "SELECT max(creation_id) FROM creations", 0) + 1;
    s->next_stack = query_int(db, "SELECT max(stack_id) FROM stacks", 0) + 1;
    s->next_trace = query_int(db, "SELECT max(trace_id) FROM traces", 0) + 1;
    s->next_string = query_int(db, "SELECT max(string_id) FROM strings", 0) + 1;
    s->next_frame = query_int(db, "SELECT max(frame_id) FROM frame_values", 0) + 1;
    s->next_finding = query_int(db, "SELECT max(finding_id) FROM findings", 0) + 1;
}

int ps_store_exec(ps_store *s, const char *sql, ps_error *err)
{
    ps_store_db(s);
    return exec(s, sql, err);
}

int64_t ps_sql_int(sqlite3 *db, const char *sql, int64_t dflt)
{
    return query_int(db, sql, dflt);
}

int ps_store_restart_txn(ps_store *s, ps_error *err)
{
    int rc;

    if (!s->in_txn)
        return 0;
    if (s->w && (rc = ps_writer_sync(s->w, err)) < 0)
        return rc;
    return exec(s, "COMMIT; BEGIN", err);
}

/* ---- commands -------------------------------------------------------------------- */

#define W (s->w)

static void w_text(ps_store *s, const char *v)
{
    ps_writer_text(W, v);
}

/* ---- loading -------------------------------------------------------------------- */

int ps_store_begin_trace(ps_store *s, const ps_store_trace *t, int64_t *trace_id, ps_error *err)
{
    int64_t id = s->next_trace++;
    int rc;

    s->trace_first_finding = s->next_finding;
    ps_writer_begin(W, ST_TRACE_BEGIN, "cannot add the trace");
    ps_writer_int(W, id);
    ps_writer_text(W, t->path ? t->path : "");
    ps_writer_text(W, t->format);
    ps_writer_int(W, t->compressed);
    if (t->size > 0)
        ps_writer_int(W, t->size);
    else
        ps_writer_null(W);
    w_text(s, t->host);
    w_text(s, t->os_version);
    ps_writer_id(W, t->pointer_size);
    ps_writer_id(W, t->cpu_count);
    ps_writer_text(W, t->time_basis);
    w_text(s, t->time_note);
    ps_writer_int(W, t->has_tid);
    ps_writer_int(W, t->has_stacks);
    ps_writer_text(W, "procstage " PACKAGE_VERSION);
    w_text(s, t->case_name);
    if ((rc = ps_writer_end(W, err)) < 0)
        return rc;
    *trace_id = id;
    return 0;
}

int ps_store_end_trace(ps_store *s, int64_t trace_id, const ps_store_trace_end *t, ps_error *err)
{
    ps_writer_begin(W, ST_TRACE_END, "cannot update the trace");
    ps_writer_int(W, trace_id);
    w_text(s, t->sha256);
    if (t->have_ts) {
        ps_writer_int(W, t->first_ts);
        ps_writer_int(W, t->last_ts);
    } else {
        ps_writer_null(W);
        ps_writer_null(W);
    }
    ps_writer_int(W, (int64_t)t->events);
    ps_writer_int(W, (int64_t)t->processes);
    ps_writer_int(W, (int64_t)t->creations);
    ps_writer_int(W, (int64_t)t->events_lost);
    ps_writer_int(W, (int64_t)t->undecoded);
    ps_writer_int(W, (int64_t)t->warnings);
    ps_writer_text(W, t->time_basis);
    w_text(s, t->time_note);
    if (t->has_tz)
        ps_writer_int(W, t->tz_offset_min);
    else
        ps_writer_null(W);
    ps_writer_int(W, t->has_tid);
    ps_writer_int(W, t->has_stacks);
    w_text(s, t->host);
    w_text(s, t->os_version);
    return ps_writer_end(W, err);
}

/* A JSON string (RFC 8259): quotes, backslashes and control characters
 * escaped, other bytes as they are. */
static int json_text(ps_buf *b, const char *t)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)t, *run = p;
    int bad = 0;

    bad |= ps_buf_putc(b, '"');
    for (; *p; p++) {
        char esc[6];
        if (*p >= 0x20 && *p != '"' && *p != '\\')
            continue;
        bad |= ps_buf_append(b, run, (size_t)(p - run));
        run = p + 1;
        esc[0] = '\\';
        switch (*p) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
            bad |= ps_buf_append(b, esc, 6);
            continue;
        }
        bad |= ps_buf_append(b, esc, 2);
    }
    bad |= ps_buf_append(b, run, (size_t)(p - run));
    bad |= ps_buf_putc(b, '"');
    return bad ? -1 : 0;
}

/* The record's fields as one row: [[name, value], ...], an empty value as
 * null (what the view event_fields gives as NULL). */
static int add_fields(ps_store *s, int64_t event_id, const ps_event *ev, ps_error *err)
{
    uint32_t i;
    int bad = 0;

    ps_buf_reset(&s->fields);
    bad |= ps_buf_putc(&s->fields, '[');
    for (i = 0; i < ev->nfields; i++) {
        const char *v = ev->fields[i].value;
        bad |= ps_buf_append(&s->fields, i ? ",[" : "[", i ? 2 : 1);
        bad |= json_text(&s->fields, ev->fields[i].name ? ev->fields[i].name : "");
        bad |= ps_buf_putc(&s->fields, ',');
        bad |= v && *v ? json_text(&s->fields, v) : ps_buf_append(&s->fields, "null", 4);
        bad |= ps_buf_putc(&s->fields, ']');
    }
    bad |= ps_buf_putc(&s->fields, ']');
    if (bad)
        return ps_error_nomem(err);
    ps_writer_begin(W, ST_FIELD, "cannot add the fields of an event");
    ps_writer_int(W, event_id);
    ps_writer_text(W, ps_buf_cstr(&s->fields));
    return ps_writer_end(W, err);
}

/* a fast hash of a short text (a word at a time) */
static uint64_t text_hash(const char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
        i += 8;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i);
        h = (h ^ w) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
    }
    return h;
}

/* The string_id of a text (0 for NULL or ""), stored when not cached. */
static int64_t intern(ps_store *s, const char *t, ps_error *err, int *rc)
{
    size_t n;
    uint64_t h;
    str_slot *slot;
    int64_t id;

    if (!t || !*t)
        return 0;
    n = strlen(t);
    h = text_hash(t, n);
    slot = &s->strs[h & (STR_SLOTS - 1)];
    if (slot->id && slot->hash == h && slot->len == n && memcmp(slot->text, t, n) == 0)
        return slot->id;
    id = s->next_string++;
    ps_writer_begin(W, ST_STRING, "cannot add a text");
    ps_writer_int(W, id);
    ps_writer_text(W, t);
    if ((*rc = ps_writer_end(W, err)) < 0)
        return 0;
    if (n < STR_MAX) {
        slot->id = id;
        slot->hash = h;
        slot->len = (uint32_t)n;
        memcpy(slot->text, t, n);
    }
    return id;
}

int ps_store_add_event(ps_store *s, int64_t trace_id, const ps_event *ev, int64_t process_id,
                       int64_t stack_id, int64_t *event_id, ps_error *err)
{
    int64_t op, path, result, detail, category;
    int rc = 0;

    op = intern(s, ev->operation, err, &rc);
    path = rc < 0 ? 0 : intern(s, ev->path, err, &rc);
    result = rc < 0 ? 0 : intern(s, ev->result, err, &rc);
    detail = rc < 0 ? 0 : intern(s, ev->detail, err, &rc);
    category = rc < 0 ? 0 : intern(s, ev->category, err, &rc);
    if (rc < 0)
        return rc;
    {
        int64_t v[15] = {s->next_event, trace_id, (int64_t)ev->seq, ev->ts, ev->pid, ev->tid, process_id,
                         (int64_t)ev->cls, op, path, result, detail, ev->duration, category, stack_id};
        uint32_t nulls = (ev->has_tid ? 0 : 1u << 5) | (process_id > 0 ? 0 : 1u << 6) | (op > 0 ? 0 : 1u << 8) |
                         (path > 0 ? 0 : 1u << 9) | (result > 0 ? 0 : 1u << 10) | (detail > 0 ? 0 : 1u << 11) |
                         (ev->duration >= 0 ? 0 : 1u << 12) | (category > 0 ? 0 : 1u << 13) |
                         (stack_id > 0 ? 0 : 1u << 14);
        if ((rc = ps_writer_ints(W, ST_EVENT, "cannot add an event", v, nulls, 15, err)) < 0)
            return rc;
    }
    if (ev->nfields && (rc = add_fields(s, s->next_event, ev, err)) < 0)
        return rc;
    if (event_id)
        *event_id = s->next_event;
    s->next_event++;
    return 0;
}

static uint64_t stack_hash(const ps_frame *f, uint32_t n)
{
    uint64_t h = ps_hash_bytes(&n, sizeof n, 0x5ac4);
    uint32_t i;
    for (i = 0; i < n; i++) {
        h = ps_hash_bytes(&f[i].address, sizeof f[i].address, h);
        h = ps_hash_bytes(&f[i].offset, sizeof f[i].offset, h);
        if (f[i].module)
            h = ps_hash_bytes(f[i].module, strlen(f[i].module) + 1, h);
        if (f[i].symbol)
            h = ps_hash_bytes(f[i].symbol, strlen(f[i].symbol) + 1, h);
    }
    return h;
}

static bool same_name(const char *cached, const char *s)
{
    return s ? !strcmp(cached, s) : !cached[0];
}

/* The frame_id of one frame, stored when not cached. */
static int64_t frame_id(ps_store *s, const ps_frame *f, ps_error *err, int *rc)
{
    uint64_t h = (f->address ^ (f->offset << 17)) * 0x9E3779B97F4A7C15ULL;
    frame_slot *slot = &s->frames[h >> (64 - 14)];
    int64_t id;

    if (slot->id && slot->address == f->address && slot->offset == f->offset && same_name(slot->module, f->module) &&
        same_name(slot->symbol, f->symbol))
        return slot->id;
    id = s->next_frame++;
    ps_writer_begin(W, ST_FRAME, "cannot add a frame");
    ps_writer_int(W, id);
    ps_writer_int(W, (int64_t)f->address);
    ps_writer_text(W, f->module);
    ps_writer_text(W, f->symbol);
    if (f->module || f->symbol)
        ps_writer_int(W, (int64_t)f->offset);
    else
        ps_writer_null(W);
    if ((*rc = ps_writer_end(W, err)) < 0)
        return 0;
    if ((!f->module || strlen(f->module) < FRAME_NAME) && (!f->symbol || strlen(f->symbol) < FRAME_NAME)) {
        slot->id = id;
        slot->address = f->address;
        slot->offset = f->offset;
        ps_strlcpy(slot->module, f->module ? f->module : "", FRAME_NAME);
        ps_strlcpy(slot->symbol, f->symbol ? f->symbol : "", FRAME_NAME);
    }
    return id;
}

int ps_store_add_stack_hashed(ps_store *s, const ps_frame *frames, uint32_t n, uint64_t hash, int64_t *stack_id,
                              ps_error *err)
{
    stack_slot *slot;
    int64_t id;
    uint32_t i;
    int rc = 0;

    if (!hash)
        hash = stack_hash(frames, n);
    hash &= 0x7FFFFFFFFFFFFFFFULL;   /* fits a SQLite INTEGER */
    if (!hash)
        hash = 1;
    slot = &s->stacks[(hash * 0x9E3779B97F4A7C15ULL) >> (64 - 14)];
    if (slot->id && slot->hash == hash) {
        *stack_id = slot->id;
        return 0;
    }
    ps_buf_reset(&s->json);
    ps_buf_putc(&s->json, '[');
    for (i = 0; i < n; i++) {
        int64_t fid = frame_id(s, &frames[i], err, &rc);
        char num[24];
        int k;
        if (rc < 0)
            return rc;
        k = snprintf(num, sizeof num, "%s%lld", i ? "," : "", (long long)fid);
        ps_buf_append(&s->json, num, (size_t)k);
    }
    ps_buf_putc(&s->json, ']');
    id = s->next_stack++;
    ps_writer_begin(W, ST_STACK, "cannot add a stack");
    ps_writer_int(W, id);
    ps_writer_int(W, (int64_t)hash);
    ps_writer_int(W, (int64_t)n);
    ps_writer_text(W, ps_buf_cstr(&s->json));
    if ((rc = ps_writer_end(W, err)) < 0)
        return rc;
    slot->id = id;
    slot->hash = hash;
    *stack_id = id;
    return 0;
}

int ps_store_add_stack(ps_store *s, const ps_frame *frames, uint32_t n, int64_t *stack_id, ps_error *err)
{
    return ps_store_add_stack_hashed(s, frames, n, 0, stack_id, err);
}

int64_t ps_store_next_process_id(ps_store *s)
{
    return s->next_process++;
}

#define OPT(has, v)                         \
    do {                                    \
        if (has)                            \
            ps_writer_int(W, (int64_t)(v)); \
        else                                \
            ps_writer_null(W);              \
    } while (0)

int ps_store_add_process(ps_store *s, const ps_store_process *p, ps_error *err)
{
    ps_writer_begin(W, ST_PROCESS, "cannot add a process");
    ps_writer_int(W, p->process_id);
    ps_writer_int(W, p->trace_id);
    ps_writer_int(W, p->pid);
    OPT(p->has_parent_pid, p->parent_pid);
    ps_writer_id(W, p->parent_process_id);
    w_text(s, p->process_name);
    w_text(s, p->image_path);
    w_text(s, p->command_line);
    w_text(s, p->current_dir);
    OPT(p->has_start, p->start_ts);
    OPT(p->has_end, p->end_ts);
    OPT(p->has_exit_status, p->exit_status);
    w_text(s, p->user);
    w_text(s, p->integrity);
    OPT(p->session >= 0, p->session);
    OPT(p->is64 >= 0, p->is64);
    w_text(s, p->company);
    w_text(s, p->version);
    w_text(s, p->description);
    ps_writer_text(W, p->source);
    return ps_writer_end(W, err);
}

int ps_store_add_module(ps_store *s, int64_t process_id, const ps_module *m, ps_error *err)
{
    ps_writer_begin(W, ST_MODULE, "cannot add a module");
    ps_writer_int(W, process_id);
    ps_writer_int(W, (int64_t)m->base);
    ps_writer_int(W, (int64_t)m->size);
    w_text(s, m->path);
    w_text(s, m->version);
    w_text(s, m->company);
    w_text(s, m->description);
    OPT(m->timestamp, m->timestamp);
    return ps_writer_end(W, err);
}

int64_t ps_store_next_creation_id(ps_store *s)
{
    return s->next_creation++;
}

int ps_store_add_creation(ps_store *s, const ps_creation *c, ps_error *err)
{
    int k, rc;

    ps_writer_begin(W, ST_CREATION, "cannot add a creation");
    ps_writer_int(W, c->creation_id);
    ps_writer_int(W, c->trace_id);
    OPT(c->has_parent_pid, c->parent_pid);
    OPT(c->has_creator, c->creator_pid);
    OPT(c->has_creator_tid, c->creator_tid);
    OPT(c->has_child_pid, c->child_pid);
    OPT(c->has_initial_tid, c->initial_tid);
    w_text(s, c->requested_image);
    w_text(s, c->image_path);
    w_text(s, c->command_line);
    w_text(s, c->current_dir);
    OPT(c->b[2].found, c->create_ts);
    ps_writer_text(W, ps_status_name(c->status));
    w_text(s, c->result);
    ps_writer_text(W, ps_anchor_name(c->anchor));
    ps_writer_id(W, c->anchor_event_id);
    ps_writer_id(W, c->creator_process_id);
    ps_writer_id(W, c->child_process_id);
    w_text(s, c->note);
    if ((rc = ps_writer_end(W, err)) < 0)
        return rc;

    for (k = 0; k < PS_NBOUNDARIES; k++) {
        const ps_boundary *b = &c->b[k];
        ps_writer_begin(W, ST_BOUNDARY, "cannot add a boundary");
        ps_writer_int(W, c->creation_id);
        ps_writer_int(W, k);
        OPT(b->found || b->collapsed, b->ts);
        ps_writer_id(W, b->event_id);
        ps_writer_text(W, ps_confidence_name(b->found ? b->conf : PS_CONF_MISSING));
        w_text(s, b->rule);
        if ((rc = ps_writer_end(W, err)) < 0)
            return rc;
    }
    for (k = 0; k < PS_NSTAGES; k++) {
        const ps_stage *g = &c->s[k];
        ps_writer_begin(W, ST_STAGE, "cannot add a stage");
        ps_writer_int(W, c->creation_id);
        ps_writer_int(W, g->stage);
        ps_writer_text(W, ps_stage_name(g->stage));
        OPT(g->has_start, g->start_ts);
        OPT(g->has_end, g->end_ts);
        OPT(g->has_duration, g->duration);
        ps_writer_id(W, g->start_event_id);
        ps_writer_id(W, g->end_event_id);
        ps_writer_text(W, ps_confidence_name(g->conf));
        w_text(s, g->evidence);
        if ((rc = ps_writer_end(W, err)) < 0)
            return rc;
    }
    return 0;
}

#undef OPT

int ps_store_attribute(ps_store *s, int64_t creation_id, int stage, int64_t from_event,
                       int64_t to_event, uint32_t pid, int64_t tid, ps_error *err)
{
    if (from_event <= 0 || to_event < from_event)
        return 0;
    ps_writer_begin(W, ST_ATTR, "cannot attribute events");
    ps_writer_int(W, creation_id);
    ps_writer_int(W, stage);
    ps_writer_int(W, from_event);
    ps_writer_int(W, to_event);
    ps_writer_int(W, pid);
    ps_writer_int(W, tid);
    return ps_writer_end(W, err);
}

int ps_store_attribute_one(ps_store *s, int64_t creation_id, int stage, int64_t event_id,
                           ps_error *err)
{
    if (event_id <= 0)
        return 0;
    ps_writer_begin(W, ST_ATTR_ONE, "cannot attribute an event");
    ps_writer_int(W, creation_id);
    ps_writer_int(W, stage);
    ps_writer_int(W, event_id);
    return ps_writer_end(W, err);
}

int ps_store_add_finding(ps_store *s, const ps_store_finding *f, ps_error *err)
{
    ps_writer_begin(W, ST_FINDING, "cannot add a finding");
    ps_writer_int(W, f->trace_id);
    ps_writer_id(W, f->creation_id);
    ps_writer_id(W, f->event_id);
    ps_writer_text(W, f->rule_id);
    ps_writer_text(W, f->title);
    ps_writer_text(W, f->severity);
    w_text(s, f->technique);
    w_text(s, f->evidence_json);
    ps_writer_int(W, s->next_finding++);
    return ps_writer_end(W, err);
}

int ps_store_add_event_kinds(ps_store *s, int64_t trace_id, const ps_event_kind *kinds, size_t n,
                             ps_error *err)
{
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        ps_writer_begin(W, ST_EVENT_KIND, "cannot add an event kind");
        ps_writer_int(W, trace_id);
        ps_writer_text(W, kinds[i].provider);
        ps_writer_text(W, kinds[i].operation);
        ps_writer_int(W, kinds[i].decoded);
        ps_writer_int(W, (int64_t)kinds[i].count);
        if ((rc = ps_writer_end(W, err)) < 0)
            return rc;
    }
    return 0;
}

int ps_store_shift_trace_times(ps_store *s, int64_t trace_id, int64_t delta, ps_error *err)
{
    static const int st[] = {ST_SHIFT_EVENTS, ST_SHIFT_CREATIONS, ST_SHIFT_BOUNDARIES, ST_SHIFT_STAGES,
                             ST_SHIFT_PROCESSES};
    size_t i;
    int rc;

    if (delta == 0)
        return 0;
    for (i = 0; i < PS_ARRAY_LEN(st); i++) {
        ps_writer_begin(W, st[i], "cannot update");
        ps_writer_int(W, trace_id);
        ps_writer_int(W, delta);
        if ((rc = ps_writer_end(W, err)) < 0)
            return rc;
    }
    return 0;
}

int ps_store_link_findings(ps_store *s, int64_t trace_id, ps_error *err)
{
    ps_writer_begin(W, ST_LINK_FINDINGS, "cannot link findings");
    ps_writer_int(W, trace_id);
    ps_writer_int(W, s->trace_first_finding);
    return ps_writer_end(W, err);
}

int ps_store_crosscheck(ps_store *s, int64_t trace_id, ps_error *err)
{
    ps_writer_begin(W, ST_CROSSCHECK, "cannot update");
    ps_writer_int(W, trace_id);
    return ps_writer_end(W, err);
}
