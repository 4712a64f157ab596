/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-guest.c: guest discovery over a fake /sys/bus/pci/devices tree. */
#include <errno.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

typedef struct {
    char *root;
} fixture;

static char *device(fixture *f, const char *slot, const char *vendor, const char *dev)
{
    char *dir = g_build_filename(f->root, slot, NULL);
    g_autofree char *v = g_build_filename(dir, "vendor", NULL);
    g_autofree char *d = g_build_filename(dir, "device", NULL);
    g_autofree char *e = g_build_filename(dir, "enable", NULL);
    g_autofree char *res = g_build_filename(dir, "resource", NULL);
    g_autofree char *bar0 = g_build_filename(dir, "resource0", NULL);
    char zero[256] = { 0 };

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(v, vendor, -1, NULL));
    g_assert_true(g_file_set_contents(d, dev, -1, NULL));
    g_assert_true(g_file_set_contents(e, "0\n", -1, NULL));
    g_assert_true(g_file_set_contents(res,
        "0x00000000fe800000 0x00000000fe8000ff 0x0000000000040200\n"
        "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
        "0x0000000100000000 0x00000001001fffff 0x000000000014220c\n", -1, NULL));
    g_assert_true(g_file_set_contents(bar0, zero, sizeof(zero), NULL));
    return dir;
}

static void fixture_setup(fixture *f, gconstpointer data)
{
    g_autofree char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL, *d5 = NULL;
    g_autofree char *p = NULL;

    f->root = g_dir_make_tmp("ivshare-sysfs-XXXXXX", NULL);
    g_assert_nonnull(f->root);
    /* a device that holds garbage, sorted first */
    d1 = device(f, "0000:00:02.0", "0x1af4\n", "0x1110\n");
    p = g_build_filename(d1, "resource2", NULL);
    g_assert_true(g_file_set_contents(p, "this is not a region, just bytes....................."
                                      "..................................................................."
                                      "...................................................................",
                                      -1, NULL));
    g_clear_pointer(&p, g_free);
    /* another region */
    d2 = device(f, "0000:00:03.0", "0x1af4\n", "0x1110\n");
    p = g_build_filename(d2, "resource2", NULL);
    test_region_write_file(p, "other");
    g_clear_pointer(&p, g_free);
    /* the region we look for */
    d3 = device(f, "0000:00:04.0", "0x1af4\n", "0x1110\n");
    p = g_build_filename(d3, "resource2", NULL);
    test_region_write_file(p, "fastpath");
    g_clear_pointer(&p, g_free);
    /* a region behind a device that is not ivshmem */
    d4 = device(f, "0000:00:05.0", "0x8086\n", "0x1110\n");
    p = g_build_filename(d4, "resource2", NULL);
    test_region_write_file(p, "notivshmem");
    g_clear_pointer(&p, g_free);
    /* ivshmem without BAR2 */
    d5 = device(f, "0000:00:06.0", "0x1af4\n", "0x1110\n");
    g_setenv("IVSHARE_SYSFS_PCI", f->root, TRUE);
}

static void fixture_teardown(fixture *f, gconstpointer data)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->root);

    g_assert_cmpint(system(cmd), ==, 0);
    g_free(f->root);
    g_unsetenv("IVSHARE_SYSFS_PCI");
}

