/*
 * test_rules.c - the rule engine: every modifier and condition form, positive
 * and negative; correlations; the rules that cannot run and why; limits.
 *
 * Events are Sysmon-shaped (fields as an EVTX record carries them) so that
 * each test exercises the real logsource dispatch.
 */
#include <stdarg.h>
#include <time.h>

#include "common/util.h"
#include "model/event.h"
#include "rules_engine/internal.h"
#include "rules_engine/rules.h"
#include "tap.h"

static ps_trace_info info;

typedef struct hits {
    int n;
    int t1;                  /* hits of the rule with id t1 */
    char last_id[128];
    char last_sev[16];
    int64_t last_event;
} hits;

static void on_hit(void *ctx, const ps_rule_info *r, const char *sev, int64_t event_id, int64_t creation_id)
{
    hits *h = ctx;
    (void)creation_id;
    h->n++;
    h->t1 += !strcmp(r->id, "t1");
    snprintf(h->last_id, sizeof h->last_id, "%s", r->id);
    snprintf(h->last_sev, sizeof h->last_sev, "%s", sev);
    h->last_event = event_id;
}

/* A ruleset from YAML text; NULL (with a TAP failure) when it has problems
 * and `clean` is set. */
static ps_ruleset *load(const char *yaml, bool clean)
{
    ps_ruleset *rs = NULL;
    ps_error err;
    size_t np;

    ps_error_clear(&err);
    if (ps_ruleset_new(&rs, &err) < 0 || ps_ruleset_add_text(rs, yaml, strlen(yaml), "test.yml", false, &err) < 0 ||
        ps_ruleset_finish(rs, &err) < 0) {
        printf("# load: %s\n", err.msg);
        ps_ruleset_free(rs);
        return NULL;
    }
    if (clean && ps_ruleset_problems(rs, &np) && np) {
        const ps_rule_problem *p = ps_ruleset_problems(rs, &np);
        printf("# unexpected problem: line %d: %s\n", p[0].line, p[0].reason);
    }
    return rs;
}

/* One event: Sysmon EventID `id` with name/value pairs (NULL-terminated). */
typedef struct evb {
    ps_event ev;
    ps_field f[64];
} evb;

static void vbuild(evb *b, unsigned id, int64_t ts, va_list ap)
{
    static char idbuf[16];
    const char *n;
    ps_event_init(&b->ev);
    snprintf(idbuf, sizeof idbuf, "%u", id);
    b->f[0].name = "Provider_Name";
    b->f[0].value = "Microsoft-Windows-Sysmon";
    b->f[1].name = "EventID";
    b->f[1].value = idbuf;
    b->f[2].name = "Channel";
    b->f[2].value = "Microsoft-Windows-Sysmon/Operational";
    b->f[3].name = "Computer";
    b->f[3].value = "WS01";
    b->ev.nfields = 4;
    while ((n = va_arg(ap, const char *)) != NULL && b->ev.nfields < 64) {
        b->f[b->ev.nfields].name = n;
        b->f[b->ev.nfields].value = va_arg(ap, const char *);
        b->ev.nfields++;
    }
    b->ev.fields = b->f;
    b->ev.ts = ts;
    b->ev.cls = PS_CLASS_OTHER;
    b->ev.operation = "Sysmon";
}

/* Runs `rs` over one event; returns the number of matches. */
static int run_one(ps_ruleset *rs, hits *h, unsigned id, ...)
{
    ps_rules_run *rr = NULL;
    ps_error err;
    evb b;
    va_list ap;
    hits local;

    if (!h)
        h = &local;
    memset(h, 0, sizeof *h);
    if (!rs || ps_rules_run_new(rs, NULL, &rr, &err) < 0)
        return -1;
    ps_rules_set_hook(rr, on_hit, h);
    ps_rules_begin_trace(rr, 1, &info, NULL, &err);
    va_start(ap, id);
    vbuild(&b, id, 0, ap);
    va_end(ap);
    if (ps_rules_event(rr, 1, &b.ev, &err) < 0)
        printf("# event: %s\n", err.msg);
    ps_rules_end_trace(rr, &err);
    ps_rules_run_free(rr);
    return h->n;
}

#define PC_HEAD                                                                                     \
    "title: t\nid: t1\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n"

/* A process_creation rule with one selection `sel` (YAML lines indented by 2). */
static int pc(const char *sel, const char *field, const char *value)
{
    char yaml[8192];
    ps_ruleset *rs;
    int n;
    snprintf(yaml, sizeof yaml, PC_HEAD "  selection:\n%s\n  condition: selection\n", sel);
    rs = load(yaml, true);
    n = run_one(rs, NULL, 1, field, value, NULL);
    ps_ruleset_free(rs);
    return n;
}

/* The first problem's reason for a rule file (or "" when it loads). */
static const char *problem(const char *yaml, int *line)
{
    static char reason[1024];
    ps_ruleset *rs = load(yaml, false);
    size_t np = 0;
    const ps_rule_problem *p = rs ? ps_ruleset_problems(rs, &np) : NULL;
    reason[0] = '\0';
    if (line)
        *line = 0;
    if (np) {
        snprintf(reason, sizeof reason, "%s", p[0].reason);
        if (line)
            *line = p[0].line;
    }
    ps_ruleset_free(rs);
    return reason;
}

