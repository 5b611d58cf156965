/*
 * Allocation failures in the source catalogue and stack attribution (see
 * test_nomem.c for the method): scan a ReactOS-style fixture into a new
 * model, ingest the Procmon XML trace with symbolised stacks with a symbol
 * file, report the catalogue - failing the Nth allocation.  Every run must
 * end with out-of-memory or a database error, free every block, and leave
 * no database or the complete one; and a run that succeeds must have the
 * complete result (no data dropped silently).  PS_NOMEM_STRIDE=K fails
 * every Kth allocation only (default 3, to keep `make check` short; 1 runs
 * them all).
 */
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "pipeline/session.h"
#include "source/catalogue.h"
#include "source/stage_map.h"
#include "model/store.h"
#include "reports/source.h"
#include "tap.h"

#include "nomem.h"

typedef struct result {
    int rc, code;
    long long functions, calls, params, staged, stack_stages, boundaries;
} result;

static char db[512], src[1024], trace[1024], syms[1024];
static ps_recon_config cfg;

static result run_once(void)
{
    result r;
    ps_store *s = NULL;
    ps_src_store *ss = NULL;
    ps_stage_map map;
    ps_session_opts o;
    ps_error err;
    bool have_map = false;
    FILE *devnull = fopen("/dev/null", "w");

    memset(&r, 0, sizeof r);
    unlink(db);
    ps_error_clear(&err);
    r.rc = ps_store_open_write(db, &s, &err);
    if (r.rc == 0 && (r.rc = ps_stage_map_load_default(&map, &err)) == 0)
        have_map = true;
    if (r.rc == 0)
        r.rc = ps_src_store_new(s, &map, NULL, &ss, &err);
    if (r.rc == 0)
        r.rc = ps_src_store_path(ss, src, &err);
    if (r.rc == 0)
        r.rc = ps_src_store_finish(ss, NULL, &err);
    ps_src_store_free(ss);
    if (r.rc == 0) {
        /* the session's attribution reads the catalogue just stored */
        ps_session_opts_init(&o);
        o.detectors = false;
        o.symbols = syms;
        r.rc = test_ingest(s, trace, &cfg, &o, NULL, &err);
    }
    if (r.rc == 0)
        r.rc = ps_store_commit(s, &err);
    if (r.rc == 0) {
        ps_report_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.out = devnull;
        r.rc = ps_report_source(s, &ro, 0, &err);
        if (r.rc == 0)
            r.rc = ps_report_source_dot(s, devnull, 0, &err);
    }
    r.code = r.rc < 0 ? err.code : 0;
    if (r.rc < 0 && getenv("PS_NOMEM_VERBOSE"))
        printf("# %s\n", err.msg);
    if (have_map)
        ps_stage_map_release(&map);
    ps_store_close(s);
    fclose(devnull);
    return r;
}

static void measure(result *r)
{
    long saved = fail_at;
    fail_at = -1;
    r->functions = count(db, "SELECT count(*) FROM src_functions WHERE stage IS NOT NULL");
    r->calls = count(db, "SELECT count(*) FROM src_calls");
    r->params = count(db, "SELECT count(*) FROM src_params");
    r->staged = count(db, "SELECT count(*) FROM v_event_frame_stage");
    r->stack_stages = count(db, "SELECT count(*) FROM stack_stages WHERE resolved_by = 'symbols'");
    r->boundaries = count(db, "SELECT count(*) FROM boundaries WHERE confidence = 'observed'");
    fail_at = saved;
}

static bool same(const result *a, const result *b)
{
    return a->functions == b->functions && a->calls == b->calls && a->params == b->params &&
           a->staged == b->staged && a->stack_stages == b->stack_stages && a->boundaries == b->boundaries;
}

int main(void)
{
    const char *top = getenv("top_srcdir");
    const char *stride_env = getenv("PS_NOMEM_STRIDE");
    long stride = stride_env && atol(stride_env) > 0 ? atol(stride_env) : 3;
    result ref, r;
    long n, base_live, bad_rc = 0, leaks = 0, partial = 0, runs = 0, silent = 0, dropped = 0;
    struct stat sb;
    ps_error err;

    if (!top || !*top)
        top = ".";
    snprintf(src, sizeof src, "%s/fixtures/source/reactos/dll/ntdll/ldr/ldrinit.c", top);
    snprintf(trace, sizeof trace, "%s/fixtures/source/stacks.xml", top);
    snprintf(syms, sizeof syms, "%s/fixtures/source/stacks.sym", top);
    if (access(src, R_OK) != 0 || access(trace, R_OK) != 0)
        tap_skip_all("fixtures not found (set top_srcdir)");
    if (access("/dev/shm", W_OK) == 0)
        setenv("TMPDIR", "/dev/shm", 1);
    snprintf(db, sizeof db, "%s/nomem-source.db", tap_tmpdir());
    nomem_install();
    if (ps_recon_config_load_default(&cfg, &err) < 0) {
        printf("Bail out! %s\n", err.msg);
        return 1;
    }

    base_live = live;
    ref = run_once();
    ok(ref.rc == 0, "reference run succeeds");
    measure(&ref);
    ok(ref.functions == 7 && ref.staged == 15 && ref.stack_stages == 1 && ref.boundaries == 7,
       "reference: 7 staged functions, 15 events staged by stacks, 1 by symbols, 7 observed boundaries");
    ok(live == base_live, "reference run frees everything (%ld blocks)", live - base_live);

    if (getenv("PS_FAIL_AT")) {   /* one run, with the failing allocation's backtrace */
        trace_fail = 1;
        fail_at = atol(getenv("PS_FAIL_AT"));
        calls = 0;
        base_live = live;
        r = run_once();
        fail_at = -1;
        printf("# rc %d code %d leaked %ld\n", r.rc, r.code, live - base_live);
        return 0;
    }
    for (n = 1;; n += stride) {
        fail_at = n;
        calls = 0;
        base_live = live;
        r = run_once();
        fail_at = -1;
        runs++;
        if (calls < n)
            break;
        if (live != base_live) {
            if (leaks < 5)
                printf("# allocation %ld: %ld blocks not freed\n", n, live - base_live);
            leaks++;
        }
        if (r.rc < 0 && r.code != PS_ERR_NOMEM && r.code != PS_ERR_DB) {
            if (bad_rc < 5)
                printf("# allocation %ld: error code %d\n", n, r.code);
            bad_rc++;
        }
        if (stat(db, &sb) == 0) {
            measure(&r);
            if (!same(&r, &ref)) {
                if (partial < 5)
                    printf("# allocation %ld: an incomplete database (%lld functions, %lld staged events)\n", n,
                           r.functions, r.staged);
                partial++;
            }
        } else if (r.rc == 0) {
            if (silent < 5)
                printf("# allocation %ld: success without a database\n", n);
            silent++;
        }
        if (r.rc == 0 && stat(db, &sb) == 0 && !same(&r, &ref))
            dropped++;
    }
    ok(runs > 100, "%ld allocation points exercised (every %ld)", runs - 1, stride);
    is_int(leaks, 0, "no leak after any failure");
    is_int(bad_rc, 0, "every failure is reported as out of memory or a database error");
    is_int(partial, 0, "every database left on disk is the complete model");
    is_int(silent, 0, "every success leaves the database");
    is_int(dropped, 0, "no success with data dropped");
    unlink(db);
    rmdir(tap_tmpdir());
    ps_recon_config_release(&cfg);
    return tap_done();
}
