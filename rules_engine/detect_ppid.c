/*
 * detect_ppid.c - ppid-spoofing: the process that created a child is not
 * its recorded parent (T1134.004), known brokers allowed.
 */
#include "rules_engine/detectors.h"

#include <string.h>

#include "common/util.h"

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
static int detect_ppid(ps_detect *d, const ps_detector *self, const ps_creation *c, ps_error *err)
{
    ps_json j;

    if (!c->has_creator || !c->has_parent_pid || !c->has_child_pid || c->creator_pid == c->parent_pid ||
        (c->anchor != PS_ANCHOR_PROCESS_CREATE && !c->creator_event_id) || c->creator_broker ||
        ppid_broker(c->creator_name, c->creator_cmdline))
        return 0;
    ps_json_init_buf(&j, ps_detect_evidence(d));
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
    ps_json_kv_str(&j, "role", c->creator_event_id ? "process creation naming the recorded parent"
                                                     : "process creation logged by the creator, naming another parent");
    ps_json_end_object(&j);
    if (c->creator_event_id) {
        ps_json_begin_object(&j);
        ps_json_kv_int(&j, "event_id", c->creator_event_id);
        ps_json_kv_str(&j, "role", c->creator_by_child_handle
                                       ? "the creator's handle to the new process, opened in CreateProcess"
                                       : "the creator's handle to the recorded parent with PROCESS_CREATE_PROCESS");
        ps_json_end_object(&j);
    }
    ps_json_end_array(&j);
    ps_json_end_object(&j);
    /* a creator known only from its handle to the recorded parent is an
     * inference (an injection into the parent looks the same): medium */
    return ps_detect_emit(d, self, c->trace_id, c->creation_id, c->anchor_event_id,
                          c->creator_event_id && !c->creator_by_child_handle ? "medium" : "high", "T1134.004", err);
}

const ps_detector ps_detector_ppid_spoofing = {
    {"ppid-spoofing", "Parent PID spoofing", "T1134.004", "high",
     "The process that created the child (the creator of the ETW Process/Start, the logger of "
     "Procmon's Process Create, the source of Sysmon's ProcessAccess to the new process or, shortly "
     "before it, to the recorded parent with PROCESS_CREATE_PROCESS) is not the parent recorded for "
     "the child: CreateProcess was "
     "given another parent (PROC_THREAD_ATTRIBUTE_PARENT_PROCESS). Brokers that do this by "
     "design are not reported: consent.exe, the AppInfo, Task Scheduler and Secondary Logon "
     "services (svchost.exe -s Appinfo, Schedule, seclogon, or -k netsvcs), taskeng.exe, "
     "taskhostw.exe and WMI (wmiprvse.exe).",
     "creations"},
    NULL,
    detect_ppid,
    0,
};
