/*
 * binxml.c - EVTX binary XML into a ps_evx (see binxml.h).
 *
 * Three layers:
 *   - the chunk's names and compiled templates (caches keyed by chunk
 *     offset, forgotten at the next chunk);
 *   - a record's substitution arrays (and those of nested binary XML
 *     values), parsed into a per-record scratch arena;
 *   - the walk: the same reading of the Event element as evx.c's tree walk,
 *     over compiled elements and their values instead of a libxml2 tree.
 */
#include "parsers/winevent/binxml.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define MAX_DEPTH 64
#define MAX_NEST 8
#define MAX_VISIT 262144u
#define MAX_VALUES 65535u

/* tokens (the low 5 bits; 0x40 is "more data follows") */
enum {
    T_EOF = 0x00, T_OPEN = 0x01, T_CLOSE_START = 0x02, T_CLOSE_EMPTY = 0x03, T_END = 0x04, T_VALUE = 0x05,
    T_ATTR = 0x06, T_CDATA = 0x07, T_CHARREF = 0x08, T_ENTREF = 0x09, T_PI_TARGET = 0x0a, T_PI_DATA = 0x0b,
    T_TEMPLATE = 0x0c, T_SUBST = 0x0d, T_OPT_SUBST = 0x0e, T_FRAGMENT = 0x0f
};

/* value types */
enum {
    V_NULL = 0x00, V_STRING = 0x01, V_ANSI = 0x02, V_INT8 = 0x03, V_UINT8 = 0x04, V_INT16 = 0x05,
    V_UINT16 = 0x06, V_INT32 = 0x07, V_UINT32 = 0x08, V_INT64 = 0x09, V_UINT64 = 0x0a, V_REAL32 = 0x0b,
    V_REAL64 = 0x0c, V_BOOL = 0x0d, V_BINARY = 0x0e, V_GUID = 0x0f, V_SIZET = 0x10, V_FILETIME = 0x11,
    V_SYSTIME = 0x12, V_SID = 0x13, V_HEX32 = 0x14, V_HEX64 = 0x15, V_BINXML = 0x21, V_ARRAY = 0x80
};

/* the element names the walk looks for, resolved once when an element is
 * compiled (an integer comparison per element instead of strcmp) */
enum {
    K_OTHER,
    K_Binary,
    K_BinaryEventData,
    K_Channel,
    K_Computer,
    K_Correlation,
    K_Data,
    K_Event,
    K_EventData,
    K_EventGuid,
    K_EventID,
    K_EventName,
    K_EventRecordID,
    K_Execution,
    K_ExtendedTracingInfo,
    K_Keywords,
    K_Level,
    K_Message,
    K_Opcode,
    K_ProcessingErrorData,
    K_Provider,
    K_RenderingInfo,
    K_Security,
    K_System,
    K_Task,
    K_TimeCreated,
    K_UserData,
    K_Version,
};

static const char *const kind_names[] = {
    "",
    "Binary",
    "BinaryEventData",
    "Channel",
    "Computer",
    "Correlation",
    "Data",
    "Event",
    "EventData",
    "EventGuid",
    "EventID",
    "EventName",
    "EventRecordID",
    "Execution",
    "ExtendedTracingInfo",
    "Keywords",
    "Level",
    "Message",
    "Opcode",
    "ProcessingErrorData",
    "Provider",
    "RenderingInfo",
    "Security",
    "System",
    "Task",
    "TimeCreated",
    "UserData",
    "Version",
};

static uint8_t kind_of(const char *local)
{
    uint8_t k;
    for (k = 1; k < sizeof kind_names / sizeof kind_names[0]; k++)
        if (strcmp(local, kind_names[k]) == 0)
            return k;
    return K_OTHER;
}

/* ---- compiled form ---------------------------------------------------------- */

enum { P_TEXT, P_SUB, P_ELEM, P_INST };

typedef struct bx_elem bx_elem;
typedef struct bx_inst bx_inst;

typedef struct bx_part {
    uint8_t kind;
    uint8_t vtype;          /* P_SUB: the declared type */
    bool optional;          /* P_SUB: 0x0e */
    uint16_t id;            /* P_SUB: substitution index */
    uint32_t len;           /* P_TEXT */
    const char *text;       /* P_TEXT: UTF-8, cleaned */
    const bx_elem *elem;    /* P_ELEM */
    const bx_inst *inst;    /* P_INST: a template instance in a raw element */
} bx_part;

typedef struct bx_attr {
    const char *name;
    uint32_t nlen;
    const bx_part *parts;
    uint32_t nparts;
} bx_attr;

struct bx_elem {
    const char *name;       /* as written, maybe prefix:local */
    const char *local;      /* after the prefix */
    uint32_t nlen;
    uint8_t kind;           /* K_* of its local name */
    const bx_attr *attrs;
    uint32_t nattrs;
    const bx_part *parts;
    uint32_t nparts;
};

typedef struct bx_item {
    const uint8_t *p;
    uint32_t size;
} bx_item;

typedef struct bx_frag bx_frag;

typedef struct bx_val {
    uint8_t type;
    uint32_t size;
    uint32_t off;           /* chunk offset of the data */
    const uint8_t *p;
    /* filled on first use */
    bool items_done, frag_done;
    bx_item *items;         /* array types */
    uint32_t nitems;
    const bx_frag *frag;    /* V_BINXML */
} bx_val;

struct bx_inst {
    const bx_elem *root;
    bx_val *v;
    uint32_t n;
    int depth;              /* binary XML nesting of its values */
};

struct bx_frag {
    const bx_inst **insts;
    uint32_t n;
};

/* ---- caches --------------------------------------------------------------------- */

typedef struct name_slot {
    uint32_t gen, off;
    const char *s;          /* NULL: the name at off is malformed */
    uint32_t len;
    uint32_t end;           /* chunk offset after the name structure */
} name_slot;

typedef struct tmpl_slot {
    uint32_t gen, off;
    const bx_elem *root;    /* NULL: failed to compile */
    uint32_t id;            /* first four bytes of the definition's GUID */
    uint32_t end;           /* chunk offset after the definition */
} tmpl_slot;

/* An open-addressing table of slots keyed by chunk offset; a slot belongs
 * to the current chunk when its generation is the table user's.  Every slot
 * type begins with uint32_t gen, off. */
typedef struct off_table {
    uint8_t *slots;
    size_t size;            /* bytes per slot */
    uint32_t cap, used;     /* cap: a power of two */
} off_table;

static inline uint32_t *slot_at(const off_table *t, uint32_t i)
{
    return (uint32_t *)(void *)(t->slots + (size_t)i * t->size);
}

static bool table_init(off_table *t, size_t size, uint32_t cap)
{
    t->size = size;
    t->cap = cap;
    t->used = 0;
    t->slots = calloc(cap, size);
    return t->slots != NULL;
}

/* Forgets every slot: a new generation, or (when it wrapped) zeroes. */
static void table_clear(off_table *t, bool wrapped)
{
    if (wrapped)
        memset(t->slots, 0, (size_t)t->cap * t->size);
    t->used = 0;
}

static bool table_grow(off_table *t, uint32_t gen)
{
    uint32_t nc = t->cap * 2, i;
    off_table n = *t;

    n.cap = nc;
    n.slots = calloc(nc, t->size);
    if (!n.slots)
        return false;
    for (i = 0; i < t->cap; i++) {
        uint32_t *s = slot_at(t, i), h;
        if (s[0] != gen)
            continue;
        h = (s[1] * 2654435761u) & (nc - 1);
        while (slot_at(&n, h)[0] == gen)
            h = (h + 1) & (nc - 1);
        memcpy(slot_at(&n, h), s, t->size);
    }
    free(t->slots);
    *t = n;
    return true;
}

/* The slot of chunk offset off, or a new one (*fresh; zeroed but for gen
 * and off); NULL when out of memory.  A slot stays valid until the next
 * call on the same table. */
static void *table_get(off_table *t, uint32_t gen, uint32_t off, bool *fresh)
{
    uint32_t h, *s;

    if ((t->used + 1) * 2 > t->cap && !table_grow(t, gen))
        return NULL;
    h = (off * 2654435761u) & (t->cap - 1);
    while ((s = slot_at(t, h))[0] == gen) {
        if (s[1] == off) {
            *fresh = false;
            return s;
        }
        h = (h + 1) & (t->cap - 1);
    }
    memset(s, 0, t->size);
    s[0] = gen;
    s[1] = off;
    t->used++;
    *fresh = true;
    return s;
}

struct ps_binxml {
    const uint8_t *c;       /* the chunk */
    uint32_t clen;
    uint64_t foff;
    uint32_t gen;
    off_table names;        /* of name_slot */
    off_table tmpls;        /* of tmpl_slot */
    ps_arena chunk_arena;   /* compiled templates and names */
    ps_arena rec_arena;     /* a record's instances, values, raw elements */
    ps_arena *out;          /* the caller's: the ps_evx's strings */
    bool strict;
    ps_buf tmp, tmp2;       /* text being built */
    ps_buf parts;           /* compile scratch (stack of parts) */
    ps_evx_value *vals;
    uint32_t nvals, vcap;
    uint32_t visited;
    uint64_t text_total;
    int err;                /* the first error of the record */
    char *why;
    size_t why_cap;
    ps_evx *x;
};

