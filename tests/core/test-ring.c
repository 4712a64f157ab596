/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-ring.c: ring messages, limits, bursts and concurrent producers/consumers. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "helpers.h"

typedef struct {
    test_region t;
    ivshare_region *r;
} fixture;

static void fixture_setup(fixture *f, gconstpointer data)
{
    test_region_init(&f->t);
    g_assert_cmpint(ivshare_mem_open(f->t.mem, f->t.size, &f->r), ==, 0);
}

static void fixture_teardown(fixture *f, gconstpointer data)
{
    ivshare_close(f->r);
    test_region_clear(&f->t);
}

static ivshare_ring *ring(fixture *f, const char *name)
{
    ivshare_ring *q = NULL;

    g_assert_cmpint(ivshare_ring_lookup(f->r, name, &q), ==, 0);
    return q;
}

static void test_basic(fixture *f, gconstpointer data)
{
    ivshare_ring *q = ring(f, data);
    char buf[64], big[65] = { 0 };
    size_t len = 999;

    g_assert_cmpint(ivshare_ring_dequeue(q, buf, sizeof(buf), &len), ==, -EAGAIN);
    g_assert_cmpint(ivshare_ring_enqueue(q, "hello", 5), ==, 0);
    g_assert_cmpint(ivshare_ring_enqueue(q, "", 0), ==, 0);
    g_assert_cmpint(ivshare_ring_enqueue(q, big, 64), ==, 0);
    g_assert_cmpint(ivshare_ring_enqueue(q, big, 65), ==, -EMSGSIZE);
    g_assert_cmpuint(ivshare_ring_count(q), ==, 3);

    /* a buffer too small leaves the message queued */
    g_assert_cmpint(ivshare_ring_dequeue(q, buf, 4, &len), ==, -EMSGSIZE);
    g_assert_cmpint(ivshare_ring_dequeue(q, buf, 5, &len), ==, 0);
    g_assert_cmpmem(buf, len, "hello", 5);
    g_assert_cmpint(ivshare_ring_dequeue(q, NULL, 0, &len), ==, 0);
    g_assert_cmpuint(len, ==, 0);
    g_assert_cmpint(ivshare_ring_dequeue(q, buf, 63, &len), ==, -EMSGSIZE);
    g_assert_cmpint(ivshare_ring_dequeue(q, buf, sizeof(buf), &len), ==, 0);
    g_assert_cmpmem(buf, len, big, 64);
    g_assert_cmpint(ivshare_ring_dequeue(q, buf, sizeof(buf), &len), ==, -EAGAIN);
    g_assert_cmpuint(ivshare_ring_count(q), ==, 0);
}

static void test_full_and_wrap(fixture *f, gconstpointer data)
{
    ivshare_ring *q = ring(f, TEST_RING_TINY);
    uint32_t v, out;
    size_t len;

    for (v = 0; v < 4; v++)
        g_assert_cmpint(ivshare_ring_enqueue(q, &v, sizeof(v)), ==, 0);
    g_assert_cmpint(ivshare_ring_enqueue(q, &v, sizeof(v)), ==, -EAGAIN);
    g_assert_cmpuint(ivshare_ring_count(q), ==, 4);

    /* thousands of laps, one message in, one out, in order */
    for (uint32_t i = 0; i < 10000; i++) {
        g_assert_cmpint(ivshare_ring_dequeue(q, &out, sizeof(out), &len), ==, 0);
        g_assert_cmpuint(len, ==, sizeof(out));
        g_assert_cmpuint(out, ==, i);
        g_assert_cmpint(ivshare_ring_enqueue(q, &v, sizeof(v)), ==, 0);
        v++;
        g_assert_cmpuint(ivshare_ring_count(q), ==, 4);
    }
}

