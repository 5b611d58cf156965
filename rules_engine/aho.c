/*
 * aho.c - Aho-Corasick automata: every literal of every rule on one field
 * (the lower-cased values of contains, startswith, endswith and equality
 * tests), so that an event's field value is scanned once, whatever the
 * number of rules, and each test becomes a lookup.
 *
 * A scan reports, per pattern, whether it occurs at all, at the start, at
 * the end, or as the whole value (flags), and marks the items (Field: [values]
 * with OR semantics) that one of their values satisfies.  The root has a
 * full transition table; other states keep sorted child lists and failure
 * links, dictionary links chain the states whose pattern ends there.
 */
#include <stdlib.h>
#include <string.h>

#include "rules_engine/internal.h"

typedef struct acnode {
    int32_t fail;
    int32_t dict;          /* next state on the failure chain that ends a pattern; -1 */
    int32_t pat;           /* pattern ending here; -1 */
    uint32_t first, n;     /* children in ac->edges[first..first+n), sorted by byte */
} acnode;

typedef struct acedge {
    uint8_t c;
    int32_t to;
} acedge;

struct acm {
    acnode *nodes;
    size_t nnodes, nodecap;
    acedge *edges;
    size_t nedges, edgecap;
    int32_t root_next[256];
    /* patterns */
    size_t *plen;
    size_t npat, patcap;
    /* per pattern: the items it satisfies, with the mode it must match in */
    int32_t *user_first;   /* first index into users, -1 */
    acuser *users;
    size_t nusers, usercap;
    /* while building: a trie with explicit children lists (edges sorted later) */
    struct bnode {
        int32_t *kids;     /* node ids */
        uint8_t *keys;
        uint32_t n, cap;
    } *b;
};

static int32_t new_node(acm *a)
{
    if (a->nnodes == a->nodecap) {
        size_t nc = a->nodecap ? a->nodecap * 2 : 256;
        acnode *nn = realloc(a->nodes, nc * sizeof *nn);
        struct bnode *nb = realloc(a->b, nc * sizeof *nb);
        if (!nn || !nb) {
            if (nn)
                a->nodes = nn;
            if (nb)
                a->b = nb;
            return -1;
        }
        a->nodes = nn;
        a->b = nb;
        a->nodecap = nc;
    }
    memset(&a->nodes[a->nnodes], 0, sizeof a->nodes[0]);
    a->nodes[a->nnodes].pat = -1;
    a->nodes[a->nnodes].dict = -1;
    memset(&a->b[a->nnodes], 0, sizeof a->b[0]);
    return (int32_t)a->nnodes++;
}

acm *ps_acm_new(void)
{
    acm *a = calloc(1, sizeof *a);
    if (!a || new_node(a) < 0) {
        ps_acm_free(a);
        return NULL;
    }
    return a;
}

void ps_acm_free(acm *a)
{
    size_t i;
    if (!a)
        return;
    if (a->b)
        for (i = 0; i < a->nnodes; i++) {
            free(a->b[i].kids);
            free(a->b[i].keys);
        }
    free(a->b);
    free(a->nodes);
    free(a->edges);
    free(a->plen);
    free(a->user_first);
    free(a->users);
    free(a);
}

static int32_t bchild(acm *a, int32_t s, uint8_t c)
{
    uint32_t i;
    for (i = 0; i < a->b[s].n; i++)
        if (a->b[s].keys[i] == c)
            return a->b[s].kids[i];
    return -1;
}

int ps_acm_add(acm *a, const char *lit, size_t len)
{
    int32_t s = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        uint8_t c = (uint8_t)lit[i];
        int32_t t = bchild(a, s, c);
        if (t < 0) {
            struct bnode *bn;
            if ((t = new_node(a)) < 0)
                return PS_ERR_NOMEM;
            bn = &a->b[s];
            if (bn->n == bn->cap) {
                uint32_t nc = bn->cap ? bn->cap * 2 : 2;
                int32_t *nk = realloc(bn->kids, nc * sizeof *nk);
                uint8_t *ny;
                if (!nk)
                    return PS_ERR_NOMEM;
                bn->kids = nk;
                ny = realloc(bn->keys, nc);
                if (!ny)
                    return PS_ERR_NOMEM;
                bn->keys = ny;
                bn->cap = nc;
            }
            bn->kids[bn->n] = t;
            bn->keys[bn->n++] = c;
        }
        s = t;
    }
    if (a->nodes[s].pat >= 0)
        return a->nodes[s].pat;   /* the same literal again */
    if (a->npat == a->patcap) {
        size_t nc = a->patcap ? a->patcap * 2 : 64;
        size_t *np = realloc(a->plen, nc * sizeof *np);
        int32_t *nu;
        if (!np)
            return PS_ERR_NOMEM;
        a->plen = np;
        nu = realloc(a->user_first, nc * sizeof *nu);
        if (!nu)
            return PS_ERR_NOMEM;
        a->user_first = nu;
        a->patcap = nc;
    }
    a->plen[a->npat] = len;
    a->user_first[a->npat] = -1;
    a->nodes[s].pat = (int32_t)a->npat;
    return (int)a->npat++;
}

