/*
 * eventlog.c - the reconstruction rules for Sysmon and Security event logs
 * (EVTX, wevtutil XML; stages.md, "Sysmon / Security event logs";
 * docs/reconstruction.md).
 */
#include "recon/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EL_NDBG 64
#define EL_NACC 64
/* how long before a Sysmon 1's UtcTime its creator's handles may be opened:
 * the handle to the child comes a few ms before CreateTime at most, the
 * spoofer's handle to the chosen parent shortly before the call */
#define EL_CHILD_HANDLE_LEAD (50 * 10000LL)
#define EL_PARENT_HANDLE_LEAD (2000 * 10000LL)
#define EL_PROCESS_CREATE_PROCESS 0x80u

/* The family's state: IFEO Debugger values set in the log. */
typedef struct el_state {
    struct el_dbg {
        char *name;       /* the IFEO subkey: the image */
        char *data;       /* the Debugger value */
        int64_t event_id;
    } dbg[EL_NDBG];
    size_t ndbg;
    bool seen_loads;      /* the log holds Sysmon 7 image loads */
    /* the latest Sysmon 10 ProcessAccess records, for the creator of a
     * Sysmon 1 (issue 14 item 10; docs/reconstruction.md) */
    struct el_access {
        uint32_t src_pid, tgt_pid;
        char src_guid[40], tgt_guid[40];
        char src_image[160];
        uint32_t granted;
        bool create_trace;    /* its CallTrace runs through CreateProcess */
        bool broker;          /* ... through a service that sets parents by design */
        bool to_own_child;    /* the target was created by the source */
        int64_t ts, event_id;
    } acc[EL_NACC];
    size_t nacc, acc_next;
} el_state;

static inline el_state *S(ps_recon *r)
{
    return r->fam_state;
}

/* ---- Sysmon / Security event logs (stages.md, "Sysmon / Security event logs") ----
 *
 *   Sysmon 1   B2 = UtcTime, the process object's CreateTime (observed);
 *              the child's Sysmon 7 image loads (by ProcessGuid, else PID):
 *              B5 = the first (inferred), B6 = the last of the first burst,
 *              loads at most el_burst_gap apart (inferred); B0, B1, B3, B4
 *              missing.  The burst must hold ntdll, kernel32 and
 *              KernelBase, which every Win32 process maps: without them the
 *              Sysmon configuration filters image loads (most real logs do)
 *              and B5/B6 are not observable, whatever else was logged (one
 *              load never shows the end of loading).  Without a load within el_load_wait the later stages
 *              are not observable (complete); an exit or the end of the log
 *              during the burst ends it as partial.
 *   Security 4688  B2 = TimeCreated (inferred); the rest missing.
 *   IFEO: a Debugger value set in the log (Sysmon 13, Security 4657) for X,
 *   then a creation whose image is that debugger and whose command line
 *   carries X: ifeo_image/ifeo_debugger/ifeo_event_id are set (the write is
 *   the evidence; the creator's read is not logged). */

static oc *el_open_for(ps_recon *r, const ps_event *ev)
{
    const char *guid = ev->subject_guid;
    oc *by_pid = rc_open_for_child(r, ev->pid), *by_guid;

    if (!guid || !*guid)
        return by_pid;
    /* an event with a ProcessGuid belongs to the creation of that guid, or
     * to one of its pid that has none; the earlier opened if both */
    by_guid = rc_open_for_guid(r, guid);
    if (by_pid && by_pid->el_guid)
        by_pid = NULL;
    if (by_pid && by_guid)
        return by_pid->open_at < by_guid->open_at ? by_pid : by_guid;
    return by_pid ? by_pid : by_guid;
}

