/*
 * sqlite_ceiling - how fast can SQLite itself take the rows of a model?
 *
 * Inserts N rows of C integer columns (event_rows has 15) into one table,
 * R rows per INSERT statement, in one transaction, with the store's
 * pragmas (journal off, synchronous off, exclusive lock, 8 KiB pages),
 * then builds one three-column index as the store does at commit.  No
 * reading, decoding or text: the rate it prints is an upper bound of what
 * any ingest that stores one row per event can reach on this machine.
 *
 *   bench/sqlite_ceiling DB [N [COLUMNS [ROWS_PER_INSERT]]]
 *
 * Prints the CPU and wall time of the inserts and of the index build.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           (double)u.ru_stime.tv_usec / 1e6;
}

static int run(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "sqlite_ceiling: %s: %s\n", sql, msg ? msg : "error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    int cols = argc > 3 ? atoi(argv[3]) : 15, rows = argc > 4 ? atoi(argv[4]) : 16;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *sql;
    size_t cap, len = 0;
    double w0, c0, w1, c1, w2, c2;
    long i;
    int r, c, k, rc = 1;

    if (argc < 2 || n <= 0 || cols < 4 || cols > 64 || rows < 1 || rows > 32) {
        fprintf(stderr, "usage: sqlite_ceiling DB [N [COLUMNS (4..64) [ROWS_PER_INSERT (1..32)]]]\n");
        return 2;
    }
    cap = 64 + (size_t)cols * 24 + (size_t)rows * ((size_t)cols * 3 + 4);
    if (!(sql = malloc(cap)))
        return 1;
    remove(argv[1]);
    if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
        run(db, "PRAGMA page_size = 8192; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                "PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = 512") < 0)
        goto out;
    len = (size_t)snprintf(sql, cap, "CREATE TABLE t (id INTEGER PRIMARY KEY");
    for (c = 1; c < cols; c++)
        len += (size_t)snprintf(sql + len, cap - len, ", c%d INTEGER", c);
    snprintf(sql + len, cap - len, ")");
    if (run(db, sql) < 0)
        goto out;
    len = (size_t)snprintf(sql, cap, "INSERT INTO t VALUES ");
    for (r = 0; r < rows; r++) {
        len += (size_t)snprintf(sql + len, cap - len, "%s(NULL", r ? ", " : "");
        for (c = 1; c < cols; c++)
            len += (size_t)snprintf(sql + len, cap - len, ", ?");
        len += (size_t)snprintf(sql + len, cap - len, ")");
    }
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || run(db, "BEGIN") < 0)
        goto out;
    w0 = wall();
    c0 = cpu();
    for (i = 0; i < n; i += rows) {
        k = 1;
        for (r = 0; r < rows; r++) {
            long long s = i + r;
            /* trace, pid (300 values), timestamp, then small varied numbers */
            for (c = 1; c < cols; c++)
                sqlite3_bind_int64(st, k++, c == 1 ? 1 : c == 2 ? (s * 7919) % 300 : c == 3 ? s * 100 : s % 1000 + c);
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "sqlite_ceiling: %s\n", sqlite3_errmsg(db));
            goto out;
        }
        sqlite3_reset(st);
    }
    w1 = wall();
    c1 = cpu();
    if (run(db, "CREATE INDEX t_pid_ts ON t (c1, c2, c3)") < 0 || run(db, "COMMIT") < 0)
        goto out;
    w2 = wall();
    c2 = cpu();
    printf("%ld rows x %d columns, %d rows per INSERT: insert %.2f s CPU (%.2f M rows/s), %.2f s wall; "
           "index %.2f s CPU, %.2f s wall\n",
           n, cols, rows, c1 - c0, (double)n / (c1 - c0) / 1e6, w1 - w0, c2 - c1, w2 - w1);
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    remove(argv[1]);
    free(sql);
    return rc;
}
