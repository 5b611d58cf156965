#!/bin/sh
# The reports people look at: the HTML report, the Perfetto export, the
# process tree and the record exports, on good models and bad ones (empty,
# foreign, damaged, every stage missing, hostile names); output files,
# progress and colour.
. "$top_srcdir/tests/cli/lib.sh"

hc() { "$HTMLCHECK" "$@"; }
# pf_check DB JSON DESC: the Perfetto structural checks of perfetto_check.sql
pf_check() {
    q --json "$2"
    ok $? "$3: valid JSON"
    q --doc "$2" "$1" "$(cat "$top_srcdir/tests/cli/perfetto_check.sql")" >"$TMP/pf.out" 2>&1
    if [ $? -eq 0 ] && [ -s "$TMP/pf.out" ] && ! grep -qv '	0$' "$TMP/pf.out"; then ok 0 "$3: trace structure"; else
        ok 1 "$3: trace structure"
        grep -v '	0$' "$TMP/pf.out" | sed 's/^/#   violations: /'
    fi
}
no_file() { if [ ! -e "$1" ] && ! ls "$(dirname "$1")" | grep -q "$(basename "$1").tmp-"; then ok 0 "$2"; else ok 1 "$2"; fi; }

DB="$TMP/m.db"
(cd "$FIX" && "$PROCSTAGE" -q ingest demo.csv missing_stages.xml -o "$DB") >/dev/null
ok $? "model of demo.csv and missing_stages.xml"
ncre=$(q "$DB" "SELECT count(*) FROM creations")

# ---- HTML ----------------------------------------------------------------------
run report html "$DB" -o "$TMP/r.html"
expect_status 0 "report html -o"
[ ! -s "$TMP/out" ]
ok $? "nothing on stdout with -o"
hc "$TMP/r.html" --rows "$ncre" --text "IFEO Debugger hijack" --text "ifeo-debugger-set" --text "denied.exe" \
    --text "1 open_image" --text "Per image"
ok $? "HTML: well-formed for the HTML and XML parsers, one timeline row per creation ($ncre)"
grep -q "Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-" "$TMP/r.html"
ok $? "a Content-Security-Policy with hashes of the page's own style and script"
urls=$(grep -o 'https\{0,1\}://[^"<> ]*' "$TMP/r.html" | grep -v '^https://attack.mitre.org/techniques/T[0-9]*/')
[ -z "$urls" ]
ok $? "no address but the ATT&CK technique links ($urls)"
grep -q 'href="https://attack.mitre.org/techniques/T1546/012/"' "$TMP/r.html"
ok $? "ATT&CK technique linked"
grep -q 'href="#c4">#4</a>' "$TMP/r.html" && grep -q 'id="c4"' "$TMP/r.html"
ok $? "a finding links to its creation's row"
"$PROCSTAGE" report html "$DB" >"$TMP/stdout.html"
cmp -s "$TMP/stdout.html" "$TMP/r.html"
ok $? "report html on stdout is the same page"
run report html --trace 2 "$DB" -o "$TMP/t2.html"
hc "$TMP/t2.html" --rows "$(q "$DB" "SELECT count(*) FROM creations WHERE trace_id = 2")"
ok $? "--trace 2: only its creations"
run report html -f json "$DB"
expect_status 2 "report html --format: usage error"
run --color=always report html "$DB" -o "$TMP/c.html"
! grep -q "$(printf '\033')" "$TMP/c.html"
ok $? "no escape sequences in HTML even with --color=always"

# ---- Perfetto ----------------------------------------------------------------------
run report perfetto "$DB" -o "$TMP/r.json"
expect_status 0 "report perfetto -o"
pf_check "$DB" "$TMP/r.json" "perfetto of demo + missing_stages"
[ "$(q --doc "$TMP/r.json" "$DB" "SELECT count(*) FROM json_each((SELECT d FROM doc), '\$.traceEvents') WHERE json_extract(value, '\$.cat') = 'stage' AND json_extract(value, '\$.args.creation_id') = 4")" = 6 ]
ok $? "the hijacked creation has its six stage slices"
[ "$(q --doc "$TMP/r.json" "$DB" "SELECT json_extract(value, '\$.args.name') FROM json_each((SELECT d FROM doc), '\$.traceEvents') WHERE json_extract(value, '\$.name') = 'process_name' AND json_extract(value, '\$.pid') = 8")" = "[trace 1] cmd.exe (7344)" ]
ok $? "process tracks are named image (PID)"

