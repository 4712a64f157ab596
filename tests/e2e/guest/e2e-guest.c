/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* e2e-guest.c: the static test program the e2e guests run from their initramfs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ivshare/ivshare.h"
#include "format.h"
#include "e2e-proto.h"

#define E2E_SYSFS_PCI "/sys/bus/pci/devices"
#define E2E_MAX_ERRORS 5

typedef struct {
    const char *region;
    const char *path;        /* -p: a region file, for runs on the host */
    const char *app;         /* -a: the host application, for doorbells */
    const char *self;        /* -d: this guest's domain, for peers */
    const char *other;       /* -o: the other domain, for peers */
    uint32_t count;
    int timeout_ms;          /* longest wait without progress */
    unsigned idle_s;
    ivshare_region *r;
} e2e_guest;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: e2e-guest [-r REGION | -p FILE] [-a APP] [-d SELF] [-o OTHER] [-n COUNT]\n"
            "                 [-t SECONDS] [-s SECONDS] MODE...\n"
            "Modes, run in order:\n"
            "  list        print every ivshmem device and the region it holds\n"
            "  echo        receive COUNT messages on '" E2E_RING_TO_GUEST "', reply to each on\n"
            "              '" E2E_RING_TO_HOST "', fill memzone '" E2E_MEMZONE "'\n"
            "  vm2vm-send  send COUNT stamped '" E2E_POOL "' buffers through ring '" E2E_RING_VM2VM "'\n"
            "  vm2vm-recv  receive and check COUNT buffers from ring '" E2E_RING_VM2VM "'\n"
            "  idle        wait -s SECONDS with the region open\n"
            "  bell        COUNT doorbell round trips with host application -a APP\n"
            "  peers       find this domain (-d) and the other domain (-o) in the peer table\n"
            "  acpi        wait -s SECONDS for the ACPI power button, then return\n");
}

/* Read a small sysfs file of @dev into @buf. */
static int sysfs_read(const char *dev, const char *file, char *buf, size_t len)
{
    char path[512];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/%s/%s", E2E_SYSFS_PCI, dev, file);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* Print what BAR2 of ivshmem device @dev holds (header snapshot only). */
static void list_device(const char *dev)
{
    char path[512];
    struct ivshare_header h;
    struct stat st;
    off_t size;
    void *p;
    int fd;

    snprintf(path, sizeof(path), "%s/%s/resource2", E2E_SYSFS_PCI, dev);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("e2e-guest: list: %s: cannot open BAR2: %s\n", dev, strerror(errno));
        return;
    }
    size = fstat(fd, &st) == 0 ? st.st_size : 0;
    if (size < (off_t)sizeof(h)) {
        printf("e2e-guest: list: %s: BAR2 of %lld bytes is too small\n", dev, (long long)size);
        close(fd);
        return;
    }
    p = mmap(NULL, sizeof(h), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        printf("e2e-guest: list: %s: cannot map BAR2: %s\n", dev, strerror(errno));
        return;
    }
    memcpy(&h, p, sizeof(h));
    munmap(p, sizeof(h));
    h.name[IVSHARE_NAME_MAX] = '\0';
    if (memcmp(h.magic, IVSHARE_MAGIC, sizeof(h.magic)) != 0) {
        printf("e2e-guest: list: %s: %lld bytes, not an ivshare region\n", dev, (long long)size);
        return;
    }
    printf("e2e-guest: list: %s: %lld bytes, region '%s' version %" PRIu32
           ", %" PRIu32 " objects, %s\n", dev, (long long)size, h.name, h.version,
           h.object_count, h.ready == IVSHARE_READY_VALUE ? "ready" : "not ready");
}

