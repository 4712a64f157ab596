/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-objects.c: fuzz target of ring and pool operations on arbitrary
 * shared state.  A valid region of rings, pools and a memzone is formatted
 * once; each input first overwrites bytes of its objects (u8 count, then
 * per patch: u8 object, u16 offset, u8 length, the bytes), then drives a
 * sequence of operations on it (see exercise.c), during which a peer keeps
 * writing.
 */
#include <sys/mman.h>

#include "exercise.h"

#define N_OBJECTS 6

static uint8_t *pristine;
static uint8_t *mem;
static size_t mem_size;
static ivshare_layout_object objects[N_OBJECTS];

static void
object(unsigned i, const char *name, uint32_t type, uint32_t flags, uint32_t p0, uint32_t p1,
       uint64_t size)
{
    g_strlcpy(objects[i].name, name, sizeof(objects[i].name));
    objects[i].type = type;
    objects[i].flags = flags;
    objects[i].param0 = p0;
    objects[i].param1 = p1;
    objects[i].size = size;
}

static void
setup(void)
{
    const uint32_t multi = IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER;
    ivshare_layout l = { .objects = objects, .n_objects = N_OBJECTS, .fingerprint = 42,
                         .generation = 1, .flags = IVSHARE_REGION_DOORBELL, .vectors = 2 };

    object(0, "spsc", IVSHARE_OBJECT_RING, 0, 32, 16, 0);
    object(1, "mpmc", IVSHARE_OBJECT_RING, multi, 64, 8, 0);
    object(2, "tiny", IVSHARE_OBJECT_RING, IVSHARE_RING_MULTI_CONSUMER, 8, 2, 0);
    object(3, "bufs", IVSHARE_OBJECT_POOL, 0, 64, 8, 0);
    object(4, "one", IVSHARE_OBJECT_POOL, 0, 16, 1, 0);
    object(5, "stats", IVSHARE_OBJECT_MEMZONE, 0, 0, 0, 256);
    g_strlcpy(l.name, "fuzzreg", sizeof(l.name));
    FUZZ_CHECK(ivshare_layout_compute(&l) == 0);
    mem_size = l.used_size;
    pristine = g_malloc0(mem_size);
    FUZZ_CHECK(ivshare_region_format(pristine, mem_size, &l) == 0);
    /* the copy that is used sits right before an inaccessible page */
    {
        size_t page = 4096, span = (mem_size + page - 1) / page * page;
        uint8_t *map = mmap(NULL, span + page, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        FUZZ_CHECK(map != MAP_FAILED);
        FUZZ_CHECK(mprotect(map + span, page, PROT_NONE) == 0);
        mem = map + span - mem_size;
        FUZZ_CHECK((uintptr_t)mem % 64 == 0);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader in = { .data = data, .size = size };
    ivshare_region *r = NULL;
    unsigned patches;

    if (!pristine)
        setup();
    memcpy(mem, pristine, mem_size);
    patches = fuzz_u8(&in) % 16;
    for (unsigned i = 0; i < patches; i++) {
        const ivshare_layout_object *o = &objects[fuzz_u8(&in) % N_OBJECTS];
        uint64_t at = o->offset + fuzz_u16(&in) % o->size;
        unsigned n = fuzz_u8(&in) % 32 + 1;

        for (unsigned k = 0; k < n && at + k < mem_size; k++)
            mem[at + k] = fuzz_u8(&in);
    }
    FUZZ_CHECK(ivshare_mem_open(mem, mem_size, &r) == 0);
    fuzz_exercise(r, mem, mem_size, &in, 512);
    ivshare_close(r);
    return 0;
}