/* ---- errors ------------------------------------------------------------------------ */

static int fail(ps_binxml *b, int code, uint32_t at, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(ps_binxml *b, int code, uint32_t at, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!b->err)
        b->err = code;
    if (b->why && b->why_cap && !b->why[0]) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(b->why, b->why_cap, "offset 0x%llx: %s", (unsigned long long)(b->foff + at), msg);
    }
    return code;
}

#define NOMEM(b) fail((b), PS_ERR_NOMEM, 0, "out of memory")

/* ---- little-endian reads ---------------------------------------------------------- */

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* ---- CRC-32 ------------------------------------------------------------------------- */

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    uint32_t i, j, c;
    for (i = 0; i < 256; i++) {
        c = i;
        for (j = 0; j < 8; j++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (i = 0; i < 256; i++)
        for (j = 1; j < 8; j++)
            crc_table[j][i] = crc_table[0][crc_table[j - 1][i] & 0xff] ^ (crc_table[j - 1][i] >> 8);
}

uint32_t ps_evtx_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    crc = ~crc;
    while (n >= 8) {
        uint32_t lo = rd32(p) ^ crc, hi = rd32(p + 4);
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
              crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

/* ---- life cycle ------------------------------------------------------------------------ */

int ps_binxml_new(ps_binxml **out, ps_error *err)
{
    ps_binxml *b = calloc(1, sizeof *b);

    *out = NULL;
    if (!b)
        return ps_error_nomem(err);
    if (!table_init(&b->names, sizeof(name_slot), 1024) || !table_init(&b->tmpls, sizeof(tmpl_slot), 256)) {
        free(b->names.slots);
        free(b->tmpls.slots);
        free(b);
        return ps_error_nomem(err);
    }
    ps_arena_init(&b->chunk_arena, 65536);
    ps_arena_init(&b->rec_arena, 16384);
    ps_buf_init(&b->tmp);
    ps_buf_init(&b->tmp2);
    ps_buf_init(&b->parts);
    pthread_once(&crc_once, crc_init);
    *out = b;
    return 0;
}

void ps_binxml_free(ps_binxml *b)
{
    if (!b)
        return;
    free(b->names.slots);
    free(b->tmpls.slots);
    ps_arena_release(&b->chunk_arena);
    ps_arena_release(&b->rec_arena);
    ps_buf_release(&b->tmp);
    ps_buf_release(&b->tmp2);
    ps_buf_release(&b->parts);
    free(b->vals);
    free(b);
}

void ps_binxml_begin_chunk(ps_binxml *b, const uint8_t *chunk, uint32_t len, uint64_t file_offset)
{
    b->c = chunk;
    b->clen = len;
    b->foff = file_offset;
    bool wrapped = ++b->gen == 0;

    /* a wrapped generation clears the slots for real */
    if (wrapped)
        b->gen = 1;
    table_clear(&b->names, wrapped);
    table_clear(&b->tmpls, wrapped);
    ps_arena_reset(&b->chunk_arena);
}

/* ---- text --------------------------------------------------------------------------------- */

static const char REPL[] = "\xef\xbf\xbd";

/* Appends the UTF-8 of code point cp, with what XML cannot carry replaced. */
static inline int put_cp(ps_buf *o, uint32_t cp)
{
    char u[4];
    if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE || cp == 0xFFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return ps_buf_append(o, REPL, 3);
    return ps_buf_append(o, u, ps_utf8_encode(cp, u));
}

/* UTF-16LE p[0..n units) to UTF-8, ending at a NUL. */
static int put_utf16(ps_buf *o, const uint8_t *p, size_t n)
{
    size_t i;

    if (ps_buf_reserve(o, n * 3) < 0)
        return PS_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        uint32_t u = rd16(p + 2 * i);
        if (u == 0)
            break;
        if (u < 0x80 && u >= 0x20) {
            o->data[o->len++] = (char)u;
            continue;
        }
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n) {
            uint32_t l = rd16(p + 2 * (i + 1));
            if (l >= 0xDC00 && l <= 0xDFFF) {
                u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
                i++;
            }
        }
        if (put_cp(o, u) < 0)
            return PS_ERR_NOMEM;
    }
    return 0;
}

/* Windows-1252 (the code page libevtx assumes for ANSI strings) to UTF-8. */
static const uint16_t cp1252_hi[32] = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
};

static int put_ansi(ps_buf *o, const uint8_t *p, size_t n)
{
    size_t i;
    for (i = 0; i < n && p[i]; i++) {
        uint32_t c = p[i];
        if (c >= 0x80 && c < 0xA0)
            c = cp1252_hi[c - 0x80];
        if (put_cp(o, c) < 0)
            return PS_ERR_NOMEM;
    }
    return 0;
}

/* ---- names ---------------------------------------------------------------------------------- */

/* The name structure at chunk offset off: next offset (4), hash (2), count
 * (2), UTF-16 (2 x count), NUL (2). */
static int name_at(ps_binxml *b, uint32_t off, const name_slot **out)
{
    name_slot *s;
    uint32_t n, i;
    bool fresh;

    if (!(s = table_get(&b->names, b->gen, off, &fresh)))
        return NOMEM(b);
    *out = s;
    if (!fresh)
        return s->s ? 0 : fail(b, PS_ERR_INPUT, off, "malformed name");
    if ((uint64_t)off + 8 > b->clen)
        return fail(b, PS_ERR_INPUT, off, "name outside the chunk");
    n = rd16(b->c + off + 6);
    if ((uint64_t)off + 8 + 2 * (uint64_t)n + 2 > b->clen)
        return fail(b, PS_ERR_INPUT, off, "name of %u characters runs past the chunk", n);
    if (b->strict) {
        uint32_t hash = 0;
        for (i = 0; i < n; i++)
            hash = hash * 65599u + rd16(b->c + off + 8 + 2 * i);
        if ((hash & 0xffff) != rd16(b->c + off + 4))
            return fail(b, PS_ERR_INPUT, off, "name hash mismatch (overwritten?)");
    }
    ps_buf_reset(&b->tmp2);
    if (put_utf16(&b->tmp2, b->c + off + 8, n) < 0)
        return NOMEM(b);
    s->s = ps_arena_strndup(&b->chunk_arena, b->tmp2.data ? b->tmp2.data : "", b->tmp2.len);
    if (!s->s)
        return NOMEM(b);
    s->len = (uint32_t)b->tmp2.len;
    s->end = off + 10 + 2 * n;
    return 0;
}

/* A name reference at *pos (4 bytes): an inline name (pointing right after
 * the reference) is skipped over. */
static int name_ref(ps_binxml *b, uint32_t *pos, uint32_t end, const char **s, uint32_t *len)
{
    uint32_t off;
    const name_slot *ns = NULL;
    int rc;

    if (*pos + 4 > end)
        return fail(b, PS_ERR_INPUT, *pos, "name reference cut short");
    off = rd32(b->c + *pos);
    *pos += 4;
    if ((rc = name_at(b, off, &ns)) < 0)
        return rc;
    if (off == *pos) {
        if (ns->end > end)
            return fail(b, PS_ERR_INPUT, off, "inline name runs past its element");
        *pos = ns->end;
    }
    *s = ns->s;
    *len = ns->len;
    return 0;
}

/* ---- compiling elements ------------------------------------------------------------------------ */

typedef struct parse_ctx {
    uint32_t end;           /* bytes available */
    bool dep;               /* elements carry a dependency identifier */
    bool in_template;       /* substitution tokens allowed */
    ps_arena *arena;        /* where the compiled form goes */
    int nest;               /* binary XML value nesting (raw content with instances) */
} parse_ctx;

static int parse_instance(ps_binxml *b, uint32_t *pos, uint32_t end, int nest, const bx_inst **out);

/* Appends the UTF-16 text at pos (count, units) to tmp; advances pos. */
static int take_utf16(ps_binxml *b, uint32_t *pos, uint32_t end, ps_buf *o)
{
    uint32_t n;
    if (*pos + 2 > end)
        return fail(b, PS_ERR_INPUT, *pos, "text cut short");
    n = rd16(b->c + *pos);
    if (*pos + 2 + 2 * (uint64_t)n > end)
        return fail(b, PS_ERR_INPUT, *pos, "text of %u characters runs past its element", n);
    if (put_utf16(o, b->c + *pos + 2, n) < 0)
        return NOMEM(b);
    *pos += 2 + 2 * n;
    return 0;
}

static const char *entity_text(const char *name)
{
    if (!strcmp(name, "lt"))
        return "<";
    if (!strcmp(name, "gt"))
        return ">";
    if (!strcmp(name, "amp"))
        return "&";
    if (!strcmp(name, "quot"))
        return "\"";
    if (!strcmp(name, "apos"))
        return "'";
    return NULL;
}

/* A growing list of parts kept on b->parts (a stack shared by the
 * recursion: each level remembers where its parts start). */
