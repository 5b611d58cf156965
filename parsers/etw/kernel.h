/*
 * kernel.h - ETW kernel events to the normalised event model, whatever
 * the container they were read from.
 *
 * A reader fills a ps_etw_kevent: who logged the event (provider, classic
 * kernel group and opcode or manifest event id, version), its header (time,
 * process and thread ids when the header has them) and the payload fields
 * process creation needs, by their ETW names.  The binary reader (etl.c)
 * decodes them from the record layouts; a reader of rendered event XML
 * (tracerpt, wevtutil) sets them from <Data Name="..."> text with
 * ps_etw_kevent_set().  ps_etw_map() then turns the event into a record of
 * model/event.h:
 *
 *   classic kernel (MSNT_SystemTrace)          model
 *   Process/Start        0x0301               PROCESS_CREATE under the creator (header ids),
 *                                             child_pid, parent_pid and ev->child from the payload
 *   Process/End          0x0302               PROCESS_EXIT under the payload's ProcessId
 *   Process/DCStart, DCEnd 0x0303/4           a process record (rundown), no event
 *   Process/Terminate, Defunct 0x030B/0x0327  events of the process, not decoded further
 *   Thread/Start         0x0501               THREAD_CREATE under the payload's ProcessId,
 *                                             the creator's thread id, new_tid
 *   Thread/End           0x0502               THREAD_EXIT
 *   Image/Load           0x030A, 0x140A       LOAD_IMAGE under the payload's ProcessId
 *   Image/DCStart, DCEnd 0x1403/4             a module of a process record, no event
 *   FileIo/Create        0x0440               FILE_CREATE on OpenPath, attributed by TTID
 *   FileIo/Name ...      0x0400/20/23/24      file events on FileName (no thread)
 *   Registry/...         0x090A..0x091D       registry operations on the key path,
 *                                             KeyHandle resolved through KCB events
 *   ALPC/Send, Receive   0x1A21/22            events with ipc, ipc_message
 *   StackWalk/Stack      0x1820               frames of the event it follows (by the
 *                                             reader), else an event of its own
 *   Microsoft-Windows-Kernel-Process 1/2/3/4/5/6/15 and Microsoft-Windows-
 *   Kernel-Registry 1..7, 13, Microsoft-Windows-Kernel-File 10/11/12/30 the same way.
 *
 * Every other event becomes an event of class Other kept without decoded
 * details.  Registry paths are normalised (\REGISTRY\MACHINE\X -> HKLM\X,
 * \REGISTRY\USER\X -> HKU\X).  The state counts every kind of event it maps
 * (provider, operation) for the ingest summary.
 *
 * Ownership: ps_etw_state_new returns an object owned by the caller
 * (ps_etw_state_free).  Strings in a ps_etw_kevent are borrowed; the records
 * ps_etw_map produces point into the state and stay valid until the next
 * ps_etw_map call.
 */
#ifndef PS_ETW_KERNEL_H
#define PS_ETW_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/util.h"
#include "model/event.h"

/* Who logged an event. */
typedef enum ps_etw_prov {
    PS_ETW_CLASSIC = 0,          /* the classic kernel logger: group + opcode */
    PS_ETW_KERNEL_PROCESS,       /* Microsoft-Windows-Kernel-Process: event id */
    PS_ETW_KERNEL_REGISTRY,      /* Microsoft-Windows-Kernel-Registry */
    PS_ETW_KERNEL_FILE,          /* Microsoft-Windows-Kernel-File */
    PS_ETW_OTHER                 /* any other provider: counted, kept undecoded */
} ps_etw_prov;

/* Classic kernel groups (the high byte of a HookId). */
enum {
    PS_ETW_G_EVENTTRACE = 0x00,
    PS_ETW_G_PROCESS = 0x03,
    PS_ETW_G_FILEIO = 0x04,
    PS_ETW_G_THREAD = 0x05,
    PS_ETW_G_REGISTRY = 0x09,
    PS_ETW_G_IMAGE = 0x14,
    PS_ETW_G_STACKWALK = 0x18,
    PS_ETW_G_ALPC = 0x1A
};

