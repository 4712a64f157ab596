/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* region.c: ivsharectl inspect and cmdline, on built region files. */
#include "ctl.h"

#include <inttypes.h>
#include <stdio.h>

static gboolean
open_region(const char *arg, ivshare_region **r, GError **error)
{
    int rc = strchr(arg, '/') ? ivshare_path_open(arg, r) : ivshare_host_open(arg, r);

    if (rc == 0)
        return TRUE;
    g_set_error(error, IVSHARE_ERROR,
                rc == -ENOENT ? IVSHARE_ERROR_NOT_FOUND :
                rc <= -IVSHARE_EBADREGION ? IVSHARE_ERROR_INVALID : IVSHARE_ERROR_FAILED,
                _("cannot open region '%s': %s"), arg, ivshare_strerror(rc));
    return FALSE;
}

static const char *
type_name(ivshare_object_type t)
{
    switch (t) {
    case IVSHARE_TYPE_MEMZONE:
        return "memzone";
    case IVSHARE_TYPE_RING:
        return "ring";
    case IVSHARE_TYPE_POOL:
        return "pool";
    }
    return "?";
}

static const char *
ring_mode(const ivshare_object_info *o)
{
    static const char *const modes[] = { "spsc", "mpsc", "spmc", "mpmc" };
    return modes[(o->multi_producer ? 1 : 0) | (o->multi_consumer ? 2 : 0)];
}

/* Live figures of an object: messages queued, buffers in use. */
static unsigned
object_fill(ivshare_region *r, const ivshare_object_info *o)
{
    ivshare_ring *q;
    ivshare_pool *p;

    if (o->type == IVSHARE_TYPE_RING && ivshare_ring_lookup(r, o->name, &q) == 0)
        return ivshare_ring_count(q);
    if (o->type == IVSHARE_TYPE_POOL && ivshare_pool_lookup(r, o->name, &p) == 0)
        return ivshare_pool_in_use(p);
    return 0;
}