static void test_burst(fixture *f, gconstpointer data)
{
    ivshare_ring *q = ring(f, data);
    unsigned cap = ivshare_ring_capacity(q) > 8 ? 8 : ivshare_ring_capacity(q);
    char in[10][16], out[10][16];
    const void *msgs[10];
    void *bufs[10];
    size_t lens[10], outlens[10];

    for (unsigned i = 0; i < 10; i++) {
        g_snprintf(in[i], sizeof(in[i]), "message %u", i);
        msgs[i] = in[i];
        lens[i] = strlen(in[i]);
        bufs[i] = out[i];
    }
    if (cap < 8) {
        g_assert_cmpuint(ivshare_ring_enqueue_burst(q, msgs, lens, 10), ==, cap);
    } else {
        g_assert_cmpuint(ivshare_ring_enqueue_burst(q, msgs, lens, 6), ==, 6);
        g_assert_cmpuint(ivshare_ring_enqueue_burst(q, msgs + 6, lens + 6, 2), ==, 2);
    }
    g_assert_cmpuint(ivshare_ring_dequeue_burst(q, bufs, 16, outlens, 3), ==, 3);
    g_assert_cmpuint(ivshare_ring_dequeue_burst(q, bufs + 3, 16, outlens + 3, 10), ==, cap - 3);
    for (unsigned i = 0; i < cap; i++)
        g_assert_cmpmem(out[i], outlens[i], in[i], lens[i]);
    g_assert_cmpuint(ivshare_ring_dequeue_burst(q, bufs, 16, outlens, 10), ==, 0);
    /* a burst stops at the first message that does not fit */
    lens[1] = ivshare_ring_slot_size(q) + 1;   /* refused before it is read */
    g_assert_cmpuint(ivshare_ring_enqueue_burst(q, msgs, lens, 3), ==, 1);
    g_assert_cmpuint(ivshare_ring_dequeue_burst(q, bufs, 16, outlens, 10), ==, 1);

    /* and at the first message too long for the buffers; it stays queued */
    if (cap >= 3) {
        size_t three[3] = { 1, 10, 1 };
        const void *abc[3] = { "a", "bbbbbbbbbb", "c" };
        g_assert_cmpuint(ivshare_ring_enqueue_burst(q, abc, three, 3), ==, 3);
        g_assert_cmpuint(ivshare_ring_dequeue_burst(q, bufs, 5, outlens, 10), ==, 1);
        g_assert_cmpmem(out[0], outlens[0], "a", 1);
        g_assert_cmpuint(ivshare_ring_dequeue_burst(q, bufs, 5, outlens, 10), ==, 0);
        g_assert_cmpuint(ivshare_ring_dequeue_burst(q, bufs, 10, outlens, 10), ==, 2);
        g_assert_cmpmem(out[0], outlens[0], "bbbbbbbbbb", 10);
        g_assert_cmpmem(out[1], outlens[1], "c", 1);
    }
    g_assert_cmpuint(ivshare_ring_count(q), ==, 0);
}

/*
 * A single producer or consumer that dies between publishing a slot and
 * storing its position does not wedge the ring for its successor.
 */
static void test_successor(fixture *f, gconstpointer data)
{
    const ivshare_layout_object *o = &f->t.objects[1];     /* spsc */
    guint8 *shared = (guint8 *)f->t.mem + o->offset;
    guint32 pos, v, out;
    ivshare_region *r2;
    ivshare_ring *q = ring(f, TEST_RING_SPSC), *q2;
    size_t len;

    for (v = 0; v < 3; v++)
        g_assert_cmpint(ivshare_ring_enqueue(q, &v, sizeof(v)), ==, 0);
    g_assert_cmpint(ivshare_ring_dequeue(q, &out, sizeof(out), &len), ==, 0);
    g_assert_cmpint(ivshare_ring_dequeue(q, &out, sizeof(out), &len), ==, 0);
    /* both positions one behind, as if each side died at the wrong moment */
    pos = 2;
    memcpy(shared, &pos, 4);
    pos = 1;
    memcpy(shared + 128, &pos, 4);

    g_assert_cmpint(ivshare_mem_open(f->t.mem, f->t.size, &r2), ==, 0);
    g_assert_cmpint(ivshare_ring_lookup(r2, TEST_RING_SPSC, &q2), ==, 0);
    g_assert_cmpint(ivshare_ring_enqueue(q2, &v, sizeof(v)), ==, 0);
    g_assert_cmpint(ivshare_ring_dequeue(q2, &out, sizeof(out), &len), ==, 0);
    g_assert_cmpuint(out, ==, 2);
    g_assert_cmpint(ivshare_ring_dequeue(q2, &out, sizeof(out), &len), ==, 0);
    g_assert_cmpuint(out, ==, 3);
    g_assert_cmpint(ivshare_ring_dequeue(q2, &out, sizeof(out), &len), ==, -EAGAIN);
    ivshare_close(r2);
}

/* Concurrent producers and consumers ---------------------------------------- */

