/*
 * map.c - ps_evx -> ps_event (see map.h).
 */
#include "parsers/winevent/map.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/util.h"

struct ps_winevent {
    ps_arena arena;
    ps_field *fields;
    uint32_t cap;
    ps_proc_attrs proc;
};

int ps_winevent_new(ps_winevent **out, ps_error *err)
{
    ps_winevent *m = calloc(1, sizeof *m);
    *out = NULL;
    if (!m)
        return ps_error_nomem(err);
    ps_arena_init(&m->arena, 8192);
    *out = m;
    return 0;
}

void ps_winevent_free(ps_winevent *m)
{
    if (!m)
        return;
    ps_arena_release(&m->arena);
    free(m->fields);
    free(m);
}

void ps_winevent_reg_path(const char *in, char *buf, size_t cap)
{
    static const struct {
        const char *from, *to;
    } roots[] = {
        {"\\REGISTRY\\MACHINE", "HKLM"},
        {"\\REGISTRY\\USER", "HKU"},
        {"\\REGISTRY\\A", "HKA"},
    };
    size_t i;

    for (i = 0; i < PS_ARRAY_LEN(roots); i++) {
        size_t n = strlen(roots[i].from);
        if (ps_strneq_ci(in, roots[i].from, n) && (in[n] == '\\' || in[n] == '\0')) {
            snprintf(buf, cap, "%s%s", roots[i].to, in + n);
            return;
        }
    }
    snprintf(buf, cap, "%s", in);
}

/* ---- fields ------------------------------------------------------------------- */

static int push(ps_winevent *m, ps_event *ev, const char *name, const char *value)
{
    if (!value)
        return 0;
    if (ev->nfields == m->cap) {
        uint32_t nc = m->cap ? m->cap * 2 : 64;
        ps_field *nf = realloc(m->fields, nc * sizeof *nf);
        if (!nf)
            return PS_ERR_NOMEM;
        m->fields = nf;
        m->cap = nc;
        ev->fields = nf;
    }
    m->fields[ev->nfields].name = name;
    m->fields[ev->nfields].value = value;
    ev->nfields++;
    return 0;
}

static const char *fmt(ps_winevent *m, const char *f, ...) __attribute__((format(printf, 2, 3)));

static const char *fmt(ps_winevent *m, const char *f, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, f);
    vsnprintf(tmp, sizeof tmp, f, ap);
    va_end(ap);
    return ps_arena_strdup(&m->arena, tmp);
}

static const char *num(ps_winevent *m, bool has, uint64_t v)
{
    return has ? fmt(m, "%llu", (unsigned long long)v) : NULL;
}

static const char *inum(ps_winevent *m, int v)
{
    return v >= 0 ? fmt(m, "%d", v) : NULL;
}

static const char *nz(const char *s)
{
    return s && *s ? s : NULL;
}

static int system_fields(ps_winevent *m, const ps_evx *x, ps_event *ev)
{
    int rc = 0;
    rc |= push(m, ev, "EventID", num(m, x->has_event_id, x->event_id));
    rc |= push(m, ev, "Provider_Name", nz(x->provider_name));
    rc |= push(m, ev, "Provider_Guid", nz(x->provider_guid));
    rc |= push(m, ev, "EventSourceName", nz(x->event_source_name));
    rc |= push(m, ev, "Channel", nz(x->channel));
    rc |= push(m, ev, "Computer", nz(x->computer));
    rc |= push(m, ev, "Level", inum(m, x->level));
    rc |= push(m, ev, "Task", inum(m, x->task));
    rc |= push(m, ev, "Opcode", inum(m, x->opcode));
    rc |= push(m, ev, "Keywords", nz(x->keywords_text));
    rc |= push(m, ev, "Version", inum(m, x->version));
    rc |= push(m, ev, "EventRecordID", num(m, x->has_record_id, x->record_id));
    rc |= push(m, ev, "TimeCreated", nz(x->time_created));
    rc |= push(m, ev, "ExecutionProcessID", num(m, x->has_pid, x->pid));
    rc |= push(m, ev, "ExecutionThreadID", num(m, x->has_tid, x->tid));
    rc |= push(m, ev, "UserID", nz(x->user_sid));
    rc |= push(m, ev, "ActivityID", nz(x->activity_id));
    return rc ? PS_ERR_NOMEM : 0;
}

/* ---- provider mappings ---------------------------------------------------------- */