static void test_strings(void)
{
    is_int(pc("    Image: 'C:\\Windows\\System32\\cmd.exe'", "Image", "c:\\windows\\system32\\CMD.EXE"), 1,
           "equality is case-insensitive");
    is_int(pc("    Image: 'C:\\Windows\\System32\\cmd.exe'", "Image", "C:\\Windows\\System32\\cmd.exe.bak"), 0,
           "equality is whole");
    is_int(pc("    CommandLine|contains: 'IEX'", "CommandLine", "powershell iex(x)"), 1, "contains");
    is_int(pc("    CommandLine|contains: 'IEX'", "CommandLine", "powershell"), 0, "contains: negative");
    is_int(pc("    Image|startswith: 'C:\\Users\\'", "Image", "c:\\users\\bob\\a.exe"), 1, "startswith");
    is_int(pc("    Image|startswith: 'C:\\Users\\'", "Image", "D:\\c:\\users\\a.exe"), 0, "startswith: negative");
    is_int(pc("    Image|endswith: '\\cmd.exe'", "Image", "C:\\X\\CMD.exe"), 1, "endswith");
    is_int(pc("    Image|endswith: '\\cmd.exe'", "Image", "C:\\X\\cmd.exe2"), 0, "endswith: negative");
    is_int(pc("    Image: '*\\Temp\\\\*.exe'", "Image", "C:\\Users\\a\\AppData\\Local\\Temp\\x.exe"), 1, "wildcard *");
    is_int(pc("    Image: '*\\Temp\\\\*.exe'", "Image", "C:\\Temp\\x.dll"), 0, "wildcard *: negative");
    is_int(pc("    Image: 'C:\\a?c.exe'", "Image", "C:\\abc.exe"), 1, "wildcard ?");
    is_int(pc("    Image: 'C:\\a?c.exe'", "Image", "C:\\abbc.exe"), 0, "wildcard ?: negative");
    is_int(pc("    CommandLine: 'a\\*b'", "CommandLine", "a*b"), 1, "an escaped * is literal");
    is_int(pc("    CommandLine: 'a\\*b'", "CommandLine", "axxb"), 0, "an escaped * is not a wildcard");
    is_int(pc("    CommandLine|contains|all:\n      - ' -a '\n      - ' -b '", "CommandLine", "x -b  -a y"), 1, "all");
    is_int(pc("    CommandLine|contains|all:\n      - ' -a '\n      - ' -b '", "CommandLine", "x -a y"), 0,
           "all: negative");
    is_int(pc("    CommandLine|contains:\n      - ' -a '\n      - ' -b '", "CommandLine", "x -b y"), 1, "a list is OR");
    is_int(pc("    CommandLine|cased: 'Secret'", "CommandLine", "Secret"), 1, "cased");
    is_int(pc("    CommandLine|cased: 'Secret'", "CommandLine", "secret"), 0, "cased: negative");
    is_int(pc("    CommandLine|contains|cased: 'AB'", "CommandLine", "xxABxx"), 1, "contains|cased");
    is_int(pc("    CommandLine|contains|cased: 'AB'", "CommandLine", "xxabxx"), 0, "contains|cased: negative");
    is_int(pc("    CommandLine|neq: 'x'", "CommandLine", "y"), 1, "neq");
    is_int(pc("    CommandLine|neq: 'x'", "CommandLine", "X"), 0, "neq: negative");
    {
        /* ten or more equalities use a hash set */
        const char *many = "    Image:\n      - a1\n      - a2\n      - a3\n      - a4\n      - a5\n      - a6\n"
                           "      - a7\n      - a8\n      - 'C:\\X.exe'\n      - a10";
        is_int(pc(many, "Image", "c:\\x.EXE"), 1, "many equalities (hash set)");
        is_int(pc(many, "Image", "c:\\x.EX"), 0, "many equalities: negative");
    }
}

static void test_regex(void)
{
    is_int(pc("    CommandLine|re: '\\s-k\\s\\w+'", "CommandLine", "svchost.exe -k netsvcs"), 1, "re");
    is_int(pc("    CommandLine|re: '\\s-k\\s\\w+'", "CommandLine", "svchost.exe -K netsvcs"), 0,
           "re is case-sensitive");
    is_int(pc("    CommandLine|re|i: '\\s-k\\s\\w+'", "CommandLine", "svchost.exe -K netsvcs"), 1, "re|i");
    is_int(pc("    CommandLine|re: '(?i)\\s-k\\s'", "CommandLine", "a -K b"), 1, "inline (?i)");
    is_int(pc("    CommandLine|re: '^b'", "CommandLine", "a\nb"), 0, "re: ^ at the start only");
    is_int(pc("    CommandLine|re|m: '^b'", "CommandLine", "a\nb"), 1, "re|m: ^ at every line");
    is_int(pc("    CommandLine|re: 'a.b'", "CommandLine", "a\nb"), 0, "re: . stops at a newline");
    is_int(pc("    CommandLine|re|s: 'a.b'", "CommandLine", "a\nb"), 1, "re|s: . matches a newline");
    is_int(pc("    CommandLine|re|startswith: 'cmd'", "CommandLine", "xcmd"), 0, "re|startswith anchors");
    is_int(pc("    CommandLine|re|startswith: 'cmd'", "CommandLine", "cmd /c"), 1, "re|startswith");
    is_int(pc("    CommandLine|re: '\\\\\\\\[a-z]+\\\\'", "CommandLine", "\\\\server\\share"), 1,
           "re keeps its backslashes (no Sigma escapes)");
    {
        /* catastrophic backtracking stops at the match limit */
        char subject[4096];
        clock_t t0 = clock();
        memset(subject, 'a', 3000);
        strcpy(subject + 3000, "!");
        is_int(pc("    CommandLine|re: '^(a|aa)+$'", "CommandLine", subject), 0, "a runaway regex is no match");
        ok((double)(clock() - t0) / CLOCKS_PER_SEC < 5, "and it stops quickly");
    }
}

