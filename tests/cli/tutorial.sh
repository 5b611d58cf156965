#!/bin/sh
# docs/tutorial.md promises that its outputs are what procstage prints: run
# its two analyze commands as the tutorial shows them (from the top of the
# tree) and check that key lines of its output blocks, taken from the
# tutorial itself, are in procstage's real output.
. "$top_srcdir/tests/cli/lib.sh"

DOC="$top_srcdir/docs/tutorial.md"

# shown PREFIX DESCRIPTION: the first line of the tutorial that starts with
# PREFIX is, whole, a line of the output in $TMP/out
shown() {
    line=$(awk -v p="$1" 'index($0, p) == 1 { print; exit }' "$DOC")
    if [ -z "$line" ]; then ok 1 "$2"; echo "#   not in the tutorial: $1"
    elif grep -qxF -- "$line" "$TMP/out"; then ok 0 "$2"
    else ok 1 "$2"; echo "#   the tutorial shows: $line"; fi
}

cd "$top_srcdir" || exit 99

run analyze fixtures/ifeo_hijack.pml
expect_status 0 "analyze fixtures/ifeo_hijack.pml"
shown "  #1  fixtures/ifeo_hijack.pml  (procmon-pml)" "PML: the TRACES line"
shown "FINDINGS (1)" "PML: one finding"
shown "    evidence:  event 11  " "PML: the Debugger read as evidence"

run analyze fixtures/demo.csv
expect_status 0 "analyze fixtures/demo.csv"
shown "     4  09:30:15.1492749   winlogon.exe (608)" "demo: the hijacked creation and its stages"
shown "FINDINGS (3)" "demo: three findings"
shown "  CRITICAL  ifeo-debugger-set-then-launch  " "demo: the correlation finding"
shown "    evidence:  event 146  " "demo: the hijack's evidence"

finish
