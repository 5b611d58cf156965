/*
 * internal.h - the rule engine's compiled form, shared by its files:
 *
 *   compile.c  YAML documents -> rules (detections, values, the table of
 *              modifiers, procstage extensions, correlations)
 *   fields.c   the field dictionary and the fields the engine fills itself
 *   logsource.c  Sigma logsources: categories, services, an event's logsources
 *   cond.c     condition strings -> expression trees
 *   value.c    value tests: strings with wildcards, regular expressions,
 *              numbers, CIDR networks, field references
 *   view.c     what a rule sees of an event or a creation: the fields of
 *              every source under Sigma's names
 *   run.c      matching, correlations, per-image statistics, findings
 *   pack.c     the built-in pack and rule directories
 *
 * Ownership: everything hangs off the ps_ruleset (rules, strings, compiled
 * regular expressions) or the ps_rules_run (per-trace state).
 */
#ifndef PS_RULES_INTERNAL_H
#define PS_RULES_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/util.h"
#include "common/yamltree.h"
#include "rules_engine/rules.h"

typedef struct acm acm;     /* aho.c */

#include "rules_engine/fields.h"
#include "rules_engine/logsource.h"

/* ---- values -------------------------------------------------------------------------- */

enum { V_STR, V_RE, V_NUM, V_CIDR, V_EXISTS, V_NULL, V_REF };
enum { S_EQ, S_PREFIX, S_SUFFIX, S_CONTAINS, S_GLOB };
enum { CMP_LT, CMP_LTE, CMP_GT, CMP_GTE };

typedef struct vtest {
    uint8_t kind;
    uint8_t mode;            /* V_STR, V_REF: S_* */
    uint8_t cmp;             /* V_NUM */
    bool cased;
    bool exists;             /* V_EXISTS: what it expects */
    char *lit;               /* V_STR: the pattern, lower-cased unless cased */
    uint8_t *wild;           /* V_STR S_GLOB: 1 = '*', 2 = '?' at that position of lit */
    size_t len;
    pcre2_code *re;
    double num;
    uint8_t net[16];
    int family, bits;        /* V_CIDR: 4 or 6, prefix length */
    int ref;                 /* V_REF: the field */
    int pat;                 /* its pattern in the field's automaton; -1 when tested directly */
} vtest;

typedef struct item {
    int field;               /* -1: keywords, searched in every value */
    bool all;                /* every value must match (|all) */
    bool neg;                /* |neq */
    vtest *v;
    size_t nv;
    ps_map *eq;              /* many plain case-insensitive equalities: hash -> value index + 1 */
    int line;
    int gid;                 /* index among all items of the ruleset */
    bool ac_full;            /* every value is in the field's automaton: one lookup */
    int shadow;              /* |all items: a gid marked by one of its literals (prefilter); -1 */
} item;

typedef struct group {       /* a map: every item */
    item *items;
    size_t n;
} group;

typedef struct sel {         /* a detection identifier: any of its groups */
    char *name;
    group *g;
    size_t ng;
} sel;

/* ---- conditions ------------------------------------------------------------------------- */

enum { C_AND, C_OR, C_NOT, C_SEL, C_OF };

typedef struct cnode {
    uint8_t op;
    int a, b;                /* children (C_AND, C_OR: a, b; C_NOT: a) */
    int sel;                 /* C_SEL */
    int need;                /* C_OF: how many (-1 = all) */
    int *sels;               /* C_OF: the identifiers */
    size_t nsels;
} cnode;

typedef struct cond {
    cnode *n;
    size_t nn, cap;
    int root;
} cond;

/* Parses `text` over the identifiers of the rule; msg gets the reason. */
int ps_cond_parse(cond *c, const char *text, const sel *sels, size_t nsels, char *msg, size_t cap);
void ps_cond_release(cond *c);

/* ---- rules -------------------------------------------------------------------------------- */

typedef struct sev_override {
    sel s;                   /* its match (a selection) */
    int level;
    char *technique;         /* the rule's techniques plus the override's */
} sev_override;

typedef struct ev_key {      /* procstage.evidence */
    char *key;
    int field;
    pcre2_code *extract;     /* first capture group of this expression */
} ev_key;

typedef struct ev_event {    /* procstage.events */
    int field;               /* a field holding an event id */
    char *role;
} ev_event;

enum { CT_EVENT_COUNT, CT_VALUE_COUNT, CT_TEMPORAL, CT_TEMPORAL_ORDERED };

typedef struct corr {
    int type;
    char **refs;             /* rule ids or names as written */
    int *rules;              /* resolved rule indices */
    size_t nrefs;
    char **group;            /* group-by names */
    size_t ngroup;
    int *gfield;             /* [nrefs * ngroup]: field of group key g for rule r */
    int64_t timespan;        /* ticks */
    bool has_min, has_max;
    double min, max;         /* the count condition (inclusive bounds) */
    int value_field;         /* value_count: field name interned */
    char *value_name;
    bool generate;
    /* aliases as written, resolved in finish */
    char **alias_name;
    char **alias_rule;
    char **alias_field;
    size_t naliases;
} corr;

