/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* partition-demo.c: example guest program, writes its own partition and reads another VM's. */

/*
 * Runs in each VM of partitioned.xml, started as
 *   partition-demo [-r REGION] [-n UPDATES] [-t SECONDS] SELF OTHER
 * where SELF is this VM's domain name and OTHER the other VM's.
 *
 *   1. Write version 1 into the own partition (memzone SELF), then wait,
 *      bounded, until the other VM's partition (memzone OTHER) has content.
 *   2. Write versions 2..UPDATES, reading OTHER after each: every snapshot
 *      must be a whole version that OTHER wrote, never half of two.
 *   3. Shut the own partition down, wait (bounded) until OTHER has shut
 *      down too, and check its last version.
 *   4. On a doorbell region, read OTHER once more by its peer ID.
 *
 * Build:  cc -O2 -static -o partition-demo partition-demo.c partition.c \
 *            $(pkg-config --cflags --libs --static ivshare-guest)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ivshare/ivshare.h>

#include "partition.h"

#define DEMO_MAX 4096                   /* largest version, in bytes */
#define DEMO_TEXT_MAX 96                /* its first line */

typedef struct {
    uint64_t snapshots;                 /* whole versions read */
    uint64_t versions;                  /* distinct ones */
    uint64_t wrong;                     /* not a version OTHER could have written */
    uint32_t last;
} demo_seen;

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Version @v of @name's partition: a first line naming both, then bytes
 * that depend on both, of a length that changes with @v.  A reader that
 * mixed two versions finds a byte that does not match.
 */
static size_t demo_content(const char *name, uint32_t v, uint8_t *out)
{
    uint32_t x = 2166136261u ^ v * 2654435761u;
    size_t len = 1024 + (v * 37u) % (DEMO_MAX - 1024);
    int n = snprintf((char *)out, DEMO_TEXT_MAX, "hello from %s, version %" PRIu32 "\n", name, v);

    for (const char *c = name; *c; c++)
        x = (x ^ (uint8_t)*c) * 16777619u;
    for (size_t i = (size_t)n; i < len; i++) {
        x ^= x << 13;                   /* xorshift32 */
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (uint8_t)x;
    }
    return len;
}

/* Is @buf, @len bytes read from @name's partition, a whole version?  Its number in *v. */
static int demo_check(const char *name, const uint8_t *buf, size_t len, uint32_t *v)
{
    static uint8_t want[DEMO_MAX];
    char line[DEMO_TEXT_MAX + 1], who[IVSHARE_NAME_MAX + 1];
    size_t n = len < DEMO_TEXT_MAX ? len : DEMO_TEXT_MAX;

    /* The text came from another VM: copy a bounded piece, terminate it. */
    memcpy(line, buf, n);
    line[n] = '\0';
    if (sscanf(line, "hello from %31[^,], version %" SCNu32, who, v) != 2 ||
        strcmp(who, name) != 0)
        return 0;
    return demo_content(name, *v, want) == len && memcmp(want, buf, len) == 0;
}

/* Read @who's partition once, if it has content, and account for what was seen. */
static int demo_look(partition *p, const char *who, const char *name, uint8_t *buf,
                     demo_seen *seen)
{
    size_t len = 0;
    uint32_t v;
    int rc = partition_read(p, who, buf, DEMO_MAX, &len);

    if (rc < 0)
        return rc;
    if (!demo_check(name, buf, len, &v)) {
        if (seen->wrong++ < 3)
            printf("partition-demo: %s's partition holds %zu bytes that are no version of it\n",
                   name, len);
        return -EBADMSG;
    }
    seen->snapshots++;
    if (seen->versions == 0 || v != seen->last)
        seen->versions++;
    seen->last = v;
    return rc;
}