static int mode_list(e2e_guest *g)
{
    struct dirent **ents;
    unsigned found = 0;
    int n;

    n = scandir(E2E_SYSFS_PCI, &ents, NULL, alphasort);
    if (n < 0) {
        printf("e2e-guest: list: cannot read %s: %s\n", E2E_SYSFS_PCI, strerror(errno));
        return 1;
    }
    for (int i = 0; i < n; i++) {
        char vendor[16], device[16];

        if (ents[i]->d_name[0] != '.' &&
            sysfs_read(ents[i]->d_name, "vendor", vendor, sizeof(vendor)) == 0 &&
            sysfs_read(ents[i]->d_name, "device", device, sizeof(device)) == 0 &&
            strcmp(vendor, "0x1af4") == 0 && strcmp(device, "0x1110") == 0) {
            list_device(ents[i]->d_name);
            found++;
        }
        free(ents[i]);
    }
    free(ents);
    printf("e2e-guest: list: %u ivshmem devices\n", found);
    return 0;
}

/* Open the region once for every mode that needs it. */
static int open_region(e2e_guest *g)
{
    int64_t deadline = e2e_now_ms() + g->timeout_ms;
    int rc;

    if (g->r)
        return 0;
    for (;;) {
        rc = g->path ? ivshare_path_open(g->path, &g->r) : ivshare_guest_open(g->region, &g->r);
        if (rc != -IVSHARE_ENOTREADY || e2e_now_ms() > deadline)
            break;
        usleep(10000);
    }
    if (rc < 0) {
        printf("e2e-guest: cannot open region '%s': %s\n", g->region, ivshare_strerror(rc));
        return 1;
    }
    return 0;
}

static int lookup_ring(e2e_guest *g, const char *name, ivshare_ring **q)
{
    int rc = ivshare_ring_lookup(g->r, name, q);

    if (rc < 0)
        printf("e2e-guest: region '%s': no ring '%s': %s\n", g->region, name, ivshare_strerror(rc));
    return rc < 0;
}

static int lookup_pool(e2e_guest *g, ivshare_pool **p)
{
    int rc = ivshare_pool_lookup(g->r, E2E_POOL, p);

    if (rc < 0)
        printf("e2e-guest: region '%s': no pool '%s': %s\n", g->region, E2E_POOL,
               ivshare_strerror(rc));
    return rc < 0;
}

/* Wait while @op returns -EAGAIN/-ENOBUFS, at most timeout_ms without success. */
#define E2E_RETRY(g, rc, what, op) do {                                        \
        int64_t deadline_ = e2e_now_ms() + (g)->timeout_ms;                  \
        unsigned idle_ = 0;                                                  \
        while (((rc) = (op)) == -EAGAIN || (rc) == -ENOBUFS) {               \
            if (e2e_now_ms() > deadline_)                                    \
                break;                                                       \
            e2e_backoff(&idle_);                                             \
        }                                                                    \
        if ((rc) < 0)                                                        \
            printf("e2e-guest: %s: %s\n", (what), ivshare_strerror(rc));     \
    } while (0)