#define MSG_MAX 64
/* A side that makes no progress for this long counts as a failure. */
#define STALL_US (10 * G_USEC_PER_SEC)

typedef struct {
    ivshare_ring *q;
    gboolean burst;                /* move up to 8 messages per call */
    unsigned producers;
    unsigned per_producer;
    guint8 *seen;                  /* producers x per_producer */
    gint received;                 /* messages taken, all consumers */
    gint errors;
} stress;

typedef struct {
    stress *s;
    unsigned id;
} worker;

/* A message: producer id, sequence number, then a pattern of both. */
static size_t msg_fill(guint8 *m, unsigned producer, unsigned seq)
{
    size_t len = 8 + (seq * 7 + producer) % (MSG_MAX - 8 + 1);

    memcpy(m, &producer, 4);
    memcpy(m + 4, &seq, 4);
    for (size_t i = 8; i < len; i++)
        m[i] = (guint8)(producer * 31 + seq + i);
    return len;
}

static gpointer producer_main(gpointer data)
{
    worker *w = data;
    guint8 m[8][MSG_MAX];
    const void *msgs[8];
    size_t lens[8];
    GRand *rand = g_rand_new_with_seed(w->id);

    for (unsigned seq = 0; seq < w->s->per_producer; ) {
        unsigned n = w->s->burst ? (unsigned)g_rand_int_range(rand, 1, 9) : 1;
        gint64 since = g_get_monotonic_time();
        unsigned done = 0;

        n = MIN(n, w->s->per_producer - seq);
        for (unsigned i = 0; i < n; i++) {
            lens[i] = msg_fill(m[i], w->id, seq + i);
            msgs[i] = m[i];
        }
        while (done < n && g_get_monotonic_time() - since < STALL_US) {
            unsigned k;

            if (w->s->burst)
                k = ivshare_ring_enqueue_burst(w->s->q, msgs + done, lens + done, n - done);
            else
                k = ivshare_ring_enqueue(w->s->q, msgs[0], lens[0]) == 0;
            if (k == 0)
                g_thread_yield();
            done += k;
        }
        if (done < n) {
            g_atomic_int_inc(&w->s->errors);
            break;
        }
        seq += n;
    }
    g_rand_free(rand);
    return NULL;
}

/* Check one received message. */
static void consume_one(stress *s, gint64 *last, const guint8 *m, size_t len)
{
    guint8 want[MSG_MAX];
    unsigned producer, seq;

    g_atomic_int_inc(&s->received);
    if (len < 8) {
        g_atomic_int_inc(&s->errors);
        return;
    }
    memcpy(&producer, m, 4);
    memcpy(&seq, m + 4, 4);
    if (producer >= s->producers || seq >= s->per_producer ||
        (gint64)seq <= last[producer] ||
        len != msg_fill(want, producer, seq) || memcmp(m, want, len) != 0 ||
        s->seen[producer * s->per_producer + seq]++) {
        g_atomic_int_inc(&s->errors);
        return;
    }
    last[producer] = seq;       /* in order per producer */
}

static gpointer consumer_main(gpointer data)
{
    worker *w = data;
    stress *s = w->s;
    unsigned total = s->producers * s->per_producer;
    gint64 *last = g_new(gint64, s->producers);
    guint8 m[8][MSG_MAX];
    void *bufs[8];
    size_t lens[8];
    gint64 progress = g_get_monotonic_time();

    for (unsigned i = 0; i < 8; i++)
        bufs[i] = m[i];
    for (unsigned p = 0; p < s->producers; p++)
        last[p] = -1;
    while ((unsigned)g_atomic_int_get(&s->received) < total &&
           g_get_monotonic_time() - progress < STALL_US) {
        unsigned k;

        if (s->burst) {
            k = ivshare_ring_dequeue_burst(s->q, bufs, MSG_MAX, lens, 8);
        } else {
            int rc = ivshare_ring_dequeue(s->q, m[0], MSG_MAX, &lens[0]);
            if (rc != 0 && rc != -EAGAIN)
                g_atomic_int_inc(&s->errors);
            k = rc == 0;
        }
        if (k == 0) {
            g_thread_yield();
            continue;
        }
        progress = g_get_monotonic_time();
        for (unsigned i = 0; i < k; i++)
            consume_one(s, last, m[i], lens[i]);
    }
    g_free(last);
    return NULL;
}

