/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-hostile-server.c: the core library's doorbell client
 * (ivshare_doorbell_join, and ringing and waiting after it) against a fake
 * ivshared that misbehaves over time, which the fuzz target cannot show:
 * it says nothing, it floods peer notices without end, it floods
 * descriptors.  Every call must return within a bounded time and hold a
 * bounded number of descriptors.  Each case runs in a child process, so
 * that a call that never returns is seen, not waited for.
 */
#include <errno.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "format.h"

#include <glib.h>

#define VECTORS 2
/* Generous bounds: the client waits at most 5 s for one message of the welcome. */
#define JOIN_LIMIT_S 12
#define RING_LIMIT_S 5

typedef enum {
    SILENT,                   /* accepts, says nothing, keeps the connection */
    NOTICES_IN_WELCOME,       /* version, ID, region, then peer notices without end */
    NOTICES_AFTER_WELCOME,    /* a whole welcome, then peer notices without end */
    DESCRIPTOR_FLOOD,         /* a whole welcome, then joins of every peer, over and over */
} behaviour;

typedef struct {
    const char *name;
    behaviour what;
    int join;                 /* what ivshare_doorbell_join must return */
    const char *bug;          /* a known defect: see test-malformed.c */
} scase;

static const scase cases[] = {
    { "silent", SILENT, -ETIMEDOUT },
    { "notices-in-welcome", NOTICES_IN_WELCOME, -EPROTO,
      .bug = "ivshare_doorbell_join() reads peer notices during the welcome without bound: a server "
             "that never sends our own eventfds keeps it forever (src/core/doorbell-host.c, welcome())" },
    { "notices-after-welcome", NOTICES_AFTER_WELCOME, 0 },
    { "descriptor-flood", DESCRIPTOR_FLOOD, 0 },
};

static char *runtime;
static uint8_t *mem;
static size_t mem_size;

static void
send_message(int sock, gint64 value, gboolean with_fd)
{
    guint64 le = GUINT64_TO_LE((guint64)value);
    struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    int fd = -1;

    if (with_fd) {
        struct cmsghdr *c;
        fd = eventfd(0, EFD_CLOEXEC);
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
        _exit(0); /* the client went away */
    if (fd >= 0)
        close(fd);
}

/* The fake server, in its own process: one client, then what @what says. */
static void
serve(int listen_fd, behaviour what)
{
    int sock = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (sock < 0)
        _exit(1);
    if (what == SILENT) {
        pause();
        _exit(0);
    }
    send_message(sock, 0, FALSE);
    send_message(sock, 1, FALSE);
    send_message(sock, -1, TRUE);
    if (what != NOTICES_IN_WELCOME)
        for (int v = 0; v < VECTORS; v++)
            send_message(sock, 1, TRUE);
    for (guint64 i = 0;; i++) {
        if (what == DESCRIPTOR_FLOOD) {
            send_message(sock, (gint64)(i % IVSHARE_PEER_SLOTS), TRUE);
            if (i % 64 == 0)
                g_usleep(100);
        } else {
            /* peer 5 leaves, as fast as the socket takes it */
            send_message(sock, 5, FALSE);
        }
    }
}

static guint
count_fds(void)
{
    g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
    guint n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

/* The client, in its own process: exits 0 when every bound held. */
static void
client(const scase *c)
{
    ivshare_region *r = NULL;
    ivshare_app *app = NULL;
    guint before;
    gint64 start;
    int rc;

    if (ivshare_app_register("hostile", &app) != 0 || ivshare_mem_open(mem, mem_size, &r) != 0)
        _exit(10);
    before = count_fds();
    start = g_get_monotonic_time();
    rc = ivshare_doorbell_join(r, app);
    if (rc != c->join) {
        g_printerr("join returned %d, expected %d\n", rc, c->join);
        _exit(11);
    }
    g_printerr("join returned after %.1f s\n", (g_get_monotonic_time() - start) / 1e6);
    if (rc == 0) {
        for (int i = 0; i < 100; i++) {
            rc = ivshare_doorbell_ring(r, (unsigned)(i % IVSHARE_PEER_SLOTS), (unsigned)(i % VECTORS));
            if (rc != 0 && rc != -ENOENT)
                _exit(12);
            (void)ivshare_doorbell_wait(r, 0, 0);
        }
        /* 64 peers of 2 vectors, our own 2, the socket, and a few the test has */
        if (count_fds() > before + IVSHARE_PEER_SLOTS * VECTORS + VECTORS + 1) {
            g_printerr("%u descriptors held, %u before joining\n", count_fds(), before);
            _exit(13);
        }
    }
    ivshare_close(r);
    _exit(count_fds() == before ? 0 : 14);
}

static void
run_case(gconstpointer data)
{
    const scase *c = data;
    g_autofree char *sock_path = g_build_filename(runtime, "bell.sock", NULL);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    gint64 limit = (c->join == 0 ? JOIN_LIMIT_S + RING_LIMIT_S : JOIN_LIMIT_S) * G_USEC_PER_SEC;
    gint64 start = g_get_monotonic_time();
    pid_t server, cl;
    int status = 0;
    gboolean done = FALSE;

    unlink(sock_path);
    g_strlcpy(addr.sun_path, sock_path, sizeof(addr.sun_path));
    g_assert_cmpint(bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(listen(listen_fd, 1), ==, 0);
    if ((server = fork()) == 0)
        serve(listen_fd, c->what);
    close(listen_fd);
    if ((cl = fork()) == 0)
        client(c);

    while (!done && g_get_monotonic_time() - start < limit) {
        pid_t got = waitpid(cl, &status, WNOHANG);
        g_assert_cmpint(got, >=, 0);
        done = got == cl;
        if (!done)
            g_usleep(10000);
    }
    if (!done) {
        kill(cl, SIGKILL);
        waitpid(cl, &status, 0);
    }
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    g_test_message("%s: the client %s after %.1f s", c->name, done ? "finished" : "was stuck, killed",
                   (g_get_monotonic_time() - start) / 1e6);
    if (c->bug && !done) {
        g_test_incomplete(c->bug);
        return;
    }
    g_assert_true(done);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}

int
main(int argc, char **argv)
{
    ivshare_layout_object o = { .name = "z", .type = IVSHARE_OBJECT_MEMZONE, .size = 64 };
    ivshare_layout l = { .name = "bell", .objects = &o, .n_objects = 1,
                         .flags = IVSHARE_REGION_DOORBELL, .vectors = VECTORS, .generation = 1 };
    g_autoptr(GError) error = NULL;
    int rc;

    g_test_init(&argc, &argv, NULL);
    runtime = g_dir_make_tmp("ivshare-hostile-XXXXXX", &error);
    g_assert_no_error(error);
    g_setenv("IVSHARE_RUNTIME_DIR", runtime, TRUE);
    g_assert_cmpint(ivshare_layout_compute(&l), ==, 0);
    mem_size = l.used_size;
    mem = g_aligned_alloc0(1, mem_size, 64);
    g_assert_cmpint(ivshare_region_format(mem, mem_size, &l), ==, 0);
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/reliability/hostile-server/%s", cases[i].name);
        g_test_add_data_func(path, &cases[i], run_case);
    }
    rc = g_test_run();
    {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", runtime);
        (void)!system(cmd);
    }
    return rc;
}
