/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-corrupt.c: broken and hostile regions give errors, never crashes or hangs. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core.h"
#include "helpers.h"

/*
 * A copy of the standard region between two inaccessible pages, so that
 * any access outside the region faults even without a sanitizer.
 */
typedef struct {
    test_region pristine;
    guint8 *map;
    size_t map_len;
    guint8 *mem;
    size_t size;
} fixture;

static void fixture_setup(fixture *f, gconstpointer data)
{
    long page = sysconf(_SC_PAGESIZE);

    test_region_init(&f->pristine);
    f->size = f->pristine.size;
    g_assert_cmpuint(f->size % page, ==, 0);
    f->map_len = f->size + 2 * page;
    f->map = mmap(NULL, f->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(f->map != MAP_FAILED);
    f->mem = f->map + page;
    g_assert_cmpint(mprotect(f->mem, f->size, PROT_READ | PROT_WRITE), ==, 0);
    memcpy(f->mem, f->pristine.mem, f->size);
}

static void fixture_teardown(fixture *f, gconstpointer data)
{
    munmap(f->map, f->map_len);
    test_region_clear(&f->pristine);
}

static void reset(fixture *f)
{
    memcpy(f->mem, f->pristine.mem, f->size);
}

static struct ivshare_header *hdr(fixture *f)
{
    return (struct ivshare_header *)f->mem;
}

static struct ivshare_object *obj(fixture *f, unsigned i)
{
    return (struct ivshare_object *)(f->mem + 128) + i;
}

static int try_open(fixture *f)
{
    ivshare_region *r = NULL;
    int rc = ivshare_mem_open(f->mem, f->size, &r);

    if (rc == 0)
        ivshare_close(r);
    return rc;
}

/* Indices of the standard objects (see helpers.c). */
enum { MZ, SPSC, MPMC, TINY, POOL };

static void test_named(fixture *f, gconstpointer data)
{
    const int bad = -IVSHARE_EBADREGION;
    ivshare_region *r;

    g_assert_cmpint(try_open(f), ==, 0);

    for (unsigned i = 0; i < 128; i++)
        f->mem[i] = (guint8)g_test_rand_int();
    g_assert_cmpint(try_open(f), <, 0);
    reset(f);

    hdr(f)->magic[0] = 'i';
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    hdr(f)->version = 2;
    g_assert_cmpint(try_open(f), ==, -IVSHARE_EBADVERSION);
    hdr(f)->version = 0;
    g_assert_cmpint(try_open(f), ==, -IVSHARE_EBADVERSION);
    hdr(f)->version = 1 | (3u << 16);      /* a later minor version is fine */
    g_assert_cmpint(try_open(f), ==, 0);
    reset(f);
    hdr(f)->ready = 0;
    g_assert_cmpint(try_open(f), ==, -IVSHARE_ENOTREADY);
    hdr(f)->ready = ~IVSHARE_READY_VALUE;
    g_assert_cmpint(try_open(f), ==, -IVSHARE_ENOTREADY);
    reset(f);

    /* sizes */
    hdr(f)->total_size = f->size + 4096;
    g_assert_cmpint(try_open(f), ==, bad);
    g_assert_cmpint(ivshare_mem_open(f->mem, f->size - 4096, &r), ==, bad);
    g_assert_cmpint(ivshare_mem_open(f->mem, 127, &r), ==, bad);
    hdr(f)->total_size = UINT64_MAX;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    /* a region whose objects end past its total size */
    hdr(f)->total_size = obj(f, POOL)->offset + 64;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    hdr(f)->header_size = 4097;
    g_assert_cmpint(try_open(f), ==, bad);
    hdr(f)->header_size = 0;
    g_assert_cmpint(try_open(f), ==, bad);
    hdr(f)->header_size = (uint32_t)f->size + 4096;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    /* objects now start inside the header */
    hdr(f)->header_size += 4096;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);

    /* the region name */
    memset(hdr(f)->name, 'a', sizeof(hdr(f)->name));
    g_assert_cmpint(try_open(f), ==, bad);
    strcpy(hdr(f)->name, "a/b");
    g_assert_cmpint(try_open(f), ==, bad);
    memset(hdr(f)->name, 0, sizeof(hdr(f)->name));
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);

    /* the object and peer tables */
    hdr(f)->object_count = IVSHARE_MAX_OBJECTS + 1;
    g_assert_cmpint(try_open(f), ==, bad);
    hdr(f)->object_count = (hdr(f)->header_size - 128) / 64 + 1;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    hdr(f)->object_offset = hdr(f)->header_size - 64;   /* past the header */
    g_assert_cmpint(try_open(f), ==, bad);
    hdr(f)->object_offset = 64;                         /* over the header */
    g_assert_cmpint(try_open(f), ==, bad);
    hdr(f)->object_offset = UINT32_MAX;
    g_assert_cmpint(try_open(f), ==, bad);
    hdr(f)->object_offset = 132;                        /* misaligned */
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    hdr(f)->peer_offset = 128 + 64;                     /* over the object table */
    g_assert_cmpint(try_open(f), ==, bad);
    hdr(f)->peer_offset = hdr(f)->header_size - 64;
    g_assert_cmpint(try_open(f), ==, bad);
    hdr(f)->peer_offset = 0;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    hdr(f)->peer_count = UINT32_MAX;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);

    /* object placement */
    obj(f, POOL)->offset = f->size;                     /* past the end */
    g_assert_cmpint(try_open(f), ==, bad);
    obj(f, POOL)->offset = UINT64_MAX - 63;             /* wraps around */
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    obj(f, POOL)->size = f->size;
    g_assert_cmpint(try_open(f), ==, bad);
    obj(f, POOL)->size = UINT64_MAX;
    g_assert_cmpint(try_open(f), ==, bad);
    obj(f, POOL)->size = 0;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    obj(f, MZ)->offset = 4096;                          /* inside the header */
    g_assert_cmpint(try_open(f), ==, bad);
    obj(f, MZ)->offset = obj(f, MZ)->offset + 8;        /* misaligned */
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    obj(f, MPMC)->offset = obj(f, SPSC)->offset + 128;  /* overlapping */
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    obj(f, TINY)->offset = obj(f, MPMC)->offset + obj(f, MPMC)->size - 128;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);

    /* object names */
    memset(obj(f, SPSC)->name, 'x', sizeof(obj(f, SPSC)->name));
    g_assert_cmpint(try_open(f), ==, bad);
    strcpy(obj(f, SPSC)->name, TEST_RING_MPMC);          /* duplicate */
    g_assert_cmpint(try_open(f), ==, bad);
    strcpy(obj(f, SPSC)->name, "");
    g_assert_cmpint(try_open(f), ==, bad);
    strcpy(obj(f, SPSC)->name, "..");
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);

    /* parameters that disagree with the footprint */
    obj(f, SPSC)->param1 = 512;                         /* more slots than room */
    g_assert_cmpint(try_open(f), ==, bad);
    obj(f, SPSC)->param1 = 255;
    g_assert_cmpint(try_open(f), ==, bad);
    obj(f, SPSC)->param1 = 0;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    obj(f, SPSC)->param0 = 65;                          /* bigger slots */
    g_assert_cmpint(try_open(f), ==, bad);
    obj(f, SPSC)->param0 = 0;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    obj(f, SPSC)->flags = 4;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    obj(f, POOL)->param1 = 65;
    g_assert_cmpint(try_open(f), ==, bad);
    obj(f, POOL)->param1 = 0;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    obj(f, POOL)->param0 = 2049;
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);
    obj(f, MZ)->param0 = 3;
    g_assert_cmpint(try_open(f), ==, bad);
    obj(f, MZ)->param0 = 1u << 31;                      /* offset not aligned to it */
    g_assert_cmpint(try_open(f), ==, bad);
    reset(f);

    /* an unknown object type: an error in 1.0, skipped in a later 1.x */
    obj(f, MZ)->type = 77;
    g_assert_cmpint(try_open(f), ==, bad);
    hdr(f)->version = 1 | (1u << 16);
    g_assert_cmpint(ivshare_mem_open(f->mem, f->size, &r), ==, 0);
    g_assert_cmpint(ivshare_memzone_lookup(r, TEST_MEMZONE, NULL, NULL), ==, -ENOENT);
    ivshare_close(r);
    reset(f);
    g_assert_cmpint(try_open(f), ==, 0);
}

