/*
 * cmd_ingest.c - procstage ingest TRACE... -o DB
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"
#include "model/store.h"
#include "common/escape.h"
#include "pipeline/collect.h"
#include "pipeline/build.h"
#include "parsers/reader.h"
#include "rules_engine/rules.h"

void ps_cli_print_problem(FILE *f, const ps_rule_problem *p)
{
    /* rule text quoted: its controls made visible (escape.h) */
    fprintf(f, "'%s'", ps_tx(p->file));
    if (p->line)
        fprintf(f, ": line %d", p->line);
    if (p->title)
        fprintf(f, ": rule '%s'", ps_tx(p->title));
    if (p->id && (!p->title || strcmp(p->id, p->title)))
        fprintf(f, " (%s)", ps_tx(p->id));
    fprintf(f, ": %s\n", ps_tx(p->reason));
}

int ps_cli_load_rules(ps_cli *cli, const ps_cli_ingest *io, bool warn, ps_ruleset **out)
{
    ps_ruleset *rs = NULL;
    ps_error err;
    size_t i, np;
    const ps_rule_problem *pr;

    *out = NULL;
    ps_error_clear(&err);
    if (ps_ruleset_new(&rs, &err) < 0 || (!io->no_default_rules && ps_ruleset_add_default(rs, &err) < 0))
        goto fail;
    for (i = 0; i < io->nrule_dirs; i++)
        if (ps_ruleset_add_path(rs, io->rule_dirs[i], &err) < 0)
            goto fail;
    if (ps_ruleset_finish(rs, &err) < 0)
        goto fail;
    pr = ps_ruleset_problems(rs, &np);
    /* one line per skipped rule with -v, or when there are only a few;
     * otherwise one summary line ('rules check' lists them with reasons) */
    if (warn && cli->verbosity >= 0 && (np <= 3 || cli->verbosity >= 1))
        for (i = 0; i < np; i++) {
            fprintf(stderr, "%s: warning: rule skipped: ", cli->prog);
            ps_cli_print_problem(stderr, &pr[i]);
        }
    else if (warn && cli->verbosity >= 0 && np)
        fprintf(stderr, "%s: warning: %zu rules skipped: see 'procstage rules check' (or -v)\n", cli->prog, np);
    ps_cli_verbose(cli, "%zu rules loaded, %zu cannot run", ps_ruleset_count(rs), np);
    *out = rs;
    return PS_EXIT_OK;
fail:
    ps_ruleset_free(rs);
    return ps_cli_fail(cli, &err);
}

/* -v: the kinds of source events not decoded, most frequent first (from the
 * event_kinds table; ETW logs). */
