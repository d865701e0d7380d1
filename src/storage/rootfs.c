/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/rootfs-private.h"
#include "storage/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

const char *storage_rootfs_driver_name(enum storage_rootfs_driver d)
{
        switch (d) {
        case STORAGE_ROOTFS_OVERLAY:
                return "overlay";
        case STORAGE_ROOTFS_COPY:
                return "copy";
        default:
                return "auto";
        }
}

int storage_rootfs_driver_parse(const char *name, enum storage_rootfs_driver *out)
{
        static const enum storage_rootfs_driver all[] = {
            STORAGE_ROOTFS_AUTO, STORAGE_ROOTFS_OVERLAY, STORAGE_ROOTFS_COPY};
        for (size_t i = 0; i < 3; i++)
                if (strcmp(name, storage_rootfs_driver_name(all[i])) == 0) {
                        *out = all[i];
                        return 0;
                }
        return -EINVAL;
}

/* The kernel's reason for a failed fsconfig (read from the fs context). */
static void log_fs_context(int fd)
{
        char buf[512];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
                buf[n] = '\0';
                if (buf[n - 1] == '\n')
                        buf[n - 1] = '\0';
                log_debug("overlay: %s", buf);
        }
}

/* A volatile overlay leaves work/work/incompat/volatile behind, and the
 * kernel refuses that work dir until it is cleared: after a crash the
 * upper dir may be torn.  A marker made since this boot comes from a clean
 * unmount (a --rm container restarted) and goes; an older one is refused. */
