#!/bin/sh
# procstage merge: merging the models of two sets of traces gives what
# ingesting both sets into one model gives (every table and view of
# tests/cli/model_dump.sql: all columns, ids included; only the storage ids
# of texts, stacks and frames differ, an event's stack is compared frame by
# frame); traces are de-duplicated by sha256; appending; the source
# catalogue; failures leave the output as it was.
. "$top_srcdir/tests/cli/lib.sh"
DUMP=$(cat "$top_srcdir/tests/cli/model_dump.sql")
dump() { q "$1" "$DUMP"; }
same() { # same DESCRIPTION DB1 DB2
    dump "$2" >"$TMP/d1" 2>&1
    dump "$3" >"$TMP/d2" 2>&1
    if cmp -s "$TMP/d1" "$TMP/d2" && [ -s "$TMP/d1" ]; then ok 0 "$1"; else
        ok 1 "$1"
        diff "$TMP/d1" "$TMP/d2" | head -5 | sed 's/^/#   /'
    fi
}

A="$FIX/demo.csv $FIX/plain.xml $FIX/suspended.pml $FIX/pid_reuse.csv"
B="$FIX/ifeo_hijack.pml $FIX/sysmon_ifeo.evtx $FIX/etw_spoof.etl $FIX/source/stacks.xml $FIX/notid_7col.csv"
# shellcheck disable=SC2086
"$PROCSTAGE" -q ingest $A -o "$TMP/a.db" >/dev/null 2>&1
# shellcheck disable=SC2086
"$PROCSTAGE" -q ingest $B -o "$TMP/b.db" >/dev/null 2>&1
# shellcheck disable=SC2086
"$PROCSTAGE" -q ingest $A $B -o "$TMP/ab.db" >/dev/null 2>&1

run merge "$TMP/a.db" "$TMP/b.db" -o "$TMP/m.db"
expect_status 0 "merge two models"
out_has "merged $TMP/a.db: 4 traces, " "a summary line per model"
[ "$(wc -l <"$TMP/out")" -eq 2 ] && ok 0 "two summary lines" || ok 1 "two summary lines"
same "merge(A, B) is ingest(A + B): every table and view" "$TMP/m.db" "$TMP/ab.db"
[ "$(q "$TMP/m.db" "SELECT count(*) FROM stack_stages")" -gt 0 ]
ok $? "stack attribution rows were carried (and compared through v_event_frame_stage)"
[ "$(q "$TMP/m.db" "SELECT count(*) FROM findings WHERE evidence LIKE '%event_id%'")" -gt 0 ]
ok $? "findings with event ids in their evidence were compared"
[ "$(q "$TMP/m.db" "SELECT count(*) FROM creations WHERE note LIKE '%(set by event %'")" -gt 0 ]
ok $? "a note naming an event id was compared"
# references resolve: nothing points at a row that is not there
[ "$(q "$TMP/m.db" "SELECT (SELECT count(*) FROM event_rows e WHERE e.stack_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM stacks s WHERE s.stack_id = e.stack_id))
     + (SELECT count(*) FROM event_rows e WHERE e.path_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM strings s WHERE s.string_id = e.path_id))
     + (SELECT count(*) FROM stacks s, json_each(s.frame_ids) j WHERE NOT EXISTS (SELECT 1 FROM frame_values f WHERE f.frame_id = j.value))
     + (SELECT count(*) FROM creations c WHERE c.anchor_event_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM event_rows e WHERE e.event_id = c.anchor_event_id))")" = 0 ]
ok $? "every stack, text, frame and anchor event referenced exists"

