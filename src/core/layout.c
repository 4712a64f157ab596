/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* layout.c: place objects in a region and write a fresh region (format v1). */
#include <errno.h>
#include <string.h>

#include "core.h"

bool ivshare_name_valid(const char *name, size_t cap)
{
    size_t n;

    for (n = 0; n < cap && name[n] != '\0'; n++) {
        char c = name[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return false;
    }
    if (n == 0 || n > IVSHARE_NAME_MAX || n == cap)
        return false;
    return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

uint64_t ivshare_fnv1a64(uint64_t hash, const void *data, size_t len)
{
    const uint8_t *p = data;

    for (size_t i = 0; i < len; i++) {
        hash ^= p[i];
        hash *= UINT64_C(0x100000001b3);
    }
    return hash;
}

/* Footprint and alignment of one object: 0, or -EINVAL / -EOVERFLOW. */
static int ivshare_object_geometry(const ivshare_layout_object *o,
                                   uint64_t *size, uint64_t *align)
{
    switch (o->type) {
    case IVSHARE_OBJECT_MEMZONE:
        if (o->size == 0 || o->flags != 0 || o->param1 != 0)
            return -EINVAL;
        if (o->param0 != 0 && !ivshare_is_pow2(o->param0))
            return -EINVAL;
        *size = o->size;
        *align = o->param0 > IVSHARE_OBJECT_ALIGN ? o->param0 : IVSHARE_OBJECT_ALIGN;
        return 0;
    case IVSHARE_OBJECT_RING:
        if (o->flags & ~(IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER))
            return -EINVAL;
        *size = ivshare_ring_footprint(o->param1, o->param0);
        *align = IVSHARE_RING_ALIGN;
        return *size ? 0 : -EINVAL;
    case IVSHARE_OBJECT_POOL:
        if (o->flags != 0)
            return -EINVAL;
        *size = ivshare_pool_footprint(o->param1, o->param0);
        *align = IVSHARE_RING_ALIGN;
        return *size ? 0 : -EINVAL;
    default:
        return -EINVAL;
    }
}

int ivshare_layout_compute(ivshare_layout *l)
{
    uint64_t pos, table_end;

    if (!ivshare_name_valid(l->name, sizeof(l->name)))
        return -EINVAL;
    if (l->n_objects > IVSHARE_MAX_OBJECTS || (l->n_objects > 0 && !l->objects))
        return -EINVAL;
    if (l->flags & ~IVSHARE_REGION_DOORBELL)
        return -EINVAL;

    for (unsigned i = 0; i < l->n_objects; i++) {
        if (!ivshare_name_valid(l->objects[i].name, sizeof(l->objects[i].name)))
            return -EINVAL;
        for (unsigned j = 0; j < i; j++)
            if (strcmp(l->objects[i].name, l->objects[j].name) == 0)
                return -EINVAL;
    }

    table_end = sizeof(struct ivshare_header) +
                (uint64_t)l->n_objects * sizeof(struct ivshare_object) +
                (uint64_t)IVSHARE_PEER_SLOTS * sizeof(struct ivshare_peer);
    (void)ivshare_align_up(table_end, IVSHARE_HEADER_ALIGN, &l->header_size);

    pos = l->header_size;
    for (unsigned i = 0; i < l->n_objects; i++) {
        ivshare_layout_object *o = &l->objects[i];
        uint64_t size, align;
        int rc = ivshare_object_geometry(o, &size, &align);

        if (rc < 0)
            return rc;
        if (!ivshare_align_up(pos, align, &pos) || size > UINT64_MAX - pos)
            return -EOVERFLOW;
        o->offset = pos;
        o->size = size;
        pos += size;
    }
    l->used_size = pos;
    return 0;
}

int ivshare_region_format(void *mem, uint64_t size, const ivshare_layout *l)
{
    uint8_t *base = mem;
    struct ivshare_header *h = mem;
    struct ivshare_header hdr;
    uint32_t object_offset = sizeof(struct ivshare_header);
    uint64_t peer_offset;

    if (!mem || l->header_size < IVSHARE_HEADER_ALIGN || l->used_size > size ||
        l->header_size > UINT32_MAX || l->used_size < l->header_size ||
        l->n_objects > IVSHARE_MAX_OBJECTS)
        return -EINVAL;
    peer_offset = object_offset + (uint64_t)l->n_objects * sizeof(struct ivshare_object);
    if (peer_offset + IVSHARE_PEER_SLOTS * sizeof(struct ivshare_peer) > l->header_size)
        return -EINVAL;

    /* whoever still looks at an old region sees it not ready from here on */
    atomic_store_explicit((_Atomic uint32_t *)&h->ready, 0, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    /* a new file reads as zeros already: touching every page again would
     * double the cost of building a large region */
    memset(base, 0, l->zeroed ? l->header_size : l->used_size);

    for (unsigned i = 0; i < l->n_objects; i++) {
        const ivshare_layout_object *o = &l->objects[i];
        struct ivshare_object e;

        if (o->offset < l->header_size || o->size > l->used_size ||
            o->offset > l->used_size - o->size)
            return -EINVAL;
        if (o->type == IVSHARE_OBJECT_RING &&
            (ivshare_ring_footprint(o->param1, o->param0) == 0 ||
             o->size < ivshare_ring_footprint(o->param1, o->param0)))
            return -EINVAL;
        if (o->type == IVSHARE_OBJECT_POOL &&
            (ivshare_pool_footprint(o->param1, o->param0) == 0 ||
             o->size < ivshare_pool_footprint(o->param1, o->param0)))
            return -EINVAL;
        memset(&e, 0, sizeof(e));
        e.type = o->type;
        e.flags = o->flags;
        e.offset = o->offset;
        e.size = o->size;
        e.param0 = o->param0;
        e.param1 = o->param1;
        memcpy(e.name, o->name, sizeof(e.name));
        e.name[IVSHARE_NAME_MAX] = '\0';
        memcpy(base + object_offset + (size_t)i * sizeof(e), &e, sizeof(e));

        if (o->type == IVSHARE_OBJECT_RING)
            ivshare_ring_init_shared(base + o->offset, o->param1, o->param0);
        else if (o->type == IVSHARE_OBJECT_POOL)
            ivshare_pool_init_shared(base + o->offset, o->param1, o->param0);
    }

    memset(&hdr, 0, sizeof(hdr));
    memcpy(hdr.magic, IVSHARE_MAGIC, sizeof(hdr.magic));
    hdr.version = IVSHARE_FORMAT_VERSION;
    hdr.header_size = (uint32_t)l->header_size;
    hdr.total_size = size;
    hdr.fingerprint = l->fingerprint;
    hdr.generation = l->generation;
    hdr.ready = 0;
    hdr.flags = l->flags;
    hdr.object_offset = object_offset;
    hdr.object_count = l->n_objects;
    hdr.peer_offset = (uint32_t)peer_offset;
    hdr.peer_count = IVSHARE_PEER_SLOTS;
    memcpy(hdr.name, l->name, sizeof(hdr.name));
    hdr.name[IVSHARE_NAME_MAX] = '\0';
    hdr.vectors = l->vectors;
    memcpy(h, &hdr, sizeof(hdr));

    /* everything above becomes visible before the flag */
    atomic_store_explicit((_Atomic uint32_t *)&h->ready, IVSHARE_READY_VALUE,
                          memory_order_release);
    return 0;
}
