#!/bin/sh
# procstage export --elastic / --timesketch on the fixtures: well-formed
# NDJSON, an action line before every ECS document, the required fields of
# each profile, and record counts equal to the model's (creations, findings,
# processes); document ids stable across a merge.
. "$top_srcdir/tests/cli/lib.sh"
if ! command -v jq >/dev/null 2>&1; then
    echo "1..0 # SKIP jq not installed (./quickstart test installs it)"
    exit 77
fi
"$PROCSTAGE" -q ingest -o "$TMP/m.db" "$FIX/ifeo_hijack.csv" "$FIX/demo.csv" "$FIX/pid_reuse.csv" >/dev/null 2>&1
t "a model of three fixtures" test -s "$TMP/m.db"
ncre=$(q "$TMP/m.db" "SELECT count(*) FROM creations")
nfin=$(q "$TMP/m.db" "SELECT count(*) FROM findings")
npro=$(q "$TMP/m.db" "SELECT count(*) FROM processes")
t "the model has findings" test "$nfin" -gt 0

run export --elastic "$TMP/m.db" -o "$TMP/bulk.ndjson"
expect_status 0 "export --elastic"
err_has "exported $ncre creations, $nfin findings, $npro processes" "the counts on stderr"
t "every line is a JSON object" sh -c "jq -e 'type == \"object\"' '$TMP/bulk.ndjson' >/dev/null"
lines=$(wc -l <"$TMP/bulk.ndjson")
t "one action line and one document per record" test "$lines" -eq $((2 * (ncre + nfin + npro)))
# odd lines: actions; even lines: documents
awk 'NR % 2 == 1' "$TMP/bulk.ndjson" >"$TMP/act"
awk 'NR % 2 == 0' "$TMP/bulk.ndjson" >"$TMP/doc"
t "every odd line is an index action with _index and _id" \
    sh -c "jq -e '(.index._index == \"procstage\") and (.index._id | test(\"^[0-9a-f]{64}:[cfp]:[0-9]+\$\"))' '$TMP/act' | grep -qv true; test \$? -eq 1"
t "document ids are unique" sh -c "test \$(jq -r .index._id '$TMP/act' | sort -u | wc -l) -eq $((lines / 2))"
t "every document has @timestamp, ecs.version, event.kind/category/type/action" \
    sh -c "jq -e '(.\"@timestamp\" | type == \"string\") and .ecs.version and .event.kind and (.event.category | type == \"array\") and (.event.type | type == \"array\") and .event.action' '$TMP/doc' | grep -qv true; test \$? -eq 1"
n=$(jq -r 'select(.event.action == "process-creation") | .process.pid' "$TMP/doc" | wc -l)
t "creations: $n documents" test "$n" -eq "$ncre"
n=$(jq -r 'select(.event.kind == "alert") | [.rule.id, .rule.name, .event.severity] | @tsv' "$TMP/doc" | wc -l)
t "findings: rule.id, rule.name, event.severity" test "$n" -eq "$nfin"
n=$(jq -c 'select(.event.kind == "alert" and .threat.framework == "MITRE ATT&CK" and .threat.technique.id == ["T1546"]) | .threat.technique.subtechnique.id | index("T1546.012")' "$TMP/doc" | grep -c '^[0-9]')
t "findings: ATT&CK ids as threat.technique.id and .subtechnique.id ($n)" \
    test "$n" -eq "$(q "$TMP/m.db" "SELECT count(*) FROM findings WHERE technique LIKE '%T1546.012%'")" -a "$n" -gt 0
n=$(jq -r 'select(.event.action == "process") | .process.pid' "$TMP/doc" | wc -l)
t "processes" test "$n" -eq "$npro"
q "$TMP/m.db" "SELECT child_pid || ' ' || creator_pid || ' ' || image_path || ' ' || printf('%.4f', total_ms) FROM v_stage_timing ORDER BY creation_id" >"$TMP/want"
jq -r 'select(.event.action == "process-creation") | "\(.process.pid) \(.procstage.creator.pid) \(.process.executable) \(.procstage.stages.total_ms)"' "$TMP/doc" >"$TMP/got"
t "creations: pid, creator pid, executable and total stage time equal the model's" cmp -s "$TMP/got" "$TMP/want"
sev=$(jq -r 'select(.event.kind == "alert") | .event.severity' "$TMP/doc" | sort -u | tr '\n' ' ')
t "event.severity is numeric ($sev)" sh -c "jq -e 'select(.event.kind == \"alert\") | .event.severity | type == \"number\"' '$TMP/doc' | grep -qv true; test \$? -eq 1"

run export --timesketch "$TMP/m.db"
expect_status 0 "export --timesketch to stdout"
t "Timesketch: message, datetime, timestamp and timestamp_desc in every line" \
    sh -c "jq -e '(.message | type == \"string\") and (.datetime | type == \"string\") and (.timestamp | type == \"number\") and (.timestamp_desc | type == \"string\")' '$TMP/out' | grep -qv true; test \$? -eq 1"
t "Timesketch: one line per record" test "$(wc -l <"$TMP/out")" -eq $((ncre + nfin + npro))
t "Timesketch: stage timings as fields" sh -c "jq -e 'select(.data_type == \"procstage:creation\") | has(\"stage1_open_image_ms\") and has(\"total_ms\")' '$TMP/out' | grep -q true"

run export --elastic --trace 1 "$TMP/m.db"
expect_status 0 "--trace 1"
n1=$(q "$TMP/m.db" "SELECT (SELECT count(*) FROM creations WHERE trace_id = 1) + (SELECT count(*) FROM findings WHERE trace_id = 1) + (SELECT count(*) FROM processes WHERE trace_id = 1)")
t "--trace 1: only its records" test "$(wc -l <"$TMP/out")" -eq $((2 * n1))

# ids are stable: the same records from a merge of two partial models
"$PROCSTAGE" -q ingest -o "$TMP/b.db" "$FIX/pid_reuse.csv" "$FIX/demo.csv" >/dev/null 2>&1
"$PROCSTAGE" -q ingest -o "$TMP/a.db" "$FIX/ifeo_hijack.csv" >/dev/null 2>&1
"$PROCSTAGE" -q merge "$TMP/b.db" "$TMP/a.db" -o "$TMP/ba.db" >/dev/null 2>&1
"$PROCSTAGE" -q export --elastic "$TMP/ba.db" | awk 'NR % 2 == 1' | sort >"$TMP/ids2"
sort "$TMP/act" >"$TMP/ids1"
t "document ids of merge(B, A) equal those of ingest(A + B)" cmp -s "$TMP/ids1" "$TMP/ids2"

run export "$TMP/m.db"
expect_status 2 "no profile"
run export --elastic --timesketch "$TMP/m.db"
expect_status 2 "two profiles"
run export --clickhouse http://127.0.0.1:1/ -o x "$TMP/m.db"
expect_status 2 "--clickhouse with -o"
run export --elastic "$TMP/none.db"
expect_status 4 "a model that does not exist"
run export --clickhouse http://127.0.0.1:1/ --database 'a;b' "$TMP/m.db"
expect_status 2 "a bad database name"
run export --ddl
expect_status 0 "--ddl"
out_has "ENGINE = MergeTree() ORDER BY (image_name, host, trace_sha256, creation_id)" "--ddl: the creations table"
finish
