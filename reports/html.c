/*
 * html.c - the HTML report: one self-contained page (inline CSS, SVG and a
 * small script; nothing loaded from anywhere) with
 *
 *   summary    traces, host, OS, time span, events, creations, findings by
 *              severity, events lost, and when the creations happened;
 *   findings   severity, rule, ATT&CK technique, evidence, a link to the creation;
 *   timeline   one row per creation: the six stages as segments on a shared
 *              axis (time since the creation's first known boundary), observed
 *              solid, inferred hatched, missing as a dark tick, hover text with
 *              exact durations and evidence events;
 *   tree       the process tree, hijacked launches marked;
 *   statistics per image: count, p50, p95, max per stage, and per stage a
 *              histogram of the durations.
 *
 * Readable without JavaScript; the script only sorts and filters the
 * timeline.  Every string from the model is escaped for its context
 * (escape.h); the page is written as polyglot markup that both the HTML and
 * the XML parser accept, and a Content-Security-Policy with the hashes of
 * the page's own style and script forbids everything else, so that even a
 * mistake in escaping could not load or run anything.
 *
 * Large models: rows are grouped in blocks that the browser renders only
 * when scrolled to (content-visibility), and the tree of a trace with many
 * processes starts folded.
 */
#include <stdlib.h>
#include <string.h>

#include "common/sha256.h"
#include "config.h"
#include "model/creation.h"
#include "model/severity.h"
#include "common/escape.h"
#include "common/json.h"
#include "reports/report.h"
#include "reports/tree.h"

#define ROWS_PER_BLOCK 200
#define TREE_FOLD_NODES 1000
#define TREE_MAX_DEPTH 100
#define HIST_BINS 32          /* 4 per decade from 1 us to 10 s, plus under- and overflow */
#define PS_STR_(x) #x
#define PS_STR(x) PS_STR_(x)

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

typedef struct html {
    FILE *f;
    ps_store *s;
    const ps_report_opts *o;
} html;

#define P(...) fprintf(h->f, __VA_ARGS__)

/* escaped text from the model */
static void E(html *h, const char *s)
{
    ps_html_put(h->f, s);
}

/* escaped text, or a placeholder in italics */
static void E_or(html *h, const char *s, const char *none)
{
    if (s && *s)
        E(h, s);
    else
        P("<i>%s</i>", none);
}

/* Only names from fixed sets become class names. */
static const char *sev_class(const char *sev)
{
    int rank = ps_severity_rank(sev ? sev : "");
    return rank >= 0 ? ps_severity_name(rank) : "unknown";
}

static const char *status_class(const char *st)
{
    if (st && (!strcmp(st, "complete") || !strcmp(st, "partial") || !strcmp(st, "failed")))
        return st;
    return "unknown";
}

static const char *conf_class(const char *c)
{
    if (c && !strcmp(c, "observed"))
        return "o";
    if (c && !strcmp(c, "inferred"))
        return "i";
    return "m";
}

/* "12.3456" ms with 100 ns precision */
static void ms4(int64_t ticks, char *buf, size_t cap)
{
    int64_t a = ticks < 0 ? -ticks : ticks;
    snprintf(buf, cap, "%s%lld.%04lld", ticks < 0 ? "-" : "", (long long)(a / 10000), (long long)(a % 10000));
}

static void short_ts(const char *basis, int64_t ts, char *buf, size_t cap)
{
    char *p;
    ps_format_ts(basis, ts, buf, cap);
    p = strchr(buf, 'T');
    if (p)
        memmove(buf, p + 1, strlen(p));
}

/* A span in ticks as "15.032 s" / "8.1 ms" / "2 h 03 min". */
static void human_span(int64_t ticks, char *buf, size_t cap)
{
    double s = (double)ticks / PS_TICKS_PER_SEC;
    if (s >= 7200)
        snprintf(buf, cap, "%lld h %02lld min", (long long)(s / 3600), (long long)((int64_t)(s / 60) % 60));
    else if (s >= 120)
        snprintf(buf, cap, "%lld min %02lld s", (long long)(s / 60), (long long)((int64_t)s % 60));
    else if (s >= 1)
        snprintf(buf, cap, "%.3f s", s);
    else
        snprintf(buf, cap, "%.3f ms", s * 1000);
}

/* ---- page frame -------------------------------------------------------------------- */

static const char CSS[] =
    "/*<![CDATA[*/\n"
    ":root{--s1:#4e79a7;--s2:#f28e2b;--s3:#59a14f;--s4:#b07aa1;--s5:#edc948;--s6:#76b7b2}\n"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1d2330;"
    "background:#fff}\n"
    "header,main,footer{max-width:1500px;margin:0 auto;padding:0 16px}\n"
    "header{border-bottom:1px solid #d0d4da;padding-bottom:8px}\n"
    "h1{font-size:22px;margin:14px 0 2px}h2{font-size:18px;margin:30px 0 8px;padding-bottom:3px;"
    "border-bottom:1px solid #e1e4e8}h3{font-size:15px;margin:18px 0 6px}\n"
    "nav a{margin-right:14px}a{color:#0b57d0}p.note{color:#555;margin:4px 0 10px;max-width:70em}\n"
    "table{border-collapse:collapse;margin:4px 0 12px}th,td{padding:3px 8px;text-align:left;"
    "vertical-align:top;border-bottom:1px solid #eceef1}th{background:#f4f5f7;font-weight:600}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "code{font:12px/1.35 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}\n"
    ".sev{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;font-weight:600;color:#fff;"
    "background:#6c757d}\n"
    ".sev-critical{background:#7a0019}.sev-high{background:#d9480f}.sev-medium{background:#9c6f00}"
    ".sev-low{background:#1c6fd1}\n"
    ".hj{color:#a3001e;font-weight:600}.dim{color:#6b7280}.warn{color:#8a5a00}\n"
    ".ev{margin:0;padding-left:18px}.ev li{margin:1px 0}\n"
    ".legend span{display:inline-block;margin:0 14px 4px 0;white-space:nowrap}\n"
    ".sw{display:inline-block;width:22px;height:11px;vertical-align:-1px;margin-right:5px}\n"
    ".c1{background:var(--s1)}.c2{background:var(--s2)}.c3{background:var(--s3)}.c4{background:var(--s4)}"
    ".c5{background:var(--s5)}.c6{background:var(--s6)}\n"
    ".swi{background:repeating-linear-gradient(45deg,#888 0 2px,#e8e8e8 2px 4px)}.swm{background:#222;width:3px}\n"
    "#tl-controls{margin:6px 0}#tl-controls input[type=search]{width:22em}\n"
    "button.sort{font:inherit;font-weight:600;border:0;background:none;padding:0;cursor:pointer;color:#0b57d0}\n"
    ".tl-head,.row{display:grid;grid-template-columns:52px 128px minmax(180px,330px) minmax(300px,1fr) 74px 92px;"
    "column-gap:8px;align-items:center}\n"
    ".tl-head{position:sticky;top:0;background:#f4f5f7;border-bottom:1px solid #d0d4da;font-size:12px;z-index:1}\n"
    ".row{height:18px;font-size:12px;white-space:nowrap}.row>*{overflow:hidden;text-overflow:ellipsis}\n"
    ".row:nth-child(even){background:#f6f7f9}.row:target{outline:2px solid #0b57d0}\n"
    ".blk{content-visibility:auto;contain-intrinsic-size:auto 3600px}\n"
    "svg.bar{display:block;width:100%;height:12px}svg.axis{display:block;width:100%;height:18px}\n"
    "svg.axis text{font-size:10px;fill:#444}svg.axis line{stroke:#999}\n"
    ".o1{fill:var(--s1)}.o2{fill:var(--s2)}.o3{fill:var(--s3)}.o4{fill:var(--s4)}.o5{fill:var(--s5)}"
    ".o6{fill:var(--s6)}\n"
    ".i1{fill:url(#h1)}.i2{fill:url(#h2)}.i3{fill:url(#h3)}.i4{fill:url(#h4)}.i5{fill:url(#h5)}"
    ".i6{fill:url(#h6)}.m{fill:#222}.clip{fill:#000;opacity:.55}\n"
    ".mk{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}\n"
    ".mk-complete{background:#2e7d32}.mk-partial{background:#c77c02}.mk-failed{background:#c62828}"
    ".mk-unknown{background:#5f6b7a}\n"
    "svg.defs{position:absolute;width:0;height:0}\n"
    "ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:20px;border-left:1px dotted #b8bec6}\n"
    "ul.tree{padding-left:4px;border:0}ul.tree li{margin:2px 0}ul.tree code{color:#4b5563}\n"
    ".pn{font-weight:600}.absent{color:#6b7280;font-style:italic}\n"
    ".hist{display:inline-block;margin:0 18px 12px 0;vertical-align:top}.hist svg{display:block}\n"
    ".hist text{font-size:10px;fill:#444}\n"
    "svg.when{display:block;width:100%;max-width:900px;height:22px;background:#f6f7f9}\n"
    "svg.when .tick{fill:#66707c}svg.when .flag{fill:#a3001e}\n"
    "table.sum{width:100%}table.sum td:nth-child(2){min-width:12em}table.sum td:nth-child(4){white-space:nowrap}\n"
    "footer{color:#6b7280;font-size:12px;margin-top:30px;padding:10px 16px 30px;border-top:1px solid #e1e4e8}\n"
    "/*]]>*/";

