/* source/scan.c, source/stage_map.c, source/attribute.c: the scanner on
 * the WRK- and ReactOS-style fixtures (exact functions, parameters, calls,
 * tags), bad input, the stage map and stack attribution. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "source/attribute.h"
#include "source/scan.h"
#include "source/catalogue.h"
#include "source/stage_map.h"
#include "model/store.h"
#include "tap.h"

/* ---- a copy of what the scanner reports ------------------------------------------ */

typedef struct cparam {
    char *name, *type, *annotation, *doc;
    ps_src_dir dir;
    bool optional;
} cparam;

typedef struct cfn {
    char *name, *description, *returns, *remarks, *status, *doc_style, *stage_label, *stage_attrs, *note;
    char *calls;        /* "A@12,B@13[2]" */
    char *tags;         /* "line 2 211-211 label|attrs;" */
    ps_src_kind kind;
    uint32_t line_start, line_end;
    int stage;
    cparam params[32];
    size_t nparams;
} cfn;

typedef struct got {
    cfn fns[64];
    size_t n;
    char warnings[8192];
    int nwarn;
    char file_tags[512];
    char lines[1024];
    int nlines;
} got;

static char *dup0(const char *s)
{
    return s ? ps_strdup(s) : NULL;
}

static int on_fn(void *ctx, const ps_src_function *f, ps_error *err)
{
    got *g = ctx;
    cfn *c;
    ps_buf b;
    size_t i;
    (void)err;
    if (g->n == PS_ARRAY_LEN(g->fns))
        return 0;
    c = &g->fns[g->n++];
    memset(c, 0, sizeof *c);
    c->name = dup0(f->name);
    c->description = dup0(f->description);
    c->returns = dup0(f->returns);
    c->remarks = dup0(f->remarks);
    c->status = dup0(f->status);
    c->doc_style = dup0(f->doc_style);
    c->stage_label = dup0(f->stage_label);
    c->stage_attrs = dup0(f->stage_attrs);
    c->note = dup0(f->note);
    c->kind = f->kind;
    c->line_start = f->line_start;
    c->line_end = f->line_end;
    c->stage = f->stage;
    for (i = 0; i < f->nparams && i < PS_ARRAY_LEN(c->params); i++) {
        c->params[i].name = dup0(f->params[i].name);
        c->params[i].type = dup0(f->params[i].type);
        c->params[i].annotation = dup0(f->params[i].annotation);
        c->params[i].doc = dup0(f->params[i].doc);
        c->params[i].dir = f->params[i].dir;
        c->params[i].optional = f->params[i].optional;
        c->nparams++;
    }
    ps_buf_init(&b);
    for (i = 0; i < f->ncalls; i++) {
        ps_buf_printf(&b, "%s%s@%u", i ? "," : "", f->calls[i].callee, f->calls[i].line);
        if (f->calls[i].stage)
            ps_buf_printf(&b, "[%d]", f->calls[i].stage);
    }
    c->calls = ps_strdup(ps_buf_cstr(&b));
    ps_buf_reset(&b);
    for (i = 0; i < f->ntags; i++)
        ps_buf_printf(&b, "%s %d %u-%u %s|%s;", f->tags[i].kind, f->tags[i].stage, f->tags[i].line_start,
                      f->tags[i].line_end, f->tags[i].label ? f->tags[i].label : "", f->tags[i].attrs ? f->tags[i].attrs : "");
    c->tags = ps_strdup(ps_buf_cstr(&b));
    ps_buf_release(&b);
    return 0;
}

static int on_tag(void *ctx, const ps_src_tag *t, ps_error *err)
{
    got *g = ctx;
    size_t n = strlen(g->file_tags);
    (void)err;
    snprintf(g->file_tags + n, sizeof g->file_tags - n, "%s %d %u-%u %s;", t->kind, t->stage, t->line_start,
             t->line_end, t->label ? t->label : "");
    return 0;
}

static int on_line(void *ctx, const ps_src_line *l, ps_error *err)
{
    got *g = ctx;
    size_t n = strlen(g->lines);
    (void)err;
    g->nlines++;
    if (l->commentary || !l->code)
        snprintf(g->lines + n, sizeof g->lines - n, "%u:%s|%s;", l->line, l->code ? l->code : "-",
                 l->commentary ? l->commentary : "");
    return 0;
}

