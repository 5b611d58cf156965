#!/bin/sh
# Golden tests: procstage's stdout and exit status for the cases of
# golden.list, compared with tests/golden/NAME.out.
# UPDATE_GOLDEN=1 rewrites the golden files instead.
. "$top_srcdir/tests/cli/lib.sh"

DB="$TMP/golden.db"
(cd "$FIX" && "$PROCSTAGE" -q ingest demo.csv plain.xml -o "$DB") >/dev/null
ok $? "build the model for the report cases"

while IFS='|' read -r name args; do
    name=$(echo "$name" | tr -d ' ')
    case $name in ''|\#*) continue ;; esac
    args=$(echo "$args" | sed "s|\$DB|$DB|g; s|\$TMP|$TMP|g")
    rm -f "$TMP/ingest.db"
    # shellcheck disable=SC2086
    (cd "$FIX" && "$PROCSTAGE" $args >"$TMP/$name.out" 2>"$TMP/$name.err")
    echo "exit: $?" >>"$TMP/$name.out"
    golden="$top_srcdir/tests/golden/$name.out"
    if [ -n "$UPDATE_GOLDEN" ]; then
        cp "$TMP/$name.out" "$golden"
        ok 0 "$name (golden updated)"
    elif diff -u "$golden" "$TMP/$name.out" >"$TMP/$name.diff" 2>&1; then
        ok 0 "$name"
    else
        ok 1 "$name: output differs from tests/golden/$name.out"
        head -30 "$TMP/$name.diff" | sed 's/^/#   /'
    fi
done <"$top_srcdir/tests/cli/golden.list"

# machine-readable outputs are valid
for name in analyze_demo_json analyze_etw_spoof_json report_timing_json report_findings_json report_creations_json \
    report_traces_json formats_json report_stages_json report_processes_json source_report_json; do
    sed '$d' "$top_srcdir/tests/golden/$name.out" >"$TMP/$name.json"
    q --json "$TMP/$name.json"
    ok $? "$name is valid JSON"
done
for name in report_stages_ndjson report_processes_ndjson report_creations_ndjson report_findings_ndjson \
    report_timing_ndjson report_traces_ndjson events_plain32_ndjson events_plain_xml_ndjson; do
    sed '$d' "$top_srcdir/tests/golden/$name.out" >"$TMP/$name.ndjson"
    q --ndjson "$TMP/$name.ndjson"
    ok $? "$name is one JSON object per line"
done
finish
