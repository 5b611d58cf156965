#!/bin/sh
# Every report's cost grows with what it shows, not with the events (issue
# 16): the query plan of every statement every report kind runs, in every
# format, on the Debian SQLite (EXPLAIN QUERY PLAN), neither scans nor
# materialises the events (event_rows or the events view), and builds no
# automatic index over them. Before, the HTML timeline's LEFT JOIN to the
# events view materialised all of it once per creation (588 s for 2 M events
# and 200 creations); the statements come from PROCSTAGE_TRACE_SQL.
. "$top_srcdir/tests/cli/lib.sh"

run -q ingest "$FIX/plain.pml" "$FIX/sysmon_ifeo.evtx" "$FIX/detections.evtx" "$FIX/etw_spoof.etl" \
    "$FIX/security_ifeo.evtx" -o "$TMP/m.db"
expect_status 0 "a model of several kinds of trace"
kinds=$("$PROCSTAGE" report --help | sed -n '/^Kinds:/,$p' | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
[ -n "$kinds" ]; ok $? "the report kinds are listed ($(echo $kinds))"
export PROCSTAGE_TRACE_SQL="$TMP/sql"
for k in $kinds; do
    case $k in
    html | perfetto) "$PROCSTAGE" report "$k" "$TMP/m.db" -o "$TMP/out.$k" >/dev/null 2>&1 ;;
    tree) "$PROCSTAGE" report "$k" "$TMP/m.db" >/dev/null 2>&1 ;;
    *) for f in text json csv ndjson; do "$PROCSTAGE" report "$k" --format $f "$TMP/m.db" >/dev/null 2>&1; done ;;
    esac
done
unset PROCSTAGE_TRACE_SQL
sort -u "$TMP/sql" >"$TMP/sqlu"
n=$(grep -c '^SELECT\|^WITH' "$TMP/sqlu")
[ "$n" -gt 20 ]; ok $? "the reports ran $n distinct queries"
"$PSQ" --plans "$TMP/m.db" "$TMP/sqlu" >"$TMP/plans" 2>"$TMP/err"
ok $? "every query has a plan"
grep -E 'MATERIALIZE events|SCAN (e|er|event_rows|events)( |$)|AUTOMATIC.*INDEX.*\b(e|er|event_rows|events)\b|SCAN .*event_rows' "$TMP/plans" >"$TMP/bad"
if [ -s "$TMP/bad" ]; then
    ok 1 "no plan scans or materialises the events"
    while IFS='	' read -r line detail; do
        echo "#   $detail in: $(sed -n "${line}p" "$TMP/sqlu" | cut -c1-160)"
    done <"$TMP/bad"
else
    ok 0 "no plan scans or materialises the events"
fi
finish
