/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* partition.h: the partitioned model over an ivshare region (example code, not the library). */
#ifndef IVSHARE_EXAMPLE_PARTITION_H
#define IVSHARE_EXAMPLE_PARTITION_H

/*
 * Earlier inter-VM shared-memory APIs gave every VM one partition of a
 * shared area: each VM writes only its own partition and reads the others'.
 * This helper builds that model from memzones: the region (partitioned.xml)
 * holds one memzone per VM, named after its domain.
 *
 * A partition starts with a small header:
 *
 *   offset 0   u32 seq    seqlock counter: odd while the owner writes,
 *                         0 until the first write
 *   offset 4   u32 len    bytes of content
 *   offset 8   u32 flags  PARTITION_FLAG_CLOSED once the owner shut down
 *   offset 64  content, up to the memzone's size
 *
 * Readers copy the content between two reads of seq and keep the copy only
 * if seq was even and unchanged, so they never see half an update.  Another
 * VM's partition is hostile input: its length is checked against the
 * memzone, and a partition that never holds still long enough costs a
 * bounded number of retries, never a hang.
 */

#include <stddef.h>
#include <stdint.h>

#include <ivshare/ivshare.h>

#define PARTITION_HEADER_SIZE 64u
#define PARTITION_FLAG_CLOSED 1u

/* partition_read(): the owner has shut its partition down (content is its last). */
#define PARTITION_CLOSED 1

/* Attempts of partition_read() to find a partition between two updates. */
#define PARTITION_READ_TRIES 256u

typedef struct {
    ivshare_region *region;
    char self[IVSHARE_NAME_MAX + 1];
    uint8_t *base;           /* own memzone */
    size_t size;
    uint32_t seq;            /* own counter and length, kept here: */
    uint32_t len;            /* never read back from shared memory */
} partition;

/*
 * Take the partition of @self_name (the memzone of that name) in @region,
 * which stays owned by the caller.  -ENOENT: no such memzone; -ENOSPC: too
 * small for the header.
 */
int partition_init(partition *p, ivshare_region *region, const char *self_name);

/* Bytes of content one's own partition can hold. */
size_t partition_capacity(const partition *p);

/* Replace the content of one's own partition: 0, -EMSGSIZE, -EPIPE after shutdown. */
int partition_write(partition *p, const void *data, size_t len);

/*
 * Copy the content of another partition into @buf: @who is a domain name
 * (the memzone of that name), or "#N" for doorbell peer N, whose name the
 * region's peer table gives (ivshare_peer_get_info()).
 *
 * 0, or PARTITION_CLOSED when its owner has shut it down; -ENOENT: no such
 * partition or peer; -ENODATA: never written yet; -EAGAIN: it changed
 * during every attempt (or the peer table entry did); -EMSGSIZE: @cap is
 * too small (*len tells how much is needed); -IVSHARE_ECORRUPT: the header
 * is impossible.
 */
int partition_read(partition *p, const char *who, void *buf, size_t cap, size_t *len);

/* Mark one's own partition closed (its content stays readable) and let it go. */
void partition_shutdown(partition *p);

#endif /* IVSHARE_EXAMPLE_PARTITION_H */
