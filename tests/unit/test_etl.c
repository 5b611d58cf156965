/* The ETW reader: the LZ77 codec, the kernel event mapping, the binary
 * reader on the synthetic traces of fixtures/etl_writer.c (every clock type,
 * pointer size, processor count, compression), the ETW reconstruction rules
 * and damaged files. */
#include <stdarg.h>
#include <unistd.h>

#include "common/util.h"
#include "fixtures/etl_writer.h"
#include "pipeline/session.h"
#include "model/store.h"
#include "parsers/etw/kernel.h"
#include "parsers/etw/lz77.h"
#include "parsers/reader.h"
#include "ingest.h"
#include "tap.h"

static char tmpdir[] = "/tmp/procstage-etl-XXXXXX";
static ps_recon_config cfg;

static const char *srcdir(void)
{
    const char *s = getenv("top_srcdir");
    return s && *s ? s : ".";
}

/* ---- LZ77 --------------------------------------------------------------------------- */

static uint32_t lcg = 1;
static uint32_t rnd(void)
{
    lcg = lcg * 1103515245u + 12345u;
    return lcg >> 8;
}

static bool roundtrip(const uint8_t *src, size_t n)
{
    uint8_t *z = malloc(ps_lz77_bound(n)), *back = malloc(n + 1);
    size_t zn, bad;
    long got;
    bool okay;

    zn = ps_lz77_compress(src, n, z);
    got = ps_lz77_decompress(z, zn, back, n, &bad);
    okay = zn <= ps_lz77_bound(n) && got == (long)n && memcmp(src, back, n) == 0;
    /* the stream also ends by itself when the output buffer is larger */
    if (okay) {
        uint8_t *big = malloc(n + 100);
        okay = ps_lz77_decompress(z, zn, big, n + 100, &bad) == (long)n;
        free(big);
    }
    free(z);
    free(back);
    return okay;
}

