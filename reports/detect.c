#include "reports/detect.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "reports/json.h"

struct ps_detect {
    ps_store *store;
    uint64_t findings;
    ps_buf evidence;
};

static const ps_detector_info detectors[] = {
    {"ifeo-debugger-hijack", "IFEO Debugger hijack", "T1546.012", "high",
     "The creator read the Image File Execution Options Debugger value of an image and "
     "CreateProcess ran the debugger instead, with the image on its command line. Critical for "
     "the accessibility binaries launched at the logon screen (T1546.008)."},
    {"ifeo-debugger-set", "IFEO Debugger value written", "T1546.012", "high",
     "A process wrote the Debugger value of an Image File Execution Options key (or its "
     "Wow6432Node twin), which redirects every later launch of that image."},
    {"ppid-spoofing", "Parent PID spoofing", "T1134.004", "high",
     "The process that created the child (the creator of the ETW Process/Start, the logger of "
     "Procmon's Process Create) is not the parent recorded for the child: CreateProcess was "
     "given another parent (PROC_THREAD_ATTRIBUTE_PARENT_PROCESS). Brokers that do this by "
     "design are not reported: consent.exe, the AppInfo, Task Scheduler and Secondary Logon "
     "services (svchost.exe -s Appinfo, Schedule, seclogon, or -k netsvcs), taskeng.exe, "
     "taskhostw.exe and WMI (wmiprvse.exe)."},
};

const ps_detector_info *ps_detectors(size_t *n)
{
    *n = PS_ARRAY_LEN(detectors);
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

uint64_t ps_detect_count(const ps_detect *d)
{
    return d->findings;
}

static int emit(ps_detect *d, const ps_detector_info *info, int64_t trace_id, int64_t creation_id,
                int64_t event_id, const char *severity, const char *technique, ps_error *err)
{
    ps_store_finding f;
    int rc;

    memset(&f, 0, sizeof f);
    f.trace_id = trace_id;
    f.creation_id = creation_id;
    f.event_id = event_id;
    f.rule_id = info->id;
    f.title = info->title;
    f.severity = severity;
    f.technique = technique;
    f.evidence_json = ps_buf_cstr(&d->evidence);
    if ((rc = ps_store_add_finding(d->store, &f, err)) < 0)
        return rc;
    d->findings++;
    return 0;
}

/* ...\Image File Execution Options\<X>\Debugger */
static bool ifeo_debugger_path(const char *path, const char **name, size_t *nlen)
{
    const char *rest;
    return ps_ifeo_parts(path, name, nlen, &rest) && rest && ps_streq_ci(rest, "Debugger");
}

int ps_detect_event(ps_detect *d, int64_t trace_id, int64_t event_id, const ps_event *ev,
                    ps_error *err)
{
    const char *name;
    size_t nlen;
    char image[512];
    bool acc;
    ps_json j;

    if (ev->op != PS_OP_REG_SET_VALUE || !ev->path || !ifeo_debugger_path(ev->path, &name, &nlen))
        return 0;
    if (ev->result && *ev->result && strcmp(ev->result, "SUCCESS") != 0)
        return 0;
    snprintf(image, sizeof image, "%.*s", (int)nlen, name);
    acc = ps_is_accessibility_image(image);
    ps_buf_reset(&d->evidence);
    ps_json_init_buf(&j, &d->evidence);
    ps_json_begin_object(&j);
    ps_json_kv_str(&j, "image", image);
    ps_json_kv_str(&j, "debugger", ev->reg_data);
    ps_json_kv_str(&j, "key", ev->path);
    ps_json_key(&j, "wow64");
    ps_json_bool(&j, ps_strstr_ci(ev->path, "\\Wow6432Node\\") != NULL);
    ps_json_key(&j, "accessibility");
    ps_json_bool(&j, acc);
    ps_json_key(&j, "writer");
    ps_json_begin_object(&j);
    ps_json_kv_str(&j, "process", ev->process_name);
    ps_json_kv_int(&j, "pid", ev->pid);
    if (ev->has_tid)
        ps_json_kv_int(&j, "tid", ev->tid);
    ps_json_end_object(&j);
    ps_json_key(&j, "events");
    ps_json_begin_array(&j);
    ps_json_begin_object(&j);
    ps_json_kv_int(&j, "event_id", event_id);
    ps_json_kv_str(&j, "operation", ev->operation);
    ps_json_kv_str(&j, "path", ev->path);
    ps_json_kv_str(&j, "result", ev->result);
    ps_json_kv_str(&j, "detail", ev->detail);
    ps_json_end_object(&j);
    ps_json_end_array(&j);
    ps_json_end_object(&j);
    return emit(d, &detectors[1], trace_id, 0, event_id, acc ? "critical" : "high",
                acc ? "T1546.012, T1546.008" : "T1546.012", err);
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
static int detect_ppid(ps_detect *d, const ps_creation *c, ps_error *err)
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
    return emit(d, &detectors[2], c->trace_id, c->creation_id, c->anchor_event_id, "high", "T1134.004", err);
}

int ps_detect_creation(ps_detect *d, const ps_creation *c, ps_error *err)
{
    bool acc;
    ps_json j;
    int rc;

    if ((rc = detect_ppid(d, c, err)) < 0)
        return rc;
    if (!c->ifeo_image)
        return 0;
    acc = ps_is_accessibility_image(c->ifeo_image);
    ps_buf_reset(&d->evidence);
    ps_json_init_buf(&j, &d->evidence);
    ps_json_begin_object(&j);
    ps_json_kv_str(&j, "requested_image", c->requested_image);
    ps_json_kv_str(&j, "image_path", c->image_path);
    ps_json_kv_str(&j, "command_line", c->command_line);
    ps_json_kv_str(&j, "debugger", c->ifeo_debugger);
    ps_json_key(&j, "accessibility");
    ps_json_bool(&j, acc);
    ps_json_key(&j, "creator");
    ps_json_begin_object(&j);
    if (c->has_creator)
        ps_json_kv_int(&j, "pid", c->creator_pid);
    if (c->has_creator_tid)
        ps_json_kv_int(&j, "tid", c->creator_tid);
    ps_json_end_object(&j);
    if (c->has_child_pid)
        ps_json_kv_int(&j, "child_pid", c->child_pid);
    ps_json_key(&j, "events");
    ps_json_begin_array(&j);
    ps_json_begin_object(&j);
    ps_json_kv_int(&j, "event_id", c->ifeo_event_id);
    ps_json_kv_str(&j, "role", "Debugger value read by the creator");
    ps_json_end_object(&j);
    ps_json_begin_object(&j);
    ps_json_kv_int(&j, "event_id", c->anchor_event_id);
    ps_json_kv_str(&j, "role", "Process Create of the debugger");
    ps_json_end_object(&j);
    ps_json_end_array(&j);
    ps_json_end_object(&j);
    return emit(d, &detectors[0], c->trace_id, c->creation_id, c->anchor_event_id,
                acc ? "critical" : "high", acc ? "T1546.012, T1546.008" : "T1546.012", err);
}