static bool get_u32(const ps_evx *x, const char *name, uint32_t *v)
{
    uint64_t t;
    if (!ps_evx_parse_number(ps_evx_get(x, name), &t) || t > 0xffffffffu)
        return false;
    *v = (uint32_t)t;
    return true;
}

static const char *get(const ps_evx *x, const char *name)
{
    const char *v = ps_evx_get(x, name);
    return v ? v : "";
}

/* The subject process: pid from `pid_field`, image from `image_field`. */
static void subject(ps_winevent *m, const ps_evx *x, ps_event *ev, const char *pid_field,
                    const char *image_field)
{
    uint32_t pid;
    const char *img = ps_evx_get(x, image_field);

    if (get_u32(x, pid_field, &pid))
        ev->pid = pid;
    if (img && *img) {
        ev->process_name = ps_path_basename(img);
        m->proc.image_path = img;
        ev->proc = &m->proc;
    }
}

static const char *const sysmon_names[] = {
    [1] = "Process Create",
    [2] = "File creation time changed",
    [3] = "Network connection",
    [4] = "Sysmon service state changed",
    [5] = "Process terminated",
    [6] = "Driver loaded",
    [7] = "Image loaded",
    [8] = "CreateRemoteThread",
    [9] = "RawAccessRead",
    [10] = "Process accessed",
    [11] = "File created",
    [12] = "Registry object added or deleted",
    [13] = "Registry value set",
    [14] = "Registry object renamed",
    [15] = "File stream created",
    [16] = "Sysmon config state changed",
    [17] = "Pipe created",
    [18] = "Pipe connected",
    [19] = "WmiEventFilter activity",
    [20] = "WmiEventConsumer activity",
    [21] = "WmiEventConsumerToFilter activity",
    [22] = "Dns query",
    [23] = "File delete archived",
    [24] = "Clipboard changed",
    [25] = "Process tampering",
    [26] = "File delete logged",
    [27] = "File block executable",
    [28] = "File block shredding",
    [29] = "File executable detected",
};

