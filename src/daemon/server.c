/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * server.c: ivshmem-doorbell servers, one per doorbell region, at
 * RUNTIME/REGION.sock, speaking QEMU's protocol (docs/specs/ivshmem-spec):
 * every message is one little-endian int64, some with one descriptor.
 *
 * On connect a client gets: 0 (version), its peer ID, -1 with the region
 * file; then ID+eventfd for each vector of every other peer; then its own
 * ID with its own eventfds.  The others get the newcomer's ID+eventfds;
 * when a peer leaves, they get its ID alone.
 *
 * Unlike QEMU's example server: sockets are non-blocking and each client's
 * queue is bounded (a client that does not read is dropped, nobody else
 * waits for it); running out of descriptors drops the one new client; peer
 * IDs are bounded by the region's peer table, which records who each peer
 * is (domain or host application) for ivshare_peer_lookup().
 */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime.h"
#include "server.h"

#define QUEUE_MAX (4 * IVSHARE_PEER_SLOTS * IVSHARE_MAX_VECTORS)

typedef struct {
    gint64 value;
    int fd;                   /* -1: none; owned */
} message;

struct ivshared_peer {
    ivshared_server *server;
    unsigned id;
    int sock;
    unsigned vectors;
    int eventfds[IVSHARE_MAX_VECTORS];
    GQueue queue;             /* message*, to send */
    guint in_id;
    guint out_id;
    char name[IVSHARE_NAME_LEN];
    enum ivshare_peer_kind kind;
};

static void peer_drop(ivshared_peer *p, const char *why);

static void
message_free(message *m)
{
    if (m->fd >= 0)
        close(m->fd);
    g_free(m);
}

/* Write what the socket takes; FALSE when the peer must go. */
static gboolean
peer_flush(ivshared_peer *p)
{
    message *m;

    while ((m = g_queue_peek_head(&p->queue))) {
        guint64 le = GUINT64_TO_LE((guint64)m->value);
        struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;

        if (m->fd >= 0) {
            struct cmsghdr *c;
            memset(&control, 0, sizeof(control));
            msg.msg_control = control.buf;
            msg.msg_controllen = sizeof(control.buf);
            c = CMSG_FIRSTHDR(&msg);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &m->fd, sizeof(int));
        }
        n = sendmsg(p->sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return TRUE;
        if (n != sizeof(le))
            return FALSE;
        message_free(g_queue_pop_head(&p->queue));
    }
    return TRUE;
}

