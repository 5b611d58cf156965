/*
 * event_xml.c - Windows events rendered as XML, streamed: `tracerpt -of XML`
 * of an ETW log, and `wevtutil qe /f:xml` or Event Viewer's "Save as XML"
 * of an event log (../shared/reference/formats.md section 5).
 *
 *   <Events>
 *     <Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
 *       <System>...</System> <EventData>...</EventData> <RenderingInfo>...
 *       <ExtendedTracingInfo><EventGuid>{class}</EventGuid></ExtendedTracingInfo>
 *     </Event> ...
 *   </Events>
 *
 * wevtutil writes the <Event> elements one after the other without a root:
 * such input is read as if it were wrapped in <Events>...</Events>.
 *
 * libxml2's xmlTextReader pulls the input through a callback that cleans
 * it chunk by chunk (control characters and invalid UTF-8 become U+FFFD, as
 * parsers/winevent/evx.c does for one event); each <Event> element is expanded
 * alone, decoded by ps_evx_from_node and freed before the next one, so
 * memory stays flat in the length of the file.
 *
 * Which mapping applies is decided by the first event:
 *   - tracerpt (an event with an ExtendedTracingInfo EventGuid or the
 *     MSNT_SystemTrace provider): source family ETW.  Each event becomes a
 *     ps_etw_kevent (class GUID and opcode, or provider GUID and event id;
 *     the <Data> values by their ETW names; for the events tracerpt could
 *     not decode, the fixed fields of the binary payload it printed in
 *     ProcessingErrorData or BinaryEventData) and goes through
 *     parsers/etw/kernel.c, like the events of an .etl file: same records,
 *     same event kinds.  The EventTrace header event gives the trace facts
 *     (pointer size, processors, OS version and build, events lost).
 *   - anything else (Sysmon, Security, ... from wevtutil): source family
 *     EVENTLOG, each event mapped by parsers/winevent/map.c like an EVTX record.
 *
 * Safety: no network, no DTD (refused), no entity substitution; elements
 * nested deeper than EVX_MAX_DEPTH, more than PS_EVX_MAX_XML bytes of XML in
 * one event (or between two events) and libxml2's own limits stop the read.
 * Damage after at least one event is a warning with the events before it
 * kept; before any, an error naming the file and line.
 */
#define _GNU_SOURCE
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arena.h"
#include "common/util.h"
#include "parsers/xmlerr.h"
#include "parsers/xmlguard.h"
#include "parsers/etw/kernel.h"
#include "parsers/winevent/evx.h"
#include "parsers/reader.h"
#include "parsers/winevent/map.h"

#define EVX_MAX_DEPTH 32
#define EVX_MAX_GAP ((size_t)PS_EVX_MAX_XML + (1u << 20))  /* bytes buffered past the last event start */
#define EVX_MAX_WARNINGS 20
#define EVX_CHUNK 65536
#define NO_PID 0xFFFFFFFFu

static const char k_ns_event[] = "http://schemas.microsoft.com/win/2004/08/events/event";
static const char k_systemtrace[] = "{9e814aad-3204-11d2-9a82-006008a86939}";

typedef struct evx_reader {
    ps_reader base;
    xmlTextReaderPtr xr;

    /* the input callback */
    ps_error io_err;
    ps_xml_guard guard;       /* attributes and size of start tags */
    bool io_failed, too_big, src_eof, wrap, prefix_done, suffix_done;
    uint64_t inject_at;       /* raw offset of "<Events>" when wrap */
    uint64_t raw_pos;         /* raw bytes taken from the input */
    uint64_t fed;             /* bytes handed to libxml2 */
    uint64_t mark;            /* bytes libxml2 had consumed at the last event start */
    char *raw;                /* EVX_CHUNK + 3 bytes: a chunk and a carried partial character */
    size_t carry;
    ps_buf out;               /* cleaned bytes not yet handed over */
    size_t out_pos;

    /* libxml2's first error */
    char xml_err[512];
    int xml_err_line;
    bool have_xml_err;

    ps_evx_parser *parser;
    bool etw;
    /* event-log mapping */
    ps_winevent *mapper;
    ps_event ev;
    /* ETW mapping */
    ps_etw_state *map;
    ps_etw_kevent k;
    ps_arena arena;           /* per event */
    int64_t last_ts;

    uint64_t seq, events, skipped;
    bool seen_root, advance, done;
    xmlNodePtr expanding;     /* the <Event> being expanded */
    bool expand_cut;          /* the parser failed inside it */
    bool damaged;             /* failed after the event being read: stop after it */
    const ps_evx *first;      /* read at open, mapped by the first next() */
    int first_line;
    bool pending;
} evx_reader;

