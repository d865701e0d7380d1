/* SPDX-License-Identifier: Apache-2.0 */
#ifndef BERTH_UTIL_FS_H
#define BERTH_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/*
 * Atomic writes: temp file in the same directory, renamed over the target,
 * so a reader sees the old or the new content, never a mix.  With
 * UTIL_WRITE_DURABLE the file is fsynced before the rename and the
 * directory after it, so that the new content also survives the machine
 * dying at any instant; that costs a journal commit or two, so files that
 * are rewritten on every start or die with the container go without.
 */
enum util_write_flags {
        UTIL_WRITE_DURABLE = 1 << 0,
};
int util_file_write(int dirfd, const char *name, const void *buf, size_t len, mode_t mode,
                    unsigned flags, struct berth_error **err);
/* util_file_write(..., UTIL_WRITE_DURABLE, ...) */
int util_file_write_atomic(int dirfd, const char *name, const void *buf, size_t len, mode_t mode,
                           struct berth_error **err);

/* Read a whole file (NUL-terminated; *len excludes the NUL). */
int util_file_read(int dirfd, const char *path, char **out, size_t *len, struct berth_error **err);

/* Write a whole buffer to fd, retrying on EINTR and short writes. */
int util_write_all(int fd, const void *buf, size_t len);
/* Read up to len bytes, retrying on EINTR and short reads; returns bytes read. */
ssize_t util_read_all(int fd, void *buf, size_t len);

/*
 * Open path as seen from inside rootfd: "..", absolute paths and symlinks
 * are all resolved as if rootfd were "/", and magic links (/proc/self/fd/N)
 * are refused.  This is how every path inside a container rootfs, a layer
 * or a build context is opened; joining strings would let a symlink in the
 * untrusted tree point the host's own files at us.
 */
int util_path_open_in_root(int rootfd, const char *path, int flags, mode_t mode,
                           struct berth_error **err);

/* mkdir -p of path inside rootfd (resolved as above); returns an O_PATH
 * O_DIRECTORY fd of the final directory. */
int util_path_mkdir_in_root(int rootfd, const char *path, mode_t mode, struct berth_error **err);

/* mkdir -p on a host path the caller controls. */
int util_path_mkdir_p(const char *path, mode_t mode, struct berth_error **err);

/* rm -rf of name under dirfd, without following symlinks or crossing
 * mount points; a missing name is not an error. */
int util_path_remove_tree(int dirfd, const char *name, struct berth_error **err);

bool util_path_exists(const char *path);

/*
 * An flock(2) held for as long as the returned fd stays open: closing the fd
 * (or dying) releases it, so a crashed holder never wedges the store.
 * op is LOCK_SH or LOCK_EX, optionally | LOCK_NB.
 */
int util_lock_acquire(const char *path, int op, struct berth_error **err);

#endif
