#define _GNU_SOURCE
#include "parsers/input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "common/sha256.h"
#include "common/tmpclean.h"
#include "common/util.h"

#define RAW_CHUNK (1u << 20)
#define OUT_CHUNK (1u << 20)

struct ps_input {
    char *name;
    int fd;
    const uint8_t *mem;   /* memory source (ps_input_open_mem), or NULL */
    size_t mem_len, mem_pos;
    bool is_stdin;
    bool regular;
    uint64_t raw_size;
    uint64_t raw_pos;     /* raw bytes read from fd */
    bool raw_eof;
    ps_sha256 sha;

    /* raw buffer */
    uint8_t *raw;
    size_t raw_len, raw_off;

    /* decompression */
    bool zstd;
    ZSTD_DCtx *dctx;
    bool frame_open;       /* inside a frame (ZSTD_decompressStream returned > 0) */
    uint64_t out_total;
    ps_input_opts opts;

    /* content buffer: [pos, end) available */
    uint8_t *buf;
    size_t cap, pos, end;
    uint64_t consumed;     /* content bytes handed out */
    bool content_eof;

    /* mapping */
    void *map;
    size_t map_len;
    bool mapped;
    uint64_t map_pos;      /* how far a reader of the mapping got (progress) */
};

void ps_input_opts_init(ps_input_opts *o)
{
    o->zstd_window_log_max = PS_INPUT_DEFAULT_WINDOW_LOG;
    o->max_decompressed = PS_INPUT_DEFAULT_MAX_OUT;
}

const char *ps_input_name(const ps_input *in)
{
    return in->name;
}

bool ps_input_is_compressed(const ps_input *in)
{
    return in->zstd;
}

uint64_t ps_input_offset(const ps_input *in)
{
    return in->consumed;
}

uint64_t ps_input_raw_pos(const ps_input *in)
{
    /* a file mapped directly is read through the mapping (its readers say
     * how far, ps_input_map_progress), not by raw reads: those were the
     * format probe's */
    if (in->map && !in->zstd && in->regular)
        return in->map_pos < in->raw_size ? in->map_pos : in->raw_size;
    /* a compressed file spooled, then read through the spool's map: the
     * map's share read, in compressed bytes (the spooling before it is
     * counted in the elapsed time, so the ETA errs long, never short) */
    if (in->zstd && in->map && in->map_len && in->raw_size)
        return (uint64_t)((double)in->raw_size *
                          (double)(in->map_pos < in->map_len ? in->map_pos : in->map_len) / (double)in->map_len);
    return in->raw_pos;
}

void ps_input_map_progress(ps_input *in, uint64_t offset)
{
    if (offset > in->map_pos)
        in->map_pos = offset;
}

uint64_t ps_input_raw_size(const ps_input *in)
{
    return in->raw_size;
}

/* Reads more raw bytes into in->raw (compacting first).  0 = ok (maybe eof). */
static int raw_fill(ps_input *in, ps_error *err)
{
    ssize_t n;

    if (in->raw_eof)
        return 0;
    if (in->raw_off > 0) {
        memmove(in->raw, in->raw + in->raw_off, in->raw_len - in->raw_off);
        in->raw_len -= in->raw_off;
        in->raw_off = 0;
    }
    if (in->raw_len == RAW_CHUNK)
        return 0;
    if (in->mem) {
        size_t take = in->mem_len - in->mem_pos;
        if (take > RAW_CHUNK - in->raw_len)
            take = RAW_CHUNK - in->raw_len;
        memcpy(in->raw + in->raw_len, in->mem + in->mem_pos, take);
        in->mem_pos += take;
        n = (ssize_t)take;
    } else {
        do {
            n = read(in->fd, in->raw + in->raw_len, RAW_CHUNK - in->raw_len);
        } while (n < 0 && errno == EINTR);
    }
    if (n < 0)
        return ps_error_set(err, PS_ERR_IO, "cannot read '%s': %s", in->name, ps_errno_text(errno));
    if (n == 0) {
        in->raw_eof = true;
        return 0;
    }
    ps_sha256_update(&in->sha, in->raw + in->raw_len, (size_t)n);
    in->raw_len += (size_t)n;
    in->raw_pos += (uint64_t)n;
    return 0;
}

