#!/bin/sh
# The rule engine from the command line: procstage rules list|check|test,
# --rules and --no-default-rules, the default pack on the Procmon and EVTX
# fixtures, bad rules (a clear message naming the file, line and rule; the
# other rules still run) and damaged EVTX files.
. "$top_srcdir/tests/cli/lib.sh"

count() { q "$1" "SELECT count(*) FROM findings WHERE $2"; }
# has DB WHERE N DESCRIPTION
has() {
    n=$(count "$1" "$2")
    if [ "$n" = "$3" ]; then ok 0 "$4"; else ok 1 "$4 ($n findings, want $3)"; fi
}

# ---- list / check --------------------------------------------------------------
run rules list
expect_status 0 "rules list"
out_has "ifeo-debugger-hijack" "lists the IFEO hijack rule"
out_has "process_creation_stages" "with its logsource"
run rules list --format json
"$PSQ" --json "$TMP/out"
ok $? "rules list --format json is JSON"
out_has "ppid-spoofing" "lists the detector written in C too"
mkdir -p "$TMP/ppid"
cat >"$TMP/ppid/ppid.yml" <<'EOF'
title: my parent PID spoofing
id: ppid-spoofing
logsource:
  product: windows
  category: process_creation_stages
detection:
  selection:
    creator_pid|exists: true
  condition: selection
level: medium
EOF
run rules list --rules "$TMP/ppid"
out_has "(replaced by a rule)" "a rule with a detector's id replaces it, and the list says so"
run rules check
expect_status 0 "the default pack checks clean"
out_has "can run, 0 cannot" "and says so"
run rules --help
expect_status 0 "rules --help"
out_has "Usage: procstage rules" "usage on stdout"
run rules frobnicate
expect_status 2 "unknown action: usage error"
run rules check --rules "$TMP/does-not-exist"
expect_status 3 "a missing rule directory: input error"
err_has "does-not-exist" "names it"

# ---- bad rules ----------------------------------------------------------------------
mkdir -p "$TMP/bad/sub"
cat >"$TMP/bad/good.yml" <<'EOF'
title: Notepad started
id: t-good
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|endswith: '\notepad.exe'
  condition: selection
level: medium
EOF
cat >"$TMP/bad/yaml.yml" <<'EOF'
title: Broken YAML
detection:
  selection: [a, b
EOF
cat >"$TMP/bad/modifier.yml" <<'EOF'
title: Unknown modifier
id: t-mod
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image|sometimes: x
  condition: selection
EOF
cat >"$TMP/bad/sub/regex.yml" <<'EOF'
title: Bad regex
id: t-re
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|re: '(unclosed'
  condition: selection
EOF
cat >"$TMP/bad/logsource.yml" <<'EOF'
title: Unknown logsource
logsource:
  product: windows
  category: quantum_flux
detection:
  selection:
    A: b
  condition: selection
EOF
{
    printf 'title: Deep\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    A: b\n  condition: '
    i=0; while [ $i -lt 100 ]; do printf '('; i=$((i + 1)); done
    printf 's'
    i=0; while [ $i -lt 100 ]; do printf ')'; i=$((i + 1)); done
    printf '\n'
} >"$TMP/bad/deep.yml"
awk 'BEGIN { print "title: Ten thousand values\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    Image:"
             for (i = 0; i < 10000; i++) print "      - v" i
             print "  condition: s" }' >"$TMP/bad/many.yml"
cat >"$TMP/bad/laughs.yml" <<'EOF'
title: Billion laughs
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
EOF
run rules check --no-default-rules --rules "$TMP/bad"
expect_status 3 "rules check: input error when a rule cannot run"
out_has "1 rule can run, 7 cannot" "counts the rules that cannot run"
out_has "yaml.yml': line 4 column 1: did not find expected ',' or ']'" "bad YAML: file, line and column"
out_has "modifier.yml': line 8: rule 'Unknown modifier' (t-mod): unknown modifier 'sometimes'" \
    "unknown modifier: file, line, rule"
out_has "regex.yml': line 8: rule 'Bad regex' (t-re): regular expression '(unclosed' does not compile" \
    "bad regex: file, line, rule"
out_has "unknown logsource category 'quantum_flux'" "unknown logsource"
out_has "deep.yml': line 8: rule 'Deep': condition: nested deeper than 64 levels" "deeply nested condition"
out_has "many.yml'" "10,000 values are named"
out_has "more than 4096 values in the rule" "with the limit"
out_has "laughs.yml': line" "billion laughs"
out_has "expands to more than 1000000 nodes through aliases" "refused by the alias limit"
run rules check --no-default-rules --rules "$TMP/bad" --format json
"$PSQ" --json "$TMP/out"
ok $? "rules check --format json is JSON"

