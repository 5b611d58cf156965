/*
 * detect_access.c - accessibility-backdoor: an accessibility program of the
 * logon screen that is another program, or that starts a shell as
 * LocalSystem (T1546.008).
 */
#include "rules_engine/detectors.h"

#include <string.h>

#include "common/util.h"

static bool is_accessibility(const char *path)
{
    const ps_known_image *k = path ? ps_known_by_name(ps_path_basename(path)) : NULL;
    return k && (k->flags & PS_KNOWN_ACCESSIBILITY);
}

static int detect_access(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t event_id,
                         const ps_event *ev, ps_error *err)
{
    const ps_known_image *real, *self_known;
    const char *by = NULL, *value = NULL;
    bool replaced, shell_of_ax;
    const char *user = ev->proc ? ev->proc->user : NULL;
    ps_json j;

    if (ev->op != PS_OP_PROCESS_START || !ev->path || !*ev->path)
        return 0;
    real = ps_known_of_start(ev, &by, &value);
    /* the program started is an accessibility program whose version
     * resource says it is another (known, not accessibility) program */
    replaced = is_accessibility(ev->path) && real && !(real->flags & PS_KNOWN_ACCESSIBILITY);
    /* a shell started as LocalSystem by an accessibility program: what
     * the logon screen's Ease of Access runs, when the program is a
     * backdoor or its Debugger/shim redirects it */
    self_known = real ? real : ps_known_by_name(ps_path_basename(ev->path));
    shell_of_ax = self_known && (self_known->flags & PS_KNOWN_SHELL) && is_accessibility(ev->parent_image) &&
                  ps_known_system_user(user);
    if (!replaced && !shell_of_ax)
        return 0;
    ps_json_init_buf(&j, ps_detect_evidence(d));
    ps_json_begin_object(&j);
    if (replaced) {
        ps_json_kv_str(&j, "real_name", real->name);
        ps_json_kv_str(&j, "named_by", by);
    }
    ps_json_kv_str(&j, "reason", replaced && shell_of_ax
                                     ? "an accessibility program that is a shell, started as LocalSystem by an "
                                       "accessibility program"
                                 : replaced ? "an accessibility program whose version resource names another program"
                                            : "a shell started as LocalSystem by an accessibility program");
    ps_known_start_json(&j, ev);
    ps_json_key(&j, "events");
    ps_json_begin_array(&j);
    ps_detect_event_ref(&j, event_id, replaced ? "process start of the replaced accessibility program"
                                        : "process start of the shell");
    ps_json_end_array(&j);
    ps_json_end_object(&j);
    /* on the process-start record: the store gives it the creation anchored
     * there when the trace ends (ps_store_link_findings) */
    return ps_detect_emit(d, self, trace_id, 0, event_id, "critical", "T1546.008", err);
}

const ps_detector ps_detector_accessibility = {
    {"accessibility-backdoor", "Accessibility program backdoor", "T1546.008", "critical",
     "An accessibility program of the logon screen (sethc, utilman, osk, magnify, narrator, "
     "displayswitch, atbroker) whose version resource (OriginalFileName or FileDescription) names "
     "another program - the file was replaced, or a shim or link redirects it, typically to cmd.exe - "
     "or a shell (cmd, PowerShell) that an accessibility program started as LocalSystem: what pressing "
     "Shift five times or Win+U at the logon screen runs when the backdoor is in place. IFEO Debugger "
     "redirections of the same programs are the ifeo-debugger rules'.",
     "process starts"},
    detect_access,
    NULL,
    0,
};
