/*
 * xmlerr.h - libxml2's errors kept off the terminal, and its allocation
 * failures told apart from malformed input.
 *
 * libxml2 prints some errors itself ("parser error : Memory allocation
 * failed") through its generic error channel, bypassing XML_PARSE_NOERROR
 * and a reader's own handler.  ps_xml_quiet installs, for the calling thread
 * (libxml2 keeps its error handlers per thread), a structured handler that
 * prints nothing and notes an out-of-memory error.  The readers' own
 * handlers pass every error to ps_xml_note as well, and ps_xml_nomem says
 * whether libxml2 ran out of memory in this thread since the last
 * ps_xml_quiet: a reader then fails with PS_ERR_NOMEM (exit 4) instead of
 * calling the input malformed or returning fewer records.
 *
 * Ownership: nothing is allocated; the state is one flag per thread.
 */
#ifndef PS_XMLERR_H
#define PS_XMLERR_H

#include <libxml/xmlerror.h>
#include <stdbool.h>

void ps_xml_quiet(void);
void ps_xml_note(const xmlError *e);
bool ps_xml_nomem(void);

#endif
