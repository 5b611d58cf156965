/*
 * cmd_events.c - procstage events TRACE: the normalised events of any
 * supported trace, as CSV (Procmon's export layout: its column names, every
 * field quoted, UTF-8 with BOM, CRLF) or NDJSON (one object per event, keyed
 * by the same column names).  A PML converted this way matches Procmon's own
 * CSV export of it (tests/realdata/pml.test measures how closely).
 *
 * Times are printed in the trace's time basis as the reader delivers it: UTC
 * for PML, the export's local time for CSV, time of day for exports without
 * a date (Date & Time is then empty).  No model is built.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/arena.h"
#include "common/escape.h"
#include "common/util.h"
#include "parsers/procmon/pml.h"
#include "parsers/reader.h"
#include "common/json.h"

typedef enum ev_col {
    EC_TIME_OF_DAY, EC_PROCESS_NAME, EC_PID, EC_OPERATION, EC_PATH, EC_RESULT, EC_DETAIL,
    EC_DATE_TIME, EC_RELATIVE_TIME, EC_DURATION, EC_COMPLETION_TIME, EC_EVENT_CLASS, EC_SEQUENCE,
    EC_IMAGE_PATH, EC_COMPANY, EC_DESCRIPTION, EC_VERSION, EC_USER, EC_AUTH_ID, EC_SESSION,
    EC_COMMAND_LINE, EC_TID, EC_VIRTUALIZED, EC_INTEGRITY, EC_CATEGORY, EC_PARENT_PID,
    EC_ARCHITECTURE, EC_STACK, EC__COUNT
} ev_col;

/* Procmon's export order; "Stack" is procstage's own and never in "all" */
static const char *const col_names[EC__COUNT] = {
    "Time of Day", "Process Name", "PID", "Operation", "Path", "Result", "Detail", "Date & Time",
    "Relative Time", "Duration", "Completion Time", "Event Class", "Sequence", "Image Path",
    "Company", "Description", "Version", "User", "Authentication ID", "Session", "Command Line",
    "TID", "Virtualized", "Integrity", "Category", "Parent PID", "Architecture", "Stack",
};

#define MAX_COLS 64

typedef struct ev_out {
    ev_col cols[MAX_COLS];
    size_t ncols;
    bool ndjson;
    int64_t first_ts;
    bool have_first;
    ps_time_basis basis;
    ps_csv_mode csv;           /* what is done to a cell: see escape.h */
    ps_buf line, cell;
    /* process names by PID from the trace's process records and process
     * creations, for events whose reader names no process (ETW) */
    ps_map names;
    ps_arena name_text;
} ev_out;

/* Remembers the process name of a PID: `name`, or the file name of `path`
 * (the latest wins). */
static int learn_name(ev_out *o, uint32_t pid, const char *name, const char *path)
{
    char *copy;
    if ((!name || !*name) && path) {
        const char *slash = strrchr(path, '\\');
        name = slash ? slash + 1 : path;
    }
    if (!name || !*name)
        return 0;
    if (!(copy = ps_arena_strdup(&o->name_text, name)))
        return PS_ERR_NOMEM;
    return ps_map_put(&o->names, pid, (uint64_t)(uintptr_t)copy);
}

static int parse_columns(const char *spec, ev_out *o)
{
    char buf[2048], *tok, *save = NULL;
    size_t i;

    if (!strcmp(spec, "all")) {
        for (i = 0; i < EC_STACK; i++)
            o->cols[o->ncols++] = (ev_col)i;
        return 0;
    }
    if (strlen(spec) >= sizeof buf)
        return -1;
    strcpy(buf, spec);
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char norm[64], want[64];
        size_t k = 0, n = 0;
        const char *s;
        bool found = false;
        for (s = tok; *s && k + 1 < sizeof want; s++)
            if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9'))
                want[k++] = (char)(*s | 0x20);
        want[k] = '\0';
        for (i = 0; i < EC__COUNT && !found; i++) {
            n = 0;
            for (s = col_names[i]; *s && n + 1 < sizeof norm; s++)
                if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9'))
                    norm[n++] = (char)(*s | 0x20);
            norm[n] = '\0';
            if (k && !strcmp(norm, want)) {
                if (o->ncols == MAX_COLS)
                    return -1;
                o->cols[o->ncols++] = (ev_col)i;
                found = true;
            }
        }
        if (!found)
            return -1;
    }
    return o->ncols ? 0 : -1;
}