static int mode_echo(e2e_guest *g)
{
    ivshare_ring *in, *out;
    void *zone;
    size_t zone_len, len;
    uint64_t bytes_in = 0, bytes_out = 0;
    unsigned errors = 0;
    int64_t t0 = e2e_now_ms();
    uint8_t *buf;
    size_t cap;
    int rc;

    if (open_region(g) || lookup_ring(g, E2E_RING_TO_GUEST, &in) ||
        lookup_ring(g, E2E_RING_TO_HOST, &out))
        return 1;
    rc = ivshare_memzone_lookup(g->r, E2E_MEMZONE, &zone, &zone_len);
    if (rc < 0) {
        printf("e2e-guest: no memzone '%s': %s\n", E2E_MEMZONE, ivshare_strerror(rc));
        return 1;
    }
    cap = ivshare_ring_slot_size(in);
    if (ivshare_ring_slot_size(out) < cap)
        cap = ivshare_ring_slot_size(out);
    if (cap < sizeof(e2e_stamp)) {
        printf("e2e-guest: slots of %zu bytes cannot hold a message\n", cap);
        return 1;
    }
    buf = malloc(ivshare_ring_slot_size(in));
    if (!buf)
        return 1;
    for (uint32_t seq = 0; seq < g->count; seq++) {
        E2E_RETRY(g, rc, "receiving from '" E2E_RING_TO_GUEST "'",
                  ivshare_ring_dequeue(in, buf, ivshare_ring_slot_size(in), &len));
        if (rc < 0)
            break;
        bytes_in += len;
        if (!e2e_verify(buf, len, E2E_MAGIC_MSG, seq, 0) && errors++ < E2E_MAX_ERRORS)
            printf("e2e-guest: echo: message %" PRIu32 " (%zu bytes) is not what was sent\n",
                   seq, len);
        len = e2e_fill(buf, cap, E2E_MAGIC_REPLY, seq, (uint32_t)(len - sizeof(e2e_stamp)), 0xff);
        if (seq + 1 == g->count)
            e2e_stats_write(zone, zone_len, g->count);  /* before the last reply */
        E2E_RETRY(g, rc, "sending to '" E2E_RING_TO_HOST "'", ivshare_ring_enqueue(out, buf, len));
        if (rc < 0)
            break;
        bytes_out += len;
    }
    free(buf);
    printf("e2e-guest: echo: received %" PRIu64 " bytes, replied %" PRIu64
           " bytes, %u bad messages, %" PRId64 " ms\n",
           bytes_in, bytes_out, errors, e2e_now_ms() - t0);
    return rc < 0 || errors;
}

static int mode_vm2vm_send(e2e_guest *g)
{
    ivshare_ring *q;
    ivshare_pool *p;
    uint64_t bytes = 0;
    int64_t t0 = e2e_now_ms();
    uint32_t sent = 0;
    int rc = 0;

    if (open_region(g) || lookup_ring(g, E2E_RING_VM2VM, &q) || lookup_pool(g, &p))
        return 1;
    for (uint32_t seq = 0; seq < g->count; seq++) {
        e2e_handle_msg m = { E2E_MAGIC_HANDLE, seq, 0 };
        size_t len;
        uint8_t *b;

        E2E_RETRY(g, rc, "getting a buffer of pool '" E2E_POOL "'", ivshare_pool_get(p, &m.handle));
        if (rc < 0)
            break;
        b = ivshare_pool_buffer(p, m.handle, &len);
        if (!b || len < sizeof(e2e_stamp)) {
            printf("e2e-guest: pool '%s' gave handle %" PRIu64 " without a usable buffer\n",
                   E2E_POOL, m.handle);
            rc = -EINVAL;
            break;
        }
        len = e2e_fill(b, len, E2E_MAGIC_BUFFER, seq,
                       e2e_payload_len(seq, len - sizeof(e2e_stamp)), 0);
        E2E_RETRY(g, rc, "sending to '" E2E_RING_VM2VM "'", ivshare_ring_enqueue(q, &m, sizeof(m)));
        if (rc < 0)
            break;
        bytes += len;
        sent++;
    }
    printf("e2e-guest: vm2vm-send: sent %" PRIu32 " buffers, %" PRIu64 " bytes, %" PRId64 " ms\n",
           sent, bytes, e2e_now_ms() - t0);
    return rc < 0;
}