/* Use everything the region offers; return how many calls succeeded. */
static unsigned exercise(ivshare_region *r)
{
    static const char *rings[] = { TEST_RING_SPSC, TEST_RING_MPMC, TEST_RING_TINY };
    guint8 buf[80], small[8];
    unsigned ok = 0, peer;
    ivshare_ring *q;
    ivshare_pool *p;
    void *addr;
    size_t len;

    if (ivshare_memzone_lookup(r, TEST_MEMZONE, &addr, &len) == 0) {
        memset(addr, 0x5a, len);
        ok++;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(rings); i++) {
        if (ivshare_ring_lookup(r, rings[i], &q) < 0)
            continue;
        for (unsigned k = 0; k < 8; k++) {
            memset(buf, (int)k, sizeof(buf));
            ok += ivshare_ring_enqueue(q, buf, k * 9) == 0;
            ok += ivshare_ring_dequeue(q, small, sizeof(small), &len) == 0;
            g_assert_true(ivshare_ring_dequeue(q, buf, sizeof(buf), &len) < 0 ||
                          len <= ivshare_ring_slot_size(q));
        }
        g_assert_cmpuint(ivshare_ring_count(q), <=, ivshare_ring_capacity(q));
    }
    if (ivshare_pool_lookup(r, TEST_POOL, &p) == 0) {
        uint64_t h[4];
        unsigned got = 0;

        while (got < 4 && ivshare_pool_get(p, &h[got]) == 0) {
            guint8 *b = ivshare_pool_buffer(p, h[got], &len);
            g_assert_nonnull(b);
            memset(b, 0xa5, len);
            got++;
        }
        for (unsigned i = 0; i < got; i++)
            ok += ivshare_pool_put(p, h[i]) == 0;
    }
    (void)ivshare_peer_lookup(r, "vm1", &peer);
    (void)ivshare_region_check(r);
    return ok;
}

