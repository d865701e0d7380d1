/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/*
 * Executed by the container's init in its own mount namespace, before
 * pivot_root.  The rule that makes it safe against a hostile rootfs (the
 * CVE-2021-30465 class): no mount ever takes a destination path as a string
 * joined onto the rootfs.  Each destination is opened with openat2
 * RESOLVE_IN_ROOT (util_path_*_in_root), so "..", absolute symlinks and
 * symlinks swapped in by a racing container process all resolve inside the
 * rootfs; the mount then targets /proc/self/fd/N of that opened fd, which
 * names exactly the inode we checked, not whatever the path names by then.
 */

#define FD_PATH_LEN 32

static void fd_path(char buf[FD_PATH_LEN], int fd)
{
        snprintf(buf, FD_PATH_LEN, "/proc/self/fd/%d", fd);
}

/* The first component of path (inside rootfd) that is a symlink whose
 * target does not exist yet: *out is path with that component replaced by
 * the link's target.  1 found, 0 none. */
static int find_dangling(int rootfd, const char *path, char **out)
{
        size_t len = strlen(path);
        for (size_t e = 0; e < len;) {
                while (e < len && path[e] == '/')
                        e++;
                while (e < len && path[e] != '/')
                        e++;
                _cleanup_free_ char *prefix = xstrndup(path, e);
                struct berth_error *scratch = NULL;
                _cleanup_close_ int fd =
                    util_path_open_in_root(rootfd, prefix, O_PATH | O_NOFOLLOW, 0, &scratch);
                berth_error_free(steal_pointer(&scratch));
                char target[4096];
                ssize_t n = fd >= 0 ? readlinkat(fd, "", target, sizeof(target) - 1) : -1;
                if (n <= 0)
                        continue;
                target[n] = '\0';
                int probe = util_path_open_in_root(rootfd, prefix, O_PATH, 0, &scratch);
                berth_error_free(steal_pointer(&scratch));
                if (probe >= 0) {
                        close(probe);
                        continue;
                }
                _cleanup_free_ char *dir = xstrdup(prefix);
                char *slash = strrchr(dir, '/');
                if (slash)
                        *slash = '\0';
                *out = target[0] == '/' ? xasprintf("%s%s", target, path + e)
                                        : xasprintf("%s/%s%s", dir, target, path + e);
                return 1;
        }
        return 0;
}

/* mkdir -p inside rootfd that also creates the target of a dangling
 * symlink on the way, the way a host mkdir -p would, but with every
 * resolution (including the link's target) confined to the rootfs. */
static int mkdir_in_root_follow(int rootfd, const char *path, struct berth_error **err)
{
        _cleanup_free_ char *cur = xstrdup(path);
        for (int depth = 0; depth < 40; depth++) {
                struct berth_error *scratch = NULL;
                int fd = util_path_mkdir_in_root(rootfd, cur, 0755, &scratch);
                berth_error_free(scratch);
                if (fd >= 0)
                        return fd;
                if (fd != -ENOENT)
                        return berth_err(err, -fd, "creating `%s` in the rootfs", path);
                char *next = NULL;
                if (find_dangling(rootfd, cur, &next) <= 0)
                        return berth_err(err, ENOENT, "creating `%s` in the rootfs", path);
                free(cur);
                cur = next;
        }
        return berth_err(err, ELOOP, "creating `%s` in the rootfs", path);
}

/* Open (creating if needed) the destination of a mount inside rootfd. */
static int open_target(int rootfd, const char *dest, bool dir, struct berth_error **err)
{
        if (dir)
                return mkdir_in_root_follow(rootfd, dest, err);
        struct berth_error *scratch = NULL;
        int fd = util_path_open_in_root(rootfd, dest, O_PATH, 0, &scratch);
        if (fd >= 0)
                return fd;
        berth_error_free(scratch);
        if (errno != ENOENT)
                return berth_err(err, errno, "opening `%s`", dest);
        _cleanup_free_ char *d1 = xstrdup(dest), *d2 = xstrdup(dest);
        _cleanup_close_ int parent = mkdir_in_root_follow(rootfd, dirname(d1), err);
        if (parent < 0)
                return parent;
        /* O_NOFOLLOW|O_EXCL: a symlink planted here is not followed; it is
         * resolved by the RESOLVE_IN_ROOT open below instead. */
        int cfd = openat(parent, basename(d2), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                         0644);
        if (cfd < 0 && errno != EEXIST)
                return berth_err(err, errno, "creating `%s`", dest);
        if (cfd >= 0)
                close(cfd);
        return util_path_open_in_root(rootfd, dest, O_PATH, 0, err);
}

