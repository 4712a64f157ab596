/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* common.c: the byte reader and result checks the fuzz targets share. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    abort();
}

uint8_t
fuzz_u8(fuzz_reader *r)
{
    return r->pos < r->size ? r->data[r->pos++] : 0;
}

uint16_t
fuzz_u16(fuzz_reader *r)
{
    return (uint16_t)(fuzz_u8(r) | fuzz_u8(r) << 8);
}

uint32_t
fuzz_u32(fuzz_reader *r)
{
    uint32_t lo = fuzz_u16(r);
    return lo | (uint32_t)fuzz_u16(r) << 16;
}

uint64_t
fuzz_u64(fuzz_reader *r)
{
    uint64_t lo = fuzz_u32(r);
    return lo | (uint64_t)fuzz_u32(r) << 32;
}

gboolean
fuzz_done(const fuzz_reader *r)
{
    return r->pos >= r->size;
}

static void
drop_log(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
}

void
fuzz_quiet_logs(void)
{
    if (!g_getenv("FUZZ_VERBOSE"))
        g_log_set_default_handler(drop_log, NULL);
}

/* A parsed description, laid out and formatted as the builder would. */
static void
check_region(const ivshare_region_desc *r)
{
    g_autoptr(GError) error = NULL;
    g_autofree ivshare_layout_object *objects = NULL;
    g_autofree void *mem = NULL;
    ivshare_layout layout;
    ivshare_region *region = NULL;
    ivshare_region_info info;
    guint64 size = 0;

    FUZZ_CHECK(ivshare_region_desc_size(r, &size, &error));
    FUZZ_CHECK(ivshare_is_power_of_two(size));
    FUZZ_CHECK(ivshare_region_desc_layout(r, &layout, &objects, &error));
    FUZZ_CHECK(layout.used_size <= size);
    FUZZ_CHECK(layout.n_objects == r->objects->len);
    FUZZ_CHECK(layout.fingerprint == ivshare_region_desc_fingerprint(r));
    if (size > 4 * 1024 * 1024)
        return; /* formatting touches every byte of the objects: keep runs fast */
    mem = g_malloc0(size);
    FUZZ_CHECK(ivshare_region_format(mem, size, &layout) == 0);
    FUZZ_CHECK(ivshare_mem_open(mem, size, &region) == 0);
    FUZZ_CHECK(ivshare_region_get_info(region, &info) == 0);
    FUZZ_CHECK(info.objects == r->objects->len);
    FUZZ_CHECK(g_str_equal(info.name, r->name));
    FUZZ_CHECK(info.doorbell == (r->doorbell != FALSE));
    for (guint i = 0; i < r->objects->len; i++) {
        const ivshare_obj_desc *o = g_ptr_array_index(r->objects, i);
        void *addr;
        size_t len;
        ivshare_ring *q;
        ivshare_pool *p;

        switch (o->kind) {
        case IVSHARE_OBJ_MEMZONE:
            FUZZ_CHECK(ivshare_memzone_lookup(region, o->name, &addr, &len) == 0);
            FUZZ_CHECK(len >= o->size);
            break;
        case IVSHARE_OBJ_RING:
            FUZZ_CHECK(ivshare_ring_lookup(region, o->name, &q) == 0);
            FUZZ_CHECK(ivshare_ring_capacity(q) == o->slots);
            FUZZ_CHECK(ivshare_ring_slot_size(q) == o->slot_size);
            break;
        case IVSHARE_OBJ_POOL:
            FUZZ_CHECK(ivshare_pool_lookup(region, o->name, &p) == 0);
            FUZZ_CHECK(ivshare_pool_capacity(p) == o->buffers);
            break;
        case IVSHARE_OBJ_LAST:
            FUZZ_CHECK(!"object of no kind");
        }
    }
    ivshare_close(region);
}

void
fuzz_check_parse(gboolean ok, const ivshare_desc *desc, const GError *error,
                 const char *source)
{
    if (!ok) {
        FUZZ_CHECK(error != NULL);
        FUZZ_CHECK(desc == NULL);
        FUZZ_CHECK(error->domain == IVSHARE_ERROR);
        FUZZ_CHECK(error->message[0] != '\0');
        FUZZ_CHECK(strchr(error->message, '\n') == NULL);
        FUZZ_CHECK(g_utf8_validate(error->message, -1, NULL));
        FUZZ_CHECK(strstr(error->message, source) != NULL);
        return;
    }
    FUZZ_CHECK(error == NULL);
    if (!desc)
        return; /* a domain without a description */
    FUZZ_CHECK(desc->regions->len > 0);
    FUZZ_CHECK(ivshare_desc_check(desc, NULL));
    for (guint i = 0; i < desc->regions->len; i++)
        check_region(g_ptr_array_index(desc->regions, i));
}
