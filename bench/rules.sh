#!/bin/sh
# bench/rules.sh - the rule engine: all SigmaHQ rules of ../shared/data/sigma
# over 100,000 events.
#
#   bench/rules.sh [BUILD_DIR]
#
# 1. bench/rulesbench (make bench/rulesbench): the engine alone, events in
#    memory - the 7,523 records of ../shared/data/evtx repeated to 100,000
#    (their real mix), then only their 903 process creations repeated to
#    100,000 (the worst case: 1,183 process_creation rules apply to each).
# 2. procstage end to end: `procstage ingest` of an EVTX written by
#    fixtures/evtxgen (BENCH_RECORDS records, default 20,000), without
#    rules, with the default pack, and with all SigmaHQ rules (libevtx,
#    parsing, reconstruction, SQLite, findings).
# Wall time and peak RSS from bench/measure (best of three).  Copy the
# numbers into docs/performance.md by hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
out="$top/bench/out"
sigma="$top/../shared/data/sigma/rules/windows"
evtx="$top/../shared/data/evtx"
mkdir -p "$out"
cc -O2 -o "$out/measure" "$top/bench/measure.c"
[ -d "$sigma" ] && [ -d "$evtx" ] || { echo "bench: needs $sigma and $evtx" >&2; exit 1; }
(cd "$build" && make -s bench/rulesbench)

echo "== the engine alone (bench/rulesbench)"
find "$evtx" -name '*.evtx' -print0 | sort -z | xargs -0 "$build/bench/rulesbench" -n 100000 "$sigma"
find "$evtx" -name '*.evtx' -print0 | sort -z | xargs -0 "$build/bench/rulesbench" -n 100000 --creations-only "$sigma"

records=${BENCH_RECORDS:-20000}
echo "== procstage ingest of $records Sysmon records"
f="$out/bulk-$records.evtx"
[ -f "$f" ] || "$build/fixtures/evtxgen" bulk "$records" "$f"
best() { # label args...
    label=$1
    shift
    b=""
    for run in 1 2 3; do
        rm -f "$out/r.db"
        line=$("$out/measure" "$build/procstage" -q ingest "$@" -o "$out/r.db" 2>&1 >/dev/null | tail -1)
        wall=$(echo "$line" | sed 's/.*user=\([0-9.]*\)s.*/\1/')
        rss=$(echo "$line" | sed 's/.*maxrss=\([0-9]*\)KiB.*/\1/')
        if [ -z "$b" ] || [ "$(echo "$wall < $b" | bc)" = 1 ]; then b=$wall; brss=$rss; fi
    done
    printf '| %s | %s s | %s MiB |\n' "$label" "$b" "$(echo "$brss / 1024" | bc)"
}
echo "| run | ingest, user CPU (best of 3) | peak RSS (includes the mapped file) |"
echo "|---|---|---|"
best "no rules" --no-default-rules "$f"
best "default pack" "$f"
best "SigmaHQ (1,565 rules) + default pack" --rules "$sigma" "$f"
rm -f "$out/r.db"
