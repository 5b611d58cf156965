/*
 * etw.c - the reconstruction rules for ETW kernel traces (.etl, tracerpt
 * XML; stages.md, "ETW kernel trace"; docs/reconstruction.md).
 */
#include "recon/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* User-mode addresses end below the kernel's half of the address space. */
#define ETW_KERNEL_MIN 0xFFFF800000000000ull

static bool etw_user_frame(const ps_frame *f)
{
    return !f->kernel && f->address < ETW_KERNEL_MIN;
}

/* The number of user-mode frames of the event's stack. */
static uint32_t etw_nuser(const ps_event *ev)
{
    uint32_t i, n = 0;
    for (i = 0; i < ev->nframes; i++)
        n += etw_user_frame(&ev->frames[i]);
    return n;
}

/* The k-th user-mode frame counted from the outermost (k = 0); 0 when the
 * stack has fewer. */
static uint64_t etw_outer_user(const ps_event *ev, uint32_t k)
{
    uint32_t i = ev->nframes;
    while (i-- > 0) {
        if (!etw_user_frame(&ev->frames[i]))
            continue;
        if (k-- == 0)
            return ev->frames[i].address;
    }
    return 0;
}

static bool etw_in(uint64_t a, const uint64_t range[2])
{
    return range[1] && a >= range[0] && a - range[0] < range[1];
}

/* A file opened as a directory: Kernel-File and FileIo Create name their
 * CreateOptions ("Options: 0x21"); FILE_DIRECTORY_FILE is 0x1. */
static bool etw_directory_open(const ps_event *ev)
{
    const char *d;
    unsigned long v;

    if (ev->op != PS_OP_FILE_CREATE || !ev->detail || !(d = strstr(ev->detail, "Options: 0x")))
        return false;
    v = strtoul(d + 11, NULL, 16);
    return (v & 0x1) != 0;
}

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
    if (etw_directory_open(ev))
        return true;
    if (ev->cls == PS_CLASS_FILE || ev->cls == PS_CLASS_REGISTRY)
        return ps_recon_is_loader_event(r->cfg, ev, current_dir);
    return false;
}

/* Kernel start-up work of the initial thread (PspUserThreadStartup, before
 * LdrInitializeThunk; stages.md, "Corrections from real launches"): the image
 * notifications of the exe and ntdll (both ntdlls under WoW64), the
 * prefetcher's .pf read and its metadata opens (the upper-case paths the .pf
 * lists), and whatever is no file, registry or image event (page reads,
 * disk I/O, waits). With a stack: only the thread's start context is in user
 * mode (one user frame); two or more user frames are the loader running. */
static bool etw_startup(const oc *o, const ps_event *ev)
{
    const char *path = ev->path ? ev->path : "";

    if (ev->nframes && etw_nuser(ev) >= 2)
        return false;
    if (ev->nframes && etw_nuser(ev) == 1)
        return true;
    if (ev->op == PS_OP_LOAD_IMAGE)
        return o->etw_dll_loads == 0 &&
               ((o->have_main && ev->image_base == o->main_base) || ps_streq_ci(ps_path_basename(path), "ntdll.dll"));
    if (ev->cls != PS_CLASS_FILE && ev->cls != PS_CLASS_REGISTRY)
        return true;
    if (ev->cls == PS_CLASS_FILE && rc_prefetch_file(path))
        return true;
    return ev->cls == PS_CLASS_FILE && o->etw_pf_seen && rc_upper_case_path(path);
}

/* mscoree.dll's static imports (Windows 8 x64, net452_x64.etl: every load
 * after KernelBase.dll is under _CorExeMain): the loader's last work for an
 * IL-only image. */
static const char *const etw_mscoree_closure[] = {"ntdll.dll", "mscoree.dll", "kernel32.dll", "kernelbase.dll"};