static void test_other_modifiers(void)
{
    is_int(pc("    Initiated|exists: true", "Initiated", ""), 1, "exists: true");
    is_int(pc("    Initiated|exists: true", "Other", "x"), 0, "exists: true, negative");
    is_int(pc("    Initiated|exists: false", "Other", "x"), 1, "exists: false");
    is_int(pc("    Initiated|exists: false", "Initiated", "x"), 0, "exists: false, negative");
    is_int(pc("    CommandLine|windash|contains: ' -exec '", "CommandLine", "x /exec y"), 1, "windash: /");
    is_int(pc("    CommandLine|windash|contains: ' -exec '", "CommandLine", "x \xe2\x80\x93" "exec y"), 1,
           "windash: en dash");
    is_int(pc("    CommandLine|windash|contains: ' -exec '", "CommandLine", "x \xe2\x80\x95" "exec y"), 1,
           "windash: horizontal bar");
    is_int(pc("    CommandLine|windash|contains: ' -exec '", "CommandLine", "x +exec y"), 0, "windash: negative");
    is_int(pc("    CommandLine|windash|contains: 'a-b'", "CommandLine", "a/b"), 0,
           "windash leaves a dash inside a word");
    is_int(pc("    CommandLine|base64|contains: 'whoami'", "CommandLine", "x d2hvYW1p y"), 1, "base64");
    is_int(pc("    CommandLine|base64|contains: 'whoami'", "CommandLine", "x whoami y"), 0, "base64: negative");
    is_int(pc("    CommandLine|base64offset|contains: 'whoami'", "CommandLine", "ZZ IHdob2FtaQ== ZZ"), 1,
           "base64offset: offset 1");
    is_int(pc("    CommandLine|base64offset|contains: 'whoami'", "CommandLine", "ICB3aG9hbWk="), 1,
           "base64offset: offset 2");
    is_int(pc("    CommandLine|base64offset|contains: 'whoami'", "CommandLine", "whoami"), 0,
           "base64offset: negative");
    is_int(pc("    CommandLine|wide|base64offset|contains: 'Invoke-Expression'", "CommandLine",
              "powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8Ad"
              "wBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAiAGgAdAB0AHAAOgAvAC8AeAAiACkAOwAgAEkAbgB2AG8AawBlAC0ARQB4AHAAcgBlAHM"
              "AcwBpAG8AbgAgACQAYQA="),
           1, "wide|base64offset: PowerShell -enc");
    is_int(pc("    CommandLine|utf16le|base64offset|contains: 'Invoke-Expression'", "CommandLine",
              "powershell -enc SQBFAFgA"),
           0, "utf16le|base64offset: negative");
    is_int(pc("    CommandLine|utf16be|base64: 'cmd'", "CommandLine", "AGMAbQBk"), 1, "utf16be|base64");
    is_int(pc("    CommandLine|utf16|base64: 'cmd'", "CommandLine", "//5jAG0AZAA="), 1, "utf16 (with BOM)|base64");
    is_int(pc("    GrantedAccess|gte: 0x1000", "GrantedAccess", "0x1410"), 1, "gte with hex");
    is_int(pc("    GrantedAccess|gte: 0x1000", "GrantedAccess", "0x0410"), 0, "gte: negative");
    is_int(pc("    Count|lt: 10", "Count", "9"), 1, "lt");
    is_int(pc("    Count|lt: 10", "Count", "10"), 0, "lt: negative");
    is_int(pc("    Count|lte: 10", "Count", "10"), 1, "lte");
    is_int(pc("    Count|gt: 10", "Count", "10.5"), 1, "gt");
    is_int(pc("    Count|gt: 10", "Count", "ten"), 0, "gt: not a number");
    is_int(pc("    DestinationIp|cidr: '10.0.0.0/8'", "DestinationIp", "10.20.30.40"), 1, "cidr v4");
    is_int(pc("    DestinationIp|cidr: '10.0.0.0/8'", "DestinationIp", "11.0.0.1"), 0, "cidr v4: negative");
    is_int(pc("    DestinationIp|cidr: 'fe80::/10'", "DestinationIp", "fe80::1"), 1, "cidr v6");
    is_int(pc("    DestinationIp|cidr: 'fe80::/10'", "DestinationIp", "2001:db8::1"), 0, "cidr v6: negative");
    {
        char yaml[1024];
        ps_ruleset *rs;
        snprintf(yaml, sizeof yaml, PC_HEAD "  selection:\n    ParentImage|fieldref: Image\n  condition: selection\n");
        rs = load(yaml, true);
        is_int(run_one(rs, NULL, 1, "Image", "C:\\a.exe", "ParentImage", "c:\\A.exe", NULL), 1, "fieldref");
        is_int(run_one(rs, NULL, 1, "Image", "C:\\a.exe", "ParentImage", "c:\\b.exe", NULL), 0, "fieldref: negative");
        ps_ruleset_free(rs);
        snprintf(yaml, sizeof yaml,
                 PC_HEAD "  selection:\n    CommandLine|fieldref|contains: Image\n  condition: selection\n");
        rs = load(yaml, true);
        is_int(run_one(rs, NULL, 1, "Image", "a.exe", "CommandLine", "run a.exe now", NULL), 1, "fieldref|contains");
        is_int(run_one(rs, NULL, 1, "Image", "b.exe", "CommandLine", "run a.exe now", NULL), 0,
               "fieldref|contains: negative");
        ps_ruleset_free(rs);
    }
    is_int(pc("    CommandLine: null", "Image", "x"), 1, "null: the field is absent");
    is_int(pc("    CommandLine: null", "CommandLine", "x"), 0, "null: negative");
    is_int(pc("    CommandLine: ''", "CommandLine", ""), 1, "empty value");
    is_int(pc("    CommandLine: ''", "Image", "x"), 0, "empty value: the field must exist");
}

static int cond_hits(const char *condition, const char *a, const char *b, const char *c)
{
    char yaml[2048];
    ps_ruleset *rs;
    int n;
    snprintf(yaml, sizeof yaml,
             PC_HEAD "  sel_a:\n    A: 'yes'\n  sel_b:\n    B: 'yes'\n  filter_c:\n    C: 'yes'\n  condition: %s\n",
             condition);
    rs = load(yaml, true);
    n = run_one(rs, NULL, 1, "A", a, "B", b, "C", c, NULL);
    ps_ruleset_free(rs);
    return n;
}

