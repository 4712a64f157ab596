/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-region.c: fuzz target of the region validator: raw bytes mapped as
 * a region.  Input: u16 n, the region's bytes, then n bytes of operations
 * run on the region if it opens (see exercise.c).
 */
#include "exercise.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree uint8_t *mem = NULL;
    ivshare_region *r = NULL;
    fuzz_reader ops;
    size_t n, len;
    int rc;

    if (size < 2)
        return 0;
    n = MIN((size_t)(data[0] | data[1] << 8), size - 2);
    len = size - 2 - n;
    /* an exact-size copy: the sanitizer sees any access past its end */
    mem = g_malloc(len ? len : 1);
    memcpy(mem, data + 2, len);
    ops = (fuzz_reader){ .data = data + 2 + len, .size = n };

    rc = ivshare_mem_open(mem, len, &r);
    if (rc < 0) {
        FUZZ_CHECK(r == NULL);
        FUZZ_CHECK(rc == -IVSHARE_EBADREGION || rc == -IVSHARE_ENOTREADY ||
                   rc == -IVSHARE_EBADVERSION || rc == -ENOMEM);
        FUZZ_CHECK(ivshare_strerror(rc) != NULL);
        return 0;
    }
    FUZZ_CHECK(ivshare_region_check(r) == 0);
    fuzz_exercise(r, mem, len, &ops, 256);
    ivshare_close(r);
    return 0;
}
