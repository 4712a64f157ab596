/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * exercise.c: drive every operation of an open region from fuzz input,
 * with a peer scribbling over the shared memory between operations, and
 * check that every result stays inside the region and within its bounds.
 */
#include <errno.h>

#include "exercise.h"

#define MAX_HANDLES 64
#define MSG_MAX 4096

typedef struct {
    ivshare_region *r;
    uint8_t *mem;
    size_t size;
    ivshare_ring *rings[8];
    unsigned n_rings;
    ivshare_pool *pools[8];
    unsigned n_pools;
    uint64_t handles[MAX_HANDLES];
    unsigned n_handles;
} state;

static gboolean
inside(const state *s, const void *p, size_t len)
{
    const uint8_t *b = p;

    return b >= s->mem && len <= s->size && (size_t)(b - s->mem) <= s->size - len;
}

/* Look every object up by the name its info gives, as an application would. */
static void
attach_objects(state *s)
{
    ivshare_region_info info;

    FUZZ_CHECK(ivshare_region_get_info(s->r, &info) == 0);
    FUZZ_CHECK(info.size <= s->size);
    FUZZ_CHECK(info.header_size <= info.size);
    FUZZ_CHECK(ivshare_object_get_info(s->r, info.objects, &(ivshare_object_info){ 0 }) == -ENOENT);
    for (unsigned i = 0; i < info.objects; i++) {
        ivshare_object_info o;
        void *addr;
        size_t len;

        FUZZ_CHECK(ivshare_object_get_info(s->r, i, &o) == 0);
        FUZZ_CHECK(o.offset <= s->size && o.size <= s->size - o.offset);
        switch (o.type) {
        case IVSHARE_TYPE_MEMZONE:
            FUZZ_CHECK(ivshare_memzone_lookup(s->r, o.name, &addr, &len) == 0);
            FUZZ_CHECK(inside(s, addr, len));
            if (len > 0) {
                ((volatile uint8_t *)addr)[0] ^= 0;
                ((volatile uint8_t *)addr)[len - 1] ^= 0;
            }
            break;
        case IVSHARE_TYPE_RING:
            if (s->n_rings < G_N_ELEMENTS(s->rings) &&
                ivshare_ring_lookup(s->r, o.name, &s->rings[s->n_rings]) == 0)
                s->n_rings++;
            break;
        case IVSHARE_TYPE_POOL:
            if (s->n_pools < G_N_ELEMENTS(s->pools) &&
                ivshare_pool_lookup(s->r, o.name, &s->pools[s->n_pools]) == 0)
                s->n_pools++;
            break;
        }
    }
    FUZZ_CHECK(ivshare_memzone_lookup(s->r, "no-such-object", NULL, NULL) == -ENOENT);
}

static void
ring_op(state *s, fuzz_reader *in, unsigned op)
{
    ivshare_ring *q = s->rings[fuzz_u8(in) % s->n_rings];
    size_t slot = ivshare_ring_slot_size(q);
    unsigned cap = ivshare_ring_capacity(q);
    static uint8_t msg[MSG_MAX + 8], buf[4][MSG_MAX + 8];
    size_t len = fuzz_u16(in) % (MIN(slot, MSG_MAX) + 2);
    size_t lens[4];
    int rc;

    FUZZ_CHECK(cap > 0 && (cap & (cap - 1)) == 0);
    memset(msg, fuzz_u8(in), len);
    switch (op) {
    case 0:
        rc = ivshare_ring_enqueue(q, msg, len);
        FUZZ_CHECK(rc == 0 || rc == -EAGAIN || rc == -EMSGSIZE || rc == -IVSHARE_ECORRUPT);
        if (len > slot)
            FUZZ_CHECK(rc == -EMSGSIZE);
        break;
    case 1: {
        size_t got = SIZE_MAX, bufcap = fuzz_u16(in) % (MSG_MAX + 1);
        rc = ivshare_ring_dequeue(q, buf[0], bufcap, &got);
        FUZZ_CHECK(rc == 0 || rc == -EAGAIN || rc == -EMSGSIZE || rc == -IVSHARE_ECORRUPT);
        if (rc == 0)
            FUZZ_CHECK(got <= bufcap && got <= slot);
        break;
    }
    case 2: {
        const void *msgs[4] = { msg, msg, msg, msg };
        size_t mlens[4] = { len, len / 2, 0, MIN(len, 1) };
        unsigned n = fuzz_u8(in) % 5;
        FUZZ_CHECK(ivshare_ring_enqueue_burst(q, msgs, mlens, n) <= n);
        break;
    }
    case 3: {
        void *bufs[4] = { buf[0], buf[1], buf[2], buf[3] };
        size_t bufcap = MIN(slot, MSG_MAX);
        unsigned n = fuzz_u8(in) % 5;
        unsigned got = ivshare_ring_dequeue_burst(q, bufs, bufcap, lens, n);
        FUZZ_CHECK(got <= n);
        for (unsigned i = 0; i < got; i++)
            FUZZ_CHECK(lens[i] <= bufcap);
        break;
    }
    default:
        FUZZ_CHECK(ivshare_ring_count(q) <= cap);
        break;
    }
}

