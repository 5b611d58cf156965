/*
 * timeline.c - report timeline: one row per dated thing of the model, in
 * time order - every creation (at B2), every boundary found of it, every
 * finding (at its evidence event, else its creation) - with the trace, its
 * host, the process and its parent, the command line, and for findings the
 * rule and level: the super-timeline habit of Hayabusa and Timesketch (CSV
 * and JSON Lines; columns in docs/model.md, "Exports").
 */
#include "common/util.h"
#include "reports/report.h"

static const char *const TIMELINE_NAMES[] = {
    "time", "ts", "kind", "host", "trace", "trace_id", "creation_id", "pid", "process", "parent_pid", "parent",
    "command_line", "boundary", "stage", "confidence", "rule_id", "level", "title", "event_id", "message",
};

/* ts is the FILETIME of the trace's basis; rows of one time come as
 * creation, boundaries (in order), findings. */
static const ps_export TIMELINE = {
    "timeline",
    "WITH c AS (SELECT c.*, t.host, t.path, t.time_basis, "
    "             (SELECT p.process_name FROM processes p WHERE p.process_id = c.child_process_id) AS child_name, "
    "             (SELECT coalesce(p.image_path, p.process_name) FROM processes p WHERE p.trace_id = c.trace_id "
    "                AND p.pid = c.parent_pid ORDER BY p.process_id LIMIT 1) AS parent_name "
    "           FROM creations c JOIN traces t USING (trace_id) WHERE ?1 = 0 OR c.trace_id = ?1) "
    "SELECT ps_time(ts, time_basis), ts, kind, host, path, trace_id, creation_id, pid, process, parent_pid, parent, "
    "       command_line, boundary, stage, confidence, rule_id, level, title, event_id, message FROM ("
    /* creations, at B2 */
    " SELECT c.create_ts AS ts, 0 AS ord, 'creation' AS kind, c.host, c.path, c.time_basis, c.trace_id, "
    "        c.creation_id, c.child_pid AS pid, coalesce(c.image_path, c.child_name) AS process, c.parent_pid, "
    "        c.parent_name AS parent, c.command_line, NULL AS boundary, NULL AS stage, NULL AS confidence, "
    "        NULL AS rule_id, NULL AS level, NULL AS title, c.anchor_event_id AS event_id, "
    "        coalesce(c.parent_name, '?') || ' -> ' || coalesce(c.image_path, c.child_name, '?') || ' (' || c.status || ')' "
    "          AS message "
    " FROM c WHERE c.create_ts IS NOT NULL "
    " UNION ALL "
    /* the boundaries found; the stage that each one ends */
    " SELECT b.ts, 1 + b.boundary, 'boundary', c.host, c.path, c.time_basis, c.trace_id, c.creation_id, c.child_pid, "
    "        coalesce(c.image_path, c.child_name), c.parent_pid, c.parent_name, c.command_line, 'B' || b.boundary, "
    "        (SELECT s.name FROM stages s WHERE s.creation_id = b.creation_id AND s.stage = b.boundary), b.confidence, "
    "        NULL, NULL, NULL, b.event_id, b.rule "
    " FROM boundaries b JOIN c USING (creation_id) WHERE b.confidence <> 'missing' AND b.ts IS NOT NULL "
    "   AND b.boundary <> 2 "
    " UNION ALL "
    /* findings, at their evidence event, else their creation */
    " SELECT coalesce(e.ts, cr.create_ts), 9, 'finding', t.host, t.path, t.time_basis, f.trace_id, f.creation_id, "
    "        coalesce(cr.child_pid, e.pid), coalesce(cr.image_path, p.image_path, p.process_name), cr.parent_pid, "
    "        (SELECT coalesce(pp.image_path, pp.process_name) FROM processes pp WHERE pp.trace_id = f.trace_id "
    "           AND pp.pid = cr.parent_pid ORDER BY pp.process_id LIMIT 1), "
    "        coalesce(cr.command_line, p.command_line), NULL, NULL, NULL, f.rule_id, f.severity, f.title, f.event_id, "
    "        f.title || coalesce(' [' || f.technique || ']', '') "
    " FROM findings f JOIN traces t ON t.trace_id = f.trace_id "
    " LEFT JOIN creations cr ON cr.creation_id = f.creation_id "
    " LEFT JOIN event_rows e ON e.event_id = f.event_id "
    " LEFT JOIN processes p ON p.process_id = e.process_id "
    " WHERE (?1 = 0 OR f.trace_id = ?1) AND coalesce(e.ts, cr.create_ts) IS NOT NULL"
    ") ORDER BY ts, trace_id, creation_id, ord, event_id",
    TIMELINE_NAMES, PS_ARRAY_LEN(TIMELINE_NAMES)};

int ps_report_timeline(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    return ps_report_export(s, o, &TIMELINE, err);
}
