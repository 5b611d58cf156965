#!/bin/sh
# bench/processes.sh - ingest cost against the number of processes.
#
#   bench/processes.sh [BUILD_DIR]
#
# Generates traces of N process creations (fixtures/psgen procs: a service
# host starting N children of seven events each, every second child exiting,
# the others living on, no PID reused) for BENCH_PROCS (default "25000 100000
# 250000 1000000") in BENCH_FORMAT (pml or csv, default pml), ingests each
# once with `procstage -q ingest TRACE -o DB` and prints wall time, peak RSS
# and microseconds per process; the last column is the cost per process
# relative to the smallest size (1.00 = linear).  Results go to
# docs/performance.md by hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
sizes=${BENCH_PROCS:-"25000 100000 250000 1000000"}
fmt=${BENCH_FORMAT:-pml}
out="$top/bench/out"
mkdir -p "$out"
cc -O2 -o "$out/measure" "$top/bench/measure.c"
base=
printf '%-9s %10s %10s %12s %8s\n' procs wall_s rss_mib us_per_proc ratio
for n in $sizes; do
    trace="$out/procs$n.$fmt"
    [ -s "$trace" ] || "$build/fixtures/psgen" procs "$fmt" "$n" "$trace"
    rm -f "$out/procs.db"
    # measure prints (stderr): wall=Xs user=Xs sys=Xs maxrss=NKiB status=N
    m=$("$out/measure" "$build/procstage" -q ingest "$trace" -o "$out/procs.db" 2>&1 >/dev/null | tail -1)
    set -- $(echo "$m" | sed 's/wall=\([0-9.]*\)s .*maxrss=\([0-9]*\)KiB.*/\1 x \2/')
    got=$(sqlite3 "$out/procs.db" 'select count(*) from creations' 2>/dev/null || echo "?")
    [ "$got" = "?" ] || [ "$got" -ge "$n" ] || { echo "bench: $trace: $got creations, expected $n" >&2; exit 1; }
    per=$(echo "scale=2; $1 * 1000000 / $n" | bc)
    [ -n "$base" ] || base=$per
    printf '%-9s %10s %10s %12s %8s\n' "$n" "$1" "$(($3 / 1024))" "$per" "$(echo "scale=2; $per / $base" | bc)"
    rm -f "$out/procs.db" "$trace"
done
