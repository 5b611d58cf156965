/*
 * lz77.c - [MS-XCA] plain LZ77, written from the public description of the
 * format (see lz77.h).
 */
#include "parsers/etw/lz77.h"

#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

long ps_lz77_decompress(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap, size_t *bad_at)
{
    size_t ip = 0, op = 0, half = 0, item = 0;
    uint32_t flags = 0;
    unsigned nflags = 0;

    *bad_at = 0;
    while (op < dstcap) {
        item = ip;   /* where the item being decoded starts, for errors */
        if (nflags == 0) {
            if (srclen - ip < 4) {
                /* the input ends where a flag word would start */
                if (ip == srclen)
                    return (long)op;
                goto bad;
            }
            flags = rd32(src + ip);
            ip += 4;
            nflags = 32;
            item = ip;
        }
        if (!(flags >> (nflags - 1) & 1)) {
            /* a run of literals: as many as the flag word's next clear bits */
            uint32_t rest = nflags == 32 ? flags : flags << (32 - nflags);
            size_t run = rest ? (size_t)__builtin_clz(rest) : nflags;
            if (run > nflags)
                run = nflags;
            if (run > dstcap - op)
                run = dstcap - op;
            if (run > srclen - ip) {
                item = srclen;
                goto bad;
            }
            if (run > 16) {
                memcpy(dst + op, src + ip, run);
                op += run;
                ip += run;
            } else {
                size_t k;
                for (k = 0; k < run; k++)
                    dst[op++] = src[ip++];
            }
            nflags -= (unsigned)run;
            continue;
        }
        nflags--;
        if (ip == srclen)
            return (long)op;   /* the end of the stream */
        {
            size_t len, off;
            uint16_t w;
            if (srclen - ip < 2)
                goto bad;
            w = rd16(src + ip);
            ip += 2;
            len = w & 7u;
            off = (size_t)(w >> 3) + 1;
            if (len == 7) {
                if (half == 0) {
                    if (ip >= srclen)
                        goto bad;
                    len = src[ip] & 15u;
                    half = ip++;
                } else {
                    len = src[half] >> 4;
                    half = 0;
                }
                if (len == 15) {
                    if (ip >= srclen)
                        goto bad;
                    len = src[ip++];
                    if (len == 255) {
                        if (srclen - ip < 2)
                            goto bad;
                        len = rd16(src + ip);
                        ip += 2;
                        if (len == 0) {
                            if (srclen - ip < 4)
                                goto bad;
                            len = rd32(src + ip);
                            ip += 4;
                        }
                        if (len < 15 + 7)
                            goto bad;
                        len -= 15 + 7;
                    }
                    len += 15;
                }
                len += 7;
            }
            len += 3;
            if (off > op || len > dstcap - op)
                goto bad;
            {
                uint8_t *to = dst + op;
                const uint8_t *from = to - off;
                size_t l = len;
                /* 8 bytes at a time when they cannot overlap; an overlapping
                 * match (offset < length) repeats the last `off` bytes, so
                 * each byte is copied after the one it may depend on */
                if (off >= 8 && dstcap - op >= len + 8) {
                    /* far from the end: whole 8-byte words, the last one may
                     * write past the match (those bytes are written again
                     * before anything reads them) */
                    size_t k;
                    for (k = 0; k < len; k += 8)
                        memcpy(to + k, from + k, 8);
                } else {
                    if (off >= 8)
                        for (; l >= 8; l -= 8, to += 8, from += 8)
                            memcpy(to, from, 8);
                    while (l--)
                        *to++ = *from++;
                }
                op += len;
            }
        }
    }
    return (long)op;
bad:
    *bad_at = item;
    return -1;
}

size_t ps_lz77_bound(size_t n)
{
    return n + n / 8 + 16;
}

#define HASH_BITS 14
#define MAX_OFFSET 8192
#define MIN_MATCH 3

static uint32_t hash3(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void wr16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

typedef struct enc {
    uint8_t *out;
    size_t op;
    size_t flagpos;
    uint32_t flags;
    unsigned nflags;
    size_t half;        /* position of a half-used length byte, 0 none */
} enc;

static void enc_flag(enc *e, unsigned bit)
{
    if (e->nflags == 32) {
        wr32(e->out + e->flagpos, e->flags);
        e->flagpos = e->op;
        e->op += 4;
        e->flags = 0;
        e->nflags = 0;
    }
    e->flags = e->flags << 1 | bit;
    e->nflags++;
}

static void enc_match(enc *e, size_t off, size_t len)
{
    size_t v = len - MIN_MATCH;

    enc_flag(e, 1);
    wr16(e->out + e->op, (uint32_t)((off - 1) << 3 | (v < 7 ? v : 7)));
    e->op += 2;
    if (v < 7)
        return;
    v -= 7;
    {
        unsigned nib = v < 15 ? (unsigned)v : 15;
        if (e->half) {
            e->out[e->half] |= (uint8_t)(nib << 4);
            e->half = 0;
        } else {
            e->half = e->op;
            e->out[e->op++] = (uint8_t)nib;
        }
    }
    if (v < 15)
        return;
    v -= 15;
    if (v < 255) {
        e->out[e->op++] = (uint8_t)v;
        return;
    }
    e->out[e->op++] = 255;
    if (len - MIN_MATCH <= 0xFFFF) {
        wr16(e->out + e->op, (uint32_t)(len - MIN_MATCH));
        e->op += 2;
    } else {
        wr16(e->out + e->op, 0);
        wr32(e->out + e->op + 2, (uint32_t)(len - MIN_MATCH));
        e->op += 6;
    }
}

size_t ps_lz77_compress(const uint8_t *src, size_t n, uint8_t *dst)
{
    uint32_t table[1u << HASH_BITS];
    enc e;
    size_t ip = 0;

    memset(table, 0xFF, sizeof table);
    memset(&e, 0, sizeof e);
    e.out = dst;
    e.op = 4;   /* the first flag word */
    while (ip < n) {
        size_t best = 0, off = 0;
        if (n - ip >= MIN_MATCH) {
            uint32_t h = hash3(src + ip);
            uint32_t cand = table[h];
            table[h] = (uint32_t)ip;
            if (cand != UINT32_MAX && ip - cand <= MAX_OFFSET) {
                size_t l = 0, max = n - ip;
                while (l < max && src[cand + l] == src[ip + l])
                    l++;
                if (l >= MIN_MATCH) {
                    best = l;
                    off = ip - cand;
                }
            }
        }
        if (best) {
            size_t k;
            enc_match(&e, off, best);
            /* index the positions the match covers (a few, for speed) */
            for (k = 1; k < best && k < 16 && ip + k + MIN_MATCH <= n; k++)
                table[hash3(src + ip + k)] = (uint32_t)(ip + k);
            ip += best;
        } else {
            enc_flag(&e, 0);
            e.out[e.op++] = src[ip++];
        }
    }
    /* the unused flag bits are set: a match flag with no input ends the stream */
    if (e.nflags == 32) {
        wr32(e.out + e.flagpos, e.flags);
        e.flagpos = e.op;
        e.op += 4;
        e.flags = 0;
        e.nflags = 0;
    }
    if (e.nflags == 0)
        e.flags = UINT32_MAX;
    else
        e.flags = e.flags << (32 - e.nflags) | ((1u << (32 - e.nflags)) - 1);
    wr32(e.out + e.flagpos, e.flags);
    return e.op;
}
