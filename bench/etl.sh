#!/bin/sh
# bench/etl.sh - ETW reader speed and memory.
#
#   bench/etl.sh [BUILD_DIR]
#
# Generates synthetic kernel traces with `psgen etl bulk` (500,000 and
# 5,000,000 events by default, BENCH_ETL_SIZES overrides), plain and
# compressed, then
#   - parse only: bench/readtrace (the etw-etl reader alone: buffers,
#     decompression, the merge of the processors' streams, decoding and
#     mapping to the event model; no database), best of three;
#   - full ingest: `procstage -q ingest` of the smallest trace (SQLite and
#     the reconstruction included), best of three;
# and the same for the real logs in ../shared/data/etw when present.
# Reports wall time, CPU time (user + system), events per second of both,
# and peak RSS.  Results go to docs/performance.md by hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
sizes=${BENCH_ETL_SIZES:-"500000 5000000"}
out="$top/bench/out"
mkdir -p "$out"
cc -O2 -o "$out/measure" "$top/bench/measure.c"
command -v bc >/dev/null || { echo "bench: needs bc" >&2; exit 1; }

# best NAME EVENTS FILE COMMAND...: best of three by wall time
best() {
    name=$1 events=$2 file=$3
    shift 3
    bw="" bc_="" brss=""
    for run in 1 2 3; do
        rm -f "$out/b.db"
        line=$("$out/measure" "$@" 2>&1 >/dev/null | grep 'wall=' | tail -1)
        wall=$(echo "$line" | sed 's/.*wall=\([0-9.]*\)s.*/\1/')
        user=$(echo "$line" | sed 's/.*user=\([0-9.]*\)s.*/\1/')
        sys=$(echo "$line" | sed 's/.*sys=\([0-9.]*\)s.*/\1/')
        rss=$(echo "$line" | sed 's/.*maxrss=\([0-9]*\)KiB.*/\1/')
        if [ -z "$bw" ] || [ "$(echo "$wall < $bw" | bc)" = 1 ]; then
            bw=$wall bc_=$(echo "$user + $sys" | bc) brss=$rss
        fi
    done
    size=$(wc -c <"$file")
    printf '| %s | %s | %s MB | %s s | %s s | %s | %s | %s MiB |\n' "$name" "$events" \
        "$(echo "scale=1; $size / 1000000" | bc)" "$bw" "$bc_" "$(echo "$events / $bw" | bc)" \
        "$(echo "$events / $bc_" | bc)" "$(echo "$brss / 1024" | bc)"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| trace | events | size | wall (best of 3) | CPU | events/s (wall) | events/s (CPU) | peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
for n in $sizes; do
    for z in plain compressed; do
        f="$out/etl-$n-$z.etl"
        if [ ! -f "$f" ]; then
            if [ "$z" = compressed ]; then
                "$build/fixtures/psgen" etl bulk "$n" "$f" --compress 2>/dev/null
            else
                "$build/fixtures/psgen" etl bulk "$n" "$f" 2>/dev/null
            fi
        fi
        ev=$("$build/bench/readtrace" "$f" | sed -n 's/^events: *\([0-9]*\).*/\1/p')
        best "parse: psgen etl bulk $n, $z" "$ev" "$f" "$build/bench/readtrace" "$f"
    done
done
n=$(echo "$sizes" | tr ' ' '\n' | sort -n | head -1)
f="$out/etl-$n-compressed.etl"
ev=$("$build/bench/readtrace" "$f" | sed -n 's/^events: *\([0-9]*\).*/\1/p')
best "ingest: psgen etl bulk $n, compressed" "$ev" "$f" "$build/procstage" -q ingest "$f" -o "$out/b.db"
data="$top/../shared/data/etw"
if [ -d "$data" ]; then
    for f in "$data"/net452_x64.etl.zst "$data"/shutdown_perfdiag.etl.zst; do
        [ -f "$f" ] || continue
        ev=$("$build/bench/readtrace" "$f" | sed -n 's/^events: *\([0-9]*\).*/\1/p')
        best "parse: $(basename "$f") (real)" "$ev" "$f" "$build/bench/readtrace" "$f"
        best "ingest: $(basename "$f") (real)" "$ev" "$f" "$build/procstage" -q ingest "$f" -o "$out/b.db"
    done
fi
rm -f "$out/b.db"