static int evx_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err);
static int evx_next(ps_reader *r, ps_record *rec, ps_error *err);
static void evx_close(ps_reader *r);
static int read_event(struct evx_reader *r, const ps_evx **x, int *at, ps_error *err);
static int decide(struct evx_reader *r, const ps_evx *x, ps_error *err);

/* ---- what the file starts with ------------------------------------------------------ */

/* The offset of the first element's '<' after a BOM, an XML declaration,
 * processing instructions, comments and white space, or -1. */
static long first_element(const uint8_t *p, size_t n)
{
    size_t i = 0;

    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        i = 3;
    while (i < n) {
        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n') {
            i++;
        } else if (p[i] == '<' && i + 1 < n && p[i + 1] == '?') {
            const uint8_t *e = memmem(p + i, n - i, "?>", 2);
            if (!e)
                return -1;
            i = (size_t)(e - p) + 2;
        } else if (p[i] == '<' && i + 3 < n && memcmp(p + i, "<!--", 4) == 0) {
            const uint8_t *e = memmem(p + i, n - i, "-->", 3);
            if (!e)
                return -1;
            i = (size_t)(e - p) + 3;
        } else if (p[i] == '<') {
            return (long)i;
        } else {
            return -1;
        }
    }
    return -1;
}

/* Whether the element at p[at] is called `name`. */
static bool element_is(const uint8_t *p, size_t n, long at, const char *name)
{
    size_t k = strlen(name), i = (size_t)at + 1;

    if (at < 0 || i + k >= n || memcmp(p + i, name, k) != 0)
        return false;
    i += k;
    return p[i] == '>' || p[i] == ' ' || p[i] == '/' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n';
}

static int evx_probe(const uint8_t *p, size_t n)
{
    long at = first_element(p, n);
    bool schema = memmem(p, n, k_ns_event, sizeof k_ns_event - 1) != NULL;

    if (element_is(p, n, at, "Events"))
        return schema ? 95 : memmem(p, n, "<Event>", 7) || memmem(p, n, "<Event ", 7) ? 70 : 40;
    if (element_is(p, n, at, "Event"))
        return schema ? 95 : memmem(p, n, "<System>", 8) ? 70 : 0;
    return 0;
}

const ps_reader_ops ps_event_xml_reader = {
    .name = "event-xml",
    .summary = "Windows events as XML: tracerpt -of XML of an ETW log, wevtutil qe /f:xml of an event log",
    .detects = "an XML document of <Event> elements of the Windows event schema, in <Events> or without a root",
    .family = PS_FAMILY_ETW,
    .probe = evx_probe,
    .open = evx_open,
    .next = evx_next,
    .close = evx_close,
};

/* ---- the input callback ------------------------------------------------------------- */

/* Cleans raw[0..n) into r->out, "<Events>" inserted at inject_at. */
static int clean_chunk(evx_reader *r, size_t n)
{
    size_t head = n;

    if (r->wrap && !r->prefix_done && r->inject_at < r->raw_pos + n) {
        head = (size_t)(r->inject_at - r->raw_pos);
        if (ps_evx_sanitise(r->raw, head, &r->out) < 0 || ps_buf_append(&r->out, "<Events>", 8) < 0)
            return PS_ERR_NOMEM;
        r->prefix_done = true;
        return ps_evx_sanitise(r->raw + head, n - head, &r->out);
    }
    return ps_evx_sanitise(r->raw, n, &r->out);
}

