/*
 * view.c - what a rule sees: the logsources an event belongs to and its
 * fields under the names Sigma rules use, whatever the source
 * (docs/rules.md, "Field names").
 *
 *   EVTX and other event-log records: every System value and payload value
 *   as written, plus for Security 4688/4689/4657 the Sysmon names (Image,
 *   ParentImage, ProcessId as decimal, TargetObject, ...).
 *   Procmon (and any source without fields): derived from the structured
 *   event and the process it belongs to (image, user, integrity from the
 *   reconstruction engine's process table).
 *   Creations: procstage's own fields (requested_image, stageN_ms, ...) and
 *   the Sysmon process-creation names.
 *
 * A view is filled per event into a per-field slot table reset by bumping
 * an epoch, with strings in an arena reset per event: nothing is allocated
 * per event once the tables have grown.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/recon.h"
#include "rules_engine/internal.h"
#include "rules_engine/view.h"

/* ---- logsources -------------------------------------------------------------------- */

static const char *const categories[LS_SERVICE_FIRST] = {
    [LS_PROCESS_CREATION] = "process_creation",
    [LS_PROCESS_TERMINATION] = "process_termination",
    [LS_IMAGE_LOAD] = "image_load",
    [LS_REGISTRY_ADD] = "registry_add",
    [LS_REGISTRY_SET] = "registry_set",
    [LS_REGISTRY_DELETE] = "registry_delete",
    [LS_REGISTRY_RENAME] = "registry_rename",
    [LS_REGISTRY_EVENT] = "registry_event",
    [LS_PROCESS_ACCESS] = "process_access",
    [LS_CREATE_REMOTE_THREAD] = "create_remote_thread",
    [LS_PROCESS_TAMPERING] = "process_tampering",
    [LS_NETWORK_CONNECTION] = "network_connection",
    [LS_FILE_EVENT] = "file_event",
    [LS_FILE_CHANGE] = "file_change",
    [LS_FILE_DELETE] = "file_delete",
    [LS_DRIVER_LOAD] = "driver_load",
    [LS_PIPE_CREATED] = "pipe_created",
    [LS_WMI_EVENT] = "wmi_event",
    [LS_DNS_QUERY] = "dns_query",
    [LS_CREATE_STREAM_HASH] = "create_stream_hash",
    [LS_RAW_ACCESS_THREAD] = "raw_access_thread",
    [LS_CLIPBOARD_CAPTURE] = "clipboard_capture",
    [LS_FILE_BLOCK] = "file_block",
    [LS_SYSMON_STATUS] = "sysmon_status",
    [LS_STAGES] = "process_creation_stages",
    [LS_ANY] = NULL,
};

static const ps_ls_service services[] = {
    {"security", "Security"},
    {"system", "System"},
    {"application", "Application"},
    {"sysmon", "Microsoft-Windows-Sysmon/Operational"},
    {"powershell", "Microsoft-Windows-PowerShell/Operational"},
    {"powershell-classic", "Windows PowerShell"},
    {"taskscheduler", "Microsoft-Windows-TaskScheduler/Operational"},
    {"wmi", "Microsoft-Windows-WMI-Activity/Operational"},
    {"windefend", "Microsoft-Windows-Windows Defender/Operational"},
    {"bits-client", "Microsoft-Windows-Bits-Client/Operational"},
    {"codeintegrity-operational", "Microsoft-Windows-CodeIntegrity/Operational"},
    {"dns-server", "DNS Server"},
    {"driver-framework", "Microsoft-Windows-DriverFrameworks-UserMode/Operational"},
    {"ntlm", "Microsoft-Windows-NTLM/Operational"},
    {"applocker", "Microsoft-Windows-AppLocker/"},
    {"printservice-admin", "Microsoft-Windows-PrintService/Admin"},
    {"printservice-operational", "Microsoft-Windows-PrintService/Operational"},
    {"smbclient-security", "Microsoft-Windows-SmbClient/Security"},
    {"firewall-as", "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"},
    {"terminalservices-localsessionmanager", "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"},
    {"msexchange-management", "MSExchange Management"},
    {"ldap_debug", "Microsoft-Windows-LDAP-Client/Debug"},
    {"shell-core", "Microsoft-Windows-Shell-Core/Operational"},
    {"openssh", "OpenSSH/Operational"},
    {"diagnosis-scripted", "Microsoft-Windows-Diagnosis-Scripted/Operational"},
    {"appxdeployment-server", "Microsoft-Windows-AppXDeploymentServer/Operational"},
    {"capi2", "Microsoft-Windows-CAPI2/Operational"},
    {"dhcp", "Microsoft-Windows-DHCP-Server/Operational"},
    {"lsa-server", "Microsoft-Windows-LSA/Operational"},
    {"vhdmp", "Microsoft-Windows-VHDMP-Operational"},
    {"iis-configuration", "Microsoft-IIS-Configuration/Operational"},
    {"kernel-shimengine", "Microsoft-Windows-Kernel-ShimEngine/Operational"},
};

