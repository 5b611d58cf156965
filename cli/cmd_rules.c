/*
 * cmd_rules.c - procstage rules list|check|test: the rule engine's rules.
 *
 *   list   the rules that would run (the built-in pack and --rules DIRs)
 *   check  every rule file, naming each rule that cannot run and why;
 *          exit 3 when there is one
 *   test   runs the rules over traces (a temporary model) and prints the
 *          matches
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"
#include "model/store.h"
#include "parsers/reader.h"
#include "rules_engine/detect.h"
#include "common/json.h"
#include "reports/report.h"
#include "rules_engine/rules.h"

static void problems_by_kind(FILE *f, const ps_rule_problem *pr, size_t np)
{
    size_t i, j;
    bool *done = calloc(np ? np : 1, 1);

    if (!done)
        return;
    for (i = 0; i < np; i++) {
        size_t n = 0;
        if (done[i])
            continue;
        for (j = i; j < np; j++)
            if (!done[j] && !strcmp(pr[j].kind, pr[i].kind)) {
                done[j] = true;
                n++;
            }
        fprintf(f, "  %6zu  %s\n", n, pr[i].kind);
    }
    free(done);
}

static void json_problems(ps_json *j, const ps_rule_problem *pr, size_t np)
{
    size_t i;
    ps_json_key(j, "cannot_run");
    ps_json_begin_array(j);
    for (i = 0; i < np; i++) {
        ps_json_begin_object(j);
        ps_json_kv_str(j, "file", pr[i].file);
        ps_json_key(j, "line");
        if (pr[i].line)
            ps_json_int(j, pr[i].line);
        else
            ps_json_null(j);
        ps_json_kv_str(j, "title", pr[i].title);
        ps_json_kv_str(j, "id", pr[i].id);
        ps_json_kv_str(j, "kind", pr[i].kind);
        ps_json_kv_str(j, "reason", pr[i].reason);
        ps_json_end_object(j);
    }
    ps_json_end_array(j);
}

static int do_list(const ps_ruleset *rs, ps_out_format fmt)
{
    size_t i, n = ps_ruleset_count(rs), np, nd = ps_detector_count();
    const ps_rule_problem *pr = ps_ruleset_problems(rs, &np);
    ps_rule_info ri;

    if (fmt == PS_FMT_JSON) {
        ps_json j;
        ps_json_init_file(&j, stdout, true);
        ps_json_begin_object(&j);
        ps_json_key(&j, "rules");
        ps_json_begin_array(&j);
        for (i = 0; i < n; i++) {
            ps_ruleset_info(rs, i, &ri);
            ps_json_begin_object(&j);
            ps_json_kv_str(&j, "id", ri.id);
            ps_json_kv_str(&j, "title", ri.title);
            ps_json_kv_str(&j, "level", ri.level);
            ps_json_kv_str(&j, "status", ri.status);
            ps_json_kv_str(&j, "logsource", ri.logsource);
            ps_json_kv_str(&j, "technique", ri.technique);
            ps_json_kv_str(&j, "file", ri.file);
            ps_json_kv_int(&j, "line", ri.line);
            ps_json_key(&j, "builtin");
            ps_json_bool(&j, ri.builtin);
            ps_json_key(&j, "generates_findings");
            ps_json_bool(&j, ri.generates);
            ps_json_end_object(&j);
        }
        ps_json_end_array(&j);
        ps_json_key(&j, "detectors");
        ps_json_begin_array(&j);
        for (i = 0; i < nd; i++) {
            const ps_detector_info *d = ps_detector_at(i);
            ps_json_begin_object(&j);
            ps_detector_json(&j, d);
            ps_json_key(&j, "replaced_by_rule");
            ps_json_bool(&j, ps_ruleset_has_id(rs, d->id));
            ps_json_end_object(&j);
        }
        ps_json_end_array(&j);
        json_problems(&j, pr, np);
        ps_json_end_object(&j);
        ps_json_finish(&j);
        return PS_EXIT_OK;
    }
    printf("RULES (%zu)\n", n);
    printf("  %-40s %-9s %-30s %s\n", "id", "level", "logsource", "title");
    for (i = 0; i < n; i++) {
        ps_rule_info r;
        ps_ruleset_info(rs, i, &r);
        printf("  %-40s %-9s %-30s %s%s\n", r.id, r.level, r.logsource, r.title,
               r.generates ? "" : "  (feeds a correlation only)");
    }
    printf("\nDETECTORS IN C (%zu; a rule with the same id replaces one)\n", nd);
    for (i = 0; i < nd; i++) {
        const ps_detector_info *d = ps_detector_at(i);
        printf("  %-40s %-9s %-30s %s%s\n", d->id, d->severity, d->reads, d->title,
               ps_ruleset_has_id(rs, d->id) ? "  (replaced by a rule)" : "");
    }
    if (np)
        printf("\n%zu rule%s cannot run: see 'procstage rules check'\n", np, np == 1 ? "" : "s");
    return PS_EXIT_OK;
}

static int do_check(const ps_ruleset *rs, ps_out_format fmt)
{
    size_t i, np, files, docs;
    const ps_rule_problem *pr = ps_ruleset_problems(rs, &np);

    ps_ruleset_stats(rs, &files, &docs);
    if (fmt == PS_FMT_JSON) {
        ps_json j;
        ps_json_init_file(&j, stdout, true);
        ps_json_begin_object(&j);
        ps_json_kv_int(&j, "files", (int64_t)files);
        ps_json_kv_int(&j, "documents", (int64_t)docs);
        ps_json_kv_int(&j, "rules", (int64_t)ps_ruleset_count(rs));
        json_problems(&j, pr, np);
        ps_json_end_object(&j);
        ps_json_finish(&j);
    } else {
        printf("RULES  %zu file%s, %zu document%s: %zu rule%s can run, %zu cannot\n", files, files == 1 ? "" : "s",
               docs, docs == 1 ? "" : "s", ps_ruleset_count(rs), ps_ruleset_count(rs) == 1 ? "" : "s", np);
        if (np) {
            printf("\nCANNOT RUN (%zu)\n", np);
            for (i = 0; i < np; i++) {
                printf("  ");
                ps_cli_print_problem(stdout, &pr[i]);
            }
            printf("\nBY REASON\n");
            problems_by_kind(stdout, pr, np);
        }
    }
    return np ? PS_EXIT_INPUT : PS_EXIT_OK;
}

static int matches_by_rule(ps_store *store, ps_out_format fmt, ps_json *j)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(ps_store_db(store),
                           "SELECT rule_id, count(*), max(CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 "
                           "WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END), min(title) FROM findings "
                           "GROUP BY rule_id ORDER BY 3 DESC, 2 DESC, 1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (fmt == PS_FMT_JSON) {
        ps_json_key(j, "matches");
        ps_json_begin_array(j);
    } else {
        printf("MATCHES BY RULE\n");
    }
    {
        bool any = false;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(st, 0);
            const char *title = (const char *)sqlite3_column_text(st, 3);
            any = true;
            if (fmt == PS_FMT_JSON) {
                ps_json_begin_object(j);
                ps_json_kv_str(j, "rule_id", id);
                ps_json_kv_int(j, "count", sqlite3_column_int64(st, 1));
                ps_json_kv_str(j, "severity", ps_severity_name(sqlite3_column_int(st, 2)));
                ps_json_end_object(j);
            } else {
                printf("  %6lld  %-9s %-40s %s\n", (long long)sqlite3_column_int64(st, 1),
                       ps_severity_name(sqlite3_column_int(st, 2)), id, title ? title : "");
            }
        }
        if (fmt == PS_FMT_JSON)
            ps_json_end_array(j);
        else
            printf("%s\n", any ? "" : "  none\n");
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int do_test(ps_cli *cli, ps_cli_ingest *io, const ps_ruleset *rs, char **traces, int n, ps_out_format fmt,
                   int fail_on)
{
    ps_store *store = NULL;
    ps_report_opts ro;
    ps_error err;
    size_t np;
    int rc;

    ps_ruleset_problems(rs, &np);
    io->ruleset = rs;
    if ((rc = ps_cli_build_model(cli, NULL, traces, n, io, &store)) != PS_EXIT_OK)
        return rc;
    memset(&ro, 0, sizeof ro);
    ro.out = stdout;
    ro.format = fmt;
    ro.color = fmt == PS_FMT_TEXT && ps_cli_color_stdout(cli);
    ps_error_clear(&err);
    if (fmt == PS_FMT_JSON) {
        ps_json j;
        ps_json_init_file(&j, stdout, true);
        ps_json_begin_object(&j);
        ps_json_key(&j, "rules");
        ps_json_begin_object(&j);
        ps_json_kv_int(&j, "loaded", (int64_t)ps_ruleset_count(rs));
        ps_json_kv_int(&j, "cannot_run", (int64_t)np);
        ps_json_end_object(&j);
        if (matches_by_rule(store, fmt, &j) < 0) {
            rc = ps_cli_fail(cli, (ps_store_fail(store, &err, "cannot count the matches"), &err));
            goto out;
        }
        ps_json_key(&j, "findings");
        if (ps_report_findings_json(store, &ro, &j, &err) < 0) {
            rc = ps_cli_fail(cli, &err);
            goto out;
        }
        ps_json_end_object(&j);
        ps_json_finish(&j);
    } else {
        printf("RULES  %zu loaded%s", ps_ruleset_count(rs), np ? ", " : "\n\n");
        if (np)
            printf("%zu cannot run (see 'procstage rules check')\n\n", np);
        if (matches_by_rule(store, fmt, NULL) < 0) {
            rc = ps_cli_fail(cli, (ps_store_fail(store, &err, "cannot count the matches"), &err));
            goto out;
        }
        if (ps_report_findings(store, &ro, &err) < 0) {
            rc = ps_cli_fail(cli, &err);
            goto out;
        }
    }
    rc = ps_cli_fail_on(cli, store, 0, fail_on);
out:
    ps_store_close(store);
    return rc;
}

static const ps_cli_opt rules_opts[] = {
    {"rules", 'r', required_argument, "DIR",
     "also the rules in DIR (a directory, searched\nrecursively for .yml/.yaml, or one file); repeatable", false},
    {"no-default-rules", PS_OPT_NO_DEFAULT_RULES, no_argument, NULL, "without the built-in pack", false},
    {"format", 'f', required_argument, "FORMAT", "text (default) or json", false},
    {"input-format", PS_OPT_INPUT_FORMAT, required_argument, "FMT", "test: the format of the traces", false},
    {"fail-on", PS_OPT_FAIL_ON, required_argument, "SEVERITY", "test: exit 1 when a match is at least this severe",
     false},
    {"reconstruct", PS_OPT_RECON, required_argument, "FILE", "test: reconstruction parameters", false},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const rules_tables[] = {rules_opts, NULL};

static int run(ps_cli *cli, int argc, char **argv)
{
    ps_cli_ingest io;
    ps_out_format fmt = PS_FMT_TEXT;
    ps_ruleset *rs = NULL;
    ps_recon_config cfg;
    const char *action, *recon = NULL;
    int c, rc, fail_on = -1;

    memset(&io, 0, sizeof io);
    ps_input_opts_init(&io.input);
    while ((c = ps_cli_getopt(cli, &ps_cmd_rules, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            if (ps_out_format_parse(optarg, &fmt) < 0 || fmt == PS_FMT_CSV)
                return ps_cli_usage(cli, "rules", "--format takes text or json, not '%s'", optarg);
            break;
        case PS_OPT_FAIL_ON:
            if (ps_cli_parse_severity(optarg, &fail_on, true) < 0)
                return ps_cli_usage(cli, "rules",
                                    "--fail-on takes info, low, medium, high, critical or none, not '%s'", optarg);
            break;
        case 'h':
            ps_cli_help(&ps_cmd_rules, stdout);
            return PS_EXIT_OK;
        default:
            rc = ps_cli_ingest_option(cli, "rules", c, optarg, &io, &recon);
            if (rc == 1)
                break;
            return rc ? rc : ps_cli_bad_option(cli, "rules", argv, c);
        }
    }
    if (optind >= argc)
        return ps_cli_usage(cli, "rules", "no action given (list, check or test)");
    action = argv[optind++];
    if (strcmp(action, "list") && strcmp(action, "check") && strcmp(action, "test"))
        return ps_cli_usage(cli, "rules", "unknown action '%s' (list, check or test)", action);
    if (strcmp(action, "test") && optind < argc)
        return ps_cli_usage(cli, "rules", "unexpected argument '%s'", argv[optind]);
    if (!strcmp(action, "test") && optind >= argc)
        return ps_cli_usage(cli, "rules", "no trace given");
    if ((rc = ps_cli_load_rules(cli, &io, !strcmp(action, "test"), &rs)) != PS_EXIT_OK)
        return rc;
    if (!strcmp(action, "list")) {
        rc = do_list(rs, fmt);
    } else if (!strcmp(action, "check")) {
        rc = do_check(rs, fmt);
    } else {
        if ((rc = ps_cli_load_config(cli, recon, &cfg)) != 0) {
            ps_ruleset_free(rs);
            return rc;
        }
        io.config = &cfg;
        rc = do_test(cli, &io, rs, argv + optind, argc - optind, fmt, fail_on);
        ps_recon_config_release(&cfg);
    }
    ps_ruleset_free(rs);
    return rc;
}

const ps_command ps_cmd_rules = {
    .name = "rules",
    .summary = "list, check or test detection rules (Sigma YAML)",
    .synopsis = "list|check [OPTION]...\ntest TRACE... [OPTION]...",
    .description = "The detection rules: Sigma rules (YAML) and procstage's own, the built-in pack\n"
                   "(rules/ in the sources) and any --rules DIR.\n"
                   "\n"
                   "  list    the rules that run: id, level, logsource, title\n"
                   "  check   read every rule and name each one that cannot run with the reason\n"
                   "          (bad YAML with its line and column, unknown logsource, unsupported\n"
                   "          modifier, a regular expression that does not compile, a limit);\n"
                   "          exit 3 when a rule cannot run\n"
                   "  test    run the rules over traces and print the matches",
    .options = rules_tables,
    .run = run,
};
