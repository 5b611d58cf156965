#!/bin/sh
# The small ones of the reliability issue, each a check that failed before:
# CSV with CR-only line ends, duplicate YAML keys, a model locked by another
# program, the offset of zstd damage found by the content checksum, numbers
# too large for their option.
. "$top_srcdir/tests/cli/lib.sh"

# CSV with CR-only line ends (old Mac text): the same events as with CRLF
sed 's/\r$//' "$FIX/demo.csv" | tr '\n' '\r' >"$TMP/cr.csv"
"$PROCSTAGE" events "$FIX/demo.csv" --format ndjson >"$TMP/crlf.nd" 2>/dev/null
run events "$TMP/cr.csv" --format ndjson
expect_status 0 "CR-only CSV: read"
n=$(wc -l <"$TMP/crlf.nd")
[ "$n" -gt 100 ] && cmp -s "$TMP/out" "$TMP/crlf.nd"; ok $? "CR-only CSV: the same $n events as the CRLF file"
# a lone CR inside a quoted field stays in the field; CRLF is one line end
printf '"Time of Day","Process Name","PID","Operation","Path","Result","Detail"\r"9:30:00.0000000 AM","a.exe","1","RegOpenKey","HKLM\\x\ry","SUCCESS",""\r' >"$TMP/crq.csv"
run events "$TMP/crq.csv" --format ndjson
[ "$status" -eq 0 ] && [ "$(wc -l <"$TMP/out")" = 1 ] && grep -q 'x\\ry' "$TMP/out"; ok $? "CR-only CSV: a CR in a quoted field is kept in it"

# duplicate keys in a rule: an error naming both lines
mkdir "$TMP/rules"
cat >"$TMP/rules/dup.yml" <<'YML'
title: t
id: dup-test
logsource:
  category: process_creation
detection:
  selection:
    Image|endswith: '\cmd.exe'
  condition: selection
  condition: not selection
level: high
YML
run rules check -r "$TMP/rules"
[ "$status" -ne 0 ]; ok $? "a rule with a duplicate key: refused (exit $status)"
out_has "line 9: duplicate key 'condition' (first at line 8)" "a duplicate key: both lines named"
sed -i '$d' "$TMP/rules/dup.yml"
sed -i '$d' "$TMP/rules/dup.yml"
echo "level: high" >>"$TMP/rules/dup.yml"
run rules check -r "$TMP/rules"
expect_status 0 "the same rule without the duplicate: accepted"

# a model locked by another program: said so, not "not a procstage database"
"$PROCSTAGE" ingest -q "$FIX/demo.csv" -o "$TMP/m.db" || exit 99
if command -v python3 >/dev/null 2>&1; then
    python3 - "$TMP/m.db" "$TMP/locked" <<'PY' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("DELETE FROM meta WHERE 0")
open(sys.argv[2], "w").close()
for _ in range(600):
    if not os.path.exists(sys.argv[2]):
        break
    time.sleep(0.05)
PY
    holder=$!
    k=0
    while [ ! -e "$TMP/locked" ] && [ $k -lt 600 ]; do sleep 0.05; k=$((k + 1)); done
    run report stages "$TMP/m.db"
    expect_status 4 "a locked model: exit 4"
    err_has "locked by another program" "a locked model: the message says so"
    run ingest -q "$FIX/demo.csv" -o "$TMP/m.db"
    expect_status 4 "appending to a locked model: exit 4"
    err_has "locked by another program" "appending to a locked model: the message says so"
    rm -f "$TMP/locked"
    wait "$holder"
    run report stages "$TMP/m.db"
    expect_status 0 "the lock released: the model reads"
else
    echo "# python3 missing: the lock checks are skipped"
fi

# zstd damage found by the frame's checksum: the offset of the frame's end,
# not the frame's start
if command -v zstd >/dev/null 2>&1; then
    zstd -q -c "$FIX/exitmonitor.evtx" >"$TMP/e.evtx.zst"
    size=$(stat -c %s "$TMP/e.evtx.zst")
    # the last byte of the checksum: only the checksum can see it
    printf '\377' | dd of="$TMP/e.evtx.zst" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
    run events "$TMP/e.evtx.zst" --format ndjson
    expect_status 3 "zstd checksum damage: exit 3"
    err_has "checksum of the frame ending near compressed offset $size" "zstd checksum damage: the frame's end ($size)"
fi

# numbers beyond their range are refused, not wrapped
"$PROCSTAGE" ingest -q "$FIX/demo.csv" -o "$TMP/n.db" || exit 99
run report stages "$TMP/n.db" --trace 999999999999999999999
expect_status 2 "--trace beyond 64 bits: exit 2"
run report stages "$TMP/n.db" --trace 9223372036854775807
expect_status 0 "--trace at the largest id: accepted (no such trace)"
run export --elastic "$TMP/x.ndjson" "$TMP/n.db" --trace 999999999999999999999
expect_status 2 "export --trace beyond 64 bits: exit 2"
run ingest -q "$FIX/demo.csv" -o "$TMP/n2.db" --max-spool 99999999999T
expect_status 2 "--max-spool beyond 64 bits: exit 2"
run ingest -q "$FIX/demo.csv" -o "$TMP/n2.db" --max-spool -1
expect_status 2 "--max-spool -1: exit 2"

# a trace already in the model (the same bytes) is not ingested again
# unless --force (issue 16)
run -q ingest "$FIX/demo.csv" -o "$TMP/dup.db"
run ingest "$FIX/demo.csv" -o "$TMP/dup.db"
expect_status 0 "ingesting a trace the model holds is no error"
err_has "demo.csv': the same content as trace #1 (" "the warning names the trace it repeats"
[ "$("$PSQ" "$TMP/dup.db" "SELECT count(*) FROM traces")" = 1 ]
ok $? "and the model keeps one copy"
cp "$FIX/demo.csv" "$TMP/renamed.csv"
run ingest "$TMP/renamed.csv" -o "$TMP/dup.db"
err_has "renamed.csv': the same content as trace #1" "a copy under another name is the same content"
run -q ingest --force "$FIX/demo.csv" -o "$TMP/dup.db"
[ "$("$PSQ" "$TMP/dup.db" "SELECT count(*) FROM traces")" = 2 ]
ok $? "--force ingests it again"
finish
