/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* region.c: open, validate and close regions; find objects by name. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

static int ivshare_cmp_offset(const void *a, const void *b)
{
    const struct ivshare_object *x = a, *y = b;

    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int ivshare_cmp_name(const void *a, const void *b)
{
    const struct ivshare_object *x = a, *y = b;

    return strcmp(x->name, y->name);
}

/* Is the table entry @o consistent with format v1 and the header? */
static bool ivshare_object_valid(const struct ivshare_object *o,
                                 const struct ivshare_header *h, bool strict)
{
    uint64_t fp;

    if (!ivshare_name_valid(o->name, sizeof(o->name)))
        return false;
    if (o->size == 0 || o->offset < h->header_size ||
        o->offset % IVSHARE_OBJECT_ALIGN != 0 ||
        o->offset > h->total_size || o->size > h->total_size - o->offset)
        return false;

    switch (o->type) {
    case IVSHARE_OBJECT_MEMZONE:
        if (o->param0 != 0 && (!ivshare_is_pow2(o->param0) || o->offset % o->param0 != 0))
            return false;
        return true;
    case IVSHARE_OBJECT_RING:
        if (o->flags & ~(IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER))
            return false;
        fp = ivshare_ring_footprint(o->param1, o->param0);
        return fp != 0 && o->size >= fp;
    case IVSHARE_OBJECT_POOL:
        fp = ivshare_pool_footprint(o->param1, o->param0);
        return fp != 0 && o->size >= fp;
    default:
        /* a later minor version may add object types: skipped, not used */
        return !strict;
    }
}

/* Do [a, a+alen) and [b, b+blen) intersect?  (Callers pass bounds below 2^42.) */
static bool ivshare_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

static bool ivshare_header_valid(const struct ivshare_header *h, size_t size)
{
    uint64_t objects_end, peers_end;

    if (h->header_size < IVSHARE_HEADER_ALIGN || h->header_size % IVSHARE_HEADER_ALIGN != 0)
        return false;
    if (h->total_size > size || h->total_size < h->header_size)
        return false;
    if (!ivshare_name_valid(h->name, sizeof(h->name)))
        return false;

    if (h->object_count > IVSHARE_MAX_OBJECTS)
        return false;
    objects_end = (uint64_t)h->object_offset +
                  (uint64_t)h->object_count * sizeof(struct ivshare_object);
    if (h->object_count > 0 &&
        (h->object_offset < sizeof(*h) || h->object_offset % 8 != 0 ||
         objects_end > h->header_size))
        return false;

    if (h->peer_count > UINT16_MAX + 1u)       /* peer IDs are 16 bits */
        return false;
    peers_end = (uint64_t)h->peer_offset +
                (uint64_t)h->peer_count * sizeof(struct ivshare_peer);
    if (h->peer_count > 0 &&
        (h->peer_offset < sizeof(*h) || h->peer_offset % 8 != 0 ||
         peers_end > h->header_size))
        return false;
    if (ivshare_ranges_overlap(h->object_offset, objects_end - h->object_offset,
                               h->peer_offset, peers_end - h->peer_offset))
        return false;
    return true;
}

static int ivshare_objects_validate(const struct ivshare_object *objs, unsigned n,
                                    const struct ivshare_header *h)
{
    bool strict = IVSHARE_FORMAT_MINOR(h->version) == 0;
    struct ivshare_object *sorted;
    int rc = 0;

    for (unsigned i = 0; i < n; i++)
        if (!ivshare_object_valid(&objs[i], h, strict))
            return -IVSHARE_EBADREGION;
    if (n < 2)
        return 0;

    sorted = malloc(n * sizeof(*sorted));
    if (!sorted)
        return -ENOMEM;
    memcpy(sorted, objs, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), ivshare_cmp_offset);
    for (unsigned i = 1; i < n && rc == 0; i++) {
        /* offset + size <= total_size was checked: no overflow */
        if (sorted[i - 1].offset + sorted[i - 1].size > sorted[i].offset)
            rc = -IVSHARE_EBADREGION;
    }
    qsort(sorted, n, sizeof(*sorted), ivshare_cmp_name);
    for (unsigned i = 1; i < n && rc == 0; i++)
        if (strcmp(sorted[i - 1].name, sorted[i].name) == 0)
            rc = -IVSHARE_EBADREGION;
    free(sorted);
    return rc;
}

