/*
 * cmd_formats.c - procstage formats: the readers and what each detects.
 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "parsers/reader.h"
#include "rules_engine/detect.h"
#include "common/json.h"
#include "reports/output.h"
#include "rules_engine/rules.h"

static const ps_cli_opt formats_opts[] = {
    {"format", 'f', required_argument, "FORMAT", "text (default) or json", false},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const formats_tables[] = {formats_opts, NULL};

static int run(ps_cli *cli, int argc, char **argv)
{
    ps_out_format fmt = PS_FMT_TEXT;
    const ps_reader_ops *const *t;
    ps_ruleset *rs = NULL;
    ps_rule_info ri;
    ps_error err;
    size_t n, nd = ps_detector_count(), i, nr = 0;
    int c;

    while ((c = ps_cli_getopt(cli, &ps_cmd_formats, argc, argv)) != -1) {
        switch (c) {
        case 'f':
            if (ps_out_format_parse(optarg, &fmt) < 0 || fmt == PS_FMT_CSV || fmt == PS_FMT_NDJSON)
                return ps_cli_usage(cli, "formats", "--format takes text or json, not '%s'", optarg);
            break;
        case 'h':
            ps_cli_help(&ps_cmd_formats, stdout);
            return PS_EXIT_OK;
        default:
            return ps_cli_bad_option(cli, "formats", argv, c);
        }
    }
    if (optind < argc)
        return ps_cli_usage(cli, "formats", "unexpected argument '%s'", argv[optind]);
    t = ps_readers(&n);
    ps_error_clear(&err);
    if (ps_ruleset_new(&rs, &err) < 0 || ps_ruleset_add_default(rs, &err) < 0 || ps_ruleset_finish(rs, &err) < 0) {
        ps_ruleset_free(rs);
        return ps_cli_fail(cli, &err);
    }
    nr = ps_ruleset_count(rs);
    if (fmt == PS_FMT_JSON) {
        ps_json j;
        ps_json_init_file(&j, stdout, true);
        ps_json_begin_object(&j);
        ps_json_key(&j, "formats");
        ps_json_begin_array(&j);
        for (i = 0; i < n; i++) {
            ps_json_begin_object(&j);
            ps_json_kv_str(&j, "name", t[i]->name);
            ps_json_kv_str(&j, "family", ps_source_family_name(t[i]->family));
            ps_json_kv_str(&j, "summary", t[i]->summary);
            ps_json_kv_str(&j, "detects", t[i]->detects);
            ps_json_end_object(&j);
        }
        ps_json_end_array(&j);
        ps_json_key(&j, "detectors");
        ps_json_begin_array(&j);
        for (i = 0; i < nd; i++) {
            ps_json_begin_object(&j);
            ps_detector_json(&j, ps_detector_at(i));
            ps_json_kv_str(&j, "kind", "built-in");
            ps_json_end_object(&j);
        }
        for (i = 0; i < nr; i++) {
            ps_ruleset_info(rs, i, &ri);
            ps_json_begin_object(&j);
            ps_json_kv_str(&j, "id", ri.id);
            ps_json_kv_str(&j, "title", ri.title);
            ps_json_kv_str(&j, "technique", ri.technique);
            ps_json_kv_str(&j, "severity", ri.level);
            ps_json_kv_str(&j, "description", ri.description);
            ps_json_kv_str(&j, "kind", "rule");
            ps_json_kv_str(&j, "logsource", ri.logsource);
            ps_json_end_object(&j);
        }
        ps_json_end_array(&j);
        ps_json_end_object(&j);
        ps_json_finish(&j);
        ps_ruleset_free(rs);
        return PS_EXIT_OK;
    }
    printf("INPUT FORMATS (plain or zstd-compressed; detected by content)\n");
    for (i = 0; i < n; i++)
        printf("  %-14s %s\n  %-14s detected by %s\n", t[i]->name, t[i]->summary, "", t[i]->detects);
    printf("\nDETECTORS (built in, then the default rule pack; see 'procstage rules list')\n");
    for (i = 0; i < nd; i++) {
        const ps_detector_info *d = ps_detector_at(i);
        printf("  %-38s %-9s %-10s %s\n", d->id, d->severity, d->technique, d->title);
    }
    for (i = 0; i < nr; i++) {
        const char *comma;
        ps_rule_info r;
        ps_ruleset_info(rs, i, &r);
        /* the first technique; the others are in the findings */
        comma = strchr(r.technique, ',');
        printf("  %-38s %-9s %-10.*s %s\n", r.id, r.level, comma ? (int)(comma - r.technique) : (int)strlen(r.technique),
               r.technique, r.title);
    }
    ps_ruleset_free(rs);
    return PS_EXIT_OK;
}

const ps_command ps_cmd_formats = {
    .name = "formats",
    .summary = "list the input formats procstage reads and how it detects them",
    .synopsis = "[--format text|json]",
    .description = "List the input formats procstage reads, how each is recognised (by content,\n"
                   "never by file name; .zst compression is detected by its magic number), and the\n"
                   "built-in detectors: the default rule pack and detectors written in C.",
    .options = formats_tables,
    .run = run,
};