# a bad rule never stops the others: analyze warns and runs the good one
run analyze --no-default-rules --rules "$TMP/bad" "$FIX/plain.csv"
expect_status 0 "analyze with bad rules still works"
grep -q "^procstage: warning: [0-9]* rules skipped: see 'procstage rules check' (or -v)$" "$TMP/err"
ok $? "many bad rules: one summary line ($(cat "$TMP/err"))"
[ "$(wc -l <"$TMP/err")" = 1 ]
ok $? "and nothing else"
run -v analyze --no-default-rules --rules "$TMP/bad" "$FIX/plain.csv"
err_has "rule skipped: '$TMP/bad/modifier.yml': line 8: rule 'Unknown modifier'" "-v: a warning per bad rule"
run analyze --no-default-rules --rules "$TMP/bad/modifier.yml" --rules "$TMP/bad/sub/regex.yml" --rules "$TMP/bad/good.yml" "$FIX/plain.csv"
err_has "rule skipped: '$TMP/bad/modifier.yml': line 8: rule 'Unknown modifier'" "a few bad rules: a warning each"
out_has "t-good" "the good rule ran (Explorer launches notepad)"
run -q analyze --no-default-rules --rules "$TMP/bad" "$FIX/plain.csv"
[ ! -s "$TMP/err" ]
ok $? "-q silences the rule warnings"

# ---- the default pack on Procmon fixtures ----------------------------------------------
run rules test "$FIX/ifeo_hijack.csv"
expect_status 0 "rules test on a Procmon trace"
out_has "critical  ifeo-debugger-hijack" "finds the IFEO hijack"
run rules test --format json "$FIX/ifeo_hijack.csv"
"$PSQ" --json "$TMP/out"
ok $? "rules test --format json is JSON"
run analyze --no-default-rules "$FIX/demo.csv"
out_has "FINDINGS (0)" "--no-default-rules: no findings"
run analyze -o "$TMP/sus.db" "$FIX/suspended.csv"
has "$TMP/sus.db" "rule_id = 'procstage-suspended-launch'" 1 "suspended launch: long start_initial_thread"

# ---- the default pack on EVTX fixtures --------------------------------------------------
run -q ingest "$FIX/sysmon_ifeo.evtx" -o "$TMP/sy.db"
expect_status 0 "Sysmon EVTX fixture ingests"
[ "$(q "$TMP/sy.db" "SELECT count(*) FROM events")" = 53 ]
ok $? "53 records"
[ "$(q "$TMP/sy.db" "SELECT count(*) FROM creations")" = 7 ]
ok $? "7 creations (Sysmon 1)"
[ "$(q "$TMP/sy.db" "SELECT boundary || confidence FROM boundaries WHERE creation_id = 2 AND confidence <> 'missing' ORDER BY boundary" | tr '\n' ' ')" = "2observed 5inferred 6inferred " ]
ok $? "B2 observed from UtcTime, B5 and B6 inferred from the image loads"
[ "$(q "$TMP/sy.db" "SELECT requested_image FROM creations WHERE creation_id = 2")" = 'C:\Windows\System32\sethc.exe' ]
ok $? "the hijacked launch asked for sethc.exe"
has "$TMP/sy.db" "rule_id = 'ifeo-debugger-set' AND severity = 'critical'" 1 "Sysmon 13 Debugger write (critical)"
has "$TMP/sy.db" "rule_id = 'ifeo-debugger-hijack' AND severity = 'critical' AND creation_id = 2" 1 \
    "the hijacked launch (critical)"
has "$TMP/sy.db" "rule_id = 'ifeo-debugger-set-then-launch'" 1 "set, then the hijacked launch (correlation)"
has "$TMP/sy.db" "rule_id = 'procstage-ifeo-globalflag-silent-exit'" 1 "GlobalFlag 0x200"
has "$TMP/sy.db" "rule_id = 'procstage-silent-exit-monitor-process'" 1 "MonitorProcess"
has "$TMP/sy.db" "rule_id = 'procstage-silent-exit-persistence'" 1 "both halves for notepad.exe (aliases)"
has "$TMP/sy.db" "rule_id = 'procstage-werfault-silent-exit-launch'" 1 "the monitor launched by WerFault -s"
has "$TMP/sy.db" "rule_id = 'procstage-masquerading-system-binary'" 1 "svchost.exe outside System32"
has "$TMP/sy.db" "rule_id = 'procstage-suspended-launch'" 1 "launched suspended"
has "$TMP/sy.db" "rule_id = 'procstage-image-replaced'" 1 "Sysmon 25"
has "$TMP/sy.db" "rule_id = 'procstage-hollowing'" 1 "suspended, then replaced (correlation)"
has "$TMP/sy.db" "rule_id = 'procstage-user-init-writable-dll' AND evidence LIKE '%updater.exe%'" 1 \
    "a DLL from %TEMP% during user_init"
