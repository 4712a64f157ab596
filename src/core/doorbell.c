/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* doorbell.c: the peer table, doorbell counters and doorbell registers. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core.h"

/* Reads of one peer entry before it counts as unstable. */
#define IVSHARE_PEER_READ_ATTEMPTS 64u
/* Offset of the Doorbell register in BAR0 (QEMU docs/specs/ivshmem-spec). */
#define IVSHARE_BAR0_DOORBELL 12u
/* Polls of a doorbell counter before a waiter starts to sleep. */
#define IVSHARE_WAIT_SPINS 2000u
/* Longest sleep between two polls, in nanoseconds. */
#define IVSHARE_WAIT_SLEEP_MAX 1000000L

static uint8_t *ivshare_peer_at(const ivshare_region *r, unsigned i)
{
    return r->base + r->hdr.peer_offset + (size_t)i * sizeof(struct ivshare_peer);
}

static _Atomic uint32_t *ivshare_peer_bell(const ivshare_region *r, unsigned i, unsigned vector)
{
    return (_Atomic uint32_t *)(ivshare_peer_at(r, i) + offsetof(struct ivshare_peer, bells) +
                                (size_t)vector * sizeof(uint32_t));
}

/*
 * Copy the identity of peer entry @i consistently: the writer makes seq
 * odd, writes the entry, then makes seq even again.  0, or -EAGAIN if it
 * kept changing.  The counters are not part of the copy.
 */
static int ivshare_peer_read(const ivshare_region *r, unsigned i, struct ivshare_peer *out)
{
    const uint8_t *e = ivshare_peer_at(r, i);
    _Atomic uint32_t *seqp = (_Atomic uint32_t *)(e + offsetof(struct ivshare_peer, seq));
    const size_t identity = offsetof(struct ivshare_peer, bells);

    for (unsigned attempt = 0; attempt < IVSHARE_PEER_READ_ATTEMPTS; attempt++) {
        uint32_t s1 = atomic_load_explicit(seqp, memory_order_acquire);
        if (s1 & 1u)
            continue;
        memcpy(out, e, identity);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(seqp, memory_order_relaxed) == s1)
            return 0;
    }
    return -EAGAIN;
}

/* Is entry @e a valid, used peer entry? */
static bool ivshare_peer_valid(const struct ivshare_peer *e)
{
    return (e->kind == IVSHARE_PEER_DOMAIN || e->kind == IVSHARE_PEER_HOST_APP) &&
           e->id <= UINT16_MAX && ivshare_name_valid(e->name, sizeof(e->name));
}

IVSHARE_EXPORT int ivshare_peer_lookup(ivshare_region *r, const char *name, unsigned *peer)
{
    bool unstable = false;

    if (!r || !name || !peer)
        return -EINVAL;
    for (unsigned i = 0; i < r->hdr.peer_count; i++) {
        struct ivshare_peer e;

        if (ivshare_peer_read(r, i, &e) < 0) {
            unstable = true;
            continue;
        }
        if (ivshare_peer_valid(&e) && strcmp(e.name, name) == 0) {
            *peer = e.id;
            return 0;
        }
    }
    return unstable ? -EAGAIN : -ENOENT;
}

IVSHARE_EXPORT int ivshare_peer_get_info(ivshare_region *r, unsigned index, ivshare_peer_info *out)
{
    struct ivshare_peer e;
    int rc;

    if (!r || !out)
        return -EINVAL;
    if (index >= r->hdr.peer_count)
        return -ERANGE;
    if ((rc = ivshare_peer_read(r, index, &e)) < 0)
        return rc;
    if (!ivshare_peer_valid(&e))
        return -ENOENT;
    out->id = e.id;
    out->host_app = e.kind == IVSHARE_PEER_HOST_APP;
    out->vectors = e.vectors;
    memcpy(out->name, e.name, sizeof(out->name));
    out->name[IVSHARE_NAME_MAX] = '\0';
    return 0;
}

