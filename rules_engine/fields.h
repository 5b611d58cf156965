/*
 * fields.h - the rule engine's field dictionary: every field name a loaded
 * rule uses, interned once (case-insensitively) to a small integer id, so
 * that matching looks fields up by id, never by name; and the well-known
 * fields the engine fills itself (the Sysmon names it derives for Procmon,
 * ETW and Security events, procstage's own creation fields), whose ids are
 * resolved once per rule run (-1 when no rule uses them: then they are not
 * filled at all).  docs/rules.md lists them.
 *
 * Ownership: an fdict owns its names; release with fdict_release.
 */
#ifndef PS_RULES_FIELDS_H
#define PS_RULES_FIELDS_H

#include <stddef.h>

#include "common/util.h"

typedef struct fdict {
    ps_map by_hash;          /* ps_hash_ci(name) -> id + 1 */
    char **names;
    size_t n, cap;
} fdict;

int fdict_intern(fdict *d, const char *name);          /* -1 on no memory */
int fdict_find(const fdict *d, const char *name, size_t len);   /* -1 when unknown */

void fdict_release(fdict *d);

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

/* The ids of the well-known fields in d, into wk[WK__COUNT]. */
int ps_wk_resolve(const fdict *d, int *wk);
/* The name of a well-known field (NULL for the per-stage ones). */
const char *ps_wk_name(int k);

/* The source fields of event-log records the view reads to derive the
 * Sysmon names (Security 4688's NewProcessName, ...), interned so that
 * filling a view reads each record's fields once; -1 on no memory. */
typedef enum {
    SF_PROVIDER, SF_EVENTID, SF_CHANNEL, SF_EVENTTYPE, SF_NEWPROCESSNAME, SF_PARENTPROCESSNAME,
    SF_NEWPROCESSID, SF_PROCESSID, SF_MANDATORYLABEL, SF_PROCESSNAME, SF__COUNT
} ps_source_field;
int ps_sf_intern(fdict *d, int *sf);

#endif
