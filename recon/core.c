/*
 * core.c - the streaming reconstruction engine (see recon.h and
 * docs/reconstruction.md): what every source family shares.  The rules of
 * each family are in their own file (internal.h lists them).
 */
#include "recon/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const rc_family *const families[] = {&rc_procmon, &rc_etw, &rc_eventlog};


/* ---- small helpers -------------------------------------------------------- */

/* The engine's string copies: a failed allocation sets r->oom, which every
 * entry point turns into PS_ERR_NOMEM, so that nothing is dropped silently. */
char *rc_strdup(ps_recon *r, const char *s)
{
    char *d;
    if (!s || !*s)
        return NULL;
    d = ps_strdup(s);
    if (!d)
        r->oom = true;
    return d;
}

void rc_set_str(ps_recon *r, char **dst, const char *s)
{
    if (!*dst && s && *s)
        *dst = rc_strdup(r, s);
}

uint64_t rc_name_hash(const char *s, size_t n)
{
    return ps_hash_ci(s, n);
}

static uint64_t basename_hash(const char *path)
{
    const char *b = ps_path_basename(path);
    return rc_name_hash(b, strlen(b));
}

bool rc_result_success(const char *r)
{
    return !r || !*r || strcmp(r, "SUCCESS") == 0;
}

/* ---- threads ------------------------------------------------------------------ */

uint64_t rc_thr_key(uint32_t pid, uint32_t tid)
{
    return ((uint64_t)pid << 32) | tid;
}

thr *rc_thr_get(ps_recon *r, uint64_t key, bool create)
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
    free(t->open_frames);
    for (i = 0; i < t->ndbg && i < NDBG; i++) {
        free(t->dbg[i].name);
        free(t->dbg[i].data);
    }
    memset(t, 0, sizeof *t);
}

void rc_thr_drop(ps_recon *r, uint64_t key)
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

/* The I/O a file system filter issues while it handles an open (an
 * offline-files redirector opening its cache copy of a network image, say)
 * is logged with the stack of the open it serves: that stack, but for its
 * innermost few frames, is the outer part of the nested event's own.  Such
 * an event counts as the file it serves (k->hash, k->nested); any file event
 * with a stack becomes the one later events are compared with. */