int ivshare_region_validate(const void *base, size_t size,
                            struct ivshare_header *hdr,
                            struct ivshare_object **objects)
{
    const uint8_t *p = base;
    static const char zero[sizeof(hdr->magic)];
    struct ivshare_object *objs = NULL;
    uint32_t ready;
    int rc;

    *objects = NULL;
    if (!base || size < sizeof(*hdr))
        return -IVSHARE_EBADREGION;

    ready = atomic_load_explicit((_Atomic uint32_t *)(p + offsetof(struct ivshare_header, ready)),
                                 memory_order_acquire);
    memcpy(hdr, p, sizeof(*hdr));

    if (memcmp(hdr->magic, IVSHARE_MAGIC, sizeof(hdr->magic)) != 0) {
        /* a zero-filled file is a region still being built */
        if (memcmp(hdr->magic, zero, sizeof(zero)) == 0 && ready == 0)
            return -IVSHARE_ENOTREADY;
        return -IVSHARE_EBADREGION;
    }
    if (IVSHARE_FORMAT_MAJOR(hdr->version) != IVSHARE_FORMAT_MAJOR(IVSHARE_FORMAT_VERSION))
        return -IVSHARE_EBADVERSION;
    if (ready != IVSHARE_READY_VALUE)
        return -IVSHARE_ENOTREADY;
    hdr->ready = ready;
    if (!ivshare_header_valid(hdr, size))
        return -IVSHARE_EBADREGION;

    if (hdr->object_count > 0) {
        objs = malloc((size_t)hdr->object_count * sizeof(*objs));
        if (!objs)
            return -ENOMEM;
        memcpy(objs, p + hdr->object_offset, (size_t)hdr->object_count * sizeof(*objs));
    }
    rc = ivshare_objects_validate(objs, hdr->object_count, hdr);
    if (rc < 0) {
        free(objs);
        return rc;
    }
    *objects = objs;
    return 0;
}

int ivshare_region_new(void *base, size_t size, bool owned, ivshare_region **out)
{
    ivshare_region *r;
    int rc;

    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    rc = ivshare_region_validate(base, size, &r->hdr, &r->objects);
    if (rc < 0) {
        free(r);
        return rc;
    }
    r->n_objects = r->hdr.object_count;
    r->handles = calloc(r->n_objects ? r->n_objects : 1, sizeof(*r->handles));
    if (!r->handles) {
        free(r->objects);
        free(r);
        return -ENOMEM;
    }
    r->base = base;
    r->size = size;
    r->owned = owned;
    r->self = -1;
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return 0;
}

int ivshare_fd_open(int fd, size_t size, bool fence, ivshare_region **out)
{
    struct stat st;
    void *base;
    int rc;

    if (size == 0) {
        if (fstat(fd, &st) < 0)
            return -errno;
        if (st.st_size < 0 || (uint64_t)st.st_size > SIZE_MAX)
            return -EFBIG;
        size = (size_t)st.st_size;
    }
    if (size < sizeof(struct ivshare_header))
        return -IVSHARE_EBADREGION;
    base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED)
        return -errno;
    rc = ivshare_region_new(base, size, true, out);
    if (rc < 0) {
        munmap(base, size);
        return rc;
    }
    (*out)->fence = fence;
    return 0;
}

IVSHARE_EXPORT int ivshare_path_open(const char *path, ivshare_region **out)
{
    int fd, rc;

    if (!path || !out)
        return -EINVAL;
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    rc = ivshare_fd_open(fd, 0, false, out);
    close(fd);
    return rc;
}

IVSHARE_EXPORT int ivshare_mem_open(void *base, size_t len, ivshare_region **out)
{
    /* shared words are accessed atomically: they must be aligned */
    if (!out || (uintptr_t)base % 8 != 0)
        return -EINVAL;
    return ivshare_region_new(base, len, false, out);
}

IVSHARE_EXPORT int ivshare_host_open(const char *region, ivshare_region **out)
{
    char dir[PATH_MAX], path[PATH_MAX];
    int rc;

    if (!region || !out || !ivshare_name_valid(region, IVSHARE_NAME_LEN))
        return -EINVAL;
    rc = ivshare_runtime_dir(dir, sizeof(dir));
    if (rc < 0)
        return rc;
    if ((size_t)snprintf(path, sizeof(path), "%s/regions/%s", dir, region) >= sizeof(path))
        return -ENAMETOOLONG;
    rc = ivshare_path_open(path, out);
    if (rc < 0)
        return rc;
    if (strcmp((*out)->hdr.name, region) != 0) {
        ivshare_close(*out);
        *out = NULL;
        return -IVSHARE_EBADREGION;
    }
    return 0;
}