static int start(ps_input *in, ps_error *err);
static void set_opts(ps_input *in, const ps_input_opts *opts);

static bool is_zstd_magic(const uint8_t *p, size_t n)
{
    if (n < 4)
        return false;
    if (p[0] == 0x28 && p[1] == 0xB5 && p[2] == 0x2F && p[3] == 0xFD)
        return true;
    /* skippable frame 0x184D2A50..5F */
    return (p[0] & 0xF0) == 0x50 && p[1] == 0x2A && p[2] == 0x4D && p[3] == 0x18;
}

int ps_input_open(const char *path, const ps_input_opts *opts, ps_input **out, ps_error *err)
{
    ps_input *in;
    struct stat st;
    int rc;

    *out = NULL;
    in = calloc(1, sizeof *in);
    if (!in)
        return ps_error_nomem(err);
    in->fd = -1;
    set_opts(in, opts);
    ps_sha256_init(&in->sha);

    if (strcmp(path, "-") == 0) {
        in->is_stdin = true;
        in->fd = STDIN_FILENO;
        in->name = ps_strdup("<stdin>");
    } else {
        in->name = ps_strdup(path);
        in->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (in->fd < 0) {
            int e = errno;
            if (e == ENOENT)
                rc = ps_error_set(err, PS_ERR_INPUT, "cannot open '%s': no such file", path);
            else
                rc = ps_error_set(err, PS_ERR_IO, "cannot open '%s': %s", path, ps_errno_text(e));
            goto fail;
        }
    }
    if (!in->name) {
        rc = ps_error_nomem(err);
        goto fail;
    }
    if (fstat(in->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            rc = ps_error_set(err, PS_ERR_INPUT, "cannot read '%s': is a directory", in->name);
            goto fail;
        }
        if (S_ISREG(st.st_mode)) {
            in->regular = true;
            in->raw_size = (uint64_t)st.st_size;
        }
    }
    if ((rc = start(in, err)) < 0)
        goto fail;
    *out = in;
    return 0;
fail:
    ps_input_close(in);
    return rc;
}

/* Allocates the raw buffer and detects zstd by its magic number. */
static int start(ps_input *in, ps_error *err)
{
    int rc;

    in->raw = malloc(RAW_CHUNK);
    if (!in->raw)
        return ps_error_nomem(err);
    /* read enough to see the magic */
    while (!in->raw_eof && in->raw_len < 4)
        if ((rc = raw_fill(in, err)) < 0)
            return rc;
    if (is_zstd_magic(in->raw, in->raw_len)) {
        size_t r;
        in->zstd = true;
        in->dctx = ZSTD_createDCtx();
        if (!in->dctx)
            return ps_error_nomem(err);
        r = ZSTD_DCtx_setParameter(in->dctx, ZSTD_d_windowLogMax, (int)in->opts.zstd_window_log_max);
        if (ZSTD_isError(r))
            return ps_error_set(err, PS_ERR_USAGE, "invalid zstd window limit %u", in->opts.zstd_window_log_max);
    }
    return 0;
}

static void set_opts(ps_input *in, const ps_input_opts *opts)
{
    if (opts)
        in->opts = *opts;
    else
        ps_input_opts_init(&in->opts);
    if (!in->opts.zstd_window_log_max)
        in->opts.zstd_window_log_max = PS_INPUT_DEFAULT_WINDOW_LOG;
    if (!in->opts.max_decompressed)
        in->opts.max_decompressed = PS_INPUT_DEFAULT_MAX_OUT;
    if (!in->opts.max_spool)
        in->opts.max_spool = PS_INPUT_DEFAULT_MAX_SPOOL;
}

/* ---- spooling limits ---------------------------------------------------------- */

#define SPOOL_RESERVE (64ULL << 20)   /* left free on the spool file system */

static const char *spool_dir(void)
{
    const char *dir = getenv("TMPDIR");
    return dir && *dir ? dir : "/tmp";
}

/* Bytes that may be spooled to the file system of fd (or of the spool
 * directory when fd < 0): the free space less a reserve; UINT64_MAX when
 * unknown. */
