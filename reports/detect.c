#include "reports/detect.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct ps_detect {
    ps_store *store;
    uint64_t findings;
    ps_buf evidence;
    bool *off;                  /* per built-in: replaced by a loaded rule */
};

/* A built-in detector: its description and what it looks at.  The
 * callbacks fill d->evidence and call emit(). */
typedef struct builtin {
    ps_detector_info info;
    int (*on_event)(ps_detect *d, const struct builtin *b, int64_t trace_id, int64_t event_id,
                    const ps_event *ev, ps_error *err);
    int (*on_creation)(ps_detect *d, const struct builtin *b, const ps_creation *c, ps_error *err);
} builtin;

/* The table ends with an empty entry.  The IFEO Debugger detectors are rules
 * now (rules/ifeo_debugger.yml). */
static const builtin builtins[] = {
    {{NULL, NULL, NULL, NULL, NULL}, NULL, NULL},
};

static ps_detector_info detectors[PS_ARRAY_LEN(builtins)];

const ps_detector_info *ps_detectors(size_t *n)
{
    size_t i;
    for (i = 0; builtins[i].info.id; i++)
        detectors[i] = builtins[i].info;
    *n = i;
    return detectors;
}

static const char *const severities[] = {"info", "low", "medium", "high", "critical"};

int ps_severity_rank(const char *name)
{
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(severities); i++)
        if (name && ps_streq_ci(name, severities[i]))
            return (int)i;
    return -1;
}

const char *ps_severity_name(int rank)
{
    return rank >= 0 && rank < (int)PS_ARRAY_LEN(severities) ? severities[rank] : "unknown";
}

bool ps_is_accessibility_image(const char *name)
{
    static const char *const acc[] = {"sethc.exe", "utilman.exe", "osk.exe", "magnify.exe",
                                      "narrator.exe", "displayswitch.exe", "atbroker.exe"};
    const char *b = ps_path_basename(name);
    size_t i;

    for (i = 0; i < PS_ARRAY_LEN(acc); i++) {
        size_t n = strlen(acc[i]) - 4;
        if (ps_streq_ci(b, acc[i]) || (strlen(b) == n && ps_strneq_ci(b, acc[i], n)))
            return true;
    }
    return false;
}

int ps_detect_new(ps_store *store, ps_detect **out, ps_error *err)
{
    ps_detect *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        return ps_error_nomem(err);
    d->off = calloc(PS_ARRAY_LEN(builtins), sizeof *d->off);
    if (!d->off) {
        free(d);
        return ps_error_nomem(err);
    }
    d->store = store;
    ps_buf_init(&d->evidence);
    *out = d;
    return 0;
}

void ps_detect_free(ps_detect *d)
{
    if (!d)
        return;
    ps_buf_release(&d->evidence);
    free(d->off);
    free(d);
}

void ps_detect_defer_to(ps_detect *d, bool (*has_rule)(const void *ctx, const char *id), const void *ctx)
{
    size_t i;
    for (i = 0; builtins[i].info.id; i++)
        d->off[i] = has_rule(ctx, builtins[i].info.id);
}

uint64_t ps_detect_count(const ps_detect *d)
{
    return d->findings;
}

/* Stores a finding of detector b with the evidence in d->evidence (for the
 * callbacks of the table; unused while every built-in is a rule). */
static int emit(ps_detect *d, const builtin *b, int64_t trace_id, int64_t creation_id, int64_t event_id,
                const char *severity, const char *technique, ps_error *err) __attribute__((unused));

static int emit(ps_detect *d, const builtin *b, int64_t trace_id, int64_t creation_id, int64_t event_id,
                const char *severity, const char *technique, ps_error *err)
{
    ps_store_finding f;
    int rc;

    memset(&f, 0, sizeof f);
    f.trace_id = trace_id;
    f.creation_id = creation_id;
    f.event_id = event_id;
    f.rule_id = b->info.id;
    f.title = b->info.title;
    f.severity = severity;
    f.technique = technique;
    f.evidence_json = ps_buf_cstr(&d->evidence);
    if ((rc = ps_store_add_finding(d->store, &f, err)) < 0)
        return rc;
    d->findings++;
    return 0;
}

int ps_detect_event(ps_detect *d, int64_t trace_id, int64_t event_id, const ps_event *ev, ps_error *err)
{
    size_t i;
    int rc;

    for (i = 0; builtins[i].info.id; i++)
        if (!d->off[i] && builtins[i].on_event &&
            (rc = builtins[i].on_event(d, &builtins[i], trace_id, event_id, ev, err)) < 0)
            return rc;
    return 0;
}

int ps_detect_creation(ps_detect *d, const ps_creation *c, ps_error *err)
{
    size_t i;
    int rc;

    for (i = 0; builtins[i].info.id; i++)
        if (!d->off[i] && builtins[i].on_creation && (rc = builtins[i].on_creation(d, &builtins[i], c, err)) < 0)
            return rc;
    return 0;
}