static void test_discover(fixture *f, gconstpointer data)
{
    ivshare_region *r = NULL;
    ivshare_ring *q;
    g_autofree char *enable = g_build_filename(f->root, "0000:00:04.0", "enable", NULL);
    g_autofree char *bar0 = g_build_filename(f->root, "0000:00:04.0", "resource0", NULL);
    g_autofree char *text = NULL;
    gsize len;
    guint32 doorbell;

    g_assert_cmpint(ivshare_guest_open("fastpath", &r), ==, 0);
    g_assert_cmpstr(ivshare_region_name(r), ==, "fastpath");
    g_assert_cmpint(ivshare_ring_lookup(r, TEST_RING_SPSC, &q), ==, 0);
    g_assert_cmpint(ivshare_ring_enqueue(q, "hi", 2), ==, 0);
    g_assert_cmpuint(ivshare_ring_count(q), ==, 1);
    {
        /* guest rings fence for write-combining mappings: same results */
        char buf[64];
        size_t n;
        g_assert_cmpint(ivshare_ring_dequeue(q, buf, sizeof(buf), &n), ==, 0);
        g_assert_cmpmem(buf, n, "hi", 2);
        g_assert_cmpint(ivshare_ring_dequeue(q, buf, sizeof(buf), &n), ==, -EAGAIN);
    }

    /* the device was enabled, and BAR0 takes doorbells */
    g_assert_true(g_file_get_contents(enable, &text, NULL, NULL));
    g_assert_cmpint(text[0], ==, '1');
    g_assert_cmpint(ivshare_doorbell_ring(r, 3, 1), ==, 0);
    g_assert_cmpint(ivshare_doorbell_ring(r, 70000, 1), ==, -EINVAL);
    g_free(text);
    g_assert_true(g_file_get_contents(bar0, &text, &len, NULL));
    g_assert_cmpuint(len, ==, 256);
    memcpy(&doorbell, text + 12, 4);
    g_assert_cmphex(doorbell, ==, (3u << 16) | 1);
    ivshare_close(r);

    g_assert_cmpint(ivshare_guest_open("other", &r), ==, 0);
    g_assert_cmpstr(ivshare_region_name(r), ==, "other");
    ivshare_close(r);
}

static void test_not_found(fixture *f, gconstpointer data)
{
    ivshare_region *r = NULL;

    g_assert_cmpint(ivshare_guest_open("missing", &r), ==, -ENOENT);
    g_assert_cmpint(ivshare_guest_open("notivshmem", &r), ==, -ENOENT);
    g_assert_cmpint(ivshare_guest_open("bad/name", &r), ==, -EINVAL);
    g_setenv("IVSHARE_SYSFS_PCI", "/nonexistent/sysfs", TRUE);
    g_assert_cmpint(ivshare_guest_open("fastpath", &r), ==, -ENOENT);
}

static void test_not_ready(fixture *f, gconstpointer data)
{
    g_autofree char *p = g_build_filename(f->root, "0000:00:04.0", "resource2", NULL);
    g_autofree char *contents = NULL;
    struct ivshare_header *h;
    ivshare_region *r = NULL;
    gsize len;

    /* the region is being rebuilt: ready flag down */
    g_assert_true(g_file_get_contents(p, &contents, &len, NULL));
    h = (struct ivshare_header *)contents;
    h->ready = 0;
    g_assert_true(g_file_set_contents(p, contents, len, NULL));
    g_assert_cmpint(ivshare_guest_open("fastpath", &r), ==, -IVSHARE_ENOTREADY);
    g_assert_cmpint(ivshare_guest_open("other", &r), ==, 0);
    ivshare_close(r);
}

/* A BAR whose file has no size: the size comes from the "resource" file. */
static void test_bar_size_fallback(fixture *f, gconstpointer data)
{
    g_autofree char *dir = NULL, *bar2 = NULL, *res = NULL;
    ivshare_region *r = NULL;

    if (!g_file_test("/dev/zero", G_FILE_TEST_EXISTS)) {
        g_test_skip("no /dev/zero to stand in for a BAR without a size");
        return;
    }
    dir = device(f, "0000:00:07.0", "0x1af4\n", "0x1110\n");
    bar2 = g_build_filename(dir, "resource2", NULL);
    g_assert_cmpint(symlink("/dev/zero", bar2), ==, 0);
    /* mapped with the 2 MiB of line 3: all zeros, a region not built yet */
    g_assert_cmpint(ivshare_guest_open("missing", &r), ==, -IVSHARE_ENOTREADY);
    /* without a usable line 3 the device is skipped */
    res = g_build_filename(dir, "resource", NULL);
    g_assert_true(g_file_set_contents(res, "0x0 0x0 0x0\n", -1, NULL));
    g_assert_cmpint(ivshare_guest_open("missing", &r), ==, -ENOENT);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/core/guest/discover", fixture, NULL, fixture_setup, test_discover, fixture_teardown);
    g_test_add("/core/guest/not-found", fixture, NULL, fixture_setup, test_not_found, fixture_teardown);
    g_test_add("/core/guest/not-ready", fixture, NULL, fixture_setup, test_not_ready, fixture_teardown);
    g_test_add("/core/guest/bar-size-fallback", fixture, NULL, fixture_setup, test_bar_size_fallback, fixture_teardown);
    return g_test_run();
}
