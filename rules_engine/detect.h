/*
 * detect.h - the built-in detectors written in C, run while a trace is
 * ingested, next to the rule engine (rules_engine/rules.h).
 *
 * Each detector is a file of its own (rules_engine/detectors.h) and an entry
 * of the table in detectors.c: an id, a title, an ATT&CK technique, and
 * callbacks for single events and for finished creations.  Findings go
 * straight to the store.
 *
 *   ppid-spoofing         the creator of a process is not its recorded parent
 *                         (T1134.004); high; known brokers (consent.exe,
 *                         AppInfo, Task Scheduler, seclogon, WMI) allowed
 *
 * Detections that a rule can express live in the rule pack instead (rules/,
 * YAML: the IFEO Debugger detectors ifeo-debugger-set and
 * ifeo-debugger-hijack moved there); a loaded rule with the id of a
 * built-in detector replaces it (ps_detect_defer_to), so a detector can move
 * to the pack without reporting twice.
 *
 * Ownership: ps_detect_new returns an object owned by the caller (freed with
 * ps_detect_free) that borrows the store.
 */
#ifndef PS_DETECT_H
#define PS_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "model/creation.h"
#include "model/event.h"
#include "model/severity.h"
#include "model/store.h"

typedef struct ps_detect ps_detect;

typedef struct ps_detector_info {
    const char *id;
    const char *title;
    const char *technique;
    const char *severity;       /* the usual severity */
    const char *description;
    const char *reads;          /* what it looks at: "creations", "process starts", "sysmon 7, 11" */
} ps_detector_info;

int ps_detect_new(ps_store *store, ps_detect **out, ps_error *err);
void ps_detect_free(ps_detect *d);

/* Built-in detectors whose id `has_rule` reports as a loaded rule are
 * switched off. */
void ps_detect_defer_to(ps_detect *d, bool (*has_rule)(const void *ctx, const char *id), const void *ctx);

int ps_detect_event(ps_detect *d, int64_t trace_id, int64_t event_id, const ps_event *ev,
                    ps_error *err);
int ps_detect_creation(ps_detect *d, const ps_creation *c, ps_error *err);
/* After the last event and creation of the trace: stores what waited for a
 * creation that did not come. */
int ps_detect_end_trace(ps_detect *d, int64_t trace_id, ps_error *err);
uint64_t ps_detect_count(const ps_detect *d);

/* The table, for listings and docs: the i-th detector (NULL past the
 * last), how many there are, and one detector's description as the keys
 * of a JSON object (id, title, technique, severity, description, reads). */
const ps_detector_info *ps_detector_at(size_t i);
size_t ps_detector_count(void);
struct ps_json;
void ps_detector_json(struct ps_json *j, const ps_detector_info *d);

#endif
