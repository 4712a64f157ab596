/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* harness.c: forked pinned processes, their start barrier, clocks and statistics. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gi18n.h>

#include "bench.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

uint64_t
bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A cheap timestamp for latency samples: the TSC where there is one. */
uint64_t
bench_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned aux;

    return __rdtscp(&aux);
#else
    return bench_now_ns();
#endif
}

double
bench_ticks_per_ns(void)
{
    static double ratio;

    if (ratio == 0) {
        uint64_t n0 = bench_now_ns(), t0 = bench_ticks(), n1, t1;
        struct timespec ts = { 0, 50 * 1000 * 1000 };

        nanosleep(&ts, NULL);
        n1 = bench_now_ns();
        t1 = bench_ticks();
        ratio = (double)(t1 - t0) / (double)(n1 - n0);
        if (ratio <= 0)
            ratio = 1;
    }
    return ratio;
}

/* Count a failed poll; false once the run's deadline has passed. */
bool
bench_spin_ok(const bench_proc *p, unsigned *spins)
{
    if ((++*spins & 0xffffu) != 0)
        return true;
    if (atomic_load_explicit(&p->ctl->stop, memory_order_relaxed) > 1)
        return false;   /* the set-up process gave up on this run */
    return bench_now_ns() < p->deadline;
}

/* Wait a little between polls; yield when processes share a CPU. */
void
bench_relax(unsigned *spins, bool yield)
{
    if (yield && (*spins & 15u) == 15u)
        sched_yield();
    else
        atomic_signal_fence(memory_order_seq_cst);
}

/* Wait until every process of the run got here (after its private set-up). */
void
bench_barrier(bench_proc *p)
{
    unsigned spins = 0;

    atomic_fetch_add(&p->ctl->barrier, 1);
    while (atomic_load_explicit(&p->ctl->barrier, memory_order_acquire) < p->nprocs)
        if (!bench_spin_ok(p, &spins))
            _exit(3);
        else
            bench_relax(&spins, true);
}

int
bench_pin(int cpu)
{
    cpu_set_t set;

    if (cpu < 0)
        return -EINVAL;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

double
bench_median(double *v, unsigned n)
{
    double *sorted;
    double m;

    if (n == 0)
        return 0;
    sorted = g_memdup2(v, n * sizeof(*v));
    qsort(sorted, n, sizeof(*sorted), cmp_double);
    m = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    g_free(sorted);
    return m;
}

void
bench_sort_u64(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
}

/* Nearest-rank percentile of sorted samples. */
double
bench_percentile_sorted(const uint64_t *v, size_t n, double pct)
{
    size_t rank;

    if (n == 0)
        return 0;
    rank = (size_t)((pct / 100.0) * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1];
}

/* Body of a forked process: map the region itself, wait for the start, run. */
static void G_GNUC_NORETURN
child_main(bench_env *env, unsigned index, unsigned n, int cpu, bench_role_fn fn,
           const void *params)
{
    bench_proc p = { .index = index, .nprocs = n, .params = params };
    unsigned spins = 0;
    int rc;

    bench_env_forget_file();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(2);   /* the set-up process is gone already */

    p.cpu = bench_pin(cpu) == 0 ? cpu : -1;
    if ((rc = ivshare_path_open(env->path, &p.region)) < 0 ||
        (rc = bench_open_zones(p.region, &p.ctl, &p.rte_zone, &p.rte_zone_len)) < 0) {
        g_printerr(_("Worker %u cannot open '%s': %s.\n"), index, env->path,
                   ivshare_strerror(rc));
        _exit(2);
    }
    p.deadline = bench_now_ns() + BENCH_TIMEOUT_NS;
    atomic_fetch_add(&p.ctl->ready, 1);
    while (!atomic_load_explicit(&p.ctl->go, memory_order_acquire))
        if (!bench_spin_ok(&p, &spins))
            _exit(3);
        else
            bench_relax(&spins, true);   /* the others may need this CPU to start */
    rc = fn(&p);
    ivshare_close(p.region);
    _exit(rc < 0 ? 1 : 0);
}

/*
 * Run @fn in @n forked processes, process i pinned to cpus[i], all started
 * at once.  Returns 0 when every process exited with 0.
 */
int
bench_spawn(bench_env *env, unsigned n, const int *cpus, bench_role_fn fn,
            const void *params)
{
    pid_t pids[BENCH_MAX_PROCS];
    uint64_t deadline = bench_now_ns() + BENCH_TIMEOUT_NS;
    unsigned started = 0, failed = 0;
    struct timespec nap = { 0, 100 * 1000 };

    g_assert(n <= BENCH_MAX_PROCS);
    atomic_store(&env->ctl->ready, 0);
    atomic_store(&env->ctl->go, 0);
    atomic_store(&env->ctl->stop, 0);
    atomic_store(&env->ctl->barrier, 0);
    atomic_store(&env->ctl->consumed, 0);
    memset(env->ctl->report, 0, sizeof(env->ctl->report));
    fflush(stdout);
    fflush(stderr);

    for (; started < n; started++) {
        pids[started] = fork();
        if (pids[started] < 0)
            break;
        if (pids[started] == 0)
            child_main(env, started, n, cpus[started], fn, params);
    }
    if (started == n) {
        while (atomic_load(&env->ctl->ready) < n && bench_now_ns() < deadline) {
            int status;

            if (waitpid(-1, &status, WNOHANG) > 0) {
                failed++;   /* a worker died before the start */
                break;
            }
            nanosleep(&nap, NULL);
        }
    }
    if (started < n || failed || atomic_load(&env->ctl->ready) < n)
        atomic_store(&env->ctl->stop, 2);
    else
        atomic_store_explicit(&env->ctl->go, 1, memory_order_release);

    for (unsigned i = 0; i < started; i++) {
        int status = 0;
        pid_t r;

        while ((r = waitpid(pids[i], &status, 0)) < 0 && errno == EINTR)
            ;
        if (r < 0)
            continue;   /* reaped above, already counted */
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
            g_printerr(_("Worker %u exited with status %d.\n"), i, WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            g_printerr(_("Worker %u was killed by signal %d.\n"), i, WTERMSIG(status));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    }
    return failed || started < n ? -1 : 0;
}
