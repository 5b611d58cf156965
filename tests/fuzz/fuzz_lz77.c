/*
 * fuzz_lz77 - the MS-XCA plain LZ77 decoder of compressed ETW logs
 * (parsers/etw/lz77.h).  Two properties: any input decompresses without
 * reading or writing out of bounds, and any input survives a round trip
 * through the compressor unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "parsers/etw/lz77.h"

#define OUT_CAP (1u << 16)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[OUT_CAP];
    uint8_t *packed, *back;
    size_t bad_at = 0;
    long n;

    /* any bytes as a compressed buffer */
    ps_lz77_decompress(data, size, out, sizeof out, &bad_at);
    /* with an output exactly as large as the first two bytes say */
    if (size >= 2) {
        size_t cap = ((size_t)data[0] | (size_t)data[1] << 8) % OUT_CAP;
        uint8_t *exact = malloc(cap ? cap : 1);
        if (exact) {
            ps_lz77_decompress(data + 2, size - 2, exact, cap, &bad_at);
            free(exact);
        }
    }
    /* the round trip */
    if (size > OUT_CAP)
        return 0;
    packed = malloc(ps_lz77_bound(size) + 1);
    back = malloc(size + 1);
    if (packed && back) {
        size_t m = ps_lz77_compress(data, size, packed);
        n = ps_lz77_decompress(packed, m, back, size, &bad_at);
        if (n != (long)size || memcmp(back, data, size) != 0)
            abort();
    }
    free(packed);
    free(back);
    return 0;
}
