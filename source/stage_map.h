/*
 * stage_map.h - the function -> stage map (rules/stages.yml, docs/source.md):
 * which functions of Windows, the WRK and ReactOS belong to which of the six
 * CreateProcess stages, in which modules, and the scanner's stop list.
 *
 * Used by `source scan` (stage_source `map`), by stack attribution (an
 * event's stage is that of its innermost mapped frame) and by
 * `source export-stacktags`.
 *
 * Ownership: a ps_stage_map owns every string and array it holds; release it
 * with ps_stage_map_release.  Pointers returned by the lookups stay valid
 * until the map is changed or released.
 */
#ifndef PS_STAGE_MAP_H
#define PS_STAGE_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/util.h"

typedef struct ps_stage_entry {
    char *function;
    char **modules;          /* lower-case file names; none: any module */
    size_t nmodules;
    int stage;               /* 1..6, or 0: no stage (stops the search) */
    char *label;             /* may be NULL */
    char **under;            /* generic function: counts only under one of these */
    size_t nunder;
    char **identify;         /* characteristic callees, for naming excerpts */
    size_t nidentify;
    int line;                /* line in the map file; 0 for added entries */
    const char *origin;      /* "map" or "source" (added from the scanned catalogue) */
} ps_stage_entry;

typedef struct ps_stage_alias {
    char *alias;             /* lower-case */
    char *canonical;         /* lower-case */
} ps_stage_alias;

typedef struct ps_stage_map {
    char *source;            /* "built-in rules/stages.yml" or the file name */
    ps_stage_entry *entries;
    size_t n, cap;
    char **stop;             /* scanner stop list */
    size_t nstop, stopcap;
    ps_stage_alias *aliases;
    size_t naliases;
    ps_map by_name;          /* hash of the function name -> first entry index + 1 */
    size_t *next;            /* next entry with the same hash, index + 1; 0 ends */
} ps_stage_map;

int ps_stage_map_load_default(ps_stage_map *m, ps_error *err);
int ps_stage_map_load_file(ps_stage_map *m, const char *path, ps_error *err);
int ps_stage_map_load_text(ps_stage_map *m, const char *text, size_t len, const char *name, ps_error *err);
void ps_stage_map_release(ps_stage_map *m);

/* Adds an entry (module may be NULL: any module). */
int ps_stage_map_add(ps_stage_map *m, const char *function, const char *module, int stage, const char *label,
                     const char *origin, ps_error *err);
/* Adds a name to the stop list. */
int ps_stage_map_add_stop(ps_stage_map *m, const char *name, ps_error *err);
bool ps_stage_map_is_stop(const ps_stage_map *m, const char *name, size_t len);

/* The first entry for `function` (exact name, len bytes), or NULL; the next
 * one with ps_stage_map_next. */
const ps_stage_entry *ps_stage_map_first(const ps_stage_map *m, const char *function, size_t len);
const ps_stage_entry *ps_stage_map_next(const ps_stage_map *m, const ps_stage_entry *e);
/* Whether e applies to a frame in `module` (a file name or path; NULL or ""
 * matches only entries without modules). */
bool ps_stage_entry_module_ok(const ps_stage_map *m, const ps_stage_entry *e, const char *module);

/* A symbol name s[0..n) without x86 decorations: "_PspCreateProcess@36" ->
 * "PspCreateProcess" (start and length into s). */
void ps_symbol_undecorate(const char *s, size_t n, const char **start, size_t *len);

/* "3", "create_initial_thread" -> 3; "0"/"none" -> 0; -1 otherwise. */
int ps_stage_parse(const char *s, size_t len);

#endif
