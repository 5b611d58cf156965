#include "common/util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- buffer ------------------------------------------------------------- */

void ps_buf_init(ps_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ps_buf_release(ps_buf *b)
{
    free(b->data);
    ps_buf_init(b);
}

void ps_buf_reset(ps_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int ps_buf_reserve(ps_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - b->len - 1)
        return PS_ERR_NOMEM;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (!p)
        return PS_ERR_NOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ps_buf_append(ps_buf *b, const void *p, size_t n)
{
    if (ps_buf_reserve(b, n) < 0)
        return PS_ERR_NOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ps_buf_puts(ps_buf *b, const char *s)
{
    return ps_buf_append(b, s, strlen(s));
}

int ps_buf_putc(ps_buf *b, char c)
{
    return ps_buf_append(b, &c, 1);
}

int ps_buf_printf(ps_buf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    int n;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || ps_buf_reserve(b, (size_t)n) < 0) {
        va_end(ap2);
        return PS_ERR_NOMEM;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
    return 0;
}

const char *ps_buf_cstr(ps_buf *b)
{
    return b->data ? b->data : "";
}

/* ---- map ------------------------------------------------------------------ */

void ps_map_init(ps_map *m)
{
    memset(m, 0, sizeof *m);
}

void ps_map_release(ps_map *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    ps_map_init(m);
}

void ps_map_clear(ps_map *m)
{
    if (m->used)
        memset(m->used, 0, m->cap);
    m->count = 0;
}

static size_t map_slot(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

static int map_grow(ps_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64, i;
    uint64_t *nk = calloc(ncap, sizeof *nk), *nv = calloc(ncap, sizeof *nv);
    uint8_t *nu = calloc(ncap, 1);

    if (!nk || !nv || !nu) {
        free(nk);
        free(nv);
        free(nu);
        return PS_ERR_NOMEM;
    }
    for (i = 0; i < m->cap; i++) {
        size_t s;
        if (!m->used[i])
            continue;
        s = map_slot(m->keys[i], ncap);
        while (nu[s])
            s = (s + 1) & (ncap - 1);
        nu[s] = 1;
        nk[s] = m->keys[i];
        nv[s] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    free(m->used);
    m->keys = nk;
    m->vals = nv;
    m->used = nu;
    m->cap = ncap;
    return 0;
}

int ps_map_put(ps_map *m, uint64_t key, uint64_t val)
{
    size_t s;

    if ((m->count + 1) * 4 > m->cap * 3 && map_grow(m) < 0)
        return PS_ERR_NOMEM;
    s = map_slot(key, m->cap);
    while (m->used[s]) {
        if (m->keys[s] == key) {
            m->vals[s] = val;
            return 0;
        }
        s = (s + 1) & (m->cap - 1);
    }
    m->used[s] = 1;
    m->keys[s] = key;
    m->vals[s] = val;
    m->count++;
    return 0;
}

bool ps_map_get(const ps_map *m, uint64_t key, uint64_t *val)
{
    size_t s;

    if (!m->cap)
        return false;
    s = map_slot(key, m->cap);
    while (m->used[s]) {
        if (m->keys[s] == key) {
            if (val)
                *val = m->vals[s];
            return true;
        }
        s = (s + 1) & (m->cap - 1);
    }
    return false;
}

bool ps_map_del(ps_map *m, uint64_t key)
{
    size_t s, j;

    if (!m->cap)
        return false;
    s = map_slot(key, m->cap);
    while (m->used[s] && m->keys[s] != key)
        s = (s + 1) & (m->cap - 1);
    if (!m->used[s])
        return false;
    m->used[s] = 0;
    m->count--;
    /* re-insert the rest of the cluster (backward-shift-free deletion) */
    j = (s + 1) & (m->cap - 1);
    while (m->used[j]) {
        uint64_t k = m->keys[j], v = m->vals[j];
        m->used[j] = 0;
        m->count--;
        ps_map_put(m, k, v); /* cannot grow: count only went down */
        j = (j + 1) & (m->cap - 1);
    }
    return true;
}

/* ---- hashing -------------------------------------------------------------- */

uint64_t ps_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL ^ seed;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

uint64_t ps_hash_ci(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

uint64_t ps_hash_mix(uint64_t a, uint64_t b)
{
    a ^= b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2);
    return a;
}

/* ---- strings ---------------------------------------------------------------- */

char *ps_strdup(const char *s)
{
    return s ? ps_strndup(s, strlen(s)) : NULL;
}

char *ps_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static inline int fold(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

bool ps_streq_ci(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    while (*a && fold((unsigned char)*a) == fold((unsigned char)*b)) {
        a++;
        b++;
    }
    return *a == *b;
}

bool ps_strneq_ci(const char *a, const char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        int ca = fold((unsigned char)a[i]), cb = fold((unsigned char)b[i]);
        if (ca != cb)
            return false;
        if (!ca)
            return true;
    }
    return true;
}

const char *ps_strstr_ci(const char *hay, const char *needle)
{
    size_t n;
    int first;

    if (!hay || !needle)
        return NULL;
    n = strlen(needle);
    if (!n)
        return hay;
    first = fold((unsigned char)needle[0]);
    if (n >= 2) {
        /* the first two characters filter the candidates: paths are full
         * of backslashes, far fewer are followed by the needle's second */
        int second = fold((unsigned char)needle[1]);
        for (; hay[0] && hay[1]; hay++)
            if (fold((unsigned char)hay[0]) == first && fold((unsigned char)hay[1]) == second &&
                ps_strneq_ci(hay + 2, needle + 2, n - 2))
                return hay;
        return NULL;
    }
    for (; *hay; hay++) {
        if (fold((unsigned char)*hay) == first)
            return hay;
    }
    return NULL;
}

bool ps_ends_with_ci(const char *s, const char *suffix)
{
    size_t ls, lx;
    if (!s || !suffix)
        return false;
    ls = strlen(s);
    lx = strlen(suffix);
    return lx <= ls && ps_strneq_ci(s + ls - lx, suffix, lx);
}

bool ps_starts_with_ci(const char *s, const char *prefix)
{
    if (!s || !prefix)
        return false;
    return ps_strneq_ci(s, prefix, strlen(prefix));
}

const char *ps_path_basename(const char *path)
{
    const char *p, *base;
    if (!path)
        return "";
    base = path;
    for (p = path; *p; p++)
        if (*p == '\\' || *p == '/')
            base = p + 1;
    return base;
}

size_t ps_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = strlen(src);
    if (cap) {
        size_t c = n < cap - 1 ? n : cap - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

/* ---- UTF-8 / UTF-16 ---------------------------------------------------------- */

bool ps_utf8_valid(const char *str, size_t n, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        uint32_t cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            goto fail;
        }
        if (i + len > n)
            goto fail;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                goto fail;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            goto fail;
        i += len;
    }
    return true;
fail:
    if (bad)
        *bad = i;
    return false;
}

size_t ps_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static int put_utf8(ps_buf *out, uint32_t cp)
{
    char tmp[4];
    return ps_buf_append(out, tmp, ps_utf8_encode(cp, tmp));
}

uint32_t ps_utf16_code_point(uint32_t u, const uint8_t *p, size_t n_units, size_t *i)
{
    if (u >= 0xD800 && u <= 0xDBFF && *i + 1 < n_units) {
        uint32_t lo = (uint32_t)p[2 * *i + 2] | ((uint32_t)p[2 * *i + 3] << 8);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
            (*i)++;
            return 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        }
        return 0xFFFD;
    }
    if (u >= 0xD800 && u <= 0xDFFF)
        return 0xFFFD;
    return u;
}

int ps_utf16le_to_utf8(const uint8_t *p, size_t n_units, bool stop_at_nul, ps_buf *out)
{
    size_t i;

    ps_buf_reset(out);
    if (ps_buf_reserve(out, n_units + 1) < 0)
        return PS_ERR_NOMEM;
    for (i = 0; i < n_units; i++) {
        uint32_t u = (uint32_t)p[2 * i] | ((uint32_t)p[2 * i + 1] << 8);
        if (u == 0 && stop_at_nul)
            break;
        if (u < 0x80) {
            /* fast path without the generic encoder */
            if (out->len + 1 >= out->cap && ps_buf_reserve(out, 1) < 0)
                return PS_ERR_NOMEM;
            out->data[out->len++] = (char)u;
            continue;
        }
        u = ps_utf16_code_point(u, p, n_units, &i);
        if (put_utf8(out, u) < 0)
            return PS_ERR_NOMEM;
    }
    if (ps_buf_reserve(out, 0) < 0)
        return PS_ERR_NOMEM;
    out->data[out->len] = '\0';
    return 0;
}

/* ---- numbers ------------------------------------------------------------------- */

size_t ps_parse_uint_loose(const char *s, uint64_t *out)
{
    const unsigned char *p = (const unsigned char *)s, *start = p;
    uint64_t v = 0;
    bool any = false;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit(p[2])) {
        p += 2;
        while (isxdigit(*p)) {
            int d = isdigit(*p) ? *p - '0' : (fold(*p) - 'a' + 10);
            v = v * 16 + (uint64_t)d;
            p++;
        }
        *out = v;
        return (size_t)(p - start);
    }
    for (;;) {
        if (isdigit(*p)) {
            v = v * 10 + (uint64_t)(*p - '0');
            any = true;
            p++;
            continue;
        }
        /* a group separator counts only when exactly three digits follow it */
        if (any) {
            size_t sep = 0;
            if (*p == ',' || *p == '.' || *p == ' ' || *p == '\'')
                sep = 1;
            else if (p[0] == 0xC2 && p[1] == 0xA0)
                sep = 2;
            else if (p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0xAF)
                sep = 3;
            if (sep && isdigit(p[sep]) && isdigit(p[sep + 1]) && isdigit(p[sep + 2]) &&
                !isdigit(p[sep + 3])) {
                p += sep;
                continue;
            }
        }
        break;
    }
    if (!any)
        return 0;
    *out = v;
    return (size_t)(p - start);
}

bool ps_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || *s == '-')
        return false;
    v = strtoull(s, &end, 0);
    if (*end)
        return false;
    *out = v;
    return true;
}