# ---- analyze --html --perfetto ---------------------------------------------------
run analyze --html "$TMP/a.html" --perfetto "$TMP/a.json" "$FIX/demo.csv"
expect_status 0 "analyze --html --perfetto"
out_has "FINDINGS (3)" "the text report still goes to stdout"
hc "$TMP/a.html" --rows 4
ok $? "analyze --html: the page, four rows"
q --json "$TMP/a.json"
ok $? "analyze --perfetto: JSON"
run analyze --html "$TMP/no/such/dir/a.html" "$FIX/demo.csv"
expect_status 4 "an unwritable --html file: i/o error"
err_has "cannot create a temporary file next to" "says where"

# ---- output files are replaced atomically ------------------------------------------
echo "older report" >"$TMP/keep.html"
cp "$DB" "$TMP/damaged.db"
q --rw "$TMP/damaged.db" "DROP TABLE stages" >/dev/null
run report html "$TMP/damaged.db" -o "$TMP/keep.html"
expect_status 4 "a damaged model: database error"
err_has "stages" "names what is missing"
[ "$(cat "$TMP/keep.html")" = "older report" ]
ok $? "the older file is untouched"
ls "$TMP" | grep -q 'keep.html.tmp-'
ok $((1 - $?)) "no temporary file is left"
run report perfetto "$TMP/damaged.db" -o "$TMP/none.json"
expect_status 4 "perfetto on a damaged model: database error"
no_file "$TMP/none.json" "no partial trace file"
for kind in tree timing stages; do
    run report "$kind" "$TMP/damaged.db"
    [ "$status" -eq 0 ] || [ "$status" -eq 4 ]
    ok $? "report $kind on a damaged model: output or a database error, no crash (exit $status)"
done

# ---- the tree and the exports ------------------------------------------------------
run report tree -f csv "$DB"
expect_status 2 "report tree --format csv: usage error"
err_has "report processes" "points to the processes export"
run report tree "$DB"
! grep -q "$(printf '\342\224')" "$TMP/out"
ok $? "tree in ASCII when stdout is not a terminal"
out_has "HIJACKED: requested C:\\Windows\\System32\\sethc.exe" "hijacked launch marked"
out_has "denied.exe  #8" "a failed creation under its creator"
run report tree --unicode "$DB"
out_has "$(printf '\342\224\224\342\224\200\342\224\200 ')" "--unicode: box drawing"
for kind in creations stages processes findings timing traces; do
    run report "$kind" -f ndjson "$DB"
    expect_status 0 "report $kind --format ndjson"
    cp "$TMP/out" "$TMP/$kind.ndjson"
    q --ndjson "$TMP/$kind.ndjson" || [ ! -s "$TMP/$kind.ndjson" ]
    ok $? "$kind: every line is a JSON object"
done
[ "$(wc -l <"$TMP/stages.ndjson")" = "$(q "$DB" "SELECT count(*) FROM stages")" ]
ok $? "stages: one line per stage row"
[ "$(wc -l <"$TMP/processes.ndjson")" = "$(q "$DB" "SELECT count(*) FROM processes")" ]
ok $? "processes: one line per process"
run report stages -f csv "$DB"
[ "$(head -1 "$TMP/out")" = "creation_id,trace_id,stage,name,start_ts,end_ts,duration,duration_ms,confidence,start_event_id,end_event_id,evidence,start_time,end_time" ]
ok $? "stages CSV header (docs/model.md)"
[ "$(($(wc -l <"$TMP/out") - 1))" = "$(q "$DB" "SELECT count(*) FROM stages")" ]
ok $? "stages CSV: one row per stage"
run report processes -f csv "$DB"
[ "$(head -1 "$TMP/out")" = "process_id,trace_id,pid,parent_pid,parent_process_id,process_name,image_path,command_line,current_dir,start_ts,end_ts,exit_status,user,integrity,session,is64,company,version,description,source,creation_id,start_time,end_time" ]
ok $? "processes CSV header (docs/model.md)"
run report processes -f json "$DB"
cp "$TMP/out" "$TMP/p.json"
q --json "$TMP/p.json"
ok $? "processes JSON"

