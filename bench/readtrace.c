/*
 * readtrace - parse-only benchmark and inspection tool: runs a reader over a
 * trace without the store, the reconstruction engine or the detectors.
 *
 *   bench/readtrace [-k] [-e N] [-f FORMAT] TRACE
 *
 * Prints the reader, the trace facts (OS, pointer size, CPUs, time basis,
 * events lost), the number of events and process records, the elapsed CPU
 * and wall time and the events per second (stderr: the reader's warnings).
 * -k lists the kinds of source events the reader counted (provider,
 * operation, decoded, count), -e N prints the first N events.
 * Exit status: 0, or 3 when the trace cannot be read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "parsers/input.h"
#include "parsers/reader.h"

static void warn(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "warning: %s\n", msg);
}

static double now(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *format = NULL;
    bool kinds = false;
    long show = 0;
    ps_input *in = NULL;
    ps_reader *rd = NULL;
    const ps_reader_ops *ops;
    ps_reader_opts ro;
    ps_error err;
    uint64_t events = 0, procs = 0, frames = 0;
    double w0, c0, wall, cpu;
    int c, n;

    while ((c = getopt(argc, argv, "ke:f:")) != -1) {
        switch (c) {
        case 'k': kinds = true; break;
        case 'e': show = strtol(optarg, NULL, 10); break;
        case 'f': format = optarg; break;
        default:
            fprintf(stderr, "usage: readtrace [-k] [-e N] [-f FORMAT] TRACE\n");
            return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "usage: readtrace [-k] [-e N] [-f FORMAT] TRACE\n");
        return 2;
    }
    ps_error_clear(&err);
    w0 = now(CLOCK_MONOTONIC);
    c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    if (ps_input_open(argv[optind], NULL, &in, &err) < 0)
        goto fail;
    if (format)
        ops = ps_reader_find(format);
    else if (ps_reader_detect(in, &ops, &err) < 0)
        goto fail;
    if (!ops) {
        fprintf(stderr, "readtrace: unknown format '%s'\n", format);
        goto out;
    }
    memset(&ro, 0, sizeof ro);
    ro.warn = warn;
    if (ops->open(in, &ro, &rd, &err) < 0)
        goto fail;
    for (;;) {
        ps_record rec;
        n = ps_reader_next(rd, &rec, &err);
        if (n < 0)
            goto fail;
        if (n == 0)
            break;
        if (rec.type == PS_REC_PROCESS) {
            procs++;
            continue;
        }
        events++;
        frames += rec.event->nframes;
        if ((long)events <= show) {
            char t[40];
            const ps_event *e = rec.event;
            ps_format_filetime(e->ts, t, sizeof t);
            printf("%llu %s %u/%u %s %s %s%s\n", (unsigned long long)e->seq, t, e->pid, e->has_tid ? e->tid : 0,
                   e->operation, e->path, e->detail, e->nframes ? " [stack]" : "");
        }
    }
    wall = now(CLOCK_MONOTONIC) - w0;
    cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("reader:        %s\n", ops->name);
    printf("os:            %s\n", rd->info.os_version[0] ? rd->info.os_version : "-");
    printf("pointer size:  %d\n", rd->info.pointer_size);
    printf("cpus:          %d\n", rd->info.cpu_count);
    printf("time:          %s (%s)\n", ps_time_basis_name(rd->info.time_basis), rd->info.time_note);
    printf("events lost:   %llu\n", (unsigned long long)rd->info.events_lost);
    printf("warnings:      %llu\n", (unsigned long long)rd->warnings);
    printf("events:        %llu (%llu undecoded, %llu stack frames)\n", (unsigned long long)events,
           (unsigned long long)rd->info.undecoded, (unsigned long long)frames);
    printf("process recs:  %llu\n", (unsigned long long)procs);
    printf("time:          %.3f s wall, %.3f s cpu, %.0f events/s\n", wall, cpu, wall > 0 ? events / wall : 0.0);
    if (kinds) {
        size_t i;
        for (i = 0; i < rd->info.nkinds; i++) {
            const ps_event_kind *k = &rd->info.kinds[i];
            printf("kind\t%s\t%s\t%s\t%llu\n", k->provider, k->operation, k->decoded ? "decoded" : "undecoded",
                   (unsigned long long)k->count);
        }
    }
out:
    ps_reader_close(rd);
    ps_input_close(in);
    return 0;
fail:
    fprintf(stderr, "readtrace: %s\n", err.msg);
    ps_reader_close(rd);
    ps_input_close(in);
    return 3;
}