static int mode_vm2vm_recv(e2e_guest *g)
{
    ivshare_ring *q;
    ivshare_pool *p;
    uint64_t bytes = 0;
    int64_t t0 = e2e_now_ms();
    uint32_t got = 0;
    unsigned errors = 0;
    int rc = 0;

    if (open_region(g) || lookup_ring(g, E2E_RING_VM2VM, &q) || lookup_pool(g, &p))
        return 1;
    for (uint32_t seq = 0; seq < g->count; seq++) {
        e2e_handle_msg m;
        e2e_stamp s;
        size_t len, cap;
        uint8_t *b;

        E2E_RETRY(g, rc, "receiving from '" E2E_RING_VM2VM "'",
                  ivshare_ring_dequeue(q, &m, sizeof(m), &len));
        if (rc < 0)
            break;
        got++;
        if (len != sizeof(m) || m.magic != E2E_MAGIC_HANDLE || m.seq != seq) {
            if (errors++ < E2E_MAX_ERRORS)
                printf("e2e-guest: vm2vm-recv: message %" PRIu32 " is not a handle message\n", seq);
            continue;
        }
        b = ivshare_pool_buffer(p, m.handle, &cap);
        if (!b || cap < sizeof(s)) {
            if (errors++ < E2E_MAX_ERRORS)
                printf("e2e-guest: vm2vm-recv: handle %" PRIu64 " of message %" PRIu32
                       " is not a buffer of pool '%s'\n", m.handle, seq, E2E_POOL);
            continue;
        }
        memcpy(&s, b, sizeof(s));
        len = sizeof(s) + (s.len <= cap - sizeof(s) ? s.len : 0);
        if (!e2e_verify(b, len, E2E_MAGIC_BUFFER, seq, 0) && errors++ < E2E_MAX_ERRORS)
            printf("e2e-guest: vm2vm-recv: buffer %" PRIu32 " is not what was sent\n", seq);
        bytes += len;
        rc = ivshare_pool_put(p, m.handle);
        if (rc < 0 && errors++ < E2E_MAX_ERRORS)
            printf("e2e-guest: vm2vm-recv: giving back handle %" PRIu64 ": %s\n",
                   m.handle, ivshare_strerror(rc));
        rc = 0;
    }
    printf("e2e-guest: vm2vm-recv: received %" PRIu32 " buffers, %" PRIu64
           " bytes, %u bad, %" PRId64 " ms\n", got, bytes, errors, e2e_now_ms() - t0);
    return rc < 0 || errors || got != g->count;
}

/* Ring the host (BAR0 Doorbell register), wait for its doorbell back. */
static int mode_bell(e2e_guest *g)
{
    e2e_bell_zone *z;
    size_t zone_len;
    unsigned peer, rings = 0, retries = 0, wakes = 0;
    int64_t t0, deadline;
    void *zone;
    int rc;

    if (open_region(g))
        return 1;
    rc = ivshare_memzone_lookup(g->r, E2E_MEMZONE, &zone, &zone_len);
    if (rc < 0 || zone_len < sizeof(*z)) {
        printf("e2e-guest: bell: no usable memzone '%s'\n", E2E_MEMZONE);
        return 1;
    }
    z = zone;
    /* the host application appears in the peer table once it has joined */
    deadline = e2e_now_ms() + g->timeout_ms;
    while ((rc = ivshare_peer_lookup(g->r, g->app, &peer)) < 0 && e2e_now_ms() < deadline)
        usleep(10000);
    if (rc < 0) {
        printf("e2e-guest: bell: host application '%s' is not a peer: %s\n", g->app,
               ivshare_strerror(rc));
        return 1;
    }
    printf("e2e-guest: bell: host application '%s' is peer %u\n", g->app, peer);
    t0 = e2e_now_ms();
    for (uint32_t seq = 1; seq <= g->count; seq++) {
        e2e_store32(&z->request, seq);
        deadline = e2e_now_ms() + g->timeout_ms;
        for (;;) {
            rc = ivshare_doorbell_ring(g->r, peer, E2E_BELL_TO_HOST);
            if (rc < 0) {
                printf("e2e-guest: bell: ringing peer %u: %s\n", peer, ivshare_strerror(rc));
                return 1;
            }
            rings++;
            rc = ivshare_doorbell_wait(g->r, E2E_BELL_TO_GUEST, 1000);
            if (rc < 0 && rc != -ETIMEDOUT) {
                printf("e2e-guest: bell: waiting: %s\n", ivshare_strerror(rc));
                return 1;
            }
            wakes += rc == 0;
            if (e2e_load32(&z->answer) == seq)
                break;
            if (e2e_now_ms() > deadline) {
                printf("e2e-guest: bell: no answer to round %" PRIu32 " within %d s\n",
                       seq, g->timeout_ms / 1000);
                return 1;
            }
            retries += rc == -ETIMEDOUT;
        }
    }
    printf("e2e-guest: bell: %" PRIu32 " round trips, %u doorbells rung, %u doorbells received, %u waits timed out, %"
           PRId64 " ms\n", g->count, rings, wakes, retries, e2e_now_ms() - t0);
    return 0;
}

