/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * format.h: the region format, version 1 (see docs/metadata.md).
 *
 * Private to ivshare: the core library reads it, the host library writes it
 * through ivshare_region_format().  All integers are little-endian, every
 * structure has a fixed size, and nothing in a region is a pointer.
 */
#ifndef IVSHARE_FORMAT_H
#define IVSHARE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "ivshare/ivshare.h"

#define IVSHARE_MAGIC "IVSHARE"            /* 8 bytes with the NUL */
#define IVSHARE_FORMAT_VERSION 1u             /* major 1, minor 0 */
/* version: low 16 bits major (readers accept only their own), high 16 minor */
#define IVSHARE_FORMAT_MAJOR(v) ((v) & 0xffffu)
#define IVSHARE_FORMAT_MINOR(v) ((v) >> 16)
#define IVSHARE_READY_VALUE 0x59444552u    /* "REDY" */
#define IVSHARE_HEADER_ALIGN 4096u
#define IVSHARE_OBJECT_ALIGN 64u           /* minimum alignment of every object */
#define IVSHARE_PEER_SLOTS 64u             /* entries in the peer table */
#define IVSHARE_MAX_OBJECTS 1024u
#define IVSHARE_NAME_LEN (IVSHARE_NAME_MAX + 1)

enum ivshare_object_type {
    IVSHARE_OBJECT_MEMZONE = 1,
    IVSHARE_OBJECT_RING = 2,
    IVSHARE_OBJECT_POOL = 3,
};

/* ring flags */
#define IVSHARE_RING_MULTI_PRODUCER (1u << 0)
#define IVSHARE_RING_MULTI_CONSUMER (1u << 1)

/* header flags */
#define IVSHARE_REGION_DOORBELL (1u << 0)

enum ivshare_peer_kind {
    IVSHARE_PEER_FREE = 0,
    IVSHARE_PEER_DOMAIN = 1,
    IVSHARE_PEER_HOST_APP = 2,
};

/* At offset 0 of every region: 128 bytes. */
struct ivshare_header {
    char     magic[8];        /*   0 "IVSHARE\0" */
    uint32_t version;         /*   8 IVSHARE_FORMAT_VERSION */
    uint32_t header_size;     /*  12 bytes before the first object, multiple of 4096 */
    uint64_t total_size;      /*  16 size of the region in bytes */
    uint64_t fingerprint;     /*  24 of the description the region was built from */
    uint64_t generation;      /*  32 changes on every build */
    uint32_t ready;           /*  40 IVSHARE_READY_VALUE once complete, stored last */
    uint32_t flags;           /*  44 IVSHARE_REGION_* */
    uint32_t object_offset;   /*  48 offset of the object table */
    uint32_t object_count;    /*  52 entries in the object table */
    uint32_t peer_offset;     /*  56 offset of the peer table */
    uint32_t peer_count;      /*  60 entries in the peer table */
    char     name[IVSHARE_NAME_LEN]; /* 64 NUL-terminated, NUL-padded */
    uint32_t vectors;         /*  96 doorbell vectors per peer */
    uint32_t reserved[7];     /* 100 zero */
};

/* One per object, 64 bytes. */
struct ivshare_object {
    uint32_t type;            /*  0 enum ivshare_object_type */
    uint32_t flags;           /*  4 IVSHARE_RING_* for rings, else 0 */
    uint64_t offset;          /*  8 from the start of the region */
    uint64_t size;            /* 16 bytes the object occupies */
    uint32_t param0;          /* 24 ring: slot size; pool: buffer size; memzone: align */
    uint32_t param1;          /* 28 ring: slots; pool: buffers; memzone: 0 */
    char     name[IVSHARE_NAME_LEN]; /* 32 NUL-terminated, NUL-padded */
};

#define IVSHARE_MAX_VECTORS 64u

/*
 * One per doorbell peer slot, 320 bytes.  ivshared writes the identity
 * (seq is odd while it does); ringers increment bells[vector] of the peer
 * they ring before they ring it, so a peer without interrupts can wait by
 * polling its own counters.
 */
struct ivshare_peer {
    uint32_t id;              /*  0 ivshmem peer ID */
    uint32_t kind;            /*  4 enum ivshare_peer_kind */
    uint32_t vectors;         /*  8 */
    uint32_t seq;             /* 12 odd while the entry is being written */
    char     name[IVSHARE_NAME_LEN]; /* 16 domain or host application */
    uint8_t  reserved[16];    /* 48 */
    uint32_t bells[IVSHARE_MAX_VECTORS]; /* 64 doorbell counters */
};

_Static_assert(sizeof(struct ivshare_header) == 128, "header is 128 bytes");
_Static_assert(sizeof(struct ivshare_object) == 64, "object entry is 64 bytes");
_Static_assert(sizeof(struct ivshare_peer) == 320, "peer entry is 320 bytes");

/*
 * Building a region (used by the host library and by tests).
 *
 * Fill name/type/flags/param0/param1 (and size for memzones) of each object
 * and the region fields; ivshare_layout_compute() assigns offsets and sizes
 * and the smallest region size that holds everything.
 */
typedef struct {
    char     name[IVSHARE_NAME_LEN];
    uint32_t type;
    uint32_t flags;
    uint32_t param0;
    uint32_t param1;
    uint64_t size;            /* memzone: requested size; out: footprint */
    uint64_t offset;          /* out */
} ivshare_layout_object;

typedef struct {
    char     name[IVSHARE_NAME_LEN];
    uint64_t fingerprint;
    uint64_t generation;
    uint32_t flags;
    uint32_t vectors;
    unsigned n_objects;
    ivshare_layout_object *objects;
    uint64_t header_size;     /* out */
    uint64_t used_size;       /* out: end of the last object */
    int zeroed;               /* in: the memory is known to read as zeros (a new
                               * file): ivshare_region_format() then writes only
                               * what is not zero, instead of clearing it all */
} ivshare_layout;

/* -EINVAL for a bad parameter (zero, not a power of two, too many objects),
 * -EOVERFLOW when sizes do not fit 64 bits. */
int ivshare_layout_compute(ivshare_layout *l);

/*
 * Write the header, object table, empty peer table and every object's
 * initial state into @mem (@size bytes, zero-filled or not: see
 * ivshare_layout.zeroed), then publish the ready flag with release
 * ordering.  The layout must be computed and
 * used_size <= size.
 */
int ivshare_region_format(void *mem, uint64_t size, const ivshare_layout *l);

/* Footprints of objects, as the layout computes them. */
uint64_t ivshare_ring_footprint(uint32_t slots, uint32_t slot_size);
uint64_t ivshare_pool_footprint(uint32_t buffers, uint32_t buffer_size);

/* 64-bit FNV-1a, used for description fingerprints. */
uint64_t ivshare_fnv1a64(uint64_t hash, const void *data, size_t len);
#define IVSHARE_FNV1A64_INIT UINT64_C(0xcbf29ce484222325)

/*
 * Private API for the host library.
 */

/*
 * The runtime directory (IVSHARE_RUNTIME_DIR, else [paths] runtime-dir of
 * IVSHARE_CONF or /etc/ivshare/ivshare.conf, else /run/ivshare) into @buf.
 */
int ivshare_runtime_dir(char *buf, size_t len);

/*
 * Is host application @app registered by a live process?  1 and its PID in
 * *pid (if not NULL) when it is, 0 when it is not, negative errno on error.
 * Registration is <runtime dir>/apps/APP, a file holding the PID and an
 * open-file-description write lock for as long as the process lives.
 */
int ivshare_app_probe(const char *app, int *pid);

#endif /* IVSHARE_FORMAT_H */