static int note_open_stack(thr *t, const ps_event *ev, cand *k)
{
    uint32_t p = t->nopen_frames, e = ev->nframes, shared = 0, i;

    while (shared < p && shared < e && t->open_frames[p - 1 - shared] == ev->frames[e - 1 - shared].address)
        shared++;
    if (t->open_hash && e > p && shared >= 8 && shared + 8 >= p) {
        k->hash = t->open_hash;
        k->nested = true;
        return 0;    /* the open it serves stays the reference */
    }
    if (!t->open_frames && !(t->open_frames = malloc(NOPENFRAMES * sizeof *t->open_frames)))
        return PS_ERR_NOMEM;
    t->nopen_frames = e < NOPENFRAMES ? e : NOPENFRAMES;
    for (i = 0; i < t->nopen_frames; i++)   /* the outermost ones when the stack is deeper */
        t->open_frames[i] = ev->frames[e - t->nopen_frames + i].address;
    t->open_hash = k->hash;
    return 0;
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

proc *rc_proc_new(ps_recon *r, uint32_t pid)
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

void rc_proc_set_name(ps_recon *r, proc *p, const char *name)
{
    if (!p->name && name && *name) {
        p->name = rc_strdup(r, name);
        p->subsystem = name_in(&r->cfg->subsystem_processes, name);
    }
}

proc *rc_proc_at(ps_recon *r, uint64_t v)
{
    return v ? &r->procs[v - 1] : NULL;
}

proc *rc_proc_live(ps_recon *r, uint32_t pid)
{
    uint64_t v;
    return ps_map_get(&r->proc_by_pid, pid, &v) ? rc_proc_at(r, v) : NULL;
}

/* The live process of a PID, or a new row for a process that existed
 * before the trace started; NULL when out of memory. */
proc *rc_proc_live_or_new(ps_recon *r, uint32_t pid)
{
    proc *p = rc_proc_live(r, pid);

    if (p)
        return p;
    p = rc_proc_new(r, pid);
    if (!p || ps_map_put(&r->proc_by_pid, pid, r->nprocs) < 0)
        return NULL;
    r->sum.processes++;
    return p;
}

/* A process table entry (PML, Procmon XML): one row per entry, keyed by the
 * source's process index. */
int rc_table_process_record(ps_recon *r, const ps_process_rec *pr, ps_error *err)
{
    proc *p;
    uint32_t i;
    int rc;

    p = rc_proc_new(r, pr->pid);
    if (!p)
        return ps_error_nomem(err);
    p->from_table = true;
    p->proc_index = pr->proc_index;
    p->parent_index = pr->parent_index;
    p->has_parent_pid = true;
    p->parent_pid = pr->parent_pid;
    rc_proc_set_name(r, p, pr->process_name);
    rc_set_str(r, &p->image_path, pr->image_path);
    rc_set_str(r, &p->command_line, pr->command_line);
    rc_set_str(r, &p->user, pr->user);
    rc_set_str(r, &p->integrity, pr->integrity);
    rc_set_str(r, &p->company, pr->company);
    rc_set_str(r, &p->version, pr->version);
    rc_set_str(r, &p->description, pr->description);
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

void rc_proc_absorb_attrs(ps_recon *r, proc *p, const ps_event *ev)
{
    const ps_proc_attrs *a = ev->proc;

    rc_proc_set_name(r, p, ev->process_name);
    if (!a)
        return;
    rc_set_str(r, &p->image_path, a->image_path);
    rc_set_str(r, &p->command_line, a->command_line);
    rc_set_str(r, &p->user, a->user);
    rc_set_str(r, &p->integrity, a->integrity);
    rc_set_str(r, &p->company, a->company);
    rc_set_str(r, &p->version, a->version);
    rc_set_str(r, &p->description, a->description);
    if (!p->has_parent_pid && a->has_parent_pid) {
        p->has_parent_pid = true;
        p->parent_pid = a->parent_pid;
    }
    if (p->session < 0 && a->session >= 0)
        p->session = a->session;
    if (p->is64 < 0 && a->architecture && *a->architecture)
        p->is64 = strstr(a->architecture, "64") != NULL;
}

/* The process row of an event: by the source's process index, else a new
 * instance at a Process Start (PIDs are reused), else the live process of
 * the PID; Process Start and Exit fill the row. */
int rc_table_resolve(ps_recon *r, const ps_event *ev, int64_t *process_id, ps_error *err)
{
    proc *p = NULL;
    uint64_t v;

    if (ev->proc_index >= 0 && ps_map_get(&r->proc_by_index, (uint64_t)ev->proc_index, &v))
        p = rc_proc_at(r, v);
    if (!p && ev->op == PS_OP_PROCESS_START) {
        /* a new process instance for this PID (PIDs are reused) */
        proc *old = rc_proc_live(r, ev->pid);
        if (old && old->from_table && !old->exited && !old->has_end && ev->proc_index < 0) {
            p = old;
        } else {
            p = rc_proc_new(r, ev->pid);
            if (!p)
                return ps_error_nomem(err);
            if (ps_map_put(&r->proc_by_pid, ev->pid, r->nprocs) < 0)
                return ps_error_nomem(err);
            r->sum.processes++;
        }
    }
    if (!p && !(p = rc_proc_live_or_new(r, ev->pid)))
        return ps_error_nomem(err);
    rc_proc_absorb_attrs(r, p, ev);
    if (r->oom)
        return ps_error_nomem(err);
    if (ev->op == PS_OP_PROCESS_START && !p->from_table) {
        p->has_start = true;
        p->start_ts = ev->ts;
        if (ev->has_parent_pid) {
            proc *pp = rc_proc_live(r, ev->parent_pid);
            p->has_parent_pid = true;
            p->parent_pid = ev->parent_pid;
            if (pp && pp != p)
                p->parent_process_id = pp->process_id;
        }
        rc_set_str(r, &p->command_line, ev->command_line);
        rc_set_str(r, &p->current_dir, ev->current_dir);
    } else if (ev->op == PS_OP_PROCESS_START) {
        rc_set_str(r, &p->current_dir, ev->current_dir);
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

oc *rc_open_for_child(ps_recon *r, uint32_t pid)
{
    uint64_t v;
    return ps_map_get(&r->open_by_pid, pid, &v) ? (oc *)(uintptr_t)v : NULL;
}

int rc_open_index_guid(ps_recon *r, oc *o)
{
    uint64_t h, v;
    if (!o->el_guid || !*o->el_guid)
        return 0;
    h = rc_name_hash(o->el_guid, strlen(o->el_guid));
    if (ps_map_get(&r->open_by_guid, h, &v)) {
        r->guid_clashes++;
        return 0;
    }
    return ps_map_put(&r->open_by_guid, h, (uint64_t)(uintptr_t)o) < 0 ? PS_ERR_NOMEM : 0;
}

oc *rc_open_for_guid(ps_recon *r, const char *guid)
{
    uint64_t v;
    size_t i;
    if (ps_map_get(&r->open_by_guid, rc_name_hash(guid, strlen(guid)), &v) &&
        ps_streq_ci(((oc *)(uintptr_t)v)->el_guid, guid))
        return (oc *)(uintptr_t)v;
    if (!r->guid_clashes)
        return NULL;
    for (i = 0; i < r->nopen; i++)
        if (r->open[i]->el_guid && ps_streq_ci(r->open[i]->el_guid, guid))
            return r->open[i];
    return NULL;
}

static void wait_remove(ps_recon *r, oc *o)
{
    if (!o->waiting)
        return;
    r->wait[o->wait_at] = r->wait[--r->nwait];
    r->wait[o->wait_at]->wait_at = o->wait_at;
    o->waiting = false;
}

int rc_set_phase(ps_recon *r, oc *o, int phase)
{
    o->phase = phase;
    if (phase != P_WAIT_B5) {
        wait_remove(r, o);
        return 0;
    }
    if (o->waiting)
        return 0;
    if (r->nwait == r->waitcap) {
        size_t nc = r->waitcap ? r->waitcap * 2 : 16;
        oc **nw = realloc(r->wait, nc * sizeof *nw);
        if (!nw)
            return PS_ERR_NOMEM;
        r->wait = nw;
        r->waitcap = nc;
    }
    o->wait_at = r->nwait;
    o->waiting = true;
    r->wait[r->nwait++] = o;
    return 0;
}

void rc_deadline(ps_recon *r, int64_t t)
{
    if (t < r->next_deadline)
        r->next_deadline = t;
}

int64_t rc_add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

void rc_set_boundary(ps_boundary *b, int64_t ts, int64_t event_id, ps_confidence conf,
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

void rc_oc_free(oc *o)
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
    if (!c->creator_name && c->creator_process_id) {
        const proc *p = rc_proc_by_id(r, c->creator_process_id);
        if (p) {
            rc_set_str(r, &c->creator_name, p->name ? p->name : p->image_path ? ps_path_basename(p->image_path) : NULL);
            rc_set_str(r, &c->creator_cmdline, p->command_line);
        }
    }
    if (!c->parent_name && c->has_parent_pid) {
        const proc *p = rc_proc_live(r, c->parent_pid);
        if (p && p->process_id != c->child_process_id) {
            rc_set_str(r, &c->parent_name, p->name ? p->name : p->image_path ? ps_path_basename(p->image_path) : NULL);
            rc_set_str(r, &c->parent_cmdline, p->command_line);
        }
    }
}

/* Ends an open creation: B4 from its candidate, stages derived, stored,
 * events attributed, detectors run. */
int rc_finalize(ps_recon *r, oc *o, ps_creation_status status, ps_error *err)
{
    ps_creation *c = &o->c;
    int rc;

    if (o->phase < P_LOADER && o->b4 && !c->b[4].found && c->b[3].found)
        rc_set_boundary(&c->b[4], o->b4_ts, o->b4_event, o->b4_observed ? PS_CONF_OBSERVED : PS_CONF_INFERRED,
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
        const proc *p = c->child_process_id ? rc_proc_by_id(r, c->child_process_id) : NULL;
        size_t k;
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
    /* forget it: the last open creation takes its slot */
    wait_remove(r, o);
    {
        uint64_t v;
        if (c->has_child_pid && ps_map_get(&r->open_by_pid, c->child_pid, &v) && v == (uint64_t)(uintptr_t)o)
            ps_map_del(&r->open_by_pid, c->child_pid);
        if (o->el_guid && *o->el_guid &&
            ps_map_get(&r->open_by_guid, rc_name_hash(o->el_guid, strlen(o->el_guid)), &v) &&
            v == (uint64_t)(uintptr_t)o)
            ps_map_del(&r->open_by_guid, rc_name_hash(o->el_guid, strlen(o->el_guid)));
    }
    if (o->open_at < r->nopen && r->open[o->open_at] == o) {
        r->open[o->open_at] = r->open[--r->nopen];
        r->open[o->open_at]->open_at = o->open_at;
    }
    rc_oc_free(o);
    return 0;
}

int rc_open_push(ps_recon *r, oc *o)
{
    if (r->nopen == r->opencap) {
        size_t nc = r->opencap ? r->opencap * 2 : 16;
        oc **no = realloc(r->open, nc * sizeof *no);
        if (!no)
            return PS_ERR_NOMEM;
        r->open = no;
        r->opencap = nc;
    }
    o->open_at = r->nopen;
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
void rc_set_ifeo(ps_recon *r, ps_creation *c, const char *name, const char *data, int64_t event_id)
{
    c->ifeo_image = rc_strdup(r, name);
    c->ifeo_debugger = rc_strdup(r, data);
    c->ifeo_event_id = event_id;
    free(c->requested_image);
    c->requested_image = requested_from_cmdline(r, c->command_line, name);
    if (!c->requested_image)
        c->requested_image = rc_strdup(r, name);
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

void rc_find_b0_b1(ps_recon *r, oc *o, thr *t, const ps_event *ev, uint64_t h2)
{
    ps_creation *c = &o->c;
    int64_t lo = ev->ts - r->cfg->b0_window;
    uint32_t i;
    const cand *newest = NULL, *oldest = NULL, *newest_open = NULL, *newest_section = NULL;
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
        if (!newest_open && !k->alloc_query)
            newest_open = k;
        if (!newest_section && k->section)
            newest_section = k;
        oldest = k;
    }
    if (!newest)
        return;
    /* B1: the image section's creation ends open_image; what follows it on
     * the image (the kernel's IFEO read, the label and name queries) is
     * PspAllocateProcess, stage 2.  Without a section event: the last open
     * or IFEO event, the queries after it stage 2 (docs/reconstruction.md,
     * refinement 11) */
    if (newest->kind == CAND_STACK)
        ;   /* a frame of open_image says so: the stack is the better evidence */
    else if (newest_section)
        newest = newest_section;
    else if (newest_open)
        newest = newest_open;
    rc_set_boundary(&c->b[0], oldest->ts, oldest->event_id, conf,
                 "first %s event of the creator %s's burst on the image before the Process Create",
                 cand_kind_name(oldest->kind), o->no_tid ? "process" : "thread");
    rc_set_boundary(&c->b[1], newest->ts, newest->event_id, conf,
                 "last %s event of the creator %s on the image before the Process Create%s",
                 cand_kind_name(newest->kind), o->no_tid ? "process" : "thread",
                 newest->nested ? " (I/O nested in the image's open: its stack holds the open's)" : "");
}

/* A new open creation anchored on event_id. */
oc *rc_oc_new(ps_recon *r, ps_anchor_kind kind, const ps_event *ev, int64_t event_id)
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
    c->result = rc_strdup(r, ev->result);
    c->create_ts = ev->ts;
    return o;
}

/* Sets the image of an open creation and the hash B0/B1 look for. */
void rc_oc_set_image(ps_recon *r, oc *o, const char *path)
{
    o->c.image_path = rc_strdup(r, path);
    o->c.requested_image = rc_strdup(r, path);
    o->image_base = o->c.image_path ? ps_path_basename(o->c.image_path) : "";
    o->image_hash = *o->image_base ? rc_name_hash(o->image_base, strlen(o->image_base)) : 0;
}

/* The creator: the process and thread that logged the anchor. */
void rc_oc_set_creator(oc *o, const ps_event *ev)
{
    ps_creation *c = &o->c;

    c->has_creator = true;
    c->creator_pid = ev->pid;
    o->creator_key = rc_thr_key(ev->pid, ev->has_tid ? ev->tid : 0);
    o->creator_tid_attr = ev->has_tid ? (int64_t)ev->tid : -1;
    if (ev->has_tid) {
        c->has_creator_tid = true;
        c->creator_tid = ev->tid;
    }
}

/* Starts waiting for B3: an earlier creation of the same PID that is still
 * open ends as partial first (the PID was reused). */
int rc_oc_open(ps_recon *r, oc *o, ps_error *err)
{
    oc *prev = rc_open_for_child(r, o->c.child_pid);
    int rc;

    if (prev) {
        char note[96];
        snprintf(note, sizeof note, "PID %u was created again before this creation finished", o->c.child_pid);
        rc_add_note(&prev->c, note);
        if ((rc = rc_finalize(r, prev, PS_STATUS_PARTIAL, err)) < 0) {
            rc_oc_free(o);
            return rc;
        }
    }
    o->phase = P_WAIT_B3;
    if (rc_open_push(r, o) < 0) {
        rc_oc_free(o);
        return ps_error_nomem(err);
    }
    /* o is open now: freed by ps_recon_free on failure */
    if (o->c.has_child_pid && ps_map_put(&r->open_by_pid, o->c.child_pid, (uint64_t)(uintptr_t)o) < 0)
        return ps_error_nomem(err);
    return 0;
}

/* IFEO Debugger redirection: a successful Debugger query for another image
 * X on the creator thread, and a command line that carries X.  Returns the
 * name hash of X (0 none) for B0/B1. */
uint64_t rc_ifeo_redirect(ps_recon *r, oc *o, thr *t, const ps_event *ev)
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
        rc_set_ifeo(r, c, d->name, d->data, d->event_id);
        h2 = rc_name_hash(d->name, strlen(d->name));
        snprintf(c->note, sizeof c->note, "IFEO Debugger of %s redirected the launch", d->name);
        break;
    }
    return h2;
}

/* A creation anchored on the child's own start event (ev: its pid, parent,
 * command line and directory); NULL when out of memory. */
oc *rc_oc_new_started(ps_recon *r, const ps_event *ev, int64_t event_id, const proc *evp, const char *image)
{
    oc *o = rc_oc_new(r, PS_ANCHOR_PROCESS_START, ev, event_id);
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
    rc_oc_set_image(r, o, image);
    c->command_line = rc_strdup(r, ev->command_line);
    c->current_dir = rc_strdup(r, ev->current_dir);
    o->start_seen = true;
    return o;
}

/* "C:\dir" and "c:\DIR\" name the same directory */
bool rc_same_dir(const char *a, const char *b)
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
        if (cfg->loader_current_directory && current_dir && rc_same_dir(path, current_dir))
            return true;
    }
    if (ev->cls == PS_CLASS_REGISTRY && *path) {
        for (i = 0; i < cfg->loader_registry_paths.n; i++)
            if (ps_strstr_ci(path, cfg->loader_registry_paths.items[i]))
                return true;
    }
    return false;
}

int rc_add_sub_event(oc *o, int64_t event_id)
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

bool rc_frames_hit(const ps_event *ev, uint64_t base, uint64_t size)
{
    uint32_t i;
    for (i = 0; i < ev->nframes; i++)
        if (ev->frames[i].address >= base && ev->frames[i].address - base < size)
            return true;
    return false;
}

void rc_add_note(ps_creation *c, const char *text)
{
    size_t n = strlen(c->note);
    snprintf(c->note + n, sizeof c->note - n, "%s%s", n ? "; " : "", text);
}

/* Forgets threads idle for longer than the B0 window: everything they hold
 * (image/IFEO candidates, Debugger reads, the last Process Create) only
 * matters within that window, so memory stays bounded by the live threads
 * however long the trace is. */
void rc_sweep_threads(ps_recon *r, int64_t now)
{
    size_t i;
    for (i = 0; i < r->nthr; i++) {
        thr *t = &r->thr[i];
        if (t->key && now - t->last_ts > r->cfg->b0_window)
            rc_thr_drop(r, t->key);
    }
}

/* Process ids are handed out in the order rows are created (rc_proc_new),
 * so r->procs is sorted by them. */
proc *rc_proc_by_id(ps_recon *r, int64_t process_id)
{
    size_t lo = 0, hi = r->nprocs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->procs[mid].process_id < process_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->nprocs && r->procs[lo].process_id == process_id ? &r->procs[lo] : NULL;
}

/* ---- per-event bookkeeping and dispatch ------------------------------------------ */

int rc_thread_event(ps_recon *r, const ps_event *ev, int64_t event_id, thr **tp, proc **evpp, ps_error *err)
{
    thr *t;
    proc *evp;
    uint64_t key = rc_thr_key(ev->pid, ev->has_tid ? ev->tid : 0);
    int rc;

    if ((++r->events & 0xFFFF) == 0)
        rc_sweep_threads(r, ev->ts);
    t = rc_thr_get(r, key, true);
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
            evp = rc_proc_at(r, v);
        else
            evp = rc_proc_live(r, ev->pid);
    }

    /* remember image and IFEO events of every thread for B0/B1 */
    t->nevents++;
    if (ev->path && *ev->path) {
        cand k = {event_id, ev->ts, 0, t->nevents, 0, false, false, false};
        const char *name, *rest;
        size_t nlen;
        if (ev->cls == PS_CLASS_FILE) {
            k.kind = CAND_FILE;
            k.hash = basename_hash(ev->path);
            /* NtCreateUserProcess queries the section's file for its
             * mandatory label and name in PspAllocateProcess, after the
             * image is open: stage 2 (stages.md, "Corrections") */
            k.alloc_query = ev->operation &&
                            (!strcmp(ev->operation, "QuerySecurityFile") || !strcmp(ev->operation, "QueryNameInformationFile"));
            k.section = ev->operation && !strcmp(ev->operation, "CreateFileMapping");
        } else if (ev->cls == PS_CLASS_REGISTRY && ps_ifeo_parts(ev->path, &name, &nlen, &rest)) {
            k.kind = CAND_IFEO;
            k.hash = rc_name_hash(name, nlen);
            if (ev->op == PS_OP_REG_QUERY_VALUE && rest && ps_streq_ci(rest, "Debugger") &&
                rc_result_success(ev->result) && (rc = dbg_push(t, ev, event_id, name, nlen)) < 0)
                return ps_error_nomem(err);
        }
        if (k.kind == CAND_FILE && ev->nframes && (rc = note_open_stack(t, ev, &k)) < 0)
            return ps_error_nomem(err);
        if (k.kind && ring_push(t, r->cfg->b0_window, &k) < 0)
            return ps_error_nomem(err);
    }
    /* stack attribution: the creator's events under an open_image frame
     * (CreateProcessInternalW, NtCreateUserProcess) count for B0/B1 too */
    if (ev->frame_stage == 1 && ev->op != PS_OP_PROCESS_CREATE &&
        !(t->count && t->ring[(t->head + t->count - 1) % t->cap].event_id == event_id)) {
        cand k = {event_id, ev->ts, 1, t->nevents, CAND_STACK, false, false, false};
        if (ring_push(t, r->cfg->b0_window, &k) < 0)
            return ps_error_nomem(err);
    }
    *tp = t;
    *evpp = evp;
    return 0;
}

