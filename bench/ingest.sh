#!/bin/sh
# bench/ingest.sh - parse-only and ingest speed and memory.
#
#   bench/ingest.sh [BUILD_DIR]
#
# Generates synthetic traces with fixtures/psgen (BENCH_FORMATS, default
# "pml csv"; BENCH_SIZES, default "50000 1000000" events), then measures, best
# of BENCH_RUNS (3) runs:
#   - parse only (PML): bench/readtrace, the reader alone (every event decoded,
#     Detail text written, stacks resolved), nothing stored;
#   - ingest: `procstage -q ingest TRACE -o DB` (reading, reconstruction,
#     detectors, the SQLite model with its indexes, the atomic rename) and
#     `procstage -q analyze TRACE` (the same into a temporary model, then the
#     report);
# and the same on the real logs of ../shared/data/procmon when present.
# Columns: wall time, CPU time (user + system, both threads), events per
# second of wall time, peak RSS.  Results go to docs/performance.md by hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
sizes=${BENCH_SIZES:-"50000 1000000"}
formats=${BENCH_FORMATS:-"pml csv"}
runs=${BENCH_RUNS:-3}
out="$top/bench/out"
mkdir -p "$out"
cc -O2 -o "$out/measure" "$top/bench/measure.c"
ps="$build/procstage"
gen="$build/fixtures/psgen"
rb="$build/bench/readtrace"
command -v bc >/dev/null || { echo "bench: needs bc" >&2; exit 1; }

# best NAME EVENTS COMMAND...: best wall time of $runs runs
best() {
    name=$1 events=$2
    shift 2
    bw="" bc="" br=""
    for run in $(seq "$runs"); do
        rm -f "$out/b.db"
        line=$("$out/measure" "$@" 2>&1 >/dev/null | tail -1)
        wall=$(echo "$line" | sed 's/.*wall=\([0-9.]*\)s.*/\1/')
        cpu=$(echo "$line" | sed 's/.*user=\([0-9.]*\)s sys=\([0-9.]*\)s.*/\1 + \2/' | bc)
        rss=$(echo "$line" | sed 's/.*maxrss=\([0-9]*\)KiB.*/\1/')
        if [ -z "$bw" ] || [ "$(echo "$wall < $bw" | bc)" = 1 ]; then bw=$wall bc=$cpu br=$rss; fi
    done
    printf '| %s | %s | %s s | %s s | %s | %s MiB |\n' "$name" "$events" "$bw" "$bc" "$(echo "$events / $bw" | bc)" \
        "$(echo "$br / 1024" | bc)"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| run | events | wall (best of $runs) | CPU | events/s | peak RSS |"
echo "|---|---|---|---|---|---|"
for fmt in $formats; do
    for n in $sizes; do
        f="$out/bulk-$n.$fmt"
        [ -f "$f" ] || "$gen" bulk "$fmt" "$n" "$f"
        ev=$("$ps" -q events --columns PID "$f" | tail -n +2 | wc -l)
        if [ "$fmt" = pml ]; then
            best "parse psgen bulk $fmt $n" "$ev" "$rb" "$f"
        fi
        best "ingest psgen bulk $fmt $n" "$ev" "$ps" -q ingest "$f" -o "$out/b.db"
        best "analyze psgen bulk $fmt $n" "$ev" "$ps" -q analyze "$f"
    done
done
data="$top/../shared/data/procmon"
if [ -d "$data" ]; then
    for f in "$data"/*.pml "$data"/*.pml.zst "$data"/win10x64_notepad.csv.zst "$data"/win10_gcc_7col.csv \
        "$data"/procmon401_ru.xml; do
        [ -f "$f" ] || continue
        ev=$("$ps" -q events --columns PID "$f" | tail -n +2 | wc -l)
        case $f in *.pml | *.pml.zst) best "parse $(basename "$f")" "$ev" "$rb" "$f" ;; esac
        best "ingest $(basename "$f")" "$ev" "$ps" -q ingest "$f" -o "$out/b.db"
    done
fi
rm -f "$out/b.db"