static bool etw_in_mscoree_closure(const char *path)
{
    const char *b = ps_path_basename(path ? path : "");
    size_t i;
    for (i = 0; i < sizeof etw_mscoree_closure / sizeof *etw_mscoree_closure; i++)
        if (ps_streq_ci(b, etw_mscoree_closure[i]))
            return true;
    return false;
}

/* A load of the child: the modules that place the entry point in a stack,
 * and whether the image is IL-only (mscoree.dll its first DLL). */
static void etw_note_load(oc *o, const ps_event *ev)
{
    const char *b = ps_path_basename(ev->path ? ev->path : "");

    if (o->have_main && ev->image_base == o->main_base)
        return;
    if (ps_streq_ci(b, "ntdll.dll")) {
        if (!o->etw_ntdll[1]) {
            o->etw_ntdll[0] = ev->image_base;
            o->etw_ntdll[1] = ev->image_size;
        }
        return;
    }
    if (o->etw_dll_loads++ == 0 && ps_streq_ci(b, "mscoree.dll"))
        o->etw_il = true;
    if (ps_streq_ci(b, "mscoree.dll") && !o->etw_mscoree[1]) {
        o->etw_mscoree[0] = ev->image_base;
        o->etw_mscoree[1] = ev->image_size;
    } else if (ps_streq_ci(b, "kernel32.dll") && !o->etw_k32[1]) {
        o->etw_k32[0] = ev->image_base;
        o->etw_k32[1] = ev->image_size;
    }
}

/* The image's own code runs: a frame in the main image, or, for an IL-only
 * image, mscoree.dll (_CorExeMain) called by kernel32.dll
 * (BaseThreadInitThunk) called by ntdll.dll (RtlUserThreadStart), the
 * outermost three user frames, resolved through the child's loads. */
static const char *etw_entry_frames(const oc *o, const ps_event *ev)
{
    if (!ev->nframes)
        return NULL;
    if (o->have_main && rc_frames_hit(ev, o->main_base, o->main_size))
        return "a frame in the main image";
    if (o->etw_il && etw_in(etw_outer_user(ev, 0), o->etw_ntdll) && etw_in(etw_outer_user(ev, 1), o->etw_k32) &&
        etw_in(etw_outer_user(ev, 2), o->etw_mscoree))
        return "mscoree.dll's _CorExeMain under BaseThreadInitThunk";
    return NULL;
}

static int etw_process_record(ps_recon *r, const ps_process_rec *pr, ps_error *err)
{
    proc *p = rc_proc_live(r, pr->pid);
    uint32_t i;
    int rc;

    if (!p || p->exited) {
        p = rc_proc_new(r, pr->pid);
        if (!p || ps_map_put(&r->proc_by_pid, pr->pid, r->nprocs) < 0)
            return ps_error_nomem(err);
        p->from_table = true;
        r->sum.processes++;
    }
    rc_proc_set_name(r, p, pr->process_name);
    rc_set_str(r, &p->image_path, pr->image_path);
    rc_set_str(r, &p->command_line, pr->command_line);
    rc_set_str(r, &p->user, pr->user);
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
            p->image_path = rc_strdup(r, m->path);
    }
    return r->oom ? ps_error_nomem(err) : 0;
}

