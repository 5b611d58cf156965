/*
 * cmd_analyze.c - procstage analyze TRACE... : ingest, reconstruct, detect,
 * report.  Without -o the model lives in a temporary database removed at exit.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/escape.h"
#include "model/store.h"
#include "parsers/reader.h"
#include "rules_engine/detect.h"
#include "reports/report.h"

enum { OPT_FORMAT = PS_OPT_COMMAND, OPT_FINDINGS_ONLY };

static const ps_cli_opt analyze_opts[] = {
    {"output", 'o', required_argument, "DB",
     "keep the model in DB (created, or appended to);\ndefault: a temporary database removed at exit", false},
    {"format", OPT_FORMAT, required_argument, "FORMAT", "text (default) or json", false},
    {"fail-on", PS_OPT_FAIL_ON, required_argument, "SEVERITY",
     "exit 1 when a finding is at least this severe:\ninfo, low, medium, high, critical, none (default)", false},
    {"html", PS_OPT_HTML, required_argument, "FILE", "also write the HTML report to FILE (as 'report html')", false},
    {"perfetto", PS_OPT_PERFETTO, required_argument, "FILE", "also write the Chrome trace-event JSON to FILE", false},
    {"min-severity", PS_OPT_MIN_SEVERITY, required_argument, "SEV",
     "show findings of at least SEV (info, low, medium, high,\ncritical); --fail-on still sees them all", false},
    {"findings-only", OPT_FINDINGS_ONLY, no_argument, NULL, "print the findings only (text), no traces or timings", false},
    {"from", PS_OPT_FROM, required_argument, "TIME",
     "show creations and findings from TIME on (YYYY-MM-DD[THH:MM[:SS]]),\nin each trace's own time basis", false},
    {"to", PS_OPT_TO, required_argument, "TIME", "show creations and findings up to TIME (a date: to its end)", false},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const analyze_tables[] = {analyze_opts, ps_cli_input_opts, ps_cli_ingest_opts, NULL};

static int run(ps_cli *cli, int argc, char **argv)
{
    const char *out = NULL, *recon = NULL, *html = NULL, *perfetto = NULL;
    ps_cli_ingest io;
    ps_recon_config cfg;
    ps_store *store = NULL;
    ps_report_opts ro;
    ps_error err;
    int c, rc, fail_on = -1, min_severity = 0;
    bool findings_only = false, measured = true;

    memset(&io, 0, sizeof io);
    memset(&ro, 0, sizeof ro);
    ps_input_opts_init(&io.input);
    ro.format = PS_FMT_TEXT;
    while ((c = ps_cli_getopt(cli, &ps_cmd_analyze, argc, argv)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case OPT_FORMAT:
            if (ps_out_format_parse(optarg, &ro.format) < 0 || ro.format == PS_FMT_CSV || ro.format == PS_FMT_NDJSON)
                return ps_cli_usage(cli, "analyze", "--format takes text or json, not '%s'", optarg);
            break;
        case PS_OPT_FAIL_ON:
            if (ps_cli_parse_severity(optarg, &fail_on, true) < 0)
                return ps_cli_usage(cli, "analyze",
                                    "--fail-on takes info, low, medium, high, critical or none, not '%s'",
                                    optarg);
            break;
        case PS_OPT_HTML:
            html = optarg;
            break;
        case PS_OPT_PERFETTO:
            perfetto = optarg;
            break;
        case PS_OPT_MIN_SEVERITY:
            if (ps_cli_parse_severity(optarg, &min_severity, false) < 0)
                return ps_cli_usage(cli, "analyze", "--min-severity takes info, low, medium, high or critical, not '%s'",
                                    optarg);
            break;
        case OPT_FINDINGS_ONLY:
            findings_only = true;
            break;
        case PS_OPT_FROM:
        case PS_OPT_TO:
            if (ps_cli_parse_time(optarg, c == PS_OPT_TO, c == PS_OPT_FROM ? &ro.from_ts : &ro.to_ts) < 0)
                return ps_cli_usage(cli, "analyze", "--%s takes a time (YYYY-MM-DD[THH:MM[:SS[.fffffff]]]), not '%s'",
                                    c == PS_OPT_FROM ? "from" : "to", ps_tx(optarg));
            if (c == PS_OPT_FROM)
                ro.has_from = true;
            else
                ro.has_to = true;
            break;
        case 'h':
            ps_cli_help(&ps_cmd_analyze, stdout);
            return PS_EXIT_OK;
        default:
            rc = ps_cli_ingest_option(cli, "analyze", c, optarg, &io, &recon);
            if (rc == 1)
                break;
            return rc ? rc : ps_cli_bad_option(cli, "analyze", argv, c);
        }
    }
    if (optind >= argc)
        return ps_cli_usage(cli, "analyze", "no trace given");
    if ((rc = ps_cli_load_config(cli, recon, &cfg)) != 0)
        return rc;
    io.config = &cfg;
    ps_error_clear(&err);
    if ((rc = ps_cli_build_model(cli, out, argv + optind, argc - optind, &io, &store)) != PS_EXIT_OK)
        goto out;
    if (out) {
        /* write mode reopened the committed model read-only: report from it */
        ps_cli_verbose(cli, "model written to %s", out);
    }

    ro.out = stdout;
    ro.color = ro.format == PS_FMT_TEXT && ps_cli_color_stdout(cli);
    ro.width = ps_cli_stdout_width();
    ro.min_severity = min_severity;
    if (ro.format == PS_FMT_JSON) {
        if (ps_report_analysis_json(store, &ro, &err) < 0) {
            rc = ps_cli_fail(cli, &err);
            goto out;
        }
    } else if (findings_only) {
        if (ps_report_findings(store, &ro, &err) < 0) {
            rc = ps_cli_fail(cli, &err);
            goto out;
        }
    } else if (ps_report_stages_measured(store, &ro, &measured, &err) < 0 || ps_report_traces(store, &ro, &err) < 0 ||
               /* sources that cannot time stages: the findings first */
               (!measured && ps_report_findings(store, &ro, &err) < 0) || ps_report_timing(store, &ro, &err) < 0 ||
               (measured && ps_report_findings(store, &ro, &err) < 0)) {
        rc = ps_cli_fail(cli, &err);
        goto out;
    }
    {
        ps_report_opts fo = ro;   /* files: no colour, their own format */
        fo.color = false;
        if (html && (rc = ps_cli_report_to(cli, html, ps_report_html, store, &fo)) != PS_EXIT_OK)
            goto out;
        if (perfetto && (rc = ps_cli_report_to(cli, perfetto, ps_report_perfetto, store, &fo)) != PS_EXIT_OK)
            goto out;
    }
    rc = ps_cli_fail_on(cli, store, 0, fail_on);
out:
    ps_store_close(store);
    ps_recon_config_release(&cfg);
    return rc;
}

const ps_command ps_cmd_analyze = {
    .name = "analyze",
    .summary = "ingest traces, reconstruct creations, print timings and findings",
    .synopsis = "TRACE... [OPTION]...",
    .description = "Ingest traces, split every process creation into the six CreateProcess stages\n"
                   "(open_image, create_process_object, create_initial_thread, notify_subsystem,\n"
                   "start_initial_thread, user_init), and print the timing and findings report.\n"
                   "TRACE is a file or - for standard input, plain or zstd-compressed.",
    .options = analyze_tables,
    .run = run,
};
