/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * doorbell-host.c: a host application as a doorbell peer of a region.
 *
 * ivshared serves each doorbell region at RUNTIME/REGION.sock with QEMU's
 * ivshmem protocol: one little-endian int64 per message, some with one file
 * descriptor.  Joining reads, in order: the version (0), our peer ID, -1
 * with the region file, ID+eventfd per vector of every other peer, then our
 * own ID with our own eventfds.  Afterwards the server announces peers that
 * join (ID with an eventfd per vector) and leave (ID alone); those are read
 * whenever we ring or wait.  The server is trusted no more than the region:
 * IDs are bounded, extra descriptors are closed.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core.h"

/* How long joining waits for each message of the welcome. */
#define IVSHARE_JOIN_TIMEOUT_MS 5000

struct ivshare_doorbell {
    int sock;
    unsigned vectors;                           /* of this region */
    int own[IVSHARE_MAX_VECTORS];               /* we are rung through these */
    unsigned n_own;
    int peers[IVSHARE_PEER_SLOTS][IVSHARE_MAX_VECTORS]; /* we ring through these */
    unsigned n_peer[IVSHARE_PEER_SLOTS];        /* descriptors received per peer */
    /* rings already taken from the counters whose eventfd write may still
     * come: an eventfd count up to this much wakes nobody */
    uint64_t debt[IVSHARE_MAX_VECTORS];
};

static void close_peer(struct ivshare_doorbell *db, unsigned id)
{
    for (unsigned v = 0; v < db->n_peer[id]; v++)
        close(db->peers[id][v]);
    db->n_peer[id] = 0;
}

void ivshare_doorbell_close(ivshare_region *r)
{
    struct ivshare_doorbell *db = r->db;

    if (!db)
        return;
    for (unsigned id = 0; id < IVSHARE_PEER_SLOTS; id++)
        close_peer(db, id);
    for (unsigned v = 0; v < db->n_own; v++)
        close(db->own[v]);
    close(db->sock);
    free(db);
    r->db = NULL;
}

/*
 * One message: 0 with *value and *fd (-1 if none), -EAGAIN when nothing is
 * there (non-blocking), -EPIPE when the server closed, -EPROTO on garbage.
 */
static int recv_message(int sock, int64_t *value, int *fd, int timeout_ms)
{
    uint64_t le;
    struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
    struct pollfd p = { .fd = sock, .events = POLLIN };
    ssize_t n;

    if (timeout_ms != 0) {
        int ready = poll(&p, 1, timeout_ms);
        if (ready == 0)
            return -ETIMEDOUT;
        if (ready < 0)
            return errno == EINTR ? -EINTR : -EPIPE;
    }
    n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? -EAGAIN : -EPIPE;
    *fd = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int got;
            memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (*fd < 0)
                *fd = got;
            else
                close(got); /* one descriptor per message, at most */
        }
    }
    if (n == 0)
        return -EPIPE;
    if (n != sizeof(le) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        if (*fd >= 0)
            close(*fd);
        return -EPROTO;
    }
    *value = (int64_t)le64toh(le);
    return 0;
}

/* A peer notification after the welcome: join (with fd) or leave. */
static int handle_notice(struct ivshare_doorbell *db, int64_t id, int fd)
{
    if (id < 0 || id >= IVSHARE_PEER_SLOTS) {
        if (fd >= 0)
            close(fd);
        return -EPROTO;
    }
    if (fd < 0) {
        close_peer(db, (unsigned)id);
        return 0;
    }
    if (db->n_peer[id] >= db->vectors)
        close_peer(db, (unsigned)id); /* a new peer took a reused ID */
    db->peers[id][db->n_peer[id]++] = fd;
    return 0;
}

/* Read every pending notice; the connection stays usable only if clean. */
static void pump(struct ivshare_doorbell *db)
{
    int64_t value;
    int fd;

    while (db->sock >= 0 && recv_message(db->sock, &value, &fd, 0) == 0)
        if (handle_notice(db, value, fd) < 0)
            break;
}

static int connect_server(const char *region)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    char dir[PATH_MAX];
    int rc, sock;

    if ((rc = ivshare_runtime_dir(dir, sizeof(dir))) < 0)
        return rc;
    if (snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s.sock", dir, region) >=
        (int)sizeof(addr.sun_path))
        return -ENAMETOOLONG;
    sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return -errno;
    if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        rc = -errno;
        close(sock);
        return rc;
    }
    return sock;
}

