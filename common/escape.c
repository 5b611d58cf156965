#include "common/escape.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { K_ASCII, K_UTF8, K_C0, K_C1, K_BIDI, K_BAD };

static uint32_t decode(const unsigned char *p, size_t len)
{
    uint32_t cp = len == 2 ? (p[0] & 0x1Fu) : len == 3 ? (p[0] & 0x0Fu) : (p[0] & 0x07u);
    size_t k;
    for (k = 1; k < len; k++)
        cp = (cp << 6) | (p[k] & 0x3Fu);
    return cp;
}

/* Classifies the character at p (not NUL); returns its length in bytes. */
static size_t classify(const unsigned char *p, int *kind)
{
    unsigned char c = p[0];
    uint32_t cp;
    size_t len;

    if (c < 0x20 || c == 0x7F) {
        *kind = K_C0;
        return 1;
    }
    if (c < 0x80) {
        *kind = K_ASCII;
        return 1;
    }
    len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (strnlen((const char *)p, len) < len || !ps_utf8_valid((const char *)p, len, NULL)) {
        *kind = K_BAD;
        return 1;
    }
    cp = decode(p, len);
    if (cp == 0xFFFE || cp == 0xFFFF)
        *kind = K_BAD;
    else if (cp >= 0x80 && cp <= 0x9F)
        *kind = K_C1;
    else if (cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
        *kind = K_BIDI;
    else
        *kind = K_UTF8;
    return len;
}

/* Where escaped text goes: a FILE, a ps_buf, or a fixed array (ps_tx) that
 * keeps what fits and ends with an ellipsis when something did not. */
typedef struct sink {
    FILE *f;
    ps_buf *b;
    char *arr;
    size_t cap, len;
    int full;
} sink;

static void put(sink *k, const void *p, size_t n)
{
    if (k->f) {
        fwrite(p, 1, n, k->f);
    } else if (k->b) {
        ps_buf_append(k->b, p, n);
    } else if (!k->full) {
        if (k->len + n + 4 > k->cap) {   /* room for "…" and the NUL */
            memcpy(k->arr + k->len, "\xe2\x80\xa6", 3);
            k->len += 3;
            k->full = 1;
        } else {
            memcpy(k->arr + k->len, p, n);
            k->len += n;
        }
    }
}

/* The visible form of a character that must not pass through. */
static void put_visible(sink *out, const unsigned char *p, size_t len, int kind)
{
    switch (kind) {
    case K_C0: {
        /* U+2400 + c (U+2421 for DEL): E2 90 80+c / E2 90 A1 */
        unsigned c = p[0] == 0x7F ? 0x21 : p[0];
        char pic[3] = {(char)0xE2, (char)(0x90 + (c >> 6)), (char)(0x80 | (c & 0x3F))};
        put(out, pic, 3);
        break;
    }
    case K_C1:
    case K_BIDI: {
        char u[8];
        snprintf(u, sizeof u, "\\u%04x", (unsigned)decode(p, len));
        put(out, u, 6);
        break;
    }
    default:
        put(out, "\xEF\xBF\xBD", 3);
        break;
    }
}

/* Escapes s[0..n) (up to a NUL) into out; html adds the markup references. */
static void escape(sink *out, const char *s, size_t n, int html)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;

    if (!s)
        return;
    while (p < end && *p) {
        int kind;
        size_t len = classify(p, &kind);
        const char *ref = NULL;
        if (p + len > end) {   /* a sequence cut by the length */
            len = 1;
            kind = K_BAD;
        }
        if (kind == K_ASCII && html) {
            switch (*p) {
            case '&': ref = "&amp;"; break;
            case '<': ref = "&lt;"; break;
            case '>': ref = "&gt;"; break;
            case '"': ref = "&quot;"; break;
            case '\'': ref = "&#39;"; break;
            default: break;
            }
        }
        if (kind == K_ASCII || kind == K_UTF8) {
            if (!ref) {
                p += len;
                continue;
            }
        }
        put(out, run, (size_t)(p - run));
        if (ref)
            put(out, ref, strlen(ref));
        else
            put_visible(out, p, len, kind);
        p += len;
        run = p;
    }
    put(out, run, (size_t)(p - run));
}

void ps_html_escape(ps_buf *out, const char *s)
{
    sink k = {NULL, out, NULL, 0, 0, 0};
    escape(&k, s, s ? strlen(s) : 0, 1);
}

void ps_html_put(FILE *f, const char *s)
{
    sink k = {f, NULL, NULL, 0, 0, 0};
    escape(&k, s, s ? strlen(s) : 0, 1);
}

void ps_html_putn(FILE *f, const char *s, size_t n)
{
    sink k = {f, NULL, NULL, 0, 0, 0};
    escape(&k, s, n, 1);
}

const char *ps_tx(const char *s)
{
    static _Thread_local char bufs[8][PS_TX_MAX];
    static _Thread_local unsigned slot;
    const unsigned char *p = (const unsigned char *)s;
    sink k;

    if (!s)
        return NULL;
    while (*p) {
        int kind;
        size_t len = classify(p, &kind);
        if (kind != K_ASCII && kind != K_UTF8)
            break;
        p += len;
    }
    if (!*p)
        return s;
    memset(&k, 0, sizeof k);
    k.arr = bufs[slot++ & 7];
    k.cap = PS_TX_MAX;
    escape(&k, s, strlen(s), 0);
    k.arr[k.len] = '\0';
    return k.arr;
}

void ps_base64(ps_buf *out, const uint8_t *p, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63]};
        ps_buf_append(out, q, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], '=', '='};
        ps_buf_append(out, q, 4);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], '='};
        ps_buf_append(out, q, 4);
    }
}

ps_csv_mode ps_csv_mode_of(FILE *f)
{
    const char *e = getenv("PROCSTAGE_CSV");
    if (e && strcmp(e, "raw") == 0)
        return PS_CSV_RAW;
    return f && isatty(fileno(f)) ? PS_CSV_TERMINAL : PS_CSV_FILE;
}

/* A plain decimal number, signed: -5, +1.5 (no formula). */
static int plain_number(const char *s)
{
    const char *p = s + 1;
    int digits = 0, dot = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p == '.' && !dot && digits)
            dot = 1;
        else
            return 0;
    }
    return digits > 0 && p[-1] != '.';
}

int ps_csv_formula(const char *s)
{
    if (!s)
        return 0;
    switch (*s) {
    case '=':
    case '@':
    case '\t':
    case '\r':
        return 1;
    case '+':
    case '-':
        return !plain_number(s);
    default:
        return 0;
    }
}
