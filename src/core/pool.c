/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pool.c: fixed-size buffers in shared memory, addressed by handles. */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "core.h"

/*
 * A pool is a free list (an MPMC ring of u32 buffer indices, the same
 * mechanics as every ring), one state byte per buffer, and the buffers.
 *
 * The state byte is what owns a buffer: get moves it FREE -> USED and put
 * moves it USED -> FREE, each with a compare-and-swap, so a double put, or
 * a put of a handle nobody got, is refused.  The free list only speeds up
 * finding a free buffer: indices popped from it are validated and dropped
 * when they are out of range or their buffer is not FREE.
 *
 * A peer stalled inside the free list (between claiming a slot and
 * releasing it) keeps that slot from being reused, so a put may find the
 * list full.  Such a put still succeeds: it marks the buffer UNLISTED and
 * counts it in the pool header, and a get that finds the list empty scans
 * the state bytes for UNLISTED buffers.  Nobody ever waits for a peer
 * beyond a few bounded yields.
 */

/* Invalid free-list entries dropped by one get before it gives up. */
#define IVSHARE_POOL_SKIP_MAX 64u
/* Yields a get or put grants a peer that is inside the free list. */
#define IVSHARE_POOL_YIELDS 8u

bool ivshare_pool_geometry_compute(uint32_t buffers, uint32_t buffer_size,
                                   ivshare_pool_geometry *g)
{
    uint64_t ring_slots = 1, ring_fp;

    if (buffers == 0 || buffers > IVSHARE_POOL_BUFFERS_MAX ||
        buffer_size == 0 || buffer_size > IVSHARE_POOL_BUFFER_SIZE_MAX)
        return false;
    /* room beyond the buffers for slots held by stalled peers */
    while (ring_slots < 2ull * buffers)
        ring_slots <<= 1;
    ring_fp = ivshare_ring_footprint((uint32_t)ring_slots, sizeof(uint32_t));
    /* every sum below stays far from 2^64 given the bounds above */
    g->ring_slots = ring_slots;
    g->ring_offset = IVSHARE_POOL_HEAD_SIZE;
    g->state_offset = g->ring_offset + ring_fp;
    (void)ivshare_align_up(g->state_offset + buffers, IVSHARE_OBJECT_ALIGN,
                           &g->buffers_offset);
    (void)ivshare_align_up(buffer_size, IVSHARE_OBJECT_ALIGN, &g->stride);
    g->footprint = g->buffers_offset + (uint64_t)buffers * g->stride;
    return true;
}

uint64_t ivshare_pool_footprint(uint32_t buffers, uint32_t buffer_size)
{
    ivshare_pool_geometry g;

    if (!ivshare_pool_geometry_compute(buffers, buffer_size, &g))
        return 0;
    return g.footprint;
}

void ivshare_pool_init_shared(void *mem, uint32_t buffers, uint32_t buffer_size)
{
    ivshare_pool_geometry g;
    ivshare_ring q;
    uint8_t *base = mem;

    if (!ivshare_pool_geometry_compute(buffers, buffer_size, &g))
        return;
    memset(base, 0, IVSHARE_POOL_HEAD_SIZE);
    ivshare_ring_init_shared(base + g.ring_offset, (uint32_t)g.ring_slots, sizeof(uint32_t));
    memset(base + g.state_offset, IVSHARE_POOL_FREE, buffers);
    ivshare_ring_attach(&q, NULL, base + g.ring_offset, (uint32_t)g.ring_slots,
                        sizeof(uint32_t), 0, false);
    for (uint32_t i = 0; i < buffers; i++)
        (void)ivshare_ring_enqueue(&q, &i, sizeof(i));
}

void ivshare_pool_attach(ivshare_pool *p, ivshare_region *r, void *mem,
                         uint32_t buffers, uint32_t buffer_size, bool fence)
{
    ivshare_pool_geometry g;
    uint8_t *base = mem;

    memset(p, 0, sizeof(*p));
    /* the caller validated the parameters */
    (void)ivshare_pool_geometry_compute(buffers, buffer_size, &g);
    p->region = r;
    ivshare_ring_attach(&p->free, r, base + g.ring_offset, (uint32_t)g.ring_slots,
                        sizeof(uint32_t),
                        IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER,
                        fence);
    p->unlisted = (_Atomic uint32_t *)base;
    p->state = (_Atomic uint8_t *)(base + g.state_offset);
    p->buffers = base + g.buffers_offset;
    p->buffers_handle = (uint64_t)(p->buffers - r->base);
    p->stride = g.stride;
    p->nbuffers = buffers;
    p->buffer_size = buffer_size;
}

