/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* inject.c: add, update and remove a description's <shmem> devices in a domain XML. */
#include "inject-priv.h"

#include <string.h>

#define IVSHARE_DEVICE_PREFIX "ivshare-"
#define IVSHARE_DEFAULT_RUNTIME_DIR "/run/ivshare"

/* What the description needs for one region, and what the domain has. */
typedef struct {
    ivshare_inject_device dev;
    xmlNode *node;            /* the existing device, or NULL */
    char *difference;         /* NULL when node matches */
} ivshare_want;

/* An ivshare device no region needs (any more). */
typedef struct {
    xmlNode *node;
    char *name;
    gboolean duplicate;
} ivshare_stale;

typedef struct {
    ivshare_inject_doc xml;
    xmlNode *root;
    xmlNode *devices;
    GPtrArray *wants;         /* ivshare_want* */
    GPtrArray *stale;         /* ivshare_stale* */
    char *source;             /* names the domain in messages */
    char *domain;             /* for 'ivsharectl sync DOMAIN' */
    char *step;               /* one indentation level of the document */
} ivshare_plan;

/* Replace bytes [start, end) of the input with text. */
typedef struct {
    gsize start;
    gsize end;
    char *text;
} ivshare_edit;

static void
ivshare_want_free(ivshare_want *w)
{
    g_free(w->dev.dev_name);
    g_free(w->dev.server);
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
    ivshare_inject_doc_clear(&p->xml);
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

/* ---- the plan: wants, existing and stale devices ---- */

static char *
domain_name(const xmlNode *root)
{
    xmlNode *name = ivshare_inject_child(root, "name");

    return name ? ivshare_inject_text(name) : NULL;
}

static ivshare_want *
want_find(GPtrArray *wants, const char *dev_name)
{
    for (guint i = 0; i < wants->len; i++) {
        ivshare_want *w = g_ptr_array_index(wants, i);

        if (strcmp(w->dev.dev_name, dev_name) == 0)
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
    const char *source = desc && desc->source ? desc->source : _("the domain XML");
    g_autofree char *xml_name = NULL;

    if (!ivshare_inject_doc_parse(xml, len, source, &p->xml, error))
        return NULL;
    p->root = xmlDocGetRootElement(p->xml.doc);
    p->devices = ivshare_inject_child(p->root, "devices");
    p->step = ivshare_inject_step(&p->xml, p->root);
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
        w->dev.region = r->name;
        w->dev.dev_name = g_strconcat(IVSHARE_DEVICE_PREFIX, r->name, NULL);
        if (!ivshare_region_desc_size(r, &w->dev.size, error))
            return NULL;
        if (r->doorbell) {
            w->dev.model = IVSHARE_SHMEM_DOORBELL;
            w->dev.server = g_strdup_printf("%s/%s.sock", runtime, r->name);
            w->dev.vectors = r->vectors ? r->vectors : 1;
        }
    }

    p->stale = g_ptr_array_new_with_free_func((GDestroyNotify) ivshare_stale_free);
    for (xmlNode *n = p->devices ? p->devices->children : NULL; n; n = n->next) {
        g_autofree char *name = NULL;
        ivshare_want *w;
        ivshare_stale *s;

        if (ivshare_inject_node_is(n, "shmem"))
            name = ivshare_inject_prop(n, "name");
        if (!name || !g_str_has_prefix(name, IVSHARE_DEVICE_PREFIX))
            continue;
        w = want_find(p->wants, name);
        if (w && !w->node) {
            w->node = n;
            w->difference = ivshare_inject_device_difference(&w->dev, n);
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

static gboolean
plan_is_stale(const ivshare_plan *p, const xmlNode *n)
{
    for (guint i = 0; i < p->stale->len; i++) {
        if (((ivshare_stale *) g_ptr_array_index(p->stale, i))->node == n)
            return TRUE;
    }
    return FALSE;
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
typedef void (*ivshare_item_format)(GString *out, gpointer item,
                                    const ivshare_inject_style *st, const ivshare_plan *p);

static void
insert_children(const ivshare_plan *p, GArray *edits, const xmlNode *parent,
                const xmlNode *anchor, GPtrArray *items, ivshare_item_format format)
{
    const ivshare_inject_doc *d = &p->xml;
    const ivshare_span *ps = ivshare_inject_span(d, parent);
    const xmlNode *last = anchor ? anchor : ivshare_inject_last_child(parent);
    g_autofree char *pind = ivshare_inject_indent(d, ps->start);
    const char *step = p->step;
    g_autofree char *ind = last ? ivshare_inject_indent(d, ivshare_inject_span(d, last)->start) :
        pind ? g_strconcat(pind, step, NULL) : NULL;
    ivshare_inject_style st = { ind, step, d->nl };
    g_autoptr(GString) out = g_string_new(NULL);
    gsize pos;
    gboolean newline_follows = FALSE;

    if (anchor) {
        pos = ivshare_inject_span(d, anchor)->end;
        newline_follows = TRUE;
    } else if (ps->empty) {
        /* <parent .../> becomes <parent ...>ITEMS</parent> */
        pos = ps->end - 2;
        g_string_append_c(out, '>');
    } else {
        pos = ivshare_inject_space_before(d, ps->close, ps->content);
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
format_device(GString *out, gpointer item, const ivshare_inject_style *st, const ivshare_plan *p)
{
    ivshare_inject_device_format(out, &((ivshare_want *) item)->dev, st, &p->xml, NULL);
}

/* A whole <devices> element holding every device of the description. */
static void
format_devices(GString *out, gpointer item, const ivshare_inject_style *st, const ivshare_plan *p)
{
    GPtrArray *wants = item;
    g_autofree char *inner = st->ind ? g_strconcat(st->ind, st->step, NULL) : NULL;
    ivshare_inject_style child = { inner, st->step, st->nl };

    g_string_append(out, "<devices>");
    for (guint i = 0; i < wants->len; i++) {
        if (inner)
            g_string_append_printf(out, "%s%s", st->nl, inner);
        ivshare_inject_device_format(out, &((ivshare_want *) g_ptr_array_index(wants, i))->dev,
                                     &child, &p->xml, NULL);
    }
    if (st->ind)
        g_string_append_printf(out, "%s%s", st->nl, st->ind);
    g_string_append(out, "</devices>");
}

static void
replace_device(const ivshare_plan *p, GArray *edits, const ivshare_want *w)
{
    const ivshare_inject_doc *d = &p->xml;
    const ivshare_span *sp = ivshare_inject_span(d, w->node);
    g_autofree char *ind = ivshare_inject_indent(d, sp->start);
    ivshare_inject_style st = { ind, p->step, d->nl };
    g_autoptr(GPtrArray) kept = g_ptr_array_new();
    g_autoptr(GString) out = g_string_new(NULL);

    for (xmlNode *n = w->node->children; n; n = n->next) {
        if (ivshare_inject_node_is(n, "alias") || ivshare_inject_node_is(n, "address"))
            g_ptr_array_add(kept, n);
    }
    ivshare_inject_device_format(out, &w->dev, &st, d, kept);
    edit_add(edits, sp->start, sp->end, g_string_free(g_steal_pointer(&out), FALSE));
}

static char *
apply_edits(const ivshare_inject_doc *d, GArray *edits, GError **error)
{
    g_autoptr(GString) out = g_string_sized_new(d->len + 1024);
    gsize pos = 0;

    g_array_sort(edits, edit_compare);
    for (guint i = 0; i < edits->len; i++) {
        const ivshare_edit *e = &g_array_index(edits, ivshare_edit, i);

        if (e->start < pos || e->end > d->len) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                        _("Internal error: overlapping changes to the domain XML "
                          "at byte %zu."), e->start);
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
        const ivshare_span *sp = ivshare_inject_span(&p->xml, s->node);

        /* with the whitespace before it: its line goes */
        edit_add(edits, ivshare_inject_space_before(&p->xml, sp->start, 0), sp->end, g_strdup(""));
    }
    for (guint i = 0; i < p->wants->len; i++) {
        ivshare_want *w = g_ptr_array_index(p->wants, i);

        if (!w->node)
            g_ptr_array_add(missing, w);
        else if (w->difference)
            replace_device(p, edits, w);
    }
    if (missing->len > 0 && p->devices) {
        /* after the last <shmem> that stays */
        for (xmlNode *n = p->devices->children; n; n = n->next) {
            if (ivshare_inject_node_is(n, "shmem") && !plan_is_stale(p, n))
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
            g_ptr_array_add(problems, g_strdup_printf(_("missing device for region '%s'"),
                                                      w->dev.region));
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

