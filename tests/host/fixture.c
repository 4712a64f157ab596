/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fixture.c: a private ivshare installation for host-library tests. */
#include "fixture.h"

#include <glib/gstdio.h>
#include <mntent.h>
#include <stdio.h>
#include <sys/statfs.h>
#include <unistd.h>

#define HUGETLBFS_MAGIC 0x958458f6

void
test_fixture_setup(test_env_fixture *f, const char *hugepage_dir)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *huge = NULL;
    g_autofree char *text = NULL;

    f->dir = g_dir_make_tmp("ivshare-test-XXXXXX", &error);
    g_assert_no_error(error);
    huge = hugepage_dir ? g_build_filename(hugepage_dir, strrchr(f->dir, '/') + 1, NULL)
                        : g_build_filename(f->dir, "huge", NULL);
    text = g_strdup_printf("[paths]\n"
                           "hugepage-dir=%s\n"
                           "shm-dir=%s/shm\n"
                           "runtime-dir=%s/run\n"
                           "domains-dir=%s/domains\n"
                           "link-dir=%s/links\n",
                           huge, f->dir, f->dir, f->dir, f->dir);
    f->conf_path = g_build_filename(f->dir, "ivshare.conf", NULL);
    g_file_set_contents(f->conf_path, text, -1, &error);
    g_assert_no_error(error);
    /* the core library finds the runtime directory through the environment */
    g_setenv("IVSHARE_CONF", f->conf_path, TRUE);
    g_unsetenv("IVSHARE_RUNTIME_DIR");
    f->conf = ivshare_conf_load(f->conf_path, &error);
    g_assert_no_error(error);
    g_assert_cmpint(g_mkdir_with_parents(f->conf->link_dir, 0755), ==, 0);
    g_assert_cmpint(g_mkdir_with_parents(f->conf->domains_dir, 0755), ==, 0);
}

void
test_remove_tree(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            test_remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

void
test_fixture_teardown(test_env_fixture *f)
{
    test_remove_tree(f->conf->hugepage_dir);
    test_remove_tree(f->dir);
    ivshare_conf_free(f->conf);
    g_free(f->conf_path);
    g_free(f->dir);
    g_unsetenv("IVSHARE_CONF");
}

ivshare_desc *
test_desc_xml(const char *xml, const char *source)
{
    g_autoptr(GError) error = NULL;
    ivshare_desc *desc = NULL;

    g_assert_true(ivshare_desc_from_xml(xml, strlen(xml), source, &desc, &error));
    g_assert_no_error(error);
    g_assert_nonnull(desc);
    return desc;
}

ivshare_desc *
test_desc_ini(const char *ini, const char *source)
{
    g_autoptr(GError) error = NULL;
    ivshare_desc *desc = NULL;

    g_assert_true(ivshare_desc_from_ini(ini, strlen(ini), source, NULL, &desc, &error));
    g_assert_no_error(error);
    g_assert_nonnull(desc);
    return desc;
}

guint
test_dir_count(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

char *
test_hugetlbfs_dir(guint64 pages_needed, char **why)
{
    g_autofree char *free_text = NULL;
    struct mntent *m;
    char *found = NULL;
    FILE *mounts = setmntent("/proc/mounts", "r");

    while (mounts && (m = getmntent(mounts))) {
        struct statfs st;
        if (g_str_equal(m->mnt_type, "hugetlbfs") && statfs(m->mnt_dir, &st) == 0 &&
            st.f_bsize == 2 * 1024 * 1024 && access(m->mnt_dir, W_OK) == 0) {
            found = g_strdup(m->mnt_dir);
            break;
        }
    }
    if (mounts)
        endmntent(mounts);
    if (!found) {
        *why = g_strdup("no writable hugetlbfs mount with 2M pages (tests/e2e/host-setup.sh makes one)");
        return NULL;
    }
    if (!g_file_get_contents("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
                             &free_text, NULL, NULL) ||
        g_ascii_strtoull(free_text, NULL, 10) < pages_needed) {
        *why = g_strdup_printf("fewer than %" G_GUINT64_FORMAT " free 2M hugepages", pages_needed);
        g_free(found);
        return NULL;
    }
    return found;
}
