/*
 * value.c - the building blocks of value tests: wildcard patterns, numbers,
 * IP networks and regular expressions.
 *
 * Regular expressions use PCRE2 (8-bit, UTF, Unicode properties): Sigma's
 * regex dialect is the one of Python's re and of PCRE - lookarounds, lazy
 * quantifiers, \d \s \w, inline (?i) - which POSIX regcomp lacks, and PCRE2
 * bounds a match with a match limit instead of backtracking for ever.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_engine/internal.h"

void ps_vtest_release(vtest *v)
{
    free(v->lit);
    free(v->wild);
    if (v->re)
        pcre2_code_free(v->re);
    memset(v, 0, sizeof *v);
}

pcre2_code *ps_re_compile(ps_ruleset *rs, const char *pattern, const char *flags, char *msg, size_t cap)
{
    uint32_t opts = PCRE2_UTF | PCRE2_UCP;
    int code;
    PCRE2_SIZE off;
    pcre2_code *re;
    const char *f;

    for (f = flags; f && *f; f++) {
        if (*f == 'i')
            opts |= PCRE2_CASELESS;
        else if (*f == 'm')
            opts |= PCRE2_MULTILINE;
        else if (*f == 's')
            opts |= PCRE2_DOTALL;
    }
    re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &code, &off, rs->cctx);
    if (!re) {
        PCRE2_UCHAR text[256];
        pcre2_get_error_message(code, text, sizeof text);
        snprintf(msg, cap, "%s at offset %zu", (const char *)text, (size_t)off);
        return NULL;
    }
    /* JIT when available; the interpreter otherwise (both honour the match limit) */
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

bool ps_parse_num(const char *s, size_t n, double *v)
{
    char tmp[64], *end;
    size_t i = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n - i == 0 || n - i >= sizeof tmp)
        return false;
    memcpy(tmp, s + i, n - i);
    tmp[n - i] = '\0';
    if (tmp[0] == '0' && (tmp[1] == 'x' || tmp[1] == 'X')) {
        unsigned long long u;
        if (!tmp[2])
            return false;
        u = strtoull(tmp + 2, &end, 16);
        if (*end)
            return false;
        *v = (double)u;
        return true;
    }
    *v = strtod(tmp, &end);
    return *end == '\0' && end != tmp;
}

bool ps_parse_ip(const char *s, size_t n, uint8_t ip[16], int *family)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    memset(ip, 0, 16);
    if (inet_pton(AF_INET, tmp, ip) == 1) {
        *family = 4;
        return true;
    }
    if (inet_pton(AF_INET6, tmp, ip) == 1) {
        /* an IPv4-mapped address compares as IPv4 */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(ip, mapped, 12)) {
            memmove(ip, ip + 12, 4);
            memset(ip + 4, 0, 12);
            *family = 4;
        } else {
            *family = 6;
        }
        return true;
    }
    return false;
}

bool ps_parse_cidr(const char *s, uint8_t net[16], int *family, int *bits)
{
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    long b;
    char *end;
    int i;

    if (!ps_parse_ip(s, n, net, family))
        return false;
    if (slash) {
        b = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || b < 0 || b > (*family == 4 ? 32 : 128))
            return false;
    } else {
        b = *family == 4 ? 32 : 128;
    }
    *bits = (int)b;
    /* clear the host part */
    for (i = 0; i < 16; i++) {
        int keep = (int)b - i * 8;
        if (keep <= 0)
            net[i] = 0;
        else if (keep < 8)
            net[i] &= (uint8_t)(0xff << (8 - keep));
    }
    return true;
}

/* Wildcard match: wild[i] 1 is '*', 2 is '?' (one UTF-8 character); linear
 * backtracking to the last '*' only, so O(plen * n) at worst. */
bool ps_glob_match(const char *pat, const uint8_t *wild, size_t plen, const char *s, size_t n)
{
    size_t p = 0, i = 0, star_p = (size_t)-1, star_i = 0;

    while (i < n) {
        if (p < plen && wild[p] == 2) {
            /* one character */
            unsigned char c = (unsigned char)s[i];
            size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            i += k <= n - i ? k : n - i;
            p++;
        } else if (p < plen && wild[p] == 1) {
            star_p = p++;
            star_i = i;
        } else if (p < plen && !wild[p] && pat[p] == s[i]) {
            p++;
            i++;
        } else if (star_p != (size_t)-1) {
            p = star_p + 1;
            i = ++star_i;
        } else {
            return false;
        }
    }
    while (p < plen && wild[p] == 1)
        p++;
    return p == plen;
}

