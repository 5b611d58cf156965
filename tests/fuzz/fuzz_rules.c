/*
 * fuzz_rules - a rule file (Sigma YAML, procstage's extensions,
 * correlations) compiled by the rule engine and run over a few events and
 * a creation of every logsource the default pack uses.  A rule that cannot
 * run is a problem, never a crash; a compiled rule matches without reading
 * out of bounds and within the regular-expression match limit.
 */
#include <string.h>

#include "common/util.h"
#include "fuzz.h"
#include "model/creation.h"
#include "rules_engine/rules.h"

static volatile size_t sink;

static void on_match(void *ctx, const ps_rule_info *r, const char *sev, int64_t event_id, int64_t creation_id)
{
    (void)ctx;
    sink += strlen(r->id) + strlen(sev) + (size_t)event_id + (size_t)creation_id;
}

/* A Sysmon-style event: provider, event id and the payload's values. */
static void sysmon(ps_event *ev, ps_field *f, const char *id, const char *const *kv, size_t nkv)
{
    size_t i;
    ps_event_init(ev);
    f[0].name = "Provider_Name";
    f[0].value = "Microsoft-Windows-Sysmon";
    f[1].name = "EventID";
    f[1].value = id;
    for (i = 0; i + 1 < nkv; i += 2) {
        f[2 + i / 2].name = kv[i];
        f[2 + i / 2].value = kv[i + 1];
    }
    ev->fields = f;
    ev->nfields = (uint32_t)(2 + nkv / 2);
    ev->cls = PS_CLASS_OTHER;
    ev->operation = "Sysmon";
    ev->pid = 4242;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const create[] = {
        "Image", "C:\\Windows\\System32\\cmd.exe", "CommandLine", "cmd.exe /c whoami && echo aGVsbG8=",
        "ParentImage", "C:\\Windows\\explorer.exe", "User", "WS01\\alice", "IntegrityLevel", "High",
        "ProcessId", "4242", "ParentProcessId", "1000", "Hashes", "SHA256=00ff"};
    static const char *const regset[] = {
        "EventType", "SetValue", "TargetObject",
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe\\Debugger",
        "Details", "C:\\Windows\\System32\\cmd.exe", "Image", "C:\\Windows\\System32\\reg.exe"};
    static const char *const load[] = {"Image", "C:\\Windows\\System32\\cmd.exe", "ImageLoaded",
                                       "C:\\Users\\alice\\AppData\\Local\\Temp\\x.dll", "Signed", "false"};
    ps_ruleset *rs = NULL;
    ps_rules_run *rr = NULL;
    ps_trace_info info;
    ps_creation c;
    ps_event ev;
    ps_field f[16];
    ps_error err;
    int k;

    if (ps_ruleset_new(&rs, &err) < 0)
        return 0;
    if (ps_ruleset_add_text(rs, (const char *)data, size, "fuzz.yml", false, &err) < 0 ||
        ps_ruleset_finish(rs, &err) < 0 || ps_rules_run_new(rs, NULL, &rr, &err) < 0)
        goto out;
    ps_rules_set_hook(rr, on_match, NULL);
    memset(&info, 0, sizeof info);
    if (ps_rules_begin_trace(rr, 1, &info, NULL, &err) < 0)
        goto out;
    for (k = 0; k < 2; k++) {   /* twice: correlations see an ordered pair */
        sysmon(&ev, f, "13", regset, PS_ARRAY_LEN(regset));
        ev.ts = 1000 + k * 10;
        ps_rules_event(rr, 1 + k * 3, &ev, &err);
        sysmon(&ev, f, "1", create, PS_ARRAY_LEN(create));
        ev.ts = 1001 + k * 10;
        ps_rules_event(rr, 2 + k * 3, &ev, &err);
        sysmon(&ev, f, "7", load, PS_ARRAY_LEN(load));
        ev.ts = 1002 + k * 10;
        ps_rules_event(rr, 3 + k * 3, &ev, &err);
    }
    ps_creation_init(&c);
    c.creation_id = 1;
    c.trace_id = 1;
    c.has_parent_pid = c.has_creator = c.has_child_pid = true;
    c.parent_pid = 1000;
    c.creator_pid = 1001;
    c.child_pid = 4242;
    c.requested_image = (char *)"C:\\Windows\\System32\\sethc.exe";
    c.image_path = (char *)"C:\\Windows\\System32\\cmd.exe";
    c.command_line = (char *)"cmd.exe C:\\Windows\\System32\\sethc.exe";
    c.ifeo_image = (char *)"sethc.exe";
    c.ifeo_debugger = (char *)"C:\\Windows\\System32\\cmd.exe";
    c.anchor_event_id = 2;
    c.create_ts = 1001;
    ps_creation_derive(&c);
    ps_rules_creation(rr, &c, &err);
    ps_rules_end_trace(rr, &err);
out:
    ps_rules_run_free(rr);
    ps_ruleset_free(rs);
    return 0;
}
