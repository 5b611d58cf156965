/*
 * build.c - a model from a list of traces, one after the other or several
 * at once into parts merged in input order (see build.h).
 */
#include "pipeline/build.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "common/sha256.h"
#include "common/util.h"
#include "model/merge.h"

typedef enum { JOB_WAITING, JOB_RUNNING, JOB_DONE } job_state;

/* A batch of consecutive traces into one part. */
typedef struct job {
    int first, count;
    job_state state;
    int rc;
    int failed;                /* rc < 0: the trace (0..count) that failed, count when the part did */
    ps_error err;
    ps_store *part;            /* committed scratch model (JOB_DONE, rc == 0) */
    ps_trace_result *res;      /* [count] */
    size_t *warn_end;          /* [count]: where each trace's warnings end in `warnings` */
    ps_session_totals totals;
    ps_buf warnings;           /* the reader's warnings, each ending in '\0' */
    bool warn_nomem;
} job;

typedef struct pool {
    const ps_session_opts *o;
    ps_session_opts wo;        /* the workers' options: no callbacks but warnings */
    char *const *paths;
    job *jobs;
    int n;                     /* jobs */
    int next;                  /* the next job to start */
    int merged;                /* jobs before this one are merged (or abandoned) */
    int ahead;                 /* how far workers may run ahead of the merge */
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t changed;
} pool;

typedef struct worker {
    pool *p;
    pthread_t thread;
    bool started;
} worker;

/* Whether traces can be ingested into `dst` in parts: not when the model
 * holds a source catalogue, whose staged functions the stack attribution
 * reads from the model it writes to. */
static int parallel_possible(ps_store *dst, bool *possible, ps_error *err)
{
    sqlite3 *db = ps_store_db(dst);
    int64_t has;

    *possible = true;
    has = ps_sql_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'src_functions'", -1);
    if (has < 0)
        return ps_store_fail(dst, err, "cannot read the schema");
    if (has > 0 && ps_sql_int(db, "SELECT EXISTS (SELECT 1 FROM src_functions)", 1) != 0)
        *possible = false;
    return 0;
}

static void buffer_warning(void *ctx, const char *msg)
{
    job *j = ctx;
    if (ps_buf_append(&j->warnings, msg, strlen(msg) + 1) < 0)
        j->warn_nomem = true;
}