static gboolean
on_peer_writable(int fd, GIOCondition cond, gpointer data)
{
    ivshared_peer *p = data;

    if (!peer_flush(p)) {
        p->out_id = 0;
        peer_drop(p, "its socket failed");
        return G_SOURCE_REMOVE;
    }
    if (g_queue_is_empty(&p->queue)) {
        p->out_id = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* Queue one message (a copy of @fd rides along); FALSE if the peer must go. */
static gboolean
peer_send(ivshared_peer *p, gint64 value, int fd)
{
    message *m;

    if (g_queue_get_length(&p->queue) >= QUEUE_MAX)
        return FALSE;
    m = g_new(message, 1);
    m->value = value;
    m->fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (fd >= 0 && m->fd < 0) {
        g_free(m);
        return FALSE;
    }
    g_queue_push_tail(&p->queue, m);
    if (!p->out_id)
        p->out_id = g_unix_fd_add(p->sock, G_IO_OUT, on_peer_writable, p);
    return TRUE;
}

/* Write the peer's identity into the region's peer table. */
static void
peer_table_write(ivshared_server *s, unsigned id, enum ivshare_peer_kind kind,
                 const char *name, unsigned vectors)
{
    struct ivshare_peer *e;
    _Atomic uint32_t *seq;
    uint32_t v;

    if (!s->peers || id >= s->n_peers)
        return;
    e = &s->peers[id];
    seq = (_Atomic uint32_t *)&e->seq;
    v = atomic_load_explicit(seq, memory_order_relaxed);
    atomic_store_explicit(seq, v | 1, memory_order_relaxed);   /* odd: writing */
    atomic_thread_fence(memory_order_release);
    e->id = id;
    e->kind = kind;
    e->vectors = vectors;
    memset(e->name, 0, sizeof(e->name));
    if (name)
        g_strlcpy(e->name, name, sizeof(e->name));
    atomic_store_explicit(seq, (v | 1) + 1, memory_order_release); /* even: stable */
}

static void
peer_free(ivshared_peer *p)
{
    if (p->in_id)
        g_source_remove(p->in_id);
    if (p->out_id)
        g_source_remove(p->out_id);
    g_queue_clear_full(&p->queue, (GDestroyNotify)message_free);
    for (unsigned v = 0; v < p->vectors; v++)
        if (p->eventfds[v] >= 0)
            close(p->eventfds[v]);
    if (p->sock >= 0)
        close(p->sock);
    g_free(p);
}

static void
peer_drop(ivshared_peer *p, const char *why)
{
    ivshared_server *s = p->server;
    unsigned id = p->id;
    g_autoptr(GPtrArray) failed = g_ptr_array_new();

    g_message("region '%s': peer %u (%s) leaves: %s", s->region, id, p->name, why);
    s->slots[id] = NULL;
    peer_table_write(s, id, IVSHARE_PEER_FREE, NULL, 0);
    peer_free(p);
    for (unsigned i = 0; i < IVSHARE_PEER_SLOTS; i++)
        if (s->slots[i] && !peer_send(s->slots[i], id, -1))
            g_ptr_array_add(failed, s->slots[i]);
    for (guint i = 0; i < failed->len; i++)
        peer_drop(g_ptr_array_index(failed, i), "it does not read its messages");
}

static gboolean
on_peer_readable(int fd, GIOCondition cond, gpointer data)
{
    ivshared_peer *p = data;
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    p->in_id = 0;
    /* the protocol is one-way: any data is a protocol error */
    peer_drop(p, n == 0 || (cond & G_IO_HUP) ? "disconnected" : "it sent data, which the protocol does not allow");
    return G_SOURCE_REMOVE;
}

/* Who is at the other end: a QEMU of a domain, or a host application. */
static void
identify(ivshared_server *s, int sock, enum ivshare_peer_kind *kind, char *name, gsize len)
{
    struct ucred cred;
    socklen_t clen = sizeof(cred);

    g_snprintf(name, len, "unknown");
    *kind = IVSHARE_PEER_DOMAIN;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
        return;
    g_snprintf(name, len, "pid-%d", (int)cred.pid);
    if (ivshare_pid_host_app(s->conf, cred.pid, name, len)) {
        *kind = IVSHARE_PEER_HOST_APP;
        return;
    }
    ivshare_pid_qemu_domain(cred.pid, name, len);
}

static gboolean
peer_welcome(ivshared_peer *p)
{
    ivshared_server *s = p->server;
    g_autoptr(GPtrArray) failed = g_ptr_array_new();

    if (!peer_send(p, 0, -1) || !peer_send(p, p->id, -1) || !peer_send(p, -1, s->shm_fd))
        return FALSE;
    for (unsigned i = 0; i < IVSHARE_PEER_SLOTS; i++) {
        ivshared_peer *o = s->slots[i];
        gboolean ok = TRUE;
        if (!o || o == p)
            continue;
        for (unsigned v = 0; v < p->vectors && ok; v++)
            ok = peer_send(o, p->id, p->eventfds[v]);
        if (!ok)
            g_ptr_array_add(failed, o);
        for (unsigned v = 0; v < o->vectors; v++)
            if (!peer_send(p, o->id, o->eventfds[v]))
                return FALSE;
    }
    for (unsigned v = 0; v < p->vectors; v++)
        if (!peer_send(p, p->id, p->eventfds[v]))
            return FALSE;
    for (guint i = 0; i < failed->len; i++)
        peer_drop(g_ptr_array_index(failed, i), "it does not read its messages");
    return TRUE;
}

static void
accept_peer(ivshared_server *s, int sock)
{
    ivshared_peer *p;
    unsigned id;

    for (id = 0; id < IVSHARE_PEER_SLOTS && s->slots[id]; id++)
        ;
    if (id == IVSHARE_PEER_SLOTS) {
        g_warning("region '%s': all %u peer IDs are taken; refusing a new client",
                  s->region, IVSHARE_PEER_SLOTS);
        close(sock);
        return;
    }
    p = g_new0(ivshared_peer, 1);
    p->server = s;
    p->id = id;
    p->sock = sock;
    p->vectors = s->vectors;
    for (unsigned v = 0; v < IVSHARE_MAX_VECTORS; v++)
        p->eventfds[v] = -1;
    for (unsigned v = 0; v < p->vectors; v++) {
        if ((p->eventfds[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
            g_warning("region '%s': cannot create an eventfd for a new client: %s",
                      s->region, g_strerror(errno));
            peer_free(p);
            return;
        }
    }
    identify(s, sock, &p->kind, p->name, sizeof(p->name));
    s->slots[id] = p;
    p->in_id = g_unix_fd_add(sock, G_IO_IN | G_IO_HUP | G_IO_ERR, on_peer_readable, p);
    peer_table_write(s, id, p->kind, p->name, p->vectors);
    g_message("region '%s': peer %u is %s '%s'", s->region, id,
              p->kind == IVSHARE_PEER_HOST_APP ? "host application" : "domain", p->name);
    if (!peer_welcome(p))
        peer_drop(p, "its queue overflowed during the welcome");
}

static gboolean
on_listen(int fd, GIOCondition cond, gpointer data)
{
    ivshared_server *s = data;
    int sock = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (sock >= 0) {
        accept_peer(s, sock);
    } else if (errno == EMFILE || errno == ENFILE) {
        /* out of descriptors: use the spare one to take the client off
         * the backlog and close it, so the loop does not spin */
        g_warning("region '%s': out of file descriptors; dropping a new client", s->region);
        close(s->spare_fd);
        sock = accept(fd, NULL, NULL);
        if (sock >= 0)
            close(sock);
        s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    return G_SOURCE_CONTINUE;
}

static int
listen_at(const char *path, uid_t uid, gid_t gid, GError **error)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    g_autofree char *tmp = g_strconcat(path, ".new", NULL);
    int fd;

    if (strlen(path) + 5 >= sizeof(addr.sun_path)) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("socket path '%s' is too long"), path);
        return -1;
    }
    g_strlcpy(addr.sun_path, tmp, sizeof(addr.sun_path));
    unlink(tmp);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        chmod(tmp, 0660) < 0 || (geteuid() == 0 && chown(tmp, uid, gid) < 0) ||
        listen(fd, 64) < 0 || rename(tmp, path) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot listen on '%s': %s"), path, g_strerror(err));
        unlink(tmp);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Map the region and find its peer table, validated like any reader would. */
static gboolean
map_region(ivshared_server *s, GError **error)
{
    struct ivshare_header h;
    struct stat st;

    if ((s->shm_fd = open(s->path, O_RDWR | O_CLOEXEC)) < 0 || fstat(s->shm_fd, &st) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot open region file '%s': %s"), s->path, g_strerror(err));
        return FALSE;
    }
    s->ino = st.st_ino;
    s->map_size = st.st_size;
    s->map = mmap(NULL, s->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, s->shm_fd, 0);
    if (s->map == MAP_FAILED) {
        int err = errno;
        s->map = NULL;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot map region file '%s': %s"), s->path, g_strerror(err));
        return FALSE;
    }
    if (s->map_size < sizeof(h)) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("region file '%s' is too small"), s->path);
        return FALSE;
    }
    memcpy(&h, s->map, sizeof(h));
    s->vectors = MIN(MAX(h.vectors, 1u), IVSHARE_MAX_VECTORS);
    if (h.peer_count > 0 && h.peer_offset % 8 == 0 &&
        (guint64)h.peer_offset + (guint64)h.peer_count * sizeof(struct ivshare_peer) <= MIN(h.header_size, s->map_size)) {
        s->peers = (struct ivshare_peer *)(s->map + h.peer_offset);
        s->n_peers = MIN(h.peer_count, IVSHARE_PEER_SLOTS);
    }
    for (unsigned i = 0; i < s->n_peers; i++)
        peer_table_write(s, i, IVSHARE_PEER_FREE, NULL, 0);
    return TRUE;
}

void
ivshared_server_free(ivshared_server *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < IVSHARE_PEER_SLOTS; i++)
        if (s->slots[i])
            peer_free(s->slots[i]);
    if (s->listen_id)
        g_source_remove(s->listen_id);
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        unlink(s->sock_path);
    }
    if (s->map)
        munmap(s->map, s->map_size);
    if (s->shm_fd >= 0)
        close(s->shm_fd);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    g_free(s->region);
    g_free(s->path);
    g_free(s->sock_path);
    g_free(s);
}

