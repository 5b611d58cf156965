/*
 * creations.c - one row per creation: identities, images, status.
 */
#include <string.h>

#include "common/escape.h"
#include "common/json.h"
#include "reports/report.h"

static const char *const SQL =
    "SELECT c.creation_id, c.trace_id, c.create_ts, c.status, c.anchor, c.parent_pid, c.creator_pid, "
    "c.creator_tid, c.child_pid, c.initial_tid, c.requested_image, c.image_path, c.command_line, "
    "c.current_dir, c.result, c.crosscheck_delta, c.note, t.time_basis "
    "FROM creations c JOIN traces t USING (trace_id) WHERE ?1 = 0 OR c.trace_id = ?1 "
    "ORDER BY c.trace_id, c.create_ts, c.creation_id";

static const char *const names[] = {"creation_id", "trace_id", "create_ts", "status", "anchor",
                                    "parent_pid", "creator_pid", "creator_tid", "child_pid",
                                    "initial_tid", "requested_image", "image_path", "command_line",
                                    "current_dir", "result", "crosscheck_delta", "note"};

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

int ps_report_creations(ps_store *s, const ps_report_opts *o, ps_error *err)
{
    sqlite3_stmt *st;
    FILE *f = o->out;
    ps_json j;
    int rc, c, n = 0;
    const int ncols = (int)PS_ARRAY_LEN(names);

    if (sqlite3_prepare_v2(ps_store_db(s), SQL, -1, &st, NULL) != SQLITE_OK)
        return ps_report_db_error(s, err);
    sqlite3_bind_int64(st, 1, o->trace_id);
    if (o->format == PS_FMT_CSV) {
        for (c = 0; c < ncols; c++)
            ps_csv_field(f, names[c], c == 0);
        fputc('\n', f);
    } else if (o->format == PS_FMT_NDJSON) {
        ps_json_init_ndjson(&j, f);
        ps_json_begin_array(&j);
    } else if (o->format == PS_FMT_JSON) {
        ps_json_init_file(&j, f, true);
        ps_json_begin_object(&j);
        ps_json_key(&j, "creations");
        ps_json_begin_array(&j);
    } else {
        fprintf(f, "%sCREATIONS%s\n", ps_color(o, PS_C_BOLD), ps_color(o, PS_C_RESET));
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *basis = col_text(st, 17) ? col_text(st, 17) : "utc";
        char ts[64] = "-";
        n++;
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            ps_format_ts(basis, sqlite3_column_int64(st, 2), ts, sizeof ts);
        if (o->format == PS_FMT_CSV) {
            for (c = 0; c < ncols; c++)
                ps_csv_column(f, st, c, c == 0);
            fputc('\n', f);
        } else if (o->format == PS_FMT_JSON || o->format == PS_FMT_NDJSON) {
            ps_json_begin_object(&j);
            for (c = 0; c < ncols; c++) {
                ps_json_key(&j, names[c]);
                ps_json_column(&j, st, c);
            }
            ps_json_kv_str(&j, "create_time", ts);
            ps_json_end_object(&j);
        } else {
            const char *req = col_text(st, 10), *img = col_text(st, 11);
            fprintf(f, "  #%lld  %s  %s%s%s  ", (long long)sqlite3_column_int64(st, 0), ts,
                    strcmp(col_text(st, 3), "complete") ? ps_color(o, PS_C_YELLOW) : "", ps_tx(col_text(st, 3)),
                    ps_color(o, PS_C_RESET));
            if (sqlite3_column_type(st, 6) != SQLITE_NULL)
                fprintf(f, "creator %lld", (long long)sqlite3_column_int64(st, 6));
            else
                fprintf(f, "creator ?");
            if (sqlite3_column_type(st, 7) != SQLITE_NULL)
                fprintf(f, ":%lld", (long long)sqlite3_column_int64(st, 7));
            if (sqlite3_column_type(st, 5) != SQLITE_NULL &&
                sqlite3_column_int64(st, 5) != sqlite3_column_int64(st, 6))
                fprintf(f, " (parent %lld)", (long long)sqlite3_column_int64(st, 5));
            if (sqlite3_column_type(st, 8) != SQLITE_NULL)
                fprintf(f, " \xe2\x86\x92 child %lld", (long long)sqlite3_column_int64(st, 8));
            if (sqlite3_column_type(st, 9) != SQLITE_NULL)
                fprintf(f, ":%lld", (long long)sqlite3_column_int64(st, 9));
            fputc('\n', f);
            fprintf(f, "       image    %s\n", img ? ps_tx(img) : "?");
            if (req && img && strcmp(req, img))
                fprintf(f, "       %srequested %s%s\n", ps_color(o, PS_C_RED), ps_tx(req), ps_color(o, PS_C_RESET));
            if (col_text(st, 12))
                fprintf(f, "       command  %s\n", ps_tx(col_text(st, 12)));
            if (col_text(st, 16))
                fprintf(f, "       %snote     %s%s\n", ps_color(o, PS_C_DIM), ps_tx(col_text(st, 16)),
                        ps_color(o, PS_C_RESET));
        }
    }
    if (o->format == PS_FMT_NDJSON) {
        ps_json_end_array(&j);
    } else if (o->format == PS_FMT_JSON) {
        ps_json_end_array(&j);
        ps_json_end_object(&j);
        ps_json_finish(&j);
    } else if (o->format == PS_FMT_TEXT) {
        if (!n)
            fprintf(f, "  none\n");
        fputc('\n', f);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : ps_report_db_error(s, err);
}
