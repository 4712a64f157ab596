/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* echo-guest.c: example guest program, answers echo-host's requests in upper case. */

/*
 * Runs inside a VM whose domain maps the region of echo.xml.  It finds the
 * region among the VM's ivshmem PCI devices (no kernel module needed), takes
 * requests from ring "requests" and answers each on ring "responses" with
 * its text in upper case, until echo-host sends ECHO_OP_QUIT or nothing
 * arrives for a while.
 *
 * Build it statically, so it runs in a minimal guest:
 *   cc -O2 -static -o echo-guest echo-guest.c \
 *      $(pkg-config --cflags --libs --static ivshare-guest)
 * Run it as root (it maps /sys/bus/pci/devices/.../resource2):
 *   echo-guest [-r REGION] [-t IDLE_SECONDS]
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ivshare/ivshare.h>

#include "echo.h"

/* Answer one request; 1 when it asked us to stop, -1 for a bad message. */
static int serve_one(ivshare_ring *responses, const uint8_t *buf, size_t len, uint64_t *served)
{
    echo_msg reply;
    size_t text_len;
    int rc;

    /*
     * The request came from shared memory: check its length before
     * reading the header, and clamp the text to what fits in the reply.
     */
    if (len < sizeof(echo_header)) {
        printf("echo-guest: ignoring a request of %zu bytes\n", len);
        return -1;
    }
    memcpy(&reply.h, buf, sizeof(reply.h));
    text_len = len - sizeof(echo_header);
    if (text_len > sizeof(reply.text))
        text_len = sizeof(reply.text);
    for (size_t i = 0; i < text_len; i++)
        reply.text[i] = (char)toupper(buf[sizeof(echo_header) + i]);

    /* The host reads responses as fast as it sends: a full ring is brief. */
    unsigned idle = 0;
    while ((rc = ivshare_ring_enqueue(responses, &reply, sizeof(echo_header) + text_len)) == -EAGAIN) {
        if (idle > 100000) {
            printf("echo-guest: ring '%s' stays full\n", ECHO_RING_RESPONSES);
            return -1;
        }
        echo_backoff(&idle);
    }
    if (rc < 0) {
        printf("echo-guest: cannot answer request %" PRIu32 ": %s\n", reply.h.seq,
               ivshare_strerror(rc));
        return -1;
    }
    if (reply.h.op == ECHO_OP_QUIT)
        return 1;
    (*served)++;
    return 0;
}

int main(int argc, char **argv)
{
    const char *region = ECHO_REGION;
    unsigned idle_s = 60;
    ivshare_region *r;
    ivshare_ring *requests, *responses;
    uint8_t *buf = NULL;
    size_t cap;
    uint64_t served = 0, last = echo_now_ns();
    unsigned bad = 0, idle = 0;
    int opt, rc, status = 1;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "r:t:h")) != -1) {
        switch (opt) {
        case 'r': region = optarg; break;
        case 't': idle_s = (unsigned)strtoul(optarg, NULL, 10); break;
        default:
            fprintf(opt == 'h' ? stdout : stderr,
                    "Usage: echo-guest [-r REGION] [-t IDLE_SECONDS]\n");
            return opt == 'h' ? 0 : 2;
        }
    }

    /* Find the region among the ivshmem devices and look up both rings. */
    rc = ivshare_guest_open(region, &r);
    if (rc < 0) {
        printf("echo-guest: cannot open region '%s': %s\n", region, ivshare_strerror(rc));
        return 1;
    }
    if ((rc = ivshare_ring_lookup(r, ECHO_RING_REQUESTS, &requests)) < 0 ||
        (rc = ivshare_ring_lookup(r, ECHO_RING_RESPONSES, &responses)) < 0) {
        printf("echo-guest: region '%s' lacks the echo rings: %s\n", region, ivshare_strerror(rc));
        goto out;
    }
    /* A buffer as large as a slot takes any message the ring can hold. */
    cap = ivshare_ring_slot_size(requests);
    buf = malloc(cap);
    if (!buf) {
        printf("echo-guest: out of memory\n");
        goto out;
    }
    printf("echo-guest: serving region '%s' (%zu bytes)\n", region, ivshare_region_size(r));

    for (;;) {
        size_t len;

        rc = ivshare_ring_dequeue(requests, buf, cap, &len);
        if (rc == -EAGAIN) {
            /* Nothing yet: back off, and give up after idle_s quiet seconds. */
            if (echo_now_ns() - last > (uint64_t)idle_s * 1000000000u) {
                printf("echo-guest: no request for %u s; giving up\n", idle_s);
                goto out;
            }
            echo_backoff(&idle);
            continue;
        }
        if (rc < 0) {
            printf("echo-guest: cannot take a request: %s\n", ivshare_strerror(rc));
            goto out;
        }
        idle = 0;
        last = echo_now_ns();
        rc = serve_one(responses, buf, len, &served);
        if (rc == 1)
            break;
        if (rc < 0 && ++bad > 10)
            goto out;
    }
    printf("echo-guest: answered %" PRIu64 " requests, %u bad ones\n", served, bad);
    status = bad ? 1 : 0;
out:
    free(buf);
    ivshare_close(r);
    return status;
}
