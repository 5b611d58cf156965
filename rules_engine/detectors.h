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
};

/* The buffer the evidence JSON of the next finding is written to (reset,
 * ready for ps_json_init_buf). */
ps_buf *ps_detect_evidence(ps_detect *d);
/* Stores a finding of `self` with the evidence written so far. */
int ps_detect_emit(ps_detect *d, const ps_detector *self, int64_t trace_id, int64_t creation_id, int64_t event_id,
                   const char *severity, const char *technique, ps_error *err);

/* The detectors (one file each). */
extern const ps_detector ps_detector_ppid_spoofing;   /* detect_ppid.c */

#endif
