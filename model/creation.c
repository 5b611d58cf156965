#include "model/creation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stage_names[PS_NSTAGES] = {
    "open_image", "create_process_object", "create_initial_thread",
    "notify_subsystem", "start_initial_thread", "user_init"};

const char *ps_stage_name(int stage)
{
    return stage >= 1 && stage <= PS_NSTAGES ? stage_names[stage - 1] : NULL;
}

const char *ps_confidence_name(ps_confidence c)
{
    switch (c) {
    case PS_CONF_OBSERVED: return "observed";
    case PS_CONF_INFERRED: return "inferred";
    default: return "missing";
    }
}

const char *ps_status_name(ps_creation_status s)
{
    switch (s) {
    case PS_STATUS_COMPLETE: return "complete";
    case PS_STATUS_PARTIAL: return "partial";
    default: return "failed";
    }
}

const char *ps_anchor_name(ps_anchor_kind a)
{
    return a == PS_ANCHOR_PROCESS_START ? "process-start" : "process-create";
}

void ps_creation_init(ps_creation *c)
{
    memset(c, 0, sizeof *c);
}

void ps_creation_release(ps_creation *c)
{
    free(c->requested_image);
    free(c->image_path);
    free(c->command_line);
    free(c->current_dir);
    free(c->result);
    free(c->ifeo_image);
    free(c->ifeo_debugger);
    free(c->creator_name);
    free(c->creator_cmdline);
    free(c->parent_name);
    free(c->parent_cmdline);
    memset(c, 0, sizeof *c);
}

static ps_confidence weaker(ps_confidence a, ps_confidence b)
{
    return a < b ? a : b;
}

void ps_creation_derive(ps_creation *c)
{
    int k;

    /* collapse and clamp */
    for (k = 0; k < PS_NBOUNDARIES; k++) {
        ps_boundary *b = &c->b[k];
        if (b->found) {
            b->collapsed = false;
            if (k > 0 && (c->b[k - 1].found || c->b[k - 1].collapsed) && b->ts < c->b[k - 1].ts) {
                size_t n = strlen(b->rule);
                b->ts = c->b[k - 1].ts;
                snprintf(b->rule + n, sizeof b->rule - n, "%s", "; clamped to the previous boundary");
            }
            continue;
        }
        b->conf = PS_CONF_MISSING;
        b->event_id = 0;
        if (k > 0 && (c->b[k - 1].found || c->b[k - 1].collapsed)) {
            b->collapsed = true;
            b->ts = c->b[k - 1].ts;
            b->event_id = c->b[k - 1].event_id;
            if (!b->rule[0])
                snprintf(b->rule, sizeof b->rule, "not found; collapsed onto B%d", k - 1);
        } else {
            b->collapsed = false;
            b->ts = 0;
            if (!b->rule[0])
                snprintf(b->rule, sizeof b->rule, "not found");
        }
    }

    for (k = 1; k <= PS_NSTAGES; k++) {
        ps_stage *s = &c->s[k - 1];
        const ps_boundary *a = &c->b[k - 1], *e = &c->b[k];
        bool a_known = a->found || a->collapsed;

        memset(s, 0, sizeof *s);
        s->stage = k;
        if (e->collapsed) {
            s->has_start = s->has_end = true;
            s->start_ts = s->end_ts = e->ts;
            s->has_duration = true;
            s->duration = 0;
            s->start_event_id = s->end_event_id = e->event_id;
            s->conf = PS_CONF_MISSING;
            snprintf(s->evidence, sizeof s->evidence, "B%d missing (%s): duration 0", k, e->rule);
        } else if (!e->found) {
            s->conf = PS_CONF_MISSING;
            snprintf(s->evidence, sizeof s->evidence, "B%d missing and no earlier boundary known", k);
        } else if (!a_known) {
            s->has_end = true;
            s->end_ts = e->ts;
            s->end_event_id = e->event_id;
            s->conf = PS_CONF_MISSING;
            snprintf(s->evidence, sizeof s->evidence, "start unknown (B%d %s); end B%d: %s", k - 1,
                     a->rule, k, e->rule);
        } else {
            s->has_start = s->has_end = true;
            s->start_ts = a->ts;
            s->end_ts = e->ts;
            s->has_duration = true;
            s->duration = e->ts - a->ts;
            s->start_event_id = a->event_id;
            s->end_event_id = e->event_id;
            if (a->collapsed)
                s->conf = e->conf < PS_CONF_INFERRED ? e->conf : PS_CONF_INFERRED;
            else
                s->conf = weaker(a->conf, e->conf);
            snprintf(s->evidence, sizeof s->evidence, "B%d: %s; B%d: %s%s", k - 1, a->rule, k,
                     e->rule, a->collapsed ? " (span includes the missing previous stage)" : "");
        }
    }
}
