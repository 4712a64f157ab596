/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* figures.c: each figure's runs, ivshare and its anchor alternating, and their medians. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "bench.h"

/* The reports of one run, copied out of the shared control zone. */
typedef struct {
    bench_report rep[BENCH_MAX_PROCS];
    unsigned n;
    bool ok;
} run_result;

static run_result
run(bench_env *env, unsigned n, const int *cpus, bench_role_fn fn, const void *params)
{
    run_result rr = { .n = n };

    rr.ok = bench_spawn(env, n, cpus, fn, params) == 0;
    memcpy(rr.rep, env->ctl->report, sizeof(rr.rep));
    if (!rr.ok)
        g_printerr("    a run failed (a worker exited with an error or timed out)\n");
    return rr;
}

static double
elapsed_ns(const run_result *rr)
{
    uint64_t start = UINT64_MAX, end = 0;

    for (unsigned i = 0; i < rr->n; i++) {
        if (rr->rep[i].t_start && rr->rep[i].t_start < start)
            start = rr->rep[i].t_start;
        if (rr->rep[i].t_end > end)
            end = rr->rep[i].t_end;
    }
    return end > start ? (double)(end - start) : NAN;
}

static uint64_t
total(const run_result *rr, bool errors)
{
    uint64_t sum = 0;

    for (unsigned i = 0; i < rr->n; i++)
        sum += errors ? rr->rep[i].errors : rr->rep[i].count;
    return sum;
}

/* Items per ns: x 1e3 gives millions per second; for bytes it is GB/s. */
static double
rate_of(const run_result *rr)
{
    return rr->ok ? (double)total(rr, false) / elapsed_ns(rr) : NAN;
}

static void
finish(bench_result *r)
{
    if (r->n_runs)
        r->value = bench_median(r->runs, r->n_runs);
    if (r->n_anchor_runs)
        r->anchor_value = bench_median(r->anchor_runs, r->n_anchor_runs);
}

static void
progress(const char *what)
{
    g_printerr("  %s\n", what);
}

/* Throughput of one ring configuration, beside rte_ring doing the same. */
static bench_result *
ring_figure(bench_env *env, bench_results *res, const char *section, const bench_ring_params *rp,
            unsigned nprocs, const int *cpus)
{
    char id[48], label[64];
    bench_result *r;
    const bool multi = rp->producers > 1;

    g_snprintf(id, sizeof(id), "%s-%uB-burst%u", multi ? "mpmc" : "spsc", rp->msg_size, rp->burst);
    if (multi)
        g_snprintf(label, sizeof(label), "MPMC 2x2 %u B burst %u", rp->msg_size, rp->burst);
    else
        g_snprintf(label, sizeof(label), "SPSC %u B burst %u", rp->msg_size, rp->burst);
    progress(label);
    r = bench_results_add(res, section, id, label, "Mmsg/s");
    r->msg_size = rp->msg_size;
    r->burst = rp->burst;
    g_snprintf(r->anchor, sizeof(r->anchor), "rte_ring %s%s",
               multi ? "mp/mc" : "sp/sc", bench_rte_available() ? "" : " (no DPDK)");
    for (unsigned i = 0; i < env->runs; i++) {
        run_result ours = run(env, nprocs, cpus, bench_ring_role, rp);

        r->runs[r->n_runs++] = rate_of(&ours) * 1e3;   /* per ns -> M per s */
        r->errors += total(&ours, true) + !ours.ok;
        if (bench_rte_available()) {
            run_result rte = run(env, nprocs, cpus, bench_rte_ring_role, rp);

            r->anchor_runs[r->n_anchor_runs++] = rate_of(&rte) * 1e3;
        }
    }
    finish(r);
    return r;
}

void
bench_figures_rings(bench_env *env, bench_results *res)
{
    const int mpmc_cpus[4] = { env->cpus[0], env->cpus[1], env->cpus[0], env->cpus[1] };
    const unsigned bursts[] = { 1, 32 };
    const unsigned sizes[] = { 8, 64 };

    for (unsigned s = 0; s < G_N_ELEMENTS(sizes); s++) {
        for (unsigned b = 0; b < G_N_ELEMENTS(bursts); b++) {
            bench_ring_params rp = {
                .msg_size = sizes[s], .burst = bursts[b], .producers = 1,
                .count = env->quick ? 1000000 : 10000000,
            };
            bench_result *r = ring_figure(env, res, "1", &rp, 2, env->cpus);

            r->target = bursts[b] == 1 ? 1.5 : 1.0;
        }
    }
    for (unsigned b = 0; b < G_N_ELEMENTS(bursts); b++) {
        bench_ring_params rp = {
            .msg_size = 8, .burst = bursts[b], .producers = 2, .yield = true,
            .count = env->quick ? 200000 : 2000000,
        };

        bench_result *r = ring_figure(env, res, "2", &rp, 4, mpmc_cpus);

        g_strlcpy(r->note, "P0+C0 on one CPU, P1+C1 on the other; 8-byte messages",
                  sizeof(r->note));
    }
}

