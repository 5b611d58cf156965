/*
 * fuzz_source - the C source scanner (source/scan.c): the same bytes
 * read as C, as an article (prose with quoted code) and, when they hold
 * "#070 code" lines, as an annotated excerpt; every function, line and tag
 * the scanner reports is walked.
 */
#include <string.h>

#include "fuzz.h"
#include "source/scan.h"
#include "source/stage_map.h"

static size_t sink;

static int on_function(void *ctx, const ps_src_function *f, ps_error *err)
{
    size_t i;
    (void)ctx;
    (void)err;
    sink += f->name ? strlen(f->name) : 0;
    for (i = 0; i < f->nparams; i++)
        sink += (f->params[i].name ? strlen(f->params[i].name) : 0) + (f->params[i].type ? strlen(f->params[i].type) : 0);
    for (i = 0; i < f->ncalls; i++)
        sink += strlen(f->calls[i].callee) + f->calls[i].line;
    for (i = 0; i < f->ntags; i++)
        sink += (size_t)f->tags[i].stage + f->tags[i].line_end;
    return 0;
}

static int on_line(void *ctx, const ps_src_line *l, ps_error *err)
{
    (void)ctx;
    (void)err;
    sink += (l->code ? strlen(l->code) : 0) + (l->commentary ? strlen(l->commentary) : 0);
    return 0;
}

static int on_tag(void *ctx, const ps_src_tag *t, ps_error *err)
{
    (void)ctx;
    (void)err;
    sink += (size_t)t->stage;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ps_stage_map map;
    static int loaded;
    ps_src_scan_opts o;
    ps_src_file_info info;
    ps_error err;

    if (!loaded) {
        loaded = 1;
        if (ps_stage_map_load_default(&map, &err) < 0)
            memset(&map, 0, sizeof map);
    }
    memset(&o, 0, sizeof o);
    o.map = &map;
    o.on_function = on_function;
    o.on_line = on_line;
    o.on_tag = on_tag;
    ps_src_scan_text("fuzz.c", (const char *)data, size, &o, &info, &err);
    ps_src_scan_text("fuzz.txt", (const char *)data, size, &o, &info, &err);
    return 0;
}