# ---- de-duplication by content hash ------------------------------------------------
run merge "$TMP/a.db" "$TMP/b.db" -o "$TMP/m.db"
expect_status 0 "merge the same models again"
out_has "merged $TMP/b.db: 0 traces (5 skipped: already in the model), 0 events" "every trace skipped"
same "merging again changes nothing" "$TMP/m.db" "$TMP/ab.db"
strings_before=$(q "$TMP/a.db" "SELECT count(*) FROM strings")
run merge "$TMP/a.db" "$TMP/a.db" "$TMP/b.db" "$TMP/a.db" -o "$TMP/m2.db"
expect_status 0 "a model given twice"
same "merge(A, A, B, A) is merge(A, B)" "$TMP/m2.db" "$TMP/ab.db"
# a model holding the same trace twice (ingested twice) and a model sharing a trace
"$PROCSTAGE" -q ingest --force "$FIX/demo.csv" "$FIX/demo.csv" "$FIX/etw_plain.etl" -o "$TMP/c.db" >/dev/null 2>&1
run merge "$TMP/a.db" "$TMP/c.db" -o "$TMP/m3.db"
expect_status 0 "merge a model that shares a trace"
out_has "merged $TMP/c.db: 1 trace (2 skipped: already in the model)" "the shared trace and the repeat are skipped"
[ "$(q "$TMP/m3.db" "SELECT count(*), count(DISTINCT sha256) FROM traces")" = "5	5" ]
ok $? "five traces, five hashes"
for t in "SELECT seq, ts, pid, tid, class, operation, path, result, detail, duration, category, stage FROM events WHERE trace_id = (SELECT max(trace_id) FROM traces) ORDER BY seq" \
    "SELECT seq, c.status, s.stage, s.duration, s.confidence FROM creations c JOIN stages s USING (creation_id) JOIN events e ON e.event_id = c.anchor_event_id WHERE c.trace_id = (SELECT max(trace_id) FROM traces) ORDER BY seq, s.stage"; do
    [ "$(q "$TMP/m3.db" "$t" | cksum)" = "$(q "$TMP/c.db" "$t" | cksum)" ]
    ok $? "the carried trace reads the same: ${t%% FROM*}"
done
n=$(q "$TMP/m3.db" "SELECT count(*) FROM strings WHERE string_id NOT IN (SELECT operation_id FROM event_rows WHERE operation_id IS NOT NULL
     UNION SELECT path_id FROM event_rows WHERE path_id IS NOT NULL UNION SELECT result_id FROM event_rows WHERE result_id IS NOT NULL
     UNION SELECT detail_id FROM event_rows WHERE detail_id IS NOT NULL UNION SELECT category_id FROM event_rows WHERE category_id IS NOT NULL)")
[ "$n" = 0 ]
ok $? "texts of skipped traces are not carried ($n unused)"
[ "$(q "$TMP/m3.db" "SELECT count(*) FROM strings")" -gt "$strings_before" ]
ok $? "texts of the carried trace are"

# ---- appending ----------------------------------------------------------------------
run merge "$TMP/a.db" -o "$TMP/inc.db"
expect_status 0 "merge into a new model"
run merge "$TMP/b.db" -o "$TMP/inc.db"
expect_status 0 "merge into an existing model"
same "merge(A) then merge(B) into it is ingest(A + B)" "$TMP/inc.db" "$TMP/ab.db"
cp "$TMP/a.db" "$TMP/grow.db"
"$PROCSTAGE" -q ingest "$FIX/etw_plain.etl" -o "$TMP/grow.db" >/dev/null 2>&1
"$PROCSTAGE" -q ingest "$FIX/ifeo_hijack.xml" -o "$TMP/one.db" >/dev/null 2>&1
run merge "$TMP/one.db" -o "$TMP/grow.db"
expect_status 0 "merge into a model built by ingest"
"$PROCSTAGE" -q ingest "$FIX/etw_plain.etl" "$FIX/ifeo_hijack.xml" -o "$TMP/grow2.db" >/dev/null 2>&1
cp "$TMP/a.db" "$TMP/grow3.db"
"$PROCSTAGE" -q ingest "$FIX/etw_plain.etl" "$FIX/ifeo_hijack.xml" -o "$TMP/grow3.db" >/dev/null 2>&1
same "ingest then merge is ingest of both" "$TMP/grow.db" "$TMP/grow3.db"
run ingest "$FIX/plain.csv" -o "$TMP/m.db"
expect_status 0 "a merged model takes further traces"
[ "$(q "$TMP/m.db" "SELECT count(*) FROM traces")" = 10 ] && [ "$(q "$TMP/m.db" "SELECT count(DISTINCT event_id) = count(*) FROM event_rows")" = 1 ]
ok $? "... with ids that stay unique"

