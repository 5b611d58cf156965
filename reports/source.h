/*
 * source.h - reports over the source catalogue (docs/source.md):
 *
 *   ps_report_source       per stage, the call trees from each entry point
 *                          (NtCreateProcessEx -> PspCreateProcess -> ...)
 *                          with parameter directions; functions without a
 *                          stage; conflicts.  Text or JSON.
 *   ps_report_source_dot   the same call graph for Graphviz, one cluster
 *                          per stage
 *   ps_export_stacktags    the stage map as a WPA stack-tags file
 *
 * Ownership: everything passed in is borrowed.
 */
#ifndef PS_SOURCE_REPORT_H
#define PS_SOURCE_REPORT_H

#include <stdio.h>

#include "common/error.h"
#include "source/stage_map.h"
#include "model/store.h"
#include "reports/output.h"

/* stage: 1..6 shows only that stage, 0 everything. */
int ps_report_source(ps_store *s, const ps_report_opts *o, int stage, ps_error *err);
int ps_report_source_dot(ps_store *s, FILE *out, int stage, ps_error *err);
int ps_export_stacktags(const ps_stage_map *m, FILE *out, ps_error *err);

#endif
