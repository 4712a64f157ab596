/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-ctl.c: ivsharectl as a user runs it, in a private installation:
 * validate, inject, build, inspect (tables and JSON), cmdline, status, gc,
 * and the documented exit codes.
 */
#include <gio/gio.h>

#include "fixture.h"

typedef test_env_fixture fixture;

static const char *ctl_path;
static char *hugetlbfs_missing;

static const char region_xml[] =
    "<domain type='qemu'>\n"
    "  <name>vm1</name>\n"
    "  <memory unit='MiB'>256</memory>\n"
    "  <metadata>\n"
    "    <ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>\n"
    "      <ivshare:region name='fastpath' host-app='pktgen' backing='@BACKING@'>\n"
    "        <ivshare:ring name='to-guest' slot-size='256' slots='4096'/>\n"
    "        <ivshare:ring name='to-host' slot-size='256' slots='4096' producers='multi'/>\n"
    "        <ivshare:pool name='bufs' buffer-size='2048' buffers='1024'/>\n"
    "        <ivshare:memzone name='stats' size='4K'/>\n"
    "      </ivshare:region>\n"
    "    </ivshare:shared-memory>\n"
    "  </metadata>\n"
    "  <os><type arch='x86_64'>hvm</type></os>\n"
    "  <devices>\n"
    "  </devices>\n"
    "</domain>\n";

static void
fixture_setup(fixture *f, gconstpointer data)
{
    const char *huge = data;
    test_fixture_setup(f, huge && *huge ? huge : NULL);
}

static void
fixture_teardown(fixture *f, gconstpointer data)
{
    test_fixture_teardown(f);
}

/* Run ivsharectl ARGS…; returns its exit status, output in *out and *err. */
static int
run(fixture *f, char **out, char **err, ...)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *o = NULL, *e = NULL;
    const char *arg;
    va_list ap;

    g_ptr_array_add(argv, (char *)ctl_path);
    va_start(ap, err);
    while ((arg = va_arg(ap, const char *)))
        g_ptr_array_add(argv, (char *)arg);
    va_end(ap);
    g_ptr_array_add(argv, NULL);

    g_subprocess_launcher_setenv(l, "IVSHARE_CONF", f->conf_path, TRUE);
    g_subprocess_launcher_setenv(l, "LC_ALL", "C", TRUE);
    g_subprocess_launcher_setenv(l, "LIBVIRT_DEFAULT_URI", "test:///default", TRUE);
    p = g_subprocess_launcher_spawnv(l, (const char *const *)argv->pdata, &error);
    g_assert_no_error(error);
    g_subprocess_communicate_utf8(p, NULL, NULL, &o, &e, &error);
    g_assert_no_error(error);
    if (!g_subprocess_get_if_exited(p))
        g_error("ivsharectl %s was killed by signal %d; it said: %s", (char *)argv->pdata[1],
                g_subprocess_get_term_sig(p), e);
    if (out)
        *out = g_steal_pointer(&o);
    if (err)
        *err = g_steal_pointer(&e);
    return g_subprocess_get_exit_status(p);
}

static char *
write_domain(fixture *f, const char *backing)
{
    g_autoptr(GString) xml = g_string_new(region_xml);
    char *path = g_build_filename(f->dir, "vm1.xml", NULL);

    g_string_replace(xml, "@BACKING@", backing, 0);
    g_assert_true(g_file_set_contents(path, xml->str, -1, NULL));
    return path;
}

