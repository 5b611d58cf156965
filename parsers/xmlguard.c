/*
 * xmlguard.c - see xmlguard.h.
 */
#include "parsers/xmlguard.h"

#include <string.h>

enum {
    G_TEXT,      /* character data */
    G_LT,        /* after '<' */
    G_BANG,      /* after "<!": a comment, CDATA or a declaration */
    G_TAG,       /* inside a start or end tag, outside quotes */
    G_VALUE,     /* inside a quoted attribute value */
    G_COMMENT,   /* inside <!-- --> */
    G_CDATA,     /* inside <![CDATA[ ]]> */
    G_PI,        /* inside <? ?> */
    G_DECL       /* inside <!DOCTYPE ...> or another declaration, to '>' */
};

static int too_long(ps_xml_guard *g, const char *name, ps_error *err)
{
    return ps_error_set(err, PS_ERR_LIMIT, "'%s': line %llu: a start tag longer than %u KiB", name,
                        (unsigned long long)g->line + 1, PS_XML_MAX_TAG / 1024);
}

int ps_xml_guard_scan(ps_xml_guard *g, const char *p, size_t n, const char *name, ps_error *err)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\n')
            g->line++;
        switch (g->state) {
        case G_TEXT:
            if (c == '<') {
                g->state = G_LT;
                g->tag = 1;
                g->attrs = 0;
            }
            break;
        case G_LT:
            g->tag++;
            g->state = c == '!' ? G_BANG : c == '?' ? G_PI : G_TAG;
            g->match = 0;
            if (g->state == G_TAG && c == '>')
                g->state = G_TEXT;
            break;
        case G_BANG:
            /* "<!-" then "-": a comment; "<![": CDATA; else a declaration */
            if (c == '-' && g->match == 0) {
                g->match = 1;
            } else if (c == '-' && g->match == 1) {
                g->state = G_COMMENT;
                g->match = 0;
            } else if (c == '[' && g->match == 0) {
                g->state = G_CDATA;
                g->match = 0;
            } else {
                g->state = c == '>' ? G_TEXT : G_DECL;
            }
            break;
        case G_TAG:
            if (++g->tag > PS_XML_MAX_TAG)
                return too_long(g, name, err);
            if (c == '"' || c == '\'') {
                g->quote = c;
                g->state = G_VALUE;
            } else if (c == '=') {
                if (++g->attrs > PS_XML_MAX_ATTRS)
                    return ps_error_set(err, PS_ERR_LIMIT,
                                        "'%s': line %llu: an element with more than %d attributes", name,
                                        (unsigned long long)g->line + 1, PS_XML_MAX_ATTRS);
            } else if (c == '>') {
                g->state = G_TEXT;
            }
            break;
        case G_VALUE:
            if (++g->tag > PS_XML_MAX_TAG)
                return too_long(g, name, err);
            if (c == g->quote)
                g->state = G_TAG;
            break;
        case G_COMMENT:   /* to "-->" */
        case G_CDATA:     /* to "]]>" */
            if (c == (g->state == G_COMMENT ? '-' : ']'))
                g->match = g->match < 2 ? (uint8_t)(g->match + 1) : 2;
            else if (c == '>' && g->match == 2)
                g->state = G_TEXT;
            else
                g->match = 0;
            break;
        case G_PI:        /* to "?>" */
            if (c == '>' && g->match == 1)
                g->state = G_TEXT;
            g->match = c == '?';
            break;
        case G_DECL:      /* to '>' (document type declarations are refused later) */
            if (c == '>')
                g->state = G_TEXT;
            break;
        }
    }
    return 0;
}
