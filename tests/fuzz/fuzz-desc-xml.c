/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-desc-xml.c: fuzz target of the XML description parser. */
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(ivshare_desc) desc = NULL;
    g_autoptr(GError) error = NULL;
    gboolean ok;

    ok = ivshare_desc_from_xml((const char *)data, size, "fuzz.xml", &desc, &error);
    fuzz_check_parse(ok, desc, error, "fuzz.xml");
    return 0;
}
