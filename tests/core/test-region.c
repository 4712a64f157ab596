/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-region.c: layout, format, open, validation and lookups. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

static void test_layout_standard(void)
{
    test_region t;
    const ivshare_layout *l = &t.layout;

    test_region_init(&t);
    /* 128 B header + 5 objects + 64 peers, rounded to 4096 */
    g_assert_cmpuint(l->header_size, ==,
                     (128 + 5 * 64 + IVSHARE_PEER_SLOTS * sizeof(struct ivshare_peer) + 4095) / 4096 * 4096);
    g_assert_cmpuint(l->objects[0].offset, ==, l->header_size);
    g_assert_cmpuint(l->objects[0].size, ==, 4096);
    for (unsigned i = 0; i < l->n_objects; i++) {
        const ivshare_layout_object *o = &l->objects[i];
        g_assert_cmpuint(o->offset % 64, ==, 0);
        g_assert_cmpuint(o->offset, >=, l->header_size);
        if (o->type != IVSHARE_OBJECT_MEMZONE)
            g_assert_cmpuint(o->offset % 128, ==, 0);
        if (i > 0)
            g_assert_cmpuint(o->offset, >=, l->objects[i - 1].offset + l->objects[i - 1].size);
    }
    g_assert_cmpuint(l->objects[1].size, ==, ivshare_ring_footprint(256, 64));
    g_assert_cmpuint(l->objects[4].size, ==, ivshare_pool_footprint(64, 2000));
    g_assert_cmpuint(l->used_size, ==, l->objects[4].offset + l->objects[4].size);
    g_assert_cmpuint(t.size, >=, l->used_size);
    test_region_clear(&t);
}

static void test_footprints(void)
{
    /* 256-byte position areas, then slots of 8 + payload rounded to 8 */
    g_assert_cmpuint(ivshare_ring_footprint(256, 64), ==, 256 + 256 * 72);
    g_assert_cmpuint(ivshare_ring_footprint(4, 1), ==, 256 + 4 * 16);
    g_assert_cmpuint(ivshare_ring_footprint(3, 64), ==, 0);
    g_assert_cmpuint(ivshare_ring_footprint(0, 64), ==, 0);
    g_assert_cmpuint(ivshare_ring_footprint(1u << 29, 64), ==, 0);
    g_assert_cmpuint(ivshare_ring_footprint(1u << 28, 1u << 24), ==,
                     256 + (uint64_t)(1u << 28) * ((1u << 24) + 8));
    g_assert_cmpuint(ivshare_ring_footprint(4, 0), ==, 0);
    g_assert_cmpuint(ivshare_ring_footprint(4, (1u << 24) + 1), ==, 0);
    /* pool header, free list of 128 u32 slots, 64 state bytes, 64 buffers of 2048 */
    g_assert_cmpuint(ivshare_pool_footprint(64, 2000), ==, 128 + 256 + 128 * 16 + 64 + 64 * 2048);
    g_assert_cmpuint(ivshare_pool_footprint(3, 1), ==, 128 + 256 + 8 * 16 + 64 + 3 * 64);
    g_assert_cmpuint(ivshare_pool_footprint(0, 64), ==, 0);
    g_assert_cmpuint(ivshare_pool_footprint(1, 0), ==, 0);
    g_assert_cmpuint(ivshare_pool_footprint(1, (1u << 30) + 1), ==, 0);
    g_assert_cmpuint(ivshare_pool_footprint((1u << 28) + 1, 64), ==, 0);
}

static int layout_one(ivshare_layout_object *o)
{
    ivshare_layout l = { .name = "r", .n_objects = 1, .objects = o };
    return ivshare_layout_compute(&l);
}

/* zeroed: a new file is not cleared again, only its metadata is written */
static void test_format_zeroed(void)
{
    ivshare_layout_object o;
    ivshare_layout l = { .name = "r", .n_objects = 1, .objects = &o };
    ivshare_region *r = NULL;
    void *zone;
    size_t len;
    uint8_t *mem;

    test_object_memzone(&o, "m", 4096, 0);
    g_assert_cmpint(ivshare_layout_compute(&l), ==, 0);
    mem = g_malloc(l.used_size);
    for (int zeroed = 0; zeroed <= 1; zeroed++) {
        memset(mem, 0xa5, l.used_size);
        l.zeroed = zeroed;
        g_assert_cmpint(ivshare_region_format(mem, l.used_size, &l), ==, 0);
        g_assert_cmpint(ivshare_mem_open(mem, l.used_size, &r), ==, 0);
        g_assert_cmpint(ivshare_memzone_lookup(r, "m", &zone, &len), ==, 0);
        /* the memzone keeps what was there only when the caller vouched
         * for zeros: a real new file reads as zeros */
        g_assert_cmpuint(((uint8_t *)zone)[0], ==, zeroed ? 0xa5 : 0);
        g_assert_cmpuint(((uint8_t *)zone)[len - 1], ==, zeroed ? 0xa5 : 0);
        ivshare_close(r);
    }
    g_free(mem);
}

