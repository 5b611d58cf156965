/*
 * detect.h - the built-in detectors, run while a trace is ingested.
 *
 * Each detector is an entry of the static table in detect.c: an id, a title,
 * an ATT&CK technique, and callbacks for single events and for finished
 * creations.  Findings go straight to the store.
 *
 *   ifeo-debugger-set     a write of ...\Image File Execution Options\<X>\Debugger
 *                         (and the Wow6432Node twin); high, critical for the
 *                         accessibility binaries
 *   ifeo-debugger-hijack  the creator read a Debugger value for X and the
 *                         creation ran another image with X on its command
 *                         line; high, critical for the accessibility binaries
 *   ppid-spoofing         the creator of a process is not its recorded parent
 *                         (T1134.004); high; known brokers (consent.exe,
 *                         AppInfo, Task Scheduler, seclogon, WMI) allowed
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
#include "model/store.h"

typedef struct ps_detect ps_detect;

typedef struct ps_detector_info {
    const char *id;
    const char *title;
    const char *technique;
    const char *severity;       /* the usual severity */
    const char *description;
} ps_detector_info;

int ps_detect_new(ps_store *store, ps_detect **out, ps_error *err);
void ps_detect_free(ps_detect *d);

int ps_detect_event(ps_detect *d, int64_t trace_id, int64_t event_id, const ps_event *ev,
                    ps_error *err);
int ps_detect_creation(ps_detect *d, const ps_creation *c, ps_error *err);
uint64_t ps_detect_count(const ps_detect *d);

/* The table, for `procstage formats`-style listings and docs. */
const ps_detector_info *ps_detectors(size_t *n);

/* Severities in order; -1 for an unknown name. */
int ps_severity_rank(const char *name);
const char *ps_severity_name(int rank);

/* True for sethc, utilman, osk, magnify, narrator, displayswitch, atbroker. */
bool ps_is_accessibility_image(const char *name);

#endif
