/*
 * Allocation failures (libyal style): ingest a fixture into a new model and
 * report on it, failing the Nth allocation for N = 1, 2, ... until a run
 * completes without reaching N.  procstage's own allocations are wrapped with
 * the linker (--wrap=malloc,calloc,realloc,free), SQLite's through
 * SQLITE_CONFIG_MALLOC.  Every run must end cleanly: either a full result
 * identical to the reference run, or an error (out of memory, or the
 * database error SQLite reports) with no database left behind; and every
 * block procstage allocated must be freed again.  The ingest runs the
 * default rule pack; a last phase compiles that pack under the same
 * failures.  PS_FAIL_AT=N (ingest) or PS_PACK_FAIL_AT=N (the pack) runs the
 * one failure N and prints where it happened.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/session.h"
#include "model/store.h"
#include "reports/report.h"
#include "ingest.h"
#include "tap.h"

#include "nomem.h"

typedef struct result {
    int rc, code;
    long long events, creations, boundaries, findings;
} result;

static char db[512];
static ps_recon_config cfg;

static result run_once(const char *fixture)
{
    result r;
    ps_store *s = NULL;
    ps_error err;
    FILE *devnull = fopen("/dev/null", "w");

    memset(&r, 0, sizeof r);
    unlink(db);
    ps_error_clear(&err);
    r.rc = ps_store_open_write(db, &s, &err);
    if (r.rc == 0)
        r.rc = test_ingest(s, fixture, &cfg, NULL, NULL, &err);
    if (r.rc == 0)
        r.rc = ps_store_commit(s, &err);
    if (r.rc == 0) {
        ps_report_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.out = devnull;
        r.rc = ps_report_timing(s, &ro, &err);
        if (r.rc == 0)
            r.rc = ps_report_findings(s, &ro, &err);
    }
    r.code = r.rc < 0 ? err.code : 0;
    ps_store_close(s);
    fclose(devnull);
    return r;
}

/* The reports people look at, on the committed model: the tree, the record
 * exports, the HTML page and the Perfetto trace. */
static int report_once(void)
{
    static int (*const reports[])(ps_store *, const ps_report_opts *, ps_error *) = {
        ps_report_tree, ps_report_stages, ps_report_processes, ps_report_html, ps_report_perfetto};
    ps_store *s = NULL;
    ps_error err;
    FILE *devnull = fopen("/dev/null", "w");
    size_t i;
    int rc;

    ps_error_clear(&err);
    rc = ps_store_open_read(db, &s, &err);
    for (i = 0; rc == 0 && i < sizeof reports / sizeof reports[0]; i++) {
        ps_report_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.out = devnull;
        ro.format = i == 1 ? PS_FMT_CSV : i == 2 ? PS_FMT_NDJSON : PS_FMT_TEXT;
        rc = reports[i](s, &ro, &err);
    }
    ps_store_close(s);
    fclose(devnull);
    return rc < 0 && err.code != PS_ERR_NOMEM && err.code != PS_ERR_DB ? -2 : rc;
}

static void measure(result *r)
{
    long saved = fail_at;
    fail_at = -1;
    r->events = count(db, "SELECT count(*) FROM events");
    r->creations = count(db, "SELECT count(*) FROM creations");
    r->boundaries = count(db, "SELECT count(*) FROM boundaries WHERE confidence <> 'missing'");
    r->findings = count(db, "SELECT count(*) FROM findings");
    fail_at = saved;
}