static void put_stack(ps_buf *b, const ps_event *ev)
{
    uint32_t i;
    for (i = 0; i < ev->nframes; i++) {
        const ps_frame *f = &ev->frames[i];
        if (i)
            pml_put(b, "; ", 2);
        if (f->module) {
            pml_puts(b, f->module);
            if (f->symbol) {
                pml_put(b, "!", 1);
                pml_puts(b, f->symbol);
            }
            pml_put(b, "+", 1);
            pml_put_hex(b, f->offset, false);
        } else {
            pml_put_hex(b, f->address, false);
        }
    }
}

static void put_relative(ps_buf *b, int64_t d)
{
    char t[48];
    int64_t s;
    int n;
    if (d < 0)
        d = 0;
    s = d / PS_TICKS_PER_SEC;
    n = snprintf(t, sizeof t, "%02lld:%02d:%02d.%07d", (long long)(s / 3600), (int)(s / 60 % 60), (int)(s % 60),
                 (int)(d % PS_TICKS_PER_SEC));
    pml_put(b, t, (size_t)n);
}

/* The text of one cell; *is_int tells NDJSON to write a number. */
static void cell(ev_out *o, const ps_event *ev, ev_col c, ps_buf *b, bool *is_int)
{
    const ps_proc_attrs *a = ev->proc;
    *is_int = false;
    b->len = 0;
    pml_put(b, "", 0);
    switch (c) {
    case EC_TIME_OF_DAY:
        pml_put_time_of_day(b, ev->ts);
        break;
    case EC_PROCESS_NAME:
        if (ev->process_name && *ev->process_name) {
            pml_puts(b, ev->process_name);
        } else {
            uint64_t v;
            if (ps_map_get(&o->names, ev->pid, &v))
                pml_puts(b, (const char *)(uintptr_t)v);
        }
        break;
    case EC_PID:
        pml_put_u64(b, ev->pid);
        *is_int = true;
        break;
    case EC_OPERATION:
        pml_puts(b, ev->operation ? ev->operation : "");
        break;
    case EC_PATH:
        pml_puts(b, ev->path ? ev->path : "");
        break;
    case EC_RESULT:
        pml_puts(b, ev->result ? ev->result : "");
        break;
    case EC_DETAIL:
        pml_puts(b, ev->detail ? ev->detail : "");
        break;
    case EC_DATE_TIME:
        if (o->basis != PS_TIME_TIME_OF_DAY)
            pml_put_datetime(b, ev->ts);
        break;
    case EC_RELATIVE_TIME:
        put_relative(b, ev->ts - o->first_ts);
        break;
    case EC_DURATION:
        if (ev->duration >= 0)
            pml_put_seconds(b, ev->duration);
        break;
    case EC_COMPLETION_TIME:
        if (ev->duration >= 0)
            pml_put_time_of_day(b, ev->ts + ev->duration);
        break;
    case EC_EVENT_CLASS:
        if (ev->cls != PS_CLASS_UNKNOWN)
            pml_puts(b, ps_event_class_name(ev->cls));
        break;
    case EC_SEQUENCE:
        pml_put_u64(b, ev->seq);
        *is_int = true;
        break;
    case EC_IMAGE_PATH:
        pml_puts(b, a && a->image_path ? a->image_path : "");
        break;
    case EC_COMPANY:
        pml_puts(b, a && a->company ? a->company : "");
        break;
    case EC_DESCRIPTION:
        pml_puts(b, a && a->description ? a->description : "");
        break;
    case EC_VERSION:
        pml_puts(b, a && a->version ? a->version : "");
        break;
    case EC_USER:
        pml_puts(b, a && a->user ? a->user : "");
        break;
    case EC_AUTH_ID:
        pml_puts(b, a && a->auth_id ? a->auth_id : "");
        break;
    case EC_SESSION:
        if (a && a->session >= 0) {
            pml_put_u64(b, (uint64_t)a->session);
            *is_int = true;
        }
        break;
    case EC_COMMAND_LINE:
        pml_puts(b, a && a->command_line ? a->command_line : "");
        break;
    case EC_TID:
        if (ev->has_tid) {
            pml_put_u64(b, ev->tid);
            *is_int = true;
        }
        break;
    case EC_VIRTUALIZED:
        pml_puts(b, a && a->virtualized ? a->virtualized : "");
        break;
    case EC_INTEGRITY:
        pml_puts(b, a && a->integrity ? a->integrity : "");
        break;
    case EC_CATEGORY:
        pml_puts(b, ev->category ? ev->category : "");
        break;
    case EC_PARENT_PID:
        if (a && a->has_parent_pid) {
            pml_put_u64(b, a->parent_pid);
            *is_int = true;
        }
        break;
    case EC_ARCHITECTURE:
        pml_puts(b, a && a->architecture ? a->architecture : "");
        break;
    case EC_STACK:
        put_stack(b, ev);
        break;
    case EC__COUNT:
        break;
    }
}

