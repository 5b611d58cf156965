/*
 * internal.h - what the files of the reconstruction engine share (recon.h is
 * its public interface): the engine's state, the open creations, the per-
 * thread and per-process memory, and the table entry of a source family.
 *
 *   core.c      life cycle, processes, threads, the B0/B1 ring, finishing a
 *               creation (store, attribution, hooks), time anchoring, lookups
 *   procmon.c   Procmon PML/CSV/XML (stages.md, "Procmon")
 *   etw.c       ETW kernel traces (stages.md, "ETW kernel trace")
 *   eventlog.c  Sysmon / Security event logs (stages.md, "Sysmon / Security")
 *
 * A new source family is one file defining an rc_family and one line in the
 * table of core.c (HACKING.md).
 *
 * Ownership: everything here belongs to the ps_recon; open creations are
 * owned by r->open until rc_finalize frees them.
 */
#ifndef PS_RECON_INTERNAL_H
#define PS_RECON_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "recon/recon.h"

#define RING_MAX 16384
#define NDBG 4

enum { CAND_FILE = 1, CAND_IFEO = 2, CAND_STACK = 3 };
/* where an open creation is: waiting for B3, for B5, in the loader (B6), done */
enum { P_WAIT_B3 = 0, P_WAIT_B5, P_LOADER, P_DONE };

typedef struct rc_family rc_family;

typedef struct cand {
    int64_t event_id;
    int64_t ts;
    uint64_t hash;
    uint64_t nth;       /* the thread's event ordinal */
    uint8_t kind;
    bool alloc_query;   /* a label or name query of the image: PspAllocateProcess's, stage 2 */
    bool section;       /* the image section's creation (Procmon CreateFileMapping) */
    bool nested;        /* I/O issued inside the open of the file above it (its stack holds the open's) */
} cand;

typedef struct dbgq {
    int64_t event_id;
    int64_t ts;
    char *name;    /* IFEO subkey: the hijacked image's file name */
    char *data;    /* the Debugger value */
} dbgq;

typedef struct thr {
    uint64_t key;
    uint64_t nevents;   /* events seen on this thread */
    int64_t last_ts;    /* its latest event */
    cand *ring;
    uint32_t cap, head, count;
    bool has_create;
    int64_t last_create_event;
    dbgq dbg[NDBG];
    uint32_t ndbg;
    /* the stack (innermost first, at most NOPENFRAMES) of the thread's last
     * file event with one, and that event's name hash: a later file event
     * whose stack holds it was issued inside that call (nested I/O) */
    uint64_t *open_frames;
    uint32_t nopen_frames;
    uint64_t open_hash;
} thr;
#define NOPENFRAMES 128

typedef struct proc {
    int64_t process_id;
    uint32_t pid;
    int64_t proc_index;
    int64_t parent_index;
    bool from_table;
    bool has_parent_pid;
    uint32_t parent_pid;
    int64_t parent_process_id;
    char *name, *image_path, *command_line, *current_dir, *user, *integrity;
    char *company, *version, *description;
    bool has_start, has_end, has_exit;
    int64_t start_ts, end_ts, exit_status;
    int32_t session;
    int is64;
    bool exited;
    bool subsystem;
    /* main image module from the process table */
    uint64_t main_base, main_size;
} proc;