int ps_recon_process_record(ps_recon *r, const ps_process_rec *pr, ps_error *err)
{
    return r->fam->process_record ? r->fam->process_record(r, pr, err) : rc_table_process_record(r, pr, err);
}

int ps_recon_resolve(ps_recon *r, const ps_event *ev, int64_t *process_id, ps_error *err)
{
    return r->fam->resolve ? r->fam->resolve(r, ev, process_id, err) : rc_table_resolve(r, ev, process_id, err);
}

int ps_recon_event(ps_recon *r, const ps_event *ev, int64_t event_id, ps_error *err)
{
    int rc = r->fam->event(r, ev, event_id, err);
    if (rc == 0 && r->oom)
        rc = ps_error_nomem(err);
    return rc;
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
    for (size_t i = 0; i < PS_ARRAY_LEN(families); i++)
        if (families[i]->family == info->family)
            r->fam = families[i];
    if (!r->fam) {
        free(r);
        return ps_error_set(err, PS_ERR_INTERNAL, "no reconstruction rules for source family %d", (int)info->family);
    }
    if (r->fam->state_size && !(r->fam_state = calloc(1, r->fam->state_size))) {
        free(r);
        return ps_error_nomem(err);
    }
    ps_map_init(&r->thr_by_key);
    ps_map_init(&r->proc_by_pid);
    ps_map_init(&r->proc_by_index);
    ps_map_init(&r->open_by_pid);
    ps_map_init(&r->open_by_guid);
    r->next_deadline = INT64_MAX;
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
        rc_oc_free(r->open[i]);
    free(r->open);
    ps_map_release(&r->thr_by_key);
    ps_map_release(&r->proc_by_pid);
    ps_map_release(&r->proc_by_index);
    ps_map_release(&r->open_by_pid);
    ps_map_release(&r->open_by_guid);
    free(r->wait);
    ps_buf_release(&r->scratch);
    if (r->fam && r->fam->release)
        r->fam->release(r);
    free(r->fam_state);
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
            sp.parent_process_id = rc_proc_at(r, v)->process_id;
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

    if ((rc = r->fam->finish(r, err)) < 0)
        return rc;
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
        return proc_view(rc_proc_at(r, v), out);
    return proc_view(rc_proc_live(r, pid), out);
}

