/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* doorbell.c: the peer table and doorbell registers of a region. */
#include <errno.h>
#include <string.h>

#include "core.h"

/* Reads of one peer entry before it counts as unstable. */
#define IVSHARE_PEER_READ_ATTEMPTS 64u
/* Offset of the Doorbell register in BAR0 (QEMU docs/specs/ivshmem-spec). */
#define IVSHARE_BAR0_DOORBELL 12u

/*
 * Copy peer entry @i consistently: the writer makes seq odd, writes the
 * entry, then makes seq even again.  0, or -EAGAIN if it kept changing.
 */
static int ivshare_peer_read(const ivshare_region *r, unsigned i, struct ivshare_peer *out)
{
    const uint8_t *e = r->base + r->hdr.peer_offset + (size_t)i * sizeof(*out);
    _Atomic uint32_t *seqp = (_Atomic uint32_t *)(e + offsetof(struct ivshare_peer, seq));

    for (unsigned attempt = 0; attempt < IVSHARE_PEER_READ_ATTEMPTS; attempt++) {
        uint32_t s1 = atomic_load_explicit(seqp, memory_order_acquire);
        if (s1 & 1u)
            continue;
        memcpy(out, e, sizeof(*out));
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(seqp, memory_order_relaxed) == s1)
            return 0;
    }
    return -EAGAIN;
}

IVSHARE_EXPORT int ivshare_peer_lookup(ivshare_region *r, const char *name, unsigned *peer)
{
    bool unstable = false;

    if (!r || !name || !peer)
        return -EINVAL;
    for (unsigned i = 0; i < r->hdr.peer_count; i++) {
        struct ivshare_peer e;

        if (ivshare_peer_read(r, i, &e) < 0) {
            unstable = true;
            continue;
        }
        if (e.kind != IVSHARE_PEER_DOMAIN && e.kind != IVSHARE_PEER_HOST_APP)
            continue;
        if (e.id > UINT16_MAX || !ivshare_name_valid(e.name, sizeof(e.name)))
            continue;
        if (strcmp(e.name, name) == 0) {
            *peer = e.id;
            return 0;
        }
    }
    return unstable ? -EAGAIN : -ENOENT;
}

IVSHARE_EXPORT int ivshare_doorbell_join(ivshare_region *r, ivshare_app *app)
{
    return -ENOTSUP;
}

IVSHARE_EXPORT int ivshare_doorbell_ring(ivshare_region *r, unsigned peer, unsigned vector)
{
    if (!r)
        return -EINVAL;
    if (!r->bar0 || r->bar0_size < IVSHARE_BAR0_DOORBELL + 4)
        return -ENOTSUP;
    if (peer > UINT16_MAX || vector > UINT16_MAX ||
        (r->hdr.vectors != 0 && vector >= r->hdr.vectors))
        return -EINVAL;
    *(volatile uint32_t *)(r->bar0 + IVSHARE_BAR0_DOORBELL) = (peer << 16) | vector;
    return 0;
}

IVSHARE_EXPORT int ivshare_doorbell_wait(ivshare_region *r, unsigned vector, int timeout_ms)
{
    return -ENOTSUP;
}
