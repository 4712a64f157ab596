/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-server.c: the doorbell server against QEMU's protocol
 * (docs/specs/ivshmem-spec): every message sequence on connect, join and
 * leave; the peer table; clients that send data, never read, or come and
 * go ten thousand times; running out of file descriptors.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fixture.h"
#include "server.h"

#define VECTORS 2

static const char region_xml[] =
    "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>"
    "<ivshare:region name='bell' host-app='pktgen' backing='shm' doorbell='yes' vectors='2'>"
    "<ivshare:memzone name='z' size='4K'/></ivshare:region></ivshare:shared-memory>";

typedef struct {
    test_env_fixture env;
    ivshared_server *server;
} fixture;

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
    f->server = ivshared_server_new(f->env.conf, "bell", path, &error);
    g_assert_no_error(error);
}

static void
fixture_teardown(fixture *f, gconstpointer data)
{
    ivshared_server_free(f->server);
    test_fixture_teardown(&f->env);
}

static int
client_connect(fixture *f)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_strlcpy(addr.sun_path, f->server->sock_path, sizeof(addr.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    /* let the server accept */
    while (g_main_context_iteration(NULL, FALSE))
        ;
    return fd;
}

/* Receive one message, running the server meanwhile: TRUE, or FALSE on EOF. */
static gboolean
client_recv(int sock, gint64 *value, int *fd)
{
    for (int spins = 0; spins < 10000; spins++) {
        struct pollfd p = { .fd = sock, .events = POLLIN };
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

        while (g_main_context_iteration(NULL, FALSE))
            ;
        if (poll(&p, 1, 1) <= 0)
            continue;
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
        if (n == 0 || (n < 0 && errno == ECONNRESET))
            return FALSE; /* the server closed the connection */
        g_assert_cmpint(n, ==, sizeof(le));
        *value = (gint64)GUINT64_FROM_LE(le);
        *fd = -1;
        c = CMSG_FIRSTHDR(&msg);
        if (c && c->cmsg_type == SCM_RIGHTS)
            memcpy(fd, CMSG_DATA(c), sizeof(int));
        return TRUE;
    }
    g_error("no message from the server");
}

/* Expect @value, with a descriptor or without. */
static int
expect(int sock, gint64 value, gboolean with_fd)
{
    gint64 v;
    int fd;

    g_assert_true(client_recv(sock, &v, &fd));
    g_assert_cmpint(v, ==, value);
    if (with_fd)
        g_assert_cmpint(fd, >=, 0);
    else
        g_assert_cmpint(fd, ==, -1);
    return fd;
}

/* The server runs in this thread: once its sources are idle, it has sent all. */
static gboolean
nothing_pending(int sock)
{
    struct pollfd p = { .fd = sock, .events = POLLIN };

    while (g_main_context_iteration(NULL, FALSE))
        ;
    return poll(&p, 1, 0) == 0;
}

/* The welcome of a client with ID @id when the peers @others are there. */
static void
expect_welcome(int sock, gint64 id, const gint64 *others, int n_others, int *own_fds)
{
    expect(sock, 0, FALSE);
    expect(sock, id, FALSE);
    close(expect(sock, -1, TRUE));
    for (int i = 0; i < n_others; i++)
        for (int v = 0; v < VECTORS; v++)
            close(expect(sock, others[i], TRUE));
    for (int v = 0; v < VECTORS; v++) {
        int fd = expect(sock, id, TRUE);
        if (own_fds)
            own_fds[v] = fd;
        else
            close(fd);
    }
}

static void
test_sequences(fixture *f, gconstpointer data)
{
    const gint64 zero[] = { 0 };
    const gint64 zero_one[] = { 0, 1 };
    int a, b, c;

    a = client_connect(f);
    expect_welcome(a, 0, NULL, 0, NULL);
    g_assert_true(nothing_pending(a));

    b = client_connect(f);
    expect_welcome(b, 1, zero, 1, NULL);
    for (int v = 0; v < VECTORS; v++)
        close(expect(a, 1, TRUE)); /* a learns of b, one fd per vector */
    g_assert_true(nothing_pending(a));

    c = client_connect(f);
    expect_welcome(c, 2, zero_one, 2, NULL);
    for (int v = 0; v < VECTORS; v++) {
        close(expect(a, 2, TRUE));
        close(expect(b, 2, TRUE));
    }

    /* b leaves: the others get its ID alone */
    close(b);
    expect(a, 1, FALSE);
    expect(c, 1, FALSE);
    g_assert_true(nothing_pending(a));
    g_assert_cmpuint(ivshared_server_peers(f->server), ==, 2);

    /* the lowest free ID is reused */
    b = client_connect(f);
    {
        const gint64 others[] = { 0, 2 };
        expect_welcome(b, 1, others, 2, NULL);
    }
    close(a);
    close(b);
    close(c);
}

static void
test_eventfds_connect(fixture *f, gconstpointer data)
{
    int a_own[VECTORS], a = client_connect(f), b;
    int b_to_a[VECTORS];
    guint64 one = 1, got = 0;

    expect_welcome(a, 0, NULL, 0, a_own);
    b = client_connect(f);
    /* b's copy of a's vector fds: ringing them wakes a's own fds */
    expect(b, 0, FALSE);
    expect(b, 1, FALSE);
    close(expect(b, -1, TRUE));
    for (int v = 0; v < VECTORS; v++)
        b_to_a[v] = expect(b, 0, TRUE);
    g_assert_cmpint(write(b_to_a[1], &one, sizeof(one)), ==, sizeof(one));
    g_assert_cmpint(read(a_own[1], &got, sizeof(got)), ==, sizeof(got));
    g_assert_cmpuint(got, ==, 1);
    for (int v = 0; v < VECTORS; v++) {
        close(a_own[v]);
        close(b_to_a[v]);
    }
    close(a);
    close(b);
}

static void
test_peer_table(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_region) r = NULL;
    unsigned peer = 99;
    ivshare_app *app = NULL;
    int a;

    g_assert_cmpint(ivshare_app_register("pktgen", &app), ==, 0);
    a = client_connect(f);
    expect_welcome(a, 0, NULL, 0, NULL);
    g_assert_cmpint(ivshare_host_open("bell", &r), ==, 0);
    /* this process registered as pktgen, so the server named peer 0 so */
    g_assert_cmpint(ivshare_peer_lookup(r, "pktgen", &peer), ==, 0);
    g_assert_cmpuint(peer, ==, 0);
    g_assert_cmpint(ivshare_peer_lookup(r, "nobody", &peer), ==, -ENOENT);
    /* when the peer leaves, its entry is cleared */
    close(a);
    for (int i = 0; i < 100 && ivshared_server_peers(f->server) > 0; i++)
        g_main_context_iteration(NULL, FALSE);
    g_assert_cmpint(ivshare_peer_lookup(r, "pktgen", &peer), ==, -ENOENT);
    ivshare_app_unregister(app);
}

