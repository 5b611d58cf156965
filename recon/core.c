/*
 * core.c - the streaming reconstruction engine (see recon.h and
 * docs/model.md, "Reconstruction").
 *
 * Boundaries for Procmon sources (stages.md):
 *   B2  the creator's Process Create (observed); orphans: the child's Process
 *       Start (inferred).
 *   B3  the Thread Create logged under the child right after the anchor,
 *       carrying the initial TID (observed).
 *   B0  the first, B1 the last event of the creator thread - after its
 *       previous Process Create and within b0_window of B2 - on the image
 *       (file events whose last path component is the image's file name) or
 *       its IFEO key (observed).
 *   B4  the last creator-thread tail event or subsystem (csrss) event on the
 *       child's image before B5 (inferred).
 *   B5  the first event of the child's initial thread other than Process
 *       Start / Thread Create (observed).
 *   B6  stacks: the last event of the child before the first initial-thread
 *       event with a frame in the main image (observed); else the last Load
 *       Image before the first non-loader event of the initial thread
 *       (inferred); exit or end of trace while loading: the last loader event
 *       (inferred, partial).
 */
#include "recon/recon.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "parsers/winevent/evx.h"

#define RING_MAX 16384
#define NDBG 4
#define EL_NDBG 64

enum { CAND_FILE = 1, CAND_IFEO = 2, CAND_STACK = 3 };
enum { P_WAIT_B3 = 0, P_WAIT_B5, P_LOADER, P_DONE };

typedef struct cand {
    int64_t event_id;
    int64_t ts;
    uint64_t hash;
    uint64_t nth;       /* the thread's event ordinal */
    uint8_t kind;
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
} thr;

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
} oc;

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

    ps_recon_summary sum;
    uint64_t events;
    bool oom;                     /* an allocation failed (see dup_or_null) */
    bool seen_file_or_registry;   /* the capture was not filtered to process events */
    /* time anchoring: votes for the local->UTC shift, in 15-minute units */
    int64_t votes[8];
    uint64_t vote_count[8];
    size_t nvotes;
    uint64_t vote_total;

    ps_buf scratch;

    /* event logs (Sysmon / Security): IFEO Debugger values set in the log */
    struct el_dbg {
        char *name;       /* the IFEO subkey: the image */
        char *data;       /* the Debugger value */
        int64_t event_id;
    } el_dbg[EL_NDBG];
    size_t el_ndbg;
    bool el_seen_loads;   /* the log holds Sysmon 7 image loads */
    bool symbolic;               /* events carry stack attribution (frame_stage) */
};

/* ---- small helpers -------------------------------------------------------- */

/* The engine's string copies: a failed allocation sets r->oom, which every
 * entry point turns into PS_ERR_NOMEM, so that nothing is dropped silently. */
static char *dup_or_null(ps_recon *r, const char *s)
{
    char *d;
    if (!s || !*s)
        return NULL;
    d = ps_strdup(s);
    if (!d)
        r->oom = true;
    return d;
}

static void set_str(ps_recon *r, char **dst, const char *s)
{
    if (!*dst && s && *s)
        *dst = dup_or_null(r, s);
}

static uint64_t name_hash(const char *s, size_t n)
{
    return ps_hash_ci(s, n);
}

static uint64_t basename_hash(const char *path)
{
    const char *b = ps_path_basename(path);
    return name_hash(b, strlen(b));
}

static bool result_success(const char *r)
{
    return !r || !*r || strcmp(r, "SUCCESS") == 0;
}

/* ---- threads ------------------------------------------------------------------ */

static uint64_t thr_key(uint32_t pid, uint32_t tid)
{
    return ((uint64_t)pid << 32) | tid;
}

static thr *thr_get(ps_recon *r, uint64_t key, bool create)
{
    uint64_t v;
    size_t idx;

    if (ps_map_get(&r->thr_by_key, key, &v))
        return &r->thr[v - 1];
    if (!create)
        return NULL;
    if (r->nfree) {
        idx = r->thr_free[--r->nfree];
    } else {
        if (r->nthr == r->thrcap) {
            size_t nc = r->thrcap ? r->thrcap * 2 : 256;
            thr *nt = realloc(r->thr, nc * sizeof *nt);
            if (!nt)
                return NULL;
            r->thr = nt;
            r->thrcap = nc;
        }
        idx = r->nthr++;
    }
    memset(&r->thr[idx], 0, sizeof r->thr[idx]);
    r->thr[idx].key = key;
    if (ps_map_put(&r->thr_by_key, key, idx + 1) < 0)
        return NULL;
    return &r->thr[idx];
}

static void thr_clear(thr *t)
{
    uint32_t i;
    free(t->ring);
    for (i = 0; i < t->ndbg && i < NDBG; i++) {
        free(t->dbg[i].name);
        free(t->dbg[i].data);
    }
    memset(t, 0, sizeof *t);
}

static void thr_drop(ps_recon *r, uint64_t key)
{
    uint64_t v;
    if (!ps_map_get(&r->thr_by_key, key, &v))
        return;
    thr_clear(&r->thr[v - 1]);
    ps_map_del(&r->thr_by_key, key);
    if (r->nfree == r->freecap) {
        size_t nc = r->freecap ? r->freecap * 2 : 64;
        size_t *nf = realloc(r->thr_free, nc * sizeof *nf);
        if (!nf)
            return;   /* the slot is simply not reused */
        r->thr_free = nf;
        r->freecap = nc;
    }
    r->thr_free[r->nfree++] = (size_t)(v - 1);
}

static int ring_push(thr *t, int64_t window, const cand *c)
{
    /* forget candidates older than the window */
    while (t->count && c->ts - t->ring[t->head].ts > window) {
        t->head = (t->head + 1) % t->cap;
        t->count--;
    }
    if (t->count == t->cap) {
        if (t->cap < RING_MAX) {
            uint32_t nc = t->cap ? t->cap * 2 : 16, i;
            cand *nr = malloc(nc * sizeof *nr);
            if (!nr)
                return PS_ERR_NOMEM;
            for (i = 0; i < t->count; i++)
                nr[i] = t->ring[(t->head + i) % t->cap];
            free(t->ring);
            t->ring = nr;
            t->cap = nc;
            t->head = 0;
        } else {
            /* full at the limit: drop the oldest */
            t->head = (t->head + 1) % t->cap;
            t->count--;
        }
    }
    t->ring[(t->head + t->count) % t->cap] = *c;
    t->count++;
    return 0;
}

static int dbg_push(thr *t, const ps_event *ev, int64_t event_id, const char *name, size_t nlen)
{
    dbgq *d = &t->dbg[t->ndbg % NDBG];

    if (t->ndbg >= NDBG) {
        free(d->name);
        free(d->data);
    }
    d->event_id = event_id;
    d->ts = ev->ts;
    d->name = ps_strndup(name, nlen);
    d->data = ps_strdup(ev->reg_data ? ev->reg_data : "");
    t->ndbg++;
    if (!d->name || !d->data)
        return PS_ERR_NOMEM;
    return 0;
}

/* ---- processes ------------------------------------------------------------------- */

static proc *proc_new(ps_recon *r, uint32_t pid)
{
    proc *p;
    if (r->nprocs == r->proccap) {
        size_t nc = r->proccap ? r->proccap * 2 : 256;
        proc *np = realloc(r->procs, nc * sizeof *np);
        if (!np)
            return NULL;
        r->procs = np;
        r->proccap = nc;
    }
    p = &r->procs[r->nprocs++];
    memset(p, 0, sizeof *p);
    p->process_id = ps_store_next_process_id(r->store);
    p->pid = pid;
    p->proc_index = -1;
    p->parent_index = -1;
    p->session = -1;
    p->is64 = -1;
    return p;
}

static bool name_in(const ps_strlist *l, const char *name)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (ps_streq_ci(l->items[i], name))
            return true;
    return false;
}

static void proc_set_name(ps_recon *r, proc *p, const char *name)
{
    if (!p->name && name && *name) {
        p->name = dup_or_null(r, name);
        p->subsystem = name_in(&r->cfg->subsystem_processes, name);
    }
}

static proc *proc_at(ps_recon *r, uint64_t v)
{
    return v ? &r->procs[v - 1] : NULL;
}

static proc *proc_live(ps_recon *r, uint32_t pid)
{
    uint64_t v;
    return ps_map_get(&r->proc_by_pid, pid, &v) ? proc_at(r, v) : NULL;
}

/* The live process of a PID, or a new row for a process that existed
 * before the trace started; NULL when out of memory. */
static proc *proc_live_or_new(ps_recon *r, uint32_t pid)
{
    proc *p = proc_live(r, pid);

    if (p)
        return p;
    p = proc_new(r, pid);
    if (!p || ps_map_put(&r->proc_by_pid, pid, r->nprocs) < 0)
        return NULL;
    r->sum.processes++;
    return p;
}

static int etw_process_record(ps_recon *r, const ps_process_rec *pr, ps_error *err);
static int etw_resolve(ps_recon *r, const ps_event *ev, int64_t *process_id, ps_error *err);

int ps_recon_process_record(ps_recon *r, const ps_process_rec *pr, ps_error *err)
{
    proc *p;
    uint32_t i;
    int rc;

    if (r->info->family == PS_FAMILY_ETW)
        return etw_process_record(r, pr, err);
    p = proc_new(r, pr->pid);
    if (!p)
        return ps_error_nomem(err);
    p->from_table = true;
    p->proc_index = pr->proc_index;
    p->parent_index = pr->parent_index;
    p->has_parent_pid = true;
    p->parent_pid = pr->parent_pid;
    proc_set_name(r, p, pr->process_name);
    set_str(r, &p->image_path, pr->image_path);
    set_str(r, &p->command_line, pr->command_line);
    set_str(r, &p->user, pr->user);
    set_str(r, &p->integrity, pr->integrity);
    set_str(r, &p->company, pr->company);
    set_str(r, &p->version, pr->version);
    set_str(r, &p->description, pr->description);
    if (pr->start_ts > 0) {
        p->has_start = true;
        p->start_ts = pr->start_ts;
    }
    if (pr->end_ts > 0) {
        p->has_end = true;
        p->end_ts = pr->end_ts;
    }
    if (pr->has_exit_status) {
        p->has_exit = true;
        p->exit_status = pr->exit_status;
    }
    p->session = pr->session;
    p->is64 = pr->is64;
    if (pr->proc_index >= 0 && ps_map_put(&r->proc_by_index, (uint64_t)pr->proc_index, r->nprocs) < 0)
        return ps_error_nomem(err);
    if (ps_map_put(&r->proc_by_pid, pr->pid, r->nprocs) < 0)
        return ps_error_nomem(err);
    for (i = 0; i < pr->nmodules; i++) {
        const ps_module *m = &pr->modules[i];
        if ((rc = ps_store_add_module(r->store, p->process_id, m, err)) < 0)
            return rc;
        if (!p->main_size && m->path && p->image_path && ps_streq_ci(m->path, p->image_path)) {
            p->main_base = m->base;
            p->main_size = m->size;
        }
    }
    r->sum.processes++;
    return r->oom ? ps_error_nomem(err) : 0;
}

