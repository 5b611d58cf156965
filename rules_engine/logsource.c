/*
 * logsource.c - Sigma logsources: the tables and an event's logsources (see
 * logsource.h).
 */
#include "rules_engine/logsource.h"

#include <stdbool.h>
#include <string.h>

#include "common/util.h"
#include "parsers/winevent/map.h"

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
    [LS_PS_MODULE] = "ps_module",
    [LS_PS_SCRIPT] = "ps_script",
    [LS_PS_CLASSIC_START] = "ps_classic_start",
    [LS_PS_CLASSIC_PROVIDER_START] = "ps_classic_provider_start",
    [LS_PS_CLASSIC_SCRIPT] = "ps_classic_script",
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

typedef struct keyset {
    int *keys;
    int n, max;
} keyset;

static void add_key(keyset *v, int key)
{
    if (v->n < v->max)
        v->keys[v->n++] = key;
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

static void classify_structured(keyset *v, const ps_event *ev);

int ps_ls_classify(const ps_event *ev, const char *prov, unsigned id, const char *chan, const char *event_type,
                   int *keys, int max)
{
    keyset ks = {keys, 0, max}, *v = &ks;

    if (ev->nfields) {
        bool sysmon_or_security = prov && (!strcmp(prov, PS_PROVIDER_SYSMON) || !strcmp(prov, PS_PROVIDER_SECURITY));
        size_t i;
        if (prov && !strcmp(prov, PS_PROVIDER_SYSMON)) {
            int second, k = sysmon_category(id, event_type, &second);
            if (k >= 0)
                add_key(v, k);
            if (second >= 0 && second != k)
                add_key(v, second);
        } else if (prov && !strcmp(prov, PS_PROVIDER_SECURITY)) {
            if (id == 4688)
                add_key(v, LS_PROCESS_CREATION);
            else if (id == 4689)
                add_key(v, LS_PROCESS_TERMINATION);
            else if (id == 4657) {
                add_key(v, ev->op == PS_OP_REG_DELETE_VALUE ? LS_REGISTRY_DELETE : LS_REGISTRY_SET);
                add_key(v, LS_REGISTRY_EVENT);
            }
        }
        /* PowerShell's categories (Sigma's Windows mapping): the
         * Operational log's module and script-block records, the classic
         * log's engine and provider starts and pipeline details */
        if (chan && ps_streq_ci(chan, "Microsoft-Windows-PowerShell/Operational")) {
            if (id == 4103)
                add_key(v, LS_PS_MODULE);
            else if (id == 4104)
                add_key(v, LS_PS_SCRIPT);
        } else if (chan && ps_streq_ci(chan, "Windows PowerShell")) {
            if (id == 400)
                add_key(v, LS_PS_CLASSIC_START);
            else if (id == 600)
                add_key(v, LS_PS_CLASSIC_PROVIDER_START);
            else if (id == 800)
                add_key(v, LS_PS_CLASSIC_SCRIPT);
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
        if (!sysmon_or_security)
            classify_structured(v, ev);
        else
            add_key(v, LS_ANY);
        return ks.n;
    }
    classify_structured(v, ev);
    return ks.n;
}

/* Events that are not Sysmon's or the Security log's own (Procmon, ETW):
 * the categories Sysmon would have logged them under. */
static void classify_structured(keyset *v, const ps_event *ev)
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