bool ps_parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (!s || !*s)
        return false;
    v = strtoll(s, &end, 0);
    if (*end)
        return false;
    *out = v;
    return true;
}

/* ---- FILETIME ----------------------------------------------------------------- */

/* Days between 1601-01-01 and 1970-01-01. */
#define DAYS_1601_TO_1970 134774LL

int64_t ps_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* era-based conversion of a proleptic Gregorian date to a day count */
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468 + DAYS_1601_TO_1970;
}

void ps_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t z = days - DAYS_1601_TO_1970 + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    unsigned dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);

    *y = yoe + era * 400 + (mm <= 2);
    *m = mm;
    *d = dd;
}

void ps_format_filetime(int64_t ft, char *buf, size_t cap)
{
    int64_t days, rem, y;
    unsigned m, d;

    if (ft < 0) {
        snprintf(buf, cap, "-");
        return;
    }
    days = ft / PS_TICKS_PER_DAY;
    rem = ft % PS_TICKS_PER_DAY;
    ps_civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04lld-%02u-%02u %02lld:%02lld:%02lld.%07lld", (long long)y, m, d,
             (long long)(rem / (3600 * PS_TICKS_PER_SEC)),
             (long long)(rem / (60 * PS_TICKS_PER_SEC) % 60),
             (long long)(rem / PS_TICKS_PER_SEC % 60), (long long)(rem % PS_TICKS_PER_SEC));
}

void ps_format_tod(int64_t ft, char *buf, size_t cap)
{
    int64_t rem = ft >= 0 ? ft % PS_TICKS_PER_DAY : 0;
    snprintf(buf, cap, "%02lld:%02lld:%02lld.%07lld",
             (long long)(rem / (3600 * PS_TICKS_PER_SEC)),
             (long long)(rem / (60 * PS_TICKS_PER_SEC) % 60),
             (long long)(rem / PS_TICKS_PER_SEC % 60), (long long)(rem % PS_TICKS_PER_SEC));
}

const char *ps_errno_text(int e)
{
    static _Thread_local char buf[256];
    ps_strlcpy(buf, strerror(e), sizeof buf);
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] + 32);
    return buf;
}