/* A value that is likely to hit an edge of some check. */
static guint64 nasty(guint64 orig)
{
    switch (g_test_rand_int_range(0, 10)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return UINT64_MAX;
    case 3: return UINT32_MAX;
    case 4: return orig + 1;
    case 5: return orig - 1;
    case 6: return orig + 64;
    case 7: return orig ^ (1ull << g_test_rand_int_range(0, 64));
    case 8: return orig * 2;
    default: return ((guint64)g_test_rand_int() << 32) | g_test_rand_int();
    }
}

static void put_field(guint8 *at, size_t width, guint64 v)
{
    if (width == 8) {
        memcpy(at, &v, 8);
    } else {
        guint32 w = (guint32)v;
        memcpy(at, &w, 4);
    }
}

static guint64 get_field(const guint8 *at, size_t width)
{
    guint64 v = 0;
    memcpy(&v, at, width);
    return v;
}

static void test_random(fixture *f, gconstpointer data)
{
    /* 4- and 8-byte fields of the header and of an object entry */
    static const struct { size_t off, width; } hfields[] = {
        { 8, 4 }, { 12, 4 }, { 16, 8 }, { 24, 8 }, { 32, 8 }, { 40, 4 }, { 44, 4 },
        { 48, 4 }, { 52, 4 }, { 56, 4 }, { 60, 4 }, { 96, 4 },
    }, ofields[] = {
        { 0, 4 }, { 4, 4 }, { 8, 8 }, { 16, 8 }, { 24, 4 }, { 28, 4 },
    };
    unsigned iterations = g_test_slow() ? 20000 : 3000;
    unsigned opened = 0, failed = 0;

    for (unsigned it = 0; it < iterations; it++) {
        ivshare_region *r;
        unsigned kind = it % 4;

        reset(f);
        if (kind == 0) {
            size_t k = g_test_rand_int_range(0, G_N_ELEMENTS(hfields));
            guint8 *at = f->mem + hfields[k].off;
            put_field(at, hfields[k].width, nasty(get_field(at, hfields[k].width)));
        } else if (kind == 1) {
            size_t k = g_test_rand_int_range(0, G_N_ELEMENTS(ofields));
            guint8 *at = (guint8 *)obj(f, g_test_rand_int_range(0, 5)) + ofields[k].off;
            put_field(at, ofields[k].width, nasty(get_field(at, ofields[k].width)));
        } else {
            /* byte flips: in the metadata, or anywhere */
            size_t span = kind == 2 ? 128 + 5 * 64 : f->size;
            for (int n = g_test_rand_int_range(1, 9); n > 0; n--)
                f->mem[g_test_rand_int_range(0, (gint32)span)] ^= (guint8)g_test_rand_int_range(1, 256);
        }
        if (ivshare_mem_open(f->mem, f->size, &r) == 0) {
            opened++;
            exercise(r);
            ivshare_close(r);
        } else {
            failed++;
        }
    }
    g_test_message("%u corrupted regions opened, %u refused", opened, failed);
    g_assert_cmpuint(opened + failed, ==, iterations);
    g_assert_cmpuint(failed, >, 0);
    g_assert_cmpuint(opened, >, 0);
}