static uint64_t spool_room(int fd)
{
    struct statvfs vs;
    uint64_t avail;
    if ((fd >= 0 ? fstatvfs(fd, &vs) : statvfs(spool_dir(), &vs)) != 0)
        return UINT64_MAX;
    avail = (uint64_t)vs.f_bavail * (uint64_t)vs.f_frsize;
    return avail > SPOOL_RESERVE ? avail - SPOOL_RESERVE : 0;
}

static int spool_too_big(ps_input *in, uint64_t need, uint64_t room, bool known, ps_error *err)
{
    if (need > in->opts.max_spool)
        return ps_error_set(err, PS_ERR_LIMIT,
                            "'%s': %s more than the spool limit of %llu MiB (--max-spool): it must be "
                            "decompressed to %s to be read",
                            in->name, known ? "its header says the content is" : "the content is",
                            (unsigned long long)(in->opts.max_spool >> 20), spool_dir());
    return ps_error_set(err, PS_ERR_IO,
                        "'%s': %s more than the %llu MiB free in %s (TMPDIR), where it must be "
                        "decompressed to be read",
                        in->name, known ? "its header says the content is" : "the content is",
                        (unsigned long long)(room >> 20), spool_dir());
}

static bool spools(const ps_input *in)
{
    return in->zstd || (!in->mem && !(in->regular && !in->is_stdin));
}

int ps_input_spool_need(ps_input *in, uint64_t need, ps_error *err)
{
    uint64_t room;
    if (!spools(in) || in->mapped)
        return 0;
    room = spool_room(-1);
    if (need > in->opts.max_spool || need > room)
        return spool_too_big(in, need, room, true, err);
    return 0;
}

int ps_input_open_mem(const void *data, size_t len, const char *name, const ps_input_opts *opts,
                      ps_input **out, ps_error *err)
{
    ps_input *in;
    int rc;

    *out = NULL;
    in = calloc(1, sizeof *in);
    if (!in)
        return ps_error_nomem(err);
    in->fd = -1;
    in->mem = len ? data : (const uint8_t *)"";
    in->mem_len = len;
    in->raw_size = len;
    set_opts(in, opts);
    ps_sha256_init(&in->sha);
    in->name = ps_strdup(name ? name : "<memory>");
    if (!in->name) {
        rc = ps_error_nomem(err);
        goto fail;
    }
    if ((rc = start(in, err)) < 0)
        goto fail;
    *out = in;
    return 0;
fail:
    ps_input_close(in);
    return rc;
}

void ps_input_close(ps_input *in)
{
    if (!in)
        return;
    if (in->map && in->map != MAP_FAILED)
        munmap(in->map, in->map_len);
    if (in->fd >= 0 && !in->is_stdin)
        close(in->fd);
    if (in->dctx)
        ZSTD_freeDCtx(in->dctx);
    ps_sha256_release(&in->sha);
    free(in->raw);
    free(in->buf);
    free(in->name);
    free(in);
}

