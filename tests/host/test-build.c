/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-build.c: region files built from descriptions, on /dev/shm-style
 * tmpfs and on hugetlbfs; identical XML and INI descriptions; conflicts;
 * and a second process exchanging a million messages through a built file.
 */
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

#define REGION_XML(backing, slots) \
    "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>\n" \
    "  <ivshare:region name='fastpath' host-app='pktgen' backing='" backing "'>\n" \
    "    <ivshare:ring name='to-guest' slot-size='256' slots='" slots "'/>\n" \
    "    <ivshare:ring name='to-host' slot-size='64' slots='1024' producers='multi' consumers='multi'/>\n" \
    "    <ivshare:pool name='bufs' buffer-size='2K' buffers='512'/>\n" \
    "    <ivshare:memzone name='stats' size='4K' align='4K'/>\n" \
    "  </ivshare:region>\n" \
    "</ivshare:shared-memory>\n"

static const char region_ini[] =
    "[region fastpath]\nhost-app=pktgen\nbacking=shm\n\n"
    "[ring fastpath/to-guest]\nslot-size=256\nslots=4096\n\n"
    "[ring fastpath/to-host]\nslot-size=64\nslots=1024\nproducers=multi\nconsumers=multi\n\n"
    "[pool fastpath/bufs]\nbuffer-size=2K\nbuffers=512\n\n"
    "[memzone fastpath/stats]\nsize=4K\nalign=4K\n";

typedef test_env_fixture fixture;

static char *hugetlbfs_missing;

static void
fixture_setup(fixture *f, gconstpointer data)
{
    test_fixture_setup(f, data);
}

static void
fixture_teardown(fixture *f, gconstpointer data)
{
    test_fixture_teardown(f);
}

static const ivshare_region_desc *
first_region(const ivshare_desc *d)
{
    return g_ptr_array_index(d->regions, 0);
}

/* Build and return the generation of the file. */
static guint64
build_ok(fixture *f, const ivshare_desc *d, ivshare_build_result expect)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ivshare_region) r = NULL;
    ivshare_region_info info;
    ivshare_build_result result = IVSHARE_BUILD_LAST;

    g_assert_true(ivshare_region_build(first_region(d), d->source, f->conf, &result, &error));
    g_assert_no_error(error);
    g_assert_cmpint(result, ==, expect);
    g_assert_cmpint(ivshare_host_open("fastpath", &r), ==, 0);
    g_assert_cmpint(ivshare_region_get_info(r, &info), ==, 0);
    return info.generation;
}

static void
check_objects(ivshare_region *r)
{
    ivshare_ring *q;
    ivshare_pool *p;
    void *zone;
    size_t len;

    g_assert_cmpint(ivshare_ring_lookup(r, "to-guest", &q), ==, 0);
    g_assert_cmpuint(ivshare_ring_capacity(q), ==, 4096);
    g_assert_cmpuint(ivshare_ring_slot_size(q), ==, 256);
    g_assert_cmpint(ivshare_ring_lookup(r, "to-host", &q), ==, 0);
    g_assert_cmpuint(ivshare_ring_capacity(q), ==, 1024);
    g_assert_cmpint(ivshare_pool_lookup(r, "bufs", &p), ==, 0);
    g_assert_cmpuint(ivshare_pool_capacity(p), ==, 512);
    g_assert_cmpuint(ivshare_pool_buffer_size(p), ==, 2048);
    g_assert_cmpint(ivshare_memzone_lookup(r, "stats", &zone, &len), ==, 0);
    g_assert_cmpuint(len, ==, 4096);
    g_assert_cmpuint((guintptr)zone % 4096, ==, 0);
    g_assert_cmpint(ivshare_ring_lookup(r, "nope", &q), ==, -ENOENT);
}

static void
test_build_shm(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_desc) d = test_desc_xml(REGION_XML("shm", "4096"), "vm1.xml");
    g_autoptr(ivshare_region) r = NULL;
    g_autofree char *path = ivshare_conf_region_path(f->conf, "fastpath", IVSHARE_BACKING_SHM);
    guint64 gen1, gen2, size = 0;
    GStatBuf st;

    gen1 = build_ok(f, d, IVSHARE_BUILD_CREATED);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_true(ivshare_region_desc_size(first_region(d), &size, NULL));
    g_assert_cmpuint((guint64)st.st_size, ==, size);
    g_assert_cmpuint(st.st_mode & 0777, ==, 0660);
    g_assert_cmpuint(size & (size - 1), ==, 0);
    /* preallocated: every block is there */
    g_assert_cmpuint((guint64)st.st_blocks * 512, >=, size);

    g_assert_cmpint(ivshare_host_open("fastpath", &r), ==, 0);
    check_objects(r);

    /* the same description again keeps the file and its generation */
    gen2 = build_ok(f, d, IVSHARE_BUILD_KEPT);
    g_assert_cmpuint(gen1, ==, gen2);
    g_assert_cmpint(ivshare_region_check(r), ==, 0);
}

