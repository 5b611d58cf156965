/*
 * tmpclean.h - temporary files that an interrupted run removes.
 *
 * A temporary file that must have a name (SQLite opens its database by
 * path) is created by ps_tmpclean_mkstemp, which records the name in a fixed
 * table before the file exists.  ps_tmpclean_install (the CLI
 * calls it once) sets a handler for SIGINT, SIGTERM, SIGHUP and SIGQUIT
 * that unlinks every recorded name and re-raises the signal with its default
 * action, so that the process still ends as killed by that signal.  A signal
 * the process inherited as ignored (nohup, a background job of a shell
 * without job control) stays ignored.  The handler only calls unlink,
 * sigaction and raise, all async-signal-safe, and reads names written
 * completely before they were published (atomics).
 *
 * Files that need no name use ps_tmpclean_anon (O_TMPFILE: the kernel frees
 * them with the last descriptor, whatever ends the process).
 *
 * The table has PS_TMPCLEAN_SLOTS names of up to PATH_MAX bytes; a name that
 * does not fit is an error (the file is not created).
 */
#ifndef PS_TMPCLEAN_H
#define PS_TMPCLEAN_H

#include <stdbool.h>

#define PS_TMPCLEAN_SLOTS 80   /* a model, its report, and up to 64 parts of ingest -j */

/* Installs the signal handlers (idempotent). */
void ps_tmpclean_install(void);

/* mkstemp(tpl) (six or more trailing X's) with the name recorded before
 * the file is created.  Returns the descriptor, or -1 with errno set
 * (ENAMETOOLONG or EMFILE when the name does not fit the table).  The file
 * has mode 0600. */
int ps_tmpclean_mkstemp(char *tpl);

/* Records an existing name (a file about to be created under a name chosen
 * by the caller); 0, or -1 with errno set. */
int ps_tmpclean_add(const char *path);

/* Forgets a name recorded before (after the file was renamed or unlinked);
 * a name not recorded is ignored. */
void ps_tmpclean_forget(const char *path);

/* An unnamed temporary file in dir (O_TMPFILE), read-write, mode 0600:
 * the descriptor, or -1 with errno set (EOPNOTSUPP and the like when the
 * file system or kernel has none; the caller falls back to a name). */
int ps_tmpclean_anon(const char *dir);

/* Gives an unnamed file (from ps_tmpclean_anon) a new name made from tpl
 * (as for ps_tmpclean_mkstemp), recorded before it exists; the caller
 * renames it into place and forgets it.  0, or -1 with errno set (ENOENT
 * without /proc). */
int ps_tmpclean_link(int fd, char *tpl);

/* Whether ps_tmpclean_link can work here (/proc/self/fd is there). */
bool ps_tmpclean_can_link(void);

#endif
