/*
 * pml.c - Process Monitor's native log (PML), versions 9 (Procmon
 * 3.x-4.x) and 7 (Procmon 2.x), 32- and 64-bit.
 *
 *   header (0x3A8 bytes) | events ... | event-offset array | process table |
 *   string table | icon table | hosts and ports tables
 *
 * The file is read through a memory map (ps_input_map: a plain file is
 * mapped, a compressed one or a pipe is spooled first).  At open the tables
 * are read (strings converted to UTF-8 once, processes with their module
 * lists); then next() returns the process table (one PS_REC_PROCESS per
 * process, proc_index = Procmon's process index, UTC FILETIMEs) followed by
 * the events in the order of the event-offset array, which is Procmon's own
 * order (its display and its exports).  Pages of the map that were read are
 * handed back to the kernel as the reader advances, so resident memory does
 * not grow with the log.
 *
 * Damage: every offset, count, index and size is checked against the file.
 * A log that was not closed cleanly (zero table offsets) or is truncated is
 * read by walking the event records from the first one for as long as they
 * are well formed, with a warning that says how many were recovered; a record
 * that does not fit ends the log the same way.  An operation the reader does
 * not know is kept as "<Unknown>" and counted in info.undecoded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "parsers/procmon/pml.h"
#include "parsers/reader.h"

#define PML_HEADER_SIZE 0x3A8
#define PML_EVENT_HEADER 52
#define PML_MAX_FRAMES 1024
#define PML_RELEASE_STEP (256u << 10)
#define PML_KERNEL64 0xFFFF800000000000ULL
#define PML_KERNEL32 0x80000000ULL

typedef struct pml_mod {
    uint64_t base, size;
    const char *name;      /* file name of the module path */
} pml_mod;

typedef struct pml_proc {
    uint32_t index, pid, ppid, parent_index;
    uint64_t auth;
    int32_t session;
    int64_t start, end;
    int virtualized, is64;
    const char *integrity, *user, *name, *image, *cmdline, *company, *version, *description;
    char auth_text[20];
    ps_proc_attrs attrs;
    ps_module *modules;     /* table order, for the process record */
    pml_mod *sorted;        /* by base, for stack frames */
    uint32_t nmodules;
} pml_proc;

/* Resolved frames, by (module list, address): stacks repeat the same
 * return addresses over and over. */
#define PML_FCACHE_BITS 16
typedef struct pml_fslot {
    uint64_t address;
    const pml_mod *mod;      /* NULL: no module holds the address */
    int32_t owner;           /* process slot whose list was searched; -1 empty */
} pml_fslot;

/* Resolved stacks, by (module list, raw return addresses): most events
 * repeat a stack seen shortly before. */
#define PML_SCACHE 1024
#define PML_SCACHE_DEPTH 64
typedef struct pml_sentry {
    uint64_t key;            /* hash of owner and addresses; 0 empty */
    int32_t owner;
    uint32_t depth;
    uint64_t raw[PML_SCACHE_DEPTH];
    ps_frame frames[PML_SCACHE_DEPTH];
} pml_sentry;

typedef struct pml_reader {
    ps_reader base;
    const uint8_t *data;
    uint64_t size;
    int version, ptr;
    uint32_t nevents;
    uint64_t first_event, offarr, proctab, strtab, hoststab;
    uint64_t region_end;        /* events lie in [first_event, region_end) */

    ps_arena arena;             /* strings, processes, modules: live until close */
    const char **strings;
    uint32_t nstrings;
    pml_proc *procs;
    uint32_t nprocs;
    ps_map by_index;            /* process index -> slot + 1 */
    int64_t system_slot;        /* the System process (PID 4), -1 none */
    pml_host *hosts;
    size_t nhosts;
    pml_port *ports;
    size_t nports;

    /* iteration */
    uint32_t next_proc;
    uint64_t next_event;        /* index into the offset array */
    bool sequential;            /* no usable offset array: walk the records */
    uint64_t seq_off;
    bool done;
    uint64_t events;
    uint64_t released;          /* the map is released below this offset */
    bool warned_frames;

    pml_decoder dec;
    pml_fslot *fcache;
    pml_sentry *scache;
    ps_event ev;
    ps_process_rec prec;
    ps_frame *frames;
    char result_buf[16];
    const char *last_result;
    uint32_t last_status;
    const pml_proc *last_proc;
    uint32_t last_pidx;
} pml_reader;

static int pml_probe(const uint8_t *p, size_t n)
{
    if (n >= 8 && memcmp(p, "PML_", 4) == 0) {
        uint32_t v = pml_rd32(p + 4);
        return v == 9 || v == 7 ? 100 : 60;
    }
    return 0;
}

static int pml_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err);
static int pml_next(ps_reader *r, ps_record *rec, ps_error *err);
static void pml_close(ps_reader *r);

const ps_reader_ops ps_procmon_pml_reader = {
    .name = "procmon-pml",
    .summary = "Process Monitor native log (.PML, versions 7 and 9, 32- and 64-bit), with the "
               "process table, modules and stacks",
    .detects = "the magic 'PML_' at offset 0",
    .family = PS_FAMILY_PROCMON,
    .probe = pml_probe,
    .open = pml_open,
    .next = pml_next,
    .close = pml_close,
};

