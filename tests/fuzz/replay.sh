#!/bin/sh
# Replays every fuzz target over its regression corpus (tests/corpus/TARGET,
# inputs that once crashed or hung a target) and its seeds.  With a normal
# build the targets carry replay.c's main(); with --enable-fuzzing they are
# libFuzzer binaries, which run the files they are given once.
. "$top_srcdir/tests/cli/lib.sh"
. "$top_srcdir/tests/fuzz/seeds.sh"

for t in fuzz_procmon_csv fuzz_procmon_xml fuzz_etw_etl fuzz_procmon_pml fuzz_event_xml fuzz_ingest fuzz_yaml fuzz_zstd \
    fuzz_source fuzz_evtx fuzz_lz77 fuzz_evx fuzz_rules; do
    bin="$top_builddir/tests/fuzz/$t"
    files=$(for s in $(seeds "$t"); do
        if [ -d "$s" ]; then find "$s" -type f ! -name README.md; elif [ -f "$s" ]; then echo "$s"; fi
    done)
    n=$(echo "$files" | grep -c .)
    # shellcheck disable=SC2086
    "$bin" $files >"$TMP/$t.log" 2>&1
    status=$?
    if [ "$status" -eq 0 ] && [ "$n" -gt 0 ]; then ok 0 "$t replays $n inputs"; else
        ok 1 "$t replays $n inputs (exit $status)"
        tail -20 "$TMP/$t.log" | sed 's/^/#   /'
    fi
done
finish