typedef struct oc {
    ps_creation c;
    int phase;
    bool no_tid;
    uint64_t creator_key;
    uint64_t image_hash;
    const char *image_base;      /* points into c.image_path */
    bool start_seen;             /* the child's Process Start */
    /* B4 */
    bool b4;
    bool b4_observed;            /* the candidate is under a notify_subsystem frame */
    int64_t b4_ts, b4_event;
    char b4_rule[160];
    int64_t *sub_events;         /* subsystem events for attribution */
    size_t nsub, subcap;
    /* B6 */
    bool have_load, have_loader;
    int64_t last_load_ts, last_load_event;
    int64_t last_loader_ts, last_loader_event;
    char last_loader_what[96];
    bool have_prev;
    int64_t prev_ts, prev_event;  /* last event of the child */
    bool have_main;
    uint64_t main_base, main_size;
    /* the creator's anchor, for attribution */
    int64_t creator_tid_attr;     /* -1 when the creator thread is unknown */
    size_t procs_at_anchor;       /* process rows that existed at the anchor */
    /* event logs: the Sysmon ProcessGuid of the child */
    char *el_guid;
    /* ETW B4: the creator's ALPC message to a subsystem server */
    bool alpc_sent, alpc_served;
    uint32_t alpc_message;
    size_t open_at;               /* its slot in r->open */
    size_t wait_at;               /* its slot in r->wait, while phase == P_WAIT_B5 */
    bool waiting;
    /* Procmon (procmon.c): the initial thread's kernel start-up before B5,
     * the creator's close of the image (end of the CreateProcess tail), and
     * B6 without stacks (the mapping burst, the entry-point evidence) */
    bool pm_startup, pm_prefetch;
    uint32_t pm_startup_n;
    bool pm_image_closed;
    bool pm_nonloader, pm_burst_closed;
    bool pm_nq_pending;
    int64_t pm_nq_event, pm_nq_b6_ts, pm_nq_b6_event;
    char pm_nq_what[96];
    /* ETW (recon/etw.c): start-up work of the initial thread before B5
     * (the prefetcher's .pf read seen), an IL-only image (mscoree.dll the
     * first DLL after ntdll) and the modules that place _CorExeMain, the
     * creator's CreateProcess tail for B4 and the anchor's user frames */
    bool etw_pf_seen;
    bool etw_il, etw_il_closure_over;
    uint32_t etw_dll_loads;
    uint64_t etw_ntdll[2], etw_k32[2], etw_mscoree[2];    /* base, size */
    bool etw_tail;
    int64_t etw_tail_ts, etw_tail_event;
    char etw_tail_what[128];
    uint64_t etw_anchor_frames[48];
    uint32_t etw_nanchor;
    bool etw_tail_closed;
    uint32_t etw_startup_events;
    /* event logs (eventlog.c): which of ntdll, kernel32, KernelBase the
     * first burst of Sysmon 7 loads holds (bits 1, 2, 4) */
    unsigned el_core_loads;
    /* Procmon, ETW: the initial thread's exit while loading, until the
     * process's exit says how it ended */
    int64_t pm_exit_ts, pm_exit_event;
    /* WerFault.exe started by the child while it loads (rc_note_werfault) */
    int64_t werfault_event;
    uint32_t werfault_pid;
} oc;

/* The rules of one source family (stages.md has a section per family): how
 * its process records and events become process rows, and how its events
 * mark the boundaries.  NULL members take the core's default. */
struct rc_family {
    ps_source_family family;
    const char *name;
    size_t state_size;           /* fam_state, zeroed at ps_recon_new */
    /* process records (a process table, an ETW rundown); default
     * rc_table_process_record */
    int (*process_record)(ps_recon *r, const ps_process_rec *pr, ps_error *err);
    /* the process row of an event; default rc_table_resolve */
    int (*resolve)(ps_recon *r, const ps_event *ev, int64_t *process_id, ps_error *err);
    /* one event, after the store gave it event_id (required) */
    int (*event)(ps_recon *r, const ps_event *ev, int64_t event_id, ps_error *err);
    /* the end of the trace: creations still open are finished (required) */
    int (*finish)(ps_recon *r, ps_error *err);
    /* releases what fam_state points to (not fam_state itself); may be NULL */
    void (*release)(ps_recon *r);
};

struct ps_recon {
    ps_store *store;
    const ps_recon_config *cfg;
    int64_t trace_id;
    ps_trace_info *info;
    ps_creation_hook hook;
    void *hook_ctx;

    thr *thr;
    size_t nthr, thrcap;
    ps_map thr_by_key;     /* key -> index + 1 */
    size_t *thr_free;
    size_t nfree, freecap;

    proc *procs;
    size_t nprocs, proccap;
    ps_map proc_by_pid;    /* live pid -> index + 1 */
    ps_map proc_by_index;  /* source ProcessIndex -> index + 1 */

    oc **open;
    size_t nopen, opencap;
    /* indexes of the open creations, so that no event costs a walk over
     * them all: by child pid (those opened by rc_oc_open; one per pid), by
     * Sysmon ProcessGuid (rc_open_index_guid), those waiting for B5 (the
     * B4 candidates), and the earliest time a family's sweep can end one */
    ps_map open_by_pid;    /* pid -> oc * */
    ps_map open_by_guid;   /* rc_name_hash(guid) -> oc * */
    size_t guid_clashes;   /* guids not indexed (a hash clash): lookups scan */
    oc **wait;
    size_t nwait, waitcap;
    int64_t next_deadline;

    ps_recon_summary sum;
    uint64_t events;
    bool oom;                     /* an allocation failed (see rc_strdup) */
    bool seen_file_or_registry;   /* the capture was not filtered to process events */
    /* time anchoring: votes for the local->UTC shift, in 15-minute units */
    int64_t votes[8];
    uint64_t vote_count[8];
    size_t nvotes;
    uint64_t vote_total;

    ps_buf scratch;
    bool symbolic;               /* events carry stack attribution (frame_stage) */

    /* the rules of the trace's source family, and their own state */
    const rc_family *fam;
    void *fam_state;
};

/* The families (procmon.c, etw.c, eventlog.c). */
extern const rc_family rc_procmon;
extern const rc_family rc_etw;
extern const rc_family rc_eventlog;

/* Per-event bookkeeping of the thread-aware families (Procmon, ETW): the
 * thread's image/IFEO candidates for B0/B1 and Debugger reads, the idle-
 * thread sweep, and the event's process row.  Sets *t and *evp (NULL when
 * the engine has no row). */