static void proc_absorb_attrs(ps_recon *r, proc *p, const ps_event *ev)
{
    const ps_proc_attrs *a = ev->proc;

    proc_set_name(r, p, ev->process_name);
    if (!a)
        return;
    set_str(r, &p->image_path, a->image_path);
    set_str(r, &p->command_line, a->command_line);
    set_str(r, &p->user, a->user);
    set_str(r, &p->integrity, a->integrity);
    set_str(r, &p->company, a->company);
    set_str(r, &p->version, a->version);
    set_str(r, &p->description, a->description);
    if (!p->has_parent_pid && a->has_parent_pid) {
        p->has_parent_pid = true;
        p->parent_pid = a->parent_pid;
    }
    if (p->session < 0 && a->session >= 0)
        p->session = a->session;
    if (p->is64 < 0 && a->architecture && *a->architecture)
        p->is64 = strstr(a->architecture, "64") != NULL;
}

int ps_recon_resolve(ps_recon *r, const ps_event *ev, int64_t *process_id, ps_error *err)
{
    proc *p = NULL;
    uint64_t v;

    if (r->info->family == PS_FAMILY_ETW)
        return etw_resolve(r, ev, process_id, err);
    if (ev->proc_index >= 0 && ps_map_get(&r->proc_by_index, (uint64_t)ev->proc_index, &v))
        p = proc_at(r, v);
    if (!p && ev->op == PS_OP_PROCESS_START) {
        /* a new process instance for this PID (PIDs are reused) */
        proc *old = proc_live(r, ev->pid);
        if (old && old->from_table && !old->exited && !old->has_end && ev->proc_index < 0) {
            p = old;
        } else {
            p = proc_new(r, ev->pid);
            if (!p)
                return ps_error_nomem(err);
            if (ps_map_put(&r->proc_by_pid, ev->pid, r->nprocs) < 0)
                return ps_error_nomem(err);
            r->sum.processes++;
        }
    }
    if (!p && !(p = proc_live_or_new(r, ev->pid)))
        return ps_error_nomem(err);
    proc_absorb_attrs(r, p, ev);
    if (r->oom)
        return ps_error_nomem(err);
    if (ev->op == PS_OP_PROCESS_START && !p->from_table) {
        p->has_start = true;
        p->start_ts = ev->ts;
        if (ev->has_parent_pid) {
            proc *pp = proc_live(r, ev->parent_pid);
            p->has_parent_pid = true;
            p->parent_pid = ev->parent_pid;
            if (pp && pp != p)
                p->parent_process_id = pp->process_id;
        }
        set_str(r, &p->command_line, ev->command_line);
        set_str(r, &p->current_dir, ev->current_dir);
    } else if (ev->op == PS_OP_PROCESS_START) {
        set_str(r, &p->current_dir, ev->current_dir);
    }
    if (ev->op == PS_OP_PROCESS_EXIT) {
        p->exited = true;
        if (!p->from_table || !p->has_end) {
            p->has_end = true;
            p->end_ts = ev->ts;
        }
        if (ev->has_exit_status) {
            p->has_exit = true;
            p->exit_status = ev->exit_status;
        }
    }
    *process_id = p->process_id;
    return 0;
}

/* ---- creations ------------------------------------------------------------------- */

static oc *open_for_child(ps_recon *r, uint32_t pid)
{
    size_t i;
    for (i = 0; i < r->nopen; i++)
        if (r->open[i]->c.has_child_pid && r->open[i]->c.child_pid == pid)
            return r->open[i];
    return NULL;
}