# ---- bad models ----------------------------------------------------------------------
# an empty model: the schema, no trace
cp "$DB" "$TMP/empty.db"
q --rw "$TMP/empty.db" "DELETE FROM findings; DELETE FROM events; DELETE FROM stages; DELETE FROM boundaries;
    DELETE FROM creations; DELETE FROM modules; DELETE FROM processes; DELETE FROM frames; DELETE FROM stacks;
    DELETE FROM traces" >/dev/null
for kind in timing findings creations traces stages processes tree; do
    run report "$kind" "$TMP/empty.db"
    expect_status 0 "empty model: report $kind"
done
run report html "$TMP/empty.db" -o "$TMP/empty.html"
expect_status 0 "empty model: report html"
hc "$TMP/empty.html" --rows 0 --text "The database holds no trace." --text "No findings."
ok $? "empty model: a valid page that says so"
run report perfetto "$TMP/empty.db" -o "$TMP/empty.json"
expect_status 0 "empty model: report perfetto"
pf_check "$TMP/empty.db" "$TMP/empty.json" "empty model"

# a database of another tool
q --rw "$TMP/other.db" "CREATE TABLE meta (k TEXT, v TEXT); CREATE TABLE t (x); INSERT INTO t VALUES (1)" >/dev/null
for kind in html perfetto tree processes; do
    run report "$kind" "$TMP/other.db" -o "$TMP/other.out"
    expect_status 4 "another tool's database: report $kind is a database error"
done
err_has "not a procstage database" "says so"
no_file "$TMP/other.out" "and writes no file"

# every stage missing, a parent cycle, an unknown severity and evidence that is no JSON
cp "$DB" "$TMP/odd.db"
q --rw "$TMP/odd.db" "UPDATE stages SET start_ts = NULL, end_ts = NULL, duration = NULL, start_event_id = NULL,
    end_event_id = NULL, confidence = 'missing' WHERE creation_id = 2;
    UPDATE boundaries SET ts = NULL, event_id = NULL, confidence = 'missing' WHERE creation_id = 2;
    UPDATE processes SET parent_process_id = 6 WHERE process_id = 4;
    UPDATE processes SET parent_process_id = 4 WHERE process_id = 6;
    UPDATE findings SET evidence = 'not {json' WHERE finding_id = 1" >/dev/null
run report tree "$TMP/odd.db"
expect_status 0 "a cycle of parents: the tree ends"
for pid in 3596 5120 5376; do
    grep -q "($pid)" "$TMP/out"
    ok $? "and still shows process $pid"
done
run report html "$TMP/odd.db" -o "$TMP/odd.html"
expect_status 0 "every stage missing: report html"
hc "$TMP/odd.html" --rows "$ncre" --text "no stage times in the trace"
ok $? "the creation keeps its row, marked as without times"
run report perfetto "$TMP/odd.db" -o "$TMP/odd.json"
pf_check "$TMP/odd.db" "$TMP/odd.json" "every stage missing"
[ "$(q --doc "$TMP/odd.json" "$TMP/odd.db" "SELECT count(*) FROM json_each((SELECT d FROM doc), '\$.traceEvents') WHERE json_extract(value, '\$.args.creation_id') = 2")" = 0 ]
ok $? "no slice for a creation without stage times"
run report findings -f json "$TMP/odd.db"
cp "$TMP/out" "$TMP/odd-findings.json"
q --json "$TMP/odd-findings.json"
ok $? "evidence that is not JSON stays a string in the findings JSON"