static void test_conditions(void)
{
    is_int(cond_hits("sel_a and sel_b", "yes", "yes", "no"), 1, "and");
    is_int(cond_hits("sel_a and sel_b", "yes", "no", "no"), 0, "and: negative");
    is_int(cond_hits("sel_a or sel_b", "no", "yes", "no"), 1, "or");
    is_int(cond_hits("sel_a or sel_b", "no", "no", "yes"), 0, "or: negative");
    is_int(cond_hits("sel_a and not filter_c", "yes", "no", "no"), 1, "not");
    is_int(cond_hits("sel_a and not filter_c", "yes", "no", "yes"), 0, "not: negative");
    is_int(cond_hits("sel_a or sel_b and filter_c", "yes", "no", "no"), 1, "and binds tighter than or");
    is_int(cond_hits("(sel_a or sel_b) and filter_c", "yes", "no", "no"), 0, "parentheses");
    is_int(cond_hits("not sel_a and sel_b", "no", "yes", "no"), 1, "not binds tighter than and");
    is_int(cond_hits("1 of sel_*", "no", "yes", "no"), 1, "1 of x*");
    is_int(cond_hits("1 of sel_*", "no", "no", "yes"), 0, "1 of x*: negative");
    is_int(cond_hits("all of sel_*", "yes", "yes", "no"), 1, "all of x*");
    is_int(cond_hits("all of sel_*", "yes", "no", "no"), 0, "all of x*: negative");
    is_int(cond_hits("2 of them", "yes", "no", "yes"), 1, "N of them");
    is_int(cond_hits("3 of them", "yes", "no", "yes"), 0, "N of them: negative");
    is_int(cond_hits("1 of them", "no", "no", "yes"), 1, "1 of them");
    is_int(cond_hits("all of them", "yes", "yes", "no"), 0, "all of them: negative");
    is_int(cond_hits("all of them", "yes", "yes", "yes"), 1, "all of them");
    is_int(cond_hits("any of sel_*", "no", "yes", "no"), 1, "any of x*");
    is_int(cond_hits("sel_a and not 1 of filter_*", "yes", "no", "yes"), 0, "not 1 of x*");
    is_int(cond_hits("((((sel_a))))", "yes", "no", "no"), 1, "nested parentheses");
    {
        char yaml[1024];
        ps_ruleset *rs;
        snprintf(yaml, sizeof yaml,
                 PC_HEAD "  sel_a:\n    A: 'yes'\n  sel_b:\n    B: 'yes'\n  condition:\n    - sel_a\n    - sel_b\n");
        rs = load(yaml, true);
        is_int(run_one(rs, NULL, 1, "A", "no", "B", "yes", NULL), 1, "a list of conditions is OR");
        ps_ruleset_free(rs);
        snprintf(yaml, sizeof yaml,
                 PC_HEAD "  sel:\n    - A: 'yes'\n      B: 'yes'\n    - C: 'yes'\n  condition: sel\n");
        rs = load(yaml, true);
        is_int(run_one(rs, NULL, 1, "A", "yes", "B", "no", "C", "no", NULL), 0, "a map is AND");
        is_int(run_one(rs, NULL, 1, "A", "no", "B", "no", "C", "yes", NULL), 1, "a list of maps is OR");
        ps_ruleset_free(rs);
        snprintf(yaml, sizeof yaml, PC_HEAD "  keywords:\n    - 'mimikatz'\n    - 'sekurlsa'\n  condition: keywords\n");
        rs = load(yaml, true);
        is_int(run_one(rs, NULL, 1, "CommandLine", "x SEKURLSA::logonpasswords", NULL), 1, "keywords");
        is_int(run_one(rs, NULL, 1, "CommandLine", "notepad", NULL), 0, "keywords: negative");
        ps_ruleset_free(rs);
    }
}

static void test_logsources(void)
{
    ps_ruleset *rs = load("title: r\nid: r1\nlogsource:\n  product: windows\n  category: registry_set\n"
                          "detection:\n  s:\n    TargetObject|endswith: '\\Debugger'\n  condition: s\n",
                          true);
    is_int(run_one(rs, NULL, 13, "TargetObject", "HKLM\\X\\Debugger", NULL), 1, "registry_set: Sysmon 13");
    is_int(run_one(rs, NULL, 12, "EventType", "CreateKey", "TargetObject", "HKLM\\X\\Debugger", NULL), 0,
           "registry_set: not Sysmon 12");
    is_int(run_one(rs, NULL, 1, "TargetObject", "HKLM\\X\\Debugger", NULL), 0, "registry_set: not Sysmon 1");
    ps_ruleset_free(rs);
    rs = load("title: r\nid: r2\nlogsource:\n  product: windows\n  category: registry_event\n"
              "detection:\n  s:\n    TargetObject|endswith: '\\Run'\n  condition: s\n",
              true);
    is_int(run_one(rs, NULL, 12, "EventType", "CreateKey", "TargetObject", "HKU\\Run", NULL), 1,
           "registry_event: Sysmon 12");
    is_int(run_one(rs, NULL, 13, "TargetObject", "HKU\\Run", NULL), 1, "registry_event: Sysmon 13");
    ps_ruleset_free(rs);
    rs = load("title: r\nid: r3\nlogsource:\n  product: windows\n  service: sysmon\n"
              "detection:\n  s:\n    EventID: 255\n  condition: s\n",
              true);
    is_int(run_one(rs, NULL, 255, NULL), 1, "service: sysmon by channel");
    ps_ruleset_free(rs);
}

/* Several events through one run; returns the hits of `rule_id`. */
typedef struct step {
    unsigned id;
    int64_t ts_s;
    const char *a, *b;
} step;

