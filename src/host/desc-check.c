/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* desc-check.c: values and semantic checks shared by the XML and INI parsers. */
#include "desc.h"

#include <string.h>

#define KIB (G_GUINT64_CONSTANT(1) << 10)
#define MIB (G_GUINT64_CONSTANT(1) << 20)
#define GIB (G_GUINT64_CONSTANT(1) << 30)
#define TIB (G_GUINT64_CONSTANT(1) << 40)

/* The largest region ivshare builds. */
#define REGION_SIZE_MAX TIB

/* The limits of a numeric attribute. */
typedef struct {
    const char *key;
    gboolean is_size;         /* accepts K/M/G, printed as a size */
    gboolean pow2;
    guint64 min;
    guint64 max;
} ivshare_limit;

static const ivshare_limit limit_region_size = { "size", TRUE, TRUE, MIB, REGION_SIZE_MAX };
static const ivshare_limit limit_vectors = { "vectors", FALSE, FALSE, 1, 64 };
static const ivshare_limit limit_numa = { "numa-node", FALSE, FALSE, 0, 1023 };
static const ivshare_limit limit_timeout = { "shutdown-timeout", FALSE, FALSE, 1, 3600 };
static const ivshare_limit limit_slot_size = { "slot-size", TRUE, FALSE, 1, 16 * MIB };
static const ivshare_limit limit_slots = { "slots", FALSE, TRUE, 1, 1u << 28 };
static const ivshare_limit limit_buffer_size = { "buffer-size", TRUE, FALSE, 1, GIB };
static const ivshare_limit limit_buffers = { "buffers", FALSE, FALSE, 1, 1u << 28 };
static const ivshare_limit limit_mz_size = { "size", TRUE, FALSE, 1, REGION_SIZE_MAX };
static const ivshare_limit limit_align = { "align", TRUE, TRUE, 1, GIB };

static const char *const known_keys[IVSHARE_OBJ_LAST + 1] = {
    [0] = ("host-app, size, backing, page-size, doorbell, vectors, numa-node, "
           "on-host-app-exit, shutdown-timeout"),
    [1 + IVSHARE_OBJ_MEMZONE] = "size, align",
    [1 + IVSHARE_OBJ_RING] = "slot-size, slots, producers, consumers",
    [1 + IVSHARE_OBJ_POOL] = "buffer-size, buffers",
};

const char *
ivshare_desc_known_keys(int kind)
{
    if (kind < -1 || kind >= IVSHARE_OBJ_LAST)
        return "";
    return known_keys[kind + 1];
}

static char *
format_value(const ivshare_limit *l, guint64 v)
{
    return l->is_size ? ivshare_format_size(v) : g_strdup_printf("%" G_GUINT64_FORMAT, v);
}

static gboolean
check_limit(const ivshare_limit *l, guint64 v, const char *text, GError **error)
{
    g_autofree char *shown = text ? g_strdup(text) : format_value(l, v);

    if (v < l->min || v > l->max) {
        g_autofree char *min = format_value(l, l->min);
        g_autofree char *max = format_value(l, l->max);

        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s must be between %s and %s, not %s"), l->key, min, max, shown);
        return FALSE;
    }
    if (l->pow2 && !ivshare_is_power_of_two(v)) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s must be a power of two, not %s"), l->key, shown);
        return FALSE;
    }
    return TRUE;
}

/* Only digits, then one optional K/M/G for sizes. */
static gboolean
looks_numeric(const char *text, gboolean is_size)
{
    const char *p = text;

    if (!g_ascii_isdigit(*p))
        return FALSE;
    while (g_ascii_isdigit(*p))
        p++;
    if (is_size && (*p == 'K' || *p == 'M' || *p == 'G'))
        p++;
    return *p == '\0';
}

static gboolean
parse_limited(const ivshare_limit *l, const char *text, guint64 *out, GError **error)
{
    guint64 v = 0;

    if (!looks_numeric(text, l->is_size)) {
        if (l->is_size)
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s must be a size in bytes such as 4096, 4K, 2M or 1G, not '%s'"),
                        l->key, text);
        else
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s must be a whole number, not '%s'"), l->key, text);
        return FALSE;
    }
    if (!ivshare_parse_size(text, &v))
        v = G_MAXUINT64;       /* too large for 64 bits: out of every range */
    if (!check_limit(l, v, text, error))
        return FALSE;
    *out = v;
    return TRUE;
}