static void run_stress(ivshare_ring *q, gboolean burst, unsigned producers,
                       unsigned consumers, unsigned per_producer)
{
    stress s = { .q = q, .burst = burst, .producers = producers, .per_producer = per_producer };
    GThread *threads[16];
    worker w[16];
    unsigned n = 0;

    s.seen = g_malloc0((size_t)producers * per_producer);
    for (unsigned i = 0; i < consumers; i++, n++) {
        w[n] = (worker){ &s, i };
        threads[n] = g_thread_new("consumer", consumer_main, &w[n]);
    }
    for (unsigned i = 0; i < producers; i++, n++) {
        w[n] = (worker){ &s, i };
        threads[n] = g_thread_new("producer", producer_main, &w[n]);
    }
    for (unsigned i = 0; i < n; i++)
        g_thread_join(threads[i]);

    g_assert_cmpint(s.errors, ==, 0);
    g_assert_cmpint(s.received, ==, (gint)(producers * per_producer));
    for (size_t i = 0; i < (size_t)producers * per_producer; i++)
        g_assert_cmpuint(s.seen[i], ==, 1);
    g_assert_cmpuint(ivshare_ring_count(q), ==, 0);
    g_free(s.seen);
}

typedef struct {
    const char *name;
    uint32_t flags;
    unsigned producers, consumers;
    gboolean burst;
} mode;

static const mode modes[] = {
    { "spsc", 0, 1, 1, FALSE },
    { "mpsc", IVSHARE_RING_MULTI_PRODUCER, 4, 1, FALSE },
    { "spmc", IVSHARE_RING_MULTI_CONSUMER, 1, 3, FALSE },
    { "mpmc", IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER, 4, 3, FALSE },
    { "spsc-burst", 0, 1, 1, TRUE },
    { "mpsc-burst", IVSHARE_RING_MULTI_PRODUCER, 4, 1, TRUE },
    { "spmc-burst", IVSHARE_RING_MULTI_CONSUMER, 1, 3, TRUE },
    { "mpmc-burst", IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER, 4, 3, TRUE },
};

static void test_threads(gconstpointer data)
{
    const mode *m = data;
    ivshare_layout_object o[2];
    ivshare_layout l = { .objects = o, .n_objects = 2 };
    ivshare_region *r;
    ivshare_ring *q;
    size_t size;
    void *mem;
    unsigned per_producer = g_test_slow() ? 1000000 : 200000;

    /* a roomy ring, and one of 8 slots so that it is mostly full or empty */
    test_object_ring(&o[0], "big", 1024, MSG_MAX, m->flags);
    test_object_ring(&o[1], "small", 8, MSG_MAX, m->flags);
    mem = test_format(&l, "threads", &size);
    g_assert_cmpint(ivshare_mem_open(mem, size, &r), ==, 0);
    g_assert_cmpint(ivshare_ring_lookup(r, "big", &q), ==, 0);
    run_stress(q, m->burst, m->producers, m->consumers, per_producer / m->producers);
    g_assert_cmpint(ivshare_ring_lookup(r, "small", &q), ==, 0);
    run_stress(q, m->burst, m->producers, m->consumers, per_producer / 4 / m->producers);
    ivshare_close(r);
    g_assert_cmpint(munmap(mem, size), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/core/ring/basic/spsc", fixture, TEST_RING_SPSC, fixture_setup, test_basic, fixture_teardown);
    g_test_add("/core/ring/basic/mpmc", fixture, TEST_RING_MPMC, fixture_setup, test_basic, fixture_teardown);
    g_test_add("/core/ring/full-and-wrap", fixture, NULL, fixture_setup, test_full_and_wrap, fixture_teardown);
    g_test_add("/core/ring/successor", fixture, NULL, fixture_setup, test_successor, fixture_teardown);
    g_test_add("/core/ring/burst/spsc", fixture, TEST_RING_SPSC, fixture_setup, test_burst, fixture_teardown);
    g_test_add("/core/ring/burst/mpmc", fixture, TEST_RING_MPMC, fixture_setup, test_burst, fixture_teardown);
    g_test_add("/core/ring/burst/tiny", fixture, TEST_RING_TINY, fixture_setup, test_burst, fixture_teardown);
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        g_autofree char *path = g_strdup_printf("/core/ring/threads/%s", modes[i].name);
        g_test_add_data_func(path, &modes[i], test_threads);
    }
    return g_test_run();
}
