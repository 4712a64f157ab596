/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-pool.c: pool buffers, handle validation and concurrent get/put. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"
#include "helpers.h"

typedef struct {
    test_region t;
    ivshare_region *r;
    ivshare_pool *p;
} fixture;

static void fixture_setup(fixture *f, gconstpointer data)
{
    test_region_init(&f->t);
    g_assert_cmpint(ivshare_mem_open(f->t.mem, f->t.size, &f->r), ==, 0);
    g_assert_cmpint(ivshare_pool_lookup(f->r, TEST_POOL, &f->p), ==, 0);
}

static void fixture_teardown(fixture *f, gconstpointer data)
{
    ivshare_close(f->r);
    test_region_clear(&f->t);
}

static void test_get_put(fixture *f, gconstpointer data)
{
    const ivshare_layout_object *o = &f->t.objects[4];
    uint64_t h[64], extra;
    GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);

    for (unsigned i = 0; i < 64; i++) {
        size_t len = 0;
        guint8 *buf;

        g_assert_cmpint(ivshare_pool_get(f->p, &h[i]), ==, 0);
        g_assert_cmpuint(h[i], !=, 0);
        g_assert_cmpuint(h[i] % 64, ==, 0);
        g_assert_cmpuint(h[i], >=, o->offset);
        g_assert_cmpuint(h[i] + 2000, <=, o->offset + o->size);
        g_assert_false(g_hash_table_contains(seen, &h[i]));
        g_hash_table_add(seen, &h[i]);
        buf = ivshare_pool_buffer(f->p, h[i], &len);
        g_assert_true(buf == (guint8 *)f->t.mem + h[i]);
        g_assert_cmpuint(len, ==, 2000);
        memset(buf, (int)i, len);
    }
    g_assert_cmpint(ivshare_pool_get(f->p, &extra), ==, -ENOBUFS);
    g_assert_cmpuint(ivshare_pool_in_use(f->p), ==, 64);
    /* buffers do not overlap: every one still holds its own pattern */
    for (unsigned i = 0; i < 64; i++) {
        guint8 *buf = ivshare_pool_buffer(f->p, h[i], NULL);
        for (size_t k = 0; k < 2000; k++)
            g_assert_cmpuint(buf[k], ==, i);
    }
    for (unsigned i = 0; i < 64; i++)
        g_assert_cmpint(ivshare_pool_put(f->p, h[i]), ==, 0);
    g_assert_cmpuint(ivshare_pool_in_use(f->p), ==, 0);
    /* double put */
    g_assert_cmpint(ivshare_pool_put(f->p, h[5]), ==, -EINVAL);
    /* the pool works again, FIFO order of the free list */
    g_assert_cmpint(ivshare_pool_get(f->p, &extra), ==, 0);
    g_assert_cmpuint(extra, ==, h[0]);
    g_assert_cmpint(ivshare_pool_put(f->p, extra), ==, 0);
    g_hash_table_unref(seen);
}

static void test_foreign_handles(fixture *f, gconstpointer data)
{
    ivshare_pool *p = f->p;
    uint64_t h, never;
    const uint64_t stride = 2048;
    ivshare_layout_object o[2];
    ivshare_layout l = { .objects = o, .n_objects = 2 };
    ivshare_region *r2;
    ivshare_pool *other;
    size_t size;
    void *mem;

    g_assert_cmpint(ivshare_pool_get(p, &h), ==, 0);
    g_assert_cmpint(ivshare_pool_get(p, &never), ==, 0);
    g_assert_cmpint(ivshare_pool_put(p, never), ==, 0);   /* now free */
    const uint64_t bad[] = {
        0, 1, h + 1, h - 1, h + stride / 2, h + 64, never + 8,
        f->t.objects[4].offset, f->t.objects[0].offset,
        h + 64 * stride, UINT64_MAX, UINT64_MAX - stride + 1,
        (uint64_t)f->t.size,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmpint(ivshare_pool_put(p, bad[i]), ==, -EINVAL);
        g_assert_null(ivshare_pool_buffer(p, bad[i], NULL));
    }
    /* a free buffer cannot be put, though it is a valid buffer */
    g_assert_cmpint(ivshare_pool_put(p, never), ==, -EINVAL);
    g_assert_nonnull(ivshare_pool_buffer(p, never, NULL));

    /* a handle of another pool in the same region */
    test_object_pool(&o[0], "a", 4, 256);
    test_object_pool(&o[1], "b", 4, 256);
    mem = test_format(&l, "two", &size);
    g_assert_cmpint(ivshare_mem_open(mem, size, &r2), ==, 0);
    g_assert_cmpint(ivshare_pool_lookup(r2, "a", &other), ==, 0);
    g_assert_cmpint(ivshare_pool_get(other, &h), ==, 0);
    g_assert_cmpint(ivshare_pool_lookup(r2, "b", &other), ==, 0);
    g_assert_cmpint(ivshare_pool_put(other, h), ==, -EINVAL);
    g_assert_null(ivshare_pool_buffer(other, h, NULL));
    ivshare_close(r2);
    munmap(mem, size);
}