int main(void)
{
    char fixture[1024];
    const char *src = getenv("top_srcdir");
    result ref, r;
    long n, base_live, bad_rc = 0, leaks = 0, partial = 0, runs = 0, silent = 0;
    struct stat sb;
    ps_error err;
    sqlite3_mem_methods m;

    snprintf(fixture, sizeof fixture, "%s/fixtures/ifeo_hijack.csv", src && *src ? src : ".");
    if (access(fixture, R_OK) != 0)
        tap_skip_all("fixtures not found (set top_srcdir)");
    /* thousands of runs each create and sync a database: use memory-backed
     * storage when the system has it */
    if (access("/dev/shm", W_OK) == 0)
        setenv("TMPDIR", "/dev/shm", 1);
    snprintf(db, sizeof db, "%s/nomem.db", tap_tmpdir());
    sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sql_default);
    m = sql_default;
    m.xMalloc = sql_malloc;
    m.xRealloc = sql_realloc;
    sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
    if (ps_recon_config_load_default(&cfg, &err) < 0) {
        printf("Bail out! %s\n", err.msg);
        return 1;
    }

    /* the default pack (the IFEO detectors) is compiled once, as the CLI
     * does; its compilation under failures is checked at the end */
    test_default_pack(&err);
    if (!test_pack) {
        printf("Bail out! %s\n", err.msg);
        return 1;
    }

    base_live = live;
    ref = run_once(fixture);
    ok(ref.rc == 0, "reference run succeeds");
    measure(&ref);
    ok(ref.creations == 1 && ref.findings == 1, "reference: one creation, one finding");
    ok(live == base_live, "reference run frees everything (%ld blocks)", live - base_live);

    if (getenv("PS_FAIL_AT")) {
        trace_fail = 1;
        fail_at = atol(getenv("PS_FAIL_AT"));
        calls = 0;
        r = run_once(fixture);
        fail_at = -1;
        measure(&r);
        printf("# rc %d events %lld creations %lld boundaries %lld findings %lld leaked %ld\n", r.rc, r.events, r.creations, r.boundaries, r.findings, live - base_live);
        return 0;
    }
    for (n = 1;; n++) {
        fail_at = n;
        calls = 0;
        base_live = live;
        r = run_once(fixture);
        fail_at = -1;
        runs++;
        if (calls < n)
            break;   /* completed without reaching allocation n */
        if (live != base_live) {
            if (leaks < 5)
                printf("# allocation %ld: %ld blocks not freed\n", n, live - base_live);
            leaks++;
        }
        if (r.rc < 0) {
            if (r.code != PS_ERR_NOMEM && r.code != PS_ERR_DB) {
                if (bad_rc < 5)
                    printf("# allocation %ld: error code %d\n", n, r.code);
                bad_rc++;
            }
        }
        /* the guarantee: no database, or a complete one (a failure after
         * the rename - reopening, reporting - leaves the complete model) */
        if (stat(db, &sb) == 0) {
            measure(&r);
            if (r.events != ref.events || r.creations != ref.creations || r.boundaries != ref.boundaries ||
                r.findings != ref.findings) {
                if (partial < 5)
                    printf("# allocation %ld: an incomplete database (%lld events, %lld creations, %lld "
                           "findings)\n",
                           n, r.events, r.creations, r.findings);
                partial++;
            }
        } else if (r.rc == 0) {
            if (silent < 5)
                printf("# allocation %ld: success without a database\n", n);
            silent++;
        }
    }
    ok(runs > 100, "%ld allocation points exercised", runs - 1);
    is_int(leaks, 0, "no leak after any failure");
    is_int(bad_rc, 0, "every failure is reported as out of memory or a database error");
    is_int(partial, 0, "every database left on disk is the complete model");
    is_int(silent, 0, "every success leaves the database");

    /* the reports of a model, alone: the model as the reference run left it */
    ref = run_once(fixture);
    base_live = live;
    ok(ref.rc == 0 && report_once() == 0, "reports on the model");
    ok(live == base_live, "the reports free everything (%ld blocks)", live - base_live);
    leaks = bad_rc = runs = silent = 0;
    for (n = 1;; n++) {
        int rc;
        fail_at = n;
        calls = 0;
        base_live = live;
        rc = report_once();
        fail_at = -1;
        runs++;
        if (calls < n)
            break;
        if (live != base_live) {
            if (leaks < 5)
                printf("# reports, allocation %ld: %ld blocks not freed\n", n, live - base_live);
            leaks++;
        }
        if (rc == -2) {
            if (bad_rc < 5)
                printf("# reports, allocation %ld: an error that is not out of memory\n", n);
            bad_rc++;
        }
        if (rc == 0)
            silent++;
    }
    /* SQLite recovers from some failures, and gives NULL for a value it
     * cannot convert to text without memory */
    printf("# reports: %ld failed allocations without an error\n", silent);
    ok(runs > 100, "reports: %ld allocation points exercised", runs - 1);
    is_int(leaks, 0, "reports: no leak after any failure");
    is_int(bad_rc, 0, "reports: every failure is out of memory or a database error");

    /* compiling the default rule pack */
    leaks = bad_rc = runs = silent = 0;
    for (n = getenv("PS_PACK_FAIL_AT") ? atol(getenv("PS_PACK_FAIL_AT")) : 1;; n++) {
        ps_ruleset *rs = NULL;
        int rc;
        trace_fail = getenv("PS_PACK_FAIL_AT") != NULL;
        fail_at = n;
        calls = 0;
        base_live = live;
        ps_error_clear(&err);
        rc = ps_ruleset_new(&rs, &err);
        if (rc == 0)
            rc = ps_ruleset_add_default(rs, &err);
        if (rc == 0)
            rc = ps_ruleset_finish(rs, &err);
        ps_ruleset_free(rs);
        fail_at = -1;
        runs++;
        if (calls < n)
            break;
        if (live != base_live) {
            if (leaks < 5)
                printf("# rule pack, allocation %ld: %ld blocks not freed\n", n, live - base_live);
            leaks++;
        }
        if (rc < 0 && err.code != PS_ERR_NOMEM) {
            if (bad_rc < 5)
                printf("# rule pack, allocation %ld: %s\n", n, err.msg);
            bad_rc++;
        }
        if (rc == 0) {
            if (silent < 5)
                printf("# rule pack, allocation %ld: no error\n", n);
            silent++;
        }
        if (trace_fail)
            break;
    }
    ok(runs > 100, "rule pack: %ld allocation points exercised", runs - 1);
    is_int(leaks, 0, "rule pack: no leak after any failure");
    is_int(bad_rc, 0, "rule pack: every failure is out of memory");
    is_int(silent, 0, "rule pack: every failure is reported");
    ps_ruleset_free(test_pack);
    ps_recon_config_release(&cfg);
    return tap_done();
}
