/* The event-xml reader (parsers/winevent/event_xml.c): tracerpt's rendering of
 * kernel events through the ETW mapping (header facts, hex PIDs, bias
 * suffixes, ProcessingErrorData and BinaryEventData), wevtutil output with
 * and without a root, the probe, and damaged input: truncated, trailing
 * garbage, huge text, deep nesting, a DTD, UTF-16. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "parsers/winevent/evx.h"
#include "parsers/input.h"
#include "parsers/reader.h"
#include "tap.h"

static const char *srcdir(void)
{
    const char *s = getenv("top_srcdir");
    return s && *s ? s : ".";
}

typedef struct result {
    int rc;                   /* open or the failing next; 0 when all went well */
    char err[512];
    char warn[1024];
    unsigned nwarn;
    unsigned events, processes;
    ps_trace_info info;       /* copied at the end (kinds not kept) */
    char kinds[2048];         /* "operation=count;..." */
    char ops[2048];           /* the operations of the events, in order, ';'-separated */
    uint32_t pids[64];        /* the events' pids */
    int64_t ts[64];
    char proc_names[512];
} result;

static void on_warn(void *ctx, const char *msg)
{
    result *r = ctx;
    r->nwarn++;
    ps_strlcpy(r->warn, msg, sizeof r->warn);
}

