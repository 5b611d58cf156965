-- Structural checks of `procstage report perfetto` against its model, run by
-- the tests with  psq --doc TRACE.json MODEL.db "$(cat perfetto_check.sql)".
-- Each check prints its name and the number of violations (0 expected).
CREATE TEMP TABLE ev (ph TEXT, cat TEXT, name TEXT, pid INTEGER, tid INTEGER, ts REAL, dur REAL,
                      cid INTEGER, stage INTEGER);
INSERT INTO ev
SELECT json_extract(value, '$.ph') AS ph, json_extract(value, '$.cat') AS cat,
       json_extract(value, '$.name') AS name, json_extract(value, '$.pid') AS pid,
       json_extract(value, '$.tid') AS tid, json_extract(value, '$.ts') AS ts,
       json_extract(value, '$.dur') AS dur, json_extract(value, '$.args.creation_id') AS cid,
       json_extract(value, '$.args.stage') AS stage
FROM doc, json_each(doc.d, '$.traceEvents');
CREATE INDEX ev_cid ON ev(cid, stage);
CREATE INDEX ev_track ON ev(pid, tid);
CREATE INDEX ev_meta ON ev(name, pid, tid);
-- a slice for every stage whose two ends are known (six for a complete creation)
SELECT 'slices_per_creation', count(*) FROM creations c
 WHERE (SELECT count(*) FROM stages s WHERE s.creation_id = c.creation_id AND s.start_ts IS NOT NULL
          AND s.end_ts IS NOT NULL AND s.end_ts >= s.start_ts)
    <> (SELECT count(*) FROM ev WHERE ev.cat = 'stage' AND ev.cid = c.creation_id);
-- the stages of a creation in order: a later stage never starts before an earlier one ends
SELECT 'stage_order', count(*) FROM ev a JOIN ev b ON b.cid = a.cid AND b.stage > a.stage
 WHERE a.cat = 'stage' AND b.cat = 'stage' AND b.ts + 0.05 < a.ts + a.dur;
-- microseconds: ts and dur times 10 are the model's 100 ns ticks (ts from the trace's first event)
SELECT 'microseconds', count(*) FROM ev JOIN stages s ON s.creation_id = ev.cid AND s.stage = ev.stage
 JOIN creations c ON c.creation_id = s.creation_id JOIN traces t ON t.trace_id = c.trace_id
 WHERE ev.cat = 'stage' AND (abs(ev.dur * 10 - (s.end_ts - s.start_ts)) > 0.5
                             OR abs(ev.ts * 10 - (s.start_ts - t.first_ts)) > 0.5);
-- no two complete events overlap on one thread track
SELECT 'overlaps', count(*) FROM (SELECT ts, lag(ts + dur) OVER (PARTITION BY pid, tid ORDER BY ts, dur) AS prev_end
                                  FROM ev WHERE ph = 'X') WHERE prev_end > ts + 0.05;
-- stages 1-4 on the creating process, 5-6 on the created one
SELECT 'stage_tracks', count(*) FROM ev JOIN creations c ON c.creation_id = ev.cid
 WHERE ev.cat = 'stage' AND ((ev.stage <= 4 AND c.creator_process_id IS NOT NULL AND ev.pid <> c.creator_process_id)
                             OR (ev.stage >= 5 AND c.child_process_id IS NOT NULL AND ev.pid <> c.child_process_id));
-- every process is a named track, every thread with slices is named
SELECT 'process_names', count(*) FROM processes p
 WHERE NOT EXISTS (SELECT 1 FROM ev WHERE ev.ph = 'M' AND ev.name = 'process_name' AND ev.pid = p.process_id);
SELECT 'thread_names', count(*) FROM (SELECT DISTINCT pid, tid FROM ev WHERE ph = 'X') x
 WHERE NOT EXISTS (SELECT 1 FROM ev WHERE ev.ph = 'M' AND ev.name = 'thread_name' AND ev.pid = x.pid AND ev.tid = x.tid);
-- one instant event per finding
SELECT 'findings', abs((SELECT count(*) FROM findings) - (SELECT count(*) FROM ev WHERE ph = 'i' AND cat = 'finding'));
-- a tid belongs to one process only (Perfetto keys threads by tid)
SELECT 'tids_unique', count(*) FROM (SELECT tid FROM ev WHERE tid IS NOT NULL GROUP BY tid HAVING count(DISTINCT pid) > 1);
-- tids apart from pids (a tid equal to another process's pid would make it that process's main thread)
SELECT 'tids_apart', count(*) FROM (SELECT DISTINCT tid, pid FROM ev WHERE tid IS NOT NULL) x
 WHERE x.tid <> x.pid AND x.tid IN (SELECT pid FROM ev);
