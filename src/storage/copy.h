/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_STORAGE_COPY_H
#define BERTH_STORAGE_COPY_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * A faithful tree copy between two directories the caller opened: owners,
 * modes (setuid included), xattrs, timestamps, symlinks as symlinks, device
 * nodes and fifos, hard links kept as links within the copy.  Sockets are
 * skipped.  Used for Docker's volume copy-up and for the chowned rootfs
 * copy where the kernel refuses an idmapped mount.
 *
 * The source may be hostile (a container rootfs): every entry is opened
 * relative to its parent's fd with O_NOFOLLOW, so no symlink in it is ever
 * followed, and the walk does not cross into other mounts.
 */
struct storage_copy_opts {
        /* Rewrite each entry's owner (e.g. shift into a userns range);
         * NULL keeps owners as they are. */
        void (*map_owner)(uid_t *uid, gid_t *gid, void *data);
        void *map_data;
        /* Also give dst the owner, mode, xattrs and times of src itself. */
        bool copy_root_meta;
        /* Merge into what dst holds: directories are merged, other
         * entries replaced (a directory is never replaced by a file). */
        bool overwrite;
};

/* Copy the content of src_dirfd into dst_dirfd (which should be empty:
 * existing names make it fail with EEXIST). opts may be NULL. */
int storage_tree_copy(int src_dirfd, int dst_dirfd, const struct storage_copy_opts *opts,
                      struct berth_error **err);

/* Copy one entry: src_name under src_pfd to dst_name under dst_pfd (a
 * directory with its content). */
int storage_copy_entry(int src_pfd, const char *src_name, int dst_pfd, const char *dst_name,
                       const struct storage_copy_opts *opts, struct berth_error **err);

/* Bytes used by the regular files under dirfd (hard links counted once),
 * not crossing mounts. */
int storage_tree_size(int dirfd, long long *out, struct berth_error **err);

#endif