/* Poll the peer table for @name, at most timeout_ms. */
static int wait_peer(e2e_guest *g, const char *name, unsigned *peer)
{
    int64_t deadline = e2e_now_ms() + g->timeout_ms;
    int rc;

    while ((rc = ivshare_peer_lookup(g->r, name, peer)) < 0 && e2e_now_ms() < deadline)
        usleep(10000);
    if (rc < 0)
        printf("e2e-guest: peers: '%s' is not in the peer table after %d s: %s\n", name,
               g->timeout_ms / 1000, ivshare_strerror(rc));
    return rc < 0;
}

/* Find both domains of a doorbell region by name, print the whole table. */
static int mode_peers(e2e_guest *g)
{
    int64_t t0 = e2e_now_ms();
    unsigned self, other;
    ivshare_peer_info p;
    int rc;

    if (open_region(g) || wait_peer(g, g->self, &self) || wait_peer(g, g->other, &other))
        return 1;
    printf("e2e-guest: peers: self '%s' is peer %u, other '%s' is peer %u (found after %" PRId64
           " ms)\n", g->self, self, g->other, other, e2e_now_ms() - t0);
    for (unsigned i = 0; (rc = ivshare_peer_get_info(g->r, i, &p)) != -ERANGE; i++) {
        if (rc == 0)
            printf("e2e-guest: peers: entry %u: peer %u '%s' (%s, %u vectors)\n", i, p.id,
                   p.name, p.host_app ? "host application" : "domain", p.vectors);
        if (i > 4096)
            break;
    }
    if (self == other) {
        printf("e2e-guest: peers: both domains have peer ID %u\n", self);
        return 1;
    }
    return 0;
}

/* Read the count of an ACPI interrupt file of /sys/firmware/acpi/interrupts. */
static long acpi_count(const char *file)
{
    char path[256], buf[128];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/sys/firmware/acpi/interrupts/%s", file);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return strtol(buf, NULL, 10);
}

