/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rte.c: the DPDK rte_ring anchors, initialised inside the benchmark region, no EAL. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "bench.h"

#ifdef BENCH_HAVE_DPDK

#include <rte_ring.h>
#include <rte_ring_elem.h>

#define SEQ_MASK ((UINT64_C(1) << 56) - 1)

static size_t
ring_stride(void)
{
    ssize_t sz = rte_ring_get_memsize_elem(64, BENCH_RING_SLOTS);

    return sz < 0 ? 0 : ((size_t)sz + 4095) & ~(size_t)4095;
}

bool
bench_rte_available(void)
{
    return true;
}

size_t
bench_rte_zone_size(void)
{
    return ring_stride() * BENCH_RTE_LAST;
}

static struct rte_ring *
ring_at(void *zone, bench_rte_ring which)
{
    return (struct rte_ring *)((char *)zone + ring_stride() * which);
}

int
bench_rte_init(void *zone, size_t len)
{
    static const char *const names[BENCH_RTE_LAST] = {
        [BENCH_RTE_S8] = "bench-s8",
        [BENCH_RTE_S64] = "bench-s64",
        [BENCH_RTE_M8] = "bench-m8",
        [BENCH_RTE_POOL] = "bench-pool",
    };
    const unsigned single = RING_F_SP_ENQ | RING_F_SC_DEQ;
    struct rte_ring *pool;

    if (len < bench_rte_zone_size())
        return -EMSGSIZE;
    for (unsigned i = 0; i < BENCH_RTE_LAST; i++) {
        unsigned flags = i == BENCH_RTE_S8 || i == BENCH_RTE_S64 ? single : 0;
        int rc = rte_ring_init(ring_at(zone, i), names[i], BENCH_RING_SLOTS, flags);

        if (rc < 0)
            return rc;
    }
    /* The "mempool": every element but one free, as a full pool would be. */
    pool = ring_at(zone, BENCH_RTE_POOL);
    for (uintptr_t i = 1; i < BENCH_RING_SLOTS; i++)
        if (rte_ring_mp_enqueue(pool, (void *)(i * 64)) != 0)
            return -ENOBUFS;
    return 0;
}

static unsigned
rte_put(struct rte_ring *r, const bench_ring_params *rp, uint8_t (*msgs)[64],
        void **objs, unsigned n)
{
    const bool multi = rp->producers > 1;

    if (rp->msg_size > 8) {
        if (rp->burst == 1)
            return rte_ring_sp_enqueue_elem(r, msgs[0], 64) == 0;
        return rte_ring_sp_enqueue_burst_elem(r, msgs, 64, n, NULL);
    }
    if (rp->burst == 1)
        return (multi ? rte_ring_mp_enqueue(r, objs[0]) : rte_ring_sp_enqueue(r, objs[0])) == 0;
    return multi ? rte_ring_mp_enqueue_burst(r, objs, n, NULL)
                 : rte_ring_sp_enqueue_burst(r, objs, n, NULL);
}

static unsigned
rte_get(struct rte_ring *r, const bench_ring_params *rp, uint8_t (*bufs)[64], void **objs)
{
    const bool multi = rp->producers > 1;

    if (rp->msg_size > 8) {
        if (rp->burst == 1)
            return rte_ring_sc_dequeue_elem(r, bufs[0], 64) == 0;
        return rte_ring_sc_dequeue_burst_elem(r, bufs, 64, rp->burst, NULL);
    }
    if (rp->burst == 1)
        return (multi ? rte_ring_mc_dequeue(r, &objs[0]) : rte_ring_sc_dequeue(r, &objs[0])) == 0;
    return multi ? rte_ring_mc_dequeue_burst(r, objs, rp->burst, NULL)
                 : rte_ring_sc_dequeue_burst(r, objs, rp->burst, NULL);
}