static void set_boundary(ps_boundary *b, int64_t ts, int64_t event_id, ps_confidence conf,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void set_boundary(ps_boundary *b, int64_t ts, int64_t event_id, ps_confidence conf,
                         const char *fmt, ...)
{
    va_list ap;
    b->found = true;
    b->collapsed = false;
    b->ts = ts;
    b->event_id = event_id;
    b->conf = conf;
    va_start(ap, fmt);
    vsnprintf(b->rule, sizeof b->rule, fmt, ap);
    va_end(ap);
}

static void oc_free(oc *o)
{
    if (!o)
        return;
    ps_creation_release(&o->c);
    free(o->sub_events);
    free(o->el_guid);
    free(o);
}

static int attribute(ps_recon *r, oc *o, ps_error *err)
{
    ps_creation *c = &o->c;
    int64_t id = c->creation_id;
    int rc = 0;
    size_t i;

    /* the creator thread: stages 1..4 */
    if (c->has_creator && c->anchor == PS_ANCHOR_PROCESS_CREATE) {
        uint32_t P = c->creator_pid;
        int64_t T = o->creator_tid_attr;
        if (c->b[0].found && c->b[1].found &&
            (rc = ps_store_attribute(r->store, id, 1, c->b[0].event_id, c->b[1].event_id, P, T, err)) < 0)
            return rc;
        if ((rc = ps_store_attribute(r->store, id, 2, c->b[1].found ? c->b[1].event_id + 1 : c->b[2].event_id,
                                     c->b[2].event_id, P, T, err)) < 0)
            return rc;
        if (c->b[3].found &&
            (rc = ps_store_attribute(r->store, id, 3, c->b[2].event_id + 1, c->b[3].event_id, P, T, err)) < 0)
            return rc;
        if (c->b[4].found && c->b[3].found &&
            (rc = ps_store_attribute(r->store, id, 4, c->b[3].event_id + 1, c->b[4].event_id, P, T, err)) < 0)
            return rc;
    } else if ((rc = ps_store_attribute_one(r->store, id, 2, c->b[2].event_id, err)) < 0) {
        return rc;
    }
    if (!c->has_child_pid)
        return 0;
    /* the child: Process Start / Thread Create (3), first event (5), loader (6) */
    if (c->b[3].found &&
        (rc = ps_store_attribute(r->store, id, 3, c->b[2].event_id + 1, c->b[3].event_id, c->child_pid, -1,
                                 err)) < 0)
        return rc;
    for (i = 0; i < o->nsub; i++)
        if ((rc = ps_store_attribute_one(r->store, id, 4, o->sub_events[i], err)) < 0)
            return rc;
    if (c->b[5].found &&
        (rc = ps_store_attribute(r->store, id, 5, c->b[2].event_id + 1, c->b[5].event_id, c->child_pid, -1,
                                 err)) < 0)
        return rc;
    if (c->b[5].found && c->b[6].found &&
        (rc = ps_store_attribute(r->store, id, 6, c->b[5].event_id + 1, c->b[6].event_id, c->child_pid, -1,
                                 err)) < 0)
        return rc;
    return 0;
}

/* The creator's and the recorded parent's names and command lines, for
 * the detectors (when the source-specific rules did not set them). */
static void name_parties(ps_recon *r, ps_creation *c)
{
    size_t i;

    if (!c->creator_name && c->creator_process_id) {
        for (i = r->nprocs; i-- > 0;)
            if (r->procs[i].process_id == c->creator_process_id) {
                const proc *p = &r->procs[i];
                set_str(r, &c->creator_name, p->name ? p->name : p->image_path ? ps_path_basename(p->image_path) : NULL);
                set_str(r, &c->creator_cmdline, p->command_line);
                break;
            }
    }
    if (!c->parent_name && c->has_parent_pid) {
        const proc *p = proc_live(r, c->parent_pid);
        if (p && p->process_id != c->child_process_id) {
            set_str(r, &c->parent_name, p->name ? p->name : p->image_path ? ps_path_basename(p->image_path) : NULL);
            set_str(r, &c->parent_cmdline, p->command_line);
        }
    }
}

/* Ends an open creation: B4 from its candidate, stages derived, stored,
 * events attributed, detectors run. */
static int finalize(ps_recon *r, oc *o, ps_creation_status status, ps_error *err)
{
    ps_creation *c = &o->c;
    size_t i;
    int rc;

    if (o->phase < P_LOADER && o->b4 && !c->b[4].found && c->b[3].found)
        set_boundary(&c->b[4], o->b4_ts, o->b4_event, o->b4_observed ? PS_CONF_OBSERVED : PS_CONF_INFERRED,
                     "%s", o->b4_rule);
    if (c->has_child_pid && !c->child_process_id) {
        uint64_t v;
        if (ps_map_get(&r->proc_by_pid, c->child_pid, &v) &&
            (r->procs[v - 1].from_table || v - 1 >= o->procs_at_anchor))
            c->child_process_id = r->procs[v - 1].process_id;
    }
    if (!c->has_parent_pid && c->has_creator) {
        c->has_parent_pid = true;
        c->parent_pid = c->creator_pid;
    }
    name_parties(r, c);
    c->status = status;
    ps_creation_derive(c);
    if ((rc = ps_store_add_creation(r->store, c, err)) < 0)
        return rc;
    if ((rc = attribute(r, o, err)) < 0)
        return rc;
    r->sum.creations++;
    if (status == PS_STATUS_COMPLETE)
        r->sum.creations_complete++;
    else if (status == PS_STATUS_PARTIAL)
        r->sum.creations_partial++;
    else
        r->sum.creations_failed++;

    /* time anchoring evidence: the child's process-table CreateTime */
    if (r->info->time_basis != PS_TIME_UTC && c->has_child_pid && c->b[2].found) {
        proc *p = NULL;
        size_t k;
        for (k = 0; k < r->nprocs; k++)
            if (r->procs[k].process_id == c->child_process_id) {
                p = &r->procs[k];
                break;
            }
        if (p && p->from_table && p->has_start) {
            const int64_t q = 15 * 60 * PS_TICKS_PER_SEC;
            int64_t d = p->start_ts - c->create_ts;
            int64_t unit = (d >= 0 ? d + q / 2 : d - q / 2) / q;
            int64_t resid = d - unit * q;
            r->vote_total++;
            if (resid > -PS_TICKS_PER_SEC && resid < PS_TICKS_PER_SEC) {
                for (k = 0; k < r->nvotes; k++)
                    if (r->votes[k] == unit)
                        break;
                if (k == r->nvotes && r->nvotes < PS_ARRAY_LEN(r->votes)) {
                    r->votes[k] = unit;
                    r->vote_count[k] = 0;
                    r->nvotes++;
                }
                if (k < r->nvotes)
                    r->vote_count[k]++;
            }
        }
    }

    if (r->hook && (rc = r->hook(r->hook_ctx, c, err)) < 0)
        return rc;
    /* forget it */
    for (i = 0; i < r->nopen; i++)
        if (r->open[i] == o) {
            r->open[i] = r->open[--r->nopen];
            break;
        }
    oc_free(o);
    return 0;
}

static int open_push(ps_recon *r, oc *o)
{
    if (r->nopen == r->opencap) {
        size_t nc = r->opencap ? r->opencap * 2 : 16;
        oc **no = realloc(r->open, nc * sizeof *no);
        if (!no)
            return PS_ERR_NOMEM;
        r->open = no;
        r->opencap = nc;
    }
    r->open[r->nopen++] = o;
    return 0;
}

/* "C:\Windows\System32\sethc.exe" from a command line carrying the name X. */
static char *requested_from_cmdline(ps_recon *r, const char *cmd, const char *name)
{
    const char *p = cmd, *hit = NULL;
    size_t nl = strlen(name);

    while ((p = ps_strstr_ci(p, name)) != NULL) {
        char after = p[nl];
        if (after == '\0' || after == ' ' || after == '"' || after == '\t') {
            hit = p;
            break;
        }
        p++;
    }
    if (!hit)
        return NULL;
    {
        const char *s = hit;
        size_t quotes = 0;
        const char *q;
        for (q = cmd; q < hit; q++)
            if (*q == '"')
                quotes++;
        if (quotes % 2) {
            while (s > cmd && s[-1] != '"')
                s--;
        } else {
            while (s > cmd && s[-1] != ' ' && s[-1] != '"' && s[-1] != '\t')
                s--;
        }
        char *out = ps_strndup(s, (size_t)(hit + nl - s));
        if (!out)
            r->oom = true;
        return out;
    }
}

/* The creation ran the Debugger of the IFEO key `name` (value `data`,
 * evidenced by event_id): the requested image is the one named on the
 * command line. */
static void set_ifeo(ps_recon *r, ps_creation *c, const char *name, const char *data, int64_t event_id)
{
    c->ifeo_image = dup_or_null(r, name);
    c->ifeo_debugger = dup_or_null(r, data);
    c->ifeo_event_id = event_id;
    free(c->requested_image);
    c->requested_image = requested_from_cmdline(r, c->command_line, name);
    if (!c->requested_image)
        c->requested_image = dup_or_null(r, name);
}

/* B0/B1: the creator thread's events on the image (file events whose last
 * path component is the image's file name) or on its IFEO key, after the
 * thread's previous Process Create and within b0_window of the anchor.  Of
 * those, the last cluster before the anchor counts: walking back from the
 * newest, matching events separated by at most b0_max_gap_events other events
 * of the thread.  Earlier touches of the same file by the caller itself
 * (Explorer's ShellExecute association lookups, a shell's own path search)
 * are separated from CreateProcessInternalW's burst by dozens of events. */
static const char *cand_kind_name(uint8_t kind)
{
    return kind == CAND_IFEO ? "IFEO" : kind == CAND_STACK ? "open_image stack-frame" : "image file";
}

static void find_b0_b1(ps_recon *r, oc *o, thr *t, const ps_event *ev, uint64_t h2)
{
    ps_creation *c = &o->c;
    int64_t lo = ev->ts - r->cfg->b0_window;
    uint32_t i;
    const cand *newest = NULL, *oldest = NULL;
    ps_confidence conf = o->no_tid ? PS_CONF_INFERRED : PS_CONF_OBSERVED;

    for (i = t->count; i-- > 0;) {
        const cand *k = &t->ring[(t->head + i) % t->cap];
        if (t->has_create && k->event_id <= t->last_create_event)
            break;
        if (k->ts < lo)
            break;
        if (k->kind != CAND_STACK && (k->hash == 0 || (k->hash != o->image_hash && k->hash != h2)))
            continue;
        if (oldest && oldest->nth - k->nth - 1 > r->cfg->b0_max_gap_events)
            break;
        if (!newest)
            newest = k;
        oldest = k;
    }
    if (!newest)
        return;
    set_boundary(&c->b[0], oldest->ts, oldest->event_id, conf,
                 "first %s event of the creator %s's burst on the image before the Process Create",
                 cand_kind_name(oldest->kind), o->no_tid ? "process" : "thread");
    set_boundary(&c->b[1], newest->ts, newest->event_id, conf,
                 "last %s event of the creator %s on the image before the Process Create",
                 cand_kind_name(newest->kind), o->no_tid ? "process" : "thread");
}

static void add_note(ps_creation *c, const char *text);

/* A new open creation anchored on event_id. */
static oc *oc_new(ps_recon *r, ps_anchor_kind kind, const ps_event *ev, int64_t event_id)
{
    oc *o = calloc(1, sizeof *o);
    ps_creation *c;

    if (!o)
        return NULL;
    c = &o->c;
    ps_creation_init(c);
    o->procs_at_anchor = r->nprocs;
    o->no_tid = !ev->has_tid;
    o->creator_tid_attr = -1;
    c->creation_id = ps_store_next_creation_id(r->store);
    c->trace_id = r->trace_id;
    c->anchor = kind;
    c->anchor_event_id = event_id;
    c->result = dup_or_null(r, ev->result);
    c->create_ts = ev->ts;
    return o;
}

/* Sets the image of an open creation and the hash B0/B1 look for. */
static void oc_set_image(ps_recon *r, oc *o, const char *path)
{
    o->c.image_path = dup_or_null(r, path);
    o->c.requested_image = dup_or_null(r, path);
    o->image_base = o->c.image_path ? ps_path_basename(o->c.image_path) : "";
    o->image_hash = *o->image_base ? name_hash(o->image_base, strlen(o->image_base)) : 0;
}

/* The creator: the process and thread that logged the anchor. */
static void oc_set_creator(oc *o, const ps_event *ev)
{
    ps_creation *c = &o->c;

    c->has_creator = true;
    c->creator_pid = ev->pid;
    o->creator_key = thr_key(ev->pid, ev->has_tid ? ev->tid : 0);
    o->creator_tid_attr = ev->has_tid ? (int64_t)ev->tid : -1;
    if (ev->has_tid) {
        c->has_creator_tid = true;
        c->creator_tid = ev->tid;
    }
}

/* Starts waiting for B3: an earlier creation of the same PID that is still
 * open ends as partial first (the PID was reused). */
static int oc_open(ps_recon *r, oc *o, ps_error *err)
{
    oc *prev = open_for_child(r, o->c.child_pid);
    int rc;

    if (prev) {
        char note[96];
        snprintf(note, sizeof note, "PID %u was created again before this creation finished", o->c.child_pid);
        add_note(&prev->c, note);
        if ((rc = finalize(r, prev, PS_STATUS_PARTIAL, err)) < 0) {
            oc_free(o);
            return rc;
        }
    }
    o->phase = P_WAIT_B3;
    if (open_push(r, o) < 0) {
        oc_free(o);
        return ps_error_nomem(err);
    }
    return 0;
}

static uint64_t ifeo_redirect(ps_recon *r, oc *o, thr *t, const ps_event *ev);

static int anchor_create(ps_recon *r, const ps_event *ev, int64_t event_id, thr *t, ps_error *err)
{
    oc *o = oc_new(r, PS_ANCHOR_PROCESS_CREATE, ev, event_id);
    ps_creation *c;
    uint64_t h2;
    int rc;

    if (!o)
        return ps_error_nomem(err);
    c = &o->c;
    oc_set_creator(o, ev);
    if (ev->has_child_pid && ev->child_pid) {
        c->has_child_pid = true;
        c->child_pid = ev->child_pid;
    }
    oc_set_image(r, o, ev->path);
    c->command_line = dup_or_null(r, ev->command_line);
    {
        proc *cp = proc_live(r, ev->pid);
        if (cp)
            c->creator_process_id = cp->process_id;
    }
    set_boundary(&c->b[2], ev->ts, event_id, PS_CONF_OBSERVED, "Process Create logged by the creator");
    h2 = ifeo_redirect(r, o, t, ev);
    find_b0_b1(r, o, t, ev, h2);
    t->has_create = true;
    t->last_create_event = event_id;

    if (!result_success(ev->result) || !c->has_child_pid) {
        add_note(c, "the creation failed");
        o->phase = P_DONE;
        if ((rc = open_push(r, o)) < 0) {
            oc_free(o);
            return ps_error_nomem(err);
        }
        return finalize(r, o, PS_STATUS_FAILED, err);
    }
    return oc_open(r, o, err);
}

/* IFEO Debugger redirection: a successful Debugger query for another image
 * X on the creator thread, and a command line that carries X.  Returns the
 * name hash of X (0 none) for B0/B1. */
static uint64_t ifeo_redirect(ps_recon *r, oc *o, thr *t, const ps_event *ev)
{
    ps_creation *c = &o->c;
    uint64_t h2 = 0;
    uint32_t i;

    for (i = 0; i < t->ndbg && i < NDBG; i++) {
        const dbgq *d = &t->dbg[(t->ndbg - 1 - i) % NDBG];
        if (t->has_create && d->event_id <= t->last_create_event)
            continue;
        if (ev->ts - d->ts > r->cfg->b0_window || !d->data[0])
            continue;
        if (ps_streq_ci(d->name, o->image_base))
            continue;
        if (!c->command_line || !ps_strstr_ci(c->command_line, d->name))
            continue;
        set_ifeo(r, c, d->name, d->data, d->event_id);
        h2 = name_hash(d->name, strlen(d->name));
        snprintf(c->note, sizeof c->note, "IFEO Debugger of %s redirected the launch", d->name);
        break;
    }
    return h2;
}

/* A creation anchored on the child's own start event (ev: its pid, parent,
 * command line and directory); NULL when out of memory. */
static oc *oc_new_started(ps_recon *r, const ps_event *ev, int64_t event_id, const proc *evp, const char *image)
{
    oc *o = oc_new(r, PS_ANCHOR_PROCESS_START, ev, event_id);
    ps_creation *c;

    if (!o)
        return NULL;
    c = &o->c;
    c->has_child_pid = true;
    c->child_pid = ev->pid;
    if (ev->has_parent_pid) {
        c->has_parent_pid = true;
        c->parent_pid = ev->parent_pid;
    }
    if (evp)
        c->child_process_id = evp->process_id;
    oc_set_image(r, o, image);
    c->command_line = dup_or_null(r, ev->command_line);
    c->current_dir = dup_or_null(r, ev->current_dir);
    o->start_seen = true;
    return o;
}

static int anchor_start(ps_recon *r, const ps_event *ev, int64_t event_id, proc *evp, ps_error *err)
{
    oc *o = oc_new_started(r, ev, event_id, evp,
                           evp && evp->image_path ? evp->image_path : ev->proc ? ev->proc->image_path : NULL);
    ps_creation *c;

    if (!o)
        return ps_error_nomem(err);
    c = &o->c;
    set_boundary(&c->b[2], ev->ts, event_id, PS_CONF_INFERRED,
                 "the child's Process Start (its Process Create is not in the trace)");
    add_note(c, "creator not in the trace");
    return oc_open(r, o, err);
}

/* "C:\dir" and "c:\DIR\" name the same directory */
static bool same_dir(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la && (a[la - 1] == '\\' || a[la - 1] == '/'))
        la--;
    while (lb && (b[lb - 1] == '\\' || b[lb - 1] == '/'))
        lb--;
    return la && la == lb && ps_strneq_ci(a, b, la);
}

bool ps_recon_is_loader_event(const ps_recon_config *cfg, const ps_event *ev, const char *current_dir)
{
    size_t i;
    const char *path = ev->path ? ev->path : "";

    for (i = 0; i < cfg->loader_operations.n; i++)
        if (strcmp(ev->operation, cfg->loader_operations.items[i]) == 0)
            return true;
    if (ev->cls == PS_CLASS_FILE && *path) {
        for (i = 0; i < cfg->loader_file_extensions.n; i++)
            if (ps_ends_with_ci(path, cfg->loader_file_extensions.items[i]))
                return true;
        for (i = 0; i < cfg->loader_file_paths.n; i++)
            if (ps_strstr_ci(path, cfg->loader_file_paths.items[i]))
                return true;
        if (cfg->loader_current_directory && current_dir && same_dir(path, current_dir))
            return true;
    }
    if (ev->cls == PS_CLASS_REGISTRY && *path) {
        for (i = 0; i < cfg->loader_registry_paths.n; i++)
            if (ps_strstr_ci(path, cfg->loader_registry_paths.items[i]))
                return true;
    }
    return false;
}

