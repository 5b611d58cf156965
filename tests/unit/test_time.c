/* parsers/procmon/procmon.c: locale-formatted times */
#include "common/util.h"
#include "parsers/procmon/procmon.h"
#include "tap.h"

#define T(h, m, s, f) ((((int64_t)(h) * 60 + (m)) * 60 + (s)) * PS_TICKS_PER_SEC + (f))

static void tod(const char *s, int64_t want)
{
    int64_t got = -1;
    bool r = ps_pm_parse_tod(s, false, &got);
    ok(r && got == want, "time of day '%s'", s);
    if (!r || got != want)
        printf("#   got %lld (%d), want %lld\n", (long long)got, r, (long long)want);
}

static void bad_tod(const char *s)
{
    int64_t got;
    ok(!ps_pm_parse_tod(s, false, &got), "rejects '%s'", s);
}

int main(void)
{
    ps_pm_date_order o = PM_DATE_UNKNOWN;
    bool assumed = false;
    int64_t ft = 0, d = 0;

    tod("1:18:12.3137869 AM", T(1, 18, 12, 3137869));
    tod("12:00:00.0000000 AM", T(0, 0, 0, 0));
    tod("12:30:00.5 PM", T(12, 30, 0, 5000000));
    tod("11:59:59.9999999 PM", T(23, 59, 59, 9999999));
    tod("16:53:03,6001516", T(16, 53, 3, 6001516));
    tod("07:37:18.2093997", T(7, 37, 18, 2093997));
    tod("4:53:03 p.m.", T(16, 53, 3, 0));
    tod("\xec\x98\xa4\xed\x9b\x84 4:53:03.1", T(16, 53, 3, 1000000));          /* ko-KR */
    tod("\xe4\xb8\x8b\xe5\x8d\x88 4:53:03", T(16, 53, 3, 0));                   /* zh-TW */
    tod("19:04:47,3955378", T(19, 4, 47, 3955378));
    tod("1:02:03.123456789", T(1, 2, 3, 1234567));
    bad_tod("25:00:00");
    bad_tod("1:60:00");
    bad_tod("13:00:00 PM");
    bad_tod("abc");
    bad_tod("1:02:03 XM");
    bad_tod("");
    ok(ps_pm_parse_tod("26:00:01.5", true, &d) && d == T(26, 0, 1, 5000000), "relative time may exceed 24 h");

    ok(ps_pm_parse_datetime("7/12/2020 1:18:12 AM", &o, &assumed, &ft), "en-US date");
    is_int(ft, ps_days_from_civil(2020, 7, 12) * PS_TICKS_PER_DAY + T(1, 18, 12, 0), "7/12/2020 is July 12");
    ok(assumed && o == PM_DATE_MDY, "ambiguous M/D is assumed and noted");
    o = PM_DATE_UNKNOWN;
    assumed = false;
    ok(ps_pm_parse_datetime("31/07/2020 07:37:18", &o, &assumed, &ft) && o == PM_DATE_DMY && !assumed,
       "a day above 12 decides D/M/Y");
    ok(ps_pm_parse_datetime("1/08/2020 07:37:18", &o, &assumed, &ft) &&
           ft == ps_days_from_civil(2020, 8, 1) * PS_TICKS_PER_DAY + T(7, 37, 18, 0),
       "the decided order sticks");
    o = PM_DATE_UNKNOWN;
    ok(ps_pm_parse_datetime("08.03.2026 19:04:47", &o, &assumed, &ft) &&
           ft == ps_days_from_civil(2026, 3, 8) * PS_TICKS_PER_DAY + T(19, 4, 47, 0),
       "dotted dates are D.M.Y (ru-RU)");
    o = PM_DATE_UNKNOWN;
    ok(ps_pm_parse_datetime("2020-07-31 07:37:18", &o, &assumed, &ft) &&
           ft == ps_days_from_civil(2020, 7, 31) * PS_TICKS_PER_DAY + T(7, 37, 18, 0),
       "ISO dates");
    o = PM_DATE_UNKNOWN;
    ok(!ps_pm_parse_datetime("13/13/2020 1:00:00", &o, &assumed, &ft), "no month 13");
    ok(!ps_pm_parse_datetime("yesterday", &o, &assumed, &ft), "not a date");

    ok(ps_pm_parse_seconds("0.0000074", &d) && d == 74, "durations in seconds");
    ok(ps_pm_parse_seconds("12,5", &d) && d == 125000000, "decimal comma");
    ok(!ps_pm_parse_seconds("n/a", &d), "n/a is not a duration");
    return tap_done();
}
