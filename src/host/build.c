/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* build.c: building and verifying region files under their lock. */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

#define HUGETLBFS_MAGIC 0x958458f6

static char *
runtime_path(const ivshare_conf *conf, const char *sub, const char *name)
{
    return g_build_filename(conf->runtime_dir, sub, name, NULL);
}

static gboolean
make_dir(const char *path, int mode, GError **error)
{
    if (g_mkdir_with_parents(path, mode) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot create directory '%s': %s"), path, g_strerror(err));
        return FALSE;
    }
    return TRUE;
}

/* The region's build lock, held until the returned fd is closed. */
static int
lock_region(const char *region, const ivshare_conf *conf, GError **error)
{
    g_autofree char *dir = g_build_filename(conf->runtime_dir, "locks", NULL);
    g_autofree char *name = g_strconcat(region, ".lock", NULL);
    g_autofree char *path = g_build_filename(dir, name, NULL);
    int fd;

    if (!make_dir(dir, 0755, error))
        return -1;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot lock region '%s' through '%s': %s"), region, path, g_strerror(err));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

typedef struct {
    int fd;
} lock_guard;

static void
lock_guard_release(lock_guard *g)
{
    if (g->fd >= 0)
        close(g->fd);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(lock_guard, lock_guard_release)

/* Hugepages of @page_size that a new mapping can still reserve. */
static guint64
available_hugepages(guint64 page_size)
{
    static const char *const counters[] = { "free_hugepages", "resv_hugepages" };
    guint64 value[2] = { 0, 0 };

    for (int i = 0; i < 2; i++) {
        g_autofree char *path = g_strdup_printf("/sys/kernel/mm/hugepages/hugepages-%" G_GUINT64_FORMAT "kB/%s",
                                                page_size / 1024, counters[i]);
        g_autofree char *text = NULL;
        if (g_file_get_contents(path, &text, NULL, NULL))
            value[i] = g_ascii_strtoull(text, NULL, 10);
    }
    return value[0] - MIN(value[0], value[1]);
}

static gboolean
set_shortage_error(const ivshare_region_desc *r, guint64 size, GError **error)
{
    g_autofree char *ps = ivshare_format_size(r->page_size);

    if (r->backing == IVSHARE_BACKING_HUGEPAGES)
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_RESOURCE,
                    _("region '%s' needs %" PRIu64 " hugepages of %s but only %"
                      PRIu64 " are free; reserve more through /proc/sys/vm/nr_hugepages"),
                    r->name, size / r->page_size, ps, available_hugepages(r->page_size));
    else
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_RESOURCE,
                    _("region '%s' needs %" PRIu64 " bytes of shared memory, which is not available"),
                    r->name, size);
    return FALSE;
}

/* The directory a region's file lives in must exist and fit its backing. */
static gboolean
check_backing_dir(const ivshare_region_desc *r, const char *dir, GError **error)
{
    struct statfs st;

    if (!make_dir(dir, 0755, error))
        return FALSE;
    if (statfs(dir, &st) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot examine '%s': %s"), dir, g_strerror(err));
        return FALSE;
    }
    if (r->backing != IVSHARE_BACKING_HUGEPAGES)
        return TRUE;
    if ((guint32)st.f_type != HUGETLBFS_MAGIC) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_RESOURCE,
                    _("region '%s' wants hugepages but '%s' is not on a hugetlbfs mount; "
                      "mount one (mount -t hugetlbfs nodev /dev/hugepages) or use backing='shm'"),
                    r->name, dir);
        return FALSE;
    }
    if ((guint64)st.f_bsize != r->page_size) {
        g_autofree char *want = ivshare_format_size(r->page_size);
        g_autofree char *have = ivshare_format_size(st.f_bsize);
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_RESOURCE,
                    _("region '%s' wants %s hugepages but '%s' holds pages of %s"),
                    r->name, want, dir, have);
        return FALSE;
    }
    return TRUE;
}

/*
 * Allocate every page of the file now, so that nobody gets SIGBUS later;
 * with a NUMA node, fault the pages in under a bind policy instead.
 */