# ---- hostile names: markup, script, control and bidi characters ---------------------
ESC=$(printf '\033')
BEL=$(printf '\007')
RLO=$(printf '\342\200\256')
sed -e "s|notepad\\.exe|<script>alert(1)</script>.exe|g" \
    -e "s|notes\\.txt|\"\"><img src=x onerror=alert(1)>\\&amp;]]>${ESC}[31mred${BEL}.txt|g" \
    -e "s|todo\\.txt|todo${RLO}txt.exe|g" "$FIX/demo.csv" >"$TMP/nasty.csv"
run -q analyze --html "$TMP/nasty.html" --perfetto "$TMP/nasty.json" -o "$TMP/nasty.db" "$TMP/nasty.csv"
expect_status 0 "a trace with hostile names"
[ "$(q "$TMP/nasty.db" "SELECT count(*) FROM processes WHERE command_line LIKE '%onerror%'")" -ge 1 ]
ok $? "the names reached the model unchanged"
! grep -q "$ESC\|$BEL" "$TMP/out"
ok $? "analyze text: no raw control character"
for kind in creations timing findings tree stages processes traces; do
    "$PROCSTAGE" report "$kind" "$TMP/nasty.db" >"$TMP/nasty.txt"
    ! grep -q "$ESC\|$BEL" "$TMP/nasty.txt" && ! grep -q "$RLO" "$TMP/nasty.txt"
    ok $? "report $kind text: control and bidi characters made visible"
done
grep -qF "$(printf 'onerror=alert(1)>&amp;]]>\342\220\233[31mred\342\220\207.txt')" "$TMP/nasty.txt" ||
    "$PROCSTAGE" report processes "$TMP/nasty.db" | grep -qF "$(printf '\342\220\233[31mred\342\220\207')"