static int push_part(ps_binxml *b, const bx_part *p)
{
    return ps_buf_append(&b->parts, p, sizeof *p) < 0 ? NOMEM(b) : 0;
}

/* Moves the parts from `base` on into the arena. */
static int pop_parts(ps_binxml *b, ps_arena *a, size_t base, const bx_part **out, uint32_t *n)
{
    size_t bytes = b->parts.len - base;
    bx_part *dst = NULL;
    *n = (uint32_t)(bytes / sizeof(bx_part));
    if (*n) {
        dst = ps_arena_alloc(a, bytes);
        if (!dst)
            return NOMEM(b);
        memcpy(dst, b->parts.data + base, bytes);
    }
    b->parts.len = base;
    *out = dst;
    return 0;
}

/* Flushes literal text collected in b->tmp as a P_TEXT part. */
static int flush_text(ps_binxml *b, ps_arena *a)
{
    bx_part p;
    if (!b->tmp.len)
        return 0;
    memset(&p, 0, sizeof p);
    p.kind = P_TEXT;
    p.len = (uint32_t)b->tmp.len;
    p.text = ps_arena_strndup(a, b->tmp.data, b->tmp.len);
    ps_buf_reset(&b->tmp);
    if (!p.text)
        return NOMEM(b);
    return push_part(b, &p);
}

/* Content parts (of an attribute value when attr, else of an element) from
 * *pos; stops before a token that does not belong (attr) or after the end
 * element token (element). */
static int parse_content(ps_binxml *b, uint32_t *pos, parse_ctx *pc, bool attr, int depth);

static int parse_element(ps_binxml *b, uint32_t *pos, parse_ctx *pc, int depth, const bx_elem **out)
{
    uint32_t p = *pos, list_end = 0;
    uint8_t tok;
    bx_elem *e;
    size_t base_attrs;
    uint32_t nattrs = 0;
    int rc;

    if (depth > MAX_DEPTH)
        return fail(b, PS_ERR_LIMIT, p, "elements nested deeper than %d", MAX_DEPTH);
    if (++b->visited > MAX_VISIT)
        return fail(b, PS_ERR_LIMIT, p, "more than %u elements in one record", MAX_VISIT);
    tok = b->c[p++];
    if (pc->dep)
        p += 2;
    if (p + 4 > pc->end)
        return fail(b, PS_ERR_INPUT, *pos, "element start cut short");
    p += 4;   /* data size: the tokens are read one by one instead */
    e = ps_arena_alloc(pc->arena, sizeof *e);
    if (!e)
        return NOMEM(b);
    memset(e, 0, sizeof *e);
    if ((rc = name_ref(b, &p, pc->end, &e->name, &e->nlen)) < 0)
        return rc;
    {
        const char *colon = memchr(e->name, ':', e->nlen);
        e->local = colon ? colon + 1 : e->name;
        e->kind = kind_of(e->local);
    }
    /* attributes: kept as a run of bx_attr on b->parts' sibling, b->tmp2
     * cannot hold them (texts), so they are gathered into a small array */
    base_attrs = b->parts.len;
    if (tok & 0x40) {
        if (p + 4 > pc->end)
            return fail(b, PS_ERR_INPUT, p, "attribute list cut short");
        list_end = p + 4 + rd32(b->c + p);
        p += 4;
        if (list_end > pc->end)
            return fail(b, PS_ERR_INPUT, p - 4, "attribute list runs past its element");
        while (p < pc->end && (b->c[p] & 0x1f) == T_ATTR) {
            uint8_t at = b->c[p++];
            bx_attr a;
            size_t base;
            memset(&a, 0, sizeof a);
            if ((rc = name_ref(b, &p, pc->end, &a.name, &a.nlen)) < 0)
                return rc;
            base = b->parts.len;
            if ((rc = parse_content(b, &p, pc, true, depth)) < 0)
                return rc;
            if ((rc = pop_parts(b, pc->arena, base, &a.parts, &a.nparts)) < 0)
                return rc;
            if (ps_buf_append(&b->parts, &a, sizeof a) < 0)
                return NOMEM(b);
            nattrs++;
            if (!(at & 0x40))
                break;
        }
    }
    if (nattrs) {
        size_t bytes = nattrs * sizeof(bx_attr);
        bx_attr *aa = ps_arena_alloc(pc->arena, bytes);
        if (!aa)
            return NOMEM(b);
        memcpy(aa, b->parts.data + base_attrs, bytes);
        b->parts.len = base_attrs;
        e->attrs = aa;
        e->nattrs = nattrs;
    }
    if (p >= pc->end)
        return fail(b, PS_ERR_INPUT, p, "element <%s> cut short", e->name);
    tok = b->c[p];
    if (tok == T_CLOSE_EMPTY) {
        p++;
    } else if (tok == T_CLOSE_START) {
        size_t base = b->parts.len;
        p++;
        if ((rc = parse_content(b, &p, pc, false, depth)) < 0)
            return rc;
        if ((rc = pop_parts(b, pc->arena, base, &e->parts, &e->nparts)) < 0)
            return rc;
    } else {
        return fail(b, PS_ERR_INPUT, p, "unexpected token 0x%02x in the start of <%s>", tok, e->name);
    }
    *pos = p;
    *out = e;
    return 0;
}

static int parse_content(ps_binxml *b, uint32_t *pos, parse_ctx *pc, bool attr, int depth)
{
    uint32_t p = *pos;
    int rc;

    ps_buf_reset(&b->tmp);
    for (;;) {
        uint8_t tok;
        bx_part part;
        if (p >= pc->end) {
            if (attr)
                break;
            return fail(b, PS_ERR_INPUT, p, "element content cut short");
        }
        tok = b->c[p];
        memset(&part, 0, sizeof part);
        switch (tok & 0x1f) {
        case T_VALUE:
            if (p + 2 > pc->end)
                return fail(b, PS_ERR_INPUT, p, "value cut short");
            if (b->c[p + 1] != V_STRING && b->c[p + 1] != V_ANSI)
                return fail(b, PS_ERR_INPUT, p, "value token of type 0x%02x", b->c[p + 1]);
            p += 2;
            if (b->c[p - 1] == V_STRING) {
                if ((rc = take_utf16(b, &p, pc->end, &b->tmp)) < 0)
                    return rc;
            } else {
                uint32_t n;
                if (p + 2 > pc->end || p + 2 + (n = rd16(b->c + p)) > pc->end)
                    return fail(b, PS_ERR_INPUT, p, "value cut short");
                if (put_ansi(&b->tmp, b->c + p + 2, n) < 0)
                    return NOMEM(b);
                p += 2 + n;
            }
            continue;
        case T_CDATA:
            if (attr)
                goto done;
            p++;
            if ((rc = take_utf16(b, &p, pc->end, &b->tmp)) < 0)
                return rc;
            continue;
        case T_CHARREF:
            if (p + 3 > pc->end)
                return fail(b, PS_ERR_INPUT, p, "character reference cut short");
            if (put_cp(&b->tmp, rd16(b->c + p + 1)) < 0)
                return NOMEM(b);
            p += 3;
            continue;
        case T_ENTREF: {
            const char *nm, *t;
            uint32_t nl;
            p++;
            if ((rc = name_ref(b, &p, pc->end, &nm, &nl)) < 0)
                return rc;
            t = entity_text(nm);
            if (t ? ps_buf_puts(&b->tmp, t) < 0
                  : (ps_buf_putc(&b->tmp, '&') < 0 || ps_buf_append(&b->tmp, nm, nl) < 0 ||
                     ps_buf_putc(&b->tmp, ';') < 0))
                return NOMEM(b);
            continue;
        }
        case T_SUBST:
        case T_OPT_SUBST:
            if (!pc->in_template)
                return fail(b, PS_ERR_INPUT, p, "substitution outside a template");
            if (p + 4 > pc->end)
                return fail(b, PS_ERR_INPUT, p, "substitution cut short");
            if ((rc = flush_text(b, pc->arena)) < 0)
                return rc;
            part.kind = P_SUB;
            part.optional = (tok & 0x1f) == T_OPT_SUBST;
            part.id = rd16(b->c + p + 1);
            part.vtype = b->c[p + 3];
            p += 4;
            if ((rc = push_part(b, &part)) < 0)
                return rc;
            continue;
        default:
            break;
        }
        if (attr)
            break;
        /* element content only */
        switch (tok & 0x1f) {
        case T_OPEN: {
            const bx_elem *child;
            if ((rc = flush_text(b, pc->arena)) < 0)
                return rc;
            if ((rc = parse_element(b, &p, pc, depth + 1, &child)) < 0)
                return rc;
            part.kind = P_ELEM;
            part.elem = child;
            if ((rc = push_part(b, &part)) < 0)
                return rc;
            continue;
        }
        case T_PI_TARGET: {
            const char *nm;
            uint32_t nl;
            p++;
            if ((rc = name_ref(b, &p, pc->end, &nm, &nl)) < 0)
                return rc;
            continue;
        }
        case T_PI_DATA:
            /* processing instructions are not text of the element */
            p++;
            ps_buf_reset(&b->tmp2);
            if ((rc = take_utf16(b, &p, pc->end, &b->tmp2)) < 0)
                return rc;
            continue;
        case T_TEMPLATE: {
            const bx_inst *in;
            if (pc->in_template)
                return fail(b, PS_ERR_INPUT, p, "template instance inside a template definition");
            if ((rc = flush_text(b, pc->arena)) < 0)
                return rc;
            if ((rc = parse_instance(b, &p, pc->end, pc->nest, &in)) < 0)
                return rc;
            part.kind = P_INST;
            part.inst = in;
            if ((rc = push_part(b, &part)) < 0)
                return rc;
            continue;
        }
        case T_END:
            p++;
            goto done;
        default:
            return fail(b, PS_ERR_INPUT, p, "unexpected token 0x%02x in element content", tok);
        }
    }
done:
    if ((rc = flush_text(b, pc->arena)) < 0)
        return rc;
    *pos = p;
    return 0;
}