static void csv_quoted(ps_buf *line, const char *s, size_t n, bool first, ps_csv_mode mode)
{
    size_t i, start = 0;
    if (!first)
        pml_put(line, ",", 1);
    pml_put(line, "\"", 1);
    if (mode == PS_CSV_TERMINAL) {
        s = ps_tx(s);
        n = strlen(s);
    } else if (mode == PS_CSV_FILE && ps_csv_formula(s)) {
        pml_put(line, "'", 1);   /* not a spreadsheet formula */
    }
    for (i = 0; i < n; i++) {
        if (s[i] == '"') {
            pml_put(line, s + start, i + 1 - start);
            start = i;
        }
    }
    pml_put(line, s + start, n - start);
    pml_put(line, "\"", 1);
}

static int write_event(ev_out *o, const ps_event *ev, FILE *f)
{
    size_t i;
    bool is_int;

    if (!o->have_first) {
        o->first_ts = ev->ts;
        o->have_first = true;
    }
    o->line.len = 0;
    if (o->ndjson) {
        ps_json j;
        ps_json_init_buf(&j, &o->line);
        ps_json_begin_object(&j);
        for (i = 0; i < o->ncols; i++) {
            ev_col c = o->cols[i];
            ps_json_key(&j, col_names[c]);
            if (c == EC_STACK) {
                uint32_t k;
                ps_json_begin_array(&j);
                for (k = 0; k < ev->nframes; k++) {
                    const ps_frame *fr = &ev->frames[k];
                    char hex[24];
                    ps_json_begin_object(&j);
                    snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)fr->address);
                    ps_json_kv_str(&j, "address", hex);
                    ps_json_kv_str(&j, "module", fr->module);
                    if (fr->symbol)
                        ps_json_kv_str(&j, "symbol", fr->symbol);
                    if (fr->module || fr->symbol) {
                        snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)fr->offset);
                        ps_json_kv_str(&j, "offset", hex);
                    }
                    ps_json_end_object(&j);
                }
                ps_json_end_array(&j);
                continue;
            }
            cell(o, ev, c, &o->cell, &is_int);
            if (is_int)
                ps_json_raw(&j, o->cell.data);
            else if (!o->cell.len && (c == EC_PID || c == EC_TID || c == EC_SESSION || c == EC_PARENT_PID))
                ps_json_null(&j);
            else
                ps_json_string(&j, o->cell.data);
        }
        ps_json_end_object(&j);
        pml_put(&o->line, "\n", 1);
    } else {
        for (i = 0; i < o->ncols; i++) {
            cell(o, ev, o->cols[i], &o->cell, &is_int);
            csv_quoted(&o->line, o->cell.data, o->cell.len, i == 0, o->csv);
        }
        pml_put(&o->line, "\r\n", 2);
    }
    if (!o->line.data)
        return PS_ERR_NOMEM;
    return fwrite(o->line.data, 1, o->line.len, f) == o->line.len ? 0 : PS_ERR_IO;
}

enum { OPT_FORMAT = PS_OPT_COMMAND, OPT_COLUMNS };

static const ps_cli_opt events_opts[] = {
    {"format", OPT_FORMAT, required_argument, "FORMAT", "csv (default) or ndjson", false},
    {"columns", OPT_COLUMNS, required_argument, "LIST",
     "comma-separated column names, or 'all' (Procmon's 27\nexport columns); default: Time of Day, Process Name,\n"
     "PID, Operation, Path, Result, Detail.  'Stack' adds the\nresolved stack (module+offset, innermost first)",
     false},
    {NULL, 0, 0, NULL, NULL, false},
};
static const ps_cli_opt *const events_tables[] = {events_opts, ps_cli_input_opts, NULL};

