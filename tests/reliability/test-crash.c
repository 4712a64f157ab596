/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * test-crash.c: the region builder and the hook's prepare killed with
 * SIGKILL at random points.  After every kill, each file in the region
 * directory is either a leftover temporary (.NAME.XXXXXX, never what a
 * link or record points at) or a complete, ready region built from one of
 * the descriptions involved; every link points at such a region; and the
 * next build or prepare succeeds.  Outcomes are counted and printed.
 *
 * IVSHARE_CRASH_TRIALS sets the number of trials of each test (default 120).
 */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "hook.h"
#include "inject.h"
#include "runtime.h"

#define REGION "crash"
/* First estimate of how long a build or prepare takes, in microseconds. */
#define MAX_DELAY_US 40000

typedef struct {
    test_env_fixture env;
    gboolean huge;            /* hugepage regions, else shm */
    const char *backing;      /* as the description writes it */
    const char *dir;          /* where region files are */
    guint min_k, max_k;       /* regions of 2^min_k .. 2^max_k MiB */
} fixture;

typedef struct {
    guint finished;           /* the child completed before the kill */
    guint killed;
    guint no_file;            /* killed before any file existed */
    guint temp_left;          /* a .NAME.XXXXXX was left behind */
    guint temp_complete;      /* ... that was complete, only not renamed */
    guint kept_old;           /* the previous region stayed in place */
    guint got_new;            /* the new region was in place */
    guint stale_user;         /* a user record without its link */
    guint temp_link;          /* a leftover LINK.tmp */
    guint stray_user;         /* a user record that names no domain */
    guint stray_record;       /* a region record that names no region */
    guint64 temp_bytes;       /* memory the leftover temporaries held */
} outcomes;

/* Free 2M hugepages the hugepage variants need (three regions of 16M at once, and room). */
#define HUGE_PAGES_NEEDED 40

static void
fixture_setup(fixture *f, gconstpointer data)
{
    g_autofree char *why = NULL;
    g_autofree char *mount = NULL;

    f->huge = data != NULL;
    if (f->huge && !(mount = test_hugetlbfs_dir(HUGE_PAGES_NEEDED, &why))) {
        g_test_skip(why);
        return;
    }
    test_fixture_setup(&f->env, mount);
    f->backing = f->huge ? "hugepages" : "shm";
    f->dir = f->huge ? f->env.conf->hugepage_dir : f->env.conf->shm_dir;
    f->min_k = f->huge ? 1 : 0;   /* at least one 2M page */
    f->max_k = f->huge ? 4 : 6;
}

static void
fixture_teardown(fixture *f, gconstpointer data)
{
    if (f->env.conf)
        test_fixture_teardown(&f->env);
}

/*
 * Other tests (end-to-end VMs, benchmarks) may take hugepages meanwhile:
 * a hugepage variant stops, skipped, when too few are left to go on.
 */
static gboolean
hugepages_short(const fixture *f)
{
    g_autofree char *why = NULL;
    g_autofree char *mount = NULL;

    if (!f->huge || (mount = test_hugetlbfs_dir(HUGE_PAGES_NEEDED, &why)))
        return FALSE;
    g_test_skip(why);
    return TRUE;
}

static ivshare_backing
backing(const fixture *f)
{
    return f->huge ? IVSHARE_BACKING_HUGEPAGES : IVSHARE_BACKING_SHM;
}

static guint
trials(void)
{
    const char *env = g_getenv("IVSHARE_CRASH_TRIALS");
    return env ? (guint)g_ascii_strtoull(env, NULL, 10) : 120;
}

static guint
random_k(const fixture *f)
{
    return (guint)g_test_rand_int_range((gint32)f->min_k, (gint32)f->max_k + 1);
}

