/*
 * procmon.c - the reconstruction rules for Procmon sources: PML, CSV and
 * XML exports (stages.md, "Procmon"; docs/reconstruction.md):
 *
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
#include "recon/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int anchor_create(ps_recon *r, const ps_event *ev, int64_t event_id, thr *t, ps_error *err)
{
    oc *o = rc_oc_new(r, PS_ANCHOR_PROCESS_CREATE, ev, event_id);
    ps_creation *c;
    uint64_t h2;
    int rc;

    if (!o)
        return ps_error_nomem(err);
    c = &o->c;
    rc_oc_set_creator(o, ev);
    if (ev->has_child_pid && ev->child_pid) {
        c->has_child_pid = true;
        c->child_pid = ev->child_pid;
    }
    rc_oc_set_image(r, o, ev->path);
    c->command_line = rc_strdup(r, ev->command_line);
    {
        proc *cp = rc_proc_live(r, ev->pid);
        if (cp)
            c->creator_process_id = cp->process_id;
    }
    rc_set_boundary(&c->b[2], ev->ts, event_id, PS_CONF_OBSERVED, "Process Create logged by the creator");
    h2 = rc_ifeo_redirect(r, o, t, ev);
    rc_find_b0_b1(r, o, t, ev, h2);
    t->has_create = true;
    t->last_create_event = event_id;

    if (!rc_result_success(ev->result) || !c->has_child_pid) {
        rc_add_note(c, "the creation failed");
        o->phase = P_DONE;
        if ((rc = rc_open_push(r, o)) < 0) {
            rc_oc_free(o);
            return ps_error_nomem(err);
        }
        return rc_finalize(r, o, PS_STATUS_FAILED, err);
    }
    return rc_oc_open(r, o, err);
}

static int anchor_start(ps_recon *r, const ps_event *ev, int64_t event_id, proc *evp, ps_error *err)
{
    oc *o = rc_oc_new_started(r, ev, event_id, evp,
                           evp && evp->image_path ? evp->image_path : ev->proc ? ev->proc->image_path : NULL);
    ps_creation *c;

    if (!o)
        return ps_error_nomem(err);
    c = &o->c;
    if (evp && evp->from_table && evp->has_start && evp->start_ts <= ev->ts &&
        ev->ts - evp->start_ts <= r->cfg->pm_b6_evidence_window) {
        /* the process table's CreateTime is EPROCESS.CreateTime, stamped
         * when the process object is complete: B2 itself (refinement 13);
         * the Process Start is logged a few microseconds later */
        rc_set_boundary(&c->b[2], evp->start_ts, event_id, PS_CONF_OBSERVED,
                        "the process table's CreateTime of the child, %.1f us before its Process Start (its Process "
                        "Create is not in the trace)",
                        (double)(ev->ts - evp->start_ts) / 10.0);
        c->create_ts = evp->start_ts;
    } else {
        rc_set_boundary(&c->b[2], ev->ts, event_id, PS_CONF_INFERRED,
                        "the child's Process Start (its Process Create is not in the trace)");
    }
    rc_add_note(c, "creator not in the trace");
    return rc_oc_open(r, o, err);
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

/* The creator thread closes the image file: a CloseFile of the image path
 * itself (CreateProcessInternalW's last act on it). */
static bool closes_image(const oc *o, const ps_event *ev)
{
    return ev->cls == PS_CLASS_FILE && ev->operation && !strcmp(ev->operation, "CloseFile") && *o->image_base &&
           ps_streq_ci(ps_path_basename(ev->path), o->image_base);
}

/* The module of the first frame of csrss's process-creation servers
 * (basesrv.dll: BaseSrvCreateProcess, sxssrv.dll: its side-by-side part,
 * csrsrv.dll: CsrCreateProcess) in the event's stack, or NULL. */
static const char *subsystem_server_frame(const ps_event *ev)
{
    static const char *const servers[] = {"basesrv.dll", "sxssrv.dll", "csrsrv.dll"};
    uint32_t i;
    size_t k;
    for (i = 0; i < ev->nframes; i++)
        for (k = 0; ev->frames[i].module && k < sizeof servers / sizeof *servers; k++)
            if (ps_streq_ci(ps_path_basename(ev->frames[i].module), servers[k]))
                return servers[k];
    return NULL;
}

