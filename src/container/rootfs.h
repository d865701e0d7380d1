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
 * bundle's config.json in dir (the monitor's case).  flags: as
 * storage_rootfs_mount's (STORAGE_ROOTFS_VOLATILE for --rm).
 */
int container_rootfs_mount(const char *dir, char *const *lowers, const char *target,
                           const struct container_options *o, const struct container_idmap *auto_u,
                           const struct container_idmap *auto_g, unsigned flags,
                           enum storage_rootfs_driver *driver, struct berth_error **err);

/* The id maps of the bundle in dir (config.json's linux.uidMappings and
 * gidMappings; gids as uids when only those are given).  Returns the
 * number of uid maps: 0 for a container without a user namespace. */
struct storage_idmap;
size_t container_idmaps_load(const char *dir, struct storage_idmap **uid,
                             struct storage_idmap **gid, size_t *n_gid);

#endif
