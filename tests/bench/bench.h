/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench.h: declarations shared by the files of ivshare-bench. */
#ifndef IVSHARE_BENCH_H
#define IVSHARE_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ivshare/ivshare.h"

#define BENCH_LINE 64
#define BENCH_MAX_RUNS 32
#define BENCH_MAX_PROCS 8
#define BENCH_MAX_BURST 64
#define BENCH_RING_SLOTS 1024u        /* every ring, ours and rte_ring alike */
#define BENCH_BULK_BUFFER (64u * 1024u)
#define BENCH_BULK_BUFFERS 1024u      /* 64 MiB: the largest transfer fits */
#define BENCH_STRESS_TOKENS 1536u     /* 1.5 rings: both rings fill up now and then */
#define BENCH_STRESS_MSG 64u
#define BENCH_TIMEOUT_NS (30ull * 1000000000ull) /* a stuck peer fails the run */

/* Names of the objects of the benchmark region. */
#define BENCH_RING_S8 "spsc8"
#define BENCH_RING_S64 "spsc64"
#define BENCH_RING_M8 "mpmc8"
#define BENCH_RING_PING "ping"
#define BENCH_RING_PONG "pong"
#define BENCH_RING_HANDLES "handles"
#define BENCH_RING_ST1 "stress-a"
#define BENCH_RING_ST2 "stress-b"
#define BENCH_RING_STM "stress-m"
#define BENCH_RING_STN "stress-n"
#define BENCH_POOL_BULK "bulk"
#define BENCH_POOL_SMALL "small"
#define BENCH_ZONE_CTL "ctl"
#define BENCH_ZONE_RTE "rte"

/* One worker's report, in its own cache line of the control zone. */
typedef struct {
    _Alignas(BENCH_LINE) uint64_t t_start;   /* CLOCK_MONOTONIC ns */
    uint64_t t_end;
    uint64_t count;                          /* messages or bytes handled */
    uint64_t errors;                         /* wrong sequence, bad handle... */
    double result[4];                        /* role-specific: percentiles... */
} bench_report;

/* Stress counters, shared by every worker of a stress run. */
typedef struct {
    _Alignas(BENCH_LINE) _Atomic uint64_t lost;
    _Atomic uint64_t duplicated;
    _Atomic uint64_t torn;
    _Atomic uint64_t passes;
} bench_stress_stats;

/*
 * The "ctl" memzone: barrier, cache-line ping-pong line, reports.  Lives
 * in the benchmark region, so that every process sees it at its own address.
 */
typedef struct {
    _Alignas(BENCH_LINE) _Atomic uint32_t ready;
    _Alignas(BENCH_LINE) _Atomic uint32_t go;
    _Alignas(BENCH_LINE) _Atomic uint32_t stop;
    _Alignas(BENCH_LINE) _Atomic uint32_t barrier;
    _Alignas(BENCH_LINE) _Atomic uint64_t line;       /* the cache-line floor */
    _Alignas(BENCH_LINE) _Atomic uint64_t consumed;   /* MPMC consumers' total */
    _Alignas(BENCH_LINE) bench_stress_stats stress;
    bench_report report[BENCH_MAX_PROCS];
    _Alignas(BENCH_LINE) _Atomic uint64_t token_gen[BENCH_STRESS_TOKENS];
    _Alignas(BENCH_LINE) _Atomic uint32_t token_seen[BENCH_STRESS_TOKENS];
} bench_ctl;

/* The rte_ring anchors live in the "rte" memzone at these offsets. */
typedef enum {
    BENCH_RTE_S8,      /* single producer/consumer, 8-byte elements */
    BENCH_RTE_S64,     /* single producer/consumer, 64-byte elements */
    BENCH_RTE_M8,      /* multi producer/consumer, 8-byte elements */
    BENCH_RTE_POOL,    /* mp/mc, 8-byte: stands in for rte_mempool's ring */
    BENCH_RTE_LAST
} bench_rte_ring;

/* What a process of a run sees: its own mapping of the region. */
typedef struct {
    ivshare_region *region;
    bench_ctl *ctl;
    void *rte_zone;
    size_t rte_zone_len;
    unsigned index;          /* this process among the run's processes */
    unsigned nprocs;
    int cpu;                 /* pinned CPU, -1 if pinning failed */
    const void *params;      /* the run's parameters, read-only */
    uint64_t deadline;       /* CLOCK_MONOTONIC ns after which spinning fails */
} bench_proc;

typedef int (*bench_role_fn)(bench_proc *p);

/* The benchmark's global set-up. */
typedef struct {
    char path[4096];          /* region file */
    char dir[4096];           /* its directory */
    bool hugepages;           /* the region file is on hugetlbfs */
    uint64_t page_size;       /* of the region file's file system */
    uint64_t region_size;
    int cpus[2];              /* the two CPUs used */
    unsigned ncpus;           /* CPUs the process may run on */
    unsigned runs;            /* measured runs per figure */
    bool quick;
    ivshare_region *region;   /* the set-up process's mapping */
    bench_ctl *ctl;
    void *rte_zone;
    size_t rte_zone_len;
} bench_env;

/* Parameters of the runs, read by the forked processes. */
typedef struct {
    unsigned msg_size;       /* 8 or 64 */
    unsigned burst;          /* 1 uses the single-message calls */
    unsigned producers;      /* processes [0, producers) produce, the others consume */
    uint64_t count;          /* messages per producer */
    bool yield;              /* processes share CPUs: yield while waiting */
} bench_ring_params;