ok $? "ESC and BEL shown as their control pictures"
"$PROCSTAGE" report processes "$TMP/nasty.db" | grep -qF 'todo\u202etxt.exe'
ok $? "the right-to-left override shown as \\u202e"
hc "$TMP/nasty.html" --rows 4 --text "<script>alert(1)</script>.exe" \
    --text "$(printf '"><img src=x onerror=alert(1)>&amp;]]>\342\220\233[31mred\342\220\207.txt')" \
    --text 'todo\u202etxt.exe'
ok $? "HTML: every hostile name is text (no element, attribute or script came from it)"
pf_check "$TMP/nasty.db" "$TMP/nasty.json" "perfetto with hostile names"
"$PROCSTAGE" report creations -f csv "$TMP/nasty.db" >"$TMP/nasty.csv.out"
grep -qF '""><img' "$TMP/nasty.csv.out"
ok $? "CSV keeps the data, quotes doubled"

# ---- progress ------------------------------------------------------------------------
run ingest "$FIX/demo.csv" -o "$TMP/p1.db"
! grep -q "events in" "$TMP/err"
ok $? "no progress when stderr is not a terminal"
run ingest --progress "$FIX/demo.csv" -o "$TMP/p2.db"
err_has "demo.csv: " "--progress forces it"
err_has "185 events in" "with the totals"
run -q ingest --progress "$FIX/demo.csv" -o "$TMP/p3.db"
[ ! -s "$TMP/err" ]
ok $? "-q: nothing on stderr even with --progress"
run ingest --progress --no-progress "$FIX/demo.csv" -o "$TMP/p4.db"
! grep -q "events in" "$TMP/err"
ok $? "the last of --progress / --no-progress wins"

# ---- colour --------------------------------------------------------------------------
for kind in timing findings creations traces stages processes tree; do
    "$PROCSTAGE" --color=always report "$kind" "$DB" >"$TMP/col.txt"
    grep -q "$ESC\[" "$TMP/col.txt"
    ok $? "report $kind: --color=always colours"
    NO_COLOR=1 "$PROCSTAGE" report "$kind" "$DB" >"$TMP/nocol.txt"
    ! grep -q "$ESC" "$TMP/nocol.txt"
    ok $? "report $kind: no colour on a pipe with NO_COLOR"
done
"$PROCSTAGE" --color=always report tree "$DB" -o "$TMP/tree.txt"
grep -q "$ESC\[" "$TMP/tree.txt"
ok $? "--color=always also colours a file written with -o"
"$PROCSTAGE" report tree "$DB" -o "$TMP/tree2.txt"
! grep -q "$ESC" "$TMP/tree2.txt"
ok $? "by default a file gets no colour"

# ---- on a terminal (script(1) gives one) ---------------------------------------------
if script -qec true /dev/null >/dev/null 2>&1; then
    tty_run() { env -u NO_COLOR COLUMNS=100 script -qec "$1" /dev/null </dev/null >"$TMP/tty.out" 2>&1; }
    tty_run "'$PROCSTAGE' report tree '$DB'"
    grep -q "$ESC\[" "$TMP/tty.out" && grep -q "$(printf '\342\224\234\342\224\200\342\224\200 ')" "$TMP/tty.out"
    ok $? "terminal: the tree in colour with box drawing"
    tty_run "NO_COLOR=1 '$PROCSTAGE' report findings '$DB'"
    ! grep -q "$ESC\[1" "$TMP/tty.out"
    ok $? "terminal: NO_COLOR turns colour off"
    # PROCSTAGE_PROGRESS_DELAY=0: the bar is drawn at every progress call
    # (one per 4,096 events), so it shows however fast the machine is
    "$PSGEN" bulk csv 20000 "$TMP/bulk.csv" >/dev/null 2>&1
    tty_run "PROCSTAGE_PROGRESS_DELAY=0 '$PROCSTAGE' ingest '$TMP/bulk.csv' -o '$TMP/bulk.db'"
    grep -q "bulk.csv \[=*>* *\] *[0-9]*% .* events .* ev/s ETA" "$TMP/tty.out"
    ok $? "terminal: a progress bar with bytes, events, rate and ETA"
    grep -q "$(printf '\r')$ESC\[K" "$TMP/tty.out"
    ok $? "terminal: the bar is redrawn in place and cleared"
    # memory-mapped inputs (PML, ETL; a compressed PML through its spool)
    # report the share read (before: the share of the format probe's read,
    # 22 % or 67 % until the end): a bar is drawn every 4,096 events, so
    # 20,000 events give four or more, each further on, the first below 50 %
    "$PSGEN" bulk pml 20000 "$TMP/bulk.pml" >/dev/null 2>&1
    "$PSGEN" etl bulk 20000 "$TMP/bulk.etl" >/dev/null 2>&1
    zstd -q -c "$TMP/bulk.pml" >"$TMP/bulkz.pml.zst" 2>/dev/null
    for f in bulk.pml bulk.etl bulkz.pml.zst; do
        [ -s "$TMP/$f" ] || continue
        rm -f "$TMP/bulk.db"
        tty_run "PROCSTAGE_PROGRESS_DELAY=0 '$PROCSTAGE' ingest '$TMP/$f' -o '$TMP/bulk.db'"
        pcts=$(tr '\r' '\n' <"$TMP/tty.out" | sed -n "s/^.*$f \[[=> ]*\] *\([0-9]*\)% .*/\1/p" | uniq | tr '\n' ' ')
        echo "$pcts" | awk '{ ok = NF >= 3 && $1 < 50; for (i = 2; i <= NF; i++) if ($i <= $(i - 1)) ok = 0; exit !ok }'
        ok $? "terminal: $f's bar grows with the share read (${pcts:-no bar})"
    done
    rm -f "$TMP/bulk.db"
    tty_run "PROCSTAGE_PROGRESS_DELAY=0 '$PROCSTAGE' ingest --no-progress '$TMP/bulk.csv' -o '$TMP/bulk.db'"
    ! grep -q "ETA" "$TMP/tty.out"
    ok $? "terminal: --no-progress"
    rm -f "$TMP/bulk.db"
    tty_run "PROCSTAGE_PROGRESS_DELAY=0 '$PROCSTAGE' -q ingest '$TMP/bulk.csv' -o '$TMP/bulk.db'"
    [ ! -s "$TMP/tty.out" ]
    ok $? "terminal: -q prints nothing at all"
else
    echo "# script(1) not available: terminal cases skipped"
fi

# analyze --min-severity, --findings-only, the findings summary, sources
# without measurable stages (issue 16)
run analyze --findings-only "$FIX/sysmon_ifeo.evtx"
! grep -q 'TRACES\|PROCESS CREATIONS\|PER IMAGE' "$TMP/out" && grep -q '^FINDINGS (13)' "$TMP/out"
ok $? "--findings-only prints the findings and nothing else"
n=$(sed -n '/^  level  *count  first seen  *last seen  *rule$/,/^$/p' "$TMP/out" | grep -c '^  [A-Z]')
[ "$n" = 13 ]; ok $? "the summary has a line per rule and level ($n)"
grep -q '^  LOW           1  2024-03-14T09:31:00Z  2024-03-14T09:31:00Z  Launch resumed late' "$TMP/out"
ok $? "a summary line gives level, count, first and last seen (to the second) and the rule"
run analyze --findings-only --min-severity high "$FIX/sysmon_ifeo.evtx"
grep -q '^FINDINGS (11)' "$TMP/out" && ! grep -q 'MEDIUM\|LOW' "$TMP/out"
ok $? "--min-severity high leaves out medium and low findings"
run analyze --min-severity high --fail-on low "$FIX/sysmon_ifeo.evtx"
expect_status 1 "--fail-on still sees the findings --min-severity hides"
run analyze --min-severity loud "$FIX/sysmon_ifeo.evtx"
expect_status 2 "--min-severity takes a severity"
run analyze "$FIX/security_ifeo.evtx"
grep -q '^  no stage is measurable: the sources record the creations only' "$TMP/out" &&
    ! grep -q 'PER IMAGE\|1:open' "$TMP/out"
ok $? "4688 only: one line says why no stage is measurable, no empty stage table"
[ "$(grep -n '^FINDINGS\|^PROCESS CREATIONS' "$TMP/out" | cut -d: -f2 | tr '\n' ' ')" = "FINDINGS (3) PROCESS CREATIONS (2) " ]
ok $? "and the findings come before the creations"
run analyze "$FIX/plain.csv"
[ "$(grep -n '^FINDINGS\|^PROCESS CREATIONS' "$TMP/out" | cut -d: -f2 | cut -c1-7 | tr '\n' ' ')" = "PROCESS FINDING " ]
ok $? "with measured stages the timings come first"
# a finding's details: the fields the rule matched and the record's telling
# fields (CommandLine, ParentImage, User...), cut to the terminal's width
COLUMNS=80 "$PROCSTAGE" analyze --findings-only "$FIX/detections.evtx" >"$TMP/out" 2>"$TMP/err"
grep -q '^    details:   CommandLine: p.exe -accepteula -s cmd.exe' "$TMP/out"
ok $? "the renamed PsExec's details give its command line"
python3 - "$TMP/out" <<'PY' 2>/dev/null || LC_ALL=C.UTF-8 awk 'length($0) > 79 { bad = 1 } END { exit bad }' "$TMP/out"
import sys
lines = [l.rstrip('\n') for l in open(sys.argv[1], encoding='utf-8') if l.startswith('    details:')]
sys.exit(0 if lines and all(len(l) <= 79 for l in lines) and any(l.endswith('\u2026') for l in lines) else 1)
PY
ok $? "under COLUMNS=80 every details line fits in 79 columns, the long ones end with an ellipsis"
COLUMNS=200 "$PROCSTAGE" analyze --findings-only "$FIX/detections.evtx" >"$TMP/out" 2>"$TMP/err"
grep -q 'ParentImage: C:\\Windows\\System32\\winlogon.exe' "$TMP/out"
ok $? "a wider terminal shows more of them"
run analyze "$FIX/detections.evtx" --html "$TMP/d.html"
grep -q 'ParentCommandLine:</b> <code>winlogon.exe' "$TMP/d.html"
ok $? "the HTML findings carry the same details"
# every finding carries its time, host and trace; with several traces the
# text says where each came from
run -q ingest "$FIX/sysmon_ifeo.evtx" "$FIX/security_ifeo.evtx" -o "$TMP/two.db"
run report findings --format ndjson "$TMP/two.db"
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if rows and all(r["time"] and r["host"] == "WS01.corp.example" and r["trace"].endswith(".evtx") for r in rows) else 1)
' "$TMP/out"
ok $? "NDJSON findings carry time, host and trace"
run report findings --format csv "$TMP/two.db"
head -1 "$TMP/out" | grep -q ',evidence,time,host,trace$'
ok $? "CSV findings end with time, host, trace"
run report findings "$TMP/two.db"
n=$(sed -n 's/^FINDINGS (\([0-9]*\))$/\1/p' "$TMP/out")
t=$(grep -c '^    trace:     #[12] .*/[a-z]*_ifeo.evtx (WS01.corp.example)$' "$TMP/out")
[ "$n" -gt 10 ] && [ "$n" = "$t" ]
ok $? "the text gives each finding's trace and host when the model has several ($t of $n)"
run report findings --trace 1 "$TMP/two.db"
! grep -q '^    trace:' "$TMP/out"
ok $? "not for one trace"
# report timeline: every creation, found boundary and finding once, in time
# order (CSV by default, JSON Lines)
run report timeline "$TMP/two.db"
expect_status 0 "report timeline writes CSV without --format"
python3 - "$TMP/out" "$TMP/two.db" <<'PY'
import csv, sqlite3, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
db = sqlite3.connect(sys.argv[2])
n = lambda q: db.execute(q).fetchone()[0]
kinds = {k: sum(1 for r in rows if r['kind'] == k) for k in ('creation', 'boundary', 'finding')}
want = {'creation': n("SELECT count(*) FROM creations WHERE create_ts IS NOT NULL"),
        'boundary': n("SELECT count(*) FROM boundaries WHERE confidence <> 'missing' AND boundary <> 2"),
        'finding': n("SELECT count(*) FROM findings")}
