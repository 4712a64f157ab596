/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-conf.c: ivshare.conf, its defaults, keys, errors and the QEMU IDs. */
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "conf.h"

static char *tmpdir;          /* where the test writes its settings files */

static char *write_conf(const char *text);

/* Unset, the IDs are libvirt's: qemu.conf, else libvirt-qemu. */
static void
test_conf_qemu_ids_default(void)
{
    g_autoptr(ivshare_conf) c = ivshare_conf_load("/nonexistent/ivshare.conf", NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *qemu_conf = NULL;
    uid_t uid = 1;
    gid_t gid = 1;

    if (g_file_get_contents("/etc/libvirt/qemu.conf", &qemu_conf, NULL, NULL)) {
        g_auto(GStrv) lines = g_strsplit(qemu_conf, "\n", -1);

        for (char **l = lines; *l; l++) {
            if (g_str_has_prefix(g_strchug(*l), "user") || g_str_has_prefix(*l, "group")) {
                g_test_skip("/etc/libvirt/qemu.conf sets the QEMU user or group");
                return;
            }
        }
    }
    if (!getpwnam("libvirt-qemu") || !getgrnam("libvirt-qemu")) {
        g_test_skip("no libvirt-qemu user or group on this host");
        return;
    }
    g_assert_true(ivshare_conf_qemu_ids(c, &uid, &gid, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(uid, ==, getpwnam("libvirt-qemu")->pw_uid);
    g_assert_cmpuint(gid, ==, getgrnam("libvirt-qemu")->gr_gid);
}

static char *
write_conf(const char *text)
{
    char *path = g_build_filename(tmpdir, "test.conf", NULL);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static void
test_conf_defaults(void)
{
    g_autoptr(ivshare_conf) c = ivshare_conf_load("/nonexistent/ivshare.conf", NULL);
    g_autofree char *rp = NULL;
    g_autofree char *sp = NULL;
    g_autofree char *lp = NULL;

    g_assert_nonnull(c);
    g_assert_cmpstr(c->path, ==, "/nonexistent/ivshare.conf");
    g_assert_cmpstr(c->hugepage_dir, ==, "/dev/hugepages/ivshare");
    g_assert_cmpstr(c->shm_dir, ==, "/dev/shm/ivshare");
    g_assert_cmpstr(c->runtime_dir, ==, "/run/ivshare");
    g_assert_cmpstr(c->link_dir, ==, "/dev/shm");
    g_assert_cmpstr(c->domains_dir, ==, "/etc/ivshare/domains");
    g_assert_cmpstr(c->schema_dir, ==, g_getenv("IVSHARE_SCHEMA_DIR"));
    g_assert_null(c->qemu_user);
    g_assert_null(c->qemu_group);
    g_assert_cmpint(c->on_exit, ==, IVSHARE_EXIT_DESTROY);
    g_assert_cmpuint(c->shutdown_timeout, ==, 30);

    rp = ivshare_conf_region_path(c, "fastpath", IVSHARE_BACKING_HUGEPAGES);
    sp = ivshare_conf_region_path(c, "fastpath", IVSHARE_BACKING_SHM);
    lp = ivshare_conf_link_path(c, "fastpath");
    g_assert_cmpstr(rp, ==, "/dev/hugepages/ivshare/fastpath");
    g_assert_cmpstr(sp, ==, "/dev/shm/ivshare/fastpath");
    g_assert_cmpstr(lp, ==, "/dev/shm/ivshare-fastpath");
}

static void
test_conf_keys(void)
{
    g_autofree char *path = write_conf(
        "# every key\n[paths]\nhugepage-dir=/h\nshm-dir=/s\nruntime-dir=/r\n"
        "domains-dir=/d\nlink-dir=/l\nschema-dir=/x\n"
        "[qemu]\nuser=qemu\ngroup=kvm\n"
        "[daemon]\non-host-app-exit=shutdown\nshutdown-timeout=90\n");
    g_autofree char *saved = g_strdup(g_getenv("IVSHARE_SCHEMA_DIR"));
    g_autoptr(ivshare_conf) c = NULL;
    g_autoptr(ivshare_conf) env = NULL;
    g_autoptr(GError) error = NULL;

    g_unsetenv("IVSHARE_SCHEMA_DIR");
    c = ivshare_conf_load(path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(c->hugepage_dir, ==, "/h");
    g_assert_cmpstr(c->shm_dir, ==, "/s");
    g_assert_cmpstr(c->runtime_dir, ==, "/r");
    g_assert_cmpstr(c->domains_dir, ==, "/d");
    g_assert_cmpstr(c->link_dir, ==, "/l");
    g_assert_cmpstr(c->schema_dir, ==, "/x");
    g_assert_cmpstr(c->qemu_user, ==, "qemu");
    g_assert_cmpstr(c->qemu_group, ==, "kvm");
    g_assert_cmpint(c->on_exit, ==, IVSHARE_EXIT_SHUTDOWN);
    g_assert_cmpuint(c->shutdown_timeout, ==, 90);

    /* the environment wins over the file; IVSHARE_CONF names the file */
    g_setenv("IVSHARE_SCHEMA_DIR", saved, TRUE);
    g_setenv("IVSHARE_CONF", path, TRUE);
    env = ivshare_conf_load(NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(env->path, ==, path);
    g_assert_cmpstr(env->schema_dir, ==, saved);
    g_assert_cmpstr(env->hugepage_dir, ==, "/h");
    g_setenv("IVSHARE_CONF", g_getenv("IVSHARE_TEST_CONF"), TRUE);
}

static void
test_conf_invalid(void)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        { "[path]\nhugepage-dir=/h\n",
          "CONF: unknown group [path]; expected [paths], [qemu] or [daemon]" },
        { "[paths]\nhugepages=/h\n", "CONF: unknown key 'hugepages' in group [paths]" },
        { "[qemu]\nuser=qemu\nhugepage-dir=/h\n", "CONF: unknown key 'hugepage-dir' in group [qemu]" },
        { "[paths]\nhugepage-dir=relative/dir\n",
          "CONF: [paths] hugepage-dir must be an absolute path, not 'relative/dir'" },
        { "[qemu]\nuser=\n", "CONF: [qemu] user must be a user or group name, not ''" },
        { "[daemon]\non-host-app-exit=kill\n",
          "CONF: [daemon] on-host-app-exit must be 'destroy' or 'shutdown', not 'kill'" },
        { "[daemon]\nshutdown-timeout=0\n",
          "CONF: [daemon] shutdown-timeout must be a number of seconds between 1 and 3600, not '0'" },
        { "[daemon]\nshutdown-timeout=10s\n",
          "CONF: [daemon] shutdown-timeout must be a number of seconds between 1 and 3600, not '10s'" },
        { "[paths]\nhugepage-dir=/a\\qb\n",
          "CONF: [paths] hugepage-dir: *" },      /* then GLib's words */
        { "[daemon]\nshutdown-timeout=1K\n",
          "CONF: [daemon] shutdown-timeout must be a number of seconds between 1 and 3600, not '1K'" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = write_conf(cases[i].text);
        g_autoptr(GError) error = NULL;
        g_autoptr(ivshare_conf) c = ivshare_conf_load(path, &error);
        g_auto(GStrv) parts = NULL;
        g_autofree char *message = NULL;

        g_assert_null(c);
        g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
        parts = g_strsplit(error->message, path, -1);
        message = g_strjoinv("CONF", parts);
        if (g_str_has_suffix(cases[i].message, "*"))
            g_assert_cmpint(strncmp(message, cases[i].message, strlen(cases[i].message) - 1), ==, 0);
        else
            g_assert_cmpstr(message, ==, cases[i].message);
    }
    {
        g_autofree char *path = write_conf("not an ini file\n");
        g_autoptr(GError) error = NULL;
        g_autoptr(ivshare_conf) c = ivshare_conf_load(path, &error);

        g_assert_null(c);
        g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
        g_assert_true(g_str_has_prefix(error->message, path));
    }
}

static void
test_conf_qemu_ids(void)
{
    g_autoptr(ivshare_conf) c = ivshare_conf_load("/nonexistent/ivshare.conf", NULL);
    g_autoptr(GError) error = NULL;
    uid_t uid = 1;
    gid_t gid = 1;

    c->qemu_user = g_strdup("root");
    c->qemu_group = g_strdup("+0");
    g_assert_true(ivshare_conf_qemu_ids(c, &uid, &gid, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(uid, ==, 0);
    g_assert_cmpuint(gid, ==, 0);

    g_free(c->qemu_user);
    c->qemu_user = g_strdup("+4242");
    g_assert_true(ivshare_conf_qemu_ids(c, &uid, &gid, &error));
    g_assert_cmpuint(uid, ==, 4242);

    g_free(c->qemu_user);
    c->qemu_user = g_strdup("4343");               /* no such name: an ID */
    g_assert_true(ivshare_conf_qemu_ids(c, &uid, &gid, &error));
    g_assert_cmpuint(uid, ==, 4343);

    g_free(c->qemu_group);
    c->qemu_group = g_strdup("ivshare-no-such-group");
    g_assert_false(ivshare_conf_qemu_ids(c, &uid, &gid, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_free(c->qemu_group);
    c->qemu_group = g_strdup("root");

    g_free(c->qemu_user);
    c->qemu_user = g_strdup("ivshare-no-such-user");
    g_assert_false(ivshare_conf_qemu_ids(c, &uid, &gid, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND);
    g_assert_cmpstr(error->message, ==,
                    "the QEMU user 'ivshare-no-such-user' does not exist; set [qemu] user in /nonexistent/ivshare.conf");
}

/* data/ivshare.conf documents every key: uncommented, each must load. */
static void
test_conf_example(void)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "..", "data", "ivshare.conf", NULL);
    g_autofree char *text = NULL;
    g_autofree char *uncommented_path = NULL;
    g_autoptr(GString) uncommented = g_string_new(NULL);
    g_autoptr(ivshare_conf) as_is = NULL;
    g_autoptr(ivshare_conf) every = NULL;
    g_autoptr(ivshare_conf) defaults = ivshare_conf_load("/nonexistent/ivshare.conf", NULL);
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) lines = NULL;
    guint keys = 0;

    as_is = ivshare_conf_load(path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(as_is->hugepage_dir, ==, defaults->hugepage_dir);
    g_assert_cmpstr(as_is->runtime_dir, ==, defaults->runtime_dir);
    g_assert_cmpstr(as_is->link_dir, ==, defaults->link_dir);

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        if ((*l)[0] == '#' && strchr(*l, '=') && !strchr(*l, ' ')) {
            g_string_append_printf(uncommented, "%s\n", *l + 1);
            keys++;
        } else {
            g_string_append_printf(uncommented, "%s\n", *l);
        }
    }
    g_assert_cmpuint(keys, ==, 10);
    uncommented_path = write_conf(uncommented->str);
    every = ivshare_conf_load(uncommented_path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(every->hugepage_dir, ==, defaults->hugepage_dir);
    g_assert_cmpstr(every->shm_dir, ==, defaults->shm_dir);
    g_assert_cmpstr(every->qemu_user, ==, "libvirt-qemu");
    g_assert_cmpstr(every->qemu_group, ==, "libvirt-qemu");
    g_assert_cmpint(every->on_exit, ==, defaults->on_exit);
    g_assert_cmpuint(every->shutdown_timeout, ==, defaults->shutdown_timeout);
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *conf = NULL;
    g_autofree char *written = NULL;
    int rc;

    g_test_init(&argc, &argv, NULL);
    if (!g_getenv("IVSHARE_SCHEMA_DIR")) {
        g_autofree char *schemas = g_test_build_filename(G_TEST_DIST, "..", "schemas", NULL);

        g_setenv("IVSHARE_SCHEMA_DIR", schemas, TRUE);
    }
    g_unsetenv("IVSHARE_RUNTIME_DIR");
    tmpdir = g_dir_make_tmp("ivshare-test-conf-XXXXXX", &error);
    g_assert_no_error(error);
    conf = g_build_filename(tmpdir, "ivshare.conf", NULL);
    g_setenv("IVSHARE_CONF", conf, TRUE);
    g_setenv("IVSHARE_TEST_CONF", conf, TRUE);

    g_test_add_func("/conf/defaults", test_conf_defaults);
    g_test_add_func("/conf/keys", test_conf_keys);
    g_test_add_func("/conf/invalid", test_conf_invalid);
    g_test_add_func("/conf/qemu-ids", test_conf_qemu_ids);
    g_test_add_func("/conf/qemu-ids-default", test_conf_qemu_ids_default);
    g_test_add_func("/conf/example", test_conf_example);

    rc = g_test_run();
    written = g_build_filename(tmpdir, "test.conf", NULL);
    g_unlink(written);
    g_rmdir(tmpdir);
    g_free(tmpdir);
    return rc;
}
