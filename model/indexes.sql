-- Indexes of the procstage model, created after the first load (bulk inserts
-- into unindexed tables are several times faster).  IF NOT EXISTS: running it
-- again after an append is harmless.
CREATE INDEX IF NOT EXISTS events_pid_ts ON events (trace_id, pid, ts);
CREATE INDEX IF NOT EXISTS events_creation ON events (creation_id, stage) WHERE creation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS event_fields_event ON event_fields (event_id);
CREATE INDEX IF NOT EXISTS events_stack ON events (stack_id) WHERE stack_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS processes_pid ON processes (trace_id, pid);
CREATE INDEX IF NOT EXISTS modules_process ON modules (process_id);
CREATE INDEX IF NOT EXISTS creations_trace ON creations (trace_id, create_ts);
CREATE INDEX IF NOT EXISTS findings_creation ON findings (creation_id);
CREATE INDEX IF NOT EXISTS stacks_hash ON stacks (hash);