/* The welcome: version, ID, region, the others' eventfds, then ours. */
static int welcome(struct ivshare_doorbell *db, int *self)
{
    /* the most a well-behaved server sends: 3 + every peer's vectors + ours */
    const unsigned steps = 3 + (IVSHARE_PEER_SLOTS + 1) * db->vectors;
    int64_t value, id = -1;
    int fd, rc;

    for (unsigned step = 0; ; step++) {
        if (step == steps)
            return -EPROTO; /* notices without end, and never our eventfds */
        do
            rc = recv_message(db->sock, &value, &fd, IVSHARE_JOIN_TIMEOUT_MS);
        while (rc == -EINTR);
        if (rc < 0)
            return rc == -EAGAIN ? -EPROTO : rc;
        if (step == 0 || step == 1) {
            /* version 0, then our ID: neither carries a descriptor */
            if (fd >= 0)
                close(fd);
            if (fd >= 0 || (step == 0 && value != 0) ||
                (step == 1 && (value < 0 || value >= IVSHARE_PEER_SLOTS)))
                return -EPROTO;
            id = value;
            continue;
        }
        if (step == 2) {
            /* -1 with the region file, which we have mapped already */
            if (fd >= 0)
                close(fd);
            if (value != -1 || fd < 0)
                return -EPROTO;
            continue;
        }
        if (value == id && fd >= 0) {
            if (db->n_own < db->vectors)
                db->own[db->n_own++] = fd;
            else
                close(fd);
            if (db->n_own == db->vectors)
                break;
        } else if ((rc = handle_notice(db, value, fd)) < 0) {
            return rc;
        }
    }
    *self = (int)id;
    return 0;
}

IVSHARE_EXPORT int ivshare_doorbell_join(ivshare_region *r, ivshare_app *app)
{
    struct ivshare_doorbell *db;
    int self = -1, rc;

    if (!r || !app)
        return -EINVAL;
    if (r->bar0 || !(r->hdr.flags & IVSHARE_REGION_DOORBELL))
        return -ENOTSUP; /* a guest's QEMU is the peer; plain regions have no bells */
    if (r->db)
        return -EALREADY;
    if (!(db = calloc(1, sizeof(*db))))
        return -ENOMEM;
    db->vectors = r->hdr.vectors == 0 ? 1 : r->hdr.vectors;
    if (db->vectors > IVSHARE_MAX_VECTORS) {
        free(db);
        return -IVSHARE_EBADREGION;
    }
    if ((db->sock = connect_server(r->hdr.name)) < 0) {
        rc = db->sock;
        free(db);
        return rc;
    }
    r->db = db;
    if ((rc = welcome(db, &self)) < 0) {
        ivshare_doorbell_close(r);
        return rc;
    }
    ivshare_doorbell_attach(r, self);
    return 0;
}

/* How long ringing waits for the server's notice of a peer it already sees. */
#define IVSHARE_NOTICE_TIMEOUT_MS 200

bool ivshare_doorbell_host_ring(ivshare_region *r, unsigned peer, unsigned vector, bool listed)
{
    struct ivshare_doorbell *db = r->db;
    uint64_t one = 1;

    if (!db || peer >= IVSHARE_PEER_SLOTS || vector >= db->vectors)
        return false;
    pump(db);
    /* the peer table may list a peer before the server's notice of it
     * reaches us: give the notice a moment */
    for (int waited = 0; listed && vector >= db->n_peer[peer] && waited < IVSHARE_NOTICE_TIMEOUT_MS;
         waited += 10) {
        int64_t value;
        int fd, rc = recv_message(db->sock, &value, &fd, 10);
        if (rc == 0 && handle_notice(db, value, fd) < 0)
            break;
        if (rc < 0 && rc != -ETIMEDOUT && rc != -EAGAIN)
            break;
    }
    if (vector >= db->n_peer[peer])
        return false;
    return write(db->peers[peer][vector], &one, sizeof(one)) == sizeof(one);
}

/* Read @vector's eventfd without waiting: the rings it counted, or 0. */
static uint64_t take_eventfd(struct ivshare_doorbell *db, unsigned vector)
{
    uint64_t count = 0;

    if (read(db->own[vector], &count, sizeof(count)) != sizeof(count))
        return 0;
    return count;
}

/* Absorb up to the debt of @vector from @count; what is left are new rings. */
static uint64_t pay_debt(struct ivshare_doorbell *db, unsigned vector, uint64_t count)
{
    uint64_t paid = count < db->debt[vector] ? count : db->debt[vector];

    db->debt[vector] -= paid;
    return count - paid;
}

int ivshare_doorbell_host_sleep(ivshare_region *r, unsigned vector, int timeout_ms)
{
    struct ivshare_doorbell *db = r->db;
    struct pollfd p[2];

    if (!db || vector >= db->n_own)
        return -ENOTSUP;
    p[0] = (struct pollfd){ .fd = db->own[vector], .events = POLLIN };
    p[1] = (struct pollfd){ .fd = db->sock, .events = POLLIN };
    if (poll(p, 2, timeout_ms) < 0)
        return errno == EINTR ? -EAGAIN : -errno;
    if (p[1].revents)
        pump(db);
    if (!(p[0].revents & POLLIN))
        return -ETIMEDOUT;
    /* the late eventfd of a ring already taken from the counters is no
     * new ring */
    return pay_debt(db, vector, take_eventfd(db, vector)) > 0 ? 0 : -EAGAIN;
}

void ivshare_doorbell_host_seen(ivshare_region *r, unsigned vector, uint32_t rings)
{
    struct ivshare_doorbell *db = r->db;

    if (!db || vector >= db->n_own)
        return;
    db->debt[vector] += rings;
    pay_debt(db, vector, take_eventfd(db, vector));
}