static void test_layout_invalid(void)
{
    ivshare_layout_object o, two[2];
    ivshare_layout l = { .name = "r" };
    static const char *bad_names[] = {
        "", ".", "..", "a b", "a/b", "é", "0123456789012345678901234567890123",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad_names); i++) {
        test_object_ring(&o, "q", 4, 4, 0);
        memset(o.name, 0, sizeof(o.name));
        if (strlen(bad_names[i]) >= sizeof(o.name))
            memset(o.name, 'x', sizeof(o.name));
        else
            memcpy(o.name, bad_names[i], strlen(bad_names[i]));
        g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    }
    test_object_ring(&o, "0123456789012345678901234567890", 4, 4, 0);
    g_assert_cmpint(layout_one(&o), ==, 0);

    test_object_ring(&o, "q", 3, 4, 0);
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    test_object_ring(&o, "q", 1u << 29, 4, 0);
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    test_object_ring(&o, "q", 4, 0, 0);
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    test_object_ring(&o, "q", 4, (1u << 24) + 1, 0);
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    test_object_ring(&o, "q", 4, 4, 4);
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    test_object_pool(&o, "p", 0, 64);
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    test_object_pool(&o, "p", 4, 0);
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    test_object_pool(&o, "p", 4, (1u << 30) + 1);
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    test_object_memzone(&o, "m", 0, 0);
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    test_object_memzone(&o, "m", 64, 48);
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);
    test_object_memzone(&o, "m", 64, 0);
    o.type = 9;
    g_assert_cmpint(layout_one(&o), ==, -EINVAL);

    /* sizes that do not fit 64 bits */
    test_object_memzone(&two[0], "m1", UINT64_MAX - 4096, 0);
    test_object_memzone(&two[1], "m2", UINT64_MAX - 4096, 0);
    l.objects = two;
    l.n_objects = 2;
    g_assert_cmpint(ivshare_layout_compute(&l), ==, -EOVERFLOW);

    /* duplicate names */
    test_object_memzone(&two[0], "m", 64, 0);
    test_object_ring(&two[1], "m", 4, 4, 0);
    g_assert_cmpint(ivshare_layout_compute(&l), ==, -EINVAL);

    /* a bad region name, too many objects */
    test_object_ring(&two[1], "q", 4, 4, 0);
    g_assert_cmpint(ivshare_layout_compute(&l), ==, 0);
    strcpy(l.name, "a:b");
    g_assert_cmpint(ivshare_layout_compute(&l), ==, -EINVAL);
    strcpy(l.name, "r");
    l.n_objects = IVSHARE_MAX_OBJECTS + 1;
    g_assert_cmpint(ivshare_layout_compute(&l), ==, -EINVAL);
}

static void test_format_too_small(void)
{
    test_region t;
    void *mem;

    test_region_init(&t);
    mem = g_malloc0(t.layout.used_size);
    g_assert_cmpint(ivshare_region_format(mem, t.layout.used_size - 1, &t.layout), ==, -EINVAL);
    g_free(mem);
    test_region_clear(&t);
}

static void test_fnv1a(void)
{
    g_assert_cmphex(ivshare_fnv1a64(IVSHARE_FNV1A64_INIT, "", 0), ==, UINT64_C(0xcbf29ce484222325));
    g_assert_cmphex(ivshare_fnv1a64(IVSHARE_FNV1A64_INIT, "a", 1), ==, UINT64_C(0xaf63dc4c8601ec8c));
    g_assert_cmphex(ivshare_fnv1a64(IVSHARE_FNV1A64_INIT, "foobar", 6), ==, UINT64_C(0x85944171f73967e8));
    /* incremental hashing equals hashing at once */
    g_assert_cmphex(ivshare_fnv1a64(ivshare_fnv1a64(IVSHARE_FNV1A64_INIT, "foo", 3), "bar", 3),
                    ==, UINT64_C(0x85944171f73967e8));
}