const char *ps_ls_category_name(int key)
{
    return key >= 0 && key < LS_SERVICE_FIRST ? categories[key] : NULL;
}

int ps_ls_category_key(const char *category)
{
    int i;
    for (i = 0; i < LS_SERVICE_FIRST; i++)
        if (categories[i] && !strcmp(categories[i], category))
            return i;
    return -1;
}

const ps_ls_service *ps_ls_services(size_t *n)
{
    *n = PS_ARRAY_LEN(services);
    return services;
}

int ps_ls_count(void)
{
    return LS_SERVICE_FIRST + (int)PS_ARRAY_LEN(services);
}

/* ---- the view ------------------------------------------------------------------------- */

int view_init(view *v, const fdict *d, bool keep_all)
{
    memset(v, 0, sizeof *v);
    v->dict = d;
    v->keep_all = keep_all;
    v->nfields = d->n;
    v->stamp = calloc(d->n + 1, sizeof *v->stamp);
    v->head = calloc(d->n + 1, sizeof *v->head);
    v->tail = calloc(d->n + 1, sizeof *v->tail);
    ps_arena_init(&v->arena, 16384);
    v->epoch = 1;
    return v->stamp && v->head && v->tail ? 0 : PS_ERR_NOMEM;
}

void view_release(view *v)
{
    free(v->stamp);
    free(v->head);
    free(v->tail);
    free(v->pool);
    ps_arena_release(&v->arena);
    memset(v, 0, sizeof *v);
}

void view_reset(view *v)
{
    if (++v->epoch == 0) {
        memset(v->stamp, 0, (v->nfields + 1) * sizeof *v->stamp);
        v->epoch = 1;
    }
    v->npool = 0;
    v->nls = 0;
    v->ts = 0;
    v->event_id = v->creation_id = 0;
    ps_arena_reset(&v->arena);
}

int view_set(view *v, int field, const char *s, size_t n)
{
    fv *f;

    if (!s || (field < 0 && !v->keep_all))
        return 0;
    if (v->npool == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 128;
        fv *np = realloc(v->pool, nc * sizeof *np);
        if (!np)
            return PS_ERR_NOMEM;
        v->pool = np;
        v->cap = nc;
    }
    f = &v->pool[v->npool];
    f->s = s;
    f->n = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
    f->next = -1;
    f->lc = NULL;
    f->num_state = 0;
    f->field = field;
    if (field >= 0) {
        if (v->stamp[field] != v->epoch) {
            v->stamp[field] = v->epoch;
            v->head[field] = v->tail[field] = (int32_t)v->npool;
        } else {
            v->pool[v->tail[field]].next = (int32_t)v->npool;
            v->tail[field] = (int32_t)v->npool;
        }
    }
    v->npool++;
    return 0;
}

