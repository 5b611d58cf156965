/* model/creation.c: boundaries to stages, the collapse rule of stages.md */
#include "model/creation.h"
#include "tap.h"

static void set(ps_creation *c, int k, int64_t ts, int64_t ev, ps_confidence conf)
{
    c->b[k].found = true;
    c->b[k].ts = ts;
    c->b[k].event_id = ev;
    c->b[k].conf = conf;
}

int main(void)
{
    ps_creation c;
    int k;

    ps_creation_init(&c);
    for (k = 0; k < 7; k++)
        set(&c, k, 100 + 10 * k, k + 1, k == 4 || k == 6 ? PS_CONF_INFERRED : PS_CONF_OBSERVED);
    ps_creation_derive(&c);
    ok(c.s[0].has_duration && c.s[0].duration == 10 && c.s[0].conf == PS_CONF_OBSERVED, "stage 1 observed");
    ok(c.s[3].conf == PS_CONF_INFERRED && c.s[4].conf == PS_CONF_INFERRED,
       "stages 4 and 5 inherit B4's inference");
    ok(c.s[5].start_event_id == 6 && c.s[5].end_event_id == 7, "stage 6 spans B5..B6 events");
    ps_creation_release(&c);

    /* B0 and B1 missing (filtered trace), B4 missing */
    ps_creation_init(&c);
    set(&c, 2, 200, 3, PS_CONF_OBSERVED);
    set(&c, 3, 210, 4, PS_CONF_OBSERVED);
    set(&c, 5, 250, 6, PS_CONF_OBSERVED);
    set(&c, 6, 300, 7, PS_CONF_INFERRED);
    ps_creation_derive(&c);
    ok(!c.s[0].has_start && !c.s[0].has_end && c.s[0].conf == PS_CONF_MISSING, "stage 1: NULL times, missing");
    ok(!c.s[1].has_start && c.s[1].has_end && c.s[1].end_ts == 200 && !c.s[1].has_duration &&
           c.s[1].conf == PS_CONF_MISSING,
       "stage 2: known end only, missing");
    ok(c.s[2].has_duration && c.s[2].duration == 10 && c.s[2].conf == PS_CONF_OBSERVED, "stage 3 observed");
    ok(c.b[4].collapsed && c.b[4].ts == 210, "B4 collapses onto B3");
    ok(c.s[3].has_duration && c.s[3].duration == 0 && c.s[3].conf == PS_CONF_MISSING,
       "stage 4: duration 0, missing");
    ok(c.s[4].duration == 40 && c.s[4].conf == PS_CONF_INFERRED, "stage 5 inferred (includes stage 4)");
    ok(c.s[5].duration == 50 && c.s[5].conf == PS_CONF_INFERRED, "stage 6 inferred");
    ps_creation_release(&c);

    /* everything after B2 missing */
    ps_creation_init(&c);
    set(&c, 0, 90, 1, PS_CONF_OBSERVED);
    set(&c, 1, 95, 2, PS_CONF_OBSERVED);
    set(&c, 2, 100, 3, PS_CONF_OBSERVED);
    ps_creation_derive(&c);
    for (k = 3; k <= 6; k++)
        ok(c.s[k - 1].has_duration && c.s[k - 1].duration == 0 && c.s[k - 1].conf == PS_CONF_MISSING,
           "stage %d collapsed", k);
    ps_creation_release(&c);

    /* a boundary before its predecessor is clamped */
    ps_creation_init(&c);
    set(&c, 2, 100, 3, PS_CONF_OBSERVED);
    set(&c, 3, 110, 4, PS_CONF_OBSERVED);
    set(&c, 4, 105, 5, PS_CONF_INFERRED);
    ps_creation_derive(&c);
    ok(c.b[4].ts == 110 && c.s[3].duration == 0 && strstr(c.b[4].rule, "clamped"), "out-of-order B4 is clamped");
    ps_creation_release(&c);

    is_str(ps_stage_name(1), "open_image", "stage 1 name");
    is_str(ps_stage_name(2), "create_process_object", "stage 2 name");
    is_str(ps_stage_name(3), "create_initial_thread", "stage 3 name");
    is_str(ps_stage_name(4), "notify_subsystem", "stage 4 name");
    is_str(ps_stage_name(5), "start_initial_thread", "stage 5 name");
    is_str(ps_stage_name(6), "user_init", "stage 6 name");
    return tap_done();
}
