/*
 * detectors.c - the built-in detectors: their table and how they run (see
 * detect.h; each detector is a file of its own, detectors.h).
 */
#include "rules_engine/detectors.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* The IFEO Debugger detectors are rules now (rules/ifeo_debugger.yml). */
static const ps_detector *const detectors[] = {
    &ps_detector_ppid_spoofing,
    &ps_detector_accessibility,
    &ps_detector_renamed,
    &ps_detector_sideload,
    &ps_detector_inject,
};
#define NDETECTORS PS_ARRAY_LEN(detectors)

/* A finding about a started process, waiting for the creation the start
 * event anchors (ps_detect_emit_for_start). */
typedef struct pending {
    size_t detector;
    int64_t trace_id, start_event_id, event_id;
    const char *severity, *technique;   /* static strings */
    char *evidence;
} pending;

/* The creations seen last, for a finding that comes after its creation. */
#define RECENT 256

struct ps_detect {
    ps_store *store;
    uint64_t findings;
    ps_buf evidence;
    bool off[NDETECTORS];       /* replaced by a loaded rule */
    void *state[NDETECTORS];
    int64_t trace_id;           /* whose states these are; 0 = none yet */
    pending *pend;              /* in event order */
    size_t npend, cpend;
    struct {
        int64_t trace_id, anchor_event_id, creation_id;
    } recent[RECENT];
    size_t nrecent;
};

const ps_detector_info *ps_detector_at(size_t i)
{
    return i < NDETECTORS ? &detectors[i]->info : NULL;
}

size_t ps_detector_count(void)
{
    return NDETECTORS;
}

void ps_detector_json(ps_json *j, const ps_detector_info *d)
{
    ps_json_kv_str(j, "id", d->id);
    ps_json_kv_str(j, "title", d->title);
    ps_json_kv_str(j, "technique", d->technique);
    ps_json_kv_str(j, "severity", d->severity);
    ps_json_kv_str(j, "description", d->description);
    ps_json_kv_str(j, "reads", d->reads);
}

int ps_detect_new(ps_store *store, ps_detect **out, ps_error *err)
{
    ps_detect *d = calloc(1, sizeof *d);
    size_t i;

    *out = NULL;
    if (!d)
        return ps_error_nomem(err);
    d->store = store;
    ps_buf_init(&d->evidence);
    for (i = 0; i < NDETECTORS; i++)
        if (detectors[i]->state_size && !(d->state[i] = calloc(1, detectors[i]->state_size))) {
            ps_detect_free(d);
            return ps_error_nomem(err);
        }
    *out = d;
    return 0;
}

void ps_detect_free(ps_detect *d)
{
    size_t i;

    if (!d)
        return;
    ps_buf_release(&d->evidence);
    for (i = 0; i < NDETECTORS; i++)
        free(d->state[i]);
    for (i = 0; i < d->npend; i++)
        free(d->pend[i].evidence);
    free(d->pend);
    free(d);
}

static size_t index_of(const ps_detector *self)
{
    size_t i;
    for (i = 0; i < NDETECTORS; i++)
        if (detectors[i] == self)
            break;
    return i;
}

void ps_detect_event_ref(ps_json *j, int64_t event_id, const char *role)
{
    ps_json_begin_object(j);
    ps_json_kv_int(j, "event_id", event_id);
    ps_json_kv_str(j, "role", role);
    ps_json_end_object(j);
}

void *ps_detect_state(ps_detect *d, const ps_detector *self)
{
    size_t i = index_of(self);
    return i < NDETECTORS ? d->state[i] : NULL;
}

/* A new trace: the detectors start from nothing. */
static void begin_trace(ps_detect *d, int64_t trace_id)
{
    size_t i;
    if (d->trace_id == trace_id)
        return;
    d->trace_id = trace_id;
    for (i = 0; i < NDETECTORS; i++)
        if (d->state[i])
            memset(d->state[i], 0, detectors[i]->state_size);
}

void ps_detect_defer_to(ps_detect *d, bool (*has_rule)(const void *ctx, const char *id), const void *ctx)
{
    size_t i;
    for (i = 0; i < NDETECTORS; i++)
        d->off[i] = has_rule(ctx, detectors[i]->info.id);
}

uint64_t ps_detect_count(const ps_detect *d)
{
    return d->findings;
}

ps_buf *ps_detect_evidence(ps_detect *d)
{
    ps_buf_reset(&d->evidence);
    return &d->evidence;
}