int ps_acm_user(acm *a, int pat, int item, uint8_t mode)
{
    if (a->nusers == a->usercap) {
        size_t nc = a->usercap ? a->usercap * 2 : 64;
        acuser *nu = realloc(a->users, nc * sizeof *nu);
        if (!nu)
            return PS_ERR_NOMEM;
        a->users = nu;
        a->usercap = nc;
    }
    a->users[a->nusers].item = item;
    a->users[a->nusers].mode = mode;
    a->users[a->nusers].next = a->user_first[pat];
    a->user_first[pat] = (int32_t)a->nusers++;
    return 0;
}

static int cmp_key(const void *x, const void *y)
{
    return (int)((const acedge *)x)->c - (int)((const acedge *)y)->c;
}

static int32_t step(const acm *a, int32_t s, uint8_t c)
{
    for (;;) {
        const acnode *n;
        uint32_t lo, hi;
        if (s == 0)
            return a->root_next[c];
        n = &a->nodes[s];
        lo = n->first;
        hi = n->first + n->n;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (a->edges[mid].c < c)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n->first + n->n && a->edges[lo].c == c)
            return a->edges[lo].to;
        s = n->fail;
    }
}

int ps_acm_build(acm *a)
{
    int32_t *queue;
    size_t head = 0, tail = 0, i;
    uint32_t k;

    /* flatten the children, sorted */
    a->edges = malloc((a->nnodes ? a->nnodes : 1) * sizeof *a->edges);
    if (!a->edges)
        return PS_ERR_NOMEM;
    for (i = 0; i < a->nnodes; i++) {
        acnode *n = &a->nodes[i];
        n->first = (uint32_t)a->nedges;
        n->n = a->b[i].n;
        for (k = 0; k < a->b[i].n; k++) {
            a->edges[a->nedges].c = a->b[i].keys[k];
            a->edges[a->nedges++].to = a->b[i].kids[k];
        }
        qsort(a->edges + n->first, n->n, sizeof *a->edges, cmp_key);
        free(a->b[i].kids);
        free(a->b[i].keys);
    }
    free(a->b);
    a->b = NULL;
    for (k = 0; k < 256; k++)
        a->root_next[k] = 0;
    queue = malloc(a->nnodes * sizeof *queue);
    if (!queue)
        return PS_ERR_NOMEM;
    /* depth 1: fail to the root */
    for (k = 0; k < a->nodes[0].n; k++) {
        const acedge *e = &a->edges[a->nodes[0].first + k];
        a->root_next[e->c] = e->to;
        a->nodes[e->to].fail = 0;
        queue[tail++] = e->to;
    }
    while (head < tail) {
        int32_t s = queue[head++];
        const acnode *n = &a->nodes[s];
        for (k = 0; k < n->n; k++) {
            const acedge *e = &a->edges[n->first + k];
            int32_t t = e->to, f = step(a, n->fail, e->c);
            a->nodes[t].fail = f;
            a->nodes[t].dict = a->nodes[f].pat >= 0 ? f : a->nodes[f].dict;
            queue[tail++] = t;
        }
    }
    free(queue);
    return 0;
}

size_t ps_acm_patterns(const acm *a)
{
    return a->npat;
}

void ps_acm_scan(const acm *a, const char *s, size_t n, ps_acm_hit_fn hit, void *ctx)
{
    int32_t st = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        int32_t t;
        st = step(a, st, (uint8_t)s[i]);
        for (t = a->nodes[st].pat >= 0 ? st : a->nodes[st].dict; t >= 0; t = a->nodes[t].dict) {
            int32_t p = a->nodes[t].pat;
            size_t len = a->plen[p];
            uint8_t flags = AC_ANY;
            if (i + 1 == n)
                flags |= AC_END;
            if (i + 1 == len)
                flags |= AC_START;
            if (i + 1 == n && len == n)
                flags |= AC_EQ;
            hit(ctx, p, flags, a->users, a->user_first[p]);
        }
    }
}