ts = [int(r['ts']) for r in rows]
ok = kinds == want and ts == sorted(ts) and all(r['host'] == 'WS01.corp.example' for r in rows) \
     and all(r['rule_id'] and r['level'] for r in rows if r['kind'] == 'finding')
sys.exit(0 if ok else 1)
PY
ok $? "the timeline holds each creation, found boundary and finding once, in time order, with host, rule and level"
run report timeline --format ndjson "$TMP/two.db"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/out"
ok $? "and as JSON Lines"
# analyze --from/--to: the creations and findings of a time range
run analyze --findings-only --from 2024-03-14T09:30:30 --to 2024-03-14T09:31:00 "$FIX/sysmon_ifeo.evtx"
grep -q '^FINDINGS (4)$' "$TMP/out"
ok $? "--from/--to keep the findings of the range (4 of 13)"
run analyze --format json --from 2024-03-14T09:31 "$FIX/sysmon_ifeo.evtx"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = len(d["creations"]) == 2 and all(c["create_time"] >= "2024-03-14T09:31" for c in d["creations"]) \
     and all(f["time"] >= "2024-03-14T09:31" for f in d["findings"]) and d["findings"]
sys.exit(0 if ok else 1)' "$TMP/out"
ok $? "and in the JSON: creations from B2 on, findings by their time"
run analyze --to 2024-03-13 --fail-on low "$FIX/sysmon_ifeo.evtx"
expect_status 1 "--fail-on still sees the findings outside the range"
grep -q '^FINDINGS (0)$' "$TMP/out" && grep -q '^PROCESS CREATIONS (0)$' "$TMP/out"
ok $? "a date before the trace: nothing shown"
run analyze --from 2024-02-30x "$FIX/sysmon_ifeo.evtx"
expect_status 2 "--from takes a time"
finish