/* ---- templates -------------------------------------------------------------------------------- */

/* The template definition at chunk offset off: next (4), GUID (16), data
 * size (4), then a fragment holding one element, and EOF. */
static int template_at(ps_binxml *b, uint32_t off, const tmpl_slot **out)
{
    tmpl_slot *s;
    uint32_t size, p;
    parse_ctx pc;
    bool fresh;
    int rc;

    if (!(s = table_get(&b->tmpls, b->gen, off, &fresh)))
        return NOMEM(b);
    *out = s;
    if (!fresh)
        return s->root ? 0 : fail(b, PS_ERR_INPUT, off, "unusable template definition");
    if ((uint64_t)off + 24 > b->clen)
        return fail(b, PS_ERR_INPUT, off, "template definition outside the chunk");
    size = rd32(b->c + off + 20);
    if ((uint64_t)off + 24 + size > b->clen)
        return fail(b, PS_ERR_INPUT, off, "template definition of %u bytes runs past the chunk", size);
    s->id = rd32(b->c + off + 4);
    s->end = off + 24 + size;
    p = off + 24;
    if (size < 5 || b->c[p] != T_FRAGMENT)
        return fail(b, PS_ERR_INPUT, p, "template definition without a fragment header");
    p += 4;
    if ((b->c[p] & 0x1f) != T_OPEN)
        return fail(b, PS_ERR_INPUT, p, "template definition without an element (token 0x%02x)", b->c[p]);
    memset(&pc, 0, sizeof pc);
    pc.end = s->end;
    pc.dep = true;
    pc.in_template = true;
    pc.arena = &b->chunk_arena;
    {
        const bx_elem *root;
        size_t base = b->parts.len;
        uint32_t visited = b->visited;
        b->visited = 0;
        rc = parse_element(b, &p, &pc, 0, &root);
        b->visited = visited;
        b->parts.len = base;
        if (rc < 0)
            return rc;
        s->root = root;
    }
    return 0;
}

/* ---- instances ------------------------------------------------------------------------------------ */

static int parse_values(ps_binxml *b, uint32_t *pos, uint32_t end, int nest, bx_inst *in)
{
    uint32_t p = *pos, n, i, data;

    if (p + 4 > end)
        return fail(b, PS_ERR_INPUT, p, "substitution array cut short");
    n = rd32(b->c + p);
    p += 4;
    if (n > MAX_VALUES || (uint64_t)p + 4 * (uint64_t)n > end)
        return fail(b, PS_ERR_INPUT, p - 4, "substitution array of %u values runs past the record", n);
    in->v = n ? ps_arena_alloc(&b->rec_arena, n * sizeof *in->v) : NULL;
    if (n && !in->v)
        return NOMEM(b);
    in->n = n;
    in->depth = nest;
    data = p + 4 * n;
    for (i = 0; i < n; i++) {
        bx_val *v = &in->v[i];
        memset(v, 0, sizeof *v);
        v->size = rd16(b->c + p + 4 * i);
        v->type = b->c[p + 4 * i + 2];
        if ((uint64_t)data + v->size > end)
            return fail(b, PS_ERR_INPUT, p + 4 * i, "substitution value %u of %u bytes runs past the record", i,
                        v->size);
        v->off = data;
        v->p = b->c + data;
        data += v->size;
    }
    *pos = data;
    return 0;
}

/* In strict mode: every substitution of the template must find a value of
 * its declared type (or NULL). */
