/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fixture.h: a private ivshare installation in a temporary directory for
 * host-library tests: settings file, region, runtime and link directories.
 */
#ifndef IVSHARE_TEST_FIXTURE_H
#define IVSHARE_TEST_FIXTURE_H

#include "build.h"

typedef struct {
    char *dir;
    char *conf_path;
    ivshare_conf *conf;
} test_env_fixture;

/*
 * Create the directories and settings; @hugepage_dir NULL puts hugepage
 * regions in the temporary directory too (for tests that use shm only).
 */
void test_fixture_setup(test_env_fixture *f, const char *hugepage_dir);
void test_fixture_teardown(test_env_fixture *f);

/* Parse @xml (a domain or bare description) or fail the test. */
ivshare_desc *test_desc_xml(const char *xml, const char *source);
ivshare_desc *test_desc_ini(const char *ini, const char *source);

/* Remove @path and everything below it (links are removed, not followed). */
void test_remove_tree(const char *path);

/* Number of entries in @dir (0 when it does not exist). */
guint test_dir_count(const char *dir);

/* A mounted hugetlbfs with 2M pages, or NULL (and the reason in *why). */
char *test_hugetlbfs_dir(guint64 pages_needed, char **why);

#endif /* IVSHARE_TEST_FIXTURE_H */
