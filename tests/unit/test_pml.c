/* parsers/procmon/pml.c: the PML fixtures, damaged logs and the writer.
 * Every damaged log gives a one-line error with the byte offset, or a
 * warning and the events before the damage; none reads out of bounds (run
 * this test under -fsanitize=address,undefined to check the last part). */
#include <unistd.h>

#include "fixtures/pml_writer.h"
#include "parsers/procmon/pml.h"
#include "parsers/reader.h"
#include "tap.h"

extern const ps_reader_ops ps_procmon_pml_reader;

static const char *srcdir(void)
{
    const char *s = getenv("top_srcdir");
    return s && *s ? s : ".";
}

typedef struct result {
    int rc;                  /* open or next error, 0 when read to the end */
    char err[PS_ERROR_MAX];
    unsigned events, processes, warnings, undecoded, frames;
    char warning[1024];      /* the last warning */
    bool stacks;
    char first_pname[64];
    char last_op[64];
} result;

static void on_warn(void *ctx, const char *msg)
{
    result *r = ctx;
    r->warnings++;
    snprintf(r->warning, sizeof r->warning, "%s", msg);
}

static void read_file(const char *path, bool no_stacks, result *r)
{
    ps_input_opts io;
    ps_input *in = NULL;
    ps_reader *rd = NULL;
    ps_reader_opts ro;
    ps_error err;
    ps_record rec;
    int n;

    memset(r, 0, sizeof *r);
    memset(&ro, 0, sizeof ro);
    ro.no_stacks = no_stacks;
    ro.warn = on_warn;
    ro.warn_ctx = r;
    ps_error_clear(&err);
    ps_input_opts_init(&io);
    if ((r->rc = ps_input_open(path, &io, &in, &err)) < 0 ||
        (r->rc = ps_procmon_pml_reader.open(in, &ro, &rd, &err)) < 0)
        goto out;
    r->stacks = rd->info.has_stacks;
    while ((n = ps_reader_next(rd, &rec, &err)) > 0) {
        if (rec.type == PS_REC_PROCESS) {
            r->processes++;
            continue;
        }
        r->events++;
        r->frames += rec.event->nframes;
        if (r->events == 1)
            snprintf(r->first_pname, sizeof r->first_pname, "%s", rec.event->process_name);
        snprintf(r->last_op, sizeof r->last_op, "%s", rec.event->operation);
    }
    r->rc = n;
    r->undecoded = (unsigned)rd->info.undecoded;
out:
    if (r->rc < 0)
        snprintf(r->err, sizeof r->err, "%s", err.msg);
    ps_reader_close(rd);
    ps_input_close(in);
}

static unsigned char *orig;
static size_t orig_len;
static char tmp[1024];

static void read_bytes(const unsigned char *p, size_t n, result *r)
{
    tap_write_file(tmp, (const char *)p, n);
    read_file(tmp, false, r);
}

static uint32_t get32(const unsigned char *p, size_t at)
{
    return (uint32_t)p[at] | ((uint32_t)p[at + 1] << 8) | ((uint32_t)p[at + 2] << 16) | ((uint32_t)p[at + 3] << 24);
}

static void put32(unsigned char *p, size_t at, uint32_t v)
{
    p[at] = (unsigned char)v;
    p[at + 1] = (unsigned char)(v >> 8);
    p[at + 2] = (unsigned char)(v >> 16);
    p[at + 3] = (unsigned char)(v >> 24);
}

static void put64(unsigned char *p, size_t at, uint64_t v)
{
    put32(p, at, (uint32_t)v);
    put32(p, at + 4, (uint32_t)(v >> 32));
}

/* a patched copy of the fixture */
static unsigned char *copy(void)
{
    unsigned char *c = malloc(orig_len);
    memcpy(c, orig, orig_len);
    return c;
}

static bool has(const char *s, const char *needle)
{
    return strstr(s, needle) != NULL;
}

/* a log with one event whose stack has `depth` frames cycling over three
 * return addresses */
static void deep_stack(const char *path, uint32_t depth)
{
    FILE *f = fopen(path, "wb");
    pmlw *w;
    pmlw_process p;
    pmlw_module mods[8];
    pmlw_event e;
    uint64_t *stack = calloc(depth, sizeof *stack);
    uint32_t i;

    pmlw_open(f, 8, "HOST", &w);
    memset(&p, 0, sizeof p);
    p.index = 7;
    p.pid = 1234;
    p.name = "deep.exe";
    p.image = "C:\\deep.exe";
    p.nmodules = pmlw_std_modules(8, p.image, mods);
    p.modules = mods;
    pmlw_add_process(w, &p);
    for (i = 0; i < depth; i++)
        stack[i] = mods[i % 3].base + 0x100 + i % 3;
    memset(&e, 0, sizeof e);
    e.process_index = 7;
    e.tid = 1;
    e.ts = 132389878606298187LL;
    e.op = "RegCloseKey";
    e.path = "HKLM\\Software";
    e.result = "SUCCESS";
    e.detail = "";
    e.stack = stack;
    e.depth = depth;
    pmlw_add_event(w, &e);
    pmlw_close(w, true);
    fclose(f);
    free(stack);
}

