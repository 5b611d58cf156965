/*
 * cli.h - what the commands share: how a command describes itself, the
 * global options, diagnostics on stderr, progress, and option helpers.
 *
 * Every command is one file cli/cmd_NAME.c defining a `const ps_command
 * ps_cmd_NAME`: its name, one-line summary, synopsis, description, option
 * tables and a run function returning a process exit status
 * (common/exitcodes.h).  The table of main.c lists them; `procstage help`,
 * every `--help`, and the option parsing (ps_cli_getopt) are generated from
 * the descriptions, so they cannot disagree.  HACKING.md, "A command".
 */
#ifndef PS_CLI_H
#define PS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/exitcodes.h"
#include "recon/config.h"
#include "parsers/input.h"

typedef struct ps_cli {
    const char *prog;        /* "procstage" */
    int verbosity;           /* -1 quiet, 0 normal, 1+ verbose */
    int color_mode;          /* 0 auto, 1 always, 2 never */
    bool stdout_tty, stderr_tty;
    bool no_color_env;       /* NO_COLOR is set */
    int progress_mode;       /* 0 auto, 1 always, 2 never */
    double progress_delay;   /* seconds before a bar is first drawn on a terminal
                              * (PROCSTAGE_PROGRESS_DELAY; default 0.25) */
    int pending_status;      /* a global option's usage error (PS_OPT_FAILED) */
} ps_cli;

/* One option of a command.  key is what ps_cli_getopt returns: the short
 * letter when the option has one, else a PS_OPT_* code.  help may hold
 * several lines; hidden options (aliases kept for old scripts) are parsed
 * but not listed. */
typedef struct ps_cli_opt {
    const char *name;        /* long name; NULL ends a table */
    int key;
    int has_arg;             /* no_argument or required_argument (getopt.h) */
    const char *arg;         /* "FILE" in the help; NULL without argument */
    const char *help;
    bool hidden;
} ps_cli_opt;

typedef struct ps_command ps_command;
struct ps_command {
    const char *name;            /* "analyze"; "source scan" for a subcommand */
    const char *summary;         /* one line, for the list of commands */
    const char *synopsis;        /* what follows the name in "Usage:", lines
                                  * separated by \n */
    const char *description;     /* the paragraph(s) after the usage lines */
    const ps_cli_opt *const *options;   /* NULL-terminated list of option tables */
    /* more help after the options (a list of report kinds, ...); may be NULL */
    void (*help_more)(FILE *f);
    int (*run)(ps_cli *cli, int argc, char **argv);
    const ps_command *const *subcommands;   /* NULL-terminated; NULL when none */
};

/* getopt_long over the command's options and the global ones, which it
 * handles itself (-q, -v, --color, --progress, --no-progress are accepted
 * before or after the command).  Returns an option's key, -1 after the
 * last, '?' for an unknown option, ':' for a missing argument. */
int ps_cli_getopt(ps_cli *cli, const ps_command *cmd, int argc, char **argv);
/* Prints the command's help (usage, description, options) on f. */
void ps_cli_help(const ps_command *cmd, FILE *f);
/* The global options (main.c parses them before the command). */
extern const ps_cli_opt ps_cli_global_opts[];
/* Handles a global option returned by getopt_long: true when it was one. */
bool ps_cli_global_option(ps_cli *cli, int key, const char *arg, int *status);

/* Diagnostics ("procstage: ..." on stderr). Errors always print; warnings
 * and notes not in quiet mode; verbose notes only with -v. */