static void
test_client_sends_data(fixture *f, gconstpointer data)
{
    int a = client_connect(f), b = client_connect(f);
    gint64 v;
    int fd;

    expect_welcome(a, 0, NULL, 0, NULL);
    g_assert_cmpint(write(b, "hello", 5), ==, 5);
    /* b is dropped: its stream ends after whatever was queued */
    while (client_recv(b, &v, &fd))
        if (fd >= 0)
            close(fd);
    for (int i = 0; i < VECTORS; i++)
        close(expect(a, 1, TRUE));
    expect(a, 1, FALSE);
    g_assert_cmpuint(ivshared_server_peers(f->server), ==, 1);
    close(a);
    close(b);
}

static guint
count_fds(void)
{
    return test_dir_count("/proc/self/fd");
}

/* Heap in use, as malloc counts it. */
static gsize
heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks;
}

static void
test_churn(fixture *f, gconstpointer data)
{
    int a = client_connect(f);
    guint before, after;
    gsize heap_before, heap_after;

    expect_welcome(a, 0, NULL, 0, NULL);
    /* one cycle first, so that lazily allocated state is there already */
    close(client_connect(f));
    while (g_main_context_iteration(NULL, FALSE))
        ;
    for (int v = 0; v < VECTORS; v++)
        close(expect(a, 1, TRUE));
    expect(a, 1, FALSE);
    before = count_fds();
    heap_before = heap_in_use();
    for (int i = 0; i < 10000; i++) {
        int b = client_connect(f);
        close(b);
        while (g_main_context_iteration(NULL, FALSE))
            ;
        /* a hears of each join and leave */
        for (int v = 0; v < VECTORS; v++)
            close(expect(a, 1, TRUE));
        expect(a, 1, FALSE);
    }
    after = count_fds();
    heap_after = heap_in_use();
    g_test_message("descriptors before %u, after 10000 connect/disconnect cycles %u; heap %zu -> %zu bytes",
                   before, after, heap_before, heap_after);
    g_assert_cmpuint(after, ==, before);
    /* no per-client leak: 10,000 cycles leaking even 8 bytes would show */
    g_assert_cmpuint(heap_after, <=, heap_before + 16 * 1024);
    g_assert_cmpuint(ivshared_server_peers(f->server), ==, 1);
    close(a);
}

