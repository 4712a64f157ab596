/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conf.c: host-wide settings from /etc/ivshare/ivshare.conf (GKeyFile). */
#include "conf.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

/*
 * Fixed paths of the product, whatever the installation prefix: the core
 * library reads runtime-dir from the same file.
 */
#define DEFAULT_CONF "/etc/ivshare/ivshare.conf"
#define DEFAULT_DOMAINS_DIR "/etc/ivshare/domains"
#define LIBVIRT_QEMU_CONF "/etc/libvirt/qemu.conf"
#define DEFAULT_QEMU_ID "libvirt-qemu"

typedef enum {
    CONF_PATH,
    CONF_NAME,
    CONF_EXIT_POLICY,
    CONF_TIMEOUT,
} conf_type;

/* Every setting: where it lives in the file and in the struct. */
static const struct {
    const char *group;
    const char *key;
    conf_type type;
    size_t offset;
} conf_keys[] = {
    { "paths", "hugepage-dir", CONF_PATH, offsetof(ivshare_conf, hugepage_dir) },
    { "paths", "shm-dir", CONF_PATH, offsetof(ivshare_conf, shm_dir) },
    { "paths", "runtime-dir", CONF_PATH, offsetof(ivshare_conf, runtime_dir) },
    { "paths", "domains-dir", CONF_PATH, offsetof(ivshare_conf, domains_dir) },
    { "paths", "link-dir", CONF_PATH, offsetof(ivshare_conf, link_dir) },
    { "paths", "schema-dir", CONF_PATH, offsetof(ivshare_conf, schema_dir) },
    { "qemu", "user", CONF_NAME, offsetof(ivshare_conf, qemu_user) },
    { "qemu", "group", CONF_NAME, offsetof(ivshare_conf, qemu_group) },
    { "daemon", "on-host-app-exit", CONF_EXIT_POLICY, offsetof(ivshare_conf, on_exit) },
    { "daemon", "shutdown-timeout", CONF_TIMEOUT, offsetof(ivshare_conf, shutdown_timeout) },
};

void
ivshare_conf_free(ivshare_conf *c)
{
    if (!c)
        return;
    g_free(c->path);
    g_free(c->hugepage_dir);
    g_free(c->shm_dir);
    g_free(c->runtime_dir);
    g_free(c->domains_dir);
    g_free(c->link_dir);
    g_free(c->schema_dir);
    g_free(c->qemu_user);
    g_free(c->qemu_group);
    g_free(c);
}

static ivshare_conf *
conf_defaults(const char *path)
{
    ivshare_conf *c = g_new0(ivshare_conf, 1);

    c->path = g_strdup(path);
    c->hugepage_dir = g_strdup("/dev/hugepages/ivshare");
    c->shm_dir = g_strdup("/dev/shm/ivshare");
    c->runtime_dir = g_strdup("/run/ivshare");
    c->domains_dir = g_strdup(DEFAULT_DOMAINS_DIR);
    c->link_dir = g_strdup("/dev/shm");
    c->schema_dir = g_strdup(SCHEMADIR);
    c->on_exit = IVSHARE_EXIT_DESTROY;
    c->shutdown_timeout = 30;
    return c;
}

static int
conf_key_index(const char *group, const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(conf_keys); i++) {
        if (g_str_equal(conf_keys[i].group, group) &&
            (!key || g_str_equal(conf_keys[i].key, key)))
            return (int)i;
    }
    return -1;
}

static gboolean
conf_set(ivshare_conf *c, int i, const char *value, GError **error)
{
    void *field = (char *)c + conf_keys[i].offset;
    guint64 n = 0;
    int e;

    switch (conf_keys[i].type) {
    case CONF_PATH:
        if (!g_path_is_absolute(value)) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s: [%s] %s must be an absolute path, not '%s'"),
                        c->path, conf_keys[i].group, conf_keys[i].key, value);
            return FALSE;
        }
        break;
    case CONF_NAME:
        if (!*value || strpbrk(value, " \t:/")) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s: [%s] %s must be a user or group name, not '%s'"),
                        c->path, conf_keys[i].group, conf_keys[i].key, value);
            return FALSE;
        }
        break;
    case CONF_EXIT_POLICY:
        if ((e = ivshare_exit_policy_from_string(value)) < 0) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s: [%s] %s must be 'destroy' or 'shutdown', not '%s'"),
                        c->path, conf_keys[i].group, conf_keys[i].key, value);
            return FALSE;
        }
        *(ivshare_exit_policy *)field = e;
        return TRUE;
    case CONF_TIMEOUT:
        if (!g_ascii_isdigit(*value) || !ivshare_parse_size(value, &n) ||
            strpbrk(value, "KMG") || n < 1 || n > 3600) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s: [%s] %s must be a number of seconds between 1 and 3600, not '%s'"),
                        c->path, conf_keys[i].group, conf_keys[i].key, value);
            return FALSE;
        }
        *(guint *)field = (guint)n;
        return TRUE;
    }
    g_free(*(char **)field);
    *(char **)field = g_strdup(value);
    return TRUE;
}

