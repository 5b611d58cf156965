/*
 * cmd_source.c - procstage source scan|report|export-stacktags
 *
 *   source scan PATH... -o DB     annotated C source (files or directories)
 *                                 into the source catalogue of a model
 *   source report DB              per stage: call trees, parameters
 *   source export-stacktags       the stage map as WPA stack tags
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"
#include "source/attribute.h"
#include "source/catalogue.h"
#include "source/stage_map.h"
#include "model/store.h"
#include "reports/source.h"

enum { OPT_STAGE_MAP = 300, OPT_STOP, OPT_MAX_SIZE, OPT_STAGE };

int ps_cli_load_stage_map(ps_cli *cli, const char *path, ps_stage_map *m)
{
    ps_error err;
    ps_error_clear(&err);
    if ((path ? ps_stage_map_load_file(m, path, &err) : ps_stage_map_load_default(m, &err)) < 0)
        return ps_cli_fail(cli, &err);
    return 0;
}

static void source_warning(void *ctx, const char *msg)
{
    ps_cli_warn((ps_cli *)ctx, "%s", msg);
}

/* ---- scan ---------------------------------------------------------------------------- */

static void scan_usage(FILE *f)
{
    fprintf(f,
            "Usage: procstage source scan PATH... -o DB [OPTION]...\n"
            "Read annotated C source in the WRK and ReactOS styles - files, or directories\n"
            "read recursively (C sources, and text files holding \"#070 code\" excerpts) -\n"
            "into the source catalogue of a procstage database: functions with their lines,\n"
            "signatures, parameters (SAL and IN/OUT/OPTIONAL as direction), comment blocks,\n"
            "calls in body order and @stage tags; every function's stage from its tag, the\n"
            "stage map, or inferred over the call graph.  The database is created or\n"
            "appended to, atomically.  Bad input gives warnings naming the file and line.\n"
            "\n"
            "  -o, --output DB        the database to create or append to (required)\n"
            "      --stage-map FILE   the stage map (default: the built-in rules/stages.yml)\n"
            "      --stop NAME        one more name that is not a call edge (repeatable)\n"
            "      --max-file-size SIZE  larger files are skipped with a warning (default 1G)\n"
            "  -h, --help             show this help and exit\n");
}

