#!/bin/sh
# procstage export --clickhouse against a real clickhouse-server started on
# 127.0.0.1 (tests/cli/chlib.sh; skipped with the reason when none can
# start): the rows of every table equal the model's, two stage-timing
# queries give the model's answers, a second run sends nothing, a trace left
# incomplete by an interrupted run is deleted and sent once, --trace and
# --database select, a password in the URL works and is never shown,
# errors exit 4.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/cli/chlib.sh"
ch_start a
echo "# clickhouse-server $(chq a 'SELECT version()') answered after $CH_STARTED s"

"$PROCSTAGE" -q ingest --host pc1 -o "$TMP/m.db" "$FIX/ifeo_hijack.csv" "$FIX/demo.csv" "$FIX/pid_reuse.csv" \
    "$FIX/etw_rundown.etl" >/dev/null 2>&1
t "a model of four fixtures" test "$(q "$TMP/m.db" "SELECT count(*) FROM traces")" -eq 4

run export --clickhouse "$CH_URL" "$TMP/m.db"
expect_status 0 "export --clickhouse"
out_has "exported 4 traces (0 skipped: already complete in procstage)" "the summary names 4 traces"

# counts: every table, per trace
counts() { # counts DB: per table and trace, the rows in ClickHouse database DB
    for tb in events processes creations stages findings traces; do
        chq a "SELECT '$tb', trace_sha256, count() FROM $1.$tb GROUP BY trace_sha256 ORDER BY trace_sha256"
    done
}
want_counts() { # want_counts [TRACE_ID]: the same from the model
    w=${1:+"WHERE t.trace_id = $1"}
    for tb in events processes creations stages findings traces; do
        case $tb in
        stages) from="stages x JOIN creations c USING (creation_id) JOIN traces t ON t.trace_id = c.trace_id" ;;
        traces) from="traces t" ;;
        *) from="$tb x JOIN traces t USING (trace_id)" ;;
        esac
        q "$TMP/m.db" "SELECT '$tb', t.sha256, count(*) FROM $from $w GROUP BY t.sha256 ORDER BY t.sha256"
    done
}
counts procstage >"$TMP/got"
want_counts >"$TMP/want"
t "rows per table and trace equal the model's ($(wc -l <"$TMP/want") table/trace pairs)" cmp -s "$TMP/got" "$TMP/want"
t "every table has rows" test "$(cut -f1 "$TMP/got" | sort -u | wc -l)" -eq 6
[ "$(q "$TMP/m.db" "SELECT count(*) FROM findings")" -gt 0 ] || ok 1 "the model has findings"

# stage timing: per stage and per creation, in 100 ns ticks
chq a "SELECT stage, name, count(), ifNull(sum(duration), -1), ifNull(max(duration), -1) FROM procstage.stages
       GROUP BY stage, name ORDER BY stage" >"$TMP/got"
q "$TMP/m.db" "SELECT stage, name, count(*), ifnull(sum(duration), -1), ifnull(max(duration), -1) FROM stages
       GROUP BY stage, name ORDER BY stage" >"$TMP/want"
t "stage timing per stage (count, sum, max) equals the model's" cmp -s "$TMP/got" "$TMP/want"
ticks() { # the ClickHouse / SQLite expression for a duration in ms as ticks or -1
    echo "ifNull(toInt64(round($1 * 10000)), -1)"
}
chq a "SELECT host, child_pid, creator_pid, $(ticks stage1_ms), $(ticks stage2_ms), $(ticks stage3_ms),
       $(ticks stage4_ms), $(ticks stage5_ms), $(ticks stage6_ms), $(ticks total_ms), ifNull(confidence, '')
       FROM procstage.creations ORDER BY trace_sha256, creation_id" >"$TMP/got"
sq() { echo "ifnull(CAST(round($1 * 10000) AS INTEGER), -1)"; }
q "$TMP/m.db" "SELECT t.host, v.child_pid, v.creator_pid, $(sq stage1_ms), $(sq stage2_ms), $(sq stage3_ms),
       $(sq stage4_ms), $(sq stage5_ms), $(sq stage6_ms), $(sq total_ms), ifnull(v.confidence, '')
       FROM creations c JOIN traces t USING (trace_id) LEFT JOIN v_stage_timing v USING (creation_id)
       ORDER BY t.sha256, c.creation_id" >"$TMP/want"
t "stage timing per creation (six stages, total, confidence) equals v_stage_timing" cmp -s "$TMP/got" "$TMP/want"
t "... with timed creations" grep -qv '	-1	-1	-1	-1	-1	-1	-1	' "$TMP/want"
chq a "SELECT count() FROM procstage.events WHERE host != 'pc1'" >"$TMP/got"
t "host carried into every row" test "$(cat "$TMP/got")" -eq 0
chq a "SELECT sum(lengthUTF8(ifNull(path, ''))), sum(lengthUTF8(ifNull(detail, ''))) FROM procstage.events" \
    >"$TMP/got"
