#include "parsers/procmon/procmon.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

/* ---- columns ---------------------------------------------------------------- */

static const struct {
    ps_pm_col col;
    const char *name;      /* as Procmon's CSV header writes it */
    const char *alias;     /* another normalised spelling, or NULL */
} columns[] = {
    {PM_COL_TIME_OF_DAY, "Time of Day", NULL},
    {PM_COL_PROCESS_NAME, "Process Name", NULL},
    {PM_COL_PID, "PID", NULL},
    {PM_COL_OPERATION, "Operation", NULL},
    {PM_COL_PATH, "Path", NULL},
    {PM_COL_RESULT, "Result", NULL},
    {PM_COL_DETAIL, "Detail", NULL},
    {PM_COL_DATE_TIME, "Date & Time", "dateandtime"},
    {PM_COL_RELATIVE_TIME, "Relative Time", NULL},
    {PM_COL_DURATION, "Duration", NULL},
    {PM_COL_COMPLETION_TIME, "Completion Time", NULL},
    {PM_COL_EVENT_CLASS, "Event Class", NULL},
    {PM_COL_SEQUENCE, "Sequence", "sequencenumber"},
    {PM_COL_IMAGE_PATH, "Image Path", NULL},
    {PM_COL_COMPANY, "Company", NULL},
    {PM_COL_DESCRIPTION, "Description", NULL},
    {PM_COL_VERSION, "Version", NULL},
    {PM_COL_USER, "User", NULL},
    {PM_COL_AUTH_ID, "Authentication ID", NULL},
    {PM_COL_SESSION, "Session", NULL},
    {PM_COL_COMMAND_LINE, "Command Line", NULL},
    {PM_COL_TID, "TID", "threadid"},
    {PM_COL_VIRTUALIZED, "Virtualized", NULL},
    {PM_COL_INTEGRITY, "Integrity", NULL},
    {PM_COL_CATEGORY, "Category", NULL},
    {PM_COL_PARENT_PID, "Parent PID", NULL},
    {PM_COL_ARCHITECTURE, "Architecture", NULL},
    {PM_COL_PROCESS_INDEX, "ProcessIndex", NULL},
};

/* lower-case letters and digits only: "Date & Time" -> "datetime" */
static void normalise(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (; *in && n + 1 < cap; in++) {
        unsigned char c = (unsigned char)*in;
        if (isalnum(c))
            out[n++] = (char)tolower(c);
    }
    out[n] = '\0';
}

ps_pm_col ps_pm_col_from_name(const char *name)
{
    char want[64], have[64];
    size_t i;

    normalise(name, want, sizeof want);
    if (!want[0])
        return PM_COL_UNKNOWN;
    for (i = 0; i < PS_ARRAY_LEN(columns); i++) {
        normalise(columns[i].name, have, sizeof have);
        if (strcmp(want, have) == 0 || (columns[i].alias && strcmp(want, columns[i].alias) == 0))
            return columns[i].col;
    }
    return PM_COL_UNKNOWN;
}

/* ---- times -------------------------------------------------------------------- */

/* AM/PM designators of the locales Windows ships, normalised (ASCII lower-case,
 * no dots or spaces).  0 = AM, 1 = PM. */
static const struct {
    const char *text;
    int pm;
} designators[] = {
    {"am", 0}, {"pm", 1},
    {"\xec\x98\xa4\xec\xa0\x84", 0}, {"\xec\x98\xa4\xed\x9b\x84", 1},    /* ko */
    {"\xe4\xb8\x8a\xe5\x8d\x88", 0}, {"\xe4\xb8\x8b\xe5\x8d\x88", 1},    /* zh */
    {"\xe5\x8d\x88\xe5\x89\x8d", 0}, {"\xe5\x8d\x88\xe5\xbe\x8c", 1},    /* ja */
    {"\xd8\xb5", 0}, {"\xd9\x85", 1},                                    /* ar */
    {"\xcf\x80\xce\xbc", 0}, {"\xce\xbc\xce\xbc", 1},                    /* el */
};

