/*
 * pscorrupt - writes damaged copies of a file, reproducibly:
 *   pscorrupt IN OUTDIR SEED
 * OUTDIR/trunc-P  the first P per mille of IN, for P in 10 100 333 500 750 990 999
 * OUTDIR/flip-K   IN with 16 bytes (K = 1..6) or one 4 KiB block (K = 7, 8)
 *                 overwritten at positions drawn from a generator seeded with
 *                 SEED and K
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 17;
}

static int write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "pscorrupt: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const int permille[] = {10, 100, 333, 500, 750, 990, 999};
    FILE *f;
    uint8_t *buf, *copy;
    size_t n = 0, cap = 1 << 20, r, i;
    char path[4096];
    unsigned long seed;
    int k;

    if (argc != 4) {
        fprintf(stderr, "usage: pscorrupt IN OUTDIR SEED\n");
        return 2;
    }
    seed = strtoul(argv[3], NULL, 10);
    f = fopen(argv[1], "rb");
    buf = malloc(cap);
    if (!f || !buf) {
        fprintf(stderr, "pscorrupt: cannot read %s\n", argv[1]);
        return 2;
    }
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                return 2;
        }
    }
    fclose(f);
    if (n < 16) {
        fprintf(stderr, "pscorrupt: %s is too small\n", argv[1]);
        return 2;
    }
    for (i = 0; i < sizeof permille / sizeof permille[0]; i++) {
        snprintf(path, sizeof path, "%s/trunc-%d", argv[2], permille[i]);
        if (write_file(path, buf, n * (size_t)permille[i] / 1000) < 0)
            return 1;
    }
    copy = malloc(n);
    if (!copy)
        return 2;
    for (k = 1; k <= 8; k++) {
        uint64_t s = seed * 1000003u + (uint64_t)k;
        memcpy(copy, buf, n);
        if (k <= 6) {
            for (i = 0; i < 16; i++)
                copy[rng(&s) % n] ^= (uint8_t)(1 + rng(&s) % 255);
        } else {
            size_t at = (size_t)(rng(&s) % n), len = n - at < 4096 ? n - at : 4096;
            for (i = 0; i < len; i++)
                copy[at + i] = (uint8_t)rng(&s);
        }
        snprintf(path, sizeof path, "%s/flip-%d", argv[2], k);
        if (write_file(path, copy, n) < 0)
            return 1;
    }
    free(copy);
    free(buf);
    return 0;
}
