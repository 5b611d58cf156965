/* recon/core.c on the synthetic fixtures: exact boundaries */
#include <unistd.h>

#include "pipeline/session.h"
#include "model/store.h"
#include "ingest.h"
#include "tap.h"

static const char *srcdir(void)
{
    const char *s = getenv("top_srcdir");
    return s && *s ? s : ".";
}

static ps_recon_config cfg;

/* a fixture through an ingest session with the default pack (it holds the
 * IFEO detectors) and the built-in detectors, committed */
static ps_store *ingest(const char *fixture)
{
    char path[1024];
    ps_store *s = NULL;
    ps_error err;

    snprintf(path, sizeof path, "%s/fixtures/%s", srcdir(), fixture);
    ps_error_clear(&err);
    if (ps_store_open_temp(&s, &err) < 0) {
        printf("# %s\n", err.msg);
        return NULL;
    }
    if (test_ingest(s, path, &cfg, NULL, NULL, &err) < 0 || ps_store_commit(s, &err) < 0) {
        printf("# %s: %s\n", fixture, err.msg);
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
    static char buf[1024];
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(ps_store_db(s), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0))
        snprintf(buf, sizeof buf, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

/* Compares every found boundary with fixtures/NAME.expect.  A PML fixture
 * (pml) carries stacks: its boundaries B0..B5 are the scenario's, and B6
 * follows rule 1 - checked here independently of the engine, from the
 * stored frames: the last event of the child before the first event of its
 * initial thread (after B5) with a frame in the image's module.  When no
 * such event exists (the child died while loading) B6 is the scenario's. */
static void check_expect(const char *fixture, const char *expect, bool pml)
{
    char path[1024], line[256], sql[2048];
    ps_store *s = ingest(fixture);
    FILE *f;
    sqlite3_stmt *st;
    int lines = 0, matched = 0, found;

    if (!s) {
        ok(0, "%s ingests", fixture);
        return;
    }
    snprintf(path, sizeof path, "%s/fixtures/%s", srcdir(), expect);
    f = fopen(path, "r");
    sqlite3_prepare_v2(ps_store_db(s),
                       "SELECT e.seq, b.confidence FROM boundaries b JOIN creations c USING (creation_id) "
                       "JOIN events e ON e.event_id = b.event_id WHERE b.boundary = ?2 AND c.creation_id = "
                       "(SELECT creation_id FROM creations ORDER BY create_ts, creation_id LIMIT 1 OFFSET ?1 - 1) "
                       "AND b.confidence <> 'missing'",
                       -1, &st, NULL);
    while (f && fgets(line, sizeof line, f)) {
        int cn, b;
        long long seq, want;
        char conf[32];
        const char *want_conf;
        if (line[0] == '#' || sscanf(line, "%d %d %lld %31s", &cn, &b, &seq, conf) != 4)
            continue;
        lines++;
        want = seq;
        want_conf = conf;
        if (pml && b == 6) {
            long long rule1;
            snprintf(sql, sizeof sql,
                     "WITH c AS (SELECT * FROM creations ORDER BY create_ts, creation_id LIMIT 1 OFFSET %d - 1), "
                     "b5 AS (SELECT e.seq FROM boundaries b JOIN events e ON e.event_id = b.event_id, c "
                     "       WHERE b.creation_id = c.creation_id AND b.boundary = 5), "
                     "app AS (SELECT min(e.seq) AS seq FROM events e, c, b5 WHERE e.pid = c.child_pid AND "
                     "        e.tid = c.initial_tid AND e.seq > b5.seq AND EXISTS (SELECT 1 FROM frames fr "
                     "        WHERE fr.stack_id = e.stack_id AND lower(fr.module) = lower(replace(c.image_path, "
                     "        rtrim(c.image_path, replace(c.image_path, '\\', '')), '')))) "
                     "SELECT coalesce((SELECT max(e.seq) FROM events e, c, app WHERE e.pid = c.child_pid AND "
                     "e.seq < app.seq), -1)",
                     cn);
            rule1 = q_int(s, sql);
            if (rule1 > 0) {
                want = rule1;
                want_conf = "observed";
            }
        }
        sqlite3_bind_int(st, 1, cn);
        sqlite3_bind_int(st, 2, b);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == want &&
            !strcmp((const char *)sqlite3_column_text(st, 1), want_conf))
            matched++;
        else
            printf("#   %s creation %d B%d: want seq %lld %s\n", fixture, cn, b, want, want_conf);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (f)
        fclose(f);
    found = (int)q_int(s, "SELECT count(*) FROM boundaries WHERE confidence <> 'missing'");
    ok(lines > 0 && matched == lines && found == lines, "%s: %d of %d expected boundaries%s, %d found", fixture,
       matched, lines, pml ? " (B6 by its stacks)" : "", found);
    is_int(q_int(s, "SELECT count(*) FROM creations c WHERE (SELECT count(*) FROM stages s WHERE s.creation_id = "
                    "c.creation_id) <> 6"),
           0, "%s: six stage rows per creation", fixture);
    if (pml) {
        is_str(q_str(s, "SELECT time_basis || ' ' || has_stacks || ' ' || format FROM traces"), "utc 1 procmon-pml",
               "%s: UTC times, stacks", fixture);
        ok(q_int(s, "SELECT count(*) FROM processes WHERE source = 'process-table'") > 3 &&
               q_int(s, "SELECT count(*) FROM modules") > 12,
           "%s: the process table with its module lists", fixture);
        ok(q_int(s, "SELECT count(*) FROM creations WHERE anchor = 'process-create' AND crosscheck_delta IS NOT "
                    "NULL AND crosscheck_delta <> 50") == 0,
           "%s: B2 is 5 us after every child's CreateTime", fixture);
    }
    ps_store_close(s);
}

int main(void)
{
    static const char *const names[] = {"plain", "ifeo_hijack", "suspended", "missing_stages", "pid_reuse", "dllinit", "wow64", "demo"};
    ps_error err;
    ps_store *s;
    size_t i;
    char a[64], b[64];

    if (ps_recon_config_load_default(&cfg, &err) < 0) {
        printf("Bail out! %s\n", err.msg);
        return 1;
    }
    {
        char probe[1024];
        snprintf(probe, sizeof probe, "%s/fixtures/plain.csv", srcdir());
        if (access(probe, R_OK) != 0)
            tap_skip_all("fixtures not found (set top_srcdir)");
    }
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(a, sizeof a, "%s.csv", names[i]);
        snprintf(b, sizeof b, "%s.expect", names[i]);
        check_expect(a, b, false);
        if (strcmp(names[i], "demo")) {
            snprintf(a, sizeof a, "%s.xml", names[i]);
            check_expect(a, b, false);
            snprintf(a, sizeof a, "%s.pml", names[i]);
            check_expect(a, b, true);
        }
    }
    check_expect("plain32.pml", "plain.expect", true);

    /* the hijack: requested vs. actual image, and the finding */
    if ((s = ingest("ifeo_hijack.csv"))) {
        is_str(q_str(s, "SELECT requested_image FROM creations"), "C:\\Windows\\System32\\sethc.exe",
               "requested_image is the hijacked image");
        is_str(q_str(s, "SELECT image_path FROM creations"), "C:\\Windows\\System32\\cmd.exe",
               "image_path is what ran");
        is_str(q_str(s, "SELECT rule_id || ' ' || severity FROM findings"), "ifeo-debugger-hijack critical",
               "critical hijack finding for an accessibility binary");
        ok(strstr(q_str(s, "SELECT evidence FROM findings"), "\"debugger\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\""),
           "the evidence names the Debugger value");
        /* psgen's ifeo_hijack: 11 events from B0 to the last label/name query of the image, of which
         * the last three (the kernel's IFEO open, the label and the name query after the section)
         * are stage 2 since refinement 11 */
        is_int(q_int(s, "SELECT count(*) FROM events WHERE creation_id IS NOT NULL AND stage = 1"), 8,
               "stage 1 events attributed (IFEO query, re-launch, image open up to its section)");
        ps_store_close(s);
    }
    /* the demo: set + hijack */
    if ((s = ingest("demo.csv"))) {
        is_int(q_int(s, "SELECT count(*) FROM findings WHERE rule_id = 'ifeo-debugger-set'"), 1, "Debugger value set");
        is_int(q_int(s, "SELECT count(*) FROM findings WHERE rule_id = 'ifeo-debugger-hijack'"), 1, "hijack found");
        is_int(q_int(s, "SELECT count(*) FROM findings WHERE rule_id = 'ifeo-debugger-hijack' AND creation_id = "
                        "(SELECT creation_id FROM creations WHERE requested_image LIKE '%sethc.exe')"),
               1, "the finding points at the hijacked creation");
        ps_store_close(s);
    }
    /* missing stages: statuses and notes */
    if ((s = ingest("missing_stages.csv"))) {
        is_str(q_str(s, "SELECT group_concat(status, ',') FROM (SELECT status FROM creations ORDER BY create_ts)"),
               "complete,failed,complete,failed", "complete, died while loading, orphan, failed");
        /* broken.exe (psgen scen_missing): its initial thread 4204 exits after kernel32's Load Image and
         * the Process Exit says Exit Status -1073741515 = 0xC0000135 (issue 14 item 8) */
        is_str(q_str(s, "SELECT e.operation || ' ' || b.confidence || ' | ' || b.rule FROM boundaries b JOIN events e "
                        "ON e.event_id = b.event_id JOIN creations c ON c.creation_id = b.creation_id "
                        "WHERE c.child_pid = 4200 AND b.boundary = 6"),
               "Thread Exit observed | the initial thread exited during user_init: the process exited with "
               "0xC0000135 STATUS_DLL_NOT_FOUND",
               "a death during user_init: B6 at the initial thread's exit, the NTSTATUS named");
        is_str(q_str(s, "SELECT note FROM creations WHERE child_pid = 4200"),
               "the process died during user_init (0xC0000135 STATUS_DLL_NOT_FOUND)", "the death in the note");
        is_str(q_str(s, "SELECT anchor FROM creations WHERE child_pid = 4300"), "process-start",
               "the orphan is anchored on its Process Start");
        is_int(q_int(s, "SELECT parent_pid FROM creations WHERE child_pid = 4300"), 9999,
               "the orphan's parent comes from the Process Start");
        ok(q_int(s, "SELECT creator_pid IS NULL FROM creations WHERE child_pid = 4300") == 1, "creator unknown");
        is_str(q_str(s, "SELECT group_concat(confidence, ',') FROM (SELECT confidence FROM stages WHERE creation_id = "
                        "(SELECT creation_id FROM creations ORDER BY create_ts LIMIT 1) ORDER BY stage)"),
               "missing,missing,observed,missing,inferred,inferred",
               "collapse rule: no B0/B1, B4 missing so stage 5 is inferred");
        ps_store_close(s);
    }
    /* PID reuse: two processes, two creations of PID 6000 */
    if ((s = ingest("pid_reuse.csv"))) {
        is_int(q_int(s, "SELECT count(DISTINCT child_process_id) FROM creations WHERE child_pid = 6000"), 2,
               "two process rows for the reused PID");
        is_int(q_int(s, "SELECT count(*) FROM processes WHERE pid = 6000"), 2, "processes keeps both");
        ps_store_close(s);
    }
    /* WoW64 (issue 14 item 4): the 32-bit ntdll's notification is kernel
     * start-up (stage 5); WoW64's own DLLs and the SysWOW64 imports are the
     * loader's (stage 6), none of them ends user_init */
    {
        static const char *const wow[] = {"wow64.csv", "wow64.pml"};
        size_t k;
        for (k = 0; k < sizeof wow / sizeof wow[0]; k++) {
            if (!(s = ingest(wow[k])))
                continue;
            is_str(q_str(s, "SELECT group_concat(stage, ',') FROM (SELECT e.stage FROM events e WHERE e.operation = "
                            "'Load Image' AND e.pid = 6200 ORDER BY e.seq)"),
                   "5,5,5,6,6,6,6,6,6,6",
                   "%s: exe, ntdll, 32-bit ntdll in stage 5; wow64, wow64win, wow64cpu and the SysWOW64 imports in 6",
                   wow[k]);
            /* without stacks the last import is a lower bound; with them
             * the loader's last event before the first frame in tool.exe */
            is_str(q_str(s, "SELECT e.path FROM boundaries b JOIN events e USING (event_id) WHERE b.boundary = 6"),
                   k == 0 ? "C:\\Windows\\SysWOW64\\gdi32.dll"
                          : "HKLM\\System\\CurrentControlSet\\Control\\Session Manager\\ResourcePolicies",
                   "%s: user_init ends after the 32-bit loader's work", wow[k]);
            ps_store_close(s);
        }
    }
    /* no TID column: thread-dependent boundaries are inferred */
    if ((s = ingest("notid_7col.csv"))) {
        is_str(q_str(s, "SELECT group_concat(confidence, ',') FROM (SELECT confidence FROM boundaries ORDER BY boundary)"),
               "inferred,inferred,observed,observed,inferred,inferred,inferred",
               "B0, B1, B5 inferred without thread ids");
        is_str(q_str(s, "SELECT time_basis FROM traces"), "time-of-day", "7-column exports have no date");
        ps_store_close(s);
    }
    /* XML: times anchored to UTC through the process list */
    if ((s = ingest("plain.xml"))) {
        is_str(q_str(s, "SELECT time_basis FROM traces"), "utc", "XML local times anchored to UTC");
        is_int(q_int(s, "SELECT tz_offset_min FROM traces"), 120, "the capture's UTC offset");
        ok(q_int(s, "SELECT abs(crosscheck_delta) FROM creations") <= 100,
           "B2 within 10 us of the process table's CreateTime (%lld)",
           (long long)q_int(s, "SELECT crosscheck_delta FROM creations"));
        is_int(q_int(s, "SELECT count(*) FROM modules"), 2 * q_int(s, "SELECT count(*) FROM processes WHERE source = "
                                                                       "'process-table'"),
               "module lists stored");
        ps_store_close(s);
    }
    ps_recon_config_release(&cfg);
    ps_ruleset_free(test_pack);
    return tap_done();
}
