/*
 * session.c - an ingest session (see session.h).
 */
#include "pipeline/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "recon/recon.h"
#include "rules_engine/detect.h"
#include "source/attribute.h"
#include "source/stage_map.h"

struct ps_session {
    ps_store *store;
    ps_session_opts o;
    ps_detect *detect;
    ps_rules_run *rules;
    ps_stage_map map;
    bool have_map;
    ps_attr *attr;
    ps_session_totals totals;
};

void ps_session_opts_init(ps_session_opts *o)
{
    memset(o, 0, sizeof *o);
    ps_input_opts_init(&o->input);
    o->detectors = true;
    o->attribution = true;
}

static uint64_t session_findings(const ps_session *s)
{
    return (s->detect ? ps_detect_count(s->detect) : 0) + (s->rules ? ps_rules_findings(s->rules) : 0);
}

static bool has_rule(const void *ctx, const char *id)
{
    return ps_ruleset_has_id(ctx, id);
}

int ps_session_new(ps_store *store, const ps_session_opts *o, ps_session **out, ps_error *err)
{
    ps_session *s = calloc(1, sizeof *s);
    int rc;

    *out = NULL;
    if (!s)
        return ps_error_nomem(err);
    s->store = store;
    s->o = *o;
    if (!o->config) {
        rc = ps_error_set(err, PS_ERR_USAGE, "an ingest session needs a reconstruction config");
        goto fail;
    }
    if (o->attribution) {
        /* stack attribution: the stage map, the model's source catalogue, symbols */
        if ((rc = o->stage_map ? ps_stage_map_load_file(&s->map, o->stage_map, err)
                               : ps_stage_map_load_default(&s->map, err)) < 0)
            goto fail;
        s->have_map = true;
        if ((rc = ps_attr_add_catalogue(&s->map, store, err)) < 0 || (rc = ps_attr_new(&s->map, &s->attr, err)) < 0 ||
            (o->symbols && (rc = ps_attr_load_symbols(s->attr, o->symbols, err)) < 0) ||
            (rc = ps_attr_bind(s->attr, store, err)) < 0)
            goto fail;
        s->totals.symbols = ps_attr_symbol_count(s->attr);
    }
    if (o->detectors && (rc = ps_detect_new(store, &s->detect, err)) < 0)
        goto fail;
    if (o->rules) {
        if ((rc = ps_rules_run_new(o->rules, store, &s->rules, err)) < 0)
            goto fail;
        /* a loaded rule with the id of a built-in detector replaces it */
        if (s->detect)
            ps_detect_defer_to(s->detect, has_rule, o->rules);
    }
    *out = s;
    return 0;
fail:
    ps_session_free(s);
    return rc;
}

void ps_session_free(ps_session *s)
{
    if (!s)
        return;
    ps_rules_run_free(s->rules);
    ps_detect_free(s->detect);
    ps_attr_free(s->attr);
    if (s->have_map)
        ps_stage_map_release(&s->map);
    free(s);
}

void ps_session_get_totals(const ps_session *s, ps_session_totals *t)
{
    *t = s->totals;
    t->findings = session_findings(s);
    t->regex_limited = s->rules ? ps_rules_regex_limited(s->rules) : 0;
}

static int on_creation(void *ctx, const ps_creation *c, ps_error *err)
{
    ps_session *s = ctx;
    int rc;
    if (s->detect && (rc = ps_detect_creation(s->detect, c, err)) < 0)
        return rc;
    return s->rules ? ps_rules_creation(s->rules, c, err) : 0;
}

int ps_session_add(ps_session *s, const char *path, ps_trace_result *res, ps_error *err)
{
    ps_input *in = NULL;
    int rc;

    if (res)
        memset(res, 0, sizeof *res);
    if ((rc = ps_input_open(path, &s->o.input, &in, err)) < 0)
        return rc;
    rc = ps_session_add_input(s, in, path, res, err);
    ps_input_close(in);
    return rc;
}

