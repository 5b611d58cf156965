/*
 * exitcodes.h - the process exit statuses of procstage, fixed and documented in
 * procstage(1).  Never renumber them: scripts depend on them.
 */
#ifndef PS_EXITCODES_H
#define PS_EXITCODES_H

#define PS_EXIT_OK       0  /* success, no finding at or above --fail-on */
#define PS_EXIT_FINDINGS 1  /* success, and findings at or above --fail-on */
#define PS_EXIT_USAGE    2  /* bad command line */
#define PS_EXIT_INPUT    3  /* a trace (or rule or config file) is malformed */
#define PS_EXIT_IO       4  /* i/o, database or resource error */

#endif
