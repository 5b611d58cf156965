/* common/: strings, numbers, UTF-8/16, dates, SHA-256, map, arena */
#include "common/arena.h"
#include "common/sha256.h"
#include "common/util.h"
#include "parsers/procmon/pml.h"
#include "tap.h"

static void test_utf8(void)
{
    size_t bad = 99;
    ok(ps_utf8_valid("plain ascii", 11, &bad), "ascii is valid");
    ok(ps_utf8_valid("\xd7\x99\xd7\x95\xd7\xa0\xd7\x99", 8, &bad), "hebrew is valid");
    ok(ps_utf8_valid("\xf0\x9f\x98\x80", 4, &bad), "4-byte emoji is valid");
    ok(!ps_utf8_valid("ab\xc0\x80", 4, &bad) && bad == 2, "overlong NUL rejected at offset 2");
    ok(!ps_utf8_valid("\xed\xa0\x80", 3, &bad) && bad == 0, "UTF-16 surrogate rejected");
    ok(!ps_utf8_valid("xy\xe2\x82", 4, &bad) && bad == 2, "truncated sequence rejected");
    ok(!ps_utf8_valid("a\x80", 2, &bad) && bad == 1, "stray continuation rejected");
    ok(!ps_utf8_valid("\xff", 1, &bad), "0xFF rejected");
}