typedef struct {
    uint64_t size;           /* bytes per transfer */
    uint64_t reps;           /* transfers per run */
    bool zero_copy;
    uint8_t *src, *dst;      /* shared anonymous, prefaulted */
} bench_bulk_params;

typedef struct {
    uint64_t count;          /* round trips */
    int efd[2];              /* eventfd ping-pong only */
} bench_lat_params;

/* One figure of the output: ivshare beside its anchor. */
typedef struct {
    char id[48];             /* machine-readable: "spsc-8B-burst1" */
    char label[64];          /* the table's text */
    const char *section;     /* "1".."8", or "sweep" */
    const char *unit;        /* of value and anchor_value */
    double value;            /* median of runs; NAN when not measured */
    double runs[BENCH_MAX_RUNS];
    unsigned n_runs;
    char anchor[48];         /* "" when the figure has none */
    double anchor_value;     /* NAN when not measured */
    double anchor_runs[BENCH_MAX_RUNS];
    unsigned n_anchor_runs;
    bool lower_better;       /* latency and time: the ratio should be small */
    double target;           /* ratio target, 0 when none */
    char note[96];           /* why a value is missing, or the configuration */
    unsigned msg_size, burst;
    uint64_t bytes;
    uint64_t errors;         /* lost / out-of-order / bad handles seen */
} bench_result;

/* env.c */
int bench_env_setup(bench_env *env, const char *dir, bool quiet);
void bench_env_teardown(bench_env *env);
void bench_env_forget_file(void);
int bench_open_zones(ivshare_region *r, bench_ctl **ctl, void **rte, size_t *rte_len);
uint64_t bench_hugepages_free_bytes(uint64_t *page_size);

/* harness.c */
void bench_barrier(bench_proc *p);
uint64_t bench_now_ns(void);
uint64_t bench_ticks(void);
double bench_ticks_per_ns(void);
bool bench_spin_ok(const bench_proc *p, unsigned *spins);
void bench_relax(unsigned *spins, bool yield);
int bench_spawn(bench_env *env, unsigned n, const int *cpus, bench_role_fn fn,
                const void *params);
int bench_pin(int cpu);
double bench_median(double *v, unsigned n);
double bench_percentile_sorted(const uint64_t *v, size_t n, double pct);
void bench_sort_u64(uint64_t *v, size_t n);

/* rings.c: ivshare's rings and pools under load. */
int bench_ring_role(bench_proc *p);          /* bench_ring_params */
int bench_pingpong_role(bench_proc *p);      /* bench_lat_params */
int bench_pool_role(bench_proc *p);          /* bench_lat_params: count */
int bench_bulk_role(bench_proc *p);          /* bench_bulk_params */

/* rte.c: the DPDK anchors; bench_rte_available() is false without DPDK. */
bool bench_rte_available(void);
size_t bench_rte_zone_size(void);
int bench_rte_init(void *zone, size_t len);
int bench_rte_ring_role(bench_proc *p);      /* bench_ring_params */
int bench_rte_pool_role(bench_proc *p);      /* bench_lat_params: count */

/* anchors.c: what the hardware and the kernel do without ivshare. */
int bench_line_pingpong_role(bench_proc *p); /* bench_lat_params */
int bench_eventfd_pingpong_role(bench_proc *p);
int bench_memcpy_role(bench_proc *p);        /* bench_bulk_params */
uint64_t bench_read_sum(const void *buf, size_t len);
int bench_latency_report(bench_proc *p, uint64_t *ticks, size_t n);

/* build.c: region build against raw fault-in; the time in report.result[0]. */
typedef struct {
    const char *dir;         /* hugetlbfs directory for the region file */
    uint64_t size;
    bool raw;                /* the anchor: anonymous hugepages, touched */
} bench_build_params;

int bench_build_role(bench_proc *p);

/* stress.c */
int bench_stress(bench_env *env, unsigned seconds, bool json);

/* figures.c: run each figure's runs and collect bench_results. */
typedef struct bench_results bench_results;
void bench_figures_rings(bench_env *env, bench_results *res);
/* prepare.c: figure 8 */
void bench_figures_prepare(bench_env *env, bench_results *res);
void bench_remove_tree(const char *path);
/* doorbell.c: figure 7's ivshare side, into @r */
void bench_figures_doorbell(bench_env *env, bench_results *res, bench_result *r);
void bench_figures_latency(bench_env *env, bench_results *res);
void bench_figures_bulk(bench_env *env, bench_results *res);
void bench_figures_pool(bench_env *env, bench_results *res);
void bench_figures_build(bench_env *env, bench_results *res);
void bench_figures_sweep(bench_env *env, bench_results *res);
void bench_figures_later(bench_env *env, bench_results *res);

/* report.c */
bench_results *bench_results_new(void);
void bench_results_free(bench_results *res);
bench_result *bench_results_add(bench_results *res, const char *section, const char *id,
                                const char *label, const char *unit);
void bench_results_print_table(const bench_results *res, const bench_env *env);
void bench_results_print_json(const bench_results *res, const bench_env *env, FILE *out);
void bench_results_print_csv(const bench_results *res, FILE *out);
bool bench_results_ok(const bench_results *res);

#endif /* IVSHARE_BENCH_H */