static gboolean
preallocate(const ivshare_region_desc *r, int fd, void *mem, guint64 size, GError **error)
{
    int err = 0;

    if (r->numa_node >= 0) {
        unsigned long mask[16] = { 0 };
        g_autofree char *node = g_strdup_printf("/sys/devices/system/node/node%d", r->numa_node);
        if ((guint)r->numa_node >= sizeof(mask) * 8 || !g_file_test(node, G_FILE_TEST_IS_DIR)) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_RESOURCE,
                        _("region '%s' asks for NUMA node %d, which this host does not have"),
                        r->name, r->numa_node);
            return FALSE;
        } else {
            mask[r->numa_node / (8 * sizeof(long))] |= 1UL << (r->numa_node % (8 * sizeof(long)));
            /* MPOL_BIND = 2 */
            if (syscall(SYS_mbind, mem, size, 2, mask, sizeof(mask) * 8, 0) < 0)
                err = errno;
            else
                for (guint64 off = 0; off < size; off += r->page_size)
                    ((volatile char *)mem)[off] = 0;
        }
    } else if (fallocate(fd, 0, 0, (off_t)size) < 0) {
        err = errno;
    }

    if (err == ENOSPC || err == ENOMEM)
        return set_shortage_error(r, size, error);
    if (err != 0) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot allocate the memory of region '%s': %s"), r->name, g_strerror(err));
        return FALSE;
    }
    return TRUE;
}

static gboolean
set_owner(const char *path, int fd, const ivshare_conf *conf, GError **error)
{
    uid_t uid;
    gid_t gid;

    if (fchmod(fd, 0660) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot set the mode of '%s': %s"), path, g_strerror(err));
        return FALSE;
    }
    if (geteuid() != 0)
        return TRUE; /* only root can give files away; the owner keeps it */
    if (!ivshare_conf_qemu_ids(conf, &uid, &gid, error))
        return FALSE;
    if (fchown(fd, uid, gid) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot give '%s' to the QEMU user: %s"), path, g_strerror(err));
        return FALSE;
    }
    return TRUE;
}

/* Write a new region file at @path through a temporary file. */
static gboolean
write_region(const ivshare_region_desc *r, const ivshare_layout *layout, guint64 size,
             const char *path, const ivshare_conf *conf, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.XXXXXX", dir, r->name);
    ivshare_layout l = *layout;
    void *mem;
    int fd, rc;

    if (!check_backing_dir(r, dir, error))
        return FALSE;
    fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot create '%s': %s"), tmp, g_strerror(err));
        return FALSE;
    }
    if (r->backing == IVSHARE_BACKING_HUGEPAGES && size / r->page_size > available_hugepages(r->page_size)) {
        set_shortage_error(r, size, error);
        goto fail;
    }
    if (ftruncate(fd, (off_t)size) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_RESOURCE,
                    _("cannot size '%s' to %" PRIu64 " bytes: %s"), tmp, size, g_strerror(err));
        goto fail;
    }
    mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
        int err = errno;
        if (err == ENOMEM) {
            set_shortage_error(r, size, error);
            goto fail;
        }
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_RESOURCE,
                    _("cannot map '%s': %s"), tmp, g_strerror(err));
        goto fail;
    }
    if (!preallocate(r, fd, mem, size, error)) {
        munmap(mem, size);
        goto fail;
    }
    l.generation = ((guint64)g_get_real_time() << 8) ^ g_random_int();
    l.zeroed = TRUE; /* a new file, its pages allocated just now */
    rc = ivshare_region_format(mem, size, &l);
    munmap(mem, size);
    if (rc < 0) {
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot format region '%s': %s"), r->name, ivshare_strerror(rc));
        goto fail;
    }
    if (!set_owner(tmp, fd, conf, error))
        goto fail;
    if (rename(tmp, path) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot move '%s' to '%s': %s"), tmp, path, g_strerror(err));
        goto fail;
    }
    close(fd);
    return TRUE;

 fail:
    unlink(tmp);
    close(fd);
    return FALSE;
}

/*
 * Compare the existing file's header with the layout; NULL when they
 * agree, else what differs.  The file is read as untrusted input.
 */
