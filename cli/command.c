/*
 * command.c - commands that describe themselves (see cli.h): option
 * parsing and help generated from a command's option tables.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/util.h"
#include "parsers/reader.h"

#define MAX_OPTS 96
#define HELP_COL 27   /* where an option's help starts */

const ps_cli_opt ps_cli_global_opts[] = {
    {"quiet", 'q', no_argument, NULL, "no warnings, notes or progress on stderr", false},
    {"verbose", 'v', no_argument, NULL, "more notes on stderr (repeatable)", false},
    {"color", PS_OPT_COLOR, required_argument, "WHEN",
     "colour text output: auto (default), always, never;\nNO_COLOR in the environment turns auto off", false},
    {"colour", PS_OPT_COLOR, required_argument, "WHEN", NULL, true},
    {"progress", PS_OPT_PROGRESS, no_argument, NULL, "show the progress bar on stderr even when it is not a terminal",
     false},
    {"no-progress", PS_OPT_NO_PROGRESS, no_argument, NULL, "never show the progress bar", false},
    {"help", 'h', no_argument, NULL, "show this help and exit", false},
    {NULL, 0, 0, NULL, NULL, false},
};

bool ps_cli_global_option(ps_cli *cli, int key, const char *arg, int *status)
{
    *status = 0;
    switch (key) {
    case 'q':
        cli->verbosity = -1;
        return true;
    case 'v':
        if (cli->verbosity >= 0)
            cli->verbosity++;
        return true;
    case PS_OPT_COLOR:
        if (!strcmp(arg, "auto"))
            cli->color_mode = 0;
        else if (!strcmp(arg, "always"))
            cli->color_mode = 1;
        else if (!strcmp(arg, "never"))
            cli->color_mode = 2;
        else
            *status = ps_cli_usage(cli, NULL, "--color takes auto, always or never, not '%s'", arg);
        return true;
    case PS_OPT_PROGRESS:
        cli->progress_mode = 1;
        return true;
    case PS_OPT_NO_PROGRESS:
        cli->progress_mode = 2;
        return true;
    default:
        return false;
    }
}

/* The options of a command as getopt_long wants them, built once per
 * command (a process runs one). */
typedef struct optset {
    const ps_command *cmd;
    struct option longs[MAX_OPTS + 1];
    char shorts[2 * MAX_OPTS + 2];
} optset;

static void add_table(optset *o, size_t *n, size_t *ns, const ps_cli_opt *t)
{
    for (; t->name && *n < MAX_OPTS; t++) {
        size_t i;
        for (i = 0; i < *n; i++)
            if (!strcmp(o->longs[i].name, t->name))
                break;
        if (i < *n)
            continue;   /* a command's own option shadows a global one of that name */
        o->longs[*n].name = t->name;
        o->longs[*n].has_arg = t->has_arg;
        o->longs[*n].flag = NULL;
        o->longs[*n].val = t->key;
        (*n)++;
        if (t->key > 0 && t->key < 128 && !strchr(o->shorts, t->key)) {
            o->shorts[(*ns)++] = (char)t->key;
            if (t->has_arg == required_argument)
                o->shorts[(*ns)++] = ':';
            o->shorts[*ns] = '\0';
        }
    }
}

static void build(optset *o, const ps_command *cmd)
{
    size_t n = 0, ns = 1, k;

    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->shorts[0] = ':';   /* ':' for a missing argument */
    for (k = 0; cmd->options && cmd->options[k]; k++)
        add_table(o, &n, &ns, cmd->options[k]);
    add_table(o, &n, &ns, ps_cli_global_opts);
}

int ps_cli_getopt(ps_cli *cli, const ps_command *cmd, int argc, char **argv)
{
    static optset o;
    int c, status;

    if (o.cmd != cmd)
        build(&o, cmd);
    opterr = 0;
    for (;;) {
        c = getopt_long(argc, argv, o.shorts, o.longs, NULL);
        if (c == 'h' || !ps_cli_global_option(cli, c, optarg, &status))
            return c;
        if (status) {
            cli->pending_status = status;
            return PS_OPT_FAILED;
        }
    }
}

