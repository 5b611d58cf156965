#include "model/event.h"

#include <string.h>

#include "common/util.h"

const char *ps_time_basis_name(ps_time_basis b)
{
    switch (b) {
    case PS_TIME_UTC: return "utc";
    case PS_TIME_LOCAL: return "local";
    case PS_TIME_TIME_OF_DAY: return "time-of-day";
    }
    return "unknown";
}

const char *ps_event_class_name(ps_event_class c)
{
    switch (c) {
    case PS_CLASS_PROCESS: return "Process";
    case PS_CLASS_REGISTRY: return "Registry";
    case PS_CLASS_FILE: return "File System";
    case PS_CLASS_PROFILING: return "Profiling";
    case PS_CLASS_NETWORK: return "Network";
    case PS_CLASS_OTHER: return "Other";
    case PS_CLASS_UNKNOWN: break;
    }
    return "Unknown";
}

ps_event_class ps_event_class_from_name(const char *name)
{
    if (!name || !*name)
        return PS_CLASS_UNKNOWN;
    if (ps_streq_ci(name, "Process"))
        return PS_CLASS_PROCESS;
    if (ps_streq_ci(name, "Registry"))
        return PS_CLASS_REGISTRY;
    if (ps_streq_ci(name, "File System"))
        return PS_CLASS_FILE;
    if (ps_streq_ci(name, "Profiling"))
        return PS_CLASS_PROFILING;
    if (ps_streq_ci(name, "Network"))
        return PS_CLASS_NETWORK;
    return PS_CLASS_OTHER;
}

/* Procmon's operation names.  The class is implied by the name, which matters
 * for exports without an "Event Class" column. */
static const struct {
    const char *name;
    ps_op op;
    ps_event_class cls;
} procmon_ops[] = {
    {"Process Create", PS_OP_PROCESS_CREATE, PS_CLASS_PROCESS},
    {"Process Start", PS_OP_PROCESS_START, PS_CLASS_PROCESS},
    {"Process Exit", PS_OP_PROCESS_EXIT, PS_CLASS_PROCESS},
    {"Thread Create", PS_OP_THREAD_CREATE, PS_CLASS_PROCESS},
    {"Thread Exit", PS_OP_THREAD_EXIT, PS_CLASS_PROCESS},
    {"Load Image", PS_OP_LOAD_IMAGE, PS_CLASS_PROCESS},
    {"Process Profiling", PS_OP_PROFILING, PS_CLASS_PROFILING},
    {"Thread Profiling", PS_OP_PROFILING, PS_CLASS_PROFILING},
    {"Thread Profile", PS_OP_PROFILING, PS_CLASS_PROFILING},
    {"Process Statistics", PS_OP_PROFILING, PS_CLASS_PROFILING},
    {"System Statistics", PS_OP_PROFILING, PS_CLASS_PROFILING},
    {"RegOpenKey", PS_OP_REG_OPEN_KEY, PS_CLASS_REGISTRY},
    {"RegCreateKey", PS_OP_REG_CREATE_KEY, PS_CLASS_REGISTRY},
    {"RegQueryKey", PS_OP_REG_QUERY_KEY, PS_CLASS_REGISTRY},
    {"RegQueryValue", PS_OP_REG_QUERY_VALUE, PS_CLASS_REGISTRY},
    {"RegSetValue", PS_OP_REG_SET_VALUE, PS_CLASS_REGISTRY},
    {"RegDeleteKey", PS_OP_REG_DELETE_KEY, PS_CLASS_REGISTRY},
    {"RegDeleteValue", PS_OP_REG_DELETE_VALUE, PS_CLASS_REGISTRY},
    {"CreateFile", PS_OP_FILE_CREATE, PS_CLASS_FILE},
    {"CreateFileMapping", PS_OP_FILE_MAPPING, PS_CLASS_FILE},
};

ps_op ps_op_from_procmon(const char *operation, ps_event_class *cls)
{
    size_t i;

    if (cls)
        *cls = PS_CLASS_UNKNOWN;
    if (!operation)
        return PS_OP_OTHER;
    for (i = 0; i < PS_ARRAY_LEN(procmon_ops); i++) {
        if (strcmp(operation, procmon_ops[i].name) == 0) {
            if (cls)
                *cls = procmon_ops[i].cls;
            return procmon_ops[i].op;
        }
    }
    /* the rest by family */
    if (strncmp(operation, "Reg", 3) == 0) {
        if (cls)
            *cls = PS_CLASS_REGISTRY;
        return PS_OP_REG_OTHER;
    }
    if (strncmp(operation, "TCP ", 4) == 0 || strncmp(operation, "UDP ", 4) == 0) {
        if (cls)
            *cls = PS_CLASS_NETWORK;
        return PS_OP_NETWORK;
    }
    if (strstr(operation, "File") || strstr(operation, "Directory") || strstr(operation, "Volume") ||
        strncmp(operation, "IRP_MJ_", 7) == 0 || strncmp(operation, "FASTIO_", 7) == 0 ||
        strcmp(operation, "DeviceIoControl") == 0 || strcmp(operation, "LockFile") == 0 ||
        strncmp(operation, "UnlockFile", 10) == 0 || strncmp(operation, "Query", 5) == 0 ||
        strncmp(operation, "Set", 3) == 0 || strcmp(operation, "FileSystemControl") == 0) {
        if (cls)
            *cls = PS_CLASS_FILE;
        return PS_OP_FILE_OTHER;
    }
    return PS_OP_OTHER;
}

void ps_event_init(ps_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->duration = -1;
    ev->proc_index = -1;
    ev->operation = "";
    ev->process_name = "";
    ev->path = "";
    ev->result = "";
    ev->detail = "";
}

const char *ps_event_field(const ps_event *ev, const char *name)
{
    uint32_t i;
    for (i = 0; i < ev->nfields; i++)
        if (strcmp(ev->fields[i].name, name) == 0)
            return ev->fields[i].value;
    return NULL;
}

bool ps_ifeo_parts(const char *path, const char **name, size_t *name_len, const char **rest)
{
    static const char key[] = "\\Image File Execution Options\\";
    const char *p = path ? ps_strstr_ci(path, key) : NULL, *e;

    if (!p)
        return false;
    p += sizeof key - 1;
    e = strchr(p, '\\');
    *name = p;
    *name_len = e ? (size_t)(e - p) : strlen(p);
    *rest = e ? e + 1 : NULL;
    return *name_len > 0;
}