ivshared_server *
ivshared_server_new(const ivshare_conf *conf, const char *region, const char *path, GError **error)
{
    g_autoptr(ivshared_server) s = g_new0(ivshared_server, 1);
    g_autofree char *sock_name = g_strconcat(region, ".sock", NULL);
    uid_t uid = 0;
    gid_t gid = 0;

    s->conf = conf;
    s->listen_fd = s->shm_fd = s->spare_fd = -1;
    s->region = g_strdup(region);
    s->path = g_strdup(path);
    s->sock_path = g_build_filename(conf->runtime_dir, sock_name, NULL);
    if (!map_region(s, error))
        return NULL;
    if (geteuid() == 0 && !ivshare_conf_qemu_ids(conf, &uid, &gid, error))
        return NULL;
    if ((s->listen_fd = listen_at(s->sock_path, uid, gid, error)) < 0)
        return NULL;
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    s->listen_id = g_unix_fd_add(s->listen_fd, G_IO_IN, on_listen, s);
    g_message("region '%s': serving doorbells on %s (%u vectors)", region, s->sock_path, s->vectors);
    return g_steal_pointer(&s);
}

unsigned
ivshared_server_peers(const ivshared_server *s)
{
    unsigned n = 0;

    for (unsigned i = 0; i < IVSHARE_PEER_SLOTS; i++)
        n += s->slots[i] != NULL;
    return n;
}