/* runc's rule: a mount inside the container's /proc could stand in for
 * the files the runtime writes the process's settings and LSM label to,
 * or hide what is masked; only the files lxcfs emulates may be mounted
 * there, and /proc itself only takes a procfs.  target is the opened,
 * resolved destination, so a symlink to /proc in the image counts. */
static int check_proc_target(int rootfd, int target, const struct runtime_mount_step *s,
                             struct berth_error **err)
{
        static const char *const lxcfs[] = {
            "/proc/cpuinfo", "/proc/diskstats",
            "/proc/meminfo", "/proc/stat",
            "/proc/swaps",   "/proc/uptime",
            "/proc/loadavg", "/proc/slabinfo",
            "/proc/net/dev", "/proc/sys/kernel/ns_last_pid",
        };
        char p[FD_PATH_LEN], root[PATH_MAX], dest[PATH_MAX];
        fd_path(p, rootfd);
        ssize_t rn = readlink(p, root, sizeof(root) - 1);
        fd_path(p, target);
        ssize_t dn = readlink(p, dest, sizeof(dest) - 1);
        if (rn < 0 || dn < 0)
                return berth_err(err, errno, "resolving `%s`", s->destination);
        root[rn] = dest[dn] = '\0';
        const char *rel = dest + rn;
        if (strncmp(dest, root, (size_t)rn) != 0 || strncmp(rel, "/proc", 5) != 0 ||
            (rel[5] != '\0' && rel[5] != '/'))
                return 0;
        if (rel[5] == '\0') {
                struct statfs sfs;
                if (s->kind == MOUNT_STEP_BIND
                        ? statfs(s->source, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC
                        : strcmp(s->fstype, "proc") == 0)
                        return 0;
                return berth_err(err, 0, "`%s` cannot be mounted because it is not of type proc",
                                 s->destination);
        }
        for (size_t i = 0; i < sizeof(lxcfs) / sizeof(lxcfs[0]); i++)
                if (strcmp(rel, lxcfs[i]) == 0)
                        return 0;
        return berth_err(err, 0, "`%s` cannot be mounted because it is inside /proc",
                         s->destination);
}

/* Flags that a mount made in an unprivileged user namespace inherits
 * locked from its source: a remount must repeat them or fail with EPERM. */
static unsigned long locked_flags(const char *path)
{
        struct statvfs sv;
        unsigned long f = 0;
        if (statvfs(path, &sv) < 0)
                return 0;
        if (sv.f_flag & ST_NOSUID)
                f |= MS_NOSUID;
        if (sv.f_flag & ST_NODEV)
                f |= MS_NODEV;
        if (sv.f_flag & ST_NOEXEC)
                f |= MS_NOEXEC;
        if (sv.f_flag & ST_RDONLY)
                f |= MS_RDONLY;
        if (sv.f_flag & ST_NOATIME)
                f |= MS_NOATIME;
        if (sv.f_flag & ST_RELATIME)
                f |= MS_RELATIME;
        return f;
}

static int remount_bind(const char *path, unsigned long flags, const char *what,
                        struct berth_error **err)
{
        unsigned long f = MS_BIND | MS_REMOUNT | flags;
        if (mount(NULL, path, NULL, f, NULL) == 0)
                return 0;
        if (errno == EPERM && mount(NULL, path, NULL, f | locked_flags(path), NULL) == 0)
                return 0;
        return berth_err(err, errno, "remounting `%s`", what);
}

/* A bind mount of the host's source onto the already opened target. */
static int do_bind(int rootfd, const struct runtime_mount_step *s, const char *source,
                   struct berth_error **err)
{
        _cleanup_close_ int target = open_target(rootfd, s->destination, s->source_is_dir, err);
        if (target < 0)
                return target;
        if (check_proc_target(rootfd, target, s, err) < 0)
                return berth_err_ret(*err);
        char p[FD_PATH_LEN];
        fd_path(p, target);
        if (mount(source, p, NULL, MS_BIND | (s->recursive ? MS_REC : 0), NULL) < 0)
                return berth_err(err, errno, "bind-mounting `%s` on `%s`", source, s->destination);
        /* The fd still names the directory under the new mount: reopen to
         * reach the mount itself for the remount and propagation. */
        close(steal_fd(&target));
        target = util_path_open_in_root(rootfd, s->destination, O_PATH, 0, err);
        if (target < 0)
                return target;
        fd_path(p, target);
        unsigned long flags = s->flags & ~(MS_REMOUNT);
        if (flags != 0 && remount_bind(p, flags, s->destination, err) < 0)
                return -EPERM;
        if (s->propagation && mount(NULL, p, NULL, s->propagation, NULL) < 0)
                return berth_err(err, errno, "setting propagation of `%s`", s->destination);
        return 0;
}

static int do_fs(int rootfd, const struct runtime_mount_step *s, bool userns,
                 struct berth_error **err)
{
        _cleanup_close_ int target = open_target(rootfd, s->destination, true, err);
        if (target < 0)
                return target;
        if (check_proc_target(rootfd, target, s, err) < 0)
                return berth_err_ret(*err);
        char p[FD_PATH_LEN];
        fd_path(p, target);
        if (mount(s->source, p, s->fstype, s->flags, s->data) < 0) {
                /* sysfs cannot be mounted from a user namespace that does not
                 * own the network namespace: bind the host's, read-only. */
                if (errno == EPERM && userns && strcmp(s->fstype, "sysfs") == 0) {
                        struct runtime_mount_step b = *s;
                        b.recursive = true;
                        b.flags |= MS_RDONLY;
                        return do_bind(rootfd, &b, "/sys", err);
                }
                return berth_err(err, errno, "mounting %s on `%s`", s->fstype, s->destination);
        }
        if (s->propagation) {
                close(steal_fd(&target));
                target = util_path_open_in_root(rootfd, s->destination, O_PATH, 0, err);
                if (target < 0)
                        return target;
                fd_path(p, target);
                if (mount(NULL, p, NULL, s->propagation, NULL) < 0)
                        return berth_err(err, errno, "setting propagation of `%s`", s->destination);
        }
        return 0;
}

static int do_cgroup(int rootfd, const struct runtime_mount_step *s,
                     const struct runtime_cgroup *cg, struct berth_error **err)
{
        struct runtime_cgroup_mount *m = NULL;
        size_t n = 0;
        if (cg == NULL)
                return 0;
        int r = runtime_cgroup_mounts(cg, &m, &n, err);
        if (r < 0)
                return r;
        struct runtime_mount_step b = *s;
        b.kind = MOUNT_STEP_BIND;
        b.source_is_dir = true;
        b.recursive = false;
        b.propagation = 0;
        if (n == 1 && m[0].name[0] == '\0') {
                /* Pure cgroup v2: the container's own cgroup is the tree. */
                r = do_bind(rootfd, &b, m[0].host_dir, err);
                goto out;
        }
        struct runtime_mount_step t = *s;
        t.kind = MOUNT_STEP_FS;
        t.fstype = (char *)"tmpfs";
        t.source = (char *)"tmpfs";
        t.flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
        t.data = (char *)"mode=755";
        if ((r = do_fs(rootfd, &t, false, err)) < 0)
                goto out;
        for (size_t i = 0; i < n; i++) {
                const char *name = m[i].name;
                if (name[0] == '\0')
                        name = "unified";
                else if (strncmp(name, "name=", 5) == 0)
                        name += 5;
                _cleanup_free_ char *dest = xasprintf("%s/%s", s->destination, name);
                b.destination = dest;
                if ((r = do_bind(rootfd, &b, m[i].host_dir, err)) < 0)
                        goto out;
        }
        if (s->flags & MS_RDONLY) {
                _cleanup_close_ int fd =
                    util_path_open_in_root(rootfd, s->destination, O_PATH, 0, err);
                if (fd < 0) {
                        r = fd;
                        goto out;
                }
                char p[FD_PATH_LEN];
                fd_path(p, fd);
                r = remount_bind(p, MS_RDONLY | t.flags, s->destination, err);
        }
out:
        runtime_cgroup_mounts_free(m, n);
        return r;
}

static const struct {
        const char *path;
        unsigned major, minor;
} default_devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

/* One device node at path inside rootfd: mknod, or (in a user namespace,
 * where mknod is refused) a bind mount of the host's node of that path. */
static int make_device(int rootfd, const char *path, mode_t type, dev_t dev, mode_t mode, uid_t uid,
                       gid_t gid, bool userns, struct berth_error **err)
{
        _cleanup_free_ char *d1 = xstrdup(path), *d2 = xstrdup(path);
        _cleanup_close_ int parent = util_path_mkdir_in_root(rootfd, dirname(d1), 0755, err);
        if (parent < 0)
                return parent;
        const char *base = basename(d2);
        /* Never touch the host's own device directory, whatever the
         * config made of the rootfs's /dev. */
        struct stat here, host;
        if (fstat(parent, &here) == 0 && stat("/dev", &host) == 0 && here.st_dev == host.st_dev &&
            here.st_ino == host.st_ino)
                return berth_err(err, EPERM, "`%s`: the rootfs's /dev is the host's", path);
        /* A node that is already what we want stays. */
        struct stat st;
        if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == type &&
            (type == S_IFIFO || st.st_rdev == dev))
                return 0;
        /* unlinkat on the parent we resolved: whatever sat there (even a
         * symlink) goes, nothing outside is touched. */
        if (unlinkat(parent, base, 0) < 0 && errno != ENOENT && errno != EISDIR)
                return berth_err(err, errno, "replacing `%s`", path);
        if (!userns) {
                if (mknodat(parent, base, type | (mode & 07777), dev) < 0)
                        return berth_err(err, errno, "creating device `%s`", path);
                if (fchownat(parent, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                        return berth_err(err, errno, "chown of device `%s`", path);
                return 0;
        }
        struct runtime_mount_step s = {
            .kind = MOUNT_STEP_BIND,
            .destination = (char *)path,
            .source_is_dir = false,
            .flags = MS_NOSUID | MS_NOEXEC,
        };
        return do_bind(rootfd, &s, path, err);
}

static int make_link(int rootfd, const char *target, const char *path, struct berth_error **err)
{
        _cleanup_close_ int dev = util_path_mkdir_in_root(rootfd, "/dev", 0755, err);
        if (dev < 0)
                return dev;
        const char *base = path + strlen("/dev/");
        if (unlinkat(dev, base, 0) < 0 && errno != ENOENT)
                return berth_err(err, errno, "replacing `%s`", path);
        if (symlinkat(target, dev, base) < 0)
                return berth_err(err, errno, "linking `%s`", path);
        return 0;
}

static int setup_devices(int rootfd, const struct runtime_config *c, bool userns,
                         struct berth_error **err)
{
        int r;
        /* The links below replace entries of /dev: make sure that /dev is
         * the container's and not (through some mount) the host's. */
        _cleanup_close_ int devfd = util_path_mkdir_in_root(rootfd, "/dev", 0755, err);
        struct stat here, host;
        if (devfd < 0)
                return devfd;
        if (fstat(devfd, &here) == 0 && stat("/dev", &host) == 0 && here.st_dev == host.st_dev &&
            here.st_ino == host.st_ino)
                return berth_err(err, EPERM, "the rootfs's /dev is the host's /dev");
        for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
                bool overridden = false;
                for (size_t k = 0; k < c->n_devices; k++)
                        overridden |= strcmp(c->devices[k].path, default_devices[i].path) == 0;
                if (overridden)
                        continue;
                r = make_device(rootfd, default_devices[i].path, S_IFCHR,
                                makedev(default_devices[i].major, default_devices[i].minor), 0666,
                                0, 0, userns, err);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < c->n_devices; k++) {
                const struct runtime_device *d = &c->devices[k];
                mode_t t = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
                r = make_device(rootfd, d->path, t, makedev(d->major, d->minor), d->mode, d->uid,
                                d->gid, userns && d->type != 'p', err);
                if (r < 0)
                        return r;
        }
        static const char *const links[][2] = {
            {"pts/ptmx", "/dev/ptmx"},          {"/proc/self/fd", "/dev/fd"},
            {"/proc/self/fd/0", "/dev/stdin"},  {"/proc/self/fd/1", "/dev/stdout"},
            {"/proc/self/fd/2", "/dev/stderr"}, {"/proc/kcore", "/dev/core"},
        };
        for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
                struct stat st;
                /* /dev/ptmx only when there is a devpts to point at. */
                if (i == 0) {
                        _cleanup_close_ int pts = -1;
                        struct berth_error *scratch = NULL;
                        pts = util_path_open_in_root(rootfd, "/dev/pts", O_PATH, 0, &scratch);
                        berth_error_free(scratch);
                        if (pts < 0 || fstat(pts, &st) < 0)
                                continue;
                }
                if ((r = make_link(rootfd, links[i][0], links[i][1], err)) < 0)
                        return r;
        }
        int shm = util_path_mkdir_in_root(rootfd, "/dev/shm", 01777, err);
        if (shm < 0)
                return shm;
        close(shm);
        return 0;
}

