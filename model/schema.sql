-- procstage model, schema version 2.  Documented in docs/model.md.
--
-- Timestamps are INTEGER FILETIME (100 ns ticks since 1601-01-01) in the time
-- basis of their trace (traces.time_basis); durations are INTEGER 100 ns.
-- Indexes: model/indexes.sql.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);

CREATE TABLE traces (
    trace_id        INTEGER PRIMARY KEY,
    path            TEXT NOT NULL,
    format          TEXT NOT NULL,          -- reader name: procmon-csv, procmon-xml, ...
    sha256          TEXT,                   -- of the file as given (compressed bytes for .zst)
    compressed      INTEGER NOT NULL DEFAULT 0,
    size            INTEGER,                -- bytes on disk
    host            TEXT,
    os_version      TEXT,
    pointer_size    INTEGER,
    cpu_count       INTEGER,
    first_ts        INTEGER,
    last_ts         INTEGER,
    event_count     INTEGER NOT NULL DEFAULT 0,
    process_count   INTEGER NOT NULL DEFAULT 0,
    creation_count  INTEGER NOT NULL DEFAULT 0,
    time_basis      TEXT NOT NULL,          -- utc | local | time-of-day
    time_note       TEXT,                   -- how the times were read and anchored
    tz_offset_min   INTEGER,                -- local - UTC, when anchored
    has_tid         INTEGER NOT NULL DEFAULT 1,
    has_stacks      INTEGER NOT NULL DEFAULT 0,
    events_lost     INTEGER NOT NULL DEFAULT 0,
    undecoded_count INTEGER NOT NULL DEFAULT 0,
    warning_count   INTEGER NOT NULL DEFAULT 0,
    ingested_by     TEXT,                   -- procstage version
    case_name       TEXT                    -- the investigation (--case); NULL: none given (version 4)
);

CREATE TABLE processes (
    process_id      INTEGER PRIMARY KEY,
    trace_id        INTEGER NOT NULL REFERENCES traces(trace_id),
    pid             INTEGER NOT NULL,
    parent_pid      INTEGER,
    parent_process_id INTEGER,              -- processes.process_id of the parent when known
    process_name    TEXT,
    image_path      TEXT,
    command_line    TEXT,
    current_dir     TEXT,
    start_ts        INTEGER,                -- NULL: started before the trace
    end_ts          INTEGER,                -- NULL: still running at the end of the trace
    exit_status     INTEGER,
    user            TEXT,
    integrity       TEXT,
    session         INTEGER,
    is64            INTEGER,
    company         TEXT,
    version         TEXT,
    description     TEXT,
    source          TEXT NOT NULL           -- process-table | events
);

CREATE TABLE modules (
    process_id      INTEGER NOT NULL REFERENCES processes(process_id),
    base            INTEGER NOT NULL,
    size            INTEGER,
    path            TEXT,
    version         TEXT,
    company         TEXT,
    description     TEXT,
    timestamp       INTEGER
);

CREATE TABLE creations (
    creation_id     INTEGER PRIMARY KEY,
    trace_id        INTEGER NOT NULL REFERENCES traces(trace_id),
    parent_pid      INTEGER,                -- the child's recorded parent
    creator_pid     INTEGER,                -- the process whose thread called CreateProcess
    creator_tid     INTEGER,
    child_pid       INTEGER,
    initial_tid     INTEGER,
    requested_image TEXT,                   -- what the caller asked to run
    image_path      TEXT,                   -- what actually ran
    command_line    TEXT,
    current_dir     TEXT,
    create_ts       INTEGER,                -- B2
    status          TEXT NOT NULL CHECK (status IN ('complete', 'partial', 'failed')),
    result          TEXT,                   -- the anchor's result (SUCCESS, ...)
    anchor          TEXT NOT NULL,          -- process-create | process-start
    anchor_event_id INTEGER,
    creator_process_id INTEGER,
    child_process_id   INTEGER,
    crosscheck_delta   INTEGER,             -- B2 - process table CreateTime of the child (100 ns)
    note            TEXT
);

CREATE TABLE boundaries (
    creation_id     INTEGER NOT NULL REFERENCES creations(creation_id),
    boundary        INTEGER NOT NULL CHECK (boundary BETWEEN 0 AND 6),
    ts              INTEGER,
    event_id        INTEGER,
    confidence      TEXT NOT NULL CHECK (confidence IN ('observed', 'inferred', 'missing')),
    rule            TEXT,                   -- which rule of stages.md found it
    PRIMARY KEY (creation_id, boundary)
) WITHOUT ROWID;

