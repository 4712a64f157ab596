/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pool.c: fixed-size buffers in shared memory, addressed by handles. */
#include <errno.h>
#include <string.h>

#include "core.h"

/*
 * A pool is a free list (an MPMC ring of u32 buffer indices, the same
 * mechanics as every ring), one state byte per buffer, and the buffers.
 * The state byte moves FREE -> USED in get and USED -> FREE in put with a
 * compare-and-swap, so a double put, or a put of a handle nobody got, is
 * refused instead of corrupting the free list.  Indices popped from the
 * free list are validated before use; entries that fail are dropped.
 */

/* Invalid free-list entries skipped by one get before it gives up. */
#define IVSHARE_POOL_SKIP_MAX 64u

bool ivshare_pool_geometry_compute(uint32_t buffers, uint32_t buffer_size,
                                   ivshare_pool_geometry *g)
{
    uint64_t ring_slots = 1, ring_fp, state_end = 0;

    if (buffers == 0 || buffers > IVSHARE_POOL_BUFFERS_MAX ||
        buffer_size == 0 || buffer_size > IVSHARE_POOL_BUFFER_SIZE_MAX)
        return false;
    while (ring_slots < buffers)
        ring_slots <<= 1;
    ring_fp = ivshare_ring_footprint((uint32_t)ring_slots, sizeof(uint32_t));
    /* every term below is far from 2^64 given the bounds above */
    (void)ivshare_align_up(ring_fp + buffers, IVSHARE_OBJECT_ALIGN, &state_end);
    g->ring_slots = ring_slots;
    g->state_offset = ring_fp;
    g->buffers_offset = state_end;
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
    ivshare_ring_init_shared(base, (uint32_t)g.ring_slots, sizeof(uint32_t));
    memset(base + g.state_offset, IVSHARE_POOL_FREE, buffers);
    ivshare_ring_attach(&q, NULL, base, (uint32_t)g.ring_slots, sizeof(uint32_t),
                        IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER,
                        false);
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
    ivshare_ring_attach(&p->free, r, base, (uint32_t)g.ring_slots, sizeof(uint32_t),
                        IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER,
                        fence);
    p->state = (_Atomic uint8_t *)(base + g.state_offset);
    p->buffers = base + g.buffers_offset;
    p->buffers_handle = (uint64_t)(p->buffers - r->base);
    p->stride = g.stride;
    p->nbuffers = buffers;
    p->buffer_size = buffer_size;
}

IVSHARE_EXPORT int ivshare_pool_get(ivshare_pool *p, uint64_t *handle)
{
    for (unsigned skipped = 0; skipped < IVSHARE_POOL_SKIP_MAX; skipped++) {
        uint32_t idx = UINT32_MAX;
        size_t len = 0;
        int rc = ivshare_ring_dequeue(&p->free, &idx, sizeof(idx), &len);

        if (rc == -EAGAIN)
            return -ENOBUFS;
        if (rc < 0 || len != sizeof(idx) || idx >= p->nbuffers)
            continue;   /* garbage in the free list: drop it */

        uint8_t expected = IVSHARE_POOL_FREE;
        if (!atomic_compare_exchange_strong_explicit(&p->state[idx], &expected,
                                                     IVSHARE_POOL_USED,
                                                     memory_order_acquire,
                                                     memory_order_relaxed))
            continue;   /* listed twice, or not free: drop it */
        *handle = p->buffers_handle + (uint64_t)idx * p->stride;
        return 0;
    }
    return -IVSHARE_ECORRUPT;
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
    uint32_t idx;
    uint8_t expected = IVSHARE_POOL_USED;
    int rc;

    if (i < 0)
        return -EINVAL;
    idx = (uint32_t)i;
    if (!atomic_compare_exchange_strong_explicit(&p->state[idx], &expected,
                                                 IVSHARE_POOL_FREE,
                                                 memory_order_release,
                                                 memory_order_relaxed))
        return -EINVAL;
    rc = ivshare_ring_enqueue(&p->free, &idx, sizeof(idx));
    if (rc < 0) {
        /* the free list cannot be full unless corrupted: keep the buffer */
        expected = IVSHARE_POOL_FREE;
        atomic_compare_exchange_strong_explicit(&p->state[idx], &expected,
                                                IVSHARE_POOL_USED,
                                                memory_order_relaxed,
                                                memory_order_relaxed);
        return rc == -EAGAIN ? -IVSHARE_ECORRUPT : rc;
    }
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