static int cmd_scan(ps_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"stage-map", required_argument, NULL, OPT_STAGE_MAP},
        {"stop", required_argument, NULL, OPT_STOP},
        {"max-file-size", required_argument, NULL, OPT_MAX_SIZE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *out = NULL, *mapfile = NULL;
    const char **stop = NULL;
    size_t nstop = 0;
    ps_src_store_opts so;
    ps_stage_map map;
    ps_store *store = NULL;
    ps_src_store *ss = NULL;
    ps_src_summary sum;
    ps_error err;
    int c, i, rc;

    memset(&so, 0, sizeof so);
    stop = calloc((size_t)argc + 1, sizeof *stop);
    if (!stop) {
        ps_cli_error(cli, "out of memory");
        return PS_EXIT_IO;
    }
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case OPT_STAGE_MAP: mapfile = optarg; break;
        case OPT_STOP: stop[nstop++] = optarg; break;
        case OPT_MAX_SIZE:
            if (ps_cli_parse_size(optarg, &so.max_file_size) < 0 || !so.max_file_size) {
                free(stop);
                return ps_cli_usage(cli, "source scan", "invalid --max-file-size '%s'", optarg);
            }
            break;
        case 'h':
            scan_usage(stdout);
            free(stop);
            return PS_EXIT_OK;
        default:
            free(stop);
            return ps_cli_bad_option(cli, "source scan", argv, c);
        }
    }
    if (!out) {
        free(stop);
        return ps_cli_usage(cli, "source scan", "missing -o DB");
    }
    if (optind >= argc) {
        free(stop);
        return ps_cli_usage(cli, "source scan", "no file or directory given");
    }
    if ((rc = ps_cli_load_stage_map(cli, mapfile, &map)) != 0) {
        free(stop);
        return rc;
    }
    so.stop = stop;
    so.nstop = nstop;
    so.warn = source_warning;
    so.warn_ctx = cli;
    ps_error_clear(&err);
    if (ps_store_open_write(out, &store, &err) < 0 || ps_src_store_new(store, &map, &so, &ss, &err) < 0)
        goto fail;
    for (i = optind; i < argc; i++)
        if (ps_src_store_path(ss, argv[i], &err) < 0)
            goto fail;
    if (ps_src_store_finish(ss, &sum, &err) < 0)
        goto fail;
    ps_src_store_free(ss);
    ss = NULL;
    if (ps_store_commit(store, &err) < 0)
        goto fail;
    if (cli->verbosity >= 0) {
        printf("scanned %llu file%s", (unsigned long long)sum.files, sum.files == 1 ? "" : "s");
        if (sum.skipped_files || sum.unchanged_files)
            printf(" (%llu skipped, %llu unchanged)", (unsigned long long)sum.skipped_files,
                   (unsigned long long)sum.unchanged_files);
        printf(": %llu function%s, %llu excerpt%s (%llu named from the stage map), %llu prototype%s, %llu call%s, "
               "%llu parameter%s\n",
               (unsigned long long)sum.functions, sum.functions == 1 ? "" : "s", (unsigned long long)sum.excerpts,
               sum.excerpts == 1 ? "" : "s", (unsigned long long)sum.named_excerpts,
               (unsigned long long)sum.prototypes, sum.prototypes == 1 ? "" : "s", (unsigned long long)sum.calls,
               sum.calls == 1 ? "" : "s", (unsigned long long)sum.params, sum.params == 1 ? "" : "s");
        printf("stages: %llu from @stage tags, %llu from the stage map, %llu inferred; %llu conflict%s; "
               "%llu warning%s\n",
               (unsigned long long)sum.staged_tag, (unsigned long long)sum.staged_map,
               (unsigned long long)sum.staged_inferred, (unsigned long long)sum.conflicts,
               sum.conflicts == 1 ? "" : "s", (unsigned long long)sum.warnings, sum.warnings == 1 ? "" : "s");
    }
    ps_store_close(store);
    ps_stage_map_release(&map);
    free(stop);
    return PS_EXIT_OK;
fail:
    rc = ps_cli_fail(cli, &err);
    ps_src_store_free(ss);
    ps_store_close(store);
    ps_stage_map_release(&map);
    free(stop);
    return rc;
}

/* ---- report ---------------------------------------------------------------------------- */

static void report_usage(FILE *f)
{
    fprintf(f,
            "Usage: procstage source report DB [OPTION]...\n"
            "Print the source catalogue of a database: per stage, the call tree from each\n"
            "entry point with the parameters' directions, the chain of callers that leads\n"
            "to it, the functions without a stage and the conflicts of the inference.\n"
            "\n"
            "  -f, --format FORMAT    text (default), json, or dot (Graphviz)\n"
            "      --stage N          only stage N (1..6 or its name)\n"
            "  -h, --help             show this help and exit\n");
}

