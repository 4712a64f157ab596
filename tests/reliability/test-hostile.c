/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-hostile.c: a peer that rewrites shared memory WHILE this side
 * works on it.  tests/core/test-corrupt.c corrupts a region between
 * operations; here a second thread (or a second process) keeps flipping
 * header fields, object table entries, ring positions, slot sequence and
 * length words, pool state bytes, free-list entries and peer entries while
 * the honest side opens the region, looks objects up and runs ring, pool
 * and doorbell operations.  Every result must stay inside the region and
 * within its bounds, and every operation must return promptly.  The region
 * sits between two inaccessible pages, so a stray access faults even
 * without a sanitizer.
 *
 * IVSHARE_HOSTILE_TRIALS sets the number of thread trials (default 1200).
 */
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"
#include "helpers.h"

/* Any single operation taking longer than this counts as a hang. */
#define OP_LIMIT_US (2 * G_USEC_PER_SEC)
#define OPS_PER_TRIAL 300

typedef enum {
    TARGET_HEADER,
    TARGET_TABLE,
    TARGET_POSITIONS,
    TARGET_SLOTS,
    TARGET_POOL,
    TARGET_PEERS,
    TARGET_ANYWHERE,
    TARGET_LAST
} target;

static const char *const target_names[TARGET_LAST] = {
    "header", "object table", "ring positions", "ring slots", "pool state", "peer table", "anywhere",
};

typedef struct {
    test_region pristine;
    guint8 *map;
    size_t map_len;
    guint8 *mem;              /* MAP_SHARED: a child process sees it too */
    size_t size;
    /* where the words of each target are */
    GArray *spans[TARGET_LAST]; /* pairs of (offset, length) */
} fixture;

typedef struct {
    guint64 ops;
    guint64 failed;           /* operations that returned an error */
    guint64 opened;
    guint64 refused;          /* opens refused while the header was flipped */
    gint64 slowest_us;
} tally;

static void
add_span(fixture *f, target t, guint64 offset, guint64 len)
{
    guint64 span[2] = { offset, len };

    g_array_append_vals(f->spans[t], span, 2);
}

