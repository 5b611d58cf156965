#!/bin/sh
# Escape sequences and spreadsheet formulas from a trace: what reaches a
# terminal has its control characters made visible (as the text reports do),
# CSV written to a file or a pipe has its formula cells neutralised with a
# leading ' (OWASP), PROCSTAGE_CSV=raw gives the bytes unchanged, and error
# messages quoting trace content or file names never carry a raw ESC.
. "$top_srcdir/tests/cli/lib.sh"

esc=$(printf '\033')
csv="$TMP/evil.csv"
# a process name with an OSC title sequence, a path that is a formula
{
    head -1 "$FIX/plain.csv"
    printf '"9:30:00.1234799 AM","evil%s]0;pwned%s\\\\.exe","3596","RegOpenKey","=HYPERLINK(""http://x"")","SUCCESS","-2+3+cmd|'"'"' /C calc'"'"'!A0","3/14/2024 9:30:00 AM","0.0000037","Registry","C:\\\\e.exe","@SUM(1)","DESKTOP-PS\\\\alice","Medium","6740","3540","64-bit"\r\n' "$esc" "$esc"
    printf '"9:30:00.1235134 AM","Explorer.EXE","3596","RegQueryValue","-5","SUCCESS","+1.5","3/14/2024 9:30:00 AM","0.0000074","Registry","C:\\\\Windows\\\\Explorer.EXE","C:\\\\Windows\\\\Explorer.EXE","DESKTOP-PS\\\\alice","Medium","6740","3540","64-bit"\r\n'
} >"$csv"

# to a pipe/file: formulas neutralised, numbers kept
run events "$csv" --columns "Process Name,Path,Detail,Command Line"
expect_status 0 "events of the hostile CSV"
grep -q "\"'=HYPERLINK" "$TMP/out"; ok $? "events to a file: a formula cell starts with '"
grep -q "\"'-2+3+cmd" "$TMP/out"; ok $? "events to a file: a - formula too"
grep -q "\"'@SUM" "$TMP/out"; ok $? "events to a file: an @ formula too"
grep -q '"-5"' "$TMP/out" && grep -q '"+1.5"' "$TMP/out"; ok $? "events to a file: plain numbers unchanged"

# raw on request
PROCSTAGE_CSV=raw "$PROCSTAGE" events "$csv" >"$TMP/raw" 2>/dev/null
grep -q '"=HYPERLINK' "$TMP/raw" && grep -q "evil$esc" "$TMP/raw"; ok $? "PROCSTAGE_CSV=raw: the bytes unchanged"

# to a terminal (script gives a pty): no ESC, the control picture instead
if command -v script >/dev/null 2>&1 && script -qec true /dev/null >/dev/null 2>&1; then
    script -qec "\"$PROCSTAGE\" events \"$csv\"" /dev/null >"$TMP/tty" 2>&1 </dev/null
    if grep -q "$esc" "$TMP/tty"; then ok 1 "events to a terminal: no ESC byte"; else ok 0 "events to a terminal: no ESC byte"; fi
    grep -q "evil␛" "$TMP/tty"; ok $? "events to a terminal: ESC shown as its control picture"
    db="$TMP/e.db"
    "$PROCSTAGE" ingest -q "$csv" -o "$db" >/dev/null 2>&1
    for kind in processes creations; do
        script -qec "\"$PROCSTAGE\" report $kind \"$db\" -f csv" /dev/null >"$TMP/tty" 2>&1 </dev/null
        if grep -q "$esc" "$TMP/tty"; then ok 1 "report $kind -f csv to a terminal: no ESC byte"
        else ok 0 "report $kind -f csv to a terminal: no ESC byte"; fi
    done
    "$PROCSTAGE" report processes "$db" -f csv >"$TMP/p.csv" 2>/dev/null
    grep -q "evil$esc" "$TMP/p.csv"; ok $? "report processes -f csv to a file: text kept (no formula there)"
else
    for i in 1 2 3 4 5; do ok 0 "# SKIP no pseudo-terminal (script)"; done
fi

# error messages quoting a file name and trace content
bad="$TMP/bad${esc}[2J.csv"
printf 'garbage\n' >"$bad"
run ingest "$bad" -o "$TMP/x.db"
if grep -q "$esc" "$TMP/err"; then ok 1 "an error naming a file: no ESC byte"; else ok 0 "an error naming a file: no ESC byte"; fi
grep -q "bad␛\[2J" "$TMP/err"; ok $? "an error naming a file: ESC shown as its control picture"

finish
