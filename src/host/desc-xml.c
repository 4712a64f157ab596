/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* desc-xml.c: the XML description, in a domain's <metadata> or alone. */
#include "desc.h"

#include <string.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "conf.h"

#define SCHEMA_FILE "ivshare-domain.rng"

/* The first error libxml2 reports while parsing or validating. */
typedef struct {
    int code;
    int line;
    char *message;
    char *element;
    char *str1;
    char *str2;
    const xmlNode *node;
} xml_problem;

static void
xml_problem_clear(xml_problem *p)
{
    g_free(p->message);
    g_free(p->element);
    g_free(p->str1);
    g_free(p->str2);
    memset(p, 0, sizeof(*p));
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(xml_problem, xml_problem_clear)

static void
collect_problem(void *data, xmlErrorPtr err)
{
    xml_problem *p = data;
    const xmlNode *node = err->node;

    if (p->message || err->level == XML_ERR_WARNING)
        return;
    p->code = err->code;
    p->line = err->line;
    p->message = g_strdup(err->message ? err->message : "unknown error");
    p->message[strcspn(p->message, "\n")] = '\0';      /* libxml adds context lines */
    p->str1 = g_strdup(err->str1);
    p->str2 = g_strdup(err->str2);
    if (node && node->type == XML_ELEMENT_NODE) {
        p->node = node;
        p->element = g_strdup((const char *)node->name);
    }
}

static gboolean
is_ours(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           g_str_equal((const char *)n->ns->href, IVSHARE_XMLNS) &&
           g_str_equal((const char *)n->name, name);
}

static guint
line_of(const xmlNode *n)
{
    long l = xmlGetLineNo(n);

    return l > 0 ? (guint)l : 0;
}

static gboolean
xml_fail(GError **error, const char *source, guint line, const char *element,
         const char *message)
{
    if (line)
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID, _("%s:%u: element '%s': %s"),
                    source, line, element, message);
    else
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID, _("%s: element '%s': %s"),
                    source, element, message);
    return FALSE;
}

/*
 * The compiled schema, loaded once per schema directory and kept for the
 * life of the process, so that a schema in use is never freed.
 */
static xmlRelaxNG *
schema_get(GError **error)
{
    static GMutex lock;
    static GHashTable *schemas;   /* path -> xmlRelaxNG* */
    const ivshare_conf *conf = ivshare_conf_get(error);
    g_autofree char *path = NULL;
    xmlRelaxNG *schema;

    if (!conf)
        return NULL;
    path = g_build_filename(conf->schema_dir, SCHEMA_FILE, NULL);
    g_mutex_lock(&lock);
    if (!schemas)
        schemas = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    schema = g_hash_table_lookup(schemas, path);
    if (!schema) {
        g_autoptr(xmlRelaxNGParserCtxt) pctxt = xmlRelaxNGNewParserCtxt(path);
        g_auto(xml_problem) problem = { 0 };

        xmlRelaxNGSetParserStructuredErrors(pctxt, collect_problem, &problem);
        schema = xmlRelaxNGParse(pctxt);
        if (schema)
            g_hash_table_insert(schemas, g_strdup(path), schema);
        else
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                        _("cannot load the schema %s: %s"), path,
                        problem.message ? problem.message : _("unknown error"));
    }
    g_mutex_unlock(&lock);
    return schema;
}

/* The schema's complaint about @doc as one line, or TRUE when it has none. */
static gboolean
schema_validate(xmlDoc *doc, const char *source, GHashTable *lines, GError **error)
{
    xmlRelaxNG *schema = schema_get(error);
    g_autoptr(xmlRelaxNGValidCtxt) vctxt = NULL;
    g_auto(xml_problem) p = { 0 };
    g_autofree char *message = NULL;
    guint line = 0;
    int rc;

    if (!schema)
        return FALSE;
    vctxt = xmlRelaxNGNewValidCtxt(schema);
    xmlRelaxNGSetValidStructuredErrors(vctxt, collect_problem, &p);
    rc = xmlRelaxNGValidateDoc(vctxt, doc);
    if (rc == 0)
        return TRUE;
    if (p.node)
        line = GPOINTER_TO_UINT(g_hash_table_lookup(lines, p.node));

    switch (p.code) {
    case XML_RELAXNG_ERR_INVALIDATTR:
        message = g_strdup_printf(_("attribute '%s' is not allowed here"), p.str1);
        break;
    case XML_RELAXNG_ERR_NOELEM:
        message = g_strdup_printf(_("a child element '%s' is missing"), p.str1);
        break;
    case XML_RELAXNG_ERR_ELEMWRONG:
    case XML_RELAXNG_ERR_EXTRACONTENT:
    case XML_RELAXNG_ERR_ELEMEXTRANS:
        if (p.node && p.node->parent && p.node->parent->type == XML_ELEMENT_NODE) {
            const char *parent = (const char *)p.node->parent->name;

            if (g_str_equal(parent, "shared-memory"))
                message = g_strdup_printf(_("not allowed in '%s'; expected '%s'"), parent, "region");
            else if (g_str_equal(parent, "region"))
                message = g_strdup_printf(_("not allowed in '%s'; expected 'ring', 'pool' or 'memzone'"),
                                          parent);
            else
                message = g_strdup_printf(_("not allowed in '%s', which holds no elements"), parent);
            break;
        }
        message = g_strdup_printf(_("unexpected content; see the schema %s for what it may hold"),
                                  SCHEMA_FILE);
        break;
    case XML_RELAXNG_ERR_TEXTWRONG:
    case XML_RELAXNG_ERR_NOTELEM:
        message = g_strdup(_("text is not allowed in this element"));
        break;
    default:
        message = g_strdup_printf(_("does not match the schema %s: %s"), SCHEMA_FILE,
                                  p.message ? p.message : _("unknown error"));
        break;
    }
    return xml_fail(error, source, line, p.element ? p.element : "shared-memory", message);
}

