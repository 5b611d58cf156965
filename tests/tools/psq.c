/*
 * psq - a tiny SQLite client for the shell tests (fresh machines have no
 * sqlite3 command):
 *   psq DB "SQL"          prints the rows, columns separated by a tab
 *   psq --json FILE       exits 0 when FILE is one valid JSON document
 *   psq --ndjson FILE     exits 0 when every line of FILE is valid JSON
 *   psq --rw DB "SQL"     the same, read-write (to damage copies of models)
 *   psq --doc FILE DB "SQL"  the same as psq DB "SQL" with FILE's text in the
 *                         temporary table doc(d), for checks of JSON output
 *   psq --plans DB FILE   for every line of FILE (an SQL statement, as
 *                         PROCSTAGE_TRACE_SQL writes them) its query plan:
 *                         "line<TAB>detail" per step (procstage's SQL
 *                         functions stand in as stubs)
 * SQL may hold several statements; the rows of each are printed.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, len = 0, r;
    if (!f)
        return NULL;
    do {
        if (len + 65536 > cap) {
            cap = cap ? cap * 2 : 65536 * 2;
            buf = realloc(buf, cap + 1);
            if (!buf)
                exit(2);
        }
        r = fread(buf + len, 1, 65536, f);
        len += r;
    } while (r > 0);
    fclose(f);
    buf[len] = '\0';
    *n = len;
    return buf;
}

static int json_valid(sqlite3 *db, const char *text, size_t n)
{
    sqlite3_stmt *st;
    int v = 0;
    sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &st, NULL);
    sqlite3_bind_text(st, 1, text, (int)n, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void stub_fn(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_int(cx, 1);
}

int main(int argc, char **argv)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    int rc, i;

    if (argc == 3 && (!strcmp(argv[1], "--json") || !strcmp(argv[1], "--ndjson"))) {
        size_t n;
        char *text = slurp(argv[2], &n), *line, *save = NULL;
        int good = 1, lines = 0;
        if (!text) {
            fprintf(stderr, "psq: cannot read %s\n", argv[2]);
            return 2;
        }
        sqlite3_open(":memory:", &db);
        if (!strcmp(argv[1], "--json")) {
            good = n > 0 && json_valid(db, text, n);
        } else {
            for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                lines++;
                if (!json_valid(db, line, strlen(line))) {
                    fprintf(stderr, "psq: line %d is not JSON\n", lines);
                    good = 0;
                    break;
                }
            }
            good = good && lines > 0;
        }
        sqlite3_close(db);
        free(text);
        return good ? 0 : 1;
    }
    if (argc == 4 && !strcmp(argv[1], "--plans")) {
        size_t n;
        char *text = slurp(argv[3], &n), *line, *save = NULL;
        int ln = 0, bad = 0;
        if (!text || sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
            fprintf(stderr, "psq: cannot read %s or open %s\n", argv[3], argv[2]);
            return 2;
        }
        sqlite3_create_function(db, "ps_time", 2, SQLITE_UTF8, NULL, stub_fn, NULL, NULL);
        sqlite3_create_function(db, "ps_in_range", 1, SQLITE_UTF8, NULL, stub_fn, NULL, NULL);
        for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            char *q;
            ln++;
            if (strncmp(line, "SELECT", 6) && strncmp(line, "WITH", 4))
                continue;   /* plans of queries only */
            if (!(q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", line)) ||
                sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
                fprintf(stderr, "psq: line %d: %s\n", ln, sqlite3_errmsg(db));
                sqlite3_free(q);
                bad = 1;
                continue;
            }
            sqlite3_free(q);
            while (sqlite3_step(st) == SQLITE_ROW)
                printf("%d\t%s\n", ln, (const char *)sqlite3_column_text(st, 3));
            sqlite3_finalize(st);
        }
        sqlite3_close(db);
        free(text);
        return bad ? 1 : 0;
    }
    {
        const char *doc = NULL, *sql;
        char *text = NULL;
        size_t n = 0;
        int flags = SQLITE_OPEN_READONLY;
        if (argc == 4 && !strcmp(argv[1], "--rw")) {
            flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
            argv++;
            argc--;
        }
        if (argc == 5 && !strcmp(argv[1], "--doc")) {
            doc = argv[2];
            argv += 2;
            argc -= 2;
        }
        if (argc != 3) {
            fprintf(stderr, "usage: psq [--rw] DB SQL | psq --json FILE | psq --ndjson FILE | psq --doc FILE DB SQL\n");
            return 2;
        }
        if (sqlite3_open_v2(argv[1], &db, flags, NULL) != SQLITE_OK) {
            fprintf(stderr, "psq: %s\n", sqlite3_errmsg(db));
            return 2;
        }
        if (doc) {
            if (!(text = slurp(doc, &n))) {
                fprintf(stderr, "psq: cannot read %s\n", doc);
                return 2;
            }
            if (sqlite3_exec(db, "CREATE TEMP TABLE doc(d)", NULL, NULL, NULL) != SQLITE_OK ||
                sqlite3_prepare_v2(db, "INSERT INTO doc VALUES (?1)", -1, &st, NULL) != SQLITE_OK) {
                fprintf(stderr, "psq: %s\n", sqlite3_errmsg(db));
                return 2;
            }
            sqlite3_bind_text(st, 1, text, (int)n, SQLITE_STATIC);
            sqlite3_step(st);
            sqlite3_finalize(st);
            free(text);
        }
        rc = SQLITE_DONE;
        for (sql = argv[2]; rc == SQLITE_DONE && *sql;) {
            const char *tail;
            if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK) {
                fprintf(stderr, "psq: %s\n", sqlite3_errmsg(db));
                return 2;
            }
            sql = tail;
            if (!st)
                continue;
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                for (i = 0; i < sqlite3_column_count(st); i++) {
                    const unsigned char *t = sqlite3_column_text(st, i);
                    printf("%s%s", i ? "\t" : "", t ? (const char *)t : "");
                }
                putchar('\n');
            }
            if (rc != SQLITE_DONE)
                fprintf(stderr, "psq: %s\n", sqlite3_errmsg(db));
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    return rc == SQLITE_DONE ? 0 : 2;
}