/* Refills r->out; 0 at the end of everything, < 0 on failure. */
static int refill(evx_reader *r)
{
    ssize_t got;
    size_t total, done;

    ps_buf_reset(&r->out);
    r->out_pos = 0;
    while (r->out.len == 0) {
        if (r->src_eof) {
            if (r->wrap && !r->suffix_done) {
                r->suffix_done = true;
                if (ps_buf_append(&r->out, "</Events>\n", 10) < 0)
                    return PS_ERR_NOMEM;
                continue;
            }
            return 0;
        }
        got = ps_input_read(r->base.in, r->raw + r->carry, EVX_CHUNK, &r->io_err);
        if (got < 0)
            return got;
        total = r->carry + (size_t)got;
        if (got == 0) {
            r->src_eof = true;
            done = total;   /* a character cut short at the very end is cleaned as bad UTF-8 */
        } else {
            done = ps_evx_utf8_complete(r->raw, total);
        }
        if (clean_chunk(r, done) < 0)
            return PS_ERR_NOMEM;
        r->raw_pos += done;
        r->carry = total - done;
        memmove(r->raw, r->raw + done, r->carry);
    }
    return 1;
}

static int read_cb(void *ctx, char *buf, int len)
{
    evx_reader *r = ctx;
    size_t n;
    int rc;

    if (r->io_failed || r->too_big)
        return -1;
    if (r->fed - r->mark > EVX_MAX_GAP) {
        r->too_big = true;
        return -1;
    }
    if (r->out_pos == r->out.len) {
        rc = refill(r);
        if (rc < 0) {
            if (rc == PS_ERR_NOMEM)
                ps_error_nomem(&r->io_err);
            r->io_failed = true;
            return -1;
        }
        if (rc == 0)
            return 0;
    }
    n = r->out.len - r->out_pos;
    if (n > (size_t)len)
        n = (size_t)len;
    memcpy(buf, r->out.data + r->out_pos, n);
    if (ps_xml_guard_scan(&r->guard, buf, n, ps_input_name(r->base.in), &r->io_err) < 0) {
        r->io_failed = true;
        return -1;
    }
    r->out_pos += n;
    r->fed += n;
    return (int)n;
}

static int close_cb(void *ctx)
{
    (void)ctx;
    return 0;
}

static void error_cb(void *ctx, xmlErrorPtr e)
{
    evx_reader *r = ctx;
    size_t n;

    ps_xml_note(e);
    if (r->have_xml_err || !e || e->level < XML_ERR_ERROR)
        return;
    r->have_xml_err = true;
    if (r->expanding) {
        /* where the parser was: inside the event being expanded? */
        const xmlParserCtxt *pc = e->ctxt;
        const xmlNode *at = pc ? pc->node : NULL;
        r->expand_cut = !pc;
        for (; at; at = at->parent)
            if (at == r->expanding)
                r->expand_cut = true;
    }
    r->xml_err_line = e->line;
    ps_strlcpy(r->xml_err, e->message ? e->message : "malformed XML", sizeof r->xml_err);
    for (n = 0; r->xml_err[n]; n++)
        if (r->xml_err[n] == '\n' || r->xml_err[n] == '\r' || r->xml_err[n] == '\t')
            r->xml_err[n] = ' ';
    n = strlen(r->xml_err);
    while (n && (r->xml_err[n - 1] == ' ' || r->xml_err[n - 1] == '!' || r->xml_err[n - 1] == '.'))
        r->xml_err[--n] = '\0';
    if (r->xml_err[0] >= 'A' && r->xml_err[0] <= 'Z' && !(r->xml_err[1] >= 'A' && r->xml_err[1] <= 'Z'))
        r->xml_err[0] = (char)(r->xml_err[0] + 32);
}

/* ---- open / close ---------------------------------------------------------------------- */

