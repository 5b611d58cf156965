#!/bin/sh
# Parallel ingest (-j N, pipeline/build.h): traces ingested at once into
# parts merged in input order give the model one job gives (every table and
# view of tests/cli/model_dump.sql, ids included; only the storage ids of
# texts, stacks and frames differ), the same lines on stdout and stderr
# (warnings replayed in order), the same failure, and the same appends; a
# trace given twice is left out the second time (kept twice with --force),
# whatever the jobs.
. "$top_srcdir/tests/cli/lib.sh"
DUMP=$(cat "$top_srcdir/tests/cli/model_dump.sql")
same() { # same DESCRIPTION DB1 DB2
    q "$2" "$DUMP" >"$TMP/d1" 2>&1
    q "$3" "$DUMP" >"$TMP/d2" 2>&1
    if cmp -s "$TMP/d1" "$TMP/d2" && [ -s "$TMP/d1" ]; then ok 0 "$1"; else
        ok 1 "$1"
        diff "$TMP/d1" "$TMP/d2" | head -5 | sed 's/^/#   /'
    fi
}
same_file() { # same_file DESCRIPTION FILE1 FILE2
    if cmp -s "$2" "$3"; then ok 0 "$1"; else
        ok 1 "$1"
        diff "$2" "$3" | head -5 | sed 's/^/#   /'
    fi
}

# a PML cut short: read with two warnings
head -c 12000 "$FIX/ifeo_hijack.pml" >"$TMP/cut.pml"
SET="$FIX/demo.csv $TMP/cut.pml $FIX/plain.xml $FIX/suspended.pml $FIX/sysmon_ifeo.evtx $FIX/etw_spoof.etl
     $FIX/source/stacks.xml $FIX/pid_reuse.csv $FIX/demo.csv $FIX/exitmonitor.evtx $FIX/etw_rundown.etl"
for j in 1 2 4; do
    # shellcheck disable=SC2086
    run ingest -j $j $SET -o "$TMP/j$j.db"
    expect_status 0 "-j $j ingests the set"
    cp "$TMP/out" "$TMP/out$j"
    cp "$TMP/err" "$TMP/err$j"
done
n=$(q "$TMP/j1.db" "SELECT count(*) FROM traces")
[ "$n" = 10 ]
ok $? "one job: every trace, the one given twice once (got $n)"
grep -q "demo.csv': the same content as '.*demo.csv', given before: not ingested twice (--force does)" "$TMP/err1"
ok $? "the repeat is named in a warning"
[ "$(grep -c 'warning' "$TMP/err1")" -ge 2 ]
ok $? "the cut PML warns"
for j in 2 4; do
    same "-j $j gives the model of -j 1" "$TMP/j1.db" "$TMP/j$j.db"
    same_file "-j $j prints the trace lines of -j 1, in order" "$TMP/out1" "$TMP/out$j"
    same_file "-j $j gives the warnings of -j 1, in order" "$TMP/err1" "$TMP/err$j"
done
[ "$(q "$TMP/j2.db" "SELECT group_concat(trace_id, ',') FROM traces")" = "1,2,3,4,5,6,7,8,9,10" ]
ok $? "trace ids follow the order of the arguments"
# shellcheck disable=SC2086
run ingest -j 2 --force $SET -o "$TMP/jf.db"
[ "$(q "$TMP/jf.db" "SELECT count(*) FROM traces")" = 11 ]
ok $? "--force keeps the repeat"

# appending in parallel
for j in 1 2; do
    cp "$TMP/j1.db" "$TMP/app$j.db"
    run ingest -j $j "$FIX/ifeo_hijack.pml" "$FIX/missing_stages.xml" "$FIX/etw_plain.etl" -o "$TMP/app$j.db"
    expect_status 0 "-j $j appends"
    cp "$TMP/out" "$TMP/aout$j"
done
same "appending with -j 2 gives the model of -j 1" "$TMP/app1.db" "$TMP/app2.db"
same_file "and the same trace numbers" "$TMP/aout1" "$TMP/aout2"
grep -q "^trace #13 .*etw_plain.etl" "$TMP/aout2"
ok $? "the ids printed are the ones stored"

# a trace that cannot be read: the error of one job, nothing written
printf 'Time of Day,Process Name\n"x' >"$TMP/bad.csv"
for j in 1 2; do
    run ingest -j $j "$FIX/demo.csv" "$FIX/plain.xml" "$TMP/bad.csv" "$FIX/pid_reuse.csv" "$FIX/suspended.pml" \
        -o "$TMP/bad$j.db"
    expect_status 3 "-j $j: a bad trace is an input error"
    cp "$TMP/err" "$TMP/berr$j"
    cp "$TMP/out" "$TMP/bout$j"
    [ ! -e "$TMP/bad$j.db" ]
    ok $? "-j $j: no model is written"
done
same_file "the same error with -j 2" "$TMP/berr1" "$TMP/berr2"
same_file "the same lines before it" "$TMP/bout1" "$TMP/bout2"

# analyze (a temporary model) in parallel
# shellcheck disable=SC2086
"$PROCSTAGE" analyze -q -j 1 $SET --format json >"$TMP/an1" 2>/dev/null
# shellcheck disable=SC2086
"$PROCSTAGE" analyze -q -j 2 $SET --format json >"$TMP/an2" 2>/dev/null
[ -s "$TMP/an1" ]
ok $? "analyze -j 1 reports"
same_file "analyze -j 2 reports what -j 1 does" "$TMP/an1" "$TMP/an2"

# a model with a source catalogue: its staged functions feed the attribution
# of every trace, so the traces go in one after the other, with the same result
run source scan "$FIX/source" -o "$TMP/cat1.db"
cp "$TMP/cat1.db" "$TMP/cat2.db"
run ingest -j 1 "$FIX/source/stacks.xml" "$FIX/demo.csv" -o "$TMP/cat1.db"
run ingest -j 2 "$FIX/source/stacks.xml" "$FIX/demo.csv" -o "$TMP/cat2.db"
expect_status 0 "-j 2 into a model with a source catalogue"
same "the catalogue's model: -j 2 is -j 1" "$TMP/cat1.db" "$TMP/cat2.db"

for bad in 0 -1 x 65 2x ''; do
    run ingest -j "$bad" "$FIX/demo.csv" -o "$TMP/u.db"
    expect_status 2 "-j '$bad' is a usage error"
done
err_has "invalid --jobs" "and says so"
finish
