/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fuzz-inject.c: fuzz target of device injection: a fuzzed domain XML, a
 * fixed description of two regions (one plain, one doorbell).  Whatever
 * comes out must pass the injector's own check and be a fixed point.
 */
#include "fuzz.h"
#include "inject.h"

static const char description[] =
    "<ivshare:shared-memory xmlns:ivshare='https://ivshare.dev/xmlns/domain/1'>"
    "<ivshare:region name='fastpath' host-app='pktgen'>"
    "<ivshare:ring name='to-guest' slot-size='256' slots='64'/>"
    "<ivshare:pool name='bufs' buffer-size='2K' buffers='16'/>"
    "</ivshare:region>"
    "<ivshare:region name='bell' host-app='pktgen' backing='shm' doorbell='yes' vectors='2'>"
    "<ivshare:memzone name='z' size='4K'/>"
    "</ivshare:region>"
    "</ivshare:shared-memory>";

static ivshare_desc *
fixed_description(void)
{
    static ivshare_desc *desc;

    if (!desc) {
        g_autoptr(GError) error = NULL;
        FUZZ_CHECK(ivshare_desc_from_xml(description, sizeof(description) - 1, "fixed.xml",
                                         &desc, &error));
        FUZZ_CHECK(desc != NULL);
    }
    return desc;
}

static void
check_error(const GError *error)
{
    FUZZ_CHECK(error != NULL);
    FUZZ_CHECK(error->domain == IVSHARE_ERROR);
    FUZZ_CHECK(g_utf8_validate(error->message, -1, NULL));
}

static void
inject_with(const uint8_t *data, size_t size, const ivshare_desc *desc)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *out = ivshare_inject((const char *)data, size, desc, NULL, &error);
    g_autofree char *again = NULL;

    if (!out) {
        check_error(error);
        /* the check refuses the same document */
        g_clear_error(&error);
        FUZZ_CHECK(!ivshare_inject_check((const char *)data, size, desc, NULL, &error));
        check_error(error);
        return;
    }
    FUZZ_CHECK(error == NULL);
    FUZZ_CHECK(ivshare_inject_check(out, strlen(out), desc, NULL, &error));
    FUZZ_CHECK(error == NULL);
    again = ivshare_inject(out, strlen(out), desc, NULL, &error);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(g_str_equal(again, out));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_quiet_logs();
    inject_with(data, size, fixed_description());
    inject_with(data, size, NULL);
    return 0;
}
