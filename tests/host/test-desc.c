/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-desc.c: descriptions (XML, INI), their checks, the model and ivshare.conf. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "conf.h"
#include "desc.h"

static char *datadir;         /* tests/data/desc in the source tree */
static char *tmpdir;          /* the directories of the test's ivshare.conf */
static const char *const state_dirs[] = { "hugepages", "shm", "run", "link" };

/* Messages name fixtures by path: make them independent of the checkout. */
static char *
normalize(const char *message)
{
    g_auto(GStrv) parts = g_strsplit(message, datadir, -1);

    return g_strjoinv("DATA", parts);
}

static void
assert_state_dirs_empty(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(state_dirs); i++) {
        g_autofree char *path = g_build_filename(tmpdir, state_dirs[i], NULL);
        g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);

        g_assert_nonnull(dir);
        g_assert_null(g_dir_read_name(dir));
    }
}

/* Parse one fixture as ivshare would: the domain's view when it is a domain. */
static gboolean
load_fixture(const char *path, ivshare_desc **out, GError **error)
{
    g_autofree char *data = NULL;
    g_autofree char *base = g_path_get_basename(path);
    gsize len = 0;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    if (g_str_has_suffix(path, ".ini")) {
        g_autofree char *domain = g_strndup(base, strlen(base) - 4);

        return ivshare_desc_from_ini(data, len, base, domain, out, error);
    }
    if (!ivshare_desc_from_xml(data, len, base, out, error))
        return FALSE;
    if (*out && (*out)->domain) {
        g_autoptr(ivshare_desc) d = NULL;

        if (!ivshare_desc_for_domain((*out)->domain, data, &d, error)) {
            g_clear_pointer(out, ivshare_desc_free);
            return FALSE;
        }
        g_assert_nonnull(d);
        g_assert_cmpstr(d->domain, ==, (*out)->domain);
    }
    return TRUE;
}

/* The ".peer.xml" or ".peer.ini" file beside @path, if any. */
static char *
peer_of(const char *path)
{
    g_autofree char *stem = g_strndup(path, strlen(path) - 4);
    static const char *const exts[] = { ".peer.xml", ".peer.ini" };

    for (gsize i = 0; i < G_N_ELEMENTS(exts); i++) {
        g_autofree char *peer = g_strconcat(stem, exts[i], NULL);

        if (g_file_test(peer, G_FILE_TEST_EXISTS))
            return g_steal_pointer(&peer);
    }
    return NULL;
}

/*
 * The error message for @path, or NULL when it is valid.  A fixture with a
 * peer is one of two descriptions of shared regions: both must parse and
 * every region they share must be described alike.
 */
static char *
fixture_error(const char *path)
{
    g_autoptr(ivshare_desc) a = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *peer = peer_of(path);

    if (!load_fixture(path, &a, &error))
        return normalize(error->message);
    if (peer) {
        g_autoptr(ivshare_desc) b = NULL;
        g_autofree char *base_a = g_path_get_basename(path);
        g_autofree char *base_b = g_path_get_basename(peer);
        guint shared = 0;

        g_assert_true(load_fixture(peer, &b, &error));
        g_assert_no_error(error);
        for (guint i = 0; i < a->regions->len; i++) {
            ivshare_region_desc *ra = g_ptr_array_index(a->regions, i);

            for (guint j = 0; j < b->regions->len; j++) {
                ivshare_region_desc *rb = g_ptr_array_index(b->regions, j);

                if (!g_str_equal(ra->name, rb->name))
                    continue;
                shared++;
                if (!ivshare_region_desc_agree(ra, base_a, rb, base_b, &error)) {
                    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_CONFLICT);
                    return normalize(error->message);
                }
                g_assert_cmpuint(ivshare_region_desc_fingerprint(ra), ==,
                                 ivshare_region_desc_fingerprint(rb));
            }
        }
        g_assert_cmpuint(shared, >, 0);
    }
    return NULL;
}

static void
test_invalid(gconstpointer data)
{
    const char *path = data;
    g_autofree char *stem = g_strndup(path, strlen(path) - 4);
    g_autofree char *err_path = g_strconcat(stem, ".err", NULL);
    g_autofree char *message = fixture_error(path);
    g_autofree char *line = NULL;
    g_autofree char *expected = NULL;

    if (!message)
        g_error("%s: expected an error, the description was accepted", path);
    line = g_strconcat(message, "\n", NULL);
    g_assert_null(strchr(message, '\n'));
    if (g_strcmp0(g_getenv("IVSHARE_TEST_REGENERATE"), "1") == 0) {
        g_assert_true(g_file_set_contents(err_path, line, -1, NULL));
    } else {
        g_assert_true(g_file_get_contents(err_path, &expected, NULL, NULL));
        g_assert_cmpstr(line, ==, expected);
    }
    assert_state_dirs_empty();
}

static void
test_valid(gconstpointer data)
{
    const char *path = data;
    g_autoptr(ivshare_desc) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *message = fixture_error(path);

    g_assert_cmpstr(message, ==, NULL);
    g_assert_true(load_fixture(path, &d, &error));
    g_assert_no_error(error);
    if (strstr(path, "no-description")) {
        g_assert_null(d);
        return;
    }
    g_assert_nonnull(d);
    for (guint i = 0; i < d->regions->len; i++) {
        ivshare_region_desc *r = g_ptr_array_index(d->regions, i);
        guint64 size = 0;

        g_assert_true(ivshare_region_desc_size(r, &size, &error));
        g_assert_no_error(error);
        g_assert_true(ivshare_is_power_of_two(size));
        g_assert_cmpuint(size, >=, 1u << 20);
        g_assert_cmpuint(r->line, >, 0);
    }
    assert_state_dirs_empty();
}