int rc_thread_event(ps_recon *r, const ps_event *ev, int64_t event_id, thr **t, proc **evp, ps_error *err);
int rc_table_process_record(ps_recon *r, const ps_process_rec *pr, ps_error *err);
int rc_table_resolve(ps_recon *r, const ps_event *ev, int64_t *process_id, ps_error *err);

/* Shared helpers (core.c). */
char *rc_strdup(ps_recon *r, const char *s);
void rc_set_str(ps_recon *r, char **dst, const char *s);
uint64_t rc_name_hash(const char *s, size_t n);
bool rc_result_success(const char *r);
uint64_t rc_thr_key(uint32_t pid, uint32_t tid);
thr *rc_thr_get(ps_recon *r, uint64_t key, bool create);
void rc_thr_drop(ps_recon *r, uint64_t key);
proc *rc_proc_new(ps_recon *r, uint32_t pid);
void rc_proc_set_name(ps_recon *r, proc *p, const char *name);
proc *rc_proc_at(ps_recon *r, uint64_t v);
proc *rc_proc_live(ps_recon *r, uint32_t pid);
proc *rc_proc_live_or_new(ps_recon *r, uint32_t pid);
void rc_proc_absorb_attrs(ps_recon *r, proc *p, const ps_event *ev);
oc *rc_open_for_child(ps_recon *r, uint32_t pid);
/* Sets o->phase, keeping r->wait (the creations in P_WAIT_B5) true;
 * PS_ERR_NOMEM when the list cannot grow. */
int rc_set_phase(ps_recon *r, oc *o, int phase);
/* Indexes o by its el_guid; the open creation of a Sysmon ProcessGuid. */
int rc_open_index_guid(ps_recon *r, oc *o);
oc *rc_open_for_guid(ps_recon *r, const char *guid);
/* A family sweep may end a creation once the time passes t
 * (r->next_deadline = min); a + b saturated. */
void rc_deadline(ps_recon *r, int64_t t);
int64_t rc_add_sat(int64_t a, int64_t b);
void rc_set_boundary(ps_boundary *b, int64_t ts, int64_t event_id, ps_confidence conf, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void rc_oc_free(oc *o);
int rc_finalize(ps_recon *r, oc *o, ps_creation_status status, ps_error *err);
int rc_open_push(ps_recon *r, oc *o);
void rc_set_ifeo(ps_recon *r, ps_creation *c, const char *name, const char *data, int64_t event_id);
void rc_find_b0_b1(ps_recon *r, oc *o, thr *t, const ps_event *ev, uint64_t h2);
oc *rc_oc_new(ps_recon *r, ps_anchor_kind kind, const ps_event *ev, int64_t event_id);
void rc_oc_set_image(ps_recon *r, oc *o, const char *path);
void rc_oc_set_creator(oc *o, const ps_event *ev);
int rc_oc_open(ps_recon *r, oc *o, ps_error *err);
uint64_t rc_ifeo_redirect(ps_recon *r, oc *o, thr *t, const ps_event *ev);
oc *rc_oc_new_started(ps_recon *r, const ps_event *ev, int64_t event_id, const proc *evp, const char *image);
bool rc_same_dir(const char *a, const char *b);
int rc_add_sub_event(oc *o, int64_t event_id);
bool rc_frames_hit(const ps_event *ev, uint64_t base, uint64_t size);
/* the prefetcher's file (\\Prefetch\\*.pf) and its upper-case metadata opens:
 * kernel start-up work of an initial thread (procmon.c, etw.c) */
bool rc_prefetch_file(const char *path);
bool rc_upper_case_path(const char *p);
/* an exit status with error severity (0xC...): a death, not an exit; its text
 * ("0xC0000135 STATUS_DLL_NOT_FOUND", the bare code when unnamed) */
bool rc_ntstatus_error(int64_t status);
void rc_ntstatus_text(int64_t status, char *buf, size_t cap);
/* A Process Create of WerFault.exe by the loading child `o` (its crash
 * report, the failure's witness) is remembered for rc_died_loading. */
void rc_note_werfault(oc *o, const ps_event *ev, int64_t event_id);
/* A death during user_init (refinement 10): the process exited with the
 * error `status` before its entry point ran.  B6 is the initial thread's
 * exit when one was seen (o->pm_exit_event), else the process's exit at
 * (ts, event_id); the NTSTATUS and a WerFault child are in the evidence;
 * the creation failed. */
int rc_died_loading(ps_recon *r, oc *o, int64_t ts, int64_t event_id, int64_t status, ps_error *err);
void rc_add_note(ps_creation *c, const char *text);
void rc_sweep_threads(ps_recon *r, int64_t now);
proc *rc_proc_by_id(ps_recon *r, int64_t process_id);

#endif
