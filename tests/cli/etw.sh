#!/bin/sh
# ETW logs on the command line: psgen's ETL writer, a bulk trace, the
# parent-PID spoof and the IFEO findings, events lost in the report, damaged
# files (a warning and the valid part, or an error and no database).
. "$top_srcdir/tests/cli/lib.sh"

# psgen writes the committed fixtures (fixtures.sh compares them byte by byte)
for s in etw_plain etw_spoof etw_rundown; do
    "$PSGEN" etl "$s" "$TMP/$s.etl"
    cmp -s "$TMP/$s.etl" "$FIX/$s.etl"
    ok $? "psgen etl $s writes fixtures/$s.etl"
done
"$PSGEN" etl nosuch "$TMP/x.etl" 2>"$TMP/err"
[ $? -eq 2 ]
ok $? "an unknown ETL scenario is a usage error"

# a bulk trace, plain and compressed: the same events
"$PSGEN" etl bulk 20000 "$TMP/bulk.etl" 2>/dev/null
ok $? "psgen etl bulk"
"$PSGEN" etl bulk 20000 "$TMP/bulkz.etl" --compress 2>/dev/null
ok $? "psgen etl bulk --compress"
[ "$(wc -c <"$TMP/bulkz.etl")" -lt "$(wc -c <"$TMP/bulk.etl")" ]
ok $? "compression makes it smaller"
run -q ingest "$TMP/bulk.etl" "$TMP/bulkz.etl" -o "$TMP/bulk.db"
expect_status 0 "both ingest"
e1=$(q "$TMP/bulk.db" "SELECT event_count FROM traces WHERE trace_id = 1")
e2=$(q "$TMP/bulk.db" "SELECT event_count FROM traces WHERE trace_id = 2")
[ "$e1" -ge 20000 ] && [ "$e1" = "$e2" ]
ok $? "about 20,000 events, the same in both ($e1, $e2)"
c=$(q "$TMP/bulk.db" "SELECT count(*) FROM creations WHERE status = 'complete' AND trace_id = 2")
[ "$c" -ge 20 ]
ok $? "its launches are reconstructed ($c)"
d=$(q "$TMP/bulk.db" "SELECT count(*) FROM (SELECT ts, pid, tid, operation, path FROM events WHERE trace_id = 1 EXCEPT SELECT ts, pid, tid, operation, path FROM events WHERE trace_id = 2)")
[ "$d" = 0 ]
ok $? "event for event"

# findings and the exit status
run analyze --fail-on high "$FIX/etw_spoof.etl"
expect_status 1 "etw_spoof has high findings"
out_has "ppid-spoofing" "a parent-PID spoof is reported"
out_has "created by updater.exe (4400), not by its recorded parent" "the timing table names the creator"
out_has "creator:   updater.exe (4400), not the recorded parent" "and so does the finding"
run analyze --format json "$FIX/etw_spoof.etl"
grep -qF '"recorded_parent":{"pid":3596,"process":"explorer.exe"' "$TMP/out"
ok $? "the JSON evidence names the recorded parent"

# events lost are shown
run analyze "$FIX/etw_rundown.etl"
expect_status 0 "a rundown-only trace analyses"
out_has "7 events lost: a stage can look missing only because its events were lost" "events lost in the report"
out_has "PROCESS CREATIONS (0)" "no creations"
err_has "the log reports 1 lost buffer" "lost buffers on stderr"

# -v lists the kinds of events not decoded
run -v ingest "$FIX/etw_plain.etl" -o "$TMP/v.db"
err_has "etw_plain.etl: not decoded: 74 MSNT_SystemTrace Thread/opcode 36" "-v names the undecoded kinds with their counts"

# --no-stacks
run -q ingest --no-stacks "$FIX/etw_plain.etl" -o "$TMP/ns.db"
expect_status 0 "--no-stacks ingests"
[ "$(q "$TMP/ns.db" "SELECT count(*) FROM frames")" = 0 ]
ok $? "and stores no frames"

# damage: a buffer chain cut in the middle keeps the buffers before it
head -c 10000 "$FIX/etw_plain.etl" >"$TMP/cut.etl"
run ingest "$TMP/cut.etl" -o "$TMP/cut.db"
expect_status 0 "a cut log ingests"
err_has "cut.etl': buffer at offset 0x2000: size 2048 runs past the end of the file" "with a warning naming the offset"
n=$(q "$TMP/cut.db" "SELECT event_count FROM traces")
[ "$n" -gt 0 ] && [ "$n" -lt 122 ]
ok $? "the events before it kept ($n)"

# a log whose first buffer is broken: an error, one line, no database
{ printf '\0\0\0\0'; tail -c +5 "$FIX/etw_plain.etl"; } >"$TMP/zero.etl"
run ingest --input-format etw-etl "$TMP/zero.etl" -o "$TMP/zero.db"
expect_status 3 "a first buffer of size 0: input error"
err_has "zero.etl': buffer at offset 0x0: impossible size 0" "names the offset"
one_line "one line"
[ ! -e "$TMP/zero.db" ]
ok $? "no database"
finish
