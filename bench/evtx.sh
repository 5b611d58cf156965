#!/bin/sh
# bench/evtx.sh - EVTX: the native reader, the whole ingest and libevtx's
# evtxexport, in one run on the same files.
#
#   bench/evtx.sh [BUILD_DIR]
#
# Files (in bench/out, kept between runs):
#   gen-N.evtx   fixtures/evtxgen bulk N (BENCH_EVTX_RECORDS, default
#                500,000): Sysmon records written as Windows writes them,
#                templates defined once per chunk, instances after;
#   real-R.evtx  every chunk of the 268 real logs of ../shared/data/evtx,
#                R times (BENCH_EVTX_REPEAT, default 60; bench/evtxcat).
# On each:
#   readtrace 1t   bench/readtrace -f evtx with PROCSTAGE_THREADS=1 (the
#                  reader alone, one core), best of three;
#   readtrace      the same with a decoding thread per core, best of three;
#   ingest         procstage -q ingest -o DB with the default pack, one run;
#   evtxexport     evtxexport -f xml >/dev/null (Debian's libevtx-utils),
#                  one run; skipped when absent.
# With BENCH_EVTX_MEMORY=1, also the peak RSS of the reader and of the
# ingest on 50,000 and 2,000,000 generated records (memory flat in the
# number of records).  Results go to docs/performance.md by hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
n=${BENCH_EVTX_RECORDS:-500000}
repeat=${BENCH_EVTX_REPEAT:-60}
out="$top/bench/out"
real="$top/../shared/data/evtx"
mkdir -p "$out"
cc -O2 -o "$out/measure" "$top/bench/measure.c"
cc -O2 -o "$out/evtxcat" "$top/bench/evtxcat.c"

gen() {
    [ -f "$out/gen-$1.evtx" ] || "$build/fixtures/evtxgen" bulk "$1" "$out/gen-$1.evtx"
    echo "$out/gen-$1.evtx"
}

# field NAME LINE: the value of NAME=... in measure's line
field() { echo "$2" | sed "s/.*$1=\([0-9.]*\).*/\1/"; }

# best3 CMD...: measure's line of the fastest of three runs (by wall time)
best3() {
    best="" bw=""
    for run in 1 2 3; do
        line=$("$out/measure" "$@" 2>&1 >/dev/null | grep 'wall=' | tail -1)
        w=$(field wall "$line")
        if [ -z "$bw" ] || [ "$(echo "$w < $bw" | bc)" = 1 ]; then bw=$w best=$line; fi
    done
    echo "$best"
}

once() { "$out/measure" "$@" 2>&1 >/dev/null | grep 'wall=' | tail -1; }

report() {   # LABEL RECORDS LINE
    w=$(field wall "$3")
    printf '  %-14s %s  %s records/s (wall)\n' "$1" "$3" "$(echo "$2 / $w" | bc)"
}

bench_file() {
    f=$1
    recs=$("$build/bench/readtrace" -f evtx "$f" 2>/dev/null | sed -n 's/^events: *\([0-9]*\).*/\1/p')
    echo "$(basename "$f"): $(wc -c <"$f") bytes, $recs records"
    report "readtrace 1t" "$recs" "$(PROCSTAGE_THREADS=1 best3 "$build/bench/readtrace" -f evtx "$f")"
    report "readtrace" "$recs" "$(best3 "$build/bench/readtrace" -f evtx "$f")"
    rm -f "$out/evtx-bench.db"
    report "ingest" "$recs" "$(once "$build/procstage" -q ingest -o "$out/evtx-bench.db" "$f")"
    rm -f "$out/evtx-bench.db"
    if command -v evtxexport >/dev/null 2>&1; then
        report "evtxexport" "$recs" "$(once evtxexport -f xml "$f")"
    else
        echo "  evtxexport     skipped: not installed (Debian: libevtx-utils)"
    fi
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
bench_file "$(gen "$n")"
if [ -d "$real" ]; then
    r="$out/real-$repeat.evtx"
    [ -f "$r" ] || find "$real" -name '*.evtx' -print0 | sort -z | xargs -0 "$out/evtxcat" "$r" "$repeat"
    bench_file "$r"
else
    echo "real samples skipped: $real not found"
fi
if [ "${BENCH_EVTX_MEMORY:-0}" = 1 ]; then
    for m in 50000 2000000; do
        f=$(gen $m)
        rt=$(once "$build/bench/readtrace" -f evtx "$f")
        rm -f "$out/evtx-bench.db"
        ig=$(once "$build/procstage" -q ingest -o "$out/evtx-bench.db" "$f")
        rm -f "$out/evtx-bench.db"
        echo "$m records: readtrace maxrss $(field maxrss "$rt") KiB, ingest maxrss $(field maxrss "$ig") KiB"
    done
fi