static int corr_run(const char *yaml, const step *steps, size_t n, const char *rule_id)
{
    ps_ruleset *rs = load(yaml, true);
    ps_rules_run *rr = NULL;
    ps_error err;
    size_t i;
    int count = 0;
    hits h;

    if (!rs || ps_rules_run_new(rs, NULL, &rr, &err) < 0)
        return -1;
    ps_rules_begin_trace(rr, 1, &info, NULL, &err);
    for (i = 0; i < n; i++) {
        evb b;
        ps_event_init(&b.ev);
        memset(&h, 0, sizeof h);
        ps_rules_set_hook(rr, on_hit, &h);
        {
            /* build through the same helper */
            static char ids[16];
            snprintf(ids, sizeof ids, "%u", steps[i].id);
            b.f[0] = (ps_field){"Provider_Name", "Microsoft-Windows-Sysmon"};
            b.f[1] = (ps_field){"EventID", ids};
            b.f[2] = (ps_field){"Channel", "Microsoft-Windows-Sysmon/Operational"};
            b.f[3] = (ps_field){"User", steps[i].a};
            b.f[4] = (ps_field){"Image", steps[i].b};
            b.ev.fields = b.f;
            b.ev.nfields = 5;
            b.ev.ts = steps[i].ts_s * PS_TICKS_PER_SEC;
            b.ev.operation = "Sysmon";
        }
        ps_rules_event(rr, (int64_t)i + 1, &b.ev, &err);
        if (h.n && !strcmp(h.last_id, rule_id))
            count++;
    }
    ps_rules_end_trace(rr, &err);
    ps_rules_run_free(rr);
    ps_ruleset_free(rs);
    return count;
}

static const char CORR_BASE[] = "title: failed\nid: a\nname: failed\nlogsource:\n  product: windows\n  category: "
                                "process_creation\ndetection:\n  s:\n    Image: fail.exe\n  condition: s\n---\n"
                                "title: ok\nid: b\nname: ok\nlogsource:\n  product: windows\n  category: "
                                "process_creation\ndetection:\n  s:\n    Image: ok.exe\n  condition: s\n---\n";

static void test_correlations(void)
{
    char yaml[4096];
    step s1[] = {{1, 0, "bob", "fail.exe"}, {1, 10, "bob", "ok.exe"}};
    step s2[] = {{1, 0, "bob", "ok.exe"}, {1, 10, "bob", "fail.exe"}};
    step s3[] = {{1, 0, "bob", "fail.exe"}, {1, 100, "bob", "ok.exe"}};
    step s4[] = {{1, 0, "bob", "fail.exe"}, {1, 10, "eve", "ok.exe"}};
    step s5[] = {{1, 0, "bob", "fail.exe"}, {1, 1, "bob", "fail.exe"}, {1, 2, "bob", "fail.exe"}};
    step s6[] = {{1, 0, "a", "fail.exe"}, {1, 1, "b", "fail.exe"}, {1, 2, "a", "fail.exe"}, {1, 3, "c", "fail.exe"}};

    snprintf(yaml, sizeof yaml,
             "%stitle: then\nid: c\ncorrelation:\n  type: temporal_ordered\n  rules: [failed, ok]\n"
             "  group-by: [User]\n  timespan: 1m\nlevel: high\n",
             CORR_BASE);
    is_int(corr_run(yaml, s1, 2, "c"), 1, "temporal_ordered: A then B");
    is_int(corr_run(yaml, s2, 2, "c"), 0, "temporal_ordered: B then A does not fire");
    is_int(corr_run(yaml, s3, 2, "c"), 0, "temporal_ordered: outside the timespan");
    is_int(corr_run(yaml, s4, 2, "c"), 0, "temporal_ordered: another group");
    snprintf(yaml, sizeof yaml,
             "%stitle: both\nid: c\ncorrelation:\n  type: temporal\n  rules: [failed, ok]\n"
             "  group-by: [User]\n  timespan: 1m\nlevel: high\n",
             CORR_BASE);
    is_int(corr_run(yaml, s2, 2, "c"), 1, "temporal: any order");
    snprintf(yaml, sizeof yaml,
             "%stitle: count\nid: c\ncorrelation:\n  type: event_count\n  rules: failed\n"
             "  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 3\nlevel: high\n",
             CORR_BASE);
    is_int(corr_run(yaml, s5, 3, "c"), 1, "event_count gte 3");
    is_int(corr_run(yaml, s5, 2, "c"), 0, "event_count: 2 is not enough");
    snprintf(yaml, sizeof yaml,
             "%stitle: users\nid: c\ncorrelation:\n  type: value_count\n  rules: failed\n"
             "  timespan: 1m\n  condition:\n    field: User\n    gte: 3\nlevel: high\n",
             CORR_BASE);
    is_int(corr_run(yaml, s6, 4, "c"), 1, "value_count: three distinct users");
    is_int(corr_run(yaml, s6, 3, "c"), 0, "value_count: two distinct users");
    snprintf(yaml, sizeof yaml,
             "%stitle: alias\nid: c\ncorrelation:\n  type: temporal_ordered\n  rules: [failed, ok]\n"
             "  group-by: [who]\n  aliases:\n    who:\n      failed: User\n      ok: Image\n  timespan: 1m\nlevel: high\n",
             CORR_BASE);
    {
        step s7[] = {{1, 0, "bob", "fail.exe"}, {1, 5, "x", "ok.exe"}};
        is_int(corr_run(yaml, s7, 2, "c"), 0, "aliases: different values");
    }
    {
        /* chained: three failures, then a success */
        snprintf(yaml, sizeof yaml,
                 "%stitle: many\nid: m\nname: many\ncorrelation:\n  type: event_count\n  rules: failed\n"
                 "  group-by: [User]\n  timespan: 1m\n  condition:\n    gte: 2\n---\n"
                 "title: chain\nid: c\ncorrelation:\n  type: temporal_ordered\n  rules: [many, ok]\n"
                 "  group-by: [User]\n  timespan: 1m\nlevel: high\n",
                 CORR_BASE);
        step s8[] = {{1, 0, "bob", "fail.exe"}, {1, 1, "bob", "fail.exe"}, {1, 5, "bob", "ok.exe"}};
        is_int(corr_run(yaml, s8, 3, "c"), 1, "a correlation of a correlation");
    }
    {
        /* the referenced rules do not report alone unless generate: true */
        ps_ruleset *rs;
        ps_rule_info ri;
        size_t i, gen = 0;
        snprintf(yaml, sizeof yaml,
                 "%stitle: then\nid: c\ncorrelation:\n  type: temporal_ordered\n  rules: [failed, ok]\n"
                 "  timespan: 1m\nlevel: high\n",
                 CORR_BASE);
        rs = load(yaml, true);
        for (i = 0; rs && i < ps_ruleset_count(rs); i++) {
            ps_ruleset_info(rs, i, &ri);
            gen += ri.generates;
        }
        is_int(gen, 1, "generate: false (the default) silences the base rules");
        ps_ruleset_free(rs);
    }
}

