/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* build.c: building a hugepage region file, beside faulting in as many hugepages. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format.h"
#include "bench.h"

/* A region as an application would describe it: a ring, a big pool, a memzone. */
static int
build_layout(ivshare_layout *l, ivshare_layout_object *objs, uint64_t size)
{
    int rc;

    memset(objs, 0, 3 * sizeof(*objs));
    strcpy(objs[0].name, "rx");
    objs[0].type = IVSHARE_OBJECT_RING;
    objs[0].param0 = 256;
    objs[0].param1 = 4096;
    strcpy(objs[1].name, "bufs");
    objs[1].type = IVSHARE_OBJECT_POOL;
    objs[1].param0 = 2048;
    objs[1].param1 = (uint32_t)(size / 2 / 2048);
    strcpy(objs[2].name, "data");
    objs[2].type = IVSHARE_OBJECT_MEMZONE;
    objs[2].param0 = 4096;
    objs[2].size = 4096;

    memset(l, 0, sizeof(*l));
    strcpy(l->name, "bench-build");
    l->generation = 1;
    l->n_objects = 3;
    l->objects = objs;
    if ((rc = ivshare_layout_compute(l)) < 0)
        return rc;
    /* Give the memzone the rest, less some room for alignment. */
    if (l->used_size + (1u << 20) > size)
        return -ENOSPC;
    objs[2].size = size - l->used_size - (1u << 20);
    if ((rc = ivshare_layout_compute(l)) < 0)
        return rc;
    return l->used_size <= size ? 0 : -ENOSPC;
}

/* create + fallocate + map + format: what a region build costs. */
static int
region_build(const bench_build_params *bp, double *ns)
{
    ivshare_layout_object objs[3];
    ivshare_layout l;
    char path[4200];
    uint64_t t0, t1;
    void *mem;
    int fd, rc;

    snprintf(path, sizeof(path), "%s/ivshare-bench-build-%d", bp->dir, (int)getpid());
    t0 = bench_now_ns();
    if ((rc = build_layout(&l, objs, bp->size)) < 0)
        return rc;
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)bp->size) < 0 || fallocate(fd, 0, 0, (off_t)bp->size) < 0) {
        rc = -errno;
        goto out;
    }
    mem = mmap(NULL, bp->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
        rc = -errno;
        goto out;
    }
    l.zeroed = 1; /* a new file, as the region builder has it */
    rc = ivshare_region_format(mem, bp->size, &l);
    t1 = bench_now_ns();
    munmap(mem, bp->size);
    *ns = (double)(t1 - t0);
out:
    close(fd);
    unlink(path);
    return rc;
}

/* mmap anonymous hugepages and touch each: the kernel's part alone. */
static int
fault_in(const bench_build_params *bp, double *ns)
{
    uint64_t page = 0, t0, t1;
    volatile char *mem;

    bench_hugepages_free_bytes(&page);
    t0 = bench_now_ns();
    mem = mmap(NULL, bp->size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (mem == MAP_FAILED)
        return -errno;
    for (uint64_t off = 0; off < bp->size; off += page)
        mem[off] = 1;
    t1 = bench_now_ns();
    munmap((void *)mem, bp->size);
    *ns = (double)(t1 - t0);
    return 0;
}

int
bench_build_role(bench_proc *p)
{
    const bench_build_params *bp = p->params;
    bench_report *rep = &p->ctl->report[p->index];
    double ns = 0;
    int rc = bp->raw ? fault_in(bp, &ns) : region_build(bp, &ns);

    rep->result[0] = ns;
    rep->errors = rc < 0;
    return rc;
}