/* Recognises a designator in s[0..n); returns 0/1 or -1. */
static int designator(const char *s, size_t n)
{
    char norm[32];
    size_t k = 0, i;

    for (i = 0; i < n && k + 1 < sizeof norm; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' || c == ' ')
            continue;
        norm[k++] = (char)((c >= 'A' && c <= 'Z') ? c + 32 : c);
    }
    norm[k] = '\0';
    if (!k)
        return -1;
    for (i = 0; i < PS_ARRAY_LEN(designators); i++)
        if (strcmp(norm, designators[i].text) == 0)
            return designators[i].pm;
    return -1;
}

static const char *skip_spaces(const char *s)
{
    for (;;) {
        if (*s == ' ' || *s == '\t')
            s++;
        else if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
            s += 2;
        else
            return s;
    }
}

static bool parse_digits(const char **ps, int maxd, int64_t *v, int *nd)
{
    const char *s = *ps;
    int64_t x = 0;
    int n = 0;
    while (isdigit((unsigned char)*s) && n < maxd) {
        x = x * 10 + (*s - '0');
        s++;
        n++;
    }
    if (!n)
        return false;
    *v = x;
    if (nd)
        *nd = n;
    *ps = s;
    return true;
}

bool ps_pm_parse_tod(const char *s, bool allow_over_24, int64_t *ticks)
{
    int64_t h, m, sec, frac = 0;
    int nd = 0, pm = -1;
    const char *p;

    if (!s)
        return false;
    s = skip_spaces(s);
    /* a designator before the time (ko-KR, zh-TW style) */
    if (!isdigit((unsigned char)*s)) {
        const char *e = s;
        while (*e && *e != ' ' && !isdigit((unsigned char)*e))
            e++;
        pm = designator(s, (size_t)(e - s));
        if (pm < 0)
            return false;
        s = skip_spaces(e);
    }
    p = s;
    if (!parse_digits(&p, allow_over_24 ? 9 : 2, &h, NULL) || *p++ != ':')
        return false;
    if (!parse_digits(&p, 2, &m, NULL) || *p++ != ':')
        return false;
    if (!parse_digits(&p, 2, &sec, NULL))
        return false;
    if (*p == '.' || *p == ',') {
        const char *q = ++p;
        int64_t f = 0;
        nd = 0;
        while (isdigit((unsigned char)*q)) {
            if (nd < 7) {
                f = f * 10 + (*q - '0');
                nd++;
            }
            q++;
        }
        if (q == p)
            return false;
        while (nd < 7) {
            f *= 10;
            nd++;
        }
        frac = f;
        p = q;
    }
    p = skip_spaces(p);
    if (*p) {
        if (pm >= 0)
            return false;
        pm = designator(p, strlen(p));
        if (pm < 0)
            return false;
    }
    if (pm >= 0) {
        if (h < 1 || h > 12)
            return false;
        if (pm == 1 && h < 12)
            h += 12;
        else if (pm == 0 && h == 12)
            h = 0;
    }
    if ((!allow_over_24 && h > 23) || m > 59 || sec > 60)
        return false;
    *ticks = ((h * 60 + m) * 60 + sec) * PS_TICKS_PER_SEC + frac;
    return true;
}

bool ps_pm_parse_datetime(const char *s, ps_pm_date_order *order, bool *assumed, int64_t *ft)
{
    int64_t a, b, c, y, mo, d, tod = 0;
    int na, nc;
    char sep;
    const char *p;
    ps_pm_date_order use;

    if (!s)
        return false;
    p = skip_spaces(s);
    if (!parse_digits(&p, 4, &a, &na))
        return false;
    sep = *p;
    if (sep != '/' && sep != '.' && sep != '-')
        return false;
    p = skip_spaces(p + 1);
    if (!parse_digits(&p, 2, &b, NULL) || *p != sep)
        return false;
    p = skip_spaces(p + 1);
    if (!parse_digits(&p, 4, &c, &nc))
        return false;
    if (*p == '.')
        p++;   /* "2020. 7. 31." and "31.07.2020." */
    if (na == 4) {
        use = PM_DATE_YMD;
    } else {
        if (nc == 2)
            c += 2000;
        use = *order;
        if (use == PM_DATE_UNKNOWN || use == PM_DATE_YMD) {
            if (sep == '/') {
                if (a > 12) {
                    use = PM_DATE_DMY;
                } else if (b > 12) {
                    use = PM_DATE_MDY;
                } else {
                    use = PM_DATE_MDY;
                    if (assumed)
                        *assumed = true;
                }
            } else {
                use = PM_DATE_DMY;
            }
        } else if (use == PM_DATE_MDY && a > 12 && b <= 12) {
            use = PM_DATE_DMY;   /* evidence overrides an assumption */
        } else if (use == PM_DATE_DMY && b > 12 && a <= 12) {
            use = PM_DATE_MDY;
        }
        *order = use;
    }
    if (use == PM_DATE_YMD) {
        y = a;
        mo = b;
        d = c;
    } else if (use == PM_DATE_DMY) {
        d = a;
        mo = b;
        y = c;
    } else {
        mo = a;
        d = b;
        y = c;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1601 || y > 30827)
        return false;
    p = skip_spaces(p);
    if (*p) {
        if (!ps_pm_parse_tod(p, false, &tod))
            return false;
    }
    *ft = ps_days_from_civil(y, (unsigned)mo, (unsigned)d) * PS_TICKS_PER_DAY + tod;
    return true;
}

