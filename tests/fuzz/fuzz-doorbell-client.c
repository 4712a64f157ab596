/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-doorbell-client.c: fuzz target of the core library's side of the
 * doorbell protocol (src/core/doorbell-host.c), which trusts ivshared no
 * more than the region.  A fake server at RUNTIME/REGION.sock, in a
 * thread, writes what the input says: whole messages (a small value or any
 * 64-bit one, with zero, one or two eventfds) or raw bytes that split
 * messages, then hangs up.  ivshare_doorbell_join() reads the welcome;
 * rings and waits read the rest as notices.  Afterwards every descriptor
 * the server sent is closed again: none may stay open.
 *
 * Input: u8 vectors (1..4 from its low bits), then records of u8 op:
 *   op & 3 == 0: a message of value (int8) next byte
 *   op & 3 == 1: a message of value next 8 bytes
 *   op & 3 == 2: (op >> 4) raw bytes
 *   op & 3 == 3: ring peer (next byte % 70), vector (op >> 4), after joining
 * with op & 4: one eventfd, op & 8: two (for 0 and 1).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz.h"

#define MAX_VECTORS 4
#define MAX_RINGS 32

static char *runtime;
static int listen_fd = -1;
static ivshare_app *app;
static uint8_t *regions[MAX_VECTORS + 1];
static size_t region_size;

static void
setup(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *sock = NULL;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };

    runtime = g_dir_make_tmp("ivshare-fuzz-XXXXXX", &error);
    FUZZ_CHECK(runtime != NULL);
    g_setenv("IVSHARE_RUNTIME_DIR", runtime, TRUE);
    FUZZ_CHECK(ivshare_app_register("fuzzapp", &app) == 0);
    sock = g_build_filename(runtime, "bell.sock", NULL);
    g_strlcpy(addr.sun_path, sock, sizeof(addr.sun_path));
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(listen_fd >= 0);
    FUZZ_CHECK(bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
    FUZZ_CHECK(listen(listen_fd, 4) == 0);
}

/* The doorbell region "bell" with @vectors vectors, formatted once. */
static uint8_t *
region(unsigned vectors)
{
    if (!regions[vectors]) {
        ivshare_layout_object o = { .name = "z", .type = IVSHARE_OBJECT_MEMZONE, .size = 64 };
        ivshare_layout l = { .name = "bell", .objects = &o, .n_objects = 1,
                             .flags = IVSHARE_REGION_DOORBELL, .vectors = vectors, .generation = 1 };
        FUZZ_CHECK(ivshare_layout_compute(&l) == 0);
        region_size = l.used_size;
        regions[vectors] = aligned_alloc(64, (region_size + 63) / 64 * 64);
        FUZZ_CHECK(ivshare_region_format(regions[vectors], region_size, &l) == 0);
    }
    return regions[vectors];
}

typedef struct {
    const uint8_t *data;
    size_t size;
} script;

static void
send_chunk(int sock, const void *bytes, size_t len, int nfds)
{
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } control;
    struct iovec iov = { .iov_base = (void *)bytes, .iov_len = len };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    int fds[2] = { -1, -1 };

    if (nfds > 0) {
        struct cmsghdr *c;
        for (int i = 0; i < nfds; i++)
            fds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    (void)sendmsg(sock, &msg, MSG_NOSIGNAL);
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
}

/* The fake ivshared: one client, the scripted stream, then hang up. */
static void *
serve(void *data)
{
    const script *s = data;
    fuzz_reader in = { .data = s->data, .size = s->size, .pos = 1 };
    int sock = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

    if (sock < 0)
        return NULL;
    while (!fuzz_done(&in)) {
        uint8_t op = fuzz_u8(&in);
        int nfds = op & 8 ? 2 : op & 4 ? 1 : 0;
        uint8_t raw[16];
        uint64_t le;

        switch (op & 3) {
        case 0:
            le = GUINT64_TO_LE((guint64)(gint64)(int8_t)fuzz_u8(&in));
            send_chunk(sock, &le, sizeof(le), nfds);
            break;
        case 1:
            le = GUINT64_TO_LE(fuzz_u64(&in));
            send_chunk(sock, &le, sizeof(le), nfds);
            break;
        case 2:
            for (unsigned i = 0; i < (unsigned)(op >> 4); i++)
                raw[i] = fuzz_u8(&in);
            if (op >> 4)
                send_chunk(sock, raw, op >> 4, nfds);
            break;
        default:
            (void)fuzz_u8(&in); /* for the client */
            break;
        }
    }
    close(sock);
    return NULL;
}

static unsigned
count_fds(void)
{
    g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
    unsigned n = 0;

    while (d && g_dir_read_name(d))
        n++;
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    script s = { .data = data, .size = size };
    fuzz_reader in = { .data = data, .size = size };
    unsigned vectors, before, rings = 0;
    ivshare_region *r = NULL;
    uint8_t *mem;
    pthread_t server;
    int rc;

    if (!runtime)
        setup();
    vectors = fuzz_u8(&in) % MAX_VECTORS + 1;
    before = count_fds();
    mem = region(vectors); /* before region_size is read */
    FUZZ_CHECK(ivshare_mem_open(mem, region_size, &r) == 0);
    FUZZ_CHECK(pthread_create(&server, NULL, serve, &s) == 0);

    rc = ivshare_doorbell_join(r, app);
    if (g_getenv("FUZZ_VERBOSE"))
        g_printerr("join: %d (%s)\n", rc, ivshare_strerror(rc));
    FUZZ_CHECK(rc == 0 || rc == -EPROTO || rc == -EPIPE || rc == -ETIMEDOUT);
    if (rc == 0) {
        /* the rest of the stream arrives as notices, read by rings and waits */
        FUZZ_CHECK(ivshare_doorbell_join(r, app) == -EALREADY);
        while (!fuzz_done(&in) && rings < MAX_RINGS) {
            uint8_t op = fuzz_u8(&in);
            if ((op & 3) == 0)
                (void)fuzz_u8(&in);
            else if ((op & 3) == 1)
                (void)fuzz_u64(&in);
            else if ((op & 3) == 2)
                for (unsigned i = 0; i < (unsigned)(op >> 4); i++)
                    (void)fuzz_u8(&in);
            else {
                unsigned peer = fuzz_u8(&in) % 70, vector = op >> 4;
                rc = ivshare_doorbell_ring(r, peer, vector);
                FUZZ_CHECK(rc == 0 || rc == -ENOENT || rc == -EINVAL);
                rc = ivshare_doorbell_wait(r, vector % vectors, 0);
                FUZZ_CHECK(rc == 0 || rc == -ETIMEDOUT || rc == -EINVAL);
                rings++;
            }
        }
    }
    ivshare_close(r);
    pthread_join(server, NULL);
    /* every descriptor the server sent was closed with the region */
    FUZZ_CHECK(count_fds() == before);
    return 0;
}