static int evx_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err)
{
    evx_reader *r;
    const uint8_t *head;
    size_t hlen;
    long at;
    int rc;

    *out = NULL;
    r = calloc(1, sizeof *r);
    if (!r)
        return ps_error_nomem(err);
    ps_reader_base_init(&r->base, &ps_event_xml_reader, in, opts);
    ps_buf_init(&r->out);
    ps_arena_init(&r->arena, 16384);
    r->raw = malloc(EVX_CHUNK + 4);
    if (!r->raw) {
        rc = ps_error_nomem(err);
        goto fail;
    }
    if ((rc = ps_evx_parser_new(&r->parser, err)) < 0 || (rc = ps_winevent_new(&r->mapper, err)) < 0)
        goto fail;
    if ((rc = ps_input_peek(in, EVX_CHUNK, &head, &hlen, err)) < 0)
        goto fail;
    if (hlen >= 2 && ((head[0] == 0xFF && head[1] == 0xFE) || (head[0] == 0xFE && head[1] == 0xFF))) {
        rc = ps_error_set(err, PS_ERR_INPUT,
                          "'%s': offset 0: UTF-16 event XML; convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)",
                          ps_input_name(in));
        goto fail;
    }
    at = first_element(head, hlen);
    if (element_is(head, hlen, at, "Event")) {
        /* wevtutil: events without a root */
        r->wrap = true;
        r->inject_at = (uint64_t)at;
    }
    r->base.info.time_basis = PS_TIME_UTC;
    r->xr = xmlReaderForIO(read_cb, close_cb, r, NULL, "UTF-8",
                           XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_NOCDATA);
    if (!r->xr) {
        rc = ps_error_nomem(err);
        goto fail;
    }
    xmlTextReaderSetStructuredErrorHandler(r->xr, error_cb, r);
    /* the first event decides the mapping and gives the trace facts */
    if ((rc = read_event(r, &r->first, &r->first_line, err)) < 0)
        goto fail;
    r->pending = rc == 1;
    if ((rc = decide(r, r->pending ? r->first : NULL, err)) < 0)
        goto fail;
    *out = &r->base;
    return 0;
fail:
    evx_close(&r->base);
    return rc;
}

static void evx_close(ps_reader *base)
{
    evx_reader *r = (evx_reader *)base;

    if (!r)
        return;
    if (r->xr)
        xmlFreeTextReader(r->xr);
    ps_evx_parser_free(r->parser);
    ps_winevent_free(r->mapper);
    ps_etw_state_free(r->map);
    ps_arena_release(&r->arena);
    ps_buf_release(&r->out);
    free(r->raw);
    free(r);
}

/* ---- the first event: which mapping, trace facts ---------------------------------------- */

static bool is_tracerpt(const ps_evx *x)
{
    return *x->event_guid || strcasecmp(x->provider_guid, k_systemtrace) == 0 ||
           strcmp(x->provider_name, "MSNT_SystemTrace") == 0 || strcmp(x->rendered_provider, "MSNT_SystemTrace") == 0;
}

static uint64_t value_u64(const ps_evx *x, const char *name, uint64_t dflt)
{
    uint64_t v;
    return ps_evx_parse_number(ps_evx_get(x, name), &v) ? v : dflt;
}

/* The EventTrace header event tracerpt writes first (TRACE_LOGFILE_HEADER). */
static void header_facts(evx_reader *r, const ps_evx *x)
{
    ps_trace_info *info = &r->base.info;
    uint64_t ver = value_u64(x, "Version", 0), build = value_u64(x, "ProviderVersion", 0);
    uint64_t ptr = value_u64(x, "PointerSize", 0), ncpu = value_u64(x, "NumberOfProcessors", 0);
    uint64_t lost = value_u64(x, "EventsLost", 0), blost = value_u64(x, "BuffersLost", 0);

    if (ptr == 4 || ptr == 8)
        info->pointer_size = (int)ptr;
    if (ncpu && ncpu < 65536)
        info->cpu_count = (int)ncpu;
    /* Version: MajorVersion, MinorVersion in its two low bytes */
    if (ver && build)
        snprintf(info->os_version, sizeof info->os_version, "Windows %u.%u build %u", (unsigned)(ver & 0xFF),
                 (unsigned)(ver >> 8 & 0xFF), (unsigned)build);
    info->events_lost = lost;
    if (blost)
        ps_reader_warn(&r->base, "'%s': the log reports %llu lost buffer%s: their events are not in the file",
                       ps_input_name(r->base.in), (unsigned long long)blost, blost == 1 ? "" : "s");
}

