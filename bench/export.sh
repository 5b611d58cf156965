#!/bin/sh
# bench/export.sh - export speed: ClickHouse (rows/s over HTTP) and the
# Elastic / Timesketch files (documents/s), on a large generated model.
#
#   bench/export.sh [BUILD_DIR]
#
# The model: `psgen bulk pml BENCH_EVENTS` (default 1000000: Explorer's
# file and registry activity with a launch every 10,000 events) and `psgen
# procs pml BENCH_PROCS` (default 50000 creations of seven events each),
# ingested once into bench/out/export.db.  Then, best of BENCH_RUNS (3):
#   - `procstage -q export --clickhouse URL --database bench_N DB` into a
#     private clickhouse-server on 127.0.0.1 (tests/cli/chlib.sh; a new
#     database each run, so that every trace is sent), rows = events +
#     processes + creations + stages + findings + traces;
#   - `procstage -q export --elastic -o FILE DB` and `--timesketch`,
#     documents = creations + findings + processes.
# Columns: wall time, CPU time of procstage, rows or documents per second,
# peak RSS of procstage, output size.  Results go to docs/performance.md by
# hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
events=${BENCH_EVENTS:-1000000}
procs=${BENCH_PROCS:-50000}
runs=${BENCH_RUNS:-3}
out="$top/bench/out"
mkdir -p "$out"
cc -O2 -o "$out/measure" "$top/bench/measure.c"
ps="$build/procstage"
gen="$build/fixtures/psgen"
psq="$build/tests/tools/psq"
command -v bc >/dev/null || { echo "bench: needs bc" >&2; exit 1; }

db="$out/export-$events-$procs.db"
if [ ! -s "$db" ]; then
    [ -s "$out/bulk-$events.pml" ] || "$gen" bulk pml "$events" "$out/bulk-$events.pml"
    [ -s "$out/procs$procs.pml" ] || "$gen" procs pml "$procs" "$out/procs$procs.pml"
    "$ps" -q ingest "$out/bulk-$events.pml" "$out/procs$procs.pml" -o "$db"
fi
count() { "$psq" "$db" "SELECT count(*) FROM $1"; }
nev=$(count events) npr=$(count processes) ncr=$(count creations) nst=$(count stages) nfi=$(count findings)
ntr=$(count traces)
rows=$((nev + npr + ncr + nst + nfi + ntr))
docs=$((ncr + nfi + npr))
echo "model: $ntr traces, $nev events, $npr processes, $ncr creations, $nst stages, $nfi findings ($(du -m "$db" | cut -f1) MiB)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/procstage-bench-XXXXXX")
. "$top/tests/cli/chlib.sh"
ch_start bench
echo "clickhouse-server $(chq bench 'SELECT version()') on 127.0.0.1:$CH_HTTP, answered after $CH_STARTED s"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# best NAME COUNT SIZE_FILE COMMAND...: best wall time of $runs runs ($BENCH_RUN
# in a command run by sh -c is the run number)
best() {
    name=$1 n=$2 sizef=$3
    shift 3
    bw="" bc="" br=""
    for run in $(seq "$runs"); do
        line=$(BENCH_RUN=$run "$out/measure" "$@" 2>&1 >/dev/null | tail -1)
        case $line in *status=0*) ;; *) echo "bench: $name failed: $line" >&2; exit 1 ;; esac
        wall=$(echo "$line" | sed 's/.*wall=\([0-9.]*\)s.*/\1/')
        cpu=$(echo "$line" | sed 's/.*user=\([0-9.]*\)s sys=\([0-9.]*\)s.*/\1 + \2/' | bc)
        rss=$(echo "$line" | sed 's/.*maxrss=\([0-9]*\)KiB.*/\1/')
        if [ -z "$bw" ] || [ "$(echo "$wall < $bw" | bc)" = 1 ]; then bw=$wall bc=$cpu br=$rss; fi
    done
    size=-
    [ -n "$sizef" ] && [ -f "$sizef" ] && size="$(du -m "$sizef" | cut -f1) MiB"
    printf '| %s | %s | %s s | %s s | %s | %s MiB | %s |\n' "$name" "$n" "$bw" "$bc" "$(echo "$n / $bw" | bc)" \
        "$(echo "$br / 1024" | bc)" "$size"
}

echo "| export | rows or documents | wall (best of $runs) | CPU (procstage) | per second | peak RSS | output |"
echo "|---|---|---|---|---|---|---|"
export ps CH_URL db
best "clickhouse (6 tables)" "$rows" "" sh -c 'exec "$ps" -q export --clickhouse "$CH_URL" --database "bench_$BENCH_RUN" "$db"'
n=$(chq bench "SELECT count() FROM bench_1.events")
[ "$n" -eq "$nev" ] || { echo "bench: bench_1.events has $n rows, not $nev" >&2; exit 1; }
echo "server data: $(du -sm "$TMP/ch-bench/data" | cut -f1) MiB for $runs copies"
best "elastic _bulk NDJSON" "$docs" "$out/export.ndjson" "$ps" -q export --elastic -o "$out/export.ndjson" "$db"
best "timesketch JSONL" "$docs" "$out/export.jsonl" "$ps" -q export --timesketch -o "$out/export.jsonl" "$db"
rm -f "$out/export.ndjson" "$out/export.jsonl"