CREATE TABLE stages (
    creation_id     INTEGER NOT NULL REFERENCES creations(creation_id),
    stage           INTEGER NOT NULL CHECK (stage BETWEEN 1 AND 6),
    name            TEXT NOT NULL,
    start_ts        INTEGER,
    end_ts          INTEGER,
    duration        INTEGER,
    start_event_id  INTEGER,
    end_event_id    INTEGER,
    confidence      TEXT NOT NULL CHECK (confidence IN ('observed', 'inferred', 'missing')),
    evidence        TEXT,
    PRIMARY KEY (creation_id, stage)
) WITHOUT ROWID;

-- Events are stored compactly: texts that repeat (operation, path, result,
-- detail, category) once in `strings`, the event rows as integers in
-- `event_rows`.  The view `events` gives them back with the documented
-- columns; use it (event_rows is the storage behind it).
CREATE TABLE strings (
    string_id       INTEGER PRIMARY KEY,
    text            TEXT NOT NULL
);

CREATE TABLE event_rows (
    event_id        INTEGER PRIMARY KEY,
    trace_id        INTEGER NOT NULL,
    seq             INTEGER NOT NULL,       -- 1-based ordinal in the trace
    ts              INTEGER,
    pid             INTEGER,
    tid             INTEGER,
    process_id      INTEGER,
    class           INTEGER,                -- 1 Process .. 5 Network, 6 Other, 0 unknown
    operation_id    INTEGER,                -- strings.string_id; NULL for an empty text
    path_id         INTEGER,
    result_id       INTEGER,
    detail_id       INTEGER,
    duration        INTEGER,
    category_id     INTEGER,
    stack_id        INTEGER,
    creation_id     INTEGER,
    stage           INTEGER
);

-- every field of a self-describing source record (EVTX: the System values and
-- each <Data Name=...>), for events whose reader supplies them: one row per
-- record, its fields a JSON array of [name, value] pairs in the record's
-- order (value null when empty); the view event_fields has a row per field
CREATE TABLE event_field_sets (
    event_id        INTEGER PRIMARY KEY,
    fields          TEXT NOT NULL
);

CREATE VIEW event_fields AS
SELECT s.event_id, f.value ->> 0 AS name, f.value ->> 1 AS value
FROM event_field_sets s, json_each(s.fields) f;

CREATE VIEW events AS
SELECT e.event_id, e.trace_id, e.seq, e.ts, e.pid, e.tid, e.process_id,
       CASE e.class WHEN 1 THEN 'Process' WHEN 2 THEN 'Registry' WHEN 3 THEN 'File System'
                    WHEN 4 THEN 'Profiling' WHEN 5 THEN 'Network' WHEN 6 THEN 'Other'
                    ELSE 'Unknown' END AS class,
       o.text AS operation, p.text AS path, r.text AS result, d.text AS detail, e.duration,
       c.text AS category, e.stack_id, e.creation_id, e.stage
FROM event_rows e
LEFT JOIN strings o ON o.string_id = e.operation_id
LEFT JOIN strings p ON p.string_id = e.path_id
LEFT JOIN strings r ON r.string_id = e.result_id
LEFT JOIN strings d ON d.string_id = e.detail_id
LEFT JOIN strings c ON c.string_id = e.category_id;

-- A stack lists its frames by id (a JSON array, innermost first); every
-- distinct frame is stored once in frame_values.  The view `frames` gives
-- one row per frame with the documented columns.
CREATE TABLE stacks (
    stack_id        INTEGER PRIMARY KEY,
    hash            INTEGER NOT NULL,
    depth           INTEGER NOT NULL,
    frame_ids       TEXT                    -- JSON array of frame_values.frame_id
);

CREATE TABLE frame_values (
    frame_id        INTEGER PRIMARY KEY,
    address         INTEGER,
    module          TEXT,
    symbol          TEXT,
    offset          INTEGER
);

CREATE VIEW frames AS
SELECT s.stack_id, CAST(j.key AS INTEGER) AS depth, v.address, v.module, v.symbol, v.offset
FROM stacks s, json_each(s.frame_ids) j
JOIN frame_values v ON v.frame_id = j.value;

