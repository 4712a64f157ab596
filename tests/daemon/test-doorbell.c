/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-doorbell.c: host applications as doorbell peers (ivshare_doorbell_join,
 * _ring, _wait) through a doorbell server running in a child process.
 */
#include <fcntl.h>
#include <glib-unix.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "server.h"

static const char region_xml[] =
    "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>"
    "<ivshare:region name='bell' host-app='pktgen' backing='shm' doorbell='yes' vectors='2'>"
    "<ivshare:memzone name='z' size='4K'/></ivshare:region>"
    "<ivshare:region name='plain' host-app='pktgen' backing='shm'>"
    "<ivshare:memzone name='z' size='4K'/></ivshare:region></ivshare:shared-memory>";

typedef struct {
    test_env_fixture env;
    pid_t server;
    ivshare_app *app;
} fixture;

static gboolean
quit(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

/* The child: serve region 'bell' until SIGTERM; says so on @ready. */
static void
serve(test_env_fixture *env, int ready)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *path = ivshare_conf_region_path(env->conf, "bell", IVSHARE_BACKING_SHM);
    ivshared_server *s = ivshared_server_new(env->conf, "bell", path, &error);
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);

    if (!s)
        _exit(1);
    g_unix_signal_add(SIGTERM, quit, loop);
    (void)!write(ready, "x", 1);
    close(ready);
    g_main_loop_run(loop);
    ivshared_server_free(s); /* removes the socket */
    _exit(0);
}

static void
fixture_setup(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_desc) d = NULL;
    g_autoptr(GError) error = NULL;
    int ready[2];
    char byte;

    test_fixture_setup(&f->env, NULL);
    d = test_desc_xml(region_xml, "bell.xml");
    g_assert_true(ivshare_desc_build(d, f->env.conf, &error));
    g_assert_cmpint(ivshare_app_register("pktgen", &f->app), ==, 0);
    g_assert_cmpint(pipe(ready), ==, 0);
    f->server = fork();
    g_assert_cmpint(f->server, >=, 0);
    if (f->server == 0) {
        close(ready[0]);
        serve(&f->env, ready[1]);
    }
    close(ready[1]);
    g_assert_cmpint(read(ready[0], &byte, 1), ==, 1);
    close(ready[0]);
}

static void
fixture_teardown(fixture *f, gconstpointer data)
{
    int status;

    if (f->server > 0) {
        kill(f->server, SIGTERM);
        g_assert_cmpint(waitpid(f->server, &status, 0), ==, f->server);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    ivshare_app_unregister(f->app);
    test_fixture_teardown(&f->env);
}

static ivshare_region *
joined(fixture *f)
{
    ivshare_region *r = NULL;

    g_assert_cmpint(ivshare_host_open("bell", &r), ==, 0);
    g_assert_cmpint(ivshare_doorbell_join(r, f->app), ==, 0);
    return r;
}

static void
test_ping_pong(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_region) a = joined(f);
    g_autoptr(ivshare_region) b = joined(f);
    unsigned peer_a, rung_b = 0, rung_a = 0;
    gint64 start;

    /* both are this process, registered as pktgen: the first is peer 0 */
    g_assert_cmpint(ivshare_peer_lookup(a, "pktgen", &peer_a), ==, 0);
    g_assert_cmpuint(peer_a, ==, 0);
    g_assert_cmpint(ivshare_doorbell_wait(b, 0, 0), ==, -ETIMEDOUT);
    {
        ivshare_peer_info p;
        for (unsigned i = 0; i < 2; i++) {
            g_assert_cmpint(ivshare_peer_get_info(a, i, &p), ==, 0);
            g_assert_cmpuint(p.id, ==, i);
            g_assert_cmpstr(p.name, ==, "pktgen");
            g_assert_true(p.host_app);
            g_assert_cmpuint(p.vectors, ==, 2);
        }
        g_assert_cmpint(ivshare_peer_get_info(a, 2, &p), ==, -ENOENT);
        g_assert_cmpint(ivshare_peer_get_info(a, IVSHARE_PEER_SLOTS, &p), ==, -ERANGE);
    }

    start = g_get_monotonic_time();
    for (int i = 0; i < 1000; i++) {
        g_assert_cmpint(ivshare_doorbell_ring(a, 1, 0), ==, 0);
        g_assert_cmpint(ivshare_doorbell_wait(b, 0, 2000), ==, 0);
        rung_b++;
        g_assert_cmpint(ivshare_doorbell_ring(b, 0, 1), ==, 0);
        g_assert_cmpint(ivshare_doorbell_wait(a, 1, 2000), ==, 0);
        rung_a++;
    }
    g_test_message("1000 round trips in %.1f ms", (g_get_monotonic_time() - start) / 1000.0);
    g_assert_cmpuint(rung_a, ==, 1000);
    g_assert_cmpuint(rung_b, ==, 1000);
    /* nothing left over: each ring was seen exactly once */
    g_assert_cmpint(ivshare_doorbell_wait(a, 1, 10), ==, -ETIMEDOUT);
    g_assert_cmpint(ivshare_doorbell_wait(b, 0, 10), ==, -ETIMEDOUT);
}

