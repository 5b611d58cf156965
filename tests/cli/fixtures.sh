#!/bin/sh
# The committed fixtures are exactly what fixtures/psgen writes.
. "$top_srcdir/tests/cli/lib.sh"

"$PSGEN" all "$TMP"
ok $? "psgen all"
for f in "$TMP"/*; do
    name=$(basename "$f")
    if cmp -s "$f" "$FIX/$name"; then ok 0 "fixtures/$name is up to date"; else
        ok 1 "fixtures/$name differs from psgen's output: run 'make fixtures'"
    fi
done
n=$(ls "$TMP" | wc -l)
[ "$n" -ge 16 ]
ok $? "psgen wrote every fixture ($n files)"
mkdir "$TMP/evtx" && "$EVTXGEN" all "$TMP/evtx"
ok $? "evtxgen all"
for f in "$TMP"/evtx/*; do
    name=$(basename "$f")
    if cmp -s "$f" "$FIX/$name"; then ok 0 "fixtures/$name is up to date"; else
        ok 1 "fixtures/$name differs from evtxgen's output: run 'make fixtures'"
    fi
done
"$PSGEN" bulk csv 20000 "$TMP/bulk.csv"
lines=$(wc -l <"$TMP/bulk.csv")
[ "$lines" -ge 20000 ] && [ "$lines" -lt 22000 ]
ok $? "bulk writes about the requested number of events ($lines lines)"
run -q ingest "$TMP/bulk.csv" -o "$TMP/bulk.db"
expect_status 0 "the bulk trace ingests"
c=$(q "$TMP/bulk.db" "SELECT count(*) FROM creations WHERE status = 'complete'")
[ "$c" -ge 2 ]
ok $? "its launches are reconstructed ($c)"
finish
