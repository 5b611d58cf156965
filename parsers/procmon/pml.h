/*
 * pml.h - internals shared by the files of the Procmon PML reader
 * (procmon_pml.c: file structure, tables, events, stacks; pml_detail.c: the
 * Detail column of every operation; pml_names.c: Procmon's names for
 * operations, results, access masks, control codes).
 *
 * Everything here reads from a bounded cursor: a read past the end of the
 * blob returns zeros and marks the cursor bad, so a damaged record can never
 * make the reader touch memory outside the record.
 *
 * Ownership: a pml_decoder is owned by the reader (init/release); the strings
 * it produces live in its buffers until the next pml_decode call.
 */
#ifndef PS_PML_H
#define PS_PML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/util.h"
#include "model/event.h"

/* ---- bounded little-endian cursor ------------------------------------------ */

typedef struct pml_cur {
    const uint8_t *p, *end;
    bool bad;
} pml_cur;

/* little-endian loads (gcc turns them into single loads on x86) */
static inline uint32_t pml_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t pml_rd64(const uint8_t *p)
{
    return (uint64_t)pml_rd32(p) | ((uint64_t)pml_rd32(p + 4) << 32);
}

static inline void pml_cur_init(pml_cur *c, const uint8_t *p, size_t n)
{
    c->p = p;
    c->end = p + n;
    c->bad = false;
}

static inline size_t pml_left(const pml_cur *c)
{
    return (size_t)(c->end - c->p);
}

static inline bool pml_need(pml_cur *c, size_t n)
{
    if (c->bad || pml_left(c) < n) {
        c->bad = true;
        c->p = c->end;
        return false;
    }
    return true;
}

static inline void pml_skip(pml_cur *c, size_t n)
{
    if (pml_need(c, n))
        c->p += n;
}

static inline uint8_t pml_u8(pml_cur *c)
{
    return pml_need(c, 1) ? *c->p++ : 0;
}

static inline uint16_t pml_u16(pml_cur *c)
{
    uint16_t v;
    if (!pml_need(c, 2))
        return 0;
    v = (uint16_t)(c->p[0] | (c->p[1] << 8));
    c->p += 2;
    return v;
}

static inline uint32_t pml_u32(pml_cur *c)
{
    uint32_t v;
    if (!pml_need(c, 4))
        return 0;
    v = pml_rd32(c->p);
    c->p += 4;
    return v;
}

static inline uint64_t pml_u64(pml_cur *c)
{
    uint64_t v;
    if (!pml_need(c, 8))
        return 0;
    v = pml_rd64(c->p);
    c->p += 8;
    return v;
}

static inline uint64_t pml_ptr(pml_cur *c, int ptr_size)
{
    return ptr_size == 8 ? pml_u64(c) : pml_u32(c);
}

/* ---- fast text building on ps_buf ---------------------------------------------- */

/* All appenders keep the buffer NUL-terminated and return < 0 only when
 * memory runs out (then the buffer keeps what fit). */
int pml_put_slow(ps_buf *b, const char *s, size_t n);
static inline int pml_put(ps_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap)
        return pml_put_slow(b, s, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}
static inline int pml_puts(ps_buf *b, const char *s)
{
    return pml_put(b, s, strlen(s));
}
int pml_put_u64(ps_buf *b, uint64_t v);             /* 1234567 */
int pml_put_i64(ps_buf *b, int64_t v);              /* -1 */
int pml_put_grouped(ps_buf *b, uint64_t v);         /* 1,234,567 (en-US) */
int pml_put_hex(ps_buf *b, uint64_t v, bool upper); /* 0x1a2b (no padding) */
/* UTF-16LE (n code units) or 8-bit text (n bytes, Latin-1) appended as UTF-8;
 * stops at a NUL when stop_at_nul. */
int pml_put_utf16(ps_buf *b, const uint8_t *p, size_t n_units, bool stop_at_nul);
int pml_put_latin1(ps_buf *b, const uint8_t *p, size_t n, bool stop_at_nul);
/* "7/12/2020 1:17:45 AM" (Procmon's en-US date and time, whole seconds). */
int pml_put_datetime(ps_buf *b, int64_t filetime);
/* "1:18:10.7752429 AM" */
int pml_put_time_of_day(ps_buf *b, int64_t filetime);
/* "0.0468750" (seconds with 7 decimals) */
int pml_put_seconds(ps_buf *b, int64_t ticks);

/* ---- names (pml_names.c) -------------------------------------------------------- */

/* Result column: "SUCCESS", "NAME NOT FOUND", "" (STATUS_PENDING), or
 * "0xC0000xyz" written into buf (>= 16 bytes). */