static void map_sysmon(ps_winevent *m, const ps_evx *x, ps_event *ev)
{
    uint32_t id = x->event_id, v;
    const char *name = id < PS_ARRAY_LEN(sysmon_names) && sysmon_names[id] ? sysmon_names[id] : "event";

    ev->operation = fmt(m, "Sysmon %u %s", id, name);
    ev->cls = PS_CLASS_OTHER;
    ev->op = PS_OP_OTHER;
    ev->has_tid = false;
    ev->tid = 0;
    switch (id) {
    case 1: {
        ps_proc_attrs *a = &m->proc;
        int64_t sess;
        subject(m, x, ev, "ProcessId", "Image");
        ev->cls = PS_CLASS_PROCESS;
        ev->op = PS_OP_PROCESS_START;
        ev->path = get(x, "Image");
        ev->command_line = get(x, "CommandLine");
        ev->current_dir = get(x, "CurrentDirectory");
        ev->parent_image = ps_evx_get(x, "ParentImage");
        ev->parent_command_line = ps_evx_get(x, "ParentCommandLine");
        if (get_u32(x, "ParentProcessId", &v)) {
            ev->has_parent_pid = true;
            ev->parent_pid = v;
            a->has_parent_pid = true;
            a->parent_pid = v;
        }
        a->command_line = ev->command_line;
        a->user = get(x, "User");
        a->integrity = get(x, "IntegrityLevel");
        a->company = get(x, "Company");
        a->version = get(x, "FileVersion");
        a->description = get(x, "Description");
        if (ps_parse_i64(get(x, "TerminalSessionId"), &sess) && sess >= 0 && sess < 0x7fffffff)
            a->session = (int32_t)sess;
        ev->proc = a;
        ev->detail = fmt(m, "Parent PID: %s, Command line: %.900s", get(x, "ParentProcessId"), ev->command_line);
        break;
    }
    case 5:
        subject(m, x, ev, "ProcessId", "Image");
        ev->cls = PS_CLASS_PROCESS;
        ev->op = PS_OP_PROCESS_EXIT;
        ev->path = get(x, "Image");
        break;
    case 7:
        subject(m, x, ev, "ProcessId", "Image");
        ev->cls = PS_CLASS_PROCESS;
        ev->op = PS_OP_LOAD_IMAGE;
        ev->path = get(x, "ImageLoaded");
        break;
    case 8:
        subject(m, x, ev, "SourceProcessId", "SourceImage");
        ev->cls = PS_CLASS_PROCESS;
        ev->path = get(x, "TargetImage");
        ev->detail = fmt(m, "Target PID: %s, Start address: %s", get(x, "TargetProcessId"), get(x, "StartAddress"));
        break;
    case 10:
        subject(m, x, ev, "SourceProcessId", "SourceImage");
        ev->cls = PS_CLASS_PROCESS;
        ev->path = get(x, "TargetImage");
        ev->detail = fmt(m, "Target PID: %s, Granted access: %s", get(x, "TargetProcessId"), get(x, "GrantedAccess"));
        break;
    case 12: case 13: case 14: {
        const char *et = get(x, "EventType");
        subject(m, x, ev, "ProcessId", "Image");
        ev->cls = PS_CLASS_REGISTRY;
        ev->path = get(x, "TargetObject");
        if (id == 13) {
            ev->op = PS_OP_REG_SET_VALUE;
            ev->reg_data = get(x, "Details");
            ev->detail = fmt(m, "Data: %.900s", ev->reg_data);
        } else if (id == 14) {
            ev->op = PS_OP_REG_OTHER;
            ev->detail = fmt(m, "New name: %.900s", get(x, "NewName"));
        } else if (!strcmp(et, "CreateKey")) {
            ev->op = PS_OP_REG_CREATE_KEY;
        } else if (!strcmp(et, "DeleteKey")) {
            ev->op = PS_OP_REG_DELETE_KEY;
        } else if (!strcmp(et, "DeleteValue")) {
            ev->op = PS_OP_REG_DELETE_VALUE;
        } else {
            ev->op = PS_OP_REG_OTHER;
        }
        break;
    }
    case 25:
        subject(m, x, ev, "ProcessId", "Image");
        ev->cls = PS_CLASS_PROCESS;
        ev->path = get(x, "Image");
        ev->detail = fmt(m, "Type: %s", get(x, "Type"));
        break;
    case 3:
        subject(m, x, ev, "ProcessId", "Image");
        ev->cls = PS_CLASS_NETWORK;
        ev->op = PS_OP_NETWORK;
        ev->path = fmt(m, "%s:%s -> %s:%s", get(x, "SourceIp"), get(x, "SourcePort"), get(x, "DestinationIp"),
                       get(x, "DestinationPort"));
        break;
    case 2: case 11: case 15: case 23: case 26: case 27: case 28: case 29:
        subject(m, x, ev, "ProcessId", "Image");
        ev->cls = PS_CLASS_FILE;
        ev->op = PS_OP_FILE_OTHER;
        ev->path = get(x, "TargetFilename");
        break;
    case 17: case 18:
        subject(m, x, ev, "ProcessId", "Image");
        ev->path = get(x, "PipeName");
        break;
    case 22:
        subject(m, x, ev, "ProcessId", "Image");
        ev->path = get(x, "QueryName");
        break;
    case 6:
        ev->path = get(x, "ImageLoaded");
        break;
    default:
        subject(m, x, ev, "ProcessId", "Image");
        break;
    }
}

