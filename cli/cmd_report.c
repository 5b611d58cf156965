/*
 * cmd_report.c - procstage report KIND DB: timing, findings, creations,
 * traces, stages, processes, tree, html, perfetto
 */
#include <limits.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/escape.h"
#include "model/store.h"
#include "reports/report.h"

static void kinds_help(FILE *f)
{
    const ps_report_kind *k;
    size_t i;

    fprintf(f, "\nKinds:\n");
    for (i = 0; (k = ps_report_kind_at(i)) != NULL; i++)
        fprintf(f, "  %-10s %s\n", k->name, k->summary);
}

static const ps_cli_opt report_opts[] = {
    {"format", 'f', required_argument, "FORMAT",
     "text (default), json, csv or ndjson (one JSON object\nper line); tree is text only, html and perfetto\n"
     "write their own format",
     false},
    {"output", 'o', required_argument, "FILE", "write to FILE (replaced atomically) instead of stdout", false},
    {"trace", PS_OPT_TRACE, required_argument, "N", "only trace N (traces.trace_id)", false},
    {"min-severity", PS_OPT_MIN_SEVERITY, required_argument, "SEV", "findings: hide findings below SEV", false},
    {"fail-on", PS_OPT_FAIL_ON, required_argument, "SEVERITY", "exit 1 when a finding is at least this severe", false},
    {"unicode", PS_OPT_UNICODE, no_argument, NULL, "tree: box drawing characters (default on a terminal)", false},
    {"ascii", PS_OPT_ASCII, no_argument, NULL, "tree: ASCII lines", false},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const report_tables[] = {report_opts, NULL};

static int run(ps_cli *cli, int argc, char **argv)
{
    ps_report_opts ro;
    ps_store *store = NULL;
    ps_error err;
    int c, rc, fail_on = -1, box = -1;
    const ps_report_kind *k;
    const char *kind, *db, *out = NULL;
    bool format_given = false;
    unsigned fmts;

    memset(&ro, 0, sizeof ro);
    ro.format = PS_FMT_TEXT;
    while ((c = ps_cli_getopt(cli, &ps_cmd_report, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            if (ps_out_format_parse(optarg, &ro.format) < 0)
                return ps_cli_usage(cli, "report", "--format takes text, json, csv or ndjson, not '%s'", optarg);
            format_given = true;
            break;
        case 'o':
            out = optarg;
            break;
        case PS_OPT_UNICODE:
            box = 1;
            break;
        case PS_OPT_ASCII:
            box = 0;
            break;
        case PS_OPT_TRACE: {
            long long v;
            if (ps_cli_parse_int(optarg, 1, LLONG_MAX, &v) < 0)
                return ps_cli_usage(cli, "report", "--trace takes a trace id (1 to %lld), not '%s'", LLONG_MAX,
                                    ps_tx(optarg));
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
            ps_cli_help(&ps_cmd_report, stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_bad_option(cli, "report", argv, c);
        }
    }
    if (argc - optind != 2)
        return ps_cli_usage(cli, "report", "expected KIND and DB");
    kind = argv[optind];
    db = argv[optind + 1];
    if (!(k = ps_report_kind_find(kind)))
        return ps_cli_usage(cli, "report", "unknown report '%s'", kind);
    fmts = k->formats;
    if ((fmts & PS_FMTS_OWN) && format_given)
        return ps_cli_usage(cli, "report", "report %s writes its own format; --format does not apply", kind);
    if (!format_given && !(fmts & PS_FMTS_OWN) && !(fmts & (1u << PS_FMT_TEXT)) && (fmts & (1u << PS_FMT_CSV)))
        ro.format = PS_FMT_CSV;   /* a report without a text form (timeline): its CSV */
    if (!(fmts & PS_FMTS_OWN) && !(fmts & (1u << ro.format)))
        return ps_cli_usage(cli, "report", "report %s does not write %s%s", kind, ps_out_format_name(ro.format),
                            !strcmp(kind, "tree") ? " (report processes does)" : "");
    ps_error_clear(&err);
    if (ps_store_open_read(db, &store, &err) < 0)
        return ps_cli_fail(cli, &err);
    {
        bool to_stdout = !out || !strcmp(out, "-");
        ro.color = ro.format == PS_FMT_TEXT && !(fmts & PS_FMTS_OWN) && ps_cli_color_stdout(cli) &&
                   (to_stdout || cli->color_mode == 1);
        ro.unicode = box >= 0 ? box == 1 : to_stdout && cli->stdout_tty;
        ro.width = to_stdout ? ps_cli_stdout_width() : 0;
    }
    if ((rc = ps_cli_report_to(cli, out, k->run, store, &ro)) != PS_EXIT_OK)
        goto out;
    rc = ps_cli_fail_on(cli, store, ro.trace_id, fail_on);
out:
    ps_store_close(store);
    return rc;
}

const ps_command ps_cmd_report = {
    .name = "report",
    .summary = "reports from a database: timings, findings, tree, HTML, Perfetto...",
    .synopsis = "KIND DB [OPTION]...",
    .description = "Print a report from a procstage database.",
    .options = report_tables,
    .help_more = kinds_help,
    .run = run,
};
