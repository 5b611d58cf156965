/*
 * rulesbench - the rule engine alone: how fast rules load, and how fast a
 * ruleset runs over events already in memory (no parsing, no SQLite).
 *
 *   rulesbench [-n EVENTS] [--default] [--creations-only] RULES_DIR EVTX...
 *
 * Reads the records of the EVTX files once, repeating them until EVENTS
 * events (default 100,000) are in memory, loads every rule under RULES_DIR
 * (plus the built-in pack with --default), then runs the rules over the
 * events three times and reports the best run: events per second and
 * event x rule evaluations per second (every rule counted for every event,
 * as a naive engine would evaluate them).  --creations-only keeps only the
 * process creations (Sysmon 1, Security 4688): the worst case, where the
 * 1,183 process_creation rules of SigmaHQ apply to every event.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/arena.h"
#include "common/util.h"
#include "model/event.h"
#include "parsers/input.h"
#include "parsers/reader.h"
#include "rules_engine/rules.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of the process: other jobs on a shared machine do not count */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *dup(ps_arena *a, const char *s)
{
    return s ? ps_arena_strdup(a, s) : NULL;
}

static uint64_t matches;

static void on_match(void *ctx, const ps_rule_info *r, const char *sev, int64_t e, int64_t c)
{
    (void)ctx;
    (void)r;
    (void)sev;
    (void)e;
    (void)c;
    matches++;
}

int main(int argc, char **argv)
{
    size_t want = 100000, n = 0, i, nfiles, distinct = 0;
    size_t heap0, heap1, heap2;
    bool with_default = false, creations_only = false;
    ps_event *evs;
    ps_arena arena;
    ps_ruleset *rs = NULL;
    ps_rules_run *rr = NULL;
    ps_trace_info info;
    ps_error err;
    double t0, t1, c0, c1, best = 1e9, best_cpu = 1e9;
    int a = 1, round;
    char **files;

    while (a < argc && argv[a][0] == '-') {
        if (!strcmp(argv[a], "-n") && a + 1 < argc)
            want = strtoul(argv[++a], NULL, 10);
        else if (!strcmp(argv[a], "--default"))
            with_default = true;
        else if (!strcmp(argv[a], "--creations-only"))
            creations_only = true;
        else
            break;
        a++;
    }
    if (argc - a < 2 || !want) {
        fprintf(stderr, "usage: rulesbench [-n EVENTS] [--default] RULES_DIR EVTX...\n");
        return 2;
    }
    files = argv + a + 1;
    nfiles = (size_t)(argc - a - 1);
    evs = calloc(want, sizeof *evs);
    ps_arena_init(&arena, 1 << 20);
    if (!evs)
        return 1;

    /* the events, copied out of the readers once, then repeated */
    for (i = 0; i < nfiles && n < want; i++) {
        ps_input *in = NULL;
        ps_reader *rd = NULL;
        const ps_reader_ops *ops;
        ps_input_opts io;
        ps_record rec;
        ps_input_opts_init(&io);
        if (ps_input_open(files[i], &io, &in, &err) < 0 || ps_reader_detect(in, &ops, &err) < 0 ||
            ops->open(in, NULL, &rd, &err) < 0) {
            fprintf(stderr, "rulesbench: %s\n", err.msg);
            ps_input_close(in);
            continue;
        }
        while (n < want && ps_reader_next(rd, &rec, &err) == 1) {
            const ps_event *e;
            ps_event *c;
            ps_field *f;
            uint32_t k;
            if (rec.type != PS_REC_EVENT)
                continue;
            e = rec.event;
            if (creations_only && e->op != PS_OP_PROCESS_START)
                continue;
            c = &evs[n++];
            *c = *e;
            c->operation = dup(&arena, e->operation);
            c->process_name = dup(&arena, e->process_name);
            c->path = dup(&arena, e->path);
            c->result = dup(&arena, e->result);
            c->detail = dup(&arena, e->detail);
            c->command_line = dup(&arena, e->command_line);
            c->current_dir = dup(&arena, e->current_dir);
            c->reg_type = dup(&arena, e->reg_type);
            c->reg_data = dup(&arena, e->reg_data);
            c->frames = NULL;
            c->nframes = 0;
            c->proc = NULL;
            f = ps_arena_alloc(&arena, (e->nfields ? e->nfields : 1) * sizeof *f);
            for (k = 0; k < e->nfields; k++) {
                f[k].name = dup(&arena, e->fields[k].name);
                f[k].value = dup(&arena, e->fields[k].value);
            }
            c->fields = f;
        }
        ps_reader_close(rd);
        ps_input_close(in);
    }
    distinct = n;
    for (i = 0; distinct && n < want; i++)
        evs[n++] = evs[i % distinct];
    printf("events in memory: %zu (%zu distinct from %zu files%s)\n", n, distinct, nfiles,
           creations_only ? ", process creations only" : "");

    /* loading */
    heap0 = mallinfo2().uordblks;
    t0 = now();
    if (ps_ruleset_new(&rs, &err) < 0 || (with_default && ps_ruleset_add_default(rs, &err) < 0) ||
        ps_ruleset_add_path(rs, argv[a], &err) < 0) {
        fprintf(stderr, "rulesbench: %s\n", err.msg);
        return 1;
    }
    heap1 = mallinfo2().uordblks;
    if (ps_ruleset_finish(rs, &err) < 0) {
        fprintf(stderr, "rulesbench: %s\n", err.msg);
        return 1;
    }
    t1 = now();
    heap2 = mallinfo2().uordblks;
    {
        size_t np;
        ps_ruleset_problems(rs, &np);
        printf("rules loaded: %zu (%zu cannot run) in %.3f s: %.0f rules/s\n", ps_ruleset_count(rs), np, t1 - t0,
               (double)(ps_ruleset_count(rs) + np) / (t1 - t0));
        printf("heap of the compiled rules: %.1f MiB (%.1f MiB rules, %.1f MiB prefilters and automata)\n",
               (double)(heap2 - heap0) / 1048576.0, (double)(heap1 - heap0) / 1048576.0,
               (double)(heap2 - heap1) / 1048576.0);
    }

    /* matching */
    memset(&info, 0, sizeof info);
    info.family = PS_FAMILY_EVENTLOG;
    for (round = 0; round < 3; round++) {
        matches = 0;
        if (ps_rules_run_new(rs, NULL, &rr, &err) < 0)
            return 1;
        ps_rules_set_hook(rr, on_match, NULL);
        ps_rules_begin_trace(rr, 1, &info, NULL, &err);
        t0 = now();
        c0 = cpu();
        for (i = 0; i < n; i++)
            if (ps_rules_event(rr, (int64_t)i + 1, &evs[i], &err) < 0) {
                fprintf(stderr, "rulesbench: %s\n", err.msg);
                return 1;
            }
        ps_rules_end_trace(rr, &err);
        t1 = now();
        c1 = cpu();
        if (t1 - t0 < best)
            best = t1 - t0;
        if (c1 - c0 < best_cpu)
            best_cpu = c1 - c0;
        ps_rules_run_free(rr);
    }
    printf("matching: %zu events x %zu rules in %.3f s wall, %.3f s CPU (best of 3): %.0f events/s, "
           "%.3g event x rule/s (CPU), %llu matches\n",
           n, ps_ruleset_count(rs), best, best_cpu, (double)n / best_cpu,
           (double)n * (double)ps_ruleset_count(rs) / best_cpu, (unsigned long long)matches);
    ps_ruleset_free(rs);
    ps_arena_release(&arena);
    free(evs);
    return 0;
}
