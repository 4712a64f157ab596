/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-inject.c: golden-file and error tests of the <shmem> device injection. */
#include "inject.h"

#include <string.h>

#include <libxml/parser.h>

/*
 * tests/data/inject/NAME.xml -> NAME.out.xml, one test per file, as
 * libvirt's qemuxmlconftest.  The description is the XML's metadata, or
 * NAME.ini when that file exists.  IVSHARE_TEST_REGENERATE=1 rewrites the
 * .out.xml files for review.
 */

static const ivshare_conf test_conf = {
    .runtime_dir = (char *) "/run/ivshare",
};

static char *
data_path(const char *file)
{
    return g_test_build_filename(G_TEST_DIST, "data", "inject", file, NULL);
}

static gboolean
regenerate(void)
{
    const char *v = g_getenv("IVSHARE_TEST_REGENERATE");

    return v && strcmp(v, "1") == 0;
}

static ivshare_desc *
fixture_desc(const char *name, const char *xml, gsize len)
{
    g_autofree char *ini_name = g_strconcat(name, ".ini", NULL);
    g_autofree char *ini_path = data_path(ini_name);
    g_autofree char *source = g_strconcat(name, ".xml", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(ivshare_desc) desc = NULL;
    gboolean ok;

    if (g_file_test(ini_path, G_FILE_TEST_EXISTS)) {
        g_autofree char *ini = NULL;
        gsize ini_len;

        g_assert_true(g_file_get_contents(ini_path, &ini, &ini_len, NULL));
        ok = ivshare_desc_from_ini(ini, ini_len, ini_name, name, &desc, &error);
    } else {
        ok = ivshare_desc_from_xml(xml, len, source, &desc, &error);
    }
    g_assert_no_error(error);
    g_assert_true(ok);
    return g_steal_pointer(&desc);
}

static void
test_golden(gconstpointer data)
{
    const char *name = data;
    g_autofree char *in_name = g_strconcat(name, ".xml", NULL);
    g_autofree char *out_name = g_strconcat(name, ".out.xml", NULL);
    g_autofree char *in_path = data_path(in_name);
    g_autofree char *out_path = data_path(out_name);
    g_autofree char *in = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *out = NULL;
    g_autofree char *again = NULL;
    g_autoptr(ivshare_desc) desc = NULL;
    g_autoptr(GError) error = NULL;
    gsize in_len;
    gboolean same;

    g_assert_true(g_file_get_contents(in_path, &in, &in_len, NULL));
    desc = fixture_desc(name, in, in_len);

    out = ivshare_inject(in, in_len, desc, &test_conf, &error);
    g_assert_no_error(error);
    g_assert_nonnull(out);
    if (regenerate()) {
        g_assert_true(g_file_set_contents(out_path, out, -1, NULL));
        g_test_message("rewrote %s", out_path);
    }
    g_assert_true(g_file_get_contents(out_path, &expected, NULL, NULL));
    g_assert_cmpstr(out, ==, expected);

    /* idempotent: injecting the output again changes no byte */
    again = ivshare_inject(out, strlen(out), desc, &test_conf, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(again, ==, out);

    /* the output matches; the input matches exactly when nothing changed */
    g_assert_true(ivshare_inject_check(out, strlen(out), desc, &test_conf, &error));
    g_assert_no_error(error);
    same = strcmp(in, out) == 0;
    g_assert_cmpint(ivshare_inject_check(in, in_len, desc, &test_conf, &error), ==, same);
    if (same) {
        g_assert_no_error(error);
    } else {
        g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
        g_assert_nonnull(strstr(error->message, "ivsharectl sync"));
    }
}

/* Every fixture, input and output, is a domain libvirt accepts. */
static void
test_libvirt_valid(gconstpointer data)
{
    const char *file = data;
    g_autofree char *path = data_path(file);
    g_autofree char *prog = g_find_program_in_path("virt-xml-validate");
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = { prog, path, "domain", NULL };
    int status;

    if (!prog) {
        g_test_skip("virt-xml-validate (libvirt-clients) is not installed");
        return;
    }
    g_assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
    g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_test_message("%s%s", out, err);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
}

static guint
count(const char *haystack, const char *needle)
{
    guint n = 0;

    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The <shmem> devices of the domain in @path. */
static guint
count_devices(const char *path)
{
    g_autoptr(xmlDoc) doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_autoptr(xmlXPathObject) obj = NULL;

    g_assert_nonnull(doc);
    ctxt = xmlXPathNewContext(doc);
    obj = xmlXPathEvalExpression((const xmlChar *) "count(/domain/devices/shmem)", ctxt);
    g_assert_nonnull(obj);
    g_assert_cmpfloat(obj->floatval, >, 0);
    return (guint) obj->floatval;
}

/*
 * The schema lets through what libvirt's qemu driver refuses (a <size>
 * with a doorbell server): have the driver build the QEMU command line of
 * every output.  Needs a running libvirtd; suite e2e.
 */
static void
test_libvirt_qemu(gconstpointer data)
{
    const char *file = data;
    g_autofree char *path = data_path(file);
    g_autofree char *prog = g_find_program_in_path("virsh");
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = { prog, "-q", "-c", "qemu:///system",
                           "domxml-to-native", "qemu-argv", path, NULL };
    int status;

    if (!prog) {
        g_test_skip("virsh (libvirt-clients) is not installed");
        return;
    }
    g_assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
    g_assert_no_error(error);
    if (strstr(err, "Failed to connect") || strstr(err, "failed to connect")) {
        g_test_skip("libvirtd is not running (qemu:///system)");
        return;
    }
    if (!g_spawn_check_wait_status(status, NULL))
        g_test_message("%s", err);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    /* one QEMU ivshmem device per <shmem> of the domain */
    g_assert_cmpuint(count(out, "\"driver\":\"ivshmem-"), ==, count_devices(path));
}

/* ---- exact messages of ivshare_inject_check ---- */

static const char domain_head[] =
    "<domain type='qemu'>\n"
    "  <name>vm1</name>\n"
    "  <memory unit='MiB'>256</memory>\n"
    "  <os>\n"
    "    <type arch='x86_64'>hvm</type>\n"
    "  </os>\n"
    "  <devices>\n";
static const char domain_tail[] =
    "  </devices>\n"
    "</domain>\n";

static char *
domain_with(const char *devices)
{
    return g_strconcat(domain_head, devices, domain_tail, NULL);
}

static ivshare_desc *
desc_one(gboolean doorbell, guint vectors)
{
    ivshare_desc *d = ivshare_desc_new("vm1", "domain 'vm1'");
    ivshare_region_desc *r = ivshare_region_desc_new("fastpath");

    r->host_app = g_strdup("pktgen");
    r->size = 4u << 20;
    r->doorbell = doorbell;
    r->vectors = vectors;
    g_ptr_array_add(d->regions, r);
    return d;
}

typedef struct {
    const char *name;
    gboolean doorbell;
    guint vectors;
    const char *devices;
    const char *what;          /* the middle of the message */
} check_case;

static const char plain_dev[] =
    "    <shmem name='ivshare-fastpath'>\n"
    "      <model type='ivshmem-plain'/>\n"
    "      <size unit='M'>4</size>\n"
    "    </shmem>\n";

static const check_case check_cases[] = {
    { "missing", FALSE, 0, "",
      "missing device for region 'fastpath'" },
    { "size", FALSE, 0,
      "    <shmem name='ivshare-fastpath'>\n"
      "      <model type='ivshmem-plain'/>\n"
      "      <size unit='M'>2</size>\n"
      "    </shmem>\n",
      "device 'ivshare-fastpath' has size 2M, the description needs 4M" },
    { "no-size", FALSE, 0,
      "    <shmem name='ivshare-fastpath'>\n"
      "      <model type='ivshmem-plain'/>\n"
      "    </shmem>\n",
      "device 'ivshare-fastpath' has no size, the description needs 4M" },
    { "model", TRUE, 2, plain_dev,
      "device 'ivshare-fastpath' has model 'ivshmem-plain', the description needs 'ivshmem-doorbell'" },
    { "vectors", TRUE, 4,
      "    <shmem name='ivshare-fastpath'>\n"
      "      <model type='ivshmem-doorbell'/>\n"
      "      <server path='/run/ivshare/fastpath.sock'/>\n"
      "      <msi vectors='2' ioeventfd='on'/>\n"
      "    </shmem>\n",
      "device 'ivshare-fastpath' has 2 MSI vectors, the description needs 4" },
    { "server", TRUE, 2,
      "    <shmem name='ivshare-fastpath'>\n"
      "      <model type='ivshmem-doorbell'/>\n"
      "      <server path='/tmp/fastpath.sock'/>\n"
      "      <msi vectors='2' ioeventfd='on'/>\n"
      "    </shmem>\n",
      "device 'ivshare-fastpath' has server path '/tmp/fastpath.sock', "
      "the description needs '/run/ivshare/fastpath.sock'" },
    { "ioeventfd", TRUE, 2,
      "    <shmem name='ivshare-fastpath'>\n"
      "      <model type='ivshmem-doorbell'/>\n"
      "      <server path='/run/ivshare/fastpath.sock'/>\n"
      "      <msi vectors='2'/>\n"
      "    </shmem>\n",
      "device 'ivshare-fastpath' has ioeventfd 'off', the description needs 'on'" },
    { "doorbell-size", TRUE, 2,
      "    <shmem name='ivshare-fastpath'>\n"
      "      <model type='ivshmem-doorbell'/>\n"
      "      <size unit='M'>4</size>\n"
      "      <server path='/run/ivshare/fastpath.sock'/>\n"
      "      <msi vectors='2' ioeventfd='on'/>\n"
      "    </shmem>\n",
      "device 'ivshare-fastpath' has a size, which libvirt refuses for ivshmem-doorbell" },
    { "stale", FALSE, 0,
      "    <shmem name='ivshare-fastpath'>\n"
      "      <model type='ivshmem-plain'/>\n"
      "      <size unit='KiB'>4096</size>\n"
      "    </shmem>\n"
      "    <shmem name='ivshare-old'>\n"
      "      <model type='ivshmem-plain'/>\n"
      "      <size unit='M'>4</size>\n"
      "    </shmem>\n",
      "stale device 'ivshare-old'" },
    { "duplicate", FALSE, 0, "    <shmem name='ivshare-fastpath'>\n"
      "      <model type='ivshmem-plain'/>\n"
      "      <size unit='M'>4</size>\n"
      "    </shmem>\n"
      "    <shmem name='ivshare-fastpath'/>\n",
      "duplicate device 'ivshare-fastpath'" },
    { "extra", FALSE, 0,
      "    <shmem name='ivshare-fastpath' role='master'>\n"
      "      <model type='ivshmem-plain'/>\n"
      "      <size unit='M'>4</size>\n"
      "    </shmem>\n",
      "device 'ivshare-fastpath' has an attribute 'role' the description does not give" },
    { "several", FALSE, 0,
      "    <shmem name='ivshare-older'/>\n"
      "    <shmem name='ivshare-old'/>\n",
      "missing device for region 'fastpath'; stale device 'ivshare-older'; stale device 'ivshare-old'" },
};

static void
test_check_message(gconstpointer data)
{
    const check_case *c = data;
    g_autoptr(ivshare_desc) desc = desc_one(c->doorbell, c->vectors);
    g_autofree char *xml = domain_with(c->devices);
    g_autofree char *expected = g_strdup_printf(
        "domain 'vm1': the ivshmem devices do not match the description: %s. "
        "Run 'ivsharectl sync vm1' or 'ivsharectl inject' to update them.", c->what);
    g_autofree char *fixed = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_false(ivshare_inject_check(xml, strlen(xml), desc, &test_conf, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==, expected);
    g_clear_error(&error);

    /* and injection repairs it */
    fixed = ivshare_inject(xml, strlen(xml), desc, &test_conf, &error);
    g_assert_no_error(error);
    g_assert_true(ivshare_inject_check(fixed, strlen(fixed), desc, &test_conf, &error));
    g_assert_no_error(error);
}

static void
test_check_match(void)
{
    g_autoptr(ivshare_desc) desc = desc_one(FALSE, 0);
    g_autofree char *xml = domain_with(plain_dev);
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true(ivshare_inject_check(xml, strlen(xml), desc, &test_conf, &error));
    g_assert_no_error(error);
    out = ivshare_inject(xml, strlen(xml), desc, &test_conf, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(out, ==, xml);
}

/* The server path follows the configured runtime directory. */
static void
test_runtime_dir(void)
{
    ivshare_conf conf = { .runtime_dir = (char *) "/var/run/other dir&co" };
    g_autoptr(ivshare_desc) desc = desc_one(TRUE, 3);
    g_autofree char *xml = domain_with("");
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;

    out = ivshare_inject(xml, strlen(xml), desc, &conf, &error);
    g_assert_no_error(error);
    g_assert_nonnull(strstr(out, "      <server path='/var/run/other dir&amp;co/fastpath.sock'/>\n"
                                 "      <msi vectors='3' ioeventfd='on'/>\n"));
    g_assert_true(ivshare_inject_check(out, strlen(out), desc, &conf, &error));
    g_assert_no_error(error);
    g_assert_false(ivshare_inject_check(out, strlen(out), desc, &test_conf, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
}

/* Without a description, every ivshare device goes and nothing else. */
static void
test_no_description(void)
{
    g_autofree char *xml = domain_with("    <shmem name='other'/>\n" "    <shmem name='ivshare-old'/>\n");
    g_autofree char *expected = domain_with("    <shmem name='other'/>\n");
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;

    out = ivshare_inject(xml, strlen(xml), NULL, &test_conf, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(out, ==, expected);
    g_assert_false(ivshare_inject_check(xml, strlen(xml), NULL, &test_conf, &error));
    g_assert_cmpstr(error->message, ==,
                    "domain 'vm1': the ivshmem devices do not match the description: "
                    "stale device 'ivshare-old'. "
                    "Run 'ivsharectl sync vm1' or 'ivsharectl inject' to update them.");
}

/* ---- bad input: a clear error, never a crash ---- */

typedef struct {
    const char *name;
    const char *xml;
    gssize len;                /* -1: strlen */
    const char *message;       /* expected substring */
} bad_case;

static const bad_case bad_cases[] = {
    { "empty", "", -1, "not well-formed" },
    { "malformed", "<domain type='qemu'>\n  <devices>\n</domain>\n", -1,
      "line 4: the domain XML is not well-formed: " },
    { "not-domain", "<network><name>n</name></network>", -1,
      "the root element is <network>, not <domain>" },
    { "namespaced-root", "<x:domain xmlns:x='urn:x'/>", -1,
      "the root element <domain> is in namespace 'urn:x'; libvirt's <domain> has none" },
    { "doctype", "<!DOCTYPE domain [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;'>]>"
      "<domain><name>&b;</name></domain>", -1, "document type declaration" },
    { "external-entity", "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
      "<domain><name>&x;</name></domain>", -1, "document type declaration" },
    { "nul", "<domain>\0</domain>", 18, "not valid UTF-8" },
    { "bad-utf8", "<domain><name>\xff\xfe</name></domain>", -1, "not valid UTF-8" },
    { "latin1", "<?xml version='1.0' encoding='ISO-8859-1'?><domain/>", -1,
      "declares encoding 'ISO-8859-1'" },
    { "truncated", "<domain type='qemu'><devices><shmem name='ivshare-a'", -1, "not well-formed" },
};

static void
test_bad(gconstpointer data)
{
    const bad_case *c = data;
    g_autoptr(ivshare_desc) desc = desc_one(FALSE, 0);
    gsize len = c->len < 0 ? strlen(c->xml) : (gsize) c->len;
    g_autoptr(GError) error = NULL;
    g_autofree char *out = ivshare_inject(c->xml, len, desc, &test_conf, &error);

    g_assert_null(out);
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
    if (!strstr(error->message, c->message))
        g_test_message("message: %s", error->message);
    g_assert_nonnull(strstr(error->message, c->message));
    g_assert_true(g_str_has_prefix(error->message, "domain 'vm1'"));
    g_clear_error(&error);
    g_assert_false(ivshare_inject_check(c->xml, len, desc, &test_conf, &error));
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
}

static void
test_huge(void)
{
    g_autoptr(ivshare_desc) desc = desc_one(FALSE, 0);
    gsize len = 16u * 1024 * 1024 + 1;
    g_autofree char *xml = g_malloc(len);
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;

    memset(xml, ' ', len);
    memcpy(xml, "<domain>", 8);
    out = ivshare_inject(xml, len, desc, &test_conf, &error);
    g_assert_null(out);
    g_assert_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID);
    g_assert_cmpstr(error->message, ==,
                    "domain 'vm1' is 16777217 bytes, more than the 16 MiB a domain XML may have.");
}

/* ---- robustness: damaged documents never crash ---- */

/* An error from the ivshare domain, or an output that is stable and matches. */
static void
robust_one(const char *xml, gsize len, const ivshare_desc *desc)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *out = ivshare_inject(xml, len, desc, &test_conf, &error);
    g_autofree char *again = NULL;

    if (!out) {
        g_assert_nonnull(error);
        g_assert_true(error->domain == IVSHARE_ERROR);
        g_assert_false(ivshare_inject_check(xml, len, desc, &test_conf, NULL));
        return;
    }
    g_assert_no_error(error);
    again = ivshare_inject(out, strlen(out), desc, &test_conf, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(again, ==, out);
    g_assert_true(ivshare_inject_check(out, strlen(out), desc, &test_conf, &error));
    g_assert_no_error(error);
}

static void
test_robust(gconstpointer data)
{
    static const char alphabet[] = "<>/'\"=!?-[]&;# \n\tsx";
    g_autofree char *path = data_path(data);
    g_autofree char *in = NULL;
    g_autoptr(ivshare_desc) plain = desc_one(FALSE, 0);
    g_autoptr(ivshare_desc) doorbell = desc_one(TRUE, 2);
    const ivshare_desc *descs[] = { plain, doorbell, NULL };
    g_autoptr(GRand) rand = g_rand_new_with_seed(20261129);
    gsize len;

    g_assert_true(g_file_get_contents(path, &in, &len, NULL));
    /* every prefix */
    for (gsize cut = 0; cut <= len; cut++)
        robust_one(in, cut, descs[cut % G_N_ELEMENTS(descs)]);
    /* one to three bytes changed, many times over */
    for (guint round = 0; round < 3000; round++) {
        g_autofree char *copy = g_memdup2(in, len);
        guint n = (guint) g_rand_int_range(rand, 1, 4);

        for (guint i = 0; i < n; i++)
            copy[g_rand_int_range(rand, 0, (gint32) len)] =
                alphabet[g_rand_int_range(rand, 0, (gint32) sizeof(alphabet) - 1)];
        robust_one(copy, len, descs[round % G_N_ELEMENTS(descs)]);
    }
}

/* ---- registration ---- */

static GPtrArray *
fixture_names(void)
{
    g_autofree char *dir_path = data_path(NULL);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *f;

    g_assert_nonnull(dir);
    while ((f = g_dir_read_name(dir))) {
        if (g_str_has_suffix(f, ".xml") && !g_str_has_suffix(f, ".out.xml"))
            g_ptr_array_add(names, g_strndup(f, strlen(f) - strlen(".xml")));
    }
    return names;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* --libvirt-qemu (suite e2e): only the outputs through libvirt's qemu driver. */
static gboolean
take_flag(int *argc, char **argv, const char *flag)
{
    for (int i = 1; i < *argc; i++) {
        if (strcmp(argv[i], flag) == 0) {
            memmove(argv + i, argv + i + 1, (gsize) (*argc - i) * sizeof(char *));
            *argc -= 1;
            return TRUE;
        }
    }
    return FALSE;
}

static void
add_unit_tests(GPtrArray *names)
{
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autofree char *golden = g_strconcat("/inject/golden/", name, NULL);
        g_autofree char *valid_in = g_strconcat("/inject/libvirt-valid/", name, ".xml", NULL);
        g_autofree char *valid_out = g_strconcat("/inject/libvirt-valid/", name, ".out.xml", NULL);

        g_test_add_data_func(golden, name, test_golden);
        g_test_add_data_func_full(valid_in, g_strconcat(name, ".xml", NULL),
                                  test_libvirt_valid, g_free);
        g_test_add_data_func_full(valid_out, g_strconcat(name, ".out.xml", NULL),
                                  test_libvirt_valid, g_free);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(check_cases); i++) {
        g_autofree char *path = g_strconcat("/inject/check/", check_cases[i].name, NULL);

        g_test_add_data_func(path, &check_cases[i], test_check_message);
    }
    g_test_add_func("/inject/check/match", test_check_match);
    g_test_add_func("/inject/runtime-dir", test_runtime_dir);
    g_test_add_func("/inject/no-description", test_no_description);
    for (gsize i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strconcat("/inject/bad/", bad_cases[i].name, NULL);

        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    g_test_add_func("/inject/bad/huge", test_huge);
    g_test_add_data_func("/inject/robust/mixed", "mixed.xml", test_robust);
    g_test_add_data_func("/inject/robust/comments", "comments.xml", test_robust);
    g_test_add_data_func("/inject/robust/one-line", "one-line.xml", test_robust);
    g_test_add_data_func("/inject/robust/empty-devices", "empty-devices.xml", test_robust);
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) names = NULL;
    gboolean libvirt_qemu = take_flag(&argc, argv, "--libvirt-qemu");

    g_test_init(&argc, &argv, NULL);

    names = fixture_names();
    g_ptr_array_sort(names, compare_names);
    g_assert_cmpuint(names->len, >=, 18);
    if (!libvirt_qemu) {
        add_unit_tests(names);
        return g_test_run();
    }
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autofree char *path = g_strconcat("/inject/libvirt-qemu/", name, ".out.xml", NULL);

        g_test_add_data_func_full(path, g_strconcat(name, ".out.xml", NULL),
                                  test_libvirt_qemu, g_free);
    }
    return g_test_run();
}
