/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-doorbell.c: the peer table, doorbell counters and the BAR0 register. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers.h"

static struct ivshare_peer *peer_entry(void *mem, unsigned i)
{
    struct ivshare_header *h = mem;
    return (struct ivshare_peer *)((char *)mem + h->peer_offset) + i;
}

/* Fill entry @i as ivshared does (seq even when done). */
static void peer_write(void *mem, unsigned i, uint32_t kind, const char *name)
{
    struct ivshare_peer *e = peer_entry(mem, i);

    e->id = i;
    e->kind = kind;
    e->vectors = 2;
    memset(e->name, 0, sizeof(e->name));
    g_strlcpy(e->name, name, sizeof(e->name));
    e->seq += 2;
}

static void test_peer_lookup(void)
{
    test_region t;
    ivshare_region *r;
    unsigned peer = 999;

    test_region_init(&t);
    peer_write(t.mem, 0, IVSHARE_PEER_HOST_APP, "pktgen");
    peer_write(t.mem, 1, IVSHARE_PEER_DOMAIN, "vm1");
    peer_write(t.mem, 2, IVSHARE_PEER_DOMAIN, "vm2");
    peer_write(t.mem, 3, IVSHARE_PEER_FREE, "gone");
    peer_write(t.mem, 4, 77, "weird");
    peer_write(t.mem, 5, IVSHARE_PEER_DOMAIN, "vm5");
    memset(peer_entry(t.mem, 5)->name, 'x', IVSHARE_NAME_LEN);   /* unterminated */
    g_assert_cmpint(ivshare_mem_open(t.mem, t.size, &r), ==, 0);

    g_assert_cmpint(ivshare_peer_lookup(r, "pktgen", &peer), ==, 0);
    g_assert_cmpuint(peer, ==, 0);
    g_assert_cmpint(ivshare_peer_lookup(r, "vm2", &peer), ==, 0);
    g_assert_cmpuint(peer, ==, 2);
    g_assert_cmpint(ivshare_peer_lookup(r, "gone", &peer), ==, -ENOENT);
    g_assert_cmpint(ivshare_peer_lookup(r, "weird", &peer), ==, -ENOENT);
    g_assert_cmpint(ivshare_peer_lookup(r, "vm9", &peer), ==, -ENOENT);
    /* an entry forever being written: the lookup gives up, it does not hang */
    peer_entry(t.mem, 1)->seq = 7;
    g_assert_cmpint(ivshare_peer_lookup(r, "vm1", &peer), ==, -EAGAIN);
    g_assert_cmpint(ivshare_peer_lookup(r, "vm2", &peer), ==, 0);
    peer_entry(t.mem, 1)->seq = 8;
    g_assert_cmpint(ivshare_peer_lookup(r, "vm1", &peer), ==, 0);
    g_assert_cmpuint(peer, ==, 1);

    /* the host has no BAR0: ringing bumps the counter of a known peer */
    g_assert_cmpint(ivshare_doorbell_ring(r, 1, 1), ==, 0);
    g_assert_cmpuint(peer_entry(t.mem, 1)->bells[1], ==, 1);
    g_assert_cmpint(ivshare_doorbell_ring(r, 3, 0), ==, -ENOENT);
    g_assert_cmpint(ivshare_doorbell_ring(r, 1, IVSHARE_MAX_VECTORS), ==, -EINVAL);
    g_assert_cmpint(ivshare_doorbell_wait(r, 0, 0), ==, -ENOTSUP);
    g_assert_cmpint(ivshare_doorbell_join(r, NULL), ==, -EINVAL);
    ivshare_close(r);
    test_region_clear(&t);
}

typedef struct {
    char *root;
    char *resource2;
    char *resource0;
} fixture;

