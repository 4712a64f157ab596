/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stress.c: tokens stamped with producer id, sequence and checksum circulate
 * between processes through two rings, A to B and back; every worker checks
 * each token it dequeues, stamps it anew and enqueues it on the other ring
 * (after DPDK's test_ring_stress).  There are 1.5 rings' worth of tokens, so
 * both full and empty rings are exercised.  Lost, duplicated and torn
 * messages are counted.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gi18n.h>

#include "format.h"
#include "bench.h"

#define SETUP_ID 0xffu
#define STRESS_BURST 32u

typedef struct {
    uint32_t token;
    uint32_t producer;
    uint64_t seq;              /* the token's generation */
    uint64_t payload[5];
    uint64_t checksum;         /* FNV-1a of everything before it */
} stress_msg;

_Static_assert(sizeof(stress_msg) == BENCH_STRESS_MSG, "a stress message fills a slot");

typedef struct {
    bool multi;                /* two MPMC rings, two workers on each side; else SPSC */
    uint64_t end_ns;           /* CLOCK_MONOTONIC time to stop */
} stress_params;

static void
stamp(stress_msg *m, uint32_t token, uint32_t producer, uint64_t seq)
{
    m->token = token;
    m->producer = producer;
    m->seq = seq;
    for (unsigned i = 0; i < G_N_ELEMENTS(m->payload); i++)
        m->payload[i] = (seq * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)token << 32 | producer) ^ i;
    m->checksum = ivshare_fnv1a64(IVSHARE_FNV1A64_INIT, m, offsetof(stress_msg, checksum));
}

static bool
intact(const stress_msg *m, size_t len)
{
    return len == sizeof(*m) && m->token < BENCH_STRESS_TOKENS &&
           m->checksum == ivshare_fnv1a64(IVSHARE_FNV1A64_INIT, m,
                                          offsetof(stress_msg, checksum));
}

static uint64_t
next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/*
 * Enqueue all @n messages.  While the run lasts this ends: the tokens fit
 * in less than two rings, so when one ring is full the other one drains
 * into it.  Once the run is over the other side may have stopped: tokens
 * that do not fit are counted as seen here instead of in the final drain.
 */
static int
put_all(bench_proc *p, ivshare_ring *q, stress_msg *msgs, unsigned n, bool yield,
        uint64_t end_ns)
{
    const void *ptrs[STRESS_BURST];
    size_t lens[STRESS_BURST];
    unsigned done = 0, spins = 0;

    for (unsigned i = 0; i < n; i++) {
        ptrs[i] = &msgs[i];
        lens[i] = sizeof(msgs[i]);
    }
    while (done < n) {
        unsigned k;

        if (n - done == 1)
            k = ivshare_ring_enqueue(q, ptrs[done], lens[done]) == 0;
        else
            k = ivshare_ring_enqueue_burst(q, ptrs + done, lens + done, n - done);
        done += k;
        if (k)
            continue;
        if (bench_now_ns() >= end_ns) {
            for (; done < n; done++)
                atomic_fetch_add(&p->ctl->token_seen[msgs[done].token], 1);
            break;
        }
        if (!bench_spin_ok(p, &spins))
            return -ETIMEDOUT;
        bench_relax(&spins, yield);
    }
    return 0;
}

static int
stress_role(bench_proc *p)
{
    const stress_params *sp = p->params;
    bench_stress_stats *st = &p->ctl->stress;
    stress_msg in[STRESS_BURST], out[STRESS_BURST];
    void *ptrs[STRESS_BURST];
    size_t lens[STRESS_BURST];
    uint64_t rnd = 0x2545f4914f6cdd1dull ^ ((uint64_t)p->index << 32 | 1);
    uint64_t passes = 0, torn = 0, dup = 0;
    ivshare_ring *from, *to;
    unsigned spins = 0;
    int rc;

    const char *a = sp->multi ? BENCH_RING_STM : BENCH_RING_ST1;
    const char *b = sp->multi ? BENCH_RING_STN : BENCH_RING_ST2;

    /* Even workers move tokens from A to B, odd ones back. */
    if ((rc = ivshare_ring_lookup(p->region, p->index % 2 ? b : a, &from)) < 0 ||
        (rc = ivshare_ring_lookup(p->region, p->index % 2 ? a : b, &to)) < 0)
        return rc;
    for (unsigned i = 0; i < STRESS_BURST; i++)
        ptrs[i] = &in[i];
    p->deadline = sp->end_ns + BENCH_TIMEOUT_NS;
    bench_barrier(p);

    for (uint64_t it = 0;; it++) {
        unsigned want = 1 + (unsigned)(next_random(&rnd) % STRESS_BURST), got, kept = 0;

        if ((it & 63) == 0 && bench_now_ns() >= sp->end_ns)
            break;
        if (want == 1)
            got = ivshare_ring_dequeue(from, &in[0], sizeof(in[0]), &lens[0]) == 0;
        else
            got = ivshare_ring_dequeue_burst(from, ptrs, sizeof(in[0]), lens, want);
        if (!got) {
            if (!bench_spin_ok(p, &spins))
                return -ETIMEDOUT;
            bench_relax(&spins, sp->multi);
            continue;
        }
        for (unsigned i = 0; i < got; i++) {
            uint64_t expect = in[i].seq;

            if (!intact(&in[i], lens[i])) {
                torn++;
                continue;
            }
            /* Exactly one holder may move a token to its next generation. */
            if (!atomic_compare_exchange_strong(&p->ctl->token_gen[in[i].token], &expect,
                                                in[i].seq + 1)) {
                dup++;
                continue;
            }
            stamp(&out[kept++], in[i].token, p->index, in[i].seq + 1);
        }
        if ((rc = put_all(p, to, out, kept, sp->multi, sp->end_ns)) < 0)
            return rc;
        passes += got;
    }
    atomic_fetch_add(&st->passes, passes);
    atomic_fetch_add(&st->torn, torn);
    atomic_fetch_add(&st->duplicated, dup);
    return 0;
}

