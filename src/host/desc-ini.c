/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * desc-ini.c: the INI description, /etc/ivshare/domains/DOMAIN.ini.
 *
 *   [region fastpath]
 *   host-app=pktgen
 *   [ring fastpath/to-guest]
 *   slot-size=256
 *   slots=4096
 *
 * Keys are the XML attributes; objects keep the order of their groups.
 */
#include "desc.h"

#include <string.h>

typedef struct {
    const char *source;
    GKeyFile *kf;
    GHashTable *lines;        /* group name -> line of its header */
    ivshare_desc *d;
} ini_reader;

static const char *const required[IVSHARE_OBJ_LAST][3] = {
    [IVSHARE_OBJ_MEMZONE] = { "size", NULL },
    [IVSHARE_OBJ_RING] = { "slot-size", "slots", NULL },
    [IVSHARE_OBJ_POOL] = { "buffer-size", "buffers", NULL },
};
static const char *const region_required[] = { "host-app", NULL };

static guint
group_line(ini_reader *ir, const char *group)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(ir->lines, group));
}

static gboolean
ini_fail(ini_reader *ir, const char *group, GError **error, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static gboolean
ini_fail(ini_reader *ir, const char *group, GError **error, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    guint line = group_line(ir, group);
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (line)
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID, _("%s:%u: group [%s]: %s"),
                    ir->source, line, group, msg);
    else
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID, _("%s: group [%s]: %s"),
                    ir->source, group, msg);
    return FALSE;
}

/* Line numbers of group headers (GKeyFile keeps none); duplicates are errors. */
static gboolean
scan_groups(ini_reader *ir, const char *data, gsize len, GError **error)
{
    g_autofree char *copy = g_strndup(data, len);
    g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
    guint n = 0;

    for (char **l = lines; *l; l++) {
        char *s = g_strstrip(*l);
        gsize sl = strlen(s);
        g_autofree char *group = NULL;
        guint first;

        n++;
        if (sl < 2 || s[0] != '[' || s[sl - 1] != ']')
            continue;
        group = g_strndup(s + 1, sl - 2);
        if ((first = GPOINTER_TO_UINT(g_hash_table_lookup(ir->lines, group)))) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s:%u: group [%s] is already on line %u; describe each region and object once"),
                        ir->source, n, group, first);
            return FALSE;
        }
        g_hash_table_insert(ir->lines, g_steal_pointer(&group), GUINT_TO_POINTER(n));
    }
    return TRUE;
}

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
read_keys(ini_reader *ir, const char *group, int kind, void *target, setter_fn set,
          const char *const *needed, ivshare_region_desc *r, ivshare_obj_desc *o,
          GError **error)
{
    g_auto(GStrv) keys = g_key_file_get_keys(ir->kf, group, NULL, NULL);

    for (char **k = keys; k && *k; k++) {
        g_autoptr(GError) local = NULL;
        g_autoptr(GError) syntax = NULL;
        g_autofree char *value = g_key_file_get_string(ir->kf, group, *k, &syntax);

        /* GLib may return a value and an error (a bad escape sequence) */
        if (!value || syntax)
            return ini_fail(ir, group, error, _("key '%s': %s"), *k,
                            syntax ? syntax->message : _("unreadable value"));
        g_strstrip(value);     /* trailing blanks are invisible: ignore them */
        if (!g_str_equal(*k, "name") && set(target, *k, value, &local))
            continue;
        if (g_str_equal(*k, "name") ||
            g_error_matches(local, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND))
            return ini_fail(ir, group, error, _("unknown key '%s'; expected one of: %s"), *k,
                            ivshare_desc_known_keys(kind));
        g_propagate_error(error, g_steal_pointer(&local));
        ivshare_desc_prefix_error(error, ir->source, group_line(ir, group), r, o);
        return FALSE;
    }
    for (; *needed; needed++) {
        if (!g_key_file_has_key(ir->kf, group, *needed, NULL))
            return ini_fail(ir, group, error, _("the key '%s' is missing"), *needed);
    }
    return TRUE;
}

static ivshare_region_desc *
find_region(ini_reader *ir, const char *name)
{
    for (guint i = 0; i < ir->d->regions->len; i++) {
        ivshare_region_desc *r = g_ptr_array_index(ir->d->regions, i);

        if (g_str_equal(r->name, name))
            return r;
    }
    return NULL;
}

