/*
 * tap.h - a minimal Test Anything Protocol helper for the unit tests (one
 * program per area; automake's tap-driver reads the output).
 */
#ifndef PS_TAP_H
#define PS_TAP_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    if (!cond) {
        tap_failed++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                                                   \
    do {                                                                                         \
        long long g_ = (long long)(got), w_ = (long long)(want);                                 \
        tap_ok(g_ == w_, __FILE__, __LINE__, __VA_ARGS__);                                       \
        if (g_ != w_)                                                                            \
            printf("#   got %lld, want %lld\n", g_, w_);                                         \
    } while (0)

#define is_str(got, want, ...)                                                                   \
    do {                                                                                         \
        const char *g_ = (got), *w_ = (want);                                                    \
        int same_ = (g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0);             \
        tap_ok(same_, __FILE__, __LINE__, __VA_ARGS__);                                          \
        if (!same_)                                                                              \
            printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)");         \
    } while (0)

static inline int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

static inline void tap_skip_all(const char *why)
{
    printf("1..0 # SKIP %s\n", why);
    exit(0);
}

/* A scratch directory for a test program, removed by the caller. */
static inline const char *tap_tmpdir(void)
{
    static char dir[256];
    const char *base = getenv("TMPDIR");
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/procstage-test-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            exit(99);
        }
    }
    return dir;
}

static inline void tap_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(99);
    }
}

#endif
