/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * replay.c: the main() of a fuzz target built without a fuzzing engine:
 * feed it every file of the corpus directories (or files) given as
 * arguments, one TAP test point per file.  An empty corpus is a failure,
 * not a pass.
 */
#include <stdio.h>

#include "fuzz.h"

static void
replay(const char *path, guint *n)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *data = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, &error)) {
        printf("not ok %u - %s: %s\n", ++*n, path, error->message);
        exit(1);
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    printf("ok %u - %s (%" G_GSIZE_FORMAT " bytes)\n", ++*n, path, len);
    fflush(stdout);
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    guint n = 0;

    for (int i = 1; i < argc; i++) {
        g_autoptr(GDir) dir = NULL;
        const char *name;

        if (!g_file_test(argv[i], G_FILE_TEST_IS_DIR)) {
            g_ptr_array_add(files, g_strdup(argv[i]));
            continue;
        }
        dir = g_dir_open(argv[i], 0, NULL);
        while (dir && (name = g_dir_read_name(dir)))
            if (name[0] != '.')
                g_ptr_array_add(files, g_build_filename(argv[i], name, NULL));
    }
    g_ptr_array_sort(files, compare_names);
    printf("1..%u\n", files->len ? files->len : 1);
    if (files->len == 0) {
        printf("not ok 1 - no corpus file to replay\n");
        return 1;
    }
    for (guint i = 0; i < files->len; i++)
        replay(g_ptr_array_index(files, i), &n);
    return 0;
}
