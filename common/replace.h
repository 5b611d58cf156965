/*
 * replace.h - replacing a file the way its owner expects.
 *
 * procstage writes a model or a report into a temporary file next to the
 * target and renames it over the target when it is complete.  A rename
 * replaces the directory entry, so without care it would turn a symbolic link
 * into a plain copy (leaving the link's target as it was), drop the target's
 * mode and group (the temporary file is 0600 and the writer's), break its hard
 * links, and replace a file its owner made read-only.  These functions keep
 * what a user sees:
 *
 *   ps_replace_target   the file to write: a symbolic link's final target
 *                       (also when that does not exist yet)
 *   ps_replace_check    refuses what should not be replaced: not a regular
 *                       file, a file with other hard links, a file nobody may
 *                       write (no write bit: refused even for root, as rm asks)
 *   ps_replace_attrs    gives the temporary file the target's mode, owner and
 *                       group (what the writer is allowed to keep), or for a
 *                       new file the mode that open(2) would give (0666 less
 *                       the umask)
 *
 * Ownership: ps_replace_target returns a string the caller frees.
 */
#ifndef PS_REPLACE_H
#define PS_REPLACE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "common/error.h"

/* Sets *out (caller frees) to path with every symbolic link of its last
 * component followed (relative targets taken from the link's folder, at most
 * 40 links).  A path that is no link is copied as it is. */
int ps_replace_target(const char *path, char **out, ps_error *err);

/* Checks that target may be replaced; *exists says whether it exists (and *st
 * holds its stat then).  PS_ERR_IO with a message naming `shown` (the path
 * the user gave) otherwise. */
int ps_replace_check(const char *target, const char *shown, struct stat *st, bool *exists, ps_error *err);

/* The target's mode, owner and group on the descriptor fd of the temporary
 * file when `exists` (an owner or group the writer may not give is left as
 * it is), or 0666 less the umask for a new file.  0, or PS_ERR_IO. */
int ps_replace_attrs(int fd, const struct stat *st, bool exists, const char *shown, ps_error *err);

#endif