static const char JS[] =
    "//<![CDATA[\n"
    "(function () {\n"
    "  'use strict';\n"
    "  var body = document.getElementById('tl-body');\n"
    "  if (!body) return;\n"
    "  var rows = Array.prototype.slice.call(body.querySelectorAll('.row'));\n"
    "  var blocks = Array.prototype.slice.call(body.querySelectorAll('.blk'));\n"
    "  var per = Math.max(1, Math.ceil(rows.length / Math.max(1, blocks.length)));\n"
    "  var key = 'i', dir = 1;\n"
    "  function val(r, k) {\n"
    "    if (k === 'w') return r.children[2].textContent;\n"
    "    var v = r.getAttribute('data-' + k);\n"
    "    return v === null || v === '' ? null : Number(v);\n"
    "  }\n"
    "  function place(list) {\n"
    "    blocks.forEach(function (b, bi) {\n"
    "      list.slice(bi * per, (bi + 1) * per).forEach(function (r) { b.appendChild(r); });\n"
    "    });\n"
    "  }\n"
    "  function sort(k) {\n"
    "    dir = key === k ? -dir : (k === 'i' || k === 'w' ? 1 : -1);\n"
    "    key = k;\n"
    "    var list = rows.slice().sort(function (a, b) {\n"
    "      var x = val(a, k), y = val(b, k);\n"
    "      if (x === y) return val(a, 'i') - val(b, 'i');\n"
    "      if (x === null) return 1;\n"
    "      if (y === null) return -1;\n"
    "      if (typeof x === 'string') return x.localeCompare(y) * dir;\n"
    "      return (x - y) * dir;\n"
    "    });\n"
    "    place(list);\n"
    "    document.querySelectorAll('button.sort').forEach(function (b) {\n"
    "      b.setAttribute('aria-pressed', String(b.getAttribute('data-sort') === k));\n"
    "    });\n"
    "  }\n"
    "  document.querySelectorAll('button.sort').forEach(function (b) {\n"
    "    b.disabled = false;\n"
    "    b.addEventListener('click', function () { sort(b.getAttribute('data-sort')); });\n"
    "  });\n"
    "  var q = document.getElementById('tl-filter'), only = document.getElementById('tl-flagged');\n"
    "  var count = document.getElementById('tl-count');\n"
    "  function filter() {\n"
    "    var s = q.value.toLowerCase(), f = only.checked, shown = 0;\n"
    "    rows.forEach(function (r) {\n"
    "      var hay = (r.textContent + ' ' + (r.getAttribute('title') || '')).toLowerCase();\n"
    "      var ok = (!s || hay.indexOf(s) !== -1) && (!f || r.classList.contains('flag'));\n"
    "      r.hidden = !ok;\n"
    "      if (ok) shown++;\n"
    "    });\n"
    "    count.textContent = shown + ' of ' + rows.length + ' creations shown';\n"
    "  }\n"
    "  q.addEventListener('input', filter);\n"
    "  only.addEventListener('change', filter);\n"
    "  document.getElementById('tl-controls').hidden = false;\n"
    "})();\n"
    "//]]>";

/* 'sha256-...' of an inline element's text, for the Content-Security-Policy;
 * -1 when it cannot be computed */
static int csp_hash(const char *text, char *out, size_t cap)
{
    ps_sha256 sh;
    char hex[65];
    uint8_t bin[32];
    ps_buf b;
    int i;

    ps_sha256_init(&sh);
    ps_sha256_update(&sh, text, strlen(text));
    ps_sha256_final_hex(&sh, hex);
    for (i = 0; i < 32 && hex[0]; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        bin[i] = (uint8_t)v;
    }
    ps_buf_init(&b);
    if (hex[0])
        ps_base64(&b, bin, 32);
    snprintf(out, cap, "'sha256-%s'", ps_buf_cstr(&b));
    i = b.len == 44 ? 0 : -1;
    ps_buf_release(&b);
    return i;
}

