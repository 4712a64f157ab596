/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-app.c: host application registration and liveness probes. */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

typedef struct {
    char *root;
    char *runtime;
} fixture;

static void fixture_setup(fixture *f, gconstpointer data)
{
    f->root = g_dir_make_tmp("ivshare-app-XXXXXX", NULL);
    g_assert_nonnull(f->root);
    /* does not exist yet: registration creates it */
    f->runtime = g_build_filename(f->root, "run", NULL);
    g_setenv("IVSHARE_RUNTIME_DIR", f->runtime, TRUE);
}

static void fixture_teardown(fixture *f, gconstpointer data)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->root);

    g_assert_cmpint(system(cmd), ==, 0);
    g_unsetenv("IVSHARE_RUNTIME_DIR");
    g_free(f->runtime);
    g_free(f->root);
}

static void test_register(fixture *f, gconstpointer data)
{
    g_autofree char *file = g_build_filename(f->runtime, "apps", "pktgen", NULL);
    g_autofree char *text = NULL;
    ivshare_app *a = NULL, *b = NULL;
    int pid = 0;

    g_assert_cmpint(ivshare_app_probe("pktgen", &pid), ==, 0);
    g_assert_cmpint(ivshare_app_register("pktgen", &a), ==, 0);
    g_assert_nonnull(a);
    g_assert_cmpint(ivshare_app_probe("pktgen", &pid), ==, 1);
    g_assert_cmpint(pid, ==, getpid());
    g_assert_cmpint(ivshare_app_probe("pktgen", NULL), ==, 1);
    g_assert_true(g_file_get_contents(file, &text, NULL, NULL));
    g_assert_cmpint(atoi(text), ==, getpid());

    /* one holder per name, even within a process */
    g_assert_cmpint(ivshare_app_register("pktgen", &b), ==, -EBUSY);
    g_assert_cmpint(ivshare_app_register("other", &b), ==, 0);
    g_assert_cmpint(ivshare_app_probe("other", NULL), ==, 1);

    ivshare_app_unregister(a);
    g_assert_cmpint(ivshare_app_probe("pktgen", &pid), ==, 0);
    g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
    g_assert_cmpint(ivshare_app_probe("other", NULL), ==, 1);
    ivshare_app_unregister(b);
    ivshare_app_unregister(NULL);

    g_assert_cmpint(ivshare_app_register("../etc", &a), ==, -EINVAL);
    g_assert_cmpint(ivshare_app_register("", &a), ==, -EINVAL);
    g_assert_cmpint(ivshare_app_probe("a/b", NULL), ==, -EINVAL);
}

/* A child registers, tells us through a pipe, then waits to be killed. */
static pid_t spawn_registered(const char *app, gboolean wait_forever)
{
    int fds[2];
    char c = 0;
    pid_t pid;

    g_assert_cmpint(pipe(fds), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        ivshare_app *a;
        close(fds[0]);
        c = ivshare_app_register(app, &a) == 0 ? 'y' : 'n';
        if (write(fds[1], &c, 1) != 1)
            _exit(2);
        while (wait_forever)
            pause();
        _exit(0);                   /* exits without unregistering */
    }
    close(fds[1]);
    g_assert_cmpint(read(fds[0], &c, 1), ==, 1);
    close(fds[0]);
    g_assert_cmpint(c, ==, 'y');
    return pid;
}

static void test_crash(fixture *f, gconstpointer data)
{
    ivshare_app *a;
    int pid = 0, status;
    pid_t child = spawn_registered("pktgen", TRUE);

    g_assert_cmpint(ivshare_app_probe("pktgen", &pid), ==, 1);
    g_assert_cmpint(pid, ==, child);
    g_assert_cmpint(ivshare_app_register("pktgen", &a), ==, -EBUSY);

    g_assert_cmpint(kill(child, SIGKILL), ==, 0);
    g_assert_cmpint(waitpid(child, &status, 0), ==, child);
    g_assert_true(WIFSIGNALED(status));
    /* the kernel dropped the lock with the process: not alive any more */
    g_assert_cmpint(ivshare_app_probe("pktgen", &pid), ==, 0);
    g_assert_cmpint(ivshare_app_register("pktgen", &a), ==, 0);
    g_assert_cmpint(ivshare_app_probe("pktgen", &pid), ==, 1);
    g_assert_cmpint(pid, ==, getpid());
    ivshare_app_unregister(a);
}

static void test_exit(fixture *f, gconstpointer data)
{
    int status;
    pid_t child = spawn_registered("pktgen", FALSE);

    g_assert_cmpint(waitpid(child, &status, 0), ==, child);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_assert_cmpint(ivshare_app_probe("pktgen", NULL), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/core/app/register", fixture, NULL, fixture_setup, test_register, fixture_teardown);
    g_test_add("/core/app/crash", fixture, NULL, fixture_setup, test_crash, fixture_teardown);
    g_test_add("/core/app/exit", fixture, NULL, fixture_setup, test_exit, fixture_teardown);
    return g_test_run();
}
