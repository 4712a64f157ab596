/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* echo-host.c: example host application, sends requests to echo-guest and times the answers. */

/*
 * The host side of the request/response example (region: echo.xml).
 *
 *   1. Register as host application "echo-host": the qemu hook refuses to
 *      start a VM whose region belongs to an application that is not
 *      running, and ivshared stops the VM when the application exits.
 *   2. Open the region once the hook has built it (at 'virsh start').
 *   3. Send requests on ring "requests", one at a time, and time the
 *      answers echo-guest puts on ring "responses"; print statistics.
 *
 * Build:  cc -O2 -o echo-host echo-host.c $(pkg-config --cflags --libs ivshare)
 * Run:    echo-host [-a APP] [-r REGION] [-n COUNT] [-t SECONDS] [-l] &
 *         virsh start VM        # the VM runs echo-guest
 * -l (linger) keeps the registration after the run until SIGINT/SIGTERM,
 * so that the VM is not stopped as soon as the statistics are printed.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ivshare/ivshare.h>

#include "echo.h"

typedef struct {
    ivshare_region *r;
    ivshare_ring *requests, *responses;
    uint8_t *buf;            /* one response, as large as a slot */
    size_t cap;
    uint64_t timeout_ns;     /* longest wait for the region or an answer */
} echo_host;

/*
 * The hook builds the region when the first VM using it starts: until
 * then ivshare_host_open() says -ENOENT (or IVSHARE_ENOTREADY while it is
 * being built).  Retry those, for a bounded time.
 */
static int open_region(echo_host *e, const char *region)
{
    uint64_t deadline = echo_now_ns() + e->timeout_ns;
    int rc;

    while ((rc = ivshare_host_open(region, &e->r)) == -ENOENT || rc == -IVSHARE_ENOTREADY) {
        if (echo_now_ns() > deadline)
            break;
        usleep(50000);
    }
    if (rc < 0) {
        fprintf(stderr, "echo-host: cannot open region '%s': %s\n", region, ivshare_strerror(rc));
        return rc;
    }
    if ((rc = ivshare_ring_lookup(e->r, ECHO_RING_REQUESTS, &e->requests)) < 0 ||
        (rc = ivshare_ring_lookup(e->r, ECHO_RING_RESPONSES, &e->responses)) < 0) {
        fprintf(stderr, "echo-host: region '%s' lacks the echo rings: %s\n", region,
                ivshare_strerror(rc));
        return rc;
    }
    e->cap = ivshare_ring_slot_size(e->responses);
    e->buf = malloc(e->cap);
    return e->buf ? 0 : -ENOMEM;
}

/*
 * One round trip: send request @seq with @text, wait for its answer and
 * check it.  0, -ETIMEDOUT, -EBADMSG for a wrong answer, or the ring's error.
 */