static void test_roundtrip(void)
{
    test_region t;
    ivshare_region *r = NULL;
    const struct ivshare_header *h;
    const struct ivshare_object *o;

    test_region_init(&t);
    h = t.mem;
    g_assert_cmpmem(h->magic, 8, "IVSHARE", 8);
    g_assert_cmpuint(h->version, ==, 1);
    g_assert_cmpuint(h->header_size, ==, t.layout.header_size);
    g_assert_cmpuint(h->total_size, ==, t.size);
    g_assert_cmphex(h->fingerprint, ==, 0x1234);
    g_assert_cmpuint(h->generation, ==, 7);
    g_assert_cmphex(h->ready, ==, IVSHARE_READY_VALUE);
    g_assert_cmpuint(h->object_offset, ==, 128);
    g_assert_cmpuint(h->object_count, ==, 5);
    g_assert_cmpuint(h->peer_offset, ==, 128 + 5 * 64);
    g_assert_cmpuint(h->peer_count, ==, IVSHARE_PEER_SLOTS);
    g_assert_cmpstr(h->name, ==, "testreg");
    o = (const struct ivshare_object *)((const char *)t.mem + h->object_offset);
    for (unsigned i = 0; i < 5; i++) {
        g_assert_cmpstr(o[i].name, ==, t.objects[i].name);
        g_assert_cmpuint(o[i].type, ==, t.objects[i].type);
        g_assert_cmpuint(o[i].offset, ==, t.objects[i].offset);
        g_assert_cmpuint(o[i].size, ==, t.objects[i].size);
        g_assert_cmpuint(o[i].param0, ==, t.objects[i].param0);
        g_assert_cmpuint(o[i].param1, ==, t.objects[i].param1);
        g_assert_cmpuint(o[i].flags, ==, t.objects[i].flags);
    }

    g_assert_cmpint(ivshare_mem_open(t.mem, t.size, &r), ==, 0);
    g_assert_cmpstr(ivshare_region_name(r), ==, "testreg");
    g_assert_cmpuint(ivshare_region_size(r), ==, t.size);
    g_assert_cmpint(ivshare_region_check(r), ==, 0);
    ivshare_close(r);
    /* the caller's memory is still mapped and intact */
    g_assert_cmpmem(h->magic, 8, "IVSHARE", 8);
    test_region_clear(&t);
}

static void test_lookups(void)
{
    test_region t;
    ivshare_region *r;
    ivshare_ring *q1, *q2;
    ivshare_pool *p1, *p2;
    void *addr;
    size_t len;

    test_region_init(&t);
    g_assert_cmpint(ivshare_mem_open(t.mem, t.size, &r), ==, 0);

    g_assert_cmpint(ivshare_memzone_lookup(r, TEST_MEMZONE, &addr, &len), ==, 0);
    g_assert_true(addr == (char *)t.mem + t.objects[0].offset);
    g_assert_cmpuint((uintptr_t)addr % 4096, ==, 0);
    g_assert_cmpuint(len, ==, 4096);
    memset(addr, 0xab, len);

    g_assert_cmpint(ivshare_ring_lookup(r, TEST_RING_SPSC, &q1), ==, 0);
    g_assert_cmpint(ivshare_ring_lookup(r, TEST_RING_SPSC, &q2), ==, 0);
    g_assert_true(q1 == q2);
    g_assert_cmpuint(ivshare_ring_capacity(q1), ==, 256);
    g_assert_cmpuint(ivshare_ring_slot_size(q1), ==, 64);
    g_assert_cmpuint(ivshare_ring_count(q1), ==, 0);
    g_assert_cmpint(ivshare_ring_lookup(r, TEST_RING_MPMC, &q2), ==, 0);
    g_assert_true(q1 != q2);
    g_assert_cmpuint(ivshare_ring_capacity(q2), ==, 1024);

    g_assert_cmpint(ivshare_pool_lookup(r, TEST_POOL, &p1), ==, 0);
    g_assert_cmpint(ivshare_pool_lookup(r, TEST_POOL, &p2), ==, 0);
    g_assert_true(p1 == p2);
    g_assert_cmpuint(ivshare_pool_capacity(p1), ==, 64);
    g_assert_cmpuint(ivshare_pool_buffer_size(p1), ==, 2000);

    /* unknown names and names of another type */
    g_assert_cmpint(ivshare_ring_lookup(r, "nope", &q1), ==, -ENOENT);
    g_assert_cmpint(ivshare_ring_lookup(r, TEST_POOL, &q1), ==, -ENOENT);
    g_assert_cmpint(ivshare_pool_lookup(r, TEST_RING_SPSC, &p1), ==, -ENOENT);
    g_assert_cmpint(ivshare_memzone_lookup(r, TEST_RING_SPSC, &addr, &len), ==, -ENOENT);
    g_assert_cmpint(ivshare_memzone_lookup(r, NULL, &addr, &len), ==, -ENOENT);

    /* lookups use the private copy: scribbling over the table changes nothing */
    struct ivshare_header *h = t.mem;
    memset((char *)t.mem + h->object_offset, 0xff, 5 * 64);
    g_assert_cmpint(ivshare_memzone_lookup(r, TEST_MEMZONE, &addr, &len), ==, 0);
    g_assert_true(addr == (char *)t.mem + t.objects[0].offset);
    g_assert_cmpint(ivshare_region_check(r), ==, -IVSHARE_EBADREGION);
    ivshare_close(r);
    test_region_clear(&t);
}