/* The file's bytes with the generation field zeroed. */
static GBytes *
region_bytes(const char *path)
{
    g_autofree char *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    g_assert_cmpuint(len, >, 40);
    memset(data + 32, 0, 8); /* struct ivshare_header.generation */
    return g_bytes_new_take(g_steal_pointer(&data), len);
}

static void
test_xml_ini_identical(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_desc) x = test_desc_xml(REGION_XML("shm", "4096"), "vm1.xml");
    g_autoptr(ivshare_desc) i = test_desc_ini(region_ini, "vm1.ini");
    g_autofree char *path = ivshare_conf_region_path(f->conf, "fastpath", IVSHARE_BACKING_SHM);
    g_autofree char *copy = g_strconcat(path, ".xml", NULL);
    g_autoptr(GBytes) a = NULL;
    g_autoptr(GBytes) b = NULL;

    g_assert_cmpuint(ivshare_region_desc_fingerprint(first_region(x)), ==,
                     ivshare_region_desc_fingerprint(first_region(i)));
    build_ok(f, x, IVSHARE_BUILD_CREATED);
    g_assert_cmpint(g_rename(path, copy), ==, 0);
    build_ok(f, i, IVSHARE_BUILD_CREATED);
    a = region_bytes(copy);
    b = region_bytes(path);
    g_assert_true(g_bytes_equal(a, b));
}

static void
test_conflict_in_use(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_desc) a = test_desc_xml(REGION_XML("shm", "4096"), "vm1.xml");
    g_autoptr(ivshare_desc) b = test_desc_xml(REGION_XML("shm", "2048"), "vm2.xml");
    g_autoptr(GError) error = NULL;
    ivshare_app *app = NULL;
    guint64 gen;

    gen = build_ok(f, a, IVSHARE_BUILD_CREATED);
    g_assert_cmpint(ivshare_app_register("pktgen", &app), ==, 0);

    g_assert_false(ivshare_region_build(first_region(b), b->source, f->conf, NULL, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_CONFLICT);
    g_assert_nonnull(strstr(error->message, "region 'fastpath' described in vm2.xml"));
    g_assert_nonnull(strstr(error->message, "built from vm1.xml"));
    g_assert_nonnull(strstr(error->message, "host application 'pktgen'"));
    /* the file in use was not touched */
    g_assert_cmpuint(build_ok(f, a, IVSHARE_BUILD_KEPT), ==, gen);

    /* once nobody uses it, the new description rebuilds it */
    ivshare_app_unregister(app);
    g_assert_cmpuint(build_ok(f, b, IVSHARE_BUILD_CREATED), !=, gen);
}

static void
test_conflict_domain_user(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_desc) a = test_desc_xml(REGION_XML("shm", "4096"), "vm1.xml");
    g_autoptr(ivshare_desc) b = test_desc_xml(REGION_XML("shm", "1024"), "vm2.xml");
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) users = NULL;

    build_ok(f, a, IVSHARE_BUILD_CREATED);
    g_assert_true(ivshare_region_user_add("fastpath", "vm1", f->conf, NULL));
    users = ivshare_region_users("fastpath", f->conf);
    g_assert_cmpstrv(users, ((const char *[]){ "vm1", NULL }));
    g_assert_false(ivshare_region_build(first_region(b), b->source, f->conf, NULL, &error));
    g_assert_nonnull(strstr(error->message, "in use by domain 'vm1'"));
    g_assert_false(ivshare_region_remove_unused("fastpath", f->conf, NULL));

    ivshare_region_user_remove("fastpath", "vm1", f->conf);
    g_assert_true(ivshare_region_remove_unused("fastpath", f->conf, NULL));
    g_assert_cmpuint(test_dir_count(f->conf->shm_dir), ==, 0);
}

static void
test_hugetlbfs(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_desc) d = test_desc_xml(REGION_XML("hugepages", "4096"), "vm1.xml");
    g_autoptr(ivshare_region) r = NULL;

    if (!data) {
        g_test_skip(hugetlbfs_missing);
        return;
    }
    build_ok(f, d, IVSHARE_BUILD_CREATED);
    g_assert_cmpint(ivshare_host_open("fastpath", &r), ==, 0);
    check_objects(r);
}

