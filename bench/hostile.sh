#!/bin/sh
# bench/hostile.sh - the cost of quadratic and amplifying inputs (docs/reliability.md).
#
#   bench/hostile.sh [PROCSTAGE]
#
# Writes, in bench/out/hostile: an XML start tag with N attributes (both
# XML readers; BENCH_ATTRS, default "200 2000 20000 200000"), a rule repeating a
# 60 KB string through YAML aliases (BENCH_ALIASES, default "60 100 1000 4000"
# uses), a file of 60 rules of 61 uses each, and compressed PML logs whose
# header places a table 1 TiB in or whose content is 2 GB of zeros; then runs
# PROCSTAGE (default: the build's) on each under bench/measure with a
# 300-second timeout and a 4 GiB address-space limit, and prints one line per
# run: the input, the exit status, wall time and peak RSS.  Bounded cost
# means: the same order of time and memory whatever N is, and exit 3
# naming the limit.  Results go to docs/reliability.md by hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ps=${1:-$top/procstage}
out="$top/bench/out/hostile"
mkdir -p "$out"
cc -O2 -o "$top/bench/out/measure" "$top/bench/measure.c"
attrs=${BENCH_ATTRS:-"200 2000 20000 200000"}
aliases=${BENCH_ALIASES:-"60 100 1000 4000"}

python3 - "$out" "$attrs" "$aliases" <<'PY'
import sys
d, attrs, aliases = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
for n in attrs:
    a = ''.join(' a%d="1"' % i for i in range(int(n)))
    open('%s/attrs_pm_%s.xml' % (d, n), 'w').write('<?xml version="1.0"?>\n<procmon><processlist><process' + a +
        '><ProcessId>4</ProcessId></process></processlist><eventlist></eventlist></procmon>\n')
    open('%s/attrs_ev_%s.xml' % (d, n), 'w').write('<Events><Event' + a +
        '><System><Provider Name="x"/><EventID>1</EventID></System></Event></Events>\n')
big = 'A' * 60000
def rule(n, uses):
    b = ['title: amp %d' % n, 'id: 11111111-1111-1111-1111-%012d' % n, 'status: test', 'level: low',
         'logsource:', '  product: windows', '  category: process_creation', 'detection:', '  sel:',
         '    CommandLine|contains:', '      - &s "' + big + '"'] + ['      - *s'] * (uses - 1) + ['  condition: sel']
    return '\n'.join(b) + '\n'
for u in aliases:
    open('%s/amp_%s.yml' % (d, u), 'w').write(rule(0, int(u)))
open('%s/amp_multi.yml' % d, 'w').write('---\n'.join(rule(n, 61) for n in range(60)))
PY
head -c 936 "$top/fixtures/plain.pml" >"$out/hdr.pml"
printf '\000\000\000\000\000\001\000\000' | dd of="$out/hdr.pml" bs=1 seek=600 conv=notrunc 2>/dev/null
{ cat "$out/hdr.pml"; head -c 2000000000 /dev/zero; } | zstd -q -c >"$out/far.pml.zst"
{ head -c 576 "$top/fixtures/plain.pml"; head -c 2000000360 /dev/zero; } | zstd -q -c >"$out/long.pml.zst"

one() {
    name=$1
    shift
    r=$( (ulimit -v 4194304; timeout 300 "$top/bench/out/measure" "$@" >/dev/null 2>"$out/err" || true) 2>&1; tail -1 "$out/err")
    printf '%-34s %s\n' "$name" "$r"
}
for n in $attrs; do
    one "procmon-xml, $n attributes" "$ps" ingest "$out/attrs_pm_$n.xml" -o "$out/x.db"
    one "event-xml, $n attributes" "$ps" ingest "$out/attrs_ev_$n.xml" -o "$out/x.db"
done
for u in $aliases; do
    one "rule, 60 KB x $u uses" "$ps" rules check --no-default-rules --rules "$out/amp_$u.yml"
done
one "rule file, 60 rules x 61 uses" "$ps" rules check --no-default-rules --rules "$out/amp_multi.yml"
one "pml.zst, table at 1 TiB" "$ps" ingest "$out/far.pml.zst" -o "$out/x.db"
if "$ps" ingest --help | grep -q max-spool; then
    one "pml.zst, 2 GB, --max-spool 256M" "$ps" ingest --max-spool 256M "$out/long.pml.zst" -o "$out/x.db"
else
    one "pml.zst, 2 GB (no --max-spool)" "$ps" ingest "$out/long.pml.zst" -o "$out/x.db"
fi
rm -f "$out/x.db"
