/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-lifecycle.c: the daemon's watch over host applications and the
 * on-host-app-exit policy, in-process against libvirt's test driver (whose
 * default connection has one running domain, "test").  The real flow with
 * libvirtd and QEMU is in tests/e2e.
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "daemon.h"

#define REGION_XML(policy) \
    "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>" \
    "<ivshare:region name='fastpath' host-app='pktgen' backing='shm' " policy ">" \
    "<ivshare:memzone name='z' size='4K'/></ivshare:region></ivshare:shared-memory>"

typedef struct {
    test_env_fixture env;
    ivshared d;
} fixture;

static void
fixture_setup(fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    test_fixture_setup(&f->env, NULL);
    f->d.conf = f->env.conf;
    f->d.lifecycle_cb = f->d.metadata_cb = -1;
    f->d.uri = g_strdup("test:///default");
    ivshared_events_start(&f->d);
    g_assert_nonnull(f->d.conn);
    g_assert_true(ivshared_apps_start(&f->d, &error));
    g_assert_no_error(error);
}

static void
fixture_teardown(fixture *f, gconstpointer data)
{
    ivshared_apps_stop(&f->d);
    ivshared_policy_stop(&f->d);
    ivshared_events_stop(&f->d);
    g_free(f->d.uri);
    test_fixture_teardown(&f->env);
}

/* A child process registered as host application @app, until killed. */
static pid_t
spawn_app(const char *app)
{
    int ready[2];
    char byte;
    pid_t pid;

    g_assert_cmpint(pipe(ready), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        ivshare_app *a;
        if (ivshare_app_register(app, &a) < 0)
            _exit(1);
        (void)!write(ready[1], "x", 1);
        for (;;)
            pause();
    }
    close(ready[1]);
    g_assert_cmpint(read(ready[0], &byte, 1), ==, 1);
    close(ready[0]);
    return pid;
}

static int
domain_active(fixture *f, const char *name)
{
    g_autoptr(virDomain) dom = virDomainLookupByName(f->d.conn, name);
    return dom ? virDomainIsActive(dom) : -1;
}

static void
iterate(void)
{
    if (!g_main_context_iteration(NULL, FALSE))
        g_usleep(1000);
}

/* Run the main loop until @name's state is @active, for up to @ms. */
static gint64
wait_active(fixture *f, const char *name, int active, int ms)
{
    gint64 start = g_get_monotonic_time();

    while (domain_active(f, name) != active && g_get_monotonic_time() - start < ms * 1000)
        iterate();
    return g_get_monotonic_time() - start;
}

static void
run_for(int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;

    while (g_get_monotonic_time() < end)
        iterate();
}

static void
use_region(fixture *f, const char *xml, const char *domain)
{
    g_autoptr(ivshare_desc) d = test_desc_xml(xml, "test.xml");
    g_autoptr(GError) error = NULL;

    g_assert_true(ivshare_desc_build(d, f->env.conf, &error));
    g_assert_no_error(error);
    g_assert_true(ivshare_region_user_add("fastpath", domain, f->env.conf, &error));
}

static void
test_kill_destroys(fixture *f, gconstpointer data)
{
    pid_t app = spawn_app("pktgen");
    gint64 took;
    int status;

    use_region(f, REGION_XML(""), "test");
    ivshared_apps_rescan(&f->d);
    g_assert_nonnull(g_hash_table_lookup(f->d.apps, "pktgen"));
    g_assert_cmpint(domain_active(f, "test"), ==, 1);

    kill(app, SIGKILL);
    waitpid(app, &status, 0);
    took = wait_active(f, "test", 0, 2000);
    g_test_message("domain stopped %.1f ms after the host application was killed", took / 1000.0);
    g_assert_cmpint(domain_active(f, "test"), ==, 0);
    g_assert_null(g_hash_table_lookup(f->d.apps, "pktgen"));
}

static void
test_other_app_untouched(fixture *f, gconstpointer data)
{
    pid_t other = spawn_app("other");
    int status;

    use_region(f, REGION_XML(""), "test");
    ivshared_apps_rescan(&f->d);
    kill(other, SIGKILL);
    waitpid(other, &status, 0);
    run_for(300);
    g_assert_cmpint(domain_active(f, "test"), ==, 1);
}

static void
test_unregister_counts(fixture *f, gconstpointer data)
{
    g_autofree char *reg = NULL;
    pid_t app = spawn_app("pktgen");
    int status;

    use_region(f, REGION_XML(""), "test");
    ivshared_apps_rescan(&f->d);
    /* the registration disappears while the process lives on */
    reg = g_build_filename(f->env.conf->runtime_dir, "apps", "pktgen", NULL);
    g_assert_cmpint(unlink(reg), ==, 0);
    wait_active(f, "test", 0, 2500);
    g_assert_cmpint(domain_active(f, "test"), ==, 0);
    kill(app, SIGKILL);
    waitpid(app, &status, 0);
}

static void
test_unused_region_removed(fixture *f, gconstpointer data)
{
    g_autofree char *path = ivshare_conf_region_path(f->env.conf, "fastpath", IVSHARE_BACKING_SHM);
    pid_t app = spawn_app("pktgen");
    int status;

    use_region(f, REGION_XML(""), "test");
    ivshare_region_user_remove("fastpath", "test", f->env.conf);
    ivshared_apps_rescan(&f->d);
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    kill(app, SIGKILL);
    waitpid(app, &status, 0);
    for (int i = 0; i < 2000 && g_file_test(path, G_FILE_TEST_EXISTS); i++)
        iterate();
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_assert_cmpint(domain_active(f, "test"), ==, 1);
}

static void
test_sweep_dead_app(fixture *f, gconstpointer data)
{
    /* an application that died while the daemon was away */
    use_region(f, REGION_XML(""), "test");
    g_assert_cmpint(domain_active(f, "test"), ==, 1);
    ivshared_policy_sweep(&f->d);
    wait_active(f, "test", 0, 2000); /* destroys run in worker threads */
    g_assert_cmpint(domain_active(f, "test"), ==, 0);
}

static void
test_shutdown_policy(fixture *f, gconstpointer data)
{
    pid_t app = spawn_app("pktgen");
    int status;

    use_region(f, REGION_XML("on-host-app-exit='shutdown' shutdown-timeout='1'"), "test");
    ivshared_apps_rescan(&f->d);
    kill(app, SIGKILL);
    waitpid(app, &status, 0);
    /* the test driver shuts a domain down at once; the pending destroy
     * then finds nothing to do */
    wait_active(f, "test", 0, 2000);
    g_assert_cmpint(domain_active(f, "test"), ==, 0);
    g_assert_true(g_hash_table_contains(f->d.shutdowns, "test"));
    run_for(2500); /* let the timeout fire (whole seconds, so up to 2 s) */
    g_assert_false(g_hash_table_contains(f->d.shutdowns, "test"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (virEventRegisterDefaultImpl() < 0)
        g_error("cannot register libvirt's event loop");
#define ADD(name, fn) g_test_add(name, fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/lifecycle/kill-destroys", test_kill_destroys);
    ADD("/lifecycle/other-app-untouched", test_other_app_untouched);
    ADD("/lifecycle/unregister-counts", test_unregister_counts);
    ADD("/lifecycle/unused-region-removed", test_unused_region_removed);
    ADD("/lifecycle/sweep-dead-app", test_sweep_dead_app);
    ADD("/lifecycle/shutdown-policy", test_shutdown_policy);
#undef ADD
    return g_test_run();
}
