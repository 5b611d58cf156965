/*
 * evx.h - one Windows event in its XML rendering, independent of where
 * it came from.
 *
 * The event schema (xmlns "http://schemas.microsoft.com/win/2004/08/events/
 * event") is shared by every Windows event source procstage reads: each EVTX
 * record as libevtx renders it, `wevtutil qe /f:xml`, Event Viewer's "Save
 * as XML", and `tracerpt -of XML` for ETW traces:
 *
 *   <Event xmlns="...">
 *     <System>
 *       <Provider Name="..." Guid="{...}" EventSourceName="..."/>
 *       <EventID Qualifiers="16384">4688</EventID>
 *       <Version/> <Level/> <Task/> <Opcode/> <Keywords>0x80..</Keywords>
 *       <TimeCreated SystemTime="2019-05-16T14:17:15.762708800Z"/>
 *       <EventRecordID/> <Correlation ActivityID= RelatedActivityID=/>
 *       <Execution ProcessID="4" ThreadID="56" ProcessorID= KernelTime= UserTime=/>
 *       <Channel/> <Computer/> <Security UserID="S-1-5-18"/>
 *     </System>
 *     one of <EventData><Data Name="x">v</Data>...<Binary>hex</Binary></EventData>,
 *            <UserData><Wrapper xmlns=...><Field>v</Field>...</Wrapper></UserData>,
 *            <BinaryEventData>hex</BinaryEventData>,
 *            <ProcessingErrorData><ErrorCode/><DataItemName/><EventPayload/></...>
 *     <RenderingInfo Culture=...><Message/><Level/><Task/><Opcode/><Provider/>...
 *     <ExtendedTracingInfo xmlns=".../trace"><EventGuid>{...}</EventGuid>   (tracerpt)
 *   </Event>
 *
 * This module turns that into a ps_evx: the System values decoded (numbers in
 * decimal or 0x-hex, TimeCreated with the odd suffixes tracerpt writes, such
 * as "+0159" or a missing "Z"), and the payload as an ordered list of
 * name/value pairs:
 *
 *   - EventData: <Data Name="n"> gives n; an unnamed <Data> gives "Data1",
 *     "Data2", ... by position; <Binary> gives "Binary";
 *   - UserData: the leaf elements under the wrapper, by their local name
 *     (nested leaves by their own name too); userdata_name is the wrapper's;
 *   - BinaryEventData: one pair "BinaryEventData";
 *   - ProcessingErrorData: "ErrorCode", "DataItemName", "EventPayload".
 *
 * Payload values are kept exactly as written (a Sysmon ParentCommandLine may
 * end with a space; tracerpt pads numbers with spaces); System values are
 * trimmed.  The module knows nothing of providers: parsers/winevent/map.h maps a
 * ps_evx to a ps_event.
 *
 * Input safety: no network, no DTD (a document type declaration is refused),
 * no entity substitution; characters XML 1.0 forbids (control characters,
 * which real Security logs carry in PrivilegeList) and invalid UTF-8 become
 * U+FFFD before parsing, so one bad byte does not lose the record.  Limits:
 * PS_EVX_MAX_XML bytes of XML and PS_EVX_MAX_FIELDS payload values per event.
 *
 * Two entry points:
 *   ps_evx_parse      one <Event> element as text (an EVTX record's XML);
 *   ps_evx_from_node  an <Event> element libxml2 already parsed (a streaming
 *                     reader of a whole <Events> file expands one element at
 *                     a time with xmlTextReaderExpand and passes it here).
 *
 * Ownership: a ps_evx_parser is owned by the caller (ps_evx_parser_new /
 * ps_evx_parser_free).  The ps_evx it returns, and every string in it, belong
 * to the parser and stay valid until its next parse call.
 */
#ifndef PS_EVX_H
#define PS_EVX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/util.h"

#define PS_EVX_MAX_XML (16u << 20)
#define PS_EVX_MAX_FIELDS 4096

typedef enum ps_evx_payload {
    PS_EVX_NONE = 0,
    PS_EVX_EVENTDATA,
    PS_EVX_USERDATA,
    PS_EVX_BINARY,
    PS_EVX_ERROR
} ps_evx_payload;

