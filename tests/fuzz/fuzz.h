/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz.h: what every fuzz target shares: the libFuzzer entry point, a byte
 * reader that turns the input into decisions, and the checks on results.
 *
 * Each target is built twice: with -fsanitize=fuzzer (libFuzzer supplies
 * main) and with replay.c, which feeds the committed corpus to it as a
 * unit test.  A failed check aborts, which both drivers report.
 */
#ifndef IVSHARE_FUZZ_H
#define IVSHARE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "desc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a message when @cond is false (in both drivers, any build type). */
#define FUZZ_CHECK(cond) \
    do { \
        if (!(cond)) \
            fuzz_fail(__FILE__, __LINE__, #cond); \
    } while (0)

G_NORETURN void fuzz_fail(const char *file, int line, const char *what);

/* Consume the input a little at a time; past its end every read is 0. */
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
} fuzz_reader;

uint8_t fuzz_u8(fuzz_reader *r);
uint16_t fuzz_u16(fuzz_reader *r);
uint32_t fuzz_u32(fuzz_reader *r);
uint64_t fuzz_u64(fuzz_reader *r);
gboolean fuzz_done(const fuzz_reader *r);

/* Quiet GLib's logging (the server logs every peer) unless FUZZ_VERBOSE is set. */
void fuzz_quiet_logs(void);

/*
 * What a description parser returned must be consistent: TRUE with no
 * error, or FALSE with one line of valid UTF-8 naming @source and no
 * description.  A description that parsed must lay out, fit its size, and
 * (when small) format into a region that the core library opens.
 */
void fuzz_check_parse(gboolean ok, const ivshare_desc *desc, const GError *error,
                      const char *source);

#endif /* IVSHARE_FUZZ_H */
