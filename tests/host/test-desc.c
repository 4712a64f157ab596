/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-desc.c: descriptions in XML and INI against the fixtures of tests/data/desc. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "conf.h"
#include "desc.h"
#include "fixture.h"

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

/*
 * Random damage to every valid fixture never crashes a parser, and a
 * rejected description always gets one line that names its source.
 */
static void
test_mutations(void)
{
    g_autoptr(GDir) dir = g_dir_open(datadir, 0, NULL);
    const char *name;
    guint rounds = g_test_slow() ? 2000 : 200;
    guint rejected = 0, total = 0;

    while ((name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(datadir, name, NULL);
        g_autofree char *orig = NULL;
        gboolean ini = g_str_has_suffix(name, ".ini");
        gsize len = 0;

        if (strstr(name, "-invalid") || (!ini && !g_str_has_suffix(name, ".xml")))
            continue;
        g_assert_true(g_file_get_contents(path, &orig, &len, NULL));
        for (guint i = 0; i < rounds; i++) {
            g_autofree char *buf = g_memdup2(orig, len + 1);
            g_autoptr(ivshare_desc) d = NULL;
            g_autoptr(GError) error = NULL;
            guint flips = g_test_rand_int_range(1, 4);
            gsize n = len;
            gboolean ok;

            for (guint f = 0; f < flips; f++) {
                gsize at = g_test_rand_int_range(0, (gint32)len);
                static const char interesting[] = "<>/=\"'&[]# \n0-.9KMGyes";

                if (g_test_rand_bit())
                    buf[at] = interesting[g_test_rand_int_range(0, sizeof(interesting) - 1)];
                else
                    buf[at] = (char)g_test_rand_int_range(1, 256);
            }
            if (g_test_rand_int_range(0, 8) == 0)
                n = g_test_rand_int_range(0, (gint32)len);     /* truncated */
            ok = ini ? ivshare_desc_from_ini(buf, n, name, NULL, &d, &error)
                     : ivshare_desc_from_xml(buf, n, name, &d, &error);
            total++;
            if (ok) {
                g_assert_no_error(error);
                continue;
            }
            rejected++;
            g_assert_nonnull(error);
            g_assert_null(d);
            if (strchr(error->message, '\n') || !g_str_has_prefix(error->message, name))
                g_error("%s, mutation %u: not one line naming the source: %s", name, i,
                        error->message);
        }
    }
    g_test_message("%u of %u mutations rejected", rejected, total);
    g_assert_cmpuint(rejected, >, total / 4);
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
        g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND);
        g_clear_error(&error);
        /* not a regular file, and endless: read no further than the limit */
        g_assert_false(ivshare_desc_load_file("/dev/zero", &d, &error));
        g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
        g_assert_cmpstr(error->message, ==,
                        "/dev/zero: the file is larger than 16M; it is not a description");
        g_assert_null(d);
    }
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

    g_test_add_func("/desc/for-domain", test_for_domain);
    g_test_add_func("/desc/load-file", test_load_file);
    g_test_add_func("/desc/mutations", test_mutations);
    add_fixture_tests();
    add_example_tests();

    rc = g_test_run();
    test_remove_tree(tmpdir);
    g_free(tmpdir);
    g_free(datadir);
    return rc;
}
