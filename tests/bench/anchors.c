/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* anchors.c: cache-line ping-pong, eventfd ping-pong and memcpy, without ivshare. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "bench.h"

/* Sort the round-trip samples and report p50, p99 and p99.9 in ns. */
int
bench_latency_report(bench_proc *p, uint64_t *ticks, size_t n)
{
    bench_report *rep = &p->ctl->report[p->index];
    double per_ns = bench_ticks_per_ns();

    bench_sort_u64(ticks, n);
    rep->result[0] = bench_percentile_sorted(ticks, n, 50.0) / per_ns;
    rep->result[1] = bench_percentile_sorted(ticks, n, 99.0) / per_ns;
    rep->result[2] = bench_percentile_sorted(ticks, n, 99.9) / per_ns;
    rep->count = n;
    return 0;
}

/*
 * The floor of any cross-core handshake: process 0 writes an odd value into
 * one cache line, process 1 answers with the next even one.
 */
int
bench_line_pingpong_role(bench_proc *p)
{
    const bench_lat_params *lp = p->params;
    _Atomic uint64_t *line = &p->ctl->line;
    uint64_t *ticks = NULL;
    unsigned spins = 0;

    if (p->index == 0) {
        if (!(ticks = calloc(lp->count, sizeof(*ticks))))
            return -ENOMEM;
        atomic_store(line, 0);
    }
    bench_barrier(p);
    for (uint64_t i = 0; i < lp->count; i++) {
        uint64_t ping = 2 * i + 1;

        if (p->index == 0) {
            uint64_t t0 = bench_ticks();

            atomic_store_explicit(line, ping, memory_order_release);
            while (atomic_load_explicit(line, memory_order_acquire) != ping + 1)
                if (!bench_spin_ok(p, &spins)) {
                    free(ticks);
                    return -ETIMEDOUT;
                }
            ticks[i] = bench_ticks() - t0;
        } else {
            while (atomic_load_explicit(line, memory_order_acquire) != ping)
                if (!bench_spin_ok(p, &spins))
                    return -ETIMEDOUT;
            atomic_store_explicit(line, ping + 1, memory_order_release);
        }
    }
    if (p->index == 0) {
        int rc = bench_latency_report(p, ticks, lp->count);

        free(ticks);
        return rc;
    }
    return 0;
}

/* The kernel's wake-up path: two eventfds, blocking reads. */
int
bench_eventfd_pingpong_role(bench_proc *p)
{
    const bench_lat_params *lp = p->params;
    int in = lp->efd[p->index == 0 ? 1 : 0], out = lp->efd[p->index == 0 ? 0 : 1];
    uint64_t *ticks = NULL, one = 1, v;

    if (p->index == 0 && !(ticks = calloc(lp->count, sizeof(*ticks))))
        return -ENOMEM;
    bench_barrier(p);
    for (uint64_t i = 0; i < lp->count; i++) {
        uint64_t t0 = p->index == 0 ? bench_ticks() : 0;

        if (p->index == 0 && write(out, &one, sizeof(one)) != sizeof(one))
            goto fail;
        if (read(in, &v, sizeof(v)) != sizeof(v))
            goto fail;
        if (p->index != 0 && write(out, &one, sizeof(one)) != sizeof(one))
            goto fail;
        if (p->index == 0)
            ticks[i] = bench_ticks() - t0;
    }
    if (p->index == 0) {
        int rc = bench_latency_report(p, ticks, lp->count);

        free(ticks);
        return rc;
    }
    return 0;

fail:
    free(ticks);
    return -errno;
}

/* Read every byte, 64 at a time, the way a consumer would checksum them. */
uint64_t
bench_read_sum(const void *buf, size_t len)
{
    typedef uint64_t v2 __attribute__((vector_size(16)));
    const uint8_t *b = buf;
    v2 a0 = { 0, 0 }, a1 = a0, a2 = a0, a3 = a0, t;
    uint64_t sum = 0;
    size_t i = 0;

    for (; i + 64 <= len; i += 64) {
        memcpy(&t, b + i, 16);
        a0 ^= t;
        memcpy(&t, b + i + 16, 16);
        a1 ^= t;
        memcpy(&t, b + i + 32, 16);
        a2 ^= t;
        memcpy(&t, b + i + 48, 16);
        a3 ^= t;
    }
    for (; i < len; i++)
        sum += b[i];
    a0 ^= a1 ^ a2 ^ a3;
    return sum ^ a0[0] ^ a0[1];
}

/* Single-core memcpy of the transfer size, as often as the bulk run moves it. */
int
bench_memcpy_role(bench_proc *p)
{
    const bench_bulk_params *bp = p->params;
    bench_report *rep = &p->ctl->report[p->index];

    rep->t_start = bench_now_ns();
    for (uint64_t r = 0; r < bp->reps; r++) {
        memcpy(bp->dst, bp->src, bp->size);
        atomic_signal_fence(memory_order_seq_cst);   /* one copy per repetition */
    }
    rep->t_end = bench_now_ns();
    rep->count = bp->reps * bp->size;
    return 0;
}