/* Peer @id's counter of @vector, through a mapping of our own. */
static _Atomic uint32_t *
bell_counter(fixture *f, unsigned id, unsigned vector, void **map, gsize *len)
{
    g_autofree char *path = ivshare_conf_region_path(f->env.conf, "bell", IVSHARE_BACKING_SHM);
    struct ivshare_header h;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fstat(fd, &st), ==, 0);
    *len = st.st_size;
    *map = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    g_assert_true(*map != MAP_FAILED);
    memcpy(&h, *map, sizeof(h));
    return (_Atomic uint32_t *)((char *)*map + h.peer_offset + id * sizeof(struct ivshare_peer) +
                                offsetof(struct ivshare_peer, bells) + vector * sizeof(uint32_t));
}

static void
test_eventfd_wakes(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_region) a = joined(f);
    g_autoptr(ivshare_region) b = joined(f);
    _Atomic uint32_t *bell;
    uint32_t before;
    void *map;
    gsize len;

    /* a ring that reaches b through its eventfd alone, as a QEMU guest's
     * BAR0 write does: undo the counter the library bumped */
    bell = bell_counter(f, 1, 0, &map, &len);
    before = atomic_load(bell);
    g_assert_cmpint(ivshare_doorbell_ring(a, 1, 0), ==, 0);
    g_assert_cmpuint(atomic_load(bell), ==, before + 1);
    atomic_store(bell, before);
    g_assert_cmpint(ivshare_doorbell_wait(b, 0, 2000), ==, 0);
    /* and it counted once */
    g_assert_cmpint(ivshare_doorbell_wait(b, 0, 0), ==, -ETIMEDOUT);
    munmap(map, len);
}

static void
test_leave_and_rejoin(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_region) a = joined(f);
    ivshare_region *b = joined(f);

    ivshare_close(b);
    /* once a hears that peer 1 left, ringing it reaches nobody */
    for (int i = 0; i < 100 && ivshare_doorbell_ring(a, 1, 0) == 0; i++)
        g_usleep(10 * 1000);
    g_assert_cmpint(ivshare_doorbell_ring(a, 1, 0), ==, -ENOENT);
    /* a newcomer takes ID 1 again and is rung */
    b = joined(f);
    for (int i = 0; i < 100 && ivshare_doorbell_ring(a, 1, 1) != 0; i++)
        g_usleep(10 * 1000);
    g_assert_cmpint(ivshare_doorbell_wait(b, 1, 2000), ==, 0);
    ivshare_close(b);
}

static void
test_refusals(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_region) plain = NULL;
    g_autoptr(ivshare_region) a = joined(f);

    g_assert_cmpint(ivshare_doorbell_join(a, f->app), ==, -EALREADY);
    g_assert_cmpint(ivshare_doorbell_join(a, NULL), ==, -EINVAL);
    g_assert_cmpint(ivshare_host_open("plain", &plain), ==, 0);
    g_assert_cmpint(ivshare_doorbell_join(plain, f->app), ==, -ENOTSUP);
    g_assert_cmpint(ivshare_doorbell_wait(plain, 0, 0), ==, -ENOTSUP);
    g_assert_cmpint(ivshare_doorbell_ring(a, 7, 0), ==, -ENOENT);
    g_assert_cmpint(ivshare_doorbell_ring(a, 0, 2), ==, -EINVAL);
}

static void
test_no_server(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_region) r = NULL;
    int status;

    kill(f->server, SIGTERM);
    g_assert_cmpint(waitpid(f->server, &status, 0), ==, f->server);
    f->server = -1;
    g_assert_cmpint(ivshare_host_open("bell", &r), ==, 0);
    g_assert_cmpint(ivshare_doorbell_join(r, f->app), ==, -ENOENT);
    g_assert_cmpstr(ivshare_strerror(-ENOENT), ==, "No such file or directory");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/doorbell/ping-pong", test_ping_pong);
    ADD("/doorbell/eventfd-wakes", test_eventfd_wakes);
    ADD("/doorbell/leave-and-rejoin", test_leave_and_rejoin);
    ADD("/doorbell/refusals", test_refusals);
    ADD("/doorbell/no-server", test_no_server);
#undef ADD
    return g_test_run();
}
