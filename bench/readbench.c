/*
 * readbench - parse-only speed of a reader: opens TRACE with the reader that
 * claims it and pulls every record (events decoded with their Detail text and
 * stacks resolved, exactly what ingest gets), without storing anything.
 *
 *   bench/readbench [--no-stacks] TRACE
 *
 * Prints "events=N processes=N frames=N seconds=S cpu_seconds=C events_per_s=R"
 * on stdout; the times cover open (mapping, tables) and the event loop, not
 * process start-up.
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "parsers/input.h"
#include "parsers/reader.h"

static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    ps_input_opts io;
    ps_input *in = NULL;
    ps_reader *rd = NULL;
    const ps_reader_ops *ops;
    ps_reader_opts ro;
    ps_error err;
    ps_record rec;
    unsigned long long events = 0, procs = 0, frames = 0;
    double t0, t1, c0, c1;
    int n, i = 1;

    memset(&ro, 0, sizeof ro);
    if (argc > 1 && !strcmp(argv[1], "--no-stacks")) {
        ro.no_stacks = true;
        i++;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: readbench [--no-stacks] TRACE\n");
        return 2;
    }
    ps_error_clear(&err);
    ps_input_opts_init(&io);
    t0 = now();
    c0 = cpu();
    if (ps_input_open(argv[i], &io, &in, &err) < 0 || ps_reader_detect(in, &ops, &err) < 0 ||
        ops->open(in, &ro, &rd, &err) < 0)
        goto fail;
    while ((n = ps_reader_next(rd, &rec, &err)) > 0) {
        if (rec.type == PS_REC_EVENT) {
            events++;
            frames += rec.event->nframes;
        } else {
            procs++;
        }
    }
    if (n < 0)
        goto fail;
    t1 = now();
    c1 = cpu();
    printf("events=%llu processes=%llu frames=%llu seconds=%.3f cpu_seconds=%.3f events_per_s=%.0f\n", events,
           procs, frames, t1 - t0, c1 - c0, events / (t1 - t0 > 0 ? t1 - t0 : 1e-9));
    ps_reader_close(rd);
    ps_input_close(in);
    return 0;
fail:
    fprintf(stderr, "readbench: %s\n", err.msg);
    ps_reader_close(rd);
    ps_input_close(in);
    return 1;
}