static void
assert_layouts_equal(ivshare_region_desc *a, ivshare_region_desc *b)
{
    ivshare_layout la, lb;
    g_autofree ivshare_layout_object *oa = NULL;
    g_autofree ivshare_layout_object *ob = NULL;
    g_autoptr(GError) error = NULL;
    guint64 sa = 0, sb = 0;

    g_assert_true(ivshare_region_desc_layout(a, &la, &oa, &error));
    g_assert_true(ivshare_region_desc_layout(b, &lb, &ob, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(la.name, ==, lb.name);
    g_assert_cmpuint(la.fingerprint, ==, lb.fingerprint);
    g_assert_cmpuint(la.flags, ==, lb.flags);
    g_assert_cmpuint(la.vectors, ==, lb.vectors);
    g_assert_cmpuint(la.n_objects, ==, lb.n_objects);
    g_assert_cmpuint(la.header_size, ==, lb.header_size);
    g_assert_cmpuint(la.used_size, ==, lb.used_size);
    g_assert_cmpmem(oa, la.n_objects * sizeof(*oa), ob, lb.n_objects * sizeof(*ob));
    g_assert_true(ivshare_region_desc_size(a, &sa, &error));
    g_assert_true(ivshare_region_desc_size(b, &sb, &error));
    g_assert_cmpuint(sa, ==, sb);
}

/* NAME.xml and NAME.ini describe the same regions: same fingerprints and layouts. */
static void
test_xml_ini_pair(gconstpointer data)
{
    const char *xml_path = data;
    g_autofree char *stem = g_strndup(xml_path, strlen(xml_path) - 4);
    g_autofree char *ini_path = g_strconcat(stem, ".ini", NULL);
    g_autoptr(ivshare_desc) x = NULL;
    g_autoptr(ivshare_desc) i = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true(load_fixture(xml_path, &x, &error));
    g_assert_no_error(error);
    g_assert_true(load_fixture(ini_path, &i, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(x->regions->len, ==, i->regions->len);
    for (guint k = 0; k < x->regions->len; k++) {
        ivshare_region_desc *a = g_ptr_array_index(x->regions, k);
        ivshare_region_desc *b = g_ptr_array_index(i->regions, k);

        g_assert_true(ivshare_region_desc_agree(a, "xml", b, "ini", &error));
        g_assert_no_error(error);
        g_assert_cmpuint(ivshare_region_desc_fingerprint(a), ==,
                         ivshare_region_desc_fingerprint(b));
        assert_layouts_equal(a, b);
    }
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
add_fixture_tests(void)
{
    g_autoptr(GDir) dir = g_dir_open(datadir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    guint invalid = 0, pairs = 0;
    const char *name;

    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir)))
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_names);

    for (guint k = 0; k < names->len; k++) {
        const char *n = g_ptr_array_index(names, k);
        char *path;
        g_autofree char *test = NULL;

        if ((!g_str_has_suffix(n, ".xml") && !g_str_has_suffix(n, ".ini")) ||
            strstr(n, ".peer."))
            continue;
        path = g_build_filename(datadir, n, NULL);
        if (g_str_has_suffix(n, "-invalid.xml") || g_str_has_suffix(n, "-invalid.ini")) {
            test = g_strdup_printf("/desc/invalid/%s", n);
            g_test_add_data_func_full(test, path, test_invalid, g_free);
            invalid++;
            continue;
        }
        test = g_strdup_printf("/desc/valid/%s", n);
        g_test_add_data_func_full(test, path, test_valid, g_free);
        if (g_str_has_suffix(n, ".xml")) {
            g_autofree char *stem = g_strndup(path, strlen(path) - 4);
            g_autofree char *ini = g_strconcat(stem, ".ini", NULL);

            if (g_file_test(ini, G_FILE_TEST_EXISTS)) {
                g_autofree char *pair = g_strdup_printf("/desc/xml-ini-pair/%s", n);

                g_test_add_data_func_full(pair, g_strdup(path), test_xml_ini_pair, g_free);
                pairs++;
            }
        }
    }
    g_assert_cmpuint(invalid, >=, 45);
    g_assert_cmpuint(pairs, >=, 3);
}

static char *write_conf(const char *text);

/* data/examples: each XML example has its INI twin. */
static void
add_example_tests(void)
{
    g_autofree char *dir_path = g_test_build_filename(G_TEST_DIST, "..", "data", "examples", NULL);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    const char *name;
    guint n = 0;

    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir))) {
        char *path;
        g_autofree char *test = NULL;

        if (!g_str_has_suffix(name, ".xml"))
            continue;
        path = g_build_filename(dir_path, name, NULL);
        test = g_strdup_printf("/desc/example/%s", name);
        g_test_add_data_func_full(test, path, test_xml_ini_pair, g_free);
        n++;
    }
    g_assert_cmpuint(n, >=, 2);
}