/* The image's .manifest / .Config next to it, or the image itself. */
static bool references_image(const oc *o, const char *path)
{
    size_t il, pl;
    const char *img = o->c.image_path;

    if (!img || !path || !*path)
        return false;
    il = strlen(img);
    pl = strlen(path);
    if (pl < il || !ps_strneq_ci(path, img, il)) {
        /* csrss may use another spelling of the directory: compare file names */
        const char *b = ps_path_basename(path);
        size_t bl = strlen(o->image_base);
        if (!*o->image_base || !ps_strneq_ci(b, o->image_base, bl))
            return false;
        b += bl;
        return !*b || ps_streq_ci(b, ".manifest") || ps_streq_ci(b, ".config");
    }
    return pl == il || ps_streq_ci(path + il, ".manifest") || ps_streq_ci(path + il, ".config");
}

static bool in_list(const ps_strlist *l, const char *path)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        if (ps_strstr_ci(path, l->items[i]))
            return true;
    return false;
}

static int add_sub_event(oc *o, int64_t event_id)
{
    if (o->nsub == o->subcap) {
        size_t nc = o->subcap ? o->subcap * 2 : 8;
        int64_t *ns = realloc(o->sub_events, nc * sizeof *ns);
        if (!ns)
            return PS_ERR_NOMEM;
        o->sub_events = ns;
        o->subcap = nc;
    }
    o->sub_events[o->nsub++] = event_id;
    return 0;
}

/* B4 candidates: events between B3 and B5 by the creator thread (tail) or by
 * a subsystem server (on the child's image). */
static int track_b4(ps_recon *r, const ps_event *ev, int64_t event_id, proc *evp)
{
    size_t i;
    uint64_t key = thr_key(ev->pid, ev->has_tid ? ev->tid : 0);

    if (!ev->path || !*ev->path)
        return 0;
    for (i = 0; i < r->nopen; i++) {
        oc *o = r->open[i];
        if (o->phase != P_WAIT_B5 || !o->c.b[3].found)
            continue;
        if (ev->frame_stage == 4 &&
            ((o->c.anchor == PS_ANCHOR_PROCESS_CREATE && key == o->creator_key) || (evp && evp->subsystem))) {
            /* stack attribution: under a notify_subsystem frame */
            o->b4 = true;
            o->b4_observed = true;
            o->b4_ts = ev->ts;
            o->b4_event = event_id;
            snprintf(o->b4_rule, sizeof o->b4_rule, "last event under a notify_subsystem frame (%s, %s)",
                     ev->frame_function ? ev->frame_function : "?", ev->operation);
            if (key != o->creator_key && add_sub_event(o, event_id) < 0)
                return PS_ERR_NOMEM;
        } else if (o->c.anchor == PS_ANCHOR_PROCESS_CREATE && key == o->creator_key &&
            (in_list(&r->cfg->creator_tail, ev->path) || ps_ends_with_ci(ev->path, ".manifest") ||
             ps_ends_with_ci(ev->path, ".config"))) {
            o->b4 = true;
            o->b4_observed = false;
            o->b4_ts = ev->ts;
            o->b4_event = event_id;
            snprintf(o->b4_rule, sizeof o->b4_rule, "last CreateProcess tail event of the creator (%s)",
                     ev->operation);
        } else if (evp && evp->subsystem && references_image(o, ev->path)) {
            o->b4 = true;
            o->b4_observed = false;
            o->b4_ts = ev->ts;
            o->b4_event = event_id;
            snprintf(o->b4_rule, sizeof o->b4_rule, "last %s event on the child's image (%s)",
                     evp->name ? evp->name : "subsystem", ev->operation);
            if (add_sub_event(o, event_id) < 0)
                return PS_ERR_NOMEM;
        }
    }
    return 0;
}

static bool frames_hit(const ps_event *ev, uint64_t base, uint64_t size)
{
    uint32_t i;
    for (i = 0; i < ev->nframes; i++)
        if (ev->frames[i].address >= base && ev->frames[i].address - base < size)
            return true;
    return false;
}

static void add_note(ps_creation *c, const char *text)
{
    size_t n = strlen(c->note);
    snprintf(c->note + n, sizeof c->note - n, "%s%s", n ? "; " : "", text);
}

/* B6 rule 3: the process exits (or the trace ends) while loading.  In a
 * capture without a single file or registry event (filtered to process
 * events) the initial thread can never show a non-loader event, so the end
 * of loading is not observable at all: B6 stays missing. */
static void rule3(ps_recon *r, oc *o, const char *what)
{
    ps_creation *c = &o->c;
    char note[160];

    if (!r->seen_file_or_registry) {
        snprintf(c->b[6].rule, sizeof c->b[6].rule,
                 "not observable: the trace has no file or registry events (a filtered capture)");
        add_note(c, "end of loading not observable in a trace without file or registry events");
        return;
    }
    if (o->have_loader)
        set_boundary(&c->b[6], o->last_loader_ts, o->last_loader_event, PS_CONF_INFERRED,
                     "last loader event (%s) before %s while loading", o->last_loader_what, what);
    snprintf(note, sizeof note, "%s while loading", what);
    add_note(c, note);
}

/* Stack attribution: a frame in the child's image, by its module name
 * (symbolised frames) or its address (the image's Load Image). */
static bool frames_in_image(const ps_event *ev, const oc *o)
{
    uint32_t i;
    if (o->have_main && frames_hit(ev, o->main_base, o->main_size))
        return true;
    for (i = 0; i < ev->nframes; i++)
        if (ev->frames[i].module && *o->image_base &&
            ps_streq_ci(ps_path_basename(ev->frames[i].module), o->image_base))
            return true;
    return false;
}

/* " [stack: LdrInitializeThunk, user_init]" for the evidence of a boundary */
static const char *frame_note(const ps_event *ev, char *buf, size_t cap)
{
    if (!ev->frame_stage || !ev->frame_function)
        return "";
    snprintf(buf, cap, " [stack: %s, %s]", ev->frame_function, ps_stage_name(ev->frame_stage));
    return buf;
}