static void on_warn(void *ctx, const char *msg)
{
    got *g = ctx;
    size_t n = strlen(g->warnings);
    g->nwarn++;
    snprintf(g->warnings + n, sizeof g->warnings - n, "%s\n", msg);
}

static void got_free(got *g)
{
    size_t i, k;
    for (i = 0; i < g->n; i++) {
        cfn *c = &g->fns[i];
        free(c->name);
        free(c->description);
        free(c->returns);
        free(c->remarks);
        free(c->status);
        free(c->doc_style);
        free(c->stage_label);
        free(c->stage_attrs);
        free(c->note);
        free(c->calls);
        free(c->tags);
        for (k = 0; k < c->nparams; k++) {
            free(c->params[k].name);
            free(c->params[k].type);
            free(c->params[k].annotation);
            free(c->params[k].doc);
        }
    }
    memset(g, 0, sizeof *g);
}

static const ps_stage_map *the_map(void)
{
    static ps_stage_map m;
    static bool loaded;
    ps_error err;
    if (!loaded && ps_stage_map_load_default(&m, &err) == 0)
        loaded = true;
    return &m;
}

static void opts_for(ps_src_scan_opts *o, got *g)
{
    memset(o, 0, sizeof *o);
    o->map = the_map();
    o->on_function = on_fn;
    o->on_tag = on_tag;
    o->on_line = on_line;
    o->ctx = g;
    o->warn = on_warn;
    o->warn_ctx = g;
}

static int scan_file(const char *path, got *g, ps_src_file_info *info)
{
    ps_src_scan_opts o;
    ps_error err;
    memset(g, 0, sizeof *g);
    opts_for(&o, g);
    return ps_src_scan_file(path, &o, info, &err);
}

static int scan_text(const char *name, const char *text, got *g, ps_src_file_info *info)
{
    ps_src_scan_opts o;
    ps_error err;
    memset(g, 0, sizeof *g);
    opts_for(&o, g);
    return ps_src_scan_text(name, text, strlen(text), &o, info, &err);
}

static const cfn *find(const got *g, const char *name)
{
    size_t i;
    for (i = 0; i < g->n; i++)
        if (g->fns[i].name && !strcmp(g->fns[i].name, name))
            return &g->fns[i];
    return NULL;
}

static const char *top(void)
{
    const char *s = getenv("top_srcdir");
    return s && *s ? s : ".";
}

#define DIR_IS(p, d, opt, ann, what)                                                              \
    do {                                                                                          \
        is_int((p)->dir, d, "%s: direction", what);                                               \
        is_int((p)->optional, opt, "%s: optional", what);                                         \
        is_str((p)->annotation, ann, "%s: annotation as written", what);                          \
    } while (0)

/* ---- the WRK-style fixture (CRLF, SAL 1, IN/OUT/OPTIONAL, try/except, K&R) --------------- */

