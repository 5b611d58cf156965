/*
 * evx.c - one Windows event's XML into a ps_evx (see evx.h).
 *
 * The text form is parsed into a small libxml2 tree with a parser context
 * kept across records; the tree walk (from_node) is shared with streaming
 * readers that expand one <Event> element at a time.  Every string of the
 * result lives in the parser's arena, reset per event.
 */
#include "parsers/winevent/evx.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/util.h"
#include "parsers/xmlerr.h"

struct ps_evx_parser {
    xmlParserCtxtPtr ctx;
    ps_arena arena;
    ps_buf clean;                 /* the sanitised XML text */
    ps_evx x;
    ps_evx_value *values;
    uint32_t cap;
};

int ps_evx_parser_new(ps_evx_parser **out, ps_error *err)
{
    ps_evx_parser *p = calloc(1, sizeof *p);

    *out = NULL;
    if (!p)
        return ps_error_nomem(err);
    ps_xml_quiet();
    p->ctx = xmlNewParserCtxt();
    if (!p->ctx) {
        free(p);
        return ps_error_nomem(err);
    }
    ps_arena_init(&p->arena, 16384);
    ps_buf_init(&p->clean);
    *out = p;
    return 0;
}

void ps_evx_parser_free(ps_evx_parser *p)
{
    if (!p)
        return;
    xmlFreeParserCtxt(p->ctx);
    ps_arena_release(&p->arena);
    ps_buf_release(&p->clean);
    free(p->values);
    free(p);
}

/* ---- numbers and times ---------------------------------------------------- */

bool ps_evx_parse_number(const char *s, uint64_t *v)
{
    char tmp[40];
    size_t n;

    if (!s)
        return false;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    if (!n || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if ((tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X'))) {
        uint64_t r = 0;
        size_t i;
        if (n < 3 || n > 18)
            return false;
        for (i = 2; i < n; i++) {
            char c = tmp[i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0)
                return false;
            r = r << 4 | (uint64_t)d;
        }
        *v = r;
        return true;
    }
    return ps_parse_u64(tmp, v);
}

static int digits(const char *s, int n)
{
    int v = 0, i;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

bool ps_evx_parse_time(const char *s, int64_t *ft)
{
    int y, mo, d, h, mi, se;
    int64_t frac = 0, scale = PS_TICKS_PER_SEC, t, off = 0;
    const char *p;

    if (!s)
        return false;
    while (*s == ' ')
        s++;
    if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':')
        return false;
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    h = digits(s + 11, 2);
    mi = digits(s + 14, 2);
    se = digits(s + 17, 2);
    if (y < 1601 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 ||
        se > 60)
        return false;
    p = s + 19;
    if (*p == '.' || *p == ',') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
            p++;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;
        p++;
        if (strlen(p) >= 5 && p[2] == ':') {
            oh = digits(p, 2);
            om = digits(p + 3, 2);
            p += 5;
        } else if (strlen(p) >= 4) {
            int v = digits(p, 4);
            if (v < 0)
                return false;
            oh = v / 100;
            om = v % 100;
            p += 4;
        } else {
            return false;
        }
        if (oh < 0 || om < 0 || om > 59)
            return false;
        /* tracerpt's bias: "+0159" (or "+09:59") for a whole zone; real
         * zones are whole quarter hours, which this leaves as they are */
        om = ((oh * 60 + om + 7) / 15) * 15;
        oh = om / 60;
        om %= 60;
        if (oh < 0 || om < 0 || oh > 14 || om > 59)
            return false;
        off = sign * ((int64_t)oh * 3600 + om * 60) * PS_TICKS_PER_SEC;
    }
    while (*p == ' ')
        p++;
    if (*p)
        return false;
    t = ps_days_from_civil(y, (unsigned)mo, (unsigned)d) * PS_TICKS_PER_DAY +
        ((int64_t)h * 3600 + mi * 60 + se) * PS_TICKS_PER_SEC + frac;
    *ft = t - off;
    return true;
}

/* ---- text clean-up ------------------------------------------------------------ */

int ps_evx_sanitise(const char *xml, size_t len, ps_buf *out)
{
    static const char repl[] = "\xef\xbf\xbd";
    size_t i = 0, start = 0;

    while (i < len) {
        unsigned char c = (unsigned char)xml[i];
        size_t n = 0;
        if (c < 0x80) {
            if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
                i++;
                continue;
            }
        } else {
            size_t bad;
            size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            if (want > 1 && i + want <= len && ps_utf8_valid(xml + i, want, &bad)) {
                i += want;
                continue;
            }
        }
        n = 1;
        if (ps_buf_append(out, xml + start, i - start) < 0 || ps_buf_append(out, repl, 3) < 0)
            return PS_ERR_NOMEM;
        i += n;
        start = i;
    }
    if (ps_buf_append(out, xml + start, len - start) < 0)
        return PS_ERR_NOMEM;
    return 0;
}

