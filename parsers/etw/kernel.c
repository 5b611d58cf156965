/*
 * kernel.c - ETW kernel events to the normalised model (kernel.h).
 */
#include "parsers/etw/kernel.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define NO_PID 0xFFFFFFFFu
#define MAP_LIMIT (1u << 20)   /* KCB/key-object names kept before the map is cleared */

/* ---- GUIDs ------------------------------------------------------------------ */

typedef struct guid_name {
    const char *text;
    ps_etw_prov prov;
    int group;           /* classic event class GUIDs: their group; -1 otherwise */
    const char *name;
} guid_name;

static const guid_name known_guids[] = {
    {"3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c", PS_ETW_CLASSIC, PS_ETW_G_PROCESS, "MSNT_SystemTrace"},
    {"3d6fa8d1-fe05-11d0-9dda-00c04fd7ba7c", PS_ETW_CLASSIC, PS_ETW_G_THREAD, "MSNT_SystemTrace"},
    {"2cb15d1d-5fc1-11d2-abe1-00a0c911f518", PS_ETW_CLASSIC, PS_ETW_G_IMAGE, "MSNT_SystemTrace"},
    {"90cbdc39-4a3e-11d1-84f4-0000f80464e3", PS_ETW_CLASSIC, PS_ETW_G_FILEIO, "MSNT_SystemTrace"},
    {"ae53722e-c863-11d2-8659-00c04fa321a1", PS_ETW_CLASSIC, PS_ETW_G_REGISTRY, "MSNT_SystemTrace"},
    {"45d8cccd-539f-4b72-a8b7-5c683142609a", PS_ETW_CLASSIC, PS_ETW_G_ALPC, "MSNT_SystemTrace"},
    {"def2fe46-7bd6-4b80-bd94-f57fe20d0ce3", PS_ETW_CLASSIC, PS_ETW_G_STACKWALK, "MSNT_SystemTrace"},
    {"68fdd900-4a3e-11d1-84f4-0000f80464e3", PS_ETW_CLASSIC, PS_ETW_G_EVENTTRACE, "MSNT_SystemTrace"},
    /* further classic classes, as tracerpt names them (ExtendedTracingInfo EventGuid) */
    {"3d6fa8d4-fe05-11d0-9dda-00c04fd7ba7c", PS_ETW_CLASSIC, 0x01, "MSNT_SystemTrace"},   /* DiskIo */
    {"3d6fa8d3-fe05-11d0-9dda-00c04fd7ba7c", PS_ETW_CLASSIC, 0x02, "MSNT_SystemTrace"},   /* PageFault */
    {"9a280ac0-c8e0-11d1-84e2-00c04fb998a2", PS_ETW_CLASSIC, 0x06, "MSNT_SystemTrace"},   /* TcpIp */
    {"bf3a50c5-a9c9-4988-a005-2df0b7c80f80", PS_ETW_CLASSIC, 0x08, "MSNT_SystemTrace"},   /* UdpIp */
    {"01853a65-418f-4f36-aefc-dc0f1d2fd235", PS_ETW_CLASSIC, 0x0B, "MSNT_SystemTrace"},   /* SystemConfig */
    {"ce1dbfb4-137e-4da6-87b0-3f59aa102cbc", PS_ETW_CLASSIC, 0x0F, "MSNT_SystemTrace"},   /* PerfInfo */
    {"22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716", PS_ETW_KERNEL_PROCESS, -1, "Microsoft-Windows-Kernel-Process"},
    {"70eb4f03-c1de-4f73-a051-33d13d5413bd", PS_ETW_KERNEL_REGISTRY, -1, "Microsoft-Windows-Kernel-Registry"},
    {"edd08927-9cc4-4e65-b970-c2560fb5c289", PS_ETW_KERNEL_FILE, -1, "Microsoft-Windows-Kernel-File"},
    {"b3e675d7-2554-4f18-830b-2762732560de", PS_ETW_OTHER, -1, "KernelTraceControl"},
    {"e13c0d23-ccbc-4e12-931b-d9cc2eee27e4", PS_ETW_OTHER, -1, "Microsoft-Windows-DotNETRuntime"},
    {"a669021c-c450-4609-a035-5af59af4df18", PS_ETW_OTHER, -1, "Microsoft-Windows-DotNETRuntimeRundown"},
    {"763fd754-7086-4dfe-95eb-c01a46faf4ca", PS_ETW_OTHER, -1, "Microsoft-Windows-DotNETRuntimePrivate"},
    {"b675ec37-bdb6-4648-bc92-f3fdc74d3ca2", PS_ETW_OTHER, -1, "Microsoft-Windows-Kernel-EventTracing"},
    {"7dd42a49-5329-4832-8dfd-43d979153a88", PS_ETW_OTHER, -1, "Microsoft-Windows-Kernel-Network"},
    {"1c95126e-7eea-49a9-a3fe-a378b03ddb4d", PS_ETW_OTHER, -1, "Microsoft-Windows-DNS-Client"},
};

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool ps_etw_guid_parse(const char *text, uint8_t guid[16])
{
    /* 8-4-4-4-12 hex digits; Data1..3 little-endian in the binary form */
    static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    uint8_t raw[16];
    size_t n = 0;
    const char *p = text;

    if (!p)
        return false;
    while (*p == ' ')
        p++;
    if (*p == '{')
        p++;
    while (*p && *p != '}' && n < 16) {
        int hi, lo;
        if (*p == '-') {
            p++;
            continue;
        }
        hi = hexval((unsigned char)p[0]);
        lo = hi < 0 ? -1 : hexval((unsigned char)p[1]);
        if (lo < 0)
            return false;
        raw[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    if (n != 16)
        return false;
    for (n = 0; n < 16; n++)
        guid[order[n]] = raw[n];
    return true;
}

void ps_etw_guid_format(const uint8_t g[16], char out[39])
{
    snprintf(out, 39, "{%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x}", g[3], g[2], g[1],
             g[0], g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static uint8_t guid_parsed[PS_ARRAY_LEN(known_guids)][16];
static pthread_once_t guid_once = PTHREAD_ONCE_INIT;

static void guid_init(void)
{
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(known_guids); i++)
        ps_etw_guid_parse(known_guids[i].text, guid_parsed[i]);
}

/* the table is parsed once, whichever thread reads an ETW log first */
static const guid_name *guid_lookup(const uint8_t guid[16])
{
    size_t i;

    pthread_once(&guid_once, guid_init);
    for (i = 0; i < PS_ARRAY_LEN(known_guids); i++)
        if (memcmp(guid_parsed[i], guid, 16) == 0)
            return &known_guids[i];
    return NULL;
}

/* ---- events ----------------------------------------------------------------- */

void ps_etw_kevent_reset(ps_etw_kevent *k)
{
    memset(k, 0, sizeof *k);
    k->prov = PS_ETW_OTHER;
    k->pointer_size = 8;
}

void ps_etw_kevent_identify(ps_etw_kevent *k, const uint8_t guid[16], unsigned opcode, unsigned id,
                            unsigned version)
{
    const guid_name *g = guid_lookup(guid);

    memcpy(k->guid, guid, 16);
    k->has_guid = true;
    k->opcode = opcode;
    k->id = id;
    k->version = version;
    k->prov = g ? g->prov : PS_ETW_OTHER;
    if (g && g->group >= 0)
        k->group = (unsigned)g->group;
}

static bool parse_num(const char *s, uint64_t *v)
{
    int64_t iv;
    while (s && (*s == ' ' || *s == '\t'))
        s++;
    if (!s || !*s)
        return false;
    if (ps_parse_u64(s, v))
        return true;
    if (ps_parse_i64(s, &iv)) {
        *v = (uint64_t)iv;
        return true;
    }
    return false;
}

/* "0x0102ab" or "01 02 ab" into bytes */
static bool parse_hex_bytes(const char *s, ps_arena *a, const uint8_t **out, size_t *n)
{
    size_t len = strlen(s), k = 0;
    uint8_t *b;

    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2, len -= 2;
    b = ps_arena_alloc(a, len / 2 + 1);
    if (!b)
        return false;
    while (*s) {
        int hi, lo;
        if (*s == ' ' || *s == '-') {
            s++;
            continue;
        }
        hi = hexval((unsigned char)s[0]);
        lo = hi < 0 ? -1 : hexval((unsigned char)s[1]);
        if (lo < 0)
            return false;
        b[k++] = (uint8_t)(hi << 4 | lo);
        s += 2;
    }
    *out = b;
    *n = k;
    return true;
}

typedef enum { FT_U32, FT_I64, FT_U64, FT_STR, FT_DATA } field_type;

typedef struct field_def {
    const char *name;
    field_type type;
    uint32_t bit;          /* PS_ETW_F_*, 0 for strings */
    size_t off;            /* offsetof the slot */
} field_def;

#define F(name, type, bit, slot) {name, type, bit, offsetof(ps_etw_kevent, slot)}

static const field_def fields[] = {
    F("ProcessId", FT_U32, PS_ETW_F_PID, process_id),
    F("ProcessID", FT_U32, PS_ETW_F_PID, process_id),
    F("StackProcess", FT_U32, PS_ETW_F_PID, process_id),
    F("ParentId", FT_U32, PS_ETW_F_PARENT, parent_id),
    F("ParentProcessID", FT_U32, PS_ETW_F_PARENT, parent_id),
    F("TThreadId", FT_U32, PS_ETW_F_TID, thread_id),
    F("ThreadID", FT_U32, PS_ETW_F_TID, thread_id),
    F("ThreadId", FT_U32, PS_ETW_F_TID, thread_id),
    F("TTID", FT_U32, PS_ETW_F_TID, thread_id),
    F("IssuingThreadId", FT_U32, PS_ETW_F_TID, thread_id),
    F("StackThread", FT_U32, PS_ETW_F_TID, thread_id),
    F("SessionId", FT_U32, PS_ETW_F_SESSION, session_id),
    F("SessionID", FT_U32, PS_ETW_F_SESSION, session_id),
    F("ExitStatus", FT_I64, PS_ETW_F_EXIT, exit_status),
    F("ExitCode", FT_I64, PS_ETW_F_EXIT, exit_status),
    F("Flags", FT_U32, PS_ETW_F_FLAGS, flags),
    F("ImageBase", FT_U64, PS_ETW_F_IMAGE_BASE, image_base),
    F("ImageSize", FT_U64, PS_ETW_F_IMAGE_SIZE, image_size),
    F("Status", FT_U32, PS_ETW_F_STATUS, status),
    F("KeyHandle", FT_U64, PS_ETW_F_KEY, key_handle),
    F("KeyObject", FT_U64, PS_ETW_F_KEY, key_handle),
    F("BaseObject", FT_U64, PS_ETW_F_BASE_OBJECT, base_object),
    F("Type", FT_U32, PS_ETW_F_REG_TYPE, reg_type),
    F("InfoClass", FT_U32, PS_ETW_F_INFO_CLASS, info_class),
    F("MessageID", FT_U32, PS_ETW_F_MESSAGE, message_id),
    F("EventTimeStamp", FT_U64, PS_ETW_F_EVENT_TS, event_ts),
    F("CreateTime", FT_I64, PS_ETW_F_CREATE_TIME, create_time),
    F("CreateOptions", FT_U32, PS_ETW_F_OPTIONS, create_options),
    F("ImageFileName", FT_STR, 0, image_name),
    F("ImageName", FT_STR, 0, image_name),
    F("CommandLine", FT_STR, 0, command_line),
    F("FileName", FT_STR, 0, file_name),
    F("OpenPath", FT_STR, 0, file_name),
    F("KeyName", FT_STR, 0, key_name),
    F("ValueName", FT_STR, 0, value_name),
    F("BaseName", FT_STR, 0, base_name),
    F("RelativeName", FT_STR, 0, relative_name),
    F("UserSID", FT_STR, 0, user_sid),
    F("CapturedData", FT_DATA, 0, data),
};

int ps_etw_kevent_set(ps_etw_kevent *k, const char *name, const char *text, ps_arena *a)
{
    size_t i;
    uint64_t v;

    for (i = 0; i < PS_ARRAY_LEN(fields); i++) {
        const field_def *f = &fields[i];
        char *slot = (char *)k + f->off;
        if (strcmp(f->name, name) != 0)
            continue;
        switch (f->type) {
        case FT_STR: {
            char *s = ps_arena_strdup(a, text ? text : "");
            if (!s)
                return PS_ERR_NOMEM;
            *(const char **)(void *)slot = s;
            return 1;
        }
        case FT_DATA:
            if (!text)
                return 0;
            if (!ps_arena_alloc(a, 1))
                return PS_ERR_NOMEM;
            return parse_hex_bytes(text, a, &k->data, &k->data_len) ? 1 : 0;
        default:
            if (!parse_num(text, &v))
                return 0;
            if (f->type == FT_U32)
                *(uint32_t *)(void *)slot = (uint32_t)v;
            else if (f->type == FT_I64)
                *(int64_t *)(void *)slot = (int64_t)v;
            else
                *(uint64_t *)(void *)slot = v;
            k->have |= f->bit;
            return 1;
        }
    }
    return 0;
}

bool ps_etw_hex_bytes(const char *text, ps_arena *a, const uint8_t **out, size_t *n)
{
    while (text && (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n'))
        text++;
    return text && parse_hex_bytes(text, a, out, n);
}

int ps_etw_kevent_fixed_payload(ps_etw_kevent *k, const uint8_t *p, size_t n)
{
    uint32_t a, b;

    if (k->prov != PS_ETW_CLASSIC)
        return 0;
    if (k->group == PS_ETW_G_THREAD && k->opcode >= 1 && k->opcode <= 4 && n >= 8) {
        /* ProcessId, TThreadId (version 0: the other way round) */
        a = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        b = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        k->process_id = k->version == 0 ? b : a;
        k->thread_id = k->version == 0 ? a : b;
        k->have |= PS_ETW_F_PID | PS_ETW_F_TID;
        return 1;
    }
    return 0;
}

/* ---- small renderings --------------------------------------------------------- */

int ps_etw_registry_path(const char *path, size_t len, ps_buf *out)
{
    static const struct {
        const char *from, *to;
    } roots[] = {
        {"\\REGISTRY\\MACHINE", "HKLM"},
        {"\\REGISTRY\\USER", "HKU"},
    };
    size_t i;

    ps_buf_reset(out);
    for (i = 0; i < PS_ARRAY_LEN(roots); i++) {
        size_t n = strlen(roots[i].from);
        if (len >= n && ps_strneq_ci(path, roots[i].from, n) && (len == n || path[n] == '\\')) {
            if (ps_buf_puts(out, roots[i].to) < 0 || ps_buf_append(out, path + n, len - n) < 0)
                return PS_ERR_NOMEM;
            ps_buf_cstr(out);
            return 0;
        }
    }
    if (ps_buf_append(out, path, len) < 0)
        return PS_ERR_NOMEM;
    ps_buf_cstr(out);
    return 0;
}

const char *ps_etw_status_text(uint32_t status, char *buf, size_t cap)
{
    static const struct {
        uint32_t code;
        const char *text;
    } names[] = {
        {0x00000000, "SUCCESS"},
        {0x80000005, "BUFFER OVERFLOW"},
        {0x8000001A, "NO MORE ENTRIES"},
        {0xC000000F, "NO SUCH FILE"},
        {0xC0000022, "ACCESS DENIED"},
        {0xC0000023, "BUFFER TOO SMALL"},
        {0xC0000024, "OBJECT TYPE MISMATCH"},
        {0xC0000033, "NAME INVALID"},
        {0xC0000034, "NAME NOT FOUND"},
        {0xC0000035, "NAME COLLISION"},
        {0xC000003A, "PATH NOT FOUND"},
        {0xC0000043, "SHARING VIOLATION"},
        {0xC0000054, "FILE LOCKED WITH ONLY READERS"},
        {0xC0000056, "DELETE PENDING"},
        {0xC00000BA, "IS DIRECTORY"},
        {0xC0000103, "NOT A DIRECTORY"},
        {0xC000017C, "KEY DELETED"},
        {0xC0000135, "DLL NOT FOUND"},
    };
    size_t i;

    for (i = 0; i < PS_ARRAY_LEN(names); i++)
        if (names[i].code == status)
            return names[i].text;
    snprintf(buf, cap, "0x%08X", status);
    return buf;
}

static const char *reg_type_name(uint32_t t)
{
    static const char *const names[] = {"REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY",
                                        "REG_DWORD", "REG_DWORD_BIG_ENDIAN", "REG_LINK", "REG_MULTI_SZ",
                                        "REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTOR",
                                        "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD"};
    return t < PS_ARRAY_LEN(names) ? names[t] : NULL;
}

/* ---- state ------------------------------------------------------------------- */

typedef struct kind_ent {
    ps_event_kind k;
} kind_ent;

struct ps_etw_state {
    ps_etw_state_opts opts;
    ps_arena arena;          /* per map call */
    ps_buf tmp, tmp2;

    ps_map tid_pid;          /* thread id -> process id + 1 */
    ps_map kcb;              /* registry KCB -> char * (malloc) */
    ps_map keyobj;           /* Kernel-Registry KeyObject -> char * (malloc) */

    ps_map kind_index;       /* kind hash -> index + 1 */
    uint64_t last_key, last_kind;   /* the previous event's kind */
    bool oom;                /* an allocation failed while mapping the event */
    ps_event_kind *kinds;
    size_t nkinds, kindcap;
    uint64_t undecoded;

    ps_event ev;
    ps_process_rec pr;
    ps_module mod;
    ps_proc_attrs child;
    ps_frame *frames;
    size_t framecap;
};

static void strmap_clear(ps_map *m)
{
    size_t i;
    for (i = 0; i < m->cap; i++)
        if (m->used && m->used[i])
            free((void *)(uintptr_t)m->vals[i]);
    ps_map_clear(m);
}

static int strmap_put(ps_map *m, uint64_t key, const char *s)
{
    uint64_t old;
    char *copy;

    if (ps_map_get(m, key, &old)) {
        free((void *)(uintptr_t)old);
        ps_map_del(m, key);
    } else if (m->count >= MAP_LIMIT) {
        strmap_clear(m);
    }
    copy = ps_strdup(s);
    if (!copy)
        return PS_ERR_NOMEM;
    if (ps_map_put(m, key, (uint64_t)(uintptr_t)copy) < 0) {
        free(copy);
        return PS_ERR_NOMEM;
    }
    return 0;
}

static const char *strmap_get(const ps_map *m, uint64_t key)
{
    uint64_t v;
    return ps_map_get(m, key, &v) ? (const char *)(uintptr_t)v : NULL;
}

static void strmap_del(ps_map *m, uint64_t key)
{
    uint64_t v;
    if (ps_map_get(m, key, &v)) {
        free((void *)(uintptr_t)v);
        ps_map_del(m, key);
    }
}

int ps_etw_state_new(const ps_etw_state_opts *o, ps_etw_state **out, ps_error *err)
{
    ps_etw_state *st = calloc(1, sizeof *st);

    *out = NULL;
    if (!st)
        return ps_error_nomem(err);
    if (o)
        st->opts = *o;
    if (st->opts.log_pointer_size != 4)
        st->opts.log_pointer_size = 8;
    ps_arena_init(&st->arena, 16384);
    ps_buf_init(&st->tmp);
    ps_buf_init(&st->tmp2);
    ps_map_init(&st->tid_pid);
    ps_map_init(&st->kcb);
    ps_map_init(&st->keyobj);
    ps_map_init(&st->kind_index);
    *out = st;
    return 0;
}

void ps_etw_state_free(ps_etw_state *st)
{
    size_t i;

    if (!st)
        return;
    strmap_clear(&st->kcb);
    strmap_clear(&st->keyobj);
    ps_map_release(&st->kcb);
    ps_map_release(&st->keyobj);
    ps_map_release(&st->tid_pid);
    ps_map_release(&st->kind_index);
    for (i = 0; i < st->nkinds; i++) {
        free((char *)st->kinds[i].provider);
        free((char *)st->kinds[i].operation);
    }
    free(st->kinds);
    free(st->frames);
    ps_buf_release(&st->tmp);
    ps_buf_release(&st->tmp2);
    ps_arena_release(&st->arena);
    free(st);
}

const ps_event_kind *ps_etw_kinds(const ps_etw_state *st, size_t *n)
{
    *n = st->nkinds;
    return st->kinds;
}

uint64_t ps_etw_undecoded(const ps_etw_state *st)
{
    return st->undecoded;
}

/* ---- kinds --------------------------------------------------------------------- */

static const char *const group_names[] = {
    "EventTrace", "DiskIo", "PageFault", "Process", "FileIo", "Thread", "TcpIp", "Job", "UdpIp",
    "Registry", "DbgPrint", "SystemConfig", "Spare", "Wnf", "Pool", "PerfInfo", "Heap", "Object",
    "Power", "Modbound", "Image", "Dpc", "CcCache", "CritSec", "StackWalk", "Ums", "ALPC", "SplitIo",
    "ThreadPool", "Hypervisor", "HypervisorX"};

static uint64_t kind_key(const ps_etw_kevent *k)
{
    uint64_t h = ps_hash_mix((uint64_t)k->prov + 1, (uint64_t)k->group << 32 | k->opcode);
    h = ps_hash_mix(h, k->id);
    if (k->prov == PS_ETW_OTHER) {
        if (k->has_guid)
            h = ps_hash_bytes(k->guid, 16, h);
        else if (k->provider_name)
            h = ps_hash_bytes(k->provider_name, strlen(k->provider_name), h);
    }
    return h;
}

static const char *provider_of(const ps_etw_kevent *k, char *buf, size_t cap)
{
    const guid_name *g = k->has_guid ? guid_lookup(k->guid) : NULL;

    switch (k->prov) {
    case PS_ETW_CLASSIC: return "MSNT_SystemTrace";
    case PS_ETW_KERNEL_PROCESS: return "Microsoft-Windows-Kernel-Process";
    case PS_ETW_KERNEL_REGISTRY: return "Microsoft-Windows-Kernel-Registry";
    case PS_ETW_KERNEL_FILE: return "Microsoft-Windows-Kernel-File";
    case PS_ETW_OTHER: break;
    }
    if (g)
        return g->name;
    if (k->provider_name && *k->provider_name)
        return k->provider_name;
    if (k->has_guid) {
        ps_etw_guid_format(k->guid, buf);
        return buf;
    }
    snprintf(buf, cap, "unknown provider");
    return buf;
}

/* Counts the event's kind; sets *op_name to the kind's operation for
 * undecoded events. */
static int count_kind(ps_etw_state *st, const ps_etw_kevent *k, const char *operation, bool decoded,
                      const ps_event_kind **kind, ps_error *err)
{
    uint64_t key = kind_key(k), v;
    ps_event_kind *e;

    if (key == st->last_key && st->last_kind) {
        v = st->last_kind;
    } else if (!ps_map_get(&st->kind_index, key, &v)) {
        char pbuf[64], obuf[96];
        const char *prov = provider_of(k, pbuf, sizeof pbuf);
        if (!operation) {
            if (k->prov == PS_ETW_CLASSIC)
                snprintf(obuf, sizeof obuf, "%s/opcode %u",
                         k->group < PS_ARRAY_LEN(group_names) ? group_names[k->group] : "group", k->opcode);
            else if (k->has_id)
                snprintf(obuf, sizeof obuf, "event %u (opcode %u)", k->id, k->opcode);
            else
                snprintf(obuf, sizeof obuf, "opcode %u", k->opcode);
            if (k->prov == PS_ETW_CLASSIC && k->group >= PS_ARRAY_LEN(group_names))
                snprintf(obuf, sizeof obuf, "group 0x%02X/opcode %u", k->group, k->opcode);
            operation = obuf;
        }
        if (st->nkinds == st->kindcap) {
            size_t nc = st->kindcap ? st->kindcap * 2 : 64;
            ps_event_kind *nk = realloc(st->kinds, nc * sizeof *nk);
            if (!nk)
                return ps_error_nomem(err);
            st->kinds = nk;
            st->kindcap = nc;
        }
        e = &st->kinds[st->nkinds];
        e->provider = ps_strdup(prov);
        e->operation = ps_strdup(operation);
        e->decoded = decoded;
        e->count = 0;
        if (!e->provider || !e->operation) {
            free((char *)e->provider);
            free((char *)e->operation);
            return ps_error_nomem(err);
        }
        st->nkinds++;
        v = st->nkinds;
        if (ps_map_put(&st->kind_index, key, v) < 0)
            return ps_error_nomem(err);
    }
    st->last_key = key;
    st->last_kind = v;
    e = &st->kinds[v - 1];
    e->count++;
    if (kind)
        *kind = e;
    return 0;
}

int ps_etw_count(ps_etw_state *st, const char *provider, const char *operation, bool decoded, ps_error *err)
{
    ps_etw_kevent k;

    ps_etw_kevent_reset(&k);
    k.provider_name = provider;
    k.id = (unsigned)ps_hash_bytes(operation, strlen(operation), 7);
    return count_kind(st, &k, operation, decoded, NULL, err);
}

/* ---- mapping helpers ----------------------------------------------------------------- */

/* Copies into the per-event arena; a failure is remembered (st->oom) and
 * makes ps_etw_map fail rather than lose the text. */
static char *st_ndup(ps_etw_state *st, const char *s, size_t n)
{
    char *d = ps_arena_strndup(&st->arena, s, n);
    if (!d)
        st->oom = true;
    return d;
}

static char *st_dup(ps_etw_state *st, const char *s)
{
    return st_ndup(st, s, strlen(s));
}

static void b_puts(ps_etw_state *st, ps_buf *b, const char *s)
{
    if (ps_buf_puts(b, s) < 0)
        st->oom = true;
}

static void b_putc(ps_etw_state *st, ps_buf *b, char c)
{
    if (ps_buf_putc(b, c) < 0)
        st->oom = true;
}

static char *arena_printf(ps_etw_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *arena_printf(ps_etw_state *st, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    return st_ndup(st, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A small text builder for event details (printf is slow in the hot path). */
typedef struct dtext {
    char b[512];
    size_t n;
} dtext;

static void d_s(dtext *d, const char *s)
{
    while (s && *s && d->n < sizeof d->b - 1)
        d->b[d->n++] = *s++;
}

static void d_u(dtext *d, uint64_t v, unsigned base)
{
    char t[24];
    int i = 0;
    do {
        t[i++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    while (i && d->n < sizeof d->b - 1)
        d->b[d->n++] = t[--i];
}

static char *d_done(ps_etw_state *st, dtext *d)
{
    return st_ndup(st, d->b, d->n);
}

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* The event's own process and thread: the header's, else the payload's. */
static void set_ids(ps_event *ev, const ps_etw_kevent *k)
{
    if (k->has_pid && k->pid != NO_PID)
        ev->pid = k->pid;
    else if (k->have & PS_ETW_F_PID)
        ev->pid = k->process_id;
    else
        ev->pid = NO_PID;
    ev->has_tid = k->has_tid && k->tid != NO_PID;
    ev->tid = ev->has_tid ? k->tid : 0;
}

static int frames_from(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev)
{
    uint32_t i;
    uint64_t kernel_lo = k->pointer_size == 4 ? 0x80000000ull : 0xFFFF800000000000ull;

    if (!k->nstack || st->opts.no_stacks)
        return 0;
    if (st->framecap < k->nstack) {
        ps_frame *nf = realloc(st->frames, k->nstack * sizeof *nf);
        if (!nf)
            return PS_ERR_NOMEM;
        st->frames = nf;
        st->framecap = k->nstack;
    }
    for (i = 0; i < k->nstack; i++) {
        ps_frame *f = &st->frames[i];
        memset(f, 0, sizeof *f);
        f->address = k->stack[i];
        f->kernel = f->address >= kernel_lo;
    }
    ev->frames = st->frames;
    ev->nframes = k->nstack;
    return 0;
}

static const char *result_of(ps_etw_state *st, const ps_etw_kevent *k)
{
    char buf[16];
    const char *t;
    if (!(k->have & PS_ETW_F_STATUS))
        return "";
    t = ps_etw_status_text(k->status, buf, sizeof buf);
    return t == buf ? st_dup(st, buf) : t;
}

/* Renders a registry value's data for reg_data. */
static const char *render_reg_data(ps_etw_state *st, uint32_t type, const uint8_t *d, size_t n)
{
    size_t i;

    if (!d || !n)
        return NULL;
    switch (type) {
    case 1: case 2: case 6: case 7:   /* strings */
        if (ps_utf16le_to_utf8(d, n / 2, false, &st->tmp) < 0) {
            st->oom = true;
            return NULL;
        }
        /* REG_MULTI_SZ: NULs between the strings become ", "; a final NUL ends it */
        ps_buf_reset(&st->tmp2);
        for (i = 0; i < st->tmp.len; i++) {
            if (st->tmp.data[i] != '\0') {
                b_putc(st, &st->tmp2, st->tmp.data[i]);
                continue;
            }
            if (type != 7 || i + 1 >= st->tmp.len || st->tmp.data[i + 1] == '\0')
                break;
            b_puts(st, &st->tmp2, ", ");
        }
        return st_dup(st, ps_buf_cstr(&st->tmp2));
    case 4:
        if (n >= 4)
            return arena_printf(st, "%u", (unsigned)(d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24));
        break;
    case 11:
        if (n >= 8) {
            uint64_t v = 0;
            for (i = 8; i-- > 0;)
                v = v << 8 | d[i];
            return arena_printf(st, "%llu", (unsigned long long)v);
        }
        break;
    default:
        break;
    }
    ps_buf_reset(&st->tmp2);
    for (i = 0; i < n && i < 64; i++)
        if (ps_buf_printf(&st->tmp2, "%s%02X", i ? " " : "", d[i]) < 0)
            st->oom = true;
    return st_dup(st, ps_buf_cstr(&st->tmp2));
}

/* key path + "\" + name, normalised */
static const char *join_reg(ps_etw_state *st, const char *key, const char *name)
{
    ps_buf *b = &st->tmp;

    ps_buf_reset(b);
    if (key && *key)
        b_puts(st, b, key);
    if (name && *name) {
        if (b->len && b->data[b->len - 1] != '\\' && name[0] != '\\')
            b_putc(st, b, '\\');
        b_puts(st, b, name);
    }
    if (st->oom || ps_etw_registry_path(b->data ? b->data : "", b->len, &st->tmp2) < 0)
        return NULL;
    return st_dup(st, ps_buf_cstr(&st->tmp2));
}

static bool absolute_reg(const char *name)
{
    return name && ps_starts_with_ci(name, "\\REGISTRY\\");
}

/* ---- process, thread, image ---------------------------------------------------------- */

static void child_attrs(ps_etw_state *st, const ps_etw_kevent *k, ps_proc_attrs *a)
{
    memset(a, 0, sizeof *a);
    a->session = -1;
    a->image_path = k->image_name;
    a->command_line = k->command_line;
    a->user = k->user_sid;
    if (k->have & PS_ETW_F_PARENT) {
        a->has_parent_pid = true;
        a->parent_pid = k->parent_id;
    }
    if (k->have & PS_ETW_F_SESSION)
        a->session = (int32_t)k->session_id;
    if ((k->have & PS_ETW_F_FLAGS) && (k->flags & 2))
        a->architecture = "32-bit (WOW64)";
    else if (st->opts.log_pointer_size == 8)
        a->architecture = "64-bit";
    else
        a->architecture = "32-bit";
}

static int map_process_start(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev, const char *op)
{
    if (!(k->have & PS_ETW_F_PID))
        return -100;   /* a field it needs is missing: kept undecoded */
    ev->cls = PS_CLASS_PROCESS;
    ev->op = PS_OP_PROCESS_CREATE;
    ev->operation = op;
    if (k->has_pid && k->pid != NO_PID) {
        ev->pid = k->pid;
        ev->has_tid = k->has_tid && k->tid != NO_PID;
        ev->tid = ev->has_tid ? k->tid : 0;
    } else {
        /* no header ids: the creator is not known, the recorded parent stands in */
        ev->pid = (k->have & PS_ETW_F_PARENT) ? k->parent_id : NO_PID;
        ev->has_tid = false;
    }
    ev->has_child_pid = true;
    ev->child_pid = k->process_id;
    if (k->have & PS_ETW_F_PARENT) {
        ev->has_parent_pid = true;
        ev->parent_pid = k->parent_id;
    }
    ev->path = str_or_empty(k->image_name);
    ev->command_line = k->command_line;
    ev->result = "SUCCESS";
    child_attrs(st, k, &st->child);
    ev->child = &st->child;
    {
        dtext d = {.n = 0};
        d_s(&d, "PID: ");
        d_u(&d, k->process_id, 10);
        d_s(&d, ", Parent PID: ");
        d_u(&d, k->parent_id, 10);
        if (k->command_line) {
            d_s(&d, ", Command line: ");
            d_s(&d, k->command_line);
        }
        ev->detail = d_done(st, &d);
    }
    return 1;
}

static int map_process_exit(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev, const char *op)
{
    if (!(k->have & PS_ETW_F_PID))
        return -100;   /* a field it needs is missing: kept undecoded */
    ev->cls = PS_CLASS_PROCESS;
    ev->op = PS_OP_PROCESS_EXIT;
    ev->operation = op;
    ev->pid = k->process_id;
    ev->path = str_or_empty(k->image_name);
    ev->result = "SUCCESS";
    if (k->have & PS_ETW_F_EXIT) {
        ev->has_exit_status = true;
        ev->exit_status = (int32_t)k->exit_status;
        ev->detail = arena_printf(st, "Exit Status: %d", (int)(int32_t)k->exit_status);
    }
    return 1;
}

static int map_rundown(ps_etw_state *st, const ps_etw_kevent *k, ps_record *rec)
{
    ps_process_rec *p = &st->pr;

    if (!(k->have & PS_ETW_F_PID))
        return -100;   /* a field it needs is missing: kept undecoded */
    memset(p, 0, sizeof *p);
    p->proc_index = -1;
    p->parent_index = -1;
    p->pid = k->process_id;
    p->parent_pid = (k->have & PS_ETW_F_PARENT) ? k->parent_id : 0;
    p->session = (k->have & PS_ETW_F_SESSION) ? (int32_t)k->session_id : -1;
    p->virtualized = -1;
    p->is64 = (k->have & PS_ETW_F_FLAGS) ? !(k->flags & 2) && st->opts.log_pointer_size == 8 : -1;
    if (k->have & PS_ETW_F_CREATE_TIME)
        p->start_ts = k->create_time;
    p->process_name = k->image_name ? ps_path_basename(k->image_name) : NULL;
    if (k->image_name && strchr(k->image_name, '\\'))
        p->image_path = k->image_name;
    p->command_line = k->command_line && *k->command_line ? k->command_line : NULL;
    p->user = k->user_sid;
    rec->type = PS_REC_PROCESS;
    rec->process = p;
    return 1;
}

static int map_image_rundown(ps_etw_state *st, const ps_etw_kevent *k, ps_record *rec)
{
    ps_process_rec *p = &st->pr;

    if (!(k->have & PS_ETW_F_PID) || !k->file_name)
        return -100;   /* a field it needs is missing: kept undecoded */
    memset(p, 0, sizeof *p);
    p->proc_index = -1;
    p->parent_index = -1;
    p->pid = k->process_id;
    p->session = -1;
    p->is64 = -1;
    p->virtualized = -1;
    memset(&st->mod, 0, sizeof st->mod);
    st->mod.base = k->image_base;
    st->mod.size = k->image_size;
    st->mod.path = k->file_name;
    p->modules = &st->mod;
    p->nmodules = 1;
    rec->type = PS_REC_PROCESS;
    rec->process = p;
    return 1;
}

static int map_thread(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev, ps_op op, const char *name)
{
    if (!(k->have & PS_ETW_F_PID) || !(k->have & PS_ETW_F_TID))
        return -100;   /* a field it needs is missing: kept undecoded */
    if (op == PS_OP_THREAD_EXIT)
        ps_map_del(&st->tid_pid, k->thread_id);
    else if (ps_map_put(&st->tid_pid, k->thread_id, (uint64_t)k->process_id + 1) < 0)
        return PS_ERR_NOMEM;
    ev->cls = PS_CLASS_PROCESS;
    ev->op = op;
    ev->operation = name;
    ev->pid = k->process_id;
    if (op == PS_OP_OTHER) {
        /* rundown: the thread itself */
        ev->has_tid = true;
        ev->tid = k->thread_id;
    } else {
        /* logged by the creating (or exiting) thread */
        ev->has_tid = k->has_tid && k->tid != NO_PID;
        ev->tid = ev->has_tid ? k->tid : k->thread_id;
        if (!ev->has_tid && op == PS_OP_THREAD_EXIT) {
            ev->has_tid = true;
            ev->tid = k->thread_id;
        }
        ev->has_new_tid = true;
        ev->new_tid = k->thread_id;
    }
    ev->result = "SUCCESS";
    {
        dtext d = {.n = 0};
        d_s(&d, "Thread ID: ");
        d_u(&d, k->thread_id, 10);
        ev->detail = d_done(st, &d);
    }
    return 1;
}

static int map_image(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev, ps_op op, const char *name)
{
    if (!k->file_name)
        return -100;   /* a field it needs is missing: kept undecoded */
    ev->cls = PS_CLASS_PROCESS;
    ev->op = op;
    ev->operation = name;
    set_ids(ev, k);
    if (k->have & PS_ETW_F_PID) {
        if (ev->pid != k->process_id)
            ev->has_tid = false;   /* mapped by another process: the thread is not the owner's */
        ev->pid = k->process_id;
    }
    ev->path = k->file_name;
    ev->image_base = k->image_base;
    ev->image_size = k->image_size;
    ev->result = "SUCCESS";
    {
        dtext d = {.n = 0};
        d_s(&d, "Image Base: 0x");
        d_u(&d, k->image_base, 16);
        d_s(&d, ", Image Size: 0x");
        d_u(&d, k->image_size, 16);
        ev->detail = d_done(st, &d);
    }
    return 1;
}

/* ---- files, registry, ALPC -------------------------------------------------------------- */

static void attribute_thread(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev)
{
    uint64_t v;

    set_ids(ev, k);
    if (!(k->have & PS_ETW_F_TID))
        return;
    ev->has_tid = true;
    ev->tid = k->thread_id;
    if (ps_map_get(&st->tid_pid, k->thread_id, &v))
        ev->pid = (uint32_t)(v - 1);
    else if (!(k->has_pid && k->has_tid && k->tid == k->thread_id))
        ev->pid = NO_PID;
}

static int map_file(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev, ps_op op, const char *name)
{
    if (!k->file_name)
        return -100;   /* a field it needs is missing: kept undecoded */
    ev->cls = PS_CLASS_FILE;
    ev->op = op;
    ev->operation = name;
    attribute_thread(st, k, ev);
    ev->path = k->file_name;
    ev->result = result_of(st, k);
    if (op == PS_OP_FILE_CREATE && (k->have & PS_ETW_F_OPTIONS)) {
        dtext d = {.n = 0};
        d_s(&d, "Disposition: ");
        d_u(&d, k->create_options >> 24, 10);
        d_s(&d, ", Options: 0x");
        d_u(&d, k->create_options & 0xFFFFFF, 16);
        ev->detail = d_done(st, &d);
    }
    return 1;
}

static ps_op classic_reg_op(unsigned opcode, const char **name)
{
    static const struct {
        unsigned opcode;
        ps_op op;
        const char *name;
    } ops[] = {
        {10, PS_OP_REG_CREATE_KEY, "Registry/Create"},
        {11, PS_OP_REG_OPEN_KEY, "Registry/Open"},
        {12, PS_OP_REG_DELETE_KEY, "Registry/Delete"},
        {13, PS_OP_REG_QUERY_KEY, "Registry/Query"},
        {14, PS_OP_REG_SET_VALUE, "Registry/SetValue"},
        {15, PS_OP_REG_DELETE_VALUE, "Registry/DeleteValue"},
        {16, PS_OP_REG_QUERY_VALUE, "Registry/QueryValue"},
        {17, PS_OP_REG_OTHER, "Registry/EnumerateKey"},
        {18, PS_OP_REG_OTHER, "Registry/EnumerateValueKey"},
        {19, PS_OP_REG_OTHER, "Registry/QueryMultipleValue"},
        {20, PS_OP_REG_OTHER, "Registry/SetInformation"},
        {21, PS_OP_REG_OTHER, "Registry/Flush"},
        {26, PS_OP_REG_OTHER, "Registry/Virtualize"},
        {27, PS_OP_REG_OTHER, "Registry/Close"},
        {28, PS_OP_REG_OTHER, "Registry/SetSecurity"},
        {29, PS_OP_REG_OTHER, "Registry/QuerySecurity"},
    };
    size_t i;

    for (i = 0; i < PS_ARRAY_LEN(ops); i++)
        if (ops[i].opcode == opcode) {
            *name = ops[i].name;
            return ops[i].op;
        }
    *name = NULL;
    return PS_OP__COUNT;
}

static void registry_event(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev, ps_op op, const char *name,
                           const char *path)
{
    ev->cls = PS_CLASS_REGISTRY;
    ev->op = op;
    ev->operation = name;
    set_ids(ev, k);
    ev->path = path ? path : "";
    ev->result = result_of(st, k);
}

static int map_classic_registry(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev, const char **opname)
{
    const char *name, *base, *path;
    ps_op op;

    if (k->opcode >= 22 && k->opcode <= 25) {
        /* KCB create, delete, rundown: names of key control blocks */
        *opname = k->opcode == 22 ? "Registry/KCBCreate" : k->opcode == 23 ? "Registry/KCBDelete"
                  : k->opcode == 24 ? "Registry/KCBRundownBegin" : "Registry/KCBRundownEnd";
        if (!(k->have & PS_ETW_F_KEY))
            return 0;
        if (k->opcode == 23) {
            strmap_del(&st->kcb, k->key_handle);
            return 0;
        }
        if (k->key_name && ps_etw_registry_path(k->key_name, strlen(k->key_name), &st->tmp) == 0 &&
            strmap_put(&st->kcb, k->key_handle, ps_buf_cstr(&st->tmp)) < 0)
            return PS_ERR_NOMEM;
        return 0;
    }
    op = classic_reg_op(k->opcode, &name);
    *opname = name;
    if (!name)
        return 0;
    /* KeyName is relative to the KCB in KeyHandle (or absolute when it is 0) */
    base = (k->have & PS_ETW_F_KEY) && k->key_handle && !absolute_reg(k->key_name)
               ? strmap_get(&st->kcb, k->key_handle)
               : NULL;
    path = join_reg(st, base, k->key_name);
    if (!path)
        return PS_ERR_NOMEM;
    registry_event(st, k, ev, op, name, path);
    return 1;
}

static int map_kernel_registry(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev, const char **opname)
{
    static const struct {
        unsigned id;
        ps_op op;
        const char *name;
    } ops[] = {
        {1, PS_OP_REG_CREATE_KEY, "CreateKey"},      {2, PS_OP_REG_OPEN_KEY, "OpenKey"},
        {3, PS_OP_REG_DELETE_KEY, "DeleteKey"},      {4, PS_OP_REG_QUERY_KEY, "QueryKey"},
        {5, PS_OP_REG_SET_VALUE, "SetValueKey"},     {6, PS_OP_REG_DELETE_VALUE, "DeleteValueKey"},
        {7, PS_OP_REG_QUERY_VALUE, "QueryValueKey"}, {8, PS_OP_REG_OTHER, "EnumerateKey"},
        {9, PS_OP_REG_OTHER, "EnumerateValueKey"},   {10, PS_OP_REG_OTHER, "QueryMultipleValueKey"},
        {11, PS_OP_REG_OTHER, "SetInformationKey"},  {12, PS_OP_REG_OTHER, "FlushKey"},
        {13, PS_OP_REG_OTHER, "CloseKey"},           {14, PS_OP_REG_OTHER, "QuerySecurityKey"},
        {15, PS_OP_REG_OTHER, "SetSecurityKey"},
    };
    const char *path, *key;
    size_t i;

    for (i = 0; i < PS_ARRAY_LEN(ops); i++)
        if (ops[i].id == k->id)
            break;
    if (i == PS_ARRAY_LEN(ops)) {
        *opname = NULL;
        return 0;
    }
    *opname = ops[i].name;
    if (k->id == 1 || k->id == 2) {
        /* BaseName (the key the name is relative to) + RelativeName */
        const char *base = k->base_name;
        if ((!base || !*base) && (k->have & PS_ETW_F_BASE_OBJECT) && k->base_object)
            base = strmap_get(&st->keyobj, k->base_object);
        if (absolute_reg(k->relative_name))
            base = NULL;
        path = join_reg(st, base, k->relative_name);
        if (path && (k->have & PS_ETW_F_KEY) && k->key_handle && (!(k->have & PS_ETW_F_STATUS) || !k->status) &&
            strmap_put(&st->keyobj, k->key_handle, path) < 0)
            return PS_ERR_NOMEM;
    } else {
        key = k->key_name;
        if ((!key || !*key) && (k->have & PS_ETW_F_KEY))
            key = strmap_get(&st->keyobj, k->key_handle);
        path = join_reg(st, key, k->value_name);
        if (k->id == 13 && (k->have & PS_ETW_F_KEY))
            strmap_del(&st->keyobj, k->key_handle);
    }
    if (!path)
        return PS_ERR_NOMEM;
    registry_event(st, k, ev, ops[i].op, ops[i].name, path);
    if (k->have & PS_ETW_F_REG_TYPE) {
        ev->reg_type = reg_type_name(k->reg_type);
        ev->reg_data = render_reg_data(st, k->reg_type, k->data, k->data_len);
    } else if (k->id == 7 && k->data && (k->have & PS_ETW_F_INFO_CLASS)) {
        /* KEY_VALUE_PARTIAL_INFORMATION {TitleIndex, Type, DataLength, Data}
         * or KEY_VALUE_FULL_INFORMATION {TitleIndex, Type, DataOffset,
         * DataLength, NameLength, Name}: the captured query result */
        const uint8_t *d = k->data;
        size_t n = k->data_len;
        if (k->info_class == 2 && n >= 12) {
            uint32_t type = d[4] | d[5] << 8 | d[6] << 16 | (uint32_t)d[7] << 24;
            uint32_t len = d[8] | d[9] << 8 | d[10] << 16 | (uint32_t)d[11] << 24;
            ev->reg_type = reg_type_name(type);
            ev->reg_data = render_reg_data(st, type, d + 12, len < n - 12 ? len : n - 12);
        } else if (k->info_class == 1 && n >= 20) {
            uint32_t type = d[4] | d[5] << 8 | d[6] << 16 | (uint32_t)d[7] << 24;
            uint32_t off = d[8] | d[9] << 8 | d[10] << 16 | (uint32_t)d[11] << 24;
            uint32_t len = d[12] | d[13] << 8 | d[14] << 16 | (uint32_t)d[15] << 24;
            ev->reg_type = reg_type_name(type);
            if (off < n)
                ev->reg_data = render_reg_data(st, type, d + off, len < n - off ? len : n - off);
        }
    }
    if (ev->reg_type)
        ev->detail = arena_printf(st, "Type: %s%s%s", ev->reg_type, ev->reg_data ? ", Data: " : "",
                                  str_or_empty(ev->reg_data));
    return 1;
}

static int map_alpc(ps_etw_state *st, const ps_etw_kevent *k, ps_event *ev, const char **opname)
{
    static const char *const names[] = {"ALPC/Send-Message", "ALPC/Receive-Message", "ALPC/Wait-For-Reply",
                                        "ALPC/Wait-For-New-Message", "ALPC/Unwait"};
    if (k->opcode < 33 || k->opcode > 37) {
        *opname = NULL;
        return 0;
    }
    *opname = names[k->opcode - 33];
    ev->cls = PS_CLASS_OTHER;
    ev->op = PS_OP_OTHER;
    ev->operation = *opname;
    set_ids(ev, k);
    if ((k->opcode == 33 || k->opcode == 34) && (k->have & PS_ETW_F_MESSAGE)) {
        dtext d = {.n = 0};
        ev->ipc = k->opcode == 33 ? PS_IPC_SEND : PS_IPC_RECEIVE;
        ev->ipc_message = k->message_id;
        d_s(&d, "MessageID: ");
        d_u(&d, k->message_id, 10);
        ev->detail = d_done(st, &d);
    }
    return 1;
}

/* ---- dispatch --------------------------------------------------------------------------- */

/* Returns 1 (event in st->ev), 2 (process record in *rec), 0 (no record);
 * *opname: the decoded kind's operation or NULL (undecoded). */
static int map_classic(ps_etw_state *st, const ps_etw_kevent *k, ps_record *rec, const char **opname)
{
    ps_event *ev = &st->ev;
    int r;

    *opname = NULL;
    switch (k->group) {
    case PS_ETW_G_EVENTTRACE:
        if (k->opcode == 0) {
            *opname = "EventTrace/Header";
            return 0;
        }
        return -100;
    case PS_ETW_G_PROCESS:
        switch (k->opcode) {
        case 1:
            *opname = "Process/Start";
            return map_process_start(st, k, ev, *opname);
        case 2:
            *opname = "Process/End";
            return map_process_exit(st, k, ev, *opname);
        case 3: case 4:
            *opname = k->opcode == 3 ? "Process/DCStart" : "Process/DCEnd";
            return (r = map_rundown(st, k, rec)) == 1 ? 2 : r;
        case 10:
            *opname = "Image/Load";
            return map_image(st, k, ev, PS_OP_LOAD_IMAGE, *opname);
        case 11: case 39:
            if (!(k->have & PS_ETW_F_PID))
                return -100;
            *opname = k->opcode == 11 ? "Process/Terminate" : "Process/Defunct";
            ev->cls = PS_CLASS_PROCESS;
            ev->operation = *opname;
            ev->pid = k->process_id;
            ev->path = str_or_empty(k->image_name);
            ev->has_tid = false;
            return 1;
        }
        return -100;
    case PS_ETW_G_THREAD:
        switch (k->opcode) {
        case 1: *opname = "Thread/Start"; return map_thread(st, k, ev, PS_OP_THREAD_CREATE, *opname);
        case 2: *opname = "Thread/End"; return map_thread(st, k, ev, PS_OP_THREAD_EXIT, *opname);
        case 3: *opname = "Thread/DCStart"; return map_thread(st, k, ev, PS_OP_OTHER, *opname);
        case 4: *opname = "Thread/DCEnd"; return map_thread(st, k, ev, PS_OP_OTHER, *opname);
        }
        return -100;
    case PS_ETW_G_IMAGE:
        switch (k->opcode) {
        case 10: *opname = "Image/Load"; return map_image(st, k, ev, PS_OP_LOAD_IMAGE, *opname);
        case 2: *opname = "Image/Unload"; return map_image(st, k, ev, PS_OP_OTHER, *opname);
        case 3:
            *opname = "Image/DCStart";
            return (r = map_image_rundown(st, k, rec)) == 1 ? 2 : r;
        case 4:
            /* the modules again at the end: counted only (the loads are events) */
            *opname = "Image/DCEnd";
            return 0;
        }
        return -100;
    case PS_ETW_G_FILEIO:
        switch (k->opcode) {
        case 64: *opname = "FileIo/Create"; return map_file(st, k, ev, PS_OP_FILE_CREATE, *opname);
        case 0: *opname = "FileIo/Name"; return map_file(st, k, ev, PS_OP_FILE_OTHER, *opname);
        case 32: *opname = "FileIo/FileCreate"; return map_file(st, k, ev, PS_OP_FILE_OTHER, *opname);
        case 35: *opname = "FileIo/FileDelete"; return map_file(st, k, ev, PS_OP_FILE_OTHER, *opname);
        case 36: *opname = "FileIo/FileRundown"; return map_file(st, k, ev, PS_OP_FILE_OTHER, *opname);
        }
        return -100;
    case PS_ETW_G_REGISTRY:
        r = map_classic_registry(st, k, ev, opname);
        return *opname ? r : -100;
    case PS_ETW_G_ALPC:
        r = map_alpc(st, k, ev, opname);
        return *opname ? r : -100;
    case PS_ETW_G_STACKWALK:
        if (k->opcode != 32 || !k->nstack)
            return -100;
        /* a stack walk the reader could not join to its event */
        *opname = "StackWalk/Stack";
        ev->cls = PS_CLASS_OTHER;
        ev->operation = *opname;
        ev->pid = (k->have & PS_ETW_F_PID) ? k->process_id : NO_PID;
        ev->has_tid = (k->have & PS_ETW_F_TID) != 0;
        ev->tid = k->thread_id;
        return 1;
    }
    return -100;
}

static int map_manifest(ps_etw_state *st, const ps_etw_kevent *k, ps_record *rec, const char **opname)
{
    ps_event *ev = &st->ev;
    int r;

    *opname = NULL;
    if (k->prov == PS_ETW_KERNEL_PROCESS) {
        switch (k->id) {
        case 1: *opname = "ProcessStart"; return map_process_start(st, k, ev, *opname);
        case 2: *opname = "ProcessStop"; return map_process_exit(st, k, ev, *opname);
        case 3: *opname = "ThreadStart"; return map_thread(st, k, ev, PS_OP_THREAD_CREATE, *opname);
        case 4: *opname = "ThreadStop"; return map_thread(st, k, ev, PS_OP_THREAD_EXIT, *opname);
        case 5:
            *opname = "ImageLoad";
            if (!k->file_name && k->image_name) {
                ps_etw_kevent c = *k;
                c.file_name = k->image_name;
                return map_image(st, &c, ev, PS_OP_LOAD_IMAGE, *opname);
            }
            return map_image(st, k, ev, PS_OP_LOAD_IMAGE, *opname);
        case 6:
            *opname = "ImageUnload";
            if (!k->file_name && k->image_name) {
                ps_etw_kevent c = *k;
                c.file_name = k->image_name;
                return map_image(st, &c, ev, PS_OP_OTHER, *opname);
            }
            return map_image(st, k, ev, PS_OP_OTHER, *opname);
        case 15: *opname = "ProcessRundown"; return (r = map_rundown(st, k, rec)) == 1 ? 2 : r;
        }
        return -100;
    }
    if (k->prov == PS_ETW_KERNEL_REGISTRY) {
        r = map_kernel_registry(st, k, ev, opname);
        return *opname ? r : -100;
    }
    if (k->prov == PS_ETW_KERNEL_FILE) {
        switch (k->id) {
        case 12: *opname = "Create"; return map_file(st, k, ev, PS_OP_FILE_CREATE, *opname);
        case 30: *opname = "CreateNewFile"; return map_file(st, k, ev, PS_OP_FILE_CREATE, *opname);
        case 10: *opname = "NameCreate"; return map_file(st, k, ev, PS_OP_FILE_OTHER, *opname);
        case 11: *opname = "NameDelete"; return map_file(st, k, ev, PS_OP_FILE_OTHER, *opname);
        }
        return -100;
    }
    if (k->has_guid) {
        /* KernelTraceControl's image identity events, logged with every
         * image load (named, not decoded further) */
        const guid_name *g = guid_lookup(k->guid);
        if (g && strcmp(g->name, "KernelTraceControl") == 0) {
            switch (k->opcode) {
            case 0: *opname = "Image/ImageID"; break;
            case 36: *opname = "Image/DbgID_RSDS"; break;
            case 64: *opname = "Image/FileVersion"; break;
            }
        }
    }
    return -100;
}

int ps_etw_map(ps_etw_state *st, const ps_etw_kevent *k, ps_record *rec, ps_error *err)
{
    ps_event *ev = &st->ev;
    const char *opname = NULL;
    const ps_event_kind *kind = NULL;
    int r;

    ps_arena_reset(&st->arena);
    ps_event_init(ev);
    ev->ts = k->ts;
    memset(rec, 0, sizeof *rec);

    /* learn which process a thread belongs to from headers that carry both */
    if (k->has_pid && k->has_tid && k->pid != NO_PID && k->tid != NO_PID && k->tid) {
        uint64_t v;
        if (!ps_map_get(&st->tid_pid, k->tid, &v) || v != (uint64_t)k->pid + 1) {
            if (st->tid_pid.count >= MAP_LIMIT)
                ps_map_clear(&st->tid_pid);
            if (ps_map_put(&st->tid_pid, k->tid, (uint64_t)k->pid + 1) < 0)
                return ps_error_nomem(err);
        }
    }

    st->oom = false;
    r = k->prov == PS_ETW_CLASSIC ? map_classic(st, k, rec, &opname) : map_manifest(st, k, rec, &opname);
    if (r == PS_ERR_NOMEM || st->oom)
        return ps_error_nomem(err);
    if (r == 0 && opname) {
        /* decoded into the state only (or a field it needs is missing) */
        return count_kind(st, k, opname, true, NULL, err) < 0 ? PS_ERR_NOMEM : 0;
    }
    if (r == 2)
        return count_kind(st, k, opname, true, NULL, err) < 0 ? PS_ERR_NOMEM : 1;
    if (r <= 0) {
        /* not decoded: kept as an event of its kind (named when known); the
         * mapping functions leave the event untouched when they give up */
        if (count_kind(st, k, opname, false, &kind, err) < 0)
            return PS_ERR_NOMEM;
        ev->cls = k->prov == PS_ETW_CLASSIC && k->group == PS_ETW_G_FILEIO     ? PS_CLASS_FILE
                  : k->prov == PS_ETW_CLASSIC && k->group == PS_ETW_G_REGISTRY ? PS_CLASS_REGISTRY
                  : opname && strncmp(opname, "Image/", 6) == 0                ? PS_CLASS_PROCESS
                                                                               : PS_CLASS_OTHER;
        ev->op = ev->cls == PS_CLASS_FILE ? PS_OP_FILE_OTHER : ev->cls == PS_CLASS_REGISTRY ? PS_OP_REG_OTHER
                                                                                             : PS_OP_OTHER;
        ev->operation = kind->operation;
        set_ids(ev, k);
        st->undecoded++;
    } else if (count_kind(st, k, opname, true, &kind, err) < 0) {
        return PS_ERR_NOMEM;
    }
    ev->category = kind->provider;
    if (frames_from(st, k, ev) < 0)
        return ps_error_nomem(err);
    rec->type = PS_REC_EVENT;
    rec->event = ev;
    return 1;
}
