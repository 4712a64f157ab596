/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* info.c: what an open region holds, from its validated snapshot. */
#include <errno.h>
#include <string.h>

#include "core.h"

IVSHARE_EXPORT int
ivshare_region_get_info(const ivshare_region *r, ivshare_region_info *out)
{
    if (!r || !out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    memcpy(out->name, r->hdr.name, sizeof(out->name));
    out->name[IVSHARE_NAME_MAX] = '\0';
    out->version = r->hdr.version;
    out->size = r->hdr.total_size;
    out->header_size = r->hdr.header_size;
    out->fingerprint = r->hdr.fingerprint;
    out->generation = r->hdr.generation;
    out->doorbell = (r->hdr.flags & IVSHARE_REGION_DOORBELL) != 0;
    out->vectors = r->hdr.vectors;
    out->objects = r->n_objects;
    return 0;
}

IVSHARE_EXPORT int
ivshare_object_get_info(const ivshare_region *r, unsigned index, ivshare_object_info *out)
{
    const struct ivshare_object *o;

    if (!r || !out)
        return -EINVAL;
    if (index >= r->n_objects)
        return -ENOENT;
    o = &r->objects[index];
    memset(out, 0, sizeof(*out));
    memcpy(out->name, o->name, sizeof(out->name));
    out->name[IVSHARE_NAME_MAX] = '\0';
    out->type = (ivshare_object_type)o->type;
    out->offset = o->offset;
    out->size = o->size;
    switch (o->type) {
    case IVSHARE_OBJECT_RING:
        out->slot_size = o->param0;
        out->slots = o->param1;
        out->multi_producer = (o->flags & IVSHARE_RING_MULTI_PRODUCER) != 0;
        out->multi_consumer = (o->flags & IVSHARE_RING_MULTI_CONSUMER) != 0;
        break;
    case IVSHARE_OBJECT_POOL:
        out->buffer_size = o->param0;
        out->buffers = o->param1;
        break;
    default:
        out->align = o->param0;
        break;
    }
    return 0;
}

IVSHARE_EXPORT unsigned
ivshare_pool_in_use(const ivshare_pool *p)
{
    unsigned used = 0;

    if (!p)
        return 0;
    for (uint32_t i = 0; i < p->nbuffers; i++)
        used += atomic_load_explicit(&p->state[i], memory_order_relaxed) == IVSHARE_POOL_USED;
    return used;
}
