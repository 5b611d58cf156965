#!/bin/sh
# The case of a trace (traces.case_name, schema version 4): named by
# ingest --case, kept by merge (merge --case names the traces without one),
# shown by report traces, carried by the exports; version 3 models read,
# appended to (upgraded) and merged.
. "$top_srcdir/tests/cli/lib.sh"

cases() { q "$1" "SELECT group_concat(coalesce(case_name, '-'), ',') FROM (SELECT case_name FROM traces ORDER BY trace_id)"; }

run ingest -q --case IR-1 "$FIX/demo.csv" "$FIX/ifeo_hijack.csv" -o "$TMP/a.db"
expect_status 0 "ingest --case"
[ "$(cases "$TMP/a.db")" = "IR-1,IR-1" ]; ok $? "every trace of the run has the case ($(cases "$TMP/a.db"))"
run ingest -q "$FIX/pid_reuse.csv" -o "$TMP/a.db"
[ "$(cases "$TMP/a.db")" = "IR-1,IR-1,-" ]; ok $? "a trace appended without --case has none"
run ingest -q --case "" "$FIX/demo.csv" -o "$TMP/x.db"
expect_status 2 "an empty --case: usage error"
run ingest -q -j 2 --case IR-J "$FIX/demo.csv" "$FIX/ifeo_hijack.csv" "$FIX/pid_reuse.csv" -o "$TMP/j.db"
[ "$(cases "$TMP/j.db")" = "IR-J,IR-J,IR-J" ]; ok $? "ingest -j 2 --case: every part's traces have it"

run report traces "$TMP/a.db"
out_has "; case IR-1" "report traces: the case on the trace's line"
run report traces "$TMP/a.db" --format json
out_has '"case": "IR-1"' "report traces JSON: case"
out_has '"case": null' "report traces JSON: null without one"

# merge: a case kept, --case for the rest
run ingest -q "$FIX/missing_stages.csv" -o "$TMP/b.db"
run merge "$TMP/a.db" "$TMP/b.db" -o "$TMP/m.db" --case IR-2
expect_status 0 "merge --case"
[ "$(cases "$TMP/m.db")" = "IR-1,IR-1,IR-2,IR-2" ]; ok $? "merge --case names only the traces without one ($(cases "$TMP/m.db"))"
run merge "$TMP/a.db" -o "$TMP/m2.db"
[ "$(cases "$TMP/m2.db")" = "IR-1,IR-1,-" ]; ok $? "merge without --case keeps the cases as they are"

# exports
run export --elastic "$TMP/m.db"
[ "$(grep -c '"case":"IR-1"' "$TMP/out")" -gt 0 ] && [ "$(grep -c '"case":"IR-2"' "$TMP/out")" -gt 0 ]
ok $? "export --elastic: procstage.case"
run export --timesketch "$TMP/m.db"
[ "$(grep -c '"case":"IR-2"' "$TMP/out")" -gt 0 ]; ok $? "export --timesketch: case"
run export --ddl --clickhouse http://127.0.0.1:1/
out_has "case_name String" "the ClickHouse traces table has case_name"

# a version 3 model (no case_name): read, appended to, merged
cp "$TMP/m2.db" "$TMP/v3.db"
"$PSQ" --rw "$TMP/v3.db" "ALTER TABLE traces DROP COLUMN case_name;
    UPDATE meta SET value = '3' WHERE key = 'schema_version';" >/dev/null
run report traces "$TMP/v3.db" --format json
expect_status 0 "a version 3 model: report traces"
out_has '"case": null' "a version 3 model: no case"
run export --timesketch "$TMP/v3.db"
expect_status 0 "a version 3 model: exported"
run merge "$TMP/v3.db" -o "$TMP/m3.db" --case IR-3
expect_status 0 "a version 3 model: merged"
[ "$(cases "$TMP/m3.db")" = "IR-3,IR-3,IR-3" ]; ok $? "a version 3 model: merged, the case named by --case"
run ingest -q --case IR-4 "$FIX/missing_stages.csv" -o "$TMP/v3.db"
expect_status 0 "a version 3 model: appended to"
[ "$(q "$TMP/v3.db" "SELECT value FROM meta WHERE key = 'schema_version'")" = 4 ]; ok $? "and upgraded to version 4"
[ "$(cases "$TMP/v3.db")" = "-,-,-,IR-4" ]; ok $? "the appended trace has its case, the others none"

finish