static const char *name_of(const pml_reader *r)
{
    return ps_input_name(r->base.in);
}

/* ---- tables ---------------------------------------------------------------------------------- */

static char *arena_utf16(pml_reader *r, ps_buf *tmp, const uint8_t *p, size_t units)
{
    ps_buf_reset(tmp);
    if (pml_put_utf16(tmp, p, units, true) < 0)
        return NULL;
    return ps_arena_strndup(&r->arena, tmp->data ? tmp->data : "", tmp->len);
}

static int read_strings(pml_reader *r, ps_buf *tmp, ps_error *err)
{
    uint64_t t = r->strtab;
    uint32_t n, i;

    if (t + 4 > r->size)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': string table at offset 0x%llx is past the end of the file",
                            name_of(r), (unsigned long long)t);
    n = pml_rd32(r->data + t);
    if ((uint64_t)n * 4 + 4 > r->size - t)
        return ps_error_set(err, PS_ERR_INPUT,
                            "'%s': string table at offset 0x%llx: %u strings do not fit in the file",
                            name_of(r), (unsigned long long)t, n);
    r->strings = ps_arena_alloc(&r->arena, ((size_t)n + 1) * sizeof *r->strings);
    if (!r->strings)
        return ps_error_nomem(err);
    for (i = 0; i < n; i++) {
        uint64_t off = t + pml_rd32(r->data + t + 4 + 4 * (uint64_t)i);
        uint32_t len;
        if (off + 4 > r->size)
            return ps_error_set(err, PS_ERR_INPUT, "'%s': string %u at offset 0x%llx is past the end of the file",
                                name_of(r), i, (unsigned long long)off);
        len = pml_rd32(r->data + off);
        if (len > r->size - off - 4)
            return ps_error_set(err, PS_ERR_INPUT,
                                "'%s': string %u at offset 0x%llx: %u bytes do not fit in the file",
                                name_of(r), i, (unsigned long long)off, len);
        r->strings[i] = arena_utf16(r, tmp, r->data + off + 4, len / 2);
        if (!r->strings[i])
            return ps_error_nomem(err);
    }
    r->nstrings = n;
    return 0;
}

static int str_at(pml_reader *r, pml_cur *c, uint64_t at, const char **out, ps_error *err)
{
    uint32_t i = pml_u32(c);
    if (c->bad)
        return 0;
    if (i >= r->nstrings)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': offset 0x%llx: string index %u out of range (%u strings)",
                            name_of(r), (unsigned long long)at, i, r->nstrings);
    *out = r->strings[i];
    return 0;
}

static int cmp_mod(const void *a, const void *b)
{
    const pml_mod *x = a, *y = b;
    return x->base < y->base ? -1 : x->base > y->base;
}

static int read_process(pml_reader *r, uint64_t at, pml_proc *p, ps_error *err)
{
    pml_cur c;
    const char **s[8];
    uint32_t i, nmod;
    int rc;

    pml_cur_init(&c, r->data + at, r->size - at);
    p->index = pml_u32(&c);
    p->pid = pml_u32(&c);
    p->ppid = pml_u32(&c);
    p->parent_index = pml_u32(&c);
    p->auth = pml_u64(&c);
    p->session = (int32_t)pml_u32(&c);
    pml_skip(&c, 4);
    p->start = (int64_t)pml_u64(&c);
    p->end = (int64_t)pml_u64(&c);
    p->virtualized = (int)pml_u32(&c);
    p->is64 = (int)pml_u32(&c);
    s[0] = &p->integrity;
    s[1] = &p->user;
    s[2] = &p->name;
    s[3] = &p->image;
    s[4] = &p->cmdline;
    s[5] = &p->company;
    s[6] = &p->version;
    s[7] = &p->description;
    for (i = 0; i < 8; i++)
        if ((rc = str_at(r, &c, at, s[i], err)) < 0)
            return rc;
    pml_skip(&c, 8);   /* icon indexes */
    pml_skip(&c, (size_t)r->ptr);
    nmod = pml_u32(&c);
    if (c.bad)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': process at offset 0x%llx runs past the end of the file",
                            name_of(r), (unsigned long long)at);
    {
        size_t msize = 2 * (size_t)r->ptr + 24 + 0x18;
        if ((uint64_t)nmod * msize > pml_left(&c))
            return ps_error_set(err, PS_ERR_INPUT,
                                "'%s': process at offset 0x%llx: %u modules do not fit in the file",
                                name_of(r), (unsigned long long)at, nmod);
    }
    p->nmodules = nmod;
    p->modules = nmod ? ps_arena_alloc(&r->arena, nmod * sizeof *p->modules) : NULL;
    p->sorted = nmod ? ps_arena_alloc(&r->arena, nmod * sizeof *p->sorted) : NULL;
    if (nmod && (!p->modules || !p->sorted))
        return ps_error_nomem(err);
    for (i = 0; i < nmod; i++) {
        ps_module *m = &p->modules[i];
        uint64_t mat = at + (uint64_t)(c.p - (r->data + at));
        uint32_t ts;
        memset(m, 0, sizeof *m);
        pml_skip(&c, (size_t)r->ptr);
        m->base = pml_ptr(&c, r->ptr);
        m->size = pml_u32(&c);
        if ((rc = str_at(r, &c, mat, &m->path, err)) < 0 || (rc = str_at(r, &c, mat, &m->version, err)) < 0 ||
            (rc = str_at(r, &c, mat, &m->company, err)) < 0 ||
            (rc = str_at(r, &c, mat, &m->description, err)) < 0)
            return rc;
        ts = pml_u32(&c);
        pml_skip(&c, 0x18);
        /* the image's link time stamp (seconds since 1970) as a FILETIME */
        m->timestamp = ts ? PS_FILETIME_UNIX_EPOCH + (int64_t)ts * PS_TICKS_PER_SEC : 0;
        p->sorted[i].base = m->base;
        p->sorted[i].size = m->size;
        p->sorted[i].name = ps_path_basename(m->path);
    }
    if (c.bad)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': process at offset 0x%llx runs past the end of the file",
                            name_of(r), (unsigned long long)at);
    if (nmod)
        qsort(p->sorted, nmod, sizeof *p->sorted, cmp_mod);
    snprintf(p->auth_text, sizeof p->auth_text, "%08x:%08x", (unsigned)(p->auth >> 32),
             (unsigned)(p->auth & 0xFFFFFFFFu));
    memset(&p->attrs, 0, sizeof p->attrs);
    p->attrs.image_path = p->image;
    p->attrs.command_line = p->cmdline;
    p->attrs.user = p->user;
    p->attrs.integrity = p->integrity;
    p->attrs.company = p->company;
    p->attrs.version = p->version;
    p->attrs.description = p->description;
    p->attrs.auth_id = p->auth_text;
    p->attrs.architecture = p->is64 ? "64-bit" : "32-bit";
    p->attrs.parent_pid = p->ppid;
    p->attrs.has_parent_pid = true;
    p->attrs.session = p->session;
    p->attrs.virtualized = p->virtualized ? "True" : "False";
    return 0;
}

