#!/bin/sh
# Quadratic and amplifying inputs are refused by their size, not by their
# cost: an XML start tag with 200,000 attributes (both XML readers), a rule
# whose YAML aliases repeat a 60 KB string 4,000 times (one document, and 40
# of them in one file), and compressed PML logs whose header or content
# exceeds the spool limit.  Every run must end with exit 3 and a message
# naming the limit; `timeout` turns a hang (the failure before the limits)
# into a failure instead of a stuck suite.
. "$top_srcdir/tests/cli/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 needed to write the inputs"; exit 77; }
command -v zstd >/dev/null 2>&1 || { echo "1..0 # SKIP zstd needed"; exit 77; }
T="timeout ${HOSTILE_TIMEOUT:-120}"

python3 - "$TMP" <<'PY'
import sys
d = sys.argv[1]
attrs = ''.join(' a%d="1"' % i for i in range(200000))
open(d + '/attrs_pm.xml', 'w').write('<?xml version="1.0"?>\n<procmon><processlist><process' + attrs +
    '><ProcessId>4</ProcessId></process></processlist><eventlist></eventlist></procmon>\n')
open(d + '/attrs_ev.xml', 'w').write('<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"' +
    attrs + '><System><Provider Name="x"/><EventID>1</EventID></System></Event></Events>\n')
# a tag of 100 KB with few attributes
open(d + '/longtag.xml', 'w').write('<Events><Event a="' + 'x' * 100000 + '"><System/></Event></Events>\n')
# 255 attributes and a long value are fine
ok = ''.join(' a%d="1"' % i for i in range(255))
open(d + '/fine.xml', 'w').write('<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"' + ok +
    '><System><Provider Name="x"/><EventID>1</EventID><TimeCreated SystemTime="2024-03-14T09:30:00.0Z"/>'
    '</System></Event></Events>\n')
big = 'A' * 60000
def rule(n):
    b = ['title: amp %d' % n, 'id: 11111111-1111-1111-1111-%012d' % n, 'status: test', 'level: low',
         'logsource:', '  product: windows', '  category: process_creation', 'detection:', '  sel:',
         '    CommandLine|contains:', '      - &s "' + big + '"']
    b += ['      - *s'] * 3999
    b += ['  condition: sel']
    return '\n'.join(b) + '\n'
open(d + '/amp.yml', 'w').write(rule(0))
# 60 rules of 61 uses each (3.6 MB of file): every one below the per-rule bound, the file above its own
def half(n):
    return rule(n).replace('      - *s\n' * 3999, '      - *s\n' * 60)
open(d + '/amp_multi.yml', 'w').write('---\n'.join(half(n) for n in range(60)))
PY

for f in attrs_pm attrs_ev; do
    $T "$PROCSTAGE" ingest "$TMP/$f.xml" -o "$TMP/$f.db" >"$TMP/out" 2>"$TMP/err"
    status=$?
    expect_status 3 "$f: 200,000 attributes in one element are refused"
    grep -q "line [0-9]*: an element with more than 256 attributes" "$TMP/err"; ok $? "$f: naming the limit and the line"
done
$T "$PROCSTAGE" ingest "$TMP/longtag.xml" -o "$TMP/lt.db" >"$TMP/out" 2>"$TMP/err"; status=$?
expect_status 3 "a 100 KB start tag is refused"
grep -q "a start tag longer than 64 KiB" "$TMP/err"; ok $? "naming the limit"
"$PROCSTAGE" ingest "$TMP/fine.xml" -o "$TMP/fine.db" >"$TMP/out" 2>"$TMP/err"; status=$?
expect_status 0 "255 attributes are read"

$T "$PROCSTAGE" rules check --rules "$TMP/amp.yml" >"$TMP/out" 2>"$TMP/err"; status=$?
expect_status 3 "a rule whose aliases come to 240 MB cannot run"
grep -q "more than 4 MiB" "$TMP/out"; ok $? "the reason names the compiled-size limit"
$T "$PROCSTAGE" rules check --no-default-rules --rules "$TMP/amp_multi.yml" >"$TMP/out" 2>"$TMP/err"; status=$?
expect_status 3 "a file of 60 such rules is cut at its own bound"
grep -q "the rules of the file come to more than 16 MiB" "$TMP/out"; ok $? "the reason names the per-file limit"
grep -q "RULES .*: 4 rules can run" "$TMP/out"; ok $? "the rules within the bound still run"

# compressed PML: the header is checked before anything is spooled
hdr="$TMP/hdr.pml"
head -c 936 "$FIX/plain.pml" >"$hdr"
# the string table (offset 0x258) 1 TiB into the log
printf '\000\000\000\000\000\001\000\000' | dd of="$hdr" bs=1 seek=600 conv=notrunc 2>/dev/null
{ cat "$hdr"; head -c 200000000 /dev/zero; } | zstd -q -c >"$TMP/far.pml.zst"
$T "$PROCSTAGE" ingest "$TMP/far.pml.zst" -o "$TMP/far.db" >"$TMP/out" 2>"$TMP/err"; status=$?
expect_status 3 "a PML header placing a table 1 TiB in is refused"
grep -q "its header says the content is more than the spool limit of 8192 MiB" "$TMP/err"; ok $? "before spooling (the header's word)"
# a plausible header, 200 MB of content: stopped at --max-spool
{ head -c 936 "$FIX/plain.pml" | dd bs=1 count=576 2>/dev/null; head -c 360 /dev/zero; head -c 200000000 /dev/zero; } |
    zstd -q -c >"$TMP/long.pml.zst"
$T "$PROCSTAGE" ingest --max-spool 16M "$TMP/long.pml.zst" -o "$TMP/long.db" >"$TMP/out" 2>"$TMP/err"; status=$?
expect_status 3 "200 MB of content with --max-spool 16M is refused"
grep -q "the content is more than the spool limit of 16 MiB (--max-spool)" "$TMP/err"; ok $? "naming the limit"
"$PROCSTAGE" ingest --max-spool 16M "$FIX/plain.pml" -o "$TMP/plain.db" >/dev/null 2>&1; status=$?
expect_status 0 "a plain (mapped) log is not spooled: no limit applies"

finish