static int
rte_produce(bench_proc *p, struct rte_ring *r, const bench_ring_params *rp)
{
    _Alignas(64) uint8_t msgs[BENCH_MAX_BURST][64];
    void *objs[BENCH_MAX_BURST];
    bench_report *rep = &p->ctl->report[p->index];
    const uint64_t tag = (uint64_t)p->index << 56;
    uint64_t seq = 0;
    unsigned spins = 0;

    memset(msgs, 0, sizeof(msgs));
    rep->t_start = bench_now_ns();
    while (seq < rp->count) {
        uint64_t left = rp->count - seq;
        unsigned n = left < rp->burst ? (unsigned)left : rp->burst;
        unsigned done;

        if (rp->msg_size > 8) {
            for (unsigned i = 0; i < n; i++) {
                uint64_t v = tag | (seq + i);

                memcpy(msgs[i], &v, sizeof(v));
            }
        } else {
            for (unsigned i = 0; i < n; i++)
                objs[i] = (void *)(uintptr_t)(tag | (seq + i));
        }
        if ((done = rte_put(r, rp, msgs, objs, n))) {
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

/* The same checks and the same end condition as ring_consume() in rings.c. */
static int
rte_consume(bench_proc *p, struct rte_ring *r, const bench_ring_params *rp)
{
    _Alignas(64) uint8_t bufs[BENCH_MAX_BURST][64];
    void *objs[BENCH_MAX_BURST];
    uint64_t next[BENCH_MAX_PROCS] = { 0 };
    bench_report *rep = &p->ctl->report[p->index];
    const uint64_t total = rp->count * rp->producers;
    const bool multi = rp->producers > 1;
    uint64_t got = 0, local = 0, errors = 0;
    unsigned spins = 0;

    rep->t_start = bench_now_ns();
    for (;;) {
        unsigned done = rte_get(r, rp, bufs, objs);

        for (unsigned i = 0; i < done; i++) {
            uint64_t v;
            unsigned who;
            uint64_t seq;

            if (rp->msg_size > 8)
                memcpy(&v, bufs[i], sizeof(v));
            else
                v = (uint64_t)(uintptr_t)objs[i];
            who = (unsigned)(v >> 56);
            seq = v & SEQ_MASK;
            if (who >= rp->producers || seq < next[who] || (!multi && seq != next[who]))
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

int
bench_rte_ring_role(bench_proc *p)
{
    const bench_ring_params *rp = p->params;
    bench_rte_ring which = rp->producers > 1 ? BENCH_RTE_M8
                         : rp->msg_size > 8 ? BENCH_RTE_S64 : BENCH_RTE_S8;
    struct rte_ring *r = ring_at(p->rte_zone, which);

    bench_barrier(p);
    if (p->index < rp->producers)
        return rte_produce(p, r, rp);
    return rte_consume(p, r, rp);
}

/* What rte_mempool does without its per-lcore cache: mc dequeue, mp enqueue. */
int
bench_rte_pool_role(bench_proc *p)
{
    const bench_lat_params *lp = p->params;
    bench_report *rep = &p->ctl->report[p->index];
    struct rte_ring *r = ring_at(p->rte_zone, BENCH_RTE_POOL);
    void *obj;

    rep->t_start = bench_now_ns();
    for (uint64_t i = 0; i < lp->count; i++) {
        if (rte_ring_mc_dequeue(r, &obj) != 0 || rte_ring_mp_enqueue(r, obj) != 0) {
            rep->errors++;
            break;
        }
    }
    rep->t_end = bench_now_ns();
    rep->count = lp->count;
    return 0;
}

#else /* !BENCH_HAVE_DPDK */

bool
bench_rte_available(void)
{
    return false;
}

size_t
bench_rte_zone_size(void)
{
    return 4096;
}

int
bench_rte_init(void *zone, size_t len)
{
    return -ENOTSUP;
}

int
bench_rte_ring_role(bench_proc *p)
{
    return -ENOTSUP;
}

int
bench_rte_pool_role(bench_proc *p)
{
    return -ENOTSUP;
}

#endif /* BENCH_HAVE_DPDK */