static int read_processes(pml_reader *r, ps_error *err)
{
    uint64_t t = r->proctab;
    uint32_t n, i;
    int rc;

    if (t + 4 > r->size)
        return ps_error_set(err, PS_ERR_INPUT, "'%s': process table at offset 0x%llx is past the end of the file",
                            name_of(r), (unsigned long long)t);
    n = pml_rd32(r->data + t);
    if ((uint64_t)n * 8 + 4 > r->size - t)
        return ps_error_set(err, PS_ERR_INPUT,
                            "'%s': process table at offset 0x%llx: %u processes do not fit in the file",
                            name_of(r), (unsigned long long)t, n);
    r->procs = n ? ps_arena_alloc(&r->arena, n * sizeof *r->procs) : NULL;
    if (n && !r->procs)
        return ps_error_nomem(err);
    for (i = 0; i < n; i++) {
        uint64_t at = t + pml_rd32(r->data + t + 4 + 4 * (uint64_t)n + 4 * (uint64_t)i);
        pml_proc *p = &r->procs[i];
        uint64_t v;
        memset(p, 0, sizeof *p);
        if (at + 4 > r->size)
            return ps_error_set(err, PS_ERR_INPUT, "'%s': process %u at offset 0x%llx is past the end of the file",
                                name_of(r), i, (unsigned long long)at);
        if ((rc = read_process(r, at, p, err)) < 0)
            return rc;
        if (ps_map_get(&r->by_index, p->index, &v))
            return ps_error_set(err, PS_ERR_INPUT, "'%s': process at offset 0x%llx: process index %u appears twice",
                                name_of(r), (unsigned long long)at, p->index);
        if (ps_map_put(&r->by_index, p->index, (uint64_t)i + 1) < 0)
            return ps_error_nomem(err);
        if (p->pid == 4 && r->system_slot < 0)
            r->system_slot = i;
    }
    r->nprocs = n;
    return 0;
}