static int decide(evx_reader *r, const ps_evx *x, ps_error *err)
{
    ps_trace_info *info = &r->base.info;
    int rc;

    r->etw = !x || is_tracerpt(x);
    if (x)
        ps_strlcpy(info->host, x->computer, sizeof info->host);
    if (r->etw) {
        ps_etw_state_opts so;
        info->family = PS_FAMILY_ETW;
        info->has_tid = true;
        if (x && *x->event_guid && strcasecmp(x->event_guid, "{68fdd900-4a3e-11d1-84f4-0000f80464e3}") == 0 &&
            x->opcode == 0)
            header_facts(r, x);
        snprintf(info->time_note, sizeof info->time_note,
                 "each event's TimeCreated as tracerpt rendered it (local time and a bias such as \"+0159\", "
                 "rounded to the quarter hour) converted to UTC, 100 ns");
        memset(&so, 0, sizeof so);
        so.log_pointer_size = info->pointer_size;
        so.no_stacks = r->base.opts.no_stacks;
        if ((rc = ps_etw_state_new(&so, &r->map, err)) < 0)
            return rc;
    } else {
        info->family = PS_FAMILY_EVENTLOG;
        info->has_tid = false;
        snprintf(info->time_note, sizeof info->time_note,
                 "each event's TimeCreated (UTC, 100 ns); Sysmon boundaries from UtcTime (1 ms)");
    }
    return 0;
}

/* ---- one event ----------------------------------------------------------------------------- */

static int set_kevent(evx_reader *r, const ps_evx *x)
{
    ps_etw_kevent *k = &r->k;
    uint8_t guid[16];
    uint32_t i;
    int rc;

    ps_arena_reset(&r->arena);
    ps_etw_kevent_reset(k);
    k->pointer_size = r->base.info.pointer_size ? r->base.info.pointer_size : 8;
    if (*x->event_guid && ps_etw_guid_parse(x->event_guid, guid)) {
        /* a classic (MOF) event: its class and opcode */
        ps_etw_kevent_identify(k, guid, x->opcode >= 0 ? (unsigned)x->opcode : 0, 0,
                               x->version >= 0 ? (unsigned)x->version : 0);
    } else if (*x->provider_guid && ps_etw_guid_parse(x->provider_guid, guid)) {
        ps_etw_kevent_identify(k, guid, x->opcode >= 0 ? (unsigned)x->opcode : 0, x->event_id,
                               x->version >= 0 ? (unsigned)x->version : 0);
        k->has_id = x->has_event_id;
    } else {
        k->opcode = x->opcode >= 0 ? (unsigned)x->opcode : 0;
        k->id = x->event_id;
        k->has_id = x->has_event_id;
        k->version = x->version >= 0 ? (unsigned)x->version : 0;
    }
    if (k->prov == PS_ETW_OTHER)
        k->provider_name = *x->provider_name ? x->provider_name : *x->rendered_provider ? x->rendered_provider : NULL;
    if (x->has_ts)
        r->last_ts = x->ts;
    k->ts = r->last_ts;
    k->has_pid = x->has_pid && x->pid != NO_PID;
    k->pid = x->pid;
    k->has_tid = x->has_tid && x->tid != NO_PID;
    k->tid = x->tid;

    if (x->payload == PS_EVX_EVENTDATA || x->payload == PS_EVX_USERDATA) {
        for (i = 0; i < x->nvalues; i++) {
            const char *v = x->values[i].value;
            /* tracerpt writes a SID as its account: "\\NT AUTHORITY\SYSTEM" */
            if (strcmp(x->values[i].name, "UserSID") == 0 && v[0] == '\\' && v[1] == '\\' && v[2] != '\\')
                v += 2;
            if ((rc = ps_etw_kevent_set(k, x->values[i].name, v, &r->arena)) < 0)
                return rc;
        }
    } else if (x->payload == PS_EVX_BINARY || x->payload == PS_EVX_ERROR) {
        /* not rendered: the fixed fields of the binary payload */
        const char *hex = ps_evx_get(x, x->payload == PS_EVX_BINARY ? "BinaryEventData" : "EventPayload");
        const uint8_t *b;
        size_t n;
        if (hex && *hex && ps_etw_hex_bytes(hex, &r->arena, &b, &n))
            ps_etw_kevent_fixed_payload(k, b, n);
    }
    return 0;
}

