/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_STORAGE_ROOTFS_H
#define BERTH_STORAGE_ROOTFS_H

#include <stddef.h>

#include "util/error.h"

/*
 * A container's root filesystem: the image's layers read-only under a
 * writable upper dir of the container's own.
 *
 * overlay: mounted through the new mount API, one "lowerdir+" per layer,
 *   so there is no page-sized limit on the option string and images of
 *   hundreds of layers mount.
 * copy: where overlay can't be used (no overlay in the kernel, an upper
 *   dir on a filesystem overlay refuses), the layers are applied in order
 *   into upper/ once (whiteouts and opaque dirs honoured) and upper/ is
 *   bind-mounted at the target.  Slower to create, same result.
 */

enum storage_rootfs_driver {
        STORAGE_ROOTFS_AUTO,    /* in: overlay, else copy */
        STORAGE_ROOTFS_OVERLAY, /* in: overlay only; out: overlay was used */
        STORAGE_ROOTFS_COPY,    /* in: copy only; out: copy was used */
};

/* "overlay" / "copy" / "auto" */
const char *storage_rootfs_driver_name(enum storage_rootfs_driver d);
/* Parses a driver name; -EINVAL when unknown. */
int storage_rootfs_driver_parse(const char *name, enum storage_rootfs_driver *out);

/*
 * Mount lowers (layer diff dirs, top first; n may be 0) under upper, with
 * work as overlay's work dir, at target (an existing directory).  upper
 * and work must exist and be on one filesystem.  *driver says which driver
 * to try (AUTO when NULL) and on return which one was used.  Mounting again
 * after an unmount reuses upper/ (a restarted container keeps its changes;
 * the copy driver copies only the first time).
 *
 * STORAGE_ROOTFS_VOLATILE: the overlay is mounted "volatile" (where the
 * kernel knows it): it never syncs the upper file system, which its
 * unmount otherwise does (a journal commit on ext4).  For a writable layer
 * that dies with its one run (--rm, as podman does): after a crash the
 * work dir refuses to mount again until cleared.
 */
enum {
        STORAGE_ROOTFS_VOLATILE = 1 << 0,
};
int storage_rootfs_mount(char *const *lowers, size_t n, const char *upper, const char *work,
                         const char *target, unsigned flags, enum storage_rootfs_driver *driver,
                         struct berth_error **err);

/* Unmount target; not mounted is not an error. */
int storage_rootfs_umount(const char *target, struct berth_error **err);

#endif
