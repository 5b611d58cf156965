/*
 * detect_renamed.c - renamed-binary: a known system program or tool run
 * under another file name, told by its version resource (T1036.003).
 */
#include "rules_engine/detectors.h"

#include <string.h>

#include "common/util.h"

/* The program the version resource of a started process names, and by
 * which value; NULL when it names none that procstage knows (detectors.h). */
const ps_known_image *ps_known_of_start(const ps_event *ev, const char **by, const char **value)
{
    const char *ofn = ps_event_field(ev, "OriginalFileName");
    const char *desc = ev->proc ? ev->proc->description : NULL;
    const ps_known_image *k;

    if ((k = ps_known_by_original(ofn))) {
        *by = "OriginalFileName";
        *value = ofn;
        return k;
    }
    /* an OriginalFileName says who the program is: the description only
     * speaks when there is none (Sysmon before 10, Procmon) */
    if (ps_known_value(ofn))
        return NULL;
    if ((k = ps_known_by_description(desc))) {
        *by = "Description";
        *value = desc;
        return k;
    }
    return NULL;
}

void ps_known_start_json(ps_json *j, const ps_event *ev)
{
    const char *ofn = ps_event_field(ev, "OriginalFileName");
    ps_json_kv_str(j, "image", ev->path);
    ps_json_kv_int(j, "pid", ev->pid);
    if (ps_known_value(ofn))
        ps_json_kv_str(j, "original_file_name", ofn);
    if (ev->proc && ps_known_value(ev->proc->description))
        ps_json_kv_str(j, "description", ev->proc->description);
    if (ev->command_line && *ev->command_line)
        ps_json_kv_str(j, "command_line", ev->command_line);
    if (ev->proc && ps_known_value(ev->proc->user))
        ps_json_kv_str(j, "user", ev->proc->user);
    if (ev->parent_image && *ev->parent_image)
        ps_json_kv_str(j, "parent", ev->parent_image);
}

static int detect_renamed(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t event_id,
                          const ps_event *ev, ps_error *err)
{
    const ps_known_image *k, *named;
    const char *by = NULL, *value = NULL;
    ps_json j;

    if (ev->op != PS_OP_PROCESS_START || !ev->path || !*ev->path || !(k = ps_known_of_start(ev, &by, &value)) ||
        ps_known_names(k, ev->path))
        return 0;
    /* an accessibility program that is another one is accessibility-backdoor's */
    named = ps_known_by_name(ps_path_basename(ev->path));
    if (named && (named->flags & PS_KNOWN_ACCESSIBILITY))
        return 0;
    ps_json_init_buf(&j, ps_detect_evidence(d));
    ps_json_begin_object(&j);
    ps_json_kv_str(&j, "real_name", k->name);
    ps_json_kv_str(&j, "named_by", by);
    ps_known_start_json(&j, ev);
    ps_json_key(&j, "events");
    ps_json_begin_array(&j);
    ps_detect_event_ref(&j, event_id, "process start whose version resource names another program");
    ps_json_end_array(&j);
    ps_json_end_object(&j);
    /* on the process-start record: the store gives it the creation anchored
     * there when the trace ends (ps_store_link_findings) */
    return ps_detect_emit(d, self, trace_id, 0, event_id, "high", "T1036.003", err);
}

const ps_detector ps_detector_renamed = {
    {"renamed-binary", "Known program run under another name", "T1036.003", "high",
     "A process whose version resource (Sysmon's OriginalFileName, or its FileDescription) names a "
     "Windows program or tool that attackers use - a command interpreter, rundll32, regsvr32, "
     "mshta, certutil, net, schtasks, PsExec, ProcDump, 7-Zip and others - runs from a file of "
     "another name: a renamed copy, hiding from rules and allow-lists that go by file name. The "
     "evidence gives the real name. Accessibility programs are accessibility-backdoor's.",
     "process starts"},
    detect_renamed,
    NULL,
    0,
};