size_t ps_evx_utf8_complete(const char *s, size_t len)
{
    size_t back, i;

    /* a lead byte among the last three whose sequence runs past the end */
    for (back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = (unsigned char)s[len - back];
        size_t want;
        if (c < 0x80)
            return len;
        if (c < 0xC0)
            continue;
        want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (want > back) {
            for (i = len - back + 1; i < len; i++)
                if (((unsigned char)s[i] & 0xC0) != 0x80)
                    return len;
            return len - back;
        }
        return len;
    }
    return len;
}

/* Copies xml into p->clean, sanitised. */
static int sanitise(ps_evx_parser *p, const char *xml, size_t len)
{
    ps_buf_reset(&p->clean);
    if (ps_evx_sanitise(xml, len, &p->clean) < 0)
        return PS_ERR_NOMEM;
    ps_buf_cstr(&p->clean);
    return 0;
}

/* ---- the tree walk --------------------------------------------------------------- */

static bool is_el(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static const char *dup_trim(ps_evx_parser *p, const char *s)
{
    size_t n;
    if (!s)
        return "";
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return ps_arena_strndup(&p->arena, s, n);
}

/* The text content of an element (its text and CDATA children). */
static const char *text_of(ps_evx_parser *p, const xmlNode *n, bool trim)
{
    const xmlNode *c;
    size_t total = 0;
    char *out, *w;

    for (c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
            total += strlen((const char *)c->content);
    out = ps_arena_alloc(&p->arena, total + 1);
    if (!out)
        return NULL;
    w = out;
    for (c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            size_t k = strlen((const char *)c->content);
            memcpy(w, c->content, k);
            w += k;
        }
    *w = '\0';
    return trim ? dup_trim(p, out) : out;
}

static const char *attr(ps_evx_parser *p, const xmlNode *n, const char *name)
{
    const xmlAttr *a;
    for (a = n->properties; a; a = a->next)
        if (strcmp((const char *)a->name, name) == 0) {
            const xmlNode *t = a->children;
            return dup_trim(p, t && t->content ? (const char *)t->content : "");
        }
    return NULL;
}

static int add_value(ps_evx_parser *p, const char *name, const char *value, const char *where, ps_error *err)
{
    if (!name || !value)
        return ps_error_nomem(err);
    if (p->x.nvalues >= PS_EVX_MAX_FIELDS)
        return ps_error_set(err, PS_ERR_LIMIT, "%s: more than %d event data values", where, PS_EVX_MAX_FIELDS);
    if (p->x.nvalues == p->cap) {
        uint32_t nc = p->cap ? p->cap * 2 : 64;
        ps_evx_value *nv = realloc(p->values, nc * sizeof *nv);
        if (!nv)
            return ps_error_nomem(err);
        p->values = nv;
        p->cap = nc;
    }
    p->values[p->x.nvalues].name = name;
    p->values[p->x.nvalues].value = value;
    p->x.nvalues++;
    return 0;
}

static int set_int(ps_evx_parser *p, const xmlNode *n, int *dst)
{
    uint64_t v;
    if (ps_evx_parse_number(text_of(p, n, true), &v) && v <= 0x7fffffff)
        *dst = (int)v;
    return 0;
}

static void decode_system(ps_evx_parser *p, const xmlNode *sys)
{
    ps_evx *x = &p->x;
    const xmlNode *n;
    uint64_t v;
    const char *s;

    for (n = sys->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(n, "Provider")) {
            if ((s = attr(p, n, "Name")))
                x->provider_name = s;
            if ((s = attr(p, n, "Guid")))
                x->provider_guid = s;
            if ((s = attr(p, n, "EventSourceName")))
                x->event_source_name = s;
        } else if (is_el(n, "EventID")) {
            if (ps_evx_parse_number(text_of(p, n, true), &v) && v <= 0xffffffffu) {
                x->has_event_id = true;
                x->event_id = (uint32_t)v;
            }
            if ((s = attr(p, n, "Qualifiers")) && ps_evx_parse_number(s, &v) && v <= 0xffffffffu) {
                x->has_qualifiers = true;
                x->qualifiers = (uint32_t)v;
            }
        } else if (is_el(n, "Version")) {
            set_int(p, n, &x->version);
        } else if (is_el(n, "Level")) {
            set_int(p, n, &x->level);
        } else if (is_el(n, "Task")) {
            set_int(p, n, &x->task);
        } else if (is_el(n, "Opcode")) {
            set_int(p, n, &x->opcode);
        } else if (is_el(n, "Keywords")) {
            x->keywords_text = text_of(p, n, true);
            if (x->keywords_text && ps_evx_parse_number(x->keywords_text, &v)) {
                x->has_keywords = true;
                x->keywords = v;
            }
        } else if (is_el(n, "TimeCreated")) {
            if ((s = attr(p, n, "SystemTime"))) {
                x->time_created = s;
                x->has_ts = ps_evx_parse_time(s, &x->ts);
            }
        } else if (is_el(n, "EventRecordID")) {
            if (ps_evx_parse_number(text_of(p, n, true), &v)) {
                x->has_record_id = true;
                x->record_id = v;
            }
        } else if (is_el(n, "Correlation")) {
            if ((s = attr(p, n, "ActivityID")))
                x->activity_id = s;
            if ((s = attr(p, n, "RelatedActivityID")))
                x->related_activity_id = s;
        } else if (is_el(n, "Execution")) {
            if ((s = attr(p, n, "ProcessID")) && ps_evx_parse_number(s, &v) && v <= 0xffffffffu) {
                x->has_pid = true;
                x->pid = (uint32_t)v;
            }
            if ((s = attr(p, n, "ThreadID")) && ps_evx_parse_number(s, &v) && v <= 0xffffffffu) {
                x->has_tid = true;
                x->tid = (uint32_t)v;
            }
            if ((s = attr(p, n, "ProcessorID")) && ps_evx_parse_number(s, &v) && v <= 0x7fffffff)
                x->processor_id = (int32_t)v;
        } else if (is_el(n, "Channel")) {
            x->channel = text_of(p, n, true);
        } else if (is_el(n, "Computer")) {
            x->computer = text_of(p, n, true);
        } else if (is_el(n, "Security")) {
            if ((s = attr(p, n, "UserID")))
                x->user_sid = s;
        }
    }
}

static bool has_element_children(const xmlNode *n)
{
    const xmlNode *c;
    for (c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

/* UserData: every leaf element under the wrapper, depth-limited. */
static int userdata_leaves(ps_evx_parser *p, const xmlNode *n, int depth, const char *where, ps_error *err)
{
    const xmlNode *c;
    int rc;

    if (depth > 16)
        return ps_error_set(err, PS_ERR_LIMIT, "%s: UserData nested deeper than 16 elements", where);
    for (c = n->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (has_element_children(c)) {
            if ((rc = userdata_leaves(p, c, depth + 1, where, err)) < 0)
                return rc;
        } else if ((rc = add_value(p, ps_arena_strdup(&p->arena, (const char *)c->name), text_of(p, c, false),
                                   where, err)) < 0) {
            return rc;
        }
    }
    return 0;
}

static int decode_payload(ps_evx_parser *p, const xmlNode *n, const char *where, ps_error *err)
{
    ps_evx *x = &p->x;
    const xmlNode *c;
    int rc;

    if (is_el(n, "EventData")) {
        unsigned unnamed = 0;
        x->payload = PS_EVX_EVENTDATA;
        for (c = n->children; c; c = c->next) {
            const char *name;
            if (is_el(c, "Data")) {
                name = attr(p, c, "Name");
                if (!name || !*name) {
                    char tmp[24];
                    snprintf(tmp, sizeof tmp, "Data%u", ++unnamed);
                    name = ps_arena_strdup(&p->arena, tmp);
                }
            } else if (is_el(c, "Binary")) {
                name = "Binary";
            } else {
                continue;
            }
            if ((rc = add_value(p, name, text_of(p, c, false), where, err)) < 0)
                return rc;
        }
    } else if (is_el(n, "UserData")) {
        x->payload = PS_EVX_USERDATA;
        for (c = n->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE) {
                x->userdata_name = ps_arena_strdup(&p->arena, (const char *)c->name);
                return userdata_leaves(p, c, 0, where, err);
            }
    } else if (is_el(n, "BinaryEventData")) {
        x->payload = PS_EVX_BINARY;
        return add_value(p, "BinaryEventData", text_of(p, n, true), where, err);
    } else if (is_el(n, "ProcessingErrorData")) {
        x->payload = PS_EVX_ERROR;
        for (c = n->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE &&
                (rc = add_value(p, ps_arena_strdup(&p->arena, (const char *)c->name), text_of(p, c, true), where,
                                err)) < 0)
                return rc;
    }
    return 0;
}

static void decode_rendering(ps_evx_parser *p, const xmlNode *n)
{
    ps_evx *x = &p->x;
    const xmlNode *c;

    for (c = n->children; c; c = c->next) {
        if (is_el(c, "Message"))
            x->message = text_of(p, c, true);
        else if (is_el(c, "Level"))
            x->rendered_level = text_of(p, c, true);
        else if (is_el(c, "Task"))
            x->rendered_task = text_of(p, c, true);
        else if (is_el(c, "Opcode"))
            x->rendered_opcode = text_of(p, c, true);
        else if (is_el(c, "Provider"))
            x->rendered_provider = text_of(p, c, true);
        else if (is_el(c, "EventName"))
            x->event_name = text_of(p, c, true);
    }
}

static void reset_result(ps_evx_parser *p)
{
    ps_arena_reset(&p->arena);
    ps_evx_init(&p->x);
}

void ps_evx_init(ps_evx *x)
{
    memset(x, 0, sizeof *x);
    x->provider_name = x->provider_guid = x->event_source_name = "";
    x->keywords_text = x->time_created = "";
    x->activity_id = x->related_activity_id = "";
    x->channel = x->computer = x->user_sid = "";
    x->userdata_name = "";
    x->message = x->rendered_level = x->rendered_task = x->rendered_opcode = x->rendered_provider = "";
    x->event_name = "";
    x->event_guid = "";
    x->version = x->level = x->task = x->opcode = -1;
    x->processor_id = -1;
}

int ps_evx_from_node(ps_evx_parser *p, const void *event_node, const char *where, const ps_evx **out,
                     ps_error *err)
{
    const xmlNode *ev = event_node, *n;
    bool have_system = false;
    int rc;

    *out = NULL;
    reset_result(p);
    if (!is_el(ev, "Event"))
        return ps_error_set(err, PS_ERR_INPUT, "%s: expected an <Event> element, found <%s>", where,
                            ev && ev->name ? (const char *)ev->name : "?");
    for (n = ev->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(n, "System")) {
            decode_system(p, n);
            have_system = true;
        } else if (is_el(n, "RenderingInfo")) {
            decode_rendering(p, n);
        } else if (is_el(n, "ExtendedTracingInfo")) {
            const xmlNode *c;
            const char *g;
            for (c = n->children; c; c = c->next)
                if (is_el(c, "EventGuid") && (g = text_of(p, c, true)) != NULL)
                    p->x.event_guid = g;
        } else if ((rc = decode_payload(p, n, where, err)) < 0) {
            return rc;
        }
    }
    if (!have_system)
        return ps_error_set(err, PS_ERR_INPUT, "%s: the event has no <System> element", where);
    p->x.values = p->values;
    *out = &p->x;
    return 0;
}

int ps_evx_parse(ps_evx_parser *p, const char *xml, size_t len, const char *where, const ps_evx **out,
                 ps_error *err)
{
    xmlDocPtr doc;
    int rc;

    *out = NULL;
    if (len > PS_EVX_MAX_XML)
        return ps_error_set(err, PS_ERR_LIMIT, "%s: event XML larger than %u bytes", where, PS_EVX_MAX_XML);
    if (sanitise(p, xml, len) < 0)
        return ps_error_nomem(err);
    ps_xml_quiet();
    doc = xmlCtxtReadMemory(p->ctx, p->clean.data ? p->clean.data : "", (int)p->clean.len, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_COMPACT | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC |
                                XML_PARSE_NOERROR);
    if (!doc)
        ps_xml_note(xmlCtxtGetLastError(p->ctx));
    if (ps_xml_nomem()) {
        xmlFreeDoc(doc);   /* libxml2 ran out of memory: not the event's fault, and maybe a part missing */
        return ps_error_nomem(err);
    }
    if (!doc) {
        const xmlError *e = xmlCtxtGetLastError(p->ctx);
        char msg[256];
        size_t n;
        snprintf(msg, sizeof msg, "%s", e && e->message ? e->message : "not well-formed");
        n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        return ps_error_set(err, PS_ERR_INPUT, "%s: malformed event XML at line %d: %s", where,
                            e ? e->line : 0, msg);
    }
    if (doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        return ps_error_set(err, PS_ERR_INPUT, "%s: event XML with a document type declaration", where);
    }
    rc = ps_evx_from_node(p, xmlDocGetRootElement(doc), where, out, err);
    /* the result's strings were copied into the arena: the tree can go */
    xmlFreeDoc(doc);
    return rc;
}

const char *ps_evx_get(const ps_evx *x, const char *name)
{
    uint32_t i;
    for (i = 0; i < x->nvalues; i++)
        if (strcmp(x->values[i].name, name) == 0)
            return x->values[i].value;
    return NULL;
}
