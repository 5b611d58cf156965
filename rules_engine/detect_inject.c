/*
 * detect_inject.c - fresh-process-injection: a thread created in a process
 * by the process that started it moments before, at an address outside
 * any module (T1055).
 */
#include "rules_engine/detectors.h"

#include <string.h>

#include "common/util.h"

/* How soon after the start the thread must come. */
#define FRESH (10 * PS_TICKS_PER_SEC)
#define NSTARTS 1024

typedef struct {
    struct {
        uint64_t guid, parent_guid;     /* hashes; 0 = empty */
        int64_t ts, event_id;
    } s[NSTARTS];
    size_t n;
} inject_state;

static uint64_t guid_hash(const char *g)
{
    return ps_known_value(g) ? ps_hash_ci(g, strlen(g)) | 1 : 0;
}

static int64_t subject_time(const ps_event *ev)
{
    return ev->has_subject_ts ? ev->subject_ts : ev->ts;
}

static int detect_inject(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t event_id,
                         const ps_event *ev, ps_error *err)
{
    inject_state *st = ps_detect_state(d, self);
    unsigned id = ps_known_sysmon_id(ev);
    const char *module, *target_guid, *source_guid;
    uint64_t tg, sg;
    int64_t ts, start_event = 0, start_ts = 0;
    size_t i;
    ps_json j;

    if (id == 1) {
        size_t k;
        uint64_t g = guid_hash(ps_event_field(ev, "ProcessGuid"));
        uint64_t pg = guid_hash(ps_event_field(ev, "ParentProcessGuid"));
        if (!g || !pg)
            return 0;
        k = st->n++ % NSTARTS;
        st->s[k].guid = g;
        st->s[k].parent_guid = pg;
        st->s[k].ts = subject_time(ev);
        st->s[k].event_id = event_id;
        return 0;
    }
    if (id != 8)
        return 0;
    module = ps_event_field(ev, "StartModule");
    /* a thread that starts in a module (LoadLibrary, a debugger's break-in
     * in ntdll) is not shellcode */
    if (ps_known_value(module))
        return 0;
    target_guid = ps_event_field(ev, "TargetProcessGuid");
    source_guid = ps_event_field(ev, "SourceProcessGuid");
    tg = guid_hash(target_guid);
    sg = guid_hash(source_guid);
    if (!tg || !sg || tg == sg)
        return 0;
    ts = subject_time(ev);
    for (i = 0; i < NSTARTS && i < st->n; i++) {
        size_t k = (st->n - 1 - i) % NSTARTS;
        if (st->s[k].guid == tg) {
            if (st->s[k].parent_guid == sg && st->s[k].ts <= ts && ts - st->s[k].ts <= FRESH) {
                start_event = st->s[k].event_id;
                start_ts = st->s[k].ts;
            }
            break;
        }
    }
    if (!start_event)
        return 0;
    ps_json_init_buf(&j, ps_detect_evidence(d));
    ps_json_begin_object(&j);
    ps_json_kv_str(&j, "source", ps_event_field(ev, "SourceImage"));
    ps_json_kv_str(&j, "source_pid", ps_event_field(ev, "SourceProcessId"));
    ps_json_kv_str(&j, "target", ps_event_field(ev, "TargetImage"));
    ps_json_kv_str(&j, "target_pid", ps_event_field(ev, "TargetProcessId"));
    ps_json_kv_str(&j, "start_address", ps_event_field(ev, "StartAddress"));
    if (ps_known_value(ps_event_field(ev, "StartFunction")))
        ps_json_kv_str(&j, "start_function", ps_event_field(ev, "StartFunction"));
    ps_json_key(&j, "after_start_s");
    ps_json_double(&j, (double)(ts - start_ts) / PS_TICKS_PER_SEC, 3);
    ps_json_key(&j, "events");
    ps_json_begin_array(&j);
    ps_detect_event_ref(&j, start_event, "the source starts the target (Sysmon 1)");
    ps_detect_event_ref(&j, event_id, "the source creates a thread in it outside any module (Sysmon 8)");
    ps_json_end_array(&j);
    ps_json_end_object(&j);
    return ps_detect_emit_for_start(d, self, trace_id, start_event, event_id, "high", "T1055", err);
}

const ps_detector ps_detector_inject = {
    {"fresh-process-injection", "Code injected into a process its parent just started", "T1055", "high",
     "Sysmon 8: a process creates a remote thread, at an address outside every module (no "
     "StartModule), in a process it started itself (Sysmon 1, the same process GUIDs) at most 10 s "
     "before: the pattern of launchers that start a benign program (often suspended) and run "
     "their payload in it. The finding belongs to the target's creation.",
     "sysmon 1, 8"},
    detect_inject,
    NULL,
    sizeof(inject_state),
};
