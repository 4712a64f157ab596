/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* desc.c: the description model: lifetimes, enum names, fingerprints, layout. */
#include "desc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

static const char *const obj_kind_names[IVSHARE_OBJ_LAST] = {
    [IVSHARE_OBJ_MEMZONE] = "memzone",
    [IVSHARE_OBJ_RING] = "ring",
    [IVSHARE_OBJ_POOL] = "pool",
};

static const char *const backing_names[IVSHARE_BACKING_LAST] = {
    [IVSHARE_BACKING_HUGEPAGES] = "hugepages",
    [IVSHARE_BACKING_SHM] = "shm",
};

static const char *const exit_policy_names[IVSHARE_EXIT_LAST] = {
    [IVSHARE_EXIT_DESTROY] = "destroy",
    [IVSHARE_EXIT_SHUTDOWN] = "shutdown",
};

static int
enum_from_string(const char *const *names, int n, const char *s)
{
    for (int i = 0; s && i < n; i++) {
        if (g_str_equal(names[i], s))
            return i;
    }
    return -1;
}

#define IVSHARE_ENUM_IMPL(type, table)                                      \
    const char *ivshare_##type##_to_string(ivshare_##type v)                \
    {                                                                       \
        return (unsigned)v < G_N_ELEMENTS(table) ? table[v] : NULL;         \
    }                                                                       \
    int ivshare_##type##_from_string(const char *s)                         \
    {                                                                       \
        return enum_from_string(table, G_N_ELEMENTS(table), s);             \
    }

IVSHARE_ENUM_IMPL(obj_kind, obj_kind_names)
IVSHARE_ENUM_IMPL(backing, backing_names)
IVSHARE_ENUM_IMPL(exit_policy, exit_policy_names)

ivshare_obj_desc *
ivshare_obj_desc_new(ivshare_obj_kind kind, const char *name)
{
    ivshare_obj_desc *o = g_new0(ivshare_obj_desc, 1);

    o->kind = kind;
    o->name = g_strdup(name);
    return o;
}

void
ivshare_obj_desc_free(ivshare_obj_desc *o)
{
    if (!o)
        return;
    g_free(o->name);
    g_free(o);
}

ivshare_region_desc *
ivshare_region_desc_new(const char *name)
{
    ivshare_region_desc *r = g_new0(ivshare_region_desc, 1);

    r->name = g_strdup(name);
    r->backing = IVSHARE_BACKING_HUGEPAGES;
    r->page_size = 2u << 20;
    r->vectors = 0;            /* ivshare_region_desc_finish: 1 with a doorbell */
    r->numa_node = -1;
    r->on_exit = IVSHARE_EXIT_DESTROY;
    r->shutdown_timeout = 30;
    r->objects = g_ptr_array_new_with_free_func((GDestroyNotify)ivshare_obj_desc_free);
    return r;
}

void
ivshare_region_desc_free(ivshare_region_desc *r)
{
    if (!r)
        return;
    g_free(r->name);
    g_free(r->host_app);
    g_ptr_array_unref(r->objects);
    g_free(r);
}

void
ivshare_region_desc_finish(ivshare_region_desc *r)
{
    if (r->doorbell && r->vectors == 0)
        r->vectors = 1;
}

ivshare_desc *
ivshare_desc_new(const char *domain, const char *source)
{
    ivshare_desc *d = g_new0(ivshare_desc, 1);

    d->domain = g_strdup(domain);
    d->source = g_strdup(source);
    d->regions = g_ptr_array_new_with_free_func((GDestroyNotify)ivshare_region_desc_free);
    return d;
}

void
ivshare_desc_free(ivshare_desc *d)
{
    if (!d)
        return;
    g_free(d->domain);
    g_free(d->source);
    g_ptr_array_unref(d->regions);
    g_free(d);
}

/*
 * The canonical form of a description: (attribute, value) pairs in a fixed
 * order, values written as descriptions write them.  @layout_only keeps the
 * attributes that change the bytes of the region file.
 */
static void
add_attr(GPtrArray *attrs, const char *key, char *value)
{
    g_ptr_array_add(attrs, g_strdup(key));
    g_ptr_array_add(attrs, value);
}

