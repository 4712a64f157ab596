/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* core.h: private declarations shared by the core library's files. */
#ifndef IVSHARE_CORE_H
#define IVSHARE_CORE_H

#include "format.h"

#define IVSHARE_EXPORT __attribute__((visibility("default")))

#endif /* IVSHARE_CORE_H */
