#include <errno.h>
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <getopt.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/escape.h"
#include "common/util.h"
#include "rules_engine/detect.h"
#include "reports/report.h"

/* Messages quote trace content, file names and rule text: their control
 * characters are made visible (escape.h) wherever stderr goes. */
static void vmsg(ps_cli *cli, const char *kind, const char *fmt, va_list ap)
{
    char msg[PS_ERROR_MAX * 2];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "%s: %s%s\n", cli->prog, kind, ps_tx(msg));
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
    char msg[PS_ERROR_MAX];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s", cli->prog, ps_tx(msg));
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

/* "45.0/60.9 MiB": both in the unit of the total */
static void human_pair(uint64_t a, uint64_t b, char *buf, size_t cap)
{
    double div = b >= (1ULL << 30) ? (double)(1ULL << 30) : b >= (1ULL << 20) ? (double)(1ULL << 20) : 1024.0;
    const char *unit = b >= (1ULL << 30) ? "GiB" : b >= (1ULL << 20) ? "MiB" : "KiB";
    snprintf(buf, cap, "%.1f/%.1f %s", (double)a / div, (double)b / div, unit);
}

/* 1234567 -> "1.23M" */
static void human_count(double v, char *buf, size_t cap)
{
    if (v >= 1e9)
        snprintf(buf, cap, "%.2fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(buf, cap, "%.2fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(buf, cap, "%.1fk", v / 1e3);
    else
        snprintf(buf, cap, "%.0f", v);
}

/* "0:42", "1:02:03" */
static void human_secs(double s, char *buf, size_t cap)
{
    long long t = s < 0 ? 0 : (long long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, cap, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, cap, "%lld:%02lld", t / 60, t % 60);
}

int ps_cli_stdout_width(void)
{
    struct winsize ws;
    const char *cols = getenv("COLUMNS");
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    if (cols && atoi(cols) >= 20)
        return atoi(cols);
    return 0;
}

static int term_width(void)
{
    struct winsize ws;
    const char *cols = getenv("COLUMNS");
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
        return ws.ws_col;
    if (cols && atoi(cols) >= 20)
        return atoi(cols);
    return 80;
}

/* The progress of one trace: on a terminal a bar redrawn in place at most
 * ten times a second (from cli->progress_delay on, a quarter of a second by
 * default, so that short files show nothing; with a delay of 0 every call
 * draws, which makes the bar testable whatever the machine's speed); elsewhere, when --progress forces it, a line every two
 * seconds and a last one with the totals. */
void ps_cli_progress(void *ctx, const char *name, uint64_t raw_pos, uint64_t raw_size, uint64_t events,
                     bool done)
{
    static double start, last;
    static const char *cur;
    static bool drawn;
    ps_cli *cli = ctx;
    double t = now_s(), el, frac = 0, bps, eps;
    char bytes[32], size[32], evs[32], rate[32], eta[32], stats[256], line[512];
    const char *base = strcmp(name, "-") ? ps_tx(ps_path_basename(name)) : "<stdin>";
    bool tty = cli->stderr_tty;
    int width, barw, namew;

    if (!ps_cli_show_progress(cli))
        return;
    if (cur != name) {
        cur = name;
        start = t;
        last = 0;
        drawn = false;
    }
    el = t - start;
    if (done) {
        if (tty && drawn)
            fputs("\r\033[K", stderr);
        else if (!tty && (events || raw_pos)) {
            human_bytes(raw_pos, bytes, sizeof bytes);
            human_count((double)events, evs, sizeof evs);
            fprintf(stderr, "%s: %s, %s events in %.1f s\n", base, bytes, evs, el);
        }
        fflush(stderr);
        cur = NULL;
        return;
    }
    if (tty ? (el < cli->progress_delay || (cli->progress_delay > 0 && t - last < 0.1))
            : (t - last < 2.0 || el < 2.0))
        return;
    last = t;
    drawn = true;
    bps = el > 0 ? raw_pos / el : 0;
    eps = el > 0 ? events / el : 0;
    human_bytes(raw_pos, bytes, sizeof bytes);
    human_count((double)events, evs, sizeof evs);
    human_count(eps, rate, sizeof rate);
    if (raw_size) {
        frac = (double)raw_pos / (double)raw_size;
        if (frac > 1)
            frac = 1;
        human_pair(raw_pos, raw_size, size, sizeof size);
        if (bps > 0 && frac > 0.001)
            human_secs((double)(raw_size - (raw_pos < raw_size ? raw_pos : raw_size)) / bps, eta, sizeof eta);
        else
            ps_strlcpy(eta, "?", sizeof eta);
        snprintf(stats, sizeof stats, "%3.0f%% %s %s events %s ev/s ETA %s", frac * 100, size, evs, rate, eta);
    } else {
        human_secs(el, eta, sizeof eta);
        snprintf(stats, sizeof stats, "%s %s events %s ev/s %s elapsed", bytes, evs, rate, eta);
    }
    if (!tty) {
        fprintf(stderr, "%s: %s\n", base, stats);
        fflush(stderr);
        return;
    }
    /* name  [=====>     ]  stats, fitted to the terminal */
    width = term_width() - 1;
    namew = (int)strlen(base);
    if (namew > 20)
        namew = 20;
    barw = width - namew - (int)strlen(stats) - 4;
    if (barw > 40)
        barw = 40;
    if (raw_size && barw >= 10) {
        int fill = (int)(frac * barw), i, n = 0;
        char bar[64];
        for (i = 0; i < barw; i++)
            bar[n++] = i < fill ? '=' : i == fill ? '>' : ' ';
        bar[n] = '\0';
        snprintf(line, sizeof line, "%.*s [%s] %s", namew, base, bar, stats);
    } else {
        snprintf(line, sizeof line, "%.*s %s", namew, base, stats);
    }
    if ((int)strlen(line) > width)
        line[width > 0 ? width : 0] = '\0';
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
}

void ps_cli_reader_warning(void *ctx, const char *msg)
{
    ps_cli *cli = ctx;
    if (ps_cli_show_progress(cli) && cli->stderr_tty)
        fputs("\r\033[K", stderr);   /* clear the bar */
    ps_cli_warn(cli, "%s", msg);
}

int ps_cli_parse_time(const char *s, bool end, int64_t *ts)
{
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac = 0, scale = PS_TICKS_PER_SEC, t;
    const char *p = s;
    int n = 0;

    if (sscanf(p, "%4u-%2u-%2u%n", &y, &mo, &d, &n) != 3 || n != 10 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
        y < 1601)
        return -1;
    p += n;
    if (*p == 'T' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2u:%2u%n", &h, &mi, &m) != 2 || m != 5 || h > 23 || mi > 59)
            return -1;
        p += 1 + m;
        if (*p == ':') {
            if (sscanf(p + 1, "%2u%n", &sec, &m) != 1 || m != 2 || sec > 60)
                return -1;
            p += 1 + m;
            if (*p == '.' || *p == ',') {
                for (p++, m = 0; *p >= '0' && *p <= '9'; p++, m++)
                    if (scale > 1) {
                        scale /= 10;
                        frac += (*p - '0') * scale;
                    }
                if (!m)
                    return -1;
            }
        }
        end = false;   /* a time is exact */
    }
    if (*p == 'Z')
        p++;
    if (*p)
        return -1;
    t = ps_days_from_civil(y, mo, d) * PS_TICKS_PER_DAY +
        ((int64_t)h * 3600 + (int64_t)mi * 60 + (int64_t)sec) * PS_TICKS_PER_SEC + frac;
    *ts = end ? t + PS_TICKS_PER_DAY - 1 : t;
    return 0;
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

int ps_cli_parse_int(const char *s, long long min, long long max, long long *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int ps_cli_parse_size(const char *s, uint64_t *bytes)
{
    char *end;
    unsigned long long v;
    uint64_t mul = 1;

    if (*s < '0' || *s > '9')   /* strtoull would take "-1" for 2^64 - 1 */
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s)
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
    if (v > UINT64_MAX / mul)
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
    if (c == PS_OPT_FAILED)
        return cli->pending_status;
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
    {
        ps_report_opts all;   /* --fail-on sees every finding: no range */
        memset(&all, 0, sizeof all);
        if (ps_report_range_function(store, &all, &err) < 0)
            return ps_cli_fail(cli, &err);
    }
    if (ps_report_count_findings(store, trace_id, rank, &n, &err) < 0)
        return ps_cli_fail(cli, &err);
    return n > 0 ? PS_EXIT_FINDINGS : PS_EXIT_OK;
}
