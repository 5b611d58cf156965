/*
 * xml_reader.c - Procmon's "Save... XML" export, streamed with libxml2's
 * xmlTextReader so that memory stays flat in the size of the file.
 *
 *   <procmon><processlist><process>...<modulelist><module>...</module>
 *   </modulelist></process></processlist>
 *   <eventlist><event>...<stack><frame>...</frame></stack></event></eventlist>
 *   </procmon>
 *
 * Safety: no network access, no DTD loading, no entity substitution; a
 * document type declaration is refused outright (Procmon never writes one,
 * and it is where entity bombs live).  Nesting depth, text size per element,
 * modules per process and frames per event are limited.
 */
#include <libxml/xmlreader.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/util.h"
#include "parsers/xmlerr.h"
#include "parsers/xmlguard.h"
#include "parsers/procmon/procmon.h"
#include "parsers/reader.h"

#define XML_MAX_DEPTH 16
#define XML_MAX_TEXT (8u << 20)
#define XML_MAX_MODULES 65536
#define XML_MAX_FRAMES 4096

enum { IN_NONE, IN_PROCESS, IN_EVENT };

/* process fields */
enum {
    PF_INDEX, PF_PID, PF_PPID, PF_PINDEX, PF_AUTH, PF_CREATE, PF_FINISH, PF_VIRT, PF_IS64,
    PF_INTEGRITY, PF_OWNER, PF_NAME, PF_IMAGE, PF_CMDLINE, PF_COMPANY, PF_VERSION, PF_DESC,
    PF_SESSION, PF__COUNT
};
static const char *const process_fields[PF__COUNT] = {
    "ProcessIndex", "ProcessId", "ParentProcessId", "ParentProcessIndex", "AuthenticationId",
    "CreateTime", "FinishTime", "IsVirtualized", "Is64bit", "Integrity", "Owner", "ProcessName",
    "ImagePath", "CommandLine", "CompanyName", "Version", "Description", "Session"};

enum { MF_TIMESTAMP, MF_BASE, MF_SIZE, MF_PATH, MF_VERSION, MF_COMPANY, MF_DESC, MF__COUNT };
static const char *const module_fields[MF__COUNT] = {"Timestamp", "BaseAddress", "Size", "Path",
                                                     "Version", "Company", "Description"};

enum { FF_DEPTH, FF_ADDRESS, FF_PATH, FF_LOCATION, FF__COUNT };
static const char *const frame_fields[FF__COUNT] = {"depth", "address", "path", "location"};

typedef struct pm_xml_reader {
    ps_reader base;
    xmlTextReaderPtr xr;
    ps_error io_err;          /* error from the read callback */
    bool io_failed;
    ps_xml_guard guard;       /* attributes and size of start tags */
    bool input_eof;
    char xml_err[512];
    int xml_err_line;
    bool have_xml_err;

    int in;                   /* IN_NONE / IN_PROCESS / IN_EVENT */
    bool in_eventlist, in_processlist, seen_root;
    int field;                /* current field id within the record; -1 none */
    int field_kind;           /* 0 record field, 1 module field, 2 frame field */
    int field_depth;          /* the depth of the open field element */
    bool in_stack, in_modulelist;
    ps_buf text;

    ps_arena arena;
    /* event */
    ps_pm_conv conv;
    bool conv_ready;
    const char *val[PM_COL__COUNT];
    ps_event ev;
    ps_frame *frames;
    size_t nframes, frames_cap;
    const char *ff[FF__COUNT];
    /* process */
    const char *pf[PF__COUNT];
    ps_process_rec proc;
    ps_module *modules;
    size_t nmodules, modules_cap;
    const char *mf[MF__COUNT];

    uint64_t events, processes;
    bool done;
} pm_xml_reader;

static int xml_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err);
static int xml_next(ps_reader *r, ps_record *rec, ps_error *err);
static void xml_close(ps_reader *r);