static int store_finding(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t creation_id,
                         int64_t event_id, const char *severity, const char *technique, const char *evidence,
                         ps_error *err)
{
    ps_store_finding f;
    int rc;

    memset(&f, 0, sizeof f);
    f.trace_id = trace_id;
    f.creation_id = creation_id;
    f.event_id = event_id;
    f.rule_id = self->info.id;
    f.title = self->info.title;
    f.severity = severity;
    f.technique = technique;
    f.evidence_json = evidence;
    if ((rc = ps_store_add_finding(d->store, &f, err)) < 0)
        return rc;
    d->findings++;
    return 0;
}

int ps_detect_emit(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t creation_id, int64_t event_id,
                   const char *severity, const char *technique, ps_error *err)
{
    return store_finding(d, self, trace_id, creation_id, event_id, severity, technique, ps_buf_cstr(&d->evidence),
                         err);
}

int ps_detect_emit_for_start(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t start_event_id,
                             int64_t event_id, const char *severity, const char *technique, ps_error *err)
{
    pending *p;
    size_t i;

    /* the creation may be known already */
    for (i = 0; i < d->nrecent && i < RECENT; i++)
        if (d->recent[i].trace_id == trace_id && d->recent[i].anchor_event_id == start_event_id)
            return ps_detect_emit(d, self, trace_id, d->recent[i].creation_id, event_id, severity, technique, err);
    if (d->npend == d->cpend) {
        size_t n = d->cpend ? 2 * d->cpend : 16;
        pending *np = realloc(d->pend, n * sizeof *np);
        if (!np)
            return ps_error_nomem(err);
        d->pend = np;
        d->cpend = n;
    }
    p = &d->pend[d->npend];
    p->detector = index_of(self);
    p->trace_id = trace_id;
    p->start_event_id = start_event_id;
    p->event_id = event_id;
    p->severity = severity;
    p->technique = technique;
    if (!(p->evidence = ps_strdup(ps_buf_cstr(&d->evidence))))
        return ps_error_nomem(err);
    d->npend++;
    return 0;
}

/* Stores the waiting findings of `anchor_event_id` (every one when it is 0)
 * with `creation_id` and forgets them. */
static int flush_pending(ps_detect *d, int64_t trace_id, int64_t anchor_event_id, int64_t creation_id,
                         ps_error *err)
{
    size_t i, k = 0;
    int rc = 0;

    for (i = 0; i < d->npend; i++) {
        pending *p = &d->pend[i];
        if (!rc && p->trace_id == trace_id && (!anchor_event_id || p->start_event_id == anchor_event_id)) {
            rc = store_finding(d, detectors[p->detector], p->trace_id, creation_id, p->event_id, p->severity,
                               p->technique, p->evidence, err);
            free(p->evidence);
            continue;
        }
        d->pend[k++] = *p;
    }
    d->npend = k;
    return rc;
}

int ps_detect_event(ps_detect *d, int64_t trace_id, int64_t event_id, const ps_event *ev, ps_error *err)
{
    size_t i;
    int rc;

    begin_trace(d, trace_id);
    for (i = 0; i < NDETECTORS; i++)
        if (!d->off[i] && detectors[i]->on_event &&
            (rc = detectors[i]->on_event(d, detectors[i], trace_id, event_id, ev, err)) < 0)
            return rc;
    return 0;
}

int ps_detect_creation(ps_detect *d, const ps_creation *c, ps_error *err)
{
    size_t i;
    int rc;

    if (c->anchor_event_id) {
        size_t r = d->nrecent++ % RECENT;
        d->recent[r].trace_id = c->trace_id;
        d->recent[r].anchor_event_id = c->anchor_event_id;
        d->recent[r].creation_id = c->creation_id;
        if (d->npend && (rc = flush_pending(d, c->trace_id, c->anchor_event_id, c->creation_id, err)) < 0)
            return rc;
    }
    for (i = 0; i < NDETECTORS; i++)
        if (!d->off[i] && detectors[i]->on_creation && (rc = detectors[i]->on_creation(d, detectors[i], c, err)) < 0)
            return rc;
    return 0;
}

int ps_detect_end_trace(ps_detect *d, int64_t trace_id, ps_error *err)
{
    int rc = d->npend ? flush_pending(d, trace_id, 0, 0, err) : 0;
    d->trace_id = 0;
    d->nrecent = 0;
    return rc;
}