/* Payload fields present (bits of ps_etw_kevent.have). */
enum {
    PS_ETW_F_PID = 1u << 0,          /* ProcessId, ProcessID, StackProcess */
    PS_ETW_F_PARENT = 1u << 1,       /* ParentId, ParentProcessID */
    PS_ETW_F_TID = 1u << 2,          /* TThreadId, ThreadID, TTID, IssuingThreadId, StackThread */
    PS_ETW_F_SESSION = 1u << 3,      /* SessionId, SessionID */
    PS_ETW_F_EXIT = 1u << 4,         /* ExitStatus, ExitCode */
    PS_ETW_F_FLAGS = 1u << 5,        /* Flags (process: 1 package, 2 WOW64, 4 protected) */
    PS_ETW_F_IMAGE_BASE = 1u << 6,   /* ImageBase */
    PS_ETW_F_IMAGE_SIZE = 1u << 7,   /* ImageSize */
    PS_ETW_F_STATUS = 1u << 8,       /* Status (NTSTATUS) */
    PS_ETW_F_KEY = 1u << 9,          /* KeyHandle (a KCB), KeyObject */
    PS_ETW_F_BASE_OBJECT = 1u << 10, /* BaseObject */
    PS_ETW_F_REG_TYPE = 1u << 11,    /* Type (of a value) */
    PS_ETW_F_INFO_CLASS = 1u << 12,  /* InfoClass */
    PS_ETW_F_MESSAGE = 1u << 13,     /* MessageID */
    PS_ETW_F_EVENT_TS = 1u << 14,    /* EventTimeStamp (raw clock) */
    PS_ETW_F_CREATE_TIME = 1u << 15, /* CreateTime (FILETIME) */
    PS_ETW_F_OPTIONS = 1u << 16      /* CreateOptions */
};

typedef struct ps_etw_kevent {
    /* identity */
    ps_etw_prov prov;
    unsigned group;              /* classic: HookId >> 8 (or from the event class GUID) */
    unsigned opcode;             /* classic: HookId & 0xFF; manifest: the descriptor's opcode */
    unsigned id;                 /* manifest: the event id (has_id) */
    bool has_id;
    unsigned version;
    int pointer_size;            /* 4 or 8: of the record, not of the log */
    uint8_t guid[16];            /* provider or event class GUID when has_guid */
    bool has_guid;
    const char *provider_name;   /* optional, for PS_ETW_OTHER */

    /* header */
    int64_t ts;                  /* FILETIME UTC */
    bool has_pid, has_tid;       /* PERFINFO headers carry neither */
    uint32_t pid, tid;

    /* payload */
    uint32_t have;               /* PS_ETW_F_* */
    uint32_t process_id, parent_id, thread_id, session_id, flags, status, reg_type, info_class;
    uint32_t message_id, create_options;
    int64_t exit_status;
    uint64_t image_base, image_size, key_handle, base_object, event_ts;
    int64_t create_time;
    const char *image_name;      /* ImageFileName (ANSI) or ImageName: UTF-8 */
    const char *command_line;    /* CommandLine */
    const char *file_name;       /* FileName, OpenPath */
    const char *key_name;        /* KeyName */
    const char *value_name;      /* ValueName */
    const char *base_name;       /* BaseName */
    const char *relative_name;   /* RelativeName */
    const char *user_sid;        /* UserSID rendered as S-1-... */
    const uint8_t *data;         /* CapturedData */
    size_t data_len;
    const uint64_t *stack;       /* StackWalk addresses (or an extended-data stack) */
    uint32_t nstack;
} ps_etw_kevent;

/* Clears k for a new event (prov PS_ETW_OTHER, pointer_size 8). */
void ps_etw_kevent_reset(ps_etw_kevent *k);

