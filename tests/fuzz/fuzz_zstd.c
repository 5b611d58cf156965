/*
 * fuzz_zstd - the input layer: zstd detection and streaming decompression
 * with its window and size limits, peeking, reading in odd chunk sizes, and
 * the spool-to-file mapping, plus hashing.
 */
#include "fuzz.h"
#include "parsers/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ps_input_opts io;
    ps_input *in = NULL;
    ps_error err;
    uint8_t buf[4099];
    const uint8_t *p;
    size_t len;
    uint64_t msize;
    char hex[65];
    ssize_t n;

    ps_input_opts_init(&io);
    io.max_decompressed = PS_FUZZ_MAX_DECOMPRESSED;
    io.zstd_window_log_max = PS_FUZZ_WINDOW_LOG;
    if (ps_input_open_mem(data, size, "fuzz", &io, &in, &err) == 0) {
        if (ps_input_peek(in, 4096, &p, &len, &err) == 0)
            while ((n = ps_input_read(in, buf, size % 2 ? 7 : sizeof buf, &err)) > 0)
                ;
        ps_input_finish(in, hex, &err);
        ps_input_close(in);
    }
    if (ps_input_open_mem(data, size, "fuzz", &io, &in, &err) == 0) {
        ps_input_map(in, &p, &msize, &err);
        ps_input_close(in);
    }
    return 0;
}
