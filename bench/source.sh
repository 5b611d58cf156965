#!/bin/sh
# bench/source.sh - source scan speed and memory, and the cost of stack
# attribution at ingest.
#
#   bench/source.sh [BUILD_DIR]
#
# 1. `procstage source scan` of a generated WRK-style file of about 100 MB
#    (BENCH_SRC_FUNCS functions, default 200,000, each with a Routine
#    Description block, IN/OUT parameters and calls), and of a 100 MB file
#    that is mostly one comment per function;
# 2. `procstage ingest` of fixtures/source/stacks.xml repeated
#    BENCH_STACK_COPIES times (default 5,000: 100,000 events with stacks,
#    each copy with its own PIDs), with attribution (default), with
#    --symbols, and with --no-stacks.
# Best of three runs: wall time, CPU time (user + system; the wall time
# suffers when other work shares the machine) and peak RSS; copy the
# tables into docs/performance.md by hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
out="$top/bench/out"
mkdir -p "$out"
cc -O2 -o "$out/measure" "$top/bench/measure.c"
ps="$build/procstage"
funcs=${BENCH_SRC_FUNCS:-200000}
copies=${BENCH_STACK_COPIES:-5000}
command -v bc >/dev/null || { echo "bench: needs bc" >&2; exit 1; }

best() { # label count unit cmd...
    label=$1 count=$2 unit=$3
    shift 3
    b="" brss="" bcpu=""
    for run in 1 2 3; do
        rm -f "$out/s.db"
        line=$("$out/measure" "$@" 2>&1 >/dev/null | tail -1)
        wall=$(echo "$line" | sed 's/.*wall=\([0-9.]*\)s.*/\1/')
        cpu=$(echo "$line" | sed 's/.*user=\([0-9.]*\)s sys=\([0-9.]*\)s.*/\1 + \2/' | bc)
        rss=$(echo "$line" | sed 's/.*maxrss=\([0-9]*\)KiB.*/\1/')
        if [ -z "$b" ] || [ "$(echo "$cpu < $bcpu" | bc)" = 1 ]; then b=$wall; bcpu=$cpu; brss=$rss; fi
    done
    printf '| %s | %s %s | %s s | %s s | %s %s/s | %s MiB |\n' "$label" "$count" "$unit" "$b" "$bcpu" \
        "$(echo "$count / $bcpu" | bc)" "$unit" "$(echo "$brss / 1024" | bc)"
}

f="$out/wrk-$funcs.c"
[ -f "$f" ] || awk -v n="$funcs" 'BEGIN {
    for (i = 0; i < n; i++)
        printf "NTSTATUS\nPspBench%d (\n    IN HANDLE Handle%d,\n    OUT PULONG Result OPTIONAL\n    )\n\n/*++\n\nRoutine Description:\n\n    Generated function %d for the scanner benchmark.\n\nArguments:\n\n    Handle%d - A handle.\n\n--*/\n\n{\n    NTSTATUS Status;\n\n    PAGED_CODE ();\n    Status = ObReferenceObjectByHandle (Handle%d, 0, NULL, KernelMode, NULL, NULL);\n    if (!NT_SUCCESS (Status)) {\n        return Status;\n    }\n    PspBench%d (Handle%d, Result);\n    return STATUS_SUCCESS;\n}\n\n", i, i, i, i, i, (i + 1) % n, i }' >"$f"
mb=$(( $(wc -c <"$f") / 1000000 ))
echo "| input | size | wall | CPU | rate (CPU) | peak RSS |"
echo "|---|---|---|---|---|---|"
best "WRK-style C, $mb MB" "$funcs" functions "$ps" -q source scan "$f" -o "$out/s.db"
g="$out/comments.c"
[ -f "$g" ] || awk 'BEGIN { pad = "x"; while (length(pad) < 50000) pad = pad pad
    for (i = 0; i < 2000; i++) printf "/* %s */\nVOID\nF%d (VOID)\n{\n    G ();\n}\n", pad, i }' >"$g"
best "comment-heavy C, $(( $(wc -c <"$g") / 1000000 )) MB" 2000 functions "$ps" -q source scan "$g" -o "$out/s.db"

x="$out/stacks-$copies.xml"
if [ ! -f "$x" ]; then
    src="$top/fixtures/source/stacks.xml"
    sed -n '1,/<eventlist>/p' "$src" | sed 's/<eventlist>.*/<eventlist>/' >"$x"
    body=$(awk '/<eventlist>/{f=1; sub(/.*<eventlist>/, "")} /<\/eventlist>/{sub(/<\/eventlist>.*/, ""); print; f=0} f' "$src")
    printf '%s\n' "$body" | awk -v n="$copies" '{ l[NR] = $0 } END {
        for (i = 0; i < n; i++) for (k = 1; k <= NR; k++) { s = l[k]
            gsub(/5120/, 20000 + 4 * i, s); gsub(/5448/, 40000 + 4 * i, s); gsub(/5500/, 60000 + 4 * i, s); print s } }' >>"$x"
    echo '</eventlist></procmon>' >>"$x"
fi
ev=$(( copies * 20 ))
echo
echo "| ingest of stacks.xml x $copies | events | wall | CPU | rate (CPU) | peak RSS |"
echo "|---|---|---|---|---|---|"
best "with stack attribution" "$ev" events "$ps" -q ingest "$x" -o "$out/s.db"
best "with --symbols" "$ev" events "$ps" -q ingest --symbols "$top/fixtures/source/stacks.sym" "$x" -o "$out/s.db"
best "--no-stacks" "$ev" events "$ps" -q ingest --no-stacks "$x" -o "$out/s.db"
rm -f "$out/s.db"
