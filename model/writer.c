/*
 * writer.c - the store's writer thread (see writer.h).
 *
 * A batch is a byte buffer of commands:
 *   u16 statement, u16 argument count, then per argument
 *   u8 kind (0 null, 1 integer, 2 text) and an int64 or a u32 length + bytes.
 * The producer fills one batch at a time; full batches go into a FIFO the
 * writer thread drains; executed batches come back on a free list.  At most
 * WRITER_BATCHES batches exist, so a producer that runs ahead waits.
 */
#define _GNU_SOURCE
#include "model/writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITER_BATCH (256u << 10)
#define WRITER_BATCHES 6
#define WRITER_MAX_STMTS 32

typedef struct batch {
    unsigned char *data;
    size_t len, cap;
    struct batch *next;
} batch;

struct ps_writer {
    sqlite3 *db;
    sqlite3_stmt *st[WRITER_MAX_STMTS];
    int nst;
    int multi_of[WRITER_MAX_STMTS];    /* single -> multi statement, -1 none */
    int multi_rows[WRITER_MAX_STMTS];
    char name[512];

    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_free, cv_idle;
    batch *full_head, *full_tail;     /* FIFO of batches to run */
    batch *free_list;
    int nbatches;
    bool busy;                        /* the thread runs a batch */
    bool stop;
    bool failed;                      /* set once; read by the producer */
    ps_error err;

    /* producer side */
    batch *cur;
    size_t cmd_at;                    /* start of the command being built */
    uint16_t nargs;
    const char *what[WRITER_MAX_STMTS];
    bool oom;
};

/* ---- batches ------------------------------------------------------------------------------ */

static batch *batch_new(void)
{
    batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->data = malloc(WRITER_BATCH);
    if (!b->data) {
        free(b);
        return NULL;
    }
    b->cap = WRITER_BATCH;
    return b;
}

static void batch_free(batch *b)
{
    if (b) {
        free(b->data);
        free(b);
    }
}

static bool reserve(ps_writer *w, size_t n)
{
    batch *b = w->cur;
    if (b->len + n <= b->cap)
        return true;
    {
        size_t nc = b->cap;
        unsigned char *nd;
        while (nc < b->len + n)
            nc *= 2;
        nd = realloc(b->data, nc);
        if (!nd) {
            w->oom = true;
            return false;
        }
        b->data = nd;
        b->cap = nc;
    }
    return true;
}

/* ---- executing ------------------------------------------------------------------------------- */

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* Binds the arguments at *p to st starting at parameter `first`; returns
 * the position after them. */
static const unsigned char *bind_args(sqlite3_stmt *st, int first, const unsigned char *p, uint16_t nargs)
{
    uint16_t i;
    for (i = 0; i < nargs; i++) {
        unsigned char kind = *p++;
        int idx = first + i;
        if (kind == 0) {
            sqlite3_bind_null(st, idx);
        } else if (kind == 1) {
            int64_t v;
            memcpy(&v, p, 8);
            p += 8;
            sqlite3_bind_int64(st, idx, v);
        } else {
            uint32_t n;
            memcpy(&n, p, 4);
            p += 4;
            sqlite3_bind_text(st, idx, (const char *)p, (int)n, SQLITE_STATIC);
            p += n;
        }
    }
    return p;
}

static void fail_locked(ps_writer *w, int stmt)
{
    ps_error_set(&w->err, PS_ERR_DB, "'%s': %s: %s", w->name,
                 stmt >= 0 && stmt < WRITER_MAX_STMTS && w->what[stmt] ? w->what[stmt] : "cannot write",
                 sqlite3_errmsg(w->db));
    __atomic_store_n(&w->failed, true, __ATOMIC_RELEASE);
}