bool ps_pm_parse_seconds(const char *s, int64_t *ticks)
{
    int64_t whole = 0, frac = 0;
    int nd = 0;
    const char *p;

    if (!s)
        return false;
    p = skip_spaces(s);
    if (!parse_digits(&p, 12, &whole, NULL))
        return false;
    if (*p == '.' || *p == ',') {
        p++;
        while (isdigit((unsigned char)*p)) {
            if (nd < 7) {
                frac = frac * 10 + (*p - '0');
                nd++;
            }
            p++;
        }
        while (nd < 7) {
            frac *= 10;
            nd++;
        }
    }
    if (*skip_spaces(p))
        return false;
    *ticks = whole * PS_TICKS_PER_SEC + frac;
    return true;
}

/* ---- Detail -------------------------------------------------------------------- */

/* Finds "Key: " at the start of s or after ", " and returns the value start. */
static const char *find_key(const char *s, const char *key)
{
    size_t kl = strlen(key);
    const char *p = s;

    while (p && *p) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ':' && p[kl + 1] == ' ')
            return p + kl + 2;
        p = strstr(p, ", ");
        if (p)
            p += 2;
    }
    return NULL;
}

static bool key_number(const char *s, const char *key, uint64_t *v)
{
    const char *p = find_key(s, key);
    return p && ps_parse_uint_loose(p, v) > 0;
}

bool ps_pm_parse_detail(ps_event *ev, ps_arena *a)
{
    const char *d = ev->detail;
    uint64_t v;

    if (!d || !*d)
        return true;
    switch (ev->op) {
    case PS_OP_PROCESS_CREATE: {
        const char *cl;
        if (!key_number(d, "PID", &v))
            return false;
        ev->child_pid = (uint32_t)v;
        ev->has_child_pid = true;
        cl = strstr(d, "Command line: ");
        if (cl)
            ev->command_line = ps_arena_strdup(a, cl + 14);
        return true;
    }
    case PS_OP_PROCESS_START: {
        const char *cl, *env, *cwd = NULL, *p;
        if (!key_number(d, "Parent PID", &v))
            return false;
        ev->parent_pid = (uint32_t)v;
        ev->has_parent_pid = true;
        cl = strstr(d, "Command line: ");
        if (!cl)
            return true;
        cl += 14;
        env = strstr(cl, ", Environment:");
        /* the current directory is the last ", Current directory: " before
         * the environment: command lines may contain that text too */
        for (p = cl; (p = strstr(p, ", Current directory: ")) && (!env || p < env); p++)
            cwd = p;
        if (cwd) {
            ev->command_line = ps_arena_strndup(a, cl, (size_t)(cwd - cl));
            cwd += 21;
            ev->current_dir = env ? ps_arena_strndup(a, cwd, (size_t)(env - cwd)) : ps_arena_strdup(a, cwd);
        } else {
            ev->command_line = env ? ps_arena_strndup(a, cl, (size_t)(env - cl)) : ps_arena_strdup(a, cl);
        }
        return true;
    }
    case PS_OP_THREAD_CREATE:
    case PS_OP_THREAD_EXIT:
        if (!key_number(d, "Thread ID", &v))
            return false;
        ev->new_tid = (uint32_t)v;
        ev->has_new_tid = true;
        return true;
    case PS_OP_LOAD_IMAGE:
        if (!key_number(d, "Image Base", &ev->image_base))
            return false;
        key_number(d, "Image Size", &ev->image_size);
        return true;
    case PS_OP_PROCESS_EXIT: {
        const char *p = find_key(d, "Exit Status");
        int64_t sign = 1;
        if (!p)
            return false;
        if (*p == '-') {
            sign = -1;
            p++;
        }
        if (ps_parse_uint_loose(p, &v) == 0)
            return false;
        ev->exit_status = sign * (int64_t)v;
        ev->has_exit_status = true;
        return true;
    }
    case PS_OP_REG_QUERY_VALUE:
    case PS_OP_REG_SET_VALUE: {
        const char *t = find_key(d, "Type"), *data;
        if (!t)
            return true;   /* failed queries carry only "Length: n" */
        {
            const char *e = strstr(t, ", ");
            ev->reg_type = e ? ps_arena_strndup(a, t, (size_t)(e - t)) : ps_arena_strdup(a, t);
        }
        data = strstr(t, ", Data: ");
        if (data)
            ev->reg_data = ps_arena_strdup(a, data + 8);
        else if ((data = strstr(t, ", Data:")) != NULL)
            ev->reg_data = ps_arena_strdup(a, data + 7);
        return true;
    }
    default:
        return true;
    }
}

