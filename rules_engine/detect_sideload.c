/*
 * detect_sideload.c - dll-sideloading: an unsigned DLL loaded from the
 * user-writable folder of the program that loads it (T1574.002).
 */
#include "rules_engine/detectors.h"

#include <string.h>

#include "common/util.h"

/* How long before its load a write of the DLL (Sysmon 11) counts. */
#define WRITE_WINDOW (3600 * PS_TICKS_PER_SEC)
#define NWRITES 256
#define NSEEN 64

typedef struct {
    struct {
        uint64_t hash;          /* of the lower-cased path; 0 = empty */
        int64_t ts, event_id;
    } w[NWRITES];
    size_t n;
    struct {
        uint64_t key;           /* the process and the DLL; 0 = empty */
    } seen[NSEEN];              /* reported last: Sysmon may log a load twice */
    size_t nseen;
} sideload_state;

/* Names of system DLLs that programs import from their own folder first
 * and that side-loading campaigns ship (the search order puts the
 * program's folder before System32), and DLLs of signed programs that
 * known campaigns replaced. */
static bool sideload_name(const char *base)
{
    static const char *const names[] = {
        "version.dll", "winmm.dll", "cryptbase.dll", "cryptsp.dll", "dwmapi.dll", "uxtheme.dll",
        "wtsapi32.dll", "dbghelp.dll", "dbgcore.dll", "userenv.dll", "propsys.dll", "profapi.dll",
        "secur32.dll", "sspicli.dll", "msimg32.dll", "winhttp.dll", "wininet.dll", "netapi32.dll",
        "iphlpapi.dll", "dnsapi.dll", "mswsock.dll", "wsock32.dll", "dxgi.dll", "d3d11.dll",
        "winspool.drv", "mpr.dll", "samcli.dll", "logoncli.dll", "wkscli.dll", "ntmarta.dll",
        "dpapi.dll", "wer.dll", "faultrep.dll", "mscoree.dll", "msvcp140.dll", "vcruntime140.dll",
        "nvsmartmax.dll", "wwlib.dll", "mpsvc.dll", "sqlite3.dll", "libcurl.dll", "goopdate.dll",
    };
    size_t i;
    for (i = 0; i < PS_ARRAY_LEN(names); i++)
        if (ps_streq_ci(base, names[i]))
            return true;
    return false;
}

static size_t dir_len(const char *path)
{
    const char *slash = strrchr(path, '\\');
    return slash ? (size_t)(slash - path) : 0;
}

static int detect_sideload(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t event_id,
                           const ps_event *ev, ps_error *err)
{
    sideload_state *st = ps_detect_state(d, self);
    unsigned id = ps_known_sysmon_id(ev);
    const char *image, *dll, *signed_, *status;
    size_t n, i;
    uint64_t h;
    int64_t write_event = 0, write_ts = 0;
    bool named;
    ps_json j;

    if (id == 11) {
        const char *target = ps_event_field(ev, "TargetFilename");
        if (target && (ps_ends_with_ci(target, ".dll") || ps_ends_with_ci(target, ".drv"))) {
            size_t k = st->n++ % NWRITES;
            st->w[k].hash = ps_hash_ci(target, strlen(target)) | 1;
            st->w[k].ts = ev->ts;
            st->w[k].event_id = event_id;
        }
        return 0;
    }
    if (id != 7)
        return 0;
    image = ps_event_field(ev, "Image");
    dll = ps_event_field(ev, "ImageLoaded");
    signed_ = ps_event_field(ev, "Signed");
    status = ps_event_field(ev, "SignatureStatus");
    /* unsigned, as Sysmon saw it (a record without the field says nothing) */
    if (!image || !dll || !signed_ || !ps_streq_ci(signed_, "false") || ps_streq_ci(image, dll))
        return 0;
    n = dir_len(image);
    if (!n || n != dir_len(dll) || !ps_strneq_ci(image, dll, n) || !ps_known_user_writable(image))
        return 0;
    if (ps_ends_with_ci(dll, ".exe"))
        return 0;
    h = ps_hash_ci(dll, strlen(dll)) | 1;
    {
        uint64_t key = ps_hash_mix(h, ev->pid) | 1;
        for (i = 0; i < NSEEN && i < st->nseen; i++)
            if (st->seen[i].key == key)
                return 0;
        st->seen[st->nseen++ % NSEEN].key = key;
    }
    for (i = 0; i < NWRITES && i < st->n; i++) {
        size_t k = (st->n - 1 - i) % NWRITES;      /* newest first */
        if (st->w[k].hash == h && st->w[k].ts <= ev->ts && ev->ts - st->w[k].ts <= WRITE_WINDOW) {
            write_event = st->w[k].event_id;
            write_ts = st->w[k].ts;
            break;
        }
    }
    named = sideload_name(ps_path_basename(dll));
    ps_json_init_buf(&j, ps_detect_evidence(d));
    ps_json_begin_object(&j);
    ps_json_kv_str(&j, "image", image);
    ps_json_kv_str(&j, "dll", dll);
    ps_json_kv_int(&j, "pid", ev->pid);
    ps_json_kv_str(&j, "signed", signed_);
    if (status)
        ps_json_kv_str(&j, "signature_status", status);
    if (ps_known_value(ps_event_field(ev, "Hashes")))
        ps_json_kv_str(&j, "hashes", ps_event_field(ev, "Hashes"));
    if (named)
        ps_json_kv_str(&j, "known_sideload_name", ps_path_basename(dll));
    if (write_event) {
        ps_json_key(&j, "written_before_load_s");
        ps_json_double(&j, (double)(ev->ts - write_ts) / PS_TICKS_PER_SEC, 3);
    }
    ps_json_key(&j, "events");
    ps_json_begin_array(&j);
    if (write_event) {
        ps_detect_event_ref(&j, write_event, "the DLL written (Sysmon 11)");
    }
    ps_detect_event_ref(&j, event_id, "the unsigned DLL loaded from the program's folder");
    ps_json_end_array(&j);
    ps_json_end_object(&j);
    return ps_detect_emit(d, self, trace_id, 0, event_id, write_event || named ? "high" : "medium", "T1574.002",
                          err);
}

const ps_detector ps_detector_sideload = {
    {"dll-sideloading", "DLL side-loading from a user-writable folder", "T1574.002", "medium",
     "Sysmon 7: a DLL that Sysmon found unsigned is loaded by a program from the program's own "
     "folder, and that folder is one a user may write (not under Windows, Program Files or "
     "Program Files (x86)): the DLL search order takes the program's folder first, so whoever "
     "can write there runs code in the program. High when the DLL was written (Sysmon 11) at "
     "most an hour before the load, or has the name of a system DLL or of a DLL that known "
     "side-loading campaigns ship; medium otherwise.",
     "sysmon 7, 11"},
    detect_sideload,
    NULL,
    sizeof(sideload_state),
};