static int read_hosts_ports(pml_reader *r, ps_buf *tmp, ps_error *err)
{
    pml_cur c;
    uint32_t n, i;

    if (!r->hoststab)
        return 0;
    if (r->hoststab >= r->size) {
        ps_reader_warn(&r->base, "'%s': the hosts and ports table at offset 0x%llx is past the end of the file "
                                 "(truncated); network events show addresses and port numbers",
                       name_of(r), (unsigned long long)r->hoststab);
        return 0;
    }
    pml_cur_init(&c, r->data + r->hoststab, r->size - r->hoststab);
    n = pml_u32(&c);
    if ((uint64_t)n * 20 > pml_left(&c))
        goto bad;
    r->hosts = n ? ps_arena_alloc(&r->arena, n * sizeof *r->hosts) : NULL;
    if (n && !r->hosts)
        return ps_error_nomem(err);
    for (i = 0; i < n; i++) {
        uint32_t len;
        if (!pml_need(&c, 16))
            goto bad;
        memcpy(r->hosts[i].ip, c.p, 16);
        c.p += 16;
        len = pml_u32(&c);
        if (!pml_need(&c, len))
            goto bad;
        if (!(r->hosts[i].name = arena_utf16(r, tmp, c.p, len / 2)))
            return ps_error_nomem(err);
        c.p += len;
    }
    r->nhosts = n;
    n = pml_u32(&c);
    if (c.bad || (uint64_t)n * 8 > pml_left(&c))
        goto bad;
    r->ports = n ? ps_arena_alloc(&r->arena, n * sizeof *r->ports) : NULL;
    if (n && !r->ports)
        return ps_error_nomem(err);
    for (i = 0; i < n; i++) {
        uint32_t len;
        r->ports[i].port = pml_u16(&c);
        r->ports[i].tcp = pml_u16(&c) != 0;
        len = pml_u32(&c);
        if (!pml_need(&c, len))
            goto bad;
        if (!(r->ports[i].name = arena_utf16(r, tmp, c.p, len / 2)))
            return ps_error_nomem(err);
        c.p += len;
    }
    r->nports = n;
    return 0;
bad:
    /* only network names are lost: addresses and port numbers are printed */
    ps_reader_warn(&r->base, "'%s': the hosts and ports table at offset 0x%llx is damaged; network "
                             "events show addresses and port numbers",
                   name_of(r), (unsigned long long)r->hoststab);
    r->nhosts = r->nports = 0;
    return 0;
}

/* ---- open ------------------------------------------------------------------------------------ */

static void os_version(pml_reader *r)
{
    uint32_t maj = pml_rd32(r->data + 0x274), min = pml_rd32(r->data + 0x278),
             build = pml_rd32(r->data + 0x27C);
    char sp[64];
    ps_buf tmp;
    size_t n;

    ps_buf_init(&tmp);
    pml_put_utf16(&tmp, r->data + 0x284, 0x32 / 2, true);
    ps_strlcpy(sp, tmp.data ? tmp.data : "", sizeof sp);
    ps_buf_release(&tmp);
    n = (size_t)snprintf(r->base.info.os_version, sizeof r->base.info.os_version,
                         "Windows %u.%u (build %u)", maj, min, build);
    if (sp[0] && n < sizeof r->base.info.os_version)
        snprintf(r->base.info.os_version + n, sizeof r->base.info.os_version - n, ", %s", sp);
}

/* The first events tell whether the log carries stacks. */
static bool probe_stacks(pml_reader *r)
{
    uint64_t i;
    if (r->sequential) {
        uint64_t off = r->first_event;
        for (i = 0; i < 64 && off + PML_EVENT_HEADER <= r->region_end; i++) {
            const uint8_t *e = r->data + off;
            if ((e[0x28] | (e[0x29] << 8)) != 0)
                return true;
            off += PML_EVENT_HEADER + (uint64_t)(e[0x28] | (e[0x29] << 8)) * (uint64_t)r->ptr +
                   pml_rd32(e + 0x2C);
        }
        return false;
    }
    for (i = 0; i < r->nevents && i < 64; i++) {
        uint64_t off = pml_rd32(r->data + r->offarr + 5 * i);
        if (off >= r->first_event && off + PML_EVENT_HEADER <= r->region_end &&
            (r->data[off + 0x28] | (r->data[off + 0x29] << 8)) != 0)
            return true;
    }
    return false;
}