static gboolean
parse_choice(const char *key, const char *text, const char *no, const char *yes,
             gboolean *out, GError **error)
{
    if (g_str_equal(text, yes) || g_str_equal(text, no)) {
        *out = g_str_equal(text, yes);
        return TRUE;
    }
    g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                _("%s must be '%s' or '%s', not '%s'"), key, no, yes, text);
    return FALSE;
}

static gboolean
check_name(const char *what, const char *name, GError **error)
{
    if (ivshare_name_is_valid(name))
        return TRUE;
    g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                _("%s name '%s' is not valid: use 1 to 31 of the characters A-Z a-z 0-9 _ . - (but not '.' or '..')"),
                what, name ? name : "");
    return FALSE;
}

static gboolean
check_page_size(guint64 v, const char *text, GError **error)
{
    g_autofree char *shown = text ? g_strdup(text) : ivshare_format_size(v);

    if (v == 2 * MIB || v == GIB)
        return TRUE;
    g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                _("page-size must be 2M or 1G, not %s"), shown);
    return FALSE;
}

static gboolean
unknown_key(GError **error)
{
    g_set_error_literal(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND, "unknown key");
    return FALSE;
}

gboolean
ivshare_region_desc_set(ivshare_region_desc *r, const char *key,
                        const char *value, GError **error)
{
    guint64 v = 0;
    gboolean b = FALSE;
    int e;

    if (g_str_equal(key, "name")) {
        if (!check_name("region", value, error))
            return FALSE;
        g_free(r->name);
        r->name = g_strdup(value);
    } else if (g_str_equal(key, "host-app")) {
        if (!check_name("host-app", value, error))
            return FALSE;
        g_free(r->host_app);
        r->host_app = g_strdup(value);
    } else if (g_str_equal(key, "size")) {
        if (!parse_limited(&limit_region_size, value, &v, error))
            return FALSE;
        r->size = v;
    } else if (g_str_equal(key, "backing")) {
        if ((e = ivshare_backing_from_string(value)) < 0) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s must be '%s' or '%s', not '%s'"), key, "hugepages", "shm", value);
            return FALSE;
        }
        r->backing = e;
    } else if (g_str_equal(key, "page-size")) {
        if (!looks_numeric(value, TRUE) || !ivshare_parse_size(value, &v) ||
            !check_page_size(v, value, NULL)) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("page-size must be 2M or 1G, not %s"), value);
            return FALSE;
        }
        r->page_size = v;
    } else if (g_str_equal(key, "doorbell")) {
        if (!parse_choice(key, value, "no", "yes", &b, error))
            return FALSE;
        r->doorbell = b;
    } else if (g_str_equal(key, "vectors")) {
        if (!parse_limited(&limit_vectors, value, &v, error))
            return FALSE;
        r->vectors = (guint)v;
    } else if (g_str_equal(key, "numa-node")) {
        if (!parse_limited(&limit_numa, value, &v, error))
            return FALSE;
        r->numa_node = (int)v;
    } else if (g_str_equal(key, "on-host-app-exit")) {
        if ((e = ivshare_exit_policy_from_string(value)) < 0) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s must be '%s' or '%s', not '%s'"), key, "destroy", "shutdown", value);
            return FALSE;
        }
        r->on_exit = e;
    } else if (g_str_equal(key, "shutdown-timeout")) {
        if (!parse_limited(&limit_timeout, value, &v, error))
            return FALSE;
        r->shutdown_timeout = (guint)v;
    } else {
        return unknown_key(error);
    }
    return TRUE;
}

