/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ring.c: lock-free rings of variable-length messages in shared memory. */
#include <errno.h>
#include <string.h>

#include "core.h"

/*
 * The algorithm is Dmitry Vyukov's bounded MPMC queue: every slot carries a
 * sequence number that tells which lap of the ring it belongs to.
 *
 *   slot.seq == pos           free for the producer of position pos
 *   slot.seq == pos + 1       holds the message of position pos
 *   slot.seq == pos + slots   released by the consumer of pos, free for
 *                             the producer of pos + slots
 *
 * Producers claim a position (a compare-and-swap on the shared producer
 * position, or a process-local counter for a single producer), write length
 * and payload, then publish with a release store of seq.  Consumers mirror
 * that.  Nobody ever waits for another party: a slot that is not ready yet
 * makes the call return -EAGAIN.  Every value read from shared memory is
 * bounded before use, and compare-and-swap loops give up after
 * IVSHARE_CAS_ATTEMPTS failures, so a peer writing garbage can only make
 * messages wrong or calls fail.  See docs/metadata.md.
 */

struct ivshare_slot {
    _Atomic uint32_t seq;
    _Atomic uint32_t len;
    uint8_t payload[];
};

/*
 * Guests may map the region write-combining, where x86 stores (and loads)
 * are weakly ordered even against a following release store: fence
 * explicitly there.  On write-back and uncached memory, and on other
 * architectures, the C11 fences below are enough.
 */
static inline void ivshare_store_fence(bool wc)
{
#if defined(__x86_64__) || defined(__i386__)
    if (wc)
        __builtin_ia32_sfence();
#endif
    atomic_thread_fence(memory_order_release);
}

static inline void ivshare_load_fence(bool wc)
{
#if defined(__x86_64__) || defined(__i386__)
    if (wc)
        __builtin_ia32_lfence();
#endif
    atomic_thread_fence(memory_order_acquire);
}

uint32_t ivshare_ring_stride(uint32_t slot_size)
{
    /* slot_size <= IVSHARE_RING_SLOT_SIZE_MAX, so this cannot overflow */
    return (IVSHARE_RING_SLOT_HDR + slot_size + 7u) & ~7u;
}

uint64_t ivshare_ring_footprint(uint32_t slots, uint32_t slot_size)
{
    if (!ivshare_is_pow2(slots) || slots > IVSHARE_RING_SLOTS_MAX ||
        slot_size == 0 || slot_size > IVSHARE_RING_SLOT_SIZE_MAX)
        return 0;
    return IVSHARE_RING_HEAD_SIZE + (uint64_t)slots * ivshare_ring_stride(slot_size);
}

static inline struct ivshare_slot *ivshare_slot_at(uint8_t *slots, uint32_t stride,
                                                   uint32_t mask, uint32_t pos)
{
    return (struct ivshare_slot *)(slots + (size_t)(pos & mask) * stride);
}

void ivshare_ring_init_shared(void *mem, uint32_t slots, uint32_t slot_size)
{
    uint8_t *base = mem;
    uint32_t stride = ivshare_ring_stride(slot_size);

    memset(base, 0, IVSHARE_RING_HEAD_SIZE);
    atomic_init((_Atomic uint32_t *)base, 0);
    atomic_init((_Atomic uint32_t *)(base + 128), 0);
    for (uint32_t i = 0; i < slots; i++) {
        struct ivshare_slot *s = ivshare_slot_at(base + IVSHARE_RING_HEAD_SIZE,
                                                 stride, slots - 1, i);
        atomic_init(&s->seq, i);
        atomic_init(&s->len, 0);
    }
}

void ivshare_ring_attach(ivshare_ring *q, ivshare_region *r, void *mem,
                         uint32_t slots, uint32_t slot_size, uint32_t flags,
                         bool fence)
{
    uint8_t *base = mem;

    memset(q, 0, sizeof(*q));
    q->region = r;
    q->prod_pos = (_Atomic uint32_t *)base;
    q->cons_pos = (_Atomic uint32_t *)(base + 128);
    q->slots = base + IVSHARE_RING_HEAD_SIZE;
    q->nslots = slots;
    q->mask = slots - 1;
    q->slot_size = slot_size;
    q->stride = ivshare_ring_stride(slot_size);
    q->flags = flags;
    q->fence = fence;
}