static int pml_open(ps_input *in, const ps_reader_opts *opts, ps_reader **out, ps_error *err)
{
    pml_reader *r;
    ps_buf tmp;
    uint32_t is64;
    int rc;
    bool tables_ok;
    const char *why = NULL;

    *out = NULL;
    r = calloc(1, sizeof *r);
    if (!r)
        return ps_error_nomem(err);
    ps_reader_base_init(&r->base, &ps_procmon_pml_reader, in, opts);
    ps_arena_init(&r->arena, 1u << 16);
    ps_map_init(&r->by_index);
    pml_decoder_init(&r->dec);
    ps_buf_init(&tmp);
    r->system_slot = -1;
    r->frames = malloc(PML_MAX_FRAMES * sizeof *r->frames);
    r->fcache = malloc(((size_t)1 << PML_FCACHE_BITS) * sizeof *r->fcache);
    r->scache = opts && opts->no_stacks ? NULL : malloc(PML_SCACHE * sizeof *r->scache);
    if (!r->frames || !r->fcache || (!r->scache && !(opts && opts->no_stacks))) {
        rc = ps_error_nomem(err);
        goto fail;
    }
    {
        /* fixed-size caches, initialised (and so resident) now: memory does
         * not grow with the log */
        size_t k;
        for (k = 0; k < ((size_t)1 << PML_FCACHE_BITS); k++)
            r->fcache[k].owner = -1;
        if (r->scache)
            memset(r->scache, 0, PML_SCACHE * sizeof *r->scache);
    }

    /* a compressed log is spooled whole before it is read: its header is
     * checked first, on the first decompressed bytes */
    {
        const uint8_t *h;
        size_t hl;
        uint64_t need = 0, off[3];
        int k;
        if ((rc = ps_input_peek(in, PML_HEADER_SIZE, &h, &hl, err)) < 0)
            goto fail;
        if (hl < 8 || memcmp(h, "PML_", 4) != 0) {
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': offset 0: not a Procmon log (no 'PML_' magic)", name_of(r));
            goto fail;
        }
        r->version = (int)pml_rd32(h + 4);
        if (r->version != 9 && r->version != 7) {
            rc = ps_error_set(err, PS_ERR_INPUT,
                              "'%s': offset 0x4: PML version %d; procstage reads versions 7 and 9", name_of(r),
                              r->version);
            goto fail;
        }
        if (hl < PML_HEADER_SIZE) {   /* peek gives less only at the end */
            rc = ps_error_set(err, PS_ERR_INPUT, "'%s': truncated at offset 0x%llx: the header needs 0x%x bytes",
                              name_of(r), (unsigned long long)hl, PML_HEADER_SIZE);
            goto fail;
        }
        off[0] = pml_rd64(h + 0x240);   /* first event */
        off[1] = pml_rd64(h + 0x250);   /* process table */
        off[2] = pml_rd64(h + 0x258);   /* string table */
        for (k = 0; k < 3; k++)
            if (off[k] > need)
                need = off[k];
        if ((rc = ps_input_spool_need(in, need, err)) < 0)
            goto fail;
    }
    if ((rc = ps_input_map(in, &r->data, &r->size, err)) < 0)
        goto fail;
    if (r->size < PML_HEADER_SIZE) {   /* the peeked header is the mapping's first bytes */
        rc = ps_error_set(err, PS_ERR_INTERNAL, "'%s': the mapping is shorter than the header read", name_of(r));
        goto fail;
    }
    is64 = pml_rd32(r->data + 8);
    r->ptr = is64 ? 8 : 4;
    r->nevents = pml_rd32(r->data + 0x234);
    r->first_event = pml_rd64(r->data + 0x240);
    r->offarr = pml_rd64(r->data + 0x248);
    r->proctab = pml_rd64(r->data + 0x250);
    r->strtab = pml_rd64(r->data + 0x258);
    r->hoststab = pml_rd64(r->data + 0x3A0);
    if (r->first_event == 0)
        r->first_event = PML_HEADER_SIZE;   /* an unclosed log: events follow the header */
    if (r->first_event < PML_HEADER_SIZE || r->first_event > r->size) {
        rc = ps_error_set(err, PS_ERR_INPUT, "'%s': offset 0x240: first event at 0x%llx is outside the file",
                          name_of(r), (unsigned long long)r->first_event);
        goto fail;
    }

    /* host, OS, CPUs */
    pml_put_utf16(&tmp, r->data + 0xC, 16, true);
    ps_strlcpy(r->base.info.host, tmp.data ? tmp.data : "", sizeof r->base.info.host);
    os_version(r);
    r->base.info.pointer_size = r->ptr;
    r->base.info.cpu_count = (int)pml_rd32(r->data + 0x38C);
    if (r->base.info.cpu_count < 0 || r->base.info.cpu_count > 4096)
        r->base.info.cpu_count = 0;
    r->base.info.time_basis = PS_TIME_UTC;
    r->base.info.has_tid = true;
    snprintf(r->base.info.time_note, sizeof r->base.info.time_note,
             "UTC FILETIMEs recorded by Procmon (PML version %d)", r->version);

    /* the tables */
    tables_ok = r->offarr && r->proctab && r->strtab;
    if (!tables_ok)
        why = "it was not closed cleanly (zero table offsets)";
    else if (r->offarr < r->first_event || r->offarr > r->size || (uint64_t)r->nevents * 5 > r->size - r->offarr)
        why = "the event-offset array is past the end of the file (truncated)";
    else if (r->strtab >= r->size || r->proctab >= r->size)
        why = "the process and string tables are past the end of the file (truncated)";
    if (why) {
        r->sequential = true;
        r->region_end = r->size;
        if (r->offarr >= r->first_event && r->offarr <= r->size && r->offarr)
            r->region_end = r->offarr;
        r->seq_off = r->first_event;
        ps_reader_warn(&r->base,
                       "'%s': %s; reading the events from offset 0x%llx for as long as they are well "
                       "formed, without process names or PIDs",
                       name_of(r), why, (unsigned long long)r->first_event);
    } else {
        r->region_end = r->offarr;
        if ((rc = read_strings(r, &tmp, err)) < 0 || (rc = read_processes(r, err)) < 0 ||
            (rc = read_hosts_ports(r, &tmp, err)) < 0)
            goto fail;
    }
    r->dec.ptr_size = r->ptr;
    r->dec.version = r->version;
    r->dec.hosts = r->hosts;
    r->dec.nhosts = r->nhosts;
    r->dec.ports = r->ports;
    r->dec.nports = r->nports;
    r->base.info.has_stacks = !r->base.opts.no_stacks && probe_stacks(r);
    /* the tables were copied: their pages are not needed any more */
    if (!r->sequential)
        ps_input_release(in, r->offarr, r->size);
    ps_buf_release(&tmp);
    *out = &r->base;
    return 0;
fail:
    ps_buf_release(&tmp);
    pml_close(&r->base);
    return rc;
}