/* B4 candidates: events between B3 and B5 by the creator thread (tail) or by
 * a subsystem server (on the child's image). */
static int track_b4(ps_recon *r, const ps_event *ev, int64_t event_id, proc *evp)
{
    size_t i;
    uint64_t key = rc_thr_key(ev->pid, ev->has_tid ? ev->tid : 0);

    if (!ev->path || !*ev->path)
        return 0;
    for (i = 0; i < r->nwait; i++) {
        oc *o = r->wait[i];
        if (!o->c.b[3].found || o->pm_startup)
            continue;
        if (o->c.anchor == PS_ANCHOR_PROCESS_CREATE && key == o->creator_key && closes_image(o, ev)) {
            /* CreateProcessInternalW's last act: what the thread does
             * next is its caller's work (refinement 9) */
            o->pm_image_closed = true;
            continue;
        }
        if (ev->frame_stage == 4 &&
            ((o->c.anchor == PS_ANCHOR_PROCESS_CREATE && key == o->creator_key) || (evp && evp->subsystem))) {
            /* stack attribution: under a notify_subsystem frame */
            o->b4 = true;
            o->b4_observed = true;
            o->b4_ts = ev->ts;
            o->b4_event = event_id;
            snprintf(o->b4_rule, sizeof o->b4_rule, "last event under a notify_subsystem frame (%s, %s)",
                     ev->frame_function ? ev->frame_function : "?", ev->operation);
            if (key != o->creator_key && rc_add_sub_event(o, event_id) < 0)
                return PS_ERR_NOMEM;
        } else if (o->c.anchor == PS_ANCHOR_PROCESS_CREATE && key == o->creator_key && !o->pm_image_closed &&
            (in_list(&r->cfg->creator_tail, ev->path) || ps_ends_with_ci(ev->path, ".manifest") ||
             ps_ends_with_ci(ev->path, ".config"))) {
            o->b4 = true;
            o->b4_observed = false;
            o->b4_ts = ev->ts;
            o->b4_event = event_id;
            snprintf(o->b4_rule, sizeof o->b4_rule, "last CreateProcess tail event of the creator (%s)",
                     ev->operation);
        } else if (evp && evp->subsystem && references_image(o, ev->path)) {
            const char *srv = subsystem_server_frame(ev);
            o->b4 = true;
            /* a frame of csrss's process-creation servers: the event is
             * BaseSrvCreateProcess's work, not another request's */
            o->b4_observed = srv != NULL;
            o->b4_ts = ev->ts;
            o->b4_event = event_id;
            if (srv)
                snprintf(o->b4_rule, sizeof o->b4_rule, "last %s event on the child's image (%s), its stack in %s",
                         evp->name ? evp->name : "subsystem", ev->operation, srv);
            else
                snprintf(o->b4_rule, sizeof o->b4_rule, "last %s event on the child's image (%s)",
                         evp->name ? evp->name : "subsystem", ev->operation);
            if (rc_add_sub_event(o, event_id) < 0)
                return PS_ERR_NOMEM;
        }
    }
    return 0;
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
        rc_add_note(c, "end of loading not observable in a trace without file or registry events");
        return;
    }
    if (o->have_loader)
        rc_set_boundary(&c->b[6], o->last_loader_ts, o->last_loader_event, PS_CONF_INFERRED,
                     "last loader event (%s) before %s while loading", o->last_loader_what, what);
    snprintf(note, sizeof note, "%s while loading", what);
    rc_add_note(c, note);
}

/* Stack attribution: a frame in the child's image, by its module name
 * (symbolised frames) or its address (the image's Load Image). */