gboolean
ivshare_obj_desc_set(ivshare_obj_desc *o, const char *key,
                     const char *value, GError **error)
{
    guint64 v = 0;

    if (g_str_equal(key, "name")) {
        if (!check_name(ivshare_obj_kind_to_string(o->kind), value, error))
            return FALSE;
        g_free(o->name);
        o->name = g_strdup(value);
        return TRUE;
    }
    switch (o->kind) {
    case IVSHARE_OBJ_RING:
        if (g_str_equal(key, "slot-size")) {
            if (!parse_limited(&limit_slot_size, value, &v, error))
                return FALSE;
            o->slot_size = (guint32)v;
        } else if (g_str_equal(key, "slots")) {
            if (!parse_limited(&limit_slots, value, &v, error))
                return FALSE;
            o->slots = (guint32)v;
        } else if (g_str_equal(key, "producers")) {
            return parse_choice(key, value, "single", "multi", &o->multi_producer, error);
        } else if (g_str_equal(key, "consumers")) {
            return parse_choice(key, value, "single", "multi", &o->multi_consumer, error);
        } else {
            return unknown_key(error);
        }
        return TRUE;
    case IVSHARE_OBJ_POOL:
        if (g_str_equal(key, "buffer-size")) {
            if (!parse_limited(&limit_buffer_size, value, &v, error))
                return FALSE;
            o->buffer_size = (guint32)v;
        } else if (g_str_equal(key, "buffers")) {
            if (!parse_limited(&limit_buffers, value, &v, error))
                return FALSE;
            o->buffers = (guint32)v;
        } else {
            return unknown_key(error);
        }
        return TRUE;
    case IVSHARE_OBJ_MEMZONE:
        if (g_str_equal(key, "size")) {
            if (!parse_limited(&limit_mz_size, value, &v, error))
                return FALSE;
            o->size = v;
        } else if (g_str_equal(key, "align")) {
            if (!parse_limited(&limit_align, value, &v, error))
                return FALSE;
            o->align = v;
        } else {
            return unknown_key(error);
        }
        return TRUE;
    case IVSHARE_OBJ_LAST:
        break;
    }
    return unknown_key(error);
}

void
ivshare_desc_prefix_error(GError **error, const char *source, guint line,
                          const ivshare_region_desc *r, const ivshare_obj_desc *o)
{
    g_autoptr(GString) p = g_string_new(source);

    if (line)
        g_string_append_printf(p, ":%u", line);
    g_string_append(p, ": ");
    if (r && ivshare_name_is_valid(r->name))
        g_string_append_printf(p, _("region '%s': "), r->name);
    if (o && ivshare_name_is_valid(o->name))
        g_string_append_printf(p, "%s '%s': ", ivshare_obj_kind_to_string(o->kind), o->name);
    g_prefix_error(error, "%s", p->str);
}

static gboolean
check_object(const ivshare_obj_desc *o, GError **error)
{
    if (!check_name(ivshare_obj_kind_to_string(o->kind), o->name, error))
        return FALSE;
    switch (o->kind) {
    case IVSHARE_OBJ_RING:
        return check_limit(&limit_slot_size, o->slot_size, NULL, error) &&
               check_limit(&limit_slots, o->slots, NULL, error);
    case IVSHARE_OBJ_POOL:
        return check_limit(&limit_buffer_size, o->buffer_size, NULL, error) &&
               check_limit(&limit_buffers, o->buffers, NULL, error);
    case IVSHARE_OBJ_MEMZONE:
        return check_limit(&limit_mz_size, o->size, NULL, error) &&
               (o->align == 0 || check_limit(&limit_align, o->align, NULL, error));
    case IVSHARE_OBJ_LAST:
        break;
    }
    g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                _("object '%s' has no valid kind"), o->name);
    return FALSE;
}

/* The region's own attributes, each alone. */
static gboolean
check_region_attrs(const ivshare_region_desc *r, GError **error)
{
    if (!check_name("region", r->name, error))
        return FALSE;
    if (!r->host_app) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("host-app is missing: name the host application that owns the region"));
        return FALSE;
    }
    if (!check_name("host-app", r->host_app, error))
        return FALSE;
    if (r->size && !check_limit(&limit_region_size, r->size, NULL, error))
        return FALSE;
    if ((unsigned)r->backing >= IVSHARE_BACKING_LAST ||
        (unsigned)r->on_exit >= IVSHARE_EXIT_LAST) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("backing or on-host-app-exit has no valid value"));
        return FALSE;
    }
    if (!check_page_size(r->page_size, NULL, error))
        return FALSE;
    if (!r->doorbell && r->vectors) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("vectors is only valid with doorbell='yes'"));
        return FALSE;
    }
    if (r->doorbell && !check_limit(&limit_vectors, r->vectors, NULL, error))
        return FALSE;
    if (r->numa_node != -1 &&
        (r->numa_node < 0 || !check_limit(&limit_numa, (guint64)r->numa_node, NULL, error))) {
        if (error && !*error)
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("numa-node must be between 0 and 1023, not %d"), r->numa_node);
        return FALSE;
    }
    return check_limit(&limit_timeout, r->shutdown_timeout, NULL, error);
}