static void pml_close(ps_reader *base)
{
    pml_reader *r = (pml_reader *)base;
    if (!r)
        return;
    ps_arena_release(&r->arena);
    ps_map_release(&r->by_index);
    pml_decoder_release(&r->dec);
    free(r->frames);
    free(r->fcache);
    free(r->scache);
    free(r);
}

/* ---- records ----------------------------------------------------------------------------------- */

static void emit_process(pml_reader *r, const pml_proc *p, ps_record *rec)
{
    ps_process_rec *pr = &r->prec;

    memset(pr, 0, sizeof *pr);
    pr->proc_index = p->index;
    pr->pid = p->pid;
    pr->parent_pid = p->ppid;
    pr->parent_index = p->parent_index;
    pr->start_ts = p->start > 0 ? p->start : 0;
    pr->end_ts = p->end > 0 ? p->end : 0;
    pr->session = p->session;
    pr->is64 = p->is64 ? 1 : 0;
    pr->virtualized = p->virtualized == 1 ? 1 : p->virtualized == 0 ? 0 : -1;
    pr->process_name = p->name;
    pr->image_path = p->image;
    pr->command_line = p->cmdline;
    pr->user = p->user;
    pr->integrity = p->integrity;
    pr->company = p->company;
    pr->version = p->version;
    pr->description = p->description;
    pr->auth_id = p->auth_text;
    pr->modules = p->modules;
    pr->nmodules = p->nmodules;
    rec->type = PS_REC_PROCESS;
    rec->process = pr;
    rec->event = NULL;
}

static ps_op map_op(unsigned cls, unsigned op, const char *name)
{
    switch (cls) {
    case 1:
        switch (op) {
        case 1: return PS_OP_PROCESS_CREATE;
        case 2: return PS_OP_PROCESS_EXIT;
        case 3: return PS_OP_THREAD_CREATE;
        case 4: return PS_OP_THREAD_EXIT;
        case 5: return PS_OP_LOAD_IMAGE;
        case 7: return PS_OP_PROCESS_START;
        default: return PS_OP_OTHER;
        }
    case 2:
        switch (op) {
        case 0: return PS_OP_REG_OPEN_KEY;
        case 1: return PS_OP_REG_CREATE_KEY;
        case 3: return PS_OP_REG_QUERY_KEY;
        case 4: return PS_OP_REG_SET_VALUE;
        case 5: return PS_OP_REG_QUERY_VALUE;
        case 9: return PS_OP_REG_DELETE_KEY;
        case 10: return PS_OP_REG_DELETE_VALUE;
        default: return PS_OP_REG_OTHER;
        }
    case 3:
        if (op == 20)
            return PS_OP_FILE_CREATE;
        if (op == 19)
            return PS_OP_FILE_MAPPING;
        return PS_OP_FILE_OTHER;
    case 4:
        return PS_OP_PROFILING;
    case 5:
        return PS_OP_NETWORK;
    default:
        (void)name;
        return PS_OP_OTHER;
    }
}

/* The module holding `addr` in a sorted module list, or NULL. */
static const pml_mod *find_mod(const pml_proc *p, uint64_t addr)
{
    size_t lo = 0, hi;
    if (!p || !p->nmodules)
        return NULL;
    hi = p->nmodules;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->sorted[mid].base <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    {
        const pml_mod *m = &p->sorted[lo - 1];
        return addr - m->base < m->size ? m : NULL;
    }
}

static void resolve_frames(pml_reader *r, const pml_proc *p, const uint8_t *st, uint32_t depth, ps_frame *out)
{
    const pml_proc *sys = r->system_slot >= 0 ? &r->procs[r->system_slot] : NULL;
    uint64_t kmin = r->ptr == 8 ? PML_KERNEL64 : PML_KERNEL32;
    int32_t pslot = p ? (int32_t)(p - r->procs) : -2;
    uint32_t i;

    for (i = 0; i < depth; i++) {
        ps_frame *f = &out[i];
        uint64_t a = r->ptr == 8 ? pml_rd64(st + 8 * (size_t)i) : pml_rd32(st + 4 * (size_t)i);
        const pml_mod *m;
        int32_t owner;
        pml_fslot *slot;
        f->address = a;
        f->kernel = a >= kmin;
        f->symbol = NULL;
        owner = f->kernel ? -3 : pslot;
        slot = &r->fcache[((a ^ ((uint64_t)(uint32_t)owner << 40)) * 0x9E3779B97F4A7C15ULL) >> (64 - PML_FCACHE_BITS)];
        if (slot->owner == owner && slot->address == a) {
            m = slot->mod;
        } else {
            m = find_mod(f->kernel ? sys : p, a);
            if (!m && !f->kernel)
                m = find_mod(sys, a);   /* ntdll and friends are in System's list too */
            slot->owner = owner;
            slot->address = a;
            slot->mod = m;
        }
        if (m) {
            f->module = m->name;
            f->offset = a - m->base;
        } else {
            f->module = NULL;
            f->offset = 0;
        }
    }
}

