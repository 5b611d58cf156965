/*
 * fuzz_evx - Windows event XML (one <Event>, as an EVTX record or
 * wevtutil renders it) decoded by parsers/winevent/evx.h and mapped to a
 * procstage event by parsers/winevent/map.h.  Every string the mapping
 * produces is touched so that a dangling pointer shows up.
 */
#include <string.h>

#include "fuzz.h"
#include "parsers/winevent/evx.h"
#include "parsers/winevent/map.h"

static volatile size_t sink;

static void touch(const char *s)
{
    if (s)
        sink += strlen(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ps_evx_parser *p;
    static ps_winevent *m;
    const ps_evx *x = NULL;
    ps_event ev;
    ps_error err;
    uint32_t i;

    if (!p && ps_evx_parser_new(&p, &err) < 0)
        return 0;
    if (!m && ps_winevent_new(&m, &err) < 0)
        return 0;
    if (ps_evx_parse(p, (const char *)data, size, "fuzz", &x, &err) < 0 || !x)
        return 0;
    for (i = 0; i < x->nvalues; i++) {
        touch(x->values[i].name);
        touch(x->values[i].value);
    }
    memset(&ev, 0, sizeof ev);
    if (ps_winevent_map(m, x, 1, &ev, &err) < 0)
        return 0;
    touch(ev.operation);
    touch(ev.process_name);
    touch(ev.path);
    touch(ev.result);
    touch(ev.detail);
    touch(ev.command_line);
    touch(ev.current_dir);
    touch(ev.reg_data);
    for (i = 0; i < ev.nfields; i++) {
        touch(ev.fields[i].name);
        touch(ev.fields[i].value);
    }
    if (ev.proc) {
        touch(ev.proc->image_path);
        touch(ev.proc->command_line);
        touch(ev.proc->user);
    }
    return 0;
}
