/*
 * procmon.h - what the Procmon CSV and XML exports share: column names, the
 * locale-formatted times, the Detail text and the conversion of one row of
 * column values into a ps_event.
 *
 * Ownership: ps_pm_conv is caller-owned (init/release) and owns an arena that
 * holds the strings decoded from the current row; they stay valid until the
 * next ps_pm_row_to_event.
 */
#ifndef PS_PROCMON_H
#define PS_PROCMON_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "model/event.h"
#include "parsers/reader.h"

typedef enum ps_pm_col {
    PM_COL_TIME_OF_DAY,
    PM_COL_PROCESS_NAME,
    PM_COL_PID,
    PM_COL_OPERATION,
    PM_COL_PATH,
    PM_COL_RESULT,
    PM_COL_DETAIL,
    PM_COL_DATE_TIME,
    PM_COL_RELATIVE_TIME,
    PM_COL_DURATION,
    PM_COL_COMPLETION_TIME,
    PM_COL_EVENT_CLASS,
    PM_COL_SEQUENCE,
    PM_COL_IMAGE_PATH,
    PM_COL_COMPANY,
    PM_COL_DESCRIPTION,
    PM_COL_VERSION,
    PM_COL_USER,
    PM_COL_AUTH_ID,
    PM_COL_SESSION,
    PM_COL_COMMAND_LINE,
    PM_COL_TID,
    PM_COL_VIRTUALIZED,
    PM_COL_INTEGRITY,
    PM_COL_CATEGORY,
    PM_COL_PARENT_PID,
    PM_COL_ARCHITECTURE,
    PM_COL_PROCESS_INDEX,
    PM_COL__COUNT,
    PM_COL_UNKNOWN = -1
} ps_pm_col;

/* Column id of an export column name: "Time of Day" (CSV) or "Time_of_Day"
 * (XML element); PM_COL_UNKNOWN otherwise. */
ps_pm_col ps_pm_col_from_name(const char *name);

/* ---- times ------------------------------------------------------------- */

typedef enum ps_pm_date_order {
    PM_DATE_UNKNOWN = 0,
    PM_DATE_MDY,
    PM_DATE_DMY,
    PM_DATE_YMD
} ps_pm_date_order;

/* "1:18:12.3137869 AM", "16:53:03,6001516", "오후 4:53:03" -> ticks since
 * midnight.  allow_over_24: for Relative Time.  Returns false when malformed. */
bool ps_pm_parse_tod(const char *s, bool allow_over_24, int64_t *ticks);
/* "7/12/2020 1:18:12 AM", "08.03.2026 19:04:47", "2020-07-31 07:37:18" ->
 * FILETIME in local time.  *order carries the trace's day/month order between
 * calls (PM_DATE_UNKNOWN at first); *assumed is set when M/D/Y had to be
 * assumed for an ambiguous date. */
bool ps_pm_parse_datetime(const char *s, ps_pm_date_order *order, bool *assumed, int64_t *ft);
/* "0.0000074" (seconds) -> ticks. */
bool ps_pm_parse_seconds(const char *s, int64_t *ticks);

/* ---- Detail ------------------------------------------------------------ */

/* Fills the decoded fields of ev (child_pid, command_line, new_tid, ...)
 * from ev->detail according to ev->op.  Strings go to the arena.  Returns
 * false when the detail was present but not understood (counted by callers
 * as undecoded). */
bool ps_pm_parse_detail(ps_event *ev, ps_arena *a);

/* ---- rows ---------------------------------------------------------------- */

typedef struct ps_pm_conv {
    ps_reader *reader;              /* for warnings and trace info */
    bool present[PM_COL__COUNT];    /* which columns the export has */
    ps_pm_date_order order;
    bool order_assumed;
    bool order_noted;
    int64_t day;                    /* midnight roll-overs (time-of-day only) */
    int64_t last_tod;
    bool have_last;
    uint64_t seq;
    ps_arena arena;
    ps_proc_attrs attrs;
} ps_pm_conv;

void ps_pm_conv_init(ps_pm_conv *cv, ps_reader *r);
void ps_pm_conv_release(ps_pm_conv *cv);
/* Decides the time basis from the present columns and writes it into the
 * reader's trace info.  Fails when no time column exists. */
int ps_pm_conv_setup(ps_pm_conv *cv, const char *where, ps_error *err);
/* Converts one row.  val[c] is NULL for absent columns.  `where` prefixes
 * error messages ("'x.csv': line 12"). */
int ps_pm_row_to_event(ps_pm_conv *cv, const char *const *val, ps_event *ev, const char *where,
                       ps_error *err);

#endif