int main(void)
{
    char path[1024];
    result r;
    unsigned char *c;
    FILE *f;
    uint64_t offarr, proctab, strtab, first;
    uint32_t off5;
    size_t i;

    snprintf(path, sizeof path, "%s/fixtures/plain.pml", srcdir());
    f = fopen(path, "rb");
    if (!f)
        tap_skip_all("fixtures not found (set top_srcdir)");
    orig = malloc(1 << 20);
    orig_len = fread(orig, 1, 1 << 20, f);
    fclose(f);
    snprintf(tmp, sizeof tmp, "%s/x.pml", tap_tmpdir());
    first = get32(orig, 0x240);
    offarr = get32(orig, 0x248);
    proctab = get32(orig, 0x250);
    strtab = get32(orig, 0x258);

    /* the fixtures */
    read_file(path, false, &r);
    ok(r.rc == 0 && r.events == 84 && r.processes == 5 && !r.warnings && !r.undecoded && r.stacks && r.frames > 84 * 5,
       "plain.pml: 84 events, 5 processes, stacks, nothing undecoded (%d %s)", r.rc, r.err);
    is_str(r.first_pname, "Explorer.EXE", "events carry the process name from the process table");
    read_file(path, true, &r);
    ok(r.rc == 0 && r.events == 84 && r.frames == 0 && !r.stacks, "--no-stacks: no frames");
    snprintf(path, sizeof path, "%s/fixtures/plain32.pml", srcdir());
    read_file(path, false, &r);
    ok(r.rc == 0 && r.events == 84 && r.frames > 84 * 5, "plain32.pml: a 32-bit log");

    /* wrong magic, version, a cut header */
    c = copy();
    memcpy(c, "PMX_", 4);
    read_bytes(c, orig_len, &r);
    ok(r.rc == PS_ERR_INPUT && has(r.err, "x.pml': offset 0: not a Procmon log"), "wrong magic: %s", r.err);
    memcpy(c, "PML_", 4);
    put32(c, 4, 8);
    read_bytes(c, orig_len, &r);
    ok(r.rc == PS_ERR_INPUT && has(r.err, "offset 0x4: PML version 8"), "unknown version: %s", r.err);
    free(c);
    read_bytes(orig, 0x200, &r);
    ok(r.rc == PS_ERR_INPUT && has(r.err, "truncated at offset 0x200"), "a cut header: %s", r.err);

    /* a log Procmon did not close: every event recovered, by walking them */
    c = copy();
    put64(c, 0x248, 0);
    put64(c, 0x250, 0);
    put64(c, 0x258, 0);
    read_bytes(c, orig_len, &r);
    ok(r.rc == 0 && r.events == 84 && r.processes == 0 && r.warnings == 2 && has(r.warning, "84 events recovered"),
       "zero table offsets: %u events recovered (%s)", r.events, r.warning);
    free(c);

    /* truncated in the middle of the events */
    read_bytes(orig, (size_t)(first + (offarr - first) / 2), &r);
    ok(r.rc == 0 && r.events > 10 && r.events < 84 && has(r.warning, "events recovered"),
       "truncated log: %u events recovered (%s)", r.events, r.warning);
    /* truncated inside the tables */
    read_bytes(orig, (size_t)(strtab + 8), &r);
    ok(r.rc == PS_ERR_INPUT && has(r.err, "do not fit in the file"), "truncated string table: %s", r.err);

    /* impossible offsets and counts */
    c = copy();
    put32(c, 0x234, 0x7FFFFFFF);
    read_bytes(c, orig_len, &r);
    ok(r.rc == 0 && r.events == 84 && has(r.warning, "84 events recovered"),
       "an event count past the file: read by walking (%s)", r.warning);
    free(c);
    c = copy();
    off5 = get32(orig, (size_t)offarr + 5 * 40);
    put32(c, (size_t)offarr + 5 * 40, (uint32_t)orig_len + 100);
    read_bytes(c, orig_len, &r);
    ok(r.rc == 0 && r.events == 40 && has(r.warning, "event 41 at offset") &&
           has(r.warning, "does not fit in the event area; 40 events recovered"),
       "an event offset past the events: %s", r.warning);
    put32(c, (size_t)offarr, 3);
    read_bytes(c, orig_len, &r);
    ok(r.rc == PS_ERR_INPUT && has(r.err, "event 1 at offset 0x3"), "the first event offset impossible: %s", r.err);
    free(c);
    c = copy();
    put32(c, (size_t)proctab, 0xFFFFFFF0u);
    read_bytes(c, orig_len, &r);
    ok(r.rc == PS_ERR_INPUT && has(r.err, "processes do not fit in the file"), "absurd process count: %s", r.err);
    free(c);
    c = copy();
    {
        /* the first process's integrity string index */
        uint32_t n = get32(orig, (size_t)proctab), at = (uint32_t)proctab + get32(orig, (size_t)proctab + 4 + 4 * n);
        put32(c, at + 0x38, 999999);
        read_bytes(c, orig_len, &r);
        ok(r.rc == PS_ERR_INPUT && has(r.err, "string index 999999 out of range"), "string index out of range: %s",
           r.err);
    }
    free(c);

    /* damaged event records */
    c = copy();
    put32(c, off5 + 0x2C, 0x7FFFFFF0u);   /* detail size */
    read_bytes(c, orig_len, &r);
    ok(r.rc == 0 && r.events == 40 && has(r.warning, "the detail size runs past the event area"),
       "detail size past the record: %s", r.warning);
    free(c);
    c = copy();
    c[off5 + 0x28] = 0xFF;   /* stack depth 0xFFFF */
    c[off5 + 0x29] = 0xFF;
    read_bytes(c, orig_len, &r);
    ok(r.rc == 0 && r.events == 40 && has(r.warning, "the stack runs past the event area"), "absurd stack depth: %s",
       r.warning);
    free(c);
    c = copy();
    put32(c, off5 + 0x30, 0xFFFFFFF0u);   /* extra-detail offset */
    read_bytes(c, orig_len, &r);
    ok(r.rc == 0 && r.events == 40 && has(r.warning, "extra-detail offset points outside"),
       "extra detail outside the events: %s", r.warning);
    free(c);
    c = copy();
    put32(c, off5 + 8, 77);   /* class */
    read_bytes(c, orig_len, &r);
    ok(r.rc == 0 && r.events == 84 && r.undecoded == 1, "an unknown class is kept and counted as undecoded");
    free(c);
    c = copy();
    c[off5 + 0xC] = 0xEE;   /* operation number */
    read_bytes(c, orig_len, &r);
    ok(r.rc == 0 && r.events == 84 && r.undecoded == 1, "an unknown operation is kept and counted as undecoded");
    free(c);

    c = copy();
    put64(c, 0x3A0, orig_len + 4096);   /* hosts and ports table */
    read_bytes(c, orig_len, &r);
    ok(r.rc == 0 && r.events == 84 && r.warnings == 1 && has(r.warning, "hosts and ports table at offset") &&
           has(r.warning, "past the end of the file"),
       "a hosts table past the end: the events, and a warning (%s)", r.warning);
    free(c);
    c = copy();
    put32(c, (size_t)get32(c, 0x3A0), 0x7FFFFFFF);   /* host count */
    read_bytes(c, orig_len, &r);
    ok(r.rc == 0 && r.events == 84 && r.warnings == 1 && has(r.warning, "hosts and ports table") && has(r.warning, "is damaged"),
       "an absurd host count: the events, and a warning (%s)", r.warning);
    free(c);

    /* deep and cyclic stacks */
    deep_stack(tmp, 3000);
    read_file(tmp, false, &r);
    ok(r.rc == 0 && r.events == 1 && r.frames == 1024 && r.warnings == 1 && has(r.warning, "a stack of 3000 frames"),
       "a 3000-frame cyclic stack: the innermost 1024 kept, with a warning (%s)", r.warning);

    /* every single byte of the header and the first records changed, and
     * random damage anywhere: never a crash (ASan checks the reads) */
    {
        unsigned long long outcomes[3] = {0, 0, 0};
        uint64_t rng = 42;
        size_t k;
        c = copy();
        for (i = 0; i < 0x3A8 + 2048; i += 3) {
            unsigned char old = c[i];
            c[i] = (unsigned char)(old ^ 0xA5);
            read_bytes(c, orig_len, &r);
            outcomes[r.rc < 0 ? 0 : r.warnings ? 1 : 2]++;
            c[i] = old;
        }
        for (k = 0; k < 300; k++) {
            size_t j, n = 1 + k % 8;
            memcpy(c, orig, orig_len);
            for (j = 0; j < n; j++) {
                rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
                c[(rng >> 33) % orig_len] = (unsigned char)(rng >> 17);
            }
            read_bytes(c, orig_len, &r);
            outcomes[r.rc < 0 ? 0 : r.warnings ? 1 : 2]++;
        }
        free(c);
        ok(outcomes[0] + outcomes[1] + outcomes[2] > 900,
           "damaged copies read without a crash: %llu errors, %llu warnings, %llu clean", outcomes[0], outcomes[1],
           outcomes[2]);
    }
    free(orig);
    return tap_done();
}
