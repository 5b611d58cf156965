-- Indexes of the procstage model, built when a new model is committed (a
-- sorted build is far cheaper than keeping them up to date row by row:
-- docs/performance.md).  IF NOT EXISTS: running it again after an append is
-- harmless.
CREATE INDEX IF NOT EXISTS events_pid_ts ON event_rows (trace_id, pid, ts);
CREATE INDEX IF NOT EXISTS events_creation ON event_rows (creation_id, stage) WHERE creation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS processes_pid ON processes (trace_id, pid);
CREATE INDEX IF NOT EXISTS modules_process ON modules (process_id);
CREATE INDEX IF NOT EXISTS creations_trace ON creations (trace_id, create_ts);
CREATE INDEX IF NOT EXISTS findings_creation ON findings (creation_id);
CREATE INDEX IF NOT EXISTS stacks_hash ON stacks (hash);
CREATE INDEX IF NOT EXISTS src_functions_name ON src_functions (name);
CREATE INDEX IF NOT EXISTS src_calls_callee ON src_calls (callee);