int view_setf(view *v, int field, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    char *s;
    int n;

    if (field < 0 && !v->keep_all)
        return 0;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return 0;
    s = ps_arena_strndup(&v->arena, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
    if (!s)
        return PS_ERR_NOMEM;
    return view_set(v, field, s, strlen(s));
}

/* Forgets a field's values (the pool keeps them for keyword searches). */
static void view_clear(view *v, int field)
{
    if (field >= 0 && v->stamp[field] == v->epoch)
        v->stamp[field] = 0;
}

/* Replaces every value of a field (mapped names override source names). */
static int view_put(view *v, int field, const char *s)
{
    if (field < 0 || !s)
        return 0;
    view_clear(v, field);
    return view_set(v, field, s, strlen(s));
}

fv *view_get(view *v, int field)
{
    if (field < 0 || (size_t)field >= v->nfields || v->stamp[field] != v->epoch)
        return NULL;
    return &v->pool[v->head[field]];
}

const char *view_lc(view *v, fv *f)
{
    char *lc;
    uint32_t i;
    if (f->lc)
        return f->lc;
    lc = ps_arena_alloc(&v->arena, (size_t)f->n + 1);
    if (!lc)
        return NULL;
    for (i = 0; i < f->n; i++) {
        char ch = f->s[i];
        lc[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    }
    lc[f->n] = '\0';
    f->lc = lc;
    return lc;
}

bool view_num(fv *f, double *out)
{
    if (f->num_state == 0)
        f->num_state = ps_parse_num(f->s, f->n, &f->num) ? 1 : -1;
    if (f->num_state < 0)
        return false;
    *out = f->num;
    return true;
}

/* ---- well-known fields --------------------------------------------------------------- */

static const char *const wk_names[WK__COUNT] = {
    [WK_IMAGE] = "Image",
    [WK_COMMANDLINE] = "CommandLine",
    [WK_PARENTIMAGE] = "ParentImage",
    [WK_PARENTCOMMANDLINE] = "ParentCommandLine",
    [WK_PROCESSID] = "ProcessId",
    [WK_PARENTPROCESSID] = "ParentProcessId",
    [WK_CURRENTDIRECTORY] = "CurrentDirectory",
    [WK_USER] = "User",
    [WK_INTEGRITYLEVEL] = "IntegrityLevel",
    [WK_COMPANY] = "Company",
    [WK_DESCRIPTION] = "Description",
    [WK_FILEVERSION] = "FileVersion",
    [WK_TERMINALSESSIONID] = "TerminalSessionId",
    [WK_TARGETOBJECT] = "TargetObject",
    [WK_DETAILS] = "Details",
    [WK_EVENTTYPE] = "EventType",
    [WK_IMAGELOADED] = "ImageLoaded",
    [WK_TARGETFILENAME] = "TargetFilename",
    [WK_COMPUTER] = "Computer",
    [WK_IFEO_IMAGE] = "ifeo_image",
    [WK_SPE_IMAGE] = "silent_process_exit_image",
    [WK_ORIGINALFILENAME] = "OriginalFileName",
    [WK_CREATION_ID] = "creation_id",
    [WK_REQUESTED_IMAGE] = "requested_image",
    [WK_IMAGE_PATH] = "image_path",
    [WK_COMMAND_LINE] = "command_line",
    [WK_CURRENT_DIR] = "current_dir",
    [WK_PARENT_PID] = "parent_pid",
    [WK_CREATOR_PID] = "creator_pid",
    [WK_CREATOR_TID] = "creator_tid",
    [WK_CHILD_PID] = "child_pid",
    [WK_INITIAL_TID] = "initial_tid",
    [WK_STATUS] = "status",
    [WK_ANCHOR] = "anchor",
    [WK_RESULT] = "result",
    [WK_NOTE] = "note",
    [WK_CREATOR_IMAGE] = "creator_image",
    [WK_PARENT_IMAGE] = "parent_image",
    [WK_USER_LC] = "user",
    [WK_INTEGRITY] = "integrity",
    [WK_IFEO_DEBUGGER] = "ifeo_debugger",
    [WK_IFEO_EVENT_ID] = "ifeo_event_id",
    [WK_ANCHOR_EVENT_ID] = "anchor_event_id",
    [WK_TOTAL_MS] = "total_ms",
    [WK_USER_INIT_MODULES] = "user_init_modules",
    [WK_IMAGE_CREATIONS] = "image_creations",
};

static const char *const stage_short[PS_NSTAGES] = {"open_image", "create_process_object", "create_initial_thread",
                                                     "notify_subsystem", "start_initial_thread", "user_init"};

int ps_wk_resolve(const fdict *d, int *wk)
{
    int i;
    char name[64];

    for (i = 0; i < WK__COUNT; i++) {
        wk[i] = -1;
        if (wk_names[i])
            wk[i] = fdict_find(d, wk_names[i], strlen(wk_names[i]));
    }
    for (i = 0; i < PS_NSTAGES; i++) {
        snprintf(name, sizeof name, "stage%d_ms", i + 1);
        wk[WK_STAGE_MS + i] = fdict_find(d, name, strlen(name));
        snprintf(name, sizeof name, "%s_ms", stage_short[i]);
        wk[WK_STAGE_NAMED_MS + i] = fdict_find(d, name, strlen(name));
        snprintf(name, sizeof name, "stage%d_confidence", i + 1);
        wk[WK_STAGE_CONF + i] = fdict_find(d, name, strlen(name));
        snprintf(name, sizeof name, "stage%d_image_median_ms", i + 1);
        wk[WK_STAGE_MEDIAN + i] = fdict_find(d, name, strlen(name));
        snprintf(name, sizeof name, "stage%d_image_ratio", i + 1);
        wk[WK_STAGE_RATIO + i] = fdict_find(d, name, strlen(name));
        snprintf(name, sizeof name, "stage%d_image_score", i + 1);
        wk[WK_STAGE_SCORE + i] = fdict_find(d, name, strlen(name));
    }
    return 0;
}

/* ---- logsources of an event -------------------------------------------------------------- */

static void add_key(view *v, int key)
{
    if (v->nls < (int)PS_ARRAY_LEN(v->lskeys))
        v->lskeys[v->nls++] = key;
}

static int sysmon_category(unsigned id, const char *event_type, int *second)
{
    *second = -1;
    switch (id) {
    case 1: return LS_PROCESS_CREATION;
    case 2: return LS_FILE_CHANGE;
    case 3: return LS_NETWORK_CONNECTION;
    case 4: case 16: return LS_SYSMON_STATUS;
    case 5: return LS_PROCESS_TERMINATION;
    case 6: return LS_DRIVER_LOAD;
    case 7: return LS_IMAGE_LOAD;
    case 8: return LS_CREATE_REMOTE_THREAD;
    case 9: return LS_RAW_ACCESS_THREAD;
    case 10: return LS_PROCESS_ACCESS;
    case 11: return LS_FILE_EVENT;
    case 12:
        *second = LS_REGISTRY_EVENT;
        if (event_type && !strcmp(event_type, "CreateKey"))
            return LS_REGISTRY_ADD;
        if (event_type && (!strcmp(event_type, "DeleteKey") || !strcmp(event_type, "DeleteValue")))
            return LS_REGISTRY_DELETE;
        return LS_REGISTRY_EVENT;
    case 13: *second = LS_REGISTRY_EVENT; return LS_REGISTRY_SET;
    case 14: *second = LS_REGISTRY_EVENT; return LS_REGISTRY_RENAME;
    case 15: return LS_CREATE_STREAM_HASH;
    case 17: case 18: return LS_PIPE_CREATED;
    case 19: case 20: case 21: return LS_WMI_EVENT;
    case 22: return LS_DNS_QUERY;
    case 23: case 26: return LS_FILE_DELETE;
    case 24: return LS_CLIPBOARD_CAPTURE;
    case 25: return LS_PROCESS_TAMPERING;
    case 27: case 28: case 29: return LS_FILE_BLOCK;
    default: return -1;
    }
}

static bool success(const ps_event *ev)
{
    return !ev->result || !*ev->result || !strcmp(ev->result, "SUCCESS");
}

static bool is_sysmon_or_security(const ps_event *ev)
{
    const char *prov = ev->nfields ? ps_event_field(ev, "Provider_Name") : NULL;
    return prov && (!strcmp(prov, "Microsoft-Windows-Sysmon") || !strcmp(prov, "Microsoft-Windows-Security-Auditing"));
}

static void classify_structured(view *v, const ps_event *ev);

void ps_view_classify(view *v, const ps_event *ev)
{
    v->nls = 0;
    if (ev->nfields) {
        const char *prov = ps_event_field(ev, "Provider_Name"), *chan = ps_event_field(ev, "Channel");
        const char *eid = ps_event_field(ev, "EventID");
        unsigned id = eid ? (unsigned)strtoul(eid, NULL, 10) : 0;
        size_t i;
        if (prov && !strcmp(prov, "Microsoft-Windows-Sysmon")) {
            int second, k = sysmon_category(id, ps_event_field(ev, "EventType"), &second);
            if (k >= 0)
                add_key(v, k);
            if (second >= 0 && second != k)
                add_key(v, second);
        } else if (prov && !strcmp(prov, "Microsoft-Windows-Security-Auditing")) {
            if (id == 4688)
                add_key(v, LS_PROCESS_CREATION);
            else if (id == 4689)
                add_key(v, LS_PROCESS_TERMINATION);
            else if (id == 4657) {
                add_key(v, ev->op == PS_OP_REG_DELETE_VALUE ? LS_REGISTRY_DELETE : LS_REGISTRY_SET);
                add_key(v, LS_REGISTRY_EVENT);
            }
        }
        if (chan)
            for (i = 0; i < PS_ARRAY_LEN(services); i++) {
                size_t cl = strlen(services[i].channel);
                if (services[i].channel[cl - 1] == '/' ? ps_strneq_ci(chan, services[i].channel, cl)
                                                       : ps_streq_ci(chan, services[i].channel)) {
                    add_key(v, LS_SERVICE_FIRST + (int)i);
                    break;
                }
            }
        /* other providers (ETW kernel events, say): by what they are */
        if (!is_sysmon_or_security(ev))
            classify_structured(v, ev);
        else
            add_key(v, LS_ANY);
        return;
    }
    classify_structured(v, ev);
}

/* Events that are not Sysmon's or the Security log's own (Procmon, ETW):
 * the categories Sysmon would have logged them under. */
static void classify_structured(view *v, const ps_event *ev)
{
    switch (ev->op) {
    case PS_OP_LOAD_IMAGE:
        add_key(v, LS_IMAGE_LOAD);
        break;
    case PS_OP_PROCESS_EXIT:
        add_key(v, LS_PROCESS_TERMINATION);
        break;
    case PS_OP_REG_SET_VALUE:
        if (success(ev)) {
            add_key(v, LS_REGISTRY_SET);
            add_key(v, LS_REGISTRY_EVENT);
        }
        break;
    case PS_OP_REG_CREATE_KEY:
        if (success(ev) && ev->detail && strstr(ev->detail, "REG_CREATED_NEW_KEY")) {
            add_key(v, LS_REGISTRY_ADD);
            add_key(v, LS_REGISTRY_EVENT);
        }
        break;
    case PS_OP_REG_DELETE_KEY:
    case PS_OP_REG_DELETE_VALUE:
        if (success(ev)) {
            add_key(v, LS_REGISTRY_DELETE);
            add_key(v, LS_REGISTRY_EVENT);
        }
        break;
    case PS_OP_FILE_CREATE:
        if (success(ev) && ev->detail &&
            (strstr(ev->detail, "OpenResult: Created") || strstr(ev->detail, "OpenResult: Overwritten") ||
             strstr(ev->detail, "OpenResult: Superseded")))
            add_key(v, LS_FILE_EVENT);
        break;
    default:
        break;
    }
    add_key(v, LS_ANY);
}

/* ---- filling -------------------------------------------------------------------------- */

static int set_wk(view *v, const int *wk, int k, const char *s)
{
    return s && *s ? view_put(v, wk[k], s) : 0;
}

/* Sets a field only when the source did not (the structured mapping of
 * events whose provider also wrote fields of its own). */
static int fill_wk(view *v, const int *wk, int k, const char *s)
{
    return wk[k] >= 0 && view_get(v, wk[k]) ? 0 : set_wk(v, wk, k, s);
}

static const char *integrity_name(const char *sid)
{
    static const struct {
        const char *sid, *name;
    } t[] = {{"S-1-16-0", "Untrusted"}, {"S-1-16-4096", "Low"},      {"S-1-16-8192", "Medium"},
             {"S-1-16-8448", "Medium"}, {"S-1-16-12288", "High"},    {"S-1-16-16384", "System"},
             {"S-1-16-20480", "Protected"}};
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(t); i++)
        if (sid && !strcmp(sid, t[i].sid))
            return t[i].name;
    return sid;
}

/* Procmon's registry data as Sysmon writes Details. */
static int reg_details(view *v, const int *wk, const ps_event *ev)
{
    const char *t = ev->reg_type ? ev->reg_type : "", *d = ev->reg_data;
    uint64_t n;

    if (!d)
        return 0;
    if (!strcmp(t, "REG_DWORD") && ps_parse_uint_loose(d, &n) && n <= 0xffffffffu)
        return view_setf(v, wk[WK_DETAILS], "DWORD (0x%08llx)", (unsigned long long)n);
    if (!strcmp(t, "REG_QWORD") && ps_parse_uint_loose(d, &n))
        return view_setf(v, wk[WK_DETAILS], "QWORD (0x%08llx-0x%08llx)", (unsigned long long)(n >> 32),
                         (unsigned long long)(n & 0xffffffffu));
    if (!strcmp(t, "REG_BINARY"))
        return view_set(v, wk[WK_DETAILS], "Binary Data", 11);
    return view_set(v, wk[WK_DETAILS], d, strlen(d));
}

/* ifeo_image / silent_process_exit_image from a registry path */
static int registry_derived(view *v, const int *wk, const char *key)
{
    const char *name, *rest, *p;
    size_t nlen;
    static const char spe[] = "\\SilentProcessExit\\";

    if (wk[WK_IFEO_IMAGE] >= 0 && ps_ifeo_parts(key, &name, &nlen, &rest)) {
        char *s = ps_arena_strndup(&v->arena, name, nlen);
        if (!s || view_put(v, wk[WK_IFEO_IMAGE], s) < 0)
            return PS_ERR_NOMEM;
    }
    if (wk[WK_SPE_IMAGE] >= 0 && (p = ps_strstr_ci(key, spe)) != NULL) {
        const char *e;
        p += sizeof spe - 1;
        e = strchr(p, '\\');
        if (e ? e > p : *p != '\0') {
            char *s = ps_arena_strndup(&v->arena, p, e ? (size_t)(e - p) : strlen(p));
            if (!s || view_put(v, wk[WK_SPE_IMAGE], s) < 0)
                return PS_ERR_NOMEM;
        }
    }
    return 0;
}

static int event_process(view *v, const ps_vctx *x, const ps_event *ev)
{
    ps_recon_proc p;
    const int *wk = x->wk;
    int rc = 0;

    if (!x->recon || !ps_recon_lookup_pid(x->recon, ev->pid, ev->proc_index, &p)) {
        memset(&p, 0, sizeof p);
        if (ev->proc)
            p.image_path = ev->proc->image_path, p.user = ev->proc->user, p.integrity = ev->proc->integrity;
    }
    rc |= fill_wk(v, wk, WK_IMAGE, p.image_path ? p.image_path : ev->process_name);
    if (wk[WK_PROCESSID] >= 0 && !view_get(v, wk[WK_PROCESSID]))
        rc |= view_setf(v, wk[WK_PROCESSID], "%u", ev->pid);
    rc |= fill_wk(v, wk, WK_USER, p.user);
    rc |= fill_wk(v, wk, WK_INTEGRITYLEVEL, p.integrity);
    return rc ? PS_ERR_NOMEM : 0;
}

static int hex_to_dec(view *v, int field, const char *s)
{
    uint64_t n;
    if (field < 0 || !s || !ps_parse_uint_loose(s, &n))
        return 0;
    view_clear(v, field);
    return view_setf(v, field, "%llu", (unsigned long long)n);
}

int ps_view_event(view *v, const ps_vctx *x, const ps_event *ev)
{
    const int *wk = x->wk;
    int rc = 0, i;
    bool registry = false;

    v->ts = ev->ts;
    if (x->info && x->info->host[0])
        rc |= set_wk(v, wk, WK_COMPUTER, x->info->host);
    if (ev->nfields) {
        uint32_t k;
        const char *prov = ps_event_field(ev, "Provider_Name");
        for (k = 0; k < ev->nfields; k++) {
            const ps_field *f = &ev->fields[k];
            int id = fdict_find(v->dict, f->name, strlen(f->name));
            if ((id >= 0 || v->keep_all) && view_set(v, id, f->value, strlen(f->value)) < 0)
                return PS_ERR_NOMEM;
        }
        if (prov && !strcmp(prov, "Microsoft-Windows-Security-Auditing")) {
            const char *eid = ps_event_field(ev, "EventID");
            if (eid && !strcmp(eid, "4688")) {
                const char *label = ps_event_field(ev, "MandatoryLabel");
                rc |= set_wk(v, wk, WK_IMAGE, ps_event_field(ev, "NewProcessName"));
                rc |= set_wk(v, wk, WK_PARENTIMAGE, ps_event_field(ev, "ParentProcessName"));
                rc |= hex_to_dec(v, wk[WK_PROCESSID], ps_event_field(ev, "NewProcessId"));
                rc |= hex_to_dec(v, wk[WK_PARENTPROCESSID], ps_event_field(ev, "ProcessId"));
                if (ev->proc && ev->proc->user)
                    rc |= set_wk(v, wk, WK_USER, ev->proc->user);
                if (label)
                    rc |= set_wk(v, wk, WK_INTEGRITYLEVEL, integrity_name(label));
            } else if (eid && (!strcmp(eid, "4689") || !strcmp(eid, "4657"))) {
                rc |= set_wk(v, wk, WK_IMAGE, ps_event_field(ev, "ProcessName"));
                rc |= hex_to_dec(v, wk[WK_PROCESSID], ps_event_field(ev, "ProcessId"));
                if (eid[3] == '7') {
                    registry = true;
                    rc |= set_wk(v, wk, WK_TARGETOBJECT, ev->path);
                    rc |= set_wk(v, wk, WK_EVENTTYPE, ev->op == PS_OP_REG_DELETE_VALUE ? "DeleteValue" : "SetValue");
                    if (ev->reg_data)
                        rc |= view_put(v, wk[WK_DETAILS], ev->reg_data);
                }
            }
        } else if (ev->cls == PS_CLASS_REGISTRY) {
            registry = true;
        }
        if (registry && ev->path)
            rc |= registry_derived(v, wk, ev->path);
        if (is_sysmon_or_security(ev) || rc)
            return rc ? PS_ERR_NOMEM : 0;
        /* other providers: their own fields first, then what the structured
         * event says where they have nothing under that name */
    }
    /* Procmon, and other sources without Sysmon's fields */
    for (i = 0; i < v->nls; i++) {
        switch (v->lskeys[i]) {
        case LS_IMAGE_LOAD:
            rc |= event_process(v, x, ev);
            rc |= fill_wk(v, wk, WK_IMAGELOADED, ev->path);
            break;
        case LS_PROCESS_TERMINATION:
            rc |= event_process(v, x, ev);
            break;
        case LS_REGISTRY_SET:
        case LS_REGISTRY_ADD:
        case LS_REGISTRY_DELETE:
            rc |= event_process(v, x, ev);
            rc |= fill_wk(v, wk, WK_TARGETOBJECT, ev->path);
            rc |= fill_wk(v, wk, WK_EVENTTYPE,
                         ev->op == PS_OP_REG_SET_VALUE     ? "SetValue"
                         : ev->op == PS_OP_REG_CREATE_KEY  ? "CreateKey"
                         : ev->op == PS_OP_REG_DELETE_KEY  ? "DeleteKey"
                                                           : "DeleteValue");
            if (ev->op == PS_OP_REG_SET_VALUE)
                rc |= reg_details(v, wk, ev);
            rc |= registry_derived(v, wk, ev->path);
            break;
        case LS_FILE_EVENT:
            rc |= event_process(v, x, ev);
            rc |= fill_wk(v, wk, WK_TARGETFILENAME, ev->path);
            break;
        default:
            break;
        }
    }
    if (v->keep_all) {
        /* keywords search the event's own text too */
        rc |= view_set(v, -1, ev->operation, strlen(ev->operation));
        if (ev->path && *ev->path)
            rc |= view_set(v, -1, ev->path, strlen(ev->path));
        if (ev->detail && *ev->detail)
            rc |= view_set(v, -1, ev->detail, strlen(ev->detail));
        if (ev->command_line && *ev->command_line)
            rc |= view_set(v, -1, ev->command_line, strlen(ev->command_line));
    }
    return rc ? PS_ERR_NOMEM : 0;
}

/* ---- creations ------------------------------------------------------------------------------ */

static double ms(int64_t ticks)
{
    return (double)ticks / 10000.0;
}

int ps_view_creation(view *v, const ps_vctx *x, const ps_creation *c, bool as_process_creation)
{
    const int *wk = x->wk;
    ps_recon_proc child, parent, creator;
    bool have_child = false, have_parent = false, have_creator = false;
    double total = 0;
    bool any = false;
    int rc = 0, k;
    size_t i;

    v->ts = c->create_ts;
    v->creation_id = c->creation_id;
    v->event_id = c->anchor_event_id;
    if (x->recon) {
        have_child = c->child_process_id && ps_recon_lookup_id(x->recon, c->child_process_id, &child);
        have_creator = c->creator_process_id && ps_recon_lookup_id(x->recon, c->creator_process_id, &creator);
        if (have_child && child.parent_process_id)
            have_parent = ps_recon_lookup_id(x->recon, child.parent_process_id, &parent);
        if (!have_parent && c->has_parent_pid)
            have_parent = ps_recon_lookup_pid(x->recon, c->parent_pid, -1, &parent) &&
                          (!have_child || parent.process_id != child.process_id);
    }
    if (x->info && x->info->host[0])
        rc |= set_wk(v, wk, WK_COMPUTER, x->info->host);
    rc |= view_setf(v, wk[WK_CREATION_ID], "%lld", (long long)c->creation_id);
    rc |= set_wk(v, wk, WK_REQUESTED_IMAGE, c->requested_image);
    rc |= set_wk(v, wk, WK_IMAGE_PATH, c->image_path);
    rc |= set_wk(v, wk, WK_COMMAND_LINE, c->command_line);
    rc |= set_wk(v, wk, WK_CURRENT_DIR, c->current_dir);
    if (c->has_parent_pid)
        rc |= view_setf(v, wk[WK_PARENT_PID], "%u", c->parent_pid);
    if (c->has_creator)
        rc |= view_setf(v, wk[WK_CREATOR_PID], "%u", c->creator_pid);
    if (c->has_creator_tid)
        rc |= view_setf(v, wk[WK_CREATOR_TID], "%u", c->creator_tid);
    if (c->has_child_pid)
        rc |= view_setf(v, wk[WK_CHILD_PID], "%u", c->child_pid);
    if (c->has_initial_tid)
        rc |= view_setf(v, wk[WK_INITIAL_TID], "%u", c->initial_tid);
    rc |= set_wk(v, wk, WK_STATUS, ps_status_name(c->status));
    rc |= set_wk(v, wk, WK_ANCHOR, ps_anchor_name(c->anchor));
    rc |= set_wk(v, wk, WK_RESULT, c->result);
    rc |= set_wk(v, wk, WK_NOTE, c->note);
    rc |= set_wk(v, wk, WK_IFEO_IMAGE, c->ifeo_image);
    rc |= set_wk(v, wk, WK_IFEO_DEBUGGER, c->ifeo_debugger);
    if (c->ifeo_event_id)
        rc |= view_setf(v, wk[WK_IFEO_EVENT_ID], "%lld", (long long)c->ifeo_event_id);
    rc |= view_setf(v, wk[WK_ANCHOR_EVENT_ID], "%lld", (long long)c->anchor_event_id);
    if (have_creator)
        rc |= set_wk(v, wk, WK_CREATOR_IMAGE, creator.image_path ? creator.image_path : creator.name);
    if (have_parent)
        rc |= set_wk(v, wk, WK_PARENT_IMAGE, parent.image_path ? parent.image_path : parent.name);
    if (have_child) {
        rc |= set_wk(v, wk, WK_USER_LC, child.user);
        rc |= set_wk(v, wk, WK_INTEGRITY, child.integrity);
    }
    for (k = 0; k < PS_NSTAGES; k++) {
        const ps_stage *s = &c->s[k];
        if (s->has_duration && s->conf != PS_CONF_MISSING) {
            rc |= view_setf(v, wk[WK_STAGE_MS + k], "%.4f", ms(s->duration));
            rc |= view_setf(v, wk[WK_STAGE_NAMED_MS + k], "%.4f", ms(s->duration));
        }
        if (s->has_duration) {
            total += ms(s->duration);
            any = true;
        }
        rc |= set_wk(v, wk, WK_STAGE_CONF + k, ps_confidence_name(s->conf));
    }
    if (any)
        rc |= view_setf(v, wk[WK_TOTAL_MS], "%.4f", total);
    for (i = 0; i < x->nmodules; i++)
        rc |= view_set(v, wk[WK_USER_INIT_MODULES], x->modules[i], strlen(x->modules[i]));

    /* the Sysmon names, for process_creation rules over Procmon and ETW */
    rc |= set_wk(v, wk, WK_IMAGE, c->image_path);
    rc |= set_wk(v, wk, WK_COMMANDLINE, c->command_line);
    rc |= set_wk(v, wk, WK_CURRENTDIRECTORY, c->current_dir);
    if (c->has_child_pid)
        rc |= view_setf(v, wk[WK_PROCESSID], "%u", c->child_pid);
    if (c->has_parent_pid)
        rc |= view_setf(v, wk[WK_PARENTPROCESSID], "%u", c->parent_pid);
    if (have_parent) {
        rc |= set_wk(v, wk, WK_PARENTIMAGE, parent.image_path);
        rc |= set_wk(v, wk, WK_PARENTCOMMANDLINE, parent.command_line);
    }
    if (have_child) {
        rc |= set_wk(v, wk, WK_USER, child.user);
        rc |= set_wk(v, wk, WK_INTEGRITYLEVEL, child.integrity);
        rc |= set_wk(v, wk, WK_COMPANY, child.company);
        rc |= set_wk(v, wk, WK_DESCRIPTION, child.description);
        rc |= set_wk(v, wk, WK_FILEVERSION, child.version);
        if (child.session >= 0)
            rc |= view_setf(v, wk[WK_TERMINALSESSIONID], "%d", child.session);
    }
    (void)as_process_creation;
    return rc ? PS_ERR_NOMEM : 0;
}