bool ps_recon_lookup_id(ps_recon *r, int64_t process_id, ps_recon_proc *out)
{
    const proc *p = rc_proc_by_id(r, process_id);
    if (p)
        return proc_view(p, out);
    memset(out, 0, sizeof *out);
    return false;
}


/* The initial thread's kernel start-up (stages.md, "Corrections from real
 * launches"): the prefetcher reads \Windows\Prefetch\NAME.pf, then opens the
 * files it lists under the upper-case names the .pf records. */
bool rc_prefetch_file(const char *path)
{
    return path && ps_strstr_ci(path, "\\Prefetch\\") && ps_ends_with_ci(path, ".pf");
}

bool rc_upper_case_path(const char *p)
{
    bool letter = false;
    for (; *p; p++) {
        if (*p >= 'a' && *p <= 'z')
            return false;
        if (*p >= 'A' && *p <= 'Z')
            letter = true;
    }
    return letter;
}

/* The NTSTATUS codes a process dies with while its loader runs (the loader's
 * own failures, and the crashes of a DllMain), by name. */
static const struct {
    uint32_t code;
    const char *name;
} ntstatus_names[] = {
    {0xC0000005u, "STATUS_ACCESS_VIOLATION"},
    {0xC0000006u, "STATUS_IN_PAGE_ERROR"},
    {0xC0000017u, "STATUS_NO_MEMORY"},
    {0xC000001Du, "STATUS_ILLEGAL_INSTRUCTION"},
    {0xC0000022u, "STATUS_ACCESS_DENIED"},
    {0xC000007Bu, "STATUS_INVALID_IMAGE_FORMAT"},
    {0xC00000FDu, "STATUS_STACK_OVERFLOW"},
    {0xC0000135u, "STATUS_DLL_NOT_FOUND"},
    {0xC0000138u, "STATUS_ORDINAL_NOT_FOUND"},
    {0xC0000139u, "STATUS_ENTRYPOINT_NOT_FOUND"},
    {0xC000013Au, "STATUS_CONTROL_C_EXIT"},
    {0xC0000142u, "STATUS_DLL_INIT_FAILED"},
    {0xC0000361u, "STATUS_ACCESS_DISABLED_BY_POLICY_DEFAULT"},
    {0xC0000374u, "STATUS_HEAP_CORRUPTION"},
    {0xC0000409u, "STATUS_STACK_BUFFER_OVERRUN"},
    {0xC0000417u, "STATUS_INVALID_CRUNTIME_PARAMETER"},
    {0xC0000428u, "STATUS_INVALID_IMAGE_HASH"},
};

