/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* inject-scan.c: parse a domain XML and find the bytes of each of its elements. */
#include "inject-priv.h"

#include <string.h>

#include <libxml/parser.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)

/* ---- nodes ---- */

gboolean
ivshare_inject_node_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !n->ns &&
        strcmp((const char *) n->name, name) == 0;
}

xmlNode *
ivshare_inject_child(const xmlNode *parent, const char *name)
{
    for (xmlNode *n = parent->children; n; n = n->next) {
        if (ivshare_inject_node_is(n, name))
            return n;
    }
    return NULL;
}

xmlNode *
ivshare_inject_last_child(const xmlNode *parent)
{
    xmlNode *last = NULL;

    for (xmlNode *n = parent->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE)
            last = n;
    }
    return last;
}

char *
ivshare_inject_prop(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *) name);
    char *copy = v ? g_strdup((const char *) v) : NULL;

    xmlFree(v);
    return copy;
}

char *
ivshare_inject_text(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *copy = g_strstrip(g_strdup(v ? (const char *) v : ""));

    xmlFree(v);
    return copy;
}

const ivshare_span *
ivshare_inject_span(const ivshare_inject_doc *d, const xmlNode *n)
{
    guint i = GPOINTER_TO_UINT(n->_private);

    g_assert(i > 0 && i <= d->spans->len);
    return &g_array_index(d->spans, ivshare_span, i - 1);
}

/* ---- indentation ---- */

/*
 * Whitespace before @pos back to the start of its line, or NULL when
 * something else precedes it on the line (an element written inline).
 */
char *
ivshare_inject_indent(const ivshare_inject_doc *d, gsize pos)
{
    gsize i = pos;

    while (i > 0 && (d->text[i - 1] == ' ' || d->text[i - 1] == '\t'))
        i--;
    if (i > 0 && d->text[i - 1] != '\n')
        return NULL;
    return g_strndup(d->text + i, pos - i);
}

gsize
ivshare_inject_space_before(const ivshare_inject_doc *d, gsize pos, gsize floor)
{
    while (pos > floor && g_ascii_isspace(d->text[pos - 1]))
        pos--;
    return pos;
}

/*
 * One indentation level: how the children of @parent are indented (the
 * document's, when @parent is the root), "  " if unknown.
 */
char *
ivshare_inject_step(const ivshare_inject_doc *d, const xmlNode *parent)
{
    g_autofree char *outer = ivshare_inject_indent(d, ivshare_inject_span(d, parent)->start);

    for (const xmlNode *n = parent->children; n; n = n->next) {
        g_autofree char *inner = NULL;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        inner = ivshare_inject_indent(d, ivshare_inject_span(d, n)->start);
        if (outer && inner && g_str_has_prefix(inner, outer) && strlen(inner) > strlen(outer))
            return g_strdup(inner + strlen(outer));
    }
    return g_strdup("  ");
}

/* ---- locating elements in the bytes ---- */

static gboolean
skip_past(const char *s, gsize len, gsize *pos, const char *token)
{
    gsize n = strlen(token);
    const char *hit = g_strstr_len(s + *pos, len - *pos, token);

    if (!hit)
        return FALSE;
    *pos = (gsize) (hit - s) + n;
    return TRUE;
}

/* Spans of every element of a well-formed document without a DTD. */
static gboolean
scan_spans(const char *s, gsize len, GArray *spans)
{
    g_autoptr(GArray) stack = g_array_new(FALSE, FALSE, sizeof(guint));
    gsize pos = 0;

    while (pos < len) {
        const char *lt = memchr(s + pos, '<', len - pos);
        gsize rest;

        if (!lt)
            break;
        pos = (gsize) (lt - s);
        rest = len - pos;
        if (rest >= 4 && memcmp(lt, "<!--", 4) == 0) {
            if (!skip_past(s, len, &pos, "-->"))
                return FALSE;
        } else if (rest >= 9 && memcmp(lt, "<![CDATA[", 9) == 0) {
            if (!skip_past(s, len, &pos, "]]>"))
                return FALSE;
        } else if (rest >= 2 && lt[1] == '?') {
            if (!skip_past(s, len, &pos, "?>"))
                return FALSE;
        } else if (rest >= 2 && lt[1] == '!') {
            return FALSE;
        } else if (rest >= 2 && lt[1] == '/') {
            const char *gt = memchr(lt, '>', rest);
            ivshare_span *sp;

            if (!gt || stack->len == 0)
                return FALSE;
            sp = &g_array_index(spans, ivshare_span,
                                g_array_index(stack, guint, stack->len - 1));
            g_array_set_size(stack, stack->len - 1);
            sp->close = pos;
            sp->end = (gsize) (gt - s) + 1;
            pos = sp->end;
        } else {
            ivshare_span sp = { .start = pos };
            char quote = 0;
            gsize i;

            for (i = pos + 1; i < len; i++) {
                if (quote) {
                    if (s[i] == quote)
                        quote = 0;
                } else if (s[i] == '\'' || s[i] == '"') {
                    quote = s[i];
                } else if (s[i] == '>') {
                    break;
                }
            }
            if (i >= len)
                return FALSE;
            sp.content = i + 1;
            if (s[i - 1] == '/') {
                sp.empty = TRUE;
                sp.close = sp.end = sp.content;
                g_array_append_val(spans, sp);
            } else {
                guint index = spans->len;

                g_array_append_val(spans, sp);
                g_array_append_val(stack, index);
            }
            pos = i + 1;
        }
    }
    return stack->len == 0;
}

