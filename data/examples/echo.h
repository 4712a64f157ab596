/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* echo.h: what echo-host and echo-guest exchange over the region of echo.xml. */
#ifndef IVSHARE_EXAMPLE_ECHO_H
#define IVSHARE_EXAMPLE_ECHO_H

#include <stdint.h>
#include <time.h>

/*
 * Names from the description (echo.xml, echo.ini).  Programs find the
 * rings by these names: no offset is ever computed by hand.
 */
#define ECHO_REGION        "echo"
#define ECHO_APP           "echo-host"
#define ECHO_RING_REQUESTS "requests"     /* host -> guest */
#define ECHO_RING_RESPONSES "responses"   /* guest -> host */

/*
 * A message is this header followed by up to ECHO_TEXT_MAX bytes of text
 * (no NUL).  The guest answers a request with the same sequence number and
 * the text in upper case; ECHO_OP_QUIT ends the guest's service.  Messages
 * are copied into and out of the rings, so the struct needs no particular
 * alignment in shared memory.
 */
enum {
    ECHO_OP_REQUEST = 1,
    ECHO_OP_QUIT = 2,
};

typedef struct {
    uint32_t seq;
    uint32_t op;
} echo_header;

#define ECHO_TEXT_MAX 200

typedef struct {
    echo_header h;
    char text[ECHO_TEXT_MAX];
} echo_msg;

/* Nanoseconds of the monotonic clock. */
static inline uint64_t echo_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Wait politely for a peer: spin for the first calls (a reply is often
 * microseconds away), then sleep for longer and longer, up to 1 ms.
 * Reset *idle to 0 after progress.
 */
static inline void echo_backoff(unsigned *idle)
{
    unsigned n = ++*idle;

    if (n < 128)
        return;
    struct timespec ts = { 0, n < 1024 ? 10000 : n < 4096 ? 100000 : 1000000 };
    nanosleep(&ts, NULL);
}

#endif /* IVSHARE_EXAMPLE_ECHO_H */
