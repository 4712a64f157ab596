/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* describe.c: ivsharectl validate, inject and build. */
#include "ctl.h"

#include <stdio.h>

/* The description of @arg: a file, or else the name of a libvirt domain. */
static gboolean
load_description(ctl_options *opts, const char *arg, char **xml, gsize *len,
                 ivshare_desc **desc, GError **error)
{
    g_autofree char *domain_xml = NULL;

    /* a path, or a name that can only be a file, is a file */
    if (g_str_equal(arg, "-") || g_file_test(arg, G_FILE_TEST_EXISTS) || strchr(arg, '/') ||
        g_str_has_suffix(arg, ".xml") || g_str_has_suffix(arg, ".ini"))
        return ivshare_load_file(arg, xml, len, desc, error);
    g_autoptr(virConnect) conn = ivshare_virt_connect(opts->uri, error);
    if (!conn ||
        !ivshare_virt_domain_xml(conn, arg, &domain_xml, error) ||
        !ivshare_desc_for_domain(arg, domain_xml, desc, error))
        return FALSE;
    if (len)
        *len = strlen(domain_xml);
    if (xml)
        *xml = g_steal_pointer(&domain_xml);
    return TRUE;
}

static gboolean
require_description(const char *arg, const ivshare_desc *desc, GError **error)
{
    if (desc)
        return TRUE;
    g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND,
                _("%s: no ivshare description (neither <ivshare:shared-memory> in its metadata nor an INI file)"),
                arg);
    return FALSE;
}

static void
json_regions(json_writer *w, const ivshare_desc *desc)
{
    json_begin_array(w, "regions");
    for (guint i = 0; i < desc->regions->len; i++) {
        const ivshare_region_desc *r = g_ptr_array_index(desc->regions, i);
        guint64 size = 0;
        ivshare_region_desc_size(r, &size, NULL);
        json_begin_object(w, NULL);
        json_string(w, "name", r->name);
        json_string(w, "host-app", r->host_app);
        json_uint(w, "size", size);
        json_uint(w, "objects", r->objects->len);
        json_end_object(w);
    }
    json_end_array(w);
}

int
ctl_validate(ctl_options *opts, int argc, char **argv)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) descs = g_ptr_array_new_with_free_func((GDestroyNotify)ivshare_desc_free);
    json_writer w = { 0 };
    int status = 0;

    if (!ctl_parse(opts, "validate", _("FILE…"), 1, -1, &argc, &argv))
        return 2;
    if (opts->json)
        json_begin_array(&w, NULL);
    for (int i = 1; i < argc; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(ivshare_desc) desc = NULL;

        if (load_description(opts, argv[i], NULL, NULL, &desc, &error) &&
            require_description(argv[i], desc, &error)) {
            for (guint j = 0; j < desc->regions->len && !error; j++) {
                const ivshare_region_desc *r = g_ptr_array_index(desc->regions, j);
                const ivshare_desc *other = g_hash_table_lookup(seen, r->name);
                for (guint k = 0; other && k < other->regions->len; k++) {
                    const ivshare_region_desc *o = g_ptr_array_index(other->regions, k);
                    if (g_str_equal(o->name, r->name) &&
                        !ivshare_region_desc_agree(o, other->source, r, desc->source, &error))
                        break;
                }
                if (!other)
                    g_hash_table_insert(seen, r->name, desc);
            }
        }
        if (opts->json) {
            json_begin_object(&w, NULL);
            json_string(&w, "file", argv[i]);
            json_bool(&w, "valid", error == NULL);
            if (error)
                json_string(&w, "error", error->message);
            else
                json_regions(&w, desc);
            json_end_object(&w);
        } else if (error) {
            fprintf(stderr, "ivsharectl: %s\n", error->message);
        } else {
            printf(g_dngettext(GETTEXT_PACKAGE, "%s: valid, %u region\n", "%s: valid, %u regions\n",
                               desc->regions->len), argv[i], desc->regions->len);
        }
        if (error && status == 0)
            status = ctl_exit_code(error);
        if (desc)
            g_ptr_array_add(descs, g_steal_pointer(&desc));
    }
    if (opts->json) {
        json_end_array(&w);
        json_print(&w);
    }
    return status;
}

int
ctl_inject(ctl_options *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ivshare_desc) desc = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *out = NULL;
    const ivshare_conf *conf;
    gsize len = 0;

    if (!ctl_parse(opts, "inject", _("FILE|-"), 1, 1, &argc, &argv))
        return 2;
    if (!(conf = ivshare_conf_get(&error)) ||
        !ivshare_load_file(argv[1], &xml, &len, &desc, &error) ||
        !require_description(argv[1], desc, &error) ||
        !(out = ivshare_inject(xml, len, desc, conf, &error)))
        return ctl_fail(error);
    fputs(out, stdout);
    return 0;
}

int
ctl_build(ctl_options *opts, int argc, char **argv)
{
    static const char *const results[] = { N_("kept"), N_("built") };
    g_autoptr(GError) error = NULL;
    g_autoptr(ivshare_desc) desc = NULL;
    const ivshare_conf *conf;
    json_writer w = { 0 };

    if (!ctl_parse(opts, "build", _("DOMAIN|FILE"), 1, 1, &argc, &argv))
        return 2;
    if (!(conf = ivshare_conf_get(&error)) ||
        !load_description(opts, argv[1], NULL, NULL, &desc, &error) ||
        !require_description(argv[1], desc, &error))
        return ctl_fail(error);

    if (opts->json)
        json_begin_array(&w, NULL);
    for (guint i = 0; i < desc->regions->len; i++) {
        const ivshare_region_desc *r = g_ptr_array_index(desc->regions, i);
        g_autofree char *path = ivshare_conf_region_path(conf, r->name, r->backing);
        ivshare_build_result result;
        guint64 size = 0;

        if (!ivshare_region_build(r, desc->source, conf, &result, &error) ||
            !ivshare_region_desc_size(r, &size, &error)) {
            if (opts->json) {
                json_end_array(&w);
                g_string_free(g_steal_pointer(&w.out), TRUE);
            }
            return ctl_fail(error);
        }
        if (opts->json) {
            json_begin_object(&w, NULL);
            json_string(&w, "region", r->name);
            json_string(&w, "path", path);
            json_uint(&w, "size", size);
            json_string(&w, "result", results[result]);
            json_end_object(&w);
        } else {
            g_autofree char *human = ivshare_format_size(size);
            printf(_("region '%s': %s %s (%s)\n"), r->name, _(results[result]), path, human);
        }
    }
    if (opts->json) {
        json_end_array(&w);
        json_print(&w);
    }
    return 0;
}
