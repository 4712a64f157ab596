/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-hook.c: the hook's prepare and release in-process: pass-through,
 * refusals that leave nothing behind, users, links and clean-up.
 */
#include <glib/gstdio.h>
#include <unistd.h>

#include "fixture.h"
#include "hook.h"
#include "inject.h"
#include "runtime.h"

typedef struct {
    test_env_fixture env;
    int daemon_lock;          /* this process stands in for ivshared */
} fixture;

#define DOMAIN_XML(name, region_attrs) \
    "<domain type='qemu'>\n" \
    "  <name>" name "</name>\n" \
    "  <memory unit='MiB'>256</memory>\n" \
    "  <metadata>\n" \
    "    <ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>\n" \
    "      <ivshare:region name='fastpath' host-app='pktgen' backing='shm'" region_attrs ">\n" \
    "        <ivshare:ring name='to-guest' slot-size='256' slots='1024'/>\n" \
    "        <ivshare:memzone name='stats' size='4K'/>\n" \
    "      </ivshare:region>\n" \
    "    </ivshare:shared-memory>\n" \
    "  </metadata>\n" \
    "  <os><type arch='x86_64'>hvm</type></os>\n" \
    "  <devices>\n" \
    "  </devices>\n" \
    "</domain>\n"

static void
fixture_setup(fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    test_fixture_setup(&f->env, NULL);
    f->daemon_lock = ivshare_daemon_lock(f->env.conf, &error);
    g_assert_no_error(error);
}

static void
fixture_teardown(fixture *f, gconstpointer data)
{
    if (f->daemon_lock >= 0)
        close(f->daemon_lock);
    test_fixture_teardown(&f->env);
}

/* @xml with its devices injected. */
static char *
injected(fixture *f, const char *xml)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ivshare_desc) d = test_desc_xml(xml, "domain");
    char *out = ivshare_inject(xml, strlen(xml), d, f->env.conf, &error);

    g_assert_no_error(error);
    return out;
}

static gboolean
prepare(fixture *f, const char *domain, const char *xml, GError **error)
{
    return ivshare_hook_prepare(domain, xml, strlen(xml), f->env.conf, error);
}

static void
assert_nothing_made(fixture *f)
{
    g_autofree char *users = g_build_filename(f->env.conf->runtime_dir, "users", NULL);
    g_autofree char *regions = g_build_filename(f->env.conf->runtime_dir, "regions", NULL);

    g_assert_cmpuint(test_dir_count(f->env.conf->shm_dir), ==, 0);
    g_assert_cmpuint(test_dir_count(f->env.conf->link_dir), ==, 0);
    g_assert_cmpuint(test_dir_count(users), ==, 0);
    g_assert_cmpuint(test_dir_count(regions), ==, 0);
}

static void
test_no_daemon(fixture *f, gconstpointer data)
{
    g_autofree char *xml = injected(f, DOMAIN_XML("vm1", ""));
    g_autoptr(GError) error = NULL;
    ivshare_app *app = NULL;

    g_assert_cmpint(ivshare_app_register("pktgen", &app), ==, 0);
    close(f->daemon_lock);
    f->daemon_lock = -1;
    g_assert_false(prepare(f, "vm1", xml, &error));
    g_assert_cmpstr(error->message, ==,
                    "domain 'vm1' cannot start: ivshared is not running, and nothing would stop the domain "
                    "when its host application exits; start it (systemctl start ivshared)");
    assert_nothing_made(f);
    ivshare_app_unregister(app);
}

static void
test_passthrough(fixture *f, gconstpointer data)
{
    static const char plain[] =
        "<domain type='qemu'><name>plain</name><memory>1024</memory>"
        "<os><type>hvm</type></os><devices/></domain>";
    g_autoptr(GError) error = NULL;
    gint64 start = g_get_monotonic_time();

    for (int i = 0; i < 100; i++)
        g_assert_true(prepare(f, "plain", plain, &error));
    g_test_message("pass-through prepare: %.3f ms", (g_get_monotonic_time() - start) / 100 / 1000.0);
    g_assert_true(ivshare_hook_release("plain", f->env.conf, &error));
    g_assert_no_error(error);
    assert_nothing_made(f);
}