/* Read one attribute of an element into a model, through the shared setters. */
typedef gboolean (*setter_fn)(void *target, const char *key, const char *value, GError **error);

static gboolean
set_region(void *target, const char *key, const char *value, GError **error)
{
    return ivshare_region_desc_set(target, key, value, error);
}

static gboolean
set_object(void *target, const char *key, const char *value, GError **error)
{
    return ivshare_obj_desc_set(target, key, value, error);
}

static gboolean
read_attrs(const xmlNode *n, void *target, setter_fn set, GError **error)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        g_autofree char *value = NULL;
        g_autoptr(GError) local = NULL;

        if (a->ns || g_str_equal((const char *)a->name, "name"))
            continue;
        value = (char *)xmlNodeGetContent((const xmlNode *)a);
        if (!set(target, (const char *)a->name, value ? value : "", &local)) {
            if (g_error_matches(local, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND))
                continue;      /* unknown: the schema names it */
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
require_attrs(const xmlNode *n, const char *const *names, GError **error)
{
    for (; *names; names++) {
        if (!xmlHasNsProp(n, (const xmlChar *)*names, NULL)) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("element '%s' needs the attribute '%s'"), (const char *)n->name, *names);
            return FALSE;
        }
    }
    return TRUE;
}

static const char *const required[IVSHARE_OBJ_LAST][4] = {
    [IVSHARE_OBJ_MEMZONE] = { "name", "size", NULL },
    [IVSHARE_OBJ_RING] = { "name", "slot-size", "slots", NULL },
    [IVSHARE_OBJ_POOL] = { "name", "buffer-size", "buffers", NULL },
};
static const char *const region_required[] = { "name", "host-app", NULL };

static gboolean
set_name(gboolean region, void *target, const xmlNode *n, GError **error)
{
    g_autofree char *name = (char *)xmlGetNoNsProp(n, (const xmlChar *)"name");

    return region ? ivshare_region_desc_set(target, "name", name, error)
                  : ivshare_obj_desc_set(target, "name", name, error);
}

static gboolean
read_object(const char *source, ivshare_region_desc *r, const xmlNode *n,
            ivshare_obj_kind kind, GError **error)
{
    g_autoptr(ivshare_obj_desc) o = ivshare_obj_desc_new(kind, NULL);

    o->line = line_of(n);
    if (!require_attrs(n, required[kind], error) || !set_name(FALSE, o, n, error) ||
        !read_attrs(n, o, set_object, error)) {
        ivshare_desc_prefix_error(error, source, o->line, r, o);
        return FALSE;
    }
    g_ptr_array_add(r->objects, g_steal_pointer(&o));
    return TRUE;
}

static gboolean
read_region(ivshare_desc *d, const xmlNode *n, GError **error)
{
    g_autoptr(ivshare_region_desc) r = ivshare_region_desc_new(NULL);

    r->line = line_of(n);
    if (!require_attrs(n, region_required, error) || !set_name(TRUE, r, n, error) ||
        !read_attrs(n, r, set_region, error)) {
        ivshare_desc_prefix_error(error, d->source, r->line, r, NULL);
        return FALSE;
    }
    for (const xmlNode *c = n->children; c; c = c->next) {
        for (int k = 0; k < IVSHARE_OBJ_LAST; k++) {
            if (is_ours(c, ivshare_obj_kind_to_string(k)) &&
                !read_object(d->source, r, c, k, error))
                return FALSE;
        }
    }
    ivshare_region_desc_finish(r);
    g_ptr_array_add(d->regions, g_steal_pointer(&r));
    return TRUE;
}

static gboolean
wrong_namespace(GError **error, const char *source, const xmlNode *n)
{
    g_autofree char *message = NULL;

    if (n->ns && n->ns->href)
        message = g_strdup_printf(_("the namespace is '%s'; expected '%s'"),
                                  (const char *)n->ns->href, IVSHARE_XMLNS);
    else
        message = g_strdup_printf(_("the element has no namespace; expected '%s'"), IVSHARE_XMLNS);
    return xml_fail(error, source, line_of(n), "shared-memory", message);
}

