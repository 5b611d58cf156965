#!/bin/sh
# bench/eventxml.sh - event-xml reader speed and memory.
#
#   bench/eventxml.sh [BUILD_DIR]
#
# Builds a large tracerpt XML by repeating the 120 events after the header
# of ../shared/data/etw/tracerpt_sample.xml (BENCH_EVX_EVENTS, default
# 500,000 events), then measures bench/readtrace on it (the reader alone:
# libxml2, the clean-up of the input, ps_evx decoding, the ETW mapping; no
# database), best of three: wall time, CPU, events/s, peak RSS.  Results go
# to docs/performance.md by hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top}
want=${BENCH_EVX_EVENTS:-500000}
src="$top/../shared/data/etw/tracerpt_sample.xml"
out="$top/bench/out"
[ -f "$src" ] || { echo "bench: $src not found" >&2; exit 1; }
mkdir -p "$out"
cc -O2 -o "$out/measure" "$top/bench/measure.c"
f="$out/tracerpt-$want.xml"
if [ ! -f "$f" ]; then
    awk -v want="$want" '
        /^<Event[ >]/ { n++; cur = "" }
        { if (n == 1) head = head $0 "\n"; else if (n > 1) cur = cur $0 "\n" }
        /^<\/Event>/ { if (n > 1) body[nb++] = cur }
        END {
            printf "<Events>\n%s", head
            for (i = 0; i < want; i++) printf "%s", body[i % nb]
            printf "</Events>\n"
        }' "$src" >"$f"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
ev=$("$build/bench/readtrace" -f event-xml "$f" | sed -n 's/^events: *\([0-9]*\).*/\1/p')
best_wall=""
for run in 1 2 3; do
    line=$("$out/measure" "$build/bench/readtrace" -f event-xml "$f" 2>&1 >/dev/null | grep 'wall=' | tail -1)
    wall=$(echo "$line" | sed 's/.*wall=\([0-9.]*\)s.*/\1/')
    if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc)" = 1 ]; then best_wall=$wall best=$line; fi
done
echo "$(basename "$f"): $(wc -c <"$f") bytes, $ev records; best of 3: $best"
echo "events/s (wall): $(echo "$ev / $best_wall" | bc)"