typedef struct ps_evx_value {
    const char *name;
    const char *value;          /* never NULL */
} ps_evx_value;

typedef struct ps_evx {
    /* System; strings are "" when absent */
    const char *provider_name;
    const char *provider_guid;
    const char *event_source_name;
    bool has_event_id;
    uint32_t event_id;
    bool has_qualifiers;
    uint32_t qualifiers;
    int version, level, task, opcode;   /* -1 when absent */
    bool has_keywords;
    uint64_t keywords;
    const char *keywords_text;          /* as written */
    const char *time_created;           /* the SystemTime attribute as written */
    bool has_ts;
    int64_t ts;                         /* FILETIME UTC */
    bool has_record_id;
    uint64_t record_id;
    const char *activity_id, *related_activity_id;
    bool has_pid, has_tid;
    uint32_t pid, tid;                  /* Execution ProcessID / ThreadID */
    int32_t processor_id;               /* -1 when absent */
    const char *channel;
    const char *computer;
    const char *user_sid;               /* Security UserID */

    /* payload */
    ps_evx_payload payload;
    const char *userdata_name;          /* UserData wrapper element */
    const ps_evx_value *values;
    uint32_t nvalues;

    /* RenderingInfo (wevtutil /rd:true, tracerpt); "" when absent */
    const char *message;
    const char *rendered_level, *rendered_task, *rendered_opcode, *rendered_provider;
    const char *event_name;             /* tracerpt: RenderingInfo EventName */

    /* tracerpt: <ExtendedTracingInfo><EventGuid> (the classic event class
     * GUID, "{3d6fa8d0-...}" for Process); "" when absent */
    const char *event_guid;
} ps_evx;

typedef struct ps_evx_parser ps_evx_parser;

int ps_evx_parser_new(ps_evx_parser **out, ps_error *err);
void ps_evx_parser_free(ps_evx_parser *p);

/* Parses xml[0..len), one <Event> element.  `where` names the record in
 * messages ("'Security.evtx': record 1234"). */
int ps_evx_parse(ps_evx_parser *p, const char *xml, size_t len, const char *where, const ps_evx **out,
                 ps_error *err);

/* Decodes an <Event> element node (an xmlNodePtr, passed as void * so that
 * this header does not need libxml2's). */
int ps_evx_from_node(ps_evx_parser *p, const void *event_node, const char *where, const ps_evx **out,
                     ps_error *err);

/* Appends xml[0..len) to out with what XML 1.0 cannot carry (control
 * characters other than tab, LF, CR; invalid UTF-8) replaced by U+FFFD, as
 * ps_evx_parse does before parsing; a streaming reader cleans each chunk of
 * its input with it.  0 or PS_ERR_NOMEM. */
int ps_evx_sanitise(const char *xml, size_t len, ps_buf *out);

/* The length of s[0..len) without a UTF-8 sequence cut short at its end
 * (len when the text ends on a whole character): what a chunked reader may
 * sanitise now, the rest waiting for the next chunk. */
size_t ps_evx_utf8_complete(const char *s, size_t len);

/* An empty event: every string "", every number absent (-1 or has_ false):
 * what a decoder starts from. */
void ps_evx_init(ps_evx *x);

/* The value of the first payload pair called `name`, or NULL. */
const char *ps_evx_get(const ps_evx *x, const char *name);

/* "2019-05-16T14:17:15.762708800Z", "...+02:00", "...+0159", without a zone
 * (taken as UTC), and "2019-05-16 14:17:15.753" (Sysmon's UtcTime): FILETIME
 * UTC.  tracerpt writes local time followed by a bias such as "+0159" for
 * UTC+2 (checked on ../shared/data/etw/tracerpt_sample.xml against the
 * header's StartTime FILETIME): a four-digit suffix without a colon is read
 * as hhmm and rounded to the nearest quarter hour; so is "+09:59", which
 * tracerpt writes too.  False when s is not such a time. */
bool ps_evx_parse_time(const char *s, int64_t *ft);

/* Decimal, or 0x-hexadecimal (Security logs write PIDs as "0x000001fc"). */
bool ps_evx_parse_number(const char *s, uint64_t *v);

#endif
