/*
 * trace.h - what is known of one trace as a whole: its source family (which
 * selects the reconstruction rules of stages.md) and the facts its reader
 * found (host, OS, time basis, thread ids and stacks present, events lost).
 *
 * Readers (parsers/reader.h) fill a ps_trace_info; the reconstruction
 * (recon/), the rule engine and the store read it.
 *
 * Ownership: plain values; `format` and `kinds` are borrowed from the reader.
 */
#ifndef PS_TRACE_H
#define PS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/event.h"

typedef enum ps_source_family {
    PS_FAMILY_PROCMON = 1,   /* Procmon PML, CSV, XML */
    PS_FAMILY_ETW = 2,       /* ETW kernel traces */
    PS_FAMILY_EVENTLOG = 3   /* Sysmon / Security event logs */
} ps_source_family;

typedef struct ps_trace_info {
    const char *format;          /* reader name */
    ps_source_family family;
    ps_time_basis time_basis;
    char time_note[256];         /* how the timestamps were obtained */
    char host[256];
    char os_version[128];
    int pointer_size;            /* 0 unknown */
    int cpu_count;               /* 0 unknown */
    bool has_tid;                /* events carry thread ids */
    bool has_stacks;             /* events carry stacks */
    uint64_t events_lost;
    uint64_t undecoded;          /* events kept without decoded details */
    /* How many source events of each kind the reader saw (ETW: per provider
     * and operation, whatever became of them); NULL when the reader keeps
     * no such count.  Owned by the reader; may move between next() calls,
     * valid until close(). */
    const ps_event_kind *kinds;
    size_t nkinds;
} ps_trace_info;

/* "procmon", "etw", "eventlog" ("?" for anything else). */
const char *ps_source_family_name(ps_source_family f);

#endif