int rootfs_prepare(const struct runtime_config *c, const struct runtime_mount_plan *plan,
                   const char *rootfs, const struct runtime_cgroup *cg, bool userns,
                   struct berth_error **err)
{
        /* Nothing we mount may propagate back to the host. */
        unsigned long prop = c->rootfs_propagation ? c->rootfs_propagation : MS_PRIVATE | MS_REC;
        if (mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
                return berth_err(err, errno, "making / %s", "private");
        /* pivot_root needs the new root to be a mount point. */
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                return berth_err(err, errno, "bind-mounting the rootfs `%s`", rootfs);
        _cleanup_close_ int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return berth_err(err, errno, "opening the rootfs `%s`", rootfs);
        for (size_t i = 0; i < plan->n; i++) {
                const struct runtime_mount_step *s = &plan->steps[i];
                int r;
                switch (s->kind) {
                case MOUNT_STEP_BIND:
                        r = do_bind(rootfd, s, s->source, err);
                        break;
                case MOUNT_STEP_CGROUP:
                        r = do_cgroup(rootfd, s, cg, err);
                        break;
                default:
                        r = do_fs(rootfd, s, userns, err);
                        break;
                }
                if (r < 0)
                        return r;
        }
        if (!plan->dev_is_bind) {
                int r = setup_devices(rootfd, c, userns, err);
                if (r < 0)
                        return berth_err_wrap(err, "creating devices");
        }
        return 0;
}

int rootfs_pivot(const char *rootfs, bool no_pivot, struct berth_error **err)
{
        _cleanup_close_ int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
        if (newroot < 0)
                return berth_err(err, errno, "opening the rootfs `%s`", rootfs);
        if (fchdir(newroot) < 0)
                return berth_err(err, errno, "entering the rootfs");
        if (no_pivot) {
                if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                        return berth_err(err, errno, "moving the rootfs to /");
                if (chroot(".") < 0)
                        return berth_err(err, errno, "chroot");
        } else {
                /* pivot_root(".", ".") stacks the old root on top of the new
                 * one; unmounting "." then drops the old root entirely, so no
                 * path to the host's tree survives in this namespace. */
                if (syscall(SYS_pivot_root, ".", ".") < 0)
                        return berth_err(err, errno, "pivot_root");
                /* Slave first: the lazy unmount must not propagate to the
                 * host even if the old root was shared. */
                if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                        return berth_err(err, errno, "making the old root a slave");
                if (umount2(".", MNT_DETACH) < 0)
                        return berth_err(err, errno, "detaching the old root");
        }
        if (chdir("/") < 0)
                return berth_err(err, errno, "chdir /");
        return 0;
}

static int mask_path(const char *path, struct berth_error **err)
{
        _cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                return berth_err(err, errno, "masking `%s`", path);
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
                return berth_err(err, errno, "masking `%s`", path);
        char p[FD_PATH_LEN];
        fd_path(p, fd);
        int r = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs",
                                            MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
                                    : mount("/dev/null", p, NULL, MS_BIND, NULL);
        if (r < 0)
                return berth_err(err, errno, "masking `%s`", path);
        return 0;
}

static int readonly_path(const char *path, struct berth_error **err)
{
        _cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                return berth_err(err, errno, "making `%s` read-only", path);
        }
        char p[FD_PATH_LEN];
        fd_path(p, fd);
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
                return berth_err(err, errno, "making `%s` read-only", path);
        close(steal_fd(&fd));
        fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "making `%s` read-only", path);
        fd_path(p, fd);
        return remount_bind(p, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, path, err);
}

