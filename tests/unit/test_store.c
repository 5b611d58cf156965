/* model/store.c: atomic writes, appends, refusing foreign files */
#include <sys/stat.h>
#include <unistd.h>

#include "common/sha256.h"
#include "model/store.h"
#include "tap.h"

static void file_hash(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    ps_sha256 s;
    char buf[65536];
    size_t n;
    ps_sha256_init(&s);
    while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
        ps_sha256_update(&s, buf, n);
    if (f)
        fclose(f);
    ps_sha256_final_hex(&s, hex);
}

static int64_t count(const char *path, const char *table)
{
    ps_store *s;
    ps_error err;
    sqlite3_stmt *st;
    char sql[128];
    int64_t n = -1;
    if (ps_store_open_read(path, &s, &err) < 0)
        return -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    if (sqlite3_prepare_v2(ps_store_db(s), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    ps_store_close(s);
    return n;
}

static int add_trace(ps_store *s, ps_error *err)
{
    ps_store_trace t;
    ps_event ev;
    int64_t id, eid;
    memset(&t, 0, sizeof t);
    t.path = "x.csv";
    t.format = "procmon-csv";
    t.time_basis = "utc";
    if (ps_store_begin_trace(s, &t, &id, err) < 0)
        return -1;
    ps_event_init(&ev);
    ev.seq = 1;
    ev.operation = "RegOpenKey";
    ev.cls = PS_CLASS_REGISTRY;
    return ps_store_add_event(s, id, &ev, 0, 0, &eid, err);
}

int main(void)
{
    char db[512], junk[512], h1[65], h2[65], dir_list[1024];
    ps_store *s;
    ps_error err;
    struct stat st;
    int rc;

    snprintf(db, sizeof db, "%s/model.db", tap_tmpdir());
    snprintf(junk, sizeof junk, "%s/junk.db", tap_tmpdir());

    ok(ps_store_open_write(db, &s, &err) == 0, "open a new model");
    ok(stat(db, &st) != 0, "nothing at the final path before commit");
    ok(add_trace(s, &err) == 0, "add a trace and an event");
    ok(ps_store_commit(s, &err) == 0, "commit");
    ps_store_close(s);
    ok(stat(db, &st) == 0, "the model exists after commit");
    is_int(count(db, "events"), 1, "one event");

    /* an append that fails leaves the model untouched */
    file_hash(db, h1);
    ok(ps_store_open_write(db, &s, &err) == 0, "open for append");
    ok(add_trace(s, &err) == 0, "add to it");
    ps_store_close(s);   /* no commit: the ingest failed */
    file_hash(db, h2);
    is_str(h2, h1, "the model is byte-for-byte unchanged");
    is_int(count(db, "events"), 1, "still one event");
    snprintf(dir_list, sizeof dir_list, "ls %s | grep -c tmp- >/dev/null", tap_tmpdir());
    ok(system(dir_list) != 0, "no temporary file left behind");

    /* an append that succeeds */
    ok(ps_store_open_write(db, &s, &err) == 0 && add_trace(s, &err) == 0 && ps_store_commit(s, &err) == 0,
       "append and commit");
    ps_store_close(s);
    is_int(count(db, "events"), 2, "two events after the append");
    is_int(count(db, "traces"), 2, "two traces");

    /* a file that is not a procstage model */
    tap_write_file(junk, "this is not sqlite", 18);
    file_hash(junk, h1);
    rc = ps_store_open_write(junk, &s, &err);
    ok(rc == PS_ERR_DB, "refuses to append to a foreign file: %s", err.msg);
    file_hash(junk, h2);
    is_str(h2, h1, "the foreign file is untouched");
    rc = ps_store_open_read(junk, &s, &err);
    ok(rc == PS_ERR_DB, "reading it fails: %s", err.msg);
    {
        char other[512];
        sqlite3 *raw;
        snprintf(other, sizeof other, "%s/other.db", tap_tmpdir());
        sqlite3_open(other, &raw);
        sqlite3_exec(raw, "CREATE TABLE t(x)", NULL, NULL, NULL);
        sqlite3_close(raw);
        rc = ps_store_open_read(other, &s, &err);
        ok(rc == PS_ERR_DB && strstr(err.msg, "not a procstage database"), "another tool's database: %s",
           err.msg);
    }

    /* stacks are stored once */
    ok(ps_store_open_write(db, &s, &err) == 0, "open again");
    {
        ps_frame f[2] = {{0x7ffd3a4e1234, "ntdll.dll", "NtCreateFile", 0x14, false},
                         {0x7ff6a1b21000, "notepad.exe", NULL, 0x1000, false}};
        int64_t a = 0, b = 0, c = 0;
        ps_store_add_stack(s, f, 2, &a, &err);
        ps_store_add_stack(s, f, 2, &b, &err);
        f[1].offset = 0x1004;
        ps_store_add_stack(s, f, 2, &c, &err);
        ok(a > 0 && a == b && c != a, "identical stacks share an id");
        ps_store_commit(s, &err);
    }
    ps_store_close(s);
    is_int(count(db, "frames"), 4, "two stacks of two frames");

    /* events and frames are views; DELETE works on them as on tables */
    {
        sqlite3 *raw;
        int64_t before = count(db, "events");
        int ok1;
        sqlite3_open(db, &raw);
        ok1 = sqlite3_exec(raw,
                           "DELETE FROM events WHERE event_id = (SELECT min(event_id) FROM events); "
                           "DELETE FROM frames WHERE depth = 0 AND stack_id = (SELECT min(stack_id) FROM stacks)",
                           NULL, NULL, NULL) == SQLITE_OK;
        ok(ok1 && before > 0, "DELETE on the events and frames views");
        sqlite3_close(raw);
        is_int(count(db, "events"), before - 1, "one event fewer");
        is_int(count(db, "frames WHERE depth = 1"), 2, "the other frames keep their depth");
        is_int(count(db, "frames"), 3, "one frame fewer");
    }
    return tap_done();
}