static void verbose_kinds(ps_cli *cli, ps_store *store, int64_t trace_id, const char *path)
{
    sqlite3_stmt *st;

    if (cli->verbosity < 1 ||
        sqlite3_prepare_v2(ps_store_db(store),
                           "SELECT provider, operation, count FROM event_kinds WHERE trace_id = ?1 AND NOT decoded "
                           "ORDER BY count DESC, provider, operation LIMIT 10",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_int64(st, 1, trace_id);
    while (sqlite3_step(st) == SQLITE_ROW)
        ps_cli_verbose(cli, "%s: not decoded: %lld %s %s", path, (long long)sqlite3_column_int64(st, 2),
                       (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
}

typedef struct trace_printer {
    ps_cli *cli;
    bool summary;
} trace_printer;

/* One trace is in the model: notes, and the summary line on stdout. */
static void trace_done(void *ctx, ps_store *store, const ps_trace_result *st)
{
    trace_printer *tp = ctx;
    ps_cli *cli = tp->cli;
    const char *path = st->path;

    ps_cli_verbose(cli, "%s: time basis %s (%s)", path, st->time_basis, st->time_note);
    if (st->undecoded)
        ps_cli_verbose(cli, "%s: %llu events kept without decoded details", path, (unsigned long long)st->undecoded);
    verbose_kinds(cli, store, st->trace_id, path);
    if (!tp->summary || cli->verbosity < 0)
        return;
    printf("trace #%lld %s: %s, %llu event%s, %llu process%s, %llu creation%s (%llu complete, "
           "%llu partial, %llu failed), %llu finding%s\n",
           (long long)st->trace_id, path, st->format, (unsigned long long)st->events, st->events == 1 ? "" : "s",
           (unsigned long long)st->processes, st->processes == 1 ? "" : "es", (unsigned long long)st->creations,
           st->creations == 1 ? "" : "s", (unsigned long long)st->creations_complete,
           (unsigned long long)st->creations_partial, (unsigned long long)st->creations_failed,
           (unsigned long long)st->findings, st->findings == 1 ? "" : "s");
    if (st->undecoded)
        ps_cli_warn(cli, "%s: %llu event%s kept undecoded (class, operation and detail size in their Detail)", path,
                    (unsigned long long)st->undecoded, st->undecoded == 1 ? "" : "s");
    if (st->frame_staged)
        printf("trace #%lld %s: %llu event%s given a stage by their stacks\n", (long long)st->trace_id, path,
               (unsigned long long)st->frame_staged, st->frame_staged == 1 ? "" : "s");
}

/* Files of folders that are not traces: listed with -v, counted by their
 * extension in one note otherwise. */
typedef struct skipped_files {
    ps_cli *cli;
    char ext[6][12];
    size_t count[6], other;
} skipped_files;

static void collect_skip(void *ctx, const char *path, const char *why)
{
    skipped_files *sk = ctx;
    const char *base = strrchr(path, '/'), *dot;
    size_t i;

    ps_cli_verbose(sk->cli, "left out '%s': %s", ps_tx(path), ps_tx(why));
    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    if (!dot || dot == base || strlen(dot) >= sizeof sk->ext[0]) {
        sk->other++;
        return;
    }
    for (i = 0; i < PS_ARRAY_LEN(sk->ext) && sk->ext[i][0]; i++)
        if (ps_streq_ci(sk->ext[i], dot)) {
            sk->count[i]++;
            return;
        }
    if (i == PS_ARRAY_LEN(sk->ext)) {
        sk->other++;
        return;
    }
    ps_strlcpy(sk->ext[i], dot, sizeof sk->ext[i]);
    sk->count[i] = 1;
}

static void skipped_note(const skipped_files *sk, size_t total)
{
    char kinds[256] = "";
    size_t i, n = 0;

    for (i = 0; i < PS_ARRAY_LEN(sk->ext) && sk->ext[i][0]; i++)
        n += (size_t)snprintf(kinds + n, n < sizeof kinds ? sizeof kinds - n : 0, "%s%zu %s", n ? ", " : "",
                              sk->count[i], ps_tx(sk->ext[i]));
    if (sk->other && n < sizeof kinds)
        snprintf(kinds + n, sizeof kinds - n, "%s%zu other", n ? ", " : "", sk->other);
    ps_cli_note(sk->cli, "%zu file%s of the folders left out, not traces (%s; -v lists them)", total,
                total == 1 ? "" : "s", kinds);
}

static void lock_waiting(void *ctx, const char *path)
{
    ps_cli_note(ctx, "waiting for another procstage writing '%s'", path);
}

int ps_cli_build_model(ps_cli *cli, const char *out, char **paths, int n, const ps_cli_ingest *opts,
                       ps_store **store)
{
    ps_ruleset *rs = NULL;
    ps_collect_opts co = {0};
    skipped_files sk = {.cli = cli};
    ps_collect *col = NULL;
    ps_session_opts so;
    ps_store_write_opts wo;
    ps_session_totals tot;
    trace_printer tp = {cli, opts->summary};
    ps_error err;
    int rc;

    *store = NULL;
    ps_error_clear(&err);
    ps_session_opts_init(&so);
    so.rules = opts->ruleset;
    if (!so.rules) {
        if ((rc = ps_cli_load_rules(cli, opts, true, &rs)) != PS_EXIT_OK)
            return rc;
        so.rules = rs;
    }
    so.input_format = opts->format;
    so.input = opts->input;
    so.no_stacks = opts->no_stacks;
    so.recovered = opts->recovered;
    so.config = opts->config;
    so.stage_map = opts->stage_map;
    so.symbols = opts->symbols;
    wo.no_wait = opts->no_wait;
    wo.waiting = lock_waiting;
    wo.ctx = cli;
    so.store = &wo;
    so.warn = ps_cli_reader_warning;
    so.warn_ctx = cli;
    so.progress = ps_cli_progress;
    so.progress_ctx = cli;
    so.trace_done = trace_done;
    so.trace_done_ctx = &tp;
    so.host = opts->host;
    so.case_name = opts->case_name;
    so.jobs = opts->jobs;
    so.force = opts->force;
    co.include = opts->include;
    co.ninclude = opts->ninclude;
    co.exclude = opts->exclude;
    co.nexclude = opts->nexclude;
    co.input = &opts->input;
    co.input_format = opts->format;
    co.skip = collect_skip;
    co.skip_ctx = &sk;
    if (ps_collect_new(paths, (size_t)n, &co, &col, &err) < 0) {
        rc = ps_cli_fail(cli, &err);
        goto out;
    }
    if (col->skipped)
        skipped_note(&sk, col->skipped);
    if (!col->n) {
        ps_cli_error(cli, "no traces in %s", n == 1 ? ps_tx(paths[0]) : "the folders given");
        rc = PS_EXIT_INPUT;
        goto out;
    }
    if (ps_session_build(out, col->paths, (int)col->n, &so, store, &tot, &err) < 0) {
        rc = ps_cli_fail(cli, &err);
        goto out;
    }
    if (opts->symbols)
        ps_cli_verbose(cli, "%s: %zu symbols", opts->symbols, tot.symbols);
    if (tot.regex_limited)
        ps_cli_warn(cli, "%llu regular-expression matches stopped at the match limit (%d) and counted as no match",
                    (unsigned long long)tot.regex_limited, PS_RULE_REGEX_MATCH_LIMIT);
    rc = PS_EXIT_OK;
out:
    ps_collect_free(col);
    ps_ruleset_free(rs);
    return rc;
}

static int window_log(uint64_t bytes)
{
    int log = 10;
    while (log < 31 && (1ULL << log) < bytes)
        log++;
    return log;
}

const ps_cli_opt ps_cli_input_opts[] = {
    {"input-format", PS_OPT_INPUT_FORMAT, required_argument, "FMT", "the format of the traces (detected by content)",
     false},
    {"no-stacks", PS_OPT_NO_STACKS, no_argument, NULL, "do not read stack frames", false},
    {"max-window", PS_OPT_MAX_WINDOW, required_argument, "SIZE", "largest zstd window accepted (default 128M)", false},
    {"max-decompressed", PS_OPT_MAX_DECOMP, required_argument, "SIZE", "largest decompressed size (default 1T)",
     false},
    {"max-spool", PS_OPT_MAX_SPOOL, required_argument, "SIZE",
     "largest content decompressed to $TMPDIR for a reader\nthat needs the whole file (PML, EVTX; default 8G)", false},
    {NULL, 0, 0, NULL, NULL, false},
};

const ps_cli_opt ps_cli_ingest_opts[] = {
    {"reconstruct", PS_OPT_RECON, required_argument, "FILE",
     "reconstruction parameters (default: the built-in\nrules/reconstruct.yml)", false},
    {"rules", 'r', required_argument, "DIR", "also run the Sigma rules in DIR (a directory or a .yml\nfile; repeatable)",
     false},
    {"no-default-rules", PS_OPT_NO_DEFAULT_RULES, no_argument, NULL, "do not run the built-in rule pack", false},
    {"recovered", PS_OPT_RECOVERED, no_argument, NULL,
     "also read EVTX records found in chunk slack (deleted or\noverwritten), flagged with the field Recovered", false},
    {"stage-map", PS_OPT_STAGE_MAP, required_argument, "FILE",
     "stage map for stack attribution (default: the built-in\nrules/stages.yml, plus the database's source catalogue)",
     false},
    {"symbols", PS_OPT_SYMBOLS, required_argument, "FILE",
     "names for module+offset stack frames: MODULE START END\nFUNCTION per line (offsets from the module base)", false},
    {"include", PS_OPT_INCLUDE, required_argument, "GLOB",
     "in folders, read only files whose name or path below\nthe folder matches GLOB (repeatable)", false},
    {"exclude", PS_OPT_EXCLUDE, required_argument, "GLOB", "in folders, leave out files matching GLOB (repeatable)",
     false},
    {"host", PS_OPT_HOST, required_argument, "NAME", "the machine of every trace (default: what the data records)",
     false},
    {"case", PS_OPT_CASE, required_argument, "NAME",
     "the case (investigation) every trace belongs to, kept\nwith it (traces.case_name) through merges and exports", false},
    {"no-wait", PS_OPT_NO_WAIT, no_argument, NULL,
     "fail (exit 4) when another procstage is writing the\nmodel instead of waiting for it", false},
    {"jobs", 'j', required_argument, "N",
     "ingest up to N traces at once, each into a part merged\nin order (default 1: one after the other)", false},
    {"force", PS_OPT_FORCE, no_argument, NULL,
     "ingest a trace even when the model holds its content\nalready (same bytes: same SHA-256)", false},
    {NULL, 0, 0, NULL, NULL, false},
};

int ps_cli_ingest_option(ps_cli *cli, const char *cmd, int c, const char *arg, ps_cli_ingest *io,
                         const char **recon)
{
    uint64_t size;

    switch (c) {
    case PS_OPT_INPUT_FORMAT:
        if (strcmp(arg, "auto") && !ps_reader_find(arg))
            return ps_cli_usage(cli, cmd, "unknown input format '%s' (see 'procstage formats')", arg);
        io->format = arg;
        return 1;
    case PS_OPT_RECON:
        *recon = arg;
        return 1;
    case PS_OPT_NO_STACKS:
        io->no_stacks = true;
        return 1;
    case PS_OPT_RECOVERED:
        io->recovered = true;
        return 1;
    case PS_OPT_MAX_WINDOW:
        if (ps_cli_parse_size(arg, &size) < 0 || size < 1024 || size > (1ULL << 31))
            return ps_cli_usage(cli, cmd, "invalid --max-window '%s' (1K to 2G)", arg);
        io->input.zstd_window_log_max = (unsigned)window_log(size);
        return 1;
    case PS_OPT_MAX_DECOMP:
        if (ps_cli_parse_size(arg, &size) < 0 || !size)
            return ps_cli_usage(cli, cmd, "invalid --max-decompressed '%s'", arg);
        io->input.max_decompressed = size;
        return 1;
    case PS_OPT_MAX_SPOOL:
        if (ps_cli_parse_size(arg, &size) < 0 || !size)
            return ps_cli_usage(cli, cmd, "invalid --max-spool '%s'", arg);
        io->input.max_spool = size;
        return 1;
    case 'r':
        if (io->nrule_dirs == PS_ARRAY_LEN(io->rule_dirs))
            return ps_cli_usage(cli, cmd, "at most %zu --rules options", PS_ARRAY_LEN(io->rule_dirs));
        io->rule_dirs[io->nrule_dirs++] = arg;
        return 1;
    case PS_OPT_NO_DEFAULT_RULES:
        io->no_default_rules = true;
        return 1;
    case PS_OPT_STAGE_MAP:
        io->stage_map = arg;
        return 1;
    case PS_OPT_SYMBOLS:
        io->symbols = arg;
        return 1;
    case PS_OPT_INCLUDE:
    case PS_OPT_EXCLUDE: {
        const char **list = c == PS_OPT_INCLUDE ? io->include : io->exclude;
        size_t *n = c == PS_OPT_INCLUDE ? &io->ninclude : &io->nexclude;
        if (*n == PS_ARRAY_LEN(io->include))
            return ps_cli_usage(cli, cmd, "at most %zu --%s options", PS_ARRAY_LEN(io->include),
                                c == PS_OPT_INCLUDE ? "include" : "exclude");
        list[(*n)++] = arg;
        return 1;
    }
    case PS_OPT_HOST:
        if (!*arg || strlen(arg) >= 256)
            return ps_cli_usage(cli, cmd, "invalid --host '%s' (1 to 255 bytes)", ps_tx(arg));
        io->host = arg;
        return 1;
    case PS_OPT_CASE:
        if (!*arg || strlen(arg) >= 256)
            return ps_cli_usage(cli, cmd, "invalid --case '%s' (1 to 255 bytes)", ps_tx(arg));
        io->case_name = arg;
        return 1;
    case PS_OPT_NO_WAIT:
        io->no_wait = true;
        return 1;
    case PS_OPT_FORCE:
        io->force = true;
        return 1;
    case 'j': {
        char *end;
        long j;
        errno = 0;
        j = strtol(arg, &end, 10);
        if (errno || end == arg || *end || j < 1 || j > PS_CLI_MAX_JOBS)
            return ps_cli_usage(cli, cmd, "invalid --jobs '%s' (1 to %d)", ps_tx(arg), PS_CLI_MAX_JOBS);
        io->jobs = (int)j;
        return 1;
    }
    default:
        return 0;
    }
}

static const ps_cli_opt ingest_opts[] = {
    {"output", 'o', required_argument, "DB", "the database to create or append to (required)", false},
    /* before --input-format existed; every other command's --format is its output format */
    {"format", 'f', required_argument, "FMT", NULL, true},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const ingest_tables[] = {ingest_opts, ps_cli_input_opts, ps_cli_ingest_opts, NULL};

static int run(ps_cli *cli, int argc, char **argv)
{
    const char *out = NULL, *recon = NULL;
    ps_cli_ingest io;
    ps_recon_config cfg;
    ps_store *store = NULL;
    int c, rc;

    memset(&io, 0, sizeof io);
    ps_input_opts_init(&io.input);
    io.summary = true;
    while ((c = ps_cli_getopt(cli, &ps_cmd_ingest, argc, argv)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'f':
            ps_cli_warn(cli, "ingest --format is now --input-format (--format names an output format elsewhere)");
            rc = ps_cli_ingest_option(cli, "ingest", PS_OPT_INPUT_FORMAT, optarg, &io, &recon);
            if (rc != 1)
                return rc;
            break;
        case 'h':
            ps_cli_help(&ps_cmd_ingest, stdout);
            return PS_EXIT_OK;
        default:
            rc = ps_cli_ingest_option(cli, "ingest", c, optarg, &io, &recon);
            if (rc == 1)
                break;
            return rc ? rc : ps_cli_bad_option(cli, "ingest", argv, c);
        }
    }
    if (!out)
        return ps_cli_usage(cli, "ingest", "missing -o DB");
    if (optind >= argc)
        return ps_cli_usage(cli, "ingest", "no trace given");
    if ((rc = ps_cli_load_config(cli, recon, &cfg)) != 0)
        return rc;
    io.config = &cfg;
    rc = ps_cli_build_model(cli, out, argv + optind, argc - optind, &io, &store);
    ps_store_close(store);
    ps_recon_config_release(&cfg);
    return rc;
}

const ps_command ps_cmd_ingest = {
    .name = "ingest",
    .summary = "build or append to a procstage database (SQLite)",
    .synopsis = "TRACE... -o DB [OPTION]...",
    .description = "Read traces into a procstage database (SQLite), creating it or appending to it.\n"
                   "TRACE is a file or - for standard input, plain or zstd-compressed; the format is\n"
                   "detected from the content.  The database is written atomically: on any error it\n"
                   "is left as it was (or not created).  One line per trace is printed on stdout.",
    .options = ingest_tables,
    .run = run,
};