static bool frames_in_image(const ps_event *ev, const oc *o)
{
    uint32_t i;
    if (o->have_main && rc_frames_hit(ev, o->main_base, o->main_size))
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

/* The initial thread's kernel start-up (refinement 7): PspUserThreadStartup
 * raises the image notifications of the exe and of ntdll (under WoW64 the
 * 32-bit ntdll too) and runs the prefetcher (the \Windows\Prefetch\*.pf read,
 * its upper-case metadata opens) before LdrInitializeThunk runs.  With a
 * stack: a single user frame (the thread's start context), since any system
 * call made from user mode shows ntdll's system-call entry and its caller. */
static bool startup_by_path(oc *o, const ps_event *ev)
{
    const char *base;

    if (!ev->path || !*ev->path)
        return false;
    base = ps_path_basename(ev->path);
    if (ev->op == PS_OP_LOAD_IMAGE)
        return (!o->have_main && *o->image_base && ps_streq_ci(base, o->image_base)) || ps_streq_ci(base, "ntdll.dll");
    if (ev->cls != PS_CLASS_FILE)
        return false;
    if (rc_prefetch_file(ev->path)) {
        o->pm_prefetch = true;
        return true;
    }
    return o->pm_prefetch && rc_upper_case_path(ev->path);
}

static bool startup_event(ps_recon *r, oc *o, const ps_event *ev)
{
    if (r->info->has_stacks && ev->nframes) {
        uint32_t i, user = 0;
        for (i = 0; i < ev->nframes; i++)
            if (!ev->frames[i].kernel)
                user++;
        /* no user frame at all: a stack walk that stopped in the kernel
         * (Windows XP's), which says nothing; the path decides */
        if (user == 1) {
            (void)startup_by_path(o, ev);
            return true;
        }
        return user == 0 && startup_by_path(o, ev);
    }
    return startup_by_path(o, ev);
}

/* Positive evidence that the entry point runs, without stacks: the initial
 * thread's first name query of its own image (the CRT start-up and WinMain
 * call GetModuleFileName); measured on the stack-carrying PMLs
 * (refinement 8). */
static bool own_name_query(const oc *o, const ps_event *ev)
{
    return ev->cls == PS_CLASS_FILE && ev->operation && !strcmp(ev->operation, "QueryNameInformationFile") &&
           *o->image_base && ev->path && ps_streq_ci(ps_path_basename(ev->path), o->image_base);
}

static void note_main_image(oc *o, const ps_event *ev)
{
    if (ev->op == PS_OP_LOAD_IMAGE && !o->have_main && ev->image_size && ev->path &&
        ps_streq_ci(ps_path_basename(ev->path), o->image_base)) {
        o->have_main = true;
        o->main_base = ev->image_base;
        o->main_size = ev->image_size;
    }
}

/* B6 without stacks at the end of the scan: the entry point's evidence, or
 * the end of the mapping burst as a lower bound. */
static int end_scan(ps_recon *r, oc *o, const char *why, ps_error *err)
{
    ps_creation *c = &o->c;

    if (o->pm_nq_pending) {
        rc_set_boundary(&c->b[6], o->pm_nq_b6_ts, o->pm_nq_b6_event, PS_CONF_INFERRED,
                        "last event of the child before the initial thread's first name query of its own image "
                        "(%s), the entry point's start-up code", o->pm_nq_what);
        return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (o->have_load)
        rc_set_boundary(&c->b[6], o->last_load_ts, o->last_load_event, PS_CONF_INFERRED,
                        "lower bound: the last Load Image of the loader's mapping burst; %s", why);
    rc_add_note(c, "the end of user_init is a lower bound (no evidence of the entry point)");
    return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
}

/* The process (or its initial thread) ends while the loader runs, with no
 * sign of a failure: the entry point's evidence, or rule 3. */
static int exit_while_loading(ps_recon *r, oc *o, const char *what, ps_error *err)
{
    if (o->pm_nq_pending || o->pm_nonloader)
        return end_scan(r, o, what, err);
    rule3(r, o, what);
    return rc_finalize(r, o, PS_STATUS_PARTIAL, err);
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
                c->command_line = rc_strdup(r, ev->command_line);
            if (!c->current_dir)
                c->current_dir = rc_strdup(r, ev->current_dir);
            if (p)
                c->child_process_id = p->process_id;
        }
        return 0;
    }

    if (o->phase == P_WAIT_B3) {
        if (ev->op == PS_OP_THREAD_CREATE && ev->has_new_tid &&
            (!c->has_creator_tid || !ev->has_tid || ev->tid == c->creator_tid)) {
            rc_set_boundary(&c->b[3], ev->ts, event_id, PS_CONF_OBSERVED,
                         "Thread Create under the child (initial TID %u)", ev->new_tid);
            c->has_initial_tid = true;
            c->initial_tid = ev->new_tid;
            return rc_set_phase(r, o, P_WAIT_B5) < 0 ? ps_error_nomem(err) : 0;
        }
        if (ev->op == PS_OP_THREAD_CREATE)
            return 0;
        /* the child runs but its Thread Create is not in the trace */
        if (rc_set_phase(r, o, P_WAIT_B5) < 0)
            return ps_error_nomem(err);
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
            rc_add_note(c, o->pm_startup ? "the process exited during its initial thread's kernel start-up"
                                         : "the process exited before its initial thread ran");
            return rc_finalize(r, o, PS_STATUS_PARTIAL, err);
        }
        if (startup_event(r, o, ev)) {
            /* stage 5 goes on: B5 is the first user-mode event */
            note_main_image(o, ev);
            o->pm_startup = true;
            o->pm_startup_n++;
            return 0;
        }
        if (o->b4 && c->b[3].found)
            rc_set_boundary(&c->b[4], o->b4_ts, o->b4_event, o->b4_observed ? PS_CONF_OBSERVED : PS_CONF_INFERRED,
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
            rc_add_note(c, note);
            return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
        }
        {
            bool exact = ev->has_tid && c->b[3].found;
            char note[160];
            char su[96] = "";
            if (o->pm_startup)
                snprintf(su, sizeof su, ", after %u kernel start-up event%s (image notifications%s)",
                         o->pm_startup_n, o->pm_startup_n == 1 ? "" : "s", o->pm_prefetch ? ", prefetch" : "");
            rc_set_boundary(&c->b[5], ev->ts, event_id, exact ? PS_CONF_OBSERVED : PS_CONF_INFERRED,
                         "first user-mode event of the %s (%s)%s%s", exact ? "initial thread" : "child",
                         ev->operation, su, frame_note(ev, note, sizeof note));
        }
        rc_set_phase(r, o, P_LOADER);
    }

    /* P_LOADER */
    initial = !ev->has_tid || !c->has_initial_tid || ev->tid == c->initial_tid;
    if (o->pm_exit_event && ev->op != PS_OP_PROCESS_EXIT && ev->op != PS_OP_THREAD_EXIT)
        return exit_while_loading(r, o, "the initial thread exited", err);   /* the process went on */
    if (ev->op == PS_OP_THREAD_EXIT && (ev->has_new_tid && c->has_initial_tid ? ev->new_tid == c->initial_tid : initial)) {
        /* how it ended is in the process's exit (refinement 10) */
        if (!o->pm_exit_event) {
            o->pm_exit_ts = ev->ts;
            o->pm_exit_event = event_id;
        }
        return 0;
    }
    if (ev->op == PS_OP_PROCESS_EXIT) {
        if (ev->has_exit_status && rc_ntstatus_error(ev->exit_status) && (!o->pm_nq_pending || o->werfault_event))
            return rc_died_loading(r, o, ev->ts, event_id, ev->exit_status, err);
        return exit_while_loading(r, o, o->pm_exit_event ? "the initial thread exited" : "the process exited", err);
    }
    /* it started WerFault.exe while loading: it is failing, and only its
     * exit tells how (refinement 10) */
    if (o->werfault_event)
        return 0;
    note_main_image(o, ev);
    if (r->symbolic && ev->nframes && initial && event_id != c->b[5].event_id && ev->frame_stage < 5 &&
        frames_in_image(ev, o)) {
        /* stack attribution: the first initial-thread event running in the
         * image outside the loader (TLS callbacks run under user_init) */
        if (o->have_prev)
            rc_set_boundary(&c->b[6], o->prev_ts, o->prev_event, PS_CONF_OBSERVED,
                         "last event of the child before the first initial-thread event in %s outside the "
                         "loader (stack symbols)", o->image_base);
        return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (r->info->has_stacks && ev->nframes && initial && o->have_main && event_id != c->b[5].event_id &&
        !(r->symbolic && ev->frame_stage >= 5) && rc_frames_hit(ev, o->main_base, o->main_size)) {
        if (o->have_prev)
            rc_set_boundary(&c->b[6], o->prev_ts, o->prev_event, PS_CONF_OBSERVED,
                         "last event of the child before the first with a frame in %s", o->image_base);
        return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (!(r->info->has_stacks && o->have_main) && !(r->symbolic && ev->nframes)) {
        /* without stacks (refinement 8): the loader works on while the
         * thread maps images within b6_map_window of each other, whatever
         * DllMain code does in between; the entry point runs at the first
         * name query of the image that is not the Load Image's own */
        if (o->pm_nq_pending && initial) {
            if (ev->op == PS_OP_LOAD_IMAGE && ev->path && ps_streq_ci(ps_path_basename(ev->path), o->image_base))
                o->pm_nq_pending = false;
            else
                return end_scan(r, o, "", err);
        }
        if (o->pm_nonloader && o->have_load) {
            if (ev->ts > rc_add_sat(o->last_load_ts, r->cfg->pm_b6_map_window))
                o->pm_burst_closed = true;
            if (ev->ts > rc_add_sat(o->last_load_ts, r->cfg->pm_b6_evidence_window)) {
                char why[96];
                snprintf(why, sizeof why, "no evidence of the entry point within %lld ms",
                         (long long)(r->cfg->pm_b6_evidence_window / 10000));
                return end_scan(r, o, why, err);
            }
        }
        if (initial && !o->pm_nq_pending && own_name_query(o, ev) && o->have_prev) {
            o->pm_nq_pending = true;
            o->pm_nq_event = event_id;
            o->pm_nq_b6_ts = o->prev_ts;
            o->pm_nq_b6_event = o->prev_event;
            snprintf(o->pm_nq_what, sizeof o->pm_nq_what, "%s %s", ev->operation, o->image_base);
        } else if (initial && !ps_recon_is_loader_event(r->cfg, ev, c->current_dir)) {
            o->pm_nonloader = true;
        }
    }
    if (ev->op == PS_OP_LOAD_IMAGE && !o->pm_burst_closed) {
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

static int procmon_event(ps_recon *r, const ps_event *ev, int64_t event_id, ps_error *err)
{
    thr *t;
    proc *evp;
    oc *o;
    int rc;

    if ((rc = rc_thread_event(r, ev, event_id, &t, &evp, err)) < 0)
        return rc;
    /* B4 candidates for creations waiting for their initial thread */
    if (r->nwait && (rc = track_b4(r, ev, event_id, evp)) < 0)
        return ps_error_nomem(err);

    switch (ev->op) {
    case PS_OP_PROCESS_CREATE:
        /* a loading child that starts WerFault.exe reports its own failure */
        if ((o = rc_open_for_child(r, ev->pid)) && o->phase == P_LOADER)
            rc_note_werfault(o, ev, event_id);
        return anchor_create(r, ev, event_id, t, err);
    case PS_OP_PROCESS_START:
        o = rc_open_for_child(r, ev->pid);
        if (!o || o->start_seen)
            return anchor_start(r, ev, event_id, evp, err);
        return child_event(r, o, ev, event_id, evp, err);
    default:
        break;
    }
    o = rc_open_for_child(r, ev->pid);
    if (o && (rc = child_event(r, o, ev, event_id, evp, err)) < 0)
        return rc;
    if (ev->op == PS_OP_THREAD_EXIT && ev->has_tid)
        rc_thr_drop(r, rc_thr_key(ev->pid, ev->has_new_tid ? ev->new_tid : ev->tid));
    return 0;
}

/* The end of the trace: creations still open are cut off. */
static int procmon_finish(ps_recon *r, ps_error *err)
{
    int rc;

    while (r->nopen) {
        oc *o = r->open[r->nopen - 1];
        if (o->phase == P_LOADER && (o->pm_nq_pending || o->pm_nonloader || o->pm_exit_event)) {
            if ((rc = exit_while_loading(r, o, o->pm_exit_event ? "the initial thread exited" : "the trace ended", err)) < 0)
                return rc;
            continue;
        }
        if (o->phase == P_LOADER)
            rule3(r, o, "the trace ended");
        else
            rc_add_note(&o->c, "the trace holds no event of the child's initial thread");
        if ((rc = rc_finalize(r, o, PS_STATUS_PARTIAL, err)) < 0)
            return rc;
    }
    return 0;
}

const rc_family rc_procmon = {
    .family = PS_FAMILY_PROCMON,
    .name = "procmon",
    .event = procmon_event,
    .finish = procmon_finish,
};
