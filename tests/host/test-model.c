/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-model.c: sizes, names, enums, fingerprints, agreement, sizes and checks of the model. */
#include <string.h>

#include "desc.h"

static char *datadir;         /* tests/data/desc in the source tree */

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
    /* every default: no settings file is read */
    g_setenv("IVSHARE_CONF", "/nonexistent/ivshare.conf", TRUE);

    g_test_add_func("/model/util/parse-size", test_parse_size);
    g_test_add_func("/model/util/format-size", test_format_size);
    g_test_add_func("/model/util/powers-of-two", test_powers_of_two);
    g_test_add_func("/model/util/names", test_names);
    g_test_add_func("/model/enums", test_enums);
    g_test_add_func("/model/fingerprint", test_fingerprint);
    g_test_add_func("/model/agree", test_agree);
    g_test_add_func("/model/size", test_size);
    g_test_add_func("/model/layout", test_layout_spec);
    g_test_add_func("/model/check", test_check_model);
    g_test_add_func("/model/huge-input", test_huge_input);

    rc = g_test_run();
    g_free(datadir);
    return rc;
}