/* A description of REGION of 2^k MiB whose ring has 2^s slots. */
static char *
region_xml(const fixture *f, guint k, guint s, const char *extra)
{
    return g_strdup_printf(
        "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>\n"
        "  <ivshare:region name='" REGION "' host-app='pktgen' backing='%s' size='%uM'>\n"
        "    <ivshare:ring name='r' slot-size='64' slots='%u'/>\n"
        "    <ivshare:pool name='p' buffer-size='2K' buffers='64'/>\n"
        "    <ivshare:memzone name='z' size='%uK'/>\n"
        "  </ivshare:region>\n"
        "</ivshare:shared-memory>%s",
        f->backing, 1u << k, 1u << s, (1u << k) * 256, extra);
}

/* The fingerprint of the only region of @d. */
static guint64
fingerprint(const ivshare_desc *d)
{
    return ivshare_region_desc_fingerprint(g_ptr_array_index(d->regions, 0));
}

/*
 * @path opens as a complete, ready region built from a description whose
 * fingerprint is one of @fps: its objects are all there in their initial
 * state.  Returns the index in @fps.
 */
static guint
assert_complete(const char *path, const guint64 *fps, guint n_fps)
{
    g_autoptr(ivshare_region) r = NULL;
    ivshare_region_info info;
    struct stat st;
    ivshare_ring *q;
    ivshare_pool *p;
    void *z;
    size_t zlen;
    guint which;
    int rc = ivshare_path_open(path, &r);

    if (rc != 0)
        g_error("'%s' is in place but does not open as a region: %s", path, ivshare_strerror(rc));
    g_assert_cmpint(ivshare_region_get_info(r, &info), ==, 0);
    for (which = 0; which < n_fps && fps[which] != info.fingerprint; which++)
        ;
    g_assert_cmpuint(which, <, n_fps);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpuint(info.size, ==, (guint64)st.st_size);
    g_assert_cmpuint(info.objects, ==, 3);
    g_assert_cmpint(ivshare_ring_lookup(r, "r", &q), ==, 0);
    g_assert_cmpuint(ivshare_ring_count(q), ==, 0);
    g_assert_cmpint(ivshare_pool_lookup(r, "p", &p), ==, 0);
    g_assert_cmpuint(ivshare_pool_in_use(p), ==, 0);
    g_assert_cmpint(ivshare_memzone_lookup(r, "z", &z, &zlen), ==, 0);
    /* a region is usable as soon as it is in place: a full pool cycle works */
    {
        g_autofree uint64_t *h = g_new(uint64_t, ivshare_pool_capacity(p));
        for (guint i = 0; i < ivshare_pool_capacity(p); i++)
            g_assert_cmpint(ivshare_pool_get(p, &h[i]), ==, 0);
        g_assert_cmpint(ivshare_pool_get(p, &(uint64_t){ 0 }), ==, -ENOBUFS);
        for (guint i = 0; i < ivshare_pool_capacity(p); i++)
            g_assert_cmpint(ivshare_pool_put(p, h[i]), ==, 0);
    }
    return which;
}

/*
 * Kill child @pid after a random delay drawn below *@typical_us, the
 * running estimate of how long the child takes, so that kills land all
 * along its work; TRUE if it was killed, FALSE if it had finished.
 */
static gboolean
kill_after_random_delay(pid_t pid, gint64 *typical_us)
{
    gint64 start = g_get_monotonic_time();
    gint64 deadline = start + g_test_rand_int_range(0, (gint32)MAX(*typical_us, 100));
    int status;

    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        gint64 now = g_get_monotonic_time();

        g_assert_cmpint(done, >=, 0);
        if (done == pid) {
            g_assert_true(WIFEXITED(status));
            g_assert_cmpint(WEXITSTATUS(status), ==, 0);
            /* aim a little past the end, so that some children finish */
            *typical_us = (*typical_us * 3 + (now - start) * 5 / 4) / 4;
            return FALSE;
        }
        if (now >= deadline)
            break;
        g_usleep(20);
    }
    kill(pid, SIGKILL);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    if (WIFEXITED(status)) {
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        return FALSE;
    }
    g_assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    return TRUE;
}

/*
 * Check the region directory after a kill: the region file (complete, one
 * of @fps) and leftover temporaries (counted, checked never to be pointed
 * at, then removed).  Returns the index of the description in place, or
 * -1 when there is no region file.
 */
