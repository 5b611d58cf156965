#include "common/sha256.h"

#include <openssl/evp.h>
#include <stdio.h>

void ps_sha256_init(ps_sha256 *s)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    s->failed = !c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1;
    s->ctx = c;
}

void ps_sha256_update(ps_sha256 *s, const void *data, size_t n)
{
    if (!s->failed && n && EVP_DigestUpdate((EVP_MD_CTX *)s->ctx, data, n) != 1)
        s->failed = 1;
}

void ps_sha256_final_hex(ps_sha256 *s, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;

    hex[0] = '\0';
    if (!s->failed && EVP_DigestFinal_ex((EVP_MD_CTX *)s->ctx, md, &len) == 1 && len == 32)
        for (i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
    ps_sha256_release(s);
}

void ps_sha256_release(ps_sha256 *s)
{
    EVP_MD_CTX_free((EVP_MD_CTX *)s->ctx);
    s->ctx = NULL;
}