static char *
region_difference(const char *path, const ivshare_layout *l, guint64 size)
{
    g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, NULL);
    struct ivshare_header h;
    const char *base;
    gsize len;

    if (!map)
        return g_strdup(_("the file cannot be read"));
    base = g_mapped_file_get_contents(map);
    len = g_mapped_file_get_length(map);
    if (len < sizeof(h))
        return g_strdup(_("the file is too small to be a region"));
    memcpy(&h, base, sizeof(h));
    if (memcmp(h.magic, IVSHARE_MAGIC, sizeof(h.magic)) != 0)
        return g_strdup(_("the file is not an ivshare region"));
    if (h.ready != IVSHARE_READY_VALUE)
        return g_strdup(_("the file was never completed"));
    if (h.version != IVSHARE_FORMAT_VERSION)
        return g_strdup_printf(_("the file has format version %u, this build writes %u"),
                               h.version, IVSHARE_FORMAT_VERSION);
    if (h.total_size != size || len != size)
        return g_strdup_printf(_("the file holds %" PRIu64 " bytes, the description needs %"
                                 PRIu64), (guint64)len, size);
    if (h.object_count != l->n_objects)
        return g_strdup_printf(_("the file holds %u objects, the description has %u"),
                               h.object_count, l->n_objects);
    for (unsigned i = 0; i < l->n_objects; i++) {
        const ivshare_layout_object *want = &l->objects[i];
        struct ivshare_object have;
        guint64 at = (guint64)h.object_offset + (guint64)i * sizeof(have);

        if (at + sizeof(have) > len)
            return g_strdup(_("the file's object table is damaged"));
        memcpy(&have, base + at, sizeof(have));
        have.name[IVSHARE_NAME_MAX] = '\0';
        if (strcmp(have.name, want->name) != 0 || have.type != want->type)
            return g_strdup_printf(_("object %u is '%s' in the file and '%s' in the description"),
                                   i + 1, have.name, want->name);
        if (have.flags != want->flags || have.param0 != want->param0 ||
            have.param1 != want->param1 || have.size != want->size || have.offset != want->offset)
            return g_strdup_printf(_("object '%s' has other parameters in the file"), want->name);
    }
    if (h.fingerprint != l->fingerprint)
        return g_strdup(_("the file was built from another description"));
    return NULL;
}

static char *
info_path(const char *region, const ivshare_conf *conf)
{
    g_autofree char *name = g_strconcat(region, ".info", NULL);
    return runtime_path(conf, "regions", name);
}

/*
 * Save @kf as @path through a hidden temporary in the same directory, so
 * that a kill leaves either the old file or the new one, and never a name
 * that lists as a region.
 */
static gboolean
save_hidden_then_rename(GKeyFile *kf, const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *tmp = g_strdup_printf("%s/.%s.tmp", dir, base);
    g_autofree char *data = g_key_file_to_data(kf, NULL, NULL);

    if (!g_file_set_contents_full(tmp, data, -1, G_FILE_SET_CONTENTS_NONE, 0644, error))
        return FALSE;
    if (rename(tmp, path) < 0) {
        int err = errno;
        unlink(tmp);
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot create '%s': %s"), path, g_strerror(err));
        return FALSE;
    }
    return TRUE;
}

/* The runtime record: link for ivshare_host_open and what built it. */
static gboolean
write_record(const ivshare_region_desc *r, const char *source, const char *path,
             const ivshare_conf *conf, GError **error)
{
    g_autofree char *dir = g_build_filename(conf->runtime_dir, "regions", NULL);
    g_autofree char *link = runtime_path(conf, "regions", r->name);
    g_autofree char *tmp = g_strconcat(link, ".tmp", NULL);
    g_autofree char *info = info_path(r->name, conf);
    g_autoptr(GKeyFile) kf = g_key_file_new();

    if (!make_dir(dir, 0755, error))
        return FALSE;
    unlink(tmp);
    if (symlink(path, tmp) < 0 || rename(tmp, link) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot create '%s': %s"), link, g_strerror(err));
        return FALSE;
    }
    g_key_file_set_string(kf, "region", "path", path);
    g_key_file_set_string(kf, "region", "source", source);
    g_key_file_set_string(kf, "region", "host-app", r->host_app);
    g_key_file_set_string(kf, "region", "backing", ivshare_backing_to_string(r->backing));
    g_key_file_set_boolean(kf, "region", "doorbell", r->doorbell);
    g_key_file_set_integer(kf, "region", "vectors", (int)r->vectors);
    g_key_file_set_string(kf, "region", "on-host-app-exit", ivshare_exit_policy_to_string(r->on_exit));
    g_key_file_set_integer(kf, "region", "shutdown-timeout", (int)r->shutdown_timeout);
    return save_hidden_then_rename(kf, info, error);
}

GKeyFile *
ivshare_region_record(const char *region, const ivshare_conf *conf)
{
    g_autofree char *info = info_path(region, conf);
    g_autoptr(GKeyFile) kf = g_key_file_new();

    if (!g_key_file_load_from_file(kf, info, G_KEY_FILE_NONE, NULL))
        return NULL;
    return g_steal_pointer(&kf);
}

/*
 * Remove the temporaries of builds that were killed: .REGION.XXXXXX beside
 * the region file.  Only under the region's lock, where no build runs.
 */
static void
remove_stale_temporaries(const char *region, const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autofree char *prefix = g_strdup_printf(".%s.", region);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        if (g_str_has_prefix(name, prefix) && strlen(name) == strlen(prefix) + 6) {
            g_autofree char *path = g_build_filename(dir, name, NULL);
            if (unlink(path) == 0)
                g_info("removed '%s', left by a build that did not finish", path);
        }
    }
}

