/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* runtime.c: find the runtime directory without GLib (a tiny INI reader). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define IVSHARE_DEFAULT_CONF "/etc/ivshare/ivshare.conf"
#define IVSHARE_DEFAULT_RUNTIME_DIR "/run/ivshare"

static char *ivshare_trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
                       end[-1] == '\n' || end[-1] == '\r'))
        *--end = '\0';
    return s;
}

static int ivshare_copy(char *buf, size_t len, const char *value)
{
    if (value[0] == '\0')
        return -EINVAL;
    if (strlen(value) >= len)
        return -ENAMETOOLONG;
    strcpy(buf, value);
    return 0;
}

/*
 * [paths] runtime-dir of the key file at @path into @buf: 1 when set, 0 when
 * the file or the key is missing, negative errno on error.  The last value
 * wins, as in GKeyFile.
 */
static int ivshare_conf_runtime_dir(const char *path, char *buf, size_t len)
{
    char line[4096];
    bool in_paths = false;
    int found = 0;
    FILE *f = fopen(path, "re");

    if (!f)
        return errno == ENOENT ? 0 : -errno;
    while (fgets(line, sizeof(line), f)) {
        char *s = ivshare_trim(line), *eq;

        if (*s == '\0' || *s == '#')
            continue;
        if (*s == '[') {
            in_paths = strcmp(s, "[paths]") == 0;
            continue;
        }
        eq = strchr(s, '=');
        if (!in_paths || !eq)
            continue;
        *eq = '\0';
        if (strcmp(ivshare_trim(s), "runtime-dir") != 0)
            continue;
        int rc = ivshare_copy(buf, len, ivshare_trim(eq + 1));
        if (rc < 0) {
            fclose(f);
            return rc;
        }
        found = 1;
    }
    fclose(f);
    return found;
}

int ivshare_runtime_dir(char *buf, size_t len)
{
    const char *env = getenv("IVSHARE_RUNTIME_DIR");
    const char *conf = getenv("IVSHARE_CONF");
    int rc;

    if (env && env[0])
        return ivshare_copy(buf, len, env);
    rc = ivshare_conf_runtime_dir(conf && conf[0] ? conf : IVSHARE_DEFAULT_CONF, buf, len);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    return ivshare_copy(buf, len, IVSHARE_DEFAULT_RUNTIME_DIR);
}