static void skip_warning(evx_reader *r, const char *why)
{
    r->skipped++;
    if (r->skipped > EVX_MAX_WARNINGS) {
        if (r->skipped == EVX_MAX_WARNINGS + 1 && r->base.opts.warn)
            r->base.opts.warn(r->base.opts.warn_ctx, "further unreadable events are counted, not shown");
        return;
    }
    ps_reader_warn(&r->base, "%s; the event is skipped", why);
}

/* Maps the decoded event x: 1 with a record, 0 when it gave none, < 0 on error. */
static int map_event(evx_reader *r, const ps_evx *x, int line, ps_record *rec, ps_error *err)
{
    int rc;

    memset(rec, 0, sizeof *rec);
    if (!r->etw) {
        if ((rc = ps_winevent_map(r->mapper, x, ++r->seq, &r->ev, err)) < 0)
            return rc;
        r->ev.src_line = (uint64_t)line;
        if (!x->has_ts)
            r->base.info.undecoded++;
        rec->type = PS_REC_EVENT;
        rec->event = &r->ev;
        return 1;
    }
    if ((rc = set_kevent(r, x)) < 0)
        return ps_error_nomem(err);
    rc = ps_etw_map(r->map, &r->k, rec, err);
    r->base.info.kinds = ps_etw_kinds(r->map, &r->base.info.nkinds);
    r->base.info.undecoded = ps_etw_undecoded(r->map);
    if (rc <= 0)
        return rc;
    if (rec->type == PS_REC_EVENT) {
        ps_event *ev = (ps_event *)rec->event;
        ev->seq = ++r->seq;
        ev->src_line = (uint64_t)line;
    }
    return 1;
}

static int fail_xml(evx_reader *r, int line, ps_error *err)
{
    const char *name = ps_input_name(r->base.in);
    char msg[700];

    if (r->io_failed) {
        *err = r->io_err;
        return r->io_err.code ? r->io_err.code : PS_ERR_IO;
    }
    if (r->too_big)
        snprintf(msg, sizeof msg, "line %d: more than %u MiB of XML in one event", line,
                 (unsigned)(EVX_MAX_GAP >> 20));
    else
        snprintf(msg, sizeof msg, "line %d: %s", r->have_xml_err ? r->xml_err_line : line,
                 r->have_xml_err ? r->xml_err : "malformed XML");
    if (r->events > 0) {
        ps_reader_warn(&r->base, "'%s': %s; %llu event%s before it kept", name, msg,
                       (unsigned long long)r->events, r->events == 1 ? "" : "s");
        r->done = true;
        return 0;
    }
    return ps_error_set(err, r->too_big ? PS_ERR_LIMIT : PS_ERR_INPUT, "'%s': %s", name, msg);
}

/* The next <Event> decoded: 1 with *x and its line, 0 at the end (or after
 * damage reported as a warning), < 0 on error. */
