/*
 * logsource.h - Sigma logsources (docs/rules.md, "Logsources"): the
 * categories procstage maps events to (process_creation, registry_set, ...,
 * and its own process_creation_stages), the services (event-log channels),
 * and which of them an event belongs to, whatever its source.
 */
#ifndef PS_RULES_LOGSOURCE_H
#define PS_RULES_LOGSOURCE_H

#include <stddef.h>

#include "model/event.h"

enum {
    LS_PROCESS_CREATION,
    LS_PROCESS_TERMINATION,
    LS_IMAGE_LOAD,
    LS_REGISTRY_ADD,
    LS_REGISTRY_SET,
    LS_REGISTRY_DELETE,
    LS_REGISTRY_RENAME,
    LS_REGISTRY_EVENT,
    LS_PROCESS_ACCESS,
    LS_CREATE_REMOTE_THREAD,
    LS_PROCESS_TAMPERING,
    LS_NETWORK_CONNECTION,
    LS_FILE_EVENT,
    LS_FILE_CHANGE,
    LS_FILE_DELETE,
    LS_DRIVER_LOAD,
    LS_PIPE_CREATED,
    LS_WMI_EVENT,
    LS_DNS_QUERY,
    LS_CREATE_STREAM_HASH,
    LS_RAW_ACCESS_THREAD,
    LS_CLIPBOARD_CAPTURE,
    LS_FILE_BLOCK,
    LS_SYSMON_STATUS,
    LS_PS_MODULE,            /* PowerShell Operational 4103 */
    LS_PS_SCRIPT,            /* PowerShell Operational 4104 */
    LS_PS_CLASSIC_START,     /* Windows PowerShell 400 */
    LS_PS_CLASSIC_PROVIDER_START, /* Windows PowerShell 600 */
    LS_PS_CLASSIC_SCRIPT,    /* Windows PowerShell 800 */
    LS_STAGES,               /* process_creation_stages: finished creations */
    LS_ANY,                  /* product: windows alone: every event */
    LS_SERVICE_FIRST         /* then one key per service of the table */
};

typedef struct ps_ls_service {
    const char *name;        /* Sigma service: "security" */
    const char *channel;     /* event log channel; a trailing '/' matches a prefix */
} ps_ls_service;

const char *ps_ls_category_name(int key);   /* NULL for services */
int ps_ls_category_key(const char *category);
const ps_ls_service *ps_ls_services(size_t *n);

/* The logsource keys of an event (at most max, into keys); returns how
 * many.  Event-log records by provider, event id and channel; other
 * sources (Procmon, ETW) by the category Sysmon would have logged them
 * under.  provider/event_id/channel/event_type are the record's own values
 * (NULL / 0 when absent). */
int ps_ls_classify(const ps_event *ev, const char *provider, unsigned event_id, const char *channel,
                   const char *event_type, int *keys, int max);

#endif