static gboolean
span_has_name(const ivshare_inject_doc *d, const ivshare_span *sp, const xmlNode *n)
{
    g_autofree char *qname = NULL;
    gsize i = sp->start + 1;
    gsize qlen;

    if (n->ns && n->ns->prefix)
        qname = g_strdup_printf("%s:%s", n->ns->prefix, n->name);
    else
        qname = g_strdup((const char *) n->name);
    qlen = strlen(qname);
    if (i + qlen >= d->len || memcmp(d->text + i, qname, qlen) != 0)
        return FALSE;
    return strchr(" \t\r\n/>", d->text[i + qlen]) != NULL;
}

/* Give every element node its span: node->_private = index + 1. */
static gboolean
link_nodes(ivshare_inject_doc *d, xmlNode *first, guint *next)
{
    for (xmlNode *n = first; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (*next >= d->spans->len ||
            !span_has_name(d, &g_array_index(d->spans, ivshare_span, *next), n))
            return FALSE;
        *next += 1;
        n->_private = GUINT_TO_POINTER(*next);
        if (!link_nodes(d, n->children, next))
            return FALSE;
    }
    return TRUE;
}

static gboolean
encoding_is_utf8(const xmlChar *enc)
{
    return !enc ||
        g_ascii_strcasecmp((const char *) enc, "UTF-8") == 0 ||
        g_ascii_strcasecmp((const char *) enc, "US-ASCII") == 0 ||
        g_ascii_strcasecmp((const char *) enc, "ASCII") == 0;
}

/* The line ending of the document: that of its first line. */
static const char *
newline_of(const char *xml, gsize len)
{
    const char *lf = memchr(xml, '\n', len);

    return lf && lf > xml && lf[-1] == '\r' ? "\r\n" : "\n";
}

gboolean
ivshare_inject_doc_parse(const char *xml, gsize len, const char *source,
                         ivshare_inject_doc *d, GError **error)
{
    g_autoptr(xmlParserCtxt) ctxt = NULL;
    xmlNode *root;
    guint linked = 0;

    if (len > IVSHARE_INJECT_MAX_XML) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s is %zu bytes, more than the %u MiB a domain XML may have."),
                    source, len, IVSHARE_INJECT_MAX_XML >> 20);
        return FALSE;
    }
    if (memchr(xml, '\0', len) || !g_utf8_validate(xml, (gssize) len, NULL)) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s is not valid UTF-8 text."), source);
        return FALSE;
    }
    ctxt = xmlNewParserCtxt();
    if (!ctxt)
        g_error("out of memory");
    d->doc = xmlCtxtReadMemory(ctxt, xml, (int) len, NULL, NULL,
                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!d->doc) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        g_autofree char *msg = g_strstrip(g_strdup(e && e->message ? e->message : "unknown error"));

        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: line %d: the domain XML is not well-formed: %s."),
                    source, e ? e->line : 0, msg);
        return FALSE;
    }
    if (d->doc->intSubset || d->doc->extSubset) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the domain XML has a document type declaration, which libvirt never writes; remove it."),
                    source);
        return FALSE;
    }
    if (!encoding_is_utf8(d->doc->encoding)) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the domain XML declares encoding '%s'; only UTF-8 is supported."),
                    source, (const char *) d->doc->encoding);
        return FALSE;
    }
    root = xmlDocGetRootElement(d->doc);
    if (root && root->ns) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the root element <%s> is in namespace '%s'; libvirt's <domain> has none."),
                    source, (const char *) root->name,
                    root->ns->href ? (const char *) root->ns->href : "");
        return FALSE;
    }
    if (!ivshare_inject_node_is(root, "domain")) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the root element is <%s>, not <domain>."),
                    source, root ? (const char *) root->name : "");
        return FALSE;
    }
    d->text = xml;
    d->len = len;
    d->spans = g_array_new(FALSE, FALSE, sizeof(ivshare_span));
    if (!scan_spans(xml, len, d->spans) ||
        !link_nodes(d, d->doc->children, &linked) || linked != d->spans->len) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("%s: could not locate the elements of the domain XML."), source);
        return FALSE;
    }
    d->nl = newline_of(xml, len);
    return TRUE;
}

void
ivshare_inject_doc_clear(ivshare_inject_doc *d)
{
    g_clear_pointer(&d->doc, xmlFreeDoc);
    g_clear_pointer(&d->spans, g_array_unref);
}
