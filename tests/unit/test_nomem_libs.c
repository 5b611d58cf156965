/*
 * Allocation failures inside the libraries procstage reads through: libxml2
 * (the Procmon XML and event-XML readers, the libevtx reader's rendered
 * XML), libevtx, libzstd and libyaml.  test_nomem wraps procstage's own
 * calls with the linker, which cannot reach a shared library's; here the
 * test program replaces malloc, calloc, realloc and free themselves (glibc
 * lets a program do so) and fails the Nth allocation made anywhere while a
 * fixture is read through the reader API.  Every run must end with either
 * every record of the fixture or PS_ERR_NOMEM - never a malformed-input
 * error, never fewer records with success - and nothing may reach stderr
 * (libxml2 prints "Memory allocation failed" itself unless told not to).
 *
 * PS_NOMEM_STRIDE=K fails every Kth allocation only (default 1).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "common/error.h"
#include "common/yamltree.h"
#include "parsers/input.h"
#include "parsers/reader.h"
#include "tap.h"

/* stderr is watched: notes go to stdout */
#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

#if defined(__SANITIZE_ADDRESS__)
#define NO_MALLOC_REPLACEMENT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_MALLOC_REPLACEMENT 1
#endif
#endif

#ifndef NO_MALLOC_REPLACEMENT
void *__libc_malloc(size_t n);
void *__libc_calloc(size_t a, size_t b);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);

static long fail_at = -1, calls;

static int should_fail(void)
{
    return ++calls == fail_at;
}

void *malloc(size_t n)
{
    return should_fail() ? NULL : __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    return should_fail() ? NULL : __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    return should_fail() ? NULL : __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}
#endif

typedef struct {
    int rc;          /* 0 or a PS_ERR_* code */
    long records;    /* records read */
    char msg[PS_ERROR_MAX];
} result;

static void no_warn(void *ctx, const char *msg)
{
    (void)ctx;
    (void)msg;
}

/* Reads `path` (or `mem`) with reader `fmt`; the count of records. */
static result read_all(const char *path, const void *mem, size_t memlen, const char *fmt)
{
    result res = {0, 0, ""};
    ps_input_opts io;
    ps_reader_opts ro;
    ps_input *in = NULL;
    ps_reader *r = NULL;
    ps_record rec;
    ps_error err;
    const ps_reader_ops *ops = ps_reader_find(fmt);
    int rc;

    ps_error_clear(&err);
    ps_input_opts_init(&io);
    memset(&ro, 0, sizeof ro);
    ro.warn = no_warn;
    rc = mem ? ps_input_open_mem(mem, memlen, path, &io, &in, &err) : ps_input_open(path, &io, &in, &err);
    if (rc == 0)
        rc = ops->open(in, &ro, &r, &err);
    while (rc == 0) {
        int n = ps_reader_next(r, &rec, &err);
        if (n <= 0) {
            rc = n;
            break;
        }
        res.records++;
    }
    ps_reader_close(r);
    ps_input_close(in);
    res.rc = rc;
    snprintf(res.msg, sizeof res.msg, "%s", err.msg);
    return res;
}

static long stride(void)
{
    const char *s = getenv("PS_NOMEM_STRIDE");
    long k = s ? atol(s) : 1;
    return k > 0 ? k : 1;
}

/* Fails each allocation in turn (every stride-th); the bad outcomes. */
static void sweep(const char *what, const char *path, const void *mem, size_t memlen, const char *fmt)
{
#ifndef NO_MALLOC_REPLACEMENT
    result ref, r;
    long n, total, bad = 0, nomem = 0, k = stride();

    fail_at = -1;
    (void)read_all(path, mem, memlen, fmt);   /* the libraries' one-time set-up out of the count */
    calls = 0;
    ref = read_all(path, mem, memlen, fmt);
    total = calls;
    ok(ref.rc == 0 && ref.records > 0, "%s: %ld records without failures (%s)", what, ref.records, ref.msg);
    for (n = 1; n <= total + 8; n += k) {
        calls = 0;
        fail_at = n;
        r = read_all(path, mem, memlen, fmt);
        fail_at = -1;
        if (r.rc == PS_ERR_NOMEM) {
            nomem++;
            continue;
        }
        if (r.rc == 0 && r.records == ref.records)
            continue;
        if (bad++ < 5)
            diag("%s: allocation %ld failed: rc %d, %ld of %ld records: %s", what, n, r.rc, r.records,
                 ref.records, r.msg);
    }
    ok(bad == 0, "%s: %ld allocations failed one at a time: %ld out of memory, %ld wrong outcomes", what,
       total, nomem, bad);
#else
    (void)what, (void)path, (void)mem, (void)memlen, (void)fmt;
#endif
}