/* Decompresses until at least one more content byte is available or eof. */
static int zstd_step(ps_input *in, ps_error *err)
{
    for (;;) {
        ZSTD_inBuffer ib;
        ZSTD_outBuffer ob;
        size_t r;

        if (in->raw_off == in->raw_len) {
            int rc = raw_fill(in, err);
            if (rc < 0)
                return rc;
            if (in->raw_len == 0 && in->raw_eof) {
                if (in->frame_open)
                    return ps_error_set(err, PS_ERR_INPUT,
                                        "'%s': truncated zstd stream at compressed offset %llu",
                                        in->name, (unsigned long long)in->raw_pos);
                in->content_eof = true;
                return 0;
            }
        }
        ib.src = in->raw;
        ib.size = in->raw_len;
        ib.pos = in->raw_off;
        ob.dst = in->buf + in->end;
        ob.size = in->cap - in->end;
        ob.pos = 0;
        r = ZSTD_decompressStream(in->dctx, &ob, &ib);
        if (ZSTD_isError(r)) {
            uint64_t at = in->raw_pos - (in->raw_len - in->raw_off);
            if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge)
                return ps_error_set(err, PS_ERR_LIMIT,
                                    "'%s': the zstd frame at compressed offset %llu needs a window "
                                    "larger than the limit of %llu MiB (--max-window)",
                                    in->name, (unsigned long long)at,
                                    (unsigned long long)((1ULL << in->opts.zstd_window_log_max) >> 20));
            if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)   /* the window: not damage */
                return ps_error_nomem(err);
            if (ZSTD_getErrorCode(r) == ZSTD_error_checksum_wrong) {
                /* found only at the frame's end, where its checksum is: the
                 * damage is anywhere in the frame */
                uint64_t end = in->raw_pos - (in->raw_len - ib.pos);
                return ps_error_set(err, PS_ERR_INPUT,
                                    "'%s': corrupt zstd data: the content checksum of the frame ending near "
                                    "compressed offset %llu does not match (damage somewhere in that frame)",
                                    in->name, (unsigned long long)(end > at ? end : in->raw_pos));
            }
            return ps_error_set(err, PS_ERR_INPUT, "'%s': corrupt zstd data near compressed offset %llu: %s",
                                in->name, (unsigned long long)at, ZSTD_getErrorName(r));
        }
        in->raw_off = ib.pos;
        in->frame_open = r != 0;
        in->end += ob.pos;
        in->out_total += ob.pos;
        if (in->out_total > in->opts.max_decompressed)
            return ps_error_set(err, PS_ERR_LIMIT,
                                "'%s': decompressed size exceeds the limit of %llu bytes (--max-decompressed)",
                                in->name, (unsigned long long)in->opts.max_decompressed);
        if (ob.pos > 0)
            return 0;
        if (in->end == in->cap)
            return 0;
    }
}

/* Ensures [pos, end) holds at least `want` bytes unless eof. */
static int fill(ps_input *in, size_t want, ps_error *err)
{
    if (in->mapped)
        return ps_error_set(err, PS_ERR_INTERNAL, "'%s': streaming read after map", in->name);
    while (in->end - in->pos < want && !in->content_eof) {
        size_t need = want > OUT_CHUNK ? want : OUT_CHUNK;
        if (in->pos > 0) {
            memmove(in->buf, in->buf + in->pos, in->end - in->pos);
            in->end -= in->pos;
            in->pos = 0;
        }
        if (in->cap < need) {
            uint8_t *nb = realloc(in->buf, need);
            if (!nb)
                return ps_error_nomem(err);
            in->buf = nb;
            in->cap = need;
        }
        if (in->zstd) {
            int rc = zstd_step(in, err);
            if (rc < 0)
                return rc;
        } else {
            size_t take;
            int rc;
            if (in->raw_off == in->raw_len) {
                in->raw_off = in->raw_len = 0;
                if ((rc = raw_fill(in, err)) < 0)
                    return rc;
                if (in->raw_len == 0) {
                    in->content_eof = true;
                    break;
                }
            }
            take = in->raw_len - in->raw_off;
            if (take > in->cap - in->end)
                take = in->cap - in->end;
            memcpy(in->buf + in->end, in->raw + in->raw_off, take);
            in->raw_off += take;
            in->end += take;
        }
    }
    return 0;
}

int ps_input_peek(ps_input *in, size_t want, const uint8_t **p, size_t *len, ps_error *err)
{
    int rc = fill(in, want, err);
    if (rc < 0)
        return rc;
    *p = in->buf ? in->buf + in->pos : (const uint8_t *)"";
    *len = in->end - in->pos;
    return 0;
}

