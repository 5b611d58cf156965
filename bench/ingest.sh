#!/bin/sh
# bench/ingest.sh - ingest speed and memory for Procmon CSV exports.
#
#   bench/ingest.sh [BUILD_DIR]
#
# Generates synthetic 27-column CSV traces with fixtures/psgen (50,000 and
# 1,000,000 events by default; BENCH_SIZES overrides), then runs
# `procstage ingest` on each (and on the real exports in ../shared/data when
# present), three times, reporting the best wall time, events per second and
# peak RSS.  Results go to docs/performance.md by hand: copy the table.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
sizes=${BENCH_SIZES:-"50000 1000000"}
out="$top/bench/out"
mkdir -p "$out"
cc -O2 -o "$out/measure" "$top/bench/measure.c"
ps="$build/procstage"
gen="$build/fixtures/psgen"

one() { # name file events
    best=""
    for run in 1 2 3; do
        rm -f "$out/b.db"
        line=$("$out/measure" "$ps" -q ingest "$2" -o "$out/b.db" 2>&1 >/dev/null | tail -1)
        wall=$(echo "$line" | sed 's/.*wall=\([0-9.]*\)s.*/\1/')
        rss=$(echo "$line" | sed 's/.*maxrss=\([0-9]*\)KiB.*/\1/')
        if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc)" = 1 ]; then best=$wall; brss=$rss; fi
    done
    size=$(wc -c <"$2")
    rate=$(echo "$3 / $best" | bc)
    printf '| %s | %s | %s MB | %s s | %s | %s MiB |\n' "$1" "$3" "$(echo "$size / 1000000" | bc)" "$best" "$rate" \
        "$(echo "$brss / 1024" | bc)"
}

command -v bc >/dev/null || { echo "bench: needs bc" >&2; exit 1; }
echo "| trace | events | size | ingest (best of 3) | events/s | peak RSS |"
echo "|---|---|---|---|---|---|"
for n in $sizes; do
    f="$out/bulk-$n.csv"
    [ -f "$f" ] || "$gen" bulk csv "$n" "$f"
    ev=$(( $(wc -l <"$f") - 1 ))
    one "psgen bulk csv $n" "$f" "$ev"
done
data="$top/../shared/data/procmon"
if [ -d "$data" ]; then
    for f in "$data"/win10x64_notepad.csv.zst "$data"/win10_gcc_7col.csv "$data"/procmon401_ru.xml; do
        [ -f "$f" ] || continue
        rm -f "$out/b.db"
        "$ps" -q ingest "$f" -o "$out/b.db" >/dev/null
        ev=$("$build/tests/tools/psq" "$out/b.db" "SELECT event_count FROM traces")
        one "$(basename "$f")" "$f" "$ev"
    done
fi
rm -f "$out/b.db"
