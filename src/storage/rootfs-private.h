/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_STORAGE_ROOTFS_PRIVATE_H
#define BERTH_STORAGE_ROOTFS_PRIVATE_H

#include "util/error.h"

/* Apply the overlay lower dir srcfd onto dstfd: entries replace what is
 * there, 0:0 character devices remove the name, an opaque dir
 * (trusted.overlay.opaque=y) replaces the whole directory. */
int storage_rootfs_copy_tree(int srcfd, int dstfd, struct berth_error **err);

/* Mount an overlay of lowers (top first; any number, each its own
 * "lowerdir+") under upper/work at target, through the new mount API.
 * flags: STORAGE_ROOTFS_VOLATILE. */
int storage_overlay_mount(char *const *lowers, size_t n, const char *upper, const char *work,
                          const char *target, unsigned flags, struct berth_error **err);

#endif
