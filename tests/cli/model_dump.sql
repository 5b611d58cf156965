-- model_dump.sql - a model's content in a canonical text form, for
-- comparing two models (tests/cli/merge.sh, tests/realdata/merge.test).
-- Every table and view of docs/model.md, ordered by its ids; the storage
-- ids of texts, stacks and frames (strings, stacks, frame_values) are left
-- out: an event's stack is compared as the list of its frames.
SELECT 'traces', * FROM traces ORDER BY trace_id;
SELECT 'processes', * FROM processes ORDER BY process_id;
SELECT 'modules', * FROM modules ORDER BY process_id, base, path;
SELECT 'creations', * FROM creations ORDER BY creation_id;
SELECT 'boundaries', * FROM boundaries ORDER BY creation_id, boundary;
SELECT 'stages', * FROM stages ORDER BY creation_id, stage;
SELECT 'events', e.event_id, e.trace_id, e.seq, e.ts, e.pid, e.tid, e.process_id, e.class, e.operation, e.path,
       e.result, e.detail, e.duration, e.category, e.creation_id, e.stage,
       (SELECT group_concat(fr, ';') FROM (SELECT coalesce(f.address, '') || '/' || coalesce(f.module, '') || '/' ||
               coalesce(f.symbol, '') || '/' || coalesce(f.offset, '') AS fr
               FROM frames f WHERE f.stack_id = e.stack_id ORDER BY f.depth))
FROM events e ORDER BY e.event_id;
SELECT 'event_fields', * FROM event_fields ORDER BY event_id, name, value;
SELECT 'event_kinds', * FROM event_kinds ORDER BY trace_id, provider, operation;
SELECT 'findings', * FROM findings ORDER BY finding_id;
SELECT 'frame_stages', * FROM v_event_frame_stage ORDER BY event_id;
SELECT 'v_stage_timing', * FROM v_stage_timing ORDER BY creation_id;
SELECT 'v_findings', * FROM v_findings ORDER BY finding_id;
SELECT 'stage_map', * FROM stage_map ORDER BY function, module, stage, label, under, origin, source;
SELECT 'src_files', * FROM src_files ORDER BY file_id;
SELECT 'src_functions', * FROM src_functions ORDER BY function_id;
SELECT 'src_params', * FROM src_params ORDER BY function_id, position;
SELECT 'src_calls', * FROM src_calls ORDER BY caller_id, seq;
SELECT 'src_stage_tags', * FROM src_stage_tags ORDER BY file_id, function_id, kind, stage, line_start;
SELECT 'src_lines', * FROM src_lines ORDER BY file_id, line, code;
SELECT 'src_conflicts', * FROM src_conflicts ORDER BY function_id, name, kind;
