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

enum { OPT_STOP = PS_OPT_COMMAND, OPT_MAX_SIZE, OPT_STAGE };

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

static const ps_cli_opt scan_opts[] = {
    {"output", 'o', required_argument, "DB", "the database to create or append to (required)", false},
    {"stage-map", PS_OPT_STAGE_MAP, required_argument, "FILE", "the stage map (default: the built-in rules/stages.yml)",
     false},
    {"stop", OPT_STOP, required_argument, "NAME", "one more name that is not a call edge (repeatable)", false},
    {"max-file-size", OPT_MAX_SIZE, required_argument, "SIZE", "larger files are skipped with a warning (default 1G)",
     false},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const scan_tables[] = {scan_opts, NULL};
static const ps_command cmd_scan_desc;

static int cmd_scan(ps_cli *cli, int argc, char **argv)
{
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
    while ((c = ps_cli_getopt(cli, &cmd_scan_desc, argc, argv)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case PS_OPT_STAGE_MAP: mapfile = optarg; break;
        case OPT_STOP: stop[nstop++] = optarg; break;
        case OPT_MAX_SIZE:
            if (ps_cli_parse_size(optarg, &so.max_file_size) < 0 || !so.max_file_size) {
                free(stop);
                return ps_cli_usage(cli, "source scan", "invalid --max-file-size '%s'", optarg);
            }
            break;
        case 'h':
            ps_cli_help(&cmd_scan_desc, stdout);
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

static const ps_cli_opt report_opts[] = {
    {"format", 'f', required_argument, "FORMAT", "text (default), json, or dot (Graphviz)", false},
    {"stage", OPT_STAGE, required_argument, "N", "only stage N (1..6 or its name)", false},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const report_tables[] = {report_opts, NULL};
static const ps_command cmd_report_desc;

static int cmd_report_src(ps_cli *cli, int argc, char **argv)
{
    ps_report_opts ro;
    ps_store *store = NULL;
    ps_error err;
    bool dot = false;
    int c, rc, stage = 0;

    memset(&ro, 0, sizeof ro);
    ro.format = PS_FMT_TEXT;
    while ((c = ps_cli_getopt(cli, &cmd_report_desc, argc, argv)) != -1) {
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
            ps_cli_help(&cmd_report_desc, stdout);
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

static const ps_cli_opt export_opts[] = {
    {"output", 'o', required_argument, "FILE", "write to FILE (default: standard output)", false},
    {"stage-map", PS_OPT_STAGE_MAP, required_argument, "FILE", "the stage map (default: the built-in rules/stages.yml)",
     false},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const export_tables[] = {export_opts, NULL};
static const ps_command cmd_export_desc;

static int cmd_export(ps_cli *cli, int argc, char **argv)
{
    const char *out = NULL, *mapfile = NULL;
    ps_stage_map map;
    ps_store *store = NULL;
    ps_error err;
    FILE *f = stdout;
    int c, rc = PS_EXIT_OK;

    while ((c = ps_cli_getopt(cli, &cmd_export_desc, argc, argv)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case PS_OPT_STAGE_MAP: mapfile = optarg; break;
        case 'h':
            ps_cli_help(&cmd_export_desc, stdout);
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

static const ps_command cmd_scan_desc = {
    .name = "source scan",
    .summary = "annotated C source (WRK, ReactOS, excerpts) into a database",
    .synopsis = "PATH... -o DB [OPTION]...",
    .description = "Read annotated C source in the WRK and ReactOS styles - files, or directories\n"
                   "read recursively (C sources, and text files holding \"#070 code\" excerpts) -\n"
                   "into the source catalogue of a procstage database: functions with their lines,\n"
                   "signatures, parameters (SAL and IN/OUT/OPTIONAL as direction), comment blocks,\n"
                   "calls in body order and @stage tags; every function's stage from its tag, the\n"
                   "stage map, or inferred over the call graph.  The database is created or\n"
                   "appended to, atomically.  Bad input gives warnings naming the file and line.",
    .options = scan_tables,
    .run = cmd_scan,
};

static const ps_command cmd_report_desc = {
    .name = "source report",
    .summary = "per stage: call trees, parameter directions, conflicts",
    .synopsis = "DB [OPTION]...",
    .description = "Print the source catalogue of a database: per stage, the call tree from each\n"
                   "entry point with the parameters' directions, the chain of callers that leads\n"
                   "to it, the functions without a stage and the conflicts of the inference.",
    .options = report_tables,
    .run = cmd_report_src,
};

static const ps_command cmd_export_desc = {
    .name = "source export-stacktags",
    .summary = "write the stage map as a WPA stack-tags file",
    .synopsis = "[DB] [OPTION]...",
    .description = "Write the stage map as a WPA stack-tags file (Trace > Trace Properties > Stack\n"
                   "Tags Definitions) so that WPA shows the same six stages.  With DB, the\n"
                   "functions its source catalogue staged by @stage tags or inference are added.",
    .options = export_tables,
    .run = cmd_export,
};

static const ps_command *const subs[] = {&cmd_scan_desc, &cmd_report_desc, &cmd_export_desc, NULL};

static int run(ps_cli *cli, int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        ps_cli_help(&ps_cmd_source, stderr);
        return PS_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        ps_cli_help(&ps_cmd_source, stdout);
        return PS_EXIT_OK;
    }
    for (i = 0; subs[i]; i++)
        if (!strcmp(strchr(subs[i]->name, ' ') + 1, argv[1])) {
#ifdef __GLIBC__
            optind = 0;
#else
            optind = 1;
#endif
            return subs[i]->run(cli, argc - 1, argv + 1);
        }
    return ps_cli_usage(cli, "source", "unknown subcommand '%s'", argv[1]);
}

const ps_command ps_cmd_source = {
    .name = "source",
    .summary = "function -> stage catalogue and call graph from annotated C source",
    .synopsis = "SUBCOMMAND [ARG]...",
    .description = "A function -> stage catalogue and call graph from annotated C source (docs/source.md).",
    .run = run,
    .subcommands = subs,
};
