/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * doorbell.c: figure 7, doorbell wake-up: two host applications joined to
 * a region's doorbells (a doorbell server from ivshared runs in a third
 * process) ring each other in turn; the round trip beside the same
 * ping-pong over two bare eventfds.
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "server.h"

#define REGION "bench-bell"

static gboolean
quit(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

/* The server process: serve the region until SIGTERM. */
static void
serve(const ivshare_conf *conf, const char *path, int ready)
{
    ivshared_server *s = ivshared_server_new(conf, REGION, path, NULL);
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);

    if (!s)
        _exit(1);
    g_unix_signal_add(SIGTERM, quit, loop);
    (void)!write(ready, "x", 1);
    close(ready);
    g_main_loop_run(loop);
    ivshared_server_free(s);
    _exit(0);
}

static ivshare_region *
join(ivshare_app *app)
{
    ivshare_region *r = NULL;

    if (ivshare_host_open(REGION, &r) < 0)
        return NULL;
    if (ivshare_doorbell_join(r, app) < 0) {
        ivshare_close(r);
        return NULL;
    }
    return r;
}

/* The peer ID of @name in the peer table, waiting for ivshared to write it. */
static int
find_peer(ivshare_region *r, const char *name, unsigned *peer)
{
    for (int i = 0; i < 500; i++) {
        if (ivshare_peer_lookup(r, name, peer) == 0)
            return 0;
        g_usleep(1000);
    }
    return -ENOENT;
}

/* The pong process: answer @count rings of vector 0 on vector 1 of the ping side. */
static void
pong(ivshare_app *app, uint64_t count, int ready)
{
    ivshare_region *r = join(app);
    unsigned ping;

    /* the registered application is the ping side; this child is "pid-N" */
    if (r && find_peer(r, "bench-bell", &ping) < 0)
        g_clear_pointer(&r, ivshare_close);
    (void)!write(ready, r ? "x" : "-", 1);
    close(ready);
    if (!r)
        _exit(1);
    for (uint64_t i = 0; i < count; i++)
        if (ivshare_doorbell_wait(r, 0, 5000) < 0 || ivshare_doorbell_ring(r, ping, 1) < 0)
            _exit(1);
    ivshare_close(r);
    _exit(0);
}

static double
round_trips_p50(ivshare_app *app, uint64_t count)
{
    g_autofree double *rt = g_new0(double, count);
    ivshare_region *r = join(app);
    int ready[2], status;
    double p50 = NAN;
    char byte = '-';
    pid_t pid;

    if (!r || pipe(ready) < 0)
        return NAN;
    if ((pid = fork()) == 0) {
        close(ready[0]);
        pong(app, count, ready[1]);
    }
    close(ready[1]);
    if (pid > 0 && read(ready[0], &byte, 1) == 1 && byte == 'x') {
        g_autofree char *name = g_strdup_printf("pid-%d", (int)pid);
        unsigned peer;
        uint64_t i = 0;
        if (find_peer(r, name, &peer) < 0)
            count = 0;
        for (i = 0; i < count; i++) {
            uint64_t t0 = bench_now_ns();
            if (ivshare_doorbell_ring(r, peer, 0) < 0 || ivshare_doorbell_wait(r, 1, 5000) < 0)
                break;
            rt[i] = (double)(bench_now_ns() - t0);
        }
        if (count && i == count)
            p50 = bench_median(rt, (unsigned)count);
    }
    close(ready[0]);
    if (pid > 0)
        waitpid(pid, &status, 0);
    ivshare_close(r);
    return p50;
}

void
bench_figures_doorbell(bench_env *env, bench_results *res, bench_result *r)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("ivshare-bench-bell-XXXXXX", &error);
    g_autofree char *conf_path = dir ? g_build_filename(dir, "ivshare.conf", NULL) : NULL;
    g_autofree char *text = NULL;
    g_autofree char *path = NULL;
    g_autoptr(ivshare_conf) conf = NULL;
    g_autoptr(ivshare_desc) desc = NULL;
    static const char xml[] =
        "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>"
        "<ivshare:region name='" REGION "' host-app='bench-bell' backing='shm' doorbell='yes' vectors='2'>"
        "<ivshare:memzone name='z' size='4K'/></ivshare:region></ivshare:shared-memory>";
    uint64_t count = env->quick ? 2000 : 20000;
    ivshare_app *app = NULL;
    int ready[2] = { -1, -1 };
    pid_t server = -1;
    char byte;

    if (!dir)
        goto out;
    text = g_strdup_printf("[paths]\nshm-dir=%s/shm\nruntime-dir=%s/run\nhugepage-dir=%s/huge\n"
                           "domains-dir=%s/domains\nlink-dir=%s/links\n", dir, dir, dir, dir, dir);
    if (!g_file_set_contents(conf_path, text, -1, NULL))
        goto out;
    g_setenv("IVSHARE_CONF", conf_path, TRUE);
    g_setenv("IVSHARE_SCHEMA_DIR", BENCH_SCHEMA_DIR, FALSE);
    if (!(conf = ivshare_conf_load(conf_path, NULL)) ||
        !ivshare_desc_from_xml(xml, sizeof(xml) - 1, "bench", &desc, NULL) || !desc ||
        !ivshare_desc_build(desc, conf, NULL) || ivshare_app_register("bench-bell", &app) < 0 ||
        pipe(ready) < 0)
        goto out;
    path = ivshare_conf_region_path(conf, REGION, IVSHARE_BACKING_SHM);
    if ((server = fork()) == 0) {
        close(ready[0]);
        serve(conf, path, ready[1]);
    }
    close(ready[1]);
    ready[1] = -1;
    if (server < 0 || read(ready[0], &byte, 1) != 1)
        goto out;
    for (unsigned i = 0; i < env->runs && i < BENCH_MAX_RUNS; i++)
        r->runs[r->n_runs++] = round_trips_p50(app, count);
    r->value = bench_median(r->runs, r->n_runs);
    g_snprintf(r->note, sizeof(r->note), "two joined host applications (not pinned), round trip, %" G_GUINT64_FORMAT " per run",
               count);
 out:
    if (isnan(r->value))
        g_strlcpy(r->note, "n/a (cannot run a doorbell server here)", sizeof(r->note));
    if (server > 0) {
        int status;
        kill(server, SIGTERM);
        waitpid(server, &status, 0);
    }
    for (int i = 0; i < 2; i++)
        if (ready[i] >= 0)
            close(ready[i]);
    if (app)
        ivshare_app_unregister(app);
    if (dir)
        bench_remove_tree(dir);
    g_unsetenv("IVSHARE_CONF");
    (void)res;
}
