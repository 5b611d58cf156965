/*
 * severity.h - the severity scale of findings (Sigma's levels): info < low <
 * medium < high < critical.  Rules, detectors, reports and --fail-on share it.
 */
#ifndef PS_SEVERITY_H
#define PS_SEVERITY_H

/* Severities in order; -1 for an unknown name (case-insensitive). */
int ps_severity_rank(const char *name);
/* The name of a rank, "unknown" out of range. */
const char *ps_severity_name(int rank);

#endif
