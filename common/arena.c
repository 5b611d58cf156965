#include "common/arena.h"

#include <stdlib.h>
#include <string.h>

struct ps_arena_block {
    ps_arena_block *next;
    size_t size;
    size_t used;
    /* data follows, 8-aligned */
    unsigned char data[];
};

void ps_arena_init(ps_arena *a, size_t block_size)
{
    a->head = a->first = NULL;
    a->block_size = block_size ? block_size : 65536;
}

void ps_arena_release(ps_arena *a)
{
    ps_arena_block *b = a->first, *n;
    while (b) {
        n = b->next;
        free(b);
        b = n;
    }
    a->head = a->first = NULL;
}

void ps_arena_reset(ps_arena *a)
{
    ps_arena_block *b;
    for (b = a->first; b; b = b->next)
        b->used = 0;
    a->head = a->first;
}

void *ps_arena_alloc(ps_arena *a, size_t n)
{
    ps_arena_block *b = a->head;
    size_t need = (n + 7) & ~(size_t)7;

    if (need < n)
        return NULL;
    while (b && b->size - b->used < need) {
        /* try the next (already allocated) block */
        if (b->next) {
            b = b->next;
            b->used = 0;
            a->head = b;
            continue;
        }
        b = NULL;
    }
    if (!b) {
        size_t size = need > a->block_size ? need : a->block_size;
        ps_arena_block *nb = malloc(sizeof *nb + size);
        if (!nb)
            return NULL;
        nb->next = NULL;
        nb->size = size;
        nb->used = 0;
        if (!a->first) {
            a->first = nb;
        } else {
            /* append after the current head, keeping the rest of the chain */
            ps_arena_block *h = a->head ? a->head : a->first;
            while (h->next)
                h = h->next;
            h->next = nb;
        }
        a->head = nb;
        b = nb;
    }
    b->used += need;
    return b->data + b->used - need;
}

char *ps_arena_strndup(ps_arena *a, const char *s, size_t n)
{
    char *p = ps_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ps_arena_strdup(ps_arena *a, const char *s)
{
    return ps_arena_strndup(a, s, strlen(s));
}
