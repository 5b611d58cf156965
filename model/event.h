/*
 * event.h - the normalised event stream.
 *
 * Every reader (Procmon CSV/XML/PML, ETW, EVTX, ...) turns its input into a
 * sequence of ps_record values: process records (a process table, when the
 * source has one) and events.  Everything downstream - the SQLite store, the
 * reconstruction engine, the detectors - sees only this form.
 *
 * Ownership: records, events and every string or array they point to are
 * owned by the reader and stay valid only until the next call to the reader's
 * next() (or close()).  Consumers copy what they keep.  Readers keep scratch
 * buffers so that producing an event allocates nothing in the steady state.
 */
#ifndef PS_EVENT_H
#define PS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Event classes, numbered as in Procmon's PML so that readers map 1:1. */
typedef enum ps_event_class {
    PS_CLASS_UNKNOWN = 0,
    PS_CLASS_PROCESS = 1,
    PS_CLASS_REGISTRY = 2,
    PS_CLASS_FILE = 3,
    PS_CLASS_PROFILING = 4,
    PS_CLASS_NETWORK = 5,
    PS_CLASS_OTHER = 6      /* sources without a Procmon class (EVTX records) */
} ps_event_class;

/* The operations reconstruction and detection reason about.  The source's own
 * name stays in ps_event.operation; PS_OP_OTHER covers the rest. */
typedef enum ps_op {
    PS_OP_OTHER = 0,
    PS_OP_PROCESS_CREATE,   /* logged by the creator; child_pid, command_line */
    PS_OP_PROCESS_START,    /* logged under the child; parent_pid, command_line, current_dir */
    PS_OP_PROCESS_EXIT,
    PS_OP_THREAD_CREATE,    /* logged under the owning process; new_tid */
    PS_OP_THREAD_EXIT,
    PS_OP_LOAD_IMAGE,       /* image_base, image_size */
    PS_OP_REG_OPEN_KEY,
    PS_OP_REG_CREATE_KEY,
    PS_OP_REG_QUERY_KEY,
    PS_OP_REG_QUERY_VALUE,  /* reg_type, reg_data */
    PS_OP_REG_SET_VALUE,    /* reg_type, reg_data */
    PS_OP_REG_DELETE_KEY,
    PS_OP_REG_DELETE_VALUE,
    PS_OP_REG_OTHER,
    PS_OP_FILE_CREATE,
    PS_OP_FILE_MAPPING,
    PS_OP_FILE_OTHER,
    PS_OP_NETWORK,
    PS_OP_PROFILING,
    PS_OP__COUNT
} ps_op;

/* One named value of an event as its source wrote it (an EVTX record's
 * <Data Name="Image">, a System element such as EventID).  Readers of
 * self-describing formats fill ps_event.fields; the rule engine and the
 * event_fields table read them.  Names are not unique in general; the first
 * one wins for lookups. */
typedef struct ps_field {
    const char *name;
    const char *value;   /* "" for an empty element; never NULL */
} ps_field;

/* One stack frame.  Strings may be NULL when unknown. */
typedef struct ps_frame {
    uint64_t address;
    const char *module;   /* module file name, e.g. "ntdll.dll" */
    const char *symbol;   /* function name when symbols were available */
    uint64_t offset;      /* from the symbol when known, else from the module base */
    bool kernel;
} ps_frame;

/* Per-event process attributes that some exports repeat on every row (the
 * 27-column Procmon CSV).  Used to describe processes the trace did not see
 * start.  NULL/0 when absent. */
typedef struct ps_proc_attrs {
    const char *image_path;
    const char *command_line;
    const char *user;
    const char *integrity;
    const char *company;
    const char *version;
    const char *description;
    const char *auth_id;
    const char *architecture;
    uint32_t parent_pid;
    bool has_parent_pid;
    int32_t session;        /* -1 unknown */
    const char *virtualized;    /* "True"/"False" as Procmon writes it; NULL unknown */
} ps_proc_attrs;

/* Inter-process messages (ETW ALPC events). */
typedef enum ps_ipc {
    PS_IPC_NONE = 0,
    PS_IPC_SEND = 1,
    PS_IPC_RECEIVE = 2
} ps_ipc;