-- DELETE works on the two views as on tables: an event's row goes; a frame
-- becomes a null in its stack's list (the other frames keep their depth).
CREATE TRIGGER events_delete INSTEAD OF DELETE ON events
BEGIN
    DELETE FROM event_rows WHERE event_id = OLD.event_id;
END;

CREATE TRIGGER frames_delete INSTEAD OF DELETE ON frames
BEGIN
    UPDATE stacks SET frame_ids = json_set(frame_ids, '$[' || OLD.depth || ']', NULL)
    WHERE stack_id = OLD.stack_id;
END;

CREATE TABLE event_kinds (
    trace_id        INTEGER NOT NULL REFERENCES traces(trace_id),
    provider        TEXT NOT NULL,          -- ETW: MSNT_SystemTrace, a manifest provider, a GUID
    operation       TEXT NOT NULL,          -- Process/Start, Image/DCStart, event 144 (opcode 40), ...
    decoded         INTEGER NOT NULL,       -- 1: mapped to the model, 0: kept without details
    count           INTEGER NOT NULL        -- source events of this kind in the trace
);

CREATE TABLE findings (
    finding_id      INTEGER PRIMARY KEY,
    trace_id        INTEGER NOT NULL,
    creation_id     INTEGER,
    event_id        INTEGER,
    rule_id         TEXT NOT NULL,
    title           TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    technique       TEXT,
    evidence        TEXT                    -- JSON object
);

CREATE VIEW v_stage_timing AS
SELECT c.creation_id, c.trace_id, c.parent_pid, c.creator_pid, c.child_pid,
       c.requested_image, c.image_path, c.status, c.create_ts,
       MAX(CASE WHEN s.stage = 1 THEN s.duration / 10000.0 END) AS stage1_ms,
       MAX(CASE WHEN s.stage = 2 THEN s.duration / 10000.0 END) AS stage2_ms,
       MAX(CASE WHEN s.stage = 3 THEN s.duration / 10000.0 END) AS stage3_ms,
       MAX(CASE WHEN s.stage = 4 THEN s.duration / 10000.0 END) AS stage4_ms,
       MAX(CASE WHEN s.stage = 5 THEN s.duration / 10000.0 END) AS stage5_ms,
       MAX(CASE WHEN s.stage = 6 THEN s.duration / 10000.0 END) AS stage6_ms,
       SUM(s.duration) / 10000.0 AS total_ms,
       MAX(CASE WHEN s.stage = 1 THEN upper(substr(s.confidence, 1, 1)) END) ||
       MAX(CASE WHEN s.stage = 2 THEN upper(substr(s.confidence, 1, 1)) END) ||
       MAX(CASE WHEN s.stage = 3 THEN upper(substr(s.confidence, 1, 1)) END) ||
       MAX(CASE WHEN s.stage = 4 THEN upper(substr(s.confidence, 1, 1)) END) ||
       MAX(CASE WHEN s.stage = 5 THEN upper(substr(s.confidence, 1, 1)) END) ||
       MAX(CASE WHEN s.stage = 6 THEN upper(substr(s.confidence, 1, 1)) END) AS confidence
FROM creations c JOIN stages s USING (creation_id)
GROUP BY c.creation_id;

CREATE VIEW v_findings AS
SELECT f.finding_id, f.trace_id, f.severity, f.rule_id, f.title, f.technique,
       f.creation_id, c.requested_image, c.image_path, c.parent_pid, c.child_pid,
       f.event_id, e.ts AS event_ts, e.operation AS event_operation, e.path AS event_path,
       f.evidence
FROM findings f
LEFT JOIN creations c USING (creation_id)
LEFT JOIN events e ON e.event_id = f.event_id;

-- ---- source catalogue (procstage source scan; docs/source.md) ------------
-- Every statement of this part uses IF NOT EXISTS: it is run again on models
-- created before it existed.  @source-catalogue-begin

CREATE TABLE IF NOT EXISTS src_files (
    file_id         INTEGER PRIMARY KEY,
    path            TEXT NOT NULL,          -- as given on the command line (or found below it)
    sha256          TEXT,
    lines           INTEGER,
    size            INTEGER,
    kind            TEXT,                   -- c | excerpt | prose | skipped
    functions       INTEGER NOT NULL DEFAULT 0,
    warning_count   INTEGER NOT NULL DEFAULT 0,
    scanned_by      TEXT                    -- procstage version
);

