/*
 * tree.h - the process tree of a model: every process under its recorded
 * parent, with the creation that started it, its findings and whether the
 * launch was hijacked.  Read by `report tree` (text) and the HTML report.
 *
 * Nodes are processes, plus two kinds of stand-ins:
 *   - an absent parent: the recorded parent PID of processes whose parent
 *     is not in the trace (one node per trace and PID, so that siblings stay
 *     together);
 *   - a creation without a process: a failed CreateProcess (or one whose
 *     child never appeared), under its creator.
 * Parent links that would form a cycle (possible only in a hand-made
 * database) are cut, so every node is reached exactly once.  Children are
 * ordered by start time (unknown first), PID and id.
 *
 * Ownership: ps_tree_load fills a caller's ps_tree, released with
 * ps_tree_release; every string belongs to the tree's arena.
 */
#ifndef PS_TREE_H
#define PS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "model/store.h"

#define PS_TREE_NONE ((size_t)-1)

typedef enum ps_tree_kind {
    PS_TREE_PROCESS = 0,
    PS_TREE_ABSENT_PARENT,
    PS_TREE_NO_PROCESS
} ps_tree_kind;

typedef struct ps_tree_node {
    ps_tree_kind kind;
    int64_t process_id;          /* processes.process_id, 0 for stand-ins */
    int64_t trace_id;
    bool has_pid;
    int64_t pid;
    const char *name, *image_path, *command_line;   /* NULL when unknown */
    bool has_start, has_end, has_exit;
    int64_t start_ts, end_ts, exit_status;
    /* the creation that started it (creation_id 0: none in the trace) */
    int64_t creation_id;
    const char *status, *result, *requested_image, *note;
    bool has_create;
    int64_t create_ts;
    bool hijacked;               /* the image that ran is not the one requested */
    int max_severity;            /* rank of the creation's worst finding, -1 none */
    const char *rules;           /* its findings' rule ids, comma-separated */
    size_t parent, first_child, next_sibling;
    bool parent_by_pid;          /* the model does not link the parent: the only
                                    process with its PID alive at the start */
} ps_tree_node;

typedef struct ps_tree_trace {
    int64_t trace_id;
    const char *path, *basis;
    bool has_first;
    int64_t first_ts;            /* the trace's first event */
} ps_tree_trace;

/* A node's time for display: the time of day alone when the date is the
 * one of the trace's first event, else the full time. */
void ps_tree_format_ts(const ps_tree_trace *tr, int64_t ts, char *buf, size_t cap);

typedef struct ps_tree {
    ps_tree_node *v;
    size_t n, cap;
    size_t first_root;           /* roots, trace by trace, linked by next_sibling */
    ps_tree_trace *traces;
    size_t ntraces;
    ps_arena arena;
} ps_tree;

/* Loads the tree of one trace (trace_id > 0) or of all. */
int ps_tree_load(ps_store *s, int64_t trace_id, ps_tree *t, ps_error *err);
void ps_tree_release(ps_tree *t);
/* The trace of a node (never NULL after a successful load). */
const ps_tree_trace *ps_tree_trace_of(const ps_tree *t, const ps_tree_node *node);

/* A process node's start and end for display: the times, or "before the
 * trace" and "running at the end". */
void ps_tree_node_span(const ps_tree *t, const ps_tree_node *n, char *start, char *end, size_t cap);

/* Visits every node once, depth first, roots in order.  last[0..depth] says
 * for the node and each of its ancestors whether it is the last of its
 * siblings (roots: the last of their trace).  A non-zero return stops the
 * walk and is returned. */
typedef int (*ps_tree_visit_fn)(void *ctx, const ps_tree *t, size_t node, size_t depth, const bool *last);
int ps_tree_walk(const ps_tree *t, ps_tree_visit_fn fn, void *ctx);

#endif