static int step_reset(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

/* Runs the commands of one batch; false on the first failure. */
static bool run_batch(ps_writer *w, const batch *b, int *bad_stmt)
{
    const unsigned char *p = b->data, *end = b->data + b->len;

    while (p < end) {
        uint16_t s = rd16(p), n = rd16(p + 2);
        int m = s < WRITER_MAX_STMTS ? w->multi_of[s] : -1;
        p += 4;
        if (m >= 0) {
            /* a run of `rows` commands of s goes through the multi-row statement */
            int rows = w->multi_rows[s], k;
            const unsigned char *q = p - 4;
            bool whole = true;
            for (k = 0; k < rows && whole; k++) {
                const unsigned char *a;
                uint16_t i;
                if (q >= end || rd16(q) != s || rd16(q + 2) != n) {
                    whole = false;
                    break;
                }
                a = q + 4;
                for (i = 0; i < n; i++) {
                    unsigned char kind = *a++;
                    if (kind == 1)
                        a += 8;
                    else if (kind == 2) {
                        uint32_t len;
                        memcpy(&len, a, 4);
                        a += 4 + len;
                    }
                }
                q = a;
            }
            if (whole) {
                sqlite3_stmt *ms = w->st[m];
                q = p - 4;
                for (k = 0; k < rows; k++)
                    q = bind_args(ms, 1 + k * n, q + 4, n);
                if (step_reset(ms) < 0) {
                    *bad_stmt = s;
                    return false;
                }
                p = q;
                continue;
            }
        }
        p = bind_args(w->st[s], 1, p, n);
        if (step_reset(w->st[s]) < 0) {
            *bad_stmt = s;
            return false;
        }
    }
    return true;
}

static void *thread_main(void *arg)
{
    ps_writer *w = arg;

#ifdef __linux__
    pthread_setname_np(pthread_self(), "procstage-db");
#endif
    pthread_mutex_lock(&w->mu);
    for (;;) {
        batch *b;
        while (!w->full_head && !w->stop)
            pthread_cond_wait(&w->cv_work, &w->mu);
        if (!w->full_head && w->stop)
            break;
        b = w->full_head;
        w->full_head = b->next;
        if (!w->full_head)
            w->full_tail = NULL;
        w->busy = true;
        if (!w->failed) {
            int bad = -1;
            bool ok;
            pthread_mutex_unlock(&w->mu);
            ok = run_batch(w, b, &bad);
            pthread_mutex_lock(&w->mu);
            if (!ok && !w->failed)
                fail_locked(w, bad);
        }
        w->busy = false;
        b->len = 0;
        b->next = w->free_list;
        w->free_list = b;
        pthread_cond_signal(&w->cv_free);
        if (!w->full_head)
            pthread_cond_broadcast(&w->cv_idle);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- producer ---------------------------------------------------------------------------------- */

int ps_writer_new(sqlite3 *db, sqlite3_stmt **stmts, int nstmts, const char *name, ps_writer **out, ps_error *err)
{
    ps_writer *w;
    int i;

    *out = NULL;
    if (nstmts > WRITER_MAX_STMTS)
        return ps_error_set(err, PS_ERR_INTERNAL, "the writer takes at most %d statements", WRITER_MAX_STMTS);
    w = calloc(1, sizeof *w);
    if (!w)
        return ps_error_nomem(err);
    w->db = db;
    w->nst = nstmts;
    for (i = 0; i < nstmts; i++)
        w->st[i] = stmts[i];
    for (i = 0; i < WRITER_MAX_STMTS; i++)
        w->multi_of[i] = -1;
    snprintf(w->name, sizeof w->name, "%s", name ? name : "database");
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv_work, NULL);
    pthread_cond_init(&w->cv_free, NULL);
    pthread_cond_init(&w->cv_idle, NULL);
    /* every batch now, cleared: the writer's memory is fixed from the start */
    for (i = 0; i < WRITER_BATCHES; i++) {
        batch *b = batch_new();
        if (!b) {
            ps_writer_free(w);
            return ps_error_nomem(err);
        }
        memset(b->data, 0, b->cap);
        w->nbatches++;
        if (!w->cur) {
            w->cur = b;
        } else {
            b->next = w->free_list;
            w->free_list = b;
        }
    }
    if (pthread_create(&w->thread, NULL, thread_main, w) != 0) {
        ps_writer_free(w);
        return ps_error_set(err, PS_ERR_INTERNAL, "cannot start the database writer thread");
    }
    w->started = true;
    *out = w;
    return 0;
}

void ps_writer_set_multi(ps_writer *w, int single, int multi, int rows)
{
    if (single >= 0 && single < WRITER_MAX_STMTS && multi >= 0 && multi < w->nst && rows > 1) {
        w->multi_of[single] = multi;
        w->multi_rows[single] = rows;
    }
}

/* Hands the current batch to the thread and takes an empty one. */
static void submit(ps_writer *w)
{
    batch *b = w->cur;

    pthread_mutex_lock(&w->mu);
    if (b->len) {
        b->next = NULL;
        if (w->full_tail)
            w->full_tail->next = b;
        else
            w->full_head = b;
        w->full_tail = b;
        pthread_cond_signal(&w->cv_work);
        b = NULL;
    }
    if (!b) {
        while (!w->free_list && w->nbatches >= WRITER_BATCHES)
            pthread_cond_wait(&w->cv_free, &w->mu);
        if (w->free_list) {
            b = w->free_list;
            w->free_list = b->next;
        } else {
            b = batch_new();
            if (b)
                w->nbatches++;
            else
                w->oom = true;
        }
    }
    pthread_mutex_unlock(&w->mu);
    if (b)
        w->cur = b;
    else {
        /* out of memory: wait for a batch to come back */
        pthread_mutex_lock(&w->mu);
        while (!w->free_list)
            pthread_cond_wait(&w->cv_free, &w->mu);
        w->cur = w->free_list;
        w->free_list = w->cur->next;
        pthread_mutex_unlock(&w->mu);
    }
}

void ps_writer_begin(ps_writer *w, int stmt, const char *what)
{
    if (stmt >= 0 && stmt < WRITER_MAX_STMTS)
        w->what[stmt] = what;
    if (!reserve(w, 4))
        return;
    w->cmd_at = w->cur->len;
    w->cur->data[w->cur->len++] = (unsigned char)stmt;
    w->cur->data[w->cur->len++] = (unsigned char)(stmt >> 8);
    w->cur->len += 2;   /* the count, written by end */
    w->nargs = 0;
}

void ps_writer_int(ps_writer *w, int64_t v)
{
    if (!reserve(w, 9))
        return;
    w->cur->data[w->cur->len++] = 1;
    memcpy(w->cur->data + w->cur->len, &v, 8);
    w->cur->len += 8;
    w->nargs++;
}

void ps_writer_null(ps_writer *w)
{
    if (!reserve(w, 1))
        return;
    w->cur->data[w->cur->len++] = 0;
    w->nargs++;
}

void ps_writer_id(ps_writer *w, int64_t v)
{
    if (v > 0)
        ps_writer_int(w, v);
    else
        ps_writer_null(w);
}

void ps_writer_text(ps_writer *w, const char *s)
{
    uint32_t n;
    if (!s || !*s) {
        ps_writer_null(w);
        return;
    }
    n = (uint32_t)strlen(s);
    if (!reserve(w, 5 + (size_t)n))
        return;
    w->cur->data[w->cur->len++] = 2;
    memcpy(w->cur->data + w->cur->len, &n, 4);
    w->cur->len += 4;
    memcpy(w->cur->data + w->cur->len, s, n);
    w->cur->len += n;
    w->nargs++;
}

int ps_writer_end(ps_writer *w, ps_error *err)
{
    if (w->oom) {
        w->oom = false;
        w->cur->len = w->cmd_at;
        return ps_error_nomem(err);
    }
    w->cur->data[w->cmd_at + 2] = (unsigned char)w->nargs;
    w->cur->data[w->cmd_at + 3] = (unsigned char)(w->nargs >> 8);
    if (__atomic_load_n(&w->failed, __ATOMIC_ACQUIRE))
        return ps_writer_sync(w, err);
    if (w->cur->len >= WRITER_BATCH - 4096)
        submit(w);
    return 0;
}

int ps_writer_ints(ps_writer *w, int stmt, const char *what, const int64_t *v, uint32_t null_mask, int n,
                   ps_error *err)
{
    unsigned char *o;
    int i;

    ps_writer_begin(w, stmt, what);
    if (!reserve(w, (size_t)n * 9))
        return ps_writer_end(w, err);
    o = w->cur->data + w->cur->len;
    for (i = 0; i < n; i++) {
        if (null_mask & (1u << i)) {
            *o++ = 0;
        } else {
            *o++ = 1;
            memcpy(o, &v[i], 8);
            o += 8;
        }
    }
    w->cur->len = (size_t)(o - w->cur->data);
    w->nargs = (uint16_t)n;
    return ps_writer_end(w, err);
}

int ps_writer_sync(ps_writer *w, ps_error *err)
{
    int rc = 0;

    submit(w);
    pthread_mutex_lock(&w->mu);
    while (w->full_head || w->busy)
        pthread_cond_wait(&w->cv_idle, &w->mu);
    if (w->failed) {
        if (err)
            *err = w->err;
        rc = w->err.code ? w->err.code : PS_ERR_DB;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

void ps_writer_free(ps_writer *w)
{
    batch *b, *n;

    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->stop = true;
        pthread_cond_signal(&w->cv_work);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    for (b = w->full_head; b; b = n) {
        n = b->next;
        batch_free(b);
    }
    for (b = w->free_list; b; b = n) {
        n = b->next;
        batch_free(b);
    }
    batch_free(w->cur);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv_work);
    pthread_cond_destroy(&w->cv_free);
    pthread_cond_destroy(&w->cv_idle);
    free(w);
}
