/*
 * arena.h - a chunked string arena for per-record scratch data.
 *
 * Pointers handed out stay valid until ps_arena_reset or ps_arena_release:
 * growing the arena never moves earlier allocations (unlike a realloc'ed
 * buffer).  Readers reset their arena for every record, so after warm-up no
 * allocation happens per event.
 *
 * Ownership: the arena owns all blocks; ps_arena_release frees them.
 */
#ifndef PS_ARENA_H
#define PS_ARENA_H

#include <stddef.h>

typedef struct ps_arena_block ps_arena_block;

typedef struct ps_arena {
    ps_arena_block *head;     /* current block */
    ps_arena_block *first;    /* first block (kept on reset) */
    size_t block_size;
} ps_arena;

void ps_arena_init(ps_arena *a, size_t block_size);
void ps_arena_release(ps_arena *a);
/* Forgets every allocation; keeps the memory for reuse. */
void ps_arena_reset(ps_arena *a);
void *ps_arena_alloc(ps_arena *a, size_t n);          /* 8-byte aligned, NULL on OOM */
char *ps_arena_strndup(ps_arena *a, const char *s, size_t n);
char *ps_arena_strdup(ps_arena *a, const char *s);

#endif
