/*
 * xmlguard.h - limits on XML start tags, checked on the bytes before libxml2
 * parses them.
 *
 * libxml2 checks every attribute of an element against the ones before it
 * (quadratic: 200,000 attributes in a 2 MB tag take minutes) and buffers a
 * start tag whole.  The XML readers pass every chunk they hand to libxml2
 * through ps_xml_guard_scan, which follows tags, quoted values, comments,
 * processing instructions, CDATA sections and declarations across chunks
 * and refuses (PS_ERR_LIMIT, naming the line) a start tag with more than
 * PS_XML_MAX_ATTRS attributes or longer than PS_XML_MAX_TAG bytes.
 *
 * Ownership: a plain value owned by the reader; zero it to start.
 */
#ifndef PS_XMLGUARD_H
#define PS_XMLGUARD_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define PS_XML_MAX_ATTRS 256
#define PS_XML_MAX_TAG (64u * 1024)

typedef struct ps_xml_guard {
    int state;
    char quote;        /* the quote of the value being read */
    uint8_t match;     /* characters of "<!--", "-->", "]]>"... matched */
    uint32_t attrs;    /* attributes of the current tag */
    uint64_t tag;      /* bytes of the current tag */
    uint64_t line;     /* lines before the current byte, from 0 */
} ps_xml_guard;

/* Scans p[0..n) of the stream named `name`; 0, or PS_ERR_LIMIT in err. */
int ps_xml_guard_scan(ps_xml_guard *g, const char *p, size_t n, const char *name, ps_error *err);

#endif