/* The daemon's set of servers follows the doorbell regions' records. */
static void
sync_servers(ivshared *d)
{
    g_auto(GStrv) regions = ivshare_region_list(d->conf);
    g_autoptr(GHashTable) wanted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GHashTableIter iter;
    const char *name;
    ivshared_server *s;

    for (char **r = regions; *r; r++) {
        g_autoptr(GKeyFile) rec = ivshare_region_record(*r, d->conf);
        if (rec && g_key_file_get_boolean(rec, "region", "doorbell", NULL))
            g_hash_table_insert(wanted, g_strdup(*r), g_key_file_get_string(rec, "region", "path", NULL));
    }
    /* servers whose region is gone, or was rebuilt while nobody was connected */
    g_hash_table_iter_init(&iter, d->servers);
    while (g_hash_table_iter_next(&iter, (gpointer *)&name, (gpointer *)&s)) {
        const char *path = g_hash_table_lookup(wanted, name);
        struct stat st;
        if (!path || (ivshared_server_peers(s) == 0 && (stat(path, &st) < 0 || st.st_ino != s->ino)))
            g_hash_table_iter_remove(&iter);
    }
    g_hash_table_iter_init(&iter, wanted);
    while (g_hash_table_iter_next(&iter, (gpointer *)&name, NULL)) {
        g_autoptr(GError) error = NULL;
        if (g_hash_table_contains(d->servers, name))
            continue;
        if (!(s = ivshared_server_new(d->conf, name, g_hash_table_lookup(wanted, name), &error)))
            g_warning("region '%s': %s", name, error->message);
        else
            g_hash_table_insert(d->servers, g_strdup(name), s);
    }
}

gboolean
ivshared_servers_start(ivshared *d, GError **error)
{
    d->servers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)ivshared_server_free);
    if (!(d->regions_monitor = ivshared_watch_dir(d, "regions", G_CALLBACK(sync_servers), error)))
        return FALSE;
    sync_servers(d);
    return TRUE;
}

void
ivshared_servers_stop(ivshared *d)
{
    g_clear_object(&d->regions_monitor);
    g_clear_pointer(&d->servers, g_hash_table_unref);
}