static void test_info(void)
{
    test_region t;
    ivshare_region *r;
    ivshare_region_info ri;
    ivshare_object_info oi;

    test_region_init(&t);
    g_assert_cmpint(ivshare_mem_open(t.mem, t.size, &r), ==, 0);
    g_assert_cmpint(ivshare_region_get_info(r, &ri), ==, 0);
    g_assert_cmpstr(ri.name, ==, "testreg");
    g_assert_cmpuint(ri.version, ==, 1);
    g_assert_cmpuint(ri.size, ==, t.size);
    g_assert_cmpuint(ri.header_size, ==, t.layout.header_size);
    g_assert_cmphex(ri.fingerprint, ==, 0x1234);
    g_assert_cmpuint(ri.generation, ==, 7);
    g_assert_cmpint(ri.doorbell, ==, 0);
    g_assert_cmpuint(ri.objects, ==, 5);

    g_assert_cmpint(ivshare_object_get_info(r, 0, &oi), ==, 0);
    g_assert_cmpstr(oi.name, ==, TEST_MEMZONE);
    g_assert_cmpint(oi.type, ==, IVSHARE_TYPE_MEMZONE);
    g_assert_cmpuint(oi.offset, ==, t.objects[0].offset);
    g_assert_cmpuint(oi.size, ==, 4096);
    g_assert_cmpuint(oi.align, ==, 4096);
    g_assert_cmpint(ivshare_object_get_info(r, 2, &oi), ==, 0);
    g_assert_cmpstr(oi.name, ==, TEST_RING_MPMC);
    g_assert_cmpint(oi.type, ==, IVSHARE_TYPE_RING);
    g_assert_cmpuint(oi.slots, ==, 1024);
    g_assert_cmpuint(oi.slot_size, ==, 64);
    g_assert_cmpint(oi.multi_producer, ==, 1);
    g_assert_cmpint(oi.multi_consumer, ==, 1);
    g_assert_cmpint(ivshare_object_get_info(r, 1, &oi), ==, 0);
    g_assert_cmpint(oi.multi_producer, ==, 0);
    g_assert_cmpint(ivshare_object_get_info(r, 4, &oi), ==, 0);
    g_assert_cmpint(oi.type, ==, IVSHARE_TYPE_POOL);
    g_assert_cmpuint(oi.buffers, ==, 64);
    g_assert_cmpuint(oi.buffer_size, ==, 2000);
    g_assert_cmpuint(oi.size, ==, t.objects[4].size);
    g_assert_cmpint(ivshare_object_get_info(r, 5, &oi), ==, -ENOENT);
    g_assert_cmpint(ivshare_region_get_info(NULL, &ri), ==, -EINVAL);

    /* the snapshot, not the live header */
    ((struct ivshare_header *)t.mem)->generation = 99;
    g_assert_cmpint(ivshare_region_get_info(r, &ri), ==, 0);
    g_assert_cmpuint(ri.generation, ==, 7);
    ivshare_close(r);
    test_region_clear(&t);
}

