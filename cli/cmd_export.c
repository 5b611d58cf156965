/*
 * cmd_export.c - procstage export (--elastic | --timesketch | --clickhouse
 * URL) DB: the model for Elasticsearch/OpenSearch, Timesketch or ClickHouse
 * (reports/export.h, docs/exports.md).
 */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/escape.h"
#include "model/store.h"
#include "reports/export.h"
#include "reports/output.h"

enum {
    OPT_ELASTIC = PS_OPT_COMMAND,
    OPT_TIMESKETCH,
    OPT_CLICKHOUSE,
    OPT_DATABASE,
    OPT_INDEX,
    OPT_BATCH,
    OPT_DDL,
};

static const ps_cli_opt export_opts[] = {
    {"elastic", OPT_ELASTIC, no_argument, NULL,
     "Elasticsearch / OpenSearch _bulk NDJSON with ECS names", false},
    {"timesketch", OPT_TIMESKETCH, no_argument, NULL, "Timesketch JSONL (message, datetime, timestamp_desc)",
     false},
    {"clickhouse", OPT_CLICKHOUSE, required_argument, "URL",
     "send to the ClickHouse HTTP interface at URL\n(http://[user:password@]host:8123/)", false},
    {"database", OPT_DATABASE, required_argument, "NAME", "clickhouse: the database (default procstage)", false},
    {"batch-rows", OPT_BATCH, required_argument, "N", "clickhouse: rows per INSERT (default 20000)", false},
    {"ddl", OPT_DDL, no_argument, NULL, "clickhouse: print the CREATE statements and exit (no DB)", false},
    {"index", OPT_INDEX, required_argument, "NAME", "elastic: the _index of the action lines\n(default procstage)",
     false},
    {"output", 'o', required_argument, "FILE", "elastic, timesketch: write to FILE (replaced atomically)", false},
    {"trace", PS_OPT_TRACE, required_argument, "N", "only trace N (traces.trace_id)", false},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const export_tables[] = {export_opts, NULL};

/* ps_cli_report_to runs a ps_cli_report_fn: the document options ride here. */
static ps_doc_opts doc;
static ps_export_counts counts;

static int run_docs(ps_store *s, const ps_report_opts *ro, ps_error *err)
{
    doc.out = ro->out;
    return ps_export_docs(s, &doc, &counts, err);
}

static int run(ps_cli *cli, int argc, char **argv)
{
    ps_ch_opts ch;
    ps_report_opts ro;
    ps_store *store = NULL;
    ps_error err;
    const char *out = NULL, *url = NULL;
    int c, rc = PS_EXIT_OK, profiles = 0, profile = -1;
    bool ddl = false;

    memset(&doc, 0, sizeof doc);
    memset(&ch, 0, sizeof ch);
    memset(&ro, 0, sizeof ro);
    doc.index = "procstage";
    ch.database = "procstage";
    ch.batch_rows = 20000;
    ch.retries = 4;
    while ((c = ps_cli_getopt(cli, &ps_cmd_export, argc, argv)) != -1) {
        switch (c) {
        case OPT_ELASTIC:
        case OPT_TIMESKETCH:
        case OPT_CLICKHOUSE:
            profiles += profile != c;
            profile = c;
            if (c == OPT_CLICKHOUSE)
                url = optarg;
            break;
        case OPT_DATABASE:
            ch.database = optarg;
            break;
        case OPT_INDEX:
            doc.index = *optarg ? optarg : NULL;
            break;
        case OPT_DDL:
            ddl = true;
            break;
        case OPT_BATCH: {
            long long v;
            if (ps_cli_parse_int(optarg, 1, 10000000, &v) < 0)
                return ps_cli_usage(cli, "export", "--batch-rows takes 1 to 10000000, not '%s'", ps_tx(optarg));
            ch.batch_rows = (size_t)v;
            break;
        }
        case 'o':
            out = optarg;
            break;
        case PS_OPT_TRACE: {
            long long v;
            if (ps_cli_parse_int(optarg, 1, LLONG_MAX, &v) < 0)
                return ps_cli_usage(cli, "export", "--trace takes a trace id (1 to %lld), not '%s'", LLONG_MAX,
                                    ps_tx(optarg));
            doc.trace_id = ch.trace_id = v;
            break;
        }
        case 'h':
            ps_cli_help(&ps_cmd_export, stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_bad_option(cli, "export", argv, c);
        }
    }
    if (ddl) {
        if (optind != argc)
            return ps_cli_usage(cli, "export", "--ddl takes no DB");
        ps_clickhouse_ddl(stdout, ch.database);
        return PS_EXIT_OK;
    }
    if (profiles != 1)
        return ps_cli_usage(cli, "export", "give one of --elastic, --timesketch or --clickhouse URL");
    if (argc - optind != 1)
        return ps_cli_usage(cli, "export", "expected one DB");
    if (profile == OPT_CLICKHOUSE && out)
        return ps_cli_usage(cli, "export", "--clickhouse sends to the server; -o does not apply");
    ps_error_clear(&err);
    if (ps_store_open_read(argv[optind], &store, &err) < 0)
        return ps_cli_fail(cli, &err);
    memset(&counts, 0, sizeof counts);
    if (profile == OPT_CLICKHOUSE) {
        ch.url = url;
        ch.log = cli->verbosity >= 0 ? stderr : NULL;
        if (ps_export_clickhouse(store, &ch, &counts, &err) < 0) {
            rc = ps_cli_fail(cli, &err);
            goto out;
        }
        if (cli->verbosity >= 0)
            printf("exported %llu trace%s (%llu skipped: already complete in %s): %llu events, %llu processes, "
                   "%llu creations, %llu stages, %llu findings%s\n",
                   (unsigned long long)counts.traces, counts.traces == 1 ? "" : "s",
                   (unsigned long long)counts.traces_skipped, ch.database, (unsigned long long)counts.events,
                   (unsigned long long)counts.processes, (unsigned long long)counts.creations,
                   (unsigned long long)counts.stages, (unsigned long long)counts.findings,
                   counts.retries ? " (requests sent again after errors)" : "");
        goto out;
    }
    doc.profile = profile == OPT_ELASTIC ? PS_DOC_ECS : PS_DOC_TIMESKETCH;
    if ((rc = ps_cli_report_to(cli, out, run_docs, store, &ro)) != PS_EXIT_OK)
        goto out;
    if (cli->verbosity >= 0)
        fprintf(stderr, "procstage: exported %llu creations, %llu findings, %llu processes\n",
                (unsigned long long)counts.creations, (unsigned long long)counts.findings,
                (unsigned long long)counts.processes);
    if (counts.undated)
        fprintf(stderr, "procstage: warning: %llu records have no %s: their traces give times of day only\n",
                (unsigned long long)counts.undated, profile == OPT_ELASTIC ? "@timestamp" : "datetime");
out:
    ps_store_close(store);
    return rc;
}

const ps_command ps_cmd_export = {
    .name = "export",
    .summary = "the model for Elasticsearch/OpenSearch, Timesketch or ClickHouse",
    .synopsis = "(--elastic | --timesketch | --clickhouse URL) [OPTION]... DB",
    .description =
        "Export the creations (with their six stage durations), findings and processes\n"
        "of DB.  --elastic writes _bulk NDJSON (an index action, then an ECS document),\n"
        "--timesketch writes JSONL for Timesketch's importer; both go to stdout or -o.\n"
        "Document ids are <trace sha256>:<c|f|p>:<ordinal in the trace>, so exporting\n"
        "again replaces rather than duplicates.  --clickhouse creates MergeTree tables\n"
        "(see --ddl) and sends traces, processes, creations, stages, events and findings\n"
        "in JSONEachRow batches; a trace already complete in the database (same sha256)\n"
        "is skipped, an incomplete one is deleted and sent again.  Profiles and fields:\n"
        "docs/exports.md.",
    .options = export_tables,
    .run = run,
};