static void
fixture_setup(fixture *f, gconstpointer data)
{
    const struct ivshare_header *h;
    long page = sysconf(_SC_PAGESIZE);

    test_region_init(&f->pristine);
    f->size = f->pristine.size;
    f->map_len = f->size + 2 * page;
    f->map = mmap(NULL, f->map_len, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert_true(f->map != MAP_FAILED);
    f->mem = f->map + page;
    g_assert_cmpint(mprotect(f->mem, f->size, PROT_READ | PROT_WRITE), ==, 0);
    memcpy(f->mem, f->pristine.mem, f->size);

    h = (const struct ivshare_header *)f->pristine.mem;
    for (int t = 0; t < TARGET_LAST; t++)
        f->spans[t] = g_array_new(FALSE, FALSE, sizeof(guint64));
    add_span(f, TARGET_HEADER, 0, sizeof(*h));
    add_span(f, TARGET_TABLE, h->object_offset, (guint64)h->object_count * sizeof(struct ivshare_object));
    add_span(f, TARGET_PEERS, h->peer_offset, (guint64)h->peer_count * sizeof(struct ivshare_peer));
    add_span(f, TARGET_ANYWHERE, 0, f->size);
    for (unsigned i = 0; i < f->pristine.layout.n_objects; i++) {
        const ivshare_layout_object *o = &f->pristine.objects[i];
        ivshare_pool_geometry g;

        if (o->type == IVSHARE_OBJECT_RING) {
            add_span(f, TARGET_POSITIONS, o->offset, 4);
            add_span(f, TARGET_POSITIONS, o->offset + 128, 4);
            add_span(f, TARGET_SLOTS, o->offset + IVSHARE_RING_HEAD_SIZE,
                     MIN(o->size - IVSHARE_RING_HEAD_SIZE, 64 * 1024));
        } else if (o->type == IVSHARE_OBJECT_POOL) {
            g_assert_true(ivshare_pool_geometry_compute(o->param1, o->param0, &g));
            add_span(f, TARGET_POOL, o->offset, 4);                       /* unlisted count */
            add_span(f, TARGET_POOL, o->offset + g.ring_offset, 4);       /* free list positions */
            add_span(f, TARGET_POOL, o->offset + g.ring_offset + 128, 4);
            add_span(f, TARGET_POOL, o->offset + g.ring_offset + IVSHARE_RING_HEAD_SIZE,
                     g.state_offset - g.ring_offset - IVSHARE_RING_HEAD_SIZE); /* free list slots */
            add_span(f, TARGET_POOL, o->offset + g.state_offset, o->param1); /* state bytes */
        }
    }
}

static void
fixture_teardown(fixture *f, gconstpointer data)
{
    for (int t = 0; t < TARGET_LAST; t++)
        g_array_unref(f->spans[t]);
    munmap(f->map, f->map_len);
    test_region_clear(&f->pristine);
}

/* A value a hostile peer would pick for a word that held @old. */
static guint32
nasty(GRand *rand, guint32 old)
{
    switch (g_rand_int_range(rand, 0, 8)) {
    case 0: return 0;
    case 1: return UINT32_MAX;
    case 2: return old + 1;
    case 3: return old - 1;
    case 4: return old ^ (1u << g_rand_int_range(rand, 0, 32));
    case 5: return old + (guint32)g_rand_int_range(rand, 1, 1 << 16);
    case 6: return 0x80000000u;
    default: return g_rand_int(rand);
    }
}

/* One write of the hostile peer into target @t. */
static void
flip(fixture *f, GRand *rand, target t)
{
    GArray *spans = f->spans[t];
    guint k = (guint)g_rand_int_range(rand, 0, (gint32)(spans->len / 2)) * 2;
    guint64 off = g_array_index(spans, guint64, k), len = g_array_index(spans, guint64, k + 1);
    guint64 at = off + (len > 4 ? (guint64)g_rand_int_range(rand, 0, (gint32)MIN(len - 3, G_MAXINT32)) : 0);
    _Atomic guint32 *word = (_Atomic guint32 *)(f->mem + (at & ~3ull));

    if (t == TARGET_POOL && len > 4 && g_rand_boolean(rand)) {
        /* a state byte: free, unlisted, used or garbage */
        static const guint8 states[] = { IVSHARE_POOL_FREE, IVSHARE_POOL_UNLISTED, IVSHARE_POOL_USED, 0, 0xff };
        atomic_store_explicit((_Atomic guint8 *)(f->mem + at),
                              states[g_rand_int_range(rand, 0, G_N_ELEMENTS(states))],
                              memory_order_relaxed);
        return;
    }
    atomic_store_explicit(word, nasty(rand, atomic_load_explicit(word, memory_order_relaxed)),
                          memory_order_relaxed);
}

typedef struct {
    fixture *f;
    target t;
    guint32 seed;
    atomic_bool stop;
    _Atomic guint64 flips;
} flipper;

static gpointer
flipper_run(gpointer data)
{
    flipper *fl = data;
    g_autoptr(GRand) rand = g_rand_new_with_seed(fl->seed);

    while (!atomic_load(&fl->stop)) {
        flip(fl->f, rand, fl->t);
        atomic_fetch_add_explicit(&fl->flips, 1, memory_order_relaxed);
        if (g_rand_int_range(rand, 0, 64) == 0)
            g_thread_yield();
    }
    return NULL;
}

static gboolean
inside(const fixture *f, const void *p, size_t len)
{
    const guint8 *b = p;
    return b >= f->mem && len <= f->size && (size_t)(b - f->mem) <= f->size - len;
}

static void
op_done(tally *tl, gint64 t0)
{
    gint64 d = g_get_monotonic_time() - t0;

    if (d > tl->slowest_us)
        tl->slowest_us = d;
    g_assert_cmpint(d, <, OP_LIMIT_US);
    tl->ops++;
}

/* Time one operation. */
#define TIMED(tl, expr) \
    ({ gint64 t0_ = g_get_monotonic_time(); __typeof__(expr) r_ = (expr); op_done((tl), t0_); r_; })

/* The honest side: @n operations on the region while it is being rewritten. */
static void
honest(fixture *f, GRand *rand, tally *tl)
{
    static const char *const rings[] = { TEST_RING_SPSC, TEST_RING_MPMC, TEST_RING_TINY };
    guint8 msg[64], buf[4][64];
    uint64_t handles[64];
    unsigned n_handles = 0;
    ivshare_region *r = NULL;
    ivshare_pool *p = NULL;
    ivshare_ring *q[3] = { NULL };
    int rc;

    memset(msg, 0x5a, sizeof(msg));
    rc = TIMED(tl, ivshare_mem_open(f->mem, f->size, &r));
    if (rc < 0) {
        g_assert_true(rc == -IVSHARE_EBADREGION || rc == -IVSHARE_ENOTREADY || rc == -IVSHARE_EBADVERSION);
        tl->refused++;
        return;
    }
    tl->opened++;
    for (unsigned i = 0; i < 3; i++)
        if (TIMED(tl, ivshare_ring_lookup(r, rings[i], &q[i])) < 0)
            q[i] = NULL;
    if (TIMED(tl, ivshare_pool_lookup(r, TEST_POOL, &p)) < 0)
        p = NULL;

    for (unsigned i = 0; i < OPS_PER_TRIAL; i++) {
        ivshare_ring *ring = q[g_rand_int_range(rand, 0, 3)];
        size_t len = 0, lens[4];
        unsigned n;

        switch (g_rand_int_range(rand, 0, 10)) {
        case 0:
            if (!ring)
                break;
            len = (size_t)g_rand_int_range(rand, 0, 17);
            rc = TIMED(tl, ivshare_ring_enqueue(ring, msg, len));
            /* a table flipped before the open may have made the slots smaller */
            g_assert_true(rc == 0 || rc == -EAGAIN || rc == -IVSHARE_ECORRUPT ||
                          (rc == -EMSGSIZE && len > ivshare_ring_slot_size(ring)));
            tl->failed += rc != 0;
            break;
        case 1:
            if (!ring)
                break;
            rc = TIMED(tl, ivshare_ring_dequeue(ring, buf[0], sizeof(buf[0]), &len));
            g_assert_true(rc == 0 || rc == -EAGAIN || rc == -EMSGSIZE || rc == -IVSHARE_ECORRUPT);
            if (rc == 0)
                g_assert_cmpuint(len, <=, ivshare_ring_slot_size(ring));
            tl->failed += rc != 0;
            break;
        case 2:
            if (!ring)
                break;
            n = TIMED(tl, ivshare_ring_enqueue_burst(ring, (const void *const[]){ msg, msg, msg, msg },
                                                     (const size_t[]){ 1, 2, 3, 4 }, 4));
            g_assert_cmpuint(n, <=, 4);
            break;
        case 3:
            if (!ring)
                break;
            n = TIMED(tl, ivshare_ring_dequeue_burst(ring, (void *const[]){ buf[0], buf[1], buf[2], buf[3] },
                                                     16, lens, 4));
            g_assert_cmpuint(n, <=, 4);
            for (unsigned k = 0; k < n; k++)
                g_assert_cmpuint(lens[k], <=, 16);
            break;
        case 4:
            if (ring)
                g_assert_cmpuint(TIMED(tl, ivshare_ring_count(ring)), <=, ivshare_ring_capacity(ring));
            break;
        case 5:
            if (p && n_handles < G_N_ELEMENTS(handles)) {
                uint64_t h;
                rc = TIMED(tl, ivshare_pool_get(p, &h));
                g_assert_true(rc == 0 || rc == -ENOBUFS || rc == -IVSHARE_ECORRUPT || rc == -EAGAIN);
                if (rc == 0) {
                    size_t blen = 0;
                    void *b = ivshare_pool_buffer(p, h, &blen);
                    /* the state byte may already say otherwise: then NULL */
                    if (b) {
                        g_assert_true(inside(f, b, blen));
                        memset(b, 0xa5, blen);
                    }
                    handles[n_handles++] = h;
                }
                tl->failed += rc != 0;
            }
            break;
        case 6:
            if (p && n_handles > 0) {
                unsigned k = (unsigned)g_rand_int_range(rand, 0, (gint32)n_handles);
                rc = TIMED(tl, ivshare_pool_put(p, handles[k]));
                g_assert_true(rc == 0 || rc == -EINVAL || rc == -IVSHARE_ECORRUPT || rc == -EAGAIN);
                handles[k] = handles[--n_handles];
                tl->failed += rc != 0;
            }
            break;
        case 7:
            if (p) {
                size_t blen = 0;
                void *b = ivshare_pool_buffer(p, ((guint64)g_rand_int(rand) << 8) % f->size, &blen);
                if (b)
                    g_assert_true(inside(f, b, blen));
                g_assert_cmpuint(TIMED(tl, ivshare_pool_in_use(p)), <=, ivshare_pool_capacity(p));
            }
            break;
        case 8: {
            unsigned peer;
            rc = TIMED(tl, ivshare_peer_lookup(r, "vm1", &peer));
            g_assert_true(rc == 0 || rc == -ENOENT || rc == -EAGAIN);
            rc = TIMED(tl, ivshare_doorbell_ring(r, (unsigned)g_rand_int_range(rand, 0, 70), 0));
            g_assert_true(rc == 0 || rc == -ENOENT || rc == -EINVAL);
            break;
        }
        default: {
            void *z;
            size_t zlen;
            rc = TIMED(tl, ivshare_region_check(r));
            g_assert_true(rc == 0 || rc == -ESTALE || rc == -IVSHARE_EBADREGION);
            /* a table flipped before the open may name it otherwise */
            rc = ivshare_memzone_lookup(r, TEST_MEMZONE, &z, &zlen);
            g_assert_true(rc == 0 || rc == -ENOENT);
            if (rc == 0)
                g_assert_true(inside(f, z, zlen));
            break;
        }
        }
    }
    ivshare_close(r);
}

static guint
trials(void)
{
    const char *env = g_getenv("IVSHARE_HOSTILE_TRIALS");
    return env ? (guint)g_ascii_strtoull(env, NULL, 10) : 1200;
}

static void
report(const char *what, guint n, const tally *tl, const guint64 *per_target, guint64 flips, gint64 start)
{
    g_autoptr(GString) s = g_string_new(NULL);

    for (int t = 0; t < TARGET_LAST; t++)
        g_string_append_printf(s, "%s%s %" G_GUINT64_FORMAT, t ? ", " : "", target_names[t], per_target[t]);
    g_test_message("%s: %u trials in %.1f s (%s); %" G_GUINT64_FORMAT " flips; %" G_GUINT64_FORMAT
                   " opens, %" G_GUINT64_FORMAT " refused; %" G_GUINT64_FORMAT " operations, %"
                   G_GUINT64_FORMAT " returned an error; slowest operation %.3f ms",
                   what, n, (g_get_monotonic_time() - start) / 1e6, s->str, flips, tl->opened,
                   tl->refused, tl->ops, tl->failed, tl->slowest_us / 1e3);
}

/* A second thread flips one target while this one works. */
static void
test_thread(fixture *f, gconstpointer data)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(g_test_rand_int());
    guint n = trials();
    guint64 per_target[TARGET_LAST] = { 0 }, flips = 0;
    gint64 start = g_get_monotonic_time();
    tally tl = { 0 };

    for (guint i = 0; i < n; i++) {
        flipper fl = { .f = f, .t = (target)(i % TARGET_LAST), .seed = g_rand_int(rand) };
        GThread *th;

        memcpy(f->mem, f->pristine.mem, f->size);
        th = g_thread_new("hostile", flipper_run, &fl);
        /* the peer is at work before this side starts, and all along */
        while (atomic_load_explicit(&fl.flips, memory_order_relaxed) == 0)
            g_thread_yield();
        for (int round = 0; round < 4; round++)
            honest(f, rand, &tl);
        atomic_store(&fl.stop, true);
        g_thread_join(th);
        per_target[fl.t]++;
        flips += atomic_load(&fl.flips);
    }
    report("hostile thread", n, &tl, per_target, flips, start);
    g_assert_cmpuint(tl.opened, >, 0);
    g_assert_cmpuint(tl.refused, >, 0);
    g_assert_cmpuint(flips, >, n);
}