/* One ivshmem device whose BAR0 says we are peer 2. */
static void fixture_setup(fixture *f, gconstpointer data)
{
    g_autofree char *dir = NULL, *v = NULL, *d = NULL;
    guint8 bar0[256] = { 0 };
    guint32 me = 2;
    test_region t;
    int fd;

    f->root = g_dir_make_tmp("ivshare-sysfs-XXXXXX", NULL);
    dir = g_build_filename(f->root, "0000:00:04.0", NULL);
    g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
    v = g_build_filename(dir, "vendor", NULL);
    d = g_build_filename(dir, "device", NULL);
    g_assert_true(g_file_set_contents(v, "0x1af4\n", -1, NULL));
    g_assert_true(g_file_set_contents(d, "0x1110\n", -1, NULL));
    f->resource0 = g_build_filename(dir, "resource0", NULL);
    memcpy(bar0 + 8, &me, 4);
    g_assert_true(g_file_set_contents(f->resource0, (char *)bar0, sizeof(bar0), NULL));

    test_region_init_named(&t, "fastpath");
    peer_write(t.mem, 0, IVSHARE_PEER_HOST_APP, "pktgen");
    peer_write(t.mem, 2, IVSHARE_PEER_DOMAIN, "vm1");
    peer_entry(t.mem, 2)->bells[0] = 41;       /* rung before we opened */
    f->resource2 = g_build_filename(dir, "resource2", NULL);
    fd = g_open(f->resource2, O_RDWR | O_CREAT | O_TRUNC, 0600);
    g_assert_cmpint(write(fd, t.mem, t.size), ==, (ssize_t)t.size);
    close(fd);
    test_region_clear(&t);
    g_setenv("IVSHARE_SYSFS_PCI", f->root, TRUE);
}

static void fixture_teardown(fixture *f, gconstpointer data)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->root);

    g_assert_cmpint(system(cmd), ==, 0);
    g_unsetenv("IVSHARE_SYSFS_PCI");
    g_free(f->root);
    g_free(f->resource0);
    g_free(f->resource2);
}

typedef struct {
    ivshare_region *r;
    unsigned peer, vector;
} ringer;

static gpointer ring_later(gpointer data)
{
    ringer *x = data;

    g_usleep(50000);
    g_assert_cmpint(ivshare_doorbell_ring(x->r, x->peer, x->vector), ==, 0);
    return NULL;
}

static void test_guest_doorbell(fixture *f, gconstpointer data)
{
    ivshare_region *r, *host;
    g_autofree char *bar0 = NULL;
    gsize len;
    guint32 reg;
    unsigned peer;
    ringer x;
    GThread *t;

    g_assert_cmpint(ivshare_guest_open("fastpath", &r), ==, 0);
    g_assert_cmpint(ivshare_path_open(f->resource2, &host), ==, 0);

    /* guest to host: counter of peer 0, then the BAR0 Doorbell register */
    g_assert_cmpint(ivshare_peer_lookup(r, "pktgen", &peer), ==, 0);
    g_assert_cmpint(ivshare_doorbell_ring(r, peer, 1), ==, 0);
    g_assert_true(g_file_get_contents(f->resource0, &bar0, &len, NULL));
    memcpy(&reg, bar0 + 12, 4);
    g_assert_cmphex(reg, ==, (0u << 16) | 1);
    /* a peer the table does not know is still rung through BAR0 */
    g_assert_cmpint(ivshare_doorbell_ring(r, 9, 0), ==, 0);

    /* host to guest: the guest polls its own counters */
    g_assert_cmpint(ivshare_doorbell_wait(r, 0, 0), ==, -ETIMEDOUT);
    g_assert_cmpint(ivshare_doorbell_wait(r, 0, 20), ==, -ETIMEDOUT);
    g_assert_cmpint(ivshare_doorbell_ring(host, 2, 0), ==, 0);
    g_assert_cmpint(ivshare_doorbell_ring(host, 2, 0), ==, 0);
    g_assert_cmpint(ivshare_doorbell_wait(r, 1, 0), ==, -ETIMEDOUT);
    g_assert_cmpint(ivshare_doorbell_wait(r, 0, 0), ==, 0);        /* both rings, once */
    g_assert_cmpint(ivshare_doorbell_wait(r, 0, 0), ==, -ETIMEDOUT);

    x = (ringer){ host, 2, 1 };
    t = g_thread_new("ringer", ring_later, &x);
    g_assert_cmpint(ivshare_doorbell_wait(r, 1, -1), ==, 0);
    g_thread_join(t);
    x.vector = 0;
    t = g_thread_new("ringer", ring_later, &x);
    g_assert_cmpint(ivshare_doorbell_wait(r, 0, 10000), ==, 0);
    g_thread_join(t);
    ivshare_close(host);
    ivshare_close(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/core/doorbell/peer-lookup", test_peer_lookup);
    g_test_add("/core/doorbell/guest", fixture, NULL, fixture_setup, test_guest_doorbell, fixture_teardown);
    return g_test_run();
}
