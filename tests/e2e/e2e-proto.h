/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* e2e-proto.h: what the e2e host and guest programs exchange, and how they check it. */
#ifndef IVSHARE_E2E_PROTO_H
#define IVSHARE_E2E_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* The objects of an e2e region (the descriptions in the tests use these). */
#define E2E_RING_TO_GUEST "to-guest"
#define E2E_RING_TO_HOST  "to-host"
#define E2E_RING_VM2VM    "vm2vm"
#define E2E_POOL          "bufs"
#define E2E_MEMZONE       "stats"

#define E2E_MAGIC_MSG    0x4d53474du  /* host -> guest message */
#define E2E_MAGIC_REPLY  0x52504c59u  /* guest -> host reply */
#define E2E_MAGIC_HANDLE 0x48444c45u  /* pool handle on the vm2vm ring */
#define E2E_MAGIC_BUFFER 0x42554646u  /* start of a stamped pool buffer */
#define E2E_MAGIC_STATS  0x53544154u  /* start of the stats memzone */

/* Every ring message and pool buffer starts with this stamp. */
typedef struct {
    uint32_t magic;
    uint32_t seq;
    uint32_t len;      /* payload bytes after the stamp */
    uint32_t sum;      /* e2e_sum() of the payload */
} e2e_stamp;

/* What the vm2vm ring carries: a pool handle, never a pointer. */
typedef struct {
    uint32_t magic;
    uint32_t seq;
    uint64_t handle;
} e2e_handle_msg;

/* The payload byte @i of message @seq (replies carry its complement). */
static inline uint8_t e2e_byte(uint32_t seq, size_t i)
{
    return (uint8_t)(seq * 131u + (uint32_t)i * 7u + 1u);
}

/* Payload length of message @seq: varies from 0 to @max. */
static inline uint32_t e2e_payload_len(uint32_t seq, size_t max)
{
    return (uint32_t)((seq * 37u) % (max + 1));
}

static inline uint32_t e2e_sum(const uint8_t *p, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Fill @buf (@cap >= sizeof(e2e_stamp)) with message @seq; returns its length. */
static inline size_t e2e_fill(uint8_t *buf, size_t cap, uint32_t magic, uint32_t seq,
                              uint32_t len, uint8_t flip)
{
    e2e_stamp s = { magic, seq, len, 0 };

    if (len > cap - sizeof(s))
        len = s.len = (uint32_t)(cap - sizeof(s));
    for (size_t i = 0; i < len; i++)
        buf[sizeof(s) + i] = e2e_byte(seq, i) ^ flip;
    s.sum = e2e_sum(buf + sizeof(s), len);
    memcpy(buf, &s, sizeof(s));
    return sizeof(s) + len;
}

/* Is @buf (@len bytes) message @seq as e2e_fill() wrote it? */
static inline bool e2e_verify(const uint8_t *buf, size_t len, uint32_t magic,
                              uint32_t seq, uint8_t flip)
{
    e2e_stamp s;

    if (len < sizeof(s))
        return false;
    memcpy(&s, buf, sizeof(s));
    if (s.magic != magic || s.seq != seq || s.len != len - sizeof(s) ||
        s.sum != e2e_sum(buf + sizeof(s), s.len))
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (buf[sizeof(s) + i] != (uint8_t)(e2e_byte(seq, i) ^ flip))
            return false;
    return true;
}

/* The stats memzone: a stamp {E2E_MAGIC_STATS, count} and then a pattern. */
#define E2E_STATS_SEED 0x5eedu

static inline void e2e_stats_write(volatile uint8_t *zone, size_t len, uint32_t count)
{
    e2e_stamp s = { E2E_MAGIC_STATS, count, 0, 0 };

    if (len < sizeof(s))
        return;
    for (size_t i = sizeof(s); i < len; i++)
        zone[i] = e2e_byte(E2E_STATS_SEED, i);
    s.len = (uint32_t)(len - sizeof(s));
    for (size_t i = 0; i < sizeof(s); i++)
        zone[i] = ((const uint8_t *)&s)[i];
}

/* Bytes of @zone that differ from what e2e_stats_write(count) wrote. */
static inline size_t e2e_stats_check(const volatile uint8_t *zone, size_t len, uint32_t count)
{
    e2e_stamp s = { E2E_MAGIC_STATS, count, 0, 0 };
    size_t bad = 0;

    if (len < sizeof(s))
        return len ? len : 1;
    s.len = (uint32_t)(len - sizeof(s));
    for (size_t i = 0; i < sizeof(s); i++)
        bad += zone[i] != ((const uint8_t *)&s)[i];
    for (size_t i = sizeof(s); i < len; i++)
        bad += zone[i] != e2e_byte(E2E_STATS_SEED, i);
    return bad;
}

/*
 * Doorbell round trips use the start of the stats memzone: the guest
 * stores a request number and rings the host on vector 0; the host stores
 * the same number as its answer and rings the guest on vector 1.  A lost
 * or coalesced doorbell only delays a round: the guest rings again.
 */
#define E2E_BELL_TO_HOST  0u
#define E2E_BELL_TO_GUEST 1u

typedef struct {
    uint32_t request;     /* written by the guest */
    uint32_t answer;      /* written by the host */
} e2e_bell_zone;

static inline uint32_t e2e_load32(const void *p)
{
    return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
}

static inline void e2e_store32(void *p, uint32_t v)
{
    __atomic_store_n((uint32_t *)p, v, __ATOMIC_RELEASE);
}

/* Monotonic milliseconds. */
static inline int64_t e2e_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Back off while waiting on a peer: spin a little, then sleep briefly. */
static inline void e2e_backoff(unsigned *idle)
{
    if (++*idle < 64)
        return;
    struct timespec ts = { 0, *idle < 1024 ? 20000 : 200000 };
    nanosleep(&ts, NULL);
}

#endif /* IVSHARE_E2E_PROTO_H */
