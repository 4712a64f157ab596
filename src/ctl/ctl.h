/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ctl.h: what the ivsharectl commands share. */
#ifndef IVSHARE_CTL_H
#define IVSHARE_CTL_H

#include "build.h"
#include "domxml.h"
#include "inject.h"
#include "json.h"
#include "virt.h"

typedef struct {
    gboolean json;
    char *uri;
} ctl_options;

gboolean ctl_parse(ctl_options *opts, const char *cmd, const char *args, int min, int max,
                   int *argc, char ***argv);
/* Print the error and return the exit code that goes with it. */
int ctl_fail(const GError *error);
int ctl_exit_code(const GError *error);

int ctl_validate(ctl_options *opts, int argc, char **argv);
int ctl_inject(ctl_options *opts, int argc, char **argv);
int ctl_build(ctl_options *opts, int argc, char **argv);
int ctl_inspect(ctl_options *opts, int argc, char **argv);
int ctl_cmdline(ctl_options *opts, int argc, char **argv);
int ctl_define(ctl_options *opts, int argc, char **argv);
int ctl_sync(ctl_options *opts, int argc, char **argv);
int ctl_status(ctl_options *opts, int argc, char **argv);
int ctl_gc(ctl_options *opts, int argc, char **argv);

#endif /* IVSHARE_CTL_H */