static void sweep_yaml(const char *path)
{
#ifndef NO_MALLOC_REPLACEMENT
    FILE *f = fopen(path, "rb");
    static char text[1 << 20];
    size_t len;
    long n, total, bad = 0;
    ps_ydoc *doc;
    ps_error err;

    if (!f) {
        ok(0, "open %s", path);
        return;
    }
    len = fread(text, 1, sizeof text, f);
    fclose(f);
    calls = 0;
    ok(ps_yaml_load(text, len, path, &doc, &err) == 0, "yaml: %s loads", path);
    ps_yaml_free(doc);
    total = calls;
    for (n = 1; n <= total + 8; n++) {
        int rc;
        calls = 0;
        fail_at = n;
        rc = ps_yaml_load(text, len, path, &doc, &err);
        fail_at = -1;
        if (rc == 0)
            ps_yaml_free(doc);
        else if (rc != PS_ERR_NOMEM && bad++ < 5)
            diag("yaml: allocation %ld failed: %s", n, err.msg);
    }
    ok(bad == 0, "yaml: %ld allocations failed one at a time, %ld not out of memory", total, bad);
#else
    (void)path;
#endif
}

int main(void)
{
    const char *src = getenv("top_srcdir");
    char path[1024], stderr_path[1100];
    struct stat st;
    int saved, fd;

#ifdef NO_MALLOC_REPLACEMENT
    tap_skip_all("built with AddressSanitizer, which owns malloc");
#endif
    if (!src || !*src)
        src = ".";
    snprintf(path, sizeof path, "%s/fixtures/ifeo_hijack.xml", src);
    if (access(path, R_OK) != 0)
        tap_skip_all("fixtures not found (set top_srcdir)");
    setenv("PROCSTAGE_THREADS", "1", 1);

    /* libraries' own messages would land here */
    snprintf(stderr_path, sizeof stderr_path, "%s/nomem_libs.stderr", tap_tmpdir());
    fflush(stderr);
    saved = dup(2);
    fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);

    sweep("procmon-xml", path, NULL, 0, "procmon-xml");
    {
        /* the same XML compressed: libzstd's allocations */
        FILE *f = fopen(path, "rb");
        static char raw[1 << 20], z[1 << 20];
        size_t len = f ? fread(raw, 1, sizeof raw, f) : 0, zlen;
        if (f)
            fclose(f);
        /* streamed, so that the frame names no content size and the
         * decompressor allocates its window */
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        ZSTD_inBuffer ib = {raw, len, 0};
        ZSTD_outBuffer ob = {z, sizeof z, 0};
        size_t left = cc ? ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue) : 1;
        if (!ZSTD_isError(left))
            left = ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_end);
        ZSTD_freeCCtx(cc);
        zlen = ZSTD_isError(left) || left ? (size_t)-1 : ob.pos;
        ok(!ZSTD_isError(zlen) && ZSTD_getFrameContentSize(z, zlen) == ZSTD_CONTENTSIZE_UNKNOWN,
           "fixture compressed as a stream");
        if (!ZSTD_isError(zlen))
            sweep("procmon-xml.zst", "ifeo_hijack.xml.zst", z, zlen, "procmon-xml");
    }
    snprintf(path, sizeof path, "%s/fixtures/eventxml/sysmon_ifeo_wevtutil.xml", src);
    sweep("event-xml (wevtutil)", path, NULL, 0, "event-xml");
    snprintf(path, sizeof path, "%s/fixtures/eventxml/security_ifeo_events.xml", src);
    sweep("event-xml (events)", path, NULL, 0, "event-xml");
    snprintf(path, sizeof path, "%s/fixtures/security_ifeo.evtx", src);
    sweep("evtx-libevtx", path, NULL, 0, "evtx-libevtx");
    sweep("evtx (native)", path, NULL, 0, "evtx");
    snprintf(path, sizeof path, "%s/rules/stages.yml", src);
    sweep_yaml(path);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    if (stat(stderr_path, &st) != 0)
        st.st_size = -1;
    ok(st.st_size == 0, "nothing printed on stderr (%lld bytes in %s)", (long long)st.st_size, stderr_path);
    return tap_done();
}
