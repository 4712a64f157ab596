/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* error.c: messages for the negative errno values the library returns. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "core.h"

/* One table, so that the strings are static and thread-safe. */
static const struct {
    int err;
    const char *text;
} ivshare_errors[] = {
    { 0, "Success" },
    { EPERM, "Operation not permitted" },
    { ENOENT, "No such file or directory" },
    { EIO, "Input/output error" },
    { EBADF, "Bad file descriptor" },
    { EAGAIN, "Resource temporarily unavailable" },
    { ENOMEM, "Cannot allocate memory" },
    { EACCES, "Permission denied" },
    { EFAULT, "Bad address" },
    { EBUSY, "Device or resource busy" },
    { EEXIST, "File exists" },
    { ENODEV, "No such device" },
    { ENOTDIR, "Not a directory" },
    { EISDIR, "Is a directory" },
    { EINVAL, "Invalid argument" },
    { EMFILE, "Too many open files" },
    { EFBIG, "File too large" },
    { ENOSPC, "No space left on device" },
    { EROFS, "Read-only file system" },
    { ERANGE, "Numerical result out of range" },
    { ENAMETOOLONG, "File name too long" },
    { ENOSYS, "Function not implemented" },
    { ELOOP, "Too many levels of symbolic links" },
    { EOVERFLOW, "Value too large for defined data type" },
    { EMSGSIZE, "Message too long" },
    { ENOTSUP, "Operation not supported" },
    { ENOBUFS, "No buffer space available" },
    { ECONNREFUSED, "Connection refused" },
    { ETIMEDOUT, "Connection timed out" },
    { ESTALE, "Stale file handle" },
    { ESRCH, "No such process" },
    { EINTR, "Interrupted system call" },
    { ENXIO, "No such device or address" },
    { IVSHARE_EBADREGION, "Region metadata is invalid or corrupt" },
    { IVSHARE_ENOTREADY, "Region is still being built" },
    { IVSHARE_EBADVERSION, "Region format version is not supported" },
    { IVSHARE_ECORRUPT, "Shared object state is inconsistent" },
};

_Static_assert(IVSHARE_ELAST == IVSHARE_ECORRUPT + 1,
               "every ivshare error has a message");

IVSHARE_EXPORT const char *ivshare_strerror(int err)
{
    if (err < 0)
        err = -err;
    for (size_t i = 0; i < sizeof(ivshare_errors) / sizeof(ivshare_errors[0]); i++)
        if (ivshare_errors[i].err == err)
            return ivshare_errors[i].text;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    /* glibc's own static text, unlike strerror() safe in any thread */
    const char *text = strerrordesc_np(err);
    if (text)
        return text;
#endif
    return "Unknown error";
}
