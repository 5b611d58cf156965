/* reports/: escaping for HTML and terminals, base64, NDJSON, the process tree */
#include <unistd.h>

#include "pipeline/session.h"
#include "model/store.h"
#include "common/escape.h"
#include "common/json.h"
#include "reports/report.h"
#include "reports/tree.h"
#include "ingest.h"
#include "tap.h"

static const char *html(const char *s)
{
    static ps_buf b;
    ps_buf_reset(&b);
    ps_html_escape(&b, s);
    return ps_buf_cstr(&b);
}

static void test_html_escape(void)
{
    is_str(html("plain C:\\x.exe"), "plain C:\\x.exe", "plain text unchanged");
    is_str(html("<script>alert('x')</script>"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
           "markup characters become references");
    is_str(html("\"><img src=x onerror=y>&amp;"), "&quot;&gt;&lt;img src=x onerror=y&gt;&amp;amp;",
           "attribute breakers and ampersands");
    is_str(html("]]>"), "]]&gt;", "a CDATA end cannot appear");
    is_str(html("a\x1b[31mb\x07"), "a\xe2\x90\x9b[31mb\xe2\x90\x87", "ESC and BEL become control pictures");
    is_str(html("tab\there\nnl\x7f"), "tab\xe2\x90\x89here\xe2\x90\x8anl\xe2\x90\xa1", "TAB, LF and DEL too");
    is_str(html("x\xc2\x85y"), "x\\u0085y", "C1 controls as \\u escapes");
    is_str(html("todo\xe2\x80\xaetxt.exe"), "todo\\u202etxt.exe", "bidi override made visible");
    is_str(html("a\xe2\x81\xa6" "b"), "a\\u2066b", "bidi isolate made visible");
    is_str(html("bad\xff\xfe!"), "bad\xef\xbf\xbd\xef\xbf\xbd!", "invalid bytes become U+FFFD");
    is_str(html("cut\xe2\x82"), "cut\xef\xbf\xbd\xef\xbf\xbd", "a truncated sequence too");
    is_str(html("\xef\xbf\xbe"), "\xef\xbf\xbd", "U+FFFE (not XML) becomes U+FFFD");
    is_str(html("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "encoded surrogates are invalid");
    is_str(html("\xd7\x99\xd7\x95 \xf0\x9f\x98\x80 \xe2\x86\x92"), "\xd7\x99\xd7\x95 \xf0\x9f\x98\x80 \xe2\x86\x92",
           "valid UTF-8 passes");
    is_str(html(""), "", "empty string");
}

static void test_tx(void)
{
    const char *plain = "C:\\Windows\\notepad.exe \"x\" <y>";
    ok(ps_tx(plain) == plain, "ps_tx returns a clean string itself");
    ok(ps_tx(NULL) == NULL, "ps_tx(NULL) is NULL");
    is_str(ps_tx("a\x1b]0;title\x07z"), "a\xe2\x90\x9b]0;title\xe2\x90\x87z", "terminal escapes made visible");
    is_str(ps_tx("<b>&"), "<b>&", "markup is no concern of a terminal");
    {
        const char *a = ps_tx("1\x01"), *b = ps_tx("2\x02");
        is_str(a, "1\xe2\x90\x81", "first of two results still valid");
        is_str(b, "2\xe2\x90\x82", "second result");
    }
    {
        static char big[3 * PS_TX_MAX];
        const char *r;
        size_t n;
        memset(big, '\x1b', sizeof big - 1);
        r = ps_tx(big);
        n = strlen(r);
        ok(n < PS_TX_MAX && n > PS_TX_MAX - 8, "a long escaped string is cut to the buffer (%zu bytes)", n);
        ok(n >= 3 && !strcmp(r + n - 3, "\xe2\x80\xa6"), "and ends with an ellipsis");
        ok(n >= 6 && !memcmp(r + n - 6, "\xe2\x90\x9b", 3), "on a whole character");
    }
}

static void test_html_putn(void)
{
    FILE *f = tmpfile();
    char buf[64];
    size_t n;
    ps_html_putn(f, "ab<\xe2\x86\x92" "cd", 5);   /* cuts the arrow after two of its bytes */
    ps_html_put(f, NULL);
    rewind(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    is_str(buf, "ab&lt;\xef\xbf\xbd\xef\xbf\xbd", "ps_html_putn stops at n, a cut character is invalid");
    fclose(f);
}

static void test_base64(void)
{
    ps_buf b;
    static const struct {
        const char *in, *out;
    } v[] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
             {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    size_t i;
    ps_buf_init(&b);
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        ps_buf_reset(&b);
        ps_base64(&b, (const uint8_t *)v[i].in, strlen(v[i].in));
        is_str(ps_buf_cstr(&b), v[i].out, "base64 of '%s' (RFC 4648)", v[i].in);
    }
    ps_buf_release(&b);
}

static char *read_all(FILE *f)
{
    static char buf[4096];
    size_t n;
    rewind(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    return buf;
}

static void test_ndjson(void)
{
    FILE *f = tmpfile();
    ps_json j;
    int i;

    ps_json_init_ndjson(&j, f);
    ps_json_begin_array(&j);
    for (i = 0; i < 3; i++) {
        ps_json_begin_object(&j);
        ps_json_kv_int(&j, "n", i);
        ps_json_key(&j, "a");
        ps_json_begin_array(&j);
        ps_json_int(&j, 1);
        ps_json_int(&j, 2);
        ps_json_end_array(&j);
        ps_json_kv_str(&j, "s", "x</script>\n");
        ps_json_end_object(&j);
    }
    ps_json_end_array(&j);
    ps_json_finish(&j);
    is_str(read_all(f),
           "{\"n\":0,\"a\":[1,2],\"s\":\"x<\\/script>\\n\"}\n{\"n\":1,\"a\":[1,2],\"s\":\"x<\\/script>\\n\"}\n"
           "{\"n\":2,\"a\":[1,2],\"s\":\"x<\\/script>\\n\"}\n",
           "NDJSON: one compact object per line");
    fclose(f);
    f = tmpfile();
    ps_json_init_ndjson(&j, f);
    ps_json_begin_array(&j);
    ps_json_end_array(&j);
    ps_json_finish(&j);
    is_str(read_all(f), "", "NDJSON of no record is empty");
    fclose(f);
}

/* ---- the tree ---------------------------------------------------------------------- */

static const char *srcdir(void)
{
    const char *s = getenv("top_srcdir");
    return s && *s ? s : ".";
}

typedef struct walk_log {
    char text[4096];
    size_t visits, max_depth;
} walk_log;

static int log_visit(void *ctx, const ps_tree *t, size_t x, size_t depth, const bool *last)
{
    walk_log *w = ctx;
    const ps_tree_node *n = &t->v[x];
    size_t len = strlen(w->text);
    w->visits++;
    if (depth > w->max_depth)
        w->max_depth = depth;
    if (len < sizeof w->text - 64)
        snprintf(w->text + len, sizeof w->text - len, "%zu%s%s:%lld;", depth, last[depth] ? "L" : "",
                 n->kind == PS_TREE_ABSENT_PARENT ? "?" : n->name ? n->name : "-", (long long)n->pid);
    return 0;
}

static void exec_sql(ps_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(ps_store_db(s), sql, NULL, NULL, &msg) != SQLITE_OK) {
        printf("# %s\n", msg ? msg : "?");
        sqlite3_free(msg);
    }
}

static void test_tree(void)
{
    char path[1024];
    ps_recon_config cfg;
    ps_store *s = NULL;
    ps_error err;
    ps_tree t;
    walk_log w;

    snprintf(path, sizeof path, "%s/fixtures/demo.csv", srcdir());
    if (access(path, R_OK) != 0) {
        ok(1, "# SKIP fixtures not found (set top_srcdir)");
        return;
    }
    ps_error_clear(&err);
    if (ps_recon_config_load_default(&cfg, &err) < 0 || ps_store_open_temp(&s, &err) < 0) {
        ok(0, "a scratch model: %s", err.msg);
        return;
    }
    ok(test_ingest(s, path, &cfg, NULL, NULL, &err) == 0 && ps_store_commit(s, &err) == 0, "demo.csv ingested");

    ok(ps_tree_load(s, 0, &t, &err) == 0, "tree loads");
    memset(&w, 0, sizeof w);
    ps_tree_walk(&t, log_visit, &w);
    is_str(w.text,
           "0?:420;1csrss.exe:512;1Lwinlogon.exe:608;2Lcmd.exe:7344;0L?:3540;1LExplorer.EXE:3596;"
           "2cmd.exe:2900;3Lreg.exe:3300;2notepad.exe:5120;2Lnotepad.exe:5376;",
           "demo: parents, order and last-sibling flags");
    is_int(w.visits, t.n, "every node visited once");
    {
        size_t i;
        int hijacked = 0, by_pid = 0;
        for (i = 0; i < t.n; i++) {
            hijacked += t.v[i].hijacked && t.v[i].max_severity == 4;
            by_pid += t.v[i].parent_by_pid;
        }
        is_int(hijacked, 1, "the hijacked launch is marked, critical");
        is_int(by_pid, 1, "cmd.exe (2900) is linked to Explorer by its PID");
    }
    ps_tree_release(&t);

    /* a chain 3000 deep and a cycle: no recursion, every node once */
    exec_sql(s, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
                "INSERT INTO processes (process_id, trace_id, pid, parent_pid, parent_process_id, process_name, source) "
                "SELECT 100000 + i, 1, 100000 + 4 * i, 100000 + 4 * (i - 1), CASE WHEN i > 1 THEN 100000 + i - 1 END, "
                "'deep.exe', 'events' FROM n;"
                "INSERT INTO processes (process_id, trace_id, pid, parent_pid, parent_process_id, process_name, source) "
                "VALUES (200001, 1, 70001, 70002, 200002, 'loop-a.exe', 'events'), "
                "(200002, 1, 70002, 70001, 200001, 'loop-b.exe', 'events')");
    ok(ps_tree_load(s, 1, &t, &err) == 0, "tree with a deep chain and a cycle loads");
    memset(&w, 0, sizeof w);
    ps_tree_walk(&t, log_visit, &w);
    is_int(w.visits, t.n, "every node visited once");
    ok(w.max_depth >= 3000, "the chain is 3000 deep (%zu)", w.max_depth);
    ok(strstr(w.text, "loop-a.exe") || t.n > 3000, "the cycle's processes are in the tree");
    {
        size_t i, a = 0, b = 0;
        for (i = 0; i < t.n; i++) {
            if (t.v[i].name && !strcmp(t.v[i].name, "loop-a.exe"))
                a++;
            if (t.v[i].name && !strcmp(t.v[i].name, "loop-b.exe"))
                b++;
        }
        ok(a == 1 && b == 1, "a cycle of parents is cut, both processes kept");
    }
    ps_tree_release(&t);
    {
        ps_report_opts ro;
        FILE *f = tmpfile();
        char line[512];
        int capped = 0;
        memset(&ro, 0, sizeof ro);
        ro.out = f;
        ro.trace_id = 1;
        ok(ps_report_tree(s, &ro, &err) == 0, "the text tree of a deep chain");
        rewind(f);
        while (fgets(line, sizeof line, f))
            if (strstr(line, "[depth 3000]"))
                capped = strlen(line) < 300;
        ok(capped, "deep lines keep a bounded indent and say their depth");
        fclose(f);
    }
    ps_store_close(s);
    ps_recon_config_release(&cfg);
}

int main(void)
{
    test_html_escape();
    test_tx();
    test_html_putn();
    test_base64();
    test_ndjson();
    test_tree();
    return tap_done();
}
