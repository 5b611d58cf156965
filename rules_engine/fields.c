/*
 * fields.c - the field dictionary and the well-known fields (see fields.h).
 */
#include "rules_engine/fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/creation.h"

int fdict_find(const fdict *d, const char *name, size_t len)
{
    uint64_t v;
    if (!ps_map_get(&d->by_hash, ps_hash_ci(name, len), &v))
        return -1;
    return (int)v - 1;
}

int fdict_intern(fdict *d, const char *name)
{
    size_t len = strlen(name);
    int id = fdict_find(d, name, len);

    if (id >= 0)
        return id;
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 64;
        char **nn = realloc(d->names, nc * sizeof *nn);
        if (!nn)
            return -1;
        d->names = nn;
        d->cap = nc;
    }
    d->names[d->n] = ps_strdup(name);
    if (!d->names[d->n] || ps_map_put(&d->by_hash, ps_hash_ci(name, len), d->n + 1) < 0) {
        free(d->names[d->n]);
        return -1;
    }
    return (int)d->n++;
}

void fdict_release(fdict *d)
{
    size_t i;
    for (i = 0; i < d->n; i++)
        free(d->names[i]);
    free(d->names);
    ps_map_release(&d->by_hash);
    memset(d, 0, sizeof *d);
}

static const char *const wk_names[WK__COUNT] = {
    [WK_IMAGE] = "Image",
    [WK_COMMANDLINE] = "CommandLine",
    [WK_PARENTIMAGE] = "ParentImage",
    [WK_PARENTCOMMANDLINE] = "ParentCommandLine",
    [WK_PROCESSID] = "ProcessId",
    [WK_PARENTPROCESSID] = "ParentProcessId",
    [WK_CURRENTDIRECTORY] = "CurrentDirectory",
    [WK_USER] = "User",
    [WK_INTEGRITYLEVEL] = "IntegrityLevel",
    [WK_COMPANY] = "Company",
    [WK_DESCRIPTION] = "Description",
    [WK_FILEVERSION] = "FileVersion",
    [WK_TERMINALSESSIONID] = "TerminalSessionId",
    [WK_TARGETOBJECT] = "TargetObject",
    [WK_DETAILS] = "Details",
    [WK_EVENTTYPE] = "EventType",
    [WK_IMAGELOADED] = "ImageLoaded",
    [WK_TARGETFILENAME] = "TargetFilename",
    [WK_COMPUTER] = "Computer",
    [WK_IFEO_IMAGE] = "ifeo_image",
    [WK_SPE_IMAGE] = "silent_process_exit_image",
    [WK_ORIGINALFILENAME] = "OriginalFileName",
    [WK_CREATION_ID] = "creation_id",
    [WK_REQUESTED_IMAGE] = "requested_image",
    [WK_IMAGE_PATH] = "image_path",
    [WK_COMMAND_LINE] = "command_line",
    [WK_CURRENT_DIR] = "current_dir",
    [WK_PARENT_PID] = "parent_pid",
    [WK_CREATOR_PID] = "creator_pid",
    [WK_CREATOR_TID] = "creator_tid",
    [WK_CHILD_PID] = "child_pid",
    [WK_INITIAL_TID] = "initial_tid",
    [WK_STATUS] = "status",
    [WK_ANCHOR] = "anchor",
    [WK_RESULT] = "result",
    [WK_NOTE] = "note",
    [WK_CREATOR_IMAGE] = "creator_image",
    [WK_PARENT_IMAGE] = "parent_image",
    [WK_USER_LC] = "user",
    [WK_INTEGRITY] = "integrity",
    [WK_IFEO_DEBUGGER] = "ifeo_debugger",
    [WK_IFEO_EVENT_ID] = "ifeo_event_id",
    [WK_ANCHOR_EVENT_ID] = "anchor_event_id",
    [WK_TOTAL_MS] = "total_ms",
    [WK_USER_INIT_MODULES] = "user_init_modules",
    [WK_IMAGE_CREATIONS] = "image_creations",
};

static const char *const stage_short[PS_NSTAGES] = {"open_image", "create_process_object", "create_initial_thread",
                                                     "notify_subsystem", "start_initial_thread", "user_init"};

int ps_wk_resolve(const fdict *d, int *wk)
{
    int i;
    char name[64];

    for (i = 0; i < WK__COUNT; i++) {
        wk[i] = -1;
        if (wk_names[i])
            wk[i] = fdict_find(d, wk_names[i], strlen(wk_names[i]));
    }
    for (i = 0; i < PS_NSTAGES; i++) {
        snprintf(name, sizeof name, "stage%d_ms", i + 1);
        wk[WK_STAGE_MS + i] = fdict_find(d, name, strlen(name));
        snprintf(name, sizeof name, "%s_ms", stage_short[i]);
        wk[WK_STAGE_NAMED_MS + i] = fdict_find(d, name, strlen(name));
        snprintf(name, sizeof name, "stage%d_confidence", i + 1);
        wk[WK_STAGE_CONF + i] = fdict_find(d, name, strlen(name));
        snprintf(name, sizeof name, "stage%d_image_median_ms", i + 1);
        wk[WK_STAGE_MEDIAN + i] = fdict_find(d, name, strlen(name));
        snprintf(name, sizeof name, "stage%d_image_ratio", i + 1);
        wk[WK_STAGE_RATIO + i] = fdict_find(d, name, strlen(name));
        snprintf(name, sizeof name, "stage%d_image_score", i + 1);
        wk[WK_STAGE_SCORE + i] = fdict_find(d, name, strlen(name));
    }
    return 0;
}

const char *ps_wk_name(int k)
{
    return k >= 0 && k < WK__COUNT ? wk_names[k] : NULL;
}

static const char *const sf_names[SF__COUNT] = {
    [SF_PROVIDER] = "Provider_Name",
    [SF_EVENTID] = "EventID",
    [SF_CHANNEL] = "Channel",
    [SF_EVENTTYPE] = "EventType",
    [SF_NEWPROCESSNAME] = "NewProcessName",
    [SF_PARENTPROCESSNAME] = "ParentProcessName",
    [SF_NEWPROCESSID] = "NewProcessId",
    [SF_PROCESSID] = "ProcessId",
    [SF_MANDATORYLABEL] = "MandatoryLabel",
    [SF_PROCESSNAME] = "ProcessName",
};

int ps_sf_intern(fdict *d, int *sf)
{
    int i;
    for (i = 0; i < SF__COUNT; i++)
        if ((sf[i] = fdict_intern(d, sf_names[i])) < 0)
            return -1;
    return 0;
}