static int
check_region_dir(fixture *f, const guint64 *fps, guint n_fps, outcomes *o)
{
    g_autofree char *path = ivshare_conf_region_path(f->env.conf, REGION, backing(f));
    g_autofree char *runtime_link = g_build_filename(f->env.conf->runtime_dir, "regions", REGION, NULL);
    g_autofree char *target = g_file_read_link(runtime_link, NULL);
    g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
    const char *name;
    int in_place = -1;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *file = g_build_filename(f->dir, name, NULL);

        if (g_str_equal(name, REGION)) {
            in_place = (int)assert_complete(file, fps, n_fps);
        } else if (g_str_has_prefix(name, "." REGION ".") && strlen(name) == strlen(REGION) + 8) {
            ivshare_region *r = NULL;
            struct stat st;
            o->temp_left++;
            if (stat(file, &st) == 0)
                o->temp_bytes += (guint64)st.st_blocks * 512;
            g_assert_cmpstr(target, !=, file);
            if (ivshare_path_open(file, &r) == 0) {
                o->temp_complete++;
                ivshare_close(r);
            }
            g_assert_cmpint(unlink(file), ==, 0);
        } else {
            g_error("unexpected file '%s' in the region directory", name);
        }
    }
    /*
     * The runtime records: the link, REGION.info, and the temporaries a
     * kill may leave, which ivshare_region_list() does not list: the link's
     * REGION.tmp and the record's hidden .REGION.info.tmp.  Anything else
     * would list as a region: counted as a stray record and removed.
     */
    {
        g_autofree char *records = g_build_filename(f->env.conf->runtime_dir, "regions", NULL);
        g_autoptr(GDir) rd = g_dir_open(records, 0, NULL);
        while (rd && (name = g_dir_read_name(rd))) {
            g_autofree char *file = g_build_filename(records, name, NULL);
            if (g_str_equal(name, REGION) || g_str_equal(name, REGION ".info") ||
                g_str_equal(name, REGION ".tmp") || g_str_equal(name, "." REGION ".info.tmp"))
                continue;
            g_assert_true(g_str_has_prefix(name, REGION ".info.") &&
                          strlen(name) == strlen(REGION ".info.XXXXXX"));
            o->stray_record++;
            g_assert_cmpint(unlink(file), ==, 0);
        }
    }
    /* the runtime link, when there is one, leads to the region in place */
    if (target) {
        g_assert_cmpstr(target, ==, path);
        if (in_place >= 0) {
            g_autoptr(ivshare_region) r = NULL;
            g_assert_cmpint(ivshare_host_open(REGION, &r), ==, 0);
        }
    }
    return in_place;
}

static void
check_no_stray_record(const outcomes *o)
{
    /* a kill while the record is saved leaves only a hidden temporary */
    g_assert_cmpuint(o->stray_record, ==, 0);
}

