/*
 * cmd_report.c - procstage report timing|findings|creations|traces DB
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "model/store.h"
#include "reports/report.h"

static const struct {
    const char *name;
    int (*run)(ps_store *, const ps_report_opts *, ps_error *);
    const char *summary;
} kinds[] = {
    {"timing", ps_report_timing, "per creation: the six stage durations; per image: p50/p95/max"},
    {"findings", ps_report_findings, "findings with severity, technique and evidence"},
    {"creations", ps_report_creations, "one row per process creation"},
    {"traces", ps_report_traces, "the ingested traces and their time basis"},
};

static void report_usage(FILE *f)
{
    size_t i;
    fprintf(f, "Usage: procstage report KIND DB [OPTION]...\n"
               "Print a report from a procstage database.\n\nKinds:\n");
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        fprintf(f, "  %-10s %s\n", kinds[i].name, kinds[i].summary);
    fprintf(f, "\n"
               "  -f, --format FORMAT     text (default), json or csv\n"
               "      --trace N           only trace N (traces.trace_id)\n"
               "      --min-severity SEV  findings: hide findings below SEV\n"
               "      --fail-on SEVERITY  exit 1 when a finding is at least this severe\n"
               "  -h, --help              show this help and exit\n");
}

int cmd_report(ps_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"trace", required_argument, NULL, PS_OPT_TRACE},
        {"min-severity", required_argument, NULL, PS_OPT_MIN_SEVERITY},
        {"fail-on", required_argument, NULL, PS_OPT_FAIL_ON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    ps_report_opts ro;
    ps_store *store = NULL;
    ps_error err;
    int c, rc, fail_on = -1;
    size_t k;
    const char *kind, *db;

    memset(&ro, 0, sizeof ro);
    ro.format = PS_FMT_TEXT;
    while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (ps_out_format_parse(optarg, &ro.format) < 0)
                return ps_cli_usage(cli, "report", "--format takes text, json or csv, not '%s'", optarg);
            break;
        case PS_OPT_TRACE: {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (*end || v <= 0)
                return ps_cli_usage(cli, "report", "--trace takes a trace id, not '%s'", optarg);
            ro.trace_id = v;
            break;
        }
        case PS_OPT_MIN_SEVERITY:
            if (ps_cli_parse_severity(optarg, &ro.min_severity, false) < 0)
                return ps_cli_usage(cli, "report", "unknown severity '%s'", optarg);
            break;
        case PS_OPT_FAIL_ON:
            if (ps_cli_parse_severity(optarg, &fail_on, true) < 0)
                return ps_cli_usage(cli, "report", "unknown severity '%s'", optarg);
            break;
        case 'h':
            report_usage(stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_bad_option(cli, "report", argv, c);
        }
    }
    if (argc - optind != 2)
        return ps_cli_usage(cli, "report", "expected KIND and DB");
    kind = argv[optind];
    db = argv[optind + 1];
    for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (!strcmp(kinds[k].name, kind))
            break;
    if (k == sizeof kinds / sizeof kinds[0])
        return ps_cli_usage(cli, "report", "unknown report '%s'", kind);
    ps_error_clear(&err);
    if (ps_store_open_read(db, &store, &err) < 0)
        return ps_cli_fail(cli, &err);
    ro.out = stdout;
    ro.color = ro.format == PS_FMT_TEXT && ps_cli_color_stdout(cli);
    if (kinds[k].run(store, &ro, &err) < 0) {
        rc = ps_cli_fail(cli, &err);
        goto out;
    }
    rc = ps_cli_fail_on(cli, store, ro.trace_id, fail_on);
out:
    ps_store_close(store);
    return rc;
}
