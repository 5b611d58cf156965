/*
 * rules.h - procstage's rule engine: Sigma rules (and procstage's own
 * extensions) compiled once and run over every event and every finished
 * process creation of a trace in the same streaming pass as the ingest.
 *
 * A ps_ruleset holds compiled rules: detection rules (logsource, detection,
 * condition) and correlation rules (event_count, value_count, temporal,
 * temporal_ordered).  Rules come from the built-in default pack (the .yml files of rules/,
 * compiled into the binary) and from files or directories of .yml/.yaml
 * files.  A rule that cannot run - bad YAML, an unknown modifier or
 * logsource, a regular expression that does not compile, a limit exceeded -
 * is recorded as a problem naming the file, line, rule and reason, and never
 * stops the others.  docs/rules.md describes the language, the logsources,
 * the field names of every source and the limits.
 *
 * A ps_rules_run applies a finished ruleset to traces as they are ingested:
 * begin_trace, then event() for every stored event and creation() for every
 * finished creation (the reconstruction engine's hook), then end_trace (rules
 * that need the whole trace: per-image stage statistics; pending
 * correlations are dropped).  Matches become findings in the store.
 * Matching never turns a rule into SQL and never backtracks without bound:
 * regular expressions (PCRE2) run under a match limit, everything else is
 * linear in the field's length.
 *
 * Ownership: ps_ruleset_new / ps_rules_run_new return objects owned by the
 * caller.  A run borrows its ruleset and store, and the trace info and
 * reconstruction engine given to begin_trace, until end_trace.  Strings
 * returned by the info functions belong to the ruleset.
 */
#ifndef PS_RULES_H
#define PS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "model/creation.h"
#include "model/event.h"
#include "model/store.h"
#include "model/trace.h"

struct ps_recon;

/* Limits (docs/rules.md). */
#define PS_RULE_MAX_VALUES 4096        /* values of one rule, after windash/base64offset expansion */
#define PS_RULE_MAX_COND_DEPTH 64      /* nesting of the condition */
#define PS_RULE_MAX_COND_LEN 8192      /* characters of a condition */
#define PS_RULE_MAX_VALUE_LEN 65536    /* bytes of one value */
#define PS_RULE_MAX_FILE (4u << 20)    /* bytes of one rule file */
#define PS_RULE_MAX_COMPILED (4u << 20) /* bytes of one rule's values as compiled: aliases and expansions
                                          * counted each time they are used */
#define PS_RULE_MAX_COMPILED_FILE (16u << 20) /* the same, summed over the rules of one file */
#define PS_RULE_MAX_FILES 100000       /* files under one --rules directory */
#define PS_RULE_MAX_DEPTH 32           /* directory nesting under --rules */
#define PS_RULE_REGEX_MATCH_LIMIT 100000
#define PS_RULE_REGEX_DEPTH_LIMIT 2000
#define PS_RULE_CORR_STATES 65536      /* open correlation groups per trace */

typedef struct ps_ruleset ps_ruleset;

/* The value modifiers of the rule language, by index (NULL past the last):
 * supported is false for those refused as unsupported (docs/rules.md). */
const char *ps_rule_modifier(size_t i, bool *supported);

typedef struct ps_rule_problem {
    const char *file;
    int line, col;           /* 0 when unknown */
    const char *title;       /* NULL when the document has none */
    const char *id;
    const char *reason;      /* "unsupported modifier 'expand'" */
    const char *kind;        /* the reason without its details, for counting */
} ps_rule_problem;

typedef struct ps_rule_info {
    const char *id;          /* the rule's id, else its name, else its title */
    const char *title;
    const char *level;       /* info, low, medium, high, critical */
    const char *status;      /* "" when absent */
    const char *logsource;   /* "registry_set", "service:security", "correlation:temporal_ordered" */
    const char *technique;   /* "T1546.012, T1546.008" or "" */
    const char *file;
    int line;
    bool builtin;            /* from the default pack */
    bool generates;          /* produces findings of its own */
    const char *description; /* "" when absent */
} ps_rule_info;

int ps_ruleset_new(ps_ruleset **out, ps_error *err);
void ps_ruleset_free(ps_ruleset *rs);

/* The default pack built into procstage. */
int ps_ruleset_add_default(ps_ruleset *rs, ps_error *err);
/* A rule file, or every .yml/.yaml file under a directory (recursively, in
 * name order; rules/reconstruct.yml, the reconstruction parameters, is
 * skipped).  Returns < 0 only when `path` cannot be read at all. */
int ps_ruleset_add_path(ps_ruleset *rs, const char *path, ps_error *err);
/* Rules from memory; `name` is the file name used in messages. */
int ps_ruleset_add_text(ps_ruleset *rs, const char *text, size_t len, const char *name, bool builtin,
                        ps_error *err);
/* Links correlations to the rules they name and builds the dispatch index.
 * Call once, after every add. */
int ps_ruleset_finish(ps_ruleset *rs, ps_error *err);

size_t ps_ruleset_count(const ps_ruleset *rs);
void ps_ruleset_info(const ps_ruleset *rs, size_t i, ps_rule_info *out);
const ps_rule_problem *ps_ruleset_problems(const ps_ruleset *rs, size_t *n);
/* Rule files read and documents seen (rules + problems). */
void ps_ruleset_stats(const ps_ruleset *rs, size_t *files, size_t *documents);
/* True when a runnable rule has this id (built-in detectors defer to it). */
bool ps_ruleset_has_id(const ps_ruleset *rs, const char *id);

/* ---- running ------------------------------------------------------------------ */

typedef struct ps_rules_run ps_rules_run;

/* Called for every rule match (after the finding is stored), e.g. by tests
 * and the benchmark; creation_id 0 for event matches. */
typedef void (*ps_rule_match_fn)(void *ctx, const ps_rule_info *rule, const char *severity, int64_t event_id,
                                 int64_t creation_id);

/* store may be NULL: matches are counted and reported to the hook only. */
int ps_rules_run_new(const ps_ruleset *rs, ps_store *store, ps_rules_run **out, ps_error *err);
void ps_rules_run_free(ps_rules_run *rr);
void ps_rules_set_hook(ps_rules_run *rr, ps_rule_match_fn fn, void *ctx);

int ps_rules_begin_trace(ps_rules_run *rr, int64_t trace_id, const ps_trace_info *info, struct ps_recon *recon,
                         ps_error *err);
int ps_rules_event(ps_rules_run *rr, int64_t event_id, const ps_event *ev, ps_error *err);
int ps_rules_creation(ps_rules_run *rr, const ps_creation *c, ps_error *err);
int ps_rules_end_trace(ps_rules_run *rr, ps_error *err);

/* Findings stored so far. */
uint64_t ps_rules_findings(const ps_rules_run *rr);
/* Regular-expression matches abandoned at the match limit (counted as no
 * match), over all rules. */
uint64_t ps_rules_regex_limited(const ps_rules_run *rr);

#endif