static void test_check(void)
{
    test_region t;
    ivshare_region *r;
    struct ivshare_header *h;

    test_region_init(&t);
    h = t.mem;
    g_assert_cmpint(ivshare_mem_open(t.mem, t.size, &r), ==, 0);
    g_assert_cmpint(ivshare_region_check(r), ==, 0);
    h->fingerprint ^= 1;
    g_assert_cmpint(ivshare_region_check(r), ==, -IVSHARE_EBADREGION);
    h->fingerprint ^= 1;
    g_assert_cmpint(ivshare_region_check(r), ==, 0);
    h->generation++;
    g_assert_cmpint(ivshare_region_check(r), ==, -ESTALE);
    h->generation--;
    h->ready = 0;
    g_assert_cmpint(ivshare_region_check(r), ==, -ESTALE);
    ivshare_close(r);

    /* rebuilt in place with a new generation */
    t.layout.generation = 8;
    g_assert_cmpint(ivshare_mem_open(t.mem, t.size, &r), ==, -IVSHARE_ENOTREADY);
    g_assert_cmpint(ivshare_region_format(t.mem, t.size, &t.layout), ==, 0);
    g_assert_cmpint(ivshare_mem_open(t.mem, t.size, &r), ==, 0);
    g_assert_cmpint(ivshare_region_check(r), ==, 0);
    t.layout.generation = 9;
    g_assert_cmpint(ivshare_region_format(t.mem, t.size, &t.layout), ==, 0);
    g_assert_cmpint(ivshare_region_check(r), ==, -ESTALE);
    ivshare_close(r);
    test_region_clear(&t);
}

static void test_not_ready(void)
{
    void *zero = g_malloc0(1 << 16);
    ivshare_region *r;

    g_assert_cmpint(ivshare_mem_open(zero, 1 << 16, &r), ==, -IVSHARE_ENOTREADY);
    g_assert_cmpint(ivshare_mem_open(zero, 64, &r), ==, -IVSHARE_EBADREGION);
    g_assert_cmpint(ivshare_mem_open(NULL, 1 << 16, &r), ==, -IVSHARE_EBADREGION);
    g_assert_cmpint(ivshare_mem_open((char *)zero + 4, 1 << 15, &r), ==, -EINVAL);
    g_free(zero);
}

