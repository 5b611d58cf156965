#!/bin/sh
# The built-in detectors of issue 14 on fixtures/detections.evtx (evtxgen
# "detections": every case the shared logs lack) and what they must not
# report: an accessibility program with its own metadata, a signed DLL
# beside the side-loaded one, a LoadLibrary thread into the fresh process, a
# process under its own name; the masquerading rule on NT device paths (ETW
# writes \Device\HarddiskVolumeN\...) and the detectors switched off.
. "$top_srcdir/tests/cli/lib.sh"

run -q ingest "$FIX/detections.evtx" -o "$TMP/d.db"
expect_status 0 "the detections fixture ingests"
# rule severity event-ids (the finding's event, then the evidence events) creation-image
"$PSQ" "$TMP/d.db" "SELECT f.rule_id || ' ' || f.severity || ' ' || f.event_id || ' ' ||
        coalesce((SELECT group_concat(value ->> 'event_id', ',') FROM json_each(f.evidence -> '\$.events')), '-') || ' ' ||
        coalesce(c.image_path, '-')
    FROM findings f LEFT JOIN creations c USING (creation_id) ORDER BY f.rule_id" >"$TMP/got"
cat >"$TMP/want" <<'W'
accessibility-backdoor critical 1 1 C:\Windows\System32\sethc.exe
dll-sideloading high 14 7,14 -
fresh-process-injection high 22 16,22 C:\Windows\System32\notepad.exe
procstage-lsass-silent-exit high 25 25 -
renamed-binary high 24 24 C:\Users\Public\p.exe
W
if cmp -s "$TMP/want" "$TMP/got"; then ok 0 "each detector reports its case, with its events and creation"; else
    ok 1 "each detector reports its case, with its events and creation"
    diff "$TMP/want" "$TMP/got" | sed 's/^/#   /'
fi
v=$("$PSQ" "$TMP/d.db" "SELECT json_extract(evidence, '\$.real_name') || ' ' || json_extract(evidence, '\$.named_by')
        FROM findings WHERE rule_id = 'accessibility-backdoor'")
[ "$v" = "cmd.exe OriginalFileName" ]; ok $? "sethc.exe is named cmd.exe by its OriginalFileName ($v)"
v=$("$PSQ" "$TMP/d.db" "SELECT json_extract(evidence, '\$.written_before_load_s') FROM findings WHERE rule_id = 'dll-sideloading'")
[ "$v" = 5.022 ]; ok $? "the side-loaded DLL was written 5.022 s before its load ($v)"
v=$("$PSQ" "$TMP/d.db" "SELECT json_extract(evidence, '\$.reported_by') FROM findings WHERE rule_id = 'procstage-lsass-silent-exit'")
[ "$v" = 'C:\Users\Public\dumper.exe' ]; ok $? "the lsass dump names the reporting program ($v)"
v=$("$PSQ" "$TMP/d.db" "SELECT count(*) FROM findings WHERE rule_id = 'procstage-silent-exit-event'")
[ "$v" = 0 ]; ok $? "lsass's silent exit is reported once, not also as a low silent-exit event"

run analyze "$FIX/detections.evtx"
out_has "real name: cmd.exe" "the text report gives the replaced program's real name"
out_has 'dll:       C:\Users\Public\app\helper.dll' "the text report gives the side-loaded DLL"
out_has 'by:        C:\Users\Public\dumper.exe' "the text report gives the program that dumped lsass"

# a loaded rule with a detector's id replaces it (the detector does not run)
cat >"$TMP/off.yml" <<'Y'
title: replaced
id: renamed-binary
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    Image: 'C:\nothing.exe'
  condition: selection
level: low
Y
run -q ingest "$FIX/detections.evtx" --rules "$TMP/off.yml" -o "$TMP/off.db"
v=$("$PSQ" "$TMP/off.db" "SELECT count(*) FROM findings WHERE rule_id = 'renamed-binary'")
[ "$v" = 0 ]; ok $? "a rule with the detector's id switches the detector off ($v findings)"

# masquerading on NT device paths: the system folder on any volume is not
# reported, a user folder is
sed 's|C:\\Windows\\System32\\notepad.exe|\\Device\\HarddiskVolume3\\Windows\\System32\\svchost.exe|g' \
    "$FIX/plain.csv" >"$TMP/sys.csv"
sed 's|C:\\Windows\\System32\\notepad.exe|\\Device\\HarddiskVolume3\\Users\\alice\\svchost.exe|g' \
    "$FIX/plain.csv" >"$TMP/user.csv"
run -q analyze --format json "$TMP/sys.csv"
! grep -q 'procstage-masquerading-system-binary' "$TMP/out"; ok $? "svchost.exe under \\Device\\HarddiskVolume3\\Windows\\System32 is no masquerade"
run -q analyze --format json "$TMP/user.csv"
grep -q 'procstage-masquerading-system-binary' "$TMP/out"; ok $? "svchost.exe under \\Device\\HarddiskVolume3\\Users is one"

finish