static int check_types(ps_binxml *b, const bx_elem *e, const bx_inst *in, uint32_t at, int depth)
{
    uint32_t i, j;
    int rc;

    if (depth > MAX_DEPTH)
        return 0;
    for (j = 0; j <= e->nattrs; j++) {
        const bx_part *parts = j < e->nattrs ? e->attrs[j].parts : e->parts;
        uint32_t np = j < e->nattrs ? e->attrs[j].nparts : e->nparts;
        for (i = 0; i < np; i++) {
            const bx_part *p = &parts[i];
            if (p->kind == P_SUB) {
                uint8_t vt;
                if (p->id >= in->n)
                    return fail(b, PS_ERR_INPUT, at, "substitution %u of %u values", p->id, in->n);
                vt = in->v[p->id].type;
                if (vt != V_NULL && vt != p->vtype &&
                    !(p->vtype == V_SIZET && (vt == V_HEX32 || vt == V_HEX64)) &&
                    !(p->vtype == (V_SIZET | V_ARRAY) && (vt == (V_HEX32 | V_ARRAY) || vt == (V_HEX64 | V_ARRAY))))
                    return fail(b, PS_ERR_INPUT, at,
                                "substitution %u declared of type 0x%02x holds a value of type 0x%02x "
                                "(its template was overwritten?)",
                                p->id, p->vtype, vt);
            } else if (p->kind == P_ELEM && (rc = check_types(b, p->elem, in, at, depth + 1)) < 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* A template instance at *pos: token, unknown byte, template id (4),
 * definition offset (4), the definition when inline, the values. */
static int parse_instance(ps_binxml *b, uint32_t *pos, uint32_t end, int nest, const bx_inst **out)
{
    uint32_t p = *pos, tid, def;
    const tmpl_slot *t = NULL;
    bx_inst *in;
    int rc;

    if (p + 10 > end)
        return fail(b, PS_ERR_INPUT, p, "template instance cut short");
    tid = rd32(b->c + p + 2);
    def = rd32(b->c + p + 6);
    p += 10;
    if ((rc = template_at(b, def, &t)) < 0)
        return rc;
    if (def == p) {
        if (t->end > end)
            return fail(b, PS_ERR_INPUT, def, "inline template definition runs past the record");
        p = t->end;
    }
    if (b->strict && t->id != tid)
        return fail(b, PS_ERR_INPUT, *pos, "template 0x%08x found 0x%08x at offset 0x%llx (overwritten?)", tid,
                    t->id, (unsigned long long)(b->foff + def));
    in = ps_arena_alloc(&b->rec_arena, sizeof *in);
    if (!in)
        return NOMEM(b);
    in->root = t->root;
    if ((rc = parse_values(b, &p, end, nest, in)) < 0)
        return rc;
    if (b->strict && (rc = check_types(b, in->root, in, *pos, 0)) < 0)
        return rc;
    *pos = p;
    *out = in;
    return 0;
}

/* Binary XML at [*pos, end): fragment headers, template instances and
 * elements (without templates) until EOF or the end; the roots into *out.
 * dep: whether raw elements carry a dependency identifier. */
static int parse_fragment(ps_binxml *b, uint32_t *pos, uint32_t end, bool dep, int nest, const bx_frag **out)
{
    uint32_t p = *pos;
    bx_frag *f;
    const bx_inst *list[16];
    uint32_t n = 0;
    int rc;

    if (nest > MAX_NEST)
        return fail(b, PS_ERR_LIMIT, p, "binary XML values nested deeper than %d", MAX_NEST);
    while (p < end) {
        uint8_t tok = b->c[p];
        const bx_inst *in = NULL;
        if (tok == T_FRAGMENT) {
            if (p + 4 > end)
                return fail(b, PS_ERR_INPUT, p, "fragment header cut short");
            p += 4;
            dep = true;
            continue;
        }
        if (tok == T_EOF) {
            p++;
            break;
        }
        if ((tok & 0x1f) == T_PI_TARGET) {
            const char *nm;
            uint32_t nl;
            p++;
            if ((rc = name_ref(b, &p, end, &nm, &nl)) < 0)
                return rc;
            continue;
        }
        if ((tok & 0x1f) == T_PI_DATA) {
            p++;
            ps_buf_reset(&b->tmp2);
            if ((rc = take_utf16(b, &p, end, &b->tmp2)) < 0)
                return rc;
            continue;
        }
        if (tok == T_TEMPLATE) {
            if ((rc = parse_instance(b, &p, end, nest, &in)) < 0)
                return rc;
        } else if ((tok & 0x1f) == T_OPEN) {
            parse_ctx pc;
            bx_inst *raw;
            const bx_elem *e;
            size_t base = b->parts.len;
            memset(&pc, 0, sizeof pc);
            pc.end = end;
            pc.dep = dep;
            pc.arena = &b->rec_arena;
            pc.nest = nest;
            rc = parse_element(b, &p, &pc, 0, &e);
            b->parts.len = base;
            if (rc < 0)
                return rc;
            raw = ps_arena_alloc(&b->rec_arena, sizeof *raw);
            if (!raw)
                return NOMEM(b);
            memset(raw, 0, sizeof *raw);
            raw->root = e;
            raw->depth = nest;
            in = raw;
        } else {
            return fail(b, PS_ERR_INPUT, p, "unexpected token 0x%02x in binary XML", tok);
        }
        if (n == sizeof list / sizeof list[0])
            return fail(b, PS_ERR_LIMIT, p, "more than %zu fragments in one binary XML value",
                        sizeof list / sizeof list[0]);
        list[n++] = in;
    }
    f = ps_arena_alloc(&b->rec_arena, sizeof *f + n * sizeof(list[0]));
    if (!f)
        return NOMEM(b);
    f->insts = (const bx_inst **)(f + 1);
    memcpy(f->insts, list, n * sizeof list[0]);
    f->n = n;
    *pos = p;
    *out = f;
    return 0;
}

/* The nested binary XML of a V_BINXML value, parsed on first use. */
static int value_frag(ps_binxml *b, bx_val *v, int nest, const bx_frag **out)
{
    if (!v->frag_done) {
        uint32_t p = v->off;
        int rc;
        bool dep = v->size > 0 && (b->c[p] == T_FRAGMENT || b->c[p] == T_TEMPLATE);
        v->frag_done = true;
        if ((rc = parse_fragment(b, &p, v->off + v->size, dep, nest + 1, &v->frag)) < 0) {
            v->frag = NULL;
            return rc;
        }
    }
    if (!v->frag)
        return fail(b, PS_ERR_INPUT, v->off, "unusable binary XML value");
    *out = v->frag;
    return 0;
}

/* ---- values ------------------------------------------------------------------------------------------ */

static int put_hexbytes(ps_buf *o, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t i;
    if (ps_buf_reserve(o, 2 * n) < 0)
        return PS_ERR_NOMEM;
    for (i = 0; i < n; i++) {
        o->data[o->len++] = hx[p[i] >> 4];
        o->data[o->len++] = hx[p[i] & 15];
    }
    return 0;
}

static int putf(ps_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int putf(ps_buf *o, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return 0;
    return ps_buf_append(o, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static int put_u64(ps_buf *o, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return ps_buf_append(o, tmp + i, sizeof tmp - (size_t)i);
}

static int put_i64(ps_buf *o, int64_t v)
{
    if (v < 0) {
        if (ps_buf_putc(o, '-') < 0)
            return PS_ERR_NOMEM;
        return put_u64(o, (uint64_t)0 - (uint64_t)v);
    }
    return put_u64(o, (uint64_t)v);
}

/* An integer of 1, 2, 4 or 8 bytes; false for other sizes. */
static bool read_int(const uint8_t *p, uint32_t n, bool sign, uint64_t *u, int64_t *s)
{
    switch (n) {
    case 1: *u = p[0]; *s = (int8_t)p[0]; return true;
    case 2: *u = rd16(p); *s = (int16_t)rd16(p); return true;
    case 4: *u = rd32(p); *s = (int32_t)rd32(p); return true;
    case 8: *u = rd64(p); *s = (int64_t)rd64(p); return true;
    default: (void)sign; return false;
    }
}

/* "1.500000e+000": C's %.6e with a three-digit exponent, as libevtx writes. */
static int put_real(ps_buf *o, double d)
{
    char tmp[64], *e;
    if (isnan(d))
        return ps_buf_puts(o, "NaN");
    if (isinf(d))
        return ps_buf_puts(o, d < 0 ? "-Inf" : "Inf");
    snprintf(tmp, sizeof tmp, "%.6e", d);
    e = strchr(tmp, 'e');
    if (!e)
        return ps_buf_puts(o, tmp);
    {
        int ex = atoi(e + 1);
        *e = '\0';
        return putf(o, "%se%c%03d", tmp, ex < 0 ? '-' : '+', ex < 0 ? -ex : ex);
    }
}

#define FT_MAX 2650467743999999999ULL   /* 9999-12-31T23:59:59.9999999Z */

/* digits of v, zero-padded to w, at d */
static void put_dec(char *d, unsigned v, int w)
{
    while (w--) {
        d[w] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* lower- or upper-case hex of v, w digits, at d */
static void put_hexw(char *d, uint64_t v, int w, bool upper)
{
    const char *hx = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    while (w--) {
        d[w] = hx[v & 15];
        v >>= 4;
    }
}

static int put_filetime(ps_buf *o, uint64_t ft)
{
    int64_t y, days = (int64_t)(ft / 864000000000ULL);
    uint64_t rem = ft % 864000000000ULL;
    unsigned m, d;
    char t[30];
    if (ft > FT_MAX)
        return putf(o, "(0x%08x 0x%08x)", (unsigned)(ft >> 32), (unsigned)(ft & 0xffffffffu));
    ps_civil_from_days(days, &y, &m, &d);
    /* 2019-04-27T15:57:25.868863200Z (y is 1601..9999 here) */
    put_dec(t, (unsigned)y, 4);
    t[4] = '-';
    put_dec(t + 5, m, 2);
    t[7] = '-';
    put_dec(t + 8, d, 2);
    t[10] = 'T';
    put_dec(t + 11, (unsigned)(rem / 36000000000ULL), 2);
    t[13] = ':';
    put_dec(t + 14, (unsigned)(rem / 600000000ULL % 60), 2);
    t[16] = ':';
    put_dec(t + 17, (unsigned)(rem / 10000000ULL % 60), 2);
    t[19] = '.';
    put_dec(t + 20, (unsigned)(rem % 10000000ULL), 7);
    memcpy(t + 27, "00Z", 3);
    return ps_buf_append(o, t, 30);
}

static int put_systime(ps_buf *o, const uint8_t *p)
{
    unsigned y = rd16(p), mo = rd16(p + 2), d = rd16(p + 6), h = rd16(p + 8), mi = rd16(p + 10),
             s = rd16(p + 12), ms = rd16(p + 14);
    if (y < 1601 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 || ms > 999)
        return putf(o, "(0x%04x 0x%04x 0x%04x 0x%04x 0x%04x 0x%04x 0x%04x 0x%04x)", y, mo, rd16(p + 4), d, h, mi,
                    s, ms);
    return putf(o, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", y, mo, d, h, mi, s, ms);
}

static int put_guid(ps_buf *o, const uint8_t *p)
{
    /* {%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X} */
    char t[38];
    int i;
    t[0] = '{';
    put_hexw(t + 1, rd32(p), 8, true);
    t[9] = '-';
    put_hexw(t + 10, rd16(p + 4), 4, true);
    t[14] = '-';
    put_hexw(t + 15, rd16(p + 6), 4, true);
    t[19] = '-';
    put_hexw(t + 20, p[8], 2, true);
    put_hexw(t + 22, p[9], 2, true);
    t[24] = '-';
    for (i = 0; i < 6; i++)
        put_hexw(t + 25 + 2 * i, p[10 + i], 2, true);
    t[37] = '}';
    return ps_buf_append(o, t, 38);
}

/* The size of the SID at p (n bytes available), 0 when malformed. */
static uint32_t sid_size(const uint8_t *p, uint32_t n)
{
    uint32_t need;
    if (n < 8)
        return 0;
    need = 8 + 4u * p[1];
    return need <= n ? need : 0;
}

static int put_sid(ps_buf *o, const uint8_t *p)
{
    uint64_t auth = 0;
    unsigned i;
    for (i = 2; i < 8; i++)
        auth = auth << 8 | p[i];
    if (putf(o, "S-%u-", p[0]) < 0 || put_u64(o, auth) < 0)
        return PS_ERR_NOMEM;
    for (i = 0; i < p[1]; i++)
        if (ps_buf_putc(o, '-') < 0 || put_u64(o, rd32(p + 8 + 4 * i)) < 0)
            return PS_ERR_NOMEM;
    return 0;
}

/* One scalar of type t (the array bit cleared) from p[0..n). */
static int put_scalar(ps_buf *o, uint8_t t, const uint8_t *p, uint32_t n)
{
    uint64_t u;
    int64_t s;

    switch (t) {
    case V_NULL:
        return 0;
    case V_STRING:
        return put_utf16(o, p, n / 2);
    case V_ANSI:
        return put_ansi(o, p, n);
    case V_INT8: case V_INT16: case V_INT32: case V_INT64:
        if (!read_int(p, n, true, &u, &s))
            break;
        return put_i64(o, s);
    case V_UINT8: case V_UINT16: case V_UINT32: case V_UINT64: case V_SIZET:
        if (!read_int(p, n, false, &u, &s))
            break;
        return put_u64(o, u);
    case V_HEX32: case V_HEX64:
        if (!read_int(p, n, false, &u, &s))
            break;
        {
            char t[18];
            int w = n == 8 ? 16 : 8;
            t[0] = '0';
            t[1] = 'x';
            put_hexw(t + 2, n == 8 ? u : (uint32_t)u, w, false);
            return ps_buf_append(o, t, (size_t)w + 2);
        }
    case V_REAL32:
        if (n == 4) {
            float f;
            memcpy(&f, p, 4);
            return put_real(o, f);
        }
        if (n == 8) {
            double d;
            memcpy(&d, p, 8);
            return put_real(o, d);
        }
        break;
    case V_REAL64:
        if (n == 8) {
            double d;
            memcpy(&d, p, 8);
            return put_real(o, d);
        }
        if (n == 4) {
            float f;
            memcpy(&f, p, 4);
            return put_real(o, f);
        }
        break;
    case V_BOOL:
        if (!read_int(p, n, false, &u, &s))
            break;
        return ps_buf_puts(o, u ? "true" : "false");
    case V_GUID:
        if (n < 16)
            break;
        return put_guid(o, p);
    case V_FILETIME:
        if (n != 8)
            break;
        return put_filetime(o, rd64(p));
    case V_SYSTIME:
        if (n < 16)
            break;
        return put_systime(o, p);
    case V_SID:
        if (!sid_size(p, n))
            break;
        return put_sid(o, p);
    case V_BINARY:
    default:
        break;
    }
    return put_hexbytes(o, p, n);
}

/* The width of one item of array type t, 0 for the variable ones. */
static uint32_t item_width(uint8_t t, uint32_t size)
{
    switch (t) {
    case V_INT8: case V_UINT8: return 1;
    case V_INT16: case V_UINT16: return 2;
    case V_INT32: case V_UINT32: case V_REAL32: case V_BOOL: case V_HEX32: return 4;
    case V_INT64: case V_UINT64: case V_REAL64: case V_FILETIME: case V_HEX64: return 8;
    case V_GUID: case V_SYSTIME: return 16;
    case V_SIZET: return size % 8 == 0 ? 8 : 4;
    default: return 0;
    }
}

/* Splits an array value into its items (once). */
static int value_items(ps_binxml *b, bx_val *v)
{
    uint8_t t = v->type & 0x7f;
    uint32_t n = 0, cap, i, w;

    if (v->items_done)
        return 0;
    v->items_done = true;
    w = item_width(t, v->size);
    if (t == V_STRING || t == V_ANSI || t == V_SID || w) {
        if (w && v->size % w) {
            /* a partial last item: the whole value as one hex item */
            v->items = ps_arena_alloc(&b->rec_arena, sizeof *v->items);
            if (!v->items)
                return NOMEM(b);
            v->items[0].p = v->p;
            v->items[0].size = v->size;
            v->nitems = 1;
            v->type = V_BINARY | V_ARRAY;
            return 0;
        }
        cap = w ? v->size / w : t == V_STRING ? v->size / 2 + 1 : v->size + 1;
        v->items = cap ? ps_arena_alloc(&b->rec_arena, cap * sizeof *v->items) : NULL;
        if (cap && !v->items)
            return NOMEM(b);
        if (w) {
            for (i = 0; i < cap; i++) {
                v->items[i].p = v->p + i * w;
                v->items[i].size = w;
            }
            n = cap;
        } else if (t == V_SID) {
            uint32_t at = 0;
            while (at < v->size && n < cap) {
                uint32_t s = sid_size(v->p + at, v->size - at);
                if (!s) {
                    s = v->size - at;   /* the rest as hex */
                    v->items[n].p = v->p + at;
                    v->items[n++].size = s;
                    break;
                }
                v->items[n].p = v->p + at;
                v->items[n++].size = s;
                at += s;
            }
        } else {
            /* NUL-separated; the last terminator ends the array */
            uint32_t unit = t == V_STRING ? 2 : 1, at = 0, start = 0, units = v->size / unit;
            for (at = 0; at < units; at++) {
                bool nul = unit == 2 ? rd16(v->p + 2 * at) == 0 : v->p[at] == 0;
                if (nul) {
                    v->items[n].p = v->p + start * unit;
                    v->items[n++].size = (at - start) * unit;
                    start = at + 1;
                }
            }
            if (start < units) {
                v->items[n].p = v->p + start * unit;
                v->items[n++].size = (units - start) * unit;
            }
        }
    } else {
        /* array types with no defined items (binary, binary XML, ...): one hex item */
        v->items = ps_arena_alloc(&b->rec_arena, sizeof *v->items);
        if (!v->items)
            return NOMEM(b);
        v->items[0].p = v->p;
        v->items[0].size = v->size;
        n = v->size ? 1 : 0;
        v->type = V_BINARY | V_ARRAY;
    }
    v->nitems = n;
    return 0;
}

/* ---- the walk ---------------------------------------------------------------------------------------- */

/* an element of the record as XML would see it: a compiled element, the
 * instance its substitutions refer to, and the array item it stands for
 * (-1: not repeated; -2: the one empty element of an empty array) */
typedef struct bx_node {
    const bx_elem *e;
    const bx_inst *in;
    int32_t item;
    int32_t array;          /* the substitution whose items repeat it, -1 none */
} bx_node;

#define ITEM_NONE (-1)
#define ITEM_EMPTY (-2)

static bx_val *value_of(ps_binxml *b, const bx_inst *in, uint16_t id, int *rc)
{
    *rc = 0;
    if (id >= in->n) {
        *rc = fail(b, PS_ERR_INPUT, 0, "substitution %u of an array of %u values", id, in->n);
        return NULL;
    }
    return &in->v[id];
}

/* Whether the element is left out: an optional substitution of a NULL value
 * in its content. */
static int omitted(ps_binxml *b, const bx_elem *e, const bx_inst *in, bool *out)
{
    uint32_t i;
    int rc;
    *out = false;
    for (i = 0; i < e->nparts; i++) {
        const bx_part *p = &e->parts[i];
        bx_val *v;
        if (p->kind != P_SUB || !p->optional)
            continue;
        if (!(v = value_of(b, in, p->id, &rc)))
            return rc;
        if (v->type == V_NULL) {
            *out = true;
            return 0;
        }
    }
    return 0;
}

/* The substitution that repeats the element (an array value in its
 * content), or -1. */
static int repeating(ps_binxml *b, const bx_elem *e, const bx_inst *in, int32_t *sub, uint32_t *count)
{
    uint32_t i;
    int rc;
    *sub = -1;
    *count = 0;
    for (i = 0; i < e->nparts; i++) {
        const bx_part *p = &e->parts[i];
        bx_val *v;
        if (p->kind != P_SUB)
            continue;
        if (!(v = value_of(b, in, p->id, &rc)))
            return rc;
        if (v->type & V_ARRAY) {
            if ((rc = value_items(b, v)) < 0)
                return rc;
            *sub = p->id;
            *count = v->nitems;
            return 0;
        }
    }
    return 0;
}

typedef struct node_list {
    bx_node *v;
    uint32_t n, cap;
} node_list;

static int push_node(ps_binxml *b, node_list *l, const bx_elem *e, const bx_inst *in, int32_t item, int32_t array)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 32;
        bx_node *nv = ps_arena_alloc(&b->rec_arena, nc * sizeof *nv);
        if (!nv)
            return NOMEM(b);
        if (l->n)
            memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = nc;
    }
    if (++b->visited > MAX_VISIT)
        return fail(b, PS_ERR_LIMIT, 0, "more than %u elements in one record", MAX_VISIT);
    l->v[l->n].e = e;
    l->v[l->n].in = in;
    l->v[l->n].item = item;
    l->v[l->n].array = array;
    l->n++;
    return 0;
}

/* Adds the element e of instance in, as XML would have it: left out,
 * once, or once per array item. */
static int add_element(ps_binxml *b, node_list *l, const bx_elem *e, const bx_inst *in)
{
    bool skip;
    int32_t sub;
    uint32_t count, k;
    int rc;

    if ((rc = omitted(b, e, in, &skip)) < 0)
        return rc;
    if (skip)
        return 0;
    if ((rc = repeating(b, e, in, &sub, &count)) < 0)
        return rc;
    if (sub < 0)
        return push_node(b, l, e, in, ITEM_NONE, -1);
    if (count == 0)
        return push_node(b, l, e, in, ITEM_EMPTY, sub);
    for (k = 0; k < count; k++)
        if ((rc = push_node(b, l, e, in, (int32_t)k, sub)) < 0)
            return rc;
    return 0;
}

/* The child elements of a node, in order. */
static int children(ps_binxml *b, const bx_node *n, node_list *l)
{
    uint32_t i, k;
    int rc;

    l->n = 0;
    for (i = 0; i < n->e->nparts; i++) {
        const bx_part *p = &n->e->parts[i];
        if (p->kind == P_ELEM) {
            if ((rc = add_element(b, l, p->elem, n->in)) < 0)
                return rc;
        } else if (p->kind == P_INST) {
            if ((rc = add_element(b, l, p->inst->root, p->inst)) < 0)
                return rc;
        } else if (p->kind == P_SUB) {
            bx_val *v = value_of(b, n->in, p->id, &rc);
            const bx_frag *f = NULL;
            if (!v)
                return rc;
            if (v->type != V_BINXML)
                continue;
            if ((rc = value_frag(b, v, n->in->depth, &f)) < 0)
                return rc;
            for (k = 0; k < f->n; k++)
                if ((rc = add_element(b, l, f->insts[k]->root, f->insts[k])) < 0)
                    return rc;
        }
    }
    return 0;
}

static bool has_element_children(ps_binxml *b, const bx_node *n, int *rc)
{
    node_list l = {0};
    *rc = children(b, n, &l);
    return *rc == 0 && l.n > 0;
}

/* Appends the text of substitution p in node n (for an attribute when
 * n is NULL-item context) to o. */
static int put_sub(ps_binxml *b, ps_buf *o, const bx_part *p, const bx_inst *in, int32_t item, int32_t array,
                   bool attr)
{
    bx_val *v;
    int rc;

    if (!(v = value_of(b, in, p->id, &rc)))
        return rc;
    if (v->type == V_BINXML)
        return 0;   /* elements, not text */
    if (!(v->type & V_ARRAY))
        return put_scalar(o, v->type, v->p, v->size) < 0 ? NOMEM(b) : 0;
    if ((rc = value_items(b, v)) < 0)
        return rc;
    if (!attr && p->id == array) {
        if (item < 0 || (uint32_t)item >= v->nitems)
            return 0;
        return put_scalar(o, v->type & 0x7f, v->items[item].p, v->items[item].size) < 0 ? NOMEM(b) : 0;
    }
    if (!attr && item >= 0) {
        /* a second array in a repeated element: its item of the same index */
        if ((uint32_t)item >= v->nitems)
            return 0;
        return put_scalar(o, v->type & 0x7f, v->items[item].p, v->items[item].size) < 0 ? NOMEM(b) : 0;
    }
    {
        uint32_t k;
        for (k = 0; k < v->nitems; k++)
            if ((k && ps_buf_putc(o, ' ') < 0) ||
                put_scalar(o, v->type & 0x7f, v->items[k].p, v->items[k].size) < 0)
                return NOMEM(b);
    }
    return 0;
}

/* The XML layer: CR LF and CR to LF (element text), or every white space
 * to a space (attribute values); then trimmed (System values, attributes)
 * and copied to the output arena. */
static const char *finish_text(ps_binxml *b, ps_buf *t, bool attr, bool trim)
{
    size_t i = 0, w = 0, n = t->len, s = 0;
    char *d = t->data;

    if (!d)
        return "";
    if (!attr) {
        /* element text: only CR changes; most values have none */
        char *cr = memchr(d, '\r', n);
        i = w = cr ? (size_t)(cr - d) : n;
    }
    for (; i < n; i++) {
        char c = d[i];
        if (c == '\r') {
            if (i + 1 < n && d[i + 1] == '\n')
                i++;
            c = attr ? ' ' : '\n';
        } else if (attr && (c == '\n' || c == '\t')) {
            c = ' ';
        }
        d[w++] = c;
    }
    n = w;
    if (trim) {
        while (s < n && (d[s] == ' ' || d[s] == '\t' || d[s] == '\r' || d[s] == '\n'))
            s++;
        while (n > s && (d[n - 1] == ' ' || d[n - 1] == '\t' || d[n - 1] == '\r' || d[n - 1] == '\n'))
            n--;
    }
    b->text_total += n - s;
    if (b->text_total > PS_BINXML_MAX_TEXT) {
        fail(b, PS_ERR_LIMIT, 0, "more than %u bytes of text in one record", PS_BINXML_MAX_TEXT);
        return NULL;
    }
    {
        char *r = ps_arena_strndup(b->out, d + s, n - s);
        if (!r)
            NOMEM(b);
        return r;
    }
}

static int text_err(ps_binxml *b)
{
    return b->err ? b->err : PS_ERR_NOMEM;
}

/* The element's own text (its text and substitution values, not those of
 * its children), or NULL on error (b->why says why). */
static const char *text_of(ps_binxml *b, const bx_node *n, bool trim)
{
    uint32_t i;
    ps_buf *t = &b->tmp;

    ps_buf_reset(t);
    for (i = 0; i < n->e->nparts; i++) {
        const bx_part *p = &n->e->parts[i];
        if (p->kind == P_TEXT) {
            if (ps_buf_append(t, p->text, p->len) < 0) {
                NOMEM(b);
                return NULL;
            }
        } else if (p->kind == P_SUB) {
            if (put_sub(b, t, p, n->in, n->item, n->array, false) < 0)
                return NULL;
        }
    }
    return finish_text(b, t, false, trim);
}

/* The first attribute called `name` (not left out), trimmed; NULL when
 * there is none; *rc < 0 on error. */
static const char *attr(ps_binxml *b, const bx_node *n, const char *name, int *rc)
{
    uint32_t i, j;
    size_t nl = strlen(name);

    *rc = 0;
    for (i = 0; i < n->e->nattrs; i++) {
        const bx_attr *a = &n->e->attrs[i];
        bool skip = false;
        const char *r;
        if (a->nlen != nl || memcmp(a->name, name, nl) != 0)
            continue;
        for (j = 0; j < a->nparts; j++) {
            const bx_part *p = &a->parts[j];
            if (p->kind == P_SUB && p->optional) {
                bx_val *v = value_of(b, n->in, p->id, rc);
                if (!v)
                    return NULL;
                if (v->type == V_NULL)
                    skip = true;
            }
        }
        if (skip)
            continue;
        ps_buf_reset(&b->tmp);
        for (j = 0; j < a->nparts; j++) {
            const bx_part *p = &a->parts[j];
            if (p->kind == P_TEXT) {
                if (ps_buf_append(&b->tmp, p->text, p->len) < 0) {
                    *rc = NOMEM(b);
                    return NULL;
                }
            } else if (p->kind == P_SUB && (*rc = put_sub(b, &b->tmp, p, n->in, n->item, n->array, true)) < 0) {
                return NULL;
            }
        }
        r = finish_text(b, &b->tmp, true, true);
        if (!r)
            *rc = text_err(b);
        return r;
    }
    return NULL;
}

static bool is_el(const bx_node *n, uint8_t kind)
{
    return n->e->kind == kind;
}

static int add_value(ps_binxml *b, const char *name, const char *value)
{
    if (!name || !value)
        return text_err(b);
    if (b->nvals >= PS_EVX_MAX_FIELDS)
        return fail(b, PS_ERR_LIMIT, 0, "more than %d event data values", PS_EVX_MAX_FIELDS);
    if (b->nvals == b->vcap) {
        uint32_t nc = b->vcap ? b->vcap * 2 : 64;
        ps_evx_value *nv = realloc(b->vals, nc * sizeof *nv);
        if (!nv)
            return NOMEM(b);
        b->vals = nv;
        b->vcap = nc;
    }
    b->vals[b->nvals].name = name;
    b->vals[b->nvals].value = value;
    b->nvals++;
    return 0;
}

static const char *dup_name(ps_binxml *b, const bx_elem *e)
{
    const char *r = ps_arena_strdup(b->out, e->local);
    if (!r)
        NOMEM(b);
    return r;
}

#define TEXT(var, node, trim)                                                                                    \
    do {                                                                                                         \
        if (!((var) = text_of(b, (node), (trim))))                                                               \
            return text_err(b);                                                                                  \
    } while (0)

#define ATTR(var, node, name)                                                                                    \
    do {                                                                                                         \
        (var) = attr(b, (node), (name), &rc);                                                                    \
        if (rc < 0)                                                                                              \
            return rc;                                                                                           \
    } while (0)

static int set_int(ps_binxml *b, const bx_node *n, int *dst)
{
    uint64_t v;
    const char *s;
    TEXT(s, n, true);
    if (ps_evx_parse_number(s, &v) && v <= 0x7fffffff)
        *dst = (int)v;
    return 0;
}

static int decode_system(ps_binxml *b, const bx_node *sys)
{
    ps_evx *x = b->x;
    node_list l = {0};
    uint64_t v;
    const char *s;
    uint32_t i;
    int rc;

    if ((rc = children(b, sys, &l)) < 0)
        return rc;
    for (i = 0; i < l.n; i++) {
        const bx_node *n = &l.v[i];
        if (is_el(n, K_Provider)) {
            ATTR(s, n, "Name");
            if (s)
                x->provider_name = s;
            ATTR(s, n, "Guid");
            if (s)
                x->provider_guid = s;
            ATTR(s, n, "EventSourceName");
            if (s)
                x->event_source_name = s;
        } else if (is_el(n, K_EventID)) {
            TEXT(s, n, true);
            if (ps_evx_parse_number(s, &v) && v <= 0xffffffffu) {
                x->has_event_id = true;
                x->event_id = (uint32_t)v;
            }
            ATTR(s, n, "Qualifiers");
            if (s && ps_evx_parse_number(s, &v) && v <= 0xffffffffu) {
                x->has_qualifiers = true;
                x->qualifiers = (uint32_t)v;
            }
        } else if (is_el(n, K_Version)) {
            if ((rc = set_int(b, n, &x->version)) < 0)
                return rc;
        } else if (is_el(n, K_Level)) {
            if ((rc = set_int(b, n, &x->level)) < 0)
                return rc;
        } else if (is_el(n, K_Task)) {
            if ((rc = set_int(b, n, &x->task)) < 0)
                return rc;
        } else if (is_el(n, K_Opcode)) {
            if ((rc = set_int(b, n, &x->opcode)) < 0)
                return rc;
        } else if (is_el(n, K_Keywords)) {
            TEXT(s, n, true);
            x->keywords_text = s;
            if (ps_evx_parse_number(s, &v)) {
                x->has_keywords = true;
                x->keywords = v;
            }
        } else if (is_el(n, K_TimeCreated)) {
            ATTR(s, n, "SystemTime");
            if (s) {
                x->time_created = s;
                x->has_ts = ps_evx_parse_time(s, &x->ts);
            }
        } else if (is_el(n, K_EventRecordID)) {
            TEXT(s, n, true);
            if (ps_evx_parse_number(s, &v)) {
                x->has_record_id = true;
                x->record_id = v;
            }
        } else if (is_el(n, K_Correlation)) {
            ATTR(s, n, "ActivityID");
            if (s)
                x->activity_id = s;
            ATTR(s, n, "RelatedActivityID");
            if (s)
                x->related_activity_id = s;
        } else if (is_el(n, K_Execution)) {
            ATTR(s, n, "ProcessID");
            if (s && ps_evx_parse_number(s, &v) && v <= 0xffffffffu) {
                x->has_pid = true;
                x->pid = (uint32_t)v;
            }
            ATTR(s, n, "ThreadID");
            if (s && ps_evx_parse_number(s, &v) && v <= 0xffffffffu) {
                x->has_tid = true;
                x->tid = (uint32_t)v;
            }
            ATTR(s, n, "ProcessorID");
            if (s && ps_evx_parse_number(s, &v) && v <= 0x7fffffff)
                x->processor_id = (int32_t)v;
        } else if (is_el(n, K_Channel)) {
            TEXT(s, n, true);
            x->channel = s;
        } else if (is_el(n, K_Computer)) {
            TEXT(s, n, true);
            x->computer = s;
        } else if (is_el(n, K_Security)) {
            ATTR(s, n, "UserID");
            if (s)
                x->user_sid = s;
        }
    }
    return 0;
}

static int userdata_leaves(ps_binxml *b, const bx_node *n, int depth)
{
    node_list l = {0};
    uint32_t i;
    int rc;

    if (depth > 16)
        return fail(b, PS_ERR_LIMIT, 0, "UserData nested deeper than 16 elements");
    if ((rc = children(b, n, &l)) < 0)
        return rc;
    for (i = 0; i < l.n; i++) {
        const bx_node *c = &l.v[i];
        bool kids = has_element_children(b, c, &rc);
        if (rc < 0)
            return rc;
        if (kids) {
            if ((rc = userdata_leaves(b, c, depth + 1)) < 0)
                return rc;
        } else {
            const char *name = dup_name(b, c->e), *val;
            if (!name)
                return PS_ERR_NOMEM;
            TEXT(val, c, false);
            if ((rc = add_value(b, name, val)) < 0)
                return rc;
        }
    }
    return 0;
}

static int decode_payload(ps_binxml *b, const bx_node *n)
{
    ps_evx *x = b->x;
    node_list l = {0};
    uint32_t i;
    int rc;

    if (is_el(n, K_EventData)) {
        unsigned unnamed = 0;
        x->payload = PS_EVX_EVENTDATA;
        if ((rc = children(b, n, &l)) < 0)
            return rc;
        for (i = 0; i < l.n; i++) {
            const bx_node *c = &l.v[i];
            const char *name, *val;
            if (is_el(c, K_Data)) {
                ATTR(name, c, "Name");
                if (!name || !*name) {
                    char tmp[24];
                    snprintf(tmp, sizeof tmp, "Data%u", ++unnamed);
                    if (!(name = ps_arena_strdup(b->out, tmp)))
                        return NOMEM(b);
                }
            } else if (is_el(c, K_Binary)) {
                name = "Binary";
            } else {
                continue;
            }
            TEXT(val, c, false);
            if ((rc = add_value(b, name, val)) < 0)
                return rc;
        }
    } else if (is_el(n, K_UserData)) {
        x->payload = PS_EVX_USERDATA;
        if ((rc = children(b, n, &l)) < 0)
            return rc;
        if (l.n) {
            bx_node wrap = l.v[0];
            if (!(x->userdata_name = dup_name(b, wrap.e)))
                return PS_ERR_NOMEM;
            return userdata_leaves(b, &wrap, 0);
        }
    } else if (is_el(n, K_BinaryEventData)) {
        const char *val;
        x->payload = PS_EVX_BINARY;
        TEXT(val, n, true);
        return add_value(b, "BinaryEventData", val);
    } else if (is_el(n, K_ProcessingErrorData)) {
        x->payload = PS_EVX_ERROR;
        if ((rc = children(b, n, &l)) < 0)
            return rc;
        for (i = 0; i < l.n; i++) {
            const char *name = dup_name(b, l.v[i].e), *val;
            if (!name)
                return PS_ERR_NOMEM;
            TEXT(val, &l.v[i], true);
            if ((rc = add_value(b, name, val)) < 0)
                return rc;
        }
    }
    return 0;
}

static int decode_rendering(ps_binxml *b, const bx_node *n)
{
    ps_evx *x = b->x;
    node_list l = {0};
    uint32_t i;
    int rc;

    if ((rc = children(b, n, &l)) < 0)
        return rc;
    for (i = 0; i < l.n; i++) {
        const bx_node *c = &l.v[i];
        const char **dst = is_el(c, K_Message)     ? &x->message
                           : is_el(c, K_Level)     ? &x->rendered_level
                           : is_el(c, K_Task)      ? &x->rendered_task
                           : is_el(c, K_Opcode)    ? &x->rendered_opcode
                           : is_el(c, K_Provider)  ? &x->rendered_provider
                           : is_el(c, K_EventName) ? &x->event_name
                                                   : NULL;
        if (dst)
            TEXT(*dst, c, true);
    }
    return 0;
}

static int decode_event(ps_binxml *b, const bx_node *ev)
{
    node_list l = {0};
    bool have_system = false;
    uint32_t i;
    int rc;

    if (!is_el(ev, K_Event))
        return fail(b, PS_ERR_INPUT, 0, "expected an <Event> element, found <%s>", ev->e->name);
    if ((rc = children(b, ev, &l)) < 0)
        return rc;
    for (i = 0; i < l.n; i++) {
        const bx_node *n = &l.v[i];
        if (is_el(n, K_System)) {
            if ((rc = decode_system(b, n)) < 0)
                return rc;
            have_system = true;
        } else if (is_el(n, K_RenderingInfo)) {
            if ((rc = decode_rendering(b, n)) < 0)
                return rc;
        } else if (is_el(n, K_ExtendedTracingInfo)) {
            node_list g = {0};
            uint32_t k;
            if ((rc = children(b, n, &g)) < 0)
                return rc;
            for (k = 0; k < g.n; k++)
                if (is_el(&g.v[k], K_EventGuid))
                    TEXT(b->x->event_guid, &g.v[k], true);
        } else if ((rc = decode_payload(b, n)) < 0) {
            return rc;
        }
    }
    if (!have_system)
        return fail(b, PS_ERR_INPUT, 0, "the event has no <System> element");
    return 0;
}

int ps_binxml_decode(ps_binxml *b, uint32_t off, uint32_t len, bool strict, ps_arena *out, ps_evx *x, char *why,
                     size_t cap)
{
    const bx_frag *f;
    uint32_t p = off, end;
    int rc;

    if (why && cap)
        why[0] = '\0';
    b->why = why;
    b->why_cap = cap;
    b->out = out;
    b->x = x;
    b->strict = strict;
    b->nvals = 0;
    b->err = 0;
    b->visited = 0;
    b->text_total = 0;
    b->parts.len = 0;
    ps_evx_init(x);
    ps_arena_reset(&b->rec_arena);
    if ((uint64_t)off + len > b->clen)
        return fail(b, PS_ERR_INPUT, off, "event data runs past the chunk");
    end = off + len;
    if (len < 4 || b->c[p] != T_FRAGMENT)
        return fail(b, PS_ERR_INPUT, p, "event data does not start with a fragment header");
    if ((rc = parse_fragment(b, &p, end, true, 0, &f)) < 0)
        return rc;
    if (!f->n)
        return fail(b, PS_ERR_INPUT, off, "event data without an element");
    {
        node_list l = {0};
        if ((rc = add_element(b, &l, f->insts[0]->root, f->insts[0])) < 0)
            return rc;
        if (!l.n)
            return fail(b, PS_ERR_INPUT, off, "the event element is left out (optional substitution)");
        if ((rc = decode_event(b, &l.v[0])) < 0)
            return rc;
    }
    if (b->nvals) {
        ps_evx_value *v = ps_arena_alloc(out, b->nvals * sizeof *v);
        if (!v)
            return NOMEM(b);
        memcpy(v, b->vals, b->nvals * sizeof *v);
        x->values = v;
        x->nvalues = b->nvals;
    }
    return 0;
}
