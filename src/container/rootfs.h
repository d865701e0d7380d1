/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_CONTAINER_ROOTFS_H
#define BERTH_CONTAINER_ROOTFS_H

#include <stddef.h>

#include "container/options.h"
#include "storage/rootfs.h"
#include "util/error.h"

/*
 * Mount a container's rootfs at target (upper/ and work/ under dir, the
 * container's directory): storage_rootfs_mount(), or for a container in a
 * user namespace storage_rootfs_mount_idmapped() so that the image's files
 * appear owned by the host range its ids map to.
 *
 * The maps: with o, those the spec will have (--uidmap/--gidmap, or with
 * --userns=auto the auto_* range; a uid map alone serves for gids too, as
 * the spec does); with o NULL, the linux.uidMappings/gidMappings of the
 * bundle's config.json in dir (the monitor's case).
 */
int container_rootfs_mount(const char *dir, char *const *lowers, const char *target,
                           const struct container_options *o, const struct container_idmap *auto_u,
                           const struct container_idmap *auto_g, enum storage_rootfs_driver *driver,
                           struct berth_error **err);

#endif
