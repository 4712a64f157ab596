/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-process.c: two processes exchange messages through one region file. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

#define MESSAGES 1000000u
#define MSG_MAX 64
#define STALL_US (30 * G_USEC_PER_SEC)

static size_t msg_fill(guint8 *m, guint32 seq, guint32 from)
{
    size_t len = 8 + seq % (MSG_MAX - 8 + 1);

    memcpy(m, &seq, 4);
    memcpy(m + 4, &from, 4);
    for (size_t i = 8; i < len; i++)
        m[i] = (guint8)(seq ^ (from << 4) ^ i);
    return len;
}

/*
 * Send MESSAGES on @out and receive MESSAGES on @in, interleaved; return
 * a description of the first problem, or NULL.
 */
static const char *exchange(const char *path, const char *out, const char *in,
                            guint32 me, guint32 peer)
{
    ivshare_region *r;
    ivshare_ring *tx, *rx;
    guint32 sent = 0, received = 0;
    guint8 m[MSG_MAX], want[MSG_MAX];
    gint64 progress = g_get_monotonic_time();

    if (ivshare_path_open(path, &r) < 0)
        return "cannot open the region";
    if (ivshare_ring_lookup(r, out, &tx) < 0 || ivshare_ring_lookup(r, in, &rx) < 0)
        return "cannot find the rings";
    while (sent < MESSAGES || received < MESSAGES) {
        gboolean moved = FALSE;
        size_t len;

        if (sent < MESSAGES) {
            len = msg_fill(m, sent, me);
            int rc = ivshare_ring_enqueue(tx, m, len);
            if (rc == 0) {
                sent++;
                moved = TRUE;
            } else if (rc != -EAGAIN) {
                return "enqueue failed";
            }
        }
        if (received < MESSAGES) {
            int rc = ivshare_ring_dequeue(rx, m, sizeof(m), &len);
            if (rc == 0) {
                size_t wlen = msg_fill(want, received, peer);
                if (len != wlen || memcmp(m, want, len) != 0)
                    return "a message was lost, duplicated, reordered or damaged";
                received++;
                moved = TRUE;
            } else if (rc != -EAGAIN) {
                return "dequeue failed";
            }
        }
        if (moved)
            progress = g_get_monotonic_time();
        else if (g_get_monotonic_time() - progress > STALL_US)
            return "no progress for 30 seconds";
    }
    ivshare_close(r);
    return NULL;
}

static void test_two_processes(gconstpointer data)
{
    uint32_t flags = GPOINTER_TO_UINT(data);
    g_autofree char *dir = g_dir_make_tmp("ivshare-test-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "region", NULL);
    ivshare_layout_object o[2];
    ivshare_layout l = { .objects = o, .n_objects = 2 };
    const char *problem;
    size_t size;
    void *mem;
    pid_t pid;
    int status, fd;

    test_object_ring(&o[0], "to-child", 1024, MSG_MAX, flags);
    test_object_ring(&o[1], "to-parent", 256, MSG_MAX, flags);
    mem = test_format(&l, "procs", &size);
    fd = g_open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, mem, size), ==, (ssize_t)size);
    close(fd);
    munmap(mem, size);

    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        problem = exchange(path, "to-parent", "to-child", 2, 1);
        if (problem)
            g_printerr("child: %s\n", problem);
        _exit(problem ? 1 : 0);
    }
    problem = exchange(path, "to-child", "to-parent", 1, 2);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_null(problem);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/core/process/spsc", GUINT_TO_POINTER(0), test_two_processes);
    g_test_add_data_func("/core/process/mpmc",
                         GUINT_TO_POINTER(IVSHARE_RING_MULTI_PRODUCER | IVSHARE_RING_MULTI_CONSUMER),
                         test_two_processes);
    return g_test_run();
}
