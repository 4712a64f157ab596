/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * make-corpus.c: write the binary seed inputs of the region, objects,
 * doorbell and doorbell-client fuzz targets into corpus/ (run it from tests/fuzz after changing
 * the region format or an input layout; the text seeds are written by hand).
 */
#include <stdio.h>

#include "format.h"
#include "ivshare/ivshare.h"

#include <glib.h>

static void
save(const char *target, const char *name, GByteArray *b)
{
    g_autofree char *path = g_build_filename("corpus", target, name, NULL);
    g_autoptr(GError) error = NULL;

    if (!g_file_set_contents(path, (const char *)b->data, b->len, &error))
        g_error("%s", error->message);
    printf("%s: %u bytes\n", path, b->len);
}

static void
add(GByteArray *b, const void *p, size_t n)
{
    g_byte_array_append(b, p, (guint)n);
}

static void
add_u8(GByteArray *b, guint8 v)
{
    add(b, &v, 1);
}

/* A small region of every object type, in @len bytes. */
static guint8 *
small_region(uint32_t flags, size_t *len)
{
    static ivshare_layout_object o[4];
    ivshare_layout l = { .objects = o, .n_objects = 4, .fingerprint = 7, .generation = 3,
                         .flags = flags, .vectors = flags ? 2 : 0 };
    guint8 *mem;

    memset(o, 0, sizeof(o));
    g_strlcpy(o[0].name, "ring", sizeof(o[0].name));
    o[0].type = IVSHARE_OBJECT_RING;
    o[0].param0 = 16;
    o[0].param1 = 4;
    g_strlcpy(o[1].name, "mpmc", sizeof(o[1].name));
    o[1].type = IVSHARE_OBJECT_RING;
    o[1].flags = IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER;
    o[1].param0 = 8;
    o[1].param1 = 2;
    g_strlcpy(o[2].name, "pool", sizeof(o[2].name));
    o[2].type = IVSHARE_OBJECT_POOL;
    o[2].param0 = 64;
    o[2].param1 = 4;
    g_strlcpy(o[3].name, "zone", sizeof(o[3].name));
    o[3].type = IVSHARE_OBJECT_MEMZONE;
    o[3].size = 64;
    g_strlcpy(l.name, "seed", sizeof(l.name));
    g_assert(ivshare_layout_compute(&l) == 0);
    *len = l.used_size;
    mem = g_malloc0(*len);
    g_assert(ivshare_region_format(mem, *len, &l) == 0);
    return mem;
}

/* Operations of exercise.c: ring enqueue, dequeue, bursts, pool get/put. */
static const guint8 ops[] = {
    0, 0, 5, 'a',            /* enqueue 5 bytes on ring 0 */
    8, 0, 0, 'b', 64, 0,     /* dequeue */
    16, 1, 3, 0, 'c', 4,     /* enqueue burst of 4 on ring 1 */
    24, 1, 0, 0, 'd', 4,     /* dequeue burst */
    3, 0, 3, 0, 3, 0,        /* three pool gets */
    11, 0, 0,                /* put one back */
    19, 0, 1, 0, 0x10, 0, 0, 0, 0, 0, 0, /* buffer of a handle */
    5, 0x40, 0x10, 0, 0, 3, 1, 2, 3, 4, /* a peer writes 4 bytes at 0x1040 */
    6, 1, 0, 0, 1, 0,        /* doorbell */
    7,                       /* region check */
    32, 0, 1, 'e', 0, 2, 0, 0, 0, 0,
};

static void
region_seeds(void)
{
    size_t len;
    g_autofree guint8 *mem = small_region(0, &len);
    g_autofree guint8 *bell = small_region(IVSHARE_REGION_DOORBELL, &len);
    struct {
        const char *name;
        const guint8 *mem;
        size_t len;
        gboolean with_ops;
    } seeds[] = {
        { "valid", mem, len, TRUE },
        { "valid-no-ops", mem, len, FALSE },
        { "doorbell", bell, len, TRUE },
        { "header-only", mem, 128, FALSE },
        { "table-cut", mem, 128 + 2 * 64, FALSE },
        { "objects-cut", mem, len - 64, TRUE },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(seeds); i++) {
        g_autoptr(GByteArray) b = g_byte_array_new();
        guint16 n = seeds[i].with_ops ? sizeof(ops) : 0;

        add(b, &n, 2);
        add(b, seeds[i].mem, seeds[i].len);
        if (seeds[i].with_ops)
            add(b, ops, sizeof(ops));
        save("region", seeds[i].name, b);
    }
    {
        /* built but never published: ready is 0 */
        g_autoptr(GByteArray) b = g_byte_array_new();
        guint16 n = 0;
        add(b, &n, 2);
        add(b, mem, len);
        memset(b->data + 2 + offsetof(struct ivshare_header, ready), 0, 4);
        save("region", "not-ready", b);
    }
}