static int write_sysctl(const char *key, const char *value, struct berth_error **err)
{
        if (strstr(key, "..") != NULL || key[0] == '/' || key[0] == '.')
                return berth_err(err, EINVAL, "sysctl `%s`: invalid name", key);
        _cleanup_free_ char *path = xasprintf("/proc/sys/%s", key);
        for (char *s = path + strlen("/proc/sys/"); *s; s++)
                if (*s == '.')
                        *s = '/';
        _cleanup_close_ int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || util_write_all(fd, value, strlen(value)) < 0)
                return berth_err(err, errno, "sysctl `%s`", key);
        return 0;
}

int rootfs_finish(const struct runtime_config *c, struct berth_error **err)
{
        int r;
        /* sysctl before readonlyPaths: /proc/sys is usually one of them. */
        for (size_t i = 0; c->sysctl_keys && c->sysctl_keys[i]; i++)
                if ((r = write_sysctl(c->sysctl_keys[i], c->sysctl_values[i], err)) < 0)
                        return r;
        for (char **p = c->masked_paths; p && *p; p++)
                if ((r = mask_path(*p, err)) < 0)
                        return r;
        for (char **p = c->readonly_paths; p && *p; p++)
                if ((r = readonly_path(*p, err)) < 0)
                        return r;
        if (c->root_readonly && remount_bind("/", MS_RDONLY, "/", err) < 0)
                return -EPERM;
        return 0;
}