/* data/ivshare.conf documents every key: uncommented, each must load. */
static void
test_conf_example(void)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "..", "data", "ivshare.conf", NULL);
    g_autofree char *text = NULL;
    g_autofree char *uncommented_path = NULL;
    g_autoptr(GString) uncommented = g_string_new(NULL);
    g_autoptr(ivshare_conf) as_is = NULL;
    g_autoptr(ivshare_conf) every = NULL;
    g_autoptr(ivshare_conf) defaults = ivshare_conf_load("/nonexistent/ivshare.conf", NULL);
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) lines = NULL;
    guint keys = 0;

    as_is = ivshare_conf_load(path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(as_is->hugepage_dir, ==, defaults->hugepage_dir);
    g_assert_cmpstr(as_is->runtime_dir, ==, defaults->runtime_dir);
    g_assert_cmpstr(as_is->link_dir, ==, defaults->link_dir);

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        if ((*l)[0] == '#' && strchr(*l, '=') && !strchr(*l, ' ')) {
            g_string_append_printf(uncommented, "%s\n", *l + 1);
            keys++;
        } else {
            g_string_append_printf(uncommented, "%s\n", *l);
        }
    }
    g_assert_cmpuint(keys, ==, 10);
    uncommented_path = write_conf(uncommented->str);
    every = ivshare_conf_load(uncommented_path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(every->hugepage_dir, ==, defaults->hugepage_dir);
    g_assert_cmpstr(every->shm_dir, ==, defaults->shm_dir);
    g_assert_cmpstr(every->qemu_user, ==, "libvirt-qemu");
    g_assert_cmpstr(every->qemu_group, ==, "libvirt-qemu");
    g_assert_cmpint(every->on_exit, ==, defaults->on_exit);
    g_assert_cmpuint(every->shutdown_timeout, ==, defaults->shutdown_timeout);
}

/* Unit tests ---------------------------------------------------------------- */

