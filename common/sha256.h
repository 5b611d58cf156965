/*
 * sha256.h - SHA-256 for the traces.sha256 column, over OpenSSL's libcrypto
 * (hardware-accelerated where the CPU allows).
 *
 * Ownership: ps_sha256_init allocates a digest context that
 * ps_sha256_final_hex (or ps_sha256_release) frees.
 */
#ifndef PS_SHA256_H
#define PS_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct ps_sha256 {
    void *ctx;          /* EVP_MD_CTX */
    int failed;
} ps_sha256;

void ps_sha256_init(ps_sha256 *s);
void ps_sha256_update(ps_sha256 *s, const void *data, size_t n);
/* Writes 64 lower-case hex digits and a NUL into hex[65] (an empty string
 * if the library failed) and releases the context. */
void ps_sha256_final_hex(ps_sha256 *s, char hex[65]);
/* Releases the context without a result. */
void ps_sha256_release(ps_sha256 *s);

#endif