static int etw_resolve(ps_recon *r, const ps_event *ev, int64_t *process_id, ps_error *err)
{
    proc *p;

    *process_id = 0;
    if (ev->pid == 0xFFFFFFFFu)
        return 0;   /* not attributed to a process (PERFINFO headers) */
    if (!(p = rc_proc_live_or_new(r, ev->pid)))
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
        proc *parent = ev->has_parent_pid ? rc_proc_live(r, ev->parent_pid) : NULL;
        int64_t parent_id = parent ? parent->process_id : 0;
        proc *c = rc_proc_new(r, ev->child_pid);
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
            rc_set_str(r, &c->image_path, a->image_path);
            rc_set_str(r, &c->command_line, a->command_line);
            rc_set_str(r, &c->user, a->user);
            c->session = a->session;
            if (a->architecture && *a->architecture)
                c->is64 = strstr(a->architecture, "64-bit") != NULL;
            rc_proc_set_name(r, c, a->image_path ? ps_path_basename(a->image_path) : NULL);
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
    proc *cp = rc_proc_by_id(r, c->creator_process_id), *pp = NULL;

    if (cp) {
        rc_set_str(r, &c->creator_name, cp->name ? cp->name : cp->image_path ? ps_path_basename(cp->image_path) : NULL);
        rc_set_str(r, &c->creator_cmdline, cp->command_line);
    }
    if (ev->has_parent_pid) {
        pp = rc_proc_live(r, ev->parent_pid);
        if (pp && pp->process_id == c->child_process_id)
            pp = NULL;
    }
    if (pp) {
        rc_set_str(r, &c->parent_name, pp->name ? pp->name : pp->image_path ? ps_path_basename(pp->image_path) : NULL);
        rc_set_str(r, &c->parent_cmdline, pp->command_line);
    }
}

/* The anchor's user frames, outermost first (etw_under_create). */
static void etw_keep_anchor_frames(oc *o, const ps_event *ev)
{
    uint32_t n = etw_nuser(ev), k;

    if (n > sizeof o->etw_anchor_frames / sizeof *o->etw_anchor_frames)
        return;
    for (k = 0; k < n; k++)
        o->etw_anchor_frames[k] = etw_outer_user(ev, k);
    o->etw_nanchor = n;
}

static int etw_anchor(ps_recon *r, const ps_event *ev, int64_t event_id, thr *t, ps_error *err)
{
    oc *o = rc_open_for_child(r, ev->child_pid), *n;
    ps_creation *c;
    uint64_t h2;
    char *img;

    if (o && o->c.anchor == PS_ANCHOR_PROCESS_CREATE && ev->ts - o->c.create_ts <= 10 * 10000 &&
        ev->ts >= o->c.create_ts && o->c.creator_pid == ev->pid) {
        /* the same creation reported by a second provider (Kernel-Process and
         * the classic kernel logger): it fills what the first one lacked */
        if (!o->c.command_line)
            o->c.command_line = rc_strdup(r, ev->command_line);
        if (!o->etw_nanchor)
            etw_keep_anchor_frames(o, ev);
        if (ev->path && strchr(ev->path, '\\') && o->phase == P_WAIT_B3 && !strchr(o->c.image_path ? o->c.image_path : "", '\\')) {
            free(o->c.image_path);
            free(o->c.requested_image);
            rc_oc_set_image(r, o, ev->path);
        }
        return 0;
    }
    n = rc_oc_new(r, PS_ANCHOR_PROCESS_CREATE, ev, event_id);
    if (!n)
        return ps_error_nomem(err);
    c = &n->c;
    rc_oc_set_creator(n, ev);
    c->has_child_pid = true;
    c->child_pid = ev->child_pid;
    if (ev->has_parent_pid) {
        c->has_parent_pid = true;
        c->parent_pid = ev->parent_pid;
    }
    img = etw_image_name(ev);
    if (!img)
        r->oom = true;
    rc_oc_set_image(r, n, img);
    free(img);
    c->command_line = rc_strdup(r, ev->command_line);
    {
        proc *cp = rc_proc_live(r, ev->pid), *ch;
        uint64_t v;
        if (cp)
            c->creator_process_id = cp->process_id;
        /* etw_resolve made the child's row just now */
        if (ps_map_get(&r->proc_by_pid, ev->child_pid, &v) && (ch = rc_proc_at(r, v)) && ch->has_start &&
            ch->start_ts == ev->ts)
            c->child_process_id = ch->process_id;
    }
    etw_name_parties(r, n, ev);
    etw_keep_anchor_frames(n, ev);
    rc_set_boundary(&c->b[2], ev->ts, event_id, PS_CONF_OBSERVED, "%s logged by the creator", ev->operation);
    h2 = rc_ifeo_redirect(r, n, t, ev);
    rc_find_b0_b1(r, n, t, ev, h2);
    t->has_create = true;
    t->last_create_event = event_id;
    return rc_oc_open(r, n, err);
}