static int xml_probe(const uint8_t *p, size_t n)
{
    char head[65537];
    size_t k = n < sizeof head - 1 ? n : sizeof head - 1;

    memcpy(head, p, k);
    head[k] = '\0';
    /* memchr-safe: NULs in binary data end the string early */
    if (strstr(head, "<procmon>") || strstr(head, "<procmon "))
        return strstr(head, "<processlist") || strstr(head, "<eventlist") ? 95 : 80;
    return 0;
}

const ps_reader_ops ps_procmon_xml_reader = {
    .name = "procmon-xml",
    .summary = "Process Monitor XML export (File > Save > XML), with process list, modules and stacks",
    .detects = "an XML document whose root element is <procmon>",
    .family = PS_FAMILY_PROCMON,
    .probe = xml_probe,
    .open = xml_open,
    .next = xml_next,
    .close = xml_close,
};

static int read_cb(void *ctx, char *buf, int len)
{
    pm_xml_reader *r = ctx;
    ssize_t n;

    if (r->io_failed)
        return -1;
    n = ps_input_read(r->base.in, buf, (size_t)len, &r->io_err);
    if (n < 0 || (n > 0 && ps_xml_guard_scan(&r->guard, buf, (size_t)n, ps_input_name(r->base.in), &r->io_err) < 0)) {
        r->io_failed = true;
        return -1;
    }
    if (n == 0)
        r->input_eof = true;
    return (int)n;
}

static int close_cb(void *ctx)
{
    (void)ctx;
    return 0;
}

static void error_cb(void *ctx, xmlErrorPtr e)
{
    pm_xml_reader *r = ctx;
    size_t n;

    ps_xml_note(e);
    if (r->have_xml_err || !e || e->level < XML_ERR_ERROR)
        return;
    r->have_xml_err = true;
    r->xml_err_line = e->line;
    ps_strlcpy(r->xml_err, e->message ? e->message : "malformed XML", sizeof r->xml_err);
    /* libxml2 messages may span lines ("...\nBytes: 0xFF ..."): one line */
    for (n = 0; r->xml_err[n]; n++)
        if (r->xml_err[n] == '\n' || r->xml_err[n] == '\r' || r->xml_err[n] == '\t')
            r->xml_err[n] = ' ';
    {
        char *bang;
        while ((bang = strstr(r->xml_err, " ! ")) != NULL) {   /* "encoding ! Bytes" */
            bang[0] = ';';
            memmove(bang + 1, bang + 2, strlen(bang + 2) + 1);
        }
    }
    n = strlen(r->xml_err);
    while (n && (r->xml_err[n - 1] == ' ' || r->xml_err[n - 1] == '!'))
        r->xml_err[--n] = '\0';
    if (r->xml_err[0] >= 'A' && r->xml_err[0] <= 'Z' && !(r->xml_err[1] >= 'A' && r->xml_err[1] <= 'Z'))
        r->xml_err[0] = (char)(r->xml_err[0] + 32);
}

static int xml_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err)
{
    pm_xml_reader *r;

    *out = NULL;
    r = calloc(1, sizeof *r);
    if (!r)
        return ps_error_nomem(err);
    ps_reader_base_init(&r->base, &ps_procmon_xml_reader, in, opts);
    ps_buf_init(&r->text);
    ps_arena_init(&r->arena, 65536);
    ps_pm_conv_init(&r->conv, &r->base);
    r->field = -1;
    r->base.info.time_basis = PS_TIME_TIME_OF_DAY;
    ps_xml_quiet();
    r->xr = xmlReaderForIO(read_cb, close_cb, r, NULL, NULL,
                           XML_PARSE_NONET | XML_PARSE_COMPACT | XML_PARSE_NOCDATA);
    if (!r->xr) {
        xml_close(&r->base);
        return ps_error_nomem(err);
    }
    xmlTextReaderSetStructuredErrorHandler(r->xr, error_cb, r);
    *out = &r->base;
    return 0;
}