/* Do the metadata and objects fit the region? */
static gboolean
check_region_size(const ivshare_region_desc *r, GError **error)
{
    ivshare_layout layout;
    g_autofree ivshare_layout_object *objs = NULL;
    guint64 size = 0;

    if (r->size && r->backing == IVSHARE_BACKING_HUGEPAGES && r->size < r->page_size) {
        g_autofree char *s = ivshare_format_size(r->size);
        g_autofree char *p = ivshare_format_size(r->page_size);

        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("size %s is smaller than the page-size %s"), s, p);
        return FALSE;
    }
    if (!ivshare_region_desc_layout(r, &layout, &objs, error))
        return FALSE;
    if (r->size && layout.used_size > r->size) {
        g_autofree char *s = ivshare_format_size(r->size);

        g_autofree char *need = ivshare_format_size(ivshare_next_power_of_two(layout.used_size));

        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("the metadata and objects do not fit in size %s: they need a region of %s; raise size or leave it out"),
                    s, need);
        return FALSE;
    }
    if (!ivshare_region_desc_size(r, &size, error))
        return FALSE;
    if (size > REGION_SIZE_MAX) {
        g_autofree char *s = ivshare_format_size(size);

        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("the metadata and objects need a region of %s, more than the largest region (1024G)"),
                    s);
        return FALSE;
    }
    return TRUE;
}

static gboolean
check_region(const ivshare_desc *d, const ivshare_region_desc *r, GError **error)
{
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);

    if (!check_region_attrs(r, error))
        goto fail;
    if (r->objects->len == 0) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("the region has no objects: describe at least one ring, pool or memzone"));
        goto fail;
    }
    if (r->objects->len > IVSHARE_MAX_OBJECTS) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("the region has %u objects, more than %u"), r->objects->len,
                    IVSHARE_MAX_OBJECTS);
        goto fail;
    }
    for (guint i = 0; i < r->objects->len; i++) {
        const ivshare_obj_desc *o = g_ptr_array_index(r->objects, i);
        const ivshare_obj_desc *other;

        if (!check_object(o, error)) {
            ivshare_desc_prefix_error(error, d->source, o->line, r, o);
            return FALSE;
        }
        if ((other = g_hash_table_lookup(names, o->name))) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s name '%s' is already used by a %s of this region"),
                        ivshare_obj_kind_to_string(o->kind), o->name,
                        ivshare_obj_kind_to_string(other->kind));
            ivshare_desc_prefix_error(error, d->source, o->line, r, NULL);
            return FALSE;
        }
        g_hash_table_insert(names, o->name, (gpointer)o);
    }
    if (!check_region_size(r, error))
        goto fail;
    return TRUE;

fail:
    ivshare_desc_prefix_error(error, d->source, r->line, r, NULL);
    return FALSE;
}

gboolean
ivshare_desc_check(const ivshare_desc *d, GError **error)
{
    g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);

    if (d->regions->len == 0) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the description has no regions"), d->source);
        return FALSE;
    }
    for (guint i = 0; i < d->regions->len; i++) {
        const ivshare_region_desc *r = g_ptr_array_index(d->regions, i);

        if (!check_region(d, r, error))
            return FALSE;
        if (g_hash_table_contains(names, r->name)) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("region name '%s' is used twice in this description"), r->name);
            ivshare_desc_prefix_error(error, d->source, r->line, NULL, NULL);
            return FALSE;
        }
        g_hash_table_add(names, r->name);
    }
    return TRUE;
}