static void
test_validate(fixture *f, gconstpointer data)
{
    g_autofree char *path = write_domain(f, "shm");
    g_autofree char *bad = g_build_filename(f->dir, "bad.xml", NULL);
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *expected = g_strdup_printf("%s: valid, 1 region\n", path);

    g_assert_cmpint(run(f, &out, &err, "validate", path, NULL), ==, 0);
    g_assert_cmpstr(out, ==, expected);

    g_assert_true(g_file_set_contents(bad, "<domain><name>x</name><metadata>"
                                      "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>"
                                      "<ivshare:region name='r' host-app='a'><ivshare:ring name='q' slot-size='8' slots='3'/>"
                                      "</ivshare:region></ivshare:shared-memory></metadata></domain>", -1, NULL));
    g_clear_pointer(&out, g_free);
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(run(f, &out, &err, "validate", path, bad, NULL), ==, 3);
    g_assert_nonnull(strstr(err, "slots must be a power of two"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(f, &out, NULL, "validate", "--json", path, bad, NULL), ==, 3);
    g_assert_true(g_str_has_prefix(out, "[{\"file\":"));
    g_assert_nonnull(strstr(out, "\"valid\":true"));
    g_assert_nonnull(strstr(out, "\"valid\":false"));
}

static void
test_inject_idempotent(fixture *f, gconstpointer data)
{
    g_autofree char *path = write_domain(f, "shm");
    g_autofree char *again = g_build_filename(f->dir, "again.xml", NULL);
    g_autofree char *out = NULL, *out2 = NULL;

    g_assert_cmpint(run(f, &out, NULL, "inject", path, NULL), ==, 0);
    g_assert_nonnull(strstr(out, "<shmem name='ivshare-fastpath'>\n"
                                 "      <model type='ivshmem-plain'/>\n"
                                 "      <size unit='M'>"));
    g_assert_true(g_file_set_contents(again, out, -1, NULL));
    g_assert_cmpint(run(f, &out2, NULL, "inject", again, NULL), ==, 0);
    g_assert_cmpstr(out, ==, out2);
}

static void
test_build_inspect(fixture *f, gconstpointer data)
{
    g_autofree char *path = NULL;
    g_autofree char *out = NULL, *err = NULL;
    g_autoptr(ivshare_region) r = NULL;
    const char *backing = data ? "hugepages" : "shm";

    if (data && !*(const char *)data) {
        g_test_skip(hugetlbfs_missing);
        return;
    }
    path = write_domain(f, backing);
    g_assert_cmpint(run(f, &out, &err, "build", path, NULL), ==, 0);
    g_assert_true(g_str_has_prefix(out, "region 'fastpath': built "));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(f, &out, NULL, "build", path, NULL), ==, 0);
    g_assert_true(g_str_has_prefix(out, "region 'fastpath': kept "));

    /* every object, with the offset and size the library sees */
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(f, &out, NULL, "inspect", "fastpath", NULL), ==, 0);
    g_assert_cmpint(ivshare_host_open("fastpath", &r), ==, 0);
    for (unsigned i = 0; i < 4; i++) {
        ivshare_object_info o;
        g_autofree char *row = NULL;
        g_assert_cmpint(ivshare_object_get_info(r, i, &o), ==, 0);
        row = g_strdup_printf("%-31s %-8s %12" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT "  ",
                              o.name, o.type == IVSHARE_TYPE_RING ? "ring" :
                              o.type == IVSHARE_TYPE_POOL ? "pool" : "memzone", o.offset, o.size);
        g_assert_nonnull(strstr(out, row));
    }
    g_assert_nonnull(strstr(out, "1024 buffers of 2048 bytes, 0 in use"));

    /* live figures: two messages queued, three buffers taken */
    {
        ivshare_ring *q;
        ivshare_pool *p;
        uint64_t h;
        g_assert_cmpint(ivshare_ring_lookup(r, "to-guest", &q), ==, 0);
        g_assert_cmpint(ivshare_ring_enqueue(q, "a", 1), ==, 0);
        g_assert_cmpint(ivshare_ring_enqueue(q, "b", 1), ==, 0);
        g_assert_cmpint(ivshare_pool_lookup(r, "bufs", &p), ==, 0);
        for (int i = 0; i < 3; i++)
            g_assert_cmpint(ivshare_pool_get(p, &h), ==, 0);
    }
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(f, &out, NULL, "inspect", "--json", "fastpath", NULL), ==, 0);
    g_assert_true(g_str_has_prefix(out, "{\"name\":\"fastpath\",\"version\":1,"));
    g_assert_nonnull(strstr(out, "{\"name\":\"to-guest\",\"type\":\"ring\""));
    g_assert_nonnull(strstr(out, "\"mode\":\"spsc\",\"queued\":2}"));
    g_assert_nonnull(strstr(out, "\"mode\":\"mpsc\",\"queued\":0}"));
    g_assert_nonnull(strstr(out, "\"buffers\":1024,\"in-use\":3}"));

    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(f, &out, NULL, "cmdline", "fastpath", NULL), ==, 0);
    g_assert_true(g_str_has_prefix(out, "-object memory-backend-file,id=ivshare-fastpath,mem-path="));
    g_assert_nonnull(strstr(out, ",share=on -device ivshmem-plain,memdev=ivshare-fastpath\n"));
}