static void
check_buffer(state *s, ivshare_pool *p, uint64_t h)
{
    size_t len = 0;
    void *b = ivshare_pool_buffer(p, h, &len);

    if (!b)
        return;
    FUZZ_CHECK(len == ivshare_pool_buffer_size(p));
    FUZZ_CHECK(inside(s, b, len));
    FUZZ_CHECK((uint8_t *)b - s->mem == (ptrdiff_t)h);
    ((volatile uint8_t *)b)[0] ^= 0;
    ((volatile uint8_t *)b)[len - 1] ^= 0;
}

static void
pool_op(state *s, fuzz_reader *in, unsigned op)
{
    ivshare_pool *p = s->pools[fuzz_u8(in) % s->n_pools];
    uint64_t h = 0;
    int rc;

    switch (op) {
    case 0:
        rc = ivshare_pool_get(p, &h);
        FUZZ_CHECK(rc == 0 || rc == -ENOBUFS || rc == -IVSHARE_ECORRUPT || rc == -EAGAIN);
        if (rc == 0) {
            FUZZ_CHECK(ivshare_pool_buffer(p, h, NULL) != NULL);
            check_buffer(s, p, h);
            if (s->n_handles < MAX_HANDLES)
                s->handles[s->n_handles++] = h;
        }
        break;
    case 1:
        if (s->n_handles > 0) {
            unsigned i = fuzz_u8(in) % s->n_handles;
            h = s->handles[i];
            s->handles[i] = s->handles[--s->n_handles];
        } else {
            h = fuzz_u64(in);
        }
        rc = ivshare_pool_put(p, h);
        FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -IVSHARE_ECORRUPT || rc == -EAGAIN);
        break;
    case 2:
        h = fuzz_u8(in) & 1 ? fuzz_u64(in) : fuzz_u32(in);
        check_buffer(s, p, h);
        break;
    default:
        FUZZ_CHECK(ivshare_pool_in_use(p) <= ivshare_pool_capacity(p));
        FUZZ_CHECK(ivshare_pool_buffer_size(p) > 0);
        break;
    }
}

/* A peer writes @n bytes at an offset of its choosing. */
static void
peer_write(state *s, fuzz_reader *in)
{
    size_t at = fuzz_u32(in) % s->size;
    size_t want = (size_t)fuzz_u8(in) % 16 + 1;
    size_t n = MIN(want, s->size - at);

    for (size_t i = 0; i < n; i++)
        s->mem[at + i] = fuzz_u8(in);
}

static void
doorbell_op(state *s, fuzz_reader *in)
{
    unsigned peer = 0;
    int rc = ivshare_peer_lookup(s->r, fuzz_u8(in) & 1 ? "vm1" : "pktgen", &peer);

    FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EAGAIN);
    if (rc == 0)
        FUZZ_CHECK(peer <= UINT16_MAX);
    rc = ivshare_doorbell_ring(s->r, fuzz_u16(in), fuzz_u8(in));
    FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EINVAL || rc == -ENOTSUP);
    rc = ivshare_doorbell_wait(s->r, fuzz_u8(in), 0);
    FUZZ_CHECK(rc == 0 || rc == -ETIMEDOUT || rc == -ENOTSUP || rc == -EINVAL);
}

void
fuzz_exercise(ivshare_region *r, uint8_t *mem, size_t size, fuzz_reader *in, unsigned max_ops)
{
    state s = { .r = r, .mem = mem, .size = size };
    int rc;

    FUZZ_CHECK(ivshare_region_size(r) == size);
    FUZZ_CHECK(ivshare_region_name(r)[0] != '\0');
    attach_objects(&s);
    for (unsigned i = 0; i < max_ops && !fuzz_done(in); i++) {
        unsigned op = fuzz_u8(in);

        switch (op % 8) {
        case 0: case 1: case 2:
            if (s.n_rings > 0)
                ring_op(&s, in, op / 8 % 5);
            break;
        case 3: case 4:
            if (s.n_pools > 0)
                pool_op(&s, in, op / 8 % 4);
            break;
        case 5:
            peer_write(&s, in);
            break;
        case 6:
            doorbell_op(&s, in);
            break;
        default:
            rc = ivshare_region_check(r);
            FUZZ_CHECK(rc == 0 || rc == -ESTALE || rc == -IVSHARE_EBADREGION);
            break;
        }
    }
}
