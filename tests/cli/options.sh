#!/bin/sh
# Command line: help, version, exit statuses, stdin, compression, colour,
# appending, report/analyze agreement.
. "$top_srcdir/tests/cli/lib.sh"

run --help
expect_status 0 "--help exits 0"
out_has "Usage: procstage" "--help on stdout"
[ ! -s "$TMP/err" ]
ok $? "--help writes nothing on stderr"
run --version
expect_status 0 "--version exits 0"
out_has "procstage 0.1" "--version on stdout"
for cmd in analyze ingest report formats events; do
    run "$cmd" --help
    expect_status 0 "$cmd --help exits 0"
    out_has "Usage: procstage $cmd" "$cmd --help on stdout"
    run help "$cmd"
    out_has "Usage: procstage $cmd" "help $cmd"
done
run
expect_status 2 "no command: usage error"
run frobnicate
expect_status 2 "unknown command: usage error"
err_has "unknown command 'frobnicate'" "names it"
run analyze --bogus "$FIX/demo.csv"
expect_status 2 "unknown option: usage error"
err_has "unknown option '--bogus'" "names it"
run analyze
expect_status 2 "no trace: usage error"
run ingest "$FIX/demo.csv"
expect_status 2 "ingest without -o: usage error"
run analyze --format xml "$FIX/demo.csv"
expect_status 2 "bad --format: usage error"
run analyze --fail-on extreme "$FIX/demo.csv"
expect_status 2 "bad --fail-on: usage error"
run report nonsense "$FIX/demo.csv"
expect_status 2 "unknown report: usage error"
run analyze "$FIX/demo.csv" -o
expect_status 2 "missing option argument: usage error"
err_has "needs an argument" "says so"
run events
expect_status 2 "events without a trace: usage error"
run events "$FIX/plain.pml" "$FIX/plain.csv"
expect_status 2 "events takes one trace"
run events --format xml "$FIX/plain.pml"
expect_status 2 "events: bad --format"
run events --columns "Time of Day,Colour" "$FIX/plain.pml"
expect_status 2 "events: an unknown column"
err_has "--columns takes" "says what --columns takes"
run events --columns all --input-format procmon-pml "$FIX/plain.pml"
expect_status 0 "events --columns all"
[ "$(head -1 "$TMP/out" | tr ',' '\n' | wc -l)" -eq 27 ]
ok $? "all: Procmon's 27 export columns"
run events --no-stacks --columns Stack "$FIX/plain.pml"
[ "$(grep -c 'ntdll' "$TMP/out")" -eq 0 ]
ok $? "events --no-stacks: no frames"
run events --input-format procmon-csv "$FIX/plain.pml"
expect_status 3 "a PML read as CSV: input error"

# exit statuses for findings
run analyze --fail-on high "$FIX/demo.csv"
expect_status 1 "--fail-on high with critical findings exits 1"
run analyze --fail-on critical "$FIX/plain.csv"
expect_status 0 "no finding: exit 0"

# standard input, options after the trace
"$PROCSTAGE" analyze - <"$FIX/demo.csv" >"$TMP/stdin.out" 2>&1
ok $? "trace from standard input"
grep -q "ifeo-debugger-hijack" "$TMP/stdin.out"
ok $? "same findings from stdin"
run analyze "$FIX/demo.csv" -o "$TMP/a.db" --format json
expect_status 0 "options after the trace"
[ -s "$TMP/a.db" ]
ok $? "-o keeps the model"

# compression by content, not by name
if command -v zstd >/dev/null 2>&1; then
    zstd -q -c "$FIX/demo.csv" >"$TMP/compressed.bin"
    run analyze "$TMP/compressed.bin"
    expect_status 0 "zstd input with no .zst name"
    out_has "ifeo-debugger-hijack" "decompressed and analysed"
else
    echo "# zstd CLI not installed: compression case skipped"
fi
cp "$FIX/plain.xml" "$TMP/trace.csv"
run analyze "$TMP/trace.csv"
expect_status 0 "an XML named .csv is read as XML"
out_has "procmon-xml" "format detected by content"
run analyze --input-format procmon-xml "$FIX/plain.csv"
expect_status 3 "forcing the wrong format is an input error"