static void test_wrk(void)
{
    char path[1024];
    got g;
    ps_src_file_info info;
    const cfn *f;
    size_t i;
    static const char *const names[] = {"PspQueryImageName", "NtCreateProcessEx", "PspCreateProcess",
                                        "PspInheritSettings", "PspInheritPriorityClass", "PspReferenceParentToken",
                                        "PspCreateThread", "PspLegacyChecksum"};

    snprintf(path, sizeof path, "%s/fixtures/source/wrk/base/ntos/ps/create.c", top());
    is_int(scan_file(path, &g, &info), 0, "wrk: scanned");
    is_int(info.excerpt, 0, "wrk: not an excerpt");
    is_int(info.lines, 333, "wrk: 333 lines (CRLF)");
    is_int(info.functions, 7, "wrk: 7 definitions");
    is_int(info.prototypes, 1, "wrk: 1 prototype");
    is_int(info.warnings, 0, "wrk: no warnings");
    is_int(g.n, 8, "wrk: 8 functions reported");
    for (i = 0; i < g.n && i < PS_ARRAY_LEN(names); i++)
        is_str(g.fns[i].name, names[i], "wrk: function %zu in file order", i);
    ok(!find(&g, "PspRetiredCreate"), "wrk: the function inside #if 0 is not read");

    f = find(&g, "PspQueryImageName");
    if (f) {
        is_int(f->kind, PS_SRC_PROTOTYPE, "prototype kind");
        is_int(f->nparams, 4, "prototype: 4 parameters");
        DIR_IS(&f->params[1], PS_SRC_DIR_OUT, 0, "__out_bcount(Length)", "__out_bcount(Length)");
        is_str(f->params[1].name, "Buffer", "__out_bcount: name");
        is_str(f->params[1].type, "PWCHAR", "__out_bcount: type");
        DIR_IS(&f->params[3], PS_SRC_DIR_OUT, 1, "__deref_out_opt", "__deref_out_opt");
        is_str(f->params[3].type, "PUNICODE_STRING *", "__deref_out_opt: pointer type");
    }

    f = find(&g, "NtCreateProcessEx");
    if (f) {
        is_int(f->line_start, 48, "NtCreateProcessEx: first line");
        is_int(f->line_end, 118, "NtCreateProcessEx: last line (its closing brace)");
        is_int(f->nparams, 9, "NtCreateProcessEx: 9 parameters");
        DIR_IS(&f->params[0], PS_SRC_DIR_OUT, 0, "__out", "__out ProcessHandle");
        DIR_IS(&f->params[2], PS_SRC_DIR_IN, 1, "__in_opt", "__in_opt ObjectAttributes");
        DIR_IS(&f->params[8], PS_SRC_DIR_IN, 0, "__in", "__in JobMemberLevel");
        is_str(f->params[0].doc, "Receives the handle of the new process.", "Arguments: entry of ProcessHandle");
        is_str(f->params[4].doc, NULL, "Flags has no Arguments: entry");
        is_str(f->description,
               "This routine checks the arguments of the caller and hands the creation of the process object to "
               "PspCreateProcess.",
               "Routine Description between the ')' and the '{'");
        is_str(f->returns, "NTSTATUS - the status of the creation.", "Return Value");
        is_str(f->doc_style, "wrk", "WRK comment block");
        is_str(f->calls, "KeGetPreviousMode@90,ProbeForWriteHandle@93,PspCreateProcess@104",
               "calls in body order, without PAGED_CODE, GetExceptionCode, ARGUMENT_PRESENT, except");
    }

    f = find(&g, "PspCreateProcess");
    if (f) {
        is_int(f->line_start, 120, "PspCreateProcess: first line");
        is_int(f->line_end, 224, "PspCreateProcess: last line despite braces in a string, a char and a comment");
        DIR_IS(&f->params[0], PS_SRC_DIR_OUT, 0, "OUT", "OUT ProcessHandle");
        DIR_IS(&f->params[3], PS_SRC_DIR_IN, 1, "IN OPTIONAL", "IN HANDLE ParentProcess OPTIONAL");
        is_str(f->params[3].name, "ParentProcess", "OPTIONAL after the name");
        is_str(f->remarks, "Environment: Kernel mode, PASSIVE_LEVEL.", "Environment section");
        ok(strstr(f->calls, "PspInheritSettings@190,PspReferenceParentToken@191,MmCreateProcessAddressSpace@193") != NULL,
           "calls keep their lines");
        ok(strstr(f->calls, "KeQuerySystemTime@211[2]") != NULL, "a call on a line with @stage 2 gets stage 2");
        is_str(f->tags, "line 2 211-211 create-time|stamped=EPROCESS.CreateTime;", "the line tag, label and key=value");
        is_int(f->stage, 0, "no function tag");
    }

    f = find(&g, "PspCreateThread");
    if (f) {
        DIR_IS(&f->params[5], PS_SRC_DIR_OUT, 1, "OUT OPTIONAL", "OUT PCLIENT_ID ClientId OPTIONAL");
        ok(strstr(f->calls, "MmCreateTeb@306,KeInitThread@308,KeStartThread@317,ObInsertObject@319") != NULL,
           "PspCreateThread calls");
    }

    f = find(&g, "PspLegacyChecksum");
    if (f) {
        is_int(f->nparams, 2, "K&R: 2 parameters");
        is_str(f->params[0].name, "Buffer", "K&R: name from the identifier list");
        is_str(f->params[0].type, "PUCHAR", "K&R: type from the declaration");
        is_str(f->params[1].type, "ULONG", "K&R: second type");
        is_int(f->params[0].dir, PS_SRC_DIR_NONE, "K&R: no direction");
    }
    got_free(&g);
}

