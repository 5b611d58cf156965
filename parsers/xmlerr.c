/*
 * xmlerr.c - see xmlerr.h.
 */
#include "parsers/xmlerr.h"

#include <libxml/xmlerror.h>
#include <string.h>

static _Thread_local bool nomem;

/* libxml2 2.9 also reports its text-size limits with the out-of-memory
 * code ("xmlSAX2Characters: huge text node", "... overflow prevented"):
 * those are the input's size, not memory. */
void ps_xml_note(const xmlError *e)
{
    if (e && e->code == XML_ERR_NO_MEMORY &&
        !(e->message && (strstr(e->message, "huge") || strstr(e->message, "overflow"))))
        nomem = true;
}

static void quiet_cb(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    ps_xml_note(e);
}

/* libxml2's unstructured messages ("xmlNewTextReader : malloc failed"):
 * the call that failed returns its own error */
static void quiet_generic(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

void ps_xml_quiet(void)
{
    nomem = false;
    xmlSetStructuredErrorFunc(NULL, quiet_cb);
    xmlSetGenericErrorFunc(NULL, quiet_generic);
}

bool ps_xml_nomem(void)
{
    return nomem;
}