/* Garbage inside the objects of an open region: wrong data, no crash or hang. */
static void test_hostile_objects(fixture *f, gconstpointer data)
{
    unsigned rounds = g_test_slow() ? 5000 : 1000;
    ivshare_region *r;
    gint64 start = g_get_monotonic_time();

    for (unsigned it = 0; it < rounds; it++) {
        const struct ivshare_object *o;

        reset(f);
        g_assert_cmpint(ivshare_mem_open(f->mem, f->size, &r), ==, 0);
        o = obj(f, g_test_rand_int_range(SPSC, POOL + 1));
        if (it % 2 == 0) {
            /* random words over the object */
            for (int n = g_test_rand_int_range(1, 64); n > 0; n--) {
                guint64 at = o->offset + (g_test_rand_int_range(0, (gint32)(o->size / 4)) * 4);
                guint32 v = (guint32)nasty(get_field(f->mem + at, 4));
                memcpy(f->mem + at, &v, 4);
            }
        } else {
            /* all of the object's first 4 KiB random */
            for (guint64 k = 0; k < o->size && k < 4096; k++)
                f->mem[o->offset + k] = (guint8)g_test_rand_int();
        }
        exercise(r);
        ivshare_close(r);
    }
    /* generous: a hang would take forever, a run takes milliseconds */
    g_assert_cmpint(g_get_monotonic_time() - start, <, 60 * G_USEC_PER_SEC);
}

