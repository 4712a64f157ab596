/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ivshare.h: the ivshare core library (libc only).
 *
 * Host and guest applications link this library to find the rings, pools and
 * memzones of an ivshare region by name.  Everything read from a region is
 * treated as untrusted: a peer that scribbles over the shared memory can make
 * its own messages wrong, never make this side crash, hang, or touch memory
 * outside the mapping.
 *
 * Every function that returns int returns 0 (or a count) on success and a
 * negative errno value on failure; ivshare_strerror() describes both the
 * standard values and the ivshare-specific ones below.
 */
#ifndef IVSHARE_IVSHARE_H
#define IVSHARE_IVSHARE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest region, object, peer or application name, without the NUL. */
#define IVSHARE_NAME_MAX 31

/*
 * Error values specific to ivshare, returned negated like errno values.
 * They are above the range the kernel uses for errno.
 */
enum {
    IVSHARE_EBADREGION = 4096, /* the region's metadata is invalid or corrupt */
    IVSHARE_ENOTREADY,         /* the region exists but is still being built */
    IVSHARE_EBADVERSION,       /* the region's format version is not supported */
    IVSHARE_ECORRUPT,          /* an object's shared state is inconsistent */
    IVSHARE_ELAST
};

typedef struct ivshare_region ivshare_region;
typedef struct ivshare_ring   ivshare_ring;
typedef struct ivshare_pool   ivshare_pool;
typedef struct ivshare_app    ivshare_app;

/* Regions ------------------------------------------------------------------ */

/*
 * In a VM: scan the ivshmem PCI devices (1af4:1110) under /sys/bus/pci,
 * map BAR2 of each and return the ivshare region called @region.  Devices
 * that do not hold an ivshare region are skipped.  -ENOENT if none matches.
 */
int ivshare_guest_open(const char *region, ivshare_region **out);

/*
 * On the host: map the built region file of @region, found through the
 * runtime directory (IVSHARE_RUNTIME_DIR, else "runtime-dir" in the file
 * named by IVSHARE_CONF or /etc/ivshare/ivshare.conf, else /run/ivshare).
 */
int ivshare_host_open(const char *region, ivshare_region **out);

/* Map the region file at @path (host side, tools and tests). */
int ivshare_path_open(const char *path, ivshare_region **out);

/*
 * Validate and use @len bytes at @base as a region (for callers that mapped
 * it themselves).  The memory stays owned by the caller; ivshare_close()
 * does not unmap it.
 */
int ivshare_mem_open(void *base, size_t len, ivshare_region **out);

void ivshare_close(ivshare_region *r);

/* The region's name and mapped size. */
const char *ivshare_region_name(const ivshare_region *r);
size_t ivshare_region_size(const ivshare_region *r);

/*
 * Check that the region is still the one that was opened: the header is
 * intact and the generation unchanged.  -ESTALE once it was rebuilt.
 */
int ivshare_region_check(ivshare_region *r);

/* What an open region holds, from its validated snapshot. */
typedef struct {
    char name[IVSHARE_NAME_MAX + 1];
    uint32_t version;
    uint64_t size;             /* bytes */
    uint64_t header_size;      /* bytes before the first object */
    uint64_t fingerprint;      /* of the description it was built from */
    uint64_t generation;       /* changes on every build */
    int doorbell;              /* 1 for an ivshmem-doorbell region */
    unsigned vectors;
    unsigned objects;
} ivshare_region_info;

typedef enum {
    IVSHARE_TYPE_MEMZONE = 1,
    IVSHARE_TYPE_RING = 2,
    IVSHARE_TYPE_POOL = 3,
} ivshare_object_type;

typedef struct {
    char name[IVSHARE_NAME_MAX + 1];
    ivshare_object_type type;
    uint64_t offset;           /* from the start of the region */
    uint64_t size;             /* bytes the object occupies */
    uint32_t slot_size;        /* ring: largest message */
    uint32_t slots;            /* ring */
    int multi_producer;        /* ring */
    int multi_consumer;        /* ring */
    uint32_t buffer_size;      /* pool */
    uint32_t buffers;          /* pool */
    uint64_t align;            /* memzone */
} ivshare_object_info;

int ivshare_region_get_info(const ivshare_region *r, ivshare_region_info *out);
/* The @index-th object (0-based) in table order; -ENOENT past the end. */
int ivshare_object_get_info(const ivshare_region *r, unsigned index, ivshare_object_info *out);

/* Objects ------------------------------------------------------------------ */

int ivshare_memzone_lookup(ivshare_region *r, const char *name, void **addr, size_t *len);
int ivshare_ring_lookup(ivshare_region *r, const char *name, ivshare_ring **out);
int ivshare_pool_lookup(ivshare_region *r, const char *name, ivshare_pool **out);