static void
test_build_killed(fixture *f, gconstpointer data)
{
    g_autoptr(ivshare_desc) prev = NULL;
    outcomes o = { 0 };
    guint n = trials();
    gint64 start = g_get_monotonic_time();
    gint64 typical = MAX_DELAY_US;

    if (!f->env.conf)
        return; /* skipped */

    for (guint t = 0; t < n; t++) {
        if (hugepages_short(f)) {
            n = t; /* the report and checks below cover the trials made */
            break;
        }
        /* 1 MiB .. 64 MiB: the larger ones die mid-fallocate or mid-format */
        g_autofree char *xml = region_xml(f, random_k(f),
                                         g_test_rand_int_range(4, 12), "");
        g_autoptr(ivshare_desc) d = test_desc_xml(xml, "crash.xml");
        const ivshare_region_desc *r = g_ptr_array_index(d->regions, 0);
        guint64 fps[2] = { fingerprint(d), prev ? fingerprint(prev) : fingerprint(d) };
        g_autoptr(GError) error = NULL;
        ivshare_build_result result;
        pid_t pid = fork();
        int in_place;

        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
            gboolean ok = ivshare_region_build(r, "crash.xml", f->env.conf, NULL, NULL);
            _exit(ok ? 0 : 1);
        }
        if (kill_after_random_delay(pid, &typical))
            o.killed++;
        else
            o.finished++;

        in_place = check_region_dir(f, fps, 2, &o);
        if (in_place < 0)
            o.no_file++;
        else if (in_place == 0)
            o.got_new++;
        else
            o.kept_old++;

        /* the next build succeeds and leaves this description in place */
        g_assert_true(ivshare_region_build(r, "crash.xml", f->env.conf, &result, &error));
        g_assert_no_error(error);
        g_assert_cmpint(check_region_dir(f, fps, 1, &o), ==, 0);
        g_clear_pointer(&prev, ivshare_desc_free);
        prev = g_steal_pointer(&d);
    }
    g_test_message("region build killed: %u trials in %.1f s (a build takes about %.1f ms); %u killed, %u finished first; "
                   "afterwards %u with no region file, %u with the previous region, %u with the new one; "
                   "%u temporaries left behind (%u of them complete but never renamed), holding %.1f MiB",
                   n, (g_get_monotonic_time() - start) / 1e6, typical / 1e3, o.killed, o.finished, o.no_file,
                   o.kept_old, o.got_new, o.temp_left, o.temp_complete, o.temp_bytes / 1048576.0);
    g_assert_cmpuint(o.killed + o.finished, ==, n);
    check_no_stray_record(&o);
    /* the kills must have landed at different points to mean anything */
    if (n >= 100) {
        g_assert_cmpuint(o.killed, >, 0);
        g_assert_cmpuint(o.temp_left, >, 0);
        g_assert_cmpuint(o.kept_old + o.no_file, >, 0);
    }
}

/* A domain XML with the description and its devices injected. */
static char *
domain_xml(fixture *f, guint k)
{
    g_autofree char *desc = region_xml(f, k, 6, "");
    g_autofree char *xml = g_strdup_printf("<domain type='qemu'><name>vm1</name><memory>262144</memory>"
                                           "<metadata>%s</metadata><os><type>hvm</type></os>"
                                           "<devices></devices></domain>", desc);
    g_autoptr(ivshare_desc) d = test_desc_xml(xml, "domain 'vm1'");
    g_autoptr(GError) error = NULL;
    char *out = ivshare_inject(xml, strlen(xml), d, f->env.conf, &error);

    g_assert_no_error(error);
    return out;
}

/*
 * The user records of the region name domain vm1 only.  A prepare killed
 * while it writes vm1's record leaves g_file_set_contents()'s temporary
 * (vm1.XXXXXX), which then counts as a domain using the region; such
 * strays are counted and removed.
 */
static void
check_users(fixture *f, outcomes *o)
{
    g_autofree char *dir = g_build_filename(f->env.conf->runtime_dir, "users", REGION, NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_str_equal(name, "vm1"))
            continue;
        g_assert_true(g_str_has_prefix(name, "vm1.") && strlen(name) == strlen("vm1.XXXXXX"));
        o->stray_user++;
        g_assert_cmpint(unlink(path), ==, 0);
    }
}

/* Every entry of the link directory is a link to a complete region, or a leftover LINK.tmp. */
static void
check_links(fixture *f, const guint64 *fps, guint n_fps, outcomes *o)
{
    g_autofree char *link = ivshare_conf_link_path(f->env.conf, REGION);
    g_autofree char *tmp = g_strconcat(link, ".tmp", NULL);
    g_autofree char *path = ivshare_conf_region_path(f->env.conf, REGION, backing(f));
    g_autofree char *users = g_build_filename(f->env.conf->runtime_dir, "users", REGION, "vm1", NULL);
    g_autofree char *target = g_file_read_link(link, NULL);

    g_assert_cmpuint(test_dir_count(f->env.conf->link_dir), <=, 2);
    if (g_file_test(tmp, G_FILE_TEST_IS_SYMLINK)) {
        o->temp_link++;
        unlink(tmp);
    }
    if (target) {
        g_assert_cmpstr(target, ==, path);
        assert_complete(target, fps, n_fps);
    } else {
        g_assert_false(g_file_test(link, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK));
        if (g_file_test(users, G_FILE_TEST_EXISTS))
            o->stale_user++;
    }
    g_assert_cmpuint(test_dir_count(f->env.conf->link_dir), ==, target ? 1 : 0);
}

