/*
 * tree.c - the process tree (tree.h) and the `report tree` text report.
 */
#include "reports/tree.h"

#include <stdlib.h>
#include <string.h>

#include "model/severity.h"
#include "common/escape.h"
#include "reports/report.h"

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

/* An arena copy of column i (NULL stays NULL); *oom on failure. */
static const char *col_dup(ps_tree *t, sqlite3_stmt *st, int i, bool *oom)
{
    const char *s = col_text(st, i);
    char *d;
    if (!s)
        return NULL;
    d = ps_arena_strdup(&t->arena, s);
    if (!d)
        *oom = true;
    return d;
}

static size_t add_node(ps_tree *t, ps_tree_kind kind, int64_t trace_id)
{
    ps_tree_node *n;

    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        ps_tree_node *nv = realloc(t->v, nc * sizeof *nv);
        if (!nv)
            return PS_TREE_NONE;
        t->v = nv;
        t->cap = nc;
    }
    n = &t->v[t->n];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->trace_id = trace_id;
    n->max_severity = -1;
    n->parent = n->first_child = n->next_sibling = PS_TREE_NONE;
    return t->n++;
}

static uint64_t pid_key(int64_t trace_id, int64_t pid)
{
    return ((uint64_t)trace_id << 32) ^ (uint64_t)(uint32_t)pid;
}

/* The stand-in for an absent parent PID of a trace, made on first use. */
static size_t absent_parent(ps_tree *t, ps_map *absent, int64_t trace_id, int64_t pid)
{
    uint64_t v;
    size_t i;

    if (ps_map_get(absent, pid_key(trace_id, pid), &v))
        return (size_t)v;
    i = add_node(t, PS_TREE_ABSENT_PARENT, trace_id);
    if (i == PS_TREE_NONE)
        return i;
    t->v[i].has_pid = true;
    t->v[i].pid = pid;
    if (ps_map_put(absent, pid_key(trace_id, pid), i) < 0)
        return PS_TREE_NONE;
    return i;
}

static int load_traces(ps_store *s, int64_t trace_id, ps_tree *t, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;
    bool oom = false;

    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT trace_id, path, time_basis, first_ts FROM traces WHERE ?1 = 0 OR trace_id = ?1 "
                           "ORDER BY trace_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ps_tree_trace *nt = realloc(t->traces, (t->ntraces + 1) * sizeof *nt);
        if (!nt) {
            oom = true;
            break;
        }
        t->traces = nt;
        nt[t->ntraces].trace_id = sqlite3_column_int64(st, 0);
        nt[t->ntraces].path = col_dup(t, st, 1, &oom);
        nt[t->ntraces].basis = col_dup(t, st, 2, &oom);
        if (!nt[t->ntraces].basis)
            nt[t->ntraces].basis = "utc";
        nt[t->ntraces].has_first = sqlite3_column_type(st, 3) != SQLITE_NULL;
        nt[t->ntraces].first_ts = sqlite3_column_int64(st, 3);
        t->ntraces++;
    }
    sqlite3_finalize(st);
    if (oom)
        return ps_error_nomem(err);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

static int load_processes(ps_store *s, int64_t trace_id, ps_tree *t, ps_map *by_process, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;
    bool oom = false;

    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT process_id, trace_id, pid, process_name, image_path, command_line, start_ts, "
                           "end_ts, exit_status FROM processes WHERE ?1 = 0 OR trace_id = ?1 ORDER BY process_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, trace_id);
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t i = add_node(t, PS_TREE_PROCESS, sqlite3_column_int64(st, 1));
        ps_tree_node *n;
        if (i == PS_TREE_NONE || ps_map_put(by_process, (uint64_t)sqlite3_column_int64(st, 0), i) < 0) {
            oom = true;
            break;
        }
        n = &t->v[i];
        n->process_id = sqlite3_column_int64(st, 0);
        n->has_pid = sqlite3_column_type(st, 2) != SQLITE_NULL;
        n->pid = sqlite3_column_int64(st, 2);
        n->name = col_dup(t, st, 3, &oom);
        n->image_path = col_dup(t, st, 4, &oom);
        n->command_line = col_dup(t, st, 5, &oom);
        n->has_start = sqlite3_column_type(st, 6) != SQLITE_NULL;
        n->start_ts = sqlite3_column_int64(st, 6);
        n->has_end = sqlite3_column_type(st, 7) != SQLITE_NULL;
        n->end_ts = sqlite3_column_int64(st, 7);
        n->has_exit = sqlite3_column_type(st, 8) != SQLITE_NULL;
        n->exit_status = sqlite3_column_int64(st, 8);
    }
    sqlite3_finalize(st);
    if (oom)
        return ps_error_nomem(err);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