static int cmd_report_src(ps_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"stage", required_argument, NULL, OPT_STAGE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    ps_report_opts ro;
    ps_store *store = NULL;
    ps_error err;
    bool dot = false;
    int c, rc, stage = 0;

    memset(&ro, 0, sizeof ro);
    ro.format = PS_FMT_TEXT;
    while ((c = getopt_long(argc, argv, ":f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            dot = !strcmp(optarg, "dot");
            if (!dot && (ps_out_format_parse(optarg, &ro.format) < 0 || ro.format == PS_FMT_CSV))
                return ps_cli_usage(cli, "source report", "--format takes text, json or dot, not '%s'", optarg);
            break;
        case OPT_STAGE:
            stage = ps_stage_parse(optarg, strlen(optarg));
            if (stage < 1)
                return ps_cli_usage(cli, "source report", "--stage takes 1..6 or a stage name, not '%s'", optarg);
            break;
        case 'h':
            report_usage(stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_bad_option(cli, "source report", argv, c);
        }
    }
    if (argc - optind != 1)
        return ps_cli_usage(cli, "source report", "expected DB");
    ps_error_clear(&err);
    if (ps_store_open_read(argv[optind], &store, &err) < 0)
        return ps_cli_fail(cli, &err);
    ro.out = stdout;
    ro.color = ro.format == PS_FMT_TEXT && !dot && ps_cli_color_stdout(cli);
    rc = dot ? ps_report_source_dot(store, stdout, stage, &err) : ps_report_source(store, &ro, stage, &err);
    rc = rc < 0 ? ps_cli_fail(cli, &err) : PS_EXIT_OK;
    ps_store_close(store);
    return rc;
}

/* ---- export-stacktags ------------------------------------------------------------------------ */

static void export_usage(FILE *f)
{
    fprintf(f,
            "Usage: procstage source export-stacktags [DB] [OPTION]...\n"
            "Write the stage map as a WPA stack-tags file (Trace > Trace Properties > Stack\n"
            "Tags Definitions) so that WPA shows the same six stages.  With DB, the\n"
            "functions its source catalogue staged by @stage tags or inference are added.\n"
            "\n"
            "  -o, --output FILE      write to FILE (default: standard output)\n"
            "      --stage-map FILE   the stage map (default: the built-in rules/stages.yml)\n"
            "  -h, --help             show this help and exit\n");
}

static int cmd_export(ps_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"stage-map", required_argument, NULL, OPT_STAGE_MAP},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *out = NULL, *mapfile = NULL;
    ps_stage_map map;
    ps_store *store = NULL;
    ps_error err;
    FILE *f = stdout;
    int c, rc = PS_EXIT_OK;

    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case OPT_STAGE_MAP: mapfile = optarg; break;
        case 'h':
            export_usage(stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_bad_option(cli, "source export-stacktags", argv, c);
        }
    }
    if (argc - optind > 1)
        return ps_cli_usage(cli, "source export-stacktags", "expected at most one DB");
    if ((rc = ps_cli_load_stage_map(cli, mapfile, &map)) != 0)
        return rc;
    ps_error_clear(&err);
    if (optind < argc) {
        if (ps_store_open_read(argv[optind], &store, &err) < 0 || ps_attr_add_catalogue(&map, store, &err) < 0) {
            rc = ps_cli_fail(cli, &err);
            goto out;
        }
    }
    if (out && !(f = fopen(out, "w"))) {
        ps_error_set(&err, PS_ERR_IO, "cannot write '%s': %s", out, ps_errno_text(errno));
        rc = ps_cli_fail(cli, &err);
        goto out;
    }
    if (ps_export_stacktags(&map, f, &err) < 0)
        rc = ps_cli_fail(cli, &err);
    if (out && (fclose(f) != 0) && rc == PS_EXIT_OK) {
        ps_error_set(&err, PS_ERR_IO, "cannot write '%s': %s", out, ps_errno_text(errno));
        rc = ps_cli_fail(cli, &err);
    }
out:
    ps_store_close(store);
    ps_stage_map_release(&map);
    return rc;
}

/* ---- the command ------------------------------------------------------------------------ */

static const struct {
    const char *name;
    int (*run)(ps_cli *, int, char **);
    const char *summary;
} subs[] = {
    {"scan", cmd_scan, "annotated C source (WRK, ReactOS, excerpts) into a database"},
    {"report", cmd_report_src, "per stage: call trees, parameter directions, conflicts"},
    {"export-stacktags", cmd_export, "write the stage map as a WPA stack-tags file"},
};

static void source_usage(FILE *f)
{
    size_t i;
    fprintf(f, "Usage: procstage source SUBCOMMAND [ARG]...\n"
               "A function -> stage catalogue and call graph from annotated C source.\n\nSubcommands:\n");
    for (i = 0; i < sizeof subs / sizeof subs[0]; i++)
        fprintf(f, "  %-17s %s\n", subs[i].name, subs[i].summary);
    fprintf(f, "\nRun 'procstage source SUBCOMMAND --help' for its options; see docs/source.md.\n");
}

int cmd_source(ps_cli *cli, int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        source_usage(stderr);
        return PS_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        source_usage(stdout);
        return PS_EXIT_OK;
    }
    for (i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(subs[i].name, argv[1])) {
#ifdef __GLIBC__
            optind = 0;
#else
            optind = 1;
#endif
            return subs[i].run(cli, argc - 1, argv + 1);
        }
    return ps_cli_usage(cli, "source", "unknown subcommand '%s'", argv[1]);
}
