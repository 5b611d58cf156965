/*
 * main.c - procstage: global options and the command table.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static int cmd_help(ps_cli *cli, int argc, char **argv);
static int cmd_version(ps_cli *cli, int argc, char **argv);

static const ps_command commands[] = {
    {"analyze", cmd_analyze, "ingest traces, reconstruct creations, print timings and findings"},
    {"ingest", cmd_ingest, "build or append to a procstage database (SQLite)"},
    {"report", cmd_report, "reports from a database: timings, findings, tree, HTML, Perfetto..."},
    {"formats", cmd_formats, "list the input formats procstage reads and how it detects them"},
    {"rules", cmd_rules, "list, check or test detection rules (Sigma YAML)"},
    {"events", cmd_events, "print the events of a trace as CSV (Procmon's export layout) or NDJSON"},
    {"source", cmd_source, "function -> stage catalogue and call graph from annotated C source"},
    {"help", cmd_help, "show help for procstage or one command"},
    {"version", cmd_version, "print the version"},
};

static const ps_command *find_command(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    size_t i;
    fprintf(f,
            "Usage: procstage [OPTION]... COMMAND [ARG]...\n"
            "Turn Windows traces (Procmon PML, CSV and XML; ETW; event logs) into process\n"
            "creations split into the six CreateProcess stages, with timings and the\n"
            "findings of Sigma-style rules.\n"
            "\n"
            "Commands:\n");
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Options:\n"
            "  -q, --quiet         no warnings, notes or progress on stderr\n"
            "  -v, --verbose       more notes on stderr (repeatable)\n"
            "      --color=WHEN    colour text output: auto (default), always, never;\n"
            "                      NO_COLOR in the environment turns auto off\n"
            "  -h, --help          show this help and exit\n"
            "  -V, --version       print the version and exit\n"
            "\n"
            "Exit status: 0 success; 1 findings at or above --fail-on; 2 usage error;\n"
            "3 input error (malformed trace, rule or config); 4 i/o or database error.\n"
            "\n"
            "Run 'procstage COMMAND --help' for the options of a command; see procstage(1).\n"
            "Quick start: procstage analyze capture.csv\n");
}

static int cmd_help(ps_cli *cli, int argc, char **argv)
{
    if (argc > 1) {
        const ps_command *c = find_command(argv[1]);
        char *sub[] = {argv[1], "--help", NULL};
        if (!c)
            return ps_cli_usage(cli, NULL, "unknown command '%s'", argv[1]);
#ifdef __GLIBC__
        optind = 0;
#else
        optind = 1;
#endif
        return c->run(cli, 2, sub);
    }
    usage(stdout);
    return PS_EXIT_OK;
}

static int cmd_version(ps_cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    printf("procstage %s\n", PACKAGE_VERSION);
    return PS_EXIT_OK;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"quiet", no_argument, NULL, 'q'},   {"verbose", no_argument, NULL, 'v'},
        {"color", required_argument, NULL, 'C'}, {"colour", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},    {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    ps_cli cli;
    const ps_command *cmd;
    int c;

    memset(&cli, 0, sizeof cli);
    cli.prog = "procstage";
    cli.stdout_tty = isatty(STDOUT_FILENO);
    cli.stderr_tty = isatty(STDERR_FILENO);
    cli.no_color_env = getenv("NO_COLOR") && *getenv("NO_COLOR");
    cli.progress_delay = 0.25;
    {
        const char *d = getenv("PROCSTAGE_PROGRESS_DELAY");
        char *end;
        double v;
        if (d && *d && (v = strtod(d, &end)) >= 0 && v <= 3600 && !*end)
            cli.progress_delay = v;
    }
    {
        const char *term = getenv("TERM");
        if (term && !strcmp(term, "dumb"))
            cli.no_color_env = true;
    }

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+qvhV", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            cli.verbosity = -1;
            break;
        case 'v':
            if (cli.verbosity >= 0)
                cli.verbosity++;
            break;
        case 'C':
            if (!strcmp(optarg, "auto"))
                cli.color_mode = 0;
            else if (!strcmp(optarg, "always"))
                cli.color_mode = 1;
            else if (!strcmp(optarg, "never"))
                cli.color_mode = 2;
            else
                return ps_cli_usage(&cli, NULL, "--color takes auto, always or never, not '%s'", optarg);
            break;
        case 'h':
            usage(stdout);
            return PS_EXIT_OK;
        case 'V':
            return cmd_version(&cli, 0, NULL);
        default:
            if (optopt)
                return ps_cli_usage(&cli, NULL, "unknown option '-%c'", optopt);
            return ps_cli_usage(&cli, NULL, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return PS_EXIT_USAGE;
    }
    cmd = find_command(argv[optind]);
    if (!cmd)
        return ps_cli_usage(&cli, NULL, "unknown command '%s'", argv[optind]);
    argc -= optind;
    argv += optind;
    /* restart getopt for the command's own options: glibc re-reads the
     * ordering flags only when optind is 0 (the global options used "+") */
#ifdef __GLIBC__
    optind = 0;
#else
    optind = 1;
#endif
    opterr = 0;
    {
        int rc = cmd->run(&cli, argc, argv);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            ps_cli_error(&cli, "cannot write the output: %s", "write error");
            return PS_EXIT_IO;
        }
        return rc;
    }
}
