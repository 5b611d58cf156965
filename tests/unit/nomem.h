/*
 * nomem.h - allocation-failure testing (libyal style) shared by the unit
 * tests that need it: procstage's own allocations are wrapped with the
 * linker (--wrap=malloc,calloc,realloc,free), SQLite's through
 * SQLITE_CONFIG_MALLOC (nomem_install), and the Nth allocation fails when
 * fail_at is N.  `live` counts the blocks procstage holds.
 */
#ifndef PS_NOMEM_H
#define PS_NOMEM_H

#include <execinfo.h>
#include <sqlite3.h>
#include <stdlib.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static long fail_at = -1, calls, live;

static int trace_fail;

static int should_fail(void)
{
    if (++calls != fail_at)
        return 0;
    if (trace_fail) {
        void *bt[16];
        int n = backtrace(bt, 16);
        backtrace_symbols_fd(bt, n, 2);
    }
    return 1;
}

void *__wrap_malloc(size_t n)
{
    void *p;
    if (should_fail())
        return NULL;
    p = __real_malloc(n);
    if (p)
        live++;
    return p;
}

void *__wrap_calloc(size_t a, size_t b)
{
    void *p;
    if (should_fail())
        return NULL;
    p = __real_calloc(a, b);
    if (p)
        live++;
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    void *q;
    if (should_fail())
        return NULL;
    q = __real_realloc(p, n);
    if (!p && q)
        live++;
    return q;
}

void __wrap_free(void *p)
{
    if (p)
        live--;
    __real_free(p);
}

/* SQLite's allocator, sharing the counter */
static sqlite3_mem_methods sql_default;

static void *sql_malloc(int n)
{
    return should_fail() ? NULL : sql_default.xMalloc(n);
}

static void *sql_realloc(void *p, int n)
{
    return should_fail() ? NULL : sql_default.xRealloc(p, n);
}

/* Routes SQLite's allocations through the failure counter. */
static inline void nomem_install(void)
{
    sqlite3_mem_methods m;
    sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sql_default);
    m = sql_default;
    m.xMalloc = sql_malloc;
    m.xRealloc = sql_realloc;
    sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
}

/* One integer from a database (call it with fail_at = -1). */
static inline long long count(const char *path, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        return -1;
    }
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

#endif