ssize_t ps_input_read(ps_input *in, void *dst, size_t n, ps_error *err)
{
    size_t avail;
    int rc;

    if (in->end == in->pos) {
        rc = fill(in, 1, err);
        if (rc < 0)
            return rc;
    }
    avail = in->end - in->pos;
    if (avail > n)
        avail = n;
    if (avail)
        memcpy(dst, in->buf + in->pos, avail);
    in->pos += avail;
    in->consumed += avail;
    return (ssize_t)avail;
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int ps_input_map(ps_input *in, const uint8_t **data, uint64_t *size, ps_error *err)
{
    int fd = -1, rc;
    uint64_t total = 0, room;

    if (in->mapped) {
        *data = in->mem && !in->zstd ? in->mem : in->map;
        *size = in->mem && !in->zstd ? in->mem_len : in->map_len;
        return 0;
    }
    if (!in->zstd && in->mem) {
        in->mapped = true;
        in->map_len = 0;   /* not ours to unmap */
        in->consumed = in->mem_len;
        *data = in->mem;
        *size = in->mem_len;
        return 0;
    }
    if (!in->zstd && in->regular && !in->is_stdin) {
        if (in->raw_size == 0) {
            in->mapped = true;
            *data = (const uint8_t *)"";
            *size = 0;
            return 0;
        }
        in->map = mmap(NULL, in->raw_size, PROT_READ, MAP_PRIVATE, in->fd, 0);
        if (in->map == MAP_FAILED) {
            in->map = NULL;
            return ps_error_set(err, PS_ERR_IO, "cannot map '%s': %s", in->name, ps_errno_text(errno));
        }
        madvise(in->map, in->raw_size, MADV_SEQUENTIAL);
        in->map_len = in->raw_size;
        in->mapped = true;
        /* the hash is computed over the mapping by finish() via raw reads */
        *data = in->map;
        *size = in->map_len;
        return 0;
    }

    /* spool the content to an unnamed temporary file (O_TMPFILE: nothing
     * to remove whatever ends the process), or one unlinked at once */
    {
        char tmpl[4096];
        fd = ps_tmpclean_anon(spool_dir());
        if (fd < 0) {
            snprintf(tmpl, sizeof tmpl, "%s/procstage-spool-XXXXXX", spool_dir());
            fd = ps_tmpclean_mkstemp(tmpl);
            if (fd < 0)
                return ps_error_set(err, PS_ERR_IO, "cannot create a spool file for '%s' in %s: %s",
                                    in->name, spool_dir(), ps_errno_text(errno));
            unlink(tmpl);
            ps_tmpclean_forget(tmpl);
        }
        room = spool_room(fd);
    }
    for (;;) {
        rc = fill(in, 1, err);
        if (rc < 0)
            goto fail;
        if (in->end == in->pos)
            break;
        if (total + (in->end - in->pos) > in->opts.max_spool || total + (in->end - in->pos) > room) {
            rc = spool_too_big(in, total + (in->end - in->pos), room, false, err);
            goto fail;
        }
        if (write_all(fd, in->buf + in->pos, in->end - in->pos) < 0) {
            rc = ps_error_set(err, PS_ERR_IO, "cannot write the spool file for '%s': %s", in->name,
                              ps_errno_text(errno));
            goto fail;
        }
        total += in->end - in->pos;
        in->consumed += in->end - in->pos;
        in->pos = in->end;
    }
    in->mapped = true;
    if (total == 0) {
        close(fd);
        *data = (const uint8_t *)"";
        *size = 0;
        return 0;
    }
    in->map = mmap(NULL, total, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (in->map == MAP_FAILED) {
        in->map = NULL;
        return ps_error_set(err, PS_ERR_IO, "cannot map the spool file of '%s': %s", in->name,
                            ps_errno_text(errno));
    }
    in->map_len = total;
    *data = in->map;
    *size = total;
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    return rc;
}

void ps_input_release(ps_input *in, uint64_t from, uint64_t to)
{
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

    if (!in->map || page == 0 || (page & (page - 1)))
        return;
    if (to > in->map_len)
        to = in->map_len;
    /* whole pages; a page shared with bytes before `from` goes too (its
     * contents come back from the file if they are read again) */
    from &= ~(page - 1);
    to &= ~(page - 1);
    if (to > from)
        madvise((uint8_t *)in->map + from, (size_t)(to - from), MADV_DONTNEED);
}

int ps_input_finish(ps_input *in, char sha256_hex[65], ps_error *err)
{
    int rc;

    while (!in->raw_eof) {
        in->raw_off = in->raw_len = 0;
        if ((rc = raw_fill(in, err)) < 0)
            return rc;
    }
    ps_sha256_final_hex(&in->sha, sha256_hex);
    return 0;
}
