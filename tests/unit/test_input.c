/* parsers/input.c: plain and zstd inputs, limits, mapping, hashing */
#include <zstd.h>

#include "parsers/input.h"
#include "tap.h"

static char *path_of(const char *name)
{
    static char p[8][512];
    static int k;
    char *r = p[k++ & 7];
    snprintf(r, 512, "%s/%s", tap_tmpdir(), name);
    return r;
}

/* compresses src with a given window log; unknown content size keeps the
 * window in the frame header */
static size_t compress_stream(const void *src, size_t n, int wlog, void *dst, size_t cap)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_inBuffer in = {src, n, 0};
    ZSTD_outBuffer out = {dst, cap, 0};
    size_t half = n / 2, r;
    ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, wlog);
    in.size = half;
    ZSTD_compressStream2(c, &out, &in, ZSTD_e_continue);
    in.size = n;
    do {
        r = ZSTD_compressStream2(c, &out, &in, ZSTD_e_end);
    } while (r && !ZSTD_isError(r));
    ZSTD_freeCCtx(c);
    return ZSTD_isError(r) ? 0 : out.pos;
}

static int read_all(const char *path, const ps_input_opts *o, char *buf, size_t cap, size_t *n, ps_error *err)
{
    ps_input *in;
    ssize_t r;
    int rc;
    *n = 0;
    ps_error_clear(err);
    if ((rc = ps_input_open(path, o, &in, err)) < 0)
        return rc;
    while ((r = ps_input_read(in, buf + *n, cap - *n > 7 ? 7 : cap - *n, err)) > 0)
        *n += (size_t)r;
    ps_input_close(in);
    return r < 0 ? (int)r : 0;
}

int main(void)
{
    size_t n = 300000, i, got, zn;
    char *data = malloc(n), *back = malloc(n + 16), *z = malloc(n + 4096);
    ps_error err;
    ps_input *in;
    ps_input_opts o;
    const uint8_t *p;
    size_t len;
    uint64_t size;
    char hex[65];
    int rc;

    for (i = 0; i < n; i++)
        data[i] = (char)("procstage "[i % 10] + (i / 1000) % 3);
    tap_write_file(path_of("plain.bin"), data, n);
    zn = ZSTD_compress(z, n + 4096, data, n, 3);
    tap_write_file(path_of("data.zst"), z, zn);

    ok(read_all(path_of("plain.bin"), NULL, back, n + 16, &got, &err) == 0 && got == n && !memcmp(back, data, n),
       "plain file reads back");
    ok(read_all(path_of("data.zst"), NULL, back, n + 16, &got, &err) == 0 && got == n && !memcmp(back, data, n),
       "zstd file decompresses transparently");

    rc = ps_input_open(path_of("data.zst"), NULL, &in, &err);
    ok(rc == 0 && ps_input_is_compressed(in), "zstd detected by magic, not by name");
    ps_input_peek(in, 64, &p, &len, &err);
    ok(len >= 64 && !memcmp(p, data, 64), "peek sees decompressed content");
    ok(ps_input_read(in, back, 10, &err) == 10 && !memcmp(back, data, 10), "read after peek starts at 0");
    ps_input_close(in);

    rc = ps_input_open(path_of("data.zst"), NULL, &in, &err);
    ok(ps_input_map(in, &p, &size, &err) == 0 && size == n && !memcmp(p, data, n), "map spools compressed data");
    ok(ps_input_finish(in, hex, &err) == 0 && strlen(hex) == 64, "finish gives a hash");
    ps_input_close(in);
    rc = ps_input_open(path_of("plain.bin"), NULL, &in, &err);
    ok(ps_input_map(in, &p, &size, &err) == 0 && size == n && !memcmp(p, data, n), "map of a plain file");
    ps_input_close(in);

    /* hash of the raw file, compressed or not */
    {
        char h1[65], h2[65];
        rc = ps_input_open(path_of("plain.bin"), NULL, &in, &err);
        ps_input_read(in, back, 5, &err);
        ps_input_finish(in, h1, &err);
        ps_input_close(in);
        rc = ps_input_open(path_of("plain.bin"), NULL, &in, &err);
        ps_input_map(in, &p, &size, &err);
        ps_input_finish(in, h2, &err);
        ps_input_close(in);
        is_str(h1, h2, "same hash after a partial read and after a map");
    }

    /* window limit */
    zn = compress_stream(data, n, 22, z, n + 4096);
    tap_write_file(path_of("wide.zst"), z, zn);
    ps_input_opts_init(&o);
    o.zstd_window_log_max = 20;
    rc = read_all(path_of("wide.zst"), &o, back, n + 16, &got, &err);
    ok(rc == PS_ERR_LIMIT && strstr(err.msg, "window"), "a window above the limit is refused: %s", err.msg);
    ps_input_opts_init(&o);
    rc = read_all(path_of("wide.zst"), &o, back, n + 16, &got, &err);
    ok(rc == 0 && got == n, "the same frame within the default limit");

    /* total size limit */
    ps_input_opts_init(&o);
    o.max_decompressed = 1000;
    rc = read_all(path_of("data.zst"), &o, back, n + 16, &got, &err);
    ok(rc == PS_ERR_LIMIT && strstr(err.msg, "--max-decompressed"), "decompressed size limit: %s", err.msg);

    /* damage */
    zn = ZSTD_compress(z, n + 4096, data, n, 3);
    tap_write_file(path_of("cut.zst"), z, zn / 2);
    rc = read_all(path_of("cut.zst"), NULL, back, n + 16, &got, &err);
    ok(rc == PS_ERR_INPUT && strstr(err.msg, "truncated"), "truncated zstd: %s", err.msg);
    for (i = 20; i < 60; i++)
        z[i] ^= 0x5A;
    tap_write_file(path_of("bad.zst"), z, zn);
    rc = read_all(path_of("bad.zst"), NULL, back, n + 16, &got, &err);
    ok(rc == PS_ERR_INPUT && strstr(err.msg, "zstd"), "corrupt zstd: %s", err.msg);

    rc = ps_input_open(path_of("does-not-exist"), NULL, &in, &err);
    ok(rc == PS_ERR_INPUT && strstr(err.msg, "no such file"), "missing file: %s", err.msg);
    rc = ps_input_open(tap_tmpdir(), NULL, &in, &err);
    ok(rc == PS_ERR_INPUT && strstr(err.msg, "directory"), "a directory: %s", err.msg);

    tap_write_file(path_of("empty"), "", 0);
    ok(read_all(path_of("empty"), NULL, back, n, &got, &err) == 0 && got == 0, "empty file");

    free(data);
    free(back);
    free(z);
    return tap_done();
}