static void test_one_buffer(void)
{
    ivshare_layout_object o;
    ivshare_layout l = { .objects = &o, .n_objects = 1 };
    ivshare_region *r;
    ivshare_pool *p;
    uint64_t h, h2;
    size_t size, len;
    void *mem;

    /* odd sizes: 1 buffer of 1 byte, 3 buffers (free list of 4) */
    test_object_pool(&o, "p", 1, 1);
    mem = test_format(&l, "one", &size);
    g_assert_cmpint(ivshare_mem_open(mem, size, &r), ==, 0);
    g_assert_cmpint(ivshare_pool_lookup(r, "p", &p), ==, 0);
    for (int i = 0; i < 100; i++) {
        g_assert_cmpint(ivshare_pool_get(p, &h), ==, 0);
        g_assert_cmpint(ivshare_pool_get(p, &h2), ==, -ENOBUFS);
        g_assert_nonnull(ivshare_pool_buffer(p, h, &len));
        g_assert_cmpuint(len, ==, 1);
        g_assert_cmpint(ivshare_pool_put(p, h), ==, 0);
    }
    ivshare_close(r);
    munmap(mem, size);

    test_object_pool(&o, "p", 3, 100);
    mem = test_format(&l, "three", &size);
    g_assert_cmpint(ivshare_mem_open(mem, size, &r), ==, 0);
    g_assert_cmpint(ivshare_pool_lookup(r, "p", &p), ==, 0);
    for (int i = 0; i < 3; i++)
        g_assert_cmpint(ivshare_pool_get(p, &h), ==, 0);
    g_assert_cmpint(ivshare_pool_get(p, &h2), ==, -ENOBUFS);
    ivshare_close(r);
    munmap(mem, size);
}

/* A put that finds the free list full still frees the buffer. */
static void test_list_blocked(fixture *f, gconstpointer data)
{
    ivshare_pool *p = f->p;
    uint64_t h[64], extra;
    uint32_t junk = UINT32_MAX;
    unsigned n = 0;

    for (unsigned i = 0; i < 64; i++)
        g_assert_cmpint(ivshare_pool_get(p, &h[i]), ==, 0);
    /* as if peers had stalled in the list: it fills up with junk */
    while (ivshare_ring_enqueue(&p->free, &junk, sizeof(junk)) == 0)
        n++;
    g_assert_cmpuint(n, ==, ivshare_ring_capacity(&p->free));
    for (unsigned i = 0; i < 64; i++)
        g_assert_cmpint(ivshare_pool_put(p, h[i]), ==, 0);
    g_assert_cmpuint(atomic_load(p->unlisted), ==, 64);
    g_assert_cmpint(ivshare_pool_put(p, h[3]), ==, -EINVAL);
    for (unsigned i = 0; i < 64; i++) {
        g_assert_cmpint(ivshare_pool_get(p, &h[i]), ==, 0);
        g_assert_nonnull(ivshare_pool_buffer(p, h[i], NULL));
    }
    g_assert_cmpint(ivshare_pool_get(p, &extra), ==, -ENOBUFS);
    g_assert_cmpuint(atomic_load(p->unlisted), ==, 0);
    /* the list works again */
    for (unsigned i = 0; i < 64; i++)
        g_assert_cmpint(ivshare_pool_put(p, h[i]), ==, 0);
    g_assert_cmpuint(atomic_load(p->unlisted), ==, 0);
    g_assert_cmpuint(ivshare_ring_count(&p->free), ==, 64);
}

/* Concurrent get/put: a buffer is never handed to two threads at once. */
typedef struct {
    ivshare_pool *p;
    unsigned id;
    unsigned rounds;
    gint *errors;
} worker;

static gpointer pool_worker(gpointer data)
{
    worker *w = data;
    uint64_t held[8];
    GRand *rand = g_rand_new_with_seed(w->id);

    for (unsigned round = 0; round < w->rounds; round++) {
        unsigned n = g_rand_int_range(rand, 1, 9), got = 0;

        for (unsigned i = 0; i < n; i++) {
            int rc = ivshare_pool_get(w->p, &held[got]);
            if (rc == -ENOBUFS)
                break;
            if (rc != 0) {
                g_atomic_int_inc(w->errors);
                break;
            }
            memset(ivshare_pool_buffer(w->p, held[got], NULL), (int)w->id, 64);
            got++;
        }
        for (unsigned i = 0; i < got; i++) {
            guint8 *buf = ivshare_pool_buffer(w->p, held[i], NULL);
            for (unsigned k = 0; k < 64; k++)
                if (buf[k] != w->id)
                    g_atomic_int_inc(w->errors);
            if (ivshare_pool_put(w->p, held[i]) != 0)
                g_atomic_int_inc(w->errors);
        }
    }
    g_rand_free(rand);
    return NULL;
}

static void test_threads(fixture *f, gconstpointer data)
{
    GThread *t[4];
    worker w[4];
    gint errors = 0;
    uint64_t h[64];

    for (unsigned i = 0; i < 4; i++) {
        w[i] = (worker){ f->p, i + 1, 50000, &errors };
        t[i] = g_thread_new("pool", pool_worker, &w[i]);
    }
    for (unsigned i = 0; i < 4; i++)
        g_thread_join(t[i]);
    g_assert_cmpint(errors, ==, 0);
    /* nothing leaked: all 64 buffers can be taken again */
    for (unsigned i = 0; i < 64; i++)
        g_assert_cmpint(ivshare_pool_get(f->p, &h[i]), ==, 0);
    g_assert_cmpint(ivshare_pool_get(f->p, &h[0]), ==, -ENOBUFS);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/core/pool/get-put", fixture, NULL, fixture_setup, test_get_put, fixture_teardown);
    g_test_add("/core/pool/foreign-handles", fixture, NULL, fixture_setup, test_foreign_handles, fixture_teardown);
    g_test_add_func("/core/pool/small", test_one_buffer);
    g_test_add("/core/pool/list-blocked", fixture, NULL, fixture_setup, test_list_blocked, fixture_teardown);
    g_test_add("/core/pool/threads", fixture, NULL, fixture_setup, test_threads, fixture_teardown);
    return g_test_run();
}
