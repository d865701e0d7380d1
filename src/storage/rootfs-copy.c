/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The copy driver's layer application.  Both trees are walked through
 * directory fds only, every entry opened relative to its parent with
 * O_NOFOLLOW: a symlink in a layer is copied as a symlink and never
 * followed, so an image can't make us write outside upper/.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/copy.h"
#include "storage/rootfs-private.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

static bool is_whiteout(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && major(st->st_rdev) == 0 && minor(st->st_rdev) == 0;
}

static bool is_opaque(int dirfd)
{
        char v[2];
        _cleanup_free_ char *p = xasprintf("/proc/self/fd/%d", dirfd);
        ssize_t n = getxattr(p, "trusted.overlay.opaque", v, sizeof(v));
        return n == 1 && v[0] == 'y';
}

static void set_times(int dirfd, const char *name, const struct stat *st)
{
        struct timespec ts[2] = {st->st_atim, st->st_mtim};
        (void)utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

int storage_rootfs_copy_tree(int srcfd, int dstfd, struct berth_error **err)
{
        _cleanup_close_ int dup = openat(srcfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dup < 0)
                return berth_err(err, errno, "reopening a layer directory");
        _cleanup_closedir_ DIR *d = fdopendir(steal_fd(&dup));
        if (d == NULL)
                return berth_err(err, errno, "reading a layer directory");
        struct dirent *de;
        while ((errno = 0, de = readdir(d)) != NULL) {
                const char *name = de->d_name;
                if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                        continue;
                struct stat st, dst;
                if (fstatat(srcfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_err(err, errno, "stat `%s`", name);
                bool exists = fstatat(dstfd, name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
                if (is_whiteout(&st)) {
                        if (exists && util_path_remove_tree(dstfd, name, err) < 0)
                                return berth_err_ret(*err);
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (exists && util_path_remove_tree(dstfd, name, err) < 0)
                                return berth_err_ret(*err);
                        if (storage_copy_entry(srcfd, name, dstfd, name, NULL, err) < 0)
                                return berth_err_ret(*err);
                        continue;
                }
                _cleanup_close_ int sub =
                    openat(srcfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        return berth_err(err, errno, "opening `%s`", name);
                if (exists && (!S_ISDIR(dst.st_mode) || is_opaque(sub))) {
                        if (util_path_remove_tree(dstfd, name, err) < 0)
                                return berth_err_ret(*err);
                        exists = false;
                }
                if (!exists && mkdirat(dstfd, name, 0700) < 0)
                        return berth_err(err, errno, "creating `%s`", name);
                _cleanup_close_ int dsub =
                    openat(dstfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dsub < 0)
                        return berth_err(err, errno, "opening `%s`", name);
                if (storage_rootfs_copy_tree(sub, dsub, err) < 0)
                        return berth_err_wrap(err, "%s", name);
                if (fchown(dsub, st.st_uid, st.st_gid) < 0 || fchmod(dsub, st.st_mode & 07777) < 0)
                        return berth_err(err, errno, "setting owner and mode of `%s`", name);
                set_times(dstfd, name, &st);
        }
        if (errno != 0)
                return berth_err(err, errno, "reading a layer directory");
        return 0;
}