/* ---- the ReactOS-style fixtures (SAL 2, Doxygen, _SEH2, tags and regions) ----------------- */

static void test_reactos(void)
{
    char path[1024];
    got g;
    ps_src_file_info info;
    const cfn *f;

    snprintf(path, sizeof path, "%s/fixtures/source/reactos/dll/win32/kernel32/client/proc.c", top());
    is_int(scan_file(path, &g, &info), 0, "reactos: scanned");
    is_int(info.functions, 5, "reactos: 5 definitions");
    is_int(info.warnings, 0, "reactos: no warnings");

    f = find(&g, "BasepCopyEnvironment");
    if (f) {
        is_str(f->doc_style, "doxygen", "/** block");
        is_str(f->description, "Copies the environment block of the caller into the new process.", "@brief");
        is_str(f->params[1].doc, "The block to copy.", "@param[in] on the next line");
        is_str(f->returns, "STATUS_SUCCESS, or the status of the memory functions.", "@return");
        DIR_IS(&f->params[1], PS_SRC_DIR_IN, 0, "_In_reads_bytes_(Size)", "_In_reads_bytes_(Size)");
        DIR_IS(&f->params[3], PS_SRC_DIR_OUT, 0, "_Outptr_result_maybenull_", "_Outptr_result_maybenull_");
    }
    f = find(&g, "BasepCheckImageSection");
    if (f) {
        is_str(f->status, "implemented", "@implemented");
        is_str(f->description, "Checks that the section of the image is a Win32 image the system can run.",
               "ReactOS free text after @name");
        is_str(f->params[1].doc, "Receives the image information of the section.", "ReactOS @param");
        DIR_IS(&f->params[1], PS_SRC_DIR_OUT, 0, "_Out_", "_Out_");
    }
    f = find(&g, "BasepReleaseHandles");
    if (f) {
        is_str(f->status, "unimplemented", "@unimplemented");
        DIR_IS(&f->params[0], PS_SRC_DIR_IN, 1, "_In_opt_", "_In_opt_");
    }
    f = find(&g, "BasepNotifyCsr");
    if (f) {
        is_int(f->stage, 4, "@stage 4 before the function");
        is_str(f->stage_label, "csr-message", "its label");
        is_str(f->stage_attrs, "server=basesrv", "its key=value");
        is_str(f->remarks, "Called once per process, after the first thread exists.", "@remarks");
        DIR_IS(&f->params[1], PS_SRC_DIR_INOUT, 0, "_Inout_", "_Inout_");
        is_str(f->calls, "UlongToHandle@116,CsrClientCallServer@117,CSR_CREATE_API_NUMBER@119", "calls of BasepNotifyCsr");
    }
    f = find(&g, "CreateProcessInternalW");
    if (f) {
        is_int(f->nparams, 12, "CreateProcessInternalW: 12 parameters");
        DIR_IS(&f->params[2], PS_SRC_DIR_INOUT, 1, "_Inout_opt_", "_Inout_opt_");
        DIR_IS(&f->params[11], PS_SRC_DIR_OUT, 1, "_Outptr_opt_", "_Outptr_opt_");
        is_str(f->calls,
               "NtOpenFile@149[1],NtCreateSection@155[1],BasepCheckImageSection@162[1],BaseSetLastNTError@164[1],"
               "NtCreateProcessEx@170[2],NtCurrentProcess@173[2],BasepReleaseHandles@179[2],"
               "BasepCopyEnvironment@180[2],BaseCreateStack@184[3],BaseInitializeContext@185[3],"
               "NtCreateThread@186[3],BasepReleaseHandles@194[3],BasepNotifyCsr@197,NtResumeThread@201[5]",
               "calls with the stages of their regions and line tags; no _SEH2 macros, no NT_SUCCESS");
        is_str(f->tags,
               "region 1 148-167 open-image|;region 2 169-181 |;region 3 183-195 initial-thread|;line 5 201-201 resume|;",
               "regions and the line tag");
    }
    got_free(&g);

    snprintf(path, sizeof path, "%s/fixtures/source/reactos/dll/ntdll/ldr/ldrinit.c", top());
    is_int(scan_file(path, &g, &info), 0, "ldrinit: scanned");
    is_int(info.functions, 7, "ldrinit: 7 definitions");
    f = find(&g, "LdrpInitializeProcess");
    ok(f && f->stage == 6 && f->stage_label && !strcmp(f->stage_label, "loader"), "a file-level region stages the functions in it");
    f = find(&g, "LdrpRunTlsCallbacks");
    ok(f && f->stage == 6, "the second function in the region");
    f = find(&g, "LdrpQueryProcessFlags");
    ok(f && f->stage == 0, "after @stage-end: no tag");
    f = find(&g, "LdrInitializeThunk");
    ok(f && f->stage == 5 && f->tags && strstr(f->tags, "function 5 "), "@stage 5 before LdrInitializeThunk");
    is_str(g.file_tags, "region 6 10-38 loader;", "the file-level region is reported with its lines");
    got_free(&g);
}