/* A batch of traces into its own part. */
static void run_job(pool *p, job *j)
{
    ps_session_opts o = p->wo;
    ps_session *s = NULL;
    int k, rc;

    o.warn = buffer_warning;
    o.warn_ctx = j;
    j->failed = j->count;
    if ((rc = ps_store_open_part(&j->part, &j->err)) < 0)
        goto out;
    if ((rc = ps_session_new(j->part, &o, &s, &j->err)) < 0)
        goto out;
    for (k = 0; k < j->count; k++) {
        rc = ps_session_add(s, p->paths[j->first + k], &j->res[k], &j->err);
        j->warn_end[k] = j->warnings.len;
        if (rc < 0) {
            j->failed = k;
            goto out;
        }
    }
    ps_session_get_totals(s, &j->totals);
    ps_session_free(s);
    s = NULL;
    if (j->warn_nomem) {
        rc = ps_error_nomem(&j->err);
        goto out;
    }
    rc = ps_store_commit(j->part, &j->err);
out:
    ps_session_free(s);
    if (rc < 0) {
        ps_store_close(j->part);
        j->part = NULL;
    }
    j->rc = rc;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pool *p = w->p;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        job *j;
        while (!p->stop && p->next < p->n && p->next >= p->merged + p->ahead)
            pthread_cond_wait(&p->changed, &p->mu);
        if (p->stop || p->next >= p->n)
            break;
        j = &p->jobs[p->next++];
        j->state = JOB_RUNNING;
        pthread_mutex_unlock(&p->mu);
        run_job(p, j);
        pthread_mutex_lock(&p->mu);
        j->state = JOB_DONE;
        pthread_cond_broadcast(&p->changed);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void replay_warnings(const ps_session_opts *o, const job *j, int k)
{
    size_t at = k ? j->warn_end[k - 1] : 0, end = j->warn_end[k];

    for (; at < end; at += strlen(j->warnings.data + at) + 1)
        if (o->warn)
            o->warn(o->warn_ctx, j->warnings.data + at);
}

/* A batch that failed at trace k: the traces before it go into dst one
 * after the other (their notes and lines as one job gives them), then the
 * failing trace's warnings and its error. */
static int fail_job(pool *p, ps_store *dst, job *j, ps_error *err)
{
    ps_session *s = NULL;
    int k, rc = 0;

    if (j->failed > 0 && j->failed < j->count) {
        if ((rc = ps_session_new(dst, p->o, &s, err)) < 0)
            return rc;
        for (k = 0; k < j->failed && rc == 0; k++)
            rc = ps_session_add(s, p->paths[j->first + k], NULL, err);
        ps_session_free(s);
        if (rc < 0)
            return rc;
    }
    if (j->failed < j->count)
        replay_warnings(p->o, j, j->failed);
    *err = j->err;
    return j->rc;
}

/* A batch's part into dst, its warnings and its results to the callbacks,
 * trace by trace. */
static int merge_job(pool *p, ps_store *dst, job *j, ps_session_totals *tot, ps_error *err)
{
    const ps_session_opts *o = p->o;
    ps_merge_stats ms;
    int64_t last;
    int k, rc;

    if (j->rc < 0)
        return fail_job(p, dst, j, err);
    if ((rc = ps_store_merge_flags(dst, ps_store_file(j->part), PS_MERGE_KEEP_DUPLICATES, &ms, err)) < 0)
        return rc;
    if (ms.traces != (uint64_t)j->count)
        return ps_error_set(err, PS_ERR_DB, "'%s': a part of %d traces held %llu", ps_store_name(dst), j->count,
                            (unsigned long long)ms.traces);
    /* the part's traces are the last of the model: ids keep their order */
    last = ps_sql_int(ps_store_db(dst), "SELECT max(trace_id) FROM traces", 0);
    tot->traces += j->totals.traces;
    tot->findings += j->totals.findings;
    tot->regex_limited += j->totals.regex_limited;
    tot->symbols = j->totals.symbols;
    for (k = 0; k < j->count; k++) {
        replay_warnings(o, j, k);
        j->res[k].trace_id = last - j->count + 1 + k;
        j->res[k].path = p->paths[j->first + k];
        if (o->trace_done)
            o->trace_done(o->trace_done_ctx, dst, &j->res[k]);
    }
    return 0;
}

/* Consecutive traces share a part until they hold about a quarter of each
 * worker's share of the bytes (at least 1 MiB, at most 64 traces): small
 * traces do not pay a part and a merge each, large ones are spread. */
static int plan_jobs(pool *p, char *const *paths, int n, int workers, ps_error *err)
{
    uint64_t *size = calloc((size_t)n, sizeof *size), total = 0, target, acc = 0;
    int i, nj = 0;

    if (!size)
        return ps_error_nomem(err);
    for (i = 0; i < n; i++) {
        struct stat st;
        size[i] = strcmp(paths[i], "-") && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size
                                                                                            : 0;
        total += size[i];
    }
    target = total / (4 * (uint64_t)workers);
    if (target < (1u << 20))
        target = 1u << 20;
    p->jobs = calloc((size_t)n, sizeof *p->jobs);
    if (!p->jobs) {
        free(size);
        return ps_error_nomem(err);
    }
    for (i = 0; i < n; i++) {
        job *j = &p->jobs[nj];
        if (j->count == 0)
            j->first = i;
        j->count++;
        acc += size[i];
        if (acc >= target || j->count == 64 || i == n - 1) {
            nj++;
            acc = 0;
        }
    }
    free(size);
    p->n = nj;
    for (i = 0; i < nj; i++) {
        job *j = &p->jobs[i];
        ps_buf_init(&j->warnings);
        j->res = calloc((size_t)j->count, sizeof *j->res);
        j->warn_end = calloc((size_t)j->count, sizeof *j->warn_end);
        if (!j->res || !j->warn_end)
            return ps_error_nomem(err);
    }
    return 0;
}

static void job_release(job *j)
{
    ps_store_close(j->part);
    j->part = NULL;
    ps_buf_release(&j->warnings);
    free(j->res);
    j->res = NULL;
    free(j->warn_end);
    j->warn_end = NULL;
}

static int one_by_one(ps_store *dst, char *const *paths, int n, const ps_session_opts *o, ps_session_totals *tot,
                      ps_error *err)
{
    ps_session *s = NULL;
    int i, rc;

    if ((rc = ps_session_new(dst, o, &s, err)) < 0)
        return rc;
    for (i = 0; i < n && rc == 0; i++)
        rc = ps_session_add(s, paths[i], NULL, err);
    if (rc == 0)
        ps_session_get_totals(s, tot);
    ps_session_free(s);
    return rc;
}

/* paths[0..n) into dst with o->jobs workers (at least 2). */
static int parallel_ingest(ps_store *dst, char *const *paths, int n, const ps_session_opts *o, ps_session_totals *tot,
                           ps_error *err)
{
    ps_session_totals local;
    worker *ws = NULL;
    pool p;
    int i, nw = o->jobs < n ? o->jobs : n, rc = 0;
    bool sync_ready = false;

    if (!tot)
        tot = &local;
    memset(tot, 0, sizeof *tot);
    memset(&p, 0, sizeof p);
    p.o = o;
    p.wo = *o;
    p.wo.progress = NULL;
    p.wo.trace_done = NULL;
    p.wo.jobs = 1;
    p.paths = paths;
    if ((rc = plan_jobs(&p, paths, n, nw, err)) < 0)
        goto out;
    if (p.n == 1) {   /* one part: nothing to do at once */
        rc = one_by_one(dst, paths, n, o, tot, err);
        goto out;
    }
    if (nw > p.n)
        nw = p.n;
    p.ahead = 2 * nw;
    ws = calloc((size_t)nw, sizeof *ws);
    if (!ws) {
        rc = ps_error_nomem(err);
        goto out;
    }
    if (pthread_mutex_init(&p.mu, NULL) != 0) {
        rc = ps_error_set(err, PS_ERR_NOMEM, "cannot create a mutex for the ingest workers");
        goto out;
    }
    if (pthread_cond_init(&p.changed, NULL) != 0) {
        pthread_mutex_destroy(&p.mu);
        rc = ps_error_set(err, PS_ERR_NOMEM, "cannot create a condition for the ingest workers");
        goto out;
    }
    sync_ready = true;
    for (i = 0; i < nw; i++) {
        ws[i].p = &p;
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
            if (i == 0) {
                rc = ps_error_set(err, PS_ERR_NOMEM, "cannot start an ingest worker thread");
                goto out;
            }
            break;   /* fewer workers than asked: still correct */
        }
        ws[i].started = true;
    }

    for (i = 0; i < p.n && rc == 0; i++) {
        job *j = &p.jobs[i];
        pthread_mutex_lock(&p.mu);
        while (j->state != JOB_DONE)
            pthread_cond_wait(&p.changed, &p.mu);
        pthread_mutex_unlock(&p.mu);
        rc = merge_job(&p, dst, j, tot, err);
        job_release(j);
        pthread_mutex_lock(&p.mu);
        p.merged = i + 1;
        pthread_cond_broadcast(&p.changed);
        pthread_mutex_unlock(&p.mu);
    }

out:
    if (sync_ready) {
        pthread_mutex_lock(&p.mu);
        p.stop = true;
        pthread_cond_broadcast(&p.changed);
        pthread_mutex_unlock(&p.mu);
    }
    for (i = 0; ws && i < nw; i++)
        if (ws[i].started)
            pthread_join(ws[i].thread, NULL);
    if (sync_ready) {
        pthread_cond_destroy(&p.changed);
        pthread_mutex_destroy(&p.mu);
    }
    for (i = 0; p.jobs && i < p.n; i++)
        job_release(&p.jobs[i]);
    free(p.jobs);
    free(ws);
    return rc;
}

