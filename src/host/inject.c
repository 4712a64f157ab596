/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* inject.c: add, update and remove a description's <shmem> devices in a domain XML. */
#include "inject.h"

#include <errno.h>
#include <string.h>

#include <libxml/parser.h>

/*
 * libxml2 parses and checks the document and reads the values; the output
 * is the input bytes with a few spans replaced, so that everything the
 * injection does not touch (quoting, comments, declaration, whitespace)
 * stays byte for byte.  A small scanner finds the byte span of every
 * element of the (already well-formed) document, in document order, and
 * each element node carries its span index in node->_private.
 */

#define IVSHARE_INJECT_MAX_XML (16u * 1024u * 1024u)
#define IVSHARE_DEVICE_PREFIX "ivshare-"
#define IVSHARE_DEFAULT_RUNTIME_DIR "/run/ivshare"

typedef enum {
    IVSHARE_SHMEM_PLAIN,
    IVSHARE_SHMEM_DOORBELL,
    IVSHARE_SHMEM_LAST
} ivshare_shmem_model;

static const char *const ivshare_shmem_model_names[IVSHARE_SHMEM_LAST] = {
    [IVSHARE_SHMEM_PLAIN] = "ivshmem-plain",
    [IVSHARE_SHMEM_DOORBELL] = "ivshmem-doorbell",
};

typedef struct {
    gsize start;              /* the '<' of the start tag */
    gsize content;            /* just after the start tag */
    gsize close;              /* the '<' of the end tag (== end when empty) */
    gsize end;                /* just after the element */
    gboolean empty;           /* written <x/> */
} ivshare_span;

typedef struct {
    const char *text;
    gsize len;
    const char *nl;           /* "\n", or "\r\n" when the document uses it */
    xmlDoc *doc;
    GArray *spans;            /* ivshare_span, document order */
} ivshare_domain_xml;

/* What the description needs for one region, and what the domain has. */
typedef struct {
    char *dev_name;           /* ivshare-REGION */
    const char *region;
    ivshare_shmem_model model;
    guint64 size;
    char *server;             /* doorbell only */
    guint vectors;            /* doorbell only */
    xmlNode *node;            /* the existing device, or NULL */
    char *difference;         /* NULL when node matches */
} ivshare_want;

typedef struct {
    xmlNode *node;
    char *name;
    gboolean duplicate;
} ivshare_stale;

typedef struct {
    ivshare_domain_xml xml;
    xmlNode *root;
    xmlNode *devices;
    GPtrArray *wants;         /* ivshare_want* */
    GPtrArray *stale;         /* ivshare_stale* */
    char *source;             /* names the domain in messages */
    char *domain;             /* for 'ivsharectl sync DOMAIN' */
    char *step;               /* one indentation level of the document */
} ivshare_plan;

typedef struct {
    gsize start;
    gsize end;
    char *text;
} ivshare_edit;

static void
ivshare_want_free(ivshare_want *w)
{
    g_free(w->dev_name);
    g_free(w->server);
    g_free(w->difference);
    g_free(w);
}

static void
ivshare_stale_free(ivshare_stale *s)
{
    g_free(s->name);
    g_free(s);
}

static void
ivshare_plan_free(ivshare_plan *p)
{
    if (p->xml.doc)
        xmlFreeDoc(p->xml.doc);
    if (p->xml.spans)
        g_array_unref(p->xml.spans);
    if (p->wants)
        g_ptr_array_unref(p->wants);
    if (p->stale)
        g_ptr_array_unref(p->stale);
    g_free(p->source);
    g_free(p->domain);
    g_free(p->step);
    g_free(p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ivshare_plan, ivshare_plan_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)

/* ---- helpers over nodes ---- */

static gboolean
node_is(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE && !n->ns &&
        strcmp((const char *) n->name, name) == 0;
}

static xmlNode *
first_child(const xmlNode *parent, const char *name)
{
    for (xmlNode *n = parent->children; n; n = n->next) {
        if (node_is(n, name))
            return n;
    }
    return NULL;
}

static xmlNode *
last_element_child(const xmlNode *parent)
{
    xmlNode *last = NULL;

    for (xmlNode *n = parent->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE)
            last = n;
    }
    return last;
}