/* ---- bad input -------------------------------------------------------------------------------- */

static void test_bad_input(void)
{
    got g;
    ps_src_file_info info;
    const cfn *f;
    ps_buf b;
    int i;
    char path[1024];

    /* a body that never closes: the next function (its '{' in column 0) is still read */
    is_int(scan_text("open.c",
                     "int first(void)\n{\n    if (x) {\n        a();\n    \n    b();\n}\n\n"
                     "int second(int y)\n{\n    c(y);\n}\n",
                     &g, &info), 0, "unbalanced: scanned");
    is_int(g.n, 2, "unbalanced: both functions");
    f = find(&g, "first");
    ok(f && f->line_end == 8 && f->note && strstr(f->note, "not closed"), "the open body ends before the next function");
    ok(f && !strcmp(f->calls, "a@4,b@6"), "its calls stop there");
    f = find(&g, "second");
    ok(f && f->line_start == 9 && f->line_end == 12 && !strcmp(f->calls, "c@11"), "the next function is intact");
    ok(strstr(g.warnings, "'open.c': line 9: unbalanced braces: the body of first (line 1)") != NULL,
       "the warning names file, line and function");
    got_free(&g);

    is_int(scan_text("tail.c", "void f(void)\n{\n    g();\n", &g, &info), 0, "open at the end: scanned");
    ok(g.n == 1 && g.fns[0].line_end == 3, "a body open at the end of the file ends there");
    ok(strstr(g.warnings, "'tail.c': line 3: unbalanced braces: the body of f") != NULL, "and says so");
    got_free(&g);

    is_int(scan_text("stray.c", "}\nvoid f(void) { g(); }\n", &g, &info), 0, "stray brace: scanned");
    ok(g.n == 1 && strstr(g.warnings, "'stray.c': line 1: unbalanced braces: '}' outside any block"), "stray '}' warned, f read");
    got_free(&g);

    is_int(scan_text("comment.c", "void f(void) { g(); }\n/* never closed\nvoid h(void) { i(); }\n", &g, &info), 0,
           "unterminated comment: scanned");
    ok(strstr(g.warnings, "'comment.c': line 2: unterminated comment") != NULL, "warned with its line");
    ok(find(&g, "h") != NULL, "the code after it is read");
    got_free(&g);

    is_int(scan_text("str.c", "void f(void)\n{\n    g(\"open string);\n}\n\nvoid h(void)\n{\n    i();\n}\n", &g, &info), 0,
           "unterminated string: scanned");
    ok(strstr(g.warnings, "'str.c': line 3: unterminated string literal") != NULL, "warned with its line");
    ok(find(&g, "h") != NULL, "the next line is read");
    got_free(&g);

    /* deep preprocessor nesting and parentheses */
    ps_buf_init(&b);
    for (i = 0; i < 300; i++)
        ps_buf_puts(&b, "#ifdef A\n");
    ps_buf_puts(&b, "void deep(void) { x(");
    for (i = 0; i < 100000; i++)
        ps_buf_putc(&b, '(');
    for (i = 0; i < 100000; i++)
        ps_buf_putc(&b, ')');
    ps_buf_puts(&b, "); }\n");
    for (i = 0; i < 300; i++)
        ps_buf_puts(&b, "#endif\n");
    ps_buf_puts(&b, "void after(void) { y(); }\n");
    is_int(scan_text("deep.c", ps_buf_cstr(&b), &g, &info), 0, "deep nesting: scanned");
    ok(strstr(g.warnings, "'deep.c': line 257: preprocessor conditionals nested deeper than 256") != NULL,
       "deep conditionals warned with the line");
    ok(find(&g, "deep") && find(&g, "after"), "functions inside and after are read");
    got_free(&g);
    ps_buf_reset(&b);

    /* a declaration of absurd length */
    ps_buf_puts(&b, "int");
    for (i = 0; i < 9000; i++)
        ps_buf_puts(&b, " x");
    ps_buf_puts(&b, ";\nvoid ok(void) { z(); }\n");
    is_int(scan_text("long.c", ps_buf_cstr(&b), &g, &info), 0, "long declaration: scanned");
    ok(strstr(g.warnings, "'long.c': line 1: a declaration longer than 8192 tokens") != NULL, "warned");
    ok(find(&g, "ok") != NULL, "the next function is read");
    got_free(&g);
    ps_buf_release(&b);

    /* macro-wrapped return types are no K&R lists; K&R with two pointers */
    is_int(scan_text("knr.c", "API_FUNC(int) f(int, int);\nAPI_FUNC(double) g(double);\n"
                     "int h(a, b)\n    char *a;\n    char *b;\n{\n    x();\n}\n", &g, &info), 0, "K&R: scanned");
    ok(g.n == 3 && find(&g, "f") && find(&g, "g") && find(&g, "f")->kind == PS_SRC_PROTOTYPE, "two prototypes");
    f = find(&g, "h");
    ok(f && f->nparams == 2 && f->params[0].type && !strcmp(f->params[0].type, "char *") && f->params[1].type &&
           !strcmp(f->params[1].type, "char *") && !strcmp(f->calls, "x@7"),
       "a K&R definition with two pointer parameters");
    got_free(&g);

    /* C++ in headers: namespaces are transparent, digit separators are numbers */
    is_int(scan_text("ns.h", "namespace std VIS(default)\n{\nint f(int a)\n{\n    return g(a, 0x1'0000);\n}\n}\n", &g, &info),
           0, "namespace: scanned");
    ok(g.n == 1 && find(&g, "f") && !strcmp(find(&g, "f")->calls, "g@5") && info.warnings == 0,
       "a function in a namespace, no warnings");
    got_free(&g);

    /* a bad tag */
    is_int(scan_text("tag.c", "/* @stage 9 */\nvoid f(void) { g(); /* @stage-end */ }\n", &g, &info), 0, "bad tags: scanned");
    ok(strstr(g.warnings, "'tag.c': line 1: @stage needs a stage 1..6 or a stage name, not '9'") != NULL, "bad stage number");
    ok(strstr(g.warnings, "'tag.c': line 2: @stage-end without @stage-begin") != NULL, "unmatched @stage-end");
    ok(g.n == 1 && g.fns[0].stage == 0, "the function is read without a stage");
    got_free(&g);

    /* binary */
    snprintf(path, sizeof path, "%s/binary.c", tap_tmpdir());
    tap_write_file(path, "int f(void) {\0\1\2\3 }", 20);
    is_int(scan_file(path, &g, &info), 0, "binary: no error");
    ok(info.skipped && g.n == 0 && strstr(g.warnings, "binary file (a NUL byte at offset 13): skipped"), "binary: skipped with a warning");
    unlink(path);
    got_free(&g);
}