static void test_problems(void)
{
    int line;
    const char *r;

    r = problem(PC_HEAD "  s:\n    Image|foo: x\n  condition: s\n", &line);
    ok(strstr(r, "unknown modifier 'foo'") != NULL, "unknown modifier (%s)", r);
    is_int(line, 8, "... at its line");
    r = problem(PC_HEAD "  s:\n    Image|expand: '%x%'\n  condition: s\n", NULL);
    ok(strstr(r, "unsupported modifier 'expand'") != NULL, "unsupported modifier (%s)", r);
    r = problem(PC_HEAD "  s:\n    Image|re: 'a(b'\n  condition: s\n", &line);
    ok(strstr(r, "does not compile") != NULL && strstr(r, "offset 3"), "bad regex (%s)", r);
    r = problem("title: t\nlogsource:\n  product: windows\n  category: nonsense\ndetection:\n  s:\n    A: b\n"
                "  condition: s\n",
                NULL);
    ok(strstr(r, "unknown logsource category 'nonsense'") != NULL, "unknown logsource (%s)", r);
    r = problem("title: t\nlogsource:\n  product: linux\n  category: process_creation\ndetection:\n  s:\n    A: b\n"
                "  condition: s\n",
                NULL);
    ok(strstr(r, "product 'linux'") != NULL, "other products (%s)", r);
    r = problem("title: t\nlogsource: [\n", &line);
    ok(strstr(r, "line") && strstr(r, "column"), "bad YAML names line and column (%s)", r);
    r = problem(PC_HEAD "  s:\n    A: b\n  condition: s | count() > 5\n", NULL);
    ok(strstr(r, "aggregation") != NULL, "aggregations (%s)", r);
    r = problem(PC_HEAD "  s:\n    A: b\n  condition: s and missing\n", NULL);
    ok(strstr(r, "unknown identifier 'missing'") != NULL, "unknown identifier (%s)", r);
    r = problem(PC_HEAD "  s:\n    A: b\n  condition: s and (s\n", NULL);
    ok(strstr(r, "missing ')'") != NULL, "unbalanced parentheses (%s)", r);
    r = problem(PC_HEAD "  s:\n    A: b\n  condition: 1 of filter_*\n", NULL);
    ok(strstr(r, "matches no detection identifier") != NULL, "1 of nothing (%s)", r);
    r = problem("title: c\ncorrelation:\n  type: temporal\n  rules: [x, y]\n  timespan: 1m\n", NULL);
    ok(strstr(r, "unknown rule 'x'") != NULL, "correlation of unknown rules (%s)", r);
    r = problem(PC_HEAD "  s:\n    A|base64: 'a*b'\n  condition: s\n", NULL);
    ok(strstr(r, "wildcards") != NULL, "base64 of a wildcard (%s)", r);
    {
        /* a deeply nested condition */
        char yaml[8192], cond[4096];
        int i, k = 0;
        for (i = 0; i < 200; i++)
            cond[k++] = '(';
        k += sprintf(cond + k, "s");
        for (i = 0; i < 200; i++)
            cond[k++] = ')';
        cond[k] = '\0';
        snprintf(yaml, sizeof yaml, PC_HEAD "  s:\n    A: b\n  condition: %s\n", cond);
        r = problem(yaml, NULL);
        ok(strstr(r, "nested deeper") != NULL, "deeply nested condition (%s)", r);
    }
    {
        /* 10,000 values */
        ps_buf b;
        int i;
        ps_buf_init(&b);
        ps_buf_puts(&b, PC_HEAD "  s:\n    Image:\n");
        for (i = 0; i < 10000; i++)
            ps_buf_printf(&b, "      - v%d\n", i);
        ps_buf_puts(&b, "  condition: s\n");
        r = problem(ps_buf_cstr(&b), &line);
        ok(strstr(r, "more than 4096 values") != NULL, "10,000 values: a limit (%s)", r);
        ps_buf_release(&b);
    }
    {
        /* billion laughs */
        const char *bomb = "title: t\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                           "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                           "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                           "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
        r = problem(bomb, NULL);
        ok(strstr(r, "aliases") != NULL, "billion laughs (%s)", r);
    }
    {
        /* one bad rule does not stop the others */
        ps_ruleset *rs = load(PC_HEAD "  s:\n    Image|foo: x\n  condition: s\n---\n" PC_HEAD
                                      "  s:\n    Image: x.exe\n  condition: s\n",
                              false);
        size_t np;
        ps_ruleset_problems(rs, &np);
        is_int(np, 1, "the bad rule is reported");
        is_int(ps_ruleset_count(rs), 1, "the good rule loads");
        is_int(run_one(rs, NULL, 1, "Image", "x.exe", NULL), 1, "and runs");
        ps_ruleset_free(rs);
    }
    r = problem(PC_HEAD "  s:\n    A: b\n  condition: s\n---\n" PC_HEAD "  s:\n    A: c\n  condition: s\n", NULL);
    ok(strstr(r, "id 't1' is already used") != NULL, "duplicate ids (%s)", r);
}

/* The same tests with the field's literals in an automaton (a field with
 * PS_ACM_MIN_PATTERNS literals or more): a second rule supplies them. */