/* -1: a database error, -2: out of memory */
static int title_text(html *h, ps_buf *title)
{
    sqlite3_stmt *st;
    int n = 0, rc = 0, step = SQLITE_DONE;

    if (ps_buf_puts(title, "procstage report") < 0)
        return -2;
    if (sqlite3_prepare_v2(ps_store_db(h->s), "SELECT path FROM traces WHERE ?1 = 0 OR trace_id = ?1 ORDER BY trace_id",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, h->o->trace_id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *p = col_text(st, 0);
        if (n == 3) {
            if (ps_buf_puts(title, ", \xe2\x80\xa6") < 0)
                rc = -2;
            break;
        }
        if (ps_buf_puts(title, n++ ? ", " : ": ") < 0 || ps_buf_puts(title, p ? ps_path_basename(p) : "?") < 0) {
            rc = -2;
            break;
        }
    }
    sqlite3_finalize(st);
    if (!rc && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = -1;
    return rc;
}

static int page_head(html *h, ps_error *err)
{
    char css_hash[80], js_hash[80];
    ps_buf title;
    int k;

    if (csp_hash(CSS, css_hash, sizeof css_hash) < 0 || csp_hash(JS, js_hash, sizeof js_hash) < 0)
        return ps_error_nomem(err);
    ps_buf_init(&title);
    if ((k = title_text(h, &title)) < 0) {
        ps_buf_release(&title);
        return k == -2 ? ps_error_nomem(err) : ps_report_db_error(h->s, err);
    }
    P("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src %s; "
      "script-src %s; base-uri 'none'; form-action 'none'\"/>\n"
      "<meta name=\"referrer\" content=\"no-referrer\"/>\n"
      "<meta name=\"generator\" content=\"procstage %s\"/>\n<title>",
      css_hash, js_hash, PACKAGE_VERSION);
    E(h, ps_buf_cstr(&title));
    P("</title>\n<style>%s</style>\n</head>\n<body>\n", CSS);
    /* hatch patterns of the inferred stages, shared by every row */
    P("<svg class=\"defs\" aria-hidden=\"true\" focusable=\"false\"><defs>");
    for (k = 1; k <= 6; k++)
        P("<pattern id=\"h%d\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" "
          "patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"#ffffff\"/>"
          "<rect width=\"2.5\" height=\"5\" class=\"o%d\"/></pattern>",
          k, k);
    P("</defs></svg>\n<header>\n<h1>");
    E(h, ps_buf_cstr(&title));
    P("</h1>\n<nav><a href=\"#summary\">Summary</a><a href=\"#findings\">Findings</a>"
      "<a href=\"#timeline\">Timeline</a><a href=\"#tree\">Process tree</a>"
      "<a href=\"#stats\">Statistics</a></nav>\n</header>\n<main>\n");
    ps_buf_release(&title);
    return 0;
}

static void page_tail(html *h)
{
    P("</main>\n<footer>Written by procstage %s from a procstage model (docs/model.md).", PACKAGE_VERSION);
    P(" Stages: 1 open_image, 2 create_process_object, 3 create_initial_thread, 4 notify_subsystem, "
      "5 start_initial_thread, 6 user_init. Observed: an event marks the boundary; inferred: a proxy or "
      "heuristic marks it; missing: the trace holds nothing for it.</footer>\n");
    P("<script>%s</script>\n</body>\n</html>\n", JS);
}

/* ---- summary ----------------------------------------------------------------------- */

static const char *const SEVERITIES[] = {"critical", "high", "medium", "low", "info"};

static int summary(html *h, ps_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc, n = 0;
    size_t i;

    P("<section id=\"summary\">\n<h2>Summary</h2>\n");
    /* findings by severity */
    if (sqlite3_prepare_v2(ps_store_db(h->s),
                           "SELECT severity, count(*) FROM findings WHERE ?1 = 0 OR trace_id = ?1 GROUP BY severity",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(h->s, err);
    sqlite3_bind_int64(st, 1, h->o->trace_id);
    {
        int64_t counts[PS_ARRAY_LEN(SEVERITIES)] = {0}, total = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            for (i = 0; i < PS_ARRAY_LEN(SEVERITIES); i++)
                if (col_text(st, 0) && !strcmp(col_text(st, 0), SEVERITIES[i]))
                    counts[i] += sqlite3_column_int64(st, 1);
            total += sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return ps_report_db_error(h->s, err);
        P("<p><b>Findings:</b> ");
        if (!total)
            P("none");
        for (i = 0; i < PS_ARRAY_LEN(SEVERITIES); i++)
            if (counts[i])
                P("<span class=\"sev sev-%s\">%lld %s</span> ", SEVERITIES[i], (long long)counts[i], SEVERITIES[i]);
        P("</p>\n");
    }
    if (sqlite3_prepare_v2(ps_store_db(h->s),
                           "SELECT t.trace_id, t.path, t.format, t.host, t.os_version, t.first_ts, t.last_ts, "
                           "t.event_count, t.process_count, t.creation_count, t.time_basis, t.time_note, "
                           "t.events_lost, t.warning_count, t.has_tid, t.compressed, t.sha256, "
                           "(SELECT count(*) FROM creations c WHERE c.trace_id = t.trace_id AND c.status = 'complete'), "
                           "(SELECT count(*) FROM creations c WHERE c.trace_id = t.trace_id AND c.status = 'partial'), "
                           "(SELECT count(*) FROM creations c WHERE c.trace_id = t.trace_id AND c.status = 'failed'), "
                           "(SELECT count(*) FROM findings f WHERE f.trace_id = t.trace_id), t.undecoded_count "
                           "FROM traces t WHERE ?1 = 0 OR t.trace_id = ?1 ORDER BY t.trace_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(h->s, err);
    sqlite3_bind_int64(st, 1, h->o->trace_id);
    P("<table class=\"sum\">\n<thead><tr><th>#</th><th>trace</th><th>host, OS</th><th>time span</th><th class=\"num\">events</th>"
      "<th class=\"num\">processes</th><th>creations</th><th class=\"num\">findings</th><th>notes</th></tr></thead>\n"
      "<tbody>\n");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *basis = col_text(st, 10) ? col_text(st, 10) : "utc";
        char a[64] = "?", b[64] = "?", span[48] = "";
        n++;
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(st, 5), a, sizeof a);
        if (sqlite3_column_type(st, 6) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(st, 6), b, sizeof b);
        if (sqlite3_column_type(st, 5) != SQLITE_NULL && sqlite3_column_type(st, 6) != SQLITE_NULL)
            human_span(sqlite3_column_int64(st, 6) - sqlite3_column_int64(st, 5), span, sizeof span);
        P("<tr><td class=\"num\">%lld</td><td><code>", (long long)sqlite3_column_int64(st, 0));
        E(h, col_text(st, 1));
        P("</code><br/><span class=\"dim\">");
        E(h, col_text(st, 2));
        if (sqlite3_column_int(st, 15))
            P(", zstd");
        P("</span></td><td>");
        E_or(h, col_text(st, 3), "host not recorded");
        P("<br/>");
        E_or(h, col_text(st, 4), "OS not recorded");
        P("</td><td>%s<br/>%s<br/><span class=\"dim\">%s%s", a, b, span, span[0] ? ", " : "");
        E(h, basis);
        P("</span>");
        if (col_text(st, 11)) {
            P("<br/><span class=\"dim\">");
            E(h, col_text(st, 11));
            P("</span>");
        }
        P("</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td><td>%lld", (long long)sqlite3_column_int64(st, 7),
          (long long)sqlite3_column_int64(st, 8), (long long)sqlite3_column_int64(st, 9));
        P("<br/><span class=\"dim\">%lld complete, %lld partial, %lld failed</span></td>",
          (long long)sqlite3_column_int64(st, 17), (long long)sqlite3_column_int64(st, 18),
          (long long)sqlite3_column_int64(st, 19));
        P("<td class=\"num\">%lld</td><td>", (long long)sqlite3_column_int64(st, 20));
        if (sqlite3_column_int64(st, 12))
            P("<span class=\"warn\">%lld events lost: a stage can look missing only because its events were "
              "lost</span><br/>",
              (long long)sqlite3_column_int64(st, 12));
        else
            P("no events lost<br/>");
        if (!sqlite3_column_int(st, 14))
            P("<span class=\"warn\">no thread ids: thread-dependent boundaries are inferred</span><br/>");
        if (sqlite3_column_int64(st, 13))
            P("<span class=\"warn\">%lld warnings while reading</span><br/>", (long long)sqlite3_column_int64(st, 13));
        if (sqlite3_column_int64(st, 21))
            P("%lld events kept without decoded details<br/>", (long long)sqlite3_column_int64(st, 21));
        P("<span class=\"dim\">sha256 <code>");
        E(h, col_text(st, 16));
        P("</code></span></td></tr>\n");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ps_report_db_error(h->s, err);
    P("</tbody>\n</table>\n");
    if (!n)
        P("<p>The database holds no trace.</p>\n");
    return 0;
}

/* When the creations happened: per trace, a histogram of the creations over
 * its time span (WHEN_BINS bars), bars holding a hijacked launch or one with
 * findings in red. */
#define WHEN_BINS 200

static int when_strip(html *h, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;
    int64_t trace = 0;
    bool open = false;

    if (sqlite3_prepare_v2(ps_store_db(h->s),
                           "SELECT trace_id, bin, n, flagged, max(n) OVER (PARTITION BY trace_id), lo, hi, basis FROM ("
                           " SELECT c.trace_id, min(" PS_STR(WHEN_BINS) " - 1, max(0, (c.create_ts - t.first_ts) * "
                           PS_STR(WHEN_BINS) " / max(t.last_ts - t.first_ts, 1))) AS bin, count(*) AS n, "
                           " sum(c.requested_image IS NOT c.image_path OR EXISTS (SELECT 1 FROM findings f "
                           "  WHERE f.creation_id = c.creation_id)) AS flagged, min(c.create_ts) AS lo, "
                           " max(c.create_ts) AS hi, t.time_basis AS basis "
                           " FROM creations c JOIN traces t USING (trace_id) "
                           " WHERE (?1 = 0 OR c.trace_id = ?1) AND c.create_ts IS NOT NULL "
                           " AND t.first_ts IS NOT NULL AND t.last_ts IS NOT NULL "
                           " GROUP BY c.trace_id, bin) ORDER BY trace_id, bin",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(h->s, err);
    sqlite3_bind_int64(st, 1, h->o->trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t n = sqlite3_column_int64(st, 2), flagged = sqlite3_column_int64(st, 3);
        int64_t mx = sqlite3_column_int64(st, 4);
        int bin = sqlite3_column_int(st, 1);
        const char *basis = col_text(st, 7) ? col_text(st, 7) : "utc";
        double hgt = mx > 0 ? 20.0 * (double)n / (double)mx : 0;
        char a[64], b[64];

        if (!open || sqlite3_column_int64(st, 0) != trace) {
            if (open)
                P("</svg>\n");
            else
                P("<h3>When the creations happened</h3>\n<p class=\"note\">Creations over each trace's time "
                  "span, %d bars from its first to its last event; red: a bar that holds a hijacked launch or one "
                  "with findings. Hover over a bar for its count and times.</p>\n",
                  WHEN_BINS);
            trace = sqlite3_column_int64(st, 0);
            P("<p class=\"dim\">trace #%lld</p>\n<svg class=\"when\" role=\"img\" aria-label=\"creations of trace "
              "%lld over its time span\">",
              (long long)trace, (long long)trace);
            open = true;
        }
        if (hgt < 2)
            hgt = 2;
        ps_format_ts(basis, sqlite3_column_int64(st, 5), a, sizeof a);
        ps_format_ts(basis, sqlite3_column_int64(st, 6), b, sizeof b);
        P("<g><title>%lld creation%s", (long long)n, n == 1 ? "" : "s");
        if (flagged)
            P(", %lld hijacked or with findings", (long long)flagged);
        P("&#10;%s", a);
        if (n > 1)
            P(" \xe2\x80\x93 %s", b);
        P("</title><rect x=\"%.2f%%\" y=\"%.1f\" width=\"%.2f%%\" height=\"%.1f\" class=\"%s\"/></g>",
          100.0 * bin / WHEN_BINS, flagged ? 0 : 22 - hgt, 100.0 / WHEN_BINS, flagged ? 22 : hgt,
          flagged ? "flag" : "tick");
    }
    if (open)
        P("</svg>\n");
    sqlite3_finalize(st);
    P("</section>\n");
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(h->s, err);
}

/* ---- findings ------------------------------------------------------------------------ */

/* "T1546.012, T1546.008" -> links to attack.mitre.org for well-formed ids */
static void techniques(html *h, const char *t)
{
    const char *p = t;
    bool first = true;

    if (!t || !*t) {
        P("<span class=\"dim\">-</span>");
        return;
    }
    while (*p) {
        const char *q = p;
        size_t len;
        char id[16];
        while (*q && *q != ',')
            q++;
        while (p < q && *p == ' ')
            p++;
        len = (size_t)(q - p);
        while (len && p[len - 1] == ' ')
            len--;
        if (!first)
            P(", ");
        first = false;
        if ((len == 5 || len == 9) && p[0] == 'T' && strspn(p + 1, "0123456789") >= 4 &&
            (len == 5 || (p[5] == '.' && strspn(p + 6, "0123456789") >= 3))) {
            memcpy(id, p, len);
            id[len] = '\0';
            if (len == 9)
                id[5] = '/';
            P("<a href=\"https://attack.mitre.org/techniques/%s/\" rel=\"noreferrer noopener\">", id);
            id[5] = len == 9 ? '.' : id[5];
            P("%s</a>", id);
        } else {
            ps_html_putn(h->f, p, len);
        }
        p = *q ? q + 1 : q;
    }
}

static int finding_evidence(html *h, sqlite3_stmt *kv, sqlite3_stmt *evs, int64_t finding_id, const char *basis)
{
    int rc;

    /* the evidence object's plain values */
    sqlite3_bind_int64(kv, 1, finding_id);
    while ((rc = sqlite3_step(kv)) == SQLITE_ROW) {
        P("<b>");
        E(h, col_text(kv, 0));
        P(":</b> <code>");
        E(h, col_text(kv, 1));
        P("</code><br/>");
    }
    sqlite3_reset(kv);
    if (rc != SQLITE_DONE)
        return -1;
    /* the evidence events */
    sqlite3_bind_int64(evs, 1, finding_id);
    P("<ul class=\"ev\">");
    while ((rc = sqlite3_step(evs)) == SQLITE_ROW) {
        char ts[64] = "?";
        if (sqlite3_column_type(evs, 2) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(evs, 2), ts, sizeof ts);
        P("<li>event %lld", (long long)sqlite3_column_int64(evs, 0));
        if (col_text(evs, 1)) {
            P(" <span class=\"dim\">(");
            E(h, col_text(evs, 1));
            P(")</span>");
        }
        P(": %s ", ts);
        E_or(h, col_text(evs, 3), "?");
        if (sqlite3_column_type(evs, 4) != SQLITE_NULL)
            P(" (%lld)", (long long)sqlite3_column_int64(evs, 4));
        P(" <b>");
        E(h, col_text(evs, 5));
        P("</b> <code>");
        E(h, col_text(evs, 6));
        P("</code> ");
        E(h, col_text(evs, 7));
        P("</li>");
    }
    P("</ul>");
    sqlite3_reset(evs);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int findings(html *h, ps_error *err)
{
    sqlite3_stmt *st = NULL, *kv = NULL, *evs = NULL;
    int rc, n = 0;

    P("<section id=\"findings\">\n<h2>Findings</h2>\n");
    if (sqlite3_prepare_v2(ps_store_db(h->s),
                           "SELECT f.finding_id, f.severity, f.rule_id, f.title, f.technique, f.creation_id, "
                           "c.requested_image, c.image_path, c.parent_pid, c.child_pid, t.time_basis, "
                           "(SELECT p.process_name FROM processes p WHERE p.process_id = c.creator_process_id), "
                           "f.trace_id "
                           "FROM findings f JOIN traces t ON t.trace_id = f.trace_id "
                           "LEFT JOIN creations c ON c.creation_id = f.creation_id "
                           "WHERE ?1 = 0 OR f.trace_id = ?1 "
                           "ORDER BY (CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 "
                           "WHEN 'low' THEN 3 ELSE 4 END), f.trace_id, f.finding_id",
                           -1, &st, NULL) != SQLITE_OK ||
        /* the evidence's plain values, the fields the rule matched, then
         * the record's fields that say what happened (as the text does) */
        sqlite3_prepare_v2(ps_store_db(h->s),
                           "SELECT j.key, j.value FROM findings f, json_each(CASE WHEN json_valid(f.evidence) "
                           "AND json_type(f.evidence) = 'object' THEN f.evidence ELSE '{}' END) j "
                           "WHERE f.finding_id = ?1 AND j.type NOT IN ('object', 'array', 'null') "
                           "UNION ALL SELECT j.key, j.value FROM findings f, json_each(CASE WHEN json_valid(f.evidence) "
                           "AND json_type(f.evidence, '$.fields') = 'object' THEN json_extract(f.evidence, '$.fields') "
                           "ELSE '{}' END) j WHERE f.finding_id = ?1 AND j.type NOT IN ('object', 'array', 'null') "
                           "UNION ALL SELECT v.value ->> 0, v.value ->> 1 FROM findings f "
                           "JOIN event_field_sets s ON s.event_id = f.event_id, json_each(s.fields) v "
                           "WHERE f.finding_id = ?1 AND (v.value ->> 0) IN " PS_REPORT_DETAIL_FIELDS " "
                           "AND (v.value ->> 0) NOT IN (SELECT k.key FROM json_each(CASE WHEN json_valid(f.evidence) "
                           "AND json_type(f.evidence, '$.fields') = 'object' THEN json_extract(f.evidence, '$.fields') "
                           "ELSE '{}' END) k)",
                           -1, &kv, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ps_store_db(h->s),
                           "SELECT e.event_id, json_extract(j.value, '$.role'), e.ts, p.process_name, e.pid, "
                           "e.operation, e.path, e.result "
                           "FROM findings f, json_each(CASE WHEN json_valid(f.evidence) AND "
                           "json_type(f.evidence, '$.events') = 'array' THEN json_extract(f.evidence, '$.events') "
                           "ELSE '[]' END) j JOIN events e ON e.event_id = json_extract(j.value, '$.event_id') "
                           "LEFT JOIN processes p ON p.process_id = e.process_id "
                           "WHERE f.finding_id = ?1 ORDER BY j.key",
                           -1, &evs, NULL) != SQLITE_OK) {
        rc = ps_report_db_error(h->s, err);
        goto out;
    }
    sqlite3_bind_int64(st, 1, h->o->trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *sev = col_text(st, 1), *req = col_text(st, 6), *img = col_text(st, 7);
        if (!n++)
            P("<table>\n<thead><tr><th>severity</th><th>finding</th><th>ATT&amp;CK</th><th>creation</th>"
              "<th>evidence</th></tr></thead>\n<tbody>\n");
        P("<tr id=\"f%lld\"><td><span class=\"sev sev-%s\">", (long long)sqlite3_column_int64(st, 0),
          sev_class(sev));
        E(h, sev);
        P("</span></td><td><b>");
        E(h, col_text(st, 3));
        P("</b><br/><code>");
        E(h, col_text(st, 2));
        P("</code></td><td>");
        techniques(h, col_text(st, 4));
        P("</td><td>");
        if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
            P("<a href=\"#c%lld\">#%lld</a> ", (long long)sqlite3_column_int64(st, 5),
              (long long)sqlite3_column_int64(st, 5));
            E_or(h, col_text(st, 11), "?");
            if (sqlite3_column_type(st, 8) != SQLITE_NULL)
                P(" (%lld)", (long long)sqlite3_column_int64(st, 8));
            P(" \xe2\x86\x92 ");
            E_or(h, img ? ps_path_basename(img) : NULL, "?");
            if (sqlite3_column_type(st, 9) != SQLITE_NULL)
                P(" (%lld)", (long long)sqlite3_column_int64(st, 9));
            if (req && img && strcmp(req, img) != 0) {
                P("<br/><span class=\"hj\">requested <code>");
                E(h, req);
                P("</code>, ran <code>");
                E(h, img);
                P("</code></span>");
            }
        } else {
            P("<span class=\"dim\">no creation (trace #%lld)</span>", (long long)sqlite3_column_int64(st, 12));
        }
        P("</td><td>");
        if (finding_evidence(h, kv, evs, sqlite3_column_int64(st, 0), col_text(st, 10) ? col_text(st, 10) : "utc") <
            0) {
            rc = ps_report_db_error(h->s, err);
            goto out;
        }
        P("</td></tr>\n");
    }
    if (rc != SQLITE_DONE) {
        rc = ps_report_db_error(h->s, err);
        goto out;
    }
    if (n)
        P("</tbody>\n</table>\n");
    else
        P("<p>No findings.</p>\n");
    P("</section>\n");
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_finalize(kv);
    sqlite3_finalize(evs);
    return rc;
}

/* ---- timeline ------------------------------------------------------------------------ */

typedef struct tl_stage {
    bool has_start, has_end, has_dur;
    int64_t start, end, dur;
    const char *conf;            /* "observed", "inferred", "missing" */
    bool has_sev, has_eev;
    int64_t sev, eev;            /* evidence event ids */
    char sop[64], eop[64];       /* their operations */
} tl_stage;

/* nice axis maximum: 1, 2, 2.5 or 5 times a power of ten, at least v */
static double nice_max(double v)
{
    double p = 1e-4;
    static const double m[] = {1, 2, 2.5, 5};
    size_t i;
    if (v <= 0)
        return 1;
    while (p * 10 < v)
        p *= 10;
    for (i = 0; i < PS_ARRAY_LEN(m); i++)
        if (m[i] * p >= v)
            return m[i] * p;
    return 10 * p;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The shared axis: the longest creation, or (when a few are far longer than
 * the rest) 1.25 times the 95th percentile, the longer ones clipped. */
static int axis_max(html *h, double *max_ms, int64_t *clipped, ps_error *err)
{
    sqlite3_stmt *st;
    int64_t *v = NULL;
    size_t n = 0, cap = 0;
    int rc;

    *max_ms = 1;
    *clipped = 0;
    if (sqlite3_prepare_v2(ps_store_db(h->s),
                           "SELECT max(coalesce(s.end_ts, s.start_ts)) - min(coalesce(s.start_ts, s.end_ts)) "
                           "FROM stages s JOIN creations c USING (creation_id) WHERE (?1 = 0 OR c.trace_id = ?1) "
                           "GROUP BY s.creation_id HAVING count(s.start_ts) + count(s.end_ts) > 0",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(h->s, err);
    sqlite3_bind_int64(st, 1, h->o->trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            int64_t *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                free(v);
                sqlite3_finalize(st);
                return ps_error_nomem(err);
            }
            v = nv;
            cap = nc;
        }
        v[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(v);
        return ps_report_db_error(h->s, err);
    }
    if (n) {
        int64_t mx, p95;
        size_t i;
        qsort(v, n, sizeof *v, cmp_i64);
        mx = v[n - 1];
        p95 = v[(95 * n + 99) / 100 - 1];
        if (n >= 20 && mx > 4 * p95 && p95 > 0) {
            *max_ms = nice_max(1.25 * (double)p95 / 10000.0);
            for (i = 0; i < n; i++)
                if ((double)v[i] / 10000.0 > *max_ms)
                    (*clipped)++;
        } else {
            *max_ms = nice_max((double)mx / 10000.0);
        }
    }
    free(v);
    return 0;
}

static void axis_svg(html *h, double max_ms)
{
    int i;
    P("<svg class=\"axis\" role=\"img\" aria-label=\"time axis, 0 to %g ms\">", max_ms);
    for (i = 0; i <= 5; i++) {
        double x = i * 20.0;
        P("<line x1=\"%g%%\" x2=\"%g%%\" y1=\"12\" y2=\"18\"/>", x < 0.2 ? 0.2 : x > 99.8 ? 99.8 : x,
          x < 0.2 ? 0.2 : x > 99.8 ? 99.8 : x);
        P("<text x=\"%g%%\" y=\"10\" text-anchor=\"%s\">%g ms</text>", x, i == 0 ? "start" : i == 5 ? "end" : "middle",
          max_ms * i / 5);
    }
    P("</svg>");
}

/* "event 145 RegQueryValue" or "none" */
static void event_ref(html *h, bool has, int64_t id, const char *op)
{
    if (!has) {
        P("none");
        return;
    }
    P("event %lld", (long long)id);
    if (op[0]) {
        P(" ");
        E(h, op);
    }
}

/* The hover text of a row's bar: every stage with its exact duration,
 * confidence, span and evidence events (one title per row, not per
 * segment: a tenth of the elements in a large report). */
static void stages_title(html *h, const tl_stage st[6], int64_t origin)
{
    char a[40], b[40], d[40];
    int k;

    P("<title>");
    for (k = 0; k < 6; k++) {
        const tl_stage *s = &st[k];
        P("%s%d %s: ", k ? "&#10;" : "", k + 1, ps_stage_name(k + 1));
        if (s->has_dur) {
            ms4(s->dur, d, sizeof d);
            P("%s ms", d);
        } else {
            P("unknown");
        }
        P(" %s", s->conf);
        if (s->has_start && s->has_end) {
            ms4(s->start - origin, a, sizeof a);
            ms4(s->end - origin, b, sizeof b);
            P(", +%s to +%s", a, b);
        }
        if (s->has_sev || s->has_eev) {
            P(", ");
            event_ref(h, s->has_sev, s->sev, s->sop);
            P(" \xe2\x86\x92 ");
            event_ref(h, s->has_eev, s->eev, s->eop);
        }
    }
    P("</title>");
}

static void row_bars(html *h, const tl_stage st[6], double max_ms)
{
    int64_t origin = INT64_MAX;
    double scale;
    int k;
    bool clipped = false;

    for (k = 0; k < 6; k++) {
        if (st[k].has_start && st[k].start < origin)
            origin = st[k].start;
        if (st[k].has_end && st[k].end < origin)
            origin = st[k].end;
    }
    if (origin == INT64_MAX) {
        P("<span class=\"dim\">no stage times in the trace</span>");
        return;
    }
    scale = 100.0 / (max_ms * 10000.0);   /* percent per tick */
    P("<svg class=\"bar\">");
    stages_title(h, st, origin);
    for (k = 0; k < 6; k++) {
        const tl_stage *s = &st[k];
        const char *c = conf_class(s->conf);
        double x, w;
        if (s->has_start && s->has_end && s->end >= s->start && (*c != 'm' || s->end > s->start)) {
            x = (double)(s->start - origin) * scale;
            w = (double)(s->end - s->start) * scale;
            if (x >= 100)
                continue;
            if (x + w > 100) {
                w = 100 - x;
                clipped = true;
            }
            if (w < 0.15)
                w = 0.15;   /* visible even when very short */
            P("<rect x=\"%.3f%%\" width=\"%.3f%%\" height=\"12\" class=\"%s%d\"/>", x, w, *c == 'm' ? "i" : c,
              k + 1);
        } else if (s->has_start || s->has_end) {
            /* missing: a tick where it collapsed */
            x = (double)((s->has_end ? s->end : s->start) - origin) * scale;
            if (x > 99.7)
                x = 99.7;
            P("<rect x=\"%.3f%%\" width=\"2\" height=\"12\" class=\"m\"/>", x);
        }
    }
    if (clipped)   /* the bar goes on past the axis */
        P("<rect x=\"99%%\" y=\"2\" width=\"1%%\" height=\"8\" class=\"clip\"/>");
    P("</svg>");
}

typedef struct flags {
    ps_map sev;                  /* creation_id -> worst severity rank + 1 */
} flags;

static int load_flags(html *h, flags *fl, ps_error *err)
{
    sqlite3_stmt *st;
    int rc;

    ps_map_init(&fl->sev);
    if (sqlite3_prepare_v2(ps_store_db(h->s),
                           "SELECT creation_id, max(CASE severity WHEN 'info' THEN 0 WHEN 'low' THEN 1 "
                           "WHEN 'medium' THEN 2 WHEN 'high' THEN 3 WHEN 'critical' THEN 4 ELSE 0 END) "
                           "FROM findings WHERE creation_id IS NOT NULL GROUP BY creation_id",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(h->s, err);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (ps_map_put(&fl->sev, (uint64_t)sqlite3_column_int64(st, 0), (uint64_t)sqlite3_column_int(st, 1) + 1) <
            0) {
            sqlite3_finalize(st);
            return ps_error_nomem(err);
        }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(h->s, err);
}

static const char *const TL_SQL =
    "SELECT c.creation_id, c.trace_id, c.create_ts, c.status, c.parent_pid, c.child_pid, "
    "coalesce(cp.process_name, pp.process_name, "
    "  (SELECT p.process_name FROM processes p WHERE p.trace_id = c.trace_id AND p.pid = c.parent_pid "
    "   ORDER BY p.start_ts IS NULL DESC, p.process_id LIMIT 1)), "
    "c.image_path, c.requested_image, c.command_line, c.note, t.time_basis "
    "FROM creations c JOIN traces t USING (trace_id) "
    "LEFT JOIN processes cp ON cp.process_id = c.creator_process_id "
    "LEFT JOIN processes ch ON ch.process_id = c.child_process_id "
    "LEFT JOIN processes pp ON pp.process_id = ch.parent_process_id "
    "WHERE ?1 = 0 OR c.trace_id = ?1 ORDER BY c.trace_id, c.create_ts, c.creation_id";

static const char *const TL_STAGE_SQL =
    "SELECT s.stage, s.start_ts, s.end_ts, s.duration, s.confidence, s.start_event_id, s.end_event_id, "
    "(SELECT o.text FROM event_rows e JOIN strings o ON o.string_id = e.operation_id WHERE e.event_id = s.start_event_id), "
    "(SELECT o.text FROM event_rows e JOIN strings o ON o.string_id = e.operation_id WHERE e.event_id = s.end_event_id) "
    /* event_rows, not the events view: a LEFT JOIN to the view makes
     * SQLite materialise all of it, once per creation (docs/performance.md) */
    "FROM stages s WHERE s.creation_id = ?1 ORDER BY s.stage";

static int load_tl_stages(sqlite3_stmt *sst, int64_t cid, tl_stage st[6])
{
    int rc, k;

    memset(st, 0, 6 * sizeof *st);
    for (k = 0; k < 6; k++)
        st[k].conf = "missing";
    sqlite3_bind_int64(sst, 1, cid);
    while ((rc = sqlite3_step(sst)) == SQLITE_ROW) {
        tl_stage *s;
        const char *conf = col_text(sst, 4);
        k = sqlite3_column_int(sst, 0);
        if (k < 1 || k > 6)
            continue;
        s = &st[k - 1];
        s->has_start = sqlite3_column_type(sst, 1) != SQLITE_NULL;
        s->start = sqlite3_column_int64(sst, 1);
        s->has_end = sqlite3_column_type(sst, 2) != SQLITE_NULL;
        s->end = sqlite3_column_int64(sst, 2);
        s->has_dur = sqlite3_column_type(sst, 3) != SQLITE_NULL;
        s->dur = sqlite3_column_int64(sst, 3);
        s->conf = conf && !strcmp(conf, "observed") ? "observed" : conf && !strcmp(conf, "inferred") ? "inferred"
                                                                                                       : "missing";
        s->has_sev = sqlite3_column_type(sst, 5) != SQLITE_NULL;
        s->sev = sqlite3_column_int64(sst, 5);
        s->has_eev = sqlite3_column_type(sst, 6) != SQLITE_NULL;
        s->eev = sqlite3_column_int64(sst, 6);
        ps_strlcpy(s->sop, col_text(sst, 7) ? col_text(sst, 7) : "", sizeof s->sop);
        ps_strlcpy(s->eop, col_text(sst, 8) ? col_text(sst, 8) : "", sizeof s->eop);
    }
    sqlite3_reset(sst);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void tl_legend(html *h, double max_ms, int64_t clipped)
{
    int k;
    P("<p class=\"legend\">");
    for (k = 1; k <= 6; k++)
        P("<span><i class=\"sw c%d\"></i>%d %s</span>", k, k, ps_stage_name(k));
    P("<br/><span><i class=\"sw c1\"></i>observed: an event marks both ends</span>"
      "<span><i class=\"sw swi\"></i>hatched: inferred (a proxy or heuristic)</span>"
      "<span><i class=\"sw swm\"></i>dark tick: missing (collapsed to zero)</span>"
      "<span><i class=\"mk mk-complete\"></i>complete</span><span><i class=\"mk mk-partial\"></i>partial</span>"
      "<span><i class=\"mk mk-failed\"></i>failed</span></p>\n");
    P("<p class=\"note\">One row per creation. The axis is the time since the creation's first known boundary, "
      "0 to %g ms, the same for every row; hover over a segment for its exact duration, confidence and "
      "evidence events.",
      max_ms);
    if (clipped)
        P(" %lld creation%s last longer than the axis and %s cut at its end (the total column has the full time).",
          (long long)clipped, clipped == 1 ? "" : "s", clipped == 1 ? "is" : "are");
    P("</p>\n");
}

static int timeline(html *h, ps_error *err)
{
    sqlite3_stmt *st = NULL, *sst = NULL;
    flags fl;
    double max_ms;
    int64_t clipped, n = 0;
    int rc, k;

    P("<section id=\"timeline\">\n<h2>Timeline</h2>\n");
    if ((rc = axis_max(h, &max_ms, &clipped, err)) < 0)
        return rc;
    if ((rc = load_flags(h, &fl, err)) < 0) {
        ps_map_release(&fl.sev);
        return rc;
    }
    tl_legend(h, max_ms, clipped);
    if (sqlite3_prepare_v2(ps_store_db(h->s), TL_SQL, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(ps_store_db(h->s), TL_STAGE_SQL, -1, &sst, NULL) != SQLITE_OK) {
        rc = ps_report_db_error(h->s, err);
        goto out;
    }
    sqlite3_bind_int64(st, 1, h->o->trace_id);
    P("<div id=\"tl-controls\" hidden=\"hidden\"><input type=\"search\" id=\"tl-filter\" "
      "placeholder=\"filter: image, PID, command line\" aria-label=\"filter the creations\"/> "
      "<label><input type=\"checkbox\" id=\"tl-flagged\"/> only hijacked or with findings</label> "
      "<span id=\"tl-count\" class=\"dim\"></span><br/><span class=\"dim\">sort by stage:</span>");
    for (k = 1; k <= 6; k++)
        P(" <button class=\"sort\" data-sort=\"s%d\" disabled=\"disabled\"><i class=\"sw c%d\"></i>%d</button>", k,
          k, k);
    P(" <span class=\"dim\">(or by a column header; a second click reverses)</span></div>\n");
    P("<div class=\"tl\" role=\"table\" aria-label=\"process creations and their stages\">\n"
      "<div class=\"tl-head\" role=\"row\"><span role=\"columnheader\"><button class=\"sort\" data-sort=\"i\" "
      "disabled=\"disabled\">#</button></span><span role=\"columnheader\"><button class=\"sort\" data-sort=\"i\" "
      "disabled=\"disabled\">created</button></span><span role=\"columnheader\"><button class=\"sort\" "
      "data-sort=\"w\" disabled=\"disabled\">parent \xe2\x86\x92 child</button></span><span role=\"columnheader\">");
    axis_svg(h, max_ms);
    P("</span><span role=\"columnheader\" class=\"num\"><button class=\"sort\" data-sort=\"tot\" "
      "disabled=\"disabled\">total ms</button></span><span role=\"columnheader\"><button class=\"sort\" "
      "data-sort=\"st\" disabled=\"disabled\">status</button></span></div>\n");
    P("<div id=\"tl-body\">\n");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(st, 0), total = 0;
        const char *status = col_text(st, 3), *img = col_text(st, 7), *req = col_text(st, 8);
        const char *parent = col_text(st, 6), *cmd = col_text(st, 9), *note = col_text(st, 10);
        const char *basis = col_text(st, 11) ? col_text(st, 11) : "utc";
        const char *sc = status_class(status);
        bool hijacked = req && img && strcmp(req, img) != 0, any = false;
        uint64_t sev = 0;
        tl_stage stg[6];
        char ts[64] = "-", tot[40];

        if (load_tl_stages(sst, cid, stg) < 0) {
            rc = ps_report_db_error(h->s, err);
            goto out;
        }
        ps_map_get(&fl.sev, (uint64_t)cid, &sev);
        if (n % ROWS_PER_BLOCK == 0)
            P("%s<div class=\"blk\">\n", n ? "</div>\n" : "");
        for (k = 0; k < 6; k++)
            if (stg[k].has_dur && strcmp(stg[k].conf, "missing") != 0) {
                total += stg[k].dur;
                any = true;
            }
        P("<div class=\"row%s\" id=\"c%lld\" role=\"row\" data-i=\"%lld\" data-st=\"%d\"",
          hijacked || sev ? " flag" : "", (long long)cid, (long long)n, !strcmp(sc, "complete") ? 0 : !strcmp(sc, "partial") ? 1 : 2);
        for (k = 0; k < 6; k++)
            if (stg[k].has_dur && strcmp(stg[k].conf, "missing") != 0)
                P(" data-s%d=\"%lld\"", k + 1, (long long)stg[k].dur);
        if (any)
            P(" data-tot=\"%lld\"", (long long)total);
        P(" title=\"");
        E(h, img);
        if (hijacked) {
            P("&#10;requested ");
            E(h, req);
        }
        if (cmd) {
            P("&#10;");
            E(h, cmd);
        }
        if (note) {
            P("&#10;note: ");
            E(h, note);
        }
        P("\">");
        n++;
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            short_ts(basis, sqlite3_column_int64(st, 2), ts, sizeof ts);
        P("<span role=\"cell\" class=\"num\"><a href=\"#c%lld\">%lld</a></span><span role=\"cell\">%s</span>"
          "<span role=\"cell\">",
          (long long)cid, (long long)cid, ts);
        E_or(h, parent, "?");
        if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            P(" (%lld)", (long long)sqlite3_column_int64(st, 4));
        P(" \xe2\x86\x92 ");
        E_or(h, img ? ps_path_basename(img) : NULL, "?");
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            P(" (%lld)", (long long)sqlite3_column_int64(st, 5));
        if (hijacked) {
            P(" <span class=\"hj\">hijacked: requested ");
            E(h, ps_path_basename(req));
            P("</span>");
        }
        if (sev)
            P(" <span class=\"sev sev-%s\">%s</span>", ps_severity_name((int)sev - 1), ps_severity_name((int)sev - 1));
        P("</span><span role=\"cell\">");
        row_bars(h, stg, max_ms);
        if (any)
            ps_format_ms(total, tot, sizeof tot);
        else
            ps_strlcpy(tot, "-", sizeof tot);
        P("</span><span role=\"cell\" class=\"num\">%s</span><span role=\"cell\"><i class=\"mk mk-%s\"></i>", tot,
          sc);
        E(h, status);
        P("</span></div>\n");
    }
    if (rc != SQLITE_DONE) {
        rc = ps_report_db_error(h->s, err);
        goto out;
    }
    if (n)
        P("</div>\n");
    P("</div>\n</div>\n");
    if (!n)
        P("<p>No process creation in the model.</p>\n");
    P("</section>\n");
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_finalize(sst);
    ps_map_release(&fl.sev);
    return rc;
}

/* ---- process tree ------------------------------------------------------------------ */

typedef struct tree_ctx {
    html *h;
    size_t open;                 /* <li> levels open, + 1 when a list is open */
    int64_t trace;
    bool any;
} tree_ctx;

static void tree_close(tree_ctx *c)
{
    html *h = c->h;
    if (!c->open)
        return;
    P("</li>");
    while (--c->open)
        P("</ul></li>");
    P("</ul></details>\n");
}

static int tree_visit(void *ctx, const ps_tree *t, size_t x, size_t depth, const bool *last)
{
    tree_ctx *c = ctx;
    html *h = c->h;
    const ps_tree_node *nd = &t->v[x];
    const ps_tree_trace *tr = ps_tree_trace_of(t, nd);
    size_t d = depth > TREE_MAX_DEPTH ? TREE_MAX_DEPTH : depth;
    char a[64], b[64];

    (void)last;
    c->any = true;
    if (depth == 0 && nd->trace_id != c->trace) {
        size_t count = 0, i;
        tree_close(c);
        for (i = 0; i < t->n; i++)
            if (t->v[i].trace_id == nd->trace_id)
                count++;
        P("<details class=\"trace-tree\"%s><summary>trace #%lld <code>", count <= TREE_FOLD_NODES ? " open=\"open\"" : "",
          (long long)nd->trace_id);
        E(h, tr->path);
        P("</code> <span class=\"dim\">(%zu nodes)</span></summary>\n<ul class=\"tree\"><li>", count);
        c->trace = nd->trace_id;
        c->open = 1;
    } else if (d + 1 > c->open) {
        P("<ul><li>");
        c->open++;
    } else {
        P("</li>");
        while (c->open > d + 1) {
            P("</ul></li>");
            c->open--;
        }
        P("<li>");
    }
    if (nd->kind == PS_TREE_PROCESS)
        P("<span id=\"p%lld\"></span>", (long long)nd->process_id);
    if (depth > TREE_MAX_DEPTH)
        P("<span class=\"dim\">[depth %zu] </span>", depth);
    if (nd->kind == PS_TREE_ABSENT_PARENT) {
        P("<span class=\"absent\">PID %lld: parent not identified in the trace</span>", (long long)nd->pid);
        return 0;
    }
    if (nd->image_path) {
        P("<span class=\"pn\" title=\"");
        E(h, nd->image_path);
        P("\">");
    } else {
        P("<span class=\"pn\">");
    }
    E_or(h, nd->name, "?");
    P("</span>");
    if (nd->has_pid)
        P(" (%lld)", (long long)nd->pid);
    if (nd->creation_id)
        P(" <a href=\"#c%lld\">#%lld</a>", (long long)nd->creation_id, (long long)nd->creation_id);
    if (nd->kind == PS_TREE_NO_PROCESS) {
        P(" <span class=\"warn\">no process");
        if (nd->status && !strcmp(nd->status, "failed")) {
            P(": the creation failed");
            if (nd->result) {
                P(" with ");
                E(h, nd->result);
            }
        }
        P("</span>");
        if (nd->has_create) {
            ps_tree_format_ts(tr, nd->create_ts, a, sizeof a);
            P(" <span class=\"dim\">%s</span>", a);
        }
    } else {
        ps_tree_node_span(t, nd, a, b, sizeof a);
        P(" <span class=\"dim\">%s \xe2\x80\x93 %s", a, b);
        if (nd->has_end && nd->has_exit)
            P(", exit %lld", (long long)nd->exit_status);
        P("</span>");
        if (nd->status && strcmp(nd->status, "complete") != 0) {
            P(" <span class=\"warn\">");
            E(h, nd->status);
            P("</span>");
        }
    }
    if (nd->hijacked) {
        P(" <span class=\"hj\">hijacked: requested <code>");
        E(h, nd->requested_image);
        P("</code></span>");
    }
    if (nd->parent_by_pid)
        P(" <span class=\"dim\">(parent matched by PID)</span>");
    if (nd->max_severity >= 0) {
        P(" <span class=\"sev sev-%s\">%s ", ps_severity_name(nd->max_severity), ps_severity_name(nd->max_severity));
        E(h, nd->rules);
        P("</span>");
    }
    if (nd->command_line || nd->image_path) {
        P("<br/><code>");
        E(h, nd->command_line ? nd->command_line : nd->image_path);
        P("</code>");
    }
    return 0;
}

static int tree(html *h, ps_error *err)
{
    ps_tree t;
    tree_ctx c;
    int rc;

    P("<section id=\"tree\">\n<h2>Process tree</h2>\n<p class=\"note\">Every process under its recorded parent, "
      "with its creation (#N, a link to the timeline), start and end times and command line. A parent the trace "
      "does not identify is shown by its PID.</p>\n");
    if ((rc = ps_tree_load(h->s, h->o->trace_id, &t, err)) < 0)
        return rc;
    memset(&c, 0, sizeof c);
    c.h = h;
    rc = ps_tree_walk(&t, tree_visit, &c);
    tree_close(&c);
    ps_tree_release(&t);
    if (rc < 0)
        return ps_error_nomem(err);
    if (!c.any)
        P("<p>No process in the model.</p>\n");
    P("</section>\n");
    return 0;
}

/* ---- statistics -------------------------------------------------------------------- */

static int stats_row(void *ctx, const ps_image_stats *is)
{
    html *h = ctx;
    int k;

    for (k = 0; k < 6; k++) {
        char a[32], b[32], c[32];
        P("<tr>");
        if (k == 0) {
            P("<td rowspan=\"6\"><b>");
            E(h, is->image);
            P("</b></td><td rowspan=\"6\" class=\"num\">%zu</td>", is->count);
        }
        P("<td><i class=\"sw c%d\"></i>%d %s</td><td class=\"num\">%zu</td>", k + 1, k + 1, ps_stage_name(k + 1),
          is->n[k]);
        if (is->n[k]) {
            ps_format_ms(is->p50[k], a, sizeof a);
            ps_format_ms(is->p95[k], b, sizeof b);
            ps_format_ms(is->max[k], c, sizeof c);
            P("<td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n", a, b, c);
        } else {
            P("<td class=\"num\">-</td><td class=\"num\">-</td><td class=\"num\">-</td></tr>\n");
        }
    }
    return 0;
}

/* bin of a duration: 0 for <= 1 us, 1..HIST_BINS-2 four per decade, last for >= 10 s */
static int hist_bin(int64_t ticks)
{
    double us = (double)ticks / 10.0, lg;
    int b;
    if (us <= 1)
        return 0;
    lg = 0;
    while (us >= 10) {
        us /= 10;
        lg += 1;
    }
    /* lg + log10(us) with us in [1, 10): quarter decades by thresholds */
    b = 1 + (int)lg * 4 + (us >= 1.778) + (us >= 3.162) + (us >= 5.623);
    return b > HIST_BINS - 1 ? HIST_BINS - 1 : b;
}

static void bin_label(int b, char *buf, size_t cap)
{
    static const char *const dec[] = {"1 \xc2\xb5s", "10 \xc2\xb5s", "100 \xc2\xb5s", "1 ms", "10 ms", "100 ms",
                                      "1 s", "10 s"};
    if (b == 0)
        snprintf(buf, cap, "up to 1 \xc2\xb5s");
    else if (b == HIST_BINS - 1)
        snprintf(buf, cap, "10 s or more");
    else
        snprintf(buf, cap, "%s + %d/4 decade", dec[(b - 1) / 4], (b - 1) % 4);
}

static int histograms(html *h, ps_error *err)
{
    sqlite3_stmt *st;
    int64_t obs[6][HIST_BINS], inf[6][HIST_BINS];
    int rc, k, b;

    memset(obs, 0, sizeof obs);
    memset(inf, 0, sizeof inf);
    if (sqlite3_prepare_v2(ps_store_db(h->s),
                           "SELECT s.stage, s.duration, s.confidence FROM stages s JOIN creations c "
                           "USING (creation_id) WHERE (?1 = 0 OR c.trace_id = ?1) AND c.status <> 'failed' "
                           "AND s.duration IS NOT NULL AND s.confidence IN ('observed', 'inferred')",
                           -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(h->s, err);
    sqlite3_bind_int64(st, 1, h->o->trace_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        k = sqlite3_column_int(st, 0);
        if (k < 1 || k > 6)
            continue;
        b = hist_bin(sqlite3_column_int64(st, 1));
        if (col_text(st, 2) && !strcmp(col_text(st, 2), "observed"))
            obs[k - 1][b]++;
        else
            inf[k - 1][b]++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ps_report_db_error(h->s, err);
    P("<h3>Distribution per stage</h3>\n<p class=\"note\">Durations of the measured stages of all creations "
      "(failed ones left out) on a logarithmic axis, four bars per decade from 1 \xc2\xb5s to 10 s; "
      "hatched: inferred.</p>\n");
    for (k = 0; k < 6; k++) {
        int64_t mx = 0;
        const int W = 320, H = 110, top = 6, base = 90, bw = W / HIST_BINS;
        for (b = 0; b < HIST_BINS; b++)
            if (obs[k][b] + inf[k][b] > mx)
                mx = obs[k][b] + inf[k][b];
        P("<div class=\"hist\"><b><i class=\"sw c%d\"></i>%d %s</b>"
          "<svg width=\"%d\" height=\"%d\" role=\"img\" aria-label=\"histogram of %s durations\">",
          k + 1, k + 1, ps_stage_name(k + 1), W, H, ps_stage_name(k + 1));
        P("<line x1=\"0\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#999\"/>", W, base, base);
        for (b = 0; b < HIST_BINS; b++) {
            int64_t tot = obs[k][b] + inf[k][b];
            double ho, hi;
            char lab[48];
            if (!tot)
                continue;
            ho = (double)(base - top) * (double)obs[k][b] / (double)mx;
            hi = (double)(base - top) * (double)inf[k][b] / (double)mx;
            bin_label(b, lab, sizeof lab);
            P("<g><title>%s: %lld observed, %lld inferred</title>", lab, (long long)obs[k][b], (long long)inf[k][b]);
            if (obs[k][b])
                P("<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" class=\"o%d\"/>", b * bw + 1, base - ho,
                  bw - 2, ho, k + 1);
            if (inf[k][b])
                P("<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" class=\"i%d\"/>", b * bw + 1,
                  base - ho - hi, bw - 2, hi, k + 1);
            P("</g>");
        }
        {
            static const char *const ticks[] = {"1\xc2\xb5s", "10\xc2\xb5s", "100\xc2\xb5s", "1ms",
                                                "10ms", "100ms", "1s", "10s"};
            int i;
            for (i = 0; i < 8; i++)
                P("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", (1 + 4 * i) * bw, base + 14, ticks[i]);
        }
        P("<text x=\"%d\" y=\"10\" text-anchor=\"end\">tallest bar: %lld</text></svg></div>\n", W - 2, (long long)mx);
    }
    return 0;
}

static int stats(html *h, ps_error *err)
{
    int rc;

    P("<section id=\"stats\">\n<h2>Statistics</h2>\n<h3>Per image</h3>\n<p class=\"note\">Milliseconds over the "
      "observed and inferred stages (missing ones are not measurements); failed creations left out; n is the "
      "number of creations with a measured stage.</p>\n");
    P("<table>\n<thead><tr><th>image</th><th class=\"num\">creations</th><th>stage</th><th class=\"num\">n</th>"
      "<th class=\"num\">p50</th><th class=\"num\">p95</th><th class=\"num\">max</th></tr></thead>\n<tbody>\n");
    if ((rc = ps_report_each_image(h->s, h->o, stats_row, h, err)) < 0)
        return rc;
    P("</tbody>\n</table>\n");
    if ((rc = histograms(h, err)) < 0)
        return rc;
    P("</section>\n");
    return 0;
}

int ps_report_html(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    html hh, *h = &hh;
    int rc;

    hh.f = o->out;
    hh.s = s;
    hh.o = o;
    if ((rc = page_head(h, err)) < 0 || (rc = summary(h, err)) < 0 || (rc = when_strip(h, err)) < 0 ||
        (rc = findings(h, err)) < 0 || (rc = timeline(h, err)) < 0 || (rc = tree(h, err)) < 0 ||
        (rc = stats(h, err)) < 0)
        return rc;
    page_tail(h);
    return 0;
}