void ivshare_doorbell_attach(ivshare_region *r, int self)
{
    if (self < 0 || (unsigned)self >= r->hdr.peer_count)
        return;
    r->self = self;
    for (unsigned v = 0; v < IVSHARE_MAX_VECTORS; v++)
        r->bells_seen[v] = atomic_load_explicit(ivshare_peer_bell(r, (unsigned)self, v),
                                                memory_order_acquire);
}

IVSHARE_EXPORT int ivshare_doorbell_ring(ivshare_region *r, unsigned peer, unsigned vector)
{
    struct ivshare_peer e;
    bool rung = false, listed = false;

    if (!r)
        return -EINVAL;
    if (peer > UINT16_MAX || vector >= IVSHARE_MAX_VECTORS ||
        (r->hdr.vectors != 0 && vector >= r->hdr.vectors))
        return -EINVAL;

    /* the counter first, so that a polling peer sees it when woken */
    if (peer < r->hdr.peer_count && ivshare_peer_read(r, peer, &e) == 0 &&
        ivshare_peer_valid(&e) && e.id == peer) {
        atomic_fetch_add_explicit(ivshare_peer_bell(r, peer, vector), 1, memory_order_release);
        rung = listed = true;
    }
    if (r->bar0 && r->bar0_size >= IVSHARE_BAR0_DOORBELL + 4) {
        *(volatile uint32_t *)(r->bar0 + IVSHARE_BAR0_DOORBELL) = (peer << 16) | vector;
        rung = true;
    }
    if (ivshare_doorbell_host_ring(r, peer, vector, listed))
        rung = true;
    return rung ? 0 : -ENOENT;
}

static int64_t ivshare_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

IVSHARE_EXPORT int ivshare_doorbell_wait(ivshare_region *r, unsigned vector, int timeout_ms)
{
    _Atomic uint32_t *bell;
    int64_t deadline = 0;
    long sleep_ns = 1000;

    if (!r || vector >= IVSHARE_MAX_VECTORS)
        return -EINVAL;
    if (r->self < 0)
        return -ENOTSUP;
    bell = ivshare_peer_bell(r, (unsigned)r->self, vector);
    if (timeout_ms > 0)
        deadline = ivshare_now_ns() + (int64_t)timeout_ms * 1000000;

    /* adaptive poll: spin briefly, then sleep longer and longer; a host
     * peer sleeps on its eventfd instead */
    for (unsigned polls = 0; ; polls++) {
        uint32_t now = atomic_load_explicit(bell, memory_order_acquire);
        int64_t left_ms = -1;

        if (now != r->bells_seen[vector]) {
            ivshare_doorbell_host_seen(r, vector, now - r->bells_seen[vector]);
            r->bells_seen[vector] = now;
            return 0;
        }
        if (timeout_ms > 0)
            left_ms = (deadline - ivshare_now_ns()) / 1000000;
        if (timeout_ms == 0 || (timeout_ms > 0 && left_ms <= 0))
            return -ETIMEDOUT;
        if (r->db) {
            /* wake up now and then: a peer may bump the counter only */
            int rc = ivshare_doorbell_host_sleep(r, vector, left_ms < 0 || left_ms > 100 ? 100 : (int)left_ms);
            if (rc == 0) {
                /* new rings through the eventfd: their counters, if any, too */
                r->bells_seen[vector] = atomic_load_explicit(bell, memory_order_acquire);
                return 0;
            }
            if (rc != -ETIMEDOUT && rc != -EAGAIN)
                return rc;
            continue;
        }
        if (polls < IVSHARE_WAIT_SPINS) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
            continue;
        }
        struct timespec ts = { 0, sleep_ns };
        nanosleep(&ts, NULL);
        if (sleep_ns < IVSHARE_WAIT_SLEEP_MAX)
            sleep_ns *= 2;
    }
}