/* The frames of a stack of n return addresses at st, through the stack
 * cache when it fits; sets ev->frames, nframes and stack_hash. */
static void set_frames(pml_reader *r, const pml_proc *p, const uint8_t *st, uint32_t n, ps_event *ev)
{
    int32_t owner = p ? (int32_t)(p - r->procs) : -2;
    size_t bytes = (size_t)n * (size_t)r->ptr, i;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)(uint32_t)owner << 32) ^ n;
    pml_sentry *e;

    for (i = 0; i + 8 <= bytes; i += 8)
        h = (h ^ pml_rd64(st + i)) * 0xFF51AFD7ED558CCDULL;
    if (i < bytes)
        h = (h ^ pml_rd32(st + i)) * 0xFF51AFD7ED558CCDULL;
    h ^= h >> 29;
    if (!h)
        h = 1;
    ev->nframes = n;
    if (n > PML_SCACHE_DEPTH || !r->scache) {
        resolve_frames(r, p, st, n, r->frames);
        ev->frames = r->frames;
        ev->stack_hash = h;
        return;
    }
    e = &r->scache[h % PML_SCACHE];
    if (e->key != h || e->owner != owner || e->depth != n || memcmp(e->raw, st, bytes) != 0) {
        e->key = h;
        e->owner = owner;
        e->depth = n;
        memcpy(e->raw, st, bytes);
        resolve_frames(r, p, st, n, e->frames);
    }
    ev->frames = e->frames;
    /* the module names are the reader's own strings: equal addresses in the
     * same module list resolve equally */
    ev->stack_hash = h;
}

/* Gives back the pages of the map below the events being read. */
static void release_behind(pml_reader *r, uint64_t off)
{
    if (off > r->released + 2 * PML_RELEASE_STEP) {
        uint64_t to = off - PML_RELEASE_STEP;
        ps_input_release(r->base.in, r->released, to);
        r->released = to;
    }
}

/* A Process Create names the child's user SID; the process table names the
 * child's user: together they give the account Procmon prints for that SID. */
static void learn_user(pml_reader *r, uint32_t pid, int64_t ts)
{
    uint32_t i;
    const pml_proc *best = NULL;
    if (pml_known_sid(&r->dec, r->dec.user_sid, r->dec.user_sid_len))
        return;
    for (i = 0; i < r->nprocs; i++) {
        const pml_proc *p = &r->procs[i];
        if (p->pid != pid || !p->user || !*p->user)
            continue;
        /* the instance created closest to this event (PIDs are reused) */
        if (!best || llabs(p->start - ts) < llabs(best->start - ts))
            best = p;
    }
    if (best)
        pml_learn_sid(&r->dec, r->dec.user_sid, r->dec.user_sid_len, best->user);
}

/* Checks and decodes the event record at `off`; 0 ok, 1 not a valid record
 * (with *why set), < 0 out of memory. */