/* A second process flips, through the shared mapping. */
static void
test_process(fixture *f, gconstpointer data)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(g_test_rand_int());
    guint n = MAX(trials() / 6, 1);
    guint64 per_target[TARGET_LAST] = { 0 };
    gint64 start = g_get_monotonic_time();
    tally tl = { 0 };

    for (guint i = 0; i < n; i++) {
        target t = (target)(i % TARGET_LAST);
        guint32 seed = g_rand_int(rand);
        pid_t pid;
        int status;

        memcpy(f->mem, f->pristine.mem, f->size);
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
            GRand *child = g_rand_new_with_seed(seed);
            for (;;)
                flip(f, child, t);
        }
        /* the child's first flips are visible before this side starts */
        for (int spins = 0; spins < 100000 && memcmp(f->mem, f->pristine.mem, f->size) == 0; spins++)
            g_usleep(10);
        for (int round = 0; round < 4; round++)
            honest(f, rand, &tl);
        kill(pid, SIGKILL);
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        per_target[t]++;
    }
    report("hostile process", n, &tl, per_target, 0, start);
    g_assert_cmpuint(tl.opened, >, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/reliability/hostile/thread", fixture, NULL, fixture_setup, test_thread, fixture_teardown);
    g_test_add("/reliability/hostile/process", fixture, NULL, fixture_setup, test_process, fixture_teardown);
    return g_test_run();
}