static int pc_ac(const char *sel, const char *field, const char *value)
{
    char yaml[8192];
    ps_ruleset *rs;
    hits h;
    snprintf(yaml, sizeof yaml,
             PC_HEAD "  selection:\n%s\n  condition: selection\n---\ntitle: filler\nid: filler\n"
                     "logsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n"
                     "    %s|contains:\n      - zz1\n      - zz2\n      - zz3\n      - zz4\n      - zz5\n"
                     "      - zz6\n      - zz7\n      - zz8\n      - zz9\n  condition: s\n",
             sel, field);
    rs = load(yaml, true);
    run_one(rs, &h, 1, field, value, NULL);
    ps_ruleset_free(rs);
    return h.t1;
}

static void test_automaton(void)
{
    is_int(pc_ac("    CommandLine|contains: 'IEX'", "CommandLine", "powershell iex(x)"), 1, "automaton: contains");
    is_int(pc_ac("    CommandLine|contains: 'IEX'", "CommandLine", "powershell"), 0, "automaton: contains, negative");
    is_int(pc_ac("    CommandLine|startswith: 'cmd'", "CommandLine", "CMD /c x"), 1, "automaton: startswith");
    is_int(pc_ac("    CommandLine|startswith: 'cmd'", "CommandLine", "x cmd /c"), 0, "automaton: startswith, negative");
    is_int(pc_ac("    CommandLine|endswith: '.ps1'", "CommandLine", "x a.PS1"), 1, "automaton: endswith");
    is_int(pc_ac("    CommandLine|endswith: '.ps1'", "CommandLine", "x a.ps1 y"), 0, "automaton: endswith, negative");
    is_int(pc_ac("    CommandLine: 'ab'", "CommandLine", "AB"), 1, "automaton: equality");
    is_int(pc_ac("    CommandLine: 'ab'", "CommandLine", "abxab"), 0,
           "automaton: equality is not a start and an end apart");
    is_int(pc_ac("    CommandLine|contains|all:\n      - ' -a '\n      - ' -b '", "CommandLine", "x -b  -a y"), 1,
           "automaton: all");
    is_int(pc_ac("    CommandLine|contains|all:\n      - ' -a '\n      - ' -bb '", "CommandLine", "x -a y"), 0,
           "automaton: all, negative (prefilter on the longest value)");
    is_int(pc_ac("    CommandLine|contains|all:\n      - ' -aaaa '\n      - ' -b '", "CommandLine", "x -aaaa y"), 0,
           "automaton: all, negative (the other value)");
    is_int(pc_ac("    CommandLine|windash|contains: ' -exec '", "CommandLine", "x /exec y"), 1, "automaton: windash");
    is_int(pc_ac("    CommandLine|cased|contains: 'AB'", "CommandLine", "xABx"), 1, "automaton: cased is direct");
    is_int(pc_ac("    CommandLine|cased|contains: 'AB'", "CommandLine", "xabx"), 0, "automaton: cased, negative");
    is_int(pc_ac("    CommandLine|neq: 'x'", "CommandLine", "y"), 1, "automaton: neq");
    is_int(pc_ac("    CommandLine|endswith: 'z5'", "CommandLine", "azz5"), 1,
           "automaton: a pattern inside another (dictionary links)");
    is_int(pc_ac("    CommandLine|startswith: 'z5'", "CommandLine", "azz5"), 0,
           "automaton: a pattern inside another, negative");
}

static const char *re_lit(const char *re)
{
    static char out[256];
    if (!ps_re_literal(re, out, sizeof out))
        return "";
    return out;
}

static void test_literals(void)
{
    static const char *const res[] = {"ipconfig\\s+/all", "https?://[0-9]+", "foo(bar)?baz", "[abc]def",
                                      "x\\.exe", "(?i)IEX\\s", "a+bcd", "ab*cd", "\\$PSHome\\[\\s*\\d",
                                      "cmd.{0,5}(?:/c|/r).+powershell"};
    static const char *const subjects[] = {"ipconfig   /all", "see https://127.0.0.1 x", "foobaz", "foobarbaz",
                                           "cdef", "X.EXE", "run iex x", "aaabcd", "acd", "abbbcd",
                                           "$PSHome[ 4]", "cmd /c x powershell"};
    size_t i, k;
    int bad = 0;

    is_str(re_lit("ipconfig\\s+/all"), "ipconfig", "regex literal: the longest run");
    is_str(re_lit("a|bcdef"), "", "regex literal: none with a top-level alternation");
    is_str(re_lit("https?://x"), "http", "regex literal: a character before ? is optional");
    is_str(re_lit("foo(bar)?bazz"), "bazz", "regex literal: groups are skipped");
    is_str(re_lit("x\\.exe"), "x.exe", "regex literal: escaped punctuation");
    is_str(re_lit("(?i)IEX"), "iex", "regex literal: lower-cased");
    is_str(re_lit("\\d{2,10}"), "", "regex literal: none");
    is_str(re_lit("abc\\x41def"), "", "regex literal: none after an escape with arguments");
    /* soundness: whenever the expression matches, the lower-cased subject contains the literal */
    for (i = 0; i < PS_ARRAY_LEN(res); i++) {
        int code;
        PCRE2_SIZE off;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)res[i], PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &off, NULL);
        pcre2_match_data *md = pcre2_match_data_create(4, NULL);
        const char *lit = re_lit(res[i]);
        for (k = 0; re && k < PS_ARRAY_LEN(subjects); k++) {
            char low[256];
            size_t j;
            for (j = 0; subjects[k][j] && j < sizeof low - 1; j++)
                low[j] = (char)(subjects[k][j] >= 'A' && subjects[k][j] <= 'Z' ? subjects[k][j] + 32 : subjects[k][j]);
            low[j] = '\0';
            if (pcre2_match(re, (PCRE2_SPTR)subjects[k], strlen(subjects[k]), 0, 0, md, NULL) >= 0 && *lit &&
                !strstr(low, lit)) {
                printf("# '%s' matches '%s' without '%s'\n", res[i], subjects[k], lit);
                bad++;
            }
        }
        pcre2_match_data_free(md);
        pcre2_code_free(re);
    }
    is_int(bad, 0, "regex literals are necessary");
    {
        uint8_t w[] = {1, 0, 0, 0, 0, 1, 0, 0, 1};
        size_t from = 0;
        is_int(ps_glob_literal("*abcd*ef*", w, 9, &from), 4, "wildcard literal: the longest run");
        is_int(from, 1, "... from its position");
    }
}