static const char *
yes_no(gboolean v)
{
    return v ? "yes" : "no";
}

static GPtrArray *
region_attrs(const ivshare_region_desc *r, gboolean layout_only)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

    add_attr(a, "name", g_strdup(r->name));
    if (!layout_only)
        add_attr(a, "host-app", g_strdup(r->host_app ? r->host_app : ""));
    add_attr(a, "size", r->size ? ivshare_format_size(r->size) : g_strdup("auto"));
    add_attr(a, "backing", g_strdup(ivshare_backing_to_string(r->backing)));
    add_attr(a, "page-size", ivshare_format_size(r->page_size));
    add_attr(a, "doorbell", g_strdup(yes_no(r->doorbell)));
    add_attr(a, "vectors", g_strdup_printf("%u", r->vectors));
    if (!layout_only) {
        add_attr(a, "numa-node", r->numa_node < 0 ? g_strdup("none")
                                                  : g_strdup_printf("%d", r->numa_node));
        add_attr(a, "on-host-app-exit", g_strdup(ivshare_exit_policy_to_string(r->on_exit)));
        add_attr(a, "shutdown-timeout", g_strdup_printf("%u", r->shutdown_timeout));
    }
    return a;
}

static GPtrArray *
obj_attrs(const ivshare_obj_desc *o)
{
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);

    switch (o->kind) {
    case IVSHARE_OBJ_RING:
        add_attr(a, "slot-size", ivshare_format_size(o->slot_size));
        add_attr(a, "slots", g_strdup_printf("%u", o->slots));
        add_attr(a, "producers", g_strdup(o->multi_producer ? "multi" : "single"));
        add_attr(a, "consumers", g_strdup(o->multi_consumer ? "multi" : "single"));
        break;
    case IVSHARE_OBJ_POOL:
        add_attr(a, "buffer-size", ivshare_format_size(o->buffer_size));
        add_attr(a, "buffers", g_strdup_printf("%u", o->buffers));
        break;
    case IVSHARE_OBJ_MEMZONE:
    case IVSHARE_OBJ_LAST:
        add_attr(a, "size", ivshare_format_size(o->size));
        add_attr(a, "align", o->align ? ivshare_format_size(o->align) : g_strdup("auto"));
        break;
    }
    return a;
}

static guint64
hash_str(guint64 h, const char *s)
{
    /* the NUL separates fields unambiguously */
    return ivshare_fnv1a64(h, s, strlen(s) + 1);
}

guint64
ivshare_region_desc_fingerprint(const ivshare_region_desc *r)
{
    g_autoptr(GPtrArray) ra = region_attrs(r, TRUE);
    guint64 h = IVSHARE_FNV1A64_INIT;

    h = hash_str(h, "ivshare-region-1");
    for (guint i = 0; i < ra->len; i++)
        h = hash_str(h, g_ptr_array_index(ra, i));
    for (guint i = 0; i < r->objects->len; i++) {
        const ivshare_obj_desc *o = g_ptr_array_index(r->objects, i);
        g_autoptr(GPtrArray) oa = obj_attrs(o);

        h = hash_str(h, ivshare_obj_kind_to_string(o->kind));
        h = hash_str(h, o->name);
        for (guint j = 0; j < oa->len; j++)
            h = hash_str(h, g_ptr_array_index(oa, j));
    }
    return h;
}

/* The first differing pair of two attribute lists, or -1. */
static int
first_difference(GPtrArray *a, GPtrArray *b)
{
    for (guint i = 0; i + 1 < a->len && i + 1 < b->len; i += 2) {
        if (!g_str_equal(g_ptr_array_index(a, i + 1), g_ptr_array_index(b, i + 1)))
            return (int)i;
    }
    return -1;
}