has "$TMP/sy.db" "rule_id = 'ppid-spoofing'" 0 "no parent-PID spoofing claim from an event log"
run -q ingest "$FIX/security_ifeo.evtx" -o "$TMP/se.db"
expect_status 0 "Security EVTX fixture ingests"
has "$TMP/se.db" "rule_id = 'ifeo-debugger-set' AND severity = 'critical' AND evidence LIKE '%utilman.exe%'" 1 \
    "Security 4657 Debugger write"
has "$TMP/se.db" "rule_id = 'ifeo-debugger-hijack' AND severity = 'critical'" 1 "Security 4688 hijacked launch"
[ "$(q "$TMP/se.db" "SELECT confidence FROM boundaries WHERE boundary = 2 AND creation_id = 2")" = inferred ]
ok $? "Security 4688: B2 inferred"
run -q ingest "$FIX/exitmonitor.evtx" -o "$TMP/ex.db"
has "$TMP/ex.db" "rule_id = 'procstage-silent-exit-event'" 2 "ProcessExitMonitor 3000 and 3001"
[ "$(q "$TMP/ex.db" "SELECT path FROM events WHERE seq = 1")" = 'C:\Windows\System32\notepad.exe' ]
ok $? "ProcessExitMonitor: the exiting image"

# ---- damaged EVTX -----------------------------------------------------------------------
head -c 30000 "$FIX/sysmon_ifeo.evtx" >"$TMP/trunc.evtx"
run ingest "$TMP/trunc.evtx" -o "$TMP/tr.db"
expect_status 0 "a truncated EVTX: a warning, not an error"
err_has "trunc.evtx': offset 0x1000: the file ends 25904 bytes into a 64 KiB chunk" "says where it stops"
{ printf 'ElfFile\000'; awk 'BEGIN { srand(3); for (i = 0; i < 8000; i++) printf "%c", int(rand() * 255) + 1 }'; } \
    >"$TMP/rnd.evtx"
run ingest "$TMP/rnd.evtx" -o "$TMP/rnd.db"
expect_status 3 "garbage after the signature: input error"
err_has "rnd.evtx': offset 0x20: not an EVTX file header" "names the file"
one_line "one line"
[ ! -e "$TMP/rnd.db" ]
ok $? "no database created"
printf 'ElfFile\000' >"$TMP/tiny.evtx"
run analyze "$TMP/tiny.evtx"
expect_status 3 "a header-less EVTX: input error"
err_has "shorter than its 4096-byte header" "says why"
zstd -q -c "$FIX/sysmon_ifeo.evtx" >"$TMP/sy.evtx.zst" 2>/dev/null && {
    run -q ingest "$TMP/sy.evtx.zst" -o "$TMP/zst.db"
    expect_status 0 "a zstd-compressed EVTX"
    [ "$(q "$TMP/zst.db" "SELECT count(*) FROM events")" = 53 ]
    ok $? "reads the same records"
}
cat "$FIX/security_ifeo.evtx" | "$PROCSTAGE" -q ingest - -o "$TMP/stdin.db" >/dev/null 2>&1
[ "$(q "$TMP/stdin.db" "SELECT count(*) FROM events")" = 5 ]
ok $? "an EVTX on standard input"

# ---- EVTX chunk slack (--recovered) -------------------------------------------------------
slack="$top_srcdir/tests/corpus/evtx/template-slack.evtx"
run ingest "$slack" -o "$TMP/slack.db"
expect_status 0 "a record in chunk slack: not an error"
err_has "1 recovered record (deleted or overwritten, found in chunk slack) not read" "counted in a warning"
[ "$(q "$TMP/slack.db" "SELECT count(*) FROM events")" = 99 ]
ok $? "without --recovered: the live records"
run -q ingest --recovered "$slack" -o "$TMP/slack2.db"
expect_status 0 "--recovered"
[ "$(q "$TMP/slack2.db" "SELECT count(*) FROM events")" = 100 ]
ok $? "--recovered: the slack record too"
[ "$(q "$TMP/slack2.db" "SELECT group_concat(f.value) FROM event_fields f WHERE f.name = 'Recovered'")" = true ]
ok $? "--recovered: flagged by the field Recovered"
finish