static void xml_close(ps_reader *base)
{
    pm_xml_reader *r = (pm_xml_reader *)base;
    if (!r)
        return;
    if (r->xr)
        xmlFreeTextReader(r->xr);
    ps_buf_release(&r->text);
    ps_arena_release(&r->arena);
    ps_pm_conv_release(&r->conv);
    free(r->frames);
    free(r->modules);
    free(r);
}

static int lookup(const char *const *names, int n, const char *name)
{
    int i;
    for (i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static int build_process(pm_xml_reader *r, const char *where, ps_error *err)
{
    ps_process_rec *p = &r->proc;
    uint64_t v;
    int64_t iv;

    memset(p, 0, sizeof *p);
    p->proc_index = -1;
    p->parent_index = -1;
    p->session = -1;
    p->is64 = -1;
    p->virtualized = -1;
    if (!r->pf[PF_PID] || ps_parse_uint_loose(r->pf[PF_PID], &v) == 0)
        return ps_error_set(err, PS_ERR_INPUT, "%s: a <process> without a ProcessId", where);
    p->pid = (uint32_t)v;
    if (r->pf[PF_INDEX] && ps_parse_uint_loose(r->pf[PF_INDEX], &v))
        p->proc_index = (int64_t)v;
    if (r->pf[PF_PPID] && ps_parse_uint_loose(r->pf[PF_PPID], &v))
        p->parent_pid = (uint32_t)v;
    if (r->pf[PF_PINDEX] && ps_parse_uint_loose(r->pf[PF_PINDEX], &v))
        p->parent_index = (int64_t)v;
    if (r->pf[PF_CREATE] && ps_parse_i64(r->pf[PF_CREATE], &iv) && iv > 0)
        p->start_ts = iv;
    if (r->pf[PF_FINISH] && ps_parse_i64(r->pf[PF_FINISH], &iv) && iv > 0)
        p->end_ts = iv;
    if (r->pf[PF_SESSION] && ps_parse_uint_loose(r->pf[PF_SESSION], &v))
        p->session = (int32_t)v;
    if (r->pf[PF_IS64])
        p->is64 = atoi(r->pf[PF_IS64]) != 0;
    if (r->pf[PF_VIRT])
        p->virtualized = atoi(r->pf[PF_VIRT]) != 0;
    p->process_name = r->pf[PF_NAME];
    p->image_path = r->pf[PF_IMAGE];
    p->command_line = r->pf[PF_CMDLINE];
    p->user = r->pf[PF_OWNER];
    p->integrity = r->pf[PF_INTEGRITY];
    p->company = r->pf[PF_COMPANY];
    p->version = r->pf[PF_VERSION];
    p->description = r->pf[PF_DESC];
    p->auth_id = r->pf[PF_AUTH];
    p->modules = r->modules;
    p->nmodules = (uint32_t)r->nmodules;
    return 0;
}

static int add_module(pm_xml_reader *r, const char *where, ps_error *err)
{
    ps_module *m;
    uint64_t v;
    int64_t iv;

    if (r->nmodules == XML_MAX_MODULES)
        return ps_error_set(err, PS_ERR_LIMIT, "%s: more than %u modules in one process", where,
                            XML_MAX_MODULES);
    if (r->nmodules == r->modules_cap) {
        size_t ncap = r->modules_cap ? r->modules_cap * 2 : 64;
        ps_module *nm = realloc(r->modules, ncap * sizeof *nm);
        if (!nm)
            return ps_error_nomem(err);
        r->modules = nm;
        r->modules_cap = ncap;
    }
    m = &r->modules[r->nmodules++];
    memset(m, 0, sizeof *m);
    if (r->mf[MF_BASE] && ps_parse_uint_loose(r->mf[MF_BASE], &v))
        m->base = v;
    if (r->mf[MF_SIZE] && ps_parse_uint_loose(r->mf[MF_SIZE], &v))
        m->size = v;
    if (r->mf[MF_TIMESTAMP] && ps_parse_i64(r->mf[MF_TIMESTAMP], &iv))
        m->timestamp = iv;
    m->path = r->mf[MF_PATH];
    m->version = r->mf[MF_VERSION];
    m->company = r->mf[MF_COMPANY];
    m->description = r->mf[MF_DESC];
    memset(r->mf, 0, sizeof r->mf);
    return 0;
}

/* "ntdll.dll!RtlUserThreadStart + 0x21" or "ntoskrnl.exe + 0x1a2b" */
static void parse_location(pm_xml_reader *r, ps_frame *f, const char *loc)
{
    const char *bang = strchr(loc, '!'), *plus = strstr(loc, " + ");
    uint64_t v;

    if (bang && (!plus || bang < plus)) {
        f->module = ps_arena_strndup(&r->arena, loc, (size_t)(bang - loc));
        f->symbol = plus ? ps_arena_strndup(&r->arena, bang + 1, (size_t)(plus - bang - 1))
                         : ps_arena_strdup(&r->arena, bang + 1);
    } else if (plus) {
        f->module = ps_arena_strndup(&r->arena, loc, (size_t)(plus - loc));
    }
    if (plus && ps_parse_uint_loose(plus + 3, &v))
        f->offset = v;
}

static int add_frame(pm_xml_reader *r, const char *where, ps_error *err)
{
    ps_frame *f;
    uint64_t v;

    if (r->nframes == XML_MAX_FRAMES)
        return ps_error_set(err, PS_ERR_LIMIT, "%s: a stack deeper than %u frames", where,
                            XML_MAX_FRAMES);
    if (r->nframes == r->frames_cap) {
        size_t ncap = r->frames_cap ? r->frames_cap * 2 : 64;
        ps_frame *nf = realloc(r->frames, ncap * sizeof *nf);
        if (!nf)
            return ps_error_nomem(err);
        r->frames = nf;
        r->frames_cap = ncap;
    }
    f = &r->frames[r->nframes++];
    memset(f, 0, sizeof *f);
    if (r->ff[FF_ADDRESS] && ps_parse_uint_loose(r->ff[FF_ADDRESS], &v))
        f->address = v;
    if (r->ff[FF_LOCATION] && *r->ff[FF_LOCATION])
        parse_location(r, f, r->ff[FF_LOCATION]);
    if (!f->module && r->ff[FF_PATH] && *r->ff[FF_PATH])
        f->module = ps_arena_strdup(&r->arena, ps_path_basename(r->ff[FF_PATH]));
    f->kernel = f->address >= 0xFFFF800000000000ULL ||
                (f->address >= 0x80000000ULL && f->address <= 0xFFFFFFFFULL && r->proc.is64 == 0);
    memset(r->ff, 0, sizeof r->ff);
    return 0;
}

static int finish_event(pm_xml_reader *r, const char *where, ps_error *err)
{
    int rc, c;

    if (!r->conv_ready) {
        for (c = 0; c < PM_COL__COUNT; c++)
            if (r->val[c])
                r->conv.present[c] = true;
        if ((rc = ps_pm_conv_setup(&r->conv, where, err)) < 0)
            return rc;
        r->conv_ready = true;
    }
    rc = ps_pm_row_to_event(&r->conv, r->val, &r->ev, where, err);
    if (rc < 0)
        return rc;
    if (r->nframes && !r->base.opts.no_stacks) {
        r->ev.frames = r->frames;
        r->ev.nframes = (uint32_t)r->nframes;
        r->base.info.has_stacks = true;
    }
    r->events++;
    return 0;
}

static int fail_xml(pm_xml_reader *r, ps_error *err)
{
    const char *name = ps_input_name(r->base.in);

    if (r->io_failed) {
        *err = r->io_err;
        return r->io_err.code;
    }
    /* damage at the very end after valid events: keep what was read */
    if (r->input_eof && r->events > 0) {
        ps_reader_warn(&r->base, "'%s': truncated at line %d: %s; %llu events read before it", name,
                       r->xml_err_line, r->have_xml_err ? r->xml_err : "malformed XML",
                       (unsigned long long)r->events);
        r->done = true;
        return 0;
    }
    return ps_error_set(err, PS_ERR_INPUT, "'%s': line %d: %s", name, r->xml_err_line,
                        r->have_xml_err ? r->xml_err : "malformed XML");
}

static int xml_next(ps_reader *base, ps_record *rec, ps_error *err)
{
    pm_xml_reader *r = (pm_xml_reader *)base;
    const char *name_in = ps_input_name(base->in);
    char where[600];
    int ret, rc;

    if (r->done)
        return 0;
    while ((ret = xmlTextReaderRead(r->xr)) == 1) {
        int type = xmlTextReaderNodeType(r->xr);
        int depth = xmlTextReaderDepth(r->xr);
        const char *name = (const char *)xmlTextReaderConstLocalName(r->xr);
        bool empty = false;

        snprintf(where, sizeof where, "'%s': line %d", name_in, xmlTextReaderGetParserLineNumber(r->xr));
        if (depth > XML_MAX_DEPTH)
            return ps_error_set(err, PS_ERR_LIMIT, "%s: elements nested deeper than %d levels", where,
                                XML_MAX_DEPTH);
        switch (type) {
        case XML_READER_TYPE_DOCUMENT_TYPE:
            return ps_error_set(err, PS_ERR_INPUT,
                                "%s: a document type declaration; Procmon never writes one and "
                                "procstage refuses it (entity expansion is disabled)",
                                where);
        case XML_READER_TYPE_ENTITY_REFERENCE:
            return ps_error_set(err, PS_ERR_INPUT, "%s: an entity reference '&%s;'", where, name);
        case XML_READER_TYPE_ELEMENT:
            empty = xmlTextReaderIsEmptyElement(r->xr);
            if (depth == 0) {
                if (strcmp(name, "procmon") != 0)
                    return ps_error_set(err, PS_ERR_INPUT, "%s: root element <%s>, not <procmon>",
                                        where, name);
                r->seen_root = true;
            } else if (depth == 1) {
                r->in_processlist = strcmp(name, "processlist") == 0;
                r->in_eventlist = strcmp(name, "eventlist") == 0;
                if (empty)
                    r->in_processlist = r->in_eventlist = false;
            } else if (depth == 2) {
                ps_arena_reset(&r->arena);
                if (r->in_processlist && strcmp(name, "process") == 0) {
                    r->in = IN_PROCESS;
                    memset(r->pf, 0, sizeof r->pf);
                    r->nmodules = 0;
                } else if (r->in_eventlist && strcmp(name, "event") == 0) {
                    r->in = IN_EVENT;
                    memset(r->val, 0, sizeof r->val);
                    r->nframes = 0;
                } else {
                    r->in = IN_NONE;
                }
                if (empty && r->in != IN_NONE) {
                    /* <event/> carries nothing */
                    r->in = IN_NONE;
                }
            } else if (depth == 3 && r->in != IN_NONE) {
                r->field = -1;
                r->field_kind = 0;
                r->in_stack = r->in == IN_EVENT && strcmp(name, "stack") == 0;
                r->in_modulelist = r->in == IN_PROCESS && strcmp(name, "modulelist") == 0;
                if (!r->in_stack && !r->in_modulelist) {
                    if (r->in == IN_PROCESS) {
                        r->field = lookup(process_fields, PF__COUNT, name);
                    } else {
                        ps_pm_col c = ps_pm_col_from_name(name);
                        r->field = c == PM_COL_UNKNOWN ? -1 : (int)c;
                    }
                    r->field_depth = 3;
                    ps_buf_reset(&r->text);
                    if (empty && r->field >= 0) {
                        if (r->in == IN_PROCESS)
                            r->pf[r->field] = "";
                        else
                            r->val[r->field] = "";
                        r->field = -1;
                    }
                }
                if (empty)
                    r->in_stack = r->in_modulelist = false;
            } else if (depth == 5 && (r->in_stack || r->in_modulelist)) {
                r->field_kind = r->in_stack ? 2 : 1;
                r->field = r->in_stack ? lookup(frame_fields, FF__COUNT, name)
                                       : lookup(module_fields, MF__COUNT, name);
                r->field_depth = 5;
                ps_buf_reset(&r->text);
                if (empty)
                    r->field = -1;
            } else if (depth == 4 && (r->in_stack || r->in_modulelist) && empty) {
                if (r->in_stack && (rc = add_frame(r, where, err)) < 0)
                    return rc;
                if (r->in_modulelist && (rc = add_module(r, where, err)) < 0)
                    return rc;
            }
            break;
        case XML_READER_TYPE_TEXT:
        case XML_READER_TYPE_CDATA:
        case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
        case XML_READER_TYPE_WHITESPACE:
            /* only the field element's own text, not that of elements nested in it */
            if (r->field >= 0 && depth == r->field_depth + 1) {
                const char *v = (const char *)xmlTextReaderConstValue(r->xr);
                size_t n = v ? strlen(v) : 0;
                if (r->text.len + n > XML_MAX_TEXT)
                    return ps_error_set(err, PS_ERR_LIMIT, "%s: an element text larger than %u MiB",
                                        where, XML_MAX_TEXT >> 20);
                if (n && ps_buf_append(&r->text, v, n) < 0)
                    return ps_error_nomem(err);
            }
            break;
        case XML_READER_TYPE_END_ELEMENT:
            if (depth == 5 && r->field >= 0 && r->field_depth == 5) {
                const char *s = ps_arena_strndup(&r->arena, ps_buf_cstr(&r->text), r->text.len);
                if (!s)
                    return ps_error_nomem(err);
                if (r->field_kind == 2)
                    r->ff[r->field] = s;
                else
                    r->mf[r->field] = s;
                r->field = -1;
            } else if (depth == 4 && r->in_stack) {
                if ((rc = add_frame(r, where, err)) < 0)
                    return rc;
            } else if (depth == 4 && r->in_modulelist) {
                if ((rc = add_module(r, where, err)) < 0)
                    return rc;
            } else if (depth == 3 && r->in != IN_NONE) {
                if (r->field >= 0 && r->field_depth == 3) {
                    const char *s = ps_arena_strndup(&r->arena, ps_buf_cstr(&r->text), r->text.len);
                    if (!s)
                        return ps_error_nomem(err);
                    if (r->in == IN_PROCESS)
                        r->pf[r->field] = s;
                    else
                        r->val[r->field] = s;
                }
                r->field = -1;
                r->in_stack = r->in_modulelist = false;
            } else if (depth == 2 && r->in == IN_PROCESS) {
                r->in = IN_NONE;
                if (ps_xml_nomem())   /* libxml2 lost part of it: not a smaller process */
                    return ps_error_nomem(err);
                if ((rc = build_process(r, where, err)) < 0)
                    return rc;
                r->processes++;
                rec->type = PS_REC_PROCESS;
                rec->process = &r->proc;
                rec->event = NULL;
                return 1;
            } else if (depth == 2 && r->in == IN_EVENT) {
                r->in = IN_NONE;
                if (ps_xml_nomem())
                    return ps_error_nomem(err);
                if ((rc = finish_event(r, where, err)) < 0)
                    return rc;
                r->ev.src_line = (uint64_t)xmlTextReaderGetParserLineNumber(r->xr);
                rec->type = PS_REC_EVENT;
                rec->event = &r->ev;
                rec->process = NULL;
                return 1;
            } else if (depth == 1) {
                r->in_processlist = r->in_eventlist = false;
            }
            break;
        default:
            break;
        }
    }
    if (ps_xml_nomem())
        return ps_error_nomem(err);
    if (ret < 0 || r->io_failed)
        return fail_xml(r, err);
    if (!r->seen_root)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': no <procmon> element", name_in);
    r->done = true;
    if (!r->conv_ready && r->events == 0) {
        /* no events: the time basis stays as set at open */
    }
    return 0;
}