/* ---- excerpts ------------------------------------------------------------------------------- */

static void test_excerpt(void)
{
    got g;
    ps_src_file_info info;

    is_int(scan_text("article.txt",
                     "Some words first.\n#010 Status = Foo(a);\nThe call that follows:\n#011 Bar(b); /* @stage 3 */\n"
                     "#012 }\nclosing words\n",
                     &g, &info), 0, "excerpt body: scanned");
    is_int(info.excerpt, 1, "recognised as an excerpt");
    ok(g.n == 1 && g.fns[0].name == NULL && g.fns[0].kind == PS_SRC_EXCERPT, "one unnamed body");
    ok(g.n == 1 && g.fns[0].line_start == 10 && g.fns[0].line_end == 12, "with the original line numbers");
    ok(g.n == 1 && !strcmp(g.fns[0].calls, "Foo@10,Bar@11[3]"), "calls on their original lines, tags work");
    is_int(g.nlines, 4, "three numbered lines and the trailing commentary");
    is_str(g.lines, "10:Status = Foo(a);|Some words first.;11:Bar(b); /* @stage 3 */|The call that follows:;0:-|closing words;",
           "commentary attaches to the line that follows");
    got_free(&g);

    is_int(scan_text("with_header.txt",
                     "#100 NTSTATUS\n#101 Foo(IN HANDLE H)\nbody next\n#102 {\n#103     Bar();\n#104 }\n", &g, &info),
           0, "excerpt with header: scanned");
    ok(g.n == 1 && g.fns[0].name && !strcmp(g.fns[0].name, "Foo") && g.fns[0].line_start == 100 &&
           g.fns[0].line_end == 104 && g.fns[0].kind == PS_SRC_EXCERPT,
       "the header names it");
    got_free(&g);
    ok(!ps_src_is_excerpt("#include <a.h>\n#define X 1\n#if 0\n#endif\n", 38), "preprocessor lines are no excerpt");
}