static void
drain(int sock)
{
    gint64 v;
    int fd;

    while (!nothing_pending(sock) && client_recv(sock, &v, &fd))
        if (fd >= 0)
            close(fd);
}

static void
test_never_reads(fixture *f, gconstpointer data)
{
    int lazy = client_connect(f), a = client_connect(f), b, i;

    /* lazy never reads; every join and leave queues messages for it */
    drain(a);
    for (i = 0; i < 20000 && ivshared_server_peers(f->server) == 2; i++) {
        b = client_connect(f);
        close(b);
        while (g_main_context_iteration(NULL, FALSE))
            ;
        drain(a);
    }
    g_test_message("the client that never reads was dropped after %d cycles", i);
    g_assert_cmpuint(ivshared_server_peers(f->server), ==, 1);
    /* the reader is still served */
    b = client_connect(f);
    drain(a);
    g_assert_cmpuint(ivshared_server_peers(f->server), ==, 2);
    close(b);
    close(a);
    close(lazy);
}

static void
test_emfile(fixture *f, gconstpointer data)
{
    struct rlimit old, low;
    g_autoptr(GArray) hog = g_array_new(FALSE, FALSE, sizeof(int));
    int a, b, fd;

    g_assert_cmpint(getrlimit(RLIMIT_NOFILE, &old), ==, 0);
    a = client_connect(f);
    expect_welcome(a, 0, NULL, 0, NULL);
    /* use up every descriptor but a few */
    low = old;
    low.rlim_cur = count_fds() + 8;
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &low), ==, 0);
    while ((fd = dup(0)) >= 0)
        g_array_append_val(hog, fd);
    /* a client now can only be dropped; the server goes on */
    g_test_expect_message("ivshared", G_LOG_LEVEL_WARNING, "*out of file descriptors; dropping a new client*");
    {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        close(g_array_index(hog, int, hog->len - 1));
        g_array_set_size(hog, hog->len - 1);
        b = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        g_assert_cmpint(b, >=, 0);
        g_strlcpy(addr.sun_path, f->server->sock_path, sizeof(addr.sun_path));
        g_assert_cmpint(connect(b, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
        for (int i = 0; i < 10; i++)
            g_main_context_iteration(NULL, FALSE);
    }
    g_test_assert_expected_messages();
    for (guint i = 0; i < hog->len; i++)
        close(g_array_index(hog, int, i));
    g_assert_cmpint(setrlimit(RLIMIT_NOFILE, &old), ==, 0);
    {
        gint64 v;
        int got;
        g_assert_false(client_recv(b, &v, &got)); /* dropped: end of stream */
    }
    close(b);
    /* and serves the next client normally */
    b = client_connect(f);
    expect_welcome(b, 1, (const gint64[]){ 0 }, 1, NULL);
    close(a);
    close(b);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/server/sequences", test_sequences);
    ADD("/server/eventfds", test_eventfds_connect);
    ADD("/server/peer-table", test_peer_table);
    ADD("/server/client-sends-data", test_client_sends_data);
    ADD("/server/churn", test_churn);
    ADD("/server/never-reads", test_never_reads);
    ADD("/server/emfile", test_emfile);
#undef ADD
    return g_test_run();
}
