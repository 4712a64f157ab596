/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* helpers.h: build formatted regions for the core library's tests. */
#ifndef IVSHARE_TEST_HELPERS_H
#define IVSHARE_TEST_HELPERS_H

#include <glib.h>

#include "format.h"

/* Objects of the standard test region "testreg". */
#define TEST_RING_SPSC "spsc"      /* 256 slots of 64 bytes, single/single */
#define TEST_RING_MPMC "mpmc"      /* 1024 slots of 64 bytes, multi/multi */
#define TEST_RING_TINY "tiny"      /* 4 slots of 16 bytes, single/single */
#define TEST_POOL "bufs"           /* 64 buffers of 2000 bytes */
#define TEST_MEMZONE "stats"       /* 4096 bytes, aligned to 4096 */

typedef struct {
    void *mem;                     /* MAP_SHARED anonymous mapping */
    size_t size;
    ivshare_layout layout;
    ivshare_layout_object objects[8];
} test_region;

/* Lay out and format the standard region (asserts on failure). */
void test_region_init(test_region *t);
/* The same objects in a region called @region. */
void test_region_init_named(test_region *t, const char *region);
void test_region_clear(test_region *t);

/* Write the standard objects as region @region into file @path. */
void test_region_write_file(const char *path, const char *region);

/* Fill @o as a ring / pool / memzone. */
void test_object_ring(ivshare_layout_object *o, const char *name, uint32_t slots,
                      uint32_t slot_size, uint32_t flags);
void test_object_pool(ivshare_layout_object *o, const char *name, uint32_t buffers,
                      uint32_t buffer_size);
void test_object_memzone(ivshare_layout_object *o, const char *name, uint64_t size,
                         uint32_t align);

/* Lay out @l, map a power-of-two region that holds it and format it. */
void *test_format(ivshare_layout *l, const char *name, size_t *size);

#endif /* IVSHARE_TEST_HELPERS_H */
