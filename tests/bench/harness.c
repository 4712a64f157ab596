/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* harness.c: the benchmark region, forked pinned processes, clocks and statistics. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gi18n.h>

#include "format.h"
#include "bench.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

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

static uint64_t
read_sys_u64(const char *path)
{
    g_autofree char *text = NULL;

    if (!g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    return g_ascii_strtoull(text, NULL, 10);
}

/* Free hugepages of the default size, in bytes; the page size in *page_size. */
uint64_t
bench_hugepages_free_bytes(uint64_t *page_size)
{
    g_autofree char *meminfo = NULL;
    g_autofree char *free_path = NULL;
    const char *line;
    uint64_t kib = 2048;

    if (g_file_get_contents("/proc/meminfo", &meminfo, NULL, NULL) &&
        (line = strstr(meminfo, "Hugepagesize:")))
        kib = g_ascii_strtoull(line + strlen("Hugepagesize:"), NULL, 10);
    if (page_size)
        *page_size = kib * 1024;
    free_path = g_strdup_printf("/sys/kernel/mm/hugepages/hugepages-%" G_GUINT64_FORMAT
                                "kB/free_hugepages", (guint64)kib);
    return read_sys_u64(free_path) * kib * 1024;
}

/* The first hugetlbfs mount of the default page size, or NULL. */
static char *
find_hugetlbfs(void)
{
    FILE *f = setmntent("/proc/mounts", "r");
    uint64_t want = 0;
    struct mntent *m;
    char *found = NULL;

    if (!f)
        return NULL;
    bench_hugepages_free_bytes(&want);
    while (!found && (m = getmntent(f))) {
        struct statfs st;

        if (strcmp(m->mnt_type, "hugetlbfs") != 0)
            continue;
        if (statfs(m->mnt_dir, &st) == 0 && (uint64_t)st.f_bsize == want &&
            access(m->mnt_dir, W_OK) == 0)
            found = g_strdup(m->mnt_dir);
    }
    endmntent(f);
    return found;
}

static void
add_object(ivshare_layout_object *o, unsigned *n, const char *name, uint32_t type,
           uint32_t flags, uint32_t p0, uint32_t p1, uint64_t size)
{
    ivshare_layout_object *obj = &o[(*n)++];

    memset(obj, 0, sizeof(*obj));
    g_strlcpy(obj->name, name, sizeof(obj->name));
    obj->type = type;
    obj->flags = flags;
    obj->param0 = p0;
    obj->param1 = p1;
    obj->size = size;
}

static int
bench_layout(ivshare_layout *l, ivshare_layout_object *objs, const char *name)
{
    const uint32_t mpmc = IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER;
    unsigned n = 0;

    add_object(objs, &n, BENCH_RING_S8, IVSHARE_OBJECT_RING, 0, 8, BENCH_RING_SLOTS, 0);
    add_object(objs, &n, BENCH_RING_S64, IVSHARE_OBJECT_RING, 0, 64, BENCH_RING_SLOTS, 0);
    add_object(objs, &n, BENCH_RING_M8, IVSHARE_OBJECT_RING, mpmc, 8, BENCH_RING_SLOTS, 0);
    add_object(objs, &n, BENCH_RING_PING, IVSHARE_OBJECT_RING, 0, 64, BENCH_RING_SLOTS, 0);
    add_object(objs, &n, BENCH_RING_PONG, IVSHARE_OBJECT_RING, 0, 64, BENCH_RING_SLOTS, 0);
    add_object(objs, &n, BENCH_RING_HANDLES, IVSHARE_OBJECT_RING, 0, 16, BENCH_RING_SLOTS, 0);
    add_object(objs, &n, BENCH_RING_ST1, IVSHARE_OBJECT_RING, 0, BENCH_STRESS_MSG,
               BENCH_RING_SLOTS, 0);
    add_object(objs, &n, BENCH_RING_ST2, IVSHARE_OBJECT_RING, 0, BENCH_STRESS_MSG,
               BENCH_RING_SLOTS, 0);
    add_object(objs, &n, BENCH_RING_STM, IVSHARE_OBJECT_RING, mpmc, BENCH_STRESS_MSG,
               BENCH_RING_SLOTS, 0);
    add_object(objs, &n, BENCH_RING_STN, IVSHARE_OBJECT_RING, mpmc, BENCH_STRESS_MSG,
               BENCH_RING_SLOTS, 0);
    add_object(objs, &n, BENCH_POOL_BULK, IVSHARE_OBJECT_POOL, 0, BENCH_BULK_BUFFER,
               BENCH_BULK_BUFFERS, 0);
    add_object(objs, &n, BENCH_POOL_SMALL, IVSHARE_OBJECT_POOL, 0, 64, 1024, 0);
    add_object(objs, &n, BENCH_ZONE_CTL, IVSHARE_OBJECT_MEMZONE, 0, 4096, 0,
               (sizeof(bench_ctl) + 4095) & ~(size_t)4095);
    add_object(objs, &n, BENCH_ZONE_RTE, IVSHARE_OBJECT_MEMZONE, 0, 4096, 0,
               bench_rte_zone_size());

    memset(l, 0, sizeof(*l));
    g_strlcpy(l->name, name, sizeof(l->name));
    l->fingerprint = ivshare_fnv1a64(IVSHARE_FNV1A64_INIT, name, strlen(name));
    l->generation = 1;
    l->n_objects = n;
    l->objects = objs;
    return ivshare_layout_compute(l);
}

/* Create, preallocate and format the region file; map it through the library. */
static int
create_region(bench_env *env, const char *name)
{
    ivshare_layout_object objs[16];
    ivshare_layout l;
    uint64_t size;
    void *mem;
    int fd, rc;

    if ((rc = bench_layout(&l, objs, name)) < 0) {
        g_printerr(_("Cannot lay out the benchmark region: %s.\n"), ivshare_strerror(rc));
        return rc;
    }
    size = MAX(env->page_size, (uint64_t)4096);
    while (size < l.used_size)
        size *= 2;
    env->region_size = size;

    fd = open(env->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        g_printerr(_("Cannot create '%s': %s.\n"), env->path, g_strerror(-rc));
        return rc;
    }
    if (ftruncate(fd, (off_t)size) < 0 || fallocate(fd, 0, 0, (off_t)size) < 0) {
        rc = -errno;
        g_printerr(_("Cannot allocate %" G_GUINT64_FORMAT " MiB for '%s': %s.\n"),
                   (guint64)(size >> 20), env->path, g_strerror(-rc));
        close(fd);
        unlink(env->path);
        return rc;
    }
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (mem == MAP_FAILED) {
        rc = -errno;
        g_printerr(_("Cannot map '%s': %s.\n"), env->path, g_strerror(-rc));
        unlink(env->path);
        return rc;
    }
    rc = ivshare_region_format(mem, size, &l);
    munmap(mem, size);
    if (rc < 0) {
        g_printerr(_("Cannot format '%s': %s.\n"), env->path, ivshare_strerror(rc));
        unlink(env->path);
        return rc;
    }
    return 0;
}

/* Look up the control and rte_ring zones in one process's mapping. */
static int
open_zones(ivshare_region *r, bench_ctl **ctl, void **rte, size_t *rte_len)
{
    void *addr;
    size_t len;
    int rc;

    if ((rc = ivshare_memzone_lookup(r, BENCH_ZONE_CTL, &addr, &len)) < 0)
        return rc;
    if (len < sizeof(bench_ctl))
        return -EMSGSIZE;
    *ctl = addr;
    if ((rc = ivshare_memzone_lookup(r, BENCH_ZONE_RTE, rte, rte_len)) < 0)
        return rc;
    return 0;
}

static void
pick_cpus(bench_env *env)
{
    cpu_set_t set;
    unsigned found = 0;

    env->cpus[0] = 0;
    env->cpus[1] = 1;
    env->ncpus = 0;
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return;
    env->ncpus = (unsigned)CPU_COUNT(&set);
    for (int c = 0; c < CPU_SETSIZE && found < 2; c++)
        if (CPU_ISSET(c, &set))
            env->cpus[found++] = c;
    if (found == 1)
        env->cpus[1] = env->cpus[0];
}

/* The region file, for the signal handler to remove. */
static char cleanup_path[4200];

static void
on_signal(int sig)
{
    if (cleanup_path[0])
        unlink(cleanup_path);   /* async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Leave no region file behind when interrupted. */
static void
remove_on_signals(const char *path)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

    g_strlcpy(cleanup_path, path, sizeof(cleanup_path));
    for (unsigned i = 0; i < G_N_ELEMENTS(sigs); i++)
        signal(sigs[i], on_signal);
}

int
bench_env_setup(bench_env *env, const char *dir, bool quiet)
{
    g_autofree char *huge = NULL;
    g_autofree char *name = g_strdup_printf("ivshare-bench-%d", (int)getpid());
    uint64_t free_bytes, page = 0;
    int rc;

    pick_cpus(env);
    free_bytes = bench_hugepages_free_bytes(&page);
    if (dir) {
        struct statfs st;

        g_strlcpy(env->dir, dir, sizeof(env->dir));
        env->hugepages = statfs(dir, &st) == 0 && st.f_type == HUGETLBFS_MAGIC;
        env->page_size = env->hugepages ? (uint64_t)st.f_bsize : 4096;
    } else if ((huge = find_hugetlbfs()) && free_bytes >= 256ull << 20) {
        g_strlcpy(env->dir, huge, sizeof(env->dir));
        env->hugepages = true;
        env->page_size = page;
    } else {
        g_strlcpy(env->dir, "/dev/shm", sizeof(env->dir));
        env->hugepages = false;
        env->page_size = 4096;
        if (!quiet)
            g_printerr(_("Note: %s, so the region is on /dev/shm (4 KiB pages). "
                         "See docs/performance.md to reserve hugepages.\n"),
                       huge ? _("fewer than 256 MiB of hugepages are free")
                            : _("no hugetlbfs is mounted"));
    }
    g_snprintf(env->path, sizeof(env->path), "%s/%s", env->dir, name);

    remove_on_signals(env->path);
    if ((rc = create_region(env, name)) < 0)
        return rc;
    if ((rc = ivshare_path_open(env->path, &env->region)) < 0) {
        g_printerr(_("Cannot open the benchmark region '%s': %s.\n"), env->path,
                   ivshare_strerror(rc));
        unlink(env->path);
        return rc;
    }
    if ((rc = open_zones(env->region, &env->ctl, &env->rte_zone, &env->rte_zone_len)) < 0) {
        g_printerr(_("The benchmark region '%s' lacks its zones: %s.\n"), env->path,
                   ivshare_strerror(rc));
        bench_env_teardown(env);
        return rc;
    }
    if (bench_rte_available() &&
        (rc = bench_rte_init(env->rte_zone, env->rte_zone_len)) < 0) {
        g_printerr(_("Cannot initialise the rte_ring anchors: %s.\n"), g_strerror(-rc));
        bench_env_teardown(env);
        return rc;
    }
    return 0;
}

void
bench_env_teardown(bench_env *env)
{
    if (env->region)
        ivshare_close(env->region);
    env->region = NULL;
    env->ctl = NULL;
    if (env->path[0])
        unlink(env->path);
    env->path[0] = '\0';
    cleanup_path[0] = '\0';
}

/* Body of a forked process: map the region itself, wait for the start, run. */
static void G_GNUC_NORETURN
child_main(bench_env *env, unsigned index, unsigned n, int cpu, bench_role_fn fn,
           const void *params)
{
    bench_proc p = { .index = index, .nprocs = n, .params = params };
    unsigned spins = 0;
    int rc;

    cleanup_path[0] = '\0';   /* the set-up process owns the file */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(2);   /* the set-up process is gone already */

    p.cpu = bench_pin(cpu) == 0 ? cpu : -1;
    if ((rc = ivshare_path_open(env->path, &p.region)) < 0 ||
        (rc = open_zones(p.region, &p.ctl, &p.rte_zone, &p.rte_zone_len)) < 0) {
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