/* "  -o, --output DB" */
static int opt_head(const ps_cli_opt *t, char *buf, size_t cap)
{
    if (t->key > 0 && t->key < 128)
        return snprintf(buf, cap, "  -%c, --%s%s%s", t->key, t->name, t->arg ? " " : "", t->arg ? t->arg : "");
    return snprintf(buf, cap, "      --%s%s%s", t->name, t->arg ? (t->has_arg == required_argument ? " " : "=") : "",
                    t->arg ? t->arg : "");
}

static void help_text(FILE *f, int col, const char *text)
{
    const char *s = text;
    bool first = true;

    while (*s) {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (!first)
            fprintf(f, "%*s", HELP_COL, "");
        else if (col < HELP_COL - 1)
            fprintf(f, "%*s", HELP_COL - col, "");
        else
            fprintf(f, "\n%*s", HELP_COL, "");
        fprintf(f, "%.*s\n", (int)n, s);
        first = false;
        s += n + (e ? 1 : 0);
    }
}

/* The readers, for --input-format: "auto (default), procmon-csv, ..." wrapped. */
static void readers_line(FILE *f)
{
    size_t n, i, col = HELP_COL;
    const ps_reader_ops *const *t = ps_readers(&n);

    fprintf(f, "%*sFMT: auto (default)", HELP_COL, "");
    col += strlen("FMT: auto (default)");
    for (i = 0; i < n; i++) {
        size_t w = strlen(t[i]->name) + 2;
        if (col + w > 79) {
            fprintf(f, ",\n%*s%s", HELP_COL, "", t[i]->name);
            col = HELP_COL + w - 2;
        } else {
            fprintf(f, ", %s", t[i]->name);
            col += w;
        }
    }
    fputc('\n', f);
}

static void options_help(FILE *f, const ps_cli_opt *t)
{
    char head[128];

    for (; t->name; t++) {
        if (t->hidden || !t->help)
            continue;
        int n = opt_head(t, head, sizeof head);
        fputs(head, f);
        help_text(f, n, t->help);
        if (t->key == PS_OPT_INPUT_FORMAT)
            readers_line(f);
    }
}

void ps_cli_help(const ps_command *cmd, FILE *f)
{
    const char *s = cmd->synopsis ? cmd->synopsis : "";
    bool first = true;
    size_t k;

    do {
        const char *e = strchr(s, '\n');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        fprintf(f, "%s procstage %s%s%.*s\n", first ? "Usage:" : "      ", cmd->name, n ? " " : "", (int)n, s);
        first = false;
        s += n + (e ? 1 : 0);
    } while (*s);
    if (cmd->description)
        fprintf(f, "%s\n", cmd->description);
    if (cmd->subcommands) {
        fprintf(f, "\nSubcommands:\n");
        for (k = 0; cmd->subcommands[k]; k++) {
            const char *sub = strrchr(cmd->subcommands[k]->name, ' ');
            fprintf(f, "  %-17s %s\n", sub ? sub + 1 : cmd->subcommands[k]->name, cmd->subcommands[k]->summary);
        }
        fprintf(f, "\nRun 'procstage %s SUBCOMMAND --help' for its options.\n", cmd->name);
    }
    if (cmd->options && cmd->options[0]) {
        fputc('\n', f);
        for (k = 0; cmd->options[k]; k++)
            options_help(f, cmd->options[k]);
        fprintf(f, "  -h, --help%*sshow this help and exit\n", HELP_COL - 12, "");
    }
    if (cmd->help_more)
        cmd->help_more(f);
    if (!cmd->subcommands)
        fprintf(f, "\nThe global options -q, -v, --color, --progress and --no-progress work here too\n"
                   "(see 'procstage --help').\n");
}