static void test_lz77(void)
{
    /* [MS-XCA] 2.4 examples */
    static const uint8_t abc_z[] = {0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01};
    uint8_t alpha_z[4 + 26], out[400], buf[70000];
    size_t bad, i, n;
    long got;
    int sizes_ok = 1;

    got = ps_lz77_decompress(abc_z, sizeof abc_z, out, sizeof out, &bad);
    ok(got == 300, "a 300-byte run of 'abc' from 13 bytes (one long match: half byte, byte, 2 bytes)");
    for (i = 0; got == 300 && i < 300; i++)
        if (out[i] != "abc"[i % 3])
            break;
    ok(i == 300, "the run repeats 'abc'");
    alpha_z[0] = 0x3f, alpha_z[1] = alpha_z[2] = alpha_z[3] = 0;
    for (i = 0; i < 26; i++)
        alpha_z[4 + i] = (uint8_t)('a' + i);
    got = ps_lz77_decompress(alpha_z, sizeof alpha_z, out, sizeof out, &bad);
    ok(got == 26 && memcmp(out, "abcdefghijklmnopqrstuvwxyz", 26) == 0, "26 literals, then the end flag");

    /* round trips: empty, literals, runs, text, random, long matches of every length class */
    ok(roundtrip((const uint8_t *)"", 0), "round trip: empty");
    for (n = 1; n <= 70; n++) {
        for (i = 0; i < n; i++)
            buf[i] = (uint8_t)(i % 5 == 0 ? 'x' : 'a' + i % 3);
        sizes_ok &= roundtrip(buf, n);
    }
    ok(sizes_ok, "round trip: every size from 1 to 70 (flag words ending exactly)");
    for (i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rnd();
    ok(roundtrip(buf, sizeof buf), "round trip: 70,000 random bytes");
    memset(buf, 'z', sizeof buf);
    ok(roundtrip(buf, sizeof buf), "round trip: a 70,000-byte run (a 4-byte length)");
    for (i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)(i % 1000 < 600 ? (uint32_t)(uint8_t)"the quick brown fox "[i % 20] : rnd() % 4);
    ok(roundtrip(buf, sizeof buf), "round trip: text and noise");
    for (n = 3; n < 400; n += 7) {
        memset(buf, 0, sizeof buf);
        memset(buf + 10, 'q', n);
        sizes_ok &= roundtrip(buf, n + 30);
    }
    ok(sizes_ok, "round trip: match lengths 3..400 (3-bit, half-byte, byte, 2-byte lengths)");

    /* damage: every prefix of a valid stream, a match before the start, garbage */
    {
        uint8_t z[200];
        size_t zn;
        int fails = 0, crashes = 0;
        for (i = 0; i < 300; i++)
            buf[i] = (uint8_t)("abcabcabd"[i % 9] + (i / 97));
        zn = ps_lz77_compress(buf, 300, z);
        for (n = 0; n < zn; n++) {
            got = ps_lz77_decompress(z, n, out, 300, &bad);
            if (got < 0 && bad <= n)
                fails++;
            else if (got < 0)
                crashes++;
        }
        ok(fails > 0 && crashes == 0, "a cut stream fails with an offset inside the input (%d of %zu cuts)", fails,
           zn);
    }
    {
        static const uint8_t before[] = {0xff, 0xff, 0xff, 0xff, 0xf8, 0xff};
        got = ps_lz77_decompress(before, sizeof before, out, sizeof out, &bad);
        ok(got == -1 && bad == 4, "a match reaching before the output fails at its offset (%zu)", bad);
    }
    {
        int neg = 0, pos = 0;
        for (n = 0; n < 2000; n++) {
            for (i = 0; i < 64; i++)
                buf[i] = (uint8_t)rnd();
            got = ps_lz77_decompress(buf, 1 + rnd() % 64, out, sizeof out, &bad);
            if (got < 0)
                neg++;
            else if (got <= (long)sizeof out)
                pos++;
        }
        ok(neg + pos == 2000, "2,000 random streams: an error or bounded output, never more");
    }
}

/* ---- the mapping from named fields ----------------------------------------------------- */

static void test_mapping(void)
{
    ps_etw_state *st = NULL;
    ps_etw_state_opts so = {8, false};
    ps_etw_kevent k;
    ps_arena a;
    ps_record rec;
    ps_error err;
    ps_buf b;
    uint8_t g[16];
    char text[39], sbuf[16];
    const ps_event_kind *kinds;
    size_t nk;

    ps_arena_init(&a, 4096);
    ps_buf_init(&b);
    ok(ps_etw_state_new(&so, &st, &err) == 0, "mapping state");

    /* Process/Start as rendered XML gives it: classic GUID, hex PIDs */
    ps_etw_kevent_reset(&k);
    ok(ps_etw_guid_parse("{3D6FA8D0-FE05-11D0-9DDA-00C04FD7BA7C}", g), "GUID text parsed");
    ps_etw_guid_format(g, text);
    is_str(text, "{3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c}", "and formatted back");
    ps_etw_kevent_identify(&k, g, 1, 0, 4);
    is_int(k.prov, PS_ETW_CLASSIC, "the Process class GUID is the classic kernel logger");
    is_int(k.group, PS_ETW_G_PROCESS, "in the Process group");
    k.has_pid = k.has_tid = true;
    k.pid = 3596;
    k.tid = 6740;
    k.ts = 133548822000000000LL;
    ok(ps_etw_kevent_set(&k, "ProcessId", "0x1400", &a) && ps_etw_kevent_set(&k, "ParentId", "1104", &a) &&
           ps_etw_kevent_set(&k, "ImageFileName", "notepad.exe", &a) &&
           ps_etw_kevent_set(&k, "CommandLine", "notepad.exe C:\\a.txt", &a) &&
           ps_etw_kevent_set(&k, "SessionId", "1", &a) && ps_etw_kevent_set(&k, "UserSID", "S-1-5-18", &a),
       "fields set by their ETW names (hex and decimal)");
    ok(!ps_etw_kevent_set(&k, "DirectoryTableBase", "0x1ad000", &a), "fields the mapping does not use are refused");
    ok(ps_etw_map(st, &k, &rec, &err) == 1 && rec.type == PS_REC_EVENT, "Process/Start maps to an event");
    is_int(rec.event->op, PS_OP_PROCESS_CREATE, "a process creation");
    is_int(rec.event->pid, 3596, "logged by the creator (header PID)");
    is_int(rec.event->child_pid, 0x1400, "the child from the payload");
    ok(rec.event->has_parent_pid && rec.event->parent_pid == 1104, "the recorded parent kept apart from the creator");
    is_str(rec.event->child ? rec.event->child->user : NULL, "S-1-5-18", "the child's user");
    is_str(rec.event->operation, "Process/Start", "named Process/Start");

    /* Kernel-Registry QueryValueKey with captured KEY_VALUE_PARTIAL_INFORMATION */
    ps_etw_kevent_reset(&k);
    ps_etw_guid_parse("70eb4f03-c1de-4f73-a051-33d13d5413bd", g);
    ps_etw_kevent_identify(&k, g, 38, 7, 0);
    k.has_id = true;
    k.has_pid = k.has_tid = true;
    k.pid = 608;
    k.tid = 640;
    ps_etw_kevent_set(&k, "KeyName",
                      "\\REGISTRY\\MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution "
                      "Options\\sethc.exe",
                      &a);
    ps_etw_kevent_set(&k, "ValueName", "Debugger", &a);
    ps_etw_kevent_set(&k, "Status", "0", &a);
    ps_etw_kevent_set(&k, "InfoClass", "2", &a);
    ps_etw_kevent_set(&k, "CapturedData", "0x00000000010000000a00000063006d0064000000", &a);
    ok(ps_etw_map(st, &k, &rec, &err) == 1, "QueryValueKey maps");
    is_int(rec.event->op, PS_OP_REG_QUERY_VALUE, "a registry value query");
    is_str(rec.event->path,
           "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe\\Debugger",
           "\\REGISTRY\\MACHINE normalised to HKLM, the value appended");
    is_str(rec.event->reg_type, "REG_SZ", "the value's type from the captured data");
    is_str(rec.event->reg_data, "cmd", "and its data");
    is_str(rec.event->result, "SUCCESS", "status 0 is SUCCESS");

    /* an unknown provider: kept, counted, not decoded */
    ps_etw_kevent_reset(&k);
    ps_etw_guid_parse("11111111-2222-3333-4444-555555555555", g);
    ps_etw_kevent_identify(&k, g, 0, 99, 0);
    k.has_id = true;
    ok(ps_etw_map(st, &k, &rec, &err) == 1 && rec.event->op == PS_OP_OTHER, "an unknown provider's event is kept");
    is_str(rec.event->operation, "event 99 (opcode 0)", "named by its id and opcode");
    kinds = ps_etw_kinds(st, &nk);
    is_int(nk, 3, "three kinds counted");
    ok(nk == 3 && !kinds[2].decoded && kinds[0].decoded, "the unknown one as undecoded");
    is_int(ps_etw_undecoded(st), 1, "one undecoded event");

    ps_etw_registry_path("\\REGISTRY\\USER\\S-1-5-21-1\\Software", strlen("\\REGISTRY\\USER\\S-1-5-21-1\\Software"), &b);
    is_str(ps_buf_cstr(&b), "HKU\\S-1-5-21-1\\Software", "\\REGISTRY\\USER becomes HKU");
    ps_etw_registry_path("\\REGISTRY\\MACHINEX", 18, &b);
    is_str(ps_buf_cstr(&b), "\\REGISTRY\\MACHINEX", "only whole root keys are replaced");
    is_str(ps_etw_status_text(0xC0000034, sbuf, sizeof sbuf), "NAME NOT FOUND", "NTSTATUS names");
    is_str(ps_etw_status_text(0xC0001234, sbuf, sizeof sbuf), "0xC0001234", "and numbers for the rest");

    ps_etw_state_free(st);
    ps_buf_release(&b);
    ps_arena_release(&a);
}

/* ---- the reader ------------------------------------------------------------------------- */

static char *write_scenario(const char *name, const etlw_opts *o, const char *tag)
{
    static char path[4][1024];
    static int turn;
    char *p = path[turn++ % 4];
    FILE *f;

    snprintf(p, 1024, "%s/%s-%s.etl", tmpdir, name, tag);
    f = fopen(p, "wb");
    if (!f || etlw_scenario_ex(name, o, f, NULL) < 0) {
        printf("# cannot write %s\n", p);
        if (f)
            fclose(f);
        return p;
    }
    fclose(f);
    return p;
}

typedef struct readout {
    int rc;
    uint64_t events, procs, frames, warnings, lost;
    int ptr, cpus;
    char os[128], note[256];
    char *lines;          /* seq ts pid tid operation path, one per event */
    size_t len;
    char warn[4096];
    int64_t first_ts;
    bool ordered;
    uint64_t kind_wpp, kind_pstart, kind_stack_joined, kind_stack_alone;
} readout;

static void on_warn(void *ctx, const char *msg)
{
    readout *r = ctx;
    size_t n = strlen(r->warn);
    snprintf(r->warn + n, sizeof r->warn - n, "%s%s", n ? " | " : "", msg);
}

static const char *force_format;

static readout read_all(const char *path)
{
    readout r;
    ps_input *in = NULL;
    ps_reader *rd = NULL;
    const ps_reader_ops *ops = NULL;
    ps_reader_opts ro;
    ps_error err;
    FILE *mem;
    int64_t last = INT64_MIN;

    memset(&r, 0, sizeof r);
    r.ordered = true;
    mem = open_memstream(&r.lines, &r.len);
    memset(&ro, 0, sizeof ro);
    ro.warn = on_warn;
    ro.warn_ctx = &r;
    if ((r.rc = ps_input_open(path, NULL, &in, &err)) < 0 ||
        (force_format ? !(ops = ps_reader_find(force_format)) : (r.rc = ps_reader_detect(in, &ops, &err)) < 0) ||
        (r.rc = ops->open(in, &ro, &rd, &err)) < 0) {
        snprintf(r.warn, sizeof r.warn, "%s", err.msg);
        goto out;
    }
    for (;;) {
        ps_record rec;
        int n = ps_reader_next(rd, &rec, &err);
        if (n < 0) {
            r.rc = n;
            snprintf(r.warn + strlen(r.warn), sizeof r.warn - strlen(r.warn), "%s", err.msg);
            break;
        }
        if (n == 0)
            break;
        if (rec.type == PS_REC_PROCESS) {
            r.procs++;
            continue;
        }
        if (!r.events)
            r.first_ts = rec.event->ts;
        r.events++;
        r.frames += rec.event->nframes;
        if (rec.event->ts < last || rec.event->seq != r.events)
            r.ordered = false;
        last = rec.event->ts;
        fprintf(mem, "%llu %lld %u %u %s %s\n", (unsigned long long)rec.event->seq, (long long)rec.event->ts,
                rec.event->pid, rec.event->has_tid ? rec.event->tid : 0, rec.event->operation, rec.event->path);
    }
    r.warnings = rd->warnings;
    r.lost = rd->info.events_lost;
    r.ptr = rd->info.pointer_size;
    r.cpus = rd->info.cpu_count;
    snprintf(r.os, sizeof r.os, "%s", rd->info.os_version);
    snprintf(r.note, sizeof r.note, "%s", rd->info.time_note);
    {
        size_t i;
        for (i = 0; i < rd->info.nkinds; i++) {
            const ps_event_kind *k = &rd->info.kinds[i];
            if (!strcmp(k->provider, "WPP"))
                r.kind_wpp += k->count;
            if (!strcmp(k->operation, "Process/Start"))
                r.kind_pstart += k->count;
            if (!strcmp(k->operation, "StackWalk/Stack (joined to its event)"))
                r.kind_stack_joined += k->count;
            if (!strcmp(k->operation, "StackWalk/Stack"))
                r.kind_stack_alone += k->count;
        }
    }
out:
    fclose(mem);
    ps_reader_close(rd);
    ps_input_close(in);
    return r;
}

static void test_reader(void)
{
    etlw_opts o;
    readout base, v;
    static const struct {
        const char *what;
        etlw_opts o;
    } variants[] = {
        {"the system-time clock", {0, 0, 2, 0, 0}},
        {"the CPU-cycle clock", {0, 0, 3, 0, 0}},
        {"compressed buffers", {0, 0, 0, 1, 0}},
        {"one processor", {1, 0, 0, 0, 0}},
        {"7 processors, 64 KiB buffers", {7, 0, 0, 0, 65536}},
        {"compressed, CPU cycles, 2 processors, 1 KiB buffers", {2, 0, 3, 1, 1024}},
    };
    size_t i;

    memset(&o, 0, sizeof o);
    base = read_all(write_scenario("etw_plain", &o, "base"));
    is_int(base.rc, 0, "etw_plain reads");
    is_str(base.os, "Windows 10.0 build 19041", "OS version and build from the logfile header");
    is_int(base.ptr, 8, "pointer size 8");
    is_int(base.cpus, 4, "4 processors");
    ok(strstr(base.note, "QPC clock (10000000 Hz)") != NULL, "the clock type is named (%s)", base.note);
    is_int(base.events, 123, "123 events");
    is_int(base.procs, 20, "rundown: 12 process records and 8 image modules at the start (DCEnd merges)");
    ok(base.ordered, "events in time order across 4 processors' buffers, seq 1..n");
    is_int(base.first_ts, 133548822000000031LL, "QPC ticks to FILETIME: the first event 3.1 us after the start");
    is_int(base.kind_wpp, 1, "the WPP message counted");
    is_int(base.kind_pstart, 3, "three Process/Start");
    is_int(base.kind_stack_joined, 2, "both stack walks joined to their events");
    is_int(base.kind_stack_alone, 0, "none left alone");
    is_int(base.frames, 11, "their 6 + 5 frames");
    is_int(base.warnings, 0, "no warnings");

    for (i = 0; i < PS_ARRAY_LEN(variants); i++) {
        v = read_all(write_scenario("etw_plain", &variants[i].o, "v"));
        ok(v.rc == 0 && v.len == base.len && memcmp(v.lines, base.lines, v.len) == 0,
           "%s: the same events at the same times", variants[i].what);
        free(v.lines);
    }
    o.pointer_size = 4;
    v = read_all(write_scenario("etw_plain", &o, "ptr4"));
    is_int(v.ptr, 4, "a 32-bit log");
    ok(v.rc == 0 && v.len == base.len && memcmp(v.lines, base.lines, v.len) == 0,
       "32-bit records (SYSTEM32, PERFINFO32, 4-byte pointers in every payload): the same events");
    free(v.lines);
    free(base.lines);

    memset(&o, 0, sizeof o);
    v = read_all(write_scenario("etw_rundown", &o, "base"));
    is_int(v.ptr, 4, "etw_rundown: a 32-bit log");
    is_int(v.lost, 7, "events lost from the logfile header");
    ok(v.warnings == 1 && strstr(v.warn, "1 lost buffer"), "lost buffers reported (%s)", v.warn);
    ok(strstr(v.note, "CPU cycle counter") != NULL, "the CPU-cycle clock");
    is_int(v.first_ts, 133548822000000031LL, "CPU cycles to FILETIME");
    free(v.lines);

    v = read_all(write_scenario("etw_spoof", &o, "base"));
    ok(v.rc == 0 && v.warnings == 0, "etw_spoof (compressed, extended data, WOW64 records) reads cleanly");
    ok(strstr(v.lines, " ProcessStart \\Device\\HarddiskVolume3\\Windows\\System32\\cmd.exe") != NULL,
       "Kernel-Process ProcessStart decoded past its extended data items");
    ok(strstr(v.lines, " event 7 (opcode 0) ") != NULL, "the 32-bit user-mode provider events kept");
    is_int(v.first_ts, 133548822000000031LL, "system-time clock");
    free(v.lines);
}

/* ---- reconstruction on the fixtures ---------------------------------------------------- */

static ps_store *ingest(const char *path)
{
    ps_store *s = NULL;
    ps_error err;

    ps_error_clear(&err);
    if (ps_store_open_temp(&s, &err) < 0) {
        printf("# %s\n", err.msg);
        return NULL;
    }
    if (test_ingest(s, path, &cfg, NULL, NULL, &err) < 0 || ps_store_commit(s, &err) < 0) {
        printf("# %s: %s\n", path, err.msg);
        ps_store_close(s);
        return NULL;
    }
    return s;
}

static int64_t q_int(ps_store *s, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(ps_store_db(s), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static char *q_str(ps_store *s, const char *sql)
{
    static char buf[2048];
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(ps_store_db(s), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0))
        snprintf(buf, sizeof buf, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static void check_expect(const char *name)
{
    char path[1024], line[256], want[4096] = "", got[4096] = "";
    ps_store *s;
    FILE *f;
    sqlite3_stmt *st;

    snprintf(path, sizeof path, "%s/fixtures/%s.etl", srcdir(), name);
    s = ingest(path);
    if (!s) {
        ok(0, "%s ingests", name);
        return;
    }
    snprintf(path, sizeof path, "%s/fixtures/%s.expect", srcdir(), name);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s", line);
    if (f)
        fclose(f);
    sqlite3_prepare_v2(ps_store_db(s),
                       "SELECT c.rn, b.boundary, e.seq, b.confidence FROM boundaries b JOIN (SELECT creation_id, "
                       "row_number() OVER (ORDER BY create_ts, creation_id) AS rn FROM creations) c "
                       "USING (creation_id) JOIN events e ON e.event_id = b.event_id "
                       "WHERE b.confidence <> 'missing' ORDER BY c.rn, b.boundary",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%lld\t%lld\t%lld\t%s\n",
                 (long long)sqlite3_column_int64(st, 0), (long long)sqlite3_column_int64(st, 1),
                 (long long)sqlite3_column_int64(st, 2), sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
    ok(strcmp(want, got) == 0, "%s: every boundary found as fixtures/%s.expect says", name, name);
    if (strcmp(want, got))
        printf("# got:\n%s# want:\n%s", got, want);
    is_int(q_int(s, "SELECT count(*) FROM creations c WHERE (SELECT count(*) FROM stages s WHERE s.creation_id = "
                    "c.creation_id) <> 6"),
           0, "%s: six stage rows per creation", name);

    if (!strcmp(name, "etw_plain")) {
        is_str(q_str(s, "SELECT group_concat(status, ',') FROM (SELECT status FROM creations ORDER BY create_ts)"),
               "complete,complete,failed", "complete, complete (burst gap), failed (died while loading)");
        is_str(q_str(s, "SELECT rule FROM boundaries WHERE boundary = 6 ORDER BY creation_id LIMIT 1 OFFSET 2"),
               "the initial thread exited during user_init: the process exited with 0xC0000135 STATUS_DLL_NOT_FOUND",
               "broken.exe: B6 at the initial thread's Thread/End, the NTSTATUS of its Process/End named");
        is_str(q_str(s, "SELECT image_path FROM creations ORDER BY create_ts LIMIT 1"),
               "\\Device\\HarddiskVolume3\\Windows\\System32\\notepad.exe", "the image path from the child's own load");
        is_str(q_str(s, "SELECT rule FROM boundaries WHERE boundary = 4 AND creation_id = (SELECT min(creation_id) "
                        "FROM creations)"),
               "the creator received the subsystem's ALPC reply", "B4 from ALPC with csrss.exe");
        is_str(q_str(s, "SELECT rule FROM boundaries WHERE boundary = 6 ORDER BY creation_id LIMIT 1 OFFSET 1"),
               "last Image/Load of the first burst (nothing of it for 100 ms after)", "calc: B6 by the burst gap");
        is_int(q_int(s, "SELECT count(*) FROM processes WHERE source = 'process-table'"), 5,
               "rundown processes are process rows");
        is_str(q_str(s, "SELECT image_path FROM processes WHERE pid = 3596"),
               "\\Device\\HarddiskVolume3\\Windows\\System32\\explorer.exe",
               "a rundown process's path from its image module");
        is_int(q_int(s, "SELECT count(*) FROM modules"), 8, "rundown modules stored once (DCEnd not again)");
        is_int(q_int(s, "SELECT count FROM event_kinds WHERE operation = 'Image/DCEnd'"), 12,
               "and counted as a kind");
        is_int(q_int(s, "SELECT count(*) FROM events WHERE stack_id IS NOT NULL"), 2, "two events with stacks");
        is_int(q_int(s, "SELECT sum(count) FROM event_kinds"), 123 + 12 + 8 + 12 + 3 + 1 + 1 + 2,
               "every record counted: events, rundown, KCB names, the header, WPP, joined stacks");
        is_int(q_int(s, "SELECT count(*) FROM findings"), 0, "no findings");
    }
    if (!strcmp(name, "etw_spoof")) {
        is_str(q_str(s, "SELECT group_concat(rule_id, ',') FROM (SELECT rule_id FROM findings ORDER BY rule_id)"),
               "ifeo-debugger-hijack,ifeo-debugger-set,ifeo-debugger-set-then-launch,ppid-spoofing",
               "hijack, Debugger set (and then launched), one PPID spoof");
        is_str(q_str(s, "SELECT json_extract(evidence, '$.creator.process') || ' ' || "
                        "json_extract(evidence, '$.recorded_parent.process') || ' ' || "
                        "json_extract(evidence, '$.creator.pid') FROM findings WHERE rule_id = 'ppid-spoofing'"),
               "updater.exe explorer.exe 4400", "the evidence names the creator and the recorded parent");
        is_str(q_str(s, "SELECT creator_pid || ' ' || parent_pid FROM creations ORDER BY create_ts LIMIT 1"),
               "4400 3596", "creator_pid and parent_pid stored apart");
        is_int(q_int(s, "SELECT count(*) FROM creations WHERE creator_pid = 1100"), 1,
               "AppInfo's elevation is a creation ...");
        is_int(q_int(s, "SELECT count(*) FROM findings f JOIN creations c USING (creation_id) WHERE c.creator_pid = "
                        "1100"),
               0, "... allowed as a broker");
        is_int(q_int(s, "SELECT count(*) FROM creations"), 3,
               "a creation seen by Kernel-Process and the classic logger counts once");
    }
    if (!strcmp(name, "etw_rundown")) {
        is_int(q_int(s, "SELECT count(*) FROM creations"), 0, "rundown only: no creations");
        is_int(q_int(s, "SELECT count(*) FROM processes"), 5, "but its processes");
        is_int(q_int(s, "SELECT events_lost FROM traces"), 7, "events lost recorded for the report");
        is_int(q_int(s, "SELECT count(*) FROM processes WHERE end_ts IS NOT NULL"), 1, "the exit seen");
    }
    ps_store_close(s);
}

/* ---- damage ------------------------------------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *d;
    long sz;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    d = malloc((size_t)sz);
    if (fread(d, 1, (size_t)sz, f) != (size_t)sz)
        sz = 0;
    fclose(f);
    *n = (size_t)sz;
    return d;
}

static const char *spill(const uint8_t *d, size_t n, const char *tag)
{
    static char path[1024];
    FILE *f;
    snprintf(path, sizeof path, "%s/damaged-%s.etl", tmpdir, tag);
    f = fopen(path, "wb");
    fwrite(d, 1, n, f);
    fclose(f);
    return path;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* offset of the first record at or after buffer `nth` whose first word has header type `type` */
static size_t find_record(const uint8_t *d, size_t n, int nth, int type, uint16_t hook)
{
    size_t off = 0;
    int b = 0;
    while (off + 0x48 <= n) {
        uint32_t size = rd32(d + off), filled = rd32(d + off + 0x30), pos = 0x48;
        if (!size)
            break;
        while (b >= nth && pos + 8 <= filled) {
            uint32_t w = rd32(d + off + pos);
            uint32_t rs = (w >> 16 & 0xFF) <= 4 || ((w >> 16 & 0xFF) >= 0x10 && (w >> 16 & 0xFF) <= 0x11)
                              ? (uint32_t)(d[off + pos + 4] | d[off + pos + 5] << 8)
                              : (w & 0xFFFF);
            if ((int)(w >> 16 & 0xFF) == type && (!hook || (d[off + pos + 6] | d[off + pos + 7] << 8) == hook))
                return off + pos;
            if (!rs)
                break;
            pos += (rs + 7) & ~7u;
        }
        off += size;
        b++;
    }
    return 0;
}

static void test_damage(void)
{
    etlw_opts o = {0, 0, 0, -1, 0};
    size_t n, at;
    uint8_t *good, *d;
    readout r;
    char *p;
    int nbufs = 0;

    p = write_scenario("etw_plain", &o, "dmg");
    good = slurp(p, &n);
    ok(good && n > 4096, "a plain trace to damage (%zu bytes)", n);
    if (!good)
        return;
    for (at = 0; at < n; at += rd32(good + at))
        nbufs++;
    d = malloc(n);

    /* the first buffer's size: no valid data at all */
    memcpy(d, good, n);
    wr32(d, 0);
    r = read_all(spill(d, n, "zero1"));
    ok(r.rc == PS_ERR_INPUT && strstr(r.warn, "unrecognised format at offset 0"),
       "a first buffer of size 0 is no ETW log (%s)", r.warn);
    free(r.lines);
    force_format = "etw-etl";
    r = read_all(spill(d, n, "zero1"));
    ok(r.rc == PS_ERR_INPUT && strstr(r.warn, "buffer at offset 0x0: impossible size 0"),
       "read as ETW anyway: an error naming the offset (%s)", r.warn);
    free(r.lines);
    r = read_all(spill(d, 40, "tiny"));
    ok(r.rc == PS_ERR_INPUT && strstr(r.warn, "the file ends at offset 0x28"), "a file shorter than a buffer header (%s)",
       r.warn);
    free(r.lines);
    force_format = NULL;

    /* a later buffer's size 0 or past the end: the buffers before are kept */
    memcpy(d, good, n);
    wr32(d + 3 * 2048, 0);
    r = read_all(spill(d, n, "zero3"));
    ok(r.rc == 0 && r.events > 0 && r.events < 123 && strstr(r.warn, "buffer at offset 0x1800: impossible size 0"),
       "a later buffer of size 0: a warning, %llu events before it kept", (unsigned long long)r.events);
    free(r.lines);
    memcpy(d, good, n);
    wr32(d + 5 * 2048, 0x7fff0000);
    r = read_all(spill(d, n, "huge"));
    ok(r.rc == 0 && strstr(r.warn, "larger than 16 MiB"), "an oversized buffer: a warning (%s)", r.warn);
    free(r.lines);
    r = read_all(spill(good, n - 1000, "cut"));
    ok(r.rc == 0 && r.events > 0 && strstr(r.warn, "runs past the end of the file"),
       "a file cut inside its last buffer: the rest kept with a warning");
    free(r.lines);

    /* a record overrunning its buffer; an impossible header type */
    memcpy(d, good, n);
    at = find_record(d, n, 1, 0x02, 0x0301);
    ok(at > 0, "a Process/Start record found at 0x%zx", at);
    d[at + 4] = 0xF0, d[at + 5] = 0x7F;
    r = read_all(spill(d, n, "overrun"));
    ok(r.rc == 0 && strstr(r.warn, "overruns the buffer") && r.events < 123 && r.events > 20,
       "a record overrunning its buffer: the rest of that buffer skipped with a warning");
    free(r.lines);
    memcpy(d, good, n);
    d[at + 2] = 0x7E;
    r = read_all(spill(d, n, "type"));
    ok(r.rc == 0 && strstr(r.warn, "impossible header type 0x7e"), "an impossible header type: a warning naming it");
    free(r.lines);
    memcpy(d, good, n);
    d[at + 3] = 0x00;
    r = read_all(spill(d, n, "marker"));
    ok(r.rc == 0 && strstr(r.warn, "not a trace record"), "a record without the trace marker: a warning");
    free(r.lines);

    /* a timestamp at the ends of the int64 range: the FILETIME conversion
     * overflowed (undefined behaviour, a garbage time); now that record is
     * skipped with a warning and every other time stays in range */
    {
        static const uint64_t extremes[] = {0x8000000000000000ULL, 0x7FFFFFFFFFFFFFFFULL};
        size_t k;
        at = find_record(good, n, 1, 0x02, 0x0301);
        for (k = 0; k < PS_ARRAY_LEN(extremes); k++) {
            size_t b;
            bool in_range = true;
            char *line;
            memcpy(d, good, n);
            for (b = 0; b < 8; b++)
                d[at + 0x10 + b] = (uint8_t)(extremes[k] >> (8 * b));
            r = read_all(spill(d, n, "ts"));
            for (line = r.lines; line && *line; line = strchr(line, '\n') + 1) {
                long long ts = strtoll(strchr(line, ' ') + 1, NULL, 10);
                if (ts < 0 || ts > (1LL << 62))
                    in_range = false;
            }
            ok(r.rc == 0 && r.events == 122 && strstr(r.warn, "is out of range for the log's clock; the record is skipped"),
               "timestamp 0x%llx: that record skipped with a warning, 122 events kept (%llu: %s)",
               (unsigned long long)extremes[k], (unsigned long long)r.events, r.warn);
            ok(in_range, "timestamp 0x%llx: every time kept is a FILETIME in range", (unsigned long long)extremes[k]);
            free(r.lines);
        }
    }
    free(d);
    free(good);

    /* extended data chains: an item of size 0, a chain that never ends */
    o.compress = -1;
    p = write_scenario("etw_spoof", &o, "ext");
    good = slurp(p, &n);
    d = malloc(n);
    /* the first EVENT_HEADER record with extended data (the Kernel-Process
     * ProcessStart: a process start key and a stack) */
    {
        size_t off = 0, hit = 0;
        while (off + 0x48 <= n && !hit) {
            uint32_t pos = 0x48, filled = rd32(good + off + 0x30);
            while (pos + 0x50 <= filled) {
                uint32_t w = rd32(good + off + pos);
                uint32_t rs = (w >> 16 & 0xFF) == 0x13 || (w >> 16 & 0xFF) == 0x12 ? (w & 0xFFFF)
                                                                                   : (uint32_t)(good[off + pos + 4] | good[off + pos + 5] << 8);
                if ((w >> 16 & 0xFF) == 0x13 && (good[off + pos + 4] & 1)) {
                    hit = off + pos;
                    break;
                }
                if (!rs)
                    break;
                pos += (rs + 7) & ~7u;
            }
            off += rd32(good + off);
        }
        at = hit;
    }
    ok(at > 0, "a record with extended data found at 0x%zx", at);
    memcpy(d, good, n);
    d[at + 0x50] = 0, d[at + 0x51] = 0;
    r = read_all(spill(d, n, "ext0"));
    ok(r.rc == 0 && strstr(r.warn, "broken chain of extended data items"), "an item of size 0: the record skipped, a warning");
    ok(r.events > 40, "the other events kept (%llu)", (unsigned long long)r.events);
    free(r.lines);
    memcpy(d, good, n);
    d[at + 0x50 + 16 + 4] |= 1;   /* the last item claims another follows */
    r = read_all(spill(d, n, "extloop"));
    ok(r.rc == 0 && strstr(r.warn, "broken chain of extended data items"), "a chain running past its record: a warning");
    free(r.lines);
    free(d);
    free(good);

    /* corrupt compressed data */
    memset(&o, 0, sizeof o);
    o.compress = 1;
    p = write_scenario("etw_plain", &o, "lz");
    good = slurp(p, &n);
    d = malloc(n);
    memcpy(d, good, n);
    at = 2048 + rd32(good + 2048);   /* the second data buffer */
    ok(rd32(d + at + 0x34) & 0x40, "a compressed buffer at 0x%zx", at);
    wr32(d + at + 0x48, 0xFFFFFFFF);
    d[at + 0x48 + 4] = 0xF8, d[at + 0x48 + 5] = 0xFF;   /* a match before the start */
    r = read_all(spill(d, n, "lz"));
    ok(r.rc == 0 && strstr(r.warn, "corrupt compressed data at file offset"),
       "corrupt LZ77: that buffer skipped with a warning naming the offset (%s)", r.warn);
    ok(r.events > 60 && r.events < 123, "the other buffers read (%llu events)", (unsigned long long)r.events);
    free(r.lines);
    {
        /* every byte of the compressed part overwritten in turn: never a crash */
        size_t i, clean = 0;
        for (i = at + 0x48; i < at + rd32(good + at) && i < at + 0x48 + 300; i += 3) {
            memcpy(d, good, n);
            d[i] ^= 0x5A;
            r = read_all(spill(d, n, "lzfuzz"));
            if (r.rc == 0)
                clean++;
            free(r.lines);
        }
        ok(clean > 0, "flipped bytes in compressed data: warnings, never an error or a crash (%zu runs)", clean);
    }
    free(d);
    free(good);
    (void)nbufs;
}

int main(void)
{
    ps_error err;

    if (!mkdtemp(tmpdir)) {
        printf("1..0 # SKIP no temporary directory\n");
        return 0;
    }
    if (ps_recon_config_load_default(&cfg, &err) < 0) {
        printf("# %s\n", err.msg);
        return 1;
    }
    test_lz77();
    test_mapping();
    test_reader();
    check_expect("etw_plain");
    check_expect("etw_spoof");
    check_expect("etw_rundown");
    test_damage();
    ps_recon_config_release(&cfg);
    {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", tmpdir);
    }
    return tap_done();
}