/* A path for a rule text: its file name, or the whole path of a directory. */
static const char *etw_short_path(const char *path)
{
    const char *b;
    if (!path || !*path)
        return "";
    b = ps_path_basename(path);
    return *b ? b : path;
}

/* B4 from the creator's CreateProcess tail (stages.md, "Corrections from
 * real launches"): after the initial thread exists, CreateProcessInternalW
 * checks the image's compatibility (sysmain.sdb, AppCompat), probes its
 * .Config/.manifest and builds the side-by-side context (SideBySide) before
 * it notifies the subsystem and resumes the thread. */
static const char *etw_tail_kind(const oc *o, const ps_event *ev)
{
    const char *p = ev->path ? ev->path : "", *b = ps_path_basename(p);
    size_t n = strlen(o->image_base);

    if (!*p)
        return NULL;
    if (ev->cls == PS_CLASS_FILE) {
        if (ps_streq_ci(b, "sysmain.sdb"))
            return "sysmain.sdb";
        if (n && ps_starts_with_ci(b, o->image_base) && (ps_streq_ci(b + n, ".config") || ps_streq_ci(b + n, ".manifest")))
            return b + n;
    }
    if (ps_strstr_ci(p, "\\AppCompat"))
        return "AppCompat";
    if (ps_strstr_ci(p, "SideBySide"))
        return "SideBySide";
    return NULL;
}

/* With both stacks: the event runs inside the anchor's CreateProcess call
 * (the frames from CreateProcessInternalW's caller outward are the same). */
static bool etw_under_create(const oc *o, const ps_event *ev)
{
    uint32_t k, keep;

    if (o->etw_nanchor < 3 || !ev->nframes || !etw_nuser(ev))
        return true;   /* nothing to compare */
    keep = o->etw_nanchor - 2;
    if (etw_nuser(ev) <= keep)
        return false;
    for (k = 0; k < keep; k++)
        if (etw_outer_user(ev, k) != o->etw_anchor_frames[k])
            return false;
    return true;
}

static void etw_track_tail(ps_recon *r, const ps_event *ev, int64_t event_id)
{
    uint64_t key = rc_thr_key(ev->pid, ev->has_tid ? ev->tid : 0);
    const char *kind;
    size_t i;

    for (i = 0; i < r->nwait; i++) {
        oc *o = r->wait[i];
        if (key != o->creator_key || !o->c.b[3].found || o->etw_tail_closed || o->alpc_served)
            continue;
        if (!etw_under_create(o, ev) ||
            (ev->cls == PS_CLASS_FILE && ev->operation && ps_strstr_ci(ev->operation, "close") && *o->image_base &&
             ps_streq_ci(ps_path_basename(ev->path ? ev->path : ""), o->image_base))) {
            /* CreateProcess returned, or closed the image file: its last act */
            o->etw_tail_closed = true;
            continue;
        }
        if (!(kind = etw_tail_kind(o, ev)))
            continue;
        o->b4 = true;
        o->b4_ts = ev->ts;
        o->b4_event = event_id;
        snprintf(o->b4_rule, sizeof o->b4_rule,
                 "the creator's last CreateProcess tail event after B3 (%s %s: %s)%s", ev->operation,
                 etw_short_path(ev->path), kind, ev->nframes && o->etw_nanchor ? ", under CreateProcessInternalW" : "");
    }
}

