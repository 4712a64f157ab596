/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-doorbell.c: fuzz target of the ivshmem doorbell protocol.
 *
 * The core library has no client decoder of its own yet
 * (ivshare_doorbell_join() is -ENOTSUP), so the protocol is fuzzed from
 * both ends over real sockets: an in-process ivshared server, and up to
 * four clients that connect, vanish, send bytes (with or without a file
 * descriptor), half-close and read, in the order the input says.  Every
 * message a client reads is decoded and checked against QEMU's protocol
 * (docs/specs/ivshmem-spec): version 0, own ID, -1 with the region file,
 * then peer IDs with eventfds (join) or alone (leave).  The peer table the
 * server publishes is read back through the core library.  At the end,
 * with every client gone, the server has no peer left and welcomes a new
 * one correctly.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fixture.h"
#include "fuzz.h"
#include "server.h"

#define CLIENTS 4

static const char region_xml[] =
    "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>"
    "<ivshare:region name='bell' host-app='pktgen' backing='shm' doorbell='yes' vectors='2'>"
    "<ivshare:memzone name='z' size='4K'/></ivshare:region></ivshare:shared-memory>";

typedef enum { WANT_VERSION, WANT_ID, WANT_SHM, STEADY, CLOSED } client_state;

typedef struct {
    int sock;
    client_state state;
    gint64 id;
} client;

static test_env_fixture env;
static ivshared_server *server;
static ivshare_region *region;
static char *own_name;

static void
setup(void)
{
    g_autoptr(ivshare_desc) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL;

    fuzz_quiet_logs();
    test_fixture_setup(&env, NULL);
    d = test_desc_xml(region_xml, "bell.xml");
    FUZZ_CHECK(ivshare_desc_build(d, env.conf, &error));
    path = ivshare_conf_region_path(env.conf, "bell", IVSHARE_BACKING_SHM);
    server = ivshared_server_new(env.conf, "bell", path, &error);
    FUZZ_CHECK(server != NULL);
    FUZZ_CHECK(ivshare_path_open(path, &region) == 0);
    own_name = g_strdup_printf("pid-%d", (int)getpid());
}

static void
run_server(void)
{
    for (int i = 0; i < 1000 && g_main_context_iteration(NULL, FALSE); i++)
        ;
}

static int
client_connect(void)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    FUZZ_CHECK(fd >= 0);
    g_strlcpy(addr.sun_path, server->sock_path, sizeof(addr.sun_path));
    FUZZ_CHECK(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
    run_server();
    return fd;
}

/* Check one message against the protocol, as a client decodes it. */
static void
decode(client *c, gint64 value, int fd)
{
    switch (c->state) {
    case WANT_VERSION:
        FUZZ_CHECK(value == 0 && fd < 0);
        c->state = WANT_ID;
        break;
    case WANT_ID:
        FUZZ_CHECK(value >= 0 && value < IVSHARE_PEER_SLOTS && fd < 0);
        c->id = value;
        c->state = WANT_SHM;
        break;
    case WANT_SHM:
        FUZZ_CHECK(value == -1 && fd >= 0);
        c->state = STEADY;
        break;
    case STEADY:
        /* a peer's eventfd (join), or a peer ID alone (leave) */
        FUZZ_CHECK(value >= 0 && value < IVSHARE_PEER_SLOTS);
        break;
    case CLOSED:
        FUZZ_CHECK(!"a message after the end of the stream");
    }
    if (fd >= 0)
        close(fd);
}