static void
test_hugetlbfs_short(fixture *f, gconstpointer data)
{
    static const char huge[] =
        "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>"
        "<ivshare:region name='toobig' host-app='pktgen' size='1024G'>"
        "<ivshare:memzone name='z' size='4K'/></ivshare:region></ivshare:shared-memory>";
    g_autoptr(ivshare_desc) d = test_desc_xml(huge, "big.xml");
    g_autoptr(GError) error = NULL;

    if (!data) {
        g_test_skip(hugetlbfs_missing);
        return;
    }
    g_assert_false(ivshare_region_build(first_region(d), d->source, f->conf, NULL, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_RESOURCE);
    g_assert_nonnull(strstr(error->message, "needs 524288 hugepages of 2M but only"));
    /* no file, not even a temporary one */
    g_assert_cmpuint(test_dir_count(f->conf->hugepage_dir), ==, 0);
}

static void
test_not_hugetlbfs(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_desc) d = test_desc_xml(REGION_XML("hugepages", "4096"), "vm1.xml");
    g_autoptr(GError) error = NULL;

    g_assert_false(ivshare_region_build(first_region(d), d->source, f->conf, NULL, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_RESOURCE);
    g_assert_nonnull(strstr(error->message, "is not on a hugetlbfs mount"));
}

/* The NUMA nodes holding @path's pages in this process, from numa_maps. */
static char *
numa_nodes_of(const char *path)
{
    g_autofree char *maps = NULL;
    g_auto(GStrv) lines = NULL;

    g_assert_true(g_file_get_contents("/proc/self/numa_maps", &maps, NULL, NULL));
    lines = g_strsplit(maps, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (!strstr(*l, path))
            continue;
        g_autoptr(GString) nodes = g_string_new(NULL);
        g_auto(GStrv) words = g_strsplit(*l, " ", -1);
        for (char **w = words; *w; w++)
            if ((*w)[0] == 'N' && g_ascii_isdigit((*w)[1]))
                g_string_append_printf(nodes, "%s%.*s", nodes->len ? "," : "", (int)strcspn(*w, "="), *w);
        return g_string_free(g_steal_pointer(&nodes), FALSE);
    }
    return NULL;
}

static void
test_numa_node(fixture *f, gconstpointer data)
{
    static const char xml[] =
        "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>"
        "<ivshare:region name='fastpath' host-app='pktgen' numa-node='0'>"
        "<ivshare:memzone name='z' size='4M'/></ivshare:region></ivshare:shared-memory>";
    g_autoptr(ivshare_desc) d = NULL;
    g_autoptr(ivshare_region) r = NULL;
    g_autofree char *path = NULL;
    g_autofree char *nodes = NULL;
    void *zone;
    size_t len;

    if (!data) {
        g_test_skip(hugetlbfs_missing);
        return;
    }
    d = test_desc_xml(xml, "numa.xml");
    build_ok(f, d, IVSHARE_BUILD_CREATED);
    path = ivshare_conf_region_path(f->conf, "fastpath", IVSHARE_BACKING_HUGEPAGES);
    g_assert_cmpint(ivshare_path_open(path, &r), ==, 0);
    g_assert_cmpint(ivshare_memzone_lookup(r, "z", &zone, &len), ==, 0);
    ((volatile char *)zone)[0] = 1; /* the mapping holds pages: numa_maps lists them */
    nodes = numa_nodes_of(path);
    g_test_message("pages of the region are on node(s) %s", nodes);
    g_assert_cmpstr(nodes, ==, "N0");
}

static void
test_numa_node_missing(fixture *f, gconstpointer data)
{
    static const char xml[] =
        "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>"
        "<ivshare:region name='fastpath' host-app='pktgen' numa-node='63'>"
        "<ivshare:memzone name='z' size='4M'/></ivshare:region></ivshare:shared-memory>";
    g_autoptr(ivshare_desc) d = NULL;
    g_autoptr(GError) error = NULL;

    if (!data) {
        g_test_skip(hugetlbfs_missing);
        return;
    }
    if (g_file_test("/sys/devices/system/node/node63", G_FILE_TEST_IS_DIR)) {
        g_test_skip("this host has a NUMA node 63");
        return;
    }
    d = test_desc_xml(xml, "numa.xml");
    g_assert_false(ivshare_region_build(first_region(d), d->source, f->conf, NULL, &error));
    g_assert_cmpstr(error->message, ==, "region 'fastpath' asks for NUMA node 63, which this host does not have");
    g_assert_cmpuint(test_dir_count(f->conf->hugepage_dir), ==, 0);
}

#define MESSAGES 1000000u

/* Child: echo MESSAGES messages from to-guest back through to-host. */
static int
echo_child(void)
{
    ivshare_region *r;
    ivshare_ring *in, *out;
    char buf[256];
    size_t len;

    if (ivshare_host_open("fastpath", &r) < 0 || ivshare_ring_lookup(r, "to-guest", &in) < 0 ||
        ivshare_ring_lookup(r, "to-host", &out) < 0)
        return 2;
    for (unsigned n = 0; n < MESSAGES;) {
        if (ivshare_ring_dequeue(in, buf, sizeof(buf), &len) < 0)
            continue;
        if (len < 4 + sizeof(guint32))
            return 3;
        while (ivshare_ring_enqueue(out, buf, MIN(len, 64)) == -EAGAIN)
            ;
        n++;
    }
    ivshare_close(r);
    return 0;
}

static void
exchange_million(fixture *f, const char *xml)
{
    g_autoptr(ivshare_desc) d = test_desc_xml(xml, "vm1.xml");
    g_autoptr(ivshare_region) r = NULL;
    ivshare_ring *out, *in;
    unsigned sent = 0, received = 0;
    int status;
    pid_t pid;

    build_ok(f, d, IVSHARE_BUILD_CREATED);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0)
        _exit(echo_child());

    g_assert_cmpint(ivshare_host_open("fastpath", &r), ==, 0);
    g_assert_cmpint(ivshare_ring_lookup(r, "to-guest", &out), ==, 0);
    g_assert_cmpint(ivshare_ring_lookup(r, "to-host", &in), ==, 0);
    for (guint64 spins = 0; received < MESSAGES; spins++) {
        guint32 msg[8];
        size_t len;

        /* a child that died early must fail the test, not hang it */
        if (spins % 65536 == 0 && waitpid(pid, &status, WNOHANG) == pid)
            g_error("the echo process ended early (status %d) after %u messages", status, received);

        if (sent < MESSAGES) {
            for (unsigned i = 0; i < G_N_ELEMENTS(msg); i++)
                msg[i] = sent * 8 + i;
            if (ivshare_ring_enqueue(out, msg, sizeof(msg) - (sent % 7) * 4) == 0)
                sent++;
        }
        if (ivshare_ring_dequeue(in, msg, sizeof(msg), &len) == 0) {
            /* in order, intact, none lost or duplicated */
            g_assert_cmpuint(len, ==, sizeof(msg) - (received % 7) * 4);
            for (unsigned i = 0; i < len / 4; i++)
                if (msg[i] != received * 8 + i)
                    g_error("message %u word %u is %u", received, i, msg[i]);
            received++;
        }
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_assert_cmpuint(ivshare_ring_count(in), ==, 0);
    g_assert_cmpuint(ivshare_ring_count(out), ==, 0);
}

static void
test_million_shm(fixture *f, gconstpointer data)
{
    exchange_million(f, REGION_XML("shm", "4096"));
}

static void
test_million_hugetlbfs(fixture *f, gconstpointer data)
{
    if (!data) {
        g_test_skip(hugetlbfs_missing);
        return;
    }
    exchange_million(f, REGION_XML("hugepages", "4096"));
}

int
main(int argc, char **argv)
{
    g_autofree char *huge = NULL;

    g_test_init(&argc, &argv, NULL);
    huge = test_hugetlbfs_dir(64, &hugetlbfs_missing);

#define ADD(name, fn, data) g_test_add(name, fixture, data, fixture_setup, fn, fixture_teardown)
    ADD("/build/shm", test_build_shm, NULL);
    ADD("/build/xml-ini-identical", test_xml_ini_identical, NULL);
    ADD("/build/conflict/host-app", test_conflict_in_use, NULL);
    ADD("/build/conflict/domain", test_conflict_domain_user, NULL);
    ADD("/build/not-hugetlbfs", test_not_hugetlbfs, NULL);
    ADD("/build/hugetlbfs", test_hugetlbfs, huge);
    ADD("/build/hugetlbfs-short", test_hugetlbfs_short, huge);
    ADD("/build/numa-node", test_numa_node, huge);
    ADD("/build/numa-node-missing", test_numa_node_missing, huge);
    ADD("/build/million/shm", test_million_shm, NULL);
    ADD("/build/million/hugetlbfs", test_million_hugetlbfs, huge);
#undef ADD
    return g_test_run();
}