/*
 * Copy a message.  Up to 64 bytes, two overlapping fixed-size moves the
 * compiler inlines: ring messages are small, and a call to memcpy() per
 * message is a good part of the cost of a ring operation.
 */
static inline void ivshare_msg_copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;

    if (n > 64) {
        memcpy(d, s, n);
    } else if (n >= 32) {
        memcpy(d, s, 32);
        memcpy(d + n - 32, s + n - 32, 32);
    } else if (n >= 16) {
        memcpy(d, s, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    }
}

/*
 * Single producer and single consumer (neither flag): the same slot states
 * as every ring, with two shortcuts.  The producer learns that slots are
 * free from the consumer position, which it reads again only when the last
 * value it read says the ring is full, instead of reading each slot's seq
 * before writing it; and each side stores its position once per call,
 * bursts included.  See "Rings" in docs/metadata.md.
 */
static inline bool ivshare_ring_is_spsc(const ivshare_ring *q)
{
    return !(q->flags & (IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER));
}

static uint32_t ivshare_ring_resync(ivshare_ring *q, _Atomic uint32_t *shared, uint32_t done);

/*
 * Free positions from prod_local, at most @n.  Whenever the producer reads
 * the consumer position again it also checks the seq of the slot it is
 * about to fill, as every producer does: garbage stops it with -EAGAIN.
 */
static unsigned ivshare_spsc_room(ivshare_ring *q, unsigned n)
{
    uint32_t pos, used;

    if (!q->prod_cached) {
        q->prod_local = ivshare_ring_resync(q, q->prod_pos, 1);
        q->cons_seen = q->prod_local - q->nslots;   /* forces the reload below */
        q->prod_cached = true;
    }
    pos = q->prod_local;
    used = pos - q->cons_seen;
    if (used > q->nslots || q->nslots - used < n) {
        q->cons_seen = atomic_load_explicit(q->cons_pos, memory_order_acquire);
        used = pos - q->cons_seen;
        if (used >= q->nslots)
            return 0;   /* full, or a consumer position ahead of ours: garbage */
        if (atomic_load_explicit(&ivshare_slot_at(q->slots, q->stride, q->mask, pos)->seq,
                                 memory_order_acquire) != pos)
            return 0;
    }
    return n < q->nslots - used ? n : q->nslots - used;
}

static unsigned ivshare_spsc_enqueue(ivshare_ring *q, const void *const *msgs,
                                     const size_t *lens, unsigned n)
{
    unsigned room = ivshare_spsc_room(q, n), i;
    uint32_t pos = q->prod_local;

    for (i = 0; i < room && lens[i] <= q->slot_size; i++) {
        struct ivshare_slot *s = ivshare_slot_at(q->slots, q->stride, q->mask, pos + i);

        atomic_store_explicit(&s->len, (uint32_t)lens[i], memory_order_relaxed);
        ivshare_msg_copy(s->payload, msgs[i], lens[i]);
        ivshare_store_fence(q->fence);
        atomic_store_explicit(&s->seq, pos + i + 1, memory_order_release);
    }
    if (i) {
        q->prod_local = pos + i;
        atomic_store_explicit(q->prod_pos, pos + i, memory_order_release);
    }
    return i;
}

