/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-partition.c: unit tests of the partition example helper over an in-memory region. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ivshare/ivshare.h"
#include "format.h"
#include "partition.h"

#define TEST_SIZE (1u << 20)

/* A doorbell region with partitions vm1, vm2 and a memzone too small for one. */
typedef struct {
    void *mem;
    ivshare_region *ra, *rb;  /* two handles: the two VMs */
    partition pa, pb;         /* vm1's in ra, vm2's in rb */
} fixture;

static void add_memzone(ivshare_layout_object *o, const char *name, uint64_t size)
{
    memset(o, 0, sizeof(*o));
    g_strlcpy(o->name, name, sizeof(o->name));
    o->type = IVSHARE_TYPE_MEMZONE;
    o->size = size;
}

static void setup(fixture *f, gconstpointer data)
{
    ivshare_layout_object objs[3];
    ivshare_layout l = { .n_objects = 3, .objects = objs, .generation = 1,
                         .flags = IVSHARE_REGION_DOORBELL, .vectors = 1 };

    g_strlcpy(l.name, "partitioned", sizeof(l.name));
    add_memzone(&objs[0], "vm1", 16384);
    add_memzone(&objs[1], "vm2", 16384);
    add_memzone(&objs[2], "tiny", PARTITION_HEADER_SIZE);
    g_assert_cmpint(ivshare_layout_compute(&l), ==, 0);
    g_assert_cmpuint(l.used_size, <=, TEST_SIZE);
    f->mem = aligned_alloc(4096, TEST_SIZE);
    g_assert_nonnull(f->mem);
    memset(f->mem, 0, TEST_SIZE);
    g_assert_cmpint(ivshare_region_format(f->mem, TEST_SIZE, &l), ==, 0);
    g_assert_cmpint(ivshare_mem_open(f->mem, TEST_SIZE, &f->ra), ==, 0);
    g_assert_cmpint(ivshare_mem_open(f->mem, TEST_SIZE, &f->rb), ==, 0);
    g_assert_cmpint(partition_init(&f->pa, f->ra, "vm1"), ==, 0);
    g_assert_cmpint(partition_init(&f->pb, f->rb, "vm2"), ==, 0);
}

static void teardown(fixture *f, gconstpointer data)
{
    partition_shutdown(&f->pa);
    partition_shutdown(&f->pb);
    ivshare_close(f->ra);
    ivshare_close(f->rb);
    free(f->mem);
}

/* The raw header words of partition @name, as a hostile VM would write them. */
static _Atomic uint32_t *raw_header(fixture *f, const char *name)
{
    void *addr;
    size_t len;

    g_assert_cmpint(ivshare_memzone_lookup(f->ra, name, &addr, &len), ==, 0);
    return addr;
}

static void test_init(fixture *f, gconstpointer data)
{
    partition p;

    g_assert_cmpint(partition_init(&p, f->ra, "vm3"), ==, -ENOENT);
    g_assert_cmpint(partition_init(&p, f->ra, "tiny"), ==, -ENOSPC);
    g_assert_cmpint(partition_init(&p, f->ra, "a-name-longer-than-thirty-one-chars"), ==,
                    -ENAMETOOLONG);
    g_assert_cmpuint(partition_capacity(&f->pa), ==, 16384 - PARTITION_HEADER_SIZE);
}