typedef struct rule {
    char *id, *name, *title, *status, *file, *description;
    int line;
    bool builtin;
    int level;               /* rank 0..4 */
    char *technique;         /* "T1546.012, T1546.008" */
    int lskey;               /* LS_* */
    char *lsname;
    sel *sels;
    size_t nsels;
    cond cond;
    int *fields;             /* referenced by the detection, for evidence */
    size_t nfields;
    sev_override *sev;
    size_t nsev;
    ev_key *evk;
    size_t nevk;
    ev_event *eve;
    size_t neve;
    bool deferred;           /* needs the per-image statistics of the trace */
    bool has_regex;
    corr *corr;              /* correlation rules */
    int *consumers;          /* correlations that use this rule */
    size_t nconsumers;
    bool generates;
    size_t nvalues;          /* compile-time count against the limit */
    /* prefilter: the rule cannot match unless one of these items matched
     * (items of a required selection, looked up in the automata) */
    int *pre_gid, *pre_field;
    size_t npre;
} rule;

struct ps_ruleset {
    rule *rules;
    size_t n, cap;
    ps_rule_problem *problems;   /* strings owned (allocated) */
    size_t nproblems, pcap;
    fdict dict;
    int *bucket[64];         /* rules per logsource key */
    size_t nbucket[64];
    /* per bucket entry: deferred?, and its prefilter in pre_pool */
    uint8_t *bdeferred[64];
    int32_t *bpre_first[64];
    uint16_t *bpre_n[64];
    int32_t *pre_pool;
    size_t npre_pool;
    bool finished;
    bool has_keywords;
    size_t files, documents;
    size_t bytes_file, file_bytes;   /* compiled value bytes of file number bytes_file (compile.c) */
    pcre2_compile_context *cctx;
    /* the automata: per field id, its automaton index or -1 */
    int *field_acm;
    acm **acms;
    int *acm_field;
    size_t nacms;
    size_t nitems;           /* item gids handed out */
    int sf[SF__COUNT];       /* ids of the source fields the view reads (fields.h) */
};

/* compile.c */
int ps_rule_compile_doc(ps_ruleset *rs, const ps_ydoc *doc, const ps_ynode *root, bool builtin, ps_error *err);
void ps_rule_release(rule *r);
int ps_ruleset_problem(ps_ruleset *rs, const char *file, int line, int col, const char *title, const char *id,
                       const char *kind, const char *fmt, ...) __attribute__((format(printf, 8, 9)));

/* value.c */
void ps_vtest_release(vtest *v);
/* Compiles a regular expression (Sigma's PCRE-like dialect) with flags
 * 'i', 'm', 's'; msg gets the reason on failure. */
pcre2_code *ps_re_compile(ps_ruleset *rs, const char *pattern, const char *flags, char *msg, size_t cap);
bool ps_parse_cidr(const char *s, uint8_t net[16], int *family, int *bits);
bool ps_parse_ip(const char *s, size_t n, uint8_t ip[16], int *family);
bool ps_parse_num(const char *s, size_t n, double *v);
bool ps_glob_match(const char *pat, const uint8_t *wild, size_t plen, const char *s, size_t n);
/* Literals that every match must contain (prefilters); 0 when none. */
size_t ps_re_literal(const char *re, char *out, size_t cap);
size_t ps_glob_literal(const char *lit, const uint8_t *wild, size_t n, size_t *from);

/* aho.c: one automaton per field over the literals of every rule */
typedef struct acuser {
    int32_t item;            /* item gid */
    uint8_t mode;            /* S_EQ, S_PREFIX, S_SUFFIX, S_CONTAINS */
    int32_t next;            /* next user of the pattern; -1 */
} acuser;
enum { AC_ANY = 1, AC_START = 2, AC_END = 4, AC_EQ = 8 };
typedef void (*ps_acm_hit_fn)(void *ctx, int pat, uint8_t flags, const acuser *users, int32_t first_user);
acm *ps_acm_new(void);
void ps_acm_free(acm *a);
int ps_acm_add(acm *a, const char *lit, size_t len);      /* pattern id, or < 0 */
int ps_acm_user(acm *a, int pat, int item, uint8_t mode);
int ps_acm_build(acm *a);
size_t ps_acm_patterns(const acm *a);
void ps_acm_scan(const acm *a, const char *s, size_t n, ps_acm_hit_fn hit, void *ctx);
#define PS_ACM_MIN_PATTERNS 8

/* ---- views ---------------------------------------------------------------------------------- */

typedef struct fv {
    const char *s;
    uint32_t n;
    int32_t next;            /* next value of the same field, -1 */
    const char *lc;          /* lower-cased copy, made on demand */
    int8_t num_state;        /* 0 not tried, 1 number, -1 not a number */
    double num;
    int field;
} fv;

typedef struct view {
    const fdict *dict;
    uint32_t epoch;
    uint32_t *stamp;
    int32_t *head, *tail;
    size_t nfields;
    fv *pool;
    size_t npool, cap;
    ps_arena arena;
    bool keep_all;           /* keywords need values of unknown fields too */
    /* the subject, for evidence */
    int64_t ts, event_id, creation_id;
    int lskeys[8];
    int nls;
    /* the record's own provider, event id, channel and event type (event
     * logs), read once by ps_view_classify; NULL / 0 when absent */
    const char *provider, *channel, *event_type;
    unsigned record_event_id;
    /* a field the record lacks that procstage filled from its own model
     * (4688 before version 2: ParentImage from the process table), -1 none */
    int derived_field;
} view;

int view_init(view *v, const fdict *d, bool keep_all);
void view_release(view *v);
void view_reset(view *v);
int view_set(view *v, int field, const char *s, size_t n);
int view_setf(view *v, int field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
fv *view_get(view *v, int field);
const char *view_lc(view *v, fv *f);
bool view_num(fv *f, double *out);

#endif