gboolean
ivshare_region_desc_agree(const ivshare_region_desc *a, const char *a_source,
                          const ivshare_region_desc *b, const char *b_source,
                          GError **error)
{
    g_autoptr(GPtrArray) ra = region_attrs(a, FALSE);
    g_autoptr(GPtrArray) rb = region_attrs(b, FALSE);
    int i = first_difference(ra, rb);
    guint n;

    if (i >= 0) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_CONFLICT,
                    _("region '%s' is described differently: attribute '%s' is '%s' in %s and '%s' in %s"),
                    a->name, (char *)g_ptr_array_index(ra, i),
                    (char *)g_ptr_array_index(ra, i + 1), a_source,
                    (char *)g_ptr_array_index(rb, i + 1), b_source);
        return FALSE;
    }

    n = MIN(a->objects->len, b->objects->len);
    for (guint k = 0; k < n; k++) {
        const ivshare_obj_desc *oa = g_ptr_array_index(a->objects, k);
        const ivshare_obj_desc *ob = g_ptr_array_index(b->objects, k);
        g_autoptr(GPtrArray) aa = NULL;
        g_autoptr(GPtrArray) ab = NULL;

        if (oa->kind != ob->kind || !g_str_equal(oa->name, ob->name)) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_CONFLICT,
                        _("region '%s' is described differently: object %u is %s '%s' in %s and %s '%s' in %s"),
                        a->name, k + 1, ivshare_obj_kind_to_string(oa->kind), oa->name,
                        a_source, ivshare_obj_kind_to_string(ob->kind), ob->name, b_source);
            return FALSE;
        }
        aa = obj_attrs(oa);
        ab = obj_attrs(ob);
        i = first_difference(aa, ab);
        if (i >= 0) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_CONFLICT,
                        _("region '%s' is described differently: %s '%s' attribute '%s' is '%s' in %s and '%s' in %s"),
                        a->name, ivshare_obj_kind_to_string(oa->kind), oa->name,
                        (char *)g_ptr_array_index(aa, i), (char *)g_ptr_array_index(aa, i + 1),
                        a_source, (char *)g_ptr_array_index(ab, i + 1), b_source);
            return FALSE;
        }
    }
    if (a->objects->len != b->objects->len) {
        gboolean a_longer = a->objects->len > b->objects->len;
        const ivshare_region_desc *longer = a_longer ? a : b;
        const ivshare_obj_desc *o = g_ptr_array_index(longer->objects, n);

        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_CONFLICT,
                    _("region '%s' is described differently: %s '%s' is in %s but not in %s"),
                    a->name, ivshare_obj_kind_to_string(o->kind), o->name,
                    a_longer ? a_source : b_source, a_longer ? b_source : a_source);
        return FALSE;
    }
    return TRUE;
}

static const guint32 obj_types[IVSHARE_OBJ_LAST] = {
    [IVSHARE_OBJ_MEMZONE] = IVSHARE_OBJECT_MEMZONE,
    [IVSHARE_OBJ_RING] = IVSHARE_OBJECT_RING,
    [IVSHARE_OBJ_POOL] = IVSHARE_OBJECT_POOL,
};

gboolean
ivshare_region_desc_layout(const ivshare_region_desc *r,
                           ivshare_layout *layout,
                           ivshare_layout_object **objects,
                           GError **error)
{
    g_autofree ivshare_layout_object *objs = NULL;
    int rc;

    memset(layout, 0, sizeof(*layout));
    if (!ivshare_name_is_valid(r->name) || r->objects->len > IVSHARE_MAX_OBJECTS) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("region '%s' cannot be laid out: invalid name or more than %u objects"),
                    r->name ? r->name : "", IVSHARE_MAX_OBJECTS);
        return FALSE;
    }
    objs = g_new0(ivshare_layout_object, MAX(r->objects->len, 1));
    for (guint i = 0; i < r->objects->len; i++) {
        const ivshare_obj_desc *o = g_ptr_array_index(r->objects, i);
        ivshare_layout_object *lo = &objs[i];

        g_strlcpy(lo->name, o->name ? o->name : "", sizeof(lo->name));
        lo->type = (unsigned)o->kind < IVSHARE_OBJ_LAST ? obj_types[o->kind] : 0;
        switch (o->kind) {
        case IVSHARE_OBJ_RING:
            lo->flags = (o->multi_producer ? IVSHARE_RING_MULTI_PRODUCER : 0) |
                        (o->multi_consumer ? IVSHARE_RING_MULTI_CONSUMER : 0);
            lo->param0 = o->slot_size;
            lo->param1 = o->slots;
            break;
        case IVSHARE_OBJ_POOL:
            lo->param0 = o->buffer_size;
            lo->param1 = o->buffers;
            break;
        case IVSHARE_OBJ_MEMZONE:
        case IVSHARE_OBJ_LAST:
            lo->param0 = o->align > G_MAXUINT32 ? 0 : (guint32)o->align;
            lo->size = o->size;
            break;
        }
    }
    g_strlcpy(layout->name, r->name, sizeof(layout->name));
    layout->fingerprint = ivshare_region_desc_fingerprint(r);
    layout->flags = r->doorbell ? IVSHARE_REGION_DOORBELL : 0;
    layout->vectors = r->vectors;
    layout->n_objects = r->objects->len;
    layout->objects = objs;
    rc = ivshare_layout_compute(layout);
    if (rc < 0) {
        layout->objects = NULL;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("region '%s' cannot be laid out: %s"), r->name, g_strerror(-rc));
        return FALSE;
    }
    *objects = g_steal_pointer(&objs);
    return TRUE;
}