const char *pml_result_name(uint32_t status, char *buf);
/* Operation names; NULL when the number is not known. */
const char *pml_process_op(unsigned op);
const char *pml_registry_op(unsigned op);
const char *pml_network_op(unsigned op);
const char *pml_profiling_op(unsigned op);
const char *pml_file_op(unsigned op);
/* The sub-operation of a file-system major operation; NULL when unknown or
 * when `op` has no sub-operations (*has_sub tells which). */
const char *pml_file_subop(unsigned op, unsigned sub, bool *has_sub);

/* Masks and enumerations as Procmon writes them in the Detail column. */
int pml_put_reg_access(ps_buf *b, uint32_t mask);
int pml_put_file_access(ps_buf *b, uint32_t mask);
int pml_put_create_options(ps_buf *b, uint32_t options);
int pml_put_file_attributes(ps_buf *b, uint32_t attributes);   /* "n/a" for 0 */
int pml_put_share_mode(ps_buf *b, uint32_t share);             /* "None" for 0 */
int pml_put_io_flags(ps_buf *b, uint32_t flags);
int pml_put_ioctl(ps_buf *b, uint32_t code);
int pml_put_notify_filter(ps_buf *b, uint32_t filter);
int pml_put_security_info(ps_buf *b, uint32_t info);
int pml_put_fs_attributes(ps_buf *b, uint32_t attributes);
int pml_put_alignment(ps_buf *b, uint32_t alignment);           /* "Long" */
const char *pml_reg_type(uint32_t type);                       /* NULL when unknown */
const char *pml_file_info_class(uint32_t cls);                 /* NULL when unknown */
const char *pml_disposition(uint32_t d);                       /* NULL when unknown */
const char *pml_open_result(uint32_t r);                       /* NULL when unknown */
const char *pml_priority(uint32_t p);                          /* NULL when unknown */
const char *pml_key_info_class(uint32_t c);                    /* NULL when unknown */
const char *pml_key_set_info_class(uint32_t c);                /* NULL when unknown */

typedef struct pml_flag {
    uint32_t bits;
    const char *name;
} pml_flag;
/* The tables behind the names, in Procmon's order, for the fixture
 * generator, which maps names back to codes (fixtures/pml_names_rev.c). */
const pml_flag *pml_access_flags(bool registry, size_t *n);
const pml_flag *pml_common_access_flags(size_t *n);
bool pml_result_at(size_t i, uint32_t *status, const char **name);

/* ---- detail decoding (pml_detail.c) --------------------------------------------- */

typedef struct pml_host {
    uint8_t ip[16];
    char *name;
} pml_host;

typedef struct pml_port {
    uint16_t port;
    bool tcp;
    char *name;
} pml_port;

typedef struct pml_decoder {
    int ptr_size;            /* 4 or 8 */
    int version;             /* 7 or 9 */
    /* network name tables (owned by the reader) */
    const pml_host *hosts;
    size_t nhosts;
    const pml_port *ports;
    size_t nports;
    /* outputs */
    const char *opname;      /* the Operation: static text or op.data */
    ps_buf op, path, detail, cmdline, cwd, regdata, tmp;
    const char *category;    /* static text or "" */
    const char *reg_type;    /* static text or NULL */
    bool undecoded;          /* the operation or its detail could not be decoded */
    unsigned sub;            /* file system: the sub-operation byte */
    const uint8_t *user_sid; /* Process Create: the child's user SID (into the blob) */
    size_t user_sid_len;
    /* accounts learned from Process Create events, for "Impersonating" */
    struct {
        uint8_t sid[68];
        size_t len;
        char name[128];
    } sids[32];
    size_t nsids;
} pml_decoder;

/* Remembers the account name of a SID (the reader learns it from a Process
 * Create and the child's user in the process table). */
int pml_learn_sid(pml_decoder *d, const uint8_t *sid, size_t len, const char *name);
bool pml_known_sid(const pml_decoder *d, const uint8_t *sid, size_t len);

void pml_decoder_init(pml_decoder *d);
void pml_decoder_release(pml_decoder *d);

/* Decodes one event's operation name, Path, Detail and Category, and fills
 * the decoded fields of ev (child_pid, command_line, new_tid, image_base,
 * reg_type/reg_data, ...).  `tid` is the event's thread (Thread Exit reports
 * it).  det/dlen is the detail blob; extra/xlen the extra-detail blob (xlen
 * may be 0; has_extra says whether the event has one).  Returns < 0 only when
 * memory runs out; a blob that does not parse sets d->undecoded. */
int pml_decode(pml_decoder *d, unsigned cls, unsigned op, uint32_t tid, uint32_t result,
               const uint8_t *det, size_t dlen, const uint8_t *extra, size_t xlen, bool has_extra,
               ps_event *ev);

#endif