/* Rings whose shared words were set up to trap a careless implementation. */
static void test_ring_traps(fixture *f, gconstpointer data)
{
    const struct ivshare_object *o;
    ivshare_region *r;
    ivshare_ring *q;
    guint8 buf[64];
    size_t len;

    g_assert_cmpint(ivshare_mem_open(f->mem, f->size, &r), ==, 0);
    /* every slot claims to be ahead of every position: bounded retries */
    for (unsigned ring = SPSC; ring <= TINY; ring++) {
        o = obj(f, ring);
        g_assert_cmpint(ivshare_ring_lookup(r, o->name, &q), ==, 0);
        for (guint32 i = 0; i < o->param1; i++) {
            guint8 *slot = f->mem + o->offset + 256 + (guint64)i * ((8 + o->param0 + 7) & ~7u);
            guint32 seq = 0x40000000u + i, huge = UINT32_MAX;
            memcpy(slot, &seq, 4);
            memcpy(slot + 4, &huge, 4);
        }
        g_assert_cmpint(ivshare_ring_enqueue(q, "x", 1), ==, -EAGAIN);
        g_assert_cmpint(ivshare_ring_dequeue(q, buf, sizeof(buf), &len), ==, -EAGAIN);
        g_assert_cmpuint(ivshare_ring_count(q), <=, ivshare_ring_capacity(q));
    }

    /* a published message with a huge length: clamped to the slot size */
    reset(f);
    o = obj(f, MPMC);
    {
        guint8 *slot = f->mem + o->offset + 256;
        guint32 seq = 1, huge = UINT32_MAX;
        memcpy(slot, &seq, 4);
        memcpy(slot + 4, &huge, 4);
    }
    ivshare_close(r);
    g_assert_cmpint(ivshare_mem_open(f->mem, f->size, &r), ==, 0);
    g_assert_cmpint(ivshare_ring_lookup(r, TEST_RING_MPMC, &q), ==, 0);
    g_assert_cmpint(ivshare_ring_dequeue(q, buf, 10, &len), ==, -EMSGSIZE);
    g_assert_cmpint(ivshare_ring_dequeue(q, buf, sizeof(buf), &len), ==, 0);
    g_assert_cmpuint(len, ==, 64);

    /* positions far apart: the count stays within the capacity */
    {
        guint32 prod = 0x7fffffff, cons = 3;
        memcpy(f->mem + o->offset, &prod, 4);
        memcpy(f->mem + o->offset + 128, &cons, 4);
        g_assert_cmpuint(ivshare_ring_count(q), ==, 1024);
        memcpy(f->mem + o->offset, &cons, 4);
        memcpy(f->mem + o->offset + 128, &prod, 4);
        g_assert_cmpuint(ivshare_ring_count(q), ==, 0);
    }
    ivshare_close(r);
}

/* Pool state and free list garbage: handles stay inside the pool. */
static void test_pool_traps(fixture *f, gconstpointer data)
{
    const struct ivshare_object *o = obj(f, POOL);
    ivshare_region *r;
    ivshare_pool *p;
    uint64_t h;
    guint32 *words;
    unsigned ring_words;

    g_assert_cmpint(ivshare_mem_open(f->mem, f->size, &r), ==, 0);
    g_assert_cmpint(ivshare_pool_lookup(r, TEST_POOL, &p), ==, 0);
    /* free-list entries pointing past the pool, or listed twice */
    words = (guint32 *)(f->mem + o->offset + 128 + 256);
    ring_words = 128 * 4;               /* 128 slots of 16 bytes */
    for (unsigned i = 0; i < ring_words; i += 4) {
        words[i + 2] = i % 8 == 0 ? 1000000 + i : 7;
    }
    for (int i = 0; i < 200; i++) {
        int rc = ivshare_pool_get(p, &h);
        if (rc == 0) {
            g_assert_nonnull(ivshare_pool_buffer(p, h, NULL));
            g_assert_cmpuint(h, >=, o->offset);
            g_assert_cmpuint(h, <, o->offset + o->size);
        } else {
            g_assert_true(rc == -ENOBUFS || rc == -IVSHARE_ECORRUPT);
        }
    }
    /* state bytes all claiming "used": puts succeed, gets still bounded */
    memset(f->mem + o->offset + 128 + 256 + 128 * 16, IVSHARE_POOL_USED, 64);
    for (int i = 0; i < 64; i++)
        (void)ivshare_pool_put(p, o->offset + 4096);
    for (int i = 0; i < 200; i++)
        if (ivshare_pool_get(p, &h) == 0)
            g_assert_nonnull(ivshare_pool_buffer(p, h, NULL));
    ivshare_close(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/core/corrupt/named", fixture, NULL, fixture_setup, test_named, fixture_teardown);
    g_test_add("/core/corrupt/random", fixture, NULL, fixture_setup, test_random, fixture_teardown);
    g_test_add("/core/corrupt/hostile-objects", fixture, NULL, fixture_setup, test_hostile_objects, fixture_teardown);
    g_test_add("/core/corrupt/ring-traps", fixture, NULL, fixture_setup, test_ring_traps, fixture_teardown);
    g_test_add("/core/corrupt/pool-traps", fixture, NULL, fixture_setup, test_pool_traps, fixture_teardown);
    return g_test_run();
}