static void el_dbg_forget(ps_recon *r, const char *name, size_t nlen)
{
    size_t i;
    for (i = 0; i < S(r)->ndbg; i++)
        if (strlen(S(r)->dbg[i].name) == nlen && ps_strneq_ci(S(r)->dbg[i].name, name, nlen)) {
            free(S(r)->dbg[i].name);
            free(S(r)->dbg[i].data);
            S(r)->dbg[i] = S(r)->dbg[--S(r)->ndbg];
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
    if (S(r)->ndbg == EL_NDBG) {
        free(S(r)->dbg[0].name);
        free(S(r)->dbg[0].data);
        memmove(&S(r)->dbg[0], &S(r)->dbg[1], (EL_NDBG - 1) * sizeof S(r)->dbg[0]);
        S(r)->ndbg--;
    }
    S(r)->dbg[S(r)->ndbg].name = ps_strndup(name, nlen);
    S(r)->dbg[S(r)->ndbg].data = ps_strdup(ev->reg_data);
    S(r)->dbg[S(r)->ndbg].event_id = event_id;
    if (!S(r)->dbg[S(r)->ndbg].name || !S(r)->dbg[S(r)->ndbg].data)
        return PS_ERR_NOMEM;
    S(r)->ndbg++;
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
    for (i = S(r)->ndbg; i-- > 0;) {
        const struct el_dbg *d = &S(r)->dbg[i];
        char exe[512];
        el_debugger_exe(d->data, exe, sizeof exe);
        if (!ps_streq_ci(exe, o->image_base) || ps_streq_ci(d->name, o->image_base) ||
            !ps_strstr_ci(c->command_line, d->name))
            continue;
        rc_set_ifeo(r, c, d->name, d->data, d->event_id);
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
    const char *img = ev->parent_image;
    proc *pp;

    if (!ev->has_parent_pid)
        return 0;
    pp = rc_proc_live(r, ev->parent_pid);
    if (!pp && img && *img) {
        pp = rc_proc_new(r, ev->parent_pid);
        if (!pp || ps_map_put(&r->proc_by_pid, ev->parent_pid, r->nprocs) < 0)
            return ps_error_nomem(err);
        r->sum.processes++;
        rc_proc_set_name(r, pp, ps_path_basename(img));
    }
    if (!pp || pp == evp)
        return 0;
    rc_set_str(r, &pp->image_path, img);
    rc_set_str(r, &pp->command_line, ev->parent_command_line);
    if (evp && !evp->parent_process_id)
        evp->parent_process_id = pp->process_id;
    return 0;
}

/* A Sysmon 10 record remembered for the creations that follow it. */
static void el_keep_access(ps_recon *r, const ps_event *ev, int64_t now, int64_t event_id)
{
    el_state *st = S(r);
    struct el_access *a = &st->acc[st->acc_next];
    const char *v;

    memset(a, 0, sizeof *a);
    a->src_pid = (v = ps_event_field(ev, "SourceProcessId")) ? (uint32_t)strtoul(v, NULL, 10) : ev->pid;
    a->tgt_pid = (v = ps_event_field(ev, "TargetProcessId")) ? (uint32_t)strtoul(v, NULL, 10) : 0;
    if ((v = ps_event_field(ev, "SourceProcessGUID")))
        ps_strlcpy(a->src_guid, v, sizeof a->src_guid);
    if ((v = ps_event_field(ev, "TargetProcessGUID")))
        ps_strlcpy(a->tgt_guid, v, sizeof a->tgt_guid);
    if ((v = ps_event_field(ev, "SourceImage")))
        ps_strlcpy(a->src_image, v, sizeof a->src_image);
    a->granted = (v = ps_event_field(ev, "GrantedAccess")) ? (uint32_t)strtoul(v, NULL, 16) : 0;
    v = ps_event_field(ev, "CallTrace");
    a->create_trace = v && (ps_strstr_ci(v, "CreateProcessInternal") || ps_strstr_ci(v, "NtCreateUserProcess"));
    /* AppInfo (elevation), Secondary Logon and Task Scheduler give the
     * processes they start another parent by design */
    a->broker = v && (ps_strstr_ci(v, "\\appinfo.dll+") || ps_strstr_ci(v, "\\seclogon.dll+") ||
                      ps_strstr_ci(v, "\\schedsvc.dll+"));
    {
        /* a handle to a process the source created (its own CreateProcess
         * handle, or later work on its child) says nothing of spoofing */
        const proc *src = rc_proc_live(r, a->src_pid), *tgt = a->tgt_pid ? rc_proc_live(r, a->tgt_pid) : NULL;
        a->to_own_child = src && tgt && tgt->parent_process_id && tgt->parent_process_id == src->process_id;
    }
    a->ts = now;
    a->event_id = event_id;
    st->acc_next = (st->acc_next + 1) % EL_NACC;
    if (st->nacc < EL_NACC)
        st->nacc++;
}

/* The access names the creation's creator: its handle to the child (its
 * CallTrace through CreateProcess), or a handle to the recorded parent with
 * PROCESS_CREATE_PROCESS shortly before (the attribute list of a spoofed
 * parent needs one). */
static bool el_access_to_child(const struct el_access *a, const oc *o)
{
    const ps_creation *c = &o->c;
    if (!a->create_trace || a->ts < c->create_ts - EL_CHILD_HANDLE_LEAD)
        return false;
    if (*a->tgt_guid && o->el_guid)
        return ps_streq_ci(a->tgt_guid, o->el_guid);
    return c->has_child_pid && a->tgt_pid == c->child_pid;
}

static bool el_access_to_parent(const struct el_access *a, const oc *o, const char *parent_guid)
{
    const ps_creation *c = &o->c;
    if (!(a->granted & EL_PROCESS_CREATE_PROCESS) || a->create_trace || a->to_own_child || a->ts > c->create_ts ||
        a->ts < c->create_ts - EL_PARENT_HANDLE_LEAD || !c->has_parent_pid || a->src_pid == c->parent_pid)
        return false;
    if (*a->tgt_guid && parent_guid && *parent_guid)
        return ps_streq_ci(a->tgt_guid, parent_guid);
    return a->tgt_pid == c->parent_pid;
}

static void el_set_creator(ps_recon *r, oc *o, const struct el_access *a, bool child_handle)
{
    ps_creation *c = &o->c;
    const proc *p = rc_proc_live(r, a->src_pid);
    const char *name = *a->src_image ? ps_path_basename(a->src_image) : p && p->name ? p->name : NULL;
    char note[240];
    int64_t ms = (c->create_ts - a->ts) / 10000;

    if (c->creator_event_id && (c->creator_by_child_handle || !child_handle))
        return;   /* the handle to the child is the better evidence */
    c->has_creator = true;
    c->creator_pid = a->src_pid;
    c->creator_process_id = p ? p->process_id : 0;
    free(c->creator_name);
    free(c->creator_cmdline);
    c->creator_name = name ? rc_strdup(r, name) : NULL;
    c->creator_cmdline = p && p->command_line ? rc_strdup(r, p->command_line) : NULL;
    c->creator_event_id = a->event_id;
    c->creator_by_child_handle = child_handle;
    c->creator_broker = a->broker;
    if (child_handle)
        snprintf(note, sizeof note, "creator %.60s (%u): its handle to the new process, opened in CreateProcess "
                 "(Sysmon 10 CallTrace)", name ? name : "?", a->src_pid);
    else
        snprintf(note, sizeof note, "creator %.60s (%u) by inference: it opened the recorded parent (%u) with "
                 "PROCESS_CREATE_PROCESS %lld ms before", name ? name : "?", a->src_pid, c->parent_pid,
                 (long long)ms);
    rc_add_note(c, note);
}

/* A new Sysmon 1 creation: the remembered accesses that name its creator. */
static void el_creator_from_accesses(ps_recon *r, oc *o, const char *parent_guid)
{
    el_state *st = S(r);
    const struct el_access *best = NULL;
    size_t i;

    for (i = 0; i < st->nacc; i++) {
        const struct el_access *a = &st->acc[i];
        if (el_access_to_child(a, o)) {
            el_set_creator(r, o, a, true);
            return;
        }
        if (el_access_to_parent(a, o, parent_guid) && (!best || a->ts > best->ts))
            best = a;
    }
    if (best)
        el_set_creator(r, o, best, false);
}

/* A Sysmon 10 after the creation it names (its handle to the child). */
static void el_access_event(ps_recon *r, const ps_event *ev, int64_t now, int64_t event_id)
{
    el_state *st = S(r);
    const struct el_access *a;
    oc *o;

    el_keep_access(r, ev, now, event_id);
    a = &st->acc[(st->acc_next + EL_NACC - 1) % EL_NACC];
    if (!a->create_trace)
        return;
    o = *a->tgt_guid ? rc_open_for_guid(r, a->tgt_guid) : rc_open_for_child(r, a->tgt_pid);
    if (o && el_access_to_child(a, o))
        el_set_creator(r, o, a, true);
}

static int el_creation(ps_recon *r, const ps_event *ev, int64_t event_id, proc *evp, bool sysmon,
                       ps_error *err)
{
    oc *o = rc_oc_new_started(r, ev, event_id, evp, ev->path);
    ps_creation *c;
    int rc;

    if (!o)
        return ps_error_nomem(err);
    c = &o->c;
    el_ifeo(r, o);
    if (sysmon) {
        const char *guid = ev->subject_guid;
        o->el_guid = rc_strdup(r, guid);
        c->create_ts = ev->subject_ts;
        rc_set_boundary(&c->b[2], c->create_ts, event_id, PS_CONF_OBSERVED,
                     "Sysmon 1 UtcTime (the process object's CreateTime)");
        if ((rc = rc_oc_open(r, o, err)) < 0)
            return rc;
        /* B3 and B4 are not in the log */
        if (rc_set_phase(r, o, P_WAIT_B5) < 0 || rc_open_index_guid(r, o) < 0)
            return ps_error_nomem(err);
        el_creator_from_accesses(r, o, ps_event_field(ev, "ParentProcessGuid"));
        rc_deadline(r, rc_add_sat(c->create_ts, r->cfg->el_load_wait));
        return 0;
    }
    rc_set_boundary(&c->b[2], ev->ts, event_id, PS_CONF_INFERRED,
                 "Security 4688 TimeCreated (logged as the process was created)");
    rc_add_note(c, "Security 4688 records the creation only: the other stages are not observable");
    o->phase = P_DONE;
    if (rc_open_push(r, o) < 0) {
        rc_oc_free(o);
        return ps_error_nomem(err);
    }
    return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
}

#define EL_FILTERED_NOTE                                                                                      \
    "the log's image loads are filtered (ntdll, kernel32 and KernelBase are not all logged for the process): " \
    "stages 3 to 6 not observable"

/* The core DLLs every Win32 process maps, one bit each. */
static unsigned el_core_bit(const char *base)
{
    if (ps_streq_ci(base, "ntdll.dll"))
        return 1;
    if (ps_streq_ci(base, "kernel32.dll"))
        return 2;
    if (ps_streq_ci(base, "kernelbase.dll"))
        return 4;
    return 0;
}

/* Ends the first burst of image loads: B6 = its last load, when the burst
 * holds the core DLLs; otherwise the log's loads are filtered and neither B5
 * nor B6 is observable (the creation ran: complete). */
static int el_end_burst(ps_recon *r, oc *o, ps_creation_status st, const char *why, ps_error *err)
{
    ps_creation *c = &o->c;
    if (o->el_core_loads != 7) {
        c->b[5].found = false;
        rc_add_note(c, EL_FILTERED_NOTE);
        return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    rc_set_boundary(&c->b[6], o->last_load_ts, o->last_load_event, PS_CONF_INFERRED,
                 "last Sysmon 7 image load of the first burst (loads at most %lld ms apart)",
                 (long long)(r->cfg->el_burst_gap / 10000));
    if (why)
        rc_add_note(c, why);
    return rc_finalize(r, o, st, err);
}

/* Creations whose wait for an image load, or whose burst, is over at `now`. */
static int el_sweep(ps_recon *r, int64_t now, ps_error *err)
{
    size_t i = 0;
    int rc;

    /* nothing can be over before the earliest deadline (rc_deadline) */
    if (now <= r->next_deadline)
        return 0;
    r->next_deadline = INT64_MAX;
    while (i < r->nopen) {
        oc *o = r->open[i];
        if (o->phase == P_WAIT_B5 && now - o->c.create_ts > r->cfg->el_load_wait) {
            char note[160];
            snprintf(note, sizeof note,
                     "no image load of the process within %lld s in the log: stages 3 to 6 not observable",
                     (long long)(r->cfg->el_load_wait / PS_TICKS_PER_SEC));
            rc_add_note(&o->c, note);
            if ((rc = rc_finalize(r, o, PS_STATUS_COMPLETE, err)) < 0)
                return rc;
            continue;   /* rc_finalize moved another creation into slot i */
        }
        if (o->phase == P_LOADER && now - o->last_load_ts > r->cfg->el_burst_gap) {
            if ((rc = el_end_burst(r, o, PS_STATUS_COMPLETE, NULL, err)) < 0)
                return rc;
            continue;
        }
        if (o->phase == P_WAIT_B5)
            rc_deadline(r, rc_add_sat(o->c.create_ts, r->cfg->el_load_wait));
        else if (o->phase == P_LOADER)
            rc_deadline(r, rc_add_sat(o->last_load_ts, r->cfg->el_burst_gap));
        i++;
    }
    return 0;
}

static int eventlog_event(ps_recon *r, const ps_event *ev, int64_t event_id, ps_error *err)
{
    bool sysmon = ev->has_subject_ts;
    int64_t now = sysmon ? ev->subject_ts : ev->ts;
    proc *evp = rc_proc_live(r, ev->pid);
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
        S(r)->seen_loads = true;
    if (sysmon && ev->operation && !strncmp(ev->operation, "Sysmon 10 ", 10)) {
        el_access_event(r, ev, now, event_id);
    }
    o = el_open_for(r, ev);
    if (!o)
        return 0;
    if (ev->op == PS_OP_PROCESS_EXIT) {
        if (o->phase == P_LOADER)
            return el_end_burst(r, o, PS_STATUS_PARTIAL, "the process exited while loading", err);
        rc_add_note(&o->c, "the process exited before its first image load");
        return rc_finalize(r, o, PS_STATUS_PARTIAL, err);
    }
    if (ev->op == PS_OP_LOAD_IMAGE) {
        ps_creation *c = &o->c;
        if (o->phase == P_WAIT_B5) {
            const char *b = ps_path_basename(ev->path);
            if (!ps_streq_ci(b, o->image_base) && !ps_streq_ci(b, "ntdll.dll")) {
                /* Sysmon configurations usually log only some image loads:
                 * a first load that is neither the image nor ntdll shows the
                 * loader's start is not in the log */
                rc_add_note(c, EL_FILTERED_NOTE);
                return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
            }
            rc_set_boundary(&c->b[5], now, event_id, PS_CONF_INFERRED,
                         "first Sysmon 7 image load of the process (%s)", b);
            rc_set_phase(r, o, P_LOADER);
        } else if (now - o->last_load_ts > r->cfg->el_burst_gap) {
            return el_end_burst(r, o, PS_STATUS_COMPLETE, NULL, err);
        }
        o->el_core_loads |= el_core_bit(ps_path_basename(ev->path));
        o->have_load = true;
        o->last_load_ts = now;
        o->last_load_event = event_id;
        rc_deadline(r, rc_add_sat(now, r->cfg->el_burst_gap));
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
        } else if (S(r)->seen_loads) {
            rc_add_note(&o->c, "the log ended before the process's first image load");
            rc = rc_finalize(r, o, PS_STATUS_PARTIAL, err);
        } else {
            rc_add_note(&o->c, "the log holds no image loads (Sysmon 7): stages 3 to 6 not observable");
            rc = rc_finalize(r, o, PS_STATUS_COMPLETE, err);
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void eventlog_release(ps_recon *r)
{
    size_t i;
    for (i = 0; i < S(r)->ndbg; i++) {
        free(S(r)->dbg[i].name);
        free(S(r)->dbg[i].data);
    }
}

const rc_family rc_eventlog = {
    .family = PS_FAMILY_EVENTLOG,
    .name = "eventlog",
    .state_size = sizeof(el_state),
    .event = eventlog_event,
    .finish = eventlog_finish,
    .release = eventlog_release,
};
