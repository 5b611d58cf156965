/*
 * detectors.h - what the built-in detectors share (detect.h is the public
 * interface).  A detector is one file defining a ps_detector (its
 * description and callbacks) and one line in the table of detectors.c
 * (HACKING.md, "A detector").  Its callbacks write the evidence JSON into
 * ps_detect_evidence() and store the finding with ps_detect_emit().
 */
#ifndef PS_RULES_DETECTORS_H
#define PS_RULES_DETECTORS_H

#include "common/json.h"
#include "rules_engine/detect.h"

typedef struct ps_detector ps_detector;
struct ps_detector {
    ps_detector_info info;
    /* may be NULL */
    int (*on_event)(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t event_id, const ps_event *ev,
                    ps_error *err);
    int (*on_creation)(ps_detect *d, const ps_detector *self, const ps_creation *c, ps_error *err);
    /* Bytes of per-trace state the detector keeps (0: none): zeroed before
     * each trace's first event, found with ps_detect_state().  A detector
     * that remembers events keeps them in fixed-size rings in it, so its
     * memory does not grow with the trace. */
    size_t state_size;
};

/* The buffer the evidence JSON of the next finding is written to (reset,
 * ready for ps_json_init_buf). */
ps_buf *ps_detect_evidence(ps_detect *d);
/* Stores a finding of `self` with the evidence written so far. */
int ps_detect_emit(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t creation_id, int64_t event_id,
                   const char *severity, const char *technique, ps_error *err);
/* The same for a finding about the process that the event `start_event_id`
 * (a process start: Sysmon 1) started, with another event (`event_id`) as
 * its own: it is stored with the creation whose anchor the start event is,
 * as soon as the creation is known, or without one at the end of the trace.
 * (A finding whose event is the start itself needs none of this: the store
 * links it, ps_store_link_findings.) */
int ps_detect_emit_for_start(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t start_event_id,
                             int64_t event_id, const char *severity, const char *technique, ps_error *err);
/* One entry of the evidence's "events" array: {"event_id": id, "role": role}. */
void ps_detect_event_ref(ps_json *j, int64_t event_id, const char *role);
/* The per-trace state of `self` (state_size bytes, zeroed at the trace's
 * start), or NULL when it keeps none. */
void *ps_detect_state(ps_detect *d, const ps_detector *self);

/* What the detectors know about Windows programs (known.c).  A program
 * by the names its version resource gives it. */
typedef struct ps_known_image {
    const char *name;               /* its file name, e.g. "cmd.exe" */
    const char *alt;                /* another file name of the same program, or NULL */
    const char *original;           /* OriginalFileName, e.g. "Cmd.Exe" */
    const char *description;        /* FileDescription, or NULL when it names nothing apart */
    unsigned flags;
} ps_known_image;
#define PS_KNOWN_SHELL 1u           /* a command interpreter */
#define PS_KNOWN_ACCESSIBILITY 2u   /* started from the logon screen's Ease of Access */
/* The program an OriginalFileName names (".MUI" and the extension ignored), or NULL. */
const ps_known_image *ps_known_by_original(const char *original);
/* The program a FileDescription names, or NULL. */
const ps_known_image *ps_known_by_description(const char *description);
/* The program a file name (a path's last part) is, or NULL. */
const ps_known_image *ps_known_by_name(const char *file_name);
/* Whether the file name of `path` is one of k's names (case and the
 * extension ignored). */
bool ps_known_names(const ps_known_image *k, const char *path);
/* A version-resource value that says something ("?", "-" and "" do not). */
bool ps_known_value(const char *s);
/* A user name or SID that is LocalSystem. */
bool ps_known_system_user(const char *user);
/* Whether `path` lies outside the folders only administrators may write
 * (X:\Windows, X:\Program Files, X:\Program Files (x86), also as NT
 * paths \SystemRoot\, \??\X:\ and \Device\HarddiskVolumeN\). */
bool ps_known_user_writable(const char *path);
/* The Sysmon event id of a Sysmon record, else 0. */
unsigned ps_known_sysmon_id(const ps_event *ev);
/* The program the version resource of a process start (PS_OP_PROCESS_START)
 * names, with the field that named it (`by`) and its value; NULL when it
 * names none of the known ones (detect_renamed.c). */
const ps_known_image *ps_known_of_start(const ps_event *ev, const char **by, const char **value);
/* The started process as evidence keys: image, pid, original_file_name,
 * description, command_line, user, parent (those known). */
void ps_known_start_json(ps_json *j, const ps_event *ev);

/* The detectors (one file each). */
extern const ps_detector ps_detector_ppid_spoofing;   /* detect_ppid.c */
extern const ps_detector ps_detector_accessibility;   /* detect_access.c */
extern const ps_detector ps_detector_renamed;         /* detect_renamed.c */
extern const ps_detector ps_detector_sideload;        /* detect_sideload.c */
extern const ps_detector ps_detector_inject;          /* detect_inject.c */

#endif
