/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* e2e-format.c: write an e2e region file by hand (no builder, no hook) for the raw ivshmem test. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format.h"
#include "e2e-proto.h"

#define MIB (1024u * 1024u)

static void object(ivshare_layout_object *o, const char *name, uint32_t type,
                   uint32_t p0, uint32_t p1, uint64_t size)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->name, sizeof(o->name), "%s", name);
    o->type = type;
    o->param0 = p0;
    o->param1 = p1;
    o->size = size;
}

int main(int argc, char **argv)
{
    ivshare_layout_object objs[5];
    ivshare_layout l;
    uint64_t size;
    void *mem;
    int fd, rc;

    if (argc != 4) {
        fprintf(stderr, "Usage: e2e-format FILE REGION SIZE-MIB\n"
                "Create FILE (on hugetlbfs or tmpfs) holding region REGION with the e2e objects.\n");
        return 2;
    }
    size = strtoull(argv[3], NULL, 10) * MIB;
    object(&objs[0], E2E_RING_TO_GUEST, IVSHARE_OBJECT_RING, 256, 1024, 0);
    object(&objs[1], E2E_RING_TO_HOST, IVSHARE_OBJECT_RING, 256, 1024, 0);
    object(&objs[2], E2E_RING_VM2VM, IVSHARE_OBJECT_RING, 64, 256, 0);
    object(&objs[3], E2E_POOL, IVSHARE_OBJECT_POOL, 2048, 128, 0);
    object(&objs[4], E2E_MEMZONE, IVSHARE_OBJECT_MEMZONE, 0, 0, 4096);
    memset(&l, 0, sizeof(l));
    snprintf(l.name, sizeof(l.name), "%s", argv[2]);
    l.fingerprint = ivshare_fnv1a64(IVSHARE_FNV1A64_INIT, argv[2], strlen(argv[2]));
    l.generation = (uint64_t)getpid();
    l.n_objects = 5;
    l.objects = objs;
    rc = ivshare_layout_compute(&l);
    if (rc < 0 || l.used_size > size) {
        fprintf(stderr, "e2e-format: the objects need %llu bytes of %llu: %s\n",
                (unsigned long long)l.used_size, (unsigned long long)size,
                rc < 0 ? ivshare_strerror(rc) : "too small");
        return 1;
    }
    fd = open(argv[1], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
    if (fd < 0) {
        fprintf(stderr, "e2e-format: cannot create '%s': %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (ftruncate(fd, (off_t)size) < 0 ||
        (mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0)) == MAP_FAILED) {
        fprintf(stderr, "e2e-format: cannot size or map '%s': %s\n", argv[1], strerror(errno));
        close(fd);
        unlink(argv[1]);
        return 1;
    }
    close(fd);
    rc = ivshare_region_format(mem, size, &l);
    munmap(mem, size);
    if (rc < 0) {
        fprintf(stderr, "e2e-format: formatting '%s': %s\n", argv[1], ivshare_strerror(rc));
        unlink(argv[1]);
        return 1;
    }
    printf("e2e-format: region '%s' in '%s': %llu bytes, objects end at %llu\n",
           argv[2], argv[1], (unsigned long long)size, (unsigned long long)l.used_size);
    return 0;
}
