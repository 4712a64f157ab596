/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* helpers.c: build formatted regions for the core library's tests. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

void test_object_ring(ivshare_layout_object *o, const char *name, uint32_t slots,
                      uint32_t slot_size, uint32_t flags)
{
    memset(o, 0, sizeof(*o));
    g_strlcpy(o->name, name, sizeof(o->name));
    o->type = IVSHARE_OBJECT_RING;
    o->flags = flags;
    o->param0 = slot_size;
    o->param1 = slots;
}

void test_object_pool(ivshare_layout_object *o, const char *name, uint32_t buffers,
                      uint32_t buffer_size)
{
    memset(o, 0, sizeof(*o));
    g_strlcpy(o->name, name, sizeof(o->name));
    o->type = IVSHARE_OBJECT_POOL;
    o->param0 = buffer_size;
    o->param1 = buffers;
}

void test_object_memzone(ivshare_layout_object *o, const char *name, uint64_t size,
                         uint32_t align)
{
    memset(o, 0, sizeof(*o));
    g_strlcpy(o->name, name, sizeof(o->name));
    o->type = IVSHARE_OBJECT_MEMZONE;
    o->param0 = align;
    o->size = size;
}

void *test_format(ivshare_layout *l, const char *name, size_t *size)
{
    void *mem;
    size_t len = 4096;

    g_strlcpy(l->name, name, sizeof(l->name));
    g_assert_cmpint(ivshare_layout_compute(l), ==, 0);
    while (len < l->used_size)
        len <<= 1;
    mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert_true(mem != MAP_FAILED);
    g_assert_cmpint(ivshare_region_format(mem, len, l), ==, 0);
    *size = len;
    return mem;
}

void test_region_init(test_region *t)
{
    test_region_init_named(t, "testreg");
}

void test_region_init_named(test_region *t, const char *region)
{
    memset(t, 0, sizeof(*t));
    test_object_memzone(&t->objects[0], TEST_MEMZONE, 4096, 4096);
    test_object_ring(&t->objects[1], TEST_RING_SPSC, 256, 64, 0);
    test_object_ring(&t->objects[2], TEST_RING_MPMC, 1024, 64,
                     IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER);
    test_object_ring(&t->objects[3], TEST_RING_TINY, 4, 16, 0);
    test_object_pool(&t->objects[4], TEST_POOL, 64, 2000);
    t->layout.objects = t->objects;
    t->layout.n_objects = 5;
    t->layout.fingerprint = 0x1234;
    t->layout.generation = 7;
    t->mem = test_format(&t->layout, region, &t->size);
}

void test_region_clear(test_region *t)
{
    if (t->mem)
        munmap(t->mem, t->size);
    t->mem = NULL;
}

void test_region_write_file(const char *path, const char *region)
{
    test_region t;
    int fd;

    test_region_init_named(&t, region);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, t.mem, t.size), ==, (ssize_t)t.size);
    close(fd);
    test_region_clear(&t);
}