/* Attaches each creation to its child's node, or makes a node for it. */
static int load_creations(ps_store *s, int64_t trace_id, ps_tree *t, ps_map *by_process, ps_map *by_creation,
                          ps_map *absent, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;
    bool oom = false;

    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT creation_id, trace_id, child_process_id, creator_process_id, creator_pid, "
                           "child_pid, status, result, requested_image, image_path, note, create_ts, command_line "
                           "FROM creations WHERE ?1 = 0 OR trace_id = ?1 ORDER BY creation_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, trace_id);
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t v;
        size_t i = PS_TREE_NONE;
        ps_tree_node *n;
        int64_t cid = sqlite3_column_int64(st, 0);
        const char *req, *img;

        if (sqlite3_column_type(st, 2) != SQLITE_NULL &&
            ps_map_get(by_process, (uint64_t)sqlite3_column_int64(st, 2), &v) && !t->v[v].creation_id)
            i = (size_t)v;
        if (i == PS_TREE_NONE) {
            i = add_node(t, PS_TREE_NO_PROCESS, sqlite3_column_int64(st, 1));
            if (i == PS_TREE_NONE) {
                oom = true;
                break;
            }
            n = &t->v[i];
            n->has_pid = sqlite3_column_type(st, 5) != SQLITE_NULL;
            n->pid = sqlite3_column_int64(st, 5);
            n->image_path = col_dup(t, st, 9, &oom);
            n->name = n->image_path ? ps_path_basename(n->image_path) : NULL;
            n->command_line = col_dup(t, st, 12, &oom);
            /* under the creator: its row, else its PID (absent_parent may move t->v) */
            if (sqlite3_column_type(st, 3) != SQLITE_NULL &&
                ps_map_get(by_process, (uint64_t)sqlite3_column_int64(st, 3), &v)) {
                n->parent = (size_t)v;
            } else if (sqlite3_column_type(st, 4) != SQLITE_NULL && sqlite3_column_int64(st, 4) > 0) {
                size_t a = absent_parent(t, absent, n->trace_id, sqlite3_column_int64(st, 4));
                if (a == PS_TREE_NONE) {
                    oom = true;
                    break;
                }
                t->v[i].parent = a;
            }
        }
        n = &t->v[i];
        n->creation_id = cid;
        n->status = col_dup(t, st, 6, &oom);
        n->result = col_dup(t, st, 7, &oom);
        n->note = col_dup(t, st, 10, &oom);
        n->has_create = sqlite3_column_type(st, 11) != SQLITE_NULL;
        n->create_ts = sqlite3_column_int64(st, 11);
        req = col_text(st, 8);
        img = col_text(st, 9);
        if (req && img && strcmp(req, img) != 0) {
            n->hijacked = true;
            n->requested_image = col_dup(t, st, 8, &oom);
        }
        if (ps_map_put(by_creation, (uint64_t)cid, i) < 0)
            oom = true;
    }
    sqlite3_finalize(st);
    if (oom)
        return ps_error_nomem(err);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

