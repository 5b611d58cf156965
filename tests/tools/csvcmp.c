/*
 * csvcmp - compares two Procmon CSV exports event by event (row i with row
 * i), column by column, for the PML equivalence tests:
 *
 *   csvcmp [--columns "A,B,..."] [--shift-tod] [--show N] EXPECTED ACTUAL
 *
 * Prints "rows N M", "creates N M" (Process Create rows), one line per
 * column "COLUMN<TAB>matched<TAB>compared<TAB>percent", then the first N
 * (default 5) mismatches of every column.  --shift-tod: EXPECTED's Time of
 * Day is the capture machine's local time, ACTUAL's UTC (or the reverse):
 * the offset of the first row, rounded to 15 minutes, is removed first.
 * Exit status 0 when both files were read, 2 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "parsers/csv.h"
#include "parsers/procmon/procmon.h"

#define MAXC 64

typedef struct side {
    ps_input *in;
    ps_csv csv;
    int col[MAXC];      /* field index of each compared column, -1 absent */
    int op;             /* the Operation field */
} side;

static int open_side(const char *path, side *s, ps_error *err)
{
    ps_input_opts o;
    ps_input_opts_init(&o);
    memset(s, 0, sizeof *s);
    if (ps_input_open(path, &o, &s->in, err) < 0)
        return -1;
    ps_csv_init(&s->csv, s->in);
    if (ps_csv_next(&s->csv, err) <= 0)
        return -1;
    return 0;
}

static int find(const side *s, const char *name)
{
    size_t i;
    for (i = 0; i < s->csv.nfields; i++)
        if (!strcmp(s->csv.fields[i], name))
            return (int)i;
    return -1;
}

int main(int argc, char **argv)
{
    const char *cols = "Time of Day,Process Name,PID,Operation,Path,Result,Detail";
    char list[4096], *names[MAXC], *tok, *save = NULL;
    int ncols = 0, show = 5, i = 1, c;
    bool shift = false, have_shift = false;
    int64_t offset = 0;
    side a, b;
    ps_error err;
    unsigned long long rows_a = 0, rows_b = 0, creates_a = 0, creates_b = 0, matched[MAXC] = {0}, compared = 0;
    int shown[MAXC] = {0};
    char **mism = NULL;
    size_t nmism = 0;

    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (!strcmp(argv[i], "--columns") && i + 1 < argc)
            cols = argv[++i];
        else if (!strcmp(argv[i], "--shift-tod"))
            shift = true;
        else if (!strcmp(argv[i], "--show") && i + 1 < argc)
            show = atoi(argv[++i]);
        else
            break;
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: csvcmp [--columns LIST] [--shift-tod] [--show N] EXPECTED ACTUAL\n");
        return 2;
    }
    ps_strlcpy(list, cols, sizeof list);
    for (tok = strtok_r(list, ",", &save); tok && ncols < MAXC; tok = strtok_r(NULL, ",", &save))
        names[ncols++] = tok;
    ps_error_clear(&err);
    if (open_side(argv[i], &a, &err) < 0 || open_side(argv[i + 1], &b, &err) < 0) {
        fprintf(stderr, "csvcmp: %s\n", err.msg[0] ? err.msg : "cannot read a header");
        return 2;
    }
    for (c = 0; c < ncols; c++) {
        a.col[c] = find(&a, names[c]);
        b.col[c] = find(&b, names[c]);
        if (a.col[c] < 0 || b.col[c] < 0) {
            fprintf(stderr, "csvcmp: column '%s' missing in %s\n", names[c], a.col[c] < 0 ? argv[i] : argv[i + 1]);
            return 2;
        }
    }
    a.op = find(&a, "Operation");
    b.op = find(&b, "Operation");
    for (;;) {
        int ra = ps_csv_next(&a.csv, &err), rb;
        if (ra < 0)
            break;
        rb = ps_csv_next(&b.csv, &err);
        if (rb < 0)
            break;
        rows_a += ra > 0;
        rows_b += rb > 0;
        if (ra > 0 && a.op >= 0 && (size_t)a.op < a.csv.nfields && !strcmp(a.csv.fields[a.op], "Process Create"))
            creates_a++;
        if (rb > 0 && b.op >= 0 && (size_t)b.op < b.csv.nfields && !strcmp(b.csv.fields[b.op], "Process Create"))
            creates_b++;
        if (ra <= 0 || rb <= 0) {
            if (ra <= 0 && rb <= 0)
                break;
            continue;
        }
        compared++;
        for (c = 0; c < ncols; c++) {
            const char *x = (size_t)a.col[c] < a.csv.nfields ? a.csv.fields[a.col[c]] : "";
            const char *y = (size_t)b.col[c] < b.csv.nfields ? b.csv.fields[b.col[c]] : "";
            bool same;
            if (shift && !strcmp(names[c], "Time of Day")) {
                int64_t tx, ty, q = 15 * 60 * PS_TICKS_PER_SEC;
                same = ps_pm_parse_tod(x, false, &tx) && ps_pm_parse_tod(y, false, &ty);
                if (same) {
                    int64_t d = ((tx - ty) % PS_TICKS_PER_DAY + PS_TICKS_PER_DAY) % PS_TICKS_PER_DAY;
                    if (!have_shift) {
                        offset = (d + q / 2) / q * q % PS_TICKS_PER_DAY;
                        have_shift = true;
                    }
                    same = d == offset;
                }
            } else {
                same = !strcmp(x, y);
            }
            if (same) {
                matched[c]++;
            } else if (shown[c] < show) {
                char line[2048];
                shown[c]++;
                snprintf(line, sizeof line, "  row %llu %s:\n    want: %.600s\n    got:  %.600s", rows_a, names[c], x,
                         y);
                mism = realloc(mism, (nmism + 1) * sizeof *mism);
                if (!mism)
                    return 2;
                mism[nmism++] = ps_strdup(line);
            }
        }
    }
    if (err.code) {
        fprintf(stderr, "csvcmp: %s\n", err.msg);
        return 2;
    }
    printf("rows %llu %llu\n", rows_a, rows_b);
    printf("creates %llu %llu\n", creates_a, creates_b);
    if (have_shift)
        printf("time-of-day offset %lld minutes\n", (long long)(offset / (60 * PS_TICKS_PER_SEC)));
    for (c = 0; c < ncols; c++)
        printf("%s\t%llu\t%llu\t%.4f\n", names[c], matched[c], compared,
               compared ? 100.0 * (double)matched[c] / (double)compared : 0.0);
    if (nmism) {
        size_t k;
        printf("first mismatches:\n");
        for (k = 0; k < nmism; k++) {
            printf("%s\n", mism[k]);
            free(mism[k]);
        }
    }
    free(mism);
    ps_csv_release(&a.csv);
    ps_csv_release(&b.csv);
    ps_input_close(a.in);
    ps_input_close(b.in);
    return 0;
}
