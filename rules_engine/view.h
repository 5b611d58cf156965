/*
 * view.h - filling a rule's view of an event or a creation (view.c).
 *
 * Ownership: a ps_vctx borrows everything it points to.
 */
#ifndef PS_RULES_VIEW_H
#define PS_RULES_VIEW_H

#include "rules_engine/internal.h"

struct ps_recon;

/* Fields the engine fills by name; their ids come from the dictionary
 * (-1 when no rule uses them, and then they are not filled at all). */
enum {
    WK_IMAGE, WK_COMMANDLINE, WK_PARENTIMAGE, WK_PARENTCOMMANDLINE, WK_PROCESSID, WK_PARENTPROCESSID,
    WK_CURRENTDIRECTORY, WK_USER, WK_INTEGRITYLEVEL, WK_COMPANY, WK_DESCRIPTION, WK_FILEVERSION,
    WK_TERMINALSESSIONID, WK_TARGETOBJECT, WK_DETAILS, WK_EVENTTYPE, WK_IMAGELOADED, WK_TARGETFILENAME,
    WK_COMPUTER, WK_IFEO_IMAGE, WK_SPE_IMAGE, WK_ORIGINALFILENAME,
    /* process_creation_stages */
    WK_CREATION_ID, WK_REQUESTED_IMAGE, WK_IMAGE_PATH, WK_COMMAND_LINE, WK_CURRENT_DIR, WK_PARENT_PID,
    WK_CREATOR_PID, WK_CREATOR_TID, WK_CHILD_PID, WK_INITIAL_TID, WK_STATUS, WK_ANCHOR, WK_RESULT, WK_NOTE,
    WK_CREATOR_IMAGE, WK_PARENT_IMAGE, WK_USER_LC, WK_INTEGRITY, WK_IFEO_DEBUGGER, WK_IFEO_EVENT_ID,
    WK_ANCHOR_EVENT_ID, WK_TOTAL_MS, WK_USER_INIT_MODULES, WK_IMAGE_CREATIONS,
    WK_STAGE_MS, WK_STAGE_NAMED_MS = WK_STAGE_MS + 6, WK_STAGE_CONF = WK_STAGE_NAMED_MS + 6,
    WK_STAGE_MEDIAN = WK_STAGE_CONF + 6, WK_STAGE_RATIO = WK_STAGE_MEDIAN + 6, WK_STAGE_SCORE = WK_STAGE_RATIO + 6,
    WK__COUNT = WK_STAGE_SCORE + 6
};

typedef struct ps_vctx {
    const int *wk;
    const ps_trace_info *info;
    struct ps_recon *recon;
    const char *const *modules;     /* creations: images loaded during user_init */
    size_t nmodules;
} ps_vctx;

int ps_wk_resolve(const fdict *d, int *wk);
/* The logsources of an event into v->lskeys. */
void ps_view_classify(view *v, const ps_event *ev);
/* Fills the fields of an event (classify first) or of a creation. */
int ps_view_event(view *v, const ps_vctx *x, const ps_event *ev);
int ps_view_creation(view *v, const ps_vctx *x, const ps_creation *c, bool as_process_creation);

#endif