bool rc_ntstatus_error(int64_t status)
{
    return ((uint32_t)status & 0xC0000000u) == 0xC0000000u;
}

void rc_ntstatus_text(int64_t status, char *buf, size_t cap)
{
    uint32_t code = (uint32_t)status;
    size_t i;

    for (i = 0; i < sizeof ntstatus_names / sizeof *ntstatus_names; i++)
        if (ntstatus_names[i].code == code) {
            snprintf(buf, cap, "0x%08X %s", (unsigned)code, ntstatus_names[i].name);
            return;
        }
    snprintf(buf, cap, "0x%08X", (unsigned)code);
}

void rc_note_werfault(oc *o, const ps_event *ev, int64_t event_id)
{
    const char *image = ev->path && *ev->path ? ev->path : ev->child ? ev->child->image_path : NULL;
    if (o->werfault_event || !image || !ps_streq_ci(ps_path_basename(image), "WerFault.exe"))
        return;
    o->werfault_event = event_id;
    o->werfault_pid = ev->has_child_pid ? ev->child_pid : 0;
}

int rc_died_loading(ps_recon *r, oc *o, int64_t ts, int64_t event_id, int64_t status, ps_error *err)
{
    ps_creation *c = &o->c;
    char st[64], wer[96] = "", note[200];
    bool thr = o->pm_exit_event != 0;

    rc_ntstatus_text(status, st, sizeof st);
    if (o->werfault_event)
        snprintf(wer, sizeof wer, "; it started WerFault.exe (PID %u, event %lld) to report the failure",
                 (unsigned)o->werfault_pid, (long long)o->werfault_event);
    rc_set_boundary(&c->b[6], thr ? o->pm_exit_ts : ts, thr ? o->pm_exit_event : event_id, PS_CONF_OBSERVED,
                    "%s during user_init: the process exited with %s%s",
                    thr ? "the initial thread exited" : "the process exited", st, wer);
    snprintf(note, sizeof note, "the process died during user_init (%s)%s", st, wer);
    rc_add_note(c, note);
    return rc_finalize(r, o, PS_STATUS_FAILED, err);
}