IVSHARE_EXPORT void ivshare_close(ivshare_region *r)
{
    if (!r)
        return;
    for (unsigned i = 0; i < r->n_objects; i++)
        free(r->handles[i]);
    free(r->handles);
    free(r->objects);
    ivshare_doorbell_close(r);
    if (r->bar0)
        munmap((void *)r->bar0, r->bar0_size);
    if (r->owned)
        munmap(r->base, r->size);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

IVSHARE_EXPORT const char *ivshare_region_name(const ivshare_region *r)
{
    return r->hdr.name;
}

IVSHARE_EXPORT size_t ivshare_region_size(const ivshare_region *r)
{
    return r->size;
}

IVSHARE_EXPORT int ivshare_region_check(ivshare_region *r)
{
    struct ivshare_header now;
    uint32_t ready;

    ready = atomic_load_explicit((_Atomic uint32_t *)(r->base + offsetof(struct ivshare_header, ready)),
                                 memory_order_acquire);
    memcpy(&now, r->base, sizeof(now));
    if (ready != IVSHARE_READY_VALUE || now.generation != r->hdr.generation)
        return -ESTALE;
    now.ready = ready;
    if (memcmp(&now, &r->hdr, sizeof(now)) != 0)
        return -IVSHARE_EBADREGION;
    if (r->n_objects > 0 &&
        memcmp(r->base + r->hdr.object_offset, r->objects,
               (size_t)r->n_objects * sizeof(*r->objects)) != 0)
        return -IVSHARE_EBADREGION;
    return 0;
}

/* The private table entry of object @name of @type, or NULL. */
static const struct ivshare_object *ivshare_find(const ivshare_region *r,
                                                 const char *name, uint32_t type,
                                                 unsigned *index)
{
    if (!name)
        return NULL;
    for (unsigned i = 0; i < r->n_objects; i++) {
        if (r->objects[i].type == type && strcmp(r->objects[i].name, name) == 0) {
            *index = i;
            return &r->objects[i];
        }
    }
    return NULL;
}

IVSHARE_EXPORT int ivshare_memzone_lookup(ivshare_region *r, const char *name,
                                          void **addr, size_t *len)
{
    unsigned i;
    const struct ivshare_object *o = ivshare_find(r, name, IVSHARE_OBJECT_MEMZONE, &i);

    if (!o)
        return -ENOENT;
    if (addr)
        *addr = r->base + o->offset;
    if (len)
        *len = (size_t)o->size;
    return 0;
}

IVSHARE_EXPORT int ivshare_ring_lookup(ivshare_region *r, const char *name,
                                       ivshare_ring **out)
{
    unsigned i;
    const struct ivshare_object *o = ivshare_find(r, name, IVSHARE_OBJECT_RING, &i);
    int rc = 0;

    if (!o)
        return -ENOENT;
    pthread_mutex_lock(&r->lock);
    if (!r->handles[i]) {
        void *q = NULL;
        if (posix_memalign(&q, _Alignof(ivshare_ring), sizeof(ivshare_ring)) == 0) {
            ivshare_ring_attach(q, r, r->base + o->offset, o->param1, o->param0,
                                o->flags, r->fence);
            r->handles[i] = q;
        } else {
            rc = -ENOMEM;
        }
    }
    if (rc == 0)
        *out = r->handles[i];
    pthread_mutex_unlock(&r->lock);
    return rc;
}

IVSHARE_EXPORT int ivshare_pool_lookup(ivshare_region *r, const char *name,
                                       ivshare_pool **out)
{
    unsigned i;
    const struct ivshare_object *o = ivshare_find(r, name, IVSHARE_OBJECT_POOL, &i);
    int rc = 0;

    if (!o)
        return -ENOENT;
    pthread_mutex_lock(&r->lock);
    if (!r->handles[i]) {
        void *p = NULL;
        if (posix_memalign(&p, _Alignof(ivshare_pool), sizeof(ivshare_pool)) == 0) {
            ivshare_pool_attach(p, r, r->base + o->offset, o->param1, o->param0,
                                r->fence);
            r->handles[i] = p;
        } else {
            rc = -ENOMEM;
        }
    }
    if (rc == 0)
        *out = r->handles[i];
    pthread_mutex_unlock(&r->lock);
    return rc;
}
