/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/copy.h"
#include "storage/idmap.h"
#include "storage/rootfs-private.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/xalloc.h"

uint32_t storage_idmap_to_host(const struct storage_idmap *map, size_t n, uint32_t id)
{
        for (size_t i = 0; i < n; i++)
                if (id >= map[i].container_id && id - map[i].container_id < map[i].size)
                        return map[i].host_id + (id - map[i].container_id);
        return (uint32_t)-1;
}

static int write_map(pid_t pid, const char *file, const struct storage_idmap *m, size_t n,
                     struct berth_error **err)
{
        size_t cap = 1 + n * 40, len = 0;
        _cleanup_free_ char *buf = xcalloc(1, cap);
        for (size_t i = 0; i < n; i++)
                len += (size_t)snprintf(buf + len, cap - len, "%u %u %u\n", m[i].container_id,
                                        m[i].host_id, m[i].size);
        _cleanup_free_ char *path = xasprintf("/proc/%d/%s", pid, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || util_write_all(fd, buf, len) < 0)
                return berth_err(err, errno, "writing `%s`", path);
        return 0;
}

int storage_userns_fd(const struct storage_idmap *uid, size_t n_uid,
                      const struct storage_idmap *gid, size_t n_gid, struct berth_error **err)
{
        int sync[2];
        if (pipe2(sync, O_CLOEXEC) < 0)
                return berth_err(err, errno, "making a pipe");
        _cleanup_close_ int rd = sync[0], wr = sync[1];
        /* The child only makes a namespace and waits: it holds nothing and
         * dies when we close the pipe (or are killed). */
        _cleanup_kill_ pid_t pid = fork();
        if (pid < 0)
                return berth_err(err, errno, "forking");
        if (pid == 0) {
                close(wr);
                if (unshare(CLONE_NEWUSER) < 0)
                        _exit(1);
                char b;
                while (read(rd, &b, 1) < 0 && errno == EINTR)
                        ;
                _exit(0);
        }
        close(steal_fd(&rd));
        /* Wait for the unshare: the child's ns link changes from ours. */
        _cleanup_free_ char *nspath = xasprintf("/proc/%d/ns/user", pid);
        struct stat self, child;
        if (stat("/proc/self/ns/user", &self) < 0)
                return berth_err(err, errno, "inspecting our user namespace");
        for (int i = 0; i < 5000; i++) {
                if (stat(nspath, &child) < 0)
                        return berth_err(err, errno, "inspecting `%s`", nspath);
                if (child.st_ino != self.st_ino)
                        break;
                usleep(200);
        }
        if (child.st_ino == self.st_ino)
                return berth_err(err, ETIMEDOUT, "making a user namespace");
        if (write_map(pid, "uid_map", uid, n_uid, err) < 0 ||
            write_map(pid, "gid_map", gid, n_gid, err) < 0)
                return berth_err_wrap(err, "user namespace");
        int fd = open(nspath, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", nspath);
        close(steal_fd(&wr));
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pid = 0;
        return fd;
}

int storage_idmapped_clone(const char *path, int userns_fd, struct berth_error **err)
{
        _cleanup_close_ int t = (int)syscall(SYS_open_tree, AT_FDCWD, path,
                                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (t < 0)
                return berth_err(err, errno, "cloning the mount at `%s`", path);
        struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd};
        if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
                return berth_err(err, errno, "idmapping `%s`", path);
        return steal_fd(&t);
}

static int overlay_idmapped(char *const *lowers, size_t n, const char *upper, const char *work,
                            const char *target, int ns, struct berth_error **err)
{
        /* Each layer as an idmapped clone, named through our fd table; the
         * clones stay open until the overlay holds its own references. */
        int *clones = xcalloc(n + 1, sizeof(int));
        _cleanup_strv_ char **paths = xcalloc(n + 1, sizeof(char *));
        int r = 0;
        size_t made = 0;
        for (; made < n; made++) {
                clones[made] = storage_idmapped_clone(lowers[made], ns, err);
                if (clones[made] < 0) {
                        r = clones[made];
                        break;
                }
                paths[made] = xasprintf("/proc/self/fd/%d", clones[made]);
        }
        if (r == 0)
                r = storage_overlay_mount(paths, n, upper, work, target, 0, err);
        for (size_t i = 0; i < made; i++)
                close(clones[i]);
        free(clones);
        return r;
}

struct shift {
        const struct storage_idmap *uid, *gid;
        size_t n_uid, n_gid;
};

static void shift_owner(uid_t *uid, gid_t *gid, void *data)
{
        const struct shift *s = data;
        uint32_t u = storage_idmap_to_host(s->uid, s->n_uid, *uid);
        uint32_t g = storage_idmap_to_host(s->gid, s->n_gid, *gid);
        /* An id outside the range has no owner in the container: the
         * kernel's overflow id is what it would see anyway. */
        *uid = u != (uint32_t)-1 ? u : 65534;
        *gid = g != (uint32_t)-1 ? g : 65534;
}

/* The chowned copy: the image's merged tree (a read-only overlay on an fd
 * only: whiteouts already applied) into upper/ with ids shifted, once. */
static int chowned_copy(char *const *lowers, size_t n, const char *upper, const char *work,
                        const char *target, const struct shift *sh, struct berth_error **err)
{
        _cleanup_close_ int workfd = open(work, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (workfd < 0)
                return berth_err(err, errno, "opening `%s`", work);
        if (faccessat(workfd, "copied", F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
                _cleanup_close_ int up = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (up < 0)
                        return berth_err(err, errno, "opening `%s`", upper);
                _cleanup_close_ int src = -1, mnt = -1;
                if (n == 1) {
                        /* One layer is its own merged view (overlay wants
                         * two lowers without an upper). */
                        src = open(lowers[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (src < 0)
                                return berth_err(err, errno, "opening layer `%s`", lowers[0]);
                } else if (n > 1) {
                        _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
                        for (size_t i = 0; fs >= 0 && i < n; i++)
                                if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) <
                                    0)
                                        return berth_err(err, errno, "overlay lower dir `%s`",
                                                         lowers[i]);
                        if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                                return berth_err(err, errno, "reading the image's layers");
                        mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
                        if (mnt < 0)
                                return berth_err(err, errno, "reading the image's layers");
                        src = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (src < 0)
                                return berth_err(err, errno, "reading the image's layers");
                }
                struct storage_copy_opts co = {.map_owner = shift_owner,
                                               .map_data = (void *)sh,
                                               .overwrite = true,
                                               .copy_root_meta = true};
                if (src >= 0 && storage_tree_copy(src, up, &co, err) < 0)
                        return berth_err_wrap(err, "copying the image with shifted owners");
                _cleanup_close_ int m =
                    openat(workfd, "copied", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                if (m < 0)
                        return berth_err(err, errno, "marking `%s` copied", upper);
        }
        if (mount(upper, target, NULL, MS_BIND | MS_REC, NULL) < 0)
                return berth_err(err, errno, "bind-mounting `%s` at `%s`", upper, target);
        return 0;
}

int storage_rootfs_mount_idmapped(char *const *lowers, size_t n, const char *upper,
                                  const char *work, const char *target,
                                  const struct storage_idmap *uid, size_t n_uid,
                                  const struct storage_idmap *gid, size_t n_gid,
                                  enum storage_rootfs_driver *driver, struct berth_error **err)
{
        struct shift sh = {.uid = uid, .gid = gid, .n_uid = n_uid, .n_gid = n_gid};
        uint32_t root_uid = storage_idmap_to_host(uid, n_uid, 0);
        uint32_t root_gid = storage_idmap_to_host(gid, n_gid, 0);
        if (root_uid == (uint32_t)-1 || root_gid == (uint32_t)-1)
                return berth_err(err, EINVAL, "the id maps give the container no root");
        enum storage_rootfs_driver want = driver ? *driver : STORAGE_ROOTFS_AUTO;
        _cleanup_free_ char *marker = xasprintf("%s/copied", work);
        if (access(marker, F_OK) == 0)
                want = STORAGE_ROOTFS_COPY;
        /* The container's "/" is upper/'s root: its root owns it. */
        struct stat st;
        if (stat(upper, &st) < 0)
                return berth_err(err, errno, "inspecting `%s`", upper);
        if (st.st_uid == 0 && st.st_gid == 0 && chown(upper, root_uid, root_gid) < 0)
                return berth_err(err, errno, "giving `%s` to the container's root", upper);
        if (chmod(upper, 0755) < 0)
                return berth_err(err, errno, "changing the mode of `%s`", upper);
        if (want != STORAGE_ROOTFS_COPY && n > 0) {
                _cleanup_close_ int ns = storage_userns_fd(uid, n_uid, gid, n_gid, err);
                if (ns < 0)
                        return berth_err_ret(*err);
                _cleanup_error_ struct berth_error *oerr = NULL;
                int r = overlay_idmapped(lowers, n, upper, work, target, ns, &oerr);
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
                log_info("idmapped layers refused (%s): using a chowned copy", why);
        }
        if (chowned_copy(lowers, n, upper, work, target, &sh, err) < 0)
                return berth_err_ret(*err);
        if (driver)
                *driver = STORAGE_ROOTFS_COPY;
        return 0;
}