/* ---- stage map and attribution ----------------------------------------------------------------- */

static ps_frame frame(const char *module, const char *symbol, uint64_t offset)
{
    ps_frame f;
    memset(&f, 0, sizeof f);
    f.module = module;
    f.symbol = symbol;
    f.offset = offset;
    return f;
}

static void test_map_and_attribution(void)
{
    const ps_stage_map *m = the_map();
    const ps_stage_entry *e;
    ps_attr *a = NULL;
    ps_attr_hit hit;
    ps_error err;
    const char *u;
    size_t ul;
    char path[1024];

    ok(m->n > 40, "the built-in map has its entries (%zu)", m->n);
    e = ps_stage_map_first(m, "PspCreateProcess", 16);
    ok(e && e->stage == 2 && e->nidentify == 8, "PspCreateProcess: stage 2 and 8 characteristic callees");
    ok(e && ps_stage_entry_module_ok(m, e, "C:\\Windows\\system32\\ntkrnlpa.exe"), "module aliases (ntkrnlpa.exe)");
    ok(e && !ps_stage_entry_module_ok(m, e, "ntdll.dll"), "another module does not match");
    ok(ps_stage_map_is_stop(m, "PAGED_CODE", 10), "PAGED_CODE is on the stop list");
    is_int(ps_stage_parse("user_init", 9), 6, "stage names parse");
    is_int(ps_stage_parse("7", 1), -1, "7 is no stage");
    ps_symbol_undecorate("_PspCreateProcess@36", 20, &u, &ul);
    ok(ul == 16 && !strncmp(u, "PspCreateProcess", ul), "x86 decorations are removed");

    ps_attr_new(m, &a, &err);
    {
        ps_frame f[] = {frame("ntoskrnl.exe", "ObCreateObject", 0x40), frame("ntoskrnl.exe", "_PspCreateProcess@36", 0x120),
                        frame("ntoskrnl.exe", "NtCreateProcessEx", 0x80), frame("kernel32.dll", "CreateProcessInternalW", 0x500)};
        ok(ps_attr_frames(a, f, 4, &hit) && hit.stage == 2 && hit.depth == 1, "innermost mapped frame: PspCreateProcess (2)");
    }
    {
        ps_frame f[] = {frame("ntdll.dll", "CsrClientCallServer", 0x91), frame("kernelbase.dll", "AllocConsole", 0x40)};
        ok(!ps_attr_frames(a, f, 2, &hit), "a generic function without its caller has no stage");
    }
    {
        ps_frame f[] = {frame("ntdll.dll", "CsrClientCallServer", 0x91), frame("kernelbase.dll", "CreateProcessInternalW", 0x40)};
        ok(ps_attr_frames(a, f, 2, &hit) && hit.stage == 4 && hit.depth == 0, "... under CreateProcessInternalW it is stage 4");
    }
    {
        ps_frame f[] = {frame("ntdll.dll", "LdrpInitializeThread", 0x10), frame("ntdll.dll", "LdrInitializeThunk", 0xe)};
        ok(!ps_attr_frames(a, f, 2, &hit), "a stage 0 entry stops the search");
    }
    {
        ps_frame f[] = {frame("evil.dll", "PspCreateProcess", 0x10)};
        ok(!ps_attr_frames(a, f, 1, &hit), "the right name in the wrong module does not count");
    }
    {
        ps_frame f[] = {frame("ntoskrnl.exe", NULL, 0x5a3120), frame("ntoskrnl.exe", "NtCreateUserProcess", 0x76b)};
        ok(ps_attr_frames(a, f, 2, &hit) && hit.stage == 1, "without symbols the raw frame is skipped");
        snprintf(path, sizeof path, "%s/fixtures/source/stacks.sym", top());
        is_int(ps_attr_load_symbols(a, path, &err), 0, "the symbol file loads");
        is_int(ps_attr_symbol_count(a), 2, "two symbols (blanks and commas)");
        ok(ps_attr_frames(a, f, 2, &hit) && hit.stage == 2 && hit.by_symbols && hit.function_len == 18 &&
               !strncmp(hit.function, "PspAllocateProcess", 18),
           "with them it is PspAllocateProcess (2)");
    }
    ps_attr_free(a);
    {
        char bad[1024];
        snprintf(bad, sizeof bad, "%s/bad.sym", tap_tmpdir());
        tap_write_file(bad, "ntoskrnl.exe 0x10 0x20 A\nntoskrnl.exe 0x30\n", 41);
        ps_attr_new(m, &a, &err);
        ok(ps_attr_load_symbols(a, bad, &err) == PS_ERR_INPUT && strstr(err.msg, "bad.sym': line 2: expected MODULE START END FUNCTION"),
           "a malformed symbol file names its line");
        ps_attr_free(a);
        unlink(bad);
    }
}