static void map_security(ps_winevent *m, const ps_evx *x, ps_event *ev)
{
    uint32_t v;
    ps_proc_attrs *a = &m->proc;

    ev->operation = fmt(m, "Security %u", x->event_id);
    switch (x->event_id) {
    case 4688: {
        const char *tu = ps_evx_get(x, "TargetUserName"), *label = ps_evx_get(x, "MandatoryLabel");
        ev->operation = "Security 4688 process created";
        ev->has_tid = false;
        ev->tid = 0;
        subject(m, x, ev, "NewProcessId", "NewProcessName");
        ev->cls = PS_CLASS_PROCESS;
        ev->op = PS_OP_PROCESS_START;
        ev->path = get(x, "NewProcessName");
        ev->command_line = get(x, "CommandLine");
        ev->parent_image = ps_evx_get(x, "ParentProcessName");
        if (get_u32(x, "ProcessId", &v)) {
            ev->has_parent_pid = true;
            ev->parent_pid = v;
            a->has_parent_pid = true;
            a->parent_pid = v;
        }
        a->command_line = ev->command_line;
        if (tu && *tu && strcmp(tu, "-") != 0)
            a->user = fmt(m, "%s\\%s", get(x, "TargetDomainName"), tu);
        else if (ps_evx_get(x, "SubjectUserName"))
            a->user = fmt(m, "%s\\%s", get(x, "SubjectDomainName"), get(x, "SubjectUserName"));
        if (label && *label)
            a->integrity = label;
        ev->proc = a;
        ev->detail = fmt(m, "Parent PID: %u, Command line: %.900s", ev->parent_pid, ev->command_line);
        break;
    }
    case 4689: {
        uint64_t st;
        ev->operation = "Security 4689 process exited";
        ev->has_tid = false;
        ev->tid = 0;
        subject(m, x, ev, "ProcessId", "ProcessName");
        ev->cls = PS_CLASS_PROCESS;
        ev->op = PS_OP_PROCESS_EXIT;
        ev->path = get(x, "ProcessName");
        if (ps_evx_parse_number(ps_evx_get(x, "Status"), &st)) {
            ev->has_exit_status = true;
            ev->exit_status = (int64_t)(int32_t)(uint32_t)st;
        }
        break;
    }
    case 4657: {
        char key[2048];
        const char *vn = get(x, "ObjectValueName");
        ev->operation = "Security 4657 registry value modified";
        ev->has_tid = false;
        ev->tid = 0;
        subject(m, x, ev, "ProcessId", "ProcessName");
        ev->cls = PS_CLASS_REGISTRY;
        ps_winevent_reg_path(get(x, "ObjectName"), key, sizeof key);
        ev->path = *vn ? fmt(m, "%s\\%s", key, vn) : ps_arena_strdup(&m->arena, key);
        ev->op = !strcmp(get(x, "OperationType"), "%%1906") ? PS_OP_REG_DELETE_VALUE : PS_OP_REG_SET_VALUE;
        ev->reg_data = get(x, "NewValue");
        ev->reg_type = get(x, "NewValueType");
        ev->detail = fmt(m, "Data: %.900s", ev->reg_data);
        break;
    }
    default:
        break;
    }
}

static void map_exitmon(ps_winevent *m, const ps_evx *x, ps_event *ev)
{
    const char *img = ps_evx_get(x, "param1");

    ev->operation = fmt(m, "ProcessExitMonitor %u silent process exit", x->event_id);
    ev->cls = PS_CLASS_PROCESS;
    if (img) {
        ev->path = img;
        ev->process_name = ps_path_basename(img);
    }
    if (x->event_id == 3001 && ps_evx_get(x, "param2"))
        ev->detail = fmt(m, "Terminated by: %.900s", ps_evx_get(x, "param2"));
}

int ps_winevent_map(ps_winevent *m, const ps_evx *x, uint64_t seq, ps_event *ev, ps_error *err)
{
    uint32_t i;

    ps_arena_reset(&m->arena);
    memset(&m->proc, 0, sizeof m->proc);
    m->proc.session = -1;
    ps_event_init(ev);
    ev->seq = seq;
    ev->ts = x->has_ts ? x->ts : 0;
    ev->cls = PS_CLASS_OTHER;
    ev->op = PS_OP_OTHER;
    ev->pid = x->has_pid ? x->pid : 0;
    ev->tid = x->has_tid ? x->tid : 0;
    ev->has_tid = x->has_tid;
    ev->fields = m->fields;
    ev->nfields = 0;
    if (system_fields(m, x, ev) < 0)
        return ps_error_nomem(err);
    for (i = 0; i < x->nvalues; i++)
        if (push(m, ev, x->values[i].name, x->values[i].value) < 0)
            return ps_error_nomem(err);
    ev->fields = m->fields;
    {
        const char *utc = ps_evx_get(x, "UtcTime"), *guid = ps_evx_get(x, "ProcessGuid");
        if (utc) {
            ev->has_subject_ts = true;
            if (!ps_evx_parse_time(utc, &ev->subject_ts))
                ev->subject_ts = ev->ts;
        }
        if (guid)
            ev->subject_guid = guid;
    }

    if (!strcmp(x->provider_name, PS_PROVIDER_SYSMON) && x->has_event_id)
        map_sysmon(m, x, ev);
    else if (!strcmp(x->provider_name, PS_PROVIDER_SECURITY) && x->has_event_id)
        map_security(m, x, ev);
    else if (!strcmp(x->provider_name, PS_PROVIDER_EXITMON) && (x->event_id == 3000 || x->event_id == 3001))
        map_exitmon(m, x, ev);
    else
        ev->operation = fmt(m, "%s %u", *x->provider_name ? x->provider_name
                                        : *x->event_source_name ? x->event_source_name : "event",
                            x->event_id);
    if (!ev->operation)
        return ps_error_nomem(err);
    return 0;
}
