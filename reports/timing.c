/*
 * timing.c - the stage timing report: per creation, then per image.
 */
#include <stdlib.h>
#include <string.h>

#include "model/creation.h"
#include "common/escape.h"
#include "common/json.h"
#include "reports/report.h"

static const char *const CREATION_SQL =
    "SELECT c.creation_id, c.trace_id, c.create_ts, c.status, c.parent_pid, c.creator_pid, "
    "c.child_pid, CASE WHEN c.creator_pid <> c.parent_pid THEN coalesce(pp.process_name, "
    "  (SELECT p.process_name FROM processes p WHERE p.trace_id = c.trace_id AND p.pid = c.parent_pid "
    "   ORDER BY p.start_ts IS NULL DESC, p.process_id LIMIT 1)) ELSE coalesce(cp.process_name, pp.process_name, "
    "  (SELECT p.process_name FROM processes p WHERE p.trace_id = c.trace_id AND p.pid = c.parent_pid "
    "   ORDER BY p.start_ts IS NULL DESC, p.process_id LIMIT 1)) END, "
    "c.image_path, c.requested_image, c.note, t.time_basis, c.anchor, c.command_line, c.creator_tid, "
    "c.initial_tid, cp.process_name "
    "FROM creations c JOIN traces t USING (trace_id) "
    "LEFT JOIN processes cp ON cp.process_id = c.creator_process_id "
    "LEFT JOIN processes ch ON ch.process_id = c.child_process_id "
    "LEFT JOIN processes pp ON pp.process_id = ch.parent_process_id "
    "WHERE (?1 = 0 OR c.trace_id = ?1) AND ps_in_range(c.create_ts) ORDER BY c.trace_id, c.create_ts, c.creation_id";

static const char *const STAGE_SQL =
    "SELECT stage, duration, confidence, start_ts, end_ts, start_event_id, end_event_id, evidence "
    "FROM stages WHERE creation_id = ?1 ORDER BY stage";

typedef struct stage_row {
    bool has_duration, has_start, has_end;
    int64_t duration, start_ts, end_ts, start_event, end_event;
    char conf[12];
    char evidence[400];
} stage_row;

