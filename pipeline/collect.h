/*
 * collect.h - the traces of a collection: the paths a user named, folders
 * walked.
 *
 * A triage collection (KAPE, Velociraptor, a copied C:\Windows\System32\
 * winevt\Logs) is a tree of traces and of everything else.  ps_collect
 * expands every folder argument recursively, in byte order of the names so
 * that a model does not depend on the order readdir returns, keeps the files
 * a reader recognises by content (parsers/reader.h: ps_reader_detect, through
 * .zst), and reports the others through `skip` without failing.  A file named
 * on the command line is kept as it is: reading it reports its errors.
 * Symbolic links to folders are not followed (a collection may hold loops);
 * links to files are.
 *
 * Ownership: ps_collect_new returns a list the caller frees with
 * ps_collect_free; its paths are owned by it.
 */
#ifndef PS_COLLECT_H
#define PS_COLLECT_H

#include <stddef.h>

#include "common/error.h"
#include "parsers/input.h"

typedef void (*ps_collect_skip_fn)(void *ctx, const char *path, const char *why);

typedef struct ps_collect_opts {
    /* globs (fnmatch) a file of a folder must match, on its name or on its
     * path below the folder, to be kept: any of include (none: every file),
     * none of exclude.  Files named directly are not filtered. */
    const char *const *include;
    size_t ninclude;
    const char *const *exclude;
    size_t nexclude;
    const ps_input_opts *input;      /* how candidates are opened to detect their format */
    const char *input_format;        /* a reader name: every file of a folder is taken as it */
    ps_collect_skip_fn skip;         /* a file of a folder left out, and why; may be NULL */
    void *skip_ctx;
} ps_collect_opts;

typedef struct ps_collect {
    char **paths;
    size_t n, cap;
    size_t folders;                  /* folder arguments walked */
    size_t skipped;                  /* files of folders left out */
} ps_collect;

/* Expands args[0..n) into *out.  An argument that is neither a file nor a
 * folder is kept (its reader reports it).  Errors: PS_ERR_IO for a folder
 * that cannot be read, PS_ERR_NOMEM. */
int ps_collect_new(char *const *args, size_t n, const ps_collect_opts *o, ps_collect **out, ps_error *err);
void ps_collect_free(ps_collect *c);

#endif
