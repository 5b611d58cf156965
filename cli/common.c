#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <getopt.h>

#include "common/util.h"
#include "reports/detect.h"
#include "reports/report.h"

static void vmsg(ps_cli *cli, const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s", cli->prog, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void ps_cli_error(ps_cli *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(cli, "", fmt, ap);
    va_end(ap);
}

void ps_cli_warn(ps_cli *cli, const char *fmt, ...)
{
    va_list ap;
    if (cli->verbosity < 0)
        return;
    va_start(ap, fmt);
    vmsg(cli, "warning: ", fmt, ap);
    va_end(ap);
}

void ps_cli_note(ps_cli *cli, const char *fmt, ...)
{
    va_list ap;
    if (cli->verbosity < 0)
        return;
    va_start(ap, fmt);
    vmsg(cli, "", fmt, ap);
    va_end(ap);
}

void ps_cli_verbose(ps_cli *cli, const char *fmt, ...)
{
    va_list ap;
    if (cli->verbosity < 1)
        return;
    va_start(ap, fmt);
    vmsg(cli, "", fmt, ap);
    va_end(ap);
}

int ps_cli_fail(ps_cli *cli, const ps_error *err)
{
    ps_cli_error(cli, "%s", err->msg[0] ? err->msg : ps_error_kind(err->code));
    return ps_error_exit_status(err->code);
}

int ps_cli_usage(ps_cli *cli, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cli->prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s %s%s--help' for more information.\n", cli->prog, cmd ? cmd : "",
            cmd ? " " : "");
    return PS_EXIT_USAGE;
}

bool ps_cli_color_stdout(const ps_cli *cli)
{
    if (cli->color_mode == 2)
        return false;
    if (cli->color_mode == 1)
        return true;
    if (cli->no_color_env)
        return false;
    return cli->stdout_tty;
}

bool ps_cli_show_progress(const ps_cli *cli)
{
    if (cli->verbosity < 0 || cli->progress_mode == 2)
        return false;
    return cli->progress_mode == 1 || cli->stderr_tty;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void human_bytes(uint64_t b, char *buf, size_t cap)
{
    if (b >= (1ULL << 30))
        snprintf(buf, cap, "%.1f GiB", (double)b / (1ULL << 30));
    else if (b >= (1ULL << 20))
        snprintf(buf, cap, "%.1f MiB", (double)b / (1ULL << 20));
    else
        snprintf(buf, cap, "%.0f KiB", (double)b / 1024);
}

void ps_cli_progress(void *ctx, const char *name, uint64_t raw_pos, uint64_t raw_size, uint64_t events,
                     bool done)
{
    static double start, last;
    static const char *cur;
    ps_cli *cli = ctx;
    double t = now_s(), rate;
    char a[32], b[32];

    if (!ps_cli_show_progress(cli))
        return;
    if (cur != name) {
        cur = name;
        start = t;
        last = 0;
    }
    if (done) {
        if (last > 0)
            fputs("\r\033[K", stderr);
        fflush(stderr);
        cur = NULL;
        return;
    }
    if (t - last < 0.1 || t - start < 0.25)
        return;
    last = t;
    rate = events / (t - start > 0 ? t - start : 1);
    human_bytes(raw_pos, a, sizeof a);
    fprintf(stderr, "\r\033[K%s: %s", ps_path_basename(name), a);
    if (raw_size) {
        double frac = (double)raw_pos / (double)raw_size;
        human_bytes(raw_size, b, sizeof b);
        fprintf(stderr, " / %s (%.0f%%)", b, frac * 100);
        if (frac > 0.01)
            fprintf(stderr, ", ETA %.0fs", (t - start) * (1 - frac) / frac);
    }
    fprintf(stderr, ", %llu events, %.0fk events/s", (unsigned long long)events, rate / 1000);
    fflush(stderr);
}

void ps_cli_reader_warning(void *ctx, const char *msg)
{
    ps_cli *cli = ctx;
    if (ps_cli_show_progress(cli))
        fputs("\r\033[K", stderr);
    ps_cli_warn(cli, "%s", msg);
}

int ps_cli_parse_severity(const char *s, int *rank, bool allow_none)
{
    if (allow_none && !strcmp(s, "none")) {
        *rank = -1;
        return 0;
    }
    *rank = ps_severity_rank(s);
    return *rank < 0 ? -1 : 0;
}

int ps_cli_parse_size(const char *s, uint64_t *bytes)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t mul = 1;

    if (end == s)
        return -1;
    if (*end == 'K' || *end == 'k')
        mul = 1ULL << 10;
    else if (*end == 'M' || *end == 'm')
        mul = 1ULL << 20;
    else if (*end == 'G' || *end == 'g')
        mul = 1ULL << 30;
    else if (*end == 'T' || *end == 't')
        mul = 1ULL << 40;
    else if (*end)
        return -1;
    if (*end && end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
        return -1;
    *bytes = v * mul;
    return 0;
}

int ps_cli_load_config(ps_cli *cli, const char *path, ps_recon_config *cfg)
{
    ps_error err;
    int rc;

    ps_error_clear(&err);
    rc = path ? ps_recon_config_load_file(cfg, path, &err) : ps_recon_config_load_default(cfg, &err);
    if (rc < 0)
        return ps_cli_fail(cli, &err);
    return 0;
}

int ps_cli_bad_option(ps_cli *cli, const char *cmd, char **argv, int c)
{
    const char *arg = argv[optind - 1];
    if (c == ':')
        return ps_cli_usage(cli, cmd, "option '%s' needs an argument", arg);
    if (optopt && !(arg[0] == '-' && arg[1] == '-'))
        return ps_cli_usage(cli, cmd, "unknown option '-%c'", optopt);
    return ps_cli_usage(cli, cmd, "unknown option '%s'", arg);
}

int ps_cli_fail_on(ps_cli *cli, ps_store *store, int64_t trace_id, int rank)
{
    ps_error err;
    int64_t n = 0;

    if (rank < 0)
        return PS_EXIT_OK;
    ps_error_clear(&err);
    if (ps_report_count_findings(store, trace_id, rank, &n, &err) < 0)
        return ps_cli_fail(cli, &err);
    return n > 0 ? PS_EXIT_FINDINGS : PS_EXIT_OK;
}
