/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-desc-ini.c: fuzz target of the INI description parser. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ivshare_desc) desc = NULL;
    g_autoptr(GError) error = NULL;
    gboolean ok;

    ok = ivshare_desc_from_ini((const char *)data, size, "fuzz.ini", "vm1", &desc, &error);
    FUZZ_CHECK(!ok || desc != NULL);
    fuzz_check_parse(ok, desc, error, "fuzz.ini");
    return 0;
}
