/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* inject-device.c: compare and write one ivshare <shmem> device. */
#include "inject-priv.h"

#include <errno.h>
#include <string.h>

static const char *const ivshare_shmem_model_names[IVSHARE_SHMEM_LAST] = {
    [IVSHARE_SHMEM_PLAIN] = "ivshmem-plain",
    [IVSHARE_SHMEM_DOORBELL] = "ivshmem-doorbell",
};

const char *
ivshare_shmem_model_to_string(ivshare_shmem_model m)
{
    return m < IVSHARE_SHMEM_LAST ? ivshare_shmem_model_names[m] : NULL;
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
    errno = 0;
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
model_difference(const ivshare_inject_device *w, const xmlNode *child)
{
    g_autofree char *type = child ? ivshare_inject_prop(child, "type") : NULL;
    const char *need = ivshare_shmem_model_to_string(w->model);

    if (!type)
        return g_strdup_printf(_("device '%s' has no model, the description needs '%s'"),
                               w->dev_name, need);
    if (strcmp(type, need) != 0)
        return g_strdup_printf(_("device '%s' has model '%s', the description needs '%s'"),
                               w->dev_name, type, need);
    return NULL;
}

static char *
size_difference(const ivshare_inject_device *w, const xmlNode *child)
{
    g_autofree char *need = size_to_string(w->size);
    g_autofree char *value = NULL;
    g_autofree char *unit = NULL;
    g_autofree char *have = NULL;
    guint64 bytes;

    /* libvirt refuses a size with a server: the server's memory sets it */
    if (w->model == IVSHARE_SHMEM_DOORBELL)
        return child ? g_strdup_printf(_("device '%s' has a size, which libvirt refuses for ivshmem-doorbell"),
                                       w->dev_name) : NULL;
    if (!child)
        return g_strdup_printf(_("device '%s' has no size, the description needs %s"),
                               w->dev_name, need);
    value = ivshare_inject_text(child);
    unit = ivshare_inject_prop(child, "unit");
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
server_difference(const ivshare_inject_device *w, const xmlNode *server, const xmlNode *msi)
{
    g_autofree char *path = server ? ivshare_inject_prop(server, "path") : NULL;
    g_autofree char *vectors = msi ? ivshare_inject_prop(msi, "vectors") : NULL;
    g_autofree char *ioeventfd = msi ? ivshare_inject_prop(msi, "ioeventfd") : NULL;
    g_autofree char *need = g_strdup_printf("%u", w->vectors);
    guint64 have;

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
    if (!g_ascii_string_to_unsigned(vectors, 10, 0, G_MAXUINT, &have, NULL) || have != w->vectors)
        return g_strdup_printf(_("device '%s' has %s MSI vectors, the description needs %s"),
                               w->dev_name, vectors, need);
    if (!ioeventfd || strcmp(ioeventfd, "on") != 0)
        return g_strdup_printf(_("device '%s' has ioeventfd '%s', the description needs 'on'"),
                               w->dev_name, ioeventfd ? ioeventfd : "off");
    return NULL;
}

char *
ivshare_inject_device_difference(const ivshare_inject_device *w, const xmlNode *dev)
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

        if (n->type != XML_ELEMENT_NODE ||
            ivshare_inject_node_is(n, "address") || ivshare_inject_node_is(n, "alias"))
            continue;
        for (i = 0; i < G_N_ELEMENTS(known); i++) {
            if (ivshare_inject_node_is(n, known[i]))
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

/* ---- writing a device ---- */

static void
append_escaped(GString *out, const char *s)
{
    g_autofree char *esc = g_markup_escape_text(s, -1);

    g_string_append(out, esc);
}

void
ivshare_inject_device_format(GString *out, const ivshare_inject_device *w,
                             const ivshare_inject_style *st,
                             const ivshare_inject_doc *d, GPtrArray *kept)
{
    g_autofree char *child = st->ind ? g_strconcat(st->nl, st->ind, st->step, NULL) : g_strdup("");
    const char *unit;
    guint64 value = size_unit(w->size, &unit);

    g_string_append(out, "<shmem name='");
    append_escaped(out, w->dev_name);
    g_string_append_printf(out, "'>%s<model type='%s'/>",
                           child, ivshare_shmem_model_to_string(w->model));
    if (w->model == IVSHARE_SHMEM_PLAIN)
        g_string_append_printf(out, "%s<size unit='%s'>%" G_GUINT64_FORMAT "</size>",
                               child, unit, value);
    if (w->model == IVSHARE_SHMEM_DOORBELL) {
        g_string_append_printf(out, "%s<server path='", child);
        append_escaped(out, w->server);
        g_string_append_printf(out, "'/>%s<msi vectors='%u' ioeventfd='on'/>", child, w->vectors);
    }
    for (guint i = 0; kept && i < kept->len; i++) {
        const ivshare_span *sp = ivshare_inject_span(d, g_ptr_array_index(kept, i));

        g_string_append(out, child);
        g_string_append_len(out, d->text + sp->start, (gssize) (sp->end - sp->start));
    }
    if (st->ind)
        g_string_append_printf(out, "%s%s", st->nl, st->ind);
    g_string_append(out, "</shmem>");
}