static void
test_parse_size(void)
{
    static const struct {
        const char *text;
        gboolean ok;
        guint64 value;
    } cases[] = {
        { "0", TRUE, 0 },
        { "4096", TRUE, 4096 },
        { "4K", TRUE, 4096 },
        { "2M", TRUE, 2u << 20 },
        { "1G", TRUE, G_GUINT64_CONSTANT(1) << 30 },
        { "3G", TRUE, G_GUINT64_CONSTANT(3) << 30 },
        { "18446744073709551615", TRUE, G_MAXUINT64 },
        { "18446744073709551616", FALSE, 0 },
        { "17179869184G", FALSE, 0 },
        { "17179869183G", TRUE, G_GUINT64_CONSTANT(17179869183) << 30 },
        { "", FALSE, 0 },
        { "-1", FALSE, 0 },
        { "+1", FALSE, 0 },
        { " 1", FALSE, 0 },
        { "1 ", FALSE, 0 },
        { "4k", FALSE, 0 },
        { "4KB", FALSE, 0 },
        { "4KK", FALSE, 0 },
        { "K", FALSE, 0 },
        { "0x10", FALSE, 0 },
        { "1.5M", FALSE, 0 },
        { "1T", FALSE, 0 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint64 v = 12345;

        g_test_message("size '%s'", cases[i].text);
        g_assert_cmpint(ivshare_parse_size(cases[i].text, &v), ==, cases[i].ok);
        g_assert_cmpuint(v, ==, cases[i].ok ? cases[i].value : 12345);
    }
    g_assert_false(ivshare_parse_size(NULL, NULL));
}

static void
test_format_size(void)
{
    static const struct {
        guint64 bytes;
        const char *text;
    } cases[] = {
        { 0, "0" }, { 1, "1" }, { 1536, "1536" }, { 4096, "4K" }, { 3u << 20, "3M" },
        { 2049u << 10, "2049K" }, { G_GUINT64_CONSTANT(1) << 30, "1G" },
        { G_GUINT64_CONSTANT(1) << 40, "1024G" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *s = ivshare_format_size(cases[i].bytes);
        guint64 back = 0;

        g_assert_cmpstr(s, ==, cases[i].text);
        g_assert_true(ivshare_parse_size(s, &back));
        g_assert_cmpuint(back, ==, cases[i].bytes);
    }
}

static void
test_powers_of_two(void)
{
    g_assert_false(ivshare_is_power_of_two(0));
    g_assert_true(ivshare_is_power_of_two(1));
    g_assert_true(ivshare_is_power_of_two(G_GUINT64_CONSTANT(1) << 63));
    g_assert_false(ivshare_is_power_of_two(3));
    g_assert_false(ivshare_is_power_of_two(G_MAXUINT64));
    g_assert_cmpuint(ivshare_next_power_of_two(0), ==, 1);
    g_assert_cmpuint(ivshare_next_power_of_two(1), ==, 1);
    g_assert_cmpuint(ivshare_next_power_of_two(3), ==, 4);
    g_assert_cmpuint(ivshare_next_power_of_two(4096), ==, 4096);
    g_assert_cmpuint(ivshare_next_power_of_two(4097), ==, 8192);
    g_assert_cmpuint(ivshare_next_power_of_two((G_GUINT64_CONSTANT(1) << 63) + 1), ==, 0);
}

static void
test_names(void)
{
    static const char *const good[] = {
        "a", "fastpath", "A-Z_a.z-09", "...", ".hidden", "1234567890123456789012345678901",
    };
    static const char *const bad[] = {
        "", ".", "..", "a/b", "a b", "é", "ring\n", "12345678901234567890123456789012",
        "a:b", "a@b",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
        g_assert_true(ivshare_name_is_valid(good[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(ivshare_name_is_valid(bad[i]));
    g_assert_false(ivshare_name_is_valid(NULL));
}

static void
test_enums(void)
{
    for (int i = 0; i < IVSHARE_OBJ_LAST; i++)
        g_assert_cmpint(ivshare_obj_kind_from_string(ivshare_obj_kind_to_string(i)), ==, i);
    for (int i = 0; i < IVSHARE_BACKING_LAST; i++)
        g_assert_cmpint(ivshare_backing_from_string(ivshare_backing_to_string(i)), ==, i);
    for (int i = 0; i < IVSHARE_EXIT_LAST; i++)
        g_assert_cmpint(ivshare_exit_policy_from_string(ivshare_exit_policy_to_string(i)), ==, i);
    g_assert_cmpstr(ivshare_obj_kind_to_string(IVSHARE_OBJ_RING), ==, "ring");
    g_assert_cmpstr(ivshare_backing_to_string(IVSHARE_BACKING_SHM), ==, "shm");
    g_assert_cmpstr(ivshare_exit_policy_to_string(IVSHARE_EXIT_SHUTDOWN), ==, "shutdown");
    g_assert_null(ivshare_obj_kind_to_string(IVSHARE_OBJ_LAST));
    g_assert_null(ivshare_backing_to_string((ivshare_backing)-1));
    g_assert_cmpint(ivshare_obj_kind_from_string("queue"), ==, -1);
    g_assert_cmpint(ivshare_backing_from_string(NULL), ==, -1);
    g_assert_cmpint(ivshare_exit_policy_from_string("Destroy"), ==, -1);
}

/* The SPEC's example region, built in code. */
static ivshare_region_desc *
spec_region(void)
{
    ivshare_region_desc *r = ivshare_region_desc_new("fastpath");
    ivshare_obj_desc *o;

    r->host_app = g_strdup("pktgen");
    r->doorbell = TRUE;
    r->vectors = 2;
    o = ivshare_obj_desc_new(IVSHARE_OBJ_RING, "to-guest");
    o->slot_size = 256;
    o->slots = 4096;
    g_ptr_array_add(r->objects, o);
    o = ivshare_obj_desc_new(IVSHARE_OBJ_RING, "to-host");
    o->slot_size = 256;
    o->slots = 4096;
    g_ptr_array_add(r->objects, o);
    o = ivshare_obj_desc_new(IVSHARE_OBJ_POOL, "bufs");
    o->buffer_size = 2048;
    o->buffers = 8192;
    g_ptr_array_add(r->objects, o);
    o = ivshare_obj_desc_new(IVSHARE_OBJ_MEMZONE, "stats");
    o->size = 4096;
    g_ptr_array_add(r->objects, o);
    return r;
}

static ivshare_obj_desc *
obj(ivshare_region_desc *r, guint i)
{
    return g_ptr_array_index(r->objects, i);
}

static void
test_fingerprint(void)
{
    g_autoptr(ivshare_region_desc) a = spec_region();
    g_autoptr(ivshare_region_desc) b = spec_region();
    g_autoptr(ivshare_desc) parsed = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(datadir, "spec.xml", NULL);
    guint64 fp = ivshare_region_desc_fingerprint(a);

    g_assert_cmpuint(fp, ==, ivshare_region_desc_fingerprint(b));
    g_assert_true(ivshare_desc_load_file(path, &parsed, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(fp, ==,
                     ivshare_region_desc_fingerprint(g_ptr_array_index(parsed->regions, 0)));

    /* what does not change the bytes of the region does not count */
    g_free(b->host_app);
    b->host_app = g_strdup("other");
    b->on_exit = IVSHARE_EXIT_SHUTDOWN;
    b->shutdown_timeout = 5;
    b->numa_node = 1;
    obj(b, 0)->line = 99;
    g_assert_cmpuint(fp, ==, ivshare_region_desc_fingerprint(b));

    /* every field that does counts */
#define CHANGED(stmt)                                                         \
    do {                                                                      \
        g_autoptr(ivshare_region_desc) c = spec_region();                     \
        stmt;                                                                 \
        g_assert_cmpuint(fp, !=, ivshare_region_desc_fingerprint(c));         \
    } while (0)
    CHANGED(g_free(c->name); c->name = g_strdup("fastpatH"));
    CHANGED(c->size = 64u << 20);
    CHANGED(c->backing = IVSHARE_BACKING_SHM);
    CHANGED(c->page_size = 1u << 30);
    CHANGED(c->doorbell = FALSE);
    CHANGED(c->vectors = 3);
    CHANGED(obj(c, 0)->slots = 2048);
    CHANGED(obj(c, 0)->slot_size = 128);
    CHANGED(obj(c, 1)->multi_producer = TRUE);
    CHANGED(obj(c, 1)->multi_consumer = TRUE);
    CHANGED(obj(c, 2)->buffers = 4096);
    CHANGED(obj(c, 2)->buffer_size = 4096);
    CHANGED(obj(c, 3)->size = 8192);
    CHANGED(obj(c, 3)->align = 4096);
    CHANGED(obj(c, 3)->kind = IVSHARE_OBJ_RING);
    CHANGED(g_free(obj(c, 3)->name); obj(c, 3)->name = g_strdup("stat"));
    CHANGED(g_ptr_array_remove_index(c->objects, 3));
    CHANGED(g_ptr_array_add(c->objects, ivshare_obj_desc_new(IVSHARE_OBJ_MEMZONE, "x")));
    /* order matters: it is the order of the objects in the region */
    CHANGED(gpointer t = c->objects->pdata[0]; c->objects->pdata[0] = c->objects->pdata[1];
            c->objects->pdata[1] = t);
#undef CHANGED
}

static void
test_agree(void)
{
    g_autoptr(ivshare_region_desc) a = spec_region();
    g_autoptr(GError) error = NULL;
    static const char *const expected[] = {
        "region 'fastpath' is described differently: attribute 'host-app' is 'pktgen' in A and 'other' in B",
        "region 'fastpath' is described differently: attribute 'size' is 'auto' in A and '64M' in B",
        "region 'fastpath' is described differently: attribute 'numa-node' is 'none' in A and '1' in B",
        "region 'fastpath' is described differently: attribute 'on-host-app-exit' is 'destroy' in A and 'shutdown' in B",
        "region 'fastpath' is described differently: attribute 'shutdown-timeout' is '30' in A and '60' in B",
        "region 'fastpath' is described differently: ring 'to-host' attribute 'consumers' is 'single' in A and 'multi' in B",
        "region 'fastpath' is described differently: object 4 is memzone 'stats' in A and pool 'stats' in B",
        "region 'fastpath' is described differently: memzone 'extra' is in B but not in A",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
        g_autoptr(ivshare_region_desc) b = spec_region();

        switch (i) {
        case 0: g_free(b->host_app); b->host_app = g_strdup("other"); break;
        case 1: b->size = 64u << 20; break;
        case 2: b->numa_node = 1; break;
        case 3: b->on_exit = IVSHARE_EXIT_SHUTDOWN; break;
        case 4: b->shutdown_timeout = 60; break;
        case 5: obj(b, 1)->multi_consumer = TRUE; break;
        case 6: obj(b, 3)->kind = IVSHARE_OBJ_POOL; break;
        case 7:
            g_ptr_array_add(b->objects, ivshare_obj_desc_new(IVSHARE_OBJ_MEMZONE, "extra"));
            break;
        }
        g_assert_false(ivshare_region_desc_agree(a, "A", b, "B", &error));
        g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_CONFLICT);
        g_assert_cmpstr(error->message, ==, expected[i]);
        g_clear_error(&error);
        /* symmetric, naming the sources the other way round */
        g_assert_false(ivshare_region_desc_agree(b, "B", a, "A", &error));
        g_clear_error(&error);
    }
    g_assert_true(ivshare_region_desc_agree(a, "A", a, "A", &error));
    g_assert_no_error(error);
}

static void
test_size(void)
{
    g_autoptr(ivshare_region_desc) r = ivshare_region_desc_new("small");
    g_autoptr(GError) error = NULL;
    ivshare_obj_desc *mz = ivshare_obj_desc_new(IVSHARE_OBJ_MEMZONE, "m");
    ivshare_layout layout;
    g_autofree ivshare_layout_object *objs = NULL;
    guint64 size = 0;

    r->host_app = g_strdup("app");
    mz->size = 1;
    g_ptr_array_add(r->objects, mz);

    g_assert_true(ivshare_region_desc_size(r, &size, &error));
    g_assert_cmpuint(size, ==, 2u << 20);          /* one 2M hugepage */
    r->backing = IVSHARE_BACKING_SHM;
    g_assert_true(ivshare_region_desc_size(r, &size, &error));
    g_assert_cmpuint(size, ==, 1u << 20);          /* at least 1M */
    r->backing = IVSHARE_BACKING_HUGEPAGES;
    r->page_size = 1u << 30;
    g_assert_true(ivshare_region_desc_size(r, &size, &error));
    g_assert_cmpuint(size, ==, 1u << 30);          /* one 1G hugepage */
    r->page_size = 2u << 20;

    mz->size = (3u << 20) + 1;                      /* needs more than 3M: 4M */
    g_assert_true(ivshare_region_desc_size(r, &size, &error));
    g_assert_cmpuint(size, ==, 4u << 20);
    g_assert_true(ivshare_region_desc_layout(r, &layout, &objs, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(layout.n_objects, ==, 1);
    g_assert_cmpuint(layout.used_size, >, mz->size);
    g_assert_cmpuint(layout.used_size, <=, size);
    g_assert_cmpuint(objs[0].offset, >=, layout.header_size);
    g_assert_cmpuint(objs[0].offset % 64, ==, 0);
    g_assert_cmpuint(layout.fingerprint, ==, ivshare_region_desc_fingerprint(r));
    g_assert_cmpuint(layout.generation, ==, 0);

    r->size = 64u << 20;                            /* explicit wins */
    g_assert_true(ivshare_region_desc_size(r, &size, &error));
    g_assert_cmpuint(size, ==, 64u << 20);
}

static void
test_layout_spec(void)
{
    g_autoptr(ivshare_region_desc) r = spec_region();
    g_autoptr(GError) error = NULL;
    g_autofree ivshare_layout_object *objs = NULL;
    ivshare_layout layout;
    guint64 size = 0;

    ivshare_region_desc_finish(r);
    g_assert_true(ivshare_region_desc_layout(r, &layout, &objs, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(layout.name, ==, "fastpath");
    g_assert_cmpuint(layout.flags, ==, IVSHARE_REGION_DOORBELL);
    g_assert_cmpuint(layout.vectors, ==, 2);
    g_assert_cmpuint(layout.n_objects, ==, 4);
    g_assert_cmpstr(objs[0].name, ==, "to-guest");
    g_assert_cmpuint(objs[0].type, ==, IVSHARE_OBJECT_RING);
    g_assert_cmpuint(objs[0].param0, ==, 256);
    g_assert_cmpuint(objs[0].param1, ==, 4096);
    g_assert_cmpuint(objs[2].type, ==, IVSHARE_OBJECT_POOL);
    g_assert_cmpuint(objs[2].param0, ==, 2048);
    g_assert_cmpuint(objs[2].param1, ==, 8192);
    g_assert_cmpuint(objs[3].type, ==, IVSHARE_OBJECT_MEMZONE);
    for (guint i = 1; i < 4; i++)
        g_assert_cmpuint(objs[i].offset, >=, objs[i - 1].offset + objs[i - 1].size);
    g_assert_cmpuint(layout.used_size, ==, objs[3].offset + objs[3].size);
    g_assert_true(ivshare_region_desc_size(r, &size, &error));
    g_assert_cmpuint(size, ==, ivshare_next_power_of_two(layout.used_size));
}

/* A model built in code goes through the same checks as a parsed one. */
static void
test_check_model(void)
{
    g_autoptr(ivshare_desc) d = ivshare_desc_new(NULL, "code");
    g_autoptr(GError) error = NULL;
    ivshare_region_desc *r = spec_region();

    g_ptr_array_add(d->regions, r);
    g_assert_true(ivshare_desc_check(d, &error));
    g_assert_no_error(error);

    r->doorbell = FALSE;
    g_assert_false(ivshare_desc_check(d, &error));
    g_assert_cmpstr(error->message, ==,
                    "code: region 'fastpath': vectors is only valid with doorbell='yes'");
    g_clear_error(&error);
    r->vectors = 0;
    obj(r, 2)->buffers = 0;
    obj(r, 2)->line = 7;
    g_assert_false(ivshare_desc_check(d, &error));
    g_assert_cmpstr(error->message, ==,
                    "code:7: region 'fastpath': pool 'bufs': buffers must be between 1 and 268435456, not 0");
    g_clear_error(&error);
    obj(r, 2)->buffers = 8;
    g_free(r->host_app);
    r->host_app = NULL;
    g_assert_false(ivshare_desc_check(d, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
    g_clear_error(&error);
    r->host_app = g_strdup("pktgen");
    g_assert_true(ivshare_desc_check(d, &error));
    g_ptr_array_set_size(d->regions, 0);
    g_assert_false(ivshare_desc_check(d, &error));
    g_assert_cmpstr(error->message, ==, "code: the description has no regions");
}

static void
test_huge_input(void)
{
    gsize len = IVSHARE_DESC_MAX_BYTES + 1;
    g_autofree char *big = g_malloc(len);
    g_autoptr(ivshare_desc) d = NULL;
    g_autoptr(GError) error = NULL;

    memset(big, ' ', len);
    g_assert_false(ivshare_desc_from_xml(big, len, "big.xml", &d, &error));
    g_assert_cmpstr(error->message, ==,
                    "big.xml: the document is larger than 16M; it is not a description");
    g_clear_error(&error);
    g_assert_false(ivshare_desc_from_ini(big, len, "big.ini", NULL, &d, &error));
    g_assert_cmpstr(error->message, ==,
                    "big.ini: the document is larger than 16M; it is not a description");
    g_assert_null(d);
}

static void
test_for_domain(void)
{
    static const char *plain = "<domain type='qemu'><name>ivs-ini-only</name></domain>";
    g_autoptr(ivshare_desc) d = NULL;
    g_autoptr(GError) error = NULL;

    /* described in <domains dir>/ivs-ini-only.ini */
    g_assert_true(ivshare_desc_for_domain("ivs-ini-only", plain, &d, &error));
    g_assert_no_error(error);
    g_assert_nonnull(d);
    g_assert_cmpstr(d->domain, ==, "ivs-ini-only");
    g_assert_cmpuint(d->regions->len, ==, 1);
    g_clear_pointer(&d, ivshare_desc_free);

    /* not described at all */
    g_assert_true(ivshare_desc_for_domain("nobody", "<domain><name>nobody</name></domain>",
                                          &d, &error));
    g_assert_no_error(error);
    g_assert_null(d);

    /* libvirt accepts names ivshare would not give a region */
    g_assert_true(ivshare_desc_for_domain("a domain name longer than thirty-one characters",
                                          NULL, &d, &error));
    g_assert_no_error(error);
    g_assert_null(d);

    g_assert_false(ivshare_desc_for_domain("../etc", NULL, &d, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
    assert_state_dirs_empty();
}

static void
test_load_file(void)
{
    static const char *const files[] = { "spec.xml", "spec.ini", "no-description.xml" };
    g_autoptr(GError) error = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        g_autofree char *path = g_build_filename(datadir, files[i], NULL);
        g_autoptr(ivshare_desc) d = NULL;

        g_assert_true(ivshare_desc_load_file(path, &d, &error));
        g_assert_no_error(error);
        if (i == 2) {
            g_assert_null(d);
            continue;
        }
        g_assert_cmpstr(d->source, ==, path);
        g_assert_cmpstr(d->domain, ==, i == 0 ? "vm1" : "spec");
        g_assert_cmpuint(d->regions->len, ==, 1);
    }
    {
        g_autoptr(ivshare_desc) d = NULL;

        g_assert_false(ivshare_desc_load_file("/nonexistent/x.xml", &d, &error));
        g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    }
}

/* ivshare.conf ---------------------------------------------------------------- */

static char *
write_conf(const char *text)
{
    char *path = g_build_filename(tmpdir, "test.conf", NULL);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static void
test_conf_defaults(void)
{
    g_autoptr(ivshare_conf) c = ivshare_conf_load("/nonexistent/ivshare.conf", NULL);
    g_autofree char *rp = NULL;
    g_autofree char *sp = NULL;
    g_autofree char *lp = NULL;

    g_assert_nonnull(c);
    g_assert_cmpstr(c->path, ==, "/nonexistent/ivshare.conf");
    g_assert_cmpstr(c->hugepage_dir, ==, "/dev/hugepages/ivshare");
    g_assert_cmpstr(c->shm_dir, ==, "/dev/shm/ivshare");
    g_assert_cmpstr(c->runtime_dir, ==, "/run/ivshare");
    g_assert_cmpstr(c->link_dir, ==, "/dev/shm");
    g_assert_cmpstr(c->domains_dir, ==, SYSCONFDIR "/ivshare/domains");
    g_assert_cmpstr(c->schema_dir, ==, g_getenv("IVSHARE_SCHEMA_DIR"));
    g_assert_null(c->qemu_user);
    g_assert_null(c->qemu_group);
    g_assert_cmpint(c->on_exit, ==, IVSHARE_EXIT_DESTROY);
    g_assert_cmpuint(c->shutdown_timeout, ==, 30);

    rp = ivshare_conf_region_path(c, "fastpath", IVSHARE_BACKING_HUGEPAGES);
    sp = ivshare_conf_region_path(c, "fastpath", IVSHARE_BACKING_SHM);
    lp = ivshare_conf_link_path(c, "fastpath");
    g_assert_cmpstr(rp, ==, "/dev/hugepages/ivshare/fastpath");
    g_assert_cmpstr(sp, ==, "/dev/shm/ivshare/fastpath");
    g_assert_cmpstr(lp, ==, "/dev/shm/ivshare-fastpath");
}

static void
test_conf_keys(void)
{
    g_autofree char *path = write_conf(
        "# every key\n[paths]\nhugepage-dir=/h\nshm-dir=/s\nruntime-dir=/r\n"
        "domains-dir=/d\nlink-dir=/l\nschema-dir=/x\n"
        "[qemu]\nuser=qemu\ngroup=kvm\n"
        "[daemon]\non-host-app-exit=shutdown\nshutdown-timeout=90\n");
    g_autofree char *saved = g_strdup(g_getenv("IVSHARE_SCHEMA_DIR"));
    g_autoptr(ivshare_conf) c = NULL;
    g_autoptr(ivshare_conf) env = NULL;
    g_autoptr(GError) error = NULL;

    g_unsetenv("IVSHARE_SCHEMA_DIR");
    c = ivshare_conf_load(path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(c->hugepage_dir, ==, "/h");
    g_assert_cmpstr(c->shm_dir, ==, "/s");
    g_assert_cmpstr(c->runtime_dir, ==, "/r");
    g_assert_cmpstr(c->domains_dir, ==, "/d");
    g_assert_cmpstr(c->link_dir, ==, "/l");
    g_assert_cmpstr(c->schema_dir, ==, "/x");
    g_assert_cmpstr(c->qemu_user, ==, "qemu");
    g_assert_cmpstr(c->qemu_group, ==, "kvm");
    g_assert_cmpint(c->on_exit, ==, IVSHARE_EXIT_SHUTDOWN);
    g_assert_cmpuint(c->shutdown_timeout, ==, 90);

    /* the environment wins over the file; IVSHARE_CONF names the file */
    g_setenv("IVSHARE_SCHEMA_DIR", saved, TRUE);
    g_setenv("IVSHARE_CONF", path, TRUE);
    env = ivshare_conf_load(NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(env->path, ==, path);
    g_assert_cmpstr(env->schema_dir, ==, saved);
    g_assert_cmpstr(env->hugepage_dir, ==, "/h");
    g_setenv("IVSHARE_CONF", g_getenv("IVSHARE_TEST_CONF"), TRUE);
}

static void
test_conf_invalid(void)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        { "[path]\nhugepage-dir=/h\n",
          "CONF: unknown group [path]; expected [paths], [qemu] or [daemon]" },
        { "[paths]\nhugepages=/h\n", "CONF: unknown key 'hugepages' in group [paths]" },
        { "[qemu]\nuser=qemu\nhugepage-dir=/h\n", "CONF: unknown key 'hugepage-dir' in group [qemu]" },
        { "[paths]\nhugepage-dir=relative/dir\n",
          "CONF: [paths] hugepage-dir must be an absolute path, not 'relative/dir'" },
        { "[qemu]\nuser=\n", "CONF: [qemu] user must be a user or group name, not ''" },
        { "[daemon]\non-host-app-exit=kill\n",
          "CONF: [daemon] on-host-app-exit must be 'destroy' or 'shutdown', not 'kill'" },
        { "[daemon]\nshutdown-timeout=0\n",
          "CONF: [daemon] shutdown-timeout must be a number of seconds between 1 and 3600, not '0'" },
        { "[daemon]\nshutdown-timeout=10s\n",
          "CONF: [daemon] shutdown-timeout must be a number of seconds between 1 and 3600, not '10s'" },
        { "[daemon]\nshutdown-timeout=1K\n",
          "CONF: [daemon] shutdown-timeout must be a number of seconds between 1 and 3600, not '1K'" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = write_conf(cases[i].text);
        g_autoptr(GError) error = NULL;
        g_autoptr(ivshare_conf) c = ivshare_conf_load(path, &error);
        g_auto(GStrv) parts = NULL;
        g_autofree char *message = NULL;

        g_assert_null(c);
        g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
        parts = g_strsplit(error->message, path, -1);
        message = g_strjoinv("CONF", parts);
        g_assert_cmpstr(message, ==, cases[i].message);
    }
    {
        g_autofree char *path = write_conf("not an ini file\n");
        g_autoptr(GError) error = NULL;
        g_autoptr(ivshare_conf) c = ivshare_conf_load(path, &error);

        g_assert_null(c);
        g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
        g_assert_true(g_str_has_prefix(error->message, path));
    }
}

static void
test_conf_qemu_ids(void)
{
    g_autoptr(ivshare_conf) c = ivshare_conf_load("/nonexistent/ivshare.conf", NULL);
    g_autoptr(GError) error = NULL;
    uid_t uid = 1;
    gid_t gid = 1;

    c->qemu_user = g_strdup("root");
    c->qemu_group = g_strdup("+0");
    g_assert_true(ivshare_conf_qemu_ids(c, &uid, &gid, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(uid, ==, 0);
    g_assert_cmpuint(gid, ==, 0);

    g_free(c->qemu_user);
    c->qemu_user = g_strdup("+4242");
    g_assert_true(ivshare_conf_qemu_ids(c, &uid, &gid, &error));
    g_assert_cmpuint(uid, ==, 4242);

    g_free(c->qemu_user);
    c->qemu_user = g_strdup("ivshare-no-such-user");
    g_assert_false(ivshare_conf_qemu_ids(c, &uid, &gid, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND);
    g_assert_cmpstr(error->message, ==,
                    "the QEMU user 'ivshare-no-such-user' does not exist; set [qemu] user in /nonexistent/ivshare.conf");
}

/* A conf whose every directory is in a fresh temporary directory. */
static void
setup_environment(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *conf = NULL;
    g_autofree char *text = NULL;
    g_autofree char *domains = g_build_filename(datadir, "domains", NULL);

    tmpdir = g_dir_make_tmp("ivshare-test-desc-XXXXXX", &error);
    g_assert_no_error(error);
    for (gsize i = 0; i < G_N_ELEMENTS(state_dirs); i++) {
        g_autofree char *path = g_build_filename(tmpdir, state_dirs[i], NULL);

        g_assert_cmpint(g_mkdir(path, 0755), ==, 0);
    }
    text = g_strdup_printf("[paths]\nhugepage-dir=%1$s/hugepages\nshm-dir=%1$s/shm\n"
                           "runtime-dir=%1$s/run\nlink-dir=%1$s/link\ndomains-dir=%2$s\n",
                           tmpdir, domains);
    conf = g_build_filename(tmpdir, "ivshare.conf", NULL);
    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_setenv("IVSHARE_CONF", conf, TRUE);
    g_setenv("IVSHARE_TEST_CONF", conf, TRUE);
    g_unsetenv("IVSHARE_RUNTIME_DIR");
}

static void
remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

int
main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    datadir = g_test_build_filename(G_TEST_DIST, "data", "desc", NULL);
    if (!g_getenv("IVSHARE_SCHEMA_DIR")) {
        g_autofree char *schemas = g_test_build_filename(G_TEST_DIST, "..", "schemas", NULL);

        g_setenv("IVSHARE_SCHEMA_DIR", schemas, TRUE);
    }
    setup_environment();

    g_test_add_func("/desc/util/parse-size", test_parse_size);
    g_test_add_func("/desc/util/format-size", test_format_size);
    g_test_add_func("/desc/util/powers-of-two", test_powers_of_two);
    g_test_add_func("/desc/util/names", test_names);
    g_test_add_func("/desc/model/enums", test_enums);
    g_test_add_func("/desc/model/fingerprint", test_fingerprint);
    g_test_add_func("/desc/model/agree", test_agree);
    g_test_add_func("/desc/model/size", test_size);
    g_test_add_func("/desc/model/layout", test_layout_spec);
    g_test_add_func("/desc/model/check", test_check_model);
    g_test_add_func("/desc/parse/huge-input", test_huge_input);
    g_test_add_func("/desc/parse/for-domain", test_for_domain);
    g_test_add_func("/desc/parse/load-file", test_load_file);
    g_test_add_func("/desc/conf/defaults", test_conf_defaults);
    g_test_add_func("/desc/conf/keys", test_conf_keys);
    g_test_add_func("/desc/conf/invalid", test_conf_invalid);
    g_test_add_func("/desc/conf/qemu-ids", test_conf_qemu_ids);
    g_test_add_func("/desc/conf/example", test_conf_example);
    add_fixture_tests();
    add_example_tests();

    rc = g_test_run();
    remove_tree(tmpdir);
    g_free(tmpdir);
    g_free(datadir);
    return rc;
}