static gboolean
read_region(ini_reader *ir, const char *group, const char *name, GError **error)
{
    g_autoptr(ivshare_region_desc) r = ivshare_region_desc_new(NULL);

    r->line = group_line(ir, group);
    if (!ivshare_region_desc_set(r, "name", name, error)) {
        ivshare_desc_prefix_error(error, ir->source, r->line, NULL, NULL);
        return FALSE;
    }
    if (!read_keys(ir, group, -1, r, set_region, region_required,
                   r, NULL, error))
        return FALSE;
    ivshare_region_desc_finish(r);
    g_ptr_array_add(ir->d->regions, g_steal_pointer(&r));
    return TRUE;
}

static gboolean
read_object(ini_reader *ir, const char *group, ivshare_obj_kind kind, const char *path,
            GError **error)
{
    g_autoptr(ivshare_obj_desc) o = ivshare_obj_desc_new(kind, NULL);
    const char *slash = strchr(path, '/');
    g_autofree char *region = NULL;
    ivshare_region_desc *r;

    if (!slash)
        return ini_fail(ir, group, error,
                        _("expected [%s REGION/NAME], naming the region of the %s"),
                        ivshare_obj_kind_to_string(kind), ivshare_obj_kind_to_string(kind));
    region = g_strndup(path, slash - path);
    if (!(r = find_region(ir, region)))
        return ini_fail(ir, group, error, _("no [region %s] group describes region '%s'"),
                        region, region);
    o->line = group_line(ir, group);
    if (!ivshare_obj_desc_set(o, "name", slash + 1, error)) {
        ivshare_desc_prefix_error(error, ir->source, o->line, r, NULL);
        return FALSE;
    }
    if (!read_keys(ir, group, kind, o, set_object, required[kind],
                   r, o, error))
        return FALSE;
    g_ptr_array_add(r->objects, g_steal_pointer(&o));
    return TRUE;
}

/* Split "KIND REST"; KIND is region or an object kind (-1). */
static int
group_kind(const char *group, const char **rest)
{
    const char *space = strchr(group, ' ');
    g_autofree char *word = NULL;

    if (!space)
        return -2;
    word = g_strndup(group, space - group);
    *rest = space + 1;
    if (g_str_equal(word, "region"))
        return -1;
    return ivshare_obj_kind_from_string(word) >= 0 ? ivshare_obj_kind_from_string(word) : -2;
}

static gboolean
from_ini(const char *data, gsize len, const char *source, const char *domain,
         ivshare_desc **out, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GHashTable) lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(ivshare_desc) d = ivshare_desc_new(domain, source);
    g_autoptr(GError) local = NULL;
    g_auto(GStrv) groups = NULL;
    ini_reader ir = { source, kf, lines, d };

    *out = NULL;
    if (len > IVSHARE_DESC_MAX_BYTES) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the document is larger than 16M; it is not a description"), source);
        return FALSE;
    }
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: the file is not in INI (key file) syntax: %s"), source, local->message);
        return FALSE;
    }
    if (!scan_groups(&ir, data, len, error))
        return FALSE;
    groups = g_key_file_get_groups(kf, NULL);

    /* regions first, so that an object group may come before its region's */
    for (char **g = groups; *g; g++) {
        const char *rest = NULL;
        int kind = group_kind(*g, &rest);

        if (kind == -2)
            return ini_fail(&ir, *g, error,
                            _("unknown group; expected [region NAME], [ring REGION/NAME], [pool REGION/NAME] or [memzone REGION/NAME]"));
        if (kind == -1 && !read_region(&ir, *g, rest, error))
            return FALSE;
    }
    for (char **g = groups; *g; g++) {
        const char *rest = NULL;
        int kind = group_kind(*g, &rest);

        if (kind >= 0 && !read_object(&ir, *g, kind, rest, error))
            return FALSE;
    }
    if (!ivshare_desc_check(d, error))
        return FALSE;
    *out = g_steal_pointer(&d);
    return TRUE;
}

gboolean
ivshare_desc_from_ini(const char *data, gsize len, const char *source,
                      const char *domain, ivshare_desc **out, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (from_ini(data, len, source, domain, out, &local))
        return TRUE;
    ivshare_error_one_line(&local);
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}