# ---- the source catalogue -------------------------------------------------------------
"$PROCSTAGE" -q source scan "$FIX/source/wrk" -o "$TMP/s1.db" >/dev/null 2>&1
"$PROCSTAGE" -q source scan "$FIX/source/reactos" -o "$TMP/s2.db" >/dev/null 2>&1
run merge "$TMP/s1.db" "$TMP/s2.db" "$TMP/s1.db" -o "$TMP/s.db"
expect_status 0 "merge two source catalogues"
out_has "1 source files" "the first catalogue's file"
out_has "0 source files (1 skipped)" "the same file again is skipped"
[ "$(q "$TMP/s.db" "SELECT count(*) FROM src_files")" = "$(($(q "$TMP/s1.db" "SELECT count(*) FROM src_files") + $(q "$TMP/s2.db" "SELECT count(*) FROM src_files")))" ]
ok $? "the files of both, once"
[ "$(q "$TMP/s.db" "SELECT count(*) FROM src_functions")" = "$(($(q "$TMP/s1.db" "SELECT count(*) FROM src_functions") + $(q "$TMP/s2.db" "SELECT count(*) FROM src_functions")))" ]
ok $? "every function of both"
for t in src_params src_calls src_lines src_stage_tags src_conflicts; do
    [ "$(q "$TMP/s.db" "SELECT count(*) FROM $t")" = "$(($(q "$TMP/s1.db" "SELECT count(*) FROM $t") + $(q "$TMP/s2.db" "SELECT count(*) FROM $t")))" ]
    ok $? "every row of $t"
done
[ "$(q "$TMP/s.db" "SELECT count(*) FROM src_params p WHERE NOT EXISTS (SELECT 1 FROM src_functions f WHERE f.function_id = p.function_id)")" = 0 ] &&
[ "$(q "$TMP/s.db" "SELECT count(*) FROM src_functions f WHERE NOT EXISTS (SELECT 1 FROM src_files s WHERE s.file_id = f.file_id)")" = 0 ]
ok $? "parameters and functions keep their function and file"
P="SELECT s.path, f.name, p.position, p.name, p.direction FROM src_params p JOIN src_functions f USING (function_id) JOIN src_files s USING (file_id)"
[ "$(q "$TMP/s.db" "$P" | sort | cksum)" = "$( (q "$TMP/s1.db" "$P"; q "$TMP/s2.db" "$P") | sort | cksum)" ]
ok $? "each file keeps its functions' parameters"
[ "$(q "$TMP/s.db" "SELECT count(*) FROM stage_map")" = "$(q "$TMP/s1.db" "SELECT count(*) FROM stage_map")" ]
ok $? "equal stage maps are one"

# ---- errors -----------------------------------------------------------------------------
run merge "$TMP/a.db"
expect_status 2 "no -o"
err_has "missing -o DB" "says -o is missing"
run merge -o "$TMP/x.db"
expect_status 2 "no model"
run merge "$TMP/nonexistent.db" -o "$TMP/x.db"
expect_status 4 "a model that does not exist"
err_has "cannot open '$TMP/nonexistent.db': no such file" "names it"
[ ! -e "$TMP/x.db" ] && [ -z "$(ls "$TMP" | grep 'x.db.tmp')" ]
ok $? "no output and no temporary file left"
printf 'not a database at all, just text\n' >"$TMP/text.db"
cp "$TMP/inc.db" "$TMP/keep.db"
run merge "$TMP/b.db" "$TMP/text.db" -o "$TMP/keep.db"
expect_status 4 "not a procstage model"
one_line "one line on stderr"
cmp -s "$TMP/keep.db" "$TMP/inc.db"
ok $? "the existing output is untouched after a failure in a later model"
"$PSQ" --rw "$TMP/text2.db" "CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('schema_version', '1')" >/dev/null
run merge "$TMP/text2.db" -o "$TMP/x.db"
expect_status 4 "a version 1 model"
err_has "schema version 1" "says which version"
run merge "$TMP/a.db" -o "$TMP"
expect_status 4 "output is a directory"
finish