static gboolean
conf_read(ivshare_conf *c, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) local = NULL;
    g_auto(GStrv) groups = NULL;

    if (!g_key_file_load_from_file(kf, c->path, G_KEY_FILE_NONE, &local)) {
        if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return TRUE;       /* no file: every default */
        g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("%s: cannot read the settings: %s"), c->path, local->message);
        return FALSE;
    }
    groups = g_key_file_get_groups(kf, NULL);
    for (char **g = groups; *g; g++) {
        g_auto(GStrv) keys = NULL;

        if (conf_key_index(*g, NULL) < 0) {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                        _("%s: unknown group [%s]; expected [paths], [qemu] or [daemon]"),
                        c->path, *g);
            return FALSE;
        }
        keys = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (char **k = keys; k && *k; k++) {
            g_autofree char *value = NULL;
            int i = conf_key_index(*g, *k);

            if (i < 0) {
                g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                            _("%s: unknown key '%s' in group [%s]"), c->path, *k, *g);
                return FALSE;
            }
            value = g_key_file_get_string(kf, *g, *k, &local);
            /* GLib may return a value and an error (a bad escape sequence) */
            if (!value || local) {
                g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                            _("%s: [%s] %s: %s"), c->path, *g, *k,
                            local ? local->message : _("unreadable value"));
                return FALSE;
            }
            if (!conf_set(c, i, g_strstrip(value), error))
                return FALSE;
        }
    }
    return TRUE;
}

ivshare_conf *
ivshare_conf_load(const char *path, GError **error)
{
    g_autoptr(ivshare_conf) c = NULL;
    const char *env;

    if (!path)
        path = g_getenv("IVSHARE_CONF");
    if (!path || !*path)
        path = DEFAULT_CONF;
    c = conf_defaults(path);
    if (!conf_read(c, error)) {
        ivshare_error_one_line(error);
        return NULL;
    }
    /* the environment wins over the file, as in the core library */
    if ((env = g_getenv("IVSHARE_SCHEMA_DIR")) && *env) {
        g_free(c->schema_dir);
        c->schema_dir = g_strdup(env);
    }
    if ((env = g_getenv("IVSHARE_RUNTIME_DIR")) && *env) {
        g_free(c->runtime_dir);
        c->runtime_dir = g_strdup(env);
    }
    return g_steal_pointer(&c);
}

const ivshare_conf *
ivshare_conf_get(GError **error)
{
    static GMutex lock;
    static ivshare_conf *conf;
    ivshare_conf *c;

    g_mutex_lock(&lock);
    if (!conf)
        conf = ivshare_conf_load(NULL, error);
    c = conf;
    g_mutex_unlock(&lock);
    return c;
}

char *
ivshare_conf_region_path(const ivshare_conf *c, const char *region, ivshare_backing backing)
{
    return g_build_filename(backing == IVSHARE_BACKING_SHM ? c->shm_dir : c->hugepage_dir,
                            region, NULL);
}

char *
ivshare_conf_link_path(const ivshare_conf *c, const char *region)
{
    g_autofree char *name = g_strdup_printf("ivshare-%s", region);

    return g_build_filename(c->link_dir, name, NULL);
}

/*
 * The value of `KEY = "VALUE"` in libvirt's qemu.conf, or NULL.  The file is
 * libvirt's own syntax: one setting per line, '#' comments, quoted strings.
 */
static char *
libvirt_qemu_setting(const char *data, const char *key)
{
    g_auto(GStrv) lines = g_strsplit(data, "\n", -1);

    for (char **l = lines; *l; l++) {
        char *p = g_strstrip(*l);
        gsize klen = strlen(key);
        char *end;

        if (strncmp(p, key, klen) != 0)
            continue;
        p = g_strchug(p + klen);
        if (*p != '=')
            continue;
        p = g_strchug(p + 1);
        if (*p != '"')
            continue;
        p++;
        if (!(end = strchr(p, '"')))
            continue;
        return g_strndup(p, end - p);
    }
    return NULL;
}

/*
 * "+N" is a numeric ID in libvirt's qemu.conf; plain "N" is a name first,
 * then an ID (@plus FALSE).
 */
static gboolean
numeric_id(const char *name, gboolean plus, guint32 *id)
{
    guint64 v;

    if (plus) {
        if (name[0] != '+')
            return FALSE;
        name++;
    }
    if (!g_ascii_isdigit(name[0]) ||
        !g_ascii_string_to_unsigned(name, 10, 0, G_MAXUINT32 - 1, &v, NULL))
        return FALSE;
    *id = (guint32)v;
    return TRUE;
}

gboolean
ivshare_conf_qemu_ids(const ivshare_conf *c, uid_t *uid, gid_t *gid, GError **error)
{
    g_autofree char *data = NULL;
    g_autofree char *user = g_strdup(c->qemu_user);
    g_autofree char *group = g_strdup(c->qemu_group);
    guint32 id;

    if ((!user || !group) && g_file_get_contents(LIBVIRT_QEMU_CONF, &data, NULL, NULL)) {
        if (!user)
            user = libvirt_qemu_setting(data, "user");
        if (!group)
            group = libvirt_qemu_setting(data, "group");
    }
    if (!user)
        user = g_strdup(DEFAULT_QEMU_ID);
    if (!group)
        group = g_strdup(DEFAULT_QEMU_ID);

    if (numeric_id(user, TRUE, &id)) {
        *uid = id;
    } else {
        struct passwd *pw = getpwnam(user);

        if (pw) {
            *uid = pw->pw_uid;
        } else if (numeric_id(user, FALSE, &id)) {
            *uid = id;
        } else {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND,
                        _("the QEMU user '%s' does not exist; set [qemu] user in %s"),
                        user, c->path);
            return FALSE;
        }
    }
    if (numeric_id(group, TRUE, &id)) {
        *gid = id;
    } else {
        struct group *gr = getgrnam(group);

        if (gr) {
            *gid = gr->gr_gid;
        } else if (numeric_id(group, FALSE, &id)) {
            *gid = id;
        } else {
            g_set_error(error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND,
                        _("the QEMU group '%s' does not exist; set [qemu] group in %s"),
                        group, c->path);
            return FALSE;
        }
    }
    return TRUE;
}