/* Events without Sysmon's fields: Procmon (none at all) and other
 * providers (fields of their own, plus the structured event). */
static int run_event(ps_ruleset *rs, const ps_event *ev)
{
    ps_rules_run *rr = NULL;
    ps_error err;
    hits h;
    memset(&h, 0, sizeof h);
    if (!rs || ps_rules_run_new(rs, NULL, &rr, &err) < 0)
        return -1;
    ps_rules_set_hook(rr, on_hit, &h);
    ps_rules_begin_trace(rr, 1, &info, NULL, &err);
    ps_rules_event(rr, 1, ev, &err);
    ps_rules_end_trace(rr, &err);
    ps_rules_run_free(rr);
    return h.n;
}

static void test_structured(void)
{
    ps_ruleset *rs = load("title: gf\nid: gf\nlogsource:\n  product: windows\n  category: registry_set\n"
                          "detection:\n  s:\n    TargetObject|endswith: '\\GlobalFlag'\n"
                          "    Details: 'DWORD (0x00000200)'\n    EventType: SetValue\n  condition: s\n---\n"
                          "title: dll\nid: dll\nlogsource:\n  product: windows\n  category: image_load\n"
                          "detection:\n  s:\n    ImageLoaded|endswith: '\\evil.dll'\n  condition: s\n",
                          true);
    ps_event ev;
    ps_field f[2] = {{"Provider_Name", "Microsoft-Windows-Kernel-Process"}, {"EventID", "5"}};

    ps_event_init(&ev);
    ev.cls = PS_CLASS_REGISTRY;
    ev.op = PS_OP_REG_SET_VALUE;
    ev.operation = "RegSetValue";
    ev.path = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\n.exe\\GlobalFlag";
    ev.result = "SUCCESS";
    ev.reg_type = "REG_DWORD";
    ev.reg_data = "512";
    is_int(run_event(rs, &ev), 1, "Procmon RegSetValue: TargetObject, EventType, Details as Sysmon writes a DWORD");
    ev.result = "ACCESS DENIED";
    is_int(run_event(rs, &ev), 0, "a failed RegSetValue is no registry_set");
    ps_event_init(&ev);
    ev.cls = PS_CLASS_PROCESS;
    ev.op = PS_OP_LOAD_IMAGE;
    ev.operation = "Load Image";
    ev.path = "C:\\Users\\a\\evil.dll";
    is_int(run_event(rs, &ev), 1, "Procmon Load Image: ImageLoaded");
    ev.fields = f;
    ev.nfields = 2;
    is_int(run_event(rs, &ev), 1, "another provider's image load: by what it is, with its own fields");
    ps_ruleset_free(rs);
}

static void test_severity_override(void)
{
    ps_ruleset *rs = load(PC_HEAD "  s:\n    Image|endswith: '.exe'\n  condition: s\nlevel: medium\n"
                                  "procstage:\n  severity:\n    - match:\n        Image|endswith: '\\sethc.exe'\n"
                                  "      level: critical\n",
                          true);
    hits h;
    run_one(rs, &h, 1, "Image", "C:\\a.exe", NULL);
    is_str(h.last_sev, "medium", "the rule's level");
    run_one(rs, &h, 1, "Image", "C:\\sethc.exe", NULL);
    is_str(h.last_sev, "critical", "procstage.severity raises it");
    ps_ruleset_free(rs);
}

static void test_default_pack(void)
{
    ps_ruleset *rs = NULL;
    ps_error err;
    size_t np = 1;
    hits h;

    ok(ps_ruleset_new(&rs, &err) == 0 && ps_ruleset_add_default(rs, &err) == 0 && ps_ruleset_finish(rs, &err) == 0,
       "the default pack loads");
    ps_ruleset_problems(rs, &np);
    is_int(np, 0, "every default rule can run");
    ok(ps_ruleset_has_id(rs, "ifeo-debugger-set") && ps_ruleset_has_id(rs, "ifeo-debugger-hijack"),
       "the IFEO detectors are rules");
    run_one(rs, &h, 13, "EventType", "SetValue", "TargetObject",
            "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\utilman.exe\\Debugger",
            "Details", "cmd.exe", NULL);
    is_str(h.last_id, "ifeo-debugger-set", "Sysmon 13 IFEO Debugger write");
    is_str(h.last_sev, "critical", "critical for an accessibility binary");
    run_one(rs, &h, 13, "EventType", "SetValue", "TargetObject",
            "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\notepad.exe\\GlobalFlag",
            "Details", "DWORD (0x00000202)", NULL);
    is_str(h.last_id, "procstage-ifeo-globalflag-silent-exit", "GlobalFlag with bit 0x200");
    is_int(run_one(rs, &h, 13, "EventType", "SetValue", "TargetObject",
                   "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\n.exe\\GlobalFlag",
                   "Details", "DWORD (0x00000100)", NULL),
           0, "GlobalFlag without bit 0x200");
    ps_ruleset_free(rs);
}

int main(void)
{
    memset(&info, 0, sizeof info);
    info.family = PS_FAMILY_EVENTLOG;
    snprintf(info.host, sizeof info.host, "WS01");
    test_strings();
    test_regex();
    test_other_modifiers();
    test_conditions();
    test_logsources();
    test_automaton();
    test_literals();
    test_structured();
    test_correlations();
    test_problems();
    test_severity_override();
    test_default_pack();
    return tap_done();
}