# colour
run --color=always analyze "$FIX/demo.csv"
grep -q "$(printf '\033')\[" "$TMP/out"
ok $? "--color=always colours"
NO_COLOR=1 "$PROCSTAGE" analyze "$FIX/demo.csv" >"$TMP/nc.out"
grep -q "$(printf '\033')" "$TMP/nc.out"
ok $((1 - $?)) "NO_COLOR and a pipe: no escape sequences"
run --color=sometimes formats
expect_status 2 "bad --color: usage error"

# appending and the report commands agree with analyze
run -q ingest "$FIX/demo.csv" -o "$TMP/m.db"
run -q ingest "$FIX/plain.csv" -o "$TMP/m.db"
expect_status 0 "append a second trace"
[ "$(q "$TMP/m.db" "SELECT count(*) FROM traces")" = 2 ]
ok $? "two traces"
[ "$(q "$TMP/m.db" "SELECT count(DISTINCT creation_id) FROM creations")" = 5 ]
ok $? "creations of both traces (4 + 1)"
[ "$(q "$TMP/m.db" "SELECT count(*) FROM stages")" = 30 ]
ok $? "six stage rows each"
[ "$(q "$TMP/m.db" "SELECT count(*) FROM events WHERE trace_id = 2")" = "$(q "$TMP/m.db" "SELECT event_count FROM traces WHERE trace_id = 2")" ]
ok $? "every event of the second trace is stored"
"$PROCSTAGE" analyze "$FIX/demo.csv" | sed -n '/^PROCESS CREATIONS/,$p' >"$TMP/an.txt"
{ "$PROCSTAGE" report timing "$TMP/a.db"; "$PROCSTAGE" report findings "$TMP/a.db"; } >"$TMP/rep.txt"
cmp -s "$TMP/an.txt" "$TMP/rep.txt"
ok $? "report timing + findings on the kept model equals analyze's output"
run -q analyze "$FIX/demo.csv"
out_has "FINDINGS (3)" "-q keeps the data on stdout"
[ ! -s "$TMP/err" ]
ok $? "-q: nothing on stderr"

# the model's views
[ "$(q "$TMP/a.db" "SELECT count(*) FROM v_stage_timing")" = 4 ]
ok $? "v_stage_timing has one row per creation"
[ "$(q "$TMP/a.db" "SELECT confidence FROM v_stage_timing WHERE requested_image LIKE '%sethc.exe'")" = "OOOIII" ]
ok $? "v_stage_timing confidence marks"
[ "$(q "$TMP/a.db" "SELECT count(*) FROM v_findings WHERE severity = 'critical'")" = 3 ]
ok $? "v_findings"
# commands describe themselves: help, global options anywhere, suggestions
run help help
expect_status 0 "help help"
out_has "Usage: procstage help [COMMAND [SUBCOMMAND]]" "help help shows the help command's usage"
run help version
out_has "Usage: procstage version" "help version"
run help source scan
out_has "Usage: procstage source scan PATH... -o DB" "help of a subcommand"
run analyse "$FIX/demo.csv"
expect_status 2 "a mistyped command is a usage error"
err_has "did you mean 'analyze'?" "with a suggestion"
run analyze "$FIX/demo.csv" -q
expect_status 0 "-q after the command"
[ ! -s "$TMP/err" ]
ok $? "-q after the command silences stderr"
run analyze "$FIX/demo.csv" --color=sometimes
expect_status 2 "a bad global option after the command is a usage error"
for c in analyze ingest events rules; do
    "$PROCSTAGE" $c --help >"$TMP/h.txt"
    n=0
    for r in $("$PROCSTAGE" formats --format json | sed -n 's/^ *"name": "\(.*\)",$/\1/p'); do
        grep -q "$r" "$TMP/h.txt" || n=$((n + 1))
    done
    [ "$n" = 0 ]
    ok $? "$c --help lists every reader"
done
run ingest --format procmon-csv "$FIX/demo.csv" -o "$TMP/alias.db"
expect_status 0 "ingest --format still reads as --input-format"
err_has "ingest --format is now --input-format" "with a warning"
run -q ingest -r "$top_srcdir/rules/hollowing.yml" --input-format procmon-csv "$FIX/demo.csv" -o "$TMP/r.db"
expect_status 0 "ingest takes -r like rules"
finish
