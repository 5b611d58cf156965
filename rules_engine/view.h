/*
 * view.h - filling a rule's view of an event or a creation (view.c).
 *
 * Ownership: a ps_vctx borrows everything it points to.
 */
#ifndef PS_RULES_VIEW_H
#define PS_RULES_VIEW_H

#include "rules_engine/internal.h"

struct ps_recon;

typedef struct ps_vctx {
    const int *wk;
    const int *sf;                  /* the ruleset's source field ids */
    const ps_trace_info *info;
    struct ps_recon *recon;
    const char *const *modules;     /* creations: images loaded during user_init */
    size_t nmodules;
} ps_vctx;

/* The logsources of an event into v->lskeys (rules_engine/logsource.h). */
void ps_view_classify(view *v, const ps_event *ev);
/* Fills the fields of an event (classify first) or of a creation. */
int ps_view_event(view *v, const ps_vctx *x, const ps_event *ev);
int ps_view_creation(view *v, const ps_vctx *x, const ps_creation *c, bool as_process_creation);

#endif
