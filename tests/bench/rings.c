/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rings.c: the processes that drive ivshare's rings and pools. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define SEQ_MASK ((UINT64_C(1) << 56) - 1)

static inline void
put_u64(void *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}

static inline uint64_t
get_u64(const void *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static int
ring_produce(bench_proc *p, ivshare_ring *q, const bench_ring_params *rp)
{
    _Alignas(BENCH_LINE) uint8_t msgs[BENCH_MAX_BURST][64];
    const void *ptrs[BENCH_MAX_BURST];
    size_t lens[BENCH_MAX_BURST];
    bench_report *rep = &p->ctl->report[p->index];
    const uint64_t tag = (uint64_t)p->index << 56;
    uint64_t seq = 0;
    unsigned spins = 0;

    memset(msgs, 0, sizeof(msgs));
    for (unsigned i = 0; i < BENCH_MAX_BURST; i++) {
        ptrs[i] = msgs[i];
        lens[i] = rp->msg_size;
    }
    rep->t_start = bench_now_ns();
    while (seq < rp->count) {
        uint64_t left = rp->count - seq;
        unsigned n = left < rp->burst ? (unsigned)left : rp->burst;
        unsigned done;

        for (unsigned i = 0; i < n; i++)
            put_u64(msgs[i], tag | (seq + i));
        if (rp->burst == 1)
            done = ivshare_ring_enqueue(q, msgs[0], rp->msg_size) == 0;
        else
            done = ivshare_ring_enqueue_burst(q, ptrs, lens, n);
        if (done) {
            seq += done;
            continue;
        }
        if (!bench_spin_ok(p, &spins))
            return -ETIMEDOUT;
        bench_relax(&spins, rp->yield);
    }
    rep->t_end = bench_now_ns();
    return 0;
}

/*
 * Dequeue until every message is in: SPSC counts its own, MPMC consumers
 * add theirs to a shared total whenever the ring runs empty.  Each
 * producer's sequence must arrive in order (gaps allowed with MPMC).
 */
static int
ring_consume(bench_proc *p, ivshare_ring *q, const bench_ring_params *rp)
{
    _Alignas(BENCH_LINE) uint8_t bufs[BENCH_MAX_BURST][64];
    void *ptrs[BENCH_MAX_BURST];
    size_t lens[BENCH_MAX_BURST];
    uint64_t next[BENCH_MAX_PROCS] = { 0 };
    bench_report *rep = &p->ctl->report[p->index];
    const uint64_t total = rp->count * rp->producers;
    const bool multi = rp->producers > 1;
    uint64_t got = 0, local = 0, errors = 0;
    unsigned spins = 0;

    for (unsigned i = 0; i < BENCH_MAX_BURST; i++)
        ptrs[i] = bufs[i];
    rep->t_start = bench_now_ns();
    for (;;) {
        unsigned done;

        if (rp->burst == 1)
            done = ivshare_ring_dequeue(q, bufs[0], sizeof(bufs[0]), &lens[0]) == 0;
        else
            done = ivshare_ring_dequeue_burst(q, ptrs, sizeof(bufs[0]), lens, rp->burst);
        for (unsigned i = 0; i < done; i++) {
            uint64_t v = get_u64(bufs[i]);
            unsigned who = (unsigned)(v >> 56);
            uint64_t seq = v & SEQ_MASK;

            if (who >= rp->producers || lens[i] != rp->msg_size ||
                seq < next[who] || (!multi && seq != next[who]))
                errors++;
            else
                next[who] = seq + 1;
        }
        got += done;
        local += done;
        if (done) {
            if (!multi && got >= total)
                break;
            continue;
        }
        if (multi) {
            uint64_t all = atomic_fetch_add(&p->ctl->consumed, local) + local;

            local = 0;
            if (all >= total)
                break;
        }
        if (!bench_spin_ok(p, &spins))
            return -ETIMEDOUT;
        bench_relax(&spins, rp->yield);
    }
    rep->t_end = bench_now_ns();
    rep->count = got;
    rep->errors = errors;
    return 0;
}

/* SPSC or MPMC throughput: the ring follows from the message size and producers. */
int
bench_ring_role(bench_proc *p)
{
    const bench_ring_params *rp = p->params;
    const char *name = rp->producers > 1 ? BENCH_RING_M8
                     : rp->msg_size > 8 ? BENCH_RING_S64 : BENCH_RING_S8;
    ivshare_ring *q;
    int rc;

    if ((rc = ivshare_ring_lookup(p->region, name, &q)) < 0)
        return rc;
    bench_barrier(p);
    if (p->index < rp->producers)
        return ring_produce(p, q, rp);
    return ring_consume(p, q, rp);
}

/* 64-byte ping-pong through two SPSC rings; process 0 keeps the samples. */
int
bench_pingpong_role(bench_proc *p)
{
    const bench_lat_params *lp = p->params;
    _Alignas(BENCH_LINE) uint8_t msg[64] = { 0 }, back[64];
    ivshare_ring *ping, *pong;
    uint64_t *ticks = NULL;
    unsigned spins = 0;
    size_t len;
    int rc;

    if ((rc = ivshare_ring_lookup(p->region, BENCH_RING_PING, &ping)) < 0 ||
        (rc = ivshare_ring_lookup(p->region, BENCH_RING_PONG, &pong)) < 0)
        return rc;
    if (p->index == 0 && !(ticks = calloc(lp->count, sizeof(*ticks))))
        return -ENOMEM;
    bench_barrier(p);

    for (uint64_t i = 0; i < lp->count; i++) {
        if (p->index == 0) {
            uint64_t t0 = bench_ticks();

            put_u64(msg, i);
            while (ivshare_ring_enqueue(ping, msg, sizeof(msg)) != 0)
                if (!bench_spin_ok(p, &spins))
                    goto timeout;
            while (ivshare_ring_dequeue(pong, back, sizeof(back), &len) != 0)
                if (!bench_spin_ok(p, &spins))
                    goto timeout;
            ticks[i] = bench_ticks() - t0;
            if (get_u64(back) != i)
                p->ctl->report[0].errors++;
        } else {
            while (ivshare_ring_dequeue(ping, back, sizeof(back), &len) != 0)
                if (!bench_spin_ok(p, &spins))
                    return -ETIMEDOUT;
            while (ivshare_ring_enqueue(pong, back, len) != 0)
                if (!bench_spin_ok(p, &spins))
                    return -ETIMEDOUT;
        }
    }
    if (p->index == 0) {
        rc = bench_latency_report(p, ticks, lp->count);
        free(ticks);
        return rc;
    }
    return 0;

timeout:
    free(ticks);
    return -ETIMEDOUT;
}

/* Pool get+put pairs in one process. */
int
bench_pool_role(bench_proc *p)
{
    const bench_lat_params *lp = p->params;
    bench_report *rep = &p->ctl->report[p->index];
    ivshare_pool *pool;
    uint64_t h;
    int rc;

    if ((rc = ivshare_pool_lookup(p->region, BENCH_POOL_SMALL, &pool)) < 0)
        return rc;
    rep->t_start = bench_now_ns();
    for (uint64_t i = 0; i < lp->count; i++) {
        if (ivshare_pool_get(pool, &h) < 0 || ivshare_pool_put(pool, h) < 0) {
            rep->errors++;
            break;
        }
    }
    rep->t_end = bench_now_ns();
    rep->count = lp->count;
    return 0;
}