/* Round trips: ours through two rings, the floor through one cache line. */
void
bench_figures_latency(bench_env *env, bench_results *res)
{
    static const char *const pct[3] = { "p50", "p99", "p99.9" };
    bench_lat_params lp = { .count = env->quick ? 20000 : 200000 };
    bench_result *r[3];

    progress("ping-pong 64 B");
    for (unsigned k = 0; k < 3; k++) {
        char id[48], label[64];

        g_snprintf(id, sizeof(id), "pingpong-64B-%s", pct[k]);
        g_snprintf(label, sizeof(label), "ping-pong 64 B round trip %s", pct[k]);
        r[k] = bench_results_add(res, "3", id, label, "ns");
        r[k]->lower_better = true;
        r[k]->msg_size = 64;
        g_strlcpy(r[k]->anchor, "cache-line ping-pong", sizeof(r[k]->anchor));
    }
    r[0]->target = 2.0;
    for (unsigned i = 0; i < env->runs; i++) {
        run_result ours = run(env, 2, env->cpus, bench_pingpong_role, &lp);
        run_result floor = run(env, 2, env->cpus, bench_line_pingpong_role, &lp);

        for (unsigned k = 0; k < 3; k++) {
            r[k]->runs[r[k]->n_runs++] = ours.ok ? ours.rep[0].result[k] : NAN;
            r[k]->anchor_runs[r[k]->n_anchor_runs++] = floor.ok ? floor.rep[0].result[k] : NAN;
        }
        r[0]->errors += ours.rep[0].errors + !ours.ok;
    }
    for (unsigned k = 0; k < 3; k++)
        finish(r[k]);
}

static uint8_t *
shared_buffer(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        return NULL;
    memset(p, 0x5a, len);   /* fault it in before any timing */
    return p;
}

/* Bulk transfers through pool buffers, beside single-core memcpy of each size. */
void
bench_figures_bulk(bench_env *env, bench_results *res)
{
    const uint64_t max = (uint64_t)BENCH_BULK_BUFFER * BENCH_BULK_BUFFERS;
    const uint64_t per_run = env->quick ? 64ull << 20 : 512ull << 20;
    const int one[1] = { env->cpus[0] };
    uint8_t *src = shared_buffer(max), *dst = shared_buffer(max);

    for (uint64_t size = 4096; size <= max && src && dst; size *= 4) {
        bench_bulk_params bp = { .size = size, .reps = MAX(per_run / size, 4), .src = src,
                                 .dst = dst };
        bench_result *r[2];
        char what[64];

        for (unsigned z = 0; z < 2; z++) {
            char id[48], label[64];
            g_autofree char *human = g_format_size_full(size, G_FORMAT_SIZE_IEC_UNITS);

            g_snprintf(id, sizeof(id), "bulk-%s-%" G_GUINT64_FORMAT, z ? "zerocopy" : "copy",
                       (guint64)size);
            g_snprintf(label, sizeof(label), "bulk %s %s", z ? "zero-copy" : "copy", human);
            r[z] = bench_results_add(res, "4", id, label, "GB/s");
            r[z]->bytes = size;
            r[z]->target = z ? 0.9 : 0.8;
            g_strlcpy(r[z]->anchor, "memcpy, one core", sizeof(r[z]->anchor));
        }
        g_snprintf(what, sizeof(what), "bulk %" G_GUINT64_FORMAT " KiB", (guint64)(size >> 10));
        progress(what);
        for (unsigned i = 0; i < env->runs; i++) {
            run_result anchor = run(env, 1, one, bench_memcpy_role, &bp);
            double a = rate_of(&anchor);

            for (unsigned z = 0; z < 2; z++) {
                run_result ours;

                bp.zero_copy = z;
                ours = run(env, 2, env->cpus, bench_bulk_role, &bp);
                r[z]->runs[r[z]->n_runs++] = rate_of(&ours);
                r[z]->anchor_runs[r[z]->n_anchor_runs++] = a;
                r[z]->errors += total(&ours, true) + !ours.ok;
            }
        }
        finish(r[0]);
        finish(r[1]);
    }
    if (src)
        munmap(src, max);
    if (dst)
        munmap(dst, max);
}