static void
test_app_not_running(fixture *f, gconstpointer data)
{
    g_autofree char *xml = injected(f, DOMAIN_XML("vm1", ""));
    g_autoptr(GError) error = NULL;

    g_assert_false(prepare(f, "vm1", xml, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND);
    g_assert_cmpstr(error->message, ==,
                    "domain 'vm1' cannot start: host application 'pktgen' of region 'fastpath' "
                    "is not running; start it first (it registers with ivshare_app_register)");
    assert_nothing_made(f);
}

static void
test_not_injected(fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    ivshare_app *app = NULL;

    g_assert_cmpint(ivshare_app_register("pktgen", &app), ==, 0);
    g_assert_false(prepare(f, "vm1", DOMAIN_XML("vm1", ""), &error));
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error->message, "fastpath"));
    g_assert_nonnull(strstr(error->message, "ivsharectl"));
    assert_nothing_made(f);
    ivshare_app_unregister(app);
}

static void
test_invalid_description(fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    g_assert_false(prepare(f, "vm1", DOMAIN_XML("vm1", " size='3M'"), &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "power of two"));
    assert_nothing_made(f);
}

static void
test_prepare_release(fixture *f, gconstpointer data)
{
    g_autofree char *xml1 = injected(f, DOMAIN_XML("vm1", ""));
    g_autofree char *xml2 = injected(f, DOMAIN_XML("vm2", ""));
    g_autofree char *link = ivshare_conf_link_path(f->env.conf, "fastpath");
    g_autofree char *path = ivshare_conf_region_path(f->env.conf, "fastpath", IVSHARE_BACKING_SHM);
    g_autofree char *target = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) users = NULL;
    ivshare_app *app = NULL;

    g_assert_cmpint(ivshare_app_register("pktgen", &app), ==, 0);
    g_assert_true(prepare(f, "vm1", xml1, &error));
    g_assert_no_error(error);
    g_assert_true(prepare(f, "vm2", xml2, &error));
    g_assert_no_error(error);

    target = g_file_read_link(link, NULL);
    g_assert_cmpstr(target, ==, path);
    users = ivshare_region_users("fastpath", f->env.conf);
    g_assert_cmpstrv(users, ((const char *[]){ "vm1", "vm2", NULL }));

    /* one user left: the link stays */
    g_assert_true(ivshare_hook_release("vm1", f->env.conf, &error));
    g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
    /* no user left but the host application lives: file stays, link goes */
    g_assert_true(ivshare_hook_release("vm2", f->env.conf, &error));
    g_assert_no_error(error);
    g_assert_false(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));

    /* the application is gone too: the next release cleans everything */
    ivshare_app_unregister(app);
    g_assert_true(prepare(f, "vm1", xml1, &error) == FALSE);
    g_clear_error(&error);
    g_assert_true(ivshare_region_remove_unused("fastpath", f->env.conf, &error));
    assert_nothing_made(f);
}

static void
test_mismatch_existing(fixture *f, gconstpointer data)
{
    g_autofree char *xml1 = injected(f, DOMAIN_XML("vm1", ""));
    g_autofree char *xml2 = injected(f, DOMAIN_XML("vm2", " size='8M'"));
    g_autofree char *link = ivshare_conf_link_path(f->env.conf, "fastpath");
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) users = NULL;
    ivshare_app *app = NULL;

    g_assert_cmpint(ivshare_app_register("pktgen", &app), ==, 0);
    g_assert_true(prepare(f, "vm1", xml1, &error));
    g_assert_false(prepare(f, "vm2", xml2, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_CONFLICT);
    g_assert_nonnull(strstr(error->message, "does not match its file"));
    /* vm1 keeps its region and link; vm2 left nothing */
    users = ivshare_region_users("fastpath", f->env.conf);
    g_assert_cmpstrv(users, ((const char *[]){ "vm1", NULL }));
    g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
    ivshare_app_unregister(app);
    g_assert_true(ivshare_hook_release("vm1", f->env.conf, NULL));
    assert_nothing_made(f);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("/hook/passthrough", test_passthrough);
    ADD("/hook/app-not-running", test_app_not_running);
    ADD("/hook/not-injected", test_not_injected);
    ADD("/hook/invalid-description", test_invalid_description);
    ADD("/hook/no-daemon", test_no_daemon);
    ADD("/hook/prepare-release", test_prepare_release);
    ADD("/hook/mismatch-existing", test_mismatch_existing);
#undef ADD
    return g_test_run();
}