static void test_utf16(void)
{
    const uint8_t pair[] = {0x3d, 0xd8, 0x00, 0xde, 'A', 0};     /* U+1F600 'A' */
    const uint8_t lone[] = {0x00, 0xd8, 'B', 0};                  /* unpaired high surrogate */
    const uint8_t nul[] = {'h', 0, 'i', 0, 0, 0, 'x', 0};
    ps_buf b;
    ps_buf_init(&b);
    ps_utf16le_to_utf8(pair, 3, false, &b);
    is_str(ps_buf_cstr(&b), "\xf0\x9f\x98\x80" "A", "surrogate pair converts");
    ps_utf16le_to_utf8(lone, 2, false, &b);
    is_str(ps_buf_cstr(&b), "\xef\xbf\xbd" "B", "unpaired surrogate becomes U+FFFD");
    ps_utf16le_to_utf8(nul, 4, true, &b);
    is_str(ps_buf_cstr(&b), "hi", "stops at NUL");
    /* the PML reader's appending converter gives the same */
    {
        const uint8_t tail[] = {'x', 0, 0x3d, 0xd8};   /* a high surrogate at the end */
        ps_buf_reset(&b);
        pml_put_utf16(&b, pair, 3, false);
        pml_put_utf16(&b, lone, 2, false);
        pml_put_utf16(&b, tail, 2, false);
        is_str(ps_buf_cstr(&b), "\xf0\x9f\x98\x80" "A" "\xef\xbf\xbd" "B" "x" "\xef\xbf\xbd",
               "pml_put_utf16: pairs, unpaired surrogates, a cut pair");
        ps_buf_reset(&b);
    }
    ps_buf_release(&b);
    {
        static const uint32_t cps[] = {0x41, 0xE9, 0x20AC, 0x1F600};
        static const char *const want[] = {"A", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
        char t[4];
        size_t i, n;
        for (i = 0; i < 4; i++) {
            n = ps_utf8_encode(cps[i], t);
            ok(n == strlen(want[i]) && !memcmp(t, want[i], n), "U+%04X encodes in %zu bytes", (unsigned)cps[i], n);
        }
    }
}

static void test_numbers(void)
{
    uint64_t v = 0;
    is_int(ps_parse_uint_loose("1,612, Data", &v), 5, "consumes '1,612'");
    is_int(v, 1612, "thousands separator ,");
    ps_parse_uint_loose("7\xc2\xa0" "049\xc2\xa0" "216", &v);
    is_int(v, 7049216, "no-break space separators (ru locale)");
    ps_parse_uint_loose("0x7ff6f8840000", &v);
    is_int(v, 0x7ff6f8840000ULL, "hex");
    ps_parse_uint_loose("12,3", &v);
    is_int(v, 12, "a comma not followed by three digits ends the number");
    is_int(ps_parse_uint_loose("abc", &v), 0, "no digits");
    ps_parse_uint_loose("741.632 bytes", &v);
    is_int(v, 741632, "dot separator (de locale)");
}

static void test_dates(void)
{
    char buf[64];
    int64_t y;
    unsigned m, d;
    is_int(ps_days_from_civil(1601, 1, 1), 0, "1601-01-01 is day 0");
    is_int(ps_days_from_civil(1970, 1, 1), 134774, "1970-01-01");
    is_int(ps_days_from_civil(2024, 3, 14), 154570, "2024-03-14");
    ps_civil_from_days(154570, &y, &m, &d);
    ok(y == 2024 && m == 3 && d == 14, "round trip 2024-03-14");
    ps_civil_from_days(ps_days_from_civil(2000, 2, 29), &y, &m, &d);
    ok(y == 2000 && m == 2 && d == 29, "leap day");
    ps_format_filetime(PS_FILETIME_UNIX_EPOCH, buf, sizeof buf);
    is_str(buf, "1970-01-01 00:00:00.0000000", "unix epoch as FILETIME");
    ps_format_filetime(134174522873955318LL, buf, sizeof buf);
    is_str(buf, "2026-03-08 14:04:47.3955318", "a Procmon CreateTime");
    ps_format_tod(3 * PS_TICKS_PER_DAY + 3600LL * PS_TICKS_PER_SEC + 5, buf, sizeof buf);
    is_str(buf, "01:00:00.0000005", "time of day drops the days");
}

static void sha_of(const char *s, size_t n, char hex[65])
{
    ps_sha256 c;
    ps_sha256_init(&c);
    ps_sha256_update(&c, s, n);
    ps_sha256_final_hex(&c, hex);
}

static void test_sha256(void)
{
    char hex[65];
    ps_sha256 c;
    int i;
    sha_of("", 0, hex);
    is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256('')");
    sha_of("abc", 3, hex);
    is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256('abc')");
    sha_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
    is_str(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", "sha256 two blocks");
    ps_sha256_init(&c);
    for (i = 0; i < 1000; i++) {
        char a[1001];
        memset(a, 'a', sizeof a);
        ps_sha256_update(&c, a, i % 2 ? 999 : 1001);
    }
    ps_sha256_final_hex(&c, hex);
    is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
           "sha256 of a million 'a' in odd chunks");
}

static void test_map(void)
{
    ps_map m;
    uint64_t v, i;
    int okay = 1;
    ps_map_init(&m);
    for (i = 1; i <= 10000; i++)
        ps_map_put(&m, i * 7919, i);
    for (i = 1; i <= 10000; i++)
        if (!ps_map_get(&m, i * 7919, &v) || v != i)
            okay = 0;
    ok(okay, "10000 keys round trip");
    for (i = 1; i <= 10000; i += 2)
        ps_map_del(&m, i * 7919);
    okay = 1;
    for (i = 1; i <= 10000; i++)
        if (ps_map_get(&m, i * 7919, &v) != (i % 2 == 0))
            okay = 0;
    ok(okay, "deleting every other key keeps the rest reachable");
    is_int(m.count, 5000, "count after deletes");
    ps_map_release(&m);
}

static void test_arena(void)
{
    ps_arena a;
    char *p[200];
    int i, okay = 1;
    ps_arena_init(&a, 256);
    for (i = 0; i < 200; i++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "string %d", i);
        p[i] = ps_arena_strdup(&a, tmp);
    }
    for (i = 0; i < 200; i++) {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "string %d", i);
        if (strcmp(p[i], tmp))
            okay = 0;
    }
    ok(okay, "arena strings stay valid while it grows");
    ok(ps_arena_alloc(&a, 100000) != NULL, "a block larger than the block size");
    ps_arena_reset(&a);
    ok(ps_arena_strdup(&a, "again") != NULL, "usable after reset");
    ps_arena_release(&a);
}

static void test_strings(void)
{
    is_str(ps_path_basename("C:\\Windows\\System32\\notepad.exe"), "notepad.exe", "basename of a Windows path");
    is_str(ps_path_basename("notepad.exe"), "notepad.exe", "basename without directory");
    ok(ps_strstr_ci("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\image file execution options\\x",
                    "\\Image File Execution Options\\") != NULL,
       "case-insensitive search");
    ok(ps_ends_with_ci("C:\\A\\NOTEPAD.EXE.Config", ".config"), "ends with, case-insensitive");
    ok(ps_hash_ci("NOTEPAD.EXE", 11) == ps_hash_ci("notepad.exe", 11), "case-folded hashes match");
    ok(ps_streq_ci("Explorer.EXE", "explorer.exe"), "streq_ci");
}

int main(void)
{
    test_utf8();
    test_utf16();
    test_numbers();
    test_dates();
    test_sha256();
    test_map();
    test_arena();
    test_strings();
    return tap_done();
}