/* ---- rows ------------------------------------------------------------------------ */

void ps_pm_conv_init(ps_pm_conv *cv, ps_reader *r)
{
    memset(cv, 0, sizeof *cv);
    cv->reader = r;
    ps_arena_init(&cv->arena, 16384);
}

void ps_pm_conv_release(ps_pm_conv *cv)
{
    ps_arena_release(&cv->arena);
}

int ps_pm_conv_setup(ps_pm_conv *cv, const char *where, ps_error *err)
{
    ps_trace_info *ti = &cv->reader->info;

    if (!cv->present[PM_COL_OPERATION])
        return ps_error_set(err, PS_ERR_INPUT, "%s: no Operation column", where);
    if (!cv->present[PM_COL_TIME_OF_DAY] && !cv->present[PM_COL_DATE_TIME])
        return ps_error_set(err, PS_ERR_INPUT, "%s: no Time of Day or Date & Time column", where);
    ti->has_tid = cv->present[PM_COL_TID];
    if (cv->present[PM_COL_DATE_TIME]) {
        ti->time_basis = PS_TIME_LOCAL;
        snprintf(ti->time_note, sizeof ti->time_note, "%s",
                 cv->present[PM_COL_TIME_OF_DAY]
                     ? "local time: date from Date & Time, 100 ns time from Time of Day"
                     : "local time from Date & Time (1 s resolution)");
    } else {
        ti->time_basis = PS_TIME_TIME_OF_DAY;
        snprintf(ti->time_note, sizeof ti->time_note,
                 "local time of day without a date (day 0 = 1601-01-01); midnight roll-overs "
                 "inferred from the order of events");
    }
    return 0;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

int ps_pm_row_to_event(ps_pm_conv *cv, const char *const *val, ps_event *ev, const char *where,
                       ps_error *err)
{
    const char *s;
    uint64_t v;
    int64_t tod = 0, ft = 0;
    bool have_tod = false, have_date = false;
    ps_event_class cls;

    ps_arena_reset(&cv->arena);
    ps_event_init(ev);
    ev->seq = ++cv->seq;

    /* time */
    if ((s = val[PM_COL_TIME_OF_DAY]) && *s) {
        if (!ps_pm_parse_tod(s, false, &tod))
            return ps_error_set(err, PS_ERR_INPUT, "%s: cannot read the Time of Day '%s'", where, s);
        have_tod = true;
    }
    if ((s = val[PM_COL_DATE_TIME]) && *s) {
        bool assumed = false;
        if (!ps_pm_parse_datetime(s, &cv->order, &assumed, &ft))
            return ps_error_set(err, PS_ERR_INPUT, "%s: cannot read the Date & Time '%s'", where, s);
        if (assumed && !cv->order_noted) {
            cv->order_noted = true;
            ps_strlcpy(cv->reader->info.time_note + strlen(cv->reader->info.time_note), "; dates read as M/D/Y",
                       sizeof cv->reader->info.time_note - strlen(cv->reader->info.time_note));
        }
        have_date = true;
    }
    if (have_date) {
        ev->ts = have_tod ? (ft / PS_TICKS_PER_DAY) * PS_TICKS_PER_DAY + tod : ft;
        if (have_tod) {
            /* Date & Time is truncated to the second; around midnight its
             * date may lag Time of Day by one second. */
            int64_t dt_tod = ft % PS_TICKS_PER_DAY;
            if (dt_tod > tod + PS_TICKS_PER_DAY / 2)
                ev->ts += PS_TICKS_PER_DAY;
        }
    } else if (have_tod) {
        if (cv->have_last && tod + PS_TICKS_PER_DAY / 2 < cv->last_tod)
            cv->day++;
        cv->last_tod = tod;
        cv->have_last = true;
        ev->ts = cv->day * PS_TICKS_PER_DAY + tod;
    } else {
        return ps_error_set(err, PS_ERR_INPUT, "%s: the event has no time", where);
    }

    /* identity */
    ev->operation = nz(val[PM_COL_OPERATION]);
    if (!*ev->operation)
        return ps_error_set(err, PS_ERR_INPUT, "%s: empty Operation", where);
    ev->op = ps_op_from_procmon(ev->operation, &cls);
    ev->cls = cls;
    if ((s = val[PM_COL_EVENT_CLASS]) && *s) {
        ps_event_class c = ps_event_class_from_name(s);
        if (c != PS_CLASS_UNKNOWN)
            ev->cls = c;
    }
    if ((s = val[PM_COL_PID]) && *s) {
        if (ps_parse_uint_loose(s, &v) == 0)
            return ps_error_set(err, PS_ERR_INPUT, "%s: cannot read the PID '%s'", where, s);
        ev->pid = (uint32_t)v;
    }
    if ((s = val[PM_COL_TID]) && *s) {
        if (ps_parse_uint_loose(s, &v) == 0)
            return ps_error_set(err, PS_ERR_INPUT, "%s: cannot read the TID '%s'", where, s);
        ev->tid = (uint32_t)v;
        ev->has_tid = true;
    }
    if ((s = val[PM_COL_PROCESS_INDEX]) && *s && ps_parse_uint_loose(s, &v) > 0)
        ev->proc_index = (int64_t)v;
    ev->process_name = nz(val[PM_COL_PROCESS_NAME]);
    ev->path = nz(val[PM_COL_PATH]);
    ev->result = nz(val[PM_COL_RESULT]);
    ev->detail = nz(val[PM_COL_DETAIL]);
    ev->category = val[PM_COL_CATEGORY];
    if ((s = val[PM_COL_DURATION]) && *s) {
        int64_t d;
        if (ps_pm_parse_seconds(s, &d))
            ev->duration = d;
    }

    /* per-row process attributes */
    if (cv->present[PM_COL_IMAGE_PATH] || cv->present[PM_COL_COMMAND_LINE] ||
        cv->present[PM_COL_USER] || cv->present[PM_COL_PARENT_PID] || cv->present[PM_COL_INTEGRITY]) {
        ps_proc_attrs *pa = &cv->attrs;
        memset(pa, 0, sizeof *pa);
        pa->session = -1;
        pa->image_path = val[PM_COL_IMAGE_PATH];
        pa->command_line = val[PM_COL_COMMAND_LINE];
        pa->user = val[PM_COL_USER];
        pa->integrity = val[PM_COL_INTEGRITY];
        pa->company = val[PM_COL_COMPANY];
        pa->version = val[PM_COL_VERSION];
        pa->description = val[PM_COL_DESCRIPTION];
        pa->auth_id = val[PM_COL_AUTH_ID];
        pa->architecture = val[PM_COL_ARCHITECTURE];
        pa->virtualized = val[PM_COL_VIRTUALIZED];
        if ((s = val[PM_COL_PARENT_PID]) && *s && ps_parse_uint_loose(s, &v) > 0) {
            pa->parent_pid = (uint32_t)v;
            pa->has_parent_pid = true;
        }
        if ((s = val[PM_COL_SESSION]) && *s && ps_parse_uint_loose(s, &v) > 0)
            pa->session = (int32_t)v;
        ev->proc = pa;
    }

    if (!ps_pm_parse_detail(ev, &cv->arena))
        cv->reader->info.undecoded++;
    return 0;
}
