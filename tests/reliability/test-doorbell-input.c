/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-doorbell-input.c: clients that break the ivshmem doorbell protocol,
 * one table row each, against an in-process ivshared server: the exact
 * lines the server logs, the well-behaved client beside it still served
 * (it hears the other leave), a new client welcomed by the book, and no
 * descriptor kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fixture.h"
#include "server.h"

#define VECTORS 2

typedef enum {
    SEND_BYTE,
    SEND_MESSAGE,
    SEND_MEGABYTE,
    SEND_FD,
    HALF_CLOSE,
    CLOSE_AFTER_VERSION,
    VANISH_BEFORE_ACCEPT,
    WRONG_SOCKET_TYPE,
    TOO_MANY,
} behaviour;

typedef struct {
    const char *name;
    behaviour what;
    const char *log[4];       /* what the server logs, @P@ the client's name */
} dcase;

#define JOIN(id) "region 'bell': peer " #id " is domain '@P@'"
#define LEAVES(id, why) "region 'bell': peer " #id " (@P@) leaves: " why
#define SENT_DATA "it sent data, which the protocol does not allow"

static const dcase cases[] = {
    { "one-byte", SEND_BYTE, { JOIN(1), LEAVES(1, SENT_DATA) } },
    { "a-message", SEND_MESSAGE, { JOIN(1), LEAVES(1, SENT_DATA) } },
    { "a-megabyte", SEND_MEGABYTE, { JOIN(1), LEAVES(1, SENT_DATA) } },
    { "a-descriptor", SEND_FD, { JOIN(1), LEAVES(1, SENT_DATA) } },
    { "half-close", HALF_CLOSE, { JOIN(1), LEAVES(1, "disconnected") } },
    { "close-after-version", CLOSE_AFTER_VERSION, { JOIN(1), LEAVES(1, "disconnected") } },
    { "vanish-before-accept", VANISH_BEFORE_ACCEPT, { JOIN(1), LEAVES(1, "disconnected") } },
    { "datagram-socket", WRONG_SOCKET_TYPE, { NULL } },
    { "sixty-fifth-client", TOO_MANY, { "region 'bell': all 64 peer IDs are taken; refusing a new client" } },
};

static const char region_xml[] =
    "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>"
    "<ivshare:region name='bell' host-app='pktgen' backing='shm' doorbell='yes' vectors='2'>"
    "<ivshare:memzone name='z' size='4K'/></ivshare:region></ivshare:shared-memory>";

typedef struct {
    test_env_fixture env;
    ivshared_server *server;
    GPtrArray *log;
} fixture;

static void
capture(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
    g_ptr_array_add(data, g_strdup(message));
}

static void
fixture_setup(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_desc) d = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *path = NULL;

    test_fixture_setup(&f->env, NULL);
    d = test_desc_xml(region_xml, "bell.xml");
    g_assert_true(ivshare_desc_build(d, f->env.conf, &error));
    path = ivshare_conf_region_path(f->env.conf, "bell", IVSHARE_BACKING_SHM);
    f->log = g_ptr_array_new_with_free_func(g_free);
    g_log_set_handler("ivshared", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_INFO,
                      capture, f->log);
    f->server = ivshared_server_new(f->env.conf, "bell", path, &error);
    g_assert_no_error(error);
}

static void
fixture_teardown(fixture *f, gconstpointer data)
{
    ivshared_server_free(f->server);
    g_log_set_handler("ivshared", G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_WARNING | G_LOG_LEVEL_INFO,
                      g_log_default_handler, NULL);
    g_ptr_array_unref(f->log);
    test_fixture_teardown(&f->env);
}

static void
run_server(void)
{
    for (int i = 0; i < 10000 && g_main_context_iteration(NULL, FALSE); i++)
        ;
}

static int
raw_connect(fixture *f, int type)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(addr.sun_path, f->server->sock_path, sizeof(addr.sun_path));
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        g_assert_cmpint(errno, ==, EPROTOTYPE);
        close(fd);
        return -1;
    }
    return fd;
}

/* One message, the server running meanwhile: FALSE at the end of the stream. */
static gboolean
recv_message(int sock, gint64 *value, int *fd)
{
    for (int spins = 0; spins < 5000; spins++) {
        guint64 le;
        struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *c;
        ssize_t n;

        run_server();
        if (poll(&(struct pollfd){ .fd = sock, .events = POLLIN }, 1, 1) <= 0)
            continue;
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return FALSE;
        g_assert_cmpint(n, ==, sizeof(le));
        *value = (gint64)GUINT64_FROM_LE(le);
        *fd = -1;
        if ((c = CMSG_FIRSTHDR(&msg)) && c->cmsg_type == SCM_RIGHTS)
            memcpy(fd, CMSG_DATA(c), sizeof(int));
        return TRUE;
    }
    g_error("no message from the server");
}

static void
expect(int sock, gint64 value, gboolean with_fd)
{
    gint64 v;
    int fd;

    g_assert_true(recv_message(sock, &v, &fd));
    g_assert_cmpint(v, ==, value);
    g_assert_cmpint(fd >= 0, ==, with_fd);
    if (fd >= 0)
        close(fd);
}

/* The welcome of client @id when only peer 0 is there (or nobody, for 0). */
static void
expect_welcome(int sock, gint64 id)
{
    expect(sock, 0, FALSE);
    expect(sock, id, FALSE);
    expect(sock, -1, TRUE);
    if (id != 0)
        for (int v = 0; v < VECTORS; v++)
            expect(sock, 0, TRUE);
    for (int v = 0; v < VECTORS; v++)
        expect(sock, id, TRUE);
}

