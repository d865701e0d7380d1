/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_STORAGE_IDMAP_H
#define BERTH_STORAGE_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "storage/rootfs.h"
#include "util/error.h"

/*
 * A rootfs for a container in a user namespace (--userns, --uidmap): the
 * image's files, owned by 0..65535 on disk, must appear owned by the host
 * range the container's ids map to, without copying or chowning the
 * shared layers.
 *
 * overlayfs itself refuses to be idmapped (mount_setattr MOUNT_ATTR_IDMAP
 * on the merged mount is EINVAL on 6.18), but it accepts idmapped layers:
 * each lower dir is cloned (open_tree OPEN_TREE_CLONE, a private detached
 * mount), idmapped to the container's range, and handed to the overlay as
 * /proc/self/fd/N.  Once the overlay exists it holds those clones, so no
 * extra mount is left anywhere.  The upper dir is not idmapped (overlay
 * writes through its creator's credentials, which the idmap can't
 * represent): what the container writes lands shifted on disk, as with
 * Docker's userns-remap, and the empty upper root is given to the
 * container's root.
 *
 * Where the kernel refuses an idmapped layer (a file system without
 * idmapping support), the fallback is a chowned copy: the image's merged
 * tree copied once into upper/ with ids shifted, then bind-mounted, as
 * the copy driver does (work/copied marks it).
 */
struct storage_idmap {
        uint32_t container_id, host_id, size;
};

/* A user namespace fd with these maps (from a short-lived child). */
int storage_userns_fd(const struct storage_idmap *uid, size_t n_uid,
                      const struct storage_idmap *gid, size_t n_gid, struct berth_error **err);

/* An idmapped, detached clone of the mount tree at path. */
int storage_idmapped_clone(const char *path, int userns_fd, struct berth_error **err);

/* Host id for container id in map; (uint32_t)-1 when unmapped. */
uint32_t storage_idmap_to_host(const struct storage_idmap *map, size_t n, uint32_t id);

/*
 * storage_rootfs_mount() for a container whose ids map as uid/gid: the
 * idmapped-layer overlay, else (or with *driver COPY) the chowned copy.
 * *driver (may be NULL) returns which was used.
 */
int storage_rootfs_mount_idmapped(char *const *lowers, size_t n, const char *upper,
                                  const char *work, const char *target,
                                  const struct storage_idmap *uid, size_t n_uid,
                                  const struct storage_idmap *gid, size_t n_gid,
                                  enum storage_rootfs_driver *driver, struct berth_error **err);

#endif