static int read_event(evx_reader *r, const ps_evx **x, int *at, ps_error *err)
{
    const char *fname = ps_input_name(r->base.in);
    int ret, rc;

    if (r->done)
        return 0;
    for (;;) {
        int type, depth, line;
        const char *name;
        xmlNodePtr node;
        ps_error perr;
        char where[600];

        if (r->damaged) {
            ret = -1;
            break;
        }
        if (r->advance) {
            r->advance = false;
            ret = xmlTextReaderNext(r->xr);
        } else {
            ret = xmlTextReaderRead(r->xr);
        }
        if (ret != 1)
            break;
        type = xmlTextReaderNodeType(r->xr);
        depth = xmlTextReaderDepth(r->xr);
        name = (const char *)xmlTextReaderConstLocalName(r->xr);
        line = xmlTextReaderGetParserLineNumber(r->xr);
        if (depth <= 1) {
            long long c = xmlTextReaderByteConsumed(r->xr);
            if (c >= 0)
                r->mark = (uint64_t)c;
        }
        if (depth > EVX_MAX_DEPTH) {
            ps_error_set(err, PS_ERR_LIMIT, "'%s': line %d: elements nested deeper than %d levels", fname, line,
                         EVX_MAX_DEPTH);
            goto damaged;
        }
        if (type == XML_READER_TYPE_DOCUMENT_TYPE)
            return ps_error_set(err, PS_ERR_INPUT,
                                "'%s': line %d: a document type declaration; event XML never has one and "
                                "procstage refuses it (entity expansion is disabled)",
                                fname, line);
        if (type == XML_READER_TYPE_ENTITY_REFERENCE)
            return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: an entity reference '&%s;'", fname, line,
                                name ? name : "");
        if (type != XML_READER_TYPE_ELEMENT || !name)
            continue;
        if (depth == 0) {
            if (strcmp(name, "Events") != 0 && strcmp(name, "Event") != 0)
                return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: root element <%s>, not <Events> or <Event>",
                                    fname, line, name);
            r->seen_root = true;
            if (strcmp(name, "Events") == 0)
                continue;
        } else if (depth > 1 || strcmp(name, "Event") != 0) {
            /* something else beside the events: not ours */
            r->advance = depth == 1;
            continue;
        }
        /* an <Event>: expanded alone, decoded, freed by the move past it */
        r->expanding = xmlTextReaderCurrentNode(r->xr);
        r->expand_cut = false;
        node = xmlTextReaderExpand(r->xr);
        if (!node) {
            /* the parser failed while it read ahead: the event is whole
             * when the damage came after its end tag */
            if (!r->have_xml_err || r->expand_cut || r->io_failed || r->too_big || !r->expanding) {
                r->expanding = NULL;
                break;
            }
            node = r->expanding;
            r->damaged = true;
        }
        r->expanding = NULL;
        r->advance = true;
        snprintf(where, sizeof where, "'%s': line %d", fname, line);
        ps_error_clear(&perr);
        if ((rc = ps_evx_from_node(r->parser, node, where, x, &perr)) < 0) {
            if (rc == PS_ERR_NOMEM)
                return ps_error_nomem(err);
            skip_warning(r, perr.msg);
            continue;
        }
        if (ps_xml_nomem())   /* libxml2 lost part of the input: never a shorter event */
            return ps_error_nomem(err);
        r->events++;
        *at = line;
        return 1;
    }
    if (ps_xml_nomem())
        return ps_error_nomem(err);
    if (ret < 0 || r->io_failed || r->too_big || r->have_xml_err)
        return fail_xml(r, xmlTextReaderGetParserLineNumber(r->xr), err);
    if (!r->seen_root)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': no <Events> or <Event> element", fname);
    r->done = true;
    return 0;

damaged:
    if (r->events > 0) {
        ps_reader_warn(&r->base, "%s; %llu event%s before it kept", err->msg, (unsigned long long)r->events,
                       r->events == 1 ? "" : "s");
        ps_error_clear(err);
        r->done = true;
        return 0;
    }
    return err->code;
}

static int evx_next(ps_reader *base, ps_record *rec, ps_error *err)
{
    evx_reader *r = (evx_reader *)base;
    const ps_evx *x;
    int line = 0, rc;

    for (;;) {
        if (r->pending) {
            /* the first event, read at open */
            r->pending = false;
            x = r->first;
            line = r->first_line;
        } else if ((rc = read_event(r, &x, &line, err)) <= 0) {
            return rc;
        }
        if ((rc = map_event(r, x, line, rec, err)) != 0)
            return rc;
    }
}