/* Sets prov/group from a provider or event class GUID and the event's
 * opcode/id/version: the classic kernel class GUIDs (Process, Thread, Image,
 * FileIo, Registry, ALPC, StackWalk, EventTrace) give PS_ETW_CLASSIC with
 * their group, the manifest kernel providers theirs, anything else
 * PS_ETW_OTHER. */
void ps_etw_kevent_identify(ps_etw_kevent *k, const uint8_t guid[16], unsigned opcode, unsigned id,
                            unsigned version);

/* Sets one payload field from its rendered text (decimal or 0x-hex numbers,
 * strings as they are, CapturedData as hex).  Strings are copied into `a`.
 * Returns 1 when set, 0 for a field name the mapping does not use (or a
 * number that does not parse), PS_ERR_NOMEM when `a` cannot grow. */
int ps_etw_kevent_set(ps_etw_kevent *k, const char *name, const char *text, ps_arena *a);

/* Sets the payload fields of a classic kernel event whose layout is fixed
 * (Thread Start/End/DCStart/DCEnd: ProcessId and TThreadId, in the order of
 * the event's version) from its binary payload p[0..n): what a renderer that
 * could not decode the event (tracerpt's ProcessingErrorData) leaves.
 * k's identity must be set.  Returns 1 when set, 0 for another event or a
 * payload too short. */
int ps_etw_kevent_fixed_payload(ps_etw_kevent *k, const uint8_t *p, size_t n);

/* Hex text ("0A00FF...", "0x0a00ff", "0a 00 ff") into bytes copied into
 * `a`; false when it is not hex (or `a` cannot grow). */
bool ps_etw_hex_bytes(const char *text, ps_arena *a, const uint8_t **out, size_t *n);

/* Text GUIDs: "{22fb2cd6-0e7b-422b-a0c7-2fad1fd0e716}" (braces optional),
 * bytes in the mixed-endian order of the binary format. */
bool ps_etw_guid_parse(const char *text, uint8_t guid[16]);
void ps_etw_guid_format(const uint8_t guid[16], char out[39]);

/* "\REGISTRY\MACHINE\SOFTWARE\X" -> "HKLM\SOFTWARE\X", "\REGISTRY\USER\S-1-5-18\X"
 * -> "HKU\S-1-5-18\X"; other paths unchanged.  Writes into out (reset first). */
int ps_etw_registry_path(const char *path, size_t len, ps_buf *out);

/* "SUCCESS", "NAME NOT FOUND", ... or "0xC0000022"-style text (static or in buf). */
const char *ps_etw_status_text(uint32_t status, char *buf, size_t cap);

typedef struct ps_etw_state ps_etw_state;

typedef struct ps_etw_state_opts {
    int log_pointer_size;        /* the log's pointer size: architecture of processes */
    bool no_stacks;
} ps_etw_state_opts;

int ps_etw_state_new(const ps_etw_state_opts *o, ps_etw_state **out, ps_error *err);
void ps_etw_state_free(ps_etw_state *st);

/* Maps one event.  Returns 1 with *rec filled, 0 when the event only fed
 * the state (KCB names, the logfile header) or was counted without a
 * record, < 0 on error.  Every call counts the event's kind.
 * rec->event->seq, src_offset are left 0 for the caller to set. */
int ps_etw_map(ps_etw_state *st, const ps_etw_kevent *k, ps_record *rec, ps_error *err);

/* Counts one source event that gets no record at all (a WPP message, a
 * stack walk joined to its event, the logfile header). */
int ps_etw_count(ps_etw_state *st, const char *provider, const char *operation, bool decoded, ps_error *err);

/* The kinds counted so far; valid until the next map/count call. */
const ps_event_kind *ps_etw_kinds(const ps_etw_state *st, size_t *n);
/* Events mapped without decoded details. */
uint64_t ps_etw_undecoded(const ps_etw_state *st);

#endif
