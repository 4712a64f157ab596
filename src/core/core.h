/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* core.h: private declarations shared by the core library's files. */
#ifndef IVSHARE_CORE_H
#define IVSHARE_CORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "format.h"

#define IVSHARE_EXPORT __attribute__((visibility("default")))

/* Upper bounds of the object parameters (see docs/metadata.md). */
#define IVSHARE_RING_SLOTS_MAX (1u << 28)
#define IVSHARE_RING_SLOT_SIZE_MAX (1u << 24)
#define IVSHARE_POOL_BUFFERS_MAX (1u << 28)
#define IVSHARE_POOL_BUFFER_SIZE_MAX (1u << 30)
#define IVSHARE_RING_ALIGN 128u     /* rings and pools start on 128 bytes */

/* Failed compare-and-swap attempts before an operation gives up. */
#define IVSHARE_CAS_ATTEMPTS 4096u

static inline bool ivshare_is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* Round @v up to @align (a power of two); false on overflow. */
static inline bool ivshare_align_up(uint64_t v, uint64_t align, uint64_t *out)
{
    if (v > UINT64_MAX - (align - 1))
        return false;
    *out = (v + align - 1) & ~(align - 1);
    return true;
}

/* [A-Za-z0-9_.-]{1,31}, not "." or "..", in a buffer of @cap bytes. */
bool ivshare_name_valid(const char *name, size_t cap);

/*
 * Ring mechanics (ring.c), shared by rings and the free lists of pools.
 * The shared layout of a ring at its object offset:
 *   0    producer area, 128 bytes: u32 position, then padding
 *   128  consumer area, 128 bytes: u32 position, then padding
 *   256  slots: slots x stride, each u32 seq, u32 len, payload
 */
#define IVSHARE_RING_HEAD_SIZE 256u
#define IVSHARE_RING_SLOT_HDR 8u

struct ivshare_ring {
    ivshare_region *region;
    _Atomic uint32_t *prod_pos;     /* shared */
    _Atomic uint32_t *cons_pos;     /* shared */
    uint8_t *slots;                 /* shared */
    uint32_t nslots;
    uint32_t mask;
    uint32_t slot_size;
    uint32_t stride;
    uint32_t flags;                 /* IVSHARE_RING_MULTI_* */
    bool fence;                     /* mapping may be write-combining */
    /*
     * Single-producer and single-consumer positions, process-local, each
     * on its own cache lines so that a producing and a consuming thread
     * of one process do not contend for the handle.
     */
    _Alignas(128) uint32_t prod_local;
    bool prod_cached;
    uint32_t cons_seen;             /* SPSC producer: consumer position last read */
    _Alignas(128) uint32_t cons_local;
    bool cons_cached;
};

uint32_t ivshare_ring_stride(uint32_t slot_size);
/* Attach @q to the ring at @mem (already validated to hold the footprint). */
void ivshare_ring_attach(ivshare_ring *q, ivshare_region *r, void *mem,
                         uint32_t slots, uint32_t slot_size, uint32_t flags,
                         bool fence);
/* Initial state of a ring, written by ivshare_region_format(). */
void ivshare_ring_init_shared(void *mem, uint32_t slots, uint32_t slot_size);

/*
 * Pools: at the object offset a 128-byte pool header (u32 count of free
 * buffers missing from the free list), the free list (a ring of u32 buffer
 * indices), one state byte per buffer, then the buffers.
 */
#define IVSHARE_POOL_HEAD_SIZE 128u
#define IVSHARE_POOL_FREE 0x46u     /* 'F': free, listed in the free list */
#define IVSHARE_POOL_UNLISTED 0x66u /* 'f': free, missing from the free list */
#define IVSHARE_POOL_USED 0x55u     /* 'U': handed out */

typedef struct {
    uint64_t ring_slots;
    uint64_t ring_offset;           /* from the pool's start */
    uint64_t state_offset;
    uint64_t buffers_offset;
    uint64_t stride;
    uint64_t footprint;
} ivshare_pool_geometry;

/* false when the parameters are out of range. */
bool ivshare_pool_geometry_compute(uint32_t buffers, uint32_t buffer_size,
                                   ivshare_pool_geometry *g);
void ivshare_pool_init_shared(void *mem, uint32_t buffers, uint32_t buffer_size);

struct ivshare_pool {
    ivshare_region *region;
    ivshare_ring free;              /* MPMC ring of u32 indices */
    _Atomic uint32_t *unlisted;     /* shared hint */
    _Atomic uint8_t *state;         /* shared, one byte per buffer */
    uint8_t *buffers;               /* shared */
    uint64_t buffers_handle;        /* offset of buffer 0 in the region */
    uint64_t stride;
    uint32_t nbuffers;
    uint32_t buffer_size;
    _Atomic uint32_t cursor;        /* where the next scan starts */
};

void ivshare_pool_attach(ivshare_pool *p, ivshare_region *r, void *mem,
                         uint32_t buffers, uint32_t buffer_size, bool fence);

/* An open region (region.c). */
struct ivshare_region {
    uint8_t *base;
    size_t size;
    bool owned;                     /* munmap on close */
    bool fence;                     /* guest BAR mapping: fence around slots */
    struct ivshare_header hdr;      /* validated snapshot */
    struct ivshare_object *objects; /* validated private copy */
    unsigned n_objects;
    void **handles;                 /* ring/pool handle per object, lazily */
    pthread_mutex_t lock;
    volatile uint8_t *bar0;         /* guest doorbell registers, or NULL */
    size_t bar0_size;
    int self;                       /* own peer ID, -1 when unknown */
    struct ivshare_doorbell *db;    /* host: the connection to ivshared, or NULL */
    uint32_t bells_seen[IVSHARE_MAX_VECTORS]; /* own counters at the last wait */
};

/* Learn the own peer ID (guest: BAR0 IVPosition) and snapshot its bells. */
void ivshare_doorbell_attach(ivshare_region *r, int self);

/* Host doorbells through ivshared's eventfds (doorbell-host.c). */
void ivshare_doorbell_close(ivshare_region *r);
/* Ring @peer's eventfd for @vector (@listed: the peer table lists it); false if we have none. */
bool ivshare_doorbell_host_ring(ivshare_region *r, unsigned peer, unsigned vector, bool listed);
/*
 * Sleep on our eventfd of @vector: 0 when rung, -EAGAIN when it only
 * brought rings already taken from the counters, -ETIMEDOUT, -ENOTSUP if
 * not joined.
 */
int ivshare_doorbell_host_sleep(ivshare_region *r, unsigned vector, int timeout_ms);
/* @rings of @vector were taken from the counters: their eventfd is no news. */
void ivshare_doorbell_host_seen(ivshare_region *r, unsigned vector, uint32_t rings);

/*
 * Validate the region at @base (@size bytes mapped) and snapshot its
 * header into @hdr and its object table into a malloc'ed array.
 */
int ivshare_region_validate(const void *base, size_t size,
                            struct ivshare_header *hdr,
                            struct ivshare_object **objects);

/* Wrap validated memory in a new region; takes ownership if @owned. */
int ivshare_region_new(void *base, size_t size, bool owned,
                       ivshare_region **out);

/* Map @fd (@size bytes, 0: from fstat) and open it as a region. */
int ivshare_fd_open(int fd, size_t size, bool fence, ivshare_region **out);

#endif /* IVSHARE_CORE_H */
