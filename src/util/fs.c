/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

int util_write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

ssize_t util_read_all(int fd, void *buf, size_t len)
{
        char *p = buf;
        size_t got = 0;
        while (got < len) {
                ssize_t n = read(fd, p + got, len - got);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                got += (size_t)n;
        }
        return (ssize_t)got;
}

int util_file_write(int dirfd, const char *name, const void *buf, size_t len, mode_t mode,
                    unsigned flags, struct berth_error **err)
{
        bool durable = flags & UTIL_WRITE_DURABLE;
        _cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", name, getpid());
        _cleanup_close_ int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return berth_err(err, errno, "creating `%s`", tmp);
        int r = util_write_all(fd, buf, len);
        if (r == 0 && durable && fsync(fd) < 0)
                r = -errno;
        if (r == 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return berth_err(err, -r, "writing `%s`", name);
        }
        if (!durable)
                return 0;
        /* The rename is durable only once the directory is. */
        _cleanup_close_ int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
                fsync(dfd);
        return 0;
}

int util_file_write_atomic(int dirfd, const char *name, const void *buf, size_t len, mode_t mode,
                           struct berth_error **err)
{
        return util_file_write(dirfd, name, buf, len, mode, UTIL_WRITE_DURABLE, err);
}

int util_file_read(int dirfd, const char *path, char **out, size_t *len, struct berth_error **err)
{
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s`", path);
        size_t cap = 4096, n = 0;
        _cleanup_free_ char *buf = xmalloc(cap);
        for (;;) {
                if (n + 1 >= cap) {
                        cap *= 2;
                        buf = xrealloc(buf, cap);
                }
                ssize_t r = read(fd, buf + n, cap - n - 1);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return berth_err(err, errno, "reading `%s`", path);
                }
                if (r == 0)
                        break;
                n += (size_t)r;
        }
        buf[n] = '\0';
        if (len != NULL)
                *len = n;
        *out = steal_pointer(&buf);
        return 0;
}

int util_path_open_in_root(int rootfd, const char *path, int flags, mode_t mode,
                           struct berth_error **err)
{
        struct open_how how = {
            .flags = (unsigned long long)(flags | O_CLOEXEC),
            .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
            .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;
        do
                fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        while (fd < 0 && errno == EAGAIN);
        if (fd < 0)
                return berth_err(err, errno, "opening `%s` in root", path);
        return fd;
}

int util_path_mkdir_in_root(int rootfd, const char *path, mode_t mode, struct berth_error **err)
{
        _cleanup_close_ int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return berth_err(err, errno, "opening root");
        _cleanup_free_ char *copy = xstrdup(path);
        char *save = NULL;
        for (char *c = strtok_r(copy, "/", &save); c != NULL; c = strtok_r(NULL, "/", &save)) {
                if (strcmp(c, ".") == 0)
                        continue;
                /* Each step is resolved from the root again, so a component
                 * that is a symlink (or "..") stays inside it. */
                _cleanup_free_ char *sofar = xstrndup(path, (size_t)(c - copy) + strlen(c));
                if (mkdirat(cur, c, mode) < 0 && errno != EEXIST)
                        return berth_err(err, errno, "creating `%s`", sofar);
                int next = util_path_open_in_root(rootfd, sofar, O_PATH | O_DIRECTORY, 0, err);
                if (next < 0)
                        return next;
                close(cur);
                cur = next;
        }
        return steal_fd(&cur);
}

int util_path_mkdir_p(const char *path, mode_t mode, struct berth_error **err)
{
        _cleanup_free_ char *p = xstrdup(path);
        for (char *s = p + 1; *s != '\0'; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return berth_err(err, errno, "creating `%s`", p);
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return berth_err(err, errno, "creating `%s`", p);
        return 0;
}

static int remove_children(int dfd, struct berth_error **err)
{
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        if (d == NULL) {
                close(dfd);
                return berth_err(err, errno, "listing directory");
        }
        struct dirent *de;
        while ((errno = 0, de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                int r = util_path_remove_tree(dirfd(d), de->d_name, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int util_path_remove_tree(int dirfd, const char *name, struct berth_error **err)
{
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;
                return berth_err(err, errno, "inspecting `%s`", name);
        }
        if (S_ISDIR(st.st_mode)) {
                struct stat parent;
                if (fstat(dirfd, &parent) == 0 && parent.st_dev != st.st_dev)
                        return berth_err(err, EBUSY, "refusing to remove mount point `%s`", name);
                int dfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (dfd < 0 && errno == ENOENT)
                        return 0;
                if (dfd < 0)
                        return berth_err(err, errno, "opening `%s`", name);
                int r = remove_children(dfd, err);
                if (r < 0)
                        return berth_err_wrap(err, "removing `%s`", name);
                if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                        return berth_err(err, errno, "removing `%s`", name);
                return 0;
        }
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                return berth_err(err, errno, "removing `%s`", name);
        return 0;
}

bool util_path_exists(const char *path)
{
        return access(path, F_OK) == 0;
}

int util_lock_acquire(const char *path, int op, struct berth_error **err)
{
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        /* flock(2) works on a read-only descriptor: a reader of a store on
         * a read-only file system still gets its shared lock. */
        if (fd < 0 && errno == EROFS && (op & ~LOCK_NB) == LOCK_SH)
                fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return berth_err(err, errno, "opening lock `%s`", path);
        while (flock(fd, op) < 0) {
                if (errno == EINTR)
                        continue;
                return berth_err(err, errno, "locking `%s`", path);
        }
        return steal_fd(&fd);
}
