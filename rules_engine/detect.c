#include "rules_engine/detect.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/json.h"

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

static int detect_ppid(ps_detect *d, const builtin *b, const ps_creation *c, ps_error *err);

/* The table ends with an empty entry.  The IFEO Debugger detectors are rules
 * now (rules/ifeo_debugger.yml). */
static const builtin builtins[] = {
    {{"ppid-spoofing", "Parent PID spoofing", "T1134.004", "high",
      "The process that created the child (the creator of the ETW Process/Start, the logger of "
      "Procmon's Process Create) is not the parent recorded for the child: CreateProcess was "
      "given another parent (PROC_THREAD_ATTRIBUTE_PARENT_PROCESS). Brokers that do this by "
      "design are not reported: consent.exe, the AppInfo, Task Scheduler and Secondary Logon "
      "services (svchost.exe -s Appinfo, Schedule, seclogon, or -k netsvcs), taskeng.exe, "
      "taskhostw.exe and WMI (wmiprvse.exe)."},
     NULL, detect_ppid},
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
 * callbacks of the table). */
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

/* Creators that hand their children another parent by design. */
static bool ppid_broker(const char *name, const char *cmdline)
{
    static const char *const brokers[] = {"consent.exe", "wmiprvse.exe", "taskeng.exe", "taskhostw.exe",
                                          "taskhost.exe"};
    static const char *const services[] = {"-s Appinfo", "-s Schedule", "-s seclogon", "-k netsvcs"};
    size_t i;

    if (!name)
        return false;
    for (i = 0; i < PS_ARRAY_LEN(brokers); i++)
        if (ps_streq_ci(ps_path_basename(name), brokers[i]))
            return true;
    if (!ps_streq_ci(ps_path_basename(name), "svchost.exe") || !cmdline)
        return false;
    for (i = 0; i < PS_ARRAY_LEN(services); i++) {
        const char *hit = ps_strstr_ci(cmdline, services[i]);
        size_t n = strlen(services[i]);
        /* "-k netsvcs" counts only when no single service is named after it */
        if (hit && (hit[n] == '\0' || hit[n] == ' ') && (i < 3 || !ps_strstr_ci(cmdline, " -s ")))
            return true;
    }
    return false;
}

static void party(ps_json *j, const char *key, uint32_t pid, bool has_tid, uint32_t tid, const char *name,
                  const char *cmdline)
{
    ps_json_key(j, key);
    ps_json_begin_object(j);
    ps_json_kv_int(j, "pid", pid);
    if (has_tid)
        ps_json_kv_int(j, "tid", tid);
    ps_json_kv_str(j, "process", name);
    ps_json_kv_str(j, "command_line", cmdline);
    ps_json_end_object(j);
}

/* ppid-spoofing: the creator is not the recorded parent. */
static int detect_ppid(ps_detect *d, const builtin *b, const ps_creation *c, ps_error *err)
{
    ps_json j;

    if (!c->has_creator || !c->has_parent_pid || !c->has_child_pid || c->creator_pid == c->parent_pid ||
        c->anchor != PS_ANCHOR_PROCESS_CREATE || ppid_broker(c->creator_name, c->creator_cmdline))
        return 0;
    ps_buf_reset(&d->evidence);
    ps_json_init_buf(&j, &d->evidence);
    ps_json_begin_object(&j);
    party(&j, "creator", c->creator_pid, c->has_creator_tid, c->creator_tid, c->creator_name, c->creator_cmdline);
    party(&j, "recorded_parent", c->parent_pid, false, 0, c->parent_name, c->parent_cmdline);
    ps_json_key(&j, "child");
    ps_json_begin_object(&j);
    ps_json_kv_int(&j, "pid", c->child_pid);
    ps_json_kv_str(&j, "image", c->image_path);
    ps_json_kv_str(&j, "command_line", c->command_line);
    ps_json_end_object(&j);
    ps_json_key(&j, "events");
    ps_json_begin_array(&j);
    ps_json_begin_object(&j);
    ps_json_kv_int(&j, "event_id", c->anchor_event_id);
    ps_json_kv_str(&j, "role", "process creation logged by the creator, naming another parent");
    ps_json_end_object(&j);
    ps_json_end_array(&j);
    ps_json_end_object(&j);
    return emit(d, b, c->trace_id, c->creation_id, c->anchor_event_id, "high", "T1134.004", err);
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