/* B4: ALPC between the creator thread and a subsystem server after B3. */
static int etw_track_b4(ps_recon *r, const ps_event *ev, int64_t event_id, proc *evp)
{
    uint64_t key = rc_thr_key(ev->pid, ev->has_tid ? ev->tid : 0);
    size_t i;

    for (i = 0; i < r->nwait; i++) {
        oc *o = r->wait[i];
        if (!o->c.b[3].found)
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
            if (rc_add_sub_event(o, event_id) < 0)
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
        rc_set_boundary(&c->b[6], o->last_load_ts, o->last_load_event, PS_CONF_INFERRED, "last Image/Load %s", why);
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
        c->image_path = rc_strdup(r, ev->path);
        o->image_base = c->image_path ? ps_path_basename(c->image_path) : "";
        if (same) {
            free(c->requested_image);
            c->requested_image = rc_strdup(r, ev->path);
        }
    }
    if (ps_map_get(&r->proc_by_pid, c->child_pid, &v)) {
        proc *p = rc_proc_at(r, v);
        if (p->process_id == c->child_process_id) {
            free(p->image_path);
            p->image_path = rc_strdup(r, ev->path);
        }
    }
}

static int etw_child_event(ps_recon *r, oc *o, const ps_event *ev, int64_t event_id, ps_error *err)
{
    ps_creation *c = &o->c;
    const char *why_entry;
    bool initial;

    if (o->phase == P_WAIT_B3) {
        if (ev->op == PS_OP_THREAD_CREATE && ev->has_new_tid) {
            rc_set_boundary(&c->b[3], ev->ts, event_id, PS_CONF_OBSERVED,
                         "%s of the child's first thread (TID %u)", ev->operation, ev->new_tid);
            c->has_initial_tid = true;
            c->initial_tid = ev->new_tid;
            return rc_set_phase(r, o, P_WAIT_B5) < 0 ? ps_error_nomem(err) : 0;
        }
        if (ev->op == PS_OP_PROCESS_EXIT) {
            rc_add_note(c, "the process exited before its first thread was created");
            return rc_finalize(r, o, PS_STATUS_PARTIAL, err);
        }
        if (!ev->has_tid)
            return 0;
        /* the child runs but its Thread/Start is not in the trace */
        if (rc_set_phase(r, o, P_WAIT_B5) < 0)
            return ps_error_nomem(err);
        c->has_initial_tid = true;
        c->initial_tid = ev->tid;
    }

    initial = ev->has_tid && c->has_initial_tid && ev->tid == c->initial_tid;
    if (o->phase == P_WAIT_B5) {
        if (ev->op == PS_OP_PROCESS_EXIT ||
            (ev->op == PS_OP_THREAD_EXIT && ev->has_new_tid && ev->new_tid == c->initial_tid)) {
            rc_add_note(c, o->etw_startup_events ? "the process exited in its initial thread's kernel start-up, before user mode"
                                                 : "the process exited before its initial thread ran");
            return rc_finalize(r, o, PS_STATUS_PARTIAL, err);
        }
        if (!initial || ev->op == PS_OP_THREAD_CREATE)
            return 0;
        /* the image identity events logged with a load stand for it: B5 is the load */
        if (ev->op == PS_OP_OTHER && ev->cls == PS_CLASS_PROCESS && strncmp(ev->operation, "Image/", 6) == 0)
            return 0;
        if (ev->op == PS_OP_LOAD_IMAGE)
            etw_main_image(r, o, ev);
        if (etw_startup(o, ev)) {
            /* counted into stage 5: B5 is the first user-mode event */
            if (ev->cls == PS_CLASS_FILE && rc_prefetch_file(ev->path))
                o->etw_pf_seen = true;
            if (ev->op == PS_OP_LOAD_IMAGE)
                etw_note_load(o, ev);
            o->etw_startup_events++;
            return 0;
        }
        if (o->b4 && c->b[3].found)
            rc_set_boundary(&c->b[4], o->b4_ts, o->b4_event, PS_CONF_INFERRED, "%s", o->b4_rule);
        if (!etw_loader_event(r, ev, c->current_dir)) {
            char note[200];
            snprintf(c->b[5].rule, sizeof c->b[5].rule,
                     "not in the trace: the initial thread's first event (%s) is already past loading", ev->operation);
            snprintf(c->b[6].rule, sizeof c->b[6].rule, "not in the trace (see B5)");
            snprintf(note, sizeof note, "the trace shows no loader activity of the child; its first event is %s",
                     ev->operation);
            rc_add_note(c, note);
            return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
        }
        rc_set_boundary(&c->b[5], ev->ts, event_id, PS_CONF_OBSERVED,
                     "first user-mode event of the initial thread (%s %s); the %u events of its kernel start-up "
                     "before it (image notifications of the exe and ntdll, prefetch, page reads) are stage 5",
                     ev->operation, etw_short_path(ev->path), o->etw_startup_events);
        rc_set_phase(r, o, P_LOADER);
    }

    /* P_LOADER */
    if (ev->op == PS_OP_THREAD_EXIT && ev->has_new_tid && ev->new_tid == c->initial_tid && !o->pm_exit_event) {
        /* how it ended is in the process's exit (refinement 10) */
        o->pm_exit_ts = ev->ts;
        o->pm_exit_event = event_id;
        return 0;
    }
    if (ev->op == PS_OP_PROCESS_EXIT && ev->has_exit_status && rc_ntstatus_error(ev->exit_status))
        return rc_died_loading(r, o, ev->ts, event_id, ev->exit_status, err);
    /* the teardown between the thread's exit and the process's: other
     * threads end, images are unmapped */
    if (o->pm_exit_event && ev->op != PS_OP_PROCESS_EXIT &&
        (ev->op == PS_OP_THREAD_EXIT || (ev->op == PS_OP_OTHER && !strncmp(ev->operation, "Image/", 6))))
        return 0;
    if (ev->op == PS_OP_PROCESS_EXIT || o->pm_exit_event) {
        const char *what = o->pm_exit_event ? "the initial thread exited" : "the process exited";
        char why[96], note[96];
        snprintf(why, sizeof why, "before %s while loading", what);
        etw_last_load(o, why);
        snprintf(note, sizeof note, "%s while loading", what);
        rc_add_note(c, note);
        return rc_finalize(r, o, PS_STATUS_PARTIAL, err);
    }
    if (ev->op == PS_OP_LOAD_IMAGE && event_id != c->b[5].event_id) {
        etw_main_image(r, o, ev);
        etw_note_load(o, ev);
    }
    if (initial && event_id != c->b[5].event_id && (why_entry = etw_entry_frames(o, ev))) {
        if (o->have_prev)
            rc_set_boundary(&c->b[6], o->prev_ts, o->prev_event, PS_CONF_OBSERVED,
                         "last event of the child before the first whose stack shows %s (%s)", why_entry,
                         o->have_main ? o->image_base : "");
        return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (o->etw_il && ev->op == PS_OP_LOAD_IMAGE && !ev->nframes && !etw_in_mscoree_closure(ev->path) && o->have_load) {
        /* without a stack: the first load outside mscoree.dll's static
         * imports is _CorExeMain's */
        rc_set_boundary(&c->b[6], o->last_load_ts, o->last_load_event, PS_CONF_INFERRED,
                     "last Image/Load of mscoree.dll's static closure (IL-only image) before %s, loaded by _CorExeMain",
                     ps_path_basename(ev->path ? ev->path : ""));
        return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (initial && (ev->cls == PS_CLASS_FILE || ev->cls == PS_CLASS_REGISTRY) &&
        !etw_loader_event(r, ev, c->current_dir)) {
        char why[160];
        snprintf(why, sizeof why, "before the initial thread's first file or registry operation off the loader lists (%s %s)",
                 ev->operation, ev->path && *ev->path ? ps_path_basename(ev->path) : "");
        etw_last_load(o, why);
        return rc_finalize(r, o, PS_STATUS_COMPLETE, err);
    }
    if (ev->op == PS_OP_LOAD_IMAGE) {
        o->have_load = true;
        o->last_load_ts = ev->ts;
        o->last_load_event = event_id;
        rc_deadline(r, rc_add_sat(ev->ts, r->cfg->b6_burst_gap));
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

    /* nothing can be over before the earliest deadline (rc_deadline) */
    if (ev->ts <= r->next_deadline)
        return 0;
    r->next_deadline = INT64_MAX;
    while (i < r->nopen) {
        oc *o = r->open[i];
        if (o->phase == P_LOADER && o->have_load && !o->pm_exit_event &&
            ev->ts - o->last_load_ts > r->cfg->b6_burst_gap) {
            char why[96];
            snprintf(why, sizeof why, "of the first burst (nothing of it for %lld ms after)",
                     (long long)(r->cfg->b6_burst_gap / 10000));
            etw_last_load(o, why);
            if ((rc = rc_finalize(r, o, PS_STATUS_COMPLETE, err)) < 0)
                return rc;
            continue;   /* rc_finalize moved another creation to slot i */
        }
        if (o->phase == P_LOADER && o->have_load)
            rc_deadline(r, rc_add_sat(o->last_load_ts, r->cfg->b6_burst_gap));
        i++;
    }
    return 0;
}

static int etw_event(ps_recon *r, const ps_event *ev, int64_t event_id, ps_error *err)
{
    thr *t;
    proc *evp;
    oc *o;
    int rc;

    if ((rc = rc_thread_event(r, ev, event_id, &t, &evp, err)) < 0)
        return rc;
    if (r->nopen && (rc = etw_burst_end(r, ev, err)) < 0)
        return rc;
    if (r->nwait && ev->ipc && (rc = etw_track_b4(r, ev, event_id, evp)) < 0)
        return ps_error_nomem(err);
    if (r->nwait && (ev->cls == PS_CLASS_FILE || ev->cls == PS_CLASS_REGISTRY))
        etw_track_tail(r, ev, event_id);
    if (ev->op == PS_OP_PROCESS_CREATE && ev->has_child_pid) {
        /* a loading child that starts WerFault.exe reports its own failure */
        if ((o = rc_open_for_child(r, ev->pid)) && o->phase == P_LOADER)
            rc_note_werfault(o, ev, event_id);
        return etw_anchor(r, ev, event_id, t, err);
    }
    o = rc_open_for_child(r, ev->pid);
    if (o && (rc = etw_child_event(r, o, ev, event_id, err)) < 0)
        return rc;
    if (ev->op == PS_OP_THREAD_EXIT && ev->has_new_tid)
        rc_thr_drop(r, rc_thr_key(ev->pid, ev->new_tid));
    return 0;
}

/* End of the trace: creations still open end as partial. */
static int etw_finish(ps_recon *r, ps_error *err)
{
    int rc;

    while (r->nopen) {
        oc *o = r->open[r->nopen - 1];
        if (o->phase == P_LOADER) {
            etw_last_load(o, o->pm_exit_event ? "before the initial thread exited while loading"
                                              : "before the trace ended while loading");
            rc_add_note(&o->c, o->pm_exit_event ? "the initial thread exited while loading"
                                                : "the trace ended while loading");
        } else {
            rc_add_note(&o->c, "the trace holds no event of the child's initial thread");
        }
        if ((rc = rc_finalize(r, o, PS_STATUS_PARTIAL, err)) < 0)
            return rc;
    }
    return r->oom ? ps_error_nomem(err) : 0;
}

const rc_family rc_etw = {
    .family = PS_FAMILY_ETW,
    .name = "etw",
    .process_record = etw_process_record,
    .resolve = etw_resolve,
    .event = etw_event,
    .finish = etw_finish,
};
