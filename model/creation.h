/*
 * creation.h - one reconstructed process creation: its seven boundaries
 * B0..B6 and the six stages derived from them (../shared/reference/stages.md).
 *
 * Ownership: a ps_creation owns its strings; ps_creation_release frees them.
 */
#ifndef PS_CREATION_H
#define PS_CREATION_H

#include <stdbool.h>
#include <stdint.h>

#define PS_NSTAGES 6
#define PS_NBOUNDARIES 7

typedef enum ps_confidence {
    PS_CONF_MISSING = 0,
    PS_CONF_INFERRED = 1,
    PS_CONF_OBSERVED = 2
} ps_confidence;

typedef enum ps_creation_status {
    PS_STATUS_COMPLETE = 0,
    PS_STATUS_PARTIAL = 1,
    PS_STATUS_FAILED = 2
} ps_creation_status;

typedef enum ps_anchor_kind {
    PS_ANCHOR_PROCESS_CREATE = 0,   /* the creator's Process Create (Procmon) / Process/Start (ETW) */
    PS_ANCHOR_PROCESS_START = 1     /* the child's Process Start: the creator is not in the trace */
} ps_anchor_kind;

typedef struct ps_boundary {
    bool found;          /* an event (or proxy) gave it */
    bool collapsed;      /* not found; took the value of the previous boundary */
    int64_t ts;
    int64_t event_id;    /* 0 = none */
    ps_confidence conf;
    char rule[160];      /* how it was found, for the evidence */
} ps_boundary;

typedef struct ps_stage {
    int stage;                 /* 1..6 */
    bool has_start, has_end;
    int64_t start_ts, end_ts;
    bool has_duration;
    int64_t duration;
    int64_t start_event_id, end_event_id;   /* 0 = none */
    ps_confidence conf;
    char evidence[400];
} ps_stage;

typedef struct ps_creation {
    int64_t creation_id;
    int64_t trace_id;
    bool has_parent_pid, has_creator, has_creator_tid, has_initial_tid, has_child_pid;
    uint32_t parent_pid, creator_pid, creator_tid, child_pid, initial_tid;
    char *requested_image;
    char *image_path;
    char *command_line;
    char *current_dir;
    char *result;
    int64_t create_ts;
    ps_creation_status status;
    ps_anchor_kind anchor;
    int64_t anchor_event_id;
    int64_t creator_process_id;   /* 0 = unknown */
    int64_t child_process_id;
    char note[256];

    /* IFEO Debugger evidence seen on the creator thread before the anchor */
    char *ifeo_image;             /* the hijacked image name (the IFEO subkey) */
    char *ifeo_debugger;          /* the Debugger value data */
    int64_t ifeo_event_id;

    ps_boundary b[PS_NBOUNDARIES];
    ps_stage s[PS_NSTAGES];       /* filled by ps_creation_derive */

    /* the creator and the recorded parent as the trace names them (NULL
     * unknown), for detectors such as ppid-spoofing */
    char *creator_name;
    char *creator_cmdline;
    char *parent_name;
    char *parent_cmdline;
    /* event logs: the Sysmon 10 ProcessAccess that names the creator, and
     * whether it is the creator's handle to the child (else its handle to
     * the recorded parent, with PROCESS_CREATE_PROCESS); 0 = none */
    int64_t creator_event_id;
    bool creator_by_child_handle;
    bool creator_broker;          /* its CallTrace runs through a broker service (appinfo.dll, ...) */
} ps_creation;

/* "open_image", ... "user_init" for 1..6; NULL otherwise. */
const char *ps_stage_name(int stage);
const char *ps_confidence_name(ps_confidence c);
const char *ps_status_name(ps_creation_status s);
const char *ps_anchor_name(ps_anchor_kind a);

void ps_creation_init(ps_creation *c);
void ps_creation_release(ps_creation *c);

/* Applies the collapse rule to the boundaries and derives the six stages:
 *  - Bk not found but an earlier boundary known: Bk = B(k-1), stage k has
 *    duration 0 and confidence missing, stage k+1 is inferred;
 *  - no earlier boundary known: stages 1..k have NULL times, missing;
 *  - otherwise stage k's confidence is the weaker of its two boundaries.
 * Boundaries found out of order are clamped to their predecessor. */
void ps_creation_derive(ps_creation *c);

#endif