gboolean
ivshare_region_build(const ivshare_region_desc *r, const char *source,
                     const ivshare_conf *conf, ivshare_build_result *result,
                     GError **error)
{
    g_auto(lock_guard) lock = { -1 };
    g_autofree ivshare_layout_object *objects = NULL;
    g_autofree char *path = ivshare_conf_region_path(conf, r->name, r->backing);
    g_autofree char *difference = NULL;
    ivshare_layout layout;
    guint64 size;

    if (!ivshare_region_desc_layout(r, &layout, &objects, error) ||
        !ivshare_region_desc_size(r, &size, error))
        return FALSE;
    if ((lock.fd = lock_region(r->name, conf, error)) < 0)
        return FALSE;
    {
        g_autofree char *dir = g_path_get_dirname(path);
        remove_stale_temporaries(r->name, dir);
    }

    if (g_file_test(path, G_FILE_TEST_EXISTS)) {
        difference = region_difference(path, &layout, size);
        if (!difference) {
            if (result)
                *result = IVSHARE_BUILD_KEPT;
            return write_record(r, source, path, conf, error);
        }
        g_autofree char *who = NULL;
        if (ivshare_region_in_use(r->name, r->host_app, conf, &who)) {
            g_autoptr(GKeyFile) rec = ivshare_region_record(r->name, conf);
            g_autofree char *built_from = rec ? g_key_file_get_string(rec, "region", "source", NULL) : NULL;
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_CONFLICT,
                        _("region '%s' described in %s does not match its file '%s' built from %s: %s; "
                          "it is in use by %s, so it cannot be rebuilt until that stops"),
                        r->name, source, path, built_from ? built_from : _("an unknown description"),
                        difference, who);
            return FALSE;
        }
        g_info("rebuilding region '%s': %s", r->name, difference);
    }

    if (!write_region(r, &layout, size, path, conf, error))
        return FALSE;
    if (result)
        *result = IVSHARE_BUILD_CREATED;
    return write_record(r, source, path, conf, error);
}

gboolean
ivshare_desc_build(const ivshare_desc *desc, const ivshare_conf *conf, GError **error)
{
    for (guint i = 0; i < desc->regions->len; i++)
        if (!ivshare_region_build(g_ptr_array_index(desc->regions, i), desc->source, conf, NULL, error))
            return FALSE;
    return TRUE;
}

/* Does any process map @path?  Reads /proc/PID/maps. */
static gboolean
file_is_mapped(const char *path, const ivshare_conf *conf, char **who)
{
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    g_autofree char *resolved = g_canonicalize_filename(path, NULL);
    int daemon_pid = 0;
    const char *pid;

    if (!proc)
        return FALSE;
    /* ivshared maps regions to keep their peer tables: that is no use */
    ivshare_daemon_running(conf, &daemon_pid);
    while ((pid = g_dir_read_name(proc))) {
        g_autofree char *maps_path = NULL;
        g_autofree char *maps = NULL;
        if (!g_ascii_isdigit(pid[0]) || atoi(pid) == daemon_pid)
            continue;
        maps_path = g_build_filename("/proc", pid, "maps", NULL);
        if (!g_file_get_contents(maps_path, &maps, NULL, NULL))
            continue;
        for (char *line = maps; line && *line;) {
            char *end = strchr(line, '\n');
            char *name = strchr(line, '/');
            if (end)
                *end = '\0';
            if (name && (strcmp(name, resolved) == 0 || strcmp(name, path) == 0)) {
                if (who)
                    *who = g_strdup_printf(_("process %s"), pid);
                return TRUE;
            }
            line = end ? end + 1 : NULL;
        }
    }
    return FALSE;
}

gboolean
ivshare_region_in_use(const char *region, const char *host_app,
                      const ivshare_conf *conf, char **who)
{
    g_auto(GStrv) users = ivshare_region_users(region, conf);
    g_autoptr(GKeyFile) rec = ivshare_region_record(region, conf);
    g_autofree char *app = host_app ? g_strdup(host_app) :
                           rec ? g_key_file_get_string(rec, "region", "host-app", NULL) : NULL;
    g_autofree char *path = rec ? g_key_file_get_string(rec, "region", "path", NULL) : NULL;
    int pid = 0;

    if (users && users[0]) {
        if (who)
            *who = g_strdup_printf(_("domain '%s'"), users[0]);
        return TRUE;
    }
    if (app && ivshare_app_probe(app, &pid) == 1) {
        if (who)
            *who = g_strdup_printf(_("host application '%s' (process %d)"), app, pid);
        return TRUE;
    }
    return path && file_is_mapped(path, conf, who);
}