/* The SHA-256 of a file's bytes as traces.sha256 holds them. */
static int file_sha256(const char *path, char hex[65], ps_error *err)
{
    unsigned char buf[1 << 16];
    ps_sha256 h;
    size_t n;
    FILE *f = fopen(path, "rb");

    if (!f)
        return ps_error_set(err, PS_ERR_IO, "cannot open '%s': %s", path, ps_errno_text(errno));
    ps_sha256_init(&h);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        ps_sha256_update(&h, buf, n);
    if (ferror(f)) {
        fclose(f);
        ps_sha256_release(&h);
        return ps_error_set(err, PS_ERR_IO, "cannot read '%s': %s", path, ps_errno_text(errno));
    }
    fclose(f);
    ps_sha256_final_hex(&h, hex);
    return 0;
}

typedef struct seen {
    int64_t size;
    char sha[65];     /* "" until needed */
    const char *path;
} seen;

/* Leaves out of paths[] (kept[i] = false) the regular files whose bytes a
 * trace of the model, or an earlier file of the list, has already: hashed
 * only when a size matches (traces.size, the bytes on disk). */
static int leave_out_known(ps_store *st, char *const *paths, int n, bool *kept, const ps_session_opts *o,
                           ps_error *err)
{
    sqlite3_stmt *by_size = NULL, *by_sha = NULL;
    seen *list = calloc((size_t)n + 1, sizeof *list);
    int i, k, nlist = 0, rc = 0;

    if (!list)
        return ps_error_nomem(err);
    if (sqlite3_prepare_v2(ps_store_db(st), "SELECT count(*) FROM traces WHERE size = ?1 AND sha256 IS NOT NULL", -1,
                           &by_size, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ps_store_db(st), "SELECT trace_id, path FROM traces WHERE sha256 = ?1 ORDER BY trace_id",
                           -1, &by_sha, NULL) != SQLITE_OK) {
        rc = ps_store_fail(st, err, "cannot look up the traces");
        goto out;
    }
    for (i = 0; i < n; i++) {
        struct stat sb;
        seen cur;
        bool known = false;
        char msg[1024];

        kept[i] = true;
        if (!strcmp(paths[i], "-") || stat(paths[i], &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        memset(&cur, 0, sizeof cur);
        cur.size = (int64_t)sb.st_size;
        cur.path = paths[i];
        /* in the model */
        sqlite3_bind_int64(by_size, 1, cur.size);
        if (sqlite3_step(by_size) == SQLITE_ROW && sqlite3_column_int64(by_size, 0) > 0) {
            if ((rc = file_sha256(paths[i], cur.sha, err)) < 0)
                goto out;
            sqlite3_bind_text(by_sha, 1, cur.sha, -1, SQLITE_STATIC);
            if (sqlite3_step(by_sha) == SQLITE_ROW) {
                snprintf(msg, sizeof msg,
                         "'%s': the same content as trace #%lld (%s), already in the model: not ingested again "
                         "(--force does)",
                         paths[i], (long long)sqlite3_column_int64(by_sha, 0),
                         (const char *)sqlite3_column_text(by_sha, 1));
                known = true;
            }
            sqlite3_reset(by_sha);
        }
        sqlite3_reset(by_size);
        /* earlier in this list */
        for (k = 0; !known && k < nlist; k++) {
            if (list[k].size != cur.size)
                continue;
            if (!list[k].sha[0] && (rc = file_sha256(list[k].path, list[k].sha, err)) < 0)
                goto out;
            if (!cur.sha[0] && (rc = file_sha256(paths[i], cur.sha, err)) < 0)
                goto out;
            if (!strcmp(list[k].sha, cur.sha)) {
                snprintf(msg, sizeof msg, "'%s': the same content as '%s', given before: not ingested twice (--force "
                                          "does)",
                         paths[i], list[k].path);
                known = true;
            }
        }
        if (known) {
            kept[i] = false;
            if (o->warn)
                o->warn(o->warn_ctx, msg);
            continue;
        }
        list[nlist++] = cur;
    }
out:
    sqlite3_finalize(by_size);
    sqlite3_finalize(by_sha);
    free(list);
    return rc;
}

int ps_session_build(const char *out, char *const *paths_in, int n_in, const ps_session_opts *o, ps_store **store,
                     ps_session_totals *tot, ps_error *err)
{
    ps_session *s = NULL;
    bool parallel = false, *kept = NULL;
    char **paths = NULL;
    int i, n = 0, rc;

    *store = NULL;
    if ((rc = out ? ps_store_open_write_opts(out, o->store, store, err) : ps_store_open_temp(store, err)) < 0)
        goto fail;
    /* a file whose bytes the model already holds is not ingested twice */
    if (!(kept = calloc((size_t)n_in + 1, sizeof *kept)) || !(paths = calloc((size_t)n_in + 1, sizeof *paths))) {
        rc = ps_error_nomem(err);
        goto fail;
    }
    if (o->force) {
        for (i = 0; i < n_in; i++)
            kept[i] = true;
    } else if ((rc = leave_out_known(*store, paths_in, n_in, kept, o, err)) < 0) {
        goto fail;
    }
    for (i = 0; i < n_in; i++)
        if (kept[i])
            paths[n++] = paths_in[i];
    if (o->jobs > 1 && n > 1 && (rc = parallel_possible(*store, &parallel, err)) < 0)
        goto fail;
    if (parallel) {
        if ((rc = parallel_ingest(*store, paths, n, o, tot, err)) < 0)
            goto fail;
    } else {
        if ((rc = ps_session_new(*store, o, &s, err)) < 0)
            goto fail;
        for (i = 0; i < n; i++)
            if ((rc = ps_session_add(s, paths[i], NULL, err)) < 0)
                goto fail;
        if (tot)
            ps_session_get_totals(s, tot);
        /* the session's statements must be finished before the commit */
        ps_session_free(s);
        s = NULL;
    }
    if ((rc = ps_store_commit(*store, err)) < 0)
        goto fail;
    free(kept);
    free(paths);
    return 0;
fail:
    ps_session_free(s);
    ps_store_close(*store);
    *store = NULL;
    free(kept);
    free(paths);
    return rc;
}
