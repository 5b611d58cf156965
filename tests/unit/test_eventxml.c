/*
 * test_eventxml.c - the event XML layer (parsers/winevent/evx.c) and the
 * Windows event mapping (parsers/winevent/map.c).
 */
#include "common/util.h"
#include "parsers/winevent/evx.h"
#include "parsers/winevent/map.h"
#include "tap.h"

static const char SYSMON1[] =
    "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
    "  <System>\n"
    "    <Provider Name=\"Microsoft-Windows-Sysmon\" Guid=\"{5770385F-C22A-43E0-BF4C-06F5698FFBD9}\"/>\n"
    "    <EventID>1</EventID>\n    <Version>5</Version>\n    <Level>4</Level>\n    <Task>1</Task>\n"
    "    <Opcode>0</Opcode>\n    <Keywords>0x8000000000000000</Keywords>\n"
    "    <TimeCreated SystemTime=\"2019-05-16T14:17:15.762708800Z\"/>\n"
    "    <EventRecordID>18617</EventRecordID>\n    <Correlation/>\n"
    "    <Execution ProcessID=\"1780\" ThreadID=\"2204\"/>\n"
    "    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>\n"
    "    <Computer>DC1.insecurebank.local</Computer>\n    <Security UserID=\"S-1-5-18\"/>\n"
    "  </System>\n  <EventData>\n"
    "    <Data Name=\"RuleName\"/>\n"
    "    <Data Name=\"UtcTime\">2019-05-16 14:17:15.753</Data>\n"
    "    <Data Name=\"ProcessGuid\">{DFAE8213-70EB-5CDD-0000-0010F66D0A00}</Data>\n"
    "    <Data Name=\"ProcessId\">3788</Data>\n"
    "    <Data Name=\"Image\">C:\\Windows\\System32\\reg.exe</Data>\n"
    "    <Data Name=\"CommandLine\">reg  add hklm\\x /v EnableLUA /d 0x0 &amp; more</Data>\n"
    "    <Data Name=\"CurrentDirectory\">C:\\</Data>\n"
    "    <Data Name=\"User\">insecurebank\\Administrator</Data>\n"
    "    <Data Name=\"IntegrityLevel\">High</Data>\n"
    "    <Data Name=\"ParentProcessId\">3748</Data>\n"
    "    <Data Name=\"ParentCommandLine\">\"C:\\Windows\\system32\\cmd.exe\" </Data>\n"
    "  </EventData>\n</Event>\n";

