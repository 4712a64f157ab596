/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exercise.h: every operation of an open region, driven by fuzz input. */
#ifndef IVSHARE_FUZZ_EXERCISE_H
#define IVSHARE_FUZZ_EXERCISE_H

#include "fuzz.h"

/*
 * Up to @max_ops operations (ring, pool, doorbell, region checks, and peer
 * writes into @mem) on @r, which maps @mem (@size bytes).
 */
void fuzz_exercise(ivshare_region *r, uint8_t *mem, size_t size, fuzz_reader *in,
                   unsigned max_ops);

#endif /* IVSHARE_FUZZ_EXERCISE_H */
