/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bulk.c: bulk transfers through pool buffers, copied or written in place. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "bench.h"

/* What travels through the "handles" ring: a buffer and its used length. */
typedef struct {
    uint64_t handle;
    uint64_t len;
} bulk_msg;

static int
bulk_produce(bench_proc *p, ivshare_pool *pool, ivshare_ring *q,
             const bench_bulk_params *bp)
{
    bench_report *rep = &p->ctl->report[p->index];
    unsigned spins = 0;

    rep->t_start = bench_now_ns();
    for (uint64_t r = 0; r < bp->reps; r++) {
        for (uint64_t off = 0; off < bp->size;) {
            uint64_t chunk = MIN(bp->size - off, (uint64_t)BENCH_BULK_BUFFER);
            bulk_msg m;
            size_t cap;
            void *buf;

            while (ivshare_pool_get(pool, &m.handle) != 0)
                if (!bench_spin_ok(p, &spins))
                    return -ETIMEDOUT;
            if (!(buf = ivshare_pool_buffer(pool, m.handle, &cap)) || cap < chunk)
                return -EIO;
            if (bp->zero_copy)
                memset(buf, (int)(r + 1), chunk);   /* the data, made in place */
            else
                memcpy(buf, bp->src + off, chunk);
            m.len = chunk;
            while (ivshare_ring_enqueue(q, &m, sizeof(m)) != 0)
                if (!bench_spin_ok(p, &spins))
                    return -ETIMEDOUT;
            off += chunk;
        }
    }
    rep->t_end = bench_now_ns();
    return 0;
}

static int
bulk_consume(bench_proc *p, ivshare_pool *pool, ivshare_ring *q,
             const bench_bulk_params *bp)
{
    bench_report *rep = &p->ctl->report[p->index];
    uint64_t sum = 0, bytes = 0;
    unsigned spins = 0;

    rep->t_start = bench_now_ns();
    for (uint64_t r = 0; r < bp->reps; r++) {
        for (uint64_t off = 0; off < bp->size;) {
            bulk_msg m;
            size_t len, cap;
            void *buf;

            while (ivshare_ring_dequeue(q, &m, sizeof(m), &len) != 0)
                if (!bench_spin_ok(p, &spins))
                    return -ETIMEDOUT;
            if (len != sizeof(m) || !(buf = ivshare_pool_buffer(pool, m.handle, &cap)) ||
                m.len > cap || m.len > bp->size - off) {
                rep->errors++;
                return -EIO;
            }
            if (bp->zero_copy)
                sum += bench_read_sum(buf, m.len);   /* the data, read in place */
            else
                memcpy(bp->dst + off, buf, m.len);
            if (ivshare_pool_put(pool, m.handle) != 0)
                rep->errors++;
            off += m.len;
            bytes += m.len;
        }
    }
    rep->t_end = bench_now_ns();
    rep->count = bytes;
    rep->result[0] = (double)(sum & 0xffff);   /* keeps the reads alive */
    return 0;
}

int
bench_bulk_role(bench_proc *p)
{
    const bench_bulk_params *bp = p->params;
    ivshare_pool *pool;
    ivshare_ring *q;
    int rc;

    if ((rc = ivshare_pool_lookup(p->region, BENCH_POOL_BULK, &pool)) < 0 ||
        (rc = ivshare_ring_lookup(p->region, BENCH_RING_HANDLES, &q)) < 0)
        return rc;
    bench_barrier(p);
    return p->index == 0 ? bulk_produce(p, pool, q, bp) : bulk_consume(p, pool, q, bp);
}