/* Find <shared-memory>: the root, or a child of /domain/metadata. */
static gboolean
find_description(xmlDoc *doc, const char *source, xmlNode **found, char **domain,
                 GError **error)
{
    xmlNode *root = xmlDocGetRootElement(doc);

    *found = NULL;
    if (!root) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the document has no root element"), source);
        return FALSE;
    }
    if (is_ours(root, "shared-memory")) {
        *found = root;
        return TRUE;
    }
    if (g_str_equal((const char *)root->name, "shared-memory"))
        return wrong_namespace(error, source, root);
    if (root->ns || !g_str_equal((const char *)root->name, "domain")) {
        g_autofree char *message =
            g_strdup_printf(_("expected <domain> or <shared-memory xmlns='%s'> as the root element"),
                            IVSHARE_XMLNS);

        return xml_fail(error, source, line_of(root), (const char *)root->name, message);
    }
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || c->ns)
            continue;
        if (g_str_equal((const char *)c->name, "name") && !*domain) {
            *domain = (char *)xmlNodeGetContent(c);
            continue;
        }
        if (!g_str_equal((const char *)c->name, "metadata"))
            continue;
        for (xmlNode *m = c->children; m; m = m->next) {
            if (m->type != XML_ELEMENT_NODE || !g_str_equal((const char *)m->name, "shared-memory"))
                continue;
            if (!is_ours(m, "shared-memory")) {
                const char *href = m->ns && m->ns->href ? (const char *)m->ns->href : "";

                /* another application's element, unless it looks like ours */
                if (*href && !g_str_has_prefix(href, "https://ivshare.dev/"))
                    continue;
                return wrong_namespace(error, source, m);
            }
            if (*found)
                return xml_fail(error, source, line_of(m), "shared-memory",
                                _("a domain holds at most one ivshare description; merge the regions into the first one"));
            *found = m;
        }
    }
    return TRUE;
}

/* Copy @node into a document of its own, remembering each copy's line. */
static void
record_lines(const xmlNode *orig, const xmlNode *copy, GHashTable *lines)
{
    for (; orig && copy; orig = orig->next, copy = copy->next) {
        if (orig->type == XML_ELEMENT_NODE)
            g_hash_table_insert(lines, (gpointer)copy, GUINT_TO_POINTER(line_of(orig)));
        record_lines(orig->children, copy->children, lines);
    }
}

static gboolean
from_xml(const char *xml, gsize len, const char *source, ivshare_desc **out, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(xmlDoc) own = NULL;
    g_autoptr(GHashTable) lines = g_hash_table_new(NULL, NULL);
    g_autoptr(ivshare_desc) d = NULL;
    g_autoptr(GError) schema_error = NULL;
    g_auto(xml_problem) p = { 0 };
    g_autofree char *domain = NULL;
    xmlNode *sm = NULL;
    xmlNode *copy;

    *out = NULL;
    if (len > IVSHARE_DESC_MAX_BYTES || len > G_MAXINT) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the document is larger than 16M; it is not a description"), source);
        return FALSE;
    }
    xmlSetStructuredErrorFunc(&p, collect_problem);
    doc = xmlReadMemory(xml, (int)len, source, NULL,
                        XML_PARSE_NONET | XML_PARSE_BIG_LINES | XML_PARSE_NOERROR |
                        XML_PARSE_NOWARNING);
    xmlSetStructuredErrorFunc(NULL, NULL);
    if (!doc) {
        if (!p.message)
            /* libxml2 refuses an empty document without saying so */
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s: the document is empty; expected a domain XML or an ivshare description"),
                        source);
        else if (p.line > 0)
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s:%d: the XML is not well-formed: %s"), source, p.line,
                        p.message ? p.message : _("unknown error"));
        else
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s: the XML is not well-formed: %s"), source,
                        p.message ? p.message : _("unknown error"));
        return FALSE;
    }
    if (doc->intSubset || doc->extSubset) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: a document type declaration (<!DOCTYPE>) is not accepted"), source);
        return FALSE;
    }
    if (!find_description(doc, source, &sm, &domain, error))
        return FALSE;
    if (!sm)
        return TRUE;           /* a domain without a description */

    own = xmlNewDoc((const xmlChar *)"1.0");
    copy = xmlDocCopyNode(sm, own, 1);
    xmlDocSetRootElement(own, copy);
    record_lines(sm, copy, lines);

    /*
     * The schema decides what is valid; the reader and the checks run first
     * on the copy all the same, because they name the problem precisely.
     */
    d = ivshare_desc_new(domain, source);
    for (const xmlNode *c = sm->children; c; c = c->next) {
        if (is_ours(c, "region") && !read_region(d, c, error))
            return FALSE;
    }
    if (!schema_validate(own, source, lines, &schema_error)) {
        if (!ivshare_desc_check(d, error))
            return FALSE;
        g_propagate_error(error, g_steal_pointer(&schema_error));
        return FALSE;
    }
    if (!ivshare_desc_check(d, error))
        return FALSE;
    *out = g_steal_pointer(&d);
    return TRUE;
}

gboolean
ivshare_desc_from_xml(const char *xml, gsize len, const char *source,
                      ivshare_desc **out, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (from_xml(xml, len, source, out, &local))
        return TRUE;
    ivshare_error_one_line(&local);
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}