int main(void)
{
    ps_evx_parser *p = NULL;
    ps_winevent *m = NULL;
    const ps_evx *x;
    ps_event ev;
    ps_error err;
    int64_t t, want;

    ok(ps_evx_parser_new(&p, &err) == 0 && ps_winevent_new(&m, &err) == 0, "parser and mapper");

    /* times */
    want = ps_days_from_civil(2019, 5, 16) * PS_TICKS_PER_DAY + (14 * 3600 + 17 * 60 + 15) * PS_TICKS_PER_SEC;
    ok(ps_evx_parse_time("2019-05-16T14:17:15.762708800Z", &t) && t == want + 7627088, "ISO time with 9 decimals");
    ok(ps_evx_parse_time("2019-05-16 14:17:15.753", &t) && t == want + 7530000, "Sysmon UtcTime");
    ok(ps_evx_parse_time("2019-05-16T16:17:15.0+02:00", &t) && t == want, "+hh:mm offset");
    ok(ps_evx_parse_time("2019-05-16T16:17:15.000000000+0159", &t) && t == want,
       "tracerpt's +0159 bias is UTC+2");
    ok(!ps_evx_parse_time("2019-05-16", &t) && !ps_evx_parse_time("garbage", &t), "not times");

    /* numbers */
    {
        uint64_t v;
        ok(ps_evx_parse_number("0x000001fc", &v) && v == 0x1fc, "hex PID");
        ok(ps_evx_parse_number("  65536", &v) && v == 65536, "padded decimal (tracerpt)");
        ok(!ps_evx_parse_number("12a", &v), "not a number");
    }

    /* one Sysmon 1 record */
    ok(ps_evx_parse(p, SYSMON1, sizeof SYSMON1 - 1, "test", &x, &err) == 0, "Sysmon 1 parses");
    is_str(x->provider_name, "Microsoft-Windows-Sysmon", "provider");
    is_int(x->event_id, 1, "event id");
    is_int(x->record_id, 18617, "record id");
    is_int(x->pid, 1780, "execution pid");
    is_str(x->computer, "DC1.insecurebank.local", "computer");
    is_str(x->user_sid, "S-1-5-18", "user SID");
    is_str(ps_evx_get(x, "RuleName"), "", "an empty Data element");
    is_str(ps_evx_get(x, "CommandLine"), "reg  add hklm\\x /v EnableLUA /d 0x0 & more", "entities decoded");
    is_str(ps_evx_get(x, "ParentCommandLine"), "\"C:\\Windows\\system32\\cmd.exe\" ", "trailing space kept");
    ok(ps_winevent_map(m, x, 7, &ev, &err) == 0, "maps");
    is_int(ev.op, PS_OP_PROCESS_START, "Sysmon 1 is the child's Process Start");
    is_int(ev.pid, 3788, "under the new process");
    ok(ev.has_parent_pid && ev.parent_pid == 3748, "its parent");
    is_str(ev.path, "C:\\Windows\\System32\\reg.exe", "the image");
    is_str(ev.proc->integrity, "High", "integrity");
    ok(!ev.has_tid, "no thread of the subject");
    is_str(ps_event_field(&ev, "EventID"), "1", "System fields: EventID");
    is_str(ps_event_field(&ev, "Provider_Name"), "Microsoft-Windows-Sysmon", "System fields: Provider_Name");
    is_str(ps_event_field(&ev, "ExecutionProcessID"), "1780", "System fields: Execution");
    is_str(ps_event_field(&ev, "Image"), "C:\\Windows\\System32\\reg.exe", "payload fields");

    /* Security 4657: hex PIDs, registry path normalised */
    {
        static const char S4657[] =
            "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>"
            "<Provider Name=\"Microsoft-Windows-Security-Auditing\"/><EventID>4657</EventID>"
            "<TimeCreated SystemTime=\"2024-03-14T09:30:00Z\"/><Channel>Security</Channel></System><EventData>"
            "<Data Name=\"ObjectName\">\\REGISTRY\\MACHINE\\SOFTWARE\\X</Data>"
            "<Data Name=\"ObjectValueName\">Debugger</Data><Data Name=\"OperationType\">%%1905</Data>"
            "<Data Name=\"NewValue\">cmd.exe</Data><Data Name=\"ProcessId\">0x00000ce4</Data>"
            "<Data Name=\"ProcessName\">C:\\Windows\\reg.exe</Data></EventData></Event>";
        ok(ps_evx_parse(p, S4657, sizeof S4657 - 1, "test", &x, &err) == 0 && ps_winevent_map(m, x, 1, &ev, &err) == 0,
           "Security 4657");
        is_int(ev.op, PS_OP_REG_SET_VALUE, "a value set");
        is_str(ev.path, "HKLM\\SOFTWARE\\X\\Debugger", "normalised key and value");
        is_int(ev.pid, 3300, "hex process id");
        is_str(ev.reg_data, "cmd.exe", "new value");
    }
    /* payload kinds */
    {
        static const char UD[] =
            "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><System>"
            "<Provider Name=\"Microsoft-Windows-Eventlog\"/><EventID>104</EventID></System><UserData>"
            "<LogFileCleared xmlns=\"http://manifests.microsoft.com/win/2004/08/windows/eventlog\">"
            "<SubjectUserName>user01</SubjectUserName><BackupPath/></LogFileCleared></UserData></Event>";
        static const char UNNAMED[] =
            "<Event><System><Provider Name=\"MSSQLSERVER\"/><EventID Qualifiers=\"16384\">15457</EventID></System>"
            "<EventData><Data>a</Data><Data>b</Data><Binary>6100</Binary></EventData></Event>";
        static const char PED[] =
            "<Event><System><Provider Name=\"Microsoft-Windows-WinRM\"/><EventID>91</EventID></System>"
            "<ProcessingErrorData><ErrorCode>15005</ErrorCode><DataItemName>shellId</DataItemName>"
            "<EventPayload>6800</EventPayload></ProcessingErrorData></Event>";
        static const char BIN[] =
            "<Event><System><Provider Guid=\"{9e814aad-3204-11d2-9a82-006008a86939}\"/><EventID>0</EventID>"
            "<Execution ProcessID=\"0x10EC\" ThreadID=\"4294967295\"/></System>"
            "<BinaryEventData>0102</BinaryEventData></Event>";
        ok(ps_evx_parse(p, UD, sizeof UD - 1, "t", &x, &err) == 0 && x->payload == PS_EVX_USERDATA, "UserData");
        is_str(x->userdata_name, "LogFileCleared", "its wrapper");
        is_str(ps_evx_get(x, "SubjectUserName"), "user01", "its leaves");
        ok(ps_evx_parse(p, UNNAMED, sizeof UNNAMED - 1, "t", &x, &err) == 0, "unnamed Data");
        is_str(ps_evx_get(x, "Data2"), "b", "by position");
        is_str(ps_evx_get(x, "Binary"), "6100", "Binary");
        ok(x->has_qualifiers && x->qualifiers == 16384, "Qualifiers");
        ok(ps_evx_parse(p, PED, sizeof PED - 1, "t", &x, &err) == 0 && x->payload == PS_EVX_ERROR,
           "ProcessingErrorData");
        is_str(ps_evx_get(x, "DataItemName"), "shellId", "its items");
        ok(ps_evx_parse(p, BIN, sizeof BIN - 1, "t", &x, &err) == 0 && x->payload == PS_EVX_BINARY,
           "BinaryEventData");
        ok(x->has_pid && x->pid == 0x10EC, "a hex execution PID");
        ok(ps_winevent_map(m, x, 1, &ev, &err) == 0 && ev.cls == PS_CLASS_OTHER, "an unknown provider is class Other");
    }
    /* bad input */
    {
        static const char CTRL[] = "<Event><System><EventID>1</EventID></System><EventData>"
                                   "<Data Name=\"PrivilegeList\">\x0f-\xff</Data></EventData></Event>";
        static const char DTD[] = "<!DOCTYPE x [<!ENTITY a \"b\">]><Event><System/></Event>";
        ok(ps_evx_parse(p, CTRL, sizeof CTRL - 1, "t", &x, &err) == 0, "control characters and bad UTF-8 survive");
        is_str(ps_evx_get(x, "PrivilegeList"), "\xef\xbf\xbd-\xef\xbf\xbd", "as U+FFFD");
        ok(ps_evx_parse(p, DTD, sizeof DTD - 1, "'x.evtx': record 3", &x, &err) == PS_ERR_INPUT, "a DTD is refused");
        ok(strstr(err.msg, "record 3") != NULL, "naming the record (%s)", err.msg);
        ok(ps_evx_parse(p, "<Event><System>", 15, "t", &x, &err) == PS_ERR_INPUT, "truncated XML");
        ok(strstr(err.msg, "malformed event XML") != NULL, "a clear message (%s)", err.msg);
        ok(ps_evx_parse(p, "<Other/>", 8, "t", &x, &err) == PS_ERR_INPUT, "not an <Event>");
        ok(ps_evx_parse(p, "<Event/>", 8, "t", &x, &err) == PS_ERR_INPUT, "an <Event> without <System>");
    }
    ps_evx_parser_free(p);
    ps_winevent_free(m);
    return tap_done();
}
