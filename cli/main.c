/*
 * main.c - procstage: the global options and the table of commands (each
 * describes itself in its own file, cli.h).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/tmpclean.h"
#include "common/util.h"

static const ps_command ps_cmd_help, ps_cmd_version;

static const ps_command *const commands[] = {
    &ps_cmd_analyze, &ps_cmd_ingest, &ps_cmd_report, &ps_cmd_formats, &ps_cmd_rules,
    &ps_cmd_events,  &ps_cmd_source, &ps_cmd_merge,  &ps_cmd_export, &ps_cmd_help,   &ps_cmd_version,
};

static const ps_command *find_command(const char *name)
{
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(commands); i++)
        if (!strcmp(commands[i]->name, name))
            return commands[i];
    return NULL;
}

/* Levenshtein distance of two short words (at most 31 characters). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, row[32], prev, tmp;

    if (la > 31 || lb > 31)
        return 99;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t best = prev + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            tmp = row[j];
            row[j] = best;
            prev = tmp;
        }
    }
    return row[lb];
}

/* "unknown command 'analyse' (did you mean 'analyze'?)" */
static int unknown_command(ps_cli *cli, const char *name)
{
    const ps_command *best = NULL;
    size_t i, bd = 3;

    for (i = 0; i < PS_ARRAY_LEN(commands); i++) {
        size_t d = distance(name, commands[i]->name);
        if (d < bd || (strlen(name) >= 3 && !strncmp(commands[i]->name, name, strlen(name)) && d < 99 && !best)) {
            bd = d < bd ? d : bd;
            best = commands[i];
        }
    }
    if (best)
        return ps_cli_usage(cli, NULL, "unknown command '%s' (did you mean '%s'?)", name, best->name);
    return ps_cli_usage(cli, NULL, "unknown command '%s'", name);
}

static void usage(FILE *f)
{
    const ps_cli_opt *o;
    size_t i;

    fprintf(f,
            "Usage: procstage [OPTION]... COMMAND [ARG]...\n"
            "Turn Windows traces (Procmon PML, CSV and XML; ETW; event logs) into process\n"
            "creations split into the six CreateProcess stages, with timings and the\n"
            "findings of Sigma-style rules.\n"
            "\n"
            "Commands:\n");
    for (i = 0; i < PS_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nOptions (before or after the command):\n");
    for (o = ps_cli_global_opts; o->name; o++) {
        char head[64];
        const char *h;
        int n;
        if (o->hidden || !o->help)
            continue;
        n = o->key > 0 && o->key < 128 ? snprintf(head, sizeof head, "  -%c, --%s", o->key, o->name)
                                       : snprintf(head, sizeof head, "      --%s%s%s", o->name, o->arg ? "=" : "",
                                                  o->arg ? o->arg : "");
        fprintf(f, "%s%*s", head, n < 22 ? 22 - n : 1, "");
        for (h = o->help; *h; h++) {
            fputc(*h, f);
            if (*h == '\n')
                fprintf(f, "%22s", "");
        }
        fputc('\n', f);
    }
    fprintf(f, "  -V, --version       print the version and exit\n"
               "\n"
               "Exit status: 0 success; 1 findings at or above --fail-on; 2 usage error;\n"
               "3 input error (malformed trace, rule or config); 4 i/o or database error\n"
               "(out of memory included).\n"
               "\n"
               "Run 'procstage help COMMAND' for the options of a command; see procstage(1).\n"
               "Quick start: procstage analyze capture.csv\n");
}

static int restart_getopt(void)
{
    /* glibc re-reads the ordering flags only when optind is 0 */
#ifdef __GLIBC__
    optind = 0;
#else
    optind = 1;
#endif
    opterr = 0;
    return 0;
}

/* help [COMMAND [SUBCOMMAND]] */
static int help_run(ps_cli *cli, int argc, char **argv)
{
    const ps_command *c;
    size_t i;

    if (argc < 2) {
        usage(stdout);
        return PS_EXIT_OK;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        ps_cli_help(&ps_cmd_help, stdout);
        return PS_EXIT_OK;
    }
    if (!(c = find_command(argv[1])))
        return unknown_command(cli, argv[1]);
    if (argc > 2 && c->subcommands) {
        for (i = 0; c->subcommands[i]; i++)
            if (!strcmp(strchr(c->subcommands[i]->name, ' ') + 1, argv[2])) {
                ps_cli_help(c->subcommands[i], stdout);
                return PS_EXIT_OK;
            }
        return ps_cli_usage(cli, "help", "'%s' has no subcommand '%s'", c->name, argv[2]);
    }
    if (argc > 2)
        return ps_cli_usage(cli, "help", "unexpected argument '%s'", argv[2]);
    ps_cli_help(c, stdout);
    return PS_EXIT_OK;
}

static const ps_command ps_cmd_help = {
    .name = "help",
    .summary = "show help for procstage or one command",
    .synopsis = "[COMMAND [SUBCOMMAND]]",
    .description = "Without a command, the list of commands and the global options; with one, its\n"
                   "usage and options (the same as 'procstage COMMAND --help').",
    .run = help_run,
};

static int version_run(ps_cli *cli, int argc, char **argv)
{
    int c;

    while ((c = ps_cli_getopt(cli, &ps_cmd_version, argc, argv)) != -1) {
        if (c == 'h') {
            ps_cli_help(&ps_cmd_version, stdout);
            return PS_EXIT_OK;
        }
        return ps_cli_bad_option(cli, "version", argv, c);
    }
    if (optind < argc)
        return ps_cli_usage(cli, "version", "unexpected argument '%s'", argv[optind]);
    printf("procstage %s\n", PACKAGE_VERSION);
    return PS_EXIT_OK;
}

static const ps_command ps_cmd_version = {
    .name = "version",
    .summary = "print the version",
    .synopsis = "",
    .description = "Print procstage's version (the same as 'procstage --version').",
    .run = version_run,
};

int main(int argc, char **argv)
{
    struct option longs[16];
    const ps_cli_opt *o;
    ps_cli cli;
    const ps_command *cmd;
    size_t n = 0;
    int c, status;

    /* temporary files go with the run on SIGINT, SIGTERM, SIGHUP, SIGQUIT */
    ps_tmpclean_install();
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

    /* the global options before the command ("+": stop at the command) */
    for (o = ps_cli_global_opts; o->name && n + 2 < PS_ARRAY_LEN(longs); o++, n++) {
        longs[n].name = o->name;
        longs[n].has_arg = o->has_arg;
        longs[n].flag = NULL;
        longs[n].val = o->key;
    }
    longs[n++] = (struct option){"version", no_argument, NULL, 'V'};
    memset(&longs[n], 0, sizeof longs[n]);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+qvhV", longs, NULL)) != -1) {
        if (ps_cli_global_option(&cli, c, optarg, &status)) {
            if (status)
                return status;
            continue;
        }
        switch (c) {
        case 'h':
            usage(stdout);
            return PS_EXIT_OK;
        case 'V':
            printf("procstage %s\n", PACKAGE_VERSION);
            return PS_EXIT_OK;
        case ':':
            return ps_cli_usage(&cli, NULL, "option '%s' needs an argument", argv[optind - 1]);
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
        return unknown_command(&cli, argv[optind]);
    argc -= optind;
    argv += optind;
    restart_getopt();
    status = cmd->run(&cli, argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        ps_cli_error(&cli, "cannot write the output: %s", "write error");
        return PS_EXIT_IO;
    }
    return status;
}
