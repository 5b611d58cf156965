#!/bin/sh
# Concurrent writers of one model: each holds the model's lock (MODEL.lock)
# from before it reads the model until its copy has replaced it, so two
# appenders started at once both land, and the trace ids they print are the
# ones stored.  --no-wait fails (exit 4) instead of waiting.
. "$top_srcdir/tests/cli/lib.sh"

db="$TMP/m.db"
"$PROCSTAGE" ingest -q "$FIX/demo.csv" -o "$db" >/dev/null 2>&1
rounds=20
i=0
lost=0
while [ $i -lt $rounds ]; do
    "$PROCSTAGE" ingest --force "$FIX/demo.csv" -o "$db" >"$TMP/a.out" 2>"$TMP/a.err" &
    pa=$!
    "$PROCSTAGE" ingest --force "$FIX/ifeo_hijack.csv" -o "$db" >"$TMP/b.out" 2>"$TMP/b.err" &
    pb=$!
    wait $pa; sa=$?
    wait $pb; sb=$?
    [ $sa -le 1 ] && [ $sb -le 1 ] || { lost=1; echo "# round $i: exit $sa and $sb"; }
    i=$((i + 1))
done
ok $lost "$rounds rounds of two concurrent appenders: every one succeeded"
n=$("$PSQ" "$db" "SELECT count(*) FROM traces" 2>/dev/null)
[ "$n" = $((1 + 2 * rounds)) ]; ok $? "every trace is stored ($n of $((1 + 2 * rounds)))"
ids=$("$PSQ" "$db" "SELECT count(DISTINCT trace_id) FROM traces" 2>/dev/null)
[ "$ids" = "$n" ]; ok $? "no trace id twice"
last=$(sed -n 's/^trace #\([0-9]*\) .*/\1/p' "$TMP/a.out" "$TMP/b.out" | sort -n | tr '\n' ' ')
[ "$last" = "$((2 * rounds)) $((2 * rounds + 1)) " ]; ok $? "the last round printed the ids stored ($last)"

# another writer holds the lock (flock(1) on the lock file)
run ingest --force "$FIX/demo.csv" -o "$db"
flock "$db.lock" "$PROCSTAGE" ingest --no-wait --force "$FIX/demo.csv" -o "$db" >"$TMP/out" 2>"$TMP/err"
status=$?
expect_status 4 "--no-wait with the model locked: exit 4"
err_has "another procstage is writing it" "says another procstage is writing the model"
n2=$("$PSQ" "$db" "SELECT count(*) FROM traces" 2>/dev/null)
[ "$n2" = $((n + 1)) ]; ok $? "the model is unchanged"

# without --no-wait it waits, with a note, and goes on once the lock is free
# (the holder releases it only after the note appeared: no timing involved)
flock -o "$db.lock" sh -c '
    "$1" ingest --force "$2" -o "$3" >"$4/w.out" 2>"$4/w.err" &
    echo $! >"$4/w.pid"
    k=0
    while ! grep -q "waiting for another procstage" "$4/w.err" 2>/dev/null && [ $k -lt 600 ]; do sleep 0.1; k=$((k + 1)); done' \
    sh "$PROCSTAGE" "$FIX/demo.csv" "$db" "$TMP"
wait_pid=$(cat "$TMP/w.pid")
while kill -0 "$wait_pid" 2>/dev/null; do sleep 0.1; done
grep -q "waiting for another procstage writing '$db'" "$TMP/w.err"; ok $? "a waiting writer says so on stderr"
n3=$("$PSQ" "$db" "SELECT count(*) FROM traces" 2>/dev/null)
[ "$n3" = $((n2 + 1)) ]; ok $? "and its trace is stored once the lock is free"
grep -q "^trace #$n3 " "$TMP/w.out"; ok $? "with the id it printed"

finish
