/*
 * registry.c - the table of report kinds (see report.h): `procstage report
 * KIND`, its help and the man page's list come from here.
 */
#include <string.h>

#include "common/util.h"
#include "reports/report.h"

static const ps_report_kind kinds[] = {
    {"timing", ps_report_timing, "per creation: the six stage durations; per image: p50/p95/max", PS_FMTS_ALL},
    {"findings", ps_report_findings, "findings with severity, technique and evidence", PS_FMTS_ALL},
    {"creations", ps_report_creations, "one row per process creation", PS_FMTS_ALL},
    {"traces", ps_report_traces, "the ingested traces and their time basis", PS_FMTS_ALL},
    {"stages", ps_report_stages, "one row per creation and stage: times, confidence, evidence", PS_FMTS_ALL},
    {"processes", ps_report_processes, "one row per process: identity, parent, times, command line", PS_FMTS_ALL},
    {"timeline", ps_report_timeline, "one row per dated thing: creations, boundaries, findings (CSV, JSON Lines)",
     (1u << PS_FMT_CSV) | (1u << PS_FMT_JSON) | (1u << PS_FMT_NDJSON)},
    {"tree", ps_report_tree, "the process tree, hijacked launches marked (text)", PS_FMTS_TEXT},
    {"html", ps_report_html, "self-contained HTML page: findings, timeline, tree, statistics", PS_FMTS_OWN},
    {"perfetto", ps_report_perfetto, "Chrome trace-event JSON for ui.perfetto.dev and chrome://tracing",
     PS_FMTS_OWN},
};

const ps_report_kind *ps_report_kind_at(size_t i)
{
    return i < PS_ARRAY_LEN(kinds) ? &kinds[i] : NULL;
}

const ps_report_kind *ps_report_kind_find(const char *name)
{
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(kinds); i++)
        if (!strcmp(kinds[i].name, name))
            return &kinds[i];
    return NULL;
}