q "$TMP/m.db" "SELECT sum(length(ifnull(path, ''))), sum(length(ifnull(detail, ''))) FROM events" >"$TMP/want"
t "event texts arrive whole (characters of path and detail)" cmp -s "$TMP/got" "$TMP/want"

# a second run sends nothing
run export --clickhouse "$CH_URL" "$TMP/m.db"
expect_status 0 "export again"
out_has "exported 0 traces (4 skipped: already complete in procstage)" "every trace skipped"
counts procstage >"$TMP/got"
want_counts >"$TMP/want"
t "no row duplicated" cmp -s "$TMP/got" "$TMP/want"

# an interrupted run: trace 2's rows partly there (some twice), no traces row
sha2=$(q "$TMP/m.db" "SELECT sha256 FROM traces WHERE trace_id = 2")
chq a "ALTER TABLE procstage.traces DELETE WHERE trace_sha256 = '$sha2'"
i=0
while [ "$(chq a "SELECT count() FROM system.mutations WHERE is_done = 0")" -ne 0 ] && [ $i -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
chq a "INSERT INTO procstage.events SELECT * FROM procstage.events WHERE trace_sha256 = '$sha2' LIMIT 10"
chq a "INSERT INTO procstage.stages SELECT * FROM procstage.stages WHERE trace_sha256 = '$sha2' LIMIT 3"
t "the interrupted trace has extra rows" test "$(chq a "SELECT count() FROM procstage.events WHERE trace_sha256 = '$sha2'")" -gt \
    "$(q "$TMP/m.db" "SELECT count(*) FROM events WHERE trace_id = 2")"
run export --clickhouse "$CH_URL" "$TMP/m.db"
expect_status 0 "export after an interrupted run"
out_has "exported 1 trace (3 skipped: already complete in procstage)" "the incomplete trace is sent again"
counts procstage >"$TMP/got"
t "its rows are there once" cmp -s "$TMP/got" "$TMP/want"

# --trace and --database
run export --clickhouse "$CH_URL" --database case_b --trace 3 --batch-rows 7 "$TMP/m.db"
expect_status 0 "--trace 3 --database case_b --batch-rows 7"
counts case_b >"$TMP/got"
want_counts 3 >"$TMP/want"
t "case_b holds trace 3 only, every row" cmp -s "$TMP/got" "$TMP/want"
t "batches of 7 rows: trace 3 has more events than one batch" \
    test "$(q "$TMP/m.db" "SELECT count(*) FROM events WHERE trace_id = 3")" -gt 7

# the DDL printed is the DDL used
chq a "SELECT name, engine, sorting_key FROM system.tables WHERE database = 'procstage' ORDER BY name" \
    >"$TMP/got" 2>/dev/null ||
    chq a "SELECT name, engine FROM system.tables WHERE database = 'procstage' ORDER BY name" >"$TMP/got"
t "six MergeTree tables" test "$(grep -c MergeTree "$TMP/got")" -eq 6
"$PROCSTAGE" export --ddl --database ddl_check >"$TMP/ddl.sql"
tr '\n' ' ' <"$TMP/ddl.sql" | tr ';' '\n' | while read -r stmt; do
    [ -n "$stmt" ] && chq a "$stmt"
done
chq a "SELECT name, type FROM system.columns WHERE database = 'procstage' ORDER BY table, name" >"$TMP/c1"
chq a "SELECT name, type FROM system.columns WHERE database = 'ddl_check' ORDER BY table, name" >"$TMP/c2"
t "--ddl creates the same columns as the export" cmp -s "$TMP/c1" "$TMP/c2"

# a user with a password, in the URL; never in messages
host=${CH_URL#http://}
run export --clickhouse "http://analyst:s3cret@$host" --database case_c --trace 1 "$TMP/m.db"
expect_status 0 "user and password in the URL"
t "... its rows arrive" test "$(chq a "SELECT count() FROM case_c.traces")" -eq 1
run export --clickhouse "http://analyst:wrong@$host" --database case_c "$TMP/m.db"
expect_status 4 "a wrong password: exit 4"
err_has "clickhouse at http://analyst:***@$host: HTTP 401" "the message hides the password"
run export --clickhouse "${CH_URL}?user=analyst&password=wrong2" --database case_c "$TMP/m.db"
expect_status 4 "a wrong password= parameter: exit 4"
t "the message hides it" sh -c "! grep -q wrong2 '$TMP/err' && grep -qF 'password=***' '$TMP/err'"

# errors: a server error, an unreachable server
run export --clickhouse "${CH_URL}?user=nobody" "$TMP/m.db"
expect_status 4 "an unknown user: exit 4"
err_has "clickhouse at ${CH_URL}?user=nobody: HTTP" "names the server and the HTTP status"
one_line "one line on stderr"
ch_stop_all
run export --clickhouse "$CH_URL" "$TMP/m.db"
expect_status 4 "a server that does not answer: exit 4"
err_has "clickhouse at $CH_URL:" "names the server"
finish
