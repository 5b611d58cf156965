#!/bin/sh
# event_fields (schema version 3): one event_field_sets row per record, its
# fields as JSON, and the view event_fields with a row per field in the
# record's order; texts that need escaping in JSON come back byte for byte;
# a version 2 model (a row per field) is upgraded when a trace is appended
# to it and gives the model a version 3 ingest of the same traces gives;
# merge refuses version 2 sources with the way out.
. "$top_srcdir/tests/cli/lib.sh"
DUMP=$(cat "$top_srcdir/tests/cli/model_dump.sql")

# a record whose values need escaping: quotes, backslashes, a tab, a
# newline, non-ASCII, an empty value (XML has no other control characters)
cat >"$TMP/odd.xml" <<X
<?xml version="1.0" encoding="UTF-8"?>
<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"/>
    <EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode>
    <Keywords>0x8000000000000000</Keywords>
    <TimeCreated SystemTime="2024-03-14T09:30:00.000000000Z"/>
    <EventRecordID>7</EventRecordID>
    <Execution ProcessID="2000" ThreadID="3000"/>
    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>
    <Computer>WS01</Computer>
  </System>
  <EventData>
    <Data Name="ProcessId">4242</Data>
    <Data Name="Image">C:\\Windows\\System32\\cmd.exe</Data>
    <Data Name="CommandLine">cmd /c "echo \\"x\\"	tab&#10;line [31m ünï</Data>
    <Data Name="Description"></Data>
    <Data Name="ParentProcessId">4</Data>
  </EventData>
</Event>
</Events>
X
run ingest "$TMP/odd.xml" -o "$TMP/odd.db"
expect_status 0 "an event XML record with odd texts ingests"
got=$(q "$TMP/odd.db" "SELECT value FROM event_fields WHERE name = 'CommandLine'")
want=$(printf 'cmd /c "echo \\"x\\"\ttab\nline [31m ünï')
[ "$got" = "$want" ]
ok $? "quotes, backslashes, tab, newline and non-ASCII come back as they were"
[ "$(q "$TMP/odd.db" "SELECT count(*) FROM event_fields WHERE name = 'Description' AND value IS NULL")" = 1 ]
ok $? "an empty value is NULL"
[ "$(q "$TMP/odd.db" "SELECT group_concat(name, ',') FROM event_fields WHERE name IN ('ProcessId', 'Image', 'CommandLine', 'Description', 'ParentProcessId')")" = "ProcessId,Image,CommandLine,Description,ParentProcessId" ]
ok $? "fields in the record's order"
[ "$(q "$TMP/odd.db" "SELECT count(*) FROM event_field_sets")" = 1 ]
ok $? "one row per record"
[ "$(q "$TMP/odd.db" "SELECT value FROM meta WHERE key = 'schema_version'")" = 4 ]
ok $? "schema version 4"

# a version 2 model: the same traces with a row per field
run ingest "$FIX/sysmon_ifeo.evtx" "$FIX/exitmonitor.evtx" -o "$TMP/v2.db"
"$PSQ" --rw "$TMP/v2.db" "
    CREATE TABLE event_fields_v2 (event_id INTEGER NOT NULL, name TEXT NOT NULL, value TEXT);
    INSERT INTO event_fields_v2 SELECT event_id, name, value FROM event_fields;
    DROP VIEW event_fields; DROP TABLE event_field_sets;
    ALTER TABLE event_fields_v2 RENAME TO event_fields;
    CREATE INDEX event_fields_event ON event_fields (event_id);
    ALTER TABLE traces DROP COLUMN case_name;
    UPDATE meta SET value = '2' WHERE key = 'schema_version';" >/dev/null
[ "$(q "$TMP/v2.db" "SELECT type FROM sqlite_master WHERE name = 'event_fields'")" = table ]
ok $? "a version 2 model made"
run merge "$TMP/v2.db" -o "$TMP/m.db"
expect_status 4 "merge refuses a version 2 source"
err_has "schema version 2; merge reads version 3 and 4 databases (ingesting a trace into it upgrades it" "and says what to do"
run ingest "$FIX/security_ifeo.evtx" "$TMP/odd.xml" -o "$TMP/v2.db"
expect_status 0 "a trace appended to a version 2 model"
run ingest "$FIX/sysmon_ifeo.evtx" "$FIX/exitmonitor.evtx" "$FIX/security_ifeo.evtx" "$TMP/odd.xml" -o "$TMP/v3.db"
q "$TMP/v2.db" "$DUMP" >"$TMP/d2" 2>&1
q "$TMP/v3.db" "$DUMP" >"$TMP/d3" 2>&1
cmp -s "$TMP/d2" "$TMP/d3" && [ -s "$TMP/d2" ]
ok $? "the upgraded model is the one version 4 gives"
[ "$(q "$TMP/v2.db" "SELECT value FROM meta WHERE key = 'schema_version'")" = 4 ]
ok $? "and of version 4"
finish
