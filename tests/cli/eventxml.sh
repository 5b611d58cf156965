#!/bin/sh
# Event XML from the command line: the wevtutil renderings of the EVTX
# fixtures (fixtures/eventxml) give the same events, creations and findings
# as the EVTX files; tracerpt XML goes through the ETW mapping; standard
# input; damaged files (exit 3 before any event, a warning after).
. "$top_srcdir/tests/cli/lib.sh"
X="$FIX/eventxml"

same() { # DESCRIPTION SQL
    a=$(q "$TMP/xml.db" "$2")
    b=$(q "$TMP/evtx.db" "$2")
    if [ -n "$a" ] && [ "$a" = "$b" ]; then ok 0 "$1"; else ok 1 "$1"; echo "#   xml: $a" | head -3; echo "#   evtx: $b" | head -3; fi
}

run -q ingest "$X/sysmon_ifeo_wevtutil.xml" -o "$TMP/xml.db"
expect_status 0 "wevtutil Sysmon XML without a root ingests"
run -q ingest "$FIX/sysmon_ifeo.evtx" -o "$TMP/evtx.db"
expect_status 0 "the EVTX it was rendered from ingests"
[ "$(q "$TMP/xml.db" "SELECT format FROM traces")" = event-xml ]
ok $? "detected as event-xml"
same "the same events" "SELECT seq, pid, operation, path, detail, ts FROM events ORDER BY seq"
same "the same creations" "SELECT parent_pid, child_pid, image_path, command_line, status FROM creations ORDER BY creation_id"
same "the same boundaries" "SELECT creation_id, boundary, confidence FROM boundaries ORDER BY 1, 2"
same "the same findings" "SELECT rule_id, severity, creation_id FROM findings ORDER BY 1, 3"
[ "$(q "$TMP/xml.db" "SELECT count(*) FROM findings WHERE rule_id = 'ifeo-debugger-hijack' AND severity = 'critical' AND creation_id = 2")" = 1 ]
ok $? "the IFEO hijack found from wevtutil XML"

run -q ingest "$X/security_ifeo_events.xml" -o "$TMP/sec.db"
expect_status 0 "Security events in <Events> ingest"
[ "$(q "$TMP/sec.db" "SELECT count(*) FROM findings WHERE rule_id IN ('ifeo-debugger-set', 'ifeo-debugger-hijack')")" = 2 ]
ok $? "Security 4657 and 4688: the Debugger write and the hijacked launch"

run -q ingest --input-format event-xml - -o "$TMP/stdin.db" <"$X/tracerpt_edge.xml"
expect_status 0 "tracerpt XML from standard input"
[ "$(q "$TMP/stdin.db" "SELECT os_version || '|' || pointer_size || '|' || cpu_count || '|' || events_lost FROM traces")" = "Windows 10.0 build 19041|8|2|7" ]
ok $? "tracerpt header facts"
[ "$(q "$TMP/stdin.db" "SELECT child_pid || ' ' || parent_pid || ' ' || initial_tid || ' ' || status FROM creations")" = "420 4332 432 complete" ]
ok $? "a creation from Process/Start (hex PIDs), Thread/Start (binary payload) and the image loads"

head -c 3000 "$X/sysmon_ifeo_wevtutil.xml" >"$TMP/cut.xml"
run ingest "$TMP/cut.xml" -o "$TMP/cut.db"
expect_status 0 "cut inside the second event: a warning, not an error"
err_has "cut.xml': line 65: " "the warning names the file and line"
head -c 300 "$X/sysmon_ifeo_wevtutil.xml" >"$TMP/cut0.xml"
run ingest --input-format event-xml "$TMP/cut0.xml" -o "$TMP/cut0.db"
expect_status 3 "cut inside the first event: exit 3"
one_line "one line on stderr"
[ ! -e "$TMP/cut0.db" ]
ok $? "no partial database"
finish