/* Up to @n messages in one pass; *err says why it stopped early. */
static unsigned ivshare_spsc_dequeue(ivshare_ring *q, void *const *bufs, size_t cap,
                                     size_t *lens, unsigned n, int *err)
{
    uint32_t pos;
    unsigned i;

    if (!q->cons_cached) {
        q->cons_local = ivshare_ring_resync(q, q->cons_pos, q->nslots);
        q->cons_cached = true;
    }
    pos = q->cons_local;
    *err = -EAGAIN;
    for (i = 0; i < n; i++) {
        struct ivshare_slot *s = ivshare_slot_at(q->slots, q->stride, q->mask, pos + i);
        uint32_t len;

        if (atomic_load_explicit(&s->seq, memory_order_acquire) != pos + i + 1)
            break;
        ivshare_load_fence(q->fence);
        len = atomic_load_explicit(&s->len, memory_order_relaxed);
        if (len > q->slot_size)
            len = q->slot_size;
        if (len > cap) {
            *err = -EMSGSIZE;   /* it stays queued */
            break;
        }
        ivshare_msg_copy(bufs[i], s->payload, len);
        lens[i] = len;
        /* the copy must be complete before the producer may reuse the slot */
        ivshare_store_fence(q->fence);
        atomic_store_explicit(&s->seq, pos + i + q->nslots, memory_order_release);
    }
    if (i) {
        q->cons_local = pos + i;
        atomic_store_explicit(q->cons_pos, pos + i, memory_order_release);
    }
    return i;
}

/*
 * The position a single producer or consumer starts from: the shared one,
 * moved past the slots that a predecessor finished (their seq is pos +
 * @done: 1 for a producer, slots for a consumer) but died before it stored
 * the position.  Bounded by one lap.
 */
static uint32_t ivshare_ring_resync(ivshare_ring *q, _Atomic uint32_t *shared, uint32_t done)
{
    uint32_t pos = atomic_load_explicit(shared, memory_order_relaxed);

    for (uint32_t n = 0; n < q->nslots; n++, pos++) {
        struct ivshare_slot *s = ivshare_slot_at(q->slots, q->stride, q->mask, pos);
        if (atomic_load_explicit(&s->seq, memory_order_acquire) != pos + done)
            break;
    }
    return pos;
}

/*
 * Producer side.  Claim up to @n consecutive positions whose slots are
 * free: the number claimed (first in *out), or -EAGAIN when the first slot
 * is not free (full) or the claim kept failing.
 */
