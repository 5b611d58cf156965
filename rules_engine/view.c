/*
 * view.c - what a rule sees: the logsources an event belongs to and its
 * fields under the names Sigma rules use, whatever the source
 * (docs/rules.md, "Field names").
 *
 *   EVTX and other event-log records: every System value and payload value
 *   as written, plus for Security 4688/4689/4657 the Sysmon names (Image,
 *   ParentImage, ProcessId as decimal, TargetObject, ...).
 *   Procmon (and any source without fields): derived from the structured
 *   event and the process it belongs to (image, user, integrity from the
 *   reconstruction engine's process table).
 *   Creations: procstage's own fields (requested_image, stageN_ms, ...) and
 *   the Sysmon process-creation names.
 *
 * A view is filled per event into a per-field slot table reset by bumping
 * an epoch, with strings in an arena reset per event: nothing is allocated
 * per event once the tables have grown.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recon/recon.h"
#include "rules_engine/internal.h"
#include "rules_engine/view.h"
#include "parsers/winevent/map.h"

/* ---- the view ------------------------------------------------------------------------- */

int view_init(view *v, const fdict *d, bool keep_all)
{
    memset(v, 0, sizeof *v);
    v->dict = d;
    v->keep_all = keep_all;
    v->derived_field = -1;
    v->nfields = d->n;
    v->stamp = calloc(d->n + 1, sizeof *v->stamp);
    v->head = calloc(d->n + 1, sizeof *v->head);
    v->tail = calloc(d->n + 1, sizeof *v->tail);
    ps_arena_init(&v->arena, 16384);
    v->epoch = 1;
    return v->stamp && v->head && v->tail ? 0 : PS_ERR_NOMEM;
}

void view_release(view *v)
{
    free(v->stamp);
    free(v->head);
    free(v->tail);
    free(v->pool);
    ps_arena_release(&v->arena);
    memset(v, 0, sizeof *v);
}

void view_reset(view *v)
{
    if (++v->epoch == 0) {
        memset(v->stamp, 0, (v->nfields + 1) * sizeof *v->stamp);
        v->epoch = 1;
    }
    v->npool = 0;
    v->nls = 0;
    v->ts = 0;
    v->event_id = v->creation_id = 0;
    v->derived_field = -1;
    ps_arena_reset(&v->arena);
}

int view_set(view *v, int field, const char *s, size_t n)
{
    fv *f;

    if (!s || (field < 0 && !v->keep_all))
        return 0;
    if (v->npool == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 128;
        fv *np = realloc(v->pool, nc * sizeof *np);
        if (!np)
            return PS_ERR_NOMEM;
        v->pool = np;
        v->cap = nc;
    }
    f = &v->pool[v->npool];
    f->s = s;
    f->n = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
    f->next = -1;
    f->lc = NULL;
    f->num_state = 0;
    f->field = field;
    if (field >= 0) {
        if (v->stamp[field] != v->epoch) {
            v->stamp[field] = v->epoch;
            v->head[field] = v->tail[field] = (int32_t)v->npool;
        } else {
            v->pool[v->tail[field]].next = (int32_t)v->npool;
            v->tail[field] = (int32_t)v->npool;
        }
    }
    v->npool++;
    return 0;
}