/* the catalogue extends the map used for attribution */
static void test_catalogue(void)
{
    ps_store *s = NULL;
    ps_src_store *ss = NULL;
    ps_stage_map m;
    ps_error err;
    ps_src_summary sum;
    char path[1024];
    int n;

    if (ps_store_open_temp(&s, &err) < 0 || ps_stage_map_load_default(&m, &err) < 0) {
        ok(0, "temporary store: %s", err.msg);
        return;
    }
    is_int(ps_src_store_new(s, &m, NULL, &ss, &err), 0, "source store");
    snprintf(path, sizeof path, "%s/fixtures/source", top());
    is_int(ps_src_store_path(ss, path, &err), 0, "the fixtures directory scans");
    is_int(ps_src_store_finish(ss, &sum, &err), 0, "stages and inference");
    is_int(sum.files, 3, "three C files (stacks.xml and stacks.sym are not source)");
    is_int(sum.staged_tag, 4, "4 functions staged by tags");
    is_int(sum.staged_map, 6, "6 by the map");
    is_int(sum.staged_inferred, 6, "6 inferred");
    is_int(sum.conflicts, 3, "3 conflicts");
    ps_src_store_free(ss);
    n = ps_attr_add_catalogue(&m, s, &err);
    ok(n > 0, "catalogue functions join the map (%d)", n);
    {
        const ps_stage_entry *e = ps_stage_map_first(&m, "BasepCheckImageSection", 22);
        ok(e && e->stage == 1 && !strcmp(e->origin, "source") && e->nmodules == 0, "an inferred function, any module");
        e = ps_stage_map_first(&m, "PspReferenceParentToken", 23);
        ok(!e, "a conflicting function is not added");
    }
    ps_stage_map_release(&m);
    ps_store_close(s);
}

int main(void)
{
    test_wrk();
    test_reactos();
    test_bad_input();
    test_excerpt();
    test_map_and_attribution();
    test_catalogue();
    rmdir(tap_tmpdir());
    return tap_done();
}