static void test_write_read(fixture *f, gconstpointer data)
{
    static const char hello[] = "hello from vm1";
    char buf[64], small[4], big[16384];
    size_t len = 0;

    /* nothing written yet */
    g_assert_cmpint(partition_read(&f->pb, "vm1", buf, sizeof(buf), &len), ==, -ENODATA);
    g_assert_cmpint(partition_read(&f->pb, "vm3", buf, sizeof(buf), &len), ==, -ENOENT);
    g_assert_cmpint(partition_read(&f->pb, "tiny", buf, sizeof(buf), &len), ==, -ENOENT);

    g_assert_cmpint(partition_write(&f->pa, hello, sizeof(hello)), ==, 0);
    g_assert_cmpint(partition_read(&f->pb, "vm1", buf, sizeof(buf), &len), ==, 0);
    g_assert_cmpuint(len, ==, sizeof(hello));
    g_assert_cmpstr(buf, ==, hello);

    /* a buffer too small says how much is needed */
    g_assert_cmpint(partition_read(&f->pb, "vm1", small, sizeof(small), &len), ==, -EMSGSIZE);
    g_assert_cmpuint(len, ==, sizeof(hello));

    /* content larger than the partition is refused; the old one stays */
    memset(big, 'x', sizeof(big));
    g_assert_cmpint(partition_write(&f->pa, big, sizeof(big)), ==, -EMSGSIZE);
    g_assert_cmpint(partition_write(&f->pa, big, partition_capacity(&f->pa)), ==, 0);
    g_assert_cmpint(partition_write(&f->pa, hello, sizeof(hello)), ==, 0);
    g_assert_cmpint(partition_read(&f->pb, "vm1", buf, sizeof(buf), &len), ==, 0);
    g_assert_cmpstr(buf, ==, hello);

    /* after shutdown the last content stays readable, marked closed */
    partition_shutdown(&f->pa);
    g_assert_cmpint(partition_write(&f->pa, hello, sizeof(hello)), ==, -EPIPE);
    g_assert_cmpint(partition_read(&f->pb, "vm1", buf, sizeof(buf), &len), ==, PARTITION_CLOSED);
    g_assert_cmpuint(len, ==, sizeof(hello));
    g_assert_cmpstr(buf, ==, hello);
}

/* A VM that rewrites its partition's header cannot make readers hang or overrun. */
static void test_hostile(fixture *f, gconstpointer data)
{
    _Atomic uint32_t *h = raw_header(f, "vm2");
    char buf[64];
    size_t len = 0;
    gint64 t0;

    /* for ever "being written": a bounded number of tries, then -EAGAIN */
    h[0] = 7;
    t0 = g_get_monotonic_time();
    g_assert_cmpint(partition_read(&f->pa, "vm2", buf, sizeof(buf), &len), ==, -EAGAIN);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 5 * G_USEC_PER_SEC);

    /* a length beyond the memzone */
    h[0] = 8;
    h[1] = 16384 - PARTITION_HEADER_SIZE + 1;
    g_assert_cmpint(partition_read(&f->pa, "vm2", buf, sizeof(buf), &len), ==, -IVSHARE_ECORRUPT);
    h[1] = UINT32_MAX;
    g_assert_cmpint(partition_read(&f->pa, "vm2", buf, sizeof(buf), &len), ==, -IVSHARE_ECORRUPT);

    /* the owner's counter lives in its handle: scribbles do not steer it */
    h[0] = 1000;
    g_assert_cmpint(partition_write(&f->pb, "ok", 2), ==, 0);
    g_assert_cmpuint(h[0], ==, 2);
    g_assert_cmpint(partition_read(&f->pa, "vm2", buf, sizeof(buf), &len), ==, 0);
    g_assert_cmpuint(len, ==, 2);
    g_assert_cmpmem(buf, 2, "ok", 2);
}

/* Fill peer table entry @id by hand, as ivshared does. */
static void set_peer(fixture *f, unsigned id, uint32_t kind, const char *name, uint32_t seq)
{
    const struct ivshare_header *hdr = f->mem;
    struct ivshare_peer *peer = (struct ivshare_peer *)((char *)f->mem + hdr->peer_offset) + id;

    g_assert_cmpuint(id, <, hdr->peer_count);
    peer->id = id;
    peer->kind = kind;
    peer->vectors = 1;
    g_strlcpy(peer->name, name, sizeof(peer->name));
    peer->seq = seq;
}