static void run(const char *data, size_t len, const char *name, result *res)
{
    ps_input_opts io;
    ps_input *in = NULL;
    ps_reader *r = NULL;
    ps_reader_opts ro;
    ps_error err;
    ps_record rec;
    const ps_reader_ops *ops = ps_reader_find("event-xml");
    int n;

    memset(res, 0, sizeof *res);
    ps_input_opts_init(&io);
    ps_error_clear(&err);
    memset(&ro, 0, sizeof ro);
    ro.warn = on_warn;
    ro.warn_ctx = res;
    if (!ops || ps_input_open_mem(data, len, name, &io, &in, &err) < 0) {
        res->rc = -999;
        return;
    }
    if ((res->rc = ops->open(in, &ro, &r, &err)) < 0) {
        ps_strlcpy(res->err, err.msg, sizeof res->err);
        ps_input_close(in);
        return;
    }
    while ((n = ps_reader_next(r, &rec, &err)) > 0) {
        if (rec.type == PS_REC_EVENT) {
            if (res->events < 64) {
                res->pids[res->events] = rec.event->pid;
                res->ts[res->events] = rec.event->ts;
            }
            res->events++;
            if (strlen(res->ops) + strlen(rec.event->operation) + 2 < sizeof res->ops) {
                strcat(res->ops, rec.event->operation);
                strcat(res->ops, ";");
            }
        } else {
            res->processes++;
            if (rec.process->process_name &&
                strlen(res->proc_names) + strlen(rec.process->process_name) + 2 < sizeof res->proc_names) {
                strcat(res->proc_names, rec.process->process_name);
                strcat(res->proc_names, ";");
            }
        }
    }
    if (n < 0) {
        res->rc = n;
        ps_strlcpy(res->err, err.msg, sizeof res->err);
    }
    res->info = r->info;
    {
        size_t k;
        for (k = 0; k < r->info.nkinds; k++) {
            char one[160];
            snprintf(one, sizeof one, "%s=%llu;", r->info.kinds[k].operation,
                     (unsigned long long)r->info.kinds[k].count);
            if (strlen(res->kinds) + strlen(one) < sizeof res->kinds)
                strcat(res->kinds, one);
        }
    }
    res->info.kinds = NULL;
    ps_reader_close(r);
    ps_input_close(in);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

#define NS "http://schemas.microsoft.com/win/2004/08/events/event"
#define SYSMON_EVENT(pid)                                                                                    \
    "<Event xmlns=\"" NS "\"><System><Provider Name=\"Microsoft-Windows-Sysmon\"/><EventID>1</EventID>"     \
    "<TimeCreated SystemTime=\"2024-03-14T09:30:00.003000000Z\"/><Execution ProcessID=\"2244\" "            \
    "ThreadID=\"3104\"/><Computer>WS01</Computer></System><EventData>"                                    \
    "<Data Name=\"UtcTime\">2024-03-14 09:30:00.000</Data><Data Name=\"ProcessId\">" pid "</Data>"          \
    "<Data Name=\"Image\">C:\\Windows\\System32\\reg.exe</Data><Data Name=\"ParentProcessId\">2100</Data>" \
    "<Data Name=\"CommandLine\">reg add x</Data></EventData></Event>"

static void tracerpt_fixture(void)
{
    char path[4096];
    size_t len = 0;
    char *xml;
    result r;

    snprintf(path, sizeof path, "%s/fixtures/eventxml/tracerpt_edge.xml", srcdir());
    xml = slurp(path, &len);
    ok(xml != NULL, "tracerpt_edge.xml is there");
    if (!xml)
        return;
    run(xml, len, "tracerpt_edge.xml", &r);
    ok(r.rc == 0 && r.nwarn == 0, "reads without warnings (%d %s %s)", r.rc, r.err, r.warn);
    ok(r.info.family == PS_FAMILY_ETW, "kernel events: the ETW family");
    ok(r.info.pointer_size == 8 && r.info.cpu_count == 2 && r.info.events_lost == 7,
       "header: pointer size, processors, events lost (%d %d %llu)", r.info.pointer_size, r.info.cpu_count,
       (unsigned long long)r.info.events_lost);
    ok(strcmp(r.info.os_version, "Windows 10.0 build 19041") == 0, "header: OS version and build (%s)",
       r.info.os_version);
    ok(r.info.time_basis == PS_TIME_UTC && r.info.has_tid, "UTC times, thread ids");
    ok(strcmp(r.kinds, "EventTrace/Header=1;Process/DCStart=1;Thread/DCStart=1;opcode 33=1;Process/Start=1;"
                       "Thread/Start=1;Image/Load=3;Process/End=1;") == 0,
       "the ETW mapping's kinds (%s)", r.kinds);
    ok(r.info.undecoded == 1, "BinaryEventData of an unknown class: kept undecoded");
    ok(r.processes == 1 && strcmp(r.proc_names, "explorer.exe;") == 0, "the rundown process (%s)", r.proc_names);
    ok(r.events == 8, "8 events (%u)", r.events);
    ok(strcmp(r.ops, "Thread/DCStart;opcode 33;Process/Start;Thread/Start;Image/Load;Image/Load;Image/Load;"
                     "Process/End;") == 0,
       "in order (%s)", r.ops);
    ok(r.pids[0] == 0x10EC, "ProcessingErrorData: the thread's process from the binary payload (%u)", r.pids[0]);
    ok(r.pids[3] == 0x1A4, "Thread/Start from the binary payload: under the new process (%u)", r.pids[3]);
    ok(r.pids[2] == 4332 && r.pids[4] == 0x1A4, "hex PIDs (0x1A4)");
    ok(r.ts[2] == 133548822000000000LL, "\"+0159\" is UTC+2 (%lld)", (long long)r.ts[2]);
    ok(r.ts[7] - r.ts[2] == 5000000, "\"+09:59\" is UTC+10 (%lld)", (long long)(r.ts[7] - r.ts[2]));
    free(xml);
}

static void wevtutil(void)
{
    static const char rootless[] = "<?xml version=\"1.0\"?>\n" SYSMON_EVENT("3300") "\n" SYSMON_EVENT("3300") "\n";
    static const char rooted[] = "<Events>" SYSMON_EVENT("3300") "</Events>";
    static const char ctrl[] = SYSMON_EVENT("3300") "<Event xmlns=\"" NS "\"><System><Provider Name=\"x\"/>"
                               "<EventID>4</EventID></System><EventData><Data Name=\"a\">bad\x01\xff</Data>"
                               "</EventData></Event>";
    result r;

    run(rootless, sizeof rootless - 1, "rootless.xml", &r);
    ok(r.rc == 0 && r.events == 2 && r.nwarn == 0, "wevtutil: <Event> after <Event> without a root (%d %s)", r.rc,
       r.err);
    ok(r.info.family == PS_FAMILY_EVENTLOG && !r.info.has_tid, "Sysmon: the event-log family");
    ok(strcmp(r.info.host, "WS01") == 0, "the host from Computer");
    ok(r.pids[0] == 3300 && r.pids[1] == 3300, "the subject process from ProcessId");
    ok(r.info.nkinds == 0, "no ETW kinds");
    run(rooted, sizeof rooted - 1, "rooted.xml", &r);
    ok(r.rc == 0 && r.events == 1, "inside <Events>");
    run(ctrl, sizeof ctrl - 1, "ctrl.xml", &r);
    ok(r.rc == 0 && r.events == 2 && r.nwarn == 0, "control characters and bad UTF-8 survive (%s %s)", r.err,
       r.warn);
    run("<Events/>", 9, "empty.xml", &r);
    ok(r.rc == 0 && r.events == 0, "no events: nothing, no error");
}

static void probe(void)
{
    const ps_reader_ops *ops = ps_reader_find("event-xml");
    static const char pm[] = "<?xml version=\"1.0\"?><procmon><processlist></processlist><eventlist/></procmon>";
    static const char tr[] = "<Events>\n<Event xmlns=\"" NS "\">";
    static const char wv[] = "\xef\xbb\xbf<!-- x --><Event xmlns=\"" NS "\"><System>";

    ok(ops != NULL, "listed as event-xml");
    if (!ops)
        return;
    ok(ops->probe((const uint8_t *)pm, sizeof pm - 1) == 0, "Procmon XML is not claimed");
    ok(ops->probe((const uint8_t *)tr, sizeof tr - 1) >= 90, "tracerpt's <Events> is");
    ok(ops->probe((const uint8_t *)wv, sizeof wv - 1) >= 90, "so is a root-less <Event> after a BOM and comment");
    ok(ops->probe((const uint8_t *)"<Eventsx/>", 10) == 0 && ops->probe((const uint8_t *)"hello", 5) == 0,
       "other text is not");
}

static void damage(void)
{
    static const char trunc1[] = "<Events>" SYSMON_EVENT("1") "\n<Event xmlns=\"" NS "\"><System><Provider";
    static const char trunc0[] = "<Events>\n<Event xmlns=\"" NS "\"><System><Provider";
    static const char trailing[] = "<Events>" SYSMON_EVENT("1") "</Events>\ngarbage here";
    static const char nosys[] = "<Events>" SYSMON_EVENT("1") "<Event><Other/></Event>" SYSMON_EVENT("2") "</Events>";
    static const char dtd[] = "<!DOCTYPE Events [<!ENTITY a \"b\">]><Events>" SYSMON_EVENT("1") "</Events>";
    static const char wrongroot[] = "<Evts><Event/></Evts>";
    static const char utf16[] = "\xff\xfe<\0E\0";
    result r;
    char *big;
    size_t n, i;

    run(trunc1, sizeof trunc1 - 1, "t1.xml", &r);
    ok(r.rc == 0 && r.events == 1 && r.nwarn == 1, "truncated after an event: a warning, the event kept");
    ok(strstr(r.warn, "'t1.xml': line 2:") && strstr(r.warn, "1 event before it"), "naming file and line (%s)",
       r.warn);
    run(trunc0, sizeof trunc0 - 1, "t0.xml", &r);
    ok(r.rc == PS_ERR_INPUT && strstr(r.err, "'t0.xml': line 2:"), "truncated before any event: an error (%s)",
       r.err);
    run(trailing, sizeof trailing - 1, "tr.xml", &r);
    ok(r.rc == 0 && r.events == 1 && r.nwarn == 1 && strstr(r.warn, "line 2"),
       "text after the root: a warning (%s)", r.warn);
    run(nosys, sizeof nosys - 1, "ns.xml", &r);
    ok(r.rc == 0 && r.events == 2 && r.nwarn == 1 && strstr(r.warn, "no <System>"),
       "an event without <System>: skipped with a warning (%s)", r.warn);
    run(dtd, sizeof dtd - 1, "dtd.xml", &r);
    ok(r.rc == PS_ERR_INPUT && strstr(r.err, "document type"), "a DTD is refused (%s)", r.err);
    run(wrongroot, sizeof wrongroot - 1, "wr.xml", &r);
    ok(r.rc == PS_ERR_INPUT && strstr(r.err, "root element <Evts>"), "another root: an error (%s)", r.err);
    run(utf16, sizeof utf16 - 1, "u16.xml", &r);
    ok(r.rc == PS_ERR_INPUT && strstr(r.err, "UTF-16"), "UTF-16: a clear error (%s)", r.err);

    /* deep nesting inside an event */
    big = malloc(1 << 20);
    n = (size_t)sprintf(big, "<Events>" SYSMON_EVENT("1") "<Event><System/><UserData>");
    for (i = 0; i < 40; i++)
        n += (size_t)sprintf(big + n, "<a>");
    n += (size_t)sprintf(big + n, "x");
    for (i = 0; i < 40; i++)
        n += (size_t)sprintf(big + n, "</a>");
    n += (size_t)sprintf(big + n, "</UserData></Event></Events>");
    run(big, n, "deep.xml", &r);
    ok(r.rc == 0 && r.events == 1 && r.nwarn == 1 && strstr(r.warn, "deeper"),
       "deep nesting: the event is refused, the one before kept (%s)", r.warn);
    n = (size_t)sprintf(big, "<Events>");
    for (i = 0; i < 300; i++)
        n += (size_t)sprintf(big + n, "<Event>");
    run(big, n, "deeper.xml", &r);
    ok(r.rc < 0 && strstr(r.err, "'deeper.xml': line 1"), "deeper still, before any event: an error (%s)", r.err);
    free(big);

    /* a text node larger than an event may be */
    n = 20u << 20;
    big = malloc(n + 1024);
    i = (size_t)sprintf(big, "<Events>" SYSMON_EVENT("1") "\n<Event><System/><EventData><Data Name=\"x\">");
    memset(big + i, 'A', n);
    i += n;
    i += (size_t)sprintf(big + i, "</Data></EventData></Event></Events>");
    run(big, i, "huge.xml", &r);
    ok(r.rc == 0 && r.events == 1 && r.nwarn == 1 && (strstr(r.warn, "MiB") || strstr(r.warn, "huge")),
       "a huge text node: refused with a warning, the event before kept (%s)", r.warn);
    ok(strstr(r.warn, "'huge.xml': line") != NULL, "naming file and line");
    free(big);
}

int main(void)
{
    tracerpt_fixture();
    wevtutil();
    probe();
    damage();
    return tap_done();
}