int ps_session_add_input(ps_session *s, ps_input *in, const char *path, ps_trace_result *res, ps_error *err)
{
    ps_store *store = s->store;
    const ps_session_opts *o = &s->o;
    ps_trace_result local, *st = res ? res : &local;
    uint64_t findings_before = session_findings(s);
    ps_reader *rd = NULL;
    ps_recon *rc_engine = NULL;
    const ps_reader_ops *ops = NULL;
    ps_reader_opts ropts;
    ps_store_trace tr;
    ps_store_trace_end te;
    ps_recon_summary sum;
    int64_t trace_id = 0, first_ts = 0, last_ts = 0;
    bool have_ts = false;
    uint64_t events = 0, stacks = 0, frame_staged = 0;
    ps_event staged;            /* an event with its stack attribution */
    char fn_name[256];
    char sha[65];
    int rc;

    memset(st, 0, sizeof *st);
    if (o->input_format && *o->input_format && strcmp(o->input_format, "auto") != 0) {
        ops = ps_reader_find(o->input_format);
        if (!ops) {
            rc = ps_error_set(err, PS_ERR_USAGE, "unknown input format '%s' (see 'procstage formats')",
                              o->input_format);
            goto out;
        }
    } else if ((rc = ps_reader_detect(in, &ops, err)) < 0) {
        goto out;
    }
    memset(&ropts, 0, sizeof ropts);
    ropts.no_stacks = o->no_stacks;
    ropts.recovered = o->recovered;
    ropts.warn = o->warn;
    ropts.warn_ctx = o->warn_ctx;
    if ((rc = ops->open(in, &ropts, &rd, err)) < 0)
        goto out;

    memset(&tr, 0, sizeof tr);
    tr.path = path;
    tr.format = ops->name;
    tr.compressed = ps_input_is_compressed(in);
    tr.size = (int64_t)ps_input_raw_size(in);
    if (o->host)
        ps_strlcpy(rd->info.host, o->host, sizeof rd->info.host);
    tr.host = rd->info.host;
    tr.case_name = o->case_name;
    tr.os_version = rd->info.os_version;
    tr.pointer_size = rd->info.pointer_size;
    tr.cpu_count = rd->info.cpu_count;
    tr.time_basis = ps_time_basis_name(rd->info.time_basis);
    tr.time_note = rd->info.time_note;
    tr.has_tid = rd->info.has_tid;
    tr.has_stacks = rd->info.has_stacks;
    if ((rc = ps_store_begin_trace(store, &tr, &trace_id, err)) < 0)
        goto out;
    if ((rc = ps_recon_new(store, o->config, trace_id, &rd->info, on_creation, s, &rc_engine, err)) < 0)
        goto out;
    if (s->rules && (rc = ps_rules_begin_trace(s->rules, trace_id, &rd->info, rc_engine, err)) < 0)
        goto out;

    for (;;) {
        ps_record rec;
        int n = ps_reader_next(rd, &rec, err);
        if (n < 0) {
            rc = n;
            goto out;
        }
        if (n == 0)
            break;
        if (rec.type == PS_REC_PROCESS) {
            if ((rc = ps_recon_process_record(rc_engine, rec.process, err)) < 0)
                goto out;
            continue;
        }
        {
            const ps_event *ev = rec.event;
            int64_t process_id = 0, stack_id = 0, event_id = 0;
            if ((rc = ps_recon_resolve(rc_engine, ev, &process_id, err)) < 0)
                goto out;
            if (ev->nframes && !o->no_stacks) {
                if ((rc = ps_store_add_stack_hashed(store, ev->frames, ev->nframes, ev->stack_hash, &stack_id,
                                                    err)) < 0)
                    goto out;
                stacks++;
            }
            if ((rc = ps_store_add_event(store, trace_id, ev, process_id, stack_id, &event_id, err)) < 0)
                goto out;
            if (s->attr && ev->nframes) {
                ps_attr_hit hit;
                if ((rc = ps_attr_event(s->attr, ev, stack_id, &hit, err)) < 0)
                    goto out;
                if (hit.stage) {
                    staged = *ev;
                    staged.frame_stage = hit.stage;
                    snprintf(fn_name, sizeof fn_name, "%.*s", (int)hit.function_len, hit.function);
                    staged.frame_function = fn_name;
                    ev = &staged;
                    frame_staged++;
                }
            }
            if ((rc = ps_recon_event(rc_engine, ev, event_id, err)) < 0)
                goto out;
            if (s->detect && (rc = ps_detect_event(s->detect, trace_id, event_id, ev, err)) < 0)
                goto out;
            if (s->rules && (rc = ps_rules_event(s->rules, event_id, ev, err)) < 0)
                goto out;
            if (!have_ts) {
                first_ts = last_ts = ev->ts;
                have_ts = true;
            } else {
                if (ev->ts < first_ts)
                    first_ts = ev->ts;
                if (ev->ts > last_ts)
                    last_ts = ev->ts;
            }
            events++;
            if (o->progress && (events & 0xFFF) == 0)
                o->progress(o->progress_ctx, path, ps_input_raw_pos(in), ps_input_raw_size(in), events,
                            false);
        }
    }
    if ((rc = ps_recon_finish(rc_engine, &sum, err)) < 0)
        goto out;
    if (s->detect && (rc = ps_detect_end_trace(s->detect, trace_id, err)) < 0)
        goto out;
    if (s->rules && (rc = ps_rules_end_trace(s->rules, err)) < 0)
        goto out;
    if ((rc = ps_store_link_findings(store, trace_id, err)) < 0)
        goto out;
    if (rd->info.nkinds &&
        (rc = ps_store_add_event_kinds(store, trace_id, rd->info.kinds, rd->info.nkinds, err)) < 0)
        goto out;
    if ((rc = ps_input_finish(in, sha, err)) < 0)
        goto out;
    if (sum.anchored) {
        first_ts += sum.shift;
        last_ts += sum.shift;
    }

    memset(&te, 0, sizeof te);
    te.sha256 = sha;
    te.have_ts = have_ts;
    te.first_ts = first_ts;
    te.last_ts = last_ts;
    te.events = events;
    te.processes = sum.processes;
    te.creations = sum.creations;
    te.events_lost = rd->info.events_lost;
    te.undecoded = rd->info.undecoded;
    te.warnings = rd->warnings;
    te.time_basis = ps_time_basis_name(rd->info.time_basis);
    te.time_note = rd->info.time_note;
    te.has_tz = sum.anchored;
    te.tz_offset_min = sum.tz_offset_min;
    te.has_tid = rd->info.has_tid;
    te.has_stacks = rd->info.has_stacks;
    if (o->host)
        ps_strlcpy(rd->info.host, o->host, sizeof rd->info.host);
    te.host = rd->info.host;
    te.os_version = rd->info.os_version;
    if ((rc = ps_store_end_trace(store, trace_id, &te, err)) < 0)
        goto out;
    if (o->progress)
        o->progress(o->progress_ctx, path, ps_input_raw_pos(in), ps_input_raw_size(in), events, true);

    st->trace_id = trace_id;
    st->path = path;
    st->findings = session_findings(s) - findings_before;
    st->format = ops->name;
    st->events = events;
    st->processes = sum.processes;
    st->creations = sum.creations;
    st->creations_complete = sum.creations_complete;
    st->creations_partial = sum.creations_partial;
    st->creations_failed = sum.creations_failed;
    st->warnings = rd->warnings;
    st->undecoded = rd->info.undecoded;
    st->stacks = stacks;
    st->frame_staged = frame_staged;
    ps_strlcpy(st->time_basis, te.time_basis, sizeof st->time_basis);
    ps_strlcpy(st->time_note, rd->info.time_note, sizeof st->time_note);
    s->totals.traces++;
    if (o->trace_done)
        o->trace_done(o->trace_done_ctx, store, st);
    rc = 0;
out:
    if (rc < 0 && o->progress)
        o->progress(o->progress_ctx, path, 0, 0, 0, true);   /* clears a bar */
    ps_attr_end_trace(s->attr);
    ps_recon_free(rc_engine);
    ps_reader_close(rd);
    return rc;
}
