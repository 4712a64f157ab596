/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* env.c: the benchmark region: where it lives, its objects, its creation and removal. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gi18n.h>

#include "format.h"
#include "bench.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

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
int
bench_open_zones(ivshare_region *r, bench_ctl **ctl, void **rte, size_t *rte_len)
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

/* In a forked worker: the set-up process owns the file. */
void
bench_env_forget_file(void)
{
    cleanup_path[0] = '\0';
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
    if ((rc = bench_open_zones(env->region, &env->ctl, &env->rte_zone, &env->rte_zone_len)) < 0) {
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
