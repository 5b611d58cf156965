#!/bin/sh
# bench/fleet.sh - a triage collection ingested with -j 1 and -j 2, in one run.
#
#   bench/fleet.sh [BUILD_DIR]
#
# Lays out a collection of two "hosts" of generated traces (fixtures/psgen:
# a PML and a CSV of BENCH_EVENTS events each, default 300000, an ETL of as
# many; fixtures/evtxgen: a Sysmon log of BENCH_EVENTS / 10 records), plus
# every trace of ../shared/data when it is there, and ingests the whole
# folder with `procstage -q ingest -j N FOLDER -o DB` for N = 1 and 2, each
# BENCH_RUNS times (default 3, best kept), with the default rule pack.  It
# prints wall and CPU time, peak RSS and the speed-up of -j 2 over -j 1, and
# checks that both models are the same (tests/cli/model_dump.sql).  Results
# go to docs/performance.md by hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
events=${BENCH_EVENTS:-300000}
runs=${BENCH_RUNS:-3}
out="$top/bench/out"
col="$out/fleet"
mkdir -p "$out"
cc -O2 -o "$out/measure" "$top/bench/measure.c"
if [ ! -s "$col/.done-$events" ]; then
    rm -rf "$col"
    mkdir -p "$col/HOST-A" "$col/HOST-B"
    "$build/fixtures/psgen" bulk pml "$events" "$col/HOST-A/procmon.pml" >/dev/null
    "$build/fixtures/psgen" etl bulk "$events" "$col/HOST-A/kernel.etl" >/dev/null
    "$build/fixtures/psgen" bulk csv "$events" "$col/HOST-B/procmon.csv" >/dev/null
    "$build/fixtures/evtxgen" bulk $((events / 10)) "$col/HOST-B/sysmon.evtx" >/dev/null
    shared="${PROCSTAGE_SHARED:-$top/../shared}/data"
    if [ -d "$shared" ]; then
        mkdir -p "$col/shared"
        for d in procmon etw evtx; do [ -d "$shared/$d" ] && cp -r "$shared/$d" "$col/shared/"; done
    fi
    touch "$col/.done-$events"
fi
echo "collection: $(find "$col" -type f ! -name '.done-*' | wc -l) files, $(du -sh --exclude='.done-*' "$col" | cut -f1)"
printf '%-5s %8s %8s %9s %8s\n' jobs wall_s cpu_s rss_mib speedup
base=
for j in 1 2; do
    best=
    for r in $(seq "$runs"); do
        rm -f "$out/fleet$j.db"
        m=$("$out/measure" "$build/procstage" -q ingest -j "$j" "$col" -o "$out/fleet$j.db" 2>&1 >/dev/null | tail -1)
        w=$(echo "$m" | sed 's/.*wall=\([0-9.]*\)s.*/\1/')
        if [ -z "$best" ] || [ "$(echo "$w < $best" | bc)" = 1 ]; then best=$w; bm=$m; fi
    done
    set -- $(echo "$bm" | sed 's/wall=\([0-9.]*\)s user=\([0-9.]*\)s sys=\([0-9.]*\)s maxrss=\([0-9]*\)KiB.*/\1 \2 \3 \4/')
    [ -n "$base" ] || base=$1
    printf '%-5s %8s %8s %9s %8s\n' "$j" "$1" "$(echo "$2 + $3" | bc)" "$(($4 / 1024))" "$(echo "scale=2; $base / $1" | bc)"
done
dump="$top/tests/cli/model_dump.sql"
if sqlite3 "$out/fleet1.db" <"$dump" >"$out/fleet1.txt" 2>&1 && sqlite3 "$out/fleet2.db" <"$dump" >"$out/fleet2.txt" 2>&1 &&
    cmp -s "$out/fleet1.txt" "$out/fleet2.txt"; then
    echo "models: the same ($(wc -l <"$out/fleet1.txt") rows of the dump)"
else
    echo "bench: the models of -j 1 and -j 2 differ" >&2
    exit 1
fi