static int decode_event(pml_reader *r, uint64_t off, uint64_t *end, const char **why)
{
    const uint8_t *e;
    uint32_t pidx, tid, cls, result, dsize, xoff;
    uint16_t op, depth;
    uint64_t rec_end, stack_at, det_at;
    const uint8_t *extra = NULL;
    size_t xlen = 0;
    bool has_extra = false;
    ps_event *ev = &r->ev;
    const pml_proc *p = NULL;
    uint64_t v;
    int rc;

    if (off < r->first_event || off + PML_EVENT_HEADER > r->region_end) {
        *why = "the record header does not fit in the event area";
        return 1;
    }
    e = r->data + off;
    pidx = pml_rd32(e);
    tid = pml_rd32(e + 4);
    cls = pml_rd32(e + 8);
    op = (uint16_t)(e[0xC] | (e[0xD] << 8));
    result = pml_rd32(e + 0x24);
    depth = (uint16_t)(e[0x28] | (e[0x29] << 8));
    dsize = pml_rd32(e + 0x2C);
    xoff = pml_rd32(e + 0x30);
    stack_at = off + PML_EVENT_HEADER;
    det_at = stack_at + (uint64_t)depth * (uint64_t)r->ptr;
    rec_end = det_at + dsize;
    if (det_at > r->region_end) {
        *why = "the stack runs past the event area";
        return 1;
    }
    if (rec_end > r->region_end) {
        *why = "the detail size runs past the event area";
        return 1;
    }
    if (xoff) {
        uint64_t xat = off + xoff;
        if (xoff < PML_EVENT_HEADER || xat + 2 > r->region_end) {
            *why = "the extra-detail offset points outside the event area";
            return 1;
        }
        xlen = (size_t)(r->data[xat] | (r->data[xat + 1] << 8));
        if (xat + 2 + xlen > r->region_end) {
            *why = "the extra detail runs past the event area";
            return 1;
        }
        extra = r->data + xat + 2;
        has_extra = true;
        if (xat + 2 + xlen > rec_end)
            rec_end = xat + 2 + xlen;
    }
    if (r->sequential && (cls < 1 || cls > 5 || pml_rd64(e + 0x1C) == 0)) {
        *why = "not an event record";
        return 1;
    }
    *end = rec_end;

    ps_event_init(ev);
    ev->seq = ++r->events;
    ev->ts = (int64_t)pml_rd64(e + 0x1C);
    ev->duration = (int64_t)pml_rd64(e + 0x14);
    ev->tid = tid;
    ev->has_tid = true;
    ev->proc_index = pidx;
    ev->cls = cls >= 1 && cls <= 5 ? (ps_event_class)cls : PS_CLASS_UNKNOWN;
    ev->src_offset = off;
    if (r->sequential) {
        p = NULL;
    } else if (r->last_proc && r->last_pidx == pidx) {
        p = r->last_proc;
    } else if (ps_map_get(&r->by_index, pidx, &v)) {
        p = &r->procs[v - 1];
        r->last_proc = p;
        r->last_pidx = pidx;
    }
    if (p) {
        ev->pid = p->pid;
        ev->process_name = p->name;
        ev->proc = &p->attrs;
    }
    if (result != r->last_status || !r->last_result) {
        r->last_result = pml_result_name(result, r->result_buf);
        r->last_status = result;
    }
    ev->result = r->last_result;
    if (!ev->result[0])
        ev->duration = -1;   /* still pending: Procmon shows no duration */
    rc = pml_decode(&r->dec, cls, op, tid, result, r->data + det_at, dsize, extra, xlen, has_extra, ev);
    if (rc < 0)
        return rc;
    ev->operation = r->dec.opname;
    ev->path = r->dec.path.data;
    ev->detail = r->dec.detail.data;
    ev->category = r->dec.category;
    ev->op = map_op(cls, op, ev->operation);
    if (r->dec.undecoded)
        r->base.info.undecoded++;
    if (r->dec.user_sid && ev->has_child_pid)
        learn_user(r, ev->child_pid, ev->ts);
    if (depth && !r->base.opts.no_stacks) {
        uint32_t n = depth;
        if (n > PML_MAX_FRAMES) {
            n = PML_MAX_FRAMES;
            if (!r->warned_frames) {
                r->warned_frames = true;
                ps_reader_warn(&r->base,
                               "'%s': event %llu at offset 0x%llx: a stack of %u frames; only the innermost "
                               "%u are kept (here and in any deeper stack)",
                               name_of(r), (unsigned long long)ev->seq, (unsigned long long)off, depth,
                               PML_MAX_FRAMES);
            }
        }
        set_frames(r, p, r->data + stack_at, n, ev);
    }
    return 0;
}

static void recovered(pml_reader *r, uint64_t off, const char *why)
{
    ps_reader_warn(&r->base, "'%s': event %llu at offset 0x%llx: %s; %llu events recovered before it",
                   name_of(r), (unsigned long long)(r->events + 1), (unsigned long long)off, why,
                   (unsigned long long)r->events);
}

static int pml_next(ps_reader *base, ps_record *rec, ps_error *err)
{
    pml_reader *r = (pml_reader *)base;
    uint64_t off, end = 0;
    const char *why = NULL;
    int rc;

    if (r->done)
        return 0;
    if (r->next_proc < r->nprocs) {
        emit_process(r, &r->procs[r->next_proc++], rec);
        return 1;
    }
    if (r->sequential) {
        off = r->seq_off;
        if (off + PML_EVENT_HEADER > r->region_end) {
            r->done = true;
            ps_reader_warn(base, "'%s': %llu events recovered (reading stopped at offset 0x%llx%s)", name_of(r),
                           (unsigned long long)r->events, (unsigned long long)off,
                           off >= r->region_end ? ", the end of the event area" : "");
            return 0;
        }
        rc = decode_event(r, off, &end, &why);
        if (rc < 0)
            return ps_error_nomem(err);
        if (rc > 0) {
            r->done = true;
            ps_reader_warn(base, "'%s': %llu events recovered; the record at offset 0x%llx is not valid (%s)",
                           name_of(r), (unsigned long long)r->events, (unsigned long long)off, why);
            return 0;
        }
        r->seq_off = end;
    } else {
        if (r->next_event >= r->nevents) {
            r->done = true;
            return 0;
        }
        off = pml_rd32(r->data + r->offarr + 5 * r->next_event);
        rc = decode_event(r, off, &end, &why);
        if (rc < 0)
            return ps_error_nomem(err);
        if (rc > 0) {
            r->done = true;
            if (r->events == 0)
                return ps_error_set(err, PS_ERR_INPUT, "'%s': event 1 at offset 0x%llx: %s", name_of(r),
                                    (unsigned long long)off, why);
            recovered(r, off, why);
            return 0;
        }
        r->next_event++;
        /* the offset array is read once, front to back: release it too */
        if ((r->next_event & 0xFFFF) == 0)
            ps_input_release(r->base.in, r->offarr, r->offarr + 5 * r->next_event);
    }
    release_behind(r, off);
    ps_input_map_progress(r->base.in, end);   /* the progress bar */
    rec->type = PS_REC_EVENT;
    rec->event = &r->ev;
    rec->process = NULL;
    return 1;
}