/* A literal every match of the regular expression contains, lower-cased
 * (the automata scan lower-cased values): the longest run of plain
 * characters at the top level, none when the expression has a top-level
 * alternation.  A character followed by ?, * or {m,n} may be absent and
 * ends the run before it.  Conservative: returns 0 when unsure. */
size_t ps_re_literal(const char *re, char *out, size_t cap)
{
    size_t i, depth = 0, run = 0, best = 0, bestpos = 0;
    char cur[256];
    bool in_class = false;

    if (strstr(re, "(?x") || cap < 2)
        return 0;
    /* escapes with arguments (\x41, \u0041, \p{L}, \1, \cA, ...): give up */
    for (i = 0; re[i]; i++)
        if (re[i] == '\\' && re[i + 1]) {
            if (strchr("xuopPNcgkQE0123456789", re[i + 1]))
                return 0;
            i++;
        }
    /* top-level alternation: no literal is required */
    for (i = 0; re[i]; i++) {
        if (re[i] == '\\' && re[i + 1]) {
            i++;
            continue;
        }
        if (in_class) {
            if (re[i] == ']')
                in_class = false;
            continue;
        }
        if (re[i] == '[')
            in_class = true;
        else if (re[i] == '(')
            depth++;
        else if (re[i] == ')' && depth)
            depth--;
        else if (re[i] == '|' && depth == 0)
            return 0;
    }
    depth = 0;
    in_class = false;
#define END_RUN()                                                                                  \
    do {                                                                                           \
        if (run > best) {                                                                          \
            best = run < cap - 1 ? run : cap - 1;                                                  \
            memcpy(out, cur, best);                                                                \
            bestpos = 1;                                                                           \
        }                                                                                          \
        run = 0;                                                                                   \
    } while (0)
    for (i = 0; re[i]; i++) {
        char c = re[i], lit = 0;
        bool is_lit = false;
        if (in_class) {
            if (c == '\\' && re[i + 1])
                i++;
            else if (c == ']')
                in_class = false;
            continue;
        }
        if (depth) {
            if (c == '\\' && re[i + 1])
                i++;
            else if (c == '[')
                in_class = true;
            else if (c == '(')
                depth++;
            else if (c == ')')
                depth--;
            continue;   /* inside a group: nothing is kept */
        }
        if (c == '\\') {
            char n = re[i + 1];
            if (n && strchr(".\\/-$^*+?()[]{}|\"' :#", n)) {
                lit = n;
                is_lit = true;
                i++;
            } else {
                END_RUN();
                if (n)
                    i++;
                continue;
            }
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   strchr(" _-:/<>=,'\"!@#%&~;`", c)) {
            lit = c;
            is_lit = true;
        }
        if (is_lit) {
            char q = re[i + 1];
            if (q == '?' || q == '*' || q == '{') {
                END_RUN();   /* this character may be absent */
                continue;
            }
            if (run < sizeof cur)
                cur[run++] = lit >= 'A' && lit <= 'Z' ? (char)(lit + 32) : lit;
            if (q == '+')
                END_RUN();
            continue;
        }
        END_RUN();
        if (c == '[')
            in_class = true;
        else if (c == '(')
            depth++;
        else if (c == '{')
            while (re[i + 1] && re[i] != '}')
                i++;   /* a {m,n} quantifier (or braces): skipped */
    }
    END_RUN();
#undef END_RUN
    (void)bestpos;
    out[best] = '\0';
    return best;
}

/* The longest run of literal characters of a wildcard pattern. */
size_t ps_glob_literal(const char *lit, const uint8_t *wild, size_t n, size_t *from)
{
    size_t i, run = 0, best = 0, start = 0;
    for (i = 0; i <= n; i++) {
        if (i < n && !wild[i]) {
            if (!run)
                start = i;
            run++;
            continue;
        }
        if (run > best) {
            best = run;
            *from = start;
        }
        run = 0;
    }
    (void)lit;
    return best;
}
