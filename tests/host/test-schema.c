/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-schema.c: every XML fixture and example against schemas/ivshare-domain.rng.
 *
 * The <shared-memory> element of each file (the root, or a child of
 * /domain/metadata) is validated alone.  Files named *-invalid.xml must fail,
 * except those listed in tests/data/desc/schema-valid, whose problem is
 * semantic (ivshare_desc_check finds it); files with no such element at all
 * are listed in tests/data/desc/no-shared-memory when they are *-invalid.
 */
#include <string.h>

#include "desc.h"

static char *topdir;          /* the source tree */
static xmlRelaxNG *schema;
static GHashTable *schema_valid;     /* path relative to topdir */
static GHashTable *no_element;

static void
ignore_errors(void *data, xmlErrorPtr err)
{
}

static gboolean
is_ours(const xmlNode *n)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           g_str_equal((const char *)n->ns->href, IVSHARE_XMLNS) &&
           g_str_equal((const char *)n->name, "shared-memory");
}

/* The <shared-memory> elements of @doc. */
static GPtrArray *
find_elements(xmlDoc *doc)
{
    GPtrArray *found = g_ptr_array_new();
    xmlNode *root = xmlDocGetRootElement(doc);

    if (!root)
        return found;
    if (is_ours(root)) {
        g_ptr_array_add(found, root);
        return found;
    }
    for (xmlNode *c = root->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || !g_str_equal((const char *)c->name, "metadata"))
            continue;
        for (xmlNode *m = c->children; m; m = m->next) {
            if (is_ours(m))
                g_ptr_array_add(found, m);
        }
    }
    return found;
}

static gboolean
validate_element(xmlNode *n)
{
    g_autoptr(xmlDoc) own = xmlNewDoc((const xmlChar *)"1.0");
    g_autoptr(xmlRelaxNGValidCtxt) vctxt = xmlRelaxNGNewValidCtxt(schema);

    xmlDocSetRootElement(own, xmlDocCopyNode(n, own, 1));
    xmlRelaxNGSetValidStructuredErrors(vctxt, ignore_errors, NULL);
    return xmlRelaxNGValidateDoc(vctxt, own) == 0;
}

static void
test_file(gconstpointer data)
{
    const char *rel = data;
    g_autofree char *path = g_build_filename(topdir, rel, NULL);
    gboolean invalid = g_str_has_suffix(rel, "-invalid.xml");
    gboolean listed_valid = g_hash_table_contains(schema_valid, rel);
    gboolean listed_none = g_hash_table_contains(no_element, rel);
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(GPtrArray) elements = NULL;
    gboolean ok = TRUE;

    xmlSetStructuredErrorFunc(NULL, ignore_errors);
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlSetStructuredErrorFunc(NULL, NULL);
    elements = doc ? find_elements(doc) : g_ptr_array_new();

    g_assert_false(listed_valid && listed_none);
    if (elements->len == 0) {
        /* nothing to validate: a domain without a description, or listed */
        if (invalid && !listed_none)
            g_error("%s has no <shared-memory> element: list it in no-shared-memory", rel);
        g_assert_false(listed_valid);
        g_assert_true(doc || listed_none);
        return;
    }
    if (listed_none)
        g_error("%s is listed in no-shared-memory but has a <shared-memory> element", rel);
    for (guint i = 0; i < elements->len; i++)
        ok = validate_element(g_ptr_array_index(elements, i)) && ok;
    if (invalid && !listed_valid && ok)
        g_error("%s passes the schema: fix the schema, or list the file in schema-valid if its error is semantic", rel);
    if ((!invalid || listed_valid) && !ok)
        g_error("%s fails the schema", rel);
    if (listed_valid)
        g_assert_true(invalid);
}

static GHashTable *
read_list(const char *name)
{
    g_autofree char *path = g_build_filename(topdir, "tests", "data", "desc", name, NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char *entry = g_strstrip(*l);
        g_autofree char *full = NULL;

        if (!*entry || *entry == '#')
            continue;
        full = g_build_filename(topdir, entry, NULL);
        if (!g_file_test(full, G_FILE_TEST_EXISTS))
            g_error("%s lists %s, which does not exist", name, entry);
        g_hash_table_add(set, g_strdup(entry));
    }
    return set;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.xml under tests/data/ and data/examples/. */
static void
collect(const char *rel, GPtrArray *out)
{
    g_autofree char *path = g_build_filename(topdir, rel, NULL);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(rel, name, NULL);
        g_autofree char *full = g_build_filename(topdir, child, NULL);

        if (g_file_test(full, G_FILE_TEST_IS_DIR))
            collect(child, out);
        else if (g_str_has_suffix(name, ".xml"))
            g_ptr_array_add(out, g_steal_pointer(&child));
    }
}

static void
test_schema_itself(void)
{
    static const char *good =
        "<shared-memory xmlns='" IVSHARE_XMLNS "'><region name='r' host-app='a'>"
        "<ring name='q' slot-size='1K' slots='8'/></region></shared-memory>";
    static const char *bad =
        "<shared-memory xmlns='" IVSHARE_XMLNS "'><region name='r'>"
        "<ring name='q' slot-size='1K' slots='8'/></region></shared-memory>";
    g_autoptr(xmlDoc) g = xmlReadMemory(good, strlen(good), "good", NULL, XML_PARSE_NONET);
    g_autoptr(xmlDoc) b = xmlReadMemory(bad, strlen(bad), "bad", NULL, XML_PARSE_NONET);

    g_assert_true(validate_element(xmlDocGetRootElement(g)));
    g_assert_false(validate_element(xmlDocGetRootElement(b)));
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *rng = NULL;
    g_autoptr(xmlRelaxNGParserCtxt) pctxt = NULL;
    int rc;

    g_test_init(&argc, &argv, NULL);
    topdir = g_test_build_filename(G_TEST_DIST, "..", NULL);
    rng = g_build_filename(topdir, "schemas", "ivshare-domain.rng", NULL);
    pctxt = xmlRelaxNGNewParserCtxt(rng);
    schema = xmlRelaxNGParse(pctxt);
    g_assert_nonnull(schema);
    schema_valid = read_list("schema-valid");
    no_element = read_list("no-shared-memory");

    collect("tests/data", files);
    collect("data/examples", files);
    g_ptr_array_sort(files, compare_names);
    g_assert_cmpuint(files->len, >, 0);
    g_test_add_func("/schema/itself", test_schema_itself);
    for (guint i = 0; i < files->len; i++) {
        const char *rel = g_ptr_array_index(files, i);
        g_autofree char *name = g_strdup_printf("/schema/%s", rel);

        g_test_add_data_func(name, rel, test_file);
    }
    rc = g_test_run();
    xmlRelaxNGFree(schema);
    g_hash_table_unref(schema_valid);
    g_hash_table_unref(no_element);
    g_free(topdir);
    return rc;
}