gboolean
ivshare_region_user_add(const char *region, const char *domain,
                        const ivshare_conf *conf, GError **error)
{
    g_autofree char *dir = runtime_path(conf, "users", region);
    g_autofree char *path = g_build_filename(dir, domain, NULL);
    int fd;

    if (!make_dir(dir, 0755, error))
        return FALSE;
    /* an empty file made in one step: a kill leaves it or nothing */
    if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        int err = errno;
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot create '%s': %s"), path, g_strerror(err));
        return FALSE;
    }
    close(fd);
    return TRUE;
}

void
ivshare_region_user_remove(const char *region, const char *domain, const ivshare_conf *conf)
{
    g_autofree char *dir = runtime_path(conf, "users", region);
    g_autofree char *path = g_build_filename(dir, domain, NULL);

    unlink(path);
    rmdir(dir); /* fails while other users remain */
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in @dir, sorted, without hidden ones and those ending in @skip. */
static char **
list_dir(const char *dir, const char *const *skip)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        gboolean keep = name[0] != '.';
        for (const char *const *s = skip; keep && s && *s; s++)
            keep = !g_str_has_suffix(name, *s);
        if (keep)
            g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, compare_names);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

char **
ivshare_region_users(const char *region, const ivshare_conf *conf)
{
    g_autofree char *dir = runtime_path(conf, "users", region);
    return list_dir(dir, NULL);
}

char **
ivshare_region_list(const ivshare_conf *conf)
{
    static const char *const records[] = { ".info", ".tmp", NULL };
    g_autofree char *dir = g_build_filename(conf->runtime_dir, "regions", NULL);
    return list_dir(dir, records);
}

gboolean
ivshare_region_link(const ivshare_region_desc *r, const ivshare_conf *conf, GError **error)
{
    g_autofree char *path = ivshare_conf_region_path(conf, r->name, r->backing);
    g_autofree char *link = ivshare_conf_link_path(conf, r->name);
    g_autofree char *tmp = g_strconcat(link, ".tmp", NULL);

    unlink(tmp);
    if (symlink(path, tmp) < 0 || rename(tmp, link) < 0) {
        int err = errno;
        unlink(tmp);
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_FAILED,
                    _("cannot link '%s' to region file '%s': %s"), link, path, g_strerror(err));
        return FALSE;
    }
    return TRUE;
}

gboolean
ivshare_region_remove_unused(const char *region, const ivshare_conf *conf, GError **error)
{
    g_auto(lock_guard) lock = { -1 };
    g_autoptr(GKeyFile) rec = NULL;
    g_autofree char *path = NULL;
    g_autofree char *link = ivshare_conf_link_path(conf, region);
    g_autofree char *runtime_link = runtime_path(conf, "regions", region);
    g_autofree char *info = info_path(region, conf);

    if ((lock.fd = lock_region(region, conf, error)) < 0)
        return FALSE;
    remove_stale_temporaries(region, conf->hugepage_dir);
    remove_stale_temporaries(region, conf->shm_dir);
    g_auto(GStrv) users = ivshare_region_users(region, conf);
    if (users && users[0])
        return FALSE;
    unlink(link); /* QEMU needs it no more */
    if (ivshare_region_in_use(region, NULL, conf, NULL))
        return FALSE;
    rec = ivshare_region_record(region, conf);
    path = rec ? g_key_file_get_string(rec, "region", "path", NULL) : NULL;
    if (path)
        unlink(path);
    unlink(runtime_link);
    unlink(info);
    return TRUE;
}

void
ivshare_region_remove_stale(const ivshare_conf *conf)
{
    const char *dirs[] = { conf->hugepage_dir, conf->shm_dir };

    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autoptr(GDir) d = g_dir_open(dirs[i], 0, NULL);
        g_autoptr(GPtrArray) regions = g_ptr_array_new_with_free_func(g_free);
        const char *name;

        /* .REGION.XXXXXX */
        while (d && (name = g_dir_read_name(d))) {
            gsize len = strlen(name);
            if (name[0] == '.' && len > 8 && name[len - 7] == '.')
                g_ptr_array_add(regions, g_strndup(name + 1, len - 8));
        }
        for (guint j = 0; j < regions->len; j++) {
            g_auto(lock_guard) lock = { -1 };
            const char *region = g_ptr_array_index(regions, j);
            if (ivshare_name_is_valid(region) && (lock.fd = lock_region(region, conf, NULL)) >= 0)
                remove_stale_temporaries(region, dirs[i]);
        }
    }
}