static int load_findings(ps_store *s, int64_t trace_id, ps_tree *t, ps_map *by_creation, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;
    bool oom = false;

    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT creation_id, max(rank), group_concat(rule_id, ',') FROM ("
                           " SELECT DISTINCT creation_id, rule_id, CASE severity WHEN 'info' THEN 0 "
                           "  WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 WHEN 'critical' THEN 4 "
                           "  ELSE 0 END AS rank FROM findings WHERE creation_id IS NOT NULL "
                           "  AND (?1 = 0 OR trace_id = ?1) ORDER BY creation_id, rule_id) "
                           "GROUP BY creation_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t v;
        if (!ps_map_get(by_creation, (uint64_t)sqlite3_column_int64(st, 0), &v))
            continue;
        t->v[v].max_severity = sqlite3_column_int(st, 1);
        t->v[v].rules = col_dup(t, st, 2, &oom);
    }
    sqlite3_finalize(st);
    if (oom)
        return ps_error_nomem(err);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

/* Parent links of the process nodes: the recorded parent's row, else a
 * stand-in for the recorded parent PID. */
static int link_parents(ps_store *s, int64_t trace_id, ps_tree *t, ps_map *by_process, ps_map *absent,
                        ps_error *err)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(ps_store_db(s),
                           "SELECT p.process_id, p.parent_process_id, p.parent_pid, "
                           "(SELECT CASE WHEN count(*) = 1 THEN min(q.process_id) END FROM processes q "
                           " WHERE q.trace_id = p.trace_id AND q.pid = p.parent_pid AND q.process_id <> p.process_id "
                           " AND (q.start_ts IS NULL OR p.start_ts IS NULL OR q.start_ts <= p.start_ts) "
                           " AND (q.end_ts IS NULL OR p.start_ts IS NULL OR q.end_ts >= p.start_ts)) "
                           "FROM processes p WHERE ?1 = 0 OR p.trace_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t self, par;
        ps_tree_node *n;
        if (!ps_map_get(by_process, (uint64_t)sqlite3_column_int64(st, 0), &self))
            continue;
        n = &t->v[self];
        if (sqlite3_column_type(st, 1) != SQLITE_NULL &&
            ps_map_get(by_process, (uint64_t)sqlite3_column_int64(st, 1), &par) && par != self &&
            t->v[par].trace_id == n->trace_id) {
            n->parent = (size_t)par;
        } else if (sqlite3_column_type(st, 2) != SQLITE_NULL && sqlite3_column_int64(st, 2) > 0 &&
                   sqlite3_column_type(st, 3) != SQLITE_NULL &&
                   ps_map_get(by_process, (uint64_t)sqlite3_column_int64(st, 3), &par) && par != self) {
            /* the one process of the trace with the parent's PID alive at the start */
            n->parent = (size_t)par;
            n->parent_by_pid = true;
        } else if (sqlite3_column_type(st, 2) != SQLITE_NULL && sqlite3_column_int64(st, 2) > 0) {
            size_t a = absent_parent(t, absent, n->trace_id, sqlite3_column_int64(st, 2));
            if (a == PS_TREE_NONE) {
                sqlite3_finalize(st);
                return ps_error_nomem(err);
            }
            t->v[self].parent = a;   /* t->v may have moved */
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}

/* Cuts the parent links that close a cycle. */
static int cut_cycles(ps_tree *t)
{
    unsigned char *state = calloc(t->n ? t->n : 1, 1);   /* 0 new, 1 on the path, 2 done */
    size_t *path = malloc((t->n ? t->n : 1) * sizeof *path);
    size_t i;

    if (!state || !path) {
        free(state);
        free(path);
        return -1;
    }
    for (i = 0; i < t->n; i++) {
        size_t len = 0, x = i;
        while (x != PS_TREE_NONE && state[x] == 0) {
            state[x] = 1;
            path[len++] = x;
            if (t->v[x].parent != PS_TREE_NONE && state[t->v[x].parent] == 1) {
                t->v[x].parent = PS_TREE_NONE;   /* closes a cycle */
                break;
            }
            x = t->v[x].parent;
        }
        while (len)
            state[path[--len]] = 2;
    }
    free(state);
    free(path);
    return 0;
}

static int64_t sort_ts(const ps_tree_node *n)
{
    if (n->has_start)
        return n->start_ts;
    if (n->has_create)
        return n->create_ts;
    return INT64_MIN;
}

static const ps_tree *sort_tree;

static int cmp_nodes(const void *a, const void *b)
{
    const ps_tree_node *x = &sort_tree->v[*(const size_t *)a], *y = &sort_tree->v[*(const size_t *)b];
    int64_t tx = sort_ts(x), ty = sort_ts(y);

    if (x->trace_id != y->trace_id)
        return x->trace_id < y->trace_id ? -1 : 1;
    if (tx != ty)
        return tx < ty ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    if (x->process_id != y->process_id)
        return x->process_id < y->process_id ? -1 : 1;
    if (x->creation_id != y->creation_id)
        return x->creation_id < y->creation_id ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Children lists in order. */
static int link_children(ps_tree *t)
{
    size_t *order = malloc((t->n ? t->n : 1) * sizeof *order);
    size_t *tail = malloc((t->n ? t->n : 1) * sizeof *tail);
    size_t i, root_tail = PS_TREE_NONE;

    if (!order || !tail) {
        free(order);
        free(tail);
        return -1;
    }
    for (i = 0; i < t->n; i++) {
        order[i] = i;
        tail[i] = PS_TREE_NONE;
    }
    sort_tree = t;
    qsort(order, t->n, sizeof *order, cmp_nodes);
    sort_tree = NULL;
    t->first_root = PS_TREE_NONE;
    for (i = 0; i < t->n; i++) {
        size_t x = order[i], p = t->v[x].parent;
        if (p == PS_TREE_NONE) {
            if (root_tail == PS_TREE_NONE)
                t->first_root = x;
            else
                t->v[root_tail].next_sibling = x;
            root_tail = x;
        } else {
            if (tail[p] == PS_TREE_NONE)
                t->v[p].first_child = x;
            else
                t->v[tail[p]].next_sibling = x;
            tail[p] = x;
        }
    }
    free(order);
    free(tail);
    return 0;
}

int ps_tree_load(ps_store *s, int64_t trace_id, ps_tree *t, ps_error *err)
{
    ps_map by_process, by_creation, absent;
    int rc;

    memset(t, 0, sizeof *t);
    t->first_root = PS_TREE_NONE;
    ps_arena_init(&t->arena, 64 * 1024);
    ps_map_init(&by_process);
    ps_map_init(&by_creation);
    ps_map_init(&absent);
    if ((rc = load_traces(s, trace_id, t, err)) < 0 || (rc = load_processes(s, trace_id, t, &by_process, err)) < 0 ||
        (rc = link_parents(s, trace_id, t, &by_process, &absent, err)) < 0 ||
        (rc = load_creations(s, trace_id, t, &by_process, &by_creation, &absent, err)) < 0 ||
        (rc = load_findings(s, trace_id, t, &by_creation, err)) < 0)
        goto out;
    if (cut_cycles(t) < 0 || link_children(t) < 0)
        rc = ps_error_nomem(err);
out:
    ps_map_release(&by_process);
    ps_map_release(&by_creation);
    ps_map_release(&absent);
    if (rc < 0)
        ps_tree_release(t);
    return rc;
}

void ps_tree_release(ps_tree *t)
{
    free(t->v);
    free(t->traces);
    ps_arena_release(&t->arena);
    memset(t, 0, sizeof *t);
    t->first_root = PS_TREE_NONE;
}

const ps_tree_trace *ps_tree_trace_of(const ps_tree *t, const ps_tree_node *node)
{
    static const ps_tree_trace unknown = {0, NULL, "utc", false, 0};
    size_t i;
    for (i = 0; i < t->ntraces; i++)
        if (t->traces[i].trace_id == node->trace_id)
            return &t->traces[i];
    return &unknown;
}

void ps_tree_node_span(const ps_tree *t, const ps_tree_node *n, char *start, char *end, size_t cap)
{
    const ps_tree_trace *tr = ps_tree_trace_of(t, n);

    if (n->has_start)
        ps_tree_format_ts(tr, n->start_ts, start, cap);
    else
        ps_strlcpy(start, "before the trace", cap);
    if (n->has_end)
        ps_tree_format_ts(tr, n->end_ts, end, cap);
    else
        ps_strlcpy(end, "running at the end", cap);
}

static bool last_sibling(const ps_tree *t, size_t x)
{
    size_t nx = t->v[x].next_sibling;
    if (nx == PS_TREE_NONE)
        return true;
    /* roots: the last of their trace */
    return t->v[x].parent == PS_TREE_NONE && t->v[nx].trace_id != t->v[x].trace_id;
}

int ps_tree_walk(const ps_tree *t, ps_tree_visit_fn fn, void *ctx)
{
    size_t *stack = malloc((t->n + 1) * sizeof *stack);
    bool *last = malloc((t->n + 1) * sizeof *last);
    size_t depth = 0, x = t->first_root;
    int rc = 0;

    if (!stack || !last) {
        free(stack);
        free(last);
        return PS_ERR_NOMEM;
    }
    while (x != PS_TREE_NONE) {
        last[depth] = last_sibling(t, x);
        if ((rc = fn(ctx, t, x, depth, last)) != 0)
            break;
        if (t->v[x].first_child != PS_TREE_NONE) {
            stack[depth++] = x;
            x = t->v[x].first_child;
            continue;
        }
        /* next sibling, climbing up as needed */
        while (t->v[x].next_sibling == PS_TREE_NONE && depth > 0)
            x = stack[--depth];
        x = t->v[x].next_sibling;
    }
    free(stack);
    free(last);
    return rc;
}

/* ---- the text report ------------------------------------------------------------ */

#define TREE_MAX_INDENT 48

typedef struct text_ctx {
    const ps_report_opts *o;
    int64_t trace_id;
    bool any;
} text_ctx;

void ps_tree_format_ts(const ps_tree_trace *tr, int64_t ts, char *buf, size_t cap)
{
    char first[64], *p;

    ps_format_ts(tr->basis, ts, buf, cap);
    if (!tr->has_first)
        return;
    ps_format_ts(tr->basis, tr->first_ts, first, sizeof first);
    p = strchr(buf, 'T');
    if (p && !strncmp(buf, first, (size_t)(p - buf + 1)))
        memmove(buf, p + 1, strlen(p));
}

static void put_prefix(const text_ctx *c, size_t depth, const bool *last, bool cont, bool has_children)
{
    FILE *f = c->o->out;
    bool u = c->o->unicode;
    size_t l, shown = depth > TREE_MAX_INDENT ? TREE_MAX_INDENT : depth;

    fputs("  ", f);
    for (l = 1; l < shown; l++)
        fputs(last[l] ? "    " : u ? "\xe2\x94\x82   " : "|   ", f);
    if (shown >= 1) {
        if (cont)
            fputs(last[shown] ? "    " : u ? "\xe2\x94\x82   " : "|   ", f);
        else
            fputs(last[shown] ? (u ? "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 " : "`-- ")
                              : (u ? "\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 " : "|-- "),
                  f);
    }
    if (depth > TREE_MAX_INDENT && !cont)
        fprintf(f, "[depth %zu] ", depth);
    if (cont)
        fputs(has_children ? (u ? "\xe2\x94\x82   " : "|   ") : "    ", f);
}

static int text_visit(void *ctx, const ps_tree *t, size_t x, size_t depth, const bool *last)
{
    text_ctx *c = ctx;
    const ps_report_opts *o = c->o;
    const ps_tree_node *n = &t->v[x];
    const ps_tree_trace *tr = ps_tree_trace_of(t, n);
    FILE *f = o->out;
    char a[64], b[64];
    const char *line2;

    c->any = true;
    if (depth == 0 && n->trace_id != c->trace_id) {
        fprintf(f, "%s  trace #%lld %s%s\n", c->trace_id ? "\n" : "", (long long)n->trace_id,
                tr->path ? ps_tx(tr->path) : "?", "");
        c->trace_id = n->trace_id;
    }
    put_prefix(c, depth, last, false, false);
    if (n->kind == PS_TREE_ABSENT_PARENT) {
        fprintf(f, "%s? (%lld)  parent not identified in the trace%s\n", ps_color(o, PS_C_DIM), (long long)n->pid,
                ps_color(o, PS_C_RESET));
        return 0;
    }
    fprintf(f, "%s%s%s", ps_color(o, PS_C_BOLD), n->name ? ps_tx(n->name) : "?", ps_color(o, PS_C_RESET));
    if (n->has_pid)
        fprintf(f, " (%lld)", (long long)n->pid);
    if (n->creation_id)
        fprintf(f, "  #%lld", (long long)n->creation_id);
    if (n->kind == PS_TREE_NO_PROCESS) {
        if (n->has_create) {
            ps_tree_format_ts(tr, n->create_ts, a, sizeof a);
            fprintf(f, "  %s", a);
        }
        fprintf(f, "  %sno process", ps_color(o, PS_C_YELLOW));
        if (n->status && !strcmp(n->status, "failed"))
            fprintf(f, ": the creation failed%s%s", n->result ? " with " : "", n->result ? ps_tx(n->result) : "");
        fputs(ps_color(o, PS_C_RESET), f);
    } else {
        ps_tree_node_span(t, n, a, b, sizeof a);
        fprintf(f, "  %s \xe2\x80\x93 %s", a, b);
        if (n->has_exit && n->has_end)
            fprintf(f, " (exit %lld)", (long long)n->exit_status);
        if (n->status && strcmp(n->status, "complete") != 0)
            fprintf(f, "  %s%s%s", ps_color(o, PS_C_YELLOW), ps_tx(n->status), ps_color(o, PS_C_RESET));
    }
    if (n->hijacked)
        fprintf(f, "  %sHIJACKED: requested %s%s", ps_color(o, PS_C_BOLDRED), ps_tx(n->requested_image),
                ps_color(o, PS_C_RESET));
    if (n->parent_by_pid)
        fprintf(f, "  %s(parent matched by PID)%s", ps_color(o, PS_C_DIM), ps_color(o, PS_C_RESET));
    if (n->max_severity >= 0)
        fprintf(f, "  %s[%s %s]%s", ps_color(o, ps_severity_color(ps_severity_name(n->max_severity))),
                ps_severity_name(n->max_severity), n->rules ? ps_tx(n->rules) : "", ps_color(o, PS_C_RESET));
    fputc('\n', f);
    line2 = n->command_line ? n->command_line : n->image_path;
    if (line2) {
        put_prefix(c, depth, last, true, n->first_child != PS_TREE_NONE);
        fprintf(f, "%s%s%s\n", ps_color(o, PS_C_DIM), ps_tx(line2), ps_color(o, PS_C_RESET));
    }
    return 0;
}

int ps_report_tree(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    ps_tree t;
    text_ctx c;
    int rc;

    if ((rc = ps_tree_load(s, o->trace_id, &t, err)) < 0)
        return rc;
    memset(&c, 0, sizeof c);
    c.o = o;
    fprintf(o->out, "%sPROCESS TREE%s  (start \xe2\x80\x93 end; #N the creation; ? a parent the trace does not show)\n",
            ps_color(o, PS_C_BOLD), ps_color(o, PS_C_RESET));
    rc = ps_tree_walk(&t, text_visit, &c);
    if (rc < 0) {
        ps_tree_release(&t);
        return ps_error_nomem(err);
    }
    if (!c.any)
        fprintf(o->out, "  none\n");
    fputc('\n', o->out);
    ps_tree_release(&t);
    return 0;
}