static void
print_json(ivshare_region *r, const ivshare_region_info *info)
{
    json_writer w = { 0 };

    json_begin_object(&w, NULL);
    json_string(&w, "name", info->name);
    json_uint(&w, "version", info->version);
    json_uint(&w, "size", info->size);
    json_uint(&w, "header-size", info->header_size);
    json_uint(&w, "fingerprint", info->fingerprint);
    json_uint(&w, "generation", info->generation);
    json_bool(&w, "doorbell", info->doorbell);
    json_uint(&w, "vectors", info->vectors);
    json_begin_array(&w, "objects");
    for (unsigned i = 0; i < info->objects; i++) {
        ivshare_object_info o;
        ivshare_object_get_info(r, i, &o);
        json_begin_object(&w, NULL);
        json_string(&w, "name", o.name);
        json_string(&w, "type", type_name(o.type));
        json_uint(&w, "offset", o.offset);
        json_uint(&w, "size", o.size);
        if (o.type == IVSHARE_TYPE_RING) {
            json_uint(&w, "slot-size", o.slot_size);
            json_uint(&w, "slots", o.slots);
            json_string(&w, "mode", ring_mode(&o));
            json_uint(&w, "queued", object_fill(r, &o));
        } else if (o.type == IVSHARE_TYPE_POOL) {
            json_uint(&w, "buffer-size", o.buffer_size);
            json_uint(&w, "buffers", o.buffers);
            json_uint(&w, "in-use", object_fill(r, &o));
        } else {
            json_uint(&w, "align", o.align);
        }
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    json_print(&w);
}

static void
print_table(ivshare_region *r, const ivshare_region_info *info)
{
    g_autofree char *size = ivshare_format_size(info->size);

    printf(_("Region:      %s\n"), info->name);
    printf(_("Size:        %s (%" PRIu64 " bytes, metadata %" PRIu64 ")\n"),
           size, info->size, info->header_size);
    printf(_("Format:      version %u\n"), info->version);
    printf(_("Generation:  %016" PRIx64 "\n"), info->generation);
    printf(_("Fingerprint: %016" PRIx64 "\n"), info->fingerprint);
    if (info->doorbell)
        printf(_("Doorbell:    yes, %u vectors\n"), info->vectors);
    else
        printf(_("Doorbell:    no\n"));
    printf("\n%-31s %-8s %12s %12s  %s\n", _("OBJECT"), _("TYPE"), _("OFFSET"), _("SIZE"), _("DETAILS"));
    for (unsigned i = 0; i < info->objects; i++) {
        g_autofree char *details = NULL;
        ivshare_object_info o;

        ivshare_object_get_info(r, i, &o);
        if (o.type == IVSHARE_TYPE_RING)
            details = g_strdup_printf(_("%u slots of %u bytes, %s, %u queued"),
                                      o.slots, o.slot_size, ring_mode(&o), object_fill(r, &o));
        else if (o.type == IVSHARE_TYPE_POOL)
            details = g_strdup_printf(_("%u buffers of %u bytes, %u in use"),
                                      o.buffers, o.buffer_size, object_fill(r, &o));
        else
            details = g_strdup_printf(_("align %" PRIu64), o.align);
        printf("%-31s %-8s %12" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT "  %s\n",
               o.name, type_name(o.type), o.offset, o.size, details);
    }
}

int
ctl_inspect(ctl_options *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(ivshare_region) r = NULL;
    ivshare_region_info info;

    if (!ctl_parse(opts, "inspect", _("REGION|PATH"), 1, 1, &argc, &argv))
        return 2;
    if (!open_region(argv[1], &r, &error))
        return ctl_fail(error);
    ivshare_region_get_info(r, &info);
    if (opts->json)
        print_json(r, &info);
    else
        print_table(r, &info);
    return 0;
}

int
ctl_cmdline(ctl_options *opts, int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GKeyFile) rec = NULL;
    g_autofree char *path = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *qpath = NULL;
    g_autofree char *qsock = NULL;
    g_autoptr(ivshare_region) r = NULL;
    const ivshare_conf *conf;
    ivshare_region_info info;
    const char *name;

    if (!ctl_parse(opts, "cmdline", _("REGION"), 1, 1, &argc, &argv))
        return 2;
    name = argv[1];
    if (!ivshare_name_is_valid(name)) {
        g_set_error(&error, IVSHARE_ERROR, IVSHARE_ERROR_INVALID,
                    _("'%s' is not a region name; use 1 to 31 of the characters A-Z a-z 0-9 _ . - "
                      "(but not '.' or '..')"), name);
        return ctl_fail(error);
    }
    if (!(conf = ivshare_conf_get(&error)))
        return ctl_fail(error);
    if (!(rec = ivshare_region_record(name, conf)) ||
        !(path = g_key_file_get_string(rec, "region", "path", NULL))) {
        g_set_error(&error, IVSHARE_ERROR, IVSHARE_ERROR_NOT_FOUND,
                    _("region '%s' is not built; run 'ivsharectl build' on its description first"), name);
        return ctl_fail(error);
    }
    if (!open_region(path, &r, &error))
        return ctl_fail(error);
    ivshare_region_get_info(r, &info);
    qpath = g_shell_quote(path);
    if (info.doorbell) {
        g_autofree char *sock_name = g_strconcat(name, ".sock", NULL);
        sock = g_build_filename(conf->runtime_dir, sock_name, NULL);
        qsock = g_shell_quote(sock);
        printf("-chardev socket,path=%s,id=ivshare-%s -device ivshmem-doorbell,chardev=ivshare-%s,vectors=%u\n",
               qsock, name, name, info.vectors);
    } else {
        printf("-object memory-backend-file,id=ivshare-%s,mem-path=%s,size=%" G_GUINT64_FORMAT ",share=on "
               "-device ivshmem-plain,memdev=ivshare-%s\n", name, qpath, info.size, name);
    }
    return 0;
}