/* The child's side: B3, B5, B6. */
static int child_event(ps_recon *r, oc *o, const ps_event *ev, int64_t event_id, proc *evp,
                       ps_error *err)
{
    ps_creation *c = &o->c;
    bool initial;

    if (ev->cls == PS_CLASS_PROFILING)
        return 0;
    if (ev->op == PS_OP_PROCESS_START) {
        if (!o->start_seen) {
            proc *p = evp;
            o->start_seen = true;
            if (ev->has_parent_pid) {
                c->has_parent_pid = true;
                c->parent_pid = ev->parent_pid;
            }
            if (!c->command_line)
                c->command_line = dup_or_null(r, ev->command_line);
            if (!c->current_dir)
                c->current_dir = dup_or_null(r, ev->current_dir);
            if (p)
                c->child_process_id = p->process_id;
        }
        return 0;
    }

    if (o->phase == P_WAIT_B3) {
        if (ev->op == PS_OP_THREAD_CREATE && ev->has_new_tid &&
            (!c->has_creator_tid || !ev->has_tid || ev->tid == c->creator_tid)) {
            set_boundary(&c->b[3], ev->ts, event_id, PS_CONF_OBSERVED,
                         "Thread Create under the child (initial TID %u)", ev->new_tid);
            c->has_initial_tid = true;
            c->initial_tid = ev->new_tid;
            o->phase = P_WAIT_B5;
            return 0;
        }
        if (ev->op == PS_OP_THREAD_CREATE)
            return 0;
        /* the child runs but its Thread Create is not in the trace */
        o->phase = P_WAIT_B5;
        if (ev->has_tid) {
            c->has_initial_tid = true;
            c->initial_tid = ev->tid;
        }
    }

    if (o->phase == P_WAIT_B5) {
        if (ev->op == PS_OP_THREAD_CREATE)
            return 0;
        initial = !ev->has_tid || !c->has_initial_tid || ev->tid == c->initial_tid;
        if (!initial && ev->op != PS_OP_PROCESS_EXIT)
            return 0;
        if (ev->op == PS_OP_PROCESS_EXIT || ev->op == PS_OP_THREAD_EXIT) {
            add_note(c, "the process exited before its initial thread ran");
            return finalize(r, o, PS_STATUS_PARTIAL, err);
        }
        if (o->b4 && c->b[3].found)
            set_boundary(&c->b[4], o->b4_ts, o->b4_event, o->b4_observed ? PS_CONF_OBSERVED : PS_CONF_INFERRED,
                         "%s", o->b4_rule);
        if (!ps_recon_is_loader_event(r->cfg, ev, c->current_dir)) {
            /* A filtered capture: the child's first visible event is already
             * its own code, so neither the start of the initial thread nor
             * the end of loading is in the trace. */
            char note[200];
            snprintf(c->b[5].rule, sizeof c->b[5].rule,
                     "not in the trace: the child's first event (%s) is already past loading",
                     ev->operation);
            snprintf(c->b[6].rule, sizeof c->b[6].rule, "not in the trace (see B5)");
            snprintf(note, sizeof note, "the trace shows no loader activity of the child; its first event is %s",
                     ev->operation);
            add_note(c, note);
            return finalize(r, o, PS_STATUS_COMPLETE, err);
        }
        {
            bool exact = ev->has_tid && c->b[3].found;
            char note[160];
            set_boundary(&c->b[5], ev->ts, event_id, exact ? PS_CONF_OBSERVED : PS_CONF_INFERRED,
                         "first event of the %s (%s)%s", exact ? "initial thread" : "child", ev->operation,
                         frame_note(ev, note, sizeof note));
        }
        o->phase = P_LOADER;
    }

    /* P_LOADER */
    initial = !ev->has_tid || !c->has_initial_tid || ev->tid == c->initial_tid;
    if (ev->op == PS_OP_PROCESS_EXIT ||
        (ev->op == PS_OP_THREAD_EXIT &&
         (ev->has_new_tid && c->has_initial_tid ? ev->new_tid == c->initial_tid : initial))) {
        rule3(r, o, ev->op == PS_OP_PROCESS_EXIT ? "the process exited" : "the initial thread exited");
        return finalize(r, o, PS_STATUS_PARTIAL, err);
    }
    if (ev->op == PS_OP_LOAD_IMAGE && !o->have_main && ev->image_size &&
        ps_streq_ci(ps_path_basename(ev->path), o->image_base)) {
        o->have_main = true;
        o->main_base = ev->image_base;
        o->main_size = ev->image_size;
    }
    if (r->symbolic && ev->nframes && initial && event_id != c->b[5].event_id && ev->frame_stage < 5 &&
        frames_in_image(ev, o)) {
        /* stack attribution: the first initial-thread event running in the
         * image outside the loader (TLS callbacks run under user_init) */
        if (o->have_prev)
            set_boundary(&c->b[6], o->prev_ts, o->prev_event, PS_CONF_OBSERVED,
                         "last event of the child before the first initial-thread event in %s outside the "
                         "loader (stack symbols)", o->image_base);
        return finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (r->info->has_stacks && ev->nframes && initial && o->have_main && event_id != c->b[5].event_id &&
        !(r->symbolic && ev->frame_stage >= 5) && frames_hit(ev, o->main_base, o->main_size)) {
        if (o->have_prev)
            set_boundary(&c->b[6], o->prev_ts, o->prev_event, PS_CONF_OBSERVED,
                         "last event of the child before the first with a frame in %s", o->image_base);
        return finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (!(r->info->has_stacks && o->have_main) && !(r->symbolic && ev->nframes) && initial &&
        !ps_recon_is_loader_event(r->cfg, ev, c->current_dir)) {
        if (o->have_load)
            set_boundary(&c->b[6], o->last_load_ts, o->last_load_event, PS_CONF_INFERRED,
                         "last Load Image before the first non-loader event of the initial thread "
                         "(%s %s)",
                         ev->operation, ev->path && *ev->path ? ps_path_basename(ev->path) : "");
        return finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (ev->op == PS_OP_LOAD_IMAGE) {
        o->have_load = true;
        o->last_load_ts = ev->ts;
        o->last_load_event = event_id;
    }
    if (ps_recon_is_loader_event(r->cfg, ev, c->current_dir) || ev->frame_stage == 6) {
        o->have_loader = true;
        o->last_loader_ts = ev->ts;
        o->last_loader_event = event_id;
        snprintf(o->last_loader_what, sizeof o->last_loader_what, "%s", ev->operation);
    }
    o->have_prev = true;
    o->prev_ts = ev->ts;
    o->prev_event = event_id;
    return 0;
}

/* Forgets threads idle for longer than the B0 window: everything they hold
 * (image/IFEO candidates, Debugger reads, the last Process Create) only
 * matters within that window, so memory stays bounded by the live threads
 * however long the trace is. */
static void sweep_threads(ps_recon *r, int64_t now)
{
    size_t i;
    for (i = 0; i < r->nthr; i++) {
        thr *t = &r->thr[i];
        if (t->key && now - t->last_ts > r->cfg->b0_window)
            thr_drop(r, t->key);
    }
}

/* ---- Sysmon / Security event logs (stages.md, "Sysmon / Security event logs") ----
 *
 *   Sysmon 1   B2 = UtcTime, the process object's CreateTime (observed);
 *              the child's Sysmon 7 image loads (by ProcessGuid, else PID):
 *              B5 = the first (inferred), B6 = the last of the first burst,
 *              loads at most el_burst_gap apart (inferred); B0, B1, B3, B4
 *              missing.  The first load must be the image itself or ntdll:
 *              any other means the Sysmon configuration filters image
 *              loads (the real logs show it), and B5/B6 are not observable.  Without a load within el_load_wait the later stages
 *              are not observable (complete); an exit or the end of the log
 *              during the burst ends it as partial.
 *   Security 4688  B2 = TimeCreated (inferred); the rest missing.
 *   IFEO: a Debugger value set in the log (Sysmon 13, Security 4657) for X,
 *   then a creation whose image is that debugger and whose command line
 *   carries X: ifeo_image/ifeo_debugger/ifeo_event_id are set (the write is
 *   the evidence; the creator's read is not logged). */

static int64_t el_time(const ps_event *ev, const char *field)
{
    const char *v = ps_event_field(ev, field);
    int64_t t;
    return v && ps_evx_parse_time(v, &t) ? t : ev->ts;
}

static oc *el_open_for(ps_recon *r, const ps_event *ev)
{
    const char *guid = ps_event_field(ev, "ProcessGuid");
    size_t i;

    for (i = 0; i < r->nopen; i++) {
        oc *o = r->open[i];
        if (guid && *guid && o->el_guid) {
            if (ps_streq_ci(guid, o->el_guid))
                return o;
        } else if (o->c.has_child_pid && o->c.child_pid == ev->pid) {
            return o;
        }
    }
    return NULL;
}

static void el_dbg_forget(ps_recon *r, const char *name, size_t nlen)
{
    size_t i;
    for (i = 0; i < r->el_ndbg; i++)
        if (strlen(r->el_dbg[i].name) == nlen && ps_strneq_ci(r->el_dbg[i].name, name, nlen)) {
            free(r->el_dbg[i].name);
            free(r->el_dbg[i].data);
            r->el_dbg[i] = r->el_dbg[--r->el_ndbg];
            return;
        }
}

/* A Debugger value written or deleted under IFEO. */
static int el_registry(ps_recon *r, const ps_event *ev, int64_t event_id)
{
    const char *name, *rest;
    size_t nlen;

    if (!ps_ifeo_parts(ev->path, &name, &nlen, &rest) || !rest || !ps_streq_ci(rest, "Debugger"))
        return 0;
    el_dbg_forget(r, name, nlen);
    if (ev->op != PS_OP_REG_SET_VALUE || !ev->reg_data || !*ev->reg_data)
        return 0;
    if (r->el_ndbg == EL_NDBG) {
        free(r->el_dbg[0].name);
        free(r->el_dbg[0].data);
        memmove(&r->el_dbg[0], &r->el_dbg[1], (EL_NDBG - 1) * sizeof r->el_dbg[0]);
        r->el_ndbg--;
    }
    r->el_dbg[r->el_ndbg].name = ps_strndup(name, nlen);
    r->el_dbg[r->el_ndbg].data = ps_strdup(ev->reg_data);
    r->el_dbg[r->el_ndbg].event_id = event_id;
    if (!r->el_dbg[r->el_ndbg].name || !r->el_dbg[r->el_ndbg].data)
        return PS_ERR_NOMEM;
    r->el_ndbg++;
    return 0;
}

/* The executable's file name in a Debugger value: "cmd.exe" from
 * "\"C:\\x\\cmd.exe\" /k" or "C:\\x\\cmd.exe". */
static void el_debugger_exe(const char *data, char *buf, size_t cap)
{
    const char *s = data, *e;
    while (*s == ' ')
        s++;
    if (*s == '"') {
        s++;
        e = strchr(s, '"');
    } else {
        e = strchr(s, ' ');
    }
    snprintf(buf, cap, "%.*s", (int)(e ? (size_t)(e - s) : strlen(s)), s);
    memmove(buf, ps_path_basename(buf), strlen(ps_path_basename(buf)) + 1);
}

static void el_ifeo(ps_recon *r, oc *o)
{
    ps_creation *c = &o->c;
    size_t i;

    if (!c->command_line || !*o->image_base)
        return;
    for (i = r->el_ndbg; i-- > 0;) {
        const struct el_dbg *d = &r->el_dbg[i];
        char exe[512];
        el_debugger_exe(d->data, exe, sizeof exe);
        if (!ps_streq_ci(exe, o->image_base) || ps_streq_ci(d->name, o->image_base) ||
            !ps_strstr_ci(c->command_line, d->name))
            continue;
        set_ifeo(r, c, d->name, d->data, d->event_id);
        snprintf(c->note, sizeof c->note, "IFEO Debugger of %s (set by event %lld) redirected the launch", d->name,
                 (long long)d->event_id);
        return;
    }
}

/* The parent as the creation record names it (Sysmon 1 ParentImage and
 * ParentCommandLine, Security 4688 v2 ParentProcessName): a process row for
 * a parent the log has not shown otherwise (it started before the log). */
static int el_parent(ps_recon *r, const ps_event *ev, proc *evp, ps_error *err)
{
    const char *img = ps_event_field(ev, "ParentImage");
    proc *pp;

    if (!ev->has_parent_pid)
        return 0;
    if (!img)
        img = ps_event_field(ev, "ParentProcessName");
    pp = proc_live(r, ev->parent_pid);
    if (!pp && img && *img) {
        pp = proc_new(r, ev->parent_pid);
        if (!pp || ps_map_put(&r->proc_by_pid, ev->parent_pid, r->nprocs) < 0)
            return ps_error_nomem(err);
        r->sum.processes++;
        proc_set_name(r, pp, ps_path_basename(img));
    }
    if (!pp || pp == evp)
        return 0;
    set_str(r, &pp->image_path, img);
    set_str(r, &pp->command_line, ps_event_field(ev, "ParentCommandLine"));
    if (evp && !evp->parent_process_id)
        evp->parent_process_id = pp->process_id;
    return 0;
}

static int el_creation(ps_recon *r, const ps_event *ev, int64_t event_id, proc *evp, bool sysmon,
                       ps_error *err)
{
    oc *o = oc_new_started(r, ev, event_id, evp, ev->path);
    ps_creation *c;
    int rc;

    if (!o)
        return ps_error_nomem(err);
    c = &o->c;
    el_ifeo(r, o);
    if (sysmon) {
        const char *guid = ps_event_field(ev, "ProcessGuid");
        o->el_guid = dup_or_null(r, guid);
        c->create_ts = el_time(ev, "UtcTime");
        set_boundary(&c->b[2], c->create_ts, event_id, PS_CONF_OBSERVED,
                     "Sysmon 1 UtcTime (the process object's CreateTime)");
        if ((rc = oc_open(r, o, err)) < 0)
            return rc;
        o->phase = P_WAIT_B5;   /* B3 and B4 are not in the log */
        return 0;
    }
    set_boundary(&c->b[2], ev->ts, event_id, PS_CONF_INFERRED,
                 "Security 4688 TimeCreated (logged as the process was created)");
    add_note(c, "Security 4688 records the creation only: the other stages are not observable");
    o->phase = P_DONE;
    if (open_push(r, o) < 0) {
        oc_free(o);
        return ps_error_nomem(err);
    }
    return finalize(r, o, PS_STATUS_COMPLETE, err);
}

/* Ends the first burst of image loads: B6 = its last load. */
static int el_end_burst(ps_recon *r, oc *o, ps_creation_status st, const char *why, ps_error *err)
{
    ps_creation *c = &o->c;
    set_boundary(&c->b[6], o->last_load_ts, o->last_load_event, PS_CONF_INFERRED,
                 "last Sysmon 7 image load of the first burst (loads at most %lld ms apart)",
                 (long long)(r->cfg->el_burst_gap / 10000));
    if (why)
        add_note(c, why);
    return finalize(r, o, st, err);
}

/* Creations whose wait for an image load, or whose burst, is over at `now`. */
static int el_sweep(ps_recon *r, int64_t now, ps_error *err)
{
    size_t i = 0;
    int rc;

    while (i < r->nopen) {
        oc *o = r->open[i];
        if (o->phase == P_WAIT_B5 && now - o->c.create_ts > r->cfg->el_load_wait) {
            char note[160];
            snprintf(note, sizeof note,
                     "no image load of the process within %lld s in the log: stages 3 to 6 not observable",
                     (long long)(r->cfg->el_load_wait / PS_TICKS_PER_SEC));
            add_note(&o->c, note);
            if ((rc = finalize(r, o, PS_STATUS_COMPLETE, err)) < 0)
                return rc;
            continue;   /* finalize moved another creation into slot i */
        }
        if (o->phase == P_LOADER && now - o->last_load_ts > r->cfg->el_burst_gap) {
            if ((rc = el_end_burst(r, o, PS_STATUS_COMPLETE, NULL, err)) < 0)
                return rc;
            continue;
        }
        i++;
    }
    return 0;
}

static int eventlog_event(ps_recon *r, const ps_event *ev, int64_t event_id, ps_error *err)
{
    bool sysmon = ps_event_field(ev, "UtcTime") != NULL;
    int64_t now = sysmon ? el_time(ev, "UtcTime") : ev->ts;
    proc *evp = proc_live(r, ev->pid);
    oc *o;
    int rc;

    if (r->nopen && (rc = el_sweep(r, now, err)) < 0)
        return rc;
    if (ev->cls == PS_CLASS_REGISTRY && (rc = el_registry(r, ev, event_id)) < 0)
        return ps_error_nomem(err);
    if (ev->op == PS_OP_PROCESS_START) {
        o = el_open_for(r, ev);
        if (o && o->el_guid && sysmon)
            return 0;   /* the same creation logged twice */
        if ((rc = el_parent(r, ev, evp, err)) < 0)
            return rc;
        return el_creation(r, ev, event_id, evp, sysmon, err);
    }
    if (ev->op == PS_OP_LOAD_IMAGE)
        r->el_seen_loads = true;
    o = el_open_for(r, ev);
    if (!o)
        return 0;
    if (ev->op == PS_OP_PROCESS_EXIT) {
        if (o->phase == P_LOADER)
            return el_end_burst(r, o, PS_STATUS_PARTIAL, "the process exited while loading", err);
        add_note(&o->c, "the process exited before its first image load");
        return finalize(r, o, PS_STATUS_PARTIAL, err);
    }
    if (ev->op == PS_OP_LOAD_IMAGE) {
        ps_creation *c = &o->c;
        if (o->phase == P_WAIT_B5) {
            const char *b = ps_path_basename(ev->path);
            if (!ps_streq_ci(b, o->image_base) && !ps_streq_ci(b, "ntdll.dll")) {
                /* Sysmon configurations usually log only some image loads:
                 * a first load that is neither the image nor ntdll shows the
                 * loader's start is not in the log */
                char note[200];
                snprintf(note, sizeof note,
                         "the log's image loads are filtered (the first one of the process is %.80s): stages 3 "
                         "to 6 not observable",
                         b);
                add_note(c, note);
                return finalize(r, o, PS_STATUS_COMPLETE, err);
            }
            set_boundary(&c->b[5], now, event_id, PS_CONF_INFERRED,
                         "first Sysmon 7 image load of the process (%s)", b);
            o->phase = P_LOADER;
        } else if (now - o->last_load_ts > r->cfg->el_burst_gap) {
            return el_end_burst(r, o, PS_STATUS_COMPLETE, NULL, err);
        }
        o->have_load = true;
        o->last_load_ts = now;
        o->last_load_event = event_id;
        return 0;
    }
    /* any other event of the process ends its first burst of loads */
    if (o->phase == P_LOADER)
        return el_end_burst(r, o, PS_STATUS_COMPLETE, NULL, err);
    return 0;
}

/* The end of the log: what is still open is cut off. */
static int eventlog_finish(ps_recon *r, ps_error *err)
{
    int rc;

    while (r->nopen) {
        oc *o = r->open[r->nopen - 1];
        if (o->phase == P_LOADER) {
            rc = el_end_burst(r, o, PS_STATUS_PARTIAL, "the log ended while the process was loading", err);
        } else if (r->el_seen_loads) {
            add_note(&o->c, "the log ended before the process's first image load");
            rc = finalize(r, o, PS_STATUS_PARTIAL, err);
        } else {
            add_note(&o->c, "the log holds no image loads (Sysmon 7): stages 3 to 6 not observable");
            rc = finalize(r, o, PS_STATUS_COMPLETE, err);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}
static int recon_event(ps_recon *r, const ps_event *ev, int64_t event_id, ps_error *err);
static int etw_event(ps_recon *r, const ps_event *ev, int64_t event_id, thr *t, proc *evp, ps_error *err);

int ps_recon_event(ps_recon *r, const ps_event *ev, int64_t event_id, ps_error *err)
{
    int rc = recon_event(r, ev, event_id, err);
    if (rc == 0 && r->oom)
        rc = ps_error_nomem(err);
    return rc;
}

static int recon_event(ps_recon *r, const ps_event *ev, int64_t event_id, ps_error *err)
{
    thr *t;
    proc *evp = NULL;
    oc *o;
    int rc;
    uint64_t key = thr_key(ev->pid, ev->has_tid ? ev->tid : 0);

    if (r->info->family == PS_FAMILY_EVENTLOG)
        return eventlog_event(r, ev, event_id, err);
    if ((++r->events & 0xFFFF) == 0)
        sweep_threads(r, ev->ts);
    t = thr_get(r, key, true);
    if (!t)
        return ps_error_nomem(err);
    t->last_ts = ev->ts;
    if (ev->frame_stage)
        r->symbolic = true;
    if (ev->cls == PS_CLASS_FILE || ev->cls == PS_CLASS_REGISTRY)
        r->seen_file_or_registry = true;
    {
        uint64_t v;
        if (ev->proc_index >= 0 && ps_map_get(&r->proc_by_index, (uint64_t)ev->proc_index, &v))
            evp = proc_at(r, v);
        else
            evp = proc_live(r, ev->pid);
    }

    /* remember image and IFEO events of every thread for B0/B1 */
    t->nevents++;
    if (ev->path && *ev->path) {
        cand k = {event_id, ev->ts, 0, t->nevents, 0};
        const char *name, *rest;
        size_t nlen;
        if (ev->cls == PS_CLASS_FILE) {
            k.kind = CAND_FILE;
            k.hash = basename_hash(ev->path);
        } else if (ev->cls == PS_CLASS_REGISTRY && ps_ifeo_parts(ev->path, &name, &nlen, &rest)) {
            k.kind = CAND_IFEO;
            k.hash = name_hash(name, nlen);
            if (ev->op == PS_OP_REG_QUERY_VALUE && rest && ps_streq_ci(rest, "Debugger") &&
                result_success(ev->result) && (rc = dbg_push(t, ev, event_id, name, nlen)) < 0)
                return ps_error_nomem(err);
        }
        if (k.kind && ring_push(t, r->cfg->b0_window, &k) < 0)
            return ps_error_nomem(err);
    }
    /* stack attribution: the creator's events under an open_image frame
     * (CreateProcessInternalW, NtCreateUserProcess) count for B0/B1 too */
    if (ev->frame_stage == 1 && ev->op != PS_OP_PROCESS_CREATE &&
        !(t->count && t->ring[(t->head + t->count - 1) % t->cap].event_id == event_id)) {
        cand k = {event_id, ev->ts, 1, t->nevents, CAND_STACK};
        if (ring_push(t, r->cfg->b0_window, &k) < 0)
            return ps_error_nomem(err);
    }

    if (r->info->family == PS_FAMILY_ETW)
        return etw_event(r, ev, event_id, t, evp, err);

    /* B4 candidates for creations waiting for their initial thread */
    if (r->nopen && (rc = track_b4(r, ev, event_id, evp)) < 0)
        return ps_error_nomem(err);

    switch (ev->op) {
    case PS_OP_PROCESS_CREATE:
        return anchor_create(r, ev, event_id, t, err);
    case PS_OP_PROCESS_START:
        o = open_for_child(r, ev->pid);
        if (!o || o->start_seen)
            return anchor_start(r, ev, event_id, evp, err);
        return child_event(r, o, ev, event_id, evp, err);
    default:
        break;
    }
    o = open_for_child(r, ev->pid);
    if (o && (rc = child_event(r, o, ev, event_id, evp, err)) < 0)
        return rc;
    if (ev->op == PS_OP_THREAD_EXIT && ev->has_tid)
        thr_drop(r, thr_key(ev->pid, ev->has_new_tid ? ev->new_tid : ev->tid));
    return 0;
}

/* ---- ETW kernel traces (stages.md, "ETW kernel trace") -------------------------------
 *
 * The reader (parsers/etw/kernel.h) logs Process/Start as PROCESS_CREATE
 * under the creator with the child's ids and attributes, Thread/Start under
 * the owning process with the creator's thread, image loads under the
 * loading process.
 *
 *   B2  Process/Start (observed); B3 the child's first Thread/Start
 *       (observed): its TID is the initial thread.
 *   B0, B1 as for Procmon, from Registry and FileIo events of the creator
 *       thread on the image and its IFEO key.
 *   B4  ALPC traffic between the creator thread and a subsystem process
 *       (csrss.exe) after B3: the creator's receive of the reply, else the
 *       subsystem's receive of the creator's message (inferred).
 *   B5  the first event of the initial thread (the exe's Image/Load) when it
 *       is loader work (observed).
 *   B6  stacks: the last event of the child before the first initial-thread
 *       event with a frame in the main image (observed); else the last
 *       Image/Load of the child's first burst of loads (gaps at most
 *       etw.b6_burst_gap_ms) before the first non-image event of the initial
 *       thread (inferred); exit or end of trace while loading: the last load
 *       (inferred, partial).
 */

/* Loader work for ETW: image loads and their companion events, the
 * loader's worker threads, file and registry events on the loader lists. */
static bool etw_loader_event(ps_recon *r, const ps_event *ev, const char *current_dir)
{
    if (ev->op == PS_OP_LOAD_IMAGE || ev->op == PS_OP_THREAD_CREATE)
        return true;
    if (ev->cls == PS_CLASS_PROCESS && ev->operation && strncmp(ev->operation, "Image/", 6) == 0)
        return true;
    /* a directory opened by the initial thread while loading: its current
     * directory (the creator's Process Start, which names it, has no ETW
     * counterpart) */
    if (ev->cls == PS_CLASS_FILE && ev->path && *ev->path && ev->path[strlen(ev->path) - 1] == '\\')
        return true;
    if (ev->cls == PS_CLASS_FILE || ev->cls == PS_CLASS_REGISTRY)
        return ps_recon_is_loader_event(r->cfg, ev, current_dir);
    return false;
}

static proc *proc_by_id(ps_recon *r, int64_t process_id)
{
    size_t i;
    for (i = r->nprocs; i-- > 0;)
        if (r->procs[i].process_id == process_id)
            return &r->procs[i];
    return NULL;
}

static int etw_process_record(ps_recon *r, const ps_process_rec *pr, ps_error *err)
{
    proc *p = proc_live(r, pr->pid);
    uint32_t i;
    int rc;

    if (!p || p->exited) {
        p = proc_new(r, pr->pid);
        if (!p || ps_map_put(&r->proc_by_pid, pr->pid, r->nprocs) < 0)
            return ps_error_nomem(err);
        p->from_table = true;
        r->sum.processes++;
    }
    proc_set_name(r, p, pr->process_name);
    set_str(r, &p->image_path, pr->image_path);
    set_str(r, &p->command_line, pr->command_line);
    set_str(r, &p->user, pr->user);
    if (!p->has_parent_pid && (pr->parent_pid || pr->process_name)) {
        p->has_parent_pid = true;
        p->parent_pid = pr->parent_pid;
    }
    if (p->session < 0)
        p->session = pr->session;
    if (p->is64 < 0)
        p->is64 = pr->is64;
    if (!p->has_start && pr->start_ts > 0) {
        p->has_start = true;
        p->start_ts = pr->start_ts;
    }
    for (i = 0; i < pr->nmodules; i++) {
        const ps_module *m = &pr->modules[i];
        if ((rc = ps_store_add_module(r->store, p->process_id, m, err)) < 0)
            return rc;
        /* the rundown names the process; its own image module gives the path */
        if (!p->image_path && p->name && m->path && ps_streq_ci(ps_path_basename(m->path), p->name))
            p->image_path = dup_or_null(r, m->path);
    }
    return r->oom ? ps_error_nomem(err) : 0;
}

static int etw_resolve(ps_recon *r, const ps_event *ev, int64_t *process_id, ps_error *err)
{
    proc *p;

    *process_id = 0;
    if (ev->pid == 0xFFFFFFFFu)
        return 0;   /* not attributed to a process (PERFINFO headers) */
    if (!(p = proc_live_or_new(r, ev->pid)))
        return ps_error_nomem(err);
    *process_id = p->process_id;
    if (ev->op == PS_OP_PROCESS_EXIT) {
        p->exited = true;
        p->has_end = true;
        p->end_ts = ev->ts;
        if (ev->has_exit_status) {
            p->has_exit = true;
            p->exit_status = ev->exit_status;
        }
    }
    if (ev->op == PS_OP_PROCESS_CREATE && ev->has_child_pid) {
        /* the child's row, from what its creator logged */
        const ps_proc_attrs *a = ev->child;
        proc *parent = ev->has_parent_pid ? proc_live(r, ev->parent_pid) : NULL;
        int64_t parent_id = parent ? parent->process_id : 0;
        proc *c = proc_new(r, ev->child_pid);
        if (!c || ps_map_put(&r->proc_by_pid, ev->child_pid, r->nprocs) < 0)
            return ps_error_nomem(err);
        r->sum.processes++;
        c->has_start = true;
        c->start_ts = ev->ts;
        if (ev->has_parent_pid) {
            c->has_parent_pid = true;
            c->parent_pid = ev->parent_pid;
            c->parent_process_id = parent_id;
        }
        if (a) {
            set_str(r, &c->image_path, a->image_path);
            set_str(r, &c->command_line, a->command_line);
            set_str(r, &c->user, a->user);
            c->session = a->session;
            if (a->architecture && *a->architecture)
                c->is64 = strstr(a->architecture, "64-bit") != NULL;
            proc_set_name(r, c, a->image_path ? ps_path_basename(a->image_path) : NULL);
        }
    }
    return r->oom ? ps_error_nomem(err) : 0;
}

/* The first token of a command line ("C:\x\a.exe" b -> C:\x\a.exe). */
static char *cmdline_program(const char *cmd)
{
    const char *s = cmd, *e;

    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '"') {
        e = strchr(++s, '"');
        return ps_strndup(s, e ? (size_t)(e - s) : strlen(s));
    }
    e = s;
    while (*e && *e != ' ' && *e != '\t')
        e++;
    return ps_strndup(s, (size_t)(e - s));
}

/* Process/Start names at most 14 characters of the image (EPROCESS
 * ImageFileName): the command line's program, when it starts with that
 * name, is the better name until the child's own image load gives the path
 * that ran. */
static char *etw_image_name(const ps_event *ev)
{
    const char *name = ev->path ? ev->path : "";
    char *prog;

    if (!ev->command_line || !*ev->command_line || strchr(name, '\\'))
        return ps_strdup(name);
    prog = cmdline_program(ev->command_line);
    if (!prog)
        return NULL;
    if (*name && ps_starts_with_ci(ps_path_basename(prog), name))
        return prog;
    free(prog);
    return ps_strdup(name);
}

static void etw_name_parties(ps_recon *r, oc *o, const ps_event *ev)
{
    ps_creation *c = &o->c;
    proc *cp = proc_by_id(r, c->creator_process_id), *pp = NULL;

    if (cp) {
        set_str(r, &c->creator_name, cp->name ? cp->name : cp->image_path ? ps_path_basename(cp->image_path) : NULL);
        set_str(r, &c->creator_cmdline, cp->command_line);
    }
    if (ev->has_parent_pid) {
        pp = proc_live(r, ev->parent_pid);
        if (pp && pp->process_id == c->child_process_id)
            pp = NULL;
    }
    if (pp) {
        set_str(r, &c->parent_name, pp->name ? pp->name : pp->image_path ? ps_path_basename(pp->image_path) : NULL);
        set_str(r, &c->parent_cmdline, pp->command_line);
    }
}

static int etw_anchor(ps_recon *r, const ps_event *ev, int64_t event_id, thr *t, ps_error *err)
{
    oc *o = open_for_child(r, ev->child_pid), *n;
    ps_creation *c;
    uint64_t h2;
    char *img;

    if (o && o->c.anchor == PS_ANCHOR_PROCESS_CREATE && ev->ts - o->c.create_ts <= 10 * 10000 &&
        ev->ts >= o->c.create_ts && o->c.creator_pid == ev->pid) {
        /* the same creation reported by a second provider (Kernel-Process and
         * the classic kernel logger): it fills what the first one lacked */
        if (!o->c.command_line)
            o->c.command_line = dup_or_null(r, ev->command_line);
        if (ev->path && strchr(ev->path, '\\') && o->phase == P_WAIT_B3 && !strchr(o->c.image_path ? o->c.image_path : "", '\\')) {
            free(o->c.image_path);
            free(o->c.requested_image);
            oc_set_image(r, o, ev->path);
        }
        return 0;
    }
    n = oc_new(r, PS_ANCHOR_PROCESS_CREATE, ev, event_id);
    if (!n)
        return ps_error_nomem(err);
    c = &n->c;
    oc_set_creator(n, ev);
    c->has_child_pid = true;
    c->child_pid = ev->child_pid;
    if (ev->has_parent_pid) {
        c->has_parent_pid = true;
        c->parent_pid = ev->parent_pid;
    }
    img = etw_image_name(ev);
    if (!img)
        r->oom = true;
    oc_set_image(r, n, img);
    free(img);
    c->command_line = dup_or_null(r, ev->command_line);
    {
        proc *cp = proc_live(r, ev->pid), *ch;
        uint64_t v;
        if (cp)
            c->creator_process_id = cp->process_id;
        /* etw_resolve made the child's row just now */
        if (ps_map_get(&r->proc_by_pid, ev->child_pid, &v) && (ch = proc_at(r, v)) && ch->has_start &&
            ch->start_ts == ev->ts)
            c->child_process_id = ch->process_id;
    }
    etw_name_parties(r, n, ev);
    set_boundary(&c->b[2], ev->ts, event_id, PS_CONF_OBSERVED, "%s logged by the creator", ev->operation);
    h2 = ifeo_redirect(r, n, t, ev);
    find_b0_b1(r, n, t, ev, h2);
    t->has_create = true;
    t->last_create_event = event_id;
    return oc_open(r, n, err);
}

/* B4: ALPC between the creator thread and a subsystem server after B3. */
static int etw_track_b4(ps_recon *r, const ps_event *ev, int64_t event_id, proc *evp)
{
    uint64_t key = thr_key(ev->pid, ev->has_tid ? ev->tid : 0);
    size_t i;

    for (i = 0; i < r->nopen; i++) {
        oc *o = r->open[i];
        if (o->phase != P_WAIT_B5 || !o->c.b[3].found)
            continue;
        if (ev->ipc == PS_IPC_SEND && key == o->creator_key) {
            o->alpc_sent = true;
            o->alpc_message = ev->ipc_message;
        } else if (ev->ipc == PS_IPC_RECEIVE && evp && evp->subsystem && o->alpc_sent &&
                   ev->ipc_message == o->alpc_message) {
            o->alpc_served = true;
            o->b4 = true;
            o->b4_ts = ev->ts;
            o->b4_event = event_id;
            snprintf(o->b4_rule, sizeof o->b4_rule, "%s received the creator's ALPC message %u",
                     evp->name ? evp->name : "the subsystem", ev->ipc_message);
            if (add_sub_event(o, event_id) < 0)
                return PS_ERR_NOMEM;
        } else if (ev->ipc == PS_IPC_RECEIVE && key == o->creator_key && o->alpc_served) {
            o->b4 = true;
            o->b4_ts = ev->ts;
            o->b4_event = event_id;
            snprintf(o->b4_rule, sizeof o->b4_rule, "the creator received the subsystem's ALPC reply");
        }
    }
    return 0;
}

static void etw_last_load(oc *o, const char *why)
{
    ps_creation *c = &o->c;
    if (o->have_load)
        set_boundary(&c->b[6], o->last_load_ts, o->last_load_event, PS_CONF_INFERRED, "last Image/Load %s", why);
}

/* The exe's own load gives the path that ran and the main module. */
static void etw_main_image(ps_recon *r, oc *o, const ps_event *ev)
{
    ps_creation *c = &o->c;
    const char *b = ps_path_basename(ev->path);
    uint64_t v;

    if (o->have_main || !ev->image_size || !*o->image_base || !ps_starts_with_ci(b, o->image_base))
        return;
    o->have_main = true;
    o->main_base = ev->image_base;
    o->main_size = ev->image_size;
    if (!c->ifeo_image) {
        bool same = c->requested_image && c->image_path && strcmp(c->requested_image, c->image_path) == 0;
        free(c->image_path);
        c->image_path = dup_or_null(r, ev->path);
        o->image_base = c->image_path ? ps_path_basename(c->image_path) : "";
        if (same) {
            free(c->requested_image);
            c->requested_image = dup_or_null(r, ev->path);
        }
    }
    if (ps_map_get(&r->proc_by_pid, c->child_pid, &v)) {
        proc *p = proc_at(r, v);
        if (p->process_id == c->child_process_id) {
            free(p->image_path);
            p->image_path = dup_or_null(r, ev->path);
        }
    }
}

static int etw_child_event(ps_recon *r, oc *o, const ps_event *ev, int64_t event_id, ps_error *err)
{
    ps_creation *c = &o->c;
    bool initial;

    if (o->phase == P_WAIT_B3) {
        if (ev->op == PS_OP_THREAD_CREATE && ev->has_new_tid) {
            set_boundary(&c->b[3], ev->ts, event_id, PS_CONF_OBSERVED,
                         "%s of the child's first thread (TID %u)", ev->operation, ev->new_tid);
            c->has_initial_tid = true;
            c->initial_tid = ev->new_tid;
            o->phase = P_WAIT_B5;
            return 0;
        }
        if (ev->op == PS_OP_PROCESS_EXIT) {
            add_note(c, "the process exited before its first thread was created");
            return finalize(r, o, PS_STATUS_PARTIAL, err);
        }
        if (!ev->has_tid)
            return 0;
        /* the child runs but its Thread/Start is not in the trace */
        o->phase = P_WAIT_B5;
        c->has_initial_tid = true;
        c->initial_tid = ev->tid;
    }

    initial = ev->has_tid && c->has_initial_tid && ev->tid == c->initial_tid;
    if (o->phase == P_WAIT_B5) {
        if (ev->op == PS_OP_PROCESS_EXIT ||
            (ev->op == PS_OP_THREAD_EXIT && ev->has_new_tid && ev->new_tid == c->initial_tid)) {
            add_note(c, "the process exited before its initial thread ran");
            return finalize(r, o, PS_STATUS_PARTIAL, err);
        }
        if (!initial || ev->op == PS_OP_THREAD_CREATE)
            return 0;
        /* the image identity events logged with a load stand for it: B5 is the load */
        if (ev->op == PS_OP_OTHER && ev->cls == PS_CLASS_PROCESS && strncmp(ev->operation, "Image/", 6) == 0)
            return 0;
        if (o->b4 && c->b[3].found)
            set_boundary(&c->b[4], o->b4_ts, o->b4_event, PS_CONF_INFERRED, "%s", o->b4_rule);
        if (!etw_loader_event(r, ev, c->current_dir)) {
            char note[200];
            snprintf(c->b[5].rule, sizeof c->b[5].rule,
                     "not in the trace: the initial thread's first event (%s) is already past loading", ev->operation);
            snprintf(c->b[6].rule, sizeof c->b[6].rule, "not in the trace (see B5)");
            snprintf(note, sizeof note, "the trace shows no loader activity of the child; its first event is %s",
                     ev->operation);
            add_note(c, note);
            return finalize(r, o, PS_STATUS_COMPLETE, err);
        }
        set_boundary(&c->b[5], ev->ts, event_id, PS_CONF_OBSERVED, "first event of the initial thread (%s %s)",
                     ev->operation, ev->path && *ev->path ? ps_path_basename(ev->path) : "");
        o->phase = P_LOADER;
    }

    /* P_LOADER */
    if (ev->op == PS_OP_PROCESS_EXIT ||
        (ev->op == PS_OP_THREAD_EXIT && ev->has_new_tid && ev->new_tid == c->initial_tid)) {
        const char *what = ev->op == PS_OP_PROCESS_EXIT ? "the process exited" : "the initial thread exited";
        char why[96], note[96];
        snprintf(why, sizeof why, "before %s while loading", what);
        etw_last_load(o, why);
        snprintf(note, sizeof note, "%s while loading", what);
        add_note(c, note);
        return finalize(r, o, PS_STATUS_PARTIAL, err);
    }
    if (ev->op == PS_OP_LOAD_IMAGE)
        etw_main_image(r, o, ev);
    if (ev->nframes && initial && o->have_main && event_id != c->b[5].event_id &&
        frames_hit(ev, o->main_base, o->main_size)) {
        if (o->have_prev)
            set_boundary(&c->b[6], o->prev_ts, o->prev_event, PS_CONF_OBSERVED,
                         "last event of the child before the first with a frame in %s", o->image_base);
        return finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (initial && !etw_loader_event(r, ev, c->current_dir)) {
        char why[160];
        snprintf(why, sizeof why, "before the first non-image event of the initial thread (%s)", ev->operation);
        etw_last_load(o, why);
        return finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (ev->op == PS_OP_LOAD_IMAGE) {
        o->have_load = true;
        o->last_load_ts = ev->ts;
        o->last_load_event = event_id;
    }
    o->have_prev = true;
    o->prev_ts = ev->ts;
    o->prev_event = event_id;
    return 0;
}

/* The first burst of image loads is over when anything happens more than
 * b6_burst_gap after the last one. */
static int etw_burst_end(ps_recon *r, const ps_event *ev, ps_error *err)
{
    size_t i = 0;
    int rc;

    while (i < r->nopen) {
        oc *o = r->open[i];
        if (o->phase == P_LOADER && o->have_load && ev->ts - o->last_load_ts > r->cfg->b6_burst_gap) {
            char why[96];
            snprintf(why, sizeof why, "of the first burst (nothing of it for %lld ms after)",
                     (long long)(r->cfg->b6_burst_gap / 10000));
            etw_last_load(o, why);
            if ((rc = finalize(r, o, PS_STATUS_COMPLETE, err)) < 0)
                return rc;
            continue;   /* finalize moved another creation to slot i */
        }
        i++;
    }
    return 0;
}

static int etw_event(ps_recon *r, const ps_event *ev, int64_t event_id, thr *t, proc *evp, ps_error *err)
{
    oc *o;
    int rc;

    if (r->nopen && (rc = etw_burst_end(r, ev, err)) < 0)
        return rc;
    if (r->nopen && ev->ipc && (rc = etw_track_b4(r, ev, event_id, evp)) < 0)
        return ps_error_nomem(err);
    if (ev->op == PS_OP_PROCESS_CREATE && ev->has_child_pid)
        return etw_anchor(r, ev, event_id, t, err);
    o = open_for_child(r, ev->pid);
    if (o && (rc = etw_child_event(r, o, ev, event_id, err)) < 0)
        return rc;
    if (ev->op == PS_OP_THREAD_EXIT && ev->has_new_tid)
        thr_drop(r, thr_key(ev->pid, ev->new_tid));
    return 0;
}

/* End of the trace: creations still open end as partial. */
static int etw_finish(ps_recon *r, ps_error *err)
{
    int rc;

    while (r->nopen) {
        oc *o = r->open[r->nopen - 1];
        if (o->phase == P_LOADER) {
            etw_last_load(o, "before the trace ended while loading");
            add_note(&o->c, "the trace ended while loading");
        } else {
            add_note(&o->c, "the trace holds no event of the child's initial thread");
        }
        if ((rc = finalize(r, o, PS_STATUS_PARTIAL, err)) < 0)
            return rc;
    }
    return r->oom ? ps_error_nomem(err) : 0;
}

/* ---- life cycle ------------------------------------------------------------------- */

int ps_recon_new(ps_store *store, const ps_recon_config *cfg, int64_t trace_id,
                 ps_trace_info *info, ps_creation_hook hook, void *hook_ctx, ps_recon **out,
                 ps_error *err)
{
    ps_recon *r = calloc(1, sizeof *r);

    *out = NULL;
    if (!r)
        return ps_error_nomem(err);
    r->store = store;
    r->cfg = cfg;
    r->trace_id = trace_id;
    r->info = info;
    r->hook = hook;
    r->hook_ctx = hook_ctx;
    ps_map_init(&r->thr_by_key);
    ps_map_init(&r->proc_by_pid);
    ps_map_init(&r->proc_by_index);
    ps_buf_init(&r->scratch);
    *out = r;
    return 0;
}

static void proc_release(proc *p)
{
    free(p->name);
    free(p->image_path);
    free(p->command_line);
    free(p->current_dir);
    free(p->user);
    free(p->integrity);
    free(p->company);
    free(p->version);
    free(p->description);
}

void ps_recon_free(ps_recon *r)
{
    size_t i;

    if (!r)
        return;
    for (i = 0; i < r->nthr; i++)
        if (r->thr[i].key || r->thr[i].ring)
            thr_clear(&r->thr[i]);
    free(r->thr);
    free(r->thr_free);
    for (i = 0; i < r->nprocs; i++)
        proc_release(&r->procs[i]);
    free(r->procs);
    for (i = 0; i < r->nopen; i++)
        oc_free(r->open[i]);
    free(r->open);
    ps_map_release(&r->thr_by_key);
    ps_map_release(&r->proc_by_pid);
    ps_map_release(&r->proc_by_index);
    ps_buf_release(&r->scratch);
    for (i = 0; i < r->el_ndbg; i++) {
        free(r->el_dbg[i].name);
        free(r->el_dbg[i].data);
    }
    free(r);
}

static int write_processes(ps_recon *r, ps_error *err)
{
    size_t i;
    int rc;

    for (i = 0; i < r->nprocs; i++) {
        proc *p = &r->procs[i];
        ps_store_process sp;
        uint64_t v;

        memset(&sp, 0, sizeof sp);
        sp.process_id = p->process_id;
        sp.trace_id = r->trace_id;
        sp.pid = p->pid;
        sp.has_parent_pid = p->has_parent_pid;
        sp.parent_pid = p->parent_pid;
        sp.parent_process_id = p->parent_process_id;
        if (!sp.parent_process_id && p->parent_index >= 0 &&
            ps_map_get(&r->proc_by_index, (uint64_t)p->parent_index, &v))
            sp.parent_process_id = proc_at(r, v)->process_id;
        sp.process_name = p->name ? p->name : (p->image_path ? ps_path_basename(p->image_path) : NULL);
        sp.image_path = p->image_path;
        sp.command_line = p->command_line;
        sp.current_dir = p->current_dir;
        sp.user = p->user;
        sp.integrity = p->integrity;
        sp.company = p->company;
        sp.version = p->version;
        sp.description = p->description;
        sp.has_start = p->has_start;
        sp.start_ts = p->start_ts;
        sp.has_end = p->has_end;
        sp.end_ts = p->end_ts;
        sp.has_exit_status = p->has_exit;
        sp.exit_status = p->exit_status;
        sp.session = p->session;
        sp.is64 = p->is64;
        sp.source = p->from_table ? "process-table" : "events";
        if ((rc = ps_store_add_process(r->store, &sp, err)) < 0)
            return rc;
    }
    return 0;
}

int ps_recon_finish(ps_recon *r, ps_recon_summary *sum, ps_error *err)
{
    int rc;

    if (r->info->family == PS_FAMILY_EVENTLOG && (rc = eventlog_finish(r, err)) < 0)
        return rc;
    if (r->info->family == PS_FAMILY_ETW && (rc = etw_finish(r, err)) < 0)
        return rc;
    while (r->nopen) {
        oc *o = r->open[r->nopen - 1];
        ps_creation *c = &o->c;
        if (o->phase == P_LOADER)
            rule3(r, o, "the trace ended");
        else
            add_note(c, "the trace holds no event of the child's initial thread");
        if ((rc = finalize(r, o, PS_STATUS_PARTIAL, err)) < 0)
            return rc;
    }
    if ((rc = write_processes(r, err)) < 0)
        return rc;

    /* anchor local times to UTC: the majority shift among the creations whose
     * child has a process-table CreateTime, when it is a clear majority */
    if (r->nvotes) {
        size_t k, best = 0;
        for (k = 1; k < r->nvotes; k++)
            if (r->vote_count[k] > r->vote_count[best])
                best = k;
        if (r->vote_count[best] * 2 > r->vote_total) {
            const int64_t q = 15 * 60 * PS_TICKS_PER_SEC;
            int64_t shift = r->votes[best] * q;
            int tz;
            size_t n;
            if ((rc = ps_store_shift_trace_times(r->store, r->trace_id, shift, err)) < 0)
                return rc;
            /* shift = UTC - local(+days); local - UTC in minutes, within a day */
            tz = (int)((-shift % PS_TICKS_PER_DAY) / (60 * PS_TICKS_PER_SEC));
            if (tz > 14 * 60)
                tz -= 24 * 60;
            else if (tz < -14 * 60)
                tz += 24 * 60;
            r->sum.anchored = true;
            r->sum.shift = shift;
            r->sum.tz_offset_min = tz;
            r->sum.anchor_votes = r->vote_count[best];
            r->sum.anchor_total = r->vote_total;
            n = strlen(r->info->time_note);
            snprintf(r->info->time_note + n, sizeof r->info->time_note - n,
                     "%sanchored to UTC by %llu of %llu creations matched to the process table "
                     "(local time = UTC%+d:%02d)",
                     n ? "; " : "", (unsigned long long)r->vote_count[best],
                     (unsigned long long)r->vote_total, tz / 60, abs(tz % 60));
            r->info->time_basis = PS_TIME_UTC;
        }
    }
    if ((rc = ps_store_crosscheck(r->store, r->trace_id, err)) < 0)
        return rc;
    if (sum)
        *sum = r->sum;
    return 0;
}

/* ---- lookups for the rule engine -------------------------------------------------------- */

static bool proc_view(const proc *p, ps_recon_proc *out)
{
    memset(out, 0, sizeof *out);
    if (!p)
        return false;
    out->process_id = p->process_id;
    out->pid = p->pid;
    out->has_parent_pid = p->has_parent_pid;
    out->parent_pid = p->parent_pid;
    out->parent_process_id = p->parent_process_id;
    out->name = p->name;
    out->image_path = p->image_path;
    out->command_line = p->command_line;
    out->current_dir = p->current_dir;
    out->user = p->user;
    out->integrity = p->integrity;
    out->company = p->company;
    out->version = p->version;
    out->description = p->description;
    out->session = p->session;
    return true;
}

bool ps_recon_lookup_pid(ps_recon *r, uint32_t pid, int64_t proc_index, ps_recon_proc *out)
{
    uint64_t v;
    if (proc_index >= 0 && ps_map_get(&r->proc_by_index, (uint64_t)proc_index, &v))
        return proc_view(proc_at(r, v), out);
    return proc_view(proc_live(r, pid), out);
}

bool ps_recon_lookup_id(ps_recon *r, int64_t process_id, ps_recon_proc *out)
{
    size_t lo = 0, hi = r->nprocs;

    /* process ids are handed out in the order rows are created */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->procs[mid].process_id < process_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < r->nprocs && r->procs[lo].process_id == process_id)
        return proc_view(&r->procs[lo], out);
    memset(out, 0, sizeof *out);
    return false;
}
