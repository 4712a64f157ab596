/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* domxml.c: reading descriptions out of files. */
#include "domxml.h"

#include <libxml/parser.h>

#define MAX_FILE (16 * 1024 * 1024)

static xmlDoc *
parse(const char *xml, gsize len, const char *source, GError **error)
{
    xmlDoc *doc;

    if (len > MAX_FILE) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: larger than %d MiB"), source, MAX_FILE >> 20);
        return NULL;
    }
    doc = xmlReadMemory(xml, (int)len, source, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        g_autofree char *what = e && e->message ? g_strdup(e->message) : g_strdup(_("unknown error"));
        /* libxml2 adds lines of its own ("Bytes: 0x…"): keep the first */
        what[strcspn(what, "\n")] = '\0';
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s:%d: not well-formed XML: %s"), source, e ? e->line : 0, what);
    }
    return doc;
}

gboolean
ivshare_domain_xml_name(const char *xml, gsize len, const char *source,
                        char **name, GError **error)
{
    g_autoptr(xmlDoc) doc = parse(xml, len, source, error);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;

    if (!doc)
        return FALSE;
    if (root && xmlStrEqual(root->name, BAD_CAST "domain") && !root->ns)
        for (xmlNode *n = root->children; n; n = n->next)
            if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "name")) {
                g_autofree xmlChar *text = xmlNodeGetContent(n);
                *name = g_strdup((const char *)text);
                return TRUE;
            }
    g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                _("%s: not a libvirt domain XML (no <domain> root with a <name>)"), source);
    return FALSE;
}

static gboolean
is_blank(const char *s)
{
    for (; *s; s++)
        if (!g_ascii_isspace(*s))
            return FALSE;
    return TRUE;
}

gboolean
ivshare_load_file(const char *path, char **xml, gsize *len,
                  ivshare_desc **desc, GError **error)
{
    const char *source = g_str_equal(path, "-") ? _("standard input") : path;
    g_autofree char *data = NULL;
    g_autofree char *name = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    xmlNode *root;
    gsize n = 0;

    *desc = NULL;
    if (!ivshare_read_file(path, &data, &n, error))
        return FALSE;
    if (g_str_has_suffix(path, ".ini")) {
        if (!ivshare_desc_from_ini(data, n, source, NULL, desc, error))
            return FALSE;
    } else if (is_blank(data)) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the document is empty; expected a domain XML or an ivshare description"), source);
        return FALSE;
    } else {
        if (!(doc = parse(data, n, source, error)))
            return FALSE;
        root = xmlDocGetRootElement(doc);
        if (root && xmlStrEqual(root->name, BAD_CAST "domain") && !root->ns) {
            if (!ivshare_domain_xml_name(data, n, source, &name, error) ||
                !ivshare_desc_for_domain(name, data, desc, error))
                return FALSE;
        } else if (!ivshare_desc_from_xml(data, n, source, desc, error)) {
            return FALSE;
        }
    }
    if (xml)
        *xml = g_steal_pointer(&data);
    if (len)
        *len = n;
    return TRUE;
}