gboolean
ivshare_region_desc_size(const ivshare_region_desc *r, guint64 *size, GError **error)
{
    ivshare_layout layout;
    g_autofree ivshare_layout_object *objs = NULL;
    guint64 need = 1u << 20;
    guint64 pow2;

    if (r->size) {
        *size = r->size;
        return TRUE;
    }
    if (!ivshare_region_desc_layout(r, &layout, &objs, error))
        return FALSE;
    if (r->backing == IVSHARE_BACKING_HUGEPAGES)
        need = MAX(need, r->page_size);
    need = MAX(need, layout.used_size);
    pow2 = ivshare_next_power_of_two(need);
    if (pow2 == 0) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("region '%s' would need %llu bytes, more than any region can hold"),
                    r->name, (unsigned long long)need);
        return FALSE;
    }
    *size = pow2;
    return TRUE;
}

gboolean
ivshare_desc_load_file(const char *path, ivshare_desc **out, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    *out = NULL;
    if (!ivshare_read_file(path, &data, &len, error))
        return FALSE;
    if (g_str_has_suffix(path, ".ini")) {
        g_autofree char *base = g_path_get_basename(path);

        base[strlen(base) - strlen(".ini")] = '\0';
        return ivshare_desc_from_ini(data, len, path, base, out, error);
    }
    return ivshare_desc_from_xml(data, len, path, out, error);
}

gboolean
ivshare_desc_for_domain(const char *domain, const char *domain_xml,
                        ivshare_desc **out, GError **error)
{
    const ivshare_conf *conf;
    g_autoptr(ivshare_desc) xml_desc = NULL;
    g_autofree char *source = NULL;
    g_autofree char *ini = NULL;
    gboolean have_ini;

    *out = NULL;
    if (!(conf = ivshare_conf_get(error)))
        return FALSE;
    /* libvirt's names are free-form; only keep the INI file in its folder */
    if (!domain || !*domain || strchr(domain, '/') || strchr(domain, '\n') ||
        g_str_equal(domain, ".") || g_str_equal(domain, "..") || !g_utf8_validate(domain, -1, NULL)) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("'%s' is not a domain name ivshare can look up"), domain ? domain : "");
        ivshare_error_one_line(error);
        return FALSE;
    }
    source = g_strdup_printf(_("domain '%s'"), domain);
    if (domain_xml &&
        !ivshare_desc_from_xml(domain_xml, strlen(domain_xml), source, &xml_desc, error))
        return FALSE;

    ini = g_strdup_printf("%s/%s.ini", conf->domains_dir, domain);
    have_ini = g_file_test(ini, G_FILE_TEST_EXISTS);
    if (xml_desc && have_ini) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_CONFLICT,
                    _("domain '%s' has both an XML description in its metadata and an INI description in %s; remove one"),
                    domain, ini);
        return FALSE;
    }
    if (have_ini) {
        g_autoptr(ivshare_desc) d = NULL;

        if (!ivshare_desc_load_file(ini, &d, error))
            return FALSE;
        g_free(d->domain);
        d->domain = g_strdup(domain);
        *out = g_steal_pointer(&d);
        return TRUE;
    }
    if (xml_desc) {
        g_free(xml_desc->domain);
        xml_desc->domain = g_strdup(domain);
    }
    *out = g_steal_pointer(&xml_desc);
    return TRUE;
}