static int run(ps_cli *cli, int argc, char **argv)
{
    ev_out o;
    ps_cli_ingest io;
    const char *columns = NULL, *recon = NULL;
    ps_input *in = NULL;
    ps_reader *rd = NULL;
    const ps_reader_ops *ops = NULL;
    ps_reader_opts ropts;
    ps_error err;
    int c, rc, status = PS_EXIT_OK;
    size_t i;

    memset(&o, 0, sizeof o);
    memset(&io, 0, sizeof io);
    ps_input_opts_init(&io.input);
    while ((c = ps_cli_getopt(cli, &ps_cmd_events, argc, argv)) != -1) {
        switch (c) {
        case OPT_FORMAT:
            if (!strcmp(optarg, "csv"))
                o.ndjson = false;
            else if (!strcmp(optarg, "ndjson"))
                o.ndjson = true;
            else
                return ps_cli_usage(cli, "events", "--format takes csv or ndjson, not '%s'", optarg);
            break;
        case OPT_COLUMNS:
            columns = optarg;
            break;
        case 'h':
            ps_cli_help(&ps_cmd_events, stdout);
            return PS_EXIT_OK;
        default:
            rc = ps_cli_ingest_option(cli, "events", c, optarg, &io, &recon);
            if (rc == 1)
                break;
            return rc ? rc : ps_cli_bad_option(cli, "events", argv, c);
        }
    }
    if (optind >= argc)
        return ps_cli_usage(cli, "events", "no trace given");
    if (optind + 1 < argc)
        return ps_cli_usage(cli, "events", "one trace at a time ('%s' is extra)", argv[optind + 1]);
    if (columns) {
        if (parse_columns(columns, &o) < 0)
            return ps_cli_usage(cli, "events",
                                "--columns takes 'all' or Procmon column names separated by commas "
                                "(e.g. \"Time of Day,PID,Operation,Path\"), not '%s'",
                                columns);
    } else {
        for (i = 0; i <= EC_DETAIL; i++)
            o.cols[o.ncols++] = (ev_col)i;
    }

    ps_error_clear(&err);
    ps_buf_init(&o.line);
    ps_buf_init(&o.cell);
    ps_map_init(&o.names);
    ps_arena_init(&o.name_text, 1u << 14);
    if ((rc = ps_input_open(argv[optind], &io.input, &in, &err)) < 0)
        goto fail;
    if (io.format && strcmp(io.format, "auto"))
        ops = ps_reader_find(io.format);
    else if ((rc = ps_reader_detect(in, &ops, &err)) < 0)
        goto fail;
    memset(&ropts, 0, sizeof ropts);
    ropts.no_stacks = io.no_stacks;
    ropts.warn = ps_cli_reader_warning;
    ropts.warn_ctx = cli;
    if ((rc = ops->open(in, &ropts, &rd, &err)) < 0)
        goto fail;
    o.basis = rd->info.time_basis;
    o.csv = ps_csv_mode_of(stdout);
    if (!o.ndjson) {
        o.line.len = 0;
        pml_put(&o.line, "\xEF\xBB\xBF", 3);
        for (i = 0; i < o.ncols; i++)
            csv_quoted(&o.line, col_names[o.cols[i]], strlen(col_names[o.cols[i]]), i == 0, PS_CSV_RAW);
        pml_put(&o.line, "\r\n", 2);
        fwrite(o.line.data, 1, o.line.len, stdout);
    }
    for (;;) {
        ps_record rec;
        int n = ps_reader_next(rd, &rec, &err);
        if (n < 0) {
            rc = n;
            goto fail;
        }
        if (n == 0)
            break;
        rc = 0;
        if (rec.type == PS_REC_PROCESS) {
            rc = learn_name(&o, rec.process->pid, rec.process->process_name, rec.process->image_path);
        } else if (rec.type == PS_REC_EVENT && rec.event->op == PS_OP_PROCESS_CREATE &&
                   rec.event->has_child_pid) {
            rc = learn_name(&o, rec.event->child_pid, NULL, rec.event->path);
        }
        if (rc < 0) {
            ps_error_nomem(&err);
            goto fail;
        }
        if (rec.type != PS_REC_EVENT)
            continue;
        o.basis = rd->info.time_basis;
        if ((rc = write_event(&o, rec.event, stdout)) < 0) {
            if (rc == PS_ERR_NOMEM)
                ps_error_nomem(&err);
            else
                ps_error_set(&err, PS_ERR_IO, "cannot write the output");
            goto fail;
        }
    }
    if (rd->info.undecoded)
        ps_cli_verbose(cli, "%s: %llu events kept without decoded details", argv[optind],
                       (unsigned long long)rd->info.undecoded);
    goto out;
fail:
    status = ps_cli_fail(cli, &err);
out:
    ps_reader_close(rd);
    ps_input_close(in);
    ps_buf_release(&o.line);
    ps_buf_release(&o.cell);
    ps_map_release(&o.names);
    ps_arena_release(&o.name_text);
    return status;
}

const ps_command ps_cmd_events = {
    .name = "events",
    .summary = "print the events of a trace as CSV (Procmon's export layout) or NDJSON",
    .synopsis = "TRACE [OPTION]...",
    .description = "Print the events of a trace (any format procstage reads) without building a model.\n"
                   "CSV output uses the layout of Process Monitor's own CSV export, so that a PML can be\n"
                   "converted on Linux; NDJSON writes one object per event with the same keys.\n"
                   "TRACE is a file or - for standard input, plain or zstd-compressed.",
    .options = events_tables,
    .run = run,
};
