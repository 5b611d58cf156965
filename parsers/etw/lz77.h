/*
 * lz77.h - the "plain LZ77" variant of Microsoft's Xpress compression
 * ([MS-XCA] sections 2.3 and 2.4), which compressed ETW logs use for every
 * buffer (LogFileMode 0x04000000).
 *
 * The stream is a sequence of 32-bit little-endian flag words, each followed
 * by the 32 items it describes, most significant bit first: a clear bit is
 * one literal byte, a set bit a 16-bit match word (low 3 bits length - 3,
 * high 13 bits offset - 1) whose length may continue in a shared half byte,
 * a byte, 2 bytes or 4 bytes.  A set flag bit with no input left ends the
 * stream.
 *
 * Both functions work on caller-owned memory and allocate nothing except the
 * compressor's hash table (on the stack).
 */
#ifndef PS_LZ77_H
#define PS_LZ77_H

#include <stddef.h>
#include <stdint.h>

/* Decompresses src[0..srclen) into dst[0..dstcap).  Stops successfully when
 * dst is full or the stream ends.  Returns the number of bytes written, or -1
 * for a corrupt stream (a read past the input, a match reaching before the
 * start of the output or past its end); *bad_at then holds the offset in src
 * of the item that failed. */
long ps_lz77_decompress(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap, size_t *bad_at);

/* The largest compressed size of n bytes (for sizing the output). */
size_t ps_lz77_bound(size_t n);

/* Compresses src[0..n) with a greedy matcher into dst (at least
 * ps_lz77_bound(n) bytes).  Returns the compressed size. */
size_t ps_lz77_compress(const uint8_t *src, size_t n, uint8_t *dst);

#endif