void ps_cli_error(ps_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ps_cli_warn(ps_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ps_cli_note(ps_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ps_cli_verbose(ps_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints err and returns its exit status. */
int ps_cli_fail(ps_cli *cli, const ps_error *err);
/* A usage error: message plus a hint to --help; returns PS_EXIT_USAGE. */
int ps_cli_usage(ps_cli *cli, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Colour for data written to stdout. */
bool ps_cli_color_stdout(const ps_cli *cli);
/* The columns text on stdout may use: the terminal's, else COLUMNS, else 0
 * (the reports' own default). */
int ps_cli_stdout_width(void);
/* Progress is shown only on a terminal, never in quiet mode. */
bool ps_cli_show_progress(const ps_cli *cli);

/* A progress line on stderr, rate-limited (ps_session_opts.progress). */
void ps_cli_progress(void *ctx, const char *name, uint64_t raw_pos, uint64_t raw_size, uint64_t events,
                     bool done);
/* Reader warnings (ps_session_opts.warn). */
void ps_cli_reader_warning(void *ctx, const char *msg);

/* --fail-on / --min-severity: "none" gives -1. */
int ps_cli_parse_severity(const char *s, int *rank, bool allow_none);
/* --from/--to: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fffffff]]", a space for
 * the T, a Z or none at the end; the FILETIME it names (a date alone: its
 * first tick, or with `end` its last).  -1 when it is none of these. */
int ps_cli_parse_time(const char *s, bool end, int64_t *ts);
/* A whole number from min to max (decimal, nothing after it): 0, or -1 for
 * anything else (also beyond 64 bits: strtoll's ERANGE). */
int ps_cli_parse_int(const char *s, long long min, long long max, long long *out);
/* "64M", "2G", "1048576" */
int ps_cli_parse_size(const char *s, uint64_t *bytes);

/* Loads the reconstruction config: the file, or the built-in one. */
int ps_cli_load_config(ps_cli *cli, const char *path, ps_recon_config *cfg);

/* Reports an unknown option or a missing argument after ps_cli_getopt
 * returned '?' or ':' (or PS_OPT_FAILED: a global option's error, already
 * printed); returns PS_EXIT_USAGE. */
int ps_cli_bad_option(ps_cli *cli, const char *cmd, char **argv, int c);

/* The ingest options shared by analyze, ingest and rules test. */
struct ps_store;
typedef struct ps_cli_ingest {
    const char *format;
    bool no_stacks;
    bool recovered;          /* --recovered: EVTX records in chunk slack too */
    const ps_recon_config *config;
    ps_input_opts input;
    bool summary;
    /* the rule engine: the default pack unless no_default_rules, plus every
     * --rules DIR (rule_dirs[0..nrule_dirs)) */
    bool no_default_rules;
    const char *rule_dirs[32];
    size_t nrule_dirs;
    const struct ps_ruleset *ruleset;   /* set by ps_cli_build_model while it runs */
    const char *stage_map;   /* --stage-map: stack attribution's map (NULL: built in) */
    const char *symbols;     /* --symbols: names for module + offset frames */
    /* folders (pipeline/collect.h): --include / --exclude globs; --host
     * names the machine of every trace instead of what the data says */
    const char *include[32], *exclude[32];
    size_t ninclude, nexclude;
    const char *host;
    const char *case_name;   /* --case: the investigation every trace belongs to */
    bool no_wait;            /* --no-wait: fail when another writer holds the model's lock */
    bool force;              /* --force: ingest a trace whose content the model holds already */
    int jobs;                /* -j: traces ingested at once (0 or 1: one after the other) */
} ps_cli_ingest;
#define PS_CLI_MAX_JOBS 64
/* Runs an ingest session (pipeline/session.h) over every trace into the
 * model (`out`, or a temporary one when NULL) and commits; prints one
 * summary line per trace on stdout when opts->summary.  Returns an exit status;
 * on success *store stays open for reporting (the caller closes it). */
int ps_cli_build_model(ps_cli *cli, const char *out, char **paths, int n, const ps_cli_ingest *opts,
                       struct ps_store **store);

/* Long-option codes shared by analyze and ingest. */
enum {
    PS_OPT_RECON = 256,
    PS_OPT_NO_STACKS,
    PS_OPT_RECOVERED,
    PS_OPT_MAX_WINDOW,
    PS_OPT_MAX_DECOMP,
    PS_OPT_MAX_SPOOL,
    PS_OPT_PROGRESS,
    PS_OPT_NO_PROGRESS,
    PS_OPT_FAIL_ON,
    PS_OPT_INPUT_FORMAT,
    PS_OPT_TRACE,
    PS_OPT_MIN_SEVERITY,
    PS_OPT_HTML,
    PS_OPT_PERFETTO,
    PS_OPT_UNICODE,
    PS_OPT_ASCII,
    PS_OPT_RULES,
    PS_OPT_NO_DEFAULT_RULES,
    PS_OPT_STAGE_MAP,
    PS_OPT_SYMBOLS,
    PS_OPT_INCLUDE,
    PS_OPT_EXCLUDE,
    PS_OPT_HOST,
    PS_OPT_CASE,
    PS_OPT_NO_WAIT,
    PS_OPT_COLOR,
    PS_OPT_FROM,
    PS_OPT_TO,
    PS_OPT_FORCE,
    PS_OPT_COMMAND = 400   /* first code free for a command's own options */
};
#define PS_OPT_FAILED (-2)
/* The shared option tables: reading a trace (input format, stacks, zstd
 * limits), and building a model from it (reconstruction, rules, stack
 * attribution).  ps_cli_ingest_option handles both. */
extern const ps_cli_opt ps_cli_input_opts[];
extern const ps_cli_opt ps_cli_ingest_opts[];
/* Handles one of the shared ingest options; returns 1 when handled, 0 when
 * the option is not one of them, or a usage exit status (> 1) on error.
 * *recon receives --reconstruct. */
int ps_cli_ingest_option(ps_cli *cli, const char *cmd, int c, const char *arg, ps_cli_ingest *io,
                         const char **recon);
/* --fail-on: PS_EXIT_FINDINGS when the model holds a finding of at least
 * `rank` (in `trace_id`, 0 = all), else PS_EXIT_OK; rank < 0 never fails. */
int ps_cli_fail_on(ps_cli *cli, struct ps_store *store, int64_t trace_id, int rank);

/* Runs a report into the file `path` (NULL or "-": standard output).  A
 * file is written next to `path` and renamed into place when complete; on
 * any error no file is left.  Sets ro->out; returns an exit status. */
struct ps_report_opts;
typedef int (*ps_cli_report_fn)(struct ps_store *s, const struct ps_report_opts *o, ps_error *err);
int ps_cli_report_to(ps_cli *cli, const char *path, ps_cli_report_fn run, struct ps_store *store,
                     struct ps_report_opts *ro);

/* The commands (cli/cmd_*.c), in the order `procstage help` lists them. */
extern const ps_command ps_cmd_analyze, ps_cmd_ingest, ps_cmd_report, ps_cmd_events, ps_cmd_formats, ps_cmd_rules,
    ps_cmd_source;
extern const ps_command ps_cmd_merge;
extern const ps_command ps_cmd_export;

/* Loads the default pack (unless io->no_default_rules) and every
 * io->rule_dirs into a finished ruleset.  Rules that cannot run are printed
 * as warnings when `warn`; a directory that cannot be read is an error.
 * Returns an exit status. */
struct ps_ruleset;
int ps_cli_load_rules(ps_cli *cli, const ps_cli_ingest *io, bool warn, struct ps_ruleset **out);
/* Prints one rule problem ("'file': line 3: rule 'Title' (id): reason"). */
struct ps_rule_problem;
void ps_cli_print_problem(FILE *f, const struct ps_rule_problem *p);

/* Loads the stage map: the file, or the built-in rules/stages.yml.  Returns
 * 0 or an exit status. */
struct ps_stage_map;
int ps_cli_load_stage_map(ps_cli *cli, const char *path, struct ps_stage_map *m);

#endif