static int ivshare_ring_claim_prod(ivshare_ring *q, unsigned n, uint32_t *out)
{
    uint32_t pos;
    unsigned k;

    if (!(q->flags & IVSHARE_RING_MULTI_PRODUCER)) {
        if (!q->prod_cached) {
            q->prod_local = ivshare_ring_resync(q, q->prod_pos, 1);
            q->prod_cached = true;
        }
        pos = q->prod_local;
        for (k = 0; k < n; k++) {
            struct ivshare_slot *s = ivshare_slot_at(q->slots, q->stride, q->mask, pos + k);
            if (atomic_load_explicit(&s->seq, memory_order_acquire) != pos + k)
                break;
        }
        if (k == 0)
            return -EAGAIN;
        q->prod_local = pos + k;
        *out = pos;
        return (int)k;
    }

    pos = atomic_load_explicit(q->prod_pos, memory_order_relaxed);
    for (unsigned attempt = 0; attempt < IVSHARE_CAS_ATTEMPTS; attempt++) {
        struct ivshare_slot *s = ivshare_slot_at(q->slots, q->stride, q->mask, pos);
        int32_t dif = (int32_t)(atomic_load_explicit(&s->seq, memory_order_acquire) - pos);

        if (dif < 0)
            return -EAGAIN;
        if (dif > 0) {
            /* another producer claimed it: start again from the current position */
            pos = atomic_load_explicit(q->prod_pos, memory_order_relaxed);
            continue;
        }
        for (k = 1; k < n; k++) {
            s = ivshare_slot_at(q->slots, q->stride, q->mask, pos + k);
            if (atomic_load_explicit(&s->seq, memory_order_acquire) != pos + k)
                break;
        }
        if (atomic_compare_exchange_weak_explicit(q->prod_pos, &pos, pos + k,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *out = pos;
            return (int)k;
        }
    }
    return -EAGAIN;
}

/* Write one message into the claimed position @pos and publish it. */
static void ivshare_ring_fill(ivshare_ring *q, uint32_t pos, const void *msg, size_t len)
{
    struct ivshare_slot *s = ivshare_slot_at(q->slots, q->stride, q->mask, pos);

    atomic_store_explicit(&s->len, (uint32_t)len, memory_order_relaxed);
    ivshare_msg_copy(s->payload, msg, len);
    ivshare_store_fence(q->fence);
    atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
}

IVSHARE_EXPORT int ivshare_ring_enqueue(ivshare_ring *q, const void *msg, size_t len)
{
    uint32_t pos;
    int rc;

    if (len > q->slot_size)
        return -EMSGSIZE;
    if (ivshare_ring_is_spsc(q))
        return ivshare_spsc_enqueue(q, &msg, &len, 1) ? 0 : -EAGAIN;
    rc = ivshare_ring_claim_prod(q, 1, &pos);
    if (rc < 0)
        return rc;
    ivshare_ring_fill(q, pos, msg, len);
    if (!(q->flags & IVSHARE_RING_MULTI_PRODUCER))
        atomic_store_explicit(q->prod_pos, pos + 1, memory_order_release);
    return 0;
}

IVSHARE_EXPORT unsigned ivshare_ring_enqueue_burst(ivshare_ring *q, const void *const *msgs,
                                                   const size_t *lens, unsigned n)
{
    unsigned fit, done = 0;
    uint32_t pos;

    if (ivshare_ring_is_spsc(q))
        return ivshare_spsc_enqueue(q, msgs, lens, n);
    /* the burst stops before the first message that is too long */
    for (fit = 0; fit < n && lens[fit] <= q->slot_size; fit++)
        ;
    while (done < fit) {
        int k = ivshare_ring_claim_prod(q, fit - done, &pos);
        if (k < 0)
            break;
        for (int i = 0; i < k; i++)
            ivshare_ring_fill(q, pos + (uint32_t)i, msgs[done + i], lens[done + i]);
        done += (unsigned)k;
        if (!(q->flags & IVSHARE_RING_MULTI_PRODUCER))
            atomic_store_explicit(q->prod_pos, pos + (uint32_t)k, memory_order_release);
    }
    return done;
}

/*
 * Consumer side.  The length of the message in the slot of @pos, bounded
 * by the slot size, if it is published; else -1.
 */
static int64_t ivshare_ring_ready_len(ivshare_ring *q, uint32_t pos)
{
    struct ivshare_slot *s = ivshare_slot_at(q->slots, q->stride, q->mask, pos);
    uint32_t len;

    if (atomic_load_explicit(&s->seq, memory_order_acquire) != pos + 1)
        return -1;
    ivshare_load_fence(q->fence);
    len = atomic_load_explicit(&s->len, memory_order_relaxed);
    return len > q->slot_size ? q->slot_size : len;
}

/*
 * Claim up to @n consecutive published messages that each fit @cap, their
 * lengths in @lens: the number claimed (first in *out), -EAGAIN when the
 * first is not published (empty) or the claim kept failing, -EMSGSIZE when
 * the first is longer than @cap (it stays queued).
 */
static int ivshare_ring_claim_cons(ivshare_ring *q, unsigned n, size_t cap,
                                   size_t *lens, uint32_t *out)
{
    uint32_t pos;
    unsigned k;

    if (!(q->flags & IVSHARE_RING_MULTI_CONSUMER)) {
        if (!q->cons_cached) {
            q->cons_local = ivshare_ring_resync(q, q->cons_pos, q->nslots);
            q->cons_cached = true;
        }
        pos = q->cons_local;
        for (k = 0; k < n; k++) {
            int64_t len = ivshare_ring_ready_len(q, pos + k);
            if (len < 0)
                break;
            if ((uint64_t)len > cap) {
                if (k == 0)
                    return -EMSGSIZE;
                break;
            }
            lens[k] = (size_t)len;
        }
        if (k == 0)
            return -EAGAIN;
        q->cons_local = pos + k;
        *out = pos;
        return (int)k;
    }

    pos = atomic_load_explicit(q->cons_pos, memory_order_relaxed);
    for (unsigned attempt = 0; attempt < IVSHARE_CAS_ATTEMPTS; attempt++) {
        struct ivshare_slot *s = ivshare_slot_at(q->slots, q->stride, q->mask, pos);
        int32_t dif = (int32_t)(atomic_load_explicit(&s->seq, memory_order_acquire) - (pos + 1));

        if (dif < 0)
            return -EAGAIN;
        if (dif > 0) {
            /* another consumer took it: start again from the current position */
            pos = atomic_load_explicit(q->cons_pos, memory_order_relaxed);
            continue;
        }
        for (k = 0; k < n; k++) {
            int64_t len = ivshare_ring_ready_len(q, pos + k);
            if (len < 0 || (uint64_t)len > cap)
                break;
            lens[k] = (size_t)len;
        }
        if (k == 0) {
            /* published (dif == 0) but too long, or changed under us */
            if (ivshare_ring_ready_len(q, pos) > (int64_t)cap)
                return -EMSGSIZE;
            pos = atomic_load_explicit(q->cons_pos, memory_order_relaxed);
            continue;
        }
        if (atomic_compare_exchange_weak_explicit(q->cons_pos, &pos, pos + k,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed)) {
            *out = pos;
            return (int)k;
        }
    }
    return -EAGAIN;
}

/* Copy out the claimed message at @pos and hand its slot back. */
static void ivshare_ring_drain(ivshare_ring *q, uint32_t pos, void *buf, size_t len)
{
    struct ivshare_slot *s = ivshare_slot_at(q->slots, q->stride, q->mask, pos);

    ivshare_msg_copy(buf, s->payload, len);
    /* the copy must be complete before the producer may reuse the slot */
    ivshare_store_fence(q->fence);
    atomic_store_explicit(&s->seq, pos + q->nslots, memory_order_release);
}

IVSHARE_EXPORT int ivshare_ring_dequeue(ivshare_ring *q, void *buf, size_t cap, size_t *lenp)
{
    uint32_t pos;
    size_t len;
    int rc;

    if (ivshare_ring_is_spsc(q)) {
        if (!ivshare_spsc_dequeue(q, &buf, cap, &len, 1, &rc))
            return rc;
        if (lenp)
            *lenp = len;
        return 0;
    }
    rc = ivshare_ring_claim_cons(q, 1, cap, &len, &pos);
    if (rc < 0)
        return rc;
    ivshare_ring_drain(q, pos, buf, len);
    if (!(q->flags & IVSHARE_RING_MULTI_CONSUMER))
        atomic_store_explicit(q->cons_pos, pos + 1, memory_order_release);
    if (lenp)
        *lenp = len;
    return 0;
}

IVSHARE_EXPORT unsigned ivshare_ring_dequeue_burst(ivshare_ring *q, void *const *bufs, size_t cap,
                                                   size_t *lens, unsigned n)
{
    unsigned done = 0;
    uint32_t pos;
    int err;

    if (ivshare_ring_is_spsc(q))
        return ivshare_spsc_dequeue(q, bufs, cap, lens, n, &err);
    while (done < n) {
        int k = ivshare_ring_claim_cons(q, n - done, cap, lens + done, &pos);
        if (k < 0)
            break;
        for (int i = 0; i < k; i++)
            ivshare_ring_drain(q, pos + (uint32_t)i, bufs[done + i], lens[done + i]);
        done += (unsigned)k;
        if (!(q->flags & IVSHARE_RING_MULTI_CONSUMER))
            atomic_store_explicit(q->cons_pos, pos + (uint32_t)k, memory_order_release);
    }
    return done;
}

IVSHARE_EXPORT size_t ivshare_ring_slot_size(const ivshare_ring *q)
{
    return q->slot_size;
}

IVSHARE_EXPORT unsigned ivshare_ring_capacity(const ivshare_ring *q)
{
    return q->nslots;
}

IVSHARE_EXPORT unsigned ivshare_ring_count(const ivshare_ring *q)
{
    uint32_t cons = atomic_load_explicit(q->cons_pos, memory_order_acquire);
    uint32_t prod = atomic_load_explicit(q->prod_pos, memory_order_acquire);
    int32_t n = (int32_t)(prod - cons);

    if (n < 0)
        return 0;
    return (uint32_t)n > q->nslots ? q->nslots : (unsigned)n;
}