static int load_stages(ps_store *s, sqlite3_stmt *st, int64_t creation_id, stage_row rows[6])
{
    int rc;

    memset(rows, 0, 6 * sizeof *rows);
    sqlite3_bind_int64(st, 1, creation_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int k = sqlite3_column_int(st, 0);
        stage_row *r;
        if (k < 1 || k > 6)
            continue;
        r = &rows[k - 1];
        r->has_duration = sqlite3_column_type(st, 1) != SQLITE_NULL;
        r->duration = sqlite3_column_int64(st, 1);
        ps_strlcpy(r->conf, sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "missing",
                   sizeof r->conf);
        r->has_start = sqlite3_column_type(st, 3) != SQLITE_NULL;
        r->start_ts = sqlite3_column_int64(st, 3);
        r->has_end = sqlite3_column_type(st, 4) != SQLITE_NULL;
        r->end_ts = sqlite3_column_int64(st, 4);
        r->start_event = sqlite3_column_int64(st, 5);
        r->end_event = sqlite3_column_int64(st, 6);
        ps_strlcpy(r->evidence, sqlite3_column_text(st, 7) ? (const char *)sqlite3_column_text(st, 7) : "",
                   sizeof r->evidence);
    }
    sqlite3_reset(st);
    (void)s;
    return rc == SQLITE_DONE ? 0 : -1;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

static int64_t stage_total(const stage_row rows[6], bool *any)
{
    int64_t t = 0;
    int k;
    *any = false;
    for (k = 0; k < 6; k++)
        if (rows[k].has_duration && strcmp(rows[k].conf, "missing") != 0) {
            t += rows[k].duration;
            *any = true;
        }
    return t;
}

/* "Explorer.EXE (3596) -> notepad.exe (3232)", cut to width with an ellipsis */
static void who(char *buf, size_t cap, const char *parent, bool has_ppid, int64_t ppid,
                const char *child_image, bool has_cpid, int64_t cpid)
{
    char p[128], c[128];

    if (has_ppid)
        snprintf(p, sizeof p, "%.100s (%lld)", parent ? ps_tx(parent) : "?", (long long)ppid);
    else
        snprintf(p, sizeof p, "%.100s", parent ? ps_tx(parent) : "?");
    if (has_cpid)
        snprintf(c, sizeof c, "%.100s (%lld)",
                 child_image && *child_image ? ps_tx(ps_path_basename(child_image)) : "?", (long long)cpid);
    else
        snprintf(c, sizeof c, "%.100s", child_image && *child_image ? ps_tx(ps_path_basename(child_image)) : "?");
    snprintf(buf, cap, "%s \xe2\x86\x92 %s", p, c);
}

/* Pads a UTF-8 string to `width` display columns (counting code points). */
static void put_padded(FILE *f, const char *s, int width)
{
    int cols = 0;
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *cut = NULL;

    for (; *p; p++) {
        if ((*p & 0xC0) != 0x80) {
            if (cols == width - 1 && !cut)
                cut = p;
            cols++;
        }
    }
    if (cols > width) {
        fwrite(s, 1, (size_t)(cut - (const unsigned char *)s), f);
        fputs("\xe2\x80\xa6", f);
        return;
    }
    fputs(s, f);
    for (; cols < width; cols++)
        fputc(' ', f);
}

static void stage_cell(const ps_report_opts *o, const stage_row *r, char *buf, size_t cap)
{
    char ms[32];
    (void)o;
    /* a stage without its end (missing) has no duration of its own: its
     * time is in the next stage's */
    if (!r->has_duration || !strcmp(r->conf, "missing")) {
        snprintf(buf, cap, "-");
        return;
    }
    ps_format_ms(r->duration, ms, sizeof ms);
    snprintf(buf, cap, "%s%s", ms, !strcmp(r->conf, "observed") ? " " : "~");
}

/* ---- per-image statistics --------------------------------------------------- */

typedef struct sample {
    char *image;     /* lower-case file name */
    int stage;
    int64_t duration;
} sample;

typedef struct samples {
    sample *v;
    size_t n, cap;
    /* creations per image */
    char **images;
    size_t *counts;
    size_t nimages, icap;
} samples;

static void samples_release(samples *S)
{
    size_t i;
    for (i = 0; i < S->n; i++)
        free(S->v[i].image);
    free(S->v);
    for (i = 0; i < S->nimages; i++)
        free(S->images[i]);
    free(S->images);
    free(S->counts);
}

static char *lower_base(const char *path)
{
    char *b = ps_strdup(ps_path_basename(path && *path ? path : "?")), *p;
    if (b)
        for (p = b; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p + 32);
    return b;
}

static int samples_count_image(samples *S, const char *img)
{
    size_t i;
    for (i = 0; i < S->nimages; i++)
        if (!strcmp(S->images[i], img)) {
            S->counts[i]++;
            return 0;
        }
    if (S->nimages == S->icap) {
        size_t nc = S->icap ? S->icap * 2 : 16;
        char **ni = realloc(S->images, nc * sizeof *ni);
        size_t *ncn;
        if (!ni)
            return -1;
        S->images = ni;
        ncn = realloc(S->counts, nc * sizeof *ncn);
        if (!ncn)
            return -1;
        S->counts = ncn;
        S->icap = nc;
    }
    S->images[S->nimages] = ps_strdup(img);
    if (!S->images[S->nimages])
        return -1;
    S->counts[S->nimages++] = 1;
    return 0;
}

static int samples_add(samples *S, const char *img, int stage, int64_t d)
{
    if (S->n == S->cap) {
        size_t nc = S->cap ? S->cap * 2 : 64;
        sample *nv = realloc(S->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        S->v = nv;
        S->cap = nc;
    }
    S->v[S->n].image = ps_strdup(img);
    if (!S->v[S->n].image)
        return -1;
    S->v[S->n].stage = stage;
    S->v[S->n].duration = d;
    S->n++;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* nearest-rank percentile of sorted v[0..n) */
static int64_t pct(const int64_t *v, size_t n, int p)
{
    size_t rank = (size_t)((p * n + 99) / 100);
    if (rank < 1)
        rank = 1;
    return v[rank - 1];
}

typedef struct image_stats {
    size_t n[6];
    int64_t p50[6], p95[6], max[6];
} image_stats;

static int compute_stats(const samples *S, const char *img, image_stats *out)
{
    int k;
    size_t i;
    int64_t *buf = malloc((S->n ? S->n : 1) * sizeof *buf);

    if (!buf)
        return -1;
    memset(out, 0, sizeof *out);
    for (k = 1; k <= 6; k++) {
        size_t m = 0;
        for (i = 0; i < S->n; i++)
            if (S->v[i].stage == k && !strcmp(S->v[i].image, img))
                buf[m++] = S->v[i].duration;
        out->n[k - 1] = m;
        if (!m)
            continue;
        qsort(buf, m, sizeof *buf, cmp_i64);
        out->p50[k - 1] = pct(buf, m, 50);
        out->p95[k - 1] = pct(buf, m, 95);
        out->max[k - 1] = buf[m - 1];
    }
    free(buf);
    return 0;
}

/* Collects the measured stages (observed or inferred durations) per image. */
static int collect_rows(ps_store *s, const ps_report_opts *o, samples *S, ps_error *err);

/* Collects the measured stages; on failure S holds nothing. */
static int collect(ps_store *s, const ps_report_opts *o, samples *S, ps_error *err)
{
    int rc = collect_rows(s, o, S, err);
    if (rc < 0) {
        samples_release(S);
        memset(S, 0, sizeof *S);
    }
    return rc;
}

static int collect_rows(ps_store *s, const ps_report_opts *o, samples *S, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;

    memset(S, 0, sizeof *S);
    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT c.image_path, s.stage, s.duration, s.confidence FROM creations c "
                           "JOIN stages s USING (creation_id) WHERE (?1 = 0 OR c.trace_id = ?1) "
                           "AND c.status <> 'failed' AND ps_in_range(c.create_ts) ORDER BY c.creation_id, s.stage",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *img = lower_base(col_text(st, 0));
        const char *conf = col_text(st, 3);
        int stage = sqlite3_column_int(st, 1);
        if (!img) {
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
        if (stage == 1 && samples_count_image(S, img) < 0) {
            free(img);
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
        if (sqlite3_column_type(st, 2) != SQLITE_NULL && conf && strcmp(conf, "missing") != 0 &&
            samples_add(S, img, stage, sqlite3_column_int64(st, 2)) < 0) {
            free(img);
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
        free(img);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ps_report_db_error(s, err);
    if (S->nimages > 1) {
        /* sort images by name, keeping counts aligned */
        size_t i, j;
        for (i = 1; i < S->nimages; i++)
            for (j = i; j > 0 && strcmp(S->images[j - 1], S->images[j]) > 0; j--) {
                char *t = S->images[j];
                size_t c = S->counts[j];
                S->images[j] = S->images[j - 1];
                S->counts[j] = S->counts[j - 1];
                S->images[j - 1] = t;
                S->counts[j - 1] = c;
            }
    }
    (void)cmp_str;
    return 0;
}

/* ---- text ------------------------------------------------------------------------ */

static const char *const short_names[6] = {"1:open", "2:process", "3:thread", "4:subsys", "5:start", "6:init"};

int ps_report_stages_measured(ps_store *s, const ps_report_opts *o, bool *measured, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;
    int range_rc = ps_report_range_function(s, o, err);   /* --from/--to, for ps_in_range() */

    if (range_rc < 0)
        return range_rc;

    *measured = false;
    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT EXISTS (SELECT 1 FROM stages st JOIN creations c USING (creation_id) "
                           "WHERE (?1 = 0 OR c.trace_id = ?1) AND ps_in_range(c.create_ts) AND st.confidence <> 'missing' "
                           "AND st.duration IS NOT NULL)",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *measured = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : ps_report_db_error(s, err);
}

static int timing_text(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st = NULL, *sst = NULL;
    FILE *f = o->out;
    int rc, k, n = 0;
    samples S;
    size_t i, shown;
    bool measured = true;

    if (sqlite3_prepare_v2(ps_store_db(s), CREATION_SQL, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ps_store_db(s), STAGE_SQL, -1, &sst, NULL) != SQLITE_OK) {
        rc = ps_report_db_error(s, err);
        goto out;
    }
    sqlite3_bind_int64(st, 1, o->trace_id);
    {
        int64_t count = 0;
        sqlite3_stmt *cst;
        if (sqlite3_prepare_v2(ps_store_db(s), "SELECT count(*) FROM creations WHERE (?1 = 0 OR trace_id = ?1) AND ps_in_range(create_ts)",
                               -1, &cst, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(cst, 1, o->trace_id);
            if (sqlite3_step(cst) == SQLITE_ROW)
                count = sqlite3_column_int64(cst, 0);
            sqlite3_finalize(cst);
        }
        fprintf(f, "%sPROCESS CREATIONS (%lld)%s\n", ps_color(o, PS_C_BOLD), (long long)count,
                ps_color(o, PS_C_RESET));
        if (!count) {
            fprintf(f, "  none found\n\n");
            rc = 0;
            goto per_image;
        }
    }
    if ((rc = ps_report_stages_measured(s, o, &measured, err)) < 0)
        goto out;
    if (measured) {
        fprintf(f, "  stages: 1 open_image, 2 create_process_object, 3 create_initial_thread,\n"
                   "          4 notify_subsystem, 5 start_initial_thread, 6 user_init\n"
                   "  durations in ms; ~ inferred, - not observable (a stage whose end is missing is counted in the next)\n\n");
        fprintf(f, "  %4s  %-18s %-44s", "#", "created", "parent \xe2\x86\x92 child");
        for (k = 0; k < 6; k++)
            fprintf(f, " %10s", short_names[k]);
        fprintf(f, " %10s  %s\n", "total", "status");
    } else {
        /* no empty stage columns: say why once */
        fprintf(f, "  no stage is measurable: the sources record the creations only (Security 4688, or Sysmon 1\n"
                   "  without the image loads of ntdll, kernel32 and KernelBase)\n\n");
        fprintf(f, "  %4s  %-18s %-46s   %s\n", "#", "created", "parent \xe2\x86\x92 child", "status");
    }

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        stage_row rows[6];
        char whos[300], ts[64], cell[40], tot[40];
        const char *basis = col_text(st, 11) ? col_text(st, 11) : "utc";
        const char *status = col_text(st, 3);
        const char *img = col_text(st, 8), *req = col_text(st, 9), *note = col_text(st, 10);
        bool any;
        int64_t total;
        int64_t cid = sqlite3_column_int64(st, 0);

        n++;
        if (load_stages(s, sst, cid, rows) < 0) {
            rc = ps_report_db_error(s, err);
            goto out;
        }
        who(whos, sizeof whos, col_text(st, 7), sqlite3_column_type(st, 4) != SQLITE_NULL,
            sqlite3_column_int64(st, 4), img, sqlite3_column_type(st, 6) != SQLITE_NULL,
            sqlite3_column_int64(st, 6));
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(st, 2), ts, sizeof ts);
        else
            snprintf(ts, sizeof ts, "-");
        /* show the time of day only: the date is in the traces section */
        {
            char *t = strchr(ts, 'T');
            if (t)
                memmove(ts, t + 1, strlen(t));
        }
        fprintf(f, "  %4lld  %-18s ", (long long)cid, ts);
        put_padded(f, whos, 44);
        for (k = 0; measured && k < 6; k++) {
            stage_cell(o, &rows[k], cell, sizeof cell);
            if (!strcmp(rows[k].conf, "missing"))
                fprintf(f, " %s%10s%s", ps_color(o, PS_C_DIM), cell, ps_color(o, PS_C_RESET));
            else if (!strcmp(rows[k].conf, "inferred"))
                fprintf(f, " %s%10s%s", ps_color(o, PS_C_YELLOW), cell, ps_color(o, PS_C_RESET));
            else
                fprintf(f, " %10s", cell);
        }
        total = stage_total(rows, &any);
        if (any)
            ps_format_ms(total, tot, sizeof tot);
        else
            snprintf(tot, sizeof tot, "-");
        if (measured)
            fprintf(f, " %9s", tot);
        fprintf(f, "   %s%s%s\n", !strcmp(status, "complete") ? "" : ps_color(o, PS_C_YELLOW), status,
                ps_color(o, PS_C_RESET));
        if (req && img && strcmp(req, img) != 0)
            fprintf(f, "  %4s  %-18s %srequested %s, ran %s%s\n", "", "", ps_color(o, PS_C_RED), ps_tx(req), ps_tx(img),
                    ps_color(o, PS_C_RESET));
        if (sqlite3_column_type(st, 5) != SQLITE_NULL && sqlite3_column_type(st, 4) != SQLITE_NULL &&
            sqlite3_column_int64(st, 5) != sqlite3_column_int64(st, 4))
            fprintf(f, "  %4s  %-18s %screated by %s (%lld), not by its recorded parent%s\n", "", "",
                    ps_color(o, PS_C_RED), col_text(st, 16) ? col_text(st, 16) : "?",
                    (long long)sqlite3_column_int64(st, 5), ps_color(o, PS_C_RESET));
        if (note && *note)
            fprintf(f, "  %4s  %-18s %snote: %s%s\n", "", "", ps_color(o, PS_C_DIM), ps_tx(note),
                    ps_color(o, PS_C_RESET));
    }
    if (rc != SQLITE_DONE) {
        rc = ps_report_db_error(s, err);
        goto out;
    }
    fputc('\n', f);

per_image:
    if ((rc = collect(s, o, &S, err)) < 0)
        goto out;
    if (S.nimages && measured) {
        fprintf(f, "%sPER IMAGE%s  (ms over observed and inferred stages; failed creations left out)\n",
                ps_color(o, PS_C_BOLD),
                ps_color(o, PS_C_RESET));
        fprintf(f, "  %-28s %5s  %-22s %10s %10s %10s\n", "image", "n", "stage", "p50", "p95", "max");
        for (i = shown = 0; i < S.nimages; i++) {
            image_stats is;
            bool any = false;
            if (compute_stats(&S, S.images[i], &is) < 0) {
                samples_release(&S);
                rc = ps_error_nomem(err);
                goto out;
            }
            for (k = 0; k < 6; k++)
                any |= is.n[k] != 0;
            if (!any)
                continue;   /* no row of empty cells for an image none of whose stages is measured */
            shown++;
            for (k = 0; k < 6; k++) {
                char a[32], b[32], c[32];
                if (k == 0) {
                    fprintf(f, "  ");
                    put_padded(f, ps_tx(S.images[i]), 28);
                    fprintf(f, " %5zu  ", S.counts[i]);
                } else {
                    fprintf(f, "  %-28s %5s  ", "", "");
                }
                if (is.n[k]) {
                    ps_format_ms(is.p50[k], a, sizeof a);
                    ps_format_ms(is.p95[k], b, sizeof b);
                    ps_format_ms(is.max[k], c, sizeof c);
                    fprintf(f, "%-22s %10s %10s %10s", ps_stage_name(k + 1), a, b, c);
                    if (is.n[k] != S.counts[i])
                        fprintf(f, "  (%zu measured)", is.n[k]);
                    fputc('\n', f);
                } else {
                    fprintf(f, "%-22s %10s %10s %10s\n", ps_stage_name(k + 1), "-", "-", "-");
                }
            }
        }
        if (shown < S.nimages)
            fprintf(f, "  (%zu image%s without a measured stage left out)\n", S.nimages - shown,
                    S.nimages - shown == 1 ? "" : "s");
        fputc('\n', f);
    }
    samples_release(&S);
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_finalize(sst);
    return rc;
}

/* ---- JSON ------------------------------------------------------------------------ */

int ps_report_timing_json(ps_store *s, const ps_report_opts *o, ps_json *j, ps_error *err)
{
    sqlite3_stmt *st = NULL, *sst = NULL;
    int rc, k;
    int range_rc = ps_report_range_function(s, o, err);   /* --from/--to, for ps_in_range() */

    if (range_rc < 0)
        return range_rc;

    if (sqlite3_prepare_v2(ps_store_db(s), CREATION_SQL, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ps_store_db(s), STAGE_SQL, -1, &sst, NULL) != SQLITE_OK) {
        rc = ps_report_db_error(s, err);
        goto out;
    }
    sqlite3_bind_int64(st, 1, o->trace_id);
    ps_json_begin_array(j);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        stage_row rows[6];
        const char *basis = col_text(st, 11) ? col_text(st, 11) : "utc";
        char ts[64];
        bool any;
        int64_t total;

        if (load_stages(s, sst, sqlite3_column_int64(st, 0), rows) < 0) {
            rc = ps_report_db_error(s, err);
            goto out;
        }
        ps_json_begin_object(j);
        ps_json_kv_int(j, "creation_id", sqlite3_column_int64(st, 0));
        ps_json_kv_int(j, "trace_id", sqlite3_column_int64(st, 1));
        ps_json_key(j, "create_ts");
        if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
            ps_json_int(j, sqlite3_column_int64(st, 2));
            ps_format_ts(basis, sqlite3_column_int64(st, 2), ts, sizeof ts);
            ps_json_kv_str(j, "create_time", ts);
        } else {
            ps_json_null(j);
        }
        ps_json_kv_str(j, "status", col_text(st, 3));
        ps_json_kv_str(j, "anchor", col_text(st, 12));
        ps_json_key(j, "parent");
        ps_json_begin_object(j);
        ps_json_key(j, "pid");
        ps_json_column(j, st, 4);
        ps_json_kv_str(j, "name", col_text(st, 7));
        ps_json_end_object(j);
        ps_json_key(j, "creator");
        ps_json_begin_object(j);
        ps_json_key(j, "pid");
        ps_json_column(j, st, 5);
        ps_json_key(j, "tid");
        ps_json_column(j, st, 14);
        ps_json_end_object(j);
        ps_json_key(j, "child");
        ps_json_begin_object(j);
        ps_json_key(j, "pid");
        ps_json_column(j, st, 6);
        ps_json_key(j, "initial_tid");
        ps_json_column(j, st, 15);
        ps_json_end_object(j);
        ps_json_kv_str(j, "image_path", col_text(st, 8));
        ps_json_kv_str(j, "requested_image", col_text(st, 9));
        ps_json_kv_str(j, "command_line", col_text(st, 13));
        ps_json_kv_str(j, "note", col_text(st, 10));
        ps_json_key(j, "stages");
        ps_json_begin_array(j);
        for (k = 0; k < 6; k++) {
            stage_row *r = &rows[k];
            ps_json_begin_object(j);
            ps_json_kv_int(j, "stage", k + 1);
            ps_json_kv_str(j, "name", ps_stage_name(k + 1));
            ps_json_key(j, "duration_ms");
            if (r->has_duration)
                ps_json_double(j, (double)r->duration / 10000.0, 4);
            else
                ps_json_null(j);
            ps_json_kv_str(j, "confidence", r->conf);
            ps_json_key(j, "start_ts");
            if (r->has_start)
                ps_json_int(j, r->start_ts);
            else
                ps_json_null(j);
            ps_json_key(j, "end_ts");
            if (r->has_end)
                ps_json_int(j, r->end_ts);
            else
                ps_json_null(j);
            ps_json_key(j, "start_event_id");
            if (r->start_event)
                ps_json_int(j, r->start_event);
            else
                ps_json_null(j);
            ps_json_key(j, "end_event_id");
            if (r->end_event)
                ps_json_int(j, r->end_event);
            else
                ps_json_null(j);
            ps_json_kv_str(j, "evidence", r->evidence);
            ps_json_end_object(j);
        }
        ps_json_end_array(j);
        total = stage_total(rows, &any);
        ps_json_key(j, "total_ms");
        if (any)
            ps_json_double(j, (double)total / 10000.0, 4);
        else
            ps_json_null(j);
        ps_json_end_object(j);
    }
    ps_json_end_array(j);
    rc = rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
out:
    sqlite3_finalize(st);
    sqlite3_finalize(sst);
    return rc;
}

int ps_report_per_image_json(ps_store *s, const ps_report_opts *o, ps_json *j, ps_error *err)
{
    samples S;
    size_t i;
    int k, rc;
    int range_rc = ps_report_range_function(s, o, err);   /* --from/--to, for ps_in_range() */

    if (range_rc < 0)
        return range_rc;

    if ((rc = collect(s, o, &S, err)) < 0)
        return rc;
    ps_json_begin_array(j);
    for (i = 0; i < S.nimages; i++) {
        image_stats is;
        if (compute_stats(&S, S.images[i], &is) < 0) {
            samples_release(&S);
            return ps_error_nomem(err);
        }
        ps_json_begin_object(j);
        ps_json_kv_str(j, "image", S.images[i]);
        ps_json_kv_int(j, "count", (int64_t)S.counts[i]);
        ps_json_key(j, "stages");
        ps_json_begin_array(j);
        for (k = 0; k < 6; k++) {
            ps_json_begin_object(j);
            ps_json_kv_int(j, "stage", k + 1);
            ps_json_kv_str(j, "name", ps_stage_name(k + 1));
            ps_json_kv_int(j, "n", (int64_t)is.n[k]);
            if (is.n[k]) {
                ps_json_key(j, "p50_ms");
                ps_json_double(j, (double)is.p50[k] / 10000.0, 4);
                ps_json_key(j, "p95_ms");
                ps_json_double(j, (double)is.p95[k] / 10000.0, 4);
                ps_json_key(j, "max_ms");
                ps_json_double(j, (double)is.max[k] / 10000.0, 4);
            } else {
                ps_json_key(j, "p50_ms");
                ps_json_null(j);
                ps_json_key(j, "p95_ms");
                ps_json_null(j);
                ps_json_key(j, "max_ms");
                ps_json_null(j);
            }
            ps_json_end_object(j);
        }
        ps_json_end_array(j);
        ps_json_end_object(j);
    }
    ps_json_end_array(j);
    samples_release(&S);
    return 0;
}

int ps_report_each_image(ps_store *s, const ps_report_opts *o, ps_image_stats_fn fn, void *ctx, ps_error *err)
{
    samples S;
    size_t i;
    int k, rc = 0;
    int range_rc = ps_report_range_function(s, o, err);   /* --from/--to, for ps_in_range() */

    if (range_rc < 0)
        return range_rc;

    if ((rc = collect(s, o, &S, err)) < 0)
        return rc;
    for (i = 0; i < S.nimages && rc == 0; i++) {
        image_stats is;
        ps_image_stats out;
        if (compute_stats(&S, S.images[i], &is) < 0) {
            rc = ps_error_nomem(err);
            break;
        }
        memset(&out, 0, sizeof out);
        out.image = S.images[i];
        out.count = S.counts[i];
        for (k = 0; k < 6; k++) {
            out.n[k] = is.n[k];
            out.p50[k] = is.p50[k];
            out.p95[k] = is.p95[k];
            out.max[k] = is.max[k];
        }
        rc = fn(ctx, &out);
    }
    samples_release(&S);
    return rc;
}

/* ---- CSV: one row per creation and stage ----------------------------------------- */

static int timing_csv(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    FILE *f = o->out;
    int rc;

    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT c.creation_id, c.trace_id, c.parent_pid, c.child_pid, c.image_path, "
                           "c.requested_image, c.status, s.stage, s.name, s.start_ts, s.end_ts, "
                           "s.duration, s.confidence, s.start_event_id, s.end_event_id "
                           "FROM creations c JOIN stages s USING (creation_id) "
                           "WHERE (?1 = 0 OR c.trace_id = ?1) AND ps_in_range(c.create_ts) ORDER BY c.trace_id, c.create_ts, "
                           "c.creation_id, s.stage",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    fputs("creation_id,trace_id,parent_pid,child_pid,image_path,requested_image,status,stage,name,"
          "start_ts,end_ts,duration,duration_ms,confidence,start_event_id,end_event_id\n",
          f);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int c;
        for (c = 0; c < 15; c++) {
            if (c == 12) {
                /* duration_ms before confidence */
                if (sqlite3_column_type(st, 11) != SQLITE_NULL)
                    fprintf(f, ",%.4f", (double)sqlite3_column_int64(st, 11) / 10000.0);
                else
                    fputc(',', f);
            }
            ps_csv_column(f, st, c, c == 0);
        }
        fputc('\n', f);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

int ps_report_timing(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    int range_rc = ps_report_range_function(s, o, err);   /* --from/--to, for ps_in_range() */

    if (range_rc < 0)
        return range_rc;
    if (o->format == PS_FMT_CSV)
        return timing_csv(s, o, err);
    if (o->format == PS_FMT_NDJSON)
        return ps_report_json_rows(s, o, "creations", ps_report_timing_json, err);
    if (o->format == PS_FMT_JSON) {
        static const ps_json_section sections[] = {{"creations", ps_report_timing_json},
                                                   {"per_image", ps_report_per_image_json}};
        return ps_report_json_document(s, o, sections, 2, err);
    }
    return timing_text(s, o, err);
}