static void
test_inspect_missing_and_corrupt(fixture *f, gconstpointer data)
{
    g_autofree char *junk = g_build_filename(f->dir, "junk", NULL);
    g_autofree char *out = NULL, *err = NULL;
    g_autofree char *bytes = g_malloc0(1 << 20);

    g_assert_cmpint(run(f, &out, &err, "inspect", "nosuch", NULL), ==, 5);
    g_assert_cmpstr(err, ==, "ivsharectl: cannot open region 'nosuch': No such file or directory\n");
    g_clear_pointer(&err, g_free);
    memcpy(bytes, "IVSHARE", 8);
    g_assert_true(g_file_set_contents(junk, bytes, 1 << 20, NULL));
    g_assert_cmpint(run(f, NULL, &err, "inspect", junk, NULL), ==, 3);
    g_assert_true(g_str_has_prefix(err, "ivsharectl: cannot open region '"));
}

static void
test_status_gc(fixture *f, gconstpointer data)
{
    g_autofree char *path = write_domain(f, "shm");
    g_autofree char *out = NULL;
    g_autofree char *file = ivshare_conf_region_path(f->conf, "fastpath", IVSHARE_BACKING_SHM);

    g_assert_cmpint(run(f, NULL, NULL, "build", path, NULL), ==, 0);
    g_assert_cmpint(run(f, &out, NULL, "status", NULL), ==, 0);
    g_assert_nonnull(strstr(out, "Daemon:     not running\n"));
    g_assert_nonnull(strstr(out, "fastpath "));
    g_assert_nonnull(strstr(out, "pktgen (not running)"));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(f, &out, NULL, "status", "--json", NULL), ==, 0);
    g_assert_nonnull(strstr(out, "\"regions\":[{\"name\":\"fastpath\""));
    g_assert_nonnull(strstr(out, "\"host-app\":{\"name\":\"pktgen\",\"running\":false}"));

    /* a user whose domain libvirt does not run is dropped, then the region */
    g_assert_true(ivshare_region_user_add("fastpath", "gone", f->conf, NULL));
    g_clear_pointer(&out, g_free);
    g_assert_cmpint(run(f, &out, NULL, "gc", NULL), ==, 0);
    g_assert_nonnull(strstr(out, "domain 'gone' no longer runs"));
    g_assert_nonnull(strstr(out, "region 'fastpath': removed, nobody uses it\n"));
    g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
}

static void
test_usage(fixture *f, gconstpointer data)
{
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint(run(f, &out, NULL, "--help", NULL), ==, 0);
    g_assert_nonnull(strstr(out, "Exit status: 0 success"));
    g_assert_cmpint(run(f, NULL, &err, "frobnicate", NULL), ==, 2);
    g_assert_cmpstr(err, ==, "ivsharectl: unknown command 'frobnicate'; see 'ivsharectl --help'\n");
    g_clear_pointer(&err, g_free);
    g_assert_cmpint(run(f, NULL, &err, "inspect", NULL), ==, 2);
    g_assert_cmpstr(err, ==, "ivsharectl inspect: expected REGION|PATH; see 'ivsharectl inspect --help'\n");
}

int
main(int argc, char **argv)
{
    g_autofree char *huge = NULL;

    g_test_init(&argc, &argv, NULL);
    ctl_path = g_getenv("IVSHARECTL");
    g_assert_nonnull(ctl_path);
    huge = test_hugetlbfs_dir(64, &hugetlbfs_missing);

#define ADD(name, fn, data) g_test_add(name, fixture, data, fixture_setup, fn, fixture_teardown)
    ADD("/ctl/validate", test_validate, NULL);
    ADD("/ctl/inject-idempotent", test_inject_idempotent, NULL);
    ADD("/ctl/build-inspect/shm", test_build_inspect, NULL);
    ADD("/ctl/build-inspect/hugetlbfs", test_build_inspect, huge ? huge : "");
    ADD("/ctl/inspect-missing-and-corrupt", test_inspect_missing_and_corrupt, NULL);
    ADD("/ctl/status-gc", test_status_gc, NULL);
    ADD("/ctl/usage", test_usage, NULL);
#undef ADD
    return g_test_run();
}
