/* collect.c - folder arguments expanded into the traces they hold
 * (collect.h). */
#include "pipeline/collect.h"

#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "parsers/reader.h"

static int add_path(ps_collect *c, const char *path)
{
    char *p;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        char **np = realloc(c->paths, nc * sizeof *np);
        if (!np)
            return PS_ERR_NOMEM;
        c->paths = np;
        c->cap = nc;
    }
    if (!(p = strdup(path)))
        return PS_ERR_NOMEM;
    c->paths[c->n++] = p;
    return 0;
}

static bool any_match(const char *const *globs, size_t n, const char *name, const char *rel)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (fnmatch(globs[i], name, 0) == 0 || fnmatch(globs[i], rel, FNM_PATHNAME) == 0 ||
            fnmatch(globs[i], rel, 0) == 0)
            return true;
    return false;
}

/* Whether a reader recognises the file; *why says what it is otherwise. */
static bool is_trace(const ps_collect_opts *o, const char *path, char *why, size_t cap)
{
    ps_input_opts io;
    ps_input *in = NULL;
    const ps_reader_ops *ops = NULL;
    ps_error err;
    bool ok;

    if (o->input_format && *o->input_format && strcmp(o->input_format, "auto") != 0)
        return true;
    if (o->input)
        io = *o->input;
    else
        ps_input_opts_init(&io);
    ps_error_clear(&err);
    if (ps_input_open(path, &io, &in, &err) < 0) {
        snprintf(why, cap, "%s", err.msg[0] ? err.msg : "cannot be opened");
        return false;
    }
    ok = ps_reader_detect(in, &ops, &err) == 0 && ops;
    if (!ok)
        snprintf(why, cap, "not a trace procstage reads");
    ps_input_close(in);
    return ok;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks dir (rel: its path below the argument, "" at the top). */
static int walk(ps_collect *c, const ps_collect_opts *o, const char *dir, const char *rel, int depth, ps_error *err)
{
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0, i;
    int rc = 0;

    if (depth > 64)
        return ps_error_set(err, PS_ERR_LIMIT, "'%s': folders nested deeper than 64 levels", dir);
    if (!(d = opendir(dir)))
        return ps_error_set(err, PS_ERR_IO, "cannot read folder '%s': %s", dir, strerror(errno));
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                rc = ps_error_nomem(err);
                goto out;
            }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = ps_error_nomem(err);
            goto out;
        }
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    for (i = 0; i < n && rc == 0; i++) {
        ps_buf path, sub;
        struct stat st;
        char why[PS_ERROR_MAX + 8];

        ps_buf_init(&path);
        ps_buf_init(&sub);
        if (ps_buf_printf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]) < 0 ||
            ps_buf_printf(&sub, "%s%s%s", rel, *rel ? "/" : "", names[i]) < 0) {
            rc = ps_error_nomem(err);
        } else if (lstat(path.data, &st) < 0) {
            c->skipped++;
            if (o->skip)
                o->skip(o->skip_ctx, path.data, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk(c, o, path.data, sub.data, depth + 1, err);
        } else if (S_ISLNK(st.st_mode) && (stat(path.data, &st) < 0 || !S_ISREG(st.st_mode))) {
            c->skipped++;
            if (o->skip)
                o->skip(o->skip_ctx, path.data, "a link to something other than a file (not followed)");
        } else if (!S_ISREG(st.st_mode)) {
            c->skipped++;
            if (o->skip)
                o->skip(o->skip_ctx, path.data, "not a regular file");
        } else if ((o->ninclude && !any_match(o->include, o->ninclude, names[i], sub.data)) ||
                   any_match(o->exclude, o->nexclude, names[i], sub.data)) {
            /* filtered out by the user: not reported */
        } else if (!is_trace(o, path.data, why, sizeof why)) {
            c->skipped++;
            if (o->skip)
                o->skip(o->skip_ctx, path.data, why);
        } else if (add_path(c, path.data) < 0) {
            rc = ps_error_nomem(err);
        }
        ps_buf_release(&path);
        ps_buf_release(&sub);
    }
out:
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int ps_collect_new(char *const *args, size_t n, const ps_collect_opts *o, ps_collect **out, ps_error *err)
{
    ps_collect *c = calloc(1, sizeof *c);
    size_t i;
    int rc = 0;

    *out = NULL;
    if (!c)
        return ps_error_nomem(err);
    for (i = 0; i < n && rc == 0; i++) {
        struct stat st;
        if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            c->folders++;
            rc = walk(c, o, args[i], "", 0, err);
        } else if (add_path(c, args[i]) < 0) {
            rc = ps_error_nomem(err);
        }
    }
    if (rc < 0) {
        ps_collect_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void ps_collect_free(ps_collect *c)
{
    size_t i;
    if (!c)
        return;
    for (i = 0; i < c->n; i++)
        free(c->paths[i]);
    free(c->paths);
    free(c);
}