static bool ivshare_pool_take(ivshare_pool *p, uint32_t idx, uint8_t from)
{
    uint8_t expected = from;

    return atomic_compare_exchange_strong_explicit(&p->state[idx], &expected,
                                                   IVSHARE_POOL_USED,
                                                   memory_order_acquire,
                                                   memory_order_relaxed);
}

/* Take a free buffer that is missing from the free list: its index or -1. */
static int64_t ivshare_pool_scan(ivshare_pool *p)
{
    uint32_t start;

    if ((int32_t)atomic_load_explicit(p->unlisted, memory_order_relaxed) <= 0)
        return -1;
    start = atomic_load_explicit(&p->cursor, memory_order_relaxed) % p->nbuffers;
    for (uint32_t n = 0, i = start; n < p->nbuffers; n++, i = i + 1 == p->nbuffers ? 0 : i + 1) {
        if (atomic_load_explicit(&p->state[i], memory_order_relaxed) != IVSHARE_POOL_UNLISTED ||
            !ivshare_pool_take(p, i, IVSHARE_POOL_UNLISTED))
            continue;
        atomic_fetch_sub_explicit(p->unlisted, 1, memory_order_relaxed);
        atomic_store_explicit(&p->cursor, i + 1, memory_order_relaxed);
        return i;
    }
    return -1;
}

IVSHARE_EXPORT int ivshare_pool_get(ivshare_pool *p, uint64_t *handle)
{
    unsigned yields = 0, dropped = 0;
    int64_t idx = -1;

    while (idx < 0 && dropped < IVSHARE_POOL_SKIP_MAX) {
        uint32_t v = UINT32_MAX;
        size_t len = 0;
        int rc = ivshare_ring_dequeue(&p->free, &v, sizeof(v), &len);

        if (rc == -EAGAIN) {
            /* a put may be publishing the slot we are looking at */
            if (ivshare_ring_count(&p->free) == 0 || yields++ >= IVSHARE_POOL_YIELDS)
                break;
            sched_yield();
            continue;
        }
        if (rc == 0 && len == sizeof(v) && v < p->nbuffers &&
            ivshare_pool_take(p, v, IVSHARE_POOL_FREE))
            idx = v;
        else
            dropped++;      /* garbage, or not free: drop it */
    }
    if (idx < 0)
        idx = ivshare_pool_scan(p);
    if (idx < 0)
        return dropped >= IVSHARE_POOL_SKIP_MAX ? -IVSHARE_ECORRUPT : -ENOBUFS;
    *handle = p->buffers_handle + (uint64_t)idx * p->stride;
    return 0;
}

/* The index of @handle in @p, or -1 if it is not one of its buffers. */
static int64_t ivshare_pool_index(const ivshare_pool *p, uint64_t handle)
{
    uint64_t rel;

    if (handle < p->buffers_handle)
        return -1;
    rel = handle - p->buffers_handle;
    if (rel % p->stride != 0 || rel / p->stride >= p->nbuffers)
        return -1;
    return (int64_t)(rel / p->stride);
}

IVSHARE_EXPORT int ivshare_pool_put(ivshare_pool *p, uint64_t handle)
{
    int64_t i = ivshare_pool_index(p, handle);
    uint8_t expected = IVSHARE_POOL_USED;
    uint32_t idx;

    if (i < 0)
        return -EINVAL;
    idx = (uint32_t)i;
    if (!atomic_compare_exchange_strong_explicit(&p->state[idx], &expected,
                                                 IVSHARE_POOL_FREE,
                                                 memory_order_release,
                                                 memory_order_relaxed))
        return -EINVAL;
    for (unsigned yields = 0; ; yields++) {
        if (ivshare_ring_enqueue(&p->free, &idx, sizeof(idx)) == 0)
            return 0;
        if (yields >= IVSHARE_POOL_YIELDS)
            break;
        sched_yield();
    }
    /* the free list is blocked: leave the buffer for a get to find */
    expected = IVSHARE_POOL_FREE;
    if (atomic_compare_exchange_strong_explicit(&p->state[idx], &expected,
                                                IVSHARE_POOL_UNLISTED,
                                                memory_order_release,
                                                memory_order_relaxed))
        atomic_fetch_add_explicit(p->unlisted, 1, memory_order_release);
    return 0;
}

IVSHARE_EXPORT void *ivshare_pool_buffer(ivshare_pool *p, uint64_t handle, size_t *len)
{
    if (ivshare_pool_index(p, handle) < 0)
        return NULL;
    if (len)
        *len = p->buffer_size;
    return p->region->base + handle;
}

IVSHARE_EXPORT size_t ivshare_pool_buffer_size(const ivshare_pool *p)
{
    return p->buffer_size;
}

IVSHARE_EXPORT unsigned ivshare_pool_capacity(const ivshare_pool *p)
{
    return p->nbuffers;
}
