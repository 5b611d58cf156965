#define _GNU_SOURCE
#include "config.h"

#include "model/store.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "model/embedded.h"

enum {
    ST_EVENT, ST_STACK, ST_FRAME, ST_PROCESS, ST_MODULE, ST_CREATION, ST_BOUNDARY, ST_STAGE,
    ST_FINDING, ST_ATTR, ST_ATTR_ONE, ST_TRACE_BEGIN, ST_FIELD, ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
    [ST_EVENT] = "INSERT INTO events (event_id, trace_id, seq, ts, pid, tid, process_id, class, "
                 "operation, path, result, detail, duration, category, stack_id) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [ST_FIELD] = "INSERT INTO event_fields (event_id, name, value) VALUES (?1, ?2, ?3)",
    [ST_STACK] = "INSERT INTO stacks (stack_id, hash, depth) VALUES (?1, ?2, ?3)",
    [ST_FRAME] = "INSERT INTO frames (stack_id, depth, address, module, symbol, offset) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
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
                   "technique, evidence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_ATTR] = "UPDATE events SET creation_id = ?1, stage = ?2 WHERE event_id BETWEEN ?3 AND ?4 "
                "AND pid = ?5 AND (?6 < 0 OR tid = ?6) AND creation_id IS NULL",
    [ST_ATTR_ONE] = "UPDATE events SET creation_id = ?1, stage = ?2 WHERE event_id = ?3",
    [ST_TRACE_BEGIN] = "INSERT INTO traces (path, format, compressed, size, host, os_version, "
                       "pointer_size, cpu_count, time_basis, time_note, has_tid, has_stacks, "
                       "ingested_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
};

typedef enum { MODE_WRITE, MODE_TEMP, MODE_READ } store_mode;

struct ps_store {
    sqlite3 *db;
    store_mode mode;
    char *path;          /* final path (write), temp path (temp), path (read) */
    char *tmp;           /* temporary file (write, temp) */
    bool committed;
    bool appending;
    bool in_txn;
    sqlite3_stmt *st[ST__COUNT];
    int64_t next_event, next_process, next_creation, next_stack;
    ps_map stacks;       /* frames hash -> stack_id */
};

sqlite3 *ps_store_db(ps_store *s)
{
    return s->db;
}

const char *ps_store_name(const ps_store *s)
{
    return s->mode == MODE_TEMP ? "<temporary model>" : s->path;
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

static int64_t query_int(ps_store *s, const char *sql, int64_t dflt)
{
    sqlite3_stmt *st;
    int64_t v = dflt;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
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

/* Checks that db is a procstage model of a version we read. */
static int check_schema(sqlite3 *db, const char *name, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;
    int64_t v = -1;

    rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        const char *why = sqlite3_errmsg(db);
        if (strstr(why, "no such table"))
            why = "no procstage meta table";
        return ps_error_set(err, PS_ERR_DB, "'%s': not a procstage database (%s)", name, why);
    }
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (v != PS_SCHEMA_VERSION)
        return ps_error_set(err, PS_ERR_DB,
                            "'%s': a procstage database of schema version %lld; this procstage reads version %d",
                            name, (long long)v, PS_SCHEMA_VERSION);
    return 0;
}

static int prepare_all(ps_store *s, ps_error *err)
{
    int i;
    for (i = 0; i < ST__COUNT; i++)
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) !=
            SQLITE_OK)
            return ps_store_fail(s, err, "cannot prepare a statement");
    return 0;
}

static int load_stack_hashes(ps_store *s, ps_error *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT hash, stack_id FROM stacks", -1, &st, NULL) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot read stacks");
    while (sqlite3_step(st) == SQLITE_ROW)
        if (ps_map_put(&s->stacks, (uint64_t)sqlite3_column_int64(st, 0),
                       (uint64_t)sqlite3_column_int64(st, 1)) < 0) {
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
    sqlite3_finalize(st);
    return 0;
}

/* Tables added to schema version 1 after its first release (as in
 * schema.sql), created when appending to a database that predates them. */
static const char UPGRADE_SQL[] =
    "CREATE TABLE IF NOT EXISTS event_fields (event_id INTEGER NOT NULL, name TEXT NOT NULL, "
    "value TEXT)";