int main(int argc, char **argv)
{
    static uint8_t mine[DEMO_MAX], theirs[DEMO_MAX];
    const char *region = "partitioned", *self, *other;
    unsigned updates = 1000, timeout_s = 120;
    ivshare_region *r;
    ivshare_region_info info;
    partition p;
    demo_seen seen = { 0 };
    uint64_t t0, deadline;
    int opt, rc, status = 1;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "r:n:t:h")) != -1) {
        switch (opt) {
        case 'r': region = optarg; break;
        case 'n': updates = (unsigned)strtoul(optarg, NULL, 10); break;
        case 't': timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
        default:
            fprintf(opt == 'h' ? stdout : stderr,
                    "Usage: partition-demo [-r REGION] [-n UPDATES] [-t SECONDS] SELF OTHER\n");
            return opt == 'h' ? 0 : 2;
        }
    }
    if (argc - optind != 2 || updates < 1) {
        fprintf(stderr, "Usage: partition-demo [-r REGION] [-n UPDATES] [-t SECONDS] SELF OTHER\n");
        return 2;
    }
    self = argv[optind];
    other = argv[optind + 1];

    rc = ivshare_guest_open(region, &r);
    if (rc < 0) {
        printf("partition-demo: cannot open region '%s': %s\n", region, ivshare_strerror(rc));
        return 1;
    }
    rc = partition_init(&p, r, self);
    if (rc < 0) {
        printf("partition-demo: region '%s' has no partition '%s': %s\n", region, self,
               ivshare_strerror(rc));
        goto out;
    }
    printf("partition-demo: %s: partition of %zu bytes in region '%s'\n", self,
           partition_capacity(&p), region);

    /* 1. Write version 1, then wait (bounded) until the other VM has written. */
    rc = partition_write(&p, mine, demo_content(self, 1, mine));
    if (rc < 0) {
        printf("partition-demo: cannot write its partition: %s\n", ivshare_strerror(rc));
        goto out;
    }
    t0 = now_ms();
    deadline = t0 + (uint64_t)timeout_s * 1000;
    while ((rc = demo_look(&p, other, other, theirs, &seen)) < 0) {
        if (rc != -ENODATA && rc != -EAGAIN && rc != -EBADMSG) {
            printf("partition-demo: cannot read %s's partition: %s\n", other, ivshare_strerror(rc));
            goto out;
        }
        if (now_ms() > deadline) {
            printf("partition-demo: %s wrote nothing within %u s\n", other, timeout_s);
            goto out;
        }
        usleep(50000);
    }
    printf("partition-demo: %s's partition appeared after %" PRIu64 " ms\n", other, now_ms() - t0);

    /* 2. Versions 2..updates, reading the other partition after each. */
    for (uint32_t v = 2; v <= updates; v++) {
        size_t len = demo_content(self, v, mine);

        if ((rc = partition_write(&p, mine, len)) < 0) {
            printf("partition-demo: cannot write version %" PRIu32 ": %s\n", v,
                   ivshare_strerror(rc));
            goto out;
        }
        rc = demo_look(&p, other, other, theirs, &seen);
        if (rc < 0 && rc != -ENODATA && rc != -EAGAIN && rc != -EBADMSG) {
            printf("partition-demo: cannot read %s's partition: %s\n", other, ivshare_strerror(rc));
            goto out;
        }
    }
    partition_shutdown(&p);
    printf("partition-demo: %s: wrote %u versions and shut its partition down\n", self, updates);

    /* 3. Wait, bounded, until the other VM is done too: its last version, closed. */
    deadline = now_ms() + (uint64_t)timeout_s * 1000;
    while ((rc = demo_look(&p, other, other, theirs, &seen)) != PARTITION_CLOSED) {
        if (rc < 0 && rc != -ENODATA && rc != -EAGAIN && rc != -EBADMSG) {
            printf("partition-demo: cannot read %s's partition: %s\n", other, ivshare_strerror(rc));
            goto out;
        }
        if (now_ms() > deadline) {
            printf("partition-demo: %s did not finish within %u s\n", other, timeout_s);
            goto out;
        }
        usleep(rc == -ENODATA ? 100000 : 1000);
    }
    printf("partition-demo: read %s's partition by name: \"hello from %s, version %" PRIu32
           "\", %" PRIu64 " whole snapshots of %" PRIu64 " versions, %" PRIu64 " wrong\n",
           other, other, seen.last, seen.snapshots, seen.versions, seen.wrong);
    if (seen.last != updates || seen.wrong) {
        printf("partition-demo: expected version %u of %s and no wrong snapshot\n", updates, other);
        goto out;
    }

    /* 4. A doorbell region names its peers: read the same partition by peer ID. */
    if (ivshare_region_get_info(r, &info) == 0 && info.doorbell) {
        uint8_t again[DEMO_MAX];
        size_t len = 0;
        unsigned id;
        char who[16];

        if ((rc = ivshare_peer_lookup(r, other, &id)) < 0) {
            printf("partition-demo: %s is not in the peer table: %s\n", other, ivshare_strerror(rc));
            goto out;
        }
        snprintf(who, sizeof(who), "#%u", id);
        rc = partition_read(&p, who, again, sizeof(again), &len);
        if (rc != PARTITION_CLOSED || !demo_check(other, again, len, &(uint32_t){ 0 }) ||
            memcmp(again, theirs, len) != 0) {
            printf("partition-demo: reading peer %s gave %s, not %s's last version\n", who,
                   rc < 0 ? ivshare_strerror(rc) : "other content", other);
            goto out;
        }
        printf("partition-demo: read %s's partition by peer ID %u: the same %zu bytes\n",
               other, id, len);
    }
    status = 0;
out:
    partition_shutdown(&p);
    ivshare_close(r);
    return status;
}
