/*
 * evtxcat - one large EVTX log out of the chunks of real ones, for
 * benchmarks on real-shaped data:
 *
 *   evtxcat OUT REPEAT FILE...
 *
 * writes a file header and then, REPEAT times, every chunk of every FILE
 * that carries the "ElfChnk" signature (unused, zeroed chunks are left
 * out).  An EVTX chunk is self-contained - its names and template
 * definitions live in it, its checksums cover only its own bytes - so the
 * chunks are copied unchanged; only the file header (chunk count, last
 * chunk number, CRC-32) is new.  Records repeat, EventRecordIDs too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 4096
#define CHUNK 65536

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static void le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
    le16(p, (uint16_t)v);
    le16(p + 2, (uint16_t)(v >> 16));
}

int main(int argc, char **argv)
{
    static uint8_t chunk[CHUNK];
    uint8_t hdr[HEADER];
    unsigned long repeat, r, chunks = 0;
    FILE *out;
    int i;

    if (argc < 4 || !(repeat = strtoul(argv[2], NULL, 10))) {
        fprintf(stderr, "usage: evtxcat OUT REPEAT FILE...\n");
        return 2;
    }
    out = fopen(argv[1], "wb");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    memset(hdr, 0, sizeof hdr);
    fwrite(hdr, 1, HEADER, out);   /* rewritten at the end */
    for (r = 0; r < repeat; r++)
        for (i = 3; i < argc; i++) {
            FILE *f = fopen(argv[i], "rb");
            if (!f || fseek(f, HEADER, SEEK_SET) != 0) {
                perror(argv[i]);
                return 1;
            }
            while (fread(chunk, 1, CHUNK, f) == CHUNK) {
                if (memcmp(chunk, "ElfChnk\0", 8) != 0)
                    continue;
                if (fwrite(chunk, 1, CHUNK, out) != CHUNK) {
                    perror(argv[1]);
                    return 1;
                }
                chunks++;
            }
            fclose(f);
        }
    memcpy(hdr, "ElfFile\0", 8);
    /* first chunk 0 (8..15 stay zero), last chunk, next record id */
    le32(hdr + 16, (uint32_t)(chunks ? chunks - 1 : 0));
    le32(hdr + 24, 1);
    le32(hdr + 32, 128);
    le16(hdr + 36, 1);
    le16(hdr + 38, 3);
    le16(hdr + 40, HEADER);
    le16(hdr + 42, (uint16_t)(chunks > 0xFFFF ? 0xFFFF : chunks));
    le32(hdr + 124, crc32_bitwise(hdr, 120));
    if (fseek(out, 0, SEEK_SET) != 0 || fwrite(hdr, 1, HEADER, out) != HEADER || fclose(out) != 0) {
        perror(argv[1]);
        return 1;
    }
    fprintf(stderr, "evtxcat: %lu chunks\n", chunks);
    return 0;
}
