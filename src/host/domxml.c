/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* domxml.c: reading descriptions out of files. */
#include "domxml.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <unistd.h>

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
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s:%d: not well-formed XML: %s"), source, e ? e->line : 0,
                    e && e->message ? g_strchomp(e->message) : _("unknown error"));
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
read_input(const char *path, char **data, gsize *len, GError **error)
{
    g_autoptr(GString) buf = NULL;
    char chunk[8192];
    size_t n;

    if (!g_str_equal(path, "-"))
        return g_file_get_contents(path, data, len, error);
    buf = g_string_new(NULL);
    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (buf->len + n > MAX_FILE) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("standard input: larger than %d MiB"), MAX_FILE >> 20);
            return FALSE;
        }
        g_string_append_len(buf, chunk, n);
    }
    *len = buf->len;
    *data = g_string_free(g_steal_pointer(&buf), FALSE);
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
    if (!read_input(path, &data, &n, error))
        return FALSE;
    if (g_str_has_suffix(path, ".ini")) {
        if (!ivshare_desc_from_ini(data, n, source, NULL, desc, error))
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