static void
objects_seeds(void)
{
    g_autoptr(GByteArray) plain = g_byte_array_new();
    g_autoptr(GByteArray) patched = g_byte_array_new();
    g_autoptr(GByteArray) pool = g_byte_array_new();
    static const guint8 positions[] = {
        2,                          /* two patches */
        0, 0, 0, 3, 0xff, 0xff, 0xff, /* spsc producer position: 0xffffff */
        1, 0, 1, 3, 7, 0, 0,        /* mpmc consumer position: 7 */
    };
    static const guint8 state[] = {
        1,
        3, 0x80, 0x01, 8, 'U', 'U', 'f', 'f', 'F', 'x', 0, 'U', /* bufs state bytes */
    };

    add_u8(plain, 0);
    add(plain, ops, sizeof(ops));
    save("objects", "no-patch", plain);
    add(patched, positions, sizeof(positions));
    add(patched, ops, sizeof(ops));
    save("objects", "positions", patched);
    add(pool, state, sizeof(state));
    for (int i = 0; i < 12; i++) {
        add_u8(pool, (guint8)(3 + 8 * (i % 3)));  /* get, put, buffer */
        add_u8(pool, 0);
        add_u8(pool, (guint8)i);
    }
    save("objects", "pool-state", pool);
}

static void
doorbell_seeds(void)
{
    /* op: low bits the action (0 connect, 1 close, 2 send, 3 half-close,
     * 4 read, 5 connect and vanish), bits 4-5 the client */
    static const guint8 welcome[] = { 0x00, 0x04, 0x10, 0x14, 0x04, 0x01, 0x14 };
    static const guint8 garbage[] = { 0x00, 0x10, 0x02, 7, 'g', 'a', 'r', 'b', 'a', 'g', 'e', 0,
                                      0x04, 0x14, 0x12, 0, 'x', 1, 0x14 };
    static const guint8 vanish[] = { 0x00, 0x05, 0x05, 0x04, 0x10, 0x13, 0x04, 0x14, 0x11, 0x04 };
    static const guint8 churn[] = { 0x00, 0x10, 0x20, 0x30, 0x04, 0x14, 0x24, 0x34,
                                    0x11, 0x21, 0x04, 0x10, 0x04, 0x14, 0x01, 0x31, 0x34 };
    struct { const char *name; const guint8 *p; size_t n; } seeds[] = {
        { "welcome", welcome, sizeof(welcome) },
        { "garbage", garbage, sizeof(garbage) },
        { "vanish", vanish, sizeof(vanish) },
        { "churn", churn, sizeof(churn) },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(seeds); i++) {
        g_autoptr(GByteArray) b = g_byte_array_new();
        add(b, seeds[i].p, seeds[i].n);
        save("doorbell", seeds[i].name, b);
    }
}

static void
doorbell_client_seeds(void)
{
    /* vectors byte 1: 2 vectors; records: op (bit 2: one eventfd), value */
    static const guint8 welcome[] = {
        1,
        0x00, 0, 0x00, 3, 0x04, 0xff,          /* version 0, ID 3, -1 with the region */
        0x04, 1, 0x04, 1,                      /* peer 1's two eventfds */
        0x04, 3, 0x04, 3,                      /* ours */
        0x04, 5, 0x04, 5, 0x00, 1,             /* peer 5 joins, peer 1 leaves */
        0x03, 5, 0x13, 5, 0x03, 1, 0x03, 9,    /* ring 5/0, 5/1, 1/0, 9/0 */
    };
    static const guint8 fds_everywhere[] = {
        1, 0x08, 0, 0x0c, 3, 0x08, 0xff, 0x08, 3, 0x08, 3, 0x0b, 3, 0x03, 3,
    };
    static const guint8 split[] = {
        0, 0x42, 0, 0, 0, 0, 0x42, 0, 0, 0, 0, 0x00, 2, 0x04, 0xff, 0x04, 2, 0x03, 2,
    };
    static const guint8 huge_ids[] = {
        3, 0x00, 0, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
    };
    static const guint8 cut_short[] = { 2, 0x00, 0, 0x00, 1 };
    static const guint8 bad_notice[] = {
        0, 0x00, 0, 0x00, 0, 0x04, 0xff, 0x04, 0, 0x04, 64, 0x05, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0x03, 0, 0x03, 64,
    };
    struct { const char *name; const guint8 *p; size_t n; } seeds[] = {
        { "welcome", welcome, sizeof(welcome) },
        { "fds-everywhere", fds_everywhere, sizeof(fds_everywhere) },
        { "split-messages", split, sizeof(split) },
        { "huge-ids", huge_ids, sizeof(huge_ids) },
        { "cut-short", cut_short, sizeof(cut_short) },
        { "bad-notice", bad_notice, sizeof(bad_notice) },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(seeds); i++) {
        g_autoptr(GByteArray) b = g_byte_array_new();
        add(b, seeds[i].p, seeds[i].n);
        save("doorbell-client", seeds[i].name, b);
    }
}

int
main(void)
{
    region_seeds();
    objects_seeds();
    doorbell_seeds();
    doorbell_client_seeds();
    return 0;
}