/* Read what is there; FALSE once the server closed the stream. */
static gboolean
client_read(client *c)
{
    for (;;) {
        guint64 le;
        struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
        union {
            char buf[CMSG_SPACE(sizeof(int) * 4)];
            struct cmsghdr align;
        } control;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *cm;
        int fd = -1, nfds = 0;
        ssize_t n = recvmsg(c->sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return TRUE;
        if (n <= 0) {
            c->state = CLOSED;
            return FALSE;
        }
        /* the server writes each 8-byte message whole */
        FUZZ_CHECK(n == sizeof(le));
        FUZZ_CHECK(!(msg.msg_flags & MSG_CTRUNC));
        for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
            FUZZ_CHECK(cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS);
            nfds += (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        }
        FUZZ_CHECK(nfds <= 1);
        decode(c, (gint64)GUINT64_FROM_LE(le), fd);
        run_server();
    }
}

static void
client_send(client *c, fuzz_reader *in)
{
    uint8_t bytes[16];
    size_t n = fuzz_u8(in) % sizeof(bytes) + 1;
    struct iovec iov = { .iov_base = bytes, .iov_len = n };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    int passed = -1;

    for (size_t i = 0; i < n; i++)
        bytes[i] = fuzz_u8(in);
    if (fuzz_u8(in) & 1) {
        /* a descriptor the server never asked for */
        struct cmsghdr *cm;
        passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
        FUZZ_CHECK(passed >= 0);
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &passed, sizeof(int));
    }
    (void)sendmsg(c->sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (passed >= 0)
        close(passed);
    run_server();
}

static void
client_close(client *c)
{
    if (c->sock >= 0)
        close(c->sock);
    c->sock = -1;
    run_server();
}

/* The peer table agrees with who is connected. */
static void
check_peer_table(const client *clients)
{
    unsigned peer = 0;
    int rc = ivshare_peer_lookup(region, own_name, &peer);
    gboolean any = ivshared_server_peers(server) > 0;

    FUZZ_CHECK(rc == 0 || rc == -ENOENT);
    FUZZ_CHECK((rc == 0) == any);
    if (rc == 0)
        FUZZ_CHECK(peer < IVSHARE_PEER_SLOTS && server->slots[peer] != NULL);
    for (int i = 0; i < CLIENTS; i++)
        if (clients[i].sock >= 0 && clients[i].state == STEADY)
            FUZZ_CHECK(ivshare_doorbell_ring(region, (unsigned)clients[i].id, 1) == 0 ||
                       server->slots[clients[i].id] == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader in = { .data = data, .size = size };
    client clients[CLIENTS];
    client fresh = { .state = WANT_VERSION };

    if (!server)
        setup();
    for (int i = 0; i < CLIENTS; i++)
        clients[i] = (client){ .sock = -1, .state = CLOSED };

    for (unsigned step = 0; step < 64 && !fuzz_done(&in); step++) {
        uint8_t op = fuzz_u8(&in);
        client *c = &clients[op >> 4 & (CLIENTS - 1)];

        switch (op % 6) {
        case 0:
            if (c->sock < 0)
                *c = (client){ .sock = client_connect(), .state = WANT_VERSION };
            break;
        case 1:
            client_close(c);
            break;
        case 2:
            if (c->sock >= 0)
                client_send(c, &in);
            break;
        case 3:
            if (c->sock >= 0) {
                shutdown(c->sock, SHUT_WR);
                run_server();
            }
            break;
        case 4:
            if (c->sock >= 0)
                client_read(c);
            break;
        default:
            close(client_connect()); /* connect and vanish */
            run_server();
            break;
        }
        FUZZ_CHECK(ivshared_server_peers(server) <= CLIENTS);
        check_peer_table(clients);
    }

    for (int i = 0; i < CLIENTS; i++)
        client_close(&clients[i]);
    for (int i = 0; i < 100 && ivshared_server_peers(server) > 0; i++)
        g_main_context_iteration(NULL, FALSE);
    FUZZ_CHECK(ivshared_server_peers(server) == 0);

    /* the server still welcomes a new client by the book */
    fresh.sock = client_connect();
    for (int i = 0; i < 100 && fresh.state != STEADY; i++) {
        FUZZ_CHECK(client_read(&fresh));
        if (fresh.state != STEADY)
            poll(&(struct pollfd){ .fd = fresh.sock, .events = POLLIN }, 1, 10);
    }
    FUZZ_CHECK(fresh.state == STEADY && fresh.id == 0);
    client_close(&fresh);
    for (int i = 0; i < 100 && ivshared_server_peers(server) > 0; i++)
        g_main_context_iteration(NULL, FALSE);
    return 0;
}