static void
test_hook_killed(fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    outcomes o = { 0 };
    guint n = trials();
    gint64 start = g_get_monotonic_time();
    int daemon_lock = ivshare_daemon_lock(f->env.conf, &error);
    gint64 typical = MAX_DELAY_US;
    ivshare_app *app = NULL;

    if (!f->env.conf)
        return; /* skipped */

    g_assert_no_error(error);
    g_assert_cmpint(ivshare_app_register("pktgen", &app), ==, 0);
    for (guint t = 0; t < n; t++) {
        if (hugepages_short(f)) {
            n = t; /* the report and checks below cover the trials made */
            break;
        }
        guint k = random_k(f);
        g_autofree char *xml = domain_xml(f, k);
        g_autofree char *bare = region_xml(f, k, 6, "");
        g_autoptr(ivshare_desc) d = test_desc_xml(bare, "desc");
        guint64 fp = fingerprint(d);
        pid_t pid = fork();

        g_assert_cmpint(pid, >=, 0);
        if (pid == 0)
            _exit(ivshare_hook_prepare("vm1", xml, strlen(xml), f->env.conf, NULL) ? 0 : 1);
        if (kill_after_random_delay(pid, &typical))
            o.killed++;
        else
            o.finished++;
        if (check_region_dir(f, &fp, 1, &o) < 0)
            o.no_file++;
        check_links(f, &fp, 1, &o);
        check_users(f, &o);

        /* the next prepare succeeds, and the domain's release undoes it */
        g_assert_true(ivshare_hook_prepare("vm1", xml, strlen(xml), f->env.conf, &error));
        g_assert_no_error(error);
        check_links(f, &fp, 1, &o);
        g_assert_true(g_file_test(f->env.conf->link_dir, G_FILE_TEST_IS_DIR));
        g_assert_cmpuint(test_dir_count(f->env.conf->link_dir), ==, 1);
        g_assert_true(ivshare_hook_release("vm1", f->env.conf, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(test_dir_count(f->env.conf->link_dir), ==, 0);
        /* with the application gone for a moment, the file goes too: the next trial builds */
        ivshare_app_unregister(app);
        g_assert_true(ivshare_region_remove_unused(REGION, f->env.conf, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(test_dir_count(f->dir), ==, 0);
        g_assert_cmpint(ivshare_app_register("pktgen", &app), ==, 0);
    }
    g_test_message("hook prepare killed: %u trials in %.1f s; %u killed, %u finished first; "
                   "%u without a region file; %u temporaries (%.1f MiB) and %u temporary links left behind; "
                   "%u user records left without a link; %u stray user records",
                   n, (g_get_monotonic_time() - start) / 1e6, o.killed, o.finished, o.no_file,
                   o.temp_left, o.temp_bytes / 1048576.0, o.temp_link, o.stale_user, o.stray_user);
    g_assert_cmpuint(o.killed + o.finished, ==, n);
    if (n >= 100)
        g_assert_cmpuint(o.killed, >, 0);
    check_no_stray_record(&o);
    /* the user record is made in one step: no temporary lists as a domain */
    g_assert_cmpuint(o.stray_user, ==, 0);
    ivshare_app_unregister(app);
    close(daemon_lock);
}

/*
 * Everything the region left in the runtime directory, the links and its
 * file directory is gone, but for an empty user directory (a release
 * killed between removing the last user and the directory leaves it; it
 * means no user).  TRUE if there was one; it is removed.
 */
static gboolean
assert_all_gone(fixture *f)
{
    g_autofree char *users = g_build_filename(f->env.conf->runtime_dir, "users", NULL);
    g_autofree char *region_users = g_build_filename(users, REGION, NULL);
    g_autofree char *regions = g_build_filename(f->env.conf->runtime_dir, "regions", NULL);
    gboolean empty_dir = FALSE;

    g_assert_cmpuint(test_dir_count(f->dir), ==, 0);
    g_assert_cmpuint(test_dir_count(f->env.conf->link_dir), ==, 0);
    if (g_file_test(region_users, G_FILE_TEST_IS_DIR)) {
        g_assert_cmpuint(test_dir_count(region_users), ==, 0);
        g_assert_cmpint(rmdir(region_users), ==, 0);
        empty_dir = TRUE;
    }
    g_assert_cmpuint(test_dir_count(users), ==, 0);
    g_assert_cmpuint(test_dir_count(regions), ==, 0);
    return empty_dir;
}

/*
 * The hook's release killed at random points, with the host application
 * alive (the file stays) or gone (everything goes): the link is there and
 * leads to a complete region, or it is gone; a second release finishes.
 */
static void
test_release_killed(fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    outcomes o = { 0 };
    guint n = trials();
    gint64 start = g_get_monotonic_time();
    gint64 typical = 2000;
    guint dangling = 0, kept = 0, stale_links = 0, empty_dirs = 0;
    int daemon_lock;

    if (!f->env.conf)
        return; /* skipped */
    daemon_lock = ivshare_daemon_lock(f->env.conf, &error);
    g_assert_no_error(error);
    for (guint t = 0; t < n; t++) {
        if (hugepages_short(f)) {
            n = t; /* the report and checks below cover the trials made */
            break;
        }
        guint k = random_k(f);
        g_autofree char *xml = domain_xml(f, k);
        g_autofree char *bare = region_xml(f, k, 6, "");
        g_autoptr(ivshare_desc) d = test_desc_xml(bare, "desc");
        g_autofree char *record = g_build_filename(f->env.conf->runtime_dir, "regions", REGION ".info", NULL);
        guint64 fp = fingerprint(d);
        gboolean app_alive = t % 2 == 0;
        ivshare_app *app = NULL;
        pid_t pid;

        g_assert_cmpint(ivshare_app_register("pktgen", &app), ==, 0);
        g_assert_true(ivshare_hook_prepare("vm1", xml, strlen(xml), f->env.conf, &error));
        g_assert_no_error(error);
        if (!app_alive)
            g_clear_pointer(&app, ivshare_app_unregister);
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0)
            _exit(ivshare_hook_release("vm1", f->env.conf, NULL) ? 0 : 1);
        if (kill_after_random_delay(pid, &typical))
            o.killed++;
        else
            o.finished++;

        if (check_region_dir(f, &fp, 1, &o) < 0) {
            if (g_file_test(record, G_FILE_TEST_EXISTS))
                dangling++;  /* a record whose file is gone: the next release drops it */
        } else {
            kept++;
        }
        check_links(f, &fp, 1, &o);
        /* a second release should finish the job */
        g_assert_true(ivshare_hook_release("vm1", f->env.conf, &error));
        g_assert_no_error(error);
        if (test_dir_count(f->env.conf->link_dir) > 0) {
            g_autofree char *users = g_build_filename(f->env.conf->runtime_dir, "users", REGION, "vm1", NULL);
            /* killed between dropping the user and the link: no release looks at it again */
            g_assert_false(g_file_test(users, G_FILE_TEST_EXISTS));
            check_links(f, &fp, 1, &o);
            stale_links++;
        }
        g_clear_pointer(&app, ivshare_app_unregister);
        g_assert_true(ivshare_region_remove_unused(REGION, f->env.conf, &error));
        g_assert_no_error(error);
        empty_dirs += assert_all_gone(f);
    }
    g_test_message("hook release killed: %u trials in %.1f s; %u killed, %u finished first; "
                   "afterwards %u with the region file, %u with a record but no file; "
                   "%u links a second release left in place; %u empty user directories left",
                   n, (g_get_monotonic_time() - start) / 1e6, o.killed, o.finished, kept, dangling,
                   stale_links, empty_dirs);
    g_assert_cmpuint(o.killed + o.finished, ==, n);
    close(daemon_lock);
    /* the next release finishes what a killed one left */
    g_assert_cmpuint(stale_links, ==, 0);
}

#define BUILDERS 3

/*
 * Three builders of three descriptions of one region at once, some killed:
 * the lock lets one build at a time, so the file in place is always one
 * complete region, and the next build succeeds.
 */
static void
test_concurrent_builders(fixture *f, gconstpointer data)
{
    outcomes o = { 0 };
    guint n = MAX(trials() / 2, 1);
    gint64 start = g_get_monotonic_time();
    gint64 typical = MAX_DELAY_US * BUILDERS;
    guint64 previous = 0;
    guint winners[BUILDERS + 1] = { 0 };

    if (!f->env.conf)
        return; /* skipped */
    for (guint t = 0; t < n; t++) {
        if (hugepages_short(f)) {
            n = t; /* the report and checks below cover the trials made */
            break;
        }
        ivshare_desc *d[BUILDERS];
        guint64 fps[BUILDERS + 1];
        pid_t pids[BUILDERS];
        g_autoptr(GError) error = NULL;
        int in_place;

        for (guint b = 0; b < BUILDERS; b++) {
            g_autofree char *xml = region_xml(f, random_k(f), 4 + b + 3 * (t % 2), "");
            d[b] = test_desc_xml(xml, "crash.xml");
            fps[b] = fingerprint(d[b]);
        }
        fps[BUILDERS] = previous ? previous : fps[0];
        for (guint b = 0; b < BUILDERS; b++) {
            pids[b] = fork();
            g_assert_cmpint(pids[b], >=, 0);
            if (pids[b] == 0)
                _exit(ivshare_region_build(g_ptr_array_index(d[b]->regions, 0), "crash.xml",
                                           f->env.conf, NULL, NULL) ? 0 : 1);
        }
        /* one of them is killed at a random point; the others finish */
        if (kill_after_random_delay(pids[t % BUILDERS], &typical))
            o.killed++;
        else
            o.finished++;
        for (guint b = 0; b < BUILDERS; b++) {
            int status;
            if (b == t % BUILDERS)
                continue;
            g_assert_cmpint(waitpid(pids[b], &status, 0), ==, pids[b]);
            g_assert_true(WIFEXITED(status));
            g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        }
        in_place = check_region_dir(f, fps, BUILDERS + 1, &o);
        g_assert_cmpint(in_place, >=, 0);
        winners[in_place]++;
        g_assert_true(ivshare_region_build(g_ptr_array_index(d[0]->regions, 0), "crash.xml",
                                           f->env.conf, NULL, &error));
        g_assert_no_error(error);
        previous = fps[0];
        for (guint b = 0; b < BUILDERS; b++)
            ivshare_desc_free(d[b]);
    }
    g_test_message("%d concurrent builders, one killed: %u trials in %.1f s; %u killed, %u finished first; "
                   "in place afterwards: %u/%u/%u of the builders' descriptions, %u the previous one; "
                   "%u temporaries left behind",
                   BUILDERS, n, (g_get_monotonic_time() - start) / 1e6, o.killed, o.finished,
                   winners[0], winners[1], winners[2], winners[3], o.temp_left);
    check_no_stray_record(&o);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    static const char *const backings[] = { "shm", "hugepages" };

    for (gsize i = 0; i < G_N_ELEMENTS(backings); i++) {
        /* NULL selects shm, anything else hugepages */
        gconstpointer huge = i ? backings[i] : NULL;
        g_autofree char *build = g_strdup_printf("/reliability/crash/%s/build", backings[i]);
        g_autofree char *hook = g_strdup_printf("/reliability/crash/%s/hook", backings[i]);
        g_autofree char *release = g_strdup_printf("/reliability/crash/%s/release", backings[i]);
        g_autofree char *concurrent = g_strdup_printf("/reliability/crash/%s/concurrent", backings[i]);

        g_test_add(build, fixture, huge, fixture_setup, test_build_killed, fixture_teardown);
        g_test_add(hook, fixture, huge, fixture_setup, test_hook_killed, fixture_teardown);
        g_test_add(release, fixture, huge, fixture_setup, test_release_killed, fixture_teardown);
        g_test_add(concurrent, fixture, huge, fixture_setup, test_concurrent_builders, fixture_teardown);
    }
    return g_test_run();
}