static void test_peer_id(fixture *f, gconstpointer data)
{
    char buf[64];
    size_t len = 0;

    set_peer(f, 3, IVSHARE_PEER_DOMAIN, "vm2", 2);
    set_peer(f, 5, IVSHARE_PEER_HOST_APP, "relay", 2);
    set_peer(f, 6, IVSHARE_PEER_DOMAIN, "vm1", 3);
    g_assert_cmpint(partition_write(&f->pb, "by id", 5), ==, 0);

    g_assert_cmpint(partition_read(&f->pa, "#3", buf, sizeof(buf), &len), ==, 0);
    g_assert_cmpmem(buf, len, "by id", 5);
    /* a free entry, a peer without a partition, past the table, not a number */
    g_assert_cmpint(partition_read(&f->pa, "#4", buf, sizeof(buf), &len), ==, -ENOENT);
    g_assert_cmpint(partition_read(&f->pa, "#5", buf, sizeof(buf), &len), ==, -ENOENT);
    g_assert_cmpint(partition_read(&f->pa, "#65535", buf, sizeof(buf), &len), ==, -ENOENT);
    g_assert_cmpint(partition_read(&f->pa, "#70000", buf, sizeof(buf), &len), ==, -ENOENT);
    g_assert_cmpint(partition_read(&f->pa, "#", buf, sizeof(buf), &len), ==, -ENOENT);
    g_assert_cmpint(partition_read(&f->pa, "#3x", buf, sizeof(buf), &len), ==, -ENOENT);
    g_assert_cmpint(partition_read(&f->pa, "#-3", buf, sizeof(buf), &len), ==, -ENOENT);
    /* an entry ivshared never finishes rewriting */
    g_assert_cmpint(partition_read(&f->pa, "#6", buf, sizeof(buf), &len), ==, -EAGAIN);
}

/* Version @v: its number, then bytes all equal to it, of a length that varies. */
static size_t version_fill(uint32_t v, uint8_t *buf)
{
    size_t len = 8 + (v * 97u) % 8000;

    memcpy(buf, &v, sizeof(v));
    memset(buf + sizeof(v), (int)(v & 0xff), len - sizeof(v));
    return len;
}

#define TEST_VERSIONS 20000u

static gpointer writer(gpointer data)
{
    partition *p = data;
    static uint8_t buf[8192];

    for (uint32_t v = 1; v <= TEST_VERSIONS; v++) {
        g_assert_cmpint(partition_write(p, buf, version_fill(v, buf)), ==, 0);
        /* let readers in between some versions, as a real owner would */
        if (v % 16 == 0)
            g_usleep(20);
    }
    partition_shutdown(p);
    return NULL;
}

/* A reader racing the writer only ever sees whole versions. */
static void test_concurrent(fixture *f, gconstpointer data)
{
    static uint8_t buf[8192], want[8192];
    guint64 whole = 0, busy = 0, torn = 0;
    uint32_t last = 0;
    GThread *t = g_thread_new("writer", writer, &f->pa);
    int rc;

    do {
        size_t len = 0;
        uint32_t v;

        rc = partition_read(&f->pb, "vm1", buf, sizeof(buf), &len);
        if (rc == -ENODATA || rc == -EAGAIN) {
            busy++;
            continue;
        }
        g_assert_cmpint(rc, >=, 0);
        memcpy(&v, buf, sizeof(v));
        if (v < 1 || v > TEST_VERSIONS || v < last || version_fill(v, want) != len ||
            memcmp(want, buf, len) != 0)
            torn++;
        last = v;
        whole++;
    } while (rc != PARTITION_CLOSED);
    g_thread_join(t);
    g_test_message("%" G_GUINT64_FORMAT " whole snapshots, %" G_GUINT64_FORMAT
                   " reads during a write, %" G_GUINT64_FORMAT " torn", whole, busy, torn);
    g_assert_cmpuint(torn, ==, 0);
    g_assert_cmpuint(last, ==, TEST_VERSIONS);
    /* the reader did meet the writer: more than the final version */
    g_assert_cmpuint(whole, >, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, fixture, NULL, setup, fn, teardown)
    ADD("/partition/init", test_init);
    ADD("/partition/write-read", test_write_read);
    ADD("/partition/hostile", test_hostile);
    ADD("/partition/peer-id", test_peer_id);
    ADD("/partition/concurrent", test_concurrent);
#undef ADD
    return g_test_run();
}