typedef struct ps_event {
    uint64_t seq;            /* 1-based ordinal of the event in its trace */
    int64_t ts;              /* FILETIME ticks in the trace's time basis */
    int64_t duration;        /* 100 ns; -1 unknown */
    uint32_t pid;
    uint32_t tid;
    bool has_tid;            /* false for sources without thread ids */
    int64_t proc_index;      /* the source's process key (PML/XML ProcessIndex); -1 none */
    ps_event_class cls;
    ps_op op;
    const char *operation;   /* source name: "Process Create", "RegQueryValue" */
    const char *process_name;
    const char *path;        /* file, registry or image path; may be "" */
    const char *result;      /* "SUCCESS", "NAME NOT FOUND", "0xC0000022" */
    const char *detail;      /* source detail text; may be "" */
    const char *category;    /* Procmon "Category" when present */

    /* details decoded by the reader; zero/NULL when absent */
    uint32_t child_pid;      /* PROCESS_CREATE */
    bool has_child_pid;
    uint32_t parent_pid;     /* PROCESS_START */
    bool has_parent_pid;
    uint32_t new_tid;        /* THREAD_CREATE, THREAD_EXIT */
    bool has_new_tid;
    uint64_t image_base;     /* LOAD_IMAGE */
    uint64_t image_size;
    const char *command_line;   /* PROCESS_CREATE / PROCESS_START */
    const char *current_dir;    /* PROCESS_START */
    const char *parent_image;   /* PROCESS_START: the parent as the record names it
                                 * (Sysmon 1 ParentImage, Security 4688 v2
                                 * ParentProcessName); NULL when it does not */
    const char *parent_command_line;   /* PROCESS_START: Sysmon 1 ParentCommandLine */
    int64_t exit_status;        /* PROCESS_EXIT */
    bool has_exit_status;
    const char *reg_type;       /* REG_QUERY_VALUE / REG_SET_VALUE: "REG_SZ" */
    const char *reg_data;       /* the value data as text */

    const ps_frame *frames;     /* innermost first */
    uint32_t nframes;

    const ps_proc_attrs *proc;  /* may be NULL */

    /* where the event came from, for messages */
    uint64_t src_line;          /* text formats: first line of the record; 0 = n/a */
    uint64_t src_offset;        /* byte offset of the record in the (decompressed) input */
    /* EVTX: a record found in the slack of a chunk (deleted or overwritten)
     * rather than among its live records */
    bool recovered;

    /* ETW: what the creator's PROCESS_CREATE says about the new process
     * (image, command line, user SID, session, parent, architecture); NULL
     * for other sources */
    const ps_proc_attrs *child;
    /* ETW ALPC message events: direction and message id */
    ps_ipc ipc;
    uint32_t ipc_message;
    /* every field of the source record (EVTX, event-log XML); NULL/0 for
     * sources whose columns are the fields above (Procmon, ETW) */
    const ps_field *fields;
    uint32_t nfields;

    /* event logs: the record's own account of its subject, decoded by the
     * reader - Sysmon's UtcTime (FILETIME UTC: for Sysmon 1 the process
     * object's CreateTime; the record's TimeCreated when UtcTime does not
     * parse) and ProcessGuid ("{...}"); false / NULL when absent */
    bool has_subject_ts;
    int64_t subject_ts;
    const char *subject_guid;

    /* Optional: a reader that knows the identity of frames[] cheaply sets
     * it (equal frames give an equal value, never 0) so that the store need
     * not hash the frames itself; 0 = not known. */
    uint64_t stack_hash;

    /* stack attribution (source/attribute.h), set by the ingest pipeline, not
     * by readers: the stage of the innermost frame the stage map names */
    int frame_stage;            /* 1..6; 0 none */
    const char *frame_function; /* that frame's function (NUL-terminated); NULL none */
} ps_event;

typedef struct ps_module {
    uint64_t base;
    uint64_t size;
    const char *path;
    const char *version;
    const char *company;
    const char *description;
    int64_t timestamp;          /* FILETIME or 0 */
} ps_module;

/* A process table entry (PML, Procmon XML; ETW rundown). */
typedef struct ps_process_rec {
    int64_t proc_index;         /* the source's process key; -1 none */
    uint32_t pid;
    uint32_t parent_pid;
    int64_t parent_index;       /* -1 none */
    int64_t start_ts;           /* FILETIME UTC; 0 unknown */
    int64_t end_ts;             /* FILETIME UTC; 0 still running / unknown */
    int64_t exit_status;
    bool has_exit_status;
    int32_t session;            /* -1 unknown */
    int is64;                   /* -1 unknown, 0, 1 */
    int virtualized;            /* -1 unknown, 0, 1 */
    const char *process_name;
    const char *image_path;
    const char *command_line;
    const char *user;
    const char *integrity;
    const char *company;
    const char *version;
    const char *description;
    const char *auth_id;
    const ps_module *modules;
    uint32_t nmodules;
} ps_process_rec;

/* How often a reader saw one kind of source event (ETW: provider and
 * operation), whether or not it became an event of the model.  decoded is
 * false for kinds kept without decoded details. */
typedef struct ps_event_kind {
    const char *provider;
    const char *operation;
    bool decoded;
    uint64_t count;
} ps_event_kind;

typedef enum ps_record_type {
    PS_REC_EVENT = 1,
    PS_REC_PROCESS = 2
} ps_record_type;

typedef struct ps_record {
    ps_record_type type;
    const ps_event *event;          /* PS_REC_EVENT */
    const ps_process_rec *process;  /* PS_REC_PROCESS */
} ps_record;

/* How the timestamps of a trace relate to real time. */
typedef enum ps_time_basis {
    PS_TIME_UTC = 0,        /* FILETIME UTC */
    PS_TIME_LOCAL = 1,      /* the capture's display time zone, offset unknown */
    PS_TIME_TIME_OF_DAY = 2 /* local time of day without a date: day 0 is 1601-01-01 */
} ps_time_basis;

const char *ps_time_basis_name(ps_time_basis b);
const char *ps_event_class_name(ps_event_class c);
/* Maps a Procmon operation name ("Process Create") to ps_op and its class. */
ps_op ps_op_from_procmon(const char *operation, ps_event_class *cls);
/* Maps a Procmon class name ("File System") to the enum. */
ps_event_class ps_event_class_from_name(const char *name);
void ps_event_init(ps_event *ev);
/* The value of the first of ev->fields called `name` (case-sensitive), or NULL. */
const char *ps_event_field(const ps_event *ev, const char *name);

/* Splits a registry path at "\Image File Execution Options\<name>[\rest]"
 * (the Wow6432Node twin included).  Sets name and name_len to the image's
 * subkey and rest to what follows it (a value such as "Debugger") or NULL. */
bool ps_ifeo_parts(const char *path, const char **name, size_t *name_len, const char **rest);

#endif