static int round_trip(echo_host *e, uint32_t seq, uint32_t op, const char *text)
{
    echo_msg req = { .h = { .seq = seq, .op = op } };
    size_t text_len = strlen(text), len;
    uint64_t deadline = echo_now_ns() + e->timeout_ns;
    unsigned idle = 0;
    echo_header h;
    int rc;

    if (text_len > sizeof(req.text))
        text_len = sizeof(req.text);
    memcpy(req.text, text, text_len);
    while ((rc = ivshare_ring_enqueue(e->requests, &req, sizeof(req.h) + text_len)) == -EAGAIN) {
        if (echo_now_ns() > deadline)
            return -ETIMEDOUT;
        echo_backoff(&idle);
    }
    if (rc < 0)
        return rc;

    idle = 0;
    while ((rc = ivshare_ring_dequeue(e->responses, e->buf, e->cap, &len)) == -EAGAIN) {
        if (echo_now_ns() > deadline)
            return -ETIMEDOUT;
        echo_backoff(&idle);
    }
    if (rc < 0)
        return rc;

    /* The answer comes from the guest: check its length before using it. */
    if (len != sizeof(h) + text_len)
        return -EBADMSG;
    memcpy(&h, e->buf, sizeof(h));
    if (h.seq != seq || h.op != op)
        return -EBADMSG;
    for (size_t i = 0; i < text_len; i++)
        if (e->buf[sizeof(h) + i] != (uint8_t)toupper((unsigned char)text[i]))
            return -EBADMSG;
    return 0;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Print min/median/99th percentile/max/mean of @n round trips (sorts @ns). */
static void print_stats(uint64_t *ns, unsigned n, uint64_t total_ns)
{
    uint64_t sum = 0;

    qsort(ns, n, sizeof(*ns), compare_u64);
    for (unsigned i = 0; i < n; i++)
        sum += ns[i];
    printf("echo-host: %u round trips in %.3f s: min %.1f us, median %.1f us, "
           "99%% %.1f us, max %.1f us, mean %.1f us\n",
           n, total_ns / 1e9, ns[0] / 1e3, ns[n / 2] / 1e3, ns[(n * 99) / 100] / 1e3,
           ns[n - 1] / 1e3, (double)sum / n / 1e3);
}

/* Stay registered until SIGINT or SIGTERM. */
static void linger(void)
{
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    printf("echo-host: done; staying registered until SIGINT or SIGTERM\n");
    sigwait(&set, &sig);
}

int main(int argc, char **argv)
{
    const char *app_name = ECHO_APP, *region = ECHO_REGION;
    unsigned count = 1000, timeout_s = 60;
    bool stay = false;
    echo_host e = { 0 };
    ivshare_app *app;
    uint64_t *rtt = NULL, t0;
    sigset_t set;
    int opt, rc, status = 1;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "a:r:n:t:lh")) != -1) {
        switch (opt) {
        case 'a': app_name = optarg; break;
        case 'r': region = optarg; break;
        case 'n': count = (unsigned)strtoul(optarg, NULL, 10); break;
        case 't': timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'l': stay = true; break;
        default:
            fprintf(opt == 'h' ? stdout : stderr,
                    "Usage: echo-host [-a APP] [-r REGION] [-n COUNT] [-t SECONDS] [-l]\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    if (count < 1 || count > 10000000 || timeout_s < 1) {
        fprintf(stderr, "echo-host: COUNT must be 1 to 10000000 and SECONDS at least 1\n");
        return 2;
    }
    e.timeout_ns = (uint64_t)timeout_s * 1000000000u;
    /* SIGINT/SIGTERM are taken by sigwait() in linger(), not delivered. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (stay)
        sigprocmask(SIG_BLOCK, &set, NULL);

    /* From here until unregister (or exit), VMs of our regions may start. */
    rc = ivshare_app_register(app_name, &app);
    if (rc < 0) {
        fprintf(stderr, "echo-host: cannot register host application '%s': %s\n", app_name,
                ivshare_strerror(rc));
        return 1;
    }
    printf("echo-host: registered host application '%s'; waiting for region '%s'\n",
           app_name, region);
    if (open_region(&e, region) < 0)
        goto out;
    rtt = calloc(count, sizeof(*rtt));
    if (!rtt) {
        fprintf(stderr, "echo-host: out of memory\n");
        goto out;
    }

    /*
     * Leftover answers of an earlier run would be taken for ours: drop
     * them, at most one ring's worth (a guest that keeps sending cannot
     * hold us here).
     */
    for (unsigned n = ivshare_ring_capacity(e.responses); n > 0; n--)
        if (ivshare_ring_dequeue(e.responses, e.buf, e.cap, &(size_t){ 0 }) != 0)
            break;

    /* The first round trip waits for the guest to boot: not counted. */
    rc = round_trip(&e, 0, ECHO_OP_REQUEST, "hello, guest");
    if (rc < 0) {
        fprintf(stderr, "echo-host: no answer from the guest: %s\n", ivshare_strerror(rc));
        goto out;
    }
    printf("echo-host: the guest answers; sending %u requests\n", count);

    t0 = echo_now_ns();
    for (unsigned i = 0; i < count; i++) {
        char text[64];
        uint64_t t = echo_now_ns();

        snprintf(text, sizeof(text), "request %u from %s", i + 1, app_name);
        rc = round_trip(&e, i + 1, ECHO_OP_REQUEST, text);
        if (rc < 0) {
            fprintf(stderr, "echo-host: request %u: %s\n", i + 1, ivshare_strerror(rc));
            goto out;
        }
        rtt[i] = echo_now_ns() - t;
    }
    print_stats(rtt, count, echo_now_ns() - t0);

    rc = round_trip(&e, count + 1, ECHO_OP_QUIT, "goodbye");
    if (rc < 0) {
        fprintf(stderr, "echo-host: the guest did not acknowledge the end: %s\n",
                ivshare_strerror(rc));
        goto out;
    }
    printf("echo-host: all %u answers matched their requests\n", count);
    status = 0;
out:
    if (stay)
        linger();
    free(rtt);
    free(e.buf);
    if (e.r)
        ivshare_close(e.r);
    ivshare_app_unregister(app);
    return status;
}
