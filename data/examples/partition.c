/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* partition.c: one partition per VM in an ivshare region, read with a seqlock (example code). */
#include "partition.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The header at the start of every partition (see partition.h). */
typedef struct {
    _Atomic uint32_t seq;
    _Atomic uint32_t len;
    _Atomic uint32_t flags;
} partition_header;

_Static_assert(sizeof(partition_header) <= PARTITION_HEADER_SIZE, "header fits");

int partition_init(partition *p, ivshare_region *region, const char *self_name)
{
    void *base;
    size_t size;
    int rc;

    memset(p, 0, sizeof(*p));
    if (strlen(self_name) > IVSHARE_NAME_MAX)
        return -ENAMETOOLONG;
    rc = ivshare_memzone_lookup(region, self_name, &base, &size);
    if (rc < 0)
        return rc;
    if (size <= PARTITION_HEADER_SIZE)
        return -ENOSPC;
    p->region = region;
    strcpy(p->self, self_name);
    p->base = base;
    p->size = size;
    /*
     * Continue the counter of an earlier run of this VM, so that readers
     * never see an old value again.  From now on the counter lives here:
     * whatever another VM writes into our header cannot steer us.
     */
    p->seq = atomic_load_explicit(&((partition_header *)base)->seq, memory_order_relaxed) & ~1u;
    p->len = 0;
    return 0;
}

size_t partition_capacity(const partition *p)
{
    return p->base ? p->size - PARTITION_HEADER_SIZE : 0;
}

/* Seqlock update of the own partition: content (unless @data is NULL), length and flags. */
static void partition_update(partition *p, const void *data, size_t len, uint32_t flags)
{
    partition_header *h = (partition_header *)p->base;
    uint32_t even = p->seq + 2;

    if (even == 0)               /* 0 means "never written" */
        even = 2;
    /* odd: readers that start now, or that started before, retry */
    atomic_store_explicit(&h->seq, even - 1, memory_order_relaxed);
    /*
     * A full fence orders the odd counter before the content, also where
     * the guest maps the BAR write-combining (C11 release ordering alone
     * becomes no instruction at all on x86).
     */
    atomic_thread_fence(memory_order_seq_cst);
    if (data)
        memcpy(p->base + PARTITION_HEADER_SIZE, data, len);
    atomic_store_explicit(&h->len, (uint32_t)len, memory_order_relaxed);
    atomic_store_explicit(&h->flags, flags, memory_order_relaxed);
    /* ...and the content before the even counter that publishes it. */
    atomic_thread_fence(memory_order_seq_cst);
    atomic_store_explicit(&h->seq, even, memory_order_release);
    p->seq = even;
    p->len = (uint32_t)len;
}

int partition_write(partition *p, const void *data, size_t len)
{
    if (!p->base)
        return -EPIPE;
    if (len > partition_capacity(p) || len > UINT32_MAX)
        return -EMSGSIZE;
    partition_update(p, data, len, 0);
    return 0;
}

/*
 * The name of the partition @who designates: itself, or for "#N" the name
 * of doorbell peer N in the region's peer table.
 */
static int partition_resolve(partition *p, const char *who, char name[IVSHARE_NAME_MAX + 1])
{
    ivshare_peer_info info;
    unsigned long id;
    char *end;
    int rc;

    if (who[0] != '#') {
        if (strlen(who) > IVSHARE_NAME_MAX)
            return -ENOENT;
        strcpy(name, who);
        return 0;
    }
    errno = 0;
    id = strtoul(who + 1, &end, 10);
    if (who[1] < '0' || who[1] > '9' || *end || errno || id > 65535)
        return -ENOENT;
    /* The peer table is shared memory too: the library validates the entry. */
    rc = ivshare_peer_get_info(p->region, (unsigned)id, &info);
    if (rc == -ERANGE)
        return -ENOENT;
    if (rc < 0)
        return rc;
    memcpy(name, info.name, IVSHARE_NAME_MAX + 1);
    return 0;
}

/* Between attempts: yield a few times, then sleep 10, 20, ... up to 100 us. */
static void partition_pause(unsigned attempt)
{
    struct timespec ts = { 0, 0 };

    if (attempt < 8)
        return;
    ts.tv_nsec = 10000L * (attempt < 80 ? attempt / 8 : 10);
    nanosleep(&ts, NULL);
}

int partition_read(partition *p, const char *who, void *buf, size_t cap, size_t *len)
{
    char name[IVSHARE_NAME_MAX + 1];
    partition_header *h;
    const uint8_t *content;
    void *base;
    size_t size, avail;
    int rc;

    rc = partition_resolve(p, who, name);
    if (rc < 0)
        return rc;
    rc = ivshare_memzone_lookup(p->region, name, &base, &size);
    if (rc < 0)
        return rc;
    /* The memzone's size comes from the library's validated copy of the table. */
    if (size <= PARTITION_HEADER_SIZE)
        return -ENOENT;
    h = base;
    content = (const uint8_t *)base + PARTITION_HEADER_SIZE;
    avail = size - PARTITION_HEADER_SIZE;

    for (unsigned attempt = 0; attempt < PARTITION_READ_TRIES; attempt++) {
        uint32_t s1, s2, n, flags;

        partition_pause(attempt);
        s1 = atomic_load_explicit(&h->seq, memory_order_acquire);
        if (s1 == 0)
            return -ENODATA;
        if (s1 & 1)
            continue;                       /* the owner is writing */
        /* Snapshot: every field once, into locals. */
        n = atomic_load_explicit(&h->len, memory_order_relaxed);
        flags = atomic_load_explicit(&h->flags, memory_order_relaxed);
        /*
         * Copy only what the memzone and @buf can hold; the copy may be
         * torn, which the second look at the counter detects.
         */
        if (n <= avail && n <= cap)
            memcpy(buf, content, n);
        atomic_thread_fence(memory_order_seq_cst);
        s2 = atomic_load_explicit(&h->seq, memory_order_relaxed);
        if (s1 != s2)
            continue;                       /* changed under us: try again */
        if (n > avail)
            return -IVSHARE_ECORRUPT;
        *len = n;
        if (n > cap)
            return -EMSGSIZE;
        return flags & PARTITION_FLAG_CLOSED ? PARTITION_CLOSED : 0;
    }
    return -EAGAIN;
}

void partition_shutdown(partition *p)
{
    if (!p->base)
        return;
    /* Keep the content that was last written: only the flags change. */
    partition_update(p, NULL, p->len, PARTITION_FLAG_CLOSED);
    p->base = NULL;
    p->size = 0;
}
