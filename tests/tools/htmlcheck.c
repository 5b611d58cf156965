/*
 * htmlcheck - checks an HTML report of procstage for the tests:
 *
 *   htmlcheck FILE [--rows N] [--text STRING]...
 *
 *   - libxml2's HTML parser reads it without an error (its "Tag x invalid"
 *     complaints about HTML5 and SVG element names aside);
 *   - libxml2's XML parser reads it as well-formed XML (the report is
 *     written as polyglot markup), network and DTDs off;
 *   - in both trees: only the elements and attributes a report uses, no
 *     event handler attribute, one script element without src, links only to
 *     "#..." anchors or attack.mitre.org, no style attribute;
 *   - --rows N: the timeline has exactly N rows (elements with class "row");
 *   - --text S: S occurs verbatim in a text node or attribute value (proof
 *     that a string made the round trip through escaping unchanged).
 * Exit 0 when everything holds; the reasons on stderr otherwise.
 */
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int errors;

static void on_error(void *ctx, xmlErrorPtr e)
{
    const char *what = ctx;
    if (e->code == XML_HTML_UNKNOWN_TAG)
        return;
    fprintf(stderr, "htmlcheck: %s parser: line %d: %s", what, e->line, e->message ? e->message : "error\n");
    errors++;
}

static const char *const ELEMENTS[] = {
    "html", "head", "meta", "title", "style", "body", "header", "nav", "main", "section", "footer", "h1", "h2",
    "h3", "p", "a", "b", "i", "br", "code", "span", "div", "table", "thead", "tbody", "tr", "th", "td", "ul",
    "li", "details", "summary", "input", "label", "button", "script", "svg", "defs", "pattern", "rect", "line",
    "text", "title", "g", NULL};

static const char *const ATTRIBUTES[] = {
    "lang", "charset", "name", "content", "http-equiv", "class", "id", "href", "rel", "title", "role",
    "aria-label", "aria-hidden", "focusable", "hidden", "type", "placeholder", "disabled", "open", "rowspan",
    "width", "height", "x", "y", "x1", "x2", "y1", "y2", "fill", "stroke", "patternUnits", "patternTransform",
    "text-anchor", NULL};

static int in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcasecmp(*list, s))
            return 1;
    return 0;
}

typedef struct check {
    const char *what;
    int rows, scripts;
    const char **texts;
    int ntexts;
    int *found;
} check;

static int has_class(xmlNodePtr n, const char *cls)
{
    xmlChar *c = xmlGetProp(n, (const xmlChar *)"class");
    int r = 0;
    if (c) {
        char *tok, *save = NULL, *copy = strdup((const char *)c);
        for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
            if (!strcmp(tok, cls))
                r = 1;
        free(copy);
        xmlFree(c);
    }
    return r;
}

static void find_texts(check *c, const char *s)
{
    int i;
    for (i = 0; i < c->ntexts; i++)
        if (strstr(s, c->texts[i]))
            c->found[i] = 1;
}

static void bad(check *c, const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "htmlcheck: %s tree: ", c->what);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    errors++;
}

static void walk(check *c, xmlNodePtr n)
{
    for (; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content)
                find_texts(c, (const char *)n->content);
            continue;
        }
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!in_list(ELEMENTS, (const char *)n->name))
            bad(c, "unexpected element <%s>%s", (const char *)n->name, "");
        if (!strcasecmp((const char *)n->name, "script")) {
            c->scripts++;
            if (xmlHasProp(n, (const xmlChar *)"src"))
                bad(c, "a script with src%s%s", "", "");
        }
        if (has_class(n, "row"))
            c->rows++;
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
            const char *an = (const char *)a->name;
            xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
            const char *vs = v ? (const char *)v : "";
            if (!strncasecmp(an, "on", 2) || !strcasecmp(an, "style") || !strcasecmp(an, "src") ||
                (!in_list(ATTRIBUTES, an) && strncmp(an, "data-", 5) != 0))
                bad(c, "unexpected attribute %s=\"%s\"", an, vs);
            if (!strcasecmp(an, "href") && vs[0] != '#' &&
                strncmp(vs, "https://attack.mitre.org/techniques/", 36) != 0)
                bad(c, "a link to %s%s", vs, "");
            find_texts(c, vs);
            xmlFree(v);
        }
        walk(c, n->children);
    }
}

static int check_doc(xmlDocPtr doc, const char *what, int want_rows, const char **texts, int ntexts)
{
    check c;
    int i, ok = 1;

    memset(&c, 0, sizeof c);
    c.what = what;
    c.texts = texts;
    c.ntexts = ntexts;
    c.found = calloc((size_t)ntexts + 1, sizeof *c.found);
    if (!doc || !c.found) {
        fprintf(stderr, "htmlcheck: the %s parser gave no document\n", what);
        free(c.found);
        return 0;
    }
    walk(&c, xmlDocGetRootElement(doc));
    if (c.scripts != 1) {
        fprintf(stderr, "htmlcheck: %s tree: %d script elements, want 1\n", what, c.scripts);
        ok = 0;
    }
    if (want_rows >= 0 && c.rows != want_rows) {
        fprintf(stderr, "htmlcheck: %s tree: %d timeline rows, want %d\n", what, c.rows, want_rows);
        ok = 0;
    }
    for (i = 0; i < ntexts; i++)
        if (!c.found[i]) {
            fprintf(stderr, "htmlcheck: %s tree: the text \"%s\" is not in the report\n", what, texts[i]);
            ok = 0;
        }
    free(c.found);
    return ok;
}

int main(int argc, char **argv)
{
    const char *path = NULL, **texts = calloc((size_t)argc, sizeof *texts);
    int i, rows = -1, ntexts = 0, ok = 1;
    htmlParserCtxtPtr hc;
    xmlParserCtxtPtr xc;
    xmlDocPtr hd, xd;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--text") && i + 1 < argc)
            texts[ntexts++] = argv[++i];
        else if (!path)
            path = argv[i];
        else
            path = NULL, i = argc;
    }
    if (!path || !texts) {
        fprintf(stderr, "usage: htmlcheck FILE [--rows N] [--text STRING]...\n");
        return 2;
    }
    LIBXML_TEST_VERSION

    hc = htmlNewParserCtxt();
    xmlSetStructuredErrorFunc((void *)"HTML", on_error);
    hd = htmlCtxtReadFile(hc, path, "UTF-8", HTML_PARSE_NONET);
    xmlSetStructuredErrorFunc((void *)"XML", on_error);
    xc = xmlNewParserCtxt();
    xd = xmlCtxtReadFile(xc, path, "UTF-8", XML_PARSE_NONET);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (errors)
        ok = 0;
    if (!check_doc(hd, "HTML", rows, texts, ntexts))
        ok = 0;
    if (!check_doc(xd, "XML", rows, texts, ntexts))
        ok = 0;
    if (errors)
        ok = 0;
    xmlFreeDoc(hd);
    xmlFreeDoc(xd);
    htmlFreeParserCtxt(hc);
    xmlFreeParserCtxt(xc);
    xmlCleanupParser();
    free(texts);
    return ok ? 0 : 1;
}
