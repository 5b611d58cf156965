/*
 * fuzz_ingest - the whole pipeline over arbitrary bytes: the ingest session
 * `procstage ingest` runs (pipeline/session.h: format detection, a reader,
 * stack attribution, the reconstruction engine, the default rule pack and
 * the built-in detectors) into an in-memory model, then every text and JSON
 * report of it.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "model/store.h"
#include "pipeline/session.h"
#include "recon/config.h"
#include "reports/report.h"
#include "rules_engine/rules.h"

static ps_recon_config cfg;
static ps_ruleset *pack;
static int cfg_loaded;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_input *in = NULL;
    ps_store *s = NULL;
    ps_session *ss = NULL;
    ps_session_opts o;
    ps_error err;
    FILE *devnull;
    int rc;

    if (!cfg_loaded) {
        if (ps_recon_config_load_default(&cfg, &err) < 0 || ps_ruleset_new(&pack, &err) < 0 ||
            ps_ruleset_add_default(pack, &err) < 0 || ps_ruleset_finish(pack, &err) < 0)
            return 0;
        cfg_loaded = 1;
    }
    /* the options of `procstage ingest` with the default pack */
    ps_session_opts_init(&o);
    o.input.max_decompressed = PS_FUZZ_MAX_DECOMPRESSED;
    o.input.zstd_window_log_max = PS_FUZZ_WINDOW_LOG;
    o.config = &cfg;
    o.rules = pack;
    if (ps_input_open_mem(data, size, "fuzz", &o.input, &in, &err) < 0)
        return 0;
    if (ps_store_open_memory(&s, &err) < 0 || ps_session_new(s, &o, &ss, &err) < 0)
        goto out;
    rc = ps_session_add_input(ss, in, "fuzz", NULL, &err);
    ps_session_free(ss);
    ss = NULL;
    if (rc < 0 || ps_store_commit(s, &err) < 0)
        goto out;
    devnull = fopen("/dev/null", "w");
    if (devnull) {
        ps_report_opts ro;
        memset(&ro, 0, sizeof ro);
        ro.out = devnull;
        ps_report_traces(s, &ro, &err);
        ps_report_timing(s, &ro, &err);
        ps_report_findings(s, &ro, &err);
        ps_report_creations(s, &ro, &err);
        ro.format = PS_FMT_JSON;
        ps_report_analysis_json(s, &ro, &err);
        ro.format = PS_FMT_CSV;
        ps_report_timing(s, &ro, &err);
        /* the reports people look at: tree, record exports, HTML, Perfetto */
        ps_report_stages(s, &ro, &err);
        ro.format = PS_FMT_NDJSON;
        ps_report_processes(s, &ro, &err);
        ro.format = PS_FMT_TEXT;
        ps_report_tree(s, &ro, &err);
        ps_report_stages(s, &ro, &err);
        ps_report_processes(s, &ro, &err);
        ps_report_html(s, &ro, &err);
        ps_report_perfetto(s, &ro, &err);
        fclose(devnull);
    }
out:
    ps_session_free(ss);
    ps_store_close(s);
    ps_input_close(in);
    return 0;
}