/* Drain @q into the seen counts (several sightings are duplicates, counted later). */
static void
drain(bench_ctl *ctl, ivshare_ring *q)
{
    stress_msg m;
    size_t len;

    while (ivshare_ring_dequeue(q, &m, sizeof(m), &len) == 0) {
        if (!intact(&m, len)) {
            ctl->stress.torn++;
            continue;
        }
        if (m.seq != atomic_load(&ctl->token_gen[m.token]))
            ctl->stress.duplicated++;   /* a stale copy of a token moved on since */
        else
            atomic_fetch_add(&ctl->token_seen[m.token], 1);
    }
}

static int
stress_phase(bench_env *env, bool multi, unsigned seconds, bench_stress_stats *out)
{
    const int cpus[4] = { env->cpus[0], env->cpus[1], env->cpus[0], env->cpus[1] };
    stress_params sp = { .multi = multi };
    bench_ctl *ctl = env->ctl;
    ivshare_ring *a, *b;
    stress_msg msgs[STRESS_BURST];
    int rc;

    if ((rc = ivshare_ring_lookup(env->region, multi ? BENCH_RING_STM : BENCH_RING_ST1, &a)) < 0 ||
        (rc = ivshare_ring_lookup(env->region, multi ? BENCH_RING_STN : BENCH_RING_ST2, &b)) < 0) {
        g_printerr(_("The stress rings are missing: %s.\n"), ivshare_strerror(rc));
        return rc;
    }
    memset(&ctl->stress, 0, sizeof(ctl->stress));
    for (unsigned t = 0; t < BENCH_STRESS_TOKENS; t++) {
        atomic_store(&ctl->token_gen[t], 0);
        atomic_store(&ctl->token_seen[t], 0);
    }
    for (unsigned t = 0; t < BENCH_STRESS_TOKENS; t += STRESS_BURST) {
        const void *ptrs[STRESS_BURST];
        size_t lens[STRESS_BURST];

        for (unsigned i = 0; i < STRESS_BURST; i++) {
            stamp(&msgs[i], t + i, SETUP_ID, 0);
            ptrs[i] = &msgs[i];
            lens[i] = sizeof(msgs[i]);
        }
        /* Half the tokens start in each ring. */
        if (ivshare_ring_enqueue_burst(t < BENCH_STRESS_TOKENS / 2 ? a : b, ptrs, lens,
                                       STRESS_BURST) != STRESS_BURST) {
            g_printerr(_("Cannot fill the stress ring with %u tokens.\n"), BENCH_STRESS_TOKENS);
            return -ENOBUFS;
        }
    }

    sp.end_ns = bench_now_ns() + (uint64_t)seconds * 1000000000ull;
    rc = bench_spawn(env, multi ? 4 : 2, cpus, stress_role, &sp);

    drain(ctl, a);
    drain(ctl, b);
    for (unsigned t = 0; t < BENCH_STRESS_TOKENS; t++) {
        uint32_t seen = atomic_load(&ctl->token_seen[t]);

        if (!seen)
            ctl->stress.lost++;
        else if (seen > 1)
            ctl->stress.duplicated += seen - 1;
    }
    *out = ctl->stress;
    return rc;
}

/* Half the time SPSC, half MPMC; non-zero when anything went wrong. */
int
bench_stress(bench_env *env, unsigned seconds, bool json)
{
    static const char *const names[2] = { "SPSC", "MPMC" };
    bench_stress_stats stats[2];
    int rcs[2];
    bool bad = false;

    for (unsigned m = 0; m < 2; m++) {
        unsigned secs = MAX(1u, m ? seconds - seconds / 2 : seconds / 2);

        if (!json)
            g_printerr("  stress %s, %u s\n", names[m], secs);
        memset(&stats[m], 0, sizeof(stats[m]));
        rcs[m] = stress_phase(env, m == 1, secs, &stats[m]);
        bad |= rcs[m] != 0 || stats[m].lost || stats[m].duplicated || stats[m].torn;
    }
    if (json)
        printf("{\"stress\": [\n");
    for (unsigned m = 0; m < 2; m++) {
        if (json)
            printf("  {\"mode\": \"%s\", \"processes\": %u, \"messages\": %" G_GUINT64_FORMAT
                   ", \"lost\": %" G_GUINT64_FORMAT ", \"duplicated\": %" G_GUINT64_FORMAT
                   ", \"torn\": %" G_GUINT64_FORMAT ", \"workers_ok\": %s}%s\n",
                   names[m], m ? 4u : 2u, (guint64)stats[m].passes, (guint64)stats[m].lost,
                   (guint64)stats[m].duplicated, (guint64)stats[m].torn,
                   rcs[m] == 0 ? "true" : "false", m ? "" : ",");
        else
            printf("stress %s (%u processes): %" G_GUINT64_FORMAT " messages checked, lost %"
                   G_GUINT64_FORMAT ", duplicated %" G_GUINT64_FORMAT ", torn %"
                   G_GUINT64_FORMAT ", workers %s\n",
                   names[m], m ? 4u : 2u, (guint64)stats[m].passes, (guint64)stats[m].lost,
                   (guint64)stats[m].duplicated, (guint64)stats[m].torn,
                   rcs[m] == 0 ? "ok" : "FAILED");
    }
    if (json)
        printf("], \"ok\": %s}\n", bad ? "false" : "true");
    else
        printf("stress: %s\n", bad ? "FAILED" : "ok");
    return bad ? 1 : 0;
}
