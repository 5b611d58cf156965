/*
 * pscorrupt - writes damaged copies of a file, reproducibly:
 *   pscorrupt IN OUTDIR SEED [WORDS]
 * OUTDIR/trunc-P  the first P per mille of IN, for P in 10 100 333 500 750 990 999
 * OUTDIR/flip-K   IN with 16 bytes (K = 1..6) or one 4 KiB block (K = 7, 8)
 *                 overwritten at positions drawn from a generator seeded with
 *                 SEED and K
 * OUTDIR/word-K   (K = 1..WORDS, default 0) IN with one to four aligned 2-,
 *                 4- or 8-byte fields overwritten with an extreme value (0,
 *                 all ones, the largest or smallest signed value, one more
 *                 or less than the original) or a random one: the damage that
 *                 reaches sizes, counts, offsets and timestamps of binary
 *                 formats, which random byte flips rarely hit in one piece
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

/* One aligned field of `width` bytes at `at` (little-endian) overwritten. */
static void damage_word(uint8_t *p, size_t n, uint64_t *s)
{
    static const unsigned widths[] = {2, 4, 8, 8};
    unsigned width = widths[rng(s) % 4], i;
    size_t at;
    uint64_t v = 0, old = 0;

    if (n < width)
        return;
    at = (size_t)(rng(s) % (n / width)) * width;
    for (i = 0; i < width; i++)
        old |= (uint64_t)p[at + i] << (8 * i);
    switch (rng(s) % 8) {
    case 0: v = 0; break;
    case 1: v = ~0ULL; break;
    case 2: v = ~0ULL >> (65 - 8 * width); break;          /* largest signed */
    case 3: v = 1ULL << (8 * width - 1); break;            /* smallest signed */
    case 4: v = old + 1; break;
    case 5: v = old - 1; break;
    case 6: v = old ^ (1ULL << (8 * width - 1)); break;    /* sign flipped */
    default: v = rng(s) << 20 ^ rng(s); break;
    }
    for (i = 0; i < width; i++)
        p[at + i] = (uint8_t)(v >> (8 * i));
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
    unsigned long seed, words = 0;
    int k;

    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: pscorrupt IN OUTDIR SEED [WORDS]\n");
        return 2;
    }
    seed = strtoul(argv[3], NULL, 10);
    if (argc == 5)
        words = strtoul(argv[4], NULL, 10);
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
    for (k = 1; (unsigned long)k <= words; k++) {
        uint64_t s = seed * 1000033u + (uint64_t)k * 7919u;
        int m, fields = 1 + (int)(rng(&s) % 4);
        memcpy(copy, buf, n);
        for (m = 0; m < fields; m++)
            damage_word(copy, n, &s);
        snprintf(path, sizeof path, "%s/word-%d", argv[2], k);
        if (write_file(path, copy, n) < 0)
            return 1;
    }
    free(copy);
    free(buf);
    return 0;
}