static int clear_volatile_marker(const char *work, struct berth_error **err)
{
        _cleanup_free_ char *incompat = xasprintf("%s/work/incompat", work);
        _cleanup_free_ char *marker = xasprintf("%s/volatile", incompat);
        struct stat st;
        if (lstat(marker, &st) < 0)
                return 0;
        struct timespec up;
        clock_gettime(CLOCK_BOOTTIME, &up);
        if (st.st_ctime < time(NULL) - up.tv_sec - 1)
                return berth_err(err, 0,
                                 "`%s`: a volatile writable layer from before a reboot: "
                                 "remove the container",
                                 work);
        _cleanup_close_ int fd = open(incompat, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", incompat);
        return util_path_remove_tree(fd, "volatile", err);
}

int storage_overlay_mount(char *const *lowers, size_t n, const char *upper, const char *work,
                          const char *target, unsigned flags, struct berth_error **err)
{
        if (clear_volatile_marker(work, err) < 0)
                return berth_err_ret(*err);
        _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return berth_err(err, errno, "opening an overlay context");
        /* "lowerdir+" takes one layer per call, top first, so neither the
         * number of layers nor their path lengths meet the page-sized
         * limit of a lowerdir= option string. */
        for (size_t i = 0; i < n; i++)
                if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0) {
                        int e = errno;
                        log_fs_context(fs);
                        return berth_err(err, e, "overlay lower dir `%s`", lowers[i]);
                }
        if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0) {
                int e = errno;
                log_fs_context(fs);
                return berth_err(err, e, "overlay upper dir `%s`", upper);
        }
        /* A kernel without it (before 5.10) syncs as before. */
        if ((flags & STORAGE_ROOTFS_VOLATILE) &&
            fsconfig(fs, FSCONFIG_SET_FLAG, "volatile", NULL, 0) < 0)
                log_fs_context(fs);
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
                int e = errno;
                log_fs_context(fs);
                return berth_err(err, e, "creating the overlay for `%s`", target);
        }
        _cleanup_close_ int mnt = fsmount(fs, FSMOUNT_CLOEXEC, 0);
        if (mnt < 0)
                return berth_err(err, errno, "mounting the overlay for `%s`", target);
        if (move_mount(mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return berth_err(err, errno, "attaching the overlay at `%s`", target);
        return 0;
}

static int mount_copy(char *const *lowers, size_t n, const char *upper, const char *work,
                      const char *target, struct berth_error **err)
{
        /* The marker lives in work/, which the copy driver doesn't
         * otherwise use: upper/ is entirely the container's. */
        _cleanup_close_ int workfd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (workfd < 0)
                return berth_err(err, errno, "opening `%s`", work);
        if (faccessat(workfd, "copied", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
                _cleanup_close_ int upfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (upfd < 0)
                        return berth_err(err, errno, "opening `%s`", upper);
                /* Bottom layer first, so upper layers replace and white
                 * out what lower ones made. */
                for (size_t i = n; i-- > 0;) {
                        _cleanup_close_ int src =
                            open(lowers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (src < 0)
                                return berth_err(err, errno, "opening layer `%s`", lowers[i]);
                        if (storage_rootfs_copy_tree(src, upfd, err) < 0)
                                return berth_err_wrap(err, "copying layer `%s`", lowers[i]);
                }
                _cleanup_close_ int m =
                    openat(workfd, "copied", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                if (m < 0)
                        return berth_err(err, errno, "marking `%s` copied", upper);
        }
        if (mount(upper, target, NULL, MS_BIND | MS_REC, NULL) < 0)
                return berth_err(err, errno, "bind-mounting `%s` at `%s`", upper, target);
        return 0;
}

/* overlayfs shows upper/'s own mode and owner as the container's "/", so a
 * fresh upper/ takes them from the image's top layer (a 0700 work dir
 * would lock every non-root user out of the whole tree).  Once the
 * container has written anything, "/" is its own. */
static int upper_root_from_image(const char *top, const char *upper, struct berth_error **err)
{
        _cleanup_close_ int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", upper);
        _cleanup_closedir_ DIR *d = fdopendir(dup(fd));
        if (d == NULL)
                return berth_err(err, errno, "reading `%s`", upper);
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        return 0;
        struct stat st;
        if (stat(top, &st) < 0)
                return berth_err(err, errno, "inspecting `%s`", top);
        if (fchown(fd, st.st_uid, st.st_gid) < 0 || fchmod(fd, st.st_mode & 07777) < 0)
                return berth_err(err, errno, "giving `%s` the image root's mode", upper);
        return 0;
}

int storage_rootfs_mount(char *const *lowers, size_t n, const char *upper, const char *work,
                         const char *target, unsigned flags, enum storage_rootfs_driver *driver,
                         struct berth_error **err)
{
        enum storage_rootfs_driver want = driver ? *driver : STORAGE_ROOTFS_AUTO;
        /* A container that already ran with the copy driver keeps it: its
         * upper/ holds the whole tree, not a diff. */
        _cleanup_free_ char *marker = xasprintf("%s/copied", work);
        if (want == STORAGE_ROOTFS_AUTO && access(marker, F_OK) == 0)
                want = STORAGE_ROOTFS_COPY;
        /* Overlay needs a lower layer; an image without layers is just
         * its upper dir. */
        if (want != STORAGE_ROOTFS_COPY && n > 0) {
                if (upper_root_from_image(lowers[0], upper, err) < 0)
                        return berth_err_ret(*err);
                _cleanup_error_ struct berth_error *oerr = NULL;
                int r = storage_overlay_mount(lowers, n, upper, work, target, flags, &oerr);
                if (r == 0) {
                        if (driver)
                                *driver = STORAGE_ROOTFS_OVERLAY;
                        return 0;
                }
                if (want == STORAGE_ROOTFS_OVERLAY) {
                        *err = steal_pointer(&oerr);
                        return r;
                }
                _cleanup_free_ char *why = berth_error_text(oerr);
                log_info("overlay unusable (%s): using the copy driver", why);
        }
        if (mount_copy(lowers, n, upper, work, target, err) < 0)
                return berth_err_ret(*err);
        if (driver)
                *driver = STORAGE_ROOTFS_COPY;
        return 0;
}

int storage_rootfs_umount(const char *target, struct berth_error **err)
{
        if (umount2(target, UMOUNT_NOFOLLOW) == 0)
                return 0;
        if (errno == EINVAL || errno == ENOENT)
                return 0;
        /* Busy: a process in the host's mount namespace holds it (a shell
         * with its cwd in there); detach so the name is free and the
         * kernel drops the mount when its last user goes. */
        if (errno == EBUSY && umount2(target, MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
                return 0;
        return berth_err(err, errno, "unmounting `%s`", target);
}
