/*
 * cmd_merge.c - procstage merge DB... -o CASE.db: models of many machines or
 * runs into one (model/merge.h), atomically like ingest.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/escape.h"
#include "model/merge.h"
#include "model/store.h"

static const ps_cli_opt merge_opts[] = {
    {"output", 'o', required_argument, "DB", "the database to create or append to (required)", false},
    {"case", PS_OPT_CASE, required_argument, "NAME",
     "the case of every trace of the result that has none\n(traces.case_name; traces with a case keep it)", false},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const merge_tables[] = {merge_opts, NULL};

static void summary(const char *path, const ps_merge_stats *m)
{
    printf("merged %s: %llu trace%s", path, (unsigned long long)m->traces, m->traces == 1 ? "" : "s");
    if (m->traces_skipped)
        printf(" (%llu skipped: already in the model)", (unsigned long long)m->traces_skipped);
    printf(", %llu events, %llu processes, %llu creations, %llu findings", (unsigned long long)m->events,
           (unsigned long long)m->processes, (unsigned long long)m->creations, (unsigned long long)m->findings);
    if (m->src_files || m->src_files_skipped) {
        printf(", %llu source files", (unsigned long long)m->src_files);
        if (m->src_files_skipped)
            printf(" (%llu skipped)", (unsigned long long)m->src_files_skipped);
    }
    putchar('\n');
}

static int run(ps_cli *cli, int argc, char **argv)
{
    const char *out = NULL, *case_name = NULL;
    ps_store *store = NULL;
    ps_error err;
    int c, i, rc = PS_EXIT_OK;

    while ((c = ps_cli_getopt(cli, &ps_cmd_merge, argc, argv)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case PS_OPT_CASE:
            if (!*optarg || strlen(optarg) >= 256)
                return ps_cli_usage(cli, "merge", "invalid --case '%s' (1 to 255 bytes)", ps_tx(optarg));
            case_name = optarg;
            break;
        case 'h':
            ps_cli_help(&ps_cmd_merge, stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_bad_option(cli, "merge", argv, c);
        }
    }
    if (!out)
        return ps_cli_usage(cli, "merge", "missing -o DB");
    if (optind >= argc)
        return ps_cli_usage(cli, "merge", "no database to merge");
    ps_error_clear(&err);
    if (ps_store_open_write(out, &store, &err) < 0)
        return ps_cli_fail(cli, &err);
    for (i = optind; i < argc; i++) {
        ps_merge_stats m;
        if (ps_store_merge(store, argv[i], &m, &err) < 0) {
            rc = ps_cli_fail(cli, &err);
            goto out;
        }
        if (cli->verbosity >= 0)
            summary(argv[i], &m);
    }
    if (case_name && ps_store_name_case(store, case_name, &err) < 0) {
        rc = ps_cli_fail(cli, &err);
        goto out;
    }
    if (ps_store_commit(store, &err) < 0)
        rc = ps_cli_fail(cli, &err);
out:
    ps_store_close(store);
    return rc;
}

const ps_command ps_cmd_merge = {
    .name = "merge",
    .summary = "combine procstage databases (machines, runs) into one",
    .synopsis = "DB... -o CASE_DB",
    .description = "Copy every table of each DB into CASE_DB, creating it or appending to it, with\n"
                   "ids renumbered so that they stay unique.  A trace whose content (traces.sha256)\n"
                   "is already in CASE_DB, or came earlier in this merge, is skipped with all that\n"
                   "belongs to it, so merging the same model twice changes nothing.  CASE_DB is\n"
                   "written atomically: on any error it is left as it was (or not created).  One\n"
                   "line per DB is printed on stdout.  Traces keep their case (ingest --case);\n"
                   "--case names the case of those that have none.",
    .options = merge_tables,
    .run = run,
};
