/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* guest.c: find ivshare regions among the ivshmem PCI devices of a VM. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

#define IVSHARE_SYSFS_PCI "/sys/bus/pci/devices"
#define IVSHARE_PCI_VENDOR 0x1af4u      /* Red Hat, Inc. */
#define IVSHARE_PCI_DEVICE 0x1110u      /* Inter-VM shared memory */
#define IVSHARE_BAR0_SIZE 256u
#define IVSHARE_BAR0_IVPOSITION 8u      /* own peer ID, doorbell devices */

/* The hexadecimal number in file @dir/@name, or -1. */
static long ivshare_sysfs_hex(const char *dir, const char *name)
{
    char path[PATH_MAX], text[32];
    long v = -1;
    FILE *f;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
        return -1;
    f = fopen(path, "re");
    if (!f)
        return -1;
    if (fgets(text, sizeof(text), f)) {
        char *end;
        errno = 0;
        v = strtol(text, &end, 16);
        if (errno || end == text)
            v = -1;
    }
    fclose(f);
    return v;
}

/* Size of BAR @bar from the device's "resource" file (one line per BAR). */
static size_t ivshare_sysfs_bar_size(const char *dir, unsigned bar)
{
    char path[PATH_MAX], line[256];
    unsigned long long start, end, flags;
    size_t size = 0;
    FILE *f;

    if ((size_t)snprintf(path, sizeof(path), "%s/resource", dir) >= sizeof(path))
        return 0;
    f = fopen(path, "re");
    if (!f)
        return 0;
    for (unsigned i = 0; fgets(line, sizeof(line), f); i++) {
        if (i != bar)
            continue;
        if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) == 3 &&
            start != 0 && end > start && end - start < SIZE_MAX)
            size = (size_t)(end - start + 1);
        break;
    }
    fclose(f);
    return size;
}

/* Open @dir/resource@bar read-write: the fd and its size, or -1. */
static int ivshare_sysfs_bar_open(const char *dir, unsigned bar, size_t *size)
{
    char path[PATH_MAX];
    struct stat st;
    int fd;

    if ((size_t)snprintf(path, sizeof(path), "%s/resource%u", dir, bar) >= sizeof(path))
        return -1;
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    *size = 0;
    if (fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size <= SIZE_MAX)
        *size = (size_t)st.st_size;
    if (*size == 0)
        *size = ivshare_sysfs_bar_size(dir, bar);
    if (*size == 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void ivshare_sysfs_enable(const char *dir)
{
    char path[PATH_MAX];
    int fd;

    if ((size_t)snprintf(path, sizeof(path), "%s/enable", dir) >= sizeof(path))
        return;
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (write(fd, "1", 1) < 0) {
        /* already enabled, or not allowed: mapping may still work */
    }
    close(fd);
}

/* Map BAR0 (the doorbell registers) of the device into @r, if it has one. */
static void ivshare_guest_map_bar0(const char *dir, ivshare_region *r)
{
    size_t size;
    int fd = ivshare_sysfs_bar_open(dir, 0, &size);
    void *p;

    if (fd < 0)
        return;
    if (size > IVSHARE_BAR0_SIZE)
        size = IVSHARE_BAR0_SIZE;
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return;
    r->bar0 = p;
    r->bar0_size = size;
    if (size >= IVSHARE_BAR0_IVPOSITION + 4) {
        uint32_t id = *(volatile uint32_t *)(r->bar0 + IVSHARE_BAR0_IVPOSITION);
        if (id <= UINT16_MAX)
            ivshare_doorbell_attach(r, (int)id);
    }
}

/* Open the region of ivshmem device @dir if it is called @name. */
static int ivshare_guest_try(const char *dir, const char *name, ivshare_region **out)
{
    size_t size;
    int fd, rc;

    if (ivshare_sysfs_hex(dir, "vendor") != IVSHARE_PCI_VENDOR ||
        ivshare_sysfs_hex(dir, "device") != IVSHARE_PCI_DEVICE)
        return -ENODEV;
    ivshare_sysfs_enable(dir);
    fd = ivshare_sysfs_bar_open(dir, 2, &size);
    if (fd < 0)
        return -ENODEV;
    rc = ivshare_fd_open(fd, size, true, out);
    close(fd);
    if (rc < 0)
        return rc;
    if (strcmp((*out)->hdr.name, name) != 0) {
        ivshare_close(*out);
        *out = NULL;
        return -ENOENT;
    }
    ivshare_guest_map_bar0(dir, *out);
    return 0;
}

IVSHARE_EXPORT int ivshare_guest_open(const char *region, ivshare_region **out)
{
    const char *root = getenv("IVSHARE_SYSFS_PCI");
    struct dirent **entries;
    bool not_ready = false;
    int n, rc = -ENOENT;

    if (!region || !out || !ivshare_name_valid(region, IVSHARE_NAME_LEN))
        return -EINVAL;
    if (!root || !root[0])
        root = IVSHARE_SYSFS_PCI;
    n = scandir(root, &entries, NULL, alphasort);
    if (n < 0)
        return errno == ENOENT ? -ENOENT : -errno;
    for (int i = 0; i < n; i++) {
        char dir[PATH_MAX];

        if (rc == 0 || entries[i]->d_name[0] == '.' ||
            (size_t)snprintf(dir, sizeof(dir), "%s/%s", root,
                             entries[i]->d_name) >= sizeof(dir))
            continue;
        int r = ivshare_guest_try(dir, region, out);
        if (r == 0)
            rc = 0;
        else if (r == -IVSHARE_ENOTREADY)
            not_ready = true;
    }
    for (int i = 0; i < n; i++)
        free(entries[i]);
    free(entries);
    if (rc < 0 && not_ready)
        rc = -IVSHARE_ENOTREADY;
    return rc;
}
