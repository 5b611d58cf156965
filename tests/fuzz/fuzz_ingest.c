/*
 * fuzz_ingest - the whole pipeline over arbitrary bytes: format detection, a
 * reader, the reconstruction engine, the detectors and an in-memory model,
 * then every text and JSON report of it.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "pipeline/session.h"
#include "recon/config.h"
#include "model/store.h"
#include "rules_engine/detect.h"
#include "reports/report.h"

static ps_recon_config cfg;
static int cfg_loaded;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_input *in = NULL;
    ps_store *s = NULL;
    ps_detect *det = NULL;
    ps_ingest_opts o;
    ps_ingest_stats st;
    ps_error err;
    FILE *devnull;

    if (!cfg_loaded) {
        if (ps_recon_config_load_default(&cfg, &err) < 0)
            return 0;
        cfg_loaded = 1;
    }
    memset(&o, 0, sizeof o);
    ps_input_opts_init(&o.input);
    o.input.max_decompressed = PS_FUZZ_MAX_DECOMPRESSED;
    o.input.zstd_window_log_max = PS_FUZZ_WINDOW_LOG;
    o.config = &cfg;
    if (ps_input_open_mem(data, size, "fuzz", &o.input, &in, &err) < 0)
        return 0;
    if (ps_store_open_memory(&s, &err) < 0 || ps_detect_new(s, &det, &err) < 0)
        goto out;
    o.detect = det;
    if (ps_ingest_input(s, in, "fuzz", &o, &st, &err) < 0 || ps_store_commit(s, &err) < 0)
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
    ps_detect_free(det);
    ps_store_close(s);
    ps_input_close(in);
    return 0;
}