static guint
count_fds(void)
{
    return test_dir_count("/proc/self/fd");
}

static void
misbehave(fixture *f, behaviour what)
{
    static char megabyte[1 << 20];
    gint64 v;
    int fd, b = -1;

    switch (what) {
    case SEND_BYTE:
    case SEND_MESSAGE:
    case SEND_MEGABYTE:
        b = raw_connect(f, SOCK_STREAM);
        run_server();
        if (what == SEND_BYTE)
            g_assert_cmpint(write(b, "x", 1), ==, 1);
        else if (what == SEND_MESSAGE)
            g_assert_cmpint(write(b, "\0\0\0\0\0\0\0\0", 8), ==, 8);
        else
            (void)send(b, megabyte, sizeof(megabyte), MSG_DONTWAIT | MSG_NOSIGNAL);
        break;
    case SEND_FD: {
        int passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control = { 0 };
        struct iovec iov = { .iov_base = "x", .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

        b = raw_connect(f, SOCK_STREAM);
        run_server();
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &passed, sizeof(int));
        g_assert_cmpint(sendmsg(b, &msg, MSG_NOSIGNAL), ==, 1);
        close(passed);
        break;
    }
    case HALF_CLOSE:
        b = raw_connect(f, SOCK_STREAM);
        run_server();
        shutdown(b, SHUT_WR);
        break;
    case CLOSE_AFTER_VERSION:
        b = raw_connect(f, SOCK_STREAM);
        expect(b, 0, FALSE);
        close(b);
        b = -1;
        break;
    case VANISH_BEFORE_ACCEPT:
        close(raw_connect(f, SOCK_STREAM));
        break;
    case WRONG_SOCKET_TYPE:
        g_assert_cmpint(raw_connect(f, SOCK_DGRAM), ==, -1);
        g_assert_cmpint(raw_connect(f, SOCK_SEQPACKET), ==, -1);
        return;
    case TOO_MANY:
        return;
    }
    run_server();
    /* the one that misbehaved is dropped: its stream ends */
    if (b >= 0) {
        while (recv_message(b, &v, &fd))
            if (fd >= 0)
                close(fd);
        close(b);
    }
}

static void
run_case(fixture *f, gconstpointer data)
{
    const dcase *c = data;
    g_autofree char *me = g_strdup_printf("pid-%d", (int)getpid());
    g_autoptr(GArray) crowd = g_array_new(FALSE, FALSE, sizeof(int));
    guint before;
    guint n_log = 0;
    int a, fresh;

    a = raw_connect(f, SOCK_STREAM);
    expect_welcome(a, 0);
    before = count_fds();
    g_ptr_array_set_size(f->log, 0);

    if (c->what == TOO_MANY) {
        /* 63 more take every peer ID; a 65th is refused */
        for (unsigned i = 1; i < IVSHARE_PEER_SLOTS; i++) {
            int s = raw_connect(f, SOCK_STREAM);
            g_array_append_val(crowd, s);
            run_server();
        }
        g_assert_cmpuint(ivshared_server_peers(f->server), ==, IVSHARE_PEER_SLOTS);
        g_ptr_array_set_size(f->log, 0);
        fresh = raw_connect(f, SOCK_STREAM);
        run_server();
        g_assert_false(recv_message(fresh, &(gint64){ 0 }, &(int){ 0 }));
        close(fresh);
    } else {
        misbehave(f, c->what);
    }

    for (; n_log < G_N_ELEMENTS(c->log) && c->log[n_log]; n_log++) {
        g_autoptr(GString) want = g_string_new(c->log[n_log]);
        g_string_replace(want, "@P@", me, 0);
        g_assert_cmpuint(f->log->len, >, n_log);
        g_assert_cmpstr(g_ptr_array_index(f->log, n_log), ==, want->str);
    }
    g_assert_cmpuint(f->log->len, ==, n_log);

    if (c->what == TOO_MANY) {
        for (guint i = 0; i < crowd->len; i++)
            close(g_array_index(crowd, int, i));
        for (int i = 0; i < 100 && ivshared_server_peers(f->server) > 1; i++)
            run_server();
        /* a heard each of the 63 come (one eventfd per vector) and go */
        guint joins = 0, leaves = 0;
        while (joins + leaves < (IVSHARE_PEER_SLOTS - 1) * (VECTORS + 1)) {
            gint64 v;
            int fd;
            g_assert_true(recv_message(a, &v, &fd));
            g_assert_cmpint(v, >=, 1);
            g_assert_cmpint(v, <, IVSHARE_PEER_SLOTS);
            if (fd >= 0) {
                joins++;
                close(fd);
            } else {
                leaves++;
            }
        }
        g_assert_cmpuint(joins, ==, (IVSHARE_PEER_SLOTS - 1) * VECTORS);
        g_assert_cmpuint(leaves, ==, IVSHARE_PEER_SLOTS - 1);
    } else if (c->log[0]) {
        /* the well-behaved client heard the other come and go */
        for (int v = 0; v < VECTORS; v++)
            expect(a, 1, TRUE);
        expect(a, 1, FALSE);
    }
    g_assert_cmpuint(ivshared_server_peers(f->server), ==, 1);
    g_assert_cmpuint(count_fds(), ==, before);

    /* and a new client is welcomed by the book */
    fresh = raw_connect(f, SOCK_STREAM);
    expect_welcome(fresh, 1);
    close(fresh);
    close(a);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* the server's warnings are what some cases check, not failures */
    g_log_set_always_fatal(G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/reliability/doorbell-input/%s", cases[i].name);
        g_test_add(path, fixture, &cases[i], fixture_setup, run_case, fixture_teardown);
    }
    return g_test_run();
}