/*
 * Rings carry messages of 0..slot-size bytes.  Ring and pool handles
 * belong to their region and stay valid until ivshare_close().
 */
int ivshare_ring_enqueue(ivshare_ring *q, const void *msg, size_t len);        /* -EAGAIN full, -EMSGSIZE */
int ivshare_ring_dequeue(ivshare_ring *q, void *buf, size_t cap, size_t *len); /* -EAGAIN empty, -EMSGSIZE: cap too small */
unsigned ivshare_ring_enqueue_burst(ivshare_ring *q, const void *const *msgs,
                                    const size_t *lens, unsigned n);
unsigned ivshare_ring_dequeue_burst(ivshare_ring *q, void *const *bufs, size_t cap,
                                    size_t *lens, unsigned n);

/* Largest message, and number of slots. */
size_t ivshare_ring_slot_size(const ivshare_ring *q);
unsigned ivshare_ring_capacity(const ivshare_ring *q);
/* Messages currently queued, as far as the shared indices tell. */
unsigned ivshare_ring_count(const ivshare_ring *q);

/*
 * Pools hand out fixed-size buffers addressed by handles: a handle is the
 * buffer's byte offset from the start of the region, the same on every
 * side, never a pointer.  -ENOBUFS when the pool is empty; -EINVAL for a
 * handle that is not a buffer of this pool or is not in use.
 */
int ivshare_pool_get(ivshare_pool *p, uint64_t *handle);
int ivshare_pool_put(ivshare_pool *p, uint64_t handle);
void *ivshare_pool_buffer(ivshare_pool *p, uint64_t handle, size_t *len); /* NULL if invalid */
size_t ivshare_pool_buffer_size(const ivshare_pool *p);
unsigned ivshare_pool_capacity(const ivshare_pool *p);
/* Buffers currently in use, as far as the shared state bytes tell. */
unsigned ivshare_pool_in_use(const ivshare_pool *p);

/* Doorbells and host applications ---------------------------------------- */

/*
 * host: become a doorbell peer of a doorbell region, through ivshared's
 * socket RUNTIME/REGION.sock; @app is this process's registration, by which
 * ivshared names the peer in the peer table.  -ENOTSUP for a plain region
 * or in a guest (there QEMU is the peer), -EALREADY if joined, -ECONNREFUSED
 * or -ENOENT when ivshared does not serve the region, -EPROTO when it
 * speaks garbage.  ivshare_close() leaves.
 */
int ivshare_doorbell_join(ivshare_region *r, ivshare_app *app);
/* Peer ID of a domain or host application, from the region's peer table. */
int ivshare_peer_lookup(ivshare_region *r, const char *name, unsigned *peer);
/*
 * Ring @vector of @peer: count it in the peer's doorbell counters in the
 * peer table, then, in a guest, write the BAR0 Doorbell register, or on a
 * joined host, write the peer's eventfd.  -ENOENT when nothing reaches the
 * peer, -EINVAL for a bad peer or vector.
 */
int ivshare_doorbell_ring(ivshare_region *r, unsigned peer, unsigned vector);

/* A doorbell peer, as ivshared records it in the region's peer table. */
typedef struct {
    unsigned id;
    int host_app;              /* 1: a host application; 0: a domain's QEMU */
    unsigned vectors;
    char name[IVSHARE_NAME_MAX + 1];
} ivshare_peer_info;

/*
 * The peer in entry @index of the peer table: 0, -ENOENT for a free entry,
 * -ERANGE past the end of the table, -EAGAIN while it is being rewritten.
 */
int ivshare_peer_get_info(ivshare_region *r, unsigned index, ivshare_peer_info *out);
/*
 * Wait until @vector of this side was rung since the last wait (or since
 * the region was opened or joined).  A guest polls its own doorbell counter
 * adaptively (spinning, then sleeping longer and longer); a joined host
 * sleeps on its eventfd.  @timeout_ms 0 only checks, a negative one waits
 * without limit.  0 or -ETIMEDOUT; -ENOTSUP where the own peer ID is
 * unknown (a host that has not joined).  One waiter per vector at a time.
 */
int ivshare_doorbell_wait(ivshare_region *r, unsigned vector, int timeout_ms);

/*
 * host: declare application @app running until ivshare_app_unregister() or
 * the process ends (a crash counts).  -EBUSY if another live process holds
 * the name.
 */
int ivshare_app_register(const char *app, ivshare_app **out);
void ivshare_app_unregister(ivshare_app *a);

const char *ivshare_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* IVSHARE_IVSHARE_H */