static int setup_writable(ps_store *s, bool fresh, ps_error *err)
{
    int rc;

    sqlite3_extended_result_codes(s->db, 1);
    if (fresh && (rc = exec(s, "PRAGMA page_size = 8192", err)) < 0)
        return rc;
    if ((rc = exec(s, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                      "PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -16384; "
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
    } else if ((rc = check_schema(s->db, s->path, err)) < 0) {
        return rc;
    } else if ((rc = exec(s, UPGRADE_SQL, err)) < 0) {
        return rc;
    }
    if ((rc = exec(s, "BEGIN", err)) < 0)
        return rc;
    s->in_txn = true;
    if ((rc = prepare_all(s, err)) < 0)
        return rc;
    s->next_event = query_int(s, "SELECT max(event_id) FROM events", 0) + 1;
    s->next_process = query_int(s, "SELECT max(process_id) FROM processes", 0) + 1;
    s->next_creation = query_int(s, "SELECT max(creation_id) FROM creations", 0) + 1;
    s->next_stack = query_int(s, "SELECT max(stack_id) FROM stacks", 0) + 1;
    if (!fresh && (rc = load_stack_hashes(s, err)) < 0)
        return rc;
    return 0;
}

/* Creates s->tmp from a mkstemp template and opens it as the database.
 * `where` names the place in messages. */
static int open_tmp(ps_store *s, const char *template, const char *where, ps_error *err)
{
    int fd;

    s->tmp = ps_strdup(template);
    if (!s->tmp)
        return ps_error_nomem(err);
    fd = mkstemp(s->tmp);
    if (fd < 0) {
        int rc = ps_error_set(err, PS_ERR_IO, "cannot create a temporary file %s: %s", where,
                              ps_errno_text(errno));
        free(s->tmp);
        s->tmp = NULL;
        return rc;
    }
    close(fd);
    if (sqlite3_open_v2(s->tmp, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot open the temporary database");
    return 0;
}

static ps_store *store_new(store_mode mode)
{
    ps_store *s = calloc(1, sizeof *s);
    if (s) {
        s->mode = mode;
        ps_map_init(&s->stacks);
    }
    return s;
}

int ps_store_open_write(const char *path, ps_store **out, ps_error *err)
{
    ps_store *s;
    struct stat st;
    int rc;
    bool exists;

    *out = NULL;
    s = store_new(MODE_WRITE);
    if (!s)
        return ps_error_nomem(err);
    s->path = ps_strdup(path);
    if (!s->path) {
        ps_store_close(s);
        return ps_error_nomem(err);
    }
    exists = stat(path, &st) == 0;
    if (exists && !S_ISREG(st.st_mode)) {
        ps_store_close(s);
        return ps_error_set(err, PS_ERR_IO, "cannot write '%s': not a regular file", path);
    }
    {
        char *tpl = malloc(strlen(path) + 16), where[600];
        if (!tpl) {
            ps_store_close(s);
            return ps_error_nomem(err);
        }
        sprintf(tpl, "%s.tmp-XXXXXX", path);
        snprintf(where, sizeof where, "next to '%.500s'", path);
        rc = open_tmp(s, tpl, where, err);
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
        if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
            rc = ps_error_set(err, PS_ERR_DB, "cannot open '%s': %s", path,
                              src ? sqlite3_errmsg(src) : "out of memory");
            sqlite3_close(src);
            ps_store_close(s);
            return rc;
        }
        if ((rc = check_schema(src, path, err)) < 0) {
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

int ps_store_open_temp(ps_store **out, ps_error *err)
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
        rc = open_tmp(s, tpl, where, err);
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
    if ((rc = setup_writable(s, true, err)) < 0) {
        ps_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
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

int ps_store_open_read(const char *path, ps_store **out, ps_error *err)
{
    ps_store *s;
    struct stat st;
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
    if ((rc = check_schema(s->db, path, err)) < 0) {
        ps_store_close(s);
        return rc;
    }
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

int ps_store_commit(ps_store *s, ps_error *err)
{
    int rc;

    if (s->mode == MODE_READ || s->committed)
        return 0;
    if ((rc = exec(s, ps_embedded_indexes_sql, err)) < 0)
        return rc;
    if ((rc = exec(s, "COMMIT", err)) < 0)
        return rc;
    s->in_txn = false;
    finalize_all(s);
    if (s->mode == MODE_TEMP) {
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
    if (sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot reopen");
    return 0;
}

void ps_store_close(ps_store *s)
{
    if (!s)
        return;
    finalize_all(s);
    if (s->db)
        sqlite3_close(s->db);
    if (s->tmp) {
        unlink(s->tmp);
        free(s->tmp);
    }
    ps_map_release(&s->stacks);
    free(s->path);
    free(s);
}

/* ---- binding helpers ------------------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v && *v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_id(sqlite3_stmt *st, int i, int64_t v)
{
    if (v > 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static int step_reset(ps_store *s, sqlite3_stmt *st, ps_error *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return ps_store_fail(s, err, what);
    return 0;
}

/* ---- loading -------------------------------------------------------------------- */

int ps_store_begin_trace(ps_store *s, const ps_store_trace *t, int64_t *trace_id, ps_error *err)
{
    sqlite3_stmt *st = s->st[ST_TRACE_BEGIN];
    int rc;

    sqlite3_bind_text(st, 1, t->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->format, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, t->compressed);
    if (t->size > 0)
        sqlite3_bind_int64(st, 4, t->size);
    bind_text(st, 5, t->host);
    bind_text(st, 6, t->os_version);
    if (t->pointer_size)
        sqlite3_bind_int(st, 7, t->pointer_size);
    if (t->cpu_count)
        sqlite3_bind_int(st, 8, t->cpu_count);
    sqlite3_bind_text(st, 9, t->time_basis, -1, SQLITE_STATIC);
    bind_text(st, 10, t->time_note);
    sqlite3_bind_int(st, 11, t->has_tid);
    sqlite3_bind_int(st, 12, t->has_stacks);
    sqlite3_bind_text(st, 13, "procstage " PACKAGE_VERSION, -1, SQLITE_STATIC);
    if ((rc = step_reset(s, st, err, "cannot add the trace")) < 0)
        return rc;
    *trace_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int ps_store_end_trace(ps_store *s, int64_t trace_id, const ps_store_trace_end *t, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db,
                           "UPDATE traces SET sha256 = ?2, first_ts = ?3, last_ts = ?4, event_count = ?5, "
                           "process_count = ?6, creation_count = ?7, events_lost = ?8, "
                           "undecoded_count = ?9, warning_count = ?10, time_basis = ?11, "
                           "time_note = ?12, tz_offset_min = ?13, has_tid = ?14, has_stacks = ?15, "
                           "host = coalesce(?16, host), os_version = coalesce(?17, os_version) "
                           "WHERE trace_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot update the trace");
    sqlite3_bind_int64(st, 1, trace_id);
    bind_text(st, 2, t->sha256);
    if (t->have_ts) {
        sqlite3_bind_int64(st, 3, t->first_ts);
        sqlite3_bind_int64(st, 4, t->last_ts);
    }
    sqlite3_bind_int64(st, 5, (int64_t)t->events);
    sqlite3_bind_int64(st, 6, (int64_t)t->processes);
    sqlite3_bind_int64(st, 7, (int64_t)t->creations);
    sqlite3_bind_int64(st, 8, (int64_t)t->events_lost);
    sqlite3_bind_int64(st, 9, (int64_t)t->undecoded);
    sqlite3_bind_int64(st, 10, (int64_t)t->warnings);
    sqlite3_bind_text(st, 11, t->time_basis, -1, SQLITE_STATIC);
    bind_text(st, 12, t->time_note);
    if (t->has_tz)
        sqlite3_bind_int(st, 13, t->tz_offset_min);
    sqlite3_bind_int(st, 14, t->has_tid);
    sqlite3_bind_int(st, 15, t->has_stacks);
    bind_text(st, 16, t->host);
    bind_text(st, 17, t->os_version);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ps_store_fail(s, err, "cannot update the trace");
    return 0;
}

int64_t ps_store_next_event_id(const ps_store *s)
{
    return s->next_event;
}

static int add_fields(ps_store *s, int64_t event_id, const ps_event *ev, ps_error *err)
{
    sqlite3_stmt *st = s->st[ST_FIELD];
    uint32_t i;

    for (i = 0; i < ev->nfields; i++) {
        sqlite3_bind_int64(st, 1, event_id);
        sqlite3_bind_text(st, 2, ev->fields[i].name, -1, SQLITE_STATIC);
        bind_text(st, 3, ev->fields[i].value);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_reset(st);
            return ps_store_fail(s, err, "cannot add an event field");
        }
        sqlite3_reset(st);
    }
    return 0;
}

int ps_store_add_event(ps_store *s, int64_t trace_id, const ps_event *ev, int64_t process_id,
                       int64_t stack_id, int64_t *event_id, ps_error *err)
{
    sqlite3_stmt *st = s->st[ST_EVENT];
    int rc;

    sqlite3_bind_int64(st, 1, s->next_event);
    sqlite3_bind_int64(st, 2, trace_id);
    sqlite3_bind_int64(st, 3, (int64_t)ev->seq);
    sqlite3_bind_int64(st, 4, ev->ts);
    sqlite3_bind_int64(st, 5, ev->pid);
    if (ev->has_tid)
        sqlite3_bind_int64(st, 6, ev->tid);
    bind_id(st, 7, process_id);
    sqlite3_bind_text(st, 8, ps_event_class_name(ev->cls), -1, SQLITE_STATIC);
    bind_text(st, 9, ev->operation);
    bind_text(st, 10, ev->path);
    bind_text(st, 11, ev->result);
    bind_text(st, 12, ev->detail);
    if (ev->duration >= 0)
        sqlite3_bind_int64(st, 13, ev->duration);
    bind_text(st, 14, ev->category);
    bind_id(st, 15, stack_id);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        sqlite3_clear_bindings(st);
        return ps_store_fail(s, err, "cannot add an event");
    }
    /* every column is rebound for the next event except the optional ones */
    sqlite3_bind_null(st, 6);
    sqlite3_bind_null(st, 13);
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
    return h & 0x7FFFFFFFFFFFFFFFULL;   /* fits a SQLite INTEGER */
}

int ps_store_add_stack(ps_store *s, const ps_frame *frames, uint32_t n, int64_t *stack_id,
                       ps_error *err)
{
    uint64_t h = stack_hash(frames, n), id;
    sqlite3_stmt *st;
    uint32_t i;
    int rc;

    if (ps_map_get(&s->stacks, h, &id)) {
        *stack_id = (int64_t)id;
        return 0;
    }
    id = (uint64_t)s->next_stack++;
    st = s->st[ST_STACK];
    sqlite3_bind_int64(st, 1, (int64_t)id);
    sqlite3_bind_int64(st, 2, (int64_t)h);
    sqlite3_bind_int(st, 3, (int)n);
    if ((rc = step_reset(s, st, err, "cannot add a stack")) < 0)
        return rc;
    st = s->st[ST_FRAME];
    for (i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, (int64_t)id);
        sqlite3_bind_int(st, 2, (int)i);
        sqlite3_bind_int64(st, 3, (int64_t)frames[i].address);
        bind_text(st, 4, frames[i].module);
        bind_text(st, 5, frames[i].symbol);
        if (frames[i].module || frames[i].symbol)
            sqlite3_bind_int64(st, 6, (int64_t)frames[i].offset);
        if ((rc = step_reset(s, st, err, "cannot add a frame")) < 0)
            return rc;
    }
    if (ps_map_put(&s->stacks, h, id) < 0)
        return ps_error_nomem(err);
    *stack_id = (int64_t)id;
    return 0;
}

int64_t ps_store_next_process_id(ps_store *s)
{
    return s->next_process++;
}

int ps_store_add_process(ps_store *s, const ps_store_process *p, ps_error *err)
{
    sqlite3_stmt *st = s->st[ST_PROCESS];

    sqlite3_bind_int64(st, 1, p->process_id);
    sqlite3_bind_int64(st, 2, p->trace_id);
    sqlite3_bind_int64(st, 3, p->pid);
    if (p->has_parent_pid)
        sqlite3_bind_int64(st, 4, p->parent_pid);
    bind_id(st, 5, p->parent_process_id);
    bind_text(st, 6, p->process_name);
    bind_text(st, 7, p->image_path);
    bind_text(st, 8, p->command_line);
    bind_text(st, 9, p->current_dir);
    if (p->has_start)
        sqlite3_bind_int64(st, 10, p->start_ts);
    if (p->has_end)
        sqlite3_bind_int64(st, 11, p->end_ts);
    if (p->has_exit_status)
        sqlite3_bind_int64(st, 12, p->exit_status);
    bind_text(st, 13, p->user);
    bind_text(st, 14, p->integrity);
    if (p->session >= 0)
        sqlite3_bind_int(st, 15, p->session);
    if (p->is64 >= 0)
        sqlite3_bind_int(st, 16, p->is64);
    bind_text(st, 17, p->company);
    bind_text(st, 18, p->version);
    bind_text(st, 19, p->description);
    sqlite3_bind_text(st, 20, p->source, -1, SQLITE_STATIC);
    return step_reset(s, st, err, "cannot add a process");
}

int ps_store_add_module(ps_store *s, int64_t process_id, const ps_module *m, ps_error *err)
{
    sqlite3_stmt *st = s->st[ST_MODULE];

    sqlite3_bind_int64(st, 1, process_id);
    sqlite3_bind_int64(st, 2, (int64_t)m->base);
    sqlite3_bind_int64(st, 3, (int64_t)m->size);
    bind_text(st, 4, m->path);
    bind_text(st, 5, m->version);
    bind_text(st, 6, m->company);
    bind_text(st, 7, m->description);
    if (m->timestamp)
        sqlite3_bind_int64(st, 8, m->timestamp);
    return step_reset(s, st, err, "cannot add a module");
}

int64_t ps_store_next_creation_id(ps_store *s)
{
    return s->next_creation++;
}

int ps_store_add_creation(ps_store *s, const ps_creation *c, ps_error *err)
{
    sqlite3_stmt *st = s->st[ST_CREATION];
    int k, rc;

    sqlite3_bind_int64(st, 1, c->creation_id);
    sqlite3_bind_int64(st, 2, c->trace_id);
    if (c->has_parent_pid)
        sqlite3_bind_int64(st, 3, c->parent_pid);
    if (c->has_creator)
        sqlite3_bind_int64(st, 4, c->creator_pid);
    if (c->has_creator_tid)
        sqlite3_bind_int64(st, 5, c->creator_tid);
    if (c->has_child_pid)
        sqlite3_bind_int64(st, 6, c->child_pid);
    if (c->has_initial_tid)
        sqlite3_bind_int64(st, 7, c->initial_tid);
    bind_text(st, 8, c->requested_image);
    bind_text(st, 9, c->image_path);
    bind_text(st, 10, c->command_line);
    bind_text(st, 11, c->current_dir);
    if (c->b[2].found)
        sqlite3_bind_int64(st, 12, c->create_ts);
    sqlite3_bind_text(st, 13, ps_status_name(c->status), -1, SQLITE_STATIC);
    bind_text(st, 14, c->result);
    sqlite3_bind_text(st, 15, ps_anchor_name(c->anchor), -1, SQLITE_STATIC);
    bind_id(st, 16, c->anchor_event_id);
    bind_id(st, 17, c->creator_process_id);
    bind_id(st, 18, c->child_process_id);
    bind_text(st, 19, c->note);
    if ((rc = step_reset(s, st, err, "cannot add a creation")) < 0)
        return rc;

    st = s->st[ST_BOUNDARY];
    for (k = 0; k < PS_NBOUNDARIES; k++) {
        const ps_boundary *b = &c->b[k];
        sqlite3_bind_int64(st, 1, c->creation_id);
        sqlite3_bind_int(st, 2, k);
        if (b->found || b->collapsed)
            sqlite3_bind_int64(st, 3, b->ts);
        bind_id(st, 4, b->event_id);
        sqlite3_bind_text(st, 5, ps_confidence_name(b->found ? b->conf : PS_CONF_MISSING), -1,
                          SQLITE_STATIC);
        bind_text(st, 6, b->rule);
        if ((rc = step_reset(s, st, err, "cannot add a boundary")) < 0)
            return rc;
    }
    st = s->st[ST_STAGE];
    for (k = 0; k < PS_NSTAGES; k++) {
        const ps_stage *g = &c->s[k];
        sqlite3_bind_int64(st, 1, c->creation_id);
        sqlite3_bind_int(st, 2, g->stage);
        sqlite3_bind_text(st, 3, ps_stage_name(g->stage), -1, SQLITE_STATIC);
        if (g->has_start)
            sqlite3_bind_int64(st, 4, g->start_ts);
        if (g->has_end)
            sqlite3_bind_int64(st, 5, g->end_ts);
        if (g->has_duration)
            sqlite3_bind_int64(st, 6, g->duration);
        bind_id(st, 7, g->start_event_id);
        bind_id(st, 8, g->end_event_id);
        sqlite3_bind_text(st, 9, ps_confidence_name(g->conf), -1, SQLITE_STATIC);
        bind_text(st, 10, g->evidence);
        if ((rc = step_reset(s, st, err, "cannot add a stage")) < 0)
            return rc;
    }
    return 0;
}

int ps_store_attribute(ps_store *s, int64_t creation_id, int stage, int64_t from_event,
                       int64_t to_event, uint32_t pid, int64_t tid, ps_error *err)
{
    sqlite3_stmt *st = s->st[ST_ATTR];

    if (from_event <= 0 || to_event < from_event)
        return 0;
    sqlite3_bind_int64(st, 1, creation_id);
    sqlite3_bind_int(st, 2, stage);
    sqlite3_bind_int64(st, 3, from_event);
    sqlite3_bind_int64(st, 4, to_event);
    sqlite3_bind_int64(st, 5, pid);
    sqlite3_bind_int64(st, 6, tid);
    return step_reset(s, st, err, "cannot attribute events");
}

int ps_store_attribute_one(ps_store *s, int64_t creation_id, int stage, int64_t event_id,
                           ps_error *err)
{
    sqlite3_stmt *st = s->st[ST_ATTR_ONE];

    if (event_id <= 0)
        return 0;
    sqlite3_bind_int64(st, 1, creation_id);
    sqlite3_bind_int(st, 2, stage);
    sqlite3_bind_int64(st, 3, event_id);
    return step_reset(s, st, err, "cannot attribute an event");
}

int ps_store_add_finding(ps_store *s, const ps_store_finding *f, ps_error *err)
{
    sqlite3_stmt *st = s->st[ST_FINDING];

    sqlite3_bind_int64(st, 1, f->trace_id);
    bind_id(st, 2, f->creation_id);
    bind_id(st, 3, f->event_id);
    sqlite3_bind_text(st, 4, f->rule_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, f->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, f->severity, -1, SQLITE_STATIC);
    bind_text(st, 7, f->technique);
    bind_text(st, 8, f->evidence_json);
    return step_reset(s, st, err, "cannot add a finding");
}

int ps_store_add_event_kinds(ps_store *s, int64_t trace_id, const ps_event_kind *kinds, size_t n,
                             ps_error *err)
{
    sqlite3_stmt *st;
    size_t i;
    int rc = 0;

    if (!n)
        return 0;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO event_kinds (trace_id, provider, operation, decoded, count) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot prepare the event kinds");
    for (i = 0; i < n && rc == 0; i++) {
        sqlite3_bind_int64(st, 1, trace_id);
        sqlite3_bind_text(st, 2, kinds[i].provider, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, kinds[i].operation, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, kinds[i].decoded);
        sqlite3_bind_int64(st, 5, (int64_t)kinds[i].count);
        rc = step_reset(s, st, err, "cannot add an event kind");
    }
    sqlite3_finalize(st);
    return rc;
}

static int exec_bound(ps_store *s, const char *sql, int64_t a, int64_t b, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return ps_store_fail(s, err, "cannot prepare an update");
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ps_store_fail(s, err, "cannot update");
    return 0;
}

int ps_store_shift_trace_times(ps_store *s, int64_t trace_id, int64_t delta, ps_error *err)
{
    static const char *const sql[] = {
        "UPDATE events SET ts = ts + ?2 WHERE trace_id = ?1 AND ts IS NOT NULL",
        "UPDATE creations SET create_ts = create_ts + ?2 WHERE trace_id = ?1 AND create_ts IS NOT NULL",
        "UPDATE boundaries SET ts = ts + ?2 WHERE ts IS NOT NULL AND creation_id IN "
        "(SELECT creation_id FROM creations WHERE trace_id = ?1)",
        "UPDATE stages SET start_ts = start_ts + ?2, end_ts = end_ts + ?2 WHERE creation_id IN "
        "(SELECT creation_id FROM creations WHERE trace_id = ?1)",
        "UPDATE processes SET start_ts = start_ts + ?2, end_ts = end_ts + ?2 "
        "WHERE trace_id = ?1 AND source = 'events'",
    };
    size_t i;
    int rc;

    if (delta == 0)
        return 0;
    for (i = 0; i < PS_ARRAY_LEN(sql); i++)
        if ((rc = exec_bound(s, sql[i], trace_id, delta, err)) < 0)
            return rc;
    return 0;
}

int ps_store_crosscheck(ps_store *s, int64_t trace_id, ps_error *err)
{
    return exec_bound(s,
                      "UPDATE creations SET crosscheck_delta = create_ts - (SELECT p.start_ts FROM "
                      "processes p WHERE p.process_id = creations.child_process_id AND p.source = "
                      "'process-table') WHERE trace_id = ?1 AND ?2 = ?2",
                      trace_id, 0, err);
}