int view_setf(view *v, int field, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    char *s;
    int n;

    if (field < 0 && !v->keep_all)
        return 0;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return 0;
    s = ps_arena_strndup(&v->arena, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
    if (!s)
        return PS_ERR_NOMEM;
    return view_set(v, field, s, strlen(s));
}

/* Forgets a field's values (the pool keeps them for keyword searches). */
static void view_clear(view *v, int field)
{
    if (field >= 0 && v->stamp[field] == v->epoch)
        v->stamp[field] = 0;
}

/* Replaces every value of a field (mapped names override source names). */
static int view_put(view *v, int field, const char *s)
{
    if (field < 0 || !s)
        return 0;
    view_clear(v, field);
    return view_set(v, field, s, strlen(s));
}

fv *view_get(view *v, int field)
{
    if (field < 0 || (size_t)field >= v->nfields || v->stamp[field] != v->epoch)
        return NULL;
    return &v->pool[v->head[field]];
}

const char *view_lc(view *v, fv *f)
{
    char *lc;
    uint32_t i;
    if (f->lc)
        return f->lc;
    lc = ps_arena_alloc(&v->arena, (size_t)f->n + 1);
    if (!lc)
        return NULL;
    for (i = 0; i < f->n; i++) {
        char ch = f->s[i];
        lc[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    }
    lc[f->n] = '\0';
    f->lc = lc;
    return lc;
}

bool view_num(fv *f, double *out)
{
    if (f->num_state == 0)
        f->num_state = ps_parse_num(f->s, f->n, &f->num) ? 1 : -1;
    if (f->num_state < 0)
        return false;
    *out = f->num;
    return true;
}

/* ---- logsources of an event ------------------------------------------------------------- */

/* One pass over the record's fields for what classification needs. */
void ps_view_classify(view *v, const ps_event *ev)
{
    uint32_t k;

    v->provider = v->channel = v->event_type = NULL;
    v->record_event_id = 0;
    for (k = 0; k < ev->nfields; k++) {
        const char *n = ev->fields[k].name;
        switch (n[0]) {
        case 'P':
            if (!v->provider && !strcmp(n, "Provider_Name"))
                v->provider = ev->fields[k].value;
            break;
        case 'C':
            if (!v->channel && !strcmp(n, "Channel"))
                v->channel = ev->fields[k].value;
            break;
        case 'E':
            if (!v->record_event_id && !strcmp(n, "EventID"))
                v->record_event_id = (unsigned)strtoul(ev->fields[k].value, NULL, 10);
            else if (!v->event_type && !strcmp(n, "EventType"))
                v->event_type = ev->fields[k].value;
            break;
        default:
            break;
        }
    }
    v->nls = ps_ls_classify(ev, v->provider, v->record_event_id, v->channel, v->event_type, v->lskeys,
                            (int)PS_ARRAY_LEN(v->lskeys));
}

/* ---- filling -------------------------------------------------------------------------- */

static int set_wk(view *v, const int *wk, int k, const char *s)
{
    return s && *s ? view_put(v, wk[k], s) : 0;
}

/* Sets a field only when the source did not (the structured mapping of
 * events whose provider also wrote fields of its own). */
static int fill_wk(view *v, const int *wk, int k, const char *s)
{
    return wk[k] >= 0 && view_get(v, wk[k]) ? 0 : set_wk(v, wk, k, s);
}

static const char *integrity_name(const char *sid)
{
    static const struct {
        const char *sid, *name;
    } t[] = {{"S-1-16-0", "Untrusted"}, {"S-1-16-4096", "Low"},      {"S-1-16-8192", "Medium"},
             {"S-1-16-8448", "Medium"}, {"S-1-16-12288", "High"},    {"S-1-16-16384", "System"},
             {"S-1-16-20480", "Protected"}};
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(t); i++)
        if (sid && !strcmp(sid, t[i].sid))
            return t[i].name;
    return sid;
}

/* Procmon's registry data as Sysmon writes Details. */
static int reg_details(view *v, const int *wk, const ps_event *ev)
{
    const char *t = ev->reg_type ? ev->reg_type : "", *d = ev->reg_data;
    uint64_t n;

    if (!d)
        return 0;
    if (!strcmp(t, "REG_DWORD") && ps_parse_uint_loose(d, &n) && n <= 0xffffffffu)
        return view_setf(v, wk[WK_DETAILS], "DWORD (0x%08llx)", (unsigned long long)n);
    if (!strcmp(t, "REG_QWORD") && ps_parse_uint_loose(d, &n))
        return view_setf(v, wk[WK_DETAILS], "QWORD (0x%08llx-0x%08llx)", (unsigned long long)(n >> 32),
                         (unsigned long long)(n & 0xffffffffu));
    if (!strcmp(t, "REG_BINARY"))
        return view_set(v, wk[WK_DETAILS], "Binary Data", 11);
    return view_set(v, wk[WK_DETAILS], d, strlen(d));
}

/* ifeo_image / silent_process_exit_image from a registry path */
static int registry_derived(view *v, const int *wk, const char *key)
{
    const char *name, *rest, *p;
    size_t nlen;
    static const char spe[] = "\\SilentProcessExit\\";

    if (wk[WK_IFEO_IMAGE] >= 0 && ps_ifeo_parts(key, &name, &nlen, &rest)) {
        char *s = ps_arena_strndup(&v->arena, name, nlen);
        if (!s || view_put(v, wk[WK_IFEO_IMAGE], s) < 0)
            return PS_ERR_NOMEM;
    }
    if (wk[WK_SPE_IMAGE] >= 0 && (p = ps_strstr_ci(key, spe)) != NULL) {
        const char *e;
        p += sizeof spe - 1;
        e = strchr(p, '\\');
        if (e ? e > p : *p != '\0') {
            char *s = ps_arena_strndup(&v->arena, p, e ? (size_t)(e - p) : strlen(p));
            if (!s || view_put(v, wk[WK_SPE_IMAGE], s) < 0)
                return PS_ERR_NOMEM;
        }
    }
    return 0;
}

static int event_process(view *v, const ps_vctx *x, const ps_event *ev)
{
    ps_recon_proc p;
    const int *wk = x->wk;
    int rc = 0;

    if (!x->recon || !ps_recon_lookup_pid(x->recon, ev->pid, ev->proc_index, &p)) {
        memset(&p, 0, sizeof p);
        if (ev->proc)
            p.image_path = ev->proc->image_path, p.user = ev->proc->user, p.integrity = ev->proc->integrity;
    }
    rc |= fill_wk(v, wk, WK_IMAGE, p.image_path ? p.image_path : ev->process_name);
    if (wk[WK_PROCESSID] >= 0 && !view_get(v, wk[WK_PROCESSID]))
        rc |= view_setf(v, wk[WK_PROCESSID], "%u", ev->pid);
    rc |= fill_wk(v, wk, WK_USER, p.user);
    rc |= fill_wk(v, wk, WK_INTEGRITYLEVEL, p.integrity);
    return rc ? PS_ERR_NOMEM : 0;
}

/* The first value of a source field as the record wrote it (NUL-terminated:
 * the view keeps the record's own strings), or NULL. */
static const char *src_value(view *v, int field)
{
    fv *f = view_get(v, field);
    return f ? f->s : NULL;
}

static int hex_to_dec(view *v, int field, const char *s)
{
    uint64_t n;
    if (field < 0 || !s || !ps_parse_uint_loose(s, &n))
        return 0;
    view_clear(v, field);
    return view_setf(v, field, "%llu", (unsigned long long)n);
}

int ps_view_event(view *v, const ps_vctx *x, const ps_event *ev)
{
    const int *wk = x->wk;
    int rc = 0, i;
    bool registry = false;

    v->ts = ev->ts;
    if (x->info && x->info->host[0])
        rc |= set_wk(v, wk, WK_COMPUTER, x->info->host);
    if (ev->nfields) {
        uint32_t k;
        const char *prov = v->provider;
        const int *sf = x->sf;
        for (k = 0; k < ev->nfields; k++) {
            const ps_field *f = &ev->fields[k];
            int id = fdict_find(v->dict, f->name, strlen(f->name));
            if ((id >= 0 || v->keep_all) && view_set(v, id, f->value, strlen(f->value)) < 0)
                return PS_ERR_NOMEM;
            if (strchr(f->name, ' ')) {
                /* "Threat Name", "Process Name" (Windows Defender, some
                 * classic providers): Sigma writes them without the spaces */
                char bare[128];
                size_t n = 0;
                const char *p;
                for (p = f->name; *p && n < sizeof bare - 1; p++)
                    if (*p != ' ')
                        bare[n++] = *p;
                bare[n] = '\0';
                id = fdict_find(v->dict, bare, n);
                if (id >= 0 && !*p && view_set(v, id, f->value, strlen(f->value)) < 0)
                    return PS_ERR_NOMEM;
            }
        }
        if (prov && !strcmp(prov, PS_PROVIDER_SECURITY)) {
            unsigned eid = v->record_event_id;
            /* the source values, read before the Sysmon names replace them */
            const char *newname = src_value(v, sf[SF_NEWPROCESSNAME]), *parent = src_value(v, sf[SF_PARENTPROCESSNAME]);
            const char *newpid = src_value(v, sf[SF_NEWPROCESSID]), *pid = src_value(v, sf[SF_PROCESSID]);
            const char *label = src_value(v, sf[SF_MANDATORYLABEL]), *pname = src_value(v, sf[SF_PROCESSNAME]);
            if (eid == 4688) {
                rc |= set_wk(v, wk, WK_IMAGE, newname);
                rc |= set_wk(v, wk, WK_PARENTIMAGE, parent);
                if (!parent && pid && x->recon) {
                    /* 4688 before version 2 names no parent: the creator's
                     * image from the process table, marked as derived */
                    uint64_t n;
                    ps_recon_proc cp;
                    if (ps_parse_uint_loose(pid, &n) && n <= UINT32_MAX &&
                        ps_recon_lookup_pid(x->recon, (uint32_t)n, -1, &cp) && (cp.image_path || cp.name)) {
                        rc |= set_wk(v, wk, WK_PARENTIMAGE, cp.image_path ? cp.image_path : cp.name);
                        v->derived_field = wk[WK_PARENTIMAGE];
                    }
                }
                rc |= hex_to_dec(v, wk[WK_PROCESSID], newpid);
                rc |= hex_to_dec(v, wk[WK_PARENTPROCESSID], pid);
                if (ev->proc && ev->proc->user)
                    rc |= set_wk(v, wk, WK_USER, ev->proc->user);
                if (label)
                    rc |= set_wk(v, wk, WK_INTEGRITYLEVEL, integrity_name(label));
            } else if (eid == 4689 || eid == 4657) {
                rc |= set_wk(v, wk, WK_IMAGE, pname);
                rc |= hex_to_dec(v, wk[WK_PROCESSID], pid);
                if (eid == 4657) {
                    registry = true;
                    rc |= set_wk(v, wk, WK_TARGETOBJECT, ev->path);
                    rc |= set_wk(v, wk, WK_EVENTTYPE, ev->op == PS_OP_REG_DELETE_VALUE ? "DeleteValue" : "SetValue");
                    if (ev->reg_data)
                        rc |= view_put(v, wk[WK_DETAILS], ev->reg_data);
                }
            }
        } else if (ev->cls == PS_CLASS_REGISTRY) {
            registry = true;
        }
        if (registry && ev->path)
            rc |= registry_derived(v, wk, ev->path);
        if ((prov && (!strcmp(prov, PS_PROVIDER_SYSMON) || !strcmp(prov, PS_PROVIDER_SECURITY))) || rc)
            return rc ? PS_ERR_NOMEM : 0;
        /* other providers: their own fields first, then what the structured
         * event says where they have nothing under that name */
    }
    /* Procmon, and other sources without Sysmon's fields */
    for (i = 0; i < v->nls; i++) {
        switch (v->lskeys[i]) {
        case LS_IMAGE_LOAD:
            rc |= event_process(v, x, ev);
            rc |= fill_wk(v, wk, WK_IMAGELOADED, ev->path);
            break;
        case LS_PROCESS_TERMINATION:
            rc |= event_process(v, x, ev);
            break;
        case LS_REGISTRY_SET:
        case LS_REGISTRY_ADD:
        case LS_REGISTRY_DELETE:
            rc |= event_process(v, x, ev);
            rc |= fill_wk(v, wk, WK_TARGETOBJECT, ev->path);
            rc |= fill_wk(v, wk, WK_EVENTTYPE,
                         ev->op == PS_OP_REG_SET_VALUE     ? "SetValue"
                         : ev->op == PS_OP_REG_CREATE_KEY  ? "CreateKey"
                         : ev->op == PS_OP_REG_DELETE_KEY  ? "DeleteKey"
                                                           : "DeleteValue");
            if (ev->op == PS_OP_REG_SET_VALUE)
                rc |= reg_details(v, wk, ev);
            rc |= registry_derived(v, wk, ev->path);
            break;
        case LS_FILE_EVENT:
            rc |= event_process(v, x, ev);
            rc |= fill_wk(v, wk, WK_TARGETFILENAME, ev->path);
            break;
        default:
            break;
        }
    }
    if (v->keep_all) {
        /* keywords search the event's own text too */
        rc |= view_set(v, -1, ev->operation, strlen(ev->operation));
        if (ev->path && *ev->path)
            rc |= view_set(v, -1, ev->path, strlen(ev->path));
        if (ev->detail && *ev->detail)
            rc |= view_set(v, -1, ev->detail, strlen(ev->detail));
        if (ev->command_line && *ev->command_line)
            rc |= view_set(v, -1, ev->command_line, strlen(ev->command_line));
    }
    return rc ? PS_ERR_NOMEM : 0;
}

/* ---- creations ------------------------------------------------------------------------------ */

static double ms(int64_t ticks)
{
    return (double)ticks / 10000.0;
}

int ps_view_creation(view *v, const ps_vctx *x, const ps_creation *c, bool as_process_creation)
{
    const int *wk = x->wk;
    ps_recon_proc child, parent, creator;
    bool have_child = false, have_parent = false, have_creator = false;
    double total = 0;
    bool any = false;
    int rc = 0, k;
    size_t i;

    v->ts = c->create_ts;
    v->creation_id = c->creation_id;
    v->event_id = c->anchor_event_id;
    if (x->recon) {
        have_child = c->child_process_id && ps_recon_lookup_id(x->recon, c->child_process_id, &child);
        have_creator = c->creator_process_id && ps_recon_lookup_id(x->recon, c->creator_process_id, &creator);
        if (have_child && child.parent_process_id)
            have_parent = ps_recon_lookup_id(x->recon, child.parent_process_id, &parent);
        if (!have_parent && c->has_parent_pid)
            have_parent = ps_recon_lookup_pid(x->recon, c->parent_pid, -1, &parent) &&
                          (!have_child || parent.process_id != child.process_id);
    }
    if (x->info && x->info->host[0])
        rc |= set_wk(v, wk, WK_COMPUTER, x->info->host);
    rc |= view_setf(v, wk[WK_CREATION_ID], "%lld", (long long)c->creation_id);
    rc |= set_wk(v, wk, WK_REQUESTED_IMAGE, c->requested_image);
    rc |= set_wk(v, wk, WK_IMAGE_PATH, c->image_path);
    rc |= set_wk(v, wk, WK_COMMAND_LINE, c->command_line);
    rc |= set_wk(v, wk, WK_CURRENT_DIR, c->current_dir);
    if (c->has_parent_pid)
        rc |= view_setf(v, wk[WK_PARENT_PID], "%u", c->parent_pid);
    if (c->has_creator)
        rc |= view_setf(v, wk[WK_CREATOR_PID], "%u", c->creator_pid);
    if (c->has_creator_tid)
        rc |= view_setf(v, wk[WK_CREATOR_TID], "%u", c->creator_tid);
    if (c->has_child_pid)
        rc |= view_setf(v, wk[WK_CHILD_PID], "%u", c->child_pid);
    if (c->has_initial_tid)
        rc |= view_setf(v, wk[WK_INITIAL_TID], "%u", c->initial_tid);
    rc |= set_wk(v, wk, WK_STATUS, ps_status_name(c->status));
    rc |= set_wk(v, wk, WK_ANCHOR, ps_anchor_name(c->anchor));
    rc |= set_wk(v, wk, WK_RESULT, c->result);
    rc |= set_wk(v, wk, WK_NOTE, c->note);
    rc |= set_wk(v, wk, WK_IFEO_IMAGE, c->ifeo_image);
    rc |= set_wk(v, wk, WK_IFEO_DEBUGGER, c->ifeo_debugger);
    if (c->ifeo_event_id)
        rc |= view_setf(v, wk[WK_IFEO_EVENT_ID], "%lld", (long long)c->ifeo_event_id);
    rc |= view_setf(v, wk[WK_ANCHOR_EVENT_ID], "%lld", (long long)c->anchor_event_id);
    if (have_creator)
        rc |= set_wk(v, wk, WK_CREATOR_IMAGE, creator.image_path ? creator.image_path : creator.name);
    if (have_parent)
        rc |= set_wk(v, wk, WK_PARENT_IMAGE, parent.image_path ? parent.image_path : parent.name);
    if (have_child) {
        rc |= set_wk(v, wk, WK_USER_LC, child.user);
        rc |= set_wk(v, wk, WK_INTEGRITY, child.integrity);
    }
    for (k = 0; k < PS_NSTAGES; k++) {
        const ps_stage *s = &c->s[k];
        if (s->has_duration && s->conf != PS_CONF_MISSING) {
            rc |= view_setf(v, wk[WK_STAGE_MS + k], "%.4f", ms(s->duration));
            rc |= view_setf(v, wk[WK_STAGE_NAMED_MS + k], "%.4f", ms(s->duration));
        }
        if (s->has_duration) {
            total += ms(s->duration);
            any = true;
        }
        rc |= set_wk(v, wk, WK_STAGE_CONF + k, ps_confidence_name(s->conf));
    }
    if (any)
        rc |= view_setf(v, wk[WK_TOTAL_MS], "%.4f", total);
    for (i = 0; i < x->nmodules; i++)
        rc |= view_set(v, wk[WK_USER_INIT_MODULES], x->modules[i], strlen(x->modules[i]));

    /* the Sysmon names, for process_creation rules over Procmon and ETW */
    rc |= set_wk(v, wk, WK_IMAGE, c->image_path);
    rc |= set_wk(v, wk, WK_COMMANDLINE, c->command_line);
    rc |= set_wk(v, wk, WK_CURRENTDIRECTORY, c->current_dir);
    if (c->has_child_pid)
        rc |= view_setf(v, wk[WK_PROCESSID], "%u", c->child_pid);
    if (c->has_parent_pid)
        rc |= view_setf(v, wk[WK_PARENTPROCESSID], "%u", c->parent_pid);
    if (have_parent) {
        rc |= set_wk(v, wk, WK_PARENTIMAGE, parent.image_path);
        rc |= set_wk(v, wk, WK_PARENTCOMMANDLINE, parent.command_line);
    }
    if (have_child) {
        rc |= set_wk(v, wk, WK_USER, child.user);
        rc |= set_wk(v, wk, WK_INTEGRITYLEVEL, child.integrity);
        rc |= set_wk(v, wk, WK_COMPANY, child.company);
        rc |= set_wk(v, wk, WK_DESCRIPTION, child.description);
        rc |= set_wk(v, wk, WK_FILEVERSION, child.version);
        if (child.session >= 0)
            rc |= view_setf(v, wk[WK_TERMINALSESSIONID], "%d", child.session);
    }
    (void)as_process_creation;
    return rc ? PS_ERR_NOMEM : 0;
}
