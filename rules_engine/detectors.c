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
};
#define NDETECTORS PS_ARRAY_LEN(detectors)

struct ps_detect {
    ps_store *store;
    uint64_t findings;
    ps_buf evidence;
    bool off[NDETECTORS];       /* replaced by a loaded rule */
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
}

int ps_detect_new(ps_store *store, ps_detect **out, ps_error *err)
{
    ps_detect *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d)
        return ps_error_nomem(err);
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
    free(d);
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

int ps_detect_emit(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t creation_id, int64_t event_id,
                   const char *severity, const char *technique, ps_error *err)
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

    for (i = 0; i < NDETECTORS; i++)
        if (!d->off[i] && detectors[i]->on_creation && (rc = detectors[i]->on_creation(d, detectors[i], c, err)) < 0)
            return rc;
    return 0;
}