static char *
node_prop(const xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *) name);
    char *copy = v ? g_strdup((const char *) v) : NULL;

    xmlFree(v);
    return copy;
}

static char *
node_text(const xmlNode *n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *copy = g_strstrip(g_strdup(v ? (const char *) v : ""));

    xmlFree(v);
    return copy;
}

static const ivshare_span *
span_of(const ivshare_domain_xml *d, const xmlNode *n)
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
static char *
indent_at(const ivshare_domain_xml *d, gsize pos)
{
    gsize i = pos;

    while (i > 0 && (d->text[i - 1] == ' ' || d->text[i - 1] == '\t'))
        i--;
    if (i > 0 && d->text[i - 1] != '\n')
        return NULL;
    return g_strndup(d->text + i, pos - i);
}

static gsize
space_before(const ivshare_domain_xml *d, gsize pos, gsize floor)
{
    while (pos > floor && g_ascii_isspace(d->text[pos - 1]))
        pos--;
    return pos;
}

/*
 * One indentation level: how the children of @parent are indented (the
 * document's, when @parent is the root), "  " if unknown.
 */
static char *
indent_step(const ivshare_domain_xml *d, const xmlNode *parent)
{
    g_autofree char *outer = indent_at(d, span_of(d, parent)->start);

    for (const xmlNode *n = parent->children; n; n = n->next) {
        g_autofree char *inner = NULL;

        if (n->type != XML_ELEMENT_NODE)
            continue;
        inner = indent_at(d, span_of(d, n)->start);
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
span_has_name(const ivshare_domain_xml *d, const ivshare_span *sp, const xmlNode *n)
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
link_nodes(ivshare_domain_xml *d, xmlNode *first, guint *next)
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

static gboolean
domain_xml_parse(const char *xml, gsize len, const char *source,
                 ivshare_domain_xml *d, GError **error)
{
    g_autoptr(xmlParserCtxt) ctxt = NULL;
    xmlNode *root;
    guint linked = 0;

    if (len > IVSHARE_INJECT_MAX_XML) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s is %" G_GSIZE_FORMAT " bytes, more than the %u MiB a domain XML may have."),
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
    if (!node_is(root, "domain")) {
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
    d->nl = "\n";
    {
        const char *lf = memchr(xml, '\n', len);

        if (lf && lf > xml && lf[-1] == '\r')
            d->nl = "\r\n";
    }
    return TRUE;
}

/* ---- sizes, as libvirt scales them ---- */

/* libvirt's scaled integers: b/bytes, K/KiB (1024), KB (1000), ... E. */
static gboolean
size_parse(const char *value, const char *unit, guint64 *out)
{
    static const char scales[] = "kmgtpe";
    guint64 v, base = 1024, mult = 1;
    const char *p;
    char *end = NULL;

    if (!g_ascii_isdigit(value[0]))
        return FALSE;
    v = g_ascii_strtoull(value, &end, 10);
    if (*end || (v == G_MAXUINT64 && errno == ERANGE))
        return FALSE;
    if (unit && *unit &&
        g_ascii_strcasecmp(unit, "b") != 0 && g_ascii_strcasecmp(unit, "byte") != 0 &&
        g_ascii_strcasecmp(unit, "bytes") != 0) {
        p = strchr(scales, g_ascii_tolower(unit[0]));
        if (!p)
            return FALSE;
        if (g_ascii_strcasecmp(unit + 1, "b") == 0)
            base = 1000;
        else if (unit[1] && g_ascii_strcasecmp(unit + 1, "ib") != 0)
            return FALSE;
        for (gsize i = 0; i <= (gsize) (p - scales); i++)
            mult *= base;
    }
    if (v > G_MAXUINT64 / mult)
        return FALSE;
    *out = v * mult;
    return TRUE;
}

/* The largest of G, M and K that divides @bytes exactly (B if none). */
static guint64
size_unit(guint64 bytes, const char **unit)
{
    static const struct { const char *name; guint shift; } units[] = {
        { "G", 30 }, { "M", 20 }, { "K", 10 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(units); i++) {
        guint64 m = G_GUINT64_CONSTANT(1) << units[i].shift;

        if (bytes && bytes % m == 0) {
            *unit = units[i].name;
            return bytes / m;
        }
    }
    *unit = "B";
    return bytes;
}

static char *
size_to_string(guint64 bytes)
{
    const char *unit;
    guint64 v = size_unit(bytes, &unit);

    return g_strdup_printf("%" G_GUINT64_FORMAT "%s", v, strcmp(unit, "B") ? unit : "");
}

/* ---- what a device has and needs ---- */

static char *
model_difference(const ivshare_want *w, const xmlNode *child)
{
    g_autofree char *type = child ? node_prop(child, "type") : NULL;
    const char *need = ivshare_shmem_model_names[w->model];

    if (!type)
        return g_strdup_printf(_("device '%s' has no model, the description needs '%s'"),
                               w->dev_name, need);
    if (strcmp(type, need) != 0)
        return g_strdup_printf(_("device '%s' has model '%s', the description needs '%s'"),
                               w->dev_name, type, need);
    return NULL;
}

static char *
size_difference(const ivshare_want *w, const xmlNode *child)
{
    g_autofree char *need = size_to_string(w->size);
    g_autofree char *value = NULL;
    g_autofree char *unit = NULL;
    g_autofree char *have = NULL;
    guint64 bytes;

    if (!child)
        return g_strdup_printf(_("device '%s' has no size, the description needs %s"),
                               w->dev_name, need);
    value = node_text(child);
    unit = node_prop(child, "unit");
    if (!size_parse(value, unit, &bytes))
        return g_strdup_printf(_("device '%s' has an invalid size '%s', the description needs %s"),
                               w->dev_name, value, need);
    if (bytes != w->size) {
        have = size_to_string(bytes);
        return g_strdup_printf(_("device '%s' has size %s, the description needs %s"),
                               w->dev_name, have, need);
    }
    return NULL;
}

static char *
server_difference(const ivshare_want *w, const xmlNode *server, const xmlNode *msi)
{
    g_autofree char *path = server ? node_prop(server, "path") : NULL;
    g_autofree char *vectors = msi ? node_prop(msi, "vectors") : NULL;
    g_autofree char *ioeventfd = msi ? node_prop(msi, "ioeventfd") : NULL;
    g_autofree char *need = g_strdup_printf("%u", w->vectors);

    if (w->model != IVSHARE_SHMEM_DOORBELL) {
        if (server)
            return g_strdup_printf(_("device '%s' has a <server>, ivshmem-plain takes none"),
                                   w->dev_name);
        if (msi)
            return g_strdup_printf(_("device '%s' has an <msi>, ivshmem-plain takes none"),
                                   w->dev_name);
        return NULL;
    }
    if (!path)
        return g_strdup_printf(_("device '%s' has no server path, the description needs '%s'"),
                               w->dev_name, w->server);
    if (strcmp(path, w->server) != 0)
        return g_strdup_printf(_("device '%s' has server path '%s', the description needs '%s'"),
                               w->dev_name, path, w->server);
    if (!vectors)
        return g_strdup_printf(_("device '%s' has no MSI vectors, the description needs %s"),
                               w->dev_name, need);
    if (strcmp(vectors, need) != 0)
        return g_strdup_printf(_("device '%s' has %s MSI vectors, the description needs %s"),
                               w->dev_name, vectors, need);
    if (!ioeventfd || strcmp(ioeventfd, "on") != 0)
        return g_strdup_printf(_("device '%s' has ioeventfd '%s', the description needs 'on'"),
                               w->dev_name, ioeventfd ? ioeventfd : "off");
    return NULL;
}

/* NULL when @dev matches @w, else what differs. */
static char *
device_difference(const ivshare_want *w, const xmlNode *dev)
{
    static const char *const known[] = { "model", "size", "server", "msi" };
    const xmlNode *found[G_N_ELEMENTS(known)] = { NULL };
    char *diff;

    for (const xmlAttr *a = dev->properties; a; a = a->next) {
        if (a->ns || strcmp((const char *) a->name, "name") != 0)
            return g_strdup_printf(_("device '%s' has an attribute '%s' the description does not give"),
                                   w->dev_name, (const char *) a->name);
    }
    for (const xmlNode *n = dev->children; n; n = n->next) {
        gsize i;

        if (n->type != XML_ELEMENT_NODE || node_is(n, "address") || node_is(n, "alias"))
            continue;
        for (i = 0; i < G_N_ELEMENTS(known); i++) {
            if (node_is(n, known[i]))
                break;
        }
        if (i == G_N_ELEMENTS(known) || found[i])
            return g_strdup_printf(_("device '%s' has an unexpected element <%s>"),
                                   w->dev_name, (const char *) n->name);
        found[i] = n;
    }
    if ((diff = model_difference(w, found[0])) ||
        (diff = size_difference(w, found[1])) ||
        (diff = server_difference(w, found[2], found[3])))
        return diff;
    return NULL;
}

/* ---- the plan: wants, existing and stale devices ---- */

static char *
domain_name(const xmlNode *root)
{
    xmlNode *name = first_child(root, "name");

    return name ? node_text(name) : NULL;
}

static ivshare_want *
want_find(GPtrArray *wants, const char *dev_name)
{
    for (guint i = 0; i < wants->len; i++) {
        ivshare_want *w = g_ptr_array_index(wants, i);

        if (strcmp(w->dev_name, dev_name) == 0)
            return w;
    }
    return NULL;
}

static ivshare_plan *
plan_new(const char *xml, gsize len, const ivshare_desc *desc,
         const ivshare_conf *conf, GError **error)
{
    g_autoptr(ivshare_plan) p = g_new0(ivshare_plan, 1);
    const char *runtime = conf && conf->runtime_dir ? conf->runtime_dir : IVSHARE_DEFAULT_RUNTIME_DIR;
    g_autofree char *xml_name = NULL;

    if (!domain_xml_parse(xml, len, desc && desc->source ? desc->source : _("the domain XML"),
                          &p->xml, error))
        return NULL;
    p->root = xmlDocGetRootElement(p->xml.doc);
    p->devices = first_child(p->root, "devices");
    p->step = indent_step(&p->xml, p->root);
    xml_name = domain_name(p->root);
    if (desc && desc->source)
        p->source = g_strdup(desc->source);
    else if (xml_name && *xml_name)
        p->source = g_strdup_printf(_("domain '%s'"), xml_name);
    else
        p->source = g_strdup(_("the domain XML"));
    p->domain = g_strdup(desc && desc->domain ? desc->domain :
                         xml_name && *xml_name ? xml_name : "DOMAIN");

    p->wants = g_ptr_array_new_with_free_func((GDestroyNotify) ivshare_want_free);
    for (guint i = 0; desc && desc->regions && i < desc->regions->len; i++) {
        const ivshare_region_desc *r = g_ptr_array_index(desc->regions, i);
        ivshare_want *w = g_new0(ivshare_want, 1);

        g_ptr_array_add(p->wants, w);
        w->region = r->name;
        w->dev_name = g_strconcat(IVSHARE_DEVICE_PREFIX, r->name, NULL);
        if (!ivshare_region_desc_size(r, &w->size, error))
            return NULL;
        if (r->doorbell) {
            w->model = IVSHARE_SHMEM_DOORBELL;
            w->server = g_strdup_printf("%s/%s.sock", runtime, r->name);
            w->vectors = r->vectors ? r->vectors : 1;
        }
    }

    p->stale = g_ptr_array_new_with_free_func((GDestroyNotify) ivshare_stale_free);
    for (xmlNode *n = p->devices ? p->devices->children : NULL; n; n = n->next) {
        g_autofree char *name = node_is(n, "shmem") ? node_prop(n, "name") : NULL;
        ivshare_want *w;
        ivshare_stale *s;

        if (!name || !g_str_has_prefix(name, IVSHARE_DEVICE_PREFIX))
            continue;
        w = want_find(p->wants, name);
        if (w && !w->node) {
            w->node = n;
            w->difference = device_difference(w, n);
            continue;
        }
        s = g_new0(ivshare_stale, 1);
        s->node = n;
        s->name = g_steal_pointer(&name);
        s->duplicate = w != NULL;
        g_ptr_array_add(p->stale, s);
    }
    return g_steal_pointer(&p);
}

/* ---- writing devices ---- */

static void
append_escaped(GString *out, const char *s)
{
    g_autofree char *esc = g_markup_escape_text(s, -1);

    g_string_append(out, esc);
}

/* Indentation of the devices' own children; NULL: write them inline. */
typedef struct {
    const char *ind;          /* indentation of the <shmem>, NULL: inline */
    const char *step;
    const char *nl;
} ivshare_layout_style;

static void
device_format(GString *out, const ivshare_want *w, const ivshare_layout_style *st,
              const ivshare_domain_xml *d, GPtrArray *kept)
{
    g_autofree char *child = st->ind ? g_strconcat(st->nl, st->ind, st->step, NULL) : g_strdup("");
    const char *unit;
    guint64 value = size_unit(w->size, &unit);

    g_string_append(out, "<shmem name='");
    append_escaped(out, w->dev_name);
    g_string_append_printf(out, "'>%s<model type='%s'/>", child, ivshare_shmem_model_names[w->model]);
    g_string_append_printf(out, "%s<size unit='%s'>%" G_GUINT64_FORMAT "</size>", child, unit, value);
    if (w->model == IVSHARE_SHMEM_DOORBELL) {
        g_string_append_printf(out, "%s<server path='", child);
        append_escaped(out, w->server);
        g_string_append_printf(out, "'/>%s<msi vectors='%u' ioeventfd='on'/>", child, w->vectors);
    }
    for (guint i = 0; kept && i < kept->len; i++) {
        const ivshare_span *sp = span_of(d, g_ptr_array_index(kept, i));

        g_string_append(out, child);
        g_string_append_len(out, d->text + sp->start, (gssize) (sp->end - sp->start));
    }
    if (st->ind)
        g_string_append_printf(out, "%s%s", st->nl, st->ind);
    g_string_append(out, "</shmem>");
}

static void
edit_add(GArray *edits, gsize start, gsize end, char *text)
{
    ivshare_edit e = { start, end, text };

    g_array_append_val(edits, e);
}

static gint
edit_compare(gconstpointer a, gconstpointer b)
{
    const ivshare_edit *x = a, *y = b;

    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static void
edit_clear(gpointer p)
{
    g_free(((ivshare_edit *) p)->text);
}

/*
 * Insert @items (formatted by @format for one indentation) as the last
 * children of @parent, or right after @anchor when given.
 */
typedef void (*ivshare_item_format)(GString *out, gpointer item, const ivshare_layout_style *st,
                                    const ivshare_plan *p);

static void
insert_children(const ivshare_plan *p, GArray *edits, const xmlNode *parent,
                const xmlNode *anchor, GPtrArray *items, ivshare_item_format format)
{
    const ivshare_domain_xml *d = &p->xml;
    const ivshare_span *ps = span_of(d, parent);
    const xmlNode *last = anchor ? anchor : last_element_child(parent);
    g_autofree char *pind = indent_at(d, ps->start);
    const char *step = p->step;
    g_autofree char *ind = last ? indent_at(d, span_of(d, last)->start) :
        pind ? g_strconcat(pind, step, NULL) : NULL;
    ivshare_layout_style st = { ind, step, d->nl };
    g_autoptr(GString) out = g_string_new(NULL);
    gsize pos;
    gboolean newline_follows = FALSE;

    if (anchor) {
        pos = span_of(d, anchor)->end;
        newline_follows = TRUE;
    } else if (ps->empty) {
        /* <parent .../> becomes <parent ...>ITEMS</parent> */
        pos = ps->end - 2;
        g_string_append_c(out, '>');
    } else {
        pos = space_before(d, ps->close, ps->content);
        newline_follows = memchr(d->text + pos, '\n', ps->close - pos) != NULL;
    }
    for (guint i = 0; i < items->len; i++) {
        if (ind)
            g_string_append_printf(out, "%s%s", d->nl, ind);
        format(out, g_ptr_array_index(items, i), &st, p);
    }
    if (ind && pind && !newline_follows)
        g_string_append_printf(out, "%s%s", d->nl, pind);
    if (ps->empty && !anchor) {
        g_string_append_printf(out, "</%s>", (const char *) parent->name);
        edit_add(edits, pos, ps->end, g_string_free(g_steal_pointer(&out), FALSE));
    } else {
        edit_add(edits, pos, pos, g_string_free(g_steal_pointer(&out), FALSE));
    }
}

static void
format_device(GString *out, gpointer item, const ivshare_layout_style *st, const ivshare_plan *p)
{
    device_format(out, item, st, &p->xml, NULL);
}

/* A whole <devices> element holding every device of the description. */
static void
format_devices(GString *out, gpointer item, const ivshare_layout_style *st, const ivshare_plan *p)
{
    GPtrArray *wants = item;
    g_autofree char *inner = st->ind ? g_strconcat(st->ind, st->step, NULL) : NULL;
    ivshare_layout_style child = { inner, st->step, st->nl };

    g_string_append(out, "<devices>");
    for (guint i = 0; i < wants->len; i++) {
        if (inner)
            g_string_append_printf(out, "%s%s", st->nl, inner);
        device_format(out, g_ptr_array_index(wants, i), &child, &p->xml, NULL);
    }
    if (st->ind)
        g_string_append_printf(out, "%s%s", st->nl, st->ind);
    g_string_append(out, "</devices>");
}

static void
replace_device(const ivshare_plan *p, GArray *edits, const ivshare_want *w)
{
    const ivshare_domain_xml *d = &p->xml;
    const ivshare_span *sp = span_of(d, w->node);
    g_autofree char *ind = indent_at(d, sp->start);
    ivshare_layout_style st = { ind, p->step, d->nl };
    g_autoptr(GPtrArray) kept = g_ptr_array_new();
    g_autoptr(GString) out = g_string_new(NULL);

    for (xmlNode *n = w->node->children; n; n = n->next) {
        if (node_is(n, "alias") || node_is(n, "address"))
            g_ptr_array_add(kept, n);
    }
    device_format(out, w, &st, d, kept);
    edit_add(edits, sp->start, sp->end, g_string_free(g_steal_pointer(&out), FALSE));
}

static char *
apply_edits(const ivshare_domain_xml *d, GArray *edits, GError **error)
{
    g_autoptr(GString) out = g_string_sized_new(d->len + 1024);
    gsize pos = 0;

    g_array_sort(edits, edit_compare);
    for (guint i = 0; i < edits->len; i++) {
        const ivshare_edit *e = &g_array_index(edits, ivshare_edit, i);

        if (e->start < pos || e->end > d->len) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                        _("Internal error: overlapping changes to the domain XML at byte %" G_GSIZE_FORMAT "."),
                        e->start);
            return NULL;
        }
        g_string_append_len(out, d->text + pos, (gssize) (e->start - pos));
        g_string_append(out, e->text);
        pos = e->end;
    }
    g_string_append_len(out, d->text + pos, (gssize) (d->len - pos));
    return g_string_free(g_steal_pointer(&out), FALSE);
}

char *
ivshare_inject(const char *xml, gsize len, const ivshare_desc *desc,
               const ivshare_conf *conf, GError **error)
{
    g_autoptr(ivshare_plan) p = NULL;
    g_autoptr(GArray) edits = g_array_new(FALSE, FALSE, sizeof(ivshare_edit));
    g_autoptr(GPtrArray) missing = g_ptr_array_new();
    const xmlNode *anchor = NULL;

    g_return_val_if_fail(xml != NULL || len == 0, NULL);
    g_array_set_clear_func(edits, edit_clear);
    if (!(p = plan_new(xml ? xml : "", len, desc, conf, error)))
        return NULL;

    for (guint i = 0; i < p->stale->len; i++) {
        const ivshare_stale *s = g_ptr_array_index(p->stale, i);
        const ivshare_span *sp = span_of(&p->xml, s->node);

        edit_add(edits, space_before(&p->xml, sp->start, 0), sp->end, g_strdup(""));
    }
    for (guint i = 0; i < p->wants->len; i++) {
        ivshare_want *w = g_ptr_array_index(p->wants, i);

        if (!w->node)
            g_ptr_array_add(missing, w);
        else if (w->difference)
            replace_device(p, edits, w);
    }
    if (missing->len > 0 && p->devices) {
        for (xmlNode *n = p->devices->children; n; n = n->next) {
            gboolean stale = FALSE;

            for (guint i = 0; i < p->stale->len && !stale; i++)
                stale = ((ivshare_stale *) g_ptr_array_index(p->stale, i))->node == n;
            if (node_is(n, "shmem") && !stale)
                anchor = n;
        }
        insert_children(p, edits, p->devices, anchor, missing, format_device);
    } else if (missing->len > 0) {
        g_autoptr(GPtrArray) one = g_ptr_array_new();

        g_ptr_array_add(one, missing);
        insert_children(p, edits, p->root, NULL, one, format_devices);
    }
    return apply_edits(&p->xml, edits, error);
}

gboolean
ivshare_inject_check(const char *xml, gsize len, const ivshare_desc *desc,
                     const ivshare_conf *conf, GError **error)
{
    g_autoptr(ivshare_plan) p = NULL;
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *list = NULL;

    g_return_val_if_fail(xml != NULL || len == 0, FALSE);
    if (!(p = plan_new(xml ? xml : "", len, desc, conf, error)))
        return FALSE;

    for (guint i = 0; i < p->wants->len; i++) {
        const ivshare_want *w = g_ptr_array_index(p->wants, i);

        if (!w->node)
            g_ptr_array_add(problems, g_strdup_printf(_("missing device for region '%s'"), w->region));
        else if (w->difference)
            g_ptr_array_add(problems, g_strdup(w->difference));
    }
    for (guint i = 0; i < p->stale->len; i++) {
        const ivshare_stale *s = g_ptr_array_index(p->stale, i);

        g_ptr_array_add(problems, s->duplicate ?
                        g_strdup_printf(_("duplicate device '%s'"), s->name) :
                        g_strdup_printf(_("stale device '%s'"), s->name));
    }
    if (problems->len == 0)
        return TRUE;
    g_ptr_array_add(problems, NULL);
    list = g_strjoinv("; ", (char **) problems->pdata);
    g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                _("%1$s: the ivshmem devices do not match the description: %2$s. "
                  "Run 'ivsharectl sync %3$s' or 'ivsharectl inject' to update them."),
                p->source, list, p->domain);
    return FALSE;
}
