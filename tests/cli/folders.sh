#!/bin/sh
# Folders as inputs (pipeline/collect.h): a collection laid out as a triage
# tool leaves it - traces in nested folders, compressed and not, next to
# files that are not traces - ingests every trace once, in name order, lists
# what it left out, and gives the model that naming the traces one by one
# gives.  --include/--exclude filter the folders' files; --host names the
# machine of every trace.
. "$top_srcdir/tests/cli/lib.sh"

C="$TMP/collection"
mkdir -p "$C/HOST-A/procmon" "$C/HOST-A/etw" "$C/HOST-B/evtx" "$C/empty"
cp "$FIX/ifeo_hijack.pml" "$C/HOST-A/procmon/"
cp "$FIX/pid_reuse.csv" "$C/HOST-A/procmon/"
zstd -q -c "$FIX/missing_stages.xml" >"$C/HOST-A/procmon/missing_stages.xml.zst" 2>/dev/null ||
    cp "$FIX/missing_stages.xml" "$C/HOST-A/procmon/"
cp "$FIX/etw_plain.etl" "$C/HOST-A/etw/"
cp "$FIX/exitmonitor.evtx" "$C/HOST-B/evtx/"
echo "collected by hand" >"$C/HOST-A/README.txt"
printf '\033]0;evil\007 not a trace\n' >"$C/HOST-B/notes.md"
ln -s "$C" "$C/HOST-B/loop"    # a link to a folder: not followed

run ingest "$C" -o "$TMP/folder.db"
expect_status 0 "a folder ingests"
n=$(q "$TMP/folder.db" "select count(*) from traces")
[ "$n" = 5 ]
ok $? "every trace of the folder, once (got $n)"
err_has "3 files of the folders left out, not traces" "the files that are not traces are counted"
if grep -q "$(printf '\033')" "$TMP/err"; then ok 1 "no escape sequence of a file name reaches stderr"; else
    ok 0 "no escape sequence of a file name reaches stderr"; fi
q "$TMP/folder.db" "select path from traces order by trace_id" >"$TMP/order"
sort "$TMP/order" | cmp -s - "$TMP/order"
ok $? "traces in the byte order of their paths"

# the same model as the traces named one by one
run ingest $(cat "$TMP/order") -o "$TMP/files.db"
expect_status 0 "the same traces named one by one ingest"
for tab in "count(*) from events" "count(*) from creations" "count(*) from findings" \
    "group_concat(stage || ':' || coalesce(duration, ''), ',') from stages" \
    "group_concat(rule_id, ',') from findings"; do
    a=$(q "$TMP/folder.db" "select $tab") || a="error a"
    b=$(q "$TMP/files.db" "select $tab") || b="error b"
    [ -n "$a" ] && [ "$a" = "$b" ]
    ok $? "folder and files agree: $tab"
done

run -v ingest "$C" -o "$TMP/v.db"
err_has "left out '$C/HOST-A/README.txt': not a trace procstage reads" "-v lists each file left out"
err_has "a link to something other than a file (not followed)" "a link to a folder is not followed"

run ingest "$C" --include '*.pml' --include 'HOST-B/*' -o "$TMP/inc.db"
expect_status 0 "--include"
got=$(q "$TMP/inc.db" "select group_concat(format, ',') from (select format from traces order by trace_id)")
[ "$got" = "procmon-pml,evtx" ]
ok $? "--include keeps the files matching a name or a path below the folder (got $got)"

run ingest "$C" --exclude 'HOST-A/*' -o "$TMP/exc.db"
got=$(q "$TMP/exc.db" "select format from traces")
[ "$got" = evtx ]
ok $? "--exclude leaves out matching files (got $got)"

run ingest "$C/empty" -o "$TMP/empty.db"
expect_status 3 "a folder without traces is an input error"
err_has "no traces in" "and says so"
[ ! -e "$TMP/empty.db" ]
ok $? "no model is written for it"

run ingest "$FIX/pid_reuse.csv" --host CASE-PC -o "$TMP/host.db"
got=$(q "$TMP/host.db" "select host from traces")
[ "$got" = CASE-PC ]
ok $? "--host names the machine (got $got)"
run ingest "$C/HOST-B/evtx" -o "$TMP/evhost.db"
got=$(q "$TMP/evhost.db" "select host from traces")
[ -n "$got" ]
ok $? "an event log's host comes from its records (got $got)"
run ingest "$FIX/pid_reuse.csv" --host '' -o "$TMP/h2.db"
expect_status 2 "an empty --host is a usage error"

run analyze -q "$C" --format json
expect_status 0 "analyze takes a folder too"

# traces of several machines: the text report says what came from each
"$PROCSTAGE" report traces "$TMP/folder.db" >"$TMP/out" 2>"$TMP/err"
out_has "HOSTS" "the traces report groups by host when there are several"
grep -q "^  WS01.corp.example  *1 trace, 2 events, 0 creations, 2 findings$" "$TMP/out"
ok $? "a line for the event log's machine"
grep -q "^  DESKTOP-PS  *1 trace, 51 events, 1 creation, 1 finding$" "$TMP/out"
ok $? "a line for the machine the PML header names"
grep -q "^  (not recorded)  *3 traces, " "$TMP/out"
ok $? "and one for the traces that name none"
"$PROCSTAGE" report traces "$TMP/host.db" >"$TMP/out" 2>"$TMP/err"
if grep -q "HOSTS" "$TMP/out"; then ok 1 "one machine: no host lines"; else ok 0 "one machine: no host lines"; fi
finish