CREATE TABLE IF NOT EXISTS src_functions (
    function_id     INTEGER PRIMARY KEY,
    file_id         INTEGER NOT NULL REFERENCES src_files(file_id),
    name            TEXT NOT NULL,
    line_start      INTEGER,
    line_end        INTEGER,
    signature       TEXT,
    description     TEXT,                   -- Routine Description / @brief / free text
    stage           INTEGER CHECK (stage BETWEEN 0 AND 6),
    stage_source    TEXT CHECK (stage_source IN ('tag', 'map', 'inferred')),
    kind            TEXT NOT NULL,          -- definition | prototype | excerpt
    return_type     TEXT,
    returns         TEXT,                   -- Return Value / @return
    remarks         TEXT,                   -- Environment, Notes / @remarks
    status          TEXT,                   -- @implemented, @unimplemented ...
    doc_style       TEXT,                   -- wrk | doxygen
    stage_label     TEXT,                   -- from the @stage tag
    stage_attrs     TEXT,                   -- key=value ... from the @stage tag
    note            TEXT                    -- how the name was found, what the scanner repaired
);

CREATE TABLE IF NOT EXISTS src_params (
    function_id     INTEGER NOT NULL REFERENCES src_functions(function_id),
    position        INTEGER NOT NULL,       -- from 0
    name            TEXT,
    type            TEXT,
    direction       TEXT CHECK (direction IN ('in', 'out', 'inout')),  -- NULL: not annotated
    optional        INTEGER NOT NULL DEFAULT 0,
    annotation      TEXT,                   -- as written
    description     TEXT,                   -- from the comment block
    PRIMARY KEY (function_id, position)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS src_calls (
    caller_id       INTEGER NOT NULL REFERENCES src_functions(function_id),
    callee          TEXT NOT NULL,
    line            INTEGER,
    seq             INTEGER NOT NULL,       -- body order, from 0
    stage           INTEGER,                -- from an @stage line tag or region around the call
    PRIMARY KEY (caller_id, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS src_stage_tags (
    file_id         INTEGER NOT NULL,
    function_id     INTEGER,                -- NULL: a region outside functions
    kind            TEXT NOT NULL,          -- function | line | region
    stage           INTEGER NOT NULL,
    label           TEXT,
    attrs           TEXT,
    line_start      INTEGER,
    line_end        INTEGER
);

CREATE TABLE IF NOT EXISTS src_lines (
    file_id         INTEGER NOT NULL,
    function_id     INTEGER,
    line            INTEGER,                -- original line number; NULL: commentary after the last line
    code            TEXT,
    commentary      TEXT                    -- the commentary before the line
);

CREATE TABLE IF NOT EXISTS src_conflicts (
    function_id     INTEGER,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,          -- callers | tag-map
    stages          TEXT NOT NULL,          -- "2,3"
    detail          TEXT
);

CREATE TABLE IF NOT EXISTS stage_map (
    function        TEXT NOT NULL,
    module          TEXT,                   -- NULL: any module
    stage           INTEGER NOT NULL,
    label           TEXT,
    under           TEXT,                   -- comma-separated: counts only under these
    origin          TEXT NOT NULL,          -- map | source
    source          TEXT                    -- the map file
);

CREATE TABLE IF NOT EXISTS stack_stages (
    stack_id        INTEGER PRIMARY KEY,
    stage           INTEGER NOT NULL,       -- of the innermost frame the stage map names
    depth           INTEGER NOT NULL,       -- that frame (0 = innermost)
    module          TEXT,
    function        TEXT,
    resolved_by     TEXT NOT NULL           -- trace (the frame's own symbol) | symbols (--symbols)
);

CREATE VIEW IF NOT EXISTS v_event_frame_stage AS
SELECT e.event_id, e.trace_id, e.seq, e.pid, e.tid, e.operation, e.path, e.creation_id,
       e.stage AS creation_stage, ss.stage AS frame_stage, ss.module AS frame_module,
       ss.function AS frame_function, ss.depth AS frame_depth, ss.resolved_by
FROM events e JOIN stack_stages ss USING (stack_id);

-- @source-catalogue-end