/* Pool get+put pairs, beside rte_ring mc dequeue + mp enqueue (rte_mempool without cache). */
void
bench_figures_pool(bench_env *env, bench_results *res)
{
    bench_lat_params lp = { .count = env->quick ? 1000000 : 10000000 };
    const int one[1] = { env->cpus[0] };
    bench_result *r;

    progress("pool get+put");
    r = bench_results_add(res, "5", "pool-get-put", "pool get+put", "ns/op");
    r->lower_better = true;
    g_snprintf(r->anchor, sizeof(r->anchor), "rte_ring mc_deq+mp_enq%s",
               bench_rte_available() ? "" : " (no DPDK)");
    for (unsigned i = 0; i < env->runs; i++) {
        run_result ours = run(env, 1, one, bench_pool_role, &lp);

        r->runs[r->n_runs++] = ours.ok ? elapsed_ns(&ours) / (double)lp.count : NAN;
        r->errors += total(&ours, true) + !ours.ok;
        if (bench_rte_available()) {
            run_result rte = run(env, 1, one, bench_rte_pool_role, &lp);

            r->anchor_runs[r->n_anchor_runs++] = rte.ok ? elapsed_ns(&rte) / (double)lp.count
                                                        : NAN;
        }
    }
    finish(r);
}

/* Region build of 1 GiB beside raw fault-in of 1 GiB of hugepages. */
void
bench_figures_build(bench_env *env, bench_results *res)
{
    const uint64_t size = 1ull << 30;
    const int one[1] = { env->cpus[0] };
    uint64_t page = 0, free_bytes = bench_hugepages_free_bytes(&page);
    bench_result *r;

    progress("region build 1 GiB");
    r = bench_results_add(res, "6", "region-build-1GiB", "region build 1 GiB", "ms");
    r->lower_better = true;
    r->target = 1.2;
    r->bytes = size;
    g_strlcpy(r->anchor, "raw hugepage fault-in 1 GiB", sizeof(r->anchor));
    if (!env->hugepages) {
        g_strlcpy(r->note, "n/a (region not on hugetlbfs)", sizeof(r->note));
        return;
    }
    if (free_bytes < size) {
        g_snprintf(r->note, sizeof(r->note), "n/a (%" G_GUINT64_FORMAT " MiB of hugepages free)",
                   (guint64)(free_bytes >> 20));
        return;
    }
    for (unsigned i = 0; i < env->runs; i++) {
        bench_build_params ours = { .dir = env->dir, .size = size };
        bench_build_params raw = { .size = size, .raw = true };
        run_result a = run(env, 1, one, bench_build_role, &ours);
        run_result b = run(env, 1, one, bench_build_role, &raw);

        r->runs[r->n_runs++] = a.ok ? a.rep[0].result[0] / 1e6 : NAN;
        r->anchor_runs[r->n_anchor_runs++] = b.ok ? b.rep[0].result[0] / 1e6 : NAN;
    }
    finish(r);
    g_snprintf(r->note, sizeof(r->note), "create + fallocate + format, %" G_GUINT64_FORMAT
               " KiB pages", (guint64)(page >> 10));
}

/* Doorbells beside bare eventfds, and the hook's prepare. */
void
bench_figures_later(bench_env *env, bench_results *res)
{
    bench_lat_params lp = { .count = env->quick ? 5000 : 50000 };
    bench_result *r;
    int efd[2];

    progress("eventfd ping-pong");
    r = bench_results_add(res, "7", "doorbell-wakeup-p50", "doorbell wake-up p50", "ns");
    r->lower_better = true;
    g_strlcpy(r->anchor, "eventfd ping-pong p50", sizeof(r->anchor));
    efd[0] = eventfd(0, EFD_CLOEXEC);
    efd[1] = eventfd(0, EFD_CLOEXEC);
    if (efd[0] >= 0 && efd[1] >= 0) {
        lp.efd[0] = efd[0];
        lp.efd[1] = efd[1];
        for (unsigned i = 0; i < env->runs; i++) {
            run_result rr = run(env, 2, env->cpus, bench_eventfd_pingpong_role, &lp);

            r->anchor_runs[r->n_anchor_runs++] = rr.ok ? rr.rep[0].result[0] : NAN;
        }
        finish(r);
    }
    if (efd[0] >= 0)
        close(efd[0]);
    if (efd[1] >= 0)
        close(efd[1]);
    progress("doorbell ping-pong");
    bench_figures_doorbell(env, res, r);

    progress("hook prepare");
    bench_figures_prepare(env, res);
}

/* Throughput against burst and message size, for the plot. */
void
bench_figures_sweep(bench_env *env, bench_results *res)
{
    const unsigned bursts[] = { 1, 2, 4, 8, 16, 32, 64 };
    const unsigned sizes[] = { 8, 64 };

    for (unsigned s = 0; s < G_N_ELEMENTS(sizes); s++) {
        for (unsigned b = 0; b < G_N_ELEMENTS(bursts); b++) {
            bench_ring_params rp = {
                .msg_size = sizes[s], .burst = bursts[b], .producers = 1,
                .count = env->quick ? 500000 : 4000000,
            };
            bench_result *r = ring_figure(env, res, "sweep", &rp, 2, env->cpus);

            g_autofree char *id = g_strconcat("sweep-", r->id, NULL);

            g_strlcpy(r->id, id, sizeof(r->id));
        }
    }
}