/* The I/O port of PM1a_STS from the FADT (offset 56), 0 if unknown. */
static unsigned pm1a_port(void)
{
    uint8_t fadt[64];
    uint32_t port;
    ssize_t n;
    int fd = open("/sys/firmware/acpi/tables/FACP", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    n = read(fd, fadt, sizeof(fadt));
    close(fd);
    if (n < 60)
        return 0;
    memcpy(&port, fadt + 56, sizeof(port));
    return port < 0x10000 ? port : 0;
}

/*
 * The PM1a registers take 16-bit accesses only (QEMU drops a byte write to
 * the high half), so they are read and written with inw/outw after ioperm.
 */
static int pm1a_read(unsigned port, unsigned off)
{
    return port ? inw((unsigned short)(port + off)) : -1;
}

/*
 * Wait for the ACPI power button (what 'virsh shutdown' presses) and
 * return, so that /init powers off.  The kernel counts the fixed event in
 * /sys/firmware/acpi/interrupts/ff_pwr_btn only when a driver handles it
 * (the button module is not in the initramfs), and QEMU raises the event
 * only when PWRBTN_EN is set: the guest sets it in PM1a_EN itself, then
 * watches the counter (the kernel counts the event, clears PWRBTN_STS and
 * PWRBTN_EN again) and the two bits.
 */
static int mode_acpi(e2e_guest *g)
{
    int64_t deadline = e2e_now_ms() + (int64_t)g->idle_s * 1000;
    unsigned port = pm1a_port();
    long start = acpi_count("ff_pwr_btn"), now = start;
    int sts = -1, en = -1, seen = 0;

    if (port && ioperm(port, 4, 1) < 0) {
        printf("e2e-guest: acpi: ioperm(0x%x): %s\n", port, strerror(errno));
        port = 0;
    }
    if (port) {
        outw(1u << 8, (unsigned short)port);        /* clear PWRBTN_STS (write 1) */
        outw((unsigned short)(pm1a_read(port, 2) | (1u << 8)), (unsigned short)(port + 2));
        sts = (pm1a_read(port, 0) >> 8) & 1;
        en = (pm1a_read(port, 2) >> 8) & 1;
    }
    if (start < 0 && en != 1) {
        printf("e2e-guest: acpi: neither ff_pwr_btn nor PM1a (port 0x%x) is usable\n", port);
        return 1;
    }
    printf("e2e-guest: acpi: waiting %u s for the power button (ff_pwr_btn %ld, PM1a port 0x%x,"
           " PWRBTN_STS %d, PWRBTN_EN %d)\n", g->idle_s, start, port, sts, en);
    fflush(stdout);
    while (!seen && e2e_now_ms() < deadline) {
        usleep(20000);
        now = acpi_count("ff_pwr_btn");
        if (start >= 0 && now > start)
            seen = 1;
        if (en == 1) {
            sts = (pm1a_read(port, 0) >> 8) & 1;
            /* the kernel takes the event: counts it, clears STS and EN */
            if (sts == 1 || !((pm1a_read(port, 2) >> 8) & 1))
                seen = 1;
        }
    }
    if (!seen) {
        printf("e2e-guest: acpi: no power button within %u s\n", g->idle_s);
        return 1;
    }
    printf("e2e-guest: acpi: power button pressed (ff_pwr_btn %ld, PWRBTN_STS %d); powering off\n",
           now, sts);
    return 0;
}

static int mode_idle(e2e_guest *g)
{
    if (open_region(g))
        return 1;
    printf("e2e-guest: idle: region '%s' open, waiting %u s\n", g->region, g->idle_s);
    fflush(stdout);
    sleep(g->idle_s);
    return 0;
}

int main(int argc, char **argv)
{
    e2e_guest g = { .region = "fastpath", .app = NULL, .count = 10000, .timeout_ms = 120000, .idle_s = 10 };
    int opt, failed = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "r:p:a:d:o:n:t:s:h")) != -1) {
        switch (opt) {
        case 'r': g.region = optarg; break;
        case 'p': g.path = optarg; break;
        case 'a': g.app = optarg; break;
        case 'd': g.self = optarg; break;
        case 'o': g.other = optarg; break;
        case 'n': g.count = (uint32_t)strtoul(optarg, NULL, 10); break;
        case 't': g.timeout_ms = atoi(optarg) * 1000; break;
        case 's': g.idle_s = (unsigned)atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    for (int i = optind; i < argc && !failed; i++) {
        if (strcmp(argv[i], "list") == 0)
            failed = mode_list(&g);
        else if (strcmp(argv[i], "echo") == 0)
            failed = mode_echo(&g);
        else if (strcmp(argv[i], "vm2vm-send") == 0)
            failed = mode_vm2vm_send(&g);
        else if (strcmp(argv[i], "vm2vm-recv") == 0)
            failed = mode_vm2vm_recv(&g);
        else if (strcmp(argv[i], "bell") == 0) {
            if (!g.app) {
                fprintf(stderr, "e2e-guest: mode 'bell' needs -a APP\n");
                return 2;
            }
            failed = mode_bell(&g);
        }
        else if (strcmp(argv[i], "peers") == 0) {
            if (!g.self || !g.other) {
                fprintf(stderr, "e2e-guest: mode 'peers' needs -d SELF and -o OTHER\n");
                return 2;
            }
            failed = mode_peers(&g);
        }
        else if (strcmp(argv[i], "acpi") == 0)
            failed = mode_acpi(&g);
        else if (strcmp(argv[i], "idle") == 0)
            failed = mode_idle(&g);
        else {
            fprintf(stderr, "e2e-guest: unknown mode '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (g.r)
        ivshare_close(g.r);
    return failed ? 1 : 0;
}