static void test_path_open(void)
{
    g_autofree char *dir = g_dir_make_tmp("ivshare-test-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "region", NULL);
    g_autofree char *empty = g_build_filename(dir, "empty", NULL);
    ivshare_region *r;
    ivshare_ring *q;
    size_t len;
    char buf[64];

    g_assert_nonnull(dir);
    test_region_write_file(path, "testreg");
    g_assert_cmpint(ivshare_path_open(path, &r), ==, 0);
    g_assert_cmpstr(ivshare_region_name(r), ==, "testreg");
    g_assert_cmpint(ivshare_ring_lookup(r, TEST_RING_SPSC, &q), ==, 0);
    g_assert_cmpint(ivshare_ring_enqueue(q, "persist", 7), ==, 0);
    ivshare_close(r);

    /* MAP_SHARED: the message is in the file */
    g_assert_cmpint(ivshare_path_open(path, &r), ==, 0);
    g_assert_cmpint(ivshare_ring_lookup(r, TEST_RING_SPSC, &q), ==, 0);
    g_assert_cmpint(ivshare_ring_dequeue(q, buf, sizeof(buf), &len), ==, 0);
    g_assert_cmpmem(buf, len, "persist", 7);
    ivshare_close(r);

    g_assert_cmpint(ivshare_path_open(empty, &r), ==, -ENOENT);
    g_assert_true(g_file_set_contents(empty, "", 0, NULL));
    g_assert_cmpint(ivshare_path_open(empty, &r), ==, -IVSHARE_EBADREGION);
    g_assert_cmpint(ivshare_path_open(dir, &r), <, 0);
    g_unlink(empty);
    g_unlink(path);
    g_rmdir(dir);
}

static void test_runtime_dir(void)
{
    g_autofree char *dir = g_dir_make_tmp("ivshare-test-XXXXXX", NULL);
    g_autofree char *conf = g_build_filename(dir, "ivshare.conf", NULL);
    char buf[256];

    g_setenv("IVSHARE_RUNTIME_DIR", "/tmp/from-env", TRUE);
    g_setenv("IVSHARE_CONF", conf, TRUE);
    g_assert_true(g_file_set_contents(conf,
        "# settings\n[daemon]\nruntime-dir=/wrong\n\n[paths]\n"
        "hugepage-dir=/dev/hugepages/x\n  runtime-dir = /tmp/from-conf  \n[qemu]\nuser=x\n",
        -1, NULL));
    g_assert_cmpint(ivshare_runtime_dir(buf, sizeof(buf)), ==, 0);
    g_assert_cmpstr(buf, ==, "/tmp/from-env");
    g_unsetenv("IVSHARE_RUNTIME_DIR");
    g_assert_cmpint(ivshare_runtime_dir(buf, sizeof(buf)), ==, 0);
    g_assert_cmpstr(buf, ==, "/tmp/from-conf");
    g_assert_cmpint(ivshare_runtime_dir(buf, 8), ==, -ENAMETOOLONG);

    g_assert_true(g_file_set_contents(conf, "[paths]\nhugepage-dir=/x\n", -1, NULL));
    g_assert_cmpint(ivshare_runtime_dir(buf, sizeof(buf)), ==, 0);
    g_assert_cmpstr(buf, ==, "/run/ivshare");
    g_unlink(conf);
    g_assert_cmpint(ivshare_runtime_dir(buf, sizeof(buf)), ==, 0);
    g_assert_cmpstr(buf, ==, "/run/ivshare");
    g_unsetenv("IVSHARE_CONF");
    g_rmdir(dir);
}

static void test_host_open(void)
{
    g_autofree char *dir = g_dir_make_tmp("ivshare-test-XXXXXX", NULL);
    g_autofree char *regions = g_build_filename(dir, "regions", NULL);
    g_autofree char *file = g_build_filename(dir, "file", NULL);
    g_autofree char *link = g_build_filename(regions, "testreg", NULL);
    g_autofree char *wrong = g_build_filename(regions, "other", NULL);
    ivshare_region *r;

    g_setenv("IVSHARE_RUNTIME_DIR", dir, TRUE);
    test_region_write_file(file, "testreg");
    g_assert_cmpint(ivshare_host_open("testreg", &r), ==, -ENOENT);
    g_assert_cmpint(g_mkdir(regions, 0755), ==, 0);
    g_assert_cmpint(symlink(file, link), ==, 0);
    g_assert_cmpint(symlink(file, wrong), ==, 0);
    g_assert_cmpint(ivshare_host_open("testreg", &r), ==, 0);
    g_assert_cmpstr(ivshare_region_name(r), ==, "testreg");
    ivshare_close(r);
    /* a link to a region of another name is refused */
    g_assert_cmpint(ivshare_host_open("other", &r), ==, -IVSHARE_EBADREGION);
    g_assert_cmpint(ivshare_host_open("../file", &r), ==, -EINVAL);
    g_assert_cmpint(ivshare_host_open("", &r), ==, -EINVAL);
    g_unsetenv("IVSHARE_RUNTIME_DIR");
    g_unlink(wrong);
    g_unlink(link);
    g_unlink(file);
    g_rmdir(regions);
    g_rmdir(dir);
}

static void test_strerror(void)
{
    g_assert_cmpstr(ivshare_strerror(-EAGAIN), ==, "Resource temporarily unavailable");
    g_assert_cmpstr(ivshare_strerror(EMSGSIZE), ==, "Message too long");
    g_assert_cmpstr(ivshare_strerror(-IVSHARE_EBADREGION), ==, "Region metadata is invalid or corrupt");
    g_assert_cmpstr(ivshare_strerror(-IVSHARE_ENOTREADY), ==, "Region is still being built");
    g_assert_cmpstr(ivshare_strerror(-IVSHARE_EBADVERSION), ==, "Region format version is not supported");
    g_assert_cmpstr(ivshare_strerror(-IVSHARE_ECORRUPT), ==, "Shared object state is inconsistent");
    g_assert_cmpstr(ivshare_strerror(-EDOM), ==, "Numerical argument out of domain");
    g_assert_cmpstr(ivshare_strerror(-IVSHARE_ELAST), ==, "Unknown error");
    g_assert_cmpstr(ivshare_strerror(-100000), ==, "Unknown error");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/core/layout/standard", test_layout_standard);
    g_test_add_func("/core/layout/footprints", test_footprints);
    g_test_add_func("/core/layout/invalid", test_layout_invalid);
    g_test_add_func("/core/layout/format-zeroed", test_format_zeroed);
    g_test_add_func("/core/layout/format-too-small", test_format_too_small);
    g_test_add_func("/core/layout/fnv1a", test_fnv1a);
    g_test_add_func("/core/region/roundtrip", test_roundtrip);
    g_test_add_func("/core/region/lookups", test_lookups);
    g_test_add_func("/core/region/info", test_info);
    g_test_add_func("/core/region/check", test_check);
    g_test_add_func("/core/region/not-ready", test_not_ready);
    g_test_add_func("/core/region/path-open", test_path_open);
    g_test_add_func("/core/region/runtime-dir", test_runtime_dir);
    g_test_add_func("/core/region/host-open", test_host_open);
    g_test_add_func("/core/error/strerror", test_strerror);
    return g_test_run();
}
